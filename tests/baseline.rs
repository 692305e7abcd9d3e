//! `run --baseline` and `[[accept]]` as CI meets them: a new finding fails the build, one
//! already in the baseline or accepted does not, and an acceptance past its date fails again.

mod common;

use common::Scratch;

use std::path::Path;
use std::process::{Command, Output};

/// The cases `error-status-number` breaks: a handful, so each run is quick.
const CASES: &str = "auth::api-key";

/// `scimcheck run` against the mock (with `fault`, if any) in `dir`, where no scimcheck.toml or
/// snapshot folder is picked up unasked.
fn run(dir: &Path, fault: Option<&str>, extra: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    command
        .current_dir(dir)
        .env_remove("SCIMCHECK_TOKEN")
        .env("NO_COLOR", "1")
        .args(["run", CASES, "--format", "terse"]);
    if let Some(fault) = fault {
        command.args(["--mock-fault", fault]);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.args(extra).output().expect("runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (status.code(), text)
}

fn finding_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the JSON result");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn a_new_finding_fails_against_the_baseline_an_accepted_one_passes_until_it_expires() {
    let scratch = Scratch::new("baseline");
    let clean = scratch.path("clean.json");
    let (code, out) = run(&scratch.0, None, &["--write-baseline", path(&clean)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(finding_ids(&clean).is_empty(), "{out}");

    // The same clean target against its own baseline: nothing got worse.
    let (code, out) = run(&scratch.0, None, &["--baseline", path(&clean)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("PASSED: no regression since the baseline"),
        "{out}"
    );

    // A regression: the new finding and the cases that passed before are named.
    let faulty = scratch.path("faulty.json");
    let (code, out) = run(
        &scratch.0,
        Some("error-status-number"),
        &["--baseline", path(&clean), "--json", path(&faulty)],
    );
    assert_eq!(code, Some(1), "{out}");
    let ids = finding_ids(&faulty);
    assert_eq!(ids.len(), 1, "{out}");
    let id = &ids[0];
    assert!(
        out.contains(&format!(
            "1 new finding(s) since the baseline at or above --fail-on any (1 MUST broken): {id}"
        )),
        "{out}"
    );
    assert!(
        out.contains("case(s) passed in the baseline and fail now: auth::api-key"),
        "{out}"
    );

    // Accepted in scimcheck.toml: passes, and says so with the reason.
    let config = scratch.path("scimcheck.toml");
    let accept = |expires: &str| {
        let text = format!(
            "[[accept]]\nfinding = \"{id}\"\nreason = \"status strings ship in v5\"\nexpires = {expires}\n"
        );
        std::fs::write(&config, text).expect("write the config");
    };
    accept("2999-01-01");
    let (code, out) = run(
        &scratch.0,
        Some("error-status-number"),
        &["--baseline", path(&clean)],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "{id} accepted in scimcheck.toml (status strings ship in v5; expires 2999-01-01)"
        )),
        "{out}"
    );

    // Past its date it fails again, with or without a baseline.
    accept("2001-01-01");
    for extra in [&["--baseline", path(&clean)][..], &[]] {
        let (code, out) = run(&scratch.0, Some("error-status-number"), extra);
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains(&format!(
                "FAILED: {id} was accepted until 2001-01-01 (status strings ship in v5); the acceptance has expired"
            )),
            "{out}"
        );
    }
    std::fs::remove_file(&config).expect("remove the config");

    // The fix, judged against the faulty baseline: an improvement, not a failure.
    let (code, out) = run(&scratch.0, None, &["--baseline", path(&faulty)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("finding(s) gone ({id})")), "{out}");
}

#[test]
fn a_baseline_that_cannot_be_read_is_a_configuration_error_before_any_request() {
    let scratch = Scratch::new("baseline");
    let bad = scratch.path("bad.json");
    std::fs::write(&bad, "{\"tool\": \"scimcheck\"}").expect("write");
    for baseline in [bad, scratch.path("missing.json")] {
        let (code, out) = run(&scratch.0, None, &["--baseline", path(&baseline)]);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains(&baseline.display().to_string()), "{out}");
        assert!(!out.contains("test result"), "nothing ran: {out}");
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}
