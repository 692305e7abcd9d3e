//! Zero false failures: the whole catalogue against each conformant variation of the mock must
//! pass. A case may be skipped, but only with a reason; a failure here is the harness's bug.

mod common;

use scimcheck::mock::{MockConfig, Variation};
use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;

#[test]
fn no_case_fails_against_a_conformant_variation() {
    let mut wrong = Vec::new();
    for &variation in Variation::ALL {
        let runtime = common::runtime();
        let mut config = MockConfig::default();
        config.variations.insert(variation);
        let mock = common::start_mock(&runtime, config);
        let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
        let (mut run, mut skipped) = (0, 0);
        for result in &outcome.results {
            match &result.outcome {
                CaseOutcome::Skipped(reason) => {
                    skipped += 1;
                    assert!(!reason.is_empty(), "{} skipped without a reason", result.id);
                }
                _ => run += 1,
            }
        }
        let failed = common::failed(&outcome.results);
        println!(
            "{:<24} run {run:>3}, skipped {skipped:>3}, failed {:>3}",
            variation.name(),
            failed.len()
        );
        for result in failed {
            if let CaseOutcome::Failed(message) = &result.outcome {
                wrong.push(format!("{} / {}:\n{message}", variation.name(), result.id));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
