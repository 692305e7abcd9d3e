//! Wall time of the whole catalogue against the embedded mock, shaped as different targets, with
//! the default (adaptive) concurrency beside fixed ones. Run with `cargo bench --bench suite`;
//! a row's name as an argument (`cargo bench --bench suite -- backlog`) runs only the rows
//! whose label contains it.
//!
//! Wall time is the whole `scimcheck::run`: the requests before the cases included. With latency it
//! is bounded below by the round trips before the cases plus the longest dependent request chain
//! of one case, its teardown included; the ratio printed beside it shows how close we get.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use scimcheck::exec::client::ClientOptions;
use scimcheck::mock::{MockConfig, MockServer, Seed};
use scimcheck::{RunConfig, RunOutcome};

const RUNS: usize = 3;
/// Round trips `scimcheck::run` makes before the first case: the scoping probe that proves the
/// token, then discovery beside the PUT probe and the filter probes.
const PRE_CASE_ROUND_TRIPS: u32 = 2;
/// Users in the big tenant.
const BIG_TENANT: usize = 100_000;

/// One run against a started mock; its wall time and the requests the mock saw.
struct Run {
    outcome: RunOutcome,
    wall: Duration,
    requests: u64,
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    concurrency: Option<usize>,
) -> Run {
    let config = RunConfig::for_mock(mock)
        .client(ClientOptions {
            concurrency,
            ..ClientOptions::default()
        })
        .build()
        .expect("a valid configuration");
    let before = mock.request_count();
    let started = Instant::now();
    let outcome = runtime
        .block_on(scimcheck::run(config))
        .expect("suite runs");
    Run {
        wall: started.elapsed(),
        requests: mock.request_count() - before,
        outcome,
    }
}

/// `RUNS` runs; the median's run, and the min and max wall times.
fn measure(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    concurrency: Option<usize>,
) -> (Run, Duration, Duration) {
    let mut runs: Vec<Run> = (0..RUNS)
        .map(|_| run_once(runtime, mock, concurrency))
        .collect();
    runs.sort_by_key(|r| r.wall);
    let (min, max) = (runs[0].wall, runs[RUNS - 1].wall);
    (runs.swap_remove(RUNS / 2), min, max)
}

fn setting(concurrency: Option<usize>) -> String {
    concurrency.map_or("default (adaptive)".to_owned(), |n| {
        format!("--concurrency {n}")
    })
}

fn line(concurrency: Option<usize>, (run, min, max): &(Run, Duration, Duration)) {
    print!(
        "  {:<20} wall median {:.3}s (min {:.3}s, max {:.3}s) over {RUNS} runs; {} requests",
        setting(concurrency),
        run.wall.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64(),
        run.requests,
    );
    let verdict = run.outcome.report().verdict;
    if verdict.exit_code != 0 {
        print!("; FAILED: {}", verdict.headline);
    }
    println!("\n    {}", run.outcome.facts.concurrency);
}

fn start(runtime: &tokio::runtime::Runtime, config: MockConfig) -> MockServer {
    runtime
        .block_on(MockServer::start(
            config,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock starts")
}

/// Loads `users` Users through the mock's seed API: each is created as its `POST` would be
/// (same validation, same indexes), without 100,000 round trips before the run.
fn seed(mock: &MockServer, users: usize) {
    let users = (0..users)
        .map(|i| {
            let name = format!("tenant-{i:06}@example.com");
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name,
                "name": {"givenName": format!("G{i}"), "familyName": format!("F{i}")},
                "emails": [{"value": name, "primary": true}],
                "active": true,
            })
        })
        .collect();
    mock.seed(&Seed {
        users,
        groups: Vec::new(),
    })
    .expect("the seed loads");
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |label: &str| only.is_empty() || only.iter().any(|o| label.contains(o.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let mut plain_wall = None;
    if wanted("mock") {
        println!("mock:");
        let mock = start(&runtime, MockConfig::default());
        let default = measure(&runtime, &mock, None);
        line(None, &default);
        let fixed = measure(&runtime, &mock, Some(64));
        line(Some(64), &fixed);
        println!(
            "  default / --concurrency 64: {:.2}",
            default.0.wall.as_secs_f64() / fixed.0.wall.as_secs_f64()
        );
        requests_by_area(&default.0);
        plain_wall = Some(default.0.wall);
    }

    if wanted("latency") {
        println!("mock, 50 ms latency:");
        let latency = Duration::from_millis(50);
        let mock = start(
            &runtime,
            MockConfig {
                latency: Some(latency),
                ..MockConfig::default()
            },
        );
        let default = measure(&runtime, &mock, None);
        line(None, &default);
        let run = &default.0;
        if let Some(longest) = run.outcome.results.iter().max_by_key(|r| r.chain) {
            let bound = latency * (PRE_CASE_ROUND_TRIPS + longest.chain);
            println!(
                "  bound: {PRE_CASE_ROUND_TRIPS} round trips before the cases + {} ({} round \
                 trips, teardown included) = {:.3}s; wall / bound {:.2}",
                longest.id,
                longest.chain,
                bound.as_secs_f64(),
                run.wall.as_secs_f64() / bound.as_secs_f64()
            );
        }
    }

    if wanted("backlog") {
        println!("mock, listen backlog 5, single worker:");
        let mock = start(
            &runtime,
            MockConfig {
                listen_backlog: Some(5),
                workers: Some(1),
                ..MockConfig::default()
            },
        );
        let default = measure(&runtime, &mock, None);
        line(None, &default);
        let mut best: Option<(usize, Duration)> = None;
        for fixed in [1, 2, 4, 8] {
            let measured = measure(&runtime, &mock, Some(fixed));
            line(Some(fixed), &measured);
            if best.is_none_or(|(_, wall)| measured.0.wall < wall) {
                best = Some((fixed, measured.0.wall));
            }
        }
        if let Some((fixed, wall)) = best {
            println!(
                "  default / best fixed (--concurrency {fixed}): {:.2}",
                default.0.wall.as_secs_f64() / wall.as_secs_f64()
            );
        }
    }

    if wanted("rate") {
        println!("mock, 429 beyond 300 requests/s:");
        let mock = start(
            &runtime,
            MockConfig {
                rate_limit: Some(300),
                ..MockConfig::default()
            },
        );
        line(None, &measure(&runtime, &mock, None));
        line(Some(4), &measure(&runtime, &mock, Some(4)));
    }

    if wanted("tenant") {
        // Beside the empty tenant of the same invocation, so both run under the same load.
        let empty = plain_wall.unwrap_or_else(|| {
            let mock = start(&runtime, MockConfig::default());
            let empty = measure(&runtime, &mock, None);
            println!("mock, empty tenant:");
            line(None, &empty);
            empty.0.wall
        });
        println!("mock seeded with {BIG_TENANT} users:");
        let mock = start(&runtime, MockConfig::default());
        let seeding = Instant::now();
        seed(&mock, BIG_TENANT);
        println!(
            "  seeded through the seed API (MockServer::seed) in {:.1}s",
            seeding.elapsed().as_secs_f64()
        );
        let big = measure(&runtime, &mock, None);
        line(None, &big);
        println!(
            "  / empty tenant: {:.2}",
            big.0.wall.as_secs_f64() / empty.as_secs_f64()
        );
        slowest(&big.0);
    }
}

/// Requests per area, and the cases that send the most.
fn requests_by_area(run: &Run) {
    let mut areas: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for result in &run.outcome.results {
        let entry = areas.entry(result.area.as_str()).or_default();
        entry.0 += 1;
        entry.1 += result.requests;
    }
    let in_cases: u32 = areas.values().map(|(_, requests)| requests).sum();
    println!(
        "  requests: {} in all: {in_cases} in the steps of {} cases, {} in discovery, probes \
         and teardown",
        run.requests,
        run.outcome.results.len(),
        run.requests - u64::from(in_cases),
    );
    for (area, (cases, requests)) in &areas {
        println!("    {area:<22} {requests:>5} requests in {cases:>3} cases");
    }
    let mut heaviest: Vec<_> = run.outcome.results.iter().collect();
    heaviest.sort_by_key(|r| std::cmp::Reverse(r.requests));
    let top: Vec<String> = heaviest
        .iter()
        .take(8)
        .map(|r| format!("{} {}", r.id, r.requests))
        .collect();
    println!("    most requests: {}", top.join(", "));
}

/// The cases that took longest: on a big tenant, the ones that walk it.
fn slowest(run: &Run) {
    let mut slow: Vec<_> = run.outcome.results.iter().collect();
    slow.sort_by_key(|r| std::cmp::Reverse(r.duration));
    let top: Vec<String> = slow
        .iter()
        .take(8)
        .map(|r| format!("{} {:.3}s", r.id, r.duration.as_secs_f64()))
        .collect();
    println!("    slowest cases: {}", top.join(", "));
}
