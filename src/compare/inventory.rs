//! What data a tenant actually holds, read-only: a bounded, paged sample of its Users and
//! Groups, and how many of them populate each attribute (names and counts, never values),
//! checked against the schema another tenant declares — the mappings a cutover would break.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::schema;
use crate::case::{Auth, Method};
use crate::check::assert::resolve;
use crate::exec::client::{ExecError, Target};

/// Resources asked for per page: small enough for any server's page cap, so the sample walks
/// its pages one after the other instead of asking for everything at once.
const PAGE: usize = 100;

/// A sample of one resource type.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// The resources read, at most the limit asked for.
    pub resources: Vec<Value>,
    /// What the server says it holds in all (`totalResults`), if it said.
    pub total: Option<u64>,
}

/// Up to `limit` resources of `collection` (`/Users`, `/Groups`), page by page. A collection
/// the target does not serve (404, 501) is an empty sample.
pub async fn sample(target: &Target, collection: &str, limit: usize) -> Result<Sample, ExecError> {
    let mut out = Sample::default();
    let url = target.url(collection);
    let mut start = 1u64;
    while out.resources.len() < limit {
        let count = PAGE.min(limit - out.resources.len());
        let query = [
            ("startIndex".to_owned(), start.to_string()),
            ("count".to_owned(), count.to_string()),
        ];
        let exchange = target
            .send(Method::Get, &url, &query, &[], None, Auth::Scim)
            .await?;
        let Some(body) = exchange
            .response
            .json
            .filter(|_| exchange.response.status == 200)
        else {
            break;
        };
        let page: Vec<Value> = resolve(&body, "/Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        out.total = resolve(&body, "/totalResults").and_then(Value::as_u64);
        let read = page.len();
        out.resources
            .extend(page.into_iter().take(limit - out.resources.len()));
        start = start.saturating_add(read as u64);
        if read == 0 || out.total.is_none_or(|total| start > total) {
            break;
        }
    }
    Ok(out)
}

/// A discovery document (`/Schemas`), or `None` when the target does not serve one.
pub async fn discovery(target: &Target, path: &str) -> Result<Option<Value>, ExecError> {
    let exchange = target
        .send(Method::Get, &target.url(path), &[], &[], None, Auth::Scim)
        .await?;
    Ok(exchange
        .response
        .json
        .filter(|_| exchange.response.status == 200))
}

/// One attribute path as populated in a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Populated {
    /// `name.givenName`, `emails.value`, `urn:…:enterprise:2.0:User:department`.
    pub path: String,
    /// Resources in the sample with a value there.
    pub count: usize,
    /// The destination's `/Schemas` does not declare it (`None`: no destination schema).
    pub undeclared: Option<bool>,
}

/// Every attribute path populated in `resources` with how many populate it, names compared
/// without case; each checked against `destination`'s `/Schemas`, for resources whose core
/// schema is `core` (`User`, `Group`).
pub fn populated(resources: &[Value], core: &str, destination: Option<&Value>) -> Vec<Populated> {
    let mut counts: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for resource in resources {
        let mut paths = BTreeSet::new();
        if let Some(object) = resource.as_object() {
            for (key, value) in object {
                match key.as_str() {
                    "id" | "schemas" | "meta" => {}
                    urn if urn.starts_with("urn:") => {
                        for (name, value) in value.as_object().into_iter().flatten() {
                            leaves(&format!("{urn}:{name}"), value, &mut paths);
                        }
                    }
                    name => leaves(name, value, &mut paths),
                }
            }
        }
        for path in paths {
            let entry = counts
                .entry(path.to_lowercase())
                .or_insert_with(|| (path, 0));
            entry.1 += 1;
        }
    }
    let declared = destination.map(|schemas| schema::declared(schemas).1);
    let core_schema = format!("{}{core}", schema::CORE);
    counts
        .into_values()
        .map(|(path, count)| {
            let key = if path.starts_with("urn:") {
                path.clone()
            } else {
                format!("{core_schema}:{path}")
            };
            Populated {
                // externalId is common to every resource (RFC 7643 §3.1), in no schema.
                undeclared: declared.as_ref().map(|d| {
                    !path.eq_ignore_ascii_case("externalId") && !d.contains_key(&key.to_lowercase())
                }),
                path,
                count,
            }
        })
        .collect()
}

/// The paths below `path` that hold a value: sub-attributes of complex values, each element
/// of a multi-valued one.
fn leaves(path: &str, value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Null => {}
        Value::String(s) if s.is_empty() => {}
        Value::Object(object) => {
            for (name, value) in object {
                leaves(&format!("{path}.{name}"), value, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                leaves(path, item, out);
            }
        }
        _ => {
            out.insert(path.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn populated_paths_are_counted_by_resource_and_checked_against_the_destination() {
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let users = [
            json!({"id": "1", "userName": "a", "name": {"givenName": "A", "familyName": null},
                   "emails": [{"value": "a@x", "type": "work"}, {"value": "a@y"}],
                   enterprise: {"department": "R&D"}, "meta": {"created": "x"}}),
            json!({"id": "2", "UserName": "b", "nickName": "", "emails": [], "externalId": "x"}),
        ];
        let destination = json!({"Resources": [
            {"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [
                {"name": "userName"}, {"name": "emails", "subAttributes": [{"name": "value"}]}]}]});
        let found = populated(&users, "User", Some(&destination));
        let said: Vec<(&str, usize, Option<bool>)> = found
            .iter()
            .map(|p| (p.path.as_str(), p.count, p.undeclared))
            .collect();
        assert_eq!(
            said,
            [
                ("emails.type", 1, Some(true)),
                ("emails.value", 1, Some(false)),
                ("externalId", 1, Some(false)),
                ("name.givenName", 1, Some(true)),
                (&*format!("{enterprise}:department"), 1, Some(true)),
                ("userName", 2, Some(false)),
            ]
        );
        assert!(
            populated(&users, "User", None)
                .iter()
                .all(|p| p.undeclared.is_none())
        );
    }
}
