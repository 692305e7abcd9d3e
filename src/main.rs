//! The `scimcheck` command line: flags are parsed and checked once here, then handed to the
//! library as a configuration it can trust.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;

use scimcheck::case::{Case, CaseError};
use scimcheck::check::schema::SchemaRegistry;
use scimcheck::cli::{
    self, Cli, Color, Command, CompareArgs, ListArgs, ListFormat, LoadArgs, OutputFormat, RunArgs,
    SweepArgs, TargetArgs,
};
use scimcheck::compare::Gate;
use scimcheck::config::FileConfig;
use scimcheck::contract::Contract;
use scimcheck::exec::client::{ClientOptions, Credentials, Target};
use scimcheck::exec::ledger::{Entry, Event, Ledger};
use scimcheck::exec::oauth::OAuthSettings;
use scimcheck::exec::sweep;
use scimcheck::files::{self, CA_LIMIT, TOKEN_LIMIT};
use scimcheck::mock::{MockConfig, MockServer};
use scimcheck::plan::PlanError;
use scimcheck::report;
use scimcheck::suite::{self, SuiteError};
use scimcheck::{Output, RunConfig};

/// Exit codes: conformance failures and configuration errors are told apart (the run's own
/// codes, 0, 1, 3, 4 and 130, are the verdict's: see `scimcheck::report::verdict`).
const EXIT_FAILURES: u8 = 1;
const EXIT_CONFIG: u8 = 2;
/// What a shell reports for a process a closed pipe stopped (128 + SIGPIPE).
const EXIT_BROKEN_PIPE: u8 = 141;

/// The configuration file, if one is named or present, with its values filled in where no
/// flag gave one.
fn merge_file(target: &mut TargetArgs, load: &mut LoadArgs) -> Result<FileConfig> {
    let path = match &target.config {
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from("scimcheck.toml")).filter(|p| p.is_file()),
    };
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let file = FileConfig::load(&path)?;
    if target.token.is_none() && target.token_env.is_none() && target.token_file.is_none() {
        target.token_env.clone_from(&file.token_env);
        target.token_file.clone_from(&file.token_file);
    }
    load.timeout = load.timeout.or(file.timeout);
    load.concurrency = load.concurrency.or(file.concurrency);
    load.rate = load.rate.or(file.rate);
    load.retries = load.retries.or(file.retries);
    load.max_body = load.max_body.or(file.max_body);
    Ok(file)
}

/// The client's options from the flags and the file, each checked against its range.
fn client_options(target: &TargetArgs, load: &LoadArgs, verbose: bool) -> Result<ClientOptions> {
    if target.insecure {
        eprintln!("warning: --insecure: TLS certificates are not verified");
    }
    let ca_certificates = match &target.ca_cert {
        Some(path) => vec![files::read(path, CA_LIMIT)?],
        None => Vec::new(),
    };
    let defaults = ClientOptions::default();
    let options = ClientOptions {
        timeout: load.timeout.map_or(defaults.timeout, Duration::from_secs),
        concurrency: load.concurrency,
        rate: load.rate,
        retries: load.retries.unwrap_or(defaults.retries),
        ca_certificates,
        insecure: target.insecure,
        verbose,
        max_body: load.max_body.unwrap_or(defaults.max_body),
    };
    options.check()?;
    Ok(options)
}

fn scim_token(target: &TargetArgs) -> Result<String> {
    if let Some(token) = &target.token {
        eprintln!(
            "warning: a token on the command line is visible to other users; prefer --token-env or --token-file"
        );
        return Ok(token.clone());
    }
    if let Some(path) = &target.token_file {
        let token = files::read_text(path, TOKEN_LIMIT)?;
        return non_empty(token.trim(), &path.display().to_string());
    }
    let var = target.token_env.as_deref().unwrap_or("SCIMCHECK_TOKEN");
    let token = std::env::var(var).map_err(|_| {
        anyhow!(
            "no SCIM token: set {}, or pass --token-env VAR or --token-file PATH",
            variable_name(var)
        )
    })?;
    non_empty(token.trim(), &variable_name(var))
}

/// The OAuth client the flags and the file describe, its secret read from its variable or
/// file; `None` without a token URL.
fn oauth_settings(args: &cli::OAuthArgs) -> Result<Option<OAuthSettings>> {
    let Some(token_url) = &args.oauth_token_url else {
        if args.oauth_client_id.is_some()
            || args.oauth_client_secret_env.is_some()
            || args.oauth_client_secret_file.is_some()
        {
            bail!("an OAuth client id or secret was given without --oauth-token-url");
        }
        return Ok(None);
    };
    let Some(client_id) = &args.oauth_client_id else {
        bail!("--oauth-token-url needs --oauth-client-id (or oauth-client-id in scimcheck.toml)");
    };
    let client_secret = if let Some(path) = &args.oauth_client_secret_file {
        let secret = files::read_text(path, TOKEN_LIMIT)?;
        non_empty(secret.trim(), &path.display().to_string())?
    } else if let Some(var) = &args.oauth_client_secret_env {
        optional_env(Some(var))?.unwrap_or_default()
    } else {
        bail!(
            "--oauth-token-url needs --oauth-client-secret-env VAR or --oauth-client-secret-file PATH"
        );
    };
    Ok(Some(OAuthSettings {
        token_url: token_url.clone(),
        client_id: client_id.clone(),
        client_secret,
        scope: args.oauth_scope.clone(),
        audience: args.oauth_audience.clone(),
        client_auth: args.oauth_client_auth.unwrap_or_default(),
    }))
}

/// The embedded mock's own OAuth client (`--mock-oauth`).
fn mock_oauth_settings(mock: &MockServer) -> OAuthSettings {
    let issued = mock.credentials();
    OAuthSettings {
        token_url: mock.oauth_token_url(),
        client_id: issued.oauth_client_id.clone(),
        client_secret: issued.oauth_client_secret.clone(),
        scope: None,
        audience: None,
        client_auth: Default::default(),
    }
}

/// Every environment variable scimcheck reads is read here or in `scim_token`.
fn ledger_path(target: &TargetArgs) -> PathBuf {
    if let Some(path) = &target.ledger {
        return path.clone();
    }
    if let Some(path) = std::env::var_os("SCIMCHECK_LEDGER") {
        return PathBuf::from(path);
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    state.join("scimcheck").join("ledger.jsonl")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A listing cut short by its reader is what the reader asked for; a run or a sweep cut short
    // lost its verdict, which must not read as success.
    let cut_short = match &cli.command {
        Command::Run(_) | Command::Sweep(_) | Command::Compare(_) => {
            ExitCode::from(EXIT_BROKEN_PIPE)
        }
        Command::List(_) | Command::Serve(_) | Command::CaseSchema | Command::Snapshots(_) => {
            ExitCode::SUCCESS
        }
    };
    quiet_on_broken_pipe();
    // A reader that stops reading (`scimcheck list | head -1`) is not an error. Printing then
    // panics (in `println!` or in libtest-mimic's printer); by the time the panic reaches here
    // every trial has finished and cleaned up, since trials run in a scope that joins them.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cli.command {
        Command::Run(args) => run(*args),
        Command::List(args) => list(&args).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => runtime()
            .and_then(|runtime| Ok(runtime.block_on(scimcheck::serve::serve(args))?))
            .map(|()| ExitCode::SUCCESS),
        Command::Sweep(args) => sweep(args),
        Command::Compare(args) => compare(*args),
        Command::CaseSchema => case_schema().map(|()| ExitCode::SUCCESS),
        Command::Snapshots(args) => snapshots(args.action).map(|()| ExitCode::SUCCESS),
    }));
    match outcome {
        Ok(outcome) => outcome.unwrap_or_else(|error| {
            report_error(&error);
            ExitCode::from(error_exit_code(&error))
        }),
        Err(panic) if is_broken_pipe(panic.as_ref()) => cut_short,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Whether a panic is a write to a closed stdout or stderr (EPIPE): `println!`'s "failed
/// printing to stdout: Broken pipe", or an unwrapped `io::Error` of kind `BrokenPipe`.
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    message.contains("kind: BrokenPipe")
        || (message.starts_with("failed printing to std") && message.contains("Broken pipe"))
}

/// Keeps the panic message of a closed pipe off stderr; every other panic is reported as usual.
fn quiet_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            report(info);
        }
    }));
}

/// A target that did not answer before any case ran is no verdict (as a case that gets no
/// answer is), not a configuration error: a gate can tell "fix the setup" from "the target or
/// the network was down".
fn error_exit_code(error: &anyhow::Error) -> u8 {
    match error.downcast_ref::<SuiteError>() {
        Some(SuiteError::Plan(PlanError::Unreachable(error)) | SuiteError::Client(error))
            if error.unanswered() =>
        {
            report::verdict::EXIT_NO_VERDICT
        }
        _ => EXIT_CONFIG,
    }
}

/// Case-file problems are shown with their source; everything else in one line.
fn report_error(error: &anyhow::Error) {
    if let Some(SuiteError::Cases(CaseError::Invalid(diagnostics))) = error.downcast_ref() {
        for diagnostic in diagnostics {
            eprintln!("{}", diagnostic.render());
        }
        eprintln!(
            "error: {} problem(s) in case files; nothing was run",
            diagnostics.len()
        );
    } else {
        // The message may quote what a target sent.
        eprintln!(
            "error: {}",
            scimcheck::redact::printable(&format!("{error:#}"))
        );
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

fn run(mut args: RunArgs) -> Result<ExitCode> {
    let file = merge_file(&mut args.target, &mut args.load)?;
    if args.base_url.is_none()
        && args.mock_fault.is_empty()
        && args.mock_variation.is_empty()
        && !args.mock_oauth
    {
        args.base_url.clone_from(&file.base_url);
    }
    args.oauth.or_file(&file);
    args.revoked_token_env = args.revoked_token_env.or(file.revoked_token_env.clone());
    args.api_key_env = args.api_key_env.or(file.api_key_env.clone());
    args.other_tenant_token_env = args
        .other_tenant_token_env
        .or(file.other_tenant_token_env.clone());
    let outputs = outputs(&args)?;
    let contract = args
        .contract
        .as_ref()
        .or(file.contract.as_ref())
        .map(|path| Contract::load(path).map(Arc::new))
        .transpose()?;
    // Read before the first request: a baseline that cannot be read is a configuration error.
    let baseline = args
        .baseline
        .as_deref()
        .map(scimcheck::compare::RunRecord::load)
        .transpose()?;
    let runtime = runtime()?;
    let oauth = oauth_settings(&args.oauth)?;
    let Connected {
        base_url,
        credentials,
        name: default_target,
        ledger,
        mock,
    } = connect(
        &runtime,
        args.base_url.as_deref(),
        || {
            Ok(Credentials {
                // An OAuth client fetches the SCIM token instead (see `oauth_settings`).
                scim: match oauth {
                    Some(_) => String::new(),
                    None => scim_token(&args.target)?,
                },
                api_key: optional_env(args.api_key_env.as_deref())?,
                other_tenant: optional_env(args.other_tenant_token_env.as_deref())?,
            })
        },
        (&args.mock_fault, &args.mock_variation),
        ledger_path(&args.target),
    )?;
    let (oauth, revoked) = match &mock {
        Some(mock) => (
            args.mock_oauth.then(|| mock_oauth_settings(mock)),
            Some(mock.credentials().revoked_token.clone()),
        ),
        None => (oauth, optional_env(args.revoked_token_env.as_deref())?),
    };
    // A contract changes what the run sends (its fills, its skips), so its snapshots are its
    // own: `snapshots/mock+lightstep`, never the plain target's.
    let default_target = match &contract {
        Some(contract) => format!("{default_target}+{}", folder_name(&contract.name)),
        None => default_target,
    };
    let target_name = args.target_name.clone().unwrap_or(default_target);
    let snapshot_dir = args
        .snapshot_dir
        .clone()
        .unwrap_or_else(|| Path::new("snapshots").join(&target_name));
    let snapshot_dir = (args.snapshots || snapshot_dir.is_dir()).then_some(snapshot_dir);
    let mut config = RunConfig::builder(base_url, credentials)
        .cases(args.cases.source())
        .client(client_options(&args.target, &args.load, args.verbose)?)
        .read_only(args.read_only)
        .select(args.select.selector())
        .profile(args.profile)
        .fail_on(args.fail_on)
        .interrupt_flag(interrupt_on_signals(&runtime)?)
        .output(match args.format {
            OutputFormat::Pretty => Output::Pretty,
            OutputFormat::Terse => Output::Terse,
            OutputFormat::Json => Output::Json,
        });
    if let Some(dir) = snapshot_dir {
        config = config.snapshots(dir);
    }
    if args.snapshots {
        config = config.record_steps();
    }
    if let Some(ledger) = ledger {
        config = config.ledger(ledger);
    }
    if let Some(oauth) = oauth {
        config = config.oauth(oauth);
    }
    if let Some(revoked) = revoked {
        config = config.revoked_token(revoked);
    }
    for (capability, present) in file.capability_overrides() {
        config = config.capability(capability, present);
    }
    for (id, reason) in &file.skip {
        config = config.skip_case(id, reason);
    }
    if let Some(path) = &file.path {
        config = config.skip_origin(format!("[skip] in {}", path.display()));
    }
    // Flags win over the contract's own limits, which `contract` applies otherwise.
    if let Some(max) = args.max_creates {
        config = config.max_creates(max);
    }
    if let Some(window) = args.settle {
        config = config.settle(window);
    }
    if let Some(contract) = contract {
        config = config.contract(contract);
    }
    if let Some(jobs) = args.jobs {
        config = config.test_threads(usize::from(jobs));
    }
    match args.color {
        Color::Always => config = config.color(true),
        Color::Never => config = config.color(false),
        Color::Auto => {}
    }
    let mut outcome = runtime.block_on(scimcheck::run(config.build()?))?;
    for warning in &outcome.facts.warnings {
        eprintln!("warning: {warning}");
    }
    outcome.facts.fail_on_drift = args.fail_on_drift;
    outcome.facts.gate = Gate::new(
        &file.accept,
        baseline,
        time::OffsetDateTime::now_utc().date(),
    );
    let report = outcome.report();
    for (path, writer) in &outputs {
        let text = report::render(writer.as_ref(), &report);
        std::fs::write(path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    let summary = report::render(&report::console::Console, &report);
    // With `--format json`, stdout is libtest's JSON stream and nothing else.
    if args.format == OutputFormat::Json {
        eprint!("{summary}");
    } else {
        eprintln!(
            "capabilities advertised: {}\ncapability matrix: {}",
            outcome.facts.capabilities.join(", "),
            outcome.facts.capability_matrix
        );
        print!("{summary}");
    }
    Ok(ExitCode::from(report.verdict.exit_code))
}

/// A target ready to run against: a base URL with its credentials, or the embedded mock
/// started with its faults and variations (kept alive as long as this is).
struct Connected {
    base_url: String,
    credentials: Credentials,
    /// The snapshot folder's default name: `mock`, or the base URL's host.
    name: String,
    /// A live target's cleanup ledger; the mock keeps none.
    ledger: Option<PathBuf>,
    mock: Option<MockServer>,
}

fn connect(
    runtime: &tokio::runtime::Runtime,
    base_url: Option<&str>,
    credentials: impl FnOnce() -> Result<Credentials>,
    (faults, variations): (&[String], &[String]),
    ledger: PathBuf,
) -> Result<Connected> {
    if let Some(url) = base_url {
        return Ok(Connected {
            base_url: url.to_owned(),
            credentials: credentials()?,
            name: host_name(url),
            ledger: Some(ledger),
            mock: None,
        });
    }
    let config = MockConfig::named(faults, variations)?;
    let server = runtime
        .block_on(MockServer::start(
            config,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .context("failed to start the embedded mock server")?;
    eprintln!(
        "scimcheck: embedded mock SCIM server at {}",
        server.base_url()
    );
    Ok(Connected {
        base_url: server.base_url().to_owned(),
        credentials: suite::mock_credentials(&server),
        name: "mock".to_owned(),
        ledger: None,
        mock: Some(server),
    })
}

/// `scimcheck compare`: both sides run one after the other (never at once, so that neither
/// target's throttling shows in the other's results), then B is compared with A.
fn compare(mut args: CompareArgs) -> Result<ExitCode> {
    use scimcheck::compare::diff::Discovery;
    use scimcheck::compare::{self, RunRecord};
    use scimcheck::redact::Redactor;

    for path in &args.report {
        check_writable(path)?;
    }
    let (comparison, redactors) = if let [a, b] = &args.results[..] {
        let (a, b) = (RunRecord::load(a)?, RunRecord::load(b)?);
        (compare::compare(&a, &b, None), Vec::new())
    } else {
        let file = merge_file(&mut args.target, &mut args.load)?;
        if args.base_url.is_none() && args.mock_fault.is_empty() && args.mock_variation.is_empty() {
            args.base_url.clone_from(&file.base_url);
        }
        let runtime = runtime()?;
        let interrupted = interrupt_on_signals(&runtime)?;
        let client = client_options(&args.target, &args.load, args.verbose)?;
        let ledger = ledger_path(&args.target);
        // Each side follows its own contract, as `run` would: B's is A's unless given.
        let load = |path: Option<&PathBuf>| -> Result<Option<Arc<Contract>>> {
            Ok(path.map(|p| Contract::load(p)).transpose()?.map(Arc::new))
        };
        let contract_a = load(args.contract.as_ref().or(file.contract.as_ref()))?;
        let contract_b = match &args.against_contract {
            Some(path) => load(Some(path))?,
            None => contract_a.clone(),
        };
        let side = |connected: Connected,
                    contract: Option<Arc<Contract>>|
         -> Result<(RunRecord, Option<Discovery>, Redactor)> {
            // Both sides with their SCIM token alone: an API key or another tenant's token on
            // one side only would show as cases skipped on the other.
            let credentials = Credentials {
                api_key: None,
                other_tenant: None,
                ..connected.credentials
            };
            let mut config = RunConfig::builder(connected.base_url, credentials)
                .cases(args.cases.source())
                .client(client.clone())
                .read_only(args.read_only)
                .select(args.select.selector())
                .profile(scimcheck::check::Profile::Strict)
                .fail_on(report::FailOn::Any)
                .interrupt_flag(Arc::clone(&interrupted))
                .output(Output::Terse)
                .record_steps();
            if let Some(ledger) = connected.ledger {
                config = config.ledger(ledger);
            }
            if let Some(contract) = contract {
                config = config.contract(contract);
            }
            for (capability, present) in file.capability_overrides() {
                config = config.capability(capability, present);
            }
            for (id, reason) in &file.skip {
                config = config.skip_case(id, reason);
            }
            if let Some(path) = &file.path {
                config = config.skip_origin(format!("[skip] in {}", path.display()));
            }
            let outcome = runtime.block_on(scimcheck::run(config.build()?))?;
            if outcome.facts.interrupted {
                bail!("interrupted: nothing compared; what the runs created was cleaned up");
            }
            let record = RunRecord::of(&outcome.report());
            Ok((
                record,
                outcome.capabilities.published_schemas,
                outcome.facts.redactor,
            ))
        };
        // A's snapshot folder stands in for A: it is not called.
        let from_snapshots = args
            .snapshots_of
            .as_deref()
            .map(RunRecord::from_snapshots)
            .transpose()?;
        let a = match from_snapshots {
            Some(_) => None,
            None => Some(connect(
                &runtime,
                args.base_url.as_deref(),
                || {
                    Ok(Credentials {
                        scim: scim_token(&args.target)?,
                        api_key: None,
                        other_tenant: None,
                    })
                },
                (&args.mock_fault, &args.mock_variation),
                ledger.clone(),
            )?),
        };
        let b = connect(
            &runtime,
            args.against_url.as_deref(),
            || {
                let var = args
                    .against_token_env
                    .as_deref()
                    .ok_or_else(|| anyhow!("--against-url needs --against-token-env VAR"))?;
                Ok(Credentials {
                    scim: optional_env(Some(var))?.unwrap_or_default(),
                    api_key: None,
                    other_tenant: None,
                })
            },
            (&args.against_mock_fault, &args.against_mock_variation),
            ledger,
        )?;
        let Some(a) = a else {
            let record_a = from_snapshots.unwrap_or_default();
            let (record_b, _, redactor_b) = side(b, contract_b)?;
            return finish(
                &compare::compare(&record_a, &record_b, None),
                &[redactor_b],
                &args.report,
            );
        };
        if args.inventory {
            return data(
                &runtime,
                (&a, &b),
                &client,
                args.sample,
                args.map.as_deref(),
            );
        }
        let (record_a, discovery_a, redactor_a) = side(a, contract_a)?;
        let (record_b, discovery_b, redactor_b) = side(b, contract_b)?;
        let discovery = discovery_a.as_ref().zip(discovery_b.as_ref());
        (
            compare::compare(&record_a, &record_b, discovery),
            vec![redactor_a, redactor_b],
        )
    };
    finish(&comparison, &redactors, &args.report)
}

/// `scimcheck snapshots review|accept|reject`.
fn snapshots(action: cli::SnapshotAction) -> Result<()> {
    use scimcheck::check::snapshot::Pending;
    let (selection, review) = match &action {
        cli::SnapshotAction::Review(p) => (p, true),
        cli::SnapshotAction::Accept(p) | cli::SnapshotAction::Reject(p) => (p, false),
    };
    let dir = &selection.dir;
    let pending = Pending::find(dir, &selection.cases)?;
    if pending.is_empty() {
        println!("no pending snapshot below {}", dir.display());
        return Ok(());
    }
    let ask = review && std::io::stdin().is_terminal();
    let (mut accepted, mut rejected) = (0, 0);
    for snapshot in &pending {
        let shown = |value: &Option<serde_json::Value>| {
            value
                .as_ref()
                .map_or_else(|| "absent".to_owned(), ToString::to_string)
        };
        // Accepted, rejected, or left pending.
        let decision = match &action {
            cli::SnapshotAction::Accept(_) => Some(true),
            cli::SnapshotAction::Reject(_) => Some(false),
            cli::SnapshotAction::Review(_) => {
                println!(
                    "{} step {} ({})",
                    snapshot.case,
                    snapshot.step,
                    snapshot.stem.display()
                );
                for (change, old, new) in snapshot.changes(dir)? {
                    // What a target sent, so shown, never obeyed by the terminal.
                    let line = format!("  {change}: {} → {}", shown(&old), shown(&new));
                    println!("{}", scimcheck::redact::printable(&line));
                }
                if ask {
                    print!("  [a]ccept, [r]eject or [s]kip? ");
                    std::io::Write::flush(&mut std::io::stdout())?;
                    let mut answer = String::new();
                    std::io::stdin().read_line(&mut answer)?;
                    match answer.trim() {
                        "a" => Some(true),
                        "r" => Some(false),
                        _ => None,
                    }
                } else {
                    None
                }
            }
        };
        match decision {
            Some(true) => {
                snapshot.accept(dir)?;
                accepted += 1;
            }
            Some(false) => {
                snapshot.reject(dir)?;
                rejected += 1;
            }
            None => {}
        }
    }
    match action {
        cli::SnapshotAction::Review(_) if !ask => println!(
            "{} pending snapshot(s); keep them with `scimcheck snapshots accept`, drop them with `scimcheck snapshots reject`",
            pending.len()
        ),
        _ => println!(
            "{accepted} accepted, {rejected} rejected, {} left pending",
            pending.len() - accepted - rejected
        ),
    }
    Ok(())
}

/// Writes a comparison's reports and prints it; exit 1 when B is somewhere worse.
fn finish(
    comparison: &scimcheck::compare::Comparison,
    redactors: &[scimcheck::redact::Redactor],
    reports: &[PathBuf],
) -> Result<ExitCode> {
    use scimcheck::report::comparison::{self, Format};
    for path in reports {
        let text = comparison::render(comparison, Format::of(path), redactors);
        std::fs::write(path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    print!(
        "{}",
        comparison::render(comparison, Format::Console, redactors)
    );
    Ok(
        if comparison.count(scimcheck::compare::Severity::Worse) == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FAILURES)
        },
    )
}

/// `compare --inventory`: read-only sampling and matching of both tenants' Users and Groups.
/// The console gets names and counts; values go only to the `--map` file.
fn data(
    runtime: &tokio::runtime::Runtime,
    (a, b): (&Connected, &Connected),
    client: &ClientOptions,
    sample: u32,
    map: Option<&Path>,
) -> Result<ExitCode> {
    use scimcheck::compare::{inventory, reconcile};
    if let Some(path) = map {
        check_writable(path)?;
    }
    let limit = sample as usize;
    let target_a = Target::new(&a.base_url, a.credentials.clone(), client)?;
    let target_b = Target::new(&b.base_url, b.credentials.clone(), client)?;
    let (users_a, groups_a, users_b, groups_b, schemas_b) = runtime.block_on(async {
        tokio::try_join!(
            inventory::sample(&target_a, "/Users", limit),
            inventory::sample(&target_a, "/Groups", limit),
            inventory::sample(&target_b, "/Users", limit),
            inventory::sample(&target_b, "/Groups", limit),
            inventory::discovery(&target_b, "/Schemas"),
        )
    })?;
    println!("scimcheck inventory (read-only; names and counts, never values)");
    println!(
        "  A: {}
  B: {}",
        target_a.base_url(),
        target_b.base_url()
    );
    for (kind, core, sampled) in [("Users", "User", &users_a), ("Groups", "Group", &groups_a)] {
        let total = sampled
            .total
            .map_or_else(String::new, |t| format!(" of {t}"));
        println!("  {kind} on A: {} sampled{total}", sampled.resources.len());
        for populated in inventory::populated(&sampled.resources, core, schemas_b.as_ref()) {
            let flag = match populated.undeclared {
                Some(true) => "  not declared on B",
                Some(false) => "",
                None => "  (B publishes no /Schemas)",
            };
            println!("    {:>7}  {}{flag}", populated.count, populated.path);
        }
    }
    let reconciled = reconcile::reconcile(
        (&users_a.resources, &users_b.resources),
        (&groups_a.resources, &groups_b.resources),
    );
    print!("{}", reconciled.summary());
    if let Some(path) = map {
        let csv = path.extension().is_some_and(|e| e == "csv");
        std::fs::write(path, reconciled.map(csv))
            .with_context(|| format!("failed to write {}", path.display()))?;
        println!(
            "  id map: {} ({} pair(s))",
            path.display(),
            reconciled.matched.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every report file with its writer, each path checked writable (its folder created) before
/// the first request, so that a typo costs nothing and never loses a run's verdict.
fn outputs(args: &RunArgs) -> Result<Vec<(PathBuf, Box<dyn report::Writer>)>> {
    let hostname = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    let mut outputs: Vec<(PathBuf, Box<dyn report::Writer>)> = Vec::new();
    if let Some(path) = &args.junit {
        outputs.push((path.clone(), Box::new(report::junit::Junit { hostname })));
    }
    for path in args.json.iter().chain(&args.write_baseline) {
        outputs.push((path.clone(), Box::new(report::json::Json)));
    }
    for path in &args.report {
        outputs.push((path.clone(), report::document_writer(path)));
    }
    for (path, _) in &outputs {
        check_writable(path)?;
    }
    Ok(outputs)
}

/// Creates the folder of `path` and proves the file can be written, without clobbering a
/// report already there (it is replaced only once the run has one to write).
fn check_writable(path: &Path) -> Result<()> {
    let fail = || format!("cannot write the report {}", path.display());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(fail)?;
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(fail)?;
    if !existed {
        std::fs::remove_file(path).with_context(fail)?;
    }
    Ok(())
}

/// The first Ctrl-C, SIGTERM or SIGHUP lets running cases stop and clean up; a second one
/// aborts at once.
fn interrupt_on_signals(runtime: &tokio::runtime::Runtime) -> Result<Arc<AtomicBool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    let _guard = runtime.enter();
    let mut terminate = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("failed to listen for SIGHUP")?;
    runtime.spawn(async move {
        let mut signals = 0;
        loop {
            tokio::select! {
                Ok(()) = tokio::signal::ctrl_c() => {}
                Some(()) = terminate.recv() => {}
                Some(()) = hangup.recv() => {}
                else => break,
            }
            signals += 1;
            if signals == 1 {
                flag.store(true, Ordering::Relaxed);
                eprintln!(
                    "\ninterrupted: cleaning up what the run created (Ctrl-C again to abort)"
                );
            } else {
                eprintln!("aborted: `scimcheck sweep` removes what is left");
                std::process::exit(130);
            }
        }
    });
    Ok(interrupted)
}

fn optional_env(var: Option<&str>) -> Result<Option<String>> {
    var.map(|var| {
        let value = std::env::var(var).map_err(|_| anyhow!("{} is not set", variable_name(var)))?;
        non_empty(value.trim(), &variable_name(var))
    })
    .transpose()
}

/// An environment variable's name as shown in messages. A value that does not look like one
/// (`FOO_TOKEN`) may be the token itself, pasted where its variable's name belongs: it is not
/// repeated.
fn variable_name(var: &str) -> String {
    let looks_like_a_name = var.len() <= 64
        && var.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && var
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if looks_like_a_name {
        var.to_owned()
    } else {
        "the variable whose name was given (not shown: it looks like a secret, not a name)"
            .to_owned()
    }
}

fn non_empty(token: &str, origin: &str) -> Result<String> {
    if token.is_empty() {
        bail!("the token from {origin} is empty");
    }
    Ok(token.to_owned())
}

/// A folder name for a target's snapshots: its host, port and path (two tenants of one host
/// differ by path), safe for any file system.
fn host_name(url: &str) -> String {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u
                .host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}-{p}")))?;
            let path = u.path().trim_matches('/').replace('/', "-");
            Some(if path.is_empty() {
                host
            } else {
                format!("{host}-{path}")
            })
        })
        .unwrap_or_else(|| "target".to_owned());
    folder_name(&host)
}

/// `name` safe as a folder name on any file system.
fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn list(args: &ListArgs) -> Result<()> {
    let schemas = SchemaRegistry::builtin()?;
    let cases = suite::load_cases(&args.cases.source(), &schemas)?;
    let selector = args.select.selector();
    selector.check(&cases)?;
    let selected: Vec<&Case> = cases.iter().filter(|c| selector.matches(c)).collect();
    match args.format {
        ListFormat::Json => println!("{:#}", cli::list::json(&selected)),
        ListFormat::Table => {
            // Cut to the terminal's width; a pipe gets whole lines, for grep.
            let width = std::io::stdout()
                .is_terminal()
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(width, _)| usize::from(width.0));
            print!("{}", cli::list::table(&selected, cases.len(), width));
        }
    }
    Ok(())
}

fn sweep(mut args: SweepArgs) -> Result<ExitCode> {
    let file = merge_file(&mut args.target, &mut args.load)?;
    args.oauth.or_file(&file);
    let base_url = args
        .base_url
        .or(file.base_url)
        .ok_or_else(|| anyhow!("sweep needs --base-url (or base-url in scimcheck.toml)"))?;
    let oauth = oauth_settings(&args.oauth)?;
    let credentials = Credentials {
        scim: match oauth {
            Some(_) => String::new(),
            None => scim_token(&args.target)?,
        },
        api_key: None,
        other_tenant: None,
    };
    let options = client_options(&args.target, &args.load, args.verbose)?;
    let mut target = Target::new(&base_url, credentials, &options)?;
    if let Some(oauth) = oauth {
        target = target.with_oauth(oauth, options.insecure)?;
    }
    // Everything printed names what a target returned, which may echo a secret.
    let say = |text: String| {
        let text = target.redactor().redact(&text);
        println!("{}", scimcheck::redact::printable(&text));
    };
    let ledger_path = ledger_path(&args.target);
    let runtime = runtime()?;
    runtime.block_on(target.authenticate())?;
    let plan = runtime.block_on(sweep::find(&target, Some(&ledger_path), &args.prefix))?;
    if !plan.skipped.is_empty() {
        say(format!("left alone {} candidate(s):", plan.skipped.len()));
        for why in &plan.skipped {
            say(format!("  {why}"));
        }
    }
    // What is deleted, or found gone, is recorded so that no later sweep asks again; a dry
    // run writes nothing.
    let writes = !args.dry_run && (!plan.gone.is_empty() || !plan.leftovers.is_empty());
    let ledger = writes.then(|| Ledger::open(&ledger_path)).transpose()?;
    let record = |leftover: &sweep::Leftover| {
        let entry = Entry {
            event: Event::Deleted,
            target: target.base_url().to_owned(),
            url: leftover.url.to_string(),
            id: leftover.id.clone(),
            name: None,
            run: "sweep".to_owned(),
        };
        ledger
            .as_ref()
            .map_or(Ok(()), |ledger| ledger.append(&entry))
    };
    for gone in &plan.gone {
        record(gone)?;
    }
    let leftovers = plan.leftovers;
    if leftovers.is_empty() {
        say(format!("nothing to sweep on {}", target.base_url()));
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleting"
    };
    say(format!("{verb} {} resource(s):", leftovers.len()));
    for leftover in &leftovers {
        say(format!("  {}  ({})", leftover.url, leftover.label));
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let mut failures = 0;
    for (leftover, answer) in leftovers
        .iter()
        .zip(runtime.block_on(sweep::delete(&target, &leftovers)))
    {
        match answer {
            Ok(status) if (200..300).contains(&status) || status == 404 => {
                record(leftover)?;
            }
            Ok(status) => {
                failures += 1;
                say(format!("  DELETE {} answered {status}", leftover.url));
            }
            Err(error) => {
                failures += 1;
                say(format!("  {error}"));
            }
        }
    }
    say(format!(
        "deleted {} of {}",
        leftovers.len() - failures,
        leftovers.len()
    ));
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURES)
    })
}

fn case_schema() -> Result<()> {
    let schema = serde_json::to_string_pretty(&scimcheck::case::model::case_json_schema())?;
    println!("{schema}");
    Ok(())
}
