//! camt.053 (001.02, 001.04, 001.08) with quick-xml in event (pull) mode.
//!
//! One [`StatementLine`] per `TxDtls` (an `Ntry` without `TxDtls` gives one line); the balance is
//! checked on entries. In a batch entry (several `TxDtls`) each `TxDtls` needs its own amount
//! (`AmtDtls/TxAmt/Amt` or `Amt`) and they must add up to the entry's amount. Entries whose
//! status is not `BOOK` are rejected (a statement reports booked entries).

use std::collections::VecDeque;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use wspolnota_core::Money;

use super::transcode::Source;
use super::{
    Balance, Direction, Event, Format, ParseError, StatementEnd, StatementHeader, StatementLine,
    check_balance, fallback_dedupe_key, non_empty, normalise_account, parse_amount,
};

type Amount = (Money, String);

#[derive(Debug, Default)]
struct BalState {
    line: u32,
    tp: Option<String>,
    amt: Option<Amount>,
    credit: Option<bool>,
    date: Option<NaiveDate>,
}

#[derive(Debug, Default)]
struct StmtState {
    line: u32,
    id: Option<String>,
    electronic_seq: Option<String>,
    legal_seq: Option<String>,
    account: Option<String>,
    account_ccy: Option<String>,
    bal: Option<BalState>,
    opening: Option<(Balance, String)>,
    previous_closing: Option<(Balance, String)>,
    closing: Option<(Balance, String, u32)>,
    header: Option<StatementHeader>,
    header_emitted: bool,
    index: u32,
    movements: Money,
}

#[derive(Debug, Default)]
struct Codes {
    domain: Option<String>,
    family: Option<String>,
    sub_family: Option<String>,
    proprietary: Option<String>,
}

impl Codes {
    fn set(&mut self, rel: &str, value: &str) -> bool {
        let slot = match rel {
            "BkTxCd/Domn/Cd" => &mut self.domain,
            "BkTxCd/Domn/Fmly/Cd" => &mut self.family,
            "BkTxCd/Domn/Fmly/SubFmlyCd" => &mut self.sub_family,
            "BkTxCd/Prtry/Cd" => &mut self.proprietary,
            _ => return false,
        };
        *slot = non_empty(value);
        true
    }

    fn code(&self) -> Option<String> {
        match (&self.domain, &self.family, &self.sub_family) {
            (Some(d), f, s) => {
                let mut parts = vec![d.as_str()];
                parts.extend(f.as_deref());
                parts.extend(s.as_deref());
                Some(parts.join("/"))
            }
            _ => self.proprietary.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct NtryState {
    line: u32,
    start: usize,
    ntry_ref: Option<String>,
    amt: Option<Amount>,
    direction: Option<Direction>,
    reversal: bool,
    status: Option<String>,
    booking: Option<NaiveDate>,
    value: Option<NaiveDate>,
    acct_svcr_ref: Option<String>,
    codes: Codes,
    additional: Option<String>,
    txs: Vec<TxState>,
}

#[derive(Debug, Default)]
struct TxState {
    acct_svcr_ref: Option<String>,
    end_to_end: Option<String>,
    tx_id: Option<String>,
    amt: Option<Amount>,
    tx_amt: Option<Amount>,
    direction: Option<Direction>,
    codes: Codes,
    debtor: Option<String>,
    debtor_account: Option<String>,
    creditor: Option<String>,
    creditor_account: Option<String>,
    unstructured: Vec<String>,
    structured_ref: Option<String>,
    additional: Option<String>,
}

/// Parser state, separate from the text so the text can be borrowed while it changes.
struct State {
    file: String,
    counted: usize,
    line: u32,
    stack: Vec<String>,
    buf: String,
    ccy: Option<String>,
    stmt: Option<StmtState>,
    ntry: Option<NtryState>,
    tx: Option<TxState>,
    seen_stmt: bool,
    queue: VecDeque<Event>,
}

/// The text consumed from absolute offset `base` on: what is still needed of the document.
#[derive(Clone, Copy)]
struct Text<'t> {
    bytes: &'t [u8],
    base: usize,
}

impl<'t> Text<'t> {
    /// The bytes between two absolute offsets (empty if not held).
    fn get(self, from: usize, to: usize) -> &'t [u8] {
        match (from.checked_sub(self.base), to.checked_sub(self.base)) {
            (Some(f), Some(t)) => self.bytes.get(f..t).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The camt.053 event iterator, over a whole text or a stream alike: the XML reader's input
/// keeps only the text from the current `Ntry` (or the current event) on, so memory grows with
/// the largest entry, not with the document.
pub(crate) struct CamtEvents<'a> {
    reader: Reader<Source<'a>>,
    buf: Vec<u8>,
    state: State,
    stopped: bool,
}

impl<'a> CamtEvents<'a> {
    pub(crate) fn new(file: &str, source: Source<'a>) -> Self {
        let mut reader = Reader::from_reader(source);
        reader.config_mut().check_end_names = false;
        reader.config_mut().allow_unmatched_ends = true;
        Self {
            reader,
            buf: Vec::new(),
            state: State {
                file: file.to_owned(),
                counted: 0,
                line: 1,
                stack: Vec::new(),
                buf: String::new(),
                ccy: None,
                stmt: None,
                ntry: None,
                tx: None,
                seen_stmt: false,
                queue: VecDeque::new(),
            },
            stopped: false,
        }
    }

    /// Reads XML events until at least one statement event is queued; `false` at the end.
    fn pump(&mut self) -> Result<bool, ParseError> {
        let Self {
            reader, buf, state, ..
        } = self;
        loop {
            buf.clear();
            // Offsets count the text consumed (a BOM quick-xml skips included).
            let before = reader.get_ref().consumed();
            let event = reader.read_event_into(buf);
            let source = reader.get_ref();
            let after = source.consumed();
            let (bytes, base) = source.window();
            let text = Text { bytes, base };
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    // The input's own decoding or reading error, reported through quick-xml.
                    if let (quick_xml::Error::Io(_), Some(failure)) = (&e, source.failure()) {
                        return Err(failure.clone());
                    }
                    let line = state.line_at(text, before);
                    return Err(state.err(line, state.path(), format!("XML error: {e}")));
                }
            };
            match event {
                XmlEvent::Start(e) => state.start(text, &e, before)?,
                XmlEvent::Empty(e) => {
                    state.start(text, &e, before)?;
                    state.end(text, after)?;
                }
                XmlEvent::End(e) => {
                    let name = local(e.local_name().as_ref());
                    if state.stack.last() != Some(&name) {
                        let line = state.line_at(text, before);
                        return Err(state.err(
                            line,
                            state.path(),
                            format!("unexpected end tag </{name}>"),
                        ));
                    }
                    state.end(text, after)?;
                }
                XmlEvent::Text(t) => state.buf.push_str(&t.xml10_content()),
                XmlEvent::CData(t) => state.buf.push_str(&t.xml10_content()),
                XmlEvent::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match &*r {
                            "amp" => Some('&'),
                            "lt" => Some('<'),
                            "gt" => Some('>'),
                            "quot" => Some('"'),
                            "apos" => Some('\''),
                            _ => None,
                        },
                        Err(_) => None,
                    };
                    match c {
                        Some(c) => state.buf.push(c),
                        None => {
                            let line = state.line_at(text, before);
                            return Err(state.err(
                                line,
                                state.path(),
                                format!("unknown entity &{};", &*r),
                            ));
                        }
                    }
                }
                XmlEvent::Eof => {
                    let line = state.line_at(text, after);
                    if !state.stack.is_empty() {
                        return Err(state.err(
                            line,
                            state.path(),
                            "document ends before its elements are closed (truncated file?)",
                        ));
                    }
                    if !state.seen_stmt {
                        return Err(state.err(line, "Stmt", "no statement in the document"));
                    }
                    return Ok(false);
                }
                XmlEvent::Decl(_)
                | XmlEvent::PI(_)
                | XmlEvent::Comment(_)
                | XmlEvent::DocType(_) => {}
            }
            // Count the lines of the text read, then let go of it unless an entry's raw text
            // will need it.
            state.line_at(text, after);
            let keep = state.ntry.as_ref().map_or(after, |n| n.start.min(after));
            reader.get_mut().forget_before(keep);
            if !state.queue.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl Iterator for CamtEvents<'_> {
    type Item = Result<Event, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.state.queue.pop_front() {
                return Some(Ok(event));
            }
            if self.stopped {
                return None;
            }
            match self.pump() {
                Ok(true) => {}
                Ok(false) => self.stopped = true,
                Err(e) => {
                    self.stopped = true;
                    self.state.queue.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

fn local(name: &str) -> String {
    name.to_owned()
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim().get(..10)?, "%Y-%m-%d").ok()
}

fn parse_direction(value: &str) -> Option<Direction> {
    match value {
        "CRDT" => Some(Direction::Credit),
        "DBIT" => Some(Direction::Debit),
        _ => None,
    }
}

impl State {
    fn err(&self, line: u32, field: impl Into<String>, message: impl Into<String>) -> ParseError {
        ParseError::new(&self.file, line, field, message)
    }

    fn path(&self) -> String {
        if self.stack.is_empty() {
            "Document".to_owned()
        } else {
            self.stack.join("/")
        }
    }

    /// 1-based line of a byte offset; offsets only grow.
    fn line_at(&mut self, text: Text<'_>, offset: usize) -> u32 {
        if offset > self.counted {
            let n = text
                .get(self.counted, offset)
                .iter()
                .filter(|&&c| c == b'\n')
                .count();
            self.line = self
                .line
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            self.counted = offset;
        }
        self.line
    }

    /// The path below the innermost element called `anchor`, if inside one.
    fn rel(&self, anchor: &str) -> Option<String> {
        let at = self.stack.iter().rposition(|s| s == anchor)?;
        Some(self.stack.get(at + 1..).unwrap_or(&[]).join("/"))
    }

    fn start(
        &mut self,
        text: Text<'_>,
        e: &BytesStart<'_>,
        offset: usize,
    ) -> Result<(), ParseError> {
        let name = local(e.local_name().as_ref());
        let line = self.line_at(text, offset);
        let depth = self.stack.len();
        if depth == 0 && name != "Document" {
            return Err(self.err(
                line,
                name,
                "not a camt.053 document (root must be Document)",
            ));
        }
        if depth == 1 && name != "BkToCstmrStmt" {
            return Err(self.err(
                line,
                format!("Document/{name}"),
                "not a camt.053 document (expected BkToCstmrStmt)",
            ));
        }
        self.stack.push(name.clone());
        self.buf.clear();
        if name == "Amt" {
            self.ccy = match e.try_get_attribute("Ccy") {
                Ok(Some(a)) => Some(a.value.trim().to_owned()),
                _ => None,
            };
        }
        match (depth, name.as_str()) {
            (2, "Stmt") => {
                self.seen_stmt = true;
                self.stmt = Some(StmtState {
                    line,
                    ..StmtState::default()
                });
            }
            (3, "Ntry") if self.stmt.is_some() => {
                self.ntry = Some(NtryState {
                    line,
                    start: offset,
                    ..NtryState::default()
                });
            }
            (3, "Bal") => {
                if let Some(s) = self.stmt.as_mut() {
                    s.bal = Some(BalState {
                        line,
                        ..BalState::default()
                    });
                }
            }
            (_, "TxDtls") if self.ntry.is_some() => self.tx = Some(TxState::default()),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, text: Text<'_>, offset: usize) -> Result<(), ParseError> {
        let value = self.buf.trim().to_owned();
        self.buf.clear();
        let line = self.line_at(text, offset);
        let result = if self.tx.is_some()
            && let Some(rel) = self.rel("TxDtls")
        {
            self.tx_field(&rel, &value, line)
        } else if self.ntry.is_some()
            && let Some(rel) = self.rel("Ntry")
        {
            self.ntry_field(&rel, &value, line, text, offset)
        } else if self.stmt.is_some()
            && let Some(rel) = self.rel("Stmt")
        {
            self.stmt_field(&rel, &value, line)
        } else {
            Ok(())
        };
        self.stack.pop();
        result
    }

    fn amount(&self, value: &str, line: u32, field: &str) -> Result<Amount, ParseError> {
        let money = parse_amount(value).map_err(|m| self.err(line, field, m))?;
        let ccy = self.ccy.clone().unwrap_or_default();
        if ccy.len() != 3 {
            return Err(self.err(line, format!("{field}/@Ccy"), "missing or invalid currency"));
        }
        Ok((money, ccy))
    }

    fn date(&self, value: &str, line: u32, field: &str) -> Result<NaiveDate, ParseError> {
        parse_date(value).ok_or_else(|| self.err(line, field, format!("invalid date {value:?}")))
    }

    fn direction(&self, value: &str, line: u32, field: &str) -> Result<Direction, ParseError> {
        parse_direction(value)
            .ok_or_else(|| self.err(line, field, format!("expected CRDT or DBIT, got {value:?}")))
    }

    fn tx_field(&mut self, rel: &str, value: &str, line: u32) -> Result<(), ParseError> {
        let field = format!("TxDtls/{rel}");
        match rel {
            "" => {
                if let (Some(tx), Some(ntry)) = (self.tx.take(), self.ntry.as_mut()) {
                    ntry.txs.push(tx);
                }
                return Ok(());
            }
            "Amt" => {
                let a = self.amount(value, line, &field)?;
                self.with_tx(|t| t.amt = Some(a));
            }
            "AmtDtls/TxAmt/Amt" => {
                let a = self.amount(value, line, &field)?;
                self.with_tx(|t| t.tx_amt = Some(a));
            }
            "CdtDbtInd" => {
                let d = self.direction(value, line, &field)?;
                self.with_tx(|t| t.direction = Some(d));
            }
            _ => {
                let v = non_empty(value);
                let Some(t) = self.tx.as_mut() else {
                    return Ok(());
                };
                if t.codes.set(rel, value) {
                    return Ok(());
                }
                match rel {
                    "Refs/AcctSvcrRef" => t.acct_svcr_ref = v,
                    "Refs/EndToEndId" => t.end_to_end = v.filter(|r| r != "NOTPROVIDED"),
                    "Refs/TxId" => t.tx_id = v,
                    "RltdPties/Dbtr/Nm" | "RltdPties/Dbtr/Pty/Nm" => t.debtor = v,
                    "RltdPties/Cdtr/Nm" | "RltdPties/Cdtr/Pty/Nm" => t.creditor = v,
                    "RltdPties/DbtrAcct/Id/IBAN" | "RltdPties/DbtrAcct/Id/Othr/Id" => {
                        t.debtor_account = v.map(|a| normalise_account(&a));
                    }
                    "RltdPties/CdtrAcct/Id/IBAN" | "RltdPties/CdtrAcct/Id/Othr/Id" => {
                        t.creditor_account = v.map(|a| normalise_account(&a));
                    }
                    "RmtInf/Ustrd" => t.unstructured.push(value.to_owned()),
                    "RmtInf/Strd/CdtrRefInf/Ref" => t.structured_ref = v,
                    "AddtlTxInf" => t.additional = v,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn with_tx(&mut self, f: impl FnOnce(&mut TxState)) {
        if let Some(t) = self.tx.as_mut() {
            f(t);
        }
    }

    fn ntry_field(
        &mut self,
        rel: &str,
        value: &str,
        line: u32,
        text: Text<'_>,
        offset: usize,
    ) -> Result<(), ParseError> {
        let field = format!("Ntry/{rel}");
        match rel {
            "" => return self.finish_entry(text, offset),
            "Amt" => {
                let a = self.amount(value, line, &field)?;
                self.with_ntry(|n| n.amt = Some(a));
            }
            "CdtDbtInd" => {
                let d = self.direction(value, line, &field)?;
                self.with_ntry(|n| n.direction = Some(d));
            }
            "RvslInd" => {
                let r = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(self.err(line, field, format!("invalid boolean {value:?}"))),
                };
                self.with_ntry(|n| n.reversal = r);
            }
            "BookgDt/Dt" | "BookgDt/DtTm" => {
                let d = self.date(value, line, &field)?;
                self.with_ntry(|n| n.booking = Some(d));
            }
            "ValDt/Dt" | "ValDt/DtTm" => {
                let d = self.date(value, line, &field)?;
                self.with_ntry(|n| n.value = Some(d));
            }
            _ => {
                let v = non_empty(value);
                let Some(n) = self.ntry.as_mut() else {
                    return Ok(());
                };
                if n.codes.set(rel, value) {
                    return Ok(());
                }
                match rel {
                    "NtryRef" => n.ntry_ref = v,
                    "Sts" | "Sts/Cd" => n.status = v,
                    "AcctSvcrRef" => n.acct_svcr_ref = v,
                    "AddtlNtryInf" => n.additional = v,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn with_ntry(&mut self, f: impl FnOnce(&mut NtryState)) {
        if let Some(n) = self.ntry.as_mut() {
            f(n);
        }
    }

    fn stmt_field(&mut self, rel: &str, value: &str, line: u32) -> Result<(), ParseError> {
        let field = format!("Stmt/{rel}");
        match rel {
            "" => return self.finish_statement(line),
            "Bal" => return self.finish_balance(),
            "Bal/Amt" => {
                let a = self.amount(value, line, &field)?;
                self.with_bal(|b| b.amt = Some(a));
            }
            "Bal/CdtDbtInd" => {
                let d = self.direction(value, line, &field)?;
                self.with_bal(|b| b.credit = Some(d == Direction::Credit));
            }
            "Bal/Dt/Dt" | "Bal/Dt/DtTm" => {
                let d = self.date(value, line, &field)?;
                self.with_bal(|b| b.date = Some(d));
            }
            "Bal/Tp/CdOrPrtry/Cd" | "Bal/Tp/CdOrPrtry/Prtry" => {
                let v = non_empty(value);
                self.with_bal(|b| b.tp = v);
            }
            _ => {
                let v = non_empty(value);
                let Some(s) = self.stmt.as_mut() else {
                    return Ok(());
                };
                match rel {
                    "Id" => s.id = v,
                    "ElctrncSeqNb" => s.electronic_seq = v,
                    "LglSeqNb" => s.legal_seq = v,
                    "Acct/Id/IBAN" | "Acct/Id/Othr/Id" => {
                        s.account = v.map(|a| normalise_account(&a));
                    }
                    "Acct/Ccy" => s.account_ccy = v,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn with_bal(&mut self, f: impl FnOnce(&mut BalState)) {
        if let Some(b) = self.stmt.as_mut().and_then(|s| s.bal.as_mut()) {
            f(b);
        }
    }

    fn finish_balance(&mut self) -> Result<(), ParseError> {
        let Some(bal) = self.stmt.as_mut().and_then(|s| s.bal.take()) else {
            return Ok(());
        };
        let missing = |what: &str| self.err(bal.line, format!("Stmt/Bal/{what}"), "missing");
        let tp = bal.tp.clone().ok_or_else(|| missing("Tp"))?;
        let (amount, ccy) = bal.amt.clone().ok_or_else(|| missing("Amt"))?;
        let credit = bal.credit.ok_or_else(|| missing("CdtDbtInd"))?;
        let date = bal.date.ok_or_else(|| missing("Dt"))?;
        let balance = Balance {
            date,
            amount: if credit { amount } else { -amount },
        };
        let Some(s) = self.stmt.as_mut() else {
            return Ok(());
        };
        match tp.as_str() {
            "OPBD" => s.opening = Some((balance, ccy)),
            "PRCD" => s.previous_closing = Some((balance, ccy)),
            "CLBD" => s.closing = Some((balance, ccy, bal.line)),
            _ => {}
        }
        Ok(())
    }

    /// Queues the statement header unless done; `fallback_ccy` when the statement names none.
    fn emit_header(&mut self, line: u32, fallback_ccy: Option<&str>) -> Result<(), ParseError> {
        let Some(s) = self.stmt.as_mut() else {
            return Ok(());
        };
        if s.header_emitted {
            return Ok(());
        }
        if s.opening.is_none() {
            s.opening = s.previous_closing.take();
        }
        let Some(reference) = s.id.clone() else {
            return Err(ParseError::new(&self.file, s.line, "Stmt/Id", "missing"));
        };
        let Some(account) = s.account.clone() else {
            return Err(ParseError::new(
                &self.file,
                s.line,
                "Stmt/Acct/Id",
                "missing",
            ));
        };
        let currency = s
            .account_ccy
            .clone()
            .or_else(|| s.opening.as_ref().map(|(_, c)| c.clone()))
            .or_else(|| fallback_ccy.map(str::to_owned))
            .or_else(|| s.closing.as_ref().map(|(_, c, _)| c.clone()));
        let Some(currency) = currency else {
            return Err(ParseError::new(
                &self.file,
                line,
                "Stmt/Acct/Ccy",
                "no currency",
            ));
        };
        s.header_emitted = true;
        let header = StatementHeader {
            format: Format::Camt053,
            intraday: false,
            reference,
            account,
            number: s.legal_seq.clone().or_else(|| s.electronic_seq.clone()),
            currency,
            opening: s.opening.as_ref().map(|(b, _)| *b),
            line_no: s.line,
        };
        s.header = Some(header.clone());
        self.queue.push_back(Event::Statement(header));
        Ok(())
    }

    fn finish_entry(&mut self, text: Text<'_>, offset: usize) -> Result<(), ParseError> {
        let Some(n) = self.ntry.take() else {
            return Ok(());
        };
        let (amount, ccy) = n
            .amt
            .clone()
            .ok_or_else(|| self.err(n.line, "Ntry/Amt", "missing"))?;
        let direction = n
            .direction
            .ok_or_else(|| self.err(n.line, "Ntry/CdtDbtInd", "missing"))?;
        if let Some(status) = &n.status
            && status != "BOOK"
        {
            return Err(self.err(
                n.line,
                "Ntry/Sts",
                format!("entry status {status} is not BOOK (booked)"),
            ));
        }
        let value_date = n
            .value
            .or(n.booking)
            .ok_or_else(|| self.err(n.line, "Ntry/ValDt", "missing value and booking date"))?;
        self.emit_header(n.line, Some(&ccy))?;
        let raw = String::from_utf8_lossy(text.get(n.start, offset)).into_owned();
        let signed = |d: Direction, a: Money| match d {
            Direction::Credit => a,
            Direction::Debit => -a,
        };
        // (amount, direction) per line
        let parts: Vec<(Money, Direction)> = if n.txs.len() <= 1 {
            vec![(amount, direction)]
        } else {
            let mut parts = Vec::with_capacity(n.txs.len());
            let mut sum = Money::ZERO;
            for tx in &n.txs {
                let (a, _) = tx
                    .tx_amt
                    .clone()
                    .or_else(|| tx.amt.clone())
                    .ok_or_else(|| {
                        self.err(
                            n.line,
                            "Ntry/NtryDtls/TxDtls/Amt",
                            "batch entry: TxDtls without amount",
                        )
                    })?;
                let d = tx.direction.unwrap_or(direction);
                sum = sum
                    .checked_add(signed(d, a))
                    .ok_or_else(|| self.err(n.line, "Ntry/NtryDtls", "sum overflows"))?;
                parts.push((a, d));
            }
            if sum != signed(direction, amount) {
                return Err(self.err(
                    n.line,
                    "Ntry/NtryDtls",
                    format!(
                        "batch TxDtls add up to {sum}, the entry says {}",
                        signed(direction, amount)
                    ),
                ));
            }
            parts
        };
        let empty = TxState::default();
        let Some(s) = self.stmt.as_mut() else {
            return Ok(());
        };
        s.movements = s
            .movements
            .checked_add(signed(direction, amount))
            .ok_or_else(|| ParseError::new(&self.file, n.line, "Ntry/Amt", "sum overflows"))?;
        let account = s.account.clone().unwrap_or_default();
        let number = s.legal_seq.clone().or_else(|| s.electronic_seq.clone());
        let base_ref = n.acct_svcr_ref.clone().or_else(|| n.ntry_ref.clone());
        for (i, (amount, direction)) in parts.into_iter().enumerate() {
            let tx = n.txs.get(i).unwrap_or(&empty);
            let mut title = tx.unstructured.concat().trim().to_owned();
            if title.is_empty() {
                title = tx
                    .structured_ref
                    .clone()
                    .or_else(|| tx.additional.clone())
                    .or_else(|| n.additional.clone())
                    .unwrap_or_default();
            }
            let (name, other_account) = match direction {
                Direction::Credit => (tx.debtor.clone(), tx.debtor_account.clone()),
                Direction::Debit => (tx.creditor.clone(), tx.creditor_account.clone()),
            };
            let index = s.index;
            let dedupe_key = match &base_ref {
                Some(r) => format!("{r}/{i}"),
                None => fallback_dedupe_key(
                    &account,
                    number.as_deref(),
                    value_date,
                    amount,
                    direction,
                    index,
                ),
            };
            let bank_reference = tx.acct_svcr_ref.clone().or_else(|| n.acct_svcr_ref.clone());
            self.queue.push_back(Event::Line(StatementLine {
                line_no: n.line,
                index,
                value_date,
                booking_date: n.booking,
                direction,
                reversal: n.reversal,
                amount,
                currency: ccy.clone(),
                type_code: tx.codes.code().or_else(|| n.codes.code()),
                customer_reference: tx.end_to_end.clone(),
                bank_reference: bank_reference.clone(),
                title,
                counterparty_name: name,
                counterparty_account: other_account,
                credited_account: tx.creditor_account.clone(),
                payer_debit_date: None,
                transaction_id: bank_reference
                    .or_else(|| tx.tx_id.clone())
                    .or_else(|| tx.end_to_end.clone()),
                dedupe_key,
                raw: raw.clone(),
            }));
            s.index = s.index.saturating_add(1);
        }
        Ok(())
    }

    fn finish_statement(&mut self, line: u32) -> Result<(), ParseError> {
        self.emit_header(line, None)?;
        let Some(s) = self.stmt.take() else {
            return Ok(());
        };
        if let (Some((opening, oc)), Some((closing, cc, cl))) = (&s.opening, &s.closing)
            && oc == cc
        {
            check_balance(opening.amount, s.movements, closing.amount)
                .map_err(|m| self.err(*cl, "Stmt/Bal CLBD", m))?;
        }
        self.queue.push_back(Event::End(StatementEnd {
            closing: s.closing.as_ref().map(|(b, _, _)| *b),
            line_no: s.closing.as_ref().map(|(_, _, l)| *l).unwrap_or(line),
        }));
        Ok(())
    }
}
