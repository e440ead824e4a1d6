//! Reminders before due dates: for each installment still outstanding whose due date is one of
//! the tenant's `reminder_days_before` away, one outbox event (keyed by installment and due
//! date, so planning twice enqueues nothing new) and one informational action in the log the
//! dunning regulation requires (form, date, who).

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use wspolnota_core::{AppResult, Ctx, Money, TenantDb, outbox};
use wspolnota_finance::entity::{installment, obligation, virtual_account};

use super::Notify;
use super::plan::polish_date;
use crate::entity::action;

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
    let today = ctx.clock().now().date_naive();
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
    for inst in &due {
        let Some(ob) = obligation::Entity::find_by_id(inst.obligation_id)
            .one(&*tx)
            .await?
        else {
            continue;
        };
        if !wanted(&ob.kind_code, inst.due_date) {
            continue;
        }
        let account = virtual_account::Entity::find()
            .filter(virtual_account::Column::PartyId.eq(inst.party_id))
            .filter(virtual_account::Column::KindCode.eq(ob.kind_code.as_str()))
            .one(&*tx)
            .await?
            .map(|v| v.nrb)
            .unwrap_or_default();
        let key = format!("reminder:{}:{}", inst.id, inst.due_date);
        let new = outbox::enqueue(
            &*tx,
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
            continue;
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
        .insert(&*tx)
        .await?;
        count += 1;
    }
    tx.commit().await?;
    Ok(count)
}
