//! One-time account tokens, sent by e-mail: confirming the address, and resetting a forgotten
//! password.
//!
//! A token is 32 random bytes, base64url (the same generator as refresh tokens); only its
//! SHA-256 is stored, with the account, the scope (tenant slug) the account belongs to, the
//! purpose and the expiry. A token works once, only on its own tenant's host and only for its
//! purpose. A new reset link replaces the older unused ones, so that only the latest e-mail
//! works. Delivering the link is the caller's business (`wspolnota_notify::account_mail`):
//! this crate hands the token out once and never logs it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use uuid::Uuid;
use wspolnota_core::value::Email;
use wspolnota_core::{AccountId, AppError, AppResult, Ctx, HostMatch, TenantRegistry};

use crate::entity::{account, account_token, refresh_token};
use crate::refresh;
use crate::service::{AuthService, hash_blocking};

/// What a token is for. A token of one purpose never works for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// The field the token errors name (the link's `token` parameter).
const TOKEN_FIELD: &str = "token";

fn unknown_token() -> AppError {
    AppError::validation(
        TOKEN_FIELD,
        "this link is not valid; check that it was copied whole or ask for a new one",
    )
}

fn used_token() -> AppError {
    AppError::validation(
        TOKEN_FIELD,
        "this link was already used; ask for a new one if needed",
    )
}

fn replaced_token() -> AppError {
    AppError::validation(
        TOKEN_FIELD,
        "a newer link was sent after this one; use the latest e-mail",
    )
}

fn expired_token() -> AppError {
    AppError::validation(TOKEN_FIELD, "this link has expired; ask for a new one")
}

/// A page of the request's own tenant that a token link may point to: an `http(s)` URL on
/// one of the tenant's hosts, without credentials. Any other host is refused — a link to a
/// foreign site in the municipality's e-mail would hand the token to that site.
pub fn link_base(
    registry: &TenantRegistry,
    ctx: &Ctx,
    field: &str,
    base: &str,
) -> AppResult<url::Url> {
    let invalid = |why: &str| AppError::validation(field, why.to_owned());
    let url = url::Url::parse(base.trim()).map_err(|_| invalid("is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must be an http or https address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    let host = url.host_str().ok_or_else(|| invalid("has no host"))?;
    let tenant = ctx.tenant()?;
    match registry.resolve_host(host) {
        HostMatch::Tenant(t) if t.slug() == tenant.slug() => Ok(url),
        _ => Err(invalid("must be a page on this municipality's own address")),
    }
}

/// `base` with `token` as its `token` query parameter (replacing any there).
pub fn token_link(base: &url::Url, token: &str) -> String {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != TOKEN_FIELD)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_fragment(None);
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(TOKEN_FIELD, token);
    url.into()
}

impl AuthService {
    fn token_ttl(&self, purpose: TokenPurpose) -> Duration {
        match purpose {
            TokenPurpose::VerifyEmail => self.settings.verification_ttl,
            TokenPurpose::ResetPassword => self.settings.reset_ttl,
        }
    }

    /// Stores a new token's hash and returns the token. A new reset token retires the
    /// account's older unused ones.
    async fn issue_token(
        &self,
        tx: &DatabaseTransaction,
        acc: &account::Model,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> AppResult<String> {
        if purpose == TokenPurpose::ResetPassword {
            retire_unused(tx, acc.id, purpose, now).await?;
        }
        let (token, hash) = refresh::generate();
        account_token::ActiveModel {
            token_hash: Set(hash),
            account_id: Set(acc.id),
            tenant: Set(acc.tenant.clone()),
            purpose: Set(purpose.as_str().to_owned()),
            issued_at: Set(now),
            expires_at: Set(now + self.token_ttl(purpose)),
            used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(tx)
        .await?;
        Ok(token)
    }

    /// A new e-mail verification token for an account of the request's scope (tenant). The
    /// caller puts it into a link and mails it; it is not kept anywhere in plain text.
    pub async fn issue_email_verification(
        &self,
        ctx: &Ctx,
        account: AccountId,
    ) -> AppResult<String> {
        let now = ctx.clock().now();
        let tx = self.store.platform_begin().await?;
        let acc = account::Entity::find_by_id(account.0)
            .filter(account::Column::Tenant.eq(ctx.audience()))
            .one(&tx)
            .await?
            .ok_or_else(|| AppError::not_found("no such account"))?;
        if acc.email_verified_at.is_some() {
            return Err(AppError::conflict("the e-mail address is already verified"));
        }
        let token = self
            .issue_token(&tx, &acc, TokenPurpose::VerifyEmail, now)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Confirms the e-mail address of the token's account; the token is spent.
    pub async fn verify_email(&self, ctx: &Ctx, token: &str) -> AppResult<AccountId> {
        let now = ctx.clock().now();
        let tx = self.store.platform_begin().await?;
        let row = live_token(&tx, ctx, token, TokenPurpose::VerifyEmail, now).await?;
        let acc = account_of(&tx, ctx, &row).await?;
        spend(&tx, &row, now).await?;
        account::Entity::update_many()
            .col_expr(account::Column::EmailVerifiedAt, Expr::value(now))
            .filter(account::Column::Id.eq(acc.id))
            .filter(account::Column::EmailVerifiedAt.is_null())
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.audit_tenant(ctx, "account.email_verified", &acc)
            .await?;
        Ok(AccountId(acc.id))
    }

    /// A password-reset token for the account with this e-mail in the request's scope, or
    /// None when there is none. Callers answer the same either way, so that the form does not
    /// reveal who has an account. Requests are limited per address and tenant, counted before
    /// the lookup (the limit says nothing about the account either).
    pub async fn request_password_reset(
        &self,
        ctx: &Ctx,
        email: &str,
    ) -> AppResult<Option<(AccountId, String)>> {
        let email = Email::parse(email).map_err(|e| AppError::invalid("email", e))?;
        // The key holds the address's hash: no e-mail addresses in the key-value store.
        let requests = ctx
            .kv()
            .incr(
                &format!("reset-requests:{}", refresh::hash(email.as_str())),
                self.settings.reset_window,
            )
            .await?;
        if requests > self.settings.reset_requests_per_window {
            return Err(AppError::rate_limited(
                "too many password-reset requests for this address; try again later",
            ));
        }
        let now = ctx.clock().now();
        let tx = self.store.platform_begin().await?;
        let Some(acc) = account::Entity::find()
            .filter(account::Column::Tenant.eq(ctx.audience()))
            .filter(account::Column::Email.eq(email.as_str()))
            .one(&tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let token = self
            .issue_token(&tx, &acc, TokenPurpose::ResetPassword, now)
            .await?;
        tx.commit().await?;
        self.audit_tenant(ctx, "account.password_reset_requested", &acc)
            .await?;
        Ok(Some((AccountId(acc.id), token)))
    }

    /// [`Self::request_password_reset`] for a form on the web: also limited per client
    /// address and tenant, so that one client cannot mail many addresses.
    pub async fn request_password_reset_from(
        &self,
        ctx: &Ctx,
        email: &str,
        client: &str,
    ) -> AppResult<Option<(AccountId, String)>> {
        let requests = ctx
            .kv()
            .incr(
                &format!("reset-requests-from:{client}"),
                self.settings.reset_window,
            )
            .await?;
        if requests > self.settings.reset_requests_per_address {
            return Err(AppError::rate_limited(
                "too many password-reset requests from this address; try again later",
            ));
        }
        self.request_password_reset(ctx, email).await
    }

    /// Sets a new password with a reset token. The password policy applies; the token is
    /// spent, every session of the account ends (its refresh tokens are revoked), a lockout
    /// is lifted, and the e-mail address counts as verified (the link reached it).
    pub async fn reset_password(
        &self,
        ctx: &Ctx,
        token: &str,
        new_password: &str,
    ) -> AppResult<AccountId> {
        let now = ctx.clock().now();
        let db = self.store.platform_conn();
        let row = live_token(db, ctx, token, TokenPurpose::ResetPassword, now).await?;
        let acc = account_of(db, ctx, &row).await?;
        // The policy before spending the token: a weak password must not cost the link.
        self.settings
            .policy
            .check(new_password, &acc.email, &acc.display_name)
            .map_err(|v| AppError::validation("newPassword", v.to_string()))?;
        let hash = hash_blocking(new_password).await?;

        let tx = self.store.platform_begin().await?;
        spend(&tx, &row, now).await?;
        retire_unused(&tx, acc.id, TokenPurpose::ResetPassword, now).await?;
        let mut active: account::ActiveModel = acc.clone().into();
        active.password_hash = Set(Some(hash));
        active.failed_logins = Set(0);
        active.locked_until = Set(None);
        if acc.email_verified_at.is_none() {
            active.email_verified_at = Set(Some(now));
        }
        active.update(&tx).await?;
        let sessions: Vec<Uuid> = refresh_token::Entity::find()
            .select_only()
            .column(refresh_token::Column::FamilyId)
            .distinct()
            .filter(refresh_token::Column::AccountId.eq(acc.id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .into_tuple()
            .all(&tx)
            .await?;
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::AccountId.eq(acc.id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.end_sessions(&ctx.kv(), &sessions).await;
        self.audit_tenant(ctx, "account.password_reset", &acc)
            .await?;
        Ok(AccountId(acc.id))
    }
}

/// The stored token for `token`, if it may still be used for `purpose` on this scope. A
/// token of another tenant or purpose is reported as unknown: it does not exist here.
async fn live_token<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> AppResult<account_token::Model> {
    let row = account_token::Entity::find_by_id(refresh::hash(token.trim()))
        .one(db)
        .await?
        .filter(|r| r.tenant == ctx.audience() && r.purpose == purpose.as_str())
        .ok_or_else(unknown_token)?;
    if row.used_at.is_some() {
        return Err(used_token());
    }
    if row.revoked_at.is_some() {
        return Err(replaced_token());
    }
    if row.expires_at <= now {
        return Err(expired_token());
    }
    Ok(row)
}

async fn account_of<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    row: &account_token::Model,
) -> AppResult<account::Model> {
    account::Entity::find_by_id(row.account_id)
        .filter(account::Column::Tenant.eq(ctx.audience()))
        .one(db)
        .await?
        .ok_or_else(unknown_token)
}

/// Marks the token used, unless someone else did first (two clicks racing) or it ran out.
async fn spend(
    tx: &DatabaseTransaction,
    row: &account_token::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let marked = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::TokenHash.eq(row.token_hash.clone()))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::RevokedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now))
        .exec(tx)
        .await?;
    if marked.rows_affected == 1 {
        Ok(())
    } else {
        Err(used_token())
    }
}

/// Retires the account's unused tokens of `purpose`.
async fn retire_unused(
    tx: &DatabaseTransaction,
    account: Uuid,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> AppResult<()> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::RevokedAt, Expr::value(now))
        .filter(account_token::Column::AccountId.eq(account))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    Ok(())
}
