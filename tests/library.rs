//! scimcheck inside a user's own async tests: the mock seeded, inspected and switched between
//! faults, and the catalogue run through the library API with structured results.

use std::net::SocketAddr;

use serde_json::json;

use scimcheck::mock::{Fault, MockConfig, MockServer, Seed};
use scimcheck::report::CaseOutcome;
use scimcheck::{Output, RunConfig};

async fn mock() -> MockServer {
    let config = MockConfig {
        record_requests: true,
        ..MockConfig::default()
    };
    MockServer::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("mock starts")
}

// A current-thread runtime is the harder case: the cases' blocking threads must drive their
// I/O through the test's own runtime.
#[tokio::test]
async fn a_seeded_mock_passes_a_selection_then_fails_it_once_a_fault_is_switched_on() {
    let mock = mock().await;
    let seed: Seed = serde_json::from_value(json!({
        "users": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}],
        "groups": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "staff", "members": [{"value": "alice"}]}]
    }))
    .expect("a seed");
    let seeded = mock.seed(&seed).expect("seeded");
    let alice = seeded.user_id("alice").expect("alice").to_owned();
    assert_eq!(seeded.groups[0]["members"][0]["value"], alice);

    let selection = || {
        RunConfig::for_mock(&mock)
            .filter("soft-delete::")
            .output(Output::Silent)
            .build()
            .expect("a valid configuration")
    };
    let clean = scimcheck::run(selection()).await.expect("runs");
    assert!(clean.results.len() > 3, "{:#?}", clean.results);
    let ran: Vec<_> = clean
        .results
        .iter()
        .filter(|r| r.id.starts_with("soft-delete::"))
        .collect();
    assert!(!ran.is_empty());
    for result in &ran {
        assert_eq!(result.outcome, CaseOutcome::Passed, "{}", result.id);
    }
    let report = clean.report();
    assert_eq!(report.verdict.exit_code, 0, "{}", report.verdict.headline);
    assert!(report.findings.is_empty());
    // Every case cleaned up after itself: only the seed is left.
    let left = mock.resources();
    assert_eq!(left.users.len(), 1, "{:#?}", left.users);
    assert_eq!(left.groups.len(), 1);
    // The request log saw the run's DELETEs, with the token redacted.
    let requests = mock.take_requests();
    assert!(requests.iter().any(|r| r.method == "DELETE"));
    let token = &mock.credentials().scim_token;
    assert!(requests.iter().all(|r| {
        !serde_json::to_string(r)
            .expect("JSON")
            .contains(token.as_str())
    }));

    mock.set_faults([Fault::DeleteOnlyDeactivates]);
    assert_eq!(mock.faults().len(), 1);
    let faulty = scimcheck::run(selection()).await.expect("runs");
    let failed: Vec<_> = faulty
        .results
        .iter()
        .filter(|r| matches!(r.outcome, CaseOutcome::Failed(_)))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        failed.contains(&"soft-delete::deleted-not-listed"),
        "{failed:?}"
    );
    assert_eq!(faulty.report().verdict.exit_code, 1);
}

#[test]
fn run_outside_a_runtime_is_an_error_not_a_panic() {
    let credentials = scimcheck::exec::client::Credentials {
        scim: "t".into(),
        api_key: None,
        other_tenant: None,
    };
    let config = RunConfig::builder("http://127.0.0.1:9/scim/v2", credentials)
        .build()
        .expect("a valid configuration");
    let outcome = futures_util::FutureExt::now_or_never(scimcheck::run(config));
    assert!(
        matches!(outcome, Some(Err(scimcheck::SuiteError::NoRuntime))),
        "{outcome:?}"
    );
}

#[test]
fn a_bad_setting_is_refused_when_built() {
    let credentials = scimcheck::exec::client::Credentials {
        scim: "t".into(),
        api_key: None,
        other_tenant: None,
    };
    let built = RunConfig::builder("http://127.0.0.1:9/scim/v2", credentials.clone())
        .test_threads(0)
        .build();
    assert!(matches!(built, Err(scimcheck::ConfigError::NoThreads)));
    let built = RunConfig::builder("http://127.0.0.1:9/scim/v2", credentials)
        .client(scimcheck::exec::client::ClientOptions {
            retries: 99,
            ..Default::default()
        })
        .build();
    assert!(
        matches!(built, Err(scimcheck::ConfigError::Client(_))),
        "{built:?}"
    );
}
