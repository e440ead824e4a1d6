//! Validated value types of Polish public administration: PESEL, NIP, REGON,
//! NRB (bank account number), postal code, e-mail address and the number of an
//! administrative document.
//!
//! Every type can only be built through validation (`parse`, [`FromStr`],
//! [`TryFrom<String>`], serde `Deserialize`), so a value of the type is always
//! valid. Failures are reported as a [`ValueError`] naming the kind of value
//! and a specific reason. Reasons never repeat the input: a mistyped PESEL is
//! still personal data and must not end up in logs.
//!
//! [`FromStr`]: std::str::FromStr

mod document_number;
mod email;
mod nip;
mod nrb;
mod pesel;
mod postal_code;
mod regon;

pub use document_number::DocumentNumber;
pub use email::Email;
pub use nip::Nip;
pub use nrb::Nrb;
pub use pesel::{Pesel, Sex};
pub use postal_code::PostalCode;
pub use regon::Regon;

/// A value failed validation.
///
/// Displays as `invalid {kind}: {reason}`, e.g.
/// `invalid PESEL: checksum does not match`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct ValueError {
    /// The kind of value, e.g. `"PESEL"`, `"NIP"`, `"e-mail address"`.
    pub kind: &'static str,
    /// What exactly is wrong; never contains the rejected input itself.
    pub reason: String,
}

impl ValueError {
    /// Creates an error for the given kind of value.
    pub fn new(kind: &'static str, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

/// Checks that `s` consists of exactly `len` ASCII digits and returns their
/// numeric values. The reasons name the problem without echoing the input.
pub(crate) fn digits(kind: &'static str, s: &str, len: usize) -> Result<Vec<u8>, ValueError> {
    let d = only_digits(kind, s)?;
    if d.len() != len {
        return Err(ValueError::new(
            kind,
            format!("must have {len} digits, got {}", d.len()),
        ));
    }
    Ok(d)
}

/// Checks that `s` is non-empty and consists only of ASCII digits, and returns
/// their numeric values.
pub(crate) fn only_digits(kind: &'static str, s: &str) -> Result<Vec<u8>, ValueError> {
    if s.is_empty() {
        return Err(ValueError::new(kind, "is empty"));
    }
    if let Some((pos, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(ValueError::new(
            kind,
            format!(
                "must contain only digits, found {} at position {}",
                describe_char(c),
                pos + 1
            ),
        ));
    }
    Ok(s.bytes().map(|b| b - b'0').collect())
}

/// Describes a rejected character for an error message, making whitespace and
/// control characters visible.
pub(crate) fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("character {}", c.escape_unicode())
    } else {
        format!("character '{c}'")
    }
}

/// Weighted sum of digits; `weights` may be shorter than `digits`.
pub(crate) fn weighted_sum(digits: &[u8], weights: &[u32]) -> u32 {
    digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum()
}

/// Implements `FromStr`, `TryFrom<String>`, `TryFrom<&str>` and serde
/// `Deserialize` (all validating through `parse`) for a value type. With
/// `serialize`, also implements `Serialize` as the canonical string returned by
/// `as_str()`, `AsRef<str>` and `From<T> for String`.
macro_rules! impl_value_traits {
    ($ty:ident) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::value::ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }

        impl ::std::convert::TryFrom<String> for $ty {
            type Error = $crate::value::ValueError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $ty::parse(&s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $ty {
            type Error = $crate::value::ValueError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $ty::parse(s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                $ty::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
    ($ty:ident, serialize) => {
        impl_value_traits!($ty);

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl ::std::convert::From<$ty> for String {
            fn from(v: $ty) -> String {
                v.as_str().to_owned()
            }
        }

        impl ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}
pub(crate) use impl_value_traits;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn display_format() {
        let e = ValueError::new("PESEL", "checksum does not match");
        assert_eq!(e.to_string(), "invalid PESEL: checksum does not match");
    }

    #[test]
    fn digits_reasons() {
        assert_eq!(digits("X", "", 3).unwrap_err().reason, "is empty");
        assert_eq!(
            digits("X", "12a", 3).unwrap_err().reason,
            "must contain only digits, found character 'a' at position 3"
        );
        assert_eq!(
            digits("X", "1 2", 3).unwrap_err().reason,
            "must contain only digits, found character \\u{20} at position 2"
        );
        assert_eq!(
            digits("X", "1234", 3).unwrap_err().reason,
            "must have 3 digits, got 4"
        );
        assert_eq!(digits("X", "123", 3).unwrap(), vec![1, 2, 3]);
        // Non-ASCII digits are not digits.
        assert!(digits("X", "١٢٣", 3).is_err());
    }
}
