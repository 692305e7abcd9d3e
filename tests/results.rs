//! Verdicts that never lie, seen from outside: one defect is one finding, a rejected token is
//! one configuration error, an interrupt exits 130 with interrupted cases and nothing left
//! behind, every report states what was selected, and report paths are checked before the
//! first request.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use scimcheck::mock::{Fault, MockConfig};
use scimcheck::plan::PlanOptions;
use scimcheck::report::{CaseOutcome, FailOn, RunReport};

fn scimcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    command.env_remove("SCIMCHECK_TOKEN").env("NO_COLOR", "1");
    command
}

/// A fresh folder for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcheck-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn one_defect_in_many_cases_is_one_finding_and_other_cases_still_judge_their_subject() {
    let outcome = common::run_against_mock(&[Fault::ErrorStatusNumber], PlanOptions::default());
    let facts = outcome.facts(FailOn::Any);
    let report = RunReport::new(&facts, &outcome.results);
    let failed = common::failed(&outcome.results).len();
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.clause, "RFC 7644 §3.12");
    assert!(
        finding.statement().contains("/status"),
        "{}",
        finding.statement()
    );
    let cases = finding.cases();
    assert!(
        cases.len() >= failed && failed > 20,
        "{} cases in the finding, {failed} failed",
        cases.len()
    );
    let areas: std::collections::BTreeSet<&str> = cases
        .iter()
        .filter_map(|id| id.split("::").next())
        .collect();
    assert!(areas.len() > 3, "{areas:?}");
    // A case whose subject is not the error's shape still passes, the finding listing it.
    let invariant_only: Vec<&str> = outcome
        .results
        .iter()
        .filter(|r| r.outcome == CaseOutcome::Passed && cases.contains(&r.id.as_str()))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        !invariant_only.is_empty(),
        "no case judged its subject past the defect"
    );
    for result in &outcome.results {
        if result.area == "filter" && !result.rfc.iter().any(|s| s.starts_with("RFC 7644 §3.12")) {
            assert_eq!(result.outcome, CaseOutcome::Passed, "{}", result.id);
        }
    }
    assert_eq!(report.verdict.exit_code, 1);
    assert!(
        report
            .verdict
            .headline
            .contains("1 finding(s) at or above --fail-on any"),
        "{}",
        report.verdict.headline
    );
}

#[test]
fn a_rejected_token_is_one_configuration_error_before_any_case() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let output = scimcheck()
        .args(["run", "--base-url", mock.base_url(), "--retries", "0"])
        .env("SCIMCHECK_TOKEN", "an-expired-t0ken")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: the SCIM token was rejected: GET ")
            && stderr.contains("/Users answered 401: {"),
        "{stderr}"
    );
    assert!(!stderr.contains("an-expired-t0ken"));
    assert!(!stdout.contains("running"), "cases ran: {stdout}");
    assert_eq!(mock.request_count(), 1, "only the token was tried");
}

#[test]
fn an_unwritable_report_path_fails_before_any_request() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let dir = temp_dir("unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let output = scimcheck()
        .args(["run", "--base-url", mock.base_url(), "--junit"])
        .arg(blocker.join("reports/junit.xml"))
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .output()
        .expect("runs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write the report"), "{stderr}");
    assert_eq!(mock.request_count(), 0, "a request was sent");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_filtered_run_states_its_selection_in_every_report_and_folders_are_created() {
    let dir = temp_dir("selection");
    let output = scimcheck()
        .args([
            "run",
            "users::create",
            "--skip",
            "users::create-ignores-client-id",
        ])
        .arg("--json")
        .arg(dir.join("out/results.json"))
        .arg("--report")
        .arg(dir.join("out/report.html"))
        .arg("--report")
        .arg(dir.join("report.md"))
        .arg("--junit")
        .arg(dir.join("junit/results.xml"))
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/results.json")).unwrap())
            .unwrap();
    let selection = &json["selection"];
    assert_eq!(selection["names"][0], "users::create");
    assert_eq!(selection["skip"][0], "users::create-ignores-client-id");
    let total = selection["total"].as_u64().unwrap();
    let selected = selection["selected"].as_u64().unwrap();
    assert!((1..10).contains(&selected) && total > 100, "{selection}");
    assert_eq!(
        selection["not_selected"].as_array().unwrap().len() as u64,
        total - selected
    );
    assert_eq!(json["verdict"]["exit_code"], 0);
    // Every request a case sent is in its trace, with its step, status and time.
    let create = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "users::create")
        .expect("users::create ran");
    let trace = create["trace"].as_array().expect("a trace");
    assert_eq!(trace.len() as u64, create["requests"].as_u64().unwrap());
    assert_eq!(
        (&trace[0]["step"], &trace[0]["method"], &trace[0]["status"]),
        (&1.into(), &"POST".into(), &201.into())
    );
    assert!(trace[0]["elapsed_ms"].as_f64().is_some());
    let described = selection["description"].as_str().unwrap();
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for document in [&html, &md, &stdout] {
        assert!(
            document.contains(described),
            "{described:?} missing from\n{document}"
        );
        assert!(document.contains("--fail-on any"));
    }
    assert!(html.contains("<dt>Not selected</dt>"), "{html}");
    // The capabilities the skips were decided from, in every report.
    let matrix = json["capability_matrix"]
        .as_str()
        .expect("a capability matrix");
    assert!(
        matrix.contains("filter yes") && matrix.contains("list scope"),
        "{matrix}"
    );
    for document in [&html, &md] {
        assert!(document.contains("Capability matrix"), "{document}");
        assert!(document.contains("filter yes"), "{document}");
    }
    assert!(
        std::fs::read_to_string(dir.join("junit/results.xml"))
            .unwrap()
            .contains("<testsuites name=\"scimcheck\"")
    );
    assert!(
        std::fs::read_to_string(dir.join("junit/results.xml"))
            .unwrap()
            .contains("<property name=\"capabilities\" value=\"")
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn should_failures_under_fail_on_must_exit_0_and_say_why() {
    let output = scimcheck()
        .args([
            "run",
            "--mock-fault",
            "content-type-json",
            "--fail-on",
            "must",
        ])
        .args(["content-type::response-scim-json", "--exact"])
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("verdict: PASSED at --fail-on must (exit code 0)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 finding(s) below --fail-on must (1 SHOULD broken) do not fail the run"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[SHOULD broken] header `Content-Type`"),
        "{stdout}"
    );
}

/// Runs the suite against a slow mock, sends `signal` once it is writing, and returns the
/// exit status, stderr and JSON report, after checking that nothing was left behind.
fn interrupt_with(signal: &str) -> (Option<i32>, String, serde_json::Value) {
    let runtime = common::runtime();
    // Latency stretches the run so the signal lands in the middle of it.
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            latency: Some(Duration::from_millis(150)),
            ..MockConfig::default()
        },
    );
    let dir = temp_dir("signal");
    let child = scimcheck()
        .args(["run", "--base-url", mock.base_url(), "--ledger"])
        .arg(dir.join("ledger.jsonl"))
        .arg("--json")
        .arg(dir.join("results.json"))
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while mock.write_requests() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let output = child.wait_with_output().expect("wait");
    let (_, stderr) = text(&output);
    assert_eq!(
        common::users_with_prefix(&runtime, &mock, "scimcheck-"),
        0,
        "{signal}: users left behind\n{stderr}"
    );
    let json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results.json")).expect("a JSON report"),
    )
    .expect("JSON");
    std::fs::remove_dir_all(dir).ok();
    (output.status.code(), stderr, json)
}

#[test]
fn ctrl_c_sigterm_and_sighup_exit_130_with_interrupted_cases_and_clean_up() {
    for signal in ["INT", "TERM", "HUP"] {
        let (code, stderr, json) = interrupt_with(signal);
        assert_eq!(code, Some(130), "{signal}: {stderr}");
        assert!(
            stderr.contains("interrupted: cleaning up"),
            "{signal}: {stderr}"
        );
        assert_eq!(json["interrupted"], true);
        assert_eq!(json["verdict"]["exit_code"], 130);
        let cases = json["cases"].as_array().expect("cases");
        let interrupted = cases
            .iter()
            .filter(|c| c["status"] == "interrupted")
            .count();
        assert!(interrupted > 0, "{signal}: no case graded interrupted");
        // Nothing was failed for being cut short.
        let failed: Vec<&serde_json::Value> =
            cases.iter().filter(|c| c["status"] == "failed").collect();
        assert!(failed.is_empty(), "{signal}: {failed:#?}");
    }
}

#[test]
fn with_format_json_stdout_is_pure_json_and_the_summary_goes_to_stderr() {
    let output = scimcheck()
        .args(["run", "users::create", "--exact", "--format", "json"])
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(stdout.contains("\"event\": \"ok\""), "{stdout}");
    assert!(stderr.contains("scimcheck summary"), "{stderr}");
}

#[test]
fn a_cleanup_that_fails_fails_the_run_with_the_reason() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    // Every write to /dev/full fails: the case passes, its ledger entries do not.
    let output = scimcheck()
        .args([
            "run",
            "--base-url",
            mock.base_url(),
            "--ledger",
            "/dev/full",
        ])
        .args(["users::create", "--exact"])
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("findings: none"), "{stdout}");
    assert!(
        stdout.contains("verdict: FAILED: cleanup failed in 1 case(s) (users::create): a DELETE or a ledger write failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "cleanup problem in users::create: failed to write the cleanup ledger /dev/full"
        ),
        "{stdout}"
    );
}
