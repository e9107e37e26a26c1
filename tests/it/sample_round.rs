//! The 2019 Trøndelag round and the register, as loaded by `serve --demo`.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::Value;

fn applications(round: &Value) -> &Vec<Value> {
    round["applications"].as_array().expect("applications")
}

#[tokio::test]
async fn the_2019_round_has_22_applications_and_uses_the_whole_pool() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await;
    assert_eq!(round.status, StatusCode::OK);
    let round = round.json();
    assert_eq!(round["pool"], "13914871");
    assert_eq!(round["allocated_total"], "13914871");
    assert_eq!(round["remaining"], "0");
    assert_eq!(round["status"], "decided");
    assert_eq!(round["historical"], true);
    let apps = applications(&round);
    assert_eq!(apps.len(), 22);
    // The source states only what was granted: requested is null ("ikke oppgitt").
    assert!(apps.iter().all(|a| a["requested"].is_null()));
    let trondheim = apps.iter().find(|a| a["applicant"] == "Trondheim").unwrap();
    assert_eq!(trondheim["allocated"], "2649770");
    assert_eq!(trondheim["kommunenummer"], "5001");

    // The page shows the same figures.
    let page = app.get(&format!("/rounds/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("13\u{a0}914\u{a0}871\u{a0}kr"),
        "pool on page"
    );
    assert!(html.contains("ikke oppgitt"));
    assert_eq!(html.matches("href=\"/applications/").count(), 22);
}

#[tokio::test]
async fn fosen_helse_is_an_iks_with_member_municipalities() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    let fosen = applications(&round)
        .iter()
        .find(|a| a["applicant"] == "Fosen helse")
        .expect("Fosen helse");
    assert!(fosen["kommunenummer"].is_null());
    assert_eq!(fosen["organisation_kind"], "iks");
    assert_eq!(fosen["allocated"], "700000");
    let detail = app
        .get(&format!("/api/v1/applications/{}", fosen["id"]))
        .await
        .json();
    let members: Vec<&str> = detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_str().unwrap())
        .collect();
    assert!(members.contains(&"5017"), "Bjugn is a member: {members:?}");
    assert!(members.contains(&"5015"), "Ørland is a member: {members:?}");
    let page = app
        .get(&format!("/applications/{}", fosen["id"]))
        .await
        .text();
    assert!(page.contains("Medlemskommuner"));
    assert!(page.contains("5017 Bjugn"));
}

#[tokio::test]
async fn old_numbers_show_todays_number() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2019").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    let bjugn = applications(&round)
        .iter()
        .find(|a| a["applicant"] == "Bjugn")
        .unwrap();
    assert_eq!(bjugn["kommunenummer"], "5017");
    assert_eq!(bjugn["kommunenummer_today"]["kind"], "changed");
    assert_eq!(bjugn["kommunenummer_today"]["kommunenummer"], "5057");
    let selbu = applications(&round)
        .iter()
        .find(|a| a["applicant"] == "Selbu")
        .unwrap();
    assert_eq!(selbu["kommunenummer_today"]["kind"], "unchanged");
    let html = app.get(&format!("/rounds/{id}")).await.text();
    assert!(html.contains("5057 Ørland"));
}

#[tokio::test]
async fn register_maps_bjugn_to_orland_and_splits_snillfjord() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let result = app.get("/api/v1/municipalities?q=5017").await.json();
    let bjugn = result["municipalities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kommunenummer"] == "5017")
        .expect("5017");
    let merged = bjugn["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["effective"] == "01.01.2020")
        .expect("2020 change");
    assert!(merged["text"].as_str().unwrap().contains("5057 Ørland"));

    let result = app.get("/api/v1/municipalities?q=snillfjord").await.json();
    let snillfjord = result["municipalities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kommunenummer"] == "5012")
        .expect("5012");
    let split = snillfjord["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "delt")
        .expect("split");
    let text = split["text"].as_str().unwrap();
    for part in ["5055 Heim", "5056 Hitra", "5059 Orkland"] {
        assert!(text.contains(part), "{text}");
    }

    let page = app.get("/kommuner?q=Bjugn").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("5057 Ørland"));
    // Searching tolerates æøå spelt out.
    let page = app.get("/kommuner?q=oerland").await.text();
    assert!(page.contains("5057"));
}

#[tokio::test]
async fn the_demo_round_is_open_above_its_pool_and_marked_as_demo() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let id = app.round_id("Trøndelag 2026 (demo)").await;
    let round = app.get(&format!("/api/v1/rounds/{id}")).await.json();
    assert_eq!(round["status"], "open");
    assert_eq!(round["demo"], true);
    assert_eq!(round["pool"], "15000000");
    let apps = applications(&round);
    assert!((20..=30).contains(&apps.len()), "about 25 applications");
    assert!(apps.iter().all(|a| a["demo"] == true));
    let requested: rust_decimal::Decimal =
        round["requested_total"].as_str().unwrap().parse().unwrap();
    assert!(requested > rust_decimal::Decimal::from(15_000_000));
    let html = app.get(&format!("/rounds/{id}")).await.text();
    assert!(html.contains("Demodata"));
    let html = app.get("/rounds").await.text();
    assert!(html.contains("Demodata"));
}

#[tokio::test]
async fn sample_data_never_loads_into_a_database_with_data() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let again = tilskudd::sample::load(&app.store).await.unwrap();
    assert_eq!(again, tilskudd::sample::SampleOutcome::SkippedNotEmpty);
    let rounds = app.get("/api/v1/rounds").await.json();
    assert_eq!(rounds.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn national_statistics_are_loaded() {
    let mut app = TestApp::with_sample_data().await;
    app.login("saksbehandler").await;
    let stats = app.get("/api/v1/statistics/national").await.json();
    let obs = stats["observations"].as_array().unwrap();
    let coord_2021 = obs
        .iter()
        .find(|o| {
            o["indicator_code"] == "andel_koordinator"
                && o["year"] == 2021
                && o["need_level"].is_null()
        })
        .unwrap();
    assert_eq!(coord_2021["value"], "13.0");
    let need_total: i64 = obs
        .iter()
        .filter(|o| {
            o["indicator_code"] == "mottakere" && o["year"] == 2021 && !o["need_level"].is_null()
        })
        .map(|o| o["value"].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(need_total, 208_645);
    let page = app.get("/statistikk").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("13,0 %"));
}

#[tokio::test]
async fn synthetic_trondelag_figures_are_loaded_and_marked_synthetic() {
    let mut app = TestApp::with_sample_data().await;
    app.login("leser").await;
    let stats = app
        .get("/api/v1/statistics/municipalities?year=2023&kommunenummer=5001")
        .await;
    assert_eq!(stats.status, StatusCode::OK);
    let stats = stats.json();
    assert_eq!(stats["synthetic"], true);
    let obs = stats["observations"].as_array().unwrap();
    let codes: Vec<&str> = obs
        .iter()
        .map(|o| o["indicator_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "andel_individuell_plan",
            "andel_koordinator",
            "innbyggere",
            "mottakere"
        ]
    );
    for o in obs {
        assert_eq!(o["region"], "5001");
        assert_eq!(o["year"], 2023);
        assert_eq!(o["synthetic"], true);
        assert_eq!(o["note"], "syntetiske demotall");
    }
    let value = |code: &str| {
        obs.iter().find(|o| o["indicator_code"] == code).unwrap()["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let inhabitants: i64 = value("innbyggere").parse().unwrap();
    let recipients: i64 = value("mottakere").parse().unwrap();
    assert!((150_000..300_000).contains(&inhabitants), "{inhabitants}");
    assert!(recipients * 100 > inhabitants * 3 && recipients * 100 < inhabitants * 5);

    // The national series stay real, not synthetic.
    let national = app.get("/api/v1/statistics/national").await.json();
    assert!(
        national["observations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["synthetic"] == false && o.get("note").is_none())
    );

    // Per year: Snillfjord until 2019, Heim from 2020.
    let y2019 = app
        .get("/api/v1/statistics/municipalities?year=2019")
        .await
        .json();
    let regions = |v: &Value| -> Vec<String> {
        v["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["region"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(regions(&y2019).contains(&"5012".to_string()));
    let y2020 = app
        .get("/api/v1/statistics/municipalities?year=2020")
        .await
        .json();
    assert!(!regions(&y2020).contains(&"5012".to_string()));
    assert!(regions(&y2020).contains(&"5055".to_string()));

    let bad = app
        .get("/api/v1/statistics/municipalities?year=tjuetjuetre&kommunenummer=50")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.json();
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["year", "kommunenummer"]);

    let page = app.get("/statistikk?aar=2023").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let row = html
        .split("<tr>")
        .find(|r| r.contains("<td>5001</td>"))
        .expect("a row for 5001");
    assert!(row.contains("Trondheim - Tråante"), "{row}");
    assert!(row.contains("syntetiske demotall"), "{row}");
    let shown = tilskudd::domain::Kroner::from_whole(inhabitants).to_input_string();
    assert!(row.contains(&shown), "{shown} in {row}");
    assert!(row.contains(&format!(
        "{} %",
        value("andel_koordinator").replace('.', ",")
    )));
    assert!(html.contains("Kommunene 2023 (inndelingen det året) – syntetiske demotall"));

    let page = app.get("/statistikk?aar=1066").await.text();
    assert!(page.contains("Det finnes ingen kommunetall for «1066». Viser 2024."));
}

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let app = TestApp::new_as("saksbehandler").await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    app.store.close().await;
    let response = app.get("/healthz").await;
    assert!(response.status.is_server_error());
}
