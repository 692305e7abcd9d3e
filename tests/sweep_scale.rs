//! Sweep on a tenant with many users: it finds the leftovers with a filter and never lists
//! the tenant, counted in requests the mock saw.

mod common;

use scimcheck::exec::client::{ClientOptions, Target};
use scimcheck::exec::sweep;
use scimcheck::mock::{Fault, MockConfig, MockServer, Seed};
use serde_json::{Value, json};

/// Users no run created: a hundred pages at the sweep's page size of 100, which a sweep that
/// walked the tenant would have to read.
const OTHERS: usize = 10_000;
const LEFTOVERS: [(&str, &str); 3] = [
    ("/Users", "scimcheck-deadbeef-001-left@example.com"),
    ("/Users", "scimcheck-deadbeef-002-right@example.com"),
    ("/Groups", "scimcheck-deadbeef-003-team"),
];

fn target(mock: &MockServer) -> Target {
    let options = ClientOptions {
        concurrency: Some(16),
        ..ClientOptions::default()
    };
    Target::new(
        mock.base_url(),
        scimcheck::suite::mock_credentials(mock),
        &options,
    )
    .expect("target")
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

/// A tenant of [`OTHERS`] users and then the leftovers, loaded through the seed API as their
/// `POST`s would create them; the sweep plan and the requests it took.
fn sweep_tenant(config: MockConfig) -> (sweep::Plan, u64) {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, config);
    let mut seed = Seed {
        users: (0..OTHERS)
            .map(|i| user(&format!("employee-{i:05}@customer.example")))
            .collect(),
        groups: Vec::new(),
    };
    for (collection, name) in LEFTOVERS {
        if collection == "/Groups" {
            seed.groups.push(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": name,
            }));
        } else {
            seed.users.push(user(name));
        }
    }
    mock.seed(&seed).expect("the seed loads");
    let target = target(&mock);
    let before = mock.request_count();
    let plan = runtime
        .block_on(sweep::find(&target, None, sweep::DEFAULT_PREFIX))
        .expect("sweep plan");
    (plan, mock.request_count() - before)
}

#[test]
fn sweep_finds_leftovers_with_one_filtered_page_per_collection() {
    let (plan, requests) = sweep_tenant(MockConfig::default());
    let mut found: Vec<&str> = plan.leftovers.iter().map(|l| l.label.as_str()).collect();
    found.sort_unstable();
    let mut expected: Vec<&str> = LEFTOVERS.iter().map(|(_, name)| *name).collect();
    expected.sort_unstable();
    assert_eq!(found, expected, "{:?}", plan.skipped);
    // One filtered page of Users, one of Groups, then each leftover read before deletion.
    assert_eq!(requests, 2 + 3, "{:?}", plan.skipped);
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
}

#[test]
fn sweep_does_not_walk_a_tenant_whose_server_ignores_the_filter() {
    let (plan, requests) = sweep_tenant(MockConfig::with_faults([Fault::FilterIgnored]));
    // The first page of each collection and no further (walking the Users would take a
    // hundred), then the one Group found there read.
    assert_eq!(requests, 2 + 1, "{:?}", plan.skipped);
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.starts_with("/Users: the target ignored the filter `userName sw")),
        "{:?}",
        plan.skipped
    );
}
