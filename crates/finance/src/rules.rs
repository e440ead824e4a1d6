//! National law's numbers as effective-dated configuration.
//!
//! Interest rates, thresholds, costs and public holidays change by statute, regulation or
//! an NBP decision, never by a release of this platform. So code holds only algorithms
//! and every number lives in a [`DatedTable`] (or [`HolidayRules`]) loaded from
//! `rules/national.toml`: a change in law is a new dated row in that file. Tenant-specific
//! rules (fee rates, schedules) come from the tenant's `[fees]` table and can reuse the
//! same building blocks ([`DatedTable::from_toml_rows`], [`parse_decimal`], [`parse_money`],
//! [`parse_date`]).
//!
//! A row's `valid_to` is optional: a row without it lasts until the day before the next
//! row starts (or for ever, if it is the last one). Rate tables are written that way in
//! law ("from 2025-05-08: 13.5%"), so requiring an end date on every row would only
//! invite gaps.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use wspolnota_core::Money;

/// The national rules embedded in the binary (`rules/national.toml`).
const NATIONAL_TOML: &str = include_str!("../rules/national.toml");

/// One value of an effective-dated table: valid from `valid_from` through `valid_to`
/// (inclusive); without `valid_to`, until the next row starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated<T> {
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub value: T,
}

/// What is wrong with the rows of a [`DatedTable`]. `row` indices are positions in the
/// rows as given (0-based), so they match `name[row]` in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A row ends before it starts.
    #[error("row {row}: valid_to {valid_to} is before valid_from {valid_from}")]
    EndsBeforeStart {
        row: usize,
        valid_from: NaiveDate,
        valid_to: NaiveDate,
    },
    /// Two rows cover the same day.
    #[error(
        "row {row} (valid from {valid_from}) overlaps row {other} (valid {other_from}..{other_to})"
    )]
    Overlap {
        row: usize,
        valid_from: NaiveDate,
        other: usize,
        other_from: NaiveDate,
        other_to: String,
    },
}

/// Some days of the requested range have no value in a [`DatedTable`]: the configuration
/// is missing rows (e.g. an interest rate table that starts after the due date).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no value configured for {from}..{to}")]
pub struct TableGap {
    /// First day without a value.
    pub from: NaiveDate,
    /// Last day of that uncovered stretch (within the requested range).
    pub to: NaiveDate,
}

/// An effective-dated table: non-overlapping rows sorted by `valid_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedTable<T> {
    rows: Vec<Dated<T>>,
}

impl<T> Default for DatedTable<T> {
    fn default() -> Self {
        Self { rows: Vec::new() }
    }
}

impl<T> DatedTable<T> {
    /// Builds a table from rows in any order; they are sorted by `valid_from`. Fails if a
    /// row ends before it starts or two rows cover the same day (also when an earlier
    /// row's explicit `valid_to` reaches into the next row, or two rows start on the same
    /// day). Gaps between rows are allowed (a rule may have lapsed); asking for a day in
    /// a gap gives `None` / [`TableGap`].
    pub fn new(rows: Vec<Dated<T>>) -> Result<Self, TableError> {
        for (i, r) in rows.iter().enumerate() {
            if let Some(to) = r.valid_to
                && to < r.valid_from
            {
                return Err(TableError::EndsBeforeStart {
                    row: i,
                    valid_from: r.valid_from,
                    valid_to: to,
                });
            }
        }
        let mut indexed: Vec<(usize, Dated<T>)> = rows.into_iter().enumerate().collect();
        indexed.sort_by_key(|(_, r)| r.valid_from);
        for pair in indexed.windows(2) {
            if let [(pi, prev), (ni, next)] = pair
                && prev.valid_to.is_none_or(|to| to >= next.valid_from)
                && (prev.valid_to.is_some() || prev.valid_from == next.valid_from)
            {
                // Report the row that comes later in the file as the culprit.
                let (row, r, other, o) = if ni > pi {
                    (*ni, next, *pi, prev)
                } else {
                    (*pi, prev, *ni, next)
                };
                return Err(TableError::Overlap {
                    row,
                    valid_from: r.valid_from,
                    other,
                    other_from: o.valid_from,
                    other_to: o.valid_to.map_or_else(|| "…".to_owned(), |d| d.to_string()),
                });
            }
        }
        Ok(Self {
            rows: indexed.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The rows, sorted by `valid_from`.
    pub fn rows(&self) -> &[Dated<T>] {
        &self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The last day row `i` is in force (`None`: open-ended).
    fn end_of(&self, i: usize) -> Option<NaiveDate> {
        let row = self.rows.get(i)?;
        let next_start = self.rows.get(i + 1).and_then(|n| n.valid_from.pred_opt());
        match (row.valid_to, next_start) {
            (Some(to), Some(n)) => Some(to.min(n)),
            (Some(to), None) => Some(to),
            (None, n) => n,
        }
    }

    /// Index of the row in force on `date`.
    fn index_at(&self, date: NaiveDate) -> Option<usize> {
        let i = self.rows.partition_point(|r| r.valid_from <= date);
        let i = i.checked_sub(1)?;
        self.end_of(i).is_none_or(|end| date <= end).then_some(i)
    }

    /// The value in force on `date`.
    pub fn at(&self, date: NaiveDate) -> Option<&T> {
        self.index_at(date)
            .and_then(|i| self.rows.get(i))
            .map(|r| &r.value)
    }

    /// Splits `[from, to]` (inclusive) into consecutive inclusive ranges, each with the
    /// value in force; adjacent rows with equal values are merged. Empty if `from > to`.
    ///
    /// A day without a value is an error ([`TableGap`], naming the uncovered stretch)
    /// rather than a silently missing segment: for rates, a missing row means the
    /// configuration is incomplete, and computing "no interest" would be wrong.
    pub fn segments(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, NaiveDate, &T)>, TableGap>
    where
        T: PartialEq,
    {
        let mut out: Vec<(NaiveDate, NaiveDate, &T)> = Vec::new();
        let mut day = from;
        while day <= to {
            let Some(i) = self.index_at(day) else {
                // Uncovered until the next row starts (or the end of the range).
                let next = self
                    .rows
                    .iter()
                    .map(|r| r.valid_from)
                    .find(|f| *f > day)
                    .and_then(|f| f.pred_opt())
                    .map_or(to, |p| p.min(to));
                return Err(TableGap {
                    from: day,
                    to: next,
                });
            };
            let (Some(row), end) = (self.rows.get(i), self.end_of(i)) else {
                break;
            };
            let seg_end = end.map_or(to, |e| e.min(to));
            match out.last_mut() {
                Some(last) if *last.2 == row.value && last.1.succ_opt() == Some(day) => {
                    last.1 = seg_end;
                }
                _ => out.push((day, seg_end, &row.value)),
            }
            match seg_end.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// Parses an array of tables (`[[name]]` rows with `valid_from`, optional `valid_to`
    /// and the value) from TOML. `path` names the array in error messages
    /// (`path[3].valid_from: …`); `value` parses one row's value from the row table and
    /// the row's path, and must check the row's keys it uses (unknown keys other than
    /// those listed in `value_keys` and the dates are rejected).
    pub fn from_toml_rows(
        rows: &toml::Value,
        path: &str,
        value_keys: &[&str],
        value: impl Fn(&toml::Table, &str) -> Result<T, RulesError>,
    ) -> Result<Self, RulesError> {
        let array = rows
            .as_array()
            .ok_or_else(|| RulesError::invalid(path, "expected an array of tables ([[…]])"))?;
        let mut parsed = Vec::with_capacity(array.len());
        for (i, row) in array.iter().enumerate() {
            let row_path = format!("{path}[{i}]");
            let table = row
                .as_table()
                .ok_or_else(|| RulesError::invalid(&row_path, "expected a table"))?;
            check_keys(
                table,
                &row_path,
                &[&["valid_from", "valid_to"], value_keys].concat(),
            )?;
            let valid_from = parse_date(
                required(table, &row_path, "valid_from")?,
                &format!("{row_path}.valid_from"),
            )?;
            let valid_to = table
                .get("valid_to")
                .map(|v| parse_date(v, &format!("{row_path}.valid_to")))
                .transpose()?;
            let value = value(table, &row_path)?;
            parsed.push(Dated {
                valid_from,
                valid_to,
                value,
            });
        }
        Self::new(parsed).map_err(|e| {
            let row = match &e {
                TableError::EndsBeforeStart { row, .. } => format!("{path}[{row}].valid_to"),
                TableError::Overlap { row, .. } => format!("{path}[{row}].valid_from"),
            };
            RulesError::invalid(&row, e.to_string())
        })
    }
}

/// An error in a rules file; `path` names the field (`tax_interest[3].valid_from`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The text is not valid TOML.
    #[error("rules file is not valid TOML: {0}")]
    Syntax(String),
    /// A field is missing or has a wrong value.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl RulesError {
    pub fn invalid(path: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A required key of a TOML table.
pub fn required<'t>(
    table: &'t toml::Table,
    path: &str,
    key: &str,
) -> Result<&'t toml::Value, RulesError> {
    table
        .get(key)
        .ok_or_else(|| RulesError::invalid(&format!("{path}.{key}"), "missing"))
}

/// Rejects keys not in `allowed` (a typo must not silently drop a rule).
pub fn check_keys(table: &toml::Table, path: &str, allowed: &[&str]) -> Result<(), RulesError> {
    match table.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(RulesError::invalid(
            &format!("{path}.{k}"),
            format!("unknown key; expected one of: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// A date: a TOML local date (`2025-05-08`) or a string `"2025-05-08"`.
pub fn parse_date(value: &toml::Value, path: &str) -> Result<NaiveDate, RulesError> {
    let bad = || RulesError::invalid(path, "expected a date like 2025-05-08");
    match value {
        toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(bad)
            }
            _ => Err(RulesError::invalid(
                path,
                "expected a date without a time, like 2025-05-08",
            )),
        },
        toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// An exact decimal: a string (`"14.5"`) or an integer. TOML floats are rejected because
/// they are binary approximations (`0.1` is not 0.1).
pub fn parse_decimal(value: &toml::Value, path: &str) -> Result<Decimal, RulesError> {
    match value {
        toml::Value::String(s) => Decimal::from_str(s.trim())
            .map_err(|_| RulesError::invalid(path, format!("{s:?} is not a decimal number"))),
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(_) => Err(RulesError::invalid(
            path,
            "write decimals as strings, e.g. \"14.5\" (floating-point numbers are inexact)",
        )),
        _ => Err(RulesError::invalid(
            path,
            "expected a decimal number as a string, e.g. \"14.5\"",
        )),
    }
}

/// An amount of money: a string (`"8.70"`) or an integer number of złoty; floats rejected.
pub fn parse_money(value: &toml::Value, path: &str) -> Result<Money, RulesError> {
    match value {
        toml::Value::String(s) => {
            Money::parse(s).map_err(|e| RulesError::invalid(path, e.to_string()))
        }
        toml::Value::Integer(i) => Ok(Money::from_zloty(*i)),
        toml::Value::Float(_) => Err(RulesError::invalid(
            path,
            "write amounts as strings, e.g. \"8.70\" (floating-point numbers are inexact)",
        )),
        _ => Err(RulesError::invalid(
            path,
            "expected an amount as a string, e.g. \"8.70\"",
        )),
    }
}

fn parse_rate(table: &toml::Table, path: &str) -> Result<Decimal, RulesError> {
    let p = format!("{path}.rate");
    let rate = parse_decimal(required(table, path, "rate")?, &p)?;
    if rate < Decimal::ZERO {
        return Err(RulesError::invalid(&p, "a rate cannot be negative"));
    }
    Ok(rate)
}

fn parse_amount(table: &toml::Table, path: &str) -> Result<Money, RulesError> {
    let p = format!("{path}.amount");
    let amount = parse_money(required(table, path, "amount")?, &p)?;
    if amount.is_negative() {
        return Err(RulesError::invalid(&p, "an amount cannot be negative"));
    }
    Ok(amount)
}

/// How a public holiday's date is found each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayKind {
    /// The same day every year.
    Fixed { month: u32, day: u32 },
    /// A number of days after Easter Sunday (0 = Easter Sunday, 1 = Easter Monday,
    /// 49 = Pentecost, 60 = Corpus Christi).
    EasterOffset { days: i64 },
}

/// One public holiday, in force from `valid_from` through `valid_to` when given
/// (6 January became a holiday in 2011, 24 December in 2025).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRule {
    pub name: String,
    pub kind: HolidayKind,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl HolidayRule {
    /// Whether the rule is in force on `date` (regardless of whether it falls on it).
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }
}

/// Easter offsets that keep a holiday inside Easter's year (Easter falls 22 Mar–25 Apr).
const EASTER_OFFSET_RANGE: std::ops::RangeInclusive<i64> = -80..=250;

/// The public holidays (days free from work), which move deadlines (art. 12 § 5 OP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayRules {
    pub rules: Vec<HolidayRule>,
}

impl HolidayRules {
    fn from_toml(value: &toml::Value, path: &str) -> Result<Self, RulesError> {
        let array = value
            .as_array()
            .ok_or_else(|| RulesError::invalid(path, "expected an array of tables ([[…]])"))?;
        let mut rules = Vec::with_capacity(array.len());
        for (i, row) in array.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let t = row
                .as_table()
                .ok_or_else(|| RulesError::invalid(&p, "expected a table"))?;
            check_keys(
                t,
                &p,
                &[
                    "name",
                    "month",
                    "day",
                    "easter_offset",
                    "valid_from",
                    "valid_to",
                ],
            )?;
            let name = required(t, &p, "name")?
                .as_str()
                .ok_or_else(|| RulesError::invalid(&format!("{p}.name"), "expected a string"))?
                .to_owned();
            let int = |key: &str| -> Result<Option<i64>, RulesError> {
                t.get(key)
                    .map(|v| {
                        v.as_integer().ok_or_else(|| {
                            RulesError::invalid(&format!("{p}.{key}"), "expected an integer")
                        })
                    })
                    .transpose()
            };
            let kind = match (int("month")?, int("day")?, int("easter_offset")?) {
                (Some(month), Some(day), None) => {
                    let (month, day) = fixed_day(month, day).ok_or_else(|| {
                        RulesError::invalid(
                            &format!("{p}.day"),
                            format!("{month}-{day} is not a day of the year"),
                        )
                    })?;
                    HolidayKind::Fixed { month, day }
                }
                (None, None, Some(days)) if EASTER_OFFSET_RANGE.contains(&days) => {
                    HolidayKind::EasterOffset { days }
                }
                (None, None, Some(_)) => {
                    return Err(RulesError::invalid(
                        &format!("{p}.easter_offset"),
                        "must keep the holiday within Easter's year (-80..=250 days)",
                    ));
                }
                _ => {
                    return Err(RulesError::invalid(
                        &p,
                        "give either month and day, or easter_offset (days after Easter Sunday)",
                    ));
                }
            };
            let valid_from = t
                .get("valid_from")
                .map(|v| parse_date(v, &format!("{p}.valid_from")))
                .transpose()?;
            let valid_to = t
                .get("valid_to")
                .map(|v| parse_date(v, &format!("{p}.valid_to")))
                .transpose()?;
            if let (Some(f), Some(to)) = (valid_from, valid_to)
                && to < f
            {
                return Err(RulesError::invalid(
                    &format!("{p}.valid_to"),
                    format!("{to} is before valid_from {f}"),
                ));
            }
            rules.push(HolidayRule {
                name,
                kind,
                valid_from,
                valid_to,
            });
        }
        Ok(Self { rules })
    }
}

/// A month and day that exist in some year (29 February included).
fn fixed_day(month: i64, day: i64) -> Option<(u32, u32)> {
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    // 2024 is a leap year, so 29 February is accepted.
    NaiveDate::from_ymd_opt(2024, month, day).map(|d| (d.month(), d.day()))
}

/// The national rules: numbers set by statute, regulation or NBP decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalRules {
    /// Odsetki za zwłokę, annual rate in percent (art. 56 § 1 OP), e.g. 14.5.
    pub tax_interest: DatedTable<Decimal>,
    /// The reduced rate (art. 56a OP), annual percent.
    pub tax_interest_reduced: DatedTable<Decimal>,
    /// Odsetki ustawowe za opóźnienie (art. 481 § 2 kc), annual percent.
    pub civil_interest: DatedTable<Decimal>,
    /// No tax interest is charged when it would be at or below this (art. 54 § 1 pkt 5 OP).
    pub tax_interest_threshold: DatedTable<Money>,
    /// Property, agricultural and forest tax of natural persons at or below this is paid
    /// in one sum (art. 6 ust. 7 upol); the table is read at 1 January of the tax year.
    pub single_payment_threshold: DatedTable<Money>,
    /// Cost of an upomnienie (art. 15 § 4 upea).
    pub dunning_cost: DatedTable<Money>,
    /// Public holidays.
    pub holidays: HolidayRules,
}

impl NationalRules {
    /// Parses the national rules file; errors name the field (`tax_interest[3].valid_from: …`).
    pub fn from_toml(text: &str) -> Result<NationalRules, RulesError> {
        let root: toml::Table =
            toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        const KEYS: [&str; 7] = [
            "tax_interest",
            "tax_interest_reduced",
            "civil_interest",
            "tax_interest_threshold",
            "single_payment_threshold",
            "dunning_cost",
            "holidays",
        ];
        if let Some(k) = root.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(RulesError::invalid(
                k,
                format!("unknown key; expected one of: {}", KEYS.join(", ")),
            ));
        }
        let get = |key: &str| {
            root.get(key)
                .ok_or_else(|| RulesError::invalid(key, "missing"))
        };
        let rates = |key: &str| DatedTable::from_toml_rows(get(key)?, key, &["rate"], parse_rate);
        let amounts =
            |key: &str| DatedTable::from_toml_rows(get(key)?, key, &["amount"], parse_amount);
        Ok(NationalRules {
            tax_interest: rates("tax_interest")?,
            tax_interest_reduced: rates("tax_interest_reduced")?,
            civil_interest: rates("civil_interest")?,
            tax_interest_threshold: amounts("tax_interest_threshold")?,
            single_payment_threshold: amounts("single_payment_threshold")?,
            dunning_cost: amounts("dunning_cost")?,
            holidays: HolidayRules::from_toml(get("holidays")?, "holidays")?,
        })
    }

    /// The rules embedded in the binary from `rules/national.toml`. The file is parsed in
    /// a test, so an error here means the binary was built from an untested file.
    pub fn embedded() -> Result<NationalRules, RulesError> {
        Self::from_toml(NATIONAL_TOML)
    }
}

impl fmt::Display for HolidayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolidayKind::Fixed { month, day } => write!(f, "{month:02}-{day:02}"),
            HolidayKind::EasterOffset { days } => write!(f, "Easter{days:+}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn row(from: &str, to: Option<&str>, v: i32) -> Dated<i32> {
        Dated {
            valid_from: d(from),
            valid_to: to.map(d),
            value: v,
        }
    }

    #[test]
    fn embedded_rules_parse() {
        let r = NationalRules::embedded().unwrap();
        assert_eq!(r.tax_interest.at(d("2025-05-07")), Some(&dec!(14.5)));
        assert_eq!(r.tax_interest.at(d("2025-05-08")), Some(&dec!(13.5)));
        assert_eq!(r.tax_interest.at(d("2025-12-04")), Some(&dec!(11.0)));
        assert_eq!(r.tax_interest.at(d("2022-09-08")), Some(&dec!(16.5)));
        assert_eq!(r.tax_interest_reduced.at(d("2025-12-04")), Some(&dec!(5.5)));
        assert_eq!(r.civil_interest.at(d("2025-10-20")), Some(&dec!(10.00)));
        assert_eq!(r.civil_interest.at(d("2025-12-04")), Some(&dec!(9.50)));
        assert_eq!(
            r.tax_interest_threshold.at(d("2025-01-01")),
            Some(&Money::from_grosze(870))
        );
        assert_eq!(
            r.single_payment_threshold.at(d("2025-01-01")),
            Some(&Money::from_zloty(100))
        );
        assert_eq!(
            r.dunning_cost.at(d("2021-10-12")),
            Some(&Money::from_grosze(1160))
        );
        assert_eq!(
            r.dunning_cost.at(d("2021-10-13")),
            Some(&Money::from_zloty(16))
        );
        assert_eq!(r.holidays.rules.len(), 14);
    }

    #[test]
    fn open_ended_rows_last_until_the_next() {
        let t =
            DatedTable::new(vec![row("2025-05-08", None, 2), row("2025-01-01", None, 1)]).unwrap();
        assert_eq!(t.at(d("2024-12-31")), None);
        assert_eq!(t.at(d("2025-05-07")), Some(&1));
        assert_eq!(t.at(d("2025-05-08")), Some(&2));
        assert_eq!(t.at(d("2099-01-01")), Some(&2));
        assert_eq!(t.rows()[0].value, 1);
    }

    #[test]
    fn closed_rows_leave_gaps() {
        let t = DatedTable::new(vec![
            row("2025-01-01", Some("2025-01-31"), 1),
            row("2025-03-01", Some("2025-03-31"), 2),
        ])
        .unwrap();
        assert_eq!(t.at(d("2025-01-31")), Some(&1));
        assert_eq!(t.at(d("2025-02-01")), None);
        assert_eq!(t.at(d("2025-04-01")), None);
        assert_eq!(
            t.segments(d("2025-01-15"), d("2025-03-10")),
            Err(TableGap {
                from: d("2025-02-01"),
                to: d("2025-02-28")
            })
        );
        assert_eq!(
            t.segments(d("2025-03-10"), d("2025-04-10")),
            Err(TableGap {
                from: d("2025-04-01"),
                to: d("2025-04-10")
            })
        );
        assert!(t.segments(d("2024-12-01"), d("2025-01-10")).is_err());
    }

    #[test]
    fn segments_split_where_the_value_changes() {
        let t = DatedTable::new(vec![
            row("2025-01-01", None, 1),
            row("2025-02-01", None, 1),
            row("2025-03-01", None, 2),
        ])
        .unwrap();
        let s = t.segments(d("2025-01-10"), d("2025-03-05")).unwrap();
        assert_eq!(
            s,
            vec![
                (d("2025-01-10"), d("2025-02-28"), &1),
                (d("2025-03-01"), d("2025-03-05"), &2)
            ]
        );
        assert_eq!(
            t.segments(d("2025-03-05"), d("2025-03-04")).unwrap(),
            vec![]
        );
        assert_eq!(
            t.segments(d("2025-03-05"), d("2025-03-05")).unwrap(),
            vec![(d("2025-03-05"), d("2025-03-05"), &2)]
        );
    }

    #[test]
    fn overlaps_are_rejected_naming_the_row() {
        let e = DatedTable::new(vec![
            row("2025-01-01", Some("2025-03-01"), 1),
            row("2025-03-01", None, 2),
        ])
        .unwrap_err();
        assert!(
            matches!(
                e,
                TableError::Overlap {
                    row: 1,
                    other: 0,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = DatedTable::new(vec![row("2025-01-01", None, 1), row("2025-01-01", None, 2)])
            .unwrap_err();
        assert!(matches!(e, TableError::Overlap { row: 1, .. }));
        let e = DatedTable::new(vec![row("2025-02-01", Some("2025-01-01"), 1)]).unwrap_err();
        assert!(matches!(e, TableError::EndsBeforeStart { row: 0, .. }));
        // Touching rows are fine.
        DatedTable::new(vec![
            row("2025-01-01", Some("2025-02-28"), 1),
            row("2025-03-01", None, 2),
        ])
        .unwrap();
    }

    const MINIMAL: &str = r#"
        tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }]
        tax_interest_reduced = [{ valid_from = 2025-01-01, rate = "7.25" }]
        civil_interest = [{ valid_from = "2025-01-01", rate = 11 }]
        tax_interest_threshold = [{ valid_from = 2014-02-01, amount = "8.70" }]
        single_payment_threshold = [{ valid_from = 2014-02-01, amount = 100 }]
        dunning_cost = [{ valid_from = 2021-10-13, amount = "16.00" }]
        holidays = [{ name = "Nowy Rok", month = 1, day = 1 }, { name = "Wigilia", month = 12, day = 24, valid_from = 2025-01-01 }, { name = "Wielkanoc", easter_offset = 0 }]
    "#;

    #[test]
    fn from_toml_minimal() {
        let r = NationalRules::from_toml(MINIMAL).unwrap();
        assert_eq!(r.civil_interest.at(d("2025-06-01")), Some(&dec!(11)));
        assert_eq!(
            r.single_payment_threshold.at(d("2025-06-01")),
            Some(&Money::from_zloty(100))
        );
        assert_eq!(r.holidays.rules[1].valid_from, Some(d("2025-01-01")));
        assert_eq!(
            r.holidays.rules[2].kind,
            HolidayKind::EasterOffset { days: 0 }
        );
    }

    fn err(text: &str) -> String {
        NationalRules::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        let bad = MINIMAL.replace(r#"rate = "14.5""#, "rate = 14.5");
        assert!(
            err(&bad).starts_with("tax_interest[0].rate: write decimals as strings"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(r#"rate = "7.25""#, r#"rate = "abc""#);
        assert!(
            err(&bad).starts_with("tax_interest_reduced[0].rate: "),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(r#"rate = "7.25""#, r#"rate = "-1""#);
        assert_eq!(
            err(&bad),
            "tax_interest_reduced[0].rate: a rate cannot be negative"
        );
        let bad = MINIMAL.replace(
            r#"tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }]"#,
            r#"tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }, { valid_from = 2025-13-01, rate = "1" }]"#,
        );
        assert!(
            err(&bad).starts_with("rules file is not valid TOML"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(
            r#"tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }]"#,
            r#"tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }, { valid_from = "2025-02-30", rate = "1" }]"#,
        );
        assert_eq!(
            err(&bad),
            "tax_interest[1].valid_from: expected a date like 2025-05-08"
        );
        let bad = MINIMAL.replace(
            r#"tax_interest = [{ valid_from = 2025-01-01, rate = "14.5" }]"#,
            r#"tax_interest = [{ valid_from = 2025-01-01, valid_to = 2025-06-01, rate = "14.5" }, { valid_from = 2025-05-08, rate = "1" }, { valid_from = 2025-01-01, rate = "2" }]"#,
        );
        assert!(
            err(&bad).starts_with(
                "tax_interest[2].valid_from: row 2 (valid from 2025-01-01) overlaps row 0"
            ),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(r#"amount = "8.70""#, r#"amount = "8.70", amuont = 1"#);
        assert!(
            err(&bad).starts_with("tax_interest_threshold[0].amuont: unknown key"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(r#"amount = "8.70""#, r#"amount = "8.705""#);
        assert!(
            err(&bad).starts_with("tax_interest_threshold[0].amount: "),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(
            r#"valid_from = 2014-02-01, amount = 100"#,
            r#"amount = 100"#,
        );
        assert_eq!(err(&bad), "single_payment_threshold[0].valid_from: missing");
        let bad = MINIMAL.replace("month = 1, day = 1", "month = 2, day = 30");
        assert!(
            err(&bad).starts_with("holidays[0].day: 2-30 is not a day"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(
            "month = 1, day = 1",
            "month = 1, day = 1, easter_offset = 1",
        );
        assert!(
            err(&bad).starts_with("holidays[0]: give either"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace("easter_offset = 0", "easter_offset = 400");
        assert!(
            err(&bad).starts_with("holidays[2].easter_offset: "),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace("dunning_cost", "dunning_costs");
        assert!(
            err(&bad).starts_with("dunning_costs: unknown key"),
            "{}",
            err(&bad)
        );
        let bad = MINIMAL.replace(
            r#"dunning_cost = [{ valid_from = 2021-10-13, amount = "16.00" }]"#,
            "",
        );
        assert_eq!(err(&bad), "dunning_cost: missing");
        let bad = MINIMAL.replace(
            "valid_from = 2021-10-13,",
            "valid_from = 2021-10-13T10:00:00,",
        );
        assert!(
            err(&bad).starts_with("dunning_cost[0].valid_from: expected a date without a time"),
            "{}",
            err(&bad)
        );
    }
}
