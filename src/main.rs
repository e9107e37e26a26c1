use anyhow::Context;
use clap::{Parser, Subcommand};

use tracing_subscriber::EnvFilter;

use tilskudd::app::maintenance;
use tilskudd::app::uploads::UploadSettings;
use tilskudd::config::file::FileSettings;
use tilskudd::config::{
    DatabaseConfig, GlobalConfig, LogFormat, ServeConfig, SsbConfig, UserAddConfig,
};
use tilskudd::domain::audit::Actor;
use tilskudd::domain::user::{UserInput, check_new_password};
use tilskudd::error::AppError;
use tilskudd::sample::{self, SampleOutcome};
use tilskudd::sheets::detect::Limits;
use tilskudd::store::Store;
use tilskudd::web::AuthSettings;
use tilskudd::{AppState, app};

/// tilskudd: tilskuddsforvaltning for Statsforvalteren.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    global: GlobalConfig,
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
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write reports to files.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Back up the database (--database-url) into FILE, which must not exist.
    ///
    /// SQLite: an online, consistent copy while the server runs. PostgreSQL: pg_dump
    /// --format=custom (needs PostgreSQL's client tools). Uploaded originals are in the
    /// database and so in the backup.
    Backup { file: std::path::PathBuf },
    /// Restore FILE (a backup) into the new, empty database at --database-url.
    ///
    /// A SQLite backup is copied table by table and checked, into SQLite or PostgreSQL; a
    /// pg_dump archive is handed to pg_restore.
    Restore { file: std::path::PathBuf },
    /// Copy every table into a new, empty database (say SQLite to PostgreSQL).
    ///
    /// Ids are kept, one transaction per table; then the row count and a checksum of
    /// every table are compared. Stop the server first.
    CopyData {
        /// The database to copy, `sqlite://FILE` or `postgres://…`.
        #[arg(long)]
        from: String,
        /// The empty database to fill (it is migrated first).
        #[arg(long)]
        to: String,
        /// PostgreSQL schema of the source, if not the default.
        #[arg(long)]
        from_pg_schema: Option<String>,
        /// PostgreSQL schema of the target, if not the default.
        #[arg(long)]
        to_pg_schema: Option<String>,
    },
    /// Reads a workbook from standard input for the server, in a process of its own.
    #[command(hide = true)]
    InternalReadWorkbook { format: String },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the settings `serve` would run with (default < file < environment < flag;
    /// secrets masked) and check them; exits 1 when one is unusable.
    Check(ServeConfig),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The report on funding and coordinator coverage for a round, as on
    /// /rounds/{id}/report: an .xlsx workbook, or one of its tables as CSV (--table).
    Report {
        /// The round's id (see /rounds).
        #[arg(long)]
        round: i64,
        /// The municipality division to show everything on (2019, 2020, 2024; default the newest).
        #[arg(long, default_value = "")]
        division: String,
        /// `round` (this round) or `scheme` (every round of its scheme).
        #[arg(long, default_value = "")]
        scope: String,
        /// A statistics snapshot id instead of the current figures.
        #[arg(long, default_value = "")]
        snapshot: String,
        /// Write this table as CSV instead of the workbook: tildeling, dekning,
        /// sammenheng or nasjonalt.
        #[arg(long)]
        table: Option<String>,
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import allocated amounts (applicant and amount, optional kommunenummer) from
    /// .xlsx, .xls, .ods or CSV into a round. Prints the preview's messages; exits 0 only
    /// when the import would be (with --dry-run) or was stored.
    Allocations {
        /// The round's id (see /rounds).
        #[arg(long)]
        round: i64,
        /// Show what would be stored, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// The table is a decision already made and published elsewhere (say where): the
        /// round is registered as decided with these grants. Without it the amounts are
        /// proposals for the round's own decision (four eyes).
        #[arg(long)]
        historical_source: Option<String>,
        /// The applicant of a row the preview asks about, as on the preview page:
        /// `--applicant "CSV!B2=5026"` (a kommunenummer or org:ID). May be given more
        /// than once.
        #[arg(long = "applicant", value_name = "CELLE=SØKER")]
        applicants: Vec<String>,
        file: std::path::PathBuf,
    },
    /// Import statistics from an SSB/KPR file (CSV, .xlsx, .xls, .ods, JSON-stat 2 or PX;
    /// long, wide or pivot table, with or without a statistikkvariabel column). Prints the problems by cell and how many
    /// observations are new, changed and unchanged; exits 0 only when the import would be
    /// (with --dry-run) or was stored.
    Statistics {
        /// The indicator of a table with one value column, when its heading does not say
        /// (innbyggere, mottakere, andel_koordinator, andel_individuell_plan).
        #[arg(long)]
        indicator: Option<String>,
        /// The indicator for a variable text the file uses that names none of them, as
        /// on the preview page: `--variable "Brukere av hjemmetjenester=mottakere"`.
        /// May be given more than once.
        #[arg(long = "variable", value_name = "TEKST=INDIKATOR")]
        variables: Vec<String>,
        /// Show what would be stored, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Fetch this table from SSB's API (PxWebApi v2, JSON-stat 2) for the register's
        /// municipalities instead of reading a file; needs --from-year and --to-year.
        #[arg(long, conflicts_with_all = ["file", "indicator"], requires_all = ["from_year", "to_year"])]
        ssb_table: Option<String>,
        /// First year to fetch from SSB.
        #[arg(long, requires = "ssb_table")]
        from_year: Option<i64>,
        /// Last year to fetch from SSB.
        #[arg(long, requires = "ssb_table")]
        to_year: Option<i64>,
        #[command(flatten)]
        ssb: SsbConfig,
        /// The file to import (not with --ssb-table).
        #[arg(required_unless_present = "ssb_table")]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Prints a one-time password (to be changed at first login) unless
    /// --password-stdin gives the password.
    Add(UserAddConfig),
}

fn main() -> anyhow::Result<()> {
    // The workbook reader's child process does nothing else: no runtime (its threads
    // cost each upload), no logging, no database.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("internal-read-workbook") {
        let format = args.get(2).cloned().unwrap_or_default();
        tilskudd::sheets::read::child_main(&format)?;
        return Ok(());
    }
    use clap::CommandFactory;
    let args = args_with_default_command();
    // Before the runtime starts: the file's settings go into the environment.
    let file = tilskudd::config::file::apply(&args, &Cli::command())?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args, file))
}

/// Logs go to standard output for the server, and to standard error for the other
/// commands, whose standard output is their answer (a report, a table, the settings).
fn init_logging(format: LogFormat, to_stdout: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let writer =
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(move || -> Box<dyn std::io::Write> {
            if to_stdout {
                Box::new(std::io::stdout())
            } else {
                Box::new(std::io::stderr())
            }
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.init(),
        // The request's span (request id, route, user) goes into each of its lines.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

async fn run(args: Vec<std::ffi::OsString>, file: FileSettings) -> anyhow::Result<()> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging(
        cli.global.log_format,
        matches!(cli.command, Command::Serve(_)),
    );
    if let Command::Config(ConfigCommand::Check(config)) = &cli.command {
        return config_check(&matches, &file, config);
    }
    if let Some(path) = &file.path {
        tracing::info!(file = %path.display(), settings = file.applied.len(), "innstillinger lest fra fil");
    }
    // Commands on whole databases connect (and migrate) as each needs.
    let url = &cli.database.database_url;
    let schema = cli.database.pg_schema.as_deref();
    let outcome = match &cli.command {
        Command::Backup { file } => Some(maintenance::backup(url, schema, file).await),
        Command::Restore { file } => Some(maintenance::restore(url, schema, file).await),
        Command::CopyData {
            from,
            to,
            from_pg_schema,
            to_pg_schema,
        } => Some(
            maintenance::copy_data(from, from_pg_schema.as_deref(), to, to_pg_schema.as_deref())
                .await,
        ),
        _ => None,
    };
    if let Some(outcome) = outcome {
        println!("{}", outcome?);
        return Ok(());
    }
    let store = Store::connect(
        &cli.database.database_url,
        cli.database.pg_schema.as_deref(),
    )
    .await
    .with_context(|| {
        format!(
            "kunne ikke koble til databasen {}",
            maintenance::redacted(&cli.database.database_url)
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
                maintenance::redacted(&cli.database.database_url)
            );
            Ok(())
        }
        Command::Serve(config) => serve(store, config).await,
        Command::User(UserCommand::Add(config)) => add_user(&store, config).await,
        Command::Import(ImportCommand::Allocations {
            round,
            dry_run,
            historical_source,
            applicants,
            file,
        }) => {
            let choices = pairs(&applicants, "--applicant", "CELLE=SØKER", "\"CSV!B2=5026\"")?;
            import_allocations(
                store,
                round,
                dry_run,
                historical_source.as_deref(),
                &choices,
                &file,
            )
            .await
        }
        Command::Import(ImportCommand::Statistics {
            indicator,
            variables,
            dry_run,
            ssb_table,
            from_year,
            to_year,
            ssb,
            file,
        }) => {
            let source = match (ssb_table, file) {
                (Some(table), _) => StatisticsSource::Ssb {
                    table,
                    from_year: from_year.unwrap_or_default(),
                    to_year: to_year.unwrap_or_default(),
                    settings: ssb.settings(),
                },
                (None, Some(file)) => StatisticsSource::File(file),
                (None, None) => anyhow::bail!("oppgi en fil eller --ssb-table"),
            };
            import_statistics(store, indicator.as_deref(), &variables, dry_run, source).await
        }
        Command::Export(ExportCommand::Report {
            round,
            division,
            scope,
            snapshot,
            table,
            file,
        }) => {
            let query = tilskudd::web::report::ReportQuery {
                inndeling: division,
                omfang: scope,
                grunnlag: snapshot,
                kommune: String::new(),
            };
            export_report(store, round, &query, table.as_deref(), &file).await
        }
        Command::InternalReadWorkbook { .. }
        | Command::Config(_)
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::CopyData { .. } => Ok(()),
    }
}

async fn export_report(
    store: Store,
    round: i64,
    query: &tilskudd::web::report::ReportQuery,
    table: Option<&str>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use tilskudd::sheets::{export::generated_at, report};
    let state = AppState::new(store, false);
    let loaded = tilskudd::web::report::load(&state, round, query)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    if !loaded.problems.is_empty() {
        anyhow::bail!("{}", loaded.problems);
    }
    let bytes = match table {
        Some(key) => report::report_csv(&loaded.report, key)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "ukjent tabell «{key}»: velg {}",
                    report::TABLE_KEYS.join(", ")
                )
            })?
            .into_bytes(),
        None => report::report_workbook(
            &loaded.report,
            &loaded.title(),
            &generated_at(),
            "kommandolinjen (tilskudd export report)",
        )?,
    };
    std::fs::write(file, bytes).with_context(|| format!("kunne ikke skrive {}", file.display()))?;
    println!(
        "Skrev {}: {} kommuner på inndelingen for {}, tildelt {}{}.",
        file.display(),
        loaded.report.rows.len(),
        loaded.report.division_year,
        loaded.report.total_granted,
        if loaded.report.synthetic {
            " (syntetiske demotall)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `tilskudd config check`: every setting `serve` would use, where it came from, and
/// whether the ones that can be checked without the network are usable.
fn config_check(
    matches: &clap::ArgMatches,
    file: &FileSettings,
    config: &ServeConfig,
) -> anyhow::Result<()> {
    use clap::CommandFactory;
    use clap::parser::ValueSource;
    let check = matches
        .subcommand_matches("config")
        .and_then(|m| m.subcommand_matches("check"))
        .context("config check")?;
    let mut command = Cli::command();
    command.build();
    let check_command = command
        .find_subcommand("config")
        .and_then(|c| c.find_subcommand("check"))
        .context("config check")?;
    match &file.path {
        Some(path) => println!("Innstillingsfil: {}", path.display()),
        None => println!(
            "Innstillingsfil: ingen (--config eller {})",
            tilskudd::config::file::CONFIG_ENV
        ),
    }
    println!("Rekkefølge: standard < fil < miljø < flagg\n");
    let mut seen = std::collections::BTreeSet::new();
    for arg in command.get_arguments().chain(check_command.get_arguments()) {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") || !seen.insert(id.to_string()) {
            continue;
        }
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        let value = check
            .get_raw(id)
            .map(|values| {
                values
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .map(|v| masked(id, &v));
        let source = match (check.value_source(id), &env) {
            (Some(ValueSource::CommandLine), _) => "flagg".to_string(),
            (Some(ValueSource::EnvVariable), Some(env)) if file.applied.contains_key(env) => {
                format!("fil ({})", file.applied[env])
            }
            (Some(ValueSource::EnvVariable), Some(env)) => format!("miljø ({env})"),
            (Some(ValueSource::DefaultValue), _) => "standard".to_string(),
            _ => "ikke satt".to_string(),
        };
        println!(
            "{id:<24} = {:<40} {source}",
            value.unwrap_or_else(|| "—".to_string())
        );
    }
    for key in &file.overridden {
        println!("\nMerk: «{key}» i filen gjelder ikke; miljøet setter den.");
    }
    // What serve would refuse at startup, refused here as well.
    config.mail.settings()?;
    config.oidc.settings()?;
    if let Some(text) = &config.public_origin {
        tilskudd::web::csrf::normalise_origin(text).with_context(|| {
            format!("--public-origin {text:?} er ikke en opprinnelse som https://vert[:port]")
        })?;
    }
    println!("\nInnstillingene kan brukes.");
    Ok(())
}

/// A setting as `config check` prints it: tokens and secrets hidden, passwords in URLs
/// masked.
fn masked(id: &str, value: &str) -> String {
    if ["token", "secret", "password"]
        .iter()
        .any(|w| id.contains(w))
    {
        return "*** (satt)".to_string();
    }
    if value.contains("://") {
        return maintenance::redacted(value);
    }
    value.to_string()
}

/// No command means `serve`: `tilskudd --demo` is `tilskudd serve --demo`.
fn args_with_default_command() -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Every subcommand clap knows, so a new one never falls through to `serve`.
    let command = Cli::command();
    let mut named: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    named.extend(["help", "--help", "-h", "--version", "-V"].map(String::from));
    if !args
        .iter()
        .skip(1)
        .any(|a| named.iter().any(|n| a == n.as_str()))
    {
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
    let public_origin = match &config.public_origin {
        Some(text) => Some(
            tilskudd::web::csrf::normalise_origin(text).with_context(|| {
                format!("--public-origin {text:?} er ikke en opprinnelse som https://vert[:port]")
            })?,
        ),
        None => None,
    };
    let mail = config.mail.settings()?;
    let sso = config.oidc.settings()?;
    store.follow_changes();
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("kunne ikke lytte på {}", config.addr))?;
    tracing::info!("tilskudd kjører på http://{}", listener.local_addr()?);
    let state = AppState::new(store.clone(), config.demo).with_auth(AuthSettings {
        session_idle: chrono::Duration::minutes(config.session_idle_minutes.max(1)),
        force_secure_cookie: config.secure_cookies,
        public_origin,
    });
    let state = state.with_uploads(UploadSettings {
        limits: Limits {
            max_file_bytes: config.max_upload_mb.max(1) * 1024 * 1024,
            ..Limits::default()
        },
        isolation: tilskudd::sheets::isolate::Isolation::current_exe(),
    });
    let state = state
        .with_ssb(config.ssb.settings())
        .with_response_cache(config.response_cache_mb * 1024 * 1024)
        .with_mail(mail.clone())
        .with_metrics_token(config.metrics_token.clone())
        .with_sso(sso);
    if mail.mailer.is_none() {
        tracing::info!(
            "ingen e-posttjener er satt opp (--smtp-url, --mail-from): e-post registreres bare i utboksen"
        );
    }
    let outbox = tilskudd::app::outbox::spawn(store.clone(), mail.clone());
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut server = tokio::spawn(
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let mut stopped = stopped;
                let _ = stopped.wait_for(|s| *s).await;
            })
            .into_future(),
    );
    tokio::select! {
        ended = &mut server => {
            // The server ended without being asked: an error of the listener.
            outbox.abort();
            ended??;
            return Ok(());
        }
        signal = terminate_signal() => {
            let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
            tracing::info!(signal, grace_seconds = grace.as_secs(), "avslutter: tar ikke imot nye forespørsler og lar de pågående bli ferdige");
            let _ = stop.send(true);
            match tokio::time::timeout(grace, &mut server).await {
                Ok(ended) => ended??,
                Err(_) => {
                    server.abort();
                    tracing::warn!(grace_seconds = grace.as_secs(), "forespørsler som fortsatt pågikk ble avbrutt");
                }
            }
        }
    }
    // Mail the last requests queued goes out now rather than at the next start; what
    // cannot be sent stays in the outbox for the next instance.
    outbox.abort();
    let flush = async {
        let mut sent = 0;
        loop {
            match tilskudd::app::outbox::deliver_due(&store, &mail).await? {
                0 => return Ok::<_, tilskudd::error::AppError>(sent),
                n => sent += n,
            }
        }
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), flush).await {
        Ok(Ok(sent)) if sent > 0 => tracing::info!(sent, "utboksen tømt før avslutning"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "utboksen kunne ikke tømmes før avslutning"),
        Err(_) => tracing::warn!(
            "utboksen ble ikke tømt innen 10 sekunder; resten sendes ved neste start"
        ),
    }
    store.close().await;
    tracing::info!("avsluttet");
    Ok(())
}

/// Waits for SIGTERM (systemd, Kubernetes) or Ctrl-C; answers which.
async fn terminate_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// `tilskudd user add`: the first admin of a fresh installation, or any user.
async fn add_user(store: &Store, config: UserAddConfig) -> anyhow::Result<()> {
    let input = UserInput {
        username: config.username,
        display_name: config.name,
        email: config.email,
        roles: config.roles,
        organisation: config.organisation,
        national_id: config.national_id,
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
                tilskudd::app::organisations::resolve_organisation(store, &register, text, &actor)
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
    tilskudd::app::accounts::create_user(
        store,
        &fields,
        organisation_id,
        &hash,
        must_change,
        &actor,
    )
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

/// `tilskudd import allocations`: the same preview and confirmation as the upload page.
async fn import_allocations(
    store: Store,
    round_id: i64,
    dry_run: bool,
    historical_source: Option<&str>,
    applicants: &std::collections::BTreeMap<String, String>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use tilskudd::app::uploads::{self, UploadKind};
    let bytes =
        std::fs::read(file).with_context(|| format!("kunne ikke lese {}", file.display()))?;
    let settings = UploadSettings::default();
    let actor = Actor::system("kommandolinjen (tilskudd import allocations)");
    let officer = command_line_officer();
    let round = store
        .round(round_id)
        .await
        .map_err(|e| anyhow::anyhow!("--round: {}", AppError::from(e).message()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = uploads::receive(
        &store,
        &settings,
        &officer,
        &actor,
        &round,
        &uploads::RoundFile {
            kind: UploadKind::Allocations,
            filename: &name,
            bytes: &bytes,
            historical_source,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    // The same use case as the preview page's «Hvem søker?»: only cells asked about.
    let id = if applicants.is_empty() {
        id
    } else {
        uploads::choose_applicants(&store, &settings, &officer, &actor, id, applicants)
            .await
            .map_err(|e| anyhow::anyhow!("{}", field_messages(&e)))?
    };
    let (upload, body) = print_problems(&store, id).await?;
    for q in &body.preview.questions {
        let options = q
            .options
            .iter()
            .map(|o| o.label.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "spørsmål: {}: «{}»: velg med --applicant \"{}=KOMMUNENUMMER\" (eller org:ID){}",
            q.cell,
            q.typed,
            q.cell,
            if options.is_empty() {
                String::new()
            } else {
                format!("; forslag: {options}")
            }
        );
    }
    let Some(table) = &body.preview.allocations else {
        anyhow::bail!("filen kunne ikke leses (opplasting {id} er tatt vare på)");
    };
    let what = if table.historical_source.is_some() {
        "tildelt"
    } else {
        "foreslått"
    };
    println!(
        "{} rader, sum {}; {what} i runden etter importen: {} av rammen {}.",
        table.rows.len(),
        table.total,
        table.allocated_after,
        table.pool
    );
    if !should_store(&body, id, dry_run)? {
        return Ok(());
    }
    uploads::confirm(&store, &officer, &actor, &upload)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    println!(
        "Lagret {} {} i «{}».",
        table.rows.len(),
        if table.historical_source.is_some() {
            "tildelinger (publisert vedtak)"
        } else {
            "foreslåtte beløp"
        },
        round.name
    );
    Ok(())
}

/// Repeated `KEY=VALUE` flags as a map (split at the last `=`).
fn pairs(
    given: &[String],
    flag: &str,
    shape: &str,
    example: &str,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut map = std::collections::BTreeMap::new();
    for pair in given {
        let Some((key, value)) = pair.rsplit_once('=') else {
            anyhow::bail!("{flag} {pair:?}: skriv {shape}, for eksempel {example}");
        };
        map.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(map)
}

/// The command line acts as an officer.
fn command_line_officer() -> tilskudd::domain::user::Principal {
    tilskudd::domain::user::Principal {
        user_id: 0,
        username: "kommandolinjen".into(),
        display_name: "Kommandolinjen".into(),
        roles: vec![tilskudd::domain::user::Role::Saksbehandler],
        organisation_id: None,
        must_change_password: false,
    }
}

/// What `tilskudd import statistics` reads: a file, or a table fetched from SSB.
enum StatisticsSource {
    File(std::path::PathBuf),
    Ssb {
        table: String,
        from_year: i64,
        to_year: i64,
        settings: tilskudd::app::ssb::SsbSettings,
    },
}

/// `tilskudd import statistics`: the same preview and confirmation as the statistics page.
async fn import_statistics(
    store: Store,
    indicator: Option<&str>,
    variables: &[String],
    dry_run: bool,
    source: StatisticsSource,
) -> anyhow::Result<()> {
    let choices = pairs(
        variables,
        "--variable",
        "TEKST=INDIKATOR",
        "\"Brukere av hjemmetjenester=mottakere\"",
    )?;
    use tilskudd::app::uploads::{self, Confirmed};
    let settings = UploadSettings::default();
    let actor = Actor::system("kommandolinjen (tilskudd import statistics)");
    let officer = command_line_officer();
    let id = match source {
        StatisticsSource::File(file) => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("kunne ikke lese {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            uploads::receive_statistics_choosing(
                &store, &settings, &officer, &actor, indicator, &choices, &name, &bytes,
            )
            .await
        }
        StatisticsSource::Ssb {
            table,
            from_year,
            to_year,
            settings: ssb,
        } => {
            let query = tilskudd::app::ssb::SsbQuery::new(&table, from_year, to_year)
                .map_err(|e| anyhow::anyhow!("{}", field_messages(&e)))?;
            tilskudd::app::ssb::fetch_statistics(&store, &settings, &ssb, &officer, &actor, &query)
                .await
        }
    }
    .map_err(|e| anyhow::anyhow!("{}", field_messages(&e)))?;
    let (upload, body) = print_problems(&store, id).await?;
    if let Some(url) = &body.preview.source_url {
        println!("Hentet fra SSB: {url}");
    }
    let Some(table) = &body.preview.statistics else {
        anyhow::bail!("filen kunne ikke leses (opplasting {id} er tatt vare på)");
    };
    println!(
        "{} tall: {} nye, {} endrede, {} uendrede.",
        table.observations.len(),
        table.counts.new,
        table.counts.changed,
        table.counts.unchanged
    );
    for row in &table.changed_sample {
        println!(
            "endret: {} {} {} {}: {} → {}",
            row.cell,
            row.indicator,
            row.region,
            row.year,
            row.old.as_deref().unwrap_or(""),
            row.display
        );
    }
    if !should_store(&body, id, dry_run)? {
        return Ok(());
    }
    let Confirmed::Statistics(counts) = uploads::confirm(&store, &officer, &actor, &upload)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?
    else {
        anyhow::bail!("opplasting {id} er ikke statistikk");
    };
    println!(
        "Lagret: {} nye, {} endrede, {} uendrede.",
        counts.new, counts.changed, counts.unchanged
    );
    Ok(())
}

/// An error as the command line prints it: every field's message, or the one sentence.
fn field_messages(error: &AppError) -> String {
    match error.field_errors() {
        [] => error.message(),
        fields => fields
            .iter()
            .map(|f| {
                let flag = match f.field.as_str() {
                    "table" => "--ssb-table",
                    "from_year" => "--from-year",
                    "to_year" => "--to-year",
                    other => other,
                };
                format!("{flag}: {}", f.message)
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Whether to confirm an import: not when the preview has errors (an error exit), nor on
/// a dry run.
fn should_store(
    body: &tilskudd::app::uploads::UploadBody,
    id: i64,
    dry_run: bool,
) -> anyhow::Result<bool> {
    if !body.preview.errors.is_empty() {
        anyhow::bail!(
            "{} feil; ingenting er lagret (opplasting {id})",
            body.preview.errors.len()
        );
    }
    if dry_run {
        println!("Prøvekjøring: ingenting er lagret (opplasting {id}).");
        return Ok(false);
    }
    Ok(true)
}

/// Reads back a stored upload's preview and prints its warnings and errors with cells.
async fn print_problems(
    store: &Store,
    id: i64,
) -> anyhow::Result<(tilskudd::store::Upload, tilskudd::app::uploads::UploadBody)> {
    use tilskudd::app::uploads::UploadBody;
    let upload = store
        .upload(id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", AppError::from(e).message()))?;
    let body = UploadBody::new(&upload).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    for p in &body.preview.warnings {
        println!("advarsel: {}", located(p));
    }
    for p in &body.preview.errors {
        println!("feil: {}", located(p));
    }
    Ok((upload, body))
}

fn located(p: &tilskudd::app::uploads::ProblemOut) -> String {
    match (&p.sheet, &p.cell) {
        (Some(s), Some(c)) => format!("{s}!{c}: {}", p.message),
        (Some(s), None) => format!("{s}: {}", p.message),
        _ => p.message.clone(),
    }
}

/// The command-line flag for a field of the user form.
fn cli_flag(field: &str) -> &str {
    match field {
        "roles" => "role",
        "display_name" => "name",
        other => other,
    }
}
