//! A comparison of two targets (`scimcheck compare`) for people and CI: a compact table of the
//! differences, most severe first, with identical behaviour summarised in one line — on the
//! console, as JSON, Markdown or self-contained HTML (the conformance report's style).

use std::fmt::Write as _;
use std::path::Path;

use super::document::{STYLE, escape};
use crate::compare::{Comparison, Severity};
use crate::redact::Redactor;

/// A cell of the console table is cut to this many characters.
const CELL: usize = 60;

/// The output formats of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Console,
    Json,
    Markdown,
    Html,
}

impl Format {
    /// For `--json PATH` and `--report PATH`: Markdown when the name ends in `.md`, JSON in
    /// `.json`, HTML otherwise.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("md") => Format::Markdown,
            Some("json") => Format::Json,
            _ => Format::Html,
        }
    }
}

/// The document, every secret either side's redactor knows replaced.
pub fn render(comparison: &Comparison, format: Format, redactors: &[Redactor]) -> String {
    let text = match format {
        Format::Console => console(comparison),
        // A derived `Serialize` of strings and numbers always serializes.
        Format::Json => serde_json::to_string_pretty(comparison).unwrap_or_default(),
        Format::Markdown => markdown(comparison),
        Format::Html => html(comparison),
    };
    let text = redactors
        .iter()
        .fold(text, |text, redactor| redactor.redact(&text).into_owned());
    // Attribute names and header values are what a target sent: shown, never obeyed.
    match format {
        Format::Console => crate::redact::printable(&text).into_owned(),
        _ => text,
    }
}

/// `3 worse, 1 changed, 2 better` (or `no difference`).
fn tally(comparison: &Comparison) -> String {
    if comparison.differences.is_empty() {
        return "no difference".to_owned();
    }
    let counts: Vec<String> = [Severity::Worse, Severity::Changed, Severity::Better]
        .into_iter()
        .map(|s| format!("{} {}", comparison.count(s), s.name()))
        .collect();
    format!(
        "{} difference(s): {}",
        comparison.differences.len(),
        counts.join(", ")
    )
}

/// What behaves the same, in one line.
fn same(comparison: &Comparison) -> String {
    let attributes = match comparison.same_attributes {
        Some(n) => format!("{n} schema attribute(s) declared alike"),
        None => "schemas not compared (a saved result does not hold /Schemas)".to_owned(),
    };
    format!(
        "same on both: {} case(s) (outcome, status codes and recorded steps), {} finding(s), {attributes}",
        comparison.same_cases, comparison.same_findings
    )
}

fn cut(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= width && line.len() == text.len() {
        return line.to_owned();
    }
    let kept: String = line.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

fn console(comparison: &Comparison) -> String {
    let mut out = String::from("\nscimcheck compare\n");
    let _ = writeln!(out, "  A: {}", comparison.a);
    let _ = writeln!(out, "  B: {}", comparison.b);
    let _ = writeln!(out, "  {}", tally(comparison));
    let _ = writeln!(out, "  {}", same(comparison));
    if comparison.differences.is_empty() {
        return out;
    }
    let rows: Vec<[String; 5]> = comparison
        .differences
        .iter()
        .map(|d| {
            [
                d.severity.name().to_owned(),
                d.area.name().to_owned(),
                cut(&d.subject, CELL),
                cut(if d.a.is_empty() { "-" } else { &d.a }, CELL),
                cut(if d.b.is_empty() { "-" } else { &d.b }, CELL),
            ]
        })
        .collect();
    let header = ["", "", "", "A", "B"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let mut line = String::from(" ");
        for (cell, width) in row.iter().zip(widths) {
            let pad = width - cell.chars().count();
            let _ = write!(line, " {cell}{} ", " ".repeat(pad));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// A Markdown table cell: one line, pipes escaped.
fn md(text: &str) -> String {
    text.lines().next().unwrap_or_default().replace('|', "\\|")
}

fn markdown(comparison: &Comparison) -> String {
    let mut out = String::from("# SCIM comparison\n\n");
    let _ = writeln!(out, "- A: {}", md(&comparison.a));
    let _ = writeln!(out, "- B: {}", md(&comparison.b));
    let _ = writeln!(out, "- {}", tally(comparison));
    let _ = writeln!(out, "- {}", same(comparison));
    if comparison.differences.is_empty() {
        return out;
    }
    out.push_str("\n| | | what | A | B |\n|---|---|---|---|---|\n");
    for d in &comparison.differences {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} | {} |",
            d.severity.name(),
            d.area.name(),
            md(&d.subject),
            md(&d.a),
            md(&d.b)
        );
    }
    out
}

fn html(comparison: &Comparison) -> String {
    let mut out = String::new();
    let class = if comparison.count(Severity::Worse) > 0 {
        "fail"
    } else {
        "pass"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>SCIM comparison</title><style>{STYLE}</style></head><body>\n\
         <h1>SCIM comparison</h1>\n<p class=\"verdict {class}\">{tally}</p>\n\
         <dl class=\"meta\"><dt>A</dt><dd>{a}</dd><dt>B</dt><dd>{b}</dd><dt>Same</dt><dd>{same}</dd></dl>\n",
        tally = escape(&tally(comparison)),
        a = escape(&comparison.a),
        b = escape(&comparison.b),
        same = escape(&same(comparison)),
    );
    if !comparison.differences.is_empty() {
        out.push_str("<table><thead><tr><th></th><th></th><th>what</th><th>A</th><th>B</th></tr></thead><tbody>\n");
        for d in &comparison.differences {
            let row = match d.severity {
                Severity::Worse => "fail",
                Severity::Changed => "skip",
                Severity::Better => "pass",
            };
            let _ = writeln!(
                out,
                "<tr><td class=\"{row}\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                d.severity.name(),
                d.area.name(),
                escape(&d.subject),
                escape(&d.a),
                escape(&d.b)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::diff::{Area, Difference};

    fn sample() -> Comparison {
        Comparison {
            a: "https://a.example/scim/v2 (2026-11-30T12:00:00Z)".into(),
            b: "https://b.example/scim/v2 (2026-11-30T12:01:00Z)".into(),
            differences: vec![
                Difference {
                    severity: Severity::Worse,
                    area: Area::Outcome,
                    subject: "users::delete".into(),
                    a: "passed".into(),
                    b: "failed: status: expected 404, got 200 | <b>".into(),
                },
                Difference {
                    severity: Severity::Better,
                    area: Area::Capability,
                    subject: "bulk".into(),
                    a: "not advertised".into(),
                    b: "advertised".into(),
                },
            ],
            same_cases: 120,
            same_findings: 2,
            same_attributes: Some(40),
        }
    }

    #[test]
    fn every_format_says_the_differences_most_severe_first_and_sums_up_the_rest() {
        let comparison = sample();
        let redactor = [Redactor::default()];
        let console = render(&comparison, Format::Console, &redactor);
        assert!(
            console.contains("2 difference(s): 1 worse, 0 changed, 1 better"),
            "{console}"
        );
        assert!(console.contains("same on both: 120 case(s)"), "{console}");
        let worse = console.find("users::delete").expect("the worse row");
        let better = console.find("bulk").expect("the better row");
        assert!(worse < better, "{console}");
        let markdown = render(&comparison, Format::Markdown, &redactor);
        assert!(markdown.contains("| worse | outcome | `users::delete` | passed | failed: status: expected 404, got 200 \\| <b> |"), "{markdown}");
        let html = render(&comparison, Format::Html, &redactor);
        assert!(html.contains("got 200 | &lt;b&gt;</td>"), "{html}");
        assert!(html.contains("class=\"verdict fail\""), "{html}");
        let json: serde_json::Value =
            serde_json::from_str(&render(&comparison, Format::Json, &redactor)).expect("JSON");
        assert_eq!(json["differences"][0]["severity"], "worse");
        assert_eq!(json["differences"][1]["area"], "capability");
        assert_eq!(json["same_attributes"], 40);
    }

    #[test]
    fn no_difference_is_one_line_and_no_table() {
        let comparison = Comparison {
            differences: vec![],
            ..sample()
        };
        let console = render(&comparison, Format::Console, &[Redactor::default()]);
        assert!(console.contains("no difference"), "{console}");
        assert!(!console.contains(" A "), "{console}");
        assert_eq!(Format::of(Path::new("x.md")), Format::Markdown);
        assert_eq!(Format::of(Path::new("x.json")), Format::Json);
        assert_eq!(Format::of(Path::new("x.html")), Format::Html);
    }
}
