use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use wspolnota_auth::{AccountView, TokenPair};
use wspolnota_core::graphql::ctx;

use super::state;

/// The signed-in account.
#[derive(SimpleObject)]
pub struct Account {
    id: ID,
    email: String,
    display_name: String,
    /// `RESIDENT`, `CLERK:<scope>`, `TENANT_ADMIN`, `PLATFORM_OPERATOR`.
    roles: Vec<String>,
    /// Identity confirmed by the identity provider (verified resident).
    verified: bool,
}

impl From<AccountView> for Account {
    fn from(a: AccountView) -> Self {
        Self {
            id: ID(a.id.to_string()),
            email: a.email,
            display_name: a.display_name,
            roles: a.roles.to_strings(),
            verified: a.verified,
        }
    }
}

#[derive(SimpleObject)]
pub struct RegisteredAccount {
    id: ID,
}

#[derive(SimpleObject)]
pub struct Tokens {
    /// Bearer token for `Authorization`, valid 15 minutes, for this host's tenant only.
    access_token: String,
    /// One-time token for `auth.refresh`.
    refresh_token: String,
    expires_at: DateTime<Utc>,
}

impl From<TokenPair> for Tokens {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            expires_at: p.expires_at,
        }
    }
}

#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    password: String,
    display_name: String,
}

#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The account of the bearer token.
    async fn me(&self, gql: &Context<'_>) -> async_graphql::Result<Account> {
        let ctx = ctx(gql)?;
        Ok(state(gql)?.auth.me(ctx).await.extend()?.into())
    }
}

#[derive(Default)]
pub struct AuthMutationRoot;

#[Object]
impl AuthMutationRoot {
    /// Registration and sign-in.
    async fn auth(&self) -> AuthMutations {
        AuthMutations
    }
}

pub struct AuthMutations;

/// The client's address, put into the GraphQL request by the HTTP layer.
#[derive(Clone)]
pub struct ClientAddr(pub String);

#[Object]
impl AuthMutations {
    /// Creates a resident account in this municipality.
    async fn register(
        &self,
        gql: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<RegisteredAccount> {
        let ctx = ctx(gql)?;
        let id = state(gql)?
            .auth
            .register(ctx, &input.email, &input.password, &input.display_name)
            .await
            .extend()?;
        Ok(RegisteredAccount {
            id: ID(id.to_string()),
        })
    }

    /// Signs in with e-mail and password.
    async fn login(
        &self,
        gql: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<Tokens> {
        let ctx = ctx(gql)?;
        let client = gql
            .data_opt::<ClientAddr>()
            .map_or("unknown", |c| c.0.as_str());
        Ok(state(gql)?
            .auth
            .login(ctx, &email, &password, client)
            .await
            .extend()?
            .into())
    }

    /// Exchanges a refresh token (once) for new tokens.
    async fn refresh(
        &self,
        gql: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<Tokens> {
        let ctx = ctx(gql)?;
        Ok(state(gql)?
            .auth
            .refresh(ctx, &refresh_token)
            .await
            .extend()?
            .into())
    }

    /// Ends the current session: its refresh tokens stop working.
    async fn logout(&self, gql: &Context<'_>) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        state(gql)?.auth.logout(ctx).await.extend()?;
        Ok(true)
    }
}
