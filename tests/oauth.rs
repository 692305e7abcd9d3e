//! OAuth 2.0 client credentials against the mock's token endpoint: the token fetched before the
//! run, fetched again before it expires and once after a 401 (never in a loop), a refused client
//! stopping the run with the endpoint's own words; and the token-rotation cases.

mod common;

use std::process::Command;
use std::time::Duration;

use scimcheck::exec::client::{ClientOptions, Credentials, Target};
use scimcheck::exec::oauth::{ClientAuth, OAuthSettings};
use scimcheck::mock::{Fault, MockConfig, MockOAuth, MockServer};
use scimcheck::report::CaseOutcome;
use scimcheck::{RunConfig, RunOutcome};

/// The mock's own client, as `run --mock-oauth` configures it.
fn settings(mock: &MockServer, client_auth: ClientAuth) -> OAuthSettings {
    let issued = mock.credentials();
    OAuthSettings {
        token_url: mock.oauth_token_url(),
        client_id: issued.oauth_client_id.clone(),
        client_secret: issued.oauth_client_secret.clone(),
        scope: Some("scim".to_owned()),
        audience: None,
        client_auth,
    }
}

/// The mock's other credentials, but no static SCIM token: every case's token is an access
/// token from the endpoint, or the run fails.
fn oauth_only(mock: &MockServer) -> Credentials {
    Credentials {
        scim: "not-the-scim-token".to_owned(),
        ..scimcheck::suite::mock_credentials(mock)
    }
}

fn mock_with(
    lifetime: Duration,
    latency: Option<Duration>,
) -> (tokio::runtime::Runtime, MockServer) {
    let runtime = common::runtime();
    let mock = common::start_mock(
        &runtime,
        MockConfig {
            oauth: MockOAuth {
                token_lifetime: lifetime,
                ..MockOAuth::default()
            },
            latency,
            record_requests: true,
            ..MockConfig::default()
        },
    );
    (runtime, mock)
}

fn run_oauth(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    client_auth: ClientAuth,
    filter: Option<&str>,
) -> RunOutcome {
    let mut config = RunConfig::builder(mock.base_url(), oauth_only(mock))
        .oauth(settings(mock, client_auth))
        .revoked_token(mock.credentials().revoked_token.clone());
    if let Some(filter) = filter {
        config = config.filter(filter);
    }
    runtime
        .block_on(scimcheck::run(config.build().expect("valid")))
        .expect("the run starts")
}

fn not_passed(outcome: &RunOutcome) -> Vec<String> {
    outcome
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, CaseOutcome::Passed | CaseOutcome::Skipped(_)))
        .map(|r| format!("{}: {:?}", r.id, r.outcome))
        .collect()
}

#[test]
fn the_whole_catalogue_passes_through_the_token_endpoint() {
    let (runtime, mock) = mock_with(Duration::from_secs(3600), None);
    let outcome = run_oauth(&runtime, &mock, ClientAuth::Basic, None);
    assert_eq!(not_passed(&outcome), Vec::<String>::new());
    assert_eq!(outcome.report().verdict.exit_code, 0);
    let rotation = outcome
        .results
        .iter()
        .filter(|r| r.id.starts_with("auth::token-rotation::"))
        .filter(|r| matches!(r.outcome, CaseOutcome::Passed))
        .count();
    assert_eq!(rotation, 2, "both rotation cases ran and passed");
    assert_eq!(
        mock.oauth_tokens_issued(),
        1,
        "one token serves a short run"
    );
    assert_secrets_redacted_in_the_record(&mock);
}

/// The mock's request record names the client secret and access tokens, never shows them.
fn assert_secrets_redacted_in_the_record(mock: &MockServer) {
    let record = serde_json::to_string(&mock.requests()).expect("serializable");
    let secret = &mock.credentials().oauth_client_secret;
    assert!(record.contains("/oauth/token"), "no token request recorded");
    assert!(
        record.contains("[REDACTED oauth client secret]"),
        "{record}"
    );
    assert!(record.contains("Bearer [REDACTED oauth access token]"));
    assert!(!record.contains(secret.as_str()));
    assert!(
        !record.contains("oauth-at-"),
        "an access token in the record"
    );
}

#[test]
fn a_token_is_fetched_again_before_it_expires() {
    // 100 ms a response keeps the rotation cases' seven steps, after the probes, well past the
    // token's one-second life, so the run must outlive its first token.
    let (runtime, mock) = mock_with(Duration::from_secs(1), Some(Duration::from_millis(100)));
    let outcome = run_oauth(
        &runtime,
        &mock,
        ClientAuth::Post,
        Some("auth::token-rotation"),
    );
    assert_eq!(not_passed(&outcome), Vec::<String>::new());
    assert!(
        mock.oauth_tokens_issued() >= 2,
        "issued {}",
        mock.oauth_tokens_issued()
    );
    // Fetched ahead of expiry, not after a refusal: no access token ever got a 401.
    let refused: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.status == 401)
        .filter(|r| {
            r.request_headers
                .iter()
                .any(|(n, v)| n == "authorization" && v.contains("oauth access token"))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(refused, Vec::<String>::new());
    assert_secrets_redacted_in_the_record(&mock);
}

#[test]
fn a_401_fetches_one_new_token_and_never_loops() {
    let (runtime, mock) = mock_with(Duration::from_secs(3600), None);
    let target = Target::new(
        mock.base_url(),
        oauth_only(&mock),
        &ClientOptions::default(),
    )
    .expect("target")
    .with_oauth(settings(&mock, ClientAuth::Basic), false)
    .expect("loopback token URL");
    let list = || {
        runtime.block_on(target.send(
            scimcheck::case::Method::Get,
            &target.url("/Users"),
            &[],
            &[],
            None,
            scimcheck::case::Auth::Scim,
        ))
    };
    runtime.block_on(target.authenticate()).expect("token");
    assert_eq!(list().expect("answer").response.status, 200);
    assert_eq!(mock.oauth_tokens_issued(), 1);

    mock.revoke_oauth_tokens();
    assert_eq!(list().expect("answer").response.status, 200);
    assert_eq!(mock.oauth_tokens_issued(), 2, "one new token after the 401");

    // A token fetched because of a 401 that gets 401 too is the target's answer.
    mock.revoke_oauth_tokens();
    assert_eq!(list().expect("answer").response.status, 401);
    assert_eq!(list().expect("answer").response.status, 401);
    assert_eq!(mock.oauth_tokens_issued(), 2, "no loop of token requests");
}

#[test]
fn a_refused_client_stops_the_run_with_the_endpoints_error() {
    let (_runtime, mock) = mock_with(Duration::from_secs(3600), None);
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", mock.base_url(), "--format", "terse"])
        .args(["--oauth-token-url", &mock.oauth_token_url()])
        .args(["--oauth-client-id", &mock.credentials().oauth_client_id])
        .args(["--oauth-client-secret-env", "SCIMCHECK_TEST_OAUTH_SECRET"])
        .env("SCIMCHECK_TEST_OAUTH_SECRET", "wrong-secret-0451")
        .env_remove("SCIMCHECK_TOKEN")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refused the client credentials: 401 invalid_client: unknown client or wrong client secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret-0451"), "{stderr}");
    assert_eq!(mock.request_count(), 1, "only the token request was sent");
}

#[test]
fn a_plain_http_token_url_off_loopback_is_refused_before_any_request() {
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--base-url", "http://127.0.0.1:9/scim/v2"])
        .args(["--oauth-token-url", "http://idp.example.com/oauth2/token"])
        .args(["--oauth-client-id", "scimcheck"])
        .args(["--oauth-client-secret-env", "SCIMCHECK_TEST_OAUTH_SECRET"])
        .env("SCIMCHECK_TEST_OAUTH_SECRET", "s3cret-over-http")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "refusing to send the OAuth client secret over plain http to idp.example.com"
        ),
        "{stderr}"
    );
}

#[test]
fn run_mock_oauth_runs_the_catalogue_through_the_token_endpoint() {
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["run", "--mock-oauth", "--exact", "users::create"])
        .args([
            "auth::token-rotation::users",
            "auth::token-rotation::groups",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for case in [
        "users::create",
        "auth::token-rotation::users",
        "auth::token-rotation::groups",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("test {case} ")) && l.ends_with(" ok")),
            "{case}: {stdout}"
        );
    }
}

#[test]
fn the_rotation_cases_catch_a_revoked_token_that_still_reads() {
    let runtime = common::runtime();
    let mock = common::start_mock(
        &runtime,
        MockConfig::with_faults([Fault::RevokedTokenAccepted]),
    );
    let outcome = common::run_suite_filtered(&runtime, &mock, "auth::token-rotation");
    let failed: Vec<&str> = common::failed(&outcome.results)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "auth::token-rotation::groups",
            "auth::token-rotation::users"
        ]
    );

    // Without a revoked token the cases are skipped, saying which flag would run them.
    let config = RunConfig::builder(mock.base_url(), scimcheck::suite::mock_credentials(&mock))
        .filter("auth::token-rotation")
        .build()
        .expect("valid");
    let outcome = runtime.block_on(scimcheck::run(config)).expect("runs");
    for result in &outcome.results {
        if result.id.starts_with("auth::token-rotation") {
            assert!(
                matches!(&result.outcome, CaseOutcome::Skipped(reason) if reason.contains("--revoked-token-env")),
                "{}: {:?}",
                result.id,
                result.outcome
            );
        }
    }
}

#[test]
fn a_token_rotated_through_the_admin_route_is_refused_and_the_rotation_cases_pass() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let old = mock.credentials().scim_token.clone();
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let rotate_url = mock.admin_url().replace("/faults", "/rotate-token");
    let (status, body) = runtime.block_on(async {
        let rotated = client
            .post(&rotate_url)
            .bearer_auth(&mock.credentials().admin_token)
            .send()
            .await
            .expect("answer");
        (
            rotated.status(),
            rotated.json::<serde_json::Value>().await.expect("JSON"),
        )
    });
    assert_eq!(status, 200, "{body}");
    let new = body["scimToken"]
        .as_str()
        .expect("the new token")
        .to_owned();
    assert_ne!(new, old);
    // Only the admin token rotates.
    let refused = runtime.block_on(client.post(&rotate_url).bearer_auth(&new).send());
    assert_eq!(refused.expect("answer").status(), 401);

    let config = RunConfig::builder(
        mock.base_url(),
        Credentials {
            scim: new,
            ..scimcheck::suite::mock_credentials(&mock)
        },
    )
    .revoked_token(old)
    .filter("auth::")
    .build()
    .expect("valid");
    let outcome = runtime.block_on(scimcheck::run(config)).expect("runs");
    assert_eq!(not_passed(&outcome), Vec::<String>::new());
    assert!(
        outcome
            .results
            .iter()
            .any(|r| r.id == "auth::token-rotation::users" && r.outcome == CaseOutcome::Passed)
    );
}

/// A loopback token endpoint that answers every request with `response`, as written.
fn token_endpoint(response: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}/oauth2/token")
}

/// A whole response with `status` and a JSON `body`.
fn answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_token_response_that_is_no_token_is_one_clear_error() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let cases = [
        (
            answer("200 OK", "<html>hi</html>"),
            "answered 200 with a body that is not a JSON object (RFC 6749 §5.1)",
        ),
        (
            answer("200 OK", r#"{"token_type":"Bearer"}"#),
            "answered 200 with no access_token",
        ),
        (
            answer("200 OK", r#"{"access_token":"x","token_type":"mac"}"#),
            "answered 200 with a token_type other than Bearer",
        ),
        (
            answer("500 Internal Server Error", "{}"),
            "answered 500 with no OAuth `error` member",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n{".to_owned(),
            "answer exceeds 64 KiB",
        ),
    ];
    for (response, expected) in cases {
        let mut settings = settings(&mock, ClientAuth::Basic);
        settings.token_url = token_endpoint(response);
        let config = RunConfig::builder(mock.base_url(), oauth_only(&mock))
            .oauth(settings)
            .build()
            .expect("valid");
        let error = runtime
            .block_on(scimcheck::run(config))
            .expect_err("no token, no run")
            .to_string();
        assert!(error.contains(expected), "{expected}: {error}");
    }
    assert_eq!(mock.request_count(), 0, "no SCIM request without a token");
}

#[test]
fn sweep_authenticates_through_the_token_endpoint_too() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, MockConfig::default());
    let leftover = "scimcheck-deadbeef-001-left@example.com";
    mock.seed(&scimcheck::mock::Seed {
        users: vec![serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": leftover,
        })],
        groups: Vec::new(),
    })
    .expect("seeded");
    let ledger = std::env::temp_dir().join(format!("scimcheck-ledger-{}", uuid::Uuid::new_v4()));
    let output = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args(["sweep", "--base-url", mock.base_url(), "--ledger"])
        .arg(&ledger)
        .args(["--oauth-token-url", &mock.oauth_token_url()])
        .args(["--oauth-client-id", &mock.credentials().oauth_client_id])
        .args(["--oauth-client-secret-env", "SCIMCHECK_TEST_OAUTH_SECRET"])
        .env(
            "SCIMCHECK_TEST_OAUTH_SECRET",
            &mock.credentials().oauth_client_secret,
        )
        .env_remove("SCIMCHECK_TOKEN")
        .output()
        .expect("sweep runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    assert_eq!(mock.oauth_tokens_issued(), 1);
    assert!(mock.resources().users.is_empty(), "{text}");
    for suffix in ["", ".key"] {
        let mut path = ledger.clone().into_os_string();
        path.push(suffix);
        std::fs::remove_file(path).ok();
    }
}
