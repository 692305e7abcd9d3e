//! One run, five reports, one story: the console summary, JSON, JUnit, HTML and Markdown of a
//! run with failures, a case without a verdict, invariant findings and skips of every kind must
//! give the same counts, the same findings, each skipped case its true reason, and the exit
//! code the process returned.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use scimcheck::mock::{Fault, MockConfig};
use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;
use scimcheck::suite::CaseSource;
use serde_json::Value;

/// A case that stops on a step it cannot send: its run count is captured from a URN. The target
/// answered everything right, so this is no verdict on it.
const UNSENDABLE: &str = r#"name: a step whose run count is not a number
description: The count comes from a string the target rightly sent; the step cannot be sent.
rfc: ["RFC 7644 §4"]
level: MUST
steps:
  - name: read the configuration
    request: { method: GET, path: /ServiceProviderConfig }
    capture: { runs: /schemas/0 }
    expect: { status: 200 }
  - name: list users that many times
    repeat: { count: "${runs}" }
    request: { method: GET, path: /Users }
    expect: { status: 200 }
"#;

const CONTRACT: &str = r#"name = "verdicts"
source = "this test"

[groups]
read-only = true
"#;

const CONFIG: &str = r#"[skip]
"users::create" = "the test skips it by hand"
"#;

/// The value of `name="…"` in the first tag named `tag`.
fn attribute<'a>(xml: &'a str, tag: &str, name: &str) -> &'a str {
    let start = xml.find(&format!("<{tag} ")).expect("the tag");
    let element = &xml[start..start + xml[start..].find('>').expect("a closed tag")];
    let from = element.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
    &element[from..from + element[from..].find('"').expect("a closed value")]
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Each testcase's name and, when it has one, its `<skipped>`, `<failure>` or `<error>`.
fn junit_cases(xml: &str) -> BTreeMap<String, Option<(String, String)>> {
    let mut out = BTreeMap::new();
    for chunk in xml.split("<testcase ").skip(1) {
        let chunk = format!("<testcase {chunk}");
        let name = unescape(attribute(&chunk, "testcase", "name"));
        let head_end = chunk.find('>').expect("a closed testcase");
        let verdict = (!chunk[..head_end].ends_with('/')).then(|| {
            let inner = &chunk[head_end + 1..];
            let tag = ["skipped", "failure", "error"]
                .into_iter()
                .find(|t| inner.trim_start().starts_with(&format!("<{t} ")))
                .expect("a skipped, failure or error element");
            (tag.to_owned(), unescape(attribute(inner, tag, "message")))
        });
        out.insert(name, verdict);
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn console_json_junit_html_and_markdown_tell_the_same_run() {
    let runtime = common::runtime();
    let config = MockConfig::named(
        &[
            "error-status-number",
            "missing-www-authenticate",
            "items-per-page-missing",
        ],
        &["no-sort", "filter-eq-and-only"],
    )
    .expect("known names");
    let mock = common::start_mock(&runtime, config);
    let scratch = common::Scratch::new("verdicts");
    let cases = scratch.path("cases");
    std::fs::create_dir_all(cases.join("verdicts")).expect("cases folder");
    std::fs::write(cases.join("verdicts/unsendable.yaml"), UNSENDABLE).expect("case");
    std::fs::write(scratch.path("contract.toml"), CONTRACT).expect("contract");
    std::fs::write(scratch.path("scimcheck.toml"), CONFIG).expect("config");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .env("NO_COLOR", "1")
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .env_remove("SCIMCHECK_LEDGER")
        .args(["run", "--base-url", mock.base_url(), "--format", "terse"])
        .arg("--config")
        .arg(scratch.path("scimcheck.toml"))
        .arg("--contract")
        .arg(scratch.path("contract.toml"))
        .arg("--ledger")
        .arg(scratch.path("ledger.jsonl"))
        .arg("--cases")
        .arg(&cases)
        .args(["--skip", "users::delete", "--max-creates", "150"])
        .arg("--json")
        .arg(scratch.path("run.json"))
        .arg("--junit")
        .arg(scratch.path("run.xml"))
        .arg("--report")
        .arg(scratch.path("run.html"))
        .arg("--report")
        .arg(scratch.path("run.md"))
        .output()
        .expect("scimcheck runs");
    let console = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value = serde_json::from_str(&read(&scratch.path("run.json"))).expect("JSON");
    let junit = read(&scratch.path("run.xml"));
    let html = read(&scratch.path("run.html"));
    let markdown = read(&scratch.path("run.md"));

    // The exit code is the one every report states.
    let code = output.status.code().expect("an exit code");
    assert_eq!(code, 1, "{console}\n{stderr}");
    assert_eq!(json["verdict"]["exit_code"], code);
    assert!(junit.contains(&format!("<property name=\"exit-code\" value=\"{code}\"/>")));
    assert!(html.contains(&format!("Exit code {code}.")), "{html}");
    for report in [&console, &markdown] {
        assert!(report.contains(&format!("(exit code {code})")), "{report}");
    }
    let headline = json["verdict"]["headline"].as_str().expect("a headline");
    for (name, report) in [("console", &console), ("markdown", &markdown)] {
        assert!(report.contains(headline), "{name}: {headline:?} missing");
    }
    assert!(html.contains(&html_escape(headline)));

    // The counts, from the JSON's cases, are its summary's and every other report's.
    let summary = &json["summary"];
    let results = json["cases"].as_array().expect("cases");
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for case in results {
        *by_status
            .entry(case["status"].as_str().expect("a status"))
            .or_default() += 1;
    }
    let count = |status: &str| by_status.get(status).copied().unwrap_or(0);
    for (key, status) in [
        ("passed", "passed"),
        ("failed", "failed"),
        ("errored", "errored"),
        ("skipped", "skipped"),
        ("interrupted", "interrupted"),
        ("harness_errors", "harness error"),
    ] {
        assert_eq!(summary[key], count(status), "summary.{key}");
    }
    assert_eq!(summary["selected"], results.len() as u64);
    assert_eq!(
        summary["selected"], json["selection"]["selected"],
        "every selected case has a result"
    );
    assert!(
        json["selection"]["not_selected"]
            .as_array()
            .expect("not selected")
            .contains(&"users::delete".into()),
        "--skip leaves a case out of the selection"
    );
    // What this run is made to show: something of each.
    assert!(count("passed") > 0 && count("failed") > 0, "{by_status:?}");
    assert_eq!(count("errored"), 1, "{by_status:?}");
    let findings = json["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["invariant"] == true) && findings.len() >= 2,
        "{findings:#?}"
    );
    assert_eq!(summary["findings"], findings.len() as u64);

    let sentence = format!(
        "{} case(s) selected, {} ran: {} passed, {} failed, {} errored (no verdict), {} harness error(s); {} skipped, {} interrupted; {} finding(s)",
        results.len(),
        count("passed") + count("failed") + count("errored") + count("harness error"),
        count("passed"),
        count("failed"),
        count("errored"),
        count("harness error"),
        count("skipped"),
        count("interrupted"),
        findings.len()
    );
    for (name, report) in [
        ("console", &console),
        ("html", &html),
        ("markdown", &markdown),
    ] {
        assert!(
            report.contains(&sentence),
            "{name}: {sentence:?} missing from\n{report}"
        );
    }

    // JUnit: the totals on the root, and each testcase as the JSON has it.
    for (attr, want) in [
        ("tests", results.len() as u64),
        ("failures", count("failed")),
        ("errors", count("errored") + count("harness error")),
        ("skipped", count("skipped") + count("interrupted")),
    ] {
        assert_eq!(
            attribute(&junit, "testsuites", attr),
            want.to_string(),
            "testsuites {attr}"
        );
    }
    assert!(junit.contains(&format!(
        "<property name=\"findings\" value=\"{}\"/>",
        findings.len()
    )));
    let testcases = junit_cases(&junit);
    assert_eq!(testcases.len(), results.len());

    // Every skipped case, with its reason, in every report; the reasons of every kind.
    let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for case in results {
        let id = case["id"].as_str().expect("an id");
        let element = testcases.get(id).expect("a testcase per case");
        let want = match case["status"].as_str().expect("a status") {
            "passed" => None,
            "failed" => Some("failure"),
            "skipped" | "interrupted" => Some("skipped"),
            _ => Some("error"),
        };
        assert_eq!(element.as_ref().map(|(t, _)| t.as_str()), want, "{id}");
        let row = format!(
            "| `{id}` | {} | {}",
            case["level"].as_str().unwrap_or_default(),
            case["status"].as_str().unwrap_or_default()
        );
        assert!(markdown.contains(&row), "{row:?} missing from the Markdown");
        if case["status"] == "skipped" {
            let reason = case["detail"].as_str().expect("a skip reason");
            assert_eq!(
                element.as_ref().map(|(_, m)| m.as_str()),
                Some(reason),
                "{id}"
            );
            reasons.entry(reason).or_default().push(id);
        }
    }
    let listed: BTreeMap<&str, Vec<&str>> = json["selection"]["skipped"]
        .as_array()
        .expect("skips by reason")
        .iter()
        .map(|s| {
            let cases = s["cases"].as_array().expect("cases");
            (
                s["reason"].as_str().expect("a reason"),
                cases.iter().filter_map(Value::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(listed, reasons);
    for (reason, ids) in &reasons {
        let line = format!("skipped ({}): {reason}", ids.len());
        assert!(console.contains(&line), "{line:?} missing from the console");
        let fact = format!("{reason}: {}", ids.join(", "));
        assert!(
            markdown.contains(&fact),
            "{fact:?} missing from the Markdown"
        );
        assert!(
            html.contains(&html_escape(&fact)),
            "{fact:?} missing from the HTML"
        );
    }
    let of_kind = |needle: &str| reasons.keys().any(|r| r.contains(needle));
    for (kind, needle) in [
        ("capability not advertised", "sort"),
        ("probe said unsupported", "a probe got 400 invalidFilter"),
        ("no credential", "api-key"),
        ("contract", "the contract `verdicts`"),
        ("[skip] in scimcheck.toml", "the test skips it by hand"),
        ("create budget", "--max-creates"),
        ("unless", "bulk"),
    ] {
        assert!(
            of_kind(needle),
            "no skip for {kind} ({needle:?}) in {reasons:#?}"
        );
    }

    // The case without a verdict says why, and is no finding.
    let unsendable = results
        .iter()
        .find(|c| c["id"] == "verdicts::unsendable")
        .expect("the unsendable case ran");
    assert_eq!(unsendable["status"], "errored");
    assert_eq!(unsendable["grade"], "no verdict");
    assert!(
        !findings.iter().any(|f| f["cases"]
            .as_array()
            .is_some_and(|c| c.contains(&"verdicts::unsendable".into()))),
        "a step that could not be sent is no finding"
    );
    assert!(
        console.contains("no verdict in verdicts::unsendable: failed to count the step's runs"),
        "{console}"
    );
}

#[test]
fn a_run_where_nothing_ran_exits_4_and_says_so_in_every_report() {
    let scratch = common::Scratch::new("nothing-ran");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .env("NO_COLOR", "1")
        .args(["run", "users::create", "--exact", "--read-only", "--json"])
        .arg(scratch.path("run.json"))
        .arg("--junit")
        .arg(scratch.path("run.xml"))
        .output()
        .expect("scimcheck runs");
    let console = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(4), "{console}");
    let headline =
        "NOTHING RAN: every one of the 1 selected case(s) was skipped (the reasons are listed)";
    assert!(console.contains(headline), "{console}");
    assert!(
        console.contains("1 case(s) selected, 0 ran: 0 passed, 0 failed, 0 errored (no verdict), 0 harness error(s); 1 skipped, 0 interrupted; 0 finding(s)"),
        "{console}"
    );
    let json: Value = serde_json::from_str(&read(&scratch.path("run.json"))).expect("JSON");
    assert_eq!(json["verdict"]["headline"], headline);
    assert_eq!(json["verdict"]["exit_code"], 4);
    assert_eq!(json["summary"]["ran"], 0);
    let junit = read(&scratch.path("run.xml"));
    assert_eq!(attribute(&junit, "testsuites", "skipped"), "1");
    assert!(junit.contains("<property name=\"exit-code\" value=\"4\"/>"));
}

/// The README's table of exit codes, row by row: the code and the verdict's first word.
#[test]
fn the_readme_table_of_exit_codes_is_the_code() {
    use scimcheck::report::verdict::{
        EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NO_VERDICT, EXIT_NOTHING_RAN, EXIT_PASSED,
    };
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let start = readme.find("| code | verdict | when |").expect("the table");
    let rows: Vec<(u8, String)> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.trim_start().starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim().split(" | ").collect();
            let code = cells[0].trim_start_matches("| ").trim_matches('*');
            (
                code.parse().expect("a code"),
                cells[1].trim_matches('`').to_owned(),
            )
        })
        .collect();
    let want: Vec<(u8, String)> = [
        (EXIT_INTERRUPTED, "INTERRUPTED"),
        (EXIT_FAILED, "FAILED"),
        (EXIT_NO_VERDICT, "NO VERDICT"),
        (EXIT_NOTHING_RAN, "NOTHING RAN"),
        (EXIT_PASSED, "PASSED"),
        (2, "—"),
    ]
    .into_iter()
    .map(|(code, word)| (code, word.to_owned()))
    .collect();
    assert_eq!(rows, want);
}

/// A case whose every step needs bulk, against a target without it: it checked nothing, so it
/// did not pass; the same case against a target with bulk runs and passes.
#[test]
fn a_case_whose_every_step_was_left_out_is_skipped_not_passed() {
    const BULK_ONLY: &str = r#"name: every step needs bulk
description: Both steps are left out where bulk is not advertised.
rfc: ["RFC 7644 §4"]
level: MUST
steps:
  - name: read the configuration
    requires: [bulk]
    request: { method: GET, path: /ServiceProviderConfig }
    expect: { status: 200 }
"#;
    let scratch = common::Scratch::new("left-out");
    std::fs::create_dir_all(scratch.path("cases/verdicts")).expect("cases folder");
    std::fs::write(scratch.path("cases/verdicts/bulk-only.yaml"), BULK_ONLY).expect("case");
    let runtime = common::runtime();
    for (variations, want) in [(&["no-bulk"][..], "skipped"), (&[][..], "passed")] {
        let config = MockConfig::named(&[] as &[&str], variations).expect("known names");
        let mock = common::start_mock(&runtime, config);
        let outcome = common::run_with_cases(
            &runtime,
            &mock,
            CaseSource::Dirs {
                builtin: false,
                dirs: vec![scratch.path("cases")],
            },
            PlanOptions::default(),
        );
        let result = &outcome.results[0];
        assert_eq!(result.status().name(), want, "{variations:?}: {result:#?}");
        if want == "skipped" {
            assert_eq!(
                result.outcome,
                CaseOutcome::Skipped(
                    "no step ran: each requires a capability the target lacks, so nothing was checked"
                        .into()
                )
            );
            assert_eq!(outcome.report().verdict.exit_code, 4);
        }
    }
}

/// A `/ServiceProviderConfig` that omits a REQUIRED `supported` flag does not make the cases
/// needing it look like a target's choice: their skip names the omission, and the discovery
/// cases fail on it.
#[test]
fn a_capability_the_configuration_omits_is_skipped_as_unstated_and_found() {
    let outcome = common::run_against_mock(
        &[Fault::ServiceProviderConfigIncomplete],
        PlanOptions::default(),
    );
    let case = outcome
        .results
        .iter()
        .find(|r| r.id == "config::advertised-change-password-works")
        .expect("the case is in the catalogue");
    assert_eq!(
        case.outcome,
        CaseOutcome::Skipped(
            "the target does not advertise change-password (its /ServiceProviderConfig does not state whether it supports change-password, which RFC 7643 §5 requires: a finding of the discovery cases, not a choice)"
                .into()
        )
    );
    assert!(
        outcome
            .capabilities
            .matrix()
            .contains("change-password unstated"),
        "{}",
        outcome.capabilities.matrix()
    );
    let report = outcome.report();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.cases().iter().any(|c| c.starts_with("discovery::"))),
        "{:#?}",
        report.findings
    );
    assert_eq!(report.verdict.exit_code, 1);
    // A target that states `false` made a choice: the plain reason.
    let runtime = common::runtime();
    let config = MockConfig::named(&[] as &[&str], &["no-patch"]).expect("known names");
    let mock = common::start_mock(&runtime, config);
    let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
    let reasons: Vec<&str> = outcome
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            CaseOutcome::Skipped(reason) if reason.contains("advertise patch") => {
                Some(reason.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(!reasons.is_empty());
    assert!(
        reasons.iter().all(|r| !r.contains("does not state")),
        "{reasons:?}"
    );
}
