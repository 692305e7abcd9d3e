//! The `scimcheck` command line: flags are parsed and checked once here, then handed to the
//! library as a configuration it can trust.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};

use scimcheck::case::CaseError;
use scimcheck::check::Profile;
use scimcheck::check::schema::SchemaRegistry;
use scimcheck::config::FileConfig;
use scimcheck::contract::Contract;
use scimcheck::exec::client::{ClientOptions, Credentials, Target};
use scimcheck::exec::ledger::{Entry, Event, Ledger};
use scimcheck::exec::sweep;
use scimcheck::files::{self, CA_LIMIT, TOKEN_LIMIT};
use scimcheck::mock::{Fault, MockConfig, MockServer, Variation};
use scimcheck::plan::PlanOptions;
use scimcheck::report::{self, FailOn, RunReport};
use scimcheck::suite::{self, CaseSource, SuiteConfig, SuiteError};

/// Exit codes: conformance failures and configuration errors are told apart (the run's own
/// codes, 0, 1 and 130, are the verdict's: see `scimcheck::report::verdict`).
const EXIT_FAILURES: u8 = 1;
const EXIT_CONFIG: u8 = 2;
/// What a shell reports for a process a closed pipe stopped (128 + SIGPIPE).
const EXIT_BROKEN_PIPE: u8 = 141;

#[derive(Parser)]
#[command(
    name = "scimcheck",
    version,
    about = "SCIM 2.0 conformance test harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the cases against a SCIM server (the embedded mock when no --base-url is given).
    Run(Box<RunArgs>),
    /// List the cases with their level, RFC sections, requirements and tags.
    List(ListArgs),
    /// Run the embedded mock SCIM server in the foreground until Ctrl-C.
    Serve(ServeArgs),
    /// Find and delete what earlier runs left on a target (from the ledger and by prefix).
    Sweep(SweepArgs),
    /// Print the JSON Schema of the case file format (published as schemas/case.schema.json).
    CaseSchema,
}

/// How to reach and authenticate to a target, and how hard to push it.
#[derive(Args)]
struct TargetArgs {
    /// Environment variable holding the SCIM bearer token [default: SCIMCHECK_TOKEN].
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// File holding the SCIM bearer token.
    #[arg(long, value_name = "PATH", conflicts_with = "token_env")]
    token_file: Option<PathBuf>,
    /// The SCIM bearer token itself (visible in process lists and shell history: prefer
    /// --token-env or --token-file).
    #[arg(long, conflicts_with_all = ["token_env", "token_file"])]
    token: Option<String>,
    /// Seconds before a request is given up [default: 30].
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Requests in flight at once [default: 64].
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Requests started per second, at most.
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Retries of a throttled (429/503) request, with backoff honouring Retry-After [default: 4].
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// The largest response body read, e.g. 8MiB or 512KiB; a larger one fails its step
    /// [default: 8MiB].
    #[arg(long, value_name = "BYTES", value_parser = files::parse_bytes)]
    max_body: Option<u64>,
    /// A scimcheck.toml for the target [default: ./scimcheck.toml when it exists]; flags
    /// override its values.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Trust the CA certificates (PEM) in this file besides the system roots.
    #[arg(long, value_name = "PATH")]
    ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (for a test endpoint with a self-signed one).
    #[arg(long)]
    insecure: bool,
    /// Trace every request and response on stderr (tokens redacted).
    #[arg(long, short)]
    verbose: bool,
    /// The cleanup ledger [default: $SCIMCHECK_LEDGER, else
    /// $XDG_STATE_HOME/scimcheck/ledger.jsonl, else ~/.local/state/scimcheck/ledger.jsonl].
    #[arg(long, value_name = "PATH")]
    ledger: Option<PathBuf>,
}

impl TargetArgs {
    /// The configuration file, if one is named or present, with its values filled in where no
    /// flag gave one.
    fn merge_file(&mut self) -> Result<FileConfig> {
        let path = match &self.config {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from("scimcheck.toml")).filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let file = FileConfig::load(&path)?;
        if self.token.is_none() && self.token_env.is_none() && self.token_file.is_none() {
            self.token_env.clone_from(&file.token_env);
            self.token_file.clone_from(&file.token_file);
        }
        self.timeout = self.timeout.or(file.timeout);
        self.concurrency = self.concurrency.or(file.concurrency);
        self.rate = self.rate.or(file.rate);
        self.retries = self.retries.or(file.retries);
        self.max_body = self.max_body.or(file.max_body);
        Ok(file)
    }

    /// The client's options from the flags and the file, each checked against its range.
    fn client(&self) -> Result<ClientOptions> {
        if self.insecure {
            eprintln!("warning: --insecure: TLS certificates are not verified");
        }
        let ca_certificates = match &self.ca_cert {
            Some(path) => vec![files::read(path, CA_LIMIT)?],
            None => Vec::new(),
        };
        let defaults = ClientOptions::default();
        let options = ClientOptions {
            timeout: self.timeout.map_or(defaults.timeout, Duration::from_secs),
            concurrency: self.concurrency.unwrap_or(defaults.concurrency),
            rate: self.rate,
            retries: self.retries.unwrap_or(defaults.retries),
            ca_certificates,
            insecure: self.insecure,
            verbose: self.verbose,
            max_body: self.max_body.unwrap_or(defaults.max_body),
        };
        options.check()?;
        Ok(options)
    }

    fn scim_token(&self) -> Result<String> {
        if let Some(token) = &self.token {
            eprintln!(
                "warning: a token on the command line is visible to other users; prefer --token-env or --token-file"
            );
            return Ok(token.clone());
        }
        if let Some(path) = &self.token_file {
            let token = files::read_text(path, TOKEN_LIMIT).context("failed to read the token")?;
            return non_empty(token.trim(), &path.display().to_string());
        }
        let var = self.token_env.as_deref().unwrap_or("SCIMCHECK_TOKEN");
        let token = std::env::var(var).map_err(|_| {
            anyhow!(
                "no SCIM token: set {}, or pass --token-env VAR or --token-file PATH",
                variable_name(var)
            )
        })?;
        non_empty(token.trim(), &variable_name(var))
    }

    /// Every environment variable scimcheck reads is read here or in `scim_token`.
    fn ledger_path(&self) -> PathBuf {
        if let Some(path) = &self.ledger {
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
}

#[derive(Args)]
struct RunArgs {
    /// The SCIM base URL, e.g. https://example.com/scim/v2. Without it, the embedded mock is
    /// started on a free loopback port.
    #[arg(long)]
    base_url: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
    /// Environment variable holding the vendor's non-SCIM API key (enables token-confusion cases).
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Environment variable holding another tenant's SCIM token (enables isolation cases).
    #[arg(long, value_name = "VAR")]
    other_tenant_token_env: Option<String>,
    #[command(flatten)]
    cases: CasesArg,
    /// The target's contract (a TOML file): what its vendor documents beyond the RFCs
    /// [default: contract in scimcheck.toml].
    #[arg(long, value_name = "PATH")]
    contract: Option<PathBuf>,
    /// Create at most N resources: cases that would create more are skipped, the most valuable
    /// (MUST, then SHOULD, IDP, MAY) kept [default: max-creates in the contract].
    #[arg(long, value_name = "N")]
    max_creates: Option<u32>,
    /// Retry a read that fails for up to this long (e.g. 2s), for a target that serves reads
    /// stale after a write; the summary says how long consistency took [default: settle in the
    /// contract, else none: strict].
    #[arg(long, value_name = "DURATION", value_parser = scimcheck::config::parse_settle)]
    settle: Option<Duration>,
    /// Compare snapshots in this folder [default: snapshots/<target>, when it exists].
    #[arg(long, value_name = "DIR")]
    snapshot_dir: Option<PathBuf>,
    /// Compare snapshots even when the folder does not exist yet (the first run records them).
    #[arg(long)]
    snapshots: bool,
    /// Name of the target's snapshot folder [default: mock, or the base URL's host].
    #[arg(long)]
    target_name: Option<String>,
    /// Run only cases that change nothing on the target.
    #[arg(long)]
    read_only: bool,
    /// Write JUnit XML results here (one testcase per case, classname = area).
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Write machine-readable JSON results here.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Write a conformance report here: HTML, or Markdown when the name ends in .md
    /// (repeatable, for both).
    #[arg(long, value_name = "PATH")]
    report: Vec<PathBuf>,
    /// strict: every deviation from the RFC fails; compat: deviations that identity providers'
    /// own documentation shows (an error status as a number) only warn.
    #[arg(long, value_enum, default_value_t = Profile::Strict)]
    profile: Profile,
    /// Which failures make the exit code non-zero.
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    fail_on: FailOn,
    /// Switch on a fault of the embedded mock (repeatable), to watch the harness catch it.
    #[arg(long, value_name = "NAME", conflicts_with = "base_url")]
    mock_fault: Vec<String>,
    /// Switch on a conformant variation of the embedded mock (repeatable): no case may fail.
    #[arg(long, value_name = "NAME", conflicts_with = "base_url")]
    mock_variation: Vec<String>,
    /// libtest arguments: FILTER, --exact, --skip, --list, --ignored, --test-threads, --format …
    #[command(flatten)]
    libtest: libtest_mimic::Arguments,
}

#[derive(Args)]
struct SweepArgs {
    /// The SCIM base URL whose leftovers to remove [default: base-url in scimcheck.toml].
    #[arg(long)]
    base_url: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
    /// Remove Users and Groups whose userName / displayName a run generated under this prefix
    /// (case-sensitive): `scimcheck-` or one run's `scimcheck-<8 hex>`.
    #[arg(long, default_value = sweep::DEFAULT_PREFIX)]
    prefix: String,
    /// Only list what would be deleted.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
struct CasesArg {
    /// Add the cases in this folder to the catalogue built into the binary (repeatable); a
    /// case named like another is an error.
    #[arg(long = "cases", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Run only the cases of the --cases folders, not the built-in catalogue.
    #[arg(long, requires = "dirs")]
    no_builtin: bool,
}

impl CasesArg {
    fn source(&self) -> CaseSource {
        if self.dirs.is_empty() {
            return CaseSource::Embedded;
        }
        CaseSource::Dirs {
            builtin: !self.no_builtin,
            dirs: self.dirs.clone(),
        }
    }
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    cases: CasesArg,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Switch on a fault (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    fault: Vec<String>,
    /// List the faults and exit.
    #[arg(long)]
    list_faults: bool,
    /// Switch on a conformant variation (repeatable); see --list-variations.
    #[arg(long, value_name = "NAME")]
    variation: Vec<String>,
    /// List the variations and exit.
    #[arg(long)]
    list_variations: bool,
    /// Delay every response, e.g. 50ms or 1s (at most 60s).
    #[arg(long, value_parser = parse_latency)]
    latency: Option<Duration>,
    /// Answer 429 beyond this many requests per second.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
    /// Accept the SCIM token in this environment variable instead of a random one (for a
    /// provisioning client configured ahead of time).
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A listing cut short by its reader is what the reader asked for; a run or a sweep cut short
    // lost its verdict, which must not read as success.
    let cut_short = match &cli.command {
        Command::Run(_) | Command::Sweep(_) => ExitCode::from(EXIT_BROKEN_PIPE),
        Command::List(_) | Command::Serve(_) | Command::CaseSchema => ExitCode::SUCCESS,
    };
    quiet_on_broken_pipe();
    // A reader that stops reading (`scimcheck list | head -1`) is not an error. Printing then
    // panics (in `println!` or in libtest-mimic's printer); by the time the panic reaches here
    // every trial has finished and cleaned up, since trials run in a scope that joins them.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cli.command {
        Command::Run(args) => check_libtest(&args.libtest).and_then(|()| run(*args)),
        Command::List(args) => list(&args).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve(args).map(|()| ExitCode::SUCCESS),
        Command::Sweep(args) => sweep(args),
        Command::CaseSchema => case_schema().map(|()| ExitCode::SUCCESS),
    }));
    match outcome {
        Ok(outcome) => outcome.unwrap_or_else(|error| {
            report_error(&error);
            ExitCode::from(EXIT_CONFIG)
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

/// libtest-mimic's arguments it would otherwise hang on: `--test-threads 0` waits forever for a
/// worker that never starts (and each thread is a real one); a `--logfile` that is a FIFO
/// blocks on opening until something reads it. (A device such as /dev/null is fine.)
fn check_libtest(libtest: &libtest_mimic::Arguments) -> Result<()> {
    const MAX_THREADS: usize = 1024;
    if let Some(threads) = libtest.test_threads
        && !(1..=MAX_THREADS).contains(&threads)
    {
        bail!("--test-threads {threads} is out of range (allowed: 1..={MAX_THREADS})");
    }
    if let Some(logfile) = &libtest.logfile
        && let Ok(metadata) = std::fs::metadata(logfile)
        && (metadata.is_dir() || files::is_fifo(metadata.file_type()))
    {
        bail!("--logfile {logfile} is not a file to write to");
    }
    Ok(())
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
        eprintln!("error: {error:#}");
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

/// The mock's configuration from fault and variation names given on the command line.
fn mock_config(faults: &[String], variations: &[String]) -> Result<MockConfig> {
    let mut config = MockConfig::default();
    for name in faults {
        let fault = Fault::from_name(name).ok_or_else(|| {
            anyhow!("unknown fault `{name}` (see `scimcheck serve --list-faults`)")
        })?;
        config.faults.insert(fault);
    }
    for name in variations {
        let variation = Variation::from_name(name).ok_or_else(|| {
            anyhow!("unknown variation `{name}` (see `scimcheck serve --list-variations`)")
        })?;
        config.variations.insert(variation);
    }
    Ok(config)
}

fn run(mut args: RunArgs) -> Result<ExitCode> {
    let file = args.target.merge_file()?;
    if args.base_url.is_none() && args.mock_fault.is_empty() && args.mock_variation.is_empty() {
        args.base_url.clone_from(&file.base_url);
    }
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
    // scimcheck.toml's overrides are about this very target, so they win over its contract's.
    let mut capability_overrides = contract
        .as_ref()
        .map(|c| c.capability_overrides())
        .unwrap_or_default();
    capability_overrides.extend(file.capability_overrides());
    let runtime = runtime()?;
    let mock;
    let (base_url, credentials, default_target, ledger) = match &args.base_url {
        Some(url) => {
            let credentials = Credentials {
                scim: args.target.scim_token()?,
                api_key: optional_env(args.api_key_env.as_deref())?,
                other_tenant: optional_env(args.other_tenant_token_env.as_deref())?,
            };
            (
                url.clone(),
                credentials,
                host_name(url),
                Some(args.target.ledger_path()),
            )
        }
        None => {
            let config = mock_config(&args.mock_fault, &args.mock_variation)?;
            let server = runtime
                .block_on(MockServer::start(
                    config,
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                ))
                .context("failed to start the embedded mock server")?;
            let credentials = suite::mock_credentials(&server);
            let url = server.base_url().to_owned();
            mock = server;
            eprintln!(
                "scimcheck: embedded mock SCIM server at {}",
                mock.base_url()
            );
            (url, credentials, "mock".to_owned(), None)
        }
    };
    let target_name = args.target_name.clone().unwrap_or(default_target);
    let snapshot_dir = args
        .snapshot_dir
        .clone()
        .unwrap_or_else(|| Path::new("snapshots").join(&target_name));
    let snapshot_dir = (args.snapshots || snapshot_dir.is_dir()).then_some(snapshot_dir);
    let config = SuiteConfig {
        base_url,
        credentials,
        cases: args.cases.source(),
        snapshot_dir,
        ledger,
        client: args.target.client()?,
        plan: PlanOptions {
            read_only: args.read_only,
            capability_overrides,
            skip: file.skip.clone(),
            max_creates: args
                .max_creates
                .or(contract.as_ref().and_then(|c| c.max_creates)),
            settle: args.settle.or(contract.as_ref().and_then(|c| c.settle)),
            contract,
        },
        libtest: args.libtest.clone(),
        interrupted: interrupt_on_signals(&runtime)?,
        profile: args.profile,
    };
    let listing = config.libtest.list;
    let outcome = suite::run(config, &runtime)?;
    if listing {
        return Ok(ExitCode::SUCCESS);
    }
    for warning in &outcome.capabilities.warnings {
        eprintln!("warning: {warning}");
    }
    let facts = outcome.facts(args.fail_on);
    let report = RunReport::new(&facts, &outcome.results);
    for (path, writer) in &outputs {
        let text = report::render(writer.as_ref(), &report);
        std::fs::write(path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    let summary = report::render(&report::console::Console, &report);
    // With `--format json`, stdout is libtest's JSON stream and nothing else.
    if args.libtest.format == Some(libtest_mimic::FormatSetting::Json) {
        eprint!("{summary}");
    } else {
        eprintln!(
            "capabilities advertised: {}\ncapability matrix: {}",
            outcome.capabilities.names().join(", "),
            outcome.capabilities.matrix()
        );
        print!("{summary}");
    }
    Ok(ExitCode::from(report.verdict.exit_code))
}

/// Every report file with its writer, each path checked writable (its folder created) before
/// the first request, so that a typo costs nothing and never loses a run's verdict.
fn outputs(args: &RunArgs) -> Result<Vec<(PathBuf, Box<dyn report::Writer>)>> {
    let hostname = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    let mut outputs: Vec<(PathBuf, Box<dyn report::Writer>)> = Vec::new();
    if let Some(path) = &args.junit {
        outputs.push((path.clone(), Box::new(report::junit::Junit { hostname })));
    }
    if let Some(path) = &args.json {
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

/// A folder name for a target's snapshots: its host (and port), safe for any file system.
fn host_name(url: &str) -> String {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}-{p}")))
        })
        .unwrap_or_else(|| "target".to_owned());
    host.chars()
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
    for case in &cases {
        let requires: Vec<String> = case.spec.requires.iter().map(|c| c.to_string()).collect();
        println!(
            "{:<48} {:<6} {:<28} requires: {:<20} tags: {}",
            case.id,
            case.spec.level.to_string(),
            case.spec.rfc.join("; "),
            if requires.is_empty() {
                "-".to_owned()
            } else {
                requires.join(",")
            },
            case.spec.tags.join(",")
        );
    }
    println!("{} cases", cases.len());
    Ok(())
}

fn serve(args: ServeArgs) -> Result<()> {
    if args.list_faults || args.list_variations {
        let listed: Vec<_> = if args.list_faults {
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
        return Ok(());
    }
    let mut config = mock_config(&args.fault, &args.variation)?;
    config.latency = args.latency;
    config.rate_limit = args.rate_limit;
    config.scim_token = optional_env(args.token_env.as_deref())?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let server = MockServer::start(config, args.addr)
            .await
            .with_context(|| format!("failed to listen on {}", args.addr))?;
        let credentials = server.credentials();
        println!("SCIM base URL:       {}", server.base_url());
        match &args.token_env {
            Some(var) => println!("SCIM bearer token:   (from {var})"),
            None => println!("SCIM bearer token:   {}", credentials.scim_token),
        }
        println!("API key (non-SCIM):  {}", credentials.api_key);
        println!("other tenant token:  {}", credentials.other_tenant_token);
        if !args.fault.is_empty() {
            println!("faults on:           {}", args.fault.join(", "));
        }
        if !args.variation.is_empty() {
            println!("variations on:       {}", args.variation.join(", "));
        }
        println!("Ctrl-C to stop.");
        tokio::signal::ctrl_c()
            .await
            .context("failed to wait for Ctrl-C")?;
        server.shutdown().await;
        Ok(())
    })
}

fn sweep(mut args: SweepArgs) -> Result<ExitCode> {
    let file = args.target.merge_file()?;
    let base_url = args
        .base_url
        .or(file.base_url)
        .ok_or_else(|| anyhow!("sweep needs --base-url (or base-url in scimcheck.toml)"))?;
    let credentials = Credentials {
        scim: args.target.scim_token()?,
        api_key: None,
        other_tenant: None,
    };
    let target = Target::new(&base_url, credentials, &args.target.client()?)?;
    // Everything printed names what a target returned, which may echo a secret.
    let say = |text: String| println!("{}", target.redactor().redact(&text));
    let ledger_path = args.target.ledger_path();
    let runtime = runtime()?;
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

/// A mock's latency, e.g. 50ms or 2s: at most a minute (beyond, every client would time out).
fn parse_latency(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "ms"), |at| text.split_at(at));
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 50ms or 2s"))?;
    let latency = match unit {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        _ => return Err(format!("`{text}`: use ms or s")),
    };
    if latency > Duration::from_secs(60) {
        return Err(format!("`{text}` is longer than 60s"));
    }
    Ok(latency)
}
