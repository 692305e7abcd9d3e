//! JUnit XML, the format GitLab, Jenkins and GitHub test reporters read: one `testsuite` per
//! area, one `testcase` per case (classname = area), failures with the full explanation, skips
//! with their reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{CaseOutcome, CaseResult, RunReport, Status, Writer};

/// `hostname` is the machine the run was made from.
pub struct Junit {
    pub hostname: String,
}

impl Writer for Junit {
    fn render(&self, report: &RunReport<'_>) -> String {
        let results = report.results;
        // The Ant schema wants the start as `YYYY-MM-DDTHH:MM:SS` (UTC, no zone).
        let timestamp = report.facts.started.get(..19).unwrap_or_default();
        let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for result in results {
            areas.entry(&result.area).or_default().push(result);
        }
        let count = |rs: &[&CaseResult], want: fn(&CaseResult) -> bool| {
            rs.iter().filter(|r| want(r)).count()
        };
        let failed = |r: &CaseResult| r.status() == Status::Failed;
        // A case with no verdict (the target did not answer, a step error, scimcheck failing) is
        // an error of the run, not a failed check.
        let errored = |r: &CaseResult| matches!(r.status(), Status::Errored | Status::HarnessError);
        let skipped = |r: &CaseResult| matches!(r.status(), Status::Skipped | Status::Interrupted);
        let all: Vec<&CaseResult> = results.iter().collect();
        // The shape of the Apache Ant JUnit schema, which GitLab, Jenkins and GitHub reporters
        // read, with the totals on the root as they also expect.
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scimcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n",
            all.len(),
            count(&all, failed),
            count(&all, errored),
            count(&all, skipped),
            report.facts.wall.as_secs_f64(),
        );
        let properties = properties(report);
        for (id, (area, cases)) in areas.iter().enumerate() {
            let time: Duration = cases.iter().map(|r| r.duration).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{area}\" package=\"scimcheck\" id=\"{id}\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n{properties}",
                escape(timestamp),
                escape(&self.hostname),
                cases.len(),
                count(cases, failed),
                count(cases, errored),
                count(cases, skipped),
                time.as_secs_f64(),
                area = escape(area),
            );
            for case in cases {
                let _ = write!(
                    out,
                    "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
                    escape(&case.id),
                    escape(area),
                    escape(&case.file),
                    case.duration.as_secs_f64()
                );
                let (element, message, text) = match &case.outcome {
                    CaseOutcome::Passed => {
                        out.push_str("/>\n");
                        continue;
                    }
                    CaseOutcome::Skipped(reason) => ("skipped", reason.clone(), None),
                    CaseOutcome::Interrupted => {
                        ("skipped", "interrupted before it finished".to_owned(), None)
                    }
                    CaseOutcome::HarnessError(panic) => {
                        ("error", format!("scimcheck panicked: {panic}"), None)
                    }
                    CaseOutcome::Failed(full) => {
                        let element = if errored(case) { "error" } else { "failure" };
                        (element, headline(case, full), Some(full))
                    }
                };
                match text {
                    Some(text) => {
                        let _ = write!(
                            out,
                            ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>\n",
                            escape(&message),
                            escape(case.grade().name()),
                            escape(text)
                        );
                    }
                    None => {
                        let _ = write!(
                            out,
                            ">\n      <{element} message=\"{}\"/>\n    </testcase>\n",
                            escape(&message)
                        );
                    }
                }
            }
            out.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// What the run was (the Ant schema has properties only on a testsuite, so each carries them).
fn properties(report: &RunReport<'_>) -> String {
    let facts = report.facts;
    let mut pairs = vec![
        ("target", facts.target.clone()),
        ("capabilities", facts.capability_matrix.clone()),
        ("selection", facts.selection.describe()),
        ("profile", facts.profile_name().to_owned()),
        ("fail-on", facts.fail_on.name().to_owned()),
        ("verdict", report.verdict.headline.clone()),
        ("exit-code", report.verdict.exit_code.to_string()),
        ("findings", report.findings.len().to_string()),
        ("requests", report.requests().to_string()),
        ("throttled", facts.throttled.to_string()),
        ("created", facts.created.to_string()),
        ("wall-seconds", format!("{:.3}", facts.wall.as_secs_f64())),
    ];
    pairs.extend(report.verdict.reasons.iter().map(|r| ("reason", r.clone())));
    pairs.extend(
        facts
            .acknowledged
            .iter()
            .map(|d| ("acknowledged-deviation", d.to_string())),
    );
    pairs.extend(
        report
            .tolerated()
            .into_iter()
            .map(|(deviation, ids)| ("tolerated", format!("{deviation} — in {}", ids.join(", ")))),
    );
    pairs.extend(
        super::drift::lines(report.results)
            .into_iter()
            .map(|(case, line)| ("drift", format!("{case} {line}"))),
    );
    let mut out = String::from("    <properties>\n");
    for (name, value) in pairs {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    out.push_str("    </properties>");
    out
}

/// The failure itself: the first mismatch, or the step's error, else the message's first line.
fn headline(case: &CaseResult, full: &str) -> String {
    let failure = case.failure.as_ref();
    failure
        .and_then(|f| f.mismatches.first().map(ToString::to_string))
        .or_else(|| failure.and_then(|f| f.error.as_ref().map(|e| e.message.clone())))
        .unwrap_or_else(|| full.lines().next().unwrap_or_default().to_owned())
}

/// XML 1.0 text and attribute escaping; control characters XML cannot carry are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::sample_result;

    fn result(id: &str, outcome: CaseOutcome) -> CaseResult {
        sample_result(id, Level::Must, outcome)
    }

    #[test]
    fn renders_totals_suites_per_area_and_the_mismatch_as_the_message_escaped() {
        let mut failed = result(
            "users::delete",
            CaseOutcome::Failed("step 3 <GET> & \"x\"\nmore".into()),
        );
        failed.failure = Some(crate::exec::run::StepFailure {
            step: 2,
            step_name: "GET".into(),
            location: "cases/users/delete.yaml:20:5".into(),
            exchange: None,
            mismatches: vec![crate::check::Mismatch {
                subject: "status".into(),
                expected: "404".into(),
                actual: "<200>".into(),
                ..Default::default()
            }],
            error: None,
        });
        let results = [
            result("users::create", CaseOutcome::Passed),
            failed,
            result("groups::add", CaseOutcome::Skipped("no groups".into())),
            result("groups::x", CaseOutcome::HarnessError("boom".into())),
        ];
        let facts = crate::report::sample_facts();
        let xml = Junit {
            hostname: "ci-runner".into(),
        }
        .render(&RunReport::new(&facts, &results));
        assert!(
            xml.contains("<testsuites name=\"scimcheck\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testsuite name=\"users\" package=\"scimcheck\" id=\"1\" timestamp=\"2026-11-23T12:00:00\" hostname=\"ci-runner\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );
        assert!(xml.contains(
            "<testcase name=\"users::delete\" classname=\"users\" file=\"cases/users/delete.yaml\""
        ), "{xml}");
        assert!(xml.contains(
            "<failure message=\"status: expected 404, got &lt;200&gt;\" type=\"MUST broken\">step 3 &lt;GET&gt; &amp; &quot;x&quot;"
        ), "{xml}");
        assert!(xml.contains("<skipped message=\"no groups\"/>"));
        assert!(xml.contains("<property name=\"selection\" value=\"9 of 10 cases selected; names containing `users::`; 1 not selected\"/>"), "{xml}");
        assert!(xml.contains("<property name=\"fail-on\" value=\"any\"/>"));
        assert!(xml.contains("<property name=\"exit-code\" value=\"1\"/>"));
        assert!(
            xml.contains("<error message=\"scimcheck panicked: boom\"/>"),
            "{xml}"
        );
        assert_eq!(escape("a\u{1}b"), "ab");
    }
}
