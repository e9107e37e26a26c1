//! Creating and editing rounds and registering applications, through the API and pages.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn create_a_round_through_the_api() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let response = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": "Nordland 2027", "year": 2027, "region": "Nordland", "pool": "2 500 000", "rounding_unit": "100", "deadline": "01.03.2027"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        response.header("location"),
        Some(format!("/api/v1/rounds/{id}").as_str())
    );
    assert_eq!(body["pool"], "2500000");
    assert_eq!(body["rounding_unit"], "100");
    assert_eq!(body["deadline"], "2027-03-01");
    assert_eq!(
        body["scheme"],
        "Styrking av habilitering og rehabilitering i kommunene"
    );
    assert_eq!(body["allocated_total"], "0");
    assert_eq!(body["remaining"], "2500000");
    assert_eq!(body["applications"], json!([]));
    let page = app.get("/rounds").await.text();
    assert!(page.contains("Nordland 2027"));
    assert!(page.contains("2\u{a0}500\u{a0}000\u{a0}kr"));
    let log = app.get(&format!("/api/v1/rounds/{id}/audit")).await.json();
    assert_eq!(log["events"][0]["action"], "round.created");
}

#[tokio::test]
async fn invalid_rounds_are_refused_field_by_field() {
    let app = TestApp::new_as("saksbehandler").await;
    let response = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": "", "year": "tjue", "pool": "-1", "rounding_unit": "7"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.json();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "year", "pool", "rounding_unit"]);
    let missing = app.post_json("/api/v1/rounds", &json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_type = app
        .post_json("/api/v1/rounds", &json!({"name": ["x"]}))
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong_type.json()["message"]
            .as_str()
            .unwrap()
            .contains("«name»")
    );
    let not_json = app
        .send_raw(
            axum::http::Method::POST,
            "/api/v1/rounds",
            "text/plain",
            "hei",
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let rounds = app.get("/api/v1/rounds").await.json();
    assert_eq!(rounds, json!([]));
}

#[tokio::test]
async fn create_and_edit_a_round_through_the_pages() {
    let app = TestApp::new_as("saksbehandler").await;
    let form = app.get("/rounds/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Ny runde"));

    let bad = app
        .post_form(
            "/rounds",
            &[
                ("name", "Agder 2027"),
                ("year", "2027"),
                ("region", "Agder"),
                ("pool", "fem millioner"),
                ("rounding_unit", "1 000"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(html.contains("«fem millioner» er ikke et beløp"));
    assert!(html.contains("value=\"Agder 2027\""), "typed name kept");

    let created = app
        .post_form(
            "/rounds",
            &[
                ("name", "Agder 2027"),
                ("year", "2027"),
                ("region", "Agder"),
                ("pool", "5 000 000"),
                ("rounding_unit", "1 000"),
                ("deadline", "2027-02-01"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.header("location").unwrap().to_string();
    let page = app.get(&location).await.text();
    assert!(page.contains("Agder 2027"));
    assert!(page.contains("5\u{a0}000\u{a0}000\u{a0}kr"));
    assert!(page.contains("01.02.2027"));

    let id: i64 = location.trim_start_matches("/rounds/").parse().unwrap();
    let edit = app
        .post_form(
            &location,
            &[
                ("name", "Agder 2027 (revidert)"),
                ("year", "2027"),
                ("region", "Agder"),
                ("pool", "6 000 000"),
                ("rounding_unit", "1000"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.text());
    let stale = app
        .post_form(
            &location,
            &[
                ("name", "Agder 2027 (gammel fane)"),
                ("year", "2027"),
                ("pool", "7 000 000"),
                ("rounding_unit", "1000"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text().contains("endret av noen andre"));
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    assert_eq!(round["name"], "Agder 2027 (revidert)");
    assert_eq!(round["pool"], "6000000");
    let log = app.get(&format!("/rounds/{id}/audit")).await.text();
    assert!(log.contains("Runde endret"));
    assert!(log.contains("6\u{a0}000\u{a0}000\u{a0}kr"));
}

#[tokio::test]
async fn the_pool_cannot_drop_below_what_is_allocated() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2026 (demo)").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    let a = &round["applications"][0];
    let set = app
        .put_json(
            &format!("/api/v1/applications/{}/allocation", a["id"]),
            &json!({"amount": "100000", "version": a["version"]}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    let response = app
        .put_json(
            &format!("/api/v1/rounds/{id}"),
            &json!({"name": round["name"], "year": 2026, "region": "Trøndelag", "pool": "50000", "rounding_unit": "1000", "version": round["version"]}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["errors"][0]["field"], "pool");
}

#[tokio::test]
async fn register_an_application_through_the_api() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round = app
        .post_json(
            "/api/v1/rounds",
            &json!({"name": "Trøndelag 2027", "year": 2027, "region": "Trøndelag", "pool": "1000000", "rounding_unit": "1000"}),
        )
        .await
        .json();
    let path = format!("/api/v1/rounds/{}/applications", round["id"]);
    let response = app
        .post_json(
            &path,
            &json!({
                "applicant": "Snaasa",
                "project_title": "Koordinator i 50 % stilling",
                "budget_lines": [
                    {"category": "Lønn", "description": "Koordinator", "applied": "300 000", "own_contribution": "100 000"},
                    {"category": "Kompetanseheving", "description": "Kurs", "applied": "25000.50"}
                ]
            }),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    assert_eq!(body["applicant"], "Snåase - Snåsa");
    assert_eq!(body["kommunenummer"], "5041");
    assert_eq!(body["requested"], "325000.50");
    assert_eq!(body["budget_total"]["cost"], "425000.50");
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["version"], 1);

    // An old number names what it became; an unknown applicant is refused.
    let old = app
        .post_json(&path, &json!({"applicant": "5017", "requested": "1000"}))
        .await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        old.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("5057 Ørland")
    );
    let unknown = app
        .post_json(
            &path,
            &json!({"applicant": "Atlantis", "requested": "1000"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["errors"][0]["field"], "applicant");
    let mismatch = app
        .post_json(
            &path,
            &json!({"applicant": "5001", "requested": "1", "budget_lines": [{"category": "Lønn", "description": "x", "applied": "2"}]}),
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatch.json()["errors"][0]["field"], "requested");
    let missing_round = app
        .post_json(
            "/api/v1/rounds/999999/applications",
            &json!({"applicant": "5001", "requested": "1"}),
        )
        .await;
    assert_eq!(missing_round.status, StatusCode::NOT_FOUND);
    let round_now = app
        .get(&format!("/api/v1/rounds/{}", round["id"]))
        .await
        .json();
    assert_eq!(round_now["applications"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn register_an_application_through_the_page() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    // Trondheim has applied in the demo round; a round of its own keeps this test apart.
    let id = app.new_open_round("Trøndelag 2026, ekstra").await;
    let form = app.get(&format!("/rounds/{id}/applications/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("5001 Trondheim"));
    assert!(html.contains("Fosen helse (IKS)"));
    assert!(!html.contains("0301 Oslo"), "only Trøndelag is offered");

    let bad = app
        .post_form(
            &format!("/rounds/{id}/applications"),
            &[
                ("applicant", "5001"),
                ("line0_category", "Lønn"),
                ("line0_description", "Koordinator"),
                ("line0_applied", "12 000,5O"),
                ("line0_own_contribution", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(html.contains("«12 000,5O» er ikke et beløp"));
    assert!(html.contains("value=\"Koordinator\""));

    let more = app
        .post_form(
            &format!("/rounds/{id}/applications"),
            &[
                ("applicant", "5001"),
                ("line0_category", "Lønn"),
                ("line0_description", "Koordinator"),
                ("line0_applied", "400 000"),
                ("more_lines", "1"),
            ],
        )
        .await;
    assert_eq!(more.status, StatusCode::OK);
    assert!(more.text().contains("name=\"line5_category\""));

    let ok = app
        .post_form(
            &format!("/rounds/{id}/applications"),
            &[
                ("applicant", "5001"),
                ("project_title", "Ny koordinatortjeneste"),
                ("line0_category", "Lønn"),
                ("line0_description", "Koordinator"),
                ("line0_applied", "400 000"),
                ("line0_own_contribution", "100 000"),
                ("line1_category", ""),
                ("line1_description", ""),
                ("line1_applied", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let page = app.get(ok.header("location").unwrap()).await.text();
    assert!(page.contains("Ny koordinatortjeneste"));
    assert!(
        page.contains("500\u{a0}000\u{a0}kr"),
        "cost = applied + own contribution"
    );
    assert!(page.contains("Søknad registrert"));
}

#[tokio::test]
async fn unknown_pages_and_ids_are_404_in_norwegian() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    for path in [
        "/rounds/999999",
        "/rounds/abc",
        "/applications/0",
        "/finnes-ikke",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(response.text().contains("Fant ikke"), "{path}");
        assert!(
            response
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
    }
    let api = app.get("/api/v1/rounds/999999").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["message"], "Fant ikke runden.");
    let api = app.get("/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.json()["message"].is_string());
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::new_as("saksbehandler").await;
    let response = app.get("/rounds").await;
    let csp = response.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert!(response.header("referrer-policy").is_some());
    let css = app.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn round_table_sorts_by_each_column() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2019").await;
    let by_allocated = app
        .get(&format!("/rounds/{id}?sort=allocated&dir=desc"))
        .await
        .text();
    let trondheim = by_allocated.find(">Trondheim<").unwrap();
    let grong = by_allocated.find(">Grong<").unwrap();
    assert!(trondheim < grong, "largest first");
    assert!(by_allocated.contains("aria-sort=\"descending\""));
    let ascending = app
        .get(&format!("/rounds/{id}?sort=allocated&dir=asc"))
        .await
        .text();
    assert!(ascending.find(">Grong<").unwrap() < ascending.find(">Trondheim<").unwrap());
    for key in ["applicant", "kommunenummer", "requested", "status"] {
        let page = app.get(&format!("/rounds/{id}?sort={key}")).await;
        assert_eq!(page.status, StatusCode::OK, "{key}");
    }
}
