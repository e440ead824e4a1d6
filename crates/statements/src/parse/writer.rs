//! MT940 writer in the PKO BP dialect (for property tests and benchmark files).

use chrono::NaiveDate;
use wspolnota_core::Money;

use super::encoding::{encode, filler};
use super::{Balance, Direction, ParsedStatement, TextEncoding};

const PIECE: usize = 27;

/// Writes `statement` as a PKO BP iPKO biznes MT940 report in `encoding` (CR LF line ends,
/// `~NN` subfields one per line, 27-character pieces, `0xFF` for empty subfields — nothing in
/// UTF-8 — and a closing `-`).
///
/// The title is cut to 6 × 27 characters and the counterparty name to 2 × 27 (the format has no
/// room for more). `type_code` is written after `N` (3 characters, `000` when absent); the bank
/// reference is `transaction_id` without `/` when it is PKO's `operation/group`, else
/// `bank_reference`.
pub fn write_mt940_pko(statement: &ParsedStatement, encoding: TextEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    let h = &statement.header;
    let line = |out: &mut Vec<u8>, text: &str| {
        out.extend_from_slice(&encode(text, encoding));
        out.extend_from_slice(b"\r\n");
    };
    line(&mut out, &format!(":20:{}", h.reference));
    line(&mut out, &format!(":25:/{}", h.account));
    if let Some(n) = &h.number {
        line(&mut out, &format!(":28C:{n}"));
    }
    if let Some(b) = &h.opening {
        line(&mut out, &format!(":60F:{}", balance(b, &h.currency)));
    }
    for l in &statement.lines {
        let mark = match (l.direction, l.reversal) {
            (Direction::Credit, false) => "C",
            (Direction::Debit, false) => "D",
            (Direction::Credit, true) => "RD",
            (Direction::Debit, true) => "RC",
        };
        let code: String = l
            .type_code
            .as_deref()
            .unwrap_or("000")
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        let booking = l
            .booking_date
            .map(|d| d.format("%m%d").to_string())
            .unwrap_or_default();
        let bank_ref = l
            .transaction_id
            .as_deref()
            .filter(|t| t.len() == 17 && t.as_bytes().get(8) == Some(&b'/'))
            .map(|t| t.replace('/', ""))
            .or_else(|| l.bank_reference.clone())
            .unwrap_or_default();
        line(
            &mut out,
            &format!(
                ":61:{}{booking}{mark}{}N{code}{}//{bank_ref}",
                l.value_date.format("%y%m%d"),
                amount(l.amount),
                l.customer_reference.as_deref().unwrap_or("NONREF"),
            ),
        );
        line(&mut out, &format!("{code} 0"));
        line(&mut out, &format!(":86:020~00{code}"));
        let title = pieces(&l.title, 6);
        for (i, piece) in title.iter().enumerate() {
            subfield(&mut out, 20 + i, piece, encoding);
        }
        subfield(&mut out, 30, "", encoding);
        subfield(&mut out, 31, "", encoding);
        let name = pieces(l.counterparty_name.as_deref().unwrap_or(""), 2);
        for (i, piece) in name.iter().enumerate() {
            subfield(&mut out, 32 + i, piece, encoding);
        }
        subfield(
            &mut out,
            38,
            l.counterparty_account.as_deref().unwrap_or(""),
            encoding,
        );
        let date = l.payer_debit_date.map(date8).unwrap_or_default();
        subfield(&mut out, 60, &date, encoding);
        subfield(&mut out, 63, "", encoding);
    }
    if let Some(b) = &statement.end.closing {
        line(&mut out, &format!(":62F:{}", balance(b, &h.currency)));
    }
    line(&mut out, "-");
    out
}

fn subfield(out: &mut Vec<u8>, key: usize, value: &str, encoding: TextEncoding) {
    out.extend_from_slice(format!("~{key:02}").as_bytes());
    if value.is_empty() {
        out.extend_from_slice(filler(encoding));
    } else {
        out.extend_from_slice(&encode(value, encoding));
    }
    out.extend_from_slice(b"\r\n");
}

/// `n` pieces of exactly 27 characters while more text follows (fixed-width cut, as PKO does).
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().take(PIECE * n).collect();
    (0..n)
        .map(|i| {
            chars
                .get((i * PIECE).min(chars.len())..((i + 1) * PIECE).min(chars.len()))
                .unwrap_or(&[])
                .iter()
                .collect()
        })
        .collect()
}

fn amount(m: Money) -> String {
    m.abs().to_string().replace('.', ",")
}

fn balance(b: &Balance, currency: &str) -> String {
    let mark = if b.amount.is_negative() { 'D' } else { 'C' };
    format!(
        "{mark}{}{currency}{}",
        b.date.format("%y%m%d"),
        amount(b.amount)
    )
}

fn date8(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}
