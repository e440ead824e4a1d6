//! The payment state machine: pure, no I/O.
//!
//! Modelled on GOV.UK Pay's external charge states (`created, started, submitted, success,
//! failed, cancelled, error`) with an explicit transition graph: every allowed edge is listed
//! once in [`TRANSITIONS`] and once in the `match` of [`transition`] (a test checks that the two
//! agree), and every edge is labelled with the event that caused it.
//!
//! ```text
//! created ──Start──▶ started ──PayerReturned / ProviderWaiting──▶ submitted
//!    │                  │                                            │
//!    │                  └──────────────┬─────────────────────────────┘
//!    │                                 ▼
//!    │        ProviderSucceeded → succeeded    ProviderFailed → failed
//!    │        PayerCancelled    → cancelled    Expired        → expired
//!    │        GatewayError      → error
//!    └──Expired → expired, GatewayError → error
//! ```
//!
//! `started` may jump straight to a final state because a provider's notification can overtake
//! the payer's return to our site.
//!
//! # Replays and final states
//!
//! A final state ([`PaymentStatus::is_final`]) is never left. The one event that leads to a final
//! state may arrive again (a provider repeats its notification, a status query confirms what a
//! notification already said): that replay is accepted as an idempotent no-op, `Ok(same state)`
//! from [`transition`], [`Transition::Unchanged`] from [`apply`]. Any other event in a final state
//! (e.g. `ProviderFailed` after `succeeded`, which is a reordering) is a [`TransitionError`] and
//! changes nothing. Non-final states also have a few self-loops for "nothing new" events
//! (`ProviderPending` while started or submitted; `PayerReturned` / `ProviderWaiting` while
//! submitted); they too are [`Transition::Unchanged`].
//!
//! Correcting a final state to match the provider (GOV.UK Pay's audited
//! `StatusCorrectedTo…ToMatchGatewayStatus`) is deliberately not an edge here: the expiry sweep
//! must query the provider *before* sending [`PaymentEvent::Expired`], and a genuine mismatch
//! after a final state is an incident for reconciliation, not a silent transition.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::gateway::ProviderStatus;

/// The public status of a payment (GOV.UK Pay's small, stable external state set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Recorded by us; the gateway has not accepted the order yet.
    Created,
    /// The gateway accepted the order; the payer is (being) sent to it.
    Started,
    /// The payer finished at the provider; we wait for the provider's outcome.
    Submitted,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    /// The gateway refused or broke the payment definitively (not a timeout: an unknown
    /// outcome leaves the state alone and is queried later).
    Error,
}

impl PaymentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [PaymentStatus; 8] = [
        Self::Created,
        Self::Started,
        Self::Submitted,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
        Self::Expired,
        Self::Error,
    ];

    /// The snake_case name, as stored and as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Started => "started",
            Self::Submitted => "submitted",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Error => "error",
        }
    }

    /// The inverse of [`as_str`](Self::as_str); `None` for anything else (exact match only).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Final states are never left (only idempotent replays are accepted).
    pub fn is_final(self) -> bool {
        match self {
            Self::Created | Self::Started | Self::Submitted => false,
            Self::Succeeded | Self::Failed | Self::Cancelled | Self::Expired | Self::Error => true,
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PaymentStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// A string that is not a [`PaymentStatus`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment status {0:?}")]
pub struct UnknownStatus(pub String);

/// Something that happened to a payment, named after the fact, not after the target state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The gateway accepted the order (we hold a redirect, form or transfer instructions).
    Start,
    /// The provider knows the order and the payer has not finished: nothing new.
    ProviderPending,
    /// The payer came back to our return URL.
    PayerReturned,
    /// The payer finished; the provider waits for our confirmation or capture.
    ProviderWaiting,
    /// The provider reports the money as paid.
    ProviderSucceeded { paid_at: Option<DateTime<Utc>> },
    /// The provider reports the payment as rejected or failed.
    ProviderFailed,
    /// The payer abandoned the payment (on our page, or at the provider, which reports it as
    /// cancelled).
    PayerCancelled,
    /// The payment's time ran out (our expiry sweep, after querying the provider, or the
    /// provider reporting it expired).
    Expired,
    /// The gateway refused or broke the payment definitively.
    GatewayError,
}

impl PaymentEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Start => EventKind::Start,
            Self::ProviderPending => EventKind::ProviderPending,
            Self::PayerReturned => EventKind::PayerReturned,
            Self::ProviderWaiting => EventKind::ProviderWaiting,
            Self::ProviderSucceeded { .. } => EventKind::ProviderSucceeded,
            Self::ProviderFailed => EventKind::ProviderFailed,
            Self::PayerCancelled => EventKind::PayerCancelled,
            Self::Expired => EventKind::Expired,
            Self::GatewayError => EventKind::GatewayError,
        }
    }
}

/// The data-free discriminant of a [`PaymentEvent`], used in [`TRANSITIONS`] and for audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Start,
    ProviderPending,
    PayerReturned,
    ProviderWaiting,
    ProviderSucceeded,
    ProviderFailed,
    PayerCancelled,
    Expired,
    GatewayError,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        Self::Start,
        Self::ProviderPending,
        Self::PayerReturned,
        Self::ProviderWaiting,
        Self::ProviderSucceeded,
        Self::ProviderFailed,
        Self::PayerCancelled,
        Self::Expired,
        Self::GatewayError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::ProviderPending => "provider_pending",
            Self::PayerReturned => "payer_returned",
            Self::ProviderWaiting => "provider_waiting",
            Self::ProviderSucceeded => "provider_succeeded",
            Self::ProviderFailed => "provider_failed",
            Self::PayerCancelled => "payer_cancelled",
            Self::Expired => "expired",
            Self::GatewayError => "gateway_error",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every accepted `(from, event, to)`, including the idempotent self-loops. A pair not listed
/// here is refused by [`transition`]. Kept identical to the `match` in [`transition`] by a test.
pub const TRANSITIONS: &[(PaymentStatus, EventKind, PaymentStatus)] = {
    use EventKind as E;
    use PaymentStatus as S;
    &[
        // created
        (S::Created, E::Start, S::Started),
        (S::Created, E::Expired, S::Expired),
        (S::Created, E::GatewayError, S::Error),
        // started (a notification may overtake the payer's return: final states directly)
        (S::Started, E::ProviderPending, S::Started),
        (S::Started, E::PayerReturned, S::Submitted),
        (S::Started, E::ProviderWaiting, S::Submitted),
        (S::Started, E::ProviderSucceeded, S::Succeeded),
        (S::Started, E::ProviderFailed, S::Failed),
        (S::Started, E::PayerCancelled, S::Cancelled),
        (S::Started, E::Expired, S::Expired),
        (S::Started, E::GatewayError, S::Error),
        // submitted
        (S::Submitted, E::ProviderPending, S::Submitted),
        (S::Submitted, E::PayerReturned, S::Submitted),
        (S::Submitted, E::ProviderWaiting, S::Submitted),
        (S::Submitted, E::ProviderSucceeded, S::Succeeded),
        (S::Submitted, E::ProviderFailed, S::Failed),
        (S::Submitted, E::PayerCancelled, S::Cancelled),
        (S::Submitted, E::Expired, S::Expired),
        (S::Submitted, E::GatewayError, S::Error),
        // final states: only a replay of the event that led there, as a no-op
        (S::Succeeded, E::ProviderSucceeded, S::Succeeded),
        (S::Failed, E::ProviderFailed, S::Failed),
        (S::Cancelled, E::PayerCancelled, S::Cancelled),
        (S::Expired, E::Expired, S::Expired),
        (S::Error, E::GatewayError, S::Error),
    ]
};

/// An event that is not allowed in the payment's current state. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("payment event {event} is not allowed in status {from}")]
pub struct TransitionError {
    pub from: PaymentStatus,
    pub event: EventKind,
}

/// The state after `event` in state `from`, or an error when the edge is not listed.
/// An idempotent replay returns `Ok(from)`; use [`apply`] to tell it from a move.
pub fn transition(
    from: PaymentStatus,
    event: &PaymentEvent,
) -> Result<PaymentStatus, TransitionError> {
    use EventKind as E;
    use PaymentStatus as S;
    let kind = event.kind();
    let to = match (from, kind) {
        // created
        (S::Created, E::Start) => S::Started,
        (S::Created, E::Expired) => S::Expired,
        (S::Created, E::GatewayError) => S::Error,
        // started
        (S::Started, E::ProviderPending) => S::Started,
        (S::Started, E::PayerReturned | E::ProviderWaiting) => S::Submitted,
        (S::Started, E::ProviderSucceeded) => S::Succeeded,
        (S::Started, E::ProviderFailed) => S::Failed,
        (S::Started, E::PayerCancelled) => S::Cancelled,
        (S::Started, E::Expired) => S::Expired,
        (S::Started, E::GatewayError) => S::Error,
        // submitted
        (S::Submitted, E::ProviderPending | E::PayerReturned | E::ProviderWaiting) => S::Submitted,
        (S::Submitted, E::ProviderSucceeded) => S::Succeeded,
        (S::Submitted, E::ProviderFailed) => S::Failed,
        (S::Submitted, E::PayerCancelled) => S::Cancelled,
        (S::Submitted, E::Expired) => S::Expired,
        (S::Submitted, E::GatewayError) => S::Error,
        // final states: idempotent replays only
        (S::Succeeded, E::ProviderSucceeded) => S::Succeeded,
        (S::Failed, E::ProviderFailed) => S::Failed,
        (S::Cancelled, E::PayerCancelled) => S::Cancelled,
        (S::Expired, E::Expired) => S::Expired,
        (S::Error, E::GatewayError) => S::Error,
        _ => return Err(TransitionError { from, event: kind }),
    };
    Ok(to)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The status changed: persist it and emit the event.
    Moved {
        from: PaymentStatus,
        to: PaymentStatus,
    },
    /// A replay or a "nothing new" event: persist nothing, emit nothing.
    Unchanged(PaymentStatus),
}

impl Transition {
    /// The status after the event.
    pub fn status(self) -> PaymentStatus {
        match self {
            Self::Moved { to, .. } => to,
            Self::Unchanged(status) => status,
        }
    }

    pub fn is_unchanged(self) -> bool {
        matches!(self, Self::Unchanged(_))
    }
}

/// [`transition`], telling a real move from an idempotent no-op.
pub fn apply(from: PaymentStatus, event: &PaymentEvent) -> Result<Transition, TransitionError> {
    let to = transition(from, event)?;
    Ok(if to == from {
        Transition::Unchanged(from)
    } else {
        Transition::Moved { from, to }
    })
}

/// The event a provider's reported status stands for (from a notification or a status query).
pub fn event_for(status: &ProviderStatus) -> PaymentEvent {
    match status {
        ProviderStatus::Pending => PaymentEvent::ProviderPending,
        ProviderStatus::WaitingForConfirmation => PaymentEvent::ProviderWaiting,
        ProviderStatus::Succeeded { paid_at } => {
            PaymentEvent::ProviderSucceeded { paid_at: *paid_at }
        }
        ProviderStatus::Failed => PaymentEvent::ProviderFailed,
        ProviderStatus::Cancelled => PaymentEvent::PayerCancelled,
        ProviderStatus::Expired => PaymentEvent::Expired,
    }
}
