//! Property tests: no panic on any input; streaming reads damaged files as the byte-slice API
//! does; PKO writer → parser round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use wspolnota_core::Money;
use wspolnota_statements::parse::{
    Balance, Direction, Event, Format, FormatHint, ParseError, ParseOptions, ParsedStatement,
    StatementEnd, StatementHeader, StatementLine, TextEncoding, events, parse_all, stream,
    write_mt940_pko,
};

const FIXTURES: &[&str] = &[
    "mbank_companynet_iph_ksdev.sta",
    "mbank_companynet_multi_account_ksdev.sta",
    "mbank_collect_iph_wolph.sta",
    "mbank_with_newline_in_tnr_wolph.sta",
    "mbank_mt942_wolph.sta",
    "german_structured86_details_60-63_wolph.sta",
    "pko_bp_ipko_biznes_spec_example_RECONSTRUCTED_iso8859-2_crlf.sta",
    "pko_bp_ipko_biznes_spec_example_TRANSCRIBED_utf8.txt",
    "genkgo_camt053.v2.minimal.xml",
    "genkgo_camt053.v2.multi.statement.xml",
    "genkgo_camt053.v4.xml",
    "genkgo_camt053.v8.xml",
];

const ENCODINGS: [TextEncoding; 4] = [
    TextEncoding::Utf8,
    TextEncoding::Windows1250,
    TextEncoding::Iso8859_2,
    TextEncoding::Cp852,
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs every parser configuration over `bytes`, draining the streams; must not panic.
fn exercise(bytes: &[u8]) {
    for format in [FormatHint::Auto, FormatHint::Mt940, FormatHint::Camt053] {
        for encoding in [None, Some(TextEncoding::Utf8), Some(TextEncoding::Cp852)] {
            let options = ParseOptions { format, encoding };
            if let Ok(iter) = events("x", bytes, &options) {
                let mut failed = false;
                for event in iter {
                    assert!(!failed, "an event after an error");
                    failed = event.is_err();
                }
            }
            let _ = parse_all("x", bytes, &options);
        }
    }
}

type Mutation = (prop::sample::Index, u8, u8);

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8)
}

/// The fixture `name` with bytes replaced, removed or inserted.
fn mutated(name: &str, mutations: Vec<Mutation>) -> Vec<u8> {
    let mut bytes = fixture(name);
    for (at, op, byte) in mutations {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let i = at.index(bytes.len());
        match op {
            0 => bytes[i] = byte,
            1 => {
                bytes.remove(i);
            }
            _ => bytes.insert(i, byte),
        }
    }
    bytes
}

/// A reader that hands out `step` bytes at a time.
struct Trickle {
    bytes: std::io::Cursor<Vec<u8>>,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len());
        self.bytes.read(&mut buf[..n])
    }
}

/// The events up to the first error, and the error; an up-front failure is an error alone.
fn drain<I>(parsed: Result<I, ParseError>) -> (Vec<Event>, Option<ParseError>)
where
    I: Iterator<Item = Result<Event, ParseError>>,
{
    let mut out = Vec::new();
    match parsed {
        Err(e) => (out, Some(e)),
        Ok(iter) => {
            for event in iter {
                match event {
                    Ok(e) => out.push(e),
                    Err(e) => return (out, Some(e)),
                }
            }
            (out, None)
        }
    }
}

const ALPHABET: &str =
    "aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄBCĆDEĘFGHIJKLŁMNŃOÓPRSŚTUWYZŹŻ0123456789 .,-/";

fn text(max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = ALPHABET.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..=max)
        .prop_map(|v| v.into_iter().collect::<String>().trim().to_owned())
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, n).prop_map(|v| v.iter().map(|d| char::from(b'0' + d)).collect())
}

fn mt940_tokens() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(":20:".to_owned()),
        Just(":25:/PL".to_owned()),
        Just(":28C:".to_owned()),
        Just(":60F:C240101PLN".to_owned()),
        Just(":61:2401010101".to_owned()),
        Just(":86:020~00".to_owned()),
        Just("~20".to_owned()),
        Just(":62F:D240101PLN".to_owned()),
        Just(":90C:".to_owned()),
        Just("; TNR: ".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n-\u{3}\n\u{1}\n".to_owned()),
        "[0-9,CDRN]{0,12}",
        text(30),
    ];
    prop::collection::vec(token, 0..60).prop_map(|v| v.concat().into_bytes())
}

prop_compose! {
    fn line_strategy()(
        day in 0u64..366,
        booking_shift in prop::option::of(0u64..3),
        credit in any::<bool>(),
        reversal in any::<bool>(),
        grosze in 1i64..100_000_000_000,
        code in digits(3),
        customer in prop::option::of("[A-Z0-9]{1,16}"),
        bank in digits(16),
        title in text(170),
        name in prop::option::of(text(60)),
        account in prop::option::of(digits(26)),
        debit_day in prop::option::of(0u64..30),
    ) -> StatementLine {
        let base = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let value_date = base + Days::new(day);
        let op = format!("{}/{}", &bank[..8], &bank[8..]);
        let title: String = title.chars().take(6 * 27).collect::<String>().trim().to_owned();
        let name = name
            .map(|n| n.chars().take(54).collect::<String>().trim().to_owned())
            .filter(|n| !n.is_empty());
        StatementLine {
            line_no: 0,
            index: 0,
            value_date,
            booking_date: booking_shift.map(|s| value_date + Days::new(s)),
            direction: if credit { Direction::Credit } else { Direction::Debit },
            reversal,
            amount: Money::from_grosze(grosze),
            currency: "PLN".to_owned(),
            type_code: Some(code),
            customer_reference: customer.filter(|c| c != "NONREF"),
            bank_reference: Some(bank),
            title,
            counterparty_name: name,
            counterparty_account: account.map(|a| format!("PL{a}")),
            credited_account: None,
            payer_debit_date: debit_day.map(|d| value_date - Days::new(d)),
            transaction_id: Some(op.clone()),
            dedupe_key: format!("PKO:{op}"),
            raw: String::new(),
        }
    }
}

prop_compose! {
    fn statement_strategy()(
        account in digits(26),
        number in digits(3),
        opening in -100_000_000_000i64..100_000_000_000,
        lines in prop::collection::vec(line_strategy(), 0..12),
    ) -> ParsedStatement {
        let date = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let opening = Money::from_grosze(opening);
        let closing = lines.iter().fold(opening, |acc, l| match l.direction {
            Direction::Credit => acc + l.amount,
            Direction::Debit => acc - l.amount,
        });
        ParsedStatement {
            header: StatementHeader {
                format: Format::Mt940,
                intraday: false,
                reference: "MT940".to_owned(),
                account: format!("PL{account}"),
                number: Some(number),
                currency: "PLN".to_owned(),
                opening: Some(Balance { date, amount: opening }),
                line_no: 1,
            },
            lines,
            end: StatementEnd {
                closing: Some(Balance { date: date + Days::new(400), amount: closing }),
                line_no: 0,
            },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        exercise(&bytes);
    }

    #[test]
    fn no_panic_on_mt940_like_text(bytes in mt940_tokens()) {
        exercise(&bytes);
    }

    #[test]
    fn no_panic_on_mutated_fixtures(which in 0..FIXTURES.len(), mutations in mutations()) {
        exercise(&mutated(FIXTURES[which], mutations));
    }

    /// Streamed a few bytes at a time, a damaged file gives exactly what the byte-slice API
    /// gives: the same events, then the same error (file, line, field, message).
    #[test]
    fn mutated_fixtures_stream_to_the_same_events(
        which in 0..FIXTURES.len(),
        mutations in mutations(),
        step in 1usize..200,
    ) {
        let bytes = mutated(FIXTURES[which], mutations);
        let options = ParseOptions::default();
        let whole = drain(events("x", &bytes, &options));
        let reader = std::io::BufReader::with_capacity(step.max(2), Trickle {
                bytes: std::io::Cursor::new(bytes.clone()),
                step,
            });
        let streamed = drain(stream("x", Box::new(reader), &options));
        prop_assert_eq!(streamed, whole);
    }

    #[test]
    fn pko_writer_round_trip(statement in statement_strategy(), which in 0..ENCODINGS.len()) {
        let encoding = ENCODINGS[which];
        let bytes = write_mt940_pko(&statement, encoding);
        let mut configs = vec![Some(encoding)];
        if encoding == TextEncoding::Utf8 {
            configs.push(None);
        }
        for option in configs {
            let options = ParseOptions { format: FormatHint::Mt940, encoding: option };
            let parsed = parse_all("round.sta", &bytes, &options)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parsed.len(), 1);
            let p = &parsed[0];
            let mut header = p.header.clone();
            header.line_no = statement.header.line_no;
            prop_assert_eq!(&header, &statement.header);
            prop_assert_eq!(p.end.closing, statement.end.closing);
            prop_assert_eq!(p.lines.len(), statement.lines.len());
            for (i, (got, want)) in p.lines.iter().zip(&statement.lines).enumerate() {
                let mut got = got.clone();
                prop_assert_eq!(got.index as usize, i);
                prop_assert!(got.raw.starts_with(":61:"));
                got.line_no = 0;
                got.index = 0;
                got.raw = String::new();
                prop_assert_eq!(&got, want);
            }
        }
    }
}

#[test]
fn detection_recovers_the_writers_encoding_for_polish_text() {
    let statement = ParsedStatement {
        header: StatementHeader {
            format: Format::Mt940,
            intraday: false,
            reference: "MT940".to_owned(),
            account: "PL61109010140000071219812874".to_owned(),
            number: Some("1".to_owned()),
            currency: "PLN".to_owned(),
            opening: None,
            line_no: 1,
        },
        lines: Vec::new(),
        end: StatementEnd {
            closing: None,
            line_no: 0,
        },
    };
    let mut statement = statement;
    statement.header.opening = Some(Balance {
        date: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
        amount: Money::ZERO,
    });
    statement.end.closing = statement.header.opening;
    let date = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    statement.lines.push(StatementLine {
        line_no: 0,
        index: 0,
        value_date: date,
        booking_date: None,
        direction: Direction::Credit,
        reversal: false,
        amount: Money::from_grosze(0),
        currency: "PLN".to_owned(),
        type_code: Some("152".to_owned()),
        customer_reference: None,
        bank_reference: Some("1234567800000001".to_owned()),
        title: "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ".to_owned(),
        counterparty_name: Some("Urząd Gminy Łęczyca".to_owned()),
        counterparty_account: None,
        credited_account: None,
        payer_debit_date: None,
        transaction_id: Some("12345678/00000001".to_owned()),
        dedupe_key: "PKO:12345678/00000001".to_owned(),
        raw: String::new(),
    });
    for encoding in ENCODINGS {
        let bytes = write_mt940_pko(&statement, encoding);
        let parsed = parse_all("d.sta", &bytes, &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{encoding:?}: {e}"));
        assert_eq!(parsed[0].lines[0].title, "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ");
        assert_eq!(
            parsed[0].lines[0].counterparty_name.as_deref(),
            Some("Urząd Gminy Łęczyca")
        );
    }
}
