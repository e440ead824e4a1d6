//! The number of an administrative document: a tax decision (decyzja, nakaz płatniczy), an
//! agreement or a notice, as the office writes it — `FN.3120.1.15.2026`, `GKM-III.6845.3.2025`,
//! `ZP/12/2026`. Payers copy it into transfer titles to say what they pay (art. 62 § 2 OP).

use std::fmt;

use super::{ValueError, describe_char, impl_value_traits};

const KIND: &str = "document number";
const MIN_LEN: usize = 3;
const MAX_LEN: usize = 100;
const SEPARATORS: [char; 4] = ['.', '/', '-', '_'];

/// A document number: ASCII letters and digits with at least one digit and at least one of
/// `.`, `/`, `-`, `_` (a bare number would be taken for a party number or a NIP), 3 to 100
/// characters, kept upper-case so that a title written in any case finds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValueError::new(KIND, "is empty"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && !SEPARATORS.contains(c))
        {
            return Err(ValueError::new(
                KIND,
                format!(
                    "may contain only letters A–Z, digits and . / - _, found {}",
                    describe_char(c)
                ),
            ));
        }
        if !(MIN_LEN..=MAX_LEN).contains(&s.len()) {
            return Err(ValueError::new(
                KIND,
                format!("must have {MIN_LEN} to {MAX_LEN} characters"),
            ));
        }
        if !s.chars().any(|c| c.is_ascii_digit()) {
            return Err(ValueError::new(KIND, "must contain a digit"));
        }
        if !s.contains(SEPARATORS) {
            return Err(ValueError::new(
                KIND,
                "must contain one of . / - _ (as in FN.3120.1.2026)",
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !s.ends_with(|c: char| c.is_ascii_alphanumeric())
        {
            return Err(ValueError::new(
                KIND,
                "must begin and end with a letter or a digit",
            ));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// The document numbers a free text (a transfer title) mentions, in order, each once:
    /// its words (split at spaces and `, ; : ( ) " '`) without the punctuation that ends a
    /// sentence, that parse.
    pub fn all_in(text: &str) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        for word in text.split(|c: char| c.is_whitespace() || ",;:()\"'".contains(c)) {
            let word = word.trim_matches(|c: char| SEPARATORS.contains(&c));
            if let Ok(number) = Self::parse(word)
                && !out.contains(&number)
            {
                out.push(number);
            }
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl_value_traits!(DocumentNumber, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn office_numbers_parse_upper_case() {
        for (given, kept) in [
            ("FN.3120.1.15.2026", "FN.3120.1.15.2026"),
            (" gkm-III.6845.3.2025 ", "GKM-III.6845.3.2025"),
            ("ZP/12/2026", "ZP/12/2026"),
            ("a_1", "A_1"),
        ] {
            assert_eq!(DocumentNumber::parse(given).unwrap().as_str(), kept);
        }
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        for (given, reason) in [
            ("", "is empty"),
            ("FN 3120/2026", "found character \\u{20}"),
            ("FŁ.1/2026", "found character 'Ł'"),
            ("1/", "3 to 100"),
            ("FN.ABC", "a digit"),
            ("1234567890", "one of . / - _"),
            ("/12/2026", "begin and end"),
        ] {
            let err = DocumentNumber::parse(given).unwrap_err();
            assert!(err.reason.contains(reason), "{given}: {err}");
            // Reasons never repeat the input.
            assert!(given.is_empty() || !err.reason.contains(given), "{err}");
        }
        assert!(DocumentNumber::parse(&format!("A.{}", "1".repeat(99))).is_err());
    }

    #[test]
    fn titles_name_numbers_among_words_and_punctuation() {
        let found = DocumentNumber::all_in(
            "Podatek od nieruchomości, decyzja nr fn.3120.1.15.2026. Rata 2 (NR 1234) \
             ZP/12/2026; FN.3120.1.15.2026 28-04-2026 PESEL 44051401359",
        );
        let found: Vec<&str> = found.iter().map(DocumentNumber::as_str).collect();
        assert_eq!(found, ["FN.3120.1.15.2026", "ZP/12/2026", "28-04-2026"]);
        assert!(DocumentNumber::all_in("Opłata za odpady 2026 NALEŻNOŚĆ 123").is_empty());
    }
}
