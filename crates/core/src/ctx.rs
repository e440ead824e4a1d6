//! The per-request context. One `Ctx` is built by the HTTP middleware for each request (or
//! by a background job for one tenant) and passed explicitly to every service function.

use std::sync::Arc;

use crate::clock::Clock;
use crate::db::TenantConnector;
use crate::error::{AppError, AppResult};
use crate::ids::{AccountId, RequestId};
use crate::kv::{KvStore, ScopedKv};
use crate::role::{ClerkScope, Role, Roles};
use crate::tenant::Tenant;

/// Where a request runs: inside one tenant, or on the operator's platform host.
#[derive(Clone, Debug)]
pub enum Scope {
    Platform,
    Tenant(Arc<Tenant>),
}

/// Who acts.
#[derive(Clone, Debug)]
pub enum Actor {
    Anonymous,
    Account {
        id: AccountId,
        roles: Roles,
        /// The refresh-token family this access token belongs to (for logout).
        session: String,
    },
    /// A background job acting for the platform itself.
    System,
}

/// Shared infrastructure handed to every `Ctx`. Its fields are private to the core: e-service
/// code reaches tenant data only through [`crate::TenantDb::begin`] and the tenant-prefixed
/// [`Ctx::kv`], never through a raw pool.
#[derive(Clone)]
pub struct Services {
    pub(crate) connector: Arc<dyn TenantConnector>,
    pub(crate) kv: Arc<dyn KvStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Services {
    pub fn new(
        connector: Arc<dyn TenantConnector>,
        kv: Arc<dyn KvStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            connector,
            kv,
            clock,
        }
    }
}

#[derive(Clone)]
pub struct Ctx {
    scope: Scope,
    actor: Actor,
    request_id: RequestId,
    services: Services,
}

impl Ctx {
    pub fn new(scope: Scope, actor: Actor, request_id: RequestId, services: Services) -> Self {
        Self {
            scope,
            actor,
            request_id,
            services,
        }
    }

    /// The context of a background job working for one tenant.
    pub fn system(tenant: Arc<Tenant>, services: Services) -> Self {
        Self::new(
            Scope::Tenant(tenant),
            Actor::System,
            RequestId::new(),
            services,
        )
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    pub(crate) fn connector(&self) -> &dyn TenantConnector {
        self.services.connector.as_ref()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.services.clock.as_ref()
    }

    /// Today as residents and the law count days: the date in Europe/Warsaw (a payment made at
    /// 00:30 there is made on that day, art. 60 OP), not the date in UTC, which is still
    /// yesterday's for an hour or two after midnight.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::clock::warsaw_local(self.clock().now()).date()
    }

    /// The tenant this request belongs to, or NOT_FOUND on the platform host.
    pub fn tenant(&self) -> AppResult<&Arc<Tenant>> {
        match &self.scope {
            Scope::Tenant(t) => Ok(t),
            Scope::Platform => Err(AppError::not_found(
                "this operation exists only on a tenant's host",
            )),
        }
    }

    /// The tenant slug, or "platform": the audience of this scope's tokens.
    pub fn audience(&self) -> &str {
        match &self.scope {
            Scope::Tenant(t) => t.slug().as_str(),
            Scope::Platform => "platform",
        }
    }

    /// Key-value store whose keys are prefixed with this scope (tenant slug or platform).
    pub fn kv(&self) -> ScopedKv {
        ScopedKv::new(self.services.kv.clone(), self.audience())
    }

    pub fn account_id(&self) -> Option<AccountId> {
        match &self.actor {
            Actor::Account { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn require_account(&self) -> AppResult<AccountId> {
        self.account_id()
            .ok_or_else(|| AppError::unauthenticated("sign in first"))
    }

    pub fn roles(&self) -> Roles {
        match &self.actor {
            Actor::Account { roles, .. } => roles.clone(),
            _ => Roles::default(),
        }
    }

    pub fn require_role(&self, role: Role) -> AppResult<()> {
        self.require_account()?;
        if self.roles().has(role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("requires the {role} role")))
        }
    }

    pub fn require_clerk(&self, scope: ClerkScope) -> AppResult<()> {
        self.require_account()?;
        if self.roles().is_clerk_for(scope) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "requires a clerk of {}",
                scope.as_str()
            )))
        }
    }

    /// Operator actions exist only on the platform host, for platform operators.
    pub fn require_operator(&self) -> AppResult<()> {
        if !matches!(self.scope, Scope::Platform) {
            return Err(AppError::not_found(
                "platform operations exist only on the platform host",
            ));
        }
        self.require_role(Role::PlatformOperator)
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("scope", &self.audience())
            .field("actor", &self.actor)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}
