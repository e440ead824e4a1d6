//! The one place a payment's status changes. Inside the caller's transaction: a compare-and-set
//! on the status (two processors of one payment cannot both move it), an event row for the
//! edge, the installment locks released on a final status, and on success the payment posted
//! on the finance ledger (Wn 141 / Ma 221, idempotent on the payment id).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, Money};
use wspolnota_finance::entity::installment;
use wspolnota_finance::service::payments::{Channel, NewPayment, record_in};

use super::Payments;
use crate::entity::{event, lock, payment, payment_installment};
use crate::receipt::warsaw_local;
use crate::state::{self, PaymentEvent, PaymentStatus, Transition};

/// What applying an event did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub payment: payment::Model,
    pub transition: Transition,
    /// The event was not allowed in the payment's status (a reordered or stale message): it
    /// changed nothing.
    pub ignored: bool,
}

pub(crate) fn status_of(p: &payment::Model) -> AppResult<PaymentStatus> {
    PaymentStatus::parse(&p.status).ok_or_else(|| {
        AppError::internal(std::io::Error::other(format!(
            "payment {} has an unknown status {:?}",
            p.id, p.status
        )))
    })
}

/// Applies `event` to payment `payment_id` within `db`'s transaction. `detail` is stored with
/// the event (never personal data: gateway, references, amounts).
pub async fn apply_in<C: ConnectionTrait>(
    pay: &Payments,
    ctx: &Ctx,
    db: &C,
    payment_id: Uuid,
    event: PaymentEvent,
    detail: serde_json::Value,
) -> AppResult<Applied> {
    let current = payment::Entity::find_by_id(payment_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such payment"))?;
    let from = status_of(&current)?;
    let transition = match state::apply(from, &event) {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(payment = %payment_id, error = %e, "payment event ignored");
            return Ok(Applied {
                payment: current,
                transition: Transition::Unchanged(from),
                ignored: true,
            });
        }
    };
    let Transition::Moved { from, to } = transition else {
        return Ok(Applied {
            payment: current,
            transition,
            ignored: false,
        });
    };
    let now = ctx.clock().now();
    let moved = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(to.as_str()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(
            "the payment changed while it was being updated; try again",
        ));
    }
    event::ActiveModel {
        payment_id: Set(payment_id),
        from_status: Set(Some(from.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        event: Set(event.kind().as_str().to_owned()),
        detail: Set(Some(detail.to_string())),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if to.is_final() {
        lock::Entity::delete_many()
            .filter(lock::Column::PaymentId.eq(payment_id))
            .exec(db)
            .await?;
    }
    if let PaymentEvent::ProviderSucceeded { paid_at } = event
        && to == PaymentStatus::Succeeded
    {
        settle(pay, ctx, db, &current, paid_at).await?;
    }
    let payment = payment::Entity::find_by_id(payment_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such payment"))?;
    Ok(Applied {
        payment,
        transition,
        ignored: false,
    })
}

/// The day a payment counts as made (art. 60 OP: the day the payer's account was debited),
/// in Polish time; never later than today.
pub fn paid_on(paid_at: DateTime<Utc>, now: DateTime<Utc>) -> NaiveDate {
    warsaw_local(paid_at.min(now)).date()
}

/// Posts a succeeded payment: money in transit against the party's receivables, allocated
/// by the finance rules with the installments the payer chose as the indication.
async fn settle<C: ConnectionTrait>(
    pay: &Payments,
    ctx: &Ctx,
    db: &C,
    p: &payment::Model,
    paid_at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let now = ctx.clock().now();
    let paid_at = paid_at.unwrap_or(now).min(now);
    let chosen: Vec<Uuid> = payment_installment::Entity::find()
        .filter(payment_installment::Column::PaymentId.eq(p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.installment_id)
        .collect();
    // The cash desk may have paid one of them meanwhile: the money then goes by the usual order.
    let still_open: Vec<Uuid> = installment::Entity::find()
        .filter(installment::Column::Id.is_in(chosen))
        .filter(installment::Column::Outstanding.gt(0))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let recorded = record_in(
        &pay.finance,
        ctx,
        db,
        NewPayment {
            party_id: p.party_id,
            amount: Money::from_grosze(p.amount),
            paid_on: paid_on(paid_at, now),
            title: p.description.clone(),
            installment_ids: still_open,
            indicated_kind: None,
            indicated_obligation: None,
            named_installments: None,
            channel: Channel::Gateway,
            idempotency_key: format!("online:{}", p.id),
        },
    )
    .await?;
    let mut active: payment::ActiveModel = p.clone().into();
    active.status = Set(PaymentStatus::Succeeded.as_str().to_owned());
    active.paid_at = Set(Some(paid_at));
    active.finance_payment_id = Set(Some(recorded.payment.id));
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(())
}

/// Tells subscribers (on any replica) that a payment changed. Best effort: a lost message only
/// delays a page, which re-reads the payment anyway.
pub async fn announce(ctx: &Ctx, payment: &payment::Model) {
    if let Err(e) = ctx
        .kv()
        .publish(&channel(payment.id), &payment.status)
        .await
    {
        tracing::warn!(payment = %payment.id, error = %e, "payment status not published");
    }
}

pub fn channel(payment_id: Uuid) -> String {
    format!("payment:{payment_id}")
}
