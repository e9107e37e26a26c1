//! Fordelingsalternativer and vedtak through the API and the pages: computed and stored,
//! compared side by side and in Excel, proposed by one officer and approved by another,
//! frozen, amended with a reason; kommune users see amounts only after approval.

use crate::common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use common::TestApp;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

async fn round_apps(app: &TestApp, round_id: i64) -> Vec<Value> {
    app.get(&format!("/api/v1/rounds/{round_id}")).await.json()["applications"]
        .as_array()
        .unwrap()
        .clone()
}

async fn create(app: &TestApp, round_id: i64, body: Value) -> Value {
    let response = app
        .post_json(&format!("/api/v1/rounds/{round_id}/scenarios"), &body)
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

fn check_sums(scenario: &Value, pool: Decimal, unit: Decimal) {
    let allocations = scenario["allocations"].as_array().unwrap();
    let sum: Decimal = allocations.iter().map(|a| dec(&a["amount"])).sum();
    assert_eq!(sum, dec(&scenario["allocated_total"]));
    assert_eq!(sum + dec(&scenario["unallocated"]), pool);
    for a in allocations {
        let amount = dec(&a["amount"]);
        assert_eq!(amount % unit, Decimal::ZERO, "{a}");
        assert!(a["explanation"].as_str().unwrap().len() > 5, "{a}");
        assert!(a["application_id"].as_i64().is_some());
    }
}

#[tokio::test]
async fn pro_rata_on_the_demo_round_places_the_pool_exactly() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let pool = Decimal::from(15_000_000);

    let one = create(
        &app,
        round_id,
        json!({"name": "Forholdsmessig, hele kroner", "method": "forholdsmessig", "rounding_unit": "1", "parameters": {}}),
    )
    .await;
    assert_eq!(one["allocated_total"], "15000000");
    assert_eq!(one["unallocated"], "0");
    assert_eq!(one["allocations"].as_array().unwrap().len(), 25);
    check_sums(&one, pool, Decimal::ONE);
    let explanation = one["allocations"][0]["explanation"].as_str().unwrap();
    assert!(explanation.starts_with("Forholdsmessig:"), "{explanation}");

    let thousand = create(
        &app,
        round_id,
        json!({"name": "Forholdsmessig, hele tusen", "method": "forholdsmessig", "rounding_unit": 1000}),
    )
    .await;
    check_sums(&thousand, pool, Decimal::from(1000));
    if thousand["unallocated"] != "0" {
        let reason = thousand["unallocated_reason"].as_str().unwrap();
        assert!(reason.replace('\u{a0}', " ").contains("1 000"), "{reason}");
    }
    assert!(
        thousand["allocations"][0]["explanation"]
            .as_str()
            .unwrap()
            .replace('\u{a0}', " ")
            .contains("nærmeste 1 000 kr"),
        "{}",
        thousand["allocations"][0]
    );

    // Listed through the API and on the round page.
    let list = app
        .get(&format!("/api/v1/rounds/{round_id}/scenarios"))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let page = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(page.contains("Forholdsmessig, hele tusen"));
    let get = app
        .get(&format!("/api/v1/scenarios/{}", one["id"]))
        .await
        .json();
    assert_eq!(get["allocations"], one["allocations"]);

    // Every computation is audited.
    let audit = app
        .get(&format!("/api/v1/rounds/{round_id}/audit"))
        .await
        .text();
    assert!(audit.contains("scenario.created"), "{audit}");
}

#[tokio::test]
async fn manual_scenario_reproduces_2019() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2019").await;
    let apps = round_apps(&app, round_id).await;
    assert_eq!(apps.len(), 22);

    // The figures of the 2019 decision, typed in by application id.
    let csv = std::fs::read_to_string("sample-data/tildeling-2019-trondelag.csv").unwrap();
    let figures: BTreeMap<String, String> = csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("soker"))
        .filter_map(|l| l.split_once(';'))
        .map(|(name, amount)| (name.to_string(), amount.to_string()))
        .collect();
    let amounts: serde_json::Map<String, Value> = apps
        .iter()
        .map(|a| {
            let name = a["applicant"].as_str().unwrap();
            let amount = figures
                .iter()
                .find(|(n, _)| {
                    name.split(" - ")
                        .any(|part| tilskudd::domain::kommune::name_matches(n, part))
                })
                .unwrap_or_else(|| panic!("no 2019 figure for {name}"))
                .1;
            (a["id"].to_string(), json!(amount))
        })
        .collect();
    let manual = create(
        &app,
        round_id,
        json!({"name": "Vedtaket 2019", "method": "manuell", "rounding_unit": "1", "parameters": {"amounts": amounts}}),
    )
    .await;
    assert_eq!(manual["allocated_total"], "13914871");
    assert_eq!(manual["unallocated"], "0");
    assert_eq!(manual["valid"], true);

    // Without amounts, the manual method starts from what is recorded: the same figures.
    let recorded = create(
        &app,
        round_id,
        json!({"name": "Som registrert", "method": "manuell"}),
    )
    .await;
    assert_eq!(recorded["allocated_total"], "13914871");
}

#[tokio::test]
async fn bad_scenarios_get_norwegian_messages_naming_the_field() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let path = format!("/api/v1/rounds/{round_id}/scenarios");
    let cases = [
        (
            json!({"name": "A", "method": "lotteri"}),
            "method",
            "lotteri",
        ),
        (
            json!({"name": "", "method": "forholdsmessig"}),
            "name",
            "Navn",
        ),
        (
            json!({"name": "A", "method": "forholdsmessig", "rounding_unit": "7"}),
            "rounding_unit",
            "1 000",
        ),
        (
            json!({"name": "A", "method": "rangert", "parameters": {"cutlast": true}}),
            "parameters.cutlast",
            "Ukjent felt",
        ),
        (
            json!({"name": "A", "method": "formel", "parameters": {"base_amount": "100000"}}),
            "parameters.snapshot_id",
            "statistikkgrunnlag",
        ),
        (
            json!({"name": "A", "method": "manuell", "parameters": {"amounts": {"999999": "5"}}}),
            "parameters.amounts.999999",
            "finnes ikke",
        ),
        (
            json!({"name": "A", "method": "manuell", "parameters": {"amounts": {"1": "12,5O"}}}),
            "parameters.amounts.1",
            "12,5O",
        ),
        (
            json!({"name": "A", "method": "forholdsmessig", "parameters": {"floors": {"x": "5"}}}),
            "parameters.floors.x",
            "søknadsnummer",
        ),
    ];
    for (body, field, needle) in cases {
        let response = app.post_json(&path, &body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.text()
        );
        let json = response.json();
        let error = json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("{body}: no error for {field}: {json}"));
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{body}: {error}"
        );
    }
    // A manual total above the pool is refused, not stored.
    let apps = round_apps(&app, round_id).await;
    let too_much: serde_json::Map<String, Value> = apps
        .iter()
        .map(|a| (a["id"].to_string(), a["requested"].clone()))
        .collect();
    let response = app
        .post_json(
            &path,
            &json!({"name": "For mye", "method": "manuell", "parameters": {"amounts": too_much}}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.text().contains("mer enn rammen"),
        "{}",
        response.text()
    );
    // Names are unique per round.
    create(
        &app,
        round_id,
        json!({"name": "Likt", "method": "forholdsmessig"}),
    )
    .await;
    let again = app
        .post_json(&path, &json!({"name": "Likt", "method": "rangert"}))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains("allerede"));
    let list = app
        .get(&format!("/api/v1/rounds/{round_id}/scenarios"))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The form shows the message next to the field and keeps what was typed.
    let page = app
        .post_form(
            &format!("/rounds/{round_id}/scenarios"),
            &[
                ("name", "Mitt forslag"),
                ("method", "poengvektet"),
                ("min_score", "tre"),
                ("rounding_unit", "1000"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text();
    assert!(html.contains("Minstepoeng må være et tall"), "{html}");
    assert!(html.contains("value=\"Mitt forslag\""));
    assert!(html.contains("value=\"tre\""));

    // Kommune users see no scenarios.
    app.login("trondheim").await;
    assert_eq!(
        app.get(&format!("/api/v1/rounds/{round_id}/scenarios"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn comparison_side_by_side_and_in_excel() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let a = create(
        &app,
        round_id,
        json!({"name": "Forholdsmessig", "method": "forholdsmessig", "rounding_unit": "1"}),
    )
    .await;
    let b = create(
        &app,
        round_id,
        json!({"name": "Rangert", "method": "rangert", "rounding_unit": "1000"}),
    )
    .await;
    let c = create(
        &app,
        round_id,
        json!({"name": "Tak 500 000", "method": "forholdsmessig", "rounding_unit": "1000",
        "parameters": {"caps": {a["allocations"][0]["application_id"].to_string(): "500000"}}}),
    )
    .await;
    let ids = format!("{},{},{}", a["id"], b["id"], c["id"]);

    let comparison = app
        .get(&format!(
            "/api/v1/rounds/{round_id}/scenarios/compare?ids={ids}"
        ))
        .await
        .json();
    assert_eq!(comparison["scenarios"].as_array().unwrap().len(), 3);
    let lines = comparison["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 25);
    for line in lines {
        let cells = line["cells"].as_array().unwrap();
        let base = dec(&cells[0]["amount"]);
        assert!(cells[0]["difference"].is_null());
        for cell in &cells[1..] {
            let diff = dec(&cell["difference"]["kroner"]);
            assert_eq!(dec(&cell["amount"]) - base, diff);
            assert!(!cell["explanation"].as_str().unwrap().is_empty());
        }
    }
    // Too few, too many, or from another round.
    for query in [format!("ids={}", a["id"]), "ids=1,2,3,4,5".to_string()] {
        let response = app
            .get(&format!(
                "/api/v1/rounds/{round_id}/scenarios/compare?{query}"
            ))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(response.text().contains("2 til 4"));
    }
    let other_round = app.round_id("Trøndelag 2019").await;
    let response = app
        .get(&format!(
            "/api/v1/rounds/{other_round}/scenarios/compare?ids={ids}"
        ))
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);

    // The page: repeated ids as a checkbox form sends them.
    let page = app
        .get(&format!(
            "/rounds/{round_id}/scenarios/compare?ids={}&ids={}",
            a["id"], b["id"]
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Rangert") && html.contains("Ikke fordelt"));
    assert!(
        html.contains(cells_explanation(lines, 1)),
        "explanations shown"
    );

    // The workbook: every amount equals the JSON, and the sums and «ikke fordelt».
    let xlsx = app
        .get(&format!(
            "/rounds/{round_id}/scenarios/compare.xlsx?ids={ids}"
        ))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut workbook = open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    let sheet = workbook.worksheet_range("Sammenligning").unwrap();
    let number = |row: u32, col: u32| -> Decimal {
        match sheet.get_value((row, col)) {
            Some(Data::Float(f)) => Decimal::try_from(*f).unwrap().round_dp(2),
            Some(Data::Int(i)) => Decimal::from(*i),
            other => panic!("({row},{col}): {other:?}"),
        }
    };
    let text = |row: u32, col: u32| {
        sheet
            .get_value((row, col))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(3, 3), "Forholdsmessig");
    assert_eq!(text(3, 4), "Rangert");
    for (i, line) in lines.iter().enumerate() {
        let row = 4 + i as u32;
        assert_eq!(text(row, 0), line["applicant"].as_str().unwrap());
        assert_eq!(number(row, 3), dec(&line["cells"][0]["amount"]));
        assert_eq!(number(row, 4), dec(&line["cells"][1]["amount"]));
        assert_eq!(
            number(row, 5),
            dec(&line["cells"][1]["difference"]["kroner"])
        );
        assert_eq!(number(row, 7), dec(&line["cells"][2]["amount"]));
    }
    let sum_row = 4 + lines.len() as u32;
    assert_eq!(text(sum_row, 0), "Sum");
    assert_eq!(
        number(sum_row, 3),
        dec(&comparison["scenarios"][0]["allocated_total"])
    );
    assert_eq!(
        number(sum_row, 4),
        dec(&comparison["scenarios"][1]["allocated_total"])
    );
    assert_eq!(text(sum_row + 2, 0), "Ikke fordelt");
    assert_eq!(
        number(sum_row + 2, 4),
        dec(&comparison["scenarios"][1]["unallocated"])
    );
    let explanations = workbook.worksheet_range("Forklaringer").unwrap();
    assert_eq!(
        explanations.get_value((4, 2)).unwrap().to_string(),
        lines[0]["cells"][0]["explanation"].as_str().unwrap()
    );
}

fn cells_explanation(lines: &[Value], cell: usize) -> &str {
    lines[0]["cells"][cell]["explanation"].as_str().unwrap()
}

#[tokio::test]
async fn four_eyes_decision_freezes_and_amendments_keep_history() {
    let mut app = TestApp::with_sample_data().await;
    app.add_user("godkjenner2", "godkjenner", None).await;
    let round_id = app.round_id_as_store("Trøndelag 2026 (demo)").await;
    // Trondheim's application: no amount visible before the decision.
    app.login("trondheim").await;
    let own = round_apps(&app, round_id).await;
    let trondheim_app = own[0]["id"].as_i64().unwrap();
    assert!(own[0]["allocated"].is_null(), "{}", own[0]);

    app.login("saksbehandler").await;
    app.close_round(round_id).await;
    let scenario = create(
        &app,
        round_id,
        json!({"name": "Forholdsmessig", "method": "forholdsmessig", "rounding_unit": "1000"}),
    )
    .await;
    let sid = scenario["id"].as_i64().unwrap();
    let proposal = app
        .post_json(&format!("/api/v1/scenarios/{sid}/propose"), &json!({}))
        .await;
    assert_eq!(proposal.status, StatusCode::CREATED, "{}", proposal.text());
    let decision = proposal.json();
    let did = decision["id"].as_i64().unwrap();
    assert_eq!(decision["status"], "proposed");
    assert_eq!(decision["allocated_total"], scenario["allocated_total"]);
    // Only one proposal at a time.
    let second = app
        .post_json(&format!("/api/v1/scenarios/{sid}/propose"), &json!({}))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    // A saksbehandler cannot approve.
    let refused = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The proposed scenario cannot be recomputed meanwhile.
    let recompute = app
        .post_json(&format!("/api/v1/scenarios/{sid}/recompute"), &json!({}))
        .await;
    assert_eq!(recompute.status, StatusCode::CONFLICT);

    // Returned with a comment (required).
    app.login("godkjenner").await;
    let empty = app
        .post_json(
            &format!("/api/v1/decisions/{did}/return"),
            &json!({"comment": " "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json()["errors"][0]["field"], "comment");
    let returned = app
        .post_json(
            &format!("/api/v1/decisions/{did}/return"),
            &json!({"comment": "Bruk hele tusen, men sjekk Frøya."}),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    assert_eq!(returned.json()["status"], "returned");
    assert_eq!(
        returned.json()["review_comment"],
        "Bruk hele tusen, men sjekk Frøya."
    );

    // Proposed again, this time by the godkjenner (also a saksbehandler): they cannot
    // approve their own proposal; another godkjenner does.
    let proposal = app
        .post_json(
            &format!("/api/v1/scenarios/{sid}/propose"),
            &json!({"reason": "Etter retur"}),
        )
        .await;
    assert_eq!(proposal.status, StatusCode::CREATED, "{}", proposal.text());
    let did = proposal.json()["id"].as_i64().unwrap();
    let own_approval = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(own_approval.status, StatusCode::FORBIDDEN);
    assert!(own_approval.text().contains("foreslo dette vedtaket selv"));
    let page = app.get(&format!("/decisions/{did}")).await.text();
    assert!(page.contains("Du foreslo dette vedtaket selv"));

    app.login("godkjenner2").await;
    let approved = app
        .post_json(
            &format!("/api/v1/decisions/{did}/approve"),
            &json!({"comment": "Godkjent i møte"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["proposed_by"], "godkjenner");
    assert_eq!(approved["reviewed_by"], "godkjenner2");
    // The round is decided and the amounts are the applications' allocations.
    let round = app.get(&format!("/api/v1/rounds/{round_id}")).await.json();
    assert_eq!(round["status"], "decided");
    assert_eq!(round["allocated_total"], scenario["allocated_total"]);
    let again = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Allocated amounts of a decided round cannot be edited.
    app.login("saksbehandler").await;
    let app_now = app
        .get(&format!("/api/v1/applications/{trondheim_app}"))
        .await
        .json();
    let edit = app
        .put_json(
            &format!("/api/v1/applications/{trondheim_app}/allocation"),
            &json!({"amount": "1", "version": app_now["version"]}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT, "{}", edit.text());

    // The kommune user now sees its amount.
    app.login("trondheim").await;
    let own = app
        .get(&format!("/api/v1/applications/{trondheim_app}"))
        .await
        .json();
    let expected = scenario["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application_id"] == trondheim_app)
        .unwrap()["amount"]
        .clone();
    assert_eq!(own["allocated"], expected);

    // An amendment needs a reason and is approved the same way; the old one stays.
    app.login("saksbehandler").await;
    let first = scenario["allocations"][0]["application_id"].to_string();
    let capped = create(
        &app,
        round_id,
        json!({"name": "Med tak", "method": "forholdsmessig", "rounding_unit": "1000",
        "parameters": {"caps": {first.clone(): "100000"}}}),
    )
    .await;
    let cid = capped["id"].as_i64().unwrap();
    let no_reason = app
        .post_json(&format!("/api/v1/scenarios/{cid}/propose"), &json!({}))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.json()["errors"][0]["field"], "reason");
    let amendment = app
        .post_json(
            &format!("/api/v1/scenarios/{cid}/propose"),
            &json!({"reason": "Feil i budsjettet fra første søker"}),
        )
        .await;
    assert_eq!(
        amendment.status,
        StatusCode::CREATED,
        "{}",
        amendment.text()
    );
    let amendment = amendment.json();
    assert_eq!(amendment["amends_decision_id"], did);
    app.login("godkjenner").await;
    let ok = app
        .post_json(
            &format!("/api/v1/decisions/{}/approve", amendment["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let history = app
        .get(&format!("/api/v1/rounds/{round_id}/decisions"))
        .await
        .json();
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["approved", "superseded", "returned"]);
    // The superseded decision still shows what it decided.
    let old = app.get(&format!("/api/v1/decisions/{did}")).await.json();
    assert_eq!(old["allocations"], approved["allocations"]);
    let first_id: i64 = first.parse().unwrap();
    let first_now = app
        .get(&format!("/api/v1/applications/{first_id}"))
        .await
        .json();
    assert_eq!(first_now["allocated"], "100000");

    let audit = app
        .get(&format!("/api/v1/rounds/{round_id}/audit"))
        .await
        .text();
    for action in [
        "decision.proposed",
        "decision.returned",
        "decision.approved",
        "application.allocation_set",
    ] {
        assert!(audit.contains(action), "{action}");
    }
    let page = app.get(&format!("/rounds/{round_id}")).await.text();
    assert!(page.contains("Erstattet av endringsvedtak") && page.contains("Endringsvedtak"));
}

#[tokio::test]
async fn a_scenario_computed_before_a_change_must_be_recomputed() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    app.close_round(round_id).await;
    let manual = create(
        &app,
        round_id,
        json!({"name": "Manuell", "method": "manuell"}),
    )
    .await;
    assert_eq!(manual["allocated_total"], "0");
    let apps = round_apps(&app, round_id).await;
    let target = &apps[0];
    let set = app
        .put_json(
            &format!("/api/v1/applications/{}/allocation", target["id"]),
            &json!({"amount": "250000", "version": target["version"]}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    let stale = app
        .get(&format!("/api/v1/scenarios/{}", manual["id"]))
        .await
        .json();
    assert_eq!(stale["current"], false);
    let proposal = app
        .post_json(
            &format!("/api/v1/scenarios/{}/propose", manual["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(proposal.status, StatusCode::CONFLICT);
    assert!(proposal.text().contains("Beregn alternativet på nytt"));
    let recomputed = app
        .post_json(
            &format!("/api/v1/scenarios/{}/recompute", manual["id"]),
            &json!({}),
        )
        .await
        .json();
    assert_eq!(recomputed["current"], true);
    assert_eq!(recomputed["allocated_total"], "250000");
    assert_eq!(recomputed["version"], 2);
    // Through the page: propose, and the decision page shows the frozen figures.
    let page = app
        .post_form(
            &format!("/scenarios/{}/propose", manual["id"]),
            &[("reason", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let location = page.header("location").unwrap().to_string();
    let html = app.get(&location).await.text();
    assert!(html.contains("Til godkjenning") && html.contains("250"));
    // Deleting a scenario that is in a decision is refused; another can be deleted.
    let delete = app
        .send_json(
            axum::http::Method::DELETE,
            &format!("/api/v1/scenarios/{}", manual["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    let spare = create(
        &app,
        round_id,
        json!({"name": "Ekstra", "method": "forholdsmessig"}),
    )
    .await;
    let delete = app
        .send_json(
            axum::http::Method::DELETE,
            &format!("/api/v1/scenarios/{}", spare["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn formula_uses_a_frozen_statistics_snapshot() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let snapshot = app
        .post_json(
            "/api/v1/statistics/snapshots",
            &json!({"name": "KPR per 2026", "description": "Før tildeling"}),
        )
        .await;
    assert_eq!(snapshot.status, StatusCode::CREATED, "{}", snapshot.text());
    let snapshot = snapshot.json();
    assert!(snapshot["observations"].as_i64().unwrap() > 0);
    let duplicate = app
        .post_json(
            "/api/v1/statistics/snapshots",
            &json!({"name": "KPR per 2026"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);

    let formula = create(
        &app,
        round_id,
        json!({"name": "Formel", "method": "formel", "rounding_unit": "1000", "parameters": {
            "base_amount": "200000", "per_inhabitant": "2", "per_recipient": "100", "need_weight": "500",
            "snapshot_id": snapshot["id"], "indicator_year": 2024}}),
    )
    .await;
    check_sums(&formula, Decimal::from(15_000_000), Decimal::from(1000));
    assert_eq!(formula["parameters"]["snapshot_id"], snapshot["id"]);
    assert_eq!(formula["parameters"]["base_amount"], "200000");
    let explanation = formula["allocations"][0]["explanation"].as_str().unwrap();
    assert!(explanation.starts_with("Formel"), "{explanation}");
    // The synthetic Trøndelag figures of 2024 are in the snapshot: a municipality's
    // claim has every indicator; the frozen input carries the values used.
    let trondheim = formula["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kommunenummer"] == "5001")
        .expect("Trondheim applies in the demo round");
    let text = trondheim["explanation"].as_str().unwrap();
    assert!(!text.contains("mangler"), "{text}");
    let stored = app
        .store
        .scenario(formula["id"].as_i64().unwrap())
        .await
        .unwrap();
    let claim = stored
        .input
        .claims
        .iter()
        .find(|c| c.id == trondheim["application_id"].as_i64().unwrap())
        .unwrap();
    assert!(
        claim.indicators.inhabitants.is_some()
            && claim.indicators.coordinator_coverage_percent.is_some()
    );

    // The page lists the snapshot.
    let html = app.get("/statistics/snapshots").await.text();
    assert!(html.contains("KPR per 2026"));
}

#[tokio::test]
async fn assessment_scores_rank_and_conflicts_block_propose_and_approve() {
    let mut app = TestApp::with_sample_data().await;
    let godkjenner2 = app.add_user("godkjenner2", "godkjenner", None).await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    app.close_round(round_id).await;
    let apps = round_apps(&app, round_id).await;
    let criterion = app
        .post_json(
            &format!("/api/v1/rounds/{round_id}/criteria"),
            &json!({"name": "Forankring", "weight": "1"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    // Score every application: the last one in the list gets the best score.
    for (i, a) in apps.iter().enumerate() {
        let id = a["id"].as_i64().unwrap();
        let declared = app
            .post_json(
                &format!("/api/v1/applications/{id}/impartiality"),
                &json!({"conflict": false}),
            )
            .await;
        assert_eq!(declared.status, StatusCode::OK, "{}", declared.text());
        let score = if i + 1 == apps.len() { "10" } else { "5" };
        let saved = app
            .put_json(
                &format!("/api/v1/applications/{id}/assessment"),
                &json!({"scores": [{"criterion_id": criterion, "score": score}]}),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    }
    let best = apps.last().unwrap();
    let ranked = create(
        &app,
        round_id,
        json!({"name": "Rangert", "method": "rangert", "rounding_unit": "1"}),
    )
    .await;
    let best_line = ranked["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application_id"] == best["id"])
        .unwrap();
    assert_eq!(best_line["amount"], best["requested"], "{best_line}");

    // An officer who declares a conflict for one application cannot propose the round's
    // decision; the refusal is audited.
    let target = apps[0]["id"].as_i64().unwrap();
    let conflict = app
        .post_json(
            &format!("/api/v1/applications/{target}/impartiality"),
            &json!({"conflict": true, "reason": "Gift med prosjektlederen"}),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::OK, "{}", conflict.text());
    let allocation = app
        .put_json(
            &format!("/api/v1/applications/{target}/allocation"),
            &json!({"amount": "1000", "version": apps[0]["version"]}),
        )
        .await;
    assert_eq!(
        allocation.status,
        StatusCode::FORBIDDEN,
        "{}",
        allocation.text()
    );
    let refused = app
        .post_json(
            &format!("/api/v1/scenarios/{}/propose", ranked["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(refused.text().contains("inhabil"));
    let audit = app
        .get(&format!("/api/v1/rounds/{round_id}/audit"))
        .await
        .text();
    assert!(audit.contains("decision.refused_conflict"));

    // Another officer proposes; a godkjenner with a conflict cannot approve, another can.
    app.login("godkjenner").await;
    let proposal = app
        .post_json(
            &format!("/api/v1/scenarios/{}/propose", ranked["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(proposal.status, StatusCode::CREATED, "{}", proposal.text());
    let did = proposal.json()["id"].as_i64().unwrap();
    app.login("godkjenner2").await;
    app.post_json(
        &format!("/api/v1/applications/{target}/impartiality"),
        &json!({"conflict": true, "reason": "Tidligere arbeidsgiver"}),
    )
    .await;
    let blocked = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    let page = app
        .post_form(&format!("/decisions/{did}/approve"), &[("comment", "")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("inhabil"));
    // The declarer cannot take the declaration back; another officer lifts it.
    let withdrawn = app
        .post_json(
            &format!("/api/v1/applications/{target}/impartiality"),
            &json!({"conflict": false}),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::FORBIDDEN);
    app.login("godkjenner").await;
    let lifted = app
        .post_json(
            &format!("/api/v1/applications/{target}/impartiality/{godkjenner2}/lift"),
            &json!({"reason": "Arbeidsforholdet endte for over to år siden"}),
        )
        .await;
    assert_eq!(lifted.status, StatusCode::OK, "{}", lifted.text());
    app.login("godkjenner2").await;
    let approved = app
        .post_json(&format!("/api/v1/decisions/{did}/approve"), &json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
}

#[tokio::test]
async fn the_scenario_form_names_its_fields_in_norwegian_and_folds_the_per_application_table() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let round_id = app.round_id("Trøndelag 2026 (demo)").await;
    let html = app
        .get(&format!("/rounds/{round_id}/scenarios/new"))
        .await
        .text();
    // Each method's fields say which method they belong to (app.js shows the chosen one's).
    assert!(html.contains(r#"data-methods="formel""#), "{html}");
    assert!(html.contains(r#"data-methods="poengvektet rangert""#));
    // Per-application inputs are labelled in Norwegian, behind a folded section.
    assert!(html.contains("aria-label=\"Minstebeløp for "), "{html}");
    assert!(html.contains("aria-label=\"Tak for "));
    assert!(!html.contains("aria-label=\"floors "));
    assert!(html.contains("<details class=\"app-per-application\" data-per-application>"));
    assert!(html.contains("/static/app.js"));
}
