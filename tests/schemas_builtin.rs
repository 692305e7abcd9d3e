//! Every built-in schema accepts the RFC's own example figures and rejects hand-made bad documents
//! at the expected place.

use std::sync::OnceLock;

use scimcheck::check::schema::{SchemaRegistry, SchemaViolation};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

fn registry() -> &'static SchemaRegistry {
    static REGISTRY: OnceLock<SchemaRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| SchemaRegistry::builtin().expect("built-in schemas compile"))
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/schemas_fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[track_caller]
fn assert_valid(schema: &str, doc: &Value) {
    let violations = registry().validate(schema, doc);
    assert!(
        violations.is_empty(),
        "{schema} rejected a good document: {violations:#?}"
    );
}

/// Asserts a violation at `pointer` whose message contains `needle`, and returns it.
#[track_caller]
fn assert_fails_at(schema: &str, doc: &Value, pointer: &str, needle: &str) -> SchemaViolation {
    let violations = registry().validate(schema, doc);
    violations
        .iter()
        .find(|v| v.instance_pointer == pointer && v.message.contains(needle))
        .cloned()
        .unwrap_or_else(|| {
            panic!("{schema}: expected a violation at {pointer:?} mentioning {needle:?}, got {violations:#?}")
        })
}

/// A copy of `doc` with `pointer` set to `value` (the parent must exist).
fn with(doc: &Value, pointer: &str, value: Value) -> Value {
    let mut doc = doc.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let parent = doc.pointer_mut(parent).expect("parent exists");
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("parent of {pointer} is not a container"),
    }
    doc
}

fn without(doc: &Value, pointer: &str) -> Value {
    let mut doc = doc.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    doc.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent is an object")
        .remove(key);
    doc
}

#[test]
fn registry_lists_every_schema_but_the_case_format() {
    let names: Vec<&str> = registry().names().collect();
    assert_eq!(
        names,
        [
            "bulk-request",
            "bulk-response",
            "enterprise-user",
            "error",
            "error-compat",
            "group",
            "list-response",
            "list-response-cursor",
            "patch-op",
            "resource",
            "resource-type",
            "scim-schema",
            "search-request",
            "service-provider-config",
            "user",
        ]
    );
    assert!(registry().contains("user"));
    assert!(!registry().contains("case"));
}

#[test]
fn registry_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaRegistry>();
}

#[test]
fn unknown_schema_name_is_a_violation_not_a_pass() {
    let violations = registry().validate("usr", &json!({}));
    assert_eq!(violations.len(), 1);
    assert!(violations[0].message.contains("no schema named `usr`"));
}

#[test]
fn violation_display_and_basis() {
    let user = fixture("rfc7643-8.2-full-user.json");
    let bad = with(&user, "/emails/0/primary", json!("False"));
    let violation = assert_fails_at("user", &bad, "/emails/0/primary", "\"False\"");
    assert_eq!(
        violation.to_string(),
        r#"at /emails/0/primary: "False" is not of types "null", "boolean""#
    );
    assert_eq!(
        violation.schema_pointer,
        "schemas/resource.schema.json#/$defs/boolean/type"
    );
    let basis = registry().basis(&violation).expect("annotated");
    assert_eq!(basis.to_string(), "RFC 7643 §2.3.2 (MUST)");

    let root = assert_fails_at("user", &without(&user, "/schemas"), "", "\"schemas\"");
    assert_eq!(
        root.to_string(),
        r#"at (root): "schemas" is a required property"#
    );
}

#[test]
fn user_accepts_rfc_examples() {
    assert_valid("user", &fixture("rfc7643-8.2-full-user.json"));
    assert_valid("user", &fixture("rfc7643-8.3-enterprise-user.json"));
    // RFC 7643 §8.1 minimal user, and Entra's create body with nulls and empty arrays (§2.5).
    assert_valid(
        "user",
        &json!({"schemas": [USER], "id": "2819c223", "userName": "bjensen@example.com",
                "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                         "lastModified": "2011-05-13T04:42:34.123+02:00", "version": "W/\"3694e05e9dff590\"",
                         "location": "https://example.com/v2/Users/2819c223"}}),
    );
    assert_valid(
        "user",
        &json!({"schemas": [USER, ENTERPRISE], "userName": "u", "title": null, "addresses": null,
                "roles": [], "active": true, "customAttribute": {"anything": 1},
                ENTERPRISE: {"manager": null}}),
    );
}

#[test]
fn user_rejects_bad_documents() {
    let user = fixture("rfc7643-8.2-full-user.json");
    assert_fails_at(
        "user",
        &without(&user, "/schemas"),
        "",
        "\"schemas\" is a required property",
    );
    assert_fails_at(
        "user",
        &with(&user, "/schemas", json!([])),
        "/schemas",
        "[] has less than 1 item",
    );
    assert_fails_at(
        "user",
        &with(&user, "/schemas", json!([USER, USER])),
        "/schemas",
        "non-unique",
    );
    assert_fails_at(
        "user",
        &with(&user, "/schemas", json!([GROUP])),
        "/schemas",
        &format!("does not contain \"{USER}\""),
    );
    assert_fails_at(
        "user",
        &without(&user, "/userName"),
        "",
        "\"userName\" is a required property",
    );
    assert_fails_at(
        "user",
        &with(&user, "/active", json!("False")),
        "/active",
        "\"False\" is not of types",
    );
    assert_fails_at(
        "user",
        &with(&user, "/emails/1/primary", json!(true)),
        "/emails",
        "more than one value has \"primary\": true",
    );
    assert_fails_at(
        "user",
        &with(&user, "/meta/created", json!("2020-01-01")),
        "/meta/created",
        "is not a \"scim-date-time\"",
    );
    assert_fails_at(
        "user",
        &with(&user, "/meta/lastModified", json!("2020-01-01T10:00:00")),
        "/meta/lastModified",
        "is not a \"scim-date-time\"",
    );
    assert_fails_at(
        "user",
        &with(&user, "/meta/location", json!("not a uri")),
        "/meta/location",
        "uri-reference",
    );
    assert_fails_at("user", &with(&user, "/id", json!("")), "/id", "shorter");
    assert_fails_at(
        "user",
        &with(&user, "/id", json!("bulkId")),
        "/id",
        "bulkId",
    );
    assert_fails_at(
        "user",
        &with(&user, "/x509Certificates/0/value", json!("not base64!")),
        "/x509Certificates/0/value",
        "does not match",
    );
    assert_fails_at(
        "user",
        &with(&user, "/groups/0/$ref", json!(42)),
        "/groups/0/$ref",
        "42 is not of types",
    );
    assert_fails_at(
        "user",
        &with(&user, "/name", json!("Barbara Jensen")),
        "/name",
        "is not of types",
    );
}

#[test]
fn extension_data_needs_its_urn_in_schemas() {
    let user = fixture("rfc7643-8.3-enterprise-user.json");
    let violation = assert_fails_at(
        "user",
        &with(&user, "/schemas", json!([USER])),
        "/schemas",
        &format!("does not contain \"{ENTERPRISE}\""),
    );
    assert!(violation.schema_pointer.contains("dependentSchemas"));
    let manager = format!("/{ENTERPRISE}/manager/$ref");
    assert_fails_at(
        "user",
        &with(&user, &manager, json!(7)),
        &manager,
        "7 is not of types",
    );
    let employee = format!("/{ENTERPRISE}/employeeNumber");
    assert_fails_at(
        "user",
        &with(&user, &employee, json!(701984)),
        &employee,
        "701984",
    );
    // Non-object extension data.
    let key = format!("/{ENTERPRISE}");
    assert_fails_at(
        "user",
        &with(&user, &key, json!("x")),
        &key,
        "is not of types",
    );
}

#[test]
fn enterprise_user_extension_object() {
    let user = fixture("rfc7643-8.3-enterprise-user.json");
    let extension = &user[ENTERPRISE];
    assert_valid("enterprise-user", extension);
    assert_fails_at(
        "enterprise-user",
        &with(extension, "/manager/$ref", json!(false)),
        "/manager/$ref",
        "false is not of types",
    );
    assert_fails_at(
        "enterprise-user",
        &with(extension, "/costCenter", json!(["4130"])),
        "/costCenter",
        "is not of types",
    );
}

#[test]
fn group_with_members_ref() {
    let group = fixture("rfc7643-8.4-group.json");
    assert_valid("group", &group);
    // Entra adds members with "$ref": null (RFC 7643 §2.5: null is unassigned).
    assert_valid("group", &with(&group, "/members/0/$ref", Value::Null));
    assert_fails_at(
        "group",
        &with(&group, "/members/1/$ref", json!({"$ref": "#"})),
        "/members/1/$ref",
        "is not of types",
    );
    assert_fails_at(
        "group",
        &with(&group, "/members/1/$ref", json!("http://exa mple.com/ bad")),
        "/members/1/$ref",
        "uri-reference",
    );
    assert_fails_at(
        "group",
        &without(&group, "/displayName"),
        "",
        "\"displayName\" is a required property",
    );
    assert_fails_at(
        "group",
        &with(&group, "/members", json!({"value": "x"})),
        "/members",
        "is not of types",
    );
}

#[test]
fn service_provider_config() {
    let spc = fixture("rfc7643-8.5-service-provider-config.json");
    assert_valid("service-provider-config", &spc);
    let paginated = with(
        &spc,
        "/pagination",
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "cursor",
               "defaultPageSize": 100, "maxPageSize": 250, "cursorTimeout": 3600}),
    );
    assert_valid("service-provider-config", &paginated);
    assert_valid(
        "service-provider-config",
        &with(&spc, "/pagination", json!({"cursor": false, "index": true})),
    );
    assert_fails_at(
        "service-provider-config",
        &with(&spc, "/pagination", json!({"cursor": true})),
        "/pagination",
        "\"index\" is a required property",
    );
    assert_fails_at(
        "service-provider-config",
        &with(
            &paginated,
            "/pagination/defaultPaginationMethod",
            json!("offset"),
        ),
        "/pagination/defaultPaginationMethod",
        "offset",
    );
    assert_fails_at(
        "service-provider-config",
        &with(&paginated, "/pagination/maxPageSize", json!(0)),
        "/pagination/maxPageSize",
        "less than the minimum",
    );
    assert_fails_at(
        "service-provider-config",
        &without(&spc, "/etag"),
        "",
        "\"etag\" is a required property",
    );
    assert_fails_at(
        "service-provider-config",
        &with(&spc, "/patch/supported", json!("true")),
        "/patch/supported",
        "is not of type \"boolean\"",
    );
    assert_fails_at(
        "service-provider-config",
        &without(&spc, "/bulk/maxOperations"),
        "/bulk",
        "\"maxOperations\" is a required property",
    );
    assert_fails_at(
        "service-provider-config",
        &without(&spc, "/authenticationSchemes/1/description"),
        "/authenticationSchemes/1",
        "\"description\" is a required property",
    );
    assert_fails_at(
        "service-provider-config",
        &with(&spc, "/authenticationSchemes/1/primary", json!(true)),
        "/authenticationSchemes",
        "more than one value has \"primary\": true",
    );
}

#[test]
fn resource_type() {
    let types = fixture("rfc7643-8.6-resource-types.json");
    let user_type = &types[0];
    assert_valid("resource-type", user_type);
    assert_valid("resource-type", &types[1]);
    assert_fails_at(
        "resource-type",
        &without(user_type, "/endpoint"),
        "",
        "\"endpoint\" is a required property",
    );
    assert_fails_at(
        "resource-type",
        &with(user_type, "/schemaExtensions/0/required", json!("true")),
        "/schemaExtensions/0/required",
        "is not of type \"boolean\"",
    );
    assert_fails_at(
        "resource-type",
        &without(user_type, "/schemaExtensions/0/required"),
        "/schemaExtensions/0",
        "\"required\" is a required property",
    );
    assert_fails_at(
        "resource-type",
        &with(user_type, "/schema", json!("User")),
        "/schema",
        "is not a \"uri\"",
    );
}

#[test]
fn scim_schema_resource() {
    let schemas = fixture("rfc7643-8.7.1-schemas-trimmed.json");
    for schema in schemas.as_array().expect("array") {
        assert_valid("scim-schema", schema);
    }
    let user_schema = &schemas[0];
    assert_fails_at(
        "scim-schema",
        &with(user_schema, "/attributes/0/type", json!("text")),
        "/attributes/0/type",
        "\"text\" is not one of",
    );
    assert_fails_at(
        "scim-schema",
        &with(
            user_schema,
            "/attributes/1/subAttributes/0/mutability",
            json!("readwrite"),
        ),
        "/attributes/1/subAttributes/0/mutability",
        "\"readwrite\" is not one of",
    );
    assert_fails_at(
        "scim-schema",
        &with(user_schema, "/attributes/0/multiValued", json!("false")),
        "/attributes/0/multiValued",
        "is not of type \"boolean\"",
    );
    assert_fails_at(
        "scim-schema",
        &without(user_schema, "/id"),
        "",
        "\"id\" is a required property",
    );
}

fn rfc_list_response() -> Value {
    // RFC 7644 §3.4.2.
    json!({"schemas": [LIST], "totalResults": 2,
           "Resources": [{"id": "2819c223-7f76-453a-919d-413861904646", "userName": "Smith"},
                         {"id": "c75ad752-64ae-4823-840d-ffa80929976c", "userName": "Jones"}]})
}

#[test]
fn list_response_index_paging() {
    let list = rfc_list_response();
    assert_valid("list-response", &list);
    // RFC 7644 §3.4.3 POST query response, paged.
    assert_valid(
        "list-response",
        &json!({"schemas": [LIST], "totalResults": 100, "itemsPerPage": 10, "startIndex": 1,
                "Resources": [{"id": "2819c223-7f76-413861904646", "userName": "jsmith", "displayName": "Smith, James"}]}),
    );
    assert_valid(
        "list-response",
        &json!({"schemas": [LIST], "totalResults": 0, "Resources": []}),
    );
    // count=0: totalResults only.
    assert_valid(
        "list-response",
        &json!({"schemas": [LIST], "totalResults": 5, "itemsPerPage": 0, "startIndex": 1}),
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/totalResults", json!("3")),
        "/totalResults",
        "\"3\" is not of type \"integer\"",
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/totalResults", json!(2.5)),
        "/totalResults",
        "is not of type \"integer\"",
    );
    assert_fails_at(
        "list-response",
        &without(&list, "/totalResults"),
        "",
        "\"totalResults\" is a required property",
    );
    assert_fails_at(
        "list-response",
        &without(&list, "/Resources"),
        "",
        "\"Resources\" is a required property",
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/startIndex", json!(0)),
        "/startIndex",
        "less than the minimum",
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/itemsPerPage", json!("2")),
        "/itemsPerPage",
        "is not of type \"integer\"",
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/schemas", json!([USER])),
        "/schemas",
        "does not contain",
    );
    assert_fails_at(
        "list-response",
        &with(&list, "/Resources/1", json!("Jones")),
        "/Resources/1",
        "is not of type \"object\"",
    );
}

#[test]
fn list_response_cursor_paging() {
    let page = json!({"schemas": [LIST], "itemsPerPage": 1, "nextCursor": "VZUTiyhEQJ94IR",
                      "Resources": [{"id": "a"}]});
    // RFC 9865 §2: a provider that cannot estimate totalResults may omit it on cursor pages.
    assert_valid("list-response", &page);
    assert_valid("list-response-cursor", &page);
    let last = json!({"schemas": [LIST], "itemsPerPage": 1, "Resources": [{"id": "b"}]});
    assert_valid("list-response-cursor", &last);
    assert_fails_at(
        "list-response",
        &last,
        "",
        "\"totalResults\" is a required property",
    );
    assert_fails_at(
        "list-response-cursor",
        &with(&page, "/nextCursor", json!("a b/c")),
        "/nextCursor",
        "does not match",
    );
    assert_fails_at(
        "list-response",
        &with(&page, "/previousCursor", json!("")),
        "/previousCursor",
        "does not match",
    );
    assert_fails_at(
        "list-response-cursor",
        &with(&page, "/prevCursor", json!("abc")),
        "/prevCursor",
        "the name is previousCursor",
    );
}

fn rfc_error() -> Value {
    // RFC 7644 §3.12.
    json!({"schemas": [ERROR], "detail": "Resource 2819c223-7f76-453a-919d-413861904646 not found",
           "status": "404"})
}

#[test]
fn error_strict_and_compat() {
    let error = rfc_error();
    assert_valid("error", &error);
    let mutability = json!({"schemas": [ERROR], "scimType": "mutability",
                            "detail": "Attribute 'id' is readOnly", "status": "400"});
    assert_valid("error", &mutability);
    assert_valid(
        "error",
        &with(&mutability, "/scimType", json!("invalidCursor")),
    );
    assert_valid("error-compat", &error);

    let numeric = with(&error, "/status", json!(404));
    let violation = assert_fails_at(
        "error",
        &numeric,
        "/status",
        "404 is not of type \"string\"",
    );
    assert_eq!(
        violation.schema_pointer,
        "schemas/error.schema.json#/properties/status/type"
    );
    assert_valid("error-compat", &numeric);

    for schema in ["error", "error-compat"] {
        assert_fails_at(
            schema,
            &with(&error, "/status", json!("4040")),
            "/status",
            "does not match",
        );
        assert_fails_at(
            schema,
            &with(&error, "/status", json!("Not Found")),
            "/status",
            "does not match",
        );
        assert_fails_at(
            schema,
            &with(&mutability, "/scimType", json!("Mutability")),
            "/scimType",
            "is not one of",
        );
        assert_fails_at(
            schema,
            &without(&error, "/status"),
            "",
            "\"status\" is a required property",
        );
        assert_fails_at(
            schema,
            &with(&error, "/schemas", json!([LIST])),
            "/schemas",
            "does not contain",
        );
    }
    assert_fails_at(
        "error-compat",
        &with(&error, "/status", json!(200)),
        "/status",
        "less than the minimum",
    );
    assert_fails_at(
        "error-compat",
        &with(&error, "/status", json!(404.5)),
        "/status",
        "is not of types",
    );
}

#[test]
fn patch_op() {
    let member = json!({"display": "Babs Jensen",
                        "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
                        "value": "2819c223-7f76-453a-919d-413861904646"});
    // RFC 7644 §3.5.2.1 – §3.5.2.3.
    let examples = [
        json!([{"op": "add", "path": "members", "value": [member]}]),
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}]),
        json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]),
        json!([{"op": "remove", "path": "members"}]),
        json!([{"op": "remove", "path": "members"}, {"op": "add", "path": "members", "value": [member]}]),
        json!([{"op": "replace", "path": "members", "value": [member]}]),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
        json!([{"op": "replace", "value": {"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}], "nickname": "Babs"}}]),
    ];
    for operations in examples {
        assert_valid(
            "patch-op",
            &json!({"schemas": [PATCH], "Operations": operations}),
        );
    }
    let patch = |operations: Value| json!({"schemas": [PATCH], "Operations": operations});
    assert_fails_at(
        "patch-op",
        &patch(json!([])),
        "/Operations",
        "[] has less than 1 item",
    );
    assert_fails_at(
        "patch-op",
        &json!({"schemas": [PATCH], "operations": [{"op": "add", "path": "x", "value": 1}]}),
        "",
        "\"Operations\" is a required property",
    );
    assert_fails_at(
        "patch-op",
        &patch(json!([{"op": "Replace", "path": "active", "value": false}])),
        "/Operations/0/op",
        "\"Replace\" is not one of",
    );
    assert_fails_at(
        "patch-op",
        &patch(json!([{"op": "remove"}])),
        "/Operations/0",
        "\"path\" is a required property",
    );
    assert_fails_at(
        "patch-op",
        &patch(json!([{"op": "add", "path": "nickName"}])),
        "/Operations/0",
        "\"value\" is a required property",
    );
    assert_fails_at(
        "patch-op",
        &patch(json!([{"op": "replace", "value": "Babs"}])),
        "/Operations/0/value",
        "is not of type \"object\"",
    );
    assert_fails_at(
        "patch-op",
        &patch(json!([{"path": "x", "value": 1}])),
        "/Operations/0",
        "\"op\" is a required property",
    );
}

#[test]
fn search_request() {
    // RFC 7644 §3.4.3, and RFC 9865 §3 with an empty first cursor.
    let search = json!({"schemas": [SEARCH], "attributes": ["displayName", "userName"],
                        "filter": "displayName sw \"smith\"", "startIndex": 1, "count": 10});
    assert_valid("search-request", &search);
    assert_valid(
        "search-request",
        &json!({"schemas": [SEARCH], "filter": "userName sw \"J\"", "cursor": "", "count": 10}),
    );
    assert_fails_at(
        "search-request",
        &with(&search, "/attributes", json!("displayName")),
        "/attributes",
        "is not of type \"array\"",
    );
    assert_fails_at(
        "search-request",
        &with(&search, "/sortOrder", json!("desc")),
        "/sortOrder",
        "is not one of",
    );
    assert_fails_at(
        "search-request",
        &with(&search, "/count", json!("10")),
        "/count",
        "is not of type \"integer\"",
    );
    assert_fails_at(
        "search-request",
        &with(&search, "/cursor", json!("a+b")),
        "/cursor",
        "does not match",
    );
    assert_fails_at(
        "search-request",
        &with(&search, "/schemas", json!([LIST])),
        "/schemas",
        "does not contain",
    );
}

fn rfc_bulk_request() -> Value {
    // RFC 7644 §3.7.1 (core User URN corrected).
    json!({"schemas": [BULK_REQUEST], "failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "qwerty",
         "data": {"schemas": [USER], "userName": "Alice"}},
        {"method": "PUT", "path": "/Users/b7c14771-226c-4d05-8860-134711653041",
         "version": "W/\"3694e05e9dff591\"",
         "data": {"schemas": [USER], "id": "b7c14771-226c-4d05-8860-134711653041", "userName": "Bob"}},
        {"method": "PATCH", "path": "/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc",
         "version": "W/\"edac3253e2c0ef2\"",
         "data": {"schemas": [PATCH], "Operations": [{"op": "remove", "path": "nickName"},
                                                    {"op": "replace", "path": "userName", "value": "Dave"}]}},
        {"method": "DELETE", "path": "/Users/e9025315-6bea-44e1-899c-1e07454e468b",
         "version": "W/\"0ee8add0a938e1a\""}]})
}

#[test]
fn bulk_request() {
    let bulk = rfc_bulk_request();
    assert_valid("bulk-request", &bulk);
    assert_fails_at(
        "bulk-request",
        &without(&bulk, "/Operations/0/bulkId"),
        "/Operations/0",
        "\"bulkId\" is a required property",
    );
    assert_fails_at(
        "bulk-request",
        &without(&bulk, "/Operations/1/data"),
        "/Operations/1",
        "\"data\" is a required property",
    );
    assert_fails_at(
        "bulk-request",
        &with(&bulk, "/Operations/3/method", json!("GET")),
        "/Operations/3/method",
        "is not one of",
    );
    assert_fails_at(
        "bulk-request",
        &with(&bulk, "/failOnErrors", json!(0)),
        "/failOnErrors",
        "less than the minimum",
    );
    assert_fails_at(
        "bulk-request",
        &without(&bulk, "/Operations/2/path"),
        "/Operations/2",
        "\"path\" is a required property",
    );
}

#[test]
fn bulk_response() {
    // RFC 7644 §3.7.3, and the failure example as rewritten by erratum 7916.
    let ok = json!({"schemas": [BULK_RESPONSE], "Operations": [
        {"location": "https://example.com/v2/Users/92b725cd-9465-4e7d-8c16-01f8e146b87a",
         "method": "POST", "bulkId": "qwerty", "version": "W/\"oY4m4wn58tkVjJxK\"", "status": "201"},
        {"location": "https://example.com/v2/Users/b7c14771-226c-4d05-8860-134711653041",
         "method": "PUT", "version": "W/\"huJj29dMNgu3WXPD\"", "status": "200"},
        {"location": "https://example.com/v2/Users/e9025315-6bea-44e1-899c-1e07454e468b",
         "method": "DELETE", "status": "204"}]});
    assert_valid("bulk-response", &ok);
    let failed = json!({"schemas": [BULK_RESPONSE], "Operations": [
        {"method": "POST", "bulkId": "qwerty", "status": "400",
         "response": {"schemas": [ERROR], "scimType": "invalidSyntax",
                      "detail": "Request is unparsable, syntactically incorrect, or violates schema.",
                      "status": "400"}},
        {"location": "https://example.com/v2/Users/b7c14771-226c-4d05-8860-134711653041",
         "method": "PUT", "status": "412",
         "response": {"schemas": [ERROR], "detail": "Failed to update.  Resource changed on the server.",
                      "status": "412"}}]});
    assert_valid("bulk-response", &failed);
    assert_fails_at(
        "bulk-response",
        &with(&ok, "/Operations/0/status", json!(201)),
        "/Operations/0/status",
        "is not of type \"string\"",
    );
    assert_fails_at(
        "bulk-response",
        &without(&ok, "/Operations/1/location"),
        "/Operations/1",
        "\"location\" is a required property",
    );
    assert_fails_at(
        "bulk-response",
        &without(&failed, "/Operations/1/location"),
        "/Operations/1",
        "\"location\" is a required property",
    );
    assert_fails_at(
        "bulk-response",
        &without(&failed, "/Operations/0/response"),
        "/Operations/0",
        "\"response\" is a required property",
    );
    assert_fails_at(
        "bulk-response",
        &with(&failed, "/Operations/0/response/status", json!(400)),
        "/Operations/0/response/status",
        "is not of type \"string\"",
    );
}

#[test]
fn resource_common_attributes() {
    assert_valid(
        "resource",
        &json!({"schemas": ["urn:example:Widget"], "id": "w1", "urn:example:ext": {"x": 1}}),
    );
    assert_fails_at(
        "resource",
        &json!({"schemas": ["urn:example:Widget"], "urn:example:ext": 5}),
        "/urn:example:ext",
        "is not of types",
    );
    assert_fails_at(
        "resource",
        &json!({"schemas": ["not a uri"]}),
        "/schemas/0",
        "is not a \"uri\"",
    );
    assert_fails_at(
        "resource",
        &json!({"schemas": [USER], "meta": {"version": 3}}),
        "/meta/version",
        "is not of types",
    );
}

#[test]
fn every_schema_file_follows_the_conventions() {
    let dir = format!("{}/schemas", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).expect("schemas/ exists") {
        let path = entry.expect("entry").path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        let Some(name) = file_name.strip_suffix(".schema.json") else {
            continue;
        };
        if name == "case" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            doc["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file_name}"
        );
        assert_eq!(
            doc["$id"],
            format!("https://scimcheck.invalid/schemas/{file_name}"),
            "{file_name}"
        );
        assert!(doc["title"].is_string(), "{file_name} has a title");
        let description = doc["description"].as_str().unwrap_or_default();
        assert!(description.contains("RFC "), "{file_name} cites its RFC");
        assert!(
            doc["x-scim-basis"]["section"].is_string(),
            "{file_name} has a basis"
        );
        assert!(registry().contains(name), "{name} is embedded");
    }
}

#[test]
fn scim_date_time_format() {
    let created = |value: &str| {
        let user = json!({"schemas": [USER], "userName": "u", "meta": {"created": value}});
        registry().validate("user", &user).is_empty()
    };
    for good in [
        "2008-01-23T04:56:22Z",
        "2008-01-23T04:56:22.5Z",
        "2008-01-23T04:56:22.123456+05:30",
        "2008-01-23T04:56:22-08:00",
    ] {
        assert!(created(good), "{good} is a SCIM dateTime");
    }
    for bad in [
        "2008-01-23",
        "04:56:22Z",
        "2008-01-23T04:56:22",
        "2008-01-23 04:56",
        "2008-13-23T04:56:22Z",
        "1201064182",
    ] {
        assert!(!created(bad), "{bad} is not a SCIM dateTime");
    }
}
