use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::RwLock;
use wspolnota_core::{AppError, AppResult, TenantConnector, TenantSlug};
use wspolnota_migrations::{platform, tenant};

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum DbSettings {
    /// One SQLite file per tenant plus `platform.sqlite` under `data_dir`.
    Sqlite { data_dir: PathBuf },
    /// One schema per tenant plus `platform`, all on one bounded pool.
    Postgres { url: String, max_connections: u32 },
}

impl DbSettings {
    /// `DATABASE_URL` set → PostgreSQL, otherwise SQLite files under `data_dir`.
    pub fn from_env_or(data_dir: &Path, database_url: Option<String>) -> Self {
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => Self::Postgres {
                url,
                max_connections: 32,
            },
            None => Self::Sqlite {
                data_dir: data_dir.to_owned(),
            },
        }
    }
}

enum Backend {
    Sqlite {
        dir: PathBuf,
        platform: DatabaseConnection,
        /// Pools of the tenant files opened so far. Opened lazily, so thousands of tenants
        /// cost nothing until they are used.
        tenants: RwLock<HashMap<TenantSlug, DatabaseConnection>>,
    },
    Postgres {
        pool: DatabaseConnection,
        /// A small pool whose connections see only the `platform` schema, so that the
        /// platform's hot reads (the signed-in account) need no transaction.
        platform: DatabaseConnection,
    },
}

/// The platform's storage. Held by the server; e-service code reaches tenant data only
/// through `TenantDb::begin(&ctx)`, which calls [`TenantConnector::begin`] on this store.
pub struct Store {
    backend: Backend,
}

const PLATFORM_SCHEMA: &str = "platform";

impl Store {
    pub async fn connect(settings: &DbSettings) -> AppResult<Arc<Self>> {
        let backend = match settings {
            DbSettings::Sqlite { data_dir } => {
                let tenants_dir = data_dir.join("tenants");
                std::fs::create_dir_all(&tenants_dir).map_err(|e| {
                    AppError::internal(std::io::Error::new(
                        e.kind(),
                        format!(
                            "cannot create data directory {}: {e}",
                            tenants_dir.display()
                        ),
                    ))
                })?;
                Backend::Sqlite {
                    platform: open_sqlite(&data_dir.join("platform.sqlite")).await?,
                    dir: tenants_dir,
                    tenants: RwLock::new(HashMap::new()),
                }
            }
            DbSettings::Postgres {
                url,
                max_connections,
            } => {
                let mut opts = ConnectOptions::new(url.clone());
                opts.max_connections(*max_connections)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .idle_timeout(Duration::from_secs(300))
                    .sqlx_logging(false);
                let pool = Database::connect(opts).await?;
                pool.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {PLATFORM_SCHEMA}"))
                    .await?;
                let mut opts = ConnectOptions::new(url.clone());
                opts.max_connections((*max_connections / 2).max(2))
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .idle_timeout(Duration::from_secs(300))
                    .sqlx_logging(false)
                    .set_schema_search_path(PLATFORM_SCHEMA);
                let platform = Database::connect(opts).await?;
                Backend::Postgres { pool, platform }
            }
        };
        Ok(Arc::new(Self { backend }))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    /// A transaction on the platform's own tables (registry, accounts, tokens).
    pub async fn platform_begin(&self) -> AppResult<DatabaseTransaction> {
        match &self.backend {
            Backend::Sqlite { platform, .. } => Ok(platform.begin().await?),
            Backend::Postgres { platform, .. } => Ok(platform.begin().await?),
        }
    }

    /// The platform's tables for single statements outside a transaction (reads).
    pub fn platform_conn(&self) -> &DatabaseConnection {
        match &self.backend {
            Backend::Sqlite { platform, .. } | Backend::Postgres { platform, .. } => platform,
        }
    }

    pub async fn ping(&self) -> AppResult<()> {
        match &self.backend {
            Backend::Sqlite { platform, .. } => platform.ping().await?,
            Backend::Postgres { pool, .. } => pool.ping().await?,
        }
        Ok(())
    }

    pub async fn migrate_platform(&self) -> AppResult<()> {
        let tx = self.platform_begin().await?;
        lock_migrations(&tx, PLATFORM_SCHEMA).await?;
        platform::Migrator::up(&tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates the tenant's schema (or file) if needed and applies pending tenant migrations.
    pub async fn migrate_tenant(&self, slug: &TenantSlug) -> AppResult<()> {
        let tx = match &self.backend {
            Backend::Sqlite { .. } => self.sqlite_tenant(slug, true).await?.begin().await?,
            Backend::Postgres { pool, .. } => {
                pool.execute_unprepared(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {}",
                    slug.schema_name()
                ))
                .await?;
                begin_in_schema(pool, &slug.schema_name()).await?
            }
        };
        lock_migrations(&tx, &slug.schema_name()).await?;
        tenant::Migrator::up(&tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The last migration applied to the tenant's schema, or None before the first.
    pub async fn tenant_schema_version(&self, slug: &TenantSlug) -> AppResult<Option<String>> {
        let tx = self.begin(slug).await?;
        let version = tenant::Migrator::get_applied_migrations(&tx)
            .await?
            .last()
            .map(|m| m.name().to_owned());
        tx.commit().await?;
        Ok(version)
    }

    /// Whether the tenant's schema (or file) exists. Used by isolation tests and diagnostics.
    pub async fn tenant_exists(&self, slug: &TenantSlug) -> AppResult<bool> {
        match &self.backend {
            Backend::Sqlite { dir, .. } => Ok(tenant_file(dir, slug).exists()),
            Backend::Postgres { pool, .. } => {
                let row = pool
                    .query_one_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT 1 AS one FROM information_schema.schemata WHERE schema_name = $1",
                        [slug.schema_name().into()],
                    ))
                    .await?;
                Ok(row.is_some())
            }
        }
    }

    async fn sqlite_tenant(
        &self,
        slug: &TenantSlug,
        create: bool,
    ) -> AppResult<DatabaseConnection> {
        let Backend::Sqlite { dir, tenants, .. } = &self.backend else {
            return Err(AppError::internal(std::io::Error::other(
                "not a SQLite store",
            )));
        };
        if let Some(conn) = tenants.read().await.get(slug) {
            return Ok(conn.clone());
        }
        let mut tenants = tenants.write().await;
        if let Some(conn) = tenants.get(slug) {
            return Ok(conn.clone());
        }
        let path = tenant_file(dir, slug);
        if !create && !path.exists() {
            return Err(AppError::not_found(format!(
                "tenant `{slug}` has no data file"
            )));
        }
        let conn = open_sqlite(&path).await?;
        tenants.insert(slug.clone(), conn.clone());
        Ok(conn)
    }
}

#[async_trait]
impl TenantConnector for Store {
    async fn begin(&self, tenant: &TenantSlug) -> AppResult<DatabaseTransaction> {
        match &self.backend {
            // IMMEDIATE: a transaction that reads and then writes would otherwise fail at once
            // (SQLITE_BUSY, no busy wait) when another one wrote in between; this way it waits
            // its turn for the file's single writer slot, up to the busy timeout.
            Backend::Sqlite { .. } => Ok(self
                .sqlite_tenant(tenant, false)
                .await?
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?),
            Backend::Postgres { pool, .. } => begin_in_schema(pool, &tenant.schema_name()).await,
        }
    }
}

fn tenant_file(dir: &Path, slug: &TenantSlug) -> PathBuf {
    dir.join(format!("{slug}.sqlite"))
}

/// A pooled transaction that sees exactly one schema. `SET LOCAL` ends with the transaction,
/// so the connection goes back to the pool with no schema at all; a statement run outside such
/// a transaction fails with "relation does not exist" instead of touching another tenant.
async fn begin_in_schema(
    pool: &DatabaseConnection,
    schema: &str,
) -> AppResult<DatabaseTransaction> {
    let tx = pool.begin().await?;
    // The schema name comes from a validated slug (a-z, 0-9, '_'), so quoting is enough.
    tx.execute_unprepared(&format!("SET LOCAL search_path TO \"{schema}\""))
        .await?;
    Ok(tx)
}

/// Serialises concurrent migrations of the same schema (several replicas starting at once).
async fn lock_migrations(tx: &DatabaseTransaction, schema: &str) -> Result<(), DbErr> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [format!("wspolnota-migrate:{schema}").into()],
        ))
        .await?;
    }
    Ok(())
}

async fn open_sqlite(path: &Path) -> AppResult<DatabaseConnection> {
    let mut opts = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    opts.max_connections(8)
        .min_connections(0)
        .idle_timeout(Duration::from_secs(120))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Ok(Database::connect(opts).await?)
}
