//! Reminders before due dates: for each installment still outstanding whose due date is one of
//! the tenant's `reminder_days_before` away, one outbox event (keyed by installment and due
//! date, so planning twice enqueues nothing new) and one informational action in the log the
//! dunning regulation requires (form, date, who).

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::{AppResult, Ctx, Money, TenantDb, outbox};
use wspolnota_finance::entity::{installment, obligation, virtual_account};

use super::Notify;
use super::plan::polish_date;
use crate::entity::action;

/// Installments whose obligations and accounts are looked up together.
const LOOKUP_CHUNK: usize = 1000;

/// Enqueues today's reminders; returns how many installments were reminded.
pub async fn enqueue_reminders(_n: &Notify, ctx: &Ctx) -> AppResult<usize> {
    let cfg = ctx.tenant()?.config().notifications.clone();
    let mut all_days: Vec<u32> = cfg.reminder_days_before.clone();
    all_days.extend(cfg.reminder_days_by_kind.values().flatten().copied());
    all_days.sort_unstable();
    all_days.dedup();
    if all_days.is_empty() {
        return Ok(0);
    }
    let today = ctx.today();
    let targets: Vec<_> = all_days
        .iter()
        .map(|d| today + Duration::days(i64::from(*d)))
        .collect();
    // A kind with its own days uses those; the others the tenant's default days.
    let wanted = |kind: &str, due: chrono::NaiveDate| {
        cfg.reminder_days_by_kind
            .get(kind)
            .unwrap_or(&cfg.reminder_days_before)
            .iter()
            .any(|d| today + Duration::days(i64::from(*d)) == due)
    };
    let tx = TenantDb::begin(ctx).await?;
    let due = installment::Entity::find()
        .filter(installment::Column::DueDate.is_in(targets))
        .filter(installment::Column::Outstanding.gt(0))
        .all(&*tx)
        .await?;
    let mut count = 0;
    for chunk in due.chunks(LOOKUP_CHUNK) {
        let (obligations, accounts) = lookups(&*tx, chunk).await?;
        for inst in chunk {
            let Some(ob) = obligations.get(&inst.obligation_id) else {
                continue;
            };
            if !wanted(&ob.kind_code, inst.due_date) {
                continue;
            }
            let account = accounts
                .get(&(inst.party_id, ob.kind_code.clone()))
                .cloned()
                .unwrap_or_default();
            if remind(&*tx, ctx, inst, ob, account).await? {
                count += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(count)
}

/// The obligations of these installments, and their parties' virtual accounts by kind.
async fn lookups(
    db: &impl ConnectionTrait,
    installments: &[installment::Model],
) -> AppResult<(
    HashMap<Uuid, obligation::Model>,
    HashMap<(Uuid, String), String>,
)> {
    let obligations = obligation::Entity::find()
        .filter(obligation::Column::Id.is_in(installments.iter().map(|i| i.obligation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let accounts = virtual_account::Entity::find()
        .filter(virtual_account::Column::PartyId.is_in(installments.iter().map(|i| i.party_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| ((v.party_id, v.kind_code), v.nrb))
        .collect();
    Ok((obligations, accounts))
}

/// One reminder: the outbox event and the logged action; false when it was already sent.
async fn remind(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    inst: &installment::Model,
    ob: &obligation::Model,
    account: String,
) -> AppResult<bool> {
    let key = format!("reminder:{}:{}", inst.id, inst.due_date);
    let new = outbox::enqueue(
        db,
        ctx,
        "reminder",
        Some(inst.party_id),
        &key,
        serde_json::json!({
            "installmentId": inst.id,
            "termin": polish_date(inst.due_date),
            "tytul": format!("{}, rata {}", ob.title, inst.number),
            "kwota": Money::from_grosze(inst.outstanding).to_polish(),
            "rachunek": account,
        }),
    )
    .await?;
    if !new {
        return Ok(false);
    }
    action::ActiveModel {
        party_id: Set(inst.party_id),
        installment_id: Set(Some(inst.id)),
        form: Set("reminder".to_owned()),
        at: Set(ctx.clock().now()),
        actor: Set("system".to_owned()),
        message_id: Set(None),
        description: Set(format!(
            "przypomnienie o terminie płatności {} ({})",
            polish_date(inst.due_date),
            Money::from_grosze(inst.outstanding).to_polish()
        )),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}
