//! Money in Polish złoty, kept exactly in whole grosze.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::{Decimal, RoundingStrategy};

/// Number of decimal places of every [`Money`] value.
pub const SCALE: u32 = 2;

/// An error building or computing a [`Money`] value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amount has fractions of a grosz.
    #[error(
        "amount {amount} has more than 2 decimal places; money is kept in whole grosze (round it explicitly first)"
    )]
    TooManyDecimalPlaces { amount: String },
    /// The text is not an amount.
    #[error("invalid amount {input:?}: {reason}")]
    Invalid { input: String, reason: &'static str },
    /// The amount is too large to be represented.
    #[error("amount is out of the supported range")]
    OutOfRange,
    /// An arithmetic operation overflowed.
    #[error("money arithmetic overflowed")]
    Overflow,
    /// The amount in grosze does not fit in an `i64`.
    #[error("amount in grosze does not fit in a 64-bit integer")]
    GroszeOverflow,
}

/// An amount of money in PLN with exactly 2 decimal places (whole grosze).
///
/// The scale is an invariant: every constructor either produces a value with
/// scale 2 or fails, and arithmetic between `Money` values stays exact. Amounts
/// computed with more precision (interest, shares) are brought to grosze
/// explicitly with [`Money::round_half_up`] or, for tax bases and tax amounts,
/// to whole złoty with [`Money::round_to_full_zloty`].
///
/// The operators `+`, `-` and `Sum` panic only on overflow, which needs
/// amounts beyond 10^26 zł; use [`Money::checked_add`] / [`Money::checked_sub`]
/// where the inputs are not under control.
///
/// Text forms: `Display` and serde use `1234.56` (always 2 places, `-` for
/// negatives); [`Money::to_polish`] gives `1 234,56 zł`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero złoty.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, SCALE));

    /// Zero złoty.
    pub fn zero() -> Self {
        Self::ZERO
    }

    /// An amount given in grosze (1/100 zł).
    pub fn from_grosze(grosze: i64) -> Self {
        Self::canonical(Decimal::new(grosze, SCALE))
    }

    /// An amount of whole złoty.
    pub fn from_zloty(zloty: i64) -> Self {
        // |i64| * 100 < 2^71, well within Decimal's 96-bit mantissa.
        Self::canonical(Decimal::from_i128_with_scale(
            i128::from(zloty) * 100,
            SCALE,
        ))
    }

    /// An exact amount; fails if it has fractions of a grosz (e.g. `1.005`)
    /// or is too large to keep 2 decimal places. Trailing zeros do not count
    /// (`1.500` is 1.50 zł).
    pub fn new(amount: Decimal) -> Result<Self, MoneyError> {
        let normalized = amount.normalize();
        if normalized.scale() > SCALE {
            return Err(MoneyError::TooManyDecimalPlaces {
                amount: amount.to_string(),
            });
        }
        Self::rescaled(normalized).ok_or(MoneyError::OutOfRange)
    }

    /// Parses an amount written by a person or a machine: `1234.56`,
    /// `1234,56`, `1 234,56`, `-5`, `+5`, optionally followed by `zł` or `PLN`.
    ///
    /// Rules: an optional sign, at least one digit before the decimal
    /// separator, which is either `.` or `,` (never both), followed by one or
    /// two digits. Spaces (also non-breaking) may group the integer part in
    /// thousands, and then every group after the first must have 3 digits.
    /// `1.234,56` and `1,234.56` are rejected as ambiguous.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let invalid = |reason: &'static str| MoneyError::Invalid {
            input: truncate_for_error(s),
            reason,
        };
        let mut t = s.trim();
        for suffix in ["zł", "PLN", "zl"] {
            if let Some(rest) = t.strip_suffix(suffix) {
                t = rest.trim_end();
                break;
            }
        }
        if t.is_empty() {
            return Err(invalid("no amount given"));
        }
        let (negative, t) = match t.as_bytes().first() {
            Some(b'-') => (true, t.get(1..).unwrap_or_default()),
            Some(b'+') => (false, t.get(1..).unwrap_or_default()),
            _ => (false, t),
        };
        let has_dot = t.contains('.');
        let has_comma = t.contains(',');
        if has_dot && has_comma {
            return Err(invalid(
                "use either '.' or ',' as the decimal separator, not both (no thousands separators other than spaces)",
            ));
        }
        let (int_part, frac_part) = match t.split_once(['.', ',']) {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        // Integer part: digits, optionally grouped in thousands by spaces.
        let groups: Vec<&str> = int_part.split([' ', '\u{a0}', '\u{202f}']).collect();
        if groups.iter().any(|g| g.is_empty()) {
            if int_part.is_empty() {
                return Err(invalid(
                    "there must be at least one digit before the decimal separator",
                ));
            }
            return Err(invalid(
                "misplaced space; spaces may only separate groups of thousands",
            ));
        }
        if !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid(
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ));
        }
        if groups.len() > 1
            && (groups.first().is_some_and(|g| g.len() > 3)
                || groups.iter().skip(1).any(|g| g.len() != 3))
        {
            return Err(invalid(
                "spaces must separate groups of exactly 3 digits, e.g. 1 234 567,89",
            ));
        }
        let mut digits: String = groups.concat();
        if let Some(frac) = frac_part {
            if frac.is_empty() {
                return Err(invalid("there must be digits after the decimal separator"));
            }
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    "not a number; expected digits, e.g. 1234.56 or 1 234,56",
                ));
            }
            if frac.len() > 2 {
                return Err(invalid(
                    "more than 2 decimal places; money is kept in whole grosze",
                ));
            }
            digits.push('.');
            digits.push_str(frac);
        }
        let amount = Decimal::from_str(&digits).map_err(|_| MoneyError::OutOfRange)?;
        let money = Self::new(amount)?;
        Ok(if negative { -money } else { money })
    }

    /// The amount as a `Decimal` with scale 2.
    pub fn amount(&self) -> Decimal {
        self.0
    }

    /// The amount in grosze.
    pub fn to_grosze(&self) -> Result<i64, MoneyError> {
        i64::try_from(self.0.mantissa()).map_err(|_| MoneyError::GroszeOverflow)
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.0 < Decimal::ZERO
    }

    pub fn is_positive(&self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// The absolute value.
    pub fn abs(&self) -> Self {
        Self::canonical(self.0.abs())
    }

    /// `self + rhs`, or `None` on overflow.
    pub fn checked_add(self, rhs: Money) -> Option<Money> {
        self.0.checked_add(rhs.0).and_then(Self::exact)
    }

    /// `self - rhs`, or `None` on overflow.
    pub fn checked_sub(self, rhs: Money) -> Option<Money> {
        self.0.checked_sub(rhs.0).and_then(Self::exact)
    }

    /// Rounds an amount to whole złoty as art. 63 § 1 of the Ordynacja
    /// podatkowa requires for tax bases and tax amounts: fractions under 50
    /// groszy are dropped, 50 groszy and more are rounded up to the full
    /// złoty. Negative amounts are rounded symmetrically (-10.50 → -11).
    ///
    /// # Panics
    /// Only if the result cannot be held with 2 decimal places (beyond
    /// 10^26 zł); see [`Money::checked_round_to_full_zloty`].
    pub fn round_to_full_zloty(amount: Decimal) -> Money {
        match Self::checked_round_to_full_zloty(amount) {
            Ok(m) => m,
            Err(e) => panic!("round_to_full_zloty: {e}"),
        }
    }

    /// [`Money::round_to_full_zloty`] that reports an out-of-range amount.
    pub fn checked_round_to_full_zloty(amount: Decimal) -> Result<Money, MoneyError> {
        let rounded = amount.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        Self::rescaled(rounded).ok_or(MoneyError::OutOfRange)
    }

    /// This amount rounded to whole złoty per art. 63 § 1 Ordynacji
    /// podatkowej (see [`Money::round_to_full_zloty`]).
    pub fn rounded_to_full_zloty(self) -> Money {
        Self::round_to_full_zloty(self.0)
    }

    /// Rounds an amount to whole grosze, half away from zero (commercial
    /// rounding: 0.005 → 0.01, -0.005 → -0.01, 0.00499 → 0.00). Use it to
    /// bring computed amounts (interest, shares, rates) to money.
    ///
    /// # Panics
    /// Only if the result cannot be held with 2 decimal places (beyond
    /// 10^26 zł); see [`Money::checked_round_half_up`].
    pub fn round_half_up(amount: Decimal) -> Money {
        match Self::checked_round_half_up(amount) {
            Ok(m) => m,
            Err(e) => panic!("round_half_up: {e}"),
        }
    }

    /// [`Money::round_half_up`] that reports an out-of-range amount.
    pub fn checked_round_half_up(amount: Decimal) -> Result<Money, MoneyError> {
        let rounded = amount.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointAwayFromZero);
        Self::rescaled(rounded).ok_or(MoneyError::OutOfRange)
    }

    /// The Polish form with thousands grouped by spaces, a decimal comma and
    /// the currency: `1 234,56 zł`, `-5,00 zł`.
    pub fn to_polish(&self) -> String {
        let (negative, whole, grosze) = self.parts();
        let whole = whole.to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        let sign = if negative { "-" } else { "" };
        format!("{sign}{grouped},{grosze:02} zł")
    }

    /// Sign, whole złoty and grosze of the amount.
    fn parts(&self) -> (bool, u128, u128) {
        let m = self.0.mantissa();
        (m < 0, m.unsigned_abs() / 100, m.unsigned_abs() % 100)
    }

    /// Brings a value with scale ≤ 2 to scale 2; `None` if it does not fit.
    fn rescaled(mut d: Decimal) -> Option<Money> {
        if d.scale() > SCALE {
            return None;
        }
        d.rescale(SCALE);
        (d.scale() == SCALE).then(|| Self::canonical(d))
    }

    /// Accepts a result of arithmetic only if it kept scale 2 (Decimal lowers
    /// the scale instead of overflowing for huge values).
    fn exact(d: Decimal) -> Option<Money> {
        (d.scale() == SCALE).then(|| Self::canonical(d))
    }

    /// Normalises negative zero to zero.
    fn canonical(d: Decimal) -> Money {
        if d.is_zero() { Self::ZERO } else { Money(d) }
    }
}

fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s.to_owned()
    }
}

impl Default for Money {
    fn default() -> Self {
        Self::ZERO
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, whole, grosze) = self.parts();
        let sign = if negative { "-" } else { "" };
        write!(f, "{sign}{whole}.{grosze:02}")
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;
    fn try_from(d: Decimal) -> Result<Self, Self::Error> {
        Self::new(d)
    }
}

impl TryFrom<&str> for Money {
    type Error = MoneyError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Money {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl Add for Money {
    type Output = Money;
    /// # Panics
    /// On overflow (beyond 10^26 zł).
    fn add(self, rhs: Money) -> Money {
        match self.checked_add(rhs) {
            Some(m) => m,
            None => panic!("money addition overflowed"),
        }
    }
}

impl Sub for Money {
    type Output = Money;
    /// # Panics
    /// On overflow (beyond 10^26 zł).
    fn sub(self, rhs: Money) -> Money {
        match self.checked_sub(rhs) {
            Some(m) => m,
            None => panic!("money subtraction overflowed"),
        }
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Self::canonical(-self.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |acc, m| acc + *m)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    /// Accepts a string (anything [`Money::parse`] accepts) or an integer
    /// number of złoty. Floating-point numbers are rejected: money must be
    /// exact.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MoneyVisitor)
    }
}

struct MoneyVisitor;

impl serde::de::Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount of money as a string like \"1234.56\" or an integer number of złoty")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
        Ok(Money::from_zloty(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
        Money::new(Decimal::from(v)).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, _v: f64) -> Result<Money, E> {
        Err(E::custom(FLOAT_REJECTED))
    }
}

const FLOAT_REJECTED: &str = "money must be exact: give it as a string like \"123.45\" (or an integer number of złoty), not a floating-point number";

/// An amount of money in Polish złoty (PLN) with exactly two decimal places
/// (whole grosze). Output is always a string such as "1234.56" or "-5.00".
/// Input is a string such as "123.45", "123,45" or "1 234,56", or an integer
/// number of złoty (123 means 123.00); floating-point numbers such as 123.45
/// are rejected because money must be exact, and amounts with fractions of a
/// grosz (e.g. "1.005") are rejected.
//
// `is_valid` is deliberately left at its default (accept everything), so that
// a bad literal reaches `parse` and the client gets its specific message
// (e.g. why a float is refused) instead of a generic "invalid value".
#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Money::parse(s).map_err(InputValueError::custom),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Money::from_zloty(i))
                } else if let Some(u) = n.as_u64() {
                    Money::new(Decimal::from(u)).map_err(InputValueError::custom)
                } else {
                    Err(InputValueError::custom(FLOAT_REJECTED))
                }
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn grosze() {
        let x = Money::from_grosze(123_456);
        assert_eq!(x.amount(), dec!(1234.56));
        assert_eq!(x.amount().scale(), 2);
        assert_eq!(x.to_grosze().unwrap(), 123_456);
        assert_eq!(Money::from_grosze(-5).to_string(), "-0.05");
        assert_eq!(Money::from_grosze(i64::MAX).to_grosze().unwrap(), i64::MAX);
        assert_eq!(Money::from_grosze(i64::MIN).to_grosze().unwrap(), i64::MIN);
        let big = Money::from_grosze(i64::MAX) + Money::from_grosze(1);
        assert_eq!(big.to_grosze(), Err(MoneyError::GroszeOverflow));
    }

    #[test]
    fn zloty_and_zero() {
        assert_eq!(Money::from_zloty(5), m("5.00"));
        assert_eq!(
            Money::from_zloty(i64::MIN).to_string(),
            format!("{}.00", i64::MIN)
        );
        assert_eq!(Money::zero(), Money::from_grosze(0));
        assert_eq!(Money::default(), Money::ZERO);
        assert_eq!(Money::ZERO.amount().scale(), 2);
        assert!(Money::ZERO.is_zero());
        assert!(!Money::ZERO.is_negative() && !Money::ZERO.is_positive());
        assert!(m("-0.01").is_negative());
        assert!(m("0.01").is_positive());
    }

    #[test]
    fn new_checks_scale() {
        assert_eq!(Money::new(dec!(1.5)).unwrap().amount().scale(), 2);
        assert_eq!(Money::new(dec!(1.500)).unwrap(), m("1.50"));
        assert_eq!(Money::new(dec!(7)).unwrap().to_string(), "7.00");
        let e = Money::new(dec!(1.005)).unwrap_err();
        assert_eq!(
            e,
            MoneyError::TooManyDecimalPlaces {
                amount: "1.005".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "amount 1.005 has more than 2 decimal places; money is kept in whole grosze (round it explicitly first)"
        );
        assert_eq!(Money::new(Decimal::MAX), Err(MoneyError::OutOfRange));
        assert_eq!(Money::try_from(dec!(2.25)).unwrap(), m("2.25"));
    }

    #[test]
    fn negative_zero_is_zero() {
        let z = Money::new(dec!(-0.00)).unwrap();
        assert_eq!(z, Money::ZERO);
        assert_eq!(z.to_string(), "0.00");
        assert_eq!(m("-0").to_string(), "0.00");
        assert_eq!((-Money::ZERO).to_string(), "0.00");
        assert!(!m("-0,00").is_negative());
        let mut h = std::collections::HashSet::new();
        h.insert(m("-0"));
        h.insert(Money::ZERO);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn parse_accepts() {
        let cases = [
            ("1234.56", "1234.56"),
            ("1234,56", "1234.56"),
            ("1 234,56", "1234.56"),
            ("1\u{a0}234,56", "1234.56"),
            ("12 345 678.9", "12345678.90"),
            ("-5", "-5.00"),
            ("+5", "5.00"),
            ("-1 234,5", "-1234.50"),
            ("0", "0.00"),
            ("007", "7.00"),
            ("  12,30  ", "12.30"),
            ("1 234,56 zł", "1234.56"),
            ("1234.56zł", "1234.56"),
            ("99 PLN", "99.00"),
            ("123", "123.00"),
        ];
        for (input, expected) in cases {
            assert_eq!(m(input).to_string(), expected, "{input:?}");
        }
    }

    #[test]
    fn parse_rejects() {
        let cases = [
            ("", "no amount given"),
            ("zł", "no amount given"),
            (
                "abc",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                "12a",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                "1.2e3",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                "1.005",
                "more than 2 decimal places; money is kept in whole grosze",
            ),
            (
                "1.234,56",
                "use either '.' or ',' as the decimal separator, not both (no thousands separators other than spaces)",
            ),
            (
                "1,234.56",
                "use either '.' or ',' as the decimal separator, not both (no thousands separators other than spaces)",
            ),
            (
                "1.2.3",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                ".5",
                "there must be at least one digit before the decimal separator",
            ),
            ("5.", "there must be digits after the decimal separator"),
            (
                "12 34",
                "spaces must separate groups of exactly 3 digits, e.g. 1 234 567,89",
            ),
            (
                "1234 567",
                "spaces must separate groups of exactly 3 digits, e.g. 1 234 567,89",
            ),
            (
                "1  234",
                "misplaced space; spaces may only separate groups of thousands",
            ),
            (
                "- 5",
                "misplaced space; spaces may only separate groups of thousands",
            ),
            (
                "--5",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                "-",
                "there must be at least one digit before the decimal separator",
            ),
            (
                "NaN",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
            (
                "١٢٣",
                "not a number; expected digits, e.g. 1234.56 or 1 234,56",
            ),
        ];
        for (input, reason) in cases {
            match Money::parse(input) {
                Err(MoneyError::Invalid { reason: r, .. }) => assert_eq!(r, reason, "{input:?}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        assert_eq!(
            Money::parse("99999999999999999999999999999999").unwrap_err(),
            MoneyError::OutOfRange
        );
        assert_eq!(
            Money::parse("abc").unwrap_err().to_string(),
            "invalid amount \"abc\": not a number; expected digits, e.g. 1234.56 or 1 234,56"
        );
        let long = "x".repeat(100);
        assert!(Money::parse(&long).unwrap_err().to_string().len() < 150);
    }

    #[test]
    fn display_and_polish() {
        assert_eq!(m("1234.5").to_string(), "1234.50");
        assert_eq!(m("-0.07").to_string(), "-0.07");
        assert_eq!(format!("{:?}", m("3")), "Money(3.00)");
        let cases = [
            ("0", "0,00 zł"),
            ("5", "5,00 zł"),
            ("999.99", "999,99 zł"),
            ("1234.56", "1 234,56 zł"),
            ("-1234.56", "-1 234,56 zł"),
            ("123456", "123 456,00 zł"),
            ("1234567.8", "1 234 567,80 zł"),
            ("-0.5", "-0,50 zł"),
        ];
        for (input, expected) in cases {
            assert_eq!(m(input).to_polish(), expected);
            assert_eq!(m(expected), m(input), "to_polish output parses back");
        }
    }

    #[test]
    fn arithmetic() {
        let mut x = m("10.10");
        x += m("0.90");
        assert_eq!(x, m("11"));
        x -= m("12.5");
        assert_eq!(x, m("-1.50"));
        assert_eq!(-x, m("1.5"));
        assert_eq!(m("0.1") + m("0.2"), m("0.3"));
        assert_eq!(m("5") - m("5"), Money::ZERO);
        assert_eq!((m("5") - m("5")).amount().scale(), 2);
        assert_eq!(m("-3").abs(), m("3"));
        let v = [m("1.01"), m("2.02"), m("3.03")];
        assert_eq!(v.iter().sum::<Money>(), m("6.06"));
        assert_eq!(v.into_iter().sum::<Money>(), m("6.06"));
        assert_eq!(std::iter::empty::<Money>().sum::<Money>(), Money::ZERO);
        assert_eq!(m("1").checked_add(m("2")), Some(m("3")));
        assert_eq!(m("1").checked_sub(m("2")), Some(m("-1")));
    }

    #[test]
    fn overflow_is_detected() {
        // The largest mantissa Decimal holds, at scale 2.
        let max = Money::new(Decimal::from_i128_with_scale(
            79_228_162_514_264_337_593_543_950_335,
            2,
        ))
        .unwrap();
        assert_eq!(max.checked_add(Money::from_grosze(1)), None);
        assert_eq!((-max).checked_sub(Money::from_grosze(1)), None);
        assert_eq!(max.checked_add(-max), Some(Money::ZERO));
        assert!(std::panic::catch_unwind(|| max + max).is_err());
    }

    #[test]
    fn ordering() {
        let mut v = vec![m("10"), m("-1"), m("2.5"), m("0")];
        v.sort();
        assert_eq!(v, vec![m("-1"), m("0"), m("2.5"), m("10")]);
        assert!(m("0.01") > Money::ZERO);
    }

    #[test]
    fn full_zloty_rounding_art_63() {
        let cases = [
            (dec!(10.49), dec!(10)),
            (dec!(10.499999), dec!(10)),
            (dec!(10.50), dec!(11)),
            (dec!(10.51), dec!(11)),
            (dec!(10.99), dec!(11)),
            (dec!(10), dec!(10)),
            (dec!(0.49), dec!(0)),
            (dec!(0.5), dec!(1)),
            (dec!(-10.49), dec!(-10)),
            (dec!(-10.50), dec!(-11)),
            (dec!(-0.49), dec!(0)),
        ];
        for (input, expected) in cases {
            let r = Money::round_to_full_zloty(input);
            assert_eq!(r.amount(), expected, "{input}");
            assert_eq!(r.amount().scale(), 2);
        }
        assert_eq!(m("1234.50").rounded_to_full_zloty(), m("1235"));
        assert_eq!(Money::round_to_full_zloty(dec!(-0.49)).to_string(), "0.00");
        assert_eq!(
            Money::checked_round_to_full_zloty(Decimal::MAX),
            Err(MoneyError::OutOfRange)
        );
    }

    #[test]
    fn half_up_rounding() {
        let cases = [
            (dec!(1.004), dec!(1.00)),
            (dec!(1.005), dec!(1.01)),
            (dec!(1.0049999), dec!(1.00)),
            (dec!(2.675), dec!(2.68)),
            (dec!(-1.005), dec!(-1.01)),
            (dec!(-1.004), dec!(-1.00)),
            (dec!(-0.004), dec!(0)),
            (dec!(7), dec!(7.00)),
        ];
        for (input, expected) in cases {
            let r = Money::round_half_up(input);
            assert_eq!(r.amount(), expected, "{input}");
            assert_eq!(r.amount().scale(), 2);
        }
        // E.g. interest: 1000 zł × 8% × 45/365.
        let interest = dec!(1000) * dec!(0.08) * Decimal::from(45) / Decimal::from(365);
        assert_eq!(Money::round_half_up(interest), m("9.86"));
        assert_eq!(
            Money::checked_round_half_up(Decimal::MAX),
            Err(MoneyError::OutOfRange)
        );
    }

    #[test]
    fn serde() {
        let x = m("1234.5");
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"1234.50\"");
        assert_eq!(serde_json::from_str::<Money>("\"1234.50\"").unwrap(), x);
        assert_eq!(serde_json::from_str::<Money>("\"1 234,50\"").unwrap(), x);
        assert_eq!(serde_json::from_str::<Money>("12").unwrap(), m("12"));
        assert_eq!(serde_json::from_str::<Money>("-12").unwrap(), m("-12"));
        assert_eq!(
            serde_json::from_str::<Money>("18446744073709551615").unwrap(),
            m("18446744073709551615")
        );
        let e = serde_json::from_str::<Money>("12.5").unwrap_err();
        assert!(e.to_string().contains("money must be exact"), "{e}");
        assert!(serde_json::from_str::<Money>("12.0").is_err());
        assert!(serde_json::from_str::<Money>("\"1.005\"").is_err());
        assert!(serde_json::from_str::<Money>("null").is_err());
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Fee {
            amount: Money,
        }
        let fee: Fee = serde_json::from_str(r#"{"amount":"0.99"}"#).unwrap();
        assert_eq!(serde_json::to_string(&fee).unwrap(), r#"{"amount":"0.99"}"#);
    }

    #[test]
    fn graphql_scalar_parse() {
        let parse = <Money as ScalarType>::parse;
        assert_eq!(parse(Value::String("123.45".into())).unwrap(), m("123.45"));
        assert_eq!(
            parse(Value::String("1 234,5".into())).unwrap(),
            m("1234.50")
        );
        assert_eq!(parse(Value::Number(123.into())).unwrap(), m("123"));
        assert_eq!(parse(Value::Number((-7).into())).unwrap(), m("-7"));
        assert_eq!(
            parse(Value::Number(u64::MAX.into())).unwrap(),
            m("18446744073709551615")
        );
        let float = Value::Number(serde_json::Number::from_f64(123.45).unwrap());
        let e = parse(float.clone())
            .unwrap_err()
            .into_server_error(Default::default());
        assert!(e.message.contains("money must be exact"), "{}", e.message);
        assert!(parse(Value::String("1.005".into())).is_err());
        assert!(parse(Value::Boolean(true)).is_err());
        assert!(parse(Value::Null).is_err());
        assert_eq!(m("5").to_value(), Value::String("5.00".into()));
    }

    #[tokio::test]
    async fn graphql_schema() {
        use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

        struct Query;
        #[Object]
        impl Query {
            async fn double(&self, amount: Money) -> Money {
                amount + amount
            }
        }
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let sdl = schema.sdl();
        assert!(sdl.contains("scalar Money"), "{sdl}");
        assert!(sdl.contains("money must be exact"), "{sdl}");

        let res = schema.execute(r#"{ double(amount: "1 234,56") }"#).await;
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        assert_eq!(
            res.data.into_json().unwrap(),
            serde_json::json!({"double": "2469.12"})
        );

        let res = schema.execute("{ double(amount: 5) }").await;
        assert_eq!(
            res.data.into_json().unwrap(),
            serde_json::json!({"double": "10.00"})
        );

        let res = schema.execute("{ double(amount: 1.5) }").await;
        assert!(!res.errors.is_empty());
        let msg = &res.errors[0].message;
        assert!(msg.contains("money must be exact"), "{msg}");

        let res = schema.execute(r#"{ double(amount: "1.005") }"#).await;
        let msg = &res.errors[0].message;
        assert!(msg.contains("more than 2 decimal places"), "{msg}");
    }

    proptest! {
        #[test]
        fn grosze_roundtrip(g in any::<i64>()) {
            let x = Money::from_grosze(g);
            prop_assert_eq!(x.to_grosze().unwrap(), g);
            prop_assert_eq!(x.amount().scale(), 2);
        }

        #[test]
        fn parse_display_roundtrip(g in any::<i64>()) {
            let x = Money::from_grosze(g);
            prop_assert_eq!(Money::parse(&x.to_string()).unwrap(), x);
            prop_assert_eq!(Money::parse(&x.to_polish()).unwrap(), x);
            let json = serde_json::to_string(&x).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), x);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Money::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_numberish(s in "[-+ 0-9.,]{0,40}(zł|PLN)?") {
            if let Ok(x) = Money::parse(&s) {
                prop_assert_eq!(x.amount().scale(), 2);
            }
        }

        #[test]
        fn arithmetic_matches_grosze(a in -(1i64 << 60)..(1i64 << 60), b in -(1i64 << 60)..(1i64 << 60)) {
            let (x, y) = (Money::from_grosze(a), Money::from_grosze(b));
            prop_assert_eq!((x + y).to_grosze().unwrap(), a + b);
            prop_assert_eq!((x - y).to_grosze().unwrap(), a - b);
            prop_assert_eq!((x + y).amount().scale(), 2);
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        }

        #[test]
        fn full_zloty_rounding_is_whole_and_close(g in any::<i64>()) {
            let r = Money::round_to_full_zloty(Money::from_grosze(g).amount());
            let rg = r.to_grosze().unwrap_or(0) as i128;
            prop_assert_eq!(rg % 100, 0);
            let diff = (rg - i128::from(g)).abs();
            prop_assert!(diff <= 50);
            // Exactly half rounds away from zero.
            if (i128::from(g)).abs() % 100 == 50 {
                prop_assert_eq!(rg.abs(), i128::from(g).abs() + 50);
            }
        }
    }
}
