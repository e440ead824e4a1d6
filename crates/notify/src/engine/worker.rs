//! One round of the notifications worker for one tenant: today's reminders, planning of the
//! outbox, and a batch of deliveries. `serve` runs it every few seconds for every tenant;
//! `wspolnota worker` runs only this, for a separate deployment.

use wspolnota_core::{AppResult, Ctx};

use super::Notify;
use super::deliver::{Delivered, deliver};
use super::plan::plan;
use super::reminders::enqueue_reminders;

/// Messages sent per tenant and round, at most: a simple rate limit towards the providers.
pub const PER_ROUND: u64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reminders: usize,
    pub planned: usize,
    pub delivered: Delivered,
}

pub async fn round(n: &Notify, ctx: &Ctx) -> AppResult<Round> {
    let reminders = enqueue_reminders(n, ctx).await?;
    let planned = plan(n, ctx).await?;
    let delivered = deliver(n, ctx, PER_ROUND).await?;
    Ok(Round {
        reminders,
        planned,
        delivered,
    })
}
