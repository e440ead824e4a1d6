//! Online payments: each payment and the installments it pays, an event per state change, the
//! inbox of verified gateway notifications, the locks that keep two payments off one
//! installment, refunds, and the built-in sandbox gateway's own orders.

use sea_orm_migration::prelude::*;

use super::columns::{at, id_uuid, index, money, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PayPayments {
    Table,
    Id,
    PartyId,
    AccountId,
    Gateway,
    Credential,
    Status,
    Amount,
    Description,
    ProviderReference,
    NextAction,
    ReturnUrl,
    IdempotencyKey,
    RequestHash,
    Review,
    PaidAt,
    FinancePaymentId,
    Refunded,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PayPaymentInstallments {
    Table,
    PaymentId,
    InstallmentId,
    Principal,
    Interest,
}

#[derive(DeriveIden)]
enum PayEvents {
    Table,
    Id,
    PaymentId,
    FromStatus,
    ToStatus,
    Event,
    Detail,
    At,
}

#[derive(DeriveIden)]
enum PayInbox {
    Table,
    Id,
    Gateway,
    DedupeKey,
    PaymentId,
    ProviderReference,
    ReportedStatus,
    ReportedAmount,
    Body,
    ReceivedAt,
    ProcessedAt,
    Attempts,
    Outcome,
}

#[derive(DeriveIden)]
enum PayLocks {
    Table,
    InstallmentId,
    PaymentId,
    LockedAt,
}

#[derive(DeriveIden)]
enum PayRefunds {
    Table,
    Id,
    PaymentId,
    Amount,
    Reason,
    Status,
    ProviderReference,
    RequestedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaySandboxOrders {
    Table,
    PaymentId,
    Amount,
    Description,
    ReturnUrl,
    NotifyUrl,
    Decision,
    DecidedAt,
    Refunded,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PayPayments::Table)
                .col(id_uuid(PayPayments::Id))
                .col(ColumnDef::new(PayPayments::PartyId).uuid().not_null())
                .col(ColumnDef::new(PayPayments::AccountId).uuid())
                .col(text(PayPayments::Gateway, 16))
                .col(text(PayPayments::Credential, 200))
                .col(text(PayPayments::Status, 16))
                .col(money(PayPayments::Amount))
                .col(text(PayPayments::Description, 500))
                .col(ColumnDef::new(PayPayments::ProviderReference).string_len(200))
                .col(ColumnDef::new(PayPayments::NextAction).text())
                .col(text(PayPayments::ReturnUrl, 1000))
                .col(
                    ColumnDef::new(PayPayments::IdempotencyKey)
                        .string_len(200)
                        .unique_key(),
                )
                .col(ColumnDef::new(PayPayments::RequestHash).string_len(64))
                .col(ColumnDef::new(PayPayments::Review).string_len(500))
                .col(ColumnDef::new(PayPayments::PaidAt).timestamp_with_time_zone())
                .col(ColumnDef::new(PayPayments::FinancePaymentId).uuid())
                .col(money(PayPayments::Refunded))
                .col(at(PayPayments::ExpiresAt))
                .col(at(PayPayments::CreatedAt))
                .col(at(PayPayments::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_pay_payments_party",
            PayPayments::Table,
            vec![
                PayPayments::PartyId.into_iden(),
                PayPayments::CreatedAt.into_iden(),
            ],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_pay_payments_status",
            PayPayments::Table,
            vec![
                PayPayments::Status.into_iden(),
                PayPayments::ExpiresAt.into_iden(),
            ],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_pay_payments_reference",
            PayPayments::Table,
            vec![
                PayPayments::Gateway.into_iden(),
                PayPayments::ProviderReference.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PayPaymentInstallments::Table)
                .col(
                    ColumnDef::new(PayPaymentInstallments::PaymentId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PayPaymentInstallments::InstallmentId)
                        .uuid()
                        .not_null(),
                )
                .col(money(PayPaymentInstallments::Principal))
                .col(money(PayPaymentInstallments::Interest))
                .primary_key(
                    Index::create()
                        .col(PayPaymentInstallments::PaymentId)
                        .col(PayPaymentInstallments::InstallmentId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PayEvents::Table)
                .col(
                    ColumnDef::new(PayEvents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(PayEvents::PaymentId).uuid().not_null())
                .col(ColumnDef::new(PayEvents::FromStatus).string_len(16))
                .col(text(PayEvents::ToStatus, 16))
                .col(text(PayEvents::Event, 32))
                .col(ColumnDef::new(PayEvents::Detail).text())
                .col(at(PayEvents::At))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_pay_events_payment",
            PayEvents::Table,
            vec![PayEvents::PaymentId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PayInbox::Table)
                .col(id_uuid(PayInbox::Id))
                .col(text(PayInbox::Gateway, 16))
                .col(text(PayInbox::DedupeKey, 200))
                .col(ColumnDef::new(PayInbox::PaymentId).uuid())
                .col(ColumnDef::new(PayInbox::ProviderReference).string_len(200))
                .col(text(PayInbox::ReportedStatus, 32))
                .col(ColumnDef::new(PayInbox::ReportedAmount).big_integer())
                .col(ColumnDef::new(PayInbox::Body).text().not_null())
                .col(at(PayInbox::ReceivedAt))
                .col(ColumnDef::new(PayInbox::ProcessedAt).timestamp_with_time_zone())
                .col(
                    ColumnDef::new(PayInbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(PayInbox::Outcome).string_len(500))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_pay_inbox_dedupe",
            PayInbox::Table,
            vec![
                PayInbox::Gateway.into_iden(),
                PayInbox::DedupeKey.into_iden(),
            ],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_pay_inbox_pending",
            PayInbox::Table,
            vec![
                PayInbox::ProcessedAt.into_iden(),
                PayInbox::ReceivedAt.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PayLocks::Table)
                .col(id_uuid(PayLocks::InstallmentId))
                .col(ColumnDef::new(PayLocks::PaymentId).uuid().not_null())
                .col(at(PayLocks::LockedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_pay_locks_payment",
            PayLocks::Table,
            vec![PayLocks::PaymentId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PayRefunds::Table)
                .col(id_uuid(PayRefunds::Id))
                .col(ColumnDef::new(PayRefunds::PaymentId).uuid().not_null())
                .col(money(PayRefunds::Amount))
                .col(text(PayRefunds::Reason, 500))
                .col(text(PayRefunds::Status, 16))
                .col(ColumnDef::new(PayRefunds::ProviderReference).string_len(200))
                .col(ColumnDef::new(PayRefunds::RequestedBy).uuid().not_null())
                .col(at(PayRefunds::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_pay_refunds_payment",
            PayRefunds::Table,
            vec![PayRefunds::PaymentId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PaySandboxOrders::Table)
                .col(id_uuid(PaySandboxOrders::PaymentId))
                .col(money(PaySandboxOrders::Amount))
                .col(text(PaySandboxOrders::Description, 500))
                .col(text(PaySandboxOrders::ReturnUrl, 1000))
                .col(text(PaySandboxOrders::NotifyUrl, 1000))
                .col(ColumnDef::new(PaySandboxOrders::Decision).string_len(16))
                .col(ColumnDef::new(PaySandboxOrders::DecidedAt).timestamp_with_time_zone())
                .col(money(PaySandboxOrders::Refunded))
                .col(at(PaySandboxOrders::CreatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PaySandboxOrders::Table.into_iden(),
            PayRefunds::Table.into_iden(),
            PayLocks::Table.into_iden(),
            PayInbox::Table.into_iden(),
            PayEvents::Table.into_iden(),
            PayPaymentInstallments::Table.into_iden(),
            PayPayments::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
