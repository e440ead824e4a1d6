//! Time as a dependency: production reads the system clock, tests set and advance their own.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The last Sunday of `month` (March or October, both 31 days long) in `year`.
pub fn last_sunday_of(year: i32, month: u32) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let last = chrono::NaiveDate::from_ymd_opt(year, month, 31)?;
    let back = i64::from(last.weekday().num_days_from_sunday());
    last.checked_sub_signed(chrono::TimeDelta::days(back))
}

/// The offset of Europe/Warsaw from UTC at `at`, in hours: 2 (CEST) from the last Sunday of
/// March 01:00 UTC until the last Sunday of October 01:00 UTC, 1 (CET) otherwise (the EU
/// rule, without a time-zone database).
pub fn warsaw_offset_hours(at: chrono::DateTime<chrono::Utc>) -> i64 {
    use chrono::Datelike;
    let year = at.year();
    let switch = |month| last_sunday_of(year, month).and_then(|d| d.and_hms_opt(1, 0, 0));
    match (switch(3), switch(10)) {
        (Some(start), Some(end)) => {
            let t = at.naive_utc();
            if t >= start && t < end { 2 } else { 1 }
        }
        _ => 1,
    }
}

/// `at` as Europe/Warsaw wall-clock time: what residents and the law (art. 60 OP) count in.
pub fn warsaw_local(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    let utc = at.naive_utc();
    utc.checked_add_signed(chrono::TimeDelta::hours(warsaw_offset_hours(at)))
        .unwrap_or(utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(16));
        assert_eq!(clock.now() - start, Duration::minutes(16));
    }
}
