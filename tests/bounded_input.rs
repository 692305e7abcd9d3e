//! What a target sends cannot exhaust the harness: a 200 MB body, a body that never ends and a
//! body that drips forever each fail their step with a clear message, while the harness's own
//! memory (its peak resident set, read from /proc) stays under a fixed bound.

#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The harness's peak resident set may not exceed this: far below the 200 MB one response
/// offers, and well above what the harness needs with an 8 MiB cap.
const MEMORY_BOUND_KB: u64 = 120 * 1024;

/// A loopback server: `/Users` is answered by `users`, everything else with a small 404.
fn serve(users: fn(TcpStream)) -> String {
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
                if String::from_utf8_lossy(&head).starts_with("GET /scim/v2/Users") {
                    users(stream);
                } else {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            });
        }
    });
    format!("http://{address}/scim/v2")
}

/// 200 MB of JSON-looking bytes, announced by `Content-Length`.
fn two_hundred_megabytes(mut stream: TcpStream) {
    const SIZE: usize = 200 * 1000 * 1000;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..SIZE / chunk.len() {
        if stream.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// A chunked body that never ends, as fast as the harness reads it.
fn endless(mut stream: TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let mut chunk = format!("{:x}\r\n", 1 << 16).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 1 << 16));
    chunk.extend_from_slice(b"\r\n");
    while stream.write_all(&chunk).is_ok() {}
}

/// A chunked body of one byte every 100 ms, forever.
fn drip(mut stream: TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    while stream.write_all(b"1\r\n \r\n").is_ok() {
        std::thread::sleep(Duration::from_millis(100));
    }
}

const CASE: &str = r#"name: list
description: one list request, answered by the hostile server
rfc: ["RFC 7644 §3.4.2"]
level: MUST
read_only: true
steps:
  - name: list users
    request: { method: GET, path: /Users }
    expect: { status: 200 }
"#;

/// A cases folder with `copies` of the one case, which run at once.
fn cases_dir(copies: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcheck-bounded-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("users")).expect("cases folder");
    for copy in 0..copies {
        std::fs::write(dir.join(format!("users/list-{copy}.yaml")), CASE).expect("case file");
    }
    dir
}

/// The VmHWM (peak resident set, in kB) of a running process.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs the one case against `base_url` and returns its output and the highest peak resident
/// set seen while it ran. A run that does not end within a minute is killed and fails the test
/// (it would have hung).
fn run(base_url: &str, extra: &[&str]) -> (Output, u64) {
    run_copies(base_url, 1, extra)
}

fn run_copies(base_url: &str, copies: usize, extra: &[&str]) -> (Output, u64) {
    let dir = cases_dir(copies);
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", base_url, "--cases"])
        .arg(&dir)
        .args(["--no-builtin", "--retries", "0", "--ledger"])
        .arg(dir.join("ledger.jsonl"))
        .args(extra)
        .env("SCIMCHECK_TOKEN", "bounded-t0ken")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let pid = child.id();
    let (stdout, stderr) = common::drain_pipes(&mut child);
    let started = Instant::now();
    let mut peak = 0;
    // VmHWM only grows, so the last reading before exit is the run's peak (bar its last
    // few milliseconds, which are spent printing).
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if let Some(kb) = peak_kb(pid) {
            peak = peak.max(kb);
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            panic!("the run did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    std::fs::remove_dir_all(dir).ok();
    assert!(peak > 0, "the child's memory was never read");
    (output, peak)
}

/// The case stopped on a body it would not read: no verdict on the target (exit 3), not a
/// failure of the clause it was about.
fn assert_unjudged_with(output: &Output, expected: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains(expected), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_200_megabyte_body_is_refused_at_the_cap() {
    let base_url = serve(two_hundred_megabytes);
    let (output, peak) = run(&base_url, &[]);
    assert_unjudged_with(&output, "the response body exceeds 8 MiB (--max-body)");
    assert!(peak < MEMORY_BOUND_KB, "peak resident set {peak} kB");
}

#[test]
fn an_endless_body_is_cut_off_at_the_cap_given() {
    let base_url = serve(endless);
    let (output, peak) = run(&base_url, &["--max-body", "32MiB"]);
    assert_unjudged_with(&output, "the response body exceeds 32 MiB (--max-body)");
    assert!(peak < MEMORY_BOUND_KB, "peak resident set {peak} kB");
}

#[test]
fn eight_endless_bodies_at_once_stay_bounded_too() {
    let base_url = serve(endless);
    let (output, peak) = run_copies(&base_url, 8, &["--max-body", "4MiB", "--test-threads", "8"]);
    assert_unjudged_with(&output, "test result: FAILED. 0 passed; 8 failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.matches("the response body exceeds 4 MiB").count() >= 8,
        "{stdout}"
    );
    assert!(peak < MEMORY_BOUND_KB, "peak resident set {peak} kB");
}

/// A 500 with 4 MB of text: within the cap, so read whole, and failing the case.
fn four_megabytes_of_error(mut stream: TcpStream) {
    const SIZE: usize = 4 * 1000 * 1000;
    let _ = write!(
        stream,
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    let _ = stream.write_all(&vec![b'x'; SIZE]);
}

/// Results live until the run ends: forty failing cases, one after another, each answered
/// with 4 MB, keep no more of those bodies than the reports show (they kept all 160 MB).
#[test]
fn forty_failing_cases_keep_only_what_the_reports_show_of_their_bodies() {
    let base_url = serve(four_megabytes_of_error);
    let (output, peak) = run_copies(&base_url, 40, &["--jobs", "1"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Failures on a response: a verdict on the target (exit 1).
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("test result: FAILED. 0 passed; 40 failed"),
        "{stdout}"
    );
    assert!(stdout.contains("… (4000000 bytes in all)"), "{stdout}");
    assert!(peak < MEMORY_BOUND_KB, "peak resident set {peak} kB");
}

#[test]
fn a_body_that_drips_forever_is_ended_by_the_timeout() {
    let base_url = serve(drip);
    let (output, _) = run(&base_url, &["--timeout", "2"]);
    assert_unjudged_with(&output, "timed out");
}

#[test]
fn a_body_within_the_cap_is_read_whole() {
    let base_url = serve(|mut stream| {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"padding":"{}"}}"#,
            "x".repeat(2000)
        );
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    });
    let (output, _) = run(&base_url, &["--max-body", "4KiB"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let (output, _) = run(&base_url, &["--max-body", "1KiB"]);
    assert_unjudged_with(&output, "the response body exceeds 1 KiB (--max-body)");
}
