//! The sandbox gateway's provider side: the payer's decision on its page, and the signed
//! notification it then sends to the platform over HTTP, retried like a real gateway's.

use std::time::Duration;

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, Money, TenantDb};

use super::Payments;
use crate::entity::sandbox_order;
use crate::gateways::sandbox::{Decision, SIGNATURE_HEADER, SandboxNotice, sign};
use crate::sandbox_page::SandboxPage;

const DELIVERY_ATTEMPTS: u32 = 5;

async fn order(ctx: &Ctx, payment_id: Uuid) -> AppResult<sandbox_order::Model> {
    let tx = TenantDb::begin(ctx).await?;
    let order = sandbox_order::Entity::find_by_id(payment_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("the test gateway has no such payment"))?;
    tx.commit().await?;
    Ok(order)
}

/// The page's content. Like a real gateway's page it needs no sign-in: the payment id, a
/// random UUID, is the capability.
pub async fn page(pay: &Payments, ctx: &Ctx, payment_id: Uuid) -> AppResult<SandboxPage> {
    let order = order(ctx, payment_id).await?;
    // The platform serves this page itself: its links stay on the address the payer uses (a
    // tenant's own host, a port), as the tenant origin cannot know it.
    let origin = pay.tenant_origin(ctx)?;
    let return_url = match order.return_url.strip_prefix(&origin) {
        Some(path) if path.starts_with('/') => path.to_owned(),
        _ => order.return_url,
    };
    Ok(SandboxPage {
        tenant_name: ctx.tenant()?.config().name.clone(),
        payment_id,
        amount: Money::from_grosze(order.amount),
        description: order.description,
        decision: order.decision,
        action_url: format!("/payments/sandbox/{payment_id}"),
        return_url: Some(return_url),
    })
}

/// Records the payer's decision (the first one stands; repeating it is harmless) and sends
/// the notification in the background.
pub async fn decide(
    pay: &Payments,
    ctx: &Ctx,
    payment_id: Uuid,
    decision: Decision,
) -> AppResult<sandbox_order::Model> {
    let current = order(ctx, payment_id).await?;
    let order = match current.decision.as_deref().and_then(Decision::parse) {
        Some(d) if d == decision => current,
        Some(d) => {
            return Err(AppError::conflict(format!(
                "this test payment was already decided: {}",
                d.as_str()
            )));
        }
        None => {
            let tx = TenantDb::begin(ctx).await?;
            let mut active: sandbox_order::ActiveModel = current.into();
            active.decision = Set(Some(decision.as_str().to_owned()));
            active.decided_at = Set(Some(ctx.clock().now()));
            let updated = active.update(&*tx).await?;
            tx.commit().await?;
            updated
        }
    };
    let notice = notice(&order, decision)?;
    let key = pay.sandbox_key(ctx)?;
    let pay = pay.clone();
    let target = order.notify_url.clone();
    tokio::spawn(async move { deliver(&pay, &target, &notice, &key).await });
    Ok(order)
}

/// The notification for a decision; its event id is derived from the payment and the
/// decision, so redelivery is recognised as the same event.
pub fn notice(order: &sandbox_order::Model, decision: Decision) -> AppResult<SandboxNotice> {
    Ok(SandboxNotice {
        event_id: event_id(order.payment_id, decision),
        payment_id: order.payment_id,
        decision,
        amount: order.amount,
        decided_at: order
            .decided_at
            .ok_or_else(|| AppError::conflict("the test payment is not decided"))?,
    })
}

/// A stable id for (payment, decision): the first 16 bytes of their SHA-256.
fn event_id(payment_id: Uuid, decision: Decision) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(payment_id.as_bytes())
        .chain_update(decision.as_str().as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Sends `notice` to `notify_url`, through this process's own listener when it is known (the
/// tenant's host name need not resolve here), retrying with backoff until it is accepted.
pub async fn deliver(pay: &Payments, notify_url: &str, notice: &SandboxNotice, key: &[u8]) {
    let Ok(body) = serde_json::to_vec(notice) else {
        return;
    };
    let Ok(signature) = sign(key, &body) else {
        return;
    };
    let Ok(url) = url::Url::parse(notify_url) else {
        tracing::warn!("sandbox notification URL is not valid");
        return;
    };
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return,
    };
    let target = match pay.links.local_addr.get() {
        Some(addr) => format!("http://{addr}{}", url.path()),
        None => notify_url.to_owned(),
    };
    for attempt in 0..DELIVERY_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
        }
        let sent = pay
            .http
            .client()
            .post(&target)
            .header(http::header::HOST, &host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::warn!(status = r.status().as_u16(), "sandbox notification refused"),
            Err(e) => tracing::warn!(error = %e, "sandbox notification not delivered"),
        }
    }
}
