use anyhow::Context;
use clap::{Parser, Subcommand};

use tracing_subscriber::EnvFilter;

use tilskudd::app::uploads::UploadSettings;
use tilskudd::config::{DatabaseConfig, ServeConfig, SsbConfig, UserAddConfig};
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
    /// Reads a workbook from standard input for the server, in a process of its own.
    #[command(hide = true)]
    InternalReadWorkbook { format: String },
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
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
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
        Command::Import(ImportCommand::Allocations {
            round,
            dry_run,
            historical_source,
            file,
        }) => import_allocations(store, round, dry_run, historical_source.as_deref(), &file).await,
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
        Command::InternalReadWorkbook { .. } => Ok(()),
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
        .with_mail(mail.clone());
    if mail.mailer.is_none() {
        tracing::info!(
            "ingen e-posttjener er satt opp (--smtp-url, --mail-from): e-post registreres bare i utboksen"
        );
    }
    tilskudd::app::outbox::spawn(store.clone(), mail);
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
    let (upload, body) = print_problems(&store, id).await?;
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
    let mut choices = std::collections::BTreeMap::new();
    for pair in variables {
        let Some((text, code)) = pair.rsplit_once('=') else {
            anyhow::bail!(
                "--variable {pair:?}: skriv TEKST=INDIKATOR, for eksempel \"Brukere av hjemmetjenester=mottakere\""
            );
        };
        choices.insert(text.trim().to_string(), code.trim().to_string());
    }
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
