//! Machine-readable results: the run's facts, the verdict and its reasons, the findings, and
//! every case with its failing step — the request, the response and each mismatch as
//! structure, not text.

use serde_json::{Value, json};

use super::findings::Occurrence;
use super::{RunReport, Writer};
use crate::check::Mismatch;
use crate::exec::client::Exchange;
use crate::exec::run::{Sent, StepFailure};
use crate::redact::Redactor;

pub struct Json;

impl Writer for Json {
    fn render(&self, report: &RunReport<'_>) -> String {
        let value = document(report);
        // A `Value` always serializes.
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// One request of a case's trace; a recorded one (`--snapshots`, `compare`) also carries its
/// response's shape (attribute names and types, no values), the headers that matter and the
/// paging numbers, normalized, for `compare` to diff step by step.
fn sent(sent: &Sent) -> Value {
    let mut out = json!({
        "step": sent.step + 1,
        "method": sent.method.as_str(),
        "url": sent.url,
        "status": sent.status,
        "elapsed_ms": sent.elapsed.as_secs_f64() * 1000.0,
    });
    if let (Some(record), Some(map)) = (&sent.record, out.as_object_mut()) {
        map.insert(
            "headers".into(),
            record.get("headers").cloned().unwrap_or(Value::Null),
        );
        if let Some(body) = record.get("body") {
            map.insert("shape".into(), crate::check::drift::shape(body));
        }
        if let Some(paging) = crate::check::snapshot::paging(record) {
            map.insert("paging".into(), paging);
        }
    }
    out
}

fn document(report: &RunReport<'_>) -> Value {
    let facts = report.facts;
    let redactor = &facts.redactor;
    let selection = &facts.selection;
    let totals = report.totals();
    let cases: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            let detail = match &r.outcome {
                super::CaseOutcome::Failed(message)
                | super::CaseOutcome::Skipped(message)
                | super::CaseOutcome::HarnessError(message) => Some(message),
                super::CaseOutcome::Passed | super::CaseOutcome::Interrupted => None,
            };
            json!({
                "id": r.id,
                "name": r.name,
                "file": r.file,
                "area": r.area,
                "level": r.level.to_string(),
                "rfc": r.rfc,
                "tags": r.tags,
                "status": r.status().name(),
                "grade": r.grade().name(),
                "detail": detail,
                "failure": r.failure.as_ref().map(|f| step(f, redactor)),
                "invariants": r.invariants.iter().map(|f| step(f, redactor)).collect::<Vec<_>>(),
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "requests": r.requests,
                "trace": r.trace.iter().map(sent).collect::<Vec<_>>(),
                "drift": r.snapshots.drift,
                "snapshot_errors": r.snapshots.errors,
                "chain": r.chain,
                "deviations": r.deviations,
                "cleanup_problems": r.cleanup_problems,
            })
        })
        .collect();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "grade": f.grade.name(),
                "statement": f.statement(),
                "cause": f.cause,
                "symptoms": f.symptoms(),
                "clause": f.clause,
                "invariant": f.invariant,
                "cases": f.cases(),
                "occurrences": f.occurrences.iter().map(occurrence).collect::<Vec<_>>(),
                "example": f.example().step.exchange.as_ref().map(|e| exchange(e, redactor)),
            })
        })
        .collect();
    let skipped: Vec<Value> = report
        .skips()
        .into_iter()
        .map(|(reason, ids)| json!({ "reason": reason, "cases": ids }))
        .collect();
    json!({
        "tool": "scimcheck",
        "version": env!("CARGO_PKG_VERSION"),
        "target": facts.target,
        "started": facts.started,
        "capabilities": facts.capabilities,
        "capability_matrix": facts.capability_matrix,
        "warnings": facts.warnings,
        "profile": facts.profile_name(),
        "fail_on": facts.fail_on.name(),
        "wall_seconds": facts.wall.as_secs_f64(),
        "throttled": facts.throttled,
        "concurrency": facts.concurrency,
        "interrupted": facts.interrupted,
        "verdict": {
            "exit_code": report.verdict.exit_code,
            "headline": report.verdict.headline,
            "reasons": report.verdict.reasons,
        },
        "selection": {
            "total": selection.total,
            "selected": selection.total - selection.not_selected.len(),
            "names": selection.selector.names,
            "exact": selection.selector.exact,
            "skip": selection.selector.skip,
            "tags": selection.selector.tags,
            "levels": selection.selector.levels.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "areas": selection.selector.areas,
            "not_selected": selection.not_selected,
            "read_only": selection.read_only,
            "skipped": skipped,
            "description": selection.describe(),
        },
        "summary": {
            "selected": totals.selected,
            "ran": totals.ran(),
            "passed": totals.passed,
            "failed": totals.failed,
            "errored": totals.errored,
            "harness_errors": totals.harness_errors,
            "skipped": totals.skipped,
            "interrupted": totals.interrupted,
            "findings": totals.findings,
            "requests": report.requests(),
            "created": facts.created,
            "max_creates": facts.max_creates,
            "settle_seconds": facts.settle.map(|w| w.as_secs_f64()),
            "settled_seconds": facts.settled.as_secs_f64(),
            "snapshots": super::drift::tally(report.results).map(|(unchanged, new, drifted)| json!({
                "unchanged": unchanged,
                "new": new,
                "drifted": drifted,
                "fail_on_drift": facts.fail_on_drift,
            })),
        },
        "findings": findings,
        "acknowledged": facts.acknowledged.iter().map(|d| json!({ "contract": d.contract, "capability": d.capability, "rfc": d.rfc, "reason": d.reason })).collect::<Vec<_>>(),
        "tolerated": report.tolerated().into_iter().map(|(deviation, cases)| json!({ "deviation": deviation, "cases": cases })).collect::<Vec<_>>(),
        "cases": cases,
    })
}

fn occurrence(o: &Occurrence<'_>) -> Value {
    json!({
        "case": o.case.id,
        "step": o.step.step + 1,
        "step_name": o.step.step_name,
        "location": o.step.location,
        "mismatch": mismatch(o.mismatch),
    })
}

fn step(failure: &StepFailure, redactor: &Redactor) -> Value {
    json!({
        "step": failure.step + 1,
        "name": failure.step_name,
        "location": failure.location,
        "exchange": failure.exchange.as_ref().map(|e| exchange(e, redactor)),
        "mismatches": failure.mismatches.iter().map(mismatch).collect::<Vec<_>>(),
        "error": failure.error.as_ref().map(|e| json!({
            "message": e.message,
            "unanswered": e.unanswered,
        })),
    })
}

fn mismatch(m: &Mismatch) -> Value {
    json!({
        "subject": m.subject,
        "expected": m.expected,
        "actual": m.actual,
        "pointer": m.pointer,
        "rfc": m.rfc,
    })
}

fn exchange(e: &Exchange, redactor: &Redactor) -> Value {
    let headers = |hs: &[(String, String)]| {
        hs.iter()
            .map(|(name, value)| json!([name, value]))
            .collect::<Vec<_>>()
    };
    let request = &e.request;
    let response = &e.response;
    json!({
        "request": {
            "method": request.method.as_str(),
            "url": request.url,
            "credential": format!("{:?}", request.auth),
            "headers": headers(&request.headers),
            "body": request.body,
        },
        "response": {
            "status": response.status,
            "headers": headers(&response.headers),
            "body": response.json.clone().unwrap_or_else(|| Value::String(super::cut(&response.body, redactor))),
            "elapsed_ms": response.elapsed.as_secs_f64() * 1000.0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::{CaseOutcome, sample_facts, sample_result, sample_status_failure};

    #[test]
    fn the_json_carries_structure_selection_and_verdict() {
        let facts = sample_facts();
        let failed = sample_status_failure("text");
        let results = [
            failed,
            sample_result(
                "users::x",
                Level::Must,
                CaseOutcome::HarnessError("boom".into()),
            ),
        ];
        let text = Json.render(&RunReport::new(&facts, &results));
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value["selection"]["not_selected"][0], "groups::create");
        assert_eq!(value["selection"]["names"][0], "users::");
        assert_eq!(value["verdict"]["exit_code"], 1);
        assert_eq!(value["summary"]["harness_errors"], 1);
        assert_eq!(value["findings"][0]["cases"][0], "users::delete");
        assert_eq!(value["findings"][0]["cause"], Value::Null);
        assert_eq!(
            value["findings"][0]["symptoms"][0],
            "status: expected 404, got 200"
        );
        assert!(
            value["findings"][0]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("f-")),
            "{value:#}"
        );
        let case = &value["cases"][0];
        assert_eq!(case["failure"]["location"], "cases/users/delete.yaml:20:5");
        assert_eq!(case["failure"]["mismatches"][0]["expected"], "404");
        assert_eq!(value["cases"][1]["status"], "harness error");
        assert_eq!(value["cases"][1]["detail"], "boom");
    }
}
