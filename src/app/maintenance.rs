//! Operating the database as a whole: backups, restoring one into an empty database, and
//! moving from SQLite to PostgreSQL (`tilskudd backup`, `restore`, `copy-data`). Uploaded
//! originals live in the database, so every copy includes them.
//!
//! SQLite is backed up online with `VACUUM INTO`: one read transaction, so the copy is
//! consistent while the server goes on writing. PostgreSQL is backed up by its own tools
//! (`pg_dump --format=custom`, `pg_restore`), which this runs when they are installed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::domain::audit::{Actor, NewAuditEvent};
use crate::store::transfer::{CopyReport, copy_all};
use crate::store::{Backend, Store};

/// What a file to restore is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFormat {
    /// A SQLite database (`tilskudd backup` of SQLite).
    Sqlite,
    /// A `pg_dump --format=custom` archive.
    PgDump,
}

pub fn backup_format(path: &Path) -> anyhow::Result<BackupFormat> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("kunne ikke åpne {}", path.display()))?;
    let n = file.read(&mut head)?;
    match &head[..n] {
        h if h.starts_with(b"SQLite format 3\0") => Ok(BackupFormat::Sqlite),
        h if h.starts_with(b"PGDMP") => Ok(BackupFormat::PgDump),
        _ => bail!(
            "{} er verken en SQLite-database eller et pg_dump-arkiv (--format=custom).",
            path.display()
        ),
    }
}

/// A backup of the database at `url` into `file`, which must not exist.
pub async fn backup(url: &str, pg_schema: Option<&str>, file: &Path) -> anyhow::Result<String> {
    if file.exists() {
        bail!("{} finnes allerede; velg et nytt filnavn.", file.display());
    }
    // Connecting would create a missing SQLite file, and back up an empty database.
    if let Some(path) = sqlite_path(url)
        && !path.exists()
    {
        bail!(
            "databasen {} finnes ikke; sjekk --database-url.",
            path.display()
        );
    }
    let store = Store::connect(url, pg_schema).await?;
    let summary = match store.backend() {
        Backend::Sqlite => {
            store.vacuum_into(file).await?;
            let copy = Store::connect(&sqlite_url(file), None).await?;
            let integrity = copy.integrity_check().await?;
            copy.close().await;
            if integrity != "ok" {
                bail!("kopien {} er ikke hel: {integrity}", file.display());
            }
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
            format!(
                "Sikkerhetskopi skrevet til {} ({} byte, SQLite, kontrollert).",
                file.display(),
                crate::domain::money::grouped_number(size)
            )
        }
        Backend::Postgres => {
            let mut command = pg_tool("pg_dump", url);
            command
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--file")
                .arg(file);
            if let Some(schema) = pg_schema {
                command.arg("--schema").arg(schema);
            }
            run_tool(command, "pg_dump").await?;
            format!(
                "Sikkerhetskopi skrevet til {} (pg_dump --format=custom).",
                file.display()
            )
        }
    };
    store.close().await;
    Ok(summary)
}

/// A PostgreSQL tool for the database at `url`. The URL's password goes by
/// `PGPASSWORD`, not on the command line, where any user of the machine could read it.
fn pg_tool(program: &str, url: &str) -> tokio::process::Command {
    let (url, password) = without_password(url);
    let mut command = tokio::process::Command::new(program);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command.arg("--dbname").arg(url);
    command
}

/// The URL without its password, and the password (percent-decoded).
fn without_password(url: &str) -> (String, Option<String>) {
    let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_string(), None);
    };
    if at < scheme_end {
        return (url.to_string(), None);
    }
    let credentials = &url[scheme_end + 3..at];
    match credentials.split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..scheme_end + 3], &url[at..]),
            Some(percent_decoded(password)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The file of a `sqlite:` URL (without its options).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn run_tool(mut command: tokio::process::Command, name: &str) -> anyhow::Result<()> {
    let output = command.output().await.map_err(|e| {
        anyhow::anyhow!(
            "{name} kunne ikke startes ({e}); installer PostgreSQL' klientverktøy (Debian: postgresql-client) i samme hovedversjon som tjeneren."
        )
    })?;
    if !output.status.success() {
        bail!(
            "{name} feilet ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Restores `file` (a SQLite backup or a pg_dump archive) into the empty database at
/// `url`; answers what was restored, table by table.
pub async fn restore(url: &str, pg_schema: Option<&str>, file: &Path) -> anyhow::Result<String> {
    match backup_format(file)? {
        BackupFormat::Sqlite => {
            // The backup file itself is left as it was: a copy is opened (and brought up
            // to this version's schema, if the backup is older).
            let work = tempfile_dir()?;
            let copy_path = work.join("restore.db");
            std::fs::copy(file, &copy_path)
                .with_context(|| format!("kunne ikke lese {}", file.display()))?;
            let source = Store::connect(&sqlite_url(&copy_path), None).await?;
            source.migrate().await?;
            let target = Store::connect(url, pg_schema).await?;
            target.migrate().await?;
            let outcome = copy_and_verify(&source, &target, "gjenoppretting", file).await;
            source.close().await;
            target.close().await;
            let _ = std::fs::remove_dir_all(&work);
            outcome
        }
        BackupFormat::PgDump => {
            let target = Store::connect(url, pg_schema).await?;
            if target.backend() != Backend::Postgres {
                bail!(
                    "{} er et pg_dump-arkiv og kan bare gjenopprettes i PostgreSQL.",
                    file.display()
                );
            }
            let tables = target.tables_in_copy_order().await?;
            if !tables.is_empty() {
                bail!(
                    "måldatabasen har allerede tabeller ({} stykker); pg_restore trenger en ny, tom database.",
                    tables.len()
                );
            }
            let mut command = pg_tool("pg_restore", url);
            command
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction")
                .arg(file);
            run_tool(command, "pg_restore").await?;
            // An older backup is brought up to this version.
            target.migrate().await?;
            let mut lines = Vec::new();
            for table in target.tables_in_copy_order().await? {
                lines.push(format!(
                    "  {:<32} {:>9} rader",
                    table.name,
                    target.row_count(&table.name).await?
                ));
            }
            audit(
                &target,
                "database.restored",
                format!("Databasen ble gjenopprettet fra {}.", file.display()),
            )
            .await?;
            target.close().await;
            Ok(format!(
                "Gjenopprettet fra {} med pg_restore:\n{}",
                file.display(),
                lines.join("\n")
            ))
        }
    }
}

/// Copies the database at `from` into the empty database at `to` (both migrated first),
/// then verifies every table.
pub async fn copy_data(
    from: &str,
    from_schema: Option<&str>,
    to: &str,
    to_schema: Option<&str>,
) -> anyhow::Result<String> {
    let source = Store::connect(from, from_schema).await?;
    // A database without tilskudd's migrations is not one to copy from.
    let pending = source.pending_migrations().await.map_err(|e| {
        anyhow::anyhow!("kilden er ikke en tilskudd-database (ingen migreringer funnet): {e}")
    })?;
    if !pending.is_empty() {
        bail!(
            "kilden mangler {} migrering(er); kjør «tilskudd migrate --database-url …» mot den først.",
            pending.len()
        );
    }
    let target = Store::connect(to, to_schema).await?;
    target.migrate().await?;
    let outcome = copy_and_verify(&source, &target, "kopiering", Path::new(from)).await;
    source.close().await;
    target.close().await;
    outcome
}

async fn copy_and_verify(
    source: &Store,
    target: &Store,
    what: &str,
    from: &Path,
) -> anyhow::Result<String> {
    let report: CopyReport = copy_all(source, target, |table, rows| {
        tracing::info!(table, rows, "tabell kopiert");
    })
    .await?;
    let mut lines = vec![format!(
        "  {:<32} {:>9} {:>9}  kontrollsum",
        "tabell", "kilde", "mål"
    )];
    for (from, to) in &report.tables {
        lines.push(format!(
            "  {:<32} {:>9} {:>9}  {}",
            from.table,
            from.rows,
            to.rows,
            if from == to {
                format!("lik ({}…)", &from.checksum[..12])
            } else {
                "ULIK".to_string()
            }
        ));
    }
    let mismatches = report.mismatches();
    if !mismatches.is_empty() {
        bail!(
            "{what} ble ikke bekreftet: {} er ulik i kilde og mål (ble kilden endret underveis? stopp tjeneren og prøv igjen i en ny database).\n{}",
            mismatches.join(", "),
            lines.join("\n")
        );
    }
    let rows: u64 = report.tables.iter().map(|(f, _)| f.rows).sum();
    audit(
        target,
        if what == "kopiering" {
            "database.copied"
        } else {
            "database.restored"
        },
        format!(
            "{} rader i {} tabeller ble hentet fra {} og kontrollert.",
            rows,
            report.tables.len(),
            redacted(&from.display().to_string())
        ),
    )
    .await?;
    Ok(format!(
        "{} rader i {} tabeller kopiert og kontrollert (antall og kontrollsum per tabell):\n{}",
        rows,
        report.tables.len(),
        lines.join("\n")
    ))
}

/// The operation itself goes into the log it copied, after the comparison.
async fn audit(store: &Store, action: &'static str, summary: String) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    tx.audit(NewAuditEvent::new(
        &Actor::system("kommandolinjen (tilskudd)"),
        action,
        summary,
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A URL without its password, for messages and the audit log.
pub fn redacted(url: &str) -> String {
    match without_password(url) {
        (bare, Some(_)) => match bare.rfind('@') {
            Some(at) => format!("{}:***{}", &bare[..at], &bare[at..]),
            None => bare,
        },
        (bare, None) => bare,
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("tilskudd-restore-{name}"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_get_the_password_apart_from_the_url() {
        assert_eq!(
            without_password(
                "postgres://tilskudd:h%40mmel%C3%A6g@db:5432/tilskudd?sslmode=require"
            ),
            (
                "postgres://tilskudd@db:5432/tilskudd?sslmode=require".to_string(),
                Some("h@mmelæg".to_string())
            )
        );
        assert_eq!(
            without_password("postgres://tilskudd@db/tilskudd"),
            ("postgres://tilskudd@db/tilskudd".to_string(), None)
        );
    }

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/tilskudd/t.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/tilskudd/t.db"))
        );
        assert_eq!(
            sqlite_path("sqlite://tilskudd.db"),
            Some(PathBuf::from("tilskudd.db"))
        );
        assert_eq!(sqlite_path("postgres://db/t"), None);
    }

    #[test]
    fn passwords_are_taken_out_of_urls() {
        assert_eq!(
            redacted("postgres://tilskudd:hemmelig@db:5432/tilskudd"),
            "postgres://tilskudd:***@db:5432/tilskudd"
        );
        assert_eq!(redacted("sqlite://tilskudd.db"), "sqlite://tilskudd.db");
    }
}
