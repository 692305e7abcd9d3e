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
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "400",
                    "detail": format!("you sent {authorization}"),
                })
                .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\nX-Echo: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
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

#[test]
fn no_output_format_contains_a_token() {
    let base_url = echo_server();
    let dir = std::env::temp_dir().join(format!("scimcheck-redaction-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases/echo")).unwrap();
    std::fs::write(dir.join("cases/echo/echo.yaml"), CASE).unwrap();
    let mut outputs = Vec::new();
    for report in ["report.html", "report.md"] {
        let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
            .current_dir(&dir)
            .args([
                "run",
                "--base-url",
                &base_url,
                "--cases",
                "cases",
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
            .args(["--ledger", "ledger.jsonl"])
            .env("SCIMCHECK_TOKEN", TOKEN)
            .env("SCIMCHECK_TEST_API_KEY", API_KEY)
            .env("INSTA_UPDATE", "new")
            .env("INSTA_FORCE_PASS", "1")
            .env_remove("CI")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "the echo case must fail");
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
    for expected in [
        "junit.xml",
        "results.json",
        "report.html",
        "report.md",
        ".snap",
    ] {
        assert!(
            names.iter().any(|n| n.contains(expected)),
            "{expected} not written: {names:#?}"
        );
    }
    let everything = outputs.join("\n");
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
    std::fs::remove_dir_all(dir).ok();
}
