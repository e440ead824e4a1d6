//! An obligation's document number — the decision (decyzja, nakaz płatniczy) or agreement it
//! comes from, such as `FN.3120.1.15.2026`. Payers write it in transfer titles to say what
//! they pay (art. 62 § 2 OP), so statements look obligations up by it. Stored upper-case;
//! not unique, since two kinds may number their documents alike (a title matching two
//! obligations indicates neither).

use sea_orm_migration::prelude::*;

use super::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FinanceObligations {
    Table,
    Reference,
}

const INDEX: &str = "ix_finance_obligations_reference";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(FinanceObligations::Table)
                .add_column(ColumnDef::new(FinanceObligations::Reference).string_len(100))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            INDEX,
            FinanceObligations::Table,
            vec![FinanceObligations::Reference.into_iden()],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table(FinanceObligations::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(FinanceObligations::Table)
                .drop_column(FinanceObligations::Reference)
                .to_owned(),
        )
        .await
    }
}
