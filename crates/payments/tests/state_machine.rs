//! The payment state machine: the `match` against the documented table, final states,
//! idempotent replays, reordering, and random event sequences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use wspolnota_payments::ProviderStatus;
use wspolnota_payments::state::{
    EventKind, PaymentEvent, PaymentStatus, TRANSITIONS, Transition, TransitionError, apply,
    event_for, transition,
};

/// A representative event of each kind (the data carried never influences the transition).
fn event(kind: EventKind) -> PaymentEvent {
    match kind {
        EventKind::Start => PaymentEvent::Start,
        EventKind::ProviderPending => PaymentEvent::ProviderPending,
        EventKind::PayerReturned => PaymentEvent::PayerReturned,
        EventKind::ProviderWaiting => PaymentEvent::ProviderWaiting,
        EventKind::ProviderSucceeded => PaymentEvent::ProviderSucceeded { paid_at: None },
        EventKind::ProviderFailed => PaymentEvent::ProviderFailed,
        EventKind::PayerCancelled => PaymentEvent::PayerCancelled,
        EventKind::Expired => PaymentEvent::Expired,
        EventKind::GatewayError => PaymentEvent::GatewayError,
    }
}

fn listed(from: PaymentStatus, kind: EventKind) -> Option<PaymentStatus> {
    TRANSITIONS
        .iter()
        .find(|(f, k, _)| *f == from && *k == kind)
        .map(|(_, _, to)| *to)
}

fn succeeded() -> PaymentEvent {
    PaymentEvent::ProviderSucceeded {
        paid_at: Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()),
    }
}

#[test]
fn table_has_no_duplicate_pairs() {
    for (i, (from, kind, _)) in TRANSITIONS.iter().enumerate() {
        for (from2, kind2, _) in &TRANSITIONS[i + 1..] {
            assert!(
                !(from == from2 && kind == kind2),
                "({from}, {kind}) listed twice"
            );
        }
    }
}

#[test]
fn every_listed_edge_works() {
    for &(from, kind, to) in TRANSITIONS {
        assert_eq!(
            transition(from, &event(kind)),
            Ok(to),
            "{from} --{kind}--> {to}"
        );
    }
}

#[test]
fn every_unlisted_pair_is_refused() {
    let mut refused = 0;
    for from in PaymentStatus::ALL {
        for kind in EventKind::ALL {
            let result = transition(from, &event(kind));
            match listed(from, kind) {
                Some(to) => assert_eq!(result, Ok(to)),
                None => {
                    assert_eq!(result, Err(TransitionError { from, event: kind }));
                    refused += 1;
                }
            }
        }
    }
    assert_eq!(
        refused + TRANSITIONS.len(),
        PaymentStatus::ALL.len() * EventKind::ALL.len()
    );
}

#[test]
fn main_path_and_overtaking_notifications() {
    let mut s = PaymentStatus::Created;
    for e in [
        PaymentEvent::Start,
        PaymentEvent::PayerReturned,
        succeeded(),
    ] {
        s = transition(s, &e).unwrap();
    }
    assert_eq!(s, PaymentStatus::Succeeded);

    // The notification overtakes the payer's return.
    assert_eq!(
        transition(PaymentStatus::Started, &succeeded()),
        Ok(PaymentStatus::Succeeded)
    );
    // The payer's return arriving afterwards is refused (the return page shows the status).
    assert!(transition(PaymentStatus::Succeeded, &PaymentEvent::PayerReturned).is_err());

    // Created may only start, expire or error.
    for to_final in [PaymentEvent::Expired, PaymentEvent::GatewayError] {
        assert!(
            transition(PaymentStatus::Created, &to_final)
                .unwrap()
                .is_final()
        );
    }
    assert!(transition(PaymentStatus::Created, &succeeded()).is_err());
}

#[test]
fn final_states_accept_only_idempotent_replays() {
    for from in PaymentStatus::ALL.into_iter().filter(|s| s.is_final()) {
        let mut replays = 0;
        for kind in EventKind::ALL {
            match apply(from, &event(kind)) {
                Ok(t) => {
                    assert_eq!(t, Transition::Unchanged(from), "{from} + {kind}");
                    replays += 1;
                }
                Err(e) => assert_eq!(e, TransitionError { from, event: kind }),
            }
        }
        assert_eq!(replays, 1, "{from} accepts exactly one replay");
    }
}

#[test]
fn no_listed_edge_leaves_a_final_state() {
    for &(from, kind, to) in TRANSITIONS {
        if from.is_final() {
            assert_eq!(from, to, "{from} --{kind}--> {to} leaves a final state");
        }
    }
}

#[test]
fn hundred_replayed_successes_stay_succeeded() {
    let mut s = transition(PaymentStatus::Submitted, &succeeded()).unwrap();
    for _ in 0..100 {
        let t = apply(s, &succeeded()).unwrap();
        assert!(t.is_unchanged());
        s = t.status();
    }
    assert_eq!(s, PaymentStatus::Succeeded);
}

#[test]
fn failed_after_succeeded_is_refused_and_leaves_succeeded() {
    let s = transition(PaymentStatus::Submitted, &succeeded()).unwrap();
    let err = transition(s, &PaymentEvent::ProviderFailed).unwrap_err();
    assert_eq!(
        err,
        TransitionError {
            from: PaymentStatus::Succeeded,
            event: EventKind::ProviderFailed
        }
    );
    assert_eq!(
        err.to_string(),
        "payment event provider_failed is not allowed in status succeeded"
    );
    // The caller keeps the state it had.
    let s = transition(s, &PaymentEvent::ProviderFailed).unwrap_or(s);
    assert_eq!(s, PaymentStatus::Succeeded);
}

#[test]
fn apply_tells_moves_from_no_ops() {
    assert_eq!(
        apply(PaymentStatus::Created, &PaymentEvent::Start),
        Ok(Transition::Moved {
            from: PaymentStatus::Created,
            to: PaymentStatus::Started
        })
    );
    assert_eq!(
        apply(PaymentStatus::Started, &PaymentEvent::ProviderPending),
        Ok(Transition::Unchanged(PaymentStatus::Started))
    );
    assert_eq!(
        apply(PaymentStatus::Submitted, &PaymentEvent::PayerReturned),
        Ok(Transition::Unchanged(PaymentStatus::Submitted))
    );
}

#[test]
fn status_names_round_trip() {
    for s in PaymentStatus::ALL {
        assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(s));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        assert_eq!(serde_json::from_str::<PaymentStatus>(&json).unwrap(), s);
    }
    assert_eq!(PaymentStatus::parse("Succeeded"), None);
    assert_eq!(PaymentStatus::parse("success"), None);
    assert!("".parse::<PaymentStatus>().is_err());
    for k in EventKind::ALL {
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
    }
    let finals: Vec<_> = PaymentStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(PaymentStatus::as_str)
        .collect();
    assert_eq!(
        finals,
        ["succeeded", "failed", "cancelled", "expired", "error"]
    );
}

#[test]
fn provider_statuses_map_to_events() {
    let paid_at = Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap());
    let cases = [
        (ProviderStatus::Pending, PaymentEvent::ProviderPending),
        (
            ProviderStatus::WaitingForConfirmation,
            PaymentEvent::ProviderWaiting,
        ),
        (
            ProviderStatus::Succeeded { paid_at },
            PaymentEvent::ProviderSucceeded { paid_at },
        ),
        (ProviderStatus::Failed, PaymentEvent::ProviderFailed),
        (ProviderStatus::Cancelled, PaymentEvent::PayerCancelled),
        (ProviderStatus::Expired, PaymentEvent::Expired),
    ];
    for (status, expected) in cases {
        assert_eq!(event_for(&status), expected);
    }
    // A provider status replayed after the state it led to is a no-op.
    let s = transition(
        PaymentStatus::Started,
        &event_for(&ProviderStatus::Succeeded { paid_at }),
    )
    .unwrap();
    assert_eq!(
        apply(s, &event_for(&ProviderStatus::Succeeded { paid_at: None })),
        Ok(Transition::Unchanged(PaymentStatus::Succeeded))
    );
}

fn any_event() -> impl Strategy<Value = PaymentEvent> {
    prop_oneof![
        Just(PaymentEvent::Start),
        Just(PaymentEvent::ProviderPending),
        Just(PaymentEvent::PayerReturned),
        Just(PaymentEvent::ProviderWaiting),
        proptest::option::of(0i64..4_000_000_000).prop_map(|secs| {
            PaymentEvent::ProviderSucceeded {
                paid_at: secs.and_then(|s| Utc.timestamp_opt(s, 0).single()),
            }
        }),
        Just(PaymentEvent::ProviderFailed),
        Just(PaymentEvent::PayerCancelled),
        Just(PaymentEvent::Expired),
        Just(PaymentEvent::GatewayError),
    ]
}

fn any_status() -> impl Strategy<Value = PaymentStatus> {
    proptest::sample::select(PaymentStatus::ALL.to_vec())
}

proptest! {
    #[test]
    fn random_sequences_never_leave_a_final_state_nor_take_an_unlisted_edge(
        start in any_status(),
        events in proptest::collection::vec(any_event(), 0..64),
    ) {
        let mut s = start;
        let mut reached_final: Option<PaymentStatus> = s.is_final().then_some(s);
        for e in &events {
            match transition(s, e) {
                Ok(to) => {
                    prop_assert_eq!(listed(s, e.kind()), Some(to));
                    let t = apply(s, e).unwrap();
                    prop_assert_eq!(t.status(), to);
                    prop_assert_eq!(t.is_unchanged(), to == s);
                    s = to;
                }
                Err(err) => {
                    prop_assert_eq!(listed(s, e.kind()), None);
                    prop_assert_eq!(err, TransitionError { from: s, event: e.kind() });
                    prop_assert!(apply(s, e).is_err());
                }
            }
            if let Some(f) = reached_final {
                prop_assert_eq!(s, f, "left final state {}", f);
            } else if s.is_final() {
                reached_final = Some(s);
            }
        }
    }
}
