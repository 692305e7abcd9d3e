//! Every named rule passes a conforming response and reports a bad one with a useful message.

use scimcheck::check::rules::{Rule, RuleInput, RuleViolation};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const BASE: &str = "https://example.com/v2";

/// One response to check, built up per test.
struct Exchange {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    method: &'static str,
    url: String,
}

impl Exchange {
    fn get(path: &str, status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/scim+json".into())],
            body: Some(body),
            method: "GET",
            url: format!("{BASE}{path}"),
        }
    }

    fn post(path: &str, status: u16, body: Value) -> Self {
        Self {
            method: "POST",
            ..Self::get(path, status, body)
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(key, _)| key != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn no_body(mut self) -> Self {
        self.body = None;
        self.headers.retain(|(key, _)| key != "content-type");
        self
    }

    fn check(&self, rule: Rule) -> Vec<RuleViolation> {
        rule.check(&RuleInput {
            status: self.status,
            headers: &self.headers,
            body: self.body.as_ref(),
            request_method: self.method,
            request_url: &self.url,
        })
    }

    #[track_caller]
    fn passes(&self, rule: Rule) {
        let violations = self.check(rule);
        assert!(violations.is_empty(), "{rule} should pass: {violations:#?}");
    }

    /// Asserts exactly the violations `(pointer, message fragment)`, in order.
    #[track_caller]
    fn fails(&self, rule: Rule, expected: &[(&str, &str)]) {
        let violations = self.check(rule);
        assert_eq!(
            violations.len(),
            expected.len(),
            "{rule}: expected {expected:?}, got {violations:#?}"
        );
        for (violation, (pointer, needle)) in violations.iter().zip(expected) {
            assert_eq!(violation.rule, rule);
            assert_eq!(violation.pointer, *pointer, "{violation}");
            assert!(
                violation.message.contains(needle),
                "{violation} should mention {needle:?}"
            );
        }
    }
}

fn user() -> Value {
    json!({
        "schemas": [USER],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                 "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff590\"",
                 "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"}
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST], "totalResults": resources.len(), "itemsPerPage": resources.len(),
           "startIndex": 1, "Resources": resources})
}

fn other_user() -> Value {
    let mut other = user();
    other["id"] = json!("c75ad752-64ae-4823-840d-ffa80929976c");
    other
}

#[test]
fn names_round_trip_and_are_documented() {
    for rule in Rule::ALL {
        assert_eq!(Rule::from_name(rule.name()), Some(rule));
        assert_eq!(rule.to_string(), rule.name());
        assert!(!rule.description().is_empty());
        assert!(rule.rfc().starts_with("RFC "), "{rule}");
        let name = rule.name();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name} is kebab-case"
        );
    }
    assert_eq!(Rule::from_name("single-primary"), Some(Rule::SinglePrimary));
    assert_eq!(Rule::from_name("singlePrimary"), None);
}

#[test]
fn violation_display() {
    let mut body = user();
    body["emails"][1]["primary"] = json!(true);
    let violations = Exchange::get("/Users/1", 200, body).check(Rule::SinglePrimary);
    assert_eq!(
        violations[0].to_string(),
        "at /emails: 2 values have \"primary\": true; at most one may"
    );
    let violations = Exchange::get("/Users", 401, json!({"schemas": [ERROR], "status": "401"}))
        .check(Rule::WwwAuthenticate);
    assert_eq!(
        violations[0].to_string(),
        "a 401 response has no WWW-Authenticate challenge"
    );
}

#[test]
fn canonical_attribute_names() {
    let rule = Rule::CanonicalAttributeNames;
    Exchange::get("/Users", 200, list(vec![user()])).passes(rule);
    // Custom extensions name their attributes as they like.
    let mut custom = user();
    custom["schemas"] = json!([USER, "urn:example:ext"]);
    custom["urn:example:ext"] = json!({"Title": "x", "USERNAME": "y"});
    Exchange::get("/Users/1", 200, custom).passes(rule);

    let mut bad = user();
    let user_name = bad
        .as_object_mut()
        .and_then(|o| o.remove("userName"))
        .expect("userName");
    bad["UserName"] = user_name;
    bad["emails"][0]["Primary"] = json!(true);
    bad["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"] =
        json!({"EmployeeNumber": "1"});
    Exchange::get("/Users/1", 200, bad).fails(
        rule,
        &[
            ("/emails/0/Primary", "`Primary` is spelled `primary`"),
            ("/UserName", "`UserName` is spelled `userName`"),
            (
                "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
                &format!("is spelled `{ENTERPRISE}`"),
            ),
            (
                "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:user/EmployeeNumber",
                "`EmployeeNumber` is spelled `employeeNumber`",
            ),
        ],
    );
    Exchange::get(
        "/Users",
        200,
        json!({"schemas": [LIST], "TotalResults": 0, "resources": []}),
    )
    .fails(
        rule,
        &[
            ("/TotalResults", "`TotalResults` is spelled `totalResults`"),
            ("/resources", "`resources` is spelled `Resources`"),
        ],
    );
}

#[test]
fn single_primary() {
    let rule = Rule::SinglePrimary;
    Exchange::get("/Users/1", 200, user()).passes(rule);
    let mut no_primary = user();
    no_primary["emails"][0]["primary"] = json!(false);
    Exchange::get("/Users/1", 200, no_primary).passes(rule);

    let mut two = user();
    two["emails"][1]["primary"] = json!(true);
    Exchange::get("/Users/1", 200, two.clone()).fails(rule, &[("/emails", "2 values")]);
    // In every listed resource, and at any depth.
    Exchange::get("/Users", 200, list(vec![user(), two]))
        .fails(rule, &[("/Resources/1/emails", "2 values")]);
    let mut nested = user();
    nested["urn:example:ext"] =
        json!({"badges": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]});
    Exchange::get("/Users/1", 200, nested).fails(rule, &[("/urn:example:ext/badges", "2 values")]);
}

#[test]
fn date_times() {
    let rule = Rule::DateTimes;
    Exchange::get("/Users/1", 200, user()).passes(rule);
    let mut offset = user();
    offset["meta"]["created"] = json!("2010-01-23T04:56:22.123+01:00");
    Exchange::get("/Users/1", 200, offset).passes(rule);

    let mut date_only = user();
    date_only["meta"]["created"] = json!("2010-01-23");
    Exchange::get("/Users", 200, list(vec![user(), date_only])).fails(
        rule,
        &[(
            "/Resources/1/meta/created",
            "\"2010-01-23\" is not a date-time with both date and time",
        )],
    );
    let mut no_zone = user();
    no_zone["meta"]["lastModified"] = json!("2011-05-13T04:42:34");
    Exchange::get("/Users/1", 200, no_zone)
        .fails(rule, &[("/meta/lastModified", "not a date-time")]);
    let mut number = user();
    number["meta"]["created"] = json!(1264222582);
    Exchange::get("/Users/1", 200, number).fails(rule, &[("/meta/created", "1264222582 is not")]);
    let mut backwards = user();
    backwards["meta"]["lastModified"] = json!("2009-05-13T04:42:34Z");
    Exchange::get("/Users/1", 200, backwards)
        .fails(rule, &[("/meta/lastModified", "is before created")]);
}

#[test]
fn schemas_urns() {
    let rule = Rule::SchemasUrns;
    Exchange::get("/Users", 200, list(vec![user()])).passes(rule);
    let mut extended = user();
    extended["schemas"] = json!([USER, ENTERPRISE]);
    extended[ENTERPRISE] = json!({"employeeNumber": "701984"});
    Exchange::get("/Users/1", 200, extended.clone()).passes(rule);

    let mut unlisted = extended.clone();
    unlisted["schemas"] = json!([USER]);
    Exchange::get("/Users/1", 200, unlisted).fails(
        rule,
        &[(
            &format!("/{ENTERPRISE}"),
            "extension data under urn:ietf:params:scim:schemas:extension:enterprise:2.0:User but `schemas` does not list it",
        )],
    );
    let mut missing = user();
    missing.as_object_mut().map(|o| o.remove("schemas"));
    Exchange::get("/Users", 200, list(vec![missing]))
        .fails(rule, &[("/Resources/0", "`schemas` is missing")]);
    let mut duplicate = user();
    duplicate["schemas"] = json!([USER, USER.to_uppercase()]);
    Exchange::get("/Users/1", 200, duplicate).fails(rule, &[("/schemas", "twice")]);
    let mut empty = user();
    empty["schemas"] = json!([]);
    Exchange::get("/Users/1", 200, empty).fails(rule, &[("/schemas", "non-empty array")]);
    let mut mixed = user();
    mixed["schemas"] = json!([USER, 7]);
    Exchange::get("/Users/1", 200, mixed).fails(rule, &[("/schemas", "non-string")]);
}

#[test]
fn id_present() {
    let rule = Rule::IdPresent;
    Exchange::get("/Users", 200, list(vec![user()])).passes(rule);
    Exchange::get(
        "/ServiceProviderConfig",
        200,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}),
    )
    .passes(rule);
    Exchange::get(
        "/Users/1",
        404,
        json!({"schemas": [ERROR], "status": "404"}),
    )
    .passes(rule);

    let mut missing = user();
    missing.as_object_mut().map(|o| o.remove("id"));
    Exchange::get("/Users", 200, list(vec![user(), missing]))
        .fails(rule, &[("/Resources/1", "the resource has no id")]);
    let mut reserved = user();
    reserved["id"] = json!("bulkId");
    Exchange::post("/Users", 201, reserved).fails(rule, &[("/id", "reserved")]);
    let mut empty = user();
    empty["id"] = json!("");
    Exchange::get("/Users/1", 200, empty).fails(rule, &[("/id", "non-empty string")]);
}

#[test]
fn location_matches_meta() {
    let rule = Rule::LocationMatchesMeta;
    let location = "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646";
    Exchange::post("/Users", 201, user())
        .header("location", location)
        .passes(rule);
    // A relative Location resolves against the request URL.
    Exchange::post("/Users", 201, user())
        .header("location", "/v2/Users/2819c223-7f76-453a-919d-413861904646")
        .passes(rule);
    Exchange::get("/Users/1", 200, user())
        .header("content-location", location)
        .passes(rule);
    // A 200 needs no Location.
    Exchange::get("/Users/1", 200, user()).passes(rule);

    Exchange::post("/Users", 201, user()).fails(
        rule,
        &[("", "a 201 Created response has no Location header")],
    );
    Exchange::post("/Users", 201, user())
        .header("location", "https://example.com/v2/Users/other")
        .fails(
            rule,
            &[(
                "/meta/location",
                "Location header \"https://example.com/v2/Users/other\" differs from meta.location",
            )],
        );
    let mut no_meta = user();
    no_meta.as_object_mut().map(|o| o.remove("meta"));
    Exchange::post("/Users", 201, no_meta)
        .header("location", location)
        .fails(rule, &[("", "no meta.location")]);
    Exchange::get("/Users/1", 200, user())
        .header("content-location", "https://example.com/v2/Users/other")
        .fails(rule, &[("/meta/location", "Content-Location header")]);
}

#[test]
fn etag_matches_version() {
    let rule = Rule::EtagMatchesVersion;
    Exchange::get("/Users/1", 200, user())
        .header("etag", "W/\"3694e05e9dff590\"")
        .passes(rule);
    // Without an ETag header there is nothing to compare.
    Exchange::get("/Users/1", 200, user()).passes(rule);
    Exchange::get("/Users/1", 200, user())
        .header("etag", "\"3694e05e9dff590\"")
        .fails(
            rule,
            &[(
                "/meta/version",
                "ETag header \"\\\"3694e05e9dff590\\\"\" differs from meta.version",
            )],
        );
}

#[test]
fn password_never_returned() {
    let rule = Rule::PasswordNeverReturned;
    Exchange::get("/Users", 200, list(vec![user()])).passes(rule);
    let mut unassigned = user();
    unassigned["password"] = Value::Null;
    Exchange::get("/Users/1", 200, unassigned).passes(rule);
    // A ServiceProviderConfig's changePassword is not a password.
    Exchange::get(
        "/ServiceProviderConfig",
        200,
        json!({"changePassword": {"supported": true}}),
    )
    .passes(rule);

    let mut leaked = user();
    leaked["password"] = json!("t1meMa$heen");
    Exchange::post("/Users", 201, leaked.clone()).fails(rule, &[("/password", "returned never")]);
    Exchange::get("/Users", 200, list(vec![user(), leaked]))
        .fails(rule, &[("/Resources/1/password", "password is returned")]);
    let mut hashed = user();
    hashed["urn:example:ext"] = json!({"Password": "{SSHA}abc"});
    Exchange::get("/Users/1", 200, hashed)
        .fails(rule, &[("/urn:example:ext/Password", "password")]);
}

#[test]
fn error_status_matches() {
    let rule = Rule::ErrorStatusMatches;
    Exchange::get(
        "/Users/x",
        404,
        json!({"schemas": [ERROR], "status": "404", "detail": "not found"}),
    )
    .passes(rule);
    // Success responses are not errors.
    Exchange::get("/Users/1", 200, user()).passes(rule);

    Exchange::get("/Users/x", 404, json!({"schemas": [ERROR], "status": 404})).fails(
        rule,
        &[(
            "/status",
            "status is the number 404; it must be the string \"404\"",
        )],
    );
    Exchange::get(
        "/Users/x",
        404,
        json!({"schemas": [ERROR], "status": "400"}),
    )
    .fails(
        rule,
        &[("/status", "status \"400\" differs from the HTTP status 404")],
    );
    Exchange::get("/Users/x", 404, json!({"schemas": [ERROR]})).fails(
        rule,
        &[("", "the error body has no status (expected \"404\")")],
    );
    Exchange::get("/Users", 401, json!(null))
        .no_body()
        .fails(rule, &[("", "the 401 response has no SCIM error body")]);
    // An Error body sent with a success status is caught too.
    Exchange::get("/Users", 200, json!({"schemas": [ERROR], "status": "500"}))
        .fails(rule, &[("/status", "differs from the HTTP status 200")]);
}

#[test]
fn list_response_consistent() {
    let rule = Rule::ListResponseConsistent;
    Exchange::get("/Users", 200, list(vec![user(), other_user()])).passes(rule);
    Exchange::get("/Users", 200, json!({"schemas": [LIST], "totalResults": 0})).passes(rule);
    Exchange::get(
        "/Users?startIndex=11&count=10",
        200,
        json!({"schemas": [LIST], "totalResults": 11, "itemsPerPage": 1, "startIndex": 11,
               "Resources": [user()]}),
    )
    .passes(rule);

    let mut wrong_count = list(vec![user(), other_user()]);
    wrong_count["itemsPerPage"] = json!(3);
    wrong_count["totalResults"] = json!(10);
    Exchange::get("/Users", 200, wrong_count).fails(
        rule,
        &[("/itemsPerPage", "itemsPerPage is 3 but Resources holds 2")],
    );
    let mut short_total = list(vec![user(), other_user()]);
    short_total["totalResults"] = json!(1);
    Exchange::get("/Users", 200, short_total).fails(
        rule,
        &[(
            "/totalResults",
            "totalResults is 1 but this page reaches result 2",
        )],
    );
    let mut past_the_end = list(vec![user(), other_user()]);
    past_the_end["startIndex"] = json!(u64::MAX);
    past_the_end["totalResults"] = json!(u64::MAX - 1);
    Exchange::get("/Users", 200, past_the_end).fails(
        rule,
        &[(
            "/totalResults",
            "totalResults is 18446744073709551614 but this page reaches result 18446744073709551615",
        )],
    );
    Exchange::get("/Users", 200, list(vec![user(), user()])).fails(
        rule,
        &[(
            "/Resources/1/id",
            "id \"2819c223-7f76-453a-919d-413861904646\" is also listed at /Resources/0",
        )],
    );
}

#[test]
fn count_respected() {
    let rule = Rule::CountRespected;
    Exchange::get("/Users?count=2", 200, list(vec![user(), other_user()])).passes(rule);
    Exchange::get("/Users", 200, list(vec![user(), other_user()])).passes(rule);
    Exchange::get(
        "/Users?count=0",
        200,
        json!({"schemas": [LIST], "totalResults": 2}),
    )
    .passes(rule);

    Exchange::get("/Users?count=1", 200, list(vec![user(), other_user()])).fails(
        rule,
        &[
            (
                "/Resources",
                "count=1 was asked for but 2 resources came back",
            ),
            (
                "/itemsPerPage",
                "count=1 was asked for but itemsPerPage is 2",
            ),
        ],
    );
    // A POST /.search carries count in its body, which the rule does not see.
    Exchange::post(
        "/Users/.search?count=1",
        200,
        list(vec![user(), other_user()]),
    )
    .passes(rule);
    // "A negative value SHALL be interpreted as 0."
    let mut page = list(vec![user()]);
    page.as_object_mut().map(|o| o.remove("itemsPerPage"));
    Exchange::get("/Users?count=-1", 200, page).fails(
        rule,
        &[(
            "/Resources",
            "count=0 was asked for but 1 resources came back",
        )],
    );
}

#[test]
fn cursor_first_page() {
    let rule = Rule::CursorFirstPage;
    let first = json!({"schemas": [LIST], "totalResults": 3, "itemsPerPage": 1,
                       "nextCursor": "VZUTiyhEQJ94IR", "Resources": [user()]});
    Exchange::get("/Users?cursor&count=1", 200, first.clone()).passes(rule);
    let mut later = first.clone();
    later["previousCursor"] = json!("ze7L30kMiiLX6x");
    Exchange::get("/Users?cursor=VZUTiyhEQJ94IR&count=1", 200, later.clone()).passes(rule);
    // An index-paged query owes no cursor.
    Exchange::get(
        "/Users?startIndex=1&count=1",
        200,
        json!({"schemas": [LIST], "totalResults": 3, "itemsPerPage": 1, "startIndex": 1, "Resources": [user()]}),
    )
    .passes(rule);

    Exchange::post("/Users/.search", 200, later.clone()).passes(rule);
    Exchange::get("/Users?cursor=&count=1", 200, later).fails(
        rule,
        &[(
            "/previousCursor",
            "the first page must not carry previousCursor",
        )],
    );
    let mut stuck = first;
    stuck.as_object_mut().map(|o| o.remove("nextCursor"));
    Exchange::get("/Users?cursor&count=1", 200, stuck).fails(
        rule,
        &[(
            "",
            "totalResults is 3 but the first page holds 1 and has no nextCursor",
        )],
    );
}

#[test]
fn content_type_scim() {
    let rule = Rule::ContentTypeScim;
    Exchange::get("/Users/1", 200, user()).passes(rule);
    Exchange::get("/Users/1", 200, user())
        .header("content-type", "application/scim+json; charset=utf-8")
        .passes(rule);
    // Tolerated: SCIM clients are told to accept it, and OneLogin documents it.
    Exchange::get("/Users/1", 200, user())
        .header("content-type", "Application/JSON;charset=UTF-8")
        .passes(rule);
    Exchange::get("/Users/1", 204, json!(null))
        .no_body()
        .passes(rule);

    Exchange::get("/Users/1", 200, user())
        .header("content-type", "text/html; charset=utf-8")
        .fails(
            rule,
            &[(
                "",
                "Content-Type \"text/html; charset=utf-8\" is not application/scim+json",
            )],
        );
    Exchange::get("/Users/1", 500, json!(null))
        .no_body()
        .header("content-type", "text/plain")
        .fails(rule, &[("", "\"text/plain\" is not")]);
    Exchange::get("/Users/1", 200, user())
        .header("content-type", "application/scim+json; charset=iso-8859-1")
        .fails(rule, &[("", "charset iso-8859-1 is not UTF-8")]);
    let mut missing = Exchange::get("/Users/1", 200, user());
    missing.headers.clear();
    missing.fails(rule, &[("", "no Content-Type header")]);
}

#[test]
fn www_authenticate() {
    let rule = Rule::WwwAuthenticate;
    let unauthorized = json!({"schemas": [ERROR], "status": "401"});
    Exchange::get("/Users", 401, unauthorized.clone())
        .header("www-authenticate", "Bearer realm=\"scim\"")
        .passes(rule);
    Exchange::get("/Users", 403, json!({"schemas": [ERROR], "status": "403"})).passes(rule);
    Exchange::get("/Users", 401, unauthorized.clone()).fails(rule, &[("", "no WWW-Authenticate")]);
    Exchange::get("/Users", 401, unauthorized)
        .header("www-authenticate", " ")
        .fails(rule, &[("", "no WWW-Authenticate")]);
}
