//! PATCH operations (RFC 7644 §3.5.2) applied to a working copy of a resource. The caller
//! re-normalises the result and stores it only if every operation succeeded, which makes a
//! PatchOp atomic.
//!
//! Accepted IdP dialects: Entra's capitalised op names and string booleans, its legacy
//! member removal (`remove` on `members` with a value list removes only the listed members),
//! and path-less add/replace whose keys are paths (`name.givenName`, URN-qualified names).

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::schema::{Attr, Kind, Mutability, Resolved, Type};
use crate::scim::filter::{CompValue, CompareOp, Filter, get_ci};
use crate::scim::path::{self, PatchPath};
use crate::scim::{AttrPath, ScimType, urn};

/// Fault switches that change how operations are read.
#[derive(Default)]
pub(crate) struct Options {
    /// Only lower-case op names are recognised.
    pub exact_op_names: bool,
    /// `remove` on a multi-valued attribute with a value list removes every value.
    pub remove_all_listed: bool,
    /// `replace` through an `X eq "v"` value filter that matches nothing adds `{X: v, sub:
    /// value}` (as Entra ID expects) instead of failing with noTarget.
    pub add_unmatched: bool,
    /// A path qualified with the resource's core schema URN is `invalidPath`.
    pub core_urn_rejected: bool,
    /// `replace` of a complex attribute stores its value as the whole attribute.
    pub replace_complex_whole: bool,
    /// `add` to a multi-valued attribute appends values it already holds.
    pub add_duplicates: bool,
    /// Attribute names in a path must be spelled as the schema spells them.
    pub exact_names: bool,
    /// A fault in how group members are written.
    pub members_bug: Option<MembersBug>,
}

/// Ways a vendor's handling of group `members` goes wrong, one fault each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MembersBug {
    /// `replace` on `members` without a filter only adds.
    ReplaceOnlyAdds,
    /// A path-less `replace` whose value has no `members` empties them.
    PathlessReplaceEmpties,
    /// `remove` through a `members[…]` filter does nothing.
    FilterRemoveIgnored,
    /// `add` on `members` replaces them.
    AddReplaces,
    /// `remove` through `members[value eq "x"]` removes the member at x's position in the
    /// list as it was before the PATCH.
    RemovalsShiftIndexes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

fn invalid_value(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(ScimType::InvalidValue, detail)
}

fn no_target(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(ScimType::NoTarget, detail)
}

fn mutability(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(ScimType::Mutability, detail)
}

/// The most operations one PATCH may carry: far more than any identity provider sends (they
/// batch many members into one operation's value list).
pub(crate) const MAX_OPERATIONS: usize = 1000;

/// The most multi-valued attribute values one PATCH may walk (see [`values_walked`]): a
/// thousand filtered operations on 14,000 emails took 40 seconds of a worker.
const MAX_WORK: usize = 1_000_000;

/// Applies every operation of a PatchOp body to `working`, in order.
pub(crate) fn apply(
    kind: Kind,
    working: &mut Map<String, Value>,
    body: &Value,
    options: &Options,
) -> Result<(), ApiError> {
    let syntax = |detail: &str| ApiError::bad_request(ScimType::InvalidSyntax, detail);
    let declared = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(urn::PATCH_OP))
            })
        });
    if !declared {
        return Err(syntax(
            "a PatchOp body needs \"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]",
        ));
    }
    let operations = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("a PatchOp body needs an \"Operations\" array"))?;
    if operations.is_empty() {
        return Err(invalid_value("\"Operations\" must not be empty"));
    }
    if operations.len() > MAX_OPERATIONS {
        // As Bulk's maxOperations (RFC 7644 §3.7.4): each operation on a multi-valued
        // attribute walks its values, so a 1 MiB body of tiny operations took minutes.
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("a PATCH takes at most {MAX_OPERATIONS} operations"),
        ));
    }
    check_work(working, operations)?;
    let positions = (options.members_bug == Some(MembersBug::RemovalsShiftIndexes))
        .then(|| member_values(working));
    for operation in operations {
        let name = get_ci(operation, "op")
            .and_then(Value::as_str)
            .ok_or_else(|| syntax("each operation needs an \"op\""))?;
        let matches = |want: &str| {
            if options.exact_op_names {
                name == want
            } else {
                name.eq_ignore_ascii_case(want)
            }
        };
        let op = if matches("add") {
            Op::Add
        } else if matches("remove") {
            Op::Remove
        } else if matches("replace") {
            Op::Replace
        } else {
            return Err(invalid_value(format!(
                "unknown PATCH op {name:?}; expected add, remove or replace"
            )));
        };
        let path = match get_ci(operation, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.as_str()),
            Some(_) => {
                return Err(ApiError::bad_request(
                    ScimType::InvalidPath,
                    "\"path\" must be a string",
                ));
            }
        };
        let value = get_ci(operation, "value").filter(|v| !v.is_null());
        let shifted = match (&positions, op, path) {
            (Some(before), Op::Remove, Some(text)) => shifted_removal(working, before, text),
            _ => None,
        };
        apply_one(
            kind,
            working,
            op,
            shifted.as_deref().or(path),
            value,
            options,
        )?;
    }
    Ok(())
}

/// The member `value`s of a group, in order.
fn member_values(group: &Map<String, Value>) -> Vec<String> {
    group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Under [`MembersBug::RemovalsShiftIndexes`]: the path a removal through `members[value eq
/// "x"]` really takes, naming the member now at the position `x` had before the PATCH.
fn shifted_removal(group: &Map<String, Value>, before: &[String], text: &str) -> Option<String> {
    let parsed = path::parse(text).ok()?;
    let Some(Filter::Compare {
        op: CompareOp::Eq,
        value: CompValue::String(target),
        ..
    }) = &parsed.filter
    else {
        return None;
    };
    if !parsed.attr.name.eq_ignore_ascii_case("members") {
        return None;
    }
    let at = before.iter().position(|v| v == target)?;
    let now = member_values(group).into_iter().nth(at)?;
    Some(format!("members[value eq {}]", Value::from(now)))
}

/// Refuses, before applying any, operations that would walk more than [`MAX_WORK`] values of
/// multi-valued attributes: each walks the attribute it names (by its path, or by its value's
/// keys), to find duplicates or filter matches, and an add may lengthen it for the next.
fn check_work(working: &Map<String, Value>, operations: &[Value]) -> Result<(), ApiError> {
    let mut lengths: HashMap<String, usize> = working
        .iter()
        .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_array()?.len())))
        .collect();
    let mut work = 0usize;
    for operation in operations {
        let value = get_ci(operation, "value");
        let named: Vec<(String, usize)> = match get_ci(operation, "path").and_then(Value::as_str) {
            Some(path) => {
                let name = path.split(['[', '.', ' ']).next().unwrap_or(path);
                let added = value.and_then(Value::as_array).map_or(1, Vec::len);
                vec![(name.to_ascii_lowercase(), added)]
            }
            None => value
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_array().map_or(1, Vec::len)))
                .collect(),
        };
        for (name, added) in named {
            let length = lengths.entry(name).or_default();
            work = work.saturating_add(*length + 1);
            *length = length.saturating_add(added);
        }
        if work > MAX_WORK {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!(
                    "the PATCH would walk more than {MAX_WORK} attribute values in all; send \
                     fewer operations on large multi-valued attributes"
                ),
            ));
        }
    }
    Ok(())
}

fn apply_one(
    kind: Kind,
    root: &mut Map<String, Value>,
    op: Op,
    path: Option<&str>,
    value: Option<&Value>,
    options: &Options,
) -> Result<(), ApiError> {
    if let Some(text) = path {
        // A whole extension as the target (`path: "urn:…:enterprise:2.0:User"`).
        if let Some(schema) = kind.extension(text.trim()) {
            return match (op, value) {
                (Op::Remove, _) => {
                    root.remove(schema.id);
                    Ok(())
                }
                (_, Some(value)) => apply_extension(kind, root, op, schema.id, value, options),
                (_, None) => Err(invalid_value(format!(
                    "{op:?} on {} needs a value",
                    schema.id
                ))),
            };
        }
        return apply_path(kind, root, op, &path::parse(text)?, value, options);
    }
    if op == Op::Remove {
        return Err(no_target("remove needs a \"path\""));
    }
    let Some(Value::Object(fields)) = value else {
        return Err(invalid_value(
            "add or replace without a path needs an object value",
        ));
    };
    if options.members_bug == Some(MembersBug::PathlessReplaceEmpties)
        && kind == Kind::Group
        && op == Op::Replace
        && !fields.keys().any(|k| k.eq_ignore_ascii_case("members"))
    {
        root.remove("members");
    }
    for (key, value) in fields {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        match kind.extension(key) {
            Some(schema) => apply_extension(kind, root, op, schema.id, value, options)?,
            None => apply_path(kind, root, op, &path::parse(key)?, Some(value), options)?,
        }
    }
    Ok(())
}

/// Add or replace on a whole extension: each of its attributes in turn.
fn apply_extension(
    kind: Kind,
    root: &mut Map<String, Value>,
    op: Op,
    urn: &str,
    value: &Value,
    options: &Options,
) -> Result<(), ApiError> {
    let Value::Object(fields) = value else {
        return Err(invalid_value(format!("{urn} must be an object")));
    };
    for (name, value) in fields
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
    {
        let path = path::parse(&format!("{urn}:{name}"))?;
        apply_path(kind, root, op, &path, Some(value), options)?;
    }
    Ok(())
}

fn apply_path(
    kind: Kind,
    root: &mut Map<String, Value>,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
    options: &Options,
) -> Result<(), ApiError> {
    let invalid_path = |detail: String| ApiError::bad_request(ScimType::InvalidPath, detail);
    let resolved = kind
        .resolve(&path.attr)
        .ok_or_else(|| invalid_path(format!("{} has no attribute {}", kind.name(), path.attr)))?;
    // The faults' readings: the core URN is not taken as a prefix, or names must be spelled
    // exactly as the schema does.
    let misspelled = |given: Option<&str>, name: Option<&str>| given.is_some() && given != name;
    let core_urn = path
        .attr
        .urn
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(kind.schema().id));
    if (options.core_urn_rejected && core_urn)
        || (options.exact_names
            && (misspelled(Some(path.attr.name.as_str()), Some(resolved.attr.name))
                || misspelled(path.attr.sub.as_deref(), resolved.sub.map(|s| s.name))))
    {
        return Err(invalid_path(format!(
            "{} has no attribute {}",
            kind.name(),
            path.attr
        )));
    }
    let attr = resolved.attr;
    let target = match &path.filter_sub {
        Some(sub) => attr
            .sub_attr(sub)
            .ok_or_else(|| invalid_path(format!("{} has no sub-attribute {sub}", attr.name)))?,
        None => resolved.target(),
    };
    if path.filter.is_some() && !(attr.multi && attr.ty == Type::Complex) {
        return Err(invalid_path(format!(
            "{} is not a multi-valued complex attribute",
            attr.name
        )));
    }
    let value = match (op, value) {
        (Op::Remove, v) => v,
        (_, Some(v)) => Some(v),
        (_, None) => return Err(invalid_value(format!("{op:?} on {path} needs a value"))),
    };
    if attr.mutability == Mutability::ReadOnly || target.mutability == Mutability::ReadOnly {
        // Okta echoes read-only values such as `id` in path-less replaces; an unchanged
        // value is not a modification.
        if op != Op::Remove && value.is_some() && current(root, &resolved) == value {
            return Ok(());
        }
        return Err(mutability(format!("{path} is read-only")));
    }
    let sub_level = path.attr.sub.is_some() || path.filter_sub.is_some();
    if target.mutability == Mutability::Immutable && sub_level {
        return Err(mutability(format!("{path} is immutable")));
    }
    if op == Op::Remove && path.filter.is_none() && target.required {
        return Err(mutability(format!(
            "{path} is required and cannot be removed"
        )));
    }
    let container = match resolved.extension {
        None => root,
        Some(urn) => {
            let entry = root.entry(urn).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            match entry.as_object_mut() {
                Some(object) => object,
                None => return Ok(()),
            }
        }
    };
    let value = value.map(|v| canonical(attr, v));
    match (&path.filter, resolved.sub) {
        (None, None) => whole(container, attr, op, value.as_ref(), options),
        (None, Some(sub)) => sub_attribute(container, attr, sub, op, value),
        (Some(_), _)
            if op == Op::Remove
                && attr.name == "members"
                && options.members_bug == Some(MembersBug::FilterRemoveIgnored) =>
        {
            Ok(())
        }
        (Some(filter), _) => {
            let case_exact = |p: &AttrPath| kind.case_exact(p);
            if options.add_unmatched && op == Op::Replace {
                let matched = match container.get(attr.name) {
                    Some(Value::Array(items)) => {
                        items.iter().any(|e| filter.matches_element(e, &case_exact))
                    }
                    _ => false,
                };
                if let (false, Some(element)) = (
                    matched,
                    unmatched_element(filter, path.filter_sub.as_deref(), value.as_ref()),
                ) {
                    let entry = container
                        .entry(attr.name)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    match entry {
                        Value::Array(items) => items.push(element),
                        other => *other = Value::Array(vec![element]),
                    }
                    return Ok(());
                }
            }
            let elements = match container.get_mut(attr.name) {
                Some(Value::Array(items)) => items,
                _ => return Err(no_target(format!("{path} matches no value"))),
            };
            // A flag per element: each step below is one pass, however many values match.
            let matched: Vec<bool> = elements
                .iter()
                .map(|element| filter.matches_element(element, &case_exact))
                .collect();
            if !matched.contains(&true) {
                return Err(no_target(format!("{path} matches no value")));
            }
            let sets_primary = match &path.filter_sub {
                Some(sub) => {
                    sub.eq_ignore_ascii_case("primary") && value == Some(Value::Bool(true))
                }
                None => value.as_ref().is_some_and(is_primary),
            };
            for (element, &hit) in elements.iter_mut().zip(&matched) {
                if !hit {
                    if op != Op::Remove && sets_primary {
                        demote(element);
                    }
                    continue;
                }
                match (op, &path.filter_sub, &value) {
                    (Op::Remove, Some(_), _) => {
                        if let Some(o) = element.as_object_mut() {
                            o.remove(target.name);
                        }
                    }
                    // Removed below, all in one pass.
                    (Op::Remove, None, _) => {}
                    (_, Some(_), Some(v)) => {
                        if let Some(o) = element.as_object_mut() {
                            o.insert(target.name.to_owned(), v.clone());
                        }
                    }
                    (Op::Replace, None, Some(v)) => *element = v.clone(),
                    (_, None, Some(v)) => merge(element, v),
                    (_, _, None) => {}
                }
            }
            if op == Op::Remove && path.filter_sub.is_none() {
                let mut hits = matched.iter();
                elements.retain(|_| hits.next() != Some(&true));
            }
            if elements.is_empty() {
                container.remove(attr.name);
            }
            Ok(())
        }
    }
}

/// The value Entra ID means by a replace of `attr[key eq "v"].sub` that matches nothing:
/// `{key: "v", sub: value}`; `None` for any other filter.
fn unmatched_element(filter: &Filter, sub: Option<&str>, value: Option<&Value>) -> Option<Value> {
    let Filter::Compare {
        attr: key,
        op: CompareOp::Eq,
        value: CompValue::String(text),
    } = filter
    else {
        return None;
    };
    let mut element = Map::new();
    element.insert(key.sub.clone()?, Value::from(text.as_str()));
    element.insert(sub?.to_owned(), value?.clone());
    Some(Value::Object(element))
}

/// The current value at a resolved path, for read-only echo checks.
fn current<'a>(root: &'a Map<String, Value>, resolved: &Resolved) -> Option<&'a Value> {
    let container = match resolved.extension {
        Some(urn) => root.get(urn)?.as_object()?,
        None => root,
    };
    let value = container.get(resolved.attr.name)?;
    match resolved.sub {
        Some(sub) => value.get(sub.name),
        None => Some(value),
    }
}

/// An operation on a whole attribute (no sub-attribute, no filter).
fn whole(
    container: &mut Map<String, Value>,
    attr: &Attr,
    op: Op,
    value: Option<&Value>,
    options: &Options,
) -> Result<(), ApiError> {
    let name = attr.name;
    match (op, value) {
        (Op::Remove, Some(Value::Array(listed))) if attr.multi && !options.remove_all_listed => {
            // Entra's legacy form: remove only the listed values. Those listed by a scalar
            // `value` alone (the usual form) are found by key, so long lists stay linear.
            let (keys, others): (HashSet<String>, Vec<&Value>) = {
                let mut keys = HashSet::new();
                let mut others = Vec::new();
                for l in listed {
                    match listed_by_value(l) {
                        Some(key) => {
                            keys.insert(key);
                        }
                        None => others.push(l),
                    }
                }
                (keys, others)
            };
            if let Some(Value::Array(items)) = container.get_mut(name) {
                items.retain(|item| {
                    let by_key = get_ci(item, "value")
                        .and_then(scalar_key)
                        .is_some_and(|k| keys.contains(&k));
                    !by_key && !others.iter().any(|l| selects(l, item))
                });
                if items.is_empty() {
                    container.remove(name);
                }
            }
        }
        (Op::Remove, _) => {
            container.remove(name);
        }
        (Op::Add, Some(v))
            if name == "members" && options.members_bug == Some(MembersBug::AddReplaces) =>
        {
            container.insert(name.to_owned(), Value::Array(as_list(v)));
        }
        (Op::Replace, Some(v))
            if name == "members" && options.members_bug == Some(MembersBug::ReplaceOnlyAdds) =>
        {
            return whole(container, attr, Op::Add, Some(v), options);
        }
        (Op::Add, Some(v)) if attr.multi => {
            let incoming = as_list(v);
            let items = container
                .entry(name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if !items.is_array() {
                *items = Value::Array(Vec::new());
            }
            if let Some(items) = items.as_array_mut() {
                if incoming.iter().any(is_primary) {
                    items.iter_mut().for_each(demote);
                }
                // Values with a scalar `value` are found by key, so adding many stays linear.
                let mut present: HashSet<String> = items
                    .iter()
                    .filter_map(|v| v.get("value").and_then(scalar_key))
                    .collect();
                for new in incoming {
                    let duplicate = !options.add_duplicates
                        && match new.get("value").and_then(scalar_key) {
                            Some(key) => !present.insert(key),
                            None => items.iter().any(|old| same_value(old, &new)),
                        };
                    if !duplicate {
                        items.push(new);
                    }
                }
            }
        }
        (Op::Replace, Some(v)) if attr.multi => {
            container.insert(name.to_owned(), Value::Array(as_list(v)));
        }
        (Op::Replace, Some(v))
            if options.replace_complex_whole && attr.ty == Type::Complex && v.is_object() =>
        {
            container.insert(name.to_owned(), v.clone());
        }
        (_, Some(v)) if attr.ty == Type::Complex && v.is_object() => {
            let slot = container
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            merge(slot, v);
        }
        (_, Some(v)) => {
            container.insert(name.to_owned(), v.clone());
        }
        (_, None) => {}
    }
    Ok(())
}

/// An operation on `attr.sub` without a filter: on the object of a single complex attribute,
/// or on every value of a multi-valued one.
fn sub_attribute(
    container: &mut Map<String, Value>,
    attr: &Attr,
    sub: &Attr,
    op: Op,
    value: Option<Value>,
) -> Result<(), ApiError> {
    if !attr.multi {
        let slot = container
            .entry(attr.name)
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Some(object) = slot.as_object_mut() {
            match value {
                Some(v) if op != Op::Remove => {
                    object.insert(sub.name.to_owned(), v);
                }
                _ => {
                    object.remove(sub.name);
                }
            }
        }
        return Ok(());
    }
    let Some(Value::Array(items)) = container.get_mut(attr.name) else {
        return match op {
            Op::Remove => Ok(()),
            _ => Err(no_target(format!(
                "{} has no values to set {} on",
                attr.name, sub.name
            ))),
        };
    };
    for object in items.iter_mut().filter_map(Value::as_object_mut) {
        match &value {
            Some(v) if op != Op::Remove => {
                object.insert(sub.name.to_owned(), v.clone());
            }
            _ => {
                object.remove(sub.name);
            }
        }
    }
    Ok(())
}

/// Renames the sub-attributes of complex values to their schema spelling, so merges and
/// comparisons see one key per sub-attribute.
fn canonical(attr: &Attr, value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(attr, v)).collect()),
        Value::Object(fields) if attr.ty == Type::Complex => Value::Object(
            fields
                .iter()
                .map(|(k, v)| {
                    let name = attr
                        .sub_attr(k)
                        .map_or_else(|| k.clone(), |s| s.name.to_owned());
                    (name, v.clone())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

fn merge(slot: &mut Value, incoming: &Value) {
    match (slot.as_object_mut(), incoming.as_object()) {
        (Some(object), Some(fields)) => {
            for (k, v) in fields {
                object.insert(k.clone(), v.clone());
            }
        }
        _ => *slot = incoming.clone(),
    }
}

fn is_primary(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(is_primary),
        _ => value.get("primary") == Some(&Value::Bool(true)),
    }
}

/// At most one value may be primary (RFC 7643 §2.4); a new primary demotes the others.
fn demote(value: &mut Value) {
    if let Some(primary) = value.get_mut("primary") {
        *primary = Value::Bool(false);
    }
}

/// Two values of a multi-valued attribute are the same when their `value`s are equal (or,
/// without a `value`, when they are equal as a whole).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A scalar as a set key; values of different JSON types never share one.
fn scalar_key(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(format!("s:{s}")),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

/// The key of a listed value that names only a scalar `value` (`{"value": "…"}`): it
/// [`selects`] exactly the items whose `value` has that key.
fn listed_by_value(listed: &Value) -> Option<String> {
    let mut given = listed.as_object()?.iter().filter(|(_, v)| !v.is_null());
    match (given.next(), given.next()) {
        (Some((name, value)), None) if name.eq_ignore_ascii_case("value") => scalar_key(value),
        _ => None,
    }
}

/// Whether a listed value (Entra's `{"value": "…"}`) selects `item`: every non-null
/// sub-attribute it gives must be equal.
fn selects(listed: &Value, item: &Value) -> bool {
    match listed.as_object() {
        Some(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .all(|(k, v)| get_ci(item, k) == Some(v)),
        None => item == listed || item.get("value") == Some(listed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A patched value, or the error's scimType.
    type Outcome<T> = Result<T, Option<ScimType>>;

    fn patch(kind: Kind, doc: Value, ops: Value) -> Outcome<Value> {
        let Value::Object(mut working) = doc else {
            panic!("doc must be an object")
        };
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": ops});
        let options = Options::default();
        apply(kind, &mut working, &body, &options).map_err(|e| e.scim_type)?;
        kind.normalize(&Value::Object(working), true)
            .map(Value::Object)
            .map_err(|e| e.scim_type)
    }

    fn user() -> Value {
        json!({
            "schemas": [urn::USER],
            "id": "u1",
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [
                {"value": "b@work.example", "type": "work", "primary": true},
                {"value": "b@home.example", "type": "home"}
            ],
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}
        })
    }

    /// Applies `ops` to [`user`] and returns the value at `pointer`, or the error type.
    fn at(ops: Value, pointer: &str) -> Outcome<Value> {
        patch(Kind::User, user(), ops).map(|u| u.pointer(pointer).cloned().unwrap_or(Value::Null))
    }

    #[test]
    fn applies_user_operations() {
        let enterprise = urn::ENTERPRISE_USER;
        let employee_number = format!("/{enterprise}/employeeNumber");
        let manager_value = format!("/{enterprise}/manager/value");
        let division = format!("/{enterprise}/division");
        let cases: Vec<(Value, &str, Outcome<Value>)> = vec![
            (
                json!([{"op": "replace", "path": "userName", "value": "babs"}]),
                "/userName",
                Ok(json!("babs")),
            ),
            (
                json!([{"op": "Replace", "path": "USERNAME", "value": "babs"}]),
                "/userName",
                Ok(json!("babs")),
            ),
            (
                json!([{"op": "add", "path": "nickName", "value": "Babs"}]),
                "/nickName",
                Ok(json!("Babs")),
            ),
            (
                json!([{"op": "add", "path": "nickName", "value": "a"}, {"op": "replace", "path": "nickName", "value": "b"}]),
                "/nickName",
                Ok(json!("b")),
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "False"}]),
                "/active",
                Ok(json!(false)),
            ),
            (
                json!([{"op": "replace", "value": {"active": false}}]),
                "/active",
                Ok(json!(false)),
            ),
            (
                json!([{"op": "replace", "path": "name.givenName", "value": "B"}]),
                "/name",
                Ok(json!({"givenName": "B", "familyName": "Jensen"})),
            ),
            (
                json!([{"op": "replace", "path": "name", "value": {"GIVENNAME": "B"}}]),
                "/name",
                Ok(json!({"givenName": "B", "familyName": "Jensen"})),
            ),
            (
                json!([{"op": "remove", "path": "name.givenName"}]),
                "/name",
                Ok(json!({"familyName": "Jensen"})),
            ),
            (
                json!([{"op": "replace", "value": {"name.givenName": "B", "displayName": "Babs"}}]),
                "/name/givenName",
                Ok(json!("B")),
            ),
            (
                json!([{"op": "replace", "value": {format!("{enterprise}:employeeNumber"): "42"}}]),
                &employee_number,
                Ok(json!("42")),
            ),
            (
                json!([{"op": "add", "path": format!("{enterprise}:manager"), "value": [{"value": "m1"}]}]),
                &manager_value,
                Ok(json!("m1")),
            ),
            (
                json!([{"op": "add", "value": {enterprise: {"department": "R&D"}}}]),
                "/schemas/1",
                Ok(json!(enterprise)),
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}]),
                "/emails/0/value",
                Ok(json!("new@work.example")),
            ),
            (
                json!([{"op": "replace", "path": "emails[TYPE eq \"WORK\"]", "value": {"value": "x@y", "type": "work"}}]),
                "/emails/0",
                Ok(json!({"value": "x@y", "type": "work"})),
            ),
            (
                json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
                "/emails/1",
                Ok(Value::Null),
            ),
            (
                json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
                "/emails/0/primary",
                Ok(Value::Null),
            ),
            (
                json!([{"op": "add", "path": "emails", "value": [{"value": "n@x", "primary": true}]}]),
                "/emails/0/primary",
                Ok(json!(false)),
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
                "/emails/0/primary",
                Ok(json!(false)),
            ),
            (
                json!([{"op": "add", "path": "emails", "value": {"value": "b@home.example"}}]),
                "/emails/2",
                Ok(Value::Null),
            ),
            (
                json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x"}]}]),
                "/emails",
                Ok(json!([{"value": "only@x"}])),
            ),
            (
                json!([{"op": "remove", "path": "emails"}]),
                "/emails",
                Ok(Value::Null),
            ),
            (
                json!([{"op": "replace", "path": "emails.type", "value": "other"}]),
                "/emails/1/type",
                Ok(json!("other")),
            ),
            (
                json!([{"op": "replace", "value": {"id": "u1", "displayName": "B"}}]),
                "/displayName",
                Ok(json!("B")),
            ),
            (
                json!([{"op": "add", "path": enterprise, "value": {"schemas": [enterprise], "division": "D"}}]),
                &division,
                Ok(json!("D")),
            ),
            (
                json!([{"op": "add", "path": enterprise, "value": {"division": "D"}}, {"op": "remove", "path": enterprise}]),
                "/schemas",
                Ok(json!([urn::USER])),
            ),
            (
                json!([{"op": "add", "path": "password", "value": "s3cret"}]),
                "/password",
                Ok(json!("s3cret")),
            ),
            // Errors.
            (
                json!([{"op": "replace", "path": "id", "value": "other"}]),
                "",
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
                "",
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
                "",
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "remove", "path": "userName"}]),
                "",
                Err(Some(ScimType::Mutability)),
            ),
            (json!([{"op": "remove"}]), "", Err(Some(ScimType::NoTarget))),
            (
                json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x"}]),
                "",
                Err(Some(ScimType::NoTarget)),
            ),
            (
                json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
                "",
                Err(Some(ScimType::NoTarget)),
            ),
            (
                json!([{"op": "replace", "path": "nope", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "path": "name.nope", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "path": "emails[type zz \"x\"]", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidFilter)),
            ),
            (
                json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"work\"].nope", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "path": 5, "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "value": {"nope": 1}}]),
                "",
                Err(Some(ScimType::InvalidPath)),
            ),
            (
                json!([{"op": "replace", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidValue)),
            ),
            (
                json!([{"op": "add", "path": "nickName"}]),
                "",
                Err(Some(ScimType::InvalidValue)),
            ),
            (
                json!([{"op": "copy", "path": "nickName", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidValue)),
            ),
            (
                json!([{"path": "nickName", "value": "x"}]),
                "",
                Err(Some(ScimType::InvalidSyntax)),
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                "",
                Err(Some(ScimType::InvalidValue)),
            ),
            (
                json!([{"op": "replace", "path": "userName", "value": 7}]),
                "",
                Err(Some(ScimType::InvalidValue)),
            ),
            (json!([]), "", Err(Some(ScimType::InvalidValue))),
        ];
        for (ops, pointer, want) in cases {
            assert_eq!(at(ops.clone(), pointer), want, "{ops}");
        }
    }

    #[test]
    fn applies_group_member_operations() {
        let group = json!({
            "schemas": [urn::GROUP],
            "id": "g1",
            "displayName": "Admins",
            "members": [{"value": "a", "type": "User"}, {"value": "b", "type": "User"}, {"value": "c", "type": "User"}]
        });
        let values = |ops: Value| {
            patch(Kind::Group, group.clone(), ops).map(|g| {
                g.get("members")
                    .and_then(Value::as_array)
                    .map(|m| {
                        m.iter()
                            .filter_map(|m| m["value"].as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        };
        let cases: Vec<(Value, Outcome<Vec<&str>>)> = vec![
            (
                json!([{"op": "remove", "path": "members[value eq \"b\"]"}]),
                Ok(vec!["a", "c"]),
            ),
            (
                json!([{"op": "Remove", "path": "members", "value": [{"value": "a"}, {"value": "c"}]}]),
                Ok(vec!["b"]),
            ),
            (json!([{"op": "remove", "path": "members"}]), Ok(vec![])),
            (
                json!([{"op": "add", "path": "members", "value": [{"value": "d"}, {"value": "a", "$ref": null}]}]),
                Ok(vec!["a", "b", "c", "d"]),
            ),
            (
                json!([{"op": "replace", "path": "members", "value": [{"value": "z"}]}]),
                Ok(vec!["z"]),
            ),
            (
                json!([{"op": "replace", "value": {"id": "g1", "displayName": "Ops"}}]),
                Ok(vec!["a", "b", "c"]),
            ),
            (
                json!([{"op": "replace", "path": "members[value eq \"a\"].value", "value": "q"}]),
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "replace", "path": "members[value eq \"a\"].type", "value": "Group"}]),
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "remove", "path": "displayName"}]),
                Err(Some(ScimType::Mutability)),
            ),
            (
                json!([{"op": "remove", "path": "members[value eq \"zz\"]"}]),
                Err(Some(ScimType::NoTarget)),
            ),
        ];
        for (ops, want) in cases {
            let got = values(ops.clone());
            let want = want.map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(got, want, "{ops}");
        }
    }

    #[test]
    fn fault_options_change_readings() {
        let mut working = user().as_object().cloned().unwrap_or_default();
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": "nickName", "value": "x"}]});
        let strict = Options {
            exact_op_names: true,
            remove_all_listed: true,
            ..Options::default()
        };
        let err = apply(Kind::User, &mut working, &body, &strict)
            .err()
            .map(|e| e.scim_type);
        assert_eq!(err, Some(Some(ScimType::InvalidValue)));
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "remove", "path": "emails", "value": [{"value": "b@home.example"}]}]});
        assert!(apply(Kind::User, &mut working, &body, &strict).is_ok());
        assert!(working.get("emails").is_none());
    }
}
