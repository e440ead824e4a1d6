//! Dunning notices (upomnienia): one per debtor and run, numbered `UP/<year>/<nnnnnn>` per
//! tenant and year, with the overdue items and interest as of the issue date, the cost of the
//! notice, its review status (prepared, approved, sent, delivered, cancelled), the delivery
//! date and the cost charged to the debtor on delivery.

use sea_orm_migration::prelude::*;

use super::columns::{at, id_uuid, index, money};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DunningNotices {
    Table,
    Id,
    Number,
    PartyId,
    BatchId,
    IssueDate,
    Items,
    Principal,
    Interest,
    Cost,
    Total,
    Status,
    MessageId,
    DeliveredOn,
    CostId,
    EntryId,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DunningNotices::Table)
                .col(id_uuid(DunningNotices::Id))
                .col(
                    ColumnDef::new(DunningNotices::Number)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(DunningNotices::PartyId).uuid().not_null())
                .col(ColumnDef::new(DunningNotices::BatchId).uuid().not_null())
                .col(ColumnDef::new(DunningNotices::IssueDate).date().not_null())
                .col(ColumnDef::new(DunningNotices::Items).text().not_null())
                .col(money(DunningNotices::Principal))
                .col(money(DunningNotices::Interest))
                .col(money(DunningNotices::Cost))
                .col(money(DunningNotices::Total))
                .col(
                    ColumnDef::new(DunningNotices::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(DunningNotices::MessageId).uuid())
                .col(ColumnDef::new(DunningNotices::DeliveredOn).date())
                .col(ColumnDef::new(DunningNotices::CostId).uuid())
                .col(ColumnDef::new(DunningNotices::EntryId).uuid())
                .col(at(DunningNotices::CreatedAt))
                .col(ColumnDef::new(DunningNotices::CreatedBy).uuid())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_dunning_notices_number",
            DunningNotices::Table,
            vec![DunningNotices::Number.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_dunning_notices_batch",
            DunningNotices::Table,
            vec![DunningNotices::BatchId.into_iden()],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_dunning_notices_party",
            DunningNotices::Table,
            vec![
                DunningNotices::PartyId.into_iden(),
                DunningNotices::IssueDate.into_iden(),
            ],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DunningNotices::Table).to_owned())
            .await
    }
}
