//! The finance services end to end on a real store: a party, an assessment, a payment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Fixture, date};
use wspolnota_core::Money;
use wspolnota_finance::service::account;
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_finance::service::payments::{self, Channel, NewPayment};

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

#[tokio::test]
async fn assess_then_pay_late_with_interest() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let party = parties::create_party(
        &f.finance,
        &clerk,
        NewParty {
            kind: PartyKind::Person,
            name: "Jan Kowalski".into(),
            pesel: Some("44051401359".into()),
            nip: None,
            regon: None,
            krs: None,
            address: AddressInput::default(),
            email: None,
            phone: None,
        },
    )
    .await
    .unwrap();
    let assessed = assess::assess(
        &f.finance,
        &clerk,
        NewAssessment {
            party_id: party.id,
            kind: "property_tax_person".into(),
            year: 2025,
            title: "Decyzja 1/2025".into(),
            amount: m("4000.40"),
            installments: None,
            key: None,
        },
    )
    .await
    .unwrap();
    // Art. 63: 4,000.40 → 4,000 zł; four installments of 1,000; 15 Mar 2025 was a Saturday.
    assert_eq!(Money::from_grosze(assessed.obligation.amount), m("4000"));
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
    let paid = payments::record_payment(
        &f.finance,
        &clerk,
        NewPayment {
            party_id: party.id,
            amount: m("500.00"),
            paid_on: date("2025-05-15"),
            title: "wpłata".into(),
            installment_ids: vec![],
            indicated_kind: None,
            channel: Channel::Cash,
            idempotency_key: "smoke-1".into(),
        },
    )
    .await
    .unwrap();
    // Oldest first: the first installment, overdue since 17 Mar 2025, split with its interest.
    let first = &paid.allocations[0];
    assert_eq!(first.installment_id, Some(assessed.installments[0].id));
    assert_eq!(
        Money::from_grosze(first.principal + first.interest),
        m("500.00")
    );
    assert!(first.interest > 0);

    let data = account::load(&f.finance, &clerk, Some(party.id))
        .await
        .unwrap();
    let balance = data.balance(&f.finance, date("2025-05-20"));
    assert_eq!(
        balance.outstanding,
        m("4000") - Money::from_grosze(first.principal)
    );
}
