//! The JSON Schema registry: the schemas in `schemas/` (draft 2020-12, written from RFC 7643, RFC 7644
//! and RFC 9865), embedded in the binary and compiled once, plus schemas derived at run time from a
//! target's `/Schemas` and `/ResourceTypes` (registered as `target:<ResourceTypeName>`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jsonschema::{Draft, Registry, ValidationError, Validator};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

// Edits to an embedded file trigger a rebuild; a *new* file needs this file touched, because
/// Every `$id` starts here; a violation's schema pointer is its keyword location relative to it,
/// which is also the schema's path in the repository (`schemas/user.schema.json#/…`).
const ID_ROOT: &str = "https://scimcheck.invalid/";
const BUILTIN_DIR: &str = "schemas/";
const TARGET_DIR: &str = "target/";
const FILE_SUFFIX: &str = ".schema.json";
/// The YAML case format's schema lives in the same folder but describes no SCIM message.
const CASE_SCHEMA: &str = "case";
const RESOURCE_SCHEMA: &str = "https://scimcheck.invalid/schemas/resource.schema.json";
const DATE_TIME_FORMAT: &str = "scim-date-time";

/// Prefix of the names of schemas derived from a target's discovery endpoints.
pub const TARGET_PREFIX: &str = "target:";

/// Compiled JSON Schemas by name. Built once and shared across threads; cloning is cheap.
#[derive(Clone)]
pub struct SchemaRegistry {
    /// Source documents, kept so that derived schemas can `$ref` the built-in ones.
    documents: BTreeMap<String, Arc<Value>>,
    validators: BTreeMap<String, Arc<Validator>>,
}

/// One way a document fails a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the validated document; `""` is the root.
    pub instance_pointer: String,
    /// The failing keyword, e.g. `schemas/error.schema.json#/properties/status/type`.
    pub schema_pointer: String,
    pub message: String,
}

/// Where a schema node's requirement comes from: its `x-scim-basis` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimBasis {
    pub doc: String,
    pub section: String,
    pub level: String,
}

#[derive(thiserror::Error, Debug)]
pub enum SchemaError {
    #[error("failed to parse embedded schema `{name}`")]
    Parse {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to load schema `{name}`: its $id is {found:?}, expected {expected:?}")]
    Id {
        name: String,
        expected: String,
        found: Option<String>,
    },
    #[error("failed to index schemas for $ref resolution")]
    Index(#[source] jsonschema::ReferencingError),
    #[error("failed to compile schema `{name}`: {message}")]
    Compile { name: String, message: String },
    #[error("failed to read the target's {endpoint}: {message}")]
    Discovery {
        endpoint: &'static str,
        message: String,
    },
    #[error("failed to derive schema `{name}` from the target's /Schemas: {message}")]
    Derive { name: String, message: String },
}

impl SchemaRegistry {
    /// All schemas embedded from `schemas/` (except the case-format schema), with their
    /// cross-file `$ref`s resolved.
    pub fn builtin() -> Result<Self, SchemaError> {
        Self::from_files(
            crate::catalog::SCHEMAS
                .iter()
                .map(|(name, text)| (*name, text.as_bytes())),
        )
    }

    /// Loads `<name>.schema.json` files, given as (file name, contents); other files are skipped.
    fn from_files<'f>(
        files: impl Iterator<Item = (&'f str, &'f [u8])>,
    ) -> Result<Self, SchemaError> {
        let mut documents = BTreeMap::new();
        for (file_name, contents) in files {
            let Some(name) = file_name.strip_suffix(FILE_SUFFIX) else {
                continue;
            };
            if name == CASE_SCHEMA {
                continue;
            }
            let doc: Value =
                serde_json::from_slice(contents).map_err(|source| SchemaError::Parse {
                    name: name.to_owned(),
                    source,
                })?;
            let expected = format!("{ID_ROOT}{BUILTIN_DIR}{file_name}");
            let found = doc.get("$id").and_then(Value::as_str);
            if found != Some(expected.as_str()) {
                return Err(SchemaError::Id {
                    name: name.to_owned(),
                    expected,
                    found: found.map(str::to_owned),
                });
            }
            documents.insert(name.to_owned(), Arc::new(doc));
        }
        let validators = compile(&documents, documents.keys())?;
        Ok(Self {
            documents,
            validators,
        })
    }

    /// The schema names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Every way `doc` fails schema `name`; empty when it is valid. An unknown name yields one
    /// violation saying so, so a typo in a case cannot pass silently.
    pub fn validate(&self, name: &str, doc: &Value) -> Vec<SchemaViolation> {
        let Some(validator) = self.validators.get(name) else {
            let known: Vec<&str> = self.names().collect();
            return vec![SchemaViolation {
                instance_pointer: String::new(),
                schema_pointer: String::new(),
                message: format!("no schema named `{name}` (known: {})", known.join(", ")),
            }];
        };
        validator
            .iter_errors(doc)
            .map(|error| self.violation(&error))
            .collect()
    }

    /// The RFC requirement behind a violation: the `x-scim-basis` nearest to the failing keyword.
    pub fn basis(&self, violation: &SchemaViolation) -> Option<ScimBasis> {
        let nodes = self.schema_nodes(&violation.schema_pointer)?;
        let basis = nodes
            .iter()
            .rev()
            .find_map(|node| node.get("x-scim-basis"))?;
        let field = |key: &str| Some(basis.get(key)?.as_str()?.to_owned());
        Some(ScimBasis {
            doc: field("doc")?,
            section: field("section")?,
            level: field("level")?,
        })
    }

    /// This registry plus one `target:<ResourceTypeName>` schema per resource type the target
    /// publishes, derived from its `/Schemas` and `/ResourceTypes` responses (ListResponses, or
    /// bare arrays). Earlier `target:` schemas are replaced.
    ///
    /// Derived schemas describe *responses*: an attribute is required when the target marks it
    /// `required` and returns it by default (`returned` is not `request` or `never`), and an
    /// attribute returned `never` (or `writeOnly`) must be absent. A response narrowed with
    /// `attributes=` may legitimately lack required attributes; validate those with the rules.
    pub fn with_target_schemas(
        &self,
        schemas_list: &Value,
        resource_types_list: &Value,
    ) -> Result<Self, SchemaError> {
        let mut published = BTreeMap::new();
        for schema in list_resources(schemas_list, "/Schemas")? {
            let id = member(schema, "id")
                .and_then(Value::as_str)
                .ok_or_else(|| SchemaError::Discovery {
                    endpoint: "/Schemas",
                    message: "a Schema resource has no string `id`".to_owned(),
                })?;
            published.insert(id.to_ascii_lowercase(), schema);
        }
        let mut documents = self.documents.clone();
        documents.retain(|name, _| !name.starts_with(TARGET_PREFIX));
        let mut derived = Vec::new();
        for resource_type in list_resources(resource_types_list, "/ResourceTypes")? {
            let type_name = member(resource_type, "name")
                .and_then(Value::as_str)
                .ok_or_else(|| SchemaError::Discovery {
                    endpoint: "/ResourceTypes",
                    message: "a ResourceType has no string `name`".to_owned(),
                })?;
            let name = format!("{TARGET_PREFIX}{type_name}");
            let doc =
                derive_resource_type(type_name, resource_type, &published).map_err(|message| {
                    SchemaError::Derive {
                        name: name.clone(),
                        message,
                    }
                })?;
            documents.insert(name.clone(), Arc::new(doc));
            derived.push(name);
        }
        let mut validators = self.validators.clone();
        validators.retain(|name, _| !name.starts_with(TARGET_PREFIX));
        validators.extend(compile(&documents, derived.iter())?);
        Ok(Self {
            documents,
            validators,
        })
    }
}

impl SchemaRegistry {
    fn violation(&self, error: &ValidationError<'_>) -> SchemaViolation {
        let schema_pointer = match error.absolute_keyword_location() {
            Some(uri) => {
                let uri = uri.as_str();
                uri.strip_prefix(ID_ROOT).unwrap_or(uri).to_owned()
            }
            None => format!("#{}", error.schema_path().as_str()),
        };
        let message = self
            .better_message(&schema_pointer, error.instance())
            .unwrap_or_else(|| error.to_string());
        SchemaViolation {
            instance_pointer: error.instance_path().as_str().to_owned(),
            schema_pointer,
            message,
        }
    }

    /// jsonschema words every failed `contains` as "None of … are valid", even for `maxContains`,
    /// so a schema node may carry its own `x-scim-message`, and "contains a constant" is reworded.
    fn better_message(&self, schema_pointer: &str, instance: &Value) -> Option<String> {
        let nodes = self.schema_nodes(schema_pointer)?;
        let [.., parent, keyword] = nodes.as_slice() else {
            return None;
        };
        if let Some(message) = parent.get("x-scim-message").and_then(Value::as_str) {
            return Some(message.to_owned());
        }
        let constant = keyword.get("const")?;
        schema_pointer
            .ends_with("/contains")
            .then(|| format!("{instance} does not contain {constant}"))
    }

    /// The schema nodes from a document's root down to `schema_pointer` (`file#/json/pointer`).
    fn schema_nodes(&self, schema_pointer: &str) -> Option<Vec<&Value>> {
        let (file, pointer) = schema_pointer.split_once('#')?;
        let id = format!("{ID_ROOT}{file}");
        let mut node: &Value = self
            .documents
            .values()
            .find(|doc| doc.get("$id").and_then(Value::as_str) == Some(id.as_str()))?;
        let mut nodes = vec![node];
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Object(map) => map.get(&token)?,
                Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
            nodes.push(node);
        }
        Some(nodes)
    }
}

impl fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.instance_pointer.is_empty() {
            write!(f, "at (root): {}", self.message)
        } else {
            write!(f, "at {}: {}", self.instance_pointer, self.message)
        }
    }
}

impl fmt::Display for ScimBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} §{} ({})", self.doc, self.section, self.level)
    }
}

/// An xsd:dateTime as SCIM uses it (RFC 7643 §2.3.5): date *and* time, in the RFC 3339 form with
/// `Z` or a numeric offset and optional fractional seconds. The rules share this reading.
pub(crate) fn parse_scim_date_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// An object member by name, exactly or else ignoring ASCII case: SCIM attribute names are
/// case-insensitive (RFC 7643 §2.1), and the discovery documents we read are written by targets.
pub(crate) fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// Compiles `names` from `documents`; every document is available to `$ref` by its `$id`.
fn compile<'n>(
    documents: &BTreeMap<String, Arc<Value>>,
    names: impl Iterator<Item = &'n String>,
) -> Result<BTreeMap<String, Arc<Validator>>, SchemaError> {
    let resources = documents.values().filter_map(|doc| {
        let id = doc.get("$id")?.as_str()?.to_owned();
        Some((id, Arc::clone(doc)))
    });
    let registry = Registry::new()
        .draft(Draft::Draft202012)
        .extend(resources)
        .and_then(|builder| builder.prepare())
        .map_err(SchemaError::Index)?;
    let options = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_format(DATE_TIME_FORMAT, |text: &str| {
            parse_scim_date_time(text).is_some()
        })
        .with_registry(&registry);
    names
        .map(|name| {
            let validator =
                options
                    .build(&documents[name])
                    .map_err(|error| SchemaError::Compile {
                        name: name.clone(),
                        message: error.to_string(),
                    })?;
            Ok((name.clone(), Arc::new(validator)))
        })
        .collect()
}

/// The resources of a discovery response: a ListResponse's `Resources`, or a bare array.
fn list_resources<'a>(
    list: &'a Value,
    endpoint: &'static str,
) -> Result<Vec<&'a Map<String, Value>>, SchemaError> {
    let items = match list {
        Value::Array(items) => Some(items),
        Value::Object(object) => member(object, "Resources").and_then(Value::as_array),
        _ => None,
    }
    .ok_or_else(|| SchemaError::Discovery {
        endpoint,
        message: "expected a ListResponse with `Resources`".to_owned(),
    })?;
    items
        .iter()
        .map(|item| {
            item.as_object().ok_or_else(|| SchemaError::Discovery {
                endpoint,
                message: format!("expected each resource to be an object, found {item}"),
            })
        })
        .collect()
}

/// The response schema of one resource type: the common attributes (`resource` schema), the core
/// schema's attributes, and each extension under its URN key.
fn derive_resource_type(
    type_name: &str,
    resource_type: &Map<String, Value>,
    published: &BTreeMap<String, &Map<String, Value>>,
) -> Result<Value, String> {
    let lookup = |id: &str| {
        published
            .get(&id.to_ascii_lowercase())
            .copied()
            .ok_or_else(|| format!("schema {id} is named by /ResourceTypes but not published"))
    };
    let core_id = member(resource_type, "schema")
        .and_then(Value::as_str)
        .ok_or("the ResourceType has no string `schema`")?;
    let (mut properties, mut required) = derive_attributes(member(lookup(core_id)?, "attributes"))?;
    let mut dependent = Map::new();
    let extensions = member(resource_type, "schemaExtensions").and_then(Value::as_array);
    for extension in extensions.into_iter().flatten() {
        let extension_id = extension
            .as_object()
            .and_then(|extension| member(extension, "schema"))
            .and_then(Value::as_str)
            .ok_or("a schemaExtensions entry has no string `schema`")?;
        let is_required = extension
            .as_object()
            .and_then(|extension| member(extension, "required"))
            .and_then(Value::as_bool)
            == Some(true);
        let (ext_properties, ext_required) =
            derive_attributes(member(lookup(extension_id)?, "attributes"))?;
        let ext_schema = json!({
            "type": nullable_type("object", !is_required),
            "properties": ext_properties,
            "required": ext_required,
        });
        properties.insert(extension_id.to_owned(), ext_schema);
        dependent.insert(extension_id.to_owned(), schemas_contains(extension_id));
        if is_required {
            required.push(Value::from(extension_id));
        }
    }
    let id = format!(
        "{ID_ROOT}{TARGET_DIR}{}{FILE_SUFFIX}",
        utf8_percent_encode(type_name, NON_ALPHANUMERIC)
    );
    Ok(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": id,
        "title": format!("{type_name} as the target publishes it"),
        "description": "Derived from the target's /Schemas and /ResourceTypes (RFC 7643 §6, §7).",
        "x-scim-basis": { "doc": "target /Schemas", "section": core_id, "level": "MUST" },
        "allOf": [{ "$ref": RESOURCE_SCHEMA }, schemas_contains(core_id)],
        "type": "object",
        "properties": properties,
        "required": required,
        "dependentSchemas": dependent,
    }))
}

/// "`schemas` names this URN" (RFC 7643 §3).
fn schemas_contains(urn: &str) -> Value {
    json!({ "properties": { "schemas": { "contains": { "const": urn } } } })
}

/// The properties and required names of a list of attribute definitions: a Schema resource's
/// `attributes` or a complex attribute's `subAttributes`.
fn derive_attributes(
    definitions: Option<&Value>,
) -> Result<(Map<String, Value>, Vec<Value>), String> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for attribute in definitions.and_then(Value::as_array).into_iter().flatten() {
        let attribute = attribute
            .as_object()
            .ok_or_else(|| format!("an attribute definition is not an object: {attribute}"))?;
        let name = member(attribute, "name")
            .and_then(Value::as_str)
            .ok_or("an attribute definition has no string `name`")?;
        let (schema, is_required) = derive_attribute(attribute)
            .map_err(|message| format!("attribute `{name}`: {message}"))?;
        properties.insert(name.to_owned(), schema);
        if is_required {
            required.push(Value::from(name));
        }
    }
    Ok((properties, required))
}

/// One attribute definition (RFC 7643 §2.2, §7) → its JSON Schema, and whether a response must
/// carry it. `canonicalValues` is not enforced: the RFC lets providers accept other values.
fn derive_attribute(attribute: &Map<String, Value>) -> Result<(Value, bool), String> {
    // Absent characteristics take the RFC 7643 §2.2 defaults.
    let is = |key: &str, value: &str| {
        member(attribute, key)
            .and_then(Value::as_str)
            .is_some_and(|found| found.eq_ignore_ascii_case(value))
    };
    let flag = |key: &str| member(attribute, key).and_then(Value::as_bool) == Some(true);
    if is("returned", "never") || is("mutability", "writeOnly") {
        return Ok((Value::Bool(false), false));
    }
    let required = flag("required") && !is("returned", "request");
    // Null is the unassigned state of an optional attribute (RFC 7643 §2.5); the values inside a
    // multi-valued attribute are never null.
    let schema = if flag("multiValued") {
        json!({
            "$ref": format!("{RESOURCE_SCHEMA}#/$defs/singlePrimary"),
            "type": nullable_type("array", !required),
            "items": value_schema(attribute, false)?,
        })
    } else {
        value_schema(attribute, !required)?
    };
    Ok((schema, required))
}

/// The schema of one value of an attribute, by its `type` (default `string`).
fn value_schema(attribute: &Map<String, Value>, nullable: bool) -> Result<Value, String> {
    let kind = member(attribute, "type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    // dateTime, reference and binary reuse the built-in definitions, which admit null.
    let shared = |def: &str| {
        let mut schema = json!({ "$ref": format!("{RESOURCE_SCHEMA}#/$defs/{def}") });
        if !nullable {
            schema["type"] = json!("string");
        }
        schema
    };
    Ok(match kind.to_ascii_lowercase().as_str() {
        "string" => json!({ "type": nullable_type("string", nullable) }),
        "boolean" => json!({ "type": nullable_type("boolean", nullable) }),
        "decimal" => json!({ "type": nullable_type("number", nullable) }),
        "integer" => json!({ "type": nullable_type("integer", nullable) }),
        "datetime" => shared("dateTime"),
        "reference" => shared("reference"),
        "binary" => shared("binary"),
        "complex" => {
            let (properties, required) = derive_attributes(member(attribute, "subAttributes"))?;
            json!({
                "type": nullable_type("object", nullable),
                "properties": properties,
                "required": required,
            })
        }
        _ => return Err(format!("unknown type `{kind}`")),
    })
}

fn nullable_type(kind: &str, nullable: bool) -> Value {
    if nullable {
        json!([kind, "null"])
    } else {
        json!(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<SchemaRegistry, SchemaError> {
        SchemaRegistry::from_files(files.iter().map(|(name, text)| (*name, text.as_bytes())))
    }

    fn schema(name: &str, body: &str) -> String {
        format!(r#"{{"$id": "https://scimcheck.invalid/schemas/{name}.schema.json", {body}}}"#)
    }

    #[test]
    fn skips_the_case_schema_and_other_files() {
        let widget = schema("widget", r#""type": "object""#);
        let registry = load(&[
            ("widget.schema.json", &widget),
            ("case.schema.json", "not even JSON"),
            ("README.md", "# notes"),
        ])
        .expect("loads");
        assert_eq!(registry.names().collect::<Vec<_>>(), ["widget"]);
    }

    #[test]
    fn load_errors_say_what_failed() {
        let error = load(&[("bad.schema.json", "{")]).expect_err("not JSON");
        assert_eq!(error.to_string(), "failed to parse embedded schema `bad`");

        let moved = r#"{"$id": "https://elsewhere.invalid/x.json"}"#;
        let error = load(&[("x.schema.json", moved)]).expect_err("wrong $id");
        assert_eq!(
            error.to_string(),
            "failed to load schema `x`: its $id is Some(\"https://elsewhere.invalid/x.json\"), \
             expected \"https://scimcheck.invalid/schemas/x.schema.json\""
        );

        // Unknown formats are errors, so a typo cannot turn a check into an annotation.
        let typo = schema("typo", r#""format": "date-tme""#);
        let error = load(&[("typo.schema.json", &typo)]).expect_err("unknown format");
        assert!(
            error
                .to_string()
                .starts_with("failed to compile schema `typo`"),
            "{error}"
        );

        let dangling = schema("dangling", r#""$ref": "missing.schema.json""#);
        assert!(load(&[("dangling.schema.json", &dangling)]).is_err());
    }
}
