//! Stage 5: results → what people and CI systems read. Failure messages that read like a good
//! bug report, a console summary, and report files (JUnit XML, JSON).

pub mod document;
pub mod json;
pub mod junit;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::case::{Case, Level};
use crate::exec::client::Exchange;
use crate::exec::run::CaseRun;
use crate::redact::Redactor;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    Passed,
    /// The rendered failure message.
    Failed(String),
    /// Why the case did not run.
    Skipped(String),
}

/// How much a result matters: a broken MUST, an identity-provider incompatibility, a broken
/// SHOULD or MAY, a skip, a pass — most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// No verdict: the target did not answer (timeout, connection refused or reset).
    NoAnswer,
    MustBroken,
    IdpIncompatible,
    ShouldBroken,
    MayBroken,
    Skipped,
    Passed,
}

impl Grade {
    pub fn name(self) -> &'static str {
        match self {
            Grade::NoAnswer => "no answer",
            Grade::MustBroken => "MUST broken",
            Grade::IdpIncompatible => "IdP incompatibility",
            Grade::ShouldBroken => "SHOULD broken",
            Grade::MayBroken => "MAY broken",
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
    /// A case the target never answered fails every threshold: nothing was shown to conform.
    pub fn fails(self, grade: Grade) -> bool {
        match self {
            FailOn::Must => grade <= Grade::MustBroken,
            FailOn::Should => grade <= Grade::ShouldBroken,
            FailOn::Any => grade <= Grade::MayBroken,
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
    pub requests: u32,
    /// Round trips one after another (the case's critical path against a remote target).
    pub chain: u32,
    pub duration: Duration,
    /// Known-lenient deviations the compat profile let pass.
    pub deviations: Vec<String>,
    pub cleanup_problems: Vec<String>,
    /// The failure was the target not answering, not a wrong answer.
    pub unanswered: bool,
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
            requests: 0,
            chain: 0,
            duration: Duration::ZERO,
            deviations: Vec::new(),
            cleanup_problems: Vec::new(),
            unanswered: false,
        }
    }

    /// Identity-provider replay cases (tagged `idp`) grade as incompatibilities, whatever their
    /// level: "does not work with Entra" is what their reader needs to know.
    pub fn grade(&self) -> Grade {
        match &self.outcome {
            CaseOutcome::Passed => Grade::Passed,
            CaseOutcome::Skipped(_) => Grade::Skipped,
            CaseOutcome::Failed(_) if self.unanswered => Grade::NoAnswer,
            CaseOutcome::Failed(_) if self.tags.iter().any(|t| t == "idp") => {
                Grade::IdpIncompatible
            }
            CaseOutcome::Failed(_) => match self.level {
                Level::Must => Grade::MustBroken,
                Level::Should => Grade::ShouldBroken,
                Level::May => Grade::MayBroken,
                Level::Idp => Grade::IdpIncompatible,
            },
        }
    }

    pub fn with_run(mut self, run: &CaseRun) -> CaseResult {
        self.requests = run.requests;
        self.chain = run.chain;
        self.duration = run.duration;
        self.cleanup_problems = run.cleanup_problems.clone();
        self.deviations = run.deviations.clone();
        self.unanswered = run
            .failure
            .as_ref()
            .and_then(|f| f.error.as_ref())
            .is_some_and(|e| e.unanswered);
        self
    }
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

/// Bodies longer than this are cut in messages.
const BODY_LIMIT: usize = 2_000;

/// The failure message of a case, or `None` when it passed.
pub fn render_failure(case: &Case, run: &CaseRun, redactor: &Redactor) -> Option<String> {
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
    Some(redactor.redact(out.trim_end()).into_owned())
}

fn write_exchange(out: &mut String, exchange: &Exchange, redactor: &Redactor) {
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
        if let Some(value) = response.header(name) {
            let _ = writeln!(out, "            {name}: {value}");
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

/// The closing summary: counts per area, requests made, the longest dependent chain, and
/// cleanup problems (which never pass silently).
pub fn summary(results: &[CaseResult], wall: Duration) -> String {
    let mut areas: BTreeMap<&str, [u32; 3]> = BTreeMap::new();
    for result in results {
        let counts = areas.entry(&result.area).or_default();
        match result.outcome {
            CaseOutcome::Passed => counts[0] += 1,
            CaseOutcome::Failed(_) => counts[1] += 1,
            CaseOutcome::Skipped(_) => counts[2] += 1,
        }
    }
    let mut out = String::from("\nscimcheck summary\n");
    let _ = writeln!(
        out,
        "  {:<24} {:>6} {:>6} {:>7}",
        "area", "passed", "failed", "skipped"
    );
    for (area, [passed, failed, skipped]) in &areas {
        let _ = writeln!(out, "  {area:<24} {passed:>6} {failed:>6} {skipped:>7}");
    }
    let requests: u32 = results.iter().map(|r| r.requests).sum();
    let longest = results.iter().max_by_key(|r| r.chain);
    let _ = write!(out, "  {requests} requests in {:.2}s", wall.as_secs_f64());
    if let Some(longest) = longest {
        let _ = write!(
            out,
            "; longest request chain: {} ({} round trips)",
            longest.id, longest.chain
        );
    }
    out.push('\n');
    let mut by_grade: BTreeMap<Grade, Vec<&str>> = BTreeMap::new();
    for result in results {
        if result.grade() <= Grade::MayBroken {
            by_grade.entry(result.grade()).or_default().push(&result.id);
        }
    }
    for (grade, ids) in by_grade {
        let _ = writeln!(out, "  {}: {}", grade.name(), ids.join(", "));
    }
    let deviating: Vec<&str> = results
        .iter()
        .filter(|r| !r.deviations.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    if !deviating.is_empty() {
        let _ = writeln!(
            out,
            "  tolerated by --profile compat (would fail under strict): {}",
            deviating.join(", ")
        );
    }
    for result in results {
        for problem in &result.cleanup_problems {
            let _ = writeln!(out, "  cleanup problem in {}: {problem}", result.id);
        }
    }
    out
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
        requests: 1,
        chain: 1,
        duration: Duration::from_millis(5),
        deviations: vec![],
        cleanup_problems: vec![],
        unanswered: false,
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
