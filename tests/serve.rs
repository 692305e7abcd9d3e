//! `scimcheck serve` as CI scripts and provisioning-client developers use it: readiness by env
//! file, the suite run from a shell that sourced it, seeds, the request record, the admin
//! route, and HTTPS with the CA it writes.

mod common;

use common::Scratch;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Every variable `serve` reads or writes, so that the test's own environment plays no part.
const VARIABLES: [&str; 7] = [
    "SCIMCHECK_URL",
    "SCIMCHECK_TOKEN",
    "SCIMCHECK_API_KEY",
    "SCIMCHECK_OTHER_TENANT_TOKEN",
    "SCIMCHECK_ADMIN_URL",
    "SCIMCHECK_ADMIN_TOKEN",
    "SCIMCHECK_CA_CERT",
];

fn scimcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command.env("NO_COLOR", "1");
    command
}

/// A `scimcheck serve` on a free port, stopped with SIGTERM when dropped.
struct Served {
    /// Taken only by `stop`.
    child: Option<Child>,
    env_file: PathBuf,
    env: Vec<(String, String)>,
}

impl Served {
    fn start(scratch: &Scratch, extra: &[&str]) -> Served {
        let env_file = scratch.path("mock.env");
        let child = scimcheck()
            .args(["serve", "--addr", "127.0.0.1:0", "--env-file"])
            .arg(&env_file)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut served = Served {
            child: Some(child),
            env_file,
            env: Vec::new(),
        };
        served.env = served.wait_ready();
        served
    }

    /// The env file, once it exists: it is written only when the server accepts connections.
    fn wait_ready(&mut self) -> Vec<(String, String)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let child = self.child.as_mut().expect("running");
        while !self.env_file.exists() {
            if let Some(status) = child.try_wait().expect("child state") {
                panic!("serve exited early ({status}) without an env file");
            }
            assert!(Instant::now() < deadline, "serve never became ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(&self.env_file).expect("env file");
        parse_env(&text)
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name} missing from the env file"))
    }

    /// Runs `script` in bash after sourcing the env file.
    fn shell(&self, script: &str) -> Output {
        let mut command = Command::new("bash");
        for variable in VARIABLES {
            command.env_remove(variable);
        }
        command
            .arg("-c")
            .arg(format!("set -e; source \"$1\"; {script}"))
            .arg("bash")
            .arg(&self.env_file)
            .env("SCIMCHECK", env!("CARGO_BIN_EXE_scimcheck"))
            .env("NO_COLOR", "1")
            .output()
            .expect("bash runs")
    }

    /// Stops the server as CI does (SIGTERM) and waits for it.
    fn stop(mut self) -> Output {
        let child = self.child.take().expect("running");
        terminate(&child);
        child.wait_with_output().expect("serve stops")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&child);
            let _ = child.wait();
        }
    }
}

fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// `export NAME='value'` lines, as sourced by a shell (values never hold a quote here).
fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|line| {
            let rest = line.strip_prefix("export ").expect("an export line");
            let (name, value) = rest.split_once('=').expect("NAME=value");
            (name.to_owned(), value.trim_matches('\'').to_owned())
        })
        .collect()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The suite, from a shell that sourced the env file, over `users::` and the auth cases that
/// need every token.
const RUN: &str = r#""$SCIMCHECK" run --base-url "$SCIMCHECK_URL" --api-key-env SCIMCHECK_API_KEY --other-tenant-token-env SCIMCHECK_OTHER_TENANT_TOKEN --format terse"#;

/// A plain HTTP client, as a provisioning client under test would be.
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Http {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            client: reqwest::Client::new(),
        }
    }

    /// The status and the JSON body (`null` when there is none).
    fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.runtime.block_on(async {
            let response = request.send().await.expect("answered");
            let status = response.status().as_u16();
            let body = response.text().await.expect("a body");
            (status, serde_json::from_str(&body).unwrap_or(Value::Null))
        })
    }
}

#[test]
fn a_shell_that_sources_the_env_file_runs_the_suite_against_serve() {
    let scratch = Scratch::new("serve");
    let served = Served::start(&scratch, &[]);
    for variable in &VARIABLES[..6] {
        assert!(!served.var(variable).is_empty(), "{variable}");
    }
    assert!(served.var("SCIMCHECK_URL").starts_with("http://127.0.0.1:"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&served.env_file)
        .expect("env file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the env file holds tokens");
    let output = served.shell(&format!("{RUN} auth::"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("test result: ok"), "{stdout}");
    // The token-confusion cases ran: the API key and the other tenant's token were given.
    assert!(!stdout.contains("no API key"), "{stdout}");
}

#[test]
fn the_record_shows_what_a_client_sent_with_tokens_redacted_and_a_seed_is_loaded() {
    let scratch = Scratch::new("serve");
    let seed = scratch.path("seed.json");
    std::fs::write(
        &seed,
        json!({
            "users": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice", "active": true}],
            "groups": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "staff", "members": [{"value": "alice"}]}]
        })
        .to_string(),
    )
    .expect("seed written");
    let record = scratch.path("record.jsonl");
    let served = Served::start(
        &scratch,
        &[
            "--seed",
            seed.to_str().expect("UTF-8"),
            "--record",
            record.to_str().expect("UTF-8"),
        ],
    );
    let token = served.var("SCIMCHECK_TOKEN").to_owned();
    let base = served.var("SCIMCHECK_URL").to_owned();
    let http = Http::new();
    let client = &http.client;
    // The provisioning client under test: it finds the seeded user and deactivates it.
    let (_, found) = http.send(
        client
            .get(format!("{base}/Users"))
            .query(&[("filter", "userName eq \"alice\"")])
            .bearer_auth(&token),
    );
    assert_eq!(found["totalResults"], 1, "{found}");
    let id = found["Resources"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (_, group) = http.send(client.get(format!("{base}/Groups")).bearer_auth(&token));
    assert_eq!(group["Resources"][0]["members"][0]["value"], id, "{group}");
    let (status, _) = http.send(
        client
            .patch(format!("{base}/Users/{id}"))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "value": {"active": false}}]
                })
                .to_string(),
            ),
    );
    assert_eq!(status, 200);
    let output = served.stop();
    assert!(output.status.success(), "{}", text(&output));
    let lines = std::fs::read_to_string(&record).expect("the record");
    assert!(!lines.contains(&token), "the token leaked into the record");
    let exchanges: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(exchanges.len(), 3, "{lines}");
    let patch = &exchanges[2];
    assert_eq!(patch["method"], "PATCH");
    assert_eq!(patch["path"], format!("/scim/v2/Users/{id}"));
    assert_eq!(
        patch["request_body"]["Operations"][0]["value"]["active"],
        false
    );
    assert_eq!(patch["status"], 200);
    assert_eq!(patch["response_body"]["active"], false);
    let authorization = patch["request_headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h[0] == "authorization")
        .expect("an authorization header");
    assert_eq!(authorization[1], "Bearer [REDACTED scim token]");
    // Deactivated, not deleted: no DELETE was sent.
    assert!(exchanges.iter().all(|e| e["method"] != "DELETE"));
}

#[test]
fn a_bad_seed_is_refused_with_its_position_before_anything_is_served() {
    let scratch = Scratch::new("serve");
    let seed = scratch.path("seed.json");
    std::fs::write(&seed, "{\n  \"users\": [],\n  \"people\": []\n}").expect("written");
    let output = scimcheck()
        .args(["serve", "--addr", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("unknown field `people`"),
        "{stderr}"
    );
    std::fs::write(&seed, r#"{"users": [
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"},
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "displayName": "no userName"}
        ]}"#)
        .expect("written");
    let output = scimcheck()
        .args(["serve", "--addr", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("users[1]: refused with 400"), "{stderr}");
}

#[test]
fn the_admin_route_switches_a_fault_the_next_run_catches_and_refuses_the_scim_token() {
    let scratch = Scratch::new("serve");
    let served = Served::start(&scratch, &[]);
    let admin = served.var("SCIMCHECK_ADMIN_URL").to_owned();
    assert!(
        !admin.contains("/scim/v2"),
        "the admin route lies outside the SCIM base path: {admin}"
    );
    let http = Http::new();
    let put = |token: &str, body: Value| {
        http.send(
            http.client
                .put(&admin)
                .bearer_auth(served.var(token))
                .body(body.to_string()),
        )
    };
    for token in ["SCIMCHECK_TOKEN", "SCIMCHECK_API_KEY"] {
        let (status, _) = put(token, json!({"faults": ["accept-any-token"]}));
        assert_eq!(status, 401, "{token}");
    }
    let switch = |faults: Value| {
        let (status, body) = put("SCIMCHECK_ADMIN_TOKEN", json!({ "faults": faults }));
        assert_eq!(status, 200, "{body}");
        body
    };
    let (status, body) = put(
        "SCIMCHECK_ADMIN_TOKEN",
        json!({"faults": ["no-such-fault"]}),
    );
    assert_eq!(status, 400, "{body}");
    let clean = served.shell(&format!("{RUN} soft-delete::"));
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    let on = switch(json!(["delete-only-deactivates"]));
    assert_eq!(on["faults"], json!(["delete-only-deactivates"]));
    let caught = served.shell(&format!("{RUN} soft-delete::"));
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught));
    let off = switch(json!([]));
    assert_eq!(off["faults"], json!([]));
    let (_, shown) = http.send(
        http.client
            .get(&admin)
            .bearer_auth(served.var("SCIMCHECK_ADMIN_TOKEN")),
    );
    assert_eq!(shown, json!({"faults": [], "variations": []}));
}

#[test]
fn run_over_https_trusts_serves_ca_only_when_told() {
    let scratch = Scratch::new("serve");
    let ca = scratch.path("ca.pem");
    let served = Served::start(
        &scratch,
        &["--tls", "--ca-out", ca.to_str().expect("UTF-8")],
    );
    assert!(
        served
            .var("SCIMCHECK_URL")
            .starts_with("https://127.0.0.1:")
    );
    assert_eq!(Path::new(served.var("SCIMCHECK_CA_CERT")), ca);
    let pem = std::fs::read_to_string(&ca).expect("the CA file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let trusted = served.shell(&format!(r#"{RUN} --ca-cert "$SCIMCHECK_CA_CERT" users::"#));
    assert_eq!(trusted.status.code(), Some(0), "{}", text(&trusted));
    let untrusted = served.shell(&format!("{RUN} users:: || exit $?"));
    assert_eq!(untrusted.status.code(), Some(2), "{}", text(&untrusted));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(
        stderr.contains("TLS certificate is not trusted") && stderr.contains("--ca-cert"),
        "{stderr}"
    );
    let insecure = served.shell(&format!("{RUN} --insecure users::"));
    assert_eq!(insecure.status.code(), Some(0), "{}", text(&insecure));
    let stderr = String::from_utf8_lossy(&insecure.stderr);
    assert!(stderr.contains("warning: --insecure"), "{stderr}");
}

#[test]
fn credentials_fixed_in_the_environment_are_printed_as_env_lines_and_accepted() {
    use std::io::BufRead;
    let fixed = [
        ("SCIMCHECK_TOKEN", "fixed-scim-token-1"),
        ("SCIMCHECK_API_KEY", "fixed-api-key-2"),
        ("SCIMCHECK_OTHER_TENANT_TOKEN", "fixed-tenant-b-3"),
        ("SCIMCHECK_ADMIN_TOKEN", "fixed-admin-4"),
    ];
    let mut child = scimcheck()
        .args(["serve", "--addr", "127.0.0.1:0", "--print", "env"])
        .envs(fixed)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .take(6)
        .map(|line| line.expect("a line"))
        .collect();
    let env = parse_env(&lines.join("\n"));
    for (name, value) in fixed {
        assert!(
            env.contains(&(name.to_owned(), value.to_owned())),
            "{name}: {env:?}"
        );
    }
    let base = &env[0].1;
    let http = Http::new();
    let (status, _) = http.send(
        http.client
            .get(format!("{base}/Users"))
            .bearer_auth("fixed-scim-token-1"),
    );
    assert_eq!(status, 200);
    let (status, _) = http.send(
        http.client
            .get(format!("{base}/Users"))
            .bearer_auth("fixed-admin-4"),
    );
    assert_eq!(status, 401, "the admin token opens no SCIM route");
    terminate(&child);
    let status = child.wait().expect("serve stops");
    assert!(status.success(), "{status}");
}

#[test]
fn the_served_oauth_client_and_revoked_token_run_the_rotation_cases() {
    let scratch = Scratch::new("serve-oauth");
    let served = Served::start(&scratch, &["--oauth-token-lifetime", "1s"]);
    let run = served.shell(
        r#""$SCIMCHECK" run --base-url "$SCIMCHECK_URL" --oauth-token-url "$SCIMCHECK_OAUTH_TOKEN_URL" --oauth-client-id "$SCIMCHECK_OAUTH_CLIENT_ID" --oauth-client-secret-env SCIMCHECK_OAUTH_CLIENT_SECRET --revoked-token-env SCIMCHECK_REVOKED_TOKEN --exact auth::token-rotation::users auth::token-rotation::groups"#,
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("2 passed; 0 failed"),
        "{}",
        text(&run)
    );
    served.stop();
}
