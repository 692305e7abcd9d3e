//! The conformance report a vendor can hand to a customer, as self-contained HTML (no external
//! assets) or Markdown: target, date, capabilities, a matrix of areas × requirement levels, and
//! every failure with the request, the response excerpt and the RFC sections it breaks.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CaseOutcome, CaseResult};
use crate::case::Level;

/// What the report says about the run besides the results.
pub struct ReportMeta<'a> {
    pub target: &'a str,
    /// RFC 3339 date and time of the run.
    pub date: &'a str,
    pub capabilities: &'a [&'a str],
}

#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u32,
    failed: u32,
    skipped: u32,
}

impl Counts {
    fn add(&mut self, outcome: &CaseOutcome) {
        match outcome {
            CaseOutcome::Passed => self.passed += 1,
            CaseOutcome::Failed(_) => self.failed += 1,
            CaseOutcome::Skipped(_) => self.skipped += 1,
        }
    }
}

const LEVELS: [Level; 4] = [Level::Must, Level::Should, Level::May, Level::Idp];

fn matrix(results: &[CaseResult]) -> BTreeMap<&str, [Counts; 4]> {
    let mut out: BTreeMap<&str, [Counts; 4]> = BTreeMap::new();
    for result in results {
        let row = out.entry(&result.area).or_default();
        let column = LEVELS.iter().position(|l| *l == result.level).unwrap_or(0);
        row[column].add(&result.outcome);
    }
    out
}

fn totals(results: &[CaseResult]) -> Counts {
    let mut counts = Counts::default();
    results.iter().for_each(|r| counts.add(&r.outcome));
    counts
}

pub fn html(results: &[CaseResult], meta: &ReportMeta<'_>) -> String {
    let total = totals(results);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>SCIM conformance report — {target}</title><style>{STYLE}</style></head><body>\n\
         <h1>SCIM 2.0 conformance report</h1>\n\
         <dl class=\"meta\"><dt>Target</dt><dd><code>{target}</code></dd>\
         <dt>Date</dt><dd>{date}</dd><dt>Tool</dt><dd>scimcheck {version}</dd>\
         <dt>Capabilities advertised</dt><dd>{capabilities}</dd></dl>\n\
         <p class=\"totals\"><span class=\"pass\">{passed} passed</span> \
         <span class=\"fail\">{failed} failed</span> <span class=\"skip\">{skipped} skipped</span></p>\n",
        target = escape(meta.target),
        date = escape(meta.date),
        version = env!("CARGO_PKG_VERSION"),
        capabilities = if meta.capabilities.is_empty() {
            "none".to_owned()
        } else {
            escape(&meta.capabilities.join(", "))
        },
        passed = total.passed,
        failed = total.failed,
        skipped = total.skipped,
    );
    out.push_str(
        "<h2>Areas × requirement levels</h2>\n<table class=\"matrix\"><thead><tr><th>Area</th>",
    );
    for level in LEVELS {
        let _ = write!(out, "<th>{level}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for (area, row) in matrix(results) {
        let _ = write!(out, "<tr><th>{}</th>", escape(area));
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

    let failures: Vec<&CaseResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, CaseOutcome::Failed(_)))
        .collect();
    let _ = writeln!(out, "<h2>Failures ({})</h2>", failures.len());
    if failures.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for result in failures {
        if let CaseOutcome::Failed(message) = &result.outcome {
            let _ = writeln!(
                out,
                "<section class=\"failure\"><h3><span class=\"level\">{level}</span> {id} — {name}</h3>\
                 <p class=\"rfc\">Breaks {rfc}</p><pre>{message}</pre></section>",
                level = result.level,
                id = escape(&result.id),
                name = escape(&result.name),
                rfc = escape(&result.rfc.join("; ")),
                message = escape(message),
            );
        }
    }
    out.push_str("<h2>All cases</h2>\n<table class=\"cases\"><thead><tr><th>Case</th><th>Level</th><th>RFC</th><th>Result</th></tr></thead><tbody>\n");
    for result in results {
        let (class, text) = match &result.outcome {
            CaseOutcome::Passed => ("pass", "passed".to_owned()),
            CaseOutcome::Failed(_) => ("fail", "failed".to_owned()),
            CaseOutcome::Skipped(reason) => ("skip", format!("skipped: {reason}")),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code><br>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            escape(&result.id),
            escape(&result.name),
            result.level,
            escape(&result.rfc.join("; ")),
            escape(&text)
        );
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

pub fn markdown(results: &[CaseResult], meta: &ReportMeta<'_>) -> String {
    let total = totals(results);
    let mut out = String::new();
    let _ = writeln!(out, "# SCIM 2.0 conformance report\n");
    let _ = writeln!(out, "- Target: `{}`", meta.target);
    let _ = writeln!(out, "- Date: {}", meta.date);
    let _ = writeln!(out, "- Tool: scimcheck {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        out,
        "- Capabilities advertised: {}",
        meta.capabilities.join(", ")
    );
    let _ = writeln!(
        out,
        "- Results: {} passed, {} failed, {} skipped\n",
        total.passed, total.failed, total.skipped
    );
    out.push_str(
        "## Areas × requirement levels\n\n| Area | MUST | SHOULD | MAY | IDP |\n|---|---|---|---|---|\n",
    );
    for (area, row) in matrix(results) {
        let cells: Vec<String> = row.iter().map(|c| cell(*c)).collect();
        let _ = writeln!(out, "| {area} | {} |", cells.join(" | "));
    }
    out.push_str("\n## Failures\n\n");
    let mut any = false;
    for result in results {
        if let CaseOutcome::Failed(message) = &result.outcome {
            any = true;
            let _ = writeln!(
                out,
                "### {} `{}` — {}\n\nBreaks {}\n\n```text\n{message}\n```\n",
                result.level,
                result.id,
                result.name,
                result.rfc.join("; ")
            );
        }
    }
    if !any {
        out.push_str("None.\n");
    }
    out
}

fn cell(counts: Counts) -> String {
    if counts.passed + counts.failed + counts.skipped == 0 {
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
    parts.join(" · ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2430}\
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d8dde6}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}\
.totals span{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;margin-right:.4rem;font-weight:600}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d8dde6;padding:.35rem .6rem;text-align:left;vertical-align:top}\
thead th{background:#f2f4f8}.pass{background:#e3f6e8;color:#17602c}.fail{background:#fde6e6;color:#8c1c1c}\
.skip{background:#fff5db;color:#6b5200}.none{color:#8a94a6}\
section.failure{border:1px solid #f0b8b8;border-radius:.4rem;padding:.2rem 1rem;margin:1rem 0}\
.level{background:#8c1c1c;color:#fff;border-radius:.25rem;padding:0 .4rem;font-size:.8rem}\
pre{white-space:pre-wrap;word-break:break-word;background:#f7f8fa;padding:.6rem;border-radius:.3rem;font-size:.85rem}\
.rfc{color:#4a5568}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_result;

    fn result(id: &str, level: Level, outcome: CaseOutcome) -> CaseResult {
        sample_result(id, level, outcome)
    }

    #[test]
    fn the_report_shows_the_matrix_and_each_failure_escaped() {
        let results = [
            result("users::create", Level::Must, CaseOutcome::Passed),
            result(
                "users::delete",
                Level::Must,
                CaseOutcome::Failed("expected 404, got 200 <html>".into()),
            ),
            result(
                "paging::cursor",
                Level::Should,
                CaseOutcome::Skipped("no cursor".into()),
            ),
        ];
        let meta = ReportMeta {
            target: "https://example.com/scim/v2",
            date: "2026-11-23T12:00:00Z",
            capabilities: &["patch", "filter"],
        };
        let html = html(&results, &meta);
        assert!(html.contains("<td class=\"fail\">1 ✓ · 1 ✗</td>"), "{html}");
        assert!(html.contains("expected 404, got 200 &lt;html&gt;"));
        assert!(html.contains("Breaks RFC 7644 §3.6"));
        assert!(
            !html.contains("<link") && !html.contains("<script"),
            "self-contained"
        );
        let md = markdown(&results, &meta);
        assert!(md.contains("| users | 1 ✓ · 1 ✗ | — | — |"), "{md}");
        assert!(md.contains("| paging | — | 1 skipped | — |"), "{md}");
    }
}
