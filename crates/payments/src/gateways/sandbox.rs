//! The built-in sandbox gateway: a provider that lives on the platform itself, for the demo and
//! the end-to-end tests. Its "provider side" is the tenant's `pay_sandbox_orders` table and the
//! page at the payment's redirect URL (`crate::routes`), where the payer approves, declines or
//! abandons. After a decision it sends a notification like a real gateway would: a JSON body
//! signed with HMAC-SHA256 in `X-Sandbox-Signature`, over HTTP to the platform's notification
//! route. Like every notification it is only a hint; the platform then queries this adapter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;
use wspolnota_core::{Ctx, Money, TenantDb};

use crate::entity::sandbox_order;
use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";

/// What the payer chose on the sandbox page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Decline,
    Abandon,
}

impl Decision {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "approve" => Some(Self::Approve),
            "decline" => Some(Self::Decline),
            "abandon" => Some(Self::Abandon),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::Abandon => "abandon",
        }
    }

    fn status(self, decided_at: Option<DateTime<Utc>>) -> ProviderStatus {
        match self {
            Self::Approve => ProviderStatus::Succeeded {
                paid_at: decided_at,
            },
            Self::Decline => ProviderStatus::Failed,
            Self::Abandon => ProviderStatus::Cancelled,
        }
    }
}

/// The sandbox's notification body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxNotice {
    pub event_id: Uuid,
    pub payment_id: Uuid,
    pub decision: Decision,
    /// Grosze.
    pub amount: i64,
    pub decided_at: DateTime<Utc>,
}

/// The reference the sandbox gives an order.
pub fn reference(payment_id: Uuid) -> String {
    format!("sbx-{payment_id}")
}

pub fn sign(key: &[u8], body: &[u8]) -> Result<String, GatewayError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| GatewayError::Config(format!("sandbox key: {e}")))?;
    mac.update(body);
    Ok(hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct Sandbox {
    /// A system context of the tenant whose orders this adapter keeps.
    ctx: Ctx,
    /// `{scheme}://{tenant host}/payments/sandbox`: the payer's page is `{page_base}/{id}`.
    page_base: String,
    key: Vec<u8>,
}

impl Sandbox {
    pub fn new(ctx: Ctx, page_base: String, key: Vec<u8>) -> Self {
        Self {
            ctx,
            page_base,
            key,
        }
    }

    async fn order(&self, payment_id: Uuid) -> Result<sandbox_order::Model, GatewayError> {
        let tx = TenantDb::begin(&self.ctx).await.map_err(storage)?;
        let order = sandbox_order::Entity::find_by_id(payment_id)
            .one(&*tx)
            .await
            .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        order.ok_or_else(|| GatewayError::Provider {
            status: 404,
            code: Some("ORDER_NOT_FOUND".into()),
            message: format!("the sandbox has no order {payment_id}"),
        })
    }
}

fn grosze(m: Money) -> Result<i64, GatewayError> {
    m.to_grosze()
        .map_err(|e| GatewayError::Config(format!("amount {m}: {e}")))
}

fn storage(e: impl std::fmt::Display) -> GatewayError {
    GatewayError::Transport(format!("sandbox storage: {e}"))
}

#[async_trait]
impl PaymentGateway for Sandbox {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Sandbox
    }

    async fn create(
        &self,
        _http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        let tx = TenantDb::begin(&self.ctx).await.map_err(storage)?;
        // A retried create finds its order: the payment id is the sandbox's order key.
        let existing = sandbox_order::Entity::find_by_id(request.payment_id)
            .one(&*tx)
            .await
            .map_err(storage)?;
        if existing.is_none() {
            sandbox_order::ActiveModel {
                payment_id: Set(request.payment_id),
                amount: Set(grosze(request.amount)?),
                description: Set(request.description.chars().take(500).collect()),
                return_url: Set(request.return_url.clone()),
                notify_url: Set(request.notify_url.clone()),
                decision: Set(None),
                decided_at: Set(None),
                refunded: Set(0),
                created_at: Set(self.ctx.clock().now()),
            }
            .insert(&*tx)
            .await
            .map_err(storage)?;
        }
        tx.commit().await.map_err(storage)?;
        Ok(NextAction::Redirect {
            url: format!("{}/{}", self.page_base, request.payment_id),
            provider_reference: reference(request.payment_id),
        })
    }

    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        let given = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(GatewayError::InvalidSignature)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .map_err(|e| GatewayError::Config(format!("sandbox key: {e}")))?;
        mac.update(body);
        let given = decode_hex(given.trim()).ok_or(GatewayError::InvalidSignature)?;
        mac.verify_slice(&given)
            .map_err(|_| GatewayError::InvalidSignature)?;
        let notice: SandboxNotice = serde_json::from_slice(body)
            .map_err(|e| GatewayError::BadNotification(format!("sandbox notification: {e}")))?;
        Ok(Notification {
            provider_reference: reference(notice.payment_id),
            payment_id: Some(notice.payment_id),
            status: notice.decision.status(Some(notice.decided_at)),
            amount: Some(Money::from_grosze(notice.amount)),
            dedupe_key: notice.event_id.to_string(),
        })
    }

    async fn query(
        &self,
        _http: &HttpExecutor,
        payment_id: Uuid,
        _provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        let order = self.order(payment_id).await?;
        Ok(match order.decision.as_deref().and_then(Decision::parse) {
            None => ProviderStatus::Pending,
            Some(d) => d.status(order.decided_at),
        })
    }

    async fn refund(
        &self,
        _http: &HttpExecutor,
        payment_id: Uuid,
        _provider_reference: &str,
        amount: Money,
        _reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        let order = self.order(payment_id).await?;
        if order.decision.as_deref() != Some(Decision::Approve.as_str()) {
            return Err(GatewayError::Provider {
                status: 409,
                code: Some("NOT_PAID".into()),
                message: "only a paid sandbox order can be refunded".into(),
            });
        }
        let refunded = order.refunded + grosze(amount)?;
        if refunded > order.amount {
            return Err(GatewayError::Provider {
                status: 409,
                code: Some("REFUND_TOO_LARGE".into()),
                message: "the refunds would exceed the payment".into(),
            });
        }
        let tx = TenantDb::begin(&self.ctx).await.map_err(storage)?;
        let mut active: sandbox_order::ActiveModel = order.into();
        active.refunded = Set(refunded);
        active.update(&*tx).await.map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(RefundOutcome::Completed {
            provider_reference: format!("sbx-refund-{payment_id}-{refunded}"),
        })
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_odd_or_non_hex() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(decode_hex(&hex(&bytes)).unwrap(), bytes);
        assert!(decode_hex("abc").is_none());
        assert!(decode_hex("zz").is_none());
    }

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
