//! Pay by ordinary bank transfer: the payer sends money from their own bank to the obligation's
//! individual (virtual) account number, helped by the ZBP 2D/QR transfer code.
//!
//! No provider is involved: nothing is registered, nothing is notified, nothing can be queried
//! or refunded online. The money shows up on the bank statement and is matched there by the
//! credited virtual account (see the statement import), so every flow except showing the
//! instructions is [`GatewayError::FlowNotSupported`].
//!
//! The ZBP code ("Rekomendacja Związku Banków Polskich dotycząca kodu dwuwymiarowego", v1.0,
//! 2013-12-03) is nine `|`-separated fields, each cut to its maximum length:
//!
//! | # | field                              | max |
//! |---|------------------------------------|-----|
//! | 1 | recipient NIP (may be empty)       | 10  |
//! | 2 | country code, `PL`                 | 2   |
//! | 3 | account number (NRB)               | 26  |
//! | 4 | amount in grosze, zero-padded      | 6   |
//! | 5 | recipient name                     | 20  |
//! | 6 | transfer title                     | 32  |
//! | 7 | reserve 1 (direct-debit id), empty | 20  |
//! | 8 | reserve 2 (Invoobill id), empty    | 12  |
//! | 9 | reserve 3, empty                   | 24  |
//!
//! e.g. `|PL|62102040270000130216976010|012345|Urzad Miasta|Oplata za odpady 2026/01|||`.
//! Six amount digits cap the code at 9 999,99 zł; larger amounts get no code (some libraries
//! borrow reserve-3 digits for them, outside the recommendation, and banks need not accept it).

use async_trait::async_trait;
use http::HeaderMap;
use qrcode::{EcLevel, QrCode, render::svg};
use uuid::Uuid;
use wspolnota_core::Money;
use wspolnota_core::value::Nrb;

use crate::gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
use crate::http_executor::HttpExecutor;

const GATEWAY: &str = "transfer";

/// The largest amount the 6-digit amount field holds: 9 999,99 zł.
pub const ZBP_MAX_GROSZE: i64 = 999_999;
const NIP_LEN: usize = 10;
const NAME_LEN: usize = 20;
const TITLE_LEN: usize = 32;

/// Who receives transfers (the municipality).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferConfig {
    /// Shown in the payer's banking app; cut to 20 characters in the code.
    pub recipient_name: String,
    /// The recipient's NIP; separators are ignored.
    pub recipient_nip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Transfer {
    pub config: TransferConfig,
}

impl Transfer {
    pub fn new(config: TransferConfig) -> Self {
        Self { config }
    }

    /// What to show the payer: the obligation's (virtual) account, the title, the amount and,
    /// for amounts up to 9 999,99 zł, the ZBP code as SVG. Fails for a non-positive amount or
    /// a malformed recipient NIP in the configuration.
    pub fn instructions(
        &self,
        nrb: &Nrb,
        amount: Money,
        title: &str,
    ) -> Result<NextAction, GatewayError> {
        if !amount.is_positive() {
            return Err(GatewayError::Config(format!(
                "a transfer needs a positive amount, got {amount}"
            )));
        }
        nip_field(&self.config)?;
        Ok(transfer_details(nrb, amount, title, &self.config))
    }
}

/// The transfer instructions; `qr_svg` is `None` when no ZBP code can be made for the amount
/// (over 9 999,99 zł, zero or negative) or the configured NIP is malformed.
pub fn transfer_details(nrb: &Nrb, amount: Money, title: &str, cfg: &TransferConfig) -> NextAction {
    let qr_svg = match zbp_payload(nrb, amount, title, cfg).and_then(|p| qr_svg(&p)) {
        Ok(svg) => Some(svg),
        Err(e) => {
            tracing::debug!(error = %e, "no ZBP transfer code");
            None
        }
    };
    NextAction::Transfer {
        nrb: nrb.clone(),
        title: title.trim().to_owned(),
        amount,
        qr_svg,
    }
}

/// The exact ZBP 2D code content. Polish letters are kept (the code is UTF-8); `|` and control
/// characters are removed from the inputs, which are then cut to their fields' lengths (in
/// characters). Amounts over 9 999,99 zł do not fit the 6-digit field and are refused with
/// [`GatewayError::FlowNotSupported`]; non-positive amounts with [`GatewayError::Config`].
pub fn zbp_payload(
    nrb: &Nrb,
    amount: Money,
    title: &str,
    cfg: &TransferConfig,
) -> Result<String, GatewayError> {
    let grosze = amount
        .to_grosze()
        .map_err(|e| GatewayError::Config(e.to_string()))?;
    if grosze <= 0 {
        return Err(GatewayError::Config(format!(
            "a transfer code needs a positive amount, got {amount}"
        )));
    }
    if grosze > ZBP_MAX_GROSZE {
        return Err(GatewayError::FlowNotSupported {
            gateway: GATEWAY,
            flow: "a ZBP transfer code for amounts over 9 999,99 zł (6-digit amount field)",
        });
    }
    let nip = nip_field(cfg)?;
    let name = field(&cfg.recipient_name, NAME_LEN);
    let title = field(title, TITLE_LEN);
    Ok(format!(
        "{nip}|PL|{nrb}|{grosze:06}|{name}|{title}|||",
        nrb = nrb.as_str()
    ))
}

/// Renders a payload as an SVG QR code: error correction L, UTF-8 bytes (as ZBP recommends).
pub fn qr_svg(payload: &str) -> Result<String, GatewayError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::L)
        .map_err(|e| GatewayError::Config(format!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// The NIP field: digits only (separators dropped), empty when not configured; anything that
/// is not 10 digits is a configuration error.
fn nip_field(cfg: &TransferConfig) -> Result<String, GatewayError> {
    let Some(raw) = cfg.recipient_nip.as_deref() else {
        return Ok(String::new());
    };
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() && raw.trim().is_empty() {
        return Ok(String::new());
    }
    let only_separators = raw
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    if digits.len() != NIP_LEN || !only_separators {
        return Err(GatewayError::Config(format!(
            "recipient NIP must have {NIP_LEN} digits"
        )));
    }
    Ok(digits)
}

/// Removes `|` and control characters, trims, and cuts to `max` characters.
fn field(s: &str, max: usize) -> String {
    let cleaned: String = s.chars().filter(|&c| c != '|' && !c.is_control()).collect();
    let cut: String = cleaned.trim().chars().take(max).collect();
    cut.trim_end().to_owned()
}

fn unsupported(flow: &'static str) -> GatewayError {
    GatewayError::FlowNotSupported {
        gateway: GATEWAY,
        flow,
    }
}

#[async_trait]
impl PaymentGateway for Transfer {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Transfer
    }

    /// Not supported: the instructions need the obligation's virtual account, which a
    /// [`PaymentRequest`] does not carry. Call [`Transfer::instructions`] with it instead.
    async fn create(
        &self,
        _http: &HttpExecutor,
        _request: &PaymentRequest,
    ) -> Result<NextAction, GatewayError> {
        Err(unsupported(
            "create (a payment request has no account number; use Transfer::instructions with the obligation's virtual NRB)",
        ))
    }

    /// Not supported: transfers are not notified, they appear on the bank statement.
    fn verify_notification(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<Notification, GatewayError> {
        Err(unsupported(
            "notifications (transfers are matched on the bank statement)",
        ))
    }

    /// Not supported: there is no provider to ask; the bank statement is the source.
    async fn query(
        &self,
        _http: &HttpExecutor,
        _payment_id: Uuid,
        _provider_reference: &str,
    ) -> Result<ProviderStatus, GatewayError> {
        Err(unsupported(
            "status queries (transfers are matched on the bank statement)",
        ))
    }

    /// Not supported: a transfer is returned by an outgoing transfer from the finance office.
    async fn refund(
        &self,
        _http: &HttpExecutor,
        _payment_id: Uuid,
        _provider_reference: &str,
        _amount: Money,
        _reason: &str,
    ) -> Result<RefundOutcome, GatewayError> {
        Err(unsupported(
            "refunds (return the money with an outgoing bank transfer)",
        ))
    }
}
