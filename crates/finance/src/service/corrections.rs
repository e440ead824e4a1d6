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

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, TenantTx, audit};

use super::{Finance, payments};
use crate::entity::{
    allocation, cost, installment, ledger_entry, ledger_line, obligation, payment,
};
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
    let today = ctx.clock().now().date_naive();
    let paid = payment::Entity::find()
        .filter(payment::Column::EntryId.eq(entry_id))
        .one(&**tx)
        .await?;
    let correction = if let Some(p) = paid {
        correct_payment(fin, ctx, tx, &entry, p, today, reason).await?
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

async fn correct_payment(
    fin: &Finance,
    ctx: &Ctx,
    tx: &TenantTx,
    entry: &ledger_entry::Model,
    p: payment::Model,
    today: NaiveDate,
    reason: &str,
) -> AppResult<Correction> {
    let fees = fin.fees(ctx)?;
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::PaymentId.eq(p.id))
        .order_by_asc(allocation::Column::Id)
        .all(&**tx)
        .await?;
    let created = Money::from_grosze(p.overpayment);
    if created.is_positive() {
        let credit = payments::overpayment(&**tx, &fees, p.party_id).await?;
        if credit < created {
            return Err(AppError::validation(
                "entryId",
                format!(
                    "this payment left an overpayment of {created}, but only {credit} of it is \
                     still on the party's account: correct the offset or refund first"
                ),
            ));
        }
    }
    // Check everything before changing anything.
    let mut restore = Vec::new();
    for a in allocations.iter().filter(|a| a.principal > 0) {
        let Some(inst_id) = a.installment_id else {
            continue;
        };
        let inst = installment::Entity::find_by_id(inst_id)
            .one(&**tx)
            .await?
            .ok_or_else(|| {
                AppError::internal(std::io::Error::other("allocation to a missing installment"))
            })?;
        let ob = obligation::Entity::find_by_id(inst.obligation_id)
            .one(&**tx)
            .await?;
        if ob.is_some_and(|o| o.status == "cancelled") {
            return Err(AppError::validation(
                "entryId",
                "this payment went to an obligation that has since been cancelled; its money \
                 is on the overpayment account",
            ));
        }
        if inst.outstanding + a.principal > inst.amount {
            return Err(AppError::validation(
                "entryId",
                "an installment this payment paid was reduced afterwards: correct the \
                 adjustment first",
            ));
        }
        restore.push((inst, a.principal));
    }
    let reversal = ledger::reverse(&**tx, ctx, entry.id, today, reason).await?;
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (inst, principal) in restore {
        let outstanding = inst.outstanding + principal;
        before.push(serde_json::json!({ "installment": inst.id,
            "outstanding": Money::from_grosze(inst.outstanding).to_string() }));
        after.push(serde_json::json!({ "installment": inst.id,
            "outstanding": Money::from_grosze(outstanding).to_string() }));
        let mut active: installment::ActiveModel = inst.into();
        active.outstanding = Set(outstanding);
        active.paid_on = Set(None);
        active.update(&**tx).await?;
    }
    for a in allocations.iter().filter(|a| a.costs > 0) {
        let Some(cost_id) = a.cost_id else {
            continue;
        };
        if let Some(c) = cost::Entity::find_by_id(cost_id).one(&**tx).await? {
            let outstanding = c.outstanding + a.costs;
            before.push(serde_json::json!({ "cost": c.id,
                "outstanding": Money::from_grosze(c.outstanding).to_string() }));
            after.push(serde_json::json!({ "cost": c.id,
                "outstanding": Money::from_grosze(outstanding).to_string() }));
            let mut active: cost::ActiveModel = c.into();
            active.outstanding = Set(outstanding);
            active.update(&**tx).await?;
        }
    }
    audit::record(
        tx,
        ctx,
        "finance.entry.corrected",
        serde_json::json!({
            "entry": entry.id, "kind": "payment", "payment": p.id, "reason": reason,
            "reversal": reversal.id(),
            "amount": Money::from_grosze(p.amount).to_string(),
            "overpaymentRemoved": created.to_string(),
            "before": before, "after": after,
        }),
    )
    .await?;
    Ok(Correction {
        reversal_id: reversal.id(),
        kind: CorrectedKind::Payment,
        obligation_id: None,
        payment_id: Some(p.id),
        settlement_id: None,
    })
}
