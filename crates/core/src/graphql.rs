//! GraphQL helpers shared by every e-service: reading the `Ctx`, and the guard that makes an
//! e-service a tenant has not enabled both invisible and refused there.

use async_graphql::{Context, ErrorExtensions, Guard};

use crate::ctx::{Ctx, Scope};
use crate::error::AppError;

/// The request's `Ctx`; the server puts one into every GraphQL request.
pub fn ctx<'a>(gql: &Context<'a>) -> async_graphql::Result<&'a Ctx> {
    gql.data::<Ctx>().map_err(|_| {
        AppError::internal(std::io::Error::other("no Ctx in GraphQL request")).extend()
    })
}

/// Whether the request's tenant has enabled the e-service `id`. Used as the `visible`
/// condition of an e-service's namespace field, so introspection on a tenant shows only what
/// it runs. Without a `Ctx` (schema export) everything is visible.
pub fn eservice_visible(gql: &Context<'_>, id: &str) -> bool {
    match gql.data_opt::<Ctx>().map(Ctx::scope) {
        None => true,
        Some(Scope::Tenant(tenant)) => tenant.has_eservice(id),
        Some(Scope::Platform) => false,
    }
}

/// Refuses an e-service's namespace field where the tenant has not enabled it.
pub struct EServiceGuard(pub &'static str);

impl Guard for EServiceGuard {
    async fn check(&self, gql: &Context<'_>) -> async_graphql::Result<()> {
        let ctx = ctx(gql)?;
        let tenant = ctx.tenant().map_err(|e| e.extend())?;
        if tenant.has_eservice(self.0) {
            Ok(())
        } else {
            Err(AppError::not_found(format!(
                "the e-service `{}` is not enabled for {}",
                self.0,
                tenant.config().name
            ))
            .extend())
        }
    }
}

/// An `ID!` argument as a UUID; a malformed one is a VALIDATION error naming `field`.
pub fn parse_id(field: &str, id: &async_graphql::ID) -> async_graphql::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::validation(field, "is not a valid id").extend())
}

/// What the HTTP layer tells GraphQL resolvers about the request beyond its `Ctx`.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The `Idempotency-Key` header, if the client sent one.
    pub idempotency_key: Option<String>,
    /// The client's address (from `X-Forwarded-For` only behind a trusted proxy).
    pub client_addr: Option<String>,
}
