//! Bank statements: each import (one file, all-or-nothing), the statements it held, every
//! line with what it was matched to and the entry that posted it, and the dedupe keys seen
//! per bank account (so an overlapping or repeated statement posts nothing twice).

use sea_orm_migration::prelude::*;

use super::columns::{at, id_uuid, index, money, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StImports {
    Table,
    Id,
    FileName,
    Sha256,
    Format,
    Statements,
    Lines,
    Matched,
    Unmatched,
    Duplicates,
    Total,
    ImportedBy,
    ImportedAt,
    ReversedAt,
    ReversedBy,
    ReverseReason,
}

#[derive(DeriveIden)]
enum StStatements {
    Table,
    Id,
    ImportId,
    Account,
    Reference,
    Number,
    Currency,
    Intraday,
    OpeningDate,
    Opening,
    ClosingDate,
    Closing,
}

#[derive(DeriveIden)]
enum StLines {
    Table,
    Id,
    ImportId,
    StatementId,
    Position,
    SourceLine,
    ValueDate,
    BookingDate,
    PayerDate,
    Direction,
    Amount,
    Title,
    CounterpartyName,
    CounterpartyAccount,
    CreditedAccount,
    TransactionId,
    DedupeKey,
    Status,
    MatchedBy,
    PartyId,
    PaymentId,
    EntryId,
    Note,
}

#[derive(DeriveIden)]
enum StSeen {
    Table,
    Account,
    DedupeKey,
    LineId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StImports::Table)
                .col(id_uuid(StImports::Id))
                .col(text(StImports::FileName, 300))
                .col(text(StImports::Sha256, 64))
                .col(text(StImports::Format, 16))
                .col(ColumnDef::new(StImports::Statements).integer().not_null())
                .col(ColumnDef::new(StImports::Lines).integer().not_null())
                .col(ColumnDef::new(StImports::Matched).integer().not_null())
                .col(ColumnDef::new(StImports::Unmatched).integer().not_null())
                .col(ColumnDef::new(StImports::Duplicates).integer().not_null())
                .col(money(StImports::Total))
                .col(ColumnDef::new(StImports::ImportedBy).uuid())
                .col(at(StImports::ImportedAt))
                .col(ColumnDef::new(StImports::ReversedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(StImports::ReversedBy).uuid())
                .col(ColumnDef::new(StImports::ReverseReason).string_len(500))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StStatements::Table)
                .col(id_uuid(StStatements::Id))
                .col(ColumnDef::new(StStatements::ImportId).uuid().not_null())
                .col(text(StStatements::Account, 40))
                .col(text(StStatements::Reference, 100))
                .col(ColumnDef::new(StStatements::Number).string_len(40))
                .col(text(StStatements::Currency, 3))
                .col(ColumnDef::new(StStatements::Intraday).boolean().not_null())
                .col(ColumnDef::new(StStatements::OpeningDate).date())
                .col(ColumnDef::new(StStatements::Opening).big_integer())
                .col(ColumnDef::new(StStatements::ClosingDate).date())
                .col(ColumnDef::new(StStatements::Closing).big_integer())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_st_statements_import",
            StStatements::Table,
            vec![StStatements::ImportId.into_iden()],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(StLines::Table)
                .col(id_uuid(StLines::Id))
                .col(ColumnDef::new(StLines::ImportId).uuid().not_null())
                .col(ColumnDef::new(StLines::StatementId).uuid().not_null())
                .col(ColumnDef::new(StLines::Position).integer().not_null())
                .col(ColumnDef::new(StLines::SourceLine).integer().not_null())
                .col(ColumnDef::new(StLines::ValueDate).date().not_null())
                .col(ColumnDef::new(StLines::BookingDate).date())
                .col(ColumnDef::new(StLines::PayerDate).date())
                .col(text(StLines::Direction, 6))
                .col(money(StLines::Amount))
                .col(text(StLines::Title, 1000))
                .col(ColumnDef::new(StLines::CounterpartyName).string_len(300))
                .col(ColumnDef::new(StLines::CounterpartyAccount).string_len(40))
                .col(ColumnDef::new(StLines::CreditedAccount).string_len(40))
                .col(ColumnDef::new(StLines::TransactionId).string_len(100))
                .col(text(StLines::DedupeKey, 200))
                .col(text(StLines::Status, 16))
                .col(ColumnDef::new(StLines::MatchedBy).string_len(32))
                .col(ColumnDef::new(StLines::PartyId).uuid())
                .col(ColumnDef::new(StLines::PaymentId).uuid())
                .col(ColumnDef::new(StLines::EntryId).uuid())
                .col(ColumnDef::new(StLines::Note).string_len(500))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_st_lines_statement", StLines::StatementId),
            ("ix_st_lines_import", StLines::ImportId),
            ("ix_st_lines_status", StLines::Status),
        ] {
            m.create_index(index(name, StLines::Table, vec![col.into_iden()], false))
                .await?;
        }
        m.create_table(
            Table::create()
                .table(StSeen::Table)
                .col(text(StSeen::Account, 40))
                .col(text(StSeen::DedupeKey, 200))
                .col(ColumnDef::new(StSeen::LineId).uuid().not_null())
                .primary_key(Index::create().col(StSeen::Account).col(StSeen::DedupeKey))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StSeen::Table.into_iden(),
            StLines::Table.into_iden(),
            StStatements::Table.into_iden(),
            StImports::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
