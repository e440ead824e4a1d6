//! E-mail address.

use std::fmt;

use super::{ValueError, describe_char, impl_value_traits};

const KIND: &str = "e-mail address";
const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;
/// Characters allowed in the local part besides ASCII letters, digits and '.'
/// (RFC 5322 `atext`).
const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

/// A syntactically valid e-mail address, normalised to lower case.
///
/// Rules (a practical subset of RFC 5321/5322 fit for citizens' addresses):
/// surrounding whitespace is trimmed; at most 254 characters; exactly one `@`;
/// the local part is 1–64 characters of ASCII letters, digits, `.` and
/// ``!#$%&'*+/=?^_`{|}~-``, without a leading, trailing or doubled `.`
/// (quoted local parts are not accepted); the domain has at least two labels
/// separated by dots, each 1–63 characters of `a-z`, `0-9` and `-`, not
/// starting or ending with `-`, and the last label is not all digits.
/// Internationalised domains must be given in their `xn--` (punycode) form.
///
/// Both the local part and the domain are lower-cased, so addresses compare
/// case-insensitively. (Strictly the local part is case-sensitive, but no
/// provider that citizens use treats it so, and one account per person
/// matters more here.)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an e-mail address.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValueError::new(KIND, "is empty"));
        }
        let len = s.chars().count();
        if len > MAX_LEN {
            return Err(ValueError::new(
                KIND,
                format!("is longer than {MAX_LEN} characters ({len})"),
            ));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValueError::new(
                KIND,
                format!(
                    "must not contain whitespace or control characters, found {}",
                    describe_char(c)
                ),
            ));
        }
        let s = s.to_ascii_lowercase();
        let (local, domain) = match s.split_once('@') {
            None => return Err(ValueError::new(KIND, "must contain an '@'")),
            Some((_, d)) if d.contains('@') => {
                return Err(ValueError::new(KIND, "must contain exactly one '@'"));
            }
            Some(parts) => parts,
        };
        check_local(local)?;
        check_domain(domain)?;
        Ok(Self(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(l, _)| l)
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

fn check_local(local: &str) -> Result<(), ValueError> {
    if local.is_empty() {
        return Err(ValueError::new(KIND, "the part before '@' is empty"));
    }
    let len = local.chars().count();
    if len > MAX_LOCAL_LEN {
        return Err(ValueError::new(
            KIND,
            format!("the part before '@' is longer than {MAX_LOCAL_LEN} characters ({len})"),
        ));
    }
    if let Some(c) = local
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || LOCAL_SPECIALS.contains(c)))
    {
        return Err(ValueError::new(
            KIND,
            format!(
                "the part before '@' contains a {} that is not allowed",
                describe_char(c)
            ),
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(ValueError::new(
            KIND,
            "the part before '@' must not start or end with '.' or contain '..'",
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), ValueError> {
    if domain.is_empty() {
        return Err(ValueError::new(KIND, "the domain after '@' is empty"));
    }
    if !domain.contains('.') {
        return Err(ValueError::new(
            KIND,
            "the domain must contain at least one '.' (e.g. gmina.pl)",
        ));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(ValueError::new(
                KIND,
                "the domain must not start or end with '.' or contain '..'",
            ));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(ValueError::new(
                KIND,
                format!("a domain label is longer than {MAX_LABEL_LEN} characters"),
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        {
            return Err(ValueError::new(
                KIND,
                format!(
                    "the domain contains a {} that is not allowed (only letters a-z, digits, '-' and '.'; use the xn-- form for Polish letters)",
                    describe_char(c)
                ),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(ValueError::new(
                KIND,
                "a domain label must not start or end with '-'",
            ));
        }
    }
    let tld = domain.rsplit('.').next().unwrap_or_default();
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::new(
            KIND,
            "the top-level domain must not be all digits",
        ));
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl_value_traits!(Email, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid() {
        for s in [
            "mieszkaniec@zamosc.test",
            "operator@platform.test",
            "jan.kowalski@um.zamosc.pl",
            "a@b.co",
            "first.last+tag@sub-domain.example.com",
            "o'brien@example.ie",
            "x_y-z!#$%&'*+/=?^`{|}~@example.org",
            "user@xn--d-pla.pl",
            "user@123.example.pl",
        ] {
            let e = Email::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(e.as_str(), s);
        }
    }

    #[test]
    fn normalises() {
        let e = Email::parse("  Jan.Kowalski@UM.Zamosc.PL \n").unwrap();
        assert_eq!(e.as_str(), "jan.kowalski@um.zamosc.pl");
        assert_eq!(e.local_part(), "jan.kowalski");
        assert_eq!(e.domain(), "um.zamosc.pl");
        assert_eq!(e.to_string(), "jan.kowalski@um.zamosc.pl");
        assert_eq!(e, Email::parse("jan.kowalski@um.zamosc.pl").unwrap());
    }

    #[test]
    fn invalid_with_reasons() {
        let cases = [
            ("", "is empty"),
            ("   ", "is empty"),
            ("mieszkaniec.zamosc.test", "must contain an '@'"),
            ("a@b@zamosc.test", "must contain exactly one '@'"),
            ("@zamosc.test", "the part before '@' is empty"),
            ("jan@", "the domain after '@' is empty"),
            (
                "jan@localhost",
                "the domain must contain at least one '.' (e.g. gmina.pl)",
            ),
            (
                "jan kowalski@zamosc.test",
                "must not contain whitespace or control characters, found character \\u{20}",
            ),
            (
                "jan@zamosc.test\u{0}x",
                "must not contain whitespace or control characters, found character \\u{0}",
            ),
            (
                ".jan@zamosc.test",
                "the part before '@' must not start or end with '.' or contain '..'",
            ),
            (
                "jan.@zamosc.test",
                "the part before '@' must not start or end with '.' or contain '..'",
            ),
            (
                "j..an@zamosc.test",
                "the part before '@' must not start or end with '.' or contain '..'",
            ),
            (
                "józef@zamosc.test",
                "the part before '@' contains a character 'ó' that is not allowed",
            ),
            (
                "\"jan\"@zamosc.test",
                "the part before '@' contains a character '\"' that is not allowed",
            ),
            (
                "jan@.zamosc.test",
                "the domain must not start or end with '.' or contain '..'",
            ),
            (
                "jan@zamosc.test.",
                "the domain must not start or end with '.' or contain '..'",
            ),
            (
                "jan@zamosc..test",
                "the domain must not start or end with '.' or contain '..'",
            ),
            (
                "jan@-zamosc.test",
                "a domain label must not start or end with '-'",
            ),
            (
                "jan@zamosc-.test",
                "a domain label must not start or end with '-'",
            ),
            (
                "jan@192.168.0.1",
                "the top-level domain must not be all digits",
            ),
        ];
        for (input, reason) in cases {
            let e = Email::parse(input).unwrap_err();
            assert_eq!(e.reason, reason, "{input:?}");
            assert_eq!(e.kind, "e-mail address");
        }
        assert!(
            Email::parse("jan@zamość.pl")
                .unwrap_err()
                .reason
                .contains("xn--")
        );
        assert!(Email::parse("jan@zamosc_.test").is_err());
        assert!(Email::parse("jan@[127.0.0.1]").is_err());
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@zamosc.test")).is_ok());
        let e = Email::parse(&format!("{local64}a@zamosc.test")).unwrap_err();
        assert_eq!(
            e.reason,
            "the part before '@' is longer than 64 characters (65)"
        );

        let label63 = "b".repeat(63);
        assert!(Email::parse(&format!("a@{label63}.pl")).is_ok());
        assert!(Email::parse(&format!("a@{label63}b.pl")).is_err());

        // 254 characters in total is fine, 255 is not.
        let domain = format!(
            "{}.{}.{}.pl",
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(58)
        );
        let ok = format!("{local64}@{domain}");
        assert_eq!(ok.len(), 254);
        assert!(Email::parse(&ok).is_ok());
        let too_long = format!("{local64}@f{domain}");
        assert_eq!(
            Email::parse(&too_long).unwrap_err().reason,
            "is longer than 254 characters (255)"
        );
    }

    #[test]
    fn serde_and_conversions() {
        let e: Email = "Operator@Platform.test".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            "\"operator@platform.test\""
        );
        assert_eq!(
            serde_json::from_str::<Email>("\"OPERATOR@platform.test\"").unwrap(),
            e
        );
        assert!(serde_json::from_str::<Email>("\"operator\"").is_err());
        assert_eq!(
            Email::try_from(String::from("operator@platform.test")).unwrap(),
            e
        );
        assert_eq!(String::from(e), "operator@platform.test");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Email::parse(&s);
        }

        #[test]
        fn parse_is_idempotent(s in "[A-Za-z0-9._+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,5}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
                prop_assert_eq!(e.as_str(), s.to_ascii_lowercase());
            }
        }
    }
}
