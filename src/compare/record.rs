//! A run as recorded in its JSON result (`--json`, `--write-baseline`), read back: each case's
//! outcome and the status of every request it sent (with, when the run recorded its steps, the
//! response's shape, headers and paging numbers), each finding by id, the capabilities.
//! A baseline is one; `compare` reads both sides as one, or one side from a snapshot folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::check::{drift, snapshot};
use crate::files::{self, FileError};

/// A whole run's JSON result with every exchange can reach several MiB on a large catalogue.
pub const BASELINE_LIMIT: u64 = 64 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum BaselineError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("{}: not a scimcheck JSON result ({message}); record one with --write-baseline", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Snapshots(#[from] snapshot::SnapshotError),
    #[error("{}: no snapshots; record them with `scimcheck run --snapshots`", .0.display())]
    NoSnapshots(PathBuf),
}

/// What a recorded run says about each case and each finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunRecord {
    /// The file it was read from (or the target it ran against), as reports name it.
    pub source: String,
    /// The target and the time of the run it records.
    pub target: String,
    pub started: String,
    /// Each case by id.
    pub cases: BTreeMap<String, CaseRecord>,
    /// Each finding by id.
    pub findings: BTreeMap<String, FindingRecord>,
    /// The capabilities the target advertised.
    pub capabilities: Vec<String>,
    /// Every capability, limit and scoping choice the run was planned with.
    pub capability_matrix: String,
    /// Read from a snapshot folder: it knows what each step answered, not the outcomes,
    /// findings or capabilities, nor the steps that returned no body.
    pub steps_only: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseRecord {
    /// `passed`, `failed`, `skipped`, `interrupted` or `harness error`.
    pub status: String,
    /// Why it failed or was skipped.
    pub detail: Option<String>,
    /// Every request it sent, in order.
    pub trace: Vec<SentRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SentRecord {
    pub step: u32,
    /// Its place among the requests of its step (1-based); numbered on reading when absent.
    #[serde(default)]
    pub nth: u32,
    pub method: String,
    pub status: u16,
    /// When the run recorded its steps: the response headers that matter, normalized.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// The body's attribute names and types (no values).
    #[serde(default)]
    pub shape: Option<Value>,
    /// A list's `totalResults`, `itemsPerPage`, `startIndex` and whether it offers a cursor.
    #[serde(default)]
    pub paging: Option<Value>,
}

impl SentRecord {
    /// What the snapshot of one exchange says about it.
    fn of_snapshot(step: usize, nth: usize, record: &Value) -> SentRecord {
        let number = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        SentRecord {
            step: number(step),
            nth: number(nth),
            method: record
                .get("request")
                .and_then(Value::as_str)
                .and_then(|r| r.split(' ').next())
                .unwrap_or_default()
                .to_owned(),
            status: record
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or_default(),
            headers: record.get("headers").and_then(|h| {
                h.as_object().map(|h| {
                    h.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
            }),
            shape: record.get("body").map(drift::shape),
            paging: snapshot::paging(record),
        }
    }
}

/// Numbers each request within its step, where the record did not.
fn number_within_steps(trace: &mut [SentRecord]) {
    let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
    for sent in trace {
        let count = seen.entry(sent.step).or_default();
        *count += 1;
        if sent.nth == 0 {
            sent.nth = *count;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingRecord {
    pub grade: String,
    pub statement: String,
    pub cases: Vec<String>,
}

/// The parts of the JSON result a baseline needs; the rest is ignored, so that a result of a
/// later version with more to say still reads.
#[derive(Deserialize)]
struct Document {
    tool: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    started: String,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    capability_matrix: String,
    cases: Vec<CaseEntry>,
    findings: Vec<FindingEntry>,
}

#[derive(Deserialize)]
struct CaseEntry {
    id: String,
    status: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    trace: Vec<SentRecord>,
}

#[derive(Deserialize)]
struct FindingEntry {
    /// Absent in results written before findings had ids.
    id: Option<String>,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    cases: Vec<String>,
}

impl RunRecord {
    pub fn load(path: &Path) -> Result<RunRecord, BaselineError> {
        let text = files::read_text(path, BASELINE_LIMIT)?;
        RunRecord::parse(&text, &path.display().to_string()).map_err(|message| {
            BaselineError::Invalid {
                path: path.to_owned(),
                message,
            }
        })
    }

    /// A baseline from the text of a JSON result; the error says what is wrong with it (never
    /// quoting the file: a result holds responses).
    pub fn parse(text: &str, source: &str) -> Result<RunRecord, String> {
        let document: Document = serde_json::from_str(text).map_err(|e| {
            format!(
                "line {} column {}: {}",
                e.line(),
                e.column(),
                match e.classify() {
                    serde_json::error::Category::Data => "missing or mistyped fields",
                    _ => "not JSON",
                }
            )
        })?;
        if document.tool != "scimcheck" {
            return Err(format!("written by `{}`", document.tool));
        }
        let mut findings = BTreeMap::new();
        for finding in document.findings {
            let id = finding
                .id
                .ok_or("its findings have no ids (written by an older scimcheck)")?;
            findings.insert(
                id,
                FindingRecord {
                    grade: finding.grade,
                    statement: finding.statement,
                    cases: finding.cases,
                },
            );
        }
        Ok(RunRecord {
            source: source.to_owned(),
            target: document.target,
            started: document.started,
            cases: document
                .cases
                .into_iter()
                .map(|c| {
                    let mut trace = c.trace;
                    number_within_steps(&mut trace);
                    let record = CaseRecord {
                        status: c.status,
                        detail: c.detail,
                        trace,
                    };
                    (c.id, record)
                })
                .collect(),
            findings,
            capabilities: document.capabilities,
            capability_matrix: document.capability_matrix,
            steps_only: false,
        })
    }

    /// What a snapshot folder (`snapshots/<target>`, recorded with `run --snapshots`) says
    /// each step answered: a baseline for `compare` without calling its target again.
    pub fn from_snapshots(dir: &Path) -> Result<RunRecord, BaselineError> {
        let folder = snapshot::read_folder(dir)?;
        if folder.is_empty() {
            return Err(BaselineError::NoSnapshots(dir.to_owned()));
        }
        let cases = folder
            .into_iter()
            .map(|(id, steps)| {
                let trace = steps
                    .iter()
                    .map(|((step, nth), record)| SentRecord::of_snapshot(*step, *nth, record))
                    .collect();
                let record = CaseRecord {
                    status: String::new(),
                    detail: None,
                    trace,
                };
                (id, record)
            })
            .collect();
        let source = dir.display().to_string();
        Ok(RunRecord {
            target: format!("snapshots in {source}"),
            source,
            cases,
            steps_only: true,
            ..RunRecord::default()
        })
    }

    /// The record of a run that just ended, read from its JSON result (redacted), so that a
    /// live run and a saved one are compared alike.
    pub fn of(report: &crate::report::RunReport<'_>) -> RunRecord {
        let text = crate::report::render(&crate::report::json::Json, report);
        // The JSON writer's own output always reads back; an empty record is the fallback
        // should it ever not.
        RunRecord::parse(&text, &report.facts.target).unwrap_or_default()
    }

    /// Whether the case ran and passed in the baseline.
    pub fn passed(&self, case: &str) -> bool {
        self.cases.get(case).is_some_and(|c| c.status == "passed")
    }

    /// Whether the case ran and failed (or had no verdict) in the baseline.
    pub fn failed(&self, case: &str) -> bool {
        self.cases
            .get(case)
            .is_some_and(|c| matches!(c.status.as_str(), "failed" | "errored" | "harness error"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_result_reads_back_as_outcomes_and_finding_ids() {
        let text = r#"{"tool": "scimcheck", "target": "https://a/scim", "started": "2026-11-30T12:00:00Z",
            "future": {"ignored": true},
            "cases": [{"id": "users::get", "status": "passed",
                       "trace": [{"step": 1, "method": "GET", "url": "x", "status": 200, "elapsed_ms": 1.5}]},
                      {"id": "users::delete", "status": "failed"},
                      {"id": "users::slow", "status": "errored"},
                      {"id": "bulk::x", "status": "skipped"}],
            "findings": [{"id": "f-0123456789ab", "statement": "status: expected 404, got 200"}]}"#;
        let baseline = RunRecord::parse(text, "base.json").expect("valid");
        assert!(baseline.passed("users::get"));
        assert!(baseline.failed("users::delete") && baseline.failed("users::slow"));
        assert!(!baseline.passed("bulk::x") && !baseline.failed("bulk::x"));
        assert!(!baseline.passed("users::new") && !baseline.failed("users::new"));
        assert_eq!(
            baseline.findings["f-0123456789ab"].statement,
            "status: expected 404, got 200"
        );
        assert_eq!(baseline.target, "https://a/scim");
        assert_eq!(
            baseline.cases["users::get"].trace,
            [SentRecord {
                step: 1,
                nth: 1,
                method: "GET".into(),
                status: 200,
                ..SentRecord::default()
            }]
        );
    }

    #[test]
    fn what_is_not_a_result_says_why_without_quoting_it() {
        for (text, says) in [
            ("{\"secret-token\"", "not JSON"),
            (
                "{\"tool\": \"scimcheck\", \"cases\": 3, \"findings\": []}",
                "mistyped",
            ),
            (
                "{\"tool\": \"other\", \"cases\": [], \"findings\": []}",
                "written by `other`",
            ),
            (
                "{\"tool\": \"scimcheck\", \"cases\": [], \"findings\": [{\"statement\": \"x\"}]}",
                "no ids",
            ),
        ] {
            let error = RunRecord::parse(text, "b.json").expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
            assert!(!error.contains("secret-token"), "{error}");
        }
    }

    #[test]
    fn an_unreadable_baseline_is_an_error_naming_the_file() {
        let path =
            std::env::temp_dir().join(format!("scimcheck-baseline-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&path, "[]").expect("write");
        let error = RunRecord::load(&path).expect_err("an array").to_string();
        let _ = std::fs::remove_file(&path);
        assert!(error.starts_with(&path.display().to_string()), "{error}");
        assert!(error.contains("--write-baseline"), "{error}");
    }
}
