//! `compare --inventory` between two seeded mocks, as a user runs it: users and groups are
//! matched (a renamed user by externalId, a missing and a deactivated one found), the console
//! shows names and counts and never a value, the id map holds the values, and neither tenant
//! receives a single write.

mod common;

use std::process::Command;

use scimcheck::case::{Auth, Method};
use scimcheck::exec::client::{ClientOptions, Target};
use scimcheck::mock::{MockConfig, MockServer};
use scimcheck::suite;
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Creates `users` (userName, externalId, active) and one group `Engineering` holding the
/// first two, over HTTP; returns nothing but the mock's write count after seeding.
fn seed(runtime: &tokio::runtime::Runtime, mock: &MockServer, users: &[(&str, &str, bool)]) {
    let target = Target::new(
        mock.base_url(),
        suite::mock_credentials(mock),
        &ClientOptions::default(),
    )
    .expect("target");
    runtime.block_on(async {
        let post = |path: &str, body: Value| {
            let url = target.url(path);
            let target = &target;
            async move {
                let exchange = target
                    .send(Method::Post, &url, &[], &[], Some(body.to_string()), Auth::Scim)
                    .await
                    .expect("seeded");
                assert_eq!(exchange.response.status, 201, "{}", exchange.response.body);
                exchange.response.json.expect("a body")["id"]
                    .as_str()
                    .expect("an id")
                    .to_owned()
            }
        };
        let mut ids = Vec::new();
        for (user_name, external_id, active) in users {
            let body = json!({"schemas": [USER], "userName": user_name, "externalId": external_id,
                "active": active, "emails": [{"value": format!("{user_name}@example.com"), "type": "work"}],
                "name": {"givenName": "Secret-Given-Name"}});
            ids.push(post("/Users", body).await);
        }
        let members: Vec<Value> = ids.iter().take(2).map(|id| json!({"value": id})).collect();
        post("/Groups", json!({"schemas": [GROUP], "displayName": "Engineering", "members": members}))
            .await;
    });
}

#[test]
fn two_tenants_reconcile_read_only_with_values_only_in_the_map_file() {
    let runtime = common::runtime();
    let old = common::start_mock(&runtime, MockConfig::default());
    let new = common::start_mock(&runtime, MockConfig::default());
    seed(
        &runtime,
        &old,
        &[
            ("alice.old", "e-1", true),
            ("bob.old", "e-2", true),
            ("carol.old", "e-3", true),
            ("dave.old", "e-4", true),
        ],
    );
    seed(
        &runtime,
        &new,
        // carol renamed (same externalId), bob deactivated, dave missing.
        &[
            ("alice.old", "e-1", true),
            ("bob.old", "e-2", false),
            ("carol.renamed", "e-3", true),
        ],
    );
    let writes = (old.write_requests(), new.write_requests());
    let dir = std::env::temp_dir().join(format!("scimcheck-inventory-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let map = dir.join("ids.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .current_dir(&dir)
        .env("OLD_TOKEN", &old.credentials().scim_token)
        .env("NEW_TOKEN", &new.credentials().scim_token)
        .args([
            "compare",
            "--inventory",
            "--base-url",
            old.base_url(),
            "--token-env",
            "OLD_TOKEN",
        ])
        .args([
            "--against-url",
            new.base_url(),
            "--against-token-env",
            "NEW_TOKEN",
        ])
        .args(["--sample", "3", "--map"])
        .arg(&map)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        (old.write_requests(), new.write_requests()),
        writes,
        "the inventory wrote to a tenant"
    );
    // `--sample 3` reads 3 of the 4 users, in pages: bounded.
    assert!(stdout.contains("Users on A: 3 sampled of 4"), "{stdout}");
    assert!(stdout.contains("      3  emails.value"), "{stdout}");
    assert!(stdout.contains("      3  name.givenName\n"), "{stdout}");
    assert!(
        stdout.contains("      3  externalId\n"),
        "a common attribute: {stdout}"
    );
    for value in [
        "alice",
        "bob",
        "carol",
        "dave",
        "example.com",
        "Secret",
        "Engineering",
        "e-1",
    ] {
        assert!(
            !stdout.contains(value) && !stderr.contains(value),
            "{value} shown: {stdout}\n{stderr}"
        );
    }
    assert!(
        stdout.contains("Users: 3 matched (1 by externalId), 0 only on A, 0 only on B; differing: active 1, emails 1, userName 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Groups: 1 matched (0 by externalId), 0 only on A, 0 only on B; differing: none"
        ),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(&map).expect("the map");
    assert!(csv.contains("User,userName,alice.old,"), "{csv}");
    assert!(csv.contains("User,externalId,e-3,"), "{csv}");
    assert!(csv.contains("Group,displayName,Engineering,"), "{csv}");
    let _ = std::fs::remove_dir_all(&dir);

    // The whole sample: dave is missing on the new tenant.
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .env("OLD_TOKEN", &old.credentials().scim_token)
        .env("NEW_TOKEN", &new.credentials().scim_token)
        .args([
            "compare",
            "--inventory",
            "--base-url",
            old.base_url(),
            "--token-env",
            "OLD_TOKEN",
        ])
        .args([
            "--against-url",
            new.base_url(),
            "--against-token-env",
            "NEW_TOKEN",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Users: 3 matched (1 by externalId), 1 only on A, 0 only on B"),
        "{stdout}"
    );
    assert!(!stdout.contains("dave"), "{stdout}");
    assert_eq!((old.write_requests(), new.write_requests()), writes);
}
