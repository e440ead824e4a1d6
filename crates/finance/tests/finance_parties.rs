//! Parties and access through the service: validation naming the field, duplicates,
//! virtual accounts, access codes (issue, redeem, wrong, reused, rate-limited), linking by
//! verified PESEL, residents confined to their own parties, and clerk search.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Fixture, create_party, nip, organisation_input, pesel};
use wspolnota_core::value::{Nrb, Pesel};
use wspolnota_core::{AccountId, Ctx, ErrorCode, TenantDb};
use wspolnota_finance::entity::party;
use wspolnota_finance::service::account;
use wspolnota_finance::service::parties::{self, AddressInput, NewParty};

/// A person living in Zamość, with `pesel(serial)`.
fn person_input(name: &str, serial: u32) -> NewParty {
    NewParty {
        address: AddressInput {
            street: Some("Rynek Wielki 1".into()),
            postal_code: Some("22-400".into()),
            city: Some("Zamość".into()),
        },
        ..support::person_input(name, serial)
    }
}

/// Issues an access code the way the GraphQL mutation does: in a tenant transaction.
async fn issue_code(clerk: &Ctx, party: uuid::Uuid) -> String {
    let tx = TenantDb::begin(clerk).await.unwrap();
    let code = parties::issue_access_code(&*tx, clerk, party, 365)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    code
}

/// Jan Kowalski (party 1, `pesel(1)`) with an access code issued on 10.01.2025 at noon.
async fn jan_with_code() -> (Fixture, Ctx, party::Model, String) {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let p = create_party(&f, &clerk, person_input("Jan Kowalski", 1)).await;
    let code = issue_code(&clerk, p.id).await;
    (f, clerk, p, code)
}

/// Asserts that `code` does not redeem party `number` (VALIDATION on `code`).
async fn assert_code_refused(resident: &Ctx, number: i64, code: &str) {
    let e = parties::redeem_access_code(resident, number, code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert_eq!(e.field(), Some("code"));
}

/// The HMAC under which the party with `pesel(serial)` is found by a verified PESEL.
fn hmac_of(f: &Fixture, serial: u32) -> String {
    f.finance
        .pesel_hmac(&Pesel::parse(&pesel(serial)).unwrap())
        .unwrap()
}

#[tokio::test]
async fn create_party_validation_errors_name_the_field() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let cases: Vec<(NewParty, &str)> = vec![
        (
            // Last digit off by one: the checksum fails.
            NewParty {
                pesel: Some("44051401358".into()),
                ..person_input("Jan Kowalski", 1)
            },
            "pesel",
        ),
        (
            // 6·1+5·2+7·3+2·4+3·5+4·6+5·7+6·8+7·9 = 230, 230 mod 11 = 10: never valid.
            organisation_input("Firma", "1234567890"),
            "nip",
        ),
        (
            NewParty {
                address: AddressInput {
                    postal_code: Some("22400".into()),
                    ..AddressInput::default()
                },
                ..person_input("Jan Kowalski", 1)
            },
            "address.postalCode",
        ),
    ];
    for (input, field) in cases {
        let e = parties::create_party(&f.finance, &clerk, input)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{field}");
        assert_eq!(e.field(), Some(field));
    }
    // Nothing was created by the failed attempts: the next party is number 1.
    let p = create_party(&f, &clerk, person_input("Jan Kowalski", 1)).await;
    assert_eq!(p.number, 1);
}

#[tokio::test]
async fn duplicate_pesel_is_a_conflict() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    create_party(&f, &clerk, person_input("Jan Kowalski", 7)).await;
    let e = parties::create_party(&f.finance, &clerk, person_input("Jan Kowalski (2)", 7))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn virtual_accounts_are_valid_nrbs_for_kinds_that_want_them() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    create_party(&f, &clerk, person_input("Anna Nowak", 1)).await;
    let p = create_party(&f, &clerk, person_input("Jan Kowalski", 2)).await;
    assert_eq!(p.number, 2);
    let data = account::load(&f.finance, &clerk, Some(p.id)).await.unwrap();
    let mut got: Vec<(String, String)> = data
        .virtual_accounts
        .iter()
        .map(|v| {
            let nrb = Nrb::parse(&v.nrb).unwrap();
            assert_eq!(nrb.as_str(), v.nrb);
            assert_eq!(nrb.settlement_number(), "10205356");
            (v.kind_code.clone(), nrb.client_part().to_owned())
        })
        .collect();
    got.sort();
    // zamosc.toml: kinds 1 property_tax_person, 2 property_tax_organisation, 3 transport_tax
    // and 6 waste_fee have virtual_account = true (4 usufruct, 5 lease, 7 other do not).
    // Client part: prefix "66" + kind number (2 digits) + party number (12 digits).
    assert_eq!(
        got,
        vec![
            (
                "property_tax_organisation".into(),
                "6602000000000002".into()
            ),
            ("property_tax_person".into(), "6601000000000002".into()),
            ("transport_tax".into(), "6603000000000002".into()),
            ("waste_fee".into(), "6606000000000002".into()),
        ]
    );
}

#[tokio::test]
async fn access_code_links_the_resident() {
    let (f, _, p, code) = jan_with_code().await;
    assert_eq!(code.len(), 10);
    let resident = f.resident(AccountId::new());
    // Not linked yet: the account page has no party.
    let e = account::load(&f.finance, &resident, None)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let linked = parties::redeem_access_code(&resident, p.number, &code)
        .await
        .unwrap();
    assert_eq!(linked.id, p.id);
    let data = account::load(&f.finance, &resident, None).await.unwrap();
    assert_eq!(data.party.id, p.id);
}

#[tokio::test]
async fn wrong_access_code_is_a_validation_error() {
    let (f, clerk, p, code) = jan_with_code().await;
    // Same length and alphabet, first character changed.
    let rest: String = code.chars().skip(1).collect();
    let wrong = if code.starts_with('A') {
        format!("B{rest}")
    } else {
        format!("A{rest}")
    };
    let resident = f.resident(AccountId::new());
    assert_code_refused(&resident, p.number, &wrong).await;
    // The right code on the wrong party number is just as wrong.
    let other = create_party(&f, &clerk, person_input("Anna Nowak", 2)).await;
    assert_code_refused(&resident, other.number, &code).await;
    assert!(account::load(&f.finance, &resident, None).await.is_err());
}

#[tokio::test]
async fn used_access_code_cannot_be_reused() {
    let (f, _, p, code) = jan_with_code().await;
    let first = f.resident(AccountId::new());
    parties::redeem_access_code(&first, p.number, &code)
        .await
        .unwrap();
    let second = f.resident(AccountId::new());
    assert_code_refused(&second, p.number, &code).await;
    assert_eq!(
        account::load(&f.finance, &second, None)
            .await
            .err()
            .unwrap()
            .code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn more_than_10_access_code_attempts_are_rate_limited() {
    let (f, _, p, code) = jan_with_code().await;
    // One context = one account and one key-value store, as consecutive requests would share.
    let resident = f.resident(AccountId::new());
    for attempt in 1..=10 {
        let e = parties::redeem_access_code(&resident, p.number, "WRONGCODE9")
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "attempt {attempt}");
    }
    // The 11th attempt is refused before the code is even checked, the right code too.
    let e = parties::redeem_access_code(&resident, p.number, &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(account::load(&f.finance, &resident, None).await.is_err());
}

#[tokio::test]
async fn verified_pesel_links_the_account_by_hmac() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let p = create_party(&f, &clerk, person_input("Jan Kowalski", 1)).await;
    create_party(&f, &clerk, person_input("Anna Nowak", 2)).await;
    let resident = f.resident(AccountId::new());
    let hmac = hmac_of(&f, 1);
    assert_eq!(parties::link_verified(&resident, &hmac).await.unwrap(), 1);
    let data = account::load(&f.finance, &resident, None).await.unwrap();
    assert_eq!(data.party.id, p.id);
    // Already linked: nothing new. A PESEL no party has: nothing.
    assert_eq!(parties::link_verified(&resident, &hmac).await.unwrap(), 0);
    let stranger = f.resident(AccountId::new());
    let other = hmac_of(&f, 3);
    assert_eq!(parties::link_verified(&stranger, &other).await.unwrap(), 0);
}

#[tokio::test]
async fn resident_cannot_load_another_partys_account() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let mine = create_party(&f, &clerk, person_input("Jan Kowalski", 1)).await;
    let theirs = create_party(&f, &clerk, person_input("Anna Nowak", 2)).await;
    let resident = f.resident(AccountId::new());
    parties::link_verified(&resident, &hmac_of(&f, 1))
        .await
        .unwrap();
    assert_eq!(
        account::load(&f.finance, &resident, Some(mine.id))
            .await
            .unwrap()
            .party
            .id,
        mine.id
    );
    let e = account::load(&f.finance, &resident, Some(theirs.id))
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), ErrorCode::NotFound);
    // A clerk may load either.
    assert!(
        account::load(&f.finance, &clerk, Some(theirs.id))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn clerk_search_finds_by_name_pesel_nip_number_and_virtual_account() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let jan = create_party(&f, &clerk, person_input("Jan Kowalski", 1)).await;
    let anna = create_party(&f, &clerk, person_input("Anna Nowak", 2)).await;
    let firm_nip = nip(17);
    let firm = create_party(
        &f,
        &clerk,
        organisation_input("Hetman Sp. z o.o.", &firm_nip),
    )
    .await;
    let ids = |v: Vec<party::Model>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();

    // Name fragment, case-insensitive.
    assert_eq!(
        ids(parties::search(&clerk, "kowal", 20).await.unwrap()),
        vec![jan.id]
    );
    assert_eq!(
        ids(parties::search(&clerk, "NOWAK", 20).await.unwrap()),
        vec![anna.id]
    );
    // PESEL.
    assert_eq!(
        ids(parties::search(&clerk, &pesel(2), 20).await.unwrap()),
        vec![anna.id]
    );
    // NIP, also written with dashes.
    let dashed = format!(
        "{}-{}-{}-{}",
        &firm_nip[..3],
        &firm_nip[3..6],
        &firm_nip[6..8],
        &firm_nip[8..]
    );
    assert_eq!(
        ids(parties::search(&clerk, &firm_nip, 20).await.unwrap()),
        vec![firm.id]
    );
    assert_eq!(
        ids(parties::search(&clerk, &dashed, 20).await.unwrap()),
        vec![firm.id]
    );
    // Party number.
    assert_eq!(
        ids(parties::search(&clerk, "3", 20).await.unwrap()),
        vec![firm.id]
    );
    // Virtual account number (any form with spaces).
    let va = account::load(&f.finance, &clerk, Some(anna.id))
        .await
        .unwrap()
        .virtual_accounts[0]
        .nrb
        .clone();
    let spaced = Nrb::parse(&va).unwrap().to_string();
    assert_eq!(
        ids(parties::search(&clerk, &spaced, 20).await.unwrap()),
        vec![anna.id]
    );
    // Residents may not search.
    let e = parties::search(&f.resident(AccountId::new()), "kowal", 20)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn clerk_search_finds_polish_names_typed_as_stored() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let p = create_party(&f, &clerk, person_input("Łukasz Żółkiewski", 1)).await;
    // The name exactly as stored, and its lower-case form, must both find the party.
    for q in ["Łukasz Żółkiewski", "Żółkiewski", "łukasz żółkiewski"] {
        let found = parties::search(&clerk, q, 20).await.unwrap();
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![p.id],
            "query {q:?}"
        );
    }
}

#[tokio::test]
async fn expired_access_code_is_refused() {
    // Issued at noon 10.01.2025, valid 365 days: until noon 10.01.2026 (exclusive).
    let (f, _, p, code) = jan_with_code().await;
    f.set_today("2026-01-10");
    let resident = f.resident(AccountId::new());
    assert_code_refused(&resident, p.number, &code).await;
    // A day earlier it would still have worked.
    f.set_today("2026-01-09");
    parties::redeem_access_code(&resident, p.number, &code)
        .await
        .unwrap();
}

#[tokio::test]
async fn parties_created_at_the_same_time_get_distinct_numbers() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let created = futures_util::future::join_all((1..=8).map(|serial| {
        parties::create_party(
            &f.finance,
            &clerk,
            person_input(&format!("Mieszkaniec {serial}"), serial),
        )
    }))
    .await;
    let mut numbers: Vec<i64> = created
        .into_iter()
        .map(|r| r.expect("every creation succeeds").number)
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<i64>>());

    // The same PESEL twice at once: exactly one party.
    let twice = futures_util::future::join_all(
        (0..2).map(|_| parties::create_party(&f.finance, &clerk, person_input("Anna Nowak", 20))),
    )
    .await;
    let conflicts = twice
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.code() == ErrorCode::Conflict))
        .count();
    assert_eq!((twice.len() - conflicts, conflicts), (1, 1), "{twice:?}");
}
