//! Create budgets for live tenants (`--max-creates`): each case's creations are read from its
//! steps, and the cases that would exceed the budget are skipped, the most valuable kept.

use serde_json::Value;

use super::Planned;
use crate::case::generate::runs;
use crate::case::template::Scope;
use crate::case::{Case, Level, Method};

/// How many resources `case` creates when the target accepts what it expects to be accepted:
/// a POST to a collection per run of its step, a POST operation per run of a Bulk step.
/// `declared` holds the variables a run count may read (`${maxFilterResults}`).
pub fn creates(case: &Case, declared: &Declared) -> u32 {
    case.spec
        .steps
        .iter()
        .map(|step| {
            let step = &step.value;
            let Some(request) = step.request.as_ref() else {
                return 0;
            };
            let accepted = step
                .expect
                .status
                .as_ref()
                .is_none_or(|s| s.allows(201) || s.allows(200));
            if request.method != Method::Post || !accepted || request.path.ends_with(".search") {
                return 0;
            }
            let per_run = if request.path.trim_end_matches('/').ends_with("/Bulk") {
                let operations = request
                    .body
                    .as_ref()
                    .and_then(|b| b.get("Operations"))
                    .and_then(Value::as_array);
                let posts = operations.into_iter().flatten().filter(|o| {
                    o.get("method")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                });
                u32::try_from(posts.count()).unwrap_or(u32::MAX)
            } else {
                1
            };
            // A count that cannot be known is taken as too many to afford.
            let times = runs(step.repeat.as_ref(), declared).unwrap_or(u32::MAX);
            per_run.saturating_mul(times)
        })
        .fold(0, u32::saturating_add)
}

/// The variables discovery and the contract define, as a plan-time scope.
pub struct Declared(Vec<(&'static str, Value)>);

impl Declared {
    pub fn new(variables: &[(&'static str, String)]) -> Declared {
        Declared(
            variables
                .iter()
                .map(|(name, value)| (*name, Value::from(value.as_str())))
                .collect(),
        )
    }
}

impl Scope for Declared {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn case_prefix(&self) -> &str {
        ""
    }
}

/// The order in which cases get the budget: what a broken target costs its users most first.
fn value_rank(level: Level) -> u8 {
    match level {
        Level::Must => 0,
        Level::Should => 1,
        Level::Idp => 2,
        Level::May => 3,
    }
}

/// Skips the cases that would take the run over `max` creations; the most valuable (by level,
/// then catalogue order) get the budget first, and a cheaper case later still runs if it fits.
/// Cases skipped already take nothing.
pub fn apply(planned: &mut [Planned], max: u32, declared: &Declared) {
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].skip.is_none())
        .collect();
    order.sort_by_key(|&i| (value_rank(planned[i].case.spec.level), planned[i].index));
    let mut used: u32 = 0;
    for i in order {
        let cost = creates(&planned[i].case, declared);
        match used.checked_add(cost).filter(|&total| total <= max) {
            Some(total) => used = total,
            None => {
                planned[i].skip = Some(format!(
                    "the run may create {max} resources (--max-creates), {used} are spent on more valuable cases, and this one creates {cost}"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::case::load::{CaseSource, load};
    use crate::case::template::MAX_FILTER_RESULTS;
    use crate::check::schema::SchemaRegistry;

    fn planned(level: &str, steps: &str, index: usize) -> Planned {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let sources = [CaseSource {
            relative: format!("area/case-{index}.yaml"),
            display: "x.yaml".into(),
            text: Arc::from(format!(
                "name: x\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: {level}\nsteps:\n{steps}"
            )),
        }];
        let case = load(&sources, &crate::suite::known_names(&schemas))
            .expect("case")
            .remove(0);
        Planned {
            case,
            index,
            skip: None,
        }
    }

    fn post(path: &str, status: u16, repeat: u32) -> String {
        format!(
            "  - name: s\n    repeat: {repeat}\n    request: {{ method: POST, path: {path}, body: {{ Operations: [{{ method: POST }}, {{ method: post }}, {{ method: DELETE }}] }} }}\n    expect: {{ status: {status} }}\n"
        )
    }

    #[test]
    fn creations_are_read_from_the_steps() {
        let cases = [
            (post("/Users", 201, 1), 1),
            (post("/Users", 201, 3), 3),
            (format!("{}{}", post("/Users", 201, 1), post("/Groups", 201, 2)), 3),
            // Two POST operations in a Bulk request, each run.
            (post("/Bulk", 200, 2), 4),
            // A refused create and a search create nothing.
            (post("/Users", 400, 1), 0),
            (post("/Users/.search", 200, 1), 0),
            ("  - name: s\n    request: { method: PUT, path: /Users/1 }\n    expect: { status: 200 }\n".to_owned(), 0),
            // A count declared by the contract, plus one; one nobody declared is unaffordable.
            ("  - name: s\n    repeat: { count: \"${maxFilterResults}\", plus: 1 }\n    request: { method: POST, path: /Users }\n    expect: { status: 201 }\n".to_owned(), 21),
            ("  - name: s\n    repeat: { count: \"${undeclared}\" }\n    request: { method: POST, path: /Users }\n    expect: { status: 201 }\n".to_owned(), u32::MAX),
        ];
        let declared = Declared::new(&[(MAX_FILTER_RESULTS, "20".into())]);
        for (steps, expected) in cases {
            assert_eq!(
                creates(&planned("MUST", &steps, 0).case, &declared),
                expected,
                "{steps}"
            );
        }
    }

    #[test]
    fn the_budget_goes_to_must_cases_first_and_to_cheaper_ones_that_still_fit() {
        let mut all = vec![
            planned("MAY", &post("/Users", 201, 1), 0),
            planned("SHOULD", &post("/Users", 201, 2), 1),
            planned("MUST", &post("/Users", 201, 2), 2),
            planned("IDP", &post("/Users", 201, 1), 3),
            planned(
                "MUST",
                "  - name: s\n    request: { method: GET, path: /Users }\n    expect: { status: 200 }\n",
                4,
            ),
            planned("MUST", &post("/Users", 201, 5), 5),
        ];
        all[5].skip = Some("the target does not advertise groups".into());
        apply(&mut all, 4, &Declared::new(&[]));
        let skips: Vec<Option<&str>> = all.iter().map(|p| p.skip.as_deref()).collect();
        assert_eq!(
            skips[0],
            Some(
                "the run may create 4 resources (--max-creates), 4 are spent on more valuable cases, and this one creates 1"
            )
        );
        assert_eq!(skips[1], None);
        assert_eq!(skips[2], None);
        assert_eq!(
            skips[3],
            Some(
                "the run may create 4 resources (--max-creates), 4 are spent on more valuable cases, and this one creates 1"
            )
        );
        assert_eq!(skips[4], None);
        assert_eq!(skips[5], Some("the target does not advertise groups"));
    }
}
