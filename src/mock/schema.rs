//! What the mock supports, as data: resource types and their attribute definitions
//! (RFC 7643 §4, §7, §8.7). Discovery, input normalisation, filters, sorting and projection
//! all read these tables, so `/Schemas` describes exactly what the server does.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ApiError;
use crate::scim::filter::get_ci;
use crate::scim::{AttrPath, ScimType, urn};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex,
    Binary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// One attribute definition (RFC 7643 §7 "attributes").
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub unique: bool,
    pub sub: &'static [Attr],
    pub canonical: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub description: &'static str,
}

const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        unique: false,
        sub: &[],
        canonical: &[],
        reference_types: &[],
        description,
    }
}

const fn string(name: &'static str, description: &'static str) -> Attr {
    attr(name, Type::String, description)
}

const fn complex(name: &'static str, sub: &'static [Attr], description: &'static str) -> Attr {
    let mut a = attr(name, Type::Complex, description);
    a.sub = sub;
    a
}

impl Attr {
    const fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }
    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The attribute definition as published under `/Schemas` (RFC 7643 §7).
    fn to_json(self) -> Value {
        let lower = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
        };
        let mut out = json!({
            "name": self.name,
            "type": lower(&format!("{:?}", self.ty)),
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": lower(&format!("{:?}", self.mutability)),
            "returned": lower(&format!("{:?}", self.returned)),
            "uniqueness": if self.unique { "server" } else { "none" },
        });
        if !self.canonical.is_empty() {
            out["canonicalValues"] = json!(self.canonical);
        }
        if !self.reference_types.is_empty() {
            out["referenceTypes"] = json!(self.reference_types);
        }
        if !self.sub.is_empty() {
            out["subAttributes"] = self.sub.iter().map(|a| a.to_json()).collect();
        }
        out
    }
}

const fn plural_subs(value: Type, types: &'static [&'static str]) -> [Attr; 4] {
    [
        attr("value", value, "The attribute's significant value."),
        string(
            "display",
            "A human-readable name, primarily used for display purposes.",
        ),
        string("type", "A label indicating the attribute's function.").canonical(types),
        attr(
            "primary",
            Type::Boolean,
            "Whether this is the preferred value; at most one is.",
        ),
    ]
}

const NAME: &[Attr] = &[
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name, or last name."),
    string("givenName", "The given name, or first name."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
    string("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
];
const EMAILS: &[Attr] = &plural_subs(Type::String, &["work", "home", "other"]);
const PHONES: &[Attr] = &plural_subs(
    Type::String,
    &["work", "home", "mobile", "fax", "pager", "other"],
);
const IMS: &[Attr] = &plural_subs(
    Type::String,
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
);
const PHOTOS: &[Attr] = &plural_subs(Type::Reference, &["photo", "thumbnail"]);
const PLAIN: &[Attr] = &plural_subs(Type::String, &[]);
const CERTIFICATES: &[Attr] = &plural_subs(Type::Binary, &[]);
const ADDRESSES: &[Attr] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    string("streetAddress", "The full street address."),
    string("locality", "The city or locality."),
    string("region", "The state or region."),
    string("postalCode", "The zip code or postal code."),
    string("country", "The country name (ISO 3166-1 alpha-2)."),
    string("type", "A label indicating the address's function.")
        .canonical(&["work", "home", "other"]),
    attr(
        "primary",
        Type::Boolean,
        "Whether this is the preferred address; at most one is.",
    ),
];
const GROUPS: &[Attr] = &[
    string("value", "The id of the group.").mutability(Mutability::ReadOnly),
    attr("$ref", Type::Reference, "The URI of the group.")
        .refs(&["Group"])
        .mutability(Mutability::ReadOnly),
    string("display", "The displayName of the group.").mutability(Mutability::ReadOnly),
    string("type", "How the membership is held.")
        .canonical(&["direct"])
        .mutability(Mutability::ReadOnly),
];
// The server derives `$ref`, `type` and `display` from the member's id, so only `value` is
// writable (RFC 7643 §4.2 makes all of them immutable).
const MEMBERS: &[Attr] = &[
    string("value", "The id of the member, a User or a Group.")
        .required()
        .case_exact()
        .mutability(Mutability::Immutable),
    attr("$ref", Type::Reference, "The URI of the member.")
        .refs(&["User", "Group"])
        .mutability(Mutability::ReadOnly),
    string("type", "The member's resource type.")
        .canonical(&["User", "Group"])
        .mutability(Mutability::ReadOnly),
    string(
        "display",
        "The member's displayName, or userName for users.",
    )
    .mutability(Mutability::ReadOnly),
];
const META: &[Attr] = &[
    string("resourceType", "The resource type's name.").case_exact(),
    attr("created", Type::DateTime, "When the resource was added."),
    attr(
        "lastModified",
        Type::DateTime,
        "When the resource was last updated.",
    ),
    attr("location", Type::Reference, "The URI of the resource.").refs(&["uri"]),
    string("version", "The weak entity tag of the resource.").case_exact(),
];

/// Attributes every resource has (RFC 7643 §3.1); not listed in the core schemas.
const COMMON: &[Attr] = &[
    string("id", "The server-issued identifier of the resource.")
        .case_exact()
        .unique()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always),
    string("externalId", "The client's identifier for the resource.").case_exact(),
    complex("meta", META, "Resource metadata.").mutability(Mutability::ReadOnly),
];

const USER_ATTRS: &[Attr] = &[
    string(
        "userName",
        "Unique identifier for the user, used to sign in.",
    )
    .required()
    .unique(),
    complex("name", NAME, "The components of the user's real name."),
    string("displayName", "The name of the user, suitable for display."),
    string("nickName", "The casual way to address the user."),
    attr(
        "profileUrl",
        Type::Reference,
        "A URI of the user's online profile.",
    )
    .refs(&["external"]),
    string("title", "The user's title, such as 'Vice President'."),
    string(
        "userType",
        "The relationship between the organisation and the user.",
    ),
    string(
        "preferredLanguage",
        "The user's preferred written or spoken language.",
    ),
    string("locale", "The user's default location, e.g. 'en-US'."),
    string(
        "timezone",
        "The user's time zone in IANA format, e.g. 'Europe/Paris'.",
    ),
    attr("active", Type::Boolean, "The user's administrative status."),
    string("password", "The user's cleartext password; never returned.")
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
    complex("emails", EMAILS, "Email addresses for the user.").multi(),
    complex("phoneNumbers", PHONES, "Phone numbers for the user.").multi(),
    complex("ims", IMS, "Instant messaging addresses for the user.").multi(),
    complex("photos", PHOTOS, "URLs of photos of the user.").multi(),
    complex(
        "addresses",
        ADDRESSES,
        "Physical mailing addresses for the user.",
    )
    .multi(),
    complex(
        "groups",
        GROUPS,
        "The groups the user belongs to, derived from group membership.",
    )
    .multi()
    .mutability(Mutability::ReadOnly),
    complex("entitlements", PLAIN, "Entitlements of the user.").multi(),
    complex("roles", PLAIN, "Roles of the user.").multi(),
    complex(
        "x509Certificates",
        CERTIFICATES,
        "Certificates of the user.",
    )
    .multi(),
];

const MANAGER: &[Attr] = &[
    string("value", "The id of the manager's User resource.").case_exact(),
    attr(
        "$ref",
        Type::Reference,
        "The URI of the manager's User resource.",
    )
    .refs(&["User"]),
    string("displayName", "The manager's displayName.").mutability(Mutability::ReadOnly),
];

const ENTERPRISE_ATTRS: &[Attr] = &[
    string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person.",
    ),
    string("costCenter", "Name of a cost center."),
    string("organization", "Name of an organization."),
    string("division", "Name of a division."),
    string("department", "Name of a department."),
    complex("manager", MANAGER, "The user's manager."),
];

const GROUP_ATTRS: &[Attr] = &[
    string("displayName", "A human-readable name for the group.").required(),
    complex("members", MEMBERS, "The members of the group.").multi(),
];

/// A schema (RFC 7643 §7).
#[derive(Debug)]
pub(crate) struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attr],
}

pub(crate) const USER: Schema = Schema {
    id: urn::USER,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRS,
};
pub(crate) const ENTERPRISE_USER: Schema = Schema {
    id: urn::ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRS,
};
/// The mock's own User extension, as vendors add theirs: an attribute returned only when a
/// request names it (RFC 7643 §7 `returned: request`).
pub(crate) const MOCK_USER: Schema = Schema {
    id: "urn:scimcheck:params:scim:schemas:extension:mock:2.0:User",
    name: "MockUser",
    description: "Attributes of the scimcheck mock",
    attributes: &[string(
        "internalNote",
        "An administrator's note on the user; returned only when a request names it.",
    )
    .returned(Returned::Request)],
};
/// The schema of the custom resource type [`super::device`] serves.
pub(crate) const DEVICE: Schema = Schema {
    id: "urn:scimcheck:params:scim:schemas:core:2.0:Device",
    name: "Device",
    description: "A device issued to a user",
    attributes: &[
        string("displayName", "The device's name.").required(),
        string("serialNumber", "The manufacturer's serial number.").case_exact(),
        attr("active", Type::Boolean, "Whether the device is in service."),
    ],
};
pub(crate) const GROUP: Schema = Schema {
    id: urn::GROUP,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRS,
};

/// Every resource schema the mock serves, in `/Schemas` order.
pub(crate) const SCHEMAS: [&Schema; 4] = [&USER, &ENTERPRISE_USER, &MOCK_USER, &GROUP];

impl Schema {
    fn attr(&self, name: &str) -> Option<&'static Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The schema resource served under `/Schemas/{id}`.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [urn::SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

/// The resource types the mock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    User,
    Group,
}

/// An attribute path resolved against a resource type's schemas.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved {
    /// The extension URN holding the attribute; `None` for core and common attributes.
    pub extension: Option<&'static str>,
    pub attr: &'static Attr,
    pub sub: Option<&'static Attr>,
}

impl Resolved {
    /// The definition the path ends at.
    pub fn target(&self) -> &'static Attr {
        self.sub.unwrap_or(self.attr)
    }
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::User, Kind::Group];

    /// The ResourceType name, also `meta.resourceType`.
    pub fn name(self) -> &'static str {
        self.schema().name
    }

    /// The endpoint path segment, e.g. `Users`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub fn schema(self) -> &'static Schema {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
        }
    }

    pub fn extensions(self) -> &'static [&'static Schema] {
        match self {
            Kind::User => &[&ENTERPRISE_USER, &MOCK_USER],
            Kind::Group => &[],
        }
    }

    /// The canonical URN of one of this type's extensions, matched case-insensitively.
    pub fn extension(self, urn: &str) -> Option<&'static Schema> {
        self.extensions()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves `path`; an unqualified name is looked up in the core schema and the common
    /// attributes only.
    pub fn resolve(self, path: &AttrPath) -> Option<Resolved> {
        let (extension, attr) = match &path.urn {
            Some(urn) if urn.eq_ignore_ascii_case(self.schema().id) => {
                (None, self.core_attr(&path.name)?)
            }
            Some(urn) => {
                let schema = self.extension(urn)?;
                (Some(schema.id), schema.attr(&path.name)?)
            }
            None => (None, self.core_attr(&path.name)?),
        };
        let sub = match &path.sub {
            Some(sub) => Some(attr.sub_attr(sub)?),
            None => None,
        };
        Some(Resolved {
            extension,
            attr,
            sub,
        })
    }

    /// A core-schema or common attribute by name, case-insensitively.
    pub fn core_attr(self, name: &str) -> Option<&'static Attr> {
        COMMON
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .or_else(|| self.schema().attr(name))
    }

    /// Whether string comparisons on `path` are case-sensitive (RFC 7643 §7 `caseExact`).
    pub fn case_exact(self, path: &AttrPath) -> bool {
        self.resolve(path).is_some_and(|r| r.target().case_exact)
    }

    /// The ResourceType resource served under `/ResourceTypes/{name}`.
    pub fn resource_type_json(self, base_url: &str) -> Value {
        let extensions: Vec<Value> = self
            .extensions()
            .iter()
            .map(|s| json!({"schema": s.id, "required": false}))
            .collect();
        let mut out = json!({
            "schemas": [urn::RESOURCE_TYPE],
            "id": self.name(),
            "name": self.name(),
            "endpoint": format!("/{}", self.endpoint()),
            "description": self.schema().description,
            "schema": self.schema().id,
        });
        if !extensions.is_empty() {
            out["schemaExtensions"] = Value::Array(extensions);
        }
        out["meta"] = json!({
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/{}", self.name()),
        });
        out
    }

    /// Checks and canonicalises a client-supplied resource (POST, PUT, and the result of a
    /// PATCH): attribute names get their schema spelling, unknown attributes and read-only
    /// ones (`id`, `meta`, `groups`) are dropped (RFC 7644 §3.3), nulls and empty arrays are
    /// unassigned (RFC 7643 §2.5), types are checked, and `schemas` lists exactly the core
    /// schema and the extensions present.
    pub fn normalize(
        self,
        input: &Value,
        coerce_string_booleans: bool,
    ) -> Result<Map<String, Value>, ApiError> {
        let object = input.as_object().ok_or_else(|| {
            ApiError::bad_request(
                ScimType::InvalidSyntax,
                "the resource must be a JSON object",
            )
        })?;
        let core = self.schema();
        let declared = get_ci(input, "schemas")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ApiError::bad_request(
                    ScimType::InvalidSyntax,
                    "the resource has no \"schemas\" array",
                )
            })?;
        let declares = |urn: &str| {
            declared
                .iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
        };
        if !declares(core.id) {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                format!("\"schemas\" must contain {}", core.id),
            ));
        }
        let coerce = Coerce {
            string_booleans: coerce_string_booleans,
        };
        let mut attrs = Map::new();
        let mut extensions = Map::new();
        for (key, value) in object {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(schema) = self.extension(key) {
                let fields = value.as_object().ok_or_else(|| {
                    ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("{} must be an object", schema.id),
                    )
                })?;
                let mut normalized = Map::new();
                for (key, value) in fields {
                    if let Some(def) = schema.attr(key) {
                        coerce.insert(&mut normalized, def, value)?;
                    }
                }
                if !normalized.is_empty() {
                    extensions.insert(schema.id.to_owned(), Value::Object(normalized));
                }
                continue;
            }
            let name = match key.get(..core.id.len()) {
                Some(prefix) if prefix.eq_ignore_ascii_case(core.id) => {
                    key[core.id.len()..].trim_start_matches(':')
                }
                _ => key.as_str(),
            };
            if let Some(def) = self.core_attr(name) {
                coerce.insert(&mut attrs, def, value)?;
            }
        }
        for def in core.attributes.iter().filter(|a| a.required) {
            if !attrs.contains_key(def.name) {
                return Err(ApiError::bad_request(
                    ScimType::InvalidValue,
                    format!("the required attribute {} is missing", def.name),
                ));
            }
        }
        let mut schemas = vec![Value::from(core.id)];
        schemas.extend(extensions.keys().map(|k| Value::from(k.as_str())));
        let mut out = Map::new();
        out.insert("schemas".to_owned(), Value::Array(schemas));
        out.extend(attrs);
        out.extend(extensions);
        Ok(out)
    }
}

/// Value checks and coercions of [`Kind::normalize`].
struct Coerce {
    /// Accept Entra's `"True"` / `"False"` for booleans.
    string_booleans: bool,
}

impl Coerce {
    /// Inserts `value` under `def`'s canonical name unless it is read-only or unassigned.
    fn insert(
        &self,
        out: &mut Map<String, Value>,
        def: &Attr,
        value: &Value,
    ) -> Result<(), ApiError> {
        if def.mutability == Mutability::ReadOnly {
            return Ok(());
        }
        if let Some(value) = self.value(def, value)? {
            out.insert(def.name.to_owned(), value);
        }
        Ok(())
    }

    fn value(&self, def: &Attr, value: &Value) -> Result<Option<Value>, ApiError> {
        let invalid = |what: &str| {
            ApiError::bad_request(
                ScimType::InvalidValue,
                format!("{} must be {what}", def.name),
            )
        };
        match (def.multi, value) {
            (_, Value::Null) => Ok(None),
            (true, Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.single(def, item)?);
                }
                let primaries = out
                    .iter()
                    .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
                    .count();
                if primaries > 1 {
                    return Err(invalid("a list with at most one primary value"));
                }
                Ok((!out.is_empty()).then_some(Value::Array(out)))
            }
            (true, single) => Ok(self.single(def, single)?.map(|v| Value::Array(vec![v]))),
            // Entra sends single complex values such as `manager` wrapped in an array.
            (false, Value::Array(items)) if def.ty == Type::Complex && items.len() == 1 => {
                self.single(def, &items[0])
            }
            (false, Value::Array(_)) => Err(invalid("a single value, not an array")),
            (false, single) => self.single(def, single),
        }
    }

    fn single(&self, def: &Attr, value: &Value) -> Result<Option<Value>, ApiError> {
        let invalid = |what: &str| {
            ApiError::bad_request(
                ScimType::InvalidValue,
                format!("{} must be {what}", def.name),
            )
        };
        let out = match (def.ty, value) {
            (_, Value::Null) => return Ok(None),
            (Type::Complex, Value::Object(fields)) => {
                let mut out = Map::new();
                for (key, value) in fields {
                    if let Some(sub) = def.sub_attr(key) {
                        self.insert(&mut out, sub, value)?;
                    }
                }
                if let Some(missing) = def
                    .sub
                    .iter()
                    .find(|s| s.required && !out.contains_key(s.name))
                {
                    return Err(invalid(&format!("a value with {}", missing.name)));
                }
                if out.is_empty() {
                    return Ok(None);
                }
                Value::Object(out)
            }
            // Entra ID replaces `manager` through its URN path with the bare id.
            (Type::Complex, Value::String(id)) if !def.multi && def.sub_attr("value").is_some() => {
                json!({ "value": id })
            }
            (Type::Complex, _) => return Err(invalid("an object")),
            (Type::Boolean, Value::Bool(_)) => value.clone(),
            (Type::Boolean, Value::String(s))
                if self.string_booleans && s.eq_ignore_ascii_case("true") =>
            {
                Value::Bool(true)
            }
            (Type::Boolean, Value::String(s))
                if self.string_booleans && s.eq_ignore_ascii_case("false") =>
            {
                Value::Bool(false)
            }
            (Type::Boolean, _) => return Err(invalid("a boolean")),
            (Type::DateTime, Value::String(s)) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => {
                value.clone()
            }
            (Type::DateTime, _) => return Err(invalid("an xsd:dateTime string")),
            (Type::String | Type::Reference | Type::Binary, Value::String(_)) => value.clone(),
            (Type::String | Type::Reference | Type::Binary, _) => return Err(invalid("a string")),
        };
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(extra: Value) -> Value {
        let mut base = json!({"schemas": [urn::USER], "userName": "bjensen"});
        if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
            b.extend(e);
        }
        base
    }

    #[test]
    fn normalizes_users() {
        let cases: &[(Value, Result<Value, ScimType>)] = &[
            (
                user(json!({})),
                Ok(json!({"schemas": [urn::USER], "userName": "bjensen"})),
            ),
            (
                user(
                    json!({"USERNAME": "x", "id": "1", "meta": {}, "groups": [{"value": "g"}], "unknown": 1}),
                ),
                Ok(json!({"schemas": [urn::USER], "userName": "x"})),
            ),
            (
                user(
                    json!({"active": "False", "title": null, "roles": [], "name": {"GivenName": "B", "x": 1}}),
                ),
                Ok(
                    json!({"schemas": [urn::USER], "userName": "bjensen", "active": false, "name": {"givenName": "B"}}),
                ),
            ),
            (
                user(
                    json!({urn::ENTERPRISE_USER: {"employeeNumber": "7", "manager": [{"value": "m"}]}}),
                ),
                Ok(json!({
                    "schemas": [urn::USER, urn::ENTERPRISE_USER],
                    "userName": "bjensen",
                    urn::ENTERPRISE_USER: {"employeeNumber": "7", "manager": {"value": "m"}}
                })),
            ),
            (
                user(json!({"urn:ietf:params:scim:schemas:core:2.0:User:displayName": "B"})),
                Ok(json!({"schemas": [urn::USER], "userName": "bjensen", "displayName": "B"})),
            ),
            (json!({"schemas": [urn::USER]}), Err(ScimType::InvalidValue)),
            (json!({"userName": "x"}), Err(ScimType::InvalidSyntax)),
            (
                json!({"schemas": [urn::GROUP], "userName": "x"}),
                Err(ScimType::InvalidValue),
            ),
            (json!([1]), Err(ScimType::InvalidSyntax)),
            (user(json!({"active": "yes"})), Err(ScimType::InvalidValue)),
            (user(json!({"active": 1})), Err(ScimType::InvalidValue)),
            (user(json!({"displayName": 5})), Err(ScimType::InvalidValue)),
            (user(json!({"name": "x"})), Err(ScimType::InvalidValue)),
            (user(json!({"title": ["a"]})), Err(ScimType::InvalidValue)),
            (
                user(
                    json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
                ),
                Err(ScimType::InvalidValue),
            ),
            (
                user(json!({urn::ENTERPRISE_USER: "x"})),
                Err(ScimType::InvalidValue),
            ),
        ];
        for (input, want) in cases {
            let got = Kind::User
                .normalize(input, true)
                .map(Value::Object)
                .map_err(|e| e.scim_type);
            match want {
                Ok(want) => assert_eq!(got.as_ref().ok(), Some(want), "{input}"),
                Err(want) => assert_eq!(got.err(), Some(Some(*want)), "{input}"),
            }
        }
    }

    #[test]
    fn string_booleans_can_be_refused() {
        let input = user(json!({"active": "True"}));
        assert!(Kind::User.normalize(&input, false).is_err());
    }

    #[test]
    fn resolves_paths() {
        let resolve = |text: &str| {
            AttrPath::parse(text)
                .and_then(|p| Kind::User.resolve(&p))
                .map(|r| (r.extension, r.target().name))
        };
        assert_eq!(resolve("USERNAME"), Some((None, "userName")));
        assert_eq!(resolve("meta.lastModified"), Some((None, "lastModified")));
        assert_eq!(resolve("emails.Value"), Some((None, "value")));
        assert_eq!(
            resolve("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            Some((Some(urn::ENTERPRISE_USER), "value"))
        );
        assert_eq!(
            resolve("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
            Some((None, "userName"))
        );
        assert_eq!(resolve("employeeNumber"), None);
        assert_eq!(resolve("name.nope"), None);
        assert!(Kind::User.case_exact(&AttrPath::parse("ID").expect("path")));
        assert!(!Kind::User.case_exact(&AttrPath::parse("userName").expect("path")));
    }
}
