//! Hand-made files for each dialect, encoding and error case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use wspolnota_core::Money;
use wspolnota_statements::parse::encoding::{detect, encode};
use wspolnota_statements::parse::{
    Direction, Event, FormatHint, ParseError, ParseOptions, ParsedStatement, TextEncoding, events,
    parse_all,
};

const POLISH: &str = "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ";

fn money(s: &str) -> Money {
    Money::parse(s).expect("money")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn ok(name: &str, bytes: &[u8]) -> Vec<ParsedStatement> {
    parse_all(name, bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(name: &str, bytes: &[u8]) -> ParseError {
    match parse_all(name, bytes, &ParseOptions::default()) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e,
    }
}

/// MT940 lines joined with CR LF.
fn mt(lines: &[&str]) -> String {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n");
    s
}

#[test]
fn pko_tilde_fixed_width_and_ff_filler_in_1250() {
    // ~20 is exactly 27 characters and cut mid-word; ~21 continues it.
    let text = mt(&[
        ":20:MT940",
        ":25:/PL61109010140000071219812874",
        ":28C:7",
        ":60F:C240102PLN100,00",
        ":61:2401020102C150,50N152NONREF//1234567800000042",
        "152 0",
        ":86:020~00152",
        "~20PODATEK OD NIERUCHOMOŚCI R",
        "~21ATA 1 2024 Źródłowa 5",
        "~22\u{FFFF}",
        "~23\u{FFFF}",
        "~24\u{FFFF}",
        "~25\u{FFFF}",
        "~3010201026",
        "~319000361245650140",
        "~32JAN ŚLĄSKI UL. ŹRÓDŁOWA 5 00",
        "~33-950 ŁÓDŹ",
        "~38PL27 1140 2004 0000 3002 0135 5387",
        "~6020240101",
        "~63\u{FFFF}",
        ":62F:C240102PLN250,50",
        "-",
    ]);
    // U+FFFF marks where byte 0xFF goes.
    let mut bytes = Vec::new();
    for part in text.split('\u{FFFF}') {
        if !bytes.is_empty() || text.starts_with('\u{FFFF}') {
            bytes.push(0xFF);
        }
        bytes.extend(encode(part, TextEncoding::Windows1250));
    }
    assert_eq!(detect(&bytes), TextEncoding::Windows1250);
    let st = ok("pko.sta", &bytes);
    let l = &st[0].lines[0];
    assert_eq!(l.title, "PODATEK OD NIERUCHOMOŚCI RATA 1 2024 Źródłowa 5");
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("JAN ŚLĄSKI UL. ŹRÓDŁOWA 5 00-950 ŁÓDŹ")
    );
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("PL27114020040000300201355387")
    );
    assert_eq!(l.payer_debit_date, Some(date(2024, 1, 1)));
    assert_eq!(l.transaction_id.as_deref(), Some("12345678/00000042"));
    assert_eq!(l.dedupe_key, "PKO:12345678/00000042");
    assert_eq!(l.type_code.as_deref(), Some("152"));
    assert_eq!(st[0].end.closing.map(|b| b.amount), Some(money("250.50")));
}

#[test]
fn angle_bracket_subfields_in_cp852() {
    let text = mt(&[
        ":20:STMT1",
        ":25:61109010140000071219812874",
        ":28C:00012/001",
        ":60F:C240301PLN0,00",
        ":61:240301C99,99NTRFREF1//BANK1",
        ":86:051<00PRZELEW PRZYCHODZĄCY<10000<20Opłata za gospodarowanie od",
        "<21padami komunalnymi 03/2024<30 10201026<31 0000123456789012<32Zofia Wąs",
        "<33ik<38PL61109010140000071219812874",
        ":62F:C240301PLN99,99",
        "-",
    ]);
    let bytes = encode(&text, TextEncoding::Cp852);
    assert_eq!(detect(&bytes), TextEncoding::Cp852);
    let st = ok("cp852.sta", &bytes);
    assert_eq!(st[0].header.account, "61109010140000071219812874");
    let l = &st[0].lines[0];
    assert_eq!(
        l.title,
        "Opłata za gospodarowanie odpadami komunalnymi 03/2024"
    );
    assert_eq!(l.counterparty_name.as_deref(), Some("Zofia Wąsik"));
    assert_eq!(l.customer_reference.as_deref(), Some("REF1"));
    assert_eq!(l.bank_reference.as_deref(), Some("BANK1"));
    assert_eq!(
        l.dedupe_key,
        "61109010140000071219812874|00012/001|2024-03-01|99.99|C|0"
    );
}

#[test]
fn caret_subfields_bnp_with_currency_letter() {
    let text = mt(&[
        ":20:BPL",
        ":25:/PL61109010140000071219812874",
        ":28C:036/2009/BPL",
        ":60F:D091231PLN10,00",
        ":61:0912310101CN10,00NTRFNONREF//X1",
        ":86:^00PRZELEW^20Podatek rolny^21 II rata^32Gospodarstwo Rolne",
        ":61:091231RCN1,00NTRFNONREF//X2",
        ":86:^20Storno",
        ":62F:D091231PLN1,00",
        "-",
    ]);
    let st = ok("bnp.sta", text.as_bytes());
    let l = &st[0].lines[0];
    assert_eq!(l.title, "Podatek rolny II rata");
    assert_eq!(
        l.booking_date,
        Some(date(2010, 1, 1)),
        "entry date crosses the year"
    );
    assert_eq!(l.counterparty_name.as_deref(), Some("Gospodarstwo Rolne"));
    let r = &st[0].lines[1];
    assert!(r.reversal);
    assert_eq!(r.direction, Direction::Debit);
    assert_eq!(r.title, "Storno");
    assert_eq!(
        st[0].header.opening.map(|b| b.amount),
        Some(money("-10.00"))
    );
}

#[test]
fn question_mark_subfields_and_swift_headers() {
    let text = mt(&[
        "{1:F01BANKPLPWAXXX0000000000}{2:O9401200240101BANKPLPWAXXX00000000002401011200N}{4:",
        ":20:REF",
        ":21:NONREF",
        ":25:PL61109010140000071219812874",
        ":28C:1/1",
        ":60F:C240101EUR1000,00",
        ":61:240101D200,NMSCNONREF",
        ":86:105?00Zahlung?20Miete Januar?21 2024?32Hausverwaltung?33 GmbH?31DE02120300000000202051",
        ":62F:C240101EUR800,00",
        ":64:C240101EUR800,00",
        ":86:statement-level information",
        "-}",
    ]);
    let st = ok("swift.sta", text.as_bytes());
    let l = &st[0].lines[0];
    assert_eq!(l.amount, money("200"));
    assert_eq!(l.currency, "EUR");
    assert_eq!(l.title, "Miete Januar 2024");
    assert_eq!(l.counterparty_name.as_deref(), Some("Hausverwaltung GmbH"));
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("DE02120300000000202051")
    );
}

#[test]
fn mbank_free_text_wrapped_mid_token_iso8859_2() {
    let text = [
        "\u{1}",
        ":20:ST240105CYC/1",
        ":25:PL61109010140000071219812874",
        ":28C:5/1",
        ":60F:C240105PLN0,00",
        ":61:2401050105CN123,45NTRFNONREF//MB240105000001",
        "911-TRANSAKCJA IPH",
        ":86:911 TRANSAKCJA IPH; ID IPH: XX0000000000",
        "42; Z RACH.: 611090101400000712198",
        "12874; OD: GRZEGORZ BRZĘCZYSZCZYKIEWICZ UL. ŻÓŁ",
        "KIEWSKIEGO 1 00-001 CHRZĄSZCZYŻEWOSZYCE; TYT.: OPŁATA ZA ŚMIECI; ",
        "DATA STEMPLA: 04.01.2024; TNR: 1234567890",
        "12.000001",
        ":62F:C240105PLN123,45",
        "-\u{3}",
        "",
    ]
    .join("\n");
    let bytes = encode(&text, TextEncoding::Iso8859_2);
    assert_eq!(detect(&bytes), TextEncoding::Iso8859_2);
    let st = ok("mbank.sta", &bytes);
    let l = &st[0].lines[0];
    assert_eq!(l.credited_account.as_deref(), Some("XX000000000042"));
    assert_eq!(
        l.counterparty_account.as_deref(),
        Some("61109010140000071219812874")
    );
    assert_eq!(
        l.counterparty_name.as_deref(),
        Some("GRZEGORZ BRZĘCZYSZCZYKIEWICZ UL. ŻÓŁKIEWSKIEGO 1 00-001 CHRZĄSZCZYŻEWOSZYCE")
    );
    assert_eq!(l.title, "OPŁATA ZA ŚMIECI");
    assert_eq!(l.payer_debit_date, Some(date(2024, 1, 4)));
    assert_eq!(l.dedupe_key, "TNR:123456789012.000001");
}

#[test]
fn mt942_totals_checked() {
    let good = mt(&[
        ":20:ST240105CYC/0001",
        ":25:PL61109010140000071219812874",
        ":28C:1/1",
        ":34F:PLN0",
        ":13D:2401051815+0100",
        ":61:2401050105CN10,00NTRFNONREF//A",
        ":86:911 TRANSAKCJA; TYT.: X; TNR: 1.1",
        ":61:2401050105DN3,00NTRFNONREF//B",
        ":86:911 TRANSAKCJA; TYT.: Y; TNR: 1.2",
        ":90D:1PLN3,00",
        ":90C:1PLN10,00",
        "-",
    ]);
    let st = ok("mt942.sta", good.as_bytes());
    assert!(st[0].header.intraday);
    assert_eq!(st[0].lines.len(), 2);
    assert_eq!(st[0].end.closing, None);
    let bad = good.replace(":90C:1PLN10,00", ":90C:2PLN10,00");
    let e = err("mt942.sta", bad.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (11, ":90C:"));
}

#[test]
fn every_encoding_round_trips_polish_letters() {
    for encoding in [
        TextEncoding::Utf8,
        TextEncoding::Windows1250,
        TextEncoding::Iso8859_2,
        TextEncoding::Cp852,
    ] {
        let text = mt(&[
            ":20:X",
            ":25:PL61109010140000071219812874",
            ":60F:C240101PLN0,00",
            ":61:240101C1,00NTRFNONREF",
            &format!(":86:{POLISH}"),
            ":62F:C240101PLN1,00",
        ]);
        let bytes = encode(&text, encoding);
        assert_eq!(detect(&bytes), encoding, "detects {encoding:?}");
        for option in [None, Some(encoding)] {
            let st = parse_all(
                "enc.sta",
                &bytes,
                &ParseOptions {
                    format: FormatHint::Auto,
                    encoding: option,
                },
            )
            .unwrap_or_else(|e| panic!("{encoding:?}: {e}"));
            assert_eq!(st[0].lines[0].title, POLISH, "{encoding:?} {option:?}");
        }
    }
}

#[test]
fn error_bad_amount() {
    let text = mt(&[
        ":20:X",
        ":25:PL61109010140000071219812874",
        ":60F:C240101PLN0,00",
        ":61:240101C1,0,0NTRFNONREF",
        ":62F:C240101PLN1,00",
    ]);
    let e = err("bad.sta", text.as_bytes());
    assert_eq!(e.file, "bad.sta");
    assert_eq!((e.line, e.field.as_str()), (4, ":61: amount"));
    assert!(e.to_string().starts_with("bad.sta:4: :61: amount: "));
}

#[test]
fn error_bad_date() {
    let text = mt(&[
        ":20:X",
        ":25:PL61109010140000071219812874",
        ":60F:C240101PLN0,00",
        ":61:241301C1,00NTRFNONREF",
        ":62F:C240101PLN1,00",
    ]);
    let e = err("bad.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (4, ":61: value date"));
    let text = text.replace(":60F:C240101", ":60F:C240230");
    let e = err("bad.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (3, ":60F: date"));
}

#[test]
fn error_missing_account() {
    let text = mt(&[
        ":20:X",
        ":28C:1",
        ":60F:C240101PLN0,00",
        ":61:240101C1,00NTRFNONREF",
        ":62F:C240101PLN1,00",
    ]);
    let e = err("no25.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (1, ":25:"));
}

#[test]
fn error_truncated_file() {
    let text = mt(&[
        ":20:X",
        ":25:PL61109010140000071219812874",
        ":60F:C240101PLN0,00",
        ":61:240101C1,00NTRFNONREF",
        ":86:title",
    ]);
    let e = err("cut.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (5, ":62F:"));
    // Lines were yielded before the error: the caller must not import any of them.
    let bytes = text.as_bytes();
    let all: Vec<Result<Event, ParseError>> = events("cut.sta", bytes, &ParseOptions::default())
        .expect("decodes")
        .collect();
    assert_eq!(all.len(), 3);
    assert!(all[2].is_err());
}

#[test]
fn error_unbalanced_statement() {
    let text = mt(&[
        ":20:X",
        ":25:PL61109010140000071219812874",
        ":60F:C240101PLN10,00",
        ":61:240101C1,00NTRFNONREF",
        ":61:240101D2,00NTRFNONREF",
        ":62F:C240101PLN10,00",
    ]);
    let e = err("unbalanced.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (6, ":62F:"));
    assert!(e.message.contains("does not balance"));
}

#[test]
fn error_unknown_tag_and_stray_text() {
    let text = mt(&[":20:X", ":25:PL1", ":99:what", ":62F:C240101PLN1,00"]);
    let e = err("tag.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (3, ":99:"));
    let text = mt(&[
        ":20:X",
        ":25:PL1",
        ":60F:C240101PLN1,00",
        ":62F:C240101PLN1,00",
        "-",
        "stray",
    ]);
    let e = err("stray.sta", text.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (6, "line"));
    let e = match parse_all(
        "utf.sta",
        b":20:X\n:25:\xC3\n",
        &ParseOptions {
            format: FormatHint::Mt940,
            encoding: Some(TextEncoding::Utf8),
        },
    ) {
        Err(e) => e,
        Ok(_) => panic!("invalid UTF-8 accepted"),
    };
    assert_eq!((e.line, e.field.as_str()), (2, "encoding"));
}

fn camt(version: &str, entries: &str, closing: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-01-05T18:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>S1</Id><ElctrncSeqNb>5</ElctrncSeqNb><CreDtTm>2024-01-05T18:00:00</CreDtTm>
<Acct><Id><IBAN>PL61 1090 1014 0000 0712 1981 2874</IBAN></Id><Ccy>PLN</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="PLN">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-05</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="PLN">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-05</Dt></Dt></Bal>
{entries}
</Stmt>
</BkToCstmrStmt>
</Document>
"#
    )
}

fn tx(amount: &str, name: &str, virtual_account: &str, title: &str, e2e: &str) -> String {
    format!(
        r#"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="PLN">{amount}</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>PL27114020040000300201355387</IBAN></Id></DbtrAcct>
<CdtrAcct><Id><IBAN>{virtual_account}</IBAN></Id></CdtrAcct></RltdPties>
<RmtInf><Ustrd>{title}</Ustrd></RmtInf></TxDtls>"#
    )
}

fn batch(total: &str, txs: &[String]) -> String {
    format!(
        r#"<Ntry><NtryRef>N1</NtryRef><Amt Ccy="PLN">{total}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2024-01-05</Dt></BookgDt><ValDt><Dt>2024-01-05</Dt></ValDt><AcctSvcrRef>BANKREF9</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>BOOK</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><NbOfTxs>{}</NbOfTxs></Btch>{}</NtryDtls></Ntry>"#,
        txs.len(),
        txs.concat()
    )
}

#[test]
fn camt_batch_entry_with_three_tx_details() {
    let txs = vec![
        tx(
            "10.00",
            "Jan Kowalski",
            "PL10109010140000000000000001",
            "Podatek od nieruchomości",
            "E1",
        ),
        tx(
            "20.50",
            "Anna Żółć &amp; syn",
            "PL10109010140000000000000002",
            "Opłata śmieciowa",
            "E2",
        ),
        tx(
            "5.00",
            "Łukasz Ślęzak",
            "PL10109010140000000000000003",
            "Odsetki",
            "NOTPROVIDED",
        ),
    ];
    for version in ["02", "04", "08"] {
        let xml = camt(version, &batch("35.50", &txs), "135.50");
        let st = ok("batch.xml", xml.as_bytes());
        assert_eq!(st.len(), 1);
        let s = &st[0];
        assert_eq!(s.header.account, "PL61109010140000071219812874");
        assert_eq!(s.header.number.as_deref(), Some("5"));
        assert_eq!(s.lines.len(), 3);
        let amounts: Vec<Money> = s.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![money("10.00"), money("20.50"), money("5.00")]);
        let keys: Vec<&str> = s.lines.iter().map(|l| l.dedupe_key.as_str()).collect();
        assert_eq!(keys, vec!["BANKREF9/0", "BANKREF9/1", "BANKREF9/2"]);
        assert!(
            s.lines
                .iter()
                .all(|l| l.bank_reference.as_deref() == Some("BANKREF9"))
        );
        assert!(s.lines.iter().all(|l| l.line_no == s.lines[0].line_no));
        let indexes: Vec<u32> = s.lines.iter().map(|l| l.index).collect();
        assert_eq!(indexes, vec![0, 1, 2]);
        let l = &s.lines[1];
        assert_eq!(l.counterparty_name.as_deref(), Some("Anna Żółć & syn"));
        assert_eq!(l.title, "Opłata śmieciowa");
        assert_eq!(
            l.credited_account.as_deref(),
            Some("PL10109010140000000000000002")
        );
        assert_eq!(l.customer_reference.as_deref(), Some("E2"));
        assert_eq!(l.type_code.as_deref(), Some("PMNT/RCDT/BOOK"));
        assert_eq!(s.lines[2].customer_reference, None);
    }
}

#[test]
fn camt_errors() {
    let txs = vec![
        tx("10.00", "A", "PL1", "t", "E1"),
        tx("20.00", "B", "PL2", "t", "E2"),
    ];
    // Batch amounts do not add up.
    let xml = camt("02", &batch("35.50", &txs), "135.50");
    let e = err("batch.xml", xml.as_bytes());
    assert_eq!(e.field, "Ntry/NtryDtls");
    // Bad amount.
    let xml = camt("02", &batch("3x.50", &txs), "135.50");
    let e = err("amt.xml", xml.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (10, "Ntry/Amt"));
    // Unbalanced.
    let xml = camt("08", &batch("30.00", &txs), "135.50");
    let e = err("unbalanced.xml", xml.as_bytes());
    assert_eq!((e.line, e.field.as_str()), (9, "Stmt/Bal CLBD"));
    // Truncated.
    let xml = camt("08", &batch("30.00", &txs), "130.00");
    let cut = &xml[..xml.len() / 2];
    let e = err("cut.xml", cut.as_bytes());
    assert!(
        e.message.contains("truncated") || e.message.contains("XML"),
        "{e}"
    );
    // Not camt.053.
    let e = err("x.xml", b"<Document><BkToCstmrAcctRpt/></Document>");
    assert_eq!(e.field, "Document/BkToCstmrAcctRpt");
}

#[test]
fn streams_a_large_file_lazily() {
    let mut text =
        String::from(":20:BIG\r\n:25:PL61109010140000071219812874\r\n:60F:C240101PLN0,00\r\n");
    let n = 100_000;
    for i in 0..n {
        text.push_str(":61:240101C1,00NTRFNONREF\r\n:86:");
        text.push_str(&format!("tytuł {i}\r\n"));
    }
    text.push_str(&format!(":62F:C240101PLN{n},00\r\n-\r\n"));
    let iter = events("big.sta", text.as_bytes(), &ParseOptions::default()).expect("decodes");
    fn is_send<T: Send>(_: &T) {}
    is_send(&iter);
    let mut count = 0usize;
    for event in iter {
        if let Event::Line(_) = event.expect("valid") {
            count += 1;
        }
    }
    assert_eq!(count, n);
}
