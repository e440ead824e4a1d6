//! The streaming parser ([`parse::stream`]) yields exactly what [`parse::events`] yields for
//! the same bytes — every fixture, read a few bytes at a time — and decodes a file longer than
//! its detection prefix: a Windows-1250 line after megabytes of ASCII, an invalid UTF-8 byte
//! far into a UTF-8 file (an error naming its line). camt.053 too: files longer than the prefix
//! in UTF-8 and single-byte encodings, truncated, with a bad byte or a failing reader, and not
//! read whole before the first event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufReader, Read};

use wspolnota_statements::parse::encoding::encode;
use wspolnota_statements::parse::{
    self, Event, FormatHint, ParseError, ParseOptions, TextEncoding,
};

/// A reader that returns at most `step` bytes per read (chunk boundaries everywhere).
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn collect(
    it: impl Iterator<Item = Result<Event, ParseError>>,
) -> (Vec<Event>, Option<ParseError>) {
    let mut events = Vec::new();
    for e in it {
        match e {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

fn streamed(name: &str, bytes: &[u8], step: usize) -> (Vec<Event>, Option<ParseError>) {
    streamed_with(name, bytes, step, &ParseOptions::default())
}

fn whole(name: &str, bytes: &[u8]) -> (Vec<Event>, Option<ParseError>) {
    whole_with(name, bytes, &ParseOptions::default())
}

#[test]
fn every_fixture_streams_to_the_same_events() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let expected = whole(&name, &bytes);
        for step in [1, 7, 64, 1 << 20] {
            assert_eq!(
                streamed(&name, &bytes, step),
                expected,
                "{name}, {step} bytes a read"
            );
        }
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} fixtures");
}

/// An mBank statement of `n` credits; the credits in `odd` get their title instead of an
/// ASCII one.
fn big_statement(n: usize, odd: &[(usize, &str)], encoding: TextEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |text: &str| {
        out.extend_from_slice(&encode(text, encoding));
        out.extend_from_slice(b"\r\n");
    };
    push(":20:ST260610CYC/1");
    push(":25:PL56102053560000160200076877");
    push(":28C:1/1");
    push(":60F:C260610PLN0,00");
    for i in 0..n {
        push(&format!(":61:2606100610CN1,00NTRFNONREF//MB26061000{i:06}"));
        let t = match odd.iter().find(|(at, _)| *at == i) {
            Some((_, title)) => (*title).to_owned(),
            None => format!("Podatek od nieruchomosci rata {i}"),
        };
        push(&format!(
            ":86:911 PRZELEW; OD: X; TYT.: {t}; TNR: 7770000{i:08}.000001"
        ));
    }
    push(&format!(":62F:C260610PLN{n},00"));
    push("-");
    out
}

fn titles(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Line(l) => Some(l.title.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_non_ascii_line_after_the_prefix_is_decoded_in_its_own_encoding() {
    // ~6 MiB: more than the 4 MiB the encoding is detected on, all ASCII until line 60,000.
    let n = 60_010;
    let title = "Opłata za gospodarowanie odpadami — Źródłowa 5, Łódź";
    let bytes = big_statement(n, &[(60_000, title)], TextEncoding::Windows1250);
    assert!(bytes.len() > 5 << 20);
    let (events, error) = streamed("big.sta", &bytes, 64 << 10);
    assert_eq!(error, None);
    let got = titles(&events);
    assert_eq!(got.len(), n);
    assert_eq!(got[60_000], title);
    assert_eq!((events.clone(), None), whole("big.sta", &bytes));
}

/// UTF-8 is recognised on the prefix (a Polish title in line 10); a bad byte after it is then
/// an error, where [`parse::events`], detecting on the whole file, would read the file as a
/// single-byte encoding instead.
#[test]
fn invalid_utf8_far_into_a_utf8_file_is_an_error_on_its_line() {
    let n = 60_010;
    let mut bytes = big_statement(
        n,
        &[(10, "Opłata śmieciowa"), (60_000, "Opłata ąę")],
        TextEncoding::Utf8,
    );
    // Corrupt the "ł" of line 60,000's title.
    break_utf8(&mut bytes, "Opłata ąę");
    let (events, error) = streamed("big.sta", &bytes, 64 << 10);
    let error = error.expect("an error");
    assert_eq!(error.field, "encoding");
    // Header (4 lines) + two lines per credit: line 60,000's :86: is line 4 + 2 × 60,000 + 2.
    assert_eq!(error.line, 4 + 2 * 60_000 + 2, "{error}");
    assert!(titles(&events).len() <= 60_000);
}

#[test]
fn camt053_streams_too() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(format!("{dir}/genkgo_camt053.v8.xml")).unwrap();
    let reader = BufReader::new(std::io::Cursor::new(bytes.clone()));
    let options = ParseOptions {
        format: FormatHint::Auto,
        encoding: None,
    };
    let got = collect(parse::stream("camt.xml", Box::new(reader), &options).unwrap());
    assert_eq!(got, whole("camt.xml", &bytes));
    assert!(!got.0.is_empty());
}

/// A camt.053 statement of `n` credits of 1.00 (opening 0.00, closing `n`.00); the credits in
/// `odd` get their title instead of an ASCII one. `declared`: the XML declaration's encoding.
fn big_camt(
    n: usize,
    odd: &[(usize, &str)],
    encoding: TextEncoding,
    declared: Option<&str>,
    newline: &str,
) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(name) = declared {
        lines.push(format!(r#"<?xml version="1.0" encoding="{name}"?>"#));
    }
    lines.push(r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">"#.into());
    lines.push("  <BkToCstmrStmt>".into());
    lines.push(
        "    <GrpHdr><MsgId>BIG</MsgId><CreDtTm>2026-06-10T18:00:00</CreDtTm></GrpHdr>".into(),
    );
    lines.push("    <Stmt>".into());
    lines.push("      <Id>BIG-1</Id>".into());
    lines.push("      <LglSeqNb>7</LglSeqNb>".into());
    lines.push(
        "      <Acct><Id><IBAN>PL56102053560000160200076877</IBAN></Id><Ccy>PLN</Ccy></Acct>"
            .into(),
    );
    for (tp, amount) in [("OPBD", "0.00".to_owned()), ("CLBD", format!("{n}.00"))] {
        lines.push("      <Bal>".into());
        lines.push(format!(
            "        <Tp><CdOrPrtry><Cd>{tp}</Cd></CdOrPrtry></Tp>"
        ));
        lines.push(format!(r#"        <Amt Ccy="PLN">{amount}</Amt>"#));
        lines.push("        <CdtDbtInd>CRDT</CdtDbtInd>".into());
        lines.push("        <Dt><Dt>2026-06-10</Dt></Dt>".into());
        lines.push("      </Bal>".into());
    }
    for i in 0..n {
        let title = match odd.iter().find(|(at, _)| *at == i) {
            Some((_, title)) => (*title).to_owned(),
            None => format!("Podatek od nieruchomosci rata {i}"),
        };
        lines.push("      <Ntry>".into());
        lines.push(r#"        <Amt Ccy="PLN">1.00</Amt>"#.into());
        lines.push("        <CdtDbtInd>CRDT</CdtDbtInd>".into());
        lines.push("        <Sts>BOOK</Sts>".into());
        lines.push("        <BookgDt><Dt>2026-06-10</Dt></BookgDt>".into());
        lines.push("        <ValDt><Dt>2026-06-10</Dt></ValDt>".into());
        lines.push(format!("        <AcctSvcrRef>REF{i:08}</AcctSvcrRef>"));
        lines.push("        <NtryDtls>".into());
        lines.push("          <TxDtls>".into());
        lines.push(format!(
            "            <Refs><EndToEndId>E2E{i}</EndToEndId></Refs>"
        ));
        lines.push("            <RltdPties>".into());
        lines.push(format!(
            "              <Dbtr><Nm>Jan Kowalski {i}</Nm></Dbtr>"
        ));
        lines.push(
            "              <DbtrAcct><Id><IBAN>PL61109010140000071219812874</IBAN></Id></DbtrAcct>"
                .into(),
        );
        lines.push("            </RltdPties>".into());
        lines.push(format!(
            "            <RmtInf><Ustrd>{title}</Ustrd></RmtInf>"
        ));
        lines.push("          </TxDtls>".into());
        lines.push("        </NtryDtls>".into());
        lines.push("      </Ntry>".into());
    }
    lines.push("    </Stmt>".into());
    lines.push("  </BkToCstmrStmt>".into());
    lines.push("</Document>".into());
    let mut text = lines.join(newline);
    text.push_str(newline);
    encode(&text, encoding)
}

fn streamed_with(
    name: &str,
    bytes: &[u8],
    step: usize,
    options: &ParseOptions,
) -> (Vec<Event>, Option<ParseError>) {
    let reader = BufReader::with_capacity(
        step.max(2) * 2,
        Trickle {
            bytes: bytes.to_vec(),
            at: 0,
            step,
        },
    );
    match parse::stream(name, Box::new(reader), options) {
        Ok(it) => collect(it),
        Err(e) => (Vec::new(), Some(e)),
    }
}

fn whole_with(
    name: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> (Vec<Event>, Option<ParseError>) {
    match parse::events(name, bytes, options) {
        Ok(it) => collect(it),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// Every line's `raw` is its `<Ntry>` element's text.
fn assert_raw_entries(events: &[Event]) {
    for e in events {
        if let Event::Line(l) = e {
            assert!(
                l.raw.starts_with("<Ntry>") && l.raw.ends_with("</Ntry>"),
                "{:?}",
                l.raw
            );
        }
    }
}

#[test]
fn camt053_longer_than_the_prefix_streams_to_the_same_events() {
    let n = 9_000;
    let late = "Opłata za gospodarowanie odpadami, Źródłowa 5, Łódź";
    for newline in ["\n", "\r\n", ""] {
        let bytes = big_camt(
            n,
            &[
                (3, "Zaliczka na fundusz remontowy — lokal 12"),
                (8_500, late),
            ],
            TextEncoding::Utf8,
            Some("UTF-8"),
            newline,
        );
        assert!(bytes.len() > 5 << 20, "{}", bytes.len());
        let expected = whole("big.xml", &bytes);
        assert_eq!(expected.1, None);
        assert_eq!(titles(&expected.0).len(), n);
        assert_eq!(titles(&expected.0)[8_500], late);
        assert_raw_entries(&expected.0);
        for step in [4093, 64 << 10] {
            assert_eq!(
                streamed("big.xml", &bytes, step),
                expected,
                "{newline:?}, {step} bytes a read"
            );
        }
    }
}

/// An all-ASCII prefix leaves the encoding open; the first chunk that is not ASCII decides it,
/// honouring the XML declaration as [`parse::events`] does on the whole file; or the options
/// name it.
#[test]
fn a_single_byte_camt053_with_polish_letters_after_the_prefix_streams_to_the_same_events() {
    let n = 9_000;
    let late = "Opłata za śmieci, Źródłowa 5, Łódź, Żółć, Ąę";
    let auto = ParseOptions::default();
    for (encoding, declared, options) in [
        (TextEncoding::Windows1250, Some("windows-1250"), auto),
        (TextEncoding::Iso8859_2, Some("ISO-8859-2"), auto),
        (TextEncoding::Iso8859_2, None, auto),
        (
            TextEncoding::Windows1250,
            None,
            ParseOptions {
                encoding: Some(TextEncoding::Windows1250),
                ..auto
            },
        ),
    ] {
        let bytes = big_camt(n, &[(8_500, late)], encoding, declared, "\r\n");
        assert!(bytes.get(..5 << 20).unwrap().is_ascii());
        let expected = whole_with("big.xml", &bytes, &options);
        assert_eq!(expected.1, None, "{encoding:?}");
        assert_eq!(titles(&expected.0)[8_500], late, "{encoding:?}");
        assert_eq!(
            streamed_with("big.xml", &bytes, 64 << 10, &options),
            expected,
            "{encoding:?} {declared:?}"
        );
    }
}

#[test]
fn a_truncated_big_camt053_fails_the_same_on_both_paths() {
    let bytes = big_camt(9_000, &[(1, "Opłata")], TextEncoding::Utf8, None, "\n");
    // Cut inside the entry after the 8,000th.
    let at = bytes
        .windows(b"REF00008000".len())
        .position(|w| w == b"REF00008000")
        .unwrap();
    let cut = &bytes[..at + 40];
    let expected = whole("cut.xml", cut);
    let error = expected.1.clone().expect("an error");
    assert_eq!(
        error.line as usize,
        1 + bytes[..at + 40].iter().filter(|&&b| b == b'\n').count()
    );
    assert_eq!(titles(&expected.0).len(), 8_000);
    for step in [4093, 64 << 10] {
        assert_eq!(
            streamed("cut.xml", cut, step),
            expected,
            "{step} bytes a read"
        );
    }
}

#[test]
fn invalid_utf8_far_into_a_utf8_camt053_is_an_error_on_its_line() {
    let mut bytes = big_camt(
        9_000,
        &[(1, "Opłata śmieciowa"), (8_500, "Opłata ąę")],
        TextEncoding::Utf8,
        None,
        "\n",
    );
    let at = break_utf8(&mut bytes, "Opłata ąę");
    let (events, error) = streamed("bad.xml", &bytes, 64 << 10);
    let error = error.expect("an error");
    assert_eq!(error.field, "encoding");
    assert_eq!(error.message, "invalid UTF-8");
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    assert_eq!(error.line as usize, line, "{error}");
    assert_eq!(titles(&events).len(), 8_500);
}

/// Bytes handed out so far, shared with the test; fails with an I/O error at `fail_at`.
struct Counting {
    bytes: Vec<u8>,
    at: usize,
    read: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fail_at: Option<usize>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = self.fail_at.unwrap_or(self.bytes.len());
        if self.at >= end && self.fail_at.is_some() {
            return Err(std::io::Error::other("connection reset"));
        }
        let n = (end - self.at).min(buf.len()).min(8192);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        self.read.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }
}

#[test]
fn camt053_is_not_read_whole_before_its_first_event() {
    let bytes = big_camt(15_000, &[], TextEncoding::Utf8, None, "\n");
    assert!(bytes.len() > 9 << 20);
    let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = BufReader::new(Counting {
        bytes: bytes.clone(),
        at: 0,
        read: read.clone(),
        fail_at: None,
    });
    let mut it = parse::stream("big.xml", Box::new(reader), &ParseOptions::default()).unwrap();
    assert!(matches!(it.next(), Some(Ok(Event::Statement(_)))));
    // The 4 MiB (and a line) the encoding is detected on, and a chunk or two more.
    let so_far = read.load(std::sync::atomic::Ordering::SeqCst);
    assert!(so_far < (5 << 20), "{so_far} of {} bytes read", bytes.len());
    let rest = collect(it);
    assert_eq!(rest.1, None);
    assert_eq!(titles(&rest.0).len(), 15_000);
}

#[test]
fn a_read_error_in_a_camt053_stream_names_the_line_reached() {
    let bytes = big_camt(9_000, &[], TextEncoding::Utf8, None, "\n");
    let fail_at = 5 << 20;
    let reader = BufReader::new(Counting {
        bytes: bytes.clone(),
        at: 0,
        read: Default::default(),
        fail_at: Some(fail_at),
    });
    let (events, error) =
        collect(parse::stream("big.xml", Box::new(reader), &ParseOptions::default()).unwrap());
    let error = error.expect("an error");
    assert_eq!(error.field, "file");
    assert!(error.message.starts_with("cannot read"), "{error}");
    let line = 1 + bytes[..fail_at].iter().filter(|&&b| b == b'\n').count();
    assert_eq!(error.line as usize, line, "{error}");
    assert!(!titles(&events).is_empty());
}

/// A second BOM is text, on both paths: U+FEFF before a camt.053 document, or a single-byte
/// file's first characters.
#[test]
fn a_second_bom_reads_the_same_on_both_paths() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        let mut bytes = b"\xEF\xBB\xBF\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(&path).unwrap());
        let expected = whole(&name, &bytes);
        for step in [1, 64] {
            assert_eq!(streamed(&name, &bytes, step), expected, "{name}, {step}");
        }
    }
}

/// Breaks the "ł" of the first `title` (which starts "Opł") in `bytes` into a lone
/// continuation byte; the title's offset.
fn break_utf8(bytes: &mut [u8], title: &str) -> usize {
    let at = bytes
        .windows(title.len())
        .position(|w| w == title.as_bytes())
        .unwrap();
    bytes[at + 2] = 0xC5;
    bytes[at + 3] = b'X';
    at
}
