//! Download responses shared by the pages and the API: workbooks, CSV and originals.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::domain::round::Round;

/// `Content-Disposition` with a plain-ASCII fallback and the real name (RFC 6266).
pub fn attachment(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn xlsx_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, attachment(filename)),
        ],
        bytes,
    )
        .into_response()
}

/// A CSV download (the text already has its byte order mark).
pub fn csv_response(text: String, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, attachment(filename)),
        ],
        text,
    )
        .into_response()
}

pub fn template_filename(round: &Round) -> String {
    format!("soknadsskjema-{}.xlsx", round.name.replace(' ', "-"))
}
