use sea_orm_migration::prelude::*;

use crate::columns;
mod keys_bytewise;
mod m20261127_000001_core;
mod m20261127_000002_outbox;
mod m20261127_000100_finance;
mod m20261127_000110_installments_hot;
mod m20261127_000120_correction_lookups;
mod m20261127_000200_payments;
mod m20261127_000210_payouts;
mod m20261127_000300_statements;
mod m20261127_000310_st_lines_unmatched;
mod m20261127_000400_notify;
mod m20261127_000410_dunning;
mod m20261128_000130_obligation_reference;
mod m20261128_000330_payer_accounts;

pub use m20261127_000001_core::TenantAuditLog;

/// Every tenant migration, in order: the core first, then each e-service's.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = core();
        all.extend(finance());
        all.extend(payments());
        all.extend(statements());
        all.extend(notify());
        all
    }
}

/// The core's own tenant tables.
pub fn core() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261127_000001_core::Migration),
        Box::new(m20261127_000002_outbox::Migration),
        Box::new(keys_bytewise::OUTBOX),
    ]
}

/// The finance e-service's tables.
pub fn finance() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261127_000100_finance::Migration),
        Box::new(m20261127_000110_installments_hot::Migration),
        Box::new(m20261127_000120_correction_lookups::Migration),
        Box::new(m20261128_000130_obligation_reference::Migration),
        Box::new(keys_bytewise::FINANCE),
    ]
}

/// The payments e-service's tables (it builds on finance's).
pub fn payments() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261127_000200_payments::Migration),
        Box::new(m20261127_000210_payouts::Migration),
        Box::new(keys_bytewise::PAYMENTS),
    ]
}

/// The bank-statements e-service's tables.
pub fn statements() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261127_000300_statements::Migration),
        Box::new(m20261127_000310_st_lines_unmatched::Migration),
        Box::new(keys_bytewise::STATEMENTS),
        Box::new(m20261128_000330_payer_accounts::Migration),
    ]
}

/// The notifications e-service's tables.
pub fn notify() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261127_000400_notify::Migration),
        Box::new(m20261127_000410_dunning::Migration),
    ]
}
