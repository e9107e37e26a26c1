//! PX files (PC-Axis), as StatBank saves them: `KEYWORD[lang]("sub")=value;` records,
//! the variables in `STUB` and `HEADING`, their `VALUES` and `CODES`, and last `DATA`,
//! the cells in row-major order (stub first, the last heading variable fastest),
//! separated by spaces, symbols quoted (`".."`). Usually Windows-1252 (`CHARSET="ANSI"`).
//!
//! Keywords in another language (`VALUES[en]`) are skipped; files with `KEYS` (only the
//! rows that are not all zero) are refused with a message.

use super::cube::{self, Cube, Datum, Dimension, Role};
use super::read::decode_text;
use crate::domain::kommune::fold_name;

/// At most this many keyword records before `DATA`.
const MAX_RECORDS: usize = 20_000;

/// Whether the text looks like a PX file: it starts with PX keywords and has `DATA=`.
pub fn looks_like(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_uppercase();
    let head = head.trim_start();
    [
        "CHARSET=",
        "AXIS-VERSION=",
        "CODEPAGE=",
        "LANGUAGE=",
        "MATRIX=",
        "DECIMALS=",
    ]
    .iter()
    .any(|k| head.starts_with(k))
        && bytes.windows(5).any(|w| w.eq_ignore_ascii_case(b"DATA="))
}

/// One `KEYWORD[lang]("sub","sub2")=value;` record.
struct Record {
    keyword: String,
    language: Option<String>,
    subkeys: Vec<String>,
    /// The quoted strings, each joined with the ones that continue it on the next lines.
    values: Vec<String>,
}

/// Splits the value part into its strings: `"a","b"` is two, `"long"\n"text"` is one,
/// an unquoted value (`1`, `YES`) is taken as it is.
fn value_list(raw: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = raw.chars().peekable();
    let mut bare = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut text = String::new();
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    text.push(q);
                }
                match current.as_mut() {
                    Some(joined) => joined.push_str(&text),
                    None => current = Some(text),
                }
            }
            ',' => {
                if let Some(v) = current.take() {
                    values.push(v);
                } else if !bare.trim().is_empty() {
                    values.push(bare.trim().to_string());
                }
                bare.clear();
            }
            c if c.is_whitespace() => {}
            other => bare.push(other),
        }
    }
    if let Some(v) = current {
        values.push(v);
    } else if !bare.trim().is_empty() {
        values.push(bare.trim().to_string());
    }
    values
}

/// The keyword part: `VALUES[en]("region")`.
fn keyword_parts(raw: &str) -> (String, Option<String>, Vec<String>) {
    let raw = raw.trim();
    let name_end = raw.find(['[', '(']).unwrap_or(raw.len());
    let keyword = raw[..name_end].trim().to_ascii_uppercase();
    let rest = &raw[name_end..];
    let language = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(lang, _)| lang.trim().to_string());
    let subkeys = match (rest.find('('), rest.rfind(')')) {
        (Some(open), Some(close)) if open < close => value_list(&rest[open + 1..close]),
        _ => Vec::new(),
    };
    (keyword, language, subkeys)
}

/// The records before `DATA`, and the text after `DATA=`.
fn records(text: &str) -> Result<(Vec<Record>, &str), String> {
    let mut records = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Err("PX-filen har ikke nøkkelordet DATA= med tallene.".into());
        }
        if records.len() > MAX_RECORDS {
            return Err(format!(
                "PX-filen har mer enn {MAX_RECORDS} nøkkelord før DATA; det er ikke en tabell vi kan lese."
            ));
        }
        // The keyword runs to `=` outside quotes (sub keys are quoted and may hold `=`).
        let mut quoted = false;
        let equals = rest.char_indices().find(|(_, c)| {
            if *c == '"' {
                quoted = !quoted;
            }
            !quoted && *c == '='
        });
        let Some((equals, _)) = equals else {
            return Err(format!(
                "PX-filen kunne ikke leses ved «{}»: et nøkkelord uten =.",
                rest.chars().take(40).collect::<String>().trim()
            ));
        };
        let (keyword, language, subkeys) = keyword_parts(&rest[..equals]);
        let after = &rest[equals + 1..];
        if keyword == "DATA" {
            return Ok((records, after));
        }
        let mut quoted = false;
        let end = after
            .char_indices()
            .find(|(_, c)| {
                if *c == '"' {
                    quoted = !quoted;
                }
                !quoted && *c == ';'
            })
            .map(|(i, _)| i)
            .ok_or_else(|| {
                format!("Nøkkelordet {keyword} i PX-filen slutter ikke med semikolon.")
            })?;
        records.push(Record {
            keyword,
            language,
            subkeys,
            values: value_list(&after[..end]),
        });
        rest = &after[end + 1..];
    }
}

/// Reads a PX file into a cube.
pub fn read(bytes: &[u8]) -> Result<Cube, String> {
    let text = decode_text(bytes);
    let (records, data) = records(&text)?;
    // The file's own language: keywords marked with another language are translations.
    let default_language = records
        .iter()
        .find(|r| r.keyword == "LANGUAGE")
        .and_then(|r| r.values.first().cloned());
    let own =
        |r: &&Record| r.language.is_none() || r.language.as_deref() == default_language.as_deref();
    let first = |keyword: &str| {
        records
            .iter()
            .filter(own)
            .find(|r| r.keyword == keyword && r.subkeys.is_empty())
            .map(|r| r.values.clone())
    };
    let for_variable = |keyword: &str, variable: &str| {
        records
            .iter()
            .filter(own)
            .find(|r| {
                r.keyword == keyword && r.subkeys.first().map(String::as_str) == Some(variable)
            })
            .map(|r| r.values.clone())
    };
    if records.iter().any(|r| r.keyword == "KEYS") {
        return Err("PX-filen er lagret med KEYS (bare rader som ikke er null); lagre tabellen på nytt uten KEYS, eller hent den som CSV eller JSON-stat.".into());
    }
    let stub = first("STUB").unwrap_or_default();
    let heading = first("HEADING").unwrap_or_default();
    if stub.is_empty() && heading.is_empty() {
        return Err("PX-filen har verken STUB eller HEADING, så den sier ikke hvilke variabler tallene gjelder.".into());
    }
    let variables: Vec<String> = stub.into_iter().chain(heading).collect();
    if variables.len() > cube::MAX_DIMENSIONS {
        return Err(format!(
            "PX-filen har mer enn {} variabler; det er ikke en statistikktabell vi kan lese.",
            cube::MAX_DIMENSIONS
        ));
    }
    let content_variable = first("CONTVARIABLE").and_then(|v| v.into_iter().next());
    let mut dimensions = Vec::with_capacity(variables.len());
    for variable in &variables {
        let values = for_variable("VALUES", variable).ok_or_else(|| {
            format!(
                "PX-filen mangler VALUES(\"{variable}\") med verdiene til variabelen «{variable}»."
            )
        })?;
        let codes = for_variable("CODES", variable).unwrap_or_else(|| values.clone());
        if codes.len() != values.len() {
            return Err(format!(
                "Variabelen «{variable}» i PX-filen har {} VALUES, men {} CODES.",
                values.len(),
                codes.len()
            ));
        }
        let folded = fold_name(variable);
        let role = if content_variable.as_deref() == Some(variable.as_str()) {
            Role::Variable
        } else if for_variable("TIMEVAL", variable).is_some() {
            Role::Time
        } else {
            cube::role_by_name(variable, &folded)
        };
        dimensions.push(Dimension {
            id: variable.clone(),
            label: variable.clone(),
            role,
            categories: codes.into_iter().zip(values).collect(),
        });
    }
    let total = cube::checked_size(dimensions.iter().map(|d| d.categories.len() as u64), "PX")?;
    let total = usize::try_from(total).map_err(|_| "PX-filen er for stor.".to_string())?;
    let values = data_cells(data, total)?;
    let title = first("TITLE")
        .or_else(|| first("CONTENTS"))
        .or_else(|| first("DESCRIPTION"))
        .map(|v| v.join(" "))
        .unwrap_or_default();
    let matrix = first("MATRIX").and_then(|v| v.into_iter().next());
    let title = match matrix {
        Some(m) if !title.starts_with(&m) && m.chars().all(|c| c.is_ascii_digit()) => {
            format!("{m}: {title}")
        }
        _ => title,
    };
    Ok(Cube {
        title,
        dimensions,
        values,
    })
}

/// The cells after `DATA=`: numbers as written, quoted symbols, up to the closing `;`.
fn data_cells(data: &str, total: usize) -> Result<Vec<Datum>, String> {
    let mut cells = Vec::with_capacity(total);
    let mut chars = data.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => break,
            c if c.is_whitespace() || c == ',' => {}
            '"' => {
                let mut symbol = String::new();
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    symbol.push(q);
                }
                cells.push(Datum::Symbol(symbol));
            }
            first => {
                let mut token = String::from(first);
                while let Some(next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, ',' | ';' | '"') {
                        break;
                    }
                    token.push(*next);
                    chars.next();
                }
                let is_number = token.parse::<rust_decimal::Decimal>().is_ok();
                cells.push(if is_number {
                    Datum::Number(token)
                } else {
                    Datum::Symbol(token)
                });
            }
        }
        if cells.len() > total {
            break;
        }
    }
    if cells.len() != total {
        return Err(format!(
            "PX-filen har {}{} tall etter DATA=, men variablene gir {total} (produktet av antall verdier i STUB og HEADING).",
            if cells.len() > total {
                "flere enn "
            } else {
                ""
            },
            cells.len().min(total)
        ));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "CHARSET=\"ANSI\";\r\nAXIS-VERSION=\"2013\";\r\nLANGUAGE=\"no\";\r\nMATRIX=\"12617\";\r\n\
TITLE=\"Mottakere av hjemmetjenester, etter region, \"\r\n\"statistikkvariabel og år\";\r\n\
CONTVARIABLE=\"statistikkvariabel\";\r\nSTUB=\"region\",\"statistikkvariabel\";\r\nHEADING=\"år\";\r\n\
VALUES(\"region\")=\"5001 Trondheim\",\"5025 Røros\";\r\nVALUES(\"statistikkvariabel\")=\"Andel mottakere med koordinator (prosent)\";\r\n\
VALUES(\"år\")=\"2022\",\"2023\";\r\nVALUES[en](\"år\")=\"2022\",\"2023\";\r\nTIMEVAL(\"år\")=TLIST(A1),\"2022\",\"2023\";\r\n\
CODES(\"region\")=\"5001\",\"5025\";\r\nDATA=\r\n12.6 13.1 \r\n\"..\" 0.3 \r\n;\r\n";

    #[test]
    fn reads_stub_heading_and_data() {
        let cube = read(SMALL.as_bytes()).unwrap();
        assert!(looks_like(SMALL.as_bytes()));
        assert_eq!(
            cube.title,
            "12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år"
        );
        assert_eq!(
            cube.dimensions[0].categories[1],
            ("5025".into(), "5025 Røros".into())
        );
        assert_eq!(cube.dimensions[1].role, Role::Variable);
        assert_eq!(cube.dimensions[2].role, Role::Time);
        assert_eq!(cube.values[2], Datum::Symbol("..".into()));
        assert_eq!(cube.values[3], Datum::Number("0.3".into()));
    }

    #[test]
    fn counts_and_missing_parts_are_named() {
        let short = SMALL.replace("\"..\" 0.3", "\"..\"");
        assert!(read(short.as_bytes()).unwrap_err().contains("har 3 tall"));
        let long = SMALL.replace("\"..\" 0.3", "\"..\" 0.3 7");
        assert!(read(long.as_bytes()).unwrap_err().contains("flere enn 4"));
        let no_data = SMALL.split("DATA=").next().unwrap().to_string();
        assert!(read(no_data.as_bytes()).unwrap_err().contains("DATA="));
        let no_values = SMALL.replace("VALUES(\"år\")=\"2022\",\"2023\";", "");
        assert!(
            read(no_values.as_bytes())
                .unwrap_err()
                .contains("VALUES(\"år\")")
        );
        assert!(read(b"garbage").is_err());
    }
}
