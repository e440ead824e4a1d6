//! Gateway notifications. Intake verifies the raw bytes with the gateway's adapter, stores the
//! notification once per provider event (a unique key per gateway) and answers at once;
//! processing happens afterwards and asks the provider for the truth, so a replay, a reordered
//! or a forged message changes nothing.

use http::HeaderMap;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, Money, TenantDb};

use super::transition::{announce, apply_in, status_of};
use super::{Payments, is_unique_violation};
use crate::entity::{inbox, payment};
use crate::gateway::{GatewayKind, ProviderStatus};
use crate::state::{PaymentStatus, event_for};

/// What intake did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored; to be processed.
    New(Uuid),
    /// A replay of a stored notification.
    Replay(Uuid),
}

impl Received {
    pub fn id(self) -> Uuid {
        match self {
            Self::New(id) | Self::Replay(id) => id,
        }
    }
}

/// Verifies and stores a notification. A notification that fails verification is refused
/// (and logged), and nothing is stored.
pub async fn receive(
    pay: &Payments,
    ctx: &Ctx,
    kind: GatewayKind,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<Received> {
    let gateway = pay
        .gateway(ctx, kind)
        .map_err(|_| AppError::not_found("this gateway is not configured here"))?;
    let notification = match gateway.verify_notification(headers, body) {
        Ok(n) => n,
        Err(e) => {
            metrics::counter!("payment_notifications_refused_total", "gateway" => kind.as_str())
                .increment(1);
            tracing::warn!(
                gateway = kind.as_str(),
                bytes = body.len(),
                error = %e,
                "payment notification refused: signature or content not valid"
            );
            return Err(AppError::unauthenticated(
                "the notification could not be verified",
            ));
        }
    };
    let id = Uuid::new_v4();
    let tx = TenantDb::begin(ctx).await?;
    let stored = inbox::ActiveModel {
        id: Set(id),
        gateway: Set(kind.as_str().to_owned()),
        dedupe_key: Set(notification.dedupe_key.chars().take(200).collect()),
        payment_id: Set(notification.payment_id),
        provider_reference: Set(Some(notification.provider_reference.clone())),
        reported_status: Set(status_name(&notification.status).to_owned()),
        reported_amount: Set(notification.amount.map(super::grosze).transpose()?),
        body: Set(String::from_utf8_lossy(body).into_owned()),
        received_at: Set(ctx.clock().now()),
        processed_at: Set(None),
        attempts: Set(0),
        outcome: Set(None),
    }
    .insert(&*tx)
    .await;
    match stored {
        Ok(_) => {
            tx.commit().await?;
            metrics::counter!("payment_notifications_total", "gateway" => kind.as_str())
                .increment(1);
            Ok(Received::New(id))
        }
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let tx = TenantDb::begin(ctx).await?;
            let first = inbox::Entity::find()
                .filter(inbox::Column::Gateway.eq(kind.as_str()))
                .filter(inbox::Column::DedupeKey.eq(notification.dedupe_key.as_str()))
                .one(&*tx)
                .await?
                .ok_or_else(|| AppError::conflict("notification stored concurrently"))?;
            tx.commit().await?;
            metrics::counter!("payment_notifications_replayed_total", "gateway" => kind.as_str())
                .increment(1);
            Ok(Received::Replay(first.id))
        }
        Err(e) => Err(e.into()),
    }
}

fn status_name(status: &ProviderStatus) -> &'static str {
    match status {
        ProviderStatus::Pending => "pending",
        ProviderStatus::WaitingForConfirmation => "waiting_for_confirmation",
        ProviderStatus::Succeeded { .. } => "succeeded",
        ProviderStatus::Failed => "failed",
        ProviderStatus::Cancelled => "cancelled",
        ProviderStatus::Expired => "expired",
    }
}

/// What processing an inbox item did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Someone processed it already.
    AlreadyDone,
    /// The payment moved (or was already where the provider says).
    Applied(PaymentStatus),
    /// Recorded as needing a clerk: the provider reported another amount.
    AmountMismatch,
    /// No payment of ours matches it.
    Unknown,
    /// The provider could not be asked; the item stays pending for the sweeper.
    Retry,
}

/// Processes one stored notification: finds the payment, asks the provider for its status
/// (confirming it where the provider waits for us) and applies that.
pub async fn process(pay: &Payments, ctx: &Ctx, inbox_id: Uuid) -> AppResult<Processed> {
    let tx = TenantDb::begin(ctx).await?;
    let item = inbox::Entity::find_by_id(inbox_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such notification"))?;
    if item.processed_at.is_some() {
        return Ok(Processed::AlreadyDone);
    }
    let found = match item.payment_id {
        Some(id) => payment::Entity::find_by_id(id).one(&*tx).await?,
        None => match &item.provider_reference {
            Some(reference) => {
                payment::Entity::find()
                    .filter(payment::Column::Gateway.eq(item.gateway.as_str()))
                    .filter(payment::Column::ProviderReference.eq(reference.as_str()))
                    .one(&*tx)
                    .await?
            }
            None => None,
        },
    };
    tx.commit().await?;
    let Some(found) = found.filter(|p| p.gateway == item.gateway) else {
        tracing::warn!(gateway = %item.gateway, inbox = %item.id, "notification for no payment of ours");
        finish(ctx, inbox_id, "no matching payment").await?;
        return Ok(Processed::Unknown);
    };
    let status = status_of(&found)?;
    if status.is_final() {
        finish(ctx, inbox_id, &format!("payment already {status}")).await?;
        return Ok(Processed::Applied(status));
    }
    if let Some(reported) = item.reported_amount
        && reported != found.amount
    {
        let note = format!(
            "the gateway reported {} but the payment is {}",
            Money::from_grosze(reported),
            Money::from_grosze(found.amount)
        );
        tracing::error!(payment = %found.id, gateway = %item.gateway, "{note}");
        let tx = TenantDb::begin(ctx).await?;
        payment::Entity::update_many()
            .col_expr(payment::Column::Review, Expr::value(note.clone()))
            .filter(payment::Column::Id.eq(found.id))
            .exec(&*tx)
            .await?;
        mark(&tx, ctx, inbox_id, &format!("amount mismatch: {note}")).await?;
        tx.commit().await?;
        return Ok(Processed::AmountMismatch);
    }
    check_with_provider(pay, ctx, &found, Some(inbox_id)).await
}

/// Asks the provider about `payment` and applies the answer; `inbox_id` is marked processed in
/// the same transaction.
pub(crate) async fn check_with_provider(
    pay: &Payments,
    ctx: &Ctx,
    payment: &payment::Model,
    inbox_id: Option<Uuid>,
) -> AppResult<Processed> {
    let Some(kind) = crate::config::parse_kind(&payment.gateway) else {
        return Err(AppError::internal(std::io::Error::other(format!(
            "payment {} has an unknown gateway",
            payment.id
        ))));
    };
    let gateway = pay.gateway(ctx, kind)?;
    let reference = payment.provider_reference.clone().unwrap_or_default();
    let mut answer = gateway.query(&pay.http, payment.id, &reference).await;
    if let Ok(ProviderStatus::WaitingForConfirmation) = answer {
        // P24 verify, PayPal capture: the money is ours only after this call.
        answer = gateway
            .confirm(
                &pay.http,
                payment.id,
                &reference,
                Money::from_grosze(payment.amount),
            )
            .await;
    }
    let status = match answer {
        Ok(status) => status,
        Err(e) => {
            tracing::warn!(payment = %payment.id, gateway = kind.as_str(), error = %e, "provider not reachable; will retry");
            if let Some(inbox_id) = inbox_id {
                let tx = TenantDb::begin(ctx).await?;
                inbox::Entity::update_many()
                    .col_expr(
                        inbox::Column::Attempts,
                        Expr::col(inbox::Column::Attempts).add(1),
                    )
                    .col_expr(
                        inbox::Column::Outcome,
                        Expr::value(format!("provider query failed: {e}")),
                    )
                    .filter(inbox::Column::Id.eq(inbox_id))
                    .exec(&*tx)
                    .await?;
                tx.commit().await?;
            }
            return Ok(Processed::Retry);
        }
    };
    let event = event_for(&status);
    let tx = TenantDb::begin(ctx).await?;
    let applied = apply_in(
        pay,
        ctx,
        &*tx,
        payment.id,
        event,
        serde_json::json!({ "source": if inbox_id.is_some() { "notification" } else { "query" }, "provider": status_name(&status) }),
    )
    .await?;
    if let Some(inbox_id) = inbox_id {
        mark(
            &tx,
            ctx,
            inbox_id,
            &format!("payment {}", applied.payment.status),
        )
        .await?;
    }
    tx.commit().await?;
    if !applied.transition.is_unchanged() {
        announce(ctx, &applied.payment).await;
    }
    Ok(Processed::Applied(applied.transition.status()))
}

async fn mark(
    tx: &wspolnota_core::TenantTx,
    ctx: &Ctx,
    inbox_id: Uuid,
    outcome: &str,
) -> AppResult<()> {
    inbox::Entity::update_many()
        .col_expr(inbox::Column::ProcessedAt, Expr::value(ctx.clock().now()))
        .col_expr(
            inbox::Column::Outcome,
            Expr::value(outcome.chars().take(500).collect::<String>()),
        )
        .col_expr(
            inbox::Column::Attempts,
            Expr::col(inbox::Column::Attempts).add(1),
        )
        .filter(inbox::Column::Id.eq(inbox_id))
        .filter(inbox::Column::ProcessedAt.is_null())
        .exec(&**tx)
        .await?;
    Ok(())
}

async fn finish(ctx: &Ctx, inbox_id: Uuid, outcome: &str) -> AppResult<()> {
    let tx = TenantDb::begin(ctx).await?;
    mark(&tx, ctx, inbox_id, outcome).await?;
    tx.commit().await?;
    Ok(())
}
