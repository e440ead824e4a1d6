//! Undoing an import: every posting it made is reversed (storno) — payments through the
//! finance correction, which gives the installments back what they were paid; payouts and
//! unidentified receipts by their mirror entries; a clerk's later resolution first — its dedupe
//! keys are released so a corrected file can be imported again. Lines are read a page (the
//! import's chunk) at a time, and a page's payments and unidentified receipts are reversed in
//! batches. All in one transaction: if
//! one posting cannot be reversed (say the overpayment it created was already refunded),
//! nothing is.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;
use wspolnota_core::bulk::is_in;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, TenantDb, TenantTx, audit};
use wspolnota_finance::entity::{ledger_entry, payment};
use wspolnota_finance::ledger;
use wspolnota_finance::service::bulk::{self, Checks};
use wspolnota_finance::service::corrections;
use wspolnota_payments::entity::payout;
use wspolnota_payments::service::payouts;

use super::Statements;
use super::resolve::resolution_key;
use crate::entity::{import, line, seen};

pub async fn undo(
    svc: &Statements,
    ctx: &Ctx,
    import_id: Uuid,
    reason: &str,
) -> AppResult<import::Model> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let reason = super::reason(reason)?;
    let tx = TenantDb::begin(ctx).await?;
    let imported = import::Entity::find_by_id(import_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such import"))?;
    if imported.reversed_at.is_some() {
        return Err(AppError::conflict("this import has already been undone"));
    }
    let why = format!("cofnięcie importu wyciągu: {reason}");
    // A chunk of lines at a time (an import may hold millions), the last posted first: line
    // ids are time-ordered.
    let mut undone = 0usize;
    let mut before: Option<Uuid> = None;
    loop {
        let mut page = line::Entity::find().filter(line::Column::ImportId.eq(import_id));
        if let Some(first) = before {
            page = page.filter(line::Column::Id.lt(first));
        }
        let lines = page
            .order_by_desc(line::Column::Id)
            .limit(u64::try_from(svc.chunk_lines()).unwrap_or(u64::MAX))
            .all(&*tx)
            .await?;
        let Some(last) = lines.last() else { break };
        before = Some(last.id);
        undone += lines.len();
        undo_page(svc, ctx, &tx, &lines, &why).await?;
        seen::Entity::delete_many()
            .filter(is_in(
                &*tx,
                seen::Column::LineId,
                lines.iter().map(|l| l.id),
            )?)
            .exec(&*tx)
            .await?;
    }
    let mut row: import::ActiveModel = imported.into();
    row.reversed_at = Set(Some(ctx.clock().now()));
    row.reversed_by = Set(ctx.account_id().map(|a| a.0));
    row.reverse_reason = Set(Some(reason.to_owned()));
    let updated = row.update(&*tx).await?;
    audit::record(
        &tx,
        ctx,
        "statements.import_undone",
        serde_json::json!({ "import": import_id, "lines": undone, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Reverses what a page of lines posted and marks them reversed: the payments of matched
/// credits and the unidentified receipts of unmatched ones in batches, a payout or a clerk's
/// resolution (a few a statement) one by one.
async fn undo_page(
    svc: &Statements,
    ctx: &Ctx,
    tx: &TenantTx,
    lines: &[line::Model],
    why: &str,
) -> AppResult<()> {
    let mut payments = Vec::new();
    let mut unmatched = Vec::new();
    let mut reversed = Vec::new();
    for l in lines {
        match (l.status.as_str(), l.payment_id, l.entry_id) {
            ("debit", _, _) => continue,
            ("posted", Some(payment), _) => payments.push(payment),
            ("unmatched", _, Some(entry)) => unmatched.push(entry),
            _ => undo_line(svc, ctx, tx, l, why).await?,
        }
        reversed.push(l.id);
    }
    corrections::correct_payments(&svc.finance, ctx, tx, &payments, why).await?;
    let today = ctx.today();
    bulk::reverse_entries(&**tx, ctx, &unmatched, today, why, Checks::Lookup).await?;
    line::Entity::update_many()
        .col_expr(line::Column::Status, Expr::value("reversed"))
        .filter(is_in(&**tx, line::Column::Id, reversed)?)
        .exec(&**tx)
        .await?;
    Ok(())
}

/// Reverses what a line settling a payout or resolved by a clerk posted.
async fn undo_line(
    svc: &Statements,
    ctx: &Ctx,
    tx: &TenantTx,
    l: &line::Model,
    why: &str,
) -> AppResult<()> {
    match l.status.as_str() {
        "payout" => {
            reverse_entry(ctx, tx, l.entry_id, why).await?;
            if let Some(p) = payout::Entity::find()
                .filter(payout::Column::SettledLineId.eq(l.id))
                .one(&**tx)
                .await?
            {
                payouts::set_settled(&**tx, p.id, None).await?;
            }
        }
        "resolved" | "refunded" => {
            if l.payment_id.is_some() {
                reverse_payment(svc, ctx, tx, l.payment_id, why).await?;
            } else {
                let resolution = ledger_entry::Entity::find()
                    .filter(ledger_entry::Column::IdempotencyKey.eq(resolution_key(l.id)))
                    .one(&**tx)
                    .await?
                    .map(|e| e.id);
                reverse_entry(ctx, tx, resolution, why).await?;
            }
            reverse_entry(ctx, tx, l.entry_id, why).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn reverse_payment(
    svc: &Statements,
    ctx: &Ctx,
    tx: &TenantTx,
    payment_id: Option<Uuid>,
    why: &str,
) -> AppResult<()> {
    let Some(id) = payment_id else { return Ok(()) };
    let p = payment::Entity::find_by_id(id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::not_found("a posted payment is missing"))?;
    corrections::correct_in(&svc.finance, ctx, tx, p.entry_id, why).await?;
    Ok(())
}

async fn reverse_entry(ctx: &Ctx, tx: &TenantTx, entry: Option<Uuid>, why: &str) -> AppResult<()> {
    let Some(entry) = entry else { return Ok(()) };
    ledger::reverse(&**tx, ctx, entry, ctx.today(), why).await?;
    Ok(())
}
