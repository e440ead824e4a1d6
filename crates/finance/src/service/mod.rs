//! The finance e-service's operations. Every function takes the request's `Ctx` and opens
//! (or joins) a transaction confined to its tenant.

pub mod account;
pub mod arrears;
pub mod assess;
pub mod bulk;
pub mod catalogue;
pub mod corrections;
pub mod export;
pub mod import;
pub mod parties;
pub mod payments;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use wspolnota_core::TenantSlug;
use wspolnota_core::tenant::Tenant;
use wspolnota_core::{AppError, AppResult, Ctx};

use crate::config::FeesConfig;
use crate::rules::NationalRules;

/// Shared state of the finance e-service: national rules and the key used to match a
/// verified PESEL without storing it in the account.
#[derive(Clone)]
pub struct Finance {
    pub rules: Arc<NationalRules>,
    pesel_key: Arc<Vec<u8>>,
    fees: Arc<Mutex<FeesCache>>,
}

/// Each tenant's parsed `[fees]`, for the `Tenant` it was parsed from: a tenant's
/// configuration never changes in place (an update registers a new `Tenant`), so the entry
/// holds while its `Tenant` is the one requests see. The `Weak` keeps the old `Tenant`'s
/// allocation from being reused, so the pointer comparison cannot be fooled.
type FeesCache = HashMap<TenantSlug, (Weak<Tenant>, Arc<FeesConfig>)>;

impl Finance {
    pub fn new(rules: NationalRules, pesel_key: Vec<u8>) -> Self {
        Self {
            rules: Arc::new(rules),
            pesel_key: Arc::new(pesel_key),
            fees: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub(crate) fn pesel_key(&self) -> &[u8] {
        &self.pesel_key
    }

    /// The tenant's `[fees]` configuration.
    pub fn fees(&self, ctx: &Ctx) -> AppResult<FeesConfig> {
        self.fees_shared(ctx).map(|f| (*f).clone())
    }

    /// The tenant's `[fees]` configuration, parsed once per tenant configuration.
    pub fn fees_shared(&self, ctx: &Ctx) -> AppResult<Arc<FeesConfig>> {
        let tenant = ctx.tenant()?;
        let mut cache = self.fees.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((parsed_for, fees)) = cache.get(tenant.slug())
            && std::ptr::eq(parsed_for.as_ptr(), Arc::as_ptr(tenant))
        {
            return Ok(fees.clone());
        }
        let fees = Arc::new(FeesConfig::from_table(&tenant.config().fees).map_err(|e| {
            AppError::internal(std::io::Error::other(format!(
                "tenant {}: {}: {}",
                tenant.slug(),
                e.field,
                e.message
            )))
        })?);
        cache.insert(
            tenant.slug().clone(),
            (Arc::downgrade(tenant), fees.clone()),
        );
        Ok(fees)
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
