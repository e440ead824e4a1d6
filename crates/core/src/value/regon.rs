//! REGON, the Polish statistical business register number.

use std::fmt;

use super::{ValueError, impl_value_traits, only_digits, weighted_sum};

const KIND: &str = "REGON";
const WEIGHTS_9: [u32; 8] = [8, 9, 2, 3, 4, 5, 6, 7];
const WEIGHTS_14: [u32; 13] = [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8];

/// A valid REGON: either 9 digits (a legal entity) or 14 digits (a local
/// unit: the 9-digit REGON of its parent, 4 digits of unit number and a check
/// digit). Both checksums are mod 11 with a remainder of 10 mapped to 0; for a
/// 14-digit REGON the first 9 digits must themselves be a valid REGON.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Regon(String);

impl Regon {
    /// Parses a 9- or 14-digit REGON; surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        let d = only_digits(KIND, s)?;
        if d.len() != 9 && d.len() != 14 {
            return Err(ValueError::new(
                KIND,
                format!("must have 9 or 14 digits, got {}", d.len()),
            ));
        }
        if d.iter().all(|&x| x == 0) {
            return Err(ValueError::new(KIND, "all digits are zero"));
        }
        if d.len() == 14 {
            if d.get(13).copied() != Some(check_digit(&d, &WEIGHTS_14)) {
                return Err(ValueError::new(KIND, "checksum does not match"));
            }
            if d.get(8).copied() != Some(check_digit(&d, &WEIGHTS_9)) {
                return Err(ValueError::new(
                    KIND,
                    "the first 9 digits are not a valid REGON (checksum does not match)",
                ));
            }
        } else if d.get(8).copied() != Some(check_digit(&d, &WEIGHTS_9)) {
            return Err(ValueError::new(KIND, "checksum does not match"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The 9 or 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a 14-digit REGON of a local unit.
    pub fn is_local_unit(&self) -> bool {
        self.0.len() == 14
    }

    /// The 9-digit REGON of the entity (itself for a 9-digit REGON, the parent
    /// entity for a 14-digit one).
    pub fn entity(&self) -> Regon {
        Regon(self.0.get(..9).unwrap_or_default().to_owned())
    }
}

/// Mod-11 check digit over the first `weights.len()` digits; 10 maps to 0.
fn check_digit(d: &[u8], weights: &[u32]) -> u8 {
    match weighted_sum(d, weights) % 11 {
        10 => 0,
        // A remainder of mod 11 is below 11, so it fits in u8.
        r => u8::try_from(r).unwrap_or(0),
    }
}

impl fmt::Display for Regon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl_value_traits!(Regon, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    /// Completes 13 digits into a 14-digit REGON with the right check digit.
    fn complete14(first13: &str) -> String {
        format!("{first13}{}", check_digit(&to_digits(first13), &WEIGHTS_14))
    }

    #[test]
    fn zamosc_regon() {
        let r = Regon::parse("950368747").unwrap();
        assert_eq!(r.as_str(), "950368747");
        assert!(!r.is_local_unit());
        assert_eq!(r.entity(), r);
        assert_eq!(r.to_string(), "950368747");
    }

    #[test]
    fn other_valid_nine_digit() {
        // 123456785: remainder 5; 192598184: 4; 000331501: 1 (checked by hand).
        for s in ["123456785", "192598184", "000331501", " 950368747 "] {
            assert!(Regon::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn remainder_ten_maps_to_zero() {
        // Prefix 00000003: 3 * 7 = 21, 21 % 11 = 10, so the check digit is 0.
        assert!(Regon::parse("000000030").is_ok());
        assert!(Regon::parse("000000031").is_err());
    }

    #[test]
    fn valid_fourteen_digit() {
        // Computed by hand: local units 0001 and 0002 of Urząd Miasta Zamość's REGON.
        for s in ["95036874700015", "95036874700022", "12345678512347"] {
            let r = Regon::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(r.is_local_unit());
        }
        let r = Regon::parse("95036874700015").unwrap();
        assert_eq!(r.entity().as_str(), "950368747");
        assert_eq!(complete14("9503687470001"), "95036874700015");
    }

    #[test]
    fn bad_checksums() {
        assert_eq!(
            Regon::parse("950368748").unwrap_err().to_string(),
            "invalid REGON: checksum does not match"
        );
        assert_eq!(
            Regon::parse("95036874700016").unwrap_err().reason,
            "checksum does not match"
        );
        // 14-digit checksum right, but the embedded 9-digit REGON is wrong.
        let bad_base = complete14("9503687480001");
        assert_eq!(
            Regon::parse(&bad_base).unwrap_err().reason,
            "the first 9 digits are not a valid REGON (checksum does not match)"
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(
            Regon::parse("95036874").unwrap_err().reason,
            "must have 9 or 14 digits, got 8"
        );
        assert_eq!(
            Regon::parse("9503687470001").unwrap_err().reason,
            "must have 9 or 14 digits, got 13"
        );
        assert!(Regon::parse("95036874a").is_err());
        assert!(Regon::parse("950-368-747").is_err());
        assert!(Regon::parse("9503687470001a").is_err());
        assert!(Regon::parse("").is_err());
        assert_eq!(
            Regon::parse("000000000").unwrap_err().reason,
            "all digits are zero"
        );
        assert!(Regon::parse("00000000000000").is_err());
    }

    #[test]
    fn serde_and_conversions() {
        let r: Regon = "950368747".parse().unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"950368747\"");
        assert_eq!(serde_json::from_str::<Regon>("\"950368747\"").unwrap(), r);
        assert!(serde_json::from_str::<Regon>("\"950368748\"").is_err());
        assert_eq!(Regon::try_from(String::from("950368747")).unwrap(), r);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Regon::parse(&s);
        }

        #[test]
        fn valid_base_plus_unit_is_valid(unit in "[0-9]{4}") {
            let r = Regon::parse(&complete14(&format!("950368747{unit}"))).unwrap();
            let entity = r.entity();
            prop_assert_eq!(entity.as_str(), "950368747");
        }
    }
}
