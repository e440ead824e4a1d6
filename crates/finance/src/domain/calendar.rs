//! Working days for payment deadlines.
//!
//! A deadline that falls on a Saturday, a Sunday or a public holiday moves to the next
//! working day (art. 12 § 5 OP). Which days are holidays is configuration
//! ([`HolidayRules`], dated: 24 December became one only in 2025); this module only knows
//! how to find Easter and walk the calendar.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::rules::{HolidayKind, HolidayRules};

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian
/// algorithm of Meeus/Jones/Butcher, an arithmetic form of Gauss's method).
///
/// Saturates to `NaiveDate::MIN`/`MAX` for years chrono cannot represent.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction.
    let (month, day) = (
        u32::try_from(month).unwrap_or(3),
        u32::try_from(day).unwrap_or(1),
    );
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// How far [`Calendar::next_working_day`] looks before giving up (only a configuration
/// that declares weeks of consecutive holidays could reach it).
const MAX_SEARCH_DAYS: u32 = 366;

/// The working-day calendar defined by a set of holiday rules.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a>(pub &'a HolidayRules);

impl<'a> Calendar<'a> {
    pub fn new(holidays: &'a HolidayRules) -> Self {
        Self(holidays)
    }

    /// Whether `date` is a public holiday in force on that date.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holiday_name(date).is_some()
    }

    /// The name of the public holiday on `date`, if any.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&'a str> {
        let mut easter: Option<NaiveDate> = None;
        self.0
            .rules
            .iter()
            .filter(|r| r.in_force(date))
            .find(|r| match r.kind {
                HolidayKind::Fixed { month, day } => date.month() == month && date.day() == day,
                HolidayKind::EasterOffset { days } => {
                    let e = *easter.get_or_insert_with(|| easter_sunday(date.year()));
                    e.checked_add_signed(chrono::Duration::days(days)) == Some(date)
                }
            })
            .map(|r| r.name.as_str())
    }

    /// Saturdays, Sundays and public holidays are not working days for deadlines
    /// (art. 12 § 5 OP).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// The deadline that applies when the nominal one is `date`: `date` itself if it is
    /// a working day, else the next working day. (If the configuration left no working
    /// day within a year, the day a year later is returned rather than looping.)
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        for _ in 0..MAX_SEARCH_DAYS {
            if self.is_working_day(day) {
                return day;
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => return day,
            }
        }
        day
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::rules::NationalRules;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_dates() {
        for (year, date) in [
            (1961, "1961-04-02"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), d(date), "{year}");
        }
        assert_eq!(easter_sunday(i32::MAX), NaiveDate::MAX);
    }

    #[test]
    fn polish_holidays() {
        let rules = NationalRules::embedded().unwrap();
        let cal = Calendar::new(&rules.holidays);
        // Weekend: 15 Mar 2025 is a Saturday.
        assert!(!cal.is_working_day(d("2025-03-15")));
        assert!(!cal.is_holiday(d("2025-03-15")));
        assert_eq!(cal.next_working_day(d("2025-03-15")), d("2025-03-17"));
        assert_eq!(cal.next_working_day(d("2025-03-17")), d("2025-03-17"));
        // Wigilia: a holiday only from 2025.
        assert!(cal.is_working_day(d("2024-12-24")));
        assert!(!cal.is_working_day(d("2025-12-24")));
        assert_eq!(
            cal.holiday_name(d("2025-12-24")),
            Some("Wigilia Bożego Narodzenia")
        );
        // 24-26 Dec 2025 (Wed-Fri), then the weekend.
        assert_eq!(cal.next_working_day(d("2025-12-24")), d("2025-12-29"));
        // Trzech Króli only from 2011.
        assert!(cal.is_working_day(d("2010-01-06")));
        assert!(cal.is_holiday(d("2011-01-06")));
        // Movable feasts.
        assert_eq!(cal.holiday_name(d("2026-06-04")), Some("Boże Ciało"));
        assert!(cal.is_holiday(d("2026-05-24"))); // Pentecost
        assert!(cal.is_holiday(d("2025-04-21"))); // Easter Monday
        assert!(cal.is_working_day(d("2025-04-22")));
        // 31 Mar 2024 Easter Sunday, 1 Apr Easter Monday.
        assert_eq!(cal.next_working_day(d("2024-03-31")), d("2024-04-02"));
        // 1 Nov 2025 on a Saturday: a holiday and a weekend day, Monday 3 Nov is next.
        assert!(cal.is_holiday(d("2025-11-01")));
        assert_eq!(cal.next_working_day(d("2025-11-01")), d("2025-11-03"));
        // 15 Aug 2026: a Saturday and a holiday.
        assert_eq!(cal.next_working_day(d("2026-08-15")), d("2026-08-17"));
        // 1 May 2025 (Thu) → 2 May (Fri) is a working day; 3 May 2025 is a Saturday.
        assert_eq!(cal.next_working_day(d("2025-05-01")), d("2025-05-02"));
        assert_eq!(cal.next_working_day(d("2025-05-03")), d("2025-05-05"));
        // Every configured holiday in 2025 is found (14 rules, all in force).
        let count = (0..365)
            .map(|i| d("2025-01-01") + chrono::Duration::days(i))
            .filter(|day| cal.is_holiday(*day))
            .count();
        assert_eq!(count, 14);
    }

    #[test]
    fn pathological_configuration_does_not_loop() {
        use crate::rules::HolidayRule;
        let rules = HolidayRules {
            rules: (0..400)
                .map(|i| HolidayRule {
                    name: format!("h{i}"),
                    kind: HolidayKind::EasterOffset { days: i - 100 },
                    valid_from: None,
                    valid_to: None,
                })
                .collect(),
        };
        let cal = Calendar::new(&rules);
        let start = d("2025-03-01");
        assert!(cal.next_working_day(start) > start);
    }
}
