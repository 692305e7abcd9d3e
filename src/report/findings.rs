//! One defect, one finding: failures grouped by root cause. The same violated expectation
//! (subject), at the same JSON pointer or header, breaking the same clause, is one finding
//! listing every case and step where it showed — so one wrong `itemsPerPage` reads as one
//! defect, not as the 28 cases it touched.

use std::collections::BTreeMap;

use super::{CaseResult, Grade};
use crate::check::Mismatch;
use crate::exec::run::StepFailure;

/// Characters of a finding's statement; longer ones are cut.
const STATEMENT_CHARS: usize = 160;

/// One defect of the target and everywhere it showed.
#[derive(Debug)]
pub struct Finding<'a> {
    /// Stable across runs and targets (a digest of what makes it this defect, never of the
    /// data a case sent): baselines and `[[accept]]` in scimcheck.toml name findings by it.
    pub id: String,
    /// The most serious grade among the cases it showed in.
    pub grade: Grade,
    /// The clause it breaks: the check's own (a rule, a schema's basis) or the case's.
    pub clause: String,
    /// Only seen as an invariant on the way, never as a case's subject: no case failed for it.
    pub invariant: bool,
    /// Every place it showed, the representative (first by case id) first.
    pub occurrences: Vec<Occurrence<'a>>,
}

/// A finding seen in one step of one case.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence<'a> {
    pub case: &'a CaseResult,
    pub step: &'a StepFailure,
    pub mismatch: &'a Mismatch,
}

impl<'a> Finding<'a> {
    /// The one-line statement of the defect, from its representative mismatch, cut short: the
    /// whole value is in the exchange.
    pub fn statement(&self) -> String {
        let full = self.occurrences[0].mismatch.to_string();
        let line = full.lines().next().unwrap_or_default();
        match line.char_indices().nth(STATEMENT_CHARS) {
            Some((end, _)) => format!("{}…", &line[..end]),
            None if line.len() < full.len() => format!("{line}…"),
            None => full,
        }
    }

    /// The representative occurrence, whose exchange the reports show.
    pub fn example(&self) -> &Occurrence<'a> {
        &self.occurrences[0]
    }

    /// The cases it showed in, each once, by id.
    pub fn cases(&self) -> Vec<&'a str> {
        let mut ids: Vec<&str> = self
            .occurrences
            .iter()
            .map(|o| o.case.id.as_str())
            .collect();
        ids.dedup();
        ids
    }
}

/// What makes two mismatches the same defect: the same kind of check (general: a named rule
/// or a schema; or a case's own assertion), about the same JSON pointer or header (array indices and case
/// ignored: `/Resources/0/id` and `/Resources/2/id` are one defect), breaking the same clause.
/// A status or a body has no pointer, so its expected value tells `expected 404` from
/// `expected 201` apart; an assertion's expected value is left out otherwise, since it often
/// holds the case's own data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// The rule or schema when it points nowhere in particular; empty otherwise.
    check: String,
    pointer: String,
    /// The check's own clause; empty for a case's own assertion, whose clause is the one its
    /// cases cite.
    clause: String,
    expected: String,
}

impl Key {
    /// `f-` and the first 6 bytes of the SHA-256 of the key's parts, hex: short enough to
    /// write into scimcheck.toml, long enough that two defects of one run never share one.
    fn id(&self) -> String {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [&self.check, &self.pointer, &self.clause, &self.expected] {
            // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        let digest = context.finish();
        let hex: String = digest.as_ref()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("f-{hex}")
    }
}

fn key(mismatch: &Mismatch) -> Key {
    let pointer: String = if mismatch.pointer.is_empty() {
        mismatch.subject.to_lowercase()
    } else {
        mismatch
            .pointer
            .split('/')
            .map(|segment| {
                if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                    "*".to_owned()
                } else {
                    segment.to_lowercase()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    match &mismatch.rfc {
        // Two general checks (a rule and a schema) that find the same place breaking the same
        // clause found the same defect.
        Some(rfc) => Key {
            check: if mismatch.pointer.is_empty() {
                mismatch.subject.clone()
            } else {
                String::new()
            },
            pointer,
            clause: rfc.clone(),
            expected: String::new(),
        },
        None => Key {
            check: String::new(),
            expected: if mismatch.pointer.is_empty() {
                mismatch.expected.clone()
            } else {
                String::new()
            },
            pointer,
            clause: String::new(),
        },
    }
}

fn is_status(mismatch: &Mismatch) -> bool {
    mismatch.subject == "status" && mismatch.rfc.is_none()
}

/// The sections most of `cases` cite: what a defect found by their own assertions breaks.
fn cited_by_most(cases: &[&CaseResult]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in cases {
        for section in &case.rfc {
            *counts.entry(section).or_default() += 1;
        }
    }
    let most = counts.values().copied().max().unwrap_or_default();
    let mut sections: Vec<&str> = Vec::new();
    // In the order the first case cites them.
    for case in cases {
        for section in &case.rfc {
            if counts.get(section.as_str()) == Some(&most) && !sections.contains(&section.as_str())
            {
                sections.push(section);
            }
        }
    }
    sections.join(", ")
}

/// The findings of a run, most serious first, then the most widespread. `results` are sorted
/// by case id, so each finding's representative is its first case by id.
pub fn group(results: &[CaseResult]) -> Vec<Finding<'_>> {
    let mut grouped: BTreeMap<Key, Finding<'_>> = BTreeMap::new();
    for case in results {
        // The step whose status was wrong, if the case failed on one: its broken invariants
        // are consequences too.
        let failed_on_status = case
            .failure
            .as_ref()
            .filter(|f| f.mismatches.iter().any(is_status))
            .map(|f| f.step);
        let subject = case.failure.iter().map(|step| (step, false));
        let invariants = case.invariants.iter().map(|step| (step, true));
        for (step, invariant) in subject.chain(invariants) {
            // A wrong status is the root cause of whatever else the step's body broke (an
            // error body where a user was expected): only the status is a finding then.
            let wrong_status = step.mismatches.iter().any(is_status)
                || (invariant && failed_on_status == Some(step.step));
            let causes = step
                .mismatches
                .iter()
                .filter(|m| !wrong_status || is_status(m));
            for mismatch in causes {
                let key = key(mismatch);
                let finding = grouped.entry(key.clone()).or_insert_with(|| Finding {
                    id: key.id(),
                    grade: Grade::Passed,
                    clause: key.clause,
                    invariant: true,
                    occurrences: Vec::new(),
                });
                finding.grade = finding.grade.min(case.failure_grade());
                finding.invariant &= invariant;
                finding.occurrences.push(Occurrence {
                    case,
                    step,
                    mismatch,
                });
            }
        }
    }
    let mut findings: Vec<Finding<'_>> = grouped.into_values().collect();
    for finding in &mut findings {
        if finding.clause.is_empty() {
            let mut cases: Vec<&CaseResult> = finding.occurrences.iter().map(|o| o.case).collect();
            cases.dedup_by(|a, b| a.id == b.id);
            finding.clause = cited_by_most(&cases);
        }
    }
    findings.sort_by(|a, b| {
        (a.grade, std::cmp::Reverse(a.cases().len()))
            .cmp(&(b.grade, std::cmp::Reverse(b.cases().len())))
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::{CaseOutcome, sample_result};

    fn step(mismatches: Vec<Mismatch>) -> StepFailure {
        StepFailure {
            step: 0,
            step_name: "list".into(),
            location: "cases/x.yaml:9:5".into(),
            exchange: None,
            mismatches,
            error: None,
        }
    }

    fn items_per_page() -> Mismatch {
        Mismatch {
            subject: "rule `list-response-consistent` [RFC 7644 §3.4.2]".into(),
            actual: "itemsPerPage is 3 but Resources has 2".into(),
            pointer: "/itemsPerPage".into(),
            rfc: Some("RFC 7644 §3.4.2".into()),
            ..Mismatch::default()
        }
    }

    fn status(expected: &str) -> Mismatch {
        Mismatch {
            subject: "status".into(),
            expected: expected.into(),
            actual: "200".into(),
            ..Mismatch::default()
        }
    }

    #[test]
    fn one_defect_in_many_cases_is_one_finding_and_distinct_defects_stay_apart() {
        let mut filter = sample_result("filter::eq", Level::Must, CaseOutcome::Passed);
        filter.invariants = vec![step(vec![items_per_page()]), step(vec![items_per_page()])];
        let mut paging = sample_result(
            "paging::count",
            Level::Should,
            CaseOutcome::Failed("x".into()),
        );
        paging.failure = Some(step(vec![items_per_page()]));
        let mut gone = sample_result(
            "users::delete",
            Level::Must,
            CaseOutcome::Failed("x".into()),
        );
        gone.failure = Some(step(vec![status("404")]));
        let mut created =
            sample_result("users::create", Level::May, CaseOutcome::Failed("x".into()));
        created.failure = Some(step(vec![status("201")]));
        let results = [filter, paging, created, gone];
        let findings = group(&results);
        assert_eq!(findings.len(), 3, "{findings:#?}");
        let paging_finding = findings
            .iter()
            .find(|f| f.clause == "RFC 7644 §3.4.2")
            .expect("the itemsPerPage finding");
        assert_eq!(paging_finding.cases(), ["filter::eq", "paging::count"]);
        assert_eq!(paging_finding.occurrences.len(), 3);
        assert_eq!(paging_finding.grade, Grade::MustBroken);
        assert!(!paging_finding.invariant, "paging::count failed on it");
        assert_eq!(findings[2].grade, Grade::MayBroken, "least serious last");
        assert!(
            findings[0].statement().contains("expected 404")
                || findings[1].statement().contains("expected 404")
        );
    }

    #[test]
    fn a_finding_id_is_stable_across_runs_and_cases_and_distinct_between_defects() {
        let in_case = |id: &str, mismatch: Mismatch, invariant: bool| {
            let mut result = sample_result(id, Level::Must, CaseOutcome::Failed("x".into()));
            if invariant {
                result.invariants = vec![step(vec![mismatch])];
            } else {
                result.failure = Some(step(vec![mismatch]));
            }
            group(&[result])[0].id.clone()
        };
        let at = |pointer: &str| Mismatch {
            pointer: pointer.into(),
            ..items_per_page()
        };
        let id = in_case("paging::count", at("/Resources/0/itemsPerPage"), false);
        // Pinned: a baseline recorded by an earlier version must still match.
        assert_eq!(id, "f-d6cdd619338c");
        assert_eq!(
            id,
            in_case("filter::eq", at("/Resources/3/itemsPerPage"), true),
            "the same defect in another case, at another index"
        );
        assert_ne!(id, in_case("paging::count", at("/itemsPerPage"), false));
        assert_ne!(
            in_case("users::delete", status("404"), false),
            in_case("users::delete", status("201"), false)
        );
    }

    #[test]
    fn a_finding_only_seen_on_the_way_is_an_invariant() {
        let mut filter = sample_result("filter::eq", Level::Should, CaseOutcome::Passed);
        filter.invariants = vec![step(vec![items_per_page()])];
        let results = [filter];
        let findings = group(&results);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].invariant);
        assert_eq!(findings[0].grade, Grade::ShouldBroken);
    }

    #[test]
    fn a_rule_and_a_schema_finding_the_same_place_breaking_the_same_clause_are_one_finding() {
        let general = |subject: &str, pointer: &str| Mismatch {
            subject: subject.into(),
            actual: "status is the number 404".into(),
            pointer: pointer.into(),
            rfc: Some("RFC 7644 §3.12".into()),
            ..Mismatch::default()
        };
        let mut schema = sample_result("users::a", Level::Must, CaseOutcome::Failed("x".into()));
        schema.failure = Some(step(vec![general("schema `error`", "/status")]));
        let mut rule = sample_result("users::b", Level::Must, CaseOutcome::Failed("x".into()));
        rule.failure = Some(step(vec![general(
            "rule `error-status-matches`",
            "/status",
        )]));
        let mut elsewhere = sample_result("users::c", Level::Must, CaseOutcome::Failed("x".into()));
        elsewhere.failure = Some(step(vec![general("schema `error`", "/scimType")]));
        let results = [schema, rule, elsewhere];
        let findings = group(&results);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(findings[0].cases(), ["users::a", "users::b"]);
    }

    #[test]
    fn a_wrong_status_is_the_finding_not_the_body_it_brought() {
        let body = Mismatch {
            subject: "`/userName`".into(),
            expected: "present".into(),
            actual: "absent".into(),
            pointer: "/userName".into(),
            ..Mismatch::default()
        };
        let mut case = sample_result("users::get", Level::Must, CaseOutcome::Failed("x".into()));
        case.failure = Some(step(vec![status("200"), body.clone()]));
        case.invariants = vec![step(vec![items_per_page()])];
        let mut other = sample_result("users::put", Level::Must, CaseOutcome::Failed("x".into()));
        other.failure = Some(step(vec![body]));
        let results = [case, other];
        let findings = group(&results);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        let user_name = findings
            .iter()
            .find(|f| f.statement().starts_with("`/userName`"))
            .expect("the body finding of the case whose status was right");
        assert_eq!(user_name.cases(), ["users::put"]);
    }

    #[test]
    fn a_statement_is_one_short_line() {
        let long = Mismatch {
            subject: "`/Resources`".into(),
            expected: "length 2".into(),
            actual: format!("length 100: [{}]", "x".repeat(500)),
            pointer: "/Resources".into(),
            ..Mismatch::default()
        };
        let mut case = sample_result("filter::eq", Level::Must, CaseOutcome::Failed("x".into()));
        case.failure = Some(step(vec![long]));
        let results = [case];
        let statement = group(&results)[0].statement();
        assert_eq!(
            statement.chars().count(),
            STATEMENT_CHARS + 1,
            "{statement}"
        );
        assert!(statement.starts_with("`/Resources`: expected length 2, got length 100: [xxx"));
        assert!(statement.ends_with('…'));
    }
}
