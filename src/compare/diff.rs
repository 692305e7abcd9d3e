//! Two runs side by side, case by case and finding by finding: what target B does differently
//! from target A, most severe first, and how much behaves the same.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::RunRecord;
use super::record::CaseRecord;
use super::{schema, steps};

/// How much a difference matters to whoever moves from A to B, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// B breaks what worked on A: a case that passed fails, a defect appears, an attribute,
    /// a capability or a resource type is gone, a type changed.
    Worse,
    /// Neither better nor worse, but an integration may notice: another status code, a skip
    /// for another reason, another mutability or `returned`, another limit.
    Changed,
    /// B does what A did not: a failing case passes, a defect is gone, something is added.
    Better,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Worse => "worse",
            Severity::Changed => "changed",
            Severity::Better => "better",
        }
    }
}

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// A case's outcome: passed, failed, skipped and why.
    Outcome,
    /// The status codes a case's requests got.
    Status,
    /// A step's response body after normalization: attributes on one side only, their types,
    /// their casing, multi-valued shapes.
    Shape,
    /// A step's Location, ETag, Content-Type or WWW-Authenticate.
    Header,
    /// A list's itemsPerPage, startIndex, totalResults, or its cursor.
    Paging,
    Finding,
    /// ServiceProviderConfig capabilities and limits, as the runs were planned with them.
    Capability,
    ResourceType,
    /// An attribute of `/Schemas`, or a whole schema.
    Schema,
}

impl Area {
    pub fn name(self) -> &'static str {
        match self {
            Area::Outcome => "outcome",
            Area::Status => "status",
            Area::Shape => "shape",
            Area::Header => "header",
            Area::Paging => "paging",
            Area::Finding => "finding",
            Area::Capability => "capability",
            Area::ResourceType => "resource type",
            Area::Schema => "schema",
        }
    }
}

/// One thing B does differently from A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub severity: Severity,
    pub area: Area,
    /// What differs: a case id, a finding id, `urn:…:User:name.givenName`, a capability.
    pub subject: String,
    /// What A does and what B does, in a few words; empty when that side lacks it.
    pub a: String,
    pub b: String,
}

/// The comparison of two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// What each side is (a base URL or a results file) and when it ran.
    pub a: String,
    pub b: String,
    /// Most severe first.
    pub differences: Vec<Difference>,
    /// Cases with the same outcome, status codes and recorded steps on both sides.
    pub same_cases: usize,
    /// Findings both sides show.
    pub same_findings: usize,
    /// Schema attributes declared alike on both sides; `None` when a side's `/Schemas` was not
    /// available (a saved result does not hold it).
    pub same_attributes: Option<usize>,
}

impl Comparison {
    /// The differences of the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.differences
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// The published `/Schemas` and `/ResourceTypes` of a target, as discovery read them.
pub type Discovery = (Value, Value);

/// Compares B with A: outcomes, status codes, findings and capabilities from the two records,
/// and the discovery documents when both are given.
pub fn compare(
    a: &RunRecord,
    b: &RunRecord,
    discovery: Option<(&Discovery, &Discovery)>,
) -> Comparison {
    let mut differences = Vec::new();
    let mut same_cases = 0;
    // A snapshot folder knows neither outcomes nor the cases whose steps returned no body.
    let steps_only = a.steps_only || b.steps_only;
    let ids: BTreeSet<&String> = a.cases.keys().chain(b.cases.keys()).collect();
    let mut by_step = Vec::new();
    for id in ids {
        let missing = CaseRecord {
            status: "not in the run".to_owned(),
            ..CaseRecord::default()
        };
        let (case_a, case_b) = match (a.cases.get(id), b.cases.get(id)) {
            (Some(x), Some(y)) => (x, y),
            _ if steps_only => continue,
            (x, y) => (x.unwrap_or(&missing), y.unwrap_or(&missing)),
        };
        let outcome = if steps_only {
            None
        } else {
            case(id, case_a, case_b)
        };
        let steps = steps::compare(id, &case_a.trace, &case_b.trace, steps_only);
        if outcome.is_none() && steps.is_empty() {
            same_cases += 1;
        }
        differences.extend(outcome);
        by_step.extend(steps);
    }
    differences.extend(steps::group(by_step));
    if steps_only {
        differences.sort_by(|x, y| {
            (x.severity, x.area, &x.subject).cmp(&(y.severity, y.area, &y.subject))
        });
        return Comparison {
            a: side(a),
            b: side(b),
            differences,
            same_cases,
            same_findings: 0,
            same_attributes: None,
        };
    }
    let mut same_findings = 0;
    let finding_ids: BTreeSet<&String> = a.findings.keys().chain(b.findings.keys()).collect();
    for id in finding_ids {
        let shown = |record: &RunRecord| {
            record
                .findings
                .get(id)
                .map(|f| format!("[{}] {} ({} case(s))", f.grade, f.statement, f.cases.len()))
        };
        let (severity, a_text, b_text) = match (shown(a), shown(b)) {
            (Some(_), Some(_)) => {
                same_findings += 1;
                continue;
            }
            (None, Some(b)) => (Severity::Worse, String::new(), b),
            (Some(a), None) => (Severity::Better, a, String::new()),
            (None, None) => continue,
        };
        differences.push(Difference {
            severity,
            area: Area::Finding,
            subject: id.clone(),
            a: a_text,
            b: b_text,
        });
    }
    differences.extend(capabilities(a, b));
    let same_attributes = discovery.map(|(discovery_a, discovery_b)| {
        let (found, same) = schema::compare(discovery_a, discovery_b);
        differences.extend(found);
        same
    });
    differences
        .sort_by(|x, y| (x.severity, x.area, &x.subject).cmp(&(y.severity, y.area, &y.subject)));
    Comparison {
        a: side(a),
        b: side(b),
        differences,
        same_cases,
        same_findings,
        same_attributes,
    }
}

fn side(record: &RunRecord) -> String {
    if record.steps_only {
        record.target.clone()
    } else if record.source == record.target || record.source.is_empty() {
        format!("{} ({})", record.target, record.started)
    } else {
        format!("{} ({}, {})", record.source, record.target, record.started)
    }
}

/// How a case's outcome reads in a table: `failed`, `skipped: no PATCH`.
fn outcome(case: &CaseRecord) -> String {
    match (&case.status[..], &case.detail) {
        ("skipped", Some(why)) => format!("skipped: {why}"),
        ("failed", Some(why)) => format!("failed: {}", first_mismatch(why)),
        (status, _) => status.to_owned(),
    }
}

/// The first mismatch of a failure message (its `- …` line), else its error, else its first
/// line.
fn first_mismatch(message: &str) -> &str {
    let lines = || message.lines().map(str::trim);
    lines()
        .find_map(|line| line.strip_prefix("- "))
        .or_else(|| lines().find(|line| line.starts_with("error:")))
        .or_else(|| lines().next())
        .unwrap_or_default()
}

fn rank(status: &str) -> u8 {
    match status {
        "passed" => 2,
        "failed" | "harness error" => 0,
        _ => 1,
    }
}

fn case(id: &str, a: &CaseRecord, b: &CaseRecord) -> Option<Difference> {
    let difference = |severity, area, a: String, b: String| {
        Some(Difference {
            severity,
            area,
            subject: id.to_owned(),
            a,
            b,
        })
    };
    if a.status != b.status {
        let severity = match rank(&a.status).cmp(&rank(&b.status)) {
            std::cmp::Ordering::Greater => Severity::Worse,
            std::cmp::Ordering::Less => Severity::Better,
            std::cmp::Ordering::Equal => Severity::Changed,
        };
        return difference(severity, Area::Outcome, outcome(a), outcome(b));
    }
    if a.status == "skipped" && a.detail != b.detail {
        return difference(Severity::Changed, Area::Outcome, outcome(a), outcome(b));
    }
    // Same outcome: the first request answered differently, by step.
    let statuses = |case: &CaseRecord| -> Vec<String> {
        case.trace
            .iter()
            .map(|sent| format!("step {} {} → {}", sent.step, sent.method, sent.status))
            .collect()
    };
    let (sa, sb) = (statuses(a), statuses(b));
    let first = sa.iter().zip(&sb).position(|(x, y)| x != y);
    match first {
        Some(at) => difference(
            Severity::Changed,
            Area::Status,
            sa[at].clone(),
            sb[at].clone(),
        ),
        None if sa.len() != sb.len() => difference(
            Severity::Changed,
            Area::Status,
            format!("{} request(s)", sa.len()),
            format!("{} request(s)", sb.len()),
        ),
        None => None,
    }
}

/// The items of the capability matrix (`Capabilities::matrix`) besides the yes/no ones.
const MATRIX_ITEMS: [&str; 4] = ["maxResults", "marker", "list scope", "filters refused"];

/// Capabilities advertised on one side only, and the rest of the capability matrix (limits,
/// the marker attribute, how lists are scoped, the filters refused) item by item.
fn capabilities(a: &RunRecord, b: &RunRecord) -> Vec<Difference> {
    let mut out = Vec::new();
    let (in_a, in_b): (BTreeSet<&String>, BTreeSet<&String>) = (
        a.capabilities.iter().collect(),
        b.capabilities.iter().collect(),
    );
    for lost in in_a.difference(&in_b) {
        out.push(Difference {
            severity: Severity::Worse,
            area: Area::Capability,
            subject: (*lost).clone(),
            a: "advertised".to_owned(),
            b: "not advertised".to_owned(),
        });
    }
    for gained in in_b.difference(&in_a) {
        out.push(Difference {
            severity: Severity::Better,
            area: Area::Capability,
            subject: (*gained).clone(),
            a: "not advertised".to_owned(),
            b: "advertised".to_owned(),
        });
    }
    let items = |record: &RunRecord| -> BTreeMap<String, String> {
        record
            .capability_matrix
            .split(", ")
            // `patch yes` is a capability, said above.
            .filter(|item| !item.ends_with(" yes") && !item.ends_with(" no"))
            .map(|item| {
                let name = MATRIX_ITEMS
                    .into_iter()
                    .find(|name| item.starts_with(name))
                    .unwrap_or(item);
                (name.to_owned(), item.to_owned())
            })
            .collect()
    };
    let (items_a, items_b) = (items(a), items(b));
    let names: BTreeSet<&String> = items_a.keys().chain(items_b.keys()).collect();
    for name in names {
        let (x, y) = (items_a.get(name), items_b.get(name));
        if x != y {
            out.push(Difference {
                severity: Severity::Changed,
                area: Area::Capability,
                subject: name.clone(),
                a: x.cloned().unwrap_or_default(),
                b: y.cloned().unwrap_or_default(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::record::SentRecord;

    fn record(status: &str, detail: Option<&str>, statuses: &[u16]) -> CaseRecord {
        CaseRecord {
            status: status.into(),
            detail: detail.map(str::to_owned),
            trace: statuses
                .iter()
                .enumerate()
                .map(|(n, status)| SentRecord {
                    step: n as u32 + 1,
                    method: "GET".into(),
                    status: *status,
                    ..SentRecord::default()
                })
                .collect(),
        }
    }

    #[test]
    fn a_case_differs_by_outcome_then_by_skip_reason_then_by_the_first_status() {
        let passed = record("passed", None, &[201, 200]);
        let failed = record(
            "failed",
            Some(
                "cases/x.yaml:1:1: step 2 (get) failed\n  expected:\n    - status: expected 200, got 404",
            ),
            &[201, 404],
        );
        let worse = case("users::x", &passed, &failed).expect("a difference");
        assert_eq!(
            (worse.severity, worse.area),
            (Severity::Worse, Area::Outcome)
        );
        assert_eq!(worse.b, "failed: status: expected 200, got 404");
        assert_eq!(
            case("users::x", &failed, &passed).map(|d| d.severity),
            Some(Severity::Better)
        );
        let error = record(
            "failed",
            Some("cases/x.yaml:1:1: step 1 failed\n  error:    no answer"),
            &[],
        );
        assert_eq!(
            case("users::x", &passed, &error).expect("a difference").b,
            "failed: error:    no answer"
        );
        let skipped = |why| record("skipped", Some(why), &[]);
        let other_reason =
            case("users::x", &skipped("no sort"), &skipped("no bulk")).expect("a difference");
        assert_eq!(other_reason.severity, Severity::Changed);
        assert_eq!(
            case("users::x", &skipped("no sort"), &skipped("no sort")),
            None
        );
        let status =
            case("users::x", &passed, &record("passed", None, &[201, 204])).expect("a difference");
        assert_eq!(
            (status.area, status.a.as_str(), status.b.as_str()),
            (Area::Status, "step 2 GET → 200", "step 2 GET → 204")
        );
        assert_eq!(case("users::x", &passed, &passed.clone()), None);
    }
}
