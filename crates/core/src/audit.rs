//! The tenant's audit log: who did what, when, within the tenant's own schema.

use sea_orm_migration::sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Query},
};

use crate::ctx::Ctx;
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// Appends an audit entry inside `tx`, so it commits or rolls back with the change it records.
pub async fn record(
    tx: &TenantTx,
    ctx: &Ctx,
    action: &str,
    detail: serde_json::Value,
) -> AppResult<()> {
    record_many(tx, ctx, action, vec![detail]).await
}

/// [`record`] for many entries of one action (a batch of corrections), a few statements for
/// all of them.
pub async fn record_many(
    tx: &TenantTx,
    ctx: &Ctx,
    action: &str,
    details: Vec<serde_json::Value>,
) -> AppResult<()> {
    // Five parameters a row: far under either database's limit per statement.
    for part in details.chunks(1_000) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("audit_log"))
            .columns(["at", "actor_id", "action", "detail", "request_id"].map(Alias::new));
        for detail in part {
            insert
                .values([
                    ctx.clock().now().into(),
                    ctx.account_id().map(|a| a.0).into(),
                    action.into(),
                    detail.to_string().into(),
                    ctx.request_id().as_str().into(),
                ])
                .map_err(AppError::internal)?;
        }
        tx.execute(&insert).await?;
    }
    Ok(())
}
