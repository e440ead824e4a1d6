//! Late-payment interest: tax interest (odsetki za zwłokę, art. 53–56 OP) and civil
//! statutory interest (odsetki ustawowe za opóźnienie, art. 481 kc).
//!
//! Interest runs from the day after the deadline through the payment day inclusive
//! (art. 53 § 4 OP), at the rate in force on each day, as principal × rate × days / 365
//! per stretch of equal rate (365 in leap years too, as the Ministry of Finance computes
//! it). The stretches are summed exactly; only the sum is rounded, because rounding each
//! stretch could add or lose a złoty on every rate change:
//!
//! - tax interest to full złoty (art. 63 § 1 OP), then waived entirely when at or below
//!   the threshold in force on the payment day (art. 54 § 1 pkt 5 OP, 8.70 zł: in practice
//!   8 zł and less is waived, 9 zł is owed);
//! - civil interest to the grosz, without a threshold.
//!
//! The calculator counts from the deadline it is given: moving a deadline off a weekend
//! or holiday is the schedule's job ([`crate::domain::schedule`]).

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use wspolnota_core::Money;

use crate::rules::{DatedTable, NationalRules, TableGap};

/// Which interest applies to an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestRegime {
    /// Odsetki za zwłokę at the standard rate (art. 56 § 1 OP): taxes, the waste fee,
    /// road-lane fees.
    #[default]
    Tax,
    /// The reduced tax rate (art. 56a OP).
    TaxReduced,
    /// Odsetki ustawowe za opóźnienie (art. 481 kc): usufruct, leases, rents.
    Civil,
    /// No interest (e.g. fees the law leaves without interest).
    None,
}

/// One stretch of days at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Days in `[from, to]`.
    pub days: i64,
    /// Annual rate in percent.
    pub rate: Decimal,
    /// principal × rate / 100 × days / 365, exact (unrounded).
    pub interest: Decimal,
}

/// Interest owed on a payment day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    /// What is owed: the rounded sum, or zero when waived under the threshold.
    pub amount: Money,
    /// The unrounded sum of the periods (kept even when waived, e.g. for the
    /// art. 55 § 2 ratio).
    pub exact: Decimal,
    /// Days late.
    pub days: i64,
    pub periods: Vec<InterestPeriod>,
}

impl Interest {
    fn zero() -> Self {
        Self {
            amount: Money::ZERO,
            exact: Decimal::ZERO,
            days: 0,
            periods: Vec::new(),
        }
    }
}

/// Why interest could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterestError {
    /// The rate table has no rate for some days late: the configuration is incomplete.
    #[error("no {regime:?} interest rate configured for {}..{}", .gap.from, .gap.to)]
    NoRate {
        regime: InterestRegime,
        gap: TableGap,
    },
    /// No interest threshold is configured for the payment day.
    #[error("no tax interest threshold configured for {date}")]
    NoThreshold { date: NaiveDate },
    /// The principal is negative.
    #[error("principal {principal} is negative")]
    NegativePrincipal { principal: Money },
    /// The amounts are beyond what can be represented.
    #[error("interest computation overflowed")]
    Overflow,
}

/// Days in the year used by the interest formula, also in leap years.
const DAYS_IN_YEAR: i64 = 365;

/// Interest on `principal` due on `due` and paid on `paid_on` (see the module docs).
pub fn interest(
    rules: &NationalRules,
    regime: InterestRegime,
    principal: Money,
    due: NaiveDate,
    paid_on: NaiveDate,
) -> Result<Interest, InterestError> {
    if principal.is_negative() {
        return Err(InterestError::NegativePrincipal { principal });
    }
    let table: &DatedTable<Decimal> = match regime {
        InterestRegime::Tax => &rules.tax_interest,
        InterestRegime::TaxReduced => &rules.tax_interest_reduced,
        InterestRegime::Civil => &rules.civil_interest,
        InterestRegime::None => return Ok(Interest::zero()),
    };
    if paid_on <= due || principal.is_zero() {
        return Ok(Interest::zero());
    }
    let Some(first_day) = due.checked_add_days(Days::new(1)) else {
        return Ok(Interest::zero());
    };
    let segments = table
        .segments(first_day, paid_on)
        .map_err(|gap| InterestError::NoRate { regime, gap })?;
    let mut periods = Vec::with_capacity(segments.len());
    // Σ principal × rate × days is exact; dividing once at the end keeps the sum as
    // exact as Decimal's 28 digits allow (summing per-period quotients would not).
    let mut numerator = Decimal::ZERO;
    let divisor = Decimal::from(100 * DAYS_IN_YEAR);
    for (from, to, rate) in segments {
        let days = (to - from).num_days() + 1;
        let product = principal
            .amount()
            .checked_mul(*rate)
            .and_then(|x| x.checked_mul(Decimal::from(days)))
            .ok_or(InterestError::Overflow)?;
        numerator = numerator
            .checked_add(product)
            .ok_or(InterestError::Overflow)?;
        let interest = product
            .checked_div(divisor)
            .ok_or(InterestError::Overflow)?;
        periods.push(InterestPeriod {
            from,
            to,
            days,
            rate: *rate,
            interest,
        });
    }
    let exact = numerator
        .checked_div(divisor)
        .ok_or(InterestError::Overflow)?;
    let amount = match regime {
        InterestRegime::Tax | InterestRegime::TaxReduced => {
            let rounded =
                Money::checked_round_to_full_zloty(exact).map_err(|_| InterestError::Overflow)?;
            let threshold = rules
                .tax_interest_threshold
                .at(paid_on)
                .ok_or(InterestError::NoThreshold { date: paid_on })?;
            if rounded <= *threshold {
                Money::ZERO
            } else {
                rounded
            }
        }
        InterestRegime::Civil => {
            Money::checked_round_half_up(exact).map_err(|_| InterestError::Overflow)?
        }
        InterestRegime::None => Money::ZERO,
    };
    Ok(Interest {
        amount,
        exact,
        days: (paid_on - due).num_days(),
        periods,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn rules() -> NationalRules {
        NationalRules::embedded().unwrap()
    }

    fn tax(principal: &str, due: &str, paid: &str) -> Interest {
        interest(&rules(), InterestRegime::Tax, m(principal), d(due), d(paid)).unwrap()
    }

    #[test]
    fn domain_example_across_a_rate_change() {
        // DOMAIN §2.3: 1,000.00 due 2025-03-15, paid 2025-05-15.
        // 16.03–07.05: 53 days at 14.5% = 1000 × 14.5 × 53 / 36500 = 21.0547945…
        // 08.05–15.05:  8 days at 13.5% = 1000 × 13.5 ×  8 / 36500 =  2.9589041…
        // sum 24.0136986… → 24 zł (art. 63 § 1).
        let i = tax("1000.00", "2025-03-15", "2025-05-15");
        assert_eq!(i.amount, m("24"));
        assert_eq!(i.days, 61);
        assert_eq!(i.periods.len(), 2);
        assert_eq!(
            (
                i.periods[0].from,
                i.periods[0].to,
                i.periods[0].days,
                i.periods[0].rate
            ),
            (d("2025-03-16"), d("2025-05-07"), 53, dec!(14.5))
        );
        assert_eq!(
            (
                i.periods[1].from,
                i.periods[1].to,
                i.periods[1].days,
                i.periods[1].rate
            ),
            (d("2025-05-08"), d("2025-05-15"), 8, dec!(13.5))
        );
        assert_eq!(i.exact, dec!(876500) / dec!(36500));
        assert_eq!(i.exact.round_dp(4), dec!(24.0137));
        assert_eq!(i.periods[0].interest.round_dp(4), dec!(21.0548));
        assert_eq!(i.periods[1].interest.round_dp(4), dec!(2.9589));
        // With the real deadline that year (Monday 17.03): 51 days → 23 zł.
        assert_eq!(tax("1000.00", "2025-03-17", "2025-05-15").amount, m("23"));
    }

    #[test]
    fn under_the_threshold_nothing_is_owed() {
        // 100.00, 30 days (05.12.2025–03.01.2026) at 11%: 100 × 11 × 30 / 36500 = 0.904…
        // → 1 zł ≤ 8.70 → 0; the exact figure is kept.
        let i = tax("100.00", "2025-12-04", "2026-01-03");
        assert_eq!(i.days, 30);
        assert_eq!(i.amount, Money::ZERO);
        assert_eq!(i.exact.round_dp(4), dec!(0.9041));
    }

    #[test]
    fn threshold_boundary() {
        // The threshold compares the interest rounded to full złoty (art. 63 § 1 rounds
        // interest; art. 54 § 1 pkt 5 compares "the interest"), so 8 zł is waived and
        // 9 zł is owed; an exact 8.70 rounds to 9 and is owed.
        // 30 days in 2024 at 14.5%: principal × 435 / 36500.
        // 713.00 → 8.4974 → 8 → waived; 714.00 → 8.5093 → 9 → owed.
        assert_eq!(
            tax("713.00", "2024-06-01", "2024-07-01").amount,
            Money::ZERO
        );
        assert_eq!(tax("714.00", "2024-06-01", "2024-07-01").amount, m("9"));
        // 730.00 → 730 × 435 / 36500 = 8.70 exactly → 9 > 8.70 → 9 owed.
        let i = tax("730.00", "2024-06-01", "2024-07-01");
        assert_eq!(i.exact, dec!(8.7));
        assert_eq!(i.amount, m("9"));
        // Exactly 9: 1,095.00 × 12% × 25 days (11.10–04.11.2025) / 365 = 9.00 → 9.
        let i = tax("1095.00", "2025-10-10", "2025-11-04");
        assert_eq!(i.exact, dec!(9));
        assert_eq!(i.amount, m("9"));
        // "At or below" is inclusive: with a 9.00 threshold the same 9 zł is waived.
        let mut r = rules();
        r.tax_interest_threshold = DatedTable::new(vec![crate::rules::Dated {
            valid_from: d("2014-02-01"),
            valid_to: None,
            value: m("9.00"),
        }])
        .unwrap();
        let i = interest(
            &r,
            InterestRegime::Tax,
            m("1095.00"),
            d("2025-10-10"),
            d("2025-11-04"),
        )
        .unwrap();
        assert_eq!(i.amount, Money::ZERO);
        assert_eq!(i.exact, dec!(9));
    }

    #[test]
    fn many_rate_changes() {
        // 10,000.00 due 2025-06-01, paid 2025-12-31 (213 days; 10000 × rate × days / 36500):
        //   02.06–02.07  31 d × 13.5% = 4 185 000 / 36500 = 114.6575…
        //   03.07–03.09  63 d × 13.0% = 8 190 000 / 36500 = 224.3835…
        //   04.09–08.10  35 d × 12.5% = 4 375 000 / 36500 = 119.8630…
        //   09.10–05.11  28 d × 12.0% = 3 360 000 / 36500 =  92.0548…
        //   06.11–03.12  28 d × 11.5% = 3 220 000 / 36500 =  88.2192…
        //   04.12–31.12  28 d × 11.0% = 3 080 000 / 36500 =  84.3836…
        //   sum 26 410 000 / 36500 = 723.5616… → 724 zł
        let i = tax("10000.00", "2025-06-01", "2025-12-31");
        assert_eq!(i.days, 213);
        let got: Vec<_> = i.periods.iter().map(|p| (p.days, p.rate)).collect();
        assert_eq!(
            got,
            vec![
                (31, dec!(13.5)),
                (63, dec!(13.0)),
                (35, dec!(12.5)),
                (28, dec!(12.0)),
                (28, dec!(11.5)),
                (28, dec!(11.0))
            ]
        );
        assert_eq!(i.exact.round_dp(4), dec!(723.5616));
        assert_eq!(i.amount, m("724"));
        // Spanning exactly three changes: due 2025-06-01, paid 2025-10-20:
        //   31 d × 13.5% = 114.6575…, 63 d × 13.0% = 224.3835…, 35 d × 12.5% = 119.8630…,
        //   12 d × 12.0% (09.10–20.10) = 1 440 000 / 36500 = 39.4520…
        //   sum 18 190 000 / 36500 = 498.3561… → 498 zł
        let i = tax("10000.00", "2025-06-01", "2025-10-20");
        assert_eq!(i.periods.len(), 4);
        assert_eq!(i.exact, dec!(18190000) / dec!(36500));
        assert_eq!(i.amount, m("498"));
    }

    #[test]
    fn reduced_rate() {
        // Same as the DOMAIN example at half the rate: 53 d × 7.25% + 8 d × 6.75%
        // = (384 250 + 54 000) / 36500 = 12.0068… → 12 zł.
        let i = interest(
            &rules(),
            InterestRegime::TaxReduced,
            m("1000"),
            d("2025-03-15"),
            d("2025-05-15"),
        )
        .unwrap();
        assert_eq!(i.exact, dec!(438250) / dec!(36500));
        assert_eq!(i.amount, m("12"));
    }

    #[test]
    fn civil_interest_across_a_rate_change() {
        // 5,000.00 due 2025-04-30, paid 2025-05-31:
        //   01.05–07.05   7 d × 11.25% = 5000 × 11.25 ×  7 / 36500 = 393 750 / 36500 = 10.7876…
        //   08.05–31.05  24 d × 10.75% = 5000 × 10.75 × 24 / 36500 = 1 290 000 / 36500 = 35.3424…
        //   sum 1 683 750 / 36500 = 46.1301… → 46.13 (to the grosz, no threshold)
        let i = interest(
            &rules(),
            InterestRegime::Civil,
            m("5000"),
            d("2025-04-30"),
            d("2025-05-31"),
        )
        .unwrap();
        assert_eq!(i.periods.len(), 2);
        assert_eq!(i.exact, dec!(1683750) / dec!(36500));
        assert_eq!(i.amount, m("46.13"));
        // Small civil interest is owed: 100.00 × 10.75% × 10 / 365 = 0.2945… → 0.29.
        let i = interest(
            &rules(),
            InterestRegime::Civil,
            m("100"),
            d("2025-06-01"),
            d("2025-06-11"),
        )
        .unwrap();
        assert_eq!(i.amount, m("0.29"));
    }

    #[test]
    fn not_late_means_no_interest() {
        assert_eq!(tax("1000", "2025-03-15", "2025-03-15").amount, Money::ZERO);
        assert_eq!(tax("1000", "2025-03-15", "2025-03-15").days, 0);
        assert_eq!(tax("1000", "2025-03-15", "2025-03-01").amount, Money::ZERO);
        assert_eq!(tax("1000", "2025-03-15", "2025-03-01").periods, vec![]);
        // One day late: 1000 × 14.5 / 36500 = 0.397 → 0.
        assert_eq!(tax("1000", "2025-03-15", "2025-03-16").days, 1);
        let i = interest(
            &rules(),
            InterestRegime::None,
            m("1000"),
            d("2020-01-01"),
            d("2025-01-01"),
        )
        .unwrap();
        assert_eq!(i.amount, Money::ZERO);
    }

    #[test]
    fn leap_years_use_365() {
        // 29.02.2024 counts as a day; the divisor stays 365: 36500 × 14.5 × 366 / 36500.
        let i = tax("36500.00", "2023-12-31", "2024-12-31");
        assert_eq!(i.days, 366);
        assert_eq!(i.exact, dec!(14.5) * dec!(366));
    }

    #[test]
    fn errors() {
        let e = interest(
            &rules(),
            InterestRegime::Tax,
            m("-1"),
            d("2025-01-01"),
            d("2025-02-01"),
        )
        .unwrap_err();
        assert_eq!(e, InterestError::NegativePrincipal { principal: m("-1") });
        // Before the configured tables start.
        let e = interest(
            &rules(),
            InterestRegime::Tax,
            m("100"),
            d("2015-12-01"),
            d("2016-02-01"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no Tax interest rate configured for 2015-12-02..2015-12-31"
        );
    }

    #[test]
    fn regime_serde() {
        assert_eq!(
            serde_json::to_string(&InterestRegime::TaxReduced).unwrap(),
            "\"tax_reduced\""
        );
        assert_eq!(
            serde_json::from_str::<InterestRegime>("\"civil\"").unwrap(),
            InterestRegime::Civil
        );
    }
}
