use anyhow::Context;
use clap::{Parser, Subcommand};

use tracing_subscriber::EnvFilter;

use tilskudd::config::{DatabaseConfig, ServeConfig, UserAddConfig};
use tilskudd::domain::audit::Actor;
use tilskudd::domain::user::{UserInput, check_new_password};
use tilskudd::sample::{self, SampleOutcome};
use tilskudd::store::Store;
use tilskudd::web::AuthSettings;
use tilskudd::{AppState, app};

/// tilskudd: tilskuddsforvaltning for Statsforvalteren.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default). Migrates the database first.
    Serve(ServeConfig),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Prints a one-time password (to be changed at first login) unless
    /// --password-stdin gives the password.
    Add(UserAddConfig),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse_from(args_with_default_command());
    let store = Store::connect(
        &cli.database.database_url,
        cli.database.pg_schema.as_deref(),
    )
    .await
    .with_context(|| {
        format!(
            "kunne ikke koble til databasen {}",
            redact(&cli.database.database_url)
        )
    })?;
    store
        .migrate()
        .await
        .context("migrering av databasen feilet")?;

    match cli.command {
        Command::Migrate => {
            println!(
                "Databasen er migrert ({}).",
                redact(&cli.database.database_url)
            );
            Ok(())
        }
        Command::Serve(config) => serve(store, config).await,
        Command::User(UserCommand::Add(config)) => add_user(&store, config).await,
    }
}

/// No command means `serve`: `tilskudd --demo` is `tilskudd serve --demo`.
fn args_with_default_command() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let named = [
        "serve",
        "migrate",
        "user",
        "help",
        "--help",
        "-h",
        "--version",
        "-V",
    ];
    if !args.iter().skip(1).any(|a| named.iter().any(|n| a == n)) {
        args.insert(1.min(args.len()), "serve".into());
    }
    args
}

async fn serve(store: Store, config: ServeConfig) -> anyhow::Result<()> {
    if config.demo {
        match sample::load(&store)
            .await
            .context("lasting av eksempeldata feilet")?
        {
            SampleOutcome::Loaded {
                rounds,
                applications,
                observations,
            } => tracing::info!(
                rounds,
                applications,
                observations,
                "eksempeldata lastet inn i tom database"
            ),
            SampleOutcome::SkippedNotEmpty => {
                tracing::info!("databasen har allerede data; eksempeldata ble ikke lastet")
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("kunne ikke lytte på {}", config.addr))?;
    tracing::info!("tilskudd kjører på http://{}", listener.local_addr()?);
    let state = AppState::new(store.clone(), config.demo).with_auth(AuthSettings {
        session_idle: chrono::Duration::minutes(config.session_idle_minutes.max(1)),
        force_secure_cookie: config.secure_cookies,
    });
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    store.close().await;
    Ok(())
}

/// `tilskudd user add`: the first admin of a fresh installation, or any user.
async fn add_user(store: &Store, config: UserAddConfig) -> anyhow::Result<()> {
    let input = UserInput {
        username: config.username,
        display_name: config.name,
        email: config.email,
        roles: config.roles,
        organisation: config.organisation,
    };
    let fields = input.validate().map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .0
                .iter()
                .map(|e| format!("--{}: {}", cli_flag(&e.field), e.message))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let actor = Actor::system("kommandolinjen (tilskudd user add)");
    let organisation_id = match &fields.organisation {
        Some(text) => {
            let register = store.register().await?;
            Some(
                store
                    .resolve_organisation(&register, text, &actor)
                    .await
                    .map_err(|e| anyhow::anyhow!("--organisation: {}", e.message()))?
                    .0,
            )
        }
        None => None,
    };
    let (password, must_change) = if config.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        check_new_password(&fields.username, &password).map_err(|m| anyhow::anyhow!(m))?;
        (password, false)
    } else {
        (tilskudd::security::one_time_password()?, true)
    };
    let hash = tilskudd::security::hash_password(&password)?;
    store
        .create_user(&fields, organisation_id, &hash, must_change, &actor)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    if must_change {
        println!(
            "Brukeren {} er opprettet. Engangspassord (må byttes ved første innlogging): {password}",
            fields.username
        );
    } else {
        println!("Brukeren {} er opprettet.", fields.username);
    }
    Ok(())
}

/// The command-line flag for a field of the user form.
fn cli_flag(field: &str) -> &str {
    match field {
        "roles" => "role",
        "display_name" => "name",
        other => other,
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
