//! Dunning runs on a real store (SQLite, or PostgreSQL with `DATABASE_URL`): who gets an
//! upomnienie on a day (threshold, grace period, tax-interest kinds only, no repeats), the
//! notice's amounts against finance's account view and by hand, the review → send → delivery
//! flow with its outbox event, the PDF's content, and the cost paid first by the next payment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../payments/tests/support/service_fixture.rs"]
mod fixture;

use fixture::{Fixture, date, m, person_input};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;
use wspolnota_core::{ErrorCode, Money};
use wspolnota_finance::entity::{cost, installment, ledger_line};
use wspolnota_finance::service::account;
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::parties;
use wspolnota_finance::service::payments::{Channel, NewPayment, record_payment};
use wspolnota_notify::dunning::{self, Notice, status};

fn text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"));
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("extractable")
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A second party with one obligation of `kind`.
async fn other_party(
    f: &Fixture,
    name: &str,
    serial: u32,
    kind: &str,
    amount: &str,
    installments: Option<Vec<(chrono::NaiveDate, Money)>>,
) -> Uuid {
    let p = parties::create_party(&f.finance, &f.clerk, person_input(name, serial))
        .await
        .unwrap();
    assess::assess(
        &f.finance,
        &f.clerk,
        NewAssessment {
            party_id: p.id,
            kind: kind.into(),
            year: 2026,
            title: format!("{kind} 2026"),
            reference: None,
            amount: m(amount),
            installments,
            key: None,
        },
    )
    .await
    .unwrap();
    p.id
}

/// Finance's account view of the fixture's party on `as_of`: (installment id → interest).
async fn view_interest(f: &Fixture, as_of: chrono::NaiveDate) -> Vec<(Uuid, Money, Money)> {
    account::load_for_system(&f.finance, &f.system(), f.party.id)
        .await
        .unwrap()
        .obligations(&f.finance, as_of, Some(true))
        .into_iter()
        .flat_map(|o| o.installments)
        .map(|i| (i.id, i.outstanding, i.interest))
        .collect()
}

async fn outbox_dunning(f: &Fixture) -> Vec<String> {
    let tx = f.tx().await;
    let rows = tx
        .query_all_raw(Statement::from_string(
            tx.get_database_backend(),
            "SELECT dedupe_key FROM outbox WHERE kind = 'dunning' ORDER BY dedupe_key",
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "dedupe_key").unwrap())
        .collect()
}

#[tokio::test]
async fn threshold_grace_and_civil_kinds_decide_who_gets_a_notice() {
    let f = Fixture::new("2026-06-10").await;
    // 100 zł of property tax, due in one sum on 16.03: below 10 × 16 zł.
    let small = other_party(&f, "Osoba 2", 2, "property_tax_person", "100", None).await;
    // 5 000 zł of perpetual usufruct due 31.03: civil law, no upomnienie.
    let civil = other_party(&f, "Osoba 3", 3, "perpetual_usufruct", "5000", None).await;

    // 16.03 + 7 days of grace: nothing on 20.03 nor on 23.03 (exactly 7 days).
    for day in ["2026-03-20", "2026-03-23"] {
        let b = dunning::prepare_batch(&f.finance, &f.clerk, date(day))
            .await
            .unwrap();
        assert!(b.notices.is_empty(), "{day}: {:?}", b.notices);
    }
    // On 24.03 the first installment (1 000 zł) is 8 days late: one notice, for Osoba 1 only.
    let b = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-03-24"))
        .await
        .unwrap();
    assert_eq!(b.notices.len(), 1);
    let n = &b.notices[0];
    assert_eq!(n.party_id, f.party.id);
    assert_eq!(n.number, "UP/2026/000001");
    assert_eq!(n.principal, 100_000);
    assert_eq!(n.cost, 1_600);
    let items = dunning::items(n).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].due_date, date("2026-03-16"));
    for other in [small, civil] {
        assert!(b.notices.iter().all(|n| n.party_id != other));
    }

    // In June the small and the civil party are still left out.
    let b = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-06-10"))
        .await
        .unwrap();
    assert!(b.notices.iter().all(|n| n.party_id == f.party.id));
}

#[tokio::test]
async fn hand_computed_notice_review_send_deliver_and_pay() {
    let f = Fixture::new("2026-06-10").await;
    let as_of = date("2026-06-10");
    let batch = dunning::prepare_batch(&f.finance, &f.clerk, as_of)
        .await
        .unwrap();
    assert_eq!(batch.notices.len(), 1);
    let n: Notice = batch.notices[0].clone();
    assert_eq!(n.status, status::PREPARED);
    assert_eq!(n.issue_date, as_of);

    // Installments 1 (due 16.03) and 2 (due 15.05) are overdue by more than 7 days.
    let items = dunning::items(&n).unwrap();
    let inst1 = f.installment(1).await;
    let inst2 = f.installment(2).await;
    assert_eq!(
        items.iter().map(|i| i.installment_id).collect::<Vec<_>>(),
        vec![inst1.id, inst2.id]
    );
    assert_eq!(n.principal, 200_000);
    // By hand: 1 000 zł × 11 % × 86 days (17.03–10.06) / 365 = 25,92 → 26 zł (art. 63 § 1 OP).
    assert_eq!(items[0].interest, 2_600);
    // Every item's interest is finance's own for that day.
    let view = view_interest(&f, as_of).await;
    for i in &items {
        let (_, outstanding, interest) = view.iter().find(|v| v.0 == i.installment_id).unwrap();
        assert_eq!(Money::from_grosze(i.principal), *outstanding);
        assert_eq!(Money::from_grosze(i.interest), *interest);
    }
    let interest: i64 = items.iter().map(|i| i.interest).sum();
    assert_eq!(n.interest, interest);
    assert_eq!(n.total, 200_000 + interest + 1_600);

    // The same installments are not dunned again within 30 days.
    let again = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-06-12"))
        .await
        .unwrap();
    assert!(again.notices.is_empty());

    // The PDF has what the regulation requires.
    let pdf = dunning::batch_pdf(&f.finance, &f.clerk, batch.id)
        .await
        .unwrap();
    let t = text(&pdf);
    let total = Money::from_grosze(n.total).to_polish();
    for needle in [
        "UP/2026/000001",
        total.as_str(),
        "7 dni",
        "16,00 zł",
        "2 000,00 zł",
        "Miasto Zamość",
        "Osoba 1",
    ] {
        assert!(t.contains(needle), "{needle:?} missing in {t}");
    }

    // Review: nothing is sent before approval.
    let err = dunning::send_batch(&f.clerk, batch.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(outbox_dunning(&f).await.is_empty());
    let approved = dunning::approve_batch(&f.clerk, batch.id).await.unwrap();
    assert_eq!(approved[0].status, status::APPROVED);
    let sent = dunning::send_batch(&f.clerk, batch.id).await.unwrap();
    assert_eq!(sent[0].status, status::SENT);
    assert_eq!(outbox_dunning(&f).await, vec![format!("dunning:{}", n.id)]);
    let err = dunning::cancel_notice(&f.clerk, n.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);

    // Delivered on 15.06: the cost is owed, and charged, from that day.
    f.clock.advance(chrono::Duration::days(5));
    let lines_before = f.assert_balanced().await;
    let delivered = dunning::mark_delivered(&f.finance, &f.clerk, n.id, date("2026-06-15"))
        .await
        .unwrap();
    assert_eq!(delivered.status, status::DELIVERED);
    assert_eq!(delivered.delivered_on, Some(date("2026-06-15")));
    let costs = f.all(cost::Entity::find()).await;
    assert_eq!(costs.len(), 1);
    assert_eq!(costs[0].amount, 1_600);
    assert_eq!(costs[0].outstanding, 1_600);
    assert_eq!(costs[0].party_id, f.party.id);
    assert_eq!(costs[0].delivered_on, date("2026-06-15"));
    assert_eq!(delivered.cost_id, Some(costs[0].id));
    // Charged on delivery: one balanced entry, Wn costs receivable / Ma costs revenue.
    assert_eq!(f.assert_balanced().await, lines_before + 2);
    let entry = f.entry_lines(delivered.entry_id.unwrap()).await;
    let shape: Vec<(&str, i64, i64)> = entry
        .iter()
        .map(|l| (l.account.as_str(), l.debit, l.credit))
        .collect();
    assert_eq!(shape, vec![("221-98", 1_600, 0), ("720-91", 0, 1_600)]);
    // Twice: CONFLICT, and still one cost.
    let err = dunning::mark_delivered(&f.finance, &f.clerk, n.id, date("2026-06-15"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(f.all(cost::Entity::find()).await.len(), 1);
    assert_eq!(f.balance().await.costs, m("16"));

    // A payment of principal + interest on the day + 16 zł pays the cost first, then the rest.
    let paid_on = date("2026-06-15");
    let view = view_interest(&f, paid_on).await;
    let owed: Money = view
        .iter()
        .filter(|v| v.0 == inst1.id || v.0 == inst2.id)
        .map(|v| v.1 + v.2)
        .sum();
    let recorded = record_payment(
        &f.finance,
        &f.clerk,
        NewPayment {
            party_id: f.party.id,
            amount: owed + m("16"),
            paid_on,
            title: "UP/2026/000001".into(),
            installment_ids: Vec::new(),
            indicated_kind: None,
            indicated_obligation: None,
            named_installments: None,
            channel: Channel::Cash,
            idempotency_key: "dunning-test-payment".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        recorded
            .allocations
            .iter()
            .filter(|a| a.cost_id == Some(costs[0].id))
            .map(|a| a.costs)
            .sum::<i64>(),
        1_600
    );
    assert_eq!(f.all(cost::Entity::find()).await[0].outstanding, 0);
    for id in [inst1.id, inst2.id] {
        let i = f
            .one(installment::Entity::find().filter(installment::Column::Id.eq(id)))
            .await;
        assert_eq!(i.outstanding, 0, "installment {}", i.number);
    }
    let balance = f.balance().await;
    assert_eq!(balance.costs, Money::ZERO);
    assert_eq!(balance.overdue, Money::ZERO);
    assert_eq!(balance.overpayment, Money::ZERO);
    f.assert_balanced().await;
    // The cost's revenue is booked exactly once.
    let revenue: i64 = f
        .all(ledger_line::Entity::find().filter(ledger_line::Column::Account.eq("720-91")))
        .await
        .iter()
        .map(|l| l.credit - l.debit)
        .sum();
    assert_eq!(revenue, 1_600);
}

#[tokio::test]
async fn cancelled_notice_is_not_sent_and_numbers_continue() {
    let f = Fixture::new("2026-06-10").await;
    let b = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-06-10"))
        .await
        .unwrap();
    let n = &b.notices[0];
    let cancelled = dunning::cancel_notice(&f.clerk, n.id).await.unwrap();
    assert_eq!(cancelled.status, status::CANCELLED);
    // A cancelled notice does not block a new one.
    let b2 = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-06-10"))
        .await
        .unwrap();
    assert_eq!(b2.notices.len(), 1);
    assert_eq!(b2.notices[0].number, "UP/2026/000002");
    let err = dunning::approve_batch(&f.clerk, b.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    // A resident may not run dunning.
    let err = dunning::prepare_batch(&f.finance, &f.resident(), date("2026-06-10"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

#[path = "support/smtp.rs"]
mod smtp;

#[tokio::test]
async fn a_sent_notice_is_emailed_with_its_pdf() {
    use sea_orm::{ActiveModelTrait, Set};
    use std::sync::Arc;
    use wspolnota_finance::entity::{consent, party};
    use wspolnota_notify::Notify;
    use wspolnota_notify::engine::{deliver, plan};

    let server = smtp::SmtpServer::start();
    let f = Fixture::new("2026-06-10").await;
    // Osoba 1 gave an e-mail address and consented to e-mail.
    let db = f.tx().await;
    let mut p: party::ActiveModel = f.party.clone().into();
    p.email = Set(Some("osoba1@zamosc.test".into()));
    p.update(&db).await.unwrap();
    consent::ActiveModel {
        party_id: Set(f.party.id),
        channel: Set("email".into()),
        granted: Set(true),
        at: Set(wspolnota_core::Clock::now(&*f.clock)),
        source: Set("test".into()),
    }
    .insert(&db)
    .await
    .unwrap();
    db.commit().await.unwrap();

    let batch = dunning::prepare_batch(&f.finance, &f.clerk, date("2026-06-10"))
        .await
        .unwrap();
    dunning::approve_batch(&f.clerk, batch.id).await.unwrap();
    dunning::send_batch(&f.clerk, batch.id).await.unwrap();
    let n = &batch.notices[0];

    let url = server.url();
    let notify = Notify::new(
        f.finance.clone(),
        Arc::new(move |k| (k == "SMTP_URL").then(|| url.clone())),
        std::env::temp_dir().join(format!("wsp-dunning-mail-{}", Uuid::new_v4())),
    );
    let ctx = f.system();
    assert!(plan::plan(&notify, &ctx).await.unwrap() >= 1);
    deliver::deliver(&notify, &ctx, 10).await.unwrap();
    let received: Vec<_> = server
        .received()
        .into_iter()
        .map(|r| smtp::parse_eml(&r.path))
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap_or_default()
                .contains("upomnienie")
        })
        .collect();
    assert_eq!(received.len(), 1, "{received:?}");
    let m = &received[0];
    assert!(m["subject"].as_str().unwrap().contains(&n.number), "{m}");
    let pdf = m["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == "application/pdf")
        .unwrap_or_else(|| panic!("no PDF attached: {m}"));
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf["data_b64"].as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let t = text(&bytes);
    assert!(t.contains(&n.number), "{t}");
    assert!(t.contains(&Money::from_grosze(n.total).to_polish()), "{t}");
}

#[tokio::test]
async fn the_threshold_and_grace_period_are_the_tenants() {
    use std::sync::Arc;
    use wspolnota_core::tenant::TenantConfig;
    use wspolnota_core::{Ctx, Tenant, TenantStatus};
    let f = Fixture::new("2026-06-10").await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/zamosc.toml");
    let text = std::fs::read_to_string(path).unwrap().replace(
        "[notifications]\n",
        "[notifications]\ndunning_threshold_multiplier = 5\ndunning_grace_days = 30\n",
    );
    let config = TenantConfig::from_toml(
        "zamosc.toml",
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    let ctx = Ctx::system(
        Arc::new(Tenant::new(config, TenantStatus::Active)),
        f.services(),
    );
    let s = dunning::DunningSettings::of(&ctx).unwrap();
    assert_eq!((s.threshold_multiplier, s.grace_days), (5, 30));
    assert_eq!(
        dunning::DunningSettings::of(&f.clerk).unwrap().grace_days,
        7
    );
}
