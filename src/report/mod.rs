//! Stage 5: results → what people and CI systems read. Every case's result stays structured
//! (steps, exchanges, mismatches with their clause) until a [`Writer`] turns the one
//! [`RunReport`] into a console summary, JUnit XML, JSON, HTML or Markdown; failures are grouped
//! into [`findings`], and the [`verdict`] says why the exit code is what it is.

pub mod comparison;
pub mod console;
pub mod document;
pub mod drift;
pub mod findings;
pub mod json;
pub mod junit;
pub mod progress;
pub mod totals;
pub mod verdict;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::case::{Case, Level};
use crate::check::Profile;
use crate::check::snapshot::CaseSnapshots;
use crate::compare::Gate;
use crate::exec::client::Exchange;
use crate::exec::run::{CaseRun, Sent, StepFailure};
use crate::plan::select::Selector;
use crate::redact::Redactor;
pub use findings::Finding;
pub use totals::{Status, Totals};
pub use verdict::Verdict;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    Passed,
    /// The rendered failure message; the structure is in [`CaseResult::failure`]. Reports
    /// count it by [`CaseResult::status`]: failed, or errored when no response was judged.
    Failed(String),
    /// Why the case did not run.
    Skipped(String),
    /// The run was interrupted before the case finished; what it created was cleaned up.
    Interrupted,
    /// scimcheck itself failed (a panic): no verdict on the target. The panic's message.
    HarnessError(String),
}

/// How much a result matters, most serious first: a harness error or no verdict (no answer, a
/// step error), a broken MUST, an identity-provider incompatibility, a broken SHOULD or MAY, then
/// what is not a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// scimcheck failed (a panic): a bug of the harness, reported as such.
    HarnessError,
    /// No verdict: the target did not answer (timeout, connection refused or reset), or a step
    /// could not be sent or checked.
    NoVerdict,
    MustBroken,
    IdpIncompatible,
    ShouldBroken,
    MayBroken,
    Interrupted,
    Skipped,
    Passed,
}

impl Grade {
    pub fn name(self) -> &'static str {
        match self {
            Grade::HarnessError => "harness error",
            Grade::NoVerdict => "no verdict",
            Grade::MustBroken => "MUST broken",
            Grade::IdpIncompatible => "IdP incompatibility",
            Grade::ShouldBroken => "SHOULD broken",
            Grade::MayBroken => "MAY broken",
            Grade::Interrupted => "interrupted",
            Grade::Skipped => "skipped",
            Grade::Passed => "passed",
        }
    }
}

/// Which failures fail the run (`--fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only broken MUSTs.
    Must,
    /// Broken MUSTs and SHOULDs, and identity-provider incompatibilities.
    Should,
    /// Every failed case.
    #[default]
    Any,
}

impl FailOn {
    /// A harness error or a case the target never answered fails every threshold: nothing was
    /// shown to conform.
    pub fn fails(self, grade: Grade) -> bool {
        match self {
            FailOn::Must => grade <= Grade::MustBroken,
            FailOn::Should => grade <= Grade::ShouldBroken,
            FailOn::Any => grade <= Grade::MayBroken,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FailOn::Must => "must",
            FailOn::Should => "should",
            FailOn::Any => "any",
        }
    }
}

/// One case's result, as every report writer sees it.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub file: String,
    pub area: String,
    pub level: Level,
    pub rfc: Vec<String>,
    pub tags: Vec<String>,
    pub name: String,
    pub outcome: CaseOutcome,
    /// The step whose subject failed: exchange, mismatches, error.
    pub failure: Option<StepFailure>,
    /// Invariants that broke on the way, each with its step and exchange.
    pub invariants: Vec<StepFailure>,
    pub requests: u32,
    /// Every request the steps sent, in order, with its status and time.
    pub trace: Vec<Sent>,
    /// Round trips one after another (the case's critical path against a remote target).
    pub chain: u32,
    pub duration: Duration,
    /// Known-lenient deviations the compat profile let pass.
    pub deviations: Vec<String>,
    pub cleanup_problems: Vec<String>,
    /// The failure was the target not answering, not a wrong answer.
    pub unanswered: bool,
    /// How its responses compared with their stored snapshots (`--snapshots`).
    pub snapshots: CaseSnapshots,
}

impl CaseResult {
    pub fn new(case: &Case, outcome: CaseOutcome) -> CaseResult {
        CaseResult {
            id: case.id.clone(),
            file: case.file.clone(),
            area: case.area.clone(),
            level: case.spec.level,
            rfc: case.spec.rfc.clone(),
            tags: case.spec.tags.clone(),
            name: case.spec.name.clone(),
            outcome,
            failure: None,
            invariants: Vec::new(),
            requests: 0,
            trace: Vec::new(),
            chain: 0,
            duration: Duration::ZERO,
            deviations: Vec::new(),
            cleanup_problems: Vec::new(),
            unanswered: false,
            snapshots: CaseSnapshots::default(),
        }
    }

    /// The result of a case that ran: a panic is a harness error, an interrupt is no failure,
    /// and a case that sent no request checked nothing.
    pub fn from_run(case: &Case, run: CaseRun, redactor: &Redactor) -> CaseResult {
        let outcome = if let Some(panic) = &run.panic {
            CaseOutcome::HarnessError(redactor.redact(panic).into_owned())
        } else if run.interrupted {
            CaseOutcome::Interrupted
        } else if run.requests == 0 && run.failure.is_none() {
            // Nothing was checked, so nothing passed.
            CaseOutcome::Skipped(NO_STEP_RAN.to_owned())
        } else {
            match render_failure(case, &run, redactor) {
                Some(message) => CaseOutcome::Failed(message),
                None => CaseOutcome::Passed,
            }
        };
        let redact_text = |text: &mut String| redact_in_place(text, redactor);
        let mut trace = run.trace;
        trace.iter_mut().for_each(|sent| redact_text(&mut sent.url));
        CaseResult {
            requests: run.requests,
            trace,
            chain: run.chain,
            duration: run.duration,
            unanswered: run
                .failure
                .as_ref()
                .and_then(|f| f.error.as_ref())
                .is_some_and(|e| e.unanswered),
            failure: run.failure.map(|step| redacted(step, redactor)),
            invariants: run
                .invariants
                .into_iter()
                .map(|step| redacted(step, redactor))
                .collect(),
            cleanup_problems: run.cleanup_problems,
            deviations: run.deviations,
            snapshots: run.snapshots,
            ..CaseResult::new(case, outcome)
        }
    }

    pub fn grade(&self) -> Grade {
        match self.status() {
            Status::Passed => Grade::Passed,
            Status::Skipped => Grade::Skipped,
            Status::Interrupted => Grade::Interrupted,
            Status::HarnessError => Grade::HarnessError,
            Status::Errored => Grade::NoVerdict,
            Status::Failed => self.failure_grade(),
        }
    }

    /// What a defect this case shows grades as. Identity-provider replay cases (tagged `idp`)
    /// grade as incompatibilities, whatever their level: "does not work with Entra" is what
    /// their reader needs to know.
    pub fn failure_grade(&self) -> Grade {
        if self.tags.iter().any(|t| t == "idp") {
            return Grade::IdpIncompatible;
        }
        match self.level {
            Level::Must => Grade::MustBroken,
            Level::Should => Grade::ShouldBroken,
            Level::May => Grade::MayBroken,
            Level::Idp => Grade::IdpIncompatible,
        }
    }
}

/// Why a case whose every step was left out (each `requires` a capability the target lacks)
/// did not pass.
const NO_STEP_RAN: &str =
    "no step ran: each requires a capability the target lacks, so nothing was checked";

/// `text` with every secret replaced.
fn redact_in_place(text: &mut String, redactor: &Redactor) {
    if let std::borrow::Cow::Owned(redacted) = redactor.redact(text) {
        *text = redacted;
    }
}

/// A step's record with every secret replaced: a target may echo a token into a body, a
/// header or a URL, and results outlive the run in every report.
fn redacted(mut step: StepFailure, redactor: &Redactor) -> StepFailure {
    let text = |text: &mut String| redact_in_place(text, redactor);
    for mismatch in &mut step.mismatches {
        text(&mut mismatch.subject);
        text(&mut mismatch.expected);
        text(&mut mismatch.actual);
        text(&mut mismatch.pointer);
    }
    if let Some(error) = &mut step.error {
        text(&mut error.message);
    }
    if let Some(exchange) = &mut step.exchange {
        let request = &mut exchange.request;
        text(&mut request.url);
        request
            .headers
            .iter_mut()
            .for_each(|(_, value)| text(value));
        if let Some(body) = &mut request.body {
            text(body);
        }
        let response = &mut exchange.response;
        response
            .headers
            .iter_mut()
            .for_each(|(_, value)| text(value));
        text(&mut response.body);
        if let Some(json) = &response.json {
            let mut shown = json.to_string();
            text(&mut shown);
            // The label replaces a whole secret inside a JSON string, so the text stays JSON;
            // should it not, the parsed form goes and the redacted text stays.
            response.json = serde_json::from_str(&shown).ok();
        }
    }
    step
}

/// Gathers results from trials running on many threads.
#[derive(Debug, Default)]
pub struct Collector {
    results: Mutex<Vec<CaseResult>>,
}

impl Collector {
    pub fn record(&self, result: CaseResult) {
        // A poisoned lock only means another trial panicked; its results are still good.
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        results.push(result);
    }

    /// The results, sorted by case id.
    pub fn take(&self) -> Vec<CaseResult> {
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        let mut taken = std::mem::take(&mut *results);
        taken.sort_by(|a, b| a.id.cmp(&b.id));
        taken
    }
}

/// What was selected to run and what was not, besides the skips each result carries.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Cases in the catalogue.
    pub total: usize,
    /// Names, `--skip`, tags, levels and areas.
    pub selector: Selector,
    /// Cases the selectors left out, by id.
    pub not_selected: Vec<String>,
    pub read_only: bool,
}

impl Selection {
    /// One sentence: what ran and what the filter left out.
    pub fn describe(&self) -> String {
        let selected = self.total - self.not_selected.len();
        let mut out = format!("{selected} of {} cases selected", self.total);
        for selector in self.selector.describe() {
            let _ = write!(out, "; {selector}");
        }
        if !self.not_selected.is_empty() {
            let _ = write!(out, "; {} not selected", self.not_selected.len());
        }
        if self.read_only {
            out.push_str("; --read-only: cases that write were skipped");
        }
        out
    }
}

/// What the reports say about the run besides the results.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub target: String,
    /// When the run started, RFC 3339 (UTC).
    pub started: String,
    pub wall: Duration,
    /// 429/503 answers that were waited out.
    pub throttled: u32,
    /// Where the in-flight limit settled and why it backed off, in one line.
    pub concurrency: String,
    pub capabilities: Vec<String>,
    /// Every capability yes or no as discovered and probed, with the page cap, the marker
    /// attribute and how lists are scoped: what the skips were decided from.
    pub capability_matrix: String,
    /// What could not be discovered, said once.
    pub warnings: Vec<String>,
    pub profile: Profile,
    pub fail_on: FailOn,
    pub selection: Selection,
    /// Ctrl-C, SIGTERM or SIGHUP stopped the run.
    pub interrupted: bool,
    /// Trials libtest counted as failed that no result explains (a panic outside the guard).
    pub unexplained_failures: u64,
    /// Departures from an RFC MUST that the target's contract documents: shown in every
    /// report, never counted as failures.
    pub acknowledged: Vec<Acknowledged>,
    /// Resources the cases created, and the budget they had (`--max-creates`).
    pub created: u32,
    pub max_creates: Option<u32>,
    /// The settle window for stale reads (`None`: strict), and the longest a read took to
    /// become consistent.
    pub settle: Option<Duration>,
    pub settled: Duration,
    /// Knows the run's credentials: everything a writer quotes, and all it writes, goes
    /// through it.
    pub redactor: Redactor,
    /// Accepted deviations and the baseline, when the run is judged against them.
    pub gate: Gate,
    /// Snapshot drift fails the run (`--fail-on-drift`); otherwise it is only reported.
    pub fail_on_drift: bool,
}

/// A capability an RFC requires that the target's contract rules out, with the contract's
/// reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The contract's name.
    pub contract: String,
    pub capability: String,
    /// The clause that requires it, e.g. `RFC 7644 §3.5.1`.
    pub rfc: String,
    pub reason: String,
}

impl std::fmt::Display for Acknowledged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no {}, which {} requires: the contract `{}` says {}",
            self.capability, self.rfc, self.contract, self.reason
        )
    }
}

impl RunFacts {
    pub fn profile_name(&self) -> &'static str {
        match self.profile {
            Profile::Strict => "strict",
            Profile::Compat => "compat",
        }
    }
}

/// The one structure every writer reads: the run's facts, every case's result, the findings
/// and the verdict.
#[derive(Debug)]
pub struct RunReport<'a> {
    pub facts: &'a RunFacts,
    pub results: &'a [CaseResult],
    /// Most serious first.
    pub findings: Vec<Finding<'a>>,
    pub verdict: Verdict,
}

impl<'a> RunReport<'a> {
    pub fn new(facts: &'a RunFacts, results: &'a [CaseResult]) -> RunReport<'a> {
        let findings = findings::group(results);
        let verdict = Verdict::judge(facts, results, &findings);
        RunReport {
            facts,
            results,
            findings,
            verdict,
        }
    }

    /// Requests sent by every case.
    pub fn requests(&self) -> u32 {
        self.results.iter().map(|r| r.requests).sum()
    }

    /// Skipped cases by reason, in order of the reason.
    pub fn skips(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for result in self.results {
            if let CaseOutcome::Skipped(reason) = &result.outcome {
                out.entry(reason).or_default().push(&result.id);
            }
        }
        out
    }

    /// How many cases ended which way, and the findings: what every report states.
    pub fn totals(&self) -> Totals {
        Totals::of(self.results, self.findings.len())
    }

    /// Each known-lenient deviation `--profile compat` tolerated, with the cases it showed in.
    pub fn tolerated(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for result in self.results {
            for deviation in &result.deviations {
                let cases = out.entry(deviation).or_default();
                if cases.last() != Some(&result.id.as_str()) {
                    cases.push(&result.id);
                }
            }
        }
        out
    }
}

/// One output format. Adding a format is one new file implementing this.
pub trait Writer {
    /// The whole document, before redaction.
    fn render(&self, report: &RunReport<'_>) -> String;
}

/// The document `writer` makes of `report`, with every secret redacted from the assembled
/// text (so nothing a writer adds can slip past).
pub fn render(writer: &dyn Writer, report: &RunReport<'_>) -> String {
    report
        .facts
        .redactor
        .redact(&writer.render(report))
        .into_owned()
}

/// The writer for `--report PATH`: Markdown when the name ends in `.md`, HTML otherwise.
pub fn document_writer(path: &std::path::Path) -> Box<dyn Writer> {
    if path.extension().is_some_and(|e| e == "md") {
        Box::new(document::Markdown)
    } else {
        Box::new(document::Html)
    }
}

/// Bodies longer than this are cut in messages.
const BODY_LIMIT: usize = 2_000;

/// The failure message of a case, or `None` when it passed.
fn render_failure(case: &Case, run: &CaseRun, redactor: &Redactor) -> Option<String> {
    let failure = run.failure.as_ref()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: step {} ({}) failed",
        failure.location,
        failure.step + 1,
        failure.step_name
    );
    let _ = writeln!(
        out,
        "  case:     {} — {} [{}, {}]",
        case.id,
        case.spec.name,
        case.spec.level,
        case.spec.rfc.join("; ")
    );
    if let Some(exchange) = &failure.exchange {
        write_exchange(&mut out, exchange, redactor);
    }
    if let Some(error) = &failure.error {
        let _ = writeln!(out, "  error:    {}", error.message);
    }
    if !failure.mismatches.is_empty() {
        let _ = writeln!(out, "  expected:");
        for mismatch in &failure.mismatches {
            let _ = writeln!(out, "    - {mismatch}");
        }
    }
    for problem in &run.cleanup_problems {
        let _ = writeln!(out, "  cleanup:  {problem}");
    }
    let out = redactor.redact(out.trim_end());
    Some(crate::redact::printable(&out).into_owned())
}

pub(crate) fn write_exchange(out: &mut String, exchange: &Exchange, redactor: &Redactor) {
    let request = &exchange.request;
    let _ = writeln!(out, "  request:  {request}");
    if let Some(body) = &request.body {
        let _ = writeln!(out, "            {}", cut(body, redactor));
    }
    let response = &exchange.response;
    let content_type = response.header("content-type").unwrap_or("no Content-Type");
    let reason = reqwest::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  response: {} {reason} ({content_type}, {} ms)",
        response.status,
        response.elapsed.as_millis()
    );
    for name in ["location", "etag", "www-authenticate"] {
        // A header may be as long as a body (hyper takes heads up to ~400 KB): cut it alike.
        if let Some(value) = response.header(name) {
            let _ = writeln!(out, "            {name}: {}", cut(value, redactor));
        }
    }
    if !response.body.trim().is_empty() {
        let _ = writeln!(out, "            {}", cut(response.body.trim(), redactor));
    }
}

/// `text` redacted, then cut to [`BODY_LIMIT`]: in this order, so that a secret straddling the
/// cut is still replaced whole.
pub(crate) fn cut(text: &str, redactor: &Redactor) -> String {
    let text = redactor.redact(text);
    if text.len() <= BODY_LIMIT {
        return text.into_owned();
    }
    let end = (0..=BODY_LIMIT)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// A result as the report writers' tests need one.
#[cfg(test)]
pub(crate) fn sample_result(id: &str, level: Level, outcome: CaseOutcome) -> CaseResult {
    CaseResult {
        id: id.into(),
        file: format!("cases/{}.yaml", id.replace("::", "/")),
        area: id.split("::").next().unwrap_or(id).into(),
        level,
        rfc: vec!["RFC 7644 §3.6".into()],
        tags: vec![],
        name: "DELETE removes the user".into(),
        outcome,
        failure: None,
        invariants: vec![],
        requests: 1,
        trace: vec![],
        chain: 1,
        duration: Duration::from_millis(5),
        deviations: vec![],
        cleanup_problems: vec![],
        unanswered: false,
        snapshots: CaseSnapshots::default(),
    }
}

/// A MUST case failed on its status (404 expected after a DELETE, 200 came back), with `message`
/// as its failure text.
#[cfg(test)]
pub(crate) fn sample_status_failure(message: &str) -> CaseResult {
    let mut failed = sample_result(
        "users::delete",
        Level::Must,
        CaseOutcome::Failed(message.into()),
    );
    failed.failure = Some(crate::exec::run::StepFailure {
        step: 2,
        step_name: "GET after DELETE".into(),
        location: "cases/users/delete.yaml:20:5".into(),
        exchange: None,
        mismatches: vec![crate::check::Mismatch {
            subject: "status".into(),
            expected: "404".into(),
            actual: "200".into(),
            ..crate::check::Mismatch::default()
        }],
        error: None,
    });
    failed
}

/// Run facts as the writers' tests need them.
#[cfg(test)]
pub(crate) fn sample_facts() -> RunFacts {
    RunFacts {
        target: "https://example.com/scim/v2".into(),
        started: "2026-11-23T12:00:00Z".into(),
        wall: Duration::from_millis(1500),
        throttled: 2,
        concurrency: "concurrency settled at 12 (peak 16, max 64); backed off on 1 × 503".into(),
        capabilities: vec!["patch".into(), "filter".into()],
        capability_matrix: "patch yes, filter yes, sort no".into(),
        warnings: vec![],
        profile: Profile::Strict,
        fail_on: FailOn::Any,
        selection: Selection {
            total: 10,
            selector: Selector {
                names: vec!["users::".into()],
                ..Selector::default()
            },
            not_selected: vec!["groups::create".into()],
            ..Selection::default()
        },
        interrupted: false,
        unexplained_failures: 0,
        acknowledged: vec![],
        created: 3,
        max_creates: None,
        settle: None,
        settled: Duration::ZERO,
        redactor: Redactor::default(),
        gate: Gate::default(),
        fail_on_drift: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(level: Level, tags: &[&str], outcome: CaseOutcome) -> CaseResult {
        CaseResult {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..sample_result("users::x", level, outcome)
        }
    }

    #[test]
    fn grades_follow_level_and_idp_tag_and_fail_on_picks_the_threshold() {
        let failed = || CaseOutcome::Failed("x".into());
        let cases = [
            (
                result(Level::Must, &[], failed()),
                Grade::MustBroken,
                [true, true, true],
            ),
            (
                result(Level::Must, &["idp"], failed()),
                Grade::IdpIncompatible,
                [false, true, true],
            ),
            (
                result(Level::Idp, &[], failed()),
                Grade::IdpIncompatible,
                [false, true, true],
            ),
            (
                result(Level::Should, &[], failed()),
                Grade::ShouldBroken,
                [false, true, true],
            ),
            (
                result(Level::May, &[], failed()),
                Grade::MayBroken,
                [false, false, true],
            ),
            (
                result(Level::Must, &[], CaseOutcome::Skipped("s".into())),
                Grade::Skipped,
                [false; 3],
            ),
            (
                result(Level::Must, &[], CaseOutcome::Passed),
                Grade::Passed,
                [false; 3],
            ),
            (
                result(Level::May, &[], CaseOutcome::HarnessError("bug".into())),
                Grade::HarnessError,
                [true; 3],
            ),
            (
                result(Level::Must, &[], CaseOutcome::Interrupted),
                Grade::Interrupted,
                [false; 3],
            ),
        ];
        for (result, grade, fails) in cases {
            assert_eq!(result.grade(), grade);
            let got = [FailOn::Must, FailOn::Should, FailOn::Any].map(|f| f.fails(grade));
            assert_eq!(got, fails, "{grade:?}");
        }
    }

    #[test]
    fn a_secret_straddling_the_cut_is_redacted_whole() {
        let token = "s3cret-scim-t0ken-5f2b";
        let mut redactor = Redactor::default();
        redactor.add(token, "scim token");
        for offset in BODY_LIMIT - token.len()..=BODY_LIMIT {
            let body = format!("{}{token}{}", "x".repeat(offset), "y".repeat(100));
            let shown = cut(&body, &redactor);
            assert!(!shown.contains("s3cret-"), "offset {offset}: {shown}");
            assert!(shown.ends_with(" bytes in all)"), "offset {offset}");
        }
        let short = format!("sent {token}");
        assert_eq!(cut(&short, &redactor), "sent [REDACTED scim token]");
    }
}
