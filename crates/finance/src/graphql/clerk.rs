//! Back-office fields of the `finance` namespace: search, arrears, imports, exports,
//! corrections and the catalogue.

use async_graphql::Object;

#[derive(Default)]
pub struct ClerkQuery;

#[Object]
impl ClerkQuery {
    /// The national rules' version in force (for the console's footer).
    async fn rules_version(&self) -> &'static str {
        "national.toml"
    }
}

#[derive(Default)]
pub struct ClerkMutation;

#[Object]
impl ClerkMutation {
    /// Whether back-office mutations are available to the caller's role.
    async fn back_office_available(
        &self,
        gql: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<bool> {
        Ok(wspolnota_core::graphql::ctx(gql)?
            .roles()
            .is_clerk_for(wspolnota_core::ClerkScope::Finance))
    }
}
