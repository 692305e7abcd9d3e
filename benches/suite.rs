//! Wall time of the whole catalogue against the embedded mock, shaped as different targets, with
//! the default (adaptive) concurrency beside fixed ones. Run with `cargo bench --bench suite`.
//!
//! With latency, wall time is bounded below by the longest dependent request chain of one
//! case (`longest chain × latency`); the figure printed beside it shows how close we get.

use std::net::SocketAddr;
use std::time::Duration;

use scimcheck::exec::client::ClientOptions;
use scimcheck::mock::{MockConfig, MockServer};
use scimcheck::plan::PlanOptions;
use scimcheck::suite::{self, CaseSource, SuiteConfig, SuiteOutcome};

fn run_once(
    runtime: &tokio::runtime::Runtime,
    mock: MockConfig,
    concurrency: Option<usize>,
) -> SuiteOutcome {
    let mock = runtime
        .block_on(MockServer::start(
            mock,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock starts");
    let config = SuiteConfig {
        base_url: mock.base_url().to_owned(),
        credentials: suite::mock_credentials(&mock),
        cases: CaseSource::Embedded,
        snapshot_dir: None,
        ledger: None,
        client: ClientOptions {
            concurrency,
            ..ClientOptions::default()
        },
        plan: PlanOptions::default(),
        libtest: libtest_mimic::Arguments {
            quiet: true,
            ..Default::default()
        },
        interrupted: Default::default(),
        profile: Default::default(),
    };
    suite::run(config, runtime).expect("suite runs")
}

/// The targets, as the mock plays them.
fn targets() -> Vec<(&'static str, MockConfig)> {
    vec![
        ("mock", MockConfig::default()),
        (
            "mock, 50 ms latency",
            MockConfig {
                latency: Some(Duration::from_millis(50)),
                ..MockConfig::default()
            },
        ),
        (
            "mock, listen backlog 5, single worker",
            MockConfig {
                listen_backlog: Some(5),
                workers: Some(1),
                ..MockConfig::default()
            },
        ),
        (
            "mock, 429 beyond 300 requests/s",
            MockConfig {
                rate_limit: Some(300),
                ..MockConfig::default()
            },
        ),
    ]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    const RUNS: usize = 3;
    for (label, mock) in targets() {
        println!("{label}:");
        for concurrency in [None, Some(4), Some(64)] {
            let mut walls = Vec::new();
            let mut last = None;
            for _ in 0..RUNS {
                let outcome = run_once(&runtime, mock.clone(), concurrency);
                walls.push(outcome.wall);
                last = Some(outcome);
            }
            walls.sort();
            let Some(outcome) = last else { return };
            let requests: u32 = outcome.results.iter().map(|r| r.requests).sum();
            let chain = outcome.results.iter().map(|r| r.chain).max().unwrap_or(0);
            let median = walls[RUNS / 2];
            let setting = concurrency.map_or("default (adaptive)".to_owned(), |n| {
                format!("--concurrency {n}")
            });
            print!(
                "  {setting:<20} wall median {:.3}s (min {:.3}s, max {:.3}s) over {RUNS} runs; \
                 {} cases, {requests} requests",
                median.as_secs_f64(),
                walls[0].as_secs_f64(),
                walls[RUNS - 1].as_secs_f64(),
                outcome.results.len(),
            );
            if let Some(latency) = mock.latency {
                let bound = latency * chain;
                print!(
                    "; longest chain {chain} → bound {:.3}s, ratio {:.2}",
                    bound.as_secs_f64(),
                    median.as_secs_f64() / bound.as_secs_f64()
                );
            }
            if outcome.conclusion.has_failed() {
                print!("; FAILED {} case(s)", outcome.conclusion.num_failed);
            }
            println!("\n    {}", outcome.concurrency);
        }
    }
}
