//! A statistics cube as JSON-stat and PX files hold it (dimensions, their categories, and
//! the values in row-major order), laid out as the long table that
//! [`super::statistics::parse`] reads: one row per value, with the columns `region`,
//! `statistikkvariabel`, `år`, any breakdowns, and the value.

use std::collections::BTreeMap;

use super::{CellValue, Grid};
use crate::domain::kommune::fold_name;
use crate::domain::statistics as stats;

/// At most this many values in one file: 357 municipalities, 4 variables and 30 years
/// with breakdowns are far fewer.
pub const MAX_VALUES: u64 = 500_000;

/// At most this many dimensions.
pub const MAX_DIMENSIONS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Region,
    Variable,
    Time,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// `Region`, `ContentsCode`, `Tid` (JSON-stat), or the PX variable name.
    pub id: String,
    /// `region`, `statistikkvariabel`, `år`.
    pub label: String,
    pub role: Role,
    /// (code, label) in the file's order.
    pub categories: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
    /// The number's text as the file wrote it (`12.6`).
    Number(String),
    /// A symbol (`..`, `:`) or whatever else the file put there, to be judged later.
    Symbol(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cube {
    pub title: String,
    pub dimensions: Vec<Dimension>,
    /// Row-major: the last dimension varies fastest.
    pub values: Vec<Datum>,
}

/// The role a dimension plays, by its id or label, when the file does not say.
pub fn role_by_name(id: &str, label: &str) -> Role {
    let names = [fold_name(id), fold_name(label)];
    let any = |test: &dyn Fn(&str) -> bool| names.iter().any(|n| test(n));
    if any(&|n| n == "tid" || n == "ar" || n == "year" || n == "time" || n == "aar") {
        Role::Time
    } else if any(&|n| n.starts_with("contentscode") || n.starts_with("statistikkvariabel")) {
        Role::Variable
    } else if any(&|n| {
        n.starts_with("region") || n.starts_with("kommune") || n.starts_with("kokkommune")
    }) {
        Role::Region
    } else {
        Role::Other
    }
}

/// The number of values the dimensions span, if it is within [`MAX_VALUES`].
pub fn checked_size(sizes: impl IntoIterator<Item = u64>, kind: &str) -> Result<u64, String> {
    let mut total: u64 = 1;
    let mut count = 0usize;
    for size in sizes {
        count += 1;
        if count > MAX_DIMENSIONS {
            return Err(format!(
                "{kind}-filen har mer enn {MAX_DIMENSIONS} dimensjoner; det er ikke en statistikktabell vi kan lese."
            ));
        }
        total = total
            .checked_mul(size)
            .filter(|t| *t <= MAX_VALUES)
            .ok_or_else(|| {
                format!("{kind}-filen er for stor: den har mer enn {MAX_VALUES} verdier.")
            })?;
    }
    Ok(total)
}

/// A region cell as SSB writes it in its tables: `5001 Trondheim`.
fn region_text(code: &str, label: &str) -> String {
    if label.starts_with(code) || code.is_empty() {
        label.to_string()
    } else if label.is_empty() {
        code.to_string()
    } else {
        format!("{code} {label}")
    }
}

/// The long table, and for each of its rows the value's place in the file
/// (`verdi nr. 17 (Region=5001, ContentsCode=KoordAndel, Tid=2022)`), for messages.
pub fn to_grid(cube: &Cube, sheet: &str) -> Result<(Grid, BTreeMap<u32, String>), String> {
    for role in [Role::Region, Role::Time] {
        if !cube.dimensions.iter().any(|d| d.role == role) {
            return Err(format!(
                "Datasettet har ingen {}; dimensjonene er {}.",
                if role == Role::Region {
                    "regiondimensjon (region eller kommune)"
                } else {
                    "tidsdimensjon (år)"
                },
                cube.dimensions
                    .iter()
                    .map(|d| format!("«{}»", d.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // Which dimensions become columns, and under which heading.
    let mut columns: Vec<(usize, String)> = Vec::new();
    for (at, d) in cube.dimensions.iter().enumerate() {
        let heading = match d.role {
            Role::Region => "region".to_string(),
            Role::Variable => "statistikkvariabel".to_string(),
            Role::Time => "år".to_string(),
            Role::Other => {
                let folded = fold_name(&d.label);
                let breakdown = folded.starts_with("alder") || folded.starts_with("bistandsbehov");
                // One category that is everyone (`Alle aldre`, `Begge kjønn`) says nothing
                // about the values; one that is a part of them must not be dropped.
                let everyone = d.categories.len() == 1
                    && d.categories
                        .iter()
                        .all(|(_, l)| stats::need_level_of(l) == Ok(None));
                if everyone {
                    continue;
                } else if breakdown {
                    d.label.clone()
                } else {
                    return Err(format!(
                        "Datasettet har dimensjonen «{}» ({}) med {} verdier, som ikke er region, statistikkvariabel, år, alder eller bistandsbehov; ta den ut av uttrekket, eller velg «I alt».",
                        d.id,
                        d.label,
                        d.categories.len()
                    ));
                }
            }
        };
        if columns.iter().any(|(_, h)| *h == heading) {
            return Err(format!(
                "Datasettet har to dimensjoner for «{heading}» (den andre er «{}»).",
                d.id
            ));
        }
        columns.push((at, heading));
    }
    let mut grid = Grid {
        name: sheet.to_string(),
        ..Default::default()
    };
    let mut places = BTreeMap::new();
    places.insert(0, "dimensjonene".to_string());
    for (c, (_, heading)) in columns.iter().enumerate() {
        grid.cells
            .insert((0, c as u32), CellValue::Text(heading.clone()));
    }
    let value_col = columns.len() as u32;
    let title = if cube.title.trim().is_empty() {
        "verdi".to_string()
    } else {
        cube.title.clone()
    };
    grid.cells.insert((0, value_col), CellValue::Text(title));
    let sizes: Vec<usize> = cube.dimensions.iter().map(|d| d.categories.len()).collect();
    for (i, datum) in cube.values.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| "Datasettet er for stort.".to_string())?;
        // The category of each dimension for value i (the last dimension fastest).
        let mut rest = i;
        let mut picks = vec![0usize; sizes.len()];
        for (d, size) in sizes.iter().enumerate().rev() {
            picks[d] = rest % size.max(&1);
            rest /= size.max(&1);
        }
        for (c, (at, _)) in columns.iter().enumerate() {
            let d = &cube.dimensions[*at];
            let Some((code, label)) = d.categories.get(picks[*at]) else {
                continue;
            };
            let text = match d.role {
                Role::Region => region_text(code, label),
                Role::Time if code.parse::<i32>().is_ok() => code.clone(),
                _ if label.is_empty() => code.clone(),
                _ => label.clone(),
            };
            grid.cells.insert((row, c as u32), CellValue::Text(text));
        }
        let cell = match datum {
            Datum::Number(n) => CellValue::Number(n.clone()),
            Datum::Symbol(s) => CellValue::Text(s.clone()),
        };
        grid.cells.insert((row, value_col), cell);
        let place = cube
            .dimensions
            .iter()
            .zip(&picks)
            .filter_map(|(d, p)| {
                d.categories
                    .get(*p)
                    .map(|(code, _)| format!("{}={code}", d.id))
            })
            .collect::<Vec<_>>()
            .join(", ");
        places.insert(row, format!("verdi nr. {} ({place})", i + 1));
    }
    Ok((grid, places))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(id: &str, role: Role, codes: &[(&str, &str)]) -> Dimension {
        Dimension {
            id: id.into(),
            label: id.to_lowercase(),
            role,
            categories: codes
                .iter()
                .map(|(c, l)| (c.to_string(), l.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_cube_becomes_a_long_table_with_places() {
        let cube = Cube {
            title: "12617: Mottakere".into(),
            dimensions: vec![
                dim(
                    "Region",
                    Role::Region,
                    &[("5001", "Trondheim"), ("5025", "Røros")],
                ),
                dim("Alder", Role::Other, &[("999", "Alle aldre")]),
                dim("Tid", Role::Time, &[("2022", "2022"), ("2023", "2023")]),
            ],
            values: vec![
                Datum::Number("1".into()),
                Datum::Number("2".into()),
                Datum::Symbol("..".into()),
                Datum::Number("4".into()),
            ],
        };
        let (grid, places) = to_grid(&cube, "JSON-stat").unwrap();
        assert_eq!(grid.text(0, 0).as_deref(), Some("region"));
        // The one-category age dimension is not a column; "Alle" would be the total anyway.
        assert_eq!(grid.text(0, 1).as_deref(), Some("år"));
        assert_eq!(grid.text(3, 0).as_deref(), Some("5025 Røros"));
        assert_eq!(grid.text(3, 1).as_deref(), Some("2022"));
        assert_eq!(grid.text(3, 2).as_deref(), Some(".."));
        assert_eq!(places[&3], "verdi nr. 3 (Region=5025, Alder=999, Tid=2022)");
    }

    #[test]
    fn sizes_are_capped_without_overflow() {
        assert_eq!(checked_size([2, 3, 4], "PX"), Ok(24));
        assert!(
            checked_size([u64::MAX, 2], "PX")
                .unwrap_err()
                .contains("for stor")
        );
        assert!(checked_size([1_000, 1_000], "PX").is_err());
        assert!(
            checked_size(vec![1; 13], "PX")
                .unwrap_err()
                .contains("dimensjoner")
        );
    }
}
