//! Assessments (przypis): a decision or declaration creates an obligation, its installments
//! and the posting Wn 221 / Ma 720. A changed assessment posts only the difference.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;
use wspolnota_core::value::DocumentNumber;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};

use super::{Finance, catalogue, money_col, payments};
use crate::domain::{Calendar, Installment, ScheduleRule, round_tax, split};
use crate::entity::{installment, ledger_entry, ledger_line, obligation, party};
use crate::ledger::{self, Entry, Line};

#[derive(Debug, Clone)]
pub struct NewAssessment {
    pub party_id: Uuid,
    pub kind: String,
    pub year: i32,
    pub title: String,
    /// The decision's (or agreement's) number, which payers quote in transfer titles.
    pub reference: Option<DocumentNumber>,
    pub amount: Money,
    /// Explicit installments (a lease contract's schedule); None: the kind's rule splits.
    pub installments: Option<Vec<(NaiveDate, Money)>>,
    /// Where a change of an existing obligation came from (idempotent re-import).
    pub key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Assessed {
    pub obligation: obligation::Model,
    pub installments: Vec<installment::Model>,
}

/// Clerk: assess an obligation.
pub async fn assess(fin: &Finance, ctx: &Ctx, input: NewAssessment) -> AppResult<Assessed> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let tx = TenantDb::begin(ctx).await?;
    let assessed = assess_in(fin, ctx, &*tx, input).await?;
    audit::record(
        &tx,
        ctx,
        "finance.assessed",
        serde_json::json!({ "obligation": assessed.obligation.id, "party": assessed.obligation.party_id,
            "kind": assessed.obligation.kind_code, "amount": Money::from_grosze(assessed.obligation.amount).to_string() }),
    )
    .await?;
    payments::offset_overpayment(fin, ctx, &*tx, assessed.obligation.party_id, ctx.today()).await?;
    tx.commit().await?;
    Ok(assessed)
}

/// The installments an assessment would get, without saving anything.
pub fn plan(
    fin: &Finance,
    kind: &crate::config::KindConfig,
    remainder: crate::domain::Remainder,
    year: i32,
    amount: Money,
) -> AppResult<Vec<Installment>> {
    let calendar = Calendar::new(&fin.rules.holidays);
    split(
        &kind.schedule,
        &fin.rules,
        &calendar,
        year,
        amount,
        kind.whole_zloty,
        remainder,
        None,
    )
    .map_err(|e| AppError::validation("amount", e.to_string()))
}

/// Assesses inside the caller's transaction.
pub async fn assess_in<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    input: NewAssessment,
) -> AppResult<Assessed> {
    let fees = fin.fees(ctx)?;
    // Same key, same assessment: the obligation already posted under it. Without this a
    // second obligation and its installments would be saved while `ledger::post` replayed
    // the first one's entry, so the books would miss the second przypis.
    if let Some(key) = &input.key
        && let Some(done) = already_assessed(db, key).await?
    {
        return Ok(done);
    }
    party::Entity::find_by_id(input.party_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("partyId", "no such party"))?;
    if !(2000..=2100).contains(&input.year) {
        return Err(AppError::validation(
            "year",
            "must be between 2000 and 2100",
        ));
    }
    let title = input.title.trim();
    if title.is_empty() {
        return Err(AppError::validation("title", "must not be empty"));
    }
    let reference_day = NaiveDate::from_ymd_opt(input.year, 1, 1).unwrap_or_default();
    let kind = catalogue::kind_at(
        db,
        &input.kind,
        reference_day.max(first_day(&input)),
        "kind",
    )
    .await?;
    if !input.amount.is_positive() {
        return Err(AppError::validation("amount", "must be greater than zero"));
    }
    // Art. 63 § 1 OP: the tax is assessed in full złoty.
    let amount = if kind.whole_zloty {
        round_tax(input.amount.amount())
    } else {
        input.amount
    };
    let planned: Vec<(NaiveDate, Money)> = match (&input.installments, &kind.schedule) {
        (Some(given), _) => {
            if given.is_empty() {
                return Err(AppError::validation(
                    "installments",
                    "give at least one installment or omit the list",
                ));
            }
            let sum: Money = given.iter().map(|(_, a)| *a).sum();
            if sum != amount {
                return Err(AppError::validation(
                    "installments",
                    format!("installments add up to {sum}, the assessment is {amount}"),
                ));
            }
            if let Some((i, _)) = given
                .iter()
                .enumerate()
                .find(|(_, (_, a))| !a.is_positive())
            {
                return Err(AppError::validation(
                    format!("installments[{i}].amount"),
                    "must be greater than zero",
                ));
            }
            let calendar = Calendar::new(&fin.rules.holidays);
            given
                .iter()
                .map(|(d, a)| (calendar.next_working_day(*d), *a))
                .collect()
        }
        (None, ScheduleRule::Explicit) => {
            return Err(AppError::validation(
                "installments",
                format!(
                    "`{}` has no schedule rule: give the installments",
                    kind.code
                ),
            ));
        }
        (None, _) => plan(fin, &kind, fees.installment_remainder, input.year, amount)?
            .into_iter()
            .map(|i| (i.due_date, i.amount))
            .collect(),
    };
    let now = ctx.clock().now();
    let obligation_id = Uuid::now_v7();
    let obligation = obligation::ActiveModel {
        id: Set(obligation_id),
        party_id: Set(input.party_id),
        kind_code: Set(kind.code.clone()),
        year: Set(input.year),
        title: Set(title.to_owned()),
        reference: Set(input.reference.as_ref().map(|r| r.as_str().to_owned())),
        amount: Set(money_col(amount)?),
        status: Set("active".into()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let mut installments = Vec::with_capacity(planned.len());
    for (i, (due, amt)) in planned.iter().enumerate() {
        installments.push(
            installment::ActiveModel {
                id: Set(Uuid::now_v7()),
                obligation_id: Set(obligation_id),
                party_id: Set(input.party_id),
                number: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                due_date: Set(*due),
                amount: Set(money_col(*amt)?),
                outstanding: Set(money_col(*amt)?),
                paid_on: Set(None),
            }
            .insert(db)
            .await?,
        );
    }
    ledger::post(
        db,
        ctx,
        Entry {
            key: input
                .key
                .clone()
                .unwrap_or_else(|| format!("assessment:{obligation_id}")),
            date: ctx.today(),
            description: format!("Przypis: {title}"),
            lines: vec![
                Line::debit(
                    &kind.receivable_account,
                    Some(input.party_id),
                    Some(obligation_id),
                    amount,
                ),
                Line::credit(
                    &kind.revenue_account,
                    Some(input.party_id),
                    Some(obligation_id),
                    amount,
                ),
            ],
            reverses: None,
        },
    )
    .await?;
    Ok(Assessed {
        obligation,
        installments,
    })
}

/// The assessment posted under journal key `key`, if any; CONFLICT when the key belongs to
/// an entry that is not an assessment.
async fn already_assessed<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<Option<Assessed>> {
    let Some(entry) = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let obligation_id = ledger_line::Entity::find()
        .filter(ledger_line::Column::EntryId.eq(entry.id))
        .all(db)
        .await?
        .into_iter()
        .find_map(|l| l.obligation_id);
    let obligation = match obligation_id {
        Some(id) => obligation::Entity::find_by_id(id).one(db).await?,
        None => None,
    }
    .ok_or_else(|| AppError::conflict(format!("key `{key}` is taken by another journal entry")))?;
    let installments = installment::Entity::find()
        .filter(installment::Column::ObligationId.eq(obligation.id))
        .order_by_asc(installment::Column::Number)
        .all(db)
        .await?;
    Ok(Some(Assessed {
        obligation,
        installments,
    }))
}

fn first_day(input: &NewAssessment) -> NaiveDate {
    input
        .installments
        .as_ref()
        .and_then(|i| i.iter().map(|(d, _)| *d).min())
        .unwrap_or_default()
}

/// Clerk: change an assessment's amount (a new decision, a corrected declaration). Only the
/// difference is posted; a decrease below what was already paid leaves an overpayment.
pub async fn adjust(
    fin: &Finance,
    ctx: &Ctx,
    obligation_id: Uuid,
    new_amount: Money,
    reason: &str,
) -> AppResult<obligation::Model> {
    ctx.require_clerk(ClerkScope::Finance)?;
    if reason.trim().is_empty() {
        return Err(AppError::validation(
            "reason",
            "say why the assessment changes",
        ));
    }
    let fees = fin.fees(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let ob = obligation::Entity::find_by_id(obligation_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("obligationId", "no such obligation"))?;
    let rows = installment::Entity::find()
        .filter(installment::Column::ObligationId.eq(obligation_id))
        .order_by_asc(installment::Column::Number)
        .all(&*tx)
        .await?;
    let kind = catalogue::kind_at(
        &*tx,
        &ob.kind_code,
        rows.first().map_or(ctx.today(), |r| r.due_date),
        "obligationId",
    )
    .await?;
    let new_amount = if kind.whole_zloty {
        round_tax(new_amount.amount())
    } else {
        new_amount
    };
    if new_amount.is_negative() {
        return Err(AppError::validation("amount", "must not be negative"));
    }
    let old = Money::from_grosze(ob.amount);
    let diff = new_amount - old;
    if diff.is_zero() {
        return Ok(ob);
    }
    let today = ctx.today();
    // New installment amounts: the kind's rule over the new amount when it has one and the
    // count matches, otherwise the difference on the last installment(s).
    let old_amounts: Vec<Money> = rows.iter().map(|r| Money::from_grosze(r.amount)).collect();
    let mut new_amounts = match plan(fin, &kind, fees.installment_remainder, ob.year, new_amount) {
        Ok(p) if p.len() == rows.len() && !matches!(kind.schedule, ScheduleRule::Explicit) => {
            p.into_iter().map(|i| i.amount).collect()
        }
        _ => spread_on_last(&old_amounts, diff),
    };
    if new_amounts.len() != rows.len() {
        new_amounts = spread_on_last(&old_amounts, diff);
    }
    let mut excess = Money::ZERO;
    for (row, new_amt) in rows.into_iter().zip(new_amounts) {
        let delta = new_amt - Money::from_grosze(row.amount);
        if delta.is_zero() {
            continue;
        }
        let mut outstanding = Money::from_grosze(row.outstanding) + delta;
        if outstanding.is_negative() {
            excess += -outstanding;
            outstanding = Money::ZERO;
        }
        let paid = outstanding.is_zero();
        let mut active: installment::ActiveModel = row.into();
        active.amount = Set(money_col(new_amt)?);
        active.outstanding = Set(money_col(outstanding)?);
        if paid {
            active.paid_on = Set(Some(today));
        } else {
            active.paid_on = Set(None);
        }
        active.update(&*tx).await?;
    }
    let party = Some(ob.party_id);
    let obl = Some(ob.id);
    let mut lines = if diff.is_positive() {
        vec![
            Line::debit(&kind.receivable_account, party, obl, diff),
            Line::credit(&kind.revenue_account, party, obl, diff),
        ]
    } else {
        vec![
            Line::debit(&kind.revenue_account, party, obl, -diff),
            Line::credit(&kind.receivable_account, party, obl, -diff),
        ]
    };
    if excess.is_positive() {
        lines.push(Line::debit(&kind.receivable_account, party, obl, excess));
        lines.push(Line::credit(&fees.posting.overpayment, party, None, excess));
    }
    // Unique per change: a clock reading is not (a fixed clock, two requests in one tick),
    // and a repeated key would make `ledger::post` replay the earlier change silently.
    let seq = Uuid::now_v7();
    ledger::post(
        &*tx,
        ctx,
        Entry {
            key: format!("adjustment:{obligation_id}:{seq}"),
            date: today,
            description: format!("Zmiana przypisu: {} — {}", ob.title, reason.trim()),
            lines,
            reverses: None,
        },
    )
    .await?;
    let mut active: obligation::ActiveModel = ob.clone().into();
    active.amount = Set(money_col(new_amount)?);
    let updated = active.update(&*tx).await?;
    audit::record(
        &tx,
        ctx,
        "finance.assessment.adjusted",
        serde_json::json!({ "obligation": obligation_id, "before": old.to_string(), "after": new_amount.to_string(), "reason": reason.trim() }),
    )
    .await?;
    payments::offset_overpayment(fin, ctx, &*tx, ob.party_id, today).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Applies `diff` to the installments from the last backwards, never below zero.
fn spread_on_last(old: &[Money], diff: Money) -> Vec<Money> {
    let mut out = old.to_vec();
    if diff.is_positive() {
        if let Some(last) = out.last_mut() {
            *last += diff;
        }
        return out;
    }
    let mut left = -diff;
    for amount in out.iter_mut().rev() {
        let take = if *amount < left { *amount } else { left };
        *amount -= take;
        left -= take;
        if left.is_zero() {
            break;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_decrease_is_taken_from_the_last_installments() {
        let m = |s: &str| Money::parse(s).unwrap();
        let old = [m("250"), m("250"), m("250"), m("251")];
        assert_eq!(
            spread_on_last(&old, m("-300")),
            vec![m("250"), m("250"), m("201"), m("0")]
        );
        assert_eq!(
            spread_on_last(&old, m("10")),
            vec![m("250"), m("250"), m("250"), m("261")]
        );
    }
}
