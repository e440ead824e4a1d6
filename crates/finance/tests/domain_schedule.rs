//! Instalment schedules against hand-checked 2024–2026 calendars.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;
use wspolnota_core::Money;
use wspolnota_finance::domain::{
    Calendar, Installment, MonthDay, Remainder, ScheduleError, ScheduleRule, round_tax, split,
};
use wspolnota_finance::rules::NationalRules;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn md(s: &str) -> MonthDay {
    s.parse().unwrap()
}

fn rules() -> NationalRules {
    NationalRules::embedded().unwrap()
}

/// Property, agricultural and forest tax of natural persons (art. 6 ust. 7 upol).
fn property_tax() -> ScheduleRule {
    ScheduleRule::FixedDates {
        dates: ["03-15", "05-15", "09-15", "11-15"].map(md).to_vec(),
        single_payment: Some(md("03-15")),
    }
}

/// Property tax of legal persons: by the 15th, January by the 31st.
fn monthly() -> ScheduleRule {
    ScheduleRule::Monthly {
        day: 15,
        january: Some(md("01-31")),
    }
}

fn run(
    rule: &ScheduleRule,
    year: i32,
    amount: Money,
    whole: bool,
    rem: Remainder,
    from: Option<NaiveDate>,
) -> Result<Vec<Installment>, ScheduleError> {
    let r = rules();
    split(
        rule,
        &r,
        &Calendar::new(&r.holidays),
        year,
        amount,
        whole,
        rem,
        from,
    )
}

/// (number, nominal, due, amount) of each instalment.
fn rows(v: &[Installment]) -> Vec<(u32, NaiveDate, NaiveDate, Money)> {
    v.iter()
        .map(|i| (i.number, i.nominal_date, i.due_date, i.amount))
        .collect()
}

#[test]
fn property_tax_four_installments_remainder_first() {
    // 1,001 / 4 = 250 r 1 → 251, 250, 250, 250. 15 Mar and 15 Nov 2025 are Saturdays.
    let v = run(
        &property_tax(),
        2025,
        m("1001"),
        true,
        Remainder::First,
        None,
    )
    .unwrap();
    assert_eq!(
        rows(&v),
        vec![
            (1, d("2025-03-15"), d("2025-03-17"), m("251")),
            (2, d("2025-05-15"), d("2025-05-15"), m("250")),
            (3, d("2025-09-15"), d("2025-09-15"), m("250")),
            (4, d("2025-11-15"), d("2025-11-17"), m("250")),
        ]
    );
    let v = run(
        &property_tax(),
        2025,
        m("1001"),
        true,
        Remainder::Last,
        None,
    )
    .unwrap();
    let amounts: Vec<_> = v.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, vec![m("250"), m("250"), m("250"), m("251")]);
}

#[test]
fn small_tax_is_paid_once_by_15_march() {
    for amount in ["87", "100.00", "0.01"] {
        let v = run(
            &property_tax(),
            2025,
            m(amount),
            false,
            Remainder::First,
            None,
        )
        .unwrap();
        assert_eq!(
            rows(&v),
            vec![(1, d("2025-03-15"), d("2025-03-17"), m(amount))],
            "{amount}"
        );
    }
    // Exactly 100 with whole-złoty instalments too.
    let v = run(
        &property_tax(),
        2025,
        m("100"),
        true,
        Remainder::First,
        None,
    )
    .unwrap();
    assert_eq!(v.len(), 1);
}

#[test]
fn just_above_the_threshold_after_rounding() {
    // 100.50 is not whole złoty: the caller rounds the annual tax first (art. 63 § 1).
    assert_eq!(
        run(
            &property_tax(),
            2025,
            m("100.50"),
            true,
            Remainder::First,
            None
        ),
        Err(ScheduleError::NotWholeZloty {
            amount: m("100.50")
        })
    );
    let rounded = round_tax(dec!(100.50));
    assert_eq!(rounded, m("101"));
    assert_eq!(round_tax(dec!(100.49)), m("100"));
    // 101 > 100 → four instalments: 101 / 4 = 25 r 1 → 26, 25, 25, 25.
    let v = run(&property_tax(), 2025, rounded, true, Remainder::First, None).unwrap();
    let amounts: Vec<_> = v.iter().map(|i| i.amount).collect();
    assert_eq!(amounts, vec![m("26"), m("25"), m("25"), m("25")]);
}

#[test]
fn transport_tax_two_halves() {
    let rule = ScheduleRule::FixedDates {
        dates: vec![md("09-15"), md("02-15")],
        single_payment: None,
    };
    // In grosze, the odd grosz to the last half. 15 Feb 2025 is a Saturday.
    let v = run(&rule, 2025, m("1234.57"), false, Remainder::Last, None).unwrap();
    assert_eq!(
        rows(&v),
        vec![
            (1, d("2025-02-15"), d("2025-02-17"), m("617.28")),
            (2, d("2025-09-15"), d("2025-09-15"), m("617.29")),
        ]
    );
    // No single-payment rule: a small amount is still split.
    let v = run(&rule, 2025, m("50"), true, Remainder::First, None).unwrap();
    assert_eq!(v.len(), 2);
}

#[test]
fn legal_persons_monthly_2026() {
    // 12,345 / 12 = 1,028 r 9 → January 1,037, the rest 1,028.
    let v = run(&monthly(), 2026, m("12345"), true, Remainder::First, None).unwrap();
    let due: Vec<_> = v.iter().map(|i| i.due_date).collect();
    assert_eq!(
        due,
        [
            "2026-02-02", // 31 Jan: Saturday
            "2026-02-16", // 15 Feb: Sunday
            "2026-03-16", // 15 Mar: Sunday
            "2026-04-15",
            "2026-05-15",
            "2026-06-15",
            "2026-07-15",
            "2026-08-17", // 15 Aug: Saturday and a holiday
            "2026-09-15",
            "2026-10-15",
            "2026-11-16", // 15 Nov: Sunday
            "2026-12-15",
        ]
        .map(d)
    );
    assert_eq!(v[0].nominal_date, d("2026-01-31"));
    assert_eq!(v[0].amount, m("1037"));
    assert!(v[1..].iter().all(|i| i.amount == m("1028")));
    assert_eq!(
        v.iter().map(|i| i.number).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
}

#[test]
fn monthly_day_is_clamped_to_the_month() {
    let rule = ScheduleRule::Monthly {
        day: 31,
        january: None,
    };
    let v = run(&rule, 2025, m("12"), true, Remainder::First, None).unwrap();
    assert_eq!(v[1].nominal_date, d("2025-02-28"));
    assert_eq!(v[3].nominal_date, d("2025-04-30"));
    assert_eq!(
        run(
            &ScheduleRule::Monthly {
                day: 15,
                january: Some(md("02-01"))
            },
            2025,
            m("12"),
            true,
            Remainder::First,
            None
        ),
        Err(ScheduleError::JanuaryOutsideJanuary { date: md("02-01") })
    );
    assert_eq!(
        run(
            &ScheduleRule::Monthly {
                day: 0,
                january: None
            },
            2025,
            m("12"),
            true,
            Remainder::First,
            None
        ),
        Err(ScheduleError::InvalidDay { day: 0 })
    );
}

#[test]
fn perpetual_usufruct_by_31_march() {
    // 31 Mar 2024 is Easter Sunday and 1 Apr Easter Monday → Tuesday 2 Apr.
    let rule = ScheduleRule::Annual { date: md("03-31") };
    let v = run(&rule, 2024, m("1234.56"), false, Remainder::First, None).unwrap();
    assert_eq!(
        rows(&v),
        vec![(1, d("2024-03-31"), d("2024-04-02"), m("1234.56"))]
    );
    // 31 Mar 2025 is a Monday.
    let v = run(&rule, 2025, m("1234.56"), false, Remainder::First, None).unwrap();
    assert_eq!(v[0].due_date, d("2025-03-31"));
}

#[test]
fn mid_year_start_drops_earlier_installments() {
    // Obligation from 20 June 2026: June–December, numbers keep their place.
    let v = run(
        &monthly(),
        2026,
        m("700"),
        true,
        Remainder::First,
        Some(d("2026-06-20")),
    )
    .unwrap();
    assert_eq!(
        v.iter().map(|i| i.number).collect::<Vec<_>>(),
        (6..=12).collect::<Vec<_>>()
    );
    assert!(v.iter().all(|i| i.amount == m("100")));
    // From July 2025: 15 Sep and 15 Nov remain (rata 3 and 4); 1,001 → 501, 500.
    let v = run(
        &property_tax(),
        2025,
        m("1001"),
        true,
        Remainder::First,
        Some(d("2025-07-01")),
    )
    .unwrap();
    assert_eq!(
        rows(&v),
        vec![
            (3, d("2025-09-15"), d("2025-09-15"), m("501")),
            (4, d("2025-11-15"), d("2025-11-17"), m("500")),
        ]
    );
    // A start within March keeps 15 March.
    let v = run(
        &property_tax(),
        2025,
        m("1001"),
        true,
        Remainder::First,
        Some(d("2025-03-31")),
    )
    .unwrap();
    assert_eq!(v.len(), 4);
    // A start before the year keeps everything.
    let v = run(
        &property_tax(),
        2025,
        m("1001"),
        true,
        Remainder::First,
        Some(d("2019-05-01")),
    )
    .unwrap();
    assert_eq!(v.len(), 4);
    // A small tax whose single-payment date has passed: one sum on the next date.
    let v = run(
        &property_tax(),
        2025,
        m("80"),
        true,
        Remainder::First,
        Some(d("2025-06-10")),
    )
    .unwrap();
    assert_eq!(
        rows(&v),
        vec![(1, d("2025-09-15"), d("2025-09-15"), m("80"))]
    );
    // Nothing left in the year.
    assert_eq!(
        run(
            &property_tax(),
            2025,
            m("1001"),
            true,
            Remainder::First,
            Some(d("2025-12-01"))
        ),
        Err(ScheduleError::NoInstallmentsLeft {
            year: 2025,
            from: d("2025-12-01")
        })
    );
    assert!(matches!(
        run(
            &property_tax(),
            2025,
            m("50"),
            true,
            Remainder::First,
            Some(d("2025-12-01"))
        ),
        Err(ScheduleError::NoInstallmentsLeft { .. })
    ));
}

#[test]
fn rejected_inputs() {
    assert_eq!(
        run(
            &ScheduleRule::Explicit,
            2025,
            m("10"),
            false,
            Remainder::First,
            None
        ),
        Err(ScheduleError::Explicit)
    );
    assert_eq!(
        run(
            &property_tax(),
            2025,
            Money::ZERO,
            false,
            Remainder::First,
            None
        ),
        Err(ScheduleError::NotPositive {
            amount: Money::ZERO
        })
    );
    assert!(
        run(
            &property_tax(),
            2025,
            m("-5"),
            false,
            Remainder::First,
            None
        )
        .is_err()
    );
    let empty = ScheduleRule::FixedDates {
        dates: vec![],
        single_payment: None,
    };
    assert_eq!(
        run(&empty, 2025, m("10"), false, Remainder::First, None),
        Err(ScheduleError::NoDates)
    );
    let dup = ScheduleRule::FixedDates {
        dates: vec![md("03-15"), md("05-15"), md("03-15")],
        single_payment: None,
    };
    assert_eq!(
        run(&dup, 2025, m("10"), false, Remainder::First, None),
        Err(ScheduleError::DuplicateDate { date: md("03-15") })
    );
    // No single-payment threshold configured for the year.
    assert_eq!(
        run(
            &property_tax(),
            2010,
            m("1000"),
            true,
            Remainder::First,
            None
        ),
        Err(ScheduleError::NoSinglePaymentThreshold { year: 2010 })
    );
}

#[test]
fn month_day_parsing() {
    assert_eq!(md("03-15").month(), 3);
    assert_eq!(md("3-5").to_string(), "03-05");
    assert_eq!(md("02-29").in_year(2025), Some(d("2025-02-28")));
    assert_eq!(md("02-29").in_year(2024), Some(d("2024-02-29")));
    for bad in [
        "13-01", "02-30", "00-10", "3/15", "", "03-15-1", "+3-15", "003-15",
    ] {
        assert!(bad.parse::<MonthDay>().is_err(), "{bad}");
    }
    assert_eq!(
        "02-30".parse::<MonthDay>().unwrap_err().to_string(),
        "\"02-30\" is not a day of the year; expected \"MM-DD\", e.g. \"03-15\""
    );
}

#[test]
fn rules_from_tenant_toml() {
    #[derive(Debug, serde::Deserialize)]
    struct Fee {
        schedule: ScheduleRule,
        #[serde(default)]
        remainder: Remainder,
    }
    let fee: Fee = toml::from_str(
        r#"schedule = { kind = "fixed_dates", dates = ["03-15", "05-15", "09-15", "11-15"], single_payment = "03-15" }"#,
    )
    .unwrap();
    assert_eq!(fee.schedule, property_tax());
    assert_eq!(fee.remainder, Remainder::First);
    let fee: Fee = toml::from_str(
        "remainder = \"last\"\n[schedule]\nkind = \"monthly\"\nday = 15\njanuary = \"01-31\"",
    )
    .unwrap();
    assert_eq!(fee.schedule, monthly());
    assert_eq!(fee.remainder, Remainder::Last);
    let fee: Fee = toml::from_str(r#"schedule = { kind = "annual", date = "03-31" }"#).unwrap();
    assert_eq!(fee.schedule, ScheduleRule::Annual { date: md("03-31") });
    let fee: Fee = toml::from_str(r#"schedule = { kind = "explicit" }"#).unwrap();
    assert_eq!(fee.schedule, ScheduleRule::Explicit);
    // Typos and bad dates are errors, not silently ignored.
    assert!(
        toml::from_str::<Fee>(r#"schedule = { kind = "annual", date = "03-31", dat = "1" }"#)
            .is_err()
    );
    let e = toml::from_str::<Fee>(r#"schedule = { kind = "annual", date = "03-32" }"#).unwrap_err();
    assert!(e.to_string().contains("not a day of the year"), "{e}");
    // And back.
    let json = serde_json::to_value(property_tax()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "fixed_dates", "dates": ["03-15", "05-15", "09-15", "11-15"], "single_payment": "03-15"})
    );
}

fn any_rule() -> impl Strategy<Value = ScheduleRule> {
    let md = (1u32..=12, 1u32..=28).prop_map(|(m, d)| MonthDay::new(m, d).unwrap());
    prop_oneof![
        (
            proptest::collection::btree_set(md.clone(), 1..6),
            proptest::option::of(md.clone())
        )
            .prop_map(|(dates, single_payment)| ScheduleRule::FixedDates {
                dates: dates.into_iter().collect(),
                single_payment,
            }),
        (
            1u32..=31,
            proptest::option::of((1u32..=31).prop_map(|d| MonthDay::new(1, d).unwrap()))
        )
            .prop_map(|(day, january)| ScheduleRule::Monthly { day, january }),
        md.prop_map(|date| ScheduleRule::Annual { date }),
    ]
}

proptest! {
    #[test]
    fn installments_sum_to_the_amount(
        rule in any_rule(),
        year in 2016i32..2030,
        units in 1i64..10_000_000_000,
        whole in any::<bool>(),
        last in any::<bool>(),
        from_day in proptest::option::of(0u64..365),
    ) {
        let amount = if whole { Money::from_zloty(units) } else { Money::from_grosze(units) };
        let remainder = if last { Remainder::Last } else { Remainder::First };
        let from = from_day.map(|n| NaiveDate::from_ymd_opt(year, 1, 1).unwrap() + chrono::Days::new(n));
        match run(&rule, year, amount, whole, remainder, from) {
            Ok(v) => {
                prop_assert!(!v.is_empty());
                prop_assert_eq!(v.iter().map(|i| i.amount).sum::<Money>(), amount);
                for i in &v {
                    prop_assert!(i.amount >= Money::ZERO);
                    prop_assert!(i.due_date >= i.nominal_date);
                    // Longest stretch: Wigilia on a Wednesday (24–28 Dec) → 5 days.
                    prop_assert!((i.due_date - i.nominal_date).num_days() <= 5);
                    if whole {
                        prop_assert_eq!(i.amount.to_grosze().unwrap() % 100, 0);
                    }
                }
                let monthly = matches!(rule, ScheduleRule::Monthly { .. });
                prop_assert!(monthly || v.windows(2).all(|w| w[0].nominal_date < w[1].nominal_date));
                prop_assert!(v.windows(2).all(|w| w[0].number < w[1].number));
            }
            Err(ScheduleError::NoInstallmentsLeft { .. }) => prop_assert!(from.is_some()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
