//! `scimcheck.toml`: what a team keeps about one target — where it is, which environment
//! variables hold its credentials, what it lacks by design, which cases to skip and why, and how
//! hard to push it. Command-line flags override every value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::case::Capability;
use crate::cli::parse_duration;
use crate::compare::Acceptance;
use crate::exec::oauth::ClientAuth;
use crate::files::{self, CONFIG_LIMIT, FileError};

/// The file, as written. Unknown keys are errors.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub base_url: Option<String>,
    /// Environment variable holding the SCIM token (never the token itself).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub api_key_env: Option<String>,
    pub other_tenant_token_env: Option<String>,
    /// The OAuth 2.0 token endpoint the SCIM token is fetched from (client credentials).
    pub oauth_token_url: Option<String>,
    pub oauth_client_id: Option<String>,
    /// Environment variable holding the OAuth client secret (never the secret itself).
    pub oauth_client_secret_env: Option<String>,
    pub oauth_client_secret_file: Option<PathBuf>,
    pub oauth_scope: Option<String>,
    pub oauth_audience: Option<String>,
    pub oauth_client_auth: Option<ClientAuth>,
    /// Environment variable holding a revoked SCIM token, for `auth::token-rotation`.
    pub revoked_token_env: Option<String>,
    /// The target's contract (see [`crate::contract`]), relative to the current folder.
    pub contract: Option<PathBuf>,
    pub timeout: Option<u64>,
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub retries: Option<u32>,
    /// The largest response body read, such as `"16MiB"`.
    #[serde(default, deserialize_with = "size")]
    pub max_body: Option<u64>,
    /// Capabilities to treat as present (`true`) or absent (`false`) whatever the target
    /// advertises, e.g. `groups = false` for "Groups unsupported by design".
    #[serde(default)]
    pub capabilities: BTreeMap<String, bool>,
    /// Cases to skip, by trial name, with the reason shown in every report.
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
    /// Known deviations that do not fail the run (`[[accept]]`), until they expire.
    #[serde(default)]
    pub accept: Vec<Acceptance>,
    /// The file this was read from, which errors about its contents name.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// Shown as `file:line:column: message`, never with the line itself (see `syntax_error`).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = files::read_text(path, CONFIG_LIMIT)?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut config: FileConfig =
            toml::from_str(&text).map_err(|e| syntax_error(path, &e, &text))?;
        config.path = Some(path.to_owned());
        for name in config.capabilities.keys() {
            capability_named(name, "capabilities").map_err(invalid)?;
        }
        if let Some((n, problem)) = config
            .accept
            .iter()
            .enumerate()
            .find_map(|(n, a)| a.problem().map(|p| (n, p)))
        {
            return Err(invalid(format!("[[accept]] number {}: {problem}", n + 1)));
        }
        Ok(config)
    }

    /// The capability overrides, checked by [`FileConfig::load`].
    pub fn capability_overrides(&self) -> BTreeMap<Capability, bool> {
        self.capabilities
            .iter()
            .filter_map(|(name, on)| Capability::from_name(name).map(|c| (c, *on)))
            .collect()
    }
}

/// The capability `name` in a file's `[table]`, or why there is none.
pub(crate) fn capability_named(name: &str, table: &str) -> Result<Capability, String> {
    Capability::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        format!(
            "unknown capability `{name}` in [{table}] (known: {})",
            known.join(", ")
        )
    })
}

/// The longest settle window accepted: a read retried for longer says the target is broken,
/// not slow.
pub const MAX_SETTLE: Duration = Duration::from_secs(300);

/// A settle window such as `"2s"` or `"500ms"`, at most [`MAX_SETTLE`]. Unlike `--latency`,
/// the unit is required: a bare `2` would read as milliseconds where seconds were meant.
pub fn parse_settle(text: &str) -> Result<Duration, String> {
    if text.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("`{text}`: give a unit, ms or s"));
    }
    let window = parse_duration(text).map_err(|e| e.to_string())?;
    if window > MAX_SETTLE {
        return Err(format!("`{text}` is longer than {}s", MAX_SETTLE.as_secs()));
    }
    Ok(window)
}

/// A size written as a string such as `"16MiB"` or `"1000000"` (see [`files::parse_bytes`]).
fn size<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    files::parse_bytes(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A TOML error without toml's snippet of the offending line (it may hold a token pasted where
/// a variable name belongs) and without the values serde quotes (`invalid type: string "…"`).
fn syntax_error(path: &Path, error: &toml::de::Error, text: &str) -> ConfigError {
    let (line, column, message) = toml_error_at(error, text);
    ConfigError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

/// A TOML error's line, column and message, values elided (see [`syntax_error`]).
pub(crate) fn toml_error_at(error: &toml::de::Error, text: &str) -> (usize, usize, String) {
    let quoted = regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("valid pattern");
    let message = quoted
        .replace_all(error.message().trim(), "\"…\"")
        .into_owned();
    let before = error
        .span()
        .and_then(|span| text.get(..span.start))
        .unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<FileConfig, ConfigError> {
        let path = std::env::temp_dir().join(format!("scimcheck-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).unwrap();
        let loaded = FileConfig::load(&path);
        std::fs::remove_file(path).ok();
        loaded
    }

    #[test]
    fn reads_a_full_file() {
        let config = load(
            r#"
base-url = "https://app.example.com/scim/v2"
token-env = "ACME_SCIM_TOKEN"
api-key-env = "ACME_API_KEY"
concurrency = 8
rate = 20.0
max-body = "16MiB"

[capabilities]
groups = false

[skip]
"users::enterprise" = "no enterprise extension on this plan"
"#,
        )
        .expect("valid");
        assert_eq!(
            config.base_url.as_deref(),
            Some("https://app.example.com/scim/v2")
        );
        assert_eq!(config.concurrency, Some(8));
        assert_eq!(config.max_body, Some(16 * 1024 * 1024));
        assert_eq!(
            config.capability_overrides(),
            BTreeMap::from([(Capability::Groups, false)])
        );
        assert_eq!(
            config.skip["users::enterprise"],
            "no enterprise extension on this plan"
        );
    }

    #[test]
    fn settle_windows_need_a_unit_and_a_bound() {
        assert_eq!(parse_settle("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_settle("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_settle("2.5s"), Ok(Duration::from_millis(2500)));
        for bad in ["2", "", "s", "2 h", "-1s", "301s", "6m"] {
            assert!(parse_settle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_unknown_keys_capabilities_and_bad_types() {
        let message = |text: &str| load(text).expect_err("invalid").to_string();
        assert!(message("tokn-env = \"X\"").contains("unknown field `tokn-env`"));
        assert!(message("[capabilities]\ngroup = false").contains("unknown capability `group`"));
        assert!(message("concurrency = \"eight\"").contains("invalid type"));
        assert!(message("max-body = \"8 parsecs\"").contains("unknown unit"));
        assert!(message("max-body = 8").contains("expected a string"));
    }

    #[test]
    fn a_parse_error_never_quotes_the_line_or_its_values() {
        let secret = "s3cret-t0ken-pasted-here";
        let cases = [
            format!("base-url = \"https://x\"\ntoken-env = {secret}\n"),
            format!("timeout = \"{secret}\"\n"),
            format!("token-env = \"{secret}\" extra\n"),
        ];
        for text in cases {
            let error = load(&text).expect_err("invalid").to_string();
            assert!(!error.contains(secret), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
            assert!(error.contains(".toml:"), "{error}");
        }
        let error = load(&format!("\n\ntimeout = \"{secret}\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(":3:11: invalid type: string \"…\", expected u64"),
            "{error}"
        );
    }

    #[test]
    fn a_device_or_oversized_file_is_refused_before_parsing() {
        #[cfg(unix)]
        assert!(matches!(
            FileConfig::load(Path::new("/dev/zero")),
            Err(ConfigError::Read(FileError::NotAFile { .. }))
        ));
        let huge = format!("# {}\n", "x".repeat(CONFIG_LIMIT as usize));
        assert!(matches!(
            load(&huge),
            Err(ConfigError::Read(FileError::TooLarge { .. }))
        ));
    }
}
