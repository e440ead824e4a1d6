//! PayPal Orders v2 (REST).
//!
//! Flow: an OAuth2 client-credentials token (`POST /v1/oauth2/token`, cached until shortly
//! before it expires) → `POST /v2/checkout/orders` with `PayPal-Request-Id` = our payment id
//! (a retried create returns the same order) → the payer approves at the `approve` /
//! `payer-action` link → back at `return_url` the platform calls [`PaymentGateway::confirm`],
//! which captures (`POST /v2/checkout/orders/{id}/capture`). The order id is the provider
//! reference.
//!
//! Webhooks: PayPal's signature is checked by PayPal itself
//! (`POST /v1/notifications/verify-webhook-signature`), a network call the synchronous
//! [`PaymentGateway::verify_notification`] cannot make. So `verify_notification` only checks
//! that the transmission headers are present and reads the event; **the caller must call
//! [`PayPal::verify_webhook`] on the same raw headers and body and drop the event unless it
//! returns `Ok(true)`**. Either way a notification is only a hint: the platform re-queries the
//! order before acting.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use reqwest::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;
use wspolnota_core::Money;

use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

const GATEWAY: &str = "paypal";
/// A token is renewed this long before PayPal says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(120);
/// PayPal's limit on `purchase_units[].description`.
const DESCRIPTION_LEN: usize = 127;
/// PayPal's limit on `note_to_payer` of a refund.
const NOTE_LEN: usize = 255;

/// The webhook transmission headers PayPal signs with.
const H_TRANSMISSION_ID: &str = "paypal-transmission-id";
const H_TRANSMISSION_TIME: &str = "paypal-transmission-time";
const H_TRANSMISSION_SIG: &str = "paypal-transmission-sig";
const H_CERT_URL: &str = "paypal-cert-url";
const H_AUTH_ALGO: &str = "paypal-auth-algo";

/// A tenant's PayPal REST app. `Debug` hides the secret.
#[derive(Clone)]
pub struct PayPalConfig {
    /// `https://api-m.paypal.com` or `https://api-m.sandbox.paypal.com` (no trailing slash
    /// needed).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The id PayPal gave the webhook URL; part of the signature verification.
    pub webhook_id: String,
}

impl fmt::Debug for PayPalConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayPalConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("webhook_id", &self.webhook_id)
            .finish()
    }
}

struct CachedToken {
    access_token: String,
    expires_at: Instant,
}

pub struct PayPal {
    pub config: PayPalConfig,
    token: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for PayPal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayPal")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

// ---- wire types -------------------------------------------------------------------------

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Link {
    href: String,
    rel: String,
}

#[derive(Deserialize)]
struct Order {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    purchase_units: Vec<PurchaseUnit>,
}

#[derive(Deserialize)]
struct PurchaseUnit {
    #[serde(default)]
    payments: Option<Payments>,
}

#[derive(Deserialize)]
struct Payments {
    #[serde(default)]
    captures: Vec<Capture>,
}

#[derive(Deserialize)]
struct Capture {
    id: String,
    status: String,
    #[serde(default)]
    amount: Option<Amount>,
    #[serde(default)]
    create_time: Option<String>,
    #[serde(default)]
    update_time: Option<String>,
}

#[derive(Deserialize)]
struct Amount {
    currency_code: String,
    value: String,
}

#[derive(Deserialize)]
struct RefundResponse {
    id: String,
    status: String,
}

#[derive(Deserialize)]
struct VerifyResponse {
    verification_status: String,
}

/// PayPal's REST error body, and the OAuth endpoint's.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    issue: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// A webhook event: `resource` is an order (CHECKOUT.ORDER.*) or a capture (PAYMENT.CAPTURE.*).
#[derive(Deserialize)]
struct WebhookEvent {
    id: String,
    event_type: String,
    resource: Value,
}

// ---- the gateway ------------------------------------------------------------------------

impl PayPal {
    pub fn new(config: PayPalConfig) -> Self {
        Self {
            config,
            token: Mutex::new(None),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// A valid access token, from the cache or freshly issued.
    async fn token(&self, http: &HttpExecutor) -> Result<String, GatewayError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref()
            && t.expires_at > Instant::now()
        {
            return Ok(t.access_token.clone());
        }
        let request = http
            .client()
            .post(self.url("/v1/oauth2/token"))
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .header(http::header::ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")]);
        let resp = http.send(GATEWAY, "token", request, true).await?;
        let token: TokenResponse = read_json(resp).await?;
        let lifetime =
            Duration::from_secs(token.expires_in.unwrap_or(0)).saturating_sub(TOKEN_MARGIN);
        *cached = Some(CachedToken {
            access_token: token.access_token.clone(),
            expires_at: Instant::now() + lifetime,
        });
        Ok(token.access_token)
    }

    /// Asks PayPal whether a webhook delivery is genuine (`verify-webhook-signature`), on the
    /// raw headers and the raw body exactly as received. `Ok(false)`: missing transmission
    /// headers, a body that is not JSON, or PayPal answered `FAILURE`. Call it before acting
    /// on what [`PaymentGateway::verify_notification`] read.
    pub async fn verify_webhook(
        &self,
        http: &HttpExecutor,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<bool, GatewayError> {
        let Some(h) = transmission_headers(headers) else {
            return Ok(false);
        };
        // The event must go back byte for byte: re-serialising it can break the signature.
        let Ok(raw_event) = std::str::from_utf8(body) else {
            return Ok(false);
        };
        if serde_json::from_str::<Value>(raw_event).is_err() {
            return Ok(false);
        }
        let s = |v: &str| Value::String(v.to_owned()).to_string();
        let payload = format!(
            "{{\"auth_algo\":{},\"cert_url\":{},\"transmission_id\":{},\"transmission_sig\":{},\"transmission_time\":{},\"webhook_id\":{},\"webhook_event\":{}}}",
            s(h.auth_algo),
            s(h.cert_url),
            s(h.transmission_id),
            s(h.transmission_sig),
            s(h.transmission_time),
            s(&self.config.webhook_id),
            raw_event.trim(),
        );
        let token = self.token(http).await?;
        let request = http
            .client()
            .post(self.url("/v1/notifications/verify-webhook-signature"))
            .bearer_auth(token)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(payload);
        let resp = http.send(GATEWAY, "verify_webhook", request, true).await?;
        let answer: VerifyResponse = self.read_api(resp).await?;
        Ok(answer.verification_status == "SUCCESS")
    }

    /// [`read_json`] for API calls; a 401 drops the cached token (revoked or expired early),
    /// so the next call gets a fresh one.
    async fn read_api<T: DeserializeOwned>(&self, resp: Response) -> Result<T, GatewayError> {
        let result = read_json(resp).await;
        if let Err(GatewayError::Provider { status: 401, .. }) = &result {
            *self.token.lock().await = None;
        }
        result
    }

    async fn get_order(&self, http: &HttpExecutor, order_id: &str) -> Result<Order, GatewayError> {
        let token = self.token(http).await?;
        let request = http
            .client()
            .get(self.url(&format!("/v2/checkout/orders/{}", checked_id(order_id)?)))
            .bearer_auth(token);
        let resp = http.send(GATEWAY, "query", request, true).await?;
        self.read_api(resp).await
    }
}

#[async_trait]
impl PaymentGateway for PayPal {
    fn kind(&self) -> GatewayKind {
        GatewayKind::PayPal
    }

    async fn create(
        &self,
        http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        if !request.amount.is_positive() {
            return Err(GatewayError::Config(format!(
                "PayPal needs a positive amount, got {}",
                request.amount
            )));
        }
        let payment_id = request.payment_id.to_string();
        let description: String = request.description.chars().take(DESCRIPTION_LEN).collect();
        let mut context = json!({
            "return_url": request.return_url,
            // PaymentRequest has one return URL; the platform re-queries the order on return,
            // so a cancelled approval is recognised by the order's status.
            "cancel_url": request.return_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING",
        });
        if request.language.eq_ignore_ascii_case("pl") {
            context["locale"] = json!("pl-PL");
        }
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": payment_id,
                "custom_id": payment_id,
                "description": description,
                "amount": { "currency_code": "PLN", "value": request.amount.to_string() },
            }],
            "application_context": context,
        });
        let token = self.token(http).await?;
        let req = http
            .client()
            .post(self.url("/v2/checkout/orders"))
            .bearer_auth(token)
            .header("PayPal-Request-Id", &payment_id)
            .header("Prefer", "return=minimal")
            .json(&body);
        // Safe to retry: PayPal answers a repeated PayPal-Request-Id with the same order.
        let resp = http.send(GATEWAY, "create", req, true).await?;
        let order: Order = self.read_api(resp).await?;
        let url = order
            .links
            .iter()
            .find(|l| l.rel == "approve")
            .or_else(|| order.links.iter().find(|l| l.rel == "payer-action"))
            .map(|l| l.href.clone())
            .ok_or_else(|| {
                GatewayError::UnexpectedResponse(format!(
                    "order {} has no approve link (status {:?})",
                    order.id, order.status
                ))
            })?;
        Ok(NextAction::Redirect {
            url,
            provider_reference: order.id,
        })
    }

    /// Reads a webhook event. This does **not** prove it came from PayPal (that needs a call to
    /// PayPal): the caller must also get `Ok(true)` from [`PayPal::verify_webhook`]. Missing
    /// transmission headers are refused here already.
    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        if transmission_headers(headers).is_none() {
            return Err(GatewayError::InvalidSignature);
        }
        let event: WebhookEvent = serde_json::from_slice(body)
            .map_err(|e| GatewayError::BadNotification(format!("PayPal event: {e}")))?;
        let r = &event.resource;
        let resource_id = r
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| GatewayError::BadNotification("event without resource.id".into()))?;
        let (status, provider_reference, custom_id, amount) = match event.event_type.as_str() {
            // resource = the order.
            "CHECKOUT.ORDER.APPROVED" => {
                let unit = r.pointer("/purchase_units/0");
                (
                    ProviderStatus::WaitingForConfirmation,
                    resource_id.to_owned(),
                    unit.and_then(|u| u.get("custom_id"))
                        .and_then(Value::as_str),
                    unit.and_then(|u| u.get("amount")),
                )
            }
            // resource = the capture; the order id is in supplementary_data.
            "PAYMENT.CAPTURE.COMPLETED" | "PAYMENT.CAPTURE.DENIED" => {
                let status = if event.event_type == "PAYMENT.CAPTURE.COMPLETED" {
                    ProviderStatus::Succeeded {
                        paid_at: r
                            .get("create_time")
                            .and_then(Value::as_str)
                            .and_then(parse_time),
                    }
                } else {
                    ProviderStatus::Failed
                };
                let order_id = r
                    .pointer("/supplementary_data/related_ids/order_id")
                    .and_then(Value::as_str)
                    .unwrap_or(resource_id);
                (
                    status,
                    order_id.to_owned(),
                    r.get("custom_id").and_then(Value::as_str),
                    r.get("amount"),
                )
            }
            other => {
                return Err(GatewayError::UnexpectedResponse(format!(
                    "PayPal event type {other} is not handled"
                )));
            }
        };
        let amount = amount
            .and_then(|a| serde_json::from_value::<Amount>(a.clone()).ok())
            .and_then(|a| pln(&a));
        Ok(Notification {
            provider_reference,
            payment_id: custom_id.and_then(|c| Uuid::parse_str(c).ok()),
            status,
            amount,
            dedupe_key: event.id,
        })
    }

    async fn query(
        &self,
        http: &HttpExecutor,
        _payment_id: Uuid,
        provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        let order = self.get_order(http, provider_reference).await?;
        order_status(&order)
    }

    /// Captures an approved order (idempotent per payment through PayPal-Request-Id) and checks
    /// the captured amount. An order captured before is answered with its current status.
    async fn confirm(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
        amount: Money,
    ) -> Result<ProviderStatus, GatewayError> {
        let token = self.token(http).await?;
        let req = http
            .client()
            .post(self.url(&format!(
                "/v2/checkout/orders/{}/capture",
                checked_id(provider_reference)?
            )))
            .bearer_auth(token)
            .header("PayPal-Request-Id", format!("{payment_id}-capture"))
            .header("Prefer", "return=representation")
            .json(&json!({}));
        let resp = http.send(GATEWAY, "capture", req, true).await?;
        let order: Order = match self.read_api(resp).await {
            Ok(order) => order,
            Err(GatewayError::Provider { code: Some(c), .. }) if c == "ORDER_ALREADY_CAPTURED" => {
                self.get_order(http, provider_reference).await?
            }
            Err(e) => return Err(e),
        };
        if let Some(captured) = completed_capture(&order).and_then(|c| c.amount.as_ref())
            && pln(captured) != Some(amount)
        {
            return Err(GatewayError::UnexpectedResponse(format!(
                "order {} captured {} {}, expected {amount} PLN",
                order.id, captured.value, captured.currency_code
            )));
        }
        order_status(&order)
    }

    /// Refunds (part of) the order's completed capture. PayPal-Request-Id is derived from the
    /// payment and the amount, so a retried refund is not paid twice; a second partial refund
    /// of the very same amount within PayPal's retention (45 days) is answered with the first.
    async fn refund(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
        amount: Money,
        reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        if !amount.is_positive() {
            return Err(GatewayError::Config(format!(
                "a refund needs a positive amount, got {amount}"
            )));
        }
        let order = self.get_order(http, provider_reference).await?;
        let capture_id = completed_capture(&order)
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                GatewayError::UnexpectedResponse(format!(
                    "order {} has no completed capture to refund",
                    order.id
                ))
            })?;
        let grosze = amount
            .to_grosze()
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let note: String = reason.chars().take(NOTE_LEN).collect();
        let token = self.token(http).await?;
        let req = http
            .client()
            .post(self.url(&format!(
                "/v2/payments/captures/{}/refund",
                checked_id(&capture_id)?
            )))
            .bearer_auth(token)
            .header("PayPal-Request-Id", format!("{payment_id}-refund-{grosze}"))
            .json(&json!({
                "amount": { "currency_code": "PLN", "value": amount.to_string() },
                "note_to_payer": note,
            }));
        let resp = http.send(GATEWAY, "refund", req, true).await?;
        let refund: RefundResponse = self.read_api(resp).await?;
        match refund.status.as_str() {
            "COMPLETED" => Ok(RefundOutcome::Completed {
                provider_reference: refund.id,
            }),
            "PENDING" => Ok(RefundOutcome::Accepted {
                provider_reference: refund.id,
            }),
            other => Err(GatewayError::Provider {
                status: 200,
                code: Some(other.to_owned()),
                message: format!("refund {} is {other}", refund.id),
            }),
        }
    }
}

// ---- helpers ----------------------------------------------------------------------------

/// Maps an order onto [`ProviderStatus`], exhaustively over PayPal's order statuses.
fn order_status(order: &Order) -> Result<ProviderStatus, GatewayError> {
    let status = order.status.as_deref().unwrap_or_default();
    Ok(match status {
        // Created, the payer has not approved yet.
        "CREATED" => ProviderStatus::Pending,
        // Saved for later (intent AUTHORIZE / vaulting); we never ask for it: still pending.
        "SAVED" => ProviderStatus::Pending,
        // The payer still has to act (3-D Secure, the payer-action link).
        "PAYER_ACTION_REQUIRED" => ProviderStatus::Pending,
        // Approved by the payer: we must capture (confirm).
        "APPROVED" => ProviderStatus::WaitingForConfirmation,
        // Voided (all authorisations voided or the order cancelled).
        "VOIDED" => ProviderStatus::Cancelled,
        // COMPLETED alone does not mean paid: the capture's status does.
        "COMPLETED" => capture_status(order)?,
        other => {
            return Err(GatewayError::UnexpectedResponse(format!(
                "PayPal order {} has status {other:?}",
                order.id
            )));
        }
    })
}

/// The status of a COMPLETED order's capture.
fn capture_status(order: &Order) -> Result<ProviderStatus, GatewayError> {
    let captures: Vec<&Capture> = order
        .purchase_units
        .iter()
        .filter_map(|u| u.payments.as_ref())
        .flat_map(|p| p.captures.iter())
        .collect();
    if let Some(c) = completed_capture(order) {
        return Ok(ProviderStatus::Succeeded {
            paid_at: c
                .create_time
                .as_deref()
                .or(c.update_time.as_deref())
                .and_then(parse_time),
        });
    }
    let Some(c) = captures.first() else {
        return Err(GatewayError::UnexpectedResponse(format!(
            "PayPal order {} is COMPLETED without a capture",
            order.id
        )));
    };
    Ok(match c.status.as_str() {
        // Held by PayPal (review, eCheck): not final, and not ours to confirm again.
        "PENDING" => ProviderStatus::Pending,
        "DECLINED" | "FAILED" => ProviderStatus::Failed,
        // Paid, then refunded: the payment itself succeeded; refunds are tracked apart.
        "REFUNDED" | "PARTIALLY_REFUNDED" => ProviderStatus::Succeeded {
            paid_at: c.create_time.as_deref().and_then(parse_time),
        },
        other => {
            return Err(GatewayError::UnexpectedResponse(format!(
                "PayPal capture {} has status {other:?}",
                c.id
            )));
        }
    })
}

fn completed_capture(order: &Order) -> Option<&Capture> {
    order
        .purchase_units
        .iter()
        .filter_map(|u| u.payments.as_ref())
        .flat_map(|p| p.captures.iter())
        .find(|c| c.status == "COMPLETED")
}

fn pln(a: &Amount) -> Option<Money> {
    (a.currency_code == "PLN")
        .then(|| Money::parse(&a.value).ok())
        .flatten()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// PayPal ids are upper-case alphanumerics; anything else must not reach a URL path.
fn checked_id(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(id)
    } else {
        Err(GatewayError::Config(format!("not a PayPal id: {id:?}")))
    }
}

struct TransmissionHeaders<'a> {
    transmission_id: &'a str,
    transmission_time: &'a str,
    transmission_sig: &'a str,
    cert_url: &'a str,
    auth_algo: &'a str,
}

fn transmission_headers(headers: &HeaderMap) -> Option<TransmissionHeaders<'_>> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    Some(TransmissionHeaders {
        transmission_id: get(H_TRANSMISSION_ID)?,
        transmission_time: get(H_TRANSMISSION_TIME)?,
        transmission_sig: get(H_TRANSMISSION_SIG)?,
        cert_url: get(H_CERT_URL)?,
        auth_algo: get(H_AUTH_ALGO)?,
    })
}

/// Reads a success body as `T`, or turns PayPal's error body into [`GatewayError::Provider`]
/// (`code` = the first detail's issue, else the error name).
async fn read_json<T: DeserializeOwned>(resp: Response) -> Result<T, GatewayError> {
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| GatewayError::Transport(e.without_url().to_string()))?;
    if !status.is_success() {
        let err: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let detail = err.details.first();
        let code = detail
            .and_then(|d| d.issue.clone())
            .or(err.name)
            .or(err.error);
        let message = detail
            .and_then(|d| d.description.clone())
            .or(err.message)
            .or(err.error_description)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        return Err(GatewayError::Provider {
            status: status.as_u16(),
            code,
            message,
        });
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| GatewayError::UnexpectedResponse(format!("PayPal answer: {e}")))
}
