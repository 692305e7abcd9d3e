//! Queries over real HTTP: filters, sorting, projection, index and cursor paging, searches.

#[path = "mock_support/mod.rs"]
mod support;

use std::time::Duration;

use reqwest::Method;
use scimcheck::mock::MockConfig;
use serde_json::{Value, json};
use support::*;

/// Four users with varied attributes, plus a group holding bjensen.
async fn people(mock: &Mock) -> Vec<String> {
    let bjensen = mock
        .user_with(json!({
            "userName": "bjensen",
            "externalId": "Ext-1",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "title": "Tour \"Guide\"",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            ENTERPRISE_URN: {"employeeNumber": "701984"}
        }))
        .await;
    let jsmith = mock
        .user_with(json!({
            "userName": "jsmith",
            "externalId": "ext-2",
            "name": {"givenName": "John", "familyName": "Smith"},
            "active": false,
            "emails": [{"value": "john@example.com", "type": "work"}]
        }))
        .await;
    let alice = mock
        .user_with(json!({
            "userName": "alice",
            "nickName": "Al",
            "name": {"givenName": "Alice", "familyName": "Jones"},
            "active": true,
            "emails": [{"value": "alice@home.org", "type": "home"}]
        }))
        .await;
    let zed = mock
        .user_with(json!({"userName": "zed", "active": true}))
        .await;
    mock.group("Admins", &[&id(&bjensen)]).await;
    vec![id(&bjensen), id(&jsmith), id(&alice), id(&zed)]
}

#[tokio::test]
async fn filters() {
    let mock = Mock::start().await;
    let ids = people(&mock).await;
    let enterprise = format!("{ENTERPRISE_URN}:employeeNumber eq \"701984\"");
    let by_id = format!("id eq \"{}\"", ids[2]);
    let by_id_upper = format!("id eq \"{}\"", ids[2].to_uppercase());
    let schemas = format!("schemas eq \"{ENTERPRISE_URN}\"");
    let cases: Vec<(&str, &[&str])> = vec![
        (r#"userName eq "BJENSEN""#, &["bjensen"]),
        (r#"USERNAME Eq "bjensen""#, &["bjensen"]),
        (r#"userName ne "bjensen""#, &["jsmith", "alice", "zed"]),
        (r#"userName co "J""#, &["bjensen", "jsmith"]),
        (r#"userName sw "a""#, &["alice"]),
        (r#"userName ew "N""#, &["bjensen"]),
        ("userName pr", &["bjensen", "jsmith", "alice", "zed"]),
        ("nickName pr", &["alice"]),
        (r#"title eq "Tour \"Guide\"""#, &["bjensen"]),
        (r#"name.familyName eq "jensen""#, &["bjensen"]),
        (
            r#"name.givenName sw "J" or name.familyName sw "J""#,
            &["bjensen", "jsmith", "alice"],
        ),
        (r#"emails.value co "@example.com""#, &["bjensen", "jsmith"]),
        (r#"emails co "@jensen.org""#, &["bjensen"]),
        (r#"emails[type eq "work" and value co "john"]"#, &["jsmith"]),
        (r#"emails[type eq "home"]"#, &["bjensen", "alice"]),
        (r#"emails[primary eq true]"#, &["bjensen"]),
        ("active eq false", &["jsmith"]),
        ("active eq true and not (emails pr)", &["zed"]),
        (r#"externalId eq "ext-1""#, &[]),
        (r#"externalId eq "Ext-1""#, &["bjensen"]),
        (&by_id, &["alice"]),
        (&by_id_upper, &[]),
        (
            r#"userName eq "zed" or name.givenName eq "Alice""#,
            &["alice", "zed"],
        ),
        (
            r#"userName eq "zed" or userName eq "alice" and active eq false"#,
            &["zed"],
        ),
        (
            r#"(userName eq "zed" or userName eq "alice") and active eq true"#,
            &["alice", "zed"],
        ),
        (
            r#"not (userName eq "zed" or userName eq "alice")"#,
            &["bjensen", "jsmith"],
        ),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z""#,
            &["bjensen", "jsmith", "alice", "zed"],
        ),
        (r#"meta.lastModified lt "2000-01-01T00:00:00+01:00""#, &[]),
        (
            r#"meta.resourceType eq "User" and userName eq "zed""#,
            &["zed"],
        ),
        (&enterprise, &["bjensen"]),
        (&schemas, &["bjensen"]),
        (r#"groups.display eq "admins""#, &["bjensen"]),
        (r#"groups pr"#, &["bjensen"]),
        (r#"userName gt "bz" and userName lt "k""#, &["jsmith"]),
        (r#"userName ge "zed""#, &["zed"]),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice""#,
            &["alice"],
        ),
    ];
    for (filter, want) in cases {
        let got = mock.query("/Users", &[("filter", filter)]).await;
        assert_eq!(got.status, 200, "{filter}: {}", got.text);
        assert_eq!(got.user_names(), *want, "{filter}");
        assert_eq!(got.body["totalResults"], json!(want.len()), "{filter}");
    }
    let groups = mock
        .query(
            "/Groups",
            &[(
                "filter",
                r#"displayName eq "ADMINS" and members.value eq "x""#,
            )],
        )
        .await;
    assert_eq!(groups.body["totalResults"], 0);
    let member = format!("members[value eq \"{}\"]", ids[0]);
    let groups = mock.query("/Groups", &[("filter", &member)]).await;
    assert_eq!(groups.body["totalResults"], 1, "{}", groups.text);
}

#[tokio::test]
async fn invalid_filters() {
    let mock = Mock::start().await;
    people(&mock).await;
    let cases = [
        r#"userName regex "x""#,
        "userName eq",
        r#"(userName eq "x""#,
        r#"userName eq "x")"#,
        "active gt true",
        r#"active gt "x""#,
        r#"meta.created co 5"#,
        r#"password eq "x""#,
        r#"nosuch eq "x""#,
        r#"name.nosuch eq "x""#,
        r#"userName eq "unterminated"#,
        r#"not userName eq "x""#,
        r#"userName eq "a" xor userName eq "b""#,
        r#"emails[type eq "work""#,
        r#"emails[type eq "work"] eq "x""#,
        "userName eq bare",
        "",
    ];
    for filter in cases {
        let got = mock.query("/Users", &[("filter", filter)]).await;
        got.assert_error(400, Some("invalidFilter"));
    }
    let search = mock
        .post(
            "/Users/.search",
            &json!({"schemas": [SEARCH_URN], "filter": "userName zz \"x\""}),
        )
        .await;
    search.assert_error(400, Some("invalidFilter"));
}

#[tokio::test]
async fn sorting() {
    let mock = Mock::start().await;
    people(&mock).await;
    mock.user_with(json!({"userName": "Bob", "name": {"familyName": "adams"}}))
        .await;
    // (query parameters, expected userNames in order)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: Vec<Case> = vec![
        // Case-insensitive: "Bob" sorts between "bjensen" and "jsmith".
        (
            &[("sortBy", "userName")],
            &["alice", "bjensen", "Bob", "jsmith", "zed"],
        ),
        (
            &[("sortBy", "USERNAME"), ("sortOrder", "descending")],
            &["zed", "jsmith", "Bob", "bjensen", "alice"],
        ),
        (
            &[("sortBy", "userName"), ("sortOrder", "Ascending")],
            &["alice", "bjensen", "Bob", "jsmith", "zed"],
        ),
        (
            &[("sortBy", "name.familyName")],
            &["Bob", "bjensen", "alice", "jsmith", "zed"],
        ),
        (
            &[("sortBy", "name.familyName"), ("sortOrder", "descending")],
            &["zed", "jsmith", "alice", "bjensen", "Bob"],
        ),
        // Multi-valued: the primary value, else the first.
        (
            &[("sortBy", "emails.value")],
            &["alice", "bjensen", "jsmith", "zed", "Bob"],
        ),
        (
            &[("sortBy", "emails")],
            &["alice", "bjensen", "jsmith", "zed", "Bob"],
        ),
        (
            &[("sortBy", "nosuch")],
            &["bjensen", "jsmith", "alice", "zed", "Bob"],
        ),
    ];
    for (params, want) in cases {
        let got = mock.query("/Users", params).await;
        assert_eq!(got.user_names(), *want, "{params:?}");
    }
    mock.query(
        "/Users",
        &[("sortBy", "userName"), ("sortOrder", "sideways")],
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let paged = mock
        .query(
            "/Users",
            &[("sortBy", "userName"), ("startIndex", "2"), ("count", "2")],
        )
        .await;
    assert_eq!(paged.user_names(), ["bjensen", "Bob"]);
}

#[tokio::test]
async fn projection() {
    let mock = Mock::start().await;
    let ids = people(&mock).await;
    let path = format!("/Users/{}", ids[0]);
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };

    let only = mock.query(&path, &[("attributes", "userName")]).await;
    assert_eq!(keys(&only.body), ["schemas", "id", "userName"]);
    let sub = mock
        .query(&path, &[("attributes", "name.givenName,emails.value")])
        .await;
    assert_eq!(sub.body["name"], json!({"givenName": "Barbara"}));
    assert_eq!(
        sub.body["emails"],
        json!([{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}])
    );
    let ext = mock
        .query(
            &path,
            &[("attributes", &format!("{ENTERPRISE_URN}:employeeNumber"))],
        )
        .await;
    assert_eq!(
        ext.body[ENTERPRISE_URN],
        json!({"employeeNumber": "701984"})
    );
    assert!(ext.body.get("userName").is_none());
    let whole_ext = mock.query(&path, &[("attributes", ENTERPRISE_URN)]).await;
    assert_eq!(
        whole_ext.body[ENTERPRISE_URN],
        json!({"employeeNumber": "701984"})
    );
    let meta = mock.query(&path, &[("attributes", "meta.version")]).await;
    assert_eq!(keys(&meta.body["meta"]), ["version"]);

    let excluded = mock
        .query(
            &path,
            &[("excludedAttributes", "emails,id,name.familyName,groups")],
        )
        .await;
    assert!(excluded.body.get("emails").is_none() && excluded.body.get("groups").is_none());
    assert_eq!(excluded.body["id"], json!(ids[0]), "id is returned always");
    assert_eq!(excluded.body["name"], json!({"givenName": "Barbara"}));
    let full = mock.get(&path).await;
    assert!(
        full.body["groups"][0]["display"] == "Admins",
        "{}",
        full.text
    );

    let password = mock
        .user_with(json!({"userName": "pw", "password": "s3cret"}))
        .await;
    let pw_path = format!("/Users/{}", id(&password));
    for params in [&[("attributes", "password")][..], &[][..]] {
        let got = mock.query(&pw_path, params).await;
        assert!(
            !got.text.contains("s3cret") && got.body.get("password").is_none(),
            "{}",
            got.text
        );
    }
    let listed = mock
        .query("/Users", &[("attributes", "password,userName")])
        .await;
    assert!(!listed.text.contains("s3cret"));

    let list = mock
        .query(
            "/Users",
            &[
                ("attributes", "userName"),
                ("filter", "userName eq \"alice\""),
            ],
        )
        .await;
    assert_eq!(
        keys(&list.body["Resources"][0]),
        ["schemas", "id", "userName"]
    );
    let group = mock
        .query("/Groups", &[("excludedAttributes", "members")])
        .await;
    assert!(group.body["Resources"][0].get("members").is_none());
    assert_eq!(group.body["Resources"][0]["displayName"], "Admins");
    let created = Mock::send(
        mock.req(Method::POST, "/Users")
            .query(&[("attributes", "userName")])
            .json(&json!({"schemas": [USER_URN], "userName": "projected", "nickName": "n"})),
    )
    .await;
    assert_eq!(keys(&created.body), ["schemas", "id", "userName"]);
}

#[tokio::test]
async fn index_paging_edges() {
    let mock = Mock::with(MockConfig {
        default_page_size: 2,
        max_page_size: 3,
        ..MockConfig::default()
    })
    .await;
    for i in 1..=5 {
        mock.user(&format!("u{i}")).await;
    }
    // (params, startIndex, itemsPerPage, names, Resources present)
    type Case<'a> = (&'a [(&'a str, &'a str)], i64, usize, &'a [&'a str], bool);
    let cases: Vec<Case> = vec![
        (&[], 1, 2, &["u1", "u2"], true),
        (&[("startIndex", "0")], 1, 2, &["u1", "u2"], true),
        (&[("startIndex", "-5"), ("count", "1")], 1, 1, &["u1"], true),
        (&[("startIndex", "4")], 4, 2, &["u4", "u5"], true),
        (&[("count", "100")], 1, 3, &["u1", "u2", "u3"], true),
        (&[("count", "0")], 1, 0, &[], false),
        (&[("count", "-1")], 1, 0, &[], false),
        (&[("startIndex", "6"), ("count", "3")], 6, 0, &[], true),
        (&[("startIndex", "5"), ("count", "3")], 5, 1, &["u5"], true),
        (&[("unknownParam", "1")], 1, 2, &["u1", "u2"], true),
    ];
    for (params, start, per_page, names, has_resources) in cases {
        let got = mock.query("/Users", params).await;
        assert_eq!(got.status, 200, "{params:?}: {}", got.text);
        assert_eq!(got.body["totalResults"], 5, "{params:?}");
        assert_eq!(got.body["startIndex"], start, "{params:?}");
        assert_eq!(got.body["itemsPerPage"], per_page, "{params:?}");
        assert_eq!(got.user_names(), names, "{params:?}");
        assert_eq!(
            got.body.get("Resources").is_some(),
            has_resources,
            "{params:?}"
        );
    }
    for params in [[("count", "abc")], [("startIndex", "1.5")]] {
        mock.query("/Users", &params)
            .await
            .assert_error(400, Some("invalidValue"));
    }
    // Okta's import: walk startIndex 1, 1+n, … until totalResults; stable and complete.
    let mut seen = Vec::new();
    let mut start = 1;
    while start <= 5 {
        let page = mock
            .query(
                "/Users",
                &[("startIndex", &start.to_string()), ("count", "2")],
            )
            .await;
        seen.extend(page.user_names());
        start += 2;
    }
    assert_eq!(seen, ["u1", "u2", "u3", "u4", "u5"]);
}

/// Follows `nextCursor` from the first page; returns every page's userNames and body.
async fn walk(mock: &Mock, path: &str, params: &[(&str, &str)]) -> Vec<(Vec<String>, Value)> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let mut query: Vec<(&str, &str)> = params.to_vec();
        query.push(("cursor", &cursor));
        let page = mock.query(path, &query).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let next = page.body["nextCursor"].as_str().map(str::to_owned);
        pages.push((page.user_names(), page.body));
        match next {
            Some(next) => cursor = next,
            None => return pages,
        }
    }
    panic!("the cursor walk did not end");
}

#[tokio::test]
async fn cursor_paging() {
    let mock = Mock::with(MockConfig {
        default_page_size: 2,
        max_page_size: 3,
        ..MockConfig::default()
    })
    .await;
    for i in 1..=5 {
        mock.user(&format!("u{i}")).await;
    }
    let pages = walk(&mock, "/Users", &[]).await;
    let names: Vec<_> = pages.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, [vec!["u1", "u2"], vec!["u3", "u4"], vec!["u5"]]);
    for (i, (_, body)) in pages.iter().enumerate() {
        assert_eq!(body["totalResults"], 5);
        assert!(body.get("startIndex").is_none());
        assert_eq!(
            body.get("previousCursor").is_some(),
            i > 0,
            "previousCursor only after the first page"
        );
        for key in ["nextCursor", "previousCursor"] {
            if let Some(c) = body[key].as_str() {
                assert!(
                    !c.is_empty()
                        && c.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
                    "{c}"
                );
            }
        }
    }
    // previousCursor leads back to the previous page.
    let previous = pages[2].1["previousCursor"]
        .as_str()
        .expect("previousCursor");
    let back = mock.query("/Users", &[("cursor", previous)]).await;
    assert_eq!(back.user_names(), ["u3", "u4"]);

    let filtered = walk(
        &mock,
        "/Users",
        &[("filter", "userName ne \"u2\""), ("count", "3")],
    )
    .await;
    let names: Vec<_> = filtered.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, [vec!["u1", "u3", "u4"], vec!["u5"]]);
    let sorted = walk(
        &mock,
        "/Users",
        &[("sortBy", "userName"), ("sortOrder", "descending")],
    )
    .await;
    let names: Vec<_> = sorted.iter().flat_map(|(n, _)| n.clone()).collect();
    assert_eq!(names, ["u5", "u4", "u3", "u2", "u1"]);
    let back = mock
        .query(
            "/Users",
            &[
                ("sortBy", "userName"),
                ("sortOrder", "descending"),
                (
                    "cursor",
                    sorted[2].1["previousCursor"].as_str().unwrap_or_default(),
                ),
            ],
        )
        .await;
    assert_eq!(back.user_names(), ["u3", "u2"]);

    let only_total = mock
        .query("/Users", &[("cursor", ""), ("count", "0")])
        .await;
    assert_eq!(only_total.body["totalResults"], 5);
    assert!(only_total.body.get("Resources").is_none());

    let second = pages[0].1["nextCursor"].as_str().expect("nextCursor");
    mock.query("/Users", &[("cursor", "FORGED~~")])
        .await
        .assert_error(400, Some("invalidCursor"));
    mock.query("/Users", &[("cursor", &second[..second.len() - 2])])
        .await
        .assert_error(400, Some("invalidCursor"));
    mock.query("/Users", &[("cursor", second), ("filter", "userName pr")])
        .await
        .assert_error(400, Some("invalidCursor"));
    mock.query("/Users", &[("cursor", second), ("count", "3")])
        .await
        .assert_error(400, Some("invalidCount"));
    mock.query("/Users", &[("cursor", ""), ("count", "4")])
        .await
        .assert_error(400, Some("invalidCount"));
    mock.query("/Users", &[("cursor", ""), ("startIndex", "1")])
        .await
        .assert_error(400, Some("invalidValue"));
    let b_token = mock.server.credentials().other_tenant_token.clone();
    let as_b = Mock::send(
        mock.client
            .get(mock.url("/Users"))
            .bearer_auth(b_token)
            .query(&[("cursor", second)]),
    )
    .await;
    as_b.assert_error(400, Some("invalidCursor"));
    let ok = mock
        .query("/Users", &[("cursor", second), ("count", "2")])
        .await;
    assert_eq!(
        ok.user_names(),
        ["u3", "u4"],
        "repeating the same count is fine"
    );
}

#[tokio::test]
async fn cursor_survives_changes_between_pages() {
    let mock = Mock::with(MockConfig {
        default_page_size: 2,
        ..MockConfig::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 1..=5 {
        ids.push(id(&mock.user(&format!("u{i}")).await));
    }
    let first = mock.query("/Users", &[("cursor", "")]).await;
    let next = first.body["nextCursor"]
        .as_str()
        .expect("nextCursor")
        .to_owned();
    // Deleting the first resource of the next page and one already seen shifts offsets,
    // but a cursor that holds the position key neither skips nor repeats.
    assert_eq!(mock.delete(&format!("/Users/{}", ids[2])).await.status, 204);
    assert_eq!(mock.delete(&format!("/Users/{}", ids[0])).await.status, 204);
    mock.user("u6").await;
    let second = mock.query("/Users", &[("cursor", &next)]).await;
    assert_eq!(second.user_names(), ["u4", "u5"]);
    let third = mock
        .query(
            "/Users",
            &[(
                "cursor",
                second.body["nextCursor"].as_str().unwrap_or_default(),
            )],
        )
        .await;
    assert_eq!(third.user_names(), ["u6"]);
    assert!(third.body.get("nextCursor").is_none());
}

#[tokio::test]
async fn expired_cursor() {
    let mock = Mock::with(MockConfig {
        default_page_size: 1,
        cursor_timeout: Duration::from_millis(200),
        ..MockConfig::default()
    })
    .await;
    mock.user("a").await;
    mock.user("b").await;
    let first = mock.query("/Users", &[("cursor", "")]).await;
    let next = first.body["nextCursor"]
        .as_str()
        .expect("nextCursor")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    mock.query("/Users", &[("cursor", &next)])
        .await
        .assert_error(400, Some("expiredCursor"));
}

#[tokio::test]
async fn searches() {
    let mock = Mock::start().await;
    people(&mock).await;
    let body = json!({
        "schemas": [SEARCH_URN],
        "filter": "emails.type eq \"work\"",
        "attributes": ["userName"],
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 1,
        "count": 10
    });
    let found = mock.post("/Users/.search", &body).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["schemas"], json!([LIST_URN]));
    assert_eq!(found.user_names(), ["jsmith", "bjensen"]);
    assert!(found.body["Resources"][0].get("emails").is_none());
    let get = mock
        .query(
            "/Users",
            &[
                ("filter", "emails.type eq \"work\""),
                ("attributes", "userName"),
                ("sortBy", "userName"),
                ("sortOrder", "descending"),
            ],
        )
        .await;
    assert_eq!(
        get.body["Resources"], found.body["Resources"],
        "POST .search equals the GET"
    );

    let cursor = mock
        .post(
            "/Users/.search",
            &json!({"schemas": [SEARCH_URN], "cursor": "", "count": 3}),
        )
        .await;
    assert_eq!(cursor.user_names(), ["bjensen", "jsmith", "alice"]);
    let next = cursor.body["nextCursor"].as_str().expect("nextCursor");
    let rest = mock
        .post(
            "/Users/.search",
            &json!({"schemas": [SEARCH_URN], "cursor": next, "count": 3}),
        )
        .await;
    assert_eq!(rest.user_names(), ["zed"]);

    let groups = mock
        .post(
            "/Groups/.search",
            &json!({"schemas": [SEARCH_URN], "filter": "displayName sw \"adm\""}),
        )
        .await;
    assert_eq!(groups.body["totalResults"], 1);
    let root = mock
        .post(
            "/.search",
            &json!({"schemas": [SEARCH_URN], "filter": "displayName pr or userName eq \"zed\""}),
        )
        .await;
    assert_eq!(root.status, 200, "{}", root.text);
    let types: Vec<_> = root.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["meta"]["resourceType"].clone())
        .collect();
    assert_eq!(types, [json!("User"), json!("Group")]);
    mock.post("/Users/.search", &json!({"filter": "userName pr"}))
        .await
        .assert_error(400, Some("invalidSyntax"));
    mock.post(
        "/Users/.search",
        &json!({"schemas": [SEARCH_URN], "count": "ten"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn discovery() {
    let mock = Mock::start().await;
    let types = mock
        .query("/ResourceTypes", &[("startIndex", "2"), ("count", "1")])
        .await;
    assert_eq!(types.status, 200);
    assert_eq!(
        types.body["totalResults"], 2,
        "paging is ignored on discovery lists"
    );
    let names: Vec<_> = types.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("User"), json!("Group")]);
    let user_type = mock.get("/ResourceTypes/User").await;
    assert_eq!(user_type.body["endpoint"], "/Users");
    assert_eq!(
        user_type.body["schemaExtensions"],
        json!([
            {"schema": ENTERPRISE_URN, "required": false},
            {"schema": MOCK_URN, "required": false},
        ])
    );
    mock.get("/ResourceTypes/Widget")
        .await
        .assert_error(404, None);

    let schemas = mock.get("/Schemas").await;
    let ids: Vec<_> = schemas.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["id"].clone())
        .collect();
    const MOCK_URN: &str = "urn:scimcheck:params:scim:schemas:extension:mock:2.0:User";
    assert_eq!(
        ids,
        [
            json!(USER_URN),
            json!(ENTERPRISE_URN),
            json!(MOCK_URN),
            json!(GROUP_URN)
        ]
    );
    for schema_id in [USER_URN, ENTERPRISE_URN, MOCK_URN, GROUP_URN] {
        let schema = mock.get(&format!("/Schemas/{schema_id}")).await;
        assert_eq!(schema.status, 200);
        assert_eq!(schema.body["id"], schema_id);
        assert_eq!(
            schema.body["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
        );
        assert!(
            !schema.text.contains("null"),
            "Entra rejects nulls in schemas"
        );
    }
    let user = mock.get(&format!("/Schemas/{USER_URN}")).await;
    let attribute = |name: &str| {
        user.body["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(attribute("userName")["uniqueness"], "server");
    assert_eq!(attribute("userName")["required"], true);
    assert_eq!(attribute("password")["returned"], "never");
    assert_eq!(attribute("password")["mutability"], "writeOnly");
    assert_eq!(attribute("groups")["mutability"], "readOnly");
    assert_eq!(attribute("active")["type"], "boolean");
    assert_eq!(attribute("emails")["multiValued"], true);
    mock.get("/Schemas/urn:nope").await.assert_error(404, None);
    mock.query("/Schemas", &[("filter", "id pr")])
        .await
        .assert_error(403, None);
}
