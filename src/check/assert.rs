//! Assertions on status, headers and JSON values.
//!
//! SCIM attribute names are case-insensitive (RFC 7643 §2.1), so JSON pointers and object
//! matching fall back to a case-insensitive member lookup; and an unassigned attribute may be
//! absent or `null` (RFC 7643 §2.5), so `absent` accepts both.

use regex::Regex;
use serde_json::Value;

use super::Mismatch;
use crate::case::model::{HeaderAssert, JsonAssert, JsonType, StatusSet};
use crate::exec::client::Response;

pub fn status(expected: &StatusSet, response: &Response) -> Option<Mismatch> {
    (!expected.allows(response.status)).then(|| Mismatch {
        subject: "status".into(),
        expected: expected.to_string(),
        actual: response.status.to_string(),
    })
}

/// `assertion` with its `equals` already rendered from its template.
pub fn header(
    name: &str,
    assertion: &HeaderAssert,
    equals: Option<&str>,
    response: &Response,
) -> Vec<Mismatch> {
    let subject = format!("header `{name}`");
    let value = response.header(name);
    let mut out = Vec::new();
    let mut fail = |expected: String, actual: String| {
        out.push(Mismatch {
            subject: subject.clone(),
            expected,
            actual,
        })
    };
    let shown =
        |v: Option<&str>| v.map_or_else(|| "no such header".to_owned(), |v| format!("`{v}`"));
    match (assertion.present, value) {
        (Some(true), None) => fail("present".into(), "no such header".into()),
        (Some(false), Some(v)) => fail("absent".into(), format!("`{v}`")),
        _ => {}
    }
    if let Some(expected) = equals
        && value != Some(expected)
    {
        fail(format!("`{expected}`"), shown(value));
    }
    if let Some(pattern) = &assertion.matches {
        // Patterns were compiled once at load time; a failure here cannot happen for loaded cases.
        let matched = Regex::new(pattern)
            .map(|re| value.is_some_and(|v| re.is_match(v)))
            .unwrap_or(false);
        if !matched {
            fail(format!("matching /{pattern}/"), shown(value));
        }
    }
    out
}

/// Resolves a JSON pointer, matching object members case-insensitively when no exact member
/// exists. `Some(Value::Null)` is reported as is; callers decide what null means.
pub fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut current = root;
    for raw in pointer.strip_prefix('/')?.split('/') {
        let token = raw.replace("~1", "/").replace("~0", "~");
        current = match current {
            Value::Object(map) => map.get(&token).or_else(|| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&token))
                    .map(|(_, v)| v)
            })?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The values of one JSON assertion, rendered from their templates.
#[derive(Debug, Default)]
pub struct RenderedJsonAssert {
    pub equals: Option<Value>,
    pub not_equals: Option<Value>,
    pub equals_ignore_case: Option<String>,
    pub contains: Option<Value>,
    pub not_contains: Option<Value>,
    pub each: Option<Value>,
    pub length: Option<Value>,
    pub one_of: Option<Vec<Value>>,
    pub gt: Option<Value>,
    pub ge: Option<Value>,
    pub lt: Option<Value>,
    pub le: Option<Value>,
}

pub fn json(
    pointer: &str,
    assertion: &JsonAssert,
    rendered: &RenderedJsonAssert,
    body: Option<&Value>,
) -> Vec<Mismatch> {
    let subject = if pointer.is_empty() {
        "body".to_owned()
    } else {
        format!("`{pointer}`")
    };
    let mut out = Vec::new();
    let mut fail = |expected: String, actual: String| {
        out.push(Mismatch {
            subject: subject.clone(),
            expected,
            actual,
        })
    };
    let Some(body) = body else {
        fail("a JSON body".into(), "no JSON body".into());
        return out;
    };
    let value = resolve(body, pointer).filter(|v| !v.is_null());
    let must_be_absent = assertion.absent == Some(true) || assertion.present == Some(false);
    if must_be_absent {
        if let Some(v) = value {
            fail("absent".into(), show(v));
        }
        return out;
    }
    let Some(value) = value else {
        let asked = assertion.present == Some(true)
            || assertion.absent == Some(false)
            || has_value_checks(assertion, rendered);
        if asked {
            fail("present".into(), "absent".into());
        }
        return out;
    };

    if let Some(kind) = assertion.kind
        && !JsonType::of(value).contains(&kind)
    {
        fail(format!("type {}", kind.name()), show(value));
    }
    if let Some(expected) = &rendered.equals
        && value != expected
    {
        fail(show(expected), show(value));
    }
    if let Some(unexpected) = &rendered.not_equals
        && value == unexpected
    {
        fail(format!("anything but {}", show(unexpected)), show(value));
    }
    if let Some(expected) = &rendered.equals_ignore_case {
        let equal = value
            .as_str()
            .is_some_and(|v| v.to_lowercase() == expected.to_lowercase());
        if !equal {
            fail(format!("\"{expected}\" (ignoring case)"), show(value));
        }
    }
    if let Some(expected) = &rendered.contains
        && !contains(value, expected)
    {
        fail(format!("containing {}", show(expected)), show(value));
    }
    if let Some(unexpected) = &rendered.not_contains
        && contains(value, unexpected)
    {
        fail(format!("not containing {}", show(unexpected)), show(value));
    }
    if let Some(shape) = &rendered.each {
        match value {
            Value::Array(items) => {
                if let Some((index, item)) = items
                    .iter()
                    .enumerate()
                    .find(|(_, item)| !matches_shape(item, shape))
                {
                    fail(
                        format!("every element matching {}", show(shape)),
                        format!("element {index} is {}", show(item)),
                    );
                }
            }
            other => fail("an array".into(), show(other)),
        }
    }
    if let Some(expected) = &rendered.length {
        let actual = match value {
            Value::Array(items) => Some(items.len()),
            Value::String(s) => Some(s.chars().count()),
            Value::Object(map) => Some(map.len()),
            _ => None,
        };
        let expected_len = expected.as_u64().and_then(|n| usize::try_from(n).ok());
        if actual.is_none() || actual != expected_len {
            fail(
                format!("length {}", show(expected)),
                match actual {
                    Some(n) => format!("length {n}: {}", show(value)),
                    None => show(value),
                },
            );
        }
    }
    if let Some(pattern) = &assertion.matches {
        let matched = Regex::new(pattern)
            .map(|re| value.as_str().is_some_and(|v| re.is_match(v)))
            .unwrap_or(false);
        if !matched {
            fail(format!("a string matching /{pattern}/"), show(value));
        }
    }
    if let Some(options) = &rendered.one_of
        && !options.contains(value)
    {
        let shown: Vec<String> = options.iter().map(show).collect();
        fail(format!("one of {}", shown.join(", ")), show(value));
    }
    let comparisons = [
        (
            &rendered.gt,
            ">",
            std::cmp::Ordering::is_gt as fn(_) -> bool,
        ),
        (&rendered.ge, ">=", std::cmp::Ordering::is_ge),
        (&rendered.lt, "<", std::cmp::Ordering::is_lt),
        (&rendered.le, "<=", std::cmp::Ordering::is_le),
    ];
    for (bound, symbol, holds) in comparisons {
        if let Some(bound) = bound {
            let ordering = value
                .as_f64()
                .zip(bound.as_f64())
                .and_then(|(a, b)| a.partial_cmp(&b));
            if !ordering.is_some_and(holds) {
                fail(format!("a number {symbol} {}", show(bound)), show(value));
            }
        }
    }
    out
}

fn has_value_checks(assertion: &JsonAssert, rendered: &RenderedJsonAssert) -> bool {
    assertion.kind.is_some()
        || assertion.matches.is_some()
        || rendered.equals.is_some()
        || rendered.equals_ignore_case.is_some()
        || rendered.contains.is_some()
        || rendered.each.is_some()
        || rendered.length.is_some()
        || rendered.one_of.is_some()
        || rendered.gt.is_some()
        || rendered.ge.is_some()
        || rendered.lt.is_some()
        || rendered.le.is_some()
}

/// A string contains a substring; an array contains an element matching the shape.
fn contains(value: &Value, expected: &Value) -> bool {
    match (value, expected) {
        (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
        (Value::Array(items), shape) => items.iter().any(|item| matches_shape(item, shape)),
        _ => false,
    }
}

/// Objects match when every member of `shape` matches (names case-insensitively);
/// everything else must be equal.
pub fn matches_shape(value: &Value, shape: &Value) -> bool {
    match (value, shape) {
        (Value::Object(_), Value::Object(wanted)) => wanted.iter().all(|(key, wanted)| {
            let actual = resolve(
                value,
                &format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            );
            match (actual, wanted) {
                (None | Some(Value::Null), Value::Null) => true,
                (Some(actual), wanted) => matches_shape(actual, wanted),
                (None, _) => false,
            }
        }),
        _ => value == shape,
    }
}

/// A value as shown in a message: compact JSON, long values cut.
pub fn show(value: &Value) -> String {
    let text = value.to_string();
    const LIMIT: usize = 300;
    if text.len() <= LIMIT {
        text
    } else {
        let cut = (0..=LIMIT)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}… ({} bytes)", &text[..cut], text.len())
    }
}
