//! What a file is, judged by its content (never its name), and whether it is safe to
//! hand to the spreadsheet reader: a zip's inflated size and sheet count are checked
//! from its central directory before anything is inflated.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Csv,
    /// JSON-stat 2 (PxWebApi v2), for statistics only.
    JsonStat,
    /// PC-Axis, for statistics only.
    Px,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::JsonStat => "json-stat",
            Format::Px => "px",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        [
            Format::Xlsx,
            Format::Xls,
            Format::Ods,
            Format::Csv,
            Format::JsonStat,
            Format::Px,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// Limits on what an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The file itself (default 10 MB, configurable).
    pub max_file_bytes: usize,
    /// All entries of a zip (xlsx, ods) inflated.
    pub max_inflated_bytes: u64,
    /// How much one entry may grow when inflated (zip bombs grow by thousands).
    pub max_ratio: u64,
    pub max_sheets: usize,
    /// Cells in all sheets together.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 10 * 1024 * 1024,
            max_inflated_bytes: 200 * 1024 * 1024,
            max_ratio: 250,
            max_sheets: 50,
            max_cells: 2_000_000,
        }
    }
}

fn mb(bytes: u64) -> String {
    let tenths = bytes * 10 / (1024 * 1024);
    format!("{},{} MB", tenths / 10, tenths % 10)
}

/// Recognises the file and checks the limits that can be checked without reading it.
/// The error is a Norwegian sentence for the user.
pub fn detect(bytes: &[u8], limits: &Limits, allow_csv: bool) -> Result<Format, String> {
    if bytes.is_empty() {
        return Err("Filen er tom.".into());
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(format!(
            "Filen er for stor ({}); største tillatte størrelse er {}.",
            mb(bytes.len() as u64),
            mb(limits.max_file_bytes as u64)
        ));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Format::Xls);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return check_zip(bytes, limits);
    }
    if bytes.starts_with(b"\x89PNG") {
        return Err(
            "Filen er et bilde (PNG), ikke et regneark. Last opp en .xlsx-, .xls- eller .ods-fil."
                .into(),
        );
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(
            "Filen er et bilde (JPEG), ikke et regneark. Last opp en .xlsx-, .xls- eller .ods-fil."
                .into(),
        );
    }
    if bytes.starts_with(b"%PDF") {
        return Err(
            "Filen er en PDF, ikke et regneark. Last opp en .xlsx-, .xls- eller .ods-fil.".into(),
        );
    }
    if allow_csv && looks_like_text(bytes) {
        return Ok(Format::Csv);
    }
    Err(if allow_csv {
        "Filen er verken et regneark (.xlsx, .xls, .ods) eller en CSV-fil.".into()
    } else {
        "Filen er ikke et regneark. Last opp en .xlsx-, .xls- eller .ods-fil.".into()
    })
}

/// Recognises a statistics file: what [`detect`] knows, and among text files JSON-stat
/// (any JSON, so that a JSON file that is not JSON-stat gets a JSON message) and PX.
pub fn detect_statistics(bytes: &[u8], limits: &Limits) -> Result<Format, String> {
    let format = detect(bytes, limits, true).map_err(|message| {
        if message.starts_with("Filen er verken") {
            "Filen er verken et regneark (.xlsx, .xls, .ods), en CSV-fil, JSON-stat eller en PX-fil."
                .to_string()
        } else {
            message
        }
    })?;
    if format != Format::Csv {
        return Ok(format);
    }
    let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if super::jsonstat::looks_like(bytes) || matches!(first, Some(b'{' | b'[')) {
        Ok(Format::JsonStat)
    } else if super::px::looks_like(bytes) {
        Ok(Format::Px)
    } else {
        Ok(Format::Csv)
    }
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    !sample.contains(&0) && sample.iter().filter(|b| **b < 0x09).count() == 0
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        b.get(at..at + 4)?.try_into().ok()?,
    )))
}

struct ZipEntry {
    name: String,
    compressed: u64,
    inflated: u64,
}

/// Reads the zip's central directory. `None` when the file is cut short or damaged.
fn central_directory(bytes: &[u8]) -> Option<Vec<ZipEntry>> {
    // The end-of-central-directory record is within the last 64 KiB + 22 bytes.
    let search_from = bytes.len().saturating_sub(65_557);
    let eocd = (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))?;
    let count = u16_at(bytes, eocd + 10)?;
    let mut at = usize::try_from(u32_at(bytes, eocd + 16)?).ok()?;
    let mut entries = Vec::new();
    for _ in 0..count {
        if !bytes.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let compressed = u32_at(bytes, at + 20)?;
        let inflated = u32_at(bytes, at + 24)?;
        let name_len = usize::try_from(u16_at(bytes, at + 28)?).ok()?;
        let extra_len = usize::try_from(u16_at(bytes, at + 30)?).ok()?;
        let comment_len = usize::try_from(u16_at(bytes, at + 32)?).ok()?;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len)?).into_owned();
        entries.push(ZipEntry {
            name,
            compressed,
            inflated,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(entries)
}

fn check_zip(bytes: &[u8], limits: &Limits) -> Result<Format, String> {
    let damaged = "Filen er skadet eller ufullstendig (for eksempel avbrutt under opplasting). Lagre regnearket på nytt og last det opp igjen.";
    let entries = central_directory(bytes).ok_or_else(|| damaged.to_string())?;
    if entries.len() > 20_000 {
        return Err("Filen inneholder for mange deler til å være et vanlig regneark.".into());
    }
    let mut total: u64 = 0;
    for e in &entries {
        // 0xFFFFFFFF means a zip64 size: larger than any spreadsheet we accept.
        if e.inflated == 0xFFFF_FFFF || e.compressed == 0xFFFF_FFFF {
            return Err("Filen pakkes ut til mer enn tillatt og kan ikke leses.".into());
        }
        if e.inflated > 1024 * 1024 && e.inflated > e.compressed.max(1) * limits.max_ratio {
            return Err(format!(
                "Filen pakkes ut til mye mer enn den er stor ({} fra {}); den ser ut som en «zip-bombe» og leses ikke.",
                mb(e.inflated),
                mb(e.compressed)
            ));
        }
        total = total.saturating_add(e.inflated);
    }
    if total > limits.max_inflated_bytes {
        return Err(format!(
            "Filen pakkes ut til {}, mer enn tillatte {}.",
            mb(total),
            mb(limits.max_inflated_bytes)
        ));
    }
    let has = |name: &str| entries.iter().any(|e| e.name == name);
    let format = if has("xl/workbook.xml") {
        Format::Xlsx
    } else if has("mimetype") && has("content.xml") {
        let offset = bytes
            .windows(b"application/vnd.oasis.opendocument.spreadsheet".len())
            .take(200)
            .any(|w| w == b"application/vnd.oasis.opendocument.spreadsheet");
        if !offset {
            return Err("Filen er et OpenDocument-dokument, men ikke et regneark (.ods).".into());
        }
        Format::Ods
    } else if has("word/document.xml") {
        return Err("Filen er et Word-dokument, ikke et regneark.".into());
    } else {
        return Err("Filen er en ZIP-fil, men ikke et regneark.".into());
    };
    let sheets = entries
        .iter()
        .filter(|e| e.name.starts_with("xl/worksheets/sheet") && e.name.ends_with(".xml"))
        .count();
    if sheets > limits.max_sheets {
        return Err(format!(
            "Arbeidsboken har {sheets} ark; høyst {} er tillatt.",
            limits.max_sheets
        ));
    }
    if entries.iter().any(|e| e.name.is_empty()) {
        return Err(damaged.into());
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content() {
        let limits = Limits::default();
        assert_eq!(detect(b"", &limits, false), Err("Filen er tom.".into()));
        assert!(
            detect(b"\x89PNG\r\n\x1a\n....", &limits, false)
                .unwrap_err()
                .contains("PNG")
        );
        assert!(
            detect(b"%PDF-1.7", &limits, false)
                .unwrap_err()
                .contains("PDF")
        );
        assert_eq!(
            detect(b"soker;tildelt\nBjugn;600000\n", &limits, true),
            Ok(Format::Csv)
        );
        assert!(detect(b"soker;tildelt\n", &limits, false).is_err());
        assert!(
            detect(b"PK\x03\x04 cut short", &limits, false)
                .unwrap_err()
                .contains("skadet")
        );
        let json = br#" {"version":"2.0","class":"dataset","dimension":{}}"#;
        assert_eq!(detect_statistics(json, &limits), Ok(Format::JsonStat));
        assert_eq!(
            detect_statistics(
                b"CHARSET=\"ANSI\";\r\nMATRIX=\"12617\";\r\nDATA=\r\n1;",
                &limits
            ),
            Ok(Format::Px)
        );
        assert_eq!(
            detect_statistics(b"region;2022\n5001;1\n", &limits),
            Ok(Format::Csv)
        );
        // Not for round uploads: there JSON is just not a spreadsheet.
        assert_eq!(detect(json, &limits, true), Ok(Format::Csv));
        let big = vec![b'a'; limits.max_file_bytes + 1];
        assert!(
            detect(&big, &limits, true)
                .unwrap_err()
                .contains("for stor")
        );
    }
}
