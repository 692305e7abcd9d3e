//! Which case starts first, and whose request goes first. Against a distant target a run takes
//! at least its longest chain of dependent round trips: the cases with the longest chains start
//! first, and while requests queue for room under the concurrency limit, the request of the
//! case with the most round trips left goes first (see `limit::Limiter`).

use crate::case::Case;
use crate::case::model::{Method, Repeat, Step};

use super::limit::CHAIN_LEFT;

/// Pages a walk counts for when its case does not say how many items it yields.
const WALK_PAGES: u32 = 2;

/// Round trips one after another that `step` costs (a `concurrent` repeat costs one).
fn round_trips(step: &Step) -> u32 {
    // A count known only at run time is a guess either way; one keeps the order stable.
    let times = match step.repeat {
        Some(Repeat::Times(times)) => times,
        _ => 1,
    };
    if let Some(walk) = &step.walk {
        let pages = walk
            .total
            .map_or(WALK_PAGES, |total| total.div_ceil(walk.count.max(1)).max(1));
        times.saturating_mul(pages)
    } else if step.request.is_none() {
        0
    } else if step.concurrent {
        1
    } else {
        times
    }
}

/// The teardown's round trips: one if the case creates anything.
pub(crate) fn teardown_round_trips(case: &Case) -> u32 {
    let creates = case.spec.steps.iter().any(|step| {
        step.value
            .request
            .as_ref()
            .is_some_and(|r| r.method == Method::Post)
    });
    u32::from(creates)
}

/// Round trips left before each step (`[i]` before step `i`), the teardown's included.
pub(crate) fn chain_left(case: &Case) -> Vec<u32> {
    let mut left = vec![teardown_round_trips(case)];
    for step in case.spec.steps.iter().rev() {
        let after = left.last().copied().unwrap_or(0);
        left.push(after.saturating_add(round_trips(&step.value)));
    }
    left.reverse();
    left
}

/// The order to start `cases` in: longest chain first, catalogue order among equals.
pub(crate) fn longest_first<'a>(cases: impl Iterator<Item = &'a Case>) -> Vec<usize> {
    let chains: Vec<u32> = cases.map(|case| chain_left(case)[0]).collect();
    let mut order: Vec<usize> = (0..chains.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(chains[i]));
    order
}

/// The case sending from this task has `left` round trips to go.
pub(crate) fn now_left(left: u32) {
    // Outside a case (discovery, probes) nothing is ranked.
    let _ = CHAIN_LEFT.try_with(|cell| cell.set(left));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::case::KnownNames;
    use crate::case::load::{CaseSource, load};

    fn case(name: &str, steps: &str) -> Case {
        let text = format!(
            "name: {name}\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: MUST\nsteps:\n{steps}"
        );
        let sources = [CaseSource {
            relative: format!("users/{name}.yaml"),
            display: format!("cases/users/{name}.yaml"),
            text: Arc::from(text),
        }];
        load(&sources, &KnownNames::default())
            .expect("a valid case")
            .remove(0)
    }

    const GET: &str = "    request: { method: GET, path: /Users }\n";
    const POST: &str = "    request: { method: POST, path: /Users, body: {} }\n";

    #[test]
    fn the_chain_counts_each_dependent_round_trip_and_the_teardown() {
        let table = [
            // (steps, round trips left before each step, then the teardown's)
            (format!("  - name: a\n{GET}"), vec![1, 0]),
            (
                format!("  - name: a\n{POST}  - name: b\n{GET}"),
                vec![3, 2, 1],
            ),
            (
                format!("  - name: a\n    repeat: 5\n{POST}  - name: b\n{GET}"),
                vec![7, 2, 1],
            ),
            (
                format!("  - name: a\n    repeat: 50\n    concurrent: true\n{POST}"),
                vec![2, 1],
            ),
            (
                "  - name: w\n    walk: { path: /Users, count: 10, total: 35 }\n".to_owned(),
                vec![4, 0],
            ),
            (
                "  - name: w\n    walk: { path: /Users, count: 10 }\n".to_owned(),
                vec![WALK_PAGES, 0],
            ),
        ];
        for (steps, expected) in table {
            assert_eq!(chain_left(&case("x", &steps)), expected, "{steps}");
        }
    }

    #[test]
    fn the_longest_chain_starts_first_and_equals_keep_their_order() {
        let cases = [
            case("one", &format!("  - name: a\n{GET}")),
            case("three", &format!("  - name: a\n    repeat: 3\n{GET}")),
            case("also-one", &format!("  - name: a\n{GET}")),
            case("two", &format!("  - name: a\n{POST}")),
        ];
        assert_eq!(longest_first(cases.iter()), [1, 3, 0, 2]);
    }
}
