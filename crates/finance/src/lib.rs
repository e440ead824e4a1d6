//! The finance e-service: what each resident or business owes the municipality, on one
//! exact, double-entry ledger per tenant.
//!
//! - [`domain`]: pure rules of Polish tax law — calendar, interest, schedules, allocation.
//! - [`rules`]: national effective-dated configuration (rates, thresholds, holidays).
//! - [`config`]: the tenant's `[fees]` table (chart of accounts, catalogue seed).
//! - [`ledger`]: balanced, idempotent, append-only journal entries.
//! - [`service`]: parties, assessments, payments, account views.
//! - [`graphql`]: the `finance` namespace.

pub mod config;
pub mod demo;
pub mod domain;
pub mod entity;
pub mod graphql;
pub mod ledger;
pub mod rules;
pub mod service;

use async_trait::async_trait;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{AppResult, Ctx, EService, Permission, Role, TenantDb};

pub use graphql::{FinanceMutationRoot, FinanceQueryRoot};
pub use service::Finance;

/// The finance e-service as the server registers it.
pub struct FinanceService(pub Finance);

const PERMISSIONS: &[Permission] = &[
    Permission {
        name: "finance.account.read_own",
        description: "See the accounts of the parties one acts for",
        granted_to: &[Role::Resident],
    },
    Permission {
        name: "finance.manage",
        description: "Register parties, assess obligations, record payments, view any account",
        granted_to: &[
            Role::Clerk(wspolnota_core::ClerkScope::Finance),
            Role::TenantAdmin,
        ],
    },
];

#[async_trait]
impl EService for FinanceService {
    fn id(&self) -> &'static str {
        graphql::ID_
    }

    fn title(&self) -> &'static str {
        "Podatki i opłaty lokalne"
    }

    fn tenant_migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        wspolnota_migrations::tenant::finance()
    }

    fn permissions(&self) -> &'static [Permission] {
        PERMISSIONS
    }

    fn validate_config(&self, config: &TenantConfig) -> Result<(), (String, String)> {
        config::FeesConfig::from_table(&config.fees)
            .map(|_| ())
            .map_err(|e| (e.field, e.message))
    }

    async fn provision(&self, ctx: &Ctx) -> AppResult<()> {
        let fees = self.0.fees(ctx)?;
        let tx = TenantDb::begin(ctx).await?;
        service::catalogue::seed(&*tx, ctx, &fees).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn on_identity_verified(&self, ctx: &Ctx, pesel_hmac: &str) -> AppResult<()> {
        service::parties::link_verified(ctx, pesel_hmac)
            .await
            .map(|_| ())
    }
}
