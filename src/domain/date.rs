//! Dates as Norwegians write them (`dd.mm.åååå`) and as forms send them (`åååå-mm-dd`).

use chrono::NaiveDate;

pub fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let text = input.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .map_err(|_| format!("«{text}» er ikke en dato (skriv dd.mm.åååå)."))
}

pub fn format_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(parse_date("2026-03-01"), Ok(d));
        assert_eq!(parse_date("01.03.2026"), Ok(d));
        assert!(parse_date("31.02.2026").is_err());
        assert_eq!(format_date(d), "01.03.2026");
    }
}
