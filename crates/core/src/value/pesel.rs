//! PESEL, the Polish national identification number.

use std::fmt;

use chrono::NaiveDate;

use super::{ValueError, digits, impl_value_traits, weighted_sum};

const KIND: &str = "PESEL";
const WEIGHTS: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

/// Sex encoded in a PESEL (the 10th digit: odd for male, even for female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sex {
    Female,
    Male,
}

/// A valid PESEL: 11 digits with a correct checksum and a possible birth date
/// (years 1800–2299).
///
/// A PESEL is personal data. `Debug` and `Display` print only the masked form
/// (`*******1234`), and the type deliberately does not implement
/// `serde::Serialize`, so it cannot end up in logs or JSON by accident. Use
/// [`Pesel::reveal`] in the few places where the law requires the full number.
/// `Deserialize` is implemented and validates.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pesel {
    value: String,
    birth_date: NaiveDate,
}

impl Pesel {
    /// Parses a PESEL. Surrounding whitespace is ignored; inside, exactly 11
    /// digits are required.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        let d = digits(KIND, s, 11)?;
        let check = (10 - weighted_sum(&d, &WEIGHTS) % 10) % 10;
        if d.get(10).map(|&c| u32::from(c)) != Some(check) {
            return Err(ValueError::new(KIND, "checksum does not match"));
        }
        let birth_date = decode_birth_date(&d)?;
        Ok(Self {
            value: s.to_owned(),
            birth_date,
        })
    }

    /// The birth date encoded in the first six digits.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The sex encoded in the 10th digit.
    pub fn sex(&self) -> Sex {
        match self.value.as_bytes().get(9) {
            Some(b) if (b - b'0') % 2 == 1 => Sex::Male,
            _ => Sex::Female,
        }
    }

    /// The masked form showing only the last 4 digits, e.g. `*******1234`.
    pub fn masked(&self) -> String {
        let last4 = self.value.get(7..).unwrap_or_default();
        format!("*******{last4}")
    }

    /// The full 11-digit number. Only for the places where the law requires
    /// it (e.g. an official document or a register query); never log it.
    pub fn reveal(&self) -> &str {
        &self.value
    }

    /// Computes the check digit for the first 10 digits of a PESEL (given as
    /// ASCII digits); `None` if `first10` is not exactly 10 ASCII digits.
    /// Useful for building test data.
    pub fn check_digit(first10: &str) -> Option<u8> {
        if first10.len() != 10 || !first10.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let d: Vec<u8> = first10.bytes().map(|b| b - b'0').collect();
        u8::try_from((10 - weighted_sum(&d, &WEIGHTS) % 10) % 10).ok()
    }

    /// Age in full years on the given day (0 before the first birthday).
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        day.years_since(self.birth_date).unwrap_or(0)
    }
}

/// Decodes the birth date from the first six digits, using the month offsets
/// 1800–1899: +80, 1900–1999: +0, 2000–2099: +20, 2100–2199: +40,
/// 2200–2299: +60.
fn decode_birth_date(d: &[u8]) -> Result<NaiveDate, ValueError> {
    let num = |i: usize| d.get(i).map_or(0, |&x| u32::from(x));
    let yy = num(0) * 10 + num(1);
    let mm = num(2) * 10 + num(3);
    let dd = num(4) * 10 + num(5);
    let (century, month) = match mm {
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        81..=92 => (1800, mm - 80),
        _ => {
            return Err(ValueError::new(
                KIND,
                "impossible birth date: month field is not a valid month with a century offset",
            ));
        }
    };
    let year = century + yy;
    let year = i32::try_from(year)
        .map_err(|_| ValueError::new(KIND, "impossible birth date: year out of range"))?;
    NaiveDate::from_ymd_opt(year, month, dd).ok_or_else(|| {
        ValueError::new(
            KIND,
            format!("impossible birth date: day {dd} does not exist in month {month} of {year}"),
        )
    })
}

impl fmt::Debug for Pesel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pesel").field(&self.masked()).finish()
    }
}

impl fmt::Display for Pesel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl_value_traits!(Pesel);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Builds a PESEL with a correct check digit from its first 10 digits.
    fn with_check(first10: &str) -> String {
        format!("{first10}{}", Pesel::check_digit(first10).unwrap())
    }

    #[test]
    fn classic_valid_pesel() {
        let p = Pesel::parse("44051401359").unwrap();
        assert_eq!(p.birth_date(), date(1944, 5, 14));
        assert_eq!(p.sex(), Sex::Male);
        assert_eq!(p.reveal(), "44051401359");
        assert_eq!(p.masked(), "*******1359");
    }

    #[test]
    fn more_valid_pesels() {
        // (pesel, birth date, sex), all checked by hand against the weights.
        let cases = [
            ("02070803628", date(1902, 7, 8), Sex::Female),
            ("02270803624", date(2002, 7, 8), Sex::Female),
            ("90090515836", date(1990, 9, 5), Sex::Male),
            ("87123116986", date(1987, 12, 31), Sex::Female),
            ("00210100004", date(2000, 1, 1), Sex::Female),
        ];
        for (s, d, sex) in cases {
            let p = Pesel::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.birth_date(), d, "{s}");
            assert_eq!(p.sex(), sex, "{s}");
        }
    }

    #[test]
    fn check_digit_matches_known() {
        assert_eq!(Pesel::check_digit("4405140135"), Some(9));
        assert_eq!(Pesel::check_digit("440514013"), None);
        assert_eq!(Pesel::check_digit("440514013x"), None);
    }

    #[test]
    fn all_century_offsets() {
        let cases = [
            ("998112", date(1899, 1, 12)),
            ("990112", date(1999, 1, 12)),
            ("012112", date(2001, 1, 12)),
            ("054228", date(2105, 2, 28)),
            ("997231", date(2299, 12, 31)),
        ];
        for (prefix, d) in cases {
            let p = Pesel::parse(&with_check(&format!("{prefix}0000"))).unwrap();
            assert_eq!(p.birth_date(), d, "{prefix}");
        }
    }

    #[test]
    fn sex_from_tenth_digit() {
        for digit in 0..10u8 {
            let p = Pesel::parse(&with_check(&format!("440514013{digit}"))).unwrap();
            let expected = if digit % 2 == 1 {
                Sex::Male
            } else {
                Sex::Female
            };
            assert_eq!(p.sex(), expected);
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let p = Pesel::parse("  44051401359\n").unwrap();
        assert_eq!(p.reveal(), "44051401359");
    }

    #[test]
    fn bad_checksum() {
        let e = Pesel::parse("44051401358").unwrap_err();
        assert_eq!(e.to_string(), "invalid PESEL: checksum does not match");
    }

    #[test]
    fn wrong_length() {
        let e = Pesel::parse("4405140135").unwrap_err();
        assert_eq!(e.reason, "must have 11 digits, got 10");
        assert!(Pesel::parse("440514013590").is_err());
        assert_eq!(Pesel::parse("").unwrap_err().reason, "is empty");
        assert_eq!(Pesel::parse("   ").unwrap_err().reason, "is empty");
    }

    #[test]
    fn non_digits() {
        let e = Pesel::parse("4405140135a").unwrap_err();
        assert_eq!(
            e.reason,
            "must contain only digits, found character 'a' at position 11"
        );
        assert!(Pesel::parse("4405 1401359").is_err());
        assert!(Pesel::parse("44-051401359").is_err());
        assert!(Pesel::parse("4405140135٩").is_err());
    }

    #[test]
    fn impossible_dates() {
        // Month 13, 00, 20, 33, 93 (no century offset fits).
        for mm in ["13", "00", "20", "33", "53", "73", "93"] {
            let e = Pesel::parse(&with_check(&format!("44{mm}140135"))).unwrap_err();
            assert!(e.reason.starts_with("impossible birth date"), "{mm}: {e}");
        }
        // Day 0, day 32, April 31.
        for prefix in ["440500", "440532", "440431"] {
            let e = Pesel::parse(&with_check(&format!("{prefix}0135"))).unwrap_err();
            assert!(
                e.reason.starts_with("impossible birth date"),
                "{prefix}: {e}"
            );
        }
        // February 30 never exists.
        let e = Pesel::parse(&with_check("8402300135")).unwrap_err();
        assert_eq!(
            e.reason,
            "impossible birth date: day 30 does not exist in month 2 of 1984"
        );
        // February 29: 1984 and 2000 are leap years; 1900, 2100 and 1985 are not.
        assert!(Pesel::parse(&with_check("8402290135")).is_ok());
        assert!(Pesel::parse(&with_check("0022290135")).is_ok());
        assert!(Pesel::parse(&with_check("0002290135")).is_err());
        assert!(Pesel::parse(&with_check("0042290135")).is_err());
        assert!(Pesel::parse(&with_check("8502290135")).is_err());
    }

    #[test]
    fn debug_and_display_are_masked() {
        let p = Pesel::parse("44051401359").unwrap();
        assert_eq!(format!("{p}"), "*******1359");
        assert_eq!(format!("{p:?}"), "Pesel(\"*******1359\")");
        assert!(!format!("{p:#?}").contains("44051401359"));
        assert!(!format!("{:?}", Some(&p)).contains("440514"));
    }

    #[test]
    fn errors_do_not_echo_input() {
        for bad in ["44051401358", "4405140135", "44139901359"] {
            let e = Pesel::parse(bad).unwrap_err();
            assert!(!e.to_string().contains(bad), "{e}");
            assert!(!e.to_string().contains("440514"), "{e}");
        }
    }

    #[test]
    fn conversions_and_deserialize() {
        let p: Pesel = "44051401359".parse().unwrap();
        assert_eq!(Pesel::try_from(String::from("44051401359")).unwrap(), p);
        assert_eq!(Pesel::try_from("44051401359").unwrap(), p);
        let p2: Pesel = serde_json::from_str("\"44051401359\"").unwrap();
        assert_eq!(p2, p);
        let e = serde_json::from_str::<Pesel>("\"44051401358\"").unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        assert!(serde_json::from_str::<Pesel>("44051401359").is_err());
    }

    #[test]
    fn age() {
        let p = Pesel::parse("44051401359").unwrap();
        assert_eq!(p.age_on(date(2024, 5, 13)), 79);
        assert_eq!(p.age_on(date(2024, 5, 14)), 80);
        assert_eq!(p.age_on(date(1900, 1, 1)), 0);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Pesel::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_digits(s in "[0-9]{0,14}") {
            let _ = Pesel::parse(&s);
        }

        #[test]
        fn valid_dates_roundtrip(
            days in 0i64..(500 * 366),
            serial in 0u32..10_000,
        ) {
            let d = date(1800, 1, 1) + chrono::Duration::days(days);
            prop_assume!(d.year() <= 2299);
            let offset = match d.year() {
                1800..=1899 => 80,
                1900..=1999 => 0,
                2000..=2099 => 20,
                2100..=2199 => 40,
                _ => 60,
            };
            let first10 = format!(
                "{:02}{:02}{:02}{:04}",
                d.year() % 100,
                d.month() + offset,
                d.day(),
                serial
            );
            let p = Pesel::parse(&with_check(&first10)).unwrap();
            prop_assert_eq!(p.birth_date(), d);
            prop_assert_eq!(p.masked().len(), 11);
            let debug = format!("{p:?}");
            prop_assert!(!debug.contains(&first10));
        }
    }
}
