//! The test app: the real router on a real database, driven by HTTP requests.
//!
//! SQLite (a file per test) by default. With `TILSKUDD_TEST_DATABASE_URL` set to a
//! PostgreSQL URL, every test gets its own database on that server instead (`t_…`, next to
//! the URL's database, which is only used to create them); if that server cannot be
//! reached the test fails, it is never skipped. Either way a test's database is a copy of
//! a template migrated once per test process (and one with the sample data loaded), not
//! migrated afresh.

#![allow(dead_code)]

pub mod client;
pub mod server;
pub mod smtp;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use tilskudd::store::Store;
use tilskudd::{AppState, app};

pub const PG_ENV: &str = "TILSKUDD_TEST_DATABASE_URL";

/// The app's state as `serve` builds it, with the workbook reader being this crate's
/// own binary (a test binary cannot read workbooks in a child process itself).
pub fn test_state(store: Store, demo_mode: bool) -> AppState {
    AppState::new(store, demo_mode).with_uploads(tilskudd::app::uploads::UploadSettings {
        limits: tilskudd::sheets::detect::Limits::default(),
        isolation: tilskudd::sheets::isolate::Isolation::new(env!("CARGO_BIN_EXE_tilskudd").into()),
    })
}

/// Says what a modern browser says of a request from the app's own page
/// (`Sec-Fetch-Site: same-origin`), unless the test already said where it comes from.
/// Old browsers, which say nothing, are tried in `tests/it/security.rs`.
pub fn from_this_site(mut request: Request<Body>) -> Request<Body> {
    let headers = request.headers_mut();
    if !headers.contains_key(header::ORIGIN) && !headers.contains_key("sec-fetch-site") {
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
    }
    request
}

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    /// The session cookie (`name=value`) sent with every request, once logged in.
    pub cookie: Option<String>,
    /// How to reach the same database again (for restarts and the command line).
    pub database_url: String,
    pub pg_schema: Option<String>,
    _dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// The password of every demo user (and of users made by [`TestApp::add_user`]).
pub const DEMO_PASSWORD: &str = "demo";

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated, empty database on the backend the environment chose: the store,
/// its URL, its PostgreSQL schema (none: each test has its own database), and the SQLite
/// file's folder. A copy of the process's template, not a new migration.
pub async fn fresh_store() -> (Store, String, Option<String>, Option<tempfile::TempDir>) {
    fresh_copy(Template::Empty).await
}

/// A database nothing has touched (not even migrated), on the backend the environment
/// chose: its URL, and the SQLite file's folder to keep while it is used.
pub async fn untouched_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => {
            let name = unique_name();
            pg_execute(&url, &format!("CREATE DATABASE {name}")).await;
            (with_database(&url, &name), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("untouched.db").display());
            (url, Some(dir))
        }
    }
}

/// Which template a test's database is copied from.
#[derive(Clone, Copy, PartialEq)]
enum Template {
    /// Migrated, no rows.
    Empty,
    /// Migrated, with the sample data loaded.
    SampleData,
}

async fn fresh_copy(
    template: Template,
) -> (Store, String, Option<String>, Option<tempfile::TempDir>) {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => {
            let template = pg_template(&url, template).await;
            let name = unique_name();
            pg_execute(&url, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
            let test_url = with_database(&url, &name);
            let store = Store::connect(&test_url, None)
                .await
                .unwrap_or_else(|e| panic!("connect to the test database {name}: {e}"));
            (store, test_url, None, None)
        }
        _ => sqlite_copy(template).await,
    }
}

/// A copy of the SQLite template, whatever the environment chose.
async fn sqlite_copy(
    template: Template,
) -> (Store, String, Option<String>, Option<tempfile::TempDir>) {
    let template = sqlite_template(template).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.db");
    std::fs::copy(template, &path).expect("copy the template database");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url, None).await.expect("connect sqlite");
    (store, url, None, Some(dir))
}

// Templates: built once per test process, by whichever test asks first (on its own
// runtime), and kept as plain names, never as pools: a pool belongs to the runtime that
// made it, and every `#[tokio::test]` has its own. Each test then gets a copy: of the
// file on SQLite, `CREATE DATABASE … TEMPLATE …` on PostgreSQL. Names carry the process
// id, so a template left by an earlier run (or the data of a concurrent one) is never
// used.

static SQLITE_EMPTY: tokio::sync::OnceCell<std::path::PathBuf> = tokio::sync::OnceCell::const_new();
static SQLITE_SAMPLE: tokio::sync::OnceCell<std::path::PathBuf> =
    tokio::sync::OnceCell::const_new();
static PG_EMPTY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
static PG_SAMPLE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The SQLite template's file: `target/tmp/templates-<pid>/{empty,sample}.db`.
async fn sqlite_template(template: Template) -> &'static std::path::Path {
    let empty = SQLITE_EMPTY
        .get_or_init(|| async {
            let dir = sqlite_template_dir();
            let path = dir.join("empty.db");
            let store = sqlite_template_store(&path).await;
            store.migrate().await.expect("migrate the template");
            close_sqlite_template(store, &path).await;
            path
        })
        .await;
    if template == Template::Empty {
        return empty;
    }
    SQLITE_SAMPLE
        .get_or_init(|| async {
            let path = empty.with_file_name("sample.db");
            std::fs::copy(empty, &path).expect("copy the empty template");
            let store = sqlite_template_store(&path).await;
            load_sample_data(&store).await;
            close_sqlite_template(store, &path).await;
            path
        })
        .await
}

/// This process's folder for templates under cargo's `target/tmp`; the folders of earlier
/// test processes that have ended are removed.
fn sqlite_template_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("templates-")
                && pid.parse::<u32>().is_ok()
                && pid != std::process::id().to_string()
                && cfg!(target_os = "linux")
                && !std::path::Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = root.join(format!("templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("template folder");
    dir
}

async fn sqlite_template_store(path: &std::path::Path) -> Store {
    Store::connect(&format!("sqlite://{}", path.display()), None)
        .await
        .expect("connect to the template")
}

/// Writes everything from the write-ahead log into the file and closes every connection,
/// so that a plain copy of the file is the whole database.
async fn close_sqlite_template(store: Store, path: &std::path::Path) {
    let Some(pool) = store.sqlite_pool() else {
        unreachable!("a SQLite template")
    };
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .expect("checkpoint the template");
    store.close().await;
    let wal = path.with_extension("db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        wal_len,
        0,
        "{} still holds pages after the checkpoint",
        wal.display()
    );
}

/// The PostgreSQL template's database: `t_tpl_<pid>_…` (the empty one) and the same name
/// with `_sample`. Left behind when the process ends, as the test databases are;
/// `.ci/drop-test-databases` drops them all.
async fn pg_template(url: &str, template: Template) -> &'static str {
    let empty = PG_EMPTY
        .get_or_init(|| async {
            let name = format!("t_tpl{}", &unique_name()[1..]);
            pg_execute(url, &format!("CREATE DATABASE {name}")).await;
            let store = Store::connect(&with_database(url, &name), None)
                .await
                .expect("connect to the template");
            store.migrate().await.expect("migrate the template");
            store.close().await;
            name
        })
        .await;
    if template == Template::Empty {
        return empty;
    }
    PG_SAMPLE
        .get_or_init(|| async {
            let name = format!("{empty}_sample");
            pg_execute(url, &format!("CREATE DATABASE {name} TEMPLATE {empty}")).await;
            let store = Store::connect(&with_database(url, &name), None)
                .await
                .expect("connect to the sample template");
            load_sample_data(&store).await;
            store.close().await;
            name
        })
        .await
}

/// Runs one statement on its own connection to the database of `url` (the test URL's
/// own database, never a template: a template being copied must have no connections).
/// An unreachable PostgreSQL fails the test; it is never skipped.
async fn pg_execute(url: &str, statement: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV}={url}: PostgreSQL is not reachable: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    connection.close().await.expect("close");
}

/// `url` with its database (the path) replaced by `database`; the query is kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    format!("{base}/{database}{query}")
}

#[test]
fn the_database_of_a_url_is_replaced() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "t_1"),
        "postgres://postgres@127.0.0.1:5432/t_1"
    );
    assert_eq!(
        with_database("postgresql://u:p@db/test?sslmode=disable", "t_1"),
        "postgresql://u:p@db/t_1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://db", "t_1"), "postgres://db/t_1");
}

async fn load_sample_data(store: &Store) {
    let outcome = tilskudd::sample::load(store).await.expect("sample data");
    assert!(matches!(
        outcome,
        tilskudd::sample::SampleOutcome::Loaded { .. }
    ));
}

impl TestApp {
    /// An empty database.
    pub async fn new() -> TestApp {
        TestApp::copied_from(Template::Empty).await
    }

    async fn copied_from(template: Template) -> TestApp {
        // A failing test shows the server's own error log (a 500's cause), captured per test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("error")
            .with_test_writer()
            .try_init();
        TestApp::on(fresh_copy(template).await)
    }

    /// An app on a database as `fresh_copy` answers it, not logged in.
    fn on(
        (store, database_url, pg_schema, dir): (
            Store,
            String,
            Option<String>,
            Option<tempfile::TempDir>,
        ),
    ) -> TestApp {
        TestApp {
            router: app(test_state(store.clone(), false)),
            store,
            cookie: None,
            database_url,
            pg_schema,
            _dir: dir.map(std::sync::Arc::new),
        }
    }

    /// Another app instance with its own connection pool on the same database, as a
    /// second server behind a load balancer, or the same server after a restart.
    pub async fn another_instance(&self, demo_mode: bool) -> TestApp {
        self.another_instance_with(demo_mode, tilskudd::web::AuthSettings::default())
            .await
    }

    pub async fn another_instance_with(
        &self,
        demo_mode: bool,
        auth: tilskudd::web::AuthSettings,
    ) -> TestApp {
        let store = Store::connect(&self.database_url, self.pg_schema.as_deref())
            .await
            .expect("connect again");
        TestApp {
            router: app(test_state(store.clone(), demo_mode).with_auth(auth)),
            store,
            cookie: None,
            database_url: self.database_url.clone(),
            pg_schema: self.pg_schema.clone(),
            _dir: self._dir.clone(),
        }
    }

    /// The same database and session with other upload limits or another reader.
    pub fn with_uploads(&self, settings: tilskudd::app::uploads::UploadSettings) -> TestApp {
        TestApp {
            router: app(AppState::new(self.store.clone(), false).with_uploads(settings)),
            store: self.store.clone(),
            cookie: self.cookie.clone(),
            database_url: self.database_url.clone(),
            pg_schema: self.pg_schema.clone(),
            _dir: self._dir.clone(),
        }
    }

    /// The same database and session, fetching from SSB's API at another place (a
    /// stand-in server) with another timeout.
    pub fn with_ssb(&self, settings: tilskudd::app::ssb::SsbSettings) -> TestApp {
        self.with_state(|state| state.with_ssb(settings))
    }

    /// The same database and session, with the app's settings changed.
    pub fn with_state(&self, change: impl FnOnce(AppState) -> AppState) -> TestApp {
        TestApp {
            router: app(change(test_state(self.store.clone(), false))),
            store: self.store.clone(),
            cookie: self.cookie.clone(),
            database_url: self.database_url.clone(),
            pg_schema: self.pg_schema.clone(),
            _dir: self._dir.clone(),
        }
    }

    /// Runs the `tilskudd` binary on this app's database, as an operator would.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with_env(args, &[])
    }

    /// Runs the `tilskudd` binary with these environment variables set as well.
    pub fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tilskudd"));
        command
            .args(args)
            .envs(env.iter().copied())
            .env("DATABASE_URL", &self.database_url)
            .env_remove("TILSKUDD_PG_SCHEMA");
        if let Some(schema) = &self.pg_schema {
            command.env("TILSKUDD_PG_SCHEMA", schema);
        }
        command.output().expect("run tilskudd")
    }

    /// An empty database with one user of this role, logged in.
    pub async fn new_as(role: &str) -> TestApp {
        let mut app = TestApp::new().await;
        app.add_user(role, role, None).await;
        app.login(role).await;
        app
    }

    /// Adds a user with the password [`DEMO_PASSWORD`].
    pub async fn add_user(&self, username: &str, role: &str, organisation_id: Option<i64>) -> i64 {
        let fields = tilskudd::domain::user::UserFields {
            username: username.into(),
            display_name: username.into(),
            email: None,
            roles: vec![tilskudd::domain::user::Role::parse(role).expect("role")],
            organisation: None,
            national_id_hash: None,
        };
        let hash = tilskudd::security::hash_password(DEMO_PASSWORD).unwrap();
        tilskudd::app::accounts::create_user(
            &self.store,
            &fields,
            organisation_id,
            &hash,
            false,
            &tilskudd::domain::audit::Actor::system("test"),
        )
        .await
        .expect("create user")
    }

    /// Logs in through the API and keeps the session cookie for later requests.
    pub async fn login(&mut self, username: &str) -> TestResponse {
        self.cookie = None;
        let response = self
            .post_json(
                "/api/v1/session",
                &serde_json::json!({"username": username, "password": DEMO_PASSWORD}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "login as {username}: {}",
            response.text()
        );
        self.cookie = Some(session_cookie(&response).expect("session cookie"));
        response
    }

    pub fn logout_locally(&mut self) {
        self.cookie = None;
    }

    /// The sample data loaded, as `serve --demo` does (a copy of the template that had
    /// it loaded once for the whole test process).
    pub async fn with_sample_data() -> TestApp {
        TestApp::copied_from(Template::SampleData).await
    }

    /// The sample data on SQLite whatever the environment chose: the source of a move to
    /// PostgreSQL.
    pub async fn sqlite_with_sample_data() -> TestApp {
        TestApp::on(sqlite_copy(Template::SampleData).await)
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        self.request_as_is(from_this_site(request)).await
    }

    /// The request as built (no `Sec-Fetch-Site` added, as an old browser sends it),
    /// with this client's cookie unless it has one.
    pub async fn request_as_is(&self, request: Request<Body>) -> TestResponse {
        let mut request = request;
        if let Some(cookie) = &self.cookie
            && !request.headers().contains_key(header::COOKIE)
        {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        send_exactly(&self.router, request).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> TestResponse {
        self.request(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> TestResponse {
        self.request(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> TestResponse {
        self.send_json(Method::PUT, path, body).await
    }

    /// A multipart upload with `file` and `kind`, as the upload form sends it.
    pub async fn upload(
        &self,
        path: &str,
        filename: &str,
        bytes: &[u8],
        kind: &str,
    ) -> TestResponse {
        self.upload_with(path, filename, bytes, &[("kind", kind)])
            .await
    }

    /// A multipart upload with these text fields beside the file.
    pub async fn upload_with(
        &self,
        path: &str,
        filename: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let (content_type, body) = multipart(fields, filename, bytes);
        self.request(
            Request::post(path)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send_raw(
            Method::POST,
            path,
            "application/x-www-form-urlencoded",
            &body,
        )
        .await
    }

    /// A request as the router gets it, with this client's cookie.
    pub fn with_cookie(&self, request: Request<Body>) -> Request<Body> {
        let mut request = from_this_site(request);
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        request
    }

    /// The id of the round with this name, straight from the store (no login needed).
    pub async fn round_id_as_store(&self, name: &str) -> i64 {
        self.store
            .list_rounds()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.round.name == name)
            .unwrap_or_else(|| panic!("no round named {name}"))
            .round
            .id
    }

    /// The id of the round with this name, through the API.
    pub async fn round_id(&self, name: &str) -> i64 {
        let rounds = self.get("/api/v1/rounds").await.json();
        rounds
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no round named {name}"))["id"]
            .as_i64()
            .unwrap()
    }
}

/// `tilskudd_session=…` from a response's Set-Cookie.
pub fn session_cookie(response: &TestResponse) -> Option<String> {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tilskudd_session=") && !v.starts_with("tilskudd_session=;"))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

impl TestApp {
    /// A new open round in Trøndelag with its deadline 30 days ahead, created by the demo
    /// saksbehandler through the API (on another instance, so this one's login stays).
    pub async fn new_open_round(&self, name: &str) -> i64 {
        let mut officer = self.another_instance(false).await;
        officer.login("saksbehandler").await;
        let deadline = (chrono::Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let created = officer
            .post_json(
                "/api/v1/rounds",
                &serde_json::json!({
                    "name": name, "year": 2026, "region": "Trøndelag",
                    "pool": "5 000 000", "rounding_unit": "1000", "deadline": deadline,
                }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        created.json()["id"].as_i64().unwrap()
    }
}

impl TestApp {
    /// Closes a round for applications before its deadline, as the logged-in officer, so
    /// that a decision can be proposed.
    pub async fn close_round(&self, round_id: i64) {
        let closed = self
            .post_json(
                &format!("/api/v1/rounds/{round_id}/close"),
                &serde_json::json!({"reason": "Alle søknader er kommet inn"}),
            )
            .await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.text());
    }
}

/// A multipart form as the upload form sends it: the text `fields`, then `file`. Answers
/// the content type (with its boundary) and the body.
pub fn multipart(fields: &[(&str, &str)], filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "tilskudd-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A file from `tests/fixtures/` (how each was made: its README).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An upload preview's `errors` or `warnings` as the pages show them:
/// `Budsjett!D7: «12 000,5O» er ikke et beløp.`
pub fn messages(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .iter()
        .map(|p| match (p["sheet"].as_str(), p["cell"].as_str()) {
            (Some(s), Some(c)) => format!("{s}!{c}: {}", p["message"].as_str().unwrap()),
            (Some(s), None) => format!("{s}: {}", p["message"].as_str().unwrap()),
            _ => p["message"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// Sends the request exactly as given (no cookie or headers added) and collects the
/// answer.
pub async fn send_exactly(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router never fails");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}
