//! PayU Poland, REST API 2.1.
//!
//! - OAuth `client_credentials` at `/pl/standard/user/oauth/authorize`; the bearer token is
//!   cached in the adapter until shortly before it expires, and dropped on a 401.
//! - Order create `POST /api/v2_1/orders`, answered with `302 Found` (or `201`) and a JSON body
//!   carrying `redirectUri` and `orderId`; `extOrderId` is our payment id, so PayU recognises a
//!   retried create.
//! - Notifications signed with `OpenPayu-Signature: sender=…;signature=…;algorithm=…`, where
//!   `signature = hex(HASH(raw body || second key))`; they are hints, `GET /orders/{orderId}`
//!   is the truth.
//! - Refunds `POST /api/v2_1/orders/{orderId}/refunds`.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;
use url::Url;
use uuid::Uuid;
use wspolnota_core::Money;

use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

const GATEWAY: &str = "payu";
const CURRENCY: &str = "PLN";
/// A token is dropped this long before PayU says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// The headers PayU signs notifications in (the SDK reads either).
const SIGNATURE_HEADERS: [&str; 2] = ["openpayu-signature", "x-openpayu-signature"];

/// One tenant's PayU point of sale.
#[derive(Clone)]
pub struct PayUConfig {
    /// `https://secure.payu.com` or `https://secure.snd.payu.com` (no `/api/v2_1`).
    pub base_url: String,
    /// `merchantPosId`.
    pub pos_id: String,
    /// OAuth client id (the POS id in the standard setup).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// The POS "second key (MD5)", which signs notifications.
    pub second_key: String,
}

impl fmt::Debug for PayUConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayUConfig")
            .field("base_url", &self.base_url)
            .field("pos_id", &self.pos_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("second_key", &"<redacted>")
            .finish()
    }
}

struct CachedToken {
    access_token: String,
    expires_at: Instant,
}

/// The PayU adapter for one point of sale.
pub struct PayU {
    config: PayUConfig,
    token: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for PayU {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayU")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PayU {
    pub fn new(config: PayUConfig) -> Self {
        Self {
            config,
            token: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &PayUConfig {
        &self.config
    }

    /// `base_url` joined with path segments, each percent-encoded.
    fn endpoint(&self, segments: &[&str]) -> Result<Url, GatewayError> {
        let mut url = Url::parse(&self.config.base_url)
            .map_err(|e| GatewayError::Config(format!("PayU base URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| GatewayError::Config("PayU base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A bearer token, from the cache or a fresh `client_credentials` grant.
    async fn access_token(&self, http: &HttpExecutor) -> Result<String, GatewayError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && token.expires_at > Instant::now()
        {
            return Ok(token.access_token.clone());
        }
        let url = self.endpoint(&["pl", "standard", "user", "oauth", "authorize"])?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.as_str()),
        ];
        let request = http.client().post(url).form(&form);
        let response = http.send(GATEWAY, "oauth", request, true).await?;
        let status = response.status();
        let body = read_body(response).await?;
        if !status.is_success() {
            let error: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            return Err(GatewayError::Provider {
                status: status.as_u16(),
                code: error.error,
                message: error
                    .error_description
                    .unwrap_or_else(|| "PayU refused the OAuth credentials".into()),
            });
        }
        let token: OAuthToken = serde_json::from_slice(&body)
            .map_err(|e| GatewayError::UnexpectedResponse(format!("PayU OAuth answer: {e}")))?;
        if !token.token_type.eq_ignore_ascii_case("bearer") || token.access_token.is_empty() {
            return Err(GatewayError::UnexpectedResponse(format!(
                "PayU OAuth token type {:?}",
                token.token_type
            )));
        }
        let lifetime = Duration::from_secs(token.expires_in).saturating_sub(TOKEN_MARGIN);
        *cached = Some(CachedToken {
            access_token: token.access_token.clone(),
            expires_at: Instant::now() + lifetime,
        });
        Ok(token.access_token)
    }

    /// Sends an authorised API call; a 401 drops the cached token so the next call gets a new one.
    async fn send_authorised(
        &self,
        http: &HttpExecutor,
        call: &'static str,
        request: RequestBuilder,
        idempotent: bool,
    ) -> Result<(StatusCode, Vec<u8>), GatewayError> {
        let token = self.access_token(http).await?;
        let request = request.bearer_auth(token);
        let response = http.send(GATEWAY, call, request, idempotent).await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            *self.token.lock().await = None;
        }
        let body = read_body(response).await?;
        Ok((status, body))
    }
}

async fn read_body(response: Response) -> Result<Vec<u8>, GatewayError> {
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| GatewayError::Transport(e.without_url().to_string()))
}

/// A PayU error answer: `{"status":{"statusCode":…,"codeLiteral":…,"statusDesc":…}}`.
fn provider_error(status: StatusCode, body: &[u8]) -> GatewayError {
    let parsed: Option<StatusOnly> = serde_json::from_slice(body).ok();
    let payu_status = parsed.map(|p| p.status).unwrap_or_default();
    let message = payu_status
        .status_desc
        .or(payu_status.code_literal)
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    GatewayError::Provider {
        status: status.as_u16(),
        code: payu_status.status_code,
        message,
    }
}

/// Money as PayU writes it: whole grosze in a string, `"12345"` for 123.45 zł.
fn grosze_string(amount: Money) -> Result<String, GatewayError> {
    let grosze = amount
        .to_grosze()
        .map_err(|e| GatewayError::Config(format!("amount: {e}")))?;
    if grosze <= 0 {
        return Err(GatewayError::Config(format!(
            "PayU needs a positive amount, got {amount}"
        )));
    }
    Ok(grosze.to_string())
}

fn parse_grosze(text: &str) -> Option<Money> {
    text.trim().parse::<i64>().ok().map(Money::from_grosze)
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// PayU's order statuses onto ours, exhaustively; `None` for a status PayU has not documented.
pub fn map_order_status(status: &str, paid_at: Option<DateTime<Utc>>) -> Option<ProviderStatus> {
    match status {
        "NEW" | "PENDING" => Some(ProviderStatus::Pending),
        "WAITING_FOR_CONFIRMATION" => Some(ProviderStatus::WaitingForConfirmation),
        "COMPLETED" => Some(ProviderStatus::Succeeded { paid_at }),
        "CANCELED" => Some(ProviderStatus::Cancelled),
        // Legacy, still listed by the SDK.
        "REJECTED" => Some(ProviderStatus::Failed),
        _ => None,
    }
}

/// The hash algorithms PayU may name in `OpenPayu-Signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureAlgorithm {
    Md5,
    Sha256,
    Sha384,
    Sha512,
}

impl SignatureAlgorithm {
    fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "MD5" => Some(Self::Md5),
            // The SDK treats a bare "SHA" as SHA-256.
            "SHA" | "SHA256" | "SHA-256" => Some(Self::Sha256),
            "SHA384" | "SHA-384" => Some(Self::Sha384),
            "SHA512" | "SHA-512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn hex_digest(self, body: &[u8], key: &[u8]) -> String {
        fn run<D: Digest>(body: &[u8], key: &[u8]) -> String {
            let mut hasher = D::new();
            hasher.update(body);
            hasher.update(key);
            to_hex(&hasher.finalize())
        }
        match self {
            Self::Md5 => run::<md5::Md5>(body, key),
            Self::Sha256 => run::<sha2::Sha256>(body, key),
            Self::Sha384 => run::<sha2::Sha384>(body, key),
            Self::Sha512 => run::<sha2::Sha512>(body, key),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The `signature` and `algorithm` of an `OpenPayu-Signature` header.
fn parse_signature_header(value: &str) -> Option<(String, SignatureAlgorithm)> {
    let mut signature = None;
    let mut algorithm = None;
    for part in value.split(';') {
        let Some((name, val)) = part.split_once('=') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "signature" => signature = Some(val.trim().to_ascii_lowercase()),
            "algorithm" => algorithm = SignatureAlgorithm::parse(val),
            _ => {}
        }
    }
    match (signature, algorithm) {
        (Some(s), Some(a)) if !s.is_empty() => Some((s, a)),
        _ => None,
    }
}

/// Checks a notification's signature over its raw bytes, in constant time.
fn verify_signature(
    headers: &HeaderMap,
    body: &[u8],
    second_key: &str,
) -> Result<(), GatewayError> {
    let header = SIGNATURE_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .ok_or(GatewayError::InvalidSignature)?;
    let (signature, algorithm) =
        parse_signature_header(header).ok_or(GatewayError::InvalidSignature)?;
    let expected = algorithm.hex_digest(body, second_key.as_bytes());
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(())
    } else {
        Err(GatewayError::InvalidSignature)
    }
}

#[async_trait]
impl PaymentGateway for PayU {
    fn kind(&self) -> GatewayKind {
        GatewayKind::PayU
    }

    async fn create(
        &self,
        http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        let customer_ip = request
            .payer_ip
            .as_deref()
            .filter(|ip| !ip.trim().is_empty())
            .ok_or_else(|| {
                GatewayError::Config("PayU needs the payer's IP address (customerIp)".into())
            })?;
        let total = grosze_string(request.amount)?;
        let ext_order_id = request.payment_id.to_string();
        let body = OrderCreateRequest {
            notify_url: &request.notify_url,
            continue_url: &request.return_url,
            customer_ip,
            merchant_pos_id: &self.config.pos_id,
            description: &request.description,
            currency_code: CURRENCY,
            total_amount: &total,
            ext_order_id: &ext_order_id,
            buyer: Buyer {
                email: request.payer_email.as_deref(),
                language: &request.language,
            },
            products: [Product {
                name: &request.description,
                unit_price: &total,
                quantity: "1",
                is_virtual: true,
            }],
            pay_methods: request.bank.as_deref().map(|bank| PayMethods {
                pay_method: PayMethod {
                    kind: "PBL",
                    value: bank,
                },
            }),
        };
        let url = self.endpoint(&["api", "v2_1", "orders"])?;
        let (status, bytes) = self
            .send_authorised(
                http,
                "create_order",
                http.client().post(url).json(&body),
                false,
            )
            .await?;
        // 302 Found with a JSON body is the normal answer; 201 for some flows.
        if !(status.is_success() || status == StatusCode::FOUND) {
            return Err(provider_error(status, &bytes));
        }
        let answer: OrderCreateResponse = serde_json::from_slice(&bytes).map_err(|e| {
            GatewayError::UnexpectedResponse(format!("PayU order create answer: {e}"))
        })?;
        let code = answer.status.status_code.as_deref().unwrap_or_default();
        if code != "SUCCESS" && !code.starts_with("WARNING_CONTINUE") {
            return Err(GatewayError::Provider {
                status: status.as_u16(),
                code: answer.status.status_code.clone(),
                message: answer
                    .status
                    .status_desc
                    .unwrap_or_else(|| "PayU did not accept the order".into()),
            });
        }
        if let Some(ext) = answer.ext_order_id.as_deref()
            && ext != ext_order_id
        {
            return Err(GatewayError::UnexpectedResponse(format!(
                "PayU answered for extOrderId {ext}, expected {ext_order_id}"
            )));
        }
        match (answer.redirect_uri, answer.order_id) {
            (Some(url), Some(order_id)) if !url.is_empty() && !order_id.is_empty() => {
                Ok(NextAction::Redirect {
                    url,
                    provider_reference: order_id,
                })
            }
            _ => Err(GatewayError::UnexpectedResponse(
                "PayU order create answer without redirectUri or orderId".into(),
            )),
        }
    }

    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        verify_signature(headers, body, &self.config.second_key)?;
        let parsed: OrderNotification = serde_json::from_slice(body)
            .map_err(|e| GatewayError::BadNotification(format!("PayU notification: {e}")))?;
        let order = parsed.order;
        if let Some(currency) = order.currency_code.as_deref()
            && currency != CURRENCY
        {
            return Err(GatewayError::BadNotification(format!(
                "PayU notification in {currency}"
            )));
        }
        let paid_at = parse_time(parsed.local_receipt_date_time.as_deref());
        let status = map_order_status(&order.status, paid_at).ok_or_else(|| {
            GatewayError::BadNotification(format!("unknown PayU order status {:?}", order.status))
        })?;
        let amount = match order.total_amount.as_deref() {
            Some(text) => Some(parse_grosze(text).ok_or_else(|| {
                GatewayError::BadNotification(format!("PayU totalAmount {text:?}"))
            })?),
            None => None,
        };
        Ok(Notification {
            dedupe_key: format!("{}:{}", order.order_id, order.status),
            payment_id: order
                .ext_order_id
                .as_deref()
                .and_then(|e| Uuid::parse_str(e).ok()),
            provider_reference: order.order_id,
            status,
            amount,
        })
    }

    async fn query(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        if provider_reference.is_empty() {
            return Err(GatewayError::Config(
                "PayU status query needs the orderId".into(),
            ));
        }
        let url = self.endpoint(&["api", "v2_1", "orders", provider_reference])?;
        let (status, bytes) = self
            .send_authorised(http, "get_order", http.client().get(url), true)
            .await?;
        if !status.is_success() {
            return Err(provider_error(status, &bytes));
        }
        let answer: OrderGetResponse = serde_json::from_slice(&bytes)
            .map_err(|e| GatewayError::UnexpectedResponse(format!("PayU order answer: {e}")))?;
        let order = answer
            .orders
            .iter()
            .find(|o| o.order_id == provider_reference)
            .ok_or_else(|| {
                GatewayError::UnexpectedResponse(format!(
                    "PayU answer does not contain order {provider_reference}"
                ))
            })?;
        if let Some(ext) = order.ext_order_id.as_deref()
            && Uuid::parse_str(ext).ok() != Some(payment_id)
        {
            return Err(GatewayError::UnexpectedResponse(format!(
                "PayU order {provider_reference} belongs to extOrderId {ext}, not {payment_id}"
            )));
        }
        let paid_at = parse_time(answer.local_receipt_date_time.as_deref());
        map_order_status(&order.status, paid_at).ok_or_else(|| {
            GatewayError::UnexpectedResponse(format!(
                "unknown PayU order status {:?}",
                order.status
            ))
        })
    }

    async fn refund(
        &self,
        http: &HttpExecutor,
        _payment_id: Uuid,
        provider_reference: &str,
        amount: Money,
        reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        if provider_reference.is_empty() {
            return Err(GatewayError::Config("PayU refund needs the orderId".into()));
        }
        let amount = grosze_string(amount)?;
        let body = RefundRequest {
            refund: RefundBody {
                description: reason,
                amount: &amount,
                currency_code: CURRENCY,
            },
        };
        let url = self.endpoint(&["api", "v2_1", "orders", provider_reference, "refunds"])?;
        let (status, bytes) = self
            .send_authorised(http, "refund", http.client().post(url).json(&body), false)
            .await?;
        if !status.is_success() {
            return Err(provider_error(status, &bytes));
        }
        let answer: RefundResponse = serde_json::from_slice(&bytes)
            .map_err(|e| GatewayError::UnexpectedResponse(format!("PayU refund answer: {e}")))?;
        let refund_id = answer.refund.refund_id;
        match answer.refund.status.as_deref() {
            Some("FINALIZED") => Ok(RefundOutcome::Completed {
                provider_reference: refund_id,
            }),
            Some("PENDING") | None => Ok(RefundOutcome::Accepted {
                provider_reference: refund_id,
            }),
            Some("CANCELED") => Err(GatewayError::Provider {
                status: status.as_u16(),
                code: Some("CANCELED".into()),
                message: "PayU cancelled the refund".into(),
            }),
            Some(other) => Err(GatewayError::UnexpectedResponse(format!(
                "unknown PayU refund status {other:?}"
            ))),
        }
    }
}

// ---- wire types ----

#[derive(Deserialize)]
struct OAuthToken {
    access_token: String,
    token_type: String,
    expires_in: u64,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PayUStatus {
    status_code: Option<String>,
    code_literal: Option<String>,
    status_desc: Option<String>,
}

#[derive(Deserialize)]
struct StatusOnly {
    #[serde(default)]
    status: PayUStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreateRequest<'a> {
    notify_url: &'a str,
    continue_url: &'a str,
    customer_ip: &'a str,
    merchant_pos_id: &'a str,
    description: &'a str,
    currency_code: &'a str,
    total_amount: &'a str,
    ext_order_id: &'a str,
    buyer: Buyer<'a>,
    products: [Product<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pay_methods: Option<PayMethods<'a>>,
}

#[derive(Serialize)]
struct Buyer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    language: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Product<'a> {
    name: &'a str,
    unit_price: &'a str,
    quantity: &'a str,
    #[serde(rename = "virtual")]
    is_virtual: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayMethods<'a> {
    pay_method: PayMethod<'a>,
}

#[derive(Serialize)]
struct PayMethod<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    value: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreateResponse {
    #[serde(default)]
    status: PayUStatus,
    redirect_uri: Option<String>,
    order_id: Option<String>,
    ext_order_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderNotification {
    order: NotifiedOrder,
    local_receipt_date_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotifiedOrder {
    order_id: String,
    ext_order_id: Option<String>,
    status: String,
    total_amount: Option<String>,
    currency_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderGetResponse {
    #[serde(default)]
    orders: Vec<QueriedOrder>,
    local_receipt_date_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueriedOrder {
    order_id: String,
    ext_order_id: Option<String>,
    status: String,
}

#[derive(Serialize)]
struct RefundRequest<'a> {
    refund: RefundBody<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundBody<'a> {
    description: &'a str,
    amount: &'a str,
    currency_code: &'a str,
}

#[derive(Deserialize)]
struct RefundResponse {
    refund: RefundedRefund,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundedRefund {
    refund_id: String,
    status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signature_headers() {
        let parsed = parse_signature_header(
            "sender=checkout;signature=D47D8A771D558C29285887FEBDDD9327;algorithm=MD5;content=DOCUMENT",
        );
        assert_eq!(
            parsed,
            Some((
                "d47d8a771d558c29285887febddd9327".to_owned(),
                SignatureAlgorithm::Md5
            ))
        );
        assert_eq!(
            parse_signature_header("signature=ab;algorithm=SHA").map(|p| p.1),
            Some(SignatureAlgorithm::Sha256)
        );
        assert_eq!(parse_signature_header("signature=ab;algorithm=CRC32"), None);
        assert_eq!(parse_signature_header("signature=;algorithm=MD5"), None);
        assert_eq!(parse_signature_header("algorithm=MD5"), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let payu = PayU::new(PayUConfig {
            base_url: "https://secure.snd.payu.com".into(),
            pos_id: "300746".into(),
            client_id: "300746".into(),
            client_secret: "client-secret-value".into(),
            second_key: "second-key-value".into(),
        });
        let text = format!("{payu:?}");
        assert!(!text.contains("client-secret-value"));
        assert!(!text.contains("second-key-value"));
        assert!(text.contains("300746"));
    }

    #[test]
    fn endpoint_encodes_segments() -> Result<(), GatewayError> {
        let payu = PayU::new(PayUConfig {
            base_url: "https://secure.snd.payu.com/".into(),
            pos_id: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            second_key: String::new(),
        });
        let url = payu.endpoint(&["api", "v2_1", "orders", "a/b"])?;
        assert_eq!(
            url.as_str(),
            "https://secure.snd.payu.com/api/v2_1/orders/a%2Fb"
        );
        Ok(())
    }
}
