//! The resident portal in a real browser: runs `tests/browser/portal.test.mjs` (Debian's
//! headless Chromium driven by playwright-core, with axe-core) against a demo server. It signs
//! in on two tenants, pays an installment through the sandbox gateway, checks the balance,
//! tenant isolation and WCAG 2.1 A/AA on every page, and saves screenshots as artefacts.
//!
//! Needs `chromium` (Debian's package) and `npm ci` in `tests/browser`; `.ci/run` installs
//! both. Without them the test fails under CI and is skipped, loudly, elsewhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use wspolnota_e2e::{TestApp, repo_root};

const TENANTS: &str = "zamosc,kurow";

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser test, if anything.
fn missing_prerequisites(dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let browser = chromium();
    if !browser.is_file() {
        missing.push(format!(
            "{} (Debian's browser: apt-get install -y chromium)",
            browser.display()
        ));
    }
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("node on PATH (Node.js 20 or newer: apt-get install -y nodejs npm)".into());
    }
    for package in ["playwright-core", "axe-core"] {
        if !dir.join("node_modules").join(package).is_dir() {
            missing.push(format!(
                "{}/node_modules/{package} (run: npm ci --prefix tests/browser)",
                dir.display()
            ));
        }
    }
    missing
}

#[tokio::test]
async fn resident_portal_in_headless_chromium() {
    let dir = repo_root().join("tests").join("browser");
    let missing = missing_prerequisites(&dir);
    if !missing.is_empty() {
        let list = missing.join("\n  - ");
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("the browser test cannot run under CI; install:\n  - {list}");
        }
        eprintln!(
            "\n{bar}\nSKIPPED resident_portal_in_headless_chromium: the browser test needs\n  \
             - {list}\n(.ci/run installs these; under CI a missing one fails the run)\n{bar}\n",
            bar = "!".repeat(78)
        );
        return;
    }

    let app = TestApp::spawn().await;
    let artifacts = std::env::var_os("BROWSER_ARTIFACTS_DIR")
        .filter(|p| !p.is_empty())
        .map_or_else(
            || repo_root().join("target").join("browser-artifacts"),
            PathBuf::from,
        );
    // Node's own runner, one file after another; the tests get the server's port and where to put screenshots.
    let output = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-concurrency=1")
        // The money parser's own tests first, then the browser run.
        .args(["money.test.mjs", "portal.test.mjs"])
        .current_dir(&dir)
        .env("WSPOLNOTA_PORT", app.port().to_string())
        .env("WSPOLNOTA_TENANTS", TENANTS)
        .env("BROWSER_ARTIFACTS_DIR", &artifacts)
        .env("CHROMIUM_PATH", chromium())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("running node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser test failed ({}); screenshots in {}\n{}",
        output.status,
        artifacts.display(),
        app.logs()
    );
}
