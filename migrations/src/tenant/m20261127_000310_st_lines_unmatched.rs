//! The statement lines' index on `status` held every line under one of six values, and every
//! query by status either names an import as well (its own index) or asks for the clerk's
//! queue. A partial index on the unmatched lines alone, by value date (the queue's order),
//! serves the queue and costs nothing when a line is posted.

use sea_orm_migration::prelude::*;

use super::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StLines {
    Table,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_st_lines_status")
                .table(StLines::Table)
                .to_owned(),
        )
        .await?;
        // Partial indexes are written the same on both backends.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_st_lines_unmatched ON st_lines (value_date) \
                 WHERE status = 'unmatched'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_st_lines_unmatched")
                .table(StLines::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_st_lines_status",
            StLines::Table,
            vec![StLines::Status.into_iden()],
            false,
        ))
        .await
    }
}
