//! Back-office fields of the `finance` namespace: the arrears list, the assessment import,
//! the journal export, corrections of journal entries and the fee catalogue. (Party search,
//! linking accounts and access codes are in the parent module.)
//!
//! Every field but `catalogue` needs a finance clerk (or the tenant's admin);
//! `addFeeKindVersion` needs the tenant's admin. `catalogue` is public within the tenant:
//! the fee kinds, their classification and schedules are what the council published.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, ResultExt, SimpleObject,
};
use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use wspolnota_core::graphql::ctx;
use wspolnota_core::{AppError, AppResult, Ctx, Money, Role, TenantDb, audit};

use super::{Party, fin, today, uuid};
use crate::config::{Classification, KindConfig};
use crate::domain::{InterestRegime, ScheduleRule};
use crate::entity::kind;
use crate::service::corrections::{self, CorrectedKind};
use crate::service::export::{self, Format};
use crate::service::{Finance, arrears, assess, catalogue, import};

fn db_err(e: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(e).extend()
}

// ---------------------------------------------------------------- arrears

/// Totals of the whole arrears list (every page).
#[derive(SimpleObject)]
#[graphql(name = "ArrearsTotal")]
pub struct ArrearsTotalOut {
    /// Parties with overdue installments.
    parties: i64,
    /// Their overdue principal.
    overdue: Money,
}

/// One party on the arrears list.
#[derive(SimpleObject)]
#[graphql(name = "ArrearsItem")]
pub struct ArrearsItemOut {
    party: Party,
    /// Principal past its due date.
    overdue: Money,
    /// Late-payment interest on it as of the day asked (each installment's interest,
    /// rounded and thresholded on its own, summed).
    interest: Money,
    oldest_due_date: NaiveDate,
}

#[derive(SimpleObject)]
#[graphql(name = "ArrearsList")]
pub struct ArrearsOut {
    total: ArrearsTotalOut,
    /// Largest overdue principal first, then by party number.
    items: Vec<ArrearsItemOut>,
}

// ---------------------------------------------------------------- import

/// One problem with one row of an imported file.
#[derive(SimpleObject)]
#[graphql(name = "AssessmentImportError")]
pub struct RowErrorOut {
    /// Line in the file; the header is line 1.
    line: i64,
    /// The column (`party_number`, `kind`, `year`, `title`, `amount`, `due_dates`,
    /// `installment_amounts`, `reference`), `row` for the row's shape or `header`.
    field: String,
    message: String,
}

#[derive(SimpleObject)]
#[graphql(name = "AssessmentImport")]
pub struct ImportOut {
    /// Assessments created (0 when there are errors: an import is all or nothing).
    imported: i64,
    /// Rows imported before from the same file.
    skipped: i64,
    errors: Vec<RowErrorOut>,
}

// ---------------------------------------------------------------- export

#[derive(SimpleObject)]
#[graphql(name = "JournalExport")]
pub struct ExportOut {
    /// The file: JPK_KR(1)-shaped XML or CSV.
    content: String,
    /// Journal lines exported (KontoZapis rows).
    lines: i64,
    /// Journal entries exported (Dziennik rows).
    entries: i64,
    debit_total: Money,
    credit_total: Money,
}

// ---------------------------------------------------------------- corrections

#[derive(SimpleObject)]
#[graphql(name = "EntryCorrection")]
pub struct CorrectionOut {
    /// The storno entry.
    reversal_id: ID,
    kind: CorrectedKind,
    /// The cancelled obligation (an assessment's correction).
    obligation_id: Option<ID>,
    /// The corrected payment.
    payment_id: Option<ID>,
    /// The entry moving paid principal of a cancelled obligation to the overpayment account.
    settlement_id: Option<ID>,
}

// ---------------------------------------------------------------- catalogue

/// Which late-payment interest a fee kind carries.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "FeeInterestRegime")]
pub enum FeeInterest {
    /// Odsetki za zwłokę at the standard rate (art. 56 § 1 OP).
    Tax,
    /// The reduced tax rate (art. 56a OP).
    TaxReduced,
    /// Odsetki ustawowe za opóźnienie (art. 481 kc).
    Civil,
    /// No interest.
    #[graphql(name = "NONE")]
    NoInterest,
}

impl From<InterestRegime> for FeeInterest {
    fn from(r: InterestRegime) -> Self {
        match r {
            InterestRegime::Tax => Self::Tax,
            InterestRegime::TaxReduced => Self::TaxReduced,
            InterestRegime::Civil => Self::Civil,
            InterestRegime::None => Self::NoInterest,
        }
    }
}

impl From<FeeInterest> for InterestRegime {
    fn from(r: FeeInterest) -> Self {
        match r {
            FeeInterest::Tax => Self::Tax,
            FeeInterest::TaxReduced => Self::TaxReduced,
            FeeInterest::Civil => Self::Civil,
            FeeInterest::NoInterest => Self::None,
        }
    }
}

/// Budget classification: dział, rozdział, paragraf.
#[derive(SimpleObject)]
#[graphql(name = "BudgetClassification")]
pub struct ClassificationOut {
    dzial: String,
    rozdzial: String,
    paragraf: String,
}

#[derive(InputObject)]
#[graphql(name = "BudgetClassificationInput")]
pub struct ClassificationIn {
    /// 3 digits, e.g. "756".
    dzial: String,
    /// 5 digits starting with the dział, e.g. "75616".
    rozdzial: String,
    /// 4 digits, e.g. "0310".
    paragraf: String,
}

/// One version of an obligation kind of the fee catalogue.
#[derive(SimpleObject)]
#[graphql(name = "FeeKind")]
pub struct FeeKindOut {
    code: String,
    name: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    classification: ClassificationOut,
    receivable_account: String,
    revenue_account: String,
    interest: FeeInterest,
    /// Amounts in full złoty (taxes, art. 63 § 1 OP).
    whole_zloty: bool,
    /// Each party gets a virtual account for this kind.
    virtual_account: bool,
    /// The installment rule as JSON, e.g. `{"kind":"monthly","day":15}`.
    schedule: String,
}

impl FeeKindOut {
    fn from_config(k: KindConfig) -> AppResult<Self> {
        Ok(Self {
            schedule: serde_json::to_string(&k.schedule).map_err(AppError::internal)?,
            code: k.code,
            name: k.name,
            valid_from: k.valid_from,
            valid_to: k.valid_to,
            classification: ClassificationOut {
                dzial: k.classification.dzial,
                rozdzial: k.classification.rozdzial,
                paragraf: k.classification.paragraf,
            },
            receivable_account: k.receivable_account,
            revenue_account: k.revenue_account,
            interest: k.interest.into(),
            whole_zloty: k.whole_zloty,
            virtual_account: k.virtual_account,
        })
    }
}

/// A new version of a fee kind (a council resolution): from `validFrom` it replaces the
/// version then open-ended, which is closed the day before.
#[derive(InputObject)]
#[graphql(name = "FeeKindInput")]
pub struct FeeKindIn {
    /// Lower-case letters, digits and `_`, e.g. `waste_fee`.
    code: String,
    name: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    classification: ClassificationIn,
    /// An account of the chart (or its analytic, e.g. `221-06`).
    receivable_account: String,
    revenue_account: String,
    interest: FeeInterest,
    whole_zloty: bool,
    #[graphql(default)]
    virtual_account: bool,
    /// The installment rule as JSON, e.g. `{"kind":"fixed_dates","dates":["03-15","05-15"]}`,
    /// `{"kind":"monthly","day":15}`, `{"kind":"annual","date":"03-31"}`, `{"kind":"explicit"}`.
    schedule: String,
}

// ---------------------------------------------------------------- query

#[derive(Default)]
pub struct ClerkQuery;

#[Object]
impl ClerkQuery {
    /// Clerk: parties with overdue installments as of `asOf` (today by default), largest
    /// arrears first; `limit` at most 500.
    async fn arrears(
        &self,
        gql: &Context<'_>,
        as_of: Option<NaiveDate>,
        #[graphql(default = 50)] limit: i32,
        #[graphql(default = 0)] offset: i32,
    ) -> async_graphql::Result<ArrearsOut> {
        let as_of = match as_of {
            Some(d) => d,
            None => today(gql)?,
        };
        let limit = u64::try_from(limit)
            .map_err(|_| AppError::validation("limit", "must be between 1 and 500").extend())?;
        let offset = u64::try_from(offset)
            .map_err(|_| AppError::validation("offset", "must not be negative").extend())?;
        let list = arrears::arrears(fin(gql)?, ctx(gql)?, as_of, limit, offset)
            .await
            .extend()?;
        Ok(ArrearsOut {
            total: ArrearsTotalOut {
                parties: i64::try_from(list.total.parties).unwrap_or(i64::MAX),
                overdue: list.total.overdue,
            },
            items: list
                .items
                .into_iter()
                .map(|i| ArrearsItemOut {
                    party: Party::from(i.party),
                    overdue: i.overdue,
                    interest: i.interest,
                    oldest_due_date: i.oldest_due_date,
                })
                .collect(),
        })
    }

    /// Clerk: the journal of `[from, to]` (entry dates) as JPK_KR(1)-shaped XML (to be
    /// validated against the MF schema before official use) or CSV.
    async fn journal_export(
        &self,
        gql: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default_with = "Format::Xml")] format: Format,
    ) -> async_graphql::Result<ExportOut> {
        let e = export::journal_export(ctx(gql)?, from, to, format)
            .await
            .extend()?;
        Ok(ExportOut {
            content: e.content,
            lines: i64::try_from(e.lines).unwrap_or(i64::MAX),
            entries: i64::try_from(e.entries).unwrap_or(i64::MAX),
            debit_total: e.debit_total,
            credit_total: e.credit_total,
        })
    }

    /// The fee catalogue: the versions in force on `on`, or every version when omitted.
    async fn catalogue(
        &self,
        gql: &Context<'_>,
        on: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<FeeKindOut>> {
        let ctx = ctx(gql)?;
        ctx.tenant().extend()?;
        let tx = TenantDb::begin(ctx).await.extend()?;
        let kinds = catalogue::all(&*tx).await.extend()?;
        tx.commit().await.map_err(db_err)?;
        kinds
            .into_iter()
            .filter(|k| on.is_none_or(|d| k.valid_from <= d && k.valid_to.is_none_or(|t| t >= d)))
            .map(|k| FeeKindOut::from_config(k).extend())
            .collect()
    }
}

// ---------------------------------------------------------------- mutation

#[derive(Default)]
pub struct ClerkMutation;

#[Object]
impl ClerkMutation {
    /// Clerk: import assessments from the tax system's CSV export
    /// (`party_number;kind;year;title;amount;due_dates;installment_amounts;reference`,
    /// the last three optional; `reference` is the decision's number). All or
    /// nothing: with any error nothing is imported and every error is listed. Importing the
    /// same file again creates nothing new.
    async fn import_assessments(
        &self,
        gql: &Context<'_>,
        csv: String,
    ) -> async_graphql::Result<ImportOut> {
        let outcome = import::import_assessments(fin(gql)?, ctx(gql)?, &csv)
            .await
            .extend()?;
        Ok(ImportOut {
            imported: i64::try_from(outcome.imported).unwrap_or(i64::MAX),
            skipped: i64::try_from(outcome.skipped).unwrap_or(i64::MAX),
            errors: outcome
                .errors
                .into_iter()
                .map(|e| RowErrorOut {
                    line: i64::try_from(e.line).unwrap_or(i64::MAX),
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        })
    }

    /// Clerk: reverse (storno) an assessment or a payment and bring the account in line:
    /// a corrected assessment cancels its obligation (what was paid becomes an
    /// overpayment); a corrected payment gives its installments back their outstanding.
    async fn correct_entry(
        &self,
        gql: &Context<'_>,
        entry_id: ID,
        reason: String,
    ) -> async_graphql::Result<CorrectionOut> {
        let c =
            corrections::correct_entry(fin(gql)?, ctx(gql)?, uuid("entryId", &entry_id)?, &reason)
                .await
                .extend()?;
        let id = |u: uuid::Uuid| ID(u.to_string());
        Ok(CorrectionOut {
            reversal_id: id(c.reversal_id),
            kind: c.kind,
            obligation_id: c.obligation_id.map(id),
            payment_id: c.payment_id.map(id),
            settlement_id: c.settlement_id.map(id),
        })
    }

    /// Tenant admin: add a version of a fee kind; the open-ended earlier version is closed
    /// the day before it starts.
    async fn add_fee_kind_version(
        &self,
        gql: &Context<'_>,
        input: FeeKindIn,
    ) -> async_graphql::Result<FeeKindOut> {
        let added = add_kind_version(fin(gql)?, ctx(gql)?, input)
            .await
            .extend()?;
        FeeKindOut::from_config(added).extend()
    }
}

fn known_account(fees: &crate::config::FeesConfig, code: &str) -> bool {
    fees.accounts
        .iter()
        .any(|a| a.code == code || code.starts_with(&format!("{}-", a.code)))
}

/// Checks a new version as the tenant file's validation would, naming the input's fields.
fn validated(fin: &Finance, ctx: &Ctx, input: FeeKindIn) -> AppResult<KindConfig> {
    let fees = fin.fees(ctx)?;
    let code = input.code.trim().to_owned();
    let code_ok = (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        return Err(AppError::validation(
            "code",
            "2 to 40 lower-case letters, digits or `_`, starting with a letter",
        ));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(AppError::validation("name", "must be 1 to 255 characters"));
    }
    if input.valid_to.is_some_and(|to| to < input.valid_from) {
        return Err(AppError::validation("validTo", "ends before it starts"));
    }
    let c = &input.classification;
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|ch| ch.is_ascii_digit());
    if !digits(&c.dzial, 3) {
        return Err(AppError::validation(
            "classification.dzial",
            "dział has 3 digits",
        ));
    }
    if !digits(&c.rozdzial, 5) || !c.rozdzial.starts_with(&c.dzial) {
        return Err(AppError::validation(
            "classification.rozdzial",
            "rozdział has 5 digits and starts with the dział",
        ));
    }
    if !digits(&c.paragraf, 4) {
        return Err(AppError::validation(
            "classification.paragraf",
            "paragraf has 4 digits",
        ));
    }
    for (field, code) in [
        ("receivableAccount", &input.receivable_account),
        ("revenueAccount", &input.revenue_account),
    ] {
        if !known_account(&fees, code.trim()) {
            return Err(AppError::validation(
                field,
                format!("account `{code}` is not in the chart of accounts"),
            ));
        }
    }
    if input.virtual_account && fees.virtual_accounts.is_none() {
        return Err(AppError::validation(
            "virtualAccount",
            "the tenant has no virtual accounts configured",
        ));
    }
    let schedule: ScheduleRule = serde_json::from_str(&input.schedule)
        .map_err(|e| AppError::validation("schedule", format!("not a schedule rule: {e}")))?;
    let kind = KindConfig {
        code,
        name,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        classification: Classification {
            dzial: c.dzial.clone(),
            rozdzial: c.rozdzial.clone(),
            paragraf: c.paragraf.clone(),
        },
        receivable_account: input.receivable_account.trim().to_owned(),
        revenue_account: input.revenue_account.trim().to_owned(),
        interest: input.interest.into(),
        whole_zloty: input.whole_zloty,
        schedule,
        virtual_account: input.virtual_account,
    };
    if !matches!(kind.schedule, ScheduleRule::Explicit) {
        // The rule must be able to split a year's amount.
        assess::plan(
            fin,
            &kind,
            fees.installment_remainder,
            kind.valid_from.year(),
            Money::from_zloty(1200),
        )
        .map_err(|e| AppError::validation("schedule", e.message()))?;
    }
    Ok(kind)
}

/// Tenant admin: validates and adds a version of a fee kind, closing the open-ended one.
pub(crate) async fn add_kind_version(
    fin: &Finance,
    ctx: &Ctx,
    input: FeeKindIn,
) -> AppResult<KindConfig> {
    ctx.require_role(Role::TenantAdmin)?;
    let k = validated(fin, ctx, input)?;
    let tx = TenantDb::begin(ctx).await?;
    let versions = kind::Entity::find()
        .filter(kind::Column::Code.eq(k.code.as_str()))
        .all(&*tx)
        .await?;
    let new_end = k.valid_to.unwrap_or(NaiveDate::MAX);
    let mut closed = Vec::new();
    for v in &versions {
        if v.valid_from == k.valid_from {
            return Err(AppError::conflict(format!(
                "`{}` already has a version from {}",
                k.code, k.valid_from
            )));
        }
        if v.valid_from < k.valid_from && v.valid_to.is_none() {
            closed.push(v.valid_from);
            continue;
        }
        let end = v.valid_to.unwrap_or(NaiveDate::MAX);
        if v.valid_from <= new_end && end >= k.valid_from {
            return Err(AppError::validation(
                "validFrom",
                format!(
                    "overlaps the version of `{}` from {} to {}",
                    k.code,
                    v.valid_from,
                    v.valid_to
                        .map_or_else(|| "open end".to_owned(), |d| d.to_string())
                ),
            ));
        }
    }
    catalogue::add_version(&*tx, ctx, &k).await?;
    let day_before = k.valid_from.pred_opt();
    audit::record(
        &tx,
        ctx,
        "finance.catalogue.version_added",
        serde_json::json!({
            "code": k.code,
            "validFrom": k.valid_from,
            "closed": closed.iter().map(|from| serde_json::json!({
                "validFrom": from, "before": { "validTo": null }, "after": { "validTo": day_before },
            })).collect::<Vec<_>>(),
            "after": serde_json::to_value(&k).map_err(AppError::internal)?,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(k)
}
