//! The conformance report a vendor can hand to a customer, as self-contained HTML (no external
//! assets, no script) or Markdown. It opens with the verdict and why, then the findings by
//! severity (each with its clause linked to the RFC text, one representative exchange and the
//! cases it showed in), the run's facts (selection, profile and tolerated deviations,
//! threshold, wall time, requests, throttling), a bar and a matrix per area, and every case.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::findings::Finding;
use super::{CaseOutcome, CaseResult, RunReport, Status, Writer, cut};
use crate::case::Level;
use crate::check::{Mismatch, sections};
use crate::redact::Redactor;

#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u32,
    failed: u32,
    skipped: u32,
    /// Errored, a harness error or interrupted: no verdict either way.
    other: u32,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::Errored | Status::HarnessError | Status::Interrupted => self.other += 1,
        }
    }

    fn total(self) -> u32 {
        self.passed + self.failed + self.skipped + self.other
    }
}

const LEVELS: [Level; 4] = [Level::Must, Level::Should, Level::May, Level::Idp];

fn matrix(results: &[CaseResult]) -> BTreeMap<&str, [Counts; 4]> {
    let mut out: BTreeMap<&str, [Counts; 4]> = BTreeMap::new();
    for result in results {
        let row = out.entry(&result.area).or_default();
        let column = LEVELS.iter().position(|l| *l == result.level).unwrap_or(0);
        row[column].add(result.status());
    }
    out
}

/// The run's facts, as label and text, in the order both documents show them.
fn facts(report: &RunReport<'_>) -> Vec<(&'static str, String)> {
    let facts = report.facts;
    let mut out = vec![
        ("Target", facts.target.clone()),
        ("Date", facts.started.clone()),
        ("Tool", format!("scimcheck {}", env!("CARGO_PKG_VERSION"))),
        (
            "Capabilities advertised",
            if facts.capabilities.is_empty() {
                "none".to_owned()
            } else {
                facts.capabilities.join(", ")
            },
        ),
        ("Capability matrix", facts.capability_matrix.clone()),
        ("Selection", facts.selection.describe()),
        ("Profile", facts.profile_name().to_owned()),
        ("Fail on", format!("--fail-on {}", facts.fail_on.name())),
        ("Results", report.totals().sentence()),
        (
            "Load",
            format!(
                "{} requests in {:.2}s; the target throttled the run {} time(s)",
                report.requests(),
                facts.wall.as_secs_f64(),
                facts.throttled
            ),
        ),
        (
            "Created",
            match facts.max_creates {
                Some(max) => format!(
                    "{} resource(s), at most {max} (--max-creates)",
                    facts.created
                ),
                None => format!("{} resource(s)", facts.created),
            },
        ),
    ];
    if !facts.selection.not_selected.is_empty() {
        out.push(("Not selected", facts.selection.not_selected.join(", ")));
    }
    for (reason, ids) in report.skips() {
        out.push(("Skipped", format!("{reason}: {}", ids.join(", "))));
    }
    for deviation in &facts.acknowledged {
        out.push(("Acknowledged deviation", deviation.to_string()));
    }
    for (deviation, ids) in report.tolerated() {
        out.push((
            "Tolerated by compat",
            format!("{deviation} — in {}", ids.join(", ")),
        ));
    }
    for warning in &facts.warnings {
        out.push(("Warning", warning.clone()));
    }
    for result in report.results {
        for problem in &result.cleanup_problems {
            out.push(("Cleanup problem", format!("{}: {problem}", result.id)));
        }
        for problem in &result.snapshots.errors {
            out.push(("Snapshot problem", format!("{}: {problem}", result.id)));
        }
    }
    if let Some((same, new, drifted)) = super::drift::tally(report.results) {
        out.push((
            "Snapshots",
            format!("{same} unchanged, {new} new, {drifted} drifted"),
        ));
    }
    for (case, line) in super::drift::lines(report.results) {
        out.push(("Snapshot drift", format!("{case} {line}")));
    }
    out
}

/// The representative exchange of a finding, bodies pretty-printed (JSON) and cut where long.
fn exchange_text(finding: &Finding<'_>, redactor: &Redactor) -> Option<String> {
    let exchange = finding.example().step.exchange.as_ref()?;
    let pretty = |json: Option<serde_json::Value>, raw: &str| match json {
        Some(json) => serde_json::to_string_pretty(&json).unwrap_or_else(|_| raw.to_owned()),
        None => raw.trim().to_owned(),
    };
    let request = &exchange.request;
    let mut out = format!("{request}\n");
    if let Some(body) = &request.body {
        let json = serde_json::from_str(body).ok();
        let _ = writeln!(out, "{}", cut(&pretty(json, body), redactor));
    }
    let response = &exchange.response;
    let reason = reqwest::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n→ {} {reason} ({} ms)",
        response.status,
        response.elapsed.as_millis()
    );
    for (name, value) in &response.headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    if !response.body.trim().is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            cut(&pretty(response.json.clone(), &response.body), redactor)
        );
    }
    Some(out)
}

/// The line of `text` (already escaped) that holds what `mismatch` is about — the header, or
/// the last attribute of its JSON pointer — marked; `text` as it is when no line does.
fn mark(text: &str, mismatch: &Mismatch) -> String {
    let pointer = mismatch.pointer.as_str();
    let needles = match pointer.rsplit('/').next() {
        Some(last) if pointer.starts_with('/') && !last.is_empty() => {
            vec![format!("&quot;{}&quot;:", escape(last))]
        }
        _ if !pointer.is_empty() => vec![format!("{}:", escape(&pointer.to_lowercase()))],
        _ => Vec::new(),
    };
    let found = needles.iter().find_map(|needle| {
        text.lines().position(|line| {
            line.trim_start()
                .to_lowercase()
                .starts_with(&needle.to_lowercase())
        })
    });
    let Some(found) = found else {
        return text.to_owned();
    };
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            if n == found {
                format!("<mark>{line}</mark>")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An anchor for a case, from its id.
fn anchor(id: &str) -> String {
    format!("case-{}", id.replace("::", "-"))
}

/// Each RFC section linked to its text at rfc-editor.org.
fn rfc_links(clause: &str) -> String {
    let links: Vec<String> = sections(clause)
        .map(|section| {
            let url = section
                .strip_prefix("RFC ")
                .and_then(|rest| rest.split_once(" §"))
                .map(|(number, part)| {
                    format!(
                        "https://www.rfc-editor.org/rfc/rfc{number}#section-{}",
                        part.split_whitespace().next().unwrap_or_default()
                    )
                });
            match url {
                Some(url) => format!("<a href=\"{}\">{}</a>", escape(&url), escape(&section)),
                None => escape(&section),
            }
        })
        .collect();
    if links.is_empty() {
        escape(clause)
    } else {
        links.join(", ")
    }
}

/// The HTML report.
pub struct Html;

impl Writer for Html {
    fn render(&self, report: &RunReport<'_>) -> String {
        let verdict = &report.verdict;
        // No verdict, nothing run or interrupted: neither a pass nor a failure of the target.
        let class = match verdict.exit_code {
            super::verdict::EXIT_PASSED => "pass",
            super::verdict::EXIT_FAILED => "fail",
            _ => "interrupted",
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>SCIM conformance report — {target}</title><style>{STYLE}</style></head><body>\n\
             <h1>SCIM 2.0 conformance report</h1>\n\
             <p id=\"verdict\" class=\"verdict {class}\">{headline}</p>\n<ul class=\"reasons\">",
            target = escape(&report.facts.target),
            headline = escape(&verdict.headline),
        );
        for reason in &verdict.reasons {
            let _ = write!(out, "<li>{}</li>", escape(reason));
        }
        let _ = writeln!(
            out,
            "</ul>\n<p>Exit code {}.</p>\n<dl class=\"meta\">",
            verdict.exit_code
        );
        for (label, text) in facts(report) {
            let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", escape(&text));
        }
        out.push_str("</dl>\n");

        let _ = writeln!(
            out,
            "<h2 id=\"findings\">Findings ({})</h2>",
            report.findings.len()
        );
        if report.findings.is_empty() {
            out.push_str("<p>None.</p>\n");
        }
        for (number, finding) in report.findings.iter().enumerate() {
            let example = finding.example();
            let invariant = if finding.invariant { " invariant" } else { "" };
            let _ = write!(
                out,
                "<section class=\"finding{invariant}\" id=\"finding-{n}\"><h3><span class=\"level\">{grade}</span><br>{statement}</h3>\
                 <p class=\"rfc\">Finding <code>{id}</code>. Breaks {clause}{note}</p><p>Seen in {count} case(s): ",
                n = number + 1,
                id = escape(&finding.id),
                grade = finding.grade.name(),
                statement = escape(&finding.statement()),
                clause = rfc_links(&finding.clause),
                note = if finding.invariant {
                    " — checked on the way; no case failed for it"
                } else {
                    ""
                },
                count = finding.cases().len(),
            );
            let links: Vec<String> = finding
                .cases()
                .iter()
                .map(|id| {
                    format!(
                        "<a href=\"#{}\"><code>{}</code></a>",
                        anchor(id),
                        escape(id)
                    )
                })
                .collect();
            out.push_str(&links.join(", "));
            out.push_str("</p>");
            let symptoms = finding.symptoms();
            if symptoms.len() > 1 {
                out.push_str("<p>Also seen as:</p><ul>");
                for symptom in &symptoms[1..] {
                    let _ = write!(out, "<li>{}</li>", escape(symptom));
                }
                out.push_str("</ul>");
            }
            let _ = write!(
                out,
                "<details><summary>Example: {} step {} ({}) of <code>{}</code></summary>",
                escape(&example.step.location),
                example.step.step + 1,
                escape(&example.step.step_name),
                escape(&example.case.id)
            );
            if let Some(text) = exchange_text(finding, &report.facts.redactor) {
                let _ = write!(out, "<pre>{}</pre>", mark(&escape(&text), example.mismatch));
            }
            out.push_str("</details></section>\n");
        }

        out.push_str(
            "<h2>Areas</h2>\n<table class=\"matrix\"><thead><tr><th>Area</th><th>Results</th>",
        );
        for level in LEVELS {
            let _ = write!(out, "<th>{level}</th>");
        }
        out.push_str("</tr></thead><tbody>\n");
        for (area, row) in matrix(report.results) {
            let mut sum = Counts::default();
            for counts in row {
                sum.passed += counts.passed;
                sum.failed += counts.failed;
                sum.skipped += counts.skipped;
                sum.other += counts.other;
            }
            let _ = write!(out, "<tr><th>{}</th><td>{}</td>", escape(area), bar(sum));
            for counts in row {
                let class = if counts.failed > 0 {
                    "fail"
                } else if counts.passed > 0 {
                    "pass"
                } else {
                    "none"
                };
                let _ = write!(out, "<td class=\"{class}\">{}</td>", cell(counts));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");

        out.push_str("<h2>All cases</h2>\n<table class=\"cases\"><thead><tr><th>Case</th><th>Level</th><th>RFC</th><th>Result</th></tr></thead><tbody>\n");
        for result in report.results {
            let class = match result.status() {
                Status::Passed => "pass",
                Status::Failed | Status::Errored | Status::HarnessError => "fail",
                Status::Skipped | Status::Interrupted => "skip",
            };
            let mut text = escape(result.status().name());
            match &result.outcome {
                CaseOutcome::Skipped(detail) | CaseOutcome::HarnessError(detail) => {
                    let _ = write!(text, ": {}", escape(detail));
                }
                CaseOutcome::Failed(message) => {
                    let _ = write!(
                        text,
                        "<details><summary>why</summary><pre>{}</pre></details>",
                        escape(message)
                    );
                }
                CaseOutcome::Passed | CaseOutcome::Interrupted => {}
            }
            let findings: Vec<String> = report
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.cases().contains(&result.id.as_str()))
                .map(|(n, _)| format!("<a href=\"#finding-{0}\">finding {0}</a>", n + 1))
                .collect();
            if !findings.is_empty() {
                let _ = write!(text, "<br>{}", findings.join(", "));
            }
            let _ = writeln!(
                out,
                "<tr id=\"{}\"><td><code>{}</code><br>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{text}</td></tr>",
                anchor(&result.id),
                escape(&result.id),
                escape(&result.name),
                result.level,
                rfc_links(&result.rfc.join(", ")),
            );
        }
        out.push_str("</tbody></table>\n</body></html>\n");
        out
    }
}

/// The Markdown report.
pub struct Markdown;

impl Writer for Markdown {
    fn render(&self, report: &RunReport<'_>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# SCIM 2.0 conformance report\n");
        let _ = writeln!(
            out,
            "**{}** (exit code {})\n",
            report.verdict.headline, report.verdict.exit_code
        );
        for reason in &report.verdict.reasons {
            let _ = writeln!(out, "- {reason}");
        }
        out.push('\n');
        for (label, text) in facts(report) {
            let _ = writeln!(out, "- {label}: {text}");
        }
        let _ = writeln!(out, "\n## Findings ({})\n", report.findings.len());
        if report.findings.is_empty() {
            out.push_str("None.\n");
        }
        for (number, finding) in report.findings.iter().enumerate() {
            let example = finding.example();
            let _ = writeln!(
                out,
                "### {}. {} — {}\n\nFinding `{}`. Breaks {}{}. Seen in {} case(s): {}.\n\nExample: {} step {} ({}) of `{}`\n",
                number + 1,
                finding.grade.name(),
                // What a target sent is text here, never Markdown's raw HTML.
                escape(&finding.statement()),
                finding.id,
                finding.clause,
                if finding.invariant {
                    " (checked on the way; no case failed for it)"
                } else {
                    ""
                },
                finding.cases().len(),
                finding
                    .cases()
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                example.step.location,
                example.step.step + 1,
                escape(&example.step.step_name),
                example.case.id
            );
            let symptoms = finding.symptoms();
            if symptoms.len() > 1 {
                out.push_str("Also seen as:\n\n");
                for symptom in &symptoms[1..] {
                    let _ = writeln!(out, "- {}", escape(symptom));
                }
                out.push('\n');
            }
            if let Some(text) = exchange_text(finding, &report.facts.redactor) {
                // A fence longer than any run of backticks in the text, which cannot close it.
                let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                let _ = writeln!(out, "{fence}text\n{}\n{fence}\n", text.trim_end());
            }
        }
        out.push_str(
            "\n## Areas × requirement levels\n\n| Area | MUST | SHOULD | MAY | IDP |\n|---|---|---|---|---|\n",
        );
        for (area, row) in matrix(report.results) {
            let cells: Vec<String> = row.iter().map(|c| cell(*c)).collect();
            let _ = writeln!(out, "| {area} | {} |", cells.join(" | "));
        }
        out.push_str("\n## All cases\n\n| Case | Level | Result |\n|---|---|---|\n");
        for result in report.results {
            let detail = match &result.outcome {
                CaseOutcome::Skipped(detail) | CaseOutcome::HarnessError(detail) => {
                    format!(": {}", escape(detail))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {}{} |",
                result.id,
                result.level,
                result.status().name(),
                detail.replace('|', "\\|")
            );
        }
        out
    }
}

/// The share of each outcome as a bar (widths in percent).
fn bar(counts: Counts) -> String {
    let total = counts.total().max(1);
    let part = |n: u32, class: &str| {
        if n == 0 {
            String::new()
        } else {
            format!(
                "<span class=\"{class}\" style=\"width:{:.1}%\" title=\"{n} {class}\"></span>",
                f64::from(n) * 100.0 / f64::from(total)
            )
        }
    };
    format!(
        "<div class=\"bar\">{}{}{}{}</div>",
        part(counts.passed, "pass"),
        part(counts.failed, "fail"),
        part(counts.skipped, "skip"),
        part(counts.other, "other")
    )
}

fn cell(counts: Counts) -> String {
    if counts.total() == 0 {
        return "—".to_owned();
    }
    let mut parts = Vec::new();
    if counts.passed > 0 {
        parts.push(format!("{} ✓", counts.passed));
    }
    if counts.failed > 0 {
        parts.push(format!("{} ✗", counts.failed));
    }
    if counts.skipped > 0 {
        parts.push(format!("{} skipped", counts.skipped));
    }
    if counts.other > 0 {
        parts.push(format!("{} without verdict", counts.other));
    }
    parts.join(" · ")
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2430}\
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d8dde6}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}\
.totals span{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;margin-right:.4rem;font-weight:600}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d8dde6;padding:.35rem .6rem;text-align:left;vertical-align:top}\
thead th{background:#f2f4f8}.pass{background:#e3f6e8;color:#17602c}.fail{background:#fde6e6;color:#8c1c1c}\
.skip{background:#fff5db;color:#6b5200}.none{color:#8a94a6}\
section.failure{border:1px solid #f0b8b8;border-radius:.4rem;padding:.2rem 1rem;margin:1rem 0}\
.level{background:#8c1c1c;color:#fff;border-radius:.25rem;padding:0 .4rem;font-size:.8rem}\
pre{white-space:pre-wrap;word-break:break-word;background:#f7f8fa;padding:.6rem;border-radius:.3rem;font-size:.85rem}\
.rfc{color:#4a5568}\
.verdict{font-size:1.3rem;font-weight:700;padding:.6rem 1rem;border-radius:.4rem}.verdict.pass{border:1px solid #9bd3a8}.verdict.fail{border:1px solid #f0b8b8}\
.verdict.interrupted{background:#fff5db;color:#6b5200}\
.bar{display:flex;height:.9rem;min-width:12rem;border-radius:.2rem;overflow:hidden}.bar span{display:block}\
.bar .pass{background:#3a9d55}.bar .fail{background:#c53030}.bar .skip{background:#d6a600}.bar .other{background:#8a94a6}\
section.finding{border:1px solid #f0b8b8;border-radius:.4rem;padding:.2rem 1rem;margin:1rem 0}\
section.finding.invariant{border-style:dashed}mark{background:#ffe08a}summary{cursor:pointer;color:#2b4c7e}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{sample_facts, sample_result, sample_status_failure};

    fn results() -> Vec<CaseResult> {
        let failed = sample_status_failure("expected 404, got 200 <html>");
        vec![
            sample_result("users::create", Level::Must, CaseOutcome::Passed),
            failed,
            sample_result(
                "paging::cursor",
                Level::Should,
                CaseOutcome::Skipped("no cursor".into()),
            ),
            sample_result(
                "paging::x",
                Level::May,
                CaseOutcome::HarnessError("boom".into()),
            ),
        ]
    }

    #[test]
    fn the_html_report_leads_with_the_verdict_and_findings_and_states_the_run() {
        let facts = sample_facts();
        let results = results();
        let html = Html.render(&RunReport::new(&facts, &results));
        let verdict = html.find("id=\"verdict\"").expect("a verdict");
        let findings = html.find("id=\"findings\"").expect("findings");
        let matrix = html.find("<h2>Areas</h2>").expect("areas");
        assert!(
            verdict < findings && findings < matrix,
            "verdict, findings, then areas"
        );
        for expected in [
            "<details><summary>Example: cases/users/delete.yaml:20:5 step 3 (GET after DELETE) of <code>users::delete</code></summary>",
            "FAILED: 1 finding(s) at or above --fail-on any",
            "<dt>Selection</dt><dd>9 of 10 cases selected; names containing `users::`; 1 not selected</dd>",
            "<dt>Not selected</dt><dd>groups::create</dd>",
            "<dt>Profile</dt><dd>strict</dd>",
            "<dt>Fail on</dt><dd>--fail-on any</dd>",
            "the target throttled the run 2 time(s)",
            "<dt>Skipped</dt><dd>no cursor: paging::cursor</dd>",
            "harness error: boom",
            "<td class=\"fail\">1 ✓ · 1 ✗</td>",
            "<a href=\"https://www.rfc-editor.org/rfc/rfc7644#section-3.6\">RFC 7644 §3.6</a>",
            "<a href=\"#case-users-delete\"><code>users::delete</code></a>",
            "<tr id=\"case-users-delete\">",
            "<a href=\"#finding-1\">finding 1</a>",
            "expected 404, got 200 &lt;html&gt;",
        ] {
            assert!(html.contains(expected), "{expected:?} missing from\n{html}");
        }
        assert!(
            !html.contains("<link") && !html.contains("<script"),
            "self-contained"
        );
    }

    #[test]
    fn the_markdown_report_says_the_same() {
        let facts = sample_facts();
        let results = results();
        let md = Markdown.render(&RunReport::new(&facts, &results));
        for expected in [
            "**FAILED: 1 finding(s) at or above --fail-on any",
            "- Selection: 9 of 10 cases selected",
            "- Profile: strict",
            "### 1. MUST broken — status: expected 404, got 200",
            "| users | 1 ✓ · 1 ✗ | — | — |",
            "| paging | — | 1 skipped | 1 without verdict |",
            "| `paging::x` | MAY | harness error: boom |",
        ] {
            assert!(md.contains(expected), "{expected:?} missing from\n{md}");
        }
    }

    #[test]
    fn what_a_target_sent_stays_text_in_the_markdown_report() {
        use crate::exec::client::{Exchange, Response, SentRequest};
        let facts = sample_facts();
        let mut results = results();
        let failure = results[1].failure.as_mut().expect("a failure");
        failure.mismatches[0].actual = "200 <img src=x onerror=alert(1)>".into();
        failure.exchange = Some(Exchange {
            request: SentRequest {
                method: crate::case::model::Method::Get,
                url: "https://example.com/scim/v2/Users/1".into(),
                auth: crate::case::Auth::Scim,
                headers: Vec::new(),
                body: None,
            },
            response: Response {
                status: 200,
                headers: Vec::new(),
                body: "````\n# Injected heading\n[click](https://evil.example)\n````".into(),
                json: None,
                elapsed: std::time::Duration::ZERO,
            },
        });
        let md = Markdown.render(&RunReport::new(&facts, &results));
        assert!(md.contains("got 200 &lt;img src=x"), "{md}");
        assert!(!md.contains("<img"), "{md}");
        // The body's own four backticks sit inside a fence of five.
        let fence = md.find("`````text\n").expect("a longer fence");
        let body = md.find("# Injected heading").expect("the body");
        let close = md[body..].find("\n`````\n").map(|at| body + at);
        assert!(fence < body && close.is_some(), "{md}");
    }

    #[test]
    fn rfc_sections_link_to_the_rfc_text_and_the_offending_value_is_marked() {
        assert_eq!(
            rfc_links("RFC 7643 §2.3.5, §3.1"),
            "<a href=\"https://www.rfc-editor.org/rfc/rfc7643#section-2.3.5\">RFC 7643 §2.3.5</a>, \
             <a href=\"https://www.rfc-editor.org/rfc/rfc7643#section-3.1\">RFC 7643 §3.1</a>"
        );
        assert_eq!(rfc_links("vendor docs"), "vendor docs");
        let at = |pointer: &str| Mismatch {
            pointer: pointer.into(),
            ..Mismatch::default()
        };
        let shown = "GET /Users/1\nwww-authenticate: Bearer\n{\n  &quot;status&quot;: 404,\n  &quot;detail&quot;: &quot;x&quot;\n}";
        assert!(
            mark(shown, &at("/status")).contains("\n<mark>  &quot;status&quot;: 404,</mark>\n")
        );
        assert!(
            mark(shown, &at("WWW-Authenticate")).contains("<mark>www-authenticate: Bearer</mark>")
        );
        assert_eq!(mark(shown, &at("/scimType")), shown);
        assert_eq!(mark(shown, &at("")), shown);
    }
}
