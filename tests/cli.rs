//! The command line as a user meets it: exit codes, one-line configuration errors, and case
//! files pointed at by file:line:column.

mod common;

use std::process::Command;

fn scimcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimcheck"));
    command.env_remove("SCIMCHECK_TOKEN").env("NO_COLOR", "1");
    command
}

#[test]
fn the_suite_passes_against_the_embedded_mock() {
    let output = scimcheck()
        .args(["run", "--format", "terse"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("test result: ok"), "{stdout}");
    assert!(stdout.contains("scimcheck summary"), "{stdout}");
}

#[test]
fn a_fault_in_the_mock_fails_the_run_with_exit_code_1() {
    let output = scimcheck()
        .args([
            "run",
            "--mock-fault",
            "accept-any-token",
            "auth::wrong-token",
            "--exact",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("auth::wrong-token"), "{stdout}");
    assert!(stdout.contains("status: expected 401, got 200"), "{stdout}");
}

#[test]
fn an_unreachable_target_is_no_verdict_in_one_line() {
    let output = scimcheck()
        .args([
            "run",
            "--base-url",
            "http://127.0.0.1:9/scim/v2",
            "--retries",
            "0",
            "--timeout",
            "5",
        ])
        .env("SCIMCHECK_TOKEN", "t0ken-for-a-closed-port")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("error: the target is unreachable"),
        "{stderr}"
    );
    assert!(stderr.contains("could not connect"), "{stderr}");
    assert!(!stderr.contains("t0ken-for-a-closed-port"));
}

#[test]
fn a_missing_token_is_a_configuration_error() {
    let output = scimcheck()
        .args(["run", "--base-url", "http://127.0.0.1:9/scim/v2"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no SCIM token: set SCIMCHECK_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn a_bad_case_file_stops_the_run_before_anything_runs() {
    let dir = std::env::temp_dir().join(format!("scimcheck-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("users")).unwrap();
    std::fs::write(
        dir.join("users/bad.yaml"),
        "name: bad\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: MUST\nsteps:\n  - name: s\n    request: { method: GET, path: /Users }\n    expect: { status: 200, shcema: user }\n",
    )
    .unwrap();
    let output = scimcheck()
        .args(["run", "--cases"])
        .arg(&dir)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("users/bad.yaml:8:"), "{stderr}");
    assert!(stderr.contains("unknown field `shcema`"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("running"),
        "nothing ran"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn list_shows_every_case_with_its_title_under_a_header() {
    let output = scimcheck().arg("list").output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["ID", "LEVEL", "AREA", "TAGS", "TITLE"]);
    let delete = lines
        .find(|line| line.starts_with("users::delete "))
        .unwrap_or_else(|| panic!("users::delete listed: {stdout}"));
    assert!(
        delete.contains(" MUST ") && delete.ends_with("DELETE removes the user for good"),
        "{delete}"
    );
}

#[test]
fn a_config_file_names_the_target_overrides_capabilities_and_skips_cases() {
    let runtime = common::runtime();
    let mock = common::start_mock(&runtime, scimcheck::mock::MockConfig::default());
    let dir = std::env::temp_dir().join(format!("scimcheck-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scimcheck.toml"),
        format!(
            "base-url = \"{}\"\ntoken-env = \"ACME_TOKEN\"\n\n[capabilities]\npatch = false\n\n[skip]\n\"users::create\" = \"covered by the vendor's own tests\"\n",
            mock.base_url()
        ),
    )
    .unwrap();
    let output = scimcheck()
        .current_dir(&dir)
        .args(["run", "--json", "results.json"])
        .env("ACME_TOKEN", &mock.credentials().scim_token)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let case = |id: &str| {
        results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in the results"))
    };
    assert_eq!(case("users::create")["status"], "skipped");
    assert_eq!(
        case("users::create")["detail"],
        "skipped by configuration: covered by the vendor's own tests"
    );
    assert_eq!(case("users::patch-replace")["status"], "skipped");
    assert!(
        !results["capabilities"]
            .as_array()
            .unwrap()
            .contains(&"patch".into())
    );
    assert_eq!(case("users::delete")["status"], "passed");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_compat_profile_turns_a_numeric_error_status_into_a_warning() {
    let run = |profile: &str| {
        scimcheck()
            .args([
                "run",
                "--mock-fault",
                "error-status-number",
                "--profile",
                profile,
            ])
            .args(["users::get-unknown", "--exact"])
            .output()
            .expect("runs")
    };
    let strict = run("strict");
    let stdout = String::from_utf8_lossy(&strict.stdout);
    assert_eq!(strict.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("status is the number 404"), "{stdout}");
    let compat = run("compat");
    let stdout = String::from_utf8_lossy(&compat.stdout);
    assert_eq!(compat.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("tolerated by --profile compat"), "{stdout}");
}

#[test]
fn serve_accepts_a_fixed_token_from_the_environment_without_printing_it() {
    let mut child = scimcheck()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token-env",
            "MY_CLIENT_TOKEN",
        ])
        .env("MY_CLIENT_TOKEN", "fixed-t0ken-for-my-client")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(
        child.stdout.take().expect("stdout"),
    ));
    let mut printed = Vec::new();
    let base_url = loop {
        let line = lines.next().expect("a line").expect("text");
        printed.push(line.clone());
        if let Some(url) = line.strip_prefix("SCIM base URL:") {
            break url.trim().to_owned();
        }
    };
    printed.push(lines.next().expect("a line").expect("text"));
    assert!(
        printed.iter().any(|l| l.contains("(from MY_CLIENT_TOKEN)")),
        "{printed:?}"
    );
    assert!(
        !printed.iter().any(|l| l.contains("fixed-t0ken")),
        "{printed:?}"
    );
    let runtime = common::runtime();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let status = |token: &'static str| {
        let request = reqwest::Client::new()
            .get(format!("{base_url}/Users"))
            .bearer_auth(token);
        runtime.block_on(async { request.send().await.expect("request").status().as_u16() })
    };
    assert_eq!(status("fixed-t0ken-for-my-client"), 200);
    assert_eq!(status("some-other-token"), 401);
    child.kill().ok();
    child.wait().ok();
}

/// A refused flag: exit code 2 and one line saying why, never a panic or a hang.
fn assert_refused(args: &[&str], expected: &str) {
    let output = scimcheck()
        .args(args)
        .env("SCIMCHECK_TOKEN", "flag-t0ken")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
fn flags_out_of_range_are_refused_before_anything_runs() {
    let target = ["run", "--base-url", "http://127.0.0.1:9/scim/v2"];
    let cases: [(&[&str], &str); 13] = [
        (
            &["--rate", "1e-20"],
            "rate 0.00000000000000000001 is out of range",
        ),
        (&["--rate", "NaN"], "rate NaN is out of range"),
        (&["--rate", "inf"], "rate inf is out of range"),
        (&["--rate=-5"], "rate -5 is out of range"),
        (&["--timeout", "0"], "timeout 0s is out of range"),
        (
            &["--timeout", "18446744073709551615"],
            "timeout 18446744073709552000s is out of range",
        ),
        (
            &["--retries", "4000000000"],
            "retries 4000000000 is out of range",
        ),
        (&["--concurrency", "0"], "concurrency 0 is out of range"),
        (&["--max-body", "0"], "max-body 0 bytes is out of range"),
        (&["--max-body", "eight"], "is not a size like 8MiB"),
        (
            &["--max-body", "2GiB"],
            "max-body 2 GiB is out of range (allowed: 1 KiB..=1 GiB)",
        ),
        (&["--jobs", "0"], "0 is not in 1..=1024"),
        (
            &["--test-threads", "100000000"],
            "100000000 is not in 1..=1024",
        ),
    ];
    for (flags, expected) in cases {
        assert_refused(&[&target[..], flags].concat(), expected);
    }
    // The embedded mock's run checks its options too.
    assert_refused(
        &["run", "--rate", "1e-20"],
        "rate 0.00000000000000000001 is out of range",
    );
    assert_refused(&["serve", "--latency", "1000s"], "is longer than 60s");
    assert_refused(
        &["serve", "--latency", "1.5 parsecs"],
        "`1.5 parsecs`: unknown unit `parsecs` (use ms, s or m)",
    );
    assert_refused(
        &["serve", "--latency", "99999999999999999999s"],
        "is not a duration",
    );
    assert_refused(&["serve", "--rate-limit", "0"], "0 is not in 1..");
}

#[test]
fn options_from_scimcheck_toml_are_checked_like_flags() {
    let dir = std::env::temp_dir().join(format!("scimcheck-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scimcheck.toml"),
        "rate = 1e-20\nconcurrency = 0\n",
    )
    .unwrap();
    let output = scimcheck()
        .current_dir(&dir)
        .args(["run", "--base-url", "http://127.0.0.1:9/scim/v2"])
        .env("SCIMCHECK_TOKEN", "flag-t0ken")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("concurrency 0 is out of range"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

/// Runs `args` with stdout closed before the first write, as `| head -0` would.
fn with_stdout_closed(args: &[&str]) -> std::process::Output {
    let mut child = scimcheck()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("ends")
}

#[test]
fn a_closed_stdout_ends_a_listing_quietly() {
    for args in [&["list"][..], &["serve", "--list-faults"], &["case-schema"]] {
        let output = with_stdout_closed(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn a_closed_stdout_ends_a_run_quietly_but_not_as_a_success() {
    let output = with_stdout_closed(&["run", "users::create", "--exact"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_as_a_token_or_certificate_file_is_refused_without_hanging() {
    let dir = std::env::temp_dir().join(format!("scimcheck-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("token");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    let target = ["run", "--base-url", "http://127.0.0.1:9/scim/v2"];
    assert_refused(
        &[&target[..], &["--token-file", fifo]].concat(),
        "is not a regular file (a FIFO)",
    );
    assert_refused(
        &[&target[..], &["--token-file", "/dev/zero"]].concat(),
        "is not a regular file (a device)",
    );
    assert_refused(
        &[&target[..], &["--ca-cert", "/dev/zero"]].concat(),
        "/dev/zero is not a regular file (a device)",
    );
    assert_refused(&["run", "--config", fifo], "is not a regular file (a FIFO)");
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.join("cases/pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let cases = dir.join("cases");
    assert_refused(
        &["list", "--cases", cases.to_str().unwrap()],
        "pipe.yaml is not a regular file (a FIFO)",
    );
    let big = dir.join("big-token");
    std::fs::write(&big, "x".repeat(65 * 1024)).unwrap();
    assert_refused(
        &[&target[..], &["--token-file", big.to_str().unwrap()]].concat(),
        "is larger than 64 KiB",
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_token_pasted_as_a_variable_name_is_not_repeated() {
    let output = scimcheck()
        .args([
            "run",
            "--base-url",
            "http://127.0.0.1:9/scim/v2",
            "--token-env",
            "eyJhbGciOi.pasted-t0ken",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no SCIM token"), "{stderr}");
    assert!(!stderr.contains("pasted-t0ken"), "{stderr}");
}

/// `--help` as a person reads it: headings, only flags that mean something here, examples.
/// Rendered at a fixed width so that the snapshot does not depend on the terminal.
#[test]
fn help_has_headings_examples_and_no_libtest_flags() {
    use clap::CommandFactory;
    let mut command = scimcheck::cli::Cli::command().term_width(100);
    command.build();
    let mut help = |name: &str| {
        command
            .find_subcommand_mut(name)
            .expect("subcommand")
            .render_long_help()
            .to_string()
    };
    let run = help("run");
    for flag in [
        "--bench",
        "--test ",
        "--nocapture",
        "-Z",
        "--ignored",
        "--logfile",
        "--list",
    ] {
        assert!(!run.contains(flag), "{flag} in\n{run}");
    }
    insta::assert_snapshot!("run_help", run);
    insta::assert_snapshot!("list_help", help("list"));
}

/// The ids `list --format json` prints for these selectors.
fn listed(selectors: &[&str]) -> Vec<serde_json::Value> {
    let output = scimcheck()
        .arg("list")
        .args(selectors)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("list JSON");
    value.as_array().expect("an array").clone()
}

fn ids(cases: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = cases
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn selection_by_name_tag_level_and_area_runs_exactly_those_cases() {
    let all = listed(&[]);
    assert!(all.len() > 100, "{}", all.len());
    let has = |case: &serde_json::Value, key: &str, value: &str| match &case[key] {
        serde_json::Value::Array(values) => values.iter().any(|v| v == value),
        other => other == value,
    };
    type Rule = fn(&serde_json::Value, &dyn Fn(&serde_json::Value, &str, &str) -> bool) -> bool;
    // The selectors, the cases they must select, and how the reports state them.
    let table: [(&[&str], Rule, &str); 5] = [
        (
            &["--tag", "soft-delete"],
            |c, has| has(c, "tags", "soft-delete"),
            "tag `soft-delete`",
        ),
        (
            &["--level", "should", "--level", "may"],
            |c, has| has(c, "level", "SHOULD") || has(c, "level", "MAY"),
            "level `SHOULD` or `MAY`",
        ),
        (
            &["--area", "paging", "--level", "MUST"],
            |c, has| has(c, "area", "paging") && has(c, "level", "MUST"),
            "level `MUST`; area `paging`",
        ),
        (
            &["--area", "idp", "--tag", "okta", "--skip", "import"],
            |c, has| {
                has(c, "area", "idp")
                    && has(c, "tags", "okta")
                    && !c["id"].as_str().unwrap_or_default().contains("import")
            },
            "--skip names containing `import`; tag `okta`; area `idp`",
        ),
        (
            &["users::create", "groups::create", "--exact"],
            |c, _| c["id"] == "users::create" || c["id"] == "groups::create",
            "names named `users::create` or `groups::create`",
        ),
    ];
    let dir = std::env::temp_dir().join(format!("scimcheck-select-{}", uuid::Uuid::new_v4()));
    for (selectors, rule, stated) in table {
        let expected = ids(&all
            .iter()
            .filter(|c| rule(c, &has))
            .cloned()
            .collect::<Vec<_>>());
        assert!(
            !expected.is_empty() && expected.len() < all.len(),
            "{selectors:?}: {expected:?}"
        );
        assert_eq!(ids(&listed(selectors)), expected, "list {selectors:?}");
        let json = dir.join("results.json");
        let output = scimcheck()
            .arg("run")
            .args(selectors)
            .args(["--format", "terse", "--json"])
            .arg(&json)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{selectors:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("results")).unwrap();
        let ran = ids(results["cases"].as_array().expect("cases"));
        assert_eq!(ran, expected, "run {selectors:?}");
        let selection = &results["selection"];
        assert_eq!(selection["selected"], expected.len(), "{selection}");
        assert_eq!(
            selection["not_selected"].as_array().map(Vec::len),
            Some(all.len() - expected.len())
        );
        let description = selection["description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(&format!(
                "{} of {} cases selected; {stated}; ",
                expected.len(),
                all.len()
            )),
            "{description}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unknown_case_ids_tags_levels_and_areas_are_errors_with_a_suggestion() {
    assert_refused(
        &["run", "users::creat", "--exact"],
        "unknown case `users::creat` in the names given with --exact; did you mean `users::create`?",
    );
    assert_refused(
        &["run", "--exact", "--skip", "users::creat"],
        "did you mean `users::create`?",
    );
    assert_refused(
        &["run", "usres::"],
        "no case name contains `usres::`; did you mean `users::`?",
    );
    assert_refused(
        &["list", "--tag", "sof-delete"],
        "unknown tag `sof-delete` for --tag; did you mean `soft-delete`?",
    );
    assert_refused(
        &["run", "--area", "pagin"],
        "unknown area `pagin` for --area; did you mean `paging`?",
    );
    assert_refused(
        &["list", "--level", "must-not"],
        "unknown level `must-not` (known: must, should, may, idp)",
    );
    let dir = std::env::temp_dir().join(format!("scimcheck-skip-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // Named by the file it is in, which need not be scimcheck.toml.
    let config = dir.join("ci-acme.toml");
    std::fs::write(
        &config,
        "[skip]\n\"users::enterprise-extension\" = \"no plan\"\n\"users::crate\" = \"typo\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    assert_refused(
        &["run", "--config", config],
        &format!(
            "unknown case `users::crate` in [skip] in {config}; did you mean `users::create`?"
        ),
    );
    std::fs::remove_dir_all(dir).ok();
}

/// An error and its cause, each said once: a cause written into its error's message is not
/// chained after it again.
#[test]
fn error_chains_say_each_cause_once() {
    let missing = std::env::temp_dir().join(format!("scimcheck-missing-{}", uuid::Uuid::new_v4()));
    let missing = missing.to_str().unwrap();
    let closed = ["--base-url", "http://127.0.0.1:9/scim/v2", "--retries", "0"];
    // A closed port is no verdict (3); the rest are configuration errors (2).
    let cases: [(Vec<&str>, &str, i32); 4] = [
        (
            vec!["run", "--config", missing],
            "No such file or directory",
            2,
        ),
        (
            vec!["list", "--cases", missing],
            "No such file or directory",
            2,
        ),
        (
            [&["run", "--token-file", missing][..], &closed].concat(),
            "No such file or directory",
            2,
        ),
        ([&["run"][..], &closed].concat(), "Connection refused", 3),
    ];
    for (args, cause, code) in cases {
        let output = scimcheck()
            .args(&args)
            .env("SCIMCHECK_TOKEN", "chain-t0ken")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert_eq!(stderr.matches(cause).count(), 1, "{args:?}: {stderr}");
        assert!(stderr.matches("failed to read").count() <= 1, "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn latency_takes_fractions_and_units() {
    for latency in ["1.5s", "250ms", "0.5m", "20"] {
        let output = scimcheck()
            .args(["serve", "--latency", latency, "--list-faults"])
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{latency}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
