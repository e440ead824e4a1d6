//! One-time account tokens (e-mail verification, password reset) and the moment an account's
//! e-mail address was confirmed.

use sea_orm_migration::prelude::*;

use super::Accounts;
use crate::columns::{at, index, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum AccountTokens {
    Table,
    /// SHA-256 (hex) of the token; the token itself is only ever in the e-mail.
    TokenHash,
    AccountId,
    /// Tenant slug (or "platform") the token works on: the account's scope.
    Tenant,
    /// `verify_email` | `reset_password`
    Purpose,
    IssuedAt,
    ExpiresAt,
    UsedAt,
    /// Set when a newer token of the same purpose replaced this one before it was used.
    RevokedAt,
}

#[derive(DeriveIden)]
enum AccountsEmail {
    EmailVerifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(
                        ColumnDef::new(AccountTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AccountTokens::AccountId).uuid().not_null())
                    .col(text(AccountTokens::Tenant, 40))
                    .col(text(AccountTokens::Purpose, 16))
                    .col(at(AccountTokens::IssuedAt))
                    .col(at(AccountTokens::ExpiresAt))
                    .col(ColumnDef::new(AccountTokens::UsedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(AccountTokens::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountTokens::Table, AccountTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_account_tokens_account_purpose",
                AccountTokens::Table,
                vec![
                    AccountTokens::AccountId.into_iden(),
                    AccountTokens::Purpose.into_iden(),
                ],
                false,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(
                        ColumnDef::new(AccountsEmail::EmailVerifiedAt).timestamp_with_time_zone(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsEmail::EmailVerifiedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AccountTokens::Table).to_owned())
            .await
    }
}
