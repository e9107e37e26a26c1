//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, generated from the
//! handlers' types. Every API route must be in it, with what it answers; schemathesis
//! (in `.ci/run`) checks real answers against it.

use crate::common;

use common::TestApp;
use serde_json::Value;
use tilskudd::web::route_table;

fn operation<'a>(document: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    document["paths"][path].get(method.to_lowercase())
}

/// Follows a `$ref` into `components/schemas`.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(target) => {
            let name = target.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[tokio::test]
async fn every_api_route_is_documented_with_its_answers() {
    let app = TestApp::new().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let document = response.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["servers"][0]["url"], "/api/v1");

    let mut missing = Vec::new();
    let mut undocumented_answers = Vec::new();
    let mut checked = 0;
    for route in route_table() {
        let Some(path) = route.path.strip_prefix("/api/v1") else {
            continue;
        };
        checked += 1;
        let Some(operation) = operation(&document, route.method.as_str(), path) else {
            missing.push(format!("{} {}", route.method, route.path));
            continue;
        };
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{} {}: a summary (ApiRoutes::describe)",
            route.method,
            route.path
        );
        let responses = operation["responses"].as_object().expect("responses");
        // A success with a body says what the body is; 204 has none.
        let success: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .collect();
        let described = !success.is_empty()
            && success.iter().all(|(code, response)| {
                *code == "204"
                    || response["content"]
                        .as_object()
                        .is_some_and(|content| !content.is_empty())
            });
        if !described {
            undocumented_answers.push(format!("{} {}", route.method, route.path));
        }
        // Every error is the one error body (an unreadable upload's 422 is its preview).
        for (code, response) in responses.iter().filter(|(code, _)| !code.starts_with('2')) {
            let schema = &response["content"]["application/json"]["schema"];
            let error = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
            let preview_or_error = serde_json::json!({"anyOf": [
                {"$ref": "#/components/schemas/UnreadableUpload"}, error
            ]});
            assert!(
                *schema == error || (code == "422" && *schema == preview_or_error),
                "{} {}: {code} answers {schema}",
                route.method,
                route.path
            );
        }
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        {
            let declared = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "path" && p["name"] == name && p["required"] == true);
            assert!(declared, "{} {}: path parameter {name}", route.method, path);
        }
        if route.access != tilskudd::web::Access::Public {
            assert!(
                responses.contains_key("401") && responses.contains_key("403"),
                "{} {}: 401 and 403",
                route.method,
                path
            );
            assert!(!operation["security"].as_array().unwrap().is_empty());
        }
    }
    assert!(checked > 80, "only {checked} API routes");
    assert!(missing.is_empty(), "not in the document: {missing:#?}");
    assert!(
        undocumented_answers.is_empty(),
        "no documented answer: {undocumented_answers:#?}"
    );

    // Every reference points at a schema that is there.
    let text = document.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "dangling reference to {name}"
        );
    }
}

#[tokio::test]
async fn bodies_and_answers_have_their_fields() {
    let app = TestApp::new().await;
    let document = app.get("/api/v1/openapi.json").await.json();

    // A request body lists what may be sent; amounts are decimal text.
    let create = operation(&document, "POST", "/rounds").unwrap();
    let body = resolve(
        &document,
        &create["requestBody"]["content"]["application/json"]["schema"],
    );
    for field in ["name", "year", "pool"] {
        assert!(
            body["properties"].get(field).is_some(),
            "round input lacks {field}: {body}"
        );
    }
    assert_eq!(create["requestBody"]["required"], true);
    assert!(create["responses"].get("201").is_some());
    assert!(
        create["responses"]["201"]["headers"]
            .get("Location")
            .is_some()
    );
    assert!(create["responses"].get("422").is_some());

    // An answer lists what comes back.
    let round = operation(&document, "GET", "/rounds/{id}").unwrap();
    let answer = resolve(
        &document,
        &round["responses"]["200"]["content"]["application/json"]["schema"],
    );
    for field in ["id", "name", "pool", "phase", "applications"] {
        assert!(
            answer["properties"].get(field).is_some(),
            "round answer lacks {field}: {answer}"
        );
    }

    // An upload is a multipart form with a file; an unreadable one is a 422 with a body.
    let upload = operation(&document, "POST", "/rounds/{id}/uploads").unwrap();
    let form = resolve(
        &document,
        &upload["requestBody"]["content"]["multipart/form-data"]["schema"],
    );
    assert_eq!(form["properties"]["file"]["format"], "binary");
    assert!(upload["responses"].get("422").is_some());

    // Files are files.
    let template = operation(&document, "GET", "/rounds/{id}/template.xlsx").unwrap();
    assert!(
        template["responses"]["200"]["content"]
            .get("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .is_some()
    );
    let delete = operation(&document, "DELETE", "/scenarios/{id}").unwrap();
    assert!(delete["responses"].get("204").is_some());

    // The error body.
    let error = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["message"]));
}
