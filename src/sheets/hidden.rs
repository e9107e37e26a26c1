//! Rows and columns a workbook hides — by a filter («Avslått» filtered away) or by hand —
//! which calamine reads like any other. They are found here from the file's own XML, so
//! that an import can skip them and say so instead of counting them silently.
//!
//! xlsx: `<row r="5" hidden="1">` and `<col min="2" max="3" hidden="1">` in each
//! worksheet; ods: `table:visibility="collapse"` or `"filter"` on `table:table-row` and
//! `table:table-column`, with their repeat counts; xls (BIFF8): the `fDyZero` flag of
//! ROW records and `fHidden` of COLINFO records. Runs in the reader's child process.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// What one sheet hides; rows and columns count from 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    pub rows: BTreeSet<u32>,
    pub cols: BTreeSet<u32>,
}

/// Rows and columns beyond these are never looked at: a sheet's 16 384 columns or a
/// million rows repeated empty would otherwise become a million entries.
const MAX_ROW: u32 = 200_000;
const MAX_COL: u32 = 16_384;
/// The XML of one sheet is read at most this far (the zip was checked before).
const MAX_XML_BYTES: u64 = 200 * 1024 * 1024;

fn attribute(element: &BytesStart, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn is_true(value: Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true"))
}

fn zip_text(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let file = archive.by_name(name).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_XML_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Every start or empty element of an XML text, with a callback; stops at the first
/// error (a damaged file hides nothing we can know of).
fn each_element(xml: &[u8], mut on: impl FnMut(&BytesStart, bool)) {
    let mut reader = Reader::from_reader(BufReader::new(xml));
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => on(&e, false),
            Ok(Event::Empty(e)) => on(&e, true),
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The hidden rows and columns of each sheet of an xlsx file, by sheet name.
pub fn in_xlsx(bytes: &[u8]) -> BTreeMap<String, Hidden> {
    let mut found = BTreeMap::new();
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return found;
    };
    // Sheet names → relationship ids → part names.
    let mut sheets: Vec<(String, String)> = Vec::new();
    if let Some(xml) = zip_text(&mut archive, "xl/workbook.xml") {
        each_element(&xml, |e, _| {
            if e.local_name().as_ref() == "sheet"
                && let (Some(name), Some(id)) = (attribute(e, "name"), attribute(e, "r:id"))
            {
                sheets.push((name, id));
            }
        });
    }
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    if let Some(xml) = zip_text(&mut archive, "xl/_rels/workbook.xml.rels") {
        each_element(&xml, |e, _| {
            if e.local_name().as_ref() == "Relationship"
                && let (Some(id), Some(target)) = (attribute(e, "Id"), attribute(e, "Target"))
            {
                let part = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                };
                targets.insert(id, part);
            }
        });
    }
    for (name, id) in sheets {
        let Some(xml) = targets
            .get(&id)
            .and_then(|part| zip_text(&mut archive, part))
        else {
            continue;
        };
        let hidden = xlsx_sheet(&xml);
        if hidden != Hidden::default() {
            found.insert(name, hidden);
        }
    }
    found
}

/// What one xlsx worksheet's XML hides.
fn xlsx_sheet(xml: &[u8]) -> Hidden {
    // Only an attribute named `hidden` hides anything, and most sheets have none: a byte
    // search spares the XML pass over every cell of a large sheet.
    if memchr::memmem::find(xml, b"hidden").is_none() {
        return Hidden::default();
    }
    xlsx_sheet_parsed(xml)
}

fn xlsx_sheet_parsed(xml: &[u8]) -> Hidden {
    let mut hidden = Hidden::default();
    each_element(xml, |e, _| match e.local_name().as_ref() {
        "row" if is_true(attribute(e, "hidden")) => {
            if let Some(r) = attribute(e, "r").and_then(|r| r.parse::<u32>().ok())
                && (1..=MAX_ROW).contains(&r)
            {
                hidden.rows.insert(r - 1);
            }
        }
        "col" if is_true(attribute(e, "hidden")) => {
            let min = attribute(e, "min").and_then(|v| v.parse::<u32>().ok());
            let max = attribute(e, "max").and_then(|v| v.parse::<u32>().ok());
            if let (Some(min), Some(max)) = (min, max) {
                for c in min.max(1)..=max.min(MAX_COL) {
                    hidden.cols.insert(c - 1);
                }
            }
        }
        _ => {}
    });
    hidden
}

/// The hidden rows and columns of each sheet of an ods file, by sheet name.
pub fn in_ods(bytes: &[u8]) -> BTreeMap<String, Hidden> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return BTreeMap::new();
    };
    let Some(xml) = zip_text(&mut archive, "content.xml") else {
        return BTreeMap::new();
    };
    ods_content(&xml)
}

/// What the sheets of an ods `content.xml` hide, by sheet name.
fn ods_content(xml: &[u8]) -> BTreeMap<String, Hidden> {
    // Only `table:visibility` hides anything, and most files have none (see
    // `xlsx_sheet`).
    if memchr::memmem::find(xml, b"table:visibility").is_none() {
        return BTreeMap::new();
    }
    ods_content_parsed(xml)
}

fn ods_content_parsed(xml: &[u8]) -> BTreeMap<String, Hidden> {
    let mut found = BTreeMap::new();
    let mut current: Option<(String, Hidden, u32, u32)> = None;
    let mut reader = Reader::from_reader(BufReader::new(xml));
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf);
        match &event {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let repeated = |attr: &str| {
                    attribute(e, attr)
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(1)
                };
                let collapsed = matches!(
                    attribute(e, "table:visibility").as_deref(),
                    Some("collapse" | "filter")
                );
                match e.name().as_ref() {
                    "table:table" => {
                        let name = attribute(e, "table:name").unwrap_or_default();
                        current = Some((name, Hidden::default(), 0, 0));
                    }
                    "table:table-row" => {
                        if let Some((_, hidden, row, _)) = current.as_mut() {
                            let count = repeated("table:number-rows-repeated");
                            if collapsed {
                                for r in *row..row.saturating_add(count).min(MAX_ROW) {
                                    hidden.rows.insert(r);
                                }
                            }
                            *row = row.saturating_add(count);
                        }
                    }
                    "table:table-column" => {
                        if let Some((_, hidden, _, col)) = current.as_mut() {
                            let count = repeated("table:number-columns-repeated");
                            if collapsed {
                                for c in *col..col.saturating_add(count).min(MAX_COL) {
                                    hidden.cols.insert(c);
                                }
                            }
                            *col = col.saturating_add(count);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table" => {
                if let Some((name, hidden, _, _)) = current.take()
                    && hidden != Hidden::default()
                {
                    found.insert(name, hidden);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    found
}

/// The hidden rows and columns of each sheet of an xls (BIFF8) file, by sheet name.
pub fn in_xls(bytes: &[u8]) -> BTreeMap<String, Hidden> {
    let mut found = BTreeMap::new();
    let Ok(mut file) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return found;
    };
    let mut stream = Vec::new();
    let opened = file
        .open_stream("/Workbook")
        .or_else(|_| file.open_stream("/Book"));
    let Ok(opened) = opened else { return found };
    if opened.take(MAX_XML_BYTES).read_to_end(&mut stream).is_err() {
        return found;
    }
    // The globals list each sheet's name and where its records start.
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for (kind, data) in biff_records(&stream, 0) {
        match kind {
            0x0085 => {
                if let Some(sheet) = boundsheet(data) {
                    sheets.push(sheet);
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    for (offset, name) in sheets {
        let mut hidden = Hidden::default();
        for (kind, data) in biff_records(&stream, offset).skip(1) {
            match kind {
                // ROW: rw at 0, grbit at 12; bit 5 is fDyZero (hidden).
                0x0208 if data.len() >= 14 && data[12] & 0x20 != 0 => {
                    let row = u32::from(u16::from_le_bytes([data[0], data[1]]));
                    if row < MAX_ROW {
                        hidden.rows.insert(row);
                    }
                }
                // COLINFO: colFirst, colLast, …, options at 8; bit 0 is fHidden.
                0x007D if data.len() >= 10 && data[8] & 0x01 != 0 => {
                    let first = u32::from(u16::from_le_bytes([data[0], data[1]]));
                    let last = u32::from(u16::from_le_bytes([data[2], data[3]]));
                    for c in first..=last.min(MAX_COL - 1) {
                        hidden.cols.insert(c);
                    }
                }
                0x000A | 0x0809 => break,
                _ => {}
            }
        }
        if hidden != Hidden::default() {
            found.insert(name, hidden);
        }
    }
    found
}

/// BIFF records from `offset`: (type, data), until the stream ends or a record is cut.
fn biff_records(stream: &[u8], offset: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = offset;
    std::iter::from_fn(move || {
        let header = stream.get(at..at + 4)?;
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((kind, data))
    })
}

/// BOUNDSHEET8: the sheet's stream offset and its name (a short unicode string).
fn boundsheet(data: &[u8]) -> Option<(usize, String)> {
    let offset = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?) as usize;
    let chars = usize::from(*data.get(6)?);
    let wide = data.get(7)? & 0x01 != 0;
    let name = if wide {
        let units: Vec<u16> = data
            .get(8..8 + 2 * chars)?
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        // Compressed: each byte is a Latin-1 code point.
        data.get(8..8 + chars)?
            .iter()
            .map(|b| char::from(*b))
            .collect()
    };
    Some((offset, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn xlsx_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            (1u32..50).prop_map(|r| format!("<row r=\"{r}\">")),
            (1u32..50, prop_oneof![Just("1"), Just("0"), Just("true")])
                .prop_map(|(r, h)| format!("<row r=\"{r}\" hidden=\"{h}\">")),
            Just("</row>".to_string()),
            (1u32..20, 0u32..3).prop_map(|(min, n)| format!(
                "<col min=\"{min}\" max=\"{}\" hidden=\"1\"/>",
                min + n
            )),
            (1u32..20).prop_map(|min| format!("<col min=\"{min}\" max=\"{min}\"/>")),
            "[a-z ]{0,8}".prop_map(|t| format!("<c t=\"inlineStr\"><is><t>{t}</t></is></c>")),
        ]
    }

    fn ods_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z]{1,6}".prop_map(|n| format!("<table:table table:name=\"{n}\">")),
            Just("</table:table>".to_string()),
            (1u32..4, prop_oneof![Just("collapse"), Just("filter"), Just("visible")]).prop_map(
                |(n, v)| format!(
                    "<table:table-row table:number-rows-repeated=\"{n}\" table:visibility=\"{v}\"/>"
                )
            ),
            (1u32..4).prop_map(|n| format!("<table:table-row table:number-rows-repeated=\"{n}\"/>")),
            (1u32..4).prop_map(|n| format!(
                "<table:table-column table:number-columns-repeated=\"{n}\" table:visibility=\"collapse\"/>"
            )),
            "[a-z:]{0,10}".prop_map(|t| format!("<text:p>{t}</text:p>")),
        ]
    }

    proptest! {
        /// The byte search before the XML pass never misses what the pass finds.
        #[test]
        fn the_byte_search_agrees_with_the_xml_pass(pieces in prop::collection::vec(xlsx_piece(), 0..30)) {
            let xml = format!("<worksheet><cols/><sheetData>{}</sheetData></worksheet>", pieces.concat());
            prop_assert_eq!(xlsx_sheet(xml.as_bytes()), xlsx_sheet_parsed(xml.as_bytes()));
        }

        #[test]
        fn the_byte_search_agrees_with_the_xml_pass_in_ods(pieces in prop::collection::vec(ods_piece(), 0..30)) {
            let xml = format!("<office:document-content><office:body>{}</office:body></office:document-content>", pieces.concat());
            prop_assert_eq!(ods_content(xml.as_bytes()), ods_content_parsed(xml.as_bytes()));
        }
    }

    #[test]
    fn rows_hidden_by_hand_and_by_a_filter_in_xlsx() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("Tildeling").unwrap();
        sheet.write_string(0, 0, "Søker").unwrap();
        sheet.set_row_hidden(3).unwrap();
        sheet.set_column_hidden(2).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let found = in_xlsx(&bytes);
        let hidden = &found["Tildeling"];
        assert_eq!(hidden.rows, BTreeSet::from([3]));
        assert_eq!(hidden.cols, BTreeSet::from([2]));
        assert!(in_xlsx(b"not a zip").is_empty());
        assert!(in_ods(b"not a zip").is_empty());
        assert!(in_xls(b"not a compound file").is_empty());
    }
}
