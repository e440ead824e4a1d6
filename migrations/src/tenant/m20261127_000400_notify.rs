//! Notifications: each message rendered for one channel and recipient, with its status as
//! GOV.UK Notify models it (created, sending, delivered, temporary-failure, permanent-failure,
//! technical-failure), its attempts and lease; and the log of informational actions
//! (reminders) the dunning regulation asks for.

use sea_orm_migration::prelude::*;

use super::columns::{at, id_uuid, index, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotifyMessages {
    Table,
    Id,
    OutboxId,
    Kind,
    PartyId,
    Channel,
    Recipient,
    Template,
    TemplateVersion,
    Subject,
    Body,
    Html,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    ProviderId,
    Error,
    CreatedAt,
    SentAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum NotifyActions {
    Table,
    Id,
    PartyId,
    InstallmentId,
    Form,
    At,
    Actor,
    MessageId,
    Description,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(NotifyMessages::Table)
                .col(id_uuid(NotifyMessages::Id))
                .col(ColumnDef::new(NotifyMessages::OutboxId).big_integer())
                .col(text(NotifyMessages::Kind, 32))
                .col(ColumnDef::new(NotifyMessages::PartyId).uuid())
                .col(text(NotifyMessages::Channel, 8))
                .col(text(NotifyMessages::Recipient, 200))
                .col(text(NotifyMessages::Template, 64))
                .col(
                    ColumnDef::new(NotifyMessages::TemplateVersion)
                        .integer()
                        .not_null(),
                )
                .col(text(NotifyMessages::Subject, 300))
                .col(ColumnDef::new(NotifyMessages::Body).text().not_null())
                .col(ColumnDef::new(NotifyMessages::Html).text())
                .col(text(NotifyMessages::Status, 24))
                .col(
                    ColumnDef::new(NotifyMessages::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(at(NotifyMessages::NextAttemptAt))
                .col(ColumnDef::new(NotifyMessages::ClaimedUntil).timestamp_with_time_zone())
                .col(ColumnDef::new(NotifyMessages::ProviderId).string_len(100))
                .col(ColumnDef::new(NotifyMessages::Error).string_len(500))
                .col(at(NotifyMessages::CreatedAt))
                .col(ColumnDef::new(NotifyMessages::SentAt).timestamp_with_time_zone())
                .col(ColumnDef::new(NotifyMessages::DeliveredAt).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;
        // Planning an outbox event twice creates no second message on a channel.
        m.create_index(index(
            "ux_notify_messages_cause",
            NotifyMessages::Table,
            vec![
                NotifyMessages::OutboxId.into_iden(),
                NotifyMessages::Channel.into_iden(),
            ],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_notify_messages_due",
            NotifyMessages::Table,
            vec![
                NotifyMessages::Status.into_iden(),
                NotifyMessages::NextAttemptAt.into_iden(),
            ],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_notify_messages_party",
            NotifyMessages::Table,
            vec![NotifyMessages::PartyId.into_iden()],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(NotifyActions::Table)
                .col(
                    ColumnDef::new(NotifyActions::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(NotifyActions::PartyId).uuid().not_null())
                .col(ColumnDef::new(NotifyActions::InstallmentId).uuid())
                .col(text(NotifyActions::Form, 16))
                .col(at(NotifyActions::At))
                .col(text(NotifyActions::Actor, 100))
                .col(ColumnDef::new(NotifyActions::MessageId).uuid())
                .col(text(NotifyActions::Description, 300))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_notify_actions_party",
            NotifyActions::Table,
            vec![NotifyActions::PartyId.into_iden()],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(NotifyActions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(NotifyMessages::Table).to_owned())
            .await
    }
}
