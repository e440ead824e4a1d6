//! Tenants: their configuration (`tenants/<slug>.toml`), their runtime state and the registry
//! that maps an HTTP host to a tenant.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::ids::TenantSlug;
use crate::value::{Email, Nip, Nrb, PostalCode, Regon};

/// Kind of local-government unit; decides which TERC form the tenant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    /// Urban gmina (TERC kind digit 1), including cities with county rights.
    GminaMiejska,
    /// Rural gmina (TERC kind digit 2).
    GminaWiejska,
    /// Urban-rural gmina (TERC kind digit 3).
    GminaMiejskoWiejska,
    /// County (4-digit TERC).
    Powiat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub city: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub bip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    pub name: String,
    /// Account number (NRB, 26 digits; spaces allowed).
    pub nrb: String,
    /// What the account collects, e.g. "taxes", "fees", "general".
    pub purpose: String,
    /// Bank name, for residents' transfer forms.
    pub bank: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub sms_sender: Option<String>,
    /// The environment variable holding this office's own SMTP relay URL; without it the
    /// platform's `SMTP_URL` is used, and without that e-mails are written as `.eml` files.
    #[serde(default)]
    pub smtp_url_env: Option<String>,
    /// The environment variable holding the SMSAPI.pl token; without it no SMS or call.
    #[serde(default)]
    pub smsapi_token_env: Option<String>,
    /// SMSAPI's address (default `https://api.smsapi.pl/`); a local server in tests.
    #[serde(default)]
    pub smsapi_url: Option<String>,
    /// SMSAPI's test mode: requests are checked, nothing is sent.
    #[serde(default)]
    pub sms_test_mode: bool,
    /// Strip Polish diacritics from SMS (GSM-7, 160 characters a part) instead of sending
    /// them as UCS-2 (70 a part).
    #[serde(default)]
    pub sms_normalize: bool,
    /// Quiet hours, local time: no SMS or call before `quiet_until_hour` or from
    /// `quiet_from_hour` on.
    #[serde(default = "default_quiet_until")]
    pub quiet_until_hour: u32,
    #[serde(default = "default_quiet_from")]
    pub quiet_from_hour: u32,
    /// Days before a due date on which a reminder goes out, e.g. `[7, 1]`.
    #[serde(default)]
    pub reminder_days_before: Vec<u32>,
    /// The same per fee kind, where a kind needs other days (e.g. `waste_fee = [3]`).
    #[serde(default)]
    pub reminder_days_by_kind: std::collections::BTreeMap<String, Vec<u32>>,
    /// The office's own wording of a message: replaces the platform's template of the same
    /// id and channel when its version is higher.
    #[serde(default)]
    pub templates: Vec<TemplateOverride>,
    /// Dunning: a notice once the overdue principal exceeds this many times the cost of an
    /// upomnienie (the cost itself is effective-dated in the national rules).
    #[serde(default = "default_dunning_multiplier")]
    pub dunning_threshold_multiplier: u32,
    /// Dunning: days after the due date before an installment is dunned.
    #[serde(default = "default_dunning_grace")]
    pub dunning_grace_days: u32,
    /// Send "payment posted" e-mails to a party's e-mail address without a recorded consent
    /// (the party gave the address for its account).
    #[serde(default)]
    pub email_without_consent: bool,
}

/// A tenant's template (`[[notifications.templates]]`): Polish text with `((field))`s.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateOverride {
    /// `payment_posted`, `reminder`, …
    pub id: String,
    /// `email`, `sms` or `voice`.
    pub channel: String,
    pub version: i32,
    #[serde(default)]
    pub subject: String,
    pub body: String,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            sender_name: None,
            sender_email: None,
            sms_sender: None,
            smtp_url_env: None,
            smsapi_token_env: None,
            smsapi_url: None,
            sms_test_mode: false,
            sms_normalize: false,
            quiet_until_hour: default_quiet_until(),
            quiet_from_hour: default_quiet_from(),
            reminder_days_before: Vec::new(),
            reminder_days_by_kind: std::collections::BTreeMap::new(),
            templates: Vec::new(),
            email_without_consent: false,
            dunning_threshold_multiplier: default_dunning_multiplier(),
            dunning_grace_days: default_dunning_grace(),
        }
    }
}

fn default_dunning_multiplier() -> u32 {
    10
}

fn default_dunning_grace() -> u32 {
    7
}

fn default_quiet_until() -> u32 {
    8
}

fn default_quiet_from() -> u32 {
    21
}

/// The tenant's OpenID Connect identity provider (in production a broker in front of
/// login.gov.pl). Secrets are referenced by environment-variable name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    pub authorization_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    pub client_id: String,
    pub client_secret_env: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The userinfo claim that carries a verified PESEL.
    #[serde(default = "default_pesel_claim")]
    pub pesel_claim: String,
    /// Shown on the login button.
    #[serde(default = "default_idp_label")]
    pub label: String,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "email".into()]
}

fn default_pesel_claim() -> String {
    "pesel".into()
}

fn default_idp_label() -> String {
    "login.gov.pl".into()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// Main colour of the tenant's pages, `#rrggbb`.
    pub primary_color: Option<String>,
}

/// The resident portal's look and the data its public pages and accessibility statement show
/// (`[portal]`). Every field is optional; the portal falls back to `[branding]`, `[contact]`
/// and neutral defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    /// Header and button colour, `#rrggbb` (default: `branding.primary_color`). The portal
    /// picks black or white text on it and darkens it for links, so contrast stays ≥ 4.5:1.
    pub primary_color: Option<String>,
    /// Second colour (focus outline, highlights), `#rrggbb`.
    pub accent_color: Option<String>,
    /// Contact shown on the public page (default: `[contact]`).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Office hours, e.g. "pon. 7:30–17:00, wt.–pt. 7:30–15:30".
    pub office_hours: Option<String>,
    /// The accessibility statement: dates as `YYYY-MM-DD`.
    pub published_on: Option<String>,
    pub updated_on: Option<String>,
    pub statement_prepared_on: Option<String>,
    /// Who handles accessibility requests.
    pub accessibility_contact: Option<String>,
    pub accessibility_email: Option<String>,
    pub accessibility_phone: Option<String>,
    /// Architectural accessibility of the office building(s), in Polish.
    pub architectural_accessibility: Option<String>,
}

/// One tenant's configuration, as written in `tenants/<slug>.toml`. Unknown keys are errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub slug: TenantSlug,
    /// Official name, e.g. "Miasto Zamość".
    pub name: String,
    pub kind: TenantKind,
    /// A city with county rights (miasto na prawach powiatu) also runs county tasks.
    #[serde(default)]
    pub county_rights: bool,
    /// TERC code: 7 digits for a gmina, 4 for a powiat.
    pub teryt: String,
    pub population: u32,
    pub nip: Option<String>,
    pub regon: Option<String>,
    pub address: Address,
    #[serde(default)]
    pub contact: Contact,
    /// Hosts served besides `{slug}.{base_domain}`, e.g. "eurzad.zamosc.pl".
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Enabled e-services, by id.
    #[serde(default)]
    pub e_services: Vec<String>,
    #[serde(default)]
    pub bank_accounts: Vec<BankAccount>,
    /// The fee catalogue. Owned and validated by the finance e-service.
    #[serde(default)]
    pub fees: toml::Table,
    /// Payment-gateway configuration. Owned and validated by the payments e-service.
    #[serde(default)]
    pub payments: toml::Table,
    #[serde(default)]
    pub notifications: Notifications,
    pub identity_provider: Option<IdentityProvider>,
    #[serde(default)]
    pub branding: Branding,
    #[serde(default)]
    pub portal: Portal,
}

/// A configuration error that names the file and the field.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{file}: {field}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub field: String,
    pub message: String,
}

impl TenantConfig {
    /// Parses and validates a tenant file. `file` names the source in error messages;
    /// `known_eservices` are the ids this build was compiled with.
    pub fn from_toml(
        file: &str,
        text: &str,
        known_eservices: &[&str],
    ) -> Result<Self, ConfigError> {
        let config: TenantConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            field: e
                .span()
                .and_then(|span| field_at(text, span.start))
                .unwrap_or_else(|| "(document)".into()),
            message: e.message().to_owned(),
        })?;
        config
            .validate(known_eservices)
            .map_err(|(field, message)| ConfigError {
                file: file.to_owned(),
                field,
                message,
            })?;
        Ok(config)
    }

    fn validate(&self, known_eservices: &[&str]) -> Result<(), (String, String)> {
        let fail = |field: &str, message: String| Err((field.to_owned(), message));
        if self.name.trim().is_empty() {
            return fail("name", "must not be empty".into());
        }
        let digits = self.teryt.chars().all(|c| c.is_ascii_digit());
        let kind_digit = match self.kind {
            TenantKind::GminaMiejska => Some('1'),
            TenantKind::GminaWiejska => Some('2'),
            TenantKind::GminaMiejskoWiejska => Some('3'),
            TenantKind::Powiat => None,
        };
        match kind_digit {
            Some(k) if !(digits && self.teryt.len() == 7 && self.teryt.ends_with(k)) => {
                return fail(
                    "teryt",
                    format!(
                        "a gmina of this kind has a 7-digit TERC code ending in {k}, got `{}`",
                        self.teryt
                    ),
                );
            }
            None if !(digits && self.teryt.len() == 4) => {
                return fail(
                    "teryt",
                    format!("a powiat has a 4-digit TERC code, got `{}`", self.teryt),
                );
            }
            _ => {}
        }
        if self.county_rights && self.kind != TenantKind::GminaMiejska {
            return fail(
                "county_rights",
                "only an urban gmina can have county rights".into(),
            );
        }
        if let Some(nip) = &self.nip {
            Nip::parse(nip).map_err(|e| ("nip".to_owned(), e.to_string()))?;
        }
        if let Some(regon) = &self.regon {
            Regon::parse(regon).map_err(|e| ("regon".to_owned(), e.to_string()))?;
        }
        PostalCode::parse(&self.address.postal_code)
            .map_err(|e| ("address.postal_code".to_owned(), e.to_string()))?;
        if let Some(email) = &self.contact.email {
            Email::parse(email).map_err(|e| ("contact.email".to_owned(), e.to_string()))?;
        }
        if let Some(email) = &self.notifications.sender_email {
            Email::parse(email)
                .map_err(|e| ("notifications.sender_email".to_owned(), e.to_string()))?;
        }
        for (i, host) in self.hosts.iter().enumerate() {
            let ok = !host.is_empty()
                && host.split('.').all(|l| {
                    !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok || host.to_ascii_lowercase() != *host {
                return fail(
                    &format!("hosts[{i}]"),
                    format!("`{host}` is not a lower-case host name"),
                );
            }
        }
        for (i, id) in self.e_services.iter().enumerate() {
            if !known_eservices.contains(&id.as_str()) {
                return fail(
                    &format!("e_services[{i}]"),
                    format!(
                        "unknown e-service `{id}`; this build knows: {}",
                        known_eservices.join(", ")
                    ),
                );
            }
        }
        for (i, account) in self.bank_accounts.iter().enumerate() {
            Nrb::parse(&account.nrb)
                .map_err(|e| (format!("bank_accounts[{i}].nrb"), e.to_string()))?;
        }
        if let Some(color) = &self.branding.primary_color {
            let ok = color.len() == 7
                && color.starts_with('#')
                && color.chars().skip(1).all(|c| c.is_ascii_hexdigit());
            if !ok {
                return fail(
                    "branding.primary_color",
                    format!("`{color}` is not a #rrggbb colour"),
                );
            }
        }
        self.validate_portal()?;
        if let Some(idp) = &self.identity_provider {
            for (field, url) in [
                ("authorization_url", &idp.authorization_url),
                ("token_url", &idp.token_url),
                ("userinfo_url", &idp.userinfo_url),
            ] {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return fail(
                        &format!("identity_provider.{field}"),
                        format!("`{url}` is not an http(s) URL"),
                    );
                }
            }
        }
        Ok(())
    }
}

impl TenantConfig {
    fn validate_portal(&self) -> Result<(), (String, String)> {
        let p = &self.portal;
        for (field, color) in [
            ("portal.primary_color", &p.primary_color),
            ("portal.accent_color", &p.accent_color),
        ] {
            if let Some(color) = color
                && !is_hex_color(color)
            {
                return Err((
                    field.to_owned(),
                    format!("`{color}` is not a #rrggbb colour"),
                ));
            }
        }
        for (field, date) in [
            ("portal.published_on", &p.published_on),
            ("portal.updated_on", &p.updated_on),
            ("portal.statement_prepared_on", &p.statement_prepared_on),
        ] {
            if let Some(date) = date
                && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
            {
                return Err((
                    field.to_owned(),
                    format!("`{date}` is not a YYYY-MM-DD date"),
                ));
            }
        }
        for (field, email) in [
            ("portal.email", &p.email),
            ("portal.accessibility_email", &p.accessibility_email),
        ] {
            if let Some(email) = email {
                Email::parse(email).map_err(|e| (field.to_owned(), e.to_string()))?;
            }
        }
        Ok(())
    }
}

fn is_hex_color(color: &str) -> bool {
    color.len() == 7
        && color.starts_with('#')
        && color.chars().skip(1).all(|c| c.is_ascii_hexdigit())
}

/// The dotted key path of the TOML entry that contains byte offset `at`, for error messages.
fn field_at(text: &str, at: usize) -> Option<String> {
    let before = text.get(..at)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let key = line.split('=').next()?.trim();
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').to_owned());
    let key = if key.is_empty() || key.starts_with('[') {
        None
    } else {
        Some(key)
    };
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k.to_owned()),
        (Some(t), None) => Some(t),
        (None, None) => None,
    }
}

/// A tenant as the running platform knows it.
#[derive(Debug)]
pub struct Tenant {
    config: TenantConfig,
    status: TenantStatus,
}

impl Tenant {
    pub fn new(config: TenantConfig, status: TenantStatus) -> Self {
        Self { config, status }
    }

    pub fn slug(&self) -> &TenantSlug {
        &self.config.slug
    }

    pub fn config(&self) -> &TenantConfig {
        &self.config
    }

    pub fn status(&self) -> TenantStatus {
        self.status
    }

    pub fn has_eservice(&self, id: &str) -> bool {
        self.config.e_services.iter().any(|e| e == id)
    }
}

/// What a request's host refers to.
#[derive(Debug, Clone)]
pub enum HostMatch {
    Platform,
    Tenant(Arc<Tenant>),
    Unknown,
}

/// All tenants of this platform, by slug and by host. Cheap to read on every request.
pub struct TenantRegistry {
    base_domain: String,
    tenants: RwLock<HashMap<TenantSlug, Arc<Tenant>>>,
}

impl TenantRegistry {
    pub fn new(base_domain: &str) -> Self {
        Self {
            base_domain: base_domain.trim_matches('.').to_ascii_lowercase(),
            tenants: RwLock::new(HashMap::new()),
        }
    }

    pub fn base_domain(&self) -> &str {
        &self.base_domain
    }

    /// Replaces the whole set (after loading the registry from the database).
    pub fn replace_all(&self, tenants: Vec<Tenant>) {
        let map = tenants
            .into_iter()
            .map(|t| (t.slug().clone(), Arc::new(t)))
            .collect();
        *self.tenants.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    pub fn upsert(&self, tenant: Tenant) -> Arc<Tenant> {
        let tenant = Arc::new(tenant);
        self.tenants
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant.slug().clone(), tenant.clone());
        tenant
    }

    pub fn get(&self, slug: &TenantSlug) -> Option<Arc<Tenant>> {
        self.tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(slug)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<Tenant>> {
        let mut all: Vec<_> = self
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.slug().cmp(b.slug()));
        all
    }

    /// Resolves a `Host` header (port ignored, case-insensitive). Only `{slug}.{base_domain}`,
    /// a tenant's own configured hosts and `platform.{base_domain}` match; anything else is
    /// Unknown, never a default tenant.
    pub fn resolve_host(&self, host: &str) -> HostMatch {
        let host = host.trim().to_ascii_lowercase();
        let host = strip_port(&host);
        if host == format!("platform.{}", self.base_domain) {
            return HostMatch::Platform;
        }
        let tenants = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        if let Some(label) = host
            .strip_suffix(&self.base_domain)
            .and_then(|rest| rest.strip_suffix('.'))
            .filter(|label| !label.contains('.'))
            && let Ok(slug) = TenantSlug::parse(label)
            && let Some(tenant) = tenants.get(&slug)
        {
            return HostMatch::Tenant(tenant.clone());
        }
        tenants
            .values()
            .find(|t| t.config().hosts.iter().any(|h| h == host))
            .map_or(HostMatch::Unknown, |t| HostMatch::Tenant(t.clone()))
    }
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

impl fmt::Debug for TenantRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantRegistry")
            .field("base_domain", &self.base_domain)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const KUROW: &str = r#"
slug = "kurow"
name = "Gmina Kurów"
kind = "gmina_wiejska"
teryt = "0614062"
population = 7414
hosts = ["eurzad.kurow.eu"]
e_services = []

[address]
street = "ul. Lubelska 35"
postal_code = "24-170"
city = "Kurów"
"#;

    fn parse(text: &str) -> Result<TenantConfig, ConfigError> {
        TenantConfig::from_toml("tenants/kurow.toml", text, &["finance"])
    }

    #[test]
    fn a_valid_file_parses() {
        let c = parse(KUROW).unwrap();
        assert_eq!(c.slug.as_str(), "kurow");
        assert_eq!(c.kind, TenantKind::GminaWiejska);
    }

    #[test]
    fn an_unknown_key_names_the_file_and_the_key() {
        let err = parse(&KUROW.replace("population = 7414", "population = 7414\nmayor = \"x\""))
            .unwrap_err();
        assert_eq!(err.file, "tenants/kurow.toml");
        assert!(err.message.contains("unknown field `mayor`"), "{err}");
        assert_eq!(err.field, "mayor");
    }

    #[test]
    fn invalid_values_name_their_field() {
        let cases = [
            (KUROW.replace("0614062", "0614061"), "teryt"),
            (KUROW.replace("24-170", "24170x"), "address.postal_code"),
            (
                KUROW.replace("e_services = []", "e_services = [\"taxes\"]"),
                "e_services[0]",
            ),
            (KUROW.replace("eurzad.kurow.eu", "Eurzad Kurow"), "hosts[0]"),
            (
                format!(
                    "{KUROW}\n[[bank_accounts]]\nname = \"x\"\nnrb = \"11 1111 1111 1111 1111 1111 1111\"\npurpose = \"taxes\"\n"
                ),
                "bank_accounts[0].nrb",
            ),
        ];
        for (text, field) in cases {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert!(err.to_string().starts_with("tenants/kurow.toml: "), "{err}");
        }
    }

    #[test]
    fn the_portal_section_is_optional_and_checked() {
        assert!(parse(KUROW).unwrap().portal.primary_color.is_none());
        let with = format!(
            "{KUROW}\n[portal]\nprimary_color = \"#6b3e1f\"\npublished_on = \"2026-11-27\"\n"
        );
        let c = parse(&with).unwrap();
        assert_eq!(c.portal.primary_color.as_deref(), Some("#6b3e1f"));
        for (bad, field) in [
            ("primary_color = \"red\"", "portal.primary_color"),
            ("updated_on = \"27.11.2026\"", "portal.updated_on"),
            (
                "accessibility_email = \"nobody\"",
                "portal.accessibility_email",
            ),
        ] {
            let err = parse(&format!("{KUROW}\n[portal]\n{bad}\n")).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn a_wrongly_typed_value_names_its_field() {
        let err = parse(&KUROW.replace("population = 7414", "population = \"many\"")).unwrap_err();
        assert_eq!(err.field, "population", "{err}");
    }

    fn registry() -> TenantRegistry {
        let reg = TenantRegistry::new("localhost");
        reg.upsert(Tenant::new(parse(KUROW).unwrap(), TenantStatus::Active));
        reg
    }

    #[test]
    fn hosts_resolve_to_their_tenant_only() {
        let reg = registry();
        assert!(
            matches!(reg.resolve_host("kurow.localhost:8080"), HostMatch::Tenant(t) if t.slug().as_str() == "kurow")
        );
        assert!(matches!(
            reg.resolve_host("KUROW.localhost"),
            HostMatch::Tenant(_)
        ));
        assert!(matches!(
            reg.resolve_host("eurzad.kurow.eu"),
            HostMatch::Tenant(_)
        ));
        assert!(matches!(
            reg.resolve_host("platform.localhost"),
            HostMatch::Platform
        ));
        for unknown in [
            "localhost",
            "zamosc.localhost",
            "kurow.localhost.evil.com",
            "x.kurow.localhost",
            "127.0.0.1:8080",
            "",
        ] {
            assert!(
                matches!(reg.resolve_host(unknown), HostMatch::Unknown),
                "{unknown}"
            );
        }
    }
}
