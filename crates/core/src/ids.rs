//! Identifiers as newtypes, so that a tenant slug can never be passed where an account id
//! is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::ValueError;

/// A tenant's slug: the first label of its host (`zamosc` in `zamosc.example.gov.pl`) and the
/// root of its schema name. Lower-case ASCII letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

/// Host labels reserved for the platform itself.
const RESERVED_SLUGS: &[&str] = &["platform", "www", "api", "admin"];

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let err = |reason: &str| ValueError {
            kind: "tenant slug",
            reason: reason.to_owned(),
        };
        if raw.len() < 2 || raw.len() > 40 {
            return Err(err("must be 2 to 40 characters long"));
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(err("must start with a lower-case letter"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(err("may contain only a-z, 0-9 and '-'"));
        }
        if raw.ends_with('-') || raw.contains("--") {
            return Err(err("must not end with '-' or contain '--'"));
        }
        if RESERVED_SLUGS.contains(&raw) {
            return Err(err("is reserved for the platform"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema holding this tenant's data (`t_<slug>`, `-` → `_`). The slug's
    /// alphabet makes the name a safe identifier.
    pub fn schema_name(&self) -> String {
        format!("t_{}", self.0.replace('-', "_"))
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An account on the platform (a resident, a clerk, an operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

impl AccountId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for AccountId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of one HTTP request, echoed in `x-request-id` and on every log line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    pub fn new() -> Self {
        Self(Uuid::now_v7().simple().to_string())
    }

    /// Accepts a caller-provided id only when it is short and printable, so that it cannot
    /// be used to inject text into logs.
    pub fn from_header(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_host_label_alphabet() {
        for good in ["zamosc", "powiat-lubelski", "k2"] {
            assert!(TenantSlug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "z", "Zamosc", "zamość", "-x", "x-", "a--b", "platform", "a b", "1abc",
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schema_names_replace_hyphens() {
        let slug = TenantSlug::parse("powiat-lubelski").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(slug.schema_name(), "t_powiat_lubelski");
    }

    #[test]
    fn request_ids_from_headers_are_sanitised() {
        assert!(RequestId::from_header("abc-123").is_some());
        assert!(RequestId::from_header("abc\n123").is_none());
        assert!(RequestId::from_header(&"x".repeat(65)).is_none());
    }
}
