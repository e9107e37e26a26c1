//! Fetching a table from SSB's PxWebApi v2 as JSON-stat 2, for the register's
//! municipalities and the chosen years: the answer is received as a statistics upload
//! (the same preview, kept with its source URL), shared by the page, the API and the
//! command line.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::domain::audit::Actor;
use crate::domain::kommune::Register;
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};

use super::uploads::{UploadSettings, receive_fetched_statistics};

/// SSB's PxWebApi v2.
pub const DEFAULT_SSB_API_URL: &str = "https://data.ssb.no/api/pxwebapi/v2";

/// The oldest and newest year that may be asked for.
const FIRST_YEAR: i64 = 1950;
const LAST_YEAR: i64 = 2100;

/// Where SSB's API is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct SsbSettings {
    /// The API's base URL, without a trailing slash (`https://data.ssb.no/api/pxwebapi/v2`).
    pub base_url: String,
    /// How long one answer may take, whole.
    pub timeout: Duration,
    /// The largest answer accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for SsbSettings {
    fn default() -> Self {
        SsbSettings {
            base_url: DEFAULT_SSB_API_URL.to_string(),
            timeout: Duration::from_secs(20),
            max_bytes: 20 * 1024 * 1024,
        }
    }
}

impl SsbSettings {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        SsbSettings {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            timeout,
            ..SsbSettings::default()
        }
    }
}

/// A checked request: a table number and a span of years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsbQuery {
    pub table: String,
    pub from_year: i32,
    pub to_year: i32,
}

impl SsbQuery {
    /// Checks the table number (digits only, at most ten) and the years (from ≤ to,
    /// between 1950 and 2100); each problem names its field.
    pub fn new(table: &str, from_year: i64, to_year: i64) -> AppResult<SsbQuery> {
        let mut errors = crate::domain::validation::FieldErrors::new();
        let table = table.trim();
        if table.is_empty() {
            errors.add(
                "table",
                "Skriv tabellnummeret fra SSB (for eksempel 12617).",
            );
        } else if table.len() > 10 || !table.chars().all(|c| c.is_ascii_digit()) {
            errors.add(
                "table",
                format!(
                    "«{}» er ikke et tabellnummer fra SSB: bare sifre, høyst 10 (for eksempel 12617).",
                    table.chars().take(40).collect::<String>()
                ),
            );
        }
        for (field, label, year) in [
            ("from_year", "Fra år", from_year),
            ("to_year", "Til år", to_year),
        ] {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
                errors.add(
                    field,
                    format!("{label}: {year} er ikke et år mellom {FIRST_YEAR} og {LAST_YEAR}."),
                );
            }
        }
        if errors.0.is_empty() && from_year > to_year {
            errors.add(
                "to_year",
                format!("Til år ({to_year}) kan ikke være før fra år ({from_year})."),
            );
        }
        if !errors.0.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(SsbQuery {
            table: table.to_string(),
            from_year: i32::try_from(from_year).unwrap_or_default(),
            to_year: i32::try_from(to_year).unwrap_or_default(),
        })
    }

    /// The same from a form's text fields: a year that is not a whole number is an
    /// error naming its field.
    pub fn from_text(table: &str, from_year: &str, to_year: &str) -> AppResult<SsbQuery> {
        let mut errors = crate::domain::validation::FieldErrors::new();
        let mut year = |field: &str, label: &str, text: &str| -> i64 {
            let text = text.trim();
            match text.parse::<i64>() {
                Ok(y) => y,
                Err(_) => {
                    errors.add(
                        field,
                        if text.is_empty() {
                            format!("{label}: skriv et årstall.")
                        } else {
                            format!(
                                "{label}: «{}» er ikke et årstall.",
                                text.chars().take(40).collect::<String>()
                            )
                        },
                    );
                    0
                }
            }
        };
        let from = year("from_year", "Fra år", from_year);
        let to = year("to_year", "Til år", to_year);
        if !errors.0.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        SsbQuery::new(table, from, to)
    }

    /// The name the fetched file is kept under: `ssb-12617-2022-2023.json`.
    pub fn filename(&self) -> String {
        format!(
            "ssb-{}-{}-{}.json",
            self.table, self.from_year, self.to_year
        )
    }

    /// The PxWebApi v2 data URL: every variable of the table (`ContentsCode=*`), the
    /// years, and the municipalities of the register in those years.
    pub fn url(&self, base_url: &str, regions: &[String]) -> String {
        let years: Vec<String> = (self.from_year..=self.to_year)
            .map(|y| y.to_string())
            .collect();
        format!(
            "{}/tables/{}/data?lang=no&outputFormat=json-stat2&valueCodes[ContentsCode]=*&valueCodes[Tid]={}&valueCodes[Region]={}",
            base_url.trim_end_matches('/'),
            self.table,
            years.join(","),
            regions.join(",")
        )
    }
}

/// The kommunenummer of every municipality in the register's divisions of these years.
fn register_regions(register: &Register, query: &SsbQuery) -> AppResult<Vec<String>> {
    let mut numbers = BTreeSet::new();
    for year in query.from_year..=query.to_year {
        if let Some(division) = register.division_year_for(year) {
            for m in register.municipalities(division) {
                numbers.insert(m.number.as_str().to_string());
            }
        }
    }
    if numbers.is_empty() {
        return Err(AppError::Conflict(format!(
            "Kommuneregisteret har ingen kommuner for {}–{}, så det er ingenting å hente fra SSB.",
            query.from_year, query.to_year
        )));
    }
    Ok(numbers.into_iter().collect())
}

/// "1 sekund", "20 sekunder".
fn seconds(timeout: Duration) -> String {
    let secs = timeout.as_secs_f64();
    if secs.fract() == 0.0 {
        let whole = timeout.as_secs();
        if whole == 1 {
            "1 sekund".into()
        } else {
            format!("{whole} sekunder")
        }
    } else {
        format!("{} sekunder", format!("{secs:.1}").replace('.', ","))
    }
}

fn timed_out(settings: &SsbSettings) -> AppError {
    AppError::GatewayTimeout(format!(
        "SSB svarte ikke innen {}. Prøv igjen senere, eventuelt med færre år.",
        seconds(settings.timeout)
    ))
}

/// Asks SSB for the URL and reads the answer, at most `max_bytes` of it, within the
/// timeout. Every failure is a Norwegian sentence with a gateway status.
pub async fn fetch(settings: &SsbSettings, table: &str, url: &str) -> AppResult<Vec<u8>> {
    // reqwest is built without a crypto provider of its own: use ring (no system library).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("tilskudd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("http client: {e}")))?;
    let sent = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Err(timed_out(settings)),
        Err(e) => {
            tracing::warn!(error = ?e, url, "SSB could not be reached");
            return Err(AppError::BadGateway(
                "Fikk ikke kontakt med SSB. Prøv igjen senere.".into(),
            ));
        }
    };
    let status = response.status();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(AppError::ServiceUnavailable(
            "SSB avviser forespørsler akkurat nå (for mange forespørsler). Prøv igjen om et minutt."
                .into(),
        ));
    }
    if !status.is_success() {
        let said = problem_title(&mut response)
            .await
            .map(|t| format!(" («{t}»)"))
            .unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(AppError::invalid(
                "table",
                format!(
                    "SSB har ingen tabell {table} (SSB svarte 404 Not Found{said}). Sjekk tabellnummeret."
                ),
            ));
        }
        return Err(AppError::BadGateway(format!(
            "SSB svarte med feil {}{said} på forespørselen etter tabell {table}. Prøv igjen senere, eller sjekk tabellnummeret og årene (finnes tabellen for alle årene?).",
            status_named(status)
        )));
    }
    let too_large = || {
        AppError::BadGateway(format!(
            "Svaret fra SSB er større enn {} MB og ble ikke lest. Velg færre år.",
            settings.max_bytes.div_ceil(1024 * 1024)
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > settings.max_bytes as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > settings.max_bytes {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(timed_out(settings)),
            Err(e) => {
                tracing::warn!(error = ?e, url, "SSB's answer broke off");
                return Err(AppError::BadGateway(
                    "Svaret fra SSB ble avbrutt. Prøv igjen senere.".into(),
                ));
            }
        }
    }
    Ok(body)
}

/// What an error answer from PxWebApi says (a problem document's `title` and
/// `detail`), read from at most its first 4 KB, shortened and without control characters.
async fn problem_title(response: &mut reqwest::Response) -> Option<String> {
    let mut body = Vec::new();
    while body.len() < 4096 {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let value: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let parts: Vec<&str> = ["title", "detail"]
        .iter()
        .filter_map(|k| value.get(*k).and_then(|v| v.as_str()))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let text: String = parts
        .join(": ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// `429 Too Many Requests`.
fn status_named(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// Fetches the table for the register's municipalities and the years, and receives the
/// answer as a statistics upload with its source URL. Returns the upload's id.
pub async fn fetch_statistics(
    store: &crate::store::Store,
    uploads: &UploadSettings,
    ssb: &SsbSettings,
    user: &Principal,
    actor: &Actor,
    query: &SsbQuery,
) -> AppResult<i64> {
    user.check_saksbehandler("importere statistikk")?;
    let register = store.register().await?;
    let regions = register_regions(&register, query)?;
    let url = query.url(&ssb.base_url, &regions);
    let bytes = fetch(ssb, &query.table, &url).await?;
    receive_fetched_statistics(store, uploads, user, actor, &query.filename(), &bytes, &url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_years_are_checked_by_field() {
        let ok = SsbQuery::new(" 12617 ", 2022, 2023).unwrap();
        assert_eq!(ok.table, "12617");
        assert_eq!(ok.filename(), "ssb-12617-2022-2023.json");
        let fields = |e: AppError| -> Vec<String> {
            e.field_errors().iter().map(|f| f.field.clone()).collect()
        };
        assert_eq!(
            fields(SsbQuery::new("12a17", 2022, 2023).unwrap_err()),
            ["table"]
        );
        assert_eq!(
            fields(SsbQuery::new("12345678901", 2022, 2023).unwrap_err()),
            ["table"]
        );
        assert_eq!(
            fields(SsbQuery::new("12617", 2023, 2022).unwrap_err()),
            ["to_year"]
        );
        assert_eq!(
            fields(SsbQuery::new("12617", 1800, 2022).unwrap_err()),
            ["from_year"]
        );
        assert_eq!(
            fields(SsbQuery::from_text("12617", "2022", "i fjor").unwrap_err()),
            ["to_year"]
        );
    }

    #[test]
    fn the_url_names_table_years_and_regions() {
        let q = SsbQuery::new("12617", 2022, 2023).unwrap();
        assert_eq!(
            q.url(
                "https://data.ssb.no/api/pxwebapi/v2/",
                &["5001".into(), "5025".into()]
            ),
            "https://data.ssb.no/api/pxwebapi/v2/tables/12617/data?lang=no&outputFormat=json-stat2&valueCodes[ContentsCode]=*&valueCodes[Tid]=2022,2023&valueCodes[Region]=5001,5025"
        );
        assert_eq!(seconds(Duration::from_secs(20)), "20 sekunder");
        assert_eq!(seconds(Duration::from_millis(500)), "0,5 sekunder");
    }
}
