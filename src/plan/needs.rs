//! What a case needs of the target beyond the capabilities it declares, read from the requests
//! it sends: the paging style and sorting its queries use, the filters it lists with, how much
//! of one page it reads, and the User and Group attributes it writes. A case author cannot forget one of
//! these, and a target that lacks one skips the case instead of failing it.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::Value;

use crate::case::model::{Generate, JsonAssert, Method, StatusSet, WalkMode};
use crate::case::template::{Generator, MARKER, REQUEST_ONLY, SCOPE, Scope, Scoping, render_str};
use crate::case::{Capability, Case};
use crate::scim::filter;

/// A filter a case lists with, as it will be probed: rendered with placeholder values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FilterUse {
    /// The list endpoint, e.g. `/Users` (a `.search` is probed as the GET it stands for).
    pub endpoint: String,
    pub filter: String,
}

/// Everything a case needs that its `requires` may not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub capabilities: BTreeSet<Capability>,
    pub filters: BTreeSet<FilterUse>,
    /// The most resources the case reads from one list page: a target whose `filter.maxResults`
    /// is smaller may return fewer (RFC 7644 §3.4.2.4), so the case cannot run there.
    pub page: usize,
    /// Core User attributes the case writes or filters on, as it spells them: a target whose User
    /// schema does not declare one lacks it (RFC 7643 §4.1 makes most of them optional).
    pub user_attributes: BTreeSet<String>,
    /// The same for the Group schema (RFC 7643 §4.2 requires only `displayName`).
    pub group_attributes: BTreeSet<String>,
    /// The marker attribute, when the case also names it itself: `${marker}` would then
    /// overwrite what the case means by it.
    pub marker_clash: Option<String>,
}

/// Members of a resource body that are not attributes of its resource's schema itself.
const NOT_SCHEMA_ATTRIBUTES: [&str; 4] = ["schemas", "id", "meta", "externalid"];

/// The enterprise User extension's attributes (RFC 7643 §4.3).
const ENTERPRISE_ATTRIBUTES: [&str; 6] = [
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];

/// The attribute a body key, PATCH path or filter path names, if it is a core one.
fn core_attribute(text: &str) -> Option<String> {
    let name = text.split(['.', '[', ' ']).next()?;
    let excluded = NOT_SCHEMA_ATTRIBUTES.contains(&name.to_ascii_lowercase().as_str());
    (!name.is_empty() && !name.contains(':') && !excluded).then(|| name.to_owned())
}

/// The core attributes a request to a resource endpoint writes, with their templates rendered.
fn written_attributes(
    method: Method,
    body: &Value,
    scope: &Placeholders,
    attributes: &mut BTreeSet<String>,
) {
    let keys = |value: &Value, attributes: &mut BTreeSet<String>| {
        for key in value.as_object().into_iter().flat_map(|o| o.keys()) {
            attributes.extend(render_str(key, scope).ok().and_then(|k| core_attribute(&k)));
        }
    };
    match method {
        Method::Post | Method::Put => keys(body, attributes),
        Method::Patch => {
            let operations = body.get("Operations").and_then(Value::as_array);
            for operation in operations.into_iter().flatten() {
                match operation.get("path").and_then(Value::as_str) {
                    Some(path) => attributes.extend(
                        render_str(path, scope)
                            .ok()
                            .and_then(|p| core_attribute(&p)),
                    ),
                    None => keys(operation.get("value").unwrap_or(&Value::Null), attributes),
                }
            }
        }
        Method::Get | Method::Delete => {}
    }
}

/// The attributes the operations of a BulkRequest write (RFC 7644 §3.7), each by its own
/// method and path.
fn bulk_attributes(body: &Value, scope: &Placeholders, needs: &mut Needs) {
    let operations = body.get("Operations").and_then(Value::as_array);
    for operation in operations.into_iter().flatten() {
        let method = operation
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| serde_json::from_value(Value::from(m.to_ascii_uppercase())).ok());
        let path = operation.get("path").and_then(Value::as_str);
        if let (Some(method), Some(path), Some(data)) = (method, path, operation.get("data"))
            && let Some(attributes) = attributes_of(needs, path)
        {
            written_attributes(method, data, scope, attributes);
        }
    }
}

/// `body` with each `"${name}"` a step generates by `repeat` replaced by one copy of its item:
/// what every copy writes, for the needs to read.
fn with_one_copy(body: &Value, generated: &IndexMap<String, Generate>) -> Value {
    match body {
        Value::String(text) => {
            let name = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'));
            match name.and_then(|n| generated.get(n)) {
                Some(Generate::Repeat { item, .. }) => Value::Array(vec![item.clone()]),
                _ => body.clone(),
            }
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| with_one_copy(v, generated)).collect())
        }
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), with_one_copy(v, generated)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The attributes of `needs` a request to `path` writes or filters on: the User schema's
/// for `/Users…`, the Group schema's for `/Groups…`.
fn attributes_of<'n>(needs: &'n mut Needs, path: &str) -> Option<&'n mut BTreeSet<String>> {
    if path.starts_with("/Users") {
        Some(&mut needs.user_attributes)
    } else if path.starts_with("/Groups") {
        Some(&mut needs.group_attributes)
    } else {
        None
    }
}

/// Renders templates with values that match nothing a real tenant holds, and `${marker}` as
/// the attribute the run chose. Prefixes become [`PROBE_PREFIX`]; any other variable (mostly a
/// captured id) a UUID no one issued, which a server that checks id syntax still accepts.
struct Placeholders {
    prefix: Value,
    captured: Value,
    marker: Value,
    own_users: Value,
    request_only: Value,
}

impl Scope for Placeholders {
    fn variable(&self, name: &str) -> Option<&Value> {
        Some(match name {
            MARKER => &self.marker,
            SCOPE => &self.own_users,
            // Declared by the target whenever a case that names it runs: never a need.
            REQUEST_ONLY => &self.request_only,
            "casePrefix" | "runPrefix" => &self.prefix,
            _ => &self.captured,
        })
    }

    fn case_prefix(&self) -> &str {
        PROBE_PREFIX
    }
}

/// The prefix of every placeholder value in a probed filter.
pub const PROBE_PREFIX: &str = "scimcheck-probe";
/// The userNames `${scope}` names in a probe when it selects a case's Users one by one: two,
/// so that the probe tries `or`.
pub fn probe_user_names() -> Vec<String> {
    ["a", "b"]
        .map(|name| Generator::User.generate(PROBE_PREFIX, name, None))
        .to_vec()
}

/// What a captured value (an id, a version) stands as in a probed filter; the id no one issued
/// that the PUT probe writes to.
pub const PROBE_ID: &str = "00000000-0000-4000-8000-00005c1c0000";

/// A step that expects a `400` is testing the refusal itself, so what it sends is not a need.
pub(crate) fn expects_refusal(status: Option<&StatusSet>) -> bool {
    status.is_some_and(|s| s.allows(400))
}

/// How many resources a step's assertions read from one page: `/Resources` of some length, or
/// `/Resources/N/…`.
fn page_read(json: &IndexMap<String, JsonAssert>) -> usize {
    json.iter()
        .filter_map(|(pointer, assert)| {
            let rest = pointer.strip_prefix("/Resources")?;
            match rest.strip_prefix('/') {
                None if rest.is_empty() => assert
                    .length
                    .as_ref()
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok()),
                None => None,
                Some(rest) => {
                    let index = rest.split('/').next()?.parse::<usize>().ok()?;
                    index.checked_add(1)
                }
            }
        })
        .max()
        .unwrap_or(0)
}

/// Stands for `${marker}` to tell the attributes a case names itself from its marker.
const MARKER_SENTINEL: &str = "scimcheck_marker";

/// What the run chose for a case's templates to mean.
#[derive(Debug, Clone, Copy)]
pub struct Choices<'a> {
    pub marker: &'a str,
    pub scoping: Scoping,
}

/// What `case` needs, with `${marker}` and `${scope}` standing for what `choices` says.
pub fn needs(case: &Case, choices: Choices<'_>) -> Needs {
    let marker = choices.marker;
    let mut needs = read(case, choices);
    let literal = read(
        case,
        Choices {
            marker: MARKER_SENTINEL,
            ..choices
        },
    )
    .user_attributes;
    if literal.contains(MARKER_SENTINEL) && literal.iter().any(|a| a.eq_ignore_ascii_case(marker)) {
        needs.marker_clash = Some(marker.to_owned());
    }
    needs
}

fn read(case: &Case, choices: Choices<'_>) -> Needs {
    let placeholders = Placeholders {
        prefix: Value::from(PROBE_PREFIX),
        captured: Value::from(PROBE_ID),
        marker: Value::from(choices.marker),
        own_users: Value::from(choices.scoping.filter(
            PROBE_PREFIX,
            choices.marker,
            &probe_user_names(),
        )),
        request_only: Value::from(format!("urn:{PROBE_PREFIX}:{REQUEST_ONLY}")),
    };
    let mut needs = Needs::default();
    for step in case.spec.steps.iter().map(|s| &s.value) {
        if expects_refusal(step.expect.status.as_ref()) {
            continue;
        }
        let (path, query, search_body) = match (&step.request, &step.walk) {
            (Some(request), _) => {
                if request.method == Method::Put {
                    needs.capabilities.insert(Capability::Put);
                }
                if let (Some(body), false) = (&request.body, request.path.ends_with(".search")) {
                    if request.path == "/Bulk" {
                        let body = with_one_copy(body, &step.generate);
                        bulk_attributes(&body, &placeholders, &mut needs);
                    } else if let Some(attributes) = attributes_of(&mut needs, &request.path) {
                        written_attributes(request.method, body, &placeholders, attributes);
                    }
                }
                let search = (request.method == Method::Post && request.path.ends_with(".search"))
                    .then_some(request.body.as_ref())
                    .flatten();
                (&request.path, &request.query, search)
            }
            (None, Some(walk)) => {
                needs.capabilities.insert(match walk.mode {
                    WalkMode::Index => Capability::IndexPaging,
                    WalkMode::Cursor => Capability::CursorPaging,
                });
                (&walk.path, &walk.query, None)
            }
            (None, None) => continue,
        };
        // A query parameter, or the member of a SearchRequest body (RFC 7644 §3.4.3).
        let param = |name: &str| search_body.and_then(|body| body.get(name));
        let present = |name: &str| query.contains_key(name) || param(name).is_some();
        needs.page = needs.page.max(page_read(&step.expect.json));
        // `count` without `cursor` asks for RFC 7644's index paging, capped rather than refused.
        if present("count") && !present("cursor") {
            needs.capabilities.insert(Capability::IndexPaging);
        }
        for (name, capability) in [
            ("startIndex", Capability::IndexPaging),
            ("cursor", Capability::CursorPaging),
            ("sortBy", Capability::Sort),
        ] {
            if present(name) {
                needs.capabilities.insert(capability);
            }
        }
        let filter = query
            .get("filter")
            .map(String::as_str)
            .or_else(|| param("filter").and_then(Value::as_str));
        if let Some(filter) = filter {
            needs.capabilities.insert(Capability::Filter);
            let endpoint = path.trim_end_matches("/.search");
            // The root `/.search` spans every type: no single GET stands for it.
            if endpoint != "/.search"
                && !endpoint.is_empty()
                && let (Ok(endpoint), Ok(filter)) = (
                    render_str(endpoint, &placeholders),
                    render_str(filter, &placeholders),
                )
            {
                if let Ok(parsed) = filter::parse(&filter)
                    && let Some(attributes) = attributes_of(&mut needs, &endpoint)
                {
                    for (attr, _) in parsed.attributes() {
                        if attr.urn.is_none() {
                            attributes.extend(core_attribute(&attr.name));
                        }
                    }
                }
                needs.filters.insert(FilterUse { endpoint, filter });
            }
        }
    }
    // Identity providers write the enterprise extension's attributes bare (Entra's `manager`;
    // RFC 7644 §3.10 only asks clients to qualify them): that needs the extension, not a core
    // User attribute no User schema declares.
    let written = needs.user_attributes.len();
    needs.user_attributes.retain(|name| {
        !ENTERPRISE_ATTRIBUTES
            .iter()
            .any(|e| e.eq_ignore_ascii_case(name))
    });
    if needs.user_attributes.len() < written {
        needs.capabilities.insert(Capability::EnterpriseUser);
    }
    needs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::schema::SchemaRegistry;
    use crate::suite::{CaseSource, load_cases};

    #[test]
    fn needs_are_read_from_the_requests_of_bundled_cases() {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let cases = load_cases(&CaseSource::Embedded, &schemas).expect("cases");
        let title = Choices {
            marker: "title",
            scoping: Scoping::UserNamePrefix,
        };
        let of = |id: &str| needs(cases.iter().find(|c| c.id == id).expect(id), title);
        let sw = FilterUse {
            endpoint: "/Users".into(),
            filter: format!("userName sw \"{PROBE_PREFIX}-\""),
        };
        let cursor = of("paging::cursor-walk");
        assert!(cursor.capabilities.contains(&Capability::CursorPaging));
        assert!(!cursor.capabilities.contains(&Capability::IndexPaging));
        assert!(cursor.filters.contains(&sw));
        let sorted = of("sort::ascending");
        assert!(sorted.capabilities.contains(&Capability::Sort));
        assert_eq!(sorted.page, 3);
        // Steps that expect 400 test the refusal itself: their filters are no need.
        assert_eq!(of("filter::invalid-syntax"), Needs::default());
        let count = of("paging::count-respected");
        assert!(count.capabilities.contains(&Capability::IndexPaging));

        // `${marker}` stands for the attribute the run chose, in bodies, paths and filters.
        let find = |id: &str, marker: &str| {
            let choices = Choices { marker, ..title };
            needs(cases.iter().find(|c| c.id == id).expect(id), choices)
        };
        let and_or = find("filter::and-or", "nickName");
        assert!(and_or.user_attributes.contains("nickName"));
        assert!(!and_or.user_attributes.contains("title"));
        assert!(
            and_or
                .filters
                .iter()
                .any(|f| f.filter.contains("nickName eq \"Engineer\""))
        );
        assert_eq!(and_or.marker_clash, None);
        // Lists scope by userName prefix, or by the tag every case user carries in its marker.
        let walk = |scoping| {
            let choices = Choices { scoping, ..title };
            needs(
                cases
                    .iter()
                    .find(|c| c.id == "paging::index-walk")
                    .expect("walk"),
                choices,
            )
        };
        let by_tag = FilterUse {
            endpoint: "/Users".into(),
            filter: format!("title eq \"{PROBE_PREFIX}\""),
        };
        assert!(walk(Scoping::MarkerTag).filters.contains(&by_tag));
        assert!(walk(Scoping::UserNamePrefix).filters.contains(&sw));
        let by_name = FilterUse {
            endpoint: "/Users".into(),
            filter: format!(
                "(userName eq \"{PROBE_PREFIX}-a@example.com\" or userName eq \"{PROBE_PREFIX}-b@example.com\")"
            ),
        };
        assert!(walk(Scoping::UserNames).filters.contains(&by_name));
        // Group attributes are the Group schema's, not the User schema's.
        let members = of("groups::create-with-members");
        assert!(members.group_attributes.contains("members"));
        assert!(!members.user_attributes.contains("members"));
        assert!(
            of("groups::create")
                .group_attributes
                .contains("displayName")
        );
        let bulk = of("bulk::bulkid-reference");
        assert!(bulk.group_attributes.contains("members"), "{bulk:?}");
        assert!(bulk.user_attributes.contains("userName"), "{bulk:?}");
        // `${requestOnly}` is the target's own attribute: never an undeclared one.
        let asked = of("projection::returned-request");
        assert!(
            asked.user_attributes.iter().all(|a| a == "userName"),
            "{asked:?}"
        );
        // What each generated copy of a Bulk operation writes is read from its item.
        let over = of("bulk::max-operations");
        assert!(over.user_attributes.contains("userName"), "{over:?}");
        assert!(over.user_attributes.contains("title"), "{over:?}");
        // PUT is a need wherever a step sends it, except to see it refused.
        assert!(of("users::replace").capabilities.contains(&Capability::Put));
        assert!(!of("users::create").capabilities.contains(&Capability::Put));
        // A case that writes displayName itself cannot use it as its marker as well.
        let atomic = find("users::patch-atomic", "displayName");
        assert_eq!(atomic.marker_clash.as_deref(), Some("displayName"));
        assert_eq!(find("users::patch-atomic", "title").marker_clash, None);
    }

    #[test]
    fn a_bare_enterprise_attribute_needs_the_extension_not_a_core_attribute() {
        let dir = std::env::temp_dir().join(format!("scimcheck-needs-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("entra")).expect("dir");
        std::fs::write(
            dir.join("entra/bare-manager.yaml"),
            r#"
name: Entra's bare manager path
description: Entra writes the manager without the extension's URN.
rfc: ["RFC 7644 §3.5.2"]
level: IDP
tags: [entra]
steps:
  - name: set the manager
    request:
      method: PATCH
      path: /Users/${uuid}
      body:
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
        Operations:
          - { op: Add, path: manager, value: "${uuid}" }
          - { op: Replace, path: "Department", value: R&D }
          - { op: Replace, path: title, value: Boss }
    expect: { status: 200 }
"#,
        )
        .expect("case");
        let source = CaseSource::Dirs {
            builtin: false,
            dirs: vec![dir.clone()],
        };
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let cases = load_cases(&source, &schemas).expect("cases");
        let choices = Choices {
            marker: "nickName",
            scoping: Scoping::UserNamePrefix,
        };
        let needs = needs(&cases[0], choices);
        assert_eq!(needs.user_attributes, BTreeSet::from(["title".to_owned()]));
        assert!(needs.capabilities.contains(&Capability::EnterpriseUser));
        std::fs::remove_dir_all(dir).ok();
    }
}
