//! Payments through the service: allocation order (oldest first across kinds, the payer's
//! indication first), the art. 55 § 2 proportional split, overpayments and their offset
//! against a new assessment (art. 76), idempotency, dating, and who may record at the desk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{
    Fixture, assess, balance, counts, date, g, installment, m, offsets, payment, record,
    zamosc_with_person,
};
use uuid::Uuid;
use wspolnota_core::{AccountId, Ctx, ErrorCode, Money};
use wspolnota_finance::entity::party;
use wspolnota_finance::service::assess::Assessed;
use wspolnota_finance::service::payments::{self, NamedInstallments, Recorded};

/// (installment, principal, interest) of each allocation, in allocation order.
fn split(r: &Recorded) -> Vec<(Option<Uuid>, Money, Money)> {
    r.allocations
        .iter()
        .map(|a| (a.installment_id, g(a.principal), g(a.interest)))
        .collect()
}

/// On 20.03.2025, a party with property tax 2025 of 1,000 (250 due 17.03, 15.05, 15.09, 17.11)
/// and transport tax 2025 of 400 (200 due 17.02 — 15.02 was a Saturday — and 15.09), both
/// assessed on 10.01.
async fn two_kinds() -> (Fixture, Ctx, party::Model, Assessed, Assessed) {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let property = assess(&f, &clerk, p.id, "property_tax_person", 2025, "1000", None).await;
    let transport = assess(&f, &clerk, p.id, "transport_tax", 2025, "400", None).await;
    assert_eq!(transport.installments[0].due_date, date("2025-02-17"));
    assert_eq!(property.installments[0].due_date, date("2025-03-17"));
    f.set_today("2025-03-20");
    (f, clerk, p, property, transport)
}

/// 1,000 of waste fee (tax interest) in one installment nominally due 15.03.`year`, and 500
/// paid on 15.05.`year`, recorded on the 20th.
async fn half_of_1000_paid_on_15_may(
    year: i32,
) -> (Fixture, Ctx, party::Model, Assessed, Recorded) {
    let (f, clerk, p) = zamosc_with_person(&format!("{year}-01-10")).await;
    let due = format!("{year}-03-15");
    let a = assess(
        &f,
        &clerk,
        p.id,
        "waste_fee",
        year,
        "1000.00",
        Some(&[(due.as_str(), "1000.00")]),
    )
    .await;
    f.set_today(&format!("{year}-05-20"));
    let paid_on = format!("{year}-05-15");
    let r = record(&f, &clerk, payment(p.id, "500.00", &paid_on, "k1")).await;
    (f, clerk, p, a, r)
}

/// Property tax 2025 of 100 (single payment due 17.03), and 150 paid on 10.03.2025.
async fn overpaid_by_50() -> (Fixture, Ctx, party::Model, Assessed, Recorded) {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let a = assess(&f, &clerk, p.id, "property_tax_person", 2025, "100", None).await;
    f.set_today("2025-03-10");
    let r = record(&f, &clerk, payment(p.id, "150", "2025-03-10", "k1")).await;
    (f, clerk, p, a, r)
}

/// On 10.03.2025, person 1 owing property tax 2025 of 1,000 assessed that day.
async fn owing_1000_on_10_march() -> (Fixture, Ctx, party::Model) {
    let (f, clerk, p) = zamosc_with_person("2025-03-10").await;
    assess(&f, &clerk, p.id, "property_tax_person", 2025, "1000", None).await;
    (f, clerk, p)
}

#[tokio::test]
async fn payment_goes_to_the_oldest_arrear_across_kinds() {
    let (f, clerk, p, property, transport) = two_kinds().await;
    // 300 on 20.03.2025: transport #1 (due 17.02) is the oldest: 200 with interest
    // 18.02–20.03 = 31 d × 14.5% × 200 / 365 = 2.46 → 2 zł ≤ 8.70 → none; then property #1
    // (due 17.03) gets the remaining 100 (3 days, 0.12 → 0 → none).
    let r = record(&f, &clerk, payment(p.id, "300", "2025-03-20", "k1")).await;
    assert_eq!(
        split(&r),
        vec![
            (Some(transport.installments[0].id), m("200"), Money::ZERO),
            (Some(property.installments[0].id), m("100"), Money::ZERO),
        ]
    );
    assert_eq!(
        installment(&f, property.installments[0].id)
            .await
            .outstanding,
        15_000
    );
}

#[tokio::test]
async fn indicated_installment_is_paid_first_even_with_an_older_arrear() {
    let (f, clerk, p, property, transport) = two_kinds().await;
    // 300 indicating property #2 (due 15.05): 250 to it first although transport #1 is an
    // arrear since 17.02; the remaining 50 then goes to the oldest arrear, transport #1.
    let mut input = payment(p.id, "300", "2025-03-20", "k1");
    input.installment_ids = vec![property.installments[1].id];
    let r = record(&f, &clerk, input).await;
    assert_eq!(
        split(&r),
        vec![
            (Some(property.installments[1].id), m("250"), Money::ZERO),
            (Some(transport.installments[0].id), m("50"), Money::ZERO),
        ]
    );
}

#[tokio::test]
async fn payment_into_a_kinds_account_goes_to_that_kind_first() {
    let (f, clerk, p, property, _transport) = two_kinds().await;
    // Paid into the property-tax virtual account: that indicates property tax, so its
    // oldest installment (#1, due 17.03) comes before the older transport arrear.
    let mut input = payment(p.id, "250", "2025-03-20", "k1");
    input.indicated_kind = Some("property_tax_person".into());
    let r = record(&f, &clerk, input).await;
    assert_eq!(
        split(&r),
        vec![(Some(property.installments[0].id), m("250"), Money::ZERO)]
    );
}

#[tokio::test]
async fn installments_named_by_number_come_first_within_the_kind_and_year_named() {
    let (f, clerk, p, property, transport) = two_kinds().await;
    let named =
        |key: &str, amount: &str, numbers: &[i32], year: Option<i32>, kind: Option<&str>| {
            let mut input = payment(p.id, amount, "2025-03-20", key);
            input.named_installments = Some(NamedInstallments {
                numbers: numbers.to_vec(),
                year,
            });
            input.indicated_kind = kind.map(str::to_owned);
            input
        };
    // "rata 2": both kinds' second installments (property 15.05, transport 15.09), by due
    // date, before transport #1, an arrear since 17.02 that the general rule pays first.
    let r = record(&f, &clerk, named("k1", "300", &[2], None, None)).await;
    assert_eq!(
        split(&r),
        vec![
            (Some(property.installments[1].id), m("250"), Money::ZERO),
            (Some(transport.installments[1].id), m("50"), Money::ZERO),
        ]
    );
    // Into the transport tax's account: that kind's second installment only.
    let r = record(
        &f,
        &clerk,
        named("k2", "100", &[2], Some(2025), Some("transport_tax")),
    )
    .await;
    assert_eq!(
        split(&r),
        vec![(Some(transport.installments[1].id), m("100"), Money::ZERO)]
    );
    // A year with nothing open names nothing: the account's kind decides (property #1).
    let r = record(
        &f,
        &clerk,
        named("k3", "100", &[2], Some(2024), Some("property_tax_person")),
    )
    .await;
    assert_eq!(
        split(&r),
        vec![(Some(property.installments[0].id), m("100"), Money::ZERO)]
    );
    // "III i IV rata": both, in due order; the rest would follow the general rule.
    let r = record(
        &f,
        &clerk,
        named(
            "k4",
            "300",
            &[3, 4],
            Some(2025),
            Some("property_tax_person"),
        ),
    )
    .await;
    assert_eq!(
        split(&r),
        vec![
            (Some(property.installments[2].id), m("250"), Money::ZERO),
            (Some(property.installments[3].id), m("50"), Money::ZERO),
        ]
    );
}

#[tokio::test]
async fn short_payment_is_split_proportionally_art_55_2() {
    let (f, clerk, p, a, r) = half_of_1000_paid_on_15_may(2024).await;
    // DOMAIN §2.4 example with a deadline that is a working day: 1,000 due Friday 15.03.2024
    // (waste fee, tax interest, explicit installment), 500 paid 15.05.2024.
    // Interest: 16.03–15.05 = 61 d × 14.5% = 1000 × 14.5 × 61 / 36500 = 24.2329 → 24 zł.
    // Ratio with the rounded interest (tenant setting "rounded"):
    //   principal = 500 × 1000 / 1024 = 488.28125 → 488.28; interest = 500 − 488.28 = 11.72.
    assert_eq!(a.installments[0].due_date, date("2024-03-15"));
    assert_eq!(
        split(&r),
        vec![(Some(a.installments[0].id), m("488.28"), m("11.72"))]
    );
    // Outstanding principal 1,000 − 488.28 = 511.72; the receivable account agrees:
    // +1,000 assessed, +11.72 interest charged, −500 paid.
    assert_eq!(
        installment(&f, a.installments[0].id).await.outstanding,
        51_172
    );
    assert_eq!(
        balance(&f, &clerk, p.id, "2024-05-15").await.outstanding,
        m("511.72")
    );
}

#[tokio::test]
async fn short_payment_split_uses_the_deadline_moved_off_saturday() {
    let (f, _, _, a, r) = half_of_1000_paid_on_15_may(2025).await;
    // The DOMAIN example as dated there: 1,000 due 15.03.2025, 500 paid 15.05.2025. 15.03.2025
    // was a Saturday, so the installment is due Monday 17.03 (art. 12 § 5 OP), and:
    //   18.03–07.05 51 d × 14.5% = 20.2603; 08.05–15.05 8 d × 13.5% = 2.9589
    //   → 23.2192 → 23 zł (not DOMAIN's 24, which takes 15.03 as the deadline)
    //   principal = 500 × 1000 / 1023 = 488.7586 → 488.76; interest = 11.24.
    assert_eq!(a.installments[0].due_date, date("2025-03-17"));
    assert_eq!(
        split(&r),
        vec![(Some(a.installments[0].id), m("488.76"), m("11.24"))]
    );
    assert_eq!(
        installment(&f, a.installments[0].id).await.outstanding,
        51_124
    );
}

#[tokio::test]
async fn paying_more_than_owed_leaves_an_overpayment() {
    // 150 against 100 owed (single payment due 17.03): 50 over, on the credit balance.
    let (f, clerk, p, a, r) = overpaid_by_50().await;
    assert_eq!(
        split(&r),
        vec![(Some(a.installments[0].id), m("100"), Money::ZERO)]
    );
    assert_eq!(r.payment.overpayment, 5_000);
    let b = balance(&f, &clerk, p.id, "2025-03-10").await;
    assert_eq!((b.outstanding, b.overpayment), (Money::ZERO, m("50")));
}

#[tokio::test]
async fn overpayment_is_offset_against_a_new_assessment_art_76() {
    let (f, clerk, p, _, _) = overpaid_by_50().await;
    // A new decision for 2026: 400 → 100 due 16.03.2026 (15.03 a Sunday), 15.05, 15.09,
    // 16.11. The 50 credit is credited ex officio to the earliest, #1: outstanding 50.
    f.set_today("2025-12-15");
    let next = assess(&f, &clerk, p.id, "property_tax_person", 2026, "400", None).await;
    assert_eq!(next.installments[0].due_date, date("2026-03-16"));
    assert_eq!(
        installment(&f, next.installments[0].id).await.outstanding,
        5_000
    );
    assert_eq!(
        installment(&f, next.installments[1].id).await.outstanding,
        10_000
    );
    let b = balance(&f, &clerk, p.id, "2025-12-15").await;
    assert_eq!((b.outstanding, b.overpayment), (m("350"), Money::ZERO));
    let offsets = offsets(&f).await;
    assert_eq!(offsets.len(), 1);
    assert_eq!(
        (
            offsets[0].amount,
            offsets[0].overpayment,
            offsets[0].paid_on
        ),
        (5_000, 0, date("2025-12-15"))
    );
}

#[tokio::test]
async fn same_idempotency_key_records_one_payment() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let a = assess(&f, &clerk, p.id, "property_tax_person", 2025, "1000", None).await;
    f.set_today("2025-03-10");
    let first = record(&f, &clerk, payment(p.id, "300", "2025-03-10", "bank-42")).await;
    assert!(!first.replayed);
    let before = counts(&f).await;
    let outstanding = installment(&f, a.installments[1].id).await.outstanding;
    // The same key again (even with another amount): the first payment, replayed.
    let again = record(&f, &clerk, payment(p.id, "999", "2025-03-10", "bank-42")).await;
    assert!(again.replayed);
    assert_eq!(again.payment.id, first.payment.id);
    assert_eq!(again.payment.amount, 30_000);
    assert_eq!(again.allocations, first.allocations);
    assert_eq!(counts(&f).await, before);
    assert_eq!(before.0, 1);
    assert_eq!(
        installment(&f, a.installments[1].id).await.outstanding,
        outstanding
    );
}

#[tokio::test]
async fn payment_dated_in_the_future_is_a_validation_error() {
    let (f, clerk, p) = owing_1000_on_10_march().await;
    let before = counts(&f).await;
    let e = payments::record_payment(&f.finance, &clerk, payment(p.id, "100", "2025-03-11", "k1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert_eq!(e.field(), Some("paidOn"));
    assert_eq!(counts(&f).await, before);
}

/// The day is Warsaw's: at 23:30 UTC on 10 March it is already 00:30 on 11 March there (CET),
/// and in summer 01:30 the same way (CEST). A payment made then is dated that day, not refused
/// as one dated in the future; the next day still is.
#[tokio::test]
async fn a_payment_just_after_midnight_in_warsaw_is_dated_that_day() {
    let (f, clerk, p) = owing_1000_on_10_march().await;
    for (utc, local) in [
        ("2025-03-10T23:30:00Z", "2025-03-11"),
        ("2025-07-14T22:30:00Z", "2025-07-15"),
    ] {
        f.clock.set(utc.parse().unwrap());
        assert_eq!(clerk.today().to_string(), local);
        let key = format!("midnight-{local}");
        let paid = payments::record_payment(&f.finance, &clerk, payment(p.id, "1", local, &key))
            .await
            .unwrap();
        assert_eq!(paid.payment.paid_on.to_string(), local);
        let next = support::date(local).succ_opt().unwrap().to_string();
        let e = payments::record_payment(&f.finance, &clerk, payment(p.id, "1", &next, "k"))
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("paidOn"));
    }
}

#[tokio::test]
async fn cash_desk_needs_a_finance_clerk() {
    let (f, _, p) = owing_1000_on_10_march().await;
    let before = counts(&f).await;
    let resident = f.resident(AccountId::new());
    let e = payments::record_payment(
        &f.finance,
        &resident,
        payment(p.id, "100", "2025-03-10", "k1"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert_eq!(counts(&f).await, before);
}

/// The outbox rows (kind, party, payload) of the tenant, oldest first.
async fn outbox(f: &support::Fixture) -> Vec<(String, Option<Uuid>, serde_json::Value)> {
    use sea_orm::{ConnectionTrait, Statement};
    let tx = f.tx().await;
    let rows = tx
        .query_all_raw(Statement::from_string(
            tx.get_database_backend(),
            "SELECT kind, party_id, payload FROM outbox ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("", "payload").unwrap();
            (
                r.try_get("", "kind").unwrap(),
                r.try_get("", "party_id").unwrap(),
                serde_json::from_str(&payload).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_posted_payment_enqueues_one_notification_in_its_transaction() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess(&f, &clerk, p.id, "property_tax_person", 2025, "1000", None).await;
    f.set_today("2025-03-10");
    let first = record(&f, &clerk, payment(p.id, "300", "2025-03-10", "bank-7")).await;
    record(&f, &clerk, payment(p.id, "300", "2025-03-10", "bank-7")).await;
    let queued = outbox(&f).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (kind, party, payload) = &queued[0];
    assert_eq!(kind, "payment_posted");
    assert_eq!(*party, Some(p.id));
    assert_eq!(payload["paymentId"], first.payment.id.to_string());
    assert_eq!(payload["amount"], "300.00");
    // A payment refused by validation leaves no message behind.
    let future = payments::record_payment(
        &f.finance,
        &clerk,
        payment(p.id, "10", "2025-04-01", "bank-8"),
    )
    .await;
    assert!(future.is_err());
    assert_eq!(outbox(&f).await.len(), 1);
}
