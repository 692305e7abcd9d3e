//! The discovery documents side by side: every attribute `/Schemas` declares (by schema and
//! path, names compared without case as RFC 7643 §2.1 says) with its type, plurality,
//! mutability, `returned`, uniqueness, `caseExact` and `required`, and every resource type
//! of `/ResourceTypes` with its endpoint, schema and extensions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::diff::{Area, Difference, Discovery, Severity};

/// An attribute's characteristics, RFC 7643 §2.2's defaults filled in where omitted, so that
/// an omitted default and a spelled-out one compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    /// `schema-id:path` as A (or B) spells it.
    shown: String,
    traits: BTreeMap<&'static str, String>,
}

/// The prefix of RFC 7643's own schema ids.
pub(crate) const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:";

/// (characteristic, its default).
const TRAITS: [(&str, &str); 7] = [
    ("type", "string"),
    ("multiValued", "false"),
    ("mutability", "readWrite"),
    ("returned", "default"),
    ("uniqueness", "none"),
    ("caseExact", "false"),
    ("required", "false"),
];

/// The resources of a ListResponse, or a bare array (some servers answer one).
fn resources(list: &Value) -> &[Value] {
    list.get("Resources")
        .unwrap_or(list)
        .as_array()
        .map_or(&[], Vec::as_slice)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Every schema id (lower case → as written) and every attribute (`schema:path`, lower case).
pub(crate) fn declared(schemas: &Value) -> (BTreeMap<String, String>, BTreeMap<String, Declared>) {
    let mut ids = BTreeMap::new();
    let mut attributes = BTreeMap::new();
    for schema in resources(schemas) {
        let Some(id) = text(schema, "id") else {
            continue;
        };
        ids.insert(id.to_lowercase(), id.clone());
        walk(&id, "", schema.get("attributes"), &mut attributes);
    }
    (ids, attributes)
}

fn walk(schema: &str, parent: &str, list: Option<&Value>, out: &mut BTreeMap<String, Declared>) {
    for attribute in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = text(attribute, "name") else {
            continue;
        };
        let path = if parent.is_empty() {
            name
        } else {
            format!("{parent}.{name}")
        };
        let traits = TRAITS
            .iter()
            .map(|(key, default)| {
                (
                    *key,
                    text(attribute, key).unwrap_or_else(|| (*default).to_owned()),
                )
            })
            .collect();
        // Core schemas by their last word (`User:name.givenName`); extensions in full.
        let short = schema.strip_prefix(CORE).unwrap_or(schema);
        let shown = format!("{short}:{path}");
        out.insert(
            format!("{schema}:{path}").to_lowercase(),
            Declared { shown, traits },
        );
        walk(schema, &path, attribute.get("subAttributes"), out);
    }
}

/// `schema:name` of `schema:name.sub` (schema ids hold dots too: `…:2.0:User`).
fn parent(key: &str) -> Option<String> {
    let (schema, path) = key.rsplit_once(':')?;
    let (parent, _) = path.rsplit_once('.')?;
    Some(format!("{schema}:{parent}"))
}

/// How much a characteristic changing from `a` to `b` matters to a client written for A.
fn severity(key: &str, a: &str, b: &str) -> Severity {
    match key {
        // The client sends and parses values of another shape.
        "type" | "multiValued" => Severity::Worse,
        // What the client wrote is now refused or ignored.
        "mutability" if a == "readWrite" || b == "readOnly" => Severity::Worse,
        // What the client read back is no longer returned.
        "returned" if b == "never" || b == "request" => Severity::Worse,
        "required" if b == "true" => Severity::Worse,
        _ => Severity::Changed,
    }
}

/// The differences between A's and B's discovery documents, and how many attributes are
/// declared alike.
pub fn compare(a: &Discovery, b: &Discovery) -> (Vec<Difference>, usize) {
    let mut out = Vec::new();
    let difference = |severity, area, subject: &str, a: &str, b: &str| Difference {
        severity,
        area,
        subject: subject.to_owned(),
        a: a.to_owned(),
        b: b.to_owned(),
    };
    let (ids_a, attributes_a) = declared(&a.0);
    let (ids_b, attributes_b) = declared(&b.0);
    for (key, id) in &ids_a {
        if !ids_b.contains_key(key) {
            out.push(difference(
                Severity::Worse,
                Area::Schema,
                id,
                "published",
                "absent",
            ));
        }
    }
    for (key, id) in &ids_b {
        if !ids_a.contains_key(key) {
            out.push(difference(
                Severity::Better,
                Area::Schema,
                id,
                "absent",
                "published",
            ));
        }
    }
    // The schema of an attribute, lower case: a whole schema missing is said once, above.
    let schema_of = |key: &str| {
        key.rsplit_once(':')
            .map_or(String::new(), |(s, _)| s.to_owned())
    };
    let mut same = 0;
    let keys: BTreeSet<&String> = attributes_a.keys().chain(attributes_b.keys()).collect();
    for key in keys {
        let schema = schema_of(key);
        if !(ids_a.contains_key(&schema) && ids_b.contains_key(&schema)) {
            continue;
        }
        // A sub-attribute of an attribute missing on one side is said with its parent.
        let parent_missing = parent(key)
            .is_some_and(|p| attributes_a.contains_key(&p) != attributes_b.contains_key(&p));
        if parent_missing {
            continue;
        }
        match (attributes_a.get(key), attributes_b.get(key)) {
            (Some(x), None) => out.push(difference(
                Severity::Worse,
                Area::Schema,
                &x.shown,
                "declared",
                "not declared",
            )),
            (None, Some(y)) => out.push(difference(
                Severity::Better,
                Area::Schema,
                &y.shown,
                "not declared",
                "declared",
            )),
            (Some(x), Some(y)) if x.traits == y.traits => same += 1,
            (Some(x), Some(y)) => {
                for (trait_name, value_a) in &x.traits {
                    let value_b = &y.traits[trait_name];
                    if value_a != value_b {
                        out.push(difference(
                            severity(trait_name, value_a, value_b),
                            Area::Schema,
                            &format!("{} {trait_name}", x.shown),
                            value_a,
                            value_b,
                        ));
                    }
                }
            }
            (None, None) => {}
        }
    }
    out.extend(resource_types(&a.1, &b.1));
    (out, same)
}

/// Resource types by name: one missing, another endpoint or schema, an extension gone or its
/// `required` changed.
fn resource_types(a: &Value, b: &Value) -> Vec<Difference> {
    let by_name = |list: &Value| -> BTreeMap<String, Value> {
        resources(list)
            .iter()
            .filter_map(|t| text(t, "name").map(|n| (n.to_lowercase(), t.clone())))
            .collect()
    };
    let extensions = |t: &Value| -> BTreeMap<String, String> {
        t.get("schemaExtensions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let required = text(e, "required").unwrap_or_else(|| "false".to_owned());
                text(e, "schema").map(|s| (s, format!("required {required}")))
            })
            .collect()
    };
    let (types_a, types_b) = (by_name(a), by_name(b));
    let mut out = Vec::new();
    let mut push = |severity, subject: String, a: String, b: String| {
        out.push(Difference {
            severity,
            area: Area::ResourceType,
            subject,
            a,
            b,
        });
    };
    let names: BTreeSet<&String> = types_a.keys().chain(types_b.keys()).collect();
    for name in names {
        let (x, y) = match (types_a.get(name), types_b.get(name)) {
            (Some(x), Some(y)) => (x, y),
            (Some(x), None) => {
                let shown = text(x, "name").unwrap_or_default();
                push(Severity::Worse, shown, "served".into(), "absent".into());
                continue;
            }
            (None, Some(y)) => {
                let shown = text(y, "name").unwrap_or_default();
                push(Severity::Better, shown, "absent".into(), "served".into());
                continue;
            }
            (None, None) => continue,
        };
        let shown = text(x, "name").unwrap_or_default();
        for key in ["endpoint", "schema"] {
            let (va, vb) = (
                text(x, key).unwrap_or_default(),
                text(y, key).unwrap_or_default(),
            );
            if va != vb {
                push(Severity::Changed, format!("{shown} {key}"), va, vb);
            }
        }
        let (ea, eb) = (extensions(x), extensions(y));
        let schemas: BTreeSet<&String> = ea.keys().chain(eb.keys()).collect();
        for schema in schemas {
            let subject = format!("{shown} extension {schema}");
            match (ea.get(schema), eb.get(schema)) {
                (Some(va), None) => push(Severity::Worse, subject, va.clone(), "absent".into()),
                (None, Some(vb)) => push(Severity::Better, subject, "absent".into(), vb.clone()),
                (Some(va), Some(vb)) if va != vb => {
                    push(Severity::Changed, subject, va.clone(), vb.clone());
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn discovery(attributes: Value, extensions: Value) -> Discovery {
        let schemas = json!({"Resources": [{"id": USER, "attributes": attributes}]});
        let types = json!({"Resources": [{"name": "User", "endpoint": "/Users", "schema": USER,
            "schemaExtensions": extensions}]});
        (schemas, types)
    }

    fn user_attributes() -> Value {
        json!([
            {"name": "userName", "type": "string", "uniqueness": "server", "caseExact": false},
            {"name": "active", "type": "boolean"},
            {"name": "name", "type": "complex", "subAttributes": [
                {"name": "givenName", "type": "string"}, {"name": "familyName", "type": "string"}]},
        ])
    }

    #[test]
    fn identical_documents_differ_in_nothing_and_defaults_equal_their_omission() {
        let a = discovery(user_attributes(), json!([]));
        let mut spelled = user_attributes();
        spelled[1]["mutability"] = json!("readWrite");
        spelled[0]["name"] = json!("UserName");
        let b = discovery(spelled, json!([]));
        let (differences, same) = compare(&a, &b);
        assert_eq!(
            differences,
            [],
            "explicit defaults and the names' case are no difference"
        );
        assert_eq!(same, 5);
    }

    #[test]
    fn a_removed_attribute_a_changed_type_and_a_flipped_case_exact_are_each_named() {
        let a = discovery(user_attributes(), json!([]));
        let mut changed = user_attributes();
        changed[0]["caseExact"] = json!(true);
        changed[1]["type"] = json!("string");
        changed[2]["subAttributes"] = json!([{"name": "givenName", "type": "string"}]);
        let b = discovery(changed, json!([]));
        let (differences, same) = compare(&a, &b);
        let said: Vec<(Severity, &str, &str, &str)> = differences
            .iter()
            .map(|d| (d.severity, d.subject.as_str(), d.a.as_str(), d.b.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (Severity::Worse, "User:active type", "boolean", "string"),
                (
                    Severity::Worse,
                    "User:name.familyName",
                    "declared",
                    "not declared"
                ),
                (
                    Severity::Changed,
                    "User:userName caseExact",
                    "false",
                    "true"
                ),
            ]
        );
        assert_eq!(same, 2, "name and name.givenName");
    }

    #[test]
    fn a_missing_complex_attribute_is_one_difference_not_one_per_sub_attribute() {
        let a = discovery(user_attributes(), json!([]));
        let mut fewer = user_attributes();
        fewer.as_array_mut().expect("a list").pop();
        let b = discovery(fewer, json!([]));
        let (differences, same) = compare(&a, &b);
        let subjects: Vec<&str> = differences.iter().map(|d| d.subject.as_str()).collect();
        assert_eq!(subjects, ["User:name"]);
        assert_eq!(same, 2);
        let (differences, _) = compare(&b, &a);
        assert_eq!(differences[0].severity, Severity::Better);
        assert_eq!(differences.len(), 1);
    }

    #[test]
    fn a_missing_schema_is_one_difference_and_resource_types_are_compared() {
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let mut a = discovery(
            user_attributes(),
            json!([{"schema": enterprise, "required": false}]),
        );
        a.0["Resources"]
            .as_array_mut()
            .expect("a list")
            .push(json!({"id": enterprise, "attributes": [{"name": "department"}]}));
        a.1["Resources"]
            .as_array_mut()
            .expect("a list")
            .push(json!({"name": "Group", "endpoint": "/Groups"}));
        let mut b = discovery(user_attributes(), json!([]));
        b.1["Resources"][0]["endpoint"] = json!("/users");
        let (differences, _) = compare(&a, &b);
        let said: Vec<(Area, &str, &str)> = differences
            .iter()
            .map(|d| (d.area, d.subject.as_str(), d.b.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (Area::Schema, enterprise, "absent"),
                (Area::ResourceType, "Group", "absent"),
                (Area::ResourceType, "User endpoint", "/users"),
                (
                    Area::ResourceType,
                    &*format!("User extension {enterprise}"),
                    "absent"
                ),
            ]
        );
    }
}
