//! The finance e-service's operations. Every function takes the request's `Ctx` and opens
//! (or joins) a transaction confined to its tenant.

pub mod account;
pub mod arrears;
pub mod assess;
pub mod catalogue;
pub mod corrections;
pub mod export;
pub mod import;
pub mod parties;
pub mod payments;

use std::sync::Arc;

use wspolnota_core::{AppError, AppResult, Ctx};

use crate::config::FeesConfig;
use crate::rules::NationalRules;

/// Shared state of the finance e-service: national rules and the key used to match a
/// verified PESEL without storing it in the account.
#[derive(Clone)]
pub struct Finance {
    pub rules: Arc<NationalRules>,
    pesel_key: Arc<Vec<u8>>,
}

impl Finance {
    pub fn new(rules: NationalRules, pesel_key: Vec<u8>) -> Self {
        Self {
            rules: Arc::new(rules),
            pesel_key: Arc::new(pesel_key),
        }
    }

    pub(crate) fn pesel_key(&self) -> &[u8] {
        &self.pesel_key
    }

    /// The tenant's `[fees]` configuration.
    pub fn fees(&self, ctx: &Ctx) -> AppResult<FeesConfig> {
        let tenant = ctx.tenant()?;
        FeesConfig::from_table(&tenant.config().fees).map_err(|e| {
            AppError::internal(std::io::Error::other(format!(
                "tenant {}: {}: {}",
                tenant.slug(),
                e.field,
                e.message
            )))
        })
    }
}

impl std::fmt::Debug for Finance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finance").finish_non_exhaustive()
    }
}

pub(crate) fn money_col(m: wspolnota_core::Money) -> AppResult<i64> {
    m.to_grosze().map_err(AppError::internal)
}
