//! Contracts end to end: the mock configured like a vendor's documented contract passes the
//! catalogue with the contract (its departure from an RFC MUST acknowledged in every report)
//! and fails predictably without it; a user's own cases run beside the catalogue.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use scimcheck::mock::{Fault, MockConfig, Variation};
use scimcheck::plan::PlanOptions;
use scimcheck::report::{self, CaseOutcome};

/// The clause that makes PUT a MUST, which a refused PUT breaks.
const PUT_CLAUSE: &str = "RFC 7644 §3.5.1";
use scimcheck::suite::CaseSource;

/// The mock behaving as `contracts/lightstep.toml` documents: userName an email, emails
/// required, read-only groups, `userName eq` the only filter, cursor paging only, no Bulk, and
/// PUT refused (the `no-put` fault: without the contract, that is a finding).
fn lightstep_mock() -> MockConfig {
    let mut config = MockConfig::default();
    config.faults.insert(Fault::NoPut);
    config.variations.extend([
        Variation::UserNameEmail,
        Variation::EmailsRequired,
        Variation::ReadOnlyGroups,
        Variation::FilterUserNameEqOnly,
        Variation::CursorOnly,
        Variation::NoBulk,
    ]);
    config
}

fn with_lightstep() -> PlanOptions {
    let contract = common::contract("contracts/lightstep.toml");
    PlanOptions {
        contract: Some(Arc::new(contract)),
        ..PlanOptions::default()
    }
}

fn outcome_of(id: &str, results: &[scimcheck::report::CaseResult]) -> CaseOutcome {
    results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} ran"))
        .outcome
        .clone()
}

#[test]
fn a_target_like_the_lightstep_contract_passes_with_it_and_fails_without_it() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, lightstep_mock());
    let outcome = common::run_suite(&runtime, &mock, with_lightstep(), false);
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert!(failed.is_empty(), "failed with the contract: {failed:?}");
    let passed = outcome
        .results
        .iter()
        .filter(|r| r.outcome == CaseOutcome::Passed)
        .count();
    assert!(passed > 50, "only {passed} cases ran and passed");
    // Users were created with the emails the contract fills in.
    assert_eq!(
        outcome_of("users::create", &outcome.results),
        CaseOutcome::Passed
    );
    let skipped_for = |needle: &str| {
        outcome
            .results
            .iter()
            .filter(|r| matches!(&r.outcome, CaseOutcome::Skipped(why) if why.contains(needle)))
            .count()
    };
    assert!(skipped_for("the contract `lightstep` makes groups read-only") > 0);
    assert!(
        skipped_for(
            "the contract `lightstep` rules out put (an acknowledged deviation from RFC 7644 §3.5.1"
        ) > 0
    );
    assert!(skipped_for("the contract `lightstep` supports only the filters `userName eq`") > 0);

    // The contract overrides the probe, which PUT refused: the cases about PUT skip too.
    assert!(
        matches!(outcome_of("users::replace", &outcome.results),
            CaseOutcome::Skipped(why) if why.starts_with("the contract `lightstep` rules out put")),
        "{:?}",
        outcome_of("users::replace", &outcome.results)
    );
    // The departure from PUT's MUST is shown, and is no failure: an acknowledged deviation,
    // not the finding it is without the contract.
    let facts = &outcome.facts;
    assert!(
        facts
            .capability_matrix
            .contains("put no (contract `lightstep`)"),
        "{}",
        facts.capability_matrix
    );
    let report = outcome.report();
    assert_eq!(report.verdict.exit_code, 0, "{:#?}", report.verdict);
    assert!(
        report.findings.iter().all(|f| f.clause != PUT_CLAUSE),
        "{:#?}",
        report.findings
    );
    let console = report::render(&report::console::Console, &report);
    assert!(
        console.contains("acknowledged deviation: no put, which RFC 7644 §3.5.1 requires: the contract `lightstep` says users are updated with PATCH only"),
        "{console}"
    );
    let json = report::render(&report::json::Json, &report);
    assert!(json.contains("\"acknowledged\""), "{json}");

    // Without the contract, the same target fails where the contract would have told.
    let mock = common::start_mock(&runtime, lightstep_mock());
    let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
    for (id, status) in [
        ("config::advertised-etag-works", "400"),
        ("groups::create", "501"),
    ] {
        match outcome_of(id, &outcome.results) {
            CaseOutcome::Failed(message) => assert!(
                message.contains(&format!("response: {status} ")),
                "{id}: {message}"
            ),
            other => panic!("{id} did not fail without the contract: {other:?}"),
        }
    }
    let facts = &outcome.facts;
    assert!(facts.acknowledged.is_empty());
    // The refused PUT is the one finding under its MUST.
    let report = outcome.report();
    let put: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.clause == PUT_CLAUSE)
        .collect();
    assert_eq!(put.len(), 1, "{:#?}", report.findings);
    assert!(
        put[0].statement().contains("refused with 405"),
        "{}",
        put[0].statement()
    );
}

#[test]
fn a_vendor_case_runs_beside_the_catalogue_and_fails_on_a_target_that_breaks_the_rule() {
    let cases = CaseSource::Dirs {
        builtin: false,
        dirs: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contracts/cases")],
    };
    let id = "lightstep::username-not-email";
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, lightstep_mock());
    let outcome = common::run_with_cases(&runtime, &mock, cases.clone(), with_lightstep());
    assert_eq!(outcome_of(id, &outcome.results), CaseOutcome::Passed);
    // A target that takes any userName fails it.
    let mock = common::start_mock(&runtime, MockConfig::default());
    let outcome = common::run_with_cases(&runtime, &mock, cases, with_lightstep());
    match outcome_of(id, &outcome.results) {
        CaseOutcome::Failed(message) => {
            assert!(message.contains("expected 400, got 201"), "{message}")
        }
        other => panic!("{id} passed against a target taking any userName: {other:?}"),
    }
}

#[test]
fn the_readme_shows_the_vendor_case_and_a_contract_as_they_are() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let case =
        std::fs::read_to_string(root.join("contracts/cases/lightstep/username-not-email.yaml"))
            .expect("case");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("```yaml\n{case}```")),
        "README's copy of the vendor case differs"
    );
    // The contract the README shows is one.
    let block = readme
        .split("```toml contract\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README shows a contract");
    let path = std::env::temp_dir().join(format!("scimcheck-readme-{}.toml", std::process::id()));
    std::fs::write(&path, block).expect("written");
    let loaded = scimcheck::contract::Contract::load(&path);
    std::fs::remove_file(&path).ok();
    let contract = loaded.expect("README's contract loads");
    assert_eq!(contract.name, "acme");
    assert_eq!(contract.deviations.len(), 1);
}

#[test]
fn a_create_budget_is_kept_and_spent_on_the_most_valuable_cases_first() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let plan = PlanOptions {
        max_creates: Some(10),
        ..PlanOptions::default()
    };
    let outcome = common::run_suite(&runtime, &mock, plan, false);
    let created = mock.created_resources();
    assert!(created <= 10, "the mock counted {created} creations");
    assert!(created > 0, "nothing was created");
    assert!(common::failed(&outcome.results).is_empty());
    let facts = &outcome.facts;
    assert_eq!(u64::from(facts.created), created);
    let over: Vec<&str> = outcome
        .results
        .iter()
        .filter(
            |r| matches!(&r.outcome, CaseOutcome::Skipped(why) if why.contains("(--max-creates)")),
        )
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        over.len() > 100,
        "only {} cases over the budget",
        over.len()
    );
    let console = report::render(&report::console::Console, &outcome.report());
    assert!(
        console.contains(&format!(
            "{created} resource(s) created of at most 10 (--max-creates)"
        )),
        "{console}"
    );
}

#[test]
fn lists_served_a_second_stale_pass_with_a_settle_window_and_fail_without() {
    let runtime = common::runtime();
    let stale = || {
        let mut config = MockConfig::default();
        config.variations.insert(Variation::StaleLists);
        common::start_mock(&runtime, config)
    };
    let mock = stale();
    let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
    let failed = common::failed(&outcome.results);
    assert!(
        !failed.is_empty(),
        "strict mode failed no case on stale lists"
    );
    let mock = stale();
    let plan = PlanOptions {
        settle: Some(std::time::Duration::from_secs(2)),
        ..PlanOptions::default()
    };
    let outcome = common::run_suite(&runtime, &mock, plan, false);
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "failed within the settle window: {failed:?}"
    );
    let facts = &outcome.facts;
    assert!(
        facts.settled >= std::time::Duration::from_millis(500)
            && facts.settled < std::time::Duration::from_secs(2),
        "consistency took {:?}",
        facts.settled
    );
    let console = report::render(&report::console::Console, &outcome.report());
    assert!(
        console.contains("settle window 2.0s: the slowest read became consistent after"),
        "{console}"
    );
}

/// The mock labelling its responses application/json (`json-content-type`), recording what it
/// is sent.
fn json_responses_mock(faults: &[Fault]) -> MockConfig {
    let mut config = MockConfig {
        record_requests: true,
        ..MockConfig::default()
    };
    config.variations.insert(Variation::JsonContentType);
    config.faults.extend(faults.iter().copied());
    config
}

const TENANT_KEY: &str = "t3nant-k3y-s3cret-81f0";

/// `tests/contract_fixtures/json-responses.toml` plus a secret tenant key from the environment.
fn json_responses_contract() -> PlanOptions {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/contract_fixtures/json-responses.toml"))
        .expect("fixture");
    let path = std::env::temp_dir().join(format!("scimcheck-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        format!("{text}\n[headers.request-env]\nX-Tenant-Key = \"ACME_TENANT_KEY\"\n"),
    )
    .expect("written");
    let contract = scimcheck::contract::Contract::load_with_env(&path, &|var| {
        (var == "ACME_TENANT_KEY").then(|| TENANT_KEY.to_owned())
    })
    .expect("contract loads");
    std::fs::remove_file(path).ok();
    PlanOptions {
        contract: Some(Arc::new(contract)),
        ..PlanOptions::default()
    }
}

#[test]
fn a_documented_response_media_type_is_an_acknowledged_deviation_not_a_hidden_one() {
    const CASE: &str = "content-type::response-scim-json";
    let runtime = common::runtime();
    // Without the contract, application/json responses fail the case about them.
    let mock = common::start_mock(&runtime, json_responses_mock(&[]));
    let outcome = common::run_suite_filtered(&runtime, &mock, CASE);
    match outcome_of(CASE, &outcome.results) {
        CaseOutcome::Failed(message) => {
            assert!(message.contains("`application/json`"), "{message}")
        }
        other => panic!("{CASE} did not fail without the contract: {other:?}"),
    }

    // With it, the catalogue passes; the case is skipped naming the contract and its reason,
    // and every report states the deviation.
    let mock = common::start_mock(&runtime, json_responses_mock(&[]));
    let outcome = common::run_suite(&runtime, &mock, json_responses_contract(), false);
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert!(failed.is_empty(), "failed with the contract: {failed:?}");
    match outcome_of(CASE, &outcome.results) {
        CaseOutcome::Skipped(why) => assert_eq!(
            why,
            "the contract `json-responses` documents responses labelled application/json (an acknowledged deviation from RFC 7644 §3.1, §8.1: the API documents application/json as the type of every response), and the case expects another Content-Type"
        ),
        other => panic!("{CASE} was not skipped: {other:?}"),
    }
    let report = outcome.report();
    assert_eq!(report.verdict.exit_code, 0);
    let console = report::render(&report::console::Console, &report);
    assert!(
        console.contains("acknowledged deviation: no application/scim+json responses, which RFC 7644 §3.1, §8.1 requires: the contract `json-responses` says the API documents"),
        "{console}"
    );

    // Every SCIM request carried the contract's headers, the secret one as configured.
    let requests = mock.requests();
    assert!(requests.len() > 100);
    for request in requests.iter().filter(|r| r.path.starts_with("/scim/v2/")) {
        let header = |name: &str| {
            request
                .request_headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            header("x-tenant"),
            Some("acme"),
            "{} {}",
            request.method,
            request.path
        );
        assert_eq!(header("x-tenant-key"), Some(TENANT_KEY));
    }
}

#[test]
fn a_secret_contract_header_is_redacted_in_every_report() {
    let runtime = common::runtime();
    // A fault makes cases fail, so that reports show their requests, headers and all.
    let mock = common::start_mock(&runtime, json_responses_mock(&[Fault::PatchNotApplied]));
    let outcome = common::run_suite(&runtime, &mock, json_responses_contract(), false);
    let report = outcome.report();
    assert_eq!(report.verdict.exit_code, 1);
    let json = report::render(&report::json::Json, &report);
    assert!(json.contains("[REDACTED contract header]"), "{json}");
    for written in [
        json,
        report::render(&report::console::Console, &report),
        report::render(
            &report::junit::Junit {
                hostname: "ci".to_owned(),
            },
            &report,
        ),
    ] {
        assert!(!written.contains(TENANT_KEY));
    }
}

#[test]
fn a_json_only_contract_sends_application_json_and_skips_what_insists_on_scim_json() {
    let runtime = common::runtime();
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            record_requests: true,
            ..MockConfig::default()
        },
    );
    let path = std::env::temp_dir().join(format!("scimcheck-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        "name = \"json-only\"\nsource = \"tests\"\n[headers]\nmedia-type = \"application/json\"\n[deviations]\nmedia-type = \"the API takes application/json only\"\n",
    )
    .expect("written");
    let contract = scimcheck::contract::Contract::load(&path).expect("contract loads");
    std::fs::remove_file(path).ok();
    let plan = PlanOptions {
        contract: Some(Arc::new(contract)),
        ..PlanOptions::default()
    };
    let outcome = common::run_suite(&runtime, &mock, plan, false);
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert!(failed.is_empty(), "failed with the contract: {failed:?}");
    assert!(
        matches!(outcome_of("content-type::request-charset", &outcome.results),
            CaseOutcome::Skipped(why) if why.starts_with("the contract `json-only` accepts only application/json (an acknowledged deviation from RFC 7644 §3.8")),
        "{:?}",
        outcome_of("content-type::request-charset", &outcome.results)
    );
    let scim_json: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/scim/v2/"))
        .flat_map(|r| {
            r.request_headers
                .iter()
                .filter(|(n, v)| {
                    (n == "content-type" || n == "accept") && v.contains("application/scim+json")
                })
                .map(move |(n, v)| format!("{} {}: {n}: {v}", r.method, r.path))
        })
        .collect();
    assert!(scim_json.is_empty(), "{scim_json:#?}");
}

#[test]
fn a_contract_run_is_not_compared_with_the_plain_targets_snapshots() {
    // From the crate's root, where `snapshots/mock` is committed: the contract fills emails into
    // every created user, which the stored `users::create` snapshot does not hold.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--contract",
            "contracts/lightstep.toml",
            "users::create",
            "--exact",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let new = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots/mock/users/create--step-2.snap.new");
    assert!(!new.exists(), "a snapshot was written for the plain mock");
}
