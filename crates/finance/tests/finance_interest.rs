//! Late-payment interest through the services: the account balance and the installment
//! `interest` field across rate changes, the 8.70 zł threshold, rounding of tax interest to
//! full złoty, and civil interest (usufruct, lease) in grosze without a threshold.
//!
//! Formula (DOMAIN §2.3): principal × rate × days / 36500 per stretch of equal rate, from the
//! day after the due date through the payment (or as-of) day inclusive; only the sum is
//! rounded. Rates used below (rules/national.toml):
//!   tax:   14.5% from 2023-10-05, 13.5% from 2025-05-08, 13.0% from 2025-07-03
//!   civil: 11.25% from 2023-10-05, 10.75% from 2025-05-08
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{
    Fixture, assess, balance, date, entry_lines, g, m, net, pay, person, zamosc_with_person,
};
use wspolnota_core::Money;
use wspolnota_finance::service::account::{self, InstallmentStatus};

#[tokio::test]
async fn tax_interest_across_rate_changes_in_balance_and_installment_field() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // 4,000 zł: 1,000 due 17.03 (15.03 was a Saturday), 15.05, 15.09, 17.11 (15.11 Saturday).
    assess(&f, &clerk, p.id, "property_tax_person", 2025, "4000", None).await;
    let data = account::load(&f.finance, &clerk, Some(p.id)).await.unwrap();

    // As of 15.05.2025, only the first installment is overdue (the second is due that day):
    //   18.03–07.05  51 d × 14.5% = 1000 × 14.5 × 51 / 36500 = 739 500 / 36500 = 20.2603
    //   08.05–15.05   8 d × 13.5% = 1000 × 13.5 ×  8 / 36500 = 108 000 / 36500 =  2.9589
    //   sum 847 500 / 36500 = 23.2192 → 23 zł
    let b = data.balance(&f.finance, date("2025-05-15"));
    assert_eq!(b.outstanding, m("4000"));
    assert_eq!(b.overdue, m("1000"));
    assert_eq!(b.interest, m("23"));

    // As of 10.07.2025, two installments are overdue, across three rates:
    //   #1 due 17.03: 51 d × 14.5% (739 500) + 56 d × 13.5% 08.05–02.07 (756 000)
    //                 + 8 d × 13.0% 03.07–10.07 (104 000) = 1 599 500 / 36500 = 43.8219 → 44
    //   #2 due 15.05: 48 d × 13.5% 16.05–02.07 (648 000) + 8 d × 13.0% (104 000)
    //                 = 752 000 / 36500 = 20.6027 → 21
    //   balance: 44 + 21 = 65 zł
    let b = data.balance(&f.finance, date("2025-07-10"));
    assert_eq!(b.overdue, m("2000"));
    assert_eq!(b.interest, m("65"));

    let obligations = data.obligations(&f.finance, date("2025-07-10"), None);
    assert_eq!(obligations.len(), 1);
    let views = &obligations[0].installments;
    let got: Vec<_> = views.iter().map(|v| (v.status, v.interest)).collect();
    assert_eq!(
        got,
        vec![
            (InstallmentStatus::Overdue, m("44")),
            (InstallmentStatus::Overdue, m("21")),
            (InstallmentStatus::Due, Money::ZERO),
            (InstallmentStatus::Due, Money::ZERO),
        ]
    );
}

#[tokio::test]
async fn interest_threshold_waives_8_zl_and_charges_9_zl() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let waived = person(&f, &clerk, 1).await;
    let owed = person(&f, &clerk, 2).await;
    // Waste fee (tax interest), one explicit installment due Monday 02.06.2025.
    // As of 02.07.2025: 30 days (03.06–02.07) at 13.5% = principal × 405 / 36500.
    //   766.00 → 310 230 / 36500 = 8.4995 → 8 zł ≤ 8.70 → waived
    //   767.00 → 310 635 / 36500 = 8.5105 → 9 zł > 8.70 → owed in full
    // (the rounded figure is compared, so 8.4995 is waived although 8.4995 < 8.70 anyway,
    // and 8.5105 is owed although it is below 8.70 before rounding).
    assess(
        &f,
        &clerk,
        waived.id,
        "waste_fee",
        2025,
        "766.00",
        Some(&[("2025-06-02", "766.00")]),
    )
    .await;
    assess(
        &f,
        &clerk,
        owed.id,
        "waste_fee",
        2025,
        "767.00",
        Some(&[("2025-06-02", "767.00")]),
    )
    .await;
    let as_of = date("2025-07-02");
    let a = account::load(&f.finance, &clerk, Some(waived.id))
        .await
        .unwrap();
    let b = account::load(&f.finance, &clerk, Some(owed.id))
        .await
        .unwrap();
    assert_eq!(
        a.obligations(&f.finance, as_of, None)[0].installments[0].interest,
        Money::ZERO
    );
    assert_eq!(a.balance(&f.finance, as_of).interest, Money::ZERO);
    assert_eq!(
        b.obligations(&f.finance, as_of, None)[0].installments[0].interest,
        m("9")
    );
    assert_eq!(b.balance(&f.finance, as_of).interest, m("9"));

    // Paying on 02.07.2025: 766.00 settles the first in full (no interest); the second
    // needs 767 + 9 = 776.00.
    f.set_today("2025-07-02");
    let r = pay(&f, &clerk, waived.id, "766.00", "2025-07-02").await;
    assert_eq!(r.allocations.len(), 1);
    assert_eq!(
        (g(r.allocations[0].principal), g(r.allocations[0].interest)),
        (m("766.00"), Money::ZERO)
    );
    assert_eq!(r.payment.overpayment, 0);
    let r = pay(&f, &clerk, owed.id, "776.00", "2025-07-02").await;
    assert_eq!(
        (g(r.allocations[0].principal), g(r.allocations[0].interest)),
        (m("767.00"), m("9.00"))
    );
    assert_eq!(r.payment.overpayment, 0);
}

#[tokio::test]
async fn late_tax_payment_pays_interest_rounded_to_full_zloty() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess(&f, &clerk, p.id, "property_tax_person", 2025, "4000", None).await;
    f.set_today("2025-07-10");
    // First installment (1,000 due 17.03) with 43.8219 → 44 zł interest (see above), paid on
    // 10.07.2025: 1,044.00 settles it exactly. The second installment (due 15.05, with
    // 21 zł interest) is next in line, so pay exactly the first one's total.
    let r = pay(&f, &clerk, p.id, "1044.00", "2025-07-10").await;
    assert_eq!(r.allocations.len(), 1);
    assert_eq!(g(r.allocations[0].principal), m("1000"));
    assert_eq!(g(r.allocations[0].interest), m("44.00"));
    assert_eq!(r.payment.overpayment, 0);
    // The interest is charged and paid in the same entry: Wn 221-01 44 / Ma 720-90 44.
    let lines = entry_lines(&f, r.payment.entry_id).await;
    let interest_revenue = -net(&lines, "720-90");
    assert_eq!(interest_revenue, 4400);
    let receivable = net(&lines, "221-01");
    assert_eq!(receivable, -100_000);
}

#[tokio::test]
async fn civil_interest_on_usufruct_is_in_grosze_across_a_rate_change() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // Perpetual usufruct: one payment by 31.03 (Monday in 2025), amount kept in grosze.
    let a = assess(
        &f,
        &clerk,
        p.id,
        "perpetual_usufruct",
        2025,
        "5000.00",
        None,
    )
    .await;
    assert_eq!(a.installments.len(), 1);
    assert_eq!(a.installments[0].due_date, date("2025-03-31"));
    // As of 31.05.2025:
    //   01.04–07.05  37 d × 11.25% = 5000 × 11.25 × 37 / 36500 = 2 081 250 / 36500
    //   08.05–31.05  24 d × 10.75% = 5000 × 10.75 × 24 / 36500 = 1 290 000 / 36500
    //   sum 3 371 250 / 36500 = 92.3630 → 92.36 (to the grosz, not to the złoty)
    let data = account::load(&f.finance, &clerk, Some(p.id)).await.unwrap();
    let as_of = date("2025-05-31");
    assert_eq!(data.balance(&f.finance, as_of).interest, m("92.36"));
    assert_eq!(
        data.obligations(&f.finance, as_of, None)[0].installments[0].interest,
        m("92.36")
    );
}

#[tokio::test]
async fn civil_interest_on_lease_has_no_threshold() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess(
        &f,
        &clerk,
        p.id,
        "lease",
        2025,
        "100.00",
        Some(&[("2025-06-02", "100.00")]),
    )
    .await;
    // 03.06–12.06: 10 d × 10.75% = 100 × 10.75 × 10 / 36500 = 10 750 / 36500 = 0.2945 → 0.29:
    // far below 8.70 zł and still owed (civil interest has no threshold).
    assert_eq!(
        balance(&f, &clerk, p.id, "2025-06-12").await.interest,
        m("0.29")
    );
    f.set_today("2025-06-12");
    let r = pay(&f, &clerk, p.id, "100.29", "2025-06-12").await;
    assert_eq!(
        (g(r.allocations[0].principal), g(r.allocations[0].interest)),
        (m("100.00"), m("0.29"))
    );
    assert_eq!(r.payment.overpayment, 0);
    let interest_revenue = -net(&entry_lines(&f, r.payment.entry_id).await, "720-90");
    assert_eq!(interest_revenue, 29);
}
