//! Finding and deleting what earlier runs left behind: what the ledger recorded as created and
//! never deleted, and every User or Group whose name a run generated under the prefix.
//!
//! Nothing is deleted on anyone's word — not the ledger's, not a server's filter. Each candidate
//! is read first (`GET {collection}/{id}`) and is a leftover only if it still has that id and
//! its userName / displayName is one a run generates (`scimcheck-<8 hex>-<case>-…`, matched
//! case-sensitively) under the prefix and, for a ledger entry, under the run that created it. So
//! an id a reset server gave to someone else, a look-alike such as `SCIMCheck-Report-Bot` or
//! `scimcheck-team`, and a server that ignores filters are all left alone; and so are the
//! resources of a run still in progress.
//!
//! Nor is a tenant walked user by user: the prefix is found with a `sw` filter, and a target
//! that answers it with names outside the prefix has ignored it, so its collection is not
//! listed past that page (a tenant of 100,000 users would take 1,000 pages); what the ledger
//! recorded is still read by id.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::Url;
use serde_json::Value;

use super::client::{self, ExecError, Target};
use super::ledger::{self, LedgerError};
use crate::case::{Auth, Method};
use crate::check::assert::resolve;

/// One resource to delete, read and found to be ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub url: Url,
    pub id: String,
    /// Its userName or displayName, as just read.
    pub label: String,
}

/// What a sweep would do.
#[derive(Debug, Default)]
pub struct Plan {
    pub leftovers: Vec<Leftover>,
    /// Ledger entries whose resource is already gone (404): to record as deleted.
    pub gone: Vec<Leftover>,
    /// Candidates left alone, and why.
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(
        "the prefix `{0}` could match resources no run created: use `scimcheck-` (only the names \
         runs generate match it) or a run's prefix, `scimcheck-` and 8 hex digits"
    )]
    Prefix(String),
}

/// The collections swept by prefix, and the attribute that carries the prefix in each.
const COLLECTIONS: &[(&str, &str)] = &[("/Users", "userName"), ("/Groups", "displayName")];
const PAGE: u32 = 100;
const MAX_PAGES: u32 = 1_000;
/// The generic prefix: every generated name starts with it.
pub const DEFAULT_PREFIX: &str = ledger::RUN_PREFIX;

/// The run that generated `name`: `scimcheck-<8 hex>-<case index>-…`, exactly (every name a
/// case generates has that form; see `case::template`).
pub fn generated_by(name: &str) -> Option<&str> {
    let run = ledger::run_of(name)?;
    let rest = name[run.len()..].strip_prefix('-')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits >= 3 && rest[digits..].starts_with('-')).then_some(run)
}

/// A resource that may be a leftover, before it is read.
struct Candidate {
    url: Url,
    id: String,
    /// The run whose generated name it must carry, for a ledger entry.
    run: Option<String>,
}

pub async fn find(
    target: &Target,
    ledger_path: Option<&Path>,
    prefix: &str,
) -> Result<Plan, SweepError> {
    if prefix != DEFAULT_PREFIX && ledger::run_of(prefix).is_none() {
        return Err(SweepError::Prefix(prefix.to_owned()));
    }
    let mut plan = Plan::default();
    let mut candidates = Vec::new();
    let in_progress =
        |run: &str| ledger_path.is_some_and(|path| ledger::run_in_progress(path, run));
    if let Some(path) = ledger_path {
        let leftovers = ledger::leftovers(path, target.base_url())?;
        plan.skipped.extend(
            leftovers
                .refused
                .into_iter()
                .map(|line| format!("ledger {line}")),
        );
        for entry in leftovers.entries {
            if in_progress(&entry.run) {
                plan.skipped.push(format!(
                    "{}: run {} is still in progress",
                    entry.url, entry.run
                ));
                continue;
            }
            match ledger_url(target, &entry.url, &entry.id) {
                Ok(url) => candidates.push(Candidate {
                    url,
                    id: entry.id,
                    run: Some(entry.run),
                }),
                Err(why) => plan
                    .skipped
                    .push(format!("ledger entry {}: {why}", entry.url)),
            }
        }
    }
    for (collection, attribute) in COLLECTIONS {
        let found = by_prefix(target, collection, attribute, prefix).await?;
        plan.skipped.extend(found.ignored);
        for (url, id, name) in found.named {
            if generated_by(&name).is_some_and(in_progress) {
                plan.skipped
                    .push(format!("{url} ({name}): its run is still in progress"));
                continue;
            }
            candidates.push(Candidate { url, id, run: None });
        }
    }
    let mut seen = BTreeSet::new();
    candidates.retain(|c| seen.insert(c.url.clone()));
    let reads = candidates.iter().map(|c| read(target, c, prefix));
    for (candidate, read) in candidates
        .iter()
        .zip(futures_util::future::join_all(reads).await)
    {
        match read {
            Read::Ours(label) => plan.leftovers.push(Leftover {
                url: candidate.url.clone(),
                id: candidate.id.clone(),
                label,
            }),
            Read::Gone if candidate.run.is_some() => plan.gone.push(Leftover {
                url: candidate.url.clone(),
                id: candidate.id.clone(),
                label: "already gone".into(),
            }),
            Read::Gone => {}
            Read::NotOurs(why) => plan.skipped.push(format!("{}: {why}", candidate.url)),
        }
    }
    Ok(plan)
}

/// A ledger entry's URL, if it is under the base URL and names the member `id` of a
/// collection (never a collection itself).
fn ledger_url(target: &Target, url: &str, id: &str) -> Result<Url, String> {
    let url = client::confine(target.base(), url).map_err(|reason| reason.to_string())?;
    let mut collection = url.clone();
    if let Ok(mut segments) = collection.path_segments_mut() {
        segments.pop_if_empty().pop();
    }
    // Resources live in a collection below the base URL, never directly in it.
    if client::same_resource(&collection, target.base()) {
        return Err("it names a collection, not a resource".into());
    }
    match client::member(&collection, id) {
        Some(member) if client::same_resource(&member, &url) => Ok(member),
        _ => Err(format!("it does not end in its id {id:?}")),
    }
}

enum Read {
    /// Its userName / displayName.
    Ours(String),
    Gone,
    NotOurs(String),
}

/// Reads a candidate: ours only if it answers with its id and a name its run generated.
async fn read(target: &Target, candidate: &Candidate, prefix: &str) -> Read {
    let exchange = match target
        .send(
            Method::Get,
            candidate.url.as_str(),
            &[],
            &[],
            None,
            Auth::Scim,
        )
        .await
    {
        Ok(exchange) => exchange,
        Err(error) => return Read::NotOurs(format!("could not read it: {error}")),
    };
    let response = &exchange.response;
    if response.status == 404 {
        return Read::Gone;
    }
    let Some(body) = response.json.as_ref().filter(|_| response.status == 200) else {
        return Read::NotOurs(format!("reading it answered {}", response.status));
    };
    let id = resolve(body, "/id").and_then(Value::as_str);
    if id != Some(candidate.id.as_str()) {
        return Read::NotOurs(format!(
            "it answered with id {id:?}, not {:?}",
            candidate.id
        ));
    }
    let Some(name) = ledger::name_of(body) else {
        return Read::NotOurs("it has no userName or displayName".into());
    };
    let run = generated_by(name);
    // A ledger entry must carry the name its own run generated; a name found by the prefix
    // scan, one generated under the prefix.
    match &candidate.run {
        Some(expected) if run != Some(expected.as_str()) => Read::NotOurs(format!(
            "its name {name} is not one run {expected} generated (an id reused?)"
        )),
        None if !name.starts_with(prefix) || run.is_none() => Read::NotOurs(format!(
            "its name {name} is not one a run generates under {prefix}"
        )),
        _ => Read::Ours(name.to_owned()),
    }
}

/// What a collection's prefix filter found.
#[derive(Default)]
struct Found {
    /// `(URL, id, name)` of each resource whose name a run generated under the prefix.
    named: Vec<(Url, String, String)>,
    /// Why the collection was not listed to its end, if it was not.
    ignored: Option<String>,
}

/// Users or Groups whose name a run generated under `prefix`.
async fn by_prefix(
    target: &Target,
    collection: &str,
    attribute: &str,
    prefix: &str,
) -> Result<Found, SweepError> {
    let mut found = Found::default();
    let filter = format!("{attribute} sw \"{prefix}\"");
    // A collection path is always under the base URL.
    let Ok(collection_url) = target.confined(collection) else {
        return Ok(found);
    };
    let mut start = 1u64;
    for _ in 0..MAX_PAGES {
        let query = vec![
            ("filter".to_owned(), filter.clone()),
            ("startIndex".to_owned(), start.to_string()),
            ("count".to_owned(), PAGE.to_string()),
        ];
        let exchange = target
            .send(
                Method::Get,
                collection_url.as_str(),
                &query,
                &[],
                None,
                Auth::Scim,
            )
            .await?;
        // A target without Groups, or without filtering, has nothing to sweep there.
        let Some(body) = exchange
            .response
            .json
            .filter(|_| exchange.response.status == 200)
        else {
            break;
        };
        let resources = resolve(&body, "/Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut outside = false;
        for resource in &resources {
            let name = resolve(resource, &format!("/{attribute}")).and_then(Value::as_str);
            let id = resolve(resource, "/id").and_then(Value::as_str);
            let (Some(name), Some(id)) = (name, id) else {
                continue;
            };
            // `sw` may match case-insensitively (userName is caseExact=false); anything else
            // means the filter was not applied.
            outside |= !ledger::starts_with_ignoring_case(name, prefix);
            // The server's filter is not trusted (it may ignore it, or match case-insensitively).
            if !name.starts_with(prefix) || generated_by(name).is_none() {
                continue;
            }
            // Deleted by id in the collection, whatever meta.location says.
            if let Some(url) = client::member(&collection_url, id) {
                found.named.push((url, id.to_owned(), name.to_owned()));
            }
        }
        let total = resolve(&body, "/totalResults").and_then(Value::as_u64);
        start = start.saturating_add(resources.len() as u64);
        if outside && total.is_some_and(|t| start <= t) {
            found.ignored = Some(format!(
                "{collection}: the target ignored the filter `{filter}` (it answered names \
                 outside the prefix), so the rest of the collection was not listed; what the \
                 ledger recorded is still read by id"
            ));
            break;
        }
        if resources.is_empty() || total.is_none_or(|t| start > t) {
            break;
        }
    }
    Ok(found)
}

/// Deletes the leftovers; each answer is the status, or why the request failed.
pub async fn delete(target: &Target, leftovers: &[Leftover]) -> Vec<Result<u16, String>> {
    let deletes = leftovers.iter().map(|leftover| async move {
        target
            .send(
                Method::Delete,
                leftover.url.as_str(),
                &[],
                &[],
                None,
                Auth::Scim,
            )
            .await
            .map(|exchange| exchange.response.status)
            .map_err(|e| e.to_string())
    });
    futures_util::future::join_all(deletes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_are_a_runs() {
        let cases = [
            (
                "scimcheck-0123abcd-001-alice@example.com",
                Some("scimcheck-0123abcd"),
            ),
            ("scimcheck-0123abcd-1234-team", Some("scimcheck-0123abcd")),
            ("scimcheck-0123abcd-001-", Some("scimcheck-0123abcd")),
            ("scimcheck-0123abcd-01-team", None),
            ("scimcheck-0123abcd-001", None),
            ("scimcheck-0123abcd-team", None),
            ("scimcheck-0123abcd", None),
            ("scimcheck-admin@corp.example", None),
            ("SCIMCheck-Report-Bot", None),
            ("scimcheck-team", None),
            // The prefix in the middle of someone's name is not a run's name.
            ("alice-scimcheck-0123abcd-001-x@corp.example", None),
            (" scimcheck-0123abcd-001-x", None),
            ("SCIMCHECK-0123ABCD-001-x", None),
            ("Scimcheck-0123abcd-001-x", None),
            ("scimcheck-0123abcd-００１-x", None),
        ];
        for (name, run) in cases {
            assert_eq!(generated_by(name), run, "{name}");
        }
    }
}
