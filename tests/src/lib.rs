//! Support code for the end-to-end tests: starts the real `wspolnota` binary on a free port
//! with its own data (a temp directory of SQLite files, or a fresh PostgreSQL database when
//! `DATABASE_URL` is set) and speaks HTTP to it with `Host` headers.
//!
//! Starting a fresh demo instance hashes eleven demo passwords with argon2id, which takes
//! seconds in a debug build. So the first demo start with a given binary seeds a snapshot
//! (the SQLite files in `<target>/<profile>/e2e-snapshots/`, or the PostgreSQL template
//! database `wsp_e2e_tpl_<key>`), keyed by the binary and the tenant files; later demo starts
//! begin from a copy of it: still `serve --demo` (the tenant sync and the idempotent seeding
//! run), only without re-hashing. Snapshots of other keys are deleted when a new one is made.
//! `AppOptions::fresh` starts from empty data instead.

// Test-support code: a failed setup must stop the test at once with a clear message, so
// unwrap/expect are allowed here (the workspace denies them in production code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod idp;

use std::fs::{self, File};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

pub use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Password of every demo account.
pub const PASSWORD: &str = "wspolnota-demo";
/// The operator's host.
pub const PLATFORM: &str = "platform.localhost";
/// The demo tenants (the files in the repository's `tenants/`).
pub const SLUGS: [&str; 5] = ["baranow", "biszcza", "kurow", "powiat-lubelski", "zamosc"];

const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Money as the API writes it ("1234.50") in grosze, so tests compare exact integers.
pub fn grosze(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a money string: {v}"));
    let (zl, gr) = s.split_once('.').unwrap_or((s, "00"));
    let sign = if zl.starts_with('-') { -1 } else { 1 };
    let zl: i64 = zl.trim_start_matches('-').parse().unwrap();
    let gr: i64 = format!("{gr:0<2}")[..2].parse().unwrap();
    sign * (zl * 100 + gr)
}

/// `<slug>.localhost`.
pub fn host(slug: &str) -> String {
    format!("{slug}.localhost")
}

pub fn resident(slug: &str) -> String {
    format!("mieszkaniec@{slug}.test")
}

pub fn admin(slug: &str) -> String {
    format!("admin@{slug}.test")
}

pub const OPERATOR: &str = "operator@platform.test";

/// The workspace root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate has a parent directory")
        .to_owned()
}

/// `DATABASE_URL` of the test environment (PostgreSQL run), if set.
fn admin_database_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Whether this run uses PostgreSQL (else SQLite files).
pub fn on_postgres() -> bool {
    admin_database_url().is_some()
}

// ---------------------------------------------------------------------------------------------
// The binary

/// The `wspolnota` binary: `WSPOLNOTA_BIN`, else `<target>/<profile>/wspolnota` next to the
/// directory of this test executable (`<target>/<profile>/deps/`).
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate_binary)
}

fn locate_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WSPOLNOTA_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "WSPOLNOTA_BIN={} is not a file",
            path.display()
        );
        return path;
    }
    let exe = std::env::current_exe().expect("the path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in <target>/<profile>/deps");
    let bin = profile_dir.join(format!("wspolnota{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "the server binary {} does not exist: build it first: cargo build -p wspolnota-server \
         (or point WSPOLNOTA_BIN at one)",
        bin.display()
    );
    // `cargo test` does not (re)build another package's binary: refuse to test a stale one.
    let built = modified(&bin);
    if let Some((newest, source)) = newest_source(&bin) {
        assert!(
            built >= newest,
            "the server binary {} is older than {}: build it first: cargo build -p \
             wspolnota-server (or set WSPOLNOTA_BIN to test it as it is)",
            bin.display(),
            source.display()
        );
    }
    bin
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The most recently modified of the workspace sources the binary was built from, as listed
/// in cargo's dep-info file next to it (`wspolnota.d`).
fn newest_source(bin: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut dep_info = bin.as_os_str().to_owned();
    dep_info.push(".d");
    let text = fs::read_to_string(PathBuf::from(dep_info)).ok()?;
    let (_, deps) = text.lines().next()?.split_once(": ")?;
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    // Paths are separated by spaces; a space inside a path is escaped as `\ `.
    for path in deps.replace("\\ ", "\0").split_whitespace() {
        let path = PathBuf::from(path.replace('\0', " "));
        if !path.is_file() {
            continue;
        }
        let time = modified(&path);
        if newest.as_ref().is_none_or(|(t, _)| time > *t) {
            newest = Some((time, path));
        }
    }
    newest
}

// ---------------------------------------------------------------------------------------------
// Temporary directories

/// A directory removed on drop, except when the test is failing (then its path is printed).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", Uuid::new_v4().simple()));
        fs::create_dir_all(&path).expect("creating a temp directory");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("(kept {} for inspection)", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("creating a directory");
    for entry in fs::read_dir(from).expect("reading a directory").flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else if !name.to_string_lossy().ends_with("-shm") {
            // The SQLite shared-memory index is rebuilt from the WAL on open.
            fs::copy(&path, to.join(&name)).expect("copying a file");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL administration

async fn pg_connect(url: &str) -> sea_orm::DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(20))
        .sqlx_logging(false);
    Database::connect(opts)
        .await
        .unwrap_or_else(|e| panic!("connecting to PostgreSQL at {url}: {e}"))
}

async fn pg_exec(admin_url: &str, sql: &str) -> Result<(), sea_orm::DbErr> {
    let conn = pg_connect(admin_url).await;
    let result = conn.execute_unprepared(sql).await.map(|_| ());
    let _ = conn.close().await;
    result
}

/// Runs `sql` (CREATE/ALTER DATABASE), retrying while PostgreSQL reports that a database is
/// still in use (backends of a just-killed server take a moment to go).
async fn pg_exec_retrying(admin_url: &str, sql: &str) {
    let mut last = None;
    for _ in 0..50 {
        match pg_exec(admin_url, sql).await {
            Ok(()) => return,
            Err(e) => {
                let text = e.to_string();
                if !text.contains("being accessed by other users") {
                    panic!("{sql}: {text}");
                }
                last = Some(text);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("{sql}: {}", last.unwrap_or_default());
}

async fn pg_database_exists(admin_url: &str, name: &str) -> bool {
    let conn = pg_connect(admin_url).await;
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("querying pg_database");
    let _ = conn.close().await;
    row.is_some()
}

async fn pg_databases_like(admin_url: &str, pattern: &str) -> Vec<String> {
    let conn = pg_connect(admin_url).await;
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            [pattern.into()],
        ))
        .await
        .expect("querying pg_database");
    let _ = conn.close().await;
    rows.iter()
        .map(|r| r.try_get::<String>("", "datname").expect("datname"))
        .collect()
}

/// `admin_url` with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops a database from synchronous code (a `Drop`), on a thread with its own runtime.
fn drop_database_blocking(admin_url: String, name: String) {
    let joined = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to drop the test database");
        runtime.block_on(async {
            if let Err(e) = pg_exec(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await
            {
                eprintln!("could not drop the test database {name}: {e}");
            }
        });
    })
    .join();
    if joined.is_err() {
        eprintln!("dropping a test database panicked");
    }
}

// ---------------------------------------------------------------------------------------------
// The seeded snapshot

enum Snapshot {
    Sqlite(PathBuf),
    Postgres(String),
}

static SNAPSHOT: OnceCell<Snapshot> = OnceCell::const_new();

/// What the snapshot depends on: the binary, the tenant files, the backend.
fn snapshot_key() -> String {
    let mut hasher = DefaultHasher::new();
    let bin = binary();
    bin.hash(&mut hasher);
    if let Ok(meta) = fs::metadata(bin) {
        meta.len().hash(&mut hasher);
        if let Ok(t) = meta.modified()
            && let Ok(d) = t.duration_since(SystemTime::UNIX_EPOCH)
        {
            d.as_nanos().hash(&mut hasher);
        }
    }
    for (name, text) in repo_tenant_files() {
        name.hash(&mut hasher);
        text.hash(&mut hasher);
    }
    on_postgres().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// `tenants/*.toml` of the repository: (file name, text), sorted.
pub fn repo_tenant_files() -> Vec<(String, String)> {
    let dir = repo_root().join("tenants");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&p).expect("reading a tenant file");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

async fn snapshot() -> &'static Snapshot {
    SNAPSHOT.get_or_init(make_snapshot).await
}

async fn make_snapshot() -> Snapshot {
    let key = snapshot_key();
    match admin_database_url() {
        None => {
            let root = binary()
                .parent()
                .expect("the binary has a directory")
                .join("e2e-snapshots");
            let done = root.join(format!("sqlite-{key}"));
            if done.join("platform.sqlite").is_file() {
                return Snapshot::Sqlite(done);
            }
            let mut seed = Box::pin(TestApp::start_new(AppOptions {
                fresh: true,
                ..AppOptions::default()
            }))
            .await;
            seed.stop();
            let tmp = root.join(format!("tmp-{}", Uuid::new_v4().simple()));
            copy_dir(&seed.data_dir, &tmp);
            if fs::rename(&tmp, &done).is_err() {
                // Another test process made it first.
                let _ = fs::remove_dir_all(&tmp);
            }
            // Snapshots of older binaries are of no further use.
            if let Ok(entries) = fs::read_dir(&root) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with("sqlite-") && entry.path() != done {
                        let _ = fs::remove_dir_all(entry.path());
                    }
                }
            }
            Snapshot::Sqlite(done)
        }
        Some(admin) => {
            let template = format!("wsp_e2e_tpl_{key}");
            if pg_database_exists(&admin, &template).await {
                return Snapshot::Postgres(template);
            }
            let mut seed = Box::pin(TestApp::start_new(AppOptions {
                fresh: true,
                ..AppOptions::default()
            }))
            .await;
            seed.stop();
            let name = seed
                .db
                .take()
                .expect("a PostgreSQL run seeds a PostgreSQL database")
                .name;
            let renamed = pg_exec_renaming(&admin, &name, &template).await;
            if !renamed {
                // Another test process made it first.
                drop_database_blocking(admin.clone(), name);
            }
            for old in pg_databases_like(&admin, "wsp\\_e2e\\_tpl\\_%").await {
                if old != template {
                    let _ = pg_exec(
                        &admin,
                        &format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"),
                    )
                    .await;
                }
            }
            Snapshot::Postgres(template)
        }
    }
}

/// Renames `from` to `to`; false if `to` exists already.
async fn pg_exec_renaming(admin: &str, from: &str, to: &str) -> bool {
    if pg_database_exists(admin, to).await {
        return false;
    }
    let _ = pg_exec(
        admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{from}'"),
    )
    .await;
    let sql = format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\"");
    for _ in 0..50 {
        match pg_exec(admin, &sql).await {
            Ok(()) => return true,
            Err(e) if e.to_string().contains("already exists") => return false,
            Err(e) if e.to_string().contains("being accessed by other users") => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
    panic!("{sql}: the database stayed in use");
}

// ---------------------------------------------------------------------------------------------
// The application under test

/// How to start the server. Default: `serve --demo` from the seeded snapshot.
#[derive(Clone, Debug)]
pub struct AppOptions {
    demo: bool,
    fresh: bool,
    args: Vec<String>,
    env: Vec<(String, String)>,
    tenant_files: Vec<(String, String)>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            demo: true,
            fresh: false,
            args: Vec::new(),
            env: Vec::new(),
            tenant_files: Vec::new(),
        }
    }
}

impl AppOptions {
    /// Start without `--demo` (and from empty data: no snapshot).
    pub fn no_demo(&mut self) -> &mut Self {
        self.demo = false;
        self.fresh = true;
        self
    }

    /// Start from empty data (a fresh SQLite directory or database), not from the snapshot.
    pub fn fresh(&mut self) -> &mut Self {
        self.fresh = true;
        self
    }

    /// An extra argument of `serve`.
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// An extra environment variable of the server.
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// An extra file in the tenants directory (e.g. `"testowo.toml"`).
    pub fn tenant_file(&mut self, name: impl Into<String>, text: impl Into<String>) -> &mut Self {
        self.tenant_files.push((name.into(), text.into()));
        self
    }
}

/// The test's own PostgreSQL database.
struct PgDb {
    admin_url: String,
    name: String,
    url: String,
}

/// Tokens from `auth.login` / `auth.refresh`.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_at: Option<String>,
}

/// The first error of a GraphQL response.
#[derive(Clone, Debug)]
pub struct GqlError {
    pub code: Option<String>,
    pub field: Option<String>,
    pub message: String,
    pub body: Value,
}

/// The first error of a response body (GraphQL or plain-HTTP), if any.
pub fn first_error(body: &Value) -> Option<GqlError> {
    let error = body.get("errors")?.get(0)?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    Some(GqlError {
        code: text(error.pointer("/extensions/code")),
        field: text(error.pointer("/extensions/field")),
        message: text(error.get("message")).unwrap_or_default(),
        body: body.clone(),
    })
}

/// The `extensions.code` of the first error, or "" when there is none.
pub fn error_code(body: &Value) -> String {
    first_error(body).and_then(|e| e.code).unwrap_or_default()
}

/// A row of a tenant's audit log.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub action: String,
    pub detail: String,
}

pub struct TestApp {
    port: u16,
    dir: TempDir,
    data_dir: PathBuf,
    tenants_dir: PathBuf,
    db: Option<PgDb>,
    redis_namespace: String,
    jwt_secret: String,
    opts: AppOptions,
    child: Option<Child>,
    starts: u32,
    http: reqwest::Client,
}

impl TestApp {
    /// `serve --demo` on fresh data (seeded once per run, see the crate docs).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut AppOptions)) -> Self {
        let mut opts = AppOptions::default();
        configure(&mut opts);
        Self::start_new(opts).await
    }

    async fn start_new(opts: AppOptions) -> Self {
        // A missing or stale binary fails here, before anything is created.
        binary();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let snapshot = if opts.demo && !opts.fresh {
            Some(snapshot().await)
        } else {
            None
        };
        let dir = TempDir::new("wsp-e2e");
        let data_dir = dir.path().join("data");
        let tenants_dir = dir.path().join("tenants");
        fs::create_dir_all(&tenants_dir).expect("creating the tenants directory");
        for (name, text) in repo_tenant_files()
            .into_iter()
            .chain(opts.tenant_files.clone())
        {
            fs::write(tenants_dir.join(name), text).expect("writing a tenant file");
        }
        let db = match admin_database_url() {
            None => {
                match snapshot {
                    Some(Snapshot::Sqlite(snap)) => copy_dir(snap, &data_dir),
                    _ => fs::create_dir_all(&data_dir).expect("creating the data directory"),
                }
                None
            }
            Some(admin_url) => {
                let name = format!("wsp_e2e_{}", Uuid::new_v4().simple());
                let sql = match snapshot {
                    Some(Snapshot::Postgres(template)) => {
                        format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
                    }
                    _ => format!("CREATE DATABASE \"{name}\""),
                };
                pg_exec_retrying(&admin_url, &sql).await;
                fs::create_dir_all(&data_dir).expect("creating the data directory");
                Some(PgDb {
                    url: database_url(&admin_url, &name),
                    admin_url,
                    name,
                })
            }
        };
        let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let mut app = Self {
            port: 0,
            dir,
            data_dir,
            tenants_dir,
            db,
            redis_namespace: format!("e2e-{}", Uuid::new_v4().simple()),
            jwt_secret: secret[..48].to_owned(),
            opts,
            child: None,
            starts: 0,
            http,
        };
        app.start().await;
        app
    }

    /// A `wspolnota` command with this app's data, tenants directory and environment; add
    /// the subcommand.
    pub fn command(&self) -> Command {
        self.command_with_tenants_dir(&self.tenants_dir)
    }

    /// Like [`command`](Self::command) with another tenants directory.
    pub fn command_with_tenants_dir(&self, tenants_dir: &Path) -> Command {
        let mut cmd = Command::new(binary());
        cmd.arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--tenants-dir")
            .arg(tenants_dir)
            .stdin(Stdio::null());
        // Nothing from the developer's shell configures the server under test.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WSPOLNOTA_") {
                cmd.env_remove(key);
            }
        }
        cmd.env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env("WSPOLNOTA_JWT_SECRET", &self.jwt_secret)
            // The smallest demo register: these tests exercise the platform, not the data.
            .env("WSPOLNOTA_DEMO_SCALE", "1")
            .env("RUST_LOG", "warn");
        if let Some(PgDb { url, .. }) = &self.db {
            cmd.env("DATABASE_URL", url);
        }
        if let Some(redis) = redis_url() {
            cmd.env("REDIS_URL", redis)
                .env("WSPOLNOTA_REDIS_NAMESPACE", &self.redis_namespace);
        }
        for (key, value) in &self.opts.env {
            cmd.env(key, value);
        }
        cmd
    }

    fn log_path(&self, stream: &str) -> PathBuf {
        self.dir
            .path()
            .join(format!("server-{}.{stream}.log", self.starts))
    }

    /// The server's stdout and stderr of the current (or last) start.
    pub fn logs(&self) -> String {
        let read = |stream| fs::read_to_string(self.log_path(stream)).unwrap_or_default();
        format!(
            "--- {} ---\n{}\n--- {} ---\n{}",
            self.log_path("stdout").display(),
            read("stdout"),
            self.log_path("stderr").display(),
            read("stderr")
        )
    }

    /// Starts the server (again) on a free port and waits until `/readyz` answers 200.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        for _attempt in 0..5 {
            self.starts += 1;
            self.port = free_port();
            let stdout = File::create(self.log_path("stdout")).expect("creating a log file");
            let stderr = File::create(self.log_path("stderr")).expect("creating a log file");
            let mut cmd = self.command();
            cmd.arg("serve")
                .arg("--bind")
                .arg(format!("127.0.0.1:{}", self.port))
                .args(&self.opts.args)
                .stdout(stdout)
                .stderr(stderr);
            if self.opts.demo {
                cmd.arg("--demo");
            }
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", binary().display()));
            self.child = Some(child);
            match self.wait_ready().await {
                Ok(()) => return,
                Err(exited) => {
                    self.child = None;
                    let logs = self.logs();
                    if logs.contains("binding 127.0.0.1") {
                        // Someone took the port between our probe and the server's bind.
                        continue;
                    }
                    panic!("the server exited during start-up ({exited})\n{logs}");
                }
            }
        }
        panic!("the server could not bind a free port\n{}", self.logs());
    }

    /// Ok when ready; Err(exit status) when the process ended first. Panics on timeout.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let child = self.child.as_mut().expect("a child process");
            if let Some(status) = child.try_wait().expect("polling the server process") {
                return Err(status.to_string());
            }
            if let Ok(resp) = self
                .http
                .get(self.url("/readyz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                && resp.status() == StatusCode::OK
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                self.stop();
                panic!(
                    "the server was not ready within {READY_TIMEOUT:?}\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.start().await;
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn tenants_dir(&self) -> &Path {
        &self.tenants_dir
    }

    /// A scratch directory that lives as long as the app.
    pub fn scratch_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The HTTP client the helpers use, for requests they do not cover.
    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// GET with a `Host` header: (status, body).
    pub async fn get(&self, host: &str, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(self.url(path))
            .header(HOST, host)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {host}{path}: {e}\n{}", self.logs()));
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// POST of a raw body: (status, body).
    pub async fn post_raw(
        &self,
        host: &str,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, String) {
        let resp = self
            .http
            .post(self.url(path))
            .header(HOST, host)
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {host}{path}: {e}\n{}", self.logs()));
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// POST over a raw socket with `Expect: 100-continue`: the body is sent only if the
    /// server asks for it, so a refusal based on the headers (413) is read reliably instead
    /// of racing a connection reset. (status, response body).
    pub async fn post_expecting_continue(
        &self,
        host: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (StatusCode, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpStream;

        async fn read_head(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
            loop {
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    return Some(end + 4);
                }
                let mut chunk = [0u8; 4096];
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        }
        fn status_of(head: &[u8]) -> StatusCode {
            let line = String::from_utf8_lossy(head);
            let code = line.split_whitespace().nth(1).unwrap_or_default();
            StatusCode::from_bytes(code.as_bytes())
                .unwrap_or_else(|_| panic!("not an HTTP response: {line}"))
        }

        let exchange = async {
            let mut socket = TcpStream::connect(("127.0.0.1", self.port))
                .await
                .expect("connecting to the server");
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
                body.len()
            );
            socket
                .write_all(head.as_bytes())
                .await
                .expect("sending headers");
            let mut buf = Vec::new();
            let end = read_head(&mut socket, &mut buf)
                .await
                .expect("a response to the headers");
            let mut status = status_of(&buf[..end]);
            if status == StatusCode::CONTINUE {
                buf.drain(..end);
                socket.write_all(body).await.expect("sending the body");
                let end = read_head(&mut socket, &mut buf)
                    .await
                    .expect("a response to the body");
                status = status_of(&buf[..end]);
                buf.drain(..end);
            } else {
                buf.drain(..end);
            }
            let _ = socket.read_to_end(&mut buf).await;
            (status, String::from_utf8_lossy(&buf).into_owned())
        };
        tokio::time::timeout(Duration::from_secs(60), exchange)
            .await
            .unwrap_or_else(|_| panic!("POST {host}{path}: no answer within 60 s"))
    }

    /// A GraphQL request to `host`: (HTTP status, JSON body).
    pub async fn gql(
        &self,
        host: &str,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        self.gql_with_headers(host, query, variables, token, &[])
            .await
    }

    /// [`gql`](Self::gql) with extra request headers (e.g. `Idempotency-Key`).
    pub async fn gql_with_headers(
        &self,
        host: &str,
        query: &str,
        variables: Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .header(HOST, host)
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GraphQL at {host}: {e}\n{}", self.logs()));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("GraphQL at {host} answered {status} with a non-JSON body ({e}): {text}")
        });
        (status, body)
    }

    /// A GraphQL request that must succeed (HTTP 200, no errors): its `data`.
    pub async fn gql_ok(
        &self,
        host: &str,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Value {
        let (status, body) = self.gql(host, query, variables, token).await;
        assert_eq!(status, StatusCode::OK, "{query} at {host}: {body}");
        assert!(body.get("errors").is_none(), "{query} at {host}: {body}");
        body["data"].clone()
    }

    /// A GraphQL request that must fail inside an HTTP 200 response: its first error.
    pub async fn gql_err(
        &self,
        host: &str,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> GqlError {
        let (status, body) = self.gql(host, query, variables, token).await;
        assert_eq!(status, StatusCode::OK, "{query} at {host}: {body}");
        first_error(&body).unwrap_or_else(|| panic!("{query} at {host} did not fail: {body}"))
    }

    pub async fn try_login(
        &self,
        host: &str,
        email: &str,
        password: &str,
    ) -> Result<Tokens, GqlError> {
        let (status, body) = self
            .gql(
                host,
                "mutation($e: String!, $p: String!) { auth { login(email: $e, password: $p) \
                 { accessToken refreshToken expiresAt } } }",
                json!({ "e": email, "p": password }),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login at {host}: {body}");
        if let Some(err) = first_error(&body) {
            return Err(err);
        }
        Ok(tokens(&body["data"]["auth"]["login"]))
    }

    /// Signs in; panics on failure.
    pub async fn login(&self, host: &str, email: &str, password: &str) -> Tokens {
        self.try_login(host, email, password)
            .await
            .unwrap_or_else(|e| panic!("login of {email} at {host} failed: {:?}", e.body))
    }

    /// The operator's access token.
    pub async fn operator_token(&self) -> String {
        self.login(PLATFORM, OPERATOR, PASSWORD).await.access
    }

    pub async fn try_refresh(&self, host: &str, refresh_token: &str) -> Result<Tokens, GqlError> {
        let (status, body) = self
            .gql(
                host,
                "mutation($r: String!) { auth { refresh(refreshToken: $r) \
                 { accessToken refreshToken } } }",
                json!({ "r": refresh_token }),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "refresh at {host}: {body}");
        if let Some(err) = first_error(&body) {
            return Err(err);
        }
        Ok(tokens(&body["data"]["auth"]["refresh"]))
    }

    /// Registers a resident: the new account's id.
    pub async fn try_register(
        &self,
        host: &str,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<String, GqlError> {
        let (status, body) = self
            .gql(
                host,
                "mutation($i: RegisterInput!) { auth { register(input: $i) { id } } }",
                json!({ "i": { "email": email, "password": password, "displayName": display_name } }),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "register at {host}: {body}");
        if let Some(err) = first_error(&body) {
            return Err(err);
        }
        Ok(body["data"]["auth"]["register"]["id"]
            .as_str()
            .expect("an id")
            .to_owned())
    }

    pub async fn register(&self, host: &str, email: &str, password: &str, name: &str) -> String {
        self.try_register(host, email, password, name)
            .await
            .unwrap_or_else(|e| panic!("registering {email} at {host} failed: {:?}", e.body))
    }

    /// `me { id email displayName roles verified }` with a token: (status, body).
    pub async fn me(&self, host: &str, token: &str) -> (StatusCode, Value) {
        self.gql(
            host,
            "{ me { id email displayName roles verified } }",
            Value::Null,
            Some(token),
        )
        .await
    }

    /// The rows of a tenant's audit log, read straight from its storage (the tenant's SQLite
    /// file, or its schema `t_<slug>` on PostgreSQL), oldest first.
    pub async fn audit_log(&self, slug: &str) -> Vec<AuditEntry> {
        let (url, table) = match &self.db {
            None => {
                let file = self.data_dir.join("tenants").join(format!("{slug}.sqlite"));
                assert!(file.is_file(), "{} does not exist", file.display());
                (
                    format!("sqlite://{}?mode=ro", file.display()),
                    "audit_log".to_owned(),
                )
            }
            Some(PgDb { url, .. }) => (
                url.clone(),
                format!("\"t_{}\".audit_log", slug.replace('-', "_")),
            ),
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(1).sqlx_logging(false);
        let conn = Database::connect(opts)
            .await
            .expect("opening the tenant's storage");
        let backend = conn.get_database_backend();
        let rows = conn
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT action, detail FROM {table} ORDER BY id"),
            ))
            .await
            .unwrap_or_else(|e| panic!("reading the audit log of {slug}: {e}"));
        let _ = conn.close().await;
        rows.iter()
            .map(|r| AuditEntry {
                action: r.try_get("", "action").expect("action"),
                detail: r.try_get("", "detail").expect("detail"),
            })
            .collect()
    }
}

fn tokens(v: &Value) -> Tokens {
    let text = |k: &str| v[k].as_str().map(str::to_owned);
    Tokens {
        access: text("accessToken").expect("an access token"),
        refresh: text("refreshToken").expect("a refresh token"),
        expires_at: text("expiresAt"),
    }
}

/// A port free at the moment of asking (the server binds it a moment later; `start` retries
/// if someone else took it in between).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    listener.local_addr().expect("a local address").port()
}

/// The last `max` bytes of a file.
fn tail(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut out = String::new();
    let _ = file.read_to_string(&mut out);
    out
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "server logs (port {}):\n--- {} ---\n{}\n--- {} (tail) ---\n{}",
                self.port,
                self.log_path("stdout").display(),
                tail(&self.log_path("stdout"), 4000),
                self.log_path("stderr").display(),
                tail(&self.log_path("stderr"), 8000),
            );
        }
        if let Some(PgDb {
            admin_url, name, ..
        }) = self.db.take()
        {
            drop_database_blocking(admin_url, name);
        }
    }
}
