//! `scimcheck serve`: the mock in the foreground, for CI scripts and for the developers of a
//! provisioning client. It says when it is ready by writing an env file a shell can source,
//! loads a seed, records what clients send, switches faults through its admin route, and
//! speaks HTTPS with a certificate it makes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use crate::cli::{Print, ServeArgs};
use crate::files::{self, FileError};
use crate::mock::{
    Fault, MockConfig, MockServer, MockTls, RecordedRequest, Seed, SeedError, TlsError,
    UnknownName, Variation,
};

/// The largest seed file read.
const SEED_LIMIT: u64 = 16 * 1024 * 1024;

/// Why `serve` stopped before serving, or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    UnknownName(#[from] UnknownName),
    #[error("{0} is not set")]
    MissingVariable(String),
    #[error("failed to read the seed")]
    ReadSeed(#[source] FileError),
    #[error("the seed {path}")]
    Seed {
        path: String,
        #[source]
        source: SeedError,
    },
    #[error("failed to listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("failed to wait for a signal")]
    Signal(#[source] std::io::Error),
}

/// Runs `serve` until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    if args.list_faults || args.list_variations {
        list(args.list_faults);
        return Ok(());
    }
    let mut config = MockConfig::named(&args.fault, &args.variation)?;
    config.latency = args.latency;
    config.rate_limit = args.rate_limit;
    config.scim_token = match &args.token_env {
        Some(var) => Some(
            std::env::var(var)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| ServeError::MissingVariable(var.clone()))?,
        ),
        None => args.scim_token.clone(),
    };
    config.api_key.clone_from(&args.api_key);
    config
        .other_tenant_token
        .clone_from(&args.other_tenant_token);
    config.admin_token.clone_from(&args.admin_token);
    if let Some(lifetime) = args.oauth_token_lifetime {
        config.oauth.token_lifetime = lifetime;
    }
    config.record_requests = args.record.is_some();
    let seed = args.seed.as_deref().map(read_seed).transpose()?;
    // Opened before the server is announced: a path that cannot be written stops it early.
    let mut record = args.record.as_deref().map(create_private).transpose()?;
    let listen = |source| ServeError::Listen {
        addr: args.addr,
        source,
    };
    let (server, ca_file) = if args.tls {
        let tls = MockTls::generate()?;
        write_atomically(&args.ca_out, tls.ca_pem())?;
        let server = MockServer::start_tls(config, args.addr, &tls)
            .await
            .map_err(listen)?;
        (
            server,
            Some(std::path::absolute(&args.ca_out).unwrap_or(args.ca_out.clone())),
        )
    } else {
        let server = MockServer::start(config, args.addr).await.map_err(listen)?;
        (server, None)
    };
    if let (Some(seed), Some(path)) = (&seed, &args.seed) {
        server.seed(seed).map_err(|source| ServeError::Seed {
            path: path.display().to_string(),
            source,
        })?;
    }
    // The listener is bound and served from here on: this is the readiness signal.
    let env = env_lines(&server, ca_file.as_deref());
    if let Some(path) = &args.env_file {
        write_atomically(path, &env)?;
    }
    match args.print {
        Print::Env => print!("{env}"),
        Print::Human => print_human(&server, &args, ca_file.as_deref()),
    }
    let _ = std::io::stdout().flush();
    let stopped = stop_signal();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            stopped = &mut stopped => {
                stopped?;
                break;
            }
            () = server.requests_arrived(), if record.is_some() => {
                if let (Some(file), Some(path)) = (&mut record, &args.record) {
                    append(file, path, &server.take_requests())?;
                }
            }
        }
    }
    let rest = server.take_requests();
    server.shutdown().await;
    if let (Some(file), Some(path)) = (&mut record, &args.record) {
        append(file, path, &rest)?;
    }
    Ok(())
}

fn list(faults: bool) {
    let listed: Vec<_> = if faults {
        Fault::ALL
            .iter()
            .map(|f| (f.name(), f.rfc(), f.description()))
            .collect()
    } else {
        Variation::ALL
            .iter()
            .map(|v| (v.name(), v.rfc(), v.description()))
            .collect()
    };
    for (name, rfc, description) in listed {
        println!("{name:<34} {rfc:<18} {description}");
    }
}

fn print_human(server: &MockServer, args: &ServeArgs, ca_file: Option<&Path>) {
    let credentials = server.credentials();
    println!("SCIM base URL:       {}", server.base_url());
    match &args.token_env {
        Some(var) => println!("SCIM bearer token:   (from {var})"),
        None => println!("SCIM bearer token:   {}", credentials.scim_token),
    }
    println!("API key (non-SCIM):  {}", credentials.api_key);
    println!("other tenant token:  {}", credentials.other_tenant_token);
    println!("admin route:         {}", server.admin_url());
    println!("admin token:         {}", credentials.admin_token);
    println!("revoked SCIM token:  {}", credentials.revoked_token);
    println!("OAuth token URL:     {}", server.oauth_token_url());
    println!("OAuth client id:     {}", credentials.oauth_client_id);
    println!("OAuth client secret: {}", credentials.oauth_client_secret);
    if let Some(ca) = ca_file {
        println!("CA certificate:      {}", ca.display());
    }
    if !args.fault.is_empty() {
        println!("faults on:           {}", args.fault.join(", "));
    }
    if !args.variation.is_empty() {
        println!("variations on:       {}", args.variation.join(", "));
    }
    println!("Ctrl-C to stop.");
}

/// Ctrl-C or SIGTERM (what CI sends a background job).
async fn stop_signal() -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.map_err(ServeError::Signal),
        _ = terminate.recv() => Ok(()),
    }
}

fn read_seed(path: &Path) -> Result<Seed, ServeError> {
    let text = files::read_text(path, SEED_LIMIT).map_err(ServeError::ReadSeed)?;
    Seed::from_json(&text).map_err(|source| ServeError::Seed {
        path: path.display().to_string(),
        source,
    })
}

/// The variables a client of this server needs, as lines a POSIX shell can source.
fn env_lines(server: &MockServer, ca_file: Option<&Path>) -> String {
    let credentials = server.credentials();
    let mut variables = vec![
        ("SCIMCHECK_URL", server.base_url().to_owned()),
        ("SCIMCHECK_TOKEN", credentials.scim_token.clone()),
        ("SCIMCHECK_API_KEY", credentials.api_key.clone()),
        (
            "SCIMCHECK_OTHER_TENANT_TOKEN",
            credentials.other_tenant_token.clone(),
        ),
        ("SCIMCHECK_ADMIN_URL", server.admin_url()),
        ("SCIMCHECK_ADMIN_TOKEN", credentials.admin_token.clone()),
        ("SCIMCHECK_REVOKED_TOKEN", credentials.revoked_token.clone()),
        ("SCIMCHECK_OAUTH_TOKEN_URL", server.oauth_token_url()),
        (
            "SCIMCHECK_OAUTH_CLIENT_ID",
            credentials.oauth_client_id.clone(),
        ),
        (
            "SCIMCHECK_OAUTH_CLIENT_SECRET",
            credentials.oauth_client_secret.clone(),
        ),
    ];
    if let Some(ca) = ca_file {
        variables.push(("SCIMCHECK_CA_CERT", ca.display().to_string()));
    }
    let mut out = String::new();
    for (name, value) in variables {
        let _ = writeln!(out, "export {name}={}", shell_quote(&value));
    }
    out
}

/// `value` in single quotes, each `'` in it written `'\''`: nothing inside is expanded.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Only the owner may read what holds tokens.
fn create_private(path: &Path) -> Result<std::fs::File, ServeError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| write_error(path, source))
}

/// Writes a sibling file and renames it over `path`, so a reader never sees half of it.
fn write_atomically(path: &Path, text: &str) -> Result<(), ServeError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = create_private(&temporary)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| {
            let _ = std::fs::remove_file(&temporary);
            write_error(path, source)
        })
}

/// One JSON line per exchange, flushed at once: a client's test reads it while we run.
fn append(
    file: &mut std::fs::File,
    path: &Path,
    exchanges: &[RecordedRequest],
) -> Result<(), ServeError> {
    let mut lines = String::new();
    for exchange in exchanges {
        // A struct of strings and JSON values always serializes.
        let line = serde_json::to_string(exchange).unwrap_or_default();
        lines.push_str(&line);
        lines.push('\n');
    }
    file.write_all(lines.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|source| write_error(path, source))
}

fn write_error(path: &Path, source: std::io::Error) -> ServeError {
    ServeError::Write {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_come_back_unchanged_from_a_posix_shell() {
        let values = [
            "plain",
            "it's",
            "'",
            "$HOME `id` $(id) \\n \"x\"",
            "two\nlines",
            "",
            "a b\tc",
        ];
        let mut script = String::new();
        for (i, value) in values.iter().enumerate() {
            let _ = writeln!(script, "export V{i}={}", shell_quote(value));
        }
        for i in 0..values.len() {
            let _ = writeln!(script, "printf '%s\\0' \"$V{i}\"");
        }
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh runs");
        assert!(output.status.success(), "{output:?}");
        let printed = String::from_utf8(output.stdout).expect("UTF-8");
        let back: Vec<&str> = printed.split('\0').collect();
        assert_eq!(&back[..values.len()], values.as_slice());
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole_and_leaves_nothing_beside_it() {
        let dir = std::env::temp_dir().join(format!("scimcheck-env-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("mock.env");
        std::fs::write(&path, "old").expect("written");
        write_atomically(&path, "export A='1'\n").expect("replaced");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "export A='1'\n"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let entries = std::fs::read_dir(&dir).expect("listed").count();
        assert_eq!(entries, 1);
        let missing = dir.join("no-such-folder").join("mock.env");
        assert!(matches!(
            write_atomically(&missing, "x"),
            Err(ServeError::Write { .. })
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
