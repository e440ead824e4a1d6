//! Accounts and sessions: registration, password sign-in with lockout, rotating refresh
//! tokens with reuse detection, access-token verification, and OIDC sign-in.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use sha2::Sha256;
use uuid::Uuid;
use wspolnota_core::value::{Email, Pesel};
use wspolnota_core::{
    AccountId, Actor, AppError, AppResult, Ctx, Role, Roles, ScopedKv, TenantDb, audit,
};
use wspolnota_db::Store;

use crate::entity::{account, account_role, oidc_identity, refresh_token};
use crate::jwt::{JwtError, JwtKeys};
use crate::oidc::{OidcClient, OidcIdentity, OidcProvider};
use crate::password::{self, PasswordPolicy};
use crate::refresh;

/// Tunables of sign-in and sessions.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Consecutive failed passwords before the account is locked.
    pub max_failed_logins: i32,
    pub lockout: Duration,
    /// Sign-in attempts allowed per client address and tenant in `login_window`.
    pub login_attempts_per_window: u64,
    pub login_window: StdDuration,
    pub policy: PasswordPolicy,
    /// How long an e-mail verification link works.
    pub verification_ttl: Duration,
    /// How long a password-reset link works.
    pub reset_ttl: Duration,
    /// Password-reset requests allowed per e-mail address and tenant in `reset_window`.
    pub reset_requests_per_window: u64,
    /// Password-reset requests allowed per client address and tenant in `reset_window`.
    pub reset_requests_per_address: u64,
    pub reset_window: StdDuration,
    /// How long a refresh or e-mail link token is kept after it expires, before
    /// [`AuthService::purge_expired_tokens`] deletes it.
    pub expired_tokens_kept: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
            max_failed_logins: 5,
            lockout: Duration::minutes(15),
            login_attempts_per_window: 30,
            login_window: StdDuration::from_secs(300),
            policy: PasswordPolicy::default(),
            verification_ttl: Duration::hours(48),
            reset_ttl: Duration::hours(1),
            reset_requests_per_window: 5,
            reset_requests_per_address: 20,
            reset_window: StdDuration::from_secs(3600),
            expired_tokens_kept: Duration::days(7),
        }
    }
}

/// Secrets the service signs and hashes with. Debug never prints them.
pub struct AuthSecrets {
    pub jwt: Vec<u8>,
    /// Key of the PESEL HMAC, so that a verified PESEL can be matched without being stored.
    pub pesel_pepper: Vec<u8>,
}

/// What sign-in and refresh hand to the client.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A finished identity-provider sign-in.
#[derive(Debug, Clone)]
pub struct OidcSignIn {
    pub tokens: TokenPair,
    pub account: AccountId,
    pub roles: Roles,
    /// Keyed hash of the PESEL the provider verified, for e-services to link parties by.
    pub pesel_hmac: Option<String>,
}

/// An account as its owner sees it.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub roles: Roles,
    /// Identity confirmed by the identity provider (PESEL).
    pub verified: bool,
    /// The owner proved control of the e-mail address.
    pub email_verified: bool,
}

pub struct AuthService {
    pub(crate) store: Arc<Store>,
    keys: JwtKeys,
    pesel_pepper: Vec<u8>,
    pub(crate) settings: AuthSettings,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn wrong_credentials() -> AppError {
    AppError::unauthenticated("wrong e-mail or password")
}

fn invalid_refresh() -> AppError {
    AppError::unauthenticated("the refresh token is invalid or expired; sign in again")
}

impl AuthService {
    pub fn new(store: Arc<Store>, secrets: AuthSecrets, settings: AuthSettings) -> AppResult<Self> {
        let keys = JwtKeys::from_secret(&secrets.jwt).map_err(AppError::internal)?;
        Ok(Self {
            store,
            keys,
            pesel_pepper: secrets.pesel_pepper,
            settings,
        })
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Checks a bearer token for the audience of the request's host (tenant slug or
    /// "platform"). A token of another tenant fails here.
    pub fn authenticate(
        &self,
        audience: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Actor> {
        let claims = self
            .keys
            .verify(token, audience, now)
            .map_err(|e| match e {
                JwtError::Expired => AppError::unauthenticated("the access token has expired"),
                JwtError::WrongAudience => {
                    AppError::unauthenticated("the access token belongs to another tenant")
                }
                _ => AppError::unauthenticated("the access token is invalid"),
            })?;
        let id = Uuid::parse_str(&claims.sub)
            .map_err(|_| AppError::unauthenticated("the access token is invalid"))?;
        Ok(Actor::Account {
            id: AccountId(id),
            roles: Roles::from_strings(&claims.roles),
            session: claims.sid,
        })
    }

    /// [`Self::authenticate`], and the token's session must not have ended: signing out,
    /// a password reset or a replayed refresh token end a session's access tokens at once,
    /// not when they expire. `kv` is the audience's store ([`Ctx::kv`]).
    pub async fn authenticate_live(
        &self,
        kv: &ScopedKv,
        audience: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Actor> {
        let actor = self.authenticate(audience, token, now)?;
        if let Actor::Account { session, .. } = &actor
            && kv.get(&ended_key(session)).await?.is_some()
        {
            return Err(AppError::unauthenticated(
                "this session has ended; sign in again",
            ));
        }
        Ok(actor)
    }

    /// Marks `sessions` ended for as long as an access token of theirs can live (their refresh
    /// tokens are revoked in the database already). Should the store fail, a token lives until
    /// it expires, as it did before sessions could be ended early.
    pub(crate) async fn end_sessions(&self, kv: &ScopedKv, sessions: &[Uuid]) {
        let ttl = self
            .settings
            .access_ttl
            .to_std()
            .unwrap_or(StdDuration::from_secs(900));
        for session in sessions {
            if let Err(e) = kv.set(&ended_key(&session.to_string()), "1", ttl).await {
                tracing::warn!(error = %e, "could not mark a session ended");
            }
        }
    }

    /// Registers a resident of the request's tenant.
    pub async fn register(
        &self,
        ctx: &Ctx,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> AppResult<AccountId> {
        let tenant = ctx.tenant()?.slug().clone();
        let email = Email::parse(email).map_err(|e| AppError::invalid("email", e))?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(AppError::validation(
                "displayName",
                "must be 1 to 200 characters",
            ));
        }
        self.settings
            .policy
            .check(password, email.as_str(), display_name)
            .map_err(|v| AppError::validation(v.field(), v.to_string()))?;
        let hash = hash_blocking(password).await?;
        let id = self
            .create_account(
                tenant.as_str(),
                &email,
                display_name,
                Some(hash),
                &[Role::Resident],
                None,
            )
            .await?;
        let tx = TenantDb::begin(ctx).await?;
        audit::record(
            &tx,
            ctx,
            "account.registered",
            serde_json::json!({ "account": id.to_string() }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates an account with its roles; CONFLICT when the e-mail is taken in that scope.
    pub async fn create_account(
        &self,
        scope: &str,
        email: &Email,
        display_name: &str,
        password_hash: Option<String>,
        roles: &[Role],
        granted_by: Option<AccountId>,
    ) -> AppResult<AccountId> {
        let tx = self.store.platform_begin().await?;
        let taken = account::Entity::find()
            .filter(account::Column::Tenant.eq(scope))
            .filter(account::Column::Email.eq(email.as_str()))
            .one(&tx)
            .await?;
        if taken.is_some() {
            return Err(AppError::conflict(
                "an account with this e-mail already exists",
            ));
        }
        let id = insert_account(
            &tx,
            NewAccount {
                scope,
                email,
                display_name,
                password_hash,
                roles,
                granted_by,
            },
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates the account unless one with this e-mail exists (demo seeding, idempotent).
    pub async fn ensure_account(
        &self,
        scope: &str,
        email: &str,
        password: &str,
        display_name: &str,
        roles: &[Role],
    ) -> AppResult<bool> {
        let email = Email::parse(email).map_err(|e| AppError::invalid("email", e))?;
        if self.find_by_email(scope, &email).await?.is_some() {
            return Ok(false);
        }
        let hash = hash_blocking(password).await?;
        self.create_account(scope, &email, display_name, Some(hash), roles, None)
            .await?;
        Ok(true)
    }

    async fn find_by_email(&self, scope: &str, email: &Email) -> AppResult<Option<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Tenant.eq(scope))
            .filter(account::Column::Email.eq(email.as_str()))
            .one(self.store.platform_conn())
            .await?)
    }

    /// Password sign-in on the request's host. Repeated failures lock the account for a
    /// while; too many attempts from one address are refused before any password is checked.
    pub async fn login(
        &self,
        ctx: &Ctx,
        email: &str,
        password: &str,
        client: &str,
    ) -> AppResult<TokenPair> {
        let attempts = ctx
            .kv()
            .incr(
                &format!("login-attempts:{client}"),
                self.settings.login_window,
            )
            .await?;
        if attempts > self.settings.login_attempts_per_window {
            return Err(AppError::rate_limited(
                "too many sign-in attempts from this address; wait a few minutes",
            ));
        }
        let scope = ctx.audience().to_owned();
        let Ok(email) = Email::parse(email) else {
            return Err(wrong_credentials());
        };
        let now = ctx.clock().now();
        let Some(acc) = self.find_by_email(&scope, &email).await? else {
            // Spend the same time as a real check, so timing does not reveal who has an account.
            let plain = password.to_owned();
            let _ = tokio::task::spawn_blocking(move || password::dummy_verify(&plain)).await;
            return Err(wrong_credentials());
        };
        if let Some(until) = acc.locked_until.filter(|until| *until > now) {
            return Err(AppError::rate_limited(format!(
                "this account is locked after repeated failed sign-ins until {} UTC",
                until.format("%Y-%m-%d %H:%M")
            )));
        }
        let ok = match acc.password_hash.clone() {
            Some(hash) => verify_blocking(password, hash).await?,
            None => false,
        };
        let tx = self.store.platform_begin().await?;
        if !ok {
            let failed = acc.failed_logins + 1;
            let lock = failed >= self.settings.max_failed_logins;
            let mut active: account::ActiveModel = acc.clone().into();
            active.failed_logins = Set(if lock { 0 } else { failed });
            active.locked_until = Set(lock.then(|| now + self.settings.lockout));
            active.update(&tx).await?;
            tx.commit().await?;
            if lock {
                self.audit_tenant(ctx, "account.locked", &acc).await?;
            }
            return Err(wrong_credentials());
        }
        let mut active: account::ActiveModel = acc.clone().into();
        active.failed_logins = Set(0);
        active.locked_until = Set(None);
        active.last_login_at = Set(Some(now));
        active.update(&tx).await?;
        let roles = roles_of(&tx, acc.id).await?;
        let pair = self
            .issue_pair(&tx, &scope, acc.id, Uuid::now_v7(), &roles, now)
            .await?;
        tx.commit().await?;
        self.audit_tenant(ctx, "account.signed_in", &acc).await?;
        Ok(pair)
    }

    pub(crate) async fn audit_tenant(
        &self,
        ctx: &Ctx,
        action: &str,
        acc: &account::Model,
    ) -> AppResult<()> {
        if ctx.tenant().is_err() {
            return Ok(());
        }
        let tx = TenantDb::begin(ctx).await?;
        audit::record(
            &tx,
            ctx,
            action,
            serde_json::json!({ "account": acc.id.to_string() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn issue_pair(
        &self,
        tx: &DatabaseTransaction,
        audience: &str,
        account_id: Uuid,
        family: Uuid,
        roles: &Roles,
        now: DateTime<Utc>,
    ) -> AppResult<TokenPair> {
        let (refresh_token, hash) = refresh::generate();
        refresh_token::ActiveModel {
            token_hash: Set(hash),
            account_id: Set(account_id),
            family_id: Set(family),
            tenant: Set(audience.to_owned()),
            issued_at: Set(now),
            expires_at: Set(now + self.settings.refresh_ttl),
            used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(tx)
        .await?;
        let access_token = self
            .keys
            .issue(
                &account_id.to_string(),
                audience,
                &family.to_string(),
                &roles.to_strings(),
                now,
                self.settings.access_ttl,
            )
            .map_err(AppError::internal)?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_at: now + self.settings.access_ttl,
        })
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once: presenting a
    /// used one means it was stolen or replayed, so the whole session (family) is revoked.
    pub async fn refresh(&self, ctx: &Ctx, token: &str) -> AppResult<TokenPair> {
        let now = ctx.clock().now();
        let audience = ctx.audience().to_owned();
        let tx = self.store.platform_begin().await?;
        let Some(row) = refresh_token::Entity::find_by_id(refresh::hash(token))
            .one(&tx)
            .await?
        else {
            return Err(invalid_refresh());
        };
        if row.tenant != audience || row.revoked_at.is_some() || row.expires_at <= now {
            return Err(invalid_refresh());
        }
        // Mark used only if nobody did so first; losing that race is a reuse as well.
        let marked = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::TokenHash.eq(row.token_hash.clone()))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&tx)
            .await?;
        if marked.rows_affected != 1 {
            revoke_family(&tx, row.family_id, now).await?;
            tx.commit().await?;
            self.end_sessions(&ctx.kv(), &[row.family_id]).await;
            tracing::warn!(tenant = %audience, "refresh token reuse detected; session revoked");
            return Err(AppError::unauthenticated(
                "this refresh token was already used; the session has been ended for safety, sign in again",
            ));
        }
        let roles = roles_of(&tx, row.account_id).await?;
        let pair = self
            .issue_pair(&tx, &audience, row.account_id, row.family_id, &roles, now)
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Ends the session of the access token in use: its refresh tokens stop working.
    pub async fn logout(&self, ctx: &Ctx) -> AppResult<()> {
        let Actor::Account { session, .. } = ctx.actor() else {
            return Err(AppError::unauthenticated("sign in first"));
        };
        let family = Uuid::parse_str(session)
            .map_err(|_| AppError::unauthenticated("the access token is invalid"))?;
        let tx = self.store.platform_begin().await?;
        revoke_family(&tx, family, ctx.clock().now()).await?;
        tx.commit().await?;
        self.end_sessions(&ctx.kv(), &[family]).await;
        Ok(())
    }

    /// The signed-in account, only within the scope its token was issued for.
    pub async fn me(&self, ctx: &Ctx) -> AppResult<AccountView> {
        let id = ctx.require_account()?;
        // Two plain reads on the platform pool: no transaction needed.
        let db = self.store.platform_conn();
        let acc = account::Entity::find_by_id(id.0)
            .filter(account::Column::Tenant.eq(ctx.audience()))
            .one(db)
            .await?
            .ok_or_else(|| AppError::unauthenticated("the account no longer exists"))?;
        let roles = roles_of(db, acc.id).await?;
        Ok(AccountView {
            id: AccountId(acc.id),
            email: acc.email,
            display_name: acc.display_name,
            roles,
            verified: acc.verified,
            email_verified: acc.email_verified_at.is_some(),
        })
    }

    /// A keyed hash of a PESEL, for matching without storing the number.
    pub fn pesel_hmac(&self, pesel: &Pesel) -> AppResult<String> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.pesel_pepper).map_err(AppError::internal)?;
        mac.update(pesel.reveal().as_bytes());
        Ok(mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Starts sign-in at the tenant's identity provider: returns the URL to send the browser
    /// to. The PKCE verifier waits, keyed by `state`, in the tenant's key-value space.
    pub async fn oidc_start(&self, ctx: &Ctx, redirect_url: &str) -> AppResult<String> {
        let client = self.oidc_client(ctx, redirect_url)?;
        let start = client.start();
        ctx.kv()
            .set(
                &format!("oidc-state:{}", start.state),
                &start.pkce_verifier,
                StdDuration::from_secs(600),
            )
            .await?;
        Ok(start.url)
    }

    /// Finishes sign-in: checks `state`, exchanges the code, finds or creates the account
    /// for the provider's subject, and marks it verified when a valid PESEL came with it.
    pub async fn oidc_finish(
        &self,
        ctx: &Ctx,
        redirect_url: &str,
        code: &str,
        state: &str,
    ) -> AppResult<OidcSignIn> {
        let client = self.oidc_client(ctx, redirect_url)?;
        let verifier = ctx
            .kv()
            .take(&format!("oidc-state:{state}"))
            .await?
            .ok_or_else(|| {
                AppError::unauthenticated(
                    "the sign-in attempt expired or was already used; start again",
                )
            })?;
        let identity = client.finish(code, &verifier).await.map_err(|e| {
            tracing::warn!(error = %e, "identity provider sign-in failed");
            AppError::unauthenticated("the identity provider did not confirm the sign-in")
        })?;
        let (account, pesel_hmac) = self.account_for_identity(ctx, &identity).await?;
        let now = ctx.clock().now();
        let tx = self.store.platform_begin().await?;
        let roles = roles_of(&tx, account.0).await?;
        let tokens = self
            .issue_pair(&tx, ctx.audience(), account.0, Uuid::now_v7(), &roles, now)
            .await?;
        tx.commit().await?;
        Ok(OidcSignIn {
            tokens,
            account,
            roles,
            pesel_hmac,
        })
    }

    fn oidc_client(&self, ctx: &Ctx, redirect_url: &str) -> AppResult<OidcClient> {
        let tenant = ctx.tenant()?;
        let idp = tenant.config().identity_provider.as_ref().ok_or_else(|| {
            AppError::not_found("this municipality has no identity provider configured")
        })?;
        let client_secret = match &idp.client_secret_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                AppError::internal(std::io::Error::other(format!(
                    "environment variable {var} (identity provider secret of {}) is not set",
                    tenant.slug()
                )))
            })?),
            None => None,
        };
        let provider = OidcProvider {
            authorization_url: idp.authorization_url.clone(),
            token_url: idp.token_url.clone(),
            userinfo_url: idp.userinfo_url.clone(),
            client_id: idp.client_id.clone(),
            client_secret,
            redirect_url: redirect_url.to_owned(),
            scopes: idp.scopes.clone(),
            pesel_claim: idp.pesel_claim.clone(),
        };
        let http = crate::oidc::http_client().map_err(AppError::internal)?;
        OidcClient::new(provider, http).map_err(AppError::internal)
    }

    async fn account_for_identity(
        &self,
        ctx: &Ctx,
        identity: &OidcIdentity,
    ) -> AppResult<(AccountId, Option<String>)> {
        let scope = ctx.audience().to_owned();
        let pesel = match identity.pesel.as_deref().map(Pesel::parse) {
            Some(Ok(p)) => Some(self.pesel_hmac(&p)?),
            Some(Err(e)) => {
                tracing::warn!(reason = %e.reason, "identity provider sent an invalid PESEL; account not verified");
                None
            }
            None => None,
        };
        let tx = self.store.platform_begin().await?;
        let linked = oidc_identity::Entity::find_by_id((scope.clone(), identity.subject.clone()))
            .one(&tx)
            .await?;
        let now = ctx.clock().now();
        let id = match linked {
            Some(link) => link.account_id,
            None => {
                let email = identity
                    .email
                    .as_deref()
                    .and_then(|e| Email::parse(e).ok())
                    .ok_or_else(|| {
                        AppError::validation(
                            "email",
                            "the identity provider sent no usable e-mail address",
                        )
                    })?;
                let existing = account::Entity::find()
                    .filter(account::Column::Tenant.eq(scope.as_str()))
                    .filter(account::Column::Email.eq(email.as_str()))
                    .one(&tx)
                    .await?;
                let id = match existing {
                    Some(acc) => acc.id,
                    None => {
                        let name = identity
                            .name
                            .clone()
                            .unwrap_or_else(|| email.as_str().to_owned());
                        let new = NewAccount {
                            scope: &scope,
                            email: &email,
                            display_name: &name,
                            password_hash: None,
                            roles: &[Role::Resident],
                            granted_by: None,
                        };
                        insert_account(&tx, new, now).await?.0
                    }
                };
                oidc_identity::ActiveModel {
                    tenant: Set(scope.clone()),
                    subject: Set(identity.subject.clone()),
                    account_id: Set(id),
                    created_at: Set(now),
                }
                .insert(&tx)
                .await?;
                id
            }
        };
        let mut update = account::Entity::update_many()
            .col_expr(account::Column::LastLoginAt, Expr::value(now))
            .filter(account::Column::Id.eq(id));
        if let Some(hmac) = &pesel {
            update = update
                .col_expr(account::Column::Verified, Expr::value(true))
                .col_expr(account::Column::PeselHmac, Expr::value(hmac.clone()));
        }
        update.exec(&tx).await?;
        tx.commit().await?;
        Ok((AccountId(id), pesel))
    }
}

struct NewAccount<'a> {
    scope: &'a str,
    email: &'a Email,
    display_name: &'a str,
    password_hash: Option<String>,
    roles: &'a [Role],
    granted_by: Option<AccountId>,
}

/// Inserts an account and its roles inside the caller's transaction.
async fn insert_account(
    tx: &DatabaseTransaction,
    new: NewAccount<'_>,
    now: DateTime<Utc>,
) -> AppResult<AccountId> {
    let id = AccountId::new();
    account::ActiveModel {
        id: Set(id.0),
        tenant: Set(new.scope.to_owned()),
        email: Set(new.email.as_str().to_owned()),
        display_name: Set(new.display_name.to_owned()),
        password_hash: Set(new.password_hash),
        verified: Set(false),
        pesel_hmac: Set(None),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        last_login_at: Set(None),
        email_verified_at: Set(None),
    }
    .insert(tx)
    .await?;
    for role in new.roles {
        account_role::ActiveModel {
            account_id: Set(id.0),
            role: Set(role.to_string()),
            granted_by: Set(new.granted_by.map(|g| g.0)),
            granted_at: Set(now),
        }
        .insert(tx)
        .await?;
    }
    Ok(id)
}

async fn roles_of<C: ConnectionTrait>(db: &C, account: Uuid) -> AppResult<Roles> {
    let rows = account_role::Entity::find()
        .filter(account_role::Column::AccountId.eq(account))
        .all(db)
        .await?;
    Ok(Roles::from_strings(
        &rows.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(),
    ))
}

/// The key that marks a session (refresh-token family) ended.
fn ended_key(session: &str) -> String {
    format!("session-ended:{session}")
}

async fn revoke_family(
    tx: &DatabaseTransaction,
    family: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    Ok(())
}

/// argon2id takes tens of milliseconds of CPU: keep it off the async workers.
pub(crate) async fn hash_blocking(password: &str) -> AppResult<String> {
    let plain = password.to_owned();
    tokio::task::spawn_blocking(move || password::hash_password(&plain))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

async fn verify_blocking(password: &str, hash: String) -> AppResult<bool> {
    let plain = password.to_owned();
    tokio::task::spawn_blocking(move || password::verify_password(&plain, &hash))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}
