//! The only door to tenant data. `TenantDb::begin(&ctx)` opens a transaction already confined
//! to the context's tenant: on PostgreSQL its `search_path` names that tenant's schema alone;
//! on SQLite it runs on that tenant's own file. No pool is reachable from e-service code.

use std::ops::Deref;

use async_trait::async_trait;
use sea_orm_migration::sea_orm::{DatabaseTransaction, DbErr, TransactionTrait};

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::ids::TenantSlug;

/// Implemented by the storage backend (crate `wspolnota-db`).
#[async_trait]
pub trait TenantConnector: Send + Sync {
    /// A transaction confined to `tenant`.
    async fn begin(&self, tenant: &TenantSlug) -> AppResult<DatabaseTransaction>;
}

/// A transaction on one tenant's data. Dereferences to sea-orm's transaction, so entities and
/// statements run on it directly; dropped without `commit` it rolls back.
pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant: TenantSlug,
}

impl TenantTx {
    pub fn tenant(&self) -> &TenantSlug {
        &self.tenant
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.tx.rollback().await
    }

    /// A savepoint inside this transaction (sea-orm nests transactions as savepoints).
    pub async fn savepoint(&self) -> Result<DatabaseTransaction, DbErr> {
        self.tx.begin().await
    }
}

impl Deref for TenantTx {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

pub struct TenantDb;

impl TenantDb {
    /// Opens a transaction on the data of the tenant that `ctx` belongs to. Fails with
    /// NOT_FOUND on the platform host: the operator has no tenant data to open.
    pub async fn begin(ctx: &Ctx) -> AppResult<TenantTx> {
        let tenant = ctx.tenant()?.slug().clone();
        let tx = ctx.connector().begin(&tenant).await?;
        Ok(TenantTx { tx, tenant })
    }
}
