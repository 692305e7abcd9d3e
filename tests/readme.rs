//! The README's commands work as written. Every `toml` block is read as a `scimcheck.toml`
//! (unknown keys, capabilities and case ids are errors). Every `sh` block's commands are
//! checked: a `scimcheck …` command, or `cargo run -- …`, is parsed by the command line's own
//! definition (clap), and other `cargo` commands must name what exists here. Commands that are
//! cheap and stay on loopback are also run: `scimcheck list` and `scimcheck run` against the
//! embedded mock line by line, and the block that serves the mock, whole, in bash. Nothing that
//! builds or installs (`cargo …`) or needs a real endpoint is run.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;

use scimcheck::check::schema::SchemaRegistry;
use scimcheck::cli::Cli;
use scimcheck::config::FileConfig;
use scimcheck::plan::select;
use scimcheck::suite::{self, CaseSource};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `(language, first line, text)` of every fenced block.
fn blocks() -> Vec<(String, usize, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (number, line) in readme.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(language)) => {
                open = Some((language.trim().to_owned(), number + 2, String::new()))
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, _, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed block in README.md");
    blocks
}

/// Each command of a shell block as words, with continuation lines joined, comments dropped,
/// leading `VAR=value` assignments dropped and the words cut at the first shell operator.
fn commands(text: &str) -> Vec<Vec<String>> {
    text.replace("\\\n", " ")
        .lines()
        .filter_map(|line| {
            let words = shlex::split(line).unwrap_or_else(|| panic!("unbalanced quotes: {line}"));
            let words: Vec<String> = words
                .into_iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .take_while(|w| !matches!(w.as_str(), ">" | "&" | "|" | ";" | "&&" | "||"))
                .collect();
            (!words.is_empty()).then_some(words)
        })
        .collect()
}

fn parses(argv: &[String], at: usize) {
    if let Err(error) = Cli::try_parse_from(argv) {
        panic!(
            "README.md:{at}: `{}` does not parse:\n{error}",
            argv.join(" ")
        );
    }
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_scimcheck"))
        .parent()
        .expect("a folder")
        .to_owned()
}

fn with_scimcheck_on_path(command: &mut Command, dir: &Path) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin_dir()];
    paths.extend(std::env::split_paths(&path));
    command
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env_remove("SCIMCHECK_TOKEN")
        .env("NO_COLOR", "1")
        .current_dir(dir);
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcheck-readme-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs one `scimcheck list` or `scimcheck run` (against the embedded mock) as written.
fn runs(argv: &[String], at: usize) {
    let dir = temp_dir();
    let mut command = Command::new("scimcheck");
    command.args(&argv[1..]);
    with_scimcheck_on_path(&mut command, &dir);
    let output = command.output().expect("scimcheck runs");
    assert!(
        output.status.success(),
        "README.md:{at}: `{}` exited {:?}\n{}",
        argv.join(" "),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The block that serves the mock runs whole, in bash, on a free port instead of 8080 (which
/// another program may hold), and must end with the run's exit code 0 and its JUnit file.
fn runs_in_bash(text: &str, at: usize) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // The trap is the test's: a failing step must not leave the mock running.
    let script = format!(
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        text.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
    );
    let dir = temp_dir();
    let mut command = Command::new("timeout");
    command.args(["120", "bash", "-euo", "pipefail", "-c", &script]);
    with_scimcheck_on_path(&mut command, &dir);
    let output = command.output().expect("bash runs");
    assert!(
        output.status.success(),
        "README.md:{at}: the block exited {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dir.join("scimcheck.xml").is_file(),
        "README.md:{at}: no JUnit file"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_toml_block_is_a_valid_scimcheck_toml_naming_real_cases() {
    let cases = suite::load_cases(
        &CaseSource::Embedded,
        &SchemaRegistry::builtin().expect("schemas"),
    )
    .expect("the catalogue loads");
    let tomls: Vec<_> = blocks()
        .into_iter()
        .filter(|(l, _, _)| l == "toml")
        .collect();
    assert!(!tomls.is_empty(), "no toml block in README.md");
    for (_, at, text) in tomls {
        let dir = temp_dir();
        let path = dir.join("scimcheck.toml");
        std::fs::write(&path, &text).expect("written");
        let config = FileConfig::load(&path).unwrap_or_else(|e| panic!("README.md:{at}: {e}"));
        select::check_skip_table(&config.skip, Some("[skip] in README.md"), &cases)
            .unwrap_or_else(|e| panic!("README.md:{at}: {e}"));
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn every_shell_command_parses_and_the_cheap_ones_run() {
    let mut checked = 0;
    let mut ran = 0;
    for (language, at, text) in blocks() {
        if language != "sh" {
            continue;
        }
        let serves = text.contains("scimcheck serve");
        for argv in commands(&text) {
            checked += 1;
            match argv[0].as_str() {
                "scimcheck" => {
                    parses(&argv, at);
                    let mock_only = !argv.iter().any(|w| w == "--base-url");
                    if !serves && mock_only && matches!(argv[1].as_str(), "list" | "run") {
                        runs(&argv, at);
                        ran += 1;
                    }
                }
                "cargo" => cargo(&argv, at),
                // The shell plumbing of the block that serves the mock, which runs whole below.
                "export" | "until" | "kill" | "." if serves => {}
                "export" => {}
                other => panic!("README.md:{at}: a command this test does not know: {other}"),
            }
        }
        if serves {
            runs_in_bash(&text, at);
            ran += 1;
        }
    }
    assert!(checked >= 10 && ran >= 3, "{checked} checked, {ran} run");
}

/// A cargo command names only what exists: a `--test` target, the package path, a `run` whose
/// arguments scimcheck accepts.
fn cargo(argv: &[String], at: usize) {
    let after = |flag: &str| {
        argv.iter()
            .position(|w| w == flag)
            .and_then(|i| argv.get(i + 1))
            .map(String::as_str)
    };
    match argv.get(1).map(String::as_str) {
        Some("run") => {
            let dash = argv.iter().position(|w| w == "--").expect("cargo run -- …");
            let mut scimcheck = vec!["scimcheck".to_owned()];
            scimcheck.extend_from_slice(&argv[dash + 1..]);
            parses(&scimcheck, at);
        }
        Some("test") => {
            if let Some(name) = after("--test") {
                assert!(
                    root().join("tests").join(format!("{name}.rs")).is_file(),
                    "README.md:{at}: no test target {name}"
                );
            }
        }
        Some("install") => {
            assert!(
                argv.iter().any(|w| w == "--locked"),
                "README.md:{at}: install --locked"
            );
            match after("--path") {
                Some(path) => assert!(
                    root().join(path).join("Cargo.toml").is_file(),
                    "README.md:{at}: no package at {path}"
                ),
                None => assert_eq!(
                    argv.last().map(String::as_str),
                    Some("cargo-insta"),
                    "README.md:{at}"
                ),
            }
        }
        other => panic!("README.md:{at}: a cargo command this test does not know: {other:?}"),
    }
}
