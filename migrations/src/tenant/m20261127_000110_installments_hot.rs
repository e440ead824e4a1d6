//! Paying an installment rewrites its `outstanding` (and `paid_on`) and nothing else. With no
//! index on those columns and room left on each page, PostgreSQL updates the row in place of
//! its page (a HOT update) without touching any index: a statement's thousands of postings
//! then cost a fraction of the writes. The due-date index therefore no longer carries
//! `outstanding` (every query on it filters by due date first), and the table's pages are
//! filled to 80 %.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use super::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FinanceInstallments {
    Table,
    DueDate,
    Outstanding,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_finance_installments_due_outstanding")
                .table(FinanceInstallments::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_installments_due",
            FinanceInstallments::Table,
            vec![FinanceInstallments::DueDate.into_iden()],
            false,
        ))
        .await?;
        fillfactor(m, 80).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_finance_installments_due")
                .table(FinanceInstallments::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_installments_due_outstanding",
            FinanceInstallments::Table,
            vec![
                FinanceInstallments::DueDate.into_iden(),
                FinanceInstallments::Outstanding.into_iden(),
            ],
            false,
        ))
        .await?;
        fillfactor(m, 100).await
    }
}

/// SQLite has no fill factor (and no HOT updates to make room for).
async fn fillfactor(m: &SchemaManager<'_>, percent: u8) -> Result<(), DbErr> {
    if m.get_database_backend() == DbBackend::Postgres {
        m.get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE finance_installments SET (fillfactor = {percent})"
            ))
            .await?;
    }
    Ok(())
}
