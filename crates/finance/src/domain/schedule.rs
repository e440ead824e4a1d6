//! Instalment schedules: splitting an annual amount into dated instalments.
//!
//! The dates are configuration ([`ScheduleRule`], from the fee catalogue in the tenant's
//! `[fees]` table), because they differ by obligation (15 Mar/May/Sep/Nov for property
//! tax of natural persons, monthly for legal persons, 31 March for usufruct) and by
//! council resolution (waste fees). How the remainder of an uneven split is placed is not
//! settled in law (DOMAIN §1.4), so it is a parameter ([`Remainder`]), as is whether the
//! instalments are whole złoty.
//!
//! Each instalment keeps its nominal date and its due date, moved to the next working
//! day (art. 12 § 5 OP): interest runs from the due date, documents show the nominal one.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use wspolnota_core::Money;

use crate::domain::calendar::Calendar;
use crate::rules::NationalRules;

/// A day of the year without the year, written `"MM-DD"` (e.g. `"03-15"`).
///
/// 29 February is accepted and falls on 28 February in common years; in a month shorter
/// than the day (a monthly rule on the 31st) the month's last day is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

/// A month-day that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a day of the year; expected \"MM-DD\", e.g. \"03-15\"")]
pub struct MonthDayError {
    pub input: String,
}

impl MonthDay {
    /// A month (1–12) and day that exist in some year.
    pub fn new(month: u32, day: u32) -> Result<Self, MonthDayError> {
        // 2024 is a leap year: 29 February exists.
        match NaiveDate::from_ymd_opt(2024, month, day) {
            Some(_) => Ok(Self { month, day }),
            None => Err(MonthDayError {
                input: format!("{month:02}-{day:02}"),
            }),
        }
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn day(&self) -> u32 {
        self.day
    }

    /// The date in `year`, the day clamped to the month's length; `None` only for years
    /// chrono cannot represent.
    pub fn in_year(&self, year: i32) -> Option<NaiveDate> {
        day_in_month(year, self.month, self.day)
    }
}

/// `day` of `month` in `year`, clamped to the month's last day.
fn day_in_month(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    (1..=day.clamp(1, 31))
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

impl FromStr for MonthDay {
    type Err = MonthDayError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthDayError {
            input: s.to_owned(),
        };
        let (m, d) = s.trim().split_once('-').ok_or_else(err)?;
        let digits = |t: &str| {
            (!t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u32>().ok())
                .flatten()
        };
        match (digits(m), digits(d)) {
            (Some(m), Some(d)) => Self::new(m, d).map_err(|_| err()),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// When the instalments of an annual amount fall due. In TOML:
/// `{ kind = "fixed_dates", dates = ["03-15", "05-15", "09-15", "11-15"], single_payment = "03-15" }`,
/// `{ kind = "monthly", day = 15, january = "01-31" }`, `{ kind = "annual", date = "03-31" }`,
/// `{ kind = "explicit" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleRule {
    /// The same dates every year (property tax of natural persons, transport tax).
    FixedDates {
        dates: Vec<MonthDay>,
        /// When the annual amount is at or below the national single-payment threshold,
        /// one instalment on this date (art. 6 ust. 7 upol).
        #[serde(default)]
        single_payment: Option<MonthDay>,
    },
    /// Every month on `day` (clamped to the month's length).
    Monthly {
        day: u32,
        /// January's own deadline, e.g. 31 January for legal persons' property tax (must
        /// be in January).
        #[serde(default)]
        january: Option<MonthDay>,
    },
    /// Once a year (perpetual-usufruct fee by 31 March).
    Annual { date: MonthDay },
    /// The instalments come with the assessment (lease contracts); nothing to compute.
    Explicit,
}

/// Which instalment takes the remainder of an uneven split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remainder {
    /// The first instalment (common practice [K]).
    #[default]
    First,
    Last,
}

/// One instalment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    /// Position in the year's full schedule (1-based), also when earlier instalments were
    /// dropped for a mid-year start: rata III stays number 3, so the number identifies
    /// the instalment of an obligation and year.
    pub number: u32,
    /// The date the rule gives.
    pub nominal_date: NaiveDate,
    /// The deadline: the nominal date moved to the next working day.
    pub due_date: NaiveDate,
    pub amount: Money,
}

/// Why a schedule could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("amount {amount} must be positive")]
    NotPositive { amount: Money },
    /// Whole-złoty instalments need a whole-złoty amount: round it with [`round_tax`].
    #[error("amount {amount} is not whole złoty; round the annual tax first (art. 63 § 1 OP)")]
    NotWholeZloty { amount: Money },
    #[error("explicit schedules come with the assessment; there is nothing to split")]
    Explicit,
    #[error("the schedule has no dates")]
    NoDates,
    #[error("the schedule lists {date} twice")]
    DuplicateDate { date: MonthDay },
    #[error("monthly day {day} is not 1..=31")]
    InvalidDay { day: u32 },
    #[error("January's deadline {date} is not in January")]
    JanuaryOutsideJanuary { date: MonthDay },
    #[error("no single-payment threshold configured for 1 January {year}")]
    NoSinglePaymentThreshold { year: i32 },
    /// Every instalment of the year falls before the obligation starts; the assessment
    /// must set its own deadline (e.g. 14 days after delivery).
    #[error("no instalment of {year} falls on or after the month of {from}")]
    NoInstallmentsLeft { year: i32, from: NaiveDate },
    #[error("year {year} is out of range")]
    YearOutOfRange { year: i32 },
    #[error("amount is out of range")]
    Overflow,
}

/// Rounds an annual tax to full złoty (art. 63 § 1 OP: under 50 gr down, 50 gr and more
/// up), as it must be before it is split into whole-złoty instalments.
pub fn round_tax(amount: Decimal) -> Money {
    Money::round_to_full_zloty(amount)
}

/// Splits `amount` due in `year` into instalments by `rule`.
///
/// - `whole_zloty`: instalments in whole złoty (the amount must be whole złoty); else in
///   grosze. The remainder of the division goes to the first or last instalment.
/// - Single payment: with [`ScheduleRule::FixedDates`] having `single_payment`, an amount
///   at or below the national single-payment threshold in force on 1 January of `year`
///   is one instalment on that date.
/// - `from`: an obligation starting mid-year. Instalments whose nominal date falls before
///   the first day of `from`'s month are dropped and the amount is split over the rest
///   (a single payment whose date was dropped moves to the first remaining date).
#[allow(clippy::too_many_arguments)] // the public signature the callers agreed on
pub fn split(
    rule: &ScheduleRule,
    rules: &NationalRules,
    calendar: &Calendar<'_>,
    year: i32,
    amount: Money,
    whole_zloty: bool,
    remainder: Remainder,
    from: Option<NaiveDate>,
) -> Result<Vec<Installment>, ScheduleError> {
    if !amount.is_positive() {
        return Err(ScheduleError::NotPositive { amount });
    }
    let grosze = amount.to_grosze().map_err(|_| ScheduleError::Overflow)?;
    if whole_zloty && grosze % 100 != 0 {
        return Err(ScheduleError::NotWholeZloty { amount });
    }
    let out_of_range = || ScheduleError::YearOutOfRange { year };
    let nominal = nominal_dates(rule, year)?;
    let start = from.map(|f| f.with_day(1).unwrap_or(f));
    let kept: Vec<(u32, NaiveDate)> = (1u32..)
        .zip(nominal)
        .filter(|(_, date)| start.is_none_or(|s| *date >= s))
        .collect();

    if let ScheduleRule::FixedDates {
        single_payment: Some(single),
        ..
    } = rule
    {
        let jan_1 = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(out_of_range)?;
        let threshold = rules
            .single_payment_threshold
            .at(jan_1)
            .ok_or(ScheduleError::NoSinglePaymentThreshold { year })?;
        if amount <= *threshold {
            let date = single.in_year(year).ok_or_else(out_of_range)?;
            let date = match start {
                Some(s) if date < s => {
                    kept.first()
                        .map(|(_, d)| *d)
                        .ok_or(ScheduleError::NoInstallmentsLeft {
                            year,
                            from: from.unwrap_or(s),
                        })?
                }
                _ => date,
            };
            return Ok(vec![Installment {
                number: 1,
                nominal_date: date,
                due_date: calendar.next_working_day(date),
                amount,
            }]);
        }
    }

    let count = i64::try_from(kept.len()).map_err(|_| ScheduleError::Overflow)?;
    if count == 0 {
        return Err(ScheduleError::NoInstallmentsLeft {
            year,
            from: from.unwrap_or_default(),
        });
    }
    let unit: i64 = if whole_zloty { 100 } else { 1 };
    let units = grosze / unit;
    let base = units / count;
    let rest = units % count;
    let remainder_at = match remainder {
        Remainder::First => 0,
        Remainder::Last => kept.len() - 1,
    };
    Ok(kept
        .iter()
        .enumerate()
        .map(|(i, (number, date))| {
            let units = if i == remainder_at { base + rest } else { base };
            Installment {
                number: *number,
                nominal_date: *date,
                due_date: calendar.next_working_day(*date),
                amount: Money::from_grosze(units * unit),
            }
        })
        .collect())
}

/// The nominal dates of the year's full schedule, in order.
fn nominal_dates(rule: &ScheduleRule, year: i32) -> Result<Vec<NaiveDate>, ScheduleError> {
    let out_of_range = || ScheduleError::YearOutOfRange { year };
    match rule {
        ScheduleRule::FixedDates { dates, .. } => {
            if dates.is_empty() {
                return Err(ScheduleError::NoDates);
            }
            let mut sorted = dates.clone();
            sorted.sort();
            if let Some(w) = sorted.windows(2).find(|w| w.first() == w.get(1)) {
                let date = w.first().copied().unwrap_or(MonthDay { month: 1, day: 1 });
                return Err(ScheduleError::DuplicateDate { date });
            }
            sorted
                .iter()
                .map(|md| md.in_year(year).ok_or_else(out_of_range))
                .collect()
        }
        ScheduleRule::Monthly { day, january } => {
            if !(1..=31).contains(day) {
                return Err(ScheduleError::InvalidDay { day: *day });
            }
            if let Some(jan) = january.filter(|j| j.month != 1) {
                return Err(ScheduleError::JanuaryOutsideJanuary { date: jan });
            }
            (1..=12)
                .map(|month| match (month, january) {
                    (1, Some(jan)) => jan.in_year(year),
                    _ => day_in_month(year, month, *day),
                })
                .map(|d| d.ok_or_else(out_of_range))
                .collect()
        }
        ScheduleRule::Annual { date } => Ok(vec![date.in_year(year).ok_or_else(out_of_range)?]),
        ScheduleRule::Explicit => Err(ScheduleError::Explicit),
    }
}
