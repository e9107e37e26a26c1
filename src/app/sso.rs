//! Single sign-on with OpenID Connect: the authorization code flow with PKCE and a nonce,
//! through the openidconnect crate. `start` sends the user to a provider; `finish` takes
//! the answer back: the state once only, the code exchanged with the PKCE verifier, the ID
//! token's signature, issuer, audience, expiry and nonce checked, then the person matched
//! to an account by the domain's rule (`domain::sso`) and a session opened like a password
//! login's. Several providers may be configured at once (officers through Entra ID,
//! municipalities through ID-porten); each is known by its issuer URL.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{CoreClient, CoreIdToken, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl,
    IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope,
};
use tokio::sync::RwLock;

use crate::domain::audit::Actor;
use crate::domain::sso::{Found, Matching, SsoRefusal, resolve};
use crate::domain::user::Principal;
use crate::error::{AppError, AppResult};
use crate::security::{new_token, token_hash};
use crate::store::Store;

/// One provider as configured.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The issuer URL; discovery reads `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// What the login page's button says: «Logg inn med {label}».
    pub label: String,
    pub matching: Matching,
}

struct Provider {
    settings: ProviderSettings,
    /// Discovered at first use, and again when a token is signed with a key it lacks.
    metadata: RwLock<Option<ProviderMetadataWithLogout>>,
}

/// The configured providers; cheap to clone.
#[derive(Clone, Default)]
pub struct SsoSettings {
    providers: Arc<Vec<Provider>>,
    http: Option<reqwest::Client>,
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.providers.iter().map(|p| &p.settings.issuer))
            .finish()
    }
}

impl SsoSettings {
    pub fn new(providers: Vec<ProviderSettings>) -> anyhow::Result<Self> {
        if providers.is_empty() {
            return Ok(SsoSettings::default());
        }
        for p in &providers {
            IssuerUrl::new(p.issuer.clone())
                .map_err(|e| anyhow::anyhow!("--oidc-issuer «{}» er ikke en URL: {e}", p.issuer))?;
        }
        // reqwest is built without a crypto provider of its own: use ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // A provider's answer is never followed elsewhere (no SSRF through redirects).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("tilskudd/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SsoSettings {
            providers: Arc::new(
                providers
                    .into_iter()
                    .map(|settings| Provider {
                        settings,
                        metadata: RwLock::new(None),
                    })
                    .collect(),
            ),
            http: Some(http),
        })
    }

    /// The login page's buttons: index and label.
    pub fn buttons(&self) -> Vec<(usize, String)> {
        self.providers
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.settings.label.clone()))
            .collect()
    }

    fn provider(&self, index: usize) -> AppResult<&Provider> {
        self.providers
            .get(index)
            .ok_or_else(|| AppError::NotFound("Ukjent innloggingstjeneste.".into()))
    }

    fn by_issuer(&self, issuer: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.settings.issuer == issuer)
    }

    fn http(&self) -> AppResult<&reqwest::Client> {
        self.http
            .as_ref()
            .ok_or_else(|| AppError::NotFound("Ingen innloggingstjeneste er satt opp.".into()))
    }
}

/// openidconnect's requests, sent with our reqwest client.
async fn send(
    client: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = openidconnect::http::Response::builder().status(response.status());
    if let Some(headers) = answer.headers_mut() {
        *headers = response.headers().clone();
    }
    let bytes = response.bytes().await?;
    Ok(answer
        .body(bytes.to_vec())
        .unwrap_or_else(|_| openidconnect::http::Response::new(Vec::new())))
}

fn unreachable_provider(label: &str, error: impl std::fmt::Display) -> AppError {
    tracing::warn!(%error, provider = label, "identity provider failed");
    AppError::BadGateway(format!(
        "Fikk ikke kontakt med {label}, eller svaret kunne ikke brukes. Prøv igjen senere, \
         eller logg inn med brukernavn og passord om du har det."
    ))
}

impl Provider {
    async fn metadata(
        &self,
        http: &reqwest::Client,
        refresh: bool,
    ) -> AppResult<ProviderMetadataWithLogout> {
        if !refresh && let Some(known) = self.metadata.read().await.clone() {
            return Ok(known);
        }
        let label = &self.settings.label;
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| unreachable_provider(label, e))?;
        let client = http.clone();
        let discovered = ProviderMetadataWithLogout::discover_async(issuer, &move |request| {
            send(client.clone(), request)
        })
        .await
        .map_err(|e| unreachable_provider(label, e))?;
        *self.metadata.write().await = Some(discovered.clone());
        Ok(discovered)
    }

    fn client(
        &self,
        metadata: ProviderMetadataWithLogout,
        redirect_uri: &str,
    ) -> AppResult<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }
}

/// Starts a login at provider `index`: where to send the user. The state, nonce and PKCE
/// verifier are stored (the state as a hash), so any instance can take the answer.
pub async fn start(
    store: &Store,
    sso: &SsoSettings,
    index: usize,
    redirect_uri: &str,
    next: &str,
) -> AppResult<String> {
    let provider = sso.provider(index)?;
    let metadata = provider.metadata(sso.http()?, false).await?;
    let client = provider.client(metadata, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .add_scope(Scope::new("profile".into()));
    if provider.settings.matching == Matching::Email {
        request = request.add_scope(Scope::new("email".into()));
    }
    let (url, state, nonce) = request.url();
    store
        .begin_sso_login(
            &token_hash(state.secret()),
            &provider.settings.issuer,
            nonce.secret(),
            verifier.secret(),
            next,
        )
        .await?;
    Ok(url.to_string())
}

/// A finished login: the user, the new session's token, and where they were going.
pub struct SsoLogin {
    pub principal: Principal,
    pub session_token: String,
    pub next: String,
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::Forbidden(message.into())
}

/// Takes the provider's answer (`code`, `state`) back and opens a session.
pub async fn finish(
    store: &Store,
    sso: &SsoSettings,
    redirect_uri: &str,
    code: &str,
    state: &str,
) -> AppResult<SsoLogin> {
    let pending = store
        .take_sso_login(&token_hash(state))
        .await?
        .ok_or_else(|| {
            refused(
                "Innloggingen er utløpt eller allerede brukt. Gå til innloggingssiden og prøv igjen.",
            )
        })?;
    let provider = sso.by_issuer(&pending.issuer).ok_or_else(|| {
        refused("Innloggingstjenesten er ikke lenger satt opp. Prøv igjen fra innloggingssiden.")
    })?;
    let label = provider.settings.label.clone();
    let http = sso.http()?;
    let metadata = provider.metadata(http, false).await?;
    let client = provider.client(metadata, redirect_uri)?;
    let exchange = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| unreachable_provider(&label, e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
    let http_client = http.clone();
    let tokens = exchange
        .request_async(&move |request| send(http_client.clone(), request))
        .await
        .map_err(|e| unreachable_provider(&label, e))?;
    let id_token = openidconnect::TokenResponse::id_token(&tokens)
        .ok_or_else(|| unreachable_provider(&label, "no ID token"))?
        .clone();
    let nonce = Nonce::new(pending.nonce.clone());
    let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
        Ok(claims) => claims.clone(),
        // The provider may have rotated its keys: read them again, once.
        Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
            let fresh = provider.metadata(http, true).await?;
            let client = provider.client(fresh, redirect_uri)?;
            id_token
                .claims(&client.id_token_verifier(), &nonce)
                .map_err(|e| not_verified(&label, e))?
                .clone()
        }
        Err(e) => return Err(not_verified(&label, e)),
    };
    let subject = claims.subject().as_str().to_string();
    let matching = provider.settings.matching;
    let (email, national_id_hash) = match matching {
        Matching::Email => {
            let email = claims
                .email()
                .filter(|_| claims.email_verified() != Some(false))
                .map(|e| e.as_str().to_string());
            (email, None)
        }
        Matching::NationalId => {
            let pid = payload_claim(&id_token, "pid")
                .and_then(|pid| crate::domain::sso::parse_national_id(&pid).ok());
            (
                None,
                pid.map(|pid| crate::domain::sso::national_id_hash(&pid)),
            )
        }
    };
    let found = store
        .sso_found(
            &provider.settings.issuer,
            &subject,
            email.as_deref(),
            national_id_hash.as_deref(),
        )
        .await?;
    if found == Found::Nobody && email.is_none() && national_id_hash.is_none() {
        return Err(refused(
            SsoRefusal::NothingToMatch {
                provider: label,
                matching,
            }
            .to_string(),
        ));
    }
    let resolved =
        resolve(found, &subject, &label, matching).map_err(|r| refused(r.to_string()))?;
    let principal = store
        .principal(resolved.user_id)
        .await?
        .ok_or_else(|| refused(SsoRefusal::Deactivated.to_string()))?;
    let (session_token, session_hash) = new_token("")?;
    store
        .open_sso_session(
            &Actor::from(&principal),
            &provider.settings.issuer,
            &label,
            &subject,
            resolved.bind,
            &session_hash,
            &id_token.to_string(),
        )
        .await?;
    Ok(SsoLogin {
        principal,
        session_token,
        next: pending.next_path,
    })
}

fn not_verified(label: &str, error: impl std::fmt::Display) -> AppError {
    tracing::warn!(%error, provider = label, "ID token refused");
    refused(format!(
        "Innloggingen fra {label} kunne ikke bekreftes, så du er ikke logget inn. Prøv igjen; \
         kontakt brukerstøtte om det gjentar seg."
    ))
}

/// A claim the core types do not name (ID-porten's `pid`), read from the token whose
/// signature and claims were verified just before.
fn payload_claim(id_token: &CoreIdToken, name: &str) -> Option<String> {
    let text = id_token.to_string();
    let payload = text.split('.').nth(1)?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(name)?.as_str().map(str::to_string)
}

/// Where to send a user who logs out of a session opened through a provider, so that
/// the provider's session ends too (RP-initiated logout), if the provider offers it: the
/// provider's label and the URL.
pub async fn logout_url(
    sso: &SsoSettings,
    issuer: &str,
    id_token: &str,
    after_logout: &str,
) -> Option<(String, String)> {
    let provider = sso.by_issuer(issuer)?;
    let metadata = provider.metadata(sso.http().ok()?, false).await.ok()?;
    let endpoint: EndSessionUrl = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()?;
    let token: CoreIdToken = id_token.parse().ok()?;
    let mut request = LogoutRequest::from(endpoint)
        .set_id_token_hint(&token)
        .set_client_id(ClientId::new(provider.settings.client_id.clone()));
    if let Ok(url) = PostLogoutRedirectUrl::new(after_logout.to_string()) {
        request = request.set_post_logout_redirect_uri(url);
    }
    Some((
        provider.settings.label.clone(),
        request.http_get_url().to_string(),
    ))
}
