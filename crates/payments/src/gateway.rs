//! The contract every gateway adapter implements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use uuid::Uuid;
use wspolnota_core::Money;
use wspolnota_core::value::Nrb;

use crate::http_executor::HttpExecutor;

/// The gateways a tenant can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayKind {
    Sandbox,
    PayU,
    Przelewy24,
    PayPal,
    Paybynet,
    Transfer,
}

impl GatewayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::PayU => "payu",
            Self::Przelewy24 => "przelewy24",
            Self::PayPal => "paypal",
            Self::Paybynet => "paybynet",
            Self::Transfer => "transfer",
        }
    }
}

/// What the platform asks a gateway to collect. Outbound ids are derived from `payment_id`
/// (PayU extOrderId, P24 sessionId, PayPal-Request-Id), so a retried create is recognised.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub payment_id: Uuid,
    pub amount: Money,
    /// Shown to the payer and on their bank statement.
    pub description: String,
    pub payer_email: Option<String>,
    pub payer_name: Option<String>,
    pub payer_ip: Option<String>,
    /// A pay-by-link method code, to send the payer straight to their bank.
    pub bank: Option<String>,
    /// Where the payer's browser returns.
    pub return_url: String,
    /// The platform's notification route for this gateway and tenant.
    pub notify_url: String,
    /// ISO 639-1, "pl" for residents.
    pub language: String,
}

/// What the payer's browser does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextAction {
    Redirect {
        url: String,
        provider_reference: String,
    },
    /// An auto-posted form (pay-by-link gateways).
    PostForm {
        url: String,
        fields: Vec<(String, String)>,
        provider_reference: Option<String>,
    },
    /// Pay by transfer from one's bank: account, title, amount, and the ZBP 2D code.
    Transfer {
        nrb: Nrb,
        title: String,
        amount: Money,
        qr_svg: Option<String>,
    },
}

/// A provider's view of a payment, mapped exhaustively from each gateway's own statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Created at the provider, the payer has not finished.
    Pending,
    /// The payer finished; the provider waits for a confirmation or capture from us.
    WaitingForConfirmation,
    Succeeded {
        paid_at: Option<DateTime<Utc>>,
    },
    Failed,
    Cancelled,
    Expired,
}

/// A verified notification. It is a hint: the platform re-asks the provider before acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub provider_reference: String,
    /// Our payment id when the provider echoes it (extOrderId, sessionId, custom_id).
    pub payment_id: Option<Uuid>,
    pub status: ProviderStatus,
    pub amount: Option<Money>,
    /// Unique per provider event: replays of the same event share it.
    pub dedupe_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Accepted { provider_reference: String },
    Completed { provider_reference: String },
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{gateway} does not support {flow}")]
    FlowNotSupported {
        gateway: &'static str,
        flow: &'static str,
    },
    #[error("the notification's signature does not match")]
    InvalidSignature,
    #[error("malformed notification: {0}")]
    BadNotification(String),
    #[error("the provider refused ({status}): {message}")]
    Provider {
        status: u16,
        code: Option<String>,
        message: String,
    },
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    #[error("gateway configuration: {0}")]
    Config(String),
    #[error("unexpected answer from the provider: {0}")]
    UnexpectedResponse(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    fn kind(&self) -> GatewayKind;

    /// Registers the payment with the provider and says where the payer goes next.
    async fn create(
        &self,
        http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError>;

    /// Checks a notification on its raw bytes and reads it. Never trusts it further than that.
    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError>;

    /// Asks the provider for the payment's status (after each notification, and before expiry).
    async fn query(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError>;

    /// Finishes a payment the provider holds for confirmation (P24 verify, PayPal capture).
    async fn confirm(
        &self,
        _http: &HttpExecutor,
        _payment_id: Uuid,
        _provider_reference: &str,
        _amount: Money,
    ) -> Result<ProviderStatus, GatewayError> {
        Err(GatewayError::FlowNotSupported {
            gateway: self.kind().as_str(),
            flow: "confirm",
        })
    }

    async fn refund(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
        amount: Money,
        reason: &str,
    ) -> Result<RefundOutcome, GatewayError>;
}
