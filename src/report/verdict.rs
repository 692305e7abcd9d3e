//! The verdict: the exit code and, in words, why it is what it is. It sees every result —
//! findings at or above `--fail-on`, harness errors, unanswered cases, failed cleanups, trials
//! libtest counted as failed, an interrupt — so that it never says "passed" about a run that
//! did not pass.

use std::collections::BTreeMap;

use super::{CaseOutcome, CaseResult, Finding, Grade, RunFacts};

/// Every case that ran conforms (or fails only below the threshold).
pub const EXIT_PASSED: u8 = 0;
/// A finding at or above the threshold, a harness error, no answer, or a failed cleanup.
pub const EXIT_FAILED: u8 = 1;
/// Ctrl-C, SIGTERM or SIGHUP: what ran was cleaned up, the rest never ran (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub exit_code: u8,
    /// One line: `PASSED`, `FAILED: …`, `INTERRUPTED: …`.
    pub headline: String,
    /// Why the exit code is what it is, one reason a line.
    pub reasons: Vec<String>,
}

impl Verdict {
    pub fn judge(facts: &RunFacts, results: &[CaseResult], findings: &[Finding<'_>]) -> Verdict {
        let threshold = facts.fail_on;
        let mut failing = Vec::new();
        let mut notes = Vec::new();

        let at_or_above: Vec<&Finding<'_>> = findings
            .iter()
            .filter(|f| threshold.fails(f.grade))
            .collect();
        if !at_or_above.is_empty() {
            failing.push(format!(
                "{} finding(s) at or above --fail-on {} ({})",
                at_or_above.len(),
                threshold.name(),
                by_grade(at_or_above.iter().map(|f| f.grade))
            ));
        }
        let below: Vec<Grade> = findings
            .iter()
            .filter(|f| !threshold.fails(f.grade))
            .map(|f| f.grade)
            .collect();
        if !below.is_empty() {
            notes.push(format!(
                "{} finding(s) below --fail-on {} ({}) do not fail the run",
                below.len(),
                threshold.name(),
                by_grade(below.into_iter())
            ));
        }
        let ids = |want: &dyn Fn(&CaseResult) -> bool| -> Vec<&str> {
            results
                .iter()
                .filter(|r| want(r))
                .map(|r| r.id.as_str())
                .collect()
        };
        let harness = ids(&|r| matches!(r.outcome, CaseOutcome::HarnessError(_)));
        if !harness.is_empty() {
            failing.push(format!(
                "{} case(s) hit a scimcheck bug (harness error, no verdict on the target): {}",
                harness.len(),
                harness.join(", ")
            ));
        }
        // A failure with no mismatch (no answer, a capture that left a variable undefined) is no
        // finding; the case itself fails the threshold.
        let unjudged = ids(&|r| {
            matches!(r.outcome, CaseOutcome::Failed(_))
                && r.failure.as_ref().is_none_or(|f| f.mismatches.is_empty())
                && threshold.fails(r.grade())
        });
        if !unjudged.is_empty() {
            failing.push(format!(
                "{} case(s) failed without a verdict on a response (no answer or a step error): {}",
                unjudged.len(),
                unjudged.join(", ")
            ));
        }
        let unclean = ids(&|r| !r.cleanup_problems.is_empty());
        if !unclean.is_empty() {
            failing.push(format!(
                "cleanup failed in {} case(s) ({}): a DELETE or a ledger write failed; `scimcheck sweep` removes what is left",
                unclean.len(),
                unclean.join(", ")
            ));
        }
        if facts.unexplained_failures > 0 {
            failing.push(format!(
                "{} trial(s) failed outside any case's result (a scimcheck bug)",
                facts.unexplained_failures
            ));
        }
        let interrupted = ids(&|r| r.outcome == CaseOutcome::Interrupted);
        if facts.interrupted {
            let reason = format!(
                "interrupted: {} case(s) did not finish; what the run created was cleaned up",
                interrupted.len()
            );
            return Verdict {
                exit_code: EXIT_INTERRUPTED,
                headline: format!("INTERRUPTED ({} case(s) did not finish)", interrupted.len()),
                reasons: [reason].into_iter().chain(failing).chain(notes).collect(),
            };
        }
        if failing.is_empty() {
            let ran = results
                .iter()
                .filter(|r| !matches!(r.outcome, CaseOutcome::Skipped(_)))
                .count();
            let mut reasons = vec![format!(
                "no finding at or above --fail-on {} in the {ran} case(s) that ran",
                threshold.name()
            )];
            reasons.extend(notes);
            return Verdict {
                exit_code: EXIT_PASSED,
                headline: if findings.is_empty() {
                    "PASSED: conformant in every case that ran".to_owned()
                } else {
                    format!("PASSED at --fail-on {}", threshold.name())
                },
                reasons,
            };
        }
        Verdict {
            exit_code: EXIT_FAILED,
            headline: format!("FAILED: {}", failing[0]),
            reasons: failing.into_iter().chain(notes).collect(),
        }
    }
}

/// `2 MUST broken, 1 SHOULD broken`.
fn by_grade(grades: impl Iterator<Item = Grade>) -> String {
    let mut counts: BTreeMap<Grade, usize> = BTreeMap::new();
    for grade in grades {
        *counts.entry(grade).or_default() += 1;
    }
    counts
        .iter()
        .map(|(grade, n)| format!("{n} {}", grade.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::check::Mismatch;
    use crate::exec::run::StepFailure;
    use crate::report::{FailOn, RunReport, sample_facts, sample_result};

    fn failed(id: &str, level: Level) -> CaseResult {
        let mut result = sample_result(id, level, CaseOutcome::Failed("x".into()));
        result.failure = Some(StepFailure {
            step: 0,
            step_name: "s".into(),
            location: "cases/x.yaml:1:1".into(),
            exchange: None,
            mismatches: vec![Mismatch {
                subject: "status".into(),
                expected: "404".into(),
                actual: "200".into(),
                ..Mismatch::default()
            }],
            error: None,
        });
        result
    }

    fn judge(fail_on: FailOn, interrupted: bool, results: &[CaseResult]) -> Verdict {
        let facts = RunFacts {
            fail_on,
            interrupted,
            ..sample_facts()
        };
        RunReport::new(&facts, results).verdict
    }

    #[test]
    fn should_failures_under_fail_on_must_pass_and_say_why() {
        let results = [failed("users::x", Level::Should)];
        let verdict = judge(FailOn::Must, false, &results);
        assert_eq!(verdict.exit_code, EXIT_PASSED);
        assert!(
            verdict.reasons.iter().any(|r| r.contains(
                "1 finding(s) below --fail-on must (1 SHOULD broken) do not fail the run"
            )),
            "{verdict:#?}"
        );
        let verdict = judge(FailOn::Any, false, &results);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(
            verdict.headline.contains("at or above --fail-on any"),
            "{verdict:#?}"
        );
    }

    #[test]
    fn harness_errors_cleanup_problems_and_unexplained_failures_fail_every_threshold() {
        let harness = sample_result(
            "users::x",
            Level::May,
            CaseOutcome::HarnessError("boom".into()),
        );
        let verdict = judge(FailOn::Must, false, &[harness]);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(verdict.headline.contains("harness error"), "{verdict:#?}");

        let mut unclean = sample_result("users::y", Level::May, CaseOutcome::Passed);
        unclean.cleanup_problems = vec!["DELETE /Users/1 answered 500 while cleaning up".into()];
        let verdict = judge(FailOn::Must, false, &[unclean]);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(verdict.headline.contains("cleanup failed"), "{verdict:#?}");

        let facts = RunFacts {
            unexplained_failures: 1,
            ..sample_facts()
        };
        let passed = [sample_result("users::z", Level::Must, CaseOutcome::Passed)];
        assert_eq!(
            RunReport::new(&facts, &passed).verdict.exit_code,
            EXIT_FAILED
        );
        assert_eq!(judge(FailOn::Any, false, &passed).exit_code, EXIT_PASSED);
    }

    #[test]
    fn an_interrupted_run_exits_130_whatever_else_happened() {
        let results = [
            failed("users::x", Level::Must),
            sample_result("users::y", Level::Must, CaseOutcome::Interrupted),
        ];
        let verdict = judge(FailOn::Any, true, &results);
        assert_eq!(verdict.exit_code, EXIT_INTERRUPTED);
        assert!(
            verdict.headline.contains("1 case(s) did not finish"),
            "{verdict:#?}"
        );
        assert!(verdict.reasons.iter().any(|r| r.contains("at or above")));
    }
}
