//! Targets that are not SCIM servers, or not servers at all: each gets a clear message and the
//! right exit code — never a panic, never a hang.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::Duration;

use common::serve_raw as serve;

/// Reads the request head, then writes a fixed response.
fn answer(mut stream: TcpStream, response: &str) {
    let mut buffer = [0u8; 4096];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let _ = stream.write_all(response.as_bytes());
}

fn run(base_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args([
            "run",
            "--base-url",
            base_url,
            "--timeout",
            "1",
            "--retries",
            "0",
        ])
        .env("SCIMCHECK_TOKEN", "bad-target-t0ken")
        .output()
        .expect("runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_html_login_page_fails_the_cases_with_a_readable_reason() {
    let address = serve(|s| {
        answer(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 31\r\nConnection: close\r\n\r\n<html><body>Login</body></html>",
        )
    });
    let output = run(&format!("http://{address}/scim/v2"));
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("GET /ServiceProviderConfig answered 200 without a JSON body"),
        "{stderr}"
    );
    assert!(stdout.contains("a non-JSON body (text/html)"), "{stdout}");
    assert!(!stdout.contains("bad-target-t0ken") && !stderr.contains("bad-target-t0ken"));
}

#[test]
fn a_redirect_to_another_host_is_reported_not_followed() {
    let address = serve(|s| {
        answer(
            s,
            "HTTP/1.1 302 Found\r\nLocation: http://login.elsewhere.invalid/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
    });
    let output = run(&format!("http://{address}/scim/v2"));
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("got 302"), "{stdout}");
    assert!(
        stdout.contains("location: http://login.elsewhere.invalid/"),
        "{stdout}"
    );
}

#[test]
fn a_server_that_never_answers_times_out_as_no_verdict_not_a_configuration_error() {
    let address = serve(|s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    let started = std::time::Instant::now();
    let output = run(&format!("http://{address}/scim/v2"));
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the timeout was not applied"
    );
}

#[test]
fn a_server_that_resets_connections_is_no_verdict_not_a_configuration_error() {
    let address = serve(drop);
    let output = run(&format!("http://{address}/scim/v2"));
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("error: the target is unreachable"),
        "{stderr}"
    );
}

#[test]
fn tls_to_a_plain_http_port_fails_cleanly() {
    let address = serve(|s| answer(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
    let output = run(&format!("https://{address}/scim/v2"));
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("error: the target is unreachable"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    let output = run("ftp://127.0.0.1/scim");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a usable base URL"), "{stderr}");
}

/// A list page for the walk tests: `GET /Users` claims more items than a `u64` holds and repeats
/// its one item on every page; `GET /Groups` gives paging numbers that are not counts.
fn hostile_pages(stream: TcpStream) {
    let mut stream = stream;
    let mut buffer = [0u8; 4096];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let start = head
        .split_once("startIndex=")
        .and_then(|(_, rest)| rest.split([' ', '&']).next())
        .unwrap_or("1");
    let list = "\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"]";
    let body = if head.starts_with("GET /scim/v2/Users") {
        format!(
            r#"{{{list},"totalResults":18446744073709551615,"itemsPerPage":1,"startIndex":{start},"Resources":[{{"id":"same"}}]}}"#
        )
    } else if head.starts_with("GET /scim/v2/Groups") {
        format!(
            r#"{{{list},"totalResults":3,"itemsPerPage":-1,"startIndex":1.5,"Resources":[{{"id":"g"}}]}}"#
        )
    } else {
        // It closes the connection: saying so keeps the client from reusing it for a page
        // (a race the test is not about).
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn hostile_paging_numbers_fail_the_walk_with_a_reason() {
    let address = serve(hostile_pages);
    let dir = std::env::temp_dir().join(format!("scimcheck-walk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("paging")).unwrap();
    for resource in ["Users", "Groups"] {
        std::fs::write(
            dir.join(format!("paging/{resource}.yaml")),
            format!(
                "name: walk {resource}\ndescription: a walk of a hostile list\nrfc: [\"RFC 7644 §3.4.2.4\"]\nlevel: MUST\nread_only: true\nsteps:\n  - name: walk\n    walk: {{ path: /{resource}, count: 1 }}\n"
            ),
        )
        .unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", &format!("http://{address}/scim/v2")])
        .arg("--cases")
        .arg(&dir)
        .args(["--no-builtin", "--retries", "0", "--ledger"])
        .arg(dir.join("ledger.jsonl"))
        .env("SCIMCHECK_TOKEN", "bad-target-t0ken")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stdout.contains("panicked"), "{stdout}");
    assert!(
        stdout.contains(
            "Resources: expected no item repeated across pages, got id \"same\" again (already on an earlier page) (page 2)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "itemsPerPage: expected a non-negative integer (RFC 7644 §3.4.2), got -1 (page 1)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "startIndex: expected a non-negative integer (RFC 7644 §3.4.2), got 1.5 (page 1)"
        ),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// A body and a header that would recolour, retitle and clear a terminal, and reverse text.
const TERMINAL_ATTACK: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mall passed\u{9b}0m \u{202e}txt.exe";

fn assert_neutralised(output: &Output) {
    let (stdout, stderr) = text(output);
    for shown in [&stdout, &stderr] {
        for control in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(
                !shown.contains(control),
                "{control:?} printed raw:\n{shown}"
            );
        }
    }
    assert!(stdout.contains("\\u{1b}]0;pwned") || stderr.contains("\\u{1b}]0;pwned"));
}

#[test]
fn escape_sequences_a_target_sends_are_printed_inert() {
    // `WWW-Authenticate` carries C1 controls as UTF-8 (HTTP rejects raw ESC in headers).
    let address = serve(|s| {
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nWWW-Authenticate: Bearer \u{9b}2J\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{TERMINAL_ATTACK}",
            TERMINAL_ATTACK.len()
        );
        answer(s, &response)
    });
    let url = format!("http://{address}/scim/v2");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args([
            "run",
            "--base-url",
            &url,
            "--timeout",
            "1",
            "--retries",
            "0",
            "--verbose",
        ])
        .args(["users::create"])
        .env("SCIMCHECK_TOKEN", "bad-target-t0ken")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{:?}", text(&output));
    assert_neutralised(&output);
}

#[test]
fn a_200_kb_etag_is_shown_cut_short() {
    let address = serve(|s| {
        let etag = "e".repeat(200_000);
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: W/\"{etag}\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
        );
        answer(s, &response)
    });
    let url = format!("http://{address}/scim/v2");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args([
            "run",
            "--base-url",
            &url,
            "--timeout",
            "1",
            "--retries",
            "0",
        ])
        .args(["users::get-unknown", "--exact"])
        .env("SCIMCHECK_TOKEN", "bad-target-t0ken")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("etag: W/\"eeee"), "{stdout}");
    assert!(stdout.contains("bytes in all)"), "{stdout}");
    assert!(stdout.len() < 50_000, "{} bytes printed", stdout.len());
}

/// Answers the discovery documents, then hangs up on everything else: a target that went down
/// after discovery.
fn down_after_discovery(mut stream: TcpStream) {
    let mut buffer = [0u8; 4096];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let body = if head.starts_with("GET /scim/v2/ServiceProviderConfig ") {
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],"patch":{"supported":false},"bulk":{"supported":false,"maxOperations":0,"maxPayloadSize":0},"filter":{"supported":false,"maxResults":0},"changePassword":{"supported":false},"sort":{"supported":false},"etag":{"supported":false},"authenticationSchemes":[]}"#
    } else if head.starts_with("GET /scim/v2/ResourceTypes ")
        || head.starts_with("GET /scim/v2/Schemas ")
    {
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#
    } else {
        return;
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn a_target_that_goes_down_after_discovery_is_no_verdict_not_a_failure() {
    let address = serve(down_after_discovery);
    let dir = std::env::temp_dir().join(format!("scimcheck-down-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("users")).expect("cases folder");
    std::fs::write(
        dir.join("users/get.yaml"),
        "name: get\ndescription: a read\nrfc: [\"RFC 7644 §3.4.1\"]\nlevel: MUST\nread_only: true\nsteps:\n  - name: get\n    request: { method: GET, path: /Users/x }\n    expect: { status: 404 }\n",
    )
    .expect("case");
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", &format!("http://{address}/scim/v2")])
        .arg("--cases")
        .arg(&dir)
        .args([
            "--no-builtin",
            "--retries",
            "0",
            "--timeout",
            "2",
            "--ledger",
        ])
        .arg(dir.join("ledger.jsonl"))
        .env("SCIMCHECK_TOKEN", "bad-target-t0ken")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("verdict: NO VERDICT: 1 case(s) got no answer from the target (a timeout, a refused or reset connection): no verdict: users::get"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 case(s) selected, 1 ran: 0 passed, 0 failed, 1 errored (no verdict)"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).ok();
}
