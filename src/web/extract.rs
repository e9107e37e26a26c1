//! Request extractors that answer bad input in Norwegian, naming what was wrong.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body. Malformed JSON, a wrong type or a missing field gives a 400/422 whose
/// message names the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest(
                "Forespørselen må ha Content-Type: application/json.".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            AppError::BadRequest("Kunne ikke lese forespørselen (for stor eller avbrutt).".into())
        })?;
        // A NUL can only come as the escape `\u0000`; no database stores it.
        if memchr::memmem::find(&bytes, b"\\u0000").is_some()
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            refuse_nul(&value, "")?;
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                AppError::BadRequest(format!(
                    "Ugyldig JSON (linje {}, kolonne {}).",
                    inner.line(),
                    inner.column()
                ))
            } else {
                json_field_error(&path, &inner.to_string())
            }
        })?;
        Ok(ApiJson(value))
    }
}

/// Refuses a text with a NUL character, naming its field: PostgreSQL cannot store it, and
/// no form, query or file has a use for it.
pub fn refuse_nul_text(text: &str, field: &str) -> Result<(), AppError> {
    if !text.contains('\0') {
        return Ok(());
    }
    let field = if field.is_empty() { "." } else { field };
    Err(AppError::invalid(
        field,
        crate::domain::validation::forbidden_char_message(&format!("Feltet «{field}»"), '\0'),
    ))
}

/// [`refuse_nul_text`] for every key and text of a JSON value.
fn refuse_nul(value: &serde_json::Value, path: &str) -> Result<(), AppError> {
    match value {
        serde_json::Value::String(text) => refuse_nul_text(text, path),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refuse_nul(item, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                refuse_nul_text(key, &inner)?;
                refuse_nul(item, &inner)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn json_field_error(path: &str, serde_message: &str) -> AppError {
    // serde says "missing field `pool`" at the parent; name the field itself.
    if let Some(field) = serde_message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let full = if path == "." || path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return AppError::invalid(&full, format!("Feltet «{full}» mangler."));
    }
    if let Some(field) = serde_message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        let parent = path.trim_end_matches(field).trim_end_matches('.');
        let full = if parent.is_empty() || parent == "." {
            field.to_string()
        } else {
            format!("{parent}.{field}")
        };
        let known = serde_message
            .split_once("expected one of ")
            .map(|(_, list)| format!(" Kjente felt: {}.", list.replace('`', "")))
            .unwrap_or_default();
        return AppError::invalid(&full, format!("Ukjent felt «{full}».{known}"));
    }
    let expected = if serde_message.contains("expected a string") {
        " (forventet tekst, f.eks. \"125000.50\" for beløp)"
    } else if serde_message.contains("expected i64")
        || serde_message.contains("expected an integer")
    {
        " (forventet et heltall)"
    } else if serde_message.contains("expected a sequence") {
        " (forventet en liste)"
    } else {
        ""
    };
    AppError::invalid(
        path,
        format!("Feltet «{path}» har ugyldig verdi{expected}."),
    )
}

/// The numeric id in the URL (`/rounds/{id}`); anything else is a 404 naming the thing.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("Fant ikke siden.".into()))?;
        let raw = params.values().next().cloned().unwrap_or_default();
        raw.parse::<i64>()
            .map(Id)
            .map_err(|_| AppError::NotFound(format!("Fant ikke «{raw}»: ugyldig id i adressen.")))
    }
}

/// An application and a user in the URL (`/applications/{id}/impartiality/{user_id}/…`).
pub struct IdAndUser(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdAndUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("Fant ikke siden.".into()))?;
        let number = |name: &str| {
            let raw = params.get(name).cloned().unwrap_or_default();
            raw.parse::<i64>().map_err(|_| {
                AppError::NotFound(format!("Fant ikke «{raw}»: ugyldig id i adressen."))
            })
        };
        Ok(IdAndUser(number("id")?, number("user_id")?))
    }
}

/// A submitted HTML form as its list of fields, so that repeated and indexed fields
/// (budget lines) and unexpected input never make the extractor itself fail.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    /// Fields repeated in pairs (`celle`, `soker`; `variabel`, `indikator`) as a map from
    /// the first of each pair to the second.
    pub fn pairs(&self, key: &str, value: &str) -> std::collections::BTreeMap<String, String> {
        let named = |name: &str| {
            self.0
                .iter()
                .filter(move |(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        named(key).into_iter().zip(named(value)).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            AppError::BadRequest("Kunne ikke lese skjemaet (for stort eller avbrutt).".into())
        })?;
        let fields =
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).map_err(|_| {
                AppError::BadRequest("Skjemaet kunne ikke leses (ugyldig koding).".into())
            })?;
        for (name, value) in &fields {
            refuse_nul_text(value, name)?;
        }
        Ok(FormFields(fields))
    }
}

/// A file sent with a form.
pub struct FormFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl From<FormFile> for crate::app::followup::Attachment {
    fn from(f: FormFile) -> Self {
        crate::app::followup::Attachment {
            filename: f.filename,
            content_type: f.content_type,
            content: f.bytes,
        }
    }
}

/// A body sent either as JSON or as a multipart form (text fields, and one file in
/// `file_field`): a form's text fields are read as the JSON object of the same names, so
/// one input type and one validation serve the API and the pages. `true`/`on` in a form
/// field is a boolean, as a checkbox sends it.
pub struct JsonOrForm<T> {
    pub value: T,
    pub file: Option<FormFile>,
}

impl<S, T> FromRequest<S> for JsonOrForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            let ApiJson(value) = ApiJson::from_request(req, state).await?;
            return Ok(JsonOrForm { value, file: None });
        }
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| {
                AppError::BadRequest(format!("Skjemaet kunne ikke leses: {}", e.body_text()))
            })?;
        let mut fields = serde_json::Map::new();
        let mut file = None;
        while let Some(field) = multipart.next_field().await.map_err(|e| {
            AppError::BadRequest(format!(
                "Skjemaet kunne ikke leses ({}). Filen kan være for stor.",
                e.body_text()
            ))
        })? {
            let name = field.name().unwrap_or_default().to_string();
            if let Some(filename) = field.file_name().map(str::to_string) {
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::BadRequest(
                        "Filen kunne ikke tas imot (avbrutt eller for stor).".into(),
                    )
                })?;
                // A file input left empty sends a part without content.
                if !bytes.is_empty() {
                    file = Some(FormFile {
                        filename,
                        content_type,
                        bytes: bytes.to_vec(),
                    });
                }
                continue;
            }
            let text = field.text().await.unwrap_or_default();
            let value = match text.as_str() {
                "true" | "on" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                _ => serde_json::Value::String(text),
            };
            fields.insert(name, value);
        }
        let fields = serde_json::Value::Object(fields);
        refuse_nul(&fields, "")?;
        let value = serde_path_to_error::deserialize(fields).map_err(|err| {
            json_field_error(&err.path().to_string(), &err.into_inner().to_string())
        })?;
        Ok(JsonOrForm { value, file })
    }
}

/// A value read from JSON already parsed (a form's fields), with the same messages as
/// [`ApiJson`] for a missing or wrong field.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value)
        .map_err(|err| json_field_error(&err.path().to_string(), &err.into_inner().to_string()))
}

/// A JSON body that may be left out: no body (or only whitespace) is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::new(body), state)
            .await
            .map_err(|_| {
                AppError::BadRequest(
                    "Kunne ikke lese forespørselen (for stor eller avbrutt).".into(),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let ApiJson(value) = ApiJson::from_request(request, state).await?;
        Ok(OptionalJson(value))
    }
}

/// The query string as `T`; a parameter of the wrong kind is a 422 naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            refuse_nul_text(&value, &name)?;
        }
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(QueryParams)
            .map_err(|err| {
                let path = err.path().to_string();
                AppError::invalid(
                    &path,
                    format!("Parameteren «{path}» i adressen har ugyldig verdi."),
                )
            })
    }
}

/// A multipart form with a file; `F` describes its fields for the API's document.
pub struct FileForm<F>(
    pub axum::extract::Multipart,
    pub std::marker::PhantomData<F>,
);

impl<S: Send + Sync, F> FromRequest<S> for FileForm<F> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(|multipart| FileForm(multipart, std::marker::PhantomData))
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "Forespørselen må være et multipart-skjema med filen i «file» ({}).",
                    e.body_text()
                ))
            })
    }
}
