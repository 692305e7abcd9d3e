//! One struct per subcommand, so that each one's flags can grow without touching the others.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::compare::CompareArgs;
use super::duration::{DurationError, parse_duration};
use crate::case::Level;
use crate::check::Profile;
use crate::exec::sweep;
use crate::files;
use crate::plan::select;
use crate::report::FailOn;
use crate::suite::CaseSource;

pub(super) const TARGET: &str = "Target";
pub(super) const CREDENTIALS: &str = "Credentials";
pub(super) const SELECTION: &str = "Selection";
pub(super) const LOAD: &str = "Load";
pub(super) const OUTPUT: &str = "Output";

/// clap 4's template with the program's name and version on top, as clap 3 had it.
pub(super) const TEMPLATE: &str =
    "{name} {version}\n{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}";

const RUN_EXAMPLES: &str = "\
Examples:
  scimcheck run                                    the whole suite against the embedded mock
  scimcheck run --base-url https://app.example.com/scim/v2 --fail-on must --junit scimcheck.xml
  scimcheck run users:: groups::                   cases whose name contains users:: or groups::
  scimcheck run --tag hard-delete --level must     hard-delete cases that test a MUST
  scimcheck run --area auth --skip other-tenant    auth cases, except the other-tenant ones
  scimcheck run --mock-fault accept-any-token      watch a bug in the mock get caught

The SCIM token is read from $SCIMCHECK_TOKEN unless --token-env or --token-file says otherwise.
Exit codes: 0 conforms, 1 a finding at or above --fail-on, 2 configuration error, 3 no verdict
(the target did not answer, a step error, a harness error), 4 nothing ran, 130 interrupted.";

const LIST_EXAMPLES: &str = "\
Examples:
  scimcheck list                                   every case in the catalogue
  scimcheck list --area paging --level must        the paging MUSTs
  scimcheck list --tag soft-delete --format json   as JSON, for scripts";

#[derive(Parser)]
#[command(
    name = "scimcheck",
    version,
    about = "SCIM 2.0 conformance test harness",
    long_about = "SCIM 2.0 conformance test harness: runs declarative cases against a SCIM base \
                  URL (or its embedded mock server) and reports each failure with the request, \
                  the response and the RFC section it breaks.",
    after_help = "Run `scimcheck run --help` for the options of a run.",
    help_template = TEMPLATE,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the cases against a SCIM server (the embedded mock when no --base-url is given).
    Run(Box<RunArgs>),
    /// List the cases, offline: id, level, area, tags and title.
    List(ListArgs),
    /// Run the embedded mock SCIM server in the foreground until Ctrl-C.
    Serve(ServeArgs),
    /// Find and delete what earlier runs left on a target (from the ledger and by prefix).
    Sweep(SweepArgs),
    /// Run the cases against two targets (or read two saved JSON results) and show what B does
    /// differently from A; or, with --inventory, compare their data read-only.
    Compare(Box<CompareArgs>),
    /// Print the JSON Schema of the case file format (published as schemas/case.schema.json).
    CaseSchema,
    /// Review the snapshots `run --snapshots` found changed: show, accept or reject them.
    Snapshots(super::SnapshotsArgs),
}

/// Where the target is, what to trust, and how to authenticate to it.
#[derive(Args)]
pub struct TargetArgs {
    /// A scimcheck.toml for the target [default: ./scimcheck.toml when it exists]; flags
    /// override its values.
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub config: Option<PathBuf>,
    /// Trust the CA certificates (PEM) in this file besides the system roots.
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (for a test endpoint with a self-signed one).
    #[arg(long, help_heading = TARGET)]
    pub insecure: bool,
    /// The cleanup ledger [default: $SCIMCHECK_LEDGER, else
    /// $XDG_STATE_HOME/scimcheck/ledger.jsonl, else ~/.local/state/scimcheck/ledger.jsonl].
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub ledger: Option<PathBuf>,
    /// Environment variable holding the SCIM bearer token [default: SCIMCHECK_TOKEN].
    #[arg(long, value_name = "VAR", help_heading = CREDENTIALS)]
    pub token_env: Option<String>,
    /// File holding the SCIM bearer token.
    #[arg(long, value_name = "PATH", conflicts_with = "token_env", help_heading = CREDENTIALS)]
    pub token_file: Option<PathBuf>,
    /// The SCIM bearer token itself (visible in process lists and shell history: prefer
    /// --token-env or --token-file).
    #[arg(long, conflicts_with_all = ["token_env", "token_file"], help_heading = CREDENTIALS)]
    pub token: Option<String>,
}

/// How hard to push the target.
#[derive(Args)]
pub struct LoadArgs {
    /// Seconds before a request is given up [default: 30].
    #[arg(long, value_name = "SECONDS", help_heading = LOAD)]
    pub timeout: Option<u64>,
    /// Requests in flight at once, fixed [default: adaptive, from 8 up to 256, backing off
    /// when the target pushes back].
    #[arg(long, value_name = "N", help_heading = LOAD)]
    pub concurrency: Option<usize>,
    /// Requests started per second, at most.
    #[arg(long, value_name = "R", help_heading = LOAD)]
    pub rate: Option<f64>,
    /// Retries of a throttled (429/503) request, with backoff honouring Retry-After [default: 4].
    #[arg(long, value_name = "N", help_heading = LOAD)]
    pub retries: Option<u32>,
    /// The largest response body read, e.g. 8MiB or 512KiB; a larger one fails its step
    /// [default: 8MiB].
    #[arg(long, value_name = "BYTES", value_parser = files::parse_bytes, help_heading = LOAD)]
    pub max_body: Option<u64>,
}

/// Which cases: the same flags on `run` and `list`. Values of one flag are alternatives; flags
/// narrow each other.
#[derive(Args, Default)]
pub struct SelectArgs {
    /// Only cases whose name contains one of these (e.g. users:: or soft-delete).
    #[arg(value_name = "NAME", help_heading = SELECTION)]
    pub names: Vec<String>,
    /// NAME and --skip are whole case names, not parts of one.
    #[arg(long, help_heading = SELECTION)]
    pub exact: bool,
    /// Leave out cases whose name contains this (repeatable).
    #[arg(long, value_name = "NAME", help_heading = SELECTION)]
    pub skip: Vec<String>,
    /// Only cases with this tag (repeatable).
    #[arg(long, value_name = "TAG", help_heading = SELECTION)]
    pub tag: Vec<String>,
    /// Only cases of this requirement level (repeatable): must, should, may or idp.
    #[arg(long, value_name = "LEVEL", value_parser = select::parse_level, help_heading = SELECTION)]
    pub level: Vec<Level>,
    /// Only cases of this area, the first part of their name (repeatable), e.g. users or paging.
    #[arg(long, value_name = "AREA", help_heading = SELECTION)]
    pub area: Vec<String>,
}

impl SelectArgs {
    pub fn selector(&self) -> select::Selector {
        select::Selector {
            names: self.names.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            tags: self.tag.clone(),
            levels: self.level.clone(),
            areas: self.area.clone(),
        }
    }
}

#[derive(Args)]
#[command(after_help = RUN_EXAMPLES, help_template = TEMPLATE)]
pub struct RunArgs {
    /// The SCIM base URL, e.g. https://example.com/scim/v2. Without it, the embedded mock is
    /// started on a free loopback port.
    #[arg(long, help_heading = TARGET)]
    pub base_url: Option<String>,
    /// Switch on a fault of the embedded mock (repeatable), to watch the harness catch it.
    #[arg(long, value_name = "NAME", conflicts_with = "base_url", help_heading = TARGET)]
    pub mock_fault: Vec<String>,
    /// Switch on a conformant variation of the embedded mock (repeatable): no case may fail.
    #[arg(long, value_name = "NAME", conflicts_with = "base_url", help_heading = TARGET)]
    pub mock_variation: Vec<String>,
    /// Authenticate to the embedded mock through its OAuth token endpoint (client credentials)
    /// instead of its static token.
    #[arg(long, conflicts_with_all = ["base_url", "oauth_token_url"], help_heading = TARGET)]
    pub mock_oauth: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    /// The target's contract (a TOML file): what its vendor documents beyond the RFCs
    /// [default: contract in scimcheck.toml].
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub contract: Option<PathBuf>,
    /// Environment variable holding the vendor's non-SCIM API key (enables token-confusion cases).
    #[arg(long, value_name = "VAR", help_heading = CREDENTIALS)]
    pub api_key_env: Option<String>,
    /// Environment variable holding another tenant's SCIM token (enables isolation cases).
    #[arg(long, value_name = "VAR", help_heading = CREDENTIALS)]
    pub other_tenant_token_env: Option<String>,
    #[command(flatten)]
    pub oauth: super::OAuthArgs,
    /// Environment variable holding a SCIM token the target has revoked (the one before the
    /// last rotation): enables auth::token-rotation.
    #[arg(long, value_name = "VAR", help_heading = CREDENTIALS)]
    pub revoked_token_env: Option<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cases: CasesArg,
    /// Run only cases that change nothing on the target.
    #[arg(long, help_heading = SELECTION)]
    pub read_only: bool,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Create at most N resources: cases that would create more are skipped, the most valuable
    /// (MUST, then SHOULD, IDP, MAY) kept [default: max-creates in the contract].
    #[arg(long, value_name = "N", help_heading = LOAD)]
    pub max_creates: Option<u32>,
    /// Retry a read that fails for up to this long (e.g. 2s), for a target that serves reads
    /// stale after a write [default: settle in the contract, else none: strict].
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_settle, help_heading = LOAD)]
    pub settle: Option<Duration>,
    /// Cases run at once [default: every case, at most 256]; requests are bounded by
    /// --concurrency.
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        alias = "test-threads",
        value_parser = clap::value_parser!(u16).range(1..=1024),
        help_heading = LOAD
    )]
    pub jobs: Option<u16>,
    /// How results are printed: pretty (a line per case), terse (a dot per case) or json (a
    /// JSON object per event; the summary goes to stderr).
    #[arg(long, value_enum, default_value_t = OutputFormat::Pretty, help_heading = OUTPUT)]
    pub format: OutputFormat,
    /// Trace every request and response on stderr (tokens redacted).
    #[arg(long, short, help_heading = OUTPUT)]
    pub verbose: bool,
    /// Colour on stdout: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto, help_heading = OUTPUT)]
    pub color: Color,
    /// Write JUnit XML results here (one testcase per case, classname = area).
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub junit: Option<PathBuf>,
    /// Write machine-readable JSON results here.
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub json: Option<PathBuf>,
    /// Judge the run against an earlier JSON result: only a new finding, or a case that passed
    /// there and fails now, fails the run; improvements are listed.
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub baseline: Option<PathBuf>,
    /// Record this run's JSON result as a baseline for later runs (the document --json writes).
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub write_baseline: Option<PathBuf>,
    /// Write a conformance report here: HTML, or Markdown when the name ends in .md
    /// (repeatable, for both).
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub report: Vec<PathBuf>,
    /// strict: every deviation from the RFC fails; compat: deviations that identity providers'
    /// own documentation shows (an error status as a number) only warn.
    #[arg(long, value_enum, default_value_t = Profile::Strict, help_heading = OUTPUT)]
    pub profile: Profile,
    /// Which failures make the exit code non-zero.
    #[arg(long, value_enum, default_value_t = FailOn::Any, help_heading = OUTPUT)]
    pub fail_on: FailOn,
    /// The target's snapshot folder [default: snapshots/<target>]. Without --snapshots, only
    /// steps whose case says `snapshot: true` are compared, and only when it exists.
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub snapshot_dir: Option<PathBuf>,
    /// Snapshot every response, normalized: a new one is stored, a different one is reported
    /// as drift (case, step, attributes) and waits as .snap.new for `scimcheck snapshots review`.
    #[arg(long, help_heading = OUTPUT)]
    pub snapshots: bool,
    /// Exit 1 when a response drifted from its snapshot [default: drift is only reported].
    #[arg(long, requires = "snapshots", help_heading = OUTPUT)]
    pub fail_on_drift: bool,
    /// Name of the target's snapshot folder [default: mock, or the base URL's host, port and
    /// path, and +CONTRACT under a contract, which changes what the run sends].
    #[arg(long, help_heading = OUTPUT)]
    pub target_name: Option<String>,
}

/// How `run` prints its results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Pretty,
    Terse,
    Json,
}

/// Colour on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub struct SweepArgs {
    /// The SCIM base URL whose leftovers to remove [default: base-url in scimcheck.toml].
    #[arg(long, help_heading = TARGET)]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub oauth: super::OAuthArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Trace every request and response on stderr (tokens redacted).
    #[arg(long, short, help_heading = OUTPUT)]
    pub verbose: bool,
    /// Remove Users and Groups whose userName / displayName a run generated under this prefix
    /// (case-sensitive): `scimcheck-` or one run's `scimcheck-<8 hex>`.
    #[arg(long, default_value = sweep::DEFAULT_PREFIX)]
    pub prefix: String,
    /// Only list what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
pub struct CasesArg {
    /// Add the cases in this folder to the catalogue built into the binary (repeatable); a case
    /// named like another is an error.
    #[arg(long = "cases", value_name = "DIR", help_heading = SELECTION)]
    pub dirs: Vec<PathBuf>,
    /// Run only the cases of the --cases folders, not the built-in catalogue.
    #[arg(long, requires = "dirs", help_heading = SELECTION)]
    pub no_builtin: bool,
}

impl CasesArg {
    pub fn source(&self) -> CaseSource {
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
#[command(after_help = LIST_EXAMPLES, help_template = TEMPLATE)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cases: CasesArg,
    /// table (one line per case, cut to the terminal's width) or json (an array of objects).
    #[arg(long, value_enum, default_value_t = ListFormat::Table, help_heading = OUTPUT)]
    pub format: ListFormat,
}

/// How `list` prints the cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// `scimcheck serve`'s arguments.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Switch on a fault (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// List the faults and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Switch on a conformant variation (repeatable); see --list-variations.
    #[arg(long, value_name = "NAME")]
    pub variation: Vec<String>,
    /// List the variations and exit.
    #[arg(long)]
    pub list_variations: bool,
    /// Delay every response, e.g. 50ms, 1.5s (at most 60s).
    #[arg(long, value_name = "DURATION", value_parser = latency)]
    pub latency: Option<Duration>,
    /// Answer 429 beyond this many requests per second.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Accept the SCIM token in this environment variable (for a provisioning client
    /// configured ahead of time).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// The SCIM token to accept [default: a random one].
    #[arg(
        long,
        env = "SCIMCHECK_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub scim_token: Option<String>,
    /// The vendor API key (refused on SCIM routes) [default: a random one].
    #[arg(
        long,
        env = "SCIMCHECK_API_KEY",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub api_key: Option<String>,
    /// The other tenant's SCIM token [default: a random one].
    #[arg(
        long,
        env = "SCIMCHECK_OTHER_TENANT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub other_tenant_token: Option<String>,
    /// The admin route's token [default: a random one].
    #[arg(
        long,
        env = "SCIMCHECK_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// How long the access tokens of the OAuth token endpoint (/oauth/token) live, e.g. 30s
    /// [default: 1h]; an expired one gets 401.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub oauth_token_lifetime: Option<Duration>,
    /// Once the server accepts connections, write the base URL and every token here as
    /// `export NAME='value'` lines a shell can source (mode 0600, replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// What to print on stdout once ready: `human` text, or the env file's lines.
    #[arg(long, value_enum, default_value_t = Print::Human)]
    pub print: Print,
    /// Load users and groups from this JSON file before accepting connections:
    /// `{"users": [...], "groups": [...]}`; a member's value may be a seeded userName.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Write every request and its response here as JSON lines, credentials redacted.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// Serve HTTPS with a certificate made for this run, signed by a CA written to --ca-out.
    #[arg(long)]
    pub tls: bool,
    /// Where --tls writes its CA certificate (PEM), for clients to trust.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "scimcheck-mock-ca.pem",
        requires = "tls"
    )]
    pub ca_out: PathBuf,
}

/// What `serve` prints once it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Print {
    /// The URL and tokens, for a person.
    Human,
    /// The env file's `export NAME='value'` lines, for `eval "$(…)"`.
    Env,
}

/// A mock's latency: at most a minute (beyond, every client would time out).
fn latency(text: &str) -> Result<Duration, DurationError> {
    let latency = parse_duration(text)?;
    if latency > Duration::from_secs(60) {
        return Err(DurationError::TooLong {
            text: text.to_owned(),
            max: "60s",
        });
    }
    Ok(latency)
}
