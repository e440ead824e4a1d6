//! The finance e-service: parties, the fee catalogue, obligations and their installments,
//! payments and their allocation, and the double-entry ledger. Money is BIGINT grosze.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FinanceKinds {
    Table,
    Id,
    Code,
    ValidFrom,
    ValidTo,
    Name,
    Dzial,
    Rozdzial,
    Paragraf,
    ReceivableAccount,
    RevenueAccount,
    InterestRegime,
    WholeZloty,
    Schedule,
    VirtualAccount,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum FinanceParties {
    Table,
    Id,
    Number,
    Kind,
    Name,
    Pesel,
    PeselHmac,
    Nip,
    Regon,
    Krs,
    Street,
    PostalCode,
    City,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FinanceConsents {
    Table,
    PartyId,
    Channel,
    Granted,
    At,
    Source,
}

#[derive(DeriveIden)]
enum FinancePartyLinks {
    Table,
    AccountId,
    PartyId,
    Method,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden)]
enum FinanceAccessCodes {
    Table,
    PartyId,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum FinanceVirtualAccounts {
    Table,
    Nrb,
    PartyId,
    KindCode,
}

#[derive(DeriveIden)]
enum FinanceObligations {
    Table,
    Id,
    PartyId,
    KindCode,
    Year,
    Title,
    Amount,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FinanceInstallments {
    Table,
    Id,
    ObligationId,
    PartyId,
    Number,
    DueDate,
    Amount,
    Outstanding,
    PaidOn,
}

#[derive(DeriveIden)]
enum FinanceCosts {
    Table,
    Id,
    PartyId,
    Description,
    Amount,
    Outstanding,
    DeliveredOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FinancePayments {
    Table,
    Id,
    PartyId,
    Amount,
    PaidOn,
    Channel,
    Title,
    IdempotencyKey,
    Overpayment,
    EntryId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FinanceAllocations {
    Table,
    Id,
    PaymentId,
    InstallmentId,
    CostId,
    Principal,
    Interest,
    Costs,
}

#[derive(DeriveIden)]
enum LedgerAccounts {
    Table,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    IdempotencyKey,
    EntryDate,
    Description,
    Reverses,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum LedgerLines {
    Table,
    Id,
    EntryId,
    Account,
    PartyId,
    ObligationId,
    Debit,
    Credit,
}

fn id_uuid<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn money<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn at<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(col);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(FinanceKinds::Table)
                .col(
                    ColumnDef::new(FinanceKinds::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(FinanceKinds::Code).string_len(40).not_null())
                .col(ColumnDef::new(FinanceKinds::ValidFrom).date().not_null())
                .col(ColumnDef::new(FinanceKinds::ValidTo).date())
                .col(ColumnDef::new(FinanceKinds::Name).string().not_null())
                .col(ColumnDef::new(FinanceKinds::Dzial).string_len(3).not_null())
                .col(
                    ColumnDef::new(FinanceKinds::Rozdzial)
                        .string_len(5)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceKinds::Paragraf)
                        .string_len(4)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceKinds::ReceivableAccount)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceKinds::RevenueAccount)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceKinds::InterestRegime)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceKinds::WholeZloty)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(FinanceKinds::Schedule).text().not_null())
                .col(
                    ColumnDef::new(FinanceKinds::VirtualAccount)
                        .boolean()
                        .not_null(),
                )
                .col(at(FinanceKinds::CreatedAt))
                .col(ColumnDef::new(FinanceKinds::CreatedBy).uuid())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_finance_kinds_code_from",
            FinanceKinds::Table,
            vec![
                FinanceKinds::Code.into_iden(),
                FinanceKinds::ValidFrom.into_iden(),
            ],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FinanceParties::Table)
                .col(id_uuid(FinanceParties::Id))
                .col(
                    ColumnDef::new(FinanceParties::Number)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceParties::Kind)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(FinanceParties::Name).string().not_null())
                .col(ColumnDef::new(FinanceParties::Pesel).string_len(11))
                .col(ColumnDef::new(FinanceParties::PeselHmac).string_len(64))
                .col(ColumnDef::new(FinanceParties::Nip).string_len(10))
                .col(ColumnDef::new(FinanceParties::Regon).string_len(14))
                .col(ColumnDef::new(FinanceParties::Krs).string_len(10))
                .col(ColumnDef::new(FinanceParties::Street).string())
                .col(ColumnDef::new(FinanceParties::PostalCode).string_len(6))
                .col(ColumnDef::new(FinanceParties::City).string())
                .col(ColumnDef::new(FinanceParties::Email).string_len(254))
                .col(ColumnDef::new(FinanceParties::Phone).string_len(32))
                .col(at(FinanceParties::CreatedAt))
                .to_owned(),
        )
        .await?;
        for (name, col, unique) in [
            ("ux_finance_parties_number", FinanceParties::Number, true),
            ("ix_finance_parties_pesel", FinanceParties::Pesel, false),
            (
                "ix_finance_parties_pesel_hmac",
                FinanceParties::PeselHmac,
                false,
            ),
            ("ix_finance_parties_nip", FinanceParties::Nip, false),
            ("ix_finance_parties_name", FinanceParties::Name, false),
        ] {
            m.create_index(index(
                name,
                FinanceParties::Table,
                vec![col.into_iden()],
                unique,
            ))
            .await?;
        }

        m.create_table(
            Table::create()
                .table(FinanceConsents::Table)
                .col(ColumnDef::new(FinanceConsents::PartyId).uuid().not_null())
                .col(
                    ColumnDef::new(FinanceConsents::Channel)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceConsents::Granted)
                        .boolean()
                        .not_null(),
                )
                .col(at(FinanceConsents::At))
                .col(
                    ColumnDef::new(FinanceConsents::Source)
                        .string_len(64)
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(FinanceConsents::PartyId)
                        .col(FinanceConsents::Channel),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FinancePartyLinks::Table)
                .col(
                    ColumnDef::new(FinancePartyLinks::AccountId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(FinancePartyLinks::PartyId).uuid().not_null())
                .col(
                    ColumnDef::new(FinancePartyLinks::Method)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(FinancePartyLinks::GrantedBy).uuid())
                .col(at(FinancePartyLinks::GrantedAt))
                .primary_key(
                    Index::create()
                        .col(FinancePartyLinks::AccountId)
                        .col(FinancePartyLinks::PartyId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FinanceAccessCodes::Table)
                .col(
                    ColumnDef::new(FinanceAccessCodes::PartyId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceAccessCodes::CodeHash)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(at(FinanceAccessCodes::CreatedAt))
                .col(at(FinanceAccessCodes::ExpiresAt))
                .col(ColumnDef::new(FinanceAccessCodes::UsedAt).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FinanceVirtualAccounts::Table)
                .col(
                    ColumnDef::new(FinanceVirtualAccounts::Nrb)
                        .string_len(26)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(FinanceVirtualAccounts::PartyId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceVirtualAccounts::KindCode)
                        .string_len(40)
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_finance_virtual_accounts_party_kind",
            FinanceVirtualAccounts::Table,
            vec![
                FinanceVirtualAccounts::PartyId.into_iden(),
                FinanceVirtualAccounts::KindCode.into_iden(),
            ],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FinanceObligations::Table)
                .col(id_uuid(FinanceObligations::Id))
                .col(
                    ColumnDef::new(FinanceObligations::PartyId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceObligations::KindCode)
                        .string_len(40)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceObligations::Year)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceObligations::Title)
                        .string()
                        .not_null(),
                )
                .col(money(FinanceObligations::Amount))
                .col(
                    ColumnDef::new(FinanceObligations::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(at(FinanceObligations::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_obligations_party",
            FinanceObligations::Table,
            vec![
                FinanceObligations::PartyId.into_iden(),
                FinanceObligations::Year.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FinanceInstallments::Table)
                .col(id_uuid(FinanceInstallments::Id))
                .col(
                    ColumnDef::new(FinanceInstallments::ObligationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceInstallments::PartyId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceInstallments::Number)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FinanceInstallments::DueDate)
                        .date()
                        .not_null(),
                )
                .col(money(FinanceInstallments::Amount))
                .col(money(FinanceInstallments::Outstanding))
                .col(ColumnDef::new(FinanceInstallments::PaidOn).date())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_installments_obligation",
            FinanceInstallments::Table,
            vec![FinanceInstallments::ObligationId.into_iden()],
            false,
        ))
        .await?;
        // Serves both the resident's open items and the arrears list (outstanding > 0 by due date).
        m.create_index(index(
            "ix_finance_installments_party_due",
            FinanceInstallments::Table,
            vec![
                FinanceInstallments::PartyId.into_iden(),
                FinanceInstallments::DueDate.into_iden(),
            ],
            false,
        ))
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

        m.create_table(
            Table::create()
                .table(FinanceCosts::Table)
                .col(id_uuid(FinanceCosts::Id))
                .col(ColumnDef::new(FinanceCosts::PartyId).uuid().not_null())
                .col(
                    ColumnDef::new(FinanceCosts::Description)
                        .string()
                        .not_null(),
                )
                .col(money(FinanceCosts::Amount))
                .col(money(FinanceCosts::Outstanding))
                .col(ColumnDef::new(FinanceCosts::DeliveredOn).date().not_null())
                .col(at(FinanceCosts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_costs_party",
            FinanceCosts::Table,
            vec![FinanceCosts::PartyId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(LedgerAccounts::Table)
                .col(
                    ColumnDef::new(LedgerAccounts::Code)
                        .string_len(20)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LedgerAccounts::Name).string().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(id_uuid(LedgerEntries::Id))
                .col(
                    ColumnDef::new(LedgerEntries::IdempotencyKey)
                        .string_len(200)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(LedgerEntries::EntryDate).date().not_null())
                .col(
                    ColumnDef::new(LedgerEntries::Description)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(LedgerEntries::Reverses).uuid())
                .col(at(LedgerEntries::CreatedAt))
                .col(ColumnDef::new(LedgerEntries::CreatedBy).uuid())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_ledger_entries_date",
            LedgerEntries::Table,
            vec![LedgerEntries::EntryDate.into_iden()],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerLines::Table)
                .col(
                    ColumnDef::new(LedgerLines::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(LedgerLines::EntryId).uuid().not_null())
                .col(
                    ColumnDef::new(LedgerLines::Account)
                        .string_len(20)
                        .not_null(),
                )
                .col(ColumnDef::new(LedgerLines::PartyId).uuid())
                .col(ColumnDef::new(LedgerLines::ObligationId).uuid())
                .col(money(LedgerLines::Debit))
                .col(money(LedgerLines::Credit))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_ledger_lines_entry",
            LedgerLines::Table,
            vec![LedgerLines::EntryId.into_iden()],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_ledger_lines_party",
            LedgerLines::Table,
            vec![
                LedgerLines::PartyId.into_iden(),
                LedgerLines::Account.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FinancePayments::Table)
                .col(id_uuid(FinancePayments::Id))
                .col(ColumnDef::new(FinancePayments::PartyId).uuid().not_null())
                .col(money(FinancePayments::Amount))
                .col(ColumnDef::new(FinancePayments::PaidOn).date().not_null())
                .col(
                    ColumnDef::new(FinancePayments::Channel)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(FinancePayments::Title).string().not_null())
                .col(
                    ColumnDef::new(FinancePayments::IdempotencyKey)
                        .string_len(200)
                        .not_null()
                        .unique_key(),
                )
                .col(money(FinancePayments::Overpayment))
                .col(ColumnDef::new(FinancePayments::EntryId).uuid().not_null())
                .col(at(FinancePayments::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_payments_party",
            FinancePayments::Table,
            vec![
                FinancePayments::PartyId.into_iden(),
                FinancePayments::PaidOn.into_iden(),
            ],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(FinanceAllocations::Table)
                .col(
                    ColumnDef::new(FinanceAllocations::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(FinanceAllocations::PaymentId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(FinanceAllocations::InstallmentId).uuid())
                .col(ColumnDef::new(FinanceAllocations::CostId).uuid())
                .col(money(FinanceAllocations::Principal))
                .col(money(FinanceAllocations::Interest))
                .col(money(FinanceAllocations::Costs))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_finance_allocations_payment",
            FinanceAllocations::Table,
            vec![FinanceAllocations::PaymentId.into_iden()],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FinanceAllocations::Table.into_iden(),
            FinancePayments::Table.into_iden(),
            LedgerLines::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
            LedgerAccounts::Table.into_iden(),
            FinanceCosts::Table.into_iden(),
            FinanceInstallments::Table.into_iden(),
            FinanceObligations::Table.into_iden(),
            FinanceVirtualAccounts::Table.into_iden(),
            FinanceAccessCodes::Table.into_iden(),
            FinancePartyLinks::Table.into_iden(),
            FinanceConsents::Table.into_iden(),
            FinanceParties::Table.into_iden(),
            FinanceKinds::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
