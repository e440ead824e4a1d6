//! The operator's API, on the platform host only. It shows tenants' registry data and never
//! any resident's or taxpayer's data.

use async_graphql::{Context, ErrorExtensions, Object, ResultExt, SimpleObject};
use wspolnota_core::TenantStatus;
use wspolnota_core::graphql::ctx;

use super::state;
use crate::registry;

#[derive(SimpleObject)]
pub struct PlatformTenant {
    slug: String,
    name: String,
    status: TenantStatus,
    /// The last migration applied to the tenant's schema.
    schema_version: Option<String>,
    e_services: Vec<String>,
}

#[derive(SimpleObject)]
pub struct CreatedTenant {
    slug: String,
}

#[derive(SimpleObject)]
pub struct TenantStatusChange {
    status: TenantStatus,
}

#[derive(Default)]
pub struct PlatformQueryRoot;

#[Object]
impl PlatformQueryRoot {
    /// Operator functions (platform host, PLATFORM_OPERATOR).
    async fn platform(&self, gql: &Context<'_>) -> async_graphql::Result<PlatformQuery> {
        ctx(gql)?.require_operator().map_err(|e| e.extend())?;
        Ok(PlatformQuery)
    }
}

pub struct PlatformQuery;

#[Object]
impl PlatformQuery {
    async fn tenants(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<PlatformTenant>> {
        let state = state(gql)?;
        let mut out = Vec::new();
        for tenant in state.registry.all() {
            out.push(PlatformTenant {
                slug: tenant.slug().to_string(),
                name: tenant.config().name.clone(),
                status: tenant.status(),
                schema_version: state
                    .store
                    .tenant_schema_version(tenant.slug())
                    .await
                    .extend()?,
                e_services: tenant.config().e_services.clone(),
            });
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct PlatformMutationRoot;

#[Object]
impl PlatformMutationRoot {
    /// Operator functions (platform host, PLATFORM_OPERATOR).
    async fn platform(&self, gql: &Context<'_>) -> async_graphql::Result<PlatformMutations> {
        ctx(gql)?.require_operator().map_err(|e| e.extend())?;
        Ok(PlatformMutations)
    }
}

pub struct PlatformMutations;

#[Object]
impl PlatformMutations {
    /// Registers a tenant from the text of its TOML file, creates and migrates its schema.
    async fn create_tenant(
        &self,
        gql: &Context<'_>,
        toml: String,
    ) -> async_graphql::Result<CreatedTenant> {
        let slug = registry::create(state(gql)?, ctx(gql)?, &toml)
            .await
            .extend()?;
        Ok(CreatedTenant {
            slug: slug.to_string(),
        })
    }

    /// Stops serving a tenant: its hosts answer 503 until resumed. Its data stays.
    async fn suspend_tenant(
        &self,
        gql: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<TenantStatusChange> {
        let status = registry::set_status(state(gql)?, ctx(gql)?, &slug, TenantStatus::Suspended)
            .await
            .extend()?;
        Ok(TenantStatusChange { status })
    }

    async fn resume_tenant(
        &self,
        gql: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<TenantStatusChange> {
        let status = registry::set_status(state(gql)?, ctx(gql)?, &slug, TenantStatus::Active)
            .await
            .extend()?;
        Ok(TenantStatusChange { status })
    }
}
