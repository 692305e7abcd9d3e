//! Runs the bundled catalogue against the embedded mock, as `scimcheck run` does.

#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::net::SocketAddr;
use std::path::PathBuf;

use scimcheck::contract::Contract;
use scimcheck::mock::{Fault, MockConfig, MockServer};
use scimcheck::plan::PlanOptions;
use scimcheck::report::{CaseResult, Status};
use scimcheck::suite::CaseSource;
use scimcheck::{RunConfig, RunOutcome};

/// A contract shipped in `contracts/`, by its path in the repository.
pub fn contract(path: &str) -> Contract {
    Contract::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).expect("contract loads")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub fn start_mock(runtime: &tokio::runtime::Runtime, config: MockConfig) -> MockServer {
    runtime
        .block_on(MockServer::start(
            config,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock starts")
}

/// Runs every case against a fresh mock with `faults` on. Snapshots are compared only on a
/// clean mock: a fault must be caught by a conformance check, not by a changed snapshot.
pub fn run_against_mock(faults: &[Fault], plan: PlanOptions) -> RunOutcome {
    let runtime = runtime();
    let mut config = MockConfig::default();
    config.faults.extend(faults.iter().copied());
    let mock = start_mock(&runtime, config);
    run_suite(&runtime, &mock, plan, faults.is_empty())
}

pub fn run_suite(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    plan: PlanOptions,
    snapshots: bool,
) -> RunOutcome {
    run_with(runtime, mock, plan, snapshots, None)
}

/// Only the cases whose name contains `filter` (libtest's filter).
pub fn run_suite_filtered(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    filter: &str,
) -> RunOutcome {
    run_with(
        runtime,
        mock,
        PlanOptions::default(),
        false,
        Some(filter.to_owned()),
    )
}

/// Only the cases whose name contains `filter`, recording into the cleanup ledger `ledger`.
pub fn run_suite_with_ledger(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    filter: &str,
    ledger: &std::path::Path,
) -> RunOutcome {
    run_with_ledger(
        runtime,
        mock,
        PlanOptions::default(),
        false,
        Some(filter.to_owned()),
        Some(ledger.to_owned()),
    )
}

fn run_with(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    plan: PlanOptions,
    snapshots: bool,
    filter: Option<String>,
) -> RunOutcome {
    run_with_ledger(runtime, mock, plan, snapshots, filter, None)
}

fn run_with_ledger(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    plan: PlanOptions,
    snapshots: bool,
    filter: Option<String>,
    ledger: Option<PathBuf>,
) -> RunOutcome {
    run_cases(
        runtime,
        mock,
        CaseSource::Embedded,
        plan,
        snapshots,
        filter,
        ledger,
    )
}

/// Runs the cases of `cases` (a user's folders beside the catalogue, say) without snapshots.
pub fn run_with_cases(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    cases: CaseSource,
    plan: PlanOptions,
) -> RunOutcome {
    run_cases(runtime, mock, cases, plan, false, None, None)
}

fn run_cases(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    cases: CaseSource,
    plan: PlanOptions,
    snapshots: bool,
    filter: Option<String>,
    ledger: Option<PathBuf>,
) -> RunOutcome {
    let snapshot_dir =
        snapshots.then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/mock"));
    let mut config = RunConfig::for_mock(mock).cases(cases).plan(plan);
    if let Some(dir) = snapshot_dir {
        config = config.snapshots(dir);
    }
    if let Some(ledger) = ledger {
        config = config.ledger(ledger);
    }
    if let Some(filter) = filter {
        config = config.filter(filter);
    }
    let config = config.build().expect("a valid configuration");
    runtime
        .block_on(scimcheck::run(config))
        .expect("suite runs")
}

/// The cases that failed on a checked response: a case without a verdict (no answer, a step
/// error) shows no defect.
pub fn failed(results: &[CaseResult]) -> Vec<&CaseResult> {
    results
        .iter()
        .filter(|r| r.status() == Status::Failed)
        .collect()
}

/// Users on the mock whose userName starts with `prefix`, as the SCIM token sees them.
pub fn users_with_prefix(
    runtime: &tokio::runtime::Runtime,
    mock: &MockServer,
    prefix: &str,
) -> u64 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/Users", mock.base_url());
    let token = mock.credentials().scim_token.clone();
    let filter = format!("userName sw \"{prefix}\"");
    runtime.block_on(async move {
        let body: serde_json::Value = reqwest::Client::new()
            .get(url)
            .query(&[("filter", filter.as_str()), ("count", "0")])
            .bearer_auth(token)
            .send()
            .await
            .expect("list users")
            .json()
            .await
            .expect("JSON");
        body["totalResults"].as_u64().expect("totalResults")
    })
}

/// A temporary folder, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("scimcheck-{label}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A loopback server answering every connection with `respond`, on its own thread: its
/// `host:port`.
pub fn serve_raw(respond: fn(std::net::TcpStream)) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || respond(stream));
        }
    });
    format!("{address}")
}

/// The child's stdout and stderr, drained on their own threads as it runs: a full pipe would
/// stall it. Each handle yields what its pipe carried.
pub fn drain_pipes(
    child: &mut std::process::Child,
) -> (
    std::thread::JoinHandle<Vec<u8>>,
    std::thread::JoinHandle<Vec<u8>>,
) {
    use std::io::Read;
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    (drain(child.stdout.take()), drain(child.stderr.take()))
}
