//! The payer's return from the gateway. It proves nothing about the money, but it is the
//! moment the payer waits for an answer: the payment moves to `submitted` and the provider is
//! asked at once, so a late or lost notification does not keep the payer waiting.

use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, ErrorCode, TenantDb};

use super::Payments;
use super::inbox::check_with_provider;
use super::transition::{Applied, announce, apply_in};
use crate::entity::payment;
use crate::gateway::GatewayKind;
use crate::state::PaymentEvent;

/// Records the return and asks the provider; returns the payment as it now stands.
pub async fn returned(pay: &Payments, ctx: &Ctx, payment_id: Uuid) -> AppResult<payment::Model> {
    use sea_orm::EntityTrait;
    // The gateway's notification may move the payment between our read and our update (the
    // payer comes back the moment the gateway notifies): then the return applies to the
    // payment as it now stands, once more.
    let applied = match record_return(pay, ctx, payment_id).await {
        Err(e) if e.code() == ErrorCode::Conflict => record_return(pay, ctx, payment_id).await?,
        other => other?,
    };
    if !applied.transition.is_unchanged() {
        announce(ctx, &applied.payment).await;
    }
    let p = applied.payment;
    let asks =
        p.gateway != GatewayKind::Transfer.as_str() && !applied.transition.status().is_final();
    if asks && let Err(e) = check_with_provider(pay, ctx, &p, None).await {
        tracing::warn!(payment = %p.id, error = %e, "provider check on return failed");
    }
    let tx = TenantDb::begin(ctx).await?;
    let now = payment::Entity::find_by_id(payment_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such payment"))?;
    tx.commit().await?;
    Ok(now)
}

async fn record_return(pay: &Payments, ctx: &Ctx, payment_id: Uuid) -> AppResult<Applied> {
    let tx = TenantDb::begin(ctx).await?;
    let applied = apply_in(
        pay,
        ctx,
        &*tx,
        payment_id,
        PaymentEvent::PayerReturned,
        serde_json::json!({ "source": "return" }),
    )
    .await?;
    tx.commit().await?;
    Ok(applied)
}
