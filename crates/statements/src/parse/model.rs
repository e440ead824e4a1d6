//! What the parsers produce: statement headers, lines and ends, as a stream of [`Event`]s.

use chrono::NaiveDate;
use wspolnota_core::Money;

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Format {
    /// SWIFT MT940 (and MT942 intraday, see [`StatementHeader::intraday`]).
    Mt940,
    /// ISO 20022 camt.053 (001.02, 001.04, 001.08).
    Camt053,
}

/// Which format to parse the file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum FormatHint {
    /// Look at the first meaningful byte: `<` is camt.053, anything else MT940.
    #[default]
    Auto,
    /// MT940 / MT942.
    Mt940,
    /// camt.053.
    Camt053,
}

/// Options of [`super::events`] and [`super::parse_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ParseOptions {
    /// The format, or [`FormatHint::Auto`].
    pub format: FormatHint,
    /// The text encoding; `None` detects it (see [`super::encoding`]).
    pub encoding: Option<super::TextEncoding>,
}

/// The direction of a statement line, as it acts on the account balance.
///
/// For MT940 `RD` (reversal of a debit) is a [`Direction::Credit`] with `reversal`, `RC` a
/// [`Direction::Debit`] with `reversal`; camt.053 `CdtDbtInd` already says the effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    /// Money in.
    Credit,
    /// Money out.
    Debit,
}

/// A balance on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Balance {
    /// The balance date.
    pub date: NaiveDate,
    /// Signed: debit balances are negative.
    pub amount: Money,
}

/// The start of a statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementHeader {
    /// The file format.
    pub format: Format,
    /// MT942 (intraday report): no opening/closing balances.
    pub intraday: bool,
    /// `:20:` or camt `Stmt/Id`.
    pub reference: String,
    /// The account as written, normalised: leading `/` and whitespace removed
    /// (`PL61109010140000071219812874`, or 26 NRB digits when the bank omits `PL`).
    pub account: String,
    /// `:28C:` or camt `LglSeqNb` / `ElctrncSeqNb`.
    pub number: Option<String>,
    /// ISO currency code.
    pub currency: String,
    /// Opening booked balance (`:60F:`/`:60M:`, camt `OPBD`/`PRCD`).
    pub opening: Option<Balance>,
    /// 1-based line where the statement starts (`:20:`, `<Stmt>`).
    pub line_no: u32,
}

/// One entry of a statement (for camt.053: one `TxDtls` of an `Ntry`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementLine {
    /// 1-based source line where the entry (`:61:` or `<Ntry>`) starts.
    pub line_no: u32,
    /// 0-based index of the line within its statement.
    pub index: u32,
    /// Value date.
    pub value_date: NaiveDate,
    /// Booking (entry) date.
    pub booking_date: Option<NaiveDate>,
    /// Effect on the balance.
    pub direction: Direction,
    /// A reversal (`RD`/`RC`, camt `RvslInd`).
    pub reversal: bool,
    /// Positive amount.
    pub amount: Money,
    /// ISO currency code.
    pub currency: String,
    /// MT940: the 3 characters after `N`/`F`/`S` in `:61:` (`TRF`, PKO O-ZSI `152`);
    /// camt: `Domn/Fmly/SubFmly` codes joined by `/` or `Prtry/Cd`.
    pub type_code: Option<String>,
    /// `:61:` customer reference (`NONREF` → `None`), camt `EndToEndId`.
    pub customer_reference: Option<String>,
    /// `:61:` reference after `//`, camt `AcctSvcrRef`.
    pub bank_reference: Option<String>,
    /// Remittance information, joined per dialect.
    pub title: String,
    /// The other party's name.
    pub counterparty_name: Option<String>,
    /// The other party's account (IBAN/NRB without spaces; PKO `~31` is a partial NRB).
    pub counterparty_account: Option<String>,
    /// The (virtual) account credited when the bank says it: mBank `ID IPH`, camt `CdtrAcct`.
    pub credited_account: Option<String>,
    /// The day the payer's account was debited: mBank `DATA STEMPLA`, PKO `~60`.
    pub payer_debit_date: Option<NaiveDate>,
    /// mBank `TNR`, PKO `<operation>/<group>`, camt `AcctSvcrRef`/`TxId`/`EndToEndId`.
    pub transaction_id: Option<String>,
    /// Stable key for idempotent imports (see the module docs of [`super`]).
    pub dedupe_key: String,
    /// The entry's decoded source text.
    pub raw: String,
}

/// The end of a statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementEnd {
    /// Closing booked balance (`:62F:`/`:62M:`, camt `CLBD`); `None` for MT942.
    pub closing: Option<Balance>,
    /// 1-based line of the closing balance (or of the statement's last line).
    pub line_no: u32,
}

/// One item of the event stream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Event {
    /// A statement starts.
    Statement(StatementHeader),
    /// An entry of the current statement.
    Line(StatementLine),
    /// The current statement ends.
    End(StatementEnd),
}

/// A whole statement (see [`super::parse_all`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParsedStatement {
    /// The header.
    pub header: StatementHeader,
    /// The lines in file order.
    pub lines: Vec<StatementLine>,
    /// The end.
    pub end: StatementEnd,
}
