//! After the decision, through HTTP against the real router: letters (frozen at issue,
//! PDF/A-2 with the amount and recipient extractable), acceptance, payments that never
//! pass the grant (also when fired at once), the final report with the auditor rule, the
//! repayment claim, totals that reconcile, and an outbox that survives a restart with the
//! SMTP server down and delivers each message once when it is back.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::client::{Client, assert_status, dec, in_days};
use crate::common::smtp::TestSmtp;
use crate::common::{TestApp, TestResponse};

/// A decided round: Trondheim granted 300 000 kr, Steinkjer 250 000 kr, Namsos rejected.
struct Decided {
    app: TestApp,
    officer: Client,
    round_id: i64,
    trondheim: i64,
    steinkjer: i64,
    namsos: i64,
}

async fn decided_round(name: &str) -> Decided {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let approver = Client::login(&app, "godkjenner").await;
    let created = officer
        .post(
            "/api/v1/rounds",
            &json!({"name": name, "year": 2027, "region": "Trøndelag", "pool": "1 000 000",
                    "rounding_unit": "1", "deadline": in_days(30)}),
        )
        .await;
    assert_status(&created, StatusCode::CREATED, "create round");
    let round_id = created.json()["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (number, email) in [
        ("5001", "post@trondheim.kommune.no"),
        ("5006", "post@steinkjer.kommune.no"),
        ("5007", "post@namsos.kommune.no"),
    ] {
        let response = officer
            .post(
                &format!("/api/v1/rounds/{round_id}/applications"),
                &json!({
                    "applicant": number, "project_title": "Koordinator", "email": email,
                    "contact_person": "Kari Nordmann",
                    "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": "400000", "own_contribution": "0"}]
                }),
            )
            .await;
        assert_status(&response, StatusCode::CREATED, "register");
        ids.push(response.json()["id"].as_i64().unwrap());
    }
    let closed = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/close"),
            &json!({"reason": "Alle har søkt"}),
        )
        .await;
    assert_status(&closed, StatusCode::OK, "close");
    let amounts = json!({
        ids[0].to_string(): "300000", ids[1].to_string(): "250000", ids[2].to_string(): "0"
    });
    let scenario = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/scenarios"),
            &json!({"name": "Vedtak", "method": "manuell", "rounding_unit": "1",
                    "parameters": {"amounts": amounts}}),
        )
        .await;
    assert_status(&scenario, StatusCode::CREATED, "scenario");
    let scenario_id = scenario.json()["id"].as_i64().unwrap();
    let proposal = officer
        .post(
            &format!("/api/v1/scenarios/{scenario_id}/propose"),
            &json!({}),
        )
        .await;
    assert_status(&proposal, StatusCode::CREATED, "propose");
    let decision = proposal.json()["id"].as_i64().unwrap();
    let approved = approver
        .post(&format!("/api/v1/decisions/{decision}/approve"), &json!({}))
        .await;
    assert_status(&approved, StatusCode::OK, "approve");
    Decided {
        app,
        officer,
        round_id,
        trondheim: ids[0],
        steinkjer: ids[1],
        namsos: ids[2],
    }
}

fn message(response: &TestResponse) -> String {
    response.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn field_of(response: &TestResponse) -> String {
    response.json()["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn set_terms(d: &Decided, terms: Value) {
    let response = d
        .officer
        .put(
            &format!("/api/v1/rounds/{}/followup-terms", d.round_id),
            &terms,
        )
        .await;
    assert_status(&response, StatusCode::OK, "terms");
}

async fn send_letters(d: &Decided) -> Value {
    let response = d
        .officer
        .post(
            &format!("/api/v1/rounds/{}/letters/send", d.round_id),
            &json!({}),
        )
        .await;
    assert_status(&response, StatusCode::OK, "send letters");
    response.json()
}

/// Trondheim's user, having accepted its grant.
async fn accepted_by_trondheim(d: &Decided) -> Client {
    let trondheim = Client::login(&d.app, "trondheim").await;
    let accepted = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.trondheim),
            &json!({"accepted": true}),
        )
        .await;
    assert_status(&accepted, StatusCode::CREATED, "accept");
    trondheim
}

/// The actions of the round's audit log, newest first.
async fn audit_actions(d: &Decided) -> Vec<String> {
    let audit = d
        .officer
        .read(&format!("/api/v1/rounds/{}/audit", d.round_id))
        .await;
    audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

async fn pay(officer: &Client, application_id: i64, amount: &str) -> TestResponse {
    officer
        .post(
            &format!("/api/v1/applications/{application_id}/payments"),
            &json!({"date": in_days(0), "amount": amount, "reference": "Bilag 1"}),
        )
        .await
}

/// Runs a PDF tool from poppler-utils. Where it is missing the test stops here, unless
/// `TILSKUDD_REQUIRE_PDF_TOOLS` is set (CI sets it and installs them).
fn pdf_tool(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("brev.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output();
    match output {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) if std::env::var_os("TILSKUDD_REQUIRE_PDF_TOOLS").is_none() => {
            eprintln!("{tool} is not installed ({e}); the PDF's text is not checked here");
            None
        }
        Err(e) => panic!("{tool}: {e} (install poppler-utils)"),
    }
}

#[tokio::test]
async fn letters_are_issued_sent_and_frozen_and_the_pdf_is_pdf_a() {
    let d = decided_round("Brev").await;
    set_terms(
        &d,
        json!({"acceptance_deadline": in_days(21), "report_deadline": in_days(365),
               "payment_plan": "half_and_half", "purpose": "å ansette en koordinator"}),
    )
    .await;
    // Before issue the officer sees a draft; the municipality sees nothing yet.
    let draft = d
        .officer
        .read(&format!("/api/v1/applications/{}/letter", d.trondheim))
        .await;
    assert_eq!(draft["issued"], false);
    let trondheim = Client::login(&d.app, "trondheim").await;
    let hidden = trondheim
        .get(&format!("/api/v1/applications/{}/letter", d.trondheim))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text());

    let outcome = send_letters(&d).await;
    assert_eq!(outcome["issued"], 3, "{outcome}");
    assert_eq!(outcome["queued"], 3, "{outcome}");
    assert_eq!(outcome["phase"], "follow_up");
    let round = d.officer.round(d.round_id).await;
    assert_eq!(round["phase"], "follow_up");

    // The municipality's own letter, as JSON and as PDF/A-2.
    let letter = trondheim
        .read(&format!("/api/v1/applications/{}/letter", d.trondheim))
        .await;
    assert_eq!(letter["issued"], true);
    let text = letter["letter"].to_string();
    assert!(text.contains("300\u{a0}000\u{a0}kr"), "{text}");
    assert!(text.contains("tre hundre tusen kroner"), "{text}");
    assert!(text.contains("å ansette en koordinator"), "{text}");
    let other = trondheim
        .get(&format!("/api/v1/applications/{}/letter", d.steinkjer))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let pdf = trondheim
        .get(&format!("/api/v1/applications/{}/letter.pdf", d.trondheim))
        .await;
    assert_status(&pdf, StatusCode::OK, "letter.pdf");
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    if let Some(text) = pdf_tool("pdftotext", &["-enc", "UTF-8"], &pdf.body) {
        let flat = text.replace('\u{a0}', " ");
        assert!(flat.contains("300 000 kr"), "{text}");
        // The register's name in 2027: «Trondheim - Tråante».
        assert!(flat.contains("Trondheim - Tråante"), "{text}");
        assert!(flat.contains("riksrevisjonsloven § 12"), "{text}");
    }
    if let Some(meta) = pdf_tool("pdfinfo", &["-meta"], &pdf.body) {
        assert!(
            meta.contains("<pdfaid:part>2</pdfaid:part>") || meta.contains("pdfaid:part=\"2\""),
            "{meta}"
        );
    }
    if let Some(fonts) = pdf_tool("pdffonts", &[], &pdf.body) {
        assert!(
            fonts.lines().skip(2).all(|l| l.contains(" yes ")),
            "every font embedded: {fonts}"
        );
    }

    // The rejection gives the reason.
    let rejection = d
        .officer
        .read(&format!("/api/v1/applications/{}/letter", d.namsos))
        .await;
    assert_eq!(rejection["kind"], "rejection");
    assert!(rejection["letter"].to_string().contains("Begrunnelse"));

    // An issued letter is frozen: a note is refused, a new template leaves it as it was.
    let note = d
        .officer
        .put(
            &format!("/api/v1/applications/{}/letter", d.trondheim),
            &json!({"note": "Ny merknad"}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CONFLICT, "{}", note.text());
    let template = d
        .officer
        .put(
            &format!("/api/v1/rounds/{}/letter-template", d.round_id),
            &json!({"grant": "Helt ny tekst til {mottaker}."}),
        )
        .await;
    assert_status(&template, StatusCode::OK, "template");
    let again = trondheim
        .read(&format!("/api/v1/applications/{}/letter", d.trondheim))
        .await;
    assert_eq!(again["letter"], letter["letter"]);
    let unknown = d
        .officer
        .put(
            &format!("/api/v1/rounds/{}/letter-template", d.round_id),
            &json!({"grant": "Hei {mottakar}"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(&unknown).contains("{mottakar}") || unknown.text().contains("{mottakar}"));

    // Every letter of the round in one ZIP; the outbox shows the three messages, recorded
    // (no SMTP server here).
    let zip = d
        .officer
        .get(&format!("/api/v1/rounds/{}/letters.zip", d.round_id))
        .await;
    assert_status(&zip, StatusCode::OK, "letters.zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    assert_eq!(archive.len(), 3);
    let settings = tilskudd::app::outbox::MailSettings::default();
    let handled = tilskudd::app::outbox::deliver_due(&d.app.store, &settings)
        .await
        .unwrap();
    assert_eq!(handled, 3);
    let outbox = d
        .officer
        .read(&format!("/api/v1/outbox?round={}", d.round_id))
        .await;
    let statuses: Vec<&str> = outbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["recorded", "recorded", "recorded"]);
}

#[tokio::test]
async fn no_acceptance_payment_or_report_before_the_letters() {
    let d = decided_round("Før brev").await;
    let trondheim = Client::login(&d.app, "trondheim").await;
    let accept = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.trondheim),
            &json!({"accepted": true}),
        )
        .await;
    assert_eq!(accept.status, StatusCode::CONFLICT, "{}", accept.text());
    assert!(message(&accept).contains("oppfølging"), "{}", accept.text());
    let report = trondheim
        .post(
            &format!("/api/v1/applications/{}/final-report", d.trondheim),
            &json!({"spent": "100", "narrative": "x"}),
        )
        .await;
    assert_eq!(report.status, StatusCode::CONFLICT, "{}", report.text());
    let payment = pay(&d.officer, d.trondheim, "1000").await;
    assert_eq!(payment.status, StatusCode::CONFLICT, "{}", payment.text());
}

#[tokio::test]
async fn no_report_in_a_round_without_a_decision() {
    let app = TestApp::with_sample_data().await;
    let trondheim = Client::login(&app, "trondheim").await;
    let officer = Client::login(&app, "saksbehandler").await;
    let round_id = app.round_id_as_store("Trøndelag 2026 (demo)").await;
    let mine = trondheim.round(round_id).await;
    let id = mine["applications"].as_array().unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    let report = trondheim
        .post(
            &format!("/api/v1/applications/{id}/final-report"),
            &json!({"spent": "100", "narrative": "Ferdig", "auditor_confirmed": true}),
        )
        .await;
    assert_eq!(report.status, StatusCode::CONFLICT, "{}", report.text());
    let letters = officer
        .post(
            &format!("/api/v1/rounds/{round_id}/letters/send"),
            &json!({}),
        )
        .await;
    assert_eq!(letters.status, StatusCode::CONFLICT, "{}", letters.text());
    assert!(message(&letters).contains("vedtaket"), "{}", letters.text());
}

#[tokio::test]
async fn the_follow_up_reconciles_from_acceptance_to_repayment() {
    let d = decided_round("Oppfølging").await;
    set_terms(
        &d,
        json!({"acceptance_deadline": in_days(21), "report_deadline": in_days(365),
               "payment_plan": "half_and_half", "repayment_days": 30}),
    )
    .await;
    send_letters(&d).await;
    let trondheim = Client::login(&d.app, "trondheim").await;

    // Nothing is paid before the grant is accepted.
    let early = pay(&d.officer, d.trondheim, "150000").await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    let accepted = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.trondheim),
            &json!({"accepted": true}),
        )
        .await;
    assert_status(&accepted, StatusCode::CREATED, "accept");
    assert_eq!(dec(&accepted.json()["due_now"]), 150_000.into());
    let twice = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.trondheim),
            &json!({"accepted": false}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // A municipality does not answer for another one.
    let foreign = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.steinkjer),
            &json!({"accepted": true}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    assert_status(
        &pay(&d.officer, d.trondheim, "150000").await,
        StatusCode::CREATED,
        "first half",
    );
    let over = pay(&d.officer, d.trondheim, "150 000,01").await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&over), "amount");
    let text = over.text().replace('\u{a0}', " ");
    assert!(
        text.contains("300 000 kr") && text.contains("150 000 kr"),
        "{text}"
    );

    // The report: the auditor is required from 200 000 kr; then the officer approves and
    // what was paid beyond what was spent is claimed back.
    let without_auditor = trondheim
        .post(
            &format!("/api/v1/applications/{}/final-report", d.trondheim),
            &json!({"spent": [{"category": "Lønn", "spent": "100000"}], "narrative": "Koordinator ansatt"}),
        )
        .await;
    assert_eq!(
        without_auditor.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        without_auditor.text()
    );
    assert_eq!(field_of(&without_auditor), "auditor_confirmed");
    let report = trondheim
        .post(
            &format!("/api/v1/applications/{}/final-report", d.trondheim),
            &json!({"spent": [{"category": "Lønn", "spent": "100000"}], "narrative": "Koordinator ansatt", "auditor_confirmed": true}),
        )
        .await;
    assert_status(&report, StatusCode::CREATED, "report");
    let returned = d
        .officer
        .post(
            &format!("/api/v1/applications/{}/final-report/return", d.trondheim),
            &json!({"comment": "Legg ved revisorbekreftelsen"}),
        )
        .await;
    assert_status(&returned, StatusCode::OK, "return");
    assert_eq!(returned.json()["report_status"], "returned");
    let again = trondheim
        .post(
            &format!("/api/v1/applications/{}/final-report", d.trondheim),
            &json!({"spent": "100000", "narrative": "Koordinator ansatt, bekreftelse vedlagt", "auditor_confirmed": true}),
        )
        .await;
    assert_status(&again, StatusCode::CREATED, "report again");
    let approved = d
        .officer
        .post(
            &format!("/api/v1/applications/{}/final-report/approve", d.trondheim),
            &json!({}),
        )
        .await;
    assert_status(&approved, StatusCode::OK, "approve report");
    let detail = approved.json();
    assert_eq!(dec(&detail["repayment"]), 50_000.into(), "{detail}");
    assert_eq!(dec(&detail["due_now"]), 0.into(), "{detail}");
    let over_repaid = d
        .officer
        .post(
            &format!("/api/v1/applications/{}/repayments", d.trondheim),
            &json!({"amount": "50001", "reference": "Innbetaling"}),
        )
        .await;
    assert_eq!(over_repaid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let repaid = d
        .officer
        .post(
            &format!("/api/v1/applications/{}/repayments", d.trondheim),
            &json!({"amount": "50000", "reference": "Innbetaling"}),
        )
        .await;
    assert_status(&repaid, StatusCode::CREATED, "repay");

    // Steinkjer declines; Namsos was rejected. The totals reconcile.
    let declined = Client::login(&d.app, "saksbehandler")
        .await
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.steinkjer),
            &json!({"accepted": false, "comment": "Prosjektet ble ikke noe av"}),
        )
        .await;
    assert_status(&declined, StatusCode::CREATED, "decline");
    let overview = d
        .officer
        .read(&format!("/api/v1/rounds/{}/followup", d.round_id))
        .await;
    let totals = &overview["totals"];
    assert_eq!(dec(&totals["granted"]), 550_000.into(), "{overview}");
    assert_eq!(dec(&totals["paid"]), 150_000.into());
    assert_eq!(dec(&totals["outstanding"]), 400_000.into());
    assert_eq!(dec(&totals["spent_paid"]), 100_000.into());
    assert_eq!(dec(&totals["repayment"]), 50_000.into());
    assert_eq!(dec(&totals["repaid"]), 50_000.into());
    assert_eq!(
        overview["reconciles"],
        json!({"granted_is_paid_plus_outstanding": true, "paid_is_spent_plus_repayment_plus_not_reported": true})
    );
    let rows = overview["applications"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let row = rows
        .iter()
        .find(|r| r["application_id"] == d.trondheim)
        .unwrap();
    for key in [
        "granted",
        "accepted",
        "letter_sent",
        "paid",
        "outstanding",
        "report_status",
        "spent",
        "repayment",
        "repaid",
    ] {
        assert!(!row[key].is_null(), "{key} in {row}");
    }
    // The municipality sees its own line only.
    let own = trondheim
        .read(&format!("/api/v1/rounds/{}/followup", d.round_id))
        .await;
    assert_eq!(own["applications"].as_array().unwrap().len(), 1);

    // Everything is settled: the round can be completed.
    let complete = d
        .officer
        .post(
            &format!("/api/v1/rounds/{}/complete", d.round_id),
            &json!({}),
        )
        .await;
    assert_status(&complete, StatusCode::OK, "complete");
    assert_eq!(d.officer.round(d.round_id).await["phase"], "completed");

    // The payment file for the accounting system.
    let csv = d
        .officer
        .get(&format!("/api/v1/rounds/{}/payments.csv", d.round_id))
        .await;
    assert_status(&csv, StatusCode::OK, "payments.csv");
    let text = csv.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(lines[0].starts_with("bilagsdato;belop;mottaker"), "{text}");
    assert!(
        lines[1].contains(";150000.00;Trondheim - Tråante;"),
        "{text}"
    );

    // Every step is in the audit log.
    let actions = audit_actions(&d).await;
    for action in [
        "letter.issued",
        "letter.sent",
        "grant.accepted",
        "grant.declined",
        "payment.recorded",
        "report.submitted",
        "report.returned",
        "report.approved",
        "repayment.claimed",
        "repayment.recorded",
        "round.completed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing: {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_fired_at_once_never_pass_the_grant() {
    let d = decided_round("Samtidige utbetalinger").await;
    set_terms(&d, json!({"payment_plan": "on_acceptance"})).await;
    send_letters(&d).await;
    accepted_by_trondheim(&d).await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let officer = d.officer.clone();
        let id = d.trondheim;
        tasks.push(tokio::spawn(
            async move { pay(&officer, id, "100000").await },
        ));
    }
    let mut created = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.status {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("{other}: {}", response.text()),
        }
    }
    assert_eq!(created, 3);
    let detail = d
        .officer
        .read(&format!("/api/v1/applications/{}/followup", d.trondheim))
        .await;
    assert_eq!(dec(&detail["paid"]), 300_000.into());
    assert_eq!(detail["payments"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_survives_a_restart_with_the_smtp_server_down_and_delivers_once() {
    let d = decided_round("Utboks").await;
    let mut smtp = TestSmtp::start().await;
    smtp.stop().await;
    let from = "Statsforvalteren i Trøndelag <post@statsforvalteren.no>";
    let url = smtp.url();
    let settings = |retry_base: Duration| {
        let mut settings = tilskudd::app::outbox::MailSettings::new(Some(
            tilskudd::mail::Mailer::new(&url, from).unwrap(),
        ));
        settings.retry_base = retry_base;
        settings
    };
    send_letters(&d).await;
    // The server is down: every message is kept, with a later attempt.
    let first = settings(Duration::from_millis(200));
    assert_eq!(
        tilskudd::app::outbox::deliver_due(&d.app.store, &first)
            .await
            .unwrap(),
        3
    );
    let outbox = d.officer.read("/api/v1/outbox").await;
    assert_eq!(outbox["pending"], 3, "{outbox}");
    for m in outbox["messages"].as_array().unwrap() {
        assert!(
            m["last_error"].as_str().unwrap().contains("koble til"),
            "{m}"
        );
    }

    // A restart: another instance on the same database, the server back.
    let restarted = d.app.another_instance(false).await;
    smtp.restart().await;
    let second = settings(Duration::from_millis(200));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        tilskudd::app::outbox::deliver_due(&restarted.store, &second)
            .await
            .unwrap();
        if restarted.store.outbox_backlog().await.unwrap() == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "outbox not emptied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.wait_for(3, Duration::from_secs(5)).await;
    // Nothing more goes out, however often the worker looks.
    for _ in 0..3 {
        assert_eq!(
            tilskudd::app::outbox::deliver_due(&restarted.store, &second)
                .await
                .unwrap(),
            0
        );
    }
    let received = smtp.messages();
    assert_eq!(received.len(), 3);
    let mut recipients: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "post@namsos.kommune.no",
            "post@steinkjer.kommune.no",
            "post@trondheim.kommune.no"
        ]
    );
    for mail in &received {
        assert!(mail.data.contains("application/pdf"), "a letter attached");
    }
    let outbox = d.officer.read("/api/v1/outbox").await;
    assert_eq!(outbox["pending"], 0);
}

/// A filled-in report workbook as a person might leave it: a title above the labels,
/// the accounts' header moved down, an amount typed as text with a decimal comma, a total
/// row, and one line whose amount is `spent_text`.
fn filled_report(spent_text: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Sluttrapport").unwrap();
    sheet
        .write_string(0, 0, "Sluttrapport for tilskudd")
        .unwrap();
    sheet.write_string(2, 0, "Kommentar fra kommunen").unwrap();
    sheet
        .write_string(8, 0, "Gjennomføring og resultat")
        .unwrap();
    sheet
        .write_string(8, 1, "Koordinator ansatt i 80 % stilling fra mars.")
        .unwrap();
    sheet
        .write_string(9, 0, "Bekreftet av revisor (ja/nei)")
        .unwrap();
    sheet.write_string(9, 1, "Ja").unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Regnskap").unwrap();
    sheet.write_string(0, 0, "Prosjektregnskap 2027").unwrap();
    for (col, text) in ["Kategori", "Beskrivelse", "Søkt (kr)", "Brukt (kr)"]
        .iter()
        .enumerate()
    {
        sheet.write_string(3, col as u16, *text).unwrap();
    }
    sheet.write_string(4, 0, "Lønn").unwrap();
    sheet.write_string(4, 1, "Koordinator").unwrap();
    sheet.write_number(4, 2, 400000).unwrap();
    sheet.write_string(4, 3, "250 000,50").unwrap();
    sheet.write_string(5, 0, "Reise").unwrap();
    sheet.write_string(5, 3, spent_text).unwrap();
    sheet.write_string(7, 0, "Sum").unwrap();
    sheet.write_number(7, 3, 251_000.5).unwrap();
    workbook.save_to_buffer().unwrap()
}

async fn send_file(client: &Client, path: &str, filename: &str, bytes: &[u8]) -> TestResponse {
    let (content_type, body) = crate::common::multipart(&[], filename, bytes);
    client
        .send(
            axum::http::Request::post(path)
                .header(axum::http::header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn the_report_workbook_is_made_for_the_grant_and_read_back_naming_cells() {
    let d = decided_round("Rapportskjema").await;
    set_terms(&d, json!({"payment_plan": "on_acceptance"})).await;
    send_letters(&d).await;
    let trondheim = accepted_by_trondheim(&d).await;

    // The workbook carries the application's budget lines.
    let template = trondheim
        .get(&format!(
            "/api/v1/applications/{}/report-template.xlsx",
            d.trondheim
        ))
        .await;
    assert_status(&template, StatusCode::OK, "template");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(template.body.clone())).unwrap();
    let accounts = book.worksheet_range("Regnskap").unwrap();
    assert_eq!(
        accounts.get_value((3, 0)).map(|v| v.to_string()),
        Some("Lønn".into())
    );
    assert!(book.worksheet_range("Sluttrapport").is_ok());

    // A mistake is named by sheet and cell, and nothing is stored.
    let path = format!("/api/v1/applications/{}/final-report", d.trondheim);
    let bad = send_file(
        &trondheim,
        &path,
        "rapport.xlsx",
        &filled_report("1 000,5O"),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert_eq!(field_of(&bad), "file");
    assert!(bad.text().contains("Regnskap!D6"), "{}", bad.text());

    let good = send_file(&trondheim, &path, "rapport.xlsx", &filled_report("1000")).await;
    assert_status(&good, StatusCode::CREATED, "report workbook");
    let report = &good.json()["reports"][0];
    assert_eq!(
        dec(&report["spent"]),
        "251000.50".parse().unwrap(),
        "{report}"
    );
    assert_eq!(report["auditor_confirmed"], true);
    assert_eq!(report["lines"].as_array().unwrap().len(), 2);
    // The workbook is kept as sent.
    let document = report["document_id"].as_i64().unwrap();
    let original = trondheim
        .get(&format!("/api/v1/followup-documents/{document}"))
        .await;
    assert_status(&original, StatusCode::OK, "original");
    assert_eq!(original.body, filled_report("1000"));
}

#[tokio::test]
async fn report_reminders_are_queued_once_sixty_days_before_and_once_when_late() {
    let d = decided_round("Påminnelser").await;
    let today = crate::common::client::today_oslo();
    set_terms(
        &d,
        json!({"report_deadline": in_days(59), "payment_plan": "on_acceptance"}),
    )
    .await;
    send_letters(&d).await;
    accepted_by_trondheim(&d).await;
    let queue = |day| tilskudd::app::followup::queue_reminders(&d.app.store, day);
    // Only the accepted grant without a report is reminded, and only once.
    assert_eq!(queue(today).await.unwrap(), 1);
    assert_eq!(queue(today).await.unwrap(), 0);
    let late = today + chrono::Duration::days(60);
    assert_eq!(queue(late).await.unwrap(), 1);
    assert_eq!(queue(late).await.unwrap(), 0);
    let outbox = d
        .officer
        .read(&format!("/api/v1/outbox?round={}", d.round_id))
        .await;
    let kinds: Vec<(&str, &str)> = outbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap(),
                m["recipient"].as_str().unwrap(),
            )
        })
        .filter(|(kind, _)| kind.starts_with("report"))
        .collect();
    assert_eq!(
        kinds,
        [
            ("report_overdue", "post@trondheim.kommune.no"),
            ("report_due", "post@trondheim.kommune.no")
        ]
    );
    // Today the report is not late yet.
    let overview = d
        .officer
        .read(&format!("/api/v1/rounds/{}/followup", d.round_id))
        .await;
    assert!(
        overview["applications"][0]["overdue"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_refused_address_fails_for_good_and_an_officer_can_send_it_again() {
    let d = decided_round("Avvist adresse").await;
    let smtp = TestSmtp::start().await;
    smtp.reject_recipient("post@namsos.kommune.no");
    let settings = tilskudd::app::outbox::MailSettings::new(Some(
        tilskudd::mail::Mailer::new(&smtp.url(), "post@statsforvalteren.no").unwrap(),
    ));
    send_letters(&d).await;
    tilskudd::app::outbox::deliver_due(&d.app.store, &settings)
        .await
        .unwrap();
    smtp.wait_for(2, Duration::from_secs(5)).await;
    let outbox = d.officer.read("/api/v1/outbox").await;
    let failed: Vec<&Value> = outbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{outbox}");
    assert_eq!(failed[0]["recipient"], "post@namsos.kommune.no");
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    let id = failed[0]["id"].as_i64().unwrap();
    let retry = d
        .officer
        .post(&format!("/api/v1/outbox/{id}/retry"), &json!({}))
        .await;
    assert_eq!(retry.status, StatusCode::NO_CONTENT, "{}", retry.text());
    let again = d
        .officer
        .post(&format!("/api/v1/outbox/{id}/retry"), &json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(d.officer.read("/api/v1/outbox").await["pending"], 1);
    let actions = audit_actions(&d).await;
    assert!(actions.iter().any(|a| a == "mail.sent") && actions.iter().any(|a| a == "mail.failed"));
}

#[tokio::test]
async fn the_pages_show_the_follow_up_and_take_the_forms() {
    let d = decided_round("Sidene").await;
    set_terms(&d, json!({"payment_plan": "on_acceptance"})).await;
    // Issuing from the page redirects back with a confirmation.
    let issued = d
        .officer
        .form(&format!("/rounds/{}/letters/issue", d.round_id), &[])
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.text());
    let page = d
        .officer
        .get(&format!("/rounds/{}/followup?melding=utstedt", d.round_id))
        .await;
    assert_status(&page, StatusCode::OK, "overview page");
    let html = page.text();
    assert!(html.contains("Brevene er utstedt."));
    assert!(html.contains("Steinkjer") && html.contains("Namsos"));

    // The municipality answers on its grant page and sees only its own grant.
    let trondheim = Client::login(&d.app, "trondheim").await;
    let own = trondheim
        .get(&format!("/rounds/{}/followup", d.round_id))
        .await
        .text();
    assert!(
        own.contains("Trondheim") && !own.contains("Steinkjer"),
        "{own}"
    );
    let grant = trondheim
        .get(&format!("/applications/{}/followup", d.trondheim))
        .await;
    assert_status(&grant, StatusCode::OK, "grant page");
    assert!(grant.text().contains("Aksepter tilskuddet"));
    let answered = trondheim
        .form(
            &format!("/applications/{}/acceptance", d.trondheim),
            &[("accepted", "true")],
        )
        .await;
    assert_eq!(
        answered.status,
        StatusCode::SEE_OTHER,
        "{}",
        answered.text()
    );
    let letter = trondheim
        .get(&format!("/applications/{}/letter", d.trondheim))
        .await;
    assert_status(&letter, StatusCode::OK, "letter page");
    assert!(letter.text().contains("tre hundre tusen kroner"));

    // A refused payment shows the page again with the message and what was typed.
    let refused = d
        .officer
        .form(
            &format!("/applications/{}/payments", d.trondheim),
            &[("amount", "300 001"), ("reference", "Bilag 7")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(
        html.contains("Bilag 7") && html.contains("300 001"),
        "{html}"
    );
    assert!(html.contains("større enn tilskuddet"), "{html}");
    let paid = d
        .officer
        .form(
            &format!("/applications/{}/payments", d.trondheim),
            &[("amount", "300 000"), ("reference", "Bilag 7")],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text());

    // The workbook: a sheet per part, sums and checks as formulas.
    let workbook = d
        .officer
        .get(&format!("/rounds/{}/followup.xlsx", d.round_id))
        .await;
    assert_status(&workbook, StatusCode::OK, "followup.xlsx");
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.body.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Oversikt",
            "Utbetalinger",
            "Sluttrapporter",
            "Tilbakebetalinger"
        ]
    );
    let formulas = book.worksheet_formula("Oversikt").unwrap();
    let all: Vec<String> = formulas.used_cells().map(|(_, _, f)| f.clone()).collect();
    assert!(all.iter().any(|f| f.starts_with("SUM(G")), "{all:?}");
    assert!(all.iter().any(|f| f.contains('-')), "the checks: {all:?}");
    let payments = book.worksheet_range("Utbetalinger").unwrap();
    let amounts: Vec<f64> = payments
        .used_cells()
        .filter_map(|(_, c, v)| (c == 2).then(|| v.get_float()).flatten())
        .collect();
    // The payment, and the sum under it.
    assert_eq!(amounts, [300_000.0, 300_000.0]);

    // The outbox page lists what is queued (recorded: no SMTP server here).
    let outbox = d.officer.get("/outbox").await;
    assert_status(&outbox, StatusCode::OK, "outbox page");
}

#[tokio::test]
async fn a_submitted_application_is_acknowledged_by_e_mail_in_the_same_transaction() {
    let app = TestApp::with_sample_data().await;
    let officer = Client::login(&app, "saksbehandler").await;
    let trondheim = Client::login(&app, "trondheim").await;
    let created = officer
        .post(
            "/api/v1/rounds",
            &json!({"name": "Kvittering", "year": 2027, "region": "Trøndelag", "pool": "1000000",
                    "rounding_unit": "1", "deadline": in_days(30)}),
        )
        .await;
    assert_status(&created, StatusCode::CREATED, "round");
    let round_id = created.json()["id"].as_i64().unwrap();
    let draft = trondheim
        .post(
            &format!("/api/v1/rounds/{round_id}/applications"),
            &json!({
                "project_title": "Koordinator", "email": "kari.nordmann@trondheim.kommune.no",
                "budget_lines": [{"category": "Lønn", "description": "Koordinator", "applied": "100000", "own_contribution": "0"}]
            }),
        )
        .await;
    assert_status(&draft, StatusCode::CREATED, "draft");
    let id = draft.json()["id"].as_i64().unwrap();
    // A draft sends nothing.
    let outbox = officer
        .read(&format!("/api/v1/outbox?round={round_id}"))
        .await;
    assert!(outbox["messages"].as_array().unwrap().is_empty());
    let submitted = trondheim
        .post(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"version": draft.json()["version"]}),
        )
        .await;
    assert!(submitted.status.is_success(), "{}", submitted.text());
    let outbox = officer
        .read(&format!("/api/v1/outbox?round={round_id}"))
        .await;
    let messages = outbox["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{outbox}");
    assert_eq!(messages[0]["kind"], "application_received");
    assert_eq!(
        messages[0]["recipient"],
        "kari.nordmann@trondheim.kommune.no"
    );
    assert_eq!(messages[0]["application_id"], id);
}

#[tokio::test]
async fn payments_on_request_need_an_approved_request_and_late_items_come_first() {
    let d = decided_round("Etter anmodning").await;
    set_terms(
        &d,
        json!({"payment_plan": "on_request", "acceptance_deadline": in_days(-2),
               "report_deadline": in_days(-1)}),
    )
    .await;
    send_letters(&d).await;
    // The acceptance deadline has passed: too late to answer.
    let trondheim = Client::login(&d.app, "trondheim").await;
    let late = trondheim
        .post(
            &format!("/api/v1/applications/{}/acceptance", d.trondheim),
            &json!({"accepted": true}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text());
    set_terms(
        &d,
        json!({"payment_plan": "on_request", "acceptance_deadline": in_days(7),
               "report_deadline": in_days(7)}),
    )
    .await;
    accepted_by_trondheim(&d).await;
    assert_eq!(
        dec(&d
            .officer
            .read(&format!("/api/v1/applications/{}/followup", d.trondheim))
            .await["due_now"]),
        0.into()
    );

    // A partial request with the accounts attached; a final one waits for the report.
    let path = format!("/api/v1/applications/{}/payment-requests", d.trondheim);
    let (content_type, body) = crate::common::multipart(
        &[("amount", "120 000"), ("note", "Lønn januar–april")],
        "regnskap.pdf",
        b"%PDF-1.7 regnskap",
    );
    let requested = trondheim
        .send(
            axum::http::Request::post(&path)
                .header(axum::http::header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_status(&requested, StatusCode::CREATED, "request");
    let request = &requested.json()["payment_requests"][0];
    assert_eq!(request["status"], "pending");
    let request_id = request["id"].as_i64().unwrap();
    let document = request["document_id"].as_i64().unwrap();
    let final_too_early = trondheim
        .post(&path, &json!({"amount": "10000", "final": true}))
        .await;
    assert_eq!(final_too_early.status, StatusCode::CONFLICT);
    let above = trondheim.post(&path, &json!({"amount": "180001"})).await;
    assert_eq!(
        above.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        above.text()
    );

    // The officer approves; then the approved amount is due, and paid.
    let rejected_without_reason = d
        .officer
        .post(
            &format!("/api/v1/payment-requests/{request_id}/reject"),
            &json!({}),
        )
        .await;
    assert_eq!(
        rejected_without_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let approved = d
        .officer
        .post(
            &format!("/api/v1/payment-requests/{request_id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(
        approved.status,
        StatusCode::NO_CONTENT,
        "{}",
        approved.text()
    );
    let detail = d
        .officer
        .read(&format!("/api/v1/applications/{}/followup", d.trondheim))
        .await;
    assert_eq!(dec(&detail["due_now"]), 120_000.into(), "{detail}");
    let paid = d
        .officer
        .post(
            &format!("/api/v1/applications/{}/payments", d.trondheim),
            &json!({"amount": "120000", "reference": "Bilag 9", "request_id": request_id}),
        )
        .await;
    assert_status(&paid, StatusCode::CREATED, "pay the request");
    assert_eq!(dec(&paid.json()["due_now"]), 0.into());
    // The accounts are kept, for the municipality and the officers, not for others.
    let own = trondheim
        .get(&format!("/api/v1/followup-documents/{document}"))
        .await;
    assert_status(&own, StatusCode::OK, "own accounts");
    assert_eq!(own.header("content-type"), Some("application/octet-stream"));
    let steinkjer_user = d
        .app
        .add_user("steinkjer", "kommune", Some(steinkjer_org(&d).await))
        .await;
    assert!(steinkjer_user > 0);
    let other = Client::login(&d.app, "steinkjer").await;
    let hidden = other
        .get(&format!("/api/v1/followup-documents/{document}"))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // Steinkjer has not answered by the new deadline either: once it passes, its line
    // comes first.
    set_terms(
        &d,
        json!({"payment_plan": "on_request", "acceptance_deadline": in_days(-1),
               "report_deadline": in_days(7)}),
    )
    .await;
    let overview = d
        .officer
        .read(&format!("/api/v1/rounds/{}/followup", d.round_id))
        .await;
    let first = &overview["applications"][0];
    assert_eq!(first["application_id"], d.steinkjer, "{overview}");
    assert_eq!(first["overdue"][0]["kind"], "acceptance");
}

async fn steinkjer_org(d: &Decided) -> i64 {
    d.app
        .store
        .application(d.steinkjer)
        .await
        .unwrap()
        .summary
        .organisation_id
}
