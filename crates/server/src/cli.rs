//! The `wspolnota` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::settings::{Overrides, Settings};
use crate::state::AppState;
use crate::{demo, graphql, http, registry, telemetry};

#[derive(Parser)]
#[command(
    name = "wspolnota",
    version,
    about = "Wspólnota: e-services for Polish local governments"
)]
struct Cli {
    /// Configuration file (TOML); also WSPOLNOTA_CONFIG.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite files, generated secrets); also WSPOLNOTA_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Directory of tenant files; also WSPOLNOTA_TENANTS_DIR.
    #[arg(long, global = true)]
    tenants_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform over HTTP.
    Serve(ServeArgs),
    /// Apply pending migrations to the platform and every registered tenant.
    Migrate,
    /// Manage the tenant registry.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Run only the notifications worker (reminders, planning, delivery) for every tenant,
    /// for a deployment that keeps it apart from the HTTP replicas.
    Worker,
    /// Bank statements.
    Statements {
        #[command(subcommand)]
        command: StatementsCommand,
    },
}

#[derive(Subcommand)]
enum StatementsCommand {
    /// Import a statement file (MT940/MT942 or camt.053) for a tenant, whole or not at all;
    /// prints the summary as JSON.
    Import {
        /// The tenant's slug, e.g. zamosc.
        #[arg(long)]
        tenant: String,
        /// mt940, camt053 or auto (default).
        #[arg(long, default_value = "auto")]
        format: String,
        /// The municipality's account the file is for (default: as the statement says).
        #[arg(long)]
        bank_account: Option<String>,
        file: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Sync the tenant files and create the demo accounts (password `wspolnota-demo`).
    #[arg(long)]
    demo: bool,
    /// Address to listen on (default 127.0.0.1:8080); also WSPOLNOTA_BIND.
    #[arg(long)]
    bind: Option<String>,
    /// Tenants answer on <slug>.<base-domain> (default localhost); also WSPOLNOTA_BASE_DOMAIN.
    #[arg(long)]
    base_domain: Option<String>,
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// List registered tenants.
    List,
    /// Load `tenants/*.toml` into the registry, creating and migrating schemas.
    Sync,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Schema) {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = Overrides {
        config_file: cli.config,
        data_dir: cli.data_dir,
        tenants_dir: cli.tenants_dir,
        ..Overrides::default()
    };
    if let Command::Serve(args) = &cli.command {
        overrides.bind = args.bind.clone();
        overrides.base_domain = args.base_domain.clone();
    }
    let settings = Settings::load(&overrides).context("configuration")?;
    telemetry::init(&settings.log_format);
    // reqwest is built without a default TLS provider: choose ring once for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = AppState::connect(settings).await?;
    registry::migrate_all(&state).await?;

    match cli.command {
        Command::Serve(args) => serve(state, args.demo).await,
        Command::Migrate => {
            println!(
                "migrated the platform and {} tenant(s)",
                state.registry.all().len()
            );
            Ok(())
        }
        Command::Tenants {
            command: TenantsCommand::Sync,
        } => {
            for file in registry::read_dir(&state, &state.settings.tenants_dir)? {
                let new = registry::upsert(&state, &file).await?;
                println!(
                    "{} {}",
                    if new { "created" } else { "updated" },
                    file.config.slug
                );
            }
            Ok(())
        }
        Command::Tenants {
            command: TenantsCommand::List,
        } => {
            for tenant in state.registry.all() {
                let version = state.store.tenant_schema_version(tenant.slug()).await?;
                println!(
                    "{}\t{}\t{}\t{}",
                    tenant.slug(),
                    tenant.status().as_str(),
                    version.unwrap_or_else(|| "-".into()),
                    tenant.config().name
                );
            }
            Ok(())
        }
        Command::Schema => Ok(()),
        Command::Worker => {
            notify_worker(state).await;
            Ok(())
        }
        Command::Statements {
            command:
                StatementsCommand::Import {
                    tenant,
                    format,
                    bank_account,
                    file,
                },
        } => statements_import(&state, &tenant, &format, bank_account, &file).await,
    }
}

/// `wspolnota statements import`: as the platform itself (no clerk signs in), audited as such.
async fn statements_import(
    state: &AppState,
    slug: &str,
    format: &str,
    bank_account: Option<String>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use wspolnota_statements::parse::FormatHint;
    let tenant = state
        .registry
        .all()
        .into_iter()
        .find(|t| t.slug().as_str() == slug)
        .with_context(|| format!("no tenant `{slug}` is registered"))?;
    let format = match format {
        "auto" => FormatHint::Auto,
        "mt940" => FormatHint::Mt940,
        "camt053" => FormatHint::Camt053,
        other => anyhow::bail!("--format: `{other}` is not one of auto, mt940, camt053"),
    };
    // Streamed: the import reads the file as it goes, whatever its size.
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let ctx = wspolnota_core::Ctx::system(tenant, state.services());
    let summary = wspolnota_statements::service::import::import(
        &state.statements,
        &ctx,
        wspolnota_statements::service::import::ImportInput {
            file_name: file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            reader: Box::new(reader),
            format,
            bank_account,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

async fn serve(state: AppState, demo_mode: bool) -> anyhow::Result<()> {
    if demo_mode {
        demo::prepare(&state).await?;
    } else if state.registry.all().is_empty() {
        tracing::warn!("no tenants registered: run `wspolnota tenants sync` or start with --demo");
    }
    http::init_metrics();
    let listener = TcpListener::bind(&state.settings.bind)
        .await
        .with_context(|| format!("binding {}", state.settings.bind))?;
    let addr = listener.local_addr()?;
    print_urls(&state, addr, demo_mode);
    // The sandbox gateway notifies this process through its own listener.
    let reachable = match addr.ip() {
        ip if ip.is_unspecified() => std::net::SocketAddr::new(
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            addr.port(),
        ),
        _ => addr,
    };
    let _ = state.payments.links.local_addr.set(reachable);
    let sweeper = tokio::spawn(payments_sweeper(state.clone()));
    let worker = tokio::spawn(notify_worker(state.clone()));
    let purger = tokio::spawn(tokens_purger(state.clone()));

    // Other replicas may create or suspend tenants: re-read the registry now and then.
    let refresher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                if let Err(e) = registry::reload(&state).await {
                    tracing::warn!(error = %e, "reloading the tenant registry failed");
                }
            }
        })
    };
    let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    refresher.abort();
    sweeper.abort();
    worker.abort();
    purger.abort();
    tracing::info!("stopped");
    Ok(())
}

/// How often the notifications worker looks for work.
const NOTIFY_EVERY: Duration = Duration::from_secs(2);

/// Reminders, planning and delivery of messages for every tenant with notifications.
async fn notify_worker(state: AppState) {
    let mut tick = tokio::time::interval(NOTIFY_EVERY);
    loop {
        tick.tick().await;
        for tenant in state.registry.all() {
            if !tenant.has_eservice(wspolnota_notify::ID_)
                || tenant.status() != wspolnota_core::TenantStatus::Active
            {
                continue;
            }
            let slug = tenant.slug().to_string();
            let ctx = wspolnota_core::Ctx::system(tenant, state.services());
            if let Err(e) = wspolnota_notify::engine::worker::round(&state.notify, &ctx).await {
                tracing::warn!(tenant = %slug, error = %e, "notifications round failed");
            }
        }
    }
}

/// How often the payments sweeper runs: notifications left in the inbox (after a crash, or a
/// provider that could not be asked) and payments past their time.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Sweeps every tenant with online payments, at start-up and then periodically.
async fn payments_sweeper(state: AppState) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        for tenant in state.registry.all() {
            if !tenant.has_eservice(wspolnota_payments::routes::ID_)
                || tenant.status() != wspolnota_core::TenantStatus::Active
            {
                continue;
            }
            let slug = tenant.slug().to_string();
            let ctx = wspolnota_core::Ctx::system(tenant, state.services());
            match wspolnota_payments::service::sweep::sweep(&state.payments, &ctx).await {
                Ok(s) if s != Default::default() => {
                    tracing::info!(tenant = %slug, notifications = s.notifications, expired = s.expired, settled = s.settled, "payments swept")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(tenant = %slug, error = %e, "payments sweep failed"),
            }
        }
    }
}

/// How often expired sign-in and e-mail link tokens are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes long-expired tokens of every tenant, at start-up and then hourly.
async fn tokens_purger(state: AppState) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        match state.auth.purge_expired_tokens(state.clock.now()).await {
            Ok(p) if p != Default::default() => tracing::info!(
                refresh_tokens = p.refresh_tokens,
                account_tokens = p.account_tokens,
                "expired tokens purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired tokens failed"),
        }
    }
}

fn print_urls(state: &AppState, addr: std::net::SocketAddr, demo_mode: bool) {
    let port = addr.port();
    let domain = state.registry.base_domain();
    println!(
        "Wspólnota listening on http://{addr} ({} backend)",
        state.store.backend_name()
    );
    for tenant in state.registry.all() {
        println!(
            "  {:<28} http://{}.{domain}:{port}/graphql",
            tenant.config().name,
            tenant.slug()
        );
    }
    println!(
        "  {:<28} http://platform.{domain}:{port}/graphql",
        "Platform operator"
    );
    if demo_mode {
        println!(
            "Demo accounts (password {}): mieszkaniec@<slug>.test, admin@<slug>.test, operator@platform.test",
            demo::PASSWORD
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
