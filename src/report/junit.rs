//! JUnit XML, the format GitLab, Jenkins and GitHub test reporters read: one `testsuite` per
//! area, one `testcase` per case (classname = area), failures with the full explanation, skips
//! with their reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{CaseOutcome, CaseResult};

/// `timestamp` is the run's start as `YYYY-MM-DDTHH:MM:SS` (UTC, no zone, as the Ant schema
/// wants); `hostname` is the machine the run was made from.
pub fn render(results: &[CaseResult], timestamp: &str, hostname: &str) -> String {
    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for result in results {
        areas.entry(&result.area).or_default().push(result);
    }
    let count =
        |rs: &[&CaseResult], want: fn(&CaseResult) -> bool| rs.iter().filter(|r| want(r)).count();
    let failed = |r: &CaseResult| matches!(r.outcome, CaseOutcome::Failed(_)) && !r.unanswered;
    let errored = |r: &CaseResult| r.unanswered;
    let skipped = |r: &CaseResult| matches!(r.outcome, CaseOutcome::Skipped(_));
    // The shape of the Apache Ant JUnit schema, which GitLab, Jenkins and GitHub reporters read.
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (id, (area, cases)) in areas.iter().enumerate() {
        let time: Duration = cases.iter().map(|r| r.duration).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{area}\" package=\"scimcheck\" id=\"{id}\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n    <properties/>",
            escape(timestamp),
            escape(hostname),
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
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&case.id),
                escape(area),
                case.duration.as_secs_f64()
            );
            match &case.outcome {
                CaseOutcome::Passed => out.push_str("/>\n"),
                CaseOutcome::Failed(message) => {
                    // A target that did not answer is an error of the run, not a failed check.
                    let element = if case.unanswered { "error" } else { "failure" };
                    let first = message.lines().next().unwrap_or_default();
                    let _ = write!(
                        out,
                        ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>\n",
                        escape(first),
                        escape(case.grade().name()),
                        escape(message)
                    );
                }
                CaseOutcome::Skipped(reason) => {
                    let _ = write!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        escape(reason)
                    );
                }
            }
        }
        out.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
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
    fn renders_suites_per_area_with_failures_and_skips_escaped() {
        let xml = render(
            &[
                result("users::create", CaseOutcome::Passed),
                result(
                    "users::delete",
                    CaseOutcome::Failed("step 3 <GET> & \"x\"\nmore".into()),
                ),
                result("groups::add", CaseOutcome::Skipped("no groups".into())),
            ],
            "2026-11-23T12:00:00",
            "ci-runner",
        );
        assert!(
            xml.contains("<testsuite name=\"users\" package=\"scimcheck\" id=\"1\" timestamp=\"2026-11-23T12:00:00\" hostname=\"ci-runner\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"users::delete\" classname=\"users\""));
        assert!(xml.contains(
            "<failure message=\"step 3 &lt;GET&gt; &amp; &quot;x&quot;\" type=\"MUST broken\">"
        ));
        assert!(xml.contains("<skipped message=\"no groups\"/>"));
        assert_eq!(escape("a\u{1}b"), "ab");
    }
}
