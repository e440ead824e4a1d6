//! Polish postal code (kod pocztowy).

use std::fmt;

use super::{ValueError, describe_char, impl_value_traits};

const KIND: &str = "postal code";

/// A Polish postal code in the form `NN-NNN`, e.g. `22-400` (Zamość).
///
/// Only the `NN-NNN` form is accepted (surrounding whitespace is ignored);
/// `22400` or `22 400` are rejected so that stored data has one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostalCode([u8; 6]);

impl PostalCode {
    /// Parses a postal code of the form `NN-NNN`.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValueError::new(KIND, "is empty"));
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_digit() && *c != '-') {
            return Err(ValueError::new(
                KIND,
                format!("must have the form NN-NNN, found {}", describe_char(c)),
            ));
        }
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 6
            && bytes.iter().enumerate().all(|(i, b)| match i {
                2 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_formed {
            return Err(ValueError::new(
                KIND,
                "must have the form NN-NNN (two digits, a hyphen, three digits)",
            ));
        }
        let mut out = [0u8; 6];
        out.copy_from_slice(bytes);
        Ok(Self(out))
    }

    /// The code as `NN-NNN`.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and '-' are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The first two digits: the postal district (okręg pocztowy).
    pub fn district(&self) -> &str {
        self.as_str().get(..2).unwrap_or_default()
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl_value_traits!(PostalCode, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid() {
        for s in ["22-400", "00-001", "99-999", " 22-400 "] {
            let p = PostalCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.as_str(), s.trim());
        }
        let p = PostalCode::parse("22-400").unwrap();
        assert_eq!(p.to_string(), "22-400");
        assert_eq!(p.district(), "22");
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "22400",
            "22 400",
            "224-00",
            "2-2400",
            "22-40",
            "22-4000",
            "22--400",
            "-22400",
            "22-40a",
            "22–400",
            "aa-bbb",
            "22-400-",
            "٢٢-٤٠٠",
        ] {
            assert!(PostalCode::parse(s).is_err(), "{s:?} accepted");
        }
        assert_eq!(
            PostalCode::parse("22 400").unwrap_err().to_string(),
            "invalid postal code: must have the form NN-NNN, found character \\u{20}"
        );
        assert_eq!(
            PostalCode::parse("22400").unwrap_err().reason,
            "must have the form NN-NNN (two digits, a hyphen, three digits)"
        );
    }

    #[test]
    fn serde_and_conversions() {
        let p: PostalCode = "22-400".parse().unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"22-400\"");
        assert_eq!(serde_json::from_str::<PostalCode>("\"22-400\"").unwrap(), p);
        assert!(serde_json::from_str::<PostalCode>("\"22400\"").is_err());
        assert_eq!(PostalCode::try_from(String::from("22-400")).unwrap(), p);
        assert_eq!(String::from(p), "22-400");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = PostalCode::parse(&s);
        }

        #[test]
        fn all_well_formed_accepted(a in 0u32..100, b in 0u32..1000) {
            let s = format!("{a:02}-{b:03}");
            let p = PostalCode::parse(&s).unwrap();
            prop_assert_eq!(p.as_str(), s.as_str());
        }
    }
}
