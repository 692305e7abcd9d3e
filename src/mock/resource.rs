//! Turning a stored resource into a response: the derived `User.groups`, `attributes` /
//! `excludedAttributes` projection (RFC 7644 §3.9, §3.4.2.5) and `returned` rules (RFC 7643 §7).

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::faults::Fault;
use super::schema::{Kind, Returned};
use super::state::AppState;
use super::store::Tenant;
use crate::scim::attr::has_urn_prefix;
use crate::scim::{AttrPath, ScimType, urn};

/// The `attributes` / `excludedAttributes` of a request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// One attribute named in a projection, resolved for one resource type.
struct Selected {
    /// Extension URN, or `None` for core attributes.
    extension: Option<&'static str>,
    /// Attribute name; `None` selects a whole extension.
    attr: Option<&'static str>,
    sub: Option<&'static str>,
}

impl Projection {
    /// From query parameters: comma-separated attribute paths.
    pub fn from_query(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ApiError> {
        let split = |text: Option<&str>| -> Vec<String> {
            text.into_iter()
                .flat_map(|t| t.split(','))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Projection::new(split(attributes), split(excluded))
    }

    pub fn new(attributes: Vec<String>, excluded: Vec<String>) -> Result<Self, ApiError> {
        // Every rendered resource is matched against every name, so a long list costs its
        // length times the page size; the schemas define far fewer paths than this.
        const MAX_NAMES: usize = 256;
        if attributes.len() + excluded.len() > MAX_NAMES {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                format!("attributes and excludedAttributes name more than {MAX_NAMES} paths"),
            ));
        }
        for text in attributes.iter().chain(&excluded) {
            if !has_urn_prefix(text) && AttrPath::parse(text).is_none() {
                return Err(ApiError::bad_request(
                    ScimType::InvalidValue,
                    format!("{text:?} is not an attribute path"),
                ));
            }
        }
        Ok(Projection {
            attributes,
            excluded,
        })
    }

    /// Whether `excludedAttributes` names `name` itself.
    pub fn excludes(&self, name: &str) -> bool {
        self.excluded.iter().any(|e| e.eq_ignore_ascii_case(name))
    }

    /// Resolves the named attributes for `kind`; names it does not have are ignored.
    fn resolve(kind: Kind, names: &[String]) -> Vec<Selected> {
        names
            .iter()
            .filter_map(|text| {
                if let Some(schema) = kind.extension(text) {
                    return Some(Selected {
                        extension: Some(schema.id),
                        attr: None,
                        sub: None,
                    });
                }
                let r = kind.resolve(&AttrPath::parse(text)?)?;
                Some(Selected {
                    extension: r.extension,
                    attr: Some(r.attr.name),
                    sub: r.sub.map(|s| s.name),
                })
            })
            .collect()
    }

    /// Removes the attributes returned only on request (RFC 7643 §7 `returned: request`) that
    /// `attributes` does not name, itself or as its whole extension.
    fn drop_unrequested(&self, kind: Kind, doc: &mut Map<String, Value>) {
        let selected = Projection::resolve(kind, &self.attributes);
        let named = |extension: Option<&str>, name: &str| {
            selected.iter().any(|s| {
                s.extension == extension
                    && (s.attr == Some(name) || (s.attr.is_none() && extension.is_some()))
            })
        };
        doc.retain(|key, _| {
            kind.core_attr(key)
                .is_none_or(|a| a.returned != Returned::Request || named(None, a.name))
        });
        for schema in kind.extensions() {
            let Some(Value::Object(fields)) = doc.get_mut(schema.id) else {
                continue;
            };
            fields.retain(|key, _| {
                schema
                    .attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(key))
                    .is_none_or(|a| {
                        a.returned != Returned::Request || named(Some(schema.id), a.name)
                    })
            });
            if fields.is_empty() {
                doc.remove(schema.id);
            }
        }
    }

    fn apply(&self, kind: Kind, doc: &mut Map<String, Value>, honor_excluded: bool) {
        if !self.attributes.is_empty() {
            let selected = Projection::resolve(kind, &self.attributes);
            doc.retain(|key, value| {
                if key == "schemas" || always_returned(kind, key) {
                    return true;
                }
                let extension = kind.extension(key).map(|s| s.id);
                match extension {
                    Some(urn) => {
                        if selected
                            .iter()
                            .any(|s| s.extension == Some(urn) && s.attr.is_none())
                        {
                            return true;
                        }
                        let Value::Object(fields) = value else {
                            return false;
                        };
                        fields.retain(|name, value| keep(&selected, Some(urn), name, value));
                        !fields.is_empty()
                    }
                    None => keep(&selected, None, key, value),
                }
            });
        }
        if honor_excluded {
            for s in Projection::resolve(kind, &self.excluded) {
                let container = match s.extension {
                    Some(urn) if s.attr.is_none() => {
                        doc.remove(urn);
                        continue;
                    }
                    Some(urn) => doc.get_mut(urn).and_then(Value::as_object_mut),
                    None => Some(&mut *doc),
                };
                let (Some(container), Some(attr)) = (container, s.attr) else {
                    continue;
                };
                let always = s.extension.is_none() && always_returned(kind, attr);
                match s.sub {
                    None if !always => {
                        container.remove(attr);
                    }
                    None => {}
                    Some(sub) => {
                        if let Some(value) = container.get_mut(attr) {
                            for_each_object(value, |o| {
                                o.remove(sub);
                            });
                        }
                    }
                }
            }
        }
    }
}

/// `returned: always` (RFC 7643 §7): kept whatever `attributes` / `excludedAttributes` say.
fn always_returned(kind: Kind, core_attribute: &str) -> bool {
    kind.core_attr(core_attribute)
        .is_some_and(|a| a.returned == Returned::Always)
}

/// Whether a projection with `attributes` keeps `name`, narrowing it to the selected
/// sub-attributes when only those were named.
fn keep(selected: &[Selected], extension: Option<&str>, name: &str, value: &mut Value) -> bool {
    let mut matching = selected
        .iter()
        .filter(|s| s.extension == extension && s.attr == Some(name))
        .peekable();
    if matching.peek().is_none() {
        return false;
    }
    let subs: Option<Vec<&str>> = matching.map(|s| s.sub).collect();
    if let Some(subs) = subs {
        for_each_object(value, |o| o.retain(|k, _| subs.contains(&k.as_str())));
    }
    true
}

fn for_each_object(value: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(o) => f(o),
        Value::Array(items) => items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(f),
        _ => {}
    }
}

impl Tenant {
    /// The response representation of a stored resource.
    pub fn render(
        &self,
        state: &AppState,
        kind: Kind,
        doc: &Value,
        projection: &Projection,
    ) -> Value {
        let Some(stored) = doc.as_object() else {
            return doc.clone();
        };
        let mut out = Map::with_capacity(stored.len() + 1);
        for (key, value) in stored {
            if key == "meta"
                && kind == Kind::User
                && let Some(groups) = self.groups_of(state, stored)
            {
                out.insert("groups".to_owned(), groups);
            }
            let never = !state.has(Fault::PasswordReturned)
                && kind
                    .core_attr(key)
                    .is_some_and(|a| a.returned == Returned::Never);
            if !never {
                out.insert(key.clone(), value.clone());
            }
        }
        if !state.has(Fault::ReturnedRequestByDefault) {
            projection.drop_unrequested(kind, &mut out);
        }
        if !state.has(Fault::AttributesIgnored) {
            projection.apply(kind, &mut out, !state.has(Fault::ExcludedAttributesIgnored));
        }
        if state.has(Fault::IdExcludable) && projection.excludes("id") {
            out.remove("id");
        }
        if state.has(Fault::MetaResourceTypeMissing)
            && let Some(Value::Object(meta)) = out.get_mut("meta")
        {
            meta.remove("resourceType");
        }
        if state.has(Fault::ExtensionUrnNotListed)
            && let Some(Value::Array(schemas)) = out.get_mut("schemas")
        {
            schemas.retain(|u| u.as_str() != Some(urn::ENTERPRISE_USER));
        }
        if state.has(Fault::AttributeNamesLowercased) {
            out = out
                .into_iter()
                .map(|(key, value)| (key.to_lowercase(), value))
                .collect();
        }
        Value::Object(out)
    }

    /// `User.groups`, derived from the groups listing the user (RFC 7643 §4.1.2).
    fn groups_of(&self, state: &AppState, user: &Map<String, Value>) -> Option<Value> {
        let id = user.get("id")?.as_str()?;
        let groups: Vec<Value> = self
            .member_of
            .get(id)?
            .iter()
            .filter_map(|gid| {
                let live = self.groups.get(gid).map(|g| &g.doc);
                // Only that fault keeps a deleted group's id in `member_of`.
                let doc = live.or_else(|| self.groups.tombstoned(gid))?;
                Some(json!({
                    "value": gid,
                    "$ref": format!("{}/Groups/{gid}", state.base_url),
                    "display": doc.get("displayName").cloned().unwrap_or(Value::Null),
                    "type": "direct",
                }))
            })
            .collect();
        (!groups.is_empty()).then_some(Value::Array(groups))
    }
}
