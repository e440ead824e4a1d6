//! `wspolnota-bench`: a small, bounded load generator for a running `wspolnota` server.
//!
//! N worker tasks share one keep-alive HTTP client and post GraphQL requests in a loop to
//! `{target}/graphql`, with the tenant host name in the URL (it is resolved to the target's
//! address, so the server sees `Host: zamosc.localhost:8080` while the connection goes to
//! `127.0.0.1:8080`). The first `--warmup-secs` are not counted. Latencies of successful
//! responses go into an HDR histogram (microsecond resolution, 3 significant digits).
//!
//! A response counts as successful only if it is HTTP 200, its body is a JSON object without an
//! `errors` key, and its `data` is an object whose top-level fields are all non-null. The
//! latency of a request runs from just before it is sent until its body is read and checked.
//!
//! The run is bounded both in time (`--duration-secs`, at most 600) and in count
//! (`--max-requests`, 5 million by default, warm-up requests included).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

/// Longest measured duration accepted (the `me` scenario uses one 15-minute access token).
const MAX_DURATION_SECS: u64 = 600;
const MAX_CONCURRENCY: usize = 4096;
/// Highest latency the histogram tracks (µs); anything slower is clamped to this.
const HIST_MAX_MICROS: u64 = 120_000_000;
/// Pause of a worker after a connection-level failure.
const TRANSPORT_ERROR_PAUSE: Duration = Duration::from_millis(10);
/// How much of an unexpected response body is kept for the report.
const SAMPLE_CHARS: usize = 300;

const TENANT_BODY: &str = r#"{"query":"{ tenant { name } }"}"#;
const ME_BODY: &str = r#"{"query":"{ me { id email } }"}"#;
const LOGIN_QUERY: &str = "mutation Login($email: String!, $password: String!) { auth { login(email: $email, password: $password) { accessToken refreshToken expiresAt } } }";

#[derive(Parser, Debug)]
#[command(
    name = "wspolnota-bench",
    version,
    about = "Bounded GraphQL load generator for a running wspolnota server (requests/s and latency percentiles)."
)]
struct Args {
    /// Where to connect: scheme, address and port of the server. The path is ignored; requests go to /graphql.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    target: String,

    /// Tenant host name put in the URL (and so in the Host header); it is resolved to the --target address.
    #[arg(long, default_value = "zamosc.localhost")]
    host: String,

    /// Number of concurrent worker tasks (each keeps its own keep-alive connection busy).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,

    /// Measured duration of each scenario, in seconds (1..=600), after the warm-up.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,

    /// Warm-up before each scenario, in seconds; requests completed in it are not counted.
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,

    /// Which scenario to run; `all` runs `tenant` then `me`.
    #[arg(long, value_enum, default_value_t = ScenarioArg::All)]
    scenario: ScenarioArg,

    /// Hard cap on requests sent per scenario (warm-up included); the run stops early when it is reached.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,

    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,

    /// Account used by the `me` scenario [default: mieszkaniec@<first label of --host>.test].
    #[arg(long)]
    email: Option<String>,

    /// Password of that account.
    #[arg(long, default_value = "wspolnota-demo")]
    password: String,

    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ScenarioArg {
    Tenant,
    Me,
    All,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Scenario {
    Tenant,
    Me,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Tenant => "tenant",
            Scenario::Me => "me",
        }
    }
}

/// Why one request did not count as a success.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum FailKind {
    /// Connection refused or reset, timeout, body read failure.
    Transport,
    /// HTTP status other than 200.
    Status,
    /// Not a JSON object, no `data`, or a null top-level field.
    Body,
    /// An `errors` key in the GraphQL response.
    Graphql,
}

const FAIL_KINDS: [FailKind; 4] = [
    FailKind::Transport,
    FailKind::Status,
    FailKind::Body,
    FailKind::Graphql,
];

impl FailKind {
    fn index(self) -> usize {
        match self {
            FailKind::Transport => 0,
            FailKind::Status => 1,
            FailKind::Body => 2,
            FailKind::Graphql => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FailKind::Transport => "transport",
            FailKind::Status => "status",
            FailKind::Body => "body",
            FailKind::Graphql => "graphql",
        }
    }
}

#[derive(Debug)]
struct Failure {
    kind: FailKind,
    detail: String,
}

impl Failure {
    fn new(kind: FailKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(SAMPLE_CHARS).collect();
    if text.chars().count() > SAMPLE_CHARS {
        out.push('…');
    }
    out
}

/// The GraphQL success check applied to every response body.
fn check_graphql(body: &[u8]) -> Result<(), Failure> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Failure::new(FailKind::Body, format!("not JSON ({e}): {}", snippet(body))))?;
    let Some(object) = value.as_object() else {
        return Err(Failure::new(
            FailKind::Body,
            format!("not a JSON object: {}", snippet(body)),
        ));
    };
    if object.contains_key("errors") {
        return Err(Failure::new(FailKind::Graphql, snippet(body)));
    }
    match object.get("data") {
        Some(Value::Object(data)) => {
            if let Some((field, _)) = data.iter().find(|(_, v)| v.is_null()) {
                return Err(Failure::new(
                    FailKind::Body,
                    format!("data.{field} is null: {}", snippet(body)),
                ));
            }
            Ok(())
        }
        _ => Err(Failure::new(
            FailKind::Body,
            format!("no data object: {}", snippet(body)),
        )),
    }
}

/// Everything a worker needs; shared read-only between workers except the counters.
struct RunCtx {
    client: reqwest::Client,
    url: Url,
    body: &'static str,
    auth: Option<HeaderValue>,
    measure_from: Instant,
    deadline: Instant,
    max_requests: u64,
    sent: AtomicU64,
    capped: AtomicBool,
}

async fn send_once(ctx: &RunCtx) -> Result<(), Failure> {
    let mut request = ctx
        .client
        .post(ctx.url.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(ctx.body);
    if let Some(auth) = &ctx.auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::new(FailKind::Transport, describe_reqwest_error(&e)))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| Failure::new(FailKind::Transport, describe_reqwest_error(&e)))?;
    if status != StatusCode::OK {
        return Err(Failure::new(
            FailKind::Status,
            format!("HTTP {status}: {}", snippet(&body)),
        ));
    }
    check_graphql(&body)
}

fn describe_reqwest_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

struct WorkerStats {
    hist: Histogram<u64>,
    ok: u64,
    failures: [u64; 4],
    first_failure: Option<String>,
}

async fn worker(ctx: Arc<RunCtx>) -> Result<WorkerStats> {
    let mut stats = WorkerStats {
        hist: Histogram::new_with_bounds(1, HIST_MAX_MICROS, 3)?,
        ok: 0,
        failures: [0; 4],
        first_failure: None,
    };
    loop {
        let start = Instant::now();
        if start >= ctx.deadline {
            break;
        }
        if ctx.sent.fetch_add(1, Ordering::Relaxed) >= ctx.max_requests {
            ctx.capped.store(true, Ordering::Relaxed);
            break;
        }
        let outcome = send_once(&ctx).await;
        if start < ctx.measure_from {
            continue;
        }
        match outcome {
            Ok(()) => {
                let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                stats.hist.saturating_record(micros.max(1));
                stats.ok += 1;
            }
            Err(failure) => {
                if failure.kind == FailKind::Transport {
                    // A refused or reset connection fails at once: do not spin on it.
                    tokio::time::sleep(TRANSPORT_ERROR_PAUSE).await;
                }
                stats.failures[failure.kind.index()] += 1;
                if stats.first_failure.is_none() {
                    stats.first_failure =
                        Some(format!("[{}] {}", failure.kind.name(), failure.detail));
                }
            }
        }
    }
    Ok(stats)
}

#[derive(Debug)]
struct ScenarioResult {
    scenario: &'static str,
    ok: u64,
    failures: [u64; 4],
    elapsed: Duration,
    hist: Histogram<u64>,
    first_failure: Option<String>,
    capped: bool,
}

impl ScenarioResult {
    fn errors(&self) -> u64 {
        self.failures.iter().sum()
    }

    fn requests(&self) -> u64 {
        self.ok + self.errors()
    }

    fn per_sec(&self, count: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { count as f64 / secs } else { 0.0 }
    }

    /// Latency in milliseconds at quantile `q` of the successful requests (0 when there are none).
    fn ms_at(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            0.0
        } else {
            self.hist.value_at_quantile(q) as f64 / 1000.0
        }
    }

    fn max_ms(&self) -> f64 {
        if self.hist.is_empty() {
            0.0
        } else {
            self.hist.max() as f64 / 1000.0
        }
    }

    fn mean_ms(&self) -> f64 {
        if self.hist.is_empty() {
            0.0
        } else {
            self.hist.mean() / 1000.0
        }
    }

    fn to_json(&self) -> Value {
        let by_kind: serde_json::Map<String, Value> = FAIL_KINDS
            .iter()
            .map(|k| (k.name().to_owned(), json!(self.failures[k.index()])))
            .collect();
        json!({
            "scenario": self.scenario,
            "requests": self.requests(),
            "ok": self.ok,
            "errors": self.errors(),
            "errors_by_kind": by_kind,
            "first_error": self.first_failure,
            "elapsed_secs": round3(self.elapsed.as_secs_f64()),
            "requests_per_sec": round3(self.per_sec(self.requests())),
            "ok_per_sec": round3(self.per_sec(self.ok)),
            "latency_ms": {
                "p50": round3(self.ms_at(0.50)),
                "p90": round3(self.ms_at(0.90)),
                "p99": round3(self.ms_at(0.99)),
                "max": round3(self.max_ms()),
                "mean": round3(self.mean_ms()),
            },
            "stopped_by_max_requests": self.capped,
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Where the connection really goes, and the URL (with the tenant host) that requests use.
struct Endpoint {
    url: Url,
    /// `Some((host, addr))` when the tenant host must be resolved to the target's address.
    resolve: Option<(String, SocketAddr)>,
}

async fn endpoint(target: &str, host: &str) -> Result<Endpoint> {
    let mut url =
        Url::parse(target).with_context(|| format!("--target {target:?} is not a URL"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        bail!("--target must be an http:// or https:// URL, got {target:?}");
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| anyhow!("--target {target:?} has no port"))?;
    // host_str() keeps the brackets of an IPv6 literal; lookup_host wants it bare.
    let target_host = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
        .ok_or_else(|| anyhow!("--target {target:?} has no host"))?;
    url.set_path("/graphql");
    url.set_query(None);
    url.set_fragment(None);

    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host == target_host {
        return Ok(Endpoint { url, resolve: None });
    }
    if host.parse::<IpAddr>().is_ok() || host.contains(':') || host.contains('/') {
        bail!("--host must be a DNS name without a port, like zamosc.localhost; got {host:?}");
    }
    let addr = tokio::net::lookup_host((target_host.as_str(), port))
        .await
        .with_context(|| format!("cannot resolve the target host {target_host:?}"))?
        .next()
        .ok_or_else(|| anyhow!("the target host {target_host:?} resolves to no address"))?;
    url.set_host(Some(&host))
        .with_context(|| format!("--host {host:?} is not a valid host name"))?;
    Ok(Endpoint {
        url,
        resolve: Some((host, addr)),
    })
}

fn build_client(ep: &Endpoint, concurrency: usize, timeout: Duration) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(concurrency)
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .user_agent(concat!("wspolnota-bench/", env!("CARGO_PKG_VERSION")));
    if let Some((host, addr)) = &ep.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder.build().context("cannot build the HTTP client")
}

/// Logs in through the GraphQL login mutation and returns the access token.
async fn login(client: &reqwest::Client, url: &Url, email: &str, password: &str) -> Result<String> {
    let payload = json!({
        "query": LOGIN_QUERY,
        "variables": { "email": email, "password": password },
    });
    let response = client
        .post(url.clone())
        .json(&payload)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "login request to {url} failed: {}",
                describe_reqwest_error(&e)
            )
        })?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .context("reading the login response")?;
    if status != StatusCode::OK {
        bail!("login as {email} failed: HTTP {status}: {}", snippet(&body));
    }
    if let Err(failure) = check_graphql(&body) {
        bail!("login as {email} failed: {}", failure.detail);
    }
    let value: Value = serde_json::from_slice(&body).context("login response is not JSON")?;
    value
        .pointer("/data/auth/login/accessToken")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            anyhow!(
                "login response has no data.auth.login.accessToken: {}",
                snippet(&body)
            )
        })
}

async fn run_scenario(
    args: &Args,
    client: &reqwest::Client,
    url: &Url,
    scenario: Scenario,
) -> Result<ScenarioResult> {
    let (body, auth) = match scenario {
        Scenario::Tenant => (TENANT_BODY, None),
        Scenario::Me => {
            let email = match &args.email {
                Some(e) => e.clone(),
                None => {
                    let slug = url
                        .host_str()
                        .and_then(|h| h.split('.').next())
                        .unwrap_or("");
                    format!("mieszkaniec@{slug}.test")
                }
            };
            let token = login(client, url, &email, &args.password).await?;
            let header = HeaderValue::from_str(&format!("Bearer {token}"))
                .context("the access token is not a valid header value")?;
            (ME_BODY, Some(header))
        }
    };

    // One request before the clock starts: a wrong host, a dead server or a broken query
    // fails here with its reason instead of producing a run made only of errors.
    let start = Instant::now();
    let probe = RunCtx {
        client: client.clone(),
        url: url.clone(),
        body,
        auth: auth.clone(),
        measure_from: start,
        deadline: start,
        max_requests: 1,
        sent: AtomicU64::new(0),
        capped: AtomicBool::new(false),
    };
    if let Err(failure) = send_once(&probe).await {
        bail!(
            "scenario {}: the first request to {url} failed [{}]: {}",
            scenario.name(),
            failure.kind.name(),
            failure.detail
        );
    }

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup_secs);
    let ctx = Arc::new(RunCtx {
        client: client.clone(),
        url: url.clone(),
        body,
        auth,
        measure_from,
        deadline: measure_from + Duration::from_secs(args.duration_secs),
        max_requests: args.max_requests,
        sent: AtomicU64::new(0),
        capped: AtomicBool::new(false),
    });
    let handles: Vec<_> = (0..args.concurrency)
        .map(|_| tokio::spawn(worker(Arc::clone(&ctx))))
        .collect();

    let mut result = ScenarioResult {
        scenario: scenario.name(),
        ok: 0,
        failures: [0; 4],
        elapsed: Duration::ZERO,
        hist: Histogram::new_with_bounds(1, HIST_MAX_MICROS, 3)?,
        first_failure: None,
        capped: false,
    };
    for handle in handles {
        let stats = handle.await.context("a worker task panicked")??;
        result.ok += stats.ok;
        for (total, n) in result.failures.iter_mut().zip(stats.failures) {
            *total += n;
        }
        if result.first_failure.is_none() {
            result.first_failure = stats.first_failure;
        }
        result
            .hist
            .add(&stats.hist)
            .map_err(|e| anyhow!("merging histograms: {e:?}"))?;
    }
    // Requests started before the deadline are waited for, so the window ends when the last one did.
    result.elapsed = Instant::now().saturating_duration_since(measure_from);
    result.capped = ctx.capped.load(Ordering::Relaxed);
    Ok(result)
}

fn print_header() {
    println!(
        "{:<8} {:>10} {:>8} {:>11} {:>9} {:>9} {:>9} {:>9}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
}

fn print_row(r: &ScenarioResult) {
    println!(
        "{:<8} {:>10} {:>8} {:>11.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        r.scenario,
        r.requests(),
        r.errors(),
        r.per_sec(r.requests()),
        r.ms_at(0.50),
        r.ms_at(0.90),
        r.ms_at(0.99),
        r.max_ms()
    );
}

fn print_notes(r: &ScenarioResult) {
    if r.errors() > 0 {
        let kinds: Vec<String> = FAIL_KINDS
            .iter()
            .filter(|k| r.failures[k.index()] > 0)
            .map(|k| format!("{} {}", r.failures[k.index()], k.name()))
            .collect();
        eprintln!(
            "{}: {} errors ({}); first: {}",
            r.scenario,
            r.errors(),
            kinds.join(", "),
            r.first_failure.as_deref().unwrap_or("?")
        );
    }
    if r.capped && r.requests() == 0 {
        eprintln!(
            "{}: the --max-requests cap was reached during the warm-up: nothing was measured",
            r.scenario
        );
    } else if r.capped {
        eprintln!(
            "{}: stopped early at the --max-requests cap; the rate is over the shorter window ({:.3} s)",
            r.scenario,
            r.elapsed.as_secs_f64()
        );
    }
}

fn validate(args: &Args) -> Result<()> {
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        bail!("--concurrency must be between 1 and {MAX_CONCURRENCY}");
    }
    if args.duration_secs == 0 || args.duration_secs > MAX_DURATION_SECS {
        bail!("--duration-secs must be between 1 and {MAX_DURATION_SECS}");
    }
    if args.warmup_secs > 60 {
        bail!("--warmup-secs must be at most 60");
    }
    if args.max_requests == 0 {
        bail!("--max-requests must be at least 1");
    }
    if args.timeout_secs == 0 || args.timeout_secs > 120 {
        bail!("--timeout-secs must be between 1 and 120");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    rustls::crypto::ring::default_provider()
        .install_default()
        .map_err(|_| anyhow!("a rustls crypto provider was already installed"))?;

    let args = Args::parse();
    validate(&args)?;

    let ep = endpoint(&args.target, &args.host).await?;
    let client = build_client(
        &ep,
        args.concurrency,
        Duration::from_secs(args.timeout_secs),
    )?;
    let scenarios: &[Scenario] = match args.scenario {
        ScenarioArg::Tenant => &[Scenario::Tenant],
        ScenarioArg::Me => &[Scenario::Me],
        ScenarioArg::All => &[Scenario::Tenant, Scenario::Me],
    };
    let via = ep
        .resolve
        .as_ref()
        .map(|(_, addr)| format!(" via {addr}"))
        .unwrap_or_default();
    eprintln!(
        "wspolnota-bench: POST {}{via}, concurrency {}, {} s warm-up + {} s per scenario",
        ep.url, args.concurrency, args.warmup_secs, args.duration_secs
    );

    let mut results = Vec::new();
    for &scenario in scenarios {
        let result = run_scenario(&args, &client, &ep.url, scenario).await?;
        if results.is_empty() {
            print_header();
        }
        print_row(&result);
        results.push(result);
    }
    for result in &results {
        print_notes(result);
    }

    if let Some(path) = &args.json {
        let report = json!({
            "tool": "wspolnota-bench",
            "version": env!("CARGO_PKG_VERSION"),
            "target": args.target,
            "host": args.host,
            "url": ep.url.as_str(),
            "concurrency": args.concurrency,
            "warmup_secs": args.warmup_secs,
            "duration_secs": args.duration_secs,
            "max_requests": args.max_requests,
            "latency_note": "latency percentiles are over successful requests only",
            "scenarios": results.iter().map(ScenarioResult::to_json).collect::<Vec<_>>(),
        });
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_data() {
        assert!(check_graphql(r#"{"data":{"tenant":{"name":"Zamość"}}}"#.as_bytes()).is_ok());
        assert!(check_graphql(br#"{"data":{}}"#).is_ok());
    }

    #[test]
    fn rejects_errors_key_even_with_data() {
        let failure = check_graphql(br#"{"data":{"me":{"id":"1"}},"errors":[]}"#).unwrap_err();
        assert_eq!(failure.kind, FailKind::Graphql);
    }

    #[test]
    fn rejects_null_fields_and_missing_data() {
        assert_eq!(
            check_graphql(br#"{"data":{"me":null}}"#).unwrap_err().kind,
            FailKind::Body
        );
        assert_eq!(
            check_graphql(br#"{"data":null}"#).unwrap_err().kind,
            FailKind::Body
        );
        assert_eq!(check_graphql(b"[]").unwrap_err().kind, FailKind::Body);
        assert_eq!(check_graphql(b"<html>").unwrap_err().kind, FailKind::Body);
    }

    #[tokio::test]
    async fn endpoint_keeps_target_port_and_resolves_tenant_host() {
        let ep = endpoint("http://127.0.0.1:18080/x?y", "Zamosc.localhost")
            .await
            .unwrap();
        assert_eq!(ep.url.as_str(), "http://zamosc.localhost:18080/graphql");
        let (host, addr) = ep.resolve.unwrap();
        assert_eq!(host, "zamosc.localhost");
        assert_eq!(addr, "127.0.0.1:18080".parse::<SocketAddr>().unwrap());
    }

    #[tokio::test]
    async fn endpoint_rejects_a_host_with_a_port() {
        assert!(
            endpoint("http://127.0.0.1:8080", "zamosc.localhost:8080")
                .await
                .is_err()
        );
    }
}
