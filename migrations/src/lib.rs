//! Schema migrations, in two sets.
//!
//! - [`platform::Migrator`]: the tenant registry, accounts, refresh tokens and the platform's
//!   audit log. Applied once, to the `platform` schema (PostgreSQL) or `platform.sqlite`.
//! - [`tenant::Migrator`]: applied to every tenant's schema (or file), each tracked in its own
//!   `seaql_migrations` table. Each e-service adds its modules under `tenant/`, grouped by a
//!   function named after it, and lists them in `Migrator::migrations` in dependency order.

mod columns;
pub mod platform;
pub mod tenant;

pub use sea_orm_migration::MigratorTrait;
