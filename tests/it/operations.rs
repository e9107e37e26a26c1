//! Running it for real: readiness and metrics, request ids and JSON logs, the settings
//! file, migrations by instances started at once, and SIGTERM while uploads are under
//! way. The last ones start the `tilskudd` binary itself.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::server::{Server, read_response, request_head};
use common::{TestApp, multipart};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn readyz_says_when_the_schema_is_behind() {
    let app = TestApp::new().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    assert_eq!(ready.text(), "klar");
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);

    // As if this program were newer than the database: one migration not applied.
    let (newest,): (i64,) = app
        .store
        .fetch_one(tilskudd::store::sql(
            "SELECT MAX(version) FROM _sqlx_migrations",
        ))
        .await
        .unwrap();
    app.store
        .execute(
            tilskudd::store::sql("DELETE FROM _sqlx_migrations WHERE version = $1").bind(newest),
        )
        .await
        .unwrap();
    let behind = app.get("/readyz").await;
    assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        behind
            .text()
            .contains(&format!("1 migrering(er) er ikke kjørt ({newest})")),
        "{}",
        behind.text()
    );
    // Alive all the same: the process need not be restarted.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

/// The value of one series in Prometheus' text format.
fn series(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_per_route_template_and_reader_outcomes() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round = app.round_id("Trøndelag 2026 (demo)").await;
    let before = app.get("/metrics").await.text();
    let route = r#"tilskudd_http_requests_total{method="GET",route="/rounds/{id}",status="200"}"#;
    let count_before = series(&before, route).unwrap_or(0.0);
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/rounds/{round}")).await.status,
            StatusCode::OK
        );
    }
    let csv = "Søker;Tildelt\r\nFrosta;100\r\n";
    let upload = app
        .upload(
            &format!("/api/v1/rounds/{round}/uploads"),
            "t.csv",
            csv.as_bytes(),
            "allocations",
        )
        .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.text());
    let workbook = common::fixture("tildeling-filtrert.xlsx");
    app.upload(
        &format!("/api/v1/rounds/{round}/uploads"),
        "t.xlsx",
        &workbook,
        "allocations",
    )
    .await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = response.text();
    assert!(
        series(&text, route).unwrap() >= count_before + 3.0,
        "{text}"
    );
    // The template, never the path: one series for every round.
    assert!(!text.contains(&format!("route=\"/rounds/{round}\"")));
    assert!(text.contains(r#"tilskudd_http_request_duration_seconds_bucket{method="GET",route="/rounds/{id}",le="0.005"}"#), "{text}");
    assert!(
        series(
            &text,
            r#"tilskudd_upload_reads_total{format="csv",outcome="read"}"#
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(
        series(
            &text,
            r#"tilskudd_upload_reads_total{format="xlsx",outcome="read"}"#
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(
        series(&text, r#"tilskudd_outbox_messages{state="backlog"}"#).is_some(),
        "{text}"
    );
    assert!(
        series(&text, r#"tilskudd_db_pool_connections{state="max"}"#).unwrap() >= 1.0,
        "{text}"
    );

    // With a token set, only its bearer sees them.
    let mut guarded = app.another_instance(false).await;
    guarded.router = tilskudd::app(
        common::test_state(guarded.store.clone(), false)
            .with_metrics_token(Some("hemmelig".into())),
    );
    assert_eq!(
        guarded.get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let with_token = guarded
        .request_as_is(
            Request::get("/metrics")
                .header("authorization", "Bearer hemmelig")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(with_token.status, StatusCode::OK);
    let wrong = guarded
        .request_as_is(
            Request::get("/metrics")
                .header("authorization", "Bearer feil")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn request_ids_are_passed_through_or_made() {
    let app = TestApp::new().await;
    let given = app
        .request_as_is(
            Request::get("/healthz")
                .header("x-request-id", "lb-7f3a-0001")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(given.header("x-request-id"), Some("lb-7f3a-0001"));
    let forged = app
        .request_as_is(
            Request::get("/healthz")
                .header("x-request-id", "a\"b c")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let made = forged.header("x-request-id").unwrap().to_string();
    assert_eq!(made.len(), 24, "{made}");
    assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    let missing = app.get("/finnes-ikke").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header("x-request-id").is_some());
}

#[tokio::test]
async fn instances_started_at_once_migrate_once() {
    let (url, _dir) = common::untouched_database().await;
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let store = tilskudd::store::Store::connect(&url, None).await?;
            store.migrate().await?;
            anyhow::Ok(store)
        })
    });
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().expect("every instance starts"));
    }
    for store in &stores {
        assert!(store.pending_migrations().await.unwrap().is_empty());
    }
    let (applied, distinct): (i64, i64) = stores[0]
        .fetch_one(tilskudd::store::sql(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT version) AS BIGINT) FROM _sqlx_migrations",
        ))
        .await
        .unwrap();
    assert_eq!(applied, distinct);
    let folder = match stores[0].backend() {
        tilskudd::store::Backend::Sqlite => "sqlite",
        tilskudd::store::Backend::Postgres => "postgres",
    };
    let files = std::fs::read_dir(format!(
        "{}/migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert_eq!(applied, files as i64);
    for store in stores {
        store.close().await;
    }
}

#[tokio::test]
async fn the_settings_file_sits_under_the_environment_and_the_flags() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tilskudd.toml");
    std::fs::write(
        &file,
        "addr = \"0.0.0.0:8080\"\nmax_upload_mb = 20\nresponse-cache-mb = 8\n\
         smtp_url = \"smtps://post:hemmelig-passord@smtp.example.no:465\"\n\
         mail_from = \"Statsforvalteren <post@example.no>\"\nmetrics_token = \"skjult-token\"\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let output = app.cli_with_env(
        &[
            "config",
            "check",
            "--config",
            path,
            "--response-cache-mb",
            "4",
        ],
        &[("TILSKUDD_MAX_UPLOAD_MB", "30")],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key}: {stdout}"))
            .to_string()
    };
    assert!(
        line("addr").contains("0.0.0.0:8080") && line("addr").contains("fil (addr)"),
        "{stdout}"
    );
    assert!(
        line("max_upload_mb").contains("30")
            && line("max_upload_mb").contains("miljø (TILSKUDD_MAX_UPLOAD_MB)"),
        "{stdout}"
    );
    assert!(
        line("response_cache_mb").contains("4") && line("response_cache_mb").ends_with("flagg"),
        "{stdout}"
    );
    assert!(
        line("session_idle_minutes").contains("480")
            && line("session_idle_minutes").ends_with("standard"),
        "{stdout}"
    );
    assert!(
        stdout.contains("«max_upload_mb» i filen gjelder ikke"),
        "{stdout}"
    );
    // Secrets are masked.
    assert!(!stdout.contains("hemmelig-passord"), "{stdout}");
    assert!(!stdout.contains("skjult-token"), "{stdout}");
    assert!(
        line("smtp_url").contains("smtps://post:***@smtp.example.no:465"),
        "{stdout}"
    );
    assert!(line("metrics_token").contains("*** (satt)"), "{stdout}");

    // A misspelt key stops everything, naming it.
    std::fs::write(&file, "adress = \"0.0.0.0:8080\"\n").unwrap();
    let output = app.cli(&["config", "check", "--config", path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ukjent innstilling «adress»"), "{stderr}");
    // And so does a setting serve would refuse.
    std::fs::write(&file, "smtp_url = \"smtp://localhost:25\"\n").unwrap();
    let output = app.cli(&["config", "check", "--config", path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--mail-from"), "{stderr}");
}

/// An officer's API token for requests to a running server.
async fn officer_token(app: &TestApp) -> String {
    let created = app
        .post_json("/api/v1/me/tokens", &json!({"name": "drift"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    created.json()["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sigterm_lets_running_uploads_finish_and_logs_json() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let token = officer_token(&app).await;
    let round = app.new_open_round("Avslutning").await;
    let mut server = Server::start(
        &app.database_url,
        app.pg_schema.as_deref(),
        &["--log-format", "json", "--shutdown-grace-seconds", "20"],
        &[],
    )
    .await;
    let auth = format!("Bearer {token}");

    // A request with the caller's id, logged as one JSON line with who and how long.
    let answer = server
        .request(
            "GET",
            "/api/v1/me",
            &[("Authorization", &auth), ("X-Request-Id", "proxy-42")],
            b"",
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("x-request-id").as_deref(), Some("proxy-42"));

    // Eight uploads whose bodies are half sent when SIGTERM comes.
    let mut streams = Vec::new();
    for i in 0..8 {
        let table = format!("Søker;Tildelt\r\nFrosta;{}\r\n", 1000 + i);
        let (content_type, body) = multipart(
            &[("kind", "allocations")],
            "tildeling.csv",
            table.as_bytes(),
        );
        let mut stream = server.connect().await.unwrap();
        let head = request_head(
            "POST",
            &format!("/api/v1/rounds/{round}/uploads"),
            &[("Authorization", &auth), ("Content-Type", &content_type)],
            body.len(),
        );
        stream.write_all(&head).await.unwrap();
        let half = body.len() / 2;
        stream.write_all(&body[..half]).await.unwrap();
        stream.flush().await.unwrap();
        streams.push((stream, body[half..].to_vec()));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No new connection is taken any more.
    assert!(
        server.request("GET", "/healthz", &[], b"").await.is_err(),
        "a new connection was served after SIGTERM"
    );
    let mut ids = Vec::new();
    for (mut stream, rest) in streams {
        stream.write_all(&rest).await.unwrap();
        let answer = read_response(&mut stream).await.unwrap();
        assert_eq!(answer.status, 201, "{answer:?}");
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        ids.push(body["id"].as_i64().unwrap());
    }
    let status = server.wait(Duration::from_secs(30)).await;
    assert!(status.success(), "{status}: {:#?}", server.lines());

    // Every upload that was answered is there, with its original.
    for id in &ids {
        let upload = app.get(&format!("/api/v1/uploads/{id}")).await;
        assert_eq!(upload.status, StatusCode::OK, "{}", upload.text());
        assert_eq!(
            app.get(&format!("/uploads/{id}/file")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(ids.len(), 8);

    let lines = server.lines();
    let logged: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert!(!logged.is_empty(), "{lines:#?}");
    let me = logged
        .iter()
        .find(|l| l["span"]["request_id"] == "proxy-42" && l["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(me["span"]["route"], "/api/v1/me");
    assert_eq!(me["span"]["method"], "GET");
    assert_eq!(me["fields"]["status"], 200);
    assert!(me["fields"]["latency_ms"].as_f64().is_some(), "{me}");
    assert!(me["span"]["user_id"].as_i64().is_some(), "{me}");
    assert!(
        logged.iter().any(|l| l["fields"]["signal"] == "SIGTERM"),
        "{lines:#?}"
    );
}

/// Runs the command line off the test's runtime (it may take a while).
async fn cli(app: &TestApp, args: &[&str], database_url: &str) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tilskudd"));
    command
        .args(&args)
        .env("DATABASE_URL", database_url)
        .env_remove("TILSKUDD_PG_SCHEMA")
        .env_remove("TILSKUDD_CONFIG");
    if let Some(schema) = &app.pg_schema {
        command.env("TILSKUDD_PG_SCHEMA", schema);
    }
    tokio::task::spawn_blocking(move || command.output().expect("run tilskudd"))
        .await
        .unwrap()
}

fn said(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn round_count(app: &TestApp) -> usize {
    app.get("/api/v1/rounds")
        .await
        .json()
        .as_array()
        .unwrap()
        .len()
}

/// An app on another database, logged in as the officer.
async fn officer_on(url: &str, dir_of: &TestApp) -> TestApp {
    let mut other = dir_of.another_instance(false).await;
    other.store = tilskudd::store::Store::connect(url, None).await.unwrap();
    other.router = tilskudd::app(common::test_state(other.store.clone(), false));
    other.database_url = url.to_string();
    other.login("saksbehandler").await;
    other
}

#[tokio::test]
async fn a_backup_taken_while_the_server_writes_restores_with_the_originals() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round = app.new_open_round("Før kopien").await;
    let original = "Søker;Tildelt\r\nFrosta;4242\r\n".as_bytes();
    let upload = app
        .upload(
            &format!("/api/v1/rounds/{round}/uploads"),
            "original.csv",
            original,
            "allocations",
        )
        .await;
    let upload_id = upload.json()["id"].as_i64().unwrap();
    let before = round_count(&app).await;

    // The server goes on making rounds while the backup is taken.
    let writer = app.another_instance(false).await;
    let writing = tokio::spawn(async move {
        let mut writer = writer;
        writer.login("saksbehandler").await;
        let mut made = 0;
        for i in 0..40 {
            let created = writer
                .post_json(
                    "/api/v1/rounds",
                    &json!({"name": format!("Under kopien {i}"), "year": 2026, "region": "Trøndelag", "pool": "100000", "rounding_unit": "1"}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
            made += 1;
        }
        made
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tilskudd.backup");
    let file_text = file.to_str().unwrap();
    let output = cli(&app, &["backup", file_text], &app.database_url).await;
    assert!(output.status.success(), "{}", said(&output));
    let made = writing.await.unwrap();
    assert_eq!(made, 40);
    // A database that is not there is not backed up as an empty one.
    let missing = cli(
        &app,
        &["backup", &format!("{file_text}.2")],
        "sqlite:///finnes/ikke.db",
    )
    .await;
    assert!(!missing.status.success());
    assert!(said(&missing).contains("finnes ikke"), "{}", said(&missing));
    // A second backup never overwrites the first.
    let again = cli(&app, &["backup", file_text], &app.database_url).await;
    assert!(!again.status.success());
    assert!(said(&again).contains("finnes allerede"), "{}", said(&again));

    let (target, _target_dir) = common::untouched_database().await;
    let restored = cli(&app, &["restore", file_text], &target).await;
    assert!(restored.status.success(), "{}", said(&restored));
    let text = said(&restored);
    if app.database_url.starts_with("sqlite:") {
        assert!(text.contains("kopiert og kontrollert"), "{text}");
        assert!(!text.contains("ULIK"), "{text}");
    } else {
        assert!(text.contains("pg_restore"), "{text}");
    }

    // The restored database is whole: what existed before is there, with the file.
    let copy = officer_on(&target, &app).await;
    let rounds = round_count(&copy).await;
    assert!(
        (before..=before + 40).contains(&rounds),
        "{before} ≤ {rounds} ≤ {}",
        before + 40
    );
    let file = copy.get(&format!("/uploads/{upload_id}/file")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body.as_slice(), original);
    // New rows continue after the restored ids.
    let new_round = copy.new_open_round("Etter gjenoppretting").await;
    assert!(new_round > round, "{new_round} > {round}");

    // A database with data is never restored into.
    let refused = cli(&app, &["restore", file_text], &target).await;
    assert!(!refused.status.success());
    assert!(
        said(&refused).contains("ikke tom") || said(&refused).contains("har allerede tabeller"),
        "{}",
        said(&refused)
    );
}

#[tokio::test]
async fn copy_data_moves_an_sqlite_database_and_checks_every_table() {
    let mut source = TestApp::sqlite_with_sample_data().await;
    source.login("saksbehandler").await;
    let round = source.new_open_round("Flyttes").await;
    let original = "Søker;Tildelt\r\nSnåsa;1000\r\n".as_bytes();
    let upload = source
        .upload(
            &format!("/api/v1/rounds/{round}/uploads"),
            "flytt.csv",
            original,
            "allocations",
        )
        .await;
    let upload_id = upload.json()["id"].as_i64().unwrap();
    let audit_before = source.get("/api/v1/audit").await.json();

    // The target is PostgreSQL when the suite runs there, else another SQLite file.
    let (target, _target_dir) = common::untouched_database().await;
    let output = cli(
        &source,
        &["copy-data", "--from", &source.database_url, "--to", &target],
        &source.database_url,
    )
    .await;
    assert!(output.status.success(), "{}", said(&output));
    let text = said(&output);
    for table in [
        "rounds",
        "uploads",
        "audit_events",
        "municipalities",
        "observations",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{table} ")))
            .unwrap_or_else(|| panic!("{table}: {text}"));
        assert!(line.contains("lik ("), "{line}");
    }

    let copy = officer_on(&target, &source).await;
    assert_eq!(round_count(&copy).await, round_count(&source).await);
    let file = copy.get(&format!("/uploads/{upload_id}/file")).await;
    assert_eq!(file.body.as_slice(), original);
    let audit_after = copy.get("/api/v1/audit").await.json();
    let actions = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // The log came along, and says it was copied.
    assert!(actions(&audit_after).contains(&"database.copied".to_string()));
    for action in actions(&audit_before) {
        assert!(actions(&audit_after).contains(&action), "{action}");
    }
    assert!(copy.new_open_round("Ny etter flytting").await > round);

    // A second copy into the filled target is refused, naming what is there.
    let again = cli(
        &source,
        &["copy-data", "--from", &source.database_url, "--to", &target],
        &source.database_url,
    )
    .await;
    assert!(!again.status.success());
    assert!(
        said(&again).contains("måldatabasen er ikke tom"),
        "{}",
        said(&again)
    );
    assert!(said(&again).contains("rounds ("), "{}", said(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_take_200_concurrent_amount_writes_without_a_5xx() {
    let mut first = TestApp::with_sample_data().await;
    first.login("saksbehandler").await;
    let mut second = first.another_instance(false).await;
    second.cookie = first.cookie.clone();
    let round = first.round_id("Trøndelag 2026 (demo)").await;
    let applications: Vec<i64> =
        first.get(&format!("/api/v1/rounds/{round}")).await.json()["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
    let instances = [std::sync::Arc::new(first), std::sync::Arc::new(second)];
    let mut tasks = Vec::new();
    for i in 0..200usize {
        let app = std::sync::Arc::clone(&instances[i % 2]);
        let id = applications[i % applications.len()];
        tasks.push(tokio::spawn(async move {
            // Read, then write: as two officers editing the same rows at once.
            let current = app.get(&format!("/api/v1/applications/{id}")).await;
            if current.status != StatusCode::OK {
                return (current.status, current.text());
            }
            let version = current.json()["version"].as_i64().unwrap();
            let written = app
                .put_json(
                    &format!("/api/v1/applications/{id}/allocation"),
                    &json!({"amount": format!("{}", 10_000 + i * 10), "version": version, "reason": "Samtidig"}),
                )
                .await;
            (written.status, written.text())
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(!status.is_server_error(), "{status}: {body}");
        assert!(
            matches!(status, StatusCode::OK | StatusCode::CONFLICT),
            "{status}: {body}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    // Every application took at least its first write; later ones may meet a newer version.
    assert!(ok >= applications.len(), "{ok} writes went through");
    // Both instances are still whole, and agree.
    for app in &instances {
        assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    }
    let a = instances[0]
        .get(&format!("/api/v1/rounds/{round}"))
        .await
        .json();
    let b = instances[1]
        .get(&format!("/api/v1/rounds/{round}"))
        .await
        .json();
    assert_eq!(a["proposed_total"], b["proposed_total"]);
}
