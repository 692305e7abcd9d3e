//! The bundled catalogue against the clean embedded mock: every case passes, or is skipped
//! with a reason.

mod common;

use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;

#[test]
fn every_case_passes_against_the_clean_mock() {
    let outcome = common::run_against_mock(&[], PlanOptions::default());
    assert!(!outcome.results.is_empty(), "no case ran");
    let failures: Vec<String> = common::failed(&outcome.results)
        .iter()
        .map(|r| match &r.outcome {
            CaseOutcome::Failed(message) => message.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert!(
        failures.is_empty(),
        "cases failed against the clean mock:\n{}",
        failures.join("\n\n")
    );
    for result in &outcome.results {
        if let CaseOutcome::Skipped(reason) = &result.outcome {
            assert!(!reason.is_empty(), "{} skipped without a reason", result.id);
            println!("skipped {}: {reason}", result.id);
        }
        assert!(
            result.cleanup_problems.is_empty(),
            "{}: {:?}",
            result.id,
            result.cleanup_problems
        );
    }
    assert_eq!(outcome.report().verdict.exit_code, 0);
}
