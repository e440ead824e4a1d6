//! The payments e-service through its services, on a real store (PostgreSQL with
//! `DATABASE_URL`, SQLite otherwise): start → sandbox decision → signed notification → inbox →
//! settlement on the finance ledger; replays, forgeries, concurrent starts, a crash between
//! receipt and processing, amount mismatches, Idempotency-Key, the expiry sweep, refunds and
//! interest. Every test checks that the journal still balances.
//!
//! Zamość on 10.06.2026; "Osoba 1" owes the 2026 property tax, 4 × 1,000 zł due 16.03 and
//! 15.05 (overdue, with tax interest), 15.09 and 16.11 (not yet due).
//!
//! The two "concurrent" requests (`Fixture::concurrently`) really race on PostgreSQL only; on
//! SQLite they run one after the other, because the store's DEFERRED transactions fail with
//! "database is locked" when a read-then-write transaction meets another writer (see there).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/service_fixture.rs"]
mod fixture;

use fixture::{Fixture, m, payments, signature_headers};
use http::HeaderMap;
use sea_orm::EntityTrait;
use uuid::Uuid;
use wspolnota_core::{ErrorCode, Money};
use wspolnota_payments::gateways::sandbox::{Decision, sign};
use wspolnota_payments::service::inbox::{self, Processed, Received};
use wspolnota_payments::service::start::{self, Action, StartInput, Started};
use wspolnota_payments::service::sweep::{self, Swept};
use wspolnota_payments::service::{refund, sandbox, views};
use wspolnota_payments::state::PaymentStatus;
use wspolnota_payments::{GatewayKind, entity::payment_installment};

const TODAY: &str = "2026-06-10";

fn pay_installments(ids: &[Uuid]) -> StartInput {
    StartInput {
        installment_ids: ids.to_vec(),
        ..StartInput::default()
    }
}

/// The resident starts a sandbox payment of `ids`; it must succeed.
async fn start_paying(f: &Fixture, ids: &[Uuid]) -> Started {
    start::start(&f.pay, &f.resident(), pay_installments(ids))
        .await
        .unwrap()
}

/// The payer decides on the sandbox page; the sandbox's own delivery goes nowhere here.
async fn decide(f: &Fixture, id: Uuid, decision: Decision) {
    sandbox::decide(&f.pay, &f.system(), id, decision)
        .await
        .unwrap();
}

async fn receive(
    f: &Fixture,
    headers: &HeaderMap,
    body: &[u8],
) -> wspolnota_core::AppResult<Received> {
    inbox::receive(&f.pay, &f.system(), GatewayKind::Sandbox, headers, body).await
}

/// The decision's notification arrives and is processed.
async fn notify(f: &Fixture, id: Uuid, decision: Decision) -> Processed {
    let (headers, body) = f.notification(id, decision).await;
    let received = receive(f, &headers, &body).await.unwrap();
    assert!(matches!(received, Received::New(_)), "{received:?}");
    inbox::process(&f.pay, &f.system(), received.id())
        .await
        .unwrap()
}

/// Start, approve and settle a payment of installment `number`.
async fn paid(f: &Fixture, number: i32) -> Uuid {
    let inst = f.installment(number).await;
    let id = start_paying(f, &[inst.id]).await.payment.id;
    decide(f, id, Decision::Approve).await;
    assert_eq!(
        notify(f, id, Decision::Approve).await,
        Processed::Applied(PaymentStatus::Succeeded)
    );
    id
}

fn code<T: std::fmt::Debug>(r: wspolnota_core::AppResult<T>) -> ErrorCode {
    r.expect_err("must fail").code()
}

#[tokio::test]
async fn approved_payment_is_settled_on_the_ledger() {
    let f = Fixture::new(TODAY).await;
    f.assert_balanced().await;
    let before = f.balance().await.outstanding;
    assert_eq!(before, m("4000"));
    let inst = f.installment(3).await;
    assert_eq!(f.view(inst.id).await.interest, Money::ZERO);

    let started = start_paying(&f, &[inst.id]).await;
    let p = started.payment;
    assert!(!started.replayed);
    assert_eq!(p.status, "started");
    assert_eq!(p.amount, 100_000);
    assert_eq!(p.gateway, "sandbox");
    assert_eq!(p.party_id, f.party.id);
    assert_eq!(
        p.provider_reference.as_deref(),
        Some(&*format!("sbx-{}", p.id))
    );
    match Action::of(&p) {
        Some(Action::Redirect { url }) => assert!(
            url.ends_with(&format!("/payments/sandbox/{}", p.id)),
            "{url}"
        ),
        other => panic!("expected a redirect, got {other:?}"),
    }
    let locks = f.locks().await;
    assert_eq!(locks.len(), 1);
    assert_eq!(
        (locks[0].installment_id, locks[0].payment_id),
        (inst.id, p.id)
    );

    decide(&f, p.id, Decision::Approve).await;
    // Nothing is settled by the decision alone.
    assert_eq!(f.payment(p.id).await.status, "started");
    assert!(f.finance_payments().await.is_empty());

    assert_eq!(
        notify(&f, p.id, Decision::Approve).await,
        Processed::Applied(PaymentStatus::Succeeded)
    );
    let p = f.payment(p.id).await;
    assert_eq!(p.status, "succeeded");
    assert!(p.paid_at.is_some());
    assert!(p.review.is_none());

    // The party owes exactly the installment's principal less.
    assert_eq!(f.balance().await.outstanding, before - m("1000"));
    assert_eq!(f.installment(3).await.outstanding, 0);

    // One finance payment through the gateway channel: Wn 141 (in transit) / Ma receivables.
    let posted = f.finance_payments_of(p.id).await;
    assert_eq!(posted.len(), 1);
    let posted = &posted[0];
    assert_eq!(p.finance_payment_id, Some(posted.id));
    assert_eq!(posted.channel, "gateway");
    assert_eq!(posted.amount, 100_000);
    assert_eq!(posted.party_id, f.party.id);
    let lines = f.entry_lines(posted.entry_id).await;
    let in_transit: Vec<_> = lines.iter().filter(|l| l.account == "141").collect();
    assert_eq!(in_transit.len(), 1);
    assert_eq!((in_transit[0].debit, in_transit[0].credit), (100_000, 0));
    assert_eq!(in_transit[0].party_id, Some(f.party.id));
    assert_eq!(
        lines.iter().map(|l| l.debit).sum::<i64>(),
        lines.iter().map(|l| l.credit).sum::<i64>()
    );
    f.assert_balanced().await;

    // The installment is free again; one event per edge.
    assert!(f.locks().await.is_empty());
    let events: Vec<_> = f
        .events(p.id)
        .await
        .into_iter()
        .map(|e| (e.event, e.from_status, e.to_status))
        .collect();
    assert_eq!(
        events,
        vec![
            ("created".to_owned(), None, "created".to_owned()),
            (
                "start".to_owned(),
                Some("created".to_owned()),
                "started".to_owned()
            ),
            (
                "provider_succeeded".to_owned(),
                Some("started".to_owned()),
                "succeeded".to_owned()
            ),
        ]
    );

    // The payer sees it among theirs, with its receipt.
    let details = views::get(&f.resident(), p.id).await.unwrap();
    assert_eq!(details.installments.len(), 1);
    assert_eq!(details.installments[0].principal, 100_000);
    let mine = views::mine(&f.resident(), None, 10).await.unwrap();
    assert_eq!(
        mine.iter().map(|d| d.payment.id).collect::<Vec<_>>(),
        vec![p.id]
    );
    let receipt = views::receipt(&f.resident(), p.id).await.unwrap();
    assert_eq!(receipt.amount, m("1000"));
    // Another resident learns nothing of it.
    assert_eq!(
        code(views::get(&f.stranger(), p.id).await),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn replayed_notifications_change_nothing() {
    let f = Fixture::new(TODAY).await;
    let inst = f.installment(3).await;
    let id = start_paying(&f, &[inst.id]).await.payment.id;
    decide(&f, id, Decision::Approve).await;
    let (headers, body) = f.notification(id, Decision::Approve).await;
    let first = receive(&f, &headers, &body).await.unwrap();
    let Received::New(first_id) = first else {
        panic!("the first delivery is new: {first:?}")
    };
    assert_eq!(
        inbox::process(&f.pay, &f.system(), first_id).await.unwrap(),
        Processed::Applied(PaymentStatus::Succeeded)
    );
    let lines = f.ledger_lines().await;
    let outstanding = f.balance().await.outstanding;
    let events = f.events(id).await.len();

    for _ in 0..100 {
        let again = receive(&f, &headers, &body).await.unwrap();
        assert_eq!(again, Received::Replay(first_id));
        assert_eq!(
            inbox::process(&f.pay, &f.system(), again.id())
                .await
                .unwrap(),
            Processed::AlreadyDone
        );
    }

    assert_eq!(f.inbox().await.len(), 1);
    let posted = f.finance_payments_of(id).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(f.finance_payments().await.len(), 1);
    assert_eq!(f.ledger_lines().await, lines);
    assert_eq!(f.balance().await.outstanding, outstanding);
    assert_eq!(f.events(id).await.len(), events);
    assert_eq!(f.payment(id).await.status, "succeeded");
    f.assert_balanced().await;
}

#[tokio::test]
async fn forged_notifications_are_refused_and_not_stored() {
    let f = Fixture::new(TODAY).await;
    let inst = f.installment(3).await;
    let id = start_paying(&f, &[inst.id]).await.payment.id;
    decide(&f, id, Decision::Approve).await;
    let lines = f.ledger_lines().await;
    let (genuine_headers, body) = f.notification(id, Decision::Approve).await;

    let other_tenant_key = f.pay.sandbox_key(&f.ctx_of_tenant("baranow")).unwrap();
    assert_ne!(other_tenant_key, f.pay.sandbox_key(&f.system()).unwrap());
    let mut tampered: serde_json::Value = serde_json::from_slice(&body).unwrap();
    tampered["amount"] = serde_json::json!(1);
    let tampered = serde_json::to_vec(&tampered).unwrap();
    let mut decline = serde_json::from_slice::<serde_json::Value>(&body).unwrap();
    decline["decision"] = serde_json::json!("decline");
    let decline = serde_json::to_vec(&decline).unwrap();

    let forgeries: Vec<(&str, HeaderMap, Vec<u8>)> = vec![
        (
            "wrong key",
            signature_headers(&sign(b"not the sandbox key", &body).unwrap()),
            body.clone(),
        ),
        ("missing signature", HeaderMap::new(), body.clone()),
        (
            "not hex",
            signature_headers("zz-not-a-signature"),
            body.clone(),
        ),
        ("empty signature", signature_headers(""), body.clone()),
        (
            "another tenant's key",
            signature_headers(&sign(&other_tenant_key, &body).unwrap()),
            body.clone(),
        ),
        ("tampered amount", genuine_headers.clone(), tampered),
        ("tampered decision", genuine_headers.clone(), decline),
        ("empty body", genuine_headers.clone(), Vec::new()),
    ];
    for (what, headers, forged) in &forgeries {
        let refused = receive(&f, headers, forged).await;
        assert_eq!(code(refused), ErrorCode::Unauthenticated, "{what}");
    }

    assert!(f.inbox().await.is_empty());
    assert_eq!(f.payment(id).await.status, "started");
    assert!(f.finance_payments().await.is_empty());
    assert_eq!(f.ledger_lines().await, lines);
    f.assert_balanced().await;

    // The genuine notification still gets in.
    assert!(matches!(
        receive(&f, &genuine_headers, &body).await.unwrap(),
        Received::New(_)
    ));
}

#[tokio::test]
async fn concurrent_starts_for_one_installment_conflict() {
    let f = Fixture::new(TODAY).await;
    let inst = f.installment(3).await;
    // Two tabs (two requests) of the same resident.
    let (tab1, tab2) = (f.resident(), f.resident());
    let (a, b) = f
        .concurrently(
            start::start(&f.pay, &tab1, pay_installments(&[inst.id])),
            start::start(&f.pay, &tab2, pay_installments(&[inst.id])),
        )
        .await;
    let (won, lost) = match (a, b) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        (a, b) => panic!("exactly one start must win: {a:?} / {b:?}"),
    };
    assert_eq!(lost.code(), ErrorCode::Conflict, "{lost:?}");
    let locks = f.locks().await;
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].payment_id, won.payment.id);
    assert_eq!(
        f.count(wspolnota_payments::entity::payment::Entity::find())
            .await,
        1
    );

    // While it runs, a third attempt conflicts too.
    assert_eq!(
        code(start::start(&f.pay, &f.resident(), pay_installments(&[inst.id])).await),
        ErrorCode::Conflict
    );

    // The payer declines: the payment fails and the installment can be paid again.
    decide(&f, won.payment.id, Decision::Decline).await;
    assert_eq!(
        notify(&f, won.payment.id, Decision::Decline).await,
        Processed::Applied(PaymentStatus::Failed)
    );
    assert_eq!(f.payment(won.payment.id).await.status, "failed");
    assert!(f.locks().await.is_empty());
    assert!(f.finance_payments().await.is_empty());
    let again = start_paying(&f, &[inst.id]).await;
    assert_ne!(again.payment.id, won.payment.id);
    assert_eq!(again.payment.status, "started");
    assert_eq!(f.balance().await.outstanding, m("4000"));
    f.assert_balanced().await;
}

#[tokio::test]
async fn sweep_after_a_restart_processes_a_stored_notification_once() {
    let f = Fixture::new(TODAY).await;
    let inst = f.installment(3).await;
    let id = start_paying(&f, &[inst.id]).await.payment.id;
    decide(&f, id, Decision::Approve).await;
    let (headers, body) = f.notification(id, Decision::Approve).await;
    let received = receive(&f, &headers, &body).await.unwrap();
    // The process dies here: stored, never processed.
    drop(f.pay.clone());
    let stored = f.inbox().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, received.id());
    assert!(stored[0].processed_at.is_none());
    assert_eq!(f.payment(id).await.status, "started");
    assert!(f.finance_payments().await.is_empty());

    // After the restart: a new instance, and the sweeper runs.
    let restarted = payments(&f.finance);
    let swept = sweep::sweep(&restarted, &f.system()).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            notifications: 1,
            expired: 0,
            settled: 0
        }
    );
    let p = f.payment(id).await;
    assert_eq!(p.status, "succeeded");
    assert!(f.inbox().await[0].processed_at.is_some());
    assert_eq!(f.finance_payments_of(id).await.len(), 1);
    assert_eq!(f.balance().await.outstanding, m("3000"));
    assert!(f.locks().await.is_empty());
    let lines = f.ledger_lines().await;

    // Nothing left to do.
    assert_eq!(
        sweep::sweep(&restarted, &f.system()).await.unwrap(),
        Swept::default()
    );
    assert_eq!(f.ledger_lines().await, lines);
    assert_eq!(f.finance_payments().await.len(), 1);
    f.assert_balanced().await;
}

#[tokio::test]
async fn amount_mismatch_is_left_for_review_and_not_posted() {
    let f = Fixture::new(TODAY).await;
    let inst = f.installment(3).await;
    let id = start_paying(&f, &[inst.id]).await.payment.id;
    decide(&f, id, Decision::Approve).await;
    let lines = f.ledger_lines().await;

    let order = f
        .all(wspolnota_payments::entity::sandbox_order::Entity::find_by_id(id))
        .await
        .pop()
        .unwrap();
    let mut notice = sandbox::notice(&order, Decision::Approve).unwrap();
    notice.amount += 1;
    let (headers, body) = f.signed(&notice);
    let received = receive(&f, &headers, &body).await.unwrap();
    assert_eq!(
        inbox::process(&f.pay, &f.system(), received.id())
            .await
            .unwrap(),
        Processed::AmountMismatch
    );

    let p = f.payment(id).await;
    assert_ne!(p.status, "succeeded");
    assert!(p.finance_payment_id.is_none());
    let review = p.review.expect("a clerk must review it");
    assert!(
        review.contains("1000.01") || review.contains("1 000,01") || review.contains("1000,01"),
        "{review}"
    );
    let item = &f.inbox().await[0];
    assert!(item.processed_at.is_some());
    assert!(
        item.outcome
            .as_deref()
            .unwrap_or("")
            .contains("amount mismatch")
    );
    assert!(f.finance_payments().await.is_empty());
    assert_eq!(f.ledger_lines().await, lines);
    assert_eq!(f.balance().await.outstanding, m("4000"));
    // Processing it again changes nothing.
    assert_eq!(
        inbox::process(&f.pay, &f.system(), received.id())
            .await
            .unwrap(),
        Processed::AlreadyDone
    );
    f.assert_balanced().await;
}

#[tokio::test]
async fn idempotency_key_replays_the_same_request_and_refuses_another() {
    let f = Fixture::new(TODAY).await;
    let third = f.installment(3).await;
    let fourth = f.installment(4).await;
    let keyed = |ids: &[Uuid]| StartInput {
        idempotency_key: Some("klucz-7f3a".into()),
        ..pay_installments(ids)
    };

    let first = start::start(&f.pay, &f.resident(), keyed(&[third.id]))
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = start::start(&f.pay, &f.resident(), keyed(&[third.id]))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.payment.id, first.payment.id);
    assert_eq!(again.payment.amount, first.payment.amount);

    let other = start::start(&f.pay, &f.resident(), keyed(&[fourth.id])).await;
    assert_eq!(code(other), ErrorCode::Conflict);

    // Two concurrent requests with a new key and the same input: one payment, one replay.
    let twice = |ids: &[Uuid]| StartInput {
        idempotency_key: Some("klucz-podwojny".into()),
        ..pay_installments(ids)
    };
    let (tab1, tab2) = (f.resident(), f.resident());
    let (a, b) = f
        .concurrently(
            start::start(&f.pay, &tab1, twice(&[fourth.id])),
            start::start(&f.pay, &tab2, twice(&[fourth.id])),
        )
        .await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.payment.id, b.payment.id);
    assert!(a.replayed ^ b.replayed, "{a:?} / {b:?}");
    let double = a.payment.id;
    assert_eq!(
        f.count(wspolnota_payments::entity::payment::Entity::find())
            .await,
        2
    );
    // Abandoned: the fourth installment is free again.
    decide(&f, double, Decision::Abandon).await;
    assert_eq!(
        notify(&f, double, Decision::Abandon).await,
        Processed::Applied(PaymentStatus::Cancelled)
    );

    // One live payment, one lock; the fourth installment is still free.
    let locks = f.locks().await;
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].installment_id, third.id);
    assert!(
        start::start(&f.pay, &f.resident(), pay_installments(&[fourth.id]))
            .await
            .is_ok()
    );
    f.assert_balanced().await;
}

#[tokio::test]
async fn expiry_sweep_asks_the_provider_before_expiring() {
    let f = Fixture::new(TODAY).await;
    let third = f.installment(3).await;
    let fourth = f.installment(4).await;
    let abandoned = start_paying(&f, &[third.id]).await.payment;
    let approved = start_paying(&f, &[fourth.id]).await.payment;
    // Approved at the provider; its notification is lost.
    decide(&f, approved.id, Decision::Approve).await;

    // Before their time nothing is swept.
    assert_eq!(
        sweep::sweep(&f.pay, &f.system()).await.unwrap(),
        Swept::default()
    );
    assert_eq!(f.locks().await.len(), 2);

    let minutes = f.pay.config(&f.system()).unwrap().payment_minutes;
    f.advance_minutes(i64::from(minutes) + 1);
    let swept = sweep::sweep(&f.pay, &f.system()).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            notifications: 0,
            expired: 1,
            settled: 1
        }
    );
    assert_eq!(f.payment(abandoned.id).await.status, "expired");
    assert_eq!(f.payment(approved.id).await.status, "succeeded");
    assert!(f.locks().await.is_empty());
    assert!(f.finance_payments_of(abandoned.id).await.is_empty());
    assert_eq!(f.finance_payments_of(approved.id).await.len(), 1);
    assert_eq!(f.balance().await.outstanding, m("3000"));
    assert_eq!(f.installment(3).await.outstanding, 100_000);
    assert_eq!(f.installment(4).await.outstanding, 0);
    let expired_events: Vec<_> = f
        .events(abandoned.id)
        .await
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(expired_events, vec!["created", "start", "expired"]);

    // The expired one's installment can be paid again; a second sweep does nothing.
    let lines = f.ledger_lines().await;
    assert_eq!(
        sweep::sweep(&f.pay, &f.system()).await.unwrap(),
        Swept::default()
    );
    assert_eq!(f.ledger_lines().await, lines);
    assert!(
        start::start(&f.pay, &f.resident(), pay_installments(&[third.id]))
            .await
            .is_ok()
    );
    f.assert_balanced().await;
}

#[tokio::test]
async fn refund_by_a_finance_clerk_reverses_the_posting() {
    let f = Fixture::new(TODAY).await;
    let before = f.balance().await.outstanding;
    let id = paid(&f, 3).await;
    assert_eq!(f.balance().await.outstanding, before - m("1000"));
    let lines = f.ledger_lines().await;

    // Not by the resident; not without a reason.
    assert_eq!(
        code(refund::refund(&f.pay, &f.resident(), id, "chcę zwrotu").await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        code(refund::refund(&f.pay, &f.clerk, id, "").await),
        ErrorCode::Validation
    );
    assert_eq!(
        code(refund::refund(&f.pay, &f.clerk, id, "   ").await),
        ErrorCode::Validation
    );
    assert_eq!(f.ledger_lines().await, lines);
    assert_eq!(f.payment(id).await.refunded, 0);

    let row = refund::refund(&f.pay, &f.clerk, id, "płatność zdublowana z przelewem")
        .await
        .unwrap();
    assert_eq!(row.payment_id, id);
    assert_eq!(row.amount, 100_000);
    assert_eq!(row.reason, "płatność zdublowana z przelewem");
    assert_eq!(row.requested_by, f.clerk.account_id().unwrap().0);
    let refunds = refund::of_payment(&f.clerk, id).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(f.payment(id).await.refunded, 100_000);

    // The posting is reversed: the party owes what it owed before; 141 nets to zero.
    assert_eq!(f.balance().await.outstanding, before);
    assert_eq!(f.installment(3).await.outstanding, 100_000);
    let all = f.ledger_lines().await;
    assert!(all.len() > lines.len());
    assert_eq!(
        all.iter()
            .filter(|l| l.account == "141")
            .map(|l| l.debit - l.credit)
            .sum::<i64>(),
        0
    );
    f.assert_balanced().await;

    // Only once.
    assert_eq!(
        code(refund::refund(&f.pay, &f.clerk, id, "jeszcze raz").await),
        ErrorCode::Conflict
    );
    assert_eq!(f.ledger_lines().await, all);
}

#[tokio::test]
async fn overdue_installment_is_paid_with_interest_to_today() {
    let f = Fixture::new(TODAY).await;
    let first = f.installment(1).await;
    let view = f.view(first.id).await;
    assert_eq!(
        view.status,
        wspolnota_finance::service::account::InstallmentStatus::Overdue
    );
    assert!(view.interest.is_positive(), "{view:?}");
    assert_eq!(view.outstanding, m("1000"));
    let expected = view.outstanding + view.interest;

    let p = start_paying(&f, &[first.id]).await.payment;
    assert_eq!(Money::from_grosze(p.amount), expected);
    let chosen = f
        .all(wspolnota_payments::entity::payment_installment::Entity::find_by_id((p.id, first.id)))
        .await;
    assert_eq!(chosen.len(), 1);
    let chosen: &payment_installment::Model = &chosen[0];
    assert_eq!(Money::from_grosze(chosen.principal), view.outstanding);
    assert_eq!(Money::from_grosze(chosen.interest), view.interest);

    let interest_before = f.balance().await.interest;
    decide(&f, p.id, Decision::Approve).await;
    assert_eq!(
        notify(&f, p.id, Decision::Approve).await,
        Processed::Applied(PaymentStatus::Succeeded)
    );
    // The principal is paid in full, and with it the interest charged to today.
    assert_eq!(f.installment(1).await.outstanding, 0);
    assert_eq!(f.balance().await.outstanding, m("3000"));
    assert_eq!(f.balance().await.interest, interest_before - view.interest);
    let posted = f.finance_payments_of(p.id).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].amount, p.amount);
    assert_eq!(posted[0].overpayment, 0);
    f.assert_balanced().await;
}
