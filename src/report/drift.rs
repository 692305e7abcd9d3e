//! Snapshot drift as every writer shows it: the tally, and each drifted step with the
//! attributes that changed.

use super::CaseResult;
use crate::check::snapshot::Drift;

/// Changes named per step; the rest are counted.
const SHOWN: usize = 6;

/// Snapshots unchanged, new and drifted across the run; `None` when the run recorded none.
pub fn tally(results: &[CaseResult]) -> Option<(u32, u32, usize)> {
    let (same, new, drifted) = results.iter().fold((0, 0, 0), |(s, n, d), r| {
        (
            s + r.snapshots.same,
            n + r.snapshots.new,
            d + r.snapshots.drift.len(),
        )
    });
    (same + new > 0 || drifted > 0).then_some((same, new, drifted))
}

/// `step 2 (read it back): /body/emails/0/display removed, … [users/get--step-2]`.
pub fn describe(drift: &Drift) -> String {
    let mut changes: Vec<String> = drift
        .changes
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect();
    if drift.changes.len() > SHOWN {
        changes.push(format!("and {} more", drift.changes.len() - SHOWN));
    }
    format!(
        "step {} ({}): {} [{}]",
        drift.step,
        drift.step_name,
        changes.join(", "),
        drift.snapshot
    )
}

/// Every drifted step, by case: `(case id, description)`.
pub fn lines(results: &[CaseResult]) -> Vec<(&str, String)> {
    results
        .iter()
        .flat_map(|r| {
            r.snapshots
                .drift
                .iter()
                .map(move |d| (r.id.as_str(), describe(d)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::check::drift::{Change, ChangeKind};
    use crate::report::{CaseOutcome, sample_result};

    #[test]
    fn a_drifted_step_names_its_case_step_and_changed_attributes() {
        let mut result = sample_result("users::get", Level::Must, CaseOutcome::Passed);
        assert_eq!(tally(std::slice::from_ref(&result)), None);
        result.snapshots.same = 3;
        result.snapshots.drift = vec![Drift {
            step: 2,
            step_name: "read it back".into(),
            snapshot: "users/get--step-2".into(),
            changes: (0..8)
                .map(|n| Change {
                    pointer: format!("/body/a{n}"),
                    kind: ChangeKind::Removed,
                })
                .collect(),
        }];
        let results = [result];
        assert_eq!(tally(&results), Some((3, 0, 1)));
        let lines = lines(&results);
        assert_eq!(lines[0].0, "users::get");
        assert_eq!(
            lines[0].1,
            "step 2 (read it back): /body/a0 removed, /body/a1 removed, /body/a2 removed, \
             /body/a3 removed, /body/a4 removed, /body/a5 removed, and 2 more [users/get--step-2]"
        );
    }
}
