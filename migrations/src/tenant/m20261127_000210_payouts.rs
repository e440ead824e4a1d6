//! Gateway payouts: what a gateway transferred to the municipality's bank account in one sum,
//! and which succeeded payments it carried. The bank statement line of a payout settles the
//! money in transit (141) of exactly those payments.

use sea_orm_migration::prelude::*;

use super::columns::{at, id_uuid, index, money};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PayPayouts {
    Table,
    Id,
    Gateway,
    Reference,
    Gross,
    Fee,
    Amount,
    SettledLineId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayPayoutItems {
    Table,
    PayoutId,
    PaymentId,
    Amount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PayPayouts::Table)
                .col(id_uuid(PayPayouts::Id))
                .col(
                    ColumnDef::new(PayPayouts::Gateway)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PayPayouts::Reference)
                        .string_len(100)
                        .not_null()
                        .unique_key(),
                )
                .col(money(PayPayouts::Gross))
                .col(money(PayPayouts::Fee))
                .col(money(PayPayouts::Amount))
                .col(ColumnDef::new(PayPayouts::SettledLineId).uuid())
                .col(at(PayPayouts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PayPayoutItems::Table)
                .col(ColumnDef::new(PayPayoutItems::PayoutId).uuid().not_null())
                .col(ColumnDef::new(PayPayoutItems::PaymentId).uuid().not_null())
                .col(money(PayPayoutItems::Amount))
                .primary_key(
                    Index::create()
                        .col(PayPayoutItems::PayoutId)
                        .col(PayPayoutItems::PaymentId),
                )
                .to_owned(),
        )
        .await?;
        // A payment is paid out once.
        m.create_index(index(
            "ux_pay_payout_items_payment",
            PayPayoutItems::Table,
            vec![PayPayoutItems::PaymentId.into_iden()],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PayPayoutItems::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PayPayouts::Table).to_owned())
            .await
    }
}
