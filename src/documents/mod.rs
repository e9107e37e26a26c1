//! Documents the app writes besides spreadsheets: letters as PDF/A-2 ([`pdf`]) and a
//! round's letters together as one ZIP file.

pub mod pdf;

use std::io::{Cursor, Write};

/// A ZIP file of `(name, bytes)` entries, compressed, in the given order.
pub fn zip_files(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}
