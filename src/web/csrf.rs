//! Cross-site request forgery: a request that changes something must come from this
//! site's own pages.
//!
//! A modern browser says where a request comes from: `Sec-Fetch-Site` must be
//! `same-origin` (or `none`, typed by the user) and `Origin`, when sent, must be this
//! site's scheme, host and port. A browser that sends neither (an old one) gets the
//! double-submit check instead: the same random token in a `SameSite=Strict` cookie and in
//! the form (`_csrf`) or the `X-CSRF-Token` header. Another site can make a browser send
//! the cookie, but cannot read it to put it in the form.
//!
//! A request with an `Authorization` header or a body no HTML form can send (JSON, say)
//! cannot be forged by another site without the browser asking first (CORS), so it needs
//! no token.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::{AuthSettings, came_over_https, cookie_value};
use crate::error::AppError;

/// The form field that carries the token.
pub const FORM_FIELD: &str = "_csrf";
/// The header that carries the token for scripts.
pub const HEADER: &str = "x-csrf-token";
/// Cookie names: with HTTPS the `__Host-` prefix stops a sibling subdomain from setting
/// the cookie to a value it knows.
const COOKIE: &str = "tilskudd_csrf";
const COOKIE_HTTPS: &str = "__Host-tilskudd_csrf";

tokio::task_local! {
    /// The token of the request being answered, for the forms its page renders.
    static FORM_TOKEN: String;
}

/// The token to put in the `_csrf` field of every form on the page being rendered.
pub fn form_token() -> String {
    FORM_TOKEN.try_with(Clone::clone).unwrap_or_default()
}

/// What the headers alone say about a request.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Allowed,
    CrossSite,
    /// No `Origin` and no `Sec-Fetch-Site`, and a body a form could have sent.
    NeedsToken,
}

/// This site's origin as a browser writes it (`https://host[:port]`), lower case and
/// without the default port; `None` when the request names no host.
pub(crate) fn own_origin(
    headers: &HeaderMap,
    uri_host: Option<&str>,
    settings: &AuthSettings,
) -> Option<String> {
    // Normalised once, when the setting was read.
    if let Some(origin) = &settings.public_origin {
        return Some(origin.clone());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(uri_host)?;
    let scheme = if settings.force_secure_cookie || came_over_https(headers) {
        "https"
    } else {
        "http"
    };
    normalise_origin(&format!("{scheme}://{host}"))
}

/// `scheme://host[:port]` in one spelling: lower case, the default port left out.
/// Anything else (a path, user info, an unknown scheme, `null`) is `None`.
pub fn normalise_origin(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty()
        || rest.chars().any(|c| {
            matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace() || c.is_control()
        })
    {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    // A port follows the last colon, unless that colon is inside an IPv6 literal.
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest.as_str(), None),
    };
    match port {
        None => Some(format!("{scheme}://{host}")),
        Some(port) if port == default_port => Some(format!("{scheme}://{host}")),
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("{scheme}://{host}:{port}"))
        }
        Some(_) => None,
    }
}

/// Whether an HTML form on another site could have sent this body: no body type, or one
/// of the three a form can send without the browser asking first.
fn form_could_send(headers: &HeaderMap) -> bool {
    matches!(
        content_type(headers).as_str(),
        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain" | ""
    )
}

/// The body's media type without parameters, lower case; empty when none is given.
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn judge(method: &Method, headers: &HeaderMap, own_origin: Option<&str>) -> Verdict {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Verdict::Allowed;
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("null"));
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or("").to_ascii_lowercase());
    if let Some(origin) = origin {
        let same = normalise_origin(origin).is_some_and(|o| Some(o.as_str()) == own_origin);
        if !same {
            return Verdict::CrossSite;
        }
    }
    if let Some(site) = &fetch_site
        && !matches!(site.as_str(), "same-origin" | "none")
    {
        return Verdict::CrossSite;
    }
    if origin.is_some() || fetch_site.is_some() {
        return Verdict::Allowed;
    }
    if headers.contains_key(header::AUTHORIZATION) || !form_could_send(headers) {
        return Verdict::Allowed;
    }
    Verdict::NeedsToken
}

fn cross_site() -> Response {
    AppError::Forbidden("Forespørselen kom fra et annet nettsted og ble avvist (CSRF-vern).".into())
        .into_response()
}

fn missing_token() -> Response {
    AppError::Forbidden(
        "Skjemaet manglet sikkerhetsfeltet som viser at det kom fra tilskudd (CSRF-vern). \
         Last siden på nytt og send skjemaet igjen."
            .into(),
    )
    .into_response()
}

fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares without stopping at the first difference, so timing does not tell how much
/// of a guess was right.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The token a form or script sent: the header, or the `_csrf` field of a form body.
/// Gives the request back with its body intact.
async fn submitted_token(request: Request) -> Result<(Option<String>, Request), Response> {
    if let Some(value) = request.headers().get(HEADER) {
        let token = value.to_str().ok().map(str::to_string);
        return Ok((token, request));
    }
    let (parts, body) = request.into_parts();
    // The body limit outside this layer bounds what is read here.
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| {
        AppError::BadRequest("Forespørselen var for stor eller ble avbrutt.".into()).into_response()
    })?;
    let token = match content_type(&parts.headers).as_str() {
        "application/x-www-form-urlencoded" => {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|fields| fields.into_iter().find(|(k, _)| k == FORM_FIELD))
                .map(|(_, v)| v)
        }
        "multipart/form-data" => {
            let copy = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
            match Multipart::from_request(copy, &()).await {
                Ok(mut multipart) => {
                    let mut found = None;
                    while let Ok(Some(field)) = multipart.next_field().await {
                        if field.name() == Some(FORM_FIELD) {
                            found = field.text().await.ok();
                            break;
                        }
                    }
                    found
                }
                Err(_) => None,
            }
        }
        _ => None,
    };
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// Middleware: refuses forged state changes and hands out the token.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let https = state.auth.force_secure_cookie || came_over_https(headers);
    let cookie_name = if https { COOKIE_HTTPS } else { COOKIE };
    let existing = cookie_value(headers, cookie_name).filter(|t| well_formed(t));
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let verdict = if safe {
        Verdict::Allowed
    } else {
        let own = own_origin(headers, request.uri().host(), &state.auth);
        judge(request.method(), headers, own.as_deref())
    };
    let request = match verdict {
        Verdict::Allowed => request,
        Verdict::CrossSite => return cross_site(),
        Verdict::NeedsToken => {
            let (sent, request) = match submitted_token(request).await {
                Ok(found) => found,
                Err(response) => return response,
            };
            match (&existing, sent) {
                (Some(expected), Some(sent)) if same_token(expected, &sent) => request,
                _ => return missing_token(),
            }
        }
    };
    let token = match &existing {
        Some(token) => token.clone(),
        None => match crate::security::new_token("") {
            Ok((token, _)) => token,
            Err(err) => return AppError::Internal(err).into_response(),
        },
    };
    let hands_out = existing.is_none() && !is_api_or_asset(request.uri().path());
    let mut response = FORM_TOKEN.scope(token.clone(), next.run(request)).await;
    if hands_out {
        let value = format!(
            "{cookie_name}={token}; Path=/; HttpOnly; SameSite=Strict{}",
            if https { "; Secure" } else { "" }
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Scripts and assets need no form token; only pages hand it out.
fn is_api_or_asset(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/static/") || path == "/healthz"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        let own = Some("https://tilskudd.example");
        let post = Method::POST;
        let judge_origin = |origin: &str| judge(&post, &headers(&[FORM, ("origin", origin)]), own);
        assert_eq!(judge_origin("https://tilskudd.example"), Verdict::Allowed);
        assert_eq!(
            judge_origin("https://TILSKUDD.example:443"),
            Verdict::Allowed
        );
        assert_eq!(judge_origin("http://tilskudd.example"), Verdict::CrossSite);
        assert_eq!(
            judge_origin("https://tilskudd.example:8443"),
            Verdict::CrossSite
        );
        assert_eq!(
            judge_origin("https://tilskudd.example.evil"),
            Verdict::CrossSite
        );
        assert_eq!(judge_origin("null"), Verdict::CrossSite);
        assert_eq!(
            judge_origin("https://x@tilskudd.example"),
            Verdict::CrossSite
        );
    }

    #[test]
    fn fetch_site_must_be_same_origin() {
        let own = Some("http://localhost:3000");
        let post = Method::POST;
        let site = |s: &str| judge(&post, &headers(&[FORM, ("sec-fetch-site", s)]), own);
        assert_eq!(site("same-origin"), Verdict::Allowed);
        assert_eq!(site("none"), Verdict::Allowed);
        assert_eq!(site("same-site"), Verdict::CrossSite);
        assert_eq!(site("cross-site"), Verdict::CrossSite);
        // A right Sec-Fetch-Site does not excuse a wrong Origin.
        let both = headers(&[
            FORM,
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://localhost:3001"),
        ]);
        assert_eq!(judge(&post, &both, own), Verdict::CrossSite);
    }

    #[test]
    fn without_either_header_only_what_a_form_could_send_needs_the_token() {
        let post = Method::POST;
        assert_eq!(judge(&post, &headers(&[FORM]), None), Verdict::NeedsToken);
        assert_eq!(judge(&post, &headers(&[]), None), Verdict::NeedsToken);
        let plain = headers(&[("content-type", "text/plain;charset=UTF-8")]);
        assert_eq!(judge(&post, &plain, None), Verdict::NeedsToken);
        let multipart = headers(&[("content-type", "multipart/form-data; boundary=x")]);
        assert_eq!(judge(&post, &multipart, None), Verdict::NeedsToken);
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(judge(&post, &json, None), Verdict::Allowed);
        let bearer = headers(&[FORM, ("authorization", "Bearer abc")]);
        assert_eq!(judge(&post, &bearer, None), Verdict::Allowed);
        assert_eq!(judge(&Method::GET, &headers(&[]), None), Verdict::Allowed);
    }

    #[test]
    fn tokens_compare_whole() {
        let token = "a".repeat(64);
        assert!(well_formed(&token));
        assert!(!well_formed("abc"));
        assert!(same_token(&token, &"a".repeat(64)));
        assert!(!same_token(&token, &format!("{}b", "a".repeat(63))));
        assert!(!same_token(&token, "a"));
    }
}
