//! GET answers kept in memory while nothing changes.
//!
//! A logged-in caller's page or JSON answer is kept under everything it can depend on:
//! the data version the request began at (it changes with every committed write, made
//! by any instance, see `store::Caller`), the date (for what the calendar decides, such
//! as a deadline passing), the user, the request's cookies (the page's form token comes
//! from one), and the URL and headers that choose what is answered. Only whole 200
//! answers of HTML or JSON that set no cookie are kept, so access checks, redirects,
//! errors, downloads and new sessions all go through the handlers every time.
//!
//! When the data version moves on, everything kept is dropped at once: nothing old is
//! ever served, and memory stays bounded by what one version's reads produce (and by
//! the configured size, 32 MB unless `--response-cache-mb` says otherwise).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Caller;

/// The most one answer may be to be kept.
const MAX_ENTRY_BYTES: u64 = 512 * 1024;
/// The most all kept answers may be together unless configured.
const DEFAULT_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Request headers that can change an answer, besides the cookies.
const VARYING_HEADERS: [header::HeaderName; 4] = [
    header::HOST,
    header::ACCEPT,
    header::COOKIE,
    header::AUTHORIZATION,
];

pub struct ResponseCache {
    kept: Mutex<Kept>,
    /// Beyond it, answers are not kept; 0 keeps none.
    max_bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache::new(DEFAULT_MAX_BYTES)
    }
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseCache")
    }
}

#[derive(Default)]
struct Kept {
    /// (data version, day) of every answer in `answers`.
    generation: (i64, i64),
    answers: HashMap<Key, Arc<Answer>>,
    bytes: usize,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    user_id: i64,
    uri: String,
    headers: Vec<Option<Vec<u8>>>,
    forwarded_proto: Option<Vec<u8>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// What a lookup found: an answer, a place to keep one, or neither (an older request
/// than what is kept may neither read nor replace newer answers; or keeping is off).
enum Lookup {
    Hit(Arc<Answer>),
    Miss,
    Outdated,
}

impl ResponseCache {
    pub fn new(max_bytes: usize) -> Self {
        ResponseCache {
            kept: Mutex::default(),
            max_bytes,
        }
    }

    fn lookup(&self, generation: (i64, i64), key: &Key) -> Lookup {
        if self.max_bytes == 0 {
            return Lookup::Outdated;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if generation < kept.generation {
            return Lookup::Outdated;
        }
        if generation > kept.generation {
            kept.generation = generation;
            kept.answers.clear();
            kept.bytes = 0;
        }
        match kept.answers.get(key) {
            Some(answer) => Lookup::Hit(Arc::clone(answer)),
            None => Lookup::Miss,
        }
    }

    fn keep(&self, generation: (i64, i64), key: Key, answer: Arc<Answer>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.generation != generation || kept.bytes + answer.body.len() > self.max_bytes {
            return;
        }
        kept.bytes += answer.body.len();
        if let Some(old) = kept.answers.insert(key, answer) {
            kept.bytes -= old.body.len();
        }
    }
}

fn day_now() -> i64 {
    use chrono::Datelike;
    i64::from(crate::clock::today_oslo().num_days_from_ce())
}

fn worth_keeping(response: &Response) -> bool {
    let headers = response.headers();
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && (kind.starts_with("text/html") || kind.starts_with("application/json"))
        && response
            .body()
            .size_hint()
            .upper()
            .is_some_and(|n| n <= MAX_ENTRY_BYTES)
}

/// Middleware (inside `auth::identify`): answers a logged-in caller's GET from memory
/// when the same request was answered at the same data version and date.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(caller) = request.extensions().get::<Caller>() else {
        return next.run(request).await;
    };
    // Health and metrics say how things are now, not as of the data's last change.
    let live = matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics");
    if request.method() != Method::GET || live {
        return next.run(request).await;
    }
    let generation = (caller.data_version, day_now());
    let headers = request.headers();
    let key = Key {
        user_id: caller.principal.user_id,
        uri: request.uri().to_string(),
        headers: VARYING_HEADERS
            .iter()
            .map(|name| headers.get(name).map(|v| v.as_bytes().to_vec()))
            .collect(),
        forwarded_proto: headers
            .get("x-forwarded-proto")
            .map(|v| v.as_bytes().to_vec()),
    };
    let cache = &state.response_cache;
    match cache.lookup(generation, &key) {
        Lookup::Hit(answer) => return answer.response(),
        Lookup::Outdated => return next.run(request).await,
        Lookup::Miss => {}
    }
    let response = next.run(request).await;
    if !worth_keeping(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_ENTRY_BYTES as usize).await {
        Ok(body) => body,
        Err(err) => {
            let err = anyhow::anyhow!("an answer could not be read to keep: {err}");
            return crate::error::AppError::Internal(err).into_response();
        }
    };
    let answer = Arc::new(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    });
    cache.keep(generation, key, Arc::clone(&answer));
    answer.response()
}
