//! The tenant-aware core of Wspólnota.
//!
//! Everything an e-service needs to be a good tenant citizen lives here: the per-request
//! [`Ctx`], the tenant registry and configuration, validated value types, [`Money`], the one
//! error catalogue, a settable [`Clock`], the only door to tenant data ([`TenantDb`]) and the
//! [`EService`] contract that plugin crates implement.

pub mod audit;
pub mod bulk;
pub mod clock;
pub mod ctx;
pub mod db;
pub mod error;
pub mod eservice;
pub mod graphql;
pub mod ids;
pub mod kv;
pub mod money;
pub mod outbox;
pub mod role;
pub mod tenant;
pub mod value;

pub use clock::{Clock, ManualClock, SystemClock};
pub use ctx::{Actor, Ctx, Scope, Services};
pub use db::{TenantConnector, TenantDb, TenantTx};
pub use error::{AppError, AppResult, ErrorCode};
pub use eservice::{EService, Permission};
pub use ids::{AccountId, RequestId, TenantSlug};
pub use kv::{KvStore, KvStream, MemoryKv, ScopedKv};
pub use money::Money;
pub use role::{ClerkScope, Role, Roles};
pub use tenant::{HostMatch, Tenant, TenantConfig, TenantRegistry, TenantStatus};
