//! What changed between two JSON documents, pointer by pointer: a stored snapshot and a new
//! response (drift), or the shapes of one step on two targets (`compare`).

use serde::Serialize;
use serde_json::{Map, Value};

/// How one place in the document changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Gone from the new document.
    Removed,
    /// Spelled with other capitals (`userName` → `username`).
    CaseChanged,
    /// Another JSON type (a number became a string).
    TypeChanged,
    /// Only in the new document.
    Added,
    /// Same type, another value.
    ValueChanged,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Removed => "removed",
            ChangeKind::CaseChanged => "case changed",
            ChangeKind::TypeChanged => "type changed",
            ChangeKind::Added => "added",
            ChangeKind::ValueChanged => "value changed",
        }
    }
}

/// One change, at a JSON pointer into the old document (the new one for an addition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub pointer: String,
    pub kind: ChangeKind,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.pointer, self.kind.name())
    }
}

/// The changes from `old` to `new`, in document order. Arrays are compared item by item
/// (snapshots sort multi-valued attributes first, so an item's index is stable).
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(old, new, &mut String::new(), &mut out);
    out
}

fn walk(old: &Value, new: &Value, at: &mut String, out: &mut Vec<Change>) {
    let mut change = |kind| {
        out.push(Change {
            pointer: if at.is_empty() {
                "/".into()
            } else {
                at.clone()
            },
            kind,
        });
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => objects(a, b, at, out),
        (Value::Array(a), Value::Array(b)) => {
            for index in 0..a.len().max(b.len()) {
                let len = at.len();
                at.push_str(&format!("/{index}"));
                match (a.get(index), b.get(index)) {
                    (Some(x), Some(y)) => walk(x, y, at, out),
                    (Some(_), None) => out.push(Change {
                        pointer: at.clone(),
                        kind: ChangeKind::Removed,
                    }),
                    (None, Some(_)) => out.push(Change {
                        pointer: at.clone(),
                        kind: ChangeKind::Added,
                    }),
                    (None, None) => {}
                }
                at.truncate(len);
            }
        }
        (a, b) if type_name(a) != type_name(b) => change(ChangeKind::TypeChanged),
        (a, b) if a != b => change(ChangeKind::ValueChanged),
        _ => {}
    }
}

fn objects(a: &Map<String, Value>, b: &Map<String, Value>, at: &mut String, out: &mut Vec<Change>) {
    let change = |at: &str, key: &str, kind| Change {
        pointer: format!("{at}/{}", escape(key)),
        kind,
    };
    for (key, old) in a {
        match b.get(key) {
            Some(new) => {
                let len = at.len();
                at.push('/');
                at.push_str(&escape(key));
                walk(old, new, at, out);
                at.truncate(len);
            }
            None if b
                .keys()
                .any(|k| k.eq_ignore_ascii_case(key) && !a.contains_key(k)) =>
            {
                out.push(change(at, key, ChangeKind::CaseChanged));
            }
            None => out.push(change(at, key, ChangeKind::Removed)),
        }
    }
    for key in b.keys() {
        let renamed = a
            .keys()
            .any(|k| k.eq_ignore_ascii_case(key) && !b.contains_key(k));
        if !a.contains_key(key) && !renamed {
            out.push(change(at, key, ChangeKind::Added));
        }
    }
}

/// RFC 6901: `~` and `/` inside a key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The JSON type of a value, as shapes spell it.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "decimal",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A document's shape: its attribute names and value types, never its values. The items of an
/// array merge into one shape, so a list of a thousand users is as long as one user.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(shape).reduce(merge).into_iter().collect())
        }
        scalar => Value::String(type_name(scalar).into()),
    }
}

/// One shape covering two: the union of their attributes; `string|integer` where the types
/// differ.
fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (key, shape_b) in b {
                let merged = match a.remove(&key) {
                    Some(shape_a) => merge(shape_a, shape_b),
                    None => shape_b,
                };
                a.insert(key, merged);
            }
            Value::Object(a)
        }
        (Value::Array(mut a), Value::Array(b)) => match (a.pop(), b.into_iter().next()) {
            (Some(x), Some(y)) => Value::Array(vec![merge(x, y)]),
            (x, y) => Value::Array(x.or(y).into_iter().collect()),
        },
        (a, b) if a == b => a,
        (a, b) => {
            let name = |v: &Value| {
                v.as_str()
                    .map_or_else(|| type_name(v).to_owned(), str::to_owned)
            };
            let mut names: Vec<String> = name(&a)
                .split('|')
                .chain(name(&b).split('|'))
                .map(str::to_owned)
                .collect();
            names.sort();
            names.dedup();
            Value::String(names.join("|"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kinds(old: Value, new: Value) -> Vec<(String, ChangeKind)> {
        diff(&old, &new)
            .into_iter()
            .map(|c| (c.pointer, c.kind))
            .collect()
    }

    #[test]
    fn each_kind_of_change_is_named_at_its_pointer() {
        use ChangeKind::*;
        for (old, new, expected) in [
            (json!({"a": 1}), json!({"a": 1}), vec![]),
            (json!({"a": 1}), json!({}), vec![("/a", Removed)]),
            (json!({}), json!({"a": 1}), vec![("/a", Added)]),
            (
                json!({"a": 1}),
                json!({"a": "1"}),
                vec![("/a", TypeChanged)],
            ),
            (json!({"a": 1}), json!({"a": 2}), vec![("/a", ValueChanged)]),
            (
                json!({"a": 1}),
                json!({"a": 1.5}),
                vec![("/a", TypeChanged)],
            ),
            (
                json!({"userName": "x"}),
                json!({"username": "x"}),
                vec![("/userName", CaseChanged)],
            ),
            (
                json!({"emails": [{"value": "v", "display": "d"}]}),
                json!({"emails": [{"value": "v"}]}),
                vec![("/emails/0/display", Removed)],
            ),
            (json!([1]), json!([1, 2]), vec![("/1", Added)]),
            (json!([1, 2]), json!([1]), vec![("/1", Removed)]),
            (json!({"a/b~": 1}), json!({}), vec![("/a~1b~0", Removed)]),
            (json!(1), json!(null), vec![("/", TypeChanged)]),
        ] {
            let expected: Vec<(String, ChangeKind)> = expected
                .into_iter()
                .map(|(p, k)| (p.to_owned(), k))
                .collect();
            assert_eq!(kinds(old.clone(), new.clone()), expected, "{old} → {new}");
        }
    }

    #[test]
    fn a_shape_keeps_names_and_types_and_drops_values() {
        let body = json!({
            "userName": "alice",
            "active": true,
            "totalResults": 2,
            "Resources": [
                {"id": "1", "emails": [{"value": "a@x"}]},
                {"id": "2", "emails": [{"value": "b@x", "display": "B"}], "nickName": 3}
            ],
            "empty": []
        });
        assert_eq!(
            shape(&body),
            json!({
                "userName": "string",
                "active": "boolean",
                "totalResults": "integer",
                "Resources": [{
                    "id": "string",
                    "emails": [{"value": "string", "display": "string"}],
                    "nickName": "integer"
                }],
                "empty": []
            })
        );
        assert_eq!(
            shape(&json!([1, "x", 2])),
            json!(["integer|string"]),
            "items of other types merge into one union"
        );
        assert!(!shape(&body).to_string().contains("alice"));
    }
}
