use sea_orm_migration::prelude::*;

mod m20261127_000001_core;

pub use m20261127_000001_core::TenantAuditLog;

/// Every tenant migration, in order: the core first, then each e-service's.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        core()
    }
}

/// The core's own tenant tables.
pub fn core() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261127_000001_core::Migration)]
}
