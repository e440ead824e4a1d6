//! MT940 / MT942 as Polish banks send them (see the dialect notes in [`super`]).

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate};
use wspolnota_core::Money;

use super::source::Lines;
use super::{
    Balance, Direction, Event, Format, ParseError, StatementEnd, StatementHeader, StatementLine,
    check_balance, fallback_dedupe_key, non_empty, normalise_account, parse_amount,
    parse_loose_date, parse_yymmdd,
};

/// Tags this parser understands.
const KNOWN_TAGS: &[&str] = &[
    "20", "21", "25", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65", "34F", "13",
    "13D", "90D", "90C",
];

/// A field: its tag and its lines (the first without the `:tag:` prefix).
#[derive(Debug)]
struct Field {
    tag: String,
    line_no: u32,
    lines: Vec<String>,
    raw: Vec<String>,
}

#[derive(Debug)]
enum Item {
    Field(Field),
    EndOfMessage(u32),
}

enum LineKind<'s> {
    Blank,
    End,
    Tag(&'s str, &'s str),
    Text(&'s str),
}

/// Strips framing (CR, SOH, ETX, SWIFT block headers) and classifies a physical line.
fn classify(line: &str) -> LineKind<'_> {
    let mut l = line.strip_suffix('\r').unwrap_or(line);
    l = l.trim_start_matches('\u{1}').trim_end_matches('\u{3}');
    if l.starts_with("{1:") || l.starts_with("{2:") {
        match l.find("{4:") {
            Some(p) => l = l.get(p + 3..).unwrap_or(""),
            None => return LineKind::Blank,
        }
    }
    if l.starts_with("{5:") {
        return LineKind::Blank;
    }
    if l.trim().is_empty() {
        return LineKind::Blank;
    }
    if l.trim_end() == "-" || l.starts_with("-}") {
        return LineKind::End;
    }
    if let Some(rest) = l.strip_prefix(':') {
        let b = rest.as_bytes();
        let digits = b.len() >= 3
            && b.first().is_some_and(u8::is_ascii_digit)
            && b.get(1).is_some_and(u8::is_ascii_digit);
        if digits {
            if b.get(2) == Some(&b':') {
                return LineKind::Tag(rest.get(..2).unwrap_or(""), rest.get(3..).unwrap_or(""));
            }
            if b.get(2).is_some_and(u8::is_ascii_uppercase) && b.get(3) == Some(&b':') {
                return LineKind::Tag(rest.get(..3).unwrap_or(""), rest.get(4..).unwrap_or(""));
            }
        }
    }
    LineKind::Text(l)
}

fn is_known(tag: &str) -> bool {
    KNOWN_TAGS.contains(&tag)
}

#[derive(Debug)]
struct Stmt {
    line_no: u32,
    reference: String,
    account: Option<String>,
    number: Option<String>,
    opening: Option<(Balance, String)>,
    currency: Option<String>,
    intraday: bool,
    header_emitted: bool,
    index: u32,
    movements: Money,
    closing: Option<(Balance, u32)>,
    debits: (u32, Money),
    credits: (u32, Money),
}

/// The MT940 event iterator.
pub(crate) struct Mt940Events<'a> {
    file: String,
    lines: Lines<'a>,
    next_line_no: u32,
    pending: Option<Item>,
    stmt: Option<Stmt>,
    queue: VecDeque<Event>,
    stopped: bool,
}

impl<'a> Mt940Events<'a> {
    pub(crate) fn new(file: &str, lines: Lines<'a>) -> Self {
        Self {
            file: file.to_owned(),
            lines,
            next_line_no: 1,
            pending: None,
            stmt: None,
            queue: VecDeque::new(),
            stopped: false,
        }
    }

    fn err(&self, line: u32, field: impl Into<String>, message: impl Into<String>) -> ParseError {
        ParseError::new(&self.file, line, field, message)
    }

    /// The next physical line without consuming it.
    fn peek_line(&mut self) -> Result<Option<&str>, ParseError> {
        self.lines.fill(self.next_line_no)?;
        Ok(self.lines.current())
    }

    fn consume_line(&mut self) {
        self.lines.consume();
        self.next_line_no = self.next_line_no.saturating_add(1);
    }

    /// Reads the next field or end-of-message marker.
    fn read_item(&mut self) -> Result<Option<Item>, ParseError> {
        loop {
            let line_no = self.next_line_no;
            self.lines.fill(line_no)?;
            let Some(line) = self.lines.current() else {
                return Ok(None);
            };
            let (tag, content, raw) = match classify(line) {
                LineKind::Blank => {
                    self.consume_line();
                    continue;
                }
                LineKind::End => {
                    self.consume_line();
                    return Ok(Some(Item::EndOfMessage(line_no)));
                }
                LineKind::Text(t) => {
                    let shown: String = t.chars().take(40).collect();
                    return Err(self.err(
                        line_no,
                        "line",
                        format!("text outside any field: {shown:?}"),
                    ));
                }
                LineKind::Tag(tag, content) => (
                    tag.to_owned(),
                    content.to_owned(),
                    line.trim_end_matches('\r').to_owned(),
                ),
            };
            if !is_known(&tag) {
                return Err(self.err(line_no, format!(":{tag}:"), "unknown tag"));
            }
            self.consume_line();
            let mut field = Field {
                tag,
                line_no,
                lines: vec![content],
                raw: vec![raw],
            };
            while let Some(next) = self.peek_line()? {
                let text = match classify(next) {
                    LineKind::Text(t) => t.to_owned(),
                    LineKind::Tag(t, _) if field.tag == "86" && !is_known(t) => {
                        next.trim_end_matches(['\r', '\u{3}']).to_owned()
                    }
                    _ => break,
                };
                field.raw.push(next.trim_end_matches('\r').to_owned());
                field.lines.push(text);
                self.consume_line();
            }
            return Ok(Some(Item::Field(field)));
        }
    }

    fn step(&mut self) -> Result<bool, ParseError> {
        let item = match self.pending.take() {
            Some(item) => Some(item),
            None => self.read_item()?,
        };
        match item {
            None => {
                let last = self.next_line_no.saturating_sub(1).max(1);
                self.finish_statement(last)?;
                Ok(false)
            }
            Some(Item::EndOfMessage(line)) => {
                self.finish_statement(line)?;
                Ok(true)
            }
            Some(Item::Field(field)) => {
                self.field(field)?;
                Ok(true)
            }
        }
    }

    fn field(&mut self, f: Field) -> Result<(), ParseError> {
        let first = f.lines.first().map(String::as_str).unwrap_or("").trim();
        let name = format!(":{}:", f.tag);
        if f.tag == "20" {
            self.finish_statement(f.line_no)?;
            if first.is_empty() {
                return Err(self.err(f.line_no, name, "empty transaction reference"));
            }
            self.stmt = Some(Stmt {
                line_no: f.line_no,
                reference: first.to_owned(),
                account: None,
                number: None,
                opening: None,
                currency: None,
                intraday: false,
                header_emitted: false,
                index: 0,
                movements: Money::ZERO,
                closing: None,
                debits: (0, Money::ZERO),
                credits: (0, Money::ZERO),
            });
            return Ok(());
        }
        if self.stmt.is_none() {
            return Err(self.err(f.line_no, ":20:", format!("missing :20: before {name}")));
        }
        match f.tag.as_str() {
            "21" | "86" => {}
            "13" | "13D" => {
                if !first.bytes().take(10).all(|b| b.is_ascii_digit()) || first.len() < 10 {
                    return Err(self.err(f.line_no, name, format!("invalid date/time {first:?}")));
                }
                self.with_stmt(|s| s.intraday = true);
            }
            "25" => {
                let account = normalise_account(first);
                if account.is_empty() {
                    return Err(self.err(f.line_no, name, "empty account"));
                }
                self.with_stmt(|s| s.account = Some(account));
            }
            "28" | "28C" => {
                let number = non_empty(first);
                self.with_stmt(|s| s.number = number);
            }
            "60F" | "60M" => {
                let (balance, currency) = self.balance(first, f.line_no, &name)?;
                self.with_stmt(|s| {
                    s.currency = Some(currency.clone());
                    s.opening = Some((balance, currency));
                });
            }
            "34F" => {
                let currency = first.get(..3).unwrap_or("");
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(self.err(
                        f.line_no,
                        format!("{name} currency"),
                        "invalid currency",
                    ));
                }
                let rest = first.get(3..).unwrap_or("");
                let rest = rest.strip_prefix(['D', 'C']).unwrap_or(rest);
                parse_amount(rest).map_err(|m| self.err(f.line_no, format!("{name} amount"), m))?;
                let currency = currency.to_owned();
                self.with_stmt(|s| {
                    s.intraday = true;
                    if s.currency.is_none() {
                        s.currency = Some(currency);
                    }
                });
            }
            "61" => self.entry(f)?,
            "62F" | "62M" => {
                self.ensure_header()?;
                let (closing, currency) = self.balance(first, f.line_no, &name)?;
                let Some(stmt) = self.stmt.as_mut() else {
                    return Ok(());
                };
                if stmt.closing.is_some() {
                    return Err(ParseError::new(
                        &self.file,
                        f.line_no,
                        name,
                        "second closing balance in one statement",
                    ));
                }
                stmt.closing = Some((closing, f.line_no));
                if let Some((opening, opening_currency)) = &stmt.opening
                    && *opening_currency == currency
                {
                    check_balance(opening.amount, stmt.movements, closing.amount)
                        .map_err(|m| ParseError::new(&self.file, f.line_no, name, m))?;
                }
            }
            "64" | "65" => {
                self.balance(first, f.line_no, &name)?;
            }
            "90D" | "90C" => {
                let digits: String = first.chars().take_while(char::is_ascii_digit).collect();
                let count: u32 = digits.parse().map_err(|_| {
                    self.err(
                        f.line_no,
                        format!("{name} count"),
                        "invalid number of entries",
                    )
                })?;
                let rest = first.get(digits.len()..).unwrap_or("");
                let amount = parse_amount(rest.get(3..).unwrap_or(""))
                    .map_err(|m| self.err(f.line_no, format!("{name} amount"), m))?;
                let Some(stmt) = self.stmt.as_mut() else {
                    return Ok(());
                };
                stmt.intraday = true;
                let (have_count, have_sum) = if f.tag == "90D" {
                    stmt.debits
                } else {
                    stmt.credits
                };
                if have_count != count || have_sum != amount {
                    return Err(ParseError::new(
                        &self.file,
                        f.line_no,
                        name,
                        format!(
                            "totals say {count} entries for {amount}, the statement has {have_count} for {have_sum}"
                        ),
                    ));
                }
            }
            _ => return Err(self.err(f.line_no, name, "unknown tag")),
        }
        Ok(())
    }

    fn with_stmt(&mut self, f: impl FnOnce(&mut Stmt)) {
        if let Some(s) = self.stmt.as_mut() {
            f(s);
        }
    }

    /// `C|D YYMMDD CCY amount`.
    fn balance(&self, text: &str, line: u32, name: &str) -> Result<(Balance, String), ParseError> {
        let debit = match text.get(..1) {
            Some("C") => false,
            Some("D") => true,
            _ => {
                return Err(self.err(line, format!("{name} debit/credit mark"), "expected C or D"));
            }
        };
        let date = text
            .get(1..7)
            .and_then(parse_yymmdd)
            .ok_or_else(|| self.err(line, format!("{name} date"), "invalid date (YYMMDD)"))?;
        let currency = text.get(7..10).unwrap_or("");
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.err(line, format!("{name} currency"), "invalid currency"));
        }
        let amount = parse_amount(text.get(10..).unwrap_or(""))
            .map_err(|m| self.err(line, format!("{name} amount"), m))?;
        let amount = if debit { -amount } else { amount };
        Ok((Balance { date, amount }, currency.to_owned()))
    }

    fn ensure_header(&mut self) -> Result<(), ParseError> {
        let Some(stmt) = self.stmt.as_mut() else {
            return Ok(());
        };
        if stmt.header_emitted {
            return Ok(());
        }
        let Some(account) = stmt.account.clone() else {
            return Err(ParseError::new(
                &self.file,
                stmt.line_no,
                ":25:",
                "missing account identification (:25:)",
            ));
        };
        let Some(currency) = stmt.currency.clone() else {
            let field = if stmt.intraday { ":34F:" } else { ":60F:" };
            return Err(ParseError::new(
                &self.file,
                stmt.line_no,
                field,
                "missing opening balance / currency",
            ));
        };
        stmt.header_emitted = true;
        self.queue.push_back(Event::Statement(StatementHeader {
            format: Format::Mt940,
            intraday: stmt.intraday,
            reference: stmt.reference.clone(),
            account,
            number: stmt.number.clone(),
            currency,
            opening: stmt.opening.as_ref().map(|(b, _)| *b),
            line_no: stmt.line_no,
        }));
        Ok(())
    }

    fn finish_statement(&mut self, line: u32) -> Result<(), ParseError> {
        if self.stmt.is_none() {
            return Ok(());
        }
        self.ensure_header()?;
        let Some(stmt) = self.stmt.take() else {
            return Ok(());
        };
        if !stmt.intraday && stmt.closing.is_none() {
            return Err(self.err(
                line,
                ":62F:",
                "statement ends without a closing balance (truncated file?)",
            ));
        }
        self.queue.push_back(Event::End(StatementEnd {
            closing: stmt.closing.map(|(b, _)| b),
            line_no: stmt.closing.map(|(_, l)| l).unwrap_or(line),
        }));
        Ok(())
    }

    fn entry(&mut self, f: Field) -> Result<(), ParseError> {
        if self.stmt.as_ref().is_some_and(|s| s.closing.is_some()) {
            return Err(self.err(f.line_no, ":61:", "entry after the closing balance"));
        }
        self.ensure_header()?;
        let first = f.lines.first().map(String::as_str).unwrap_or("");
        let e =
            parse_61(first).map_err(|(part, m)| self.err(f.line_no, format!(":61: {part}"), m))?;
        let mut raw = f.raw.join("\n");
        let info = match self.read_item()? {
            Some(Item::Field(next)) if next.tag == "86" => {
                raw.push('\n');
                raw.push_str(&next.raw.join("\n"));
                Some(
                    parse_86(&next.lines)
                        .map_err(|(part, m)| self.err(next.line_no, format!(":86: {part}"), m))?,
                )
            }
            other => {
                self.pending = other;
                None
            }
        };
        let info = info.unwrap_or_default();
        let Some(stmt) = self.stmt.as_mut() else {
            return Ok(());
        };
        let signed = match e.direction {
            Direction::Credit => e.amount,
            Direction::Debit => -e.amount,
        };
        let overflow = || ParseError::new(&self.file, f.line_no, ":61: amount", "sum overflows");
        stmt.movements = stmt.movements.checked_add(signed).ok_or_else(overflow)?;
        let totals = match e.direction {
            Direction::Credit => &mut stmt.credits,
            Direction::Debit => &mut stmt.debits,
        };
        totals.0 = totals.0.saturating_add(1);
        totals.1 = totals.1.checked_add(e.amount).ok_or_else(overflow)?;

        let pko_id = (info.separator == Some('~'))
            .then(|| e.bank_reference.as_deref().and_then(pko_operation))
            .flatten();
        let (transaction_id, dedupe_key) = if let Some(tnr) = &info.tnr {
            (Some(tnr.clone()), format!("TNR:{tnr}"))
        } else if let Some(id) = pko_id {
            (Some(id.clone()), format!("PKO:{id}"))
        } else {
            let key = fallback_dedupe_key(
                stmt.account.as_deref().unwrap_or(""),
                stmt.number.as_deref(),
                e.value_date,
                e.amount,
                e.direction,
                stmt.index,
            );
            (None, key)
        };
        let line = StatementLine {
            line_no: f.line_no,
            index: stmt.index,
            value_date: e.value_date,
            booking_date: e.booking_date,
            direction: e.direction,
            reversal: e.reversal,
            amount: e.amount,
            currency: stmt.currency.clone().unwrap_or_default(),
            type_code: e.type_code,
            customer_reference: e.customer_reference,
            bank_reference: e.bank_reference,
            title: info.title,
            counterparty_name: info.counterparty_name,
            counterparty_account: info.counterparty_account,
            credited_account: info.credited_account,
            payer_debit_date: info.payer_debit_date,
            transaction_id,
            dedupe_key,
            raw,
        };
        stmt.index = stmt.index.saturating_add(1);
        self.queue.push_back(Event::Line(line));
        Ok(())
    }
}

impl Iterator for Mt940Events<'_> {
    type Item = Result<Event, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if self.stopped {
                return None;
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => self.stopped = true,
                Err(e) => {
                    self.stopped = true;
                    self.queue.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// PKO's 16-digit reference after `//`: operation number (8) + group number (8).
fn pko_operation(reference: &str) -> Option<String> {
    let r = reference.trim();
    if r.len() == 16 && r.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("{}/{}", r.get(..8)?, r.get(8..)?))
    } else {
        None
    }
}

#[derive(Debug)]
struct Entry {
    value_date: NaiveDate,
    booking_date: Option<NaiveDate>,
    direction: Direction,
    reversal: bool,
    amount: Money,
    type_code: Option<String>,
    customer_reference: Option<String>,
    bank_reference: Option<String>,
}

type PartError = (&'static str, String);

/// `:61:` line 1: `YYMMDD[MMDD](D|C|RD|RC)[funds]amount(N|F|S)xxx[custref][//bankref]`.
fn parse_61(s: &str) -> Result<Entry, PartError> {
    let value_date = s
        .get(..6)
        .and_then(parse_yymmdd)
        .ok_or(("value date", "invalid value date (YYMMDD)".to_owned()))?;
    let mut rest = s.get(6..).unwrap_or("");
    let mut booking_date = None;
    if let Some(mmdd) = rest.get(..4)
        && mmdd.bytes().all(|b| b.is_ascii_digit())
    {
        let bad = || ("entry date", format!("invalid entry date {mmdd:?} (MMDD)"));
        let mm: u32 = mmdd.get(..2).and_then(|m| m.parse().ok()).ok_or_else(bad)?;
        let dd: u32 = mmdd.get(2..).and_then(|d| d.parse().ok()).ok_or_else(bad)?;
        let year = match (value_date.month(), mm) {
            (12, 1) => value_date.year() + 1,
            (1, 12) => value_date.year() - 1,
            _ => value_date.year(),
        };
        booking_date = Some(NaiveDate::from_ymd_opt(year, mm, dd).ok_or_else(bad)?);
        rest = rest.get(4..).unwrap_or("");
    }
    let (direction, reversal, after) = if let Some(r) = rest.strip_prefix("RD") {
        (Direction::Credit, true, r)
    } else if let Some(r) = rest.strip_prefix("RC") {
        (Direction::Debit, true, r)
    } else if let Some(r) = rest.strip_prefix('D') {
        (Direction::Debit, false, r)
    } else if let Some(r) = rest.strip_prefix('C') {
        (Direction::Credit, false, r)
    } else {
        return Err(("debit/credit mark", "expected D, C, RD or RC".to_owned()));
    };
    rest = after;
    if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        rest = rest.get(1..).unwrap_or("");
    }
    let amount_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b',')
        .count();
    let amount = parse_amount(rest.get(..amount_len).unwrap_or("")).map_err(|m| ("amount", m))?;
    rest = rest.get(amount_len..).unwrap_or("");
    if !rest.starts_with(['N', 'F', 'S']) {
        return Err((
            "transaction type",
            "expected N, F or S and a 3-character code".to_owned(),
        ));
    }
    let code = rest
        .get(1..4)
        .ok_or(("transaction type", "expected a 3-character code".to_owned()))?;
    rest = rest.get(4..).unwrap_or("");
    let (customer, bank) = match rest.find("//") {
        Some(p) => (rest.get(..p).unwrap_or(""), rest.get(p + 2..)),
        None => (rest, None),
    };
    let customer_reference = non_empty(customer).filter(|c| c != "NONREF");
    Ok(Entry {
        value_date,
        booking_date,
        direction,
        reversal,
        amount,
        type_code: non_empty(code),
        customer_reference,
        bank_reference: bank.and_then(non_empty),
    })
}

/// What `:86:` says.
#[derive(Debug, Default)]
struct Info {
    separator: Option<char>,
    title: String,
    counterparty_name: Option<String>,
    counterparty_account: Option<String>,
    credited_account: Option<String>,
    payer_debit_date: Option<NaiveDate>,
    tnr: Option<String>,
}

const SEPARATORS: [char; 4] = ['~', '<', '^', '?'];

/// mBank keys, longest first where one is a suffix of another.
const MBANK_KEYS: &[&str] = &[
    "ID IPH",
    "Z RACH.",
    "NA RACH.",
    "OD",
    "DLA",
    "TYT.",
    "DATA STEMPLA",
    "TNR",
    "REF. KLIENTA",
    "WALUTA",
    "KWOTA",
    "KURS",
    "NIP",
    "ID UZUP.",
    "SYMBOL FORM.",
    "OKRES",
    "RODZAJ SKŁADKI",
    "DEKLARACJA",
    "NAZWA ZOBOW.",
];

fn is_subfield_at(chars: &[char], i: usize, sep: char) -> bool {
    chars.get(i) == Some(&sep)
        && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        && chars.get(i + 2).is_some_and(char::is_ascii_digit)
}

fn parse_86(lines: &[String]) -> Result<Info, PartError> {
    let joined: String = lines.concat();
    let chars: Vec<char> = joined.chars().collect();
    let code_len = chars
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let start = if code_len == 3 { 3 } else { 0 };
    let separator = SEPARATORS
        .into_iter()
        .find(|&sep| is_subfield_at(&chars, start, sep));
    match separator {
        Some(sep) => structured(&chars, start, sep),
        None => free_text(&joined),
    }
}

/// Subfields `<sep>NN`, values joined raw (no separator) per number.
fn structured(chars: &[char], start: usize, sep: char) -> Result<Info, PartError> {
    let mut fields: Vec<(u8, String)> = Vec::new();
    let mut i = start;
    while i < chars.len() {
        if is_subfield_at(chars, i, sep) {
            let d1 = chars.get(i + 1).and_then(|c| c.to_digit(10)).unwrap_or(0);
            let d2 = chars.get(i + 2).and_then(|c| c.to_digit(10)).unwrap_or(0);
            let key = u8::try_from(d1 * 10 + d2).unwrap_or(0);
            fields.push((key, String::new()));
            i += 3;
            continue;
        }
        if let (Some(c), Some((_, value))) = (chars.get(i), fields.last_mut()) {
            value.push(*c);
        }
        i += 1;
    }
    let value = |keys: &[u8]| -> String {
        let mut out = String::new();
        for (k, v) in &fields {
            if keys.contains(k) {
                out.push_str(strip_filler(v));
            }
        }
        out
    };
    let pko = sep == '~';
    let title_keys: Vec<u8> = if pko {
        (20..=25).collect()
    } else {
        (20..=29).chain(60..=63).collect()
    };
    let title = value(&title_keys).trim().to_owned();
    let name = non_empty(&value(&[32, 33]));
    let account = non_empty(&normalise_account(&value(&[38])))
        .or_else(|| non_empty(&normalise_account(&value(&[31]))));
    let payer_debit_date = if pko {
        let raw = value(&[60]);
        match non_empty(&raw) {
            Some(d) => {
                Some(parse_loose_date(&d).ok_or(("~60", format!("invalid document date {d:?}")))?)
            }
            None => None,
        }
    } else {
        None
    };
    Ok(Info {
        separator: Some(sep),
        title,
        counterparty_name: name,
        counterparty_account: account,
        credited_account: None,
        payer_debit_date,
        tnr: None,
    })
}

/// The PKO filler (`0xFF`) as it appears when a file was converted to UTF-8: `˙` or `ÿ`.
fn strip_filler(v: &str) -> &str {
    if !v.is_empty() && v.chars().all(|c| c == '\u{2D9}' || c == '\u{FF}') {
        ""
    } else {
        v
    }
}

/// mBank CompanyNet free text: `<code> <desc>; KEY: value; …`.
fn free_text(joined: &str) -> Result<Info, PartError> {
    let mut info = Info::default();
    let mut segments = joined.split("; ");
    let first = segments.next().unwrap_or("");
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for seg in segments {
        let key = MBANK_KEYS.iter().find(|k| {
            seg.strip_prefix(**k)
                .is_some_and(|rest| rest.starts_with(':'))
        });
        match key {
            Some(k) => {
                let value = seg.get(k.len() + 1..).unwrap_or("").trim().to_owned();
                pairs.push((k, value));
            }
            None => match pairs.last_mut() {
                Some((_, value)) => {
                    value.push_str("; ");
                    value.push_str(seg.trim_end());
                }
                None => pairs.push(("", seg.to_owned())),
            },
        }
    }
    if pairs.iter().all(|(k, _)| k.is_empty()) {
        info.title = joined.trim().to_owned();
        return Ok(info);
    }
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.trim());
    let description = first
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim();
    info.title = get("TYT.").map_or_else(|| description.to_owned(), str::to_owned);
    let compact = |v: &str| -> Option<String> { non_empty(&normalise_account(v)) };
    info.credited_account = get("ID IPH").and_then(compact);
    info.counterparty_account = get("Z RACH.").or_else(|| get("NA RACH.")).and_then(compact);
    info.counterparty_name = get("OD").or_else(|| get("DLA")).and_then(non_empty);
    info.tnr = get("TNR").and_then(compact);
    info.payer_debit_date = match get("DATA STEMPLA") {
        Some(d) => {
            Some(parse_loose_date(d).ok_or(("DATA STEMPLA", format!("invalid date {d:?}")))?)
        }
        None => None,
    };
    if let Some((_, unkeyed)) = pairs.iter().find(|(k, _)| k.is_empty()) {
        info.title = format!("{} {}", info.title, unkeyed.trim())
            .trim()
            .to_owned();
    }
    Ok(info)
}
