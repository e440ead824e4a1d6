//! The claims of statement lines (bank account, dedupe key) compare byte by byte
//! ([`super::columns::collate_keys`]): every imported line claims one.

use sea_orm_migration::prelude::*;

use super::columns::collate_keys;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEYS: &[(&str, &str, u32)] = &[("st_seen", "account", 40), ("st_seen", "dedupe_key", 200)];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, KEYS, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, KEYS, false).await
    }
}
