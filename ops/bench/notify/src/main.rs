//! `wspolnota-bench-notify`: payment reminders for N parties (default 100,000) enqueued
//! (`engine::reminders::enqueue_reminders`), planned into e-mail messages (`engine::plan::plan`)
//! and drained through the project's real SMTP test server (aiosmtpd,
//! `crates/notify/tests/support/smtp_server.py`, which writes every message to disk) by
//! `engine::deliver::deliver`, on SQLite and PostgreSQL; next to, in the same run, a plain
//! multi-row `INSERT` of the same outbox + action rows, of the same message rows, and raw
//! lettre SMTP sends (one pooled connection) of the same messages to the same server.
//!
//! Every party has an e-mail address, a granted e-mail consent and an installment due exactly
//! 7 days after the bench's clock date (a fixed clock: today 10:00 UTC); the tenant is
//! `tenants/zamosc.toml` with `reminder_days_before = [7]`. Markdown on stdout, progress on
//! stderr, JSON to `--json`. Exits 1 when a check fails (reminders, messages, delivered and
//! files received by the SMTP server must each equal the number of parties — or the drain
//! size), 2 on an error.

mod env;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;
use wspolnota_notify::Notify;
use wspolnota_notify::engine::{deliver, plan, reminders};
use wspolnota_notify::entity::{action, message, outbox};

use env::{Env, Location, app, load_config, setup};

pub fn log(msg: impl std::fmt::Display) {
    eprintln!("[bench-notify] {msg}");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "wspolnota-bench-notify",
    about = "Reminders for N parties enqueued, planned and drained through a real SMTP server, next to plain INSERTs and raw SMTP sends of the same rows and messages."
)]
struct Cli {
    /// Parties (each gets one reminder).
    #[arg(long, env = "BENCH_NT_PARTIES", default_value_t = 100_000)]
    parties: usize,
    /// Messages drained through SMTP (default: all; fewer leaves the rest not yet due).
    #[arg(long, env = "BENCH_NT_DRAIN")]
    drain: Option<usize>,
    /// Messages the lettre-pool baseline sends (it is slow: ~50 ms each); its time is scaled
    /// to the drain size for the comparison.
    #[arg(long, env = "BENCH_NT_LETTRE_SAMPLE", default_value_t = 2_000)]
    lettre_sample: usize,
    /// Messages claimed per `deliver` call.
    #[arg(long, env = "BENCH_NT_BATCH", default_value_t = 100)]
    batch: u64,
    #[arg(long, env = "BENCH_NT_BACKENDS", value_enum, default_value = "both")]
    backends: Backends,
    /// PostgreSQL host:port (user postgres, no password).
    #[arg(long, env = "BENCH_PG", default_value = "127.0.0.1:5432")]
    pg: String,
    /// The PostgreSQL database to create (dropped first if it exists, and at the end).
    #[arg(long, env = "BENCH_NT_DATABASE", default_value = "wsp_bench_nt")]
    database: String,
    /// Where SQLite data and the SMTP server's files go (default: a temporary folder, removed).
    #[arg(long, env = "BENCH_NT_WORK_DIR")]
    work_dir: Option<PathBuf>,
    /// The folder with `zamosc.toml` (default: the repository's `tenants/`).
    #[arg(long, env = "BENCH_NT_TENANTS_DIR")]
    tenants_dir: Option<PathBuf>,
    /// The SMTP server script (default: crates/notify/tests/support/smtp_server.py).
    #[arg(long, env = "BENCH_NT_SMTP_SERVER")]
    smtp_server: Option<PathBuf>,
    /// Where to write the JSON results (default: ops/bench/notify/results/latest.json).
    #[arg(long, env = "BENCH_NT_JSON")]
    json: Option<PathBuf>,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let code = match run(Cli::parse()).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            log(format!("error: {e:#}"));
            2
        }
    };
    std::process::exit(code);
}

/// The SMTP server child; killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Smtp {
    fn start(script: &Path, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("python3")
            .arg(script)
            .args(["serve", "--port", &port.to_string(), "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let mut smtp = Self {
            child,
            port,
            dir: dir.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = smtp.child.try_wait()? {
                bail!("the SMTP server exited: {status}");
            }
            if Instant::now() > deadline {
                bail!("the SMTP server did not listen on {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(smtp)
    }

    /// Messages received so far (`.eml` files).
    fn received(&self) -> Result<usize> {
        Ok(std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count())
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured phase: the engine and its baseline on the same rows.
#[derive(Debug, Clone)]
struct Phase {
    name: &'static str,
    rows: usize,
    engine_secs: f64,
    baseline: String,
    /// The baseline's time for `rows` rows (measured on fewer and scaled, where it says so).
    baseline_secs: f64,
}

impl Phase {
    fn json(&self) -> Json {
        json!({
            "phase": self.name, "rows": self.rows,
            "engine_secs": self.engine_secs, "engine_per_sec": per_sec(self.rows, self.engine_secs),
            "baseline": self.baseline,
            "baseline_secs": self.baseline_secs, "baseline_per_sec": per_sec(self.rows, self.baseline_secs),
            "engine_time_over_baseline": self.engine_secs / self.baseline_secs,
        })
    }
}

fn per_sec(rows: usize, secs: f64) -> f64 {
    rows as f64 / secs.max(1e-9)
}

struct Measured {
    backend: &'static str,
    setup_secs: f64,
    phases: Vec<Phase>,
    checks: Vec<(String, i64, i64)>,
}

impl Measured {
    fn ok(&self) -> bool {
        self.checks.iter().all(|(_, got, want)| got == want)
    }
}

async fn run(cli: Cli) -> Result<bool> {
    let n = cli.parties;
    if n == 0 {
        bail!("--parties must be at least 1");
    }
    let drain = cli.drain.unwrap_or(n).min(n);
    let tenants_dir = cli
        .tenants_dir
        .clone()
        .unwrap_or_else(|| repo_root().join("tenants"));
    let script = cli
        .smtp_server
        .clone()
        .unwrap_or_else(|| repo_root().join("crates/notify/tests/support/smtp_server.py"));
    let (work, temp) = match &cli.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("wsp-bench-notify-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&work)?;
    let backends: Vec<&str> = match cli.backends {
        Backends::Sqlite => vec!["sqlite"],
        Backends::Postgres => vec!["postgres"],
        Backends::Both => vec!["sqlite", "postgres"],
    };
    log(format!(
        "{n} parties, drain {drain}, backends {backends:?}, work dir {}",
        work.display()
    ));
    let mut results = Vec::new();
    let mut ok = true;
    for backend in backends {
        let (location, admin) = if backend == "sqlite" {
            let dir = work.join("sqlite");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            (Location::Sqlite(dir), None)
        } else {
            let admin_url = format!("postgres://postgres@{}/postgres", cli.pg);
            let admin = Database::connect(admin_url.clone())
                .await
                .with_context(|| format!("connecting to {admin_url}"))?;
            let db = &cli.database;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {db}"))
                .await?;
            (
                Location::Postgres(format!("postgres://postgres@{}/{db}", cli.pg)),
                Some(admin),
            )
        };
        let measured = bench_backend(&cli, &location, &script, &work, n, drain, &tenants_dir).await;
        match (&location, admin) {
            (Location::Postgres(_), Some(admin)) => {
                let db = &cli.database;
                if let Err(e) = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .await
                {
                    log(format!("could not drop database {db}: {e}"));
                }
            }
            (Location::Sqlite(dir), _) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            _ => {}
        }
        let m = measured?;
        for (what, got, want) in &m.checks {
            if got != want {
                log(format!(
                    "CHECK FAILED on {}: {what} = {got}, expected {want}",
                    m.backend
                ));
            }
        }
        ok &= m.ok();
        results.push(m);
    }
    if temp {
        let _ = std::fs::remove_dir_all(&work);
    }

    println!(
        "N = {n} parties (drain: {drain} messages through SMTP), deliver batch {}",
        cli.batch
    );
    println!();
    println!(
        "| backend | phase | rows | engine s | engine rows/s | baseline | baseline s | baseline rows/s | engine ÷ baseline (time) |"
    );
    println!("|---|---|---:|---:|---:|---|---:|---:|---:|");
    for m in &results {
        for p in &m.phases {
            println!(
                "| {} | {} | {} | {:.2} | {:.0} | {} | {:.2} | {:.0} | {:.1} |",
                m.backend,
                p.name,
                p.rows,
                p.engine_secs,
                per_sec(p.rows, p.engine_secs),
                p.baseline,
                p.baseline_secs,
                per_sec(p.rows, p.baseline_secs),
                p.engine_secs / p.baseline_secs.max(1e-9),
            );
        }
    }
    println!();
    for m in &results {
        let checks: Vec<String> = m
            .checks
            .iter()
            .map(|(w, g, e)| format!("{w} {g}/{e}{}", if g == e { "" } else { " FAILED" }))
            .collect();
        println!(
            "{} (setup {:.0} s): {}",
            m.backend,
            m.setup_secs,
            checks.join(", ")
        );
    }
    let out = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "parties": n, "drain": drain, "batch": cli.batch, "ok": ok,
        "backends": results.iter().map(|m| json!({
            "backend": m.backend, "setup_secs": m.setup_secs,
            "phases": m.phases.iter().map(Phase::json).collect::<Vec<_>>(),
            "checks": m.checks.iter().map(|(w, g, e)| json!({"check": w, "got": g, "expected": e})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let json_path = cli
        .json
        .clone()
        .unwrap_or_else(|| repo_root().join("ops/bench/notify/results/latest.json"));
    if let Some(parent) = json_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&json_path, serde_json::to_string_pretty(&out)? + "\n")?;
    log(format!("wrote {}", json_path.display()));
    Ok(ok)
}

async fn bench_backend(
    cli: &Cli,
    location: &Location,
    script: &Path,
    work: &Path,
    n: usize,
    drain: usize,
    tenants_dir: &Path,
) -> Result<Measured> {
    let backend = location.backend();
    let config = load_config(tenants_dir)?;
    let now = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .ok_or_else(|| anyhow!("clock"))?
        .and_utc();
    let env = Env::open(location, config, now).await?;
    log(format!("{backend}: writing {n} parties"));
    let t = Instant::now();
    setup(&env, n).await?;
    let setup_secs = t.elapsed().as_secs_f64();
    log(format!("{backend}: setup {setup_secs:.1} s"));

    let mail_dir = work.join(format!("smtp-{backend}"));
    let _ = std::fs::remove_dir_all(&mail_dir);
    let smtp = Smtp::start(script, &mail_dir)?;
    let url = smtp.url();
    let lookup: wspolnota_notify::engine::EnvLookup =
        Arc::new(move |k: &str| (k == "SMTP_URL").then(|| url.clone()));
    let notify = Notify::new(
        env.finance.clone(),
        lookup,
        work.join(format!("eml-{backend}")),
    );
    let ctx = env.system();
    let n64 = i64::try_from(n)?;
    let mut checks = Vec::new();
    let mut phases = Vec::new();

    // 1. Enqueue.
    let t = Instant::now();
    let reminded = reminders::enqueue_reminders(&notify, &ctx)
        .await
        .map_err(|e| app(e, "enqueue_reminders"))?;
    let enqueue_secs = t.elapsed().as_secs_f64();
    log(format!(
        "{backend}: enqueued {reminded} reminders in {enqueue_secs:.1} s"
    ));
    checks.push(("reminders enqueued".into(), i64::try_from(reminded)?, n64));
    checks.push((
        "outbox reminder rows".into(),
        env.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'")
            .await?,
        n64,
    ));
    checks.push((
        "reminder actions".into(),
        env.scalar("SELECT COUNT(*) FROM notify_actions WHERE form = 'reminder'")
            .await?,
        n64,
    ));
    let baseline_secs = baseline_enqueue(&env).await?;
    phases.push(Phase {
        name: "enqueue_reminders",
        rows: n,
        engine_secs: enqueue_secs,
        baseline: "INSERT outbox + action rows".into(),
        baseline_secs,
    });

    // 2. Plan.
    let t = Instant::now();
    let mut planned = 0;
    loop {
        let k = plan::plan(&notify, &ctx)
            .await
            .map_err(|e| app(e, "plan"))?;
        if k == 0 {
            break;
        }
        planned += k;
        if planned % 20_000 < k {
            log(format!(
                "  {planned} planned ({:.0} s)",
                t.elapsed().as_secs_f64()
            ));
        }
    }
    let plan_secs = t.elapsed().as_secs_f64();
    log(format!(
        "{backend}: planned {planned} events in {plan_secs:.1} s"
    ));
    checks.push(("events planned".into(), i64::try_from(planned)?, n64));
    checks.push((
        "e-mail messages".into(),
        env.scalar(
            "SELECT COUNT(*) FROM notify_messages WHERE channel = 'email' AND kind = 'reminder'",
        )
        .await?,
        n64,
    ));
    let baseline_secs = baseline_plan(&env).await?;
    phases.push(Phase {
        name: "plan (events → messages)",
        rows: n,
        engine_secs: plan_secs,
        baseline: "INSERT message rows".into(),
        baseline_secs,
    });

    // 3. Drain through SMTP.
    if drain < n {
        hold_back(&env, drain).await?;
    }
    let t = Instant::now();
    let mut sent = 0;
    let mut failed = 0;
    loop {
        let d = deliver::deliver(&notify, &ctx, cli.batch)
            .await
            .map_err(|e| app(e, "deliver"))?;
        if d.sent + d.failed + d.deferred == 0 {
            break;
        }
        sent += d.sent;
        failed += d.failed;
        if sent % 5_000 < d.sent {
            log(format!(
                "  {sent} sent ({:.0} s)",
                t.elapsed().as_secs_f64()
            ));
        }
    }
    let drain_secs = t.elapsed().as_secs_f64();
    log(format!(
        "{backend}: delivered {sent} (failed {failed}) in {drain_secs:.1} s"
    ));
    let drain64 = i64::try_from(drain)?;
    checks.push(("sent".into(), i64::try_from(sent)?, drain64));
    checks.push((
        "messages delivered".into(),
        env.scalar("SELECT COUNT(*) FROM notify_messages WHERE status = 'delivered'")
            .await?,
        drain64,
    ));
    checks.push((
        "files received by the SMTP server".into(),
        i64::try_from(smtp.received()?)?,
        drain64,
    ));
    let sample = cli.lettre_sample.min(drain);
    let (sample_secs, raw_sent) = baseline_smtp(&env, &smtp, sample).await?;
    checks.push((
        "raw SMTP sends".into(),
        i64::try_from(raw_sent)?,
        i64::try_from(sample)?,
    ));
    let (tcp_secs, tcp_sent) = baseline_tcp(&env, &smtp).await?;
    checks.push((
        "plain TCP SMTP sends".into(),
        i64::try_from(tcp_sent)?,
        drain64,
    ));
    checks.push((
        "files received (engine + lettre + TCP)".into(),
        i64::try_from(smtp.received()?)?,
        2 * drain64 + i64::try_from(sample)?,
    ));
    phases.push(Phase {
        name: "deliver via SMTP",
        rows: drain,
        engine_secs: drain_secs,
        baseline: "plain TCP SMTP client, 1 connection".into(),
        baseline_secs: tcp_secs,
    });
    phases.push(Phase {
        name: "deliver via SMTP",
        rows: drain,
        engine_secs: drain_secs,
        baseline: if sample < drain {
            format!("lettre pooled transport ({sample} sent, time scaled)")
        } else {
            "lettre pooled transport".to_owned()
        },
        baseline_secs: sample_secs * drain as f64 / sample.max(1) as f64,
    });
    drop(smtp);
    let _ = std::fs::remove_dir_all(&mail_dir);
    Ok(Measured {
        backend,
        setup_secs,
        phases,
        checks,
    })
}

/// The engine's outbox and action rows copied (other keys, already planned) and written by
/// multi-row `INSERT`s (1,000 rows each) in one transaction; timed from `BEGIN` to `COMMIT`.
/// The copies are deleted afterwards.
async fn baseline_enqueue(env: &Env) -> Result<f64> {
    let tx = env.begin().await?;
    let events = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("reminder"))
        .all(&tx)
        .await?;
    let actions = action::Entity::find()
        .filter(action::Column::Form.eq("reminder"))
        .all(&tx)
        .await?;
    tx.commit().await?;
    let ev: Vec<outbox::ActiveModel> = events
        .into_iter()
        .map(|e| outbox::ActiveModel {
            kind: Set("bench_baseline".into()),
            party_id: Set(e.party_id),
            dedupe_key: Set(format!("baseline:{}", e.dedupe_key)),
            payload: Set(e.payload),
            created_at: Set(e.created_at),
            sent_at: Set(Some(env.now)),
            attempts: Set(0),
            ..Default::default()
        })
        .collect();
    let ac: Vec<action::ActiveModel> = actions
        .into_iter()
        .map(|a| action::ActiveModel {
            party_id: Set(a.party_id),
            installment_id: Set(a.installment_id),
            form: Set("bench_baseline".into()),
            at: Set(a.at),
            actor: Set(a.actor),
            message_id: Set(None),
            description: Set(a.description),
            ..Default::default()
        })
        .collect();
    let t = Instant::now();
    let tx = env.begin().await?;
    for part in ev.chunks(1000) {
        outbox::Entity::insert_many(part.to_vec()).exec(&tx).await?;
    }
    for part in ac.chunks(1000) {
        action::Entity::insert_many(part.to_vec()).exec(&tx).await?;
    }
    tx.commit().await?;
    let secs = t.elapsed().as_secs_f64();
    env.exec("DELETE FROM outbox WHERE kind = 'bench_baseline'")
        .await?;
    env.exec("DELETE FROM notify_actions WHERE form = 'bench_baseline'")
        .await?;
    log(format!(
        "  baseline INSERT of {} outbox + {} action rows: {secs:.2} s",
        ev.len(),
        ac.len()
    ));
    Ok(secs)
}

/// The engine's messages copied (new ids, no outbox event, not due) and written by multi-row
/// `INSERT`s (1,000 rows each) in one transaction; deleted afterwards.
async fn baseline_plan(env: &Env) -> Result<f64> {
    let tx = env.begin().await?;
    let messages = message::Entity::find()
        .filter(message::Column::Kind.eq("reminder"))
        .all(&tx)
        .await?;
    tx.commit().await?;
    let rows: Vec<message::ActiveModel> = messages
        .into_iter()
        .map(|m| message::ActiveModel {
            id: Set(Uuid::new_v4()),
            outbox_id: Set(None),
            kind: Set("bench_baseline".into()),
            party_id: Set(m.party_id),
            channel: Set(m.channel),
            recipient: Set(m.recipient),
            template: Set(m.template),
            template_version: Set(m.template_version),
            subject: Set(m.subject),
            body: Set(m.body),
            html: Set(None),
            status: Set("bench_baseline".into()),
            attempts: Set(0),
            next_attempt_at: Set(m.next_attempt_at),
            claimed_until: Set(None),
            provider_id: Set(None),
            error: Set(None),
            created_at: Set(m.created_at),
            sent_at: Set(None),
            delivered_at: Set(None),
        })
        .collect();
    let t = Instant::now();
    let tx = env.begin().await?;
    for part in rows.chunks(1000) {
        message::Entity::insert_many(part.to_vec())
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    let secs = t.elapsed().as_secs_f64();
    env.exec("DELETE FROM notify_messages WHERE kind = 'bench_baseline'")
        .await?;
    log(format!(
        "  baseline INSERT of {} message rows: {secs:.2} s",
        rows.len()
    ));
    Ok(secs)
}

/// Only the first `drain` messages (by id) stay due; the rest are moved a year ahead.
async fn hold_back(env: &Env, drain: usize) -> Result<()> {
    let tx = env.begin().await?;
    let ids: Vec<Uuid> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .order_by_asc(message::Column::Id)
        .into_tuple()
        .all(&tx)
        .await?;
    for part in ids[drain.min(ids.len())..].chunks(1000) {
        message::Entity::update_many()
            .col_expr(
                message::Column::NextAttemptAt,
                Expr::value(env.now + chrono::Duration::days(365)),
            )
            .filter(message::Column::Id.is_in(part.to_vec()))
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The first `limit` delivered messages sent again, raw: lettre's own pooled SMTP transport
/// (which leaves Nagle's algorithm on) to the same server, one after another, no database.
/// Returns (seconds, sent).
async fn baseline_smtp(env: &Env, smtp: &Smtp, limit: usize) -> Result<(f64, usize)> {
    let tx = env.begin().await?;
    let messages = message::Entity::find()
        .filter(message::Column::Status.eq("delivered"))
        .limit(u64::try_from(limit)?)
        .all(&tx)
        .await?;
    tx.commit().await?;
    let cfg = &env.tenant.config().notifications;
    let from = Mailbox::new(
        cfg.sender_name.clone(),
        cfg.sender_email
            .clone()
            .unwrap_or_default()
            .parse()
            .map_err(|e| anyhow!("sender address: {e}"))?,
    );
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port)
        .build();
    let t = Instant::now();
    let mut sent = 0;
    for m in &messages {
        let email = Message::builder()
            .from(from.clone())
            .to(m
                .recipient
                .parse()
                .map_err(|e| anyhow!("recipient {}: {e}", m.recipient))?)
            .subject(m.subject.clone())
            .message_id(Some(format!("<{}.raw@wspolnota>", m.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())?;
        transport.send(email).await.context("raw SMTP send")?;
        sent += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    log(format!(
        "  raw lettre sends of {sent} messages: {secs:.2} s"
    ));
    Ok((secs, sent))
}

/// The delivered messages sent a third time by a minimal SMTP client on one TCP connection
/// (`TCP_NODELAY`, one command at a time, waiting for each reply): what the server itself can
/// take. Returns (seconds, sent).
async fn baseline_tcp(env: &Env, smtp: &Smtp) -> Result<(f64, usize)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let tx = env.begin().await?;
    let messages = message::Entity::find()
        .filter(message::Column::Status.eq("delivered"))
        .all(&tx)
        .await?;
    tx.commit().await?;
    let sender = env
        .tenant
        .config()
        .notifications
        .sender_email
        .clone()
        .unwrap_or_default();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", smtp.port)).await?;
    stream.set_nodelay(true)?;
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    // Reads one (possibly multi-line) reply and checks its code class.
    async fn reply(
        r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        line: &mut String,
        want: char,
    ) -> Result<()> {
        loop {
            line.clear();
            if r.read_line(line).await? == 0 {
                bail!("the SMTP server closed the connection");
            }
            if !line.starts_with(want) {
                bail!("SMTP reply: {}", line.trim_end());
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
    let t = Instant::now();
    reply(&mut r, &mut line, '2').await?;
    w.write_all(b"EHLO bench.localhost\r\n").await?;
    reply(&mut r, &mut line, '2').await?;
    let mut sent = 0;
    for m in &messages {
        w.write_all(format!("MAIL FROM:<{sender}>\r\n").as_bytes())
            .await?;
        reply(&mut r, &mut line, '2').await?;
        w.write_all(format!("RCPT TO:<{}>\r\n", m.recipient).as_bytes())
            .await?;
        reply(&mut r, &mut line, '2').await?;
        w.write_all(b"DATA\r\n").await?;
        reply(&mut r, &mut line, '3').await?;
        let mut data = format!(
            "From: <{sender}>\r\nTo: <{}>\r\nSubject: {}\r\nMessage-ID: <{}.tcp@wspolnota>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n",
            m.recipient, m.subject, m.id
        );
        for l in m.body.lines() {
            if l.starts_with('.') {
                data.push('.');
            }
            data.push_str(l);
            data.push_str("\r\n");
        }
        data.push_str(".\r\n");
        w.write_all(data.as_bytes()).await?;
        reply(&mut r, &mut line, '2').await?;
        sent += 1;
    }
    w.write_all(b"QUIT\r\n").await?;
    let secs = t.elapsed().as_secs_f64();
    log(format!(
        "  plain TCP SMTP sends of {sent} messages: {secs:.2} s"
    ));
    Ok((secs, sent))
}
