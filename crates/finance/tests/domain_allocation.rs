//! Payment allocation (art. 55 § 2, art. 62 OP), hand-computed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use wspolnota_core::Money;
use wspolnota_finance::domain::{
    Allocation, AllocationError, Indication, InstallmentAllocation, InterestError, InterestRegime,
    OpenCost, OpenInstallment, RatioInterest, allocate,
};
use wspolnota_finance::rules::NationalRules;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn inst(
    key: &'static str,
    kind: &str,
    due: &str,
    principal: &str,
) -> OpenInstallment<&'static str> {
    OpenInstallment {
        key,
        kind: kind.to_owned(),
        due_date: d(due),
        principal: m(principal),
        regime: InterestRegime::Tax,
    }
}

fn cost(key: &'static str, amount: &str) -> OpenCost<&'static str> {
    OpenCost {
        key,
        amount: m(amount),
    }
}

fn alloc(
    payment: &str,
    paid_on: &str,
    installments: &[OpenInstallment<&'static str>],
    costs: &[OpenCost<&'static str>],
    indication: Indication<&'static str>,
    ratio: RatioInterest,
) -> Allocation<&'static str> {
    let rules = NationalRules::embedded().unwrap();
    let a = allocate(
        &rules,
        m(payment),
        d(paid_on),
        installments,
        costs,
        &indication,
        ratio,
    )
    .unwrap();
    assert_eq!(a.total(), m(payment));
    a
}

/// (key, principal, interest) of each allocated instalment.
fn parts(a: &Allocation<&'static str>) -> Vec<(&'static str, Money, Money)> {
    a.installments
        .iter()
        .map(|i| (i.key, i.principal, i.interest))
        .collect()
}

/// Paid on 2025-04-10, no interest is owed anywhere: B is 24 days late,
/// 200 × 14.5% × 24 / 365 = 1.91 → 2 zł ≤ 8.70; A 10 days, 0.40 → 0.
fn book() -> Vec<OpenInstallment<&'static str>> {
    vec![
        inst("C", "property", "2025-05-15", "200.00"), // current
        inst("A", "waste", "2025-03-31", "100.00"),    // arrear
        inst("D", "waste", "2025-04-15", "80.00"),     // current
        inst("B", "property", "2025-03-17", "200.00"), // oldest arrear
    ]
}

const PAID: &str = "2025-04-10";

#[test]
fn dunning_costs_come_first() {
    let costs = [cost("K1", "16.00"), cost("K2", "11.60")];
    let a = alloc(
        "20.00",
        PAID,
        &book(),
        &costs,
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(a.costs, vec![("K1", m("16")), ("K2", m("4"))]);
    assert!(a.installments.is_empty());
    // Even before an indicated instalment (art. 62 § 1a).
    let a = alloc(
        "100.00",
        PAID,
        &book(),
        &costs,
        Indication::Installments(vec!["C"]),
        RatioInterest::Rounded,
    );
    assert_eq!(a.costs, vec![("K1", m("16")), ("K2", m("11.60"))]);
    assert_eq!(parts(&a), vec![("C", m("72.40"), Money::ZERO)]);
}

#[test]
fn oldest_first_across_kinds() {
    // B (17.03) 200, A (31.03) 100, then current D (15.04) 50 of 80.
    let a = alloc(
        "350.00",
        PAID,
        &book(),
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![
            ("B", m("200"), Money::ZERO),
            ("A", m("100"), Money::ZERO),
            ("D", m("50"), Money::ZERO)
        ]
    );
    assert_eq!(a.overpayment, Money::ZERO);
    assert!(a.costs.is_empty());
}

#[test]
fn indicated_installment_before_an_older_arrear() {
    // C is indicated: 200, then the rest by the general rule: the oldest arrear B.
    let a = alloc(
        "250.00",
        PAID,
        &book(),
        &[],
        Indication::Installments(vec!["C"]),
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![("C", m("200"), Money::ZERO), ("B", m("50"), Money::ZERO)]
    );
    // Several indicated: oldest due first among them (A before C).
    let a = alloc(
        "250.00",
        PAID,
        &book(),
        &[],
        Indication::Installments(vec!["C", "A", "C"]),
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![("A", m("100"), Money::ZERO), ("C", m("150"), Money::ZERO)]
    );
}

#[test]
fn kind_indication() {
    // Paid into the waste fee's account: A (arrear) then D (current), then the rest
    // goes on by the general rule to B.
    let a = alloc(
        "150.00",
        PAID,
        &book(),
        &[],
        Indication::Kind("waste".into()),
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![("A", m("100"), Money::ZERO), ("D", m("50"), Money::ZERO)]
    );
    let a = alloc(
        "300.00",
        PAID,
        &book(),
        &[],
        Indication::Kind("waste".into()),
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![
            ("A", m("100"), Money::ZERO),
            ("D", m("80"), Money::ZERO),
            ("B", m("120"), Money::ZERO)
        ]
    );
    // A kind with nothing open: the general rule.
    let a = alloc(
        "10.00",
        PAID,
        &book(),
        &[],
        Indication::Kind("dog_fee".into()),
        RatioInterest::Rounded,
    );
    assert_eq!(parts(&a), vec![("B", m("10"), Money::ZERO)]);
}

#[test]
fn overpayment_when_everything_is_paid() {
    // 200 + 100 + 80 + 200 = 580; costs 16 → 596; 1,000 − 596 = 404.
    let a = alloc(
        "1000.00",
        PAID,
        &book(),
        &[cost("K", "16")],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(a.installments.len(), 4);
    assert_eq!(a.overpayment, m("404"));
    // Nothing open at all.
    let a = alloc(
        "5.00",
        PAID,
        &[],
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(a.overpayment, m("5"));
}

/// DOMAIN §2.4: 1,000.00 due 2025-03-15; on 2025-05-15 the interest is 24 zł
/// (exact 24.0137, see the interest tests).
fn arrear() -> Vec<OpenInstallment<&'static str>> {
    vec![inst("X", "property", "2025-03-15", "1000.00")]
}

#[test]
fn proportional_split_rounded_ratio() {
    // 500 × 1000 / 1024 = 488.28125 → 488.28; interest 500 − 488.28 = 11.72.
    let a = alloc(
        "500.00",
        "2025-05-15",
        &arrear(),
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(
        a.installments,
        vec![InstallmentAllocation {
            key: "X",
            principal: m("488.28"),
            interest: m("11.72"),
            interest_due: m("24"),
        }]
    );
}

#[test]
fn proportional_split_exact_ratio() {
    // 500 × 1000 / 1024.0137… = 488.2747… → 488.27; interest 11.73.
    let a = alloc(
        "500.00",
        "2025-05-15",
        &arrear(),
        &[],
        Indication::None,
        RatioInterest::Exact,
    );
    assert_eq!(parts(&a), vec![("X", m("488.27"), m("11.73"))]);
    assert_eq!(a.installments[0].interest_due, m("24"));
}

#[test]
fn payment_exactly_principal_plus_interest() {
    let a = alloc(
        "1024.00",
        "2025-05-15",
        &arrear(),
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(parts(&a), vec![("X", m("1000"), m("24"))]);
    assert_eq!(a.overpayment, Money::ZERO);
    let a = alloc(
        "1024.01",
        "2025-05-15",
        &arrear(),
        &[],
        Indication::None,
        RatioInterest::Exact,
    );
    assert_eq!(parts(&a), vec![("X", m("1000"), m("24"))]);
    assert_eq!(a.overpayment, m("0.01"));
    // One grosz short: 1023.99 × 1000 / 1024 = 999.990… → 999.99, interest 24.00.
    let a = alloc(
        "1023.99",
        "2025-05-15",
        &arrear(),
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(parts(&a), vec![("X", m("999.99"), m("24"))]);
}

#[test]
fn costs_then_proportional_split() {
    // 516 − 16 (cost) = 500 → 488.28 / 11.72 as above.
    let a = alloc(
        "516.00",
        "2025-05-15",
        &arrear(),
        &[cost("K", "16")],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(a.costs, vec![("K", m("16"))]);
    assert_eq!(parts(&a), vec![("X", m("488.28"), m("11.72"))]);
}

#[test]
fn next_payment_after_a_partial_one() {
    // After 488.28 of principal was paid on 15.05, 511.72 stays due from 15.03.
    // Interest on it to 15.05: 511.72 × (14.5 × 53 + 13.5 × 8) / 36500
    // = 511.72 × 876.5 / 36500 = 12.2881… → 12 (11.72 + 12 = 23.72 ≈ the original 24).
    let rest = vec![inst("X", "property", "2025-03-15", "511.72")];
    let a = alloc(
        "600.00",
        "2025-05-15",
        &rest,
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(parts(&a), vec![("X", m("511.72"), m("12"))]);
    assert_eq!(a.overpayment, m("76.28"));
}

#[test]
fn interest_below_threshold_goes_to_principal() {
    // 100.00, 14 days (6 at 14.5%, 8 at 13.5%): 100 × 195 / 36500 = 0.53 → 1 zł ≤ 8.70 → none.
    let v = vec![inst("S", "waste", "2025-05-01", "100.00")];
    let a = alloc(
        "60.00",
        "2025-05-15",
        &v,
        &[],
        Indication::None,
        RatioInterest::Exact,
    );
    assert_eq!(a.installments[0].principal, m("60"));
    assert_eq!(a.installments[0].interest, Money::ZERO);
    assert_eq!(a.installments[0].interest_due, Money::ZERO);
    // Regime None: never interest.
    let mut v = arrear();
    v[0].regime = InterestRegime::None;
    let a = alloc(
        "500.00",
        "2025-05-15",
        &v,
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(parts(&a), vec![("X", m("500"), Money::ZERO)]);
}

#[test]
fn civil_regime_split() {
    // 5,000.00 due 2025-04-30, paid 2025-05-31: civil interest 46.13 (exact 46.1301…).
    // 1,000 × 5000 / 5046.13 = 990.8584… → 990.86, interest 9.14; the exact ratio gives
    // 1,000 × 5000 / 5046.1301… = 990.8584… → the same.
    let mut v = vec![inst("U", "usufruct", "2025-04-30", "5000.00")];
    v[0].regime = InterestRegime::Civil;
    for ratio in [RatioInterest::Rounded, RatioInterest::Exact] {
        let a = alloc("1000.00", "2025-05-31", &v, &[], Indication::None, ratio);
        assert_eq!(
            a.installments,
            vec![InstallmentAllocation {
                key: "U",
                principal: m("990.86"),
                interest: m("9.14"),
                interest_due: m("46.13"),
            }]
        );
    }
}

#[test]
fn two_arrears_first_full_second_proportional() {
    // Paid 2025-05-15. X: 1,000 + 24 interest. Y: 2,000.00 due 2025-03-31:
    //   01.04–07.05 37 d × 14.5% = 2000 × 14.5 × 37 / 36500 = 29.3972…
    //   08.05–15.05  8 d × 13.5% = 2000 × 13.5 ×  8 / 36500 =  5.9178…
    //   sum 35.3150… → 35 zł.
    // Payment 1,500: X takes 1,024; 476 left for Y:
    //   rounded ratio: 476 × 2000 / 2035 = 467.8132… → 467.81, interest 8.19;
    //   exact ratio:   476 × 2000 / 2035.3150… = 467.7424… → 467.74, interest 8.26.
    let v = vec![
        inst("Y", "waste", "2025-03-31", "2000.00"),
        inst("X", "property", "2025-03-15", "1000.00"),
    ];
    let a = alloc(
        "1500.00",
        "2025-05-15",
        &v,
        &[],
        Indication::None,
        RatioInterest::Rounded,
    );
    assert_eq!(
        parts(&a),
        vec![("X", m("1000"), m("24")), ("Y", m("467.81"), m("8.19"))]
    );
    assert_eq!(a.installments[1].interest_due, m("35"));
    let a = alloc(
        "1500.00",
        "2025-05-15",
        &v,
        &[],
        Indication::None,
        RatioInterest::Exact,
    );
    assert_eq!(
        parts(&a),
        vec![("X", m("1000"), m("24")), ("Y", m("467.74"), m("8.26"))]
    );
}

#[test]
fn errors() {
    let rules = NationalRules::embedded().unwrap();
    let run = |payment: &str,
               v: &[OpenInstallment<&'static str>],
               c: &[OpenCost<&'static str>],
               ind: Indication<&'static str>| {
        allocate(
            &rules,
            m(payment),
            d(PAID),
            v,
            c,
            &ind,
            RatioInterest::Rounded,
        )
    };
    assert_eq!(
        run("0", &book(), &[], Indication::None),
        Err(AllocationError::NotPositive {
            payment: Money::ZERO
        })
    );
    assert!(matches!(
        run("-1", &book(), &[], Indication::None),
        Err(AllocationError::NotPositive { .. })
    ));
    assert_eq!(
        run("10", &book(), &[], Indication::Installments(vec!["C", "Z"])),
        Err(AllocationError::UnknownIndicated { position: 1 })
    );
    let mut dup = book();
    dup.push(inst("A", "waste", "2025-01-01", "1"));
    assert_eq!(
        run("10", &dup, &[], Indication::None),
        Err(AllocationError::DuplicateKey { index: 4, other: 1 })
    );
    let mut neg = book();
    neg[2].principal = m("-1");
    assert!(matches!(
        run("10", &neg, &[], Indication::None),
        Err(AllocationError::NegativePrincipal { index: 2, .. })
    ));
    assert!(matches!(
        run("10", &book(), &[cost("K", "-1")], Indication::None),
        Err(AllocationError::NegativeCost { index: 0, .. })
    ));
    // An arrear older than the configured interest tables.
    let old = vec![inst("O", "property", "2015-03-15", "1000")];
    let e = run("10", &old, &[], Indication::None).unwrap_err();
    assert!(
        matches!(
            e,
            AllocationError::Interest {
                index: 0,
                source: InterestError::NoRate { .. }
            }
        ),
        "{e}"
    );
}

const KINDS: [&str; 3] = ["a", "b", "c"];
const REGIMES: [InterestRegime; 4] = [
    InterestRegime::Tax,
    InterestRegime::TaxReduced,
    InterestRegime::Civil,
    InterestRegime::None,
];

fn day(offset: u64) -> NaiveDate {
    d("2024-01-01") + chrono::Days::new(offset)
}

proptest! {
    #[test]
    fn allocation_is_exact_and_never_overpays_an_item(
        items in proptest::collection::vec((0usize..3, 0u64..800, 0i64..5_000_000, 0usize..4), 0..7),
        cost_amounts in proptest::collection::vec(0i64..5_000, 0..3),
        payment in 1i64..20_000_000,
        paid in 0u64..800,
        indication_kind in 0usize..3,
        indicated in proptest::collection::vec(0usize..7, 0..4),
        kind in 0usize..3,
        exact in any::<bool>(),
    ) {
        let rules = NationalRules::embedded().unwrap();
        let open: Vec<OpenInstallment<usize>> = items
            .iter()
            .enumerate()
            .map(|(key, (k, due, principal, regime))| OpenInstallment {
                key,
                kind: KINDS[*k].to_owned(),
                due_date: day(*due),
                principal: Money::from_grosze(*principal),
                regime: REGIMES[*regime],
            })
            .collect();
        let costs: Vec<OpenCost<usize>> = cost_amounts
            .iter()
            .enumerate()
            .map(|(key, g)| OpenCost { key: 100 + key, amount: Money::from_grosze(*g) })
            .collect();
        let indication = match indication_kind {
            0 => Indication::None,
            1 => Indication::Installments(indicated.into_iter().filter(|i| *i < open.len()).collect()),
            _ => Indication::Kind(KINDS[kind].to_owned()),
        };
        let ratio = if exact { RatioInterest::Exact } else { RatioInterest::Rounded };
        let payment = Money::from_grosze(payment);
        let a = allocate(&rules, payment, day(paid), &open, &costs, &indication, ratio).unwrap();

        prop_assert_eq!(a.total(), payment);
        prop_assert!(a.overpayment >= Money::ZERO);
        for (key, part) in &a.costs {
            let c = costs.iter().find(|c| c.key == *key).unwrap();
            prop_assert!(*part > Money::ZERO && *part <= c.amount);
        }
        for ia in &a.installments {
            let i = &open[ia.key];
            prop_assert!(ia.principal >= Money::ZERO);
            prop_assert!(ia.interest >= Money::ZERO);
            prop_assert!(ia.principal <= i.principal);
            prop_assert!(ia.interest <= ia.interest_due);
            prop_assert_eq!(a.installments.iter().filter(|x| x.key == ia.key).count(), 1);
        }
        // An overpayment only once everything is paid.
        if a.overpayment.is_positive() {
            prop_assert_eq!(a.costs.iter().map(|c| c.1).sum::<Money>(), costs.iter().map(|c| c.amount).sum::<Money>());
            for i in open.iter().filter(|i| i.principal.is_positive()) {
                let ia = a.installments.iter().find(|x| x.key == i.key).unwrap();
                prop_assert_eq!(ia.principal, i.principal);
                prop_assert_eq!(ia.interest, ia.interest_due);
            }
        }
    }
}
