//! Two runs step by step: for every request both sent (same case, step and place in the step,
//! same status), the response's shape after normalization, the headers that matter and the
//! paging numbers. A difference a target makes everywhere (an attribute it never returns) is
//! one line with the steps it was seen in, not one line per step.

use std::collections::BTreeMap;

use serde_json::Value;

use super::diff::{Area, Difference, Severity};
use super::record::SentRecord;
use crate::check::assert::resolve;
use crate::check::drift::{self, ChangeKind};

/// One difference at one step, before differences alike are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDifference {
    pub severity: Severity,
    pub area: Area,
    /// `users::create step 2` (`step 2.3` for the third request of a step that sends several).
    pub step: String,
    pub case: String,
    pub a: String,
    pub b: String,
}

/// The differences between the recorded steps of one case on A and on B. With `statuses`, a
/// step answered with another status is one too (a snapshot folder has no outcomes to say so).
pub fn compare(
    case: &str,
    a: &[SentRecord],
    b: &[SentRecord],
    statuses: bool,
) -> Vec<StepDifference> {
    let keyed = |trace: &[SentRecord]| -> BTreeMap<(u32, u32), SentRecord> {
        trace.iter().map(|s| ((s.step, s.nth), s.clone())).collect()
    };
    let (a, b) = (keyed(a), keyed(b));
    let mut out = Vec::new();
    for (key, x) in &a {
        let Some(y) = b.get(key) else { continue };
        let step = match key.1 {
            0 | 1 => format!("{case} step {}", key.0),
            nth => format!("{case} step {}.{nth}", key.0),
        };
        let mut push = |severity, area, a: String, b: String| {
            out.push(StepDifference {
                severity,
                area,
                step: step.clone(),
                case: case.to_owned(),
                a,
                b,
            });
        };
        if x.status != y.status {
            if statuses {
                let said = |s: &SentRecord| format!("{} → {}", s.method, s.status);
                push(Severity::Changed, Area::Status, said(x), said(y));
            }
            // Another status explains another body and other headers.
            continue;
        }
        if let (Some(shape_a), Some(shape_b)) = (&x.shape, &y.shape) {
            for (severity, a, b) in shapes(shape_a, shape_b) {
                push(severity, Area::Shape, a, b);
            }
        }
        if let (Some(headers_a), Some(headers_b)) = (&x.headers, &y.headers) {
            let names: std::collections::BTreeSet<&String> =
                headers_a.keys().chain(headers_b.keys()).collect();
            for name in names {
                let shown = |value: Option<&String>| match value {
                    Some(value) => format!("{name}: {}", any_id(value)),
                    None => format!("no {name}"),
                };
                let (va, vb) = (headers_a.get(name), headers_b.get(name));
                let severity = match (va, vb) {
                    (Some(_), None) => Severity::Worse,
                    // A header only B sends is no improvement in itself (a Location on a list).
                    (None, Some(_)) => Severity::Changed,
                    _ if va != vb => Severity::Changed,
                    _ => continue,
                };
                push(severity, Area::Header, shown(va), shown(vb));
            }
        }
        if let (Some(Value::Object(pa)), Some(Value::Object(pb))) = (&x.paging, &y.paging) {
            for (name, va) in pa {
                let vb = pb.get(name).unwrap_or(&Value::Null);
                if va != vb {
                    push(
                        Severity::Changed,
                        Area::Paging,
                        format!("{name} {va}"),
                        format!("{name} {vb}"),
                    );
                }
            }
        }
    }
    out
}

/// `[id-7]` as `[id]`: which of the case's resources a Location names is the same on both
/// sides, and a difference in the rest of it (a path) is then one line for every step.
fn any_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("[id-") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str("[id]");
            rest = &after[digits + 1..];
        } else {
            out.push_str("[id-");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// What differs between two shapes, as `(severity, A, B)`: B lacking or retyping what A has is
/// worse; what B adds is a change (it may be a projection B ignores), not an improvement.
fn shapes(a: &Value, b: &Value) -> Vec<(Severity, String, String)> {
    drift::diff(a, b)
        .into_iter()
        .map(|change| {
            let path = attribute(&change.pointer);
            let type_at = |shape: &Value| {
                resolve(shape, &change.pointer)
                    .map(|v| {
                        v.as_str()
                            .map_or_else(|| drift::type_name(v).to_owned(), str::to_owned)
                    })
                    .unwrap_or_default()
            };
            match change.kind {
                ChangeKind::Removed => (
                    Severity::Worse,
                    format!("{path}: {}", type_at(a)),
                    format!("no {path}"),
                ),
                ChangeKind::Added => (
                    Severity::Changed,
                    format!("no {path}"),
                    format!("{path}: {}", type_at(b)),
                ),
                ChangeKind::CaseChanged => (
                    Severity::Worse,
                    path.clone(),
                    respelled(b, &change.pointer)
                        .unwrap_or_else(|| format!("{path} in another case")),
                ),
                ChangeKind::TypeChanged | ChangeKind::ValueChanged => (
                    Severity::Worse,
                    format!("{path}: {}", type_at(a)),
                    format!("{path}: {}", type_at(b)),
                ),
            }
        })
        .collect()
}

/// How B spells the attribute at `pointer` (A's spelling).
fn respelled(b: &Value, pointer: &str) -> Option<String> {
    let (parent, key) = pointer.rsplit_once('/')?;
    let key = key.replace("~1", "/").replace("~0", "~");
    let found = resolve(b, parent)?
        .as_object()?
        .keys()
        .find(|k| k.eq_ignore_ascii_case(&key))?;
    Some(attribute(&format!("{parent}/{found}")))
}

/// A pointer into a shape as an attribute path: `/emails/0/display` → `emails[].display`.
fn attribute(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.parse::<usize>().is_ok() {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

/// Differences alike (same severity, area and sides) as one, naming the steps they were seen
/// in.
pub fn group(differences: Vec<StepDifference>) -> Vec<Difference> {
    // (severity, area, A, B) → the steps and their cases.
    type Alike = (Severity, Area, String, String);
    let mut groups: BTreeMap<Alike, Vec<(String, String)>> = BTreeMap::new();
    for d in differences {
        groups
            .entry((d.severity, d.area, d.a, d.b))
            .or_default()
            .push((d.step, d.case));
    }
    groups
        .into_iter()
        .map(|((severity, area, a, b), steps)| {
            let mut cases: Vec<&str> = steps.iter().map(|(_, case)| case.as_str()).collect();
            cases.dedup();
            let subject = match (steps.len(), cases.len()) {
                (1, _) => steps[0].0.clone(),
                (n, 1) => format!("{} and {} more step(s) of it", steps[0].0, n - 1),
                (n, c) => format!("{} and {} more step(s) in {} case(s)", steps[0].0, n - 1, c),
            };
            Difference {
                severity,
                area,
                subject,
                a,
                b,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn sent(step: u32, status: u16, headers: &[(&str, &str)], shape: Value) -> SentRecord {
        SentRecord {
            step,
            nth: 1,
            method: "GET".into(),
            status,
            headers: Some(
                headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            shape: Some(shape),
            paging: None,
        }
    }

    #[test]
    fn shapes_headers_and_paging_differ_step_by_step() {
        let a = [
            sent(
                1,
                201,
                &[("location", "[base]/Users/[id-1]"), ("etag", "W/[version]")],
                json!({"userName": "string", "emails": [{"value": "string", "display": "string"}], "active": "boolean"}),
            ),
            SentRecord {
                paging: Some(json!({"itemsPerPage": 2, "nextCursor": false})),
                ..sent(2, 200, &[], json!({}))
            },
            sent(3, 200, &[], json!({"a": "string"})),
        ];
        let b = [
            sent(
                1,
                201,
                &[("etag", "[version]"), ("www-authenticate", "Bearer")],
                json!({"username": "string", "emails": [{"value": "string"}], "active": "string", "nickName": "string"}),
            ),
            SentRecord {
                paging: Some(json!({"itemsPerPage": 1, "nextCursor": true})),
                ..sent(2, 200, &[], json!({}))
            },
            sent(3, 404, &[], json!({"detail": "string"})),
        ];
        let found: Vec<(Severity, Area, String, String)> = compare("users::x", &a, &b, false)
            .into_iter()
            .map(|d| {
                assert!(d.step.starts_with("users::x step "), "{d:?}");
                (d.severity, d.area, d.a, d.b)
            })
            .collect();
        let expect = |s, area, a: &str, b: &str| (s, area, a.to_owned(), b.to_owned());
        assert_eq!(
            found,
            [
                expect(Severity::Worse, Area::Shape, "userName", "username"),
                expect(
                    Severity::Worse,
                    Area::Shape,
                    "emails[].display: string",
                    "no emails[].display"
                ),
                expect(
                    Severity::Worse,
                    Area::Shape,
                    "active: boolean",
                    "active: string"
                ),
                expect(
                    Severity::Changed,
                    Area::Shape,
                    "no nickName",
                    "nickName: string"
                ),
                expect(
                    Severity::Changed,
                    Area::Header,
                    "etag: W/[version]",
                    "etag: [version]"
                ),
                expect(
                    Severity::Worse,
                    Area::Header,
                    "location: [base]/Users/[id]",
                    "no location"
                ),
                expect(
                    Severity::Changed,
                    Area::Header,
                    "no www-authenticate",
                    "www-authenticate: Bearer"
                ),
                expect(
                    Severity::Changed,
                    Area::Paging,
                    "itemsPerPage 2",
                    "itemsPerPage 1"
                ),
                expect(
                    Severity::Changed,
                    Area::Paging,
                    "nextCursor false",
                    "nextCursor true"
                ),
            ],
            "step 3 answered another status: its body is not compared"
        );
        assert_eq!(compare("users::x", &a, &a, true), []);
        let statuses = compare("users::x", &a, &b, true);
        assert!(
            statuses
                .iter()
                .any(|d| d.area == Area::Status && d.a == "GET → 200" && d.b == "GET → 404")
        );
    }

    #[test]
    fn any_id_stands_for_every_numbered_id() {
        assert_eq!(
            any_id("[base]/Users/[id-12]/x[id-3]"),
            "[base]/Users/[id]/x[id]"
        );
        assert_eq!(any_id("[id-] [id-x] [id-4"), "[id-] [id-x] [id-4");
    }

    #[test]
    fn a_difference_seen_in_many_steps_is_one_line_naming_them() {
        let one = |case: &str, step: &str| StepDifference {
            severity: Severity::Worse,
            area: Area::Header,
            step: format!("{case} {step}"),
            case: case.to_owned(),
            a: "etag: W/[version]".into(),
            b: "no etag".into(),
        };
        let grouped = group(vec![
            one("users::a", "step 1"),
            one("users::a", "step 2"),
            one("users::b", "step 1"),
        ]);
        assert_eq!(grouped.len(), 1);
        assert_eq!(
            grouped[0].subject,
            "users::a step 1 and 2 more step(s) in 2 case(s)"
        );
        let single = group(vec![one("users::a", "step 1")]);
        assert_eq!(single[0].subject, "users::a step 1");
    }
}
