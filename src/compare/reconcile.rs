//! Two tenants' data matched, read-only: users by userName (without case, as RFC 7643 §4.1.1
//! declares it), then by externalId; groups by displayName. Who is missing on either side,
//! which attributes differ (by name, never by value), and the old-id → new-id map that
//! re-keying integrations need after a migration, written only where the user asks.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::check::assert::resolve;
use crate::scim::urn;

/// One resource found on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// `User` or `Group`.
    pub kind: &'static str,
    /// What matched them: `userName`, `externalId` or `displayName`.
    pub by: &'static str,
    /// The matching value (A's): only ever written to the map file.
    pub key: String,
    pub a_id: String,
    pub b_id: String,
    /// The attributes whose values differ, by name.
    #[serde(skip)]
    pub differs: Vec<&'static str>,
}

/// A resource found on one side only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub kind: &'static str,
    pub id: String,
}

#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    pub matched: Vec<Match>,
    pub only_a: Vec<Unmatched>,
    pub only_b: Vec<Unmatched>,
}

fn text<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    resolve(value, pointer).and_then(Value::as_str)
}

fn id(value: &Value) -> String {
    text(value, "/id").unwrap_or_default().to_owned()
}

/// The values of a multi-valued attribute's `value`, without case.
fn values(resource: &Value, attribute: &str) -> BTreeSet<String> {
    resolve(resource, &format!("/{attribute}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| text(item, "/value"))
        .map(str::to_lowercase)
        .collect()
}

/// The user attributes compared, by name: what a provisioning integration keeps in sync.
fn user_differences(a: &Value, b: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    if text(a, "/userName").map(str::to_lowercase) != text(b, "/userName").map(str::to_lowercase) {
        out.push("userName");
    }
    // RFC 7643 §4.1.1: a user without `active` is not said to be inactive.
    let active = |u: &Value| {
        resolve(u, "/active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    if active(a) != active(b) {
        out.push("active");
    }
    if values(a, "emails") != values(b, "emails") {
        out.push("emails");
    }
    let name = |u: &Value| -> [Option<String>; 3] {
        ["givenName", "familyName", "formatted"]
            .map(|part| text(u, &format!("/name/{part}")).map(str::to_owned))
    };
    if name(a) != name(b) {
        out.push("name");
    }
    // Compared whole but for the manager's reference, which names the tenant's own URL.
    let enterprise = |u: &Value| {
        let mut extension = resolve(u, &format!("/{}", urn::ENTERPRISE_USER)).cloned();
        if let Some(manager) = extension
            .as_mut()
            .and_then(|e| e.get_mut("manager"))
            .and_then(Value::as_object_mut)
        {
            manager.remove("$ref");
            manager.remove("value");
        }
        extension
    };
    if enterprise(a) != enterprise(b) {
        out.push("enterprise");
    }
    out
}

/// Matches `a`'s users and groups with `b`'s.
pub fn reconcile(users: (&[Value], &[Value]), groups: (&[Value], &[Value])) -> Reconciliation {
    let mut out = Reconciliation::default();
    let (users_a, users_b) = users;
    let by = |list: &[Value], pointer: &str, fold: bool| -> BTreeMap<String, usize> {
        let mut index = BTreeMap::new();
        for (at, resource) in list.iter().enumerate() {
            if let Some(key) = text(resource, pointer) {
                let key = if fold {
                    key.to_lowercase()
                } else {
                    key.to_owned()
                };
                index.entry(key).or_insert(at);
            }
        }
        index
    };
    let (names_b, external_b) = (
        by(users_b, "/userName", true),
        by(users_b, "/externalId", false),
    );
    let mut taken = BTreeSet::new();
    // A's user id → B's, for comparing group members.
    let mut user_ids: BTreeMap<String, String> = BTreeMap::new();
    for user in users_a {
        let by_name = text(user, "/userName")
            .and_then(|n| names_b.get(&n.to_lowercase()))
            .filter(|at| !taken.contains(*at))
            .map(|at| ("userName", *at));
        let by_external = || {
            text(user, "/externalId")
                .and_then(|e| external_b.get(e))
                .filter(|at| !taken.contains(*at))
                .map(|at| ("externalId", *at))
        };
        match by_name.or_else(by_external) {
            Some((how, at)) => {
                taken.insert(at);
                let other = &users_b[at];
                user_ids.insert(id(user), id(other));
                let key = match how {
                    "userName" => text(user, "/userName"),
                    _ => text(user, "/externalId"),
                };
                out.matched.push(Match {
                    kind: "User",
                    by: how,
                    key: key.unwrap_or_default().to_owned(),
                    a_id: id(user),
                    b_id: id(other),
                    differs: user_differences(user, other),
                });
            }
            None => out.only_a.push(Unmatched {
                kind: "User",
                id: id(user),
            }),
        }
    }
    for (at, user) in users_b.iter().enumerate() {
        if !taken.contains(&at) {
            out.only_b.push(Unmatched {
                kind: "User",
                id: id(user),
            });
        }
    }
    let (groups_a, groups_b) = groups;
    let names_b = by(groups_b, "/displayName", true);
    let mut taken = BTreeSet::new();
    for group in groups_a {
        let found = text(group, "/displayName")
            .and_then(|n| names_b.get(&n.to_lowercase()))
            .filter(|at| !taken.contains(*at));
        let Some(&at) = found else {
            out.only_a.push(Unmatched {
                kind: "Group",
                id: id(group),
            });
            continue;
        };
        taken.insert(at);
        let other = &groups_b[at];
        // Members in B's ids: A's members mapped through the users matched above.
        let members_a: BTreeSet<String> = values(group, "members")
            .into_iter()
            .map(|member| {
                user_ids
                    .iter()
                    .find(|(a, _)| a.to_lowercase() == member)
                    .map_or(member, |(_, b)| b.to_lowercase())
            })
            .collect();
        let differs = if members_a == values(other, "members") {
            vec![]
        } else {
            vec!["members"]
        };
        out.matched.push(Match {
            kind: "Group",
            by: "displayName",
            key: text(group, "/displayName").unwrap_or_default().to_owned(),
            a_id: id(group),
            b_id: id(other),
            differs,
        });
    }
    for (at, group) in groups_b.iter().enumerate() {
        if !taken.contains(&at) {
            out.only_b.push(Unmatched {
                kind: "Group",
                id: id(group),
            });
        }
    }
    out
}

impl Reconciliation {
    /// The summary for the console: counts and attribute names, no value and no id.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for kind in ["User", "Group"] {
            let matched: Vec<&Match> = self.matched.iter().filter(|m| m.kind == kind).collect();
            let by_external = matched.iter().filter(|m| m.by == "externalId").count();
            let count = |list: &[Unmatched]| list.iter().filter(|u| u.kind == kind).count();
            let mut differing: BTreeMap<&str, usize> = BTreeMap::new();
            for attribute in matched.iter().flat_map(|m| &m.differs) {
                *differing.entry(attribute).or_default() += 1;
            }
            let differing: Vec<String> = differing
                .iter()
                .map(|(attribute, n)| format!("{attribute} {n}"))
                .collect();
            out.push_str(&format!(
                "  {kind}s: {} matched ({by_external} by externalId), {} only on A, {} only on B; differing: {}\n",
                matched.len(),
                count(&self.only_a),
                count(&self.only_b),
                if differing.is_empty() {
                    "none".to_owned()
                } else {
                    differing.join(", ")
                }
            ));
        }
        out
    }

    /// The old-id → new-id map: CSV (`kind,matched_by,key,a_id,b_id`) or JSON.
    pub fn map(&self, csv: bool) -> String {
        if !csv {
            // A derived `Serialize` of strings always serializes.
            return serde_json::to_string_pretty(&self.matched).unwrap_or_default();
        }
        let field = |text: &str| {
            if text.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_owned()
            }
        };
        let mut out = String::from("kind,matched_by,key,a_id,b_id\n");
        for m in &self.matched {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                m.kind,
                m.by,
                field(&m.key),
                field(&m.a_id),
                field(&m.b_id)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn users_match_by_user_name_then_external_id_and_groups_by_display_name() {
        let users_a = [
            json!({"id": "a1", "userName": "Alice", "externalId": "e1", "emails": [{"value": "alice@x"}]}),
            json!({"id": "a2", "userName": "bob", "externalId": "e2"}),
            json!({"id": "a3", "userName": "carol", "externalId": "e3"}),
            json!({"id": "a4", "userName": "dave", "externalId": "e4"}),
        ];
        let users_b = [
            json!({"id": "b1", "userName": "alice", "emails": [{"value": "ALICE@x"}]}),
            json!({"id": "b2", "userName": "bob", "active": false}),
            json!({"id": "b3", "userName": "carol.new", "externalId": "e3"}),
            json!({"id": "b9", "userName": "zed"}),
        ];
        let groups_a = [
            json!({"id": "g1", "displayName": "Eng", "members": [{"value": "a1"}, {"value": "a2"}]}),
        ];
        let groups_b = [json!({"id": "h1", "displayName": "eng", "members": [{"value": "b1"}]})];
        let result = reconcile((&users_a, &users_b), (&groups_a, &groups_b));
        let matched: Vec<(&str, &str, &str, &[&str])> = result
            .matched
            .iter()
            .map(|m| (m.a_id.as_str(), m.b_id.as_str(), m.by, m.differs.as_slice()))
            .collect();
        assert_eq!(
            matched,
            [
                ("a1", "b1", "userName", &[][..]),
                ("a2", "b2", "userName", &["active"][..]),
                ("a3", "b3", "externalId", &["userName"][..]),
                ("g1", "h1", "displayName", &["members"][..]),
            ]
        );
        assert_eq!(
            result.only_a,
            [Unmatched {
                kind: "User",
                id: "a4".into()
            }]
        );
        assert_eq!(
            result.only_b,
            [Unmatched {
                kind: "User",
                id: "b9".into()
            }]
        );
        let summary = result.summary();
        assert_eq!(
            summary,
            "  Users: 3 matched (1 by externalId), 1 only on A, 1 only on B; differing: active 1, userName 1\n  \
             Groups: 1 matched (0 by externalId), 0 only on A, 0 only on B; differing: members 1\n"
        );
        let csv = result.map(true);
        assert!(
            csv.starts_with("kind,matched_by,key,a_id,b_id\nUser,userName,Alice,a1,b1\n"),
            "{csv}"
        );
        assert!(csv.contains("User,externalId,e3,a3,b3\n"), "{csv}");
        let json: Value = serde_json::from_str(&result.map(false)).expect("JSON");
        assert_eq!(json[3]["b_id"], "h1");
    }

    #[test]
    fn a_csv_field_with_a_comma_or_quote_is_quoted() {
        let users = [json!({"id": "1", "userName": "o\"neil, pat"})];
        let result = reconcile((&users, &users), (&[], &[]));
        assert!(
            result
                .map(true)
                .ends_with("User,userName,\"o\"\"neil, pat\",1,1\n")
        );
    }
}
