//! Posting in batches gives exactly the postings of posting one by one: the same statement file
//! imported one line per chunk (each credit allocated against what the database says) and in
//! chunks of 3 and of 2,000 lines (credits allocated against what the credits before them in
//! the chunk left open, in memory) ends in the same lines, payments, allocations, installments,
//! costs, ledger balances and messages. The file has several credits per party within a chunk
//! and across chunk boundaries, overdue installments (interest), a delivered dunning cost,
//! overpayments, a payer's debit date, a virtual account, an unmatched credit, a debit and
//! repeated lines. Also: `record_many` against `record_in` one by one, and a file failing
//! after chunks were posted leaving nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../payments/tests/support/service_fixture.rs"]
mod fixture;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use fixture::{Fixture, date, m, person_input};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};
use uuid::Uuid;
use wspolnota_core::Money;
use wspolnota_finance::entity::{
    allocation, cost, installment, ledger_entry, ledger_line, party, payment, virtual_account,
};
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::bulk::{Checks, Rows, record_many};
use wspolnota_finance::service::parties;
use wspolnota_finance::service::payments::{Channel, NewPayment, record_in};
use wspolnota_statements::Statements;
use wspolnota_statements::entity::line;
use wspolnota_statements::parse::FormatHint;
use wspolnota_statements::service::import::{ImportInput, ImportSummary, import};
use wspolnota_statements::service::undo::undo;

const ACCOUNT: &str = "PL56102053560000160200076877";

/// One statement line: its TNR (the mBank dedupe key), title, amount in grosze, credit or
/// debit, the payer's debit date and the credited (virtual) account.
#[derive(Clone)]
struct L {
    tnr: u32,
    title: String,
    grosze: i64,
    debit: bool,
    stamp: Option<&'static str>,
    iph: Option<String>,
}

fn credit(tnr: u32, title: impl Into<String>, grosze: i64) -> L {
    L {
        tnr,
        title: title.into(),
        grosze,
        debit: false,
        stamp: None,
        iph: None,
    }
}

fn mt940(lines: &[L], bad_amount_at: Option<usize>) -> Vec<u8> {
    let mut out = format!(":20:ST260610CYC/1\n:25:{ACCOUNT}\n:28C:3/1\n:60F:C260610PLN0,00\n");
    let mut total = 0;
    for (i, l) in lines.iter().enumerate() {
        total += if l.debit { -l.grosze } else { l.grosze };
        let amount = if bad_amount_at == Some(i) {
            "12,3,4".to_owned()
        } else {
            format!("{},{:02}", l.grosze / 100, l.grosze % 100)
        };
        let mark = if l.debit { "DN" } else { "CN" };
        let iph = l
            .iph
            .as_ref()
            .map(|n| format!("ID IPH: {n}; "))
            .unwrap_or_default();
        let stamp = l
            .stamp
            .map(|d| format!("; DATA STEMPLA: {d}"))
            .unwrap_or_default();
        out.push_str(&format!(
            ":61:2606100610{mark}{amount}NTRFNONREF//MB2606100000{i:02}\n\
             :86:911 PRZELEW; {iph}OD: X; TYT.: {}{stamp}; TNR: 5550000000{:05}.000001\n",
            l.title, l.tnr
        ));
    }
    let sign = if total < 0 { "D" } else { "C" };
    out.push_str(&format!(
        ":62F:{sign}260610PLN{},{:02}\n-\n",
        total.abs() / 100,
        total.abs() % 100
    ));
    out.into_bytes()
}

/// Zamość on 10 June 2026: "Osoba 1" owes 4,000 zł of property tax (two installments
/// overdue, so interest) and a 16.60 zł dunning cost delivered in May; "Osoba 2" owes 300 zł;
/// "Osoba 3" owes nothing.
async fn setup() -> (Fixture, [party::Model; 3]) {
    let f = Fixture::new("2026-06-10").await;
    let p2 = parties::create_party(&f.finance, &f.clerk, person_input("Osoba 2", 2))
        .await
        .unwrap();
    let p3 = parties::create_party(&f.finance, &f.clerk, person_input("Osoba 3", 3))
        .await
        .unwrap();
    assess::assess(
        &f.finance,
        &f.clerk,
        NewAssessment {
            party_id: p2.id,
            kind: "property_tax_person".into(),
            year: 2026,
            title: "Podatek od nieruchomości 2026".into(),
            reference: None,
            amount: m("300"),
            installments: None,
            key: None,
        },
    )
    .await
    .unwrap();
    let party_id = f.party.id;
    f.with_tx(async |tx| {
        cost::ActiveModel {
            id: Set(Uuid::new_v4()),
            party_id: Set(party_id),
            description: Set("Koszty upomnienia".into()),
            amount: Set(1660),
            outstanding: Set(1660),
            delivered_on: Set(date("2026-05-20")),
            created_at: Set(date("2026-05-20").and_hms_opt(9, 0, 0).unwrap().and_utc()),
        }
        .insert(tx)
        .await
        .unwrap();
    })
    .await;
    let p1 = f.party.clone();
    (f, [p1, p2, p3])
}

async fn virtual_nrb(f: &Fixture, party: Uuid) -> Option<String> {
    f.all(sea_orm::QueryFilter::filter(
        virtual_account::Entity::find(),
        sea_orm::ColumnTrait::eq(&virtual_account::Column::PartyId, party),
    ))
    .await
    .into_iter()
    .map(|v| v.nrb)
    .next()
}

/// The file: credits for each party before, across and after chunk boundaries (of 3), a
/// repeated line in another chunk and in the same chunk.
fn lines(parties: &[party::Model; 3], iph: Option<String>) -> Vec<L> {
    let [p1, p2, p3] = parties;
    let nr = |p: &party::Model| format!("NR {} podatek", p.number);
    vec![
        credit(1, nr(p1), 50_000),
        credit(2, nr(p2), 5_000),
        credit(3, nr(p1), 80_000),
        credit(4, "darowizna", 1_000),
        L {
            stamp: Some("2026-05-10"),
            ..credit(5, nr(p1), 70_000)
        },
        L {
            debit: true,
            ..credit(6, "opłata bankowa", 2_000)
        },
        credit(7, nr(p3), 12_000),
        credit(2, nr(p2), 5_000),
        credit(9, nr(p2), 40_000),
        L {
            iph,
            ..credit(10, "podatek", 300_000)
        },
        credit(11, nr(p2), 500),
        credit(10, "podatek", 300_000),
    ]
}

/// A statement line: position, status, matched by, party number, amount, posted.
type LineRow = (i32, String, Option<String>, Option<i64>, i64, bool);
/// An allocation: payment key, installment (party number, number), to a cost, principal,
/// interest, costs.
type AllocationRow = (String, Option<(i64, i32)>, bool, i64, i64, i64);
/// Σ debit and Σ credit by account, party number and obligation (its party's number).
type Balances = BTreeMap<(String, Option<i64>, Option<i64>), (i64, i64)>;

/// Everything a posting leaves, with database ids replaced by what is the same across
/// fixtures (party numbers, installment numbers, idempotency keys).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    summary: (u32, u32, u32, u32, u32, u32, Money),
    lines: Vec<LineRow>,
    payments: Vec<(String, i64, i64, NaiveDate, String, i64, String)>,
    allocations: Vec<AllocationRow>,
    installments: Vec<(i64, i32, i64, Option<NaiveDate>)>,
    costs: Vec<(i64, i64)>,
    ledger: Balances,
    entries: usize,
    outbox: i64,
}

async fn snapshot(f: &Fixture, summary: &ImportSummary) -> Snapshot {
    let number: HashMap<Uuid, i64> = f
        .all(party::Entity::find())
        .await
        .into_iter()
        .map(|p| (p.id, p.number))
        .collect();
    let installments = f.all(installment::Entity::find()).await;
    let inst_key: HashMap<Uuid, (i64, i32)> = installments
        .iter()
        .map(|i| (i.id, (number[&i.party_id], i.number)))
        .collect();
    // One obligation per party here: the party's number names it.
    let obligation_of: HashMap<Uuid, i64> = installments
        .iter()
        .map(|i| (i.obligation_id, number[&i.party_id]))
        .collect();
    let payments = f.all(payment::Entity::find()).await;
    let all_lines = f.all(line::Entity::find()).await;
    // A statement's payment is named by its line (its key holds the line's id, new each run).
    let by_line: HashMap<Uuid, String> = all_lines
        .iter()
        .filter_map(|l| Some((l.payment_id?, format!("line {}", l.position))))
        .collect();
    let key_of: HashMap<Uuid, String> = payments
        .iter()
        .map(|p| {
            let key = by_line.get(&p.id).cloned();
            (p.id, key.unwrap_or_else(|| p.idempotency_key.clone()))
        })
        .collect();
    let mut lines: Vec<_> = all_lines
        .into_iter()
        .map(|l| {
            (
                l.position,
                l.status,
                l.matched_by,
                l.party_id.map(|p| number[&p]),
                l.amount,
                l.entry_id.is_some(),
            )
        })
        .collect();
    lines.sort();
    let mut pays: Vec<_> = payments
        .iter()
        .map(|p| {
            (
                key_of[&p.id].clone(),
                number[&p.party_id],
                p.amount,
                p.paid_on,
                p.channel.clone(),
                p.overpayment,
                p.title.clone(),
            )
        })
        .collect();
    pays.sort();
    let mut allocations: Vec<_> = f
        .all(allocation::Entity::find())
        .await
        .into_iter()
        .map(|a| {
            (
                key_of[&a.payment_id].clone(),
                a.installment_id.map(|i| inst_key[&i]),
                a.cost_id.is_some(),
                a.principal,
                a.interest,
                a.costs,
            )
        })
        .collect();
    allocations.sort();
    let mut insts: Vec<_> = installments
        .iter()
        .map(|i| (number[&i.party_id], i.number, i.outstanding, i.paid_on))
        .collect();
    insts.sort();
    let mut costs: Vec<_> = f
        .all(cost::Entity::find())
        .await
        .into_iter()
        .map(|c| (number[&c.party_id], c.outstanding))
        .collect();
    costs.sort();
    let mut ledger = BTreeMap::new();
    for l in f.all(ledger_line::Entity::find()).await {
        let e: &mut (i64, i64) = ledger
            .entry((
                l.account.clone(),
                l.party_id.map(|p| number[&p]),
                l.obligation_id.map(|o| obligation_of[&o]),
            ))
            .or_default();
        e.0 += l.debit;
        e.1 += l.credit;
    }
    let outbox = f
        .with_tx(async |tx| {
            tx.query_one_raw(Statement::from_string(
                tx.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'payment_posted'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        })
        .await;
    Snapshot {
        summary: (
            summary.statements,
            summary.lines,
            summary.matched,
            summary.unmatched,
            summary.debits,
            summary.duplicates,
            summary.total,
        ),
        lines,
        payments: pays,
        allocations,
        installments: insts,
        costs,
        ledger,
        entries: f.all(ledger_entry::Entity::find()).await.len(),
        outbox,
    }
}

async fn import_in_chunks(chunk: usize) -> Snapshot {
    let (f, parties) = setup().await;
    let iph = virtual_nrb(&f, parties[0].id).await;
    let svc = Statements::new(f.finance.clone()).with_chunk_lines(chunk);
    let file = mt940(&lines(&parties, iph), None);
    let summary = import(
        &svc,
        &f.clerk,
        ImportInput::from_bytes("wyciag.sta", file, FormatHint::Mt940, None),
    )
    .await
    .unwrap();
    f.assert_balanced().await;
    snapshot(&f, &summary).await
}

#[tokio::test]
async fn chunks_of_any_size_post_what_one_line_at_a_time_posts() {
    let one_by_one = import_in_chunks(1).await;

    // The file exercises what it claims to.
    let (_, lines, matched, unmatched, debits, duplicates, _) = one_by_one.summary;
    assert_eq!(
        (lines, matched, unmatched, debits, duplicates),
        (10, 8, 1, 1, 2)
    );
    assert!(
        one_by_one.allocations.iter().any(|a| a.4 > 0),
        "some interest is paid"
    );
    assert!(
        one_by_one.allocations.iter().any(|a| a.2 && a.5 == 1660),
        "the dunning cost is paid"
    );
    assert!(
        one_by_one.payments.iter().filter(|p| p.5 > 0).count() >= 3,
        "overpayments become credit balances"
    );
    assert!(
        one_by_one
            .payments
            .iter()
            .any(|p| p.3 == date("2026-05-10")),
        "the payer's debit date is the payment date"
    );
    assert!(
        one_by_one
            .lines
            .iter()
            .any(|l| l.2.as_deref() == Some("virtual_account")),
        "a credit is matched by its virtual account"
    );
    assert_eq!(one_by_one.outbox, 8);

    for chunk in [3, 2_000] {
        let batched = import_in_chunks(chunk).await;
        assert_eq!(batched, one_by_one, "chunks of {chunk} lines");
    }
}

/// The finance batch itself: payments indicating installments or a kind, several per party,
/// one overpaying, a key repeated in the batch and a key posted before the batch.
#[tokio::test]
async fn record_many_posts_what_record_in_posts_one_by_one() {
    async fn run(batch: bool) -> Snapshot {
        let (f, [p1, p2, p3]) = setup().await;
        let inst3 = f.installment(3).await.id;
        let pay = |party: &party::Model, key: &str, amount: &str, on: &str| NewPayment {
            party_id: party.id,
            amount: m(amount),
            paid_on: date(on),
            title: format!("wpłata {key}"),
            installment_ids: Vec::new(),
            indicated_kind: None,
            indicated_obligation: None,
            named_installments: None,
            channel: Channel::Cash,
            idempotency_key: key.into(),
        };
        let before = pay(&p2, "k0", "10", "2026-06-01");
        f.with_tx(async |tx| record_in(&f.finance, &f.clerk, tx, before).await.unwrap())
            .await;
        let inputs = vec![
            NewPayment {
                installment_ids: vec![inst3],
                ..pay(&p1, "k1", "600", "2026-06-09")
            },
            pay(&p1, "k2", "1500", "2026-06-02"),
            NewPayment {
                channel: Channel::Bank,
                indicated_kind: Some("property_tax_person".into()),
                ..pay(&p2, "k3", "100", "2026-06-10")
            },
            pay(&p2, "k0", "10", "2026-06-01"),
            NewPayment {
                installment_ids: vec![inst3],
                ..pay(&p1, "k4", "2000", "2026-06-10")
            },
            pay(&p3, "k5", "33.33", "2026-06-10"),
            pay(&p2, "k3", "100", "2026-06-10"),
            pay(&p2, "k6", "999", "2026-06-10"),
        ];
        let replayed: Vec<bool> = f
            .with_tx(async |tx| {
                if batch {
                    record_many(
                        &f.finance,
                        &f.clerk,
                        tx,
                        inputs,
                        Rows::Built,
                        Checks::Lookup,
                    )
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.replayed)
                    .collect()
                } else {
                    let mut out = Vec::new();
                    for input in inputs {
                        out.push(
                            record_in(&f.finance, &f.clerk, tx, input)
                                .await
                                .unwrap()
                                .replayed,
                        );
                    }
                    out
                }
            })
            .await;
        assert_eq!(
            replayed,
            [false, false, false, true, false, false, true, false]
        );
        f.assert_balanced().await;
        snapshot(&f, &ImportSummary::default()).await
    }
    let one_by_one = run(false).await;
    assert!(one_by_one.allocations.iter().any(|a| a.4 > 0));
    assert!(one_by_one.payments.iter().any(|p| p.5 > 0));
    assert_eq!(run(true).await, one_by_one);
}

/// Undo goes through the import a chunk at a time, the last line first: with chunks of 3 (10
/// lines, 4 chunks) every line ends reversed, the installments, costs and every account's
/// balance are what they were before the import, and the same file imported again posts as
/// the first time.
#[tokio::test]
async fn undoing_in_chunks_restores_the_books_and_releases_every_line() {
    let (f, parties) = setup().await;
    let iph = virtual_nrb(&f, parties[0].id).await;
    let svc = Statements::new(f.finance.clone()).with_chunk_lines(3);
    let file = mt940(&lines(&parties, iph), None);
    let net = |s: &Snapshot| -> BTreeMap<String, i64> {
        s.ledger
            .iter()
            .map(|(k, (d, c))| (format!("{k:?}"), d - c))
            .filter(|(_, v)| *v != 0)
            .collect()
    };
    let before = snapshot(&f, &ImportSummary::default()).await;
    let input = || ImportInput::from_bytes("wyciag.sta", file.clone(), FormatHint::Mt940, None);
    let first = import(&svc, &f.clerk, input()).await.unwrap();
    let posted = snapshot(&f, &first).await;
    assert_ne!(posted.installments, before.installments);

    undo(&svc, &f.clerk, first.id, "zły plik").await.unwrap();
    let undone = snapshot(&f, &ImportSummary::default()).await;
    assert!(
        undone
            .lines
            .iter()
            .all(|l| l.1 == "reversed" || l.1 == "debit"),
        "{:?}",
        undone.lines
    );
    assert_eq!(undone.lines.len(), 10);
    assert_eq!(undone.installments, before.installments);
    assert_eq!(undone.costs, before.costs);
    assert_eq!(net(&undone), net(&before));
    f.assert_balanced().await;

    let again = import(&svc, &f.clerk, input()).await.unwrap();
    assert_eq!(
        (
            again.lines,
            again.matched,
            again.unmatched,
            again.duplicates
        ),
        (
            first.lines,
            first.matched,
            first.unmatched,
            first.duplicates
        )
    );
    let reposted = snapshot(&f, &again).await;
    assert_eq!(reposted.installments, posted.installments);
    assert_eq!(net(&reposted), net(&posted));
}

/// A statement's batch looks nothing up (`Checks::Claimed`: its keys name lines it has just
/// claimed); a key posted before all the same is refused by the unique keys, not posted twice.
#[tokio::test]
async fn a_claimed_batch_repeating_a_posted_key_is_refused() {
    let (f, [p1, _, _]) = setup().await;
    let pay = || NewPayment {
        party_id: p1.id,
        amount: m("10"),
        paid_on: date("2026-06-01"),
        title: "wpłata".into(),
        installment_ids: Vec::new(),
        indicated_kind: None,
        indicated_obligation: None,
        named_installments: None,
        channel: Channel::Bank,
        idempotency_key: "statement:posted-before".into(),
    };
    f.with_tx(async |tx| record_in(&f.finance, &f.clerk, tx, pay()).await.unwrap())
        .await;
    let before = snapshot(&f, &ImportSummary::default()).await;
    let tx = f.tx().await;
    let refused = record_many(
        &f.finance,
        &f.clerk,
        &tx,
        vec![pay()],
        Rows::Built,
        Checks::Claimed,
    )
    .await;
    assert!(refused.is_err(), "a key posted before was posted again");
    tx.rollback().await.unwrap();
    assert_eq!(snapshot(&f, &ImportSummary::default()).await, before);
}

#[tokio::test]
async fn a_file_failing_after_chunks_were_posted_leaves_nothing() {
    let (f, parties) = setup().await;
    let svc = Statements::new(f.finance.clone()).with_chunk_lines(2);
    let before = snapshot(&f, &ImportSummary::default()).await;
    let file = mt940(&lines(&parties, None), Some(8));
    let err = import(
        &svc,
        &f.clerk,
        ImportInput::from_bytes("wyciag.sta", file, FormatHint::Mt940, None),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains(":61:"), "{}", err.message());
    assert_eq!(snapshot(&f, &ImportSummary::default()).await, before);
    assert!(f.all(line::Entity::find()).await.is_empty());
}

/// `[fees]` is parsed once per tenant configuration: the same `Tenant` gets the parsed copy
/// back, a new configuration of the tenant (an update registers a new `Tenant`) is parsed
/// again.
#[tokio::test]
async fn fees_are_parsed_once_per_tenant_configuration() {
    use std::sync::Arc;
    use wspolnota_core::{Actor, Ctx, RequestId, Scope, Tenant, TenantStatus};
    use wspolnota_finance::domain::RatioInterest;

    let f = Fixture::new("2026-06-10").await;
    let first = f.finance.fees_shared(&f.clerk).unwrap();
    assert!(Arc::ptr_eq(
        &first,
        &f.finance.fees_shared(&f.system()).unwrap()
    ));
    assert_eq!(first.interest_ratio, RatioInterest::Rounded);

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tenants/zamosc.toml"
    ))
    .unwrap()
    .replace("interest_ratio = \"rounded\"", "interest_ratio = \"exact\"");
    let config = wspolnota_core::tenant::TenantConfig::from_toml(
        "zamosc.toml",
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    let updated = Arc::new(Tenant::new(config, TenantStatus::Active));
    let ctx = Ctx::new(
        Scope::Tenant(updated),
        Actor::System,
        RequestId::new(),
        f.services(),
    );
    let second = f.finance.fees_shared(&ctx).unwrap();
    assert_eq!(second.interest_ratio, RatioInterest::Exact);
    assert!(Arc::ptr_eq(&second, &f.finance.fees_shared(&ctx).unwrap()));
    assert_eq!(
        f.finance.fees(&ctx).unwrap().interest_ratio,
        RatioInterest::Exact
    );
}
