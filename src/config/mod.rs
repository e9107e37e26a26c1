//! Configuration: command-line flags, each with an environment variable and a default,
//! and a settings file beneath them ([`file`]): default < file < environment < flag.

pub mod file;

use std::net::SocketAddr;

use clap::Args;

/// The default database: an SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tilskudd.db";

#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (embedded, default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// PostgreSQL only: keep every table in this schema (it must exist).
    #[arg(long, env = "TILSKUDD_PG_SCHEMA", global = true)]
    pub pg_schema: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines, for a terminal.
    Text,
    /// One JSON object per line (request id, user, route, status, latency), for a log
    /// collector.
    Json,
}

/// Settings every command shares besides the database.
#[derive(Debug, Clone, Args)]
pub struct GlobalConfig {
    /// A settings file (TOML, keys as the flags with underscores: `database_url = "…"`);
    /// the environment and the flags override it.
    #[arg(long, env = file::CONFIG_ENV, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// `text` or `json`.
    #[arg(
        long,
        env = "TILSKUDD_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "TILSKUDD_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Load the sample data (the 2019 Trøndelag round, a demo round, the register and
    /// national statistics) if the database is empty.
    #[arg(long, env = "TILSKUDD_DEMO")]
    pub demo: bool,
    /// Minutes without requests after which a login session ends.
    #[arg(long, env = "TILSKUDD_SESSION_IDLE_MINUTES", default_value_t = 480)]
    pub session_idle_minutes: i64,
    /// Always mark the session cookie Secure. Without it the cookie is Secure when the
    /// request says it came over HTTPS (`X-Forwarded-Proto: https` or `Forwarded: proto=https`).
    #[arg(long, env = "TILSKUDD_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The address users reach the app at, `https://host[:port]`. Form posts whose
    /// `Origin` differs are refused; without it the request's `Host` header is trusted.
    #[arg(long, env = "TILSKUDD_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Largest spreadsheet a user may upload, in MB.
    #[arg(long, env = "TILSKUDD_MAX_UPLOAD_MB", default_value_t = 10)]
    pub max_upload_mb: usize,
    /// Memory for GET answers kept while nothing changes, in MB; 0 turns it off.
    #[arg(long, env = "TILSKUDD_RESPONSE_CACHE_MB", default_value_t = 32)]
    pub response_cache_mb: usize,
    /// On SIGTERM: seconds to let running requests finish before they are cut off.
    #[arg(long, env = "TILSKUDD_SHUTDOWN_GRACE_SECONDS", default_value_t = 25)]
    pub shutdown_grace_seconds: u64,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer TOKEN`.
    #[arg(long, env = "TILSKUDD_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub ssb: SsbConfig,
    #[command(flatten)]
    pub mail: MailConfig,
    #[command(flatten)]
    pub oidc: OidcConfig,
}

/// Single sign-on providers (OpenID Connect). Each flag takes one value per provider, in
/// the same order, repeated or separated by commas: the first issuer goes with the first
/// client id, secret, label and matching.
#[derive(Debug, Clone, Args)]
pub struct OidcConfig {
    /// The provider's issuer URL, e.g. `https://login.microsoftonline.com/TENANT/v2.0` or
    /// `https://idporten.no`.
    #[arg(long, env = "TILSKUDD_OIDC_ISSUER", value_delimiter = ',')]
    pub oidc_issuer: Vec<String>,
    /// The client id the provider gave this app.
    #[arg(long, env = "TILSKUDD_OIDC_CLIENT_ID", value_delimiter = ',')]
    pub oidc_client_id: Vec<String>,
    /// The client secret (empty for a public client, which PKCE alone protects).
    #[arg(long, env = "TILSKUDD_OIDC_CLIENT_SECRET", value_delimiter = ',')]
    pub oidc_client_secret: Vec<String>,
    /// The login page's button: «Logg inn med LABEL» (default: the issuer's host).
    #[arg(long, env = "TILSKUDD_OIDC_LABEL", value_delimiter = ',')]
    pub oidc_label: Vec<String>,
    /// How a first login finds the account: `email` (the e-mail claim, the default) or
    /// `pid` (ID-porten's national identity number).
    #[arg(long, env = "TILSKUDD_OIDC_MATCH", value_delimiter = ',')]
    pub oidc_match: Vec<String>,
}

impl OidcConfig {
    /// The providers; mismatched lists or an unusable value are an error at startup.
    pub fn settings(&self) -> anyhow::Result<crate::app::sso::SsoSettings> {
        use crate::app::sso::ProviderSettings;
        use crate::domain::sso::Matching;
        let count = self.oidc_issuer.len();
        if self.oidc_client_id.len() != count {
            anyhow::bail!(
                "--oidc-issuer har {count} verdi(er), men --oidc-client-id har {}: én per innloggingstjeneste.",
                self.oidc_client_id.len()
            );
        }
        for (flag, values) in [
            ("--oidc-client-secret", &self.oidc_client_secret),
            ("--oidc-label", &self.oidc_label),
            ("--oidc-match", &self.oidc_match),
        ] {
            if values.len() > count {
                anyhow::bail!(
                    "{flag} har {} verdi(er), men det er bare {count} innloggingstjeneste(r) (--oidc-issuer).",
                    values.len()
                );
            }
        }
        let mut providers = Vec::with_capacity(count);
        for (i, issuer) in self.oidc_issuer.iter().enumerate() {
            let issuer = issuer.trim().trim_end_matches('/').to_string();
            let matching = match self.oidc_match.get(i).map(|m| m.trim()) {
                None | Some("") => Matching::Email,
                Some(text) => Matching::parse(text).ok_or_else(|| {
                    anyhow::anyhow!("--oidc-match «{text}» må være email eller pid.")
                })?,
            };
            let label = match self.oidc_label.get(i).map(|l| l.trim()) {
                Some(label) if !label.is_empty() => label.to_string(),
                _ => issuer
                    .split("://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or(&issuer)
                    .to_string(),
            };
            providers.push(ProviderSettings {
                issuer,
                client_id: self.oidc_client_id[i].trim().to_string(),
                client_secret: self
                    .oidc_client_secret
                    .get(i)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                label,
                matching,
            });
        }
        crate::app::sso::SsoSettings::new(providers)
    }
}

/// Where e-mail goes. Without `--smtp-url` and `--mail-from`, mail is only recorded in
/// the outbox, not sent.
#[derive(Debug, Clone, Args)]
pub struct MailConfig {
    /// The SMTP server: `smtp://host:port` (plain, to a local relay), `smtps://host:465`
    /// (TLS), `smtp://host:587?tls=required` (STARTTLS); user and password in the URL if needed.
    #[arg(long, env = "TILSKUDD_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender, e.g. "Statsforvalteren i Trøndelag <post@statsforvalteren.no>".
    #[arg(long, env = "TILSKUDD_MAIL_FROM")]
    pub mail_from: Option<String>,
}

impl MailConfig {
    /// The outbox's settings; an unusable URL or sender is an error at startup.
    pub fn settings(&self) -> anyhow::Result<crate::app::outbox::MailSettings> {
        let mailer = match (&self.smtp_url, &self.mail_from) {
            (Some(url), Some(from)) => Some(crate::mail::Mailer::new(url, from)?),
            (None, None) => None,
            (Some(_), None) => {
                anyhow::bail!("--smtp-url er satt, men ikke --mail-from (avsenderen).")
            }
            (None, Some(_)) => {
                anyhow::bail!("--mail-from er satt, men ikke --smtp-url (e-posttjeneren).")
            }
        };
        Ok(crate::app::outbox::MailSettings::new(mailer))
    }
}

/// Where SSB's API is, for fetching statistics tables («Hent fra SSB»).
#[derive(Debug, Clone, Args)]
pub struct SsbConfig {
    /// The base URL of SSB's PxWebApi v2.
    #[arg(long, env = "TILSKUDD_SSB_API_URL", default_value = crate::app::ssb::DEFAULT_SSB_API_URL)]
    pub ssb_api_url: String,
    /// Seconds to wait for SSB's answer (1 to 25: a page request ends after 30).
    #[arg(long, env = "TILSKUDD_SSB_TIMEOUT_SECONDS", default_value_t = 20)]
    pub ssb_timeout_seconds: u64,
}

impl SsbConfig {
    pub fn settings(&self) -> crate::app::ssb::SsbSettings {
        crate::app::ssb::SsbSettings::new(
            &self.ssb_api_url,
            std::time::Duration::from_secs(self.ssb_timeout_seconds.clamp(1, 25)),
        )
    }
}

#[derive(Debug, Clone, Args)]
pub struct UserAddConfig {
    /// Login name (lower case letters, digits, . _ - @).
    #[arg(long)]
    pub username: String,
    /// admin, saksbehandler, godkjenner, kommune or lesetilgang; repeat for several.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// Full name shown in the app.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// For a kommune user: kommunenummer, organisation name, or org:ID.
    #[arg(long)]
    pub organisation: Option<String>,
    /// Fødselsnummer or d-nummer, for a first login through ID-porten (only its hash is kept).
    #[arg(long)]
    pub national_id: Option<String>,
    /// Read the password from standard input instead of printing a one-time password.
    #[arg(long)]
    pub password_stdin: bool,
}
