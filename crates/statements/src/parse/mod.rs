//! Statement parsers: MT940/MT942 in the dialects Polish banks send, and camt.053.
//!
//! Pure, streaming, panic-free: [`events`] yields [`Event`]s one at a time (a statement header,
//! its lines, its end), so memory stays flat whatever the number of lines; after the first
//! error the stream ends. **Import a file whole or not at all**: commit only when the stream
//! ended without an error.
//!
//! # MT940 / MT942 dialects
//!
//! * Framing: mBank's SOH (0x01) line before and `-` + ETX (0x03) after each block, `-` lines,
//!   blank lines, SWIFT `{1:…}{2:…}{4:` headers and `-}` trailers; several statements and
//!   accounts per file. MT942 (`:34F:`, `:13D:`, `:90D:`/`:90C:` checked against the lines)
//!   gives headers with `intraday = true` and no balances.
//! * `:25:` with or without the leading `/` and `PL`. `:61:` with optional entry date,
//!   `D`/`C`/`RD`/`RC`, optional funds-code letter (mBank's third currency letter), `N`/`F`/`S`
//!   + 3 characters, customer reference, `//` bank reference, optional second line.
//! * `:86:` structured with `~NN` (PKO BP), `<NN`, `^NN` or `?NN` (MultiCash) subfields: the
//!   field's lines are joined **without** a separator (PKO cuts text at fixed 27-character
//!   widths, mid-word), split at the subfields, the title (`20`–`25` for PKO; `20`–`29` and
//!   `60`–`63` otherwise) and the name (`32`+`33`) are joined raw and trimmed once. PKO: `~38`
//!   (else `~31`) is the counterparty account and `~60` the payer's document date.
//! * `:86:` free text (mBank CompanyNet): lines joined without a separator (mBank wraps at ~65
//!   characters mid-token), split on `; `, keys `ID IPH:`, `Z RACH.:`, `NA RACH.:`, `OD:`,
//!   `DLA:`, `TYT.:`, `DATA STEMPLA:`, `TNR:` (and others, kept in the text they follow).
//!   Without known keys the whole text is the title.
//! * Unknown tags are errors, except inside `:86:` where a line that merely looks like a tag is
//!   text. Statement-level `:86:`, `:21:`, `:64:`, `:65:` are validated and accepted.
//!
//! # Balances
//!
//! When a statement has both an opening and a closing balance in the same currency, opening +
//! credits − debits must equal the closing balance; otherwise the stream fails on the closing
//! balance's line. (A closing balance in another currency than the opening one is not checked.)
//!
//! # Dedupe keys ([`StatementLine::dedupe_key`])
//!
//! * mBank: `TNR:<tnr>` (mBank's unique transaction number, the same in MT942 and MT940).
//! * PKO BP: `PKO:<operation>/<group>` from the 16 digits after `//` in `:61:` (8 + 8).
//! * camt.053: `<AcctSvcrRef or NtryRef of the Ntry>/<index of the TxDtls in the Ntry>`.
//! * Otherwise: `<account>|<statement number>|<value date>|<amount>|<C or D>|<index>`.

mod camt053;
pub mod encoding;
mod error;
mod model;
mod mt940;
mod source;
mod transcode;
mod writer;

pub use encoding::TextEncoding;
pub use error::ParseError;
pub use model::{
    Balance, Direction, Event, Format, FormatHint, ParseOptions, ParsedStatement, StatementEnd,
    StatementHeader, StatementLine,
};
pub use writer::write_mt940_pko;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use wspolnota_core::Money;

/// Streaming parser: yields events in order; after the first `Err` it yields nothing more.
///
/// Fails up front only when the bytes cannot be decoded (invalid UTF-8 when UTF-8 was asked for).
pub fn events<'a>(
    file_name: &str,
    bytes: &'a [u8],
    options: &ParseOptions,
) -> Result<Box<dyn Iterator<Item = Result<Event, ParseError>> + Send + 'a>, ParseError> {
    let (text, _encoding) = encoding::decode(file_name, bytes, options.encoding)?;
    let format = match options.format {
        FormatHint::Mt940 => Format::Mt940,
        FormatHint::Camt053 => Format::Camt053,
        FormatHint::Auto => {
            let first = text
                .chars()
                .find(|c| !c.is_whitespace() && *c != '\u{1}' && *c != '\u{feff}');
            if first == Some('<') {
                Format::Camt053
            } else {
                Format::Mt940
            }
        }
    };
    Ok(match format {
        Format::Mt940 => Box::new(mt940::Mt940Events::new(
            file_name,
            source::Lines::Text { text, pos: 0 },
        )),
        Format::Camt053 => Box::new(camt053::CamtEvents::new(
            file_name,
            transcode::Source::text(text),
        )),
    })
}

/// The events of a statement file read from `reader`, as [`events`] yields them for the same
/// bytes, in memory that does not grow with the file: MT940 is read and decoded one line at a
/// time, camt.053 a chunk at a time, holding at most one `Ntry` element's text. The encoding
/// (unless given) is detected on the first 4 MiB, as [`events`] detects it on the whole file;
/// when that prefix is all ASCII, on the first MT940 line (camt.053 chunk) that is not.
///
/// Reading errors end the stream with an error naming the line reached. Invalid UTF-8 within
/// the first 4 MiB of a camt.053 file fails up front, as [`events`] fails.
pub fn stream(
    file_name: &str,
    mut reader: Box<dyn std::io::BufRead + Send>,
    options: &ParseOptions,
) -> Result<Box<dyn Iterator<Item = Result<Event, ParseError>> + Send>, ParseError> {
    let prefix = source::prefix(file_name, &mut *reader, options)?;
    Ok(match prefix.format {
        Format::Mt940 => Box::new(mt940::Mt940Events::new(
            file_name,
            source::Lines::Stream {
                file: file_name.to_owned(),
                reader: Box::new(std::io::Read::chain(
                    std::io::Cursor::new(prefix.bytes),
                    reader,
                )),
                encoding: prefix.encoding,
                raw: Vec::new(),
                line: String::new(),
                loaded: false,
                at_end: false,
            },
        )),
        Format::Camt053 => Box::new(camt053::CamtEvents::new(
            file_name,
            transcode::Source::stream(file_name, prefix, reader)?,
        )),
    })
}

/// Convenience: the whole file parsed (for tests and small files).
pub fn parse_all(
    file_name: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Vec<ParsedStatement>, ParseError> {
    let mut out = Vec::new();
    let mut current: Option<(StatementHeader, Vec<StatementLine>)> = None;
    for event in events(file_name, bytes, options)? {
        match event? {
            Event::Statement(header) => {
                if current.is_some() {
                    return Err(ParseError::new(
                        file_name,
                        header.line_no,
                        "statement",
                        "internal: statement started before the previous one ended",
                    ));
                }
                current = Some((header, Vec::new()));
            }
            Event::Line(line) => match current.as_mut() {
                Some((_, lines)) => lines.push(line),
                None => {
                    return Err(ParseError::new(
                        file_name,
                        line.line_no,
                        "statement",
                        "internal: line outside a statement",
                    ));
                }
            },
            Event::End(end) => match current.take() {
                Some((header, lines)) => out.push(ParsedStatement { header, lines, end }),
                None => {
                    return Err(ParseError::new(
                        file_name,
                        end.line_no,
                        "statement",
                        "internal: end outside a statement",
                    ));
                }
            },
        }
    }
    if let Some((header, _)) = current {
        return Err(ParseError::new(
            file_name,
            header.line_no,
            "statement",
            "internal: statement not ended",
        ));
    }
    Ok(out)
}

/// Parses an amount written with a decimal comma or point (`6979,18`, `12,`, `0`, `8.85`).
pub(crate) fn parse_amount(text: &str) -> Result<Money, String> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        || t.chars().filter(|c| *c == ',' || *c == '.').count() > 1
        || !t.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!("invalid amount {t:?}"));
    }
    let mut normalised = t.replace(',', ".");
    if normalised.ends_with('.') {
        normalised.push('0');
    }
    let decimal: Decimal = normalised
        .parse()
        .map_err(|_| format!("invalid amount {t:?}"))?;
    Money::new(decimal).map_err(|e| format!("invalid amount {t:?}: {e}"))
}

/// `YYMMDD` (years 00–79 → 20xx, 80–99 → 19xx).
pub(crate) fn parse_yymmdd(text: &str) -> Option<NaiveDate> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = text.get(0..2)?.parse().ok()?;
    let mm: u32 = text.get(2..4)?.parse().ok()?;
    let dd: u32 = text.get(4..6)?.parse().ok()?;
    let year = if yy < 80 { 2000 + yy } else { 1900 + yy };
    NaiveDate::from_ymd_opt(year, mm, dd)
}

/// A date in any of the forms banks use in free text: `YYYY-MM-DD`, `DD.MM.YYYY`, `YYYYMMDD`,
/// `YYMMDD`.
pub(crate) fn parse_loose_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() == 6 {
        return parse_yymmdd(t);
    }
    ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

/// Account as written, normalised: leading `/` and all whitespace removed.
pub(crate) fn normalise_account(text: &str) -> String {
    text.trim()
        .trim_start_matches('/')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// `Some(trimmed)` unless empty.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub(crate) fn fallback_dedupe_key(
    account: &str,
    number: Option<&str>,
    value_date: NaiveDate,
    amount: Money,
    direction: Direction,
    index: u32,
) -> String {
    let d = match direction {
        Direction::Credit => 'C',
        Direction::Debit => 'D',
    };
    format!(
        "{account}|{}|{value_date}|{amount}|{d}|{index}",
        number.unwrap_or("")
    )
}

/// Checks opening + credits − debits == closing.
pub(crate) fn check_balance(
    opening: Money,
    movements: Money,
    closing: Money,
) -> Result<(), String> {
    match opening.checked_add(movements) {
        Some(expected) if expected == closing => Ok(()),
        Some(expected) => Err(format!(
            "statement does not balance: opening {opening} + movements {movements} = {expected}, closing balance says {closing}"
        )),
        None => Err("statement balance overflows".to_owned()),
    }
}
