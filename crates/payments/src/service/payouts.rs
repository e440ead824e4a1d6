//! Gateway payouts. A gateway pays the money it collected to the municipality's bank account
//! in one transfer, less its commission; the bank statement line of that transfer settles the
//! money in transit (141) of the payments it carried. Real gateways report their payouts
//! (PayU's payout reports, P24's settlement lists); the sandbox makes one on request.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};

use super::{Payments, grosze};
use crate::entity::{payment, payout, payout_item};
use crate::gateway::GatewayKind;
use crate::state::PaymentStatus;

/// A payout with the payments it carried.
#[derive(Debug, Clone)]
pub struct Payout {
    pub payout: payout::Model,
    pub items: Vec<payout_item::Model>,
}

/// Finance clerk, sandbox only: the sandbox pays out every succeeded sandbox payment not paid
/// out yet, keeping `fee` back.
pub async fn sandbox_payout(pay: &Payments, ctx: &Ctx, fee: Money) -> AppResult<Payout> {
    ctx.require_clerk(ClerkScope::Finance)?;
    if pay.config(ctx)?.entry(GatewayKind::Sandbox).is_none() {
        return Err(AppError::validation(
            "gateway",
            "the sandbox gateway is not configured",
        ));
    }
    if fee.is_negative() {
        return Err(AppError::validation("fee", "must not be negative"));
    }
    let tx = TenantDb::begin(ctx).await?;
    let paid_out: Vec<Uuid> = payout_item::Entity::find()
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| i.payment_id)
        .collect();
    let due: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::Gateway.eq(GatewayKind::Sandbox.as_str()))
        .filter(payment::Column::Status.eq(PaymentStatus::Succeeded.as_str()))
        .filter(payment::Column::Refunded.eq(0))
        .all(&*tx)
        .await?
        .into_iter()
        .filter(|p| !paid_out.contains(&p.id))
        .collect();
    if due.is_empty() {
        return Err(AppError::validation(
            "gateway",
            "no sandbox payment waits for a payout",
        ));
    }
    let gross: i64 = due.iter().map(|p| p.amount).sum();
    let fee = grosze(fee)?;
    if fee >= gross {
        return Err(AppError::validation("fee", "must be less than the payout"));
    }
    let id = Uuid::new_v4();
    let short: String = id.simple().to_string().chars().take(8).collect();
    let row = payout::ActiveModel {
        id: Set(id),
        gateway: Set(GatewayKind::Sandbox.as_str().to_owned()),
        reference: Set(format!("SBX-PAYOUT-{}", short.to_uppercase())),
        gross: Set(gross),
        fee: Set(fee),
        amount: Set(gross - fee),
        settled_line_id: Set(None),
        created_at: Set(ctx.clock().now()),
    }
    .insert(&*tx)
    .await?;
    let mut items = Vec::with_capacity(due.len());
    for p in &due {
        items.push(
            payout_item::ActiveModel {
                payout_id: Set(id),
                payment_id: Set(p.id),
                amount: Set(p.amount),
            }
            .insert(&*tx)
            .await?,
        );
    }
    audit::record(
        &tx,
        ctx,
        "payments.sandbox_payout",
        serde_json::json!({ "payout": id, "reference": row.reference, "payments": items.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Payout { payout: row, items })
}

/// Payouts no statement line has settled yet.
pub async fn unsettled<C: ConnectionTrait>(db: &C) -> AppResult<Vec<payout::Model>> {
    Ok(payout::Entity::find()
        .filter(payout::Column::SettledLineId.is_null())
        .all(db)
        .await?)
}

/// The payments a payout carried, with each one's party.
pub async fn items<C: ConnectionTrait>(
    db: &C,
    payout_id: Uuid,
) -> AppResult<Vec<(payout_item::Model, payment::Model)>> {
    let items = payout_item::Entity::find()
        .filter(payout_item::Column::PayoutId.eq(payout_id))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.payment_id).collect();
    let payments = payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids))
        .all(db)
        .await?;
    items
        .into_iter()
        .map(|i| {
            let p = payments
                .iter()
                .find(|p| p.id == i.payment_id)
                .cloned()
                .ok_or_else(|| AppError::not_found("a paid-out payment is missing"))?;
            Ok((i, p))
        })
        .collect()
}

/// Marks `payout` settled by statement line `line_id` (or back to unsettled with `None`).
pub async fn set_settled<C: ConnectionTrait>(
    db: &C,
    payout_id: Uuid,
    line_id: Option<Uuid>,
) -> AppResult<()> {
    payout::Entity::update_many()
        .col_expr(
            payout::Column::SettledLineId,
            sea_orm::sea_query::Expr::value(line_id),
        )
        .filter(payout::Column::Id.eq(payout_id))
        .exec(db)
        .await?;
    Ok(())
}
