//! Matching and posting at the service level: credits found by the party number, a decision's
//! number (which also says what is paid), PESEL or NIP in their title, installments named by
//! number ("II rata 2026") paid before older arrears (also when a clerk assigns the credit),
//! ambiguity left to a clerk, a "payment posted" message for each posting, and a file with one
//! bad line or a foreign account importing nothing at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../payments/tests/support/service_fixture.rs"]
mod fixture;

use fixture::{Fixture, date, m, person_input, pesel};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use wspolnota_core::ErrorCode;
use wspolnota_core::value::DocumentNumber;
use wspolnota_finance::entity::{allocation, installment};
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_statements::Statements;
use wspolnota_statements::entity::line;
use wspolnota_statements::parse::FormatHint;
use wspolnota_statements::service::import::{ImportInput, import};
use wspolnota_statements::service::resolve::{Resolution, resolve};

const ACCOUNT: &str = "PL56102053560000160200076877";
/// Zamość's own NIP: valid, and here the NIP of a firm that pays fees.
const FIRM_NIP: &str = "9222697472";

/// A PKO-style `?NN` statement would do as well; the free-text mBank dialect keeps titles short.
fn mt940(titles: &[(&str, i64)], bad_amount_at: Option<usize>) -> Vec<u8> {
    let mut out = format!(":20:ST260610CYC/1\n:25:{ACCOUNT}\n:28C:3/1\n:60F:C260610PLN0,00\n");
    let mut total = 0;
    for (i, (title, grosze)) in titles.iter().enumerate() {
        total += grosze;
        let amount = if bad_amount_at == Some(i) {
            "12,3,4".to_owned()
        } else {
            format!("{},{:02}", grosze / 100, grosze % 100)
        };
        out.push_str(&format!(
            ":61:2606100610CN{amount}NTRFNONREF//MB2606100000{i:02}\n\
             :86:911 PRZELEW; OD: X; TYT.: {title}; TNR: 55500000000{i:04}.000001\n"
        ));
    }
    out.push_str(&format!(
        ":62F:C260610PLN{},{:02}\n-\n",
        total / 100,
        total % 100
    ));
    out.into_bytes()
}

fn input(bytes: Vec<u8>) -> ImportInput {
    ImportInput::from_bytes("wyciag.sta", bytes, FormatHint::Mt940, None)
}

async fn outbox_count(f: &Fixture) -> i64 {
    let tx = f.tx().await;
    let row = tx
        .query_one_raw(Statement::from_string(
            tx.get_database_backend(),
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'payment_posted'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn lines_in_order(f: &Fixture) -> Vec<line::Model> {
    f.all(line::Entity::find().order_by_asc(line::Column::Position))
        .await
}

/// How the payment a line posted was allocated.
async fn allocations_of(f: &Fixture, line: &line::Model) -> Vec<allocation::Model> {
    let payment = line.payment_id.expect("the line posted a payment");
    f.all(allocation::Entity::find().filter(allocation::Column::PaymentId.eq(payment)))
        .await
}

/// How each line was matched, to whom, and its status.
fn matches(lines: &[line::Model]) -> Vec<(Option<&str>, Option<uuid::Uuid>, &str)> {
    lines
        .iter()
        .map(|l| (l.matched_by.as_deref(), l.party_id, l.status.as_str()))
        .collect()
}

#[tokio::test]
async fn credits_are_found_by_party_number_pesel_and_nip_or_left_to_a_clerk() {
    let f = Fixture::new("2026-06-10").await;
    let svc = Statements::new(f.finance.clone());
    let firm = parties::create_party(
        &f.finance,
        &f.clerk,
        NewParty {
            kind: PartyKind::Organisation,
            name: "Usługi Komunalne sp. z o.o.".into(),
            pesel: None,
            nip: Some(FIRM_NIP.into()),
            regon: None,
            krs: None,
            address: AddressInput::default(),
            email: None,
            phone: None,
        },
    )
    .await
    .unwrap();
    let person = &f.party;
    let queued = outbox_count(&f).await;
    let number = format!("Podatek NALEŻNOŚĆ {} rata 2", person.number);
    let by_pesel = format!("podatek od nieruchomosci PESEL {}", pesel(1));
    let by_nip = format!("oplata NIP {FIRM_NIP}");
    let ambiguous = format!("NR {} NIP {FIRM_NIP}", person.number);
    let file = mt940(
        &[
            (number.as_str(), 10_000),
            (by_pesel.as_str(), 20_000),
            (by_nip.as_str(), 30_000),
            ("NR 999999 darowizna", 40_000),
            (ambiguous.as_str(), 50_000),
        ],
        None,
    );
    let summary = import(&svc, &f.clerk, input(file)).await.unwrap();
    assert_eq!(
        (summary.lines, summary.matched, summary.unmatched),
        (5, 3, 2)
    );
    let lines = lines_in_order(&f).await;
    assert_eq!(
        matches(&lines),
        vec![
            (Some("party_number"), Some(person.id), "posted"),
            (Some("pesel"), Some(person.id), "posted"),
            (Some("nip"), Some(firm.id), "posted"),
            (None, None, "unmatched"),
            (None, None, "unmatched"),
        ]
    );
    // One message per posted payment, written with it.
    assert_eq!(outbox_count(&f).await, queued + 3);
    f.assert_balanced().await;
}

#[tokio::test]
async fn a_bad_line_or_a_foreign_account_imports_nothing() {
    let f = Fixture::new("2026-06-10").await;
    let svc = Statements::new(f.finance.clone());
    let lines_before = f.ledger_lines().await.len();

    let bad = mt940(&[("NR 1", 100), ("NR 1", 200), ("NR 1", 300)], Some(2));
    let err = import(&svc, &f.clerk, input(bad)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert!(
        err.message().starts_with("wyciag.sta:"),
        "{}",
        err.message()
    );
    assert!(err.message().contains(":61:"), "{}", err.message());

    let foreign = String::from_utf8(mt940(&[("NR 1", 100)], None))
        .unwrap()
        .replace(ACCOUNT, "PL61109010140000071219812874")
        .into_bytes();
    let err = import(&svc, &f.clerk, input(foreign)).await.unwrap_err();
    assert!(err.message().contains("not one of"), "{}", err.message());

    assert!(f.all(line::Entity::find()).await.is_empty());
    assert_eq!(f.ledger_lines().await.len(), lines_before);

    // A resident may not import.
    let err = import(&svc, &f.resident(), input(mt940(&[("NR 1", 100)], None)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_decision_number_in_the_title_finds_the_party_and_pays_that_obligation_first() {
    let f = Fixture::new("2026-06-10").await;
    let svc = Statements::new(f.finance.clone());
    let person = &f.party;
    let assess = |party: uuid::Uuid, number: &str, due: &str| NewAssessment {
        party_id: party,
        kind: "lease".into(),
        year: 2026,
        title: "Czynsz dzierżawny 2026".into(),
        reference: Some(DocumentNumber::parse(number).unwrap()),
        amount: m("600"),
        installments: Some(vec![(date(due), m("600"))]),
        key: None,
    };
    // The person's lease falls due after the property tax's overdue installments, which the
    // general rule (the oldest first) would pay.
    let lease = assess::assess(
        &f.finance,
        &f.clerk,
        assess(person.id, "GKM.6845.7.2026", "2026-09-30"),
    )
    .await
    .unwrap();
    let other = parties::create_party(&f.finance, &f.clerk, person_input("Osoba 2", 2))
        .await
        .unwrap();
    let others = assess::assess(
        &f.finance,
        &f.clerk,
        assess(other.id, "GKM.6845.8.2026", "2026-09-30"),
    )
    .await
    .unwrap();
    // One number on two obligations names neither.
    for party in [person.id, other.id] {
        assess::assess(
            &f.finance,
            &f.clerk,
            assess(party, "GKM/1/2026", "2026-10-31"),
        )
        .await
        .unwrap();
    }

    let by_number = format!("NALEŻNOŚĆ {} umowa GKM.6845.7.2026", person.number);
    let conflicting = format!("NR {} gkm.6845.8.2026", person.number);
    let file = mt940(
        &[
            ("Czynsz dzierzawny umowa gkm.6845.7.2026.", 10_000),
            (by_number.as_str(), 20_000),
            ("dzierżawa GKM.6845.8.2026", 30_000),
            (conflicting.as_str(), 40_000),
            ("czynsz GKM/1/2026", 50_000),
        ],
        None,
    );
    let summary = import(&svc, &f.clerk, input(file)).await.unwrap();
    assert_eq!(
        (summary.lines, summary.matched, summary.unmatched),
        (5, 3, 2)
    );
    let lines = lines_in_order(&f).await;
    assert_eq!(
        matches(&lines),
        vec![
            (Some("decision_number"), Some(person.id), "posted"),
            (Some("party_number"), Some(person.id), "posted"),
            (Some("decision_number"), Some(other.id), "posted"),
            (None, None, "unmatched"),
            (None, None, "unmatched"),
        ]
    );
    // Each posted credit went wholly to the lease its title names.
    for (line, lease) in lines.iter().take(3).zip([&lease, &lease, &others]) {
        let allocations = allocations_of(&f, line).await;
        let installment = lease.installments[0].id;
        assert_eq!(
            allocations
                .iter()
                .map(|a| (a.installment_id, a.principal))
                .collect::<Vec<_>>(),
            vec![(Some(installment), line.amount)],
            "line {}",
            line.position
        );
    }
    let paid = f
        .one(installment::Entity::find_by_id(lease.installments[0].id))
        .await;
    assert_eq!(paid.outstanding, 60_000 - 10_000 - 20_000);
    f.assert_balanced().await;
}

#[tokio::test]
async fn installments_named_in_the_title_are_paid_before_older_arrears() {
    let f = Fixture::new("2026-06-10").await;
    let svc = Statements::new(f.finance.clone());
    let person = &f.party;
    // Parties 2 and 3 exist, so that "rata nr 3" read as a party number would make the title
    // name two parties.
    for (name, serial) in [("Osoba 2", 2), ("Osoba 3", 3)] {
        parties::create_party(&f.finance, &f.clerk, person_input(name, serial))
            .await
            .unwrap();
    }
    // Arrears from 2025 (installments 1 and 2), older than every installment of 2026.
    let arrears = assess::assess(
        &f.finance,
        &f.clerk,
        NewAssessment {
            party_id: person.id,
            kind: "property_tax_person".into(),
            year: 2025,
            title: "Podatek od nieruchomości 2025".into(),
            reference: None,
            amount: m("600"),
            installments: Some(vec![
                (date("2025-09-15"), m("300")),
                (date("2025-11-17"), m("300")),
            ]),
            key: None,
        },
    )
    .await
    .unwrap();
    let n = person.number;
    let titles = [
        format!("NALEŻNOŚĆ {n} II rata 2026"),
        format!("NALEŻNOŚĆ {n} podatek rata nr 3"),
        format!("NALEŻNOŚĆ {n} rata 2"),
        format!("NALEŻNOŚĆ {n} wpłata"),
    ];
    let file = mt940(
        &titles
            .iter()
            .map(|t| (t.as_str(), 10_000))
            .collect::<Vec<_>>(),
        None,
    );
    let summary = import(&svc, &f.clerk, input(file)).await.unwrap();
    assert_eq!((summary.matched, summary.unmatched), (4, 0));
    let lines = lines_in_order(&f).await;
    assert!(
        matches(&lines)
            .iter()
            .all(|m| *m == (Some("party_number"), Some(person.id), "posted")),
        "{:?}",
        matches(&lines)
    );
    let this_year = f.installments().await;
    let expected = [
        // The second installment of the year named.
        this_year[1].id,
        // The third, not yet due, before every arrear.
        this_year[2].id,
        // "rata 2" without a year: the older of the two second installments.
        arrears.installments[1].id,
        // Nothing named: the oldest arrear (art. 62 § 1).
        arrears.installments[0].id,
    ];
    for (line, installment) in lines.iter().zip(expected) {
        let allocations = allocations_of(&f, line).await;
        assert_eq!(
            allocations
                .iter()
                .map(|a| (a.installment_id, a.principal + a.interest))
                .collect::<Vec<_>>(),
            vec![(Some(installment), line.amount)],
            "{}",
            line.title
        );
    }
    f.assert_balanced().await;
}

#[tokio::test]
async fn a_clerk_assigning_a_credit_to_its_payer_keeps_the_installment_its_title_names() {
    let f = Fixture::new("2026-06-10").await;
    let svc = Statements::new(f.finance.clone());
    // No reference to any party: the clerk's queue.
    let file = mt940(&[("podatek III rata", 10_000)], None);
    let summary = import(&svc, &f.clerk, input(file)).await.unwrap();
    assert_eq!(summary.unmatched, 1);
    let line = lines_in_order(&f).await.remove(0);
    let resolved = resolve(
        &svc,
        &f.clerk,
        line.id,
        Resolution::Assign {
            party_id: f.party.id,
            obligation_id: None,
        },
        "wpłacający potwierdził telefonicznie",
    )
    .await
    .unwrap();
    // The third installment (due 15.09), not the overdue first one the general rule pays.
    let allocations = allocations_of(&f, &resolved).await;
    assert_eq!(
        allocations
            .iter()
            .map(|a| (a.installment_id, a.principal, a.interest))
            .collect::<Vec<_>>(),
        vec![(Some(f.installment(3).await.id), 10_000, 0)]
    );
    f.assert_balanced().await;
}
