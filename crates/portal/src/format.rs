//! Polish formatting for the templates: amounts, dates, account numbers.

use chrono::{DateTime, NaiveDate, Utc};
use wspolnota_core::Money;

/// `1 234,50 zł` with non-breaking spaces (groups of thousands, before the currency).
pub fn pln(amount: Money) -> String {
    let plain = amount.to_string();
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    let (whole, grosze) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let sign = if negative { "−" } else { "" };
    format!("{sign}{grouped},{grosze:0<2}\u{a0}zł")
}

/// `15.03.2026`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// `15.03.2026, 14:05` (UTC shown as Polish local time is not known here: UTC is labelled).
pub fn datetime(t: DateTime<Utc>) -> String {
    t.format("%d.%m.%Y, %H:%M UTC").to_string()
}

/// A `YYYY-MM-DD` configuration date as `27.11.2026`; other text unchanged.
pub fn iso_date(raw: &str) -> String {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_or_else(|_| raw.to_owned(), date)
}

/// An NRB in the usual groups: `56 1020 5356 0000 1602 0007 6877`.
pub fn nrb(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let (head, rest) = digits.split_at(digits.len().min(2));
    let mut out = head.to_owned();
    for chunk in rest.as_bytes().chunks(4) {
        out.push(' ');
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_polish_way() {
        assert_eq!(pln(Money::from_grosze(123_450)), "1\u{a0}234,50\u{a0}zł");
        assert_eq!(pln(Money::from_grosze(5)), "0,05\u{a0}zł");
        assert_eq!(pln(Money::from_grosze(-100)), "−1,00\u{a0}zł");
        assert_eq!(
            pln(Money::from_grosze(123_456_789)),
            "1\u{a0}234\u{a0}567,89\u{a0}zł"
        );
    }

    #[test]
    fn account_numbers_are_grouped() {
        assert_eq!(
            nrb("56102053560000160200076877"),
            "56 1020 5356 0000 1602 0007 6877"
        );
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap_or_default()),
            "05.03.2026"
        );
        assert_eq!(iso_date("2026-11-27"), "27.11.2026");
    }
}
