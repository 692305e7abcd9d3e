//! The closing summary on the console: the verdict's reasons, the findings most serious first,
//! then what was selected, counts per area, skips by reason, tolerated deviations, requests,
//! throttling and cleanup problems.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CaseOutcome, RunReport, Status, Writer, write_exchange};

/// Lists longer than this wrap onto further lines.
const WIDTH: usize = 100;

pub struct Console;

impl Writer for Console {
    fn render(&self, report: &RunReport<'_>) -> String {
        let facts = report.facts;
        let mut out = String::from("\nscimcheck summary\n");
        let _ = writeln!(
            out,
            "  target {} · profile {} · --fail-on {}",
            facts.target,
            facts.profile_name(),
            facts.fail_on.name()
        );
        let _ = writeln!(out, "  {}", facts.selection.describe());
        if report.findings.is_empty() {
            out.push_str("  findings: none\n");
        } else {
            let _ = writeln!(
                out,
                "  findings ({}), most serious first:",
                report.findings.len()
            );
        }
        for (number, finding) in report.findings.iter().enumerate() {
            let example = finding.example();
            let cases = finding.cases();
            let _ = writeln!(
                out,
                "  {}. [{}] {} ({})",
                number + 1,
                finding.grade.name(),
                finding.statement(),
                finding.id
            );
            let _ = writeln!(
                out,
                "     breaks {}; seen in {} case(s){}:",
                finding.clause,
                cases.len(),
                if finding.invariant {
                    " as an invariant on the way (no case failed for it)"
                } else {
                    ""
                }
            );
            wrap(&mut out, &cases, "       ");
            let symptoms = finding.symptoms();
            if symptoms.len() > 1 {
                let _ = writeln!(out, "     also seen as:");
                for symptom in &symptoms[1..] {
                    let _ = writeln!(out, "       - {symptom}");
                }
            }
            let _ = writeln!(
                out,
                "     e.g. {} step {} ({}) of {}",
                example.step.location,
                example.step.step + 1,
                example.step.step_name,
                example.case.id
            );
            if let Some(exchange) = &example.step.exchange {
                let mut shown = String::new();
                write_exchange(&mut shown, exchange, &facts.redactor);
                for line in shown.lines() {
                    let _ = writeln!(out, "   {line}");
                }
            }
        }

        let _ = writeln!(out, "  {}", report.totals().sentence());
        let mut areas: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
        for result in report.results {
            let counts = areas.entry(&result.area).or_default();
            let column = match result.status() {
                Status::Passed => 0,
                Status::Failed => 1,
                Status::Errored => 2,
                Status::Skipped => 3,
                Status::Interrupted => 4,
                Status::HarnessError => 5,
            };
            counts[column] += 1;
        }
        let _ = writeln!(
            out,
            "  {:<24} {:>6} {:>6} {:>7} {:>7} {:>11} {:>13}",
            "area", "passed", "failed", "errored", "skipped", "interrupted", "harness error"
        );
        for (area, [passed, failed, errored, skipped, interrupted, harness]) in &areas {
            let _ = writeln!(
                out,
                "  {area:<24} {passed:>6} {failed:>6} {errored:>7} {skipped:>7} {interrupted:>11} {harness:>13}"
            );
        }
        for (reason, ids) in report.skips() {
            let _ = writeln!(out, "  skipped ({}): {reason}", ids.len());
        }
        for result in report.results {
            if let CaseOutcome::HarnessError(panic) = &result.outcome {
                let _ = writeln!(out, "  harness error in {}: {panic}", result.id);
            }
            if let Some(error) = result.no_verdict_error() {
                let _ = writeln!(out, "  no verdict in {}: {}", result.id, error.message);
            }
        }
        let _ = write!(
            out,
            "  {} requests in {:.2}s",
            report.requests(),
            facts.wall.as_secs_f64()
        );
        if let Some(longest) = report.results.iter().max_by_key(|r| r.chain) {
            let _ = write!(
                out,
                "; longest request chain: {} ({} round trips)",
                longest.id, longest.chain
            );
        }
        let _ = writeln!(
            out,
            "; the target throttled the run {} time(s) (429/503), each waited out",
            facts.throttled
        );
        let _ = writeln!(out, "  {}", facts.concurrency);
        let _ = write!(out, "  {} resource(s) created", facts.created);
        match facts.max_creates {
            Some(max) => {
                let _ = writeln!(out, " of at most {max} (--max-creates)");
            }
            None => out.push('\n'),
        }
        if let Some(window) = facts.settle {
            let _ = writeln!(
                out,
                "  settle window {:.1}s: the slowest read became consistent after {:.2}s",
                window.as_secs_f64(),
                facts.settled.as_secs_f64()
            );
        }
        for deviation in &facts.acknowledged {
            let _ = writeln!(out, "  acknowledged deviation: {deviation}");
        }
        for (deviation, ids) in report.tolerated() {
            let _ = writeln!(
                out,
                "  tolerated by --profile compat (would fail under strict): {deviation}; in {} case(s):",
                ids.len()
            );
            wrap(&mut out, &ids, "    ");
        }
        for result in report.results {
            for problem in &result.cleanup_problems {
                let _ = writeln!(out, "  cleanup problem in {}: {problem}", result.id);
            }
            for problem in &result.snapshots.errors {
                let _ = writeln!(out, "  snapshot problem in {}: {problem}", result.id);
            }
        }
        if let Some((same, new, drifted)) = super::drift::tally(report.results) {
            let _ = writeln!(
                out,
                "  snapshots: {same} unchanged, {new} new, {drifted} drifted{}",
                if drifted > 0 {
                    " (review with `scimcheck snapshots review`):"
                } else {
                    ""
                }
            );
            for (case, line) in super::drift::lines(report.results) {
                let _ = writeln!(out, "    {case} {line}");
            }
        }
        let _ = writeln!(
            out,
            "  verdict: {} (exit code {})",
            report.verdict.headline, report.verdict.exit_code
        );
        for reason in &report.verdict.reasons {
            let _ = writeln!(out, "    - {reason}");
        }
        crate::redact::printable(&out).into_owned()
    }
}

/// `items` comma-separated, wrapped at [`WIDTH`], each line starting with `indent`.
fn wrap(out: &mut String, items: &[&str], indent: &str) {
    let mut line = String::from(indent);
    for (index, item) in items.iter().enumerate() {
        let piece = if index + 1 < items.len() {
            format!("{item}, ")
        } else {
            (*item).to_owned()
        };
        if line.len() + piece.len() > WIDTH && line.len() > indent.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        line.push_str(&piece);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::{RunFacts, RunReport, sample_facts, sample_result};

    #[test]
    fn the_summary_states_selection_profile_threshold_requests_and_the_verdict() {
        let facts = sample_facts();
        let results = [
            sample_result("users::create", Level::Must, CaseOutcome::Passed),
            sample_result(
                "users::gone",
                Level::Must,
                CaseOutcome::Skipped("no groups".into()),
            ),
            sample_result(
                "users::x",
                Level::Must,
                CaseOutcome::HarnessError("boom".into()),
            ),
        ];
        let text = Console.render(&RunReport::new(&facts, &results));
        for expected in [
            "profile strict · --fail-on any",
            "9 of 10 cases selected; names containing `users::`; 1 not selected",
            "skipped (1): no groups",
            "harness error in users::x: boom",
            "3 requests in 1.50s",
            "throttled the run 2 time(s)",
            "concurrency settled at 12 (peak 16, max 64); backed off on 1 × 503",
            "3 case(s) selected, 2 ran: 1 passed, 0 failed, 0 errored (no verdict), 1 harness error(s); 1 skipped, 0 interrupted; 0 finding(s)",
            "verdict: NO VERDICT: 1 case(s) hit a scimcheck bug",
            "(exit code 3)",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn each_tolerated_deviation_is_listed_once_with_its_cases() {
        let facts = RunFacts {
            profile: crate::check::Profile::Compat,
            ..sample_facts()
        };
        let numeric = "rule `error-status-matches`: status is the number 404";
        let mut a = sample_result("users::a", Level::Must, CaseOutcome::Passed);
        a.deviations = vec![numeric.into(), numeric.into()];
        let mut b = sample_result("users::b", Level::Must, CaseOutcome::Passed);
        b.deviations = vec![numeric.into(), "schema `error`: at /status: 404".into()];
        let results = [a, b];
        let report = RunReport::new(&facts, &results);
        assert_eq!(report.tolerated()[numeric], ["users::a", "users::b"]);
        let text = Console.render(&report);
        assert!(text.contains("profile compat"), "{text}");
        assert!(
            text.contains(&format!(
                "tolerated by --profile compat (would fail under strict): {numeric}; in 2 case(s):\n    users::a, users::b\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("schema `error`: at /status: 404; in 1 case(s):"),
            "{text}"
        );
    }

    #[test]
    fn a_finding_lists_every_symptom_it_groups() {
        let facts = sample_facts();
        let wrong = |pointer: &str, expected: &str| crate::check::Mismatch {
            subject: format!("`{pointer}`"),
            expected: expected.into(),
            actual: "absent".into(),
            pointer: pointer.into(),
            ..crate::check::Mismatch::default()
        };
        // Two expectations broken by the same responses: one defect seen two ways.
        let mut failed = crate::report::sample_status_failure("text");
        if let Some(step) = &mut failed.failure {
            step.mismatches = vec![wrong("/title", "\"After\""), wrong("/nickName", "present")];
        }
        let results = [failed];
        let text = Console.render(&RunReport::new(&facts, &results));
        for expected in [
            "`/title`: expected \"After\", got absent (and 1 other symptom)",
            "     also seen as:\n       - `/nickName`: expected present, got absent\n",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn long_lists_wrap() {
        let ids: Vec<String> = (0..40).map(|i| format!("area::case-{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut out = String::new();
        wrap(&mut out, &ids, "  ");
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.len() <= WIDTH), "{out}");
        assert_eq!(out.matches("area::case-").count(), 40);
    }
}
