//! The tenant's outbox: a message to a resident is written in the same transaction as the
//! change it announces (a payment posted, a reminder due), so it is never lost nor sent for a
//! change that rolled back. The notifications e-service sends what is pending.

use sea_orm_migration::sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::bulk::{Batch, Column};
use crate::ctx::Ctx;
use crate::error::AppResult;

/// Enqueues a message of `kind` about `party`. `dedupe_key` names its cause (e.g.
/// `payment_posted:<payment id>`): enqueuing the same cause again does nothing. True when the
/// message was new.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    kind: &str,
    party: Option<Uuid>,
    dedupe_key: &str,
    payload: serde_json::Value,
) -> AppResult<bool> {
    let message = Message {
        party,
        dedupe_key: dedupe_key.to_owned(),
        payload,
    };
    let new = rows(ctx, kind, vec![message])?
        .insert_new(db, &["dedupe_key"], "id")
        .await?;
    Ok(!new.is_empty())
}

/// A message for [`enqueue_many`].
#[derive(Debug, Clone)]
pub struct Message {
    pub party: Option<Uuid>,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
}

/// Enqueues many messages of `kind` in one statement, as [`enqueue`] does each: a message whose
/// cause was enqueued before is skipped.
pub async fn enqueue_many<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    kind: &str,
    messages: Vec<Message>,
) -> AppResult<()> {
    rows(ctx, kind, messages)?
        .insert_or_skip(db, &["dedupe_key"])
        .await
}

/// The outbox rows of `messages`.
fn rows(ctx: &Ctx, kind: &str, messages: Vec<Message>) -> AppResult<Batch> {
    let now = ctx.clock().now();
    let mut rows = Batch::new(
        "outbox",
        vec![
            Column::new("kind", "text"),
            Column::new("party_id", "uuid"),
            Column::new("dedupe_key", "text"),
            Column::new("payload", "text"),
            Column::new("created_at", "timestamptz"),
        ],
    );
    for m in messages {
        rows.push(vec![
            kind.into(),
            m.party.into(),
            m.dedupe_key.into(),
            m.payload.to_string().into(),
            now.into(),
        ])?;
    }
    Ok(rows)
}
