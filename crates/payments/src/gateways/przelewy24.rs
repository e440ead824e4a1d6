//! Przelewy24 REST API v1.
//!
//! Flow: `create` registers the transaction (`POST /api/v1/transaction/register`) and sends the
//! payer to `{base}/trnRequest/{token}`; P24 then posts a signed notification to `urlStatus`,
//! which only says the payer paid: the money is ours once we call
//! `PUT /api/v1/transaction/verify` (`confirm`). Until then the payment waits for confirmation.
//!
//! Every `sign` is the hex SHA-384 of a JSON object with a fixed key order and no spaces; the
//! structs below serialise in exactly that order (serde_json does not escape `/` or non-ASCII,
//! which matches P24's `JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE`). Amounts are grosze.
//! Our `sessionId` is the payment id, so a retried create is recognised.
//!
//! Sources: `mnastalski/przelewy24-php` and P24's OpenAPI schemas (see PAYMENTS.md §4.2); not
//! yet checked against developers.przelewy24.pl. Source-IP checks of notifications
//! (P24's published addresses) are left to the platform's ingress.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};
use subtle::ConstantTimeEq;
use uuid::Uuid;
use wspolnota_core::Money;

use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

const NAME: &str = "przelewy24";
const CURRENCY: &str = "PLN";

/// A tenant's Przelewy24 account. `api_key` is the "Klucz do raportów" (API key) used as the
/// Basic-auth password with `pos_id` as the user; `crc` is the "Klucz CRC" signing key.
#[derive(Clone)]
pub struct P24Config {
    /// `https://secure.przelewy24.pl` or `https://sandbox.przelewy24.pl` (no trailing slash
    /// needed).
    pub base_url: String,
    pub merchant_id: i64,
    pub pos_id: i64,
    pub api_key: String,
    pub crc: String,
}

impl fmt::Debug for P24Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("P24Config")
            .field("base_url", &self.base_url)
            .field("merchant_id", &self.merchant_id)
            .field("pos_id", &self.pos_id)
            .field("api_key", &"<redacted>")
            .field("crc", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Przelewy24 {
    config: P24Config,
}

impl Przelewy24 {
    pub fn new(config: P24Config) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &P24Config {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(self.config.pos_id, Some(&self.config.api_key))
    }

    /// Looks the transaction up by our session id.
    async fn lookup(
        &self,
        http: &HttpExecutor,
        session_id: &str,
    ) -> Result<TransactionData, GatewayError> {
        let path = format!(
            "api/v1/transaction/by/sessionId/{}",
            url::form_urlencoded::byte_serialize(session_id.as_bytes()).collect::<String>()
        );
        let request = self.authed(http.client().get(self.url(&path)));
        let response = http.send(NAME, "query", request, true).await?;
        let body: DataEnvelope<TransactionData> = read_json(response).await?;
        Ok(body.data)
    }
}

fn grosze(amount: Money) -> Result<i64, GatewayError> {
    amount
        .to_grosze()
        .map_err(|e| GatewayError::Config(format!("amount not in whole grosze: {e}")))
}

fn sha384_hex(json: &str) -> String {
    let digest = Sha384::digest(json.as_bytes());
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn sign_of<T: Serialize>(value: &T) -> Result<String, GatewayError> {
    let json = serde_json::to_string(value)
        .map_err(|e| GatewayError::Config(format!("cannot serialise a sign: {e}")))?;
    Ok(sha384_hex(&json))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterSign<'a> {
    session_id: &'a str,
    merchant_id: i64,
    amount: i64,
    currency: &'a str,
    crc: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifySign<'a> {
    session_id: &'a str,
    order_id: i64,
    amount: i64,
    currency: &'a str,
    crc: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationSign<'a> {
    merchant_id: i64,
    pos_id: i64,
    session_id: &'a str,
    amount: i64,
    origin_amount: i64,
    currency: &'a str,
    order_id: i64,
    method_id: i64,
    statement: &'a str,
    crc: &'a str,
}

/// The register `sign`: SHA-384 of `{"sessionId","merchantId","amount","currency","crc"}`.
pub fn register_sign(
    session_id: &str,
    merchant_id: i64,
    amount_grosze: i64,
    currency: &str,
    crc: &str,
) -> Result<String, GatewayError> {
    sign_of(&RegisterSign {
        session_id,
        merchant_id,
        amount: amount_grosze,
        currency,
        crc,
    })
}

/// The verify `sign`: SHA-384 of `{"sessionId","orderId","amount","currency","crc"}`.
pub fn verify_sign(
    session_id: &str,
    order_id: i64,
    amount_grosze: i64,
    currency: &str,
    crc: &str,
) -> Result<String, GatewayError> {
    sign_of(&VerifySign {
        session_id,
        order_id,
        amount: amount_grosze,
        currency,
        crc,
    })
}

/// A status notification as P24 posts it to `urlStatus`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct P24Notification {
    pub merchant_id: i64,
    pub pos_id: i64,
    pub session_id: String,
    pub amount: i64,
    pub origin_amount: i64,
    pub currency: String,
    pub order_id: i64,
    pub method_id: i64,
    pub statement: String,
    pub sign: String,
}

impl P24Notification {
    /// The `sign` P24 should have put on this notification, given the CRC key.
    pub fn expected_sign(&self, crc: &str) -> Result<String, GatewayError> {
        sign_of(&NotificationSign {
            merchant_id: self.merchant_id,
            pos_id: self.pos_id,
            session_id: &self.session_id,
            amount: self.amount,
            origin_amount: self.origin_amount,
            currency: &self.currency,
            order_id: self.order_id,
            method_id: self.method_id,
            statement: &self.statement,
            crc,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterRequest<'a> {
    merchant_id: i64,
    pos_id: i64,
    session_id: &'a str,
    amount: i64,
    currency: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a str>,
    country: &'a str,
    language: &'a str,
    url_return: &'a str,
    url_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<i64>,
    encoding: &'a str,
    sign: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyRequest<'a> {
    merchant_id: i64,
    pos_id: i64,
    session_id: &'a str,
    amount: i64,
    currency: &'a str,
    order_id: i64,
    sign: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundRequest<'a> {
    request_id: String,
    refunds_uuid: String,
    refunds: [RefundItem<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundItem<'a> {
    order_id: i64,
    session_id: &'a str,
    amount: i64,
    description: &'a str,
}

#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct RefundAnswer {
    status: bool,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct RegisterData {
    token: String,
}

#[derive(Deserialize)]
struct VerifyData {
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionData {
    order_id: i64,
    status: i64,
    amount: i64,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    date_of_transaction: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

/// Reads a 2xx JSON answer, or turns anything else into [`GatewayError::Provider`].
async fn read_json<T: for<'de> Deserialize<'de>>(
    response: reqwest::Response,
) -> Result<T, GatewayError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| GatewayError::Transport(e.without_url().to_string()))?;
    if !status.is_success() {
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => (
                body.code.map(|c| match c {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                }),
                body.error
                    .map(|e| match e {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "no error message".to_owned()),
            ),
            Err(_) => (None, "no error message".to_owned()),
        };
        return Err(GatewayError::Provider {
            status: status.as_u16(),
            code,
            message,
        });
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| GatewayError::UnexpectedResponse(format!("P24 answer: {e}")))
}

/// P24's transaction statuses (`GET /transaction/by/sessionId`), mapped exhaustively:
/// - 0 "no payment": registered, the payer has not paid → `Pending`;
/// - 1 "advance payment": the payer paid, P24 waits for our verify → `WaitingForConfirmation`;
/// - 2 "payment made": verified, the money is ours → `Succeeded`;
/// - 3 "payment returned": refunded to the payer → `Cancelled` (the contract has no refunded
///   state; refunds are tracked by the platform's own refund records);
/// - anything else → `UnexpectedResponse`.
pub fn map_status(
    status: i64,
    paid_at: Option<DateTime<Utc>>,
) -> Result<ProviderStatus, GatewayError> {
    match status {
        0 => Ok(ProviderStatus::Pending),
        1 => Ok(ProviderStatus::WaitingForConfirmation),
        2 => Ok(ProviderStatus::Succeeded { paid_at }),
        3 => Ok(ProviderStatus::Cancelled),
        other => Err(GatewayError::UnexpectedResponse(format!(
            "unknown P24 transaction status {other}"
        ))),
    }
}

fn parse_date(value: Option<&str>) -> Option<DateTime<Utc>> {
    let value = value?;
    if let Ok(dt) = DateTime::parse_from_rfc3339(value) {
        return Some(dt.with_timezone(&Utc));
    }
    None
}

#[async_trait]
impl PaymentGateway for Przelewy24 {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Przelewy24
    }

    async fn create(
        &self,
        http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        let session_id = request.payment_id.to_string();
        let amount = grosze(request.amount)?;
        if amount <= 0 {
            return Err(GatewayError::Config("P24 amount must be positive".into()));
        }
        let sign = register_sign(
            &session_id,
            self.config.merchant_id,
            amount,
            CURRENCY,
            &self.config.crc,
        )?;
        // P24 requires an e-mail; the platform asks residents for one before paying online.
        let email = request.payer_email.as_deref();
        if email.is_none() {
            return Err(GatewayError::Config(
                "Przelewy24 requires the payer's e-mail".into(),
            ));
        }
        let body = RegisterRequest {
            merchant_id: self.config.merchant_id,
            pos_id: self.config.pos_id,
            session_id: &session_id,
            amount,
            currency: CURRENCY,
            description: &request.description,
            email,
            client: request.payer_name.as_deref(),
            country: "PL",
            language: &request.language,
            url_return: &request.return_url,
            url_status: &request.notify_url,
            method: request.bank.as_deref().and_then(|b| b.parse().ok()),
            encoding: "UTF-8",
            sign,
        };
        let call = self
            .authed(http.client().post(self.url("api/v1/transaction/register")))
            .json(&body);
        let response = http.send(NAME, "register", call, false).await?;
        let data: DataEnvelope<RegisterData> = read_json(response).await?;
        if data.data.token.is_empty()
            || !data
                .data
                .token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(GatewayError::UnexpectedResponse(
                "P24 register returned an unusable token".into(),
            ));
        }
        Ok(NextAction::Redirect {
            url: self.url(&format!("trnRequest/{}", data.data.token)),
            provider_reference: session_id,
        })
    }

    fn verify_notification(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        let n: P24Notification = serde_json::from_slice(body)
            .map_err(|e| GatewayError::BadNotification(format!("P24 notification: {e}")))?;
        let expected = n.expected_sign(&self.config.crc)?;
        let given = n.sign.to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(GatewayError::InvalidSignature);
        }
        if n.merchant_id != self.config.merchant_id || n.pos_id != self.config.pos_id {
            return Err(GatewayError::BadNotification(
                "P24 notification for another merchant or POS".into(),
            ));
        }
        if n.currency != CURRENCY {
            return Err(GatewayError::BadNotification(format!(
                "unexpected currency {}",
                n.currency
            )));
        }
        Ok(Notification {
            provider_reference: n.session_id.clone(),
            payment_id: Uuid::parse_str(&n.session_id).ok(),
            // P24 holds the payment until we call verify (`confirm`).
            status: ProviderStatus::WaitingForConfirmation,
            amount: Some(Money::from_grosze(n.amount)),
            dedupe_key: n.order_id.to_string(),
        })
    }

    async fn query(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        _provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        let data = self.lookup(http, &payment_id.to_string()).await?;
        map_status(data.status, parse_date(data.date_of_transaction.as_deref()))
    }

    /// Calls `PUT /transaction/verify`. P24's `orderId` is read from the transaction lookup,
    /// and the amount P24 holds must equal the amount we expect.
    async fn confirm(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        _provider_reference: &str,
        amount: Money,
    ) -> Result<ProviderStatus, GatewayError> {
        let session_id = payment_id.to_string();
        let amount = grosze(amount)?;
        let data = self.lookup(http, &session_id).await?;
        if data.amount != amount || data.currency.as_deref().is_some_and(|c| c != CURRENCY) {
            return Err(GatewayError::UnexpectedResponse(format!(
                "P24 holds {} grosze, expected {amount}",
                data.amount
            )));
        }
        match data.status {
            // Already verified (a retried confirm).
            2 => return map_status(2, parse_date(data.date_of_transaction.as_deref())),
            1 => {}
            other => return map_status(other, None),
        }
        let body = VerifyRequest {
            merchant_id: self.config.merchant_id,
            pos_id: self.config.pos_id,
            session_id: &session_id,
            amount,
            currency: CURRENCY,
            order_id: data.order_id,
            sign: verify_sign(
                &session_id,
                data.order_id,
                amount,
                CURRENCY,
                &self.config.crc,
            )?,
        };
        let call = self
            .authed(http.client().put(self.url("api/v1/transaction/verify")))
            .json(&body);
        let response = http.send(NAME, "verify", call, false).await?;
        let data: DataEnvelope<VerifyData> = read_json(response).await?;
        if data.data.status == "success" {
            Ok(ProviderStatus::Succeeded { paid_at: None })
        } else {
            Err(GatewayError::UnexpectedResponse(format!(
                "P24 verify status {:?}",
                data.data.status
            )))
        }
    }

    /// `POST /transaction/refund` for one transaction. P24 processes refunds asynchronously
    /// (and notifies `urlStatus` of refunds, not handled here), so the outcome is `Accepted`
    /// with the refund batch's `refundsUuid`.
    async fn refund(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        _provider_reference: &str,
        amount: Money,
        reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        let session_id = payment_id.to_string();
        let amount = grosze(amount)?;
        let data = self.lookup(http, &session_id).await?;
        let refunds_uuid = Uuid::new_v4().to_string();
        let description: String = reason.chars().take(35).collect();
        let body = RefundRequest {
            request_id: Uuid::new_v4().to_string(),
            refunds_uuid: refunds_uuid.clone(),
            refunds: [RefundItem {
                order_id: data.order_id,
                session_id: &session_id,
                amount,
                description: &description,
            }],
        };
        let call = self
            .authed(http.client().post(self.url("api/v1/transaction/refund")))
            .json(&body);
        let response = http.send(NAME, "refund", call, false).await?;
        let answer: DataEnvelope<Vec<RefundAnswer>> = read_json(response).await?;
        if let Some(refused) = answer.data.iter().find(|r| !r.status) {
            return Err(GatewayError::Provider {
                status: 200,
                code: None,
                message: refused
                    .message
                    .clone()
                    .unwrap_or_else(|| "refund refused".to_owned()),
            });
        }
        Ok(RefundOutcome::Accepted {
            provider_reference: refunds_uuid,
        })
    }
}
