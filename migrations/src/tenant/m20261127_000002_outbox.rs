//! The tenant's outbox: messages to residents (e.g. "payment posted") written in the same
//! transaction as their cause, sent later by the notifications e-service. A unique key per
//! cause keeps one cause from being announced twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Outbox {
    Table,
    Id,
    Kind,
    PartyId,
    DedupeKey,
    Payload,
    CreatedAt,
    SentAt,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(
                    ColumnDef::new(Outbox::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Outbox::Kind).string_len(64).not_null())
                .col(ColumnDef::new(Outbox::PartyId).uuid())
                .col(
                    ColumnDef::new(Outbox::DedupeKey)
                        .string_len(200)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Outbox::Payload).text().not_null())
                .col(
                    ColumnDef::new(Outbox::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Outbox::SentAt).timestamp_with_time_zone())
                .col(
                    ColumnDef::new(Outbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_pending")
                .table(Outbox::Table)
                .col(Outbox::SentAt)
                .col(Outbox::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
