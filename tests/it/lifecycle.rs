//! One lifecycle for rounds, applications, uploads, decisions and conflicts of interest,
//! through HTTP against the real router. Each finding of the lifecycle review has a test
//! that checks the answer AND that nothing changed behind a refusal (the application or
//! round read again), plus two races run many times: confirm against submit, and a pool
//! cut against an approval.

use crate::common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::client::{Client, assert_status, dec, in_days, today_oslo};
use common::{TestApp, TestResponse};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tilskudd::domain::application::{ApplicationInput, BudgetLineInput};

const DEMO_ROUND: &str = "Trøndelag 2026 (demo)";

// ---------------------------------------------------------------------------------------
// Clients: one session per user on the same router, so several users can act at once.
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn message(response: &TestResponse) -> String {
    let body = response.json();
    body["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string())
}

fn field_errors(response: &TestResponse) -> Vec<String> {
    response.json()["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every whole number in a text (to find versions named in a message).
fn numbers_in(text: &str) -> BTreeSet<i64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// A new round for Trøndelag by an officer, open (the default) with a deadline in
/// `deadline_days` days.
async fn new_round(officer: &Client, name: &str, pool: &str, deadline_days: i64) -> i64 {
    let response = officer
        .post(
            "/api/v1/rounds",
            &json!({"name": name, "year": 2027, "region": "Trøndelag", "pool": pool,
                    "rounding_unit": "1", "deadline": in_days(deadline_days)}),
        )
        .await;
    assert_status(&response, StatusCode::CREATED, "create round");
    response.json()["id"].as_i64().unwrap()
}

/// The round's fields as PUT /api/v1/rounds/{id} wants them, with another pool/deadline.
fn round_update(round: &Value, pool: &str, deadline: Option<&str>) -> Value {
    json!({
        "name": round["name"],
        "year": round["year"],
        "region": round["region"],
        "pool": pool,
        "rounding_unit": round["rounding_unit"],
        "deadline": deadline.map(Value::from).unwrap_or_else(|| round["deadline"].clone()),
        "description": round["description"],
        "version": round["version"],
    })
}

/// A kommune user's draft: one budget line of `applied` kroner.
async fn kommune_draft(kommune: &Client, round_id: i64, title: &str, applied: &str) -> Value {
    let response = kommune
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({
                "project_title": title,
                "contact_person": "Kari Nordmann",
                "email": "kari.nordmann@trondheim.kommune.no",
                "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": applied, "own_contribution": "0"}]
            }),
        )
        .await;
    assert_status(&response, StatusCode::CREATED, "kommune draft");
    let body = response.json();
    assert_eq!(body["status"], "draft", "{body}");
    body
}

/// An application registered by an officer (received: submitted).
async fn registered(
    officer: &Client,
    round_id: i64,
    applicant: &str,
    title: &str,
    applied: &str,
) -> Value {
    let response = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({
                "applicant": applicant,
                "project_title": title,
                "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": applied, "own_contribution": "0"}]
            }),
        )
        .await;
    assert_status(
        &response,
        StatusCode::CREATED,
        "officer registers an application",
    );
    response.json()
}

/// Trondheim's application workbook for the round, filled in with this title and amount.
async fn trondheim_workbook(app: &TestApp, round_id: i64, title: &str, applied: &str) -> Vec<u8> {
    let round = app.store.round(round_id).await.unwrap();
    let input = ApplicationInput {
        applicant: String::new(),
        project_title: Some(title.into()),
        description: Some("Opplæring av koordinatorer.".into()),
        contact_person: Some("Kari Nordmann".into()),
        email: Some("kari.nordmann@trondheim.kommune.no".into()),
        requested: None,
        budget_lines: vec![BudgetLineInput {
            category: "Lønn".into(),
            description: "Koordinator".into(),
            applied: applied.into(),
            own_contribution: "0".into(),
        }],
    };
    tilskudd::sheets::template::application_workbook(
        &round,
        Some(("Trondheim", Some("5001"))),
        Some(&input),
    )
    .unwrap()
}

/// Uploads a workbook as a preview; it must be readable and without errors.
async fn preview(client: &Client, round_id: i64, bytes: &[u8]) -> Value {
    let response = client
        .upload(
            &format!("/api/v1/rounds/{round_id}/uploads"),
            "søknad.xlsx",
            bytes,
            "application",
        )
        .await;
    assert_status(&response, StatusCode::CREATED, "upload preview");
    let body = response.json();
    assert_eq!(body["status"], "preview", "{body}");
    body
}

async fn confirm(client: &Client, upload_id: i64) -> TestResponse {
    client
        .post(&format!("/api/v1/uploads/{upload_id}/confirm"), &json!({}))
        .await
}

async fn close_round(officer: &Client, round_id: i64, reason: &str) -> TestResponse {
    officer
        .post(
            &format!("/api/v1/rounds/{round_id}/close"),
            &json!({"reason": reason}),
        )
        .await
}

async fn create_scenario(officer: &Client, round_id: i64, body: Value) -> TestResponse {
    officer
        .post(&format!("/api/v1/rounds/{round_id}/scenarios"), &body)
        .await
}

async fn pro_rata(officer: &Client, round_id: i64, name: &str) -> Value {
    let response = create_scenario(
        officer,
        round_id,
        json!({"name": name, "method": "forholdsmessig", "rounding_unit": "1"}),
    )
    .await;
    assert_status(&response, StatusCode::CREATED, "create scenario");
    response.json()
}

async fn propose(officer: &Client, scenario_id: i64) -> TestResponse {
    officer
        .post(
            &format!("/api/v1/scenarios/{scenario_id}/propose"),
            &json!({}),
        )
        .await
}

async fn approve(approver: &Client, decision_id: i64) -> TestResponse {
    approver
        .post(
            &format!("/api/v1/decisions/{decision_id}/approve"),
            &json!({}),
        )
        .await
}

async fn scenario_count(officer: &Client, round_id: i64) -> usize {
    officer
        .read(&format!("/api/v1/rounds/{round_id}/scenarios"))
        .await
        .as_array()
        .unwrap()
        .len()
}

async fn audit_actions(officer: &Client, path: &str) -> Vec<(String, String)> {
    officer.read(path).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["summary"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Declares (im)partiality for an application.
async fn declare(officer: &Client, application_id: i64, body: Value) -> TestResponse {
    officer
        .post(
            &format!("/api/v1/applications/{application_id}/impartiality"),
            &body,
        )
        .await
}

async fn lift(officer: &Client, application_id: i64, user_id: i64, reason: &str) -> TestResponse {
    officer
        .post(
            &format!("/api/v1/applications/{application_id}/impartiality/{user_id}/lift"),
            &json!({"reason": reason}),
        )
        .await
}

// ---------------------------------------------------------------------------------------
// 1. A stale upload preview
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_stale_preview_is_refused_after_submit_after_a_decision_and_from_the_other_side() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let trondheim = Client::login(&app, "trondheim").await;

    // (a) A kommune user's draft, a preview, then the draft is submitted: the preview
    // no longer describes what it would replace.
    let round_id = new_round(
        &officer,
        "Trøndelag 2027 (forhåndsvisning)",
        "5 000 000",
        30,
    )
    .await;
    let draft = kommune_draft(&trondheim, round_id, "Koordinator i utkastet", "100000").await;
    let id = draft["id"].as_i64().unwrap();
    let bytes = trondheim_workbook(&app, round_id, "Koordinator fra regnearket", "250000").await;
    let upload = preview(&trondheim, round_id, &bytes).await;
    assert_eq!(
        upload["application"]["replaces_application"], id,
        "{upload}"
    );
    let submitted = trondheim
        .post(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"version": draft["version"]}),
        )
        .await;
    assert_status(&submitted, StatusCode::OK, "submit the draft");
    let before = trondheim.application(id).await;
    assert_eq!(before["status"], "submitted");
    let stale = confirm(&trondheim, upload["id"].as_i64().unwrap()).await;
    assert_status(
        &stale,
        StatusCode::CONFLICT,
        "confirm a preview made before the submit",
    );
    let after = trondheim.application(id).await;
    assert_eq!(after["project_title"], "Koordinator i utkastet", "{after}");
    assert_eq!(after["requested"], "100000", "{after}");
    assert_eq!(after["status"], "submitted");
    assert_eq!(after["version"], before["version"]);

    // (b) An officer's preview of a received application, then a decision grants it:
    // the old preview never changes a granted application.
    let round_b = new_round(&officer, "Trøndelag 2027 (vedtatt)", "5 000 000", 30).await;
    let received = registered(
        &officer,
        round_b,
        "5001",
        "Koordinator som registrert",
        "200000",
    )
    .await;
    let rid = received["id"].as_i64().unwrap();
    let bytes = trondheim_workbook(&app, round_b, "Koordinator etter vedtak", "300000").await;
    let officer_preview = preview(&officer, round_b, &bytes).await;
    assert_eq!(
        officer_preview["application"]["replaces_application"], rid,
        "{officer_preview}"
    );
    assert_status(
        &close_round(&officer, round_b, "Alle søknader er kommet inn").await,
        StatusCode::OK,
        "close",
    );
    let scenario = pro_rata(&officer, round_b, "Alt som omsøkt").await;
    let proposal = propose(&officer, scenario["id"].as_i64().unwrap()).await;
    assert_status(&proposal, StatusCode::CREATED, "propose");
    let approved = approve(&approver, proposal.json()["id"].as_i64().unwrap()).await;
    assert_status(&approved, StatusCode::OK, "approve");
    let granted = officer.application(rid).await;
    assert_eq!(granted["status"], "granted", "{granted}");
    let late = confirm(&officer, officer_preview["id"].as_i64().unwrap()).await;
    assert_status(
        &late,
        StatusCode::CONFLICT,
        "confirm an old preview after the decision",
    );
    let still = officer.application(rid).await;
    assert_eq!(still["status"], "granted");
    assert_eq!(
        still["project_title"], "Koordinator som registrert",
        "{still}"
    );
    assert_eq!(still["requested"], "200000", "{still}");
    assert_eq!(still["allocated"], granted["allocated"]);
    assert_eq!(still["version"], granted["version"]);

    // (c) An officer confirming a kommune user's preview: forbidden, the draft unchanged.
    let round_c = new_round(&officer, "Trøndelag 2027 (andre side)", "5 000 000", 30).await;
    let draft = kommune_draft(&trondheim, round_c, "Kommunens eget utkast", "100000").await;
    let did = draft["id"].as_i64().unwrap();
    let bytes = trondheim_workbook(&app, round_c, "Kommunens regneark", "400000").await;
    let kommune_preview = preview(&trondheim, round_c, &bytes).await;
    let other_side = confirm(&officer, kommune_preview["id"].as_i64().unwrap()).await;
    // The preview shows the municipality's draft, which is its own until submitted: to
    // an officer it does not exist.
    assert_status(
        &other_side,
        StatusCode::NOT_FOUND,
        "officer confirms a kommune's preview",
    );
    let unchanged = trondheim.application(did).await;
    assert_eq!(unchanged["status"], "draft");
    assert_eq!(
        unchanged["project_title"], "Kommunens eget utkast",
        "{unchanged}"
    );
    assert_eq!(unchanged["requested"], "100000");
    assert_eq!(unchanged["version"], draft["version"]);
    let upload_now = trondheim
        .read(&format!("/api/v1/uploads/{}", kommune_preview["id"]))
        .await;
    assert_eq!(upload_now["status"], "preview", "{upload_now}");
}

// ---------------------------------------------------------------------------------------
// 2. An older preview confirmed after a newer one; an unchanged workbook
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_older_preview_confirmed_after_a_newer_one_names_both_versions() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let round_id = new_round(
        &officer,
        "Trøndelag 2027 (to forhåndsvisninger)",
        "5 000 000",
        30,
    )
    .await;
    let draft = kommune_draft(&trondheim, round_id, "Utkast", "100000").await;
    let id = draft["id"].as_i64().unwrap();
    let base = draft["version"].as_i64().unwrap();

    let older = preview(
        &trondheim,
        round_id,
        &trondheim_workbook(&app, round_id, "Eldre regneark", "150000").await,
    )
    .await;
    let newer = preview(
        &trondheim,
        round_id,
        &trondheim_workbook(&app, round_id, "Nyere regneark", "175000").await,
    )
    .await;
    let confirmed = confirm(&trondheim, newer["id"].as_i64().unwrap()).await;
    assert_status(&confirmed, StatusCode::OK, "confirm the newer preview");
    let current = trondheim.application(id).await;
    assert_eq!(current["project_title"], "Nyere regneark");
    let now = current["version"].as_i64().unwrap();
    assert!(now > base, "confirming made a new version: {current}");

    let stale = confirm(&trondheim, older["id"].as_i64().unwrap()).await;
    assert_status(&stale, StatusCode::CONFLICT, "confirm the older preview");
    let text = message(&stale);
    assert!(text.contains("versjon"), "{text}");
    let named = numbers_in(&text);
    assert!(
        named.contains(&base) && named.contains(&now),
        "the message names version {base} (the preview's) and {now} (now): {text}"
    );
    let after = trondheim.application(id).await;
    assert_eq!(after["project_title"], "Nyere regneark");
    assert_eq!(after["requested"], "175000");
    assert_eq!(after["version"], now);
}

#[tokio::test]
async fn an_unchanged_workbook_uploaded_again_makes_no_new_version() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let round_id = new_round(&officer, "Trøndelag 2027 (uendret)", "5 000 000", 30).await;
    let draft = kommune_draft(&trondheim, round_id, "Utkast", "100000").await;
    let id = draft["id"].as_i64().unwrap();
    let bytes = trondheim_workbook(&app, round_id, "Fra regnearket", "120000").await;
    let first = preview(&trondheim, round_id, &bytes).await;
    assert_status(
        &confirm(&trondheim, first["id"].as_i64().unwrap()).await,
        StatusCode::OK,
        "first confirm",
    );
    let before = trondheim.application(id).await;
    let versions_before = app.store.application_versions(id).await.unwrap().len();

    let again = preview(&trondheim, round_id, &bytes).await;
    let second = confirm(&trondheim, again["id"].as_i64().unwrap()).await;
    assert!(
        second.status.is_success() || second.status == StatusCode::CONFLICT,
        "confirming an unchanged workbook: {} {}",
        second.status,
        second.text()
    );
    let after = trondheim.application(id).await;
    assert_eq!(
        after["version"], before["version"],
        "no new version: {after}"
    );
    assert_eq!(after["project_title"], "Fra regnearket");
    assert_eq!(
        app.store.application_versions(id).await.unwrap().len(),
        versions_before,
        "the versions list is unchanged"
    );
}

// ---------------------------------------------------------------------------------------
// 3. One application per applicant per round
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_second_application_for_the_same_applicant_is_refused() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let count_5001 = |round: &Value| {
        round["applications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kommunenummer"] == "5001")
            .count()
    };
    let officer_before = count_5001(&officer.round(round_id).await);
    assert_eq!(officer_before, 1, "Trondheim applies in the demo round");
    let own_before = trondheim.round(round_id).await["applications"]
        .as_array()
        .unwrap()
        .len();

    // The kommune user through the API.
    let kommune = trondheim
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"project_title": "Enda en søknad", "requested": "100000"}),
        )
        .await;
    assert_status(
        &kommune,
        StatusCode::CONFLICT,
        "kommune user, second application (API)",
    );
    assert!(message(&kommune).contains("allerede"), "{}", kommune.text());

    // An officer through the API, naming the applicant by its kommunenummer.
    let by_officer = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"applicant": "5001", "project_title": "Registrert på nytt",
                    "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": "100000"}]}),
        )
        .await;
    assert_status(
        &by_officer,
        StatusCode::CONFLICT,
        "officer, second application (API)",
    );
    assert!(
        message(&by_officer).contains("allerede"),
        "{}",
        by_officer.text()
    );

    // The page forms, for both.
    let page = officer
        .form(
            &format!("/rounds/{round_id}/applications"),
            &[
                ("applicant", "5001"),
                ("project_title", "Fra skjemaet"),
                ("line0_category", "Lønn"),
                ("line0_description", "Koordinator"),
                ("line0_applied", "100 000"),
                ("line0_own_contribution", "0"),
            ],
        )
        .await;
    assert_status(
        &page,
        StatusCode::CONFLICT,
        "officer, second application (page)",
    );
    assert!(page.text().contains("allerede"), "{}", page.text());
    let kommune_page = trondheim
        .form(
            &format!("/rounds/{round_id}/applications"),
            &[("project_title", "Fra skjemaet"), ("requested", "90 000")],
        )
        .await;
    assert_status(
        &kommune_page,
        StatusCode::CONFLICT,
        "kommune user, second application (page)",
    );

    // Nothing was added, neither a received application nor a draft.
    assert_eq!(count_5001(&officer.round(round_id).await), officer_before);
    assert_eq!(
        trondheim.round(round_id).await["applications"]
            .as_array()
            .unwrap()
            .len(),
        own_before
    );
}

// ---------------------------------------------------------------------------------------
// 4. A decision before the deadline
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_decision_is_proposed_only_once_the_round_is_closed() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let round = officer.round(round_id).await;
    assert_eq!(round["phase"], "open", "{}", round["phase"]);
    let scenario = pro_rata(&officer, round_id, "Forholdsmessig").await;
    let sid = scenario["id"].as_i64().unwrap();

    let early = propose(&officer, sid).await;
    assert_status(
        &early,
        StatusCode::CONFLICT,
        "propose while the round is open",
    );
    let text = message(&early).to_lowercase();
    assert!(
        text.contains("lukk"),
        "the message says to close the round: {text}"
    );
    let decisions = officer
        .read(&format!("/api/v1/rounds/{round_id}/decisions"))
        .await;
    assert_eq!(decisions, json!([]), "no decision stored");
    let after = officer.round(round_id).await;
    assert_eq!(after["phase"], "open");
    assert_eq!(after["allocated_total"], round["allocated_total"]);

    let closed = close_round(
        &officer,
        round_id,
        "Alle kommunene har søkt; vi lukker tidlig",
    )
    .await;
    assert_status(&closed, StatusCode::OK, "close with a reason");
    assert_eq!(closed.json()["phase"], "closed");
    let proposal = propose(&officer, sid).await;
    assert!(
        proposal.status == StatusCode::CREATED || proposal.status == StatusCode::OK,
        "propose after closing: {} {}",
        proposal.status,
        proposal.text()
    );
    assert_eq!(officer.round(round_id).await["phase"], "awaiting_approval");
}

// ---------------------------------------------------------------------------------------
// 5. The officer's amount is a proposal
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_officers_amount_is_a_proposal_until_a_decision() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let round = officer.round(round_id).await;
    let allocated_before = round["allocated_total"].clone();
    let pool = dec(&round["pool"]);
    let apps = round["applications"].as_array().unwrap().clone();
    let a = &apps[0];
    let id = a["id"].as_i64().unwrap();

    let set = officer
        .put(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": "100000", "version": a["version"]}),
        )
        .await;
    assert_status(&set, StatusCode::OK, "propose an amount");
    let body = set.json();
    assert_eq!(body["proposed"], "100000", "{body}");
    assert!(body["allocated"].is_null(), "not granted: {body}");
    let read = officer.application(id).await;
    assert_eq!(read["proposed"], "100000");
    assert!(read["allocated"].is_null(), "{read}");
    assert_eq!(
        body, read,
        "the write answers the application as read after it"
    );
    let again = officer
        .put(
            &format!("/api/v1/applications/{id}/allocation"),
            &json!({"amount": "100000", "version": read["version"], "reason": "Godt forankret"}),
        )
        .await;
    assert_status(&again, StatusCode::OK, "propose again, with a reason");
    let read = officer.application(id).await;
    assert_eq!(read["allocation_reason"], "Godt forankret", "{read}");
    assert_eq!(again.json(), read);
    let round_now = officer.round(round_id).await;
    assert_eq!(
        round_now["allocated_total"], allocated_before,
        "{round_now}"
    );
    assert_eq!(dec(&round_now["proposed_total"]), Decimal::from(100_000));
    assert_eq!(round_now["remaining"], round["remaining"]);

    // The page form proposes too.
    let b = &apps[1];
    let bid = b["id"].as_i64().unwrap();
    let form = officer
        .form(
            &format!("/applications/{bid}/allocation"),
            &[("amount", "50 000"), ("version", &b["version"].to_string())],
        )
        .await;
    assert_status(&form, StatusCode::SEE_OTHER, "propose through the page");
    let read_b = officer.application(bid).await;
    assert_eq!(read_b["proposed"], "50000", "{read_b}");
    assert!(read_b["allocated"].is_null(), "{read_b}");
    let round_now = officer.round(round_id).await;
    assert_eq!(round_now["allocated_total"], allocated_before);
    assert_eq!(dec(&round_now["proposed_total"]), Decimal::from(150_000));

    // The pool holds for the sum of proposals.
    let c = &apps[2];
    let cid = c["id"].as_i64().unwrap();
    let too_much = pool - Decimal::from(150_000) + Decimal::ONE;
    let above = officer
        .put(
            &format!("/api/v1/applications/{cid}/allocation"),
            &json!({"amount": too_much.to_string(), "version": c["version"], "reason": "Stort tiltak"}),
        )
        .await;
    assert_status(
        &above,
        StatusCode::UNPROCESSABLE_ENTITY,
        "proposals above the pool",
    );
    assert!(
        field_errors(&above).contains(&"amount".to_string()),
        "{}",
        above.text()
    );
    let read_c = officer.application(cid).await;
    assert!(read_c["proposed"].is_null(), "{read_c}");
    assert_eq!(read_c["version"], c["version"]);
    assert_eq!(
        dec(&officer.round(round_id).await["proposed_total"]),
        Decimal::from(150_000)
    );

    // The manual method reads the proposals.
    let manual = create_scenario(
        &officer,
        round_id,
        json!({"name": "Som foreslått", "method": "manuell", "rounding_unit": "1"}),
    )
    .await;
    assert_status(&manual, StatusCode::CREATED, "manual scenario");
    let manual = manual.json();
    assert_eq!(
        dec(&manual["allocated_total"]),
        Decimal::from(150_000),
        "{manual}"
    );
    let line = |id: i64| {
        manual["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["application_id"] == id)
            .map(|l| dec(&l["amount"]))
    };
    assert_eq!(line(id), Some(Decimal::from(100_000)));
    assert_eq!(line(bid), Some(Decimal::from(50_000)));

    // The page shows it as a proposal (checked last: the page is the least specific).
    let page = officer.get(&format!("/applications/{id}")).await;
    assert_status(&page, StatusCode::OK, "application page");
    let html = page.text();
    assert!(html.contains("Foreslått"), "«Foreslått» on the page");
    let at = html.find("Tildelt");
    assert!(
        at.is_none(),
        "no «Tildelt» before a decision; found: …{}…",
        at.map(|i| html[i.saturating_sub(60)..(i + 80).min(html.len())].to_string())
            .unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------
// 6. A declared conflict of interest
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_declared_conflict_stands_blocks_the_case_and_is_lifted_by_another_officer() {
    let app = TestApp::with_sample_data().await;
    app.add_user("godkjenner2", "godkjenner", None).await;
    let siri = Client::login(&app, "saksbehandler").await;
    let geir = Client::login(&app, "godkjenner").await;
    let _other_approver = Client::login(&app, "godkjenner2").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let round = siri.round(round_id).await;
    let apps = round["applications"].as_array().unwrap().clone();
    let target = apps[0]["id"].as_i64().unwrap();
    let target_version = apps[0]["version"].clone();
    let criterion = siri
        .post(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "Forankring", "weight": "1"}),
        )
        .await;
    assert_status(&criterion, StatusCode::CREATED, "criterion");
    let criterion = criterion.json()["id"].as_i64().unwrap();

    let declared = declare(
        &siri,
        target,
        json!({"conflict": true, "reason": "Gift med prosjektlederen"}),
    )
    .await;
    assert_status(&declared, StatusCode::OK, "declare a conflict");

    // The declarer cannot take it back.
    let back = declare(&siri, target, json!({"conflict": false})).await;
    assert_status(
        &back,
        StatusCode::FORBIDDEN,
        "the declarer says «habil» again",
    );
    let mine = siri
        .read(&format!("/api/v1/applications/{target}/assessment"))
        .await;
    assert_eq!(mine["my_declaration"]["conflict"], true, "{mine}");

    // Assessing.
    let assess = siri
        .put(
            &format!("/api/v1/applications/{target}/assessment"),
            &json!({"scores": [{"criterion_id": criterion, "score": "8"}]}),
        )
        .await;
    assert_status(&assess, StatusCode::FORBIDDEN, "assess while conflicted");
    assert!(message(&assess).contains("inhabil"), "{}", assess.text());
    assert!(
        !app.store
            .weighted_scores(round_id)
            .await
            .unwrap()
            .contains_key(&target),
        "nothing was scored"
    );

    // The proposal amount.
    let amount = siri
        .put(
            &format!("/api/v1/applications/{target}/allocation"),
            &json!({"amount": "1000", "version": target_version}),
        )
        .await;
    assert_status(
        &amount,
        StatusCode::FORBIDDEN,
        "propose an amount while conflicted",
    );
    let read = geir.application(target).await;
    assert!(read["proposed"].is_null(), "{read}");
    assert_eq!(read["version"], target_version);

    // Scenarios that set something by hand for that application.
    let key = target.to_string();
    for (name, parameters) in [
        ("Manuelt beløp", json!({"amounts": {key.clone(): "1000"}})),
        ("Med gulv", json!({"floors": {key.clone(): "1000"}})),
        ("Med tak", json!({"caps": {key.clone(): "1000"}})),
    ] {
        let method = if name == "Manuelt beløp" {
            "manuell"
        } else {
            "forholdsmessig"
        };
        let refused = create_scenario(
            &siri,
            round_id,
            json!({"name": name, "method": method, "rounding_unit": "1", "parameters": parameters}),
        )
        .await;
        assert_status(&refused, StatusCode::FORBIDDEN, name);
    }
    assert_eq!(
        scenario_count(&geir, round_id).await,
        0,
        "no scenario stored"
    );

    // Lifting: not by the declarer, not without a reason; by another officer with one.
    let own = lift(&siri, target, siri.id, "Jeg er habil likevel").await;
    assert_status(
        &own,
        StatusCode::FORBIDDEN,
        "the declarer lifts their own conflict",
    );
    let no_reason = lift(&geir, target, siri.id, "  ").await;
    assert!(
        no_reason.status.is_client_error(),
        "lift without a reason: {} {}",
        no_reason.status,
        no_reason.text()
    );
    let still = siri
        .read(&format!("/api/v1/applications/{target}/assessment"))
        .await;
    let version_now = geir.application(target).await["version"].clone();
    assert_eq!(version_now, target_version);
    assert_eq!(still["my_declaration"]["conflict"], true, "{still}");
    let lifted = lift(&geir, target, siri.id, "Ekteskapet er oppløst").await;
    assert_status(
        &lifted,
        StatusCode::OK,
        "another officer lifts with a reason",
    );
    // Lifted, Siri may propose an amount again.
    let amount = siri
        .put(
            &format!("/api/v1/applications/{target}/allocation"),
            &json!({"amount": "1000", "version": target_version}),
        )
        .await;
    assert_status(
        &amount,
        StatusCode::OK,
        "propose an amount once the conflict is lifted",
    );
    let events = audit_actions(&geir, &format!("/api/v1/audit?application={target}")).await;
    assert!(
        events.iter().any(|(action, _)| action.contains("lift")),
        "the lifting is audited: {events:?}"
    );
}

#[tokio::test]
async fn a_declared_conflict_blocks_proposing_approving_and_returning() {
    let app = TestApp::with_sample_data().await;
    app.add_user("godkjenner2", "godkjenner", None).await;
    let siri = Client::login(&app, "saksbehandler").await;
    let geir = Client::login(&app, "godkjenner").await;
    let other_approver = Client::login(&app, "godkjenner2").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let round = siri.round(round_id).await;
    let target = round["applications"][0]["id"].as_i64().unwrap();
    let declared = declare(
        &siri,
        target,
        json!({"conflict": true, "reason": "Gift med prosjektlederen"}),
    )
    .await;
    assert_status(&declared, StatusCode::OK, "declare a conflict");

    // Proposing a decision in the round.
    assert_status(
        &close_round(&geir, round_id, "Fristen er i praksis ute").await,
        StatusCode::OK,
        "close",
    );
    let scenario = pro_rata(&geir, round_id, "Forholdsmessig").await;
    let sid = scenario["id"].as_i64().unwrap();
    let refused = propose(&siri, sid).await;
    assert_status(&refused, StatusCode::FORBIDDEN, "propose while conflicted");
    assert!(message(&refused).contains("inhabil"), "{}", refused.text());
    assert_eq!(
        geir.read(&format!("/api/v1/rounds/{round_id}/decisions"))
            .await,
        json!([])
    );
    assert_eq!(geir.round(round_id).await["phase"], "closed");

    // Approving and returning.
    let declared = declare(
        &other_approver,
        target,
        json!({"conflict": true, "reason": "Tidligere arbeidsgiver"}),
    )
    .await;
    assert_status(
        &declared,
        StatusCode::OK,
        "the second approver declares a conflict",
    );
    // Declarations may count as a change the scenario rests on: compute it again.
    let recomputed = geir
        .post(&format!("/api/v1/scenarios/{sid}/recompute"), &json!({}))
        .await;
    assert_status(&recomputed, StatusCode::OK, "recompute");
    let proposal = propose(&geir, sid).await;
    assert_status(&proposal, StatusCode::CREATED, "another officer proposes");
    let proposal = proposal.json();
    let did = proposal["id"].as_i64().unwrap();
    let blocked = approve(&other_approver, did).await;
    assert_status(&blocked, StatusCode::FORBIDDEN, "approve while conflicted");
    assert!(message(&blocked).contains("inhabil"), "{}", blocked.text());
    let returned = other_approver
        .post(
            &format!("/api/v1/decisions/{did}/return"),
            &json!({"comment": "Tilbake"}),
        )
        .await;
    assert_status(&returned, StatusCode::FORBIDDEN, "return while conflicted");
    let decision = geir.read(&format!("/api/v1/decisions/{did}")).await;
    assert_eq!(decision["status"], proposal["status"], "{decision}");
    assert!(decision["reviewed_by"].is_null(), "{decision}");
    let round_now = geir.round(round_id).await;
    assert_eq!(round_now["phase"], "awaiting_approval");
    assert_eq!(round_now["allocated_total"], round["allocated_total"]);
    let own = lift(&other_approver, target, other_approver.id, "Habil likevel").await;
    assert_status(
        &own,
        StatusCode::FORBIDDEN,
        "the approver lifts their own conflict",
    );
    let blocked = approve(&other_approver, did).await;
    assert_status(
        &blocked,
        StatusCode::FORBIDDEN,
        "approve: the conflict still stands",
    );
}

#[tokio::test]
async fn rounds_open_close_and_reopen_through_the_api_and_the_pages() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let trondheim = Client::login(&app, "trondheim").await;

    // A draft round: not announced until opened.
    let created = officer
        .post(
            "/api/v1/rounds",
            &json!({"name": "Trøndelag 2027 (utkast)", "year": 2027, "region": "Trøndelag",
                    "pool": "2000000", "rounding_unit": "1", "deadline": in_days(30), "phase": "draft"}),
        )
        .await;
    assert_status(&created, StatusCode::CREATED, "create a draft round");
    let body = created.json();
    assert_eq!(body["phase"], "draft", "{body}");
    assert_eq!(body["status"], "draft", "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        trondheim.get(&format!("/api/v1/rounds/{id}")).await.status,
        StatusCode::NOT_FOUND,
        "a draft round is not shown to municipalities"
    );
    let opened = officer
        .post(&format!("/api/v1/rounds/{id}/open"), &json!({}))
        .await;
    assert_status(&opened, StatusCode::OK, "open");
    assert_eq!(opened.json()["phase"], "open");
    assert_eq!(officer.round(id).await["status"], "open");
    let default_open = new_round(&officer, "Trøndelag 2027 (åpen)", "1000000", 30).await;
    assert_eq!(officer.round(default_open).await["phase"], "open");

    // Closing needs a reason.
    for body in [json!({}), json!({"reason": ""}), json!({"reason": "   "})] {
        let refused = officer
            .post(&format!("/api/v1/rounds/{id}/close"), &body)
            .await;
        assert_status(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("close with {body}"),
        );
        assert!(
            field_errors(&refused).contains(&"reason".to_string()),
            "{}",
            refused.text()
        );
    }
    assert_eq!(officer.round(id).await["phase"], "open");
    let closed = close_round(&officer, id, "Alle har søkt").await;
    assert_status(&closed, StatusCode::OK, "close");
    let closed = closed.json();
    assert_eq!(closed["phase"], "closed");
    assert_eq!(closed["status"], "closed");
    assert_eq!(officer.round(id).await["phase"], "closed");
    let events = audit_actions(&officer, &format!("/api/v1/rounds/{id}/audit")).await;
    assert!(
        events.iter().any(|(action, _)| action.contains("close")),
        "closing is audited: {events:?}"
    );

    // Reopening, then the same through the pages.
    let reopened = officer
        .post(
            &format!("/api/v1/rounds/{id}/reopen"),
            &json!({"reason": "En kommune fikk ikke sendt"}),
        )
        .await;
    assert_status(&reopened, StatusCode::OK, "reopen");
    assert_eq!(reopened.json()["phase"], "open");
    let not_closed = officer
        .post(
            &format!("/api/v1/rounds/{id}/reopen"),
            &json!({"reason": "Igjen"}),
        )
        .await;
    assert_status(&not_closed, StatusCode::CONFLICT, "reopen an open round");
    let page = officer
        .form(
            &format!("/rounds/{id}/close"),
            &[("reason", "Lukket fra siden")],
        )
        .await;
    assert_status(&page, StatusCode::SEE_OTHER, "close through the page");
    assert_eq!(
        page.header("location"),
        Some(format!("/rounds/{id}").as_str())
    );
    assert_eq!(officer.round(id).await["phase"], "closed");
    let page = officer
        .form(
            &format!("/rounds/{id}/reopen"),
            &[("reason", "Åpnet fra siden")],
        )
        .await;
    assert_status(&page, StatusCode::SEE_OTHER, "reopen through the page");
    assert_eq!(
        page.header("location"),
        Some(format!("/rounds/{id}").as_str())
    );
    assert_eq!(officer.round(id).await["phase"], "open");

    // Once a decision has been proposed, the round is not reopened (also after the
    // proposal is sent back).
    registered(&officer, id, "5001", "Koordinator", "300000").await;
    assert_status(
        &close_round(&officer, id, "Klar").await,
        StatusCode::OK,
        "close",
    );
    let scenario = pro_rata(&officer, id, "Forholdsmessig").await;
    let proposal = propose(&officer, scenario["id"].as_i64().unwrap()).await;
    assert_status(&proposal, StatusCode::CREATED, "propose");
    assert_eq!(officer.round(id).await["phase"], "awaiting_approval");
    let returned = approver
        .post(
            &format!("/api/v1/decisions/{}/return", proposal.json()["id"]),
            &json!({"comment": "Se på dette igjen"}),
        )
        .await;
    assert_status(&returned, StatusCode::OK, "return");
    assert_eq!(officer.round(id).await["phase"], "closed");
    let refused = officer
        .post(
            &format!("/api/v1/rounds/{id}/reopen"),
            &json!({"reason": "Vil ta imot flere"}),
        )
        .await;
    assert_status(&refused, StatusCode::CONFLICT, "reopen after a proposal");
    assert_eq!(officer.round(id).await["phase"], "closed");
}

#[tokio::test]
async fn past_the_deadline_the_round_is_closed_and_takes_no_submission() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;

    let past = new_round(&officer, "Trøndelag 2027 (fristen er ute)", "1000000", -1).await;
    let round = officer.round(past).await;
    assert_eq!(round["phase"], "closed", "{round}");
    assert_eq!(round["status"], "closed", "{round}");

    // A draft written before the deadline, submitted after it.
    let id = new_round(&officer, "Trøndelag 2027 (frist flyttes)", "1000000", 30).await;
    let draft = kommune_draft(&trondheim, id, "Sent ute", "100000").await;
    let did = draft["id"].as_i64().unwrap();
    let round = officer.round(id).await;
    let moved = officer
        .put(
            &format!("/api/v1/rounds/{id}"),
            &round_update(&round, "1000000", Some(in_days(-1).as_str())),
        )
        .await;
    assert_status(&moved, StatusCode::OK, "move the deadline to yesterday");
    assert_eq!(moved.json()["phase"], "closed");
    let late = trondheim
        .post(
            &format!("/api/v1/applications/{did}/submit"),
            &json!({"version": draft["version"]}),
        )
        .await;
    assert_status(&late, StatusCode::CONFLICT, "submit after the deadline");
    let after = trondheim.application(did).await;
    assert_eq!(after["status"], "draft");
    assert_eq!(after["version"], draft["version"]);
}

#[tokio::test]
async fn an_applicant_withdraws_while_the_round_is_open() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let round_id = new_round(&officer, "Trøndelag 2027 (trekkes)", "1000000", 30).await;
    let draft = kommune_draft(&trondheim, round_id, "Trekkes", "100000").await;
    let id = draft["id"].as_i64().unwrap();
    let submitted = trondheim
        .post(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"version": draft["version"]}),
        )
        .await;
    assert_status(&submitted, StatusCode::OK, "submit");
    let version = submitted.json()["version"].clone();
    let withdrawn = trondheim
        .post(
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({"version": version}),
        )
        .await;
    assert_status(&withdrawn, StatusCode::OK, "withdraw");
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    assert_eq!(trondheim.application(id).await["status"], "withdrawn");
    assert_eq!(officer.application(id).await["status"], "withdrawn");
}

#[tokio::test]
async fn the_demo_round_is_open_for_a_new_application() {
    let app = TestApp::with_sample_data().await;
    let fosen = Client::login(&app, "fosenhelse").await;
    let round_id = app.round_id_as_store(DEMO_ROUND).await;
    let round = fosen.round(round_id).await;
    assert_eq!(round["phase"], "open", "{round}");
    let deadline: NaiveDate = round["deadline"]
        .as_str()
        .unwrap_or_else(|| panic!("no deadline: {round}"))
        .parse()
        .unwrap();
    let days = (deadline - today_oslo()).num_days();
    assert!(
        (20..=40).contains(&days),
        "deadline about 30 days ahead, is {deadline} ({days} days)"
    );
    let created = fosen
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({"project_title": "Koordinatorskole i Fosen",
                    "budget_lines": [{"category": "Kompetanseheving", "description": "Kurs", "applied": "120 000"}]}),
        )
        .await;
    assert_status(
        &created,
        StatusCode::CREATED,
        "a kommune user's draft in the demo round",
    );
    let draft = created.json();
    let submitted = fosen
        .post(
            &format!("/api/v1/applications/{}/submit", draft["id"]),
            &json!({"version": draft["version"]}),
        )
        .await;
    assert_status(&submitted, StatusCode::OK, "submit in the demo round");
    assert_eq!(submitted.json()["status"], "submitted");
}

// ---------------------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------------------

/// Runs two requests at the same time on the multi-threaded runtime, the second started
/// `stagger_us` microseconds after the first (negative: the first after the second), so
/// that both orders happen over many runs.
async fn race(
    first: impl std::future::Future<Output = TestResponse> + Send + 'static,
    second: impl std::future::Future<Output = TestResponse> + Send + 'static,
    stagger_us: i64,
) -> (TestResponse, TestResponse) {
    let delay = |us: i64| tokio::time::sleep(std::time::Duration::from_micros(us.max(0) as u64));
    let a = tokio::spawn({
        let wait = delay(-stagger_us);
        async move {
            wait.await;
            first.await
        }
    });
    let b = tokio::spawn({
        let wait = delay(stagger_us);
        async move {
            wait.await;
            second.await
        }
    });
    (a.await.unwrap(), b.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_confirm_submit_pairs_never_overwrite_a_submitted_application() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let (mut confirm_won, mut submit_won) = (0, 0);
    for i in 0..50_i64 {
        let round_id = new_round(&officer, &format!("Kappløp {i}"), "5 000 000", 30).await;
        let draft = kommune_draft(&trondheim, round_id, "Utkastet", "100000").await;
        let id = draft["id"].as_i64().unwrap();
        let version = draft["version"].as_i64().unwrap();
        let bytes = trondheim_workbook(&app, round_id, "Fra regnearket", "200000").await;
        let upload = preview(&trondheim, round_id, &bytes).await["id"]
            .as_i64()
            .unwrap();
        let (confirmer, submitter) = (trondheim.clone(), trondheim.clone());
        let (confirmed, submitted) = race(
            async move { confirm(&confirmer, upload).await },
            async move {
                submitter
                    .post(
                        &format!("/api/v1/applications/{id}/submit"),
                        &json!({"version": version}),
                    )
                    .await
            },
            (i % 6) * 5000 - 5000,
        )
        .await;
        let now = trondheim.application(id).await;
        match (confirmed.status, submitted.status) {
            (StatusCode::OK, StatusCode::CONFLICT) => {
                confirm_won += 1;
                assert_eq!(now["status"], "draft", "{now}");
                assert_eq!(now["project_title"], "Fra regnearket", "{now}");
            }
            (StatusCode::CONFLICT, StatusCode::OK) => {
                submit_won += 1;
                // The submitted application is exactly what the submit answered.
                assert_eq!(now["status"], "submitted", "{now}");
                assert_eq!(now["project_title"], "Utkastet", "{now}");
                assert_eq!(now["requested"], "100000", "{now}");
                assert_eq!(submitted.json()["project_title"], now["project_title"]);
                assert_eq!(submitted.json()["version"], now["version"]);
            }
            other => panic!(
                "pair {i}: exactly one of confirm and submit may succeed, got {other:?}: {} / {}",
                confirmed.text(),
                submitted.text()
            ),
        }
    }
    println!("confirm/submit: confirm first {confirm_won}, submit first {submit_won}");
    assert_eq!(confirm_won + submit_won, 50);
}

/// A closed round of 1 000 000 kr with three applications of 400 000 kr each, and a
/// pro-rata scenario that shares the whole pool.
async fn round_ready_to_decide(officer: &Client, name: &str) -> (i64, i64) {
    let round_id = new_round(officer, name, "1 000 000", 30).await;
    for applicant in ["5001", "5006", "5007"] {
        registered(officer, round_id, applicant, "Koordinator", "400000").await;
    }
    assert_status(
        &close_round(officer, round_id, "Alle har søkt").await,
        StatusCode::OK,
        "close",
    );
    let scenario = pro_rata(officer, round_id, "Forholdsmessig").await;
    (round_id, scenario["id"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_cut_racing_an_approval_never_leaves_grants_above_the_pool() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..10_i64 {
        let (round_id, scenario_id) =
            round_ready_to_decide(&officer, &format!("Rammekutt {i}")).await;
        let proposal = propose(&officer, scenario_id).await;
        assert_status(&proposal, StatusCode::CREATED, "propose");
        let decision = proposal.json()["id"].as_i64().unwrap();
        let round = officer.round(round_id).await;
        let cut = round_update(&round, "600 000", None);
        let (cutter, reviewer) = (officer.clone(), approver.clone());
        let (cut, approved) = race(
            async move {
                cutter
                    .put(&format!("/api/v1/rounds/{round_id}"), &cut)
                    .await
            },
            async move { approve(&reviewer, decision).await },
            (i % 5 - 2) * 1500,
        )
        .await;
        *outcomes
            .entry((cut.status.as_u16(), approved.status.as_u16()))
            .or_insert(0) += 1;
        let now = officer.round(round_id).await;
        assert!(
            dec(&now["allocated_total"]) <= dec(&now["pool"]),
            "race {i}: granted {} above the pool {} (cut {}, approve {})",
            now["allocated_total"],
            now["pool"],
            cut.status,
            approved.status
        );
        assert!(
            !(cut.status == StatusCode::OK && approved.status == StatusCode::OK),
            "race {i}: the pool was cut under a proposal that was then approved"
        );
    }
    println!("pool cut / approve outcomes (status pairs): {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_cut_racing_a_proposal_never_leaves_grants_above_the_pool() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..10_i64 {
        let (round_id, scenario_id) =
            round_ready_to_decide(&officer, &format!("Rammekutt mot forslag {i}")).await;
        let round = officer.round(round_id).await;
        let cut = round_update(&round, "600 000", None);
        let (cutter, proposer) = (officer.clone(), officer.clone());
        let (cut, proposed) = race(
            async move {
                cutter
                    .put(&format!("/api/v1/rounds/{round_id}"), &cut)
                    .await
            },
            async move { propose(&proposer, scenario_id).await },
            (i % 5 - 2) * 1500,
        )
        .await;
        *outcomes
            .entry((cut.status.as_u16(), proposed.status.as_u16()))
            .or_insert(0) += 1;
        if proposed.status == StatusCode::CREATED {
            let decision = proposed.json()["id"].as_i64().unwrap();
            approve(&approver, decision).await;
        }
        let now = officer.round(round_id).await;
        assert!(
            dec(&now["allocated_total"]) <= dec(&now["pool"]),
            "race {i}: granted {} above the pool {} (cut {}, propose {})",
            now["allocated_total"],
            now["pool"],
            cut.status,
            proposed.status
        );
    }
    println!("pool cut / propose outcomes (status pairs): {outcomes:?}");
}
