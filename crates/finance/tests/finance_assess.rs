//! Assessments through the service: art. 63 rounding, installment schedules (remainder in the
//! first, single payment, weekends and holidays), explicit lease installments, validation,
//! and adjustments that post only the difference and are audited.
//!
//! Calendar facts used below: 15.03.2025 Sat, 15.11.2025 Sat, 15.03.2026 Sun, 31.01.2026 Sat,
//! 15.02.2026 Sun, 15.08.2026 Sat (and a holiday), 15.11.2026 Sun, 15.08.2025 Fri (holiday),
//! 11.11.2025 Tue (holiday), 24–26.12.2025 Wed–Fri (holidays; Wigilia since 2025).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use support::{
    Fixture, assess, balance, date, g, installments_of, m, new_assessment, obligation_lines,
    offsets, payment, record, zamosc_with_person,
};
use uuid::Uuid;
use wspolnota_core::{Ctx, ErrorCode, Money};
use wspolnota_finance::entity::{installment, ledger_entry, obligation, party};
use wspolnota_finance::service::account;
use wspolnota_finance::service::assess::{self, Assessed, NewAssessment};

fn amounts(a: &[installment::Model]) -> Vec<Money> {
    a.iter().map(|i| g(i.amount)).collect()
}

fn dues(a: &[installment::Model]) -> Vec<chrono::NaiveDate> {
    a.iter().map(|i| i.due_date).collect()
}

fn ms(v: &[&str]) -> Vec<Money> {
    v.iter().map(|s| m(s)).collect()
}

fn ds(v: &[&str]) -> Vec<chrono::NaiveDate> {
    v.iter().map(|s| date(s)).collect()
}

/// The obligation's ledger entries in posting order, each as (account, debit, credit) lines.
async fn postings(f: &Fixture, obligation: Uuid) -> Vec<Vec<(String, i64, i64)>> {
    let lines = obligation_lines(f, obligation).await;
    let entries = f
        .all(
            ledger_entry::Entity::find()
                .order_by_asc(ledger_entry::Column::CreatedAt)
                .order_by_asc(ledger_entry::Column::Id),
        )
        .await;
    entries
        .iter()
        .map(|e| {
            lines
                .iter()
                .filter(|l| l.entry_id == e.id)
                .map(|l| (l.account.clone(), l.debit, l.credit))
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

fn line(account: &str, debit: i64, credit: i64) -> (String, i64, i64) {
    (account.to_owned(), debit, credit)
}

async fn audit_details(f: &Fixture, action: &str) -> Vec<serde_json::Value> {
    let mut q = Query::select();
    q.column(Alias::new("detail"))
        .from(Alias::new("audit_log"))
        .and_where(Expr::col(Alias::new("action")).eq(action))
        .order_by(Alias::new("id"), Order::Asc);
    let rows = f.with_tx(async |tx| tx.query_all(&q).await.unwrap()).await;
    rows.iter()
        .map(|r| serde_json::from_str(&r.try_get::<String>("", "detail").unwrap()).unwrap())
        .collect()
}

/// Person 1 assessed 1,000 zł of property tax 2025 (4 × 250) on 10.01.2025; the clock then
/// moves to `today`.
async fn assessed_1000_on(today: &str) -> (Fixture, Ctx, party::Model, Assessed) {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let a = property_tax(&f, &clerk, &p, 2025, "1000").await;
    f.set_today(today);
    (f, clerk, p, a)
}

/// Property tax of a natural person: four installments, or one up to 100 zł.
async fn property_tax(
    f: &Fixture,
    clerk: &Ctx,
    p: &party::Model,
    year: i32,
    amount: &str,
) -> Assessed {
    assess(f, clerk, p.id, "property_tax_person", year, amount, None).await
}

/// Asserts that assessing `input` fails with VALIDATION on `field`.
async fn assert_invalid(f: &Fixture, clerk: &Ctx, input: NewAssessment, field: &str) {
    let e = assess::assess(&f.finance, clerk, input).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert_eq!(e.field(), Some(field));
}

/// Adjusts the assessment to `amount`; it must succeed.
async fn adjust(
    f: &Fixture,
    clerk: &Ctx,
    a: &Assessed,
    amount: &str,
    reason: &str,
) -> obligation::Model {
    assess::adjust(&f.finance, clerk, a.obligation.id, m(amount), reason)
        .await
        .unwrap()
}

#[tokio::test]
async fn annual_tax_is_rounded_to_full_zloty_art_63() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // < 50 gr down, ≥ 50 gr up (art. 63 § 1 OP); the posting is the rounded amount.
    let down = property_tax(&f, &clerk, &p, 2025, "1000.49").await;
    assert_eq!(g(down.obligation.amount), m("1000"));
    assert_eq!(
        amounts(&down.installments),
        ms(&["250", "250", "250", "250"])
    );
    let up = assess(&f, &clerk, p.id, "transport_tax", 2025, "1000.50", None).await;
    assert_eq!(g(up.obligation.amount), m("1001"));
    let posted = postings(&f, up.obligation.id).await;
    assert_eq!(
        posted,
        vec![vec![line("221-03", 100_100, 0), line("720-03", 0, 100_100)]]
    );
    // A fee (whole_zloty = false) keeps its grosze: 300.50 over 12 months =
    // 30 050 gr / 12 = 2 504 rest 2 → the first 25.06, the others 25.04.
    let fee = assess(&f, &clerk, p.id, "waste_fee", 2025, "300.50", None).await;
    assert_eq!(g(fee.obligation.amount), m("300.50"));
    let mut expected = vec![m("25.06")];
    expected.extend(std::iter::repeat_n(m("25.04"), 11));
    assert_eq!(amounts(&fee.installments), expected);
}

#[tokio::test]
async fn four_installments_with_the_remainder_in_the_first() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // 1,001 / 4 = 250 rest 1 → 251, 250, 250, 250; 15.03 and 15.11.2025 are Saturdays.
    let a = property_tax(&f, &clerk, &p, 2025, "1001").await;
    assert_eq!(amounts(&a.installments), ms(&["251", "250", "250", "250"]));
    assert_eq!(
        dues(&a.installments),
        ds(&["2025-03-17", "2025-05-15", "2025-09-15", "2025-11-17"])
    );
    assert!(a.installments.iter().all(|i| i.outstanding == i.amount));
    let numbers: Vec<i32> = a.installments.iter().map(|i| i.number).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn single_payment_up_to_100_zl_by_15_march_next_working_day() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // 100.40 → 100 ≤ 100: one payment by 15.03.2025, a Saturday → Monday 17.03.
    let a = property_tax(&f, &clerk, &p, 2025, "100.40").await;
    assert_eq!(amounts(&a.installments), ms(&["100"]));
    assert_eq!(dues(&a.installments), ds(&["2025-03-17"]));
    // 100.50 → 101 > 100: four installments, 101 / 4 = 25 rest 1 → 26, 25, 25, 25.
    let a = property_tax(&f, &clerk, &p, 2025, "100.50").await;
    assert_eq!(amounts(&a.installments), ms(&["26", "25", "25", "25"]));
    // 2026: 15.03 is a Sunday → 16.03; 2024: 15.03 is a Friday and stays.
    let a = property_tax(&f, &clerk, &p, 2026, "80").await;
    assert_eq!(dues(&a.installments), ds(&["2026-03-16"]));
    let a = property_tax(&f, &clerk, &p, 2024, "80").await;
    assert_eq!(dues(&a.installments), ds(&["2024-03-15"]));
}

#[tokio::test]
async fn monthly_legal_person_schedule_moves_off_weekends_and_holidays() {
    let (f, clerk, p) = zamosc_with_person("2025-12-10").await;
    // 12,005 / 12 = 1,000 rest 5 → 1,005 then eleven times 1,000. January by 31.01
    // (2026: Saturday → 02.02); 15.08.2026 is the Assumption and a Saturday → 17.08.
    let a = assess(
        &f,
        &clerk,
        p.id,
        "property_tax_organisation",
        2026,
        "12005",
        None,
    )
    .await;
    let mut expected = vec![m("1005")];
    expected.extend(std::iter::repeat_n(m("1000"), 11));
    assert_eq!(amounts(&a.installments), expected);
    assert_eq!(
        dues(&a.installments),
        ds(&[
            "2026-02-02",
            "2026-02-16",
            "2026-03-16",
            "2026-04-15",
            "2026-05-15",
            "2026-06-15",
            "2026-07-15",
            "2026-08-17",
            "2026-09-15",
            "2026-10-15",
            "2026-11-16",
            "2026-12-15",
        ])
    );
}

#[tokio::test]
async fn explicit_lease_installments_keep_grosze_and_move_off_holidays() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // Holidays on working days: 15.08.2025 (Fri) → Mon 18.08; 11.11.2025 (Tue) → 12.11;
    // 24.12.2025 (Wed, Wigilia), 25–26.12 holidays, 27–28 weekend → Mon 29.12.
    let a = assess(
        &f,
        &clerk,
        p.id,
        "lease",
        2025,
        "1500.75",
        Some(&[
            ("2025-08-15", "500.25"),
            ("2025-11-11", "500.25"),
            ("2025-12-24", "500.25"),
        ]),
    )
    .await;
    assert_eq!(g(a.obligation.amount), m("1500.75"));
    assert_eq!(
        amounts(&a.installments),
        ms(&["500.25", "500.25", "500.25"])
    );
    assert_eq!(
        dues(&a.installments),
        ds(&["2025-08-18", "2025-11-12", "2025-12-29"])
    );
}

#[tokio::test]
async fn lease_installments_not_adding_up_are_a_validation_error_on_installments() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // 500.00 + 500.00 ≠ 1,000.01.
    let halves = [("2025-03-31", "500.00"), ("2025-06-30", "500.00")];
    let input = new_assessment(p.id, "lease", 2025, "1000.01", Some(&halves));
    assert_invalid(&f, &clerk, input, "installments").await;
    // A lease has no schedule rule: without installments it is the same error.
    let input = new_assessment(p.id, "lease", 2025, "1000.00", None);
    assert_invalid(&f, &clerk, input, "installments").await;
    // Nothing was saved or posted.
    let data = account::load(&f.finance, &clerk, Some(p.id)).await.unwrap();
    assert!(
        data.obligations(&f.finance, date("2025-01-10"), None)
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_kind_is_a_validation_error_on_kind() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let input = new_assessment(p.id, "dog_tax", 2025, "100", None);
    assert_invalid(&f, &clerk, input, "kind").await;
}

#[tokio::test]
async fn adjusting_up_posts_only_the_difference_and_is_audited() {
    let (f, clerk, _, a) = assessed_1000_on("2025-02-01").await;
    let ob = adjust(&f, &clerk, &a, "1200", "nowa decyzja").await;
    assert_eq!(g(ob.amount), m("1200"));
    // Entries: the assessment 1,000 and the change +200 (not a second 1,200).
    assert_eq!(
        postings(&f, a.obligation.id).await,
        vec![
            vec![line("221-01", 100_000, 0), line("720-01", 0, 100_000)],
            vec![line("221-01", 20_000, 0), line("720-01", 0, 20_000)],
        ]
    );
    // The kind's rule over 1,200: four times 300, all still owed.
    let rows = installments_of(&f, a.obligation.id).await;
    assert_eq!(amounts(&rows), ms(&["300", "300", "300", "300"]));
    assert!(rows.iter().all(|i| i.outstanding == i.amount));
    let audit = audit_details(&f, "finance.assessment.adjusted").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["before"], "1000.00");
    assert_eq!(audit[0]["after"], "1200.00");
    assert_eq!(audit[0]["obligation"], a.obligation.id.to_string());
    assert_eq!(audit[0]["reason"], "nowa decyzja");
}

#[tokio::test]
async fn adjusting_down_posts_only_the_difference_and_is_audited() {
    let (f, clerk, _, a) = assessed_1000_on("2025-02-01").await;
    // 801.40 → 801 (art. 63); −199 posted as Wn 720-01 / Ma 221-01.
    let ob = adjust(&f, &clerk, &a, "801.40", "korekta").await;
    assert_eq!(g(ob.amount), m("801"));
    assert_eq!(
        postings(&f, a.obligation.id).await,
        vec![
            vec![line("221-01", 100_000, 0), line("720-01", 0, 100_000)],
            vec![line("720-01", 19_900, 0), line("221-01", 0, 19_900)],
        ]
    );
    let rows = installments_of(&f, a.obligation.id).await;
    assert_eq!(amounts(&rows), ms(&["201", "200", "200", "200"]));
    let audit = audit_details(&f, "finance.assessment.adjusted").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0]["before"].as_str(), audit[0]["after"].as_str()),
        (Some("1000.00"), Some("801.00"))
    );
}

#[tokio::test]
async fn adjusting_below_what_was_paid_leaves_an_overpayment() {
    let (f, clerk, p, a) = assessed_1000_on("2025-03-10").await;
    // 600 paid before any deadline: 250 + 250 + 100 → outstanding 0, 0, 150, 250.
    record(&f, &clerk, payment(p.id, "600", "2025-03-10", "pay-600")).await;
    // New decision: 400 → 100 × 4. Deltas −150 each: #1 and #2 go to −150 → 0 with
    // 300 excess, #3 150 → 0, #4 250 → 100. The 300 excess is a credit balance, which the
    // same change offsets against #4 (art. 76): 100 paid, 200 overpaid.
    // In total: paid 600 − owed 400 = 200 overpayment, nothing outstanding.
    adjust(&f, &clerk, &a, "400", "uchylenie").await;
    let rows = installments_of(&f, a.obligation.id).await;
    assert_eq!(amounts(&rows), ms(&["100", "100", "100", "100"]));
    assert!(
        rows.iter()
            .all(|i| i.outstanding == 0 && i.paid_on.is_some())
    );
    let b = balance(&f, &clerk, p.id, "2025-03-10").await;
    assert_eq!(b.outstanding, Money::ZERO);
    assert_eq!(b.overpayment, m("200"));
    // The offset is recorded as a payment of the 300 credit, leaving 200 over.
    let offsets = offsets(&f).await;
    assert_eq!(offsets.len(), 1);
    assert_eq!(
        (offsets[0].amount, offsets[0].overpayment),
        (30_000, 20_000)
    );
    let audit = audit_details(&f, "finance.assessment.adjusted").await;
    assert_eq!(
        (audit[0]["before"].as_str(), audit[0]["after"].as_str()),
        (Some("1000.00"), Some("400.00"))
    );
}

#[tokio::test]
async fn assessment_with_the_same_key_is_saved_and_posted_once() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let keyed = || NewAssessment {
        key: Some("import:abc:2".into()),
        ..new_assessment(p.id, "property_tax_person", 2025, "1000", None)
    };
    let first = assess::assess(&f.finance, &clerk, keyed()).await.unwrap();
    // A retried import of the same row: the same obligation, nothing new saved or posted.
    let again = assess::assess(&f.finance, &clerk, keyed()).await.unwrap();
    assert_eq!(again.obligation.id, first.obligation.id);
    assert_eq!(
        again.installments.iter().map(|i| i.id).collect::<Vec<_>>(),
        first.installments.iter().map(|i| i.id).collect::<Vec<_>>()
    );
    let data = account::load(&f.finance, &clerk, Some(p.id)).await.unwrap();
    assert_eq!(
        data.obligations(&f.finance, date("2025-01-10"), None).len(),
        1
    );
    assert_eq!(
        data.balance(&f.finance, date("2025-01-10")).outstanding,
        m("1000")
    );
    assert_eq!(
        postings(&f, first.obligation.id).await,
        vec![vec![line("221-01", 100_000, 0), line("720-01", 0, 100_000)]]
    );
}
