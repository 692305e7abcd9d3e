//! Bulk operations (RFC 7644 §3.7): `bulkId` references resolved across operations in any
//! order, `failOnErrors`, and the `maxOperations` limit (413). The whole request runs under the
//! tenant's lock, on the same operations the single-resource endpoints use.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::faults::Fault;
use super::ops::{Written, version_of};
use super::schema::Kind;
use super::state::AppState;
use super::store::Tenant;
use crate::scim::filter::get_ci;
use crate::scim::{ScimType, urn};

const PREFIX: &str = "bulkId:";

/// One operation of a BulkRequest, as read from the body.
struct Operation<'a> {
    method: String,
    bulk_id: Option<&'a str>,
    path: &'a str,
    data: Option<&'a Value>,
    version: Option<&'a str>,
}

fn syntax(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(ScimType::InvalidSyntax, detail)
}

fn read_operation(value: &Value) -> Result<Operation<'_>, ApiError> {
    let text = |name: &str| get_ci(value, name).and_then(Value::as_str);
    Ok(Operation {
        method: text("method")
            .ok_or_else(|| syntax("each bulk operation needs a \"method\""))?
            .to_ascii_uppercase(),
        bulk_id: text("bulkId"),
        path: text("path").ok_or_else(|| syntax("each bulk operation needs a \"path\""))?,
        data: get_ci(value, "data"),
        version: text("version"),
    })
}

/// Every `bulkId:…` reference in a string tree.
fn references<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.extend(s.strip_prefix(PREFIX)),
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn substitute(value: &Value, ids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix(PREFIX).and_then(|b| ids.get(b)) {
            Some(id) => Value::from(id.as_str()),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, ids)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Runs a BulkRequest and returns the BulkResponse.
pub(crate) fn run(state: &AppState, tenant: &mut Tenant, body: &Value) -> Result<Value, ApiError> {
    let declared = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(urn::BULK_REQUEST))
            })
        });
    if !declared {
        return Err(syntax(format!(
            "a bulk body needs \"schemas\": [\"{}\"]",
            urn::BULK_REQUEST
        )));
    }
    let raw = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("a bulk body needs an \"Operations\" array"))?;
    let max = state.config.bulk_max_operations;
    let count = raw.len();
    let too_many = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the request has {count} operations; maxOperations is {max}"),
        )
    };
    // Faults: the limit not enforced, or counted only after the first operations ran (as a
    // server that streams its operations might).
    let late = count > max && state.has(Fault::BulkAppliedBefore413);
    let raw = if count <= max || state.has(Fault::BulkMaxOperationsIgnored) {
        raw.as_slice()
    } else if late {
        &raw[..max]
    } else {
        return Err(too_many());
    };
    let fail_on_errors = match get_ci(body, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_request(
                ScimType::InvalidValue,
                "failOnErrors must be a positive integer",
            )
        })?),
    };
    let operations: Vec<Operation> = raw.iter().map(read_operation).collect::<Result<_, _>>()?;
    let declared_ids: HashSet<&str> = operations.iter().filter_map(|o| o.bulk_id).collect();
    let refs: Vec<Vec<&str>> = operations
        .iter()
        .map(|op| {
            let mut refs = Vec::new();
            if let Some(data) = op.data {
                references(data, &mut refs);
            }
            refs.extend(op.path.split('/').filter_map(|s| s.strip_prefix(PREFIX)));
            refs
        })
        .collect();

    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; operations.len()];
    let mut errors = 0u64;
    // Operations whose references are not created yet wait for a later pass (RFC 7644 §3.7.2),
    // parked under one missing bulkId and woken when it is created: into this pass if they come
    // later in the request, else into the next. Waking only what can progress keeps a long
    // chain of references linear rather than a rescan of every waiting operation per pass.
    let mut parked: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut this_pass: BTreeSet<usize> = (0..operations.len()).collect();
    let mut next_pass = BTreeSet::new();
    while let Some(i) = this_pass.pop_first() {
        let op = &operations[i];
        let missing = refs[i].iter().copied().find(|r| !ids.contains_key(*r));
        let dangling = refs[i]
            .iter()
            .any(|r| !ids.contains_key(*r) && !declared_ids.contains(r));
        let outcome = match missing {
            Some(bulk_id) if !dangling => {
                parked.entry(bulk_id).or_default().push(i);
                Ok(None)
            }
            Some(_) => Err(ApiError::new(
                StatusCode::CONFLICT,
                None,
                "the operation refers to a bulkId that no operation creates",
            )),
            None if state.has(Fault::BulkNotApplied) => {
                let status = if op.method == "POST" { "201" } else { "200" };
                let result = json!({"method": op.method, "bulkId": op.bulk_id, "status": status});
                Ok(Some((result, None)))
            }
            None => execute(state, tenant, op, &ids).map(Some),
        };
        match outcome {
            Ok(None) => {}
            Ok(Some((result, created_id))) => {
                if let (Some(bulk_id), Some(id)) = (op.bulk_id, created_id) {
                    ids.insert(bulk_id.to_owned(), id);
                    for waiter in parked.remove(bulk_id).unwrap_or_default() {
                        let pass = if waiter > i {
                            &mut this_pass
                        } else {
                            &mut next_pass
                        };
                        pass.insert(waiter);
                    }
                }
                results[i] = Some(result);
            }
            Err(e) => {
                errors += 1;
                results[i] = Some(failure(op, &e));
                if fail_on_errors.is_some_and(|limit| errors >= limit) {
                    break;
                }
            }
        }
        if this_pass.is_empty() {
            this_pass = std::mem::take(&mut next_pass);
        }
        if this_pass.is_empty() {
            // What still waits refers, directly or round a cycle, to a bulkId never created.
            for waiter in parked.drain().flat_map(|(_, waiters)| waiters) {
                let e = ApiError::new(
                    StatusCode::CONFLICT,
                    None,
                    "circular bulkId references could not be resolved",
                );
                results[waiter] = Some(failure(&operations[waiter], &e));
            }
        }
    }
    if late && !state.has(Fault::BulkMaxOperationsIgnored) {
        return Err(too_many());
    }
    Ok(json!({
        "schemas": [urn::BULK_RESPONSE],
        "Operations": results.into_iter().flatten().collect::<Vec<_>>(),
    }))
}

fn failure(op: &Operation, error: &ApiError) -> Value {
    let mut out = Map::new();
    out.insert("method".to_owned(), Value::from(op.method.as_str()));
    if let Some(bulk_id) = op.bulk_id {
        out.insert("bulkId".to_owned(), Value::from(bulk_id));
    }
    out.insert("status".to_owned(), Value::from(error.status.as_str()));
    out.insert(
        "response".to_owned(),
        serde_json::to_value(error.body()).unwrap_or_default(),
    );
    Value::Object(out)
}

/// Runs one operation; returns its result entry and, for creations, the new id.
fn execute(
    state: &AppState,
    tenant: &mut Tenant,
    op: &Operation,
    ids: &HashMap<String, String>,
) -> Result<(Value, Option<String>), ApiError> {
    let path: Vec<&str> = op
        .path
        .split('/')
        .map(
            |segment| match segment.strip_prefix(PREFIX).and_then(|b| ids.get(b)) {
                Some(id) => id.as_str(),
                None => segment,
            },
        )
        .collect();
    let path = path.join("/");
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let endpoint = segments.next().unwrap_or_default();
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.endpoint() == endpoint)
        .ok_or_else(|| ApiError::not_found(format!("no endpoint {path}")))?;
    let id = segments.next().filter(|s| !s.is_empty());
    let data = op.data.map(|d| substitute(d, ids));
    let needs_data = || {
        data.as_ref()
            .ok_or_else(|| syntax(format!("{} needs \"data\"", op.method)))
    };
    let (status, doc) = match (op.method.as_str(), id) {
        ("POST", None) => {
            if op.bulk_id.is_none() {
                return Err(syntax("POST operations need a bulkId"));
            }
            (
                StatusCode::CREATED,
                Some(tenant.create(state, kind, needs_data()?)?),
            )
        }
        ("PUT", Some(id)) => match tenant.replace(state, kind, id, needs_data()?, op.version)? {
            Written::Created(doc) => (StatusCode::CREATED, Some(doc)),
            Written::Updated(doc) => (StatusCode::OK, Some(doc)),
        },
        ("PATCH", Some(id)) => (
            StatusCode::OK,
            Some(tenant.patch(state, kind, id, needs_data()?, op.version)?),
        ),
        ("DELETE", Some(id)) => {
            tenant.delete(state, kind, id, op.version)?;
            (StatusCode::NO_CONTENT, None)
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{} is not supported on {path}", op.method),
            ));
        }
    };
    let mut out = Map::new();
    out.insert("method".to_owned(), Value::from(op.method.as_str()));
    if let Some(bulk_id) = op.bulk_id {
        out.insert("bulkId".to_owned(), Value::from(bulk_id));
    }
    let location = doc
        .as_ref()
        .and_then(|d| d.pointer("/meta/location"))
        .cloned();
    let location =
        location.unwrap_or_else(|| Value::from(format!("{}{path}", state.location_base())));
    if !(status == StatusCode::CREATED && state.has(Fault::BulkLocationMissing)) {
        out.insert("location".to_owned(), location);
    }
    if let Some(version) = doc.as_ref().and_then(version_of) {
        out.insert("version".to_owned(), Value::from(version));
    }
    let status_value = if state.has(Fault::BulkStatusNumber) {
        Value::from(status.as_u16())
    } else {
        Value::from(status.as_str())
    };
    out.insert("status".to_owned(), status_value);
    let created_id = match status {
        StatusCode::CREATED => doc
            .as_ref()
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Ok((Value::Object(out), created_id))
}
