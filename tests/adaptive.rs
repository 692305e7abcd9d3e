//! Adaptive concurrency against real sockets: a server that cannot keep up is found out and
//! backed off from without a failed request; one that keeps up gets more; `--concurrency`
//! holds still.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::join_all;
use scimcheck::case::{Auth, Method};
use scimcheck::exec::client::{ClientOptions, Credentials, Target};
use scimcheck::exec::limit::{ConcurrencyReport, Pushback};
use scimcheck::mock::{MockConfig, MockServer};

/// `requests` GETs sent at once through one client; every status, and where the limit ended.
async fn burst(
    config: MockConfig,
    concurrency: Option<usize>,
    requests: usize,
) -> (Vec<u16>, ConcurrencyReport) {
    let mock = MockServer::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("mock starts");
    let credentials = Credentials {
        scim: mock.credentials().scim_token.clone(),
        api_key: None,
        other_tenant: None,
    };
    let options = ClientOptions {
        concurrency,
        ..ClientOptions::default()
    };
    let target = Target::new(mock.base_url(), credentials, &options).expect("target");
    let url = target.url("/ServiceProviderConfig");
    let sends = (0..requests).map(|_| target.send(Method::Get, &url, &[], &[], None, Auth::Scim));
    let statuses = join_all(sends)
        .await
        .into_iter()
        .map(|outcome| match outcome {
            Ok(exchange) => exchange.response.status,
            Err(error) => panic!("a request failed: {error}"),
        })
        .collect();
    (statuses, target.concurrency_report())
}

/// One worker, one request per connection, a backlog of one: as a single-threaded development
/// server, where a burst overflows the backlog and the kernel drops connects.
fn single_worker() -> MockConfig {
    MockConfig {
        listen_backlog: Some(1),
        workers: Some(1),
        ..MockConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_keep_up_is_backed_off_from_without_errors() {
    let (statuses, report) = burst(single_worker(), None, 64).await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(!report.fixed);
    assert!(report.settled < report.peak, "{report}");
    assert!(
        report
            .backoffs
            .iter()
            .any(|(why, _)| matches!(why, Pushback::Stalled | Pushback::Connect)),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_up_gets_more_requests_at_once() {
    // 50 ms per response dwarfs the client's own overhead, so only queueing could slow it.
    let config = MockConfig {
        latency: Some(Duration::from_millis(50)),
        ..MockConfig::default()
    };
    let (statuses, report) = burst(config, None, 200).await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    // Nothing was refused or dropped; latency growth may still show a busy test machine.
    assert!(
        report
            .backoffs
            .iter()
            .all(|(why, _)| *why == Pushback::Latency),
        "{report}"
    );
    assert!(report.peak > 8, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_server_is_backed_off_from_on_429() {
    let config = MockConfig {
        rate_limit: Some(10),
        ..MockConfig::default()
    };
    let (statuses, report) = burst(config, None, 30).await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(
        report
            .backoffs
            .iter()
            .any(|(why, _)| *why == Pushback::TooManyRequests),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_concurrency_holds_against_any_server() {
    let (statuses, report) = burst(single_worker(), Some(4), 16).await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(report.to_string(), "concurrency fixed at 4 (--concurrency)");
}
