//! Counties (fylker) per municipal division, so a round for "Trøndelag" can offer the
//! municipalities of Trøndelag. Numbers from SSB's classification 104.

/// `(first year in force, county code, name)`; a division holds until the next one.
const COUNTIES: &[(i32, &[(&str, &str)])] = &[
    (
        2018,
        &[
            ("01", "Østfold"),
            ("02", "Akershus"),
            ("03", "Oslo"),
            ("04", "Hedmark"),
            ("05", "Oppland"),
            ("06", "Buskerud"),
            ("07", "Vestfold"),
            ("08", "Telemark"),
            ("09", "Aust-Agder"),
            ("10", "Vest-Agder"),
            ("11", "Rogaland"),
            ("12", "Hordaland"),
            ("14", "Sogn og Fjordane"),
            ("15", "Møre og Romsdal"),
            ("18", "Nordland"),
            ("19", "Troms"),
            ("20", "Finnmark"),
            ("50", "Trøndelag"),
        ],
    ),
    (
        2020,
        &[
            ("03", "Oslo"),
            ("11", "Rogaland"),
            ("15", "Møre og Romsdal"),
            ("18", "Nordland"),
            ("30", "Viken"),
            ("34", "Innlandet"),
            ("38", "Vestfold og Telemark"),
            ("42", "Agder"),
            ("46", "Vestland"),
            ("50", "Trøndelag"),
            ("54", "Troms og Finnmark"),
        ],
    ),
    (
        2024,
        &[
            ("03", "Oslo"),
            ("11", "Rogaland"),
            ("15", "Møre og Romsdal"),
            ("18", "Nordland"),
            ("31", "Østfold"),
            ("32", "Akershus"),
            ("33", "Buskerud"),
            ("34", "Innlandet"),
            ("39", "Vestfold"),
            ("40", "Telemark"),
            ("42", "Agder"),
            ("46", "Vestland"),
            ("50", "Trøndelag"),
            ("55", "Troms"),
            ("56", "Finnmark"),
        ],
    ),
];

/// The counties in force in `year` (the 2018 division for earlier years too).
pub fn counties(year: i32) -> &'static [(&'static str, &'static str)] {
    COUNTIES
        .iter()
        .rev()
        .find(|(from, _)| *from <= year)
        .unwrap_or(&COUNTIES[0])
        .1
}

/// Every county name of any division, sorted, for a choice list.
pub fn all_county_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = COUNTIES
        .iter()
        .flat_map(|(_, list)| list.iter().map(|(_, name)| *name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Every county name once, grouped by the newest division it belongs to, newest first,
/// for a choice list: («Fylker fra 2024», [...]), («Bare 2020–2023», [...]), …
pub fn counties_by_division() -> Vec<(String, Vec<&'static str>)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut groups = Vec::with_capacity(COUNTIES.len());
    for (i, (from, list)) in COUNTIES.iter().enumerate().rev() {
        let label = match COUNTIES.get(i + 1) {
            Some((next, _)) if i == 0 => format!("Bare før {next}"),
            Some((next, _)) => format!("Bare {from}–{}", next - 1),
            None => format!("Fylker fra {from}"),
        };
        let mut names: Vec<&str> = list
            .iter()
            .map(|(_, name)| *name)
            .filter(|name| seen.insert(*name))
            .collect();
        names.sort_unstable();
        if !names.is_empty() {
            groups.push((label, names));
        }
    }
    groups
}

/// The county code of `name` in the division in force in `year`.
pub fn county_code(year: i32, name: &str) -> Option<&'static str> {
    counties(year)
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_are_grouped_newest_first() {
        let groups = counties_by_division();
        assert_eq!(groups[0].0, "Fylker fra 2024", "{groups:?}");
        assert!(groups[0].1.contains(&"Trøndelag"));
        let all: Vec<&str> = groups.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        assert_eq!(
            all.len(),
            all_county_names().len(),
            "each name once: {groups:?}"
        );
    }

    #[test]
    fn trondelag_is_50_throughout() {
        assert_eq!(county_code(2019, "Trøndelag"), Some("50"));
        assert_eq!(county_code(2026, "Trøndelag"), Some("50"));
        assert_eq!(county_code(2021, "Viken"), Some("30"));
        assert_eq!(county_code(2024, "Viken"), None);
    }
}
