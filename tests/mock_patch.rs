//! Writes over real HTTP: PATCH dialects, groups and membership, soft delete, ETags, PUT,
//! bulk, and concurrent updates.

#[path = "mock_support/mod.rs"]
mod support;

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/// Creates a fresh user, applies `operations`, and returns the response.
async fn patch_fresh(mock: &Mock, n: usize, operations: Value) -> Resp {
    let user = mock
        .user_with(json!({
            "userName": format!("p{n}"),
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [
                {"value": "b@work.example", "type": "work", "primary": true},
                {"value": "b@home.example", "type": "home"}
            ]
        }))
        .await;
    mock.patch(&format!("/Users/{}", id(&user)), operations)
        .await
}

#[tokio::test]
async fn patch_operations() {
    let mock = Mock::start().await;
    let employee = format!("{ENTERPRISE_URN}:employeeNumber");
    // (operations, JSON pointer into the answer, expected value)
    let cases: Vec<(Value, String, Value)> = vec![
        (
            json!([{"op": "replace", "path": "displayName", "value": "B"}]),
            "/displayName".into(),
            json!("B"),
        ),
        (
            json!([{"op": "Replace", "path": "nickName", "value": "B"}]),
            "/nickName".into(),
            json!("B"),
        ),
        (
            json!([{"op": "ADD", "path": "nickName", "value": "Babs"}]),
            "/nickName".into(),
            json!("Babs"),
        ),
        (
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            "/active".into(),
            json!(false),
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "true"}]),
            "/active".into(),
            json!(true),
        ),
        (
            json!([{"op": "replace", "value": {"active": false}}]),
            "/active".into(),
            json!(false),
        ),
        (
            json!([{"op": "replace", "path": "name.familyName", "value": "J"}]),
            "/name".into(),
            json!({"givenName": "Barbara", "familyName": "J"}),
        ),
        (
            json!([{"op": "replace", "value": {"name.givenName": "Babs", &employee: "42"}}]),
            "/name/givenName".into(),
            json!("Babs"),
        ),
        (
            json!([{"op": "replace", "value": {"name.givenName": "Babs", &employee: "42"}}]),
            format!("/{ENTERPRISE_URN}/employeeNumber"),
            json!("42"),
        ),
        (
            json!([{"op": "add", "path": &employee, "value": "42"}]),
            "/schemas".into(),
            json!([USER_URN, ENTERPRISE_URN]),
        ),
        (
            json!([{"op": "Add", "path": format!("{ENTERPRISE_URN}:manager"), "value": [{"$ref": null, "value": "m-1"}]}]),
            format!("/{ENTERPRISE_URN}/manager"),
            json!({"value": "m-1"}),
        ),
        (
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}]),
            "/emails/0".into(),
            json!({"value": "new@work.example", "type": "work", "primary": true}),
        ),
        (
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
            "/emails/1".into(),
            Value::Null,
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "n@x", "type": "other", "primary": true}]}]),
            "/emails".into(),
            json!([
                {"value": "b@work.example", "type": "work", "primary": false},
                {"value": "b@home.example", "type": "home"},
                {"value": "n@x", "type": "other", "primary": true}
            ]),
        ),
        (
            json!([{"op": "add", "path": ENTERPRISE_URN, "value": {"department": "R&D"}}]),
            format!("/{ENTERPRISE_URN}/department"),
            json!("R&D"),
        ),
        (
            json!([{"op": "remove", "path": "name"}]),
            "/name".into(),
            Value::Null,
        ),
        (
            json!([{"op": "replace", "path": "emails", "value": []}]),
            "/emails".into(),
            Value::Null,
        ),
        (
            json!([{"op": "add", "path": "nickName", "value": "a"}, {"op": "replace", "path": "nickName", "value": "b"}]),
            "/nickName".into(),
            json!("b"),
        ),
    ];
    for (n, (operations, pointer, want)) in cases.into_iter().enumerate() {
        let got = patch_fresh(&mock, n, operations.clone()).await;
        assert_eq!(got.status, 200, "{operations}: {}", got.text);
        assert_eq!(
            got.body.pointer(&pointer).cloned().unwrap_or(Value::Null),
            want,
            "{operations}"
        );
        let stored = mock.get(&format!("/Users/{}", id(&got.body))).await;
        assert_eq!(stored.body, got.body, "the answer is what was stored");
    }
}

#[tokio::test]
async fn patch_errors_leave_the_resource_unchanged() {
    let mock = Mock::start().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([{"op": "replace", "path": "displayName", "value": "B"}, {"op": "replace", "path": "nosuch", "value": 1}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "emails[type zz \"x\"].value", "value": "x"}]),
            "invalidFilter",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x"}]),
            "noTarget",
        ),
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "replace", "path": "id", "value": "new-id"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2001-01-01T00:00:00Z"}]),
            "mutability",
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            "mutability",
        ),
        (json!([{"op": "remove", "path": "userName"}]), "mutability"),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "displayName", "value": {"x": 1}}]),
            "invalidValue",
        ),
        (
            json!([{"op": "move", "path": "displayName", "value": "x"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "displayName"}]),
            "invalidValue",
        ),
        (json!([]), "invalidValue"),
    ];
    for (n, (operations, scim_type)) in cases.into_iter().enumerate() {
        let user = mock
            .user_with(json!({"userName": format!("e{n}"), "displayName": "A", "emails": [{"value": "w@x", "type": "work"}]}))
            .await;
        let path = format!("/Users/{}", id(&user));
        mock.patch(&path, operations.clone())
            .await
            .assert_error(400, Some(scim_type));
        assert_eq!(
            mock.get(&path).await.body,
            user,
            "{operations} changed the user"
        );
    }
    let user = mock.user("nobody-schema").await;
    let no_schema = Mock::send(
        mock.req(Method::PATCH, &format!("/Users/{}", id(&user)))
            .json(&json!({"Operations": [{"op": "replace", "path": "nickName", "value": "x"}]})),
    )
    .await;
    no_schema.assert_error(400, Some("invalidSyntax"));
    let taken = mock.user("taken").await;
    mock.patch(
        &format!("/Users/{}", id(&taken)),
        json!([{"op": "replace", "path": "userName", "value": "NOBODY-SCHEMA"}]),
    )
    .await
    .assert_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn groups_and_membership() {
    let mock = Mock::start().await;
    let a = id(&mock
        .user_with(json!({"userName": "a", "displayName": "Alice A"}))
        .await);
    let b = id(&mock.user("b").await);
    let c = id(&mock.user("c").await);
    let group = mock.group("Team", &[&a, &b]).await;
    let gid = id(&group);
    let gpath = format!("/Groups/{gid}");
    assert_eq!(group["meta"]["resourceType"], "Group");
    assert_eq!(
        group["members"][0],
        json!({"value": a, "$ref": mock.url(&format!("/Users/{a}")), "type": "User", "display": "Alice A"})
    );
    let groups_of = |user: Value| user["groups"].as_array().cloned().unwrap_or_default();
    let a_user = mock.get(&format!("/Users/{a}")).await.body;
    assert_eq!(
        groups_of(a_user),
        [json!({"value": gid, "$ref": mock.url(&gpath), "display": "Team", "type": "direct"})]
    );

    let members = |g: &Value| -> Vec<String> {
        g["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["value"].as_str().map(str::to_owned))
            .collect()
    };
    // Okta: remove one, add one, rename with an echoed id.
    let okta = mock
        .patch(
            &gpath,
            json!([
                {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
                {"op": "add", "path": "members", "value": [{"value": c, "display": "c"}]},
                {"op": "replace", "value": {"id": gid, "displayName": "Renamed"}}
            ]),
        )
        .await;
    assert_eq!(okta.status, 200, "{}", okta.text);
    assert_eq!(members(&okta.body), [b.clone(), c.clone()]);
    assert_eq!(okta.body["displayName"], "Renamed");
    assert!(
        mock.get(&format!("/Users/{a}"))
            .await
            .body
            .get("groups")
            .is_none()
    );
    // Entra: add with $ref null, then legacy removal of only the listed members.
    let entra = mock.patch(&gpath, json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": a}, {"value": b}]}])).await;
    assert_eq!(
        members(&entra.body),
        [b.clone(), c.clone(), a.clone()],
        "re-adding b does not duplicate it"
    );
    let legacy = mock
        .patch(
            &gpath,
            json!([{"op": "Remove", "path": "members", "value": [{"value": b}, {"value": c}]}]),
        )
        .await;
    assert_eq!(members(&legacy.body), [a.as_str()]);
    let full = mock
        .patch(
            &gpath,
            json!([{"op": "replace", "path": "members", "value": [{"value": b}, {"value": c}]}]),
        )
        .await;
    assert_eq!(members(&full.body), [b.clone(), c.clone()]);
    mock.patch(
        &gpath,
        json!([{"op": "add", "path": "members", "value": [{"value": "ghost"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    mock.patch(
        &gpath,
        json!([{"op": "replace", "path": format!("members[value eq \"{b}\"].value"), "value": a}]),
    )
    .await
    .assert_error(400, Some("mutability"));
    // Nested groups, and deletes cascade into memberships.
    let parent = mock.group("Parent", &[&gid, &c]).await;
    assert_eq!(parent["members"][0]["type"], "Group");
    assert_eq!(mock.delete(&format!("/Users/{c}")).await.status, 204);
    assert_eq!(members(&mock.get(&gpath).await.body), [b.as_str()]);
    let parent_path = format!("/Groups/{}", id(&parent));
    assert_eq!(members(&mock.get(&parent_path).await.body), [gid.as_str()]);
    assert_eq!(mock.delete(&gpath).await.status, 204);
    assert!(mock.get(&parent_path).await.body.get("members").is_none());
    assert!(
        mock.get(&format!("/Users/{b}"))
            .await
            .body
            .get("groups")
            .is_none()
    );
    mock.patch(&gpath, json!([{"op": "remove", "path": "members"}]))
        .await
        .assert_error(404, None);
    let removed_all = mock
        .patch(
            &parent_path,
            json!([{"op": "remove", "path": "displayName"}]),
        )
        .await;
    removed_all.assert_error(400, Some("mutability"));
    // PUT replaces the member list; group writes ignore User.groups-style read-only input.
    let put = mock
        .put(&parent_path, &json!({"schemas": [GROUP_URN], "displayName": "P2", "members": [{"value": a}], "id": "x", "meta": {}}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(members(&put.body), [a.as_str()]);
    assert_eq!(put.body["id"], json!(id(&parent)));
}

#[tokio::test]
async fn concurrent_member_adds_lose_nothing() {
    let mock = Arc::new(Mock::start().await);
    let group = mock.group("Everyone", &[]).await;
    let gpath = format!("/Groups/{}", id(&group));
    let mut users = Vec::new();
    for i in 0..60 {
        users.push(id(&mock.user(&format!("c{i}")).await));
    }
    let mut tasks = Vec::new();
    for user in users.clone() {
        let mock = mock.clone();
        let gpath = gpath.clone();
        tasks.push(tokio::spawn(async move {
            mock.patch(
                &gpath,
                json!([{"op": "add", "path": "members", "value": [{"value": user}]}]),
            )
            .await
            .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.ok(), Some(200));
    }
    let stored = mock.get(&gpath).await.body;
    let mut members: Vec<String> = stored["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect();
    members.sort();
    users.sort();
    assert_eq!(members, users);
    assert_eq!(stored["meta"]["version"], "W/\"61\"");
}

#[tokio::test]
async fn soft_delete_with_active() {
    let mock = Mock::start().await;
    let user = mock
        .user_with(json!({"userName": "soft", "active": true}))
        .await;
    let path = format!("/Users/{}", id(&user));
    let off = mock
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(off.body["active"], false);
    let read = mock.get(&path).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["active"], false);
    let listed = mock.query("/Users", &[("filter", "active eq false")]).await;
    assert_eq!(listed.user_names(), ["soft"]);
    assert_eq!(
        mock.query("/Users", &[("filter", "userName eq \"soft\"")])
            .await
            .user_names(),
        ["soft"]
    );
    mock.post(
        "/Users",
        &json!({"schemas": [USER_URN], "userName": "SOFT"}),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    let on = mock
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(on.body["active"], true);
    assert_eq!(mock.get(&path).await.body["active"], true);
}

#[tokio::test]
async fn etags() {
    let mock = Mock::start().await;
    let user = mock.user("etag").await;
    let path = format!("/Users/{}", id(&user));
    let v1 = user["meta"]["version"]
        .as_str()
        .expect("version")
        .to_owned();
    assert_eq!(v1, "W/\"1\"");
    let not_modified = Mock::send(mock.req(Method::GET, &path).header("if-none-match", &v1)).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text.is_empty());
    let modified = Mock::send(
        mock.req(Method::GET, &path)
            .header("if-none-match", "W/\"9\""),
    )
    .await;
    assert_eq!(modified.status, 200);
    assert_eq!(modified.header("etag"), Some(v1.as_str()));

    let op = json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "nickName", "value": "n"}]});
    let stale = Mock::send(
        mock.req(Method::PATCH, &path)
            .header("if-match", "W/\"7\"")
            .json(&op),
    )
    .await;
    stale.assert_error(412, None);
    let fresh = Mock::send(
        mock.req(Method::PATCH, &path)
            .header("if-match", &v1)
            .json(&op),
    )
    .await;
    assert_eq!(fresh.status, 200);
    let v2 = fresh.header("etag").expect("etag").to_owned();
    assert_eq!(v2, "W/\"2\"");
    assert_eq!(fresh.body["meta"]["version"], json!(v2));
    assert!(fresh.body["meta"]["lastModified"].as_str() > user["meta"]["lastModified"].as_str());
    // Re-applying the same value changes nothing, so the version stays.
    let again = Mock::send(mock.req(Method::PATCH, &path).json(&op)).await;
    assert_eq!(again.header("etag"), Some(v2.as_str()));
    assert_eq!(
        again.body["meta"]["lastModified"],
        fresh.body["meta"]["lastModified"]
    );

    let body = json!({"schemas": [USER_URN], "userName": "etag", "nickName": "m"});
    Mock::send(
        mock.req(Method::PUT, &path)
            .header("if-match", &v1)
            .json(&body),
    )
    .await
    .assert_error(412, None);
    let put = Mock::send(
        mock.req(Method::PUT, &path)
            .header("if-match", &v2)
            .json(&body),
    )
    .await;
    assert_eq!(put.status, 200);
    Mock::send(mock.req(Method::DELETE, &path).header("if-match", &v2))
        .await
        .assert_error(412, None);
    let deleted = Mock::send(mock.req(Method::DELETE, &path).header("if-match", "*")).await;
    assert_eq!(deleted.status, 204);

    let group = mock.group("g", &[]).await;
    let gpath = format!("/Groups/{}", id(&group));
    assert_eq!(mock.get(&gpath).await.header("etag"), Some("W/\"1\""));
}

#[tokio::test]
async fn put_replaces() {
    let mock = Mock::start().await;
    let user = mock
        .user_with(json!({"userName": "put", "nickName": "n", "password": "pw", "emails": [{"value": "a@b"}]}))
        .await;
    let path = format!("/Users/{}", id(&user));
    let mut body = mock.get(&path).await.body;
    body["displayName"] = json!("Put");
    body["meta"]["created"] = json!("2000-01-01T00:00:00Z");
    body["groups"] = json!([{"value": "x"}]);
    body.as_object_mut().map(|o| o.remove("nickName"));
    let put = mock.put(&path, &body).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["displayName"], "Put");
    assert!(
        put.body.get("nickName").is_none(),
        "omitted attributes are cleared"
    );
    assert!(put.body.get("groups").is_none());
    assert_eq!(put.body["meta"]["created"], user["meta"]["created"]);
    mock.user("other").await;
    mock.put(&path, &json!({"schemas": [USER_URN], "userName": "OTHER"}))
        .await
        .assert_error(409, Some("uniqueness"));
    mock.put(&path, &json!({"schemas": [USER_URN]}))
        .await
        .assert_error(400, Some("invalidValue"));
    mock.put(
        "/Users/unknown",
        &json!({"schemas": [USER_URN], "userName": "new"}),
    )
    .await
    .assert_error(404, None);
}

#[tokio::test]
async fn bulk() {
    let mock = Mock::start().await;
    let existing = mock.user("existing").await;
    let body = json!({
        "schemas": [BULK_REQUEST],
        "Operations": [
            // Refers forward to a user created later in the same request.
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP_URN], "displayName": "Bulk", "members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER_URN], "userName": "bulk-user"}},
            {"method": "PATCH", "path": "/Users/bulkId:u", "data": {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "nickName", "value": "nick"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [USER_URN], "userName": "EXISTING"}},
            {"method": "PUT", "path": format!("/Users/{}", id(&existing)), "version": "W/\"1\"", "data": {"schemas": [USER_URN], "userName": "existing", "title": "t"}},
            {"method": "DELETE", "path": "/Users/nope"},
            {"method": "POST", "path": "/Users", "bulkId": "dangling", "data": {"schemas": [USER_URN], "userName": "d", "manager": "x", "externalId": "bulkId:missing"}}
        ]
    });
    let got = mock.post("/Bulk", &body).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        got.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let ops = got.body["Operations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<_> = ops.iter().map(|o| o["status"].clone()).collect();
    assert_eq!(
        statuses,
        [
            json!("201"),
            json!("201"),
            json!("200"),
            json!("409"),
            json!("200"),
            json!("404"),
            json!("409")
        ]
    );
    assert_eq!(ops[3]["response"]["scimType"], "uniqueness");
    assert_eq!(ops[3]["bulkId"], "dup");
    let group = mock
        .get(
            ops[0]["location"]
                .as_str()
                .map(|l| l.trim_start_matches(mock.server.base_url()))
                .unwrap_or_default(),
        )
        .await;
    let user = mock
        .get(
            ops[1]["location"]
                .as_str()
                .map(|l| l.trim_start_matches(mock.server.base_url()))
                .unwrap_or_default(),
        )
        .await;
    assert_eq!(group.body["members"][0]["value"], user.body["id"]);
    assert_eq!(user.body["nickName"], "nick");
    assert_eq!(
        ops[2]["version"],
        user.header("etag").map(|e| json!(e)).unwrap_or_default()
    );

    let fail_fast = json!({
        "schemas": [BULK_REQUEST],
        "failOnErrors": 1,
        "Operations": [
            {"method": "DELETE", "path": "/Users/nope"},
            {"method": "POST", "path": "/Users", "bulkId": "later", "data": {"schemas": [USER_URN], "userName": "never"}}
        ]
    });
    let stopped = mock.post("/Bulk", &fail_fast).await;
    assert_eq!(stopped.body["Operations"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        mock.query("/Users", &[("filter", "userName eq \"never\"")])
            .await
            .body["totalResults"],
        0
    );

    let circular = json!({
        "schemas": [BULK_REQUEST],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"schemas": [GROUP_URN], "displayName": "A", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"schemas": [GROUP_URN], "displayName": "B", "members": [{"value": "bulkId:a"}]}}
        ]
    });
    let statuses: Vec<_> = mock.post("/Bulk", &circular).await.body["Operations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("409"), json!("409")]);

    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let limited = mock
        .post(
            "/Bulk",
            &json!({"schemas": [BULK_REQUEST], "Operations": too_many}),
        )
        .await;
    limited.assert_error(413, None);
    assert!(
        limited.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("maxOperations"))
    );
    mock.post("/Bulk", &json!({"Operations": []}))
        .await
        .assert_error(400, Some("invalidSyntax"));
    let no_bulk_id = mock
        .post("/Bulk", &json!({"schemas": [BULK_REQUEST], "Operations": [{"method": "POST", "path": "/Users", "data": {"schemas": [USER_URN], "userName": "x"}}]}))
        .await;
    assert_eq!(no_bulk_id.body["Operations"][0]["status"], "400");
}
