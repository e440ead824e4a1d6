//! What a correction looks up by the journal entry it reverses: whether the entry has been
//! reversed already (`ledger_entries.reverses`) and the payment it posted
//! (`finance_payments.entry_id`). Without these indexes each was a scan of the whole table, so
//! undoing a statement import took time growing with the square of its lines (20,000 lines:
//! ~100 s). Only reversals carry `reverses`, so that index is partial and ordinary postings
//! never touch it; payments' entry ids are time-ordered and land at the index's right edge.

use sea_orm_migration::prelude::*;

use super::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FinancePayments {
    Table,
    EntryId,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_finance_payments_entry",
            FinancePayments::Table,
            vec![FinancePayments::EntryId.into_iden()],
            false,
        ))
        .await?;
        // Partial indexes are written the same on both backends.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_ledger_entries_reverses ON ledger_entries (reverses) \
                 WHERE reverses IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_ledger_entries_reverses")
                .table(LedgerEntries::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_finance_payments_entry")
                .table(FinancePayments::Table)
                .to_owned(),
        )
        .await
    }
}
