//! The whole pipeline behind `scimcheck run`, as a library call: load cases, discover the
//! target, plan trials, run them with libtest-mimic, and hand back every result.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Conclusion};
use thiserror::Error;

use crate::case::{self, CaseError, KnownNames};
use crate::check::Profile;
use crate::check::rules::Rule;
use crate::check::schema::{SchemaError, SchemaRegistry};
use crate::exec::client::{ClientOptions, Credentials, ExecError, Target};
use crate::exec::ledger::{self, Ledger, LedgerError};
use crate::exec::limit::ConcurrencyReport;
use crate::exec::run::RunContext;
use crate::mock::MockServer;
use crate::plan::{self, Capabilities, PlanError, PlanOptions};
use crate::report::{CaseResult, Collector};

/// Where the cases come from.
#[derive(Debug, Clone, Default)]
pub enum CaseSource {
    /// The catalogue compiled into the binary.
    #[default]
    Embedded,
    /// Every `*.yaml` below a folder.
    Dir(PathBuf),
}

/// A run, fully configured.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    pub base_url: String,
    pub credentials: Credentials,
    pub cases: CaseSource,
    /// `snapshots/<target>` to compare snapshots against; `None` turns snapshots off.
    pub snapshot_dir: Option<PathBuf>,
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
pub struct SuiteOutcome {
    pub conclusion: Conclusion,
    pub results: Vec<CaseResult>,
    pub capabilities: Capabilities,
    pub wall: Duration,
    /// How often the target answered 429 or 503 and was waited out.
    pub throttled: u32,
    /// The concurrency the run settled at, and why it backed off.
    pub concurrency: ConcurrencyReport,
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
}

/// Trials wait on the network, not the CPU: every case may be under way at once (up to this
/// many) unless `--test-threads` says otherwise. The load on the target is bounded separately,
/// by the client's in-flight limit.
pub const MAX_TEST_THREADS: usize = 256;

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
        CaseSource::Dir(dir) => case::load::read_dir(dir)?,
    };
    Ok(case::load::load(&sources, &known_names(schemas))?)
}

/// Runs the suite. `runtime` is the one runtime every trial blocks on.
pub fn run(
    config: SuiteConfig,
    runtime: &tokio::runtime::Runtime,
) -> Result<SuiteOutcome, SuiteError> {
    let schemas = SchemaRegistry::builtin()?;
    let cases = load_cases(&config.cases, &schemas)?;
    let target = Target::new(&config.base_url, config.credentials, &config.client)?;
    let mut capabilities = runtime.block_on(async {
        let mut capabilities = Capabilities::discover(&target).await?;
        capabilities.probe_filters(&target, &cases).await;
        Ok::<_, PlanError>(capabilities)
    })?;
    capabilities.override_with(&config.plan.capability_overrides);
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
        // insta resolves a relative snapshot path against the source file that asserts.
        snapshot_dir: config
            .snapshot_dir
            .map(|dir| std::path::absolute(&dir).unwrap_or(dir)),
        ledger,
        interrupted: config.interrupted,
        profile: config.profile,
        marker: capabilities.marker,
        scoping: capabilities.scoping,
    });
    let collector = Arc::new(Collector::default());
    let trials = plan::trials(
        cases,
        &capabilities,
        Arc::clone(&context),
        runtime.handle().clone(),
        Arc::clone(&collector),
        config.plan,
    );
    let mut libtest = config.libtest;
    libtest
        .test_threads
        .get_or_insert(trials.len().clamp(1, MAX_TEST_THREADS));
    let started = Instant::now();
    let conclusion = libtest_mimic::run(&libtest, trials);
    Ok(SuiteOutcome {
        conclusion,
        results: collector.take(),
        capabilities,
        wall: started.elapsed(),
        throttled: context.target.throttled(),
        concurrency: context.target.concurrency_report(),
    })
}
