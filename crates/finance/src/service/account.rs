//! What a party owes, as its resident (or a clerk) sees it: balance, obligations with their
//! installments, interest as of a day, and the account's history with running balance.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb};

use super::{Finance, catalogue, parties};
use crate::config::KindConfig;
use crate::domain::{InterestRegime, interest};
use crate::entity::{
    cost, installment, ledger_entry, ledger_line, obligation, party, virtual_account,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum InstallmentStatus {
    Paid,
    /// Not yet due.
    Due,
    Overdue,
}

#[derive(Debug, Clone)]
pub struct InstallmentView {
    pub id: Uuid,
    pub number: i32,
    pub due_date: NaiveDate,
    pub amount: Money,
    pub outstanding: Money,
    pub interest: Money,
    pub status: InstallmentStatus,
}

#[derive(Debug, Clone)]
pub struct ObligationView {
    pub id: Uuid,
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    /// The decision's number, to quote in a transfer's title.
    pub reference: Option<String>,
    pub year: i32,
    pub amount: Money,
    pub outstanding: Money,
    pub installments: Vec<InstallmentView>,
}

#[derive(Debug, Clone, Default)]
pub struct Balance {
    pub outstanding: Money,
    pub overdue: Money,
    pub interest: Money,
    pub costs: Money,
    pub overpayment: Money,
}

#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub date: NaiveDate,
    pub description: String,
    /// Positive: owed more (an assessment); negative: owed less (a payment).
    pub amount: Money,
    pub balance_after: Money,
}

/// The party the request may read: for a resident one of their linked parties (the only one
/// when `party_id` is omitted), for a finance clerk any party.
pub async fn resolve_party<C: ConnectionTrait>(
    ctx: &Ctx,
    db: &C,
    party_id: Option<Uuid>,
) -> AppResult<party::Model> {
    let account = ctx.require_account()?;
    let clerk = ctx.roles().is_clerk_for(ClerkScope::Finance);
    if clerk && let Some(id) = party_id {
        return party::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("no such party"));
    }
    let linked = parties::linked_parties(db, account).await?;
    match party_id {
        Some(id) => linked
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::not_found("no such party among yours")),
        None => match linked.len() {
            1 => linked
                .into_iter()
                .next()
                .ok_or_else(|| AppError::not_found("no party")),
            0 => Err(AppError::not_found(
                "your account is not linked to any party yet",
            )),
            _ => Err(AppError::validation(
                "partyId",
                "you act for several parties: choose one",
            )),
        },
    }
}

/// Everything the account page shows, loaded once per request.
pub struct AccountData {
    pub party: party::Model,
    pub virtual_accounts: Vec<virtual_account::Model>,
    obligations: Vec<obligation::Model>,
    installments: Vec<installment::Model>,
    kinds: Vec<KindConfig>,
    costs: Vec<cost::Model>,
    overpayment: Money,
}

pub async fn load(fin: &Finance, ctx: &Ctx, party_id: Option<Uuid>) -> AppResult<AccountData> {
    let tx = TenantDb::begin(ctx).await?;
    let party = resolve_party(ctx, &*tx, party_id).await?;
    let data = load_in(fin, ctx, &tx, party).await?;
    tx.commit().await?;
    Ok(data)
}

/// The account of `party_id` for the platform's own work (a "payment posted" message with
/// the balance), with no reader to check: callers are system jobs, never requests.
pub async fn load_for_system(fin: &Finance, ctx: &Ctx, party_id: Uuid) -> AppResult<AccountData> {
    let tx = TenantDb::begin(ctx).await?;
    let party = party::Entity::find_by_id(party_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such party"))?;
    let data = load_in(fin, ctx, &tx, party).await?;
    tx.commit().await?;
    Ok(data)
}

async fn load_in(
    fin: &Finance,
    ctx: &Ctx,
    tx: &wspolnota_core::TenantTx,
    party: party::Model,
) -> AppResult<AccountData> {
    let fees = fin.fees(ctx)?;
    let tx = &**tx;
    let virtual_accounts = virtual_account::Entity::find()
        .filter(virtual_account::Column::PartyId.eq(party.id))
        .all(tx)
        .await?;
    let obligations = obligation::Entity::find()
        .filter(obligation::Column::PartyId.eq(party.id))
        .order_by_desc(obligation::Column::Year)
        .order_by_asc(obligation::Column::KindCode)
        .all(tx)
        .await?;
    let installments = installment::Entity::find()
        .filter(installment::Column::PartyId.eq(party.id))
        .order_by_asc(installment::Column::DueDate)
        .order_by_asc(installment::Column::Number)
        .all(tx)
        .await?;
    let costs = cost::Entity::find()
        .filter(cost::Column::PartyId.eq(party.id))
        .filter(cost::Column::Outstanding.gt(0))
        .all(tx)
        .await?;
    let kinds = catalogue::all(tx).await?;
    let overpayment = super::payments::overpayment(tx, &fees, party.id).await?;
    Ok(AccountData {
        party,
        virtual_accounts,
        obligations,
        installments,
        kinds,
        costs,
        overpayment,
    })
}

impl AccountData {
    fn kind(&self, code: &str, on: NaiveDate) -> Option<&KindConfig> {
        self.kinds
            .iter()
            .filter(|k| k.code == code && k.valid_from <= on)
            .max_by_key(|k| k.valid_from)
            .or_else(|| self.kinds.iter().find(|k| k.code == code))
    }

    fn regime_of(&self, inst: &installment::Model) -> InterestRegime {
        self.obligations
            .iter()
            .find(|o| o.id == inst.obligation_id)
            .and_then(|o| self.kind(&o.kind_code, inst.due_date))
            .map_or(InterestRegime::None, |k| k.interest)
    }

    fn view(&self, fin: &Finance, inst: &installment::Model, as_of: NaiveDate) -> InstallmentView {
        let outstanding = Money::from_grosze(inst.outstanding);
        let status = if outstanding.is_zero() {
            InstallmentStatus::Paid
        } else if inst.due_date < as_of {
            InstallmentStatus::Overdue
        } else {
            InstallmentStatus::Due
        };
        let interest = if status == InstallmentStatus::Overdue {
            interest(
                &fin.rules,
                self.regime_of(inst),
                outstanding,
                inst.due_date,
                as_of,
            )
            .map_or(Money::ZERO, |i| i.amount)
        } else {
            Money::ZERO
        };
        InstallmentView {
            id: inst.id,
            number: inst.number,
            due_date: inst.due_date,
            amount: Money::from_grosze(inst.amount),
            outstanding,
            interest,
            status,
        }
    }

    pub fn balance(&self, fin: &Finance, as_of: NaiveDate) -> Balance {
        let mut b = Balance {
            overpayment: self.overpayment,
            ..Balance::default()
        };
        for inst in &self.installments {
            let v = self.view(fin, inst, as_of);
            b.outstanding += v.outstanding;
            if v.status == InstallmentStatus::Overdue {
                b.overdue += v.outstanding;
                b.interest += v.interest;
            }
        }
        b.costs = self
            .costs
            .iter()
            .map(|c| Money::from_grosze(c.outstanding))
            .sum();
        b
    }

    /// `open_only`: obligations with something still to pay.
    pub fn obligations(
        &self,
        fin: &Finance,
        as_of: NaiveDate,
        open_only: Option<bool>,
    ) -> Vec<ObligationView> {
        let mut by_obligation: HashMap<Uuid, Vec<&installment::Model>> = HashMap::new();
        for inst in &self.installments {
            by_obligation
                .entry(inst.obligation_id)
                .or_default()
                .push(inst);
        }
        self.obligations
            .iter()
            .map(|o| {
                let installments: Vec<InstallmentView> = by_obligation
                    .get(&o.id)
                    .map(|list| list.iter().map(|i| self.view(fin, i, as_of)).collect())
                    .unwrap_or_default();
                ObligationView {
                    id: o.id,
                    kind: o.kind_code.clone(),
                    kind_name: self
                        .kind(&o.kind_code, as_of)
                        .map_or_else(|| o.kind_code.clone(), |k| k.name.clone()),
                    title: o.title.clone(),
                    reference: o.reference.clone(),
                    year: o.year,
                    amount: Money::from_grosze(o.amount),
                    outstanding: installments.iter().map(|i| i.outstanding).sum(),
                    installments,
                }
            })
            .filter(|o| match open_only {
                Some(true) => o.outstanding.is_positive(),
                Some(false) => o.outstanding.is_zero(),
                None => true,
            })
            .collect()
    }
}

/// The party's history on its receivable accounts, oldest first, with the running balance.
pub async fn history(
    fin: &Finance,
    ctx: &Ctx,
    party: &party::Model,
) -> AppResult<Vec<HistoryItem>> {
    let fees = fin.fees(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let mut receivable: Vec<String> = catalogue::all(&*tx)
        .await?
        .into_iter()
        .map(|k| k.receivable_account)
        .collect();
    receivable.push(fees.posting.overpayment.clone());
    receivable.sort();
    receivable.dedup();
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::PartyId.eq(party.id))
        .filter(ledger_line::Column::Account.is_in(receivable))
        .all(&*tx)
        .await?;
    let mut entry_ids: Vec<Uuid> = lines.iter().map(|l| l.entry_id).collect();
    entry_ids.sort();
    entry_ids.dedup();
    let entries = if entry_ids.is_empty() {
        Vec::new()
    } else {
        ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Id.is_in(entry_ids))
            .order_by_asc(ledger_entry::Column::EntryDate)
            .order_by_asc(ledger_entry::Column::CreatedAt)
            .all(&*tx)
            .await?
    };
    tx.commit().await?;
    let mut running = Money::ZERO;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let amount: Money = lines
            .iter()
            .filter(|l| l.entry_id == e.id)
            .map(|l| Money::from_grosze(l.debit - l.credit))
            .sum();
        if amount.is_zero() {
            continue;
        }
        running += amount;
        out.push(HistoryItem {
            date: e.entry_date,
            description: e.description,
            amount,
            balance_after: running,
        });
    }
    Ok(out)
}
