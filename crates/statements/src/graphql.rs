//! The statements e-service's GraphQL, for finance clerks: `statements { import … }` uploads a
//! file (GraphQL multipart request), `statements { imports unmatched reconciliation }` lists
//! what came in and what waits, `payerSuggestions` names the payers clerks recognised before
//! by the sender's account, `resolveLine` and `undoImport` correct it.

use std::io::Read;

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject, Upload,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wspolnota_core::graphql::{EServiceGuard, ctx, eservice_visible};
use wspolnota_core::{AppError, ClerkScope, Money, TenantDb};

use crate::ID_;
use crate::entity::{import, line, statement};
use crate::parse::FormatHint;
use crate::service::import::{ImportInput, ImportSummary};
use crate::service::resolve::Resolution;
use crate::service::{Statements, import as importer, payers, report, resolve, undo};

fn visible(gql: &Context<'_>) -> bool {
    eservice_visible(gql, ID_)
}

fn svc<'a>(gql: &Context<'a>) -> async_graphql::Result<&'a Statements> {
    gql.data::<Statements>()
}

fn uuid(field: &str, id: &ID) -> async_graphql::Result<Uuid> {
    wspolnota_core::graphql::parse_id(field, id)
}

fn ext(e: impl Into<AppError>) -> async_graphql::Error {
    e.into().extend()
}

/// Largest statement file accepted (a busy month of a city's collection account).
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum StatementFormat {
    #[graphql(name = "MT940")]
    Mt940,
    #[graphql(name = "CAMT053")]
    Camt053,
    /// Recognised from the content.
    #[graphql(name = "AUTO")]
    Auto,
}

/// A payer a clerk recognised before by the account a credit came from.
#[derive(SimpleObject)]
pub struct PayerSuggestion {
    pub party_id: ID,
    /// The party's number in the municipality's register.
    pub party_number: String,
    pub party_name: String,
    /// Credits from the account clerks have assigned to this party.
    pub assignments: i32,
    pub last_assigned_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
#[graphql(name = "StatementImportSummary")]
pub struct Summary {
    pub id: ID,
    pub statements: i32,
    pub lines: i32,
    pub matched: i32,
    pub unmatched: i32,
    pub debits: i32,
    pub duplicates: i32,
    /// The sum of the credits imported.
    pub total: Money,
}

fn n(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl From<ImportSummary> for Summary {
    fn from(s: ImportSummary) -> Self {
        Self {
            id: ID(s.id.to_string()),
            statements: n(s.statements),
            lines: n(s.lines),
            matched: n(s.matched),
            unmatched: n(s.unmatched),
            debits: n(s.debits),
            duplicates: n(s.duplicates),
            total: s.total,
        }
    }
}

#[derive(SimpleObject)]
pub struct StatementLine {
    pub id: ID,
    pub import_id: ID,
    pub position: i32,
    /// The line of the file where the entry starts.
    pub source_line: i32,
    pub value_date: NaiveDate,
    pub payer_date: Option<NaiveDate>,
    pub credit: bool,
    pub amount: Money,
    pub title: String,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub credited_account: Option<String>,
    /// posted | payout | unmatched | resolved | refunded | debit | reversed
    pub status: String,
    /// virtual_account | payout | party_number | decision_number | nip | pesel | clerk
    pub matched_by: Option<String>,
    pub party_id: Option<ID>,
    pub payment_id: Option<ID>,
    pub note: Option<String>,
}

impl From<line::Model> for StatementLine {
    fn from(l: line::Model) -> Self {
        Self {
            id: ID(l.id.to_string()),
            import_id: ID(l.import_id.to_string()),
            position: l.position,
            source_line: l.source_line,
            value_date: l.value_date,
            payer_date: l.payer_date,
            credit: l.direction == "credit",
            amount: Money::from_grosze(l.amount),
            title: l.title,
            counterparty_name: l.counterparty_name,
            counterparty_account: l.counterparty_account,
            credited_account: l.credited_account,
            status: l.status,
            matched_by: l.matched_by,
            party_id: l.party_id.map(|p| ID(p.to_string())),
            payment_id: l.payment_id.map(|p| ID(p.to_string())),
            note: l.note,
        }
    }
}

#[derive(SimpleObject)]
pub struct BankStatement {
    pub id: ID,
    pub account: String,
    pub reference: String,
    pub number: Option<String>,
    pub intraday: bool,
    pub opening_date: Option<NaiveDate>,
    pub opening: Option<Money>,
    pub closing_date: Option<NaiveDate>,
    pub closing: Option<Money>,
}

impl From<statement::Model> for BankStatement {
    fn from(s: statement::Model) -> Self {
        Self {
            id: ID(s.id.to_string()),
            account: s.account,
            reference: s.reference,
            number: s.number,
            intraday: s.intraday,
            opening_date: s.opening_date,
            opening: s.opening.map(Money::from_grosze),
            closing_date: s.closing_date,
            closing: s.closing.map(Money::from_grosze),
        }
    }
}

/// One imported file.
pub struct StatementImport(import::Model);

#[Object]
impl StatementImport {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    async fn format(&self) -> &str {
        &self.0.format
    }
    async fn lines(&self) -> i32 {
        self.0.lines
    }
    async fn matched(&self) -> i32 {
        self.0.matched
    }
    async fn unmatched(&self) -> i32 {
        self.0.unmatched
    }
    async fn duplicates(&self) -> i32 {
        self.0.duplicates
    }
    async fn total(&self) -> Money {
        Money::from_grosze(self.0.total)
    }
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }
    async fn reversed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reversed_at
    }
    async fn statements(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<BankStatement>> {
        let tx = TenantDb::begin(ctx(gql)?).await.map_err(ext)?;
        let rows = statement::Entity::find()
            .filter(statement::Column::ImportId.eq(self.0.id))
            .all(&*tx)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
    /// Its lines, in file order (`status` filters).
    async fn entries(
        &self,
        gql: &Context<'_>,
        status: Option<String>,
    ) -> async_graphql::Result<Vec<StatementLine>> {
        let tx = TenantDb::begin(ctx(gql)?).await.map_err(ext)?;
        let mut query = line::Entity::find().filter(line::Column::ImportId.eq(self.0.id));
        if let Some(status) = status {
            query = query.filter(line::Column::Status.eq(status));
        }
        let rows = query
            .order_by_asc(line::Column::SourceLine)
            .all(&*tx)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(SimpleObject)]
pub struct AccountReconciliation {
    pub account: String,
    pub statement_closing: Option<Money>,
    pub closing_date: Option<NaiveDate>,
    pub credits: Money,
    pub debits: Money,
}

#[derive(SimpleObject)]
pub struct MoneyInTransit {
    pub payment_id: ID,
    pub party_id: ID,
    pub gateway: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub days: i32,
}

#[derive(SimpleObject)]
pub struct UnsettledPayout {
    pub reference: String,
    pub gateway: String,
    pub amount: Money,
    pub created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Reconciliation {
    pub accounts: Vec<AccountReconciliation>,
    /// The ledger's bank account: debits − credits.
    pub ledger_bank: Money,
    pub unmatched_count: i32,
    pub unmatched_total: Money,
    pub in_transit: Vec<MoneyInTransit>,
    pub unsettled_payouts: Vec<UnsettledPayout>,
}

#[derive(Default)]
pub struct StatementsQueryRoot;

#[Object]
impl StatementsQueryRoot {
    /// Bank statements: imports, unidentified receipts, reconciliation (finance clerks).
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn statements(&self) -> StatementsQuery {
        StatementsQuery
    }
}

pub struct StatementsQuery;

#[Object]
impl StatementsQuery {
    /// Imported files, newest first.
    async fn imports(
        &self,
        gql: &Context<'_>,
        #[graphql(default = 50)] limit: i32,
    ) -> async_graphql::Result<Vec<StatementImport>> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(ClerkScope::Finance).map_err(ext)?;
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        let rows = import::Entity::find()
            .order_by_desc(import::Column::ImportedAt)
            .limit(u64::try_from(limit.clamp(1, 500)).unwrap_or(50))
            .all(&*tx)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(rows.into_iter().map(StatementImport).collect())
    }

    async fn import(&self, gql: &Context<'_>, id: ID) -> async_graphql::Result<StatementImport> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(ClerkScope::Finance).map_err(ext)?;
        let id = uuid("id", &id)?;
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        let row = import::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .map_err(ext)?
            .ok_or_else(|| ext(AppError::not_found("no such import")))?;
        tx.commit().await.map_err(ext)?;
        Ok(StatementImport(row))
    }

    /// Credits no party was found for, oldest first.
    async fn unmatched(
        &self,
        gql: &Context<'_>,
        #[graphql(default = 100)] limit: i32,
    ) -> async_graphql::Result<Vec<StatementLine>> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(ClerkScope::Finance).map_err(ext)?;
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        let rows = line::Entity::find()
            .filter(line::Column::Status.eq("unmatched"))
            .order_by_asc(line::Column::ValueDate)
            .limit(u64::try_from(limit.clamp(1, 1000)).unwrap_or(100))
            .all(&*tx)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Parties clerks have assigned credits from this unmatched credit's sender account to,
    /// the latest first (at most five): a suggestion, not a match.
    async fn payer_suggestions(
        &self,
        gql: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<Vec<PayerSuggestion>> {
        let line_id = uuid("lineId", &line_id)?;
        let found = payers::suggestions(ctx(gql)?, line_id).await.map_err(ext)?;
        Ok(found
            .into_iter()
            .map(|s| PayerSuggestion {
                party_id: ID(s.party.id.to_string()),
                party_number: s.party.number.to_string(),
                party_name: s.party.name,
                assignments: s.assignments,
                last_assigned_at: s.last_assigned_at,
            })
            .collect())
    }

    /// Statement balances, unidentified receipts, money in transit older than
    /// `olderThanDays`, payouts not yet seen on a statement.
    async fn reconciliation(
        &self,
        gql: &Context<'_>,
        #[graphql(default = 7)] older_than_days: i32,
    ) -> async_graphql::Result<Reconciliation> {
        let r = report::reconcile(
            svc(gql)?,
            ctx(gql)?,
            u32::try_from(older_than_days.max(0)).unwrap_or(0),
        )
        .await
        .map_err(ext)?;
        Ok(Reconciliation {
            accounts: r
                .accounts
                .into_iter()
                .map(|a| AccountReconciliation {
                    account: a.account,
                    statement_closing: a.statement_closing,
                    closing_date: a.closing_date,
                    credits: a.credits,
                    debits: a.debits,
                })
                .collect(),
            ledger_bank: r.ledger_bank,
            unmatched_count: n(r.unmatched_count),
            unmatched_total: r.unmatched_total,
            in_transit: r
                .in_transit
                .into_iter()
                .map(|t| MoneyInTransit {
                    payment_id: ID(t.payment_id.to_string()),
                    party_id: ID(t.party_id.to_string()),
                    gateway: t.gateway,
                    amount: t.amount,
                    paid_at: t.paid_at,
                    days: i32::try_from(t.days).unwrap_or(i32::MAX),
                })
                .collect(),
            unsettled_payouts: r
                .unsettled_payouts
                .into_iter()
                .map(|p| UnsettledPayout {
                    reference: p.reference,
                    gateway: p.gateway,
                    amount: Money::from_grosze(p.amount),
                    created_at: p.created_at,
                })
                .collect(),
        })
    }
}

/// What a clerk decides about an unmatched credit.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LineResolution {
    /// Pay the party's obligations with it.
    Assign,
    /// Income other than taxes and fees, on `account`.
    NonTaxIncome,
    /// Return it to the sender.
    Refund,
}

#[derive(InputObject)]
pub struct ResolveLineInput {
    pub line_id: ID,
    pub action: LineResolution,
    pub party_id: Option<ID>,
    pub obligation_id: Option<ID>,
    pub account: Option<String>,
    pub reason: String,
}

#[derive(Default)]
pub struct StatementsMutationRoot;

#[Object]
impl StatementsMutationRoot {
    /// Bank statements: import, resolve, undo (finance clerks).
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn statements(&self) -> StatementsMutation {
        StatementsMutation
    }
}

pub struct StatementsMutation;

#[Object]
impl StatementsMutation {
    /// Imports a statement file (MT940/MT942 or camt.053) whole or not at all; its credits are
    /// matched and posted. Importing the same lines again posts nothing.
    async fn import(
        &self,
        gql: &Context<'_>,
        file: Upload,
        #[graphql(default_with = "StatementFormat::Auto")] format: StatementFormat,
        bank_account: Option<String>,
    ) -> async_graphql::Result<Summary> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(ClerkScope::Finance).map_err(ext)?;
        let upload = file.value(gql)?;
        let file_name = upload.filename.clone();
        let size = upload.size().map_err(|e| {
            ext(AppError::validation(
                "file",
                format!("cannot read the upload: {e}"),
            ))
        })?;
        if size > MAX_FILE_BYTES {
            return Err(ext(AppError::validation(
                "file",
                format!("{file_name}: larger than {} MiB", MAX_FILE_BYTES >> 20),
            )));
        }
        // Read from the upload's file as the import goes, never held whole.
        let reader = Box::new(upload.into_read().take(MAX_FILE_BYTES));
        let summary = importer::import(
            svc(gql)?,
            ctx,
            ImportInput {
                file_name,
                reader,
                format: match format {
                    StatementFormat::Mt940 => FormatHint::Mt940,
                    StatementFormat::Camt053 => FormatHint::Camt053,
                    StatementFormat::Auto => FormatHint::Auto,
                },
                bank_account,
            },
        )
        .await
        .map_err(ext)?;
        Ok(summary.into())
    }

    /// Decides about an unmatched credit.
    async fn resolve_line(
        &self,
        gql: &Context<'_>,
        input: ResolveLineInput,
    ) -> async_graphql::Result<StatementLine> {
        let line_id = uuid("lineId", &input.line_id)?;
        let resolution = match input.action {
            LineResolution::Assign => Resolution::Assign {
                party_id: uuid(
                    "partyId",
                    input.party_id.as_ref().ok_or_else(|| {
                        ext(AppError::validation("partyId", "whose payment is it?"))
                    })?,
                )?,
                obligation_id: input
                    .obligation_id
                    .as_ref()
                    .map(|o| uuid("obligationId", o))
                    .transpose()?,
            },
            LineResolution::NonTaxIncome => Resolution::NonTaxIncome {
                account: input.account.unwrap_or_default(),
            },
            LineResolution::Refund => Resolution::Refund,
        };
        let row = resolve::resolve(svc(gql)?, ctx(gql)?, line_id, resolution, &input.reason)
            .await
            .map_err(ext)?;
        Ok(row.into())
    }

    /// Reverses everything an import posted and releases its lines for a new import.
    async fn undo_import(
        &self,
        gql: &Context<'_>,
        import_id: ID,
        reason: String,
    ) -> async_graphql::Result<StatementImport> {
        let id = uuid("importId", &import_id)?;
        let row = undo::undo(svc(gql)?, ctx(gql)?, id, &reason)
            .await
            .map_err(ext)?;
        Ok(StatementImport(row))
    }
}
