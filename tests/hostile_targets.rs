//! Targets that lie about where their resources are. Each is served here on 127.0.0.1 beside a
//! second listener standing for another host: the whole catalogue runs against the liar, and
//! no request — let alone a credential — may reach the other host, nothing from there may
//! enter the cleanup ledger, and no cleanup may delete what a case did not create.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use scimcheck::RunConfig;
use scimcheck::exec::client::{ClientOptions, Credentials, Target};
use scimcheck::exec::sweep;
use scimcheck::report::{CaseOutcome, CaseResult};

const TOKEN: &str = "hostile-scim-t0ken-4f1e";

/// How the target lies about its resources' locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// Locations, `meta.location`s, Bulk locations and ResourceType endpoints on another host.
    Elsewhere,
    /// The same, through `http://<target host:port>@<other host>/…` (base URL without a path).
    UserInfo,
    /// Every new resource's Location and `meta.location` name an existing user, `victim`.
    Victim,
    /// Locations in the other collection: a new User at `/Groups/{id}` and the reverse.
    Crosswise,
    /// A new User is answered with an existing account, `victim`, as a vendor that links a
    /// create to the account with the same email does: 201 and the victim's body.
    Linked,
}

struct Hostile {
    lie: Lie,
    base: String,
    /// The base URL's path: `/scim` or empty.
    prefix: String,
    /// `127.0.0.1:port` of the other host.
    elsewhere: String,
    /// What this target created, as `{collection}/{id}`.
    issued: Mutex<BTreeSet<String>>,
    /// The paths of the DELETEs it received.
    deletes: Mutex<Vec<String>>,
    /// `{method} {path}` of every PUT and PATCH it received.
    writes: Mutex<Vec<String>>,
}

impl Hostile {
    fn location(&self, collection: &str, id: &str) -> String {
        let host = self.base.trim_start_matches("http://");
        let host = host.split('/').next().unwrap_or_default();
        match self.lie {
            Lie::Elsewhere => format!("http://{}{}/{collection}/{id}", self.elsewhere, self.prefix),
            Lie::UserInfo => format!("http://{host}@{}/{collection}/{id}", self.elsewhere),
            Lie::Victim => format!("{}/Users/victim", self.base),
            Lie::Linked => format!("{}/{collection}/{id}", self.base),
            Lie::Crosswise => {
                let other = if collection == "Users" {
                    "Groups"
                } else {
                    "Users"
                };
                format!("{}/{other}/{id}", self.base)
            }
        }
    }

    fn endpoint(&self, collection: &str) -> String {
        match self.lie {
            Lie::Victim | Lie::Crosswise | Lie::Linked => format!("/{collection}"),
            _ => self
                .location(collection, "")
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    fn resource_type(&self, name: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name, "name": name, "endpoint": self.endpoint(&format!("{name}s")),
            "schema": format!("urn:ietf:params:scim:schemas:core:2.0:{name}"),
        })
    }

    /// A created resource: what was sent, with an id and a lying location, and the token the
    /// request carried echoed into its id (scimcheck must redact it wherever it goes).
    fn create(&self, collection: &str, mut resource: Value, token: &str) -> Value {
        if self.lie == Lie::Linked && collection == "Users" {
            return self.victim(token);
        }
        let id = format!("{}-{token}", uuid::Uuid::new_v4());
        self.issued
            .lock()
            .expect("lock")
            .insert(format!("{collection}/{id}"));
        let resource_type = if collection == "Groups" {
            "Group"
        } else {
            "User"
        };
        if let Some(object) = resource.as_object_mut() {
            object.insert("id".into(), json!(id));
            object.insert(
                "meta".into(),
                json!({ "resourceType": resource_type, "location": self.location(collection, &id) }),
            );
        }
        resource
    }

    /// A user no run created: what every read of a User answers with, whatever its id.
    fn victim(&self, token: &str) -> Value {
        json!({ "id": "victim", "userName": format!("someone-{token}@customer.example"),
            "meta": { "resourceType": "User", "location": format!("{}/Users/victim", self.base) } })
    }
}

async fn serve_target(
    State(target): State<Arc<Hostile>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let path = uri
        .path()
        .strip_prefix(target.prefix.as_str())
        .unwrap_or_default()
        .to_owned();
    let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let scim = |status: StatusCode, body: Value| {
        (
            status,
            [(header::CONTENT_TYPE, "application/scim+json")],
            body.to_string(),
        )
            .into_response()
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["ServiceProviderConfig"]) => scim(
            StatusCode::OK,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": { "supported": true },
                "bulk": { "supported": true, "maxOperations": 10, "maxPayloadSize": 1048576 },
                "filter": { "supported": true, "maxResults": 100 },
                "changePassword": { "supported": false },
                "sort": { "supported": false },
                "etag": { "supported": false },
                "authenticationSchemes": [],
                "meta": { "location": target.location("ServiceProviderConfig", "") },
            }),
        ),
        (Method::GET, ["ResourceTypes"]) => scim(
            StatusCode::OK,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 2,
                "Resources": [target.resource_type("User"), target.resource_type("Group")],
            }),
        ),
        (Method::GET, ["ResourceTypes", name @ ("User" | "Group")]) => {
            scim(StatusCode::OK, target.resource_type(name))
        }
        (Method::POST, [collection @ ("Users" | "Groups")]) => {
            let created = target.create(collection, sent, token);
            let location = created["meta"]["location"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let mut response = scim(StatusCode::CREATED, created);
            if let Ok(value) = location.parse() {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        (Method::POST, ["Bulk"]) => {
            let operations = sent["Operations"].as_array().cloned().unwrap_or_default();
            let answered: Vec<Value> = operations
                .iter()
                .map(|op| {
                    let collection = op["path"].as_str().unwrap_or_default().trim_matches('/');
                    let created = target.create(collection, op["data"].clone(), token);
                    json!({
                        "method": op["method"], "bulkId": op["bulkId"], "status": "201",
                        "location": created["meta"]["location"],
                    })
                })
                .collect();
            scim(
                StatusCode::OK,
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
                    "Operations": answered,
                }),
            )
        }
        (Method::GET, [collection @ ("Users" | "Groups"), id]) => {
            let resource = json!({ "id": id, "userName": format!("someone-{token}@customer.example"),
                "meta": { "location": target.location(collection, id) } });
            scim(StatusCode::OK, resource)
        }
        (method @ (Method::PUT | Method::PATCH), _) => {
            target
                .writes
                .lock()
                .expect("lock")
                .push(format!("{method} {path}"));
            scim(StatusCode::OK, target.victim(token))
        }
        (Method::DELETE, _) => {
            target.deletes.lock().expect("lock").push(path);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => scim(
            StatusCode::NOT_FOUND,
            json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404" }),
        ),
    }
}

/// The other host: it answers anything, and counts what it was sent.
#[derive(Default)]
struct Elsewhere {
    requests: Mutex<Vec<(String, bool)>>,
}

async fn serve_elsewhere(
    State(elsewhere): State<Arc<Elsewhere>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> StatusCode {
    let credentials = headers.contains_key(header::AUTHORIZATION);
    elsewhere
        .requests
        .lock()
        .expect("lock")
        .push((format!("{method} {uri}"), credentials));
    StatusCode::OK
}

struct Scene {
    runtime: tokio::runtime::Runtime,
    target: Arc<Hostile>,
    elsewhere: Arc<Elsewhere>,
}

async fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    (listener, address)
}

fn scene(lie: Lie) -> Scene {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let prefix = if lie == Lie::UserInfo { "" } else { "/scim" };
    let (target, elsewhere) = runtime.block_on(async {
        let (target_listener, target_address) = listener().await;
        let (elsewhere_listener, elsewhere_address) = listener().await;
        let target = Arc::new(Hostile {
            lie,
            base: format!("http://{target_address}{prefix}"),
            prefix: prefix.to_owned(),
            elsewhere: elsewhere_address.to_string(),
            issued: Mutex::default(),
            deletes: Mutex::default(),
            writes: Mutex::default(),
        });
        let elsewhere = Arc::new(Elsewhere::default());
        let router = Router::new()
            .fallback(serve_target)
            .with_state(Arc::clone(&target));
        tokio::spawn(async move { axum::serve(target_listener, router).await });
        let router = Router::new()
            .fallback(serve_elsewhere)
            .with_state(Arc::clone(&elsewhere));
        tokio::spawn(async move { axum::serve(elsewhere_listener, router).await });
        (target, elsewhere)
    });
    Scene {
        runtime,
        target,
        elsewhere,
    }
}

impl Scene {
    /// The whole catalogue against the target, recording into the ledger `ledger`; the
    /// results and the ledger's text.
    fn run(&self, ledger: &Path) -> (Vec<CaseResult>, String) {
        let dir = ledger.parent().expect("a folder").to_owned();
        std::fs::create_dir_all(&dir).expect("dir");
        let credentials = Credentials {
            scim: TOKEN.into(),
            api_key: Some("hostile-api-key-77c2".into()),
            other_tenant: Some("hostile-other-tenant-t0ken".into()),
        };
        let config = RunConfig::builder(self.target.base.clone(), credentials)
            .ledger(ledger)
            .client(ClientOptions {
                retries: 0,
                ..ClientOptions::default()
            })
            .build()
            .expect("a valid configuration");
        let outcome = self
            .runtime
            .block_on(scimcheck::run(config))
            .expect("suite runs");
        let ledger_text = std::fs::read_to_string(ledger).unwrap_or_default();
        (outcome.results, ledger_text)
    }
}

fn temp_ledger() -> PathBuf {
    std::env::temp_dir()
        .join(format!("scimcheck-hostile-{}", uuid::Uuid::new_v4()))
        .join("ledger.jsonl")
}

fn failure<'r>(results: &'r [CaseResult], id: &str) -> &'r str {
    let result = results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    match &result.outcome {
        CaseOutcome::Failed(message) => message,
        outcome => panic!("{id} did not fail: {outcome:?}"),
    }
}

#[test]
fn no_credential_and_no_request_reaches_another_host() {
    for (lie, why) in [
        (Lie::Elsewhere, "its port is"),
        (Lie::UserInfo, "it carries a user name or password"),
    ] {
        let scene = scene(lie);
        let path = temp_ledger();
        let (results, ledger) = scene.run(&path);
        std::fs::remove_dir_all(path.parent().expect("folder")).ok();
        let stray = scene.elsewhere.requests.lock().expect("lock").clone();
        assert!(
            stray.is_empty(),
            "{lie:?}: the other host was sent {stray:#?}"
        );

        // Each lie is a finding of the case that met it, citing RFC 7644 §3.1.
        for id in [
            "users::create",
            "bulk::create-users",
            "config::resource-type-endpoints-work",
        ] {
            let message = failure(&results, id);
            assert!(
                message.contains("RFC 7644 §3.1") && message.contains(why),
                "{lie:?} {id}: {message}"
            );
        }
        // The ledger holds only URLs under the base URL: what sweep would delete.
        let elsewhere = &scene.target.elsewhere;
        assert!(
            ledger.contains("\"event\":\"created\""),
            "{lie:?}: {ledger}"
        );
        assert!(!ledger.contains(elsewhere.as_str()), "{lie:?}: {ledger}");
        assert!(
            !ledger.contains(TOKEN) && ledger.contains("[REDACTED scim token]"),
            "{lie:?}: {ledger}"
        );
        // Every teardown DELETE named a resource the target issued, below its collection.
        let issued = scene.target.issued.lock().expect("lock").clone();
        let deletes = scene.target.deletes.lock().expect("lock").clone();
        let teardown = deletes
            .iter()
            .filter(|path| issued.iter().any(|id| path.ends_with(&format!("/{id}"))))
            .count();
        assert!(
            teardown > 0,
            "{lie:?}: nothing was deleted by id: {deletes:#?}"
        );
        for text in results.iter().map(|r| format!("{r:?}")) {
            assert!(!text.contains(TOKEN), "{text}");
        }
    }
}

#[test]
fn a_location_naming_another_resource_never_gets_it_deleted() {
    let scene = scene(Lie::Victim);
    let path = temp_ledger();
    let (results, ledger) = scene.run(&path);
    let deletes = scene.target.deletes.lock().expect("lock").clone();
    assert!(
        !deletes.iter().any(|path| path.ends_with("/victim")),
        "the victim was deleted: {deletes:#?}"
    );
    // What the cases created was deleted, by the id the target gave it.
    let issued = scene.target.issued.lock().expect("lock").clone();
    let created_users = deletes
        .iter()
        .filter(|path| path.starts_with("/Users/") && issued.contains(&path[1..]))
        .count();
    assert!(created_users > 0, "{deletes:#?}");
    let message = failure(&results, "users::create");
    assert!(
        message.contains("another resource") && message.contains("RFC 7644 §3.1"),
        "{message}"
    );
    // The cleanup problems quote what the target said, and it echoed the token.
    let problems: Vec<&String> = results.iter().flat_map(|r| &r.cleanup_problems).collect();
    assert!(
        problems.iter().any(|p| p.contains("[REDACTED scim token]")),
        "{problems:#?}"
    );
    assert!(!problems.iter().any(|p| p.contains(TOKEN)), "{problems:#?}");
    // A Bulk location is all there is to know a Bulk creation by: it is read before it is
    // deleted, and left alone when it is not what the request created.
    let message = failure(&results, "bulk::create-users");
    assert!(
        message.contains("/Users/victim left in place: it answers 200 as someone-[REDACTED"),
        "{message}"
    );

    // The Bulk creations were recorded (before anything was known of them) under the victim's
    // URL; a sweep of that ledger reads the victim and leaves it alone.
    assert!(ledger.contains("/Users/victim"), "{ledger}");
    let target = Target::new(
        &scene.target.base,
        Credentials {
            scim: TOKEN.into(),
            api_key: None,
            other_tenant: None,
        },
        &ClientOptions::default(),
    )
    .expect("target");
    let plan = scene
        .runtime
        .block_on(sweep::find(&target, Some(&path), sweep::DEFAULT_PREFIX))
        .expect("sweep");
    assert!(
        plan.skipped
            .iter()
            .any(|why| why.contains("/Users/victim: its name someone-")),
        "{:#?}",
        plan.skipped
    );
    let deleting = scene
        .runtime
        .block_on(sweep::delete(&target, &plan.leftovers));
    assert_eq!(deleting.len(), plan.leftovers.len());
    let deletes = scene.target.deletes.lock().expect("lock").clone();
    assert!(
        !deletes.iter().any(|path| path.ends_with("/victim")),
        "{deletes:#?}"
    );
    std::fs::remove_dir_all(path.parent().expect("folder")).ok();
}

#[test]
fn a_base_url_with_a_password_is_refused_and_the_password_never_printed() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args([
            "run",
            "--base-url",
            "http://admin:s3cret-pw@127.0.0.1:9/scim",
        ])
        .env("SCIMCHECK_TOKEN", TOKEN)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stderr.contains("must not carry a user name or password"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret-pw") && !stdout.contains("s3cret-pw"),
        "{stderr}"
    );
}

#[test]
fn a_location_in_another_collection_is_a_finding_and_never_deleted_there() {
    let scene = scene(Lie::Crosswise);
    let path = temp_ledger();
    let (results, _) = scene.run(&path);
    std::fs::remove_dir_all(path.parent().expect("folder")).ok();
    let message = failure(&results, "users::create");
    assert!(message.contains("another resource"), "{message}");
    let bulk = results
        .iter()
        .find(|r| r.id == "bulk::create-users")
        .expect("bulk::create-users");
    let message = failure(&results, "bulk::create-users");
    assert!(
        message.contains("not in the collection the operation POSTed to"),
        "{message}"
    );
    // What it cannot delete, it says it left behind.
    assert_eq!(
        bulk.cleanup_problems.len(),
        2,
        "{:#?}",
        bulk.cleanup_problems
    );
    assert!(
        bulk.cleanup_problems[0].contains("left in place: its location http://"),
        "{:#?}",
        bulk.cleanup_problems
    );
    // Each DELETE of something the target created named it in its own collection.
    let issued = scene.target.issued.lock().expect("lock").clone();
    let ids: BTreeSet<&str> = issued.iter().filter_map(|c| c.split('/').nth(1)).collect();
    let deletes = scene.target.deletes.lock().expect("lock").clone();
    let ours: Vec<&String> = deletes
        .iter()
        .filter(|path| path.rsplit('/').next().is_some_and(|id| ids.contains(id)))
        .collect();
    assert!(!ours.is_empty(), "{deletes:#?}");
    for path in ours {
        assert!(
            issued.contains(&path[1..]),
            "deleted in the wrong collection: {path}"
        );
    }
}

#[test]
fn an_existing_account_answered_to_a_create_is_never_written_or_deleted() {
    let scene = scene(Lie::Linked);
    let path = temp_ledger();
    let (results, ledger) = scene.run(&path);
    std::fs::remove_dir_all(path.parent().expect("folder")).ok();
    let deletes = scene.target.deletes.lock().expect("lock").clone();
    assert!(
        !deletes.iter().any(|path| path.ends_with("/victim")),
        "the victim was deleted: {deletes:#?}"
    );
    let writes = scene.target.writes.lock().expect("lock").clone();
    assert!(
        !writes.iter().any(|write| write.ends_with("/victim")),
        "the victim was written to: {writes:#?}"
    );
    // Bulk creations are recorded by their location before they are read, but the run never
    // records the victim as deleted.
    assert!(
        !ledger
            .lines()
            .any(|line| line.contains("/Users/victim") && line.contains("\"deleted\"")),
        "{ledger}"
    );
    // What the cases did create (their groups) was deleted.
    let issued = scene.target.issued.lock().expect("lock").clone();
    assert!(
        deletes.iter().any(|path| issued.contains(&path[1..])),
        "{deletes:#?}"
    );
    let message = failure(&results, "users::create");
    assert!(
        message.contains("RFC 7644 §3.3")
            && message.contains("/Users/victim: it answers as someone-[REDACTED scim token]"),
        "{message}"
    );
    let create = results
        .iter()
        .find(|r| r.id == "users::create")
        .expect("users::create");
    assert_eq!(
        create.cleanup_problems.len(),
        1,
        "{:#?}",
        create.cleanup_problems
    );
    assert!(
        create.cleanup_problems[0].contains("/Users/victim left in place: it answers as someone-"),
        "{:#?}",
        create.cleanup_problems
    );
}
