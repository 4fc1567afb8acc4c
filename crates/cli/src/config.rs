//! The configuration file (`advocate.toml`) and `*_FILE` secrets.
//!
//! Both are applied before clap parses, as `ADVOCATE_*` variables: a setting the file
//! names whose variable is not set becomes that variable for the parse. Flags then beat
//! the environment, which beats the file, which beats the defaults — clap's own order.
//! The settings the file may name are the long flags that have a variable, read from
//! clap's definition of the command line (no second list to keep in step).

use anyhow::{bail, Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, Command};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable naming the configuration file (also `--config`).
pub const CONFIG_ENV: &str = "ADVOCATE_CONFIG";
/// The file read from the data folder when none is named.
const DEFAULT_NAME: &str = "advocate.toml";

/// A setting the file may name.
struct Setting {
    env: String,
    /// A switch (`--secure-cookies`): true or false in the file.
    switch: bool,
    /// Its value is never printed (clap's `hide_env_values`), and may come from a file.
    secret: bool,
}

/// What was applied, for `config show` and the start-up line.
#[derive(Default)]
pub struct Loaded {
    /// The configuration file read, if any.
    pub path: Option<PathBuf>,
    /// Variable → where its value came from, when not from the environment itself:
    /// "file" or "env ADVOCATE_X_FILE".
    origins: HashMap<String, String>,
}

/// Settings by file key (the long flag in snake case).
fn settings(cli: &Command) -> BTreeMap<String, Setting> {
    let mut all = BTreeMap::new();
    collect(cli, &mut all);
    all.remove("config");
    all
}

fn collect(cmd: &Command, all: &mut BTreeMap<String, Setting>) {
    for arg in cmd.get_arguments() {
        if let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) {
            all.insert(
                long.replace('-', "_"),
                Setting {
                    env: env.to_string_lossy().into_owned(),
                    switch: !arg.get_action().takes_values(),
                    secret: arg.is_hide_env_values_set(),
                },
            );
        }
    }
    for sub in cmd.get_subcommands() {
        collect(sub, all);
    }
}

/// Reads `*_FILE` secrets and the configuration file into the environment.
///
/// Must run before any other thread exists (it sets process variables).
pub fn load(cli: &Command, argv: &[OsString]) -> Result<Loaded> {
    let settings = settings(cli);
    let mut loaded = Loaded::default();
    for setting in settings.values().filter(|s| s.secret) {
        let file_var = format!("{}_FILE", setting.env);
        let Some(path) = std::env::var_os(&file_var) else {
            continue;
        };
        if std::env::var_os(&setting.env).is_some() {
            bail!("both {} and {file_var} are set; use one", setting.env);
        }
        let value = read_secret(Path::new(&path)).with_context(|| file_var.clone())?;
        set_env(&setting.env, &value);
        loaded
            .origins
            .insert(setting.env.clone(), format!("env {file_var}"));
    }
    let Some(path) = config_path(argv) else {
        return Ok(loaded);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let name = path.display();
    let table: toml::Table = text.parse().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut seen: HashMap<String, String> = HashMap::new();
    for (key, value) in &table {
        let snake = key.replace('-', "_");
        // `smtp_url_file = "/run/secrets/smtp"`: a secret's value read from a file.
        let (base, from_file) = match snake.strip_suffix("_file") {
            Some(base) if !settings.contains_key(&snake) => (base.to_owned(), true),
            _ => (snake.clone(), false),
        };
        let Some(setting) = settings.get(&base).filter(|s| s.secret || !from_file) else {
            bail!(
                "{name}: unknown key `{key}`{}",
                suggestion(&snake, &settings)
            );
        };
        if let Some(earlier) = seen.insert(base.clone(), key.clone()) {
            bail!("{name}: `{earlier}` and `{key}` both set `{base}`; keep one");
        }
        let value = match (value, setting.switch && !from_file) {
            (toml::Value::Boolean(b), true) => b.to_string(),
            (_, true) => bail!("{name}: `{key}` must be true or false"),
            (toml::Value::String(s), false) if from_file => {
                read_secret(Path::new(s)).with_context(|| format!("{name}: `{key}`"))?
            }
            (toml::Value::String(s), false) => s.clone(),
            (toml::Value::Integer(n), false) if !from_file => n.to_string(),
            (_, false) if from_file => bail!("{name}: `{key}` must be a file path (a string)"),
            (_, false) => bail!("{name}: `{key}` must be a string or a whole number"),
        };
        if std::env::var_os(&setting.env).is_none() {
            set_env(&setting.env, &value);
            loaded.origins.insert(setting.env.clone(), "file".into());
        }
    }
    loaded.path = Some(path);
    Ok(loaded)
}

/// ` (did you mean `smtp_url`?)` for a key a typo away from a known one.
fn suggestion(key: &str, settings: &BTreeMap<String, Setting>) -> String {
    settings
        .keys()
        .map(|known| (distance(key, known), known))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, known)| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// A secret kept in a file (a Docker or systemd secret): its text less one trailing newline.
fn read_secret(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

fn set_env(name: &str, value: &str) {
    // Sound: `load` runs in `main` before the runtime (or any thread) starts.
    std::env::set_var(name, value);
}

/// `--config PATH` (looked for before clap parses), else `ADVOCATE_CONFIG`, else
/// `advocate.toml` in the data folder when it exists.
fn config_path(argv: &[OsString]) -> Option<PathBuf> {
    if let Some(path) = flag_value(argv, "--config").or_else(|| std::env::var_os(CONFIG_ENV)) {
        return Some(path.into());
    }
    let data_dir = flag_value(argv, "--data-dir")
        .or_else(|| std::env::var_os("ADVOCATE_DATA_DIR"))
        .unwrap_or_else(|| "advocate-data".into());
    Some(Path::new(&data_dir).join(DEFAULT_NAME)).filter(|p| p.is_file())
}

/// The value of `--name VALUE` or `--name=VALUE`, before a `--`.
fn flag_value(argv: &[OsString], name: &str) -> Option<OsString> {
    let mut args = argv.iter().skip(1).take_while(|a| *a != "--");
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == name {
            return args.next().cloned();
        }
        if let Some(value) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return Some(value.into());
        }
    }
    None
}

impl Loaded {
    /// A line for errors clap reports about a value the file supplied (clap names the
    /// flag and the variable, not the file).
    pub fn blame(&self, error: &clap::Error) -> Option<String> {
        let path = self.path.as_ref()?;
        let Some(clap::error::ContextValue::String(arg)) =
            error.get(clap::error::ContextKind::InvalidArg)
        else {
            return None;
        };
        let key = arg.split_whitespace().next()?.strip_prefix("--")?;
        let key = key.replace('-', "_");
        let setting = settings(&crate::cli_command()).remove(&key)?;
        (self.origins.get(&setting.env).map(String::as_str) == Some("file"))
            .then(|| format!("{}: the value of `{key}` is not valid:", path.display()))
    }

    /// `config show`: every setting of `cmd` with its value and where it came from, as
    /// TOML (secrets as `****`).
    pub fn show(&self, cmd: &Command, matches: &ArgMatches) -> String {
        let mut out = match &self.path {
            Some(path) => format!("# configuration file: {}\n", path.display()),
            None => "# no configuration file\n".to_owned(),
        };
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let id = arg.get_id().as_str();
            if matches!(long, "config" | "help" | "version") {
                continue;
            }
            let key = long.replace('-', "_");
            let raw: Option<Vec<String>> = matches
                .get_raw(id)
                .map(|values| values.map(|v| v.to_string_lossy().into_owned()).collect());
            let (Some(raw), Some(source)) = (raw, matches.value_source(id)) else {
                out.push_str(&format!("# {key} is not set\n"));
                continue;
            };
            let raw = raw.join(",");
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let origin = match source {
                ValueSource::CommandLine => "flag".to_owned(),
                ValueSource::EnvVariable => env
                    .and_then(|e| self.origins.get(&e).cloned())
                    .unwrap_or_else(|| "env".to_owned()),
                _ => "default".to_owned(),
            };
            let value = if arg.is_hide_env_values_set() {
                toml::Value::String("****".into())
            } else if !arg.get_action().takes_values() {
                toml::Value::Boolean(raw == "true")
            } else if let Ok(n) = raw.parse::<i64>() {
                toml::Value::Integer(n)
            } else {
                toml::Value::String(raw)
            };
            out.push_str(&format!("{key} = {value}  # {origin}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(super::distance("smtp_ulr", "smtp_url"), 2);
        assert_eq!(super::distance("bind", "bind"), 0);
        assert_eq!(super::distance("", "abc"), 3);
        assert_eq!(super::distance("kitten", "sitting"), 3);
    }

    #[test]
    fn finds_the_config_flag() {
        let argv = |a: &[&str]| a.iter().map(Into::into).collect::<Vec<_>>();
        let found = |a: &[&str]| super::flag_value(&argv(a), "--config");
        assert_eq!(
            found(&["advocate", "serve", "--config", "a.toml"]),
            Some("a.toml".into())
        );
        assert_eq!(
            found(&["advocate", "--config=b.toml", "serve"]),
            Some("b.toml".into())
        );
        assert_eq!(found(&["advocate", "serve", "--", "--config", "c"]), None);
        assert_eq!(found(&["advocate", "serve"]), None);
    }
}
