use sea_orm_migration::prelude::*;

mod m20261127_000001_core;
mod m20261127_000100_finance;

pub use m20261127_000001_core::TenantAuditLog;

/// Every tenant migration, in order: the core first, then each e-service's.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = core();
        all.extend(finance());
        all
    }
}

/// The core's own tenant tables.
pub fn core() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261127_000001_core::Migration)]
}

/// The finance e-service's tables.
pub fn finance() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261127_000100_finance::Migration)]
}
