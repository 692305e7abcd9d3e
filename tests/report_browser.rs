//! The HTML report as a person sees it: rendered by a real headless browser (Debian's
//! `chromium`), printed to PDF and read back as text (`pdftotext` from poppler-utils). The
//! verdict and every finding must be visible; the exchanges, collapsed, must not. `.ci/run`
//! installs both tools; without them (and outside CI) the test says so and does nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the browser may take to print one page.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Text with every whitespace removed, so that where the browser wrapped a line does not matter.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn print_to_pdf(chromium: &Path, html: &Path, pdf: &Path, profile: &Path) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            assert!(status.success(), "chromium failed: {status}");
            return;
        }
        if started.elapsed() > BROWSER_DEADLINE {
            child.kill().ok();
            panic!("chromium did not print the report within {BROWSER_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_html_report_shows_the_verdict_and_the_findings_in_a_real_browser() {
    let (Some(chromium), Some(pdftotext)) = (on_path("chromium"), on_path("pdftotext")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must render the report: .ci/run installs chromium and poppler-utils"
        );
        eprintln!("not checked: install chromium and poppler-utils to render the HTML report");
        return;
    };
    let dir = std::env::temp_dir().join(format!("scimcheck-browser-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let html = dir.join("report.html");
    let json = dir.join("results.json");
    let run = Command::new(env!("CARGO_BIN_EXE_scimcheck"))
        .args([
            "run",
            "--mock-fault",
            "missing-www-authenticate",
            "auth::no-token",
        ])
        .arg("--report")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .env_remove("SCIMCHECK_TOKEN")
        .output()
        .expect("scimcheck runs");
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");

    let pdf = dir.join("report.pdf");
    print_to_pdf(&chromium, &html, &pdf, &dir.join("profile"));
    let text = Command::new(pdftotext)
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(text.status.success(), "{text:?}");
    let visible = squeezed(&String::from_utf8_lossy(&text.stdout));

    let headline = results["verdict"]["headline"].as_str().expect("headline");
    assert!(headline.starts_with("FAILED"), "{headline}");
    let findings = results["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let mut expected = vec![
        headline.to_owned(),
        format!("Findings ({})", findings.len()),
    ];
    for finding in findings {
        expected.push(finding["statement"].as_str().expect("statement").to_owned());
    }
    for shown in expected {
        assert!(
            visible.contains(&squeezed(&shown)),
            "not visible in the rendered report: {shown:?}"
        );
    }
    // Exchanges are collapsed until opened: the response line is in the HTML, not on screen.
    let response_line = "→ 401 Unauthorized";
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains(response_line)
    );
    assert!(
        !visible.contains(&squeezed(response_line)),
        "an exchange is not collapsed"
    );
    std::fs::remove_dir_all(dir).ok();
}
