use sea_orm_migration::prelude::*;

mod m20261127_000001_registry_and_accounts;
mod m20261127_000002_account_tokens;

pub use m20261127_000001_registry_and_accounts::{
    AccountRoles, Accounts, AuditLog, OidcIdentities, RefreshTokens, Tenants,
};
pub use m20261127_000002_account_tokens::AccountTokens;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_registry_and_accounts::Migration),
            Box::new(m20261127_000002_account_tokens::Migration),
        ]
    }
}
