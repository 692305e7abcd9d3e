//! Finding and deleting what earlier runs left behind: everything the ledger recorded as
//! created and never deleted, and every User or Group whose name carries the run prefix.
//!
//! A server's filter is not trusted: a resource found by the prefix filter is a leftover only if
//! its own userName / displayName really starts with the prefix, so a server that ignores
//! filters cannot make sweep delete its real users.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::client::{ExecError, Target};
use super::ledger::{self, Entry, LedgerError};
use crate::case::{Auth, Method};
use crate::check::assert::resolve;

/// One resource to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub url: String,
    pub id: String,
    /// What identifies it to a person: its userName or displayName, or the run that made it.
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("the prefix must be at least 4 characters, or sweep could match real resources")]
    PrefixTooShort,
}

/// The collections swept by prefix, and the attribute that carries the prefix in each.
const COLLECTIONS: &[(&str, &str)] = &[("/Users", "userName"), ("/Groups", "displayName")];
const PAGE: u32 = 100;
const MAX_PAGES: u32 = 1_000;

pub async fn find(
    target: &Target,
    ledger_path: Option<&Path>,
    prefix: &str,
) -> Result<Vec<Leftover>, SweepError> {
    if prefix.chars().count() < 4 {
        return Err(SweepError::PrefixTooShort);
    }
    let mut found: Vec<Leftover> = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(path) = ledger_path {
        for Entry { url, id, run, .. } in ledger::leftovers(path, target.base_url())? {
            if seen.insert(url.clone()) {
                found.push(Leftover {
                    url,
                    id,
                    label: format!("created by run {run}"),
                });
            }
        }
    }
    for (collection, attribute) in COLLECTIONS {
        for leftover in by_prefix(target, collection, attribute, prefix).await? {
            if seen.insert(leftover.url.clone()) {
                found.push(leftover);
            }
        }
    }
    Ok(found)
}

async fn by_prefix(
    target: &Target,
    collection: &str,
    attribute: &str,
    prefix: &str,
) -> Result<Vec<Leftover>, SweepError> {
    let mut out = Vec::new();
    let mut start = 1u64;
    for _ in 0..MAX_PAGES {
        let query = vec![
            ("filter".to_owned(), format!("{attribute} sw \"{prefix}\"")),
            ("startIndex".to_owned(), start.to_string()),
            ("count".to_owned(), PAGE.to_string()),
        ];
        let exchange = target
            .send(
                Method::Get,
                &target.url(collection),
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
        for resource in &resources {
            let name = resolve(resource, &format!("/{attribute}")).and_then(Value::as_str);
            let id = resolve(resource, "/id").and_then(Value::as_str);
            let (Some(name), Some(id)) = (name, id) else {
                continue;
            };
            if !name.to_lowercase().starts_with(&prefix.to_lowercase()) {
                continue;
            }
            let location = resolve(resource, "/meta/location")
                .and_then(Value::as_str)
                .filter(|l| l.starts_with(target.base_url()));
            out.push(Leftover {
                url: location
                    .map_or_else(|| target.url(&format!("{collection}/{id}")), str::to_owned),
                id: id.to_owned(),
                label: name.to_owned(),
            });
        }
        let total = resolve(&body, "/totalResults").and_then(Value::as_u64);
        start += resources.len() as u64;
        if resources.is_empty() || total.is_none_or(|t| start > t) {
            break;
        }
    }
    Ok(out)
}

/// Deletes the leftovers; each answer is the status, or why the request failed.
pub async fn delete(target: &Target, leftovers: &[Leftover]) -> Vec<Result<u16, String>> {
    let deletes = leftovers.iter().map(|leftover| async move {
        target
            .send(Method::Delete, &leftover.url, &[], &[], None, Auth::Scim)
            .await
            .map(|exchange| exchange.response.status)
            .map_err(|e| e.to_string())
    });
    futures_util::future::join_all(deletes).await
}
