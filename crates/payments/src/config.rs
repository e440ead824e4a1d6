//! The tenant's `[payments]` table: which gateways the municipality has contracts with, in which
//! mode, and where their secrets live. Secrets are never written in the tenant file — only the
//! names of the environment variables that hold them; [`PaymentsConfig::resolve`] reads them
//! through a lookup function when it builds an adapter, and errors name the variable, never its
//! value.
//!
//! ```toml
//! [payments]
//! default = "payu"             # which gateway the portal preselects
//! payment_minutes = 30         # optional: an unfinished payment's lifetime (locks held)
//! transfer_days = 14           # optional: how long transfer instructions stay open
//!
//! [[payments.gateways]]
//! kind = "sandbox"             # sandbox | payu | przelewy24 | paypal | paybynet | transfer
//! mode = "sandbox"             # sandbox | live (live is refused for kind = "sandbox")
//!
//! [[payments.gateways]]
//! kind = "payu"
//! mode = "sandbox"
//! base_url = "https://secure.snd.payu.com"
//! pos_id = "300746"
//! client_id = "300746"
//! client_secret_env = "ZAMOSC_PAYU_CLIENT_SECRET"
//! second_key_env = "ZAMOSC_PAYU_SECOND_KEY"
//!
//! [[payments.gateways]]
//! kind = "przelewy24"
//! mode = "live"
//! base_url = "https://secure.przelewy24.pl"
//! merchant_id = 123456
//! pos_id = 123456
//! api_key_env = "ZAMOSC_P24_API_KEY"
//! crc_env = "ZAMOSC_P24_CRC"
//!
//! [[payments.gateways]]
//! kind = "paypal"
//! mode = "sandbox"
//! base_url = "https://api-m.sandbox.paypal.com"
//! client_id = "AXy…"
//! client_secret_env = "ZAMOSC_PAYPAL_CLIENT_SECRET"
//! webhook_id = "8PT597110X687430LKGECATA"
//!
//! [[payments.gateways]]
//! kind = "paybynet"
//! mode = "live"
//! form_url = "https://pbn.paybynet.com.pl/PayByNet/trans.do"
//! status_url = "https://pbn.paybynet.com.pl/axis/services/PBNTransactionsGetStatus"
//! merchant_id = "922-269-74-72"        # id_client: the municipality's NIP
//! key_env = "ZAMOSC_PAYBYNET_KEY"
//! account = "56 1020 5356 0000 1602 0007 6877"
//! valid_for_hours = 24                 # optional, default 24
//! payee = { name = "Urząd Miasta Zamość", postcode = "22-400", city = "Zamość", street = "Rynek Wielki 13" }
//! # payee.country is optional, default "Polska"
//!
//! [[payments.gateways]]
//! kind = "transfer"
//! mode = "live"
//! recipient_name = "Urząd Miasta Zamość"
//! recipient_nip = "922-269-74-72"     # optional
//! ```
//!
//! Validation ([`PaymentsConfig::from_table`]): every key is known, `kind` is one of the six,
//! each kind appears at most once, `default` names a configured gateway, URLs are `https` in
//! live mode (`http` only in sandbox mode, for local test servers) and do not point at a
//! provider's known sandbox host in live mode, environment-variable names look like ones
//! (`A-Z`, `0-9`, `_`, not starting with a digit), NIPs and NRBs pass their checksums, and the
//! sandbox gateway is never live. Errors name the field, e.g. `payments.gateways[1].pos_id`.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use wspolnota_core::value::{Nip, Nrb};

use crate::gateway::{GatewayKind, PaymentGateway};
use crate::gateways::paybynet::{Paybynet, PaybynetConfig, PaybynetPayee};
use crate::gateways::paypal::{PayPal, PayPalConfig};
use crate::gateways::payu::{PayU, PayUConfig};
use crate::gateways::przelewy24::{P24Config, Przelewy24};
use crate::gateways::transfer::{Transfer, TransferConfig};

/// A configuration error naming the field within `[payments]`. Never carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn err<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field: field.into(),
        message: message.into(),
    })
}

/// Whether a gateway talks to the provider's test environment or takes real money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayMode {
    Sandbox,
    Live,
}

impl GatewayMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Live => "live",
        }
    }
}

/// Reads a gateway kind as written in the tenant file (`GatewayKind::as_str`).
pub fn parse_kind(raw: &str) -> Option<GatewayKind> {
    ALL_KINDS.into_iter().find(|k| k.as_str() == raw)
}

const ALL_KINDS: [GatewayKind; 6] = [
    GatewayKind::Sandbox,
    GatewayKind::PayU,
    GatewayKind::Przelewy24,
    GatewayKind::PayPal,
    GatewayKind::Paybynet,
    GatewayKind::Transfer,
];

fn kinds_list() -> String {
    ALL_KINDS
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// PayU point of sale. Secrets by environment-variable name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayUSettings {
    /// `https://secure.payu.com` or `https://secure.snd.payu.com`.
    pub base_url: String,
    pub pos_id: String,
    pub client_id: String,
    pub client_secret_env: String,
    /// The POS "second key (MD5)".
    pub second_key_env: String,
}

/// Przelewy24 merchant and shop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P24Settings {
    /// `https://secure.przelewy24.pl` or `https://sandbox.przelewy24.pl`.
    pub base_url: String,
    pub merchant_id: i64,
    pub pos_id: i64,
    /// The REST API key (basic-auth password).
    pub api_key_env: String,
    /// The "Klucz CRC" signing key.
    pub crc_env: String,
}

/// PayPal REST app.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayPalSettings {
    /// `https://api-m.paypal.com` or `https://api-m.sandbox.paypal.com`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret_env: String,
    pub webhook_id: String,
}

/// KIR Paybynet account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaybynetSettings {
    pub form_url: String,
    pub status_url: String,
    /// `id_client`: the merchant's NIP (separators allowed).
    pub merchant_id: String,
    pub key_env: String,
    /// The payee's NRB (spaces allowed).
    pub account: String,
    /// Read separately (see `parse_entry`); skipped here.
    #[serde(skip)]
    pub payee: PayeeSettings,
    /// How long the payer may take; default 24.
    #[serde(default = "default_valid_for_hours")]
    pub valid_for_hours: u32,
}

fn default_valid_for_hours() -> u32 {
    24
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayeeSettings {
    pub name: String,
    pub postcode: String,
    pub city: String,
    pub street: String,
    #[serde(default = "default_country")]
    pub country: String,
}

fn default_country() -> String {
    "Polska".to_owned()
}

/// Pay by ordinary transfer (to the obligation's account, shown with a ZBP code).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSettings {
    pub recipient_name: String,
    pub recipient_nip: Option<String>,
}

/// The sandbox gateway takes no settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoSettings {}

/// The kind-specific part of a gateway entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewaySettings {
    Sandbox,
    PayU(PayUSettings),
    Przelewy24(P24Settings),
    PayPal(PayPalSettings),
    Paybynet(PaybynetSettings),
    Transfer(TransferSettings),
}

/// One `[[payments.gateways]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEntry {
    pub mode: GatewayMode,
    pub settings: GatewaySettings,
}

impl GatewayEntry {
    pub fn kind(&self) -> GatewayKind {
        match self.settings {
            GatewaySettings::Sandbox => GatewayKind::Sandbox,
            GatewaySettings::PayU(_) => GatewayKind::PayU,
            GatewaySettings::Przelewy24(_) => GatewayKind::Przelewy24,
            GatewaySettings::PayPal(_) => GatewayKind::PayPal,
            GatewaySettings::Paybynet(_) => GatewayKind::Paybynet,
            GatewaySettings::Transfer(_) => GatewayKind::Transfer,
        }
    }
}

/// The tenant's `[payments]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsConfig {
    /// The gateway the portal preselects.
    pub default: Option<GatewayKind>,
    pub gateways: Vec<GatewayEntry>,
    /// How long an online payment may stay unfinished (its installments stay locked) before
    /// the sweeper asks the provider and expires it.
    pub payment_minutes: u32,
    /// How long transfer instructions stay open before the payment is marked expired (the
    /// transfer itself is matched on the bank statement whenever it comes).
    pub transfer_days: u32,
}

const DEFAULT_PAYMENT_MINUTES: u32 = 30;
const DEFAULT_TRANSFER_DAYS: u32 = 14;

impl Default for PaymentsConfig {
    fn default() -> Self {
        Self {
            default: None,
            gateways: Vec::new(),
            payment_minutes: DEFAULT_PAYMENT_MINUTES,
            transfer_days: DEFAULT_TRANSFER_DAYS,
        }
    }
}

fn positive(table: &toml::Table, key: &str, default: u32) -> Result<u32, FieldError> {
    match table.get(key) {
        None => Ok(default),
        Some(value) => value
            .as_integer()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| FieldError {
                field: format!("payments.{key}"),
                message: "must be a whole number from 1 to 100000".into(),
            }),
    }
}

/// Deserializes `value` into `T`, naming the offending key when serde reports one.
fn typed<T: DeserializeOwned>(value: toml::Value, field: &str) -> Result<T, FieldError> {
    value.try_into().map_err(|e: toml::de::Error| {
        let message = e.message().to_owned();
        // serde's "unknown field `x`, expected …" / "missing field `x`".
        let named = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix))
            .and_then(|rest| rest.split('`').next())
            .map(|key| format!("{field}.{key}"));
        FieldError {
            field: named.unwrap_or_else(|| field.to_owned()),
            message,
        }
    })
}

fn check_env_name(field: String, name: &str) -> Result<(), FieldError> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        err(
            field,
            // The value is not echoed: it may be a secret pasted in by mistake.
            "is not an environment-variable name (A-Z, 0-9 and _, not starting with a digit); \
             secrets are configured by variable name only",
        )
    }
}

/// Provider test hosts (and Paybynet test paths) that a live gateway must not use.
const SANDBOX_MARKERS: [&str; 5] = [
    "secure.snd.payu.com",
    "sandbox.przelewy24.pl",
    "api-m.sandbox.paypal.com",
    "/PayByNetT/",
    "/axist/",
];

fn check_url(field: String, raw: &str, mode: GatewayMode) -> Result<(), FieldError> {
    let parsed = match url::Url::parse(raw) {
        Ok(u) => u,
        Err(e) => return err(field, format!("`{raw}` is not a URL: {e}")),
    };
    if parsed.host_str().is_none_or(str::is_empty) {
        return err(field, format!("`{raw}` has no host"));
    }
    match (parsed.scheme(), mode) {
        ("https", _) | ("http", GatewayMode::Sandbox) => {}
        ("http", GatewayMode::Live) => {
            return err(field, "a live gateway must use https");
        }
        (other, _) => return err(field, format!("scheme `{other}` is not http(s)")),
    }
    if mode == GatewayMode::Live
        && let Some(marker) = SANDBOX_MARKERS.iter().find(|m| raw.contains(*m))
    {
        return err(
            field,
            format!("a live gateway points at the provider's test environment (`{marker}`)"),
        );
    }
    Ok(())
}

fn check_non_empty(field: String, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        err(field, "must not be empty")
    } else {
        Ok(())
    }
}

impl PaymentsConfig {
    /// Reads and validates the `[payments]` table. An empty table is a valid configuration
    /// with no gateways.
    pub fn from_table(table: &toml::Table) -> Result<Self, FieldError> {
        for key in table.keys() {
            if !["default", "gateways", "payment_minutes", "transfer_days"].contains(&key.as_str())
            {
                return err(
                    format!("payments.{key}"),
                    format!(
                        "unknown field `{key}`, expected `default`, `gateways`, \
                         `payment_minutes` or `transfer_days`"
                    ),
                );
            }
        }
        let mut gateways = Vec::new();
        if let Some(value) = table.get("gateways") {
            let Some(array) = value.as_array() else {
                return err(
                    "payments.gateways",
                    "must be an array of tables ([[payments.gateways]])",
                );
            };
            for (i, item) in array.iter().enumerate() {
                // A repeated kind is reported before its other fields are read.
                let kind = item
                    .get("kind")
                    .and_then(toml::Value::as_str)
                    .and_then(parse_kind);
                if let Some(kind) = kind
                    && let Some(j) = gateways
                        .iter()
                        .position(|g: &GatewayEntry| g.kind() == kind)
                {
                    return err(
                        format!("payments.gateways[{i}].kind"),
                        format!(
                            "`{}` is already configured in payments.gateways[{j}]; one entry \
                             per kind",
                            kind.as_str()
                        ),
                    );
                }
                gateways.push(parse_entry(i, item)?);
            }
        }
        let default = match table.get("default") {
            None => None,
            Some(value) => {
                let Some(raw) = value.as_str() else {
                    return err("payments.default", "must be a string naming a gateway kind");
                };
                let Some(kind) = parse_kind(raw) else {
                    return err(
                        "payments.default",
                        format!(
                            "unknown gateway kind `{raw}`, expected one of {}",
                            kinds_list()
                        ),
                    );
                };
                if !gateways.iter().any(|g| g.kind() == kind) {
                    return err(
                        "payments.default",
                        format!("`{raw}` is not configured in payments.gateways"),
                    );
                }
                Some(kind)
            }
        };
        Ok(Self {
            default,
            gateways,
            payment_minutes: positive(table, "payment_minutes", DEFAULT_PAYMENT_MINUTES)?,
            transfer_days: positive(table, "transfer_days", DEFAULT_TRANSFER_DAYS)?,
        })
    }

    /// The entry for `kind` and its index in `payments.gateways`.
    pub fn entry(&self, kind: GatewayKind) -> Option<(usize, &GatewayEntry)> {
        self.gateways
            .iter()
            .enumerate()
            .find(|(_, g)| g.kind() == kind)
    }

    /// Builds the adapter for `kind`, reading its secrets through `env` (production passes
    /// `&|k| std::env::var(k).ok()`). A missing or empty variable is an error naming the
    /// variable and the field that names it; values never appear in errors.
    pub fn resolve(
        &self,
        kind: GatewayKind,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn PaymentGateway>, FieldError> {
        let Some((i, entry)) = self.entry(kind) else {
            return err(
                "payments.gateways",
                format!("no `{}` gateway is configured", kind.as_str()),
            );
        };
        let secret = |key: &str, var: &str| -> Result<String, FieldError> {
            match env(var) {
                Some(value) if !value.is_empty() => Ok(value),
                Some(_) => err(
                    format!("payments.gateways[{i}].{key}"),
                    format!("environment variable {var} is empty"),
                ),
                None => err(
                    format!("payments.gateways[{i}].{key}"),
                    format!("environment variable {var} is not set"),
                ),
            }
        };
        Ok(match &entry.settings {
            GatewaySettings::Sandbox => {
                return err(
                    format!("payments.gateways[{i}].kind"),
                    "the sandbox gateway is provided by the platform, not built from the tenant \
                     configuration",
                );
            }
            GatewaySettings::PayU(s) => Box::new(PayU::new(PayUConfig {
                base_url: s.base_url.clone(),
                pos_id: s.pos_id.clone(),
                client_id: s.client_id.clone(),
                client_secret: secret("client_secret_env", &s.client_secret_env)?,
                second_key: secret("second_key_env", &s.second_key_env)?,
            })),
            GatewaySettings::Przelewy24(s) => Box::new(Przelewy24::new(P24Config {
                base_url: s.base_url.clone(),
                merchant_id: s.merchant_id,
                pos_id: s.pos_id,
                api_key: secret("api_key_env", &s.api_key_env)?,
                crc: secret("crc_env", &s.crc_env)?,
            })),
            GatewaySettings::PayPal(s) => Box::new(PayPal::new(PayPalConfig {
                base_url: s.base_url.clone(),
                client_id: s.client_id.clone(),
                client_secret: secret("client_secret_env", &s.client_secret_env)?,
                webhook_id: s.webhook_id.clone(),
            })),
            GatewaySettings::Paybynet(s) => {
                // Validated in `from_table`; re-parsed here for the canonical digits.
                let merchant_id = Nip::parse(&s.merchant_id)
                    .map(|n| n.as_str().to_owned())
                    .or_else(|e| {
                        err(format!("payments.gateways[{i}].merchant_id"), e.to_string())
                    })?;
                let account = Nrb::parse(&s.account)
                    .map(|n| n.as_str().to_owned())
                    .or_else(|e| err(format!("payments.gateways[{i}].account"), e.to_string()))?;
                Box::new(Paybynet::new(PaybynetConfig {
                    form_url: s.form_url.clone(),
                    merchant_id,
                    key: secret("key_env", &s.key_env)?,
                    status_url: s.status_url.clone(),
                    account,
                    payee: PaybynetPayee {
                        name: s.payee.name.clone(),
                        postcode: s.payee.postcode.clone(),
                        city: s.payee.city.clone(),
                        street: s.payee.street.clone(),
                        country: s.payee.country.clone(),
                    },
                    valid_for: chrono::Duration::hours(i64::from(s.valid_for_hours)),
                }))
            }
            GatewaySettings::Transfer(s) => Box::new(Transfer::new(TransferConfig {
                recipient_name: s.recipient_name.clone(),
                recipient_nip: s.recipient_nip.clone(),
            })),
        })
    }

    /// A non-secret identifier of the credential `kind` uses — kind, mode and the merchant or
    /// POS id — which a payment records, e.g. `payu:sandbox:pos=300746`. A kind that is not
    /// configured gives `<kind>:unconfigured`.
    pub fn credential_id(&self, kind: GatewayKind) -> String {
        let Some((_, entry)) = self.entry(kind) else {
            return format!("{}:unconfigured", kind.as_str());
        };
        let prefix = format!("{}:{}", kind.as_str(), entry.mode.as_str());
        match &entry.settings {
            GatewaySettings::Sandbox => prefix,
            GatewaySettings::PayU(s) => format!("{prefix}:pos={}", s.pos_id),
            GatewaySettings::Przelewy24(s) => {
                format!("{prefix}:merchant={}:pos={}", s.merchant_id, s.pos_id)
            }
            GatewaySettings::PayPal(s) => format!("{prefix}:client={}", s.client_id),
            GatewaySettings::Paybynet(s) => {
                let id = Nip::parse(&s.merchant_id)
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_else(|_| s.merchant_id.clone());
                format!("{prefix}:merchant={id}")
            }
            GatewaySettings::Transfer(s) => match &s.recipient_nip {
                Some(nip) => {
                    let id = Nip::parse(nip)
                        .map(|n| n.as_str().to_owned())
                        .unwrap_or_else(|_| nip.clone());
                    format!("{prefix}:nip={id}")
                }
                None => format!("{prefix}:recipient={}", s.recipient_name),
            },
        }
    }
}

fn parse_entry(i: usize, item: &toml::Value) -> Result<GatewayEntry, FieldError> {
    let base = format!("payments.gateways[{i}]");
    let field = |name: &str| format!("{base}.{name}");
    let Some(table) = item.as_table() else {
        return err(base, "must be a table");
    };
    let mut rest = table.clone();
    let kind = match rest.remove("kind") {
        None => return err(field("kind"), "missing field `kind`"),
        Some(v) => {
            let Some(raw) = v.as_str() else {
                return err(field("kind"), "must be a string");
            };
            match parse_kind(raw) {
                Some(k) => k,
                None => {
                    return err(
                        field("kind"),
                        format!(
                            "unknown gateway kind `{raw}`, expected one of {}",
                            kinds_list()
                        ),
                    );
                }
            }
        }
    };
    let mode: GatewayMode = match rest.remove("mode") {
        None => return err(field("mode"), "missing field `mode` (sandbox or live)"),
        Some(v) => typed(v, &field("mode"))
            .or_else(|_| err(field("mode"), "must be `sandbox` or `live`"))?,
    };
    let rest = toml::Value::Table(rest);
    let settings = match kind {
        GatewayKind::Sandbox => {
            typed::<NoSettings>(rest, &base)?;
            if mode == GatewayMode::Live {
                return err(
                    field("mode"),
                    "the sandbox gateway takes no real money and cannot be live",
                );
            }
            GatewaySettings::Sandbox
        }
        GatewayKind::PayU => {
            let s: PayUSettings = typed(rest, &base)?;
            check_url(field("base_url"), &s.base_url, mode)?;
            check_non_empty(field("pos_id"), &s.pos_id)?;
            check_non_empty(field("client_id"), &s.client_id)?;
            check_env_name(field("client_secret_env"), &s.client_secret_env)?;
            check_env_name(field("second_key_env"), &s.second_key_env)?;
            GatewaySettings::PayU(s)
        }
        GatewayKind::Przelewy24 => {
            let s: P24Settings = typed(rest, &base)?;
            check_url(field("base_url"), &s.base_url, mode)?;
            if s.merchant_id <= 0 {
                return err(field("merchant_id"), "must be a positive number");
            }
            if s.pos_id <= 0 {
                return err(field("pos_id"), "must be a positive number");
            }
            check_env_name(field("api_key_env"), &s.api_key_env)?;
            check_env_name(field("crc_env"), &s.crc_env)?;
            GatewaySettings::Przelewy24(s)
        }
        GatewayKind::PayPal => {
            let s: PayPalSettings = typed(rest, &base)?;
            check_url(field("base_url"), &s.base_url, mode)?;
            check_non_empty(field("client_id"), &s.client_id)?;
            check_env_name(field("client_secret_env"), &s.client_secret_env)?;
            check_non_empty(field("webhook_id"), &s.webhook_id)?;
            GatewaySettings::PayPal(s)
        }
        GatewayKind::Paybynet => {
            // The payee sub-table is read on its own so its errors name `payee.<key>`.
            let mut rest = rest;
            let payee = match rest.as_table_mut().and_then(|t| t.remove("payee")) {
                Some(v) => Some(typed::<PayeeSettings>(v, &field("payee"))?),
                None => None,
            };
            let Some(payee) = payee else {
                return err(field("payee"), "missing field `payee`");
            };
            let mut s: PaybynetSettings = typed(rest, &base)?;
            s.payee = payee;
            check_url(field("form_url"), &s.form_url, mode)?;
            check_url(field("status_url"), &s.status_url, mode)?;
            if let Err(e) = Nip::parse(&s.merchant_id) {
                return err(field("merchant_id"), format!("not a NIP: {e}"));
            }
            check_env_name(field("key_env"), &s.key_env)?;
            if let Err(e) = Nrb::parse(&s.account) {
                return err(field("account"), format!("not an NRB: {e}"));
            }
            for (name, value) in [
                ("name", &s.payee.name),
                ("postcode", &s.payee.postcode),
                ("city", &s.payee.city),
                ("street", &s.payee.street),
                ("country", &s.payee.country),
            ] {
                check_non_empty(field(&format!("payee.{name}")), value)?;
            }
            if s.valid_for_hours == 0 {
                return err(field("valid_for_hours"), "must be at least 1");
            }
            GatewaySettings::Paybynet(s)
        }
        GatewayKind::Transfer => {
            let s: TransferSettings = typed(rest, &base)?;
            check_non_empty(field("recipient_name"), &s.recipient_name)?;
            if let Some(nip) = &s.recipient_nip
                && let Err(e) = Nip::parse(nip)
            {
                return err(field("recipient_nip"), format!("not a NIP: {e}"));
            }
            GatewaySettings::Transfer(s)
        }
    };
    Ok(GatewayEntry { mode, settings })
}

impl fmt::Display for GatewayMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
