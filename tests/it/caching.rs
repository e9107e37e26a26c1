//! What is kept in memory between requests (the municipality register, GET answers)
//! stays correct: a change made through another instance, or the CLI, is seen by the
//! next request, and nothing kept for one caller is shown to another.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};

async fn demo_application(app: &TestApp) -> (i64, i64) {
    let rounds = app.get("/api/v1/rounds").await.json();
    let round = rounds
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["application_count"] == 25)
        .expect("the demo round")["id"]
        .as_i64()
        .unwrap();
    let body = app.get(&format!("/api/v1/rounds/{round}")).await.json();
    (round, body["applications"][0]["id"].as_i64().unwrap())
}

#[tokio::test]
async fn a_change_through_another_instance_is_seen_by_the_next_read() {
    let mut a = TestApp::with_sample_data().await;
    a.login("saksbehandler").await;
    let mut b = a.another_instance(false).await;
    b.login("saksbehandler").await;
    let (round, id) = demo_application(&a).await;
    let path = format!("/api/v1/applications/{id}");

    let before = a.get(&path).await.json();
    assert_eq!(before["proposed"], Value::Null);
    assert_eq!(a.get(&path).await.json(), before, "the same answer twice");
    let page_before = a.get(&format!("/applications/{id}")).await.text();
    let round_before = a.get(&format!("/rounds/{round}")).await.text();

    let written = b
        .put_json(
            &format!("{path}/allocation"),
            &json!({"amount": "123000", "version": before["version"]}),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());

    let after = a.get(&path).await.json();
    assert_eq!(after["proposed"], "123000");
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    let page_after = a.get(&format!("/applications/{id}")).await.text();
    assert_ne!(page_after, page_before);
    assert!(page_after.contains("123\u{a0}000"), "{page_after}");
    assert_ne!(
        a.get(&format!("/rounds/{round}")).await.text(),
        round_before
    );
}

#[tokio::test]
async fn a_change_made_from_the_command_line_is_seen_by_the_next_read() {
    let app = TestApp::new_as("admin").await;
    let usernames = |body: Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(usernames(app.get("/api/v1/users").await.json()), ["admin"]);
    let out = app.cli(&[
        "user",
        "add",
        "--username",
        "ny-leser",
        "--role",
        "lesetilgang",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        usernames(app.get("/api/v1/users").await.json()),
        ["admin", "ny-leser"]
    );
}

#[tokio::test]
async fn the_register_is_read_again_when_another_instance_changes_it() {
    let mut a = TestApp::with_sample_data().await;
    a.login("saksbehandler").await;
    let b = a.another_instance(false).await;
    let search = "/api/v1/municipalities?q=Nykommune";
    let found = |body: Value| body["municipalities"].as_array().unwrap().len();
    assert_eq!(found(a.get(search).await.json()), 0);

    let mut tx = b.store.begin().await.unwrap();
    tilskudd::store::insert_division(
        &mut tx,
        2031,
        &[tilskudd::domain::kommune::Municipality {
            number: tilskudd::domain::kommune::Kommunenummer::parse("5099").unwrap(),
            name: "Nykommune".into(),
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(found(a.get(search).await.json()), 1);
}

#[tokio::test]
async fn a_change_that_bypasses_the_app_is_not_seen_until_the_next_write() {
    // What is kept is kept: this shows the cache is in use, and why every write must go
    // through a transaction of the app (`Tx::commit` moves the version).
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let (_, id) = demo_application(&app).await;
    let path = format!("/api/v1/applications/{id}");
    let title = app.get(&path).await.json()["project_title"].clone();

    let raw = "UPDATE applications SET project_title = 'Endret utenom' WHERE id = $1";
    if let Some(pool) = app.store.sqlite_pool() {
        sqlx::query(raw).bind(id).execute(pool).await.unwrap();
    } else {
        let pool = app.store.pg_pool().unwrap();
        sqlx::query(raw).bind(id).execute(pool).await.unwrap();
    }
    assert_eq!(app.get(&path).await.json()["project_title"], title);

    let mut tx = app.store.begin().await.unwrap();
    tx.execute(tilskudd::store::sql(
        "UPDATE rounds SET description = description",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        app.get(&path).await.json()["project_title"],
        "Endret utenom"
    );
}

#[tokio::test]
async fn what_is_kept_for_one_caller_is_not_shown_to_another() {
    let mut officer = TestApp::with_sample_data().await;
    officer.login("saksbehandler").await;
    let (round, id) = demo_application(&officer).await;
    let path = format!("/api/v1/applications/{id}");
    let application = officer.get(&path).await;
    assert_eq!(application.status, StatusCode::OK);
    assert_ne!(application.json()["kommunenummer"], "5001");
    let officer_round = officer.get(&format!("/api/v1/rounds/{round}")).await.json();
    assert!(officer_round.get("applications").is_some());

    // Trondheim's user on the same app, and so with the same kept answers.
    let mut municipality = officer.another_instance(true).await;
    municipality.router = officer.router.clone();
    municipality.login("trondheim").await;
    let theirs = municipality.get(&path).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text());
    let their_round = municipality
        .get(&format!("/api/v1/rounds/{round}"))
        .await
        .json();
    assert_ne!(their_round, officer_round);
    assert!(their_round.get("applications").is_none_or(|a| {
        a.as_array()
            .unwrap()
            .iter()
            .all(|a| a["kommunenummer"] == "5001")
    }));

    // Logged out: the kept answer is not served to the old cookie.
    let cookie = officer.cookie.clone();
    let out = officer
        .request(
            axum::http::Request::delete("/api/v1/session")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(out.status.is_success(), "{}", out.text());
    officer.cookie = cookie;
    assert_eq!(officer.get(&path).await.status, StatusCode::UNAUTHORIZED);
}

/// PostgreSQL: `store` learns of changes by LISTEN/NOTIFY from now on; waits until it
/// has its first reading. `None` on SQLite, which always asks.
async fn follow(store: &tilskudd::store::Store) -> Option<()> {
    store.pg_pool()?;
    store.follow_changes();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !store.follows_changes() {
        assert!(std::time::Instant::now() < deadline, "no first reading");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Some(())
}

/// Repeats `read` until `done` holds of its answer, for what arrives by announcement.
async fn eventually<T>(
    mut read: impl AsyncFnMut() -> T,
    done: impl Fn(&T) -> bool,
    what: &str,
) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = read().await;
        if done(&answer) {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_following_instance_answers_a_known_caller_without_asking_until_something_changes() {
    let mut a = TestApp::with_sample_data().await;
    if follow(&a.store).await.is_none() {
        return; // SQLite: nothing is announced; every request asks (the tests above).
    }
    a.login("saksbehandler").await;
    let (_, id) = demo_application(&a).await;
    let path = format!("/api/v1/applications/{id}");
    assert_eq!(a.get(&path).await.status, StatusCode::OK);

    // Sessions removed behind the app's back: no version moves, so the following
    // instance goes on from memory, while one that asks sees it at once.
    let pool = a.store.pg_pool().unwrap();
    sqlx::query("DELETE FROM sessions")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(a.get(&path).await.status, StatusCode::OK);
    let mut asking = a.another_instance(false).await;
    asking.cookie = a.cookie.clone();
    assert_eq!(asking.get(&path).await.status, StatusCode::UNAUTHORIZED);

    // Any change through the app (here a login on the other instance) is announced, and
    // the following instance asks again.
    asking.login("godkjenner").await;
    eventually(
        async || a.get(&path).await.status,
        |status| *status == StatusCode::UNAUTHORIZED,
        "the following instance asks again after a change",
    )
    .await;
}

#[tokio::test]
async fn a_following_instance_sees_its_own_change_at_once_and_another_instances_soon() {
    let mut a = TestApp::with_sample_data().await;
    if follow(&a.store).await.is_none() {
        return; // SQLite: see a_change_through_another_instance_is_seen_by_the_next_read.
    }
    a.login("saksbehandler").await;
    let mut b = a.another_instance(false).await;
    b.login("saksbehandler").await;
    let (_, id) = demo_application(&a).await;
    let path = format!("/api/v1/applications/{id}");
    let before = a.get(&path).await.json();

    let written = a
        .put_json(
            &format!("{path}/allocation"),
            &json!({"amount": "1000", "version": before["version"]}),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    assert_eq!(a.get(&path).await.json()["proposed"], "1000");

    let version = a.get(&path).await.json()["version"].clone();
    let written = b
        .put_json(
            &format!("{path}/allocation"),
            &json!({"amount": "2000", "version": version}),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    eventually(
        async || a.get(&path).await.json()["proposed"].clone(),
        |proposed| proposed == "2000",
        "another instance's change reaches the following one",
    )
    .await;
}

#[tokio::test]
async fn a_following_store_knows_its_own_commit_before_the_announcement() {
    let app = TestApp::new().await;
    if follow(&app.store).await.is_none() {
        return; // SQLite: nothing to follow.
    }
    let in_database = async || {
        let (sum,): (i64,) = app
            .store
            .fetch_one(tilskudd::store::sql(
                "SELECT CAST(SUM(version) AS BIGINT) FROM data_versions",
            ))
            .await
            .unwrap();
        sum
    };
    for _ in 0..20 {
        let mut tx = app.store.begin().await.unwrap();
        tx.execute(tilskudd::store::sql(
            "UPDATE data_versions SET version = version WHERE name = 'writes'",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // No await between the commit and this look: only the commit itself can have
        // told the store.
        let known = app.store.known_data_version();
        assert_eq!(known, Some(in_database().await));
    }
}
