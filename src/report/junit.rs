//! JUnit XML, the format GitLab, Jenkins and GitHub test reporters read: one `testsuite` per
//! area, one `testcase` per case (classname = area), failures with the full explanation, skips
//! with their reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{CaseOutcome, CaseResult};

pub fn render(results: &[CaseResult], wall: Duration) -> String {
    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for result in results {
        areas.entry(&result.area).or_default().push(result);
    }
    let count = |rs: &[&CaseResult], want: fn(&CaseOutcome) -> bool| {
        rs.iter().filter(|r| want(&r.outcome)).count()
    };
    let failed = |o: &CaseOutcome| matches!(o, CaseOutcome::Failed(_));
    let skipped = |o: &CaseOutcome| matches!(o, CaseOutcome::Skipped(_));
    let all: Vec<&CaseResult> = results.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scimcheck\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
        all.len(),
        count(&all, failed),
        count(&all, skipped),
        wall.as_secs_f64()
    );
    for (area, cases) in &areas {
        let time: Duration = cases.iter().map(|r| r.duration).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
            escape(area),
            cases.len(),
            count(cases, failed),
            count(cases, skipped),
            time.as_secs_f64()
        );
        for case in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"{:.3}\"",
                escape(area),
                escape(&case.id),
                escape(&case.file),
                case.duration.as_secs_f64()
            );
            match &case.outcome {
                CaseOutcome::Passed => out.push_str("/>\n"),
                CaseOutcome::Failed(message) => {
                    let first = message.lines().next().unwrap_or_default();
                    let _ = write!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        escape(first),
                        case.level,
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
        out.push_str("  </testsuite>\n");
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

    fn result(id: &str, outcome: CaseOutcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            file: format!("cases/{id}.yaml"),
            area: id.split("::").next().unwrap_or(id).into(),
            level: Level::Must,
            rfc: vec!["RFC 7644 §3.6".into()],
            tags: vec![],
            name: "n".into(),
            outcome,
            requests: 1,
            chain: 1,
            duration: Duration::from_millis(5),
            cleanup_problems: vec![],
        }
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
            Duration::from_millis(20),
        );
        assert!(xml.contains(
            "<testsuites name=\"scimcheck\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""
        ));
        assert!(xml.contains("<testsuite name=\"users\" tests=\"2\" failures=\"1\""));
        assert!(xml.contains("classname=\"users\" name=\"users::delete\""));
        assert!(xml.contains(
            "<failure message=\"step 3 &lt;GET&gt; &amp; &quot;x&quot;\" type=\"MUST\">"
        ));
        assert!(xml.contains("<skipped message=\"no groups\"/>"));
        assert_eq!(escape("a\u{1}b"), "ab");
    }
}
