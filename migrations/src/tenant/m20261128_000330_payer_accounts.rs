//! The accounts payers send from, as clerks have recognised them: when a clerk assigns an
//! unidentified credit to its payer, the sender's account is remembered with that party, so
//! the next credit from it comes to the clerk's queue with the payer suggested. Written only
//! by clerks' decisions (a statement's posting writes nothing here). Keyed by the account's
//! last 16 characters, which every dialect carries (PKO's `~31` gives no more).

use sea_orm_migration::prelude::*;

use super::columns::{at, collate_keys, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StPayerAccounts {
    Table,
    AccountKey,
    PartyId,
    Assignments,
    LastAssignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StPayerAccounts::Table)
                .col(text(StPayerAccounts::AccountKey, 34))
                .col(ColumnDef::new(StPayerAccounts::PartyId).uuid().not_null())
                .col(
                    ColumnDef::new(StPayerAccounts::Assignments)
                        .integer()
                        .not_null(),
                )
                .col(at(StPayerAccounts::LastAssignedAt))
                .primary_key(
                    Index::create()
                        .col(StPayerAccounts::AccountKey)
                        .col(StPayerAccounts::PartyId),
                )
                .to_owned(),
        )
        .await?;
        collate_keys(m, &[("st_payer_accounts", "account_key", 34)], true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(StPayerAccounts::Table).to_owned())
            .await
    }
}
