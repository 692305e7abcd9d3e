//! Running one case: steps in order, captures into variables, created resources into a ledger
//! that the teardown empties whatever happened.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use reqwest::Url;
use serde_json::Value;

use super::client::{self, Exchange, ExecError, Target};
use super::ledger::{Entry, Event, Ledger, name_of};
use super::limit;
use super::schedule;
use super::walk;
use crate::case::generate::{generate, runs};
use crate::case::model::{Capture, Method, Request, StatusSet};
use crate::case::template::{self, REPEAT_INDEX, RenderError, Scope, Scoping};
use crate::case::{Auth, Capability, Case};
use crate::check::assert::resolve;
use crate::check::schema::SchemaRegistry;
use crate::check::snapshot::{
    self, Asserted, CaseSnapshots, Part, Record, Recorder, SnapshotOptions, Stored,
};
use crate::check::{self, CheckContext, Mismatch, Profile};
use crate::contract::Contract;

/// What every case of a run shares.
pub struct RunContext {
    pub target: Target,
    pub schemas: SchemaRegistry,
    /// Unique to this run; every resource a case creates carries it.
    pub run_prefix: String,
    /// Which exchanges are recorded, and where their snapshots are stored.
    pub snapshots: SnapshotOptions,
    /// Where created resources are recorded for `scimcheck sweep`; `None` for the embedded
    /// mock, whose data dies with the run.
    pub ledger: Option<Ledger>,
    /// Set on the first Ctrl-C: cases stop before their next step and clean up.
    pub interrupted: Arc<AtomicBool>,
    pub profile: Profile,
    /// The value of `${marker}` (cases that need one the target lacks were skipped).
    pub marker: &'static str,
    /// How `${scope}` selects a case's own Users.
    pub scoping: Scoping,
    /// The built-in variables discovery defined (see `Capabilities::variables`).
    pub discovered: Vec<(&'static str, String)>,
    /// What the target supports: a step whose `requires` names anything else is left out.
    pub capabilities: BTreeSet<Capability>,
    /// The target's contract: generated addresses use its domain, and bodies that create or
    /// replace a resource get the attributes it requires.
    pub contract: Option<Arc<Contract>>,
    /// Resources the cases created, for the summary.
    pub created: AtomicU32,
    /// How long a read that fails its expectations is retried, for a target that serves reads
    /// stale for a while after a write; `None` (strict) fails it at once.
    pub settle: Option<Duration>,
    /// The longest a read took to become consistent, in milliseconds.
    pub settled_ms: AtomicU64,
}

impl RunContext {
    /// Writes to the ledger what `sweep`, which holds only the SCIM token, could remove.
    /// Values are redacted first: the id and name come from the target, which may echo a secret.
    fn record(&self, event: Event, created: &Created, problems: &mut Vec<String>) {
        let Some(ledger) = self.ledger.as_ref().filter(|_| created.auth == Auth::Scim) else {
            return;
        };
        let redact = |text: &str| self.target.redactor().redact(text).into_owned();
        let entry = Entry {
            event,
            target: redact(self.target.base_url()),
            url: redact(created.url.as_str()),
            id: redact(&created.id),
            name: created.name.as_deref().map(redact),
            run: self.run_prefix.clone(),
        };
        if let Err(error) = ledger.append(&entry) {
            problems.push(error.to_string());
        }
    }
}

/// The outcome of one case.
#[derive(Debug)]
pub struct CaseRun {
    /// Requests sent by the steps.
    pub requests: u32,
    /// Those requests in order, with their step, status and time.
    pub trace: Vec<Sent>,
    /// Round trips one after another, teardown included: the case's critical path.
    pub chain: u32,
    pub duration: Duration,
    /// The first step whose subject did not hold; the case stops there.
    pub failure: Option<StepFailure>,
    /// Invariants (general checks the case does not cite) that broke on the way; they do not
    /// stop the case.
    pub invariants: Vec<StepFailure>,
    /// Known-lenient deviations the compat profile let pass.
    pub deviations: Vec<String>,
    /// Resources the teardown could not delete, and ledger writes that failed.
    pub cleanup_problems: Vec<String>,
    /// The run was interrupted (Ctrl-C, SIGTERM, SIGHUP) before the case finished its steps.
    pub interrupted: bool,
    /// A step panicked: a bug in scimcheck, not in the target. The message of the panic.
    pub panic: Option<String>,
    /// How its responses compared with their stored snapshots (`--snapshots`).
    pub snapshots: CaseSnapshots,
}

/// What the steps of a case gather besides their verdict.
#[derive(Debug, Default)]
pub struct Journal {
    /// The step under way (0-based).
    pub step: usize,
    /// Every request sent, in order.
    pub trace: Vec<Sent>,
    /// Requests sent beside another (a `concurrent` repeat): in `trace`, not in the chain.
    pub overlapped: u32,
    pub deviations: Vec<String>,
    /// Pages of a walk whose invariants broke, for the step to record.
    pub invariant_pages: Vec<(Exchange, Vec<Mismatch>)>,
    /// Normalizes every exchange, when the run records them.
    pub recorder: Option<Recorder>,
}

impl Journal {
    /// Notes a request the step under way sent.
    pub fn sent(&mut self, exchange: &Exchange) {
        let record = self
            .recorder
            .as_mut()
            .map(|recorder| recorder.record(self.step, exchange));
        self.trace.push(Sent {
            step: self.step,
            method: exchange.request.method,
            url: exchange.request.url.clone(),
            status: exchange.response.status,
            elapsed: exchange.response.elapsed,
            record,
        });
    }
}

/// One request a case's steps sent: which step, what, the answer's status and its time.
#[derive(Debug, Clone)]
pub struct Sent {
    pub step: usize,
    pub method: Method,
    pub url: String,
    pub status: u16,
    pub elapsed: Duration,
    /// The exchange normalized, when the run records them (`--snapshots`, `compare`).
    pub record: Option<Record>,
}

/// Why a step failed: the exchange (if one happened) and what did not hold, or an error.
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub step: usize,
    pub step_name: String,
    /// `file:line:column` of the step.
    pub location: String,
    pub exchange: Option<Exchange>,
    pub mismatches: Vec<Mismatch>,
    /// Why no response could be checked, if none could.
    pub error: Option<StepError>,
}

/// A step that ended without a response to check.
#[derive(Debug, Clone)]
pub struct StepError {
    pub message: String,
    /// The target did not answer (a timeout, a refused or reset connection), as opposed to a
    /// problem on our side (an interrupt, a variable a failed capture left undefined).
    pub unanswered: bool,
}

impl StepError {
    pub fn ours(message: impl Into<String>) -> StepError {
        StepError {
            message: message.into(),
            unanswered: false,
        }
    }
}

impl From<ExecError> for StepError {
    fn from(error: ExecError) -> StepError {
        StepError {
            unanswered: matches!(error, ExecError::Transport { .. }),
            message: error.to_string(),
        }
    }
}

#[derive(Clone)]
struct CaseScope {
    variables: HashMap<String, Value>,
    case_prefix: String,
    email_domain: Option<String>,
    /// The userNames of the Users the case created, deleted ones included, which
    /// [`Scoping::UserNames`] lists one by one.
    user_names: Vec<String>,
    /// The userNames of Users a refused Bulk request asked to create: the target said no, but
    /// if it created some anyway the teardown must find them by name to delete them.
    unconfirmed: Vec<String>,
    /// Every id the case created, deleted ones included.
    owned: HashSet<String>,
    /// Ids a list answer showed that the case did not create (a target that ignores a filter
    /// lists everyone): a write to one is refused, so a case never changes someone else's user.
    foreign: HashSet<String>,
}

impl CaseScope {
    /// Remembers what the case created so far, and the ids a list answer showed besides.
    fn note_listed(&mut self, exchange: &Exchange, ledger: &[Created]) {
        for created in ledger {
            if !self.owned.contains(&created.id) {
                self.owned.insert(created.id.clone());
            }
        }
        let listed = exchange
            .response
            .json
            .as_ref()
            .and_then(|body| resolve(body, "/Resources"))
            .and_then(Value::as_array);
        for id in listed
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id")?.as_str())
        {
            if !self.owned.contains(id) {
                self.foreign.insert(id.to_owned());
            }
        }
    }

    /// The id of a resource the case did not create that a write to `path` would change.
    fn foreign_target<'p>(&self, method: Method, path: &'p str) -> Option<&'p str> {
        if !matches!(method, Method::Put | Method::Patch | Method::Delete) {
            return None;
        }
        let id = path.trim_end_matches('/').rsplit('/').next()?;
        self.foreign.contains(id).then_some(id)
    }
}

impl Scope for CaseScope {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    fn case_prefix(&self) -> &str {
        &self.case_prefix
    }

    fn email_domain(&self) -> Option<&str> {
        self.email_domain.as_deref()
    }
}

/// A resource the case created and the teardown must delete.
struct Created {
    id: String,
    /// `{the POSTed collection}/{id}`: the one URL its teardown deletes.
    url: Url,
    /// The userName or displayName it was created with.
    name: Option<String>,
    /// Its id came from its own body. A Bulk creation is known only by the location the
    /// response gave, which could name anyone: the teardown reads it before deleting it.
    id_from_body: bool,
    /// The credential that created it, and so the one that can delete it (another tenant's
    /// resource is invisible to our token).
    auth: Auth,
}

pub async fn run_case(case: &Case, case_index: usize, context: &RunContext) -> CaseRun {
    // The steps set it as they go.
    limit::CHAIN_LEFT
        .scope(Cell::new(0), run_case_ranked(case, case_index, context))
        .await
}

/// [`run_case`], whose requests are ranked by the round trips the case has left.
async fn run_case_ranked(case: &Case, case_index: usize, context: &RunContext) -> CaseRun {
    let started = Instant::now();
    let case_prefix = format!("{}-{case_index:03}", context.run_prefix);
    let mut scope = CaseScope {
        variables: HashMap::from([
            (
                "runPrefix".into(),
                Value::String(context.run_prefix.clone()),
            ),
            ("casePrefix".into(), Value::String(case_prefix.clone())),
            (
                "baseUrl".into(),
                Value::String(context.target.base_url().to_owned()),
            ),
            (
                "uuid".into(),
                Value::String(uuid::Uuid::new_v4().to_string()),
            ),
        ]),
        case_prefix,
        email_domain: context
            .contract
            .as_ref()
            .and_then(|c| c.email_domain())
            .map(str::to_owned),
        user_names: Vec::new(),
        unconfirmed: Vec::new(),
        owned: HashSet::new(),
        foreign: HashSet::new(),
    };
    scope
        .variables
        .insert(template::MARKER.into(), Value::from(context.marker));
    for (name, value) in &context.discovered {
        scope
            .variables
            .insert((*name).to_owned(), Value::from(value.as_str()));
    }
    let own_users = context
        .scoping
        .filter(&scope.case_prefix, context.marker, &[]);
    scope
        .variables
        .insert(template::SCOPE.into(), Value::from(own_users));
    let mut ledger: Vec<Created> = Vec::new();
    let mut ledger_problems = Vec::new();
    // Only what is compared or recorded pays for normalization.
    let records = context.snapshots.every_step
        || (context.snapshots.dir.is_some()
            && case.spec.steps.iter().any(|s| s.value.expect.snapshot));
    let mut journal = Journal {
        recorder: records.then(|| {
            Recorder::new(
                context.target.base_url(),
                &[&scope.case_prefix, &context.run_prefix],
                context.target.redactor(),
            )
        }),
        ..Journal::default()
    };
    let mut invariants = Vec::new();
    // A panicking step must not skip the teardown: what the case created is still deleted.
    let steps = run_steps(
        case,
        context,
        &mut scope,
        &mut ledger,
        &mut ledger_problems,
        &mut journal,
        &mut invariants,
    );
    let (outcome, panic) = match AssertUnwindSafe(steps).catch_unwind().await {
        Ok(outcome) => (outcome, None),
        Err(payload) => (Ok(None), Some(panic_message(&*payload))),
    };
    schedule::now_left(schedule::teardown_round_trips(case));
    let adopted = adopt_unconfirmed(&scope, context, &mut ledger, &mut ledger_problems).await;
    let (cleanup_round_trips, mut cleanup_problems) = teardown(ledger, context).await;
    let cleanup_round_trips = cleanup_round_trips + adopted;
    cleanup_problems.append(&mut ledger_problems);
    // They quote URLs the target chose, and are written to the summary and every report as is.
    let redactor = context.target.redactor();
    let cleanup_problems = cleanup_problems
        .iter()
        .map(|problem| redactor.redact(problem).into_owned())
        .collect();
    let (failure, interrupted) = match outcome {
        Ok(failure) => (failure, false),
        Err(Interrupted) => (None, true),
    };
    let snapshots = match (journal.recorder.take(), &context.snapshots.dir) {
        (Some(recorder), Some(dir)) if context.snapshots.every_step && !interrupted => {
            let names: Vec<String> = case
                .spec
                .steps
                .iter()
                .map(|s| s.value.name.clone())
                .collect();
            let (dir, id, file) = (dir.clone(), case.id.clone(), case.file.clone());
            // Cases run as tasks: their snapshot files are read and written off the runtime.
            let settled = tokio::task::spawn_blocking(move || {
                let step_name = |step: usize| names.get(step).cloned().unwrap_or_default();
                CaseSnapshots::settle(&recorder.records, &dir, &id, &file, step_name)
            })
            .await;
            settled.unwrap_or_else(|error| CaseSnapshots {
                errors: vec![format!("failed to store the snapshots: {error}")],
                ..CaseSnapshots::default()
            })
        }
        _ => CaseSnapshots::default(),
    };
    CaseRun {
        snapshots,
        requests: requests(&journal.trace),
        chain: requests(&journal.trace).saturating_sub(journal.overlapped) + cleanup_round_trips,
        trace: journal.trace,
        duration: started.elapsed(),
        failure,
        invariants,
        deviations: journal.deviations,
        cleanup_problems,
        interrupted,
        panic,
    }
}

fn requests(trace: &[Sent]) -> u32 {
    u32::try_from(trace.len()).unwrap_or(u32::MAX)
}

/// The text of a panic's payload (what `panic!` was given).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The run was interrupted before a case's steps were done.
struct Interrupted;

/// Runs the steps in order until one's subject fails, which it returns. Invariants that break
/// go to `invariants` and the steps go on.
async fn run_steps(
    case: &Case,
    context: &RunContext,
    scope: &mut CaseScope,
    ledger: &mut Vec<Created>,
    ledger_problems: &mut Vec<String>,
    journal: &mut Journal,
    invariants: &mut Vec<StepFailure>,
) -> Result<Option<StepFailure>, Interrupted> {
    let chain_left = schedule::chain_left(case);
    for (index, spanned) in case.spec.steps.iter().enumerate() {
        let step = &spanned.value;
        journal.step = index;
        schedule::now_left(chain_left[index]);
        let fail =
            |exchange: Option<Exchange>, mismatches: Vec<Mismatch>, error: Option<StepError>| {
                StepFailure {
                    step: index,
                    step_name: step.name.clone(),
                    location: case.step_location(index),
                    exchange,
                    mismatches,
                    error,
                }
            };
        if step
            .requires
            .iter()
            .any(|c| !context.capabilities.contains(c))
        {
            continue;
        }
        for (name, spec) in &step.generate {
            match generate(spec, &*scope) {
                Ok(value) => {
                    scope.variables.insert(name.clone(), value);
                }
                Err(error) => {
                    let message = format!("failed to generate `{name}`: {error}");
                    return Ok(Some(fail(None, Vec::new(), Some(StepError::ours(message)))));
                }
            }
        }
        let times = match runs(step.repeat.as_ref(), &*scope) {
            Ok(times) => times,
            Err(error) => {
                let message = format!("failed to count the step's runs: {error}");
                return Ok(Some(fail(None, Vec::new(), Some(StepError::ours(message)))));
            }
        };
        let mut sent_ahead = match (&step.request, step.concurrent) {
            (Some(request), true) => {
                let runs: Vec<CaseScope> = (1..=times)
                    .map(|iteration| {
                        let mut run = scope.clone();
                        run.variables
                            .insert(REPEAT_INDEX.into(), Value::from(iteration));
                        run
                    })
                    .collect();
                journal.overlapped += u32::try_from(runs.len().saturating_sub(1)).unwrap_or(0);
                let sends = runs
                    .iter()
                    .map(|run| send(request, step.auth, run, context));
                // Everything created is in the ledger before any run is checked: a failing or
                // interrupted run must not leave the others' creations behind.
                let sent: Vec<_> = futures_util::future::join_all(sends)
                    .await
                    .into_iter()
                    .map(|sent| {
                        let tracked = sent.as_ref().ok().map(|exchange| {
                            journal.sent(exchange);
                            track_resources(exchange, context, ledger, ledger_problems)
                        });
                        (sent, tracked)
                    })
                    .collect();
                sent.into_iter()
            }
            _ => Vec::new().into_iter(),
        };
        for iteration in 1..=times {
            if context.interrupted.load(Ordering::Relaxed) {
                return Err(Interrupted);
            }
            #[cfg(test)]
            if step.name == tests::PANIC_STEP {
                panic!("a step panicked on purpose");
            }
            if step.repeat.is_some() {
                scope
                    .variables
                    .insert(REPEAT_INDEX.into(), Value::from(iteration));
            }
            let mut settling = Settling::new(context.settle);
            if let Some(walk) = &step.walk {
                let outcome = loop {
                    let outcome =
                        walk::run(walk, step, &*scope, context, &case.spec.rfc, journal).await;
                    let stale =
                        matches!(&outcome, Err((_, mismatches, None)) if !mismatches.is_empty());
                    if !(stale && settling.wait().await) {
                        break outcome;
                    }
                    // A stale walk's pages are not the target's last word.
                    journal.invariant_pages.clear();
                };
                settling.done(outcome.is_ok(), context);
                for (exchange, mismatches) in journal.invariant_pages.drain(..) {
                    invariants.push(fail(Some(exchange), mismatches, None));
                }
                if let Err((exchange, mismatches, error)) = outcome {
                    return Ok(Some(fail(exchange, mismatches, error)));
                }
                continue;
            }
            let Some(request) = &step.request else {
                continue;
            };
            let rereadable = request.method == Method::Get
                || (request.method == Method::Post && request.path.ends_with("/.search"));
            // The first attempt may have been sent already (a `concurrent` repeat).
            let mut ahead = sent_ahead.next();
            // Each attempt at a read; a stale one is sent again while the settle window lasts.
            loop {
                let (sent, tracked) = match ahead.take() {
                    Some(ahead) => ahead,
                    None => (send(request, step.auth, &*scope, context).await, None),
                };
                let exchange = match sent {
                    Ok(exchange) => exchange,
                    Err(Unsent::Error(error)) => {
                        return Ok(Some(fail(None, Vec::new(), Some(error))));
                    }
                    Err(Unsent::Outside(finding)) => {
                        return Ok(Some(fail(None, vec![finding], None)));
                    }
                };
                let mut mismatches = tracked.unwrap_or_else(|| {
                    journal.sent(&exchange);
                    track_resources(&exchange, context, ledger, ledger_problems)
                });
                scope.note_listed(&exchange, ledger);
                if let Some(name) = created_user_name(&exchange) {
                    scope.user_names.push(name);
                    let own_users = context.scoping.filter(
                        &scope.case_prefix,
                        context.marker,
                        &scope.user_names,
                    );
                    scope
                        .variables
                        .insert(template::SCOPE.into(), Value::from(own_users));
                }
                let unconfirmed = refused_bulk_user_names(&exchange);
                if !unconfirmed.is_empty() {
                    scope.user_names.extend(unconfirmed.iter().cloned());
                    scope.unconfirmed.extend(unconfirmed);
                    let own_users = context.scoping.filter(
                        &scope.case_prefix,
                        context.marker,
                        &scope.user_names,
                    );
                    scope
                        .variables
                        .insert(template::SCOPE.into(), Value::from(own_users));
                }
                mismatches.extend(capture(&step.capture, &exchange, &mut scope.variables));
                let check_context = CheckContext {
                    schemas: &context.schemas,
                    profile: context.profile,
                };
                match check::check(
                    &step.expect,
                    &exchange,
                    &*scope,
                    &check_context,
                    &mut journal.deviations,
                ) {
                    Ok(found) => mismatches.extend(found),
                    Err(error) => {
                        return Ok(Some(fail(
                            Some(exchange),
                            mismatches,
                            Some(StepError::ours(error.to_string())),
                        )));
                    }
                }
                if step.expect.snapshot && exchange.response.json.is_some() {
                    mismatches.extend(assert_snapshot(case, step, index, context, journal));
                }
                let (broken, mismatches): (Vec<_>, Vec<_>) = mismatches
                    .into_iter()
                    .partition(|m| m.is_invariant_for(&case.spec.rfc));
                if rereadable && !mismatches.is_empty() && settling.wait().await {
                    continue;
                }
                settling.done(mismatches.is_empty(), context);
                if !broken.is_empty() {
                    invariants.push(fail(Some(exchange.clone()), broken, None));
                }
                if !mismatches.is_empty() {
                    return Ok(Some(fail(Some(exchange), mismatches, None)));
                }
                break;
            }
        }
    }
    Ok(None)
}

/// A read being retried within the settle window.
struct Settling {
    window: Option<Duration>,
    started: Instant,
    retried: bool,
    pause: Duration,
}

impl Settling {
    fn new(window: Option<Duration>) -> Settling {
        Settling {
            window,
            started: Instant::now(),
            retried: false,
            pause: Duration::from_millis(50),
        }
    }

    /// Waits before the next attempt; `false` when the window (if any) is over.
    async fn wait(&mut self) -> bool {
        let Some(left) = self
            .window
            .and_then(|w| w.checked_sub(self.started.elapsed()))
        else {
            return false;
        };
        tokio::time::sleep(self.pause.min(left)).await;
        self.pause = (self.pause * 2).min(Duration::from_millis(400));
        self.retried = true;
        true
    }

    /// Records how long a read that needed retries took to become consistent.
    fn done(&self, consistent: bool, context: &RunContext) {
        if self.retried && consistent {
            let took = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            context.settled_ms.fetch_max(took, Ordering::Relaxed);
        }
    }
}

/// Why a step's request has no response.
enum Unsent {
    Error(StepError),
    /// Its URL is not under the base URL: a finding against the target that handed it out.
    Outside(Mismatch),
}

/// Renders and sends a step's request.
async fn send(
    request: &Request,
    auth: Auth,
    scope: &CaseScope,
    context: &RunContext,
) -> Result<Exchange, Unsent> {
    let render = |text: &str| template::render_str(text, scope);
    let rendered = || -> Result<_, RenderError> {
        let path = render(&request.path)?;
        let query = request
            .query
            .iter()
            .map(|(k, v)| Ok((k.clone(), render(v)?)))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let headers = request
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), render(v)?)))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let body = match (&request.body, &request.raw_body) {
            (Some(body), _) => {
                let mut body = template::render_value(body, scope)?;
                if let Some(contract) = &context.contract {
                    contract.complete(request.method, &path, &mut body, scope);
                }
                Some(body.to_string())
            }
            (None, Some(raw)) => Some(render(raw)?),
            (None, None) => None,
        };
        Ok((path, query, headers, body))
    };
    let (path, query, headers, body) =
        rendered().map_err(|e| Unsent::Error(StepError::ours(e.to_string())))?;
    if let Some(id) = scope.foreign_target(request.method, &path) {
        return Err(Unsent::Outside(Mismatch {
            subject: "the request".into(),
            expected: "a write only to resources this run created".into(),
            actual: format!(
                "{} {path}: {id} came from a list answer and this run did not create it; not requested",
                request.method.as_str()
            ),
            ..Mismatch::default()
        }));
    }
    context
        .target
        .send(
            request.method,
            &context.target.url(&path),
            &query,
            &headers,
            body,
            auth,
        )
        .await
        .map_err(|error| match error {
            ExecError::Outside { url, reason, .. } => Unsent::Outside(Mismatch {
                subject: "the request URL".into(),
                expected: format!(
                    "a URL under the base URL {} (RFC 7644 §3.1: a resource's location is the \
                     service provider's)",
                    context.target.base_url()
                ),
                actual: format!("{url}: {reason}; not requested"),
                ..Mismatch::default()
            }),
            error => Unsent::Error(error.into()),
        })
}

/// The userName of the User a POST created, for `${scope}` to name.
fn created_user_name(exchange: &Exchange) -> Option<String> {
    let request = &exchange.request;
    let collection = Url::parse(&request.url).ok()?;
    let to_users = collection.path_segments()?.next_back() == Some("Users");
    if request.method != Method::Post || exchange.response.status != 201 || !to_users {
        return None;
    }
    exchange
        .response
        .json
        .as_ref()
        .and_then(name_of)
        .map(str::to_owned)
}

/// The userNames of the Users a Bulk request asked to create, when the target refused the
/// request as a whole (a 413 over its limits, any answer but 200): nothing says which, if any,
/// it created anyway.
fn refused_bulk_user_names(exchange: &Exchange) -> Vec<String> {
    let request = &exchange.request;
    let to_bulk = Url::parse(&request.url)
        .ok()
        .and_then(|url| Some(url.path_segments()?.next_back()? == "Bulk"))
        .unwrap_or(false);
    if request.method != Method::Post || exchange.response.status == 200 || !to_bulk {
        return Vec::new();
    }
    let sent = request
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok());
    let operations = sent
        .as_ref()
        .and_then(|b| resolve(b, "/Operations"))
        .and_then(Value::as_array);
    operations
        .into_iter()
        .flatten()
        .filter(|op| {
            let text = |pointer| resolve(op, pointer).and_then(Value::as_str);
            text("/method").is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                && text("/path").is_some_and(|p| p.trim_end_matches('/').ends_with("/Users"))
        })
        .filter_map(|op| resolve(op, "/data").and_then(name_of).map(str::to_owned))
        .collect()
}

/// Finds, by the case's `${scope}` filter, the Users a refused Bulk request named and puts
/// those the target created anyway in the ledger; the round trips it took (none when no Bulk
/// was refused, or the case went on to create every name it named).
async fn adopt_unconfirmed(
    scope: &CaseScope,
    context: &RunContext,
    ledger: &mut Vec<Created>,
    problems: &mut Vec<String>,
) -> u32 {
    // A userName the case went on to create itself was free, so the refused request did not
    // take it (userName is unique, RFC 7643 §4.1.1): only the others are looked for.
    let unconfirmed: Vec<&String> = scope
        .unconfirmed
        .iter()
        .filter(|u| {
            !ledger
                .iter()
                .any(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(u)))
        })
        .collect();
    if unconfirmed.is_empty() {
        return 0;
    }
    let filter = context
        .scoping
        .filter(&scope.case_prefix, context.marker, &scope.user_names);
    let query = [
        ("filter".to_owned(), filter),
        ("count".to_owned(), scope.user_names.len().to_string()),
    ];
    // The base URL's own collection: it parses, being under the base URL.
    let Ok(collection) = context.target.confined("/Users") else {
        return 0;
    };
    let answer = context
        .target
        .send(
            Method::Get,
            collection.as_str(),
            &query,
            &[],
            None,
            Auth::Scim,
        )
        .await;
    let listed = match answer {
        Ok(exchange) if exchange.response.status == 200 => exchange.response.json,
        Ok(exchange) => {
            problems.push(format!(
                "listing the users a refused Bulk request named answered {}: any it created were left in place",
                exchange.response.status
            ));
            return 1;
        }
        Err(error) => {
            problems.push(format!(
                "listing the users a refused Bulk request named failed: {error}"
            ));
            return 1;
        }
    };
    let resources = listed
        .as_ref()
        .and_then(|l| resolve(l, "/Resources"))
        .and_then(Value::as_array);
    for resource in resources.into_iter().flatten() {
        let name = name_of(resource).filter(|n| unconfirmed.iter().any(|u| u == n));
        let id = resolve(resource, "/id").and_then(Value::as_str);
        let (Some(name), Some(id)) = (name, id) else {
            continue;
        };
        let Some(url) = client::member(&collection, id) else {
            continue;
        };
        if ledger.iter().any(|c| c.url == url) {
            continue;
        }
        let created = Created {
            id: id.to_owned(),
            url,
            name: Some(name.to_owned()),
            id_from_body: true,
            auth: Auth::Scim,
        };
        context.created.fetch_add(1, Ordering::Relaxed);
        context.record(Event::Created, &created, problems);
        ledger.push(created);
    }
    1
}

/// Records what a POST (or a Bulk request) created, and forgets what a DELETE by the same
/// credential removed. A created resource is `{the POSTed collection}/{id in the body}`; a
/// Location naming anything else is a finding, and never what the teardown deletes.
fn track_resources(
    exchange: &Exchange,
    context: &RunContext,
    ledger: &mut Vec<Created>,
    problems: &mut Vec<String>,
) -> Vec<Mismatch> {
    let response = &exchange.response;
    let auth = exchange.request.auth;
    // The URL was confined before it was sent, so it parses.
    let Ok(mut requested) = Url::parse(&exchange.request.url) else {
        return Vec::new();
    };
    requested.set_query(None);
    let sent = exchange
        .request
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok());
    let mut findings = Vec::new();
    let mut created = Vec::new();
    match exchange.request.method {
        Method::Post if response.status == 201 => {
            let body = response.json.as_ref();
            let id = body
                .and_then(|body| resolve(body, "/id"))
                .and_then(Value::as_str);
            if let Some(id) = id {
                match client::member(&requested, id) {
                    Some(url) => {
                        let stated = [
                            ("header `Location`", "location", response.header("location")),
                            (
                                "`/meta/location`",
                                "/meta/location",
                                body.and_then(|b| resolve(b, "/meta/location"))
                                    .and_then(Value::as_str),
                            ),
                        ];
                        for (subject, pointer, location) in stated {
                            let wrong =
                                location.and_then(|l| wrong_location(context, &requested, l, &url));
                            findings.extend(wrong.map(|actual| Mismatch {
                                subject: subject.into(),
                                expected: format!(
                                    "{url}, the POSTed collection and the id in the body \
                                     (RFC 7644 §3.1); the teardown deletes that, nothing else"
                                ),
                                actual,
                                pointer: pointer.to_owned(),
                                ..Mismatch::default()
                            }));
                        }
                        created.push(Created {
                            id: id.to_owned(),
                            url,
                            id_from_body: true,
                            name: body
                                .and_then(name_of)
                                .or_else(|| sent.as_ref().and_then(name_of))
                                .map(str::to_owned),
                            auth,
                        });
                    }
                    None => {
                        let actual = format!("{id:?}, which names no resource below {requested}");
                        problems.push(format!(
                            "the resource created was left in place: id {actual}"
                        ));
                        findings.push(Mismatch {
                            subject: "`/id`".into(),
                            expected: "the id of the created resource (RFC 7643 §3.1)".into(),
                            actual,
                            pointer: "/id".into(),
                            ..Mismatch::default()
                        });
                    }
                }
            }
        }
        Method::Post
            if response.status == 200
                && requested.path_segments().and_then(|mut s| s.next_back()) == Some("Bulk") =>
        {
            for outcome in bulk_creations(
                context,
                &requested,
                sent.as_ref(),
                response.json.as_ref(),
                auth,
            ) {
                match outcome {
                    Ok(resource) => created.push(resource),
                    Err(finding) => {
                        problems.push(format!(
                            "a resource the Bulk request created was left in place: its \
                             location {}",
                            finding.actual
                        ));
                        findings.push(finding);
                    }
                }
            }
        }
        Method::Delete if (200..300).contains(&response.status) || response.status == 404 => {
            let removed = |c: &Created| c.auth == auth && client::same_resource(&c.url, &requested);
            for gone in ledger.iter().filter(|c| removed(c)) {
                context.record(Event::Deleted, gone, problems);
            }
            ledger.retain(|c| !removed(c));
        }
        _ => {}
    }
    let count = u32::try_from(created.len()).unwrap_or(u32::MAX);
    context.created.fetch_add(count, Ordering::Relaxed);
    for resource in created {
        context.record(Event::Created, &resource, problems);
        ledger.push(resource);
    }
    findings
}

/// Why `location` does not name `created`; `None` when it does.
fn wrong_location(
    context: &RunContext,
    requested: &Url,
    location: &str,
    created: &Url,
) -> Option<String> {
    match context.target.located(requested, location) {
        Ok(url) if client::same_resource(&url, created) => None,
        Ok(url) => Some(match suggested_base(context.target.base(), &url, created) {
            Some(base) => format!(
                "{url}, another resource: the collection and id sit below {base}; is that the \
                 base URL?"
            ),
            None => format!("{url}, another resource"),
        }),
        Err(why) => Some(why),
    }
}

/// The base URL a Location implies when it names the created collection and id one or more
/// levels deeper than the base URL (`/v2/Users/7` for a base URL of `/`): the likeliest reason
/// every create of a run is "another resource" is a base URL given too high.
fn suggested_base(base: &Url, located: &Url, created: &Url) -> Option<Url> {
    let base_path = base.path().trim_end_matches('/');
    let relative = created.path().strip_prefix(base_path)?;
    let prefix = located.path().strip_suffix(relative)?;
    if prefix.len() <= base_path.len() {
        return None;
    }
    let mut suggested = located.clone();
    suggested.set_path(prefix);
    suggested.set_query(None);
    suggested.set_fragment(None);
    Some(suggested)
}

/// The resources a BulkResponse says its POST operations created (RFC 7644 §3.7.3), each
/// matched by bulkId to the request's operation: its `location` must be in that operation's
/// collection, under the base URL, or it is a finding and is not recorded.
fn bulk_creations(
    context: &RunContext,
    requested: &Url,
    sent: Option<&Value>,
    body: Option<&Value>,
    auth: Auth,
) -> Vec<Result<Created, Mismatch>> {
    let operations = |body: Option<&Value>| {
        body.and_then(|b| resolve(b, "/Operations"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let text = |op: &Value, pointer: &str| {
        resolve(op, pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let posts = |op: &&Value| text(op, "/method").is_some_and(|m| m.eq_ignore_ascii_case("POST"));
    let sent_posts = operations(sent);
    let answered = operations(body);
    answered
        .iter()
        .filter(posts)
        .filter(|op| match resolve(op, "/status") {
            Some(Value::String(status)) => status == "201",
            Some(Value::Number(status)) => status.as_u64() == Some(201),
            _ => false,
        })
        .filter_map(|op| {
            let location = text(op, "/location")?;
            let bulk_id = text(op, "/bulkId");
            let finding = |actual: String| Mismatch {
                subject: format!(
                    "`location` of Bulk operation {}",
                    bulk_id.as_deref().unwrap_or("without a bulkId")
                ),
                expected: "the new resource's URL, in the collection the operation with that \
                           bulkId POSTed to, under the base URL (RFC 7644 §3.1, §3.7.3)"
                    .into(),
                actual,
                pointer: "/Operations/location".into(),
                ..Mismatch::default()
            };
            let request = sent_posts
                .iter()
                .filter(posts)
                .find(|sent| bulk_id.is_some() && text(sent, "/bulkId") == bulk_id);
            let Some(request) = request else {
                return Some(Err(finding(format!(
                    "{location}, for a bulkId no POST of the request carries"
                ))));
            };
            let collection =
                text(request, "/path").and_then(|path| context.target.confined(&path).ok());
            let url = match context.target.located(requested, &location) {
                Ok(url) => url,
                Err(why) => return Some(Err(finding(why))),
            };
            let id = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .map(|segment| {
                    percent_encoding::percent_decode_str(segment)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default();
            let member = collection.as_ref().and_then(|c| client::member(c, &id));
            match member {
                Some(member) if client::same_resource(&member, &url) => Some(Ok(Created {
                    id,
                    url: member,
                    id_from_body: false,
                    name: resolve(request, "/data")
                        .and_then(name_of)
                        .map(str::to_owned),
                    auth,
                })),
                _ => Some(Err(finding(format!(
                    "{url}, not in the collection the operation POSTed to"
                )))),
            }
        })
        .collect()
}

/// Takes captures from the response; a capture that finds nothing is a mismatch.
fn capture(
    captures: &indexmap::IndexMap<String, Capture>,
    exchange: &Exchange,
    variables: &mut HashMap<String, Value>,
) -> Vec<Mismatch> {
    let response_value = |pointer: &str| {
        exchange
            .response
            .json
            .as_ref()
            .and_then(|body| resolve(body, pointer))
            .filter(|v| !v.is_null())
            .cloned()
    };
    let mut out = Vec::new();
    for (name, source) in captures {
        let (value, subject) = match source {
            Capture::Body(pointer) => (
                response_value(pointer),
                format!("capture `{name}` from `{pointer}`"),
            ),
            Capture::Header(header) => (
                exchange
                    .response
                    .header(header)
                    .map(|v| Value::String(v.to_owned())),
                format!("capture `{name}` from header `{header}`"),
            ),
            Capture::Request(pointer) => (
                exchange
                    .request
                    .body
                    .as_deref()
                    .and_then(|body| serde_json::from_str::<Value>(body).ok())
                    .and_then(|body| resolve(&body, pointer).cloned()),
                format!("capture `{name}` from `{pointer}` of the request body"),
            ),
            Capture::Append { pointer, wrap } => (
                response_value(pointer).map(|value| {
                    let item = match wrap {
                        Some(member) => serde_json::json!({ member.as_str(): value }),
                        None => value,
                    };
                    match variables.remove(name) {
                        Some(Value::Array(mut list)) => {
                            list.push(item);
                            Value::Array(list)
                        }
                        _ => Value::Array(vec![item]),
                    }
                }),
                format!("append to `{name}` from `{pointer}`"),
            ),
        };
        match value {
            Some(value) => {
                variables.insert(name.clone(), value);
            }
            None => out.push(Mismatch {
                subject,
                expected: "a value".into(),
                actual: "nothing there".into(),
                pointer: match source {
                    Capture::Body(pointer)
                    | Capture::Request(pointer)
                    | Capture::Append { pointer, .. } => pointer.clone(),
                    Capture::Header(header) => header.clone(),
                },
                ..Mismatch::default()
            }),
        }
    }
    out
}

/// Deletes what the case created, all at once (one round trip on the case's chain, two when a
/// Bulk creation must be read first). 404 means the case already deleted it.
async fn teardown(mut ledger: Vec<Created>, context: &RunContext) -> (u32, Vec<String>) {
    let mut problems = Vec::new();
    let mut round_trips = 0;
    // Two Bulk operations answered with one location: one resource to delete.
    let mut seen = Vec::new();
    ledger.retain(|c| {
        let first = !seen.contains(&c.url);
        seen.push(c.url.clone());
        first
    });
    if ledger.iter().any(|c| !c.id_from_body) {
        round_trips += 1;
        let reads = ledger.iter().map(|c| still_ours(c, context));
        let verdicts = futures_util::future::join_all(reads).await;
        let mut verdicts = verdicts.into_iter();
        ledger.retain(|created| match verdicts.next() {
            Some(Ok(true)) => true,
            Some(Ok(false)) => {
                context.record(Event::Deleted, created, &mut problems);
                false
            }
            Some(Err(problem)) => {
                problems.push(problem);
                false
            }
            None => false,
        });
    }
    let gone = StatusSet(vec![200, 202, 204, 404]);
    let deletes = ledger.iter().map(|created| {
        context.target.send(
            Method::Delete,
            created.url.as_str(),
            &[],
            &[],
            None,
            created.auth,
        )
    });
    let answers = futures_util::future::join_all(deletes).await;
    for (created, answer) in ledger.iter().zip(answers) {
        match answer {
            Ok(exchange) if gone.allows(exchange.response.status) => {
                context.record(Event::Deleted, created, &mut problems);
            }
            Ok(exchange) => problems.push(format!(
                "DELETE {} answered {} while cleaning up",
                created.url, exchange.response.status
            )),
            Err(error) => problems.push(format!("cleanup failed: {error}")),
        }
    }
    round_trips += u32::from(!ledger.is_empty());
    (round_trips, problems)
}

/// Whether `created` is still there and still the resource the request created: `Ok(true)`
/// to delete it, `Ok(false)` when it is gone, why not otherwise. A resource whose id came from
/// its own body is ours without asking; one known by a location must answer with the name
/// the request gave it (exactly).
async fn still_ours(created: &Created, context: &RunContext) -> Result<bool, String> {
    if created.id_from_body {
        return Ok(true);
    }
    let left = |why: String| format!("{} left in place: {why}", created.url);
    let Some(name) = &created.name else {
        return Err(left(
            "the Bulk request gave it no userName or displayName to recognise it by".into(),
        ));
    };
    let exchange = context
        .target
        .send(
            Method::Get,
            created.url.as_str(),
            &[],
            &[],
            None,
            created.auth,
        )
        .await
        .map_err(|error| left(format!("it could not be read: {error}")))?;
    let response = &exchange.response;
    if response.status == 404 {
        return Ok(false);
    }
    let found = response
        .json
        .as_ref()
        .filter(|_| response.status == 200)
        .and_then(name_of);
    match found {
        Some(found) if found == name => Ok(true),
        found => Err(left(format!(
            "it answers {} as {}, not as {name}, which the Bulk request created",
            response.status,
            found.unwrap_or("nothing named")
        ))),
    }
}

/// A `snapshot: true` step: its response must be the stored snapshot. The difference is a
/// mismatch (not drift), and the new version waits beside the old for review.
fn assert_snapshot(
    case: &Case,
    step: &crate::case::model::Step,
    index: usize,
    context: &RunContext,
    journal: &mut Journal,
) -> Option<Mismatch> {
    let dir = context.snapshots.dir.as_ref()?;
    let recorded = journal.recorder.as_mut()?.records.last_mut()?;
    let stem = snapshot::file_stem(&case.id, recorded.step, recorded.nth);
    let header = snapshot::Header {
        case_file: &case.file,
        step: index,
        step_name: &step.name,
    };
    let stored = format!(
        "the stored snapshot {}",
        dir.join(&stem).with_extension(snapshot::SNAP).display()
    );
    let actual = match snapshot::store(dir, &stem, &header, &recorded.record, Part::Body) {
        Ok(Stored::Same) => return None,
        Ok(Stored::New) => {
            recorded.asserted = Asserted::New;
            return None;
        }
        Ok(Stored::Drift(changes)) => format!(
            "a different response ({}); review with `scimcheck snapshots review` or `cargo insta review`",
            changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(error) => error.to_string(),
    };
    // Reported here as a failure, so not again as drift.
    recorded.asserted = Asserted::Failed;
    Some(Mismatch {
        subject: "snapshot".into(),
        expected: stored,
        actual,
        ..Mismatch::default()
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use super::*;
    use crate::case::load::{CaseSource, load};
    use crate::exec::client::{ClientOptions, Target};
    use crate::mock::{Fault, MockConfig, MockServer};

    /// A step by this name panics: the only way to reach a panic in a step without a bug.
    pub(crate) const PANIC_STEP: &str = "panic on purpose (test only)";

    #[test]
    fn a_location_one_level_below_the_base_url_suggests_that_base_url() {
        let url = |text: &str| Url::parse(text).expect("a test URL");
        let cases = [
            // A server at /v2, given its root as the base URL.
            (
                "http://h/",
                "http://h/v2/Users/7",
                "http://h/Users/7",
                Some("http://h/v2"),
            ),
            (
                "http://h/scim",
                "http://h/scim/v2/Users/7",
                "http://h/scim/Users/7",
                Some("http://h/scim/v2"),
            ),
            // Another resource of the right base: no suggestion.
            (
                "http://h/v2",
                "http://h/v2/Users/8",
                "http://h/v2/Users/7",
                None,
            ),
            (
                "http://h/v2",
                "http://h/v2/Groups/7",
                "http://h/v2/Users/7",
                None,
            ),
        ];
        for (base, located, created, expected) in cases {
            let suggested = suggested_base(&url(base), &url(located), &url(created));
            assert_eq!(
                suggested.as_ref().map(Url::as_str),
                expected,
                "{base} / {located} / {created}"
            );
        }
    }

    /// A context against `target` with every option at its default.
    fn test_context(target: Target, schemas: SchemaRegistry, run_prefix: &str) -> RunContext {
        RunContext {
            target,
            schemas,
            run_prefix: run_prefix.into(),
            snapshots: SnapshotOptions::default(),
            ledger: None,
            interrupted: Arc::default(),
            profile: Profile::default(),
            marker: "title",
            capabilities: BTreeSet::new(),
            scoping: Scoping::default(),
            discovered: Vec::new(),
            contract: None,
            created: AtomicU32::new(0),
            settle: None,
            settled_ms: AtomicU64::new(0),
        }
    }

    /// A mock with these faults on a free loopback port, and a target holding its SCIM token.
    fn start_mock(
        runtime: &tokio::runtime::Runtime,
        faults: BTreeSet<Fault>,
    ) -> (MockServer, Target) {
        let config = MockConfig {
            faults,
            ..MockConfig::default()
        };
        let mock = runtime
            .block_on(MockServer::start(
                config,
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ))
            .expect("mock");
        let target = mock_target(&mock);
        (mock, target)
    }

    fn mock_target(mock: &MockServer) -> Target {
        let credentials = crate::suite::mock_credentials(mock);
        Target::new(mock.base_url(), credentials, &ClientOptions::default()).expect("target")
    }

    /// The one case in `text`, as if read from `cases/<relative>`, and the schemas it was loaded
    /// with.
    fn load_case(relative: &str, text: &str) -> (Case, SchemaRegistry) {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let sources = [CaseSource {
            relative: relative.into(),
            display: format!("cases/{relative}"),
            text: Arc::from(text),
        }];
        let case = load(&sources, &crate::suite::known_names(&schemas))
            .expect("case")
            .remove(0);
        (case, schemas)
    }

    const CASE: &str = r#"
name: creates a user, then a step panics
description: The teardown must still delete the user.
rfc: ["RFC 7644 §3.3"]
level: MUST
steps:
  - name: create a user
    request:
      method: POST
      path: /Users
      body:
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"]
        userName: "${user:panic}"
    expect: { status: 201 }
  - name: panic on purpose (test only)
    request: { method: GET, path: /Users }
    expect: { status: 200 }
"#;

    #[test]
    fn a_panicking_step_is_caught_and_what_the_case_created_is_still_deleted() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (_mock, target) = start_mock(&runtime, BTreeSet::new());
        let (case, schemas) = load_case("users/panic.yaml", CASE);
        let context = test_context(target, schemas, "scimcheck-panictest");
        let run = runtime.block_on(run_case(&case, 0, &context));
        assert_eq!(run.panic.as_deref(), Some("a step panicked on purpose"));
        assert_eq!(run.requests, 1);
        assert_eq!(run.trace.len(), 1);
        assert_eq!((run.trace[0].step, run.trace[0].status), (0, 201));
        assert!(
            run.cleanup_problems.is_empty(),
            "{:?}",
            run.cleanup_problems
        );
        let query = [(
            "filter".to_owned(),
            "userName sw \"scimcheck-panictest\"".to_owned(),
        )];
        let left = runtime
            .block_on(context.target.send(
                Method::Get,
                &context.target.url("/Users"),
                &query,
                &[],
                None,
                Auth::Scim,
            ))
            .expect("list");
        let total = left
            .response
            .json
            .as_ref()
            .and_then(|b| resolve(b, "/totalResults"));
        assert_eq!(total, Some(&Value::from(0)), "the teardown did not run");
    }

    const WRITES_TO_A_LISTED_USER: &str = r#"
name: deactivates the first user a list shows
description: Under a target that ignores filters, that is someone else's user.
rfc: ["RFC 7644 §3.5.2"]
level: MUST
steps:
  - name: create a user
    request:
      method: POST
      path: /Users
      body:
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"]
        userName: "${user:mine}"
    expect: { status: 201 }
  - name: find it
    request: { method: GET, path: /Users, query: { filter: 'userName eq "${user:mine}"' } }
    capture: { id: /Resources/0/id }
    expect: { status: 200 }
  - name: deactivate it
    request:
      method: PATCH
      path: "/Users/${id}"
      body:
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
        Operations: [{ op: replace, path: active, value: false }]
    expect: { status: [200, 204] }
"#;

    #[test]
    fn a_write_to_a_listed_user_the_case_did_not_create_is_never_sent() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let run_against = |faults: BTreeSet<Fault>| {
            let (_mock, target) = start_mock(&runtime, faults);
            let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"someone-else"}"#;
            let theirs = runtime
                .block_on(target.send(
                    Method::Post,
                    &target.url("/Users"),
                    &[],
                    &[],
                    Some(body.to_owned()),
                    Auth::Scim,
                ))
                .expect("their user");
            let their_id = theirs
                .response
                .json
                .as_ref()
                .and_then(|b| resolve(b, "/id"));
            let their_id = their_id.and_then(Value::as_str).expect("id").to_owned();
            let (case, schemas) = load_case("users/listed.yaml", WRITES_TO_A_LISTED_USER);
            let context = test_context(target, schemas, "scimcheck-listedtest");
            let run = runtime.block_on(run_case(&case, 0, &context));
            let theirs = runtime
                .block_on(context.target.send(
                    Method::Get,
                    &context.target.url(&format!("/Users/{their_id}")),
                    &[],
                    &[],
                    None,
                    Auth::Scim,
                ))
                .expect("read theirs");
            let active = theirs
                .response
                .json
                .as_ref()
                .and_then(|b| resolve(b, "/active"))
                .cloned();
            (run, active)
        };
        let (run, active) = run_against(BTreeSet::new());
        assert!(run.failure.is_none(), "{:?}", run.failure);
        assert_eq!(active, Some(Value::Bool(true)));

        let (run, active) = run_against(BTreeSet::from([Fault::FilterIgnored]));
        let failure = run.failure.expect("the PATCH step fails");
        assert_eq!(failure.step, 2);
        assert!(failure.exchange.is_none(), "the PATCH was sent");
        let said = format!("{:?}", failure.mismatches);
        assert!(said.contains("this run did not create it"), "{said}");
        assert_eq!(
            active,
            Some(Value::Bool(true)),
            "someone else's user was deactivated"
        );
    }

    #[test]
    fn an_interrupted_case_stops_and_is_not_a_failure() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (_mock, target) = start_mock(&runtime, BTreeSet::new());
        let (case, schemas) = load_case("users/panic.yaml", CASE);
        let context = RunContext {
            interrupted: Arc::new(AtomicBool::new(true)),
            ..test_context(target, schemas, "scimcheck-interrupted")
        };
        let run = runtime.block_on(run_case(&case, 0, &context));
        assert!(run.interrupted);
        assert!(run.failure.is_none() && run.panic.is_none());
        assert_eq!(run.requests, 0);
    }

    const STEP_REQUIRES: &str = r#"
name: a step for bulk targets only
description: Left out without bulk; the request body is captured whole, ids appended to a list.
rfc: ["RFC 7644 §3.3"]
level: MUST
steps:
  - name: create a user
    request:
      method: POST
      path: /Users
      body:
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"]
        userName: "${user:steps}"
        name: { givenName: Ann }
    capture: { sent: { request: "" } }
    expect:
      status: 201
      json:
        "": { superset_of: "${sent}" }
        /name: { superset_of: { givenName: ANN } }
  - name: create two members at once, appending each id
    repeat: 2
    concurrent: true
    request:
      method: POST
      path: /Users
      body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "${user:m-${i}}" }
    capture: { made: { append: /id, as: value } }
    expect: { status: 201 }
  - name: a group of both
    request:
      method: POST
      path: /Groups
      body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "${name:g}", members: "${made}" }
    expect:
      status: 201
      json:
        /members: { length: 2 }
  - name: only with bulk
    requires: [bulk]
    request: { method: GET, path: /Nowhere }
    expect: { status: 200 }
"#;

    #[test]
    fn a_step_runs_only_where_its_requirements_hold_and_captures_the_request_sent() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (mock, _) = start_mock(&runtime, BTreeSet::new());
        let (case, schemas) = load_case("users/steps.yaml", STEP_REQUIRES);
        let run_with = |capabilities: BTreeSet<Capability>| {
            let target = mock_target(&mock);
            let context = RunContext {
                capabilities,
                ..test_context(target, schemas.clone(), "scimcheck-steps")
            };
            let failure = runtime.block_on(run_case(&case, 0, &context)).failure;
            // The teardown deleted every user, those created at once included.
            let left = runtime
                .block_on(context.target.send(
                    Method::Get,
                    &context.target.url("/Users"),
                    &[],
                    &[],
                    None,
                    Auth::Scim,
                ))
                .expect("list");
            let total = left
                .response
                .json
                .as_ref()
                .and_then(|b| resolve(b, "/totalResults"));
            assert_eq!(total, Some(&Value::from(0)), "users left behind");
            failure
        };
        // The stored user holds the request body; the step for bulk targets runs only on them.
        assert!(run_with(BTreeSet::new()).is_none());
        let with_bulk = run_with(BTreeSet::from([Capability::Bulk])).expect("GET /Nowhere fails");
        assert_eq!(with_bulk.step, 3);
    }
}
