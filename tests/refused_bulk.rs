//! A Bulk request over the target's limits must apply nothing (RFC 7644 §3.7.4); one that was
//! refused but applied some operations anyway leaves users no BulkResponse names. The run finds
//! them by name, records them in the cleanup ledger and deletes them.

mod common;

use scimcheck::mock::{Fault, MockConfig};

#[test]
fn users_a_refused_bulk_request_created_anyway_are_recorded_and_deleted() {
    let runtime = common::runtime();
    let config = MockConfig::with_faults([Fault::BulkAppliedBefore413]);
    let applied = config.bulk_max_operations;
    let mock = common::start_mock(&runtime, config);
    let scratch = common::Scratch::new("refused-bulk");
    let ledger = scratch.path("ledger.jsonl");
    let outcome = common::run_suite_with_ledger(&runtime, &mock, "bulk::max-operations", &ledger);
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(failed, ["bulk::max-operations"]);
    assert!(
        outcome
            .results
            .iter()
            .all(|r| r.cleanup_problems.is_empty()),
        "{:?}",
        outcome.results
    );
    assert_eq!(common::users_with_prefix(&runtime, &mock, "scimcheck-"), 0);
    let lines = std::fs::read_to_string(&ledger).expect("ledger");
    let count = |event: &str| lines.matches(&format!("\"event\":\"{event}\"")).count();
    assert_eq!((count("created"), count("deleted")), (applied, applied));
}
