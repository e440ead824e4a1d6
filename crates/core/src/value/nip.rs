//! NIP, the Polish tax identification number.

use std::fmt;

use super::{ValueError, describe_char, digits, impl_value_traits, weighted_sum};

const KIND: &str = "NIP";
const WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];

/// A valid NIP: 10 digits, checksum with weights 6,5,7,2,3,4,5,6,7 mod 11
/// (a remainder of 10 never occurs in a valid NIP).
///
/// Parsing accepts the common written forms: `9222697472`, `922-269-74-72`,
/// `922 269 74 72`, `PL9222697472` (EU VAT form). The canonical form is the
/// 10 plain digits, used by `as_str()`, `Display` and serde.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nip(String);

impl Nip {
    /// Parses a NIP, ignoring surrounding whitespace, `-` and space separators
    /// and an optional `PL` prefix.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        let s = strip_pl_prefix(s);
        if let Some(c) = s.chars().find(|c| c.is_whitespace() && *c != ' ') {
            return Err(ValueError::new(
                KIND,
                format!(
                    "unexpected {} (only '-' and ' ' may separate digits)",
                    describe_char(c)
                ),
            ));
        }
        let compact: String = s.chars().filter(|&c| c != '-' && c != ' ').collect();
        let d = digits(KIND, &compact, 10)?;
        if d.iter().all(|&x| x == 0) {
            return Err(ValueError::new(KIND, "all digits are zero"));
        }
        let rem = weighted_sum(&d, &WEIGHTS) % 11;
        if rem == 10 {
            return Err(ValueError::new(
                KIND,
                "checksum does not match (remainder 10 is never valid)",
            ));
        }
        if d.get(9).map(|&c| u32::from(c)) != Some(rem) {
            return Err(ValueError::new(KIND, "checksum does not match"));
        }
        Ok(Self(compact))
    }

    /// The 10 plain digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The EU VAT form, `PL` followed by the 10 digits.
    pub fn vat_eu(&self) -> String {
        format!("PL{}", self.0)
    }

    /// The common hyphenated form used in Polish documents, `922-269-74-72`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!(
            "{}-{}-{}-{}",
            s.get(0..3).unwrap_or_default(),
            s.get(3..6).unwrap_or_default(),
            s.get(6..8).unwrap_or_default(),
            s.get(8..10).unwrap_or_default()
        )
    }
}

fn strip_pl_prefix(s: &str) -> &str {
    match s.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("PL") => s.get(2..).unwrap_or_default().trim_start(),
        _ => s,
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl_value_traits!(Nip, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Urząd Miasta Zamość.
    const ZAMOSC: &str = "9222697472";

    #[test]
    fn accepts_written_forms() {
        for s in [
            "9222697472",
            "922-269-74-72",
            "922 269 74 72",
            "PL9222697472",
            "pl9222697472",
            "PL 922-269-74-72",
            "  922-26-97-472 ",
        ] {
            let nip = Nip::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(nip.as_str(), ZAMOSC);
        }
    }

    #[test]
    fn other_valid_nips() {
        // Checked by hand against the weights.
        for s in ["5260250995", "1234563218", "7740001454"] {
            assert!(Nip::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn formatting() {
        let nip = Nip::parse("PL 922 269 74 72").unwrap();
        assert_eq!(nip.to_string(), ZAMOSC);
        assert_eq!(nip.formatted(), "922-269-74-72");
        assert_eq!(nip.vat_eu(), "PL9222697472");
        assert_eq!(String::from(nip.clone()), ZAMOSC);
        assert_eq!(nip.as_ref(), ZAMOSC);
    }

    #[test]
    fn bad_checksum() {
        let e = Nip::parse("9222697473").unwrap_err();
        assert_eq!(e.to_string(), "invalid NIP: checksum does not match");
    }

    #[test]
    fn remainder_ten_is_invalid() {
        // Prefix 000000003: 3 * 7 = 21, and 21 % 11 = 10, so no check digit fits.
        let e = Nip::parse("0000000030").unwrap_err();
        assert!(e.reason.contains("remainder 10"), "{e}");
    }

    #[test]
    fn malformed() {
        assert_eq!(
            Nip::parse("922269747").unwrap_err().reason,
            "must have 10 digits, got 9"
        );
        assert!(Nip::parse("92226974721").is_err());
        assert!(Nip::parse("922.269.74.72").is_err());
        assert!(Nip::parse("DE9222697472").is_err());
        assert!(Nip::parse("922\t269 74 72").is_err());
        assert!(Nip::parse("").is_err());
        assert!(Nip::parse("PL").is_err());
        assert_eq!(
            Nip::parse("0000000000").unwrap_err().reason,
            "all digits are zero"
        );
    }

    #[test]
    fn serde_roundtrip() {
        let nip = Nip::parse("922-269-74-72").unwrap();
        let json = serde_json::to_string(&nip).unwrap();
        assert_eq!(json, "\"9222697472\"");
        assert_eq!(serde_json::from_str::<Nip>(&json).unwrap(), nip);
        assert_eq!(
            serde_json::from_str::<Nip>("\"PL9222697472\"").unwrap(),
            nip
        );
        assert!(serde_json::from_str::<Nip>("\"9222697473\"").is_err());
    }

    #[test]
    fn conversions() {
        let a: Nip = "9222697472".parse().unwrap();
        let b = Nip::try_from(String::from("922-269-74-72")).unwrap();
        assert_eq!(a, b);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Nip::parse(&s);
        }

        #[test]
        fn exactly_one_check_digit_is_valid(prefix in "[0-9]{9}") {
            let valid: Vec<String> = (0..10)
                .map(|c| format!("{prefix}{c}"))
                .filter(|s| Nip::parse(s).is_ok())
                .collect();
            prop_assert!(valid.len() <= 1);
        }
    }
}
