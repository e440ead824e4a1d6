//! `wspolnota-bench-payments`: start-payment and notification-processing throughput of the
//! payments e-service, at the service level and in-process (no HTTP server), on SQLite and on
//! PostgreSQL, next to plain SQL of comparable work on the same backend in the same run.
//!
//! Per backend: a fresh store (a temporary folder of SQLite files, or a fresh PostgreSQL
//! database dropped at the end) with the tenant `zamosc` from the repository's `tenants/`,
//! migrated (core, finance, payments) and provisioned (the fee catalogue); N parties, each
//! with a property-tax assessment (4 installments) and a resident account linked to it. Then,
//! with C concurrent tasks:
//!
//! 1. `start` — `service::start::start` through the sandbox gateway for one installment of
//!    each party, with an Idempotency-Key, as that party's resident;
//! 2. `notify` — for each started payment (the sandbox order approved beforehand, untimed):
//!    `inbox::receive` of the signed sandbox notification, then `inbox::process`, which asks
//!    the sandbox, moves the payment to `succeeded` and posts it on the finance ledger;
//! 3. baselines: per operation one transaction of plain SQL on the same connection path —
//!    `start`: INSERT of a payment row, INSERT of its event, UPDATE of an installment row;
//!    `notify`: INSERT of an inbox row, UPDATE of the payment row.
//!
//! Markdown on stdout, progress on stderr, JSON to `--json`. Exits 1 if any operation failed.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DbBackend, EntityTrait, Set, Statement, Value,
};
use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::value::Pesel;
use wspolnota_core::{
    AccountId, Actor, ClerkScope, Ctx, EService, MemoryKv, RequestId, Role, Roles, Scope, Services,
    SystemClock, Tenant, TenantConnector, TenantStatus,
};
use wspolnota_db::{DbSettings, Store};
use wspolnota_finance::rules::NationalRules;
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_finance::{Finance, FinanceService};
use wspolnota_payments::entity::sandbox_order;
use wspolnota_payments::gateways::sandbox::{Decision, SIGNATURE_HEADER, sign};
use wspolnota_payments::service::inbox::{self, Processed};
use wspolnota_payments::service::start::{self, StartInput};
use wspolnota_payments::service::{Links, sandbox};
use wspolnota_payments::state::PaymentStatus;
use wspolnota_payments::{GatewayKind, Payments};

const HIST_MAX_MICROS: u64 = 120_000_000;
const SLUG: &str = "zamosc";
const FEE_KIND: &str = "property_tax_person";
const ASSESSED: &str = "1200.00";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "wspolnota-bench-payments",
    about = "Start-payment and notification-processing throughput (service level, in-process) on SQLite and PostgreSQL, next to plain SQL."
)]
struct Args {
    /// Parties (each gets an assessment, a resident account, one payment and one notification).
    #[arg(long, env = "BENCH_PAY_PARTIES", default_value_t = 2000)]
    parties: usize,
    /// Concurrent tasks, for every measured operation and its baseline.
    #[arg(long, env = "BENCH_PAY_CONCURRENCY", default_value_t = 8)]
    concurrency: usize,
    /// Concurrent tasks on SQLite only (default: --concurrency); SQLite has one writer at a
    /// time, so this shows what the concurrency itself costs there.
    #[arg(long, env = "BENCH_PAY_SQLITE_CONCURRENCY")]
    sqlite_concurrency: Option<usize>,
    /// Which backends to measure.
    #[arg(long, env = "BENCH_PAY_BACKENDS", value_enum, default_value = "both")]
    backends: Backends,
    /// PostgreSQL host:port (user postgres, no password).
    #[arg(long, env = "BENCH_PG", default_value = "127.0.0.1:5432")]
    pg: String,
    /// The PostgreSQL database to create (dropped first if it exists, and at the end).
    #[arg(long, env = "BENCH_PAY_DATABASE", default_value = "wsp_bench_pay")]
    database: String,
    /// PostgreSQL pool size of the store.
    #[arg(long, env = "BENCH_PAY_PG_CONNECTIONS", default_value_t = 16)]
    pg_connections: u32,
    /// The folder with `zamosc.toml` (default: the repository's `tenants/`).
    #[arg(long, env = "BENCH_PAY_TENANTS_DIR")]
    tenants_dir: Option<PathBuf>,
    /// Where to write the JSON results (default: ops/bench/results/payments-latest.json).
    #[arg(long, env = "BENCH_PAY_JSON")]
    json: Option<PathBuf>,
}

fn log(msg: impl std::fmt::Display) {
    eprintln!("[bench-payments] {msg}");
}

/// A service error with its whole chain of causes (the platform's own message hides them).
fn app<E: std::error::Error + Send + Sync + 'static>(
    e: E,
    what: impl std::fmt::Display + Send + Sync + 'static,
) -> anyhow::Error {
    anyhow::Error::new(e).context(what)
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let code = match run(Args::parse()).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            log(format!("error: {e:#}"));
            2
        }
    };
    std::process::exit(code);
}

/// Ok(false): measured, but some operation failed.
async fn run(args: Args) -> Result<bool> {
    if args.parties == 0 || args.concurrency == 0 || args.sqlite_concurrency == Some(0) {
        bail!("--parties and --concurrency must be positive");
    }
    if !args
        .database
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bail!("--database must be lowercase letters, digits and '_'");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tenants_dir = args
        .tenants_dir
        .clone()
        .unwrap_or_else(|| repo_root().join("tenants"));
    let toml_path = tenants_dir.join(format!("{SLUG}.toml"));
    let toml_text = std::fs::read_to_string(&toml_path)
        .with_context(|| format!("reading {}", toml_path.display()))?;

    let backends: &[&str] = match args.backends {
        Backends::Sqlite => &["sqlite"],
        Backends::Postgres => &["postgres"],
        Backends::Both => &["sqlite", "postgres"],
    };
    let mut rows = Vec::new();
    let mut pg_version = None;
    for backend in backends {
        let (store, cleanup) = match *backend {
            "sqlite" => {
                let dir = std::env::temp_dir().join(format!("wsp-bench-pay-{}", Uuid::new_v4()));
                let store = Store::connect(&DbSettings::Sqlite {
                    data_dir: dir.clone(),
                })
                .await
                .map_err(|e| anyhow!("SQLite store in {}: {e}", dir.display()))?;
                (store, Cleanup::Dir(dir))
            }
            _ => {
                let admin_url = format!("postgres://postgres@{}/postgres", args.pg);
                let admin = Database::connect(admin_url.clone())
                    .await
                    .with_context(|| format!("connecting to {admin_url}"))?;
                let version = admin
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SHOW server_version",
                    ))
                    .await?
                    .map(|r| r.try_get::<String>("", "server_version"))
                    .transpose()?;
                pg_version = version;
                let db = &args.database;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {db}"))
                    .await?;
                let url = format!("postgres://postgres@{}/{db}", args.pg);
                let store = Store::connect(&DbSettings::Postgres {
                    url,
                    max_connections: args.pg_connections,
                })
                .await
                .map_err(|e| app(e, "PostgreSQL store"))?;
                (
                    store,
                    Cleanup::Database {
                        admin,
                        name: db.clone(),
                    },
                )
            }
        };
        let measured = bench_backend(&args, backend, store, &toml_text).await;
        cleanup.run().await;
        rows.extend(measured?);
    }

    print_table(&args, &rows);
    let ok = rows.iter().all(|r| r.failed == 0);
    let path = args
        .json
        .clone()
        .unwrap_or_else(|| repo_root().join("ops/bench/results/payments-latest.json"));
    let doc = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "tenant": SLUG,
        "parties": args.parties,
        "concurrency": args.concurrency,
        "sqlite_concurrency": args.sqlite_concurrency.unwrap_or(args.concurrency),
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "postgresql": pg_version,
        },
        "results": rows.iter().map(Row::json).collect::<Vec<_>>(),
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    log(format!("wrote {}", path.display()));
    if !ok {
        log("some operations failed: the results are not valid");
    }
    Ok(ok)
}

enum Cleanup {
    Dir(PathBuf),
    Database {
        admin: sea_orm::DatabaseConnection,
        name: String,
    },
}

impl Cleanup {
    async fn run(self) {
        match self {
            Self::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Database { admin, name } => {
                if let Err(e) = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                {
                    log(format!("could not drop database {name}: {e}"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The tenant and its data.
// ---------------------------------------------------------------------------------------

struct Env {
    store: Arc<Store>,
    tenant: Arc<Tenant>,
    services: Services,
    payments: Payments,
}

impl Env {
    fn ctx(&self, actor: Actor) -> Ctx {
        Ctx::new(
            Scope::Tenant(self.tenant.clone()),
            actor,
            RequestId::new(),
            self.services.clone(),
        )
    }

    fn account(&self, id: AccountId, role: Role) -> Ctx {
        self.ctx(Actor::Account {
            id,
            roles: Roles::new(vec![role]),
            session: Uuid::now_v7().to_string(),
        })
    }

    fn backend(&self) -> DbBackend {
        if self.store.backend_name() == "postgres" {
            DbBackend::Postgres
        } else {
            DbBackend::Sqlite
        }
    }

    /// One transaction of plain statements on the tenant's data, through the same connection
    /// path as the services (`SET LOCAL search_path` on PostgreSQL, the tenant file on SQLite).
    async fn sql_tx(&self, statements: Vec<(&str, Vec<Value>)>) -> Result<()> {
        let backend = self.backend();
        let tx = TenantConnector::begin(&*self.store, self.tenant.slug())
            .await
            .map_err(|e| app(e, "payments"))?;
        for (sql, values) in statements {
            let sql = placeholders(backend, sql);
            tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `$1, $2, …` for PostgreSQL; `?` for SQLite (the numbers must appear in order).
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// What the resident pays: one party, its account, the installment chosen.
#[derive(Clone)]
struct Payer {
    party: Uuid,
    account: AccountId,
    installment: Uuid,
    /// The id of this payer's row in the baselines' scratch table.
    baseline_id: String,
}

/// A valid PESEL for the i-th party: born on 1985-01-01 plus i / 10,000 days, serial i % 10,000.
fn pesel(i: usize) -> Result<String> {
    let days = i64::try_from(i / 10_000)?;
    let born = chrono::NaiveDate::from_ymd_opt(1985, 1, 1)
        .ok_or_else(|| anyhow!("date"))?
        .checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| anyhow!("date"))?;
    let first10 = format!("{}{:04}", born.format("%y%m%d"), i % 10_000);
    let check = Pesel::check_digit(&first10).ok_or_else(|| anyhow!("PESEL {first10}"))?;
    Ok(format!("{first10}{check}"))
}

async fn setup(args: &Args, store: Arc<Store>, toml_text: &str) -> Result<(Arc<Env>, Vec<Payer>)> {
    let config = TenantConfig::from_toml(
        &format!("{SLUG}.toml"),
        toml_text,
        &["finance", "payments", "statements", "notifications"],
    )
    .map_err(|e| app(e, "tenant file"))?;
    store
        .migrate_tenant(&config.slug)
        .await
        .map_err(|e| app(e, "migrating the tenant"))?;
    let finance = Finance::new(
        NationalRules::embedded().map_err(|e| app(e, "national rules"))?,
        b"bench-pepper-bench-pepper-bench-pepper".to_vec(),
    );
    let payments = Payments::new(
        finance.clone(),
        Arc::new(|_: &str| None),
        b"bench-sandbox-key-bench-sandbox-key".to_vec(),
        Links {
            scheme: "http".into(),
            base_domain: "localhost".into(),
            local_addr: std::sync::OnceLock::new(),
        },
    )
    .map_err(|e| app(e, "payments"))?;
    let connector: Arc<dyn TenantConnector> = store.clone();
    let env = Arc::new(Env {
        store,
        tenant: Arc::new(Tenant::new(config, TenantStatus::Active)),
        services: Services::new(
            connector,
            Arc::new(MemoryKv::default()),
            Arc::new(SystemClock),
        ),
        payments,
    });
    FinanceService(finance.clone())
        .provision(&env.ctx(Actor::System))
        .await
        .map_err(|e| app(e, "provisioning finance"))?;

    // Not measured.
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let next = Arc::new(AtomicUsize::new(0));
    let payers = Arc::new(Mutex::new(vec![None; args.parties]));
    // Parties one at a time: their numbers are taken as max + 1, and concurrent registrations
    // collide on it (a unique violation on PostgreSQL).
    let clerk = env.account(AccountId::new(), Role::Clerk(ClerkScope::Finance));
    let mut party_ids = Vec::with_capacity(args.parties);
    for i in 0..args.parties {
        let party = parties::create_party(
            &finance,
            &clerk,
            NewParty {
                kind: PartyKind::Person,
                name: format!("Mieszkaniec {i}"),
                pesel: Some(pesel(i)?),
                nip: None,
                regon: None,
                krs: None,
                address: AddressInput::default(),
                email: None,
                phone: None,
            },
        )
        .await
        .map_err(|e| app(e, format!("party {i}")))?;
        party_ids.push(party.id);
    }
    let party_ids = Arc::new(party_ids);

    // Assessments and links, concurrently.
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (env, next, payers, finance, party_ids) = (
            env.clone(),
            next.clone(),
            payers.clone(),
            finance.clone(),
            party_ids.clone(),
        );
        let n = args.parties;
        tasks.push(tokio::spawn(async move {
            let clerk = env.account(AccountId::new(), Role::Clerk(ClerkScope::Finance));
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                let party = party_ids[i];
                let assessed = assess::assess(
                    &finance,
                    &clerk,
                    NewAssessment {
                        party_id: party,
                        kind: FEE_KIND.into(),
                        year,
                        title: format!("Podatek od nieruchomości {year}"),
                        reference: None,
                        amount: wspolnota_core::Money::parse(ASSESSED)
                            .map_err(|e| app(e, "payments"))?,
                        installments: None,
                        key: None,
                    },
                )
                .await
                .map_err(|e| app(e, format!("assessment of party {i}")))?;
                // The last installment: the one most likely still open, as a payer would pick.
                let installment = assessed
                    .installments
                    .iter()
                    .max_by_key(|x| x.number)
                    .ok_or_else(|| anyhow!("assessment of party {i} has no installments"))?
                    .id;
                let account = AccountId::new();
                parties::clerk_link(&clerk, account, party)
                    .await
                    .map_err(|e| app(e, format!("link of party {i}")))?;
                payers.lock().await[i] = Some(Payer {
                    party,
                    account,
                    installment,
                    baseline_id: Uuid::new_v4().to_string(),
                });
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let payers = std::mem::take(&mut *payers.lock().await)
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow!("a party was not set up"))?;
    Ok((env, payers))
}

// ---------------------------------------------------------------------------------------
// Measuring.
// ---------------------------------------------------------------------------------------

struct Row {
    backend: String,
    operation: &'static str,
    concurrency: usize,
    count: usize,
    failed: usize,
    first_error: Option<String>,
    secs: f64,
    hist: Histogram<u64>,
    baseline: Option<Box<Row>>,
}

impl Row {
    fn ops_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            (self.count - self.failed) as f64 / self.secs
        } else {
            0.0
        }
    }

    fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    /// Baseline ops/s ÷ measured ops/s: how many plain-SQL operations fit in the time of one.
    fn ratio(&self) -> Option<f64> {
        let b = self.baseline.as_ref()?;
        let own = self.ops_per_sec();
        (own > 0.0).then(|| b.ops_per_sec() / own)
    }

    fn json(&self) -> serde_json::Value {
        let base = |r: &Row| {
            json!({
                "count": r.count,
                "failed": r.failed,
                "first_error": r.first_error,
                "seconds": r.secs,
                "ops_per_sec": r.ops_per_sec(),
                "p50_ms": r.ms(0.5),
                "p99_ms": r.ms(0.99),
                "max_ms": r.hist.max() as f64 / 1000.0,
            })
        };
        let mut v = base(self);
        v["backend"] = json!(self.backend);
        v["operation"] = json!(self.operation);
        v["concurrency"] = json!(self.concurrency);
        v["baseline"] = self.baseline.as_deref().map(base).unwrap_or(json!(null));
        v["ratio_baseline_to_measured"] = json!(self.ratio());
        v
    }
}

/// Runs `op(i)` for i in 0..n with `concurrency` tasks pulling the next index, timing each.
async fn measure<F, Fut>(
    backend: &str,
    operation: &'static str,
    n: usize,
    concurrency: usize,
    op: F,
) -> Result<Row>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, HIST_MAX_MICROS, 3)?;
            let mut failed = 0usize;
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>((hist, failed, first_error));
                }
                let t = Instant::now();
                match op(i).await {
                    Ok(()) => {
                        let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                        hist.saturating_record(us.max(1));
                    }
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| format!("#{i}: {e:#}"));
                    }
                }
            }
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, HIST_MAX_MICROS, 3)?;
    let (mut failed, mut first_error) = (0, None);
    for t in tasks {
        let (h, f, e) = t.await??;
        hist.add(&h)?;
        failed += f;
        if first_error.is_none() {
            first_error = e;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let row = Row {
        backend: backend.to_owned(),
        operation,
        concurrency,
        count: n,
        failed,
        first_error,
        secs,
        hist,
        baseline: None,
    };
    log(format!(
        "{backend} {operation}: {n} in {secs:.2} s = {:.1}/s, p50 {:.2} ms, p99 {:.2} ms{}",
        row.ops_per_sec(),
        row.ms(0.5),
        row.ms(0.99),
        if failed > 0 {
            format!(
                ", {failed} FAILED (first: {})",
                row.first_error.as_deref().unwrap_or("")
            )
        } else {
            String::new()
        }
    ));
    Ok(row)
}

async fn bench_backend(
    args: &Args,
    backend: &str,
    store: Arc<Store>,
    toml_text: &str,
) -> Result<Vec<Row>> {
    let n = args.parties;
    let c = if backend == "sqlite" {
        args.sqlite_concurrency.unwrap_or(args.concurrency)
    } else {
        args.concurrency
    };
    log(format!(
        "{backend}: setting up {SLUG} with {n} parties, assessments and residents"
    ));
    let t = Instant::now();
    let (env, payers) = setup(args, store, toml_text).await?;
    let payers = Arc::new(payers);
    log(format!(
        "{backend}: set up in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // Scratch tables of the baselines, in the tenant's schema (or file).
    env.sql_tx(vec![
        (
            "CREATE TABLE bench_payments (id TEXT PRIMARY KEY, party_id TEXT NOT NULL, \
             account_id TEXT NOT NULL, status TEXT NOT NULL, amount BIGINT NOT NULL, \
             description TEXT NOT NULL, idempotency_key TEXT UNIQUE, created_at TEXT NOT NULL, \
             updated_at TEXT NOT NULL)",
            vec![],
        ),
        (
            "CREATE TABLE bench_events (id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, \
             event TEXT NOT NULL, detail TEXT, at TEXT NOT NULL)",
            vec![],
        ),
        (
            "CREATE TABLE bench_installments (id TEXT PRIMARY KEY, locked_by TEXT, \
             locked_at TEXT)",
            vec![],
        ),
        (
            "CREATE TABLE bench_inbox (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, \
             payment_id TEXT NOT NULL, body TEXT NOT NULL, received_at TEXT NOT NULL)",
            vec![],
        ),
    ])
    .await?;
    for chunk in payers.chunks(500) {
        let mut stmts = Vec::new();
        for p in chunk {
            stmts.push((
                "INSERT INTO bench_installments (id) VALUES ($1)",
                vec![Value::from(p.installment.to_string())],
            ));
        }
        env.sql_tx(stmts).await?;
    }

    // 1. Baseline of start, then start.
    let base_start = {
        let (env, payers) = (env.clone(), payers.clone());
        measure(backend, "sql-start", n, c, move |i| {
            let (env, payers) = (env.clone(), payers.clone());
            async move {
                let p = &payers[i];
                let id = p.baseline_id.clone();
                let now = chrono::Utc::now().to_rfc3339();
                env.sql_tx(vec![
                    (
                        "INSERT INTO bench_payments (id, party_id, account_id, status, amount, \
                         description, idempotency_key, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'started', $4, $5, $6, $7, $8)",
                        vec![
                            id.clone().into(),
                            p.party.to_string().into(),
                            p.account.to_string().into(),
                            30_000i64.into(),
                            format!("{FEE_KIND}, rata 4").into(),
                            format!("{}:bench-{i}", p.account).into(),
                            now.clone().into(),
                            now.clone().into(),
                        ],
                    ),
                    (
                        "INSERT INTO bench_events (id, payment_id, event, detail, at) \
                         VALUES ($1, $2, 'created', '{}', $3)",
                        vec![Uuid::new_v4().to_string().into(), id.clone().into(), now.clone().into()],
                    ),
                    (
                        "UPDATE bench_installments SET locked_by = $1, locked_at = $2 WHERE id = $3",
                        vec![id.into(), now.into(), p.installment.to_string().into()],
                    ),
                ])
                .await
            }
        })
        .await?
    };

    let started: Arc<Mutex<Vec<Option<Uuid>>>> = Arc::new(Mutex::new(vec![None; n]));
    let mut start_row = {
        let (env, payers, started) = (env.clone(), payers.clone(), started.clone());
        measure(backend, "start", n, c, move |i| {
            let (env, payers, started) = (env.clone(), payers.clone(), started.clone());
            async move {
                let p = &payers[i];
                let ctx = env.account(p.account, Role::Resident);
                let out = start::start(
                    &env.payments,
                    &ctx,
                    StartInput {
                        installment_ids: vec![p.installment],
                        party_id: Some(p.party),
                        gateway: Some(GatewayKind::Sandbox),
                        idempotency_key: Some(format!("bench-{i}")),
                        ..StartInput::default()
                    },
                )
                .await
                .map_err(|e| app(e, "start"))?;
                if out.replayed || out.payment.status != PaymentStatus::Started.as_str() {
                    bail!(
                        "start: payment {} is {} (replayed: {})",
                        out.payment.id,
                        out.payment.status,
                        out.replayed
                    );
                }
                started.lock().await[i] = Some(out.payment.id);
                Ok(())
            }
        })
        .await?
    };
    start_row.baseline = Some(Box::new(base_start));

    // The payer approves every started payment at the sandbox (not measured); the signed
    // notifications are built as the sandbox sends them.
    let ids: Vec<Uuid> = started.lock().await.iter().flatten().copied().collect();
    log(format!(
        "{backend}: approving {} payments at the sandbox",
        ids.len()
    ));
    let key = env
        .payments
        .sandbox_key(&env.ctx(Actor::System))
        .map_err(|e| app(e, "payments"))?;
    let mut notices = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let tx = TenantConnector::begin(&*env.store, env.tenant.slug())
            .await
            .map_err(|e| app(e, "payments"))?;
        for id in chunk {
            let order = sandbox_order::Entity::find_by_id(*id)
                .one(&tx)
                .await?
                .ok_or_else(|| anyhow!("no sandbox order for payment {id}"))?;
            let mut active: sandbox_order::ActiveModel = order.into();
            active.decision = Set(Some(Decision::Approve.as_str().to_owned()));
            active.decided_at = Set(Some(chrono::Utc::now()));
            let order = active.update(&tx).await?;
            let notice =
                sandbox::notice(&order, Decision::Approve).map_err(|e| app(e, "payments"))?;
            let body = serde_json::to_vec(&notice)?;
            let signature = sign(&key, &body).map_err(|e| app(e, "payments"))?;
            notices.push((order.payment_id, order.amount, body, signature));
        }
        tx.commit().await?;
    }
    let notices = Arc::new(notices);
    let m = notices.len();

    // 2. Baseline of notification processing, then processing.
    let base_notify = {
        let (env, notices, payers) = (env.clone(), notices.clone(), payers.clone());
        measure(backend, "sql-notify", m, c, move |i| {
            let (env, notices, payers) = (env.clone(), notices.clone(), payers.clone());
            async move {
                let (payment, _, body, _) = &notices[i];
                let id = payers[i].baseline_id.clone();
                let now = chrono::Utc::now().to_rfc3339();
                env.sql_tx(vec![
                    (
                        "INSERT INTO bench_inbox (id, dedupe_key, payment_id, body, received_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                        vec![
                            Uuid::new_v4().to_string().into(),
                            Uuid::new_v4().to_string().into(),
                            payment.to_string().into(),
                            String::from_utf8_lossy(body).into_owned().into(),
                            now.clone().into(),
                        ],
                    ),
                    (
                        "UPDATE bench_payments SET status = 'succeeded', updated_at = $1 \
                         WHERE id = $2",
                        vec![now.clone().into(), id.clone().into()],
                    ),
                    (
                        "INSERT INTO bench_events (id, payment_id, event, detail, at) \
                         VALUES ($1, $2, 'succeeded', '{}', $3)",
                        vec![Uuid::new_v4().to_string().into(), id.into(), now.into()],
                    ),
                ])
                .await
            }
        })
        .await?
    };
    let mut notify_row = {
        let (env, notices) = (env.clone(), notices.clone());
        measure(backend, "notify", m, c, move |i| {
            let (env, notices) = (env.clone(), notices.clone());
            async move {
                let (payment, _, body, signature) = &notices[i];
                let ctx = env.ctx(Actor::Anonymous);
                let mut headers = http::HeaderMap::new();
                headers.insert(SIGNATURE_HEADER, http::HeaderValue::from_str(signature)?);
                headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                let received =
                    inbox::receive(&env.payments, &ctx, GatewayKind::Sandbox, &headers, body)
                        .await
                        .map_err(|e| app(e, "receive"))?;
                let processed = inbox::process(&env.payments, &ctx, received.id())
                    .await
                    .map_err(|e| app(e, "process"))?;
                if processed != Processed::Applied(PaymentStatus::Succeeded) {
                    bail!("payment {payment}: {processed:?}");
                }
                Ok(())
            }
        })
        .await?
    };
    notify_row.baseline = Some(Box::new(base_notify));

    // Every processed notification must have posted its payment on the finance ledger.
    let tx = TenantConnector::begin(&*env.store, env.tenant.slug())
        .await
        .map_err(|e| app(e, "counting"))?;
    let count = |sql: &str| {
        let stmt = Statement::from_string(env.backend(), sql.to_owned());
        let tx = &tx;
        async move {
            let row = tx
                .query_one_raw(stmt)
                .await?
                .ok_or_else(|| anyhow!("no count"))?;
            Ok::<i64, anyhow::Error>(row.try_get_by_index::<i64>(0)?)
        }
    };
    let posted = count(
        "SELECT COUNT(*) FROM pay_payments p JOIN finance_payments f \
         ON f.id = p.finance_payment_id WHERE p.status = 'succeeded'",
    )
    .await?;
    let finance_payments = count("SELECT COUNT(*) FROM finance_payments").await?;
    tx.commit().await?;
    let expected = i64::try_from(m - notify_row.failed)?;
    log(format!(
        "{backend}: {posted} payments succeeded and posted on the ledger \
         ({finance_payments} finance payments; expected {expected})"
    ));
    if posted != expected {
        notify_row.failed += 1;
        notify_row.first_error.get_or_insert_with(|| {
            format!("{posted} payments posted on the ledger, expected {expected}")
        });
    }
    Ok(vec![start_row, notify_row])
}

fn print_table(args: &Args, rows: &[Row]) {
    println!(
        "Payments benchmark: {} parties, service level in-process.\n",
        args.parties
    );
    println!(
        "| backend | operation | concurrency | count | ops/s | p50 ms | p99 ms | baseline ops/s | ratio | failed |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (b_ops, ratio) = match (&r.baseline, r.ratio()) {
            (Some(b), Some(x)) => (format!("{:.1}", b.ops_per_sec()), format!("{x:.2}")),
            (Some(b), None) => (format!("{:.1}", b.ops_per_sec()), "–".into()),
            _ => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {} |",
            r.backend,
            r.operation,
            r.concurrency,
            r.count,
            r.ops_per_sec(),
            r.ms(0.5),
            r.ms(0.99),
            b_ops,
            ratio,
            r.failed + r.baseline.as_ref().map_or(0, |b| b.failed),
        );
    }
    println!(
        "\nratio = baseline ops/s ÷ measured ops/s (plain SQL of comparable work, same backend, \
         same concurrency, same run; higher = the service does more per operation)."
    );
}
