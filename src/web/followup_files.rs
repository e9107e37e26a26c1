//! Downloads of the follow-up: a letter as PDF, a round's letters as ZIP, the payment
//! file for the accounting system (CSV), and attachments as sent.

use super::openapi::{AnyFile, Csv, Download, Pdf, Zip};
use crate::app::followup::LetterView;
use crate::documents::{pdf::letter_pdf, zip_files};
use crate::domain::round::Round;
use crate::error::{AppError, AppResult};
use crate::sheets::csv_export::{BOM, text_field};
use crate::store::followup::{Document, IssuedLetter, RoundPayment};

/// A file name from free text: letters, digits and dashes.
fn file_part(text: &str) -> String {
    let part: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    part.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn letter_filename(kind: &str, applicant: &str, application_id: i64) -> String {
    format!("{kind}-{application_id}-{}.pdf", file_part(applicant))
}

fn pdf_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("brevet kunne ikke lages som PDF: {e}"))
}

/// The letter as PDF: an issued one as issued; a draft marked as a draft.
pub fn letter_pdf_response(view: &LetterView) -> AppResult<Download<Pdf>> {
    let mut letter = view.letter.clone();
    if !view.issued {
        letter.title = format!("UTKAST – {}", letter.title);
    }
    let created = view.issued_at.unwrap_or_else(chrono::Utc::now);
    let bytes = letter_pdf(&letter, created).map_err(pdf_error)?;
    let applicant = letter.recipient.first().cloned().unwrap_or_default();
    let name = letter_filename(
        if view.issued {
            view.kind.as_str()
        } else {
            "utkast"
        },
        &applicant,
        view.application_id,
    );
    Ok(Download::new(bytes, name))
}

/// Every issued letter of the round, one PDF each, in one ZIP file.
pub fn letters_zip(round: &Round, letters: &[IssuedLetter]) -> AppResult<Download<Zip>> {
    let mut entries = Vec::with_capacity(letters.len());
    for issued in letters {
        let bytes = letter_pdf(&issued.letter, issued.issued_at).map_err(pdf_error)?;
        let applicant = issued.letter.recipient.first().cloned().unwrap_or_default();
        entries.push((
            letter_filename(issued.kind.as_str(), &applicant, issued.application_id),
            bytes,
        ));
    }
    let zip = zip_files(&entries)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("ZIP-filen kunne ikke lages: {e}")))?;
    let name = format!("brev-{}-{}.zip", round.year, file_part(&round.name));
    Ok(Download::new(zip, name))
}

/// The columns of the payment file, as the README documents them.
pub const PAYMENT_COLUMNS: [&str; 10] = [
    "bilagsdato",
    "belop",
    "mottaker",
    "organisasjonsnummer",
    "kommunenummer",
    "soknad",
    "referanse",
    "runde",
    "ar",
    "registrert_av",
];

/// The payments of a round for the agency's accounting system: UTF-8 with BOM,
/// semicolons, CRLF, ISO dates, amounts with a decimal point and two decimals (a
/// machine-readable file, not a spreadsheet view), text guarded against formulas.
pub fn payments_csv(round: &Round, payments: &[RoundPayment]) -> Download<Csv> {
    let mut text = String::from(BOM);
    text.push_str(&PAYMENT_COLUMNS.join(";"));
    text.push_str("\r\n");
    for p in payments {
        let ore = p.amount.ore();
        let fields = [
            p.date.format("%Y-%m-%d").to_string(),
            format!("{}.{:02}", ore / 100, ore % 100),
            text_field(&p.applicant),
            text_field(p.org_number.as_deref().unwrap_or_default()),
            text_field(p.kommunenummer.as_deref().unwrap_or_default()),
            p.application_id.to_string(),
            text_field(&p.reference),
            text_field(&round.name),
            round.year.to_string(),
            text_field(&p.recorded_by),
        ];
        text.push_str(&fields.join(";"));
        text.push_str("\r\n");
    }
    let mut file = Download::new(
        text.into_bytes(),
        format!("utbetalinger-{}-{}.csv", round.year, file_part(&round.name)),
    );
    file.content_type = Some("text/csv; charset=utf-8".into());
    file
}

/// The content type an attachment is served with: what it said, where that is a kind of
/// file a browser does not run; otherwise plain bytes.
fn served_content_type(said: &str) -> String {
    let essence = said
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let harmless = essence == "application/pdf"
        || essence == "text/csv"
        || essence == "text/plain"
        || essence == "application/vnd.ms-excel"
        || essence.starts_with("application/vnd.openxmlformats-officedocument.")
        || essence.starts_with("application/vnd.oasis.opendocument.")
        || matches!(essence.as_str(), "image/png" | "image/jpeg" | "image/gif");
    if harmless {
        essence
    } else {
        "application/octet-stream".to_string()
    }
}

/// An attachment as it was sent.
pub fn document_response(document: Document) -> Download<AnyFile> {
    let mut file = Download::new(document.content, document.filename);
    file.content_type = Some(served_content_type(&document.content_type));
    file
}

#[cfg(test)]
mod tests {
    use super::served_content_type;

    #[test]
    fn only_harmless_types_are_served_as_said() {
        assert_eq!(served_content_type("application/pdf"), "application/pdf");
        assert_eq!(served_content_type("text/csv; charset=utf-8"), "text/csv");
        for risky in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "",
            "x",
        ] {
            assert_eq!(
                served_content_type(risky),
                "application/octet-stream",
                "{risky}"
            );
        }
    }
}
