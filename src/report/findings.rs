//! One defect, one finding: failures grouped by root cause. The same violated expectation
//! (subject), at the same JSON pointer or header, breaking the same clause, is one *symptom*
//! — so one wrong `itemsPerPage` reads as one defect, not as the 28 cases it touched — and
//! symptoms whose cases show the same cause (a PATCH acknowledged and not held, a method
//! not implemented, a foreign credential served, numbers sent as strings, lists holding too
//! much or too little) are one finding listing every symptom, case and step where it showed.

use std::collections::{BTreeMap, BTreeSet};

use super::{CaseResult, Grade};
use crate::case::{Auth, Method};
use crate::check::Mismatch;
use crate::exec::client::Exchange;
use crate::exec::run::StepFailure;

/// Characters of a finding's statement; longer ones are cut.
const STATEMENT_CHARS: usize = 160;

/// One defect of the target and everywhere it showed.
#[derive(Debug)]
pub struct Finding<'a> {
    /// Stable across runs and targets (a digest of what makes it this defect — its cause when
    /// it has one, else its leading symptom — never of the data a case sent): baselines and
    /// `[[accept]]` in scimcheck.toml name findings by it.
    pub id: String,
    /// The most serious grade among the cases it showed in.
    pub grade: Grade,
    /// The clause it breaks: the check's own (a rule, a schema's basis) or the case's.
    pub clause: String,
    /// Only seen as an invariant on the way, never as a case's subject: no case failed for it.
    pub invariant: bool,
    /// The behaviour its symptoms share, when they were grouped by cause: `PATCH acknowledged
    /// (2xx) but not held`.
    pub cause: Option<String>,
    /// Every place it showed, the representative (of its most widespread symptom, first by
    /// case id) first, then by case.
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
    /// The one-line statement of the defect: its cause, if it has one, then its representative
    /// mismatch cut short (the whole value is in the exchange), then how many other symptoms
    /// it groups.
    pub fn statement(&self) -> String {
        let symptom = one_line(self.occurrences[0].mismatch);
        let statement = match &self.cause {
            Some(cause) => format!("{cause}: {symptom}"),
            None => symptom,
        };
        match self.symptom_list().len().saturating_sub(1) {
            0 => statement,
            1 => format!("{statement} (and 1 other symptom)"),
            more => format!("{statement} (and {more} other symptoms)"),
        }
    }

    /// Every symptom it groups (an expectation at a place), one short line each, the
    /// representative's first.
    pub fn symptoms(&self) -> Vec<String> {
        self.symptom_list().into_iter().map(one_line).collect()
    }

    /// Each distinct symptom's first mismatch, the representative's first.
    fn symptom_list(&self) -> Vec<&'a Mismatch> {
        let mut seen: Vec<Key> = Vec::new();
        let mut out = Vec::new();
        for occurrence in &self.occurrences {
            let key = key(occurrence.mismatch);
            if !seen.contains(&key) {
                seen.push(key);
                out.push(occurrence.mismatch);
            }
        }
        out
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
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A mismatch's first line, cut short.
fn one_line(mismatch: &Mismatch) -> String {
    let full = mismatch.to_string();
    let line = full.lines().next().unwrap_or_default();
    match line.char_indices().nth(STATEMENT_CHARS) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None if line.len() < full.len() => format!("{line}…"),
        None => full,
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

/// A JSON pointer with array indices as `*` and lowercase: `/Resources/2/id` → `/resources/*/id`.
fn normalized_pointer(pointer: &str) -> String {
    pointer
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
}

fn key(mismatch: &Mismatch) -> Key {
    let pointer: String = if mismatch.pointer.is_empty() {
        mismatch.subject.to_lowercase()
    } else {
        normalized_pointer(&mismatch.pointer)
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

/// Why a failure happened, read from the requests of its case rather than from the value it
/// found wrong: a server that acknowledges a PATCH and drops it breaks `/title`, `/emails` and
/// `/members` in as many cases, and the fix is one. Only the case's own assertions have one;
/// a named rule or schema already says what it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    /// Requests without a valid credential of the tenant were served (`status` is `None`: any
    /// 2xx) or refused with this status instead of the refusal due: the authentication
    /// layer, not one handler.
    Credential {
        credential: &'static str,
        status: Option<u16>,
    },
    /// Values of this JSON type sent as another (`"3"` for `3`), by whichever check saw it.
    Typed { json_type: String },
    /// Requests with this method got 501 or 405 whatever they asked: the method is not
    /// implemented or not allowed at all. (A 500 is not grouped so: two handlers crashing
    /// are two defects.)
    Refused { method: &'static str, status: u16 },
    /// A PATCH or PUT was answered 2xx, and its own response or a later read of what it
    /// changed (the resource, or a list of its collection) does not show the change.
    NotHeld { method: &'static str },
    /// Attributes the request left out (`attributes`, `excludedAttributes`) came back.
    NotProjected,
    /// Lists hold more than the request selects: a filter or a count not applied, an item
    /// repeated across pages.
    ListExtra,
    /// Lists lack what the request selects: an item skipped, a page lost.
    ListMissing,
}

impl Cause {
    /// The defect as a behaviour, leading the finding's statement.
    fn describe(&self) -> String {
        match self {
            Cause::Credential {
                credential,
                status: None,
            } => format!("requests {credential} were served"),
            Cause::Credential {
                credential,
                status: Some(status),
            } => format!("requests {credential} answered {status}"),
            Cause::Typed { json_type } => format!("{json_type} values sent as another JSON type"),
            Cause::Refused { method, status } => {
                format!("{method} answered {status} whatever it asked")
            }
            Cause::NotHeld { method } => format!("{method} acknowledged (2xx) but not held"),
            Cause::NotProjected => "attributes and excludedAttributes not applied".to_owned(),
            Cause::ListExtra => "lists hold resources the request does not select".to_owned(),
            Cause::ListMissing => "lists lack resources the request selects".to_owned(),
        }
    }

    /// What the finding id of a defect grouped by this cause is a digest of: never the
    /// symptoms, which vary with the cases that ran.
    fn key(&self) -> Key {
        let (check, expected) = match self {
            Cause::Credential { credential, status } => (
                format!("credential {credential}"),
                status.map_or_else(|| "2xx".to_owned(), |status| status.to_string()),
            ),
            Cause::Typed { json_type } => (format!("typed {json_type}"), String::new()),
            Cause::Refused { method, status } => (format!("refused {method}"), status.to_string()),
            Cause::NotHeld { method } => (format!("not held {method}"), String::new()),
            Cause::NotProjected => ("not projected".to_owned(), String::new()),
            Cause::ListExtra => ("list extra".to_owned(), String::new()),
            Cause::ListMissing => ("list missing".to_owned(), String::new()),
        };
        Key {
            check: format!("cause: {check}"),
            pointer: String::new(),
            clause: String::new(),
            expected,
        }
    }
}

/// The cause of one occurrence, if its case's requests show one.
fn cause(occurrence: &Occurrence<'_>) -> Option<Cause> {
    let mismatch = occurrence.mismatch;
    if let Some(json_type) = mistyped(mismatch) {
        return Some(Cause::Typed { json_type });
    }
    if mismatch.rfc.is_some() {
        return None;
    }
    let exchange = occurrence.step.exchange.as_ref();
    if is_status(mismatch) {
        let exchange = exchange?;
        let status = exchange.response.status;
        if matches!(status, 405 | 501) {
            return Some(Cause::Refused {
                method: exchange.request.method.as_str(),
                status,
            });
        }
        // Only where a refusal was due: a request without a token may be meant to succeed.
        let refusal_due = ["401", "403"].iter().any(|s| mismatch.expected.contains(s));
        return credential(exchange)
            .filter(|_| refusal_due)
            .map(|credential| Cause::Credential {
                credential,
                status: (!(200..300).contains(&status)).then_some(status),
            });
    }
    // A body served to a foreign credential (another tenant's list holding ours) is that
    // credential served.
    if let Some(credential) = exchange
        .filter(|exchange| (200..300).contains(&exchange.response.status))
        .and_then(credential)
    {
        return Some(Cause::Credential {
            credential,
            status: None,
        });
    }
    if exchange.is_some_and(|exchange| item_absent(mismatch, exchange)) {
        return Some(Cause::ListMissing);
    }
    let kept_out = mismatch.expected == "absent" || mismatch.expected.contains(":null}");
    if kept_out && exchange.is_some_and(projects) {
        return Some(Cause::NotProjected);
    }
    // What the server keeps itself (`/meta/…`) is no write's to hold.
    let written = !normalized_pointer(&mismatch.pointer).starts_with("/meta/");
    exchange
        .filter(|_| written)
        .and_then(|exchange| not_held(occurrence.case, occurrence.step.step, exchange))
        .or_else(|| list_cause(mismatch))
}

/// Whether a mismatch inside a list's item (`/Resources/0/emails` absent) is there because
/// the list has no such item at all: then the list lacks a resource, whatever the item was
/// expected to hold.
fn item_absent(mismatch: &Mismatch, exchange: &Exchange) -> bool {
    let mut segments = mismatch.pointer.split('/');
    let item = match (segments.next(), segments.next(), segments.next()) {
        (Some(""), Some(list), Some(index))
            if list.eq_ignore_ascii_case("Resources")
                && !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("/{list}/{index}")
        }
        _ => return false,
    };
    mismatch.actual == "absent"
        && exchange
            .response
            .json
            .as_ref()
            .is_some_and(|body| body.pointer(&item).is_none())
}

/// Who a request's credential makes it, when it is not the tenant's SCIM token.
fn credential(exchange: &Exchange) -> Option<&'static str> {
    match exchange.request.auth {
        Auth::Scim => None,
        Auth::OtherTenant => Some("with another tenant's token"),
        Auth::Revoked => Some("with a revoked token"),
        Auth::None | Auth::Wrong | Auth::Malformed | Auth::ApiKey => Some("without a SCIM token"),
    }
}

/// The JSON type a value should have had, when the mismatch is that it came as another: a
/// schema's `is not of type "integer"`, an assertion's `expected type integer` or `expected
/// 0, got "0"`, a walk's `expected a non-negative integer …, got "3"`.
fn mistyped(mismatch: &Mismatch) -> Option<String> {
    let (expected, actual) = (mismatch.expected.as_str(), mismatch.actual.as_str());
    if mismatch.rfc.is_some() {
        let (value, rest) = actual.split_once(" is not of type \"")?;
        // A null is a value missing, not one of another type.
        if value.ends_with("null") {
            return None;
        }
        return rest
            .split_once('"')
            .map(|(json_type, _)| json_type.to_owned());
    }
    if let Some(json_type) = expected.strip_prefix("type ") {
        return Some(json_type.to_owned());
    }
    if expected.starts_with("a non-negative integer") && actual.starts_with('"') {
        return Some("integer".to_owned());
    }
    let quoted = actual.strip_prefix('"')?.strip_suffix('"')?;
    match serde_json::from_str::<serde_json::Value>(expected).ok()? {
        serde_json::Value::Number(n) if quoted == expected => {
            Some(if n.is_f64() { "number" } else { "integer" }.to_owned())
        }
        serde_json::Value::Bool(_) if quoted == expected => Some("boolean".to_owned()),
        _ => None,
    }
}

/// The PATCH or PUT a failing body shows not held: the step's own, when it sent one and got a
/// 2xx; otherwise the case's last acknowledged one, before this step, to the resource it read
/// or to a resource of the collection it listed.
fn not_held(case: &CaseResult, step: usize, exchange: &Exchange) -> Option<Cause> {
    let updates = |method: Method| matches!(method, Method::Patch | Method::Put);
    let request = &exchange.request;
    if updates(request.method) {
        return (200..300)
            .contains(&exchange.response.status)
            .then(|| Cause::NotHeld {
                method: request.method.as_str(),
            });
    }
    let read = path(&request.url);
    let collection = read.strip_suffix("/.search").unwrap_or(read);
    case.trace
        .iter()
        .rev()
        .filter(|sent| sent.step < step && updates(sent.method))
        .filter(|sent| (200..300).contains(&sent.status))
        .find(|sent| {
            let written = path(&sent.url);
            written == read
                || written
                    .rsplit_once('/')
                    .is_some_and(|(parent, _)| parent == collection)
        })
        .map(|sent| Cause::NotHeld {
            method: sent.method.as_str(),
        })
}

/// Whether a request asks for some attributes only, in its query or its search body.
fn projects(exchange: &Exchange) -> bool {
    let request = &exchange.request;
    let query = request.url.split_once('?').map_or("", |(_, query)| query);
    let in_query = query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        name.eq_ignore_ascii_case("attributes") || name.eq_ignore_ascii_case("excludedAttributes")
    });
    let in_body = || {
        request
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok())
            .and_then(|body| {
                body.as_object().map(|fields| {
                    fields.keys().any(|name| {
                        name.eq_ignore_ascii_case("attributes")
                            || name.eq_ignore_ascii_case("excludedAttributes")
                    })
                })
            })
            .unwrap_or(false)
    };
    in_query || (request.url.trim_end_matches('/').ends_with("/.search") && in_body())
}

/// A URL without its query, and without a trailing slash.
fn path(url: &str) -> &str {
    let path = url.split_once('?').map_or(url, |(path, _)| path);
    path.trim_end_matches('/')
}

/// Whether a mismatch about a list says it holds too much or too little: its size
/// (`totalResults`, `itemsPerPage`, `Resources`' length, a walk's count of items), an item
/// expected in it or kept out of it, an item repeated across pages.
fn list_cause(mismatch: &Mismatch) -> Option<Cause> {
    let more_or_less = |expected: &str, actual: &str| {
        let expected = leading_number(expected)?;
        let actual = leading_number(actual)?;
        match actual.cmp(&expected) {
            std::cmp::Ordering::Greater => Some(Cause::ListExtra),
            std::cmp::Ordering::Less => Some(Cause::ListMissing),
            std::cmp::Ordering::Equal => None,
        }
    };
    let (expected, actual) = (mismatch.expected.as_str(), mismatch.actual.as_str());
    match normalized_pointer(&mismatch.pointer).as_str() {
        // A paging walk names its quantities without a slash.
        "/totalresults" | "/itemsperpage" | "totalresults" | "walk" => {
            more_or_less(expected, actual)
        }
        "/resources" => {
            if let (Some(expected), Some(actual)) = (
                expected.strip_prefix("length "),
                actual.strip_prefix("length "),
            ) {
                more_or_less(expected, actual)
            } else if expected.starts_with("not containing") {
                Some(Cause::ListExtra)
            } else if expected.starts_with("containing") {
                Some(Cause::ListMissing)
            } else {
                None
            }
        }
        "/resources/*" => match (expected, actual) {
            ("absent", _) => Some(Cause::ListExtra),
            _ => None,
        },
        "resources" if expected.starts_with("at most count=") => Some(Cause::ListExtra),
        "resources" if expected == "no item repeated across pages" => Some(Cause::ListExtra),
        _ => None,
    }
}

/// The number a text starts with: `5` of `5 distinct items in all`; none in `"5"`.
fn leading_number(text: &str) -> Option<u64> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// The cause most of a symptom's cases show, if at least half show it: one case that
/// happened to PATCH before listing does not make a filter defect a PATCH defect.
fn majority(occurrences: &[Occurrence<'_>]) -> Option<Cause> {
    let mut votes: BTreeMap<Cause, Vec<&str>> = BTreeMap::new();
    let mut cases: Vec<&str> = Vec::new();
    for occurrence in occurrences {
        let id = occurrence.case.id.as_str();
        if cases.last() != Some(&id) {
            cases.push(id);
        }
        if let Some(cause) = cause(occurrence) {
            let voters = votes.entry(cause).or_default();
            if voters.last() != Some(&id) {
                voters.push(id);
            }
        }
    }
    let (cause, voters) = votes.into_iter().max_by_key(|(_, voters)| voters.len())?;
    (voters.len() * 2 >= cases.len()).then_some(cause)
}

/// The occurrences of one symptom: the same violated expectation at the same place.
struct Symptom<'a> {
    key: Key,
    occurrences: Vec<Occurrence<'a>>,
    /// Every occurrence is an invariant broken on the way.
    invariant: bool,
}

/// Every failing mismatch of the run, grouped by symptom, in key order.
fn symptoms(results: &[CaseResult]) -> Vec<Symptom<'_>> {
    let mut grouped: BTreeMap<Key, Symptom<'_>> = BTreeMap::new();
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
                let symptom = grouped.entry(key.clone()).or_insert_with(|| Symptom {
                    key,
                    occurrences: Vec::new(),
                    invariant: true,
                });
                symptom.invariant &= invariant;
                symptom.occurrences.push(Occurrence {
                    case,
                    step,
                    mismatch,
                });
            }
        }
    }
    grouped.into_values().collect()
}

/// The findings of a run, most serious first, then the most widespread. Failures are grouped
/// by symptom first (the same expectation at the same place); then symptoms whose cases
/// mostly show the same cause (see `Cause`) are one finding, named by that cause, its
/// most widespread symptom its example. `results` are sorted by case id.
pub fn group(results: &[CaseResult]) -> Vec<Finding<'_>> {
    let mut by_cause: BTreeMap<Cause, Vec<Symptom<'_>>> = BTreeMap::new();
    let mut alone: Vec<Symptom<'_>> = Vec::new();
    for symptom in symptoms(results) {
        match majority(&symptom.occurrences) {
            Some(cause) => by_cause.entry(cause).or_default().push(symptom),
            None => alone.push(symptom),
        }
    }
    let mut clusters: Vec<Cluster<'_>> = by_cause
        .into_iter()
        .map(|(cause, symptoms)| Cluster::new(cause.key().id(), Some(cause.describe()), symptoms))
        .chain(
            alone
                .into_iter()
                .map(|symptom| Cluster::new(symptom.key.id(), None, vec![symptom])),
        )
        .collect();
    fold_cascades(&mut clusters);
    let mut findings: Vec<Finding<'_>> = clusters
        .into_iter()
        .map(|cluster| finding(cluster.id, cluster.cause, cluster.symptoms))
        .collect();
    findings.sort_by(|a, b| {
        (a.grade, std::cmp::Reverse(a.cases().len()))
            .cmp(&(b.grade, std::cmp::Reverse(b.cases().len())))
    });
    findings
}

/// Symptoms on their way to being one finding.
struct Cluster<'a> {
    id: String,
    cause: Option<String>,
    symptoms: Vec<Symptom<'a>>,
    /// The responses it showed in: (case, step).
    responses: BTreeSet<(&'a str, usize)>,
}

impl<'a> Cluster<'a> {
    fn new(id: String, cause: Option<String>, symptoms: Vec<Symptom<'a>>) -> Cluster<'a> {
        let responses = symptoms
            .iter()
            .flat_map(|s| &s.occurrences)
            .map(|o| (o.case.id.as_str(), o.step.step))
            .collect();
        Cluster {
            id,
            cause,
            symptoms,
            responses,
        }
    }
}

/// Like a compiler suppressing cascading errors: a symptom of no known cause that only ever
/// showed on responses that also show another finding (an HTML 401 page breaks the content
/// type, the error body and the JSON its case expected, always together) is that finding
/// seen another way. It folds into the most widespread such finding; its id is that
/// finding's.
fn fold_cascades(clusters: &mut Vec<Cluster<'_>>) {
    // Smallest first, so that a chain of cascades ends in the widest. A fold adds no
    // response to the finding it folds into (they are a subset of its own).
    clusters.sort_by_key(|cluster| cluster.responses.len());
    let mut index = 0;
    while index < clusters.len() {
        let cluster = &clusters[index];
        let folds = cluster.cause.is_none() && cluster.symptoms.len() == 1;
        let into = (index + 1..clusters.len())
            .filter(|_| folds)
            .filter(|&other| cluster.responses.is_subset(&clusters[other].responses))
            .max_by_key(|&other| clusters[other].responses.len());
        match into {
            Some(other) => {
                let folded = clusters.remove(index);
                clusters[other - 1].symptoms.extend(folded.symptoms);
            }
            None => index += 1,
        }
    }
}

/// One finding made of `symptoms`, the most widespread first.
fn finding<'a>(id: String, cause: Option<String>, mut symptoms: Vec<Symptom<'a>>) -> Finding<'a> {
    let cases_of = |symptom: &Symptom<'_>| {
        let mut ids: Vec<&str> = symptom
            .occurrences
            .iter()
            .map(|o| o.case.id.as_str())
            .collect();
        ids.dedup();
        ids.len()
    };
    // Stable: among equally widespread symptoms the first by key leads, on every run.
    symptoms.sort_by_key(|symptom| std::cmp::Reverse(cases_of(symptom)));
    // The leading symptom's check's own clause, if it has one.
    let clause = symptoms
        .first()
        .map(|lead| lead.key.clause.clone())
        .unwrap_or_default();
    let invariant = symptoms.iter().all(|s| s.invariant);
    let mut occurrences: Vec<Occurrence<'a>> = symptoms
        .into_iter()
        .flat_map(|symptom| symptom.occurrences)
        .collect();
    let grade = occurrences
        .iter()
        .map(|o| o.case.failure_grade())
        .min()
        .unwrap_or(Grade::Passed);
    let clause = if clause.is_empty() {
        let mut cases: Vec<&CaseResult> = occurrences.iter().map(|o| o.case).collect();
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        cases.dedup_by(|a, b| a.id == b.id);
        cited_by_most(&cases)
    } else {
        clause
    };
    // The example stays first; the rest by case, so each case's symptoms read together.
    if let Some((_, rest)) = occurrences.split_first_mut() {
        rest.sort_by(|a, b| a.case.id.cmp(&b.case.id));
    }
    Finding {
        id,
        grade,
        clause,
        invariant,
        cause,
        occurrences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::{CaseOutcome, sample_result};
    use serde_json::json;

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
            subject: "`/emails`".into(),
            expected: "length 2".into(),
            actual: format!("length 100: [{}]", "x".repeat(500)),
            pointer: "/emails".into(),
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
        assert!(statement.starts_with("`/emails`: expected length 2, got length 100: [xxx"));
        assert!(statement.ends_with('…'));
    }

    /// A step that sent `method url` and got `status` with `body`.
    fn exchanged(method: Method, url: &str, status: u16, body: serde_json::Value) -> StepFailure {
        use crate::exec::client::{Response, SentRequest};
        StepFailure {
            step: 2,
            exchange: Some(Exchange {
                request: SentRequest {
                    method,
                    url: format!("https://example.com/scim/v2{url}"),
                    auth: crate::case::Auth::Scim,
                    headers: vec![],
                    body: None,
                },
                response: Response {
                    status,
                    headers: vec![],
                    body: body.to_string(),
                    json: Some(body),
                    elapsed: std::time::Duration::ZERO,
                },
            }),
            ..step(vec![])
        }
    }

    /// The case's steps 0 and 1: a POST and `method url` answered `status`.
    fn sent_before(method: Method, url: &str, status: u16) -> Vec<crate::exec::run::Sent> {
        let sent = |step, method, url: &str, status| crate::exec::run::Sent {
            step,
            method,
            url: format!("https://example.com/scim/v2{url}"),
            status,
            elapsed: std::time::Duration::ZERO,
            record: None,
        };
        vec![
            sent(0, Method::Post, "/Users", 201),
            sent(1, method, url, status),
        ]
    }

    fn value(pointer: &str, expected: &str, actual: &str) -> Mismatch {
        Mismatch {
            subject: format!("`{pointer}`"),
            expected: expected.into(),
            actual: actual.into(),
            pointer: pointer.into(),
            ..Mismatch::default()
        }
    }

    /// A MUST case that failed on `failure`, having sent `trace` before.
    fn failed(id: &str, failure: StepFailure, trace: Vec<crate::exec::run::Sent>) -> CaseResult {
        let mut case = sample_result(id, Level::Must, CaseOutcome::Failed("x".into()));
        case.failure = Some(failure);
        case.trace = trace;
        case
    }

    #[test]
    fn a_patch_acknowledged_and_not_held_is_one_finding_whatever_it_broke() {
        let read_back = |mismatch: Mismatch| StepFailure {
            mismatches: vec![mismatch],
            ..exchanged(Method::Get, "/Users/u1", 200, json!({}))
        };
        let patched = || sent_before(Method::Patch, "/Users/u1", 200);
        let results = [
            failed(
                "groups::patch-add-member",
                StepFailure {
                    mismatches: vec![value("/members", "present", "absent")],
                    ..exchanged(Method::Patch, "/Groups/g1", 200, json!({}))
                },
                vec![],
            ),
            failed(
                "users::patch-add",
                read_back(value("/emails", "length 3", "length 2: [..]")),
                patched(),
            ),
            failed(
                "users::patch-replace",
                read_back(value("/title", "\"After\"", "\"Before\"")),
                patched(),
            ),
            // The same place, read back after a POST only: not a PATCH's doing.
            failed(
                "users::create",
                read_back(value("/nickName", "present", "absent")),
                sent_before(Method::Get, "/Users/u1", 200),
            ),
            // A PATCH refused is not a PATCH not held.
            failed(
                "users::patch-remove",
                read_back(value("/displayName", "absent", "\"Before\"")),
                sent_before(Method::Patch, "/Users/u1", 400),
            ),
        ];
        let findings = group(&results);
        assert_eq!(findings.len(), 3, "{findings:#?}");
        let patch = findings
            .iter()
            .find(|f| f.cause.is_some())
            .expect("the PATCH finding");
        assert_eq!(
            patch.cases(),
            [
                "groups::patch-add-member",
                "users::patch-add",
                "users::patch-replace"
            ]
        );
        assert_eq!(patch.symptoms().len(), 3, "every symptom is listed");
        assert!(
            patch.statement().starts_with(
                "PATCH acknowledged (2xx) but not held: `/emails`: expected length 3, got length 2"
            ),
            "{}",
            patch.statement()
        );
        assert!(patch.statement().ends_with("(and 2 other symptoms)"));
        assert_eq!(patch.grade, Grade::MustBroken);
        // Pinned: the id is the cause's, whatever symptoms showed it.
        assert_eq!(patch.id, "f-1cb7ed73fbe1");
        let only_title = [failed(
            "users::patch-replace",
            read_back(value("/title", "\"After\"", "\"Before\"")),
            patched(),
        )];
        assert_eq!(group(&only_title)[0].id, patch.id);
    }

    #[test]
    fn unrelated_defects_stay_apart() {
        let list = |status: u16, mismatch: Mismatch| StepFailure {
            mismatches: vec![mismatch],
            ..exchanged(
                Method::Get,
                "/Users?filter=userName+eq+%22a%22",
                status,
                json!({"totalResults": 2, "Resources": [{"id": "a"}, {"id": "b"}]}),
            )
        };
        let results = [
            // Lists too long, lists too short.
            failed(
                "filter::eq",
                list(200, value("/totalResults", "1", "2")),
                vec![],
            ),
            failed(
                "filter::sw",
                list(200, value("/Resources", "length 1", "length 2: [..]")),
                vec![],
            ),
            failed(
                "paging::start",
                list(200, value("/Resources/2/id", "present", "absent")),
                vec![],
            ),
            failed(
                "paging::walk",
                StepFailure {
                    mismatches: vec![Mismatch {
                        pointer: "walk".into(),
                        ..value("walk", "5 distinct items in all", "4 items over 3 page(s)")
                    }],
                    ..step(vec![])
                },
                vec![],
            ),
            // PATCH answers 501 whatever it asked, on users and groups alike.
            failed(
                "groups::patch",
                StepFailure {
                    mismatches: vec![status("200 or 204")],
                    ..exchanged(Method::Patch, "/Groups/g1", 501, json!({}))
                },
                vec![],
            ),
            failed(
                "users::patch-invalid",
                StepFailure {
                    mismatches: vec![status("400")],
                    ..exchanged(Method::Patch, "/Users/u1", 501, json!({}))
                },
                vec![],
            ),
            // A token accepted: a 200 where 401 was due is its own defect.
            failed(
                "auth::wrong-token",
                StepFailure {
                    mismatches: vec![status("401")],
                    ..exchanged(Method::Get, "/Users", 200, json!({}))
                },
                vec![],
            ),
            // Attributes asked away came back.
            failed(
                "projection::excluded",
                StepFailure {
                    mismatches: vec![value("/emails", "absent", "[..]")],
                    ..exchanged(
                        Method::Get,
                        "/Users/u1?excludedAttributes=emails",
                        200,
                        json!({}),
                    )
                },
                vec![],
            ),
        ];
        let findings = group(&results);
        let by_case = |case: &str| -> Vec<&str> {
            findings
                .iter()
                .find(|f| f.cases().contains(&case))
                .expect(case)
                .cases()
        };
        assert_eq!(findings.len(), 5, "{findings:#?}");
        assert_eq!(by_case("filter::eq"), ["filter::eq", "filter::sw"]);
        assert_eq!(by_case("paging::walk"), ["paging::start", "paging::walk"]);
        assert_eq!(
            by_case("users::patch-invalid"),
            ["groups::patch", "users::patch-invalid"]
        );
        assert_eq!(by_case("auth::wrong-token"), ["auth::wrong-token"]);
        assert_eq!(by_case("projection::excluded"), ["projection::excluded"]);
        let refused = findings
            .iter()
            .find(|f| f.cases().contains(&"groups::patch"))
            .expect("501");
        assert!(
            refused
                .statement()
                .starts_with("PATCH answered 501 whatever it asked: status: expected"),
            "{}",
            refused.statement()
        );
    }

    #[test]
    fn a_cause_most_cases_of_a_symptom_do_not_show_is_not_its_cause() {
        let list = || StepFailure {
            mismatches: vec![value("/totalResults", "1", "40")],
            ..exchanged(
                Method::Get,
                "/Users?filter=x",
                200,
                json!({"totalResults": 40}),
            )
        };
        let results = [
            failed("filter::eq", list(), vec![]),
            failed("filter::sw", list(), vec![]),
            // The one case that patched a user of the collection before listing it.
            failed(
                "reread::patch",
                list(),
                sent_before(Method::Patch, "/Users/u1", 200),
            ),
        ];
        let findings = group(&results);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0]
                .statement()
                .starts_with("lists hold resources the request does not select")
        );
    }

    #[test]
    fn a_symptom_only_ever_seen_with_another_folds_into_it() {
        let html = |case: &str, step_no: usize| {
            let mut failure = step(vec![
                Mismatch {
                    subject: "rule `content-type-scim` [RFC 7644 §3.1, §8.1]".into(),
                    actual: "Content-Type \"text/html\" is not application/scim+json".into(),
                    rfc: Some("RFC 7644 §3.1, §8.1".into()),
                    ..Mismatch::default()
                },
                value("body", "a JSON body", "a non-JSON body"),
            ]);
            failure.step = step_no;
            let mut case = failed(case, failure, vec![]);
            case.failure
                .iter_mut()
                .for_each(|f| f.mismatches[1].pointer.clear());
            case
        };
        let mut lone = html("users::get", 1);
        // The content type alone on another step of its own: still the same defect.
        lone.invariants = vec![step(vec![Mismatch {
            subject: "rule `content-type-scim` [RFC 7644 §3.1, §8.1]".into(),
            actual: "Content-Type \"text/html\" is not application/scim+json".into(),
            rfc: Some("RFC 7644 §3.1, §8.1".into()),
            ..Mismatch::default()
        }])];
        let mut apart = failed(
            "users::other",
            step(vec![value("/title", "\"a\"", "\"b\"")]),
            vec![],
        );
        apart.failure.iter_mut().for_each(|f| f.step = 1);
        let results = [html("auth::no-token", 0), lone, apart];
        let findings = group(&results);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        let html_finding = &findings[0];
        assert_eq!(html_finding.cases(), ["auth::no-token", "users::get"]);
        assert_eq!(html_finding.symptoms().len(), 2);
        assert!(
            html_finding
                .statement()
                .starts_with("rule `content-type-scim`"),
            "{}",
            html_finding.statement()
        );
        assert!(html_finding.statement().ends_with("(and 1 other symptom)"));
        assert_eq!(
            html_finding.clause, "RFC 7644 §3.1, §8.1",
            "the leading check's"
        );
        assert_eq!(findings[1].cases(), ["users::other"]);
    }

    #[test]
    fn a_foreign_credential_served_is_one_finding_and_a_wrong_refusal_another() {
        let with = |auth: crate::case::Auth, method: Method, status: u16, expected: &str| {
            let mut failure = StepFailure {
                mismatches: vec![super::tests::status(expected)],
                ..exchanged(method, "/Users/u1", status, json!({}))
            };
            if let Some(exchange) = &mut failure.exchange {
                exchange.request.auth = auth;
            }
            failure
        };
        use crate::case::Auth;
        let results = [
            failed(
                "auth::malformed::get",
                with(Auth::Malformed, Method::Get, 200, "401 or 403"),
                vec![],
            ),
            failed(
                "auth::api-key::get",
                with(Auth::ApiKey, Method::Get, 200, "401 or 403"),
                vec![],
            ),
            failed(
                "auth::no-token::delete",
                with(Auth::None, Method::Delete, 204, "401 or 403"),
                vec![],
            ),
            // Refused, but with 403 where 401 was due: another defect.
            failed(
                "auth::wrong-token::get",
                with(Auth::Wrong, Method::Get, 403, "401"),
                vec![],
            ),
            // Another tenant's token served: another defect again.
            failed(
                "auth::other-tenant::get",
                with(Auth::OtherTenant, Method::Get, 200, "401 or 403 or 404"),
                vec![],
            ),
            // Without a token where success was due: not the credential's doing.
            failed(
                "discovery::spc",
                with(Auth::None, Method::Get, 401, "200"),
                vec![],
            ),
        ];
        let findings = group(&results);
        let by_case = |case: &str| -> Vec<&str> {
            findings
                .iter()
                .find(|f| f.cases().contains(&case))
                .expect(case)
                .cases()
        };
        assert_eq!(findings.len(), 4, "{findings:#?}");
        assert_eq!(
            by_case("auth::api-key::get"),
            [
                "auth::api-key::get",
                "auth::malformed::get",
                "auth::no-token::delete"
            ]
        );
        assert_eq!(
            by_case("auth::wrong-token::get"),
            ["auth::wrong-token::get"]
        );
        assert_eq!(
            by_case("auth::other-tenant::get"),
            ["auth::other-tenant::get"]
        );
        assert_eq!(by_case("discovery::spc"), ["discovery::spc"]);
        let served = findings
            .iter()
            .find(|f| f.cases().len() == 3)
            .expect("served");
        assert!(
            served
                .statement()
                .starts_with("requests without a SCIM token were served: status: expected 401"),
            "{}",
            served.statement()
        );
        let wrong = findings
            .iter()
            .find(|f| f.cases() == ["auth::wrong-token::get"])
            .expect("403");
        assert!(
            wrong
                .statement()
                .starts_with("requests without a SCIM token answered 403")
        );
    }

    #[test]
    fn a_number_sent_as_a_string_is_one_finding_whichever_check_saw_it() {
        let schema = |pointer: &str, value: &str| Mismatch {
            subject: "schema `list-response`".into(),
            actual: format!(
                "at {pointer}: {value} is not of type \"integer\" [RFC 7644 §3.4.2 (MUST)]"
            ),
            pointer: pointer.into(),
            rfc: Some("RFC 7644 §3.4.2".into()),
            ..Mismatch::default()
        };
        let walk = Mismatch {
            pointer: "itemsPerPage".into(),
            ..value(
                "itemsPerPage",
                "a non-negative integer (RFC 7644 §3.4.2)",
                "\"2\" (page 1)",
            )
        };
        let results = [
            failed(
                "filter::eq",
                step(vec![value("/totalResults", "1", "\"1\"")]),
                vec![],
            ),
            failed(
                "paging::count",
                step(vec![
                    schema("/itemsPerPage", "\"2\""),
                    schema("/startIndex", "\"1\""),
                ]),
                vec![],
            ),
            failed(
                "paging::start",
                step(vec![value("/startIndex", "type integer", "\"1\"")]),
                vec![],
            ),
            failed("paging::walk", step(vec![walk]), vec![]),
            // A value missing is not a value of another type; a string where a string was
            // expected is no type error.
            failed(
                "bulk::ids",
                step(vec![Mismatch {
                    subject: "schema `bulk-response`".into(),
                    ..schema("/Operations/0/bulkId", "null")
                }]),
                vec![],
            ),
            failed(
                "users::title",
                step(vec![value("/title", "\"1\"", "\"2\"")]),
                vec![],
            ),
        ];
        let findings = group(&results);
        assert_eq!(findings.len(), 3, "{findings:#?}");
        let typed = &findings[0];
        assert_eq!(
            typed.cases(),
            [
                "filter::eq",
                "paging::count",
                "paging::start",
                "paging::walk"
            ]
        );
        assert_eq!(typed.symptoms().len(), 5);
        assert!(
            typed
                .statement()
                .starts_with("integer values sent as another JSON type: "),
            "{}",
            typed.statement()
        );
    }
}
