//! `--config tilskudd.toml`: settings from a file, under the environment and the flags.
//!
//! A key is a flag's name with underscores (`database_url`, `smtp_url`, `addr`). Its
//! value is handed to the flag's environment variable unless that is set already, before
//! the flags are parsed; clap's own order (flag over environment over default) so becomes
//! default < file < environment < flag, with one parser for all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The environment variable that names the file when `--config` does not.
pub const CONFIG_ENV: &str = "TILSKUDD_CONFIG";

/// What a file contributed: the environment variables it set, each with its key.
#[derive(Debug, Clone, Default)]
pub struct FileSettings {
    pub path: Option<PathBuf>,
    /// Environment variable → the file's key, for what the file set.
    pub applied: BTreeMap<String, String>,
    /// The file's keys the environment already set (and so overrode).
    pub overridden: BTreeSet<String>,
}

/// The file `--config FILE` or `--config=FILE` names on the command line, or
/// `TILSKUDD_CONFIG`.
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
        if text == "--" {
            break;
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Every setting that may come from the file: key → environment variable, from the
/// flags of `command` and its subcommands.
pub fn settable(command: &clap::Command) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    collect(command, &mut keys);
    keys
}

fn collect(command: &clap::Command, keys: &mut BTreeMap<String, String>) {
    for arg in command.get_arguments() {
        if let Some(env) = arg.get_env() {
            keys.insert(arg.get_id().to_string(), env.to_string_lossy().into_owned());
        }
    }
    for sub in command.get_subcommands() {
        collect(sub, keys);
    }
}

/// The file's settings as (environment variable, value, key), refused whole with a
/// message naming the file and the key when one is unknown or of the wrong kind.
pub fn parse(
    path: &Path,
    text: &str,
    keys: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    let mut settings = Vec::new();
    for (key, value) in table {
        let name = key.replace('-', "_");
        let Some(env) = keys.get(&name) else {
            bail!(
                "{}: ukjent innstilling «{key}». Kjente innstillinger: {}.",
                path.display(),
                keys.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            // A list (several identity providers) becomes the flag's comma-separated form.
            toml::Value::Array(items) if items.iter().all(|i| i.is_str()) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(","),
            other => bail!(
                "{}: «{key}» må være tekst, et heltall, true/false eller en liste med tekst, ikke {}.",
                path.display(),
                other.type_str()
            ),
        };
        settings.push((env.clone(), text, name));
    }
    Ok(settings)
}

/// Reads the file named by the arguments or the environment, and gives each of its
/// settings to its environment variable where that is not set.
///
/// Call it before any other thread starts: it changes the process's environment.
pub fn apply(args: &[OsString], command: &clap::Command) -> anyhow::Result<FileSettings> {
    let Some(path) = config_path(args) else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("kunne ikke lese innstillingsfilen {}", path.display()))?;
    let mut file = FileSettings {
        path: Some(path.clone()),
        ..FileSettings::default()
    };
    for (env, value, key) in parse(&path, &text, &settable(command))? {
        if std::env::var_os(&env).is_some() {
            file.overridden.insert(key);
        } else {
            // SAFETY: called from `main` before the runtime or any thread is started.
            unsafe { std::env::set_var(&env, value) };
            file.applied.insert(env, key);
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> BTreeMap<String, String> {
        [
            ("addr", "TILSKUDD_ADDR"),
            ("database_url", "DATABASE_URL"),
            ("demo", "TILSKUDD_DEMO"),
            ("max_upload_mb", "TILSKUDD_MAX_UPLOAD_MB"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn keys_become_environment_variables_and_unknown_ones_are_named() {
        let path = Path::new("tilskudd.toml");
        let parsed = parse(
            path,
            "addr = \"0.0.0.0:8080\"\nmax-upload-mb = 20\ndemo = true\n",
            &keys(),
        )
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                ("TILSKUDD_ADDR".into(), "0.0.0.0:8080".into(), "addr".into()),
                ("TILSKUDD_DEMO".into(), "true".into(), "demo".into()),
                (
                    "TILSKUDD_MAX_UPLOAD_MB".into(),
                    "20".into(),
                    "max_upload_mb".into()
                ),
            ]
        );
        let unknown = parse(path, "adress = \"x\"\n", &keys())
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("ukjent innstilling «adress»"), "{unknown}");
        assert!(unknown.contains("addr, database_url"), "{unknown}");
        let wrong = parse(path, "addr = [1]\n", &keys())
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("«addr» må være tekst"), "{wrong}");
        let broken = parse(path, "addr = \n", &keys()).unwrap_err().to_string();
        assert!(broken.starts_with("tilskudd.toml: "), "{broken}");
    }

    #[test]
    fn the_path_comes_from_the_flag_in_either_form() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            config_path(&args(&["tilskudd", "--config", "a.toml", "serve"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            config_path(&args(&["tilskudd", "serve", "--config=b.toml"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
