//! Ledger invariants on a real store: balanced entries, reversals (storno) that mirror their
//! entry, and — the key property — that after any sequence of parties, assessments,
//! payments, adjustments and reversals every entry balances, the whole journal balances, and
//! each party's receivable accounts (its `221-*` lines) equal the outstanding principal of
//! its installments minus its overpayment credit.
//!
//! Exception for reversals: `ledger::reverse` is a bare journal operation; it does not touch
//! the sub-ledger (installments, obligations, payments). After reversing an entry, a party's
//! `221-*` balance therefore differs from "outstanding − overpayment" by exactly the reversed
//! entries' effect on its receivable accounts (221-01…07; the overpayment account 221-99 is
//! itself read from the ledger, so reversals of it are consistent by construction). The
//! property asserts that exact relation, and the plain one for parties no reversal touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use support::{Fixture, assess, date, m, net, payment, person, record, zamosc_with_person};
use uuid::Uuid;
use wspolnota_core::{Ctx, Money};
use wspolnota_finance::entity::{
    allocation, installment, ledger_entry, ledger_line, obligation, party, payment,
};
use wspolnota_finance::ledger::{self, Posted};
use wspolnota_finance::service::assess::{self, Assessed, NewAssessment};
use wspolnota_finance::service::payments::{self, Channel, NewPayment};

const OVERPAYMENT: &str = "221-99";

/// Property tax 2025 of `amount` by the kind's rule.
async fn assess_simple(f: &Fixture, clerk: &Ctx, party: Uuid, amount: &str) -> Assessed {
    assess(f, clerk, party, "property_tax_person", 2025, amount, None).await
}

fn is_receivable(account: &str) -> bool {
    account.starts_with("221-") && account != OVERPAYMENT
}

/// Everything the invariants read, in one transaction.
struct Snapshot {
    entries: Vec<ledger_entry::Model>,
    lines: Vec<ledger_line::Model>,
    installments: Vec<installment::Model>,
    obligations: Vec<obligation::Model>,
    payments: Vec<payment::Model>,
    allocations: Vec<allocation::Model>,
    parties: Vec<party::Model>,
    /// The service's own figure (payments::overpayment) per party.
    overpayment: HashMap<Uuid, i64>,
}

async fn snapshot(f: &Fixture, clerk: &Ctx) -> Snapshot {
    let fees = f.finance.fees(clerk).unwrap();
    f.with_tx(async |tx| {
        let parties = party::Entity::find().all(tx).await.unwrap();
        let mut overpayment = HashMap::new();
        for p in &parties {
            let o = payments::overpayment(tx, &fees, p.id).await.unwrap();
            overpayment.insert(p.id, o.to_grosze().unwrap());
        }
        Snapshot {
            entries: ledger_entry::Entity::find().all(tx).await.unwrap(),
            lines: ledger_line::Entity::find().all(tx).await.unwrap(),
            installments: installment::Entity::find().all(tx).await.unwrap(),
            obligations: obligation::Entity::find().all(tx).await.unwrap(),
            payments: payment::Entity::find().all(tx).await.unwrap(),
            allocations: allocation::Entity::find().all(tx).await.unwrap(),
            parties,
            overpayment,
        }
    })
    .await
}

/// Checks every invariant; returns a description of the first violation.
fn check(s: &Snapshot, revenue_account: &HashMap<String, String>) -> Result<(), String> {
    // 1. Every entry balances, every line is one-sided and positive.
    let mut by_entry: HashMap<Uuid, Vec<&ledger_line::Model>> = HashMap::new();
    for l in &s.lines {
        by_entry.entry(l.entry_id).or_default().push(l);
        let one_sided = (l.debit > 0 && l.credit == 0) || (l.credit > 0 && l.debit == 0);
        if !one_sided {
            return Err(format!("line {} is not one-sided: {l:?}", l.id));
        }
    }
    for e in &s.entries {
        let lines = by_entry.get(&e.id).map(Vec::as_slice).unwrap_or(&[]);
        if lines.len() < 2 {
            return Err(format!(
                "entry {} has {} lines",
                e.idempotency_key,
                lines.len()
            ));
        }
        let (d, c) = lines
            .iter()
            .fold((0, 0), |(d, c), l| (d + l.debit, c + l.credit));
        if d != c {
            return Err(format!(
                "entry {} debits {d} ≠ credits {c}",
                e.idempotency_key
            ));
        }
    }
    // 2. The journal balances.
    let (d, c) = s
        .lines
        .iter()
        .fold((0i64, 0i64), |(d, c), l| (d + l.debit, c + l.credit));
    if d != c {
        return Err(format!("journal debits {d} ≠ credits {c}"));
    }
    // 3. A reversal mirrors its entry, and no entry is reversed twice.
    let mut reversed: HashSet<Uuid> = HashSet::new();
    for e in s.entries.iter().filter(|e| e.reverses.is_some()) {
        let original = e.reverses.unwrap();
        if !reversed.insert(original) {
            return Err(format!("entry {original} reversed twice"));
        }
        let key = |l: &&ledger_line::Model, swap: bool| {
            let (d, c) = if swap {
                (l.credit, l.debit)
            } else {
                (l.debit, l.credit)
            };
            (l.account.clone(), l.party_id, l.obligation_id, d, c)
        };
        let mut mine: Vec<_> = by_entry[&e.id].iter().map(|l| key(l, false)).collect();
        let mut theirs: Vec<_> = by_entry[&original].iter().map(|l| key(l, true)).collect();
        mine.sort();
        theirs.sort();
        if mine != theirs {
            return Err(format!("reversal {} does not mirror {original}", e.id));
        }
    }
    let is_reversal: HashSet<Uuid> = s
        .entries
        .iter()
        .filter(|e| e.reverses.is_some())
        .map(|e| e.id)
        .collect();

    // 4. Per party: 221-* balance = outstanding principal − overpayment credit
    //    (− the receivable effect of reversed entries, which the sub-ledger never saw).
    for p in &s.parties {
        let mine = |l: &&ledger_line::Model| l.party_id == Some(p.id);
        let balance_221: i64 = s
            .lines
            .iter()
            .filter(mine)
            .filter(|l| l.account.starts_with("221-"))
            .map(|l| l.debit - l.credit)
            .sum();
        let receivable_not_reversals: i64 = s
            .lines
            .iter()
            .filter(mine)
            .filter(|l| is_receivable(&l.account) && !is_reversal.contains(&l.entry_id))
            .map(|l| l.debit - l.credit)
            .sum();
        let reversed_effect: i64 = s
            .lines
            .iter()
            .filter(mine)
            .filter(|l| is_receivable(&l.account) && reversed.contains(&l.entry_id))
            .map(|l| l.debit - l.credit)
            .sum();
        let outstanding: i64 = s
            .installments
            .iter()
            .filter(|i| i.party_id == p.id)
            .map(|i| i.outstanding)
            .sum();
        let overpayment = s.overpayment[&p.id];
        let credit_221_99: i64 = s
            .lines
            .iter()
            .filter(mine)
            .filter(|l| l.account == OVERPAYMENT)
            .map(|l| l.credit - l.debit)
            .sum();
        if credit_221_99 != overpayment {
            return Err(format!(
                "party {}: 221-99 credit {credit_221_99} ≠ overpayment {overpayment}",
                p.number
            ));
        }
        if receivable_not_reversals != outstanding {
            return Err(format!(
                "party {}: receivables without reversals {receivable_not_reversals} ≠ outstanding {outstanding}",
                p.number
            ));
        }
        if balance_221 != outstanding - overpayment - reversed_effect {
            return Err(format!(
                "party {}: 221-* {balance_221} ≠ outstanding {outstanding} − overpayment {overpayment} − reversed {reversed_effect}",
                p.number
            ));
        }
    }

    // 5. Per obligation: installments add up to the amount; the revenue account holds the
    //    amount and the receivable accounts the outstanding principal (reversals aside).
    for o in &s.obligations {
        let insts: Vec<_> = s
            .installments
            .iter()
            .filter(|i| i.obligation_id == o.id)
            .collect();
        let amount: i64 = insts.iter().map(|i| i.amount).sum();
        let outstanding: i64 = insts.iter().map(|i| i.outstanding).sum();
        if amount != o.amount {
            return Err(format!(
                "obligation {}: installments {amount} ≠ amount {}",
                o.title, o.amount
            ));
        }
        for i in &insts {
            if i.outstanding < 0 || i.outstanding > i.amount {
                return Err(format!(
                    "installment {} outstanding {}",
                    i.id, i.outstanding
                ));
            }
            if (i.outstanding == 0) != i.paid_on.is_some() {
                return Err(format!(
                    "installment {}: outstanding {} but paid_on {:?}",
                    i.id, i.outstanding, i.paid_on
                ));
            }
        }
        let of_ob = |l: &&ledger_line::Model| {
            l.obligation_id == Some(o.id) && !is_reversal.contains(&l.entry_id)
        };
        let receivable: i64 = s
            .lines
            .iter()
            .filter(of_ob)
            .filter(|l| is_receivable(&l.account))
            .map(|l| l.debit - l.credit)
            .sum();
        if receivable != outstanding {
            return Err(format!(
                "obligation {}: receivable {receivable} ≠ outstanding {outstanding}",
                o.title
            ));
        }
        let revenue_account = &revenue_account[&o.kind_code];
        let revenue: i64 = s
            .lines
            .iter()
            .filter(of_ob)
            .filter(|l| &l.account == revenue_account)
            .map(|l| l.credit - l.debit)
            .sum();
        if revenue != o.amount {
            return Err(format!(
                "obligation {}: revenue {revenue} ≠ amount {}",
                o.title, o.amount
            ));
        }
    }

    // 6. Per payment: allocations + overpayment = amount; its entry debits the amount.
    for pay in &s.payments {
        let allocated: i64 = s
            .allocations
            .iter()
            .filter(|a| a.payment_id == pay.id)
            .map(|a| a.principal + a.interest + a.costs)
            .sum();
        if allocated + pay.overpayment != pay.amount {
            return Err(format!(
                "payment {}: allocated {allocated} + over {} ≠ {}",
                pay.idempotency_key, pay.overpayment, pay.amount
            ));
        }
        let entry = s.entries.iter().find(|e| e.id == pay.entry_id);
        if entry.map(|e| e.idempotency_key.clone())
            != Some(format!("payment:{}", pay.idempotency_key))
        {
            return Err(format!("payment {}: wrong entry", pay.idempotency_key));
        }
    }
    Ok(())
}

fn revenue_accounts(f: &Fixture, clerk: &Ctx) -> HashMap<String, String> {
    f.finance
        .fees(clerk)
        .unwrap()
        .kinds
        .iter()
        .map(|k| (k.code.clone(), k.revenue_account.clone()))
        .collect()
}

async fn reverse(f: &Fixture, clerk: &Ctx, entry: Uuid, on: NaiveDate) -> Posted {
    f.with_tx(async |tx| {
        ledger::reverse(tx, clerk, entry, on, "storno testowe")
            .await
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn reversal_mirrors_the_entry_and_is_idempotent() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess_simple(&f, &clerk, p.id, "1000").await;
    let s = snapshot(&f, &clerk).await;
    assert_eq!(s.entries.len(), 1);
    let original = s.entries[0].id;
    let first = reverse(&f, &clerk, original, date("2025-01-10")).await;
    assert!(matches!(first, Posted::New(_)));
    // Same entry again: the same storno, nothing new posted.
    let again = reverse(&f, &clerk, original, date("2025-01-11")).await;
    assert_eq!(again, Posted::Replayed(first.id()));
    let s = snapshot(&f, &clerk).await;
    assert_eq!(s.entries.len(), 2);
    let storno = s.entries.iter().find(|e| e.id == first.id()).unwrap();
    assert_eq!(storno.reverses, Some(original));
    // Wn 221-01 1,000 / Ma 720-01 1,000 mirrored: Wn 720-01 / Ma 221-01.
    let mut lines: Vec<_> = s
        .lines
        .iter()
        .filter(|l| l.entry_id == storno.id)
        .map(|l| (l.account.as_str(), l.debit, l.credit))
        .collect();
    lines.sort();
    assert_eq!(lines, vec![("221-01", 0, 100_000), ("720-01", 100_000, 0)]);
    // The structural invariants (balanced entries and journal, mirrored storno) hold.
    assert_eq!(check(&s, &revenue_accounts(&f, &clerk)), Ok(()));
}

#[tokio::test]
async fn reversal_changes_the_ledger_but_not_the_installments() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess_simple(&f, &clerk, p.id, "1000").await;
    f.set_today("2025-03-10");
    let paid = record(&f, &clerk, payment(p.id, "300", "2025-03-10", "k1")).await;
    reverse(&f, &clerk, paid.payment.entry_id, date("2025-03-11")).await;
    let s = snapshot(&f, &clerk).await;
    // Ledger: 1,000 assessed, 300 paid, 300 reversed → 221-01 stands at 1,000 again. The
    // installments still say 700 outstanding (250 + 50 paid): the storno is not a
    // correction of the payment, it only touches the journal.
    let balance = net(&s.lines, "221-01");
    let outstanding: i64 = s.installments.iter().map(|i| i.outstanding).sum();
    assert_eq!((balance, outstanding), (100_000, 70_000));
    // Which is exactly the relation the property test allows for: 221-* = outstanding
    // − overpayment − reversed effect (−300).
    assert_eq!(check(&s, &revenue_accounts(&f, &clerk)), Ok(()));
}

#[tokio::test]
async fn two_adjustments_at_the_same_instant_both_post() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let a = assess_simple(&f, &clerk, p.id, "1000").await;
    // Two changes within the same clock reading (a fixed clock, or two requests at once):
    // 1,000 → 1,200 → 1,500 must post +200 and +300.
    assess::adjust(&f.finance, &clerk, a.obligation.id, m("1200"), "pierwsza")
        .await
        .unwrap();
    assess::adjust(&f.finance, &clerk, a.obligation.id, m("1500"), "druga")
        .await
        .unwrap();
    let s = snapshot(&f, &clerk).await;
    assert_eq!(net(&s.lines, "221-01"), 150_000);
    assert_eq!(check(&s, &revenue_accounts(&f, &clerk)), Ok(()));
}

#[tokio::test]
async fn two_offsets_at_the_same_instant_both_apply() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    // 500 paid with nothing owed: all of it is credit.
    let advance = NewPayment {
        title: "zaliczka".into(),
        ..payment(p.id, "500", "2025-01-10", "k1")
    };
    record(&f, &clerk, advance).await;
    // Two assessments in the same instant, each offset against the credit (art. 76):
    // 100 (single payment) → credit 400; transport 200 (100 + 100) → credit 200.
    assess_simple(&f, &clerk, p.id, "100").await;
    assess(&f, &clerk, p.id, "transport_tax", 2025, "200", None).await;
    let s = snapshot(&f, &clerk).await;
    let outstanding: i64 = s.installments.iter().map(|i| i.outstanding).sum();
    assert_eq!((outstanding, s.overpayment[&p.id]), (0, 20_000));
    assert_eq!(check(&s, &revenue_accounts(&f, &clerk)), Ok(()));
}

// ---------------------------------------------------------------------------------------
// The property.
// ---------------------------------------------------------------------------------------

const KINDS: [&str; 7] = [
    "property_tax_person",
    "property_tax_organisation",
    "transport_tax",
    "perpetual_usufruct",
    "waste_fee",
    "lease",
    "other_fee",
];

#[derive(Debug, Clone)]
enum Op {
    Party,
    Assess {
        party: usize,
        kind: usize,
        year: i32,
        grosze: i64,
        parts: usize,
        /// 0–2: an import key from a pool of three (so keys repeat); otherwise none.
        import: u8,
    },
    Pay {
        party: usize,
        grosze: i64,
        days_back: u64,
        /// 0 none, 1 a kind, 2 an installment, 3 none, 4 a retry of the previous payment.
        indicate: u8,
    },
    Adjust {
        obligation: usize,
        percent: i64,
    },
    Reverse {
        entry: usize,
    },
    Advance {
        days: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Party),
        4 => (0..8usize, 0..KINDS.len(), 2024..=2026i32, 100..=1_500_000i64, 1..=3usize, 0..8u8)
            .prop_map(|(party, kind, year, grosze, parts, import)| Op::Assess { party, kind, year, grosze, parts, import }),
        4 => (0..8usize, 1..=600_000i64, 0..60u64, 0..5u8)
            .prop_map(|(party, grosze, days_back, indicate)| Op::Pay { party, grosze, days_back, indicate }),
        2 => (0..16usize, 0..=200i64).prop_map(|(obligation, percent)| Op::Adjust { obligation, percent }),
        1 => (0..64usize).prop_map(|entry| Op::Reverse { entry }),
        2 => (1..=120u64).prop_map(|days| Op::Advance { days }),
    ]
}

/// Explicit installments for `lease`/`other_fee`: `parts` near-equal parts on the 10th of
/// March, June and September of `year` (the last takes the rest).
fn explicit(year: i32, grosze: i64, parts: usize) -> Vec<(NaiveDate, Money)> {
    let n = i64::try_from(parts).unwrap();
    let base = grosze / n;
    (0..parts)
        .map(|i| {
            let month = 3 + 3 * u32::try_from(i).unwrap();
            let amount = if i + 1 == parts {
                grosze - base * (n - 1)
            } else {
                base
            };
            (
                NaiveDate::from_ymd_opt(year, month, 10).unwrap(),
                Money::from_grosze(amount),
            )
        })
        .filter(|(_, a)| a.is_positive())
        .collect()
}

async fn run(ops: Vec<Op>) -> Result<(), String> {
    let f = Fixture::new("zamosc", "2024-01-15").await;
    let clerk = f.clerk();
    let revenue = revenue_accounts(&f, &clerk);
    let mut today = date("2024-01-15");
    let mut party_ids: Vec<Uuid> = vec![person(&f, &clerk, 1).await.id];
    let mut obligations: Vec<Uuid> = Vec::new();
    let mut key = 0u32;
    for (step, op) in ops.into_iter().enumerate() {
        let context = format!("step {step}: {op:?}");
        match op {
            Op::Party => {
                let serial = u32::try_from(party_ids.len()).unwrap() + 1;
                party_ids.push(person(&f, &clerk, serial).await.id);
            }
            Op::Assess {
                party,
                kind,
                year,
                grosze,
                parts,
                import,
            } => {
                let kind = KINDS[kind];
                let installments = matches!(kind, "lease" | "other_fee")
                    .then(|| explicit(year, grosze, parts.min(usize::try_from(grosze).unwrap())));
                let a = assess::assess(
                    &f.finance,
                    &clerk,
                    NewAssessment {
                        party_id: party_ids[party % party_ids.len()],
                        kind: kind.into(),
                        year,
                        title: format!("op {step}"),
                        reference: None,
                        amount: Money::from_grosze(grosze),
                        installments,
                        key: (import < 3).then(|| format!("import:row{import}")),
                    },
                )
                .await
                .map_err(|e| format!("{context}: {e:?}"))?;
                // A repeated import key returns the obligation assessed under it.
                if !obligations.contains(&a.obligation.id) {
                    obligations.push(a.obligation.id);
                }
            }
            Op::Pay {
                party,
                grosze,
                days_back,
                indicate,
            } => {
                let party_id = party_ids[party % party_ids.len()];
                let paid_on = today
                    .checked_sub_days(Days::new(days_back))
                    .unwrap()
                    .max(date("2024-01-01"));
                let (installment_ids, indicated_kind) = match indicate {
                    1 => (
                        vec![],
                        Some(KINDS[usize::try_from(grosze).unwrap() % KINDS.len()].to_owned()),
                    ),
                    2 => {
                        let open = f
                            .all(
                                installment::Entity::find()
                                    .filter(installment::Column::PartyId.eq(party_id))
                                    .filter(installment::Column::Outstanding.gt(0)),
                            )
                            .await;
                        (open.last().map(|i| vec![i.id]).unwrap_or_default(), None)
                    }
                    _ => (vec![], None),
                };
                let retry = indicate == 4 && key > 0;
                if !retry {
                    key += 1;
                }
                let recorded = payments::record_payment(
                    &f.finance,
                    &clerk,
                    NewPayment {
                        party_id,
                        amount: Money::from_grosze(grosze),
                        paid_on,
                        title: format!("op {step}"),
                        installment_ids,
                        indicated_kind,
                        indicated_obligation: None,
                        named_installments: None,
                        channel: if key.is_multiple_of(2) {
                            Channel::Bank
                        } else {
                            Channel::Cash
                        },
                        idempotency_key: format!("pay-{key}"),
                    },
                )
                .await
                .map_err(|e| format!("{context}: {e:?}"))?;
                if recorded.replayed != retry {
                    return Err(format!("{context}: replayed = {}", recorded.replayed));
                }
            }
            Op::Adjust {
                obligation,
                percent,
            } => {
                if obligations.is_empty() {
                    continue;
                }
                let id = obligations[obligation % obligations.len()];
                let ob = f.one(obligation::Entity::find_by_id(id)).await;
                let new_amount = Money::from_grosze(ob.amount * percent / 100);
                assess::adjust(&f.finance, &clerk, id, new_amount, &format!("op {step}"))
                    .await
                    .map_err(|e| format!("{context}: {e:?}"))?;
            }
            Op::Reverse { entry } => {
                let s = snapshot(&f, &clerk).await;
                let reversed: HashSet<Uuid> = s.entries.iter().filter_map(|e| e.reverses).collect();
                let mut candidates: Vec<&ledger_entry::Model> = s
                    .entries
                    .iter()
                    .filter(|e| e.reverses.is_none() && !reversed.contains(&e.id))
                    .collect();
                candidates.sort_by_key(|e| e.id);
                if candidates.is_empty() {
                    continue;
                }
                let target = candidates[entry % candidates.len()].id;
                reverse(&f, &clerk, target, today).await;
            }
            Op::Advance { days } => {
                today = today.checked_add_days(Days::new(days)).unwrap();
                f.set_today(&today.to_string());
            }
        }
        // Invariants after every step, so a failure points at the operation that broke them.
        let s = snapshot(&f, &clerk).await;
        check(&s, &revenue).map_err(|e| format!("after {context}: {e}"))?;
    }
    Ok(())
}

/// 12 cases on SQLite; 6 on PostgreSQL, where every case creates and drops a database
/// (1.5–3 s each on a busy machine). `FINANCE_LEDGER_CASES=n` overrides both, e.g. for a
/// longer hunt (300 cases pass on SQLite in about a minute).
fn cases() -> u32 {
    let postgres = std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty());
    std::env::var("FINANCE_LEDGER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if postgres { 6 } else { 12 })
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        max_shrink_iters: 40,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    /// Random operations on one tenant (SQLite, or PostgreSQL with DATABASE_URL): after each
    /// one, entries and journal balance and each party's 221-* balance equals its outstanding
    /// principal minus its overpayment credit (reversals: see the module docs).
    #[test]
    fn ledger_and_sub_ledger_agree_under_random_operations(ops in proptest::collection::vec(op(), 6..28)) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = rt.block_on(run(ops));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
