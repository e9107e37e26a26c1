use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use tilskudd::config::{DatabaseConfig, ServeConfig};
use tilskudd::sample::{self, SampleOutcome};
use tilskudd::store::Store;
use tilskudd::{AppState, app};

/// tilskudd: tilskuddsforvaltning for Statsforvalteren.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default). Migrates the database first.
    Serve(ServeConfig),
    /// Create or update the database schema, then exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // No subcommand means `serve`, with its flags and environment variables.
        cli = Cli::parse_from(std::env::args_os().chain(["serve".into()]));
    }
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
        Some(Command::Migrate) => {
            println!(
                "Databasen er migrert ({}).",
                redact(&cli.database.database_url)
            );
            Ok(())
        }
        Some(Command::Serve(config)) => serve(store, config).await,
        None => unreachable!("the command defaults to serve"),
    }
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
    let state = AppState::new(store.clone(), config.demo);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    store.close().await;
    Ok(())
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
