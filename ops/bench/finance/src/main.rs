//! `wspolnota-bench-finance`: how long the finance e-service's two heaviest reads take on a
//! big tenant, next to plain SQL on the same data in the same run.
//!
//! 1. Signs in the bench residents (`bench-0001@zamosc.test` …, each linked to one party) and
//!    the finance clerk, through the login mutation.
//! 2. `account`: N requests of the resident account query (party, virtual accounts, balance,
//!    obligations with installments, history), C at a time, cycling over the residents.
//! 3. `sql-account`: the same N over the same parties, C at a time, as one plain SQL query
//!    (installments joined with their obligations, by party) on a pool of its own.
//! 4. `arrears`: M requests of the clerk's arrears list (`arrears(asOf, limit: 50)`).
//! 5. `sql-arrears`: M runs of a plain `GROUP BY party_id … ORDER BY sum DESC LIMIT 50`.
//!
//! Prints a markdown table (platform p50 ÷ SQL p50 is the figure to follow) and writes JSON.
//! Requests are bounded in count; every response is checked (HTTP 200, no `errors`, the
//! field present). The server must trust `X-Forwarded-For` (`WSPOLNOTA_TRUST_PROXY_HEADERS`)
//! so that 1,000 sign-ins from 127.0.0.1 are not refused by the per-address login limit.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::Parser;
use hdrhistogram::Histogram;
use reqwest::Url;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use serde_json::{Value, json};

const HIST_MAX_MICROS: u64 = 600_000_000;
const MAX_REQUESTS: u64 = 1_000_000;

const LOGIN: &str = "mutation($e: String!, $p: String!) { auth { login(email: $e, password: $p) { accessToken } } }";

const ACCOUNT: &str = "query($id: ID!) { finance { account(partyId: $id) { \
    party { id number name kind peselMasked nip } \
    virtualAccounts { kind nrb } \
    balance { outstanding overdue interest costs overpayment } \
    obligations { id kind kindName title year amount outstanding \
        installments { id number dueDate amount outstanding interest status } } \
    history { date description amount balanceAfter } } } }";

const ARREARS: &str = "query($asOf: NaiveDate) { finance { arrears(asOf: $asOf, limit: 50) { \
    total { parties overdue } \
    items { party { id number name } overdue interest oldestDueDate } } } }";

#[derive(Parser, Debug)]
#[command(
    name = "wspolnota-bench-finance",
    version,
    about = "Resident account query and arrears list on a big tenant: p50/p99 next to plain SQL."
)]
struct Args {
    /// Where to connect (scheme, address, port); requests go to /graphql.
    #[arg(long, default_value = "http://127.0.0.1:18081")]
    target: String,
    /// Tenant host put in the URL (resolved to the target's address).
    #[arg(long, default_value = "zamosc.localhost")]
    host: String,
    /// The same database the server uses (PostgreSQL), for the SQL baseline.
    #[arg(long, env = "BENCH_DATABASE_URL")]
    database_url: String,
    /// The tenant's schema.
    #[arg(long, default_value = "t_zamosc")]
    schema: String,
    /// Concurrent requests of the account query (and of its SQL baseline).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Measured account queries (and as many SQL baseline queries).
    #[arg(long, default_value_t = 3000)]
    account_requests: u64,
    /// Measured arrears lists (and as many SQL baseline queries).
    #[arg(long, default_value_t = 40)]
    arrears_requests: u64,
    /// Concurrent arrears requests.
    #[arg(long, default_value_t = 2)]
    arrears_concurrency: usize,
    /// Unmeasured requests before each measured phase.
    #[arg(long, default_value_t = 50)]
    warmup: u64,
    /// The bench residents' e-mail addresses start with this.
    #[arg(long, default_value = "bench-")]
    account_prefix: String,
    /// Password of the bench residents and of the clerk.
    #[arg(long, default_value = "wspolnota-demo")]
    password: String,
    /// The finance clerk who lists arrears.
    #[arg(long, default_value = "skarbnik@zamosc.test")]
    clerk: String,
    /// Day of the arrears list [default: today].
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Sign-ins in parallel (argon2 is CPU-bound).
    #[arg(long, default_value_t = 2)]
    login_concurrency: usize,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Latencies and errors of one measured phase.
struct Phase {
    name: &'static str,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    hist: Histogram<u64>,
    /// Rows (SQL) or response bytes (HTTP) of all successful requests.
    volume: u64,
}

impl Phase {
    fn ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            0.0
        } else {
            self.hist.value_at_quantile(q) as f64 / 1000.0
        }
    }

    fn per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.ok + self.errors) as f64 / secs
        } else {
            0.0
        }
    }

    fn to_json(&self, volume_name: &str) -> Value {
        json!({
            "phase": self.name,
            "requests": self.ok + self.errors,
            "errors": self.errors,
            "first_error": self.first_error,
            "elapsed_secs": round3(self.elapsed.as_secs_f64()),
            "requests_per_sec": round3(self.per_sec()),
            "latency_ms": {
                "p50": round3(self.ms(0.50)),
                "p90": round3(self.ms(0.90)),
                "p99": round3(self.ms(0.99)),
                "max": round3(self.ms(1.0)),
                "mean": round3(if self.hist.is_empty() { 0.0 } else { self.hist.mean() / 1000.0 }),
            },
            volume_name: self.volume.checked_div(self.ok).unwrap_or(0),
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Runs `f(i)` for i in 0..n, `concurrency` at a time; `f` returns the volume of a success.
async fn measure<F, Fut>(name: &'static str, n: u64, concurrency: usize, f: F) -> Result<Phase>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, String>> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (f, next) = (Arc::clone(&f), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, HIST_MAX_MICROS, 3)?;
            let (mut ok, mut errors, mut volume, mut first_error) = (0u64, 0u64, 0u64, None);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let start = Instant::now();
                match f(i).await {
                    Ok(v) => {
                        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                        hist.saturating_record(micros.max(1));
                        ok += 1;
                        volume += v;
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            anyhow::Ok((hist, ok, errors, volume, first_error))
        }));
    }
    let mut phase = Phase {
        name,
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        hist: Histogram::new_with_bounds(1, HIST_MAX_MICROS, 3)?,
        volume: 0,
    };
    for task in tasks {
        let (hist, ok, errors, volume, first_error) = task.await.context("a worker panicked")??;
        phase
            .hist
            .add(&hist)
            .map_err(|e| anyhow!("merging histograms: {e:?}"))?;
        phase.ok += ok;
        phase.errors += errors;
        phase.volume += volume;
        if phase.first_error.is_none() {
            phase.first_error = first_error;
        }
    }
    phase.elapsed = started.elapsed();
    Ok(phase)
}

/// The GraphQL endpoint with the tenant host, and a client that connects it to the target.
async fn client(args: &Args, pool: usize) -> Result<(reqwest::Client, Url)> {
    let target = Url::parse(&args.target).context("--target is not a URL")?;
    let port = target
        .port_or_known_default()
        .ok_or_else(|| anyhow!("--target has no port"))?;
    let target_host = target
        .host_str()
        .ok_or_else(|| anyhow!("--target has no host"))?
        .to_owned();
    let addr = tokio::net::lookup_host((target_host.as_str(), port))
        .await?
        .next()
        .ok_or_else(|| anyhow!("{target_host} resolves to no address"))?;
    let mut url = target.clone();
    url.set_path("/graphql");
    url.set_host(Some(&args.host))
        .context("--host is not a host name")?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_secs(args.timeout_secs))
        .resolve(&args.host, addr)
        .build()?;
    Ok((http, url))
}

/// Posts a GraphQL request; Ok(body length) when the answer has `data` at `pointer` and no
/// errors.
async fn graphql(
    http: &reqwest::Client,
    url: &Url,
    token: Option<&str>,
    forwarded_for: Option<&str>,
    query: &str,
    variables: Value,
    pointer: &str,
) -> Result<(Value, u64), String> {
    let mut request = http
        .post(url.clone())
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(f) = forwarded_for {
        request = request.header("x-forwarded-for", f);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let text = || {
        String::from_utf8_lossy(&body)
            .chars()
            .take(400)
            .collect::<String>()
    };
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", text()));
    }
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| format!("not JSON ({e}): {}", text()))?;
    if value.get("errors").is_some() {
        return Err(format!("GraphQL errors: {}", text()));
    }
    if value.pointer(pointer).is_none_or(Value::is_null) {
        return Err(format!("no {pointer}: {}", text()));
    }
    Ok((value, body.len() as u64))
}

async fn login(
    http: &reqwest::Client,
    url: &Url,
    email: &str,
    password: &str,
    forwarded_for: &str,
) -> Result<String> {
    let (value, _) = graphql(
        http,
        url,
        None,
        Some(forwarded_for),
        LOGIN,
        json!({ "e": email, "p": password }),
        "/data/auth/login/accessToken",
    )
    .await
    .map_err(|e| anyhow!("sign-in as {email}: {e}"))?;
    value
        .pointer("/data/auth/login/accessToken")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("sign-in as {email}: no token"))
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await?
        .ok_or_else(|| anyhow!("no row: {sql}"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

fn table(phases: &[&Phase]) -> String {
    let mut out = String::from(
        "| phase | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in phases {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            p.name,
            p.ok + p.errors,
            p.errors,
            p.per_sec(),
            p.ms(0.5),
            p.ms(0.9),
            p.ms(0.99),
            p.ms(1.0)
        ));
    }
    out
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { round3(a / b) } else { 0.0 }
}

#[tokio::main]
async fn main() -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    if !args
        .schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!("--schema must be a plain schema name");
    }
    if args.concurrency == 0 || args.arrears_concurrency == 0 || args.login_concurrency == 0 {
        bail!("concurrencies must be at least 1");
    }
    if args.account_requests > MAX_REQUESTS || args.arrears_requests > MAX_REQUESTS {
        bail!("at most {MAX_REQUESTS} requests per phase");
    }
    let schema = args.schema.clone();
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());

    // ------------------------------------------------------------ the data
    let mut opts = ConnectOptions::new(args.database_url.clone());
    opts.max_connections(u32::try_from(
        args.concurrency.max(args.arrears_concurrency) + 1,
    )?)
    .sqlx_logging(false);
    let db = Database::connect(opts)
        .await
        .context("connecting the database")?;
    let residents: Vec<(String, String)> = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT a.email, l.party_id::text FROM platform.accounts a \
                 JOIN {schema}.finance_party_links l ON l.account_id = a.id \
                 WHERE a.tenant = 'zamosc' AND a.email LIKE $1 ORDER BY a.email"
            ),
            [format!("{}%", args.account_prefix).into()],
        ))
        .await?
        .into_iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<String>(0)?,
                r.try_get_by_index::<String>(1)?,
            ))
        })
        .collect::<Result<_>>()?;
    if residents.is_empty() {
        bail!(
            "no accounts {}…@zamosc.test linked to parties",
            args.account_prefix
        );
    }
    let mut data = serde_json::Map::new();
    for (name, table) in [
        ("parties", "finance_parties"),
        ("obligations", "finance_obligations"),
        ("installments", "finance_installments"),
        ("ledger_entries", "ledger_entries"),
        ("ledger_lines", "ledger_lines"),
        ("payments", "finance_payments"),
    ] {
        let n = scalar_i64(&db, &format!("SELECT count(*) FROM {schema}.{table}")).await?;
        data.insert(name.to_owned(), json!(n));
    }
    let db_bytes = scalar_i64(&db, "SELECT pg_database_size(current_database())").await?;
    data.insert("database_bytes".into(), json!(db_bytes));
    let years = scalar_i64(
        &db,
        &format!("SELECT (max(year) - min(year) + 1)::bigint FROM {schema}.finance_obligations"),
    )
    .await?;
    data.insert("years".into(), json!(years));
    eprintln!("[bench-finance] data: {}", Value::Object(data.clone()));

    // ------------------------------------------------------------ sign-in
    let (http, url) = client(&args, args.concurrency.max(args.login_concurrency)).await?;
    let residents = Arc::new(residents);
    let tokens = Arc::new(std::sync::Mutex::new(vec![String::new(); residents.len()]));
    let login_phase = {
        let (http, url, password) = (http.clone(), url.clone(), args.password.clone());
        let (residents, tokens) = (Arc::clone(&residents), Arc::clone(&tokens));
        measure(
            "login",
            residents.len() as u64,
            args.login_concurrency,
            move |i| {
                let (http, url, password) = (http.clone(), url.clone(), password.clone());
                let (residents, tokens) = (Arc::clone(&residents), Arc::clone(&tokens));
                async move {
                    let idx = usize::try_from(i).map_err(|e| e.to_string())?;
                    let (email, _) = residents.get(idx).ok_or("no such resident")?;
                    // An address of its own per account: the sign-in limit is per client address.
                    let from = format!(
                        "127.{}.{}.{}",
                        100 + idx / 65_536,
                        idx / 256 % 256,
                        idx % 256
                    );
                    let token = login(&http, &url, email, &password, &from)
                        .await
                        .map_err(|e| e.to_string())?;
                    let mut list = tokens
                        .lock()
                        .map_err(|_| "token list poisoned".to_owned())?;
                    if let Some(slot) = list.get_mut(idx) {
                        *slot = token;
                    }
                    Ok(0)
                }
            },
        )
        .await?
    };
    if login_phase.errors > 0 {
        bail!(
            "{} of {} sign-ins failed; first: {}",
            login_phase.errors,
            residents.len(),
            login_phase.first_error.unwrap_or_default()
        );
    }
    let tokens: Arc<Vec<String>> = Arc::new(
        tokens
            .lock()
            .map_err(|_| anyhow!("token list poisoned"))?
            .clone(),
    );
    let clerk_token = login(&http, &url, &args.clerk, &args.password, "127.99.0.1").await?;
    eprintln!(
        "[bench-finance] signed in {} residents in {:.1} s, and the clerk",
        residents.len(),
        login_phase.elapsed.as_secs_f64()
    );

    // ------------------------------------------------------------ account query
    let account_call = {
        let (http, url) = (http.clone(), url.clone());
        let (residents, tokens) = (Arc::clone(&residents), Arc::clone(&tokens));
        move |i: u64| {
            let (http, url) = (http.clone(), url.clone());
            let (residents, tokens) = (Arc::clone(&residents), Arc::clone(&tokens));
            async move {
                let idx = usize::try_from(i).map_err(|e| e.to_string())? % residents.len();
                let (_, party) = residents.get(idx).ok_or("no such resident")?;
                let token = tokens.get(idx).ok_or("no token")?;
                graphql(
                    &http,
                    &url,
                    Some(token),
                    None,
                    ACCOUNT,
                    json!({ "id": party }),
                    "/data/finance/account/party",
                )
                .await
                .map(|(_, bytes)| bytes)
            }
        }
    };
    let account_call = Arc::new(account_call);
    let warm = {
        let call = Arc::clone(&account_call);
        measure("warm-up", args.warmup, args.concurrency, move |i| call(i)).await?
    };
    if warm.errors > 0 {
        bail!("account query: {}", warm.first_error.unwrap_or_default());
    }
    eprintln!(
        "[bench-finance] account query: {} requests, {} at a time",
        args.account_requests, args.concurrency
    );
    let account = {
        let call = Arc::clone(&account_call);
        measure(
            "account",
            args.account_requests,
            args.concurrency,
            move |i| call(i),
        )
        .await?
    };

    // ------------------------------------------------------------ the same in plain SQL
    let sql_account_call = {
        let (db, residents, schema) = (db.clone(), Arc::clone(&residents), schema.clone());
        Arc::new(move |i: u64| {
            let (db, residents, schema) = (db.clone(), Arc::clone(&residents), schema.clone());
            async move {
                let idx = usize::try_from(i).map_err(|e| e.to_string())? % residents.len();
                let (_, party) = residents.get(idx).ok_or("no such resident")?;
                let rows = db
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        format!(
                            "SELECT i.id, i.number, i.due_date, i.amount, i.outstanding, i.paid_on, \
                                    o.id AS obligation_id, o.kind_code, o.year, o.title, o.amount AS obligation_amount \
                             FROM {schema}.finance_installments i \
                             JOIN {schema}.finance_obligations o ON o.id = i.obligation_id \
                             WHERE i.party_id = $1::uuid \
                             ORDER BY o.year DESC, o.kind_code, i.due_date, i.number"
                        ),
                        [party.clone().into()],
                    ))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(rows.len() as u64)
            }
        })
    };
    {
        let call = Arc::clone(&sql_account_call);
        measure("warm-up", args.warmup, args.concurrency, move |i| call(i)).await?;
    }
    let sql_account = {
        let call = Arc::clone(&sql_account_call);
        measure(
            "sql-account",
            args.account_requests,
            args.concurrency,
            move |i| call(i),
        )
        .await?
    };

    // ------------------------------------------------------------ arrears list
    let arrears_call = {
        let (http, url, token) = (http.clone(), url.clone(), clerk_token.clone());
        Arc::new(move |_: u64| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move {
                graphql(
                    &http,
                    &url,
                    Some(&token),
                    None,
                    ARREARS,
                    json!({ "asOf": as_of }),
                    "/data/finance/arrears/items",
                )
                .await
                .map(|(_, bytes)| bytes)
            }
        })
    };
    let arrears_warm = {
        let call = Arc::clone(&arrears_call);
        measure("warm-up", 2, 1, move |i| call(i)).await?
    };
    let arrears = if arrears_warm.errors > 0 {
        eprintln!(
            "[bench-finance] arrears list not measured: {}",
            arrears_warm.first_error.clone().unwrap_or_default()
        );
        None
    } else {
        eprintln!(
            "[bench-finance] arrears list: {} requests, {} at a time",
            args.arrears_requests, args.arrears_concurrency
        );
        let call = Arc::clone(&arrears_call);
        Some(
            measure(
                "arrears",
                args.arrears_requests,
                args.arrears_concurrency,
                move |i| call(i),
            )
            .await?,
        )
    };
    let sql_arrears = {
        let (db, schema) = (db.clone(), schema.clone());
        let call = Arc::new(move |_: u64| {
            let (db, schema) = (db.clone(), schema.clone());
            async move {
                let rows = db
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        format!(
                            "SELECT party_id, sum(outstanding) AS overdue, min(due_date) AS oldest \
                             FROM {schema}.finance_installments \
                             WHERE due_date < $1 AND outstanding > 0 \
                             GROUP BY party_id ORDER BY overdue DESC, party_id LIMIT 50"
                        ),
                        [as_of.into()],
                    ))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(rows.len() as u64)
            }
        });
        let warm = Arc::clone(&call);
        measure("warm-up", 2, 1, move |i| warm(i)).await?;
        measure(
            "sql-arrears",
            args.arrears_requests,
            args.arrears_concurrency,
            move |i| call(i),
        )
        .await?
    };

    // ------------------------------------------------------------ report
    let mut phases = vec![&account, &sql_account];
    if let Some(a) = &arrears {
        phases.push(a);
    }
    phases.push(&sql_arrears);
    println!(
        "## wspolnota finance bench {}\n\n{} parties, {} obligations, {} installments, {} journal lines over {} years; database {:.2} GB. \
         Account query: {} residents (one party each), {} at a time; arrears list as of {as_of}, {} at a time.\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        data["parties"],
        data["obligations"],
        data["installments"],
        data["ledger_lines"],
        years,
        db_bytes as f64 / 1e9,
        residents.len(),
        args.concurrency,
        args.arrears_concurrency,
    );
    print!("{}", table(&phases));
    let account_ratio = (
        ratio(account.ms(0.5), sql_account.ms(0.5)),
        ratio(account.ms(0.99), sql_account.ms(0.99)),
    );
    println!(
        "\naccount ÷ SQL: p50 {:.1}×, p99 {:.1}×",
        account_ratio.0, account_ratio.1
    );
    let arrears_ratio = arrears.as_ref().map(|a| {
        (
            ratio(a.ms(0.5), sql_arrears.ms(0.5)),
            ratio(a.ms(0.99), sql_arrears.ms(0.99)),
        )
    });
    match arrears_ratio {
        Some((p50, p99)) => println!("arrears ÷ SQL: p50 {p50:.1}×, p99 {p99:.1}×"),
        None => println!("arrears: not measured (the query failed: see stderr)"),
    }
    let errors = account.errors
        + arrears.as_ref().map_or(0, |a| a.errors)
        + sql_account.errors
        + sql_arrears.errors;
    if let Some(path) = &args.json {
        let report = json!({
            "date": chrono::Utc::now().to_rfc3339(),
            "host": args.host,
            "as_of": as_of,
            "concurrency": args.concurrency,
            "arrears_concurrency": args.arrears_concurrency,
            "residents": residents.len(),
            "data": Value::Object(data),
            "login": { "accounts": residents.len(), "elapsed_secs": round3(login_phase.elapsed.as_secs_f64()) },
            "phases": {
                "account": account.to_json("response_bytes"),
                "sql_account": sql_account.to_json("rows"),
                "arrears": arrears.as_ref().map(|a| a.to_json("response_bytes")),
                "sql_arrears": sql_arrears.to_json("rows"),
            },
            "ratios": {
                "account_p50": account_ratio.0,
                "account_p99": account_ratio.1,
                "arrears_p50": arrears_ratio.map(|r| r.0),
                "arrears_p99": arrears_ratio.map(|r| r.1),
            },
            "errors": errors,
        });
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if errors > 0 {
        bail!("{errors} requests failed: the figures are not valid");
    }
    Ok(())
}
