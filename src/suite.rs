//! The whole pipeline behind [`run`](crate::run): load cases, discover the target, plan
//! trials, run them with libtest-mimic, and hand back every result.

use std::future::Future;
use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};
use thiserror::Error;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::case::{self, Case, CaseError, KnownNames};
use crate::check::Profile;
use crate::check::rules::Rule;
use crate::check::schema::{SchemaError, SchemaRegistry};
use crate::check::snapshot::SnapshotOptions;
use crate::exec::client::{ClientOptions, Credentials, ExecError, Target};
use crate::exec::ledger::{self, Ledger, LedgerError};
use crate::exec::limit::ConcurrencyReport;
use crate::exec::oauth::OAuthSettings;
use crate::exec::run::{RunContext, panic_message, run_case};
use crate::exec::schedule;
use crate::mock::MockServer;
use crate::plan::probe::{self, Probed};
use crate::plan::select::{self, SelectError, Selector};
use crate::plan::{self, Capabilities, PlanError, PlanOptions, Planned};
use crate::redact::Redactor;
use crate::report::progress::{Display, Progress, Tally};
use crate::report::{
    Acknowledged, CaseOutcome, CaseResult, Collector, FailOn, RunFacts, Selection,
};

/// Where the cases come from.
#[derive(Debug, Clone, Default)]
pub enum CaseSource {
    /// The catalogue compiled into the binary.
    #[default]
    Embedded,
    /// Every `*.yaml` below each folder, beside the built-in catalogue unless `builtin` is
    /// false. A case named like another is an error naming both files.
    Dirs { builtin: bool, dirs: Vec<PathBuf> },
}

/// A run, fully configured; built by [`crate::RunConfig::builder`].
#[derive(Debug, Clone)]
pub(crate) struct SuiteConfig {
    pub base_url: String,
    pub credentials: Credentials,
    /// The SCIM token comes from this OAuth token endpoint instead of `credentials.scim`.
    pub oauth: Option<OAuthSettings>,
    /// A token the target revoked, for `auth::token-rotation`.
    pub revoked_token: Option<String>,
    pub cases: CaseSource,
    /// Which exchanges are recorded, and where their snapshots are stored.
    pub snapshots: SnapshotOptions,
    /// The cleanup ledger file; `None` to keep none (the embedded mock).
    pub ledger: Option<PathBuf>,
    pub client: ClientOptions,
    pub plan: PlanOptions,
    /// libtest arguments: filter, `--exact`, `--skip`, `--list`, `--test-threads`, `--format`, …
    pub libtest: Arguments,
    /// Raised (by the caller's Ctrl-C handler) to stop cases and clean up.
    pub interrupted: Arc<AtomicBool>,
    pub profile: Profile,
}

/// What a run produced.
#[derive(Debug)]
pub(crate) struct SuiteOutcome {
    pub conclusion: Conclusion,
    pub results: Vec<CaseResult>,
    pub capabilities: Capabilities,
    pub wall: Duration,
    /// How often the target answered 429 or 503 and was waited out.
    pub throttled: u32,
    /// The concurrency the run settled at, and why it backed off.
    pub concurrency: ConcurrencyReport,
    pub base_url: String,
    /// When the run started, `YYYY-MM-DDTHH:MM:SSZ`.
    pub started: String,
    pub profile: Profile,
    pub selection: Selection,
    /// The run was interrupted (Ctrl-C, SIGTERM, SIGHUP).
    pub interrupted: bool,
    /// Knows the run's credentials: every report is redacted with it.
    pub redactor: Redactor,
    /// What the target's contract acknowledges of RFC MUSTs it departs from.
    pub acknowledged: Vec<Acknowledged>,
    /// Resources the cases created.
    pub created: u32,
    /// The run's create budget, if it had one.
    pub max_creates: Option<u32>,
    /// The settle window reads had, and the longest one took to become consistent.
    pub settle: Option<Duration>,
    pub settled: Duration,
}

impl SuiteOutcome {
    /// The facts every report states, judged at `fail_on`.
    pub fn facts(&self, fail_on: FailOn) -> RunFacts {
        let explained = self
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    CaseOutcome::Failed(_) | CaseOutcome::HarnessError(_)
                )
            })
            .count() as u64;
        RunFacts {
            target: crate::redact::hide_url_password(&self.base_url).into_owned(),
            started: self.started.clone(),
            wall: self.wall,
            throttled: self.throttled,
            concurrency: self.concurrency.to_string(),
            capabilities: self
                .capabilities
                .names()
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            capability_matrix: self.capabilities.matrix(),
            warnings: self.capabilities.warnings.clone(),
            profile: self.profile,
            fail_on,
            selection: self.selection.clone(),
            interrupted: self.interrupted,
            unexplained_failures: self.conclusion.num_failed.saturating_sub(explained),
            acknowledged: self.acknowledged.clone(),
            created: self.created,
            max_creates: self.max_creates,
            settle: self.settle,
            settled: self.settled,
            redactor: self.redactor.clone(),
            gate: crate::compare::Gate::default(),
            fail_on_drift: false,
        }
    }
}

/// Problems that stop a run before any case runs: they are configuration errors, not
/// conformance failures.
#[derive(Debug, Error)]
pub enum SuiteError {
    #[error(transparent)]
    Cases(#[from] CaseError),
    #[error(transparent)]
    Schemas(#[from] SchemaError),
    #[error(transparent)]
    Client(#[from] ExecError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Select(#[from] SelectError),
    /// One request before any case proves the token; a rejected token would otherwise fail
    /// every case.
    #[error("the SCIM token was rejected: GET {url} answered {status}{body}; nothing was run")]
    TokenRejected {
        url: String,
        status: u16,
        /// `: ` and the start of the response body (redacted), or nothing.
        body: String,
    },
    /// [`crate::run`] was polled outside a tokio runtime.
    #[error("scimcheck::run must be awaited inside a tokio runtime")]
    NoRuntime,
    /// The runtime shut down while the cases ran.
    #[error("the run was cancelled: its tokio runtime shut down")]
    Cancelled,
}

/// Bytes of a rejecting response's body shown in the one-line error.
const REJECTION_EXCERPT: usize = 160;

/// Every credential the embedded mock issues, so that no case is skipped for want of one.
pub fn mock_credentials(mock: &MockServer) -> Credentials {
    let issued = mock.credentials();
    Credentials {
        scim: issued.scim_token.clone(),
        api_key: Some(issued.api_key.clone()),
        other_tenant: Some(issued.other_tenant_token.clone()),
    }
}

/// The names case files may refer to.
pub fn known_names(schemas: &SchemaRegistry) -> KnownNames {
    KnownNames {
        schemas: schemas.names().map(str::to_owned).collect(),
        target_schema_prefix: crate::check::schema::TARGET_PREFIX,
        rules: Rule::ALL.iter().map(|r| r.name().to_owned()).collect(),
    }
}

/// Loads and validates the cases, without touching any target.
pub fn load_cases(
    source: &CaseSource,
    schemas: &SchemaRegistry,
) -> Result<Vec<case::Case>, SuiteError> {
    let sources = match source {
        CaseSource::Embedded => case::load::embedded(),
        CaseSource::Dirs { builtin, dirs } => case::load::assemble(*builtin, dirs)?,
    };
    Ok(case::load::load(&sources, &known_names(schemas))?)
}

/// The run's first request, sent alone: the probe that decides how cases scope their lists
/// ([`Capabilities::scoping_probe`], an authenticated `GET /Users`), whose answer also proves
/// the token when `prove` is set. A 401 or 403 means the token is wrong or expired, which is a
/// configuration error, not hundreds of failed cases.
async fn first_request(target: &Target, prove: bool) -> Result<Probed, SuiteError> {
    let scoping = Capabilities::scoping_probe();
    // Not kept alive: a pooled connection the target may close while idle would be the first
    // case's to trip over.
    let headers = [("connection".to_owned(), "close".to_owned())];
    let answer = probe::send(target, &scoping, &headers).await;
    let probed = Probed::judge([(&scoping, answer.as_ref())]);
    // No answer (or one too large to read) says nothing of the token: discovery and the cases
    // report it.
    let Ok(exchange) = answer.as_ref() else {
        return Ok(probed);
    };
    let status = exchange.response.status;
    if !prove || (status != 401 && status != 403) {
        return Ok(probed);
    }
    let url = target.url(&scoping.endpoint);
    let body = target.redactor().redact(exchange.response.body.trim());
    let excerpt: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(REJECTION_EXCERPT)
        .collect();
    Err(SuiteError::TokenRejected {
        url,
        status,
        body: if excerpt.is_empty() {
            String::new()
        } else if body.chars().count() > REJECTION_EXCERPT {
            format!(": {excerpt}…")
        } else {
            format!(": {excerpt}")
        },
    })
}

/// Runs the suite on a thread that may block. `runtime` is the one runtime every trial blocks on.
pub(crate) fn run(
    config: SuiteConfig,
    runtime: &tokio::runtime::Handle,
) -> Result<SuiteOutcome, SuiteError> {
    let started_at = time::OffsetDateTime::now_utc();
    let mut libtest = config.libtest;
    let selector = selector(&config.plan.select, &mut libtest);
    // Parsing the catalogue takes about as long as a round trip to a distant target: the
    // first request goes out meanwhile. Either's error ends the run without waiting for the
    // other.
    let source = config.cases.clone();
    let loading = runtime.spawn_blocking(move || {
        let schemas = SchemaRegistry::builtin()?;
        let cases = load_cases(&source, &schemas)?;
        Ok::<_, SuiteError>((schemas, cases))
    });
    let reaching = async {
        let mut target = Target::new(&config.base_url, config.credentials, &config.client)?;
        if let Some(oauth) = config.oauth {
            target = target.with_oauth(oauth, config.client.insecure)?;
        }
        if let Some(revoked) = config.revoked_token {
            target = target.with_revoked_token(revoked);
        }
        if let Some(contract) = &config.plan.contract {
            target = target.with_contract_headers(contract);
        }
        if !libtest.list {
            target.authenticate().await?;
        }
        let first = first_request(&target, !libtest.list).await?;
        Ok::<_, SuiteError>((target, first))
    };
    let loaded = async {
        match loading.await {
            Ok(loaded) => loaded,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(SuiteError::Cancelled),
        }
    };
    let ((schemas, cases), (target, first)) =
        runtime.block_on(async { tokio::try_join!(loaded, reaching) })?;
    selector.check(&cases)?;
    select::check_skip_table(
        &config.plan.skip,
        config.plan.skip_origin.as_deref(),
        &cases,
    )?;
    let mut capabilities = runtime.block_on(Capabilities::discover_and_probe(
        &target,
        &cases,
        first,
        config.plan.read_only,
    ))?;
    // scimcheck.toml is about this very target, so it wins over the target's contract.
    if let Some(contract) = &config.plan.contract {
        capabilities.override_with(
            &contract.capability_overrides(),
            &format!("contract `{}`", contract.name),
        );
        capabilities.declare_filter_result_cap(contract);
    }
    capabilities.override_with(&config.plan.capability_overrides, "scimcheck.toml");
    // Custom attributes and extensions are checked against what the target itself publishes.
    let schemas = match &capabilities.published_schemas {
        Some((schemas_list, types_list)) => {
            match schemas.with_target_schemas(schemas_list, types_list) {
                Ok(with_target) => with_target,
                Err(error) => {
                    capabilities
                        .warnings
                        .push(format!("no target:* schemas: {error}"));
                    schemas
                }
            }
        }
        None => schemas,
    };
    let planned = plan::plan(
        cases,
        &capabilities,
        &|auth| target.missing_credential(auth),
        &config.plan,
    );
    let run_prefix = ledger::new_run_prefix();
    let ledger = config
        .ledger
        .as_deref()
        .map(|path| Ledger::open_for_run(path, &run_prefix))
        .transpose()?;
    let context = Arc::new(RunContext {
        target,
        schemas,
        run_prefix,
        snapshots: config.snapshots,
        ledger,
        interrupted: config.interrupted,
        profile: config.profile,
        marker: capabilities.marker,
        scoping: capabilities.scoping,
        discovered: capabilities.variables(),
        capabilities: capabilities.supported.clone(),
        contract: config.plan.contract.clone(),
        created: AtomicU32::new(0),
        settle: config.plan.settle,
        settled_ms: AtomicU64::new(0),
    });
    let collector = Arc::new(Collector::default());
    let total = planned.len();
    // Cases left out never become trials: libtest-mimic's own filter knows names alone.
    let (mut planned, left_out): (Vec<Planned>, Vec<Planned>) =
        planned.into_iter().partition(|p| selector.matches(&p.case));
    // Only what runs spends the budget.
    if let Some(max) = config.plan.max_creates {
        plan::budget::apply(
            &mut planned,
            max,
            &plan::budget::Declared::new(&context.discovered),
        );
    }
    let selection = Selection {
        total,
        selector,
        read_only: config.plan.read_only,
        not_selected: left_out.into_iter().map(|p| p.case.id).collect(),
    };
    let tally = Arc::new(Tally::new(planned.len()));
    let started = Instant::now();
    let progress = (!libtest.quiet && !libtest.list)
        .then(|| Progress::show(Arc::clone(&tally), progress_display()));
    let trials = if libtest.list {
        planned
            .into_iter()
            .map(|p| Trial::test(p.case.id, || Ok(())))
            .collect()
    } else {
        // The cases are tasks on the runtime, started here; libtest's trials, run one after
        // another, each wait for their case's result.
        let jobs = libtest.test_threads.unwrap_or(usize::MAX);
        libtest.test_threads = Some(1);
        let results = start_cases(planned, jobs, &context, runtime, &collector, &tally);
        results
            .into_iter()
            .map(|(id, result)| trial(id, result, runtime.clone()))
            .collect()
    };
    let conclusion = libtest_mimic::run(&libtest, trials);
    drop(progress);
    Ok(SuiteOutcome {
        conclusion,
        results: collector.take(),
        capabilities,
        wall: started.elapsed(),
        throttled: context.target.throttled(),
        concurrency: context.target.concurrency_report(),
        base_url: context.target.base_url().to_owned(),
        started: started_at
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default(),
        profile: context.profile,
        selection,
        interrupted: context.interrupted.load(Ordering::Relaxed),
        redactor: context.target.redactor().clone(),
        created: context.created.load(Ordering::Relaxed),
        max_creates: config.plan.max_creates,
        settle: config.plan.settle,
        settled: Duration::from_millis(context.settled_ms.load(Ordering::Relaxed)),
        acknowledged: context
            .contract
            .as_ref()
            .map(|c| c.deviations.clone())
            .unwrap_or_default(),
    })
}

/// The plan's selector with libtest's filter, `--exact` and `--skip` (from a caller that still
/// sets them) folded in, and taken out of `libtest`, which then runs every trial it is given.
fn selector(select: &Selector, libtest: &mut Arguments) -> Selector {
    let mut selector = select.clone();
    selector.names.extend(libtest.filter.take());
    selector.skip.append(&mut libtest.skip);
    selector.exact |= std::mem::take(&mut libtest.exact);
    selector
}

/// A live line on a terminal that libtest's stdout does not write to (their lines would mix),
/// a plain line now and then otherwise.
fn progress_display() -> Display {
    if std::io::stderr().is_terminal() && !std::io::stdout().is_terminal() {
        Display::Live
    } else {
        Display::Plain
    }
}

/// Starts every case as a task on `runtime`, those with the longest chains of round trips
/// first, at most `jobs` at once; each case's id and its result to come, in catalogue order.
/// A case records its result whatever happens: a panic anywhere in it is caught and recorded
/// as a harness error.
fn start_cases(
    planned: Vec<Planned>,
    jobs: usize,
    context: &Arc<RunContext>,
    runtime: &tokio::runtime::Handle,
    collector: &Arc<Collector>,
    tally: &Arc<Tally>,
) -> Vec<(String, JoinHandle<CaseOutcome>)> {
    let order = schedule::longest_first(planned.iter().map(|p| &p.case));
    let jobs = Arc::new(Semaphore::new(jobs.min(Semaphore::MAX_PERMITS)));
    let mut planned: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
    let mut started: Vec<Option<(String, JoinHandle<CaseOutcome>)>> =
        planned.iter().map(|_| None).collect();
    for index in order {
        let Some(planned) = planned[index].take() else {
            continue;
        };
        let id = planned.case.id.clone();
        let (context, collector, tally, jobs) = (
            Arc::clone(context),
            Arc::clone(collector),
            Arc::clone(tally),
            Arc::clone(&jobs),
        );
        let task = runtime.spawn(async move {
            // The semaphore is never closed.
            let _job = jobs.acquire_owned().await.ok();
            let Planned { case, index, skip } = &planned;
            tally.begin(&case.id);
            let result = guard(case, async {
                if let Some(reason) = skip {
                    return CaseResult::new(case, CaseOutcome::Skipped(reason.clone()));
                }
                if context.interrupted.load(Ordering::Relaxed) {
                    return CaseResult::new(case, CaseOutcome::Interrupted);
                }
                let run = run_case(case, *index, &context).await;
                CaseResult::from_run(case, run, context.target.redactor())
            })
            .await;
            let outcome = result.outcome.clone();
            collector.record(result);
            tally.end(&case.id);
            outcome
        });
        started[index] = Some((id, task));
    }
    started.into_iter().flatten().collect()
}

/// One case as a libtest trial: waits for the case's task and passes its outcome on.
fn trial(id: String, outcome: JoinHandle<CaseOutcome>, runtime: tokio::runtime::Handle) -> Trial {
    Trial::ignorable_test(id, move || {
        let outcome = match runtime.block_on(outcome) {
            Ok(outcome) => outcome,
            // The task caught its own panics: this is the runtime shutting down under it.
            Err(_) => CaseOutcome::Interrupted,
        };
        match outcome {
            CaseOutcome::Passed => Ok(Completion::Completed),
            CaseOutcome::Skipped(reason) => Ok(Completion::ignored_with(reason)),
            CaseOutcome::Interrupted => Ok(Completion::ignored_with("interrupted")),
            CaseOutcome::Failed(message) => Err(Failed::from(message)),
            CaseOutcome::HarnessError(panic) => Err(Failed::from(format!(
                "scimcheck panicked (a bug in scimcheck, not in the target): {panic}"
            ))),
        }
    })
}

/// `body`'s result, or a harness error carrying the panic's message if it panicked.
async fn guard(case: &Case, body: impl Future<Output = CaseResult>) -> CaseResult {
    AssertUnwindSafe(body)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| {
            CaseResult::new(case, CaseOutcome::HarnessError(panic_message(&*payload)))
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::case::load::{CaseSource, load};

    #[tokio::test]
    async fn a_case_that_panics_is_recorded_as_a_harness_error_with_the_message() {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let sources = [CaseSource {
            relative: "users/x.yaml".into(),
            display: "cases/users/x.yaml".into(),
            text: Arc::from(
                "name: x\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: MUST\nsteps:\n  - name: s\n    request: { method: GET, path: /Users }\n    expect: { status: 200 }\n",
            ),
        }];
        let case = load(&sources, &known_names(&schemas))
            .expect("case")
            .remove(0);
        let result = guard(&case, async { panic!("totalResults overflowed") }).await;
        assert_eq!(
            result.outcome,
            CaseOutcome::HarnessError("totalResults overflowed".into())
        );
        assert_eq!(result.id, "users::x");
        let fine = guard(&case, async { CaseResult::new(&case, CaseOutcome::Passed) }).await;
        assert_eq!(fine.outcome, CaseOutcome::Passed);
    }
}
