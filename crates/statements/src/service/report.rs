//! Reconciliation, as the treasurer checks it at month end: each bank account's last statement
//! balance next to the ledger's bank account, the credits still unidentified, the money in
//! transit older than N days (gateway payments no payout has settled), and the payouts no
//! statement has shown.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
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
    let lines = line::Entity::find()
        .filter(line::Column::Status.ne("reversed"))
        .all(&*tx)
        .await?;
    let mut accounts: Vec<AccountReconciliation> = Vec::new();
    for s in &statements {
        let entry = match accounts.iter_mut().find(|a| a.account == s.account) {
            Some(a) => a,
            None => {
                accounts.push(AccountReconciliation {
                    account: s.account.clone(),
                    statement_closing: None,
                    closing_date: None,
                    credits: Money::ZERO,
                    debits: Money::ZERO,
                });
                let last = accounts.len() - 1;
                &mut accounts[last]
            }
        };
        if let (Some(closing), Some(date)) = (s.closing, s.closing_date)
            && entry.closing_date.is_none_or(|d| d <= date)
        {
            entry.statement_closing = Some(Money::from_grosze(closing));
            entry.closing_date = Some(date);
        }
        for l in lines.iter().filter(|l| l.statement_id == s.id) {
            let amount = Money::from_grosze(l.amount);
            if l.direction == "credit" {
                entry.credits += amount;
            } else {
                entry.debits += amount;
            }
        }
    }
    let bank_lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::Account.eq(fees.posting.bank.as_str()))
        .all(&*tx)
        .await?;
    let ledger_bank = bank_lines
        .iter()
        .map(|l| Money::from_grosze(l.debit - l.credit))
        .sum();
    let unmatched: Vec<&line::Model> = lines.iter().filter(|l| l.status == "unmatched").collect();
    let settled: Vec<Uuid> = payout::Entity::find()
        .filter(payout::Column::SettledLineId.is_not_null())
        .all(&*tx)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let settled_payments: Vec<Uuid> = payout_item::Entity::find()
        .filter(payout_item::Column::PayoutId.is_in(settled))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| i.payment_id)
        .collect();
    let threshold = now - Duration::days(i64::from(older_than_days));
    let in_transit = payment::Entity::find()
        .filter(payment::Column::Status.eq("succeeded"))
        .filter(payment::Column::PaidAt.lte(threshold))
        .all(&*tx)
        .await?
        .into_iter()
        .filter(|p| !settled_payments.contains(&p.id) && p.refunded == 0)
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
        ledger_bank,
        unmatched_count: u32::try_from(unmatched.len()).unwrap_or(u32::MAX),
        unmatched_total: unmatched.iter().map(|l| Money::from_grosze(l.amount)).sum(),
        in_transit,
        unsettled_payouts,
    })
}
