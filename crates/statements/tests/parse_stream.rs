//! The streaming parser ([`parse::stream`]) yields exactly what [`parse::events`] yields for
//! the same bytes — every fixture, read a few bytes at a time — and decodes a file longer than
//! its detection prefix: a Windows-1250 line after megabytes of ASCII, an invalid UTF-8 byte
//! far into a UTF-8 file (an error naming its line).

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
    let reader = BufReader::with_capacity(
        step.max(2) * 2,
        Trickle {
            bytes: bytes.to_vec(),
            at: 0,
            step,
        },
    );
    match parse::stream(name, Box::new(reader), &ParseOptions::default()) {
        Ok(it) => collect(it),
        Err(e) => (Vec::new(), Some(e)),
    }
}

fn whole(name: &str, bytes: &[u8]) -> (Vec<Event>, Option<ParseError>) {
    match parse::events(name, bytes, &ParseOptions::default()) {
        Ok(it) => collect(it),
        Err(e) => (Vec::new(), Some(e)),
    }
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
    // Corrupt the "ł" of line 60,000's title: a lone continuation byte.
    let at = bytes
        .windows("Opłata ąę".len())
        .position(|w| w == "Opłata ąę".as_bytes())
        .unwrap();
    bytes[at + 2] = 0xC5;
    bytes[at + 3] = b'X';
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
