//! Manual corrections of the journal: a clerk reverses (storno) one journal entry with its
//! mirror image ([`crate::ledger::reverse`]) and the sub-ledger (obligations, installments,
//! costs, the credit balance) is brought back in line with the books, in one transaction.
//!
//! Two kinds of entries can be corrected; every other entry is refused with a VALIDATION
//! error on `entryId`:
//!
//! - **An assessment (przypis)**: the first journal entry of an obligation (two lines, Wn
//!   receivable / Ma revenue, both on that obligation). Correcting it cancels the
//!   obligation: the przypis is reversed; any later change of the amount (adjustments) is
//!   taken off the revenue account too; whatever principal had been paid becomes the party's
//!   overpayment (Wn receivable / Ma overpayment, posted as a second entry
//!   `cancellation:<obligation>`); the obligation's status becomes `cancelled` and its
//!   installments' outstanding 0. The credit balance is then set against the party's other
//!   arrears (art. 76 OP), as after an assessment.
//! - **A payment** (an entry recorded with a row in `finance_payments`: cash desk, bank,
//!   gateway, or an overpayment credited by offset): the entry is reversed, each installment
//!   gets back the principal the payment allocated to it, each dunning cost what it paid, and
//!   the overpayment the payment created is taken back by the reversal. Refused when that
//!   overpayment has since been credited or refunded (the party's credit balance is smaller
//!   than it), when an installment it paid belongs to a cancelled obligation, or when an
//!   installment was reduced after the payment (correct those first).
//!
//! Not correctable: reversals themselves, adjustments of an assessment (use another
//! adjustment), cancellation entries, and any other entry (e.g. unidentified receipts). An
//! entry is corrected at most once (a second attempt is a CONFLICT). A reason is required.
//!
//! Payments are corrected by one implementation whether one ([`correct_entry`]) or thousands
//! ([`correct_payments`]: undoing a bank statement's import) — a few statements per batch.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;
use wspolnota_core::bulk::Batch;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, TenantTx, audit};

use super::bulk::{self, Checks};
use super::{Finance, payments};
use crate::entity::{cost, installment, ledger_entry, ledger_line, obligation, payment};
use crate::ledger::{self, Entry, Line};

/// What kind of entry was corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "CorrectedEntryKind")]
pub enum CorrectedKind {
    /// An assessment: its obligation is cancelled.
    Assessment,
    /// A payment: its allocations are undone.
    Payment,
}

/// The outcome of a correction.
#[derive(Debug, Clone)]
pub struct Correction {
    /// The storno entry.
    pub reversal_id: Uuid,
    pub kind: CorrectedKind,
    /// The cancelled obligation (assessments).
    pub obligation_id: Option<Uuid>,
    /// The corrected payment (payments).
    pub payment_id: Option<Uuid>,
    /// The entry moving paid principal to the overpayment account (assessments, when
    /// something had been paid).
    pub settlement_id: Option<Uuid>,
}

/// Clerk: reverses journal entry `entry_id` and brings the sub-ledger in line (see the
/// module docs for what can be corrected).
pub async fn correct_entry(
    fin: &Finance,
    ctx: &Ctx,
    entry_id: Uuid,
    reason: &str,
) -> AppResult<Correction> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation(
            "reason",
            "say why the entry is corrected",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::validation(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let tx = TenantDb::begin(ctx).await?;
    let correction = correct_in(fin, ctx, &tx, entry_id, reason).await?;
    tx.commit().await?;
    Ok(correction)
}

/// [`correct_entry`] inside the caller's transaction (a gateway refund reverses its payment
/// this way); the caller checks the actor and the reason.
pub async fn correct_in(
    fin: &Finance,
    ctx: &Ctx,
    tx: &TenantTx,
    entry_id: Uuid,
    reason: &str,
) -> AppResult<Correction> {
    let entry = ledger_entry::Entity::find_by_id(entry_id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::validation("entryId", "no such journal entry"))?;
    if entry.reverses.is_some() {
        return Err(AppError::validation(
            "entryId",
            "this entry is itself a reversal; it cannot be corrected",
        ));
    }
    let reversed = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Reverses.eq(entry_id))
        .one(&**tx)
        .await?;
    if reversed.is_some() {
        return Err(AppError::conflict("this entry has already been reversed"));
    }
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::EntryId.eq(entry_id))
        .order_by_asc(ledger_line::Column::Id)
        .all(&**tx)
        .await?;
    let today = ctx.today();
    let paid = payment::Entity::find()
        .filter(payment::Column::EntryId.eq(entry_id))
        .one(&**tx)
        .await?;
    let correction = if let Some(p) = paid {
        correct_paid(fin, ctx, tx, vec![p], reason)
            .await?
            .pop()
            .ok_or_else(|| AppError::internal(std::io::Error::other("a correction went missing")))?
    } else if let Some(ob) = assessed_obligation(&**tx, &entry, &lines).await? {
        correct_assessment(fin, ctx, tx, &entry, &lines, ob, today, reason).await?
    } else {
        return Err(AppError::validation(
            "entryId",
            "only an assessment (przypis) or a payment can be corrected; reverse an \
             adjustment with another adjustment",
        ));
    };
    Ok(correction)
}

/// The obligation whose przypis `entry` is: two lines (Wn / Ma) on one obligation, and the
/// first entry that obligation got.
async fn assessed_obligation<C: ConnectionTrait>(
    db: &C,
    entry: &ledger_entry::Model,
    lines: &[ledger_line::Model],
) -> AppResult<Option<obligation::Model>> {
    let [first, second] = lines else {
        return Ok(None);
    };
    let (Some(ob_id), Some(other)) = (first.obligation_id, second.obligation_id) else {
        return Ok(None);
    };
    let shaped = ob_id == other
        && first.debit > 0
        && second.credit > 0
        && first.debit == second.credit
        && first.credit == 0
        && second.debit == 0;
    if !shaped {
        return Ok(None);
    }
    let entry_ids: Vec<Uuid> = ledger_line::Entity::find()
        .filter(ledger_line::Column::ObligationId.eq(ob_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.entry_id)
        .collect();
    let earliest = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Id.is_in(entry_ids))
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .order_by_asc(ledger_entry::Column::Id)
        .one(db)
        .await?;
    if earliest.map(|e| e.id) != Some(entry.id) {
        return Ok(None);
    }
    Ok(obligation::Entity::find_by_id(ob_id).one(db).await?)
}

#[allow(clippy::too_many_arguments)]
async fn correct_assessment(
    fin: &Finance,
    ctx: &Ctx,
    tx: &TenantTx,
    entry: &ledger_entry::Model,
    lines: &[ledger_line::Model],
    ob: obligation::Model,
    today: NaiveDate,
    reason: &str,
) -> AppResult<Correction> {
    if ob.status == "cancelled" {
        return Err(AppError::conflict("this obligation is already cancelled"));
    }
    let fees = fin.fees(ctx)?;
    let (receivable, revenue) = match lines {
        [debit, credit] => (debit.account.clone(), credit.account.clone()),
        _ => {
            return Err(AppError::internal(std::io::Error::other(
                "assessment entry without two lines",
            )));
        }
    };
    let installments = installment::Entity::find()
        .filter(installment::Column::ObligationId.eq(ob.id))
        .order_by_asc(installment::Column::Number)
        .all(&**tx)
        .await?;
    // The obligation's balances in the books before the correction.
    let ob_lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::ObligationId.eq(ob.id))
        .all(&**tx)
        .await?;
    let on = |account: &str| -> Money {
        Money::from_grosze(
            ob_lines
                .iter()
                .filter(|l| l.account == account)
                .map(|l| l.debit - l.credit)
                .sum(),
        )
    };
    let receivable_balance = on(&receivable);
    let revenue_balance = -on(&revenue);
    let original = Money::from_grosze(lines[0].debit);

    let reversal = ledger::reverse(&**tx, ctx, entry.id, today, reason).await?;
    // What is left after the storno: later adjustments of the revenue, and paid principal.
    let adjusted = revenue_balance - original;
    let paid = revenue_balance - receivable_balance;
    if paid.is_negative() {
        return Err(AppError::internal(std::io::Error::other(format!(
            "obligation {}: receivable {receivable_balance} exceeds revenue {revenue_balance}",
            ob.id
        ))));
    }
    let party = Some(ob.party_id);
    let obl = Some(ob.id);
    let mut settle = Vec::new();
    if adjusted.is_positive() {
        settle.push(Line::debit(&revenue, party, obl, adjusted));
        settle.push(Line::credit(&receivable, party, obl, adjusted));
    } else if adjusted.is_negative() {
        settle.push(Line::debit(&receivable, party, obl, -adjusted));
        settle.push(Line::credit(&revenue, party, obl, -adjusted));
    }
    if paid.is_positive() {
        settle.push(Line::debit(&receivable, party, obl, paid));
        settle.push(Line::credit(&fees.posting.overpayment, party, None, paid));
    }
    let settlement_id = if settle.is_empty() {
        None
    } else {
        let posted = ledger::post(
            &**tx,
            ctx,
            Entry {
                key: format!("cancellation:{}", ob.id),
                date: today,
                description: format!("Anulowanie przypisu: {} — {reason}", ob.title),
                lines: settle,
                reverses: None,
            },
        )
        .await?;
        Some(posted.id())
    };

    let before: Vec<serde_json::Value> = installments
        .iter()
        .map(|i| {
            serde_json::json!({ "installment": i.id,
                "outstanding": Money::from_grosze(i.outstanding).to_string() })
        })
        .collect();
    for inst in installments {
        if inst.outstanding != 0 {
            let mut active: installment::ActiveModel = inst.into();
            active.outstanding = Set(0);
            active.update(&**tx).await?;
        }
    }
    let status_before = ob.status.clone();
    let mut active: obligation::ActiveModel = ob.clone().into();
    active.status = Set("cancelled".into());
    active.update(&**tx).await?;
    audit::record(
        tx,
        ctx,
        "finance.entry.corrected",
        serde_json::json!({
            "entry": entry.id, "kind": "assessment", "reason": reason,
            "reversal": reversal.id(), "settlement": settlement_id,
            "before": { "obligation": ob.id, "status": status_before,
                "amount": Money::from_grosze(ob.amount).to_string(), "installments": before },
            "after": { "obligation": ob.id, "status": "cancelled", "outstanding": "0.00",
                "toOverpayment": paid.to_string() },
        }),
    )
    .await?;
    payments::offset_overpayment(fin, ctx, &**tx, ob.party_id, today).await?;
    Ok(Correction {
        reversal_id: reversal.id(),
        kind: CorrectedKind::Assessment,
        obligation_id: Some(ob.id),
        payment_id: None,
        settlement_id,
    })
}

/// Corrects the payments `payment_ids` inside the caller's transaction, as [`correct_in`] would
/// correct their entries one after another in that order, with a few statements for all of
/// them (undoing a bank statement's import corrects thousands). Every check of a single
/// correction holds for the batch as a whole — a party's credit balance still holds all the
/// overpayments its corrected payments created, no installment is given back more than it was
/// reduced to — and one refusal refuses the batch: nothing is written. The caller checks the
/// actor and the reason.
pub async fn correct_payments(
    fin: &Finance,
    ctx: &Ctx,
    tx: &TenantTx,
    payment_ids: &[Uuid],
    reason: &str,
) -> AppResult<Vec<Correction>> {
    let db = &**tx;
    let mut unique = HashSet::with_capacity(payment_ids.len());
    if let Some(twice) = payment_ids.iter().find(|id| !unique.insert(**id)) {
        return Err(AppError::validation(
            "paymentIds",
            format!("payment {twice} is listed twice"),
        ));
    }
    let mut found =
        by_id::<payment::Entity, _>(db, payment::Column::Id, payment_ids, |p| p.id).await?;
    let paid = payment_ids
        .iter()
        .map(|id| {
            found
                .remove(id)
                .ok_or_else(|| AppError::not_found("a posted payment is missing"))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let entry_ids: Vec<Uuid> = paid.iter().map(|p| p.entry_id).collect();
    let entries = bulk::entries_by_id(db, &entry_ids).await?;
    for id in &entry_ids {
        let entry = entries
            .get(id)
            .ok_or_else(|| AppError::validation("entryId", "no such journal entry"))?;
        if entry.reverses.is_some() {
            return Err(AppError::validation(
                "entryId",
                "this entry is itself a reversal; it cannot be corrected",
            ));
        }
    }
    if bulk::any_reversed(db, &entry_ids).await? {
        return Err(AppError::conflict("this entry has already been reversed"));
    }
    correct_paid(fin, ctx, tx, paid, reason).await
}

/// The payments' corrections, their entries checked (they exist, are not reversals and have
/// not been reversed).
async fn correct_paid(
    fin: &Finance,
    ctx: &Ctx,
    tx: &TenantTx,
    paid: Vec<payment::Model>,
    reason: &str,
) -> AppResult<Vec<Correction>> {
    let db = &**tx;
    let fees = fin.fees(ctx)?;
    let today = ctx.today();
    let ids: Vec<Uuid> = paid.iter().map(|p| p.id).collect();
    let allocations = bulk::allocations_of(db, &ids).await?;
    // In a batch, a refusal names the payment (or party) it is about.
    let batch = paid.len() > 1;
    let which = |p: &payment::Model| {
        if batch {
            format!(
                "payment {} of {} on {}: ",
                p.id,
                Money::from_grosze(p.amount),
                p.paid_on
            )
        } else {
            String::new()
        }
    };

    // The overpayments the payments created must still be on their parties' accounts.
    let mut created: HashMap<Uuid, Money> = HashMap::new();
    for p in paid.iter().filter(|p| p.overpayment > 0) {
        *created.entry(p.party_id).or_insert(Money::ZERO) += Money::from_grosze(p.overpayment);
    }
    if !created.is_empty() {
        let parties: Vec<Uuid> = created.keys().copied().collect();
        let credit = payments::overpayments(db, &fees, &parties).await?;
        for (party, created) in &created {
            let credit = credit.get(party).copied().unwrap_or(Money::ZERO);
            if credit < *created {
                let whose = if batch {
                    format!("the payments of party {party} being corrected left")
                } else {
                    "this payment left".to_owned()
                };
                return Err(AppError::validation(
                    "entryId",
                    format!(
                        "{whose} an overpayment of {created}, but only {credit} of it is still \
                         on the party's account: correct the offset or refund first"
                    ),
                ));
            }
        }
    }

    let installment_ids: Vec<Uuid> = allocations
        .values()
        .flatten()
        .filter(|a| a.principal > 0)
        .filter_map(|a| a.installment_id)
        .collect();
    let installments: HashMap<Uuid, installment::Model> =
        by_id::<installment::Entity, _>(db, installment::Column::Id, &installment_ids, |i| i.id)
            .await?;
    let obligation_ids: Vec<Uuid> = installments.values().map(|i| i.obligation_id).collect();
    let cancelled: HashSet<Uuid> =
        by_id::<obligation::Entity, _>(db, obligation::Column::Id, &obligation_ids, |o| o.id)
            .await?
            .into_values()
            .filter(|o| o.status == "cancelled")
            .map(|o| o.id)
            .collect();
    let cost_ids: Vec<Uuid> = allocations
        .values()
        .flatten()
        .filter(|a| a.costs > 0)
        .filter_map(|a| a.cost_id)
        .collect();
    let costs: HashMap<Uuid, cost::Model> =
        by_id::<cost::Entity, _>(db, cost::Column::Id, &cost_ids, |c| c.id).await?;

    // Check everything before changing anything, one payment after another: what each gives
    // back is on top of what the ones before it gave.
    let mut outstanding: HashMap<Uuid, i64> = HashMap::new();
    let mut cost_outstanding: HashMap<Uuid, i64> = HashMap::new();
    let mut details = Vec::with_capacity(paid.len());
    for p in &paid {
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mine = allocations
            .get(&p.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for a in mine.iter().filter(|a| a.principal > 0) {
            let Some(inst_id) = a.installment_id else {
                continue;
            };
            let inst = installments.get(&inst_id).ok_or_else(|| {
                AppError::internal(std::io::Error::other("allocation to a missing installment"))
            })?;
            if cancelled.contains(&inst.obligation_id) {
                return Err(AppError::validation(
                    "entryId",
                    format!(
                        "{}this payment went to an obligation that has since been cancelled; \
                         its money is on the overpayment account",
                        which(p)
                    ),
                ));
            }
            let was = *outstanding.get(&inst.id).unwrap_or(&inst.outstanding);
            if was + a.principal > inst.amount {
                return Err(AppError::validation(
                    "entryId",
                    format!(
                        "{}an installment this payment paid was reduced afterwards: correct the \
                         adjustment first",
                        which(p)
                    ),
                ));
            }
            outstanding.insert(inst.id, was + a.principal);
            before.push(serde_json::json!({ "installment": inst.id,
                "outstanding": Money::from_grosze(was).to_string() }));
            after.push(serde_json::json!({ "installment": inst.id,
                "outstanding": Money::from_grosze(was + a.principal).to_string() }));
        }
        for a in mine.iter().filter(|a| a.costs > 0) {
            let Some(c) = a.cost_id.and_then(|id| costs.get(&id)) else {
                continue;
            };
            let was = *cost_outstanding.get(&c.id).unwrap_or(&c.outstanding);
            cost_outstanding.insert(c.id, was + a.costs);
            before.push(serde_json::json!({ "cost": c.id,
                "outstanding": Money::from_grosze(was).to_string() }));
            after.push(serde_json::json!({ "cost": c.id,
                "outstanding": Money::from_grosze(was + a.costs).to_string() }));
        }
        details.push((before, after));
    }

    let reversals = bulk::reverse_entries(
        db,
        ctx,
        &paid.iter().map(|p| p.entry_id).collect::<Vec<_>>(),
        today,
        reason,
        Checks::Claimed,
    )
    .await?;
    Batch::of::<installment::Entity>(
        outstanding
            .iter()
            .map(|(id, outstanding)| installment::ActiveModel {
                id: Set(*id),
                outstanding: Set(*outstanding),
                paid_on: Set(None),
                ..Default::default()
            })
            .collect(),
    )?
    .update(db, "id")
    .await?;
    Batch::of::<cost::Entity>(
        cost_outstanding
            .iter()
            .map(|(id, outstanding)| cost::ActiveModel {
                id: Set(*id),
                outstanding: Set(*outstanding),
                ..Default::default()
            })
            .collect(),
    )?
    .update(db, "id")
    .await?;
    let mut audits = Vec::with_capacity(paid.len());
    let mut out = Vec::with_capacity(paid.len());
    for ((p, reversal), (before, after)) in paid.iter().zip(reversals).zip(details) {
        audits.push(serde_json::json!({
            "entry": p.entry_id, "kind": "payment", "payment": p.id, "reason": reason,
            "reversal": reversal,
            "amount": Money::from_grosze(p.amount).to_string(),
            "overpaymentRemoved": Money::from_grosze(p.overpayment).to_string(),
            "before": before, "after": after,
        }));
        out.push(Correction {
            reversal_id: reversal,
            kind: CorrectedKind::Payment,
            obligation_id: None,
            payment_id: Some(p.id),
            settlement_id: None,
        });
    }
    audit::record_many(tx, ctx, "finance.entry.corrected", audits).await?;
    Ok(out)
}

/// The rows of `E` whose key `column` is one of `ids`, by id.
async fn by_id<E, C>(
    db: &C,
    column: E::Column,
    ids: &[Uuid],
    id: impl Fn(&E::Model) -> Uuid,
) -> AppResult<HashMap<Uuid, E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = bulk::rows_in(db, E::find(), column, ids).await?;
    Ok(rows.into_iter().map(|row| (id(&row), row)).collect())
}
