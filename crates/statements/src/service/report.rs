//! Reconciliation, as the treasurer checks it at month end: each bank account's last statement
//! balance next to the ledger's bank account, the credits still unidentified, the money in
//! transit older than N days (gateway payments no payout has settled), and the payouts no
//! statement has shown.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;
use wspolnota_core::{AppResult, ClerkScope, Ctx, Money, TenantDb};
use wspolnota_finance::entity::ledger_line;
use wspolnota_payments::entity::{payment, payout, payout_item};

use super::Statements;
use crate::entity::{line, statement};

#[derive(Debug, Clone)]
pub struct AccountReconciliation {
    pub account: String,
    /// The closing balance of the account's latest statement.
    pub statement_closing: Option<Money>,
    pub closing_date: Option<NaiveDate>,
    /// Credits imported on this account (not undone).
    pub credits: Money,
    /// Debits imported on this account (not undone).
    pub debits: Money,
}

#[derive(Debug, Clone)]
pub struct InTransit {
    pub payment_id: Uuid,
    pub party_id: Uuid,
    pub gateway: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub days: i64,
}

#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub accounts: Vec<AccountReconciliation>,
    /// The ledger's bank account (all statements): debits − credits.
    pub ledger_bank: Money,
    /// Unidentified receipts waiting for a clerk.
    pub unmatched_count: u32,
    pub unmatched_total: Money,
    /// Money in transit older than the threshold.
    pub in_transit: Vec<InTransit>,
    pub unsettled_payouts: Vec<payout::Model>,
}

/// Everything is summed by the database: a tenant's statements hold millions of lines and its
/// ledger millions of bank lines, none of which the report needs one by one.
pub async fn reconcile(
    svc: &Statements,
    ctx: &Ctx,
    older_than_days: u32,
) -> AppResult<Reconciliation> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let fees = svc.finance.fees(ctx)?;
    let now = ctx.clock().now();
    let tx = TenantDb::begin(ctx).await?;
    let statements = statement::Entity::find()
        .order_by_asc(statement::Column::ClosingDate)
        .all(&*tx)
        .await?;
    let mut accounts: Vec<AccountReconciliation> = Vec::new();
    for s in &statements {
        let entry = account_entry(&mut accounts, &s.account);
        if let (Some(closing), Some(date)) = (s.closing, s.closing_date)
            && entry.closing_date.is_none_or(|d| d <= date)
        {
            entry.statement_closing = Some(Money::from_grosze(closing));
            entry.closing_date = Some(date);
        }
    }
    let backend = tx.get_database_backend();
    for row in tx
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT s.account AS account, l.direction AS direction, \
             CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS total \
             FROM st_lines l JOIN st_statements s ON s.id = l.statement_id \
             JOIN st_imports i ON i.id = s.import_id \
             WHERE i.reversed_at IS NULL GROUP BY s.account, l.direction",
        ))
        .await?
    {
        let account: String = row.try_get("", "account")?;
        let direction: String = row.try_get("", "direction")?;
        let total = Money::from_grosze(row.try_get::<i64>("", "total")?);
        let entry = account_entry(&mut accounts, &account);
        if direction == "credit" {
            entry.credits += total;
        } else {
            entry.debits += total;
        }
    }
    let ledger_bank: Option<i64> = ledger_line::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(debit - credit), 0) AS BIGINT)"),
            "total",
        )
        .filter(ledger_line::Column::Account.eq(fees.posting.bank.as_str()))
        .into_tuple()
        .one(&*tx)
        .await?;
    let unmatched: Option<(i64, i64)> = line::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "count")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            "total",
        )
        .filter(line::Column::Status.eq("unmatched"))
        .into_tuple()
        .one(&*tx)
        .await?;
    let (unmatched_count, unmatched_total) = unmatched.unwrap_or_default();
    // Gateway payments whose payout no statement has shown yet.
    let settled = Query::select()
        .column(payout_item::Column::PaymentId)
        .from(payout_item::Entity)
        .and_where(
            payout_item::Column::PayoutId.in_subquery(
                Query::select()
                    .column(payout::Column::Id)
                    .from(payout::Entity)
                    .and_where(payout::Column::SettledLineId.is_not_null())
                    .to_owned(),
            ),
        )
        .to_owned();
    let threshold = now - Duration::days(i64::from(older_than_days));
    let in_transit = payment::Entity::find()
        .filter(payment::Column::Status.eq("succeeded"))
        .filter(payment::Column::PaidAt.lte(threshold))
        .filter(payment::Column::Refunded.eq(0))
        .filter(payment::Column::Id.not_in_subquery(settled))
        .order_by_asc(payment::Column::PaidAt)
        .all(&*tx)
        .await?
        .into_iter()
        .filter_map(|p| {
            let paid_at = p.paid_at?;
            Some(InTransit {
                payment_id: p.id,
                party_id: p.party_id,
                gateway: p.gateway,
                amount: Money::from_grosze(p.amount),
                paid_at,
                days: (now - paid_at).num_days(),
            })
        })
        .collect();
    let unsettled_payouts = payout::Entity::find()
        .filter(payout::Column::SettledLineId.is_null())
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(Reconciliation {
        accounts,
        ledger_bank: Money::from_grosze(ledger_bank.unwrap_or_default()),
        unmatched_count: u32::try_from(unmatched_count).unwrap_or(u32::MAX),
        unmatched_total: Money::from_grosze(unmatched_total),
        in_transit,
        unsettled_payouts,
    })
}

/// The account's row, added (empty) in first-seen order.
fn account_entry<'a>(
    accounts: &'a mut Vec<AccountReconciliation>,
    account: &str,
) -> &'a mut AccountReconciliation {
    let at = match accounts.iter().position(|a| a.account == account) {
        Some(at) => at,
        None => {
            accounts.push(AccountReconciliation {
                account: account.to_owned(),
                statement_closing: None,
                closing_date: None,
                credits: Money::ZERO,
                debits: Money::ZERO,
            });
            accounts.len() - 1
        }
    };
    &mut accounts[at]
}
