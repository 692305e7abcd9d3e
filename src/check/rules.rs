//! Named rules: what JSON Schema cannot express alone, because it spans the body and the HTTP
//! exchange (headers, status, request URL), compares values with each other, or must look at any
//! depth. A YAML case names them (`rules: [single-primary, …]`); each is a pure function of the
//! response.

use std::collections::HashMap;
use std::fmt;

use reqwest::Url;
use serde_json::{Map, Value};

use super::schema::{member, parse_scim_date_time};
use crate::scim::urn;

/// A named rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    CanonicalAttributeNames,
    SinglePrimary,
    DateTimes,
    SchemasUrns,
    IdPresent,
    LocationMatchesMeta,
    EtagMatchesVersion,
    PasswordNeverReturned,
    ErrorStatusMatches,
    ListResponseConsistent,
    CountRespected,
    CursorFirstPage,
    ContentTypeScim,
    WwwAuthenticate,
}

/// What a rule looks at: one HTTP exchange.
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    pub status: u16,
    /// Response headers, names in lowercase.
    pub headers: &'a [(String, String)],
    /// The parsed JSON body, if the response had one.
    pub body: Option<&'a Value>,
    pub request_method: &'a str,
    pub request_url: &'a str,
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: Rule,
    /// JSON pointer into the body; `""` for the root or for what is not in the body (headers).
    pub pointer: String,
    pub message: String,
    /// A known-lenient deviation that identity-provider documentation itself shows (e.g. an
    /// error `status` as a number): it fails under `--profile strict` and warns under `compat`.
    pub lenient: bool,
}

impl Rule {
    pub const ALL: [Rule; 14] = [
        Rule::CanonicalAttributeNames,
        Rule::SinglePrimary,
        Rule::DateTimes,
        Rule::SchemasUrns,
        Rule::IdPresent,
        Rule::LocationMatchesMeta,
        Rule::EtagMatchesVersion,
        Rule::PasswordNeverReturned,
        Rule::ErrorStatusMatches,
        Rule::ListResponseConsistent,
        Rule::CountRespected,
        Rule::CursorFirstPage,
        Rule::ContentTypeScim,
        Rule::WwwAuthenticate,
    ];

    /// The kebab-case name a case uses.
    pub fn name(self) -> &'static str {
        match self {
            Rule::CanonicalAttributeNames => "canonical-attribute-names",
            Rule::SinglePrimary => "single-primary",
            Rule::DateTimes => "date-times",
            Rule::SchemasUrns => "schemas-urns",
            Rule::IdPresent => "id-present",
            Rule::LocationMatchesMeta => "location-matches-meta",
            Rule::EtagMatchesVersion => "etag-matches-version",
            Rule::PasswordNeverReturned => "password-never-returned",
            Rule::ErrorStatusMatches => "error-status-matches",
            Rule::ListResponseConsistent => "list-response-consistent",
            Rule::CountRespected => "count-respected",
            Rule::CursorFirstPage => "cursor-first-page",
            Rule::ContentTypeScim => "content-type-scim",
            Rule::WwwAuthenticate => "www-authenticate",
        }
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Rule::CanonicalAttributeNames => {
                "attribute names are spelled as the RFCs spell them (userName, Resources); names are \
                 case-insensitive, but clients often match them exactly"
            }
            Rule::SinglePrimary => {
                "at most one value of a multi-valued attribute has primary true, at any depth and in \
                 every listed resource"
            }
            Rule::DateTimes => {
                "meta.created and meta.lastModified are date-times with both date and time, and \
                 lastModified is not before created"
            }
            Rule::SchemasUrns => {
                "schemas is present, non-empty and without duplicates, and lists every extension \
                 whose data (a urn: key) the resource carries"
            }
            Rule::IdPresent => {
                "every resource in a successful response has a non-empty id other than \"bulkId\""
            }
            Rule::LocationMatchesMeta => {
                "a 201 carries a Location header equal to meta.location, and a Content-Location \
                 header, when present, equals meta.location"
            }
            Rule::EtagMatchesVersion => "the ETag header, when present, equals meta.version",
            Rule::PasswordNeverReturned => {
                "no password appears anywhere in a response (null, the unassigned state, is allowed)"
            }
            Rule::ErrorStatusMatches => {
                "an error response has a SCIM error body whose status is a JSON string equal to \
                 the HTTP status code"
            }
            Rule::ListResponseConsistent => {
                "itemsPerPage equals the number of Resources, totalResults covers the page, and no \
                 id repeats within Resources"
            }
            Rule::CountRespected => {
                "a GET query returns no more resources than its count parameter"
            }
            Rule::CursorFirstPage => {
                "the first page of a GET cursor query has no previousCursor, and has a nextCursor if \
                 totalResults says more results exist"
            }
            Rule::ContentTypeScim => {
                "the body is sent as application/scim+json (application/json is tolerated) in \
                 UTF-8; text/html or text/plain is a violation"
            }
            Rule::WwwAuthenticate => "a 401 response carries a WWW-Authenticate challenge",
        }
    }

    /// The section that makes the rule a requirement.
    pub fn rfc(self) -> &'static str {
        match self {
            Rule::CanonicalAttributeNames => "RFC 7643 §2.1",
            Rule::SinglePrimary => "RFC 7643 §2.4",
            Rule::DateTimes => "RFC 7643 §2.3.5, §3.1",
            Rule::SchemasUrns => "RFC 7643 §3",
            Rule::IdPresent => "RFC 7643 §3.1",
            Rule::LocationMatchesMeta => "RFC 7644 §3.3, RFC 7643 §3.1",
            Rule::EtagMatchesVersion => "RFC 7644 §3.14",
            Rule::PasswordNeverReturned => "RFC 7643 §4.1.1",
            Rule::ErrorStatusMatches => "RFC 7644 §3.12",
            Rule::ListResponseConsistent => "RFC 7644 §3.4.2",
            Rule::CountRespected => "RFC 7644 §3.4.2.4",
            Rule::CursorFirstPage => "RFC 9865 §2",
            Rule::ContentTypeScim => "RFC 7644 §3.1, §8.1",
            Rule::WwwAuthenticate => "RFC 9110 §11.6.1, §15.5.2",
        }
    }

    /// Every problem the rule finds in `input`; empty when it passes or does not apply.
    pub fn check(self, input: &RuleInput<'_>) -> Vec<RuleViolation> {
        let mut found = Found {
            rule: self,
            violations: Vec::new(),
        };
        match self {
            Rule::CanonicalAttributeNames => canonical_attribute_names(input, &mut found),
            Rule::SinglePrimary => single_primary(input, &mut found),
            Rule::DateTimes => date_times(input, &mut found),
            Rule::SchemasUrns => schemas_urns(input, &mut found),
            Rule::IdPresent => id_present(input, &mut found),
            Rule::LocationMatchesMeta => location_matches_meta(input, &mut found),
            Rule::EtagMatchesVersion => etag_matches_version(input, &mut found),
            Rule::PasswordNeverReturned => password_never_returned(input, &mut found),
            Rule::ErrorStatusMatches => error_status_matches(input, &mut found),
            Rule::ListResponseConsistent => list_response_consistent(input, &mut found),
            Rule::CountRespected => count_respected(input, &mut found),
            Rule::CursorFirstPage => cursor_first_page(input, &mut found),
            Rule::ContentTypeScim => content_type_scim(input, &mut found),
            Rule::WwwAuthenticate => www_authenticate(input, &mut found),
        }
        found.violations
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads like a schema violation (`at /emails: …`); the caller names the rule.
impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.pointer, self.message)
        }
    }
}

impl RuleInput<'_> {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the query parameters are in the URL: a POST `/.search` carries them in its body,
    /// which rules do not see (RFC 7644 §3.4.3).
    fn is_url_query(&self) -> bool {
        self.request_method.eq_ignore_ascii_case("GET")
    }

    /// The first query parameter of that name in the request URL.
    fn query(&self, name: &str) -> Option<String> {
        let url = Url::parse(self.request_url)
            .or_else(|_| Url::parse("http://relative.invalid/")?.join(self.request_url))
            .ok()?;
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    fn object(&self) -> Option<&Map<String, Value>> {
        self.body.and_then(Value::as_object)
    }

    /// A string sub-attribute of the body's `meta`.
    fn meta(&self, name: &str) -> Option<&str> {
        let meta = member(self.object()?, "meta")?.as_object()?;
        member(meta, name)?.as_str()
    }
}

struct Found {
    rule: Rule,
    violations: Vec<RuleViolation>,
}

impl Found {
    fn at(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.push(pointer.into(), message.into(), false);
    }

    fn lenient(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.push(pointer.into(), message.into(), true);
    }

    fn push(&mut self, pointer: String, message: String, lenient: bool) {
        self.violations.push(RuleViolation {
            rule: self.rule,
            pointer,
            message,
            lenient,
        });
    }
}

/// Names as RFC 7643/7644/9865 spell them: the core User, Group and EnterpriseUser attributes,
/// `meta`, the messages (ListResponse, Error, PatchOp, SearchRequest, Bulk) and discovery resources.
#[rustfmt::skip] // grouped by where the names are defined
const CANONICAL_NAMES: &[&str] = &[
    // Common attributes and meta (RFC 7643 §3.1).
    "schemas", "id", "externalId", "meta", "resourceType", "created", "lastModified", "location",
    "version",
    // User (§4.1) and its multi-valued sub-attributes (§2.4).
    "userName", "name", "formatted", "familyName", "givenName", "middleName", "honorificPrefix",
    "honorificSuffix", "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers",
    "ims", "photos", "addresses", "streetAddress", "locality", "region", "postalCode", "country",
    "groups", "entitlements", "roles", "x509Certificates", "value", "display", "type", "primary",
    "$ref",
    // Group (§4.2) and EnterpriseUser (§4.3).
    "members", "employeeNumber", "costCenter", "organization", "division", "department", "manager",
    // ListResponse (RFC 7644 §3.4.2, RFC 9865 §2), Error (§3.12), PatchOp (§3.5.2).
    "totalResults", "Resources", "startIndex", "itemsPerPage", "nextCursor", "previousCursor",
    "status", "scimType", "detail", "Operations", "op", "path",
    // SearchRequest (§3.4.3) and Bulk (§3.7).
    "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "count", "cursor",
    "failOnErrors", "method", "bulkId", "data", "response",
    // ServiceProviderConfig (RFC 7643 §5, RFC 9865 §4), ResourceType (§6), Schema (§7).
    "documentationUri", "patch", "bulk", "changePassword", "sort", "etag", "supported",
    "maxOperations", "maxPayloadSize", "maxResults", "authenticationSchemes", "description",
    "specUri", "pagination", "index", "defaultPaginationMethod", "defaultPageSize", "maxPageSize",
    "cursorTimeout", "endpoint", "schema", "schemaExtensions", "required", "subAttributes",
    "multiValued", "canonicalValues", "caseExact", "mutability", "returned", "uniqueness",
    "referenceTypes",
];

/// Schema URNs a response may use as keys; other `urn:` keys hold custom extensions, whose
/// attribute names are the extension's own business.
const KNOWN_EXTENSION_URNS: &[&str] = &[urn::ENTERPRISE_USER];

fn canonical_attribute_names(input: &RuleInput<'_>, found: &mut Found) {
    let Some(body) = input.body else { return };
    walk(body, "", None, &mut |pointer, key, _| {
        let Some(key) = key else { return true };
        if starts_with_ignore_case(key, "urn:") {
            let Some(canonical) = KNOWN_EXTENSION_URNS
                .iter()
                .find(|urn| urn.eq_ignore_ascii_case(key))
            else {
                return false;
            };
            if key != *canonical {
                found.at(pointer, format!("`{key}` is spelled `{canonical}`"));
            }
            return true;
        }
        if let Some(canonical) = CANONICAL_NAMES
            .iter()
            .find(|name| name.eq_ignore_ascii_case(key) && **name != key)
        {
            found.at(pointer, format!("`{key}` is spelled `{canonical}`"));
        }
        true
    });
}

fn single_primary(input: &RuleInput<'_>, found: &mut Found) {
    let Some(body) = input.body else { return };
    walk(body, "", None, &mut |pointer, _, value| {
        if let Value::Array(items) = value {
            let primaries = items
                .iter()
                .filter(|item| {
                    item.as_object().and_then(|o| member(o, "primary")) == Some(&Value::Bool(true))
                })
                .count();
            if primaries > 1 {
                found.at(
                    pointer,
                    format!("{primaries} values have \"primary\": true; at most one may"),
                );
            }
        }
        true
    });
}

fn date_times(input: &RuleInput<'_>, found: &mut Found) {
    for (pointer, resource) in documents(input.body) {
        let Some(Value::Object(meta)) = member(resource, "meta") else {
            continue;
        };
        let mut parse = |name: &str| {
            let value = member(meta, name).filter(|value| !value.is_null())?;
            let parsed = value.as_str().and_then(parse_scim_date_time);
            if parsed.is_none() {
                found.at(
                    format!("{pointer}/meta/{name}"),
                    format!("{value} is not a date-time with both date and time, e.g. 2008-01-23T04:56:22Z"),
                );
            }
            parsed
        };
        let created = parse("created");
        let last_modified = parse("lastModified");
        if let (Some(created), Some(last_modified)) = (created, last_modified)
            && last_modified < created
        {
            found.at(
                format!("{pointer}/meta/lastModified"),
                format!("lastModified {last_modified} is before created {created}"),
            );
        }
    }
}

fn schemas_urns(input: &RuleInput<'_>, found: &mut Found) {
    for (pointer, resource) in documents(input.body) {
        let schemas_pointer = format!("{pointer}/schemas");
        let listed: Vec<&str> = match member(resource, "schemas") {
            None | Some(Value::Null) => {
                found.at(pointer.as_str(), "`schemas` is missing");
                continue;
            }
            Some(Value::Array(items)) if !items.is_empty() => {
                let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                if strings.len() != items.len() {
                    found.at(
                        schemas_pointer.as_str(),
                        "`schemas` holds a non-string value",
                    );
                }
                strings
            }
            Some(other) => {
                found.at(
                    schemas_pointer.as_str(),
                    format!("`schemas` must be a non-empty array of URIs, found {other}"),
                );
                continue;
            }
        };
        for (index, urn) in listed.iter().enumerate() {
            if listed[..index]
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(urn))
            {
                found.at(
                    schemas_pointer.as_str(),
                    format!("`schemas` lists {urn} twice"),
                );
            }
        }
        for key in resource.keys() {
            if starts_with_ignore_case(key, "urn:")
                && !listed.iter().any(|urn| urn.eq_ignore_ascii_case(key))
            {
                found.at(
                    child(&pointer, key),
                    format!("extension data under {key} but `schemas` does not list it"),
                );
            }
        }
    }
}

fn id_present(input: &RuleInput<'_>, found: &mut Found) {
    if !(200..300).contains(&input.status) {
        return;
    }
    for (pointer, resource) in documents(input.body) {
        // Messages have no id, and a ResourceType's is OPTIONAL (RFC 7643 §6); ServiceProviderConfig has none.
        if names_any(resource, |urn| {
            starts_with_ignore_case(urn, "urn:ietf:params:scim:api:messages:")
                || urn.eq_ignore_ascii_case(urn::SERVICE_PROVIDER_CONFIG)
                || urn.eq_ignore_ascii_case(urn::RESOURCE_TYPE)
        }) {
            continue;
        }
        match member(resource, "id") {
            Some(Value::String(id)) if id == "bulkId" => found.at(
                format!("{pointer}/id"),
                "\"bulkId\" is reserved and must not be an id",
            ),
            Some(Value::String(id)) if !id.is_empty() => {}
            Some(other) => found.at(
                format!("{pointer}/id"),
                format!("id must be a non-empty string, found {other}"),
            ),
            None => found.at(pointer.as_str(), "the resource has no id"),
        }
    }
}

fn location_matches_meta(input: &RuleInput<'_>, found: &mut Found) {
    let meta_location = input.meta("location");
    let location = input.header("location");
    if input.status == 201 {
        if location.is_none() {
            found.at("", "a 201 Created response has no Location header");
        }
        if input.object().is_some() && meta_location.is_none() {
            found.at("", "the created resource has no meta.location");
        }
    }
    let Some(meta_location) = meta_location else {
        return;
    };
    let headers = [
        ("Location", location.filter(|_| input.status == 201)),
        ("Content-Location", input.header("content-location")),
    ];
    for (header, value) in headers {
        if let Some(value) = value
            && resolve(input.request_url, value) != resolve(input.request_url, meta_location)
        {
            found.at(
                "/meta/location",
                format!("{header} header {value:?} differs from meta.location {meta_location:?}"),
            );
        }
    }
}

fn etag_matches_version(input: &RuleInput<'_>, found: &mut Found) {
    let version = input.meta("version");
    if let (Some(etag), Some(version)) = (input.header("etag"), version)
        && etag.trim() != version
    {
        found.at(
            "/meta/version",
            format!("ETag header {etag:?} differs from meta.version {version:?}"),
        );
    }
}

fn password_never_returned(input: &RuleInput<'_>, found: &mut Found) {
    let Some(body) = input.body else { return };
    walk(body, "", None, &mut |pointer, key, value| {
        if key.is_some_and(|key| key.eq_ignore_ascii_case("password")) && !value.is_null() {
            found.at(
                pointer,
                "password is returned; it is writeOnly and returned never",
            );
        }
        true
    });
}

fn error_status_matches(input: &RuleInput<'_>, found: &mut Found) {
    let is_error_body = input
        .object()
        .is_some_and(|body| names_any(body, |urn| urn.eq_ignore_ascii_case(urn::ERROR)));
    if input.status < 400 && !is_error_body {
        return;
    }
    let expected = input.status.to_string();
    let Some(body) = input.object() else {
        found.at(
            "",
            format!("the {expected} response has no SCIM error body"),
        );
        return;
    };
    match member(body, "status") {
        Some(Value::String(status)) if *status == expected => {}
        Some(Value::String(status)) => found.at(
            "/status",
            format!("status {status:?} differs from the HTTP status {expected}"),
        ),
        // Okta's documentation shows numeric statuses; the RFC's examples are strings.
        Some(Value::Number(number)) if number.to_string() == expected => found.lenient(
            "/status",
            format!("status is the number {number}; it must be the string \"{expected}\""),
        ),
        Some(Value::Number(number)) => found.at(
            "/status",
            format!("status is the number {number}; it must be the string \"{expected}\""),
        ),
        Some(other) => found.at(
            "/status",
            format!("status must be the string \"{expected}\", found {other}"),
        ),
        None => found.at(
            "",
            format!("the error body has no status (expected \"{expected}\")"),
        ),
    }
}

fn list_response_consistent(input: &RuleInput<'_>, found: &mut Found) {
    let Some(list) = list_response(input) else {
        return;
    };
    let resources = list.resources;
    let integer = |name: &str| member(list.body, name).and_then(Value::as_u64);
    let count = resources.len() as u64;
    let items_per_page = integer("itemsPerPage");
    if let Some(items_per_page) = items_per_page
        && items_per_page != count
    {
        found.at(
            "/itemsPerPage",
            format!("itemsPerPage is {items_per_page} but Resources holds {count}"),
        );
    }
    if let Some(total) = integer("totalResults") {
        let first = integer("startIndex").unwrap_or(1).max(1);
        // The target chose startIndex: saturate rather than overflow.
        let last = (first - 1).saturating_add(count);
        if count > 0 && total < last {
            found.at(
                "/totalResults",
                format!("totalResults is {total} but this page reaches result {last}"),
            );
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, resource) in resources.iter().enumerate() {
        let Some(id) = resource
            .as_object()
            .and_then(|resource| member(resource, "id"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if let Some(first) = seen.insert(id, index) {
            found.at(
                format!("{}/{index}/id", list.pointer),
                format!("id {id:?} is also listed at {}/{first}", list.pointer),
            );
        }
    }
}

fn count_respected(input: &RuleInput<'_>, found: &mut Found) {
    if !input.is_url_query() {
        return;
    }
    let (Some(list), Some(count)) = (list_response(input), input.query("count")) else {
        return;
    };
    let Ok(count) = count.trim().parse::<i64>() else {
        return;
    };
    // "A negative value SHALL be interpreted as 0" (RFC 7644 §3.4.2.4).
    let count = count.max(0).unsigned_abs();
    let returned = list.resources.len() as u64;
    if returned > count {
        found.at(
            list.pointer,
            format!("count={count} was asked for but {returned} resources came back"),
        );
    }
    if let Some(items_per_page) = member(list.body, "itemsPerPage").and_then(Value::as_u64)
        && items_per_page > count
    {
        found.at(
            "/itemsPerPage",
            format!("count={count} was asked for but itemsPerPage is {items_per_page}"),
        );
    }
}

fn cursor_first_page(input: &RuleInput<'_>, found: &mut Found) {
    if !input.is_url_query() {
        return;
    }
    let Some(list) = list_response(input) else {
        return;
    };
    let cursor = input.query("cursor");
    if cursor.as_deref().is_some_and(|cursor| !cursor.is_empty()) {
        return;
    }
    if member(list.body, "previousCursor").is_some_and(|cursor| !cursor.is_null()) {
        found.at(
            "/previousCursor",
            "the first page must not carry previousCursor",
        );
    }
    // Only a cursor request promises a cursor answer; an index-paged query owes none.
    let returned = list.resources.len() as u64;
    let more = member(list.body, "totalResults")
        .and_then(Value::as_u64)
        .filter(|total| *total > returned);
    if let (Some(_), Some(total)) = (cursor, more)
        && member(list.body, "nextCursor").is_none_or(Value::is_null)
    {
        found.at(
            "",
            format!(
                "totalResults is {total} but the first page holds {returned} and has no nextCursor"
            ),
        );
    }
}

fn content_type_scim(input: &RuleInput<'_>, found: &mut Found) {
    let Some(content_type) = input.header("content-type") else {
        if input.body.is_some() {
            found.at("", "the JSON body has no Content-Type header");
        }
        return;
    };
    let mut parts = content_type.split(';');
    let media_type = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type != urn::MEDIA_TYPE && media_type != "application/json" {
        found.at(
            "",
            format!("Content-Type {content_type:?} is not {}", urn::MEDIA_TYPE),
        );
    }
    for parameter in parts {
        if let Some((key, value)) = parameter.split_once('=')
            && key.trim().eq_ignore_ascii_case("charset")
        {
            let charset = value.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                found.at("", format!("charset {charset} is not UTF-8"));
            }
        }
    }
}

fn www_authenticate(input: &RuleInput<'_>, found: &mut Found) {
    if input.status == 401
        && input
            .header("www-authenticate")
            .is_none_or(|value| value.trim().is_empty())
    {
        found.at("", "a 401 response has no WWW-Authenticate challenge");
    }
}

/// A ListResponse body: the message itself, its `Resources` (empty when absent) and their pointer.
struct ListResponse<'a> {
    body: &'a Map<String, Value>,
    resources: &'a [Value],
    pointer: String,
}

fn list_response<'a>(input: &RuleInput<'a>) -> Option<ListResponse<'a>> {
    let body = input.body?.as_object()?;
    let resources = body
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("Resources"));
    let is_list =
        resources.is_some() || names_any(body, |urn| urn.eq_ignore_ascii_case(urn::LIST_RESPONSE));
    if !is_list {
        return None;
    }
    let (pointer, resources) = match resources {
        Some((key, Value::Array(items))) => (child("", key), items.as_slice()),
        _ => ("/Resources".to_owned(), &[][..]),
    };
    Some(ListResponse {
        body,
        resources,
        pointer,
    })
}

/// The body's root object and, for a ListResponse, each object in `Resources`, with pointers.
fn documents(body: Option<&Value>) -> Vec<(String, &Map<String, Value>)> {
    let Some(root) = body.and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut documents = vec![(String::new(), root)];
    if let Some((key, Value::Array(items))) = root
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("Resources"))
    {
        let list_pointer = child("", key);
        documents.extend(items.iter().enumerate().filter_map(|(index, item)| {
            Some((format!("{list_pointer}/{index}"), item.as_object()?))
        }));
    }
    documents
}

/// Whether the object's `schemas` names a URN that satisfies `test`.
fn names_any(object: &Map<String, Value>, test: impl Fn(&str) -> bool) -> bool {
    member(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| schemas.iter().filter_map(Value::as_str).any(test))
}

/// Visits every value depth-first with its pointer and, for object members, its key; `visit`
/// returns whether to descend into the value.
fn walk(
    value: &Value,
    pointer: &str,
    key: Option<&str>,
    visit: &mut dyn FnMut(&str, Option<&str>, &Value) -> bool,
) {
    if !visit(pointer, key, value) {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                walk(value, &child(pointer, key), Some(key), visit);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                walk(value, &format!("{pointer}/{index}"), None, visit);
            }
        }
        _ => {}
    }
}

/// `pointer` extended by an object key, escaped as RFC 6901 requires.
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A URI reference resolved against the request URL, so that a relative Location header
/// (RFC 9110 §10.2.2) compares equal to an absolute meta.location.
fn resolve(base: &str, reference: &str) -> String {
    Url::parse(base)
        .and_then(|base| base.join(reference))
        .map(String::from)
        .unwrap_or_else(|_| reference.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_differ_by_more_than_case() {
        for (index, name) in CANONICAL_NAMES.iter().enumerate() {
            assert!(
                !CANONICAL_NAMES[..index]
                    .iter()
                    .any(|seen| seen.eq_ignore_ascii_case(name)),
                "{name} is listed twice, or twice with different case"
            );
        }
    }

    #[test]
    fn pointers_escape_keys() {
        assert_eq!(child("", "a/b~c"), "/a~1b~0c");
        assert_eq!(child("/x", "$ref"), "/x/$ref");
    }
}
