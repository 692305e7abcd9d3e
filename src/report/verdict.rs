//! The verdict: the exit code and, in words, why it is what it is. It sees every result —
//! findings at or above `--fail-on`, harness errors, unanswered cases, failed cleanups, trials
//! libtest counted as failed, an interrupt, a run where nothing ran — so that it never says
//! "passed" about a run that did not pass, nor "failed" about a target it could not judge.

use std::collections::BTreeMap;

use super::{CaseOutcome, CaseResult, Finding, Grade, RunFacts, Status};
use crate::compare::{Acceptance, Gate};

/// Every case that ran conforms (or fails only below the threshold).
pub const EXIT_PASSED: u8 = 0;
/// A finding at or above the threshold, a failed cleanup, an expired acceptance, a regression.
pub const EXIT_FAILED: u8 = 1;
/// Nothing at or above the threshold failed, but some case reached no verdict: the target did
/// not answer, a step could not be sent or checked, or scimcheck itself failed. Whatever
/// `--fail-on` says: an unjudged case is not a conformant one.
pub const EXIT_NO_VERDICT: u8 = 3;
/// Every selected case was skipped, or none was selected: a gate that checked nothing.
pub const EXIT_NOTHING_RAN: u8 = 4;
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
        let gate = &facts.gate;
        let baseline = gate.baseline.as_ref();
        let mut failing = Vec::new();
        let mut notes = Vec::new();
        if let Some(baseline) = baseline {
            notes.push(format!(
                "judged against the baseline {} ({}, {}): only what got worse fails",
                baseline.source, baseline.target, baseline.started
            ));
        }

        let at_or_above: Vec<&Finding<'_>> = findings
            .iter()
            .filter(|f| threshold.fails(f.grade))
            .collect();
        let mut fresh = Vec::new();
        let mut known = Vec::new();
        for finding in &at_or_above {
            if let Some(acceptance) = covering(&gate.accepted, finding) {
                let expires = acceptance
                    .expires
                    .map(|day| format!("; expires {day}"))
                    .unwrap_or_default();
                notes.push(format!(
                    "{} accepted in scimcheck.toml ({}{expires}): {}",
                    finding.id,
                    acceptance.reason,
                    finding.statement()
                ));
            } else if let Some(acceptance) = covering(&gate.expired, finding) {
                let day = acceptance
                    .expires
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                failing.push(format!(
                    "{} was accepted until {day} ({}); the acceptance has expired: {}",
                    finding.id,
                    acceptance.reason,
                    finding.statement()
                ));
            } else if baseline.is_some_and(|b| b.findings.contains_key(&finding.id)) {
                known.push(finding.grade);
            } else {
                fresh.push(*finding);
            }
        }
        if !fresh.is_empty() {
            let grades = by_grade(fresh.iter().map(|f| f.grade));
            failing.push(match baseline {
                Some(_) => format!(
                    "{} new finding(s) since the baseline at or above --fail-on {} ({grades}): {}",
                    fresh.len(),
                    threshold.name(),
                    fresh
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!(
                    "{} finding(s) at or above --fail-on {} ({grades})",
                    fresh.len(),
                    threshold.name()
                ),
            });
        }
        if !known.is_empty() {
            notes.push(format!(
                "{} finding(s) at or above --fail-on {} ({}) are in the baseline too: not regressions",
                known.len(),
                threshold.name(),
                by_grade(known.into_iter())
            ));
        }
        for acceptance in gate.accepted.iter().chain(&gate.expired) {
            let matched = findings.iter().any(|f| covers(acceptance, f));
            if !matched {
                notes.push(format!(
                    "[[accept]] {} matched no finding: remove it once the fix has shipped",
                    acceptance.label()
                ));
            }
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
        // A case that passed in the baseline and fails now regressed, unless every finding it
        // shows is accepted.
        let regressed = ids(&|r| {
            baseline.is_some_and(|b| b.passed(&r.id))
                && r.status() == Status::Failed
                && threshold.fails(r.grade())
                && !all_accepted(gate, findings, &r.id)
        });
        if !regressed.is_empty() {
            failing.push(format!(
                "{} case(s) passed in the baseline and fail now: {}",
                regressed.len(),
                regressed.join(", ")
            ));
        }
        // No verdict is no finding, whatever `--fail-on` says: nothing was shown either way.
        let mut unverdicted = Vec::new();
        let harness = ids(&|r| r.status() == Status::HarnessError);
        if !harness.is_empty() {
            unverdicted.push(format!(
                "{} case(s) hit a scimcheck bug (harness error, no verdict on the target): {}",
                harness.len(),
                harness.join(", ")
            ));
        }
        // A case that errored in the baseline too got no worse.
        let errored = |unanswered: bool| {
            ids(&|r| {
                r.status() == Status::Errored
                    && r.unanswered == unanswered
                    && !baseline.is_some_and(|b| b.failed(&r.id))
            })
        };
        let unanswered = errored(true);
        if !unanswered.is_empty() {
            unverdicted.push(format!(
                "{} case(s) got no answer from the target (a timeout, a refused or reset connection): no verdict: {}",
                unanswered.len(),
                unanswered.join(", ")
            ));
        }
        let step_errors = errored(false);
        if !step_errors.is_empty() {
            unverdicted.push(format!(
                "{} case(s) stopped on a step that could not be sent or checked: no verdict: {}",
                step_errors.len(),
                step_errors.join(", ")
            ));
        }
        if let Some(baseline) = baseline {
            let now_pass = ids(&|r| r.outcome == CaseOutcome::Passed && baseline.failed(&r.id));
            let gone: Vec<&str> = baseline
                .findings
                .keys()
                .filter(|id| !findings.iter().any(|f| &f.id == *id))
                .map(String::as_str)
                .collect();
            if !now_pass.is_empty() || !gone.is_empty() {
                notes.push(format!(
                    "improved since the baseline: {} case(s) pass now{}; {} finding(s) gone{}",
                    now_pass.len(),
                    listed(&now_pass),
                    gone.len(),
                    listed(&gone)
                ));
            }
            let not_run =
                ids(&|r| matches!(r.outcome, CaseOutcome::Skipped(_)) && baseline.passed(&r.id));
            if !not_run.is_empty() {
                notes.push(format!(
                    "{} case(s) that passed in the baseline were skipped this time: {}",
                    not_run.len(),
                    not_run.join(", ")
                ));
            }
        }
        let unclean = ids(&|r| !r.cleanup_problems.is_empty());
        if !unclean.is_empty() {
            failing.push(format!(
                "cleanup failed in {} case(s) ({}): a DELETE or a ledger write failed; `scimcheck sweep` removes what is left",
                unclean.len(),
                unclean.join(", ")
            ));
        }
        let drifted = ids(&|r| !r.snapshots.drift.is_empty());
        if !drifted.is_empty() {
            let steps: usize = results.iter().map(|r| r.snapshots.drift.len()).sum();
            let drift = format!(
                "snapshot drift: {steps} step(s) in {} case(s) answer differently from their stored snapshots ({})",
                drifted.len(),
                drifted.join(", ")
            );
            if facts.fail_on_drift {
                failing.push(drift);
            } else {
                notes.push(format!(
                    "{drift}: reported, not failed (--fail-on-drift fails it)"
                ));
            }
        }
        let unreadable = ids(&|r| !r.snapshots.errors.is_empty());
        if !unreadable.is_empty() {
            failing.push(format!(
                "snapshots could not be read or written in {} case(s): {}",
                unreadable.len(),
                unreadable.join(", ")
            ));
        }
        if facts.unexplained_failures > 0 {
            unverdicted.push(format!(
                "{} trial(s) failed outside any case's result (a scimcheck bug)",
                facts.unexplained_failures
            ));
        }
        let interrupted = ids(&|r| r.status() == Status::Interrupted);
        let ran = results.iter().filter(|r| r.status().ran()).count();
        if facts.interrupted {
            let cleanup = if unclean.is_empty() {
                "the cases that ran cleaned up what they created"
            } else {
                "some cleanups failed (below)"
            };
            let reason = format!(
                "interrupted: {} case(s) did not finish and {ran} ran to their end; {cleanup}",
                interrupted.len()
            );
            return Verdict {
                exit_code: EXIT_INTERRUPTED,
                headline: format!("INTERRUPTED ({} case(s) did not finish)", interrupted.len()),
                reasons: [reason]
                    .into_iter()
                    .chain(failing)
                    .chain(unverdicted)
                    .chain(notes)
                    .collect(),
            };
        }
        if !failing.is_empty() {
            return Verdict {
                exit_code: EXIT_FAILED,
                headline: format!("FAILED: {}", failing[0]),
                reasons: failing
                    .into_iter()
                    .chain(unverdicted)
                    .chain(notes)
                    .collect(),
            };
        }
        if !unverdicted.is_empty() {
            return Verdict {
                exit_code: EXIT_NO_VERDICT,
                headline: format!("NO VERDICT: {}", unverdicted[0]),
                reasons: unverdicted.into_iter().chain(notes).collect(),
            };
        }
        if ran == 0 {
            let why = if results.is_empty() {
                "the selection named no case".to_owned()
            } else {
                format!(
                    "every one of the {} selected case(s) was skipped (the reasons are listed)",
                    results.len()
                )
            };
            return Verdict {
                exit_code: EXIT_NOTHING_RAN,
                headline: format!("NOTHING RAN: {why}"),
                reasons: [format!(
                    "nothing ran: {why}; a run that checked nothing is not a pass"
                )]
                .into_iter()
                .chain(notes)
                .collect(),
            };
        }
        let mut reasons = vec![match baseline {
            Some(_) => format!(
                "no new finding and no case that passed in the baseline fails at --fail-on {} in the {ran} case(s) that ran",
                threshold.name()
            ),
            None => format!(
                "no finding at or above --fail-on {} in the {ran} case(s) that ran",
                threshold.name()
            ),
        }];
        reasons.extend(notes);
        let headline = if baseline.is_some() {
            "PASSED: no regression since the baseline".to_owned()
        } else if findings.is_empty() {
            "PASSED: conformant in every case that ran".to_owned()
        } else {
            format!("PASSED at --fail-on {}", threshold.name())
        };
        Verdict {
            exit_code: EXIT_PASSED,
            headline,
            reasons,
        }
    }
}

fn covers(acceptance: &Acceptance, finding: &Finding<'_>) -> bool {
    acceptance.covers(
        &finding.id,
        finding
            .occurrences
            .iter()
            .map(|o| o.mismatch.subject.as_str()),
    )
}

/// The first of `acceptances` that covers `finding`.
fn covering<'g>(acceptances: &'g [Acceptance], finding: &Finding<'_>) -> Option<&'g Acceptance> {
    acceptances.iter().find(|a| covers(a, finding))
}

/// Every finding the case shows is accepted (and it shows one).
fn all_accepted(gate: &Gate, findings: &[Finding<'_>], case: &str) -> bool {
    let mut shown = findings
        .iter()
        .filter(|f| f.cases().contains(&case))
        .peekable();
    shown.peek().is_some() && shown.all(|f| covering(&gate.accepted, f).is_some())
}

/// ` (a, b)`, or nothing for none.
fn listed(ids: &[&str]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
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
    use crate::compare::RunRecord;
    use crate::compare::record::{CaseRecord, FindingRecord};
    use crate::exec::run::StepFailure;
    use crate::report::{FailOn, RunReport, sample_facts, sample_result};
    use time::macros::date;

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
    fn cleanup_problems_fail_every_threshold() {
        let mut unclean = sample_result("users::y", Level::May, CaseOutcome::Passed);
        unclean.cleanup_problems = vec!["DELETE /Users/1 answered 500 while cleaning up".into()];
        let verdict = judge(FailOn::Must, false, &[unclean]);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(verdict.headline.contains("cleanup failed"), "{verdict:#?}");
    }

    /// A case whose failing step ended on `error` with no mismatch.
    fn errored(id: &str, unanswered: bool, error: &str) -> CaseResult {
        let mut result = failed(id, Level::Must);
        result.unanswered = unanswered;
        if let Some(step) = &mut result.failure {
            step.mismatches.clear();
            step.error = Some(crate::exec::run::StepError {
                message: error.into(),
                unanswered,
            });
        }
        result
    }

    #[test]
    fn no_answer_step_errors_harness_errors_and_unexplained_failures_are_no_verdict_at_every_threshold()
     {
        let harness = sample_result(
            "users::x",
            Level::May,
            CaseOutcome::HarnessError("boom".into()),
        );
        let timeout = errored("users::slow", true, "timed out after 30s");
        let undefined = errored("users::get", false, "`${id}` is undefined");
        for fail_on in [FailOn::Must, FailOn::Should, FailOn::Any] {
            let verdict = judge(fail_on, false, std::slice::from_ref(&harness));
            assert_eq!(verdict.exit_code, EXIT_NO_VERDICT, "{verdict:#?}");
            assert!(verdict.headline.contains("harness error"), "{verdict:#?}");
            let verdict = judge(fail_on, false, &[timeout.clone(), undefined.clone()]);
            assert_eq!(verdict.exit_code, EXIT_NO_VERDICT, "{verdict:#?}");
            assert_eq!(
                verdict.reasons[..2],
                [
                    "1 case(s) got no answer from the target (a timeout, a refused or reset connection): no verdict: users::slow",
                    "1 case(s) stopped on a step that could not be sent or checked: no verdict: users::get",
                ],
                "{verdict:#?}"
            );
        }
        // Neither is graded as the clause it was about, nor made into a finding.
        assert_eq!(timeout.grade(), Grade::NoVerdict);
        assert_eq!(undefined.grade(), Grade::NoVerdict);
        let report_results = [undefined];
        let facts = sample_facts();
        assert!(RunReport::new(&facts, &report_results).findings.is_empty());
        // A finding fails the run, and the cases without a verdict are still named.
        let verdict = judge(
            FailOn::Any,
            false,
            &[failed("users::delete", Level::Must), timeout],
        );
        assert_eq!(verdict.exit_code, EXIT_FAILED, "{verdict:#?}");
        assert!(
            verdict.reasons.iter().any(|r| r.contains("users::slow")),
            "{verdict:#?}"
        );

        let facts = RunFacts {
            unexplained_failures: 1,
            ..sample_facts()
        };
        let passed = [sample_result("users::z", Level::Must, CaseOutcome::Passed)];
        assert_eq!(
            RunReport::new(&facts, &passed).verdict.exit_code,
            EXIT_NO_VERDICT
        );
        assert_eq!(judge(FailOn::Any, false, &passed).exit_code, EXIT_PASSED);
    }

    #[test]
    fn a_run_where_nothing_ran_is_no_pass() {
        let skipped = [
            sample_result(
                "users::a",
                Level::Must,
                CaseOutcome::Skipped("no bulk".into()),
            ),
            sample_result(
                "users::b",
                Level::Must,
                CaseOutcome::Skipped("no patch".into()),
            ),
        ];
        let verdict = judge(FailOn::Any, false, &skipped);
        assert_eq!(verdict.exit_code, EXIT_NOTHING_RAN, "{verdict:#?}");
        assert_eq!(
            verdict.headline,
            "NOTHING RAN: every one of the 2 selected case(s) was skipped (the reasons are listed)"
        );
        let verdict = judge(FailOn::Must, false, &[]);
        assert_eq!(verdict.exit_code, EXIT_NOTHING_RAN, "{verdict:#?}");
        assert_eq!(verdict.headline, "NOTHING RAN: the selection named no case");
        // One case that ran is enough.
        let one = [
            skipped[0].clone(),
            sample_result("users::c", Level::Must, CaseOutcome::Passed),
        ];
        assert_eq!(judge(FailOn::Any, false, &one).exit_code, EXIT_PASSED);
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
        assert_eq!(
            verdict.reasons[0],
            "interrupted: 1 case(s) did not finish and 1 ran to their end; the cases that ran cleaned up what they created"
        );
        // It does not claim a cleanup that failed.
        let mut unclean = failed("users::x", Level::Must);
        unclean.cleanup_problems = vec!["DELETE /Users/1 got no answer".into()];
        let verdict = judge(FailOn::Any, true, &[unclean]);
        assert!(
            verdict.reasons[0].ends_with("some cleanups failed (below)")
                && verdict
                    .reasons
                    .iter()
                    .any(|r| r.starts_with("cleanup failed in 1 case(s)")),
            "{verdict:#?}"
        );
    }

    #[test]
    fn drift_is_a_note_unless_fail_on_drift_and_an_unwritable_snapshot_fails() {
        let mut drifted = sample_result("users::get", Level::Must, CaseOutcome::Passed);
        drifted.snapshots.drift = vec![crate::check::snapshot::Drift {
            step: 2,
            step_name: "read it back".into(),
            snapshot: "users/get--step-2".into(),
            changes: vec![],
        }];
        let results = [drifted];
        let verdict = judge(FailOn::Any, false, &results);
        assert_eq!(verdict.exit_code, EXIT_PASSED, "{verdict:#?}");
        assert!(
            verdict
                .reasons
                .iter()
                .any(|r| r.contains("snapshot drift: 1 step(s) in 1 case(s)")
                    && r.contains("users::get")
                    && r.contains("not failed")),
            "{verdict:#?}"
        );
        let facts = RunFacts {
            fail_on_drift: true,
            ..sample_facts()
        };
        let verdict = RunReport::new(&facts, &results).verdict;
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(verdict.headline.contains("snapshot drift"), "{verdict:#?}");
        let mut unwritable = sample_result("users::get", Level::Must, CaseOutcome::Passed);
        unwritable.snapshots.errors = vec!["failed to write x.snap: denied".into()];
        let verdict = judge(FailOn::Any, false, &[unwritable]);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(
            verdict.headline.contains("snapshots could not be"),
            "{verdict:#?}"
        );
    }

    fn gated(gate: Gate, results: &[CaseResult]) -> Verdict {
        let facts = RunFacts {
            gate,
            ..sample_facts()
        };
        RunReport::new(&facts, results).verdict
    }

    fn finding_id(results: &[CaseResult]) -> String {
        crate::report::findings::group(results)[0].id.clone()
    }

    fn baseline(cases: &[(&str, &str)], findings: &[&str]) -> RunRecord {
        RunRecord {
            source: "base.json".into(),
            cases: cases
                .iter()
                .map(|(id, status)| {
                    let record = CaseRecord {
                        status: (*status).to_owned(),
                        ..CaseRecord::default()
                    };
                    ((*id).to_owned(), record)
                })
                .collect(),
            findings: findings
                .iter()
                .map(|id| ((*id).to_owned(), FindingRecord::default()))
                .collect(),
            ..RunRecord::default()
        }
    }

    fn accept(finding: &str, expires: Option<time::Date>) -> Acceptance {
        Acceptance {
            finding: Some(finding.into()),
            rule: None,
            reason: "fixed in v5".into(),
            expires,
        }
    }

    #[test]
    fn against_a_baseline_only_new_findings_and_newly_failing_cases_fail() {
        let results = [
            failed("users::x", Level::Must),
            sample_result("users::y", Level::Must, CaseOutcome::Passed),
        ];
        let id = finding_id(&results);
        // The same failure in the baseline: no regression, and the verdict says why.
        let same = baseline(&[("users::x", "failed"), ("users::y", "passed")], &[&id]);
        let verdict = gated(Gate::new(&[], Some(same), date!(2026 - 12 - 01)), &results);
        assert_eq!(verdict.exit_code, EXIT_PASSED, "{verdict:#?}");
        assert_eq!(verdict.headline, "PASSED: no regression since the baseline");
        assert!(
            verdict
                .reasons
                .iter()
                .any(|r| r.contains("in the baseline too")),
            "{verdict:#?}"
        );
        // A finding the baseline did not have, in a case that passed there: both are named.
        let clean = baseline(&[("users::x", "passed"), ("users::y", "passed")], &[]);
        let verdict = gated(Gate::new(&[], Some(clean), date!(2026 - 12 - 01)), &results);
        assert_eq!(verdict.exit_code, EXIT_FAILED);
        assert!(
            verdict.headline.contains(&format!(
                "1 new finding(s) since the baseline at or above --fail-on any (1 MUST broken): {id}"
            )),
            "{verdict:#?}"
        );
        assert!(
            verdict
                .reasons
                .contains(&"1 case(s) passed in the baseline and fail now: users::x".to_owned()),
            "{verdict:#?}"
        );
    }

    #[test]
    fn improvements_since_the_baseline_are_listed_and_pass() {
        let results = [sample_result("users::x", Level::Must, CaseOutcome::Passed)];
        let before = baseline(&[("users::x", "failed")], &["f-000000000000"]);
        let verdict = gated(
            Gate::new(&[], Some(before), date!(2026 - 12 - 01)),
            &results,
        );
        assert_eq!(verdict.exit_code, EXIT_PASSED);
        assert!(
            verdict.reasons.contains(
                &"improved since the baseline: 1 case(s) pass now (users::x); 1 finding(s) gone (f-000000000000)"
                    .to_owned()
            ),
            "{verdict:#?}"
        );
    }

    #[test]
    fn an_accepted_finding_passes_until_its_acceptance_expires() {
        let results = [failed("users::x", Level::Must)];
        let id = finding_id(&results);
        let acceptances = [accept(&id, Some(date!(2027 - 03 - 01)))];
        let verdict = gated(
            Gate::new(&acceptances, None, date!(2027 - 02 - 28)),
            &results,
        );
        assert_eq!(verdict.exit_code, EXIT_PASSED, "{verdict:#?}");
        assert!(
            verdict.reasons.iter().any(|r| r.starts_with(&format!(
                "{id} accepted in scimcheck.toml (fixed in v5; expires 2027-03-01)"
            ))),
            "{verdict:#?}"
        );
        let verdict = gated(
            Gate::new(&acceptances, None, date!(2027 - 03 - 01)),
            &results,
        );
        assert_eq!(verdict.exit_code, EXIT_FAILED, "{verdict:#?}");
        assert!(
            verdict.headline.starts_with(&format!(
                "FAILED: {id} was accepted until 2027-03-01 (fixed in v5); the acceptance has expired"
            )),
            "{verdict:#?}"
        );
        // Accepted, it is no regression against a baseline either, though the case passed there.
        let clean = baseline(&[("users::x", "passed")], &[]);
        let verdict = gated(
            Gate::new(&acceptances, Some(clean), date!(2027 - 01 - 01)),
            &results,
        );
        assert_eq!(verdict.exit_code, EXIT_PASSED, "{verdict:#?}");
    }

    #[test]
    fn an_acceptance_matching_nothing_is_pointed_out() {
        let results = [failed("users::x", Level::Must)];
        let acceptances = [accept("f-ffffffffffff", None)];
        let verdict = gated(
            Gate::new(&acceptances, None, date!(2027 - 01 - 01)),
            &results,
        );
        assert_eq!(
            verdict.exit_code, EXIT_FAILED,
            "another finding is not accepted"
        );
        assert!(
            verdict.reasons.contains(
                &"[[accept]] finding f-ffffffffffff matched no finding: remove it once the fix has shipped"
                    .to_owned()
            ),
            "{verdict:#?}"
        );
    }
}
