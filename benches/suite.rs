//! Wall time of the whole catalogue against the embedded mock, without and with simulated
//! network latency. Run with `cargo bench --bench suite`.
//!
//! With latency, wall time is bounded below by the longest dependent request chain of one
//! case (`longest chain × latency`); the figure printed beside it shows how close we get.

use std::net::SocketAddr;
use std::time::Duration;

use scimcheck::mock::{MockConfig, MockServer};
use scimcheck::{RunConfig, RunOutcome};

fn run_once(runtime: &tokio::runtime::Runtime, latency: Option<Duration>) -> RunOutcome {
    let config = MockConfig {
        latency,
        ..MockConfig::default()
    };
    let mock = runtime
        .block_on(MockServer::start(
            config,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock starts");
    let config = RunConfig::for_mock(&mock)
        .build()
        .expect("a valid configuration");
    let outcome = runtime
        .block_on(scimcheck::run(config))
        .expect("suite runs");
    assert_eq!(
        outcome.report().verdict.exit_code,
        0,
        "the suite failed against the clean mock"
    );
    outcome
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    const RUNS: usize = 5;
    for latency in [None, Some(Duration::from_millis(50))] {
        let mut walls = Vec::new();
        let mut last = None;
        for _ in 0..RUNS {
            let outcome = run_once(&runtime, latency);
            walls.push(outcome.facts.wall);
            last = Some(outcome);
        }
        walls.sort();
        let Some(outcome) = last else { return };
        let requests: u32 = outcome.results.iter().map(|r| r.requests).sum();
        let chain = outcome.results.iter().map(|r| r.chain).max().unwrap_or(0);
        let label = latency.map_or("no latency".to_owned(), |l| {
            format!("latency {} ms", l.as_millis())
        });
        print!(
            "suite against the embedded mock ({label}): {} cases, {requests} requests; wall median {:.3}s (min {:.3}s, max {:.3}s) over {RUNS} runs",
            outcome.results.len(),
            walls[RUNS / 2].as_secs_f64(),
            walls[0].as_secs_f64(),
            walls[RUNS - 1].as_secs_f64()
        );
        match latency {
            Some(l) => {
                let bound = l * chain;
                println!(
                    "; longest chain {chain} requests → bound {:.3}s, ratio {:.2}",
                    bound.as_secs_f64(),
                    walls[RUNS / 2].as_secs_f64() / bound.as_secs_f64()
                );
            }
            None => println!(),
        }
    }
}
