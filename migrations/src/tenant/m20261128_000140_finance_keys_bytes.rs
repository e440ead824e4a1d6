//! Payments' and journal entries' idempotency keys compare byte by byte
//! ([`super::columns::collate_keys`]): every posting writes one of each.

use sea_orm_migration::prelude::*;

use super::columns::collate_keys;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEYS: &[(&str, &str, u32)] = &[
    ("finance_payments", "idempotency_key", 200),
    ("ledger_entries", "idempotency_key", 200),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, KEYS, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, KEYS, false).await
    }
}
