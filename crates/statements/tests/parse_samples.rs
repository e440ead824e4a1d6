//! Every fixture (see fixtures/README.md) parsed with exact values asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use wspolnota_core::Money;
use wspolnota_statements::parse::{
    Direction, Event, Format, FormatHint, ParseError, ParseOptions, ParsedStatement, StatementLine,
    TextEncoding, events, parse_all,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Vec<ParsedStatement> {
    parse_all(name, &fixture(name), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Events up to the error, and the error.
fn until_error(name: &str) -> (Vec<Event>, ParseError) {
    let bytes = fixture(name);
    let mut out = Vec::new();
    for event in events(name, &bytes, &ParseOptions::default()).expect("decodes") {
        match event {
            Ok(e) => out.push(e),
            Err(e) => return (out, e),
        }
    }
    panic!("{name}: expected an error");
}

fn lines(events: &[Event]) -> Vec<&StatementLine> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Line(l) => Some(l),
            _ => None,
        })
        .collect()
}

fn money(s: &str) -> Money {
    Money::parse(s).expect("money")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn pko_reconstructed_iso8859_2() {
    for options in [
        ParseOptions::default(),
        ParseOptions {
            format: FormatHint::Mt940,
            encoding: Some(TextEncoding::Iso8859_2),
        },
    ] {
        let name = "pko_bp_ipko_biznes_spec_example_RECONSTRUCTED_iso8859-2_crlf.sta";
        let st = parse_all(name, &fixture(name), &options).expect("parses");
        assert_eq!(st.len(), 1);
        let s = &st[0];
        assert_eq!(s.header.format, Format::Mt940);
        assert!(!s.header.intraday);
        assert_eq!(s.header.reference, "MT940");
        assert_eq!(s.header.account, "PL44102055610000380209739045");
        assert_eq!(s.header.number.as_deref(), Some("1"));
        assert_eq!(s.header.currency, "PLN");
        let opening = s.header.opening.expect("opening");
        assert_eq!(opening.amount, money("-2671.79"));
        assert_eq!(opening.date, date(2021, 5, 26));
        let closing = s.end.closing.expect("closing");
        assert_eq!(closing.amount, money("-3336.72"));
        assert_eq!(closing.date, date(2021, 5, 31));
        assert_eq!(s.end.line_no, 69);
        assert_eq!(s.lines.len(), 4);
        let amounts: Vec<Money> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(
            amounts,
            vec![
                money("25.00"),
                money("434.00"),
                money("205.18"),
                money("0.75")
            ]
        );
        assert!(s.lines.iter().all(|l| l.direction == Direction::Debit));
        let l = &s.lines[1];
        assert_eq!(l.line_no, 21);
        assert_eq!(l.index, 1);
        assert_eq!(l.value_date, date(2021, 5, 26));
        assert_eq!(l.booking_date, Some(date(2021, 5, 26)));
        assert_eq!(l.type_code.as_deref(), Some("210"));
        assert_eq!(l.customer_reference, None);
        assert_eq!(l.bank_reference.as_deref(), Some("6460502100001611"));
        assert_eq!(l.title, "P 85100158550    0       PIT-23");
        assert_eq!(
            l.counterparty_name.as_deref(),
            Some("DRUGI MAZOWIECKI URZĄD SKARBOWY WARSZAWA")
        );
        assert_eq!(
            l.counterparty_account.as_deref(),
            Some("PL32101000712223147254000000")
        );
        assert_eq!(l.transaction_id.as_deref(), Some("64605021/00001611"));
        assert_eq!(l.dedupe_key, "PKO:64605021/00001611");
        assert!(
            l.raw
                .starts_with(":61:2105260526D434,00N210NONREF//6460502100001611")
        );
        assert!(l.raw.contains("~32DRUGI MAZOWIECKI URZĄD SKAR"));
        assert_eq!(s.lines[0].title, "PRZELEW SRODKÓW");
        assert_eq!(s.lines[3].title, "KOSZTY SR21IP00012613DS");
        assert_eq!(
            s.lines[2].counterparty_account.as_deref(),
            Some("FR7630004013280001089882824")
        );
    }
}

#[test]
fn pko_transcribed_utf8_keeps_pdf_renderings_and_drops_fillers() {
    let st = parse("pko_bp_ipko_biznes_spec_example_TRANSCRIBED_utf8.txt");
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(s.lines.len(), 4);
    assert_eq!(s.lines[0].title, "PRZELEW SRODKÓW");
    assert_eq!(s.lines[0].payer_debit_date, None);
    assert_eq!(
        s.lines[1].counterparty_name.as_deref(),
        Some("DRUGI MAZOWIECKI URZˇD SKARBOWY WARSZAWA")
    );
    assert_eq!(s.end.closing.map(|b| b.amount), Some(money("-3336.72")));
}

#[test]
fn mbank_collect_iph() {
    let st = parse("mbank_collect_iph_wolph.sta");
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(s.header.reference, "ST170119CYC/1");
    assert_eq!(s.header.account, "PL29114010810000267002001002");
    assert_eq!(s.header.number.as_deref(), Some("1/1"));
    assert_eq!(s.header.opening.map(|b| b.amount), Some(money("0.40")));
    assert_eq!(s.end.closing.map(|b| b.amount), Some(money("0.43")));
    assert_eq!(s.lines.len(), 3);
    let l = &s.lines[0];
    assert_eq!(l.line_no, 6);
    assert_eq!(l.amount, money("0.01"));
    assert_eq!(l.direction, Direction::Credit);
    assert_eq!(l.currency, "PLN");
    assert_eq!(l.type_code.as_deref(), Some("TRF"));
    assert_eq!(l.bank_reference.as_deref(), Some("MB170119012058"));
    assert_eq!(l.title, "PRZELEW SRODKOW");
    assert_eq!(l.credited_account.as_deref(), Some("XX000000000001"));
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("56114010810000267002001001")
    );
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("JAN NOWAK  UL. NIJAKA 1 M 2 31-234 KRAKOW")
    );
    assert_eq!(l.transaction_id.as_deref(), Some("179171073864111.010001"));
    assert_eq!(l.dedupe_key, "TNR:179171073864111.010001");
    assert_eq!(
        s.lines[2].credited_account.as_deref(),
        Some("XX000000000003")
    );
}

#[test]
fn mbank_mt942_intraday_dedupes_against_mt940() {
    let st = parse("mbank_mt942_wolph.sta");
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert!(s.header.intraday);
    assert_eq!(s.header.opening, None);
    assert_eq!(s.end.closing, None);
    assert_eq!(s.header.currency, "PLN");
    assert_eq!(s.lines.len(), 3);
    let eod = parse("mbank_collect_iph_wolph.sta");
    let a: Vec<&str> = s.lines.iter().map(|l| l.dedupe_key.as_str()).collect();
    let b: Vec<&str> = eod[0].lines.iter().map(|l| l.dedupe_key.as_str()).collect();
    assert_eq!(a, b, "MT942 and MT940 of the same day share dedupe keys");
}

#[test]
fn mbank_companynet_iph_lines_then_truncation_error() {
    let name = "mbank_companynet_iph_ksdev.sta";
    let (events, err) = until_error(name);
    // No :62F: in this excerpt: every line is yielded, then the statement fails as truncated.
    assert_eq!(err.file, name);
    assert_eq!(err.line, 156);
    assert_eq!(err.field, ":62F:");
    assert!(err.to_string().starts_with(&format!("{name}:156: :62F:: ")));
    let ls = lines(&events);
    assert_eq!(ls.len(), 24);
    let l = ls[0];
    assert_eq!(l.amount, money("6979.18"));
    assert_eq!(l.value_date, date(2010, 6, 4));
    assert_eq!(l.credited_account.as_deref(), Some("XX000000000014"));
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("04105014611000002345271577")
    );
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ")
    );
    assert_eq!(l.title, "210F1163");
    assert_eq!(l.payer_debit_date, Some(date(2010, 6, 2)));
    assert_eq!(l.dedupe_key, "TNR:154961063737599.110001");
    let l = ls[1];
    assert_eq!(l.title, "ZAPŁATA ZA F-RĘ NR 110F02574 Z DN. 20.05.2010");
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("ZAKŁAD USŁUG KOMUNALNYCH W LUB 97-217 LUBOCHNIA TOMASZOWSKA 9")
    );
    assert_eq!(l.transaction_id.as_deref(), Some("154961063737600.670001"));
    assert_eq!(
        ls[2].credited_account, None,
        "770 Elixir transfer has no ID IPH"
    );
    assert_eq!(
        ls[2].counterparty_name.as_deref(),
        Some("WHIRLPOOL POLSKA  SPÓŁKA AKCYJNA UL.GEN.T.BORA-KOMOROWSKIEGO 6 51-210 WROCŁAW")
    );
    let last = ls[ls.len() - 1];
    assert_eq!(last.direction, Direction::Debit);
    assert_eq!(last.amount, money("15.00"));
    assert_eq!(last.title, "OPŁATY GRUPOWE");
}

#[test]
fn mbank_multi_account() {
    let st = parse("mbank_companynet_multi_account_ksdev.sta");
    assert_eq!(st.len(), 8);
    let accounts: Vec<&str> = st.iter().map(|s| s.header.account.as_str()).collect();
    assert_eq!(
        accounts,
        vec![
            "PL46114010100000579009004001",
            "PL19114010100000579009004002",
            "PL89114010100000579009004003",
            "PL62114010100000579009004004",
            "PL35114010100000579009004005",
            "PL12114010100000579009005001",
            "PL82114010100000579009005002",
            "PL55114010100000579009005003",
        ]
    );
    let currencies: Vec<&str> = st.iter().map(|s| s.header.currency.as_str()).collect();
    assert_eq!(
        currencies,
        vec!["PLN", "PLN", "EUR", "EUR", "USD", "PLN", "EUR", "USD"]
    );
    let counts: Vec<usize> = st.iter().map(|s| s.lines.len()).collect();
    assert_eq!(counts, vec![38, 2, 7, 0, 1, 1, 7, 0]);
    assert_eq!(counts.iter().sum::<usize>(), 56);
    assert_eq!(
        st[0].header.opening.map(|b| b.amount),
        Some(money("8985995772.25"))
    );
    assert_eq!(
        st[0].end.closing.map(|b| b.amount),
        Some(money("8987999030.37"))
    );
    assert_eq!(
        st[6].header.opening.map(|b| b.amount),
        Some(money("-959.45"))
    );
    assert_eq!(st[6].end.closing.map(|b| b.amount), Some(money("-492.89")));
    let tax = &st[0].lines[4];
    assert_eq!(tax.amount, money("65.21"));
    assert_eq!(tax.customer_reference.as_deref(), Some("R265691"));
    assert_eq!(
        tax.counterparty_name.as_deref(),
        Some("URZĄD SKARBOWY WARSZAWA-BIELANY WARSZAWA")
    );
    assert_eq!(
        tax.counterparty_account.as_deref(),
        Some("39101010100166102221000000")
    );
    let refund = &st[0].lines[12];
    assert_eq!(refund.customer_reference.as_deref(), Some("ZWROT NADPŁATY"));
    assert_eq!(refund.title, "ZWROT NADPŁATY ZA F-RĘ 30/2006");
    assert_eq!(
        st[0].lines[2].title,
        "WYGRANA W KONKURSIE TENISOWYM; 72132000190099001120000005 PPUP POCZTA POLSKA"
    );
    assert_eq!(
        st[0].lines[2].counterparty_name.as_deref(),
        Some("JAN ZAMOJSKI BOHATERÓW GRUNWALDU 4 23 96-300 ŚWINOUJŚCIE")
    );
}

#[test]
fn mbank_tnr_wrapped_then_unbalanced() {
    let name = "mbank_with_newline_in_tnr_wolph.sta";
    let (events, err) = until_error(name);
    assert_eq!((err.line, err.field.as_str()), (19, ":62F:"));
    assert!(err.message.contains("does not balance"), "{err}");
    let ls = lines(&events);
    assert_eq!(ls.len(), 2);
    assert_eq!(
        ls[0].transaction_id.as_deref(),
        Some("179301073837502.000001")
    );
    assert_eq!(
        ls[0].title,
        "_FAKTURA VAT NR FVD-0000/02/2017  A AAAAA AAAAAA UL. AAAAAAAAAAA 220/22"
    );
    assert_eq!(ls[1].amount, money("44.00"));
    assert_eq!(ls[1].dedupe_key, "TNR:179301073844398.000001");
}

#[test]
fn german_question_mark_subfields_then_unbalanced() {
    let name = "german_structured86_details_60-63_wolph.sta";
    let (events, err) = until_error(name);
    assert_eq!((err.line, err.field.as_str()), (12, ":62F:"));
    let ls = lines(&events);
    assert_eq!(ls.len(), 1);
    let l = ls[0];
    assert_eq!(l.amount, money("233.15"));
    assert_eq!(l.type_code.as_deref(), Some("MSC"));
    assert_eq!(l.bank_reference, None);
    assert_eq!(
        l.title,
        "EREF+123/123/12345-----L110000000012345 BIC: BYLADEMM ABWA: Finanzamt Muenchen ABWA+Finanzamt Muenchen Abteilung Erhebung"
    );
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("Finanzamt Muenchen Abteilung Erhebung")
    );
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("DE99700500000000012345")
    );
    assert_eq!(l.dedupe_key, "12345678/1020304050|0|2017-09-14|233.15|D|0");
}

#[test]
fn camt_v02_minimal() {
    let st = parse("genkgo_camt053.v2.minimal.xml");
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(s.header.format, Format::Camt053);
    assert_eq!(s.header.reference, "253EURNL26VAYB8060476890");
    assert_eq!(s.header.account, "NL26VAYB8060476890");
    assert_eq!(s.header.number.as_deref(), Some("12312"));
    assert_eq!(s.header.currency, "EUR");
    assert_eq!(s.header.opening.map(|b| b.amount), Some(money("18.15")));
    // CLBD is in SEK there (synthetic file): not checked against the EUR opening balance.
    assert_eq!(s.end.closing.map(|b| b.amount), Some(money("-27.00")));
    assert_eq!(s.lines.len(), 1);
    let l = &s.lines[0];
    assert_eq!(l.amount, money("8.85"));
    assert_eq!(l.direction, Direction::Credit);
    assert!(!l.reversal);
    assert_eq!(l.value_date, date(2015, 1, 2));
    assert_eq!(l.booking_date, Some(date(2014, 12, 31)));
    assert_eq!(l.type_code.as_deref(), Some("544"));
    assert_eq!(l.title, "4654654654654654");
    assert_eq!(l.counterparty_name.as_deref(), Some("NAME NAME"));
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("NL56AGDH9619008421")
    );
    assert_eq!(l.credited_account.as_deref(), Some("NL56AGDH9619008421"));
    assert!(l.raw.starts_with("<Ntry>") && l.raw.ends_with("</Ntry>"));
}

#[test]
fn camt_v02_multi_statement_balances() {
    let st = parse("genkgo_camt053.v2.multi.statement.xml");
    assert_eq!(st.len(), 2);
    assert_eq!(st[0].end.closing.map(|b| b.amount), Some(money("27.00")));
    assert_eq!(st[0].lines[0].title, "Transaction Description 1");
    assert_eq!(st[0].lines[0].transaction_id.as_deref(), Some("000000001"));
    assert_eq!(st[1].header.reference, "254EURNL26VAYB8060476890");
    assert_eq!(st[1].header.opening.map(|b| b.amount), Some(money("27.00")));
    assert_eq!(st[1].lines[0].direction, Direction::Debit);
    assert_eq!(st[1].lines[0].amount, money("7.00"));
    assert_eq!(
        st[1].lines[0].counterparty_name.as_deref(),
        Some("Company Name 2")
    );
    assert_eq!(st[1].end.closing.map(|b| b.amount), Some(money("20.00")));
    let party_ids = parse("genkgo_camt053.v2.with-party-ids.xml");
    assert_eq!(party_ids[0].lines[0].amount, money("8.85"));
}

#[test]
fn camt_v04_and_v08() {
    let v4 = parse("genkgo_camt053.v4.xml");
    assert_eq!(v4.len(), 1);
    assert_eq!(v4[0].header.account, "NL26VAYB8060476890");
    assert_eq!(v4[0].header.currency, "EUR");
    let l = &v4[0].lines[0];
    assert_eq!(l.amount, money("8.85"));
    assert_eq!(l.type_code.as_deref(), Some("PAYM/0001/0005"));
    assert_eq!(l.bank_reference.as_deref(), Some("AAAASESS-FP-CN_98765/01"));
    assert_eq!(l.dedupe_key, "AAAASESS-FP-CN_98765/01/0");

    let v8 = parse("genkgo_camt053.v8.xml");
    assert_eq!(v8.len(), 1);
    let l = &v8[0].lines[0];
    assert_eq!(l.line_no, 110);
    assert_eq!(l.booking_date, Some(date(2014, 12, 31)));
    assert_eq!(l.type_code.as_deref(), Some("PMNT/RCDT/BOOK"));
    assert_eq!(l.customer_reference.as_deref(), Some("MUELL/FINP/RA12345"));
    assert_eq!(l.counterparty_name.as_deref(), Some("NAME NAME"));
    assert_eq!(l.transaction_id.as_deref(), Some("AAAASESS-FP-CN_98765/01"));
}
