//! Targets that are not SCIM servers, or not servers at all: each gets a clear message and the
//! right exit code — never a panic, never a hang.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

/// A loopback server answering every connection with `respond`, on its own thread.
fn serve(respond: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || respond(stream));
        }
    });
    format!("{address}")
}

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
fn a_server_that_never_answers_times_out_as_a_configuration_error() {
    let address = serve(|s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    let started = std::time::Instant::now();
    let output = run(&format!("http://{address}/scim/v2"));
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the timeout was not applied"
    );
}

#[test]
fn a_server_that_resets_connections_is_a_configuration_error() {
    let address = serve(drop);
    let output = run(&format!("http://{address}/scim/v2"));
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
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
    assert_eq!(output.status.code(), Some(2), "{stderr}");
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
