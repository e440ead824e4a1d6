//! A real SMTP server for the e-mail tests: `smtp_server.py` (aiosmtpd) as a child process on
//! a free port, killed on drop; the messages it received read back from its directory.
//!
//! Needs `python3` on PATH with the `aiosmtpd` module. When it is missing the test fails (it
//! does not skip) and says how to install it; `.ci/run` installs it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `smtp_server.py`, found from this crate or from another test crate of the workspace that
/// includes this module (the end-to-end tests).
pub fn script() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "tests/support/smtp_server.py",
        "../crates/notify/tests/support/smtp_server.py",
    ]
    .iter()
    .map(|p| here.join(p))
    .find(|p| p.exists())
    .unwrap_or_else(|| here.join("tests/support/smtp_server.py"))
}

/// The Python the tests use: `python3` on PATH.
pub const PYTHON: &str = "python3";

const INSTALL_HINT: &str = "the e-mail tests need a real SMTP server: Python 3's `aiosmtpd` module, \
     importable by the `python3` on PATH. Install it with `apt-get install python3-aiosmtpd` \
     (Debian's system python3) or `python3 -m pip install aiosmtpd` (any other python3); \
     .ci/run does this before the tests";

/// Fails the test (with how to fix it) when `python3` or `aiosmtpd` is missing.
pub fn require_aiosmtpd() {
    let output = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{PYTHON}` ({e}): {INSTALL_HINT}"));
    assert!(
        output.status.success(),
        "`{PYTHON} -c 'import aiosmtpd'` failed ({}): {INSTALL_HINT}",
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or_default()
    );
}

/// A port nobody listens on right now (bind 127.0.0.1:0, read the port, let it go).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "wspolnota-{prefix}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How the server answers RCPT TO for every recipient (magic local parts work in any mode:
/// `reject@` → 550, `tempfail@` → 451, `badmailbox@` → 553).
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Accept,
    Reject,
    TempFail,
}

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

/// One message as the server received it.
#[derive(Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The client's `address:port`: the same for messages sent over one connection.
    pub peer: String,
    pub raw: Vec<u8>,
    pub path: PathBuf,
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_with(Mode::Accept)
    }

    pub fn start_with(mode: Mode) -> Self {
        require_aiosmtpd();
        let dir = TempDir::new("smtp");
        let mode = match mode {
            Mode::Accept => "accept",
            Mode::Reject => "reject",
            Mode::TempFail => "tempfail",
        };
        // Another process may take the free port between our check and the server's bind:
        // then the server exits at once and we try another port.
        for _ in 0..5 {
            let port = free_port();
            let received = dir.path().join("received");
            let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
            let mut child = Command::new(PYTHON)
                .arg(script())
                .args([
                    "serve",
                    "--port",
                    &port.to_string(),
                    "--mode",
                    mode,
                    "--dir",
                ])
                .arg(&received)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log clone"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {}: {e}; {INSTALL_HINT}", script().display())
                });
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self { child, port, dir };
                }
                if child.try_wait().expect("try_wait").is_some() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "the SMTP server did not listen on port {port} within 15 s: {}",
                        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "the SMTP server exited at start-up: {}",
            std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP, no TLS: a local test server).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, in order. The server writes each one before it answers
    /// 250, so after a successful send the message is here.
    pub fn received(&self) -> Vec<Received> {
        let dir = self.dir.path().join("received");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut emls: Vec<PathBuf> = entries
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        emls.sort();
        emls.into_iter()
            .map(|path| {
                let meta: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(path.with_extension("json")).expect("envelope json"),
                )
                .expect("envelope is JSON");
                Received {
                    mail_from: meta["mail_from"].as_str().unwrap_or_default().to_owned(),
                    rcpt_tos: meta["rcpt_tos"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    peer: meta["peer"].as_str().unwrap_or_default().to_owned(),
                    raw: std::fs::read(&path).expect("raw message"),
                    path,
                }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a raw message with Python's e-mail package (`smtp_server.py parse`): decoded
/// headers, defects, and every leaf part with its decoded bytes as base64 (`data_b64`).
pub fn parse_eml(path: &Path) -> serde_json::Value {
    require_aiosmtpd();
    let output = Command::new(PYTHON)
        .arg(script())
        .arg("parse")
        .arg(path)
        .output()
        .expect("run smtp_server.py parse");
    assert!(
        output.status.success(),
        "parsing {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("parse output is JSON")
}
