use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use wspolnota_auth::email_tokens::{link_base, token_link};
use wspolnota_auth::{AccountView, TokenPair};
use wspolnota_core::graphql::ctx;
use wspolnota_notify::account_mail::{AccountMail, ensure_available, send_account_mail};

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
    /// The owner confirmed the e-mail address (a verification or password-reset link).
    email_verified: bool,
}

impl From<AccountView> for Account {
    fn from(a: AccountView) -> Self {
        Self {
            id: ID(a.id.to_string()),
            email: a.email,
            display_name: a.display_name,
            roles: a.roles.to_strings(),
            verified: a.verified,
            email_verified: a.email_verified,
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
    /// A page of this municipality's site that confirms the address: the new account gets an
    /// e-mail with a link to it, `?token=…` added.
    verify_url: Option<String>,
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
        let st = state(gql)?;
        // Checked before the account exists, so that a bad link leaves nothing behind.
        let verify = match &input.verify_url {
            Some(url) => {
                ensure_available(ctx).extend()?;
                Some(link_base(&st.registry, ctx, "verifyUrl", url).extend()?)
            }
            None => None,
        };
        let id = st
            .auth
            .register(ctx, &input.email, &input.password, &input.display_name)
            .await
            .extend()?;
        if let Some(base) = verify {
            let token = st.auth.issue_email_verification(ctx, id).await.extend()?;
            let link = token_link(&base, &token);
            send_account_mail(ctx, &input.email, AccountMail::VerifyEmail { link })
                .await
                .extend()?;
        }
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

    /// E-mails a link for setting a new password to the account with this address, if there
    /// is one. The answer is `true` either way: it does not tell who has an account.
    /// `resetUrl` is the page of this municipality's site that sets the new password; the
    /// e-mail links to it with `?token=…` added.
    async fn request_password_reset(
        &self,
        gql: &Context<'_>,
        email: String,
        reset_url: String,
    ) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        let st = state(gql)?;
        ensure_available(ctx).extend()?;
        let base = link_base(&st.registry, ctx, "resetUrl", &reset_url).extend()?;
        let client = gql
            .data_opt::<ClientAddr>()
            .map_or("unknown", |c| c.0.as_str());
        let issued = st
            .auth
            .request_password_reset_from(ctx, &email, client)
            .await
            .extend()?;
        if let Some((_, token)) = issued {
            let link = token_link(&base, &token);
            send_account_mail(ctx, &email, AccountMail::ResetPassword { link })
                .await
                .extend()?;
        }
        Ok(true)
    }

    /// Sets a new password with the token from the e-mail; every session of the account ends.
    async fn reset_password(
        &self,
        gql: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        state(gql)?
            .auth
            .reset_password(ctx, &token, &new_password)
            .await
            .extend()?;
        Ok(true)
    }

    /// Confirms the account's e-mail address with the token from the e-mail.
    async fn verify_email(&self, gql: &Context<'_>, token: String) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        state(gql)?.auth.verify_email(ctx, &token).await.extend()?;
        Ok(true)
    }

    /// Sends the signed-in account a new link confirming its e-mail address. `verifyUrl` is
    /// the page of this municipality's site that confirms it; the e-mail links to it with
    /// `?token=…` added.
    async fn resend_verification(
        &self,
        gql: &Context<'_>,
        verify_url: String,
    ) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        let st = state(gql)?;
        ensure_available(ctx).extend()?;
        let base = link_base(&st.registry, ctx, "verifyUrl", &verify_url).extend()?;
        let me = st.auth.me(ctx).await.extend()?;
        let token = st
            .auth
            .issue_email_verification(ctx, me.id)
            .await
            .extend()?;
        send_account_mail(
            ctx,
            &me.email,
            AccountMail::VerifyEmail {
                link: token_link(&base, &token),
            },
        )
        .await
        .extend()?;
        Ok(true)
    }

    /// Ends the current session: its refresh tokens stop working.
    async fn logout(&self, gql: &Context<'_>) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        state(gql)?.auth.logout(ctx).await.extend()?;
        Ok(true)
    }
}
