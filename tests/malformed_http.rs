//! Targets that break HTTP itself, or ask to be waited on forever: each run ends within a
//! minute with a non-zero exit and a message naming what went wrong — never a panic, never a
//! hang, never a message as long as what the target sent.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A loopback server answering every connection with `respond`: its base URL.
fn serve(respond: fn(TcpStream)) -> String {
    format!("http://{}/scim", common::serve_raw(respond))
}

/// Reads the request head; `false` when the client went away first.
fn read_head(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 4096];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    true
}

/// Reads the request head, then writes `bytes` and holds the connection open for `hold`.
fn answer(mut stream: TcpStream, bytes: &[u8], hold: Duration) {
    if read_head(&mut stream) {
        let _ = stream.write_all(bytes);
        std::thread::sleep(hold);
    }
}

/// Reads the request head, then writes `head` and `chunk` repeatedly until the client leaves.
fn forever(mut stream: TcpStream, head: &[u8], chunk: &[u8]) {
    if read_head(&mut stream) && stream.write_all(head).is_ok() {
        while stream.write_all(chunk).is_ok() {}
    }
}

/// A run that has not ended by then has hung.
const HUNG: Duration = Duration::from_secs(60);

/// Runs the catalogue against `base_url` with a 1 s timeout; a run that outlives [`HUNG`] is
/// killed and fails the test.
fn run(base_url: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", base_url, "--timeout", "1"])
        .args(extra)
        .env("SCIMCHECK_TOKEN", "malformed-t0ken")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let (stdout, stderr) = common::drain_pipes(&mut child);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HUNG {
            let _ = child.kill();
            let said = stderr.join().expect("stderr");
            panic!("the run hung; it said: {}", String::from_utf8_lossy(&said));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

/// The run ended with `code` (3: the target did not answer discovery, so no verdict; 2: a
/// configuration error), said `expected` on stderr in a short message, and did not panic.
fn assert_ended(output: &Output, code: i32, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.len() < 4096, "{} bytes on stderr", stderr.len());
}

#[test]
fn a_status_line_and_then_nothing() {
    let url = serve(|s| answer(s, b"HTTP/1.1 200 OK\r\n", Duration::ZERO));
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 3, "connection closed before message completed");
}

#[test]
fn a_header_that_never_ends() {
    let url = serve(|s| forever(s, b"HTTP/1.1 200 OK\r\nX-Endless: ", &[b'a'; 65536]));
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 3, "message head is too large");
}

#[test]
fn a_body_shorter_than_its_content_length_then_silence() {
    let url = serve(|s| {
        answer(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{",
            Duration::from_secs(120),
        )
    });
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 3, "timed out");
}

#[test]
fn informational_responses_forever() {
    let url = serve(|s| forever(s, b"", &b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100)));
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 3, "timed out");
}

#[test]
fn a_chunk_size_past_u64() {
    let url = serve(|s| {
        answer(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n{}\r\n0\r\n\r\n",
            Duration::from_secs(5),
        )
    });
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 3, "invalid chunk size");
}

#[test]
fn a_100_kb_challenge_on_a_401_is_not_repeated() {
    let url = serve(|s| {
        let realm = "x".repeat(100_000);
        let response = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{realm}\"\r\nContent-Length: 0\r\n\r\n"
        );
        answer(s, response.as_bytes(), Duration::ZERO);
    });
    let output = run(&url, &["--retries", "0"]);
    assert_ended(&output, 2, "the SCIM token was rejected");
}

/// A 429 asking to come back in 31 years is not waited out, not even in part: its 429 is the
/// answer, and the run ends at once (it used to wait a minute at a time, two minutes per
/// request, phase after phase).
#[test]
fn a_retry_after_of_31_years_is_not_waited_out() {
    let url = serve(|s| {
        answer(
            s,
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n",
            Duration::ZERO,
        )
    });
    let started = Instant::now();
    let output = run(&url, &["--retries", "4", "--jobs", "8"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("got 429"), "{stdout}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it waited {:?}",
        started.elapsed()
    );
}

/// A 503 that asks for more than a minute is not replayed after a minute either.
#[test]
fn a_503_asking_for_31_years_is_not_replayed() {
    let url = serve(|s| {
        answer(
            s,
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n",
            Duration::ZERO,
        )
    });
    let output = run(&url, &["--retries", "4", "--jobs", "8"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("got 503"), "{stdout}");
}
