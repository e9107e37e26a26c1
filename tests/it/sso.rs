//! Single sign-on against a local OpenID provider (`tests/oidc/provider.mjs`, the npm
//! package oauth2-mock-server): the browser's round trip is played by following the
//! redirects by hand, the provider's over real HTTP and ours through the router.
//!
//! Where Node.js or the package is missing (`npm ci` in tests/oidc) these tests stop with
//! a note, unless `TILSKUDD_REQUIRE_OIDC_PROVIDER` is set: `.ci/run` installs the package
//! and sets it.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use axum::body::Body;
use axum::http::{Request, header};
use common::{TestApp, TestResponse, session_cookie};
use serde_json::{Value, json};
use tilskudd::app::sso::{ProviderSettings, SsoSettings};
use tilskudd::domain::sso::Matching;

const ORIGIN: &str = "http://tilskudd.test";

/// The provider process; stopped when dropped.
struct Provider {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    issuer: String,
}

impl Provider {
    fn start() -> Option<Provider> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        let required = std::env::var_os("TILSKUDD_REQUIRE_OIDC_PROVIDER").is_some();
        if !dir.join("node_modules/oauth2-mock-server").exists() {
            assert!(
                !required,
                "the OpenID test provider is not installed: run `npm ci` in tests/oidc"
            );
            eprintln!("tests/oidc is not installed (npm ci); single sign-on is not tested here");
            return None;
        }
        let mut child = match Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if !required => {
                eprintln!("node is not available ({e}); single sign-on is not tested here");
                return None;
            }
            Err(e) => panic!("node: {e}"),
        };
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let issuer = serde_json::from_str::<Value>(&first).expect("issuer line")["issuer"]
            .as_str()
            .unwrap()
            .to_string();
        Some(Provider {
            child,
            stdin,
            stdout,
            issuer,
        })
    }

    /// What the next ID token says (see provider.mjs).
    fn next_token(&mut self, settings: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{settings}").unwrap();
        stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        assert_eq!(answer.trim(), "ok");
    }

    fn settings(&self, matching: Matching) -> ProviderSettings {
        ProviderSettings {
            issuer: self.issuer.clone(),
            client_id: "tilskudd".into(),
            client_secret: Some("hemmelig".into()),
            label: "Testinnlogging".into(),
            matching,
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The app with single sign-on through `provider` (and the site's public origin, for the
/// redirect URI).
fn with_sso(app: &TestApp, providers: Vec<ProviderSettings>) -> TestApp {
    let sso = SsoSettings::new(providers).unwrap();
    app.with_state(|state| {
        state.with_sso(sso).with_auth(tilskudd::web::AuthSettings {
            public_origin: Some(ORIGIN.into()),
            ..Default::default()
        })
    })
}

fn location(response: &TestResponse) -> String {
    response
        .header("location")
        .unwrap_or_else(|| panic!("no Location ({}): {}", response.status, response.text()))
        .to_string()
}

/// Our `/login/oidc` → the provider's authorize endpoint → where it sends the browser back
/// (our callback, as a path).
async fn to_provider_and_back(app: &TestApp, provider_index: usize) -> String {
    let start = app
        .get(&format!(
            "/login/oidc?tjeneste={provider_index}&neste=/rounds"
        ))
        .await;
    assert_eq!(start.status, 303, "{}", start.text());
    let authorize = location(&start);
    assert!(authorize.contains("code_challenge="), "PKCE: {authorize}");
    assert!(authorize.contains("nonce="), "nonce: {authorize}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(&authorize).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let back = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    back.strip_prefix(ORIGIN)
        .unwrap_or_else(|| panic!("the provider sent the user elsewhere: {back}"))
        .to_string()
}

async fn invite(app: &TestApp, username: &str, email: &str, role: &str) -> i64 {
    let id = app.add_user(username, role, None).await;
    app.store
        .execute(
            tilskudd::store::sql("UPDATE users SET email = $1 WHERE id = $2")
                .bind(email.to_string())
                .bind(id),
        )
        .await
        .unwrap();
    id
}

async fn me(app: &TestApp, cookie: &str) -> TestResponse {
    app.request(
        Request::get("/api/v1/me")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn an_invited_officer_logs_in_with_their_roles_and_is_bound_at_the_first_login() {
    let Some(mut provider) = Provider::start() else {
        return;
    };
    let base = TestApp::new().await;
    invite(&base, "kari", "kari@statsforvalteren.no", "saksbehandler").await;
    let app = with_sso(&base, vec![provider.settings(Matching::Email)]);

    // The login page offers the provider.
    let page = app.get("/login").await.text();
    assert!(page.contains("Logg inn med Testinnlogging"), "{page}");

    provider
        .next_token(json!({"claims": {"sub": "entra-123", "email": "Kari@Statsforvalteren.no"}}));
    let callback = to_provider_and_back(&app, 0).await;
    let done = app.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(location(&done), "/rounds");
    let cookie = session_cookie(&done).expect("a session");
    let who = me(&app, &cookie).await.json();
    assert_eq!(who["username"], "kari");
    assert_eq!(who["roles"], json!(["saksbehandler"]));

    // Later the subject decides, whatever the e-mail address says now.
    provider.next_token(
        json!({"claims": {"sub": "entra-123", "email": "kari.ny@statsforvalteren.no"}}),
    );
    let callback = to_provider_and_back(&app, 0).await;
    let again = app.get(&callback).await;
    assert_eq!(again.status, 303, "{}", again.text());
    let cookie = session_cookie(&again).unwrap();
    assert_eq!(me(&app, &cookie).await.json()["username"], "kari");

    // Another person with Kari's address at the provider is not Kari.
    provider
        .next_token(json!({"claims": {"sub": "entra-999", "email": "kari@statsforvalteren.no"}}));
    let callback = to_provider_and_back(&app, 0).await;
    let other = app.get(&callback).await;
    assert_eq!(other.status, 403);
    assert!(session_cookie(&other).is_none());
    assert!(
        other.text().contains("knyttet til en annen person"),
        "{}",
        other.text()
    );

    // Audited: bound once, logged in twice.
    let audit: Vec<(String,)> = base
        .store
        .fetch_all(tilskudd::store::sql(
            "SELECT action FROM audit_events WHERE action LIKE 'sso.%' OR action = 'login.sso' ORDER BY id",
        ))
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(actions, ["sso.bound", "login.sso", "login.sso"]);
}

#[tokio::test]
async fn an_unknown_or_deactivated_person_gets_a_page_and_no_session() {
    let Some(mut provider) = Provider::start() else {
        return;
    };
    let base = TestApp::new().await;
    let app = with_sso(&base, vec![provider.settings(Matching::Email)]);
    provider.next_token(json!({"claims": {"sub": "x-1", "email": "ukjent@example.no"}}));
    let callback = to_provider_and_back(&app, 0).await;
    let refused = app.get(&callback).await;
    assert_eq!(refused.status, 403);
    assert!(session_cookie(&refused).is_none());
    let page = refused.text();
    assert!(
        page.contains("har ingen bruker i tilskuddsløsningen"),
        "{page}"
    );
    assert!(page.contains("<html"), "a page, not bare text");

    // A provider that says nothing to match by.
    provider.next_token(json!({"claims": {"sub": "x-0"}}));
    let callback = to_provider_and_back(&app, 0).await;
    let refused = app.get(&callback).await;
    assert_eq!(refused.status, 403);
    assert!(session_cookie(&refused).is_none());
    assert!(
        refused.text().contains("oppga ikke e-postadressen din"),
        "{}",
        refused.text()
    );

    let id = invite(&base, "per", "per@statsforvalteren.no", "saksbehandler").await;
    base.store
        .execute(tilskudd::store::sql("UPDATE users SET active = FALSE WHERE id = $1").bind(id))
        .await
        .unwrap();
    provider.next_token(json!({"claims": {"sub": "x-2", "email": "per@statsforvalteren.no"}}));
    let callback = to_provider_and_back(&app, 0).await;
    let refused = app.get(&callback).await;
    assert_eq!(refused.status, 403);
    assert!(session_cookie(&refused).is_none());
    assert!(refused.text().contains("deaktivert"), "{}", refused.text());
}

#[tokio::test]
async fn tokens_that_fail_their_checks_and_replayed_states_are_refused() {
    let Some(mut provider) = Provider::start() else {
        return;
    };
    let base = TestApp::new().await;
    invite(&base, "kari", "kari@statsforvalteren.no", "saksbehandler").await;
    let app = with_sso(&base, vec![provider.settings(Matching::Email)]);
    let claims = json!({"sub": "entra-1", "email": "kari@statsforvalteren.no"});
    let mut other_issuer = claims.clone();
    other_issuer["iss"] = json!("https://en-annen-utsteder.example");
    for spoilt in [
        json!({"claims": claims, "audience": "en-annen-app"}),
        json!({"claims": other_issuer}),
        json!({"claims": claims, "expired": true}),
        json!({"claims": claims, "badSignature": true}),
    ] {
        provider.next_token(spoilt.clone());
        let callback = to_provider_and_back(&app, 0).await;
        let refused = app.get(&callback).await;
        assert_eq!(refused.status, 403, "{spoilt}: {}", refused.text());
        assert!(session_cookie(&refused).is_none(), "{spoilt}");
        assert!(
            refused.text().contains("kunne ikke bekreftes"),
            "{spoilt}: {}",
            refused.text()
        );
    }

    // A good answer works once; the same state again is refused.
    provider.next_token(json!({"claims": claims}));
    let callback = to_provider_and_back(&app, 0).await;
    assert_eq!(app.get(&callback).await.status, 303);
    let replayed = app.get(&callback).await;
    assert_eq!(replayed.status, 403);
    assert!(session_cookie(&replayed).is_none());
    assert!(
        replayed.text().contains("allerede brukt"),
        "{}",
        replayed.text()
    );

    // A state nobody issued, and an answer without code, are refused too.
    let forged = app
        .get("/login/oidc/callback?code=abc&state=forfalsket")
        .await;
    assert_eq!(forged.status, 403);
    let empty = app.get("/login/oidc/callback").await;
    assert_eq!(empty.status, 400);
    // Cancelled at the provider.
    let cancelled = app
        .get("/login/oidc/callback?error=access_denied&state=x")
        .await;
    assert_eq!(cancelled.status, 403);
    assert!(cancelled.text().contains("avbrutt"));
}

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another() {
    let Some(mut provider) = Provider::start() else {
        return;
    };
    let base = TestApp::new().await;
    invite(&base, "kari", "kari@statsforvalteren.no", "godkjenner").await;
    let first = with_sso(&base, vec![provider.settings(Matching::Email)]);
    let second_instance = base.another_instance(false).await;
    let second = with_sso(&second_instance, vec![provider.settings(Matching::Email)]);
    provider.next_token(json!({"claims": {"sub": "e-7", "email": "kari@statsforvalteren.no"}}));
    let callback = to_provider_and_back(&first, 0).await;
    let done = second.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.text());
    let cookie = session_cookie(&done).unwrap();
    // The session is in the shared store: the first instance knows it too.
    assert_eq!(
        me(&first, &cookie).await.json()["roles"],
        json!(["godkjenner"])
    );
}

#[tokio::test]
async fn id_porten_matches_the_national_identity_number_and_logout_ends_the_providers_session() {
    let Some(mut provider) = Provider::start() else {
        return;
    };
    let base = TestApp::new().await;
    // An admin registers the municipality user with a number, through the API.
    let mut admin = base.another_instance(false).await;
    admin.add_user("sjef", "admin", None).await;
    admin.login("sjef").await;
    let number = "13097248022";
    let body =
        json!({"username": "kommuneansatt", "roles": ["saksbehandler"], "national_id": number});
    let created = admin.post_json("/api/v1/users", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["user"]["has_national_id"], true);
    assert!(
        !created.text().contains(number),
        "the number is never shown"
    );
    let wrong = admin
        .post_json(
            "/api/v1/users",
            &json!({"username": "feil", "roles": ["saksbehandler"], "national_id": "13097248023"}),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["errors"][0]["field"], "national_id");

    let entra = provider.settings(Matching::Email);
    let mut idporten = provider.settings(Matching::NationalId);
    idporten.label = "ID-porten".into();
    idporten.issuer = provider.issuer.clone();
    // Two buttons when two providers are set up (here the same test provider twice).
    let two = with_sso(&base, vec![entra, idporten.clone()]);
    let page = two.get("/login").await.text();
    assert!(
        page.contains("Logg inn med Testinnlogging") && page.contains("Logg inn med ID-porten")
    );

    let app = with_sso(&base, vec![idporten.clone()]);
    provider.next_token(json!({"claims": {"sub": "idp-55", "pid": number}}));
    let callback = to_provider_and_back(&app, 0).await;
    let done = app.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.text());
    let cookie = session_cookie(&done).unwrap();
    assert_eq!(me(&app, &cookie).await.json()["username"], "kommuneansatt");
    // The admin's one-time password was for the first login: ID-porten did that, so the
    // user is not sent to change a password they do not use, and it no longer logs in.
    let rounds = app
        .request(
            Request::get("/api/v1/rounds")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(rounds.status, 200, "{}", rounds.text());
    let one_time = created.json()["one_time_password"]
        .as_str()
        .unwrap()
        .to_string();
    let password_login = app
        .post_json(
            "/api/v1/session",
            &json!({"username": "kommuneansatt", "password": one_time}),
        )
        .await;
    assert_eq!(password_login.status, 401);

    // Logging out ends the session here and sends the browser to the provider's logout.
    let mut browser = with_sso(&base, vec![idporten]);
    browser.cookie = Some(cookie.clone());
    let out = browser.post_form("/logout", &[]).await;
    // A page, not a redirect: a form's redirect may only go to this site (CSP form-action).
    assert_eq!(out.status, 200, "{}", out.text());
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let page = out.text();
    assert!(page.contains("Du er logget ut"), "{page}");
    let to = page
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a refresh to the provider")
        .replace("&amp;", "&")
        .replace("&#x3D;", "=");
    assert!(to.starts_with(&provider.issuer), "{to}");
    assert!(to.contains("id_token_hint="), "{to}");
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    assert_eq!(me(&app, &cookie).await.status, 401);
}
