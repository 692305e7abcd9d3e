//! Safety on a real tenant, proven against the mock: a read-only run writes nothing, every
//! case cleans up what it created (on failure and on Ctrl-C too), sweep removes exactly the
//! leftovers, and throttling is waited out.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use scimcheck::mock::{Fault, MockConfig};
use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;

#[test]
fn a_read_only_run_sends_no_writes() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let outcome = common::run_suite(
        &runtime,
        &mock,
        PlanOptions {
            read_only: true,
            ..Default::default()
        },
        false,
    );
    assert_eq!(
        mock.write_requests(),
        0,
        "a read-only run wrote to the target"
    );
    let ran = outcome
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, CaseOutcome::Skipped(_)))
        .count();
    assert!(ran > 0, "no read-only case ran");
    assert!(outcome.results.iter().any(|r| matches!(
        &r.outcome,
        CaseOutcome::Skipped(reason) if reason.contains("--read-only")
    )));
    assert!(common::failed(&outcome.results).is_empty());
}

#[test]
fn cases_leave_nothing_behind_even_when_they_fail_half_way() {
    let runtime = common::runtime();
    for config in [
        MockConfig::default(),
        MockConfig::with_faults([Fault::PageOverlap]),
    ] {
        let failing = !config.faults.is_empty();
        let mock = common::start_mock(&runtime, config);
        let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
        assert_eq!(!common::failed(&outcome.results).is_empty(), failing);
        assert!(mock.write_requests() > 0);
        assert_eq!(
            common::users_with_prefix(&runtime, &mock, "scimcheck-"),
            0,
            "users left behind (fault on: {failing})"
        );
    }
}

#[test]
fn throttling_is_waited_out_and_counted() {
    let runtime = common::runtime();
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            rate_limit: Some(20),
            ..MockConfig::default()
        },
    );
    // The users area alone: enough requests to be throttled, few enough to finish quickly
    // at 20 per second.
    let outcome = common::run_suite_filtered(&runtime, &mock, "users::");
    assert!(
        outcome.throttled > 0,
        "the mock never throttled: raise the load or lower the limit"
    );
    assert!(outcome.results.len() > 10);
    let failures: Vec<_> = common::failed(&outcome.results)
        .iter()
        .map(|r| &r.outcome)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

fn scimcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    command.env_remove("SCIMCHECK_TOKEN");
    command
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("scimcheck-{}-{name}", uuid::Uuid::new_v4()))
}

#[test]
fn the_first_ctrl_c_cleans_up_everything_the_run_created() {
    let runtime = common::runtime();
    // Latency stretches the run so the interrupt lands in the middle of it.
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            latency: Some(Duration::from_millis(150)),
            ..MockConfig::default()
        },
    );
    let ledger = temp_path("ledger.jsonl");
    let child = scimcheck()
        .args(["run", "--base-url", mock.base_url(), "--ledger"])
        .arg(&ledger)
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Interrupt once the run is creating resources (a loaded machine may be slow to start it).
    let started = std::time::Instant::now();
    while mock.write_requests() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted: cleaning up"), "{stderr}");
    assert_eq!(
        common::users_with_prefix(&runtime, &mock, "scimcheck-"),
        0,
        "{stderr}"
    );
    // The ledger saw every creation and every deletion: nothing left to sweep.
    let leftovers = scimcheck::exec::ledger::leftovers(&ledger, mock.base_url()).expect("ledger");
    assert!(leftovers.is_empty(), "{leftovers:#?}");
    std::fs::remove_file(ledger).ok();
}

#[test]
fn sweep_removes_planted_leftovers_and_nothing_else() {
    let runtime = common::runtime();
    // The filter fault makes the server return every user: sweep must still spare the others.
    let mock = common::start_mock(&runtime, MockConfig::with_faults([Fault::FilterIgnored]));
    let token = mock.credentials().scim_token.clone();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let create = |user_name: &str| {
        let request = client
            .post(format!("{}/Users", mock.base_url()))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
            }));
        runtime.block_on(async {
            let body: serde_json::Value = request
                .send()
                .await
                .expect("create")
                .json()
                .await
                .expect("JSON");
            body["id"].as_str().expect("id").to_owned()
        })
    };
    create("scimcheck-deadbeef-001-left@example.com");
    create("scimcheck-deadbeef-002-left@example.com");
    let keeper = create("alice@customer.example");
    let ledger_only = create("bob@customer.example");
    // A crashed run recorded `bob` in its ledger: sweep removes it though it has no prefix.
    let ledger = temp_path("ledger.jsonl");
    let line = serde_json::json!({
        "event": "created", "target": mock.base_url(),
        "url": format!("{}/Users/{ledger_only}", mock.base_url()),
        "id": ledger_only, "run": "scimcheck-deadbeef",
    });
    std::fs::write(&ledger, format!("{line}\n")).unwrap();

    let sweep = |dry_run: bool| {
        let mut command = scimcheck();
        command
            .args(["sweep", "--base-url", mock.base_url(), "--ledger"])
            .arg(&ledger)
            .env("SCIMCHECK_TOKEN", &token);
        if dry_run {
            command.arg("--dry-run");
        }
        let output = command.output().expect("sweep");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let listing = sweep(true);
    assert!(listing.contains("would delete 3 resource(s)"), "{listing}");
    assert!(!listing.contains("alice@customer.example"), "{listing}");
    assert_eq!(mock.write_requests(), 4, "a dry run deleted something");

    let swept = sweep(false);
    assert!(swept.contains("deleted 3 of 3"), "{swept}");
    let status = |id: &str| {
        let request = client
            .get(format!("{}/Users/{id}", mock.base_url()))
            .bearer_auth(&token);
        runtime.block_on(async { request.send().await.expect("get").status().as_u16() })
    };
    assert_eq!(
        status(&keeper),
        200,
        "sweep deleted a user it did not create"
    );
    assert_eq!(status(&ledger_only), 404);
    assert!(sweep(true).contains("nothing to sweep"));
    std::fs::remove_file(ledger).ok();
}
