//! The clean mock over real HTTP: resource lifecycle, authentication and tenants.

#[path = "mock_support/mod.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn user_lifecycle() {
    let mock = Mock::start().await;
    let created = mock
        .post(
            "/Users",
            &json!({"schemas": [USER_URN], "userName": "bjensen", "id": "client-id", "meta": {"created": "2000-01-01T00:00:00Z"}, "password": "s3cret"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/scim+json"))
    );
    let user = &created.body;
    let id = id(user);
    assert_ne!(id, "client-id", "client-supplied ids are ignored");
    assert_eq!(
        created.header("location"),
        user["meta"]["location"].as_str()
    );
    assert_eq!(
        user["meta"]["location"],
        json!(mock.url(&format!("/Users/{id}")))
    );
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_ne!(user["meta"]["created"], "2000-01-01T00:00:00Z");
    assert_eq!(user["meta"]["created"], user["meta"]["lastModified"]);
    assert_eq!(created.header("etag"), user["meta"]["version"].as_str());
    assert!(user.get("password").is_none(), "password is never returned");

    let read = mock.get(&format!("/Users/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, *user);
    assert!(read.body.get("password").is_none());

    let replaced = mock
        .put(&format!("/Users/{id}"), &json!({"schemas": [USER_URN], "id": "other", "userName": "bjensen", "displayName": "Babs"}))
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["id"], json!(id));
    assert_eq!(replaced.body["displayName"], "Babs");
    assert_eq!(replaced.body["meta"]["created"], user["meta"]["created"]);
    assert_ne!(replaced.body["meta"]["version"], user["meta"]["version"]);
    assert_ne!(
        replaced.body["meta"]["lastModified"],
        user["meta"]["lastModified"]
    );

    let patched = mock
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "displayName", "value": "B"}, {"op": "Replace", "value": {"nickName": "Bee"}}]))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["displayName"], "B");
    assert_eq!(patched.body["nickName"], "Bee");
    assert_eq!(mock.get(&format!("/Users/{id}")).await.body, patched.body);

    let deleted = mock.delete(&format!("/Users/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    mock.get(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    mock.delete(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    mock.patch(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "nickName", "value": "x"}]),
    )
    .await
    .assert_error(404, None);
    mock.put(
        &format!("/Users/{id}"),
        &json!({"schemas": [USER_URN], "userName": "bjensen"}),
    )
    .await
    .assert_error(404, None);
    let listed = mock.get("/Users").await;
    assert_eq!(listed.body["totalResults"], 0);
    mock.user("bjensen").await;
}

#[tokio::test]
async fn create_validation() {
    let mock = Mock::start().await;
    mock.user("bjensen").await;
    mock.post(
        "/Users",
        &json!({"schemas": [USER_URN], "userName": "BJENSEN"}),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    mock.post(
        "/Users",
        &json!({"schemas": [USER_URN], "displayName": "x"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    mock.post(
        "/Users",
        &json!({"schemas": [USER_URN], "userName": "x", "active": "perhaps"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    mock.post("/Groups", &json!({"schemas": [GROUP_URN]}))
        .await
        .assert_error(400, Some("invalidValue"));
    mock.post(
        "/Groups",
        &json!({"schemas": [GROUP_URN], "displayName": "g", "members": [{"value": "nobody"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let malformed = Mock::send(
        mock.req(Method::POST, "/Users")
            .header("content-type", "application/scim+json")
            .body("{\"schemas\": ["),
    )
    .await;
    malformed.assert_error(400, Some("invalidSyntax"));
    // Entra's create: explicit nulls, empty lists, meta.resourceType.
    let entra = mock
        .post(
            "/Users",
            &json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "externalId": "ext-1",
                "userName": "entra@example.com",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "entra@example.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "E U", "familyName": "U", "givenName": "E"},
                "roles": [],
                "title": null,
                "addresses": null,
                ENTERPRISE_URN: {"employeeNumber": "7", "manager": null}
            }),
        )
        .await;
    assert_eq!(entra.status, 201, "{}", entra.text);
    assert!(entra.body.get("roles").is_none() && entra.body.get("title").is_none());
    assert_eq!(entra.body["schemas"], json!([USER_URN, ENTERPRISE_URN]));
    assert_eq!(entra.body[ENTERPRISE_URN], json!({"employeeNumber": "7"}));
}

#[tokio::test]
async fn content_types() {
    let mock = Mock::start().await;
    for (i, content_type) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json;charset=UTF-8",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({"schemas": [USER_URN], "userName": format!("u{i}")}).to_string();
        let resp = Mock::send(
            mock.req(Method::POST, "/Users")
                .header("content-type", *content_type)
                .body(body),
        )
        .await;
        assert_eq!(resp.status, 201, "{content_type}: {}", resp.text);
        assert_eq!(resp.header("content-type"), Some("application/scim+json"));
    }
    let xml = Mock::send(
        mock.req(Method::POST, "/Users")
            .header("content-type", "application/xml")
            .body("<user/>"),
    )
    .await;
    xml.assert_error(415, None);
}

#[tokio::test]
async fn errors_are_scim_errors() {
    let mock = Mock::start().await;
    mock.get("/Users/nope").await.assert_error(404, None);
    mock.get("/Widgets").await.assert_error(404, None);
    let unrouted = Mock::send(
        mock.client
            .get(format!("{}/nowhere", mock.server.base_url()))
            .bearer_auth(&mock.token),
    )
    .await;
    unrouted.assert_error(404, None);
    Mock::send(mock.req(Method::DELETE, "/Users"))
        .await
        .assert_error(405, None);
    mock.get("/Me").await.assert_error(501, None);
    let big = Mock::with(scimcheck::mock::MockConfig {
        max_payload_bytes: 64,
        ..Default::default()
    })
    .await;
    big.post(
        "/Users",
        &json!({"schemas": [USER_URN], "userName": "x".repeat(100)}),
    )
    .await
    .assert_error(413, None);
}

#[tokio::test]
async fn authentication() {
    let mock = Mock::start().await;
    let base = mock.server.base_url().to_owned();
    let credentials = mock.server.credentials().clone();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage token", Some("Bearer garbage".to_owned())),
        ("API key", Some(format!("Bearer {}", credentials.api_key))),
        (
            "wrong scheme",
            Some(format!("Basic {}", credentials.scim_token)),
        ),
        ("empty bearer", Some("Bearer ".to_owned())),
    ];
    for path in [
        "/Users",
        "/Users/some-id",
        "/Groups",
        "/Schemas",
        "/ResourceTypes",
    ] {
        for (what, header) in &cases {
            let mut req = mock.client.get(format!("{base}{path}"));
            if let Some(h) = header {
                req = req.header("authorization", h);
            }
            let resp = Mock::send(req).await;
            assert_eq!(resp.status, 401, "{what} on {path}");
            resp.assert_error(401, None);
            assert_eq!(
                resp.header("www-authenticate"),
                Some("Bearer realm=\"scimcheck-mock\""),
                "{what}"
            );
        }
    }
    let lower = Mock::send(mock.client.get(format!("{base}/Users")).header(
        "authorization",
        format!("bearer {}", credentials.scim_token),
    ))
    .await;
    assert_eq!(lower.status, 200, "the scheme name is case-insensitive");
    let public = Mock::send(mock.client.get(format!("{base}/ServiceProviderConfig"))).await;
    assert_eq!(public.status, 200, "ServiceProviderConfig is public");

    let root = base.trim_end_matches("/scim/v2");
    let account = |token: &str| {
        mock.client
            .get(format!("{root}/api/v1/account"))
            .bearer_auth(token.to_owned())
    };
    assert_eq!(Mock::send(account(&credentials.api_key)).await.status, 200);
    let refused = Mock::send(account(&credentials.scim_token)).await;
    assert_eq!(refused.status, 401);
    assert!(refused.header("www-authenticate").is_some());
}

#[tokio::test]
async fn tenants_are_isolated() {
    let mock = Mock::start().await;
    let b_token = mock.server.credentials().other_tenant_token.clone();
    let as_b = |method: Method, path: &str| {
        mock.client
            .request(method, mock.url(path))
            .bearer_auth(&b_token)
    };
    let a_user = mock.user("shared-name").await;
    let a_id = id(&a_user);
    let b_created = Mock::send(
        as_b(Method::POST, "/Users")
            .json(&json!({"schemas": [USER_URN], "userName": "shared-name"})),
    )
    .await;
    assert_eq!(b_created.status, 201, "tenant B has its own userName space");
    let b_id = id(&b_created.body);

    for (token_path, other_id) in [("A", &b_id), ("B", &a_id)] {
        let send = |method: Method, path: String| {
            let req = if token_path == "A" {
                mock.req(method, &path)
            } else {
                as_b(method, &path)
            };
            Mock::send(req)
        };
        send(Method::GET, format!("/Users/{other_id}"))
            .await
            .assert_error(404, None);
        send(Method::DELETE, format!("/Users/{other_id}"))
            .await
            .assert_error(404, None);
        let list = send(Method::GET, "/Users".to_owned()).await;
        assert_eq!(list.body["totalResults"], 1, "{token_path}: {}", list.text);
        assert_ne!(list.ids(), vec![other_id.clone()]);
    }
    let patch = Mock::send(
        as_b(Method::PATCH, &format!("/Users/{a_id}"))
            .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]})),
    )
    .await;
    patch.assert_error(404, None);
    let group =
        Mock::send(as_b(Method::POST, "/Groups").json(
            &json!({"schemas": [GROUP_URN], "displayName": "g", "members": [{"value": a_id}]}),
        ))
        .await;
    group.assert_error(400, Some("invalidValue"));
    assert_eq!(mock.get(&format!("/Users/{a_id}")).await.body, a_user);
}

#[tokio::test]
async fn counts_requests_and_writes() {
    let mock = Mock::start().await;
    let user = mock.user("u").await;
    mock.get("/Users").await;
    mock.post("/Users/.search", &json!({"schemas": [SEARCH_URN]}))
        .await;
    mock.patch(
        &format!("/Users/{}", id(&user)),
        json!([{"op": "replace", "path": "nickName", "value": "n"}]),
    )
    .await;
    mock.delete("/Users/nope").await;
    assert_eq!(mock.server.request_count(), 5);
    assert_eq!(
        mock.server.write_requests(),
        3,
        "POST, PATCH, DELETE; not the search"
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let mock = Mock::start().await;
    let url = mock.url("/ServiceProviderConfig");
    let first = client();
    assert_eq!(
        first
            .get(&url)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok(),
        Some(200)
    );
    mock.server.shutdown().await;
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn service_provider_config() {
    let mock = Mock::start().await;
    let spc = mock.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200);
    let body: &Value = &spc.body;
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    for flag in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
        assert_eq!(body[flag]["supported"], true, "{flag}");
    }
    assert_eq!(body["filter"]["maxResults"], 1000);
    assert_eq!(body["bulk"]["maxOperations"], 100);
    assert_eq!(
        body["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": 600})
    );
    assert_eq!(body["authenticationSchemes"][0]["type"], "oauthbearertoken");
}

#[tokio::test]
async fn list_filter_and_index_paging() {
    let mock = Mock::start().await;
    for i in 1..=7 {
        mock.user(&format!("user{i}")).await;
    }
    let found = mock.get("/Users?filter=userName%20eq%20%22USER3%22").await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["schemas"], json!([LIST_URN]));
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.user_names(), ["user3"]);
    let none = mock.get("/Users?filter=userName%20eq%20%22nobody%22").await;
    assert_eq!(none.body["totalResults"], 0);
    assert_eq!(none.body["Resources"], json!([]));

    let page = mock.get("/Users?startIndex=3&count=2").await;
    assert_eq!(page.body["totalResults"], 7);
    assert_eq!(page.body["itemsPerPage"], 2);
    assert_eq!(page.body["startIndex"], 3);
    assert_eq!(page.user_names(), ["user3", "user4"]);
    let last = mock.get("/Users?startIndex=6&count=5").await;
    assert_eq!(last.user_names(), ["user6", "user7"]);
    let past = mock.get("/Users?startIndex=50&count=5").await;
    assert_eq!(past.status, 200);
    assert_eq!(past.body["Resources"], json!([]));
    assert_eq!(past.body["itemsPerPage"], 0);
}

#[tokio::test]
async fn emails_required_is_declared_where_it_is_enforced() {
    let required = |schema: &Value| {
        schema["attributes"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["name"] == "emails"))
            .map(|emails| emails["required"].clone())
    };
    let urn = "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User";
    let mock = Mock::start().await;
    assert_eq!(required(&mock.get(urn).await.body), Some(json!(false)));
    let mock = Mock::with(scimcheck::mock::MockConfig {
        variations: [scimcheck::mock::Variation::EmailsRequired].into(),
        ..Default::default()
    })
    .await;
    let refused = mock
        .post("/Users", &json!({"schemas": [USER_URN], "userName": "e"}))
        .await;
    refused.assert_error(400, Some("invalidValue"));
    assert_eq!(required(&mock.get(urn).await.body), Some(json!(true)));
    let listed = mock.get("/Schemas").await;
    let user = listed.body["Resources"]
        .as_array()
        .and_then(|r| r.iter().find(|s| s["name"] == "User"))
        .expect("the User schema is listed");
    assert_eq!(required(user), Some(json!(true)));
}
