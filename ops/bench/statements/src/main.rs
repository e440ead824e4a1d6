//! `wspolnota-bench-statements`: a generated MT940 statement (mBank CompanyNet dialect, one
//! credit per line paying a party's property tax through its virtual account) parsed, and
//! imported — matched and posted — by the statements e-service on SQLite and PostgreSQL, next
//! to a plain bulk load of the same rows on the same backend in the same run (PostgreSQL
//! `COPY`; SQLite a prepared multi-row `INSERT` in one transaction).
//!
//! `run` (what `run.sh` calls) sets up each backend once (a fresh tenant with P parties, each
//! with a property-tax assessment of 4 installments and virtual accounts), writes one file per
//! size, and runs every measured phase in a process of its own (`parse`, `baseline`, `import`
//! subcommands of this binary) so that each phase's peak RSS (`VmHWM`) is its own. Markdown on
//! stdout, progress on stderr, JSON to `--json`. Exits 1 when a check fails.

mod env;
mod mt940;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};
use sqlx::Connection as _;
use uuid::Uuid;
use wspolnota_core::TenantDb;
use wspolnota_statements::parse::{self, Event, FormatHint, ParseOptions};
use wspolnota_statements::service::import::{ImportInput, import};
use wspolnota_statements::service::matching::{Credit, Lookups, Match};
use wspolnota_statements::service::report::reconcile;
use wspolnota_statements::service::title::Title;
use wspolnota_statements::service::undo::undo;

use env::{Env, Location, app, load_config, setup};
use mt940::{Iph, Plan};

pub fn log(msg: impl std::fmt::Display) {
    eprintln!("[bench-statements] {msg}");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "wspolnota-bench-statements",
    about = "MT940 statement parse, match and post throughput on SQLite and PostgreSQL, next to a plain bulk load (COPY / multi-row INSERT) of the same rows."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The whole benchmark.
    Run(RunArgs),
    /// Only write a statement file.
    Generate {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1_000_000)]
        lines: usize,
        #[arg(long, default_value_t = 1)]
        tag: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// (phase) Iterate `parse::events` over a file; one JSON line on stdout.
    Parse {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        lines: usize,
    },
    /// (phase) The bulk load of the same rows; one JSON line on stdout.
    Baseline {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        at: At,
        #[arg(long)]
        lines: usize,
        #[arg(long)]
        tag: u32,
    },
    /// (phase) Parse and match a file without posting; one JSON line on stdout.
    Match {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        at: At,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        lines: usize,
    },
    /// (phase) `service::undo::undo` of an import, then the checks; one JSON line on stdout.
    Undo {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        at: At,
        #[arg(long)]
        import_id: Uuid,
        #[arg(long)]
        lines: usize,
    },
    /// (phase) `service::import::import` of a file, then the checks; one JSON line on stdout.
    Import {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        at: At,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        lines: usize,
    },
}

#[derive(Debug, Clone, Args)]
struct Common {
    /// Parties (numbered 1..=P in a fresh tenant).
    #[arg(long, env = "BENCH_ST_PARTIES", default_value_t = 100_000)]
    parties: usize,
    /// How `ID IPH:` carries the virtual account: the whole NRB, or its client part only.
    #[arg(long, env = "BENCH_ST_IPH", value_enum, default_value = "nrb")]
    iph: Iph,
    /// The folder with `zamosc.toml` (default: the repository's `tenants/`).
    #[arg(long, env = "BENCH_ST_TENANTS_DIR")]
    tenants_dir: Option<PathBuf>,
}

impl Common {
    fn tenants_dir(&self) -> PathBuf {
        self.tenants_dir
            .clone()
            .unwrap_or_else(|| repo_root().join("tenants"))
    }

    fn args(&self) -> Vec<String> {
        let iph = match self.iph {
            Iph::Nrb => "nrb",
            Iph::Tail => "tail",
        };
        vec![
            "--parties".into(),
            self.parties.to_string(),
            "--iph".into(),
            iph.into(),
            "--tenants-dir".into(),
            self.tenants_dir().display().to_string(),
        ]
    }
}

#[derive(Debug, Clone, Args)]
struct At {
    #[arg(long, conflicts_with = "pg_url")]
    sqlite_dir: Option<PathBuf>,
    #[arg(long)]
    pg_url: Option<String>,
}

impl At {
    fn location(&self) -> Result<Location> {
        match (&self.sqlite_dir, &self.pg_url) {
            (Some(d), None) => Ok(Location::Sqlite(d.clone())),
            (None, Some(u)) => Ok(Location::Postgres(u.clone())),
            _ => bail!("give --sqlite-dir or --pg-url"),
        }
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Lines of the largest file (N).
    #[arg(long, env = "BENCH_ST_LINES", default_value_t = 1_000_000)]
    lines: usize,
    /// File sizes, comma-separated (default: N/10,N).
    #[arg(long, env = "BENCH_ST_SIZES", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Import only the sizes up to this many lines (parse and baseline run at every size).
    #[arg(long, env = "BENCH_ST_IMPORT_MAX")]
    import_max: Option<usize>,
    /// Also undo the imports of files up to this many lines, timed (off by default).
    #[arg(long, env = "BENCH_ST_UNDO_MAX")]
    undo_max: Option<usize>,
    /// Which backends to measure.
    #[arg(long, env = "BENCH_ST_BACKENDS", value_enum, default_value = "both")]
    backends: Backends,
    /// PostgreSQL host:port (user postgres, no password).
    #[arg(long, env = "BENCH_PG", default_value = "127.0.0.1:5432")]
    pg: String,
    /// The PostgreSQL database to create (dropped first if it exists, and at the end).
    #[arg(long, env = "BENCH_ST_DATABASE", default_value = "wsp_bench_st")]
    database: String,
    /// Leave the PostgreSQL database in place at the end, to look into afterwards.
    #[arg(long, env = "BENCH_ST_KEEP_DB", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    keep_db: bool,
    /// Where the statement files and SQLite data go (default: a new temporary folder, removed
    /// at the end).
    #[arg(long, env = "BENCH_ST_WORK_DIR")]
    work_dir: Option<PathBuf>,
    /// Where to write the JSON results (default: ops/bench/results/statements-latest.json).
    #[arg(long, env = "BENCH_ST_JSON")]
    json: Option<PathBuf>,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let code = match dispatch(Cli::parse().cmd).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            log(format!("error: {e:#}"));
            2
        }
    };
    std::process::exit(code);
}

async fn dispatch(cmd: Cmd) -> Result<bool> {
    match cmd {
        Cmd::Run(args) => run(args).await,
        Cmd::Generate {
            common,
            lines,
            tag,
            out,
        } => {
            let config = load_config(&common.tenants_dir())?;
            let plan = Plan::new(&config, common.parties, common.iph)?;
            let bytes = mt940::write_file(&plan, tag, lines, &out)?;
            log(format!("wrote {} ({bytes} bytes)", out.display()));
            Ok(true)
        }
        Cmd::Parse { file, lines } => phase_parse(&file, lines).map(|()| true),
        Cmd::Baseline {
            common,
            at,
            lines,
            tag,
        } => phase_baseline(&common, &at.location()?, lines, tag)
            .await
            .map(|()| true),
        Cmd::Match {
            common,
            at,
            file,
            lines,
        } => phase_match(&common, &at.location()?, &file, lines)
            .await
            .map(|()| true),
        Cmd::Import {
            common,
            at,
            file,
            lines,
        } => phase_import(&common, &at.location()?, &file, lines).await,
        Cmd::Undo {
            common,
            at,
            import_id,
            lines,
        } => phase_undo(&common, &at.location()?, import_id, lines).await,
    }
}

// ---------------------------------------------------------------------------------------
// Phases (each in a process of its own).
// ---------------------------------------------------------------------------------------

/// Peak resident set of this process so far, in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn emit(v: Json) {
    println!("{v}");
}

/// The file as the CLI reads it: streamed through a buffer.
fn open_file(file: &Path) -> Result<(Box<dyn std::io::BufRead + Send>, u64)> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f.metadata()?.len();
    Ok((
        Box::new(std::io::BufReader::with_capacity(256 << 10, f)),
        len,
    ))
}

fn phase_parse(file: &Path, lines: usize) -> Result<()> {
    let (reader, file_bytes) = open_file(file)?;
    let started = Instant::now();
    let options = ParseOptions {
        format: FormatHint::Mt940,
        encoding: None,
    };
    let mut count = 0usize;
    let mut statements = 0usize;
    let mut matched_ids = 0usize;
    for event in parse::stream("bench.sta", reader, &options).map_err(|e| anyhow!("{e}"))? {
        match event.map_err(|e| anyhow!("{e}"))? {
            Event::Line(l) => {
                count += 1;
                if l.credited_account.is_some() && l.dedupe_key.starts_with("TNR:") {
                    matched_ids += 1;
                }
            }
            Event::Statement(_) => statements += 1,
            Event::End(_) => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if count != lines || matched_ids != lines {
        bail!("parsed {count} lines ({matched_ids} with ID IPH and TNR), expected {lines}");
    }
    emit(
        json!({ "seconds": secs, "lines": count, "statements": statements,
                 "file_bytes": file_bytes, "vm_hwm_kib": vm_hwm_kib() }),
    );
    Ok(())
}

/// Parse and match without posting: the file streamed, its credits matched in chunks as the
/// import matches them (`Lookups::load` + `match_credit`), in a transaction rolled back.
async fn phase_match(common: &Common, at: &Location, file: &Path, lines: usize) -> Result<()> {
    let config = load_config(&common.tenants_dir())?;
    let env = Env::open(at, config).await?;
    let ctx = env.system();
    let (reader, file_bytes) = open_file(file)?;
    let settlement = env
        .statements
        .finance
        .fees_shared(&ctx)
        .map_err(|e| app(e, "fees"))?
        .virtual_accounts
        .as_ref()
        .map(|va| va.settlement_number.clone());
    let tx = TenantDb::begin(&ctx).await.map_err(|e| app(e, "begin"))?;
    let options = ParseOptions {
        format: FormatHint::Mt940,
        encoding: None,
    };
    let chunk = env.statements.chunk_lines();
    let started = Instant::now();
    let (mut count, mut parties, mut unmatched) = (0usize, 0usize, 0usize);
    let mut pending = Vec::with_capacity(chunk);
    let mut events = parse::stream("bench.sta", reader, &options).map_err(|e| anyhow!("{e}"))?;
    loop {
        let next = events.next();
        let at_end = next.is_none();
        if let Some(event) = next {
            if let Event::Line(l) = event.map_err(|e| anyhow!("{e}"))? {
                pending.push(l);
            }
            if pending.len() < chunk {
                continue;
            }
        }
        let titles: Vec<Title> = pending.iter().map(|l| Title::read(&l.title)).collect();
        let credits: Vec<Credit<'_>> = pending
            .iter()
            .zip(&titles)
            .map(|(l, title)| Credit {
                credited: l.credited_account.as_deref(),
                title,
            })
            .collect();
        let lookups = Lookups::load(
            &env.statements.finance,
            &*tx,
            settlement.as_deref(),
            &credits,
        )
        .await
        .map_err(|e| app(e, "match"))?;
        for c in &credits {
            match lookups.match_credit(settlement.as_deref(), *c, &[]) {
                Match::Unmatched => unmatched += 1,
                _ => parties += 1,
            }
        }
        count += pending.len();
        drop(credits);
        pending.clear();
        if at_end {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    drop(tx);
    if count != lines || unmatched != mt940::unknown_count(lines) {
        bail!(
            "matched {count} lines ({unmatched} unmatched), expected {lines} ({} unmatched)",
            mt940::unknown_count(lines)
        );
    }
    emit(
        json!({ "seconds": secs, "lines": count, "matched": parties, "unmatched": unmatched,
                 "file_bytes": file_bytes, "vm_hwm_kib": vm_hwm_kib() }),
    );
    Ok(())
}

/// The same rows as the file, bulk-loaded into a plain table: PostgreSQL `COPY … FROM STDIN`
/// (text format, streamed in 1 MiB pieces); SQLite one transaction of prepared 100-row
/// `INSERT`s, through the tenant's connection.
async fn phase_baseline(common: &Common, at: &Location, lines: usize, tag: u32) -> Result<()> {
    let config = load_config(&common.tenants_dir())?;
    let plan = Plan::new(&config, common.parties, common.iph)?;
    const COLUMNS: &str = "line_no bigint NOT NULL, account text NOT NULL, amount bigint NOT NULL, \
                           value_date date NOT NULL, title text NOT NULL, dedupe_key text NOT NULL";
    let (secs, rows) = match at {
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP TABLE IF EXISTS public.bench_statement_rows; \
                 CREATE TABLE public.bench_statement_rows ({COLUMNS})"
            )))
            .execute(&mut conn)
            .await?;
            checkpoint(&mut conn).await?;
            let started = Instant::now();
            let mut copy = conn
                .copy_in_raw(
                    "COPY public.bench_statement_rows (line_no, account, amount, value_date, \
                     title, dedupe_key) FROM STDIN",
                )
                .await?;
            let mut buf = String::with_capacity(1 << 20);
            for i in 0..lines {
                let r = mt940::row(&plan, tag, lines, i)?;
                use std::fmt::Write as _;
                writeln!(
                    buf,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.index,
                    r.account,
                    r.grosze,
                    r.value_date,
                    r.title,
                    r.dedupe_key()
                )?;
                if buf.len() >= (1 << 20) - 512 {
                    copy.send(buf.as_bytes()).await?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                copy.send(buf.as_bytes()).await?;
            }
            let rows = copy.finish().await?;
            let secs = started.elapsed().as_secs_f64();
            conn.close().await?;
            (secs, usize::try_from(rows)?)
        }
        Location::Sqlite(_) => {
            let env = Env::open(at, config).await?;
            let tx = env.begin().await?;
            tx.execute_unprepared(&format!(
                "DROP TABLE IF EXISTS bench_statement_rows; \
                 CREATE TABLE bench_statement_rows ({COLUMNS})"
            ))
            .await?;
            tx.commit().await?;
            const BATCH: usize = 100;
            let full = format!(
                "INSERT INTO bench_statement_rows (line_no, account, amount, value_date, dedupe_key, \
                 title) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?)"; BATCH].join(", ")
            );
            let started = Instant::now();
            let tx = env.begin().await?;
            let mut values: Vec<Value> = Vec::with_capacity(BATCH * 6);
            let mut in_batch = 0;
            let flush = |values: Vec<Value>, n: usize| {
                let sql = if n == BATCH {
                    full.clone()
                } else {
                    format!(
                        "INSERT INTO bench_statement_rows (line_no, account, amount, value_date, \
                         dedupe_key, title) VALUES {}",
                        vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ")
                    )
                };
                Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
            };
            for i in 0..lines {
                let r = mt940::row(&plan, tag, lines, i)?;
                values.push(i64::try_from(r.index)?.into());
                values.push(r.account.clone().into());
                values.push(r.grosze.into());
                values.push(r.value_date.to_string().into());
                values.push(r.dedupe_key().into());
                values.push(r.title.into());
                in_batch += 1;
                if in_batch == BATCH {
                    tx.execute_raw(flush(std::mem::take(&mut values), in_batch))
                        .await?;
                    in_batch = 0;
                }
            }
            if in_batch > 0 {
                tx.execute_raw(flush(std::mem::take(&mut values), in_batch))
                    .await?;
            }
            tx.commit().await?;
            let secs = started.elapsed().as_secs_f64();
            let rows = env
                .scalar("SELECT COUNT(*) FROM bench_statement_rows")
                .await?;
            (secs, usize::try_from(rows)?)
        }
    };
    if rows != lines {
        bail!("the baseline loaded {rows} rows, expected {lines}");
    }
    emit(json!({ "seconds": secs, "lines": rows, "vm_hwm_kib": vm_hwm_kib() }));
    Ok(())
}

/// CPU seconds (user, system) of this process so far.
fn cpu_secs() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name in parentheses: field 3 onwards; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

/// PostgreSQL's counters of the tenant's tables: (table, scans, rows inserted, rows updated).
/// Σ debit and Σ credit over every ledger line of the tenant.
async fn ledger_sums(env: &Env) -> Result<(i64, i64)> {
    let debit = env
        .scalar("SELECT CAST(COALESCE(SUM(debit), 0) AS BIGINT) FROM ledger_lines")
        .await?;
    let credit = env
        .scalar("SELECT CAST(COALESCE(SUM(credit), 0) AS BIGINT) FROM ledger_lines")
        .await?;
    Ok((debit, credit))
}

async fn pg_table_stats(env: &Env) -> Result<Vec<(String, i64, i64, i64)>> {
    if env.backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let tx = env.begin().await?;
    let rows = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT relname::text AS t, (seq_scan + COALESCE(idx_scan, 0))::bigint AS s, \
             n_tup_ins::bigint AS i, n_tup_upd::bigint AS u FROM pg_stat_user_tables \
             WHERE schemaname = current_schema()",
        ))
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "t")?,
                r.try_get::<i64>("", "s")?,
                r.try_get::<i64>("", "i")?,
                r.try_get::<i64>("", "u")?,
            ))
        })
        .collect()
}

/// Ok(false): imported, but a check failed.
async fn phase_import(common: &Common, at: &Location, file: &Path, lines: usize) -> Result<bool> {
    let config = load_config(&common.tenants_dir())?;
    let env = Env::open(at, config).await?;
    let ledger_before = env.scalar("SELECT COUNT(*) FROM ledger_entries").await?;
    let (reader, file_bytes) = open_file(file)?;
    let ctx = env.system();
    let stats_before = pg_table_stats(&env).await?;
    checkpoint_at(at).await?;
    let cpu_before = cpu_secs();
    let started = Instant::now();
    let summary = import(
        &env.statements,
        &ctx,
        ImportInput {
            file_name: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "bench.sta".into()),
            reader,
            format: FormatHint::Mt940,
            bank_account: None,
        },
    )
    .await
    .map_err(|e| app(e, "import"))?;
    let secs = started.elapsed().as_secs_f64();
    let hwm = vm_hwm_kib();
    let cpu_after = cpu_secs();
    // Per imported line: table scans (index or sequential), rows inserted and updated, by
    // table (PostgreSQL's statistics, flushed within a second of the transaction's end).
    let per_line = if stats_before.is_empty() {
        Json::Null
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let after = pg_table_stats(&env).await?;
        let n = lines.max(1) as f64;
        let mut by_table = serde_json::Map::new();
        for (t, s, i, u) in after {
            let (s0, i0, u0) = stats_before
                .iter()
                .find(|b| b.0 == t)
                .map(|b| (b.1, b.2, b.3))
                .unwrap_or((0, 0, 0));
            if s - s0 + i - i0 + u - u0 > 0 {
                by_table.insert(
                    t,
                    json!({ "scans": (s - s0) as f64 / n, "inserted": (i - i0) as f64 / n,
                            "updated": (u - u0) as f64 / n }),
                );
            }
        }
        Json::Object(by_table)
    };

    let unknown = mt940::unknown_count(lines);
    let n = u32::try_from(lines)?;
    let mut problems = Vec::new();
    if summary.lines != n {
        problems.push(format!("{} lines imported, expected {n}", summary.lines));
    }
    if summary.matched + summary.unmatched != n || summary.debits != 0 {
        problems.push(format!(
            "matched {} + unmatched {} != {n} credits (debits {})",
            summary.matched, summary.unmatched, summary.debits
        ));
    }
    if usize::try_from(summary.unmatched)? != unknown {
        problems.push(format!(
            "{} unmatched, expected {unknown} (the lines with unknown accounts)",
            summary.unmatched
        ));
    }
    let (debit, credit) = ledger_sums(&env).await?;
    if debit != credit {
        problems.push(format!(
            "the ledger does not balance: debit {debit} != credit {credit}"
        ));
    }
    let ledger_after = env.scalar("SELECT COUNT(*) FROM ledger_entries").await?;
    if ledger_after - ledger_before != i64::from(n) {
        problems.push(format!(
            "{} journal entries posted, expected one per credit ({n})",
            ledger_after - ledger_before
        ));
    }
    let st_lines = env
        .scalar(&format!(
            "SELECT COUNT(*) FROM st_lines WHERE import_id = '{}'",
            summary.id
        ))
        .await
        .unwrap_or(-1);
    // The treasurer's reconciliation over everything imported so far.
    let started = Instant::now();
    let recon = reconcile(&env.statements, &env.clerk(), 30)
        .await
        .map_err(|e| app(e, "reconciliation"))?;
    let reconcile_secs = started.elapsed().as_secs_f64();
    if recon.unmatched_count < summary.unmatched {
        problems.push(format!(
            "the reconciliation counts {} unmatched lines, this import alone left {}",
            recon.unmatched_count, summary.unmatched
        ));
    }
    for p in &problems {
        log(format!("CHECK FAILED: {p}"));
    }
    emit(json!({
        "import_id": summary.id.to_string(),
        "reconcile_seconds": reconcile_secs,
        "seconds": secs, "lines": summary.lines, "matched": summary.matched,
        "unmatched": summary.unmatched, "duplicates": summary.duplicates,
        "total": summary.total.to_string(), "file_bytes": file_bytes, "vm_hwm_kib": hwm,
        "ledger_debit": debit, "ledger_credit": credit,
        "journal_entries_posted": ledger_after - ledger_before, "st_lines_rows": st_lines,
        "cpu_user_seconds": cpu_after.0 - cpu_before.0, "cpu_system_seconds": cpu_after.1 - cpu_before.1,
        "pg_per_line": per_line,
        "problems": problems,
    }));
    Ok(problems.is_empty())
}

/// Undoes an import (every posting reversed through the finance correction, in one
/// transaction), then checks that the ledger balances and that each of its lines is reversed.
async fn phase_undo(common: &Common, at: &Location, import_id: Uuid, lines: usize) -> Result<bool> {
    let config = load_config(&common.tenants_dir())?;
    let env = Env::open(at, config).await?;
    checkpoint_at(at).await?;
    let started = Instant::now();
    undo(&env.statements, &env.clerk(), import_id, "bench: undo")
        .await
        .map_err(|e| app(e, "undo"))?;
    let secs = started.elapsed().as_secs_f64();
    let mut problems = Vec::new();
    let left = env
        .scalar(&format!(
            "SELECT COUNT(*) FROM st_lines WHERE import_id = '{import_id}' \
             AND status NOT IN ('reversed', 'debit')"
        ))
        .await?;
    if left != 0 {
        problems.push(format!(
            "{left} lines of the undone import are not reversed"
        ));
    }
    let (debit, credit) = ledger_sums(&env).await?;
    if debit != credit {
        problems.push(format!(
            "the ledger does not balance after undo: debit {debit} != credit {credit}"
        ));
    }
    for p in &problems {
        log(format!("CHECK FAILED: {p}"));
    }
    emit(
        json!({ "seconds": secs, "lines": lines, "vm_hwm_kib": vm_hwm_kib(),
                 "problems": problems }),
    );
    Ok(problems.is_empty())
}

/// The `name = value` settings of the repository's `infra/postgresql.conf`.
fn pg_settings() -> Result<Vec<(String, String)>> {
    let path = repo_root().join("infra/postgresql.conf");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_pg_settings(&text).with_context(|| path.display().to_string())
}

fn parse_pg_settings(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .map(|(n, v)| (n.trim(), v.trim()))
            .filter(|(n, v)| {
                !v.is_empty()
                    && !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            })
            .ok_or_else(|| anyhow!("line {}: expected `name = value`", n + 1))?;
        out.push((name.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// The tables posting writes rows into, and how to find the rows one import wrote (`$IMPORT`
/// stands for its id; earlier tables in the list are staged first).
const FLOOR_TABLES: [(&str, &str); 7] = [
    (
        "st_lines",
        "SELECT * FROM st_lines WHERE import_id = '$IMPORT'",
    ),
    (
        "st_seen",
        "SELECT s.* FROM st_seen s WHERE s.line_id IN (SELECT id FROM floor_src_st_lines)",
    ),
    (
        "finance_payments",
        "SELECT p.* FROM finance_payments p \
         WHERE p.id IN (SELECT payment_id FROM floor_src_st_lines)",
    ),
    (
        "ledger_entries",
        "SELECT e.* FROM ledger_entries e WHERE e.id IN (SELECT entry_id FROM floor_src_st_lines)",
    ),
    (
        "ledger_lines",
        "SELECT l.* FROM ledger_lines l \
         WHERE l.entry_id IN (SELECT id FROM floor_src_ledger_entries)",
    ),
    (
        "finance_allocations",
        "SELECT a.* FROM finance_allocations a \
         WHERE a.payment_id IN (SELECT id FROM floor_src_finance_payments)",
    ),
    (
        "outbox",
        "SELECT o.* FROM outbox o WHERE o.dedupe_key IN \
         (SELECT 'payment_posted:' || id FROM floor_src_finance_payments)",
    ),
];

/// The rows the least posting must write per credit, whatever its design, staged from the
/// floor's (`$SRC` is the floor's staged table), and the keys and indexes they must have: the
/// line with its claim (its key, and its dedupe key unique per statement — here instead of a
/// table of claims), the one ledger line crediting the payer's receivable (its key, and the
/// index a party's account is read by; the bank's side summed into one line per statement)
/// and the "payment posted" message (its key). No payment record, no allocations, no journal
/// entry of its own: an import that writes less loses the line, the payer's account or the
/// message. Each entry: the table, its rows (a `SELECT` from `$SRC`), its keys, and one more
/// index (or none: "").
const MINIMAL_TABLES: [(&str, &str, &str, &str); 3] = [
    (
        "st_lines",
        "SELECT * FROM $SRC",
        "PRIMARY KEY (id), UNIQUE (statement_id, dedupe_key)",
        "",
    ),
    (
        "ledger_lines",
        "SELECT DISTINCT ON (entry_id) * FROM $SRC ORDER BY entry_id, credit DESC",
        "PRIMARY KEY (id)",
        "party_id, account",
    ),
    ("outbox", "SELECT * FROM $SRC", "PRIMARY KEY (id)", ""),
];

/// Starts a timed PostgreSQL phase from a checkpoint. Otherwise one set off by the WAL of
/// what ran before (the set-up, the import) may run during the phase, and each page the phase
/// touches first is then logged whole: seconds that depend on which phase came after which.
async fn checkpoint(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::raw_sql("CHECKPOINT").execute(conn).await?;
    Ok(())
}

/// [`checkpoint`] on its own connection, when the phase runs on PostgreSQL.
async fn checkpoint_at(at: &Location) -> Result<()> {
    match at {
        Location::Postgres(url) => checkpoint(&mut sqlx::PgConnection::connect(url).await?).await,
        _ => Ok(()),
    }
}

/// What PostgreSQL itself spends writing the rows one import's posting wrote.
struct Floor {
    /// Into copies of their tables with the same indexes and constraints.
    indexed_secs: f64,
    /// Into plain copies: the columns only, no index, no key (the volume alone).
    plain_secs: f64,
    rows: u64,
    /// The least any posting must write ([`MINIMAL_TABLES`]), with its keys.
    minimal_secs: f64,
    minimal_rows: u64,
}

/// PostgreSQL writing every row one import's posting wrote, itself: the rows are staged in
/// temporary tables (not timed), then `INSERT … SELECT`ed, in one transaction, into empty
/// copies of their tables with the same indexes and constraints (`LIKE … INCLUDING ALL`),
/// and again into plain copies (`LIKE …`: no indexes). No parsing, no network, no
/// decisions: the least a database can spend on those writes, with and without the indexes.
/// The installments' updates are left out (their rows cannot be put back as they were), so
/// the floor is lower than the real one. Last, the least any posting must write
/// ([`MINIMAL_TABLES`]), into tables with only its keys.
async fn floor(url: &str, import_id: &str) -> Result<Floor> {
    Uuid::parse_str(import_id).context("the import's id")?;
    let schema = wspolnota_core::TenantSlug::parse(env::SLUG)
        .map_err(|e| anyhow!("{e}"))?
        .schema_name();
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let run = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
    run(format!("SET search_path TO \"{schema}\""))
        .execute(&mut conn)
        .await?;
    for (table, select) in FLOOR_TABLES {
        run(format!(
            "DROP TABLE IF EXISTS floor_src_{table}; \
             CREATE TEMP TABLE floor_src_{table} AS {}; \
             DROP TABLE IF EXISTS floor_{table}; \
             CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL); \
             DROP TABLE IF EXISTS floor_plain_{table}; \
             CREATE TABLE floor_plain_{table} (LIKE {table})",
            select.replace("$IMPORT", import_id)
        ))
        .execute(&mut conn)
        .await?;
    }
    for (table, select, keys, index) in MINIMAL_TABLES {
        let index = if index.is_empty() {
            String::new()
        } else {
            format!("; CREATE INDEX ON floor_minimal_{table} ({index})")
        };
        run(format!(
            "DROP TABLE IF EXISTS floor_src_minimal_{table}; \
             CREATE TEMP TABLE floor_src_minimal_{table} AS {}; \
             DROP TABLE IF EXISTS floor_minimal_{table}; \
             CREATE TABLE floor_minimal_{table} (LIKE {table}, {keys}){index}",
            select.replace("$SRC", &format!("floor_src_{table}"))
        ))
        .execute(&mut conn)
        .await?;
    }
    let all: Vec<&str> = FLOOR_TABLES.iter().map(|(t, _)| *t).collect();
    let minimal: Vec<&str> = MINIMAL_TABLES.iter().map(|(t, ..)| *t).collect();
    let mut timed = Vec::with_capacity(3);
    for (target, source, tables) in [
        ("floor", "floor_src", &all),
        ("floor_plain", "floor_src", &all),
        ("floor_minimal", "floor_src_minimal", &minimal),
    ] {
        checkpoint(&mut conn).await?;
        let started = Instant::now();
        let mut rows = 0;
        let mut tx = conn.begin().await?;
        for table in tables {
            rows += run(format!(
                "INSERT INTO {target}_{table} SELECT * FROM {source}_{table}"
            ))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        timed.push((started.elapsed().as_secs_f64(), rows));
    }
    for (table, _) in FLOOR_TABLES {
        run(format!(
            "DROP TABLE floor_{table}; DROP TABLE floor_plain_{table}; \
             DROP TABLE IF EXISTS floor_minimal_{table}"
        ))
        .execute(&mut conn)
        .await?;
    }
    conn.close().await?;
    let [
        (indexed_secs, rows),
        (plain_secs, _),
        (minimal_secs, minimal_rows),
    ] = timed[..]
    else {
        bail!("the floor was timed {} times", timed.len());
    };
    Ok(Floor {
        indexed_secs,
        plain_secs,
        rows,
        minimal_secs,
        minimal_rows,
    })
}

// ---------------------------------------------------------------------------------------
// The orchestration.
// ---------------------------------------------------------------------------------------

struct Row {
    backend: String,
    phase: &'static str,
    lines: usize,
    secs: f64,
    rss_kib: u64,
    file_bytes: u64,
    /// (baseline name, its rows/s).
    baseline: Option<(&'static str, f64)>,
    detail: Json,
}

impl Row {
    /// A phase's row from the JSON line its process printed (seconds, peak RSS).
    fn measured(backend: &str, phase: &'static str, lines: usize, v: Json) -> Self {
        Self {
            backend: backend.into(),
            phase,
            lines,
            secs: num(&v, "seconds"),
            rss_kib: unum(&v, "vm_hwm_kib"),
            file_bytes: 0,
            baseline: None,
            detail: v,
        }
    }

    fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.lines as f64 / self.secs
        } else {
            0.0
        }
    }

    fn ratio(&self) -> Option<f64> {
        let (_, b) = self.baseline?;
        let own = self.per_sec();
        (own > 0.0).then(|| b / own)
    }

    fn json(&self) -> Json {
        json!({
            "backend": self.backend, "phase": self.phase, "lines": self.lines,
            "seconds": self.secs, "lines_per_sec": self.per_sec(),
            "peak_rss_mib": self.rss_kib as f64 / 1024.0,
            "file_mib": self.file_bytes as f64 / 1_048_576.0,
            "baseline": self.baseline.map(|(n, r)| json!({ "name": n, "rows_per_sec": r })),
            "ratio_baseline_to_measured": self.ratio(),
            "detail": self.detail,
        })
    }
}

/// Runs a phase of this binary in a process of its own; its one JSON line, or why it failed.
async fn child(args: Vec<String>) -> Result<(Json, bool)> {
    let exe = std::env::current_exe()?;
    let out = tokio::process::Command::new(exe)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| anyhow!("phase {} failed ({}) without a result", args[0], out.status))?;
    let v: Json = serde_json::from_str(line)?;
    Ok((v, out.status.success()))
}

fn num(v: &Json, key: &str) -> f64 {
    v.get(key).and_then(Json::as_f64).unwrap_or(0.0)
}

fn unum(v: &Json, key: &str) -> u64 {
    v.get(key).and_then(Json::as_u64).unwrap_or(0)
}

async fn run(args: RunArgs) -> Result<bool> {
    if args.lines == 0 || args.common.parties == 0 {
        bail!("--lines and --parties must be positive");
    }
    if !args
        .database
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bail!("--database must be lowercase letters, digits and '_'");
    }
    let mut sizes = if args.sizes.is_empty() {
        vec![(args.lines / 10).max(1), args.lines]
    } else {
        args.sizes.clone()
    };
    sizes.sort_unstable();
    sizes.dedup();
    let config = load_config(&args.common.tenants_dir())?;
    let plan = Plan::new(&config, args.common.parties, args.common.iph)?;
    let (work, remove_work) = match &args.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("wsp-bench-st-{}", Uuid::new_v4())),
            true,
        ),
    };
    std::fs::create_dir_all(&work)?;
    let result = measure_all(&args, &plan, &sizes, &work).await;
    if remove_work {
        let _ = std::fs::remove_dir_all(&work);
    }
    let (rows, ok, pg_version) = result?;

    print_table(&args, &plan, &rows);
    let path = args
        .json
        .clone()
        .unwrap_or_else(|| repo_root().join("ops/bench/results/statements-latest.json"));
    let doc = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "tenant": env::SLUG,
        "parties": args.common.parties,
        "sizes": sizes,
        "import_max": args.import_max,
        "undo_max": args.undo_max,
        "iph": format!("{:?}", args.common.iph).to_lowercase(),
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "postgresql": pg_version,
        },
        "results": rows.iter().map(Row::json).collect::<Vec<_>>(),
        "ok": ok,
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    log(format!("wrote {}", path.display()));
    if !ok {
        log("some checks failed: the results are not valid");
    }
    Ok(ok)
}

async fn measure_all(
    args: &RunArgs,
    plan: &Plan,
    sizes: &[usize],
    work: &Path,
) -> Result<(Vec<Row>, bool, Option<String>)> {
    let mut rows = Vec::new();
    let mut ok = true;
    // The files, one per size (tag = position + 1: distinct TNRs, so each is imported whole).
    let mut files = Vec::new();
    for (k, &n) in sizes.iter().enumerate() {
        let tag = u32::try_from(k + 1)?;
        let path = work.join(format!("statement-{n}.sta"));
        let t = Instant::now();
        let bytes = mt940::write_file(plan, tag, n, &path)?;
        log(format!(
            "generated {n} lines, {:.1} MiB in {:.1} s: {}",
            bytes as f64 / 1_048_576.0,
            t.elapsed().as_secs_f64(),
            path.display()
        ));
        files.push((n, tag, path, bytes));
    }
    for (n, _, path, bytes) in &files {
        let (v, good) = child(vec![
            "parse".into(),
            "--file".into(),
            path.display().to_string(),
            "--lines".into(),
            n.to_string(),
        ])
        .await?;
        ok &= good;
        let row = Row {
            file_bytes: *bytes,
            ..Row::measured("–", "parse", *n, v)
        };
        log(format!(
            "parse {n}: {:.2} s = {:.0} lines/s, peak RSS {:.0} MiB",
            row.secs,
            row.per_sec(),
            row.rss_kib as f64 / 1024.0
        ));
        rows.push(row);
    }

    let backends: &[&str] = match args.backends {
        Backends::Sqlite => &["sqlite"],
        Backends::Postgres => &["postgres"],
        Backends::Both => &["sqlite", "postgres"],
    };
    let mut pg_version = None;
    for backend in backends {
        let (location, admin) = if *backend == "sqlite" {
            let dir = work.join("sqlite");
            let _ = std::fs::remove_dir_all(&dir);
            (Location::Sqlite(dir), None)
        } else {
            let admin_url = format!("postgres://postgres@{}/postgres", args.pg);
            let admin = Database::connect(admin_url.clone())
                .await
                .with_context(|| format!("connecting to {admin_url}"))?;
            pg_version = admin
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SHOW server_version",
                ))
                .await?
                .map(|r| r.try_get::<String>("", "server_version"))
                .transpose()?;
            let db = &args.database;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {db}"))
                .await?;
            // The platform's PostgreSQL settings, on this database only: the machine's
            // server keeps its own.
            for (name, value) in pg_settings()? {
                admin
                    .execute_unprepared(&format!("ALTER DATABASE {db} SET {name} = {value}"))
                    .await?;
            }
            (
                Location::Postgres(format!("postgres://postgres@{}/{db}", args.pg)),
                Some(admin),
            )
        };
        let measured = bench_backend(args, plan, &location, &files).await;
        match (&location, admin) {
            (Location::Postgres(_), Some(_)) if args.keep_db => {
                log(format!("kept database {}", args.database));
            }
            (Location::Postgres(_), Some(admin)) => {
                let db = &args.database;
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
        let (r, good) = measured?;
        ok &= good;
        rows.extend(r);
    }
    Ok((rows, ok, pg_version))
}

async fn bench_backend(
    args: &RunArgs,
    plan: &Plan,
    location: &Location,
    files: &[(usize, u32, PathBuf, u64)],
) -> Result<(Vec<Row>, bool)> {
    let backend = location.backend();
    log(format!(
        "{backend}: setting up {} with {} parties (assessment, 4 installments, virtual accounts)",
        env::SLUG,
        plan.parties
    ));
    let t = Instant::now();
    {
        let config = load_config(&args.common.tenants_dir())?;
        let env = Env::open(location, config).await?;
        setup(&env, plan).await?;
    }
    log(format!(
        "{backend}: set up in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    let mut rows = Vec::new();
    let mut ok = true;
    let (bname, phase_name) = if backend == "postgres" {
        ("COPY", "copy")
    } else {
        ("INSERT", "insert")
    };
    // A phase's command line: its name, the common options, the backend, then its own.
    let phase_args = |phase: &str, own: [String; 4]| {
        let mut a = vec![phase.to_owned()];
        a.extend(args.common.args());
        a.extend(location.args());
        a.extend(own);
        a
    };
    for (n, tag, path, bytes) in files {
        let (v, good) = child(phase_args(
            "baseline",
            [
                "--lines".into(),
                n.to_string(),
                "--tag".into(),
                tag.to_string(),
            ],
        ))
        .await?;
        ok &= good;
        let base = Row::measured(backend, phase_name, *n, v);
        log(format!(
            "{backend} {phase_name} {n}: {:.2} s = {:.0} rows/s",
            base.secs,
            base.per_sec()
        ));
        let base_rate = base.per_sec();
        rows.push(base);
        if args.import_max.is_some_and(|m| *n > m) {
            log(format!(
                "{backend}: import of {n} lines skipped (above --import-max)"
            ));
            continue;
        }
        let file_args = |phase: &str| {
            phase_args(
                phase,
                [
                    "--file".into(),
                    path.display().to_string(),
                    "--lines".into(),
                    n.to_string(),
                ],
            )
        };
        let (v, good) = child(file_args("match")).await?;
        ok &= good;
        let matched = Row {
            file_bytes: *bytes,
            ..Row::measured(backend, "match", *n, v)
        };
        log(format!(
            "{backend} match {n} (parse + match): {:.2} s = {:.0} lines/s, peak RSS {:.0} MiB",
            matched.secs,
            matched.per_sec(),
            matched.rss_kib as f64 / 1024.0
        ));
        let match_secs = matched.secs;
        rows.push(matched);
        let (v, good) = child(file_args("import")).await?;
        ok &= good;
        let v_import_id = v.get("import_id").and_then(Json::as_str).map(str::to_owned);
        let row = Row {
            file_bytes: *bytes,
            baseline: Some((bname, base_rate)),
            ..Row::measured(backend, "import", *n, v)
        };
        log(format!(
            "{backend} import {n}: {:.2} s = {:.0} lines/s, peak RSS {:.0} MiB, ratio {:.1}, \
             then the reconciliation in {:.0} ms{}",
            row.secs,
            row.per_sec(),
            row.rss_kib as f64 / 1024.0,
            row.ratio().unwrap_or(0.0),
            num(&row.detail, "reconcile_seconds") * 1000.0,
            if good { "" } else { " — CHECKS FAILED" }
        ));
        // Posting alone: the import's time less that of parsing and matching the same file.
        let post = Row {
            backend: backend.into(),
            phase: "post",
            lines: *n,
            secs: (row.secs - match_secs).max(0.0),
            rss_kib: row.rss_kib,
            file_bytes: 0,
            baseline: Some((bname, base_rate)),
            detail: json!({ "derived": "import seconds - match seconds" }),
        };
        let post_secs = post.secs;
        rows.push(row);
        rows.push(post);
        if let (Location::Postgres(url), Some(id)) = (location, v_import_id.as_deref()) {
            let Floor {
                indexed_secs: secs,
                plain_secs,
                rows: written,
                minimal_secs,
                minimal_rows,
            } = floor(url, id).await?;
            log(format!(
                "{backend} floor {n}: PostgreSQL wrote the {written} rows posting wrote in \
                 {secs:.2} s ({plain_secs:.2} s without indexes); posting took {:.1}× that; \
                 the {minimal_rows} rows any posting must write took {minimal_secs:.2} s = \
                 {:.1}× COPY",
                post_secs / secs.max(1e-9),
                minimal_secs * base_rate / *n as f64
            ));
            // The least any posting must write, against COPY: how small "small" can be.
            rows.push(Row {
                backend: backend.into(),
                phase: "minimal",
                lines: *n,
                secs: minimal_secs,
                rss_kib: 0,
                file_bytes: 0,
                baseline: Some((bname, base_rate)),
                detail: json!({ "rows_written": minimal_rows, "how": "INSERT … SELECT of the least any posting must write per credit: the line (key, dedupe key unique per statement), the one ledger line crediting the payer's receivable (key, party index), the message (key)" }),
            });
            // Each way PostgreSQL wrote posting's rows, and posting against it.
            for (phase, versus, secs, how) in [
                (
                    "floor",
                    "post÷floor",
                    secs,
                    "INSERT … SELECT of the rows the import's posting wrote into empty copies of their tables (same indexes)",
                ),
                (
                    "plain",
                    "post÷plain",
                    plain_secs,
                    "the floor's rows INSERT … SELECTed into plain copies of their tables (LIKE: columns only, no indexes, no keys)",
                ),
            ] {
                rows.push(Row {
                    backend: backend.into(),
                    phase,
                    lines: *n,
                    secs,
                    rss_kib: 0,
                    file_bytes: 0,
                    baseline: None,
                    detail: json!({ "rows_written": written, "how": how }),
                });
                rows.push(Row {
                    backend: backend.into(),
                    phase: versus,
                    lines: *n,
                    secs: post_secs,
                    rss_kib: 0,
                    file_bytes: 0,
                    baseline: Some((phase, *n as f64 / secs.max(1e-9))),
                    detail: json!({ "derived": format!("post seconds vs {phase} seconds") }),
                });
            }
        }
        if let (Some(max), Some(id)) = (args.undo_max, v_import_id.as_deref())
            && *n <= max
        {
            let (v, good) = child(phase_args(
                "undo",
                [
                    "--import-id".into(),
                    id.to_owned(),
                    "--lines".into(),
                    n.to_string(),
                ],
            ))
            .await?;
            ok &= good;
            let row = Row::measured(backend, "undo", *n, v);
            log(format!(
                "{backend} undo {n}: {:.2} s = {:.0} lines/s",
                row.secs,
                row.per_sec()
            ));
            rows.push(row);
        }
    }
    Ok((rows, ok))
}

fn print_table(args: &RunArgs, plan: &Plan, rows: &[Row]) {
    println!(
        "Statements benchmark: mBank MT940, {} parties, ID IPH as {:?}, sizes {:?}{}.\n",
        plan.parties,
        plan.iph,
        rows.iter()
            .filter(|r| r.phase == "parse")
            .map(|r| r.lines)
            .collect::<Vec<_>>(),
        args.import_max
            .map(|m| format!(", import up to {m} lines"))
            .unwrap_or_default()
    );
    println!(
        "| backend | phase | lines | seconds | lines/s | peak RSS MiB | file MiB | baseline rows/s | ratio |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (b, ratio) = match (r.baseline, r.ratio()) {
            (Some((name, b)), Some(x)) => (format!("{b:.0} ({name})"), format!("{x:.1}")),
            _ => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.0} | {} | {} | {} |",
            r.backend,
            r.phase,
            r.lines,
            r.secs,
            r.per_sec(),
            r.rss_kib as f64 / 1024.0,
            if r.file_bytes > 0 {
                format!("{:.0}", r.file_bytes as f64 / 1_048_576.0)
            } else {
                "–".into()
            },
            b,
            ratio
        );
    }
    println!(
        "\nratio = baseline rows/s ÷ lines/s (PostgreSQL COPY / SQLite multi-row INSERT of the \
         same rows into a plain table, same backend, same run). match = parse + match, no \
         writes; import = parse + match + post in one transaction; post = import − match \
         seconds. Peak RSS = VmHWM of the phase's own process (files are streamed)."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_starts_postgres_with_every_setting_of_infra_postgresql_conf() {
        let settings = pg_settings().unwrap_or_default();
        assert!(!settings.is_empty());
        let compose =
            std::fs::read_to_string(repo_root().join("infra/compose.yaml")).unwrap_or_default();
        for (name, value) in settings {
            assert!(
                compose.contains(&format!("\"-c\", \"{name}={value}\"")),
                "infra/compose.yaml does not pass {name}={value} to PostgreSQL"
            );
        }
    }

    #[test]
    fn settings_lines_are_name_equals_value() {
        let parsed = parse_pg_settings("# c\n\nrandom_page_cost = 1.1  # why\nwork_mem=8MB\n");
        assert_eq!(
            parsed.ok(),
            Some(vec![
                ("random_page_cost".into(), "1.1".into()),
                ("work_mem".into(), "8MB".into())
            ])
        );
        let bad = parse_pg_settings("ok = 1\nrandom_page_cost 1.1\n");
        assert!(bad.is_err_and(|e| e.to_string().contains("line 2")));
        assert!(parse_pg_settings("a = 1; DROP TABLE x").is_err());
    }
}
