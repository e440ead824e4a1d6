//! NRB (Numer Rachunku Bankowego), the Polish 26-digit bank account number.

use std::fmt;

use super::{ValueError, digits, impl_value_traits, weighted_sum};

const KIND: &str = "NRB";
/// "PL" in the IBAN check: P = 25, L = 21.
const PL_DIGITS: [u8; 4] = [2, 5, 2, 1];

/// A valid Polish bank account number: 26 digits (2 check digits, the 8-digit
/// bank settlement number and the 16-digit client part) passing the IBAN
/// mod-97 check for country `PL`.
///
/// Parsing accepts spaces (also non-breaking ones) anywhere and an optional
/// `PL` prefix (IBAN form). The canonical form is the 26 digits
/// (`as_str()`, serde); `Display` groups them as printed on Polish transfer
/// forms: `56 1020 5356 0000 1602 0007 6877`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nrb(String);

impl Nrb {
    /// Parses an NRB or a Polish IBAN.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let compact: String = s
            .chars()
            .filter(|&c| c != ' ' && c != '\u{a0}' && c != '\u{202f}')
            .collect();
        let compact = compact.trim();
        let (had_prefix, rest) = match compact.get(..2) {
            Some(p) if p.eq_ignore_ascii_case("PL") => (true, compact.get(2..).unwrap_or_default()),
            _ => (false, compact),
        };
        if !had_prefix
            && compact
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            return Err(ValueError::new(
                KIND,
                "only Polish account numbers (optionally prefixed with PL) are accepted",
            ));
        }
        let d = digits(KIND, rest, 26)?;
        if iban_mod97(&d) != 1 {
            return Err(ValueError::new(
                KIND,
                "check digits do not match (IBAN mod-97 check)",
            ));
        }
        Ok(Self(rest.to_owned()))
    }

    /// Builds an NRB from the 8-digit bank settlement number and the 16-digit
    /// client part, computing the two check digits. Used for per-payer virtual
    /// accounts.
    pub fn from_parts(settlement_number: &str, client_part: &str) -> Result<Self, ValueError> {
        let sn = digits(KIND, settlement_number, 8)
            .map_err(|e| ValueError::new(KIND, format!("settlement number {}", e.reason)))?;
        let cp = digits(KIND, client_part, 16)
            .map_err(|e| ValueError::new(KIND, format!("client part {}", e.reason)))?;
        let bban: Vec<u8> = sn.into_iter().chain(cp).collect();
        let rem = mod97(bban.iter().copied().chain(PL_DIGITS).chain([0, 0]));
        let check = 98 - rem;
        Ok(Self(format!("{check:02}{settlement_number}{client_part}")))
    }

    /// The 26 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IBAN: `PL` followed by the 26 digits.
    pub fn iban(&self) -> String {
        format!("PL{}", self.0)
    }

    /// The two check digits (digits 1–2).
    pub fn check_digits(&self) -> &str {
        self.0.get(..2).unwrap_or_default()
    }

    /// The 8-digit bank settlement number (digits 3–10): 3 digits of the bank,
    /// 4 of the branch, 1 check digit.
    pub fn settlement_number(&self) -> &str {
        self.0.get(2..10).unwrap_or_default()
    }

    /// The 3-digit bank code (e.g. `102` for PKO BP).
    pub fn bank_code(&self) -> &str {
        self.0.get(2..5).unwrap_or_default()
    }

    /// The 16-digit client part (the last 16 digits).
    pub fn client_part(&self) -> &str {
        self.0.get(10..).unwrap_or_default()
    }

    /// Whether the last digit of the settlement number matches its own check
    /// digit (weights 3,9,7,1,3,9,7 mod 10). Every real bank branch number
    /// passes; `parse` does not require it, so made-up test numbers that only
    /// pass the IBAN check are still accepted.
    pub fn has_valid_settlement_check_digit(&self) -> bool {
        let d: Vec<u8> = self.settlement_number().bytes().map(|b| b - b'0').collect();
        let check = (10 - weighted_sum(&d, &[3, 9, 7, 1, 3, 9, 7]) % 10) % 10;
        d.get(7).map(|&c| u32::from(c)) == Some(check)
    }
}

/// The IBAN remainder of a 26-digit NRB: the BBAN (digits 3–26), then "PL" as
/// 2521, then the check digits, all mod 97. A valid IBAN gives 1.
fn iban_mod97(d: &[u8]) -> u32 {
    let bban = d.get(2..).unwrap_or_default();
    let check = d.get(..2).unwrap_or_default();
    mod97(
        bban.iter()
            .copied()
            .chain(PL_DIGITS)
            .chain(check.iter().copied()),
    )
}

fn mod97(digits: impl Iterator<Item = u8>) -> u32 {
    digits.fold(0, |acc, d| (acc * 10 + u32::from(d)) % 97)
}

impl fmt::Display for Nrb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get(..2).unwrap_or_default())?;
        let rest = self.0.get(2..).unwrap_or_default();
        for chunk in rest.as_bytes().chunks(4) {
            f.write_str(" ")?;
            // Chunks of ASCII digits are valid UTF-8.
            f.write_str(std::str::from_utf8(chunk).unwrap_or_default())?;
        }
        Ok(())
    }
}

impl_value_traits!(Nrb, serialize);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// PKO BP, Zamość.
    const PKO: &str = "56102053560000160200076877";

    #[test]
    fn known_good() {
        for s in [
            "56 1020 5356 0000 1602 0007 6877",
            "56102053560000160200076877",
            "PL56102053560000160200076877",
            "PL 56 1020 5356 0000 1602 0007 6877",
            "pl56 1020 5356 0000 1602 0007 6877",
            " 56\u{a0}1020\u{a0}5356\u{a0}0000\u{a0}1602\u{a0}0007\u{a0}6877 ",
        ] {
            let nrb = Nrb::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(nrb.as_str(), PKO);
        }
    }

    #[test]
    fn parts_and_forms() {
        let nrb = Nrb::parse(PKO).unwrap();
        assert_eq!(nrb.to_string(), "56 1020 5356 0000 1602 0007 6877");
        assert_eq!(nrb.iban(), "PL56102053560000160200076877");
        assert_eq!(nrb.check_digits(), "56");
        assert_eq!(nrb.settlement_number(), "10205356");
        assert_eq!(nrb.bank_code(), "102");
        assert_eq!(nrb.client_part(), "0000160200076877");
        assert!(nrb.has_valid_settlement_check_digit());
        // Display output parses back.
        let grouped = nrb.to_string();
        assert_eq!(Nrb::parse(&grouped).unwrap(), nrb);
        assert_eq!(Nrb::parse(&nrb.iban()).unwrap(), nrb);
    }

    #[test]
    fn bad_check_digits() {
        let e = Nrb::parse("57 1020 5356 0000 1602 0007 6877").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid NRB: check digits do not match (IBAN mod-97 check)"
        );
        // A single changed digit in the account body is caught.
        assert!(Nrb::parse("56 1020 5356 0000 1602 0007 6878").is_err());
        // Two swapped adjacent digits are caught.
        assert!(Nrb::parse("56 1020 5356 0000 1602 0007 8677").is_err());
    }

    #[test]
    fn malformed() {
        assert_eq!(
            Nrb::parse("56 1020 5356 0000 1602 0007 687")
                .unwrap_err()
                .reason,
            "must have 26 digits, got 25"
        );
        assert!(Nrb::parse("56 1020 5356 0000 1602 0007 68777").is_err());
        assert!(Nrb::parse("56-1020-5356-0000-1602-0007-6877").is_err());
        assert!(Nrb::parse("DE56102053560000160200076877").is_err());
        assert!(Nrb::parse("PLX6102053560000160200076877").is_err());
        assert!(Nrb::parse("").is_err());
        assert!(Nrb::parse("PL").is_err());
        assert!(Nrb::parse("56\t1020 5356 0000 1602 0007 6877").is_err());
    }

    #[test]
    fn from_parts_roundtrip() {
        let nrb = Nrb::from_parts("10205356", "0000160200076877").unwrap();
        assert_eq!(nrb.as_str(), PKO);
        let virtual_account = Nrb::from_parts("10205356", "1234000000000042").unwrap();
        assert_eq!(virtual_account.settlement_number(), "10205356");
        assert_eq!(virtual_account.client_part(), "1234000000000042");
        assert_eq!(
            Nrb::parse(virtual_account.as_str()).unwrap(),
            virtual_account
        );
    }

    #[test]
    fn from_parts_rejects_bad_parts() {
        assert_eq!(
            Nrb::from_parts("1020535", "0000160200076877")
                .unwrap_err()
                .reason,
            "settlement number must have 8 digits, got 7"
        );
        assert_eq!(
            Nrb::from_parts("10205356", "00001602000768x7")
                .unwrap_err()
                .reason,
            "client part must contain only digits, found character 'x' at position 15"
        );
    }

    #[test]
    fn settlement_check_digit() {
        let made_up = Nrb::from_parts("10205357", "0000160200076877").unwrap();
        assert!(!made_up.has_valid_settlement_check_digit());
    }

    #[test]
    fn serde_and_conversions() {
        let nrb: Nrb = "PL56102053560000160200076877".parse().unwrap();
        let json = serde_json::to_string(&nrb).unwrap();
        assert_eq!(json, format!("\"{PKO}\""));
        assert_eq!(serde_json::from_str::<Nrb>(&json).unwrap(), nrb);
        assert_eq!(
            serde_json::from_str::<Nrb>("\"56 1020 5356 0000 1602 0007 6877\"").unwrap(),
            nrb
        );
        assert!(serde_json::from_str::<Nrb>("\"57102053560000160200076877\"").is_err());
        assert_eq!(Nrb::try_from(String::from(PKO)).unwrap(), nrb);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Nrb::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_near_misses(s in "(PL|pl|P)?[0-9 ]{0,40}") {
            let _ = Nrb::parse(&s);
        }

        #[test]
        fn from_parts_always_parses(sn in "[0-9]{8}", cp in "[0-9]{16}") {
            let nrb = Nrb::from_parts(&sn, &cp).unwrap();
            prop_assert_eq!(nrb.settlement_number(), sn.as_str());
            prop_assert_eq!(nrb.client_part(), cp.as_str());
            prop_assert_eq!(Nrb::parse(nrb.as_str()).unwrap(), nrb.clone());
            let grouped = nrb.to_string();
            prop_assert_eq!(Nrb::parse(&grouped).unwrap(), nrb.clone());
            prop_assert_eq!(Nrb::parse(&nrb.iban()).unwrap(), nrb);
        }

        #[test]
        fn single_digit_change_is_detected(pos in 0usize..26, delta in 1u8..10) {
            let mut bytes = PKO.as_bytes().to_vec();
            let b = bytes[pos] - b'0';
            bytes[pos] = b'0' + (b + delta) % 10;
            let s = String::from_utf8(bytes).unwrap();
            prop_assert!(Nrb::parse(&s).is_err());
        }
    }
}
