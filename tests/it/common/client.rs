//! A client per user on one router, so several users can act at once, and the small
//! helpers tests of whole flows share.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{DEMO_PASSWORD, TestApp, TestResponse};

#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookie: String,
    pub id: i64,
    pub username: String,
}

pub async fn respond(router: Router, request: Request<Body>) -> TestResponse {
    super::send_exactly(&router, request).await
}

impl Client {
    pub async fn login(app: &TestApp, username: &str) -> Client {
        let request = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": username, "password": DEMO_PASSWORD}).to_string(),
            ))
            .unwrap();
        let response = respond(app.router.clone(), request).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "login as {username}: {}",
            response.text()
        );
        let cookie = super::session_cookie(&response).expect("session cookie");
        let id = response.json()["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in the login answer: {}", response.text()));
        Client {
            router: app.router.clone(),
            cookie,
            id,
            username: username.to_string(),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let mut request = super::from_this_site(request);
        request
            .headers_mut()
            .insert(header::COOKIE, self.cookie.parse().unwrap());
        respond(self.router.clone(), request).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn json(&self, method: Method, path: &str, body: &Value) -> TestResponse {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.json(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> TestResponse {
        self.json(Method::PUT, path, body).await
    }

    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// A multipart upload with `file` and `kind`, as the upload form sends it.
    pub async fn upload(
        &self,
        path: &str,
        filename: &str,
        bytes: &[u8],
        kind: &str,
    ) -> TestResponse {
        let (content_type, body) = super::multipart(&[("kind", kind)], filename, bytes);
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// GET that must answer 200 with JSON.
    pub async fn read(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "GET {path} as {}: {}",
            self.username,
            response.text()
        );
        response.json()
    }

    pub async fn application(&self, id: i64) -> Value {
        self.read(&format!("/api/v1/applications/{id}")).await
    }

    pub async fn round(&self, id: i64) -> Value {
        self.read(&format!("/api/v1/rounds/{id}")).await
    }
}

pub fn today_oslo() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Oslo)
        .date_naive()
}

pub fn in_days(days: i64) -> String {
    (today_oslo() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

pub fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

pub fn assert_status(response: &TestResponse, expected: StatusCode, what: &str) {
    assert_eq!(response.status, expected, "{what}: {}", response.text());
}
