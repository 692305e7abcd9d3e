//! Machine-readable results: one object per case with its area, RFC sections, level, outcome,
//! duration and requests made.

use std::time::Duration;

use serde_json::{Value, json};

use super::{CaseOutcome, CaseResult};

/// What the JSON report says about the run besides the results.
pub struct RunFacts<'a> {
    pub target: &'a str,
    pub capabilities: &'a [&'a str],
    pub wall: Duration,
    /// 429/503 answers that were waited out.
    pub throttled: u32,
}

pub fn render(results: &[CaseResult], facts: &RunFacts<'_>) -> Value {
    let count =
        |want: fn(&CaseOutcome) -> bool| results.iter().filter(|r| want(&r.outcome)).count();
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let (status, detail) = match &r.outcome {
                CaseOutcome::Passed => ("passed", None),
                CaseOutcome::Failed(message) => ("failed", Some(message)),
                CaseOutcome::Skipped(reason) => ("skipped", Some(reason)),
            };
            json!({
                "id": r.id,
                "name": r.name,
                "file": r.file,
                "area": r.area,
                "level": r.level.to_string(),
                "rfc": r.rfc,
                "tags": r.tags,
                "status": status,
                "grade": r.grade().name(),
                "detail": detail,
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "requests": r.requests,
                "chain": r.chain,
                "cleanup_problems": r.cleanup_problems,
            })
        })
        .collect();
    json!({
        "tool": "scimcheck",
        "version": env!("CARGO_PKG_VERSION"),
        "target": facts.target,
        "capabilities": facts.capabilities,
        "wall_seconds": facts.wall.as_secs_f64(),
        "throttled": facts.throttled,
        "summary": {
            "passed": count(|o| matches!(o, CaseOutcome::Passed)),
            "failed": count(|o| matches!(o, CaseOutcome::Failed(_))),
            "skipped": count(|o| matches!(o, CaseOutcome::Skipped(_))),
            "requests": results.iter().map(|r| r.requests).sum::<u32>(),
        },
        "cases": cases,
    })
}
