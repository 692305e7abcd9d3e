//! Sweep on a tenant with many users: it finds the leftovers with a filter and never lists
//! the tenant, counted in requests the mock saw.

mod common;

use futures_util::future::join_all;
use scimcheck::case::{Auth, Method};
use scimcheck::exec::client::{ClientOptions, Target};
use scimcheck::exec::sweep;
use scimcheck::mock::{Fault, MockConfig, MockServer};

/// Users no run created: three pages' worth at the sweep's page size of 100.
const OTHERS: usize = 250;
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

async fn create(target: &Target, collection: &str, name: &str) {
    let body = if collection == "/Groups" {
        format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"{name}"}}"#
        )
    } else {
        format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{name}"}}"#
        )
    };
    let exchange = target
        .send(
            Method::Post,
            &target.url(collection),
            &[],
            &[],
            Some(body),
            Auth::Scim,
        )
        .await
        .expect("create");
    assert_eq!(exchange.response.status, 201, "{}", exchange.response.body);
}

/// A tenant of [`OTHERS`] users and then the leftovers; the sweep plan and the requests it took.
fn sweep_tenant(config: MockConfig) -> (sweep::Plan, u64) {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, config);
    let target = target(&mock);
    runtime.block_on(async {
        let others = (0..OTHERS).map(|i| format!("employee-{i:04}@customer.example"));
        let target = &target;
        join_all(others.map(|name| async move { create(target, "/Users", &name).await })).await;
        for (collection, name) in LEFTOVERS {
            create(target, collection, name).await;
        }
        let before = mock.request_count();
        let plan = sweep::find(target, None, sweep::DEFAULT_PREFIX)
            .await
            .expect("sweep plan");
        (plan, mock.request_count() - before)
    })
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
    // The first page of each collection and no further (walking the Users would take three),
    // then the one Group found there read.
    assert_eq!(requests, 2 + 1, "{:?}", plan.skipped);
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.starts_with("/Users: the target ignored the filter `userName sw")),
        "{:?}",
        plan.skipped
    );
}
