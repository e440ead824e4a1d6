//! Payers recognised by the account they send from: a clerk's assignment of an unidentified
//! credit remembers the sender's account with the payer, and the next unidentified credit
//! from that account (however the bank writes it) suggests the payer — without posting it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../payments/tests/support/service_fixture.rs"]
mod fixture;

use fixture::{Fixture, person_input};
use sea_orm::{EntityTrait, QueryOrder};
use wspolnota_core::ErrorCode;
use wspolnota_finance::service::parties;
use wspolnota_statements::Statements;
use wspolnota_statements::entity::line;
use wspolnota_statements::parse::FormatHint;
use wspolnota_statements::service::import::{ImportInput, import};
use wspolnota_statements::service::payers::suggestions;
use wspolnota_statements::service::resolve::{Resolution, resolve};

const ACCOUNT: &str = "PL56102053560000160200076877";
/// The sender's account, as one statement writes it and as another does.
const SENDER: &str = "PL61 1090 1014 0000 0712 1981 2874";
const SENDER_AGAIN: &str = "61109010140000071219812874";

/// An mBank statement whose credits name no party, each from the given sender account.
fn statement(day: u32, credits: &[(&str, i64)]) -> ImportInput {
    let mut out =
        format!(":20:ST2606{day:02}/1\n:25:{ACCOUNT}\n:28C:{day}/1\n:60F:C2606{day:02}PLN0,00\n");
    let mut total = 0;
    for (i, (sender, grosze)) in credits.iter().enumerate() {
        total += grosze;
        out.push_str(&format!(
            ":61:2606{day:02}06{day:02}CN{},{:02}NTRFNONREF//MB2606{day:02}0000{i:02}\n\
             :86:911 PRZELEW; OD: JAN NOWAK; Z RACH.: {sender}; TYT.: podatek; \
             TNR: 5550000{day:02}00{i:04}.000001\n",
            grosze / 100,
            grosze % 100
        ));
    }
    out.push_str(&format!(
        ":62F:C2606{day:02}PLN{},{:02}\n-\n",
        total / 100,
        total % 100
    ));
    ImportInput::from_bytes("wyciag.sta", out.into_bytes(), FormatHint::Mt940, None)
}

async fn lines(f: &Fixture) -> Vec<line::Model> {
    f.all(line::Entity::find().order_by_asc(line::Column::Id))
        .await
}

/// Who is suggested for `line`, with how many assignments, in order.
async fn suggested(f: &Fixture, line: &line::Model) -> Vec<(uuid::Uuid, i32)> {
    suggestions(&f.clerk, line.id)
        .await
        .unwrap()
        .iter()
        .map(|s| (s.party.id, s.assignments))
        .collect()
}

/// A clerk assigns `line` to `party`, some minutes after the last decision.
async fn assign(f: &Fixture, svc: &Statements, line: &line::Model, party: uuid::Uuid) {
    f.advance_minutes(10);
    resolve(
        svc,
        &f.clerk,
        line.id,
        Resolution::Assign {
            party_id: party,
            obligation_id: None,
        },
        "wpłacający znany z poprzednich wpłat",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_payer_a_clerk_recognised_is_suggested_for_the_next_credit_from_the_same_account() {
    let f = Fixture::new("2026-06-20").await;
    let svc = Statements::new(f.finance.clone());
    let spouse = parties::create_party(&f.finance, &f.clerk, person_input("Anna Nowak", 2))
        .await
        .unwrap();

    // Before any clerk's decision, an unidentified credit has nothing to suggest.
    import(&svc, &f.clerk, statement(10, &[(SENDER, 10_000)]))
        .await
        .unwrap();
    let first = lines(&f).await.remove(0);
    assert_eq!(first.status, "unmatched");
    assert!(suggested(&f, &first).await.is_empty());
    assign(&f, &svc, &first, f.party.id).await;
    // Resolved, it waits for nobody: no suggestions either.
    assert!(suggested(&f, &first).await.is_empty());

    // The same account written another way, and a stranger's.
    import(
        &svc,
        &f.clerk,
        statement(
            11,
            &[
                (SENDER_AGAIN, 20_000),
                ("PL27 1140 2004 0000 3002 0135 5387", 5_000),
            ],
        ),
    )
    .await
    .unwrap();
    let all = lines(&f).await;
    let (again, stranger) = (&all[1], &all[2]);
    // Still the clerk's to decide: suggested, not posted.
    assert_eq!(again.status, "unmatched");
    assert_eq!(again.payment_id, None);
    assert_eq!(suggested(&f, again).await, vec![(f.party.id, 1)]);
    assert!(suggested(&f, stranger).await.is_empty());

    // This time the money was the spouse's: both are remembered, the latest first.
    assign(&f, &svc, again, spouse.id).await;
    import(&svc, &f.clerk, statement(12, &[(SENDER, 30_000)]))
        .await
        .unwrap();
    let third = lines(&f).await.remove(3);
    assert_eq!(
        suggested(&f, &third).await,
        vec![(spouse.id, 1), (f.party.id, 1)]
    );
    // A second assignment to the same payer counts, and makes it the latest again.
    assign(&f, &svc, &third, f.party.id).await;
    import(&svc, &f.clerk, statement(13, &[(SENDER, 40_000)]))
        .await
        .unwrap();
    let fourth = lines(&f).await.remove(4);
    assert_eq!(
        suggested(&f, &fourth).await,
        vec![(f.party.id, 2), (spouse.id, 1)]
    );
    f.assert_balanced().await;
}

#[tokio::test]
async fn only_a_finance_clerk_sees_suggestions() {
    let f = Fixture::new("2026-06-20").await;
    let svc = Statements::new(f.finance.clone());
    import(&svc, &f.clerk, statement(10, &[(SENDER, 10_000)]))
        .await
        .unwrap();
    let line = lines(&f).await.remove(0);
    let refused = suggestions(&f.resident(), line.id).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    let missing = suggestions(&f.clerk, uuid::Uuid::now_v7())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}
