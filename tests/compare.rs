//! `compare` between embedded mocks: two clean mocks differ in nothing, a fault shows exactly
//! the cases and findings it breaks, a variation's smaller User schema shows as attributes
//! B no longer declares; and two saved results compare from the command line.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use scimcheck::compare::diff::{Area, Discovery};
use scimcheck::compare::{Comparison, RunRecord, Severity, compare};
use scimcheck::mock::{Fault, MockConfig, Variation};
use scimcheck::plan::PlanOptions;

/// The whole catalogue against a fresh mock: its record and its discovery documents.
fn side(config: MockConfig) -> (RunRecord, Discovery) {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, config);
    let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
    let record = RunRecord::of(&outcome.report());
    let discovery = outcome
        .capabilities
        .published_schemas
        .expect("the mock publishes /Schemas and /ResourceTypes");
    (record, discovery)
}

fn compared(a: &(RunRecord, Discovery), b: &(RunRecord, Discovery)) -> Comparison {
    compare(&a.0, &b.0, Some((&a.1, &b.1)))
}

fn subjects(comparison: &Comparison, area: Area) -> BTreeSet<&str> {
    comparison
        .differences
        .iter()
        .filter(|d| d.area == area)
        .map(|d| d.subject.as_str())
        .collect()
}

#[test]
fn two_clean_mocks_differ_in_nothing_and_a_fault_in_exactly_what_it_breaks() {
    let clean = side(MockConfig::default());
    let comparison = compared(&clean, &side(MockConfig::default()));
    assert_eq!(comparison.differences, [], "{comparison:#?}");
    assert_eq!(comparison.same_cases, clean.0.cases.len());
    assert!(comparison.same_attributes.is_some_and(|n| n > 50));

    let mut config = MockConfig::default();
    config.faults.insert(Fault::MetaResourceTypeMissing);
    let faulty = side(config);
    let comparison = compared(&clean, &faulty);
    let failing: BTreeSet<&str> = faulty
        .0
        .cases
        .iter()
        .filter(|(_, c)| c.status == "failed")
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(!failing.is_empty());
    assert_eq!(subjects(&comparison, Area::Outcome), failing);
    let findings: BTreeSet<&str> = faulty.0.findings.keys().map(String::as_str).collect();
    assert_eq!(subjects(&comparison, Area::Finding), findings);
    assert!(
        comparison
            .differences
            .iter()
            .all(|d| d.severity == Severity::Worse
                && matches!(d.area, Area::Outcome | Area::Finding)),
        "only the fault's cases and findings differ: {comparison:#?}"
    );
    // The other way round, the same differences are improvements.
    let reverse = compared(&faulty, &clean);
    assert_eq!(
        reverse.count(Severity::Better),
        comparison.differences.len()
    );
}

#[test]
fn a_smaller_user_schema_shows_as_attributes_b_does_not_declare() {
    let clean = side(MockConfig::default());
    let mut config = MockConfig::default();
    config.variations.insert(Variation::MinimalUserSchema);
    let minimal = side(config);
    let comparison = compared(&clean, &minimal);
    let schema: Vec<_> = comparison
        .differences
        .iter()
        .filter(|d| d.area == Area::Schema)
        .collect();
    let removed: BTreeSet<&str> = schema.iter().map(|d| d.subject.as_str()).collect();
    for gone in [
        "User:addresses",
        "User:nickName",
        "User:title",
        "User:phoneNumbers",
    ] {
        assert!(removed.contains(gone), "{gone}: {removed:#?}");
    }
    for kept in ["User:userName", "User:emails", "User:addresses.street"] {
        assert!(!removed.contains(kept), "{kept}: {removed:#?}");
    }
    assert!(
        schema
            .iter()
            .all(|d| d.severity == Severity::Worse && d.a == "declared" && d.b == "not declared"),
        "{schema:#?}"
    );
    assert_eq!(subjects(&comparison, Area::ResourceType), BTreeSet::new());
}

#[test]
fn two_saved_results_compare_from_the_command_line_and_exit_1_when_b_is_worse() {
    let dir = std::env::temp_dir().join(format!("scimcheck-compare-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let scimcheck = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
        command.current_dir(&dir).env("NO_COLOR", "1");
        command
    };
    let save = |name: &str, fault: &[&str]| {
        let status = scimcheck()
            .args(["run", "auth::api-key", "--format", "terse", "--json", name])
            .args(fault)
            .output()
            .expect("runs")
            .status;
        assert!(status.code().is_some(), "{status}");
    };
    save("clean.json", &[]);
    save("faulty.json", &["--mock-fault", "error-status-number"]);
    let compare = |a: &str, b: &str| {
        let output = scimcheck()
            .args(["compare", "--results", a, b, "--report", "diff.md"])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let markdown = std::fs::read_to_string(dir.join("diff.md")).unwrap_or_default();
        (output.status.code(), stdout, markdown)
    };
    let (code, stdout, markdown) = compare("clean.json", "faulty.json");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("worse"), "{stdout}");
    assert!(stdout.contains("auth::api-key::create"), "{stdout}");
    assert!(stdout.contains("schemas not compared"), "{stdout}");
    assert!(markdown.contains("| worse | finding |"), "{markdown}");
    let (code, stdout, _) = compare("faulty.json", "clean.json");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("0 worse, 0 changed"), "{stdout}");
    let (code, stdout, _) = compare("clean.json", "clean.json");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("no difference"), "{stdout}");
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

/// The whole catalogue against a fresh mock, every step recorded (as `compare` runs it).
fn recorded(config: MockConfig) -> RunRecord {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, config);
    let config = scimcheck::RunConfig::for_mock(&mock)
        .record_steps()
        .build()
        .expect("a valid configuration");
    let outcome = runtime
        .block_on(scimcheck::run(config))
        .expect("suite runs");
    RunRecord::of(&outcome.report())
}

fn with_fault(fault: Fault) -> MockConfig {
    let mut config = MockConfig::default();
    config.faults.insert(fault);
    config
}

#[test]
fn step_by_step_a_fault_shows_as_the_shape_or_header_it_changes_and_two_clean_mocks_as_nothing() {
    let clean = recorded(MockConfig::default());
    assert!(
        clean.cases["users::create"].trace[0].shape.is_some(),
        "each step carries its shape"
    );
    let comparison = compare(&clean, &recorded(MockConfig::default()), None);
    assert_eq!(comparison.differences, [], "{comparison:#?}");

    let no_etag = compare(
        &clean,
        &recorded(with_fault(Fault::EtagHeaderMissing)),
        None,
    );
    let headers: Vec<_> = no_etag
        .differences
        .iter()
        .filter(|d| d.area == Area::Header)
        .collect();
    assert_eq!(headers.len(), 1, "one line for every step: {headers:#?}");
    assert_eq!(
        (
            headers[0].severity,
            headers[0].a.as_str(),
            headers[0].b.as_str()
        ),
        (Severity::Worse, "etag: W/[version]", "no etag")
    );
    assert!(
        headers[0].subject.contains("more step(s) in"),
        "{headers:#?}"
    );
    assert_eq!(
        subjects(&no_etag, Area::Shape),
        BTreeSet::new(),
        "bodies are alike"
    );

    let dropped = compare(
        &clean,
        &recorded(with_fault(Fault::SubAttributeDropped)),
        None,
    );
    let shapes: BTreeSet<(&str, &str)> = dropped
        .differences
        .iter()
        .filter(|d| d.area == Area::Shape)
        .map(|d| (d.a.as_str(), d.b.as_str()))
        .collect();
    assert!(
        shapes.contains(&("emails[].display: string", "no emails[].display")),
        "{shapes:#?}"
    );
    assert!(
        dropped
            .differences
            .iter()
            .filter(|d| matches!(d.area, Area::Shape | Area::Header | Area::Paging))
            .all(|d| d.severity == Severity::Worse && d.subject.starts_with("reread::")),
        "only the attribute the fault drops, where it is read back: {dropped:#?}"
    );
}

#[test]
fn a_snapshot_folder_stands_in_for_a_without_calling_it() {
    let scratch = common::Scratch::new("compare-snapshots");
    let scimcheck = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
        command.current_dir(&scratch.0).env("NO_COLOR", "1");
        command
    };
    let recorded = scimcheck()
        .args(["run", "users::", "--snapshots", "--snapshot-dir", "a"])
        .output()
        .expect("runs");
    assert_eq!(recorded.status.code(), Some(0), "{recorded:?}");
    let compare = |fault: &[&str]| {
        let output = scimcheck()
            .args(["compare", "--snapshots-of", "a", "users::"])
            .args(fault)
            .output()
            .expect("runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = compare(&[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("A: snapshots in a"), "{stdout}");
    assert!(stdout.contains("no difference"), "{stdout}");
    let (code, stdout) = compare(&["--against-mock-fault", "etag-header-missing"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("worse  header") && stdout.contains("no etag"),
        "{stdout}"
    );
}

#[test]
fn each_side_follows_its_contract() {
    // B requires emails; the Entra gallery contract fills them into every user created, so
    // under it the cases behave alike on both sides (only /Schemas still differs).
    let compare = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .args(["compare", "--against-mock-variation", "emails-required"])
            .args(extra)
            .args(["users::create", "users::replace"])
            .output()
            .expect("runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let without = compare(&[]);
    assert!(
        without.contains("worse  outcome  users::replace "),
        "{without}"
    );
    let with = compare(&["--contract", "contracts/entra-gallery.toml"]);
    assert!(!with.contains("outcome  users::"), "{with}");
    assert!(with.contains("User:emails required"), "{with}");
    // B's own contract, given apart, is followed on B alone.
    let apart = compare(&["--against-contract", "contracts/entra-gallery.toml"]);
    assert!(!apart.contains("outcome  users::"), "{apart}");
    assert!(
        apart.contains("changed  capability  patch yes (contract `entra-gallery`)"),
        "{apart}"
    );
}
