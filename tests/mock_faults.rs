//! Every fault changes what the server does: the same probe runs against a clean server and
//! a server with only that fault, and both observations are checked.

#[path = "mock_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use scimcheck::mock::{Fault, MockConfig};
use serde_json::{Value, json};
use support::*;

fn status(resp: &Resp) -> Value {
    json!(resp.status)
}

/// Creates `n` users named u1…un.
async fn users(mock: &Mock, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(id(&mock.user(&format!("u{i}")).await));
    }
    ids
}

/// Runs the probe for `fault` on `mock`: returns what was observed, and what a clean server
/// and a server with the fault must show. The match is exhaustive, so a new fault does not
/// compile without a probe.
async fn probe(fault: Fault, mock: &Mock) -> (Value, Value, Value) {
    let credentials = mock.server.credentials().clone();
    let unauthenticated = || Mock::send(mock.client.get(mock.url("/Users")));
    match fault {
        Fault::AcceptAnyToken => {
            let resp = Mock::send(mock.client.get(mock.url("/Users")).bearer_auth("garbage")).await;
            (status(&resp), json!(401), json!(200))
        }
        Fault::AcceptApiKey => {
            let resp = Mock::send(
                mock.client
                    .get(mock.url("/Users"))
                    .bearer_auth(&credentials.api_key),
            )
            .await;
            (status(&resp), json!(401), json!(200))
        }
        Fault::CrossTenantToken => {
            let a = id(&mock.user("tenant-a-user").await);
            let resp = Mock::send(
                mock.client
                    .get(mock.url(&format!("/Users/{a}")))
                    .bearer_auth(&credentials.other_tenant_token),
            )
            .await;
            (status(&resp), json!(404), json!(200))
        }
        Fault::RevokedTokenAccepted => {
            let path = mock.url(&format!("/Users/{}", users(mock, 1).await[0]));
            let revoked = &credentials.revoked_token;
            let read = Mock::send(mock.client.get(&path).bearer_auth(revoked)).await;
            let delete = Mock::send(mock.client.delete(&path).bearer_auth(revoked)).await;
            (
                json!([read.status, delete.status]),
                json!([401, 401]),
                json!([200, 401]),
            )
        }
        Fault::NonScim401Body => {
            let resp = unauthenticated().await;
            (
                json!([
                    resp.status,
                    resp.header("content-type"),
                    resp.body["schemas"]
                ]),
                json!([401, "application/scim+json", [ERROR_URN]]),
                json!([401, "text/html; charset=utf-8", null]),
            )
        }
        Fault::ForbiddenInsteadOf401 => (status(&unauthenticated().await), json!(401), json!(403)),
        Fault::MissingWwwAuthenticate => {
            let resp = unauthenticated().await;
            (
                json!(resp.header("www-authenticate")),
                json!("Bearer realm=\"scimcheck-mock\""),
                Value::Null,
            )
        }
        Fault::DeleteOnlyDeactivates => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let deleted = mock.delete(&path).await;
            let read = mock.get(&path).await;
            (
                json!([deleted.status, read.status, read.body["active"]]),
                json!([204, 404, null]),
                json!([204, 200, false]),
            )
        }
        Fault::DeactivateHidesUser => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            mock.patch(
                &path,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
            let read = mock.get(&path).await;
            let listed = mock.query("/Users", &[("filter", "active eq false")]).await;
            (
                json!([read.status, listed.body["totalResults"]]),
                json!([200, 1]),
                json!([404, 0]),
            )
        }
        Fault::ActiveFalseNotStored => {
            let user = mock
                .user_with(json!({"userName": "act", "active": true}))
                .await;
            let path = format!("/Users/{}", id(&user));
            let patched = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "value": {"active": false}}]),
                )
                .await;
            let read = mock.get(&path).await;
            (
                json!([patched.body["active"], read.body["active"]]),
                json!([false, false]),
                json!([false, true]),
            )
        }
        Fault::GetAfterDelete200 => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            mock.delete(&path).await;
            (status(&mock.get(&path).await), json!(404), json!(200))
        }
        Fault::UsernameNotFreedAfterDelete => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            mock.delete(&path).await;
            let again = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "u1"}))
                .await;
            (status(&again), json!(201), json!(409))
        }
        Fault::ZeroBasedStartIndex => {
            users(mock, 3).await;
            let page = mock
                .query("/Users", &[("startIndex", "1"), ("count", "1")])
                .await;
            (json!(page.user_names()), json!(["u1"]), json!(["u2"]))
        }
        Fault::TotalResultsIsPageSize => {
            users(mock, 3).await;
            let page = mock.query("/Users", &[("count", "1")]).await;
            (page.body["totalResults"].clone(), json!(3), json!(1))
        }
        Fault::CountIgnored => {
            users(mock, 3).await;
            let page = mock.query("/Users", &[("count", "1")]).await;
            (page.body["itemsPerPage"].clone(), json!(1), json!(3))
        }
        Fault::PageOverlap => {
            users(mock, 4).await;
            let page = mock
                .query("/Users", &[("startIndex", "3"), ("count", "2")])
                .await;
            (
                json!(page.user_names()),
                json!(["u3", "u4"]),
                json!(["u2", "u3"]),
            )
        }
        Fault::ItemsPerPageMissing => {
            users(mock, 2).await;
            let page = mock.query("/Users", &[("count", "1")]).await;
            (page.body["itemsPerPage"].clone(), json!(1), Value::Null)
        }
        Fault::CursorNeverEnds => {
            users(mock, 2).await;
            let page = mock
                .query("/Users", &[("cursor", ""), ("count", "2")])
                .await;
            (
                json!(page.body.get("nextCursor").is_some()),
                json!(false),
                json!(true),
            )
        }
        Fault::CursorSkipsItem => {
            users(mock, 3).await;
            let mut seen = Vec::new();
            let mut cursor = String::new();
            for _ in 0..5 {
                let page = mock
                    .query("/Users", &[("cursor", &cursor), ("count", "1")])
                    .await;
                seen.extend(page.user_names());
                match page.body["nextCursor"].as_str() {
                    Some(next) => cursor = next.to_owned(),
                    None => break,
                }
            }
            (json!(seen), json!(["u1", "u2", "u3"]), json!(["u1", "u3"]))
        }
        Fault::CursorNotValidated => {
            users(mock, 1).await;
            let resp = mock.query("/Users", &[("cursor", "FORGED~~")]).await;
            (
                json!([resp.status, resp.body["scimType"]]),
                json!([400, "invalidCursor"]),
                json!([200, null]),
            )
        }
        Fault::FilterIgnored => {
            users(mock, 2).await;
            let resp = mock
                .query("/Users", &[("filter", "userName eq \"u1\"")])
                .await;
            (resp.body["totalResults"].clone(), json!(1), json!(2))
        }
        Fault::UsernameFilterCaseSensitive => {
            users(mock, 1).await;
            let resp = mock
                .query("/Users", &[("filter", "userName eq \"U1\"")])
                .await;
            (resp.body["totalResults"].clone(), json!(1), json!(0))
        }
        Fault::InvalidFilter500 => {
            let resp = mock
                .query("/Users", &[("filter", "userName regex \"x\"")])
                .await;
            (
                json!([resp.status, resp.body["scimType"]]),
                json!([400, "invalidFilter"]),
                json!([500, null]),
            )
        }
        Fault::SortIgnored => {
            mock.user("b").await;
            mock.user("a").await;
            let resp = mock.query("/Users", &[("sortBy", "userName")]).await;
            (
                json!(resp.user_names()),
                json!(["a", "b"]),
                json!(["b", "a"]),
            )
        }
        Fault::SortIgnoredNewestFirst => {
            mock.user("b").await;
            mock.user("c").await;
            mock.user("a").await;
            let resp = mock.query("/Users", &[("sortBy", "userName")]).await;
            (
                json!(resp.user_names()),
                json!(["a", "b", "c"]),
                json!(["a", "c", "b"]),
            )
        }
        Fault::FirstPageEmpty => {
            users(mock, 2).await;
            let resp = mock.query("/Users", &[]).await;
            (
                json!([resp.body["totalResults"], resp.user_names().len()]),
                json!([2, 2]),
                json!([2, 0]),
            )
        }
        Fault::ExcludedAttributesIgnored => {
            let user = mock
                .user_with(json!({"userName": "x", "nickName": "n"}))
                .await;
            let resp = mock
                .query(
                    &format!("/Users/{}", id(&user)),
                    &[("excludedAttributes", "nickName")],
                )
                .await;
            (resp.body["nickName"].clone(), Value::Null, json!("n"))
        }
        Fault::DuplicateUsernameAccepted => {
            users(mock, 1).await;
            let again = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "u1"}))
                .await;
            (status(&again), json!(409), json!(201))
        }
        Fault::ClientIdHonored => {
            let created = mock
                .post(
                    "/Users",
                    &json!({"schemas": [USER_URN], "userName": "x", "id": "my-id"}),
                )
                .await;
            (
                json!(created.body["id"] == "my-id"),
                json!(false),
                json!(true),
            )
        }
        Fault::LocationMissing => {
            let created = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "x"}))
                .await;
            (
                json!(created.header("location").is_some()),
                json!(true),
                json!(false),
            )
        }
        Fault::PasswordReturned => {
            let created = mock
                .post(
                    "/Users",
                    &json!({"schemas": [USER_URN], "userName": "x", "password": "pw"}),
                )
                .await;
            let read = mock.get(&format!("/Users/{}", id(&created.body))).await;
            (
                json!([created.body["password"], read.body["password"]]),
                json!([null, null]),
                json!(["pw", "pw"]),
            )
        }
        Fault::PatchCapitalizedOpsRejected => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = mock
                .patch(
                    &path,
                    json!([{"op": "Replace", "path": "nickName", "value": "n"}]),
                )
                .await;
            (status(&resp), json!(200), json!(400))
        }
        Fault::StringBooleanRejected => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = mock
                .patch(
                    &path,
                    json!([{"op": "Replace", "path": "active", "value": "False"}]),
                )
                .await;
            (status(&resp), json!(200), json!(400))
        }
        Fault::PatchNotAtomic => {
            let user = mock
                .user_with(json!({"userName": "x", "displayName": "A"}))
                .await;
            let path = format!("/Users/{}", id(&user));
            let ops = json!([{"op": "replace", "path": "displayName", "value": "B"}, {"op": "replace", "path": "nosuch", "value": 1}]);
            let resp = mock.patch(&path, ops).await;
            let read = mock.get(&path).await;
            (
                json!([resp.status, read.body["displayName"]]),
                json!([400, "A"]),
                json!([400, "B"]),
            )
        }
        Fault::MemberRemoveRemovesAll => {
            let ids = users(mock, 2).await;
            let group = mock.group("g", &[&ids[0], &ids[1]]).await;
            let ops = json!([{"op": "Remove", "path": "members", "value": [{"value": ids[0]}]}]);
            let resp = mock.patch(&format!("/Groups/{}", id(&group)), ops).await;
            (
                json!(resp.body["members"].as_array().map_or(0, Vec::len)),
                json!(1),
                json!(0),
            )
        }
        Fault::PatchNotApplied => {
            let user = mock.user("x").await;
            let path = format!("/Users/{}", id(&user));
            mock.patch(
                &path,
                json!([{"op": "replace", "path": "nickName", "value": "n"}]),
            )
            .await;
            (
                mock.get(&path).await.body["nickName"].clone(),
                json!("n"),
                Value::Null,
            )
        }
        Fault::PutNotApplied => {
            let user = mock.user("x").await;
            let path = format!("/Users/{}", id(&user));
            mock.put(
                &path,
                &json!({"schemas": [USER_URN], "userName": "x", "nickName": "n"}),
            )
            .await;
            (
                mock.get(&path).await.body["nickName"].clone(),
                json!("n"),
                Value::Null,
            )
        }
        Fault::BulkNotApplied => {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b",
                    "data": {"schemas": [USER_URN], "userName": "bulk"}}],
            });
            mock.post("/Bulk", &body).await;
            let found = mock
                .query("/Users", &[("filter", "userName eq \"bulk\"")])
                .await;
            (found.body["totalResults"].clone(), json!(1), json!(0))
        }
        Fault::AttributesIgnored => {
            let user = mock
                .user_with(json!({"userName": "x", "nickName": "n"}))
                .await;
            let resp = mock
                .query(
                    &format!("/Users/{}", id(&user)),
                    &[("attributes", "userName")],
                )
                .await;
            (resp.body["nickName"].clone(), Value::Null, json!("n"))
        }
        Fault::EtagHeaderMissing => {
            let user = mock.user("x").await;
            let resp = mock.get(&format!("/Users/{}", id(&user))).await;
            (
                json!(resp.header("etag").is_some()),
                json!(true),
                json!(false),
            )
        }
        Fault::DiscoveryListsMissing => {
            (status(&mock.get("/Schemas").await), json!(200), json!(404))
        }
        Fault::ScimJsonOnly => {
            let resp = Mock::send(
                mock.req(Method::POST, "/Users")
                    .header("content-type", "application/json")
                    .body(json!({"schemas": [USER_URN], "userName": "x"}).to_string()),
            )
            .await;
            (status(&resp), json!(201), json!(415))
        }
        Fault::UnknownParameterRejected => {
            let resp = mock.query("/Users", &[("vendorHint", "1")]).await;
            (status(&resp), json!(200), json!(400))
        }
        Fault::PatchUnimplemented => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "nickName", "value": "n"}]),
                )
                .await;
            (status(&resp), json!(200), json!(501))
        }
        Fault::CreateMembersDropped => {
            let user = mock.user("x").await;
            let group = mock.group("g", &[&id(&user)]).await;
            (
                json!(group["members"].as_array().map_or(0, Vec::len)),
                json!(1),
                json!(0),
            )
        }
        Fault::ServiceProviderConfigNeedsToken => {
            let resp = Mock::send(mock.client.get(mock.url("/ServiceProviderConfig"))).await;
            (status(&resp), json!(200), json!(401))
        }
        Fault::ServiceProviderConfigIncomplete => {
            let resp = mock.get("/ServiceProviderConfig").await;
            (
                json!(resp.body["authenticationSchemes"].is_array()),
                json!(true),
                json!(false),
            )
        }
        Fault::Me500 => (status(&mock.get("/Me").await), json!(501), json!(500)),
        Fault::MetaResourceTypeMissing => {
            let user = mock.user("x").await;
            (
                user["meta"]["resourceType"].clone(),
                json!("User"),
                Value::Null,
            )
        }
        Fault::IdExcludable => {
            let user = mock.user("x").await;
            let resp = mock
                .query(
                    &format!("/Users/{}", id(&user)),
                    &[("excludedAttributes", "id")],
                )
                .await;
            (
                json!(resp.body["id"].is_string()),
                json!(true),
                json!(false),
            )
        }
        Fault::CreatedNotStamped => {
            let user = mock.user("x").await;
            (
                json!(user["meta"]["created"] == user["meta"]["lastModified"]),
                json!(true),
                json!(false),
            )
        }
        Fault::PhoneNumbersReformatted => {
            let user = mock
                .user_with(
                    json!({"userName": "x", "phoneNumbers": [{"value": "tel:+1-201-555-0123"}]}),
                )
                .await;
            (
                user["phoneNumbers"][0]["value"].clone(),
                json!("tel:+1-201-555-0123"),
                json!("12015550123"),
            )
        }
        Fault::AttributeNamesLowercased => {
            let user = mock.user("x").await;
            (
                json!(user["userName"].is_string()),
                json!(true),
                json!(false),
            )
        }
        Fault::ClientGroupsStored => {
            let user = mock
                .user_with(json!({"userName": "x", "groups": [{"value": "made-up"}]}))
                .await;
            (
                user["groups"].clone(),
                Value::Null,
                json!([{"value": "made-up"}]),
            )
        }
        Fault::NullRejected => {
            let resp = mock
                .post(
                    "/Users",
                    &json!({"schemas": [USER_URN], "userName": "x", "title": null}),
                )
                .await;
            (status(&resp), json!(201), json!(400))
        }
        Fault::EnterpriseExtensionDropped => {
            let user = mock
                .user_with(
                    json!({"userName": "x", "schemas": [USER_URN, ENTERPRISE_URN],
                    ENTERPRISE_URN: {"employeeNumber": "7"}}),
                )
                .await;
            (
                user[ENTERPRISE_URN]["employeeNumber"].clone(),
                json!("7"),
                Value::Null,
            )
        }
        Fault::SchemaByIdMissing => (
            status(&mock.get(&format!("/Schemas/{USER_URN}")).await),
            json!(200),
            json!(404),
        ),
        Fault::ResourceTypeEndpointWrong => (
            mock.get("/ResourceTypes/User").await.body["endpoint"].clone(),
            json!("/Users"),
            json!("/User"),
        ),
        Fault::PutCreatesMissing => {
            let resp = mock
                .put(
                    "/Users/unknown-id",
                    &json!({"schemas": [USER_URN], "userName": "x"}),
                )
                .await;
            (status(&resp), json!(404), json!(201))
        }
        Fault::IfMatchIgnored => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let body = json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "nickName", "value": "n"}]});
            let resp = Mock::send(
                mock.req(Method::PATCH, &path)
                    .header("if-match", "W/\"99\"")
                    .json(&body),
            )
            .await;
            (status(&resp), json!(412), json!(200))
        }
        Fault::LastModifiedNotUpdated => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "nickName", "value": "n"}]),
                )
                .await;
            let changed = |k: &str| resp.body["meta"][k] != user["meta"][k];
            (
                json!([changed("lastModified"), changed("version")]),
                json!([true, true]),
                json!([false, false]),
            )
        }
        Fault::ErrorStatusNumber => {
            let resp = mock.get("/Users/nope").await;
            (resp.body["status"].clone(), json!("404"), json!(404))
        }
        Fault::Html404 => {
            let resp = mock.get("/Users/nope").await;
            (
                json!(resp.header("content-type")),
                json!("application/scim+json"),
                json!("text/html; charset=utf-8"),
            )
        }
        Fault::ContentTypeJson => {
            let resp = mock.get("/Users").await;
            (
                json!(resp.header("content-type")),
                json!("application/scim+json"),
                json!("application/json"),
            )
        }
        Fault::NoPut => {
            let user = mock.user("x").await;
            // Refused before the body is read: malformed JSON gets 405 too.
            let resp = Mock::send(
                mock.req(Method::PUT, &format!("/Users/{}", id(&user)))
                    .header("content-type", "application/scim+json")
                    .body("{"),
            )
            .await;
            (
                json!([resp.status, resp.header("allow"), resp.body["schemas"]]),
                json!([400, null, [ERROR_URN]]),
                json!([405, "GET, PATCH, DELETE", [ERROR_URN]]),
            )
        }
        Fault::SubAttributeDropped => {
            let user = mock
                .user_with(json!({"userName": "x", "emails": [{"value": "x@y", "display": "X"}]}))
                .await;
            (
                user["emails"][0]["display"].clone(),
                json!("X"),
                Value::Null,
            )
        }
        Fault::NoopWriteTouchesLastModified => {
            let user = mock
                .user_with(json!({"userName": "x", "nickName": "n"}))
                .await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "add", "path": "nickName", "value": "n"}]),
                )
                .await;
            (
                json!(resp.body["meta"]["lastModified"] == user["meta"]["lastModified"]),
                json!(true),
                json!(false),
            )
        }
        Fault::MembersAddCapped => {
            let ids = users(mock, 101).await;
            let group = mock.group("g", &[]).await;
            let members: Vec<Value> = ids.iter().map(|i| json!({"value": i})).collect();
            let resp = mock
                .patch(
                    &format!("/Groups/{}", id(&group)),
                    json!([{"op": "add", "path": "members", "value": members}]),
                )
                .await;
            (
                json!(resp.body["members"].as_array().map(Vec::len)),
                json!(101),
                json!(100),
            )
        }
        Fault::PatchFirstOperationOnly => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([
                        {"op": "add", "path": "nickName", "value": "n"},
                        {"op": "add", "path": "title", "value": "t"}
                    ]),
                )
                .await;
            (resp.body["title"].clone(), json!("t"), Value::Null)
        }
        Fault::GroupNameUniqueCaseSensitive => {
            mock.group("Sales", &[]).await;
            let resp = mock
                .post(
                    "/Groups",
                    &json!({"schemas": [GROUP_URN], "displayName": "SALES"}),
                )
                .await;
            (status(&resp), json!(409), json!(201))
        }
        Fault::UnknownSchemaUrnRejected => {
            let resp = mock
                .post(
                    "/Groups",
                    &json!({"schemas": [GROUP_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "displayName": "g"}),
                )
                .await;
            (status(&resp), json!(201), json!(400))
        }
        Fault::PagingNumbersAsStrings => {
            let resp = mock.get("/Users").await;
            (resp.body["totalResults"].clone(), json!(0), json!("0"))
        }
        Fault::ContentTypeOnGetRejected => {
            let resp = Mock::send(
                mock.req(Method::GET, "/Users")
                    .header("content-type", "application/scim+json; charset=utf-8"),
            )
            .await;
            (status(&resp), json!(200), json!(415))
        }
        Fault::ActiveNotDefaulted => {
            let user = mock.user("x").await;
            (user["active"].clone(), json!(true), Value::Null)
        }
        Fault::MutabilityAsInvalidValue => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "id", "value": "other"}]),
                )
                .await;
            (
                resp.body["scimType"].clone(),
                json!("mutability"),
                json!("invalidValue"),
            )
        }
        Fault::EmptyPatchAccepted => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(&format!("/Users/{}", id(&user)), json!([]))
                .await;
            (status(&resp), json!(400), json!(200))
        }
        Fault::IfMatchStarRefused => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = Mock::send(mock.req(Method::DELETE, &path).header("if-match", "*")).await;
            (status(&resp), json!(204), json!(412))
        }
        Fault::CursorCountNotChecked => {
            users(mock, 3).await;
            let first = mock
                .query("/Users", &[("cursor", ""), ("count", "1")])
                .await;
            let next = first.body["nextCursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let resp = mock
                .query("/Users", &[("cursor", next.as_str()), ("count", "2")])
                .await;
            (status(&resp), json!(400), json!(200))
        }
        Fault::CursorNotTenantBound => {
            users(mock, 2).await;
            let first = mock
                .query("/Users", &[("cursor", ""), ("count", "1")])
                .await;
            let next = first.body["nextCursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let resp = Mock::send(
                mock.client
                    .get(mock.url("/Users"))
                    .query(&[("cursor", next.as_str()), ("count", "1")])
                    .bearer_auth(&credentials.other_tenant_token),
            )
            .await;
            (status(&resp), json!(400), json!(200))
        }
        Fault::BulkMaxOperationsIgnored | Fault::BulkAppliedBefore413 => {
            let max = MockConfig::default().bulk_max_operations;
            let operations: Vec<Value> = (0..=max)
                .map(|i| {
                    json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                    "data": {"schemas": [USER_URN], "userName": format!("bulk-{i}")}})
                })
                .collect();
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": operations,
            });
            let resp = mock.post("/Bulk", &body).await;
            let found = mock
                .query("/Users", &[("filter", "userName sw \"bulk-\"")])
                .await;
            let seen = json!([resp.status, found.body["totalResults"]]);
            let faulty = if fault == Fault::BulkMaxOperationsIgnored {
                json!([200, max + 1])
            } else {
                json!([413, max])
            };
            (seen, json!([413, 0]), faulty)
        }
        Fault::MaxPayloadSizeIgnored => {
            let size = MockConfig::default().max_payload_bytes;
            let body =
                json!({"schemas": [USER_URN], "userName": "big", "displayName": "x".repeat(size)});
            let resp = mock.post("/Users", &body).await;
            (status(&resp), json!(413), json!(201))
        }
        Fault::BulkUnsupported500 => {
            let config = mock.get("/ServiceProviderConfig").await;
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [],
            });
            let resp = mock.post("/Bulk", &body).await;
            let seen = json!([config.body["bulk"]["supported"], resp.status]);
            (seen, json!([true, 200]), json!([false, 500]))
        }
        Fault::ReturnedRequestByDefault => {
            const MOCK_URN: &str = "urn:scimcheck:params:scim:schemas:extension:mock:2.0:User";
            let user = mock
                .user_with(json!({"schemas": [USER_URN, MOCK_URN], "userName": "x",
                    MOCK_URN: {"internalNote": "n"}}))
                .await;
            let path = format!("/Users/{}", id(&user));
            let plain = mock.get(&path).await;
            let named = mock
                .query(
                    &path,
                    &[("attributes", &format!("{MOCK_URN}:internalNote"))],
                )
                .await;
            let seen = json!([
                plain.body[MOCK_URN]["internalNote"],
                named.body[MOCK_URN]["internalNote"]
            ]);
            (seen, json!([null, "n"]), json!(["n", "n"]))
        }
        Fault::CustomResourceSchemaViolated => {
            let resp = mock.get("/Devices").await;
            let serial = &resp.body["Resources"][0]["serialNumber"];
            (
                json!([resp.status, serial.is_number()]),
                json!([404, false]),
                json!([200, true]),
            )
        }
        Fault::TooManyTruncated => {
            users(mock, 21).await;
            let resp = mock
                .query("/Users", &[("filter", "userName sw \"u\"")])
                .await;
            let seen = json!([resp.status, resp.body["totalResults"]]);
            (seen, json!([200, 21]), json!([200, 20]))
        }
        Fault::EntraManagerFormsRejected => {
            let boss = id(&mock.user("boss").await);
            let resp = mock
                .post(
                    "/Users",
                    &json!({"schemas": [USER_URN, ENTERPRISE_URN], "userName": "x",
                        ENTERPRISE_URN: {"manager": [{"value": boss}]}}),
                )
                .await;
            (status(&resp), json!(201), json!(400))
        }
        Fault::GroupDeleteCascadesMembers => {
            let member = users(mock, 1).await.remove(0);
            let group = id(&mock.group("team", &[&member]).await);
            mock.delete(&format!("/Groups/{group}")).await;
            (
                status(&mock.get(&format!("/Users/{member}")).await),
                json!(200),
                json!(404),
            )
        }
        Fault::ValueFilterMixesValues => {
            mock.user_with(json!({"userName": "x", "emails": [
                {"value": "x@home.example", "type": "home"},
                {"value": "x@work.example", "type": "work"},
            ]}))
            .await;
            let resp = mock
                .query(
                    "/Users",
                    &[("filter", r#"emails[type eq "work" and value co "home"]"#)],
                )
                .await;
            (resp.body["totalResults"].clone(), json!(0), json!(1))
        }
        Fault::OrFilterDuplicates => {
            users(mock, 2).await;
            let resp = mock
                .query(
                    "/Users",
                    &[(
                        "filter",
                        r#"userName sw "u" and (userName eq "u1" or active eq true)"#,
                    )],
                )
                .await;
            (
                json!([resp.body["totalResults"], resp.user_names()]),
                json!([2, ["u1", "u2"]]),
                json!([3, ["u1", "u1", "u2"]]),
            )
        }
        Fault::CoreUrnPathRejected => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": format!("{USER_URN}:nickName"), "value": "n"}]),
                )
                .await;
            (
                json!([resp.status, resp.body["nickName"], resp.body["scimType"]]),
                json!([200, "n", null]),
                json!([400, null, "invalidPath"]),
            )
        }
        Fault::PatchRenameSkipsUniqueness => {
            let second = users(mock, 2).await.remove(1);
            let resp = mock
                .patch(
                    &format!("/Users/{second}"),
                    json!([{"op": "replace", "path": "userName", "value": "U1"}]),
                )
                .await;
            (status(&resp), json!(409), json!(200))
        }
        Fault::ComplexReplaceDropsSubAttributes => {
            let user = mock
                .user_with(json!({"userName": "x", "name": {"givenName": "G", "familyName": "F"}}))
                .await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "name", "value": {"givenName": "H"}}]),
                )
                .await;
            (
                resp.body["name"].clone(),
                json!({"givenName": "H", "familyName": "F"}),
                json!({"givenName": "H"}),
            )
        }
        Fault::NonBmpCharactersMangled => {
            let user = mock
                .user_with(json!({"userName": "x", "displayName": "Zoë 🎉", "emails": [{"value": "𝔸@x.example"}]}))
                .await;
            (
                json!([user["displayName"], user["emails"][0]["value"]]),
                json!(["Zoë 🎉", "𝔸@x.example"]),
                json!(["Zoë ?", "?@x.example"]),
            )
        }
        Fault::MembershipChangeKeepsVersion => {
            let member = users(mock, 1).await.remove(0);
            let group = mock.group("team", &[]).await;
            let path = format!("/Groups/{}", id(&group));
            let added = mock
                .patch(
                    &path,
                    json!([{"op": "add", "path": "members", "value": [{"value": member}]}]),
                )
                .await;
            let renamed = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": "displayName", "value": "crew"}]),
                )
                .await;
            let versions =
                [&group, &added.body, &renamed.body].map(|g| g["meta"]["version"].clone());
            (
                json!(versions),
                json!(["W/\"1\"", "W/\"2\"", "W/\"3\""]),
                json!(["W/\"1\"", "W/\"1\"", "W/\"2\""]),
            )
        }
        Fault::PatchAddDuplicatesValue => {
            let user = mock
                .user_with(json!({"userName": "x", "emails": [{"value": "x@work.example"}]}))
                .await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "add", "path": "emails", "value": [{"value": "x@work.example"}]}]),
                )
                .await;
            (
                json!(resp.body["emails"].as_array().map(Vec::len)),
                json!(1),
                json!(2),
            )
        }
        Fault::EmailFilterPrimaryOnly => {
            mock.user_with(json!({"userName": "x", "emails": [
                {"value": "x@work.example", "primary": true},
                {"value": "x@home.example"},
            ]}))
            .await;
            let resp = mock
                .query(
                    "/Users",
                    &[("filter", r#"emails.value eq "x@home.example""#)],
                )
                .await;
            (resp.body["totalResults"].clone(), json!(1), json!(0))
        }
        Fault::DeletedGroupStaysInUserGroups => {
            let member = users(mock, 1).await.remove(0);
            let group = id(&mock.group("team", &[&member]).await);
            mock.delete(&format!("/Groups/{group}")).await;
            let read = mock.get(&format!("/Users/{member}")).await;
            (
                read.body["groups"].clone(),
                Value::Null,
                json!([{"value": group, "$ref": mock.url(&format!("/Groups/{group}")),
                    "display": "team", "type": "direct"}]),
            )
        }
        Fault::ExtensionUrnNotListed => {
            let created = mock
                .post(
                    "/Users",
                    &json!({"schemas": [USER_URN, ENTERPRISE_URN], "userName": "x",
                        ENTERPRISE_URN: {"department": "d"}}),
                )
                .await;
            (
                created.body["schemas"].clone(),
                json!([USER_URN, ENTERPRISE_URN]),
                json!([USER_URN]),
            )
        }
        Fault::ScimTypeMissing => {
            let resp = mock
                .query("/Users", &[("filter", "userName zz \"x\"")])
                .await;
            (
                json!([resp.status, resp.body["scimType"]]),
                json!([400, "invalidFilter"]),
                json!([400, null]),
            )
        }
        Fault::IfNoneMatchIgnored => {
            let user = mock.user("x").await;
            let path = format!("/Users/{}", id(&user));
            let etag = user["meta"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let resp = Mock::send(mock.req(Method::GET, &path).header("if-none-match", etag)).await;
            (status(&resp), json!(304), json!(200))
        }
        Fault::TimestampsWithoutOffset => {
            let user = mock.user("x").await;
            let stamp = user["meta"]["lastModified"].as_str().unwrap_or_default();
            (json!(stamp.ends_with('Z')), json!(true), json!(false))
        }
        Fault::PatchPathCaseSensitive => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": "Name.GivenName", "value": "G"}]),
                )
                .await;
            (
                json!([resp.status, resp.body["name"]["givenName"]]),
                json!([200, "G"]),
                json!([400, null]),
            )
        }
        Fault::MemberRefAlwaysUsers => {
            let inner = id(&mock.group("inner", &[]).await);
            let outer = mock.group("outer", &[&inner]).await;
            let member = &outer["members"][0];
            (
                json!([member["type"], member["$ref"]]),
                json!(["Group", mock.url(&format!("/Groups/{inner}"))]),
                json!(["User", mock.url(&format!("/Users/{inner}"))]),
            )
        }
        Fault::PatchAnswersOldState => {
            let path = format!("/Users/{}", users(mock, 1).await[0]);
            let resp = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": "nickName", "value": "n"}]),
                )
                .await;
            let read = mock.get(&path).await;
            (
                json!([resp.body["nickName"], read.body["nickName"]]),
                json!(["n", "n"]),
                json!([null, "n"]),
            )
        }
        Fault::GroupListOmitsMembers => {
            let member = users(mock, 1).await.remove(0);
            mock.group("team", &[&member]).await;
            let listed = mock.query("/Groups", &[]).await;
            (
                listed.body["Resources"][0]["members"][0]["value"].clone(),
                json!(member),
                Value::Null,
            )
        }
        Fault::LocationInternalHost => {
            let created = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "x"}))
                .await;
            let id = id(&created.body);
            let internal = format!("http://scim-internal:8080/scim/v2/Users/{id}");
            (
                json!([created.header("location"), created.body["meta"]["location"]]),
                json!([
                    mock.url(&format!("/Users/{id}")),
                    mock.url(&format!("/Users/{id}"))
                ]),
                json!([internal, internal]),
            )
        }
        Fault::SortDescendingIgnored => {
            mock.user("b").await;
            mock.user("a").await;
            let resp = mock
                .query(
                    "/Users",
                    &[("sortBy", "userName"), ("sortOrder", "descending")],
                )
                .await;
            (
                json!(resp.user_names()),
                json!(["b", "a"]),
                json!(["a", "b"]),
            )
        }
        Fault::OrderingBoundsExclusive => {
            users(mock, 3).await;
            let resp = mock
                .query(
                    "/Users",
                    &[("filter", r#"userName ge "u2" and userName le "u3""#)],
                )
                .await;
            (json!(resp.user_names()), json!(["u2", "u3"]), json!([]))
        }
        Fault::TotalResultsIgnoresFilter => {
            users(mock, 3).await;
            let resp = mock
                .query("/Users", &[("filter", r#"userName eq "u2""#)])
                .await;
            (
                json!([resp.body["totalResults"], resp.user_names()]),
                json!([1, ["u2"]]),
                json!([3, ["u2"]]),
            )
        }
        Fault::PutIgnoresExternalId => {
            let user = mock
                .user_with(json!({"userName": "x", "externalId": "old"}))
                .await;
            let resp = mock
                .put(
                    &format!("/Users/{}", id(&user)),
                    &json!({"schemas": [USER_URN], "userName": "x", "externalId": "new"}),
                )
                .await;
            (
                json!([resp.status, resp.body["externalId"]]),
                json!([200, "new"]),
                json!([200, "old"]),
            )
        }
        Fault::MembersReplaceOnlyAdds
        | Fault::PathlessReplaceEmptiesMembers
        | Fault::MemberFilterRemoveIgnored
        | Fault::MembersAddReplaces
        | Fault::MemberRemovalsShiftIndexes => member_probe(fault, mock).await,
        Fault::SchemaEmailsSingular => {
            let schema = mock.get(&format!("/Schemas/{USER_URN}")).await;
            let emails = schema.body["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["name"] == "emails")
                .map(|a| a["multiValued"].clone());
            (json!(emails), json!(true), json!(false))
        }
        Fault::ResourceTypeSchemaTypo => {
            let user = mock.get("/ResourceTypes/User").await;
            (
                user.body["schema"].clone(),
                json!(USER_URN),
                json!(format!("{USER_URN}s")),
            )
        }
        Fault::ExtensionFilterNoMatch => {
            mock.post(
                "/Users",
                &json!({"schemas": [USER_URN, ENTERPRISE_URN], "userName": "x",
                    ENTERPRISE_URN: {"employeeNumber": "42"}}),
            )
            .await;
            let filter = format!("{ENTERPRISE_URN}:employeeNumber eq \"42\"");
            let resp = mock.query("/Users", &[("filter", filter.as_str())]).await;
            (resp.body["totalResults"].clone(), json!(1), json!(0))
        }
        Fault::BulkStatusNumber | Fault::BulkLocationMissing => {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b",
                    "data": {"schemas": [USER_URN], "userName": "bulk"}}],
            });
            let resp = mock.post("/Bulk", &body).await;
            let result = &resp.body["Operations"][0];
            let seen = if fault == Fault::BulkStatusNumber {
                result["status"].clone()
            } else {
                json!(result.get("location").is_some())
            };
            let (clean, faulty) = if fault == Fault::BulkStatusNumber {
                (json!("201"), json!(201))
            } else {
                (json!(true), json!(false))
            };
            (seen, clean, faulty)
        }
        Fault::PutRecreatesResource => {
            let user = mock.user("x").await;
            let path = format!("/Users/{}", id(&user));
            let resp = mock
                .put(
                    &path,
                    &json!({"schemas": [USER_URN], "userName": "x", "nickName": "n"}),
                )
                .await;
            (
                json!([
                    resp.status,
                    resp.body["id"] == user["id"],
                    resp.body["meta"]["created"] == user["meta"]["created"],
                    resp.body["meta"]["version"],
                ]),
                json!([200, true, true, "W/\"2\""]),
                json!([200, true, false, "W/\"1\""]),
            )
        }
        Fault::InactiveUserReadOnly => {
            let user = mock
                .user_with(json!({"userName": "x", "active": false}))
                .await;
            let path = format!("/Users/{}", id(&user));
            let rename = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": "nickName", "value": "n"}]),
                )
                .await;
            let reactivate = mock
                .patch(
                    &path,
                    json!([{"op": "replace", "path": "active", "value": true}]),
                )
                .await;
            (
                json!([rename.status, reactivate.status]),
                json!([200, 200]),
                json!([400, 200]),
            )
        }
        Fault::PlusDecodedAsSpace => {
            mock.user("jo+tag@x.example").await;
            let resp = mock
                .query("/Users", &[("filter", r#"userName eq "jo+tag@x.example""#)])
                .await;
            (resp.body["totalResults"].clone(), json!(1), json!(0))
        }
        Fault::SwAsCo => {
            users(mock, 1).await;
            let resp = mock
                .query("/Users", &[("filter", r#"userName sw "1""#)])
                .await;
            (resp.body["totalResults"].clone(), json!(0), json!(1))
        }
        Fault::UnorderedPages => {
            users(mock, 4).await;
            let mut seen = Vec::new();
            for start in ["1", "3"] {
                let page = mock
                    .query("/Users", &[("startIndex", start), ("count", "2")])
                    .await;
                seen.extend(page.user_names());
            }
            seen.sort();
            seen.dedup();
            (json!(seen.len()), json!(4), json!(2))
        }
    }
}

/// The member-writing faults, each probed on a group of u1, u2 and u3 (u4 is outside it):
/// the members its PATCH leaves.
async fn member_probe(fault: Fault, mock: &Mock) -> (Value, Value, Value) {
    let ids = users(mock, 4).await;
    let group = mock.group("team", &[&ids[0], &ids[1], &ids[2]]).await;
    let (u1, u2, u3, u4) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let (operations, clean, faulty) = match fault {
        Fault::MembersReplaceOnlyAdds => (
            json!([{"op": "replace", "path": "members", "value": [{"value": u4}]}]),
            json!([u4]),
            json!([u1, u2, u3, u4]),
        ),
        Fault::PathlessReplaceEmptiesMembers => (
            json!([{"op": "replace", "value": {"id": id(&group), "displayName": "crew"}}]),
            json!([u1, u2, u3]),
            json!([]),
        ),
        Fault::MemberFilterRemoveIgnored => (
            json!([{"op": "remove", "path": format!("members[value eq \"{u2}\"]")}]),
            json!([u1, u3]),
            json!([u1, u2, u3]),
        ),
        Fault::MembersAddReplaces => (
            json!([{"op": "add", "path": "members", "value": [{"value": u4}]}]),
            json!([u1, u2, u3, u4]),
            json!([u4]),
        ),
        _ => (
            json!([
                {"op": "remove", "path": format!("members[value eq \"{u1}\"]")},
                {"op": "remove", "path": format!("members[value eq \"{u2}\"]")},
            ]),
            json!([u3]),
            json!([u2]),
        ),
    };
    let path = format!("/Groups/{}", id(&group));
    mock.patch(&path, operations).await;
    let read = mock.get(&path).await;
    let members: Vec<&str> = read.body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str())
        .collect();
    (json!(members), clean, faulty)
}

#[tokio::test]
async fn every_fault_changes_behaviour() {
    for &fault in Fault::ALL {
        let clean = Mock::start().await;
        let (observed, want_clean, _) = probe(fault, &clean).await;
        assert_eq!(observed, want_clean, "{}: the clean server", fault.name());
        let faulty = Mock::with_faults(&[fault]).await;
        let (observed, _, want_faulty) = probe(fault, &faulty).await;
        assert_eq!(observed, want_faulty, "{}: the faulty server", fault.name());
        assert_ne!(want_clean, want_faulty, "{}", fault.name());
    }
}

#[tokio::test]
async fn rate_limit() {
    let mock = Mock::with(MockConfig {
        rate_limit: Some(3),
        ..MockConfig::default()
    })
    .await;
    // Start right after a window boundary is unknowable; a burst of 8 within one second
    // crosses the limit at least once even if the window rolls over mid-burst.
    let mut limited = None;
    for _ in 0..8 {
        let resp = mock.get("/Users").await;
        if resp.status == 429 {
            limited = Some(resp);
            break;
        }
    }
    let limited = limited.expect("a burst above the limit is refused");
    limited.assert_error(429, None);
    assert_eq!(limited.header("retry-after"), Some("1"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        mock.get("/Users").await.status,
        200,
        "the next second has a fresh budget"
    );
    let unlimited = Mock::start().await;
    for _ in 0..20 {
        assert_eq!(unlimited.get("/Users").await.status, 200);
    }
}

#[tokio::test]
async fn latency() {
    let delay = Duration::from_millis(150);
    let slow = Mock::with(MockConfig {
        latency: Some(delay),
        ..MockConfig::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(slow.get("/Users").await.status, 200);
    assert!(started.elapsed() >= delay);
    let fast = Mock::start().await;
    let started = Instant::now();
    fast.get("/Users").await;
    assert!(started.elapsed() < delay);
}

#[test]
fn fault_registry() {
    assert!(Fault::ALL.len() >= 27);
    for name in [
        "accept-any-token",
        "cross-tenant-token",
        "cursor-never-ends",
        "last-modified-not-updated",
    ] {
        let fault = Fault::from_name(name).expect("registered");
        assert_eq!(fault.name(), name);
        assert!(fault.rfc().starts_with("RFC "));
        assert!(!fault.description().is_empty());
    }
}
