//! Who may do what: every route's access rule, kommune isolation, CSRF, throttling,
//! sessions in the database, API tokens and the audit log.

use crate::common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{TestApp, session_cookie};
use serde_json::{Value, json};
use tilskudd::web::{Access, route_table};

/// Who may use each route. A route added to the app but not here fails
/// `every_route_is_in_the_access_table`, so no route goes unchecked.
const PUBLIC: &[&str] = &["*"];
const LOGGED_IN: &[&str] = &["admin", "saksbehandler", "godkjenner", "leser", "trondheim"];
const ALL_ROLES: &[&str] = LOGGED_IN;
const OFFICER: &[&str] = &["saksbehandler", "godkjenner"];
const APPLICANT_OR_OFFICER: &[&str] = &["saksbehandler", "godkjenner", "trondheim"];
const APPLICANT: &[&str] = &["trondheim"];
const AUDIT: &[&str] = &["admin", "saksbehandler", "godkjenner"];
const ADMIN: &[&str] = &["admin"];
const OFFICE: &[&str] = &["admin", "saksbehandler", "godkjenner", "leser"];
const APPROVER: &[&str] = &["godkjenner"];
/// Those who declare impartiality: officers and approvers (the demo godkjenner is both).
const DECLARES: &[&str] = &["saksbehandler", "godkjenner"];

fn expected() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    vec![
        ("GET", "/healthz", PUBLIC),
        ("GET", "/readyz", PUBLIC),
        ("GET", "/metrics", PUBLIC),
        ("GET", "/static/{*path}", PUBLIC),
        ("GET", "/favicon.ico", PUBLIC),
        ("GET", "/", LOGGED_IN),
        ("GET", "/login", PUBLIC),
        ("POST", "/login", PUBLIC),
        ("POST", "/logout", LOGGED_IN),
        ("GET", "/login/oidc", PUBLIC),
        ("GET", "/login/oidc/callback", PUBLIC),
        ("GET", "/meg", LOGGED_IN),
        ("POST", "/meg/passord", LOGGED_IN),
        ("POST", "/meg/tokens", LOGGED_IN),
        ("POST", "/meg/tokens/{id}/revoke", LOGGED_IN),
        ("GET", "/admin/users", ADMIN),
        ("GET", "/admin/users/new", ADMIN),
        ("POST", "/admin/users", ADMIN),
        ("GET", "/admin/users/{id}", ADMIN),
        ("POST", "/admin/users/{id}", ADMIN),
        ("POST", "/admin/users/{id}/active", ADMIN),
        ("POST", "/admin/users/{id}/password", ADMIN),
        ("GET", "/rounds", ALL_ROLES),
        ("POST", "/rounds", OFFICER),
        ("GET", "/rounds/new", OFFICER),
        ("GET", "/rounds/{id}", ALL_ROLES),
        ("POST", "/rounds/{id}", OFFICER),
        ("GET", "/rounds/{id}/edit", OFFICER),
        ("GET", "/rounds/{id}/audit", AUDIT),
        ("GET", "/rounds/{id}/export.xlsx", OFFICE),
        ("GET", "/rounds/{id}/export.csv", OFFICE),
        ("GET", "/rounds/{id}/applications/new", APPLICANT_OR_OFFICER),
        ("POST", "/rounds/{id}/applications", APPLICANT_OR_OFFICER),
        ("GET", "/applications/{id}", ALL_ROLES),
        ("GET", "/applications/{id}/edit", APPLICANT),
        ("POST", "/applications/{id}", APPLICANT),
        ("GET", "/applications/{id}/submit", APPLICANT),
        ("POST", "/applications/{id}/submit", APPLICANT),
        ("POST", "/applications/{id}/withdraw", APPLICANT),
        ("POST", "/applications/{id}/allocation", OFFICER),
        ("POST", "/rounds/{id}/open", OFFICER),
        ("POST", "/rounds/{id}/close", OFFICER),
        ("POST", "/rounds/{id}/reopen", OFFICER),
        ("GET", "/rounds/{id}/criteria", OFFICE),
        ("POST", "/rounds/{id}/criteria", OFFICER),
        ("POST", "/criteria/{id}", OFFICER),
        ("POST", "/criteria/{id}/delete", OFFICER),
        ("POST", "/applications/{id}/impartiality", DECLARES),
        (
            "POST",
            "/applications/{id}/impartiality/{user_id}/lift",
            DECLARES,
        ),
        ("POST", "/applications/{id}/assessment", OFFICER),
        ("GET", "/audit", AUDIT),
        (
            "GET",
            "/rounds/{id}/soknadsskjema.xlsx",
            APPLICANT_OR_OFFICER,
        ),
        ("POST", "/rounds/{id}/uploads", APPLICANT_OR_OFFICER),
        ("GET", "/uploads/{id}", APPLICANT_OR_OFFICER),
        ("POST", "/uploads/{id}/confirm", APPLICANT_OR_OFFICER),
        ("GET", "/uploads/{id}/file", APPLICANT_OR_OFFICER),
        (
            "GET",
            "/api/v1/rounds/{id}/template.xlsx",
            APPLICANT_OR_OFFICER,
        ),
        ("POST", "/api/v1/rounds/{id}/uploads", APPLICANT_OR_OFFICER),
        ("GET", "/api/v1/openapi.json", PUBLIC),
        ("GET", "/api/v1/uploads/{id}", APPLICANT_OR_OFFICER),
        ("POST", "/api/v1/uploads/{id}/confirm", APPLICANT_OR_OFFICER),
        ("GET", "/api/v1/uploads/{id}/file", APPLICANT_OR_OFFICER),
        ("GET", "/kommuner", ALL_ROLES),
        ("GET", "/statistikk", ALL_ROLES),
        ("GET", "/statistikk.xlsx", ALL_ROLES),
        ("GET", "/statistikk.csv", ALL_ROLES),
        ("POST", "/statistikk/import", OFFICER),
        ("POST", "/statistikk/ssb", OFFICER),
        ("POST", "/api/v1/statistics/uploads", OFFICER),
        ("POST", "/api/v1/uploads/{id}/variables", OFFICER),
        ("POST", "/uploads/{id}/variables", OFFICER),
        ("POST", "/api/v1/uploads/{id}/applicants", OFFICER),
        ("POST", "/uploads/{id}/applicants", OFFICER),
        ("POST", "/api/v1/statistics/ssb", OFFICER),
        ("GET", "/api/v1/rounds", ALL_ROLES),
        ("POST", "/api/v1/rounds", OFFICER),
        ("GET", "/api/v1/rounds/{id}", ALL_ROLES),
        ("PUT", "/api/v1/rounds/{id}", OFFICER),
        (
            "POST",
            "/api/v1/rounds/{id}/applications",
            APPLICANT_OR_OFFICER,
        ),
        ("GET", "/api/v1/rounds/{id}/audit", AUDIT),
        ("GET", "/api/v1/applications/{id}", ALL_ROLES),
        ("PUT", "/api/v1/applications/{id}", APPLICANT),
        ("POST", "/api/v1/applications/{id}/submit", APPLICANT),
        ("POST", "/api/v1/applications/{id}/withdraw", APPLICANT),
        ("POST", "/api/v1/rounds/{id}/open", OFFICER),
        ("POST", "/api/v1/rounds/{id}/close", OFFICER),
        ("POST", "/api/v1/rounds/{id}/reopen", OFFICER),
        (
            "POST",
            "/api/v1/applications/{id}/impartiality/{user_id}/lift",
            DECLARES,
        ),
        ("PUT", "/api/v1/applications/{id}/allocation", OFFICER),
        ("GET", "/api/v1/rounds/{id}/criteria", OFFICE),
        ("POST", "/api/v1/rounds/{id}/criteria", OFFICER),
        ("PUT", "/api/v1/criteria/{id}", OFFICER),
        ("DELETE", "/api/v1/criteria/{id}", OFFICER),
        ("GET", "/api/v1/applications/{id}/assessment", OFFICE),
        ("PUT", "/api/v1/applications/{id}/assessment", OFFICER),
        ("POST", "/api/v1/applications/{id}/impartiality", DECLARES),
        ("GET", "/api/v1/audit", AUDIT),
        ("GET", "/api/v1/municipalities", ALL_ROLES),
        ("GET", "/api/v1/statistics/national", ALL_ROLES),
        ("GET", "/api/v1/statistics/municipalities", ALL_ROLES),
        ("POST", "/api/v1/session", PUBLIC),
        ("DELETE", "/api/v1/session", LOGGED_IN),
        ("GET", "/api/v1/me", LOGGED_IN),
        ("PUT", "/api/v1/me/password", LOGGED_IN),
        ("GET", "/api/v1/me/tokens", LOGGED_IN),
        ("POST", "/api/v1/me/tokens", LOGGED_IN),
        ("DELETE", "/api/v1/me/tokens/{id}", LOGGED_IN),
        ("GET", "/api/v1/users", ADMIN),
        ("POST", "/api/v1/users", ADMIN),
        ("GET", "/api/v1/users/{id}", ADMIN),
        ("PUT", "/api/v1/users/{id}", ADMIN),
        ("POST", "/api/v1/users/{id}/deactivate", ADMIN),
        ("POST", "/api/v1/users/{id}/activate", ADMIN),
        ("POST", "/api/v1/users/{id}/password", ADMIN),
        ("GET", "/rounds/{id}/scenarios/new", OFFICER),
        ("POST", "/rounds/{id}/scenarios", OFFICER),
        ("GET", "/rounds/{id}/scenarios/compare", OFFICE),
        ("GET", "/rounds/{id}/report", OFFICE),
        ("GET", "/rounds/{id}/report.xlsx", OFFICE),
        ("GET", "/rounds/{id}/report/tildeling.csv", OFFICE),
        ("GET", "/rounds/{id}/report/dekning.csv", OFFICE),
        ("GET", "/rounds/{id}/report/sammenheng.csv", OFFICE),
        ("GET", "/rounds/{id}/report/nasjonalt.csv", OFFICE),
        ("GET", "/rounds/{id}/scenarios/compare.xlsx", OFFICE),
        ("GET", "/scenarios/{id}", OFFICE),
        ("POST", "/scenarios/{id}/recompute", OFFICER),
        ("POST", "/scenarios/{id}/delete", OFFICER),
        ("POST", "/scenarios/{id}/propose", OFFICER),
        ("GET", "/decisions/{id}", OFFICE),
        ("POST", "/decisions/{id}/approve", APPROVER),
        ("POST", "/decisions/{id}/return", APPROVER),
        ("GET", "/statistics/snapshots", OFFICE),
        ("POST", "/statistics/snapshots", OFFICER),
        ("GET", "/api/v1/rounds/{id}/scenarios", OFFICE),
        ("POST", "/api/v1/rounds/{id}/scenarios", OFFICER),
        ("GET", "/api/v1/rounds/{id}/scenarios/compare", OFFICE),
        ("GET", "/api/v1/rounds/{id}/report", OFFICE),
        ("GET", "/api/v1/rounds/{id}/scenarios/compare.xlsx", OFFICE),
        ("GET", "/api/v1/scenarios/{id}", OFFICE),
        ("DELETE", "/api/v1/scenarios/{id}", OFFICER),
        ("POST", "/api/v1/scenarios/{id}/recompute", OFFICER),
        ("POST", "/api/v1/scenarios/{id}/propose", OFFICER),
        ("GET", "/api/v1/rounds/{id}/decisions", OFFICE),
        ("GET", "/api/v1/decisions/{id}", OFFICE),
        ("POST", "/api/v1/decisions/{id}/approve", APPROVER),
        ("POST", "/api/v1/decisions/{id}/return", APPROVER),
        ("GET", "/api/v1/statistics/snapshots", OFFICE),
        ("POST", "/api/v1/statistics/snapshots", OFFICER),
        ("GET", "/api/v1/statistics/snapshots/{id}", OFFICE),
        // After the decision: pages.
        ("GET", "/rounds/{id}/followup", ALL_ROLES),
        ("GET", "/rounds/{id}/followup.xlsx", OFFICE),
        ("GET", "/rounds/{id}/followup/terms", OFFICER),
        ("POST", "/rounds/{id}/followup/terms", OFFICER),
        ("POST", "/rounds/{id}/letters/issue", OFFICER),
        ("POST", "/rounds/{id}/letters/send", OFFICER),
        ("POST", "/rounds/{id}/complete", OFFICER),
        ("GET", "/applications/{id}/followup", ALL_ROLES),
        ("GET", "/applications/{id}/letter", ALL_ROLES),
        ("POST", "/applications/{id}/letter", OFFICER),
        (
            "POST",
            "/applications/{id}/acceptance",
            APPLICANT_OR_OFFICER,
        ),
        ("POST", "/applications/{id}/payments", OFFICER),
        ("POST", "/applications/{id}/payment-requests", APPLICANT),
        ("POST", "/payment-requests/{id}/decide", OFFICER),
        (
            "POST",
            "/applications/{id}/final-report",
            APPLICANT_OR_OFFICER,
        ),
        ("POST", "/applications/{id}/final-report/review", OFFICER),
        ("POST", "/applications/{id}/repayments", OFFICER),
        ("GET", "/outbox", OFFICE),
        ("POST", "/outbox/{id}/retry", OFFICER),
        // After the decision: the API.
        ("GET", "/api/v1/rounds/{id}/followup", ALL_ROLES),
        ("GET", "/api/v1/rounds/{id}/followup-terms", OFFICE),
        ("PUT", "/api/v1/rounds/{id}/followup-terms", OFFICER),
        ("PUT", "/api/v1/rounds/{id}/letter-template", OFFICER),
        ("POST", "/api/v1/rounds/{id}/letters/issue", OFFICER),
        ("POST", "/api/v1/rounds/{id}/letters/send", OFFICER),
        ("GET", "/api/v1/rounds/{id}/letters.zip", OFFICE),
        ("GET", "/api/v1/rounds/{id}/payments.csv", OFFICE),
        ("POST", "/api/v1/rounds/{id}/complete", OFFICER),
        ("GET", "/api/v1/applications/{id}/followup", ALL_ROLES),
        ("GET", "/api/v1/applications/{id}/letter", ALL_ROLES),
        ("PUT", "/api/v1/applications/{id}/letter", OFFICER),
        ("GET", "/api/v1/applications/{id}/letter.pdf", ALL_ROLES),
        (
            "POST",
            "/api/v1/applications/{id}/acceptance",
            APPLICANT_OR_OFFICER,
        ),
        ("POST", "/api/v1/applications/{id}/payments", OFFICER),
        (
            "POST",
            "/api/v1/applications/{id}/payment-requests",
            APPLICANT,
        ),
        ("POST", "/api/v1/payment-requests/{id}/approve", OFFICER),
        ("POST", "/api/v1/payment-requests/{id}/reject", OFFICER),
        (
            "POST",
            "/api/v1/applications/{id}/final-report",
            APPLICANT_OR_OFFICER,
        ),
        (
            "GET",
            "/api/v1/applications/{id}/report-template.xlsx",
            ALL_ROLES,
        ),
        (
            "POST",
            "/api/v1/applications/{id}/final-report/approve",
            OFFICER,
        ),
        (
            "POST",
            "/api/v1/applications/{id}/final-report/return",
            OFFICER,
        ),
        ("POST", "/api/v1/applications/{id}/repayments", OFFICER),
        ("GET", "/api/v1/followup-documents/{id}", ALL_ROLES),
        ("GET", "/api/v1/outbox", OFFICE),
        ("POST", "/api/v1/outbox/{id}/retry", OFFICER),
    ]
}

#[test]
fn every_route_is_in_the_access_table() {
    let actual: BTreeSet<(String, String)> = route_table()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let listed: BTreeSet<(String, String)> = expected()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = actual.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&actual).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the access test: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "entries for routes that do not exist: {stale:?}"
    );
    for route in route_table() {
        let (_, _, who) = expected()
            .into_iter()
            .find(|(m, p, _)| *m == route.method.as_str() && *p == route.path)
            .unwrap();
        assert_eq!(
            route.access == Access::Public,
            who == PUBLIC,
            "{} {}: public or not",
            route.method,
            route.path
        );
    }
}

/// A bearer token for each demo user, made directly in the store so that requests
/// which end sessions (logout) cannot disturb the rest of the walk.
async fn tokens(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for user in LOGGED_IN {
        let candidate = app.store.login_candidate(user).await.unwrap().unwrap();
        let (token, hash) = tilskudd::security::new_token("tsk_").unwrap();
        app.store
            .create_api_token(
                candidate.id,
                "test",
                &hash,
                &tilskudd::domain::audit::Actor::system("test"),
            )
            .await
            .unwrap();
        out.push((*user, token));
    }
    out
}

fn concrete(path: &str, ids: &Ids) -> String {
    path.replace("{*path}", "app.css")
        .replace("/rounds/{id}", &format!("/rounds/{}", ids.round))
        .replace(
            "/applications/{id}",
            &format!("/applications/{}", ids.application),
        )
        .replace("/users/{id}", &format!("/users/{}", ids.user))
        .replace("/tokens/{id}", "/tokens/999999")
        .replace("/criteria/{id}", "/criteria/999999")
        .replace("/payment-requests/{id}", "/payment-requests/999999")
        .replace("/followup-documents/{id}", "/followup-documents/999999")
        .replace("/outbox/{id}", "/outbox/999999")
        .replace("/uploads/{id}", &format!("/uploads/{}", ids.upload))
        .replace("{user_id}", &ids.user.to_string())
}

struct Ids {
    upload: i64,
    round: i64,
    application: i64,
    user: i64,
}

fn request(method: &str, path: &str, bearer: Option<&str>) -> Request<Body> {
    let api = path.starts_with("/api/");
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if method == "GET" {
        Body::empty()
    } else if api {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    } else {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from("")
    };
    builder.body(body).unwrap()
}

#[tokio::test]
async fn every_route_checks_login_and_role() {
    let app = TestApp::with_sample_data().await;
    let round = app.store.list_rounds().await.unwrap();
    let demo = round.iter().find(|r| r.round.demo).unwrap().round.id;
    // Trondheim's own application in the demo round, so the kommune user may see it.
    let trondheim_app = app
        .store
        .round_applications(demo)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kommunenummer.as_ref().map(|k| k.as_str()) == Some("5001"))
        .unwrap()
        .id;
    let throwaway = app.add_user("engangsbruker", "lesetilgang", None).await;
    // An upload of Trondheim's, so the kommune user may see it.
    let trondheim_org = app
        .store
        .application(trondheim_app)
        .await
        .unwrap()
        .summary
        .organisation_id;
    let upload = app
        .store
        .create_upload(
            tilskudd::store::NewUpload {
                round_id: Some(demo),
                organisation_id: Some(trondheim_org),
                application_id: None,
                base_version: None,
                uploader_organisation_id: Some(trondheim_org),
                kind: "application",
                filename: "tom.xlsx",
                format: None,
                content: b"",
                rejected: true,
                result: r#"{"kind":"application","format":null,"errors":[{"sheet":null,"cell":null,"message":"Filen er tom."}],"warnings":[],"application":null,"allocations":null}"#,
                source_url: None,
            },
            &tilskudd::domain::audit::Actor::system("test"),
        )
        .await
        .unwrap();
    let ids = Ids {
        upload,
        round: demo,
        application: trondheim_app,
        user: throwaway,
    };
    let tokens = tokens(&app).await;
    for (method, path, who) in expected() {
        let url = concrete(path, &ids);
        let anonymous = app.request(request(method, &url, None)).await;
        if who == PUBLIC {
            assert!(
                anonymous.status != StatusCode::UNAUTHORIZED
                    && anonymous.status != StatusCode::FORBIDDEN,
                "{method} {url} is public but answered {}",
                anonymous.status
            );
            continue;
        }
        if url.starts_with("/api/") {
            assert_eq!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "{method} {url} anonymous"
            );
            assert!(
                anonymous.json()["message"]
                    .as_str()
                    .unwrap()
                    .contains("logge inn")
            );
        } else {
            assert_eq!(
                anonymous.status,
                StatusCode::SEE_OTHER,
                "{method} {url} anonymous"
            );
            assert!(
                anonymous
                    .header("location")
                    .unwrap()
                    .starts_with("/login?neste="),
                "{method} {url}"
            );
        }
        for (user, token) in &tokens {
            let response = app.request(request(method, &url, Some(token))).await;
            if who.contains(user) {
                assert!(
                    response.status != StatusCode::FORBIDDEN
                        && response.status != StatusCode::UNAUTHORIZED,
                    "{method} {url} as {user}: allowed, but {} {}",
                    response.status,
                    response.text()
                );
            } else {
                assert_eq!(
                    response.status,
                    StatusCode::FORBIDDEN,
                    "{method} {url} as {user}: {}",
                    response.text()
                );
            }
        }
    }
}

async fn fosen_application(app: &TestApp, round_name: &str) -> i64 {
    let id = app.round_id(round_name).await;
    app.store
        .round_applications(id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.applicant == "Fosen helse")
        .unwrap()
        .id
}

#[tokio::test]
async fn a_kommune_user_cannot_see_or_infer_another_organisations_application() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let fosen = fosen_application(&app, "Trøndelag 2019").await;
    app.login("trondheim").await;

    // By id: 404, not 403, on the API and on the page.
    let api = app.get(&format!("/api/v1/applications/{fosen}")).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let page = app.get(&format!("/applications/{fosen}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let edit = app
        .put_json(
            &format!("/api/v1/applications/{fosen}"),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let submit = app
        .post_json(
            &format!("/api/v1/applications/{fosen}/submit"),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(submit.status, StatusCode::NOT_FOUND);

    // By listing: only Trondheim's own applications, and no totals that reveal others.
    let round_id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    let applicants: Vec<&str> = round["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["applicant"].as_str().unwrap())
        .collect();
    assert_eq!(applicants, vec!["Trondheim"]);
    assert!(round.get("allocated_total").is_none());
    assert!(round.get("requested_total").is_none());
    // The round is decided, so Trondheim sees its own allocated amount.
    assert_eq!(round["applications"][0]["allocated"], "2649770");
    let html = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(!html.contains("Fosen helse"));
    assert!(
        !html.contains("Gjenstår"),
        "no totals that tell about the others"
    );
    assert!(html.contains("2\u{a0}649\u{a0}770"));
    let list = app.get("/api/v1/rounds").await.json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("allocated_total").is_none())
    );

    // Fosen helse's user sees it; neither sees the other.
    app.login("fosenhelse").await;
    let own = app.get(&format!("/api/v1/applications/{fosen}")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json()["applicant"], "Fosen helse");
}

#[tokio::test]
async fn a_kommune_user_sees_its_allocation_only_when_decided() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    let trondheim = round["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kommunenummer"] == "5001")
        .unwrap()
        .clone();
    let set = app
        .put_json(
            &format!("/api/v1/applications/{}/allocation", trondheim["id"]),
            &json!({"amount": "1000000", "version": trondheim["version"]}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    app.login("trondheim").await;
    let own = app
        .get(&format!("/api/v1/applications/{}", trondheim["id"]))
        .await
        .json();
    assert!(
        own["allocated"].is_null(),
        "working figures are hidden: {own}"
    );
    let page = app
        .get(&format!("/applications/{}", trondheim["id"]))
        .await
        .text();
    assert!(!page.contains("1\u{a0}000\u{a0}000"));
    assert!(page.contains("Ikke avgjort"));
}

#[tokio::test]
async fn a_kommune_user_writes_a_draft_and_submits_it() {
    let mut app = TestApp::with_sample_data().await;
    // Trondheim has applied in the demo round already; one application per round.
    let round_id = app.new_open_round("Trøndelag 2026, ekstra").await;
    let page_round = app.new_open_round("Trøndelag 2026, andre utlysning").await;
    app.login("trondheim").await;
    let created = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({
                "applicant": "Fosen helse",
                "project_title": "Koordinatorskole",
                "budget_lines": [{"category": "Kompetanseheving", "description": "Kurs", "applied": "120 000"}]
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let draft = created.json();
    // Whatever it typed, a kommune user applies for its own organisation.
    assert_eq!(draft["applicant"], "Trondheim");
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_i64().unwrap();

    // Officers do not see a draft.
    let mut officer = app.another_instance(false).await;
    officer.login("saksbehandler").await;
    assert_eq!(
        officer
            .get(&format!("/api/v1/applications/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let edited = app
        .put_json(
            &format!("/api/v1/applications/{id}"),
            &json!({"version": 1, "project_title": "Koordinatorskole 2027", "requested": "150000"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["requested"], "150000");
    let stale = app
        .post_json(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let submitted = app
        .post_json(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"version": 2}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(submitted.json()["status"], "submitted");
    let again = app
        .put_json(
            &format!("/api/v1/applications/{id}"),
            &json!({"version": 3, "requested": "1"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "a submitted application is a case document"
    );

    let seen = officer.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.json()["requested"], "150000");

    // A second application in the same round is refused; the round page says where the
    // first one is.
    let second = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"requested": "1000"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text());
    assert!(
        second.json()["message"]
            .as_str()
            .unwrap()
            .contains("allerede en søknad")
    );
    let round_page = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(
        round_page.contains("har allerede en søknad"),
        "{round_page}"
    );
    assert!(round_page.contains(&format!("/applications/{id}")));
    assert!(!round_page.contains("Ny søknad"));

    // The same through the pages: a new draft, then submit.
    let round_id = page_round;
    let form = app
        .get(&format!("/rounds/{round_id}/applications/new"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Trondheim"));
    assert!(
        !form.text().contains("name=\"applicant\""),
        "no applicant choice for a kommune"
    );
    let posted = app
        .post_form(
            &format!("/rounds/{round_id}/applications"),
            &[
                ("project_title", "Utkast fra siden"),
                ("requested", "90 000"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    let location = posted.header("location").unwrap().to_string();
    let page = app.get(&location).await.text();
    assert!(page.contains("Send inn søknaden"));
    let page_id = location.trim_start_matches("/applications/");
    // Sending in goes through the confirmation, which names what is missing.
    let unconfirmed = app
        .post_form(
            &format!("/applications/{page_id}/submit"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(
        unconfirmed.header("location"),
        Some(format!("/applications/{page_id}/submit").as_str())
    );
    let confirm = app
        .get(&format!("/applications/{page_id}/submit"))
        .await
        .text();
    assert!(confirm.contains("kan den ikke endres"), "{confirm}");
    assert!(
        confirm.contains(
            "Søknaden mangler: budsjett med omsøkt beløp, kontaktperson, e-postadresse, beskrivelse av prosjektet"
        ),
        "{confirm}"
    );
    let sent = app
        .post_form(
            &format!("/applications/{page_id}/submit"),
            &[("version", "1"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    assert_eq!(
        sent.header("location"),
        Some(format!("/applications/{page_id}?sendt=1").as_str())
    );
    assert!(
        app.get(&format!("{location}?sendt=1"))
            .await
            .text()
            .contains("sendt inn")
    );
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_a_same_site_one_works() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let form = "name=Innlandet+2027&year=2027&pool=1000000&rounding_unit=1000";
    let cross = app
        .request(
            Request::post("/rounds")
                .header(header::HOST, "tilskudd.example")
                .header(header::ORIGIN, "https://angriper.example")
                .header("sec-fetch-site", "cross-site")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(cross.text().contains("annet nettsted"));
    let cross_api = app
        .request(
            Request::post("/api/v1/rounds")
                .header(header::HOST, "tilskudd.example")
                .header(header::ORIGIN, "https://angriper.example")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    r#"{"name":"x","year":2027,"pool":"1","rounding_unit":"1"}"#,
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(cross_api.status, StatusCode::FORBIDDEN);
    let same = app
        .request(
            Request::post("/rounds")
                .header(header::HOST, "tilskudd.example")
                .header(header::ORIGIN, "https://tilskudd.example")
                .header("x-forwarded-proto", "https")
                .header("sec-fetch-site", "same-origin")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(same.status, StatusCode::SEE_OTHER, "{}", same.text());
    let rounds = app.get("/api/v1/rounds").await.json();
    let names: Vec<&str> = rounds
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Innlandet 2027"));
    assert_eq!(names.iter().filter(|n| **n == "Innlandet 2027").count(), 1);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_and_audited() {
    let mut app = TestApp::with_sample_data().await;
    for attempt in 1..=5 {
        let wrong = app
            .post_json(
                "/api/v1/session",
                &json!({"username": "leser", "password": "gjett"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_eq!(wrong.json()["message"], "Feil brukernavn eller passord.");
    }
    let right = app
        .post_json(
            "/api/v1/session",
            &json!({"username": "leser", "password": "demo"}),
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        right.json()["message"]
            .as_str()
            .unwrap()
            .contains("For mange")
    );
    assert!(session_cookie(&right).is_none());
    // The page says the same.
    let page = app
        .post_form("/login", &[("username", "leser"), ("password", "demo")])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().contains("For mange mislykkede innlogginger"));
    // Other users are not affected.
    app.login("admin").await;
    let log = app.get("/api/v1/audit").await.json();
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "login.failed").count(), 5);
    assert!(actions.contains(&"login.throttled"));
    assert!(actions.contains(&"login.succeeded"));
    let html = app.get("/audit").await.text();
    assert!(html.contains("Mislykket innlogging"));
    assert!(html.contains("Innlogging sperret"));
}

#[tokio::test]
async fn sessions_live_in_the_database() {
    let mut first = TestApp::with_sample_data().await;
    let login = first.login("godkjenner").await;
    let set_cookie = login.header("set-cookie").unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain HTTP in tests");
    assert_eq!(
        first.get("/api/v1/me").await.json()["username"],
        "godkjenner"
    );

    // A second instance, and the same app restarted, accept the cookie.
    let mut second = first.another_instance(false).await;
    second.cookie = first.cookie.clone();
    let me = second.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["roles"], json!(["saksbehandler", "godkjenner"]));
    first.store.close().await;
    let mut restarted = second.another_instance(false).await;
    restarted.cookie = second.cookie.clone();
    assert_eq!(restarted.get("/rounds").await.status, StatusCode::OK);

    // Logging out on one instance ends the session on all.
    let out = restarted
        .request(
            restarted.with_cookie(
                Request::delete("/api/v1/session")
                    .body(Body::empty())
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        second.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Over HTTPS (behind a proxy) the cookie is Secure.
    let https = second
        .request(
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-forwarded-proto", "https")
                .body(Body::from(r#"{"username":"leser","password":"demo"}"#))
                .unwrap(),
        )
        .await;
    assert!(https.header("set-cookie").unwrap().contains("Secure"));
}

#[tokio::test]
async fn pages_log_in_and_out_and_follow_the_next_page() {
    let app = TestApp::with_sample_data().await;
    let round_id = app.round_id_as_store("Trøndelag 2019").await;
    let login = app
        .post_form(
            "/login",
            &[
                ("username", "saksbehandler"),
                ("password", "demo"),
                ("neste", &format!("/rounds/{round_id}")),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(
        login.header("location"),
        Some(format!("/rounds/{round_id}").as_str())
    );
    let cookie = session_cookie(&login).unwrap();
    let page = app
        .request(
            Request::get("/rounds")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(page.text().contains("Siri Saksbehandler"));
    // No open redirect.
    let evil = app
        .post_form(
            "/login",
            &[
                ("username", "saksbehandler"),
                ("password", "demo"),
                ("neste", "//angriper.example"),
            ],
        )
        .await;
    assert_eq!(evil.header("location"), Some("/"));
    let wrong = app
        .post_form(
            "/login",
            &[("username", "saksbehandler"), ("password", "feil")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("Feil brukernavn eller passord"));
    assert!(
        wrong.text().contains("value=\"saksbehandler\""),
        "typed username kept"
    );
    let out = app
        .request(
            Request::post("/logout")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app
        .request(
            Request::get("/rounds")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn demo_users_are_shown_only_in_demo_mode() {
    let app = TestApp::with_sample_data().await;
    let plain = app.get("/login").await.text();
    assert!(!plain.contains("Demobrukere"));
    let demo = app.another_instance(true).await;
    let html = demo.get("/login").await.text();
    assert!(html.contains("Demobrukere"));
    for user in [
        "admin",
        "saksbehandler",
        "godkjenner",
        "leser",
        "trondheim",
        "fosenhelse",
    ] {
        assert!(html.contains(&format!("<code>{user}</code>")), "{user}");
    }
    // Without sample data there is no account at all.
    let empty = TestApp::new().await;
    assert_eq!(empty.store.user_count().await.unwrap(), 0);
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let created = app
        .post_json("/api/v1/me/tokens", &json!({"name": "Rapportskript"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let body = created.json();
    let token = body["token"].as_str().unwrap().to_string();
    let bearer = |method: Method, path: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let anonymous = app.another_instance(false).await;
    let me = anonymous.request(bearer(Method::GET, "/api/v1/me")).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["username"], "leser");
    // Only the hash is stored.
    let listed = app.get("/api/v1/me/tokens").await.json();
    assert!(!listed.to_string().contains(&token));
    let revoke = app
        .request(
            app.with_cookie(
                Request::delete(format!("/api/v1/me/tokens/{}", body["id"]))
                    .body(Body::empty())
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let after = anonymous.request(bearer(Method::GET, "/api/v1/me")).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let wrong = anonymous
        .request(
            Request::get("/api/v1/rounds")
                .header(header::AUTHORIZATION, "Bearer tsk_feil")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_creates_a_user_who_must_choose_a_password() {
    let mut app = TestApp::with_sample_data().await;
    app.login("admin").await;
    let bad = app
        .post_json(
            "/api/v1/users",
            &json!({"username": "x", "roles": ["kommune"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .post_json(
            "/api/v1/users",
            &json!({"username": "kari.melhus", "display_name": "Kari i Melhus", "roles": ["kommune"], "organisation": "5028"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let body = created.json();
    let password = body["one_time_password"].as_str().unwrap().to_string();
    assert_eq!(body["user"]["organisation_name"], "Melhus");
    assert_eq!(body["user"]["must_change_password"], true);

    let mut kari = app.another_instance(false).await;
    let login = kari
        .post_json(
            "/api/v1/session",
            &json!({"username": "kari.melhus", "password": password}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    kari.cookie = session_cookie(&login);
    // Until the password is changed, pages lead to «Min side».
    let rounds = kari.get("/rounds").await;
    assert_eq!(rounds.status, StatusCode::SEE_OTHER);
    assert_eq!(rounds.header("location"), Some("/meg?bytt_passord=1"));
    let changed = kari
        .put_json(
            "/api/v1/me/password",
            &json!({"current_password": password, "new_password": "et eget langt passord"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert_eq!(kari.get("/rounds").await.status, StatusCode::OK);

    // Deactivating ends the user's access at once.
    let id = body["user"]["id"].as_i64().unwrap();
    let off = app
        .post_json(&format!("/api/v1/users/{id}/deactivate"), &json!({}))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(
        kari.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = app.get("/admin/users").await.text();
    assert!(page.contains("kari.melhus"));
    assert!(page.contains("Deaktivert"));
}

#[tokio::test]
async fn the_admin_user_form_shows_the_one_time_password_once() {
    let mut app = TestApp::with_sample_data().await;
    app.login("admin").await;
    let form = app.get("/admin/users/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let created = app
        .request(
            Request::post("/admin/users")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, app.cookie.clone().unwrap())
                .body(Body::from(
                    "username=ola.leser&display_name=Ola&roles=lesetilgang&roles=godkjenner",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert!(created.text().contains("Engangspassord"));
    let users = app.get("/api/v1/users").await.json();
    let ola = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ola.leser")
        .unwrap();
    assert_eq!(ola["roles"], json!(["godkjenner", "lesetilgang"]));
}

#[tokio::test]
async fn the_audit_log_names_the_user_and_filters() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    let a = &round["applications"][0];
    app.put_json(
        &format!("/api/v1/applications/{}/allocation", a["id"]),
        &json!({"amount": "10000", "version": a["version"]}),
    )
    .await;
    let me = app.get("/api/v1/me").await.json();
    let log = app
        .get(&format!("/api/v1/audit?user={}", me["id"]))
        .await
        .json();
    let events = log["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["actor"] == "saksbehandler"));
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "application.proposal_set")
    );
    let by_application = app
        .get(&format!("/api/v1/audit?application={}", a["id"]))
        .await
        .json();
    assert!(
        by_application["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["application_id"] == a["id"])
    );
    let future = app.get("/api/v1/audit?from=01.01.2100").await.json();
    assert_eq!(future["events"], json!([]));
    let bad = app.get("/api/v1/audit?from=i+går").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get(&format!("/audit?round={round_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Forslag til beløp endret"));

    app.login("leser").await;
    assert_eq!(app.get("/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/audit").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::with_sample_data().await;
    for path in [
        "/login",
        "/rounds",
        "/api/v1/rounds",
        "/finnes-ikke",
        "/static/app.css",
    ] {
        let response = app.get(path).await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(response.header("referrer-policy").is_some(), "{path}");
    }
}

#[tokio::test]
async fn the_command_line_creates_the_first_admin() {
    let app = TestApp::new().await;
    let output = app.cli(&[
        "user",
        "add",
        "--username",
        "forste.admin",
        "--role",
        "admin",
        "--name",
        "Første Admin",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let password = stdout
        .trim()
        .rsplit(' ')
        .next()
        .expect("one-time password printed")
        .to_string();
    assert_eq!(password.len(), 20, "{stdout}");
    let login = app
        .post_json(
            "/api/v1/session",
            &json!({"username": "forste.admin", "password": password}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.json()["must_change_password"], true);
    let value: Value = login.json();
    assert_eq!(value["roles"], json!(["admin"]));

    // A bad role is refused with the flag named, and nothing is created.
    let output = app.cli(&["user", "add", "--username", "ny", "--role", "sjef"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--role: «sjef» er ikke en rolle"));
    assert_eq!(app.store.user_count().await.unwrap(), 1);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let strict = app
        .another_instance_with(
            false,
            tilskudd::web::AuthSettings {
                session_idle: chrono::Duration::zero(),
                force_secure_cookie: true,
                public_origin: None,
            },
        )
        .await;
    let mut client = strict;
    client.cookie = app.cookie.clone();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        client.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The session is gone for every instance, not just this one.
    assert_eq!(app.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    // A forced Secure cookie.
    let login = client
        .post_json(
            "/api/v1/session",
            &json!({"username": "leser", "password": "demo"}),
        )
        .await;
    assert!(login.header("set-cookie").unwrap().contains("; Secure"));
}
