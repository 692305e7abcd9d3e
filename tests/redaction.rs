//! Tokens never leak: a server that echoes the Authorization header back into its bodies makes
//! scimcheck print and write those bodies everywhere it can — console, JUnit, JSON, HTML and
//! Markdown reports, snapshots — and none of them may contain a token.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

const TOKEN: &str = "s3cret-scim-t0ken-5f2b";
const API_KEY: &str = "s3cret-api-key-77aa";

/// Answers every request with 400 and a body quoting the request's Authorization header.
fn echo_server() -> String {
    serve(|_, authorization| {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400",
            "detail": format!("you sent {authorization}"),
        })
        .to_string();
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\nX-Echo: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    })
}

/// A loopback server answering each request with `respond(request head, Authorization value)`.
fn serve(respond: fn(&str, &str) -> String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let authorization = head
                    .lines()
                    .find_map(|l| l.trim_end().strip_prefix("authorization: "))
                    .unwrap_or("none");
                let _ = stream.write_all(respond(&head, authorization).as_bytes());
            });
        }
    });
    format!("http://{address}/scim/v2")
}

const CASE: &str = r#"name: echo
description: a case whose failure shows a body that quotes the token
rfc: ["RFC 7644 §3.4.1"]
level: MUST
steps:
  - name: list users with the API key
    auth: api-key
    request: { method: GET, path: /Users }
    expect: { status: 400, snapshot: true }
  - name: list users
    request: { method: GET, path: /Users }
    expect: { status: 200, json: { /detail: { equals: "nothing" } } }
"#;

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Runs `cases` (file name, text) against `base_url` once per report format and returns
/// everything scimcheck printed or wrote, after checking every kind of output was written.
fn everything_written(base_url: &str, cases: &[(String, String)], extra: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("scimcheck-redaction-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases/echo")).unwrap();
    for (name, text) in cases {
        std::fs::write(dir.join("cases/echo").join(name), text).unwrap();
    }
    let mut outputs = Vec::new();
    for report in ["report.html", "report.md"] {
        let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .current_dir(&dir)
            .args([
                "run",
                "--base-url",
                base_url,
                "--cases",
                "cases",
                "--no-builtin",
                "--snapshots",
            ])
            .args(["--api-key-env", "SCIMCHECK_TEST_API_KEY", "--retries", "0"])
            .args([
                "--junit",
                "junit.xml",
                "--json",
                "results.json",
                "--report",
                report,
            ])
            .args(["--ledger", "ledger.jsonl", "--verbose"])
            .args(extra)
            .env("SCIMCHECK_TOKEN", TOKEN)
            .env("SCIMCHECK_TEST_API_KEY", API_KEY)
            .env("INSTA_UPDATE", "new")
            .env("INSTA_FORCE_PASS", "1")
            .env_remove("CI")
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "the echo case must fail: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push(String::from_utf8_lossy(&output.stdout).into_owned());
        outputs.push(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    for file in &files {
        if file.extension().is_some_and(|e| e == "yaml") {
            continue;
        }
        outputs.push(std::fs::read_to_string(file).unwrap_or_default());
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    for expected in ["junit.xml", "results.json", "report.html", "report.md"] {
        assert!(
            names.iter().any(|n| n.contains(expected)),
            "{expected} not written: {names:#?}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
    outputs.join("\n")
}

#[test]
fn no_output_format_contains_a_token() {
    let base_url = echo_server();
    let everything = everything_written(&base_url, &[("echo.yaml".into(), CASE.into())], &[]);
    assert!(
        everything.contains("\"request\": \"GET [base]/Users\""),
        "no snapshot written"
    );
    assert!(
        everything.contains("[REDACTED scim token]"),
        "the echoed token was not shown at all:\n{everything}"
    );
    assert!(
        everything.contains("[REDACTED api key]"),
        "the echoed API key was not shown at all"
    );
    assert!(!everything.contains(TOKEN), "the SCIM token leaked");
    assert!(!everything.contains(API_KEY), "the API key leaked");
}

/// Where scimcheck cuts text: a failure's bodies (2,000 bytes), `--verbose` bodies (500
/// characters) and a value in a mismatch (300 bytes).
const CUTS: [usize; 3] = [2000, 500, 300];

/// A case requesting `/Users?pad=N`, expecting what the echo server never sends.
fn padded_case(pad: usize) -> String {
    format!(
        r#"name: cut {pad}
description: the token lands where the output is cut
rfc: ["RFC 7644 §3.4.1"]
level: MUST
steps:
  - name: list users
    request: {{ method: GET, path: /Users, query: {{ pad: "{pad}" }} }}
    expect: {{ status: 200, json: {{ /detail: {{ equals: "nothing" }} }} }}
"#
    )
}

/// The error body quoting `authorization` after `pad` characters of padding.
fn padded_body(pad: usize, authorization: &str) -> String {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "detail": format!("{}you sent {authorization}", "x".repeat(pad)),
    })
    .to_string()
}

#[test]
fn a_token_straddling_any_cut_is_never_shown_in_part() {
    let base_url = serve(|head, authorization| {
        let pad = head
            .split_once("pad=")
            .and_then(|(_, rest)| rest.split([' ', '&']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let body = padded_body(pad, authorization);
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    // Pads that put the token's first byte 1, 5, 11 and 21 bytes before each cut, in the
    // body as a whole and in the `detail` value as a mismatch quotes it.
    let bearer = format!("Bearer {TOKEN}");
    let in_body = padded_body(0, &bearer).find(TOKEN).expect("token in body");
    let in_value = format!("\"you sent {bearer}\"")
        .find(TOKEN)
        .expect("token in value");
    let mut cases = Vec::new();
    for cut in CUTS {
        for before in [1, 5, 11, 21] {
            for start in [in_body, in_value] {
                if let Some(pad) = (cut - before).checked_sub(start) {
                    cases.push((format!("cut-{pad}.yaml"), padded_case(pad)));
                }
            }
        }
    }
    let everything = everything_written(&base_url, &cases, &[]);
    assert!(everything.contains("[REDACTED scim token]"), "{everything}");
    // Any 5 characters of the token's head would be a leak (the token's own prefix `s3cret-`
    // is shared with the API key, so the check starts past it).
    for head in 5..=TOKEN.len() {
        let part = &TOKEN[..head];
        if part.len() > "s3cret-".len() {
            assert!(!everything.contains(part), "`{part}` leaked");
        }
    }
}

#[test]
fn a_percent_encoded_token_is_redacted() {
    let base_url = serve(|_, _| {
        // TOKEN with its dashes percent-encoded: in a Location's query, and lower-case in the
        // body.
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"see /Users?access_token=s3cret%2dscim%2dt0ken%2d5f2b"}"#;
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\nLocation: http://127.0.0.1/scim/v2/Users?t=s3cret%2Dscim%2Dt0ken%2D5f2b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let everything = everything_written(&base_url, &[("echo.yaml".into(), CASE.into())], &[]);
    assert!(everything.contains("[REDACTED scim token]"), "{everything}");
    assert!(
        !everything.to_lowercase().contains("t0ken%2d5f2b"),
        "{everything}"
    );
}

#[test]
fn a_password_in_the_base_url_is_never_printed_or_written() {
    let address = echo_server();
    let base_url = address.replace("http://", "http://admin:hunter2-pw@");
    let dir = std::env::temp_dir().join(format!("scimcheck-redaction-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases/echo")).unwrap();
    std::fs::write(dir.join("cases/echo/echo.yaml"), CASE).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .current_dir(&dir)
        .args([
            "run",
            "--base-url",
            &base_url,
            "--cases",
            "cases",
            "--no-builtin",
        ])
        .args(["--retries", "0", "--verbose", "--ledger", "ledger.jsonl"])
        .args(["--json", "results.json", "--report", "report.md"])
        .args(["--api-key-env", "SCIMCHECK_TEST_API_KEY"])
        .env("SCIMCHECK_TOKEN", TOKEN)
        .env("SCIMCHECK_TEST_API_KEY", API_KEY)
        .output()
        .expect("runs");
    let mut everything = vec![
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ];
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    everything.extend(
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default()),
    );
    let everything = everything.join("\n");
    // Refused as a base URL or run: either way the password appears nowhere.
    assert!(matches!(output.status.code(), Some(1 | 2)), "{everything}");
    assert!(
        everything.contains("admin:"),
        "the URL was never shown: {everything}"
    );
    assert!(!everything.contains("hunter2"), "{everything}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_token_in_a_broken_scimcheck_toml_is_not_quoted() {
    let dir = std::env::temp_dir().join(format!("scimcheck-redaction-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for text in [
        format!("token-env = {TOKEN}\n"),
        format!("timeout = \"{TOKEN}\"\n"),
        format!("base-url = \"https://x\"\n[capabilities\ntoken = \"{TOKEN}\"\n"),
    ] {
        std::fs::write(dir.join("scimcheck.toml"), &text).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .current_dir(&dir)
            .arg("run")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("scimcheck.toml:"), "{stderr}");
        assert!(!stderr.contains("t0ken"), "{text}: {stderr}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn cleanup_problems_never_show_a_token() {
    // Creates answer with a Location quoting the token; the cleanup DELETE then fails.
    let base_url = serve(|head, authorization| {
        let (status, location, body) = if head.starts_with("POST ") {
            let address = head
                .lines()
                .find_map(|l| l.strip_prefix("host: "))
                .unwrap_or("127.0.0.1")
                .trim();
            let token = authorization.trim_start_matches("Bearer ");
            (
                "201 Created",
                format!("Location: http://{address}/scim/v2/Users/u1?session={token}\r\n"),
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"x"}"#
                    .to_owned(),
            )
        } else {
            (
                "500 Internal Server Error",
                String::new(),
                format!(
                    r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"you sent {authorization}"}}"#
                ),
            )
        };
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/scim+json\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let case = r#"name: create
description: a create whose cleanup fails
rfc: ["RFC 7644 §3.3"]
level: MUST
steps:
  - name: create
    request: { method: POST, path: /Users, body: { userName: "${user:a}" } }
    expect: { status: 201 }
  - name: read it back
    request: { method: GET, path: /Users/u1 }
    expect: { status: 200 }
"#;
    let dir = std::env::temp_dir().join(format!("scimcheck-redaction-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases/users")).unwrap();
    std::fs::write(dir.join("cases/users/create.yaml"), case).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .current_dir(&dir)
        .args([
            "run",
            "--base-url",
            &base_url,
            "--cases",
            "cases",
            "--no-builtin",
        ])
        .args(["--retries", "0", "--ledger", "ledger.jsonl"])
        .args(["--json", "results.json", "--report", "report.md"])
        .env("SCIMCHECK_TOKEN", TOKEN)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    // The ledger is the safety side's (it must keep URLs to sweep them), so it is not read here.
    let everything = [
        stdout.into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        std::fs::read_to_string(dir.join("results.json")).unwrap_or_default(),
        std::fs::read_to_string(dir.join("report.md")).unwrap_or_default(),
    ]
    .join("\n");
    assert!(everything.contains("cleanup"), "{everything}");
    assert!(!everything.contains(TOKEN), "{everything}");
    std::fs::remove_dir_all(dir).ok();
}

const OAUTH_SECRET: &str = "s3cret-oauth-client-9c1e";
const ACCESS_TOKEN: &str = "oauth-access-t0ken-3d7a";

/// The client secret in a file outside the run's folder (the caller removes it), and the flags
/// that use it.
fn oauth_flags(token_url: &str) -> (Vec<String>, std::path::PathBuf) {
    let secret = std::env::temp_dir().join(format!("scimcheck-secret-{}", uuid::Uuid::new_v4()));
    std::fs::write(&secret, format!("{OAUTH_SECRET}\n")).unwrap();
    let flags = [
        "--oauth-token-url",
        token_url,
        "--oauth-client-id",
        "scimcheck",
        "--oauth-client-secret-file",
        &secret.display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    (flags, secret)
}

#[test]
fn oauth_access_tokens_and_the_client_secret_never_show() {
    // The token endpoint issues ACCESS_TOKEN; every SCIM request is echoed back, token and all.
    let base_url = serve(|head, authorization| {
        if head.starts_with("POST /oauth/token ") {
            let body = format!(
                r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":3600}}"#
            );
            return format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400",
            "detail": format!("you sent {authorization}"),
        })
        .to_string();
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let (flags, secret) = oauth_flags(&base_url.replace("/scim/v2", "/oauth/token"));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let everything = everything_written(&base_url, &[("echo.yaml".into(), CASE.into())], &flags);
    std::fs::remove_file(secret).ok();
    assert!(
        everything.contains("[REDACTED oauth access token]"),
        "the echoed access token was not shown at all:\n{everything}"
    );
    assert!(
        !everything.contains(ACCESS_TOKEN),
        "the access token leaked"
    );
    assert!(
        !everything.contains(OAUTH_SECRET),
        "the client secret leaked"
    );
}

#[test]
fn a_token_endpoint_quoting_the_client_secret_back_is_redacted() {
    let base_url = serve(|_, authorization| {
        let body = serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("you sent {authorization}, which is not {OAUTH_SECRET}"),
        })
        .to_string();
        format!(
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let (flags, secret) = oauth_flags(&base_url.replace("/scim/v2", "/oauth/token"));
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", &base_url, "--verbose"])
        .args(flags)
        .output()
        .expect("runs");
    std::fs::remove_file(secret).ok();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("401 invalid_client: you sent [REDACTED oauth client secret], which is not [REDACTED oauth client secret]"),
        "{stderr}"
    );
    assert!(!stderr.contains("Basic "), "{stderr}");
}
