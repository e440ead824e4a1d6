//! The payments e-service: starting a payment, taking the gateways' notifications, settling
//! succeeded payments on the finance ledger, sweeping stale ones, refunds and receipts.
//!
//! - [`start`]: what the resident selected → amount (with interest to today) → locks → the
//!   gateway's next action, idempotent on the `Idempotency-Key`.
//! - [`transition`]: the one place a payment's status changes (an event row per edge, locks
//!   released on a final status, the ledger posted on success) — inside the caller's
//!   transaction, guarded by a compare-and-set on the status.
//! - [`inbox`]: notifications verified on raw bytes, stored once per provider event, then
//!   processed by asking the provider.
//! - [`sweep`]: pending inbox items and stale payments.
//! - [`refund`], [`views`], [`sandbox`].

pub mod inbox;
pub mod payouts;
pub mod refund;
pub mod returned;
pub mod sandbox;
pub mod start;
pub mod sweep;
pub mod transition;
pub mod views;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use sea_orm::DbErr;
use sea_orm::SqlErr;
use wspolnota_core::{AppError, AppResult, Ctx};
use wspolnota_finance::Finance;

use crate::config::PaymentsConfig;
use crate::gateway::{GatewayError, GatewayKind, PaymentGateway};
use crate::gateways::sandbox::Sandbox;
use crate::http_executor::HttpExecutor;

/// Reads an environment variable (secrets); tests pass their own map.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where the platform is reached: to build return, notification and sandbox URLs.
#[derive(Debug)]
pub struct Links {
    /// "http" or "https".
    pub scheme: String,
    /// Tenants answer on `{slug}.{base_domain}`.
    pub base_domain: String,
    /// The address this process listens on, set once it is bound; the sandbox delivers its
    /// notifications there (with the tenant's `Host`), as a remote gateway would over the
    /// internet.
    pub local_addr: OnceLock<SocketAddr>,
}

/// The payments e-service's shared state; cheap to clone.
#[derive(Clone)]
pub struct Payments {
    pub finance: Finance,
    pub(crate) http: HttpExecutor,
    env: EnvLookup,
    sandbox_key: Arc<Vec<u8>>,
    pub links: Arc<Links>,
}

impl Payments {
    /// `sandbox_key` signs the sandbox gateway's notifications (derived per tenant).
    pub fn new(
        finance: Finance,
        env: EnvLookup,
        sandbox_key: Vec<u8>,
        links: Links,
    ) -> AppResult<Self> {
        Ok(Self {
            finance,
            http: HttpExecutor::new().map_err(AppError::internal)?,
            env,
            sandbox_key: Arc::new(sandbox_key),
            links: Arc::new(links),
        })
    }

    pub fn config(&self, ctx: &Ctx) -> AppResult<PaymentsConfig> {
        let tenant = ctx.tenant()?;
        PaymentsConfig::from_table(&tenant.config().payments).map_err(|e| {
            AppError::internal(std::io::Error::other(format!(
                "tenant {}: {}: {}",
                tenant.slug(),
                e.field,
                e.message
            )))
        })
    }

    /// `{scheme}://{slug}.{base_domain}`, with the listening port on the development domain
    /// `localhost` (`serve` on :8080 is reached there directly); a production domain is served
    /// on the scheme's own port by the proxy in front.
    pub fn tenant_origin(&self, ctx: &Ctx) -> AppResult<String> {
        let tenant = ctx.tenant()?;
        let port = match (self.links.base_domain.as_str(), self.links.local_addr.get()) {
            ("localhost", Some(addr)) => match (self.links.scheme.as_str(), addr.port()) {
                ("http", 80) | ("https", 443) => String::new(),
                (_, port) => format!(":{port}"),
            },
            _ => String::new(),
        };
        Ok(format!(
            "{}://{}.{}{port}",
            self.links.scheme,
            tenant.slug(),
            self.links.base_domain
        ))
    }

    pub fn notify_url(&self, ctx: &Ctx, kind: GatewayKind) -> AppResult<String> {
        Ok(format!(
            "{}/payments/notify/{}",
            self.tenant_origin(ctx)?,
            kind.as_str()
        ))
    }

    /// The sandbox's signing key for this tenant: HMAC(platform key, slug), so tenants never
    /// accept each other's sandbox notifications.
    pub fn sandbox_key(&self, ctx: &Ctx) -> AppResult<Vec<u8>> {
        use hmac::{Hmac, Mac};
        let tenant = ctx.tenant()?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.sandbox_key)
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
        mac.update(b"sandbox-gateway:");
        mac.update(tenant.slug().as_str().as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }

    /// The adapter of a gateway the tenant has configured.
    pub fn gateway(&self, ctx: &Ctx, kind: GatewayKind) -> AppResult<Box<dyn PaymentGateway>> {
        let config = self.config(ctx)?;
        offered(ctx, &config, kind)?;
        if kind == GatewayKind::Sandbox {
            return Ok(Box::new(Sandbox::new(
                ctx.clone(),
                format!("{}/payments/sandbox", self.tenant_origin(ctx)?),
                self.sandbox_key(ctx)?,
            )));
        }
        let env = self.env.clone();
        config.resolve(kind, &move |k| env(k)).map_err(|e| {
            AppError::internal(std::io::Error::other(format!("{}: {}", e.field, e.message)))
        })
    }
}

/// Refuses a gateway the tenant has not configured, naming the municipality.
pub(crate) fn offered(ctx: &Ctx, config: &PaymentsConfig, kind: GatewayKind) -> AppResult<()> {
    if config.entry(kind).is_some() {
        return Ok(());
    }
    Err(AppError::validation(
        "gateway",
        format!(
            "{} does not accept payments through {}",
            ctx.tenant()?.config().name,
            kind.as_str()
        ),
    ))
}

/// A gateway failure as the payer sees it: the provider's refusal or unavailability, never its
/// internals (they are logged).
pub(crate) fn gateway_failed(kind: GatewayKind, e: &GatewayError) -> AppError {
    tracing::warn!(gateway = kind.as_str(), error = %e, "gateway call failed");
    AppError::upstream(format!(
        "the payment gateway ({}) did not accept the request; please try again later",
        kind.as_str()
    ))
}

/// Money as the database holds it (grosze).
pub(crate) fn grosze(m: wspolnota_core::Money) -> AppResult<i64> {
    m.to_grosze().map_err(AppError::internal)
}

pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
