//! Delivery: claim due messages under a lease, send each through its channel, record what
//! happened. Statuses as GOV.UK Notify names them; retries with exponential backoff up to
//! [`MAX_ATTEMPTS`]; no SMS or call in the tenant's quiet hours.

use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wspolnota_core::clock::warsaw_local;
use wspolnota_core::{AppResult, Ctx, TenantDb};

use super::{Notify, office};
use crate::channel::{Attachment, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};
use crate::entity::message;

/// A claimed message is another worker's for this long; a crash frees it afterwards.
pub const LEASE: Duration = Duration::minutes(5);
/// Temporary and technical failures are retried this many times in all.
pub const MAX_ATTEMPTS: i32 = 10;

/// The statuses a message can have.
pub mod status {
    pub const CREATED: &str = "created";
    pub const SENDING: &str = "sending";
    pub const DELIVERED: &str = "delivered";
    pub const TEMPORARY_FAILURE: &str = "temporary-failure";
    pub const PERMANENT_FAILURE: &str = "permanent-failure";
    pub const TECHNICAL_FAILURE: &str = "technical-failure";
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
    pub deferred: usize,
}

fn due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(message::Column::Status.is_in([
                    status::CREATED,
                    status::TEMPORARY_FAILURE,
                    status::TECHNICAL_FAILURE,
                ]))
                .add(message::Column::NextAttemptAt.lte(now))
                .add(message::Column::Attempts.lt(MAX_ATTEMPTS)),
        )
        // Claimed by a worker that died before sending: the lease ran out, nothing was sent.
        .add(
            Condition::all()
                .add(message::Column::Status.eq(status::SENDING))
                .add(message::Column::ProviderId.is_null())
                .add(message::Column::SentAt.is_null())
                .add(message::Column::ClaimedUntil.lte(now)),
        )
}

/// Claims up to `limit` due messages for this worker.
pub async fn claim(ctx: &Ctx, limit: u64) -> AppResult<Vec<message::Model>> {
    let now = ctx.clock().now();
    let tx = TenantDb::begin(ctx).await?;
    let ids: Vec<Uuid> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .filter(due(now))
        .order_by_asc(message::Column::NextAttemptAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&*tx)
        .await?;
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(status::SENDING))
        .col_expr(message::Column::ClaimedUntil, Expr::value(now + LEASE))
        .col_expr(
            message::Column::Attempts,
            Expr::col(message::Column::Attempts).add(1),
        )
        .filter(message::Column::Id.is_in(ids.clone()))
        .exec(&*tx)
        .await?;
    let claimed = message::Entity::find()
        .filter(message::Column::Id.is_in(ids))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// One round: claim, send, record.
pub async fn deliver(n: &Notify, ctx: &Ctx, limit: u64) -> AppResult<Delivered> {
    let mut done = Delivered::default();
    // One channel per kind for the round: the SMTP transport keeps its connection (and its
    // pool) from one message to the next.
    let mut channels = Channels::default();
    for m in claim(ctx, limit).await? {
        match send_one(n, ctx, &mut channels, &m).await? {
            Outcome::Sent => done.sent += 1,
            Outcome::Failed => done.failed += 1,
            Outcome::Deferred => done.deferred += 1,
        }
    }
    Ok(done)
}

enum Outcome {
    Sent,
    Failed,
    Deferred,
}

/// The tenant's channels, built on first use within a delivery round.
#[derive(Default)]
struct Channels(std::collections::HashMap<&'static str, Option<Box<dyn crate::channel::Channel>>>);

impl Channels {
    fn get(
        &mut self,
        n: &Notify,
        ctx: &Ctx,
        kind: ChannelKind,
    ) -> AppResult<Option<&dyn crate::channel::Channel>> {
        if !self.0.contains_key(kind.as_str()) {
            self.0.insert(kind.as_str(), n.channel(ctx, kind)?);
        }
        Ok(self.0.get(kind.as_str()).and_then(|c| c.as_deref()))
    }
}

fn kind_of(m: &message::Model) -> Option<ChannelKind> {
    ChannelKind::parse(&m.channel)
}

/// The next moment outside the quiet hours (local time), or None if `now` is allowed.
fn after_quiet_hours(ctx: &Ctx, now: DateTime<Utc>) -> AppResult<Option<DateTime<Utc>>> {
    let cfg = &ctx.tenant()?.config().notifications;
    let hour = warsaw_local(now).hour();
    if hour >= cfg.quiet_until_hour && hour < cfg.quiet_from_hour {
        return Ok(None);
    }
    // Step by whole hours to the first allowed one (at most a day).
    let mut t = now;
    for _ in 0..25 {
        t += Duration::hours(1);
        let h = warsaw_local(t).hour();
        if h >= cfg.quiet_until_hour && h < cfg.quiet_from_hour {
            let back = i64::from(warsaw_local(t).minute());
            return Ok(Some(t - Duration::minutes(back)));
        }
    }
    Ok(Some(now + Duration::hours(8)))
}

async fn send_one(
    n: &Notify,
    ctx: &Ctx,
    channels: &mut Channels,
    m: &message::Model,
) -> AppResult<Outcome> {
    let now = ctx.clock().now();
    let Some(kind) = kind_of(m) else {
        record(
            ctx,
            m.id,
            Err(ChannelError::Technical(format!(
                "unknown channel {}",
                m.channel
            ))),
        )
        .await?;
        return Ok(Outcome::Failed);
    };
    if matches!(kind, ChannelKind::Sms | ChannelKind::Voice)
        && let Some(at) = after_quiet_hours(ctx, now)?
    {
        release(ctx, m.id, at).await?;
        return Ok(Outcome::Deferred);
    }
    let Some(channel) = channels.get(n, ctx, kind)? else {
        record(
            ctx,
            m.id,
            Err(ChannelError::Technical(format!(
                "no {} provider is configured",
                kind.as_str()
            ))),
        )
        .await?;
        return Ok(Outcome::Failed);
    };
    let cfg = &ctx.tenant()?.config().notifications;
    let sender = match kind {
        ChannelKind::Email => cfg.sender_email.clone().unwrap_or_default(),
        _ => cfg.sms_sender.clone().unwrap_or_default(),
    };
    let attachments = match attachments(n, ctx, m).await {
        Ok(a) => a,
        Err(e) => {
            record(
                ctx,
                m.id,
                Err(ChannelError::Technical(format!(
                    "attachment: {}",
                    e.message()
                ))),
            )
            .await?;
            return Ok(Outcome::Failed);
        }
    };
    let outgoing = OutgoingMessage {
        id: m.id,
        to: m.recipient.clone(),
        sender_name: office(ctx)?,
        sender,
        subject: m.subject.clone(),
        text: m.body.clone(),
        html: m.html.clone(),
        attachments,
    };
    let result = channel.send(&outgoing).await;
    let ok = result.is_ok();
    if let Err(e) = &result {
        tracing::warn!(message = %m.id, channel = kind.as_str(), error = %e, "message not sent");
    }
    record(ctx, m.id, result).await?;
    Ok(if ok { Outcome::Sent } else { Outcome::Failed })
}

/// Gives a claimed message back, to be tried at `at`.
async fn release(ctx: &Ctx, id: Uuid, at: DateTime<Utc>) -> AppResult<()> {
    let tx = TenantDb::begin(ctx).await?;
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(status::CREATED))
        .col_expr(
            message::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(message::Column::NextAttemptAt, Expr::value(at))
        .col_expr(
            message::Column::Attempts,
            Expr::col(message::Column::Attempts).sub(1),
        )
        .filter(message::Column::Id.eq(id))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// 1, 2, 4, … minutes, at most a day.
fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 11) - 1).unwrap_or(0);
    Duration::minutes(std::cmp::min(1i64 << exp, 24 * 60))
}

/// Records a send's outcome on the message this worker holds.
pub async fn record(
    ctx: &Ctx,
    id: Uuid,
    result: Result<SendOutcome, ChannelError>,
) -> AppResult<()> {
    let now = ctx.clock().now();
    let tx = TenantDb::begin(ctx).await?;
    let Some(m) = message::Entity::find_by_id(id).one(&*tx).await? else {
        return Ok(());
    };
    let update = message::Entity::update_many()
        .col_expr(
            message::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq(status::SENDING));
    // An account e-mail's link is a live token: once sent, it does not stay in the database.
    let update = if result.is_ok() && crate::account_mail::is_account_mail(&m.kind) {
        update.col_expr(
            message::Column::Body,
            Expr::value(crate::account_mail::REDACTED_BODY),
        )
    } else {
        update
    };
    let update = match result {
        Ok(SendOutcome::Delivered { provider_id }) => update
            .col_expr(message::Column::Status, Expr::value(status::DELIVERED))
            .col_expr(message::Column::ProviderId, Expr::value(provider_id))
            .col_expr(message::Column::SentAt, Expr::value(now))
            .col_expr(message::Column::DeliveredAt, Expr::value(now))
            .col_expr(message::Column::Error, Expr::value(Option::<String>::None)),
        Ok(SendOutcome::Sending { provider_id }) => update
            .col_expr(message::Column::ProviderId, Expr::value(provider_id))
            .col_expr(message::Column::SentAt, Expr::value(now))
            .col_expr(message::Column::Error, Expr::value(Option::<String>::None)),
        Err(ChannelError::Permanent(e)) => update
            .col_expr(
                message::Column::Status,
                Expr::value(status::PERMANENT_FAILURE),
            )
            .col_expr(message::Column::Error, Expr::value(cut(&e))),
        Err(ChannelError::Temporary(e)) => update
            .col_expr(
                message::Column::Status,
                Expr::value(status::TEMPORARY_FAILURE),
            )
            .col_expr(
                message::Column::NextAttemptAt,
                Expr::value(now + backoff(m.attempts)),
            )
            .col_expr(message::Column::Error, Expr::value(cut(&e))),
        Err(ChannelError::Technical(e)) => update
            .col_expr(
                message::Column::Status,
                Expr::value(status::TECHNICAL_FAILURE),
            )
            .col_expr(
                message::Column::NextAttemptAt,
                Expr::value(now + backoff(m.attempts) * 4),
            )
            .col_expr(message::Column::Error, Expr::value(cut(&e))),
    };
    update.exec(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

fn cut(e: &str) -> String {
    e.chars().take(500).collect()
}

/// A provider's delivery report (SMSAPI's callback): the message it names is delivered or
/// failed for good.
pub async fn report(
    ctx: &Ctx,
    provider_id: &str,
    delivered: bool,
    error: Option<&str>,
) -> AppResult<bool> {
    let now = ctx.clock().now();
    let tx = TenantDb::begin(ctx).await?;
    let mut update = message::Entity::update_many()
        .filter(message::Column::ProviderId.eq(provider_id))
        .filter(message::Column::Status.eq(status::SENDING));
    update = if delivered {
        update
            .col_expr(message::Column::Status, Expr::value(status::DELIVERED))
            .col_expr(message::Column::DeliveredAt, Expr::value(now))
    } else {
        update
            .col_expr(
                message::Column::Status,
                Expr::value(status::PERMANENT_FAILURE),
            )
            .col_expr(message::Column::Error, Expr::value(error.map(cut)))
    };
    let done = update.exec(&*tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected > 0)
}

/// What a message carries besides its text: a dunning notice its PDF, rendered at send time
/// from the notice as issued.
async fn attachments(n: &Notify, ctx: &Ctx, m: &message::Model) -> AppResult<Vec<Attachment>> {
    if m.kind != crate::dunning::OUTBOX_KIND {
        return Ok(Vec::new());
    }
    let Some(outbox_id) = m.outbox_id else {
        return Ok(Vec::new());
    };
    let tx = TenantDb::begin(ctx).await?;
    let event = crate::entity::outbox::Entity::find_by_id(outbox_id)
        .one(&*tx)
        .await?;
    let notice_id = event
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
        .and_then(|p| p["notice"].as_str().and_then(|s| Uuid::parse_str(s).ok()));
    let notice = match notice_id {
        Some(id) => {
            crate::dunning::entity::Entity::find_by_id(id)
                .one(&*tx)
                .await?
        }
        None => None,
    };
    tx.commit().await?;
    let Some(notice) = notice else {
        return Err(wspolnota_core::AppError::not_found(
            "the dunning notice is missing",
        ));
    };
    let pdf = crate::dunning::render(&n.finance, ctx, &notice).await?;
    Ok(vec![Attachment {
        filename: format!("upomnienie-{}.pdf", notice.number.replace('/', "-")),
        content_type: "application/pdf".to_owned(),
        bytes: pdf,
    }])
}
