//! The case file format: what a case author writes in `cases/**/*.yaml`.
//!
//! Every struct denies unknown keys, and the JSON Schema published as `schemas/case.schema.json`
//! is generated from these types (see [`case_json_schema`]).

use std::fmt;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

/// One conformance case: a named sequence of HTTP steps against the target.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// A short title, e.g. "DELETE removes the user for good".
    pub name: String,
    /// What the case proves and why it matters to an identity provider.
    pub description: String,
    /// The sections this case checks, e.g. `RFC 7644 §3.6`.
    pub rfc: Vec<String>,
    /// How binding the checked behaviour is.
    pub level: Level,
    /// Free-form tags, e.g. `auth`, `soft-delete`, `paging`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Capabilities the target must advertise; otherwise the case is skipped.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Capabilities the target must lack: a case about what a server without one does (e.g.
    /// `unless: [bulk]` for the answer to a BulkRequest) is skipped where it is advertised.
    #[serde(default)]
    pub unless: Vec<Capability>,
    /// True when the case sends no POST/PUT/PATCH/DELETE (safe on a read-only run).
    #[serde(default)]
    pub read_only: bool,
    /// Why no fault of the mock can make this case fail, when none can; every other case must be
    /// failed by at least one fault (`tests/faults.rs`).
    pub unfailable: Option<String>,
    /// The steps, run in order; the case stops at the first failing step.
    #[schemars(with = "Vec<Step>")]
    pub steps: Vec<Spanned<Step>>,
}

/// The requirement level: RFC 2119's, or an identity provider's where the RFC leaves a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
    /// Required by an identity provider's documentation (Entra ID, Okta), not by the RFCs:
    /// breaking it breaks that provider, not the standard.
    #[serde(rename = "IDP")]
    Idp,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Idp => "IDP",
        })
    }
}

/// Declares [`Capability`] and its name / clause tables from one list.
macro_rules! capabilities {
    ($($variant:ident => $name:literal, $source:literal;)*) => {
        /// An optional feature of a SCIM service provider, discovered from
        /// `/ServiceProviderConfig` and `/ResourceTypes` or probed once per run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum Capability {
            $(
                #[doc = $source]
                $variant,
            )*
        }

        impl Capability {
            pub const ALL: &'static [Capability] = &[$(Capability::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Capability::$variant => $name),* }
            }

            /// Where the capability is read from, with the clause that makes it optional.
            pub fn source(self) -> &'static str {
                match self { $(Capability::$variant => $source),* }
            }
        }
    };
}

capabilities! {
    Patch => "patch", "`patch.supported` (RFC 7644 §3.5.2)";
    Filter => "filter", "`filter.supported` (RFC 7644 §3.4.2.2)";
    Sort => "sort", "`sort.supported` (RFC 7644 §3.4.2.3)";
    Etag => "etag", "`etag.supported` (RFC 7644 §3.14)";
    Bulk => "bulk", "`bulk.supported` (RFC 7644 §3.7)";
    ChangePassword => "change-password", "`changePassword.supported` (RFC 7643 §5)";
    Groups => "groups", "a `Group` resource type (RFC 7643 §4.2)";
    EnterpriseUser => "enterprise-user", "the enterprise User extension (RFC 7643 §4.3) in the User resource type";
    CursorPaging => "cursor-paging", "`pagination.cursor` (RFC 9865 §4)";
    IndexPaging => "index-paging", "`pagination.index`, true unless published false (RFC 9865 §4)";
    Put => "put", "a PUT probe: RFC 7644 §3.5.1 makes PUT a MUST, so it is assumed unless refused with 405 or 501, or ruled out by configuration or a contract";
    ValuePathAdd => "value-path-add", "configuration or a contract only (e.g. `contracts/entra-gallery.toml`): a PATCH replace through an `X eq \"v\"` value filter that matches nothing adds the value, as Entra ID expects, where RFC 7644 §3.5.2.3 answers noTarget";
    ReturnedRequest => "returned-request", "a User attribute the target's `/Schemas` declares `returned: request` (RFC 7643 §7), named by `${requestOnly}`";
    CustomResourceType => "custom-resource-type", "a resource type beyond User and Group in `/ResourceTypes` (RFC 7643 §6), named by `${customType}` at `${customEndpoint}`";
    FilterResultCap => "filter-result-cap", "a contract's `[limits] max-filter-results` only: no discovery field says whether a target caps what a filter yields (RFC 7644 §3.4.2.2 `tooMany`); named by `${maxFilterResults}`";
}

impl Capability {
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step: either a single `request` or a paging `walk`, then expectations and captures.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, shown in failure messages.
    pub name: String,
    /// Which credential the step sends.
    #[serde(default)]
    pub auth: Auth,
    /// Capabilities this step needs beyond the case's `requires`: without them the step is left
    /// out and the case goes on (e.g. a PATCH re-read inside a create case).
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Run the step this many times; `${i}` is 1, 2, … in each run.
    pub repeat: Option<Repeat>,
    /// With `repeat`: send every run's request at once instead of one after another (captures
    /// and checks still go in order). For setup whose runs do not depend on each other, so a
    /// hundred creates cost one round trip of latency, not a hundred.
    #[serde(default)]
    pub concurrent: bool,
    /// Values built before the request is rendered, each a variable of the step's request:
    /// e.g. one Bulk operation more than a discovered `maxOperations`, or a string longer than
    /// `maxPayloadSize`.
    #[serde(default)]
    pub generate: IndexMap<String, Generate>,
    /// A single HTTP request.
    pub request: Option<Request>,
    /// Page through a list until done, asserting the paging invariants on every page.
    pub walk: Option<Walk>,
    /// What the response must look like (for a walk: what every page must look like).
    #[serde(default)]
    pub expect: Expect,
    /// Variables taken from the response for later steps.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Capture>")]
    pub capture: IndexMap<String, Capture>,
}

/// A value a step builds from a size it learnt (a capture) before it sends its request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Generate {
    /// An array of `count` + `plus` copies of `item`, each rendered with `${i}` = 1, 2, ….
    Repeat {
        /// A template rendering to a whole number, e.g. `"${maxOperations}"`.
        count: String,
        #[serde(default)]
        plus: u32,
        item: Value,
    },
    /// A string of `length` + `plus` characters (`x`), e.g. to exceed a payload limit.
    Pad {
        /// A template rendering to a whole number, e.g. `"${maxPayloadSize}"`.
        length: String,
        #[serde(default)]
        plus: u32,
    },
}

/// How many times a step runs: a number, or `{ count, plus }` where the number is only known
/// at run time (one create more than a declared `${maxFilterResults}`).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum Repeat {
    Times(u32),
    Counted(RepeatCount),
}

/// A run count known at run time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatCount {
    /// A template rendering to a whole number, e.g. `"${maxFilterResults}"`.
    pub count: String,
    #[serde(default)]
    pub plus: u32,
}

// By hand rather than `untagged`, so a wrong key still says which one.
impl<'de> Deserialize<'de> for Repeat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RepeatVisitor;
        impl<'de> Visitor<'de> for RepeatVisitor {
            type Value = Repeat;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number, or { count: \"${variable}\", plus: N }")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Repeat, E> {
                u32::try_from(n)
                    .map(Repeat::Times)
                    .map_err(|_| E::custom(format!("{n} runs is more than a step may repeat")))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Repeat, E> {
                u64::try_from(n)
                    .map_err(|_| E::custom("a step cannot repeat a negative number of times"))
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Repeat, A::Error> {
                RepeatCount::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Repeat::Counted)
            }
        }
        deserializer.deserialize_any(RepeatVisitor)
    }
}

/// The credential a step sends in `Authorization`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// The SCIM bearer token.
    #[default]
    Scim,
    /// No `Authorization` header.
    None,
    /// A well-formed bearer token that no one issued.
    Wrong,
    /// An `Authorization` header that is not a bearer credential at all.
    Malformed,
    /// The vendor's general API key (not a SCIM credential); skipped when none is configured.
    ApiKey,
    /// A valid SCIM token of another tenant; skipped when none is configured.
    OtherTenant,
    /// A SCIM token the target has revoked (rotated out); skipped when none is configured.
    Revoked,
}

impl Auth {
    pub fn name(self) -> &'static str {
        match self {
            Auth::Scim => "scim",
            Auth::None => "none",
            Auth::Wrong => "wrong",
            Auth::Malformed => "malformed",
            Auth::ApiKey => "api-key",
            Auth::OtherTenant => "other-tenant",
            Auth::Revoked => "revoked",
        }
    }
}

/// HTTP methods SCIM uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Method {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the request may change the target's data.
    pub fn is_write(self) -> bool {
        !matches!(self, Method::Get)
    }
}

/// A request. Strings in `path`, `query`, `headers` and `body` may use `${variables}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: Method,
    /// Relative to the base URL, e.g. `/Users/${id}`.
    pub path: String,
    #[serde(default)]
    pub query: IndexMap<String, String>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// A JSON body (written as YAML); sent as `application/scim+json` unless `headers` says otherwise.
    pub body: Option<Value>,
    /// A body sent verbatim, for malformed-input cases.
    pub raw_body: Option<String>,
}

/// A paging walk over a list endpoint (RFC 7644 §3.4.2.4, RFC 9865).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    /// The list endpoint, e.g. `/Users`.
    pub path: String,
    /// Query parameters repeated on every page (e.g. a `filter` on the case's own prefix).
    #[serde(default)]
    pub query: IndexMap<String, String>,
    /// Headers sent with every page (e.g. the `User-Agent` an identity provider sends).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Index (`startIndex`/`count`) or cursor (`cursor`/`nextCursor`) paging.
    #[serde(default)]
    pub mode: WalkMode,
    /// The page size to ask for.
    pub count: u32,
    /// How many items the whole walk must yield; `totalResults` must say the same.
    pub total: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WalkMode {
    #[default]
    Index,
    Cursor,
}

/// Expectations on a response.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// One status code or a list of acceptable ones.
    pub status: Option<StatusSet>,
    /// Header assertions by (case-insensitive) header name.
    #[serde(default)]
    pub headers: IndexMap<String, HeaderAssert>,
    /// A schema name from `schemas/` the body must validate against (`target:${customType}`
    /// names one the target publishes).
    #[schemars(with = "Option<String>")]
    pub schema: Option<Spanned<String>>,
    /// A schema every resource of a ListResponse's `Resources` must validate against.
    #[schemars(with = "Option<String>")]
    pub resources_schema: Option<Spanned<String>>,
    /// Assertions on the body by JSON pointer (`""` is the whole body).
    #[serde(default)]
    pub json: IndexMap<String, JsonAssert>,
    /// Named checks implemented in Rust for rules a JSON Schema cannot state.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub rules: Vec<Spanned<String>>,
    /// Snapshot the normalized body with insta.
    #[serde(default)]
    pub snapshot: bool,
}

/// Acceptable status codes: `status: 201` or `status: [200, 204]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(pub Vec<u16>);

impl StatusSet {
    pub fn allows(&self, status: u16) -> bool {
        self.0.contains(&status)
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<String> = self.0.iter().map(u16::to_string).collect();
        f.write_str(&codes.join(" or "))
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;

        fn code<E: de::Error>(value: u64) -> Result<u16, E> {
            u16::try_from(value)
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| E::custom(format!("{value} is not an HTTP status code (100-599)")))
        }

        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusSet;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an HTTP status code or a list of them")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<StatusSet, E> {
                Ok(StatusSet(vec![code(value)?]))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<StatusSet, E> {
                let value = u64::try_from(value).map_err(|_| E::custom("negative status code"))?;
                self.visit_u64(value)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut codes = Vec::new();
                while let Some(value) = seq.next_element::<u64>()? {
                    codes.push(code(value)?);
                }
                if codes.is_empty() {
                    return Err(de::Error::custom("the list of status codes is empty"));
                }
                Ok(StatusSet(codes))
            }
        }

        deserializer.deserialize_any(StatusVisitor)
    }
}

impl JsonSchema for StatusSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusSet".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One status code or a list of acceptable ones.",
            "anyOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "array", "items": { "type": "integer", "minimum": 100, "maximum": 599 }, "minItems": 1 }
            ]
        })
    }
}

/// Assertions on one response header. All given keys must hold.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderAssert {
    /// `true`: the header must be there; `false`: it must not be.
    pub present: Option<bool>,
    /// Exact value (after `${variable}` interpolation).
    pub equals: Option<String>,
    /// Any value but this one, or no header (e.g. an ETag that must change).
    pub not_equals: Option<String>,
    /// A regular expression the value must match.
    pub matches: Option<String>,
}

/// Assertions on the value at one JSON pointer. All given keys must hold.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonAssert {
    /// The value must be present (`true`) or absent (`false`).
    pub present: Option<bool>,
    /// Shorthand for `present: false`.
    pub absent: Option<bool>,
    /// Deep equality; a string `"${x}"` stands for the captured value itself.
    pub equals: Option<Value>,
    /// Deep inequality.
    pub not_equals: Option<Value>,
    /// Case-insensitive string equality (for `caseExact: false` attributes).
    pub equals_ignore_case: Option<String>,
    /// The JSON type.
    #[serde(rename = "type")]
    pub kind: Option<JsonType>,
    /// A string contains this substring; an array has an element matching this value
    /// (objects match when every given member matches).
    pub contains: Option<Value>,
    /// The negation of `contains`.
    pub not_contains: Option<Value>,
    /// `contains` for each of these, so one pointer can hold several elements.
    pub contains_all: Option<Vec<Value>>,
    /// The value holds everything this one holds, as a SCIM server must store what it was sent
    /// (RFC 7644 §3.3, §3.5.1): members compare by name case-insensitively (RFC 7643 §2.1), every
    /// element sent in an array is matched by a stored one with at least its sub-attributes,
    /// strings compare exactly, and what the server must never return (`password`, RFC 7643
    /// §4.1.1) or may set itself (`id`, `meta`, RFC 7643 §3.1) is not compared. `null` or `[]` sent
    /// mean unassigned (RFC 7643 §2.5): absent, null or empty.
    pub superset_of: Option<Value>,
    /// Every element of the array matches this value (objects: every given member matches).
    pub each: Option<Value>,
    /// The length of an array, string or object.
    pub length: Option<Value>,
    /// A regular expression a string value must match.
    pub matches: Option<String>,
    /// The value is one of these.
    pub one_of: Option<Vec<Value>>,
    /// Comparisons: numbers numerically, RFC 3339 date-times chronologically, other strings by
    /// their characters.
    pub gt: Option<Value>,
    pub ge: Option<Value>,
    pub lt: Option<Value>,
    pub le: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    pub fn of(value: &Value) -> &'static [JsonType] {
        match value {
            Value::String(_) => &[JsonType::String],
            Value::Number(n) if n.is_i64() || n.is_u64() => &[JsonType::Integer, JsonType::Number],
            Value::Number(_) => &[JsonType::Number],
            Value::Bool(_) => &[JsonType::Boolean],
            Value::Object(_) => &[JsonType::Object],
            Value::Array(_) => &[JsonType::Array],
            Value::Null => &[JsonType::Null],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

/// Where a captured variable comes from: `id: /id` (a JSON pointer into the response body, `""`
/// for all of it), `location: { header: Location }`, `sent: { request: "" }` (a JSON pointer
/// into the request body the step sent, after its variables were rendered), or
/// `members: { append: /id, as: value }` (the value at a pointer appended to a list, wrapped in
/// an object under `as` when given: with `repeat`, one list of every created resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capture {
    Body(String),
    Header(String),
    Request(String),
    Append {
        pointer: String,
        wrap: Option<String>,
    },
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CaptureVisitor;

        impl<'de> Visitor<'de> for CaptureVisitor {
            type Value = Capture;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a JSON pointer such as `/id`, `{ header: NAME }` or `{ request: POINTER }`",
                )
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Capture, E> {
                if value.is_empty() || value.starts_with('/') {
                    Ok(Capture::Body(value.to_owned()))
                } else {
                    Err(E::custom(format!(
                        "`{value}` is not a JSON pointer (it must start with `/`)"
                    )))
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Capture, A::Error> {
                const FIELDS: &[&str] = &["header", "request", "append", "as"];
                let mut fields: IndexMap<String, String> = IndexMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !FIELDS.contains(&key.as_str()) {
                        return Err(de::Error::unknown_field(&key, FIELDS));
                    }
                    let value: String = map.next_value()?;
                    if fields.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("`{key}` given twice")));
                    }
                }
                let pointer = |value: String| {
                    if value.is_empty() || value.starts_with('/') {
                        Ok(value)
                    } else {
                        Err(de::Error::custom(format!(
                            "`{value}` is not a JSON pointer (it must start with `/`)"
                        )))
                    }
                };
                let header = fields.shift_remove("header");
                let request = fields.shift_remove("request");
                let append = fields.shift_remove("append");
                let wrap = fields.shift_remove("as");
                match (header, request, append, wrap) {
                    (Some(name), None, None, None) => Ok(Capture::Header(name)),
                    (None, Some(p), None, None) => Ok(Capture::Request(pointer(p)?)),
                    (None, None, Some(p), wrap) => Ok(Capture::Append {
                        pointer: pointer(p)?,
                        wrap,
                    }),
                    _ => Err(de::Error::custom(
                        "expected `header: NAME`, `request: POINTER` or `append: POINTER` (with `as: NAME`)",
                    )),
                }
            }
        }

        deserializer.deserialize_any(CaptureVisitor)
    }
}

impl JsonSchema for Capture {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Capture".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A JSON pointer into the response body, a response header, a JSON pointer into the request body sent, or a value appended to a list.",
            "anyOf": [
                { "type": "string", "pattern": "^(/.*)?$" },
                {
                    "type": "object",
                    "properties": { "header": { "type": "string" } },
                    "required": ["header"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "request": { "type": "string", "pattern": "^(/.*)?$" } },
                    "required": ["request"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": {
                        "append": { "type": "string", "pattern": "^(/.*)?$" },
                        "as": { "type": "string" }
                    },
                    "required": ["append"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// The JSON Schema of the case format, published as `schemas/case.schema.json`.
pub fn case_json_schema() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<CaseFile>();
    schema.to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_read_the_response_body_a_header_or_the_request_body() {
        let parse = |yaml: &str| serde_saphyr::from_str::<Capture>(yaml).map_err(|e| e.to_string());
        assert_eq!(parse("/id"), Ok(Capture::Body("/id".into())));
        assert_eq!(parse("''"), Ok(Capture::Body(String::new())));
        assert_eq!(
            parse("{ header: Location }"),
            Ok(Capture::Header("Location".into()))
        );
        assert_eq!(
            parse("{ request: '' }"),
            Ok(Capture::Request(String::new()))
        );
        assert_eq!(
            parse("{ request: /name }"),
            Ok(Capture::Request("/name".into()))
        );
        assert_eq!(
            parse("{ append: /id, as: value }"),
            Ok(Capture::Append {
                pointer: "/id".into(),
                wrap: Some("value".into())
            })
        );
        assert_eq!(
            parse("{ as: value, append: /id }"),
            parse("{ append: /id, as: value }")
        );
        assert_eq!(
            parse("{ append: /id }"),
            Ok(Capture::Append {
                pointer: "/id".into(),
                wrap: None
            })
        );
        for bad in [
            "id",
            "{ request: name }",
            "{ response: /id }",
            "{ header: A, request: /b }",
            "{ as: value }",
            "{ append: id }",
            "{ header: A, as: value }",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_take_requires_and_reject_unknown_keys() {
        let step = |yaml: &str| serde_saphyr::from_str::<Step>(yaml).map_err(|e| e.to_string());
        let with = step("{ name: s, requires: [bulk], request: { method: GET, path: /x } }")
            .expect("step");
        assert_eq!(with.requires, [Capability::Bulk]);
        assert!(
            step("{ name: s, requires: [teleport], request: { method: GET, path: /x } }").is_err()
        );
        assert!(step("{ name: s, require: [bulk], request: { method: GET, path: /x } }").is_err());
    }
}
