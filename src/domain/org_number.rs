//! Norwegian organisation numbers (Enhetsregisteret): nine digits, the last a MOD11
//! check digit over the first eight with the weights 3 2 7 6 5 4 3 2.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrgNumber(String);

impl OrgNumber {
    /// Reads a number as people write it (`964 982 953`, `NO 964982953 MVA`). `Err` is a
    /// Norwegian sentence.
    pub fn parse(text: &str) -> Result<OrgNumber, String> {
        let trimmed = text.trim();
        let core = trimmed
            .strip_prefix("NO")
            .or_else(|| trimmed.strip_prefix("no"))
            .unwrap_or(trimmed);
        let core = core
            .strip_suffix("MVA")
            .or_else(|| core.strip_suffix("mva"))
            .unwrap_or(core);
        let digits: String = core
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
            .collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "«{trimmed}» er ikke et organisasjonsnummer (ni sifre, som 964 982 953)."
            ));
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let weighted: u32 = [3, 2, 7, 6, 5, 4, 3, 2]
            .iter()
            .zip(&d)
            .map(|(w, x)| w * x)
            .sum();
        let check = match 11 - weighted % 11 {
            11 => 0,
            10 => 10,
            c => c,
        };
        if check != d[8] {
            return Err(format!(
                "«{trimmed}» er ikke et gyldig organisasjonsnummer: kontrollsifferet stemmer ikke. Sjekk sifrene."
            ));
        }
        Ok(OrgNumber(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgNumber {
    /// `964 982 953`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", &self.0[0..3], &self.0[3..6], &self.0[6..9])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_digit_is_checked() {
        // Numbers whose check digit is right, written the ways people write them.
        assert_eq!(
            OrgNumber::parse("942 110 464").unwrap().as_str(),
            "942110464"
        );
        assert_eq!(
            OrgNumber::parse("NO 964 982 953 MVA").unwrap().to_string(),
            "964 982 953"
        );
        assert!(
            OrgNumber::parse("942 110 465")
                .unwrap_err()
                .contains("kontrollsifferet")
        );
        assert!(OrgNumber::parse("12345").unwrap_err().contains("ni sifre"));
        // A weighted sum that leaves 10 has no valid check digit.
        assert!(OrgNumber::parse("000000010").is_err());
    }
}
