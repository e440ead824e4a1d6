//! The sweeper, run periodically and at start-up for each tenant with payments: it processes
//! notifications still in the inbox (a crash between receipt and processing leaves them
//! there), and asks the provider about payments whose time ran out before expiring them — a
//! payer may have paid at the last minute and the notification been lost.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use wspolnota_core::{AppResult, Ctx, TenantDb};

use super::Payments;
use super::inbox::{Processed, check_with_provider, process};
use super::transition::{announce, apply_in};
use crate::entity::{inbox, payment};
use crate::gateway::GatewayKind;
use crate::state::{PaymentEvent, PaymentStatus};

/// A notification is retried this many times before it waits for a clerk.
const MAX_ATTEMPTS: i32 = 20;
/// Work done in one sweep, per kind, at most.
const BATCH: u64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub notifications: usize,
    pub expired: usize,
    pub settled: usize,
}

pub async fn sweep(pay: &Payments, ctx: &Ctx) -> AppResult<Swept> {
    let mut swept = Swept::default();
    let tx = TenantDb::begin(ctx).await?;
    let pending = inbox::Entity::find()
        .filter(inbox::Column::ProcessedAt.is_null())
        .filter(inbox::Column::Attempts.lt(MAX_ATTEMPTS))
        .order_by_asc(inbox::Column::ReceivedAt)
        .limit(BATCH)
        .all(&*tx)
        .await?;
    let now = ctx.clock().now();
    let stale = payment::Entity::find()
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Created.as_str(),
            PaymentStatus::Started.as_str(),
            PaymentStatus::Submitted.as_str(),
        ]))
        .filter(payment::Column::ExpiresAt.lte(now))
        .order_by_asc(payment::Column::ExpiresAt)
        .limit(BATCH)
        .all(&*tx)
        .await?;
    tx.commit().await?;

    for item in pending {
        match process(pay, ctx, item.id).await {
            Ok(Processed::Retry) => {}
            Ok(_) => swept.notifications += 1,
            Err(e) => tracing::warn!(inbox = %item.id, error = %e, "notification not processed"),
        }
    }
    for p in stale {
        match expire(pay, ctx, &p).await {
            Ok(PaymentStatus::Succeeded) => swept.settled += 1,
            Ok(s) if s.is_final() => swept.expired += 1,
            Ok(_) => {}
            Err(e) => tracing::warn!(payment = %p.id, error = %e, "stale payment not swept"),
        }
    }
    Ok(swept)
}

/// Asks the provider first: what it says paid is settled; anything unfinished expires.
async fn expire(pay: &Payments, ctx: &Ctx, p: &payment::Model) -> AppResult<PaymentStatus> {
    let asks_provider =
        p.status != PaymentStatus::Created.as_str() && p.gateway != GatewayKind::Transfer.as_str();
    if asks_provider {
        match check_with_provider(pay, ctx, p, None).await? {
            Processed::Applied(status) if status.is_final() => return Ok(status),
            // The provider could not be asked: try again next time rather than guess.
            Processed::Retry => return Ok(PaymentStatus::Started),
            _ => {}
        }
    }
    let tx = TenantDb::begin(ctx).await?;
    let applied = apply_in(
        pay,
        ctx,
        &*tx,
        p.id,
        PaymentEvent::Expired,
        serde_json::json!({ "source": "sweeper" }),
    )
    .await?;
    tx.commit().await?;
    announce(ctx, &applied.payment).await;
    Ok(applied.transition.status())
}
