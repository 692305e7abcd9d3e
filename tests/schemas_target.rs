//! Schemas derived from a target's /Schemas and /ResourceTypes (RFC 7643 §6, §7): the RFC's own
//! §8.7.1 representation plus a custom extension.

use scimcheck::check::schema::{SchemaError, SchemaRegistry};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/schemas_fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn list_response(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST], "totalResults": resources.len(), "Resources": resources})
}

fn attribute(name: &str, kind: &str, extra: Value) -> Value {
    let mut attribute = json!({"name": name, "type": kind, "multiValued": false, "required": false,
                               "caseExact": false, "mutability": "readWrite", "returned": "default",
                               "uniqueness": "none"});
    for (key, value) in extra.as_object().expect("object") {
        attribute[key] = value.clone();
    }
    attribute
}

/// A custom extension exercising every attribute type and the characteristics that matter.
fn acme_schema() -> Value {
    json!({
        "id": ACME, "name": "AcmeUser", "description": "Acme extension",
        "attributes": [
            attribute("badgeNumber", "integer", json!({"required": true})),
            attribute("clearance", "string", json!({"canonicalValues": ["low", "high"]})),
            attribute("hireDate", "dateTime", json!({})),
            attribute("ratio", "decimal", json!({})),
            attribute("photoHash", "binary", json!({})),
            attribute("homepage", "reference", json!({"referenceTypes": ["external"]})),
            attribute("remote", "boolean", json!({})),
            attribute("tags", "string", json!({"multiValued": true})),
            attribute("secret", "string", json!({"returned": "never", "mutability": "writeOnly"})),
            attribute("lastSeen", "dateTime", json!({"required": true, "returned": "request",
                                                     "mutability": "readOnly"})),
            attribute("desk", "complex", json!({"subAttributes": [
                attribute("building", "string", json!({"required": true})),
                attribute("floor", "integer", json!({})),
            ]})),
        ]
    })
}

fn resource_type(name: &str, endpoint: &str, schema: &str, extensions: Value) -> Value {
    json!({"schemas": [RESOURCE_TYPE], "id": name, "name": name, "endpoint": endpoint,
           "schema": schema, "schemaExtensions": extensions})
}

/// RFC 7643 §8.7.1 schemas and §8.6 resource types, as a target would list them.
fn rfc_target() -> SchemaRegistry {
    let schemas = fixture("rfc7643-8.7.1-schemas-trimmed.json");
    let types = fixture("rfc7643-8.6-resource-types.json");
    SchemaRegistry::builtin()
        .expect("built-in schemas compile")
        .with_target_schemas(
            &list_response(as_vec(schemas)),
            &list_response(as_vec(types)),
        )
        .expect("the RFC's own discovery documents derive")
}

/// The RFC schemas plus Acme; User requires Acme and makes the enterprise extension optional.
fn acme_target() -> SchemaRegistry {
    let mut schemas = as_vec(fixture("rfc7643-8.7.1-schemas-trimmed.json"));
    schemas.push(acme_schema());
    let types = vec![
        resource_type(
            "User",
            "/Users",
            USER,
            json!([{"schema": ENTERPRISE, "required": false}, {"schema": ACME, "required": true}]),
        ),
        resource_type("Group", "/Groups", GROUP, Value::Null),
    ];
    SchemaRegistry::builtin()
        .expect("built-in schemas compile")
        .with_target_schemas(&list_response(schemas), &list_response(types))
        .expect("derives")
}

fn as_vec(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other}"),
    }
}

/// The RFC 7643 §8.3 user as a response: no password.
fn response_user() -> Value {
    let mut user = fixture("rfc7643-8.3-enterprise-user.json");
    user.as_object_mut().map(|o| o.remove("password"));
    user
}

fn acme_user() -> Value {
    let mut user = response_user();
    user["schemas"] = json!([USER, ENTERPRISE, ACME]);
    user[ACME] = json!({"badgeNumber": 42, "clearance": "medium", "hireDate": "2010-01-23T04:56:22Z",
                        "ratio": 0.75, "photoHash": "q83vEjRWeJA=", "homepage": "https://acme.example/b",
                        "remote": false, "tags": ["a", "b"], "desk": {"building": "B1", "floor": 3}});
    user
}

#[track_caller]
fn assert_valid(registry: &SchemaRegistry, schema: &str, doc: &Value) {
    let violations = registry.validate(schema, doc);
    assert!(
        violations.is_empty(),
        "{schema} rejected a good document: {violations:#?}"
    );
}

#[track_caller]
fn assert_fails_at(
    registry: &SchemaRegistry,
    schema: &str,
    doc: &Value,
    pointer: &str,
    needle: &str,
) {
    let violations = registry.validate(schema, doc);
    assert!(
        violations
            .iter()
            .any(|v| v.instance_pointer == pointer && v.message.contains(needle)),
        "{schema}: expected a violation at {pointer:?} mentioning {needle:?}, got {violations:#?}"
    );
}

#[test]
fn one_schema_per_resource_type_beside_the_builtin_ones() {
    let registry = rfc_target();
    assert!(registry.contains("target:User"));
    assert!(registry.contains("target:Group"));
    assert!(registry.contains("user"));
    assert_valid(&registry, "target:User", &response_user());
    assert_valid(
        &registry,
        "target:Group",
        &fixture("rfc7643-8.4-group.json"),
    );
    // The derived schema carries its provenance.
    let violation = &registry.validate("target:User", &json!({}))[0];
    assert!(
        violation
            .schema_pointer
            .starts_with("target/User.schema.json#")
            || violation
                .schema_pointer
                .starts_with("schemas/resource.schema.json#"),
        "{violation:?}"
    );
}

#[test]
fn required_attributes_and_extensions() {
    let registry = rfc_target();
    let mut no_user_name = response_user();
    no_user_name.as_object_mut().map(|o| o.remove("userName"));
    assert_fails_at(
        &registry,
        "target:User",
        &no_user_name,
        "",
        "\"userName\" is a required property",
    );
    assert_fails_at(
        &registry,
        "target:Group",
        &json!({"schemas": [GROUP], "id": "g"}),
        "",
        "\"displayName\" is a required property",
    );
    // RFC 7643 §8.6 makes the enterprise extension required for Users.
    let mut plain = fixture("rfc7643-8.2-full-user.json");
    plain.as_object_mut().map(|o| o.remove("password"));
    assert_fails_at(
        &registry,
        "target:User",
        &plain,
        "",
        &format!("\"{ENTERPRISE}\" is a required property"),
    );
    // §8.7.1 marks manager.value and manager.$ref required.
    let mut no_ref = response_user();
    no_ref[ENTERPRISE]["manager"]
        .as_object_mut()
        .map(|o| o.remove("$ref"));
    assert_fails_at(
        &registry,
        "target:User",
        &no_ref,
        &format!("/{ENTERPRISE}/manager"),
        "\"$ref\" is a required property",
    );
}

#[test]
fn returned_never_must_not_appear() {
    let registry = rfc_target();
    let with_password = fixture("rfc7643-8.3-enterprise-user.json");
    assert_fails_at(
        &registry,
        "target:User",
        &with_password,
        "/password",
        "False schema",
    );
}

#[test]
fn attribute_types_are_enforced() {
    let registry = rfc_target();
    let cases = [
        ("/active", json!("False"), "is not of types"),
        ("/emails/0/primary", json!("true"), "is not of types"),
        (
            "/emails/1",
            json!({"value": "babs@jensen.org", "primary": true}),
            "more than one value has \"primary\": true",
        ),
        ("/emails", json!({"value": "a"}), "is not of types"),
        ("/name", json!("Babs"), "is not of types"),
        ("/profileUrl", json!("not a uri"), "uri-reference"),
        ("/x509Certificates/0/value", json!("***"), "does not match"),
        ("/meta/created", json!("2010-01-23"), "scim-date-time"),
        ("/groups/0/$ref", json!(5), "is not of types"),
    ];
    for (pointer, value, needle) in cases {
        let mut user = response_user();
        *user.pointer_mut(pointer).expect("pointer exists") = value;
        // The primary check reports on the array, not on the item.
        let at = if needle.contains("primary") {
            "/emails"
        } else {
            pointer
        };
        assert_fails_at(&registry, "target:User", &user, at, needle);
    }
    // Optional attributes may be null (RFC 7643 §2.5).
    let mut nulls = response_user();
    nulls["title"] = Value::Null;
    nulls["emails"] = Value::Null;
    nulls["name"] = Value::Null;
    assert_valid(&registry, "target:User", &nulls);
}

#[test]
fn custom_extension_attributes() {
    let registry = acme_target();
    let user = acme_user();
    // canonicalValues are not enforced ("medium"), and the optional enterprise extension may be absent.
    assert_valid(&registry, "target:User", &user);
    let mut without_enterprise = user.clone();
    without_enterprise
        .as_object_mut()
        .map(|o| o.remove(ENTERPRISE));
    without_enterprise["schemas"] = json!([USER, ACME]);
    assert_valid(&registry, "target:User", &without_enterprise);

    let at = |name: &str| format!("/{ACME}/{name}");
    let bad = [
        (
            "badgeNumber",
            json!("42"),
            "\"42\" is not of type \"integer\"",
        ),
        ("badgeNumber", json!(4.2), "is not of type \"integer\""),
        (
            "hireDate",
            json!("2010-01-23"),
            "is not a \"scim-date-time\"",
        ),
        ("ratio", json!("0.75"), "is not of types"),
        ("photoHash", json!("not base64!"), "does not match"),
        ("remote", json!("no"), "is not of types"),
        ("tags", json!("a"), "is not of types"),
        ("secret", json!("s3cr3t"), "False schema"),
    ];
    for (name, value, needle) in bad {
        let mut user = acme_user();
        user[ACME][name] = value;
        assert_fails_at(&registry, "target:User", &user, &at(name), needle);
    }
    let mut bad_tag = acme_user();
    bad_tag[ACME]["tags"] = json!(["a", 1]);
    assert_fails_at(
        &registry,
        "target:User",
        &bad_tag,
        &at("tags/1"),
        "1 is not of type \"string\"",
    );
    let mut bad_desk = acme_user();
    bad_desk[ACME]["desk"] = json!({"floor": "3"});
    assert_fails_at(
        &registry,
        "target:User",
        &bad_desk,
        &at("desk"),
        "\"building\" is a required property",
    );
    assert_fails_at(
        &registry,
        "target:User",
        &bad_desk,
        &at("desk/floor"),
        "is not of types",
    );

    let mut no_badge = acme_user();
    no_badge[ACME]
        .as_object_mut()
        .map(|o| o.remove("badgeNumber"));
    assert_fails_at(
        &registry,
        "target:User",
        &no_badge,
        &format!("/{ACME}"),
        "\"badgeNumber\" is a required property",
    );

    let mut missing = acme_user();
    missing.as_object_mut().map(|o| o.remove(ACME));
    assert_fails_at(
        &registry,
        "target:User",
        &missing,
        "",
        &format!("\"{ACME}\" is a required property"),
    );

    let mut unlisted = acme_user();
    unlisted["schemas"] = json!([USER, ENTERPRISE]);
    assert_fails_at(
        &registry,
        "target:User",
        &unlisted,
        "/schemas",
        &format!("does not contain \"{ACME}\""),
    );
}

#[test]
fn deriving_again_replaces_earlier_target_schemas() {
    let registry = acme_target();
    let schemas = fixture("rfc7643-8.7.1-schemas-trimmed.json");
    // Bare arrays are accepted as well as ListResponses.
    let groups_only = json!([resource_type("Group", "/Groups", GROUP, json!([]))]);
    let again = registry
        .with_target_schemas(&schemas, &groups_only)
        .expect("derives");
    assert!(again.contains("target:Group"));
    assert!(!again.contains("target:User"));
    assert!(
        registry.contains("target:User"),
        "the original is untouched"
    );
}

#[test]
fn derivation_errors_name_the_problem() {
    let builtin = SchemaRegistry::builtin().expect("built-in schemas compile");
    let schemas = fixture("rfc7643-8.7.1-schemas-trimmed.json");

    let unpublished = json!([resource_type(
        "Device",
        "/Devices",
        "urn:example:Device",
        Value::Null
    )]);
    let error = builtin
        .with_target_schemas(&schemas, &unpublished)
        .expect_err("unpublished schema");
    assert!(matches!(error, SchemaError::Derive { .. }));
    assert_eq!(
        error.to_string(),
        "failed to derive schema `target:Device` from the target's /Schemas: schema urn:example:Device is named by /ResourceTypes but not published"
    );

    let mut bad_type = as_vec(schemas.clone());
    bad_type[1]["attributes"][0]["type"] = json!("text");
    let types = fixture("rfc7643-8.6-resource-types.json");
    let error = builtin
        .with_target_schemas(&Value::Array(bad_type), &types)
        .expect_err("unknown attribute type");
    assert!(
        error
            .to_string()
            .contains("attribute `displayName`: unknown type `text`"),
        "{error}"
    );

    let error = builtin
        .with_target_schemas(&json!({"schemas": [LIST], "totalResults": 0}), &types)
        .expect_err("no Resources");
    assert_eq!(
        error.to_string(),
        "failed to read the target's /Schemas: expected a ListResponse with `Resources`"
    );

    let error = builtin
        .with_target_schemas(&schemas, &json!([{"endpoint": "/Users"}]))
        .expect_err("nameless resource type");
    assert!(matches!(
        error,
        SchemaError::Discovery {
            endpoint: "/ResourceTypes",
            ..
        }
    ));
}
