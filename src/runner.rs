//! The library's front door: a checked configuration built step by step, and an async [`run`]
//! that hands back every case's structured result. `scimcheck run` goes through here too.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use libtest_mimic::{Arguments, ColorSetting, FormatSetting};
use thiserror::Error;

use crate::case::Capability;
use crate::check::Profile;
use crate::check::snapshot::SnapshotOptions;
use crate::contract::Contract;
use crate::exec::client::{ClientOptions, Credentials, ExecError};
use crate::exec::oauth::OAuthSettings;
use crate::mock::MockServer;
use crate::plan::select::Selector;
use crate::plan::{Capabilities, PlanOptions};
use crate::report::{CaseResult, FailOn, RunFacts, RunReport};
use crate::suite::{self, SuiteConfig, SuiteError};

pub use crate::suite::CaseSource;

/// What a run prints while the cases run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Output {
    /// Nothing: the caller reads the [`RunOutcome`]. The library's default.
    #[default]
    Silent,
    /// One line per case, and the progress line on stderr (`scimcheck run`'s default).
    Pretty,
    /// One character per case.
    Terse,
    /// libtest's JSON stream on stdout, one event per line.
    Json,
    /// Only the names of the selected cases; nothing is run and no token is checked.
    List,
}

/// A run, configured and checked; made by [`RunConfig::builder`] or [`RunConfig::for_mock`].
#[derive(Debug, Clone)]
pub struct RunConfig {
    suite: SuiteConfig,
    fail_on: FailOn,
}

/// Builds a [`RunConfig`]. Every setting has the default `scimcheck run` has.
#[derive(Debug, Clone)]
#[must_use]
pub struct RunBuilder {
    suite: SuiteConfig,
    fail_on: FailOn,
    output: Output,
    color: Option<bool>,
}

/// A configuration that cannot run.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(transparent)]
    Client(#[from] ExecError),
    #[error("test_threads must be at least 1")]
    NoThreads,
}

impl RunConfig {
    /// A run against `base_url` (e.g. `https://app.example.com/scim/v2`) with `credentials`:
    /// the built-in catalogue, every case, nothing printed.
    pub fn builder(base_url: impl Into<String>, credentials: Credentials) -> RunBuilder {
        RunBuilder {
            suite: SuiteConfig {
                base_url: base_url.into(),
                credentials,
                oauth: None,
                revoked_token: None,
                cases: CaseSource::Embedded,
                snapshots: SnapshotOptions::default(),
                ledger: None,
                client: ClientOptions::default(),
                plan: PlanOptions::default(),
                libtest: Arguments::default(),
                interrupted: Arc::default(),
                profile: Profile::default(),
            },
            fail_on: FailOn::default(),
            output: Output::default(),
            color: None,
        }
    }

    /// A run against a running mock, with every credential it issued (so that no case is
    /// skipped for want of one).
    pub fn for_mock(mock: &MockServer) -> RunBuilder {
        RunConfig::builder(mock.base_url(), suite::mock_credentials(mock))
            .revoked_token(mock.credentials().revoked_token.clone())
    }
}

impl RunBuilder {
    /// Takes the SCIM token from an OAuth 2.0 token endpoint (client credentials) instead of
    /// the credentials' `scim`: fetched before the first case, again before it expires and once
    /// after a 401.
    pub fn oauth(mut self, settings: OAuthSettings) -> Self {
        self.suite.oauth = Some(settings);
        self
    }

    /// A SCIM token the target has revoked: `auth::token-rotation` checks that every verb
    /// refuses it [default: none, and that case is skipped].
    pub fn revoked_token(mut self, token: impl Into<String>) -> Self {
        self.suite.revoked_token = Some(token.into());
        self
    }

    /// Where the cases come from [default: the built-in catalogue].
    pub fn cases(mut self, source: CaseSource) -> Self {
        self.suite.cases = source;
        self
    }

    /// Only the cases whose name (`users::create`) contains `filter` (repeatable: a case needs
    /// one of them).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.suite.plan.select.names.push(filter.into());
        self
    }

    /// The filters and skips must match a case's whole name.
    pub fn exact(mut self, exact: bool) -> Self {
        self.suite.plan.select.exact = exact;
        self
    }

    /// Leaves out the cases whose name contains `pattern` (repeatable).
    pub fn skip(mut self, pattern: impl Into<String>) -> Self {
        self.suite.plan.select.skip.push(pattern.into());
        self
    }

    /// Selects by name, tag, level and area at once, replacing what [`filter`](Self::filter),
    /// [`exact`](Self::exact) and [`skip`](Self::skip) set so far.
    pub fn select(mut self, selector: Selector) -> Self {
        self.suite.plan.select = selector;
        self
    }

    /// Skips the case `id` with `reason`, as `[skip]` in `scimcheck.toml` does; reports show
    /// the reason.
    pub fn skip_case(mut self, id: impl Into<String>, reason: impl Into<String>) -> Self {
        self.suite.plan.skip.insert(id.into(), reason.into());
        self
    }

    /// Names where the cases given to [`skip_case`](Self::skip_case) came from, for the error
    /// a case id that names no case gets: `[skip] in ci/scimcheck.toml`.
    pub fn skip_origin(mut self, origin: impl Into<String>) -> Self {
        self.suite.plan.skip_origin = Some(origin.into());
        self
    }

    /// How cases are planned, whole: read-only, capability overrides, skips by id.
    pub fn plan(mut self, plan: PlanOptions) -> Self {
        self.suite.plan = plan;
        self
    }

    /// Runs only the cases that change nothing on the target.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.suite.plan.read_only = read_only;
        self
    }

    /// Takes `capability` as present or absent, whatever the target advertises.
    pub fn capability(mut self, capability: Capability, present: bool) -> Self {
        self.suite
            .plan
            .capability_overrides
            .insert(capability, present);
        self
    }

    /// The target's contract: what it rules out is skipped with its name, generated bodies
    /// satisfy it, and its `max-creates` and `settle` apply unless set here.
    pub fn contract(mut self, contract: Arc<Contract>) -> Self {
        self.suite.plan.max_creates = self.suite.plan.max_creates.or(contract.max_creates);
        self.suite.plan.settle = self.suite.plan.settle.or(contract.settle);
        self.suite.plan.contract = Some(contract);
        self
    }

    /// Creates at most `max` resources; the cases that would exceed it are skipped.
    pub fn max_creates(mut self, max: u32) -> Self {
        self.suite.plan.max_creates = Some(max);
        self
    }

    /// Retries a stale read for up to `window` (an eventually consistent target) [default:
    /// strict, no retry].
    pub fn settle(mut self, window: Duration) -> Self {
        self.suite.plan.settle = Some(window);
        self
    }

    /// Compares the steps of cases that say `snapshot: true` with the snapshots in this folder
    /// (`snapshots/<target>`) [default: none].
    pub fn snapshots(mut self, dir: impl Into<PathBuf>) -> Self {
        self.suite.snapshots.dir = Some(dir.into());
        self
    }

    /// Records every exchange, normalized, in the results (each trace entry's `record`), and,
    /// with [`RunBuilder::snapshots`], compares each with its stored snapshot: a difference is
    /// drift, reported beside the results [default: only `snapshot: true` steps].
    pub fn record_steps(mut self) -> Self {
        self.suite.snapshots.every_step = true;
        self
    }

    /// Records what the run creates in this cleanup ledger, for `scimcheck sweep` [default: none].
    pub fn ledger(mut self, path: impl Into<PathBuf>) -> Self {
        self.suite.ledger = Some(path.into());
        self
    }

    /// Timeouts, concurrency, rate, retries, TLS and body limits; checked by [`build`](Self::build).
    pub fn client(mut self, options: ClientOptions) -> Self {
        self.suite.client = options;
        self
    }

    /// `strict` (default) or `compat`.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.suite.profile = profile;
        self
    }

    /// Which failures make the verdict fail [default: any].
    pub fn fail_on(mut self, fail_on: FailOn) -> Self {
        self.fail_on = fail_on;
        self
    }

    /// Raise this flag to stop the cases; each cleans up what it created before it ends.
    pub fn interrupt_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.suite.interrupted = flag;
        self
    }

    /// Cases under way at once [default: all of them, up to 256].
    pub fn test_threads(mut self, threads: usize) -> Self {
        self.suite.libtest.test_threads = Some(threads);
        self
    }

    /// What is printed while the cases run [default: nothing].
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// Colours on the console: forced on or off [default: when stdout is a terminal].
    pub fn color(mut self, color: bool) -> Self {
        self.color = Some(color);
        self
    }

    /// Checks every setting.
    pub fn build(mut self) -> Result<RunConfig, ConfigError> {
        self.suite.client.check()?;
        let libtest = &mut self.suite.libtest;
        if libtest.test_threads == Some(0) {
            return Err(ConfigError::NoThreads);
        }
        libtest.color = self.color.map(|on| {
            if on {
                ColorSetting::Always
            } else {
                ColorSetting::Never
            }
        });
        match self.output {
            Output::Silent => {
                libtest.quiet = true;
                // libtest-mimic always prints; its log file is the one way to silence it.
                libtest.logfile = Some("/dev/null".to_owned());
            }
            Output::Pretty => libtest.format = Some(FormatSetting::Pretty),
            Output::Terse => libtest.format = Some(FormatSetting::Terse),
            Output::Json => libtest.format = Some(FormatSetting::Json),
            Output::List => libtest.list = true,
        }
        Ok(RunConfig {
            suite: self.suite,
            fail_on: self.fail_on,
        })
    }
}

/// What a run found: the facts every report states and every case's result.
#[derive(Debug)]
pub struct RunOutcome {
    pub facts: RunFacts,
    /// One per case in the catalogue, sorted by id (none when only listing).
    pub results: Vec<CaseResult>,
    /// What the target advertised and what the probes found.
    pub capabilities: Capabilities,
}

impl RunOutcome {
    /// The findings and the verdict, as every report writer reads them.
    pub fn report(&self) -> RunReport<'_> {
        RunReport::new(&self.facts, &self.results)
    }
}

/// Runs the cases. It must be awaited inside a tokio runtime (a `#[tokio::test]` is one);
/// the cases run on blocking threads of that runtime, so it never starts a runtime of its own.
pub async fn run(config: RunConfig) -> Result<RunOutcome, SuiteError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| SuiteError::NoRuntime)?;
    let RunConfig { suite, fail_on } = config;
    let outcome = tokio::task::spawn_blocking(move || suite::run(suite, &handle))
        .await
        .map_err(|joined| match joined.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => SuiteError::Cancelled,
        })??;
    Ok(RunOutcome {
        facts: outcome.facts(fail_on),
        results: outcome.results,
        capabilities: outcome.capabilities,
    })
}
