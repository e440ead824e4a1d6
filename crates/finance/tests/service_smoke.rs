//! The finance services end to end on a real store: a party, an assessment, a payment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Fixture, assess, balance, date, g, m, named_person, payment, record};

#[tokio::test]
async fn assess_then_pay_late_with_interest() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let party = named_person(&f, &clerk, "Jan Kowalski", 1).await;
    let assessed = assess(
        &f,
        &clerk,
        party.id,
        "property_tax_person",
        2025,
        "4000.40",
        None,
    )
    .await;
    // Art. 63: 4,000.40 → 4,000 zł; four installments of 1,000; 15 Mar 2025 was a Saturday.
    assert_eq!(g(assessed.obligation.amount), m("4000"));
    let dues: Vec<_> = assessed.installments.iter().map(|i| i.due_date).collect();
    assert_eq!(
        dues,
        vec![
            date("2025-03-17"),
            date("2025-05-15"),
            date("2025-09-15"),
            date("2025-11-17")
        ]
    );

    f.set_today("2025-05-20");
    let paid = record(
        &f,
        &clerk,
        payment(party.id, "500.00", "2025-05-15", "smoke-1"),
    )
    .await;
    // Oldest first: the first installment, overdue since 17 Mar 2025, split with its interest.
    let first = &paid.allocations[0];
    assert_eq!(first.installment_id, Some(assessed.installments[0].id));
    assert_eq!(g(first.principal + first.interest), m("500.00"));
    assert!(first.interest > 0);

    let balance = balance(&f, &clerk, party.id, "2025-05-20").await;
    assert_eq!(balance.outstanding, m("4000") - g(first.principal));
}
