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
        ..Mismatch::default()
    })
}

/// `assertion` with its `equals` and `not_equals` already rendered from their templates.
pub fn header(
    name: &str,
    assertion: &HeaderAssert,
    equals: Option<&str>,
    not_equals: Option<&str>,
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
            pointer: name.to_owned(),
            ..Mismatch::default()
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
    if let Some(unexpected) = not_equals
        && value == Some(unexpected)
    {
        fail(format!("anything but `{unexpected}`"), shown(value));
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
    pub contains_all: Option<Vec<Value>>,
    pub superset_of: Option<Value>,
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
            pointer: pointer.to_owned(),
            ..Mismatch::default()
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
    for expected in rendered.contains_all.iter().flatten() {
        if !contains(value, expected) {
            fail(format!("containing {}", show(expected)), show(value));
        }
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
        if let Some(bound) = bound
            && !order(value, bound).is_some_and(holds)
        {
            fail(format!("a value {symbol} {}", show(bound)), show(value));
        }
    }
    // Points below the asserted pointer, at the first member that lacks what was sent.
    if let Some(sent) = &rendered.superset_of
        && let Err(missing) = superset(value, sent, String::new())
    {
        out.push(Mismatch {
            subject: format!("`{pointer}{}`", missing.at),
            expected: format!("{} (as sent)", missing.expected),
            actual: missing.actual,
            pointer: format!("{pointer}{}", missing.at),
            ..Mismatch::default()
        });
    }
    out
}

/// Numbers compare numerically; date-times (RFC 3339, as SCIM's dateTime) chronologically;
/// other strings by their characters. Anything else does not compare.
fn order(value: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    match (value, bound) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => {
            match (
                OffsetDateTime::parse(a, &Rfc3339),
                OffsetDateTime::parse(b, &Rfc3339),
            ) {
                (Ok(a), Ok(b)) => Some(a.cmp(&b)),
                _ => Some(a.cmp(b)),
            }
        }
        _ => None,
    }
}

/// Whether the assertion only says the value must not be there (true of an absent body too).
pub fn only_absence(assertion: &JsonAssert) -> bool {
    assertion.absent == Some(true) || assertion.present == Some(false)
}

fn has_value_checks(assertion: &JsonAssert, rendered: &RenderedJsonAssert) -> bool {
    assertion.kind.is_some()
        || assertion.matches.is_some()
        || rendered.equals.is_some()
        || rendered.equals_ignore_case.is_some()
        || rendered.contains.is_some()
        || rendered.contains_all.is_some()
        || rendered.superset_of.is_some()
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

/// Members a stored resource need not echo: what is never returned (RFC 7643 §4.1.1
/// `password`), what the server assigns (RFC 7643 §3.1 `id`, `meta`) and the schema URNs it
/// declares itself (RFC 7643 §3 `schemas`).
const NOT_ECHOED: [&str; 4] = ["password", "id", "meta", "schemas"];
/// `caseExact: true` string attributes of RFC 7643's core schemas; every other string compares
/// regardless of case, as the server's own filters compare it (RFC 7643 §2.3.1).
const CASE_EXACT: [&str; 2] = ["externalId", "$ref"];

/// Where a stored value lacks what was sent: a pointer below the asserted one, and both sides.
#[derive(Debug)]
struct Missing {
    at: String,
    expected: String,
    actual: String,
}

/// Whether `stored` holds everything in `sent` (see `JsonAssert::superset_of`).
fn superset(stored: &Value, sent: &Value, at: String) -> Result<(), Missing> {
    let missing = |expected: &Value, actual: &Value, at: String| Missing {
        at,
        expected: show(expected),
        actual: show(actual),
    };
    match (stored, sent) {
        (Value::Object(_), Value::Object(members)) => {
            for (name, sent) in members {
                if NOT_ECHOED.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    continue;
                }
                let escaped = name.replace('~', "~0").replace('/', "~1");
                let at = format!("{at}/{escaped}");
                match (resolve(stored, &format!("/{escaped}")), sent) {
                    (None | Some(Value::Null), Value::Null) => {}
                    (None | Some(Value::Null), Value::Array(items)) if items.is_empty() => {}
                    (None, sent) => {
                        return Err(Missing {
                            at,
                            expected: show(sent),
                            actual: "absent".into(),
                        });
                    }
                    (Some(stored), Value::String(text)) if !is_case_exact(name) => {
                        if stored
                            .as_str()
                            .is_none_or(|s| s.to_lowercase() != text.to_lowercase())
                        {
                            return Err(missing(sent, stored, at));
                        }
                    }
                    (Some(stored), sent) => superset(stored, sent, at)?,
                }
            }
            Ok(())
        }
        (Value::Array(items), Value::Array(wanted)) => {
            for (index, sent) in wanted.iter().enumerate() {
                if !items
                    .iter()
                    .any(|item| superset(item, sent, String::new()).is_ok())
                {
                    return Err(Missing {
                        at,
                        expected: format!("an element holding {} (element {index})", show(sent)),
                        actual: show(stored),
                    });
                }
            }
            Ok(())
        }
        (stored, sent) if stored == sent => Ok(()),
        (stored, sent) => Err(missing(sent, stored, at)),
    }
}

fn is_case_exact(name: &str) -> bool {
    CASE_EXACT.iter().any(|n| n.eq_ignore_ascii_case(name))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn assertion(yaml: &str) -> JsonAssert {
        serde_saphyr::from_str(yaml).expect("assertion parses")
    }

    /// Renders the assertion's values as-is (no variables in these tests).
    fn rendered(a: &JsonAssert) -> RenderedJsonAssert {
        RenderedJsonAssert {
            equals: a.equals.clone(),
            not_equals: a.not_equals.clone(),
            equals_ignore_case: a.equals_ignore_case.clone(),
            contains: a.contains.clone(),
            not_contains: a.not_contains.clone(),
            contains_all: a.contains_all.clone(),
            superset_of: a.superset_of.clone(),
            each: a.each.clone(),
            length: a.length.clone(),
            one_of: a.one_of.clone(),
            gt: a.gt.clone(),
            ge: a.ge.clone(),
            lt: a.lt.clone(),
            le: a.le.clone(),
        }
    }

    fn body() -> Value {
        json!({
            "id": "u1",
            "UserName": "Alice@Example.com",
            "active": false,
            "title": null,
            "totalResults": 3,
            "emails": [
                {"value": "a@x", "type": "work", "primary": true},
                {"value": "b@x", "type": "home"}
            ],
            "meta": {"created": "2026-11-23T10:00:00Z", "lastModified": "2026-11-23T11:00:00+01:00"},
            "a/b": {"c~d": 1}
        })
    }

    #[test]
    fn every_json_assertion_passes_on_good_and_fails_on_bad_values() {
        // (pointer, assertion, holds)
        let cases = [
            ("/id", "present: true", true),
            ("/missing", "present: true", false),
            ("/title", "present: true", false),
            ("/title", "absent: true", true),
            ("/missing", "absent: true", true),
            ("/id", "absent: true", false),
            ("/userName", "equals: Alice@Example.com", true),
            ("/userName", "equals: alice@example.com", false),
            ("/userName", "equals_ignore_case: alice@example.com", true),
            ("/userName", "equals_ignore_case: bob@example.com", false),
            ("/active", "not_equals: true", true),
            ("/active", "not_equals: false", false),
            ("/totalResults", "type: integer", true),
            ("/totalResults", "type: string", false),
            ("/emails", "contains: { type: work, primary: true }", true),
            ("/emails", "contains: { type: other }", false),
            ("/userName", "contains: Example", true),
            ("/emails", "not_contains: { value: c@x }", true),
            ("/emails", "not_contains: { value: a@x }", false),
            (
                "/emails",
                "contains_all: [{ type: work }, { value: b@x }]",
                true,
            ),
            (
                "/emails",
                "contains_all: [{ type: work }, { value: c@x }]",
                false,
            ),
            ("/emails", "each: {}", true),
            ("/id", "each: {}", false),
            ("/emails", "each: { type: work }", false),
            ("/emails", "length: 2", true),
            ("/emails", "length: 3", false),
            ("/id", "matches: '^u[0-9]$'", true),
            ("/id", "matches: '^x'", false),
            ("/totalResults", "one_of: [1, 3]", true),
            ("/totalResults", "one_of: [1, 2]", false),
            ("/totalResults", "gt: 2", true),
            ("/totalResults", "gt: 3", false),
            ("/totalResults", "ge: 3", true),
            ("/totalResults", "lt: 3", false),
            ("/totalResults", "le: 3", true),
            // 11:00+01:00 is 10:00Z: not later than created.
            ("/meta/lastModified", "gt: '2026-11-23T09:59:59Z'", true),
            ("/meta/lastModified", "gt: '2026-11-23T10:00:00Z'", false),
            ("/meta/lastModified", "ge: '2026-11-23T10:00:00Z'", true),
            ("/a~1b/c~0d", "equals: 1", true),
            ("/emails/1/type", "equals: home", true),
            ("/emails/5/type", "present: true", false),
            ("", "type: object", true),
        ];
        for (pointer, yaml, holds) in cases {
            let a = assertion(yaml);
            let found = json(pointer, &a, &rendered(&a), Some(&body()));
            assert_eq!(found.is_empty(), holds, "{pointer} {yaml}: {found:?}");
        }
    }

    #[test]
    fn superset_of_holds_what_was_sent_and_names_what_is_missing() {
        let stored = json!({
            "id": "u1",
            "userName": "alice@example.com",
            "externalId": "Ext-1",
            "emails": [
                {"value": "a@x", "type": "work", "primary": true},
                {"value": "b@x", "type": "home"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "manager": {"value": "m1", "displayName": "Boss"}
            },
            "meta": {"resourceType": "User"}
        });
        let sent = |yaml: &str| -> Value { serde_saphyr::from_str(yaml).expect("yaml") };
        // (sent, holds, where a failure points)
        let cases = [
            (
                "{ userName: Alice@Example.com, password: secret, schemas: [x] }",
                true,
                "",
            ),
            (
                "{ emails: [{ type: home, value: b@x }, { value: a@x }] }",
                true,
                "",
            ),
            (
                "{ nickName: null, id: other, meta: { version: x } }",
                true,
                "",
            ),
            (
                "{ 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: m1 } } }",
                true,
                "",
            ),
            ("{ externalId: ext-1 }", false, "/externalId"),
            ("{ nickName: Al }", false, "/nickName"),
            ("{ emails: [{ value: a@x, display: A }] }", false, "/emails"),
            ("{ userName: null }", false, "/userName"),
            (
                "{ emails: [{ value: a@x, primary: false }] }",
                false,
                "/emails",
            ),
            (
                "{ 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: m2 } } }",
                false,
                "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/manager/value",
            ),
        ];
        for (yaml, holds, at) in cases {
            let a = JsonAssert {
                superset_of: Some(sent(yaml)),
                ..JsonAssert::default()
            };
            let found = json("", &a, &rendered(&a), Some(&stored));
            assert_eq!(found.is_empty(), holds, "{yaml}: {found:?}");
            if !holds {
                assert_eq!(found[0].pointer, at, "{yaml}");
            }
        }
    }

    #[test]
    fn a_missing_body_fails_value_checks() {
        let a = assertion("equals: 1");
        let found = json("/id", &a, &rendered(&a), None);
        assert_eq!(found[0].expected, "a JSON body");
    }

    fn response(headers: &[(&str, &str)], status: u16) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: String::new(),
            json: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn header_and_status_assertions_pass_and_fail() {
        let r = response(
            &[
                ("etag", "W/\"2\""),
                ("content-type", "application/scim+json"),
            ],
            200,
        );
        let header_assert = |yaml: &str| -> HeaderAssert { serde_saphyr::from_str(yaml).unwrap() };
        let check = |name: &str, yaml: &str| {
            let a = header_assert(yaml);
            header(name, &a, a.equals.as_deref(), a.not_equals.as_deref(), &r)
        };
        assert!(check("ETag", "present: true").is_empty());
        assert!(!check("Location", "present: true").is_empty());
        assert!(check("Location", "present: false").is_empty());
        assert!(!check("ETag", "present: false").is_empty());
        assert!(check("etag", "equals: 'W/\"2\"'").is_empty());
        assert!(!check("etag", "equals: 'W/\"1\"'").is_empty());
        assert!(check("etag", "not_equals: 'W/\"1\"'").is_empty());
        assert!(!check("etag", "not_equals: 'W/\"2\"'").is_empty());
        assert!(check("Content-Type", "matches: '^application/scim\\+json'").is_empty());
        assert!(!check("Content-Type", "matches: '^text/'").is_empty());
        assert!(status(&StatusSet(vec![200, 204]), &r).is_none());
        let wrong = status(&StatusSet(vec![201]), &r).expect("mismatch");
        assert_eq!(
            (wrong.expected.as_str(), wrong.actual.as_str()),
            ("201", "200")
        );
    }
}
