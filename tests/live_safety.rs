//! Safety on a real tenant, proven against the mock: a read-only run writes nothing, every
//! case cleans up what it created (on failure and on Ctrl-C too), sweep removes exactly the
//! leftovers, and throttling is waited out.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use scimcheck::exec::ledger::{self, Entry, Event, Ledger};
use scimcheck::mock::{Fault, MockConfig};
use scimcheck::plan::PlanOptions;
use scimcheck::report::CaseOutcome;

#[test]
fn a_read_only_run_sends_no_writes() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let outcome = common::run_suite(
        &runtime,
        &mock,
        PlanOptions {
            read_only: true,
            ..Default::default()
        },
        false,
    );
    assert_eq!(
        mock.write_requests(),
        0,
        "a read-only run wrote to the target"
    );
    let ran = outcome
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, CaseOutcome::Skipped(_)))
        .count();
    assert!(ran > 0, "no read-only case ran");
    assert!(outcome.results.iter().any(|r| matches!(
        &r.outcome,
        CaseOutcome::Skipped(reason) if reason.contains("--read-only")
    )));
    assert!(common::failed(&outcome.results).is_empty());
}

#[test]
fn cases_leave_nothing_behind_even_when_they_fail_half_way() {
    let runtime = common::runtime();
    for config in [
        MockConfig::default(),
        MockConfig::with_faults([Fault::PageOverlap]),
        // A PUT to an id no one issued creates the user: users::put-unknown must delete it.
        MockConfig::with_faults([Fault::PutCreatesMissing]),
    ] {
        let failing = !config.faults.is_empty();
        let mock = common::start_mock(&runtime, config);
        let outcome = common::run_suite(&runtime, &mock, PlanOptions::default(), false);
        assert_eq!(!common::failed(&outcome.results).is_empty(), failing);
        assert!(mock.write_requests() > 0);
        assert_eq!(
            common::users_with_prefix(&runtime, &mock, "scimcheck-"),
            0,
            "users left behind (fault on: {failing})"
        );
    }
}

#[test]
fn throttling_is_waited_out_and_counted() {
    let runtime = common::runtime();
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            rate_limit: Some(20),
            ..MockConfig::default()
        },
    );
    // The users area alone: enough requests to be throttled, few enough to finish quickly
    // at 20 per second.
    let outcome = common::run_suite_filtered(&runtime, &mock, "users::");
    assert!(
        outcome.facts.throttled > 0,
        "the mock never throttled: raise the load or lower the limit"
    );
    assert!(outcome.results.len() > 10);
    let failures: Vec<_> = common::failed(&outcome.results)
        .iter()
        .map(|r| &r.outcome)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

fn scimcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    command.env_remove("SCIMCHECK_TOKEN");
    command
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("scimcheck-{}-{name}", uuid::Uuid::new_v4()))
}

#[test]
fn the_first_ctrl_c_cleans_up_everything_the_run_created() {
    let runtime = common::runtime();
    // Latency stretches the run so the interrupt lands in the middle of it.
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            latency: Some(Duration::from_millis(150)),
            ..MockConfig::default()
        },
    );
    let ledger = temp_path("ledger.jsonl");
    let child = scimcheck()
        .args(["run", "--base-url", mock.base_url(), "--ledger"])
        .arg(&ledger)
        .env("SCIMCHECK_TOKEN", &mock.credentials().scim_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Interrupt once the run is creating resources (a loaded machine may be slow to start it).
    let started = std::time::Instant::now();
    while mock.write_requests() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted: cleaning up"), "{stderr}");
    assert_eq!(
        common::users_with_prefix(&runtime, &mock, "scimcheck-"),
        0,
        "{stderr}"
    );
    // The ledger saw every creation and every deletion: nothing left to sweep.
    let leftovers = scimcheck::exec::ledger::leftovers(&ledger, mock.base_url()).expect("ledger");
    assert_eq!(leftovers, Default::default());
    // The run's lock went with it: a sweep now may take what it left.
    let mut runs = ledger.clone().into_os_string();
    runs.push(".runs");
    let locks = std::fs::read_dir(&runs).expect("the runs folder").count();
    assert_eq!(locks, 0, "lock files left in {runs:?}");
    std::fs::remove_dir_all(runs).ok();
    let mut key = ledger.clone().into_os_string();
    key.push(".key");
    std::fs::remove_file(key).ok();
    std::fs::remove_file(ledger).ok();
}

/// A mock whose users the tests create directly, with a sweep to run against it.
struct Tenant {
    runtime: tokio::runtime::Runtime,
    mock: scimcheck::mock::MockServer,
    client: reqwest::Client,
    ledger: std::path::PathBuf,
}

impl Tenant {
    fn new(config: MockConfig) -> Tenant {
        let runtime = common::runtime();
        let mock = common::start_mock(&runtime, config);
        let _ = rustls::crypto::ring::default_provider().install_default();
        Tenant {
            runtime,
            mock,
            client: reqwest::Client::new(),
            ledger: temp_path("ledger.jsonl"),
        }
    }

    fn token(&self) -> &str {
        &self.mock.credentials().scim_token
    }

    /// Creates a User (or a Group, for a `Groups` collection) and returns its id.
    fn create(&self, collection: &str, name: &str) -> String {
        let body = if collection == "Groups" {
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": name,
            })
        } else {
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name,
            })
        };
        let request = self
            .client
            .post(format!("{}/{collection}", self.mock.base_url()))
            .bearer_auth(self.token())
            .json(&body);
        self.runtime.block_on(async {
            let body: serde_json::Value = request
                .send()
                .await
                .expect("create")
                .json()
                .await
                .expect("JSON");
            body["id"].as_str().expect("id").to_owned()
        })
    }

    fn status(&self, collection: &str, id: &str) -> u16 {
        let request = self
            .client
            .get(format!("{}/{collection}/{id}", self.mock.base_url()))
            .bearer_auth(self.token());
        self.runtime
            .block_on(async { request.send().await.expect("get").status().as_u16() })
    }

    /// Records in the ledger, as run `run` would, that it created `Users/{id}`.
    fn record(&self, ledger: &Ledger, run: &str, id: &str, name: &str) {
        ledger
            .append(&Entry {
                event: Event::Created,
                target: self.mock.base_url().to_owned(),
                url: format!("{}/Users/{id}", self.mock.base_url()),
                id: id.to_owned(),
                name: Some(name.to_owned()),
                run: run.to_owned(),
            })
            .expect("ledger");
    }

    /// `scimcheck sweep`, its stdout, and whether it succeeded.
    fn sweep(&self, args: &[&str]) -> (String, bool) {
        let output = scimcheck()
            .args(["sweep", "--base-url", self.mock.base_url(), "--ledger"])
            .arg(&self.ledger)
            .args(args)
            .env("SCIMCHECK_TOKEN", self.token())
            .output()
            .expect("sweep");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        (format!("{stdout}{stderr}"), output.status.success())
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        for suffix in ["", ".key"] {
            let mut path = self.ledger.clone().into_os_string();
            path.push(suffix);
            std::fs::remove_file(path).ok();
        }
        let mut runs = self.ledger.clone().into_os_string();
        runs.push(".runs");
        std::fs::remove_dir_all(runs).ok();
    }
}

#[test]
fn sweep_removes_planted_leftovers_and_spares_look_alikes() {
    // The filter fault makes the server return every user: sweep must still spare the others.
    let tenant = Tenant::new(MockConfig::with_faults([Fault::FilterIgnored]));
    let ours = [
        tenant.create("Users", "scimcheck-deadbeef-001-left@example.com"),
        // A name may hold anything, a token too: sweep's output is redacted.
        tenant.create(
            "Users",
            &format!("scimcheck-deadbeef-002-{}@example.com", tenant.token()),
        ),
        tenant.create("Groups", "scimcheck-deadbeef-003-team"),
    ];
    let spared = [
        ("Users", tenant.create("Users", "alice@customer.example")),
        (
            "Users",
            tenant.create("Users", "scimcheck-admin@corp.example"),
        ),
        ("Users", tenant.create("Users", "SCIMCheck-Report-Bot")),
        (
            "Users",
            tenant.create("Users", "SCIMCHECK-DEADBEEF-004-x@example.com"),
        ),
        ("Groups", tenant.create("Groups", "scimcheck-team")),
    ];
    let writes = tenant.mock.write_requests();

    let (listing, ok) = tenant.sweep(&["--dry-run"]);
    assert!(ok, "{listing}");
    assert!(listing.contains("would delete 3 resource(s)"), "{listing}");
    assert_eq!(
        tenant.mock.write_requests(),
        writes,
        "a dry run deleted something"
    );

    assert!(!listing.contains(tenant.token()), "{listing}");

    let (swept, ok) = tenant.sweep(&[]);
    assert!(ok && swept.contains("deleted 3 of 3"), "{swept}");
    assert!(
        !swept.contains(tenant.token()) && swept.contains("[REDACTED"),
        "{swept}"
    );
    assert_eq!(tenant.status("Users", &ours[0]), 404);
    assert_eq!(tenant.status("Groups", &ours[2]), 404);
    for (collection, id) in &spared {
        assert_eq!(
            tenant.status(collection, id),
            200,
            "swept {collection}/{id}: {swept}"
        );
    }
    assert!(tenant.sweep(&["--dry-run"]).0.contains("nothing to sweep"));

    // A prefix shorter than a run's, or in another case, is refused before anything is read.
    for prefix in ["scim", "scimcheck-dead", "SCIMCheck-", "scimcheck-admin"] {
        let (output, ok) = tenant.sweep(&["--prefix", prefix]);
        assert!(
            !ok && output.contains("could match resources no run created"),
            "{output}"
        );
    }
}

#[test]
fn sweep_refuses_tampered_and_unauthenticated_ledger_lines() {
    let tenant = Tenant::new(MockConfig::default());
    let run = ledger::new_run_prefix();
    let name = format!("{run}-001-left@example.com");
    let left = tenant.create("Users", &name);
    let bob = tenant.create("Users", "bob@customer.example");
    let carol = tenant.create("Users", &format!("{run}-002-carol@example.com"));
    tenant.record(
        &Ledger::open(&tenant.ledger).expect("ledger"),
        &run,
        &left,
        &name,
    );
    let genuine = std::fs::read_to_string(&tenant.ledger).expect("read");
    // The genuine line re-pointed at bob, and a line without a MAC naming carol.
    let tampered = genuine.replace(&left, &bob);
    let old = serde_json::json!({
        "event": "created", "target": tenant.mock.base_url(),
        "url": format!("{}/Users/{carol}", tenant.mock.base_url()),
        "id": carol, "run": run,
    });
    let mut text = genuine.clone();
    text.push_str(&tampered);
    text.push_str(&format!("{old}\n"));
    std::fs::write(&tenant.ledger, text).expect("write");
    // Even an authentic line (a key that leaked) cannot name a collection.
    Ledger::open(&tenant.ledger)
        .expect("ledger")
        .append(&Entry {
            event: Event::Created,
            target: tenant.mock.base_url().to_owned(),
            url: format!("{}/Users", tenant.mock.base_url()),
            id: "Users".into(),
            name: None,
            run: run.clone(),
        })
        .expect("append");

    // Only the ledger is asked: a prefix no name carries keeps the prefix scan out of it.
    let (swept, ok) = tenant.sweep(&["--prefix", "scimcheck-00000000"]);
    assert!(ok && swept.contains("deleted 1 of 1"), "{swept}");
    assert!(swept.contains("line 2: its MAC does not match"), "{swept}");
    assert!(
        swept.contains("line 3: written by a scimcheck that did not"),
        "{swept}"
    );
    assert!(swept.contains("/Users: it names a collection"), "{swept}");
    assert_eq!(tenant.status("Users", &left), 404);
    assert_eq!(
        tenant.status("Users", &bob),
        200,
        "a tampered line deleted bob"
    );
    assert_eq!(
        tenant.status("Users", &carol),
        200,
        "an unauthenticated line was used"
    );
}

#[test]
fn sweep_leaves_an_id_reused_after_a_reset_alone() {
    let tenant = Tenant::new(MockConfig::default());
    let run = ledger::new_run_prefix();
    // The run created a user; the server was reset and gave its id to someone else. The mock
    // never reuses ids, so the ledger names the new owner's id, as a reset would leave it.
    let dana = tenant.create("Users", "dana@customer.example");
    let look_alike = tenant.create("Users", "scimcheck-00000000-001-x@example.com");
    let ledger = Ledger::open(&tenant.ledger).expect("ledger");
    tenant.record(&ledger, &run, &dana, &format!("{run}-001-dana@example.com"));
    // A generated name, but another run's: the id was reused by a later run's resource.
    tenant.record(
        &ledger,
        &run,
        &look_alike,
        &format!("{run}-001-x@example.com"),
    );
    // And one deleted by hand since: found gone, and recorded so.
    let gone_name = format!("{run}-002-gone@example.com");
    let gone = tenant.create("Users", &gone_name);
    tenant.record(&ledger, &run, &gone, &gone_name);
    drop(ledger);
    let request = tenant
        .client
        .delete(format!("{}/Users/{gone}", tenant.mock.base_url()))
        .bearer_auth(tenant.token());
    tenant
        .runtime
        .block_on(async { request.send().await.expect("delete") });
    let (swept, ok) = tenant.sweep(&["--prefix", &run]);
    assert!(ok && swept.contains("nothing to sweep"), "{swept}");
    assert!(swept.contains("an id reused?"), "{swept}");
    let left = ledger::leftovers(&tenant.ledger, tenant.mock.base_url()).expect("ledger");
    assert_eq!(left.entries.len(), 2, "{left:#?}");
    assert!(left.entries.iter().all(|e| e.id != gone), "{left:#?}");
    assert_eq!(tenant.status("Users", &dana), 200);
    assert_eq!(tenant.status("Users", &look_alike), 200);
}

#[test]
fn sweep_spares_a_run_in_progress() {
    let tenant = Tenant::new(MockConfig::default());
    let run = ledger::new_run_prefix();
    let live = Ledger::open_for_run(&tenant.ledger, &run).expect("lock");
    let recorded = format!("{run}-001-a@example.com");
    let in_ledger = tenant.create("Users", &recorded);
    tenant.record(&live, &run, &in_ledger, &recorded);
    // Created, and not yet in the ledger (the response is on its way): the prefix finds it.
    let by_prefix = tenant.create("Users", &format!("{run}-002-b@example.com"));

    let (swept, ok) = tenant.sweep(&[]);
    assert!(ok && swept.contains("nothing to sweep"), "{swept}");
    assert!(swept.contains("still in progress"), "{swept}");
    assert_eq!(tenant.status("Users", &in_ledger), 200);
    assert_eq!(tenant.status("Users", &by_prefix), 200);

    drop(live);
    let (swept, ok) = tenant.sweep(&[]);
    assert!(ok && swept.contains("deleted 2 of 2"), "{swept}");
    assert_eq!(tenant.status("Users", &in_ledger), 404);
}

#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_ledger_is_a_cleanup_problem() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    // The ledger is /dev/full (writes fail with ENOSPC); a link keeps its key out of /dev.
    let dir = temp_path("full");
    std::fs::create_dir_all(&dir).expect("dir");
    let ledger = dir.join("ledger.jsonl");
    std::os::unix::fs::symlink("/dev/full", &ledger).expect("link");
    let outcome = common::run_suite_with_ledger(&runtime, &mock, "users::create", &ledger);
    let with_problem: Vec<&str> = outcome
        .results
        .iter()
        .filter(|r| {
            r.cleanup_problems
                .iter()
                .any(|p| p.contains("failed to write the cleanup ledger"))
        })
        .map(|r| r.id.as_str())
        .collect();
    assert!(with_problem.contains(&"users::create"), "{with_problem:?}");
    // The resources themselves were still deleted.
    assert_eq!(common::users_with_prefix(&runtime, &mock, "scimcheck-"), 0);
    std::fs::remove_dir_all(dir).ok();
}
