//! `--snapshots` against the embedded mock: two runs record the same snapshots (no drift), a
//! fault that drops an attribute is drift naming the case, the step and the attribute, drift
//! changes the exit code only with `--fail-on-drift`, and no token reaches a snapshot.

mod common;

use std::path::Path;
use std::process::Command;

use common::Scratch;
use scimcheck::check::drift::ChangeKind;
use scimcheck::mock::{Fault, MockConfig};
use scimcheck::report::{CaseOutcome, RunFacts, RunReport, drift};
use scimcheck::{RunConfig, RunOutcome};

/// The whole catalogue against a fresh mock with `faults`, recording into `dir`.
fn record(faults: &[Fault], dir: &Path) -> (RunOutcome, Vec<String>) {
    let runtime = common::runtime();
    let mut config = MockConfig::default();
    config.faults.extend(faults.iter().copied());
    let mock = common::start_mock(&runtime, config);
    let credentials = mock.credentials();
    let secrets = vec![
        credentials.scim_token.clone(),
        credentials.api_key.clone(),
        credentials.other_tenant_token.clone(),
        credentials.admin_token.clone(),
    ];
    let config = RunConfig::for_mock(&mock)
        .snapshots(dir)
        .record_steps()
        .build()
        .expect("a valid configuration");
    let outcome = runtime
        .block_on(scimcheck::run(config))
        .expect("suite runs");
    (outcome, secrets)
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn the_mock_twice_is_no_drift_and_a_dropped_attribute_is_drift_naming_case_step_and_attribute() {
    let scratch = Scratch::new("snapshots");
    let dir = scratch.path("mock");
    let (first, secrets) = record(&[], &dir);
    let (same, new, drifted) = drift::tally(&first.results).expect("snapshots recorded");
    assert_eq!((same, drifted), (0, 0));
    assert!(new > 500, "every step with a body is snapshotted: {new}");
    let written = files(&dir);
    assert_eq!(written.len(), new as usize);
    for path in &written {
        let text = std::fs::read_to_string(path).expect("readable");
        assert!(
            text.starts_with("---\nsource: "),
            "insta's format: {}",
            path.display()
        );
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a token in {}",
                path.display()
            );
        }
    }

    let (second, _) = record(&[], &dir);
    let drift_lines = drift::lines(&second.results);
    assert_eq!(
        drift_lines,
        [],
        "two runs of the same target record the same snapshots"
    );
    assert_eq!(drift::tally(&second.results), Some((new, 0, 0)));

    let (faulty, _) = record(&[Fault::SubAttributeDropped], &dir);
    let case = faulty
        .results
        .iter()
        .find(|r| r.id == "reread::post-held-in-full")
        .expect("the case ran");
    let step = case.snapshots.drift.first().expect("its response drifted");
    assert_eq!(step.step, 1);
    assert_eq!(step.snapshot, "reread/post-held-in-full--step-1");
    assert!(
        step.changes
            .iter()
            .any(|c| c.kind == ChangeKind::Removed && c.pointer == "/body/emails/0/display"),
        "{step:#?}"
    );
    assert!(
        dir.join("reread/post-held-in-full--step-1.snap.new")
            .exists(),
        "the new version waits for review"
    );
    let report = faulty.report();
    let summary = scimcheck::report::render(&scimcheck::report::console::Console, &report);
    assert!(
        summary.contains("reread::post-held-in-full step 1 (")
            && summary.contains("/body/emails/0/display removed"),
        "{summary}"
    );
    let json = scimcheck::report::render(&scimcheck::report::json::Json, &report);
    assert!(
        json.contains("\"pointer\": \"/body/emails/0/display\""),
        "{json}"
    );

    // meta.resourceType gone: many cases pass and drift; the exit code of those follows
    // --fail-on-drift alone.
    let (faulty, _) = record(&[Fault::MetaResourceTypeMissing], &dir);
    let passed_with_drift: Vec<_> = faulty
        .results
        .iter()
        .filter(|r| r.outcome == CaseOutcome::Passed && !r.snapshots.drift.is_empty())
        .cloned()
        .collect();
    assert!(!passed_with_drift.is_empty());
    let facts = |fail_on_drift| RunFacts {
        fail_on_drift,
        ..faulty.facts.clone()
    };
    let (lenient, strict) = (facts(false), facts(true));
    assert_eq!(
        RunReport::new(&lenient, &passed_with_drift)
            .verdict
            .exit_code,
        0
    );
    assert_eq!(
        RunReport::new(&strict, &passed_with_drift)
            .verdict
            .exit_code,
        1
    );
}

#[test]
fn drift_exits_zero_unless_fail_on_drift() {
    let scratch = Scratch::new("snapshots-cli");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .current_dir(&scratch.0)
            .args(["run", "auth::no-token::get", "--exact", "--snapshots"])
            .args(["--color", "never"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let recorded = run(&[]);
    assert_eq!(recorded.status.code(), Some(0), "{recorded:?}");
    assert!(
        scratch
            .path("snapshots/mock/auth/no-token/get--step-1.snap")
            .exists(),
        "the mock's folder is snapshots/mock"
    );
    let fault = ["--mock-fault", "meta-resource-type-missing"];
    let drifted = run(&fault);
    let stdout = String::from_utf8_lossy(&drifted.stdout);
    assert_eq!(drifted.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("auth::no-token::get step ")
            && stdout.contains("/body/meta/resourceType removed"),
        "{stdout}"
    );
    let failed = run(&[&fault[..], &["--fail-on-drift"]].concat());
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stdout)
    );

    let snapshots = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .current_dir(&scratch.0)
            .arg("snapshots")
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let review = snapshots(&["review", "no-token"]);
    assert!(
        review.contains("mock::auth::no-token::get step ")
            && review.contains("/body/meta/resourceType removed: \"User\" → absent")
            && review.contains("1 pending snapshot(s)"),
        "{review}"
    );
    assert!(snapshots(&["review", "groups::"]).contains("no pending snapshot"));
    assert!(snapshots(&["accept"]).contains("1 accepted, 0 rejected"));
    let accepted = run(&fault);
    let stdout = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        stdout.contains("0 drifted"),
        "the accepted version is the snapshot now: {stdout}"
    );
}
