//! Refunds, by a finance clerk with a reason. The whole payment is returned: the gateway is
//! asked first, then the payment's posting is reversed (its installments owe again what it
//! paid) in one transaction with the refund's record and the audit entry. Partial refunds
//! (e.g. of an overpayment only) are left to the cash office's ordinary procedure.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};
use wspolnota_finance::entity::payment as finance_payment;
use wspolnota_finance::service::corrections;

use super::transition::status_of;
use super::{Payments, gateway_failed};
use crate::entity::{payment, refund};
use crate::gateway::RefundOutcome;
use crate::state::PaymentStatus;

pub async fn refund(
    pay: &Payments,
    ctx: &Ctx,
    payment_id: Uuid,
    reason: &str,
) -> AppResult<refund::Model> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let clerk = ctx.require_account()?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation(
            "reason",
            "say why the payment is refunded",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::validation(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let tx = TenantDb::begin(ctx).await?;
    let p = payment::Entity::find_by_id(payment_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such payment"))?;
    tx.commit().await?;
    if status_of(&p)? != PaymentStatus::Succeeded {
        return Err(AppError::validation(
            "paymentId",
            "only a succeeded payment can be refunded",
        ));
    }
    if p.refunded > 0 {
        return Err(AppError::conflict("this payment has already been refunded"));
    }
    let kind = crate::config::parse_kind(&p.gateway)
        .ok_or_else(|| AppError::internal(std::io::Error::other("unknown gateway")))?;
    let gateway = pay.gateway(ctx, kind)?;
    let amount = Money::from_grosze(p.amount);
    let outcome = gateway
        .refund(
            &pay.http,
            p.id,
            p.provider_reference.as_deref().unwrap_or_default(),
            amount,
            reason,
        )
        .await
        .map_err(|e| gateway_failed(kind, &e))?;
    let (status, reference) = match outcome {
        RefundOutcome::Accepted { provider_reference } => ("accepted", provider_reference),
        RefundOutcome::Completed { provider_reference } => ("completed", provider_reference),
    };

    let tx = TenantDb::begin(ctx).await?;
    // Claim the refund first: a second clerk's concurrent refund stops here.
    let claimed = payment::Entity::update_many()
        .col_expr(
            payment::Column::Refunded,
            sea_orm::sea_query::Expr::value(p.amount),
        )
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::Refunded.eq(0))
        .exec(&*tx)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::conflict("this payment has already been refunded"));
    }
    let now = ctx.clock().now();
    let row = refund::ActiveModel {
        id: Set(Uuid::new_v4()),
        payment_id: Set(p.id),
        amount: Set(p.amount),
        reason: Set(reason.to_owned()),
        status: Set(status.to_owned()),
        provider_reference: Set(Some(reference)),
        requested_by: Set(clerk.0),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    if let Some(finance_id) = p.finance_payment_id {
        let posted = finance_payment::Entity::find_by_id(finance_id)
            .one(&*tx)
            .await?
            .ok_or_else(|| AppError::not_found("the payment's posting is missing"))?;
        if let Err(e) = corrections::correct_in(
            &pay.finance,
            ctx,
            &tx,
            posted.entry_id,
            &format!("zwrot płatności online: {reason}"),
        )
        .await
        {
            // The money has left: keep the refund on record and hand the books to a clerk.
            drop(tx);
            let tx = TenantDb::begin(ctx).await?;
            let note = format!(
                "refunded at the gateway, but the posting was not reversed: {}",
                e.message()
            );
            payment::Entity::update_many()
                .col_expr(
                    payment::Column::Refunded,
                    sea_orm::sea_query::Expr::value(p.amount),
                )
                .col_expr(
                    payment::Column::Review,
                    sea_orm::sea_query::Expr::value(note),
                )
                .filter(payment::Column::Id.eq(p.id))
                .exec(&*tx)
                .await?;
            refund::ActiveModel::from(row)
                .reset_all()
                .insert(&*tx)
                .await?;
            tx.commit().await?;
            return Err(e);
        }
    }
    audit::record(
        &tx,
        ctx,
        "payments.refunded",
        serde_json::json!({ "payment": p.id, "amount": amount.to_string(), "gateway": p.gateway }),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The refunds of a payment, newest first.
pub async fn of_payment(ctx: &Ctx, payment_id: Uuid) -> AppResult<Vec<refund::Model>> {
    let tx = TenantDb::begin(ctx).await?;
    let rows = refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(payment_id))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}
