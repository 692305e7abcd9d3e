//! Users and groups loaded into a server before a client under test talks to it, each created
//! as a `POST` would create it: the same validation, the same server-issued ids.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use super::resource::Projection;
use super::schema::Kind;
use super::state::{AppState, TENANT_A};

/// What to load: `{"users": [...], "groups": [...]}`, each entry a resource as a client would
/// POST it. A group's `members[].value` may name a user of the same seed by its `userName`,
/// or a group by its `displayName`, instead of an id, which the seed's author cannot know.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub users: Vec<Value>,
    #[serde(default)]
    pub groups: Vec<Value>,
}

/// Why a seed was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// Not a JSON object of `users` and `groups` arrays.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// An entry the server refused, as it would refuse the same `POST`; the entries before it
    /// were loaded.
    #[error("{at}: refused with {status}: {detail}")]
    Refused {
        /// Which entry: `users[2]`, `groups[0]`.
        at: String,
        status: u16,
        detail: String,
    },
}

impl Seed {
    /// Parses a seed file's text; unknown keys are errors.
    pub fn from_json(text: &str) -> Result<Seed, SeedError> {
        // serde would also take the struct as an array of its fields.
        if let Some(at) = text.find(|c: char| !c.is_whitespace())
            && !text[at..].starts_with('{')
        {
            let before = &text[..at];
            return Err(SeedError::Syntax {
                line: before.matches('\n').count() + 1,
                column: at - before.rfind('\n').map_or(0, |n| n + 1) + 1,
                message: "a seed is a JSON object: {\"users\": [...], \"groups\": [...]}".into(),
            });
        }
        serde_json::from_str(text).map_err(|error| {
            let (line, column) = (error.line(), error.column());
            let message = error.to_string();
            // The position is said once, first.
            let position = format!(" at line {line} column {column}");
            SeedError::Syntax {
                line,
                column,
                message: message
                    .strip_suffix(&position)
                    .unwrap_or(&message)
                    .to_owned(),
            }
        })
    }
}

/// What a seed created, as a `GET` of each resource shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
}

impl Resources {
    /// The id of the user with this `userName` (case-insensitive, as `userName` compares).
    pub fn user_id(&self, user_name: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|u| {
                u.get("userName")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(user_name))
            })
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
    }
}

/// Creates every entry in tenant A (the SCIM token's), users first.
pub(crate) fn load(state: &AppState, seed: &Seed) -> Result<Resources, SeedError> {
    let mut data = state.write(TENANT_A);
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut created = Resources::default();
    let entries = seed
        .users
        .iter()
        .map(|u| (Kind::User, u))
        .chain(seed.groups.iter().map(|g| (Kind::Group, g)));
    let (mut users, mut groups) = (0, 0);
    for (kind, entry) in entries {
        let (at, name_attr) = match kind {
            Kind::User => (format!("users[{users}]"), "userName"),
            Kind::Group => (format!("groups[{groups}]"), "displayName"),
        };
        let body = with_member_ids(entry, &ids);
        let doc =
            data.create(state, kind, &body)
                .map_err(|error: ApiError| SeedError::Refused {
                    at,
                    status: error.status.as_u16(),
                    detail: error.detail,
                })?;
        let rendered = data.render(state, kind, &doc, &Projection::default());
        if let (Some(name), Some(id)) = (
            rendered.get(name_attr).and_then(Value::as_str),
            rendered.get("id").and_then(Value::as_str),
        ) {
            ids.insert(name.to_owned(), id.to_owned());
        }
        match kind {
            Kind::User => {
                users += 1;
                created.users.push(rendered);
            }
            Kind::Group => {
                groups += 1;
                created.groups.push(rendered);
            }
        }
    }
    Ok(created)
}

/// Tenant A's resources, as a `GET` of each shows it, oldest first.
pub(crate) fn resources(state: &AppState) -> Resources {
    let data = state.read(TENANT_A);
    let all = |kind| {
        data.collection(kind)
            .iter()
            .map(|stored| data.render(state, kind, &stored.doc, &Projection::default()))
            .collect()
    };
    Resources {
        users: all(Kind::User),
        groups: all(Kind::Group),
    }
}

/// `entry` with every `members[].value` that names a seeded resource replaced by its id.
fn with_member_ids(entry: &Value, ids: &HashMap<String, String>) -> Value {
    let mut body = entry.clone();
    if let Some(Value::Array(members)) = body.get_mut("members") {
        for member in members {
            if let Some(value) = member.get_mut("value")
                && let Some(id) = value.as_str().and_then(|name| ids.get(name))
            {
                *value = Value::String(id.clone());
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_their_position_and_unknown_keys_are_errors() {
        let cases = [
            ("{\"users\": [}", 1, "expected value"),
            (
                "{\n  \"users\": [],\n  \"people\": []\n}",
                3,
                "unknown field `people`",
            ),
            ("{\"users\": {}}", 1, "expected a sequence"),
            ("\n  []", 2, "a seed is a JSON object"),
            ("", 1, "EOF"),
        ];
        for (text, line, message) in cases {
            match Seed::from_json(text) {
                Err(SeedError::Syntax {
                    line: got,
                    message: said,
                    ..
                }) => {
                    assert_eq!(got, line, "{text}");
                    assert!(said.contains(message), "{text}: {said}");
                    assert!(!said.contains(" at line "), "{text}: {said}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let seed = Seed::from_json(r#"{"groups": [{"displayName": "g"}]}"#).expect("parses");
        assert!(seed.users.is_empty());
        assert_eq!(seed.groups.len(), 1);
    }

    #[test]
    fn members_named_by_a_seeded_name_get_its_id_and_others_are_left_alone() {
        let ids = HashMap::from([("alice".to_owned(), "id-1".to_owned())]);
        let group = serde_json::json!({
            "displayName": "g",
            "members": [{"value": "alice"}, {"value": "a-real-id"}, {"display": "x"}]
        });
        let body = with_member_ids(&group, &ids);
        assert_eq!(
            body["members"],
            serde_json::json!([{"value": "id-1"}, {"value": "a-real-id"}, {"display": "x"}])
        );
    }
}
