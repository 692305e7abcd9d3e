//! Zero false failures: the whole catalogue against each conformant variation of the mock must
//! pass. A case may be skipped, but only with a reason; a failure here is the harness's bug.

mod common;
#[path = "mock_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use scimcheck::mock::{Fault, MockConfig, Variation};
use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;
use serde_json::{Value, json};
use support::*;

#[test]
fn no_case_fails_against_a_conformant_variation() {
    let mut wrong = Vec::new();
    for &variation in Variation::ALL {
        let runtime = common::runtime();
        let mut config = MockConfig::default();
        config.variations.insert(variation);
        let mock = common::start_mock(&runtime, config);
        let plan = PlanOptions {
            contract: contract_for(variation).map(|path| Arc::new(common::contract(path))),
            settle: (variation == Variation::StaleLists).then_some(Duration::from_secs(2)),
            ..PlanOptions::default()
        };
        let outcome = common::run_suite(&runtime, &mock, plan, false);
        let mut run = 0;
        let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for result in &outcome.results {
            match &result.outcome {
                CaseOutcome::Skipped(reason) => {
                    assert!(!reason.is_empty(), "{} skipped without a reason", result.id);
                    reasons.entry(reason).or_default().push(&result.id);
                }
                _ => run += 1,
            }
        }
        // The case a variation exists for must run under it, not skip.
        if variation == Variation::FilterResultCap {
            let too_many = outcome.results.iter().find(|r| r.id == "filter::too-many");
            assert!(
                too_many.is_some_and(|r| matches!(r.outcome, CaseOutcome::Passed)),
                "filter::too-many did not pass under its contract: {too_many:?}"
            );
        }
        let skipped: usize = reasons.values().map(Vec::len).sum();
        let failed = common::failed(&outcome.results);
        println!(
            "{:<24} run {run:>3}, skipped {skipped:>3}, failed {:>3}",
            variation.name(),
            failed.len()
        );
        // Why, with `--nocapture`: the skips are the price of each variation.
        for (reason, cases) in &reasons {
            println!("    {:>3} × {reason}: {}", cases.len(), cases.join(", "));
        }
        for result in failed {
            if let CaseOutcome::Failed(message) = &result.outcome {
                wrong.push(format!("{} / {}:\n{message}", variation.name(), result.id));
            }
        }
        // A cleanup problem fails the run too (exit 1): a conformant target must not cause one.
        for result in &outcome.results {
            for problem in &result.cleanup_problems {
                wrong.push(format!(
                    "{} / {} cleanup: {problem}",
                    variation.name(),
                    result.id
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// The contract that states a variation no discovery document or probe can reveal: the
/// catalogue must pass with it. Exhaustive, so a new variation says whether it needs one.
fn contract_for(variation: Variation) -> Option<&'static str> {
    match variation {
        Variation::UserNameEmail | Variation::EmailsRequired | Variation::ReadOnlyGroups => {
            Some("contracts/lightstep.toml")
        }
        Variation::EntraValuePathAdd => Some("contracts/entra-gallery.toml"),
        Variation::JsonContentType => Some("tests/contract_fixtures/json-responses.toml"),
        Variation::FilterResultCap => Some("tests/contract_fixtures/filter-result-cap.toml"),
        Variation::FilterEqAndOnly
        | Variation::FilterUserNameEqOnly
        | Variation::ApiKeyForbidden
        | Variation::PatchNoContent
        | Variation::NoPatch
        | Variation::NoEtag
        | Variation::NoSort
        | Variation::NoBulk
        | Variation::SmallPageCap
        | Variation::CursorOnly
        | Variation::NoGroups
        | Variation::MinimalUserSchema
        | Variation::IndexOnly
        | Variation::MinimalGroupSchema
        | Variation::FilterUserNameEqOr
        | Variation::CustomResourceType
        | Variation::RelativeLocations
        | Variation::NoFilter
        // Eventual consistency breaks no MUST; what it needs is a settle window, not a contract.
        | Variation::StaleLists => None,
    }
}

/// What `variation` changes, observed on `mock`: the observation, what the default server shows
/// and what the varied one shows. Exhaustive, so a new variation does not compile without one.
async fn observe(variation: Variation, mock: &Mock) -> (Value, Value, Value) {
    let status = |resp: &Resp| json!(resp.status);
    let config = || mock.get("/ServiceProviderConfig");
    match variation {
        Variation::FilterEqAndOnly => {
            let resp = mock
                .query("/Users", &[("filter", "userName sw \"x\"")])
                .await;
            (
                json!([resp.status, resp.body["scimType"]]),
                json!([200, null]),
                json!([400, "invalidFilter"]),
            )
        }
        Variation::FilterUserNameEqOnly => {
            let resp = mock
                .query("/Users", &[("filter", "externalId eq \"x\"")])
                .await;
            (
                json!([resp.status, resp.body["scimType"]]),
                json!([200, null]),
                json!([400, "invalidFilter"]),
            )
        }
        Variation::ApiKeyForbidden => {
            let key = mock.server.credentials().api_key.clone();
            let resp = Mock::send(mock.client.get(mock.url("/Users")).bearer_auth(key)).await;
            (status(&resp), json!(401), json!(403))
        }
        Variation::PatchNoContent => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "displayName", "value": "d"}]),
                )
                .await;
            (status(&resp), json!(200), json!(204))
        }
        Variation::NoPatch => {
            let user = mock.user("x").await;
            let resp = mock
                .patch(
                    &format!("/Users/{}", id(&user)),
                    json!([{"op": "replace", "path": "displayName", "value": "d"}]),
                )
                .await;
            let advertised = config().await.body["patch"]["supported"].clone();
            (
                json!([resp.status, advertised]),
                json!([200, true]),
                json!([501, false]),
            )
        }
        Variation::NoEtag => {
            let user = mock.user("x").await;
            let path = format!("/Users/{}", id(&user));
            let stale = Mock::send(
                mock.req(Method::DELETE, &path)
                    .header("if-match", "W/\"99\""),
            )
            .await;
            let advertised = config().await.body["etag"]["supported"].clone();
            (
                json!([stale.status, advertised]),
                json!([412, true]),
                json!([204, false]),
            )
        }
        Variation::NoSort => {
            mock.user("b").await;
            mock.user("a").await;
            let resp = mock.query("/Users", &[("sortBy", "userName")]).await;
            (
                json!(resp.user_names()),
                json!(["a", "b"]),
                json!(["b", "a"]),
            )
        }
        Variation::NoBulk => {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [],
            });
            let resp = mock.post("/Bulk", &body).await;
            (status(&resp), json!(200), json!(501))
        }
        Variation::SmallPageCap => {
            for name in ["a", "b", "c"] {
                mock.user(name).await;
            }
            let resp = mock.query("/Users", &[("count", "10")]).await;
            (
                json!([resp.body["totalResults"], resp.user_names().len()]),
                json!([3, 3]),
                json!([3, 2]),
            )
        }
        Variation::CursorOnly => {
            mock.user("a").await;
            mock.user("b").await;
            let resp = mock
                .query("/Users", &[("startIndex", "2"), ("count", "1")])
                .await;
            (
                json!([resp.user_names(), resp.body["nextCursor"].is_string()]),
                json!([["b"], false]),
                json!([["a"], true]),
            )
        }
        Variation::IndexOnly => {
            mock.user("a").await;
            mock.user("b").await;
            let resp = mock
                .query("/Users", &[("cursor", ""), ("count", "1")])
                .await;
            let advertised = config().await.body["pagination"]["cursor"].clone();
            (
                json!([resp.body["nextCursor"].is_string(), advertised]),
                json!([true, true]),
                json!([false, false]),
            )
        }
        Variation::NoGroups => {
            let types = mock.get("/ResourceTypes").await.body["totalResults"].clone();
            (
                json!([mock.get("/Groups").await.status, types]),
                json!([200, 2]),
                json!([404, 1]),
            )
        }
        Variation::MinimalUserSchema => {
            let user = mock.user_with(json!({"userName": "x", "title": "t"})).await;
            let schema = mock
                .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
                .await;
            let declares_title = schema.body["attributes"]
                .as_array()
                .is_some_and(|a| a.iter().any(|attr| attr["name"] == "title"));
            (
                json!([user["title"], declares_title]),
                json!(["t", true]),
                json!([null, false]),
            )
        }
        Variation::UserNameEmail => {
            let resp = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "x"}))
                .await;
            (status(&resp), json!(201), json!(400))
        }
        Variation::EmailsRequired => {
            let body = json!({"schemas": [USER_URN], "userName": "x@example.com"});
            (
                status(&mock.post("/Users", &body).await),
                json!(201),
                json!(400),
            )
        }
        Variation::EntraValuePathAdd => {
            let user = id(&mock.user("a").await);
            let resp = mock
                .patch(
                    &format!("/Users/{user}"),
                    json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                        "value": "a@work.example.com"}]),
                )
                .await;
            let read = mock.get(&format!("/Users/{user}")).await;
            let work = read.body["emails"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["type"] == "work");
            (
                json!([resp.status, work]),
                json!([400, false]),
                json!([200, true]),
            )
        }
        Variation::CustomResourceType => {
            let types = mock.get("/ResourceTypes").await;
            let names: Vec<Value> = types.body["Resources"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t["name"].clone())
                .collect();
            let devices = mock.get("/Devices").await;
            (
                json!([names, devices.status]),
                json!([["User", "Group"], 404]),
                json!([["User", "Group", "Device"], 200]),
            )
        }
        Variation::StaleLists => {
            mock.user("a").await;
            let fresh = mock.get("/Users").await.body["totalResults"].clone();
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let later = mock.get("/Users").await.body["totalResults"].clone();
            (json!([fresh, later]), json!([1, 1]), json!([0, 1]))
        }
        Variation::FilterResultCap => {
            for i in 1..=21 {
                mock.user(&format!("u{i}")).await;
            }
            let resp = mock
                .query("/Users", &[("filter", "userName sw \"u\"")])
                .await;
            let seen = json!([resp.status, resp.body["scimType"]]);
            (seen, json!([200, null]), json!([400, "tooMany"]))
        }
        Variation::JsonContentType => {
            let resp = mock.get("/Users").await;
            (
                json!(resp.header("content-type")),
                json!("application/scim+json"),
                json!("application/json"),
            )
        }
        Variation::ReadOnlyGroups => {
            let body = json!({"schemas": [GROUP_URN], "displayName": "g"});
            (
                status(&mock.post("/Groups", &body).await),
                json!(201),
                json!(501),
            )
        }
        Variation::FilterUserNameEqOr => {
            mock.user("a").await;
            mock.user("b").await;
            let both = mock
                .query(
                    "/Users",
                    &[("filter", "userName eq \"a\" or userName eq \"b\"")],
                )
                .await;
            let sw = mock
                .query("/Users", &[("filter", "userName sw \"a\"")])
                .await;
            (
                json!([both.user_names().len(), sw.status]),
                json!([2, 200]),
                json!([2, 400]),
            )
        }
        Variation::NoFilter => {
            let supported = config().await.body["filter"]["supported"].clone();
            let filtered = mock
                .query("/Users", &[("filter", "userName eq \"a\"")])
                .await;
            (
                json!([supported, filtered.status]),
                json!([true, 200]),
                json!([false, 501]),
            )
        }
        Variation::RelativeLocations => {
            let created = mock
                .post("/Users", &json!({"schemas": [USER_URN], "userName": "a"}))
                .await;
            let stated = [
                created.header("location"),
                created.body["meta"]["location"].as_str(),
            ];
            let id = id(&created.body);
            let forms: Vec<Value> = stated
                .iter()
                .map(|l| json!(l.map(|l| l.strip_suffix(&format!("/Users/{id}")))))
                .collect();
            let base = mock.server.base_url();
            (
                json!(forms),
                json!([base, base]),
                json!(["/scim/v2", "/scim/v2"]),
            )
        }
        Variation::MinimalGroupSchema => {
            let user = mock.user("member").await;
            let group = mock.group("g", &[&id(&user)]).await;
            let schema = mock
                .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
                .await;
            let declares_members = schema.body["attributes"]
                .as_array()
                .is_some_and(|a| a.iter().any(|attr| attr["name"] == "members"));
            let members = group["members"].as_array().map_or(0, Vec::len);
            (
                json!([members, declares_members]),
                json!([1, true]),
                json!([0, false]),
            )
        }
    }
}

#[tokio::test]
async fn every_variation_changes_behaviour() {
    for &variation in Variation::ALL {
        let default = Mock::start().await;
        let (observed, want_default, _) = observe(variation, &default).await;
        assert_eq!(
            observed,
            want_default,
            "{} on the default server",
            variation.name()
        );
        let mut config = MockConfig::default();
        config.variations.insert(variation);
        let varied = Mock::with(config).await;
        let (observed, _, want_varied) = observe(variation, &varied).await;
        assert_eq!(observed, want_varied, "{} switched on", variation.name());
    }
}

/// Scoped one `userName eq` per user, joined by `or`, a list of a case's own users still
/// catches a paging bug: the scope selects them, not nothing.
#[test]
fn lists_scoped_user_by_user_still_fail_on_a_fault() {
    let runtime = common::runtime();
    let mut config = MockConfig::default();
    config.variations.insert(Variation::FilterUserNameEqOr);
    config.faults.extend([Fault::PageOverlap]);
    let mock = common::start_mock(&runtime, config);
    let outcome = common::run_suite_filtered(&runtime, &mock, "paging::index-walk");
    let matrix = outcome.capabilities.matrix();
    assert!(matrix.contains("list scope userName eq … or …"), "{matrix}");
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(failed, ["paging::index-walk"]);
}
