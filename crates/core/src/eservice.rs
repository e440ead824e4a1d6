//! The contract each e-service crate implements. GraphQL roots are composed at compile time
//! in the server (async-graphql `MergedObject`); everything else an e-service brings is data
//! the server reads from this trait.

use async_trait::async_trait;
use sea_orm_migration::MigrationTrait;

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::role::Role;
use crate::tenant::TenantConfig;

/// One permission an e-service defines, and the roles that hold it.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub name: &'static str,
    pub description: &'static str,
    pub granted_to: &'static [Role],
}

#[async_trait]
pub trait EService: Send + Sync + 'static {
    /// Stable id, used in tenant TOML (`e_services = ["finance"]`) and as the GraphQL
    /// namespace field.
    fn id(&self) -> &'static str;

    /// The name residents see, in Polish.
    fn title(&self) -> &'static str;

    /// The e-service's tenant migrations. They live in the `migrations` crate's tenant set,
    /// which is applied to every tenant; this list tells which of them the e-service owns.
    fn tenant_migrations(&self) -> Vec<Box<dyn MigrationTrait>>;

    /// Extra HTTP routes mounted on tenant hosts (payment webhooks, file downloads). Handlers
    /// read the request's `Ctx` from the extensions. Only served to tenants that enabled it.
    fn routes(&self) -> axum::Router {
        axum::Router::new()
    }

    fn permissions(&self) -> &'static [Permission];

    /// Checks the e-service's own sections of a tenant file (say `[fees]`) when the tenant
    /// enables it. Errors name the field: `(field, message)`.
    fn validate_config(&self, _config: &TenantConfig) -> Result<(), (String, String)> {
        Ok(())
    }

    /// Prepares a tenant's data after its schema is migrated (seeds catalogues from its file).
    /// Runs on every sync, so it must be idempotent.
    async fn provision(&self, _ctx: &Ctx) -> AppResult<()> {
        Ok(())
    }

    /// The signed-in account's identity provider verified a PESEL (given as its keyed hash).
    async fn on_identity_verified(&self, _ctx: &Ctx, _pesel_hmac: &str) -> AppResult<()> {
        Ok(())
    }
}
