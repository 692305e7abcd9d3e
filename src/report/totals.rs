//! How many cases ended which way, counted once for every report: the console, JSON, JUnit,
//! HTML and Markdown read the same [`Totals`], so they cannot disagree about what ran.

use super::{CaseOutcome, CaseResult};
use crate::exec::run::StepError;

/// How a case ended, as every report counts it. A case that failed without a verdict on any
/// response (the target did not answer, a step could not be sent or checked) is `Errored`,
/// never `Failed`: no RFC clause was shown broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Passed,
    Failed,
    Errored,
    HarnessError,
    Skipped,
    Interrupted,
}

impl Status {
    /// The word every report uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Errored => "errored",
            Status::HarnessError => "harness error",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
        }
    }

    /// The case ran to its end (with or without a verdict).
    pub fn ran(self) -> bool {
        !matches!(self, Status::Skipped | Status::Interrupted)
    }
}

impl CaseResult {
    /// How the case counts in every report.
    pub fn status(&self) -> Status {
        match &self.outcome {
            CaseOutcome::Passed => Status::Passed,
            CaseOutcome::Failed(_) if self.no_verdict() => Status::Errored,
            CaseOutcome::Failed(_) => Status::Failed,
            CaseOutcome::HarnessError(_) => Status::HarnessError,
            CaseOutcome::Skipped(_) => Status::Skipped,
            CaseOutcome::Interrupted => Status::Interrupted,
        }
    }

    /// A failing step with no mismatch: it ended on an error, not on a checked response.
    fn no_verdict(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.mismatches.is_empty())
    }

    /// Why an errored case reached no verdict.
    pub fn no_verdict_error(&self) -> Option<&StepError> {
        if self.status() != Status::Errored {
            return None;
        }
        self.failure.as_ref()?.error.as_ref()
    }
}

/// The counts every report states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases selected to run: every result, skipped ones included.
    pub selected: usize,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub harness_errors: usize,
    pub skipped: usize,
    pub interrupted: usize,
    pub findings: usize,
}

impl Totals {
    pub fn of(results: &[CaseResult], findings: usize) -> Totals {
        let mut totals = Totals {
            selected: results.len(),
            findings,
            ..Totals::default()
        };
        for result in results {
            *totals.slot(result.status()) += 1;
        }
        totals
    }

    fn slot(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Passed => &mut self.passed,
            Status::Failed => &mut self.failed,
            Status::Errored => &mut self.errored,
            Status::HarnessError => &mut self.harness_errors,
            Status::Skipped => &mut self.skipped,
            Status::Interrupted => &mut self.interrupted,
        }
    }

    /// Cases that ran to their end.
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.errored + self.harness_errors
    }

    /// One line, the same in every report.
    pub fn sentence(&self) -> String {
        format!(
            "{} case(s) selected, {} ran: {} passed, {} failed, {} errored (no verdict), {} harness error(s); {} skipped, {} interrupted; {} finding(s)",
            self.selected,
            self.ran(),
            self.passed,
            self.failed,
            self.errored,
            self.harness_errors,
            self.skipped,
            self.interrupted,
            self.findings
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::exec::run::StepFailure;
    use crate::report::{sample_result, sample_status_failure};

    #[test]
    fn a_failure_without_a_mismatch_is_errored_and_every_outcome_is_counted_once() {
        let mut unanswered = sample_result(
            "users::slow",
            Level::Must,
            CaseOutcome::Failed("timed out".into()),
        );
        unanswered.failure = Some(StepFailure {
            step: 0,
            step_name: "create".into(),
            location: "cases/users/slow.yaml:5:5".into(),
            exchange: None,
            mismatches: vec![],
            error: Some(StepError::ours("`${id}` is undefined")),
        });
        let results = [
            sample_result("users::a", Level::Must, CaseOutcome::Passed),
            sample_status_failure("404 expected"),
            unanswered,
            sample_result(
                "users::b",
                Level::May,
                CaseOutcome::HarnessError("x".into()),
            ),
            sample_result("users::c", Level::May, CaseOutcome::Skipped("no".into())),
            sample_result("users::d", Level::May, CaseOutcome::Interrupted),
        ];
        let statuses: Vec<Status> = results.iter().map(CaseResult::status).collect();
        assert_eq!(
            statuses,
            [
                Status::Passed,
                Status::Failed,
                Status::Errored,
                Status::HarnessError,
                Status::Skipped,
                Status::Interrupted
            ]
        );
        let totals = Totals::of(&results, 1);
        assert_eq!(totals.ran(), 4);
        assert_eq!(
            totals.sentence(),
            "6 case(s) selected, 4 ran: 1 passed, 1 failed, 1 errored (no verdict), 1 harness error(s); 1 skipped, 1 interrupted; 1 finding(s)"
        );
    }
}
