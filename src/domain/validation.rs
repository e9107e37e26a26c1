//! Field-level validation errors, shared by forms and the JSON API so both give the
//! same Norwegian message for the same mistake.

use serde::Serialize;

/// One problem with one input field. `field` is the API name (`pool`, `lines[2].applied`),
/// `message` is Norwegian and names the field in words a user recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects every problem in an input before giving up, so the user sees all of them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&messages.join(" "))
    }
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of `result` (if any) and returns its value.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// The first character that has no place in text people type: a C0 control other than
/// tab and line breaks, DEL, a C1 control, or a bidirectional override that could make a
/// name read differently from what it is (U+202A–U+202E, U+2066–U+2069). `single_line`
/// refuses tab and line breaks too.
pub fn forbidden_char(text: &str, single_line: bool) -> Option<char> {
    text.chars().find(|&c| is_forbidden(c, single_line))
}

/// See [`forbidden_char`].
pub fn is_forbidden(c: char, single_line: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => single_line,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// The message for a forbidden character, naming the field and the character's code.
pub fn forbidden_char_message(label: &str, c: char) -> String {
    format!(
        "{label} inneholder et tegn som ikke er tillatt (U+{:04X}). Fjern det og prøv igjen.",
        c as u32
    )
}

fn check_chars(errors: &mut FieldErrors, field: &str, label: &str, value: &str, max: usize) {
    // Short fields are names and titles: one line. Long ones are descriptions.
    if let Some(c) = forbidden_char(value, max <= 300) {
        errors.add(field, forbidden_char_message(label, c));
    }
}

/// A required free-text field: trimmed, non-empty, at most `max` characters.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, format!("{label} må fylles ut."));
    } else if value.chars().count() > max {
        errors.add(field, format!("{label} kan ha høyst {max} tegn."));
    } else {
        check_chars(errors, field, label, value, max);
    }
    value.to_string()
}

/// Whether [`required_text`] takes `value` without a message.
pub fn required_text_is_fine(value: &str, max: usize) -> bool {
    let value = value.trim();
    !value.is_empty() && value.chars().count() <= max && forbidden_char(value, max <= 300).is_none()
}

/// An optional free-text field: trimmed; empty becomes `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.add(field, format!("{label} kan ha høyst {max} tegn."));
    } else {
        check_chars(errors, field, label, value, max);
    }
    Some(value.to_string())
}

/// For input fields that people (and API clients) send as text or as a whole number:
/// `"2026"` and `2026` both become `"2026"`. A number with decimals is refused, since a
/// float cannot carry an exact amount; the message says to send text instead.
pub fn text_or_integer<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        // Anything else (a number with decimals, true, a list) is refused without ever
        // being read as a float.
        Other(serde::de::IgnoredAny),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Text(text) => Ok(text),
        Raw::Int(n) => Ok(n.to_string()),
        Raw::Other(_) => Err(serde::de::Error::custom(
            "må være tekst eller et heltall; et beløp med desimaler sendes som tekst, for eksempel \"125000.50\", så det forblir eksakt",
        )),
    }
}

/// Like [`text_or_integer`] for optional fields (`null` or missing is `None`).
pub fn optional_text_or_integer<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Wrap(#[serde(deserialize_with = "text_or_integer")] String);
    let value: Option<Wrap> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.map(|w| w.0))
}

/// A plausible e-mail address: something@domain.tld, no spaces.
/// A path on this site to go to after login, or `None`: it starts with exactly one `/`,
/// and has no backslash, whitespace or control character anywhere (a browser reads
/// `/\t/evil.example` or `/\\evil.example` as another site, and CR/LF would split the header).
pub fn local_path(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('/')?;
    let safe = !rest.starts_with('/')
        && !text
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    safe.then_some(text)
}

pub fn looks_like_email(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(char::is_whitespace)
}

#[cfg(test)]
mod local_path_tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site() {
        assert_eq!(
            local_path("/rounds/3?sort=status"),
            Some("/rounds/3?sort=status")
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example/phish",
            "/ /evil.example",
            "/x\r\nSet-Cookie: a=b",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod char_tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_named() {
        assert_eq!(forbidden_char("Kari Nordmann", true), None);
        assert_eq!(forbidden_char("admin\u{0}", true), Some('\u{0}'));
        assert_eq!(forbidden_char("fil\u{202E}gpj.exe", true), Some('\u{202E}'));
        assert_eq!(forbidden_char("linje 1\nlinje 2", false), None);
        assert_eq!(forbidden_char("linje 1\nlinje 2", true), Some('\n'));
        let mut errors = FieldErrors::new();
        required_text(&mut errors, "name", "Navn", "Runde\u{7}", 200);
        assert!(errors.for_field("name").unwrap().contains("U+0007"));
    }
}

#[cfg(test)]
mod shortcut_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The check before building a message agrees with `required_text`.
        #[test]
        fn required_text_is_fine_when_no_message(value in "[ a-zæøå\t\n\u{0}\u{202e}]{0,12}", max in 1usize..12) {
            let mut errors = FieldErrors::new();
            let text = required_text(&mut errors, "f", "Felt", &value, max);
            prop_assert_eq!(required_text_is_fine(&value, max), errors.0.is_empty());
            prop_assert_eq!(text, value.trim());
        }
    }
}
