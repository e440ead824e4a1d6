//! KIR Paybynet (pay-by-link).
//!
//! **Reconstructed from public descriptions; check against KIR's current specification before
//! production.** No official merchant specification is public; this follows PAYMENTS.md §4.1
//! (a WooCommerce plugin, Gekosale's `PaybynetModel`, Ruby `PayByNet`). Reconstructed parts:
//! the `hashtrans` layout and its SHA-1 (the sources say SHA-1, not SHA-256), the comma
//! decimal amount, the `date_valid` time zone (we send UTC; KIR may expect Polish time), the
//! 10-digit `id_trans`, the SOAP status call and its status codes.
//!
//! Flow: `create` returns an auto-posted form to `form_url` with one field, `hashtrans` =
//! base64 of `<id_client>…</id_client>…<backpagereject>…</backpagereject><hash>H</hash>`, where
//! H = hex SHA-1 of the fragments followed by `<password>KEY</password>` (the key is hashed,
//! never sent). KIR's server notification (`paymentId`, `newStatus`) is unsigned, so it cannot
//! be verified: `verify_notification` refuses it and [`parse_trigger`] reads it as a mere
//! trigger to `query`, which asks KIR's `getStatusByPaymentID`. KIR has no refund API here.

use std::fmt;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use http::HeaderMap;
use sha1::{Digest, Sha1};
use uuid::Uuid;
use wspolnota_core::Money;

use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

const NAME: &str = "paybynet";

/// A tenant's Paybynet account.
#[derive(Clone)]
pub struct PaybynetConfig {
    /// `https://pbn.paybynet.com.pl/PayByNet/trans.do` (test `…/PayByNetT/trans.do`).
    pub form_url: String,
    /// `id_client`: the merchant's NIP.
    pub merchant_id: String,
    /// The secret hashed as `<password>…</password>`.
    pub key: String,
    /// `https://pbn.paybynet.com.pl/axis/services/PBNTransactionsGetStatus` (test `/axist/…`).
    pub status_url: String,
    /// The payee's 26-digit NRB (`account`).
    pub account: String,
    /// The payee's name and address for `accname`.
    pub payee: PaybynetPayee,
    /// How long the payer may take (`date_valid` = now + this).
    pub valid_for: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaybynetPayee {
    pub name: String,
    pub postcode: String,
    pub city: String,
    pub street: String,
    pub country: String,
}

impl PaybynetPayee {
    /// `Name^NM^PostCode^ZP^City^CI^Street^ST^Country^CT^`.
    pub fn accname(&self) -> String {
        format!(
            "{}^NM^{}^ZP^{}^CI^{}^ST^{}^CT^",
            self.name, self.postcode, self.city, self.street, self.country
        )
    }
}

impl fmt::Debug for PaybynetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaybynetConfig")
            .field("form_url", &self.form_url)
            .field("merchant_id", &self.merchant_id)
            .field("key", &"<redacted>")
            .field("status_url", &self.status_url)
            .field("account", &self.account)
            .field("payee", &self.payee)
            .field("valid_for", &self.valid_for)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Paybynet {
    config: PaybynetConfig,
}

/// The transaction fields hashed into `hashtrans`.
#[derive(Debug, Clone)]
pub struct PaybynetTransaction<'a> {
    pub id_trans: &'a str,
    pub date_valid: DateTime<Utc>,
    pub amount: Money,
    pub email: &'a str,
    pub backpage: &'a str,
    pub backpagereject: &'a str,
}

/// Our 10-digit `id_trans` for a payment: the UUID's low 64 bits modulo 10^10, zero-padded.
/// Both UUID v4 and v7 carry random bits there; collisions are possible in principle (the
/// platform keeps `provider_reference` and KIR rejects a repeated id).
pub fn id_trans(payment_id: Uuid) -> String {
    let low = payment_id.as_u128() as u64;
    format!("{:010}", low % 10_000_000_000)
}

/// `123,45`: a comma as the decimal separator.
fn amount_with_comma(amount: Money) -> Result<String, GatewayError> {
    let grosze = amount
        .to_grosze()
        .map_err(|e| GatewayError::Config(format!("amount not in whole grosze: {e}")))?;
    if grosze <= 0 {
        return Err(GatewayError::Config(
            "Paybynet amount must be positive".into(),
        ));
    }
    Ok(format!("{},{:02}", grosze / 100, grosze % 100))
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn sha1_hex(data: &[u8]) -> String {
    let digest = Sha1::digest(data);
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

impl Paybynet {
    pub fn new(config: PaybynetConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &PaybynetConfig {
        &self.config
    }

    /// The plain (pre-base64) `hashtrans` document: fragments then `<hash>…</hash>`.
    pub fn hashtrans_plain(&self, tx: &PaybynetTransaction<'_>) -> Result<String, GatewayError> {
        let c = &self.config;
        let fragments = format!(
            "<id_client>{}</id_client><id_trans>{}</id_trans><date_valid>{}</date_valid>\
             <amount>{}</amount><currency>PLN</currency><email>{}</email>\
             <account>{}</account><accname>{}</accname>\
             <backpage>{}</backpage><backpagereject>{}</backpagereject>",
            escape_xml(&c.merchant_id),
            escape_xml(tx.id_trans),
            tx.date_valid.format("%d-%m-%Y %H:%M:%S"),
            amount_with_comma(tx.amount)?,
            escape_xml(tx.email),
            escape_xml(&c.account),
            escape_xml(&c.payee.accname()),
            escape_xml(tx.backpage),
            escape_xml(tx.backpagereject),
        );
        let hash = sha1_hex(format!("{fragments}<password>{}</password>", c.key).as_bytes());
        Ok(format!("{fragments}<hash>{hash}</hash>"))
    }

    /// The `hashtrans` form field: base64 of [`Self::hashtrans_plain`].
    pub fn hashtrans(&self, tx: &PaybynetTransaction<'_>) -> Result<String, GatewayError> {
        Ok(STANDARD.encode(self.hashtrans_plain(tx)?))
    }

    fn status_envelope(&self, id_trans: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
             <soapenv:Body><getStatusByPaymentID>\
             <paymentId>{}</paymentId><id_client>{}</id_client>\
             </getStatusByPaymentID></soapenv:Body></soapenv:Envelope>",
            escape_xml(id_trans),
            escape_xml(&self.config.merchant_id)
        )
    }
}

/// Reads KIR's unsigned server notification (`paymentId=…&newStatus=…`) as a trigger: the
/// `id_trans` to `query`. Nothing in it may be trusted, `newStatus` included.
pub fn parse_trigger(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "paymentId")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()))
}

/// KIR's status codes (as the reconstructed sources list them), mapped exhaustively:
/// - 2203, 2303 completed → `Succeeded`;
/// - 2202, 2302 rejected → `Failed`;
/// - 2201, 2301 expired / outdated → `Expired`;
/// - 1000–1012 verification rejected → `Failed`;
/// - anything else (no "pending" code is documented) → `UnexpectedResponse`.
pub fn map_status(code: u32) -> Result<ProviderStatus, GatewayError> {
    match code {
        2203 | 2303 => Ok(ProviderStatus::Succeeded { paid_at: None }),
        2202 | 2302 => Ok(ProviderStatus::Failed),
        2201 | 2301 => Ok(ProviderStatus::Expired),
        1000..=1012 => Ok(ProviderStatus::Failed),
        other => Err(GatewayError::UnexpectedResponse(format!(
            "unknown Paybynet status {other}"
        ))),
    }
}

/// Pulls the status code out of a `getStatusByPaymentID` SOAP answer: the text of the first
/// element whose name ends in `getStatusByPaymentIDReturn` (Axis' naming).
pub fn parse_status_response(xml: &str) -> Result<u32, GatewayError> {
    let bad = || GatewayError::UnexpectedResponse("Paybynet status answer without a code".into());
    let at = xml.find("getStatusByPaymentIDReturn").ok_or_else(bad)?;
    let rest = &xml[at..];
    let open_end = rest.find('>').ok_or_else(bad)?;
    let text = &rest[open_end + 1..];
    let close = text.find('<').ok_or_else(bad)?;
    text[..close]
        .trim()
        .parse()
        .map_err(|_| GatewayError::UnexpectedResponse("Paybynet status is not a number".into()))
}

#[async_trait]
impl PaymentGateway for Paybynet {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Paybynet
    }

    async fn create(
        &self,
        _http: &HttpExecutor,
        request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        let id = id_trans(request.payment_id);
        let email = request.payer_email.as_deref().unwrap_or_default();
        let tx = PaybynetTransaction {
            id_trans: &id,
            date_valid: Utc::now() + self.config.valid_for,
            amount: request.amount,
            email,
            backpage: &request.return_url,
            backpagereject: &request.return_url,
        };
        let mut fields = vec![("hashtrans".to_owned(), self.hashtrans(&tx)?)];
        if let Some(bank) = request.bank.as_deref() {
            fields.push(("idbank".to_owned(), bank.to_owned()));
        }
        Ok(NextAction::PostForm {
            url: self.config.form_url.clone(),
            fields,
            provider_reference: Some(id),
        })
    }

    /// KIR's notifications are unsigned: they cannot be verified. See [`parse_trigger`].
    fn verify_notification(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<Notification, GatewayError> {
        Err(GatewayError::FlowNotSupported {
            gateway: NAME,
            flow: "signed notifications",
        })
    }

    async fn query(
        &self,
        http: &HttpExecutor,
        payment_id: Uuid,
        provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        let id = if provider_reference.is_empty() {
            id_trans(payment_id)
        } else {
            provider_reference.to_owned()
        };
        let call = http
            .client()
            .post(&self.config.status_url)
            .header(http::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", "\"\"")
            .body(self.status_envelope(&id));
        let response = http.send(NAME, "query", call, true).await?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| GatewayError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(GatewayError::Provider {
                status: status.as_u16(),
                code: None,
                message: "Paybynet status call refused".into(),
            });
        }
        map_status(parse_status_response(&text)?)
    }

    async fn refund(
        &self,
        _http: &HttpExecutor,
        _payment_id: Uuid,
        _provider_reference: &str,
        _amount: Money,
        _reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        Err(GatewayError::FlowNotSupported {
            gateway: NAME,
            flow: "refund",
        })
    }
}
