//! `wspolnota serve --demo` end to end: the binary on a fresh data directory (SQLite), the
//! demo finance register seen over HTTP by the Zamość resident and the Kurów finance clerk,
//! and a second start on the same directory that adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "wspolnota-demo";
/// Generous: CI machines are slow and shared; the start is measured and printed.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `serve --demo`; killed (and its data directory removed, once) on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(data_dir: &Path, port: u16) -> Self {
        let log = data_dir.with_extension(format!("{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wspolnota"));
        // The test chooses its own backend (SQLite in a temporary directory) and settings.
        for var in [
            "DATABASE_URL",
            "REDIS_URL",
            "WSPOLNOTA_DATA_DIR",
            "WSPOLNOTA_CONFIG",
            "WSPOLNOTA_TENANTS_DIR",
            "WSPOLNOTA_BIND",
            "WSPOLNOTA_BASE_DOMAIN",
            "WSPOLNOTA_DEMO_SCALE",
        ] {
            cmd.env_remove(var);
        }
        let child = cmd
            .env("WSPOLNOTA_DEMO_SCALE", "1")
            .env("RUST_LOG", "info,sea_orm_migration=warn")
            .args(["serve", "--demo", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--tenants-dir")
            .arg(repo_root().join("tenants"))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits for `GET /readyz`; returns how long the start took.
    async fn ready(&mut self, started: Instant) -> Duration {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!("http://{}/readyz", self.addr);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "not ready after {READY_TIMEOUT:?}:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A client that sends `<slug>.localhost` as the host and connects to this server.
    fn client(&self, slug: &str) -> Tenant {
        let host = format!("{slug}.localhost");
        let http = reqwest::Client::builder()
            .no_proxy()
            .resolve(&host, self.addr)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Tenant {
            http,
            url: format!("http://{host}:{}/graphql", self.addr.port()),
            token: None,
        }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Tenant {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Tenant {
    /// Posts a GraphQL request and returns `data`, failing on any error.
    async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "{query}\n→ HTTP {status}: {body}"
        );
        body["data"].clone()
    }

    async fn login(&mut self, email: &str) {
        let data = self
            .gql(
                "mutation($e: String!, $p: String!) { auth { login(email: $e, password: $p) { accessToken } } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        self.token = Some(
            data["auth"]["login"]["accessToken"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
}

const ACCOUNT: &str = "{ finance { account { party { name } balance { outstanding overdue interest } \
    obligations { kind installments { dueDate status outstanding } } } } }";

const SEARCH: &str = r#"{ finance { parties(query: "a", limit: 200) { name } } }"#;

#[tokio::test]
async fn the_demo_register_is_there_for_the_resident_and_the_clerk() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let data_dir = std::env::temp_dir().join(format!(
        "wsp-demo-finance-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&data_dir).unwrap();

    let started = Instant::now();
    let mut server = Server::start(&data_dir, free_port());
    let took = server.ready(started).await;
    eprintln!("serve --demo (fresh data dir) ready in {took:?}");

    // The resident of Zamość: property tax, the waste fee and transport tax, one overdue
    // installment.
    let mut resident = server.client("zamosc");
    resident.login("mieszkaniec@zamosc.test").await;
    let data = resident.gql(ACCOUNT, json!({})).await;
    let account = &data["finance"]["account"];
    assert!(!account["party"]["name"].as_str().unwrap().is_empty());
    let obligations = account["obligations"].as_array().unwrap();
    for kind in ["property_tax_person", "waste_fee", "transport_tax"] {
        assert!(
            obligations.iter().any(|o| o["kind"] == kind),
            "{kind} in {account}"
        );
    }
    let overdue: Vec<&Value> = obligations
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap())
        .filter(|i| i["status"] == "OVERDUE")
        .collect();
    assert_eq!(overdue.len(), 1, "{account}");
    let money = |v: &Value| wspolnota_core::Money::parse(v.as_str().unwrap()).unwrap();
    assert!(
        money(&account["balance"]["overdue"]).is_positive(),
        "{account}"
    );
    assert!(money(&account["balance"]["outstanding"]) >= money(&account["balance"]["overdue"]));

    // The finance clerk of Kurów searches the register.
    let mut clerk = server.client("kurow");
    clerk.login("skarbnik@kurow.test").await;
    let found = clerk.gql(SEARCH, json!({})).await;
    let before = found["finance"]["parties"].as_array().unwrap().len();
    assert!(before >= 5, "{found}");
    server.stop();

    // A second start on the same data adds nothing.
    let started = Instant::now();
    let mut server = Server::start(&data_dir, free_port());
    let took = server.ready(started).await;
    eprintln!("serve --demo (second start) ready in {took:?}");
    let mut clerk = server.client("kurow");
    clerk.login("skarbnik@kurow.test").await;
    let found = clerk.gql(SEARCH, json!({})).await;
    assert_eq!(
        found["finance"]["parties"].as_array().unwrap().len(),
        before
    );
    let mut resident = server.client("zamosc");
    resident.login("mieszkaniec@zamosc.test").await;
    let again = resident.gql(ACCOUNT, json!({})).await;
    assert_eq!(again, data);
    server.stop();
    let _ = std::fs::remove_dir_all(&data_dir);
}
