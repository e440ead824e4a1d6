//! The back office on a real store: the arrears list, the CSV import of assessments, the
//! journal export and corrections of journal entries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use support::{
    Fixture, assess, balance, counts, date, entry_lines, entry_with_key, installments_of,
    journal_sums, m, named_person, net, obligation_lines, pay, person, zamosc_with_person,
};
use uuid::Uuid;
use wspolnota_core::{AccountId, AppResult, Ctx, ErrorCode, Money, TenantDb};
use wspolnota_finance::entity::{installment, ledger_entry, obligation, party, payment};
use wspolnota_finance::service::arrears::{self, ArrearsList};
use wspolnota_finance::service::assess::{self, Assessed, NewAssessment};
use wspolnota_finance::service::corrections::{self, CorrectedKind};
use wspolnota_finance::service::export::{self, Format, JournalExport};
use wspolnota_finance::service::import::{self, ImportOutcome};

/// `other_fee` (civil interest, explicit schedule).
async fn assess_explicit(
    f: &Fixture,
    clerk: &Ctx,
    p: &party::Model,
    installments: &[(&str, &str)],
) -> Assessed {
    let list: Vec<_> = installments.iter().map(|(d, a)| (date(d), m(a))).collect();
    let amount: Money = list.iter().map(|(_, a)| *a).sum();
    assess::assess(
        &f.finance,
        clerk,
        NewAssessment {
            party_id: p.id,
            kind: "other_fee".into(),
            year: 2025,
            title: "Opłata".into(),
            reference: None,
            amount,
            installments: Some(list),
            key: None,
        },
    )
    .await
    .unwrap()
}

/// Property tax 2025 of 4,000 in four installments of 1,000 (17.03, 15.05, 15.09, 17.11).
async fn assess_4000(f: &Fixture, clerk: &Ctx, p: &party::Model) -> Assessed {
    assess(f, clerk, p.id, "property_tax_person", 2025, "4000", None).await
}

/// The journal entry of an assessment.
async fn assessment_entry(f: &Fixture, a: &Assessed) -> ledger_entry::Model {
    entry_with_key(f, &format!("assessment:{}", a.obligation.id)).await
}

async fn obligation_count(f: &Fixture) -> u64 {
    f.with_tx(async |tx| obligation::Entity::find().count(tx).await.unwrap())
        .await
}

async fn assert_journal_balances(f: &Fixture) {
    let (debit, credit) = journal_sums(f).await;
    assert_eq!(debit, credit);
}

/// Asserts that the obligation's lines on each of `accounts` net to zero.
async fn assert_cleared(f: &Fixture, obligation: Uuid, accounts: [&str; 2]) {
    let lines = obligation_lines(f, obligation).await;
    for account in accounts {
        assert_eq!(net(&lines, account), 0, "{account}");
    }
}

async fn arrears(
    f: &Fixture,
    ctx: &Ctx,
    as_of: &str,
    limit: u64,
    offset: u64,
) -> AppResult<ArrearsList> {
    arrears::arrears(&f.finance, ctx, date(as_of), limit, offset).await
}

async fn import(f: &Fixture, clerk: &Ctx, csv: &str) -> ImportOutcome {
    import::import_assessments(&f.finance, clerk, csv)
        .await
        .unwrap()
}

/// (line, field) of each reported import error.
fn error_fields(out: &ImportOutcome) -> Vec<(usize, &str)> {
    out.errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect()
}

async fn export(ctx: &Ctx, from: &str, to: &str, format: Format) -> AppResult<JournalExport> {
    export::journal_export(ctx, date(from), date(to), format).await
}

/// Asserts that `entry` is refused as not correctable (VALIDATION on `entryId`).
async fn assert_not_correctable(f: &Fixture, clerk: &Ctx, entry: Uuid, reason: &str) {
    let e = corrections::correct_entry(&f.finance, clerk, entry, reason)
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Validation, Some("entryId"))
    );
}

#[tokio::test]
async fn arrears_as_of_a_day_with_interest_ordering_and_pages() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let a = named_person(&f, &clerk, "Anna Arrears", 1).await;
    let b = named_person(&f, &clerk, "Bogdan Bit", 2).await;
    let c = named_person(&f, &clerk, "Celina Całość", 3).await;
    let d = named_person(&f, &clerk, "Dariusz Dalej", 4).await;
    let e = named_person(&f, &clerk, "Ewa Na czas", 5).await;
    // A: property tax 4,000 in four installments of 1,000 (17.03, 15.05, 15.09, 17.11).
    assess_4000(&f, &clerk, &a).await;
    // B: 500 due 30.04 and 500 due 30.06 (civil interest).
    assess_explicit(
        &f,
        &clerk,
        &b,
        &[("2025-04-30", "500.00"), ("2025-06-30", "500.00")],
    )
    .await;
    // C: 3,000 due 28.02 (civil interest).
    assess_explicit(&f, &clerk, &c, &[("2025-02-28", "3000.00")]).await;
    // D: not due yet.
    assess_explicit(&f, &clerk, &d, &[("2025-12-31", "700.00")]).await;
    // E: paid on time.
    assess_explicit(&f, &clerk, &e, &[("2025-02-28", "100.00")]).await;
    f.set_today("2025-02-20");
    pay(&f, &clerk, e.id, "100.00", "2025-02-20").await;
    f.set_today("2025-05-21");

    let list = arrears(&f, &clerk, "2025-05-20", 50, 0).await.unwrap();
    assert_eq!(list.total.parties, 3);
    assert_eq!(list.total.overdue, m("5500.00"));
    let got: Vec<_> = list
        .items
        .iter()
        .map(|i| (i.party.id, i.overdue, i.interest, i.oldest_due_date))
        .collect();
    // C: 3,000 from 01.03: 68 days at 11.25% (to 07.05) + 13 days at 10.75%
    //   = (3000 × 11.25 × 68 + 3000 × 10.75 × 13) / 36500 = 2 714 250 / 36500 = 74.363… → 74.36.
    // A: installment I, 1,000 from 18.03: 51 days at 14.5% + 13 days at 13.5%
    //   = (739 500 + 175 500) / 36500 = 25.068… → 25 zł; installment II (due 15.05), 5 days at
    //   13.5% = 1.849… → 2 zł, under the 8.70 threshold → 0. Total 25.
    // B: 500 from 01.05: 7 days at 11.25% + 13 days at 10.75%
    //   = (39 375 + 69 875) / 36500 = 2.993… → 2.99.
    assert_eq!(
        got,
        vec![
            (c.id, m("3000.00"), m("74.36"), date("2025-02-28")),
            (a.id, m("2000.00"), m("25.00"), date("2025-03-17")),
            (b.id, m("500.00"), m("2.99"), date("2025-04-30")),
        ]
    );
    assert_eq!(list.items[0].party.name, "Celina Całość");
    // The same interest as the party's account shows.
    assert_eq!(
        balance(&f, &clerk, a.id, "2025-05-20").await.interest,
        m("25.00")
    );
    assert_eq!(
        balance(&f, &clerk, c.id, "2025-05-20").await.interest,
        m("74.36")
    );

    // Pages.
    let first = arrears(&f, &clerk, "2025-05-20", 2, 0).await.unwrap();
    let ids: Vec<_> = first.items.iter().map(|i| i.party.id).collect();
    assert_eq!(ids, vec![c.id, a.id]);
    assert_eq!(first.total.parties, 3);
    let second = arrears(&f, &clerk, "2025-05-20", 2, 2).await.unwrap();
    let ids: Vec<_> = second.items.iter().map(|i| i.party.id).collect();
    assert_eq!(ids, vec![b.id]);
    let past = arrears(&f, &clerk, "2025-05-20", 2, 10).await.unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total.overdue, m("5500.00"));

    // Earlier: on 01.03 only C is late (due 28.02); on the due day itself nobody is.
    let early = arrears(&f, &clerk, "2025-03-01", 50, 0).await.unwrap();
    assert_eq!(early.total.parties, 1);
    assert_eq!(early.items[0].party.id, c.id);
    let on_due = arrears(&f, &clerk, "2025-02-28", 50, 0).await.unwrap();
    assert_eq!(on_due.total.parties, 0);
    assert!(on_due.items.is_empty());

    let e = arrears(&f, &clerk, "2025-05-20", 501, 0).await.unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Validation, Some("limit"))
    );
    let e = arrears(&f, &f.resident(AccountId::new()), "2025-05-20", 50, 0)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

const HEADER: &str = "party_number;kind;year;title;amount;due_dates;installment_amounts";

#[tokio::test]
async fn csv_import_creates_assessments_once() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let a = named_person(&f, &clerk, "Anna", 1).await;
    let b = named_person(&f, &clerk, "Bartosz", 2).await;
    let csv = format!(
        "\u{feff}{HEADER}\r\n\
         {};property_tax_person;2025;Decyzja 10/2025;1 234,50;;\r\n\
         \r\n\
         {};lease;2025;\"Umowa; dzierżawa \"\"5/2024\"\"\";600,00;2025-03-31|30.09.2025;300,00|300\r\n\
         {};waste_fee;2025;Deklaracja;12,50\r\n",
        a.number, b.number, b.number
    );
    let before = obligation_count(&f).await;
    let out = import(&f, &clerk, &csv).await;
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!((out.imported, out.skipped), (3, 0));
    assert_eq!(obligation_count(&f).await, before + 3);

    let obligations = f
        .all(obligation::Entity::find().filter(obligation::Column::PartyId.eq(b.id)))
        .await;
    let lease = obligations.iter().find(|o| o.kind_code == "lease").unwrap();
    assert_eq!(lease.title, "Umowa; dzierżawa \"5/2024\"");
    assert_eq!(lease.amount, 60_000);
    let dues: Vec<_> = installments_of(&f, lease.id)
        .await
        .into_iter()
        .map(|i| (i.due_date, i.amount))
        .collect();
    assert_eq!(
        dues,
        vec![(date("2025-03-31"), 30_000), (date("2025-09-30"), 30_000)]
    );
    let tax = f
        .one(obligation::Entity::find().filter(obligation::Column::PartyId.eq(a.id)))
        .await;
    // Art. 63 § 1 OP: 1,234.50 → 1,235 zł, split by the kind's rule.
    assert_eq!(tax.amount, 123_500);
    assert_eq!(installments_of(&f, tax.id).await.len(), 4);
    // The row's key is on its journal entry.
    let key = import::row_key(&csv, 2);
    assert_eq!(entry_with_key(&f, &key).await.idempotency_key, key);
    assert_eq!(
        balance(&f, &clerk, a.id, "2025-01-10").await.outstanding,
        m("1235")
    );

    // The same file again: nothing new.
    let rows = counts(&f).await;
    let again = import(&f, &clerk, &csv).await;
    assert!(again.errors.is_empty());
    assert_eq!((again.imported, again.skipped), (0, 3));
    assert_eq!(obligation_count(&f).await, before + 3);
    assert_eq!(counts(&f).await, rows);
    assert_journal_balances(&f).await;

    // An imported assessment can be corrected; importing the file again does not bring it back,
    // nor does the same file saved with LF line ends.
    let lease_entry = entry_with_key(&f, &import::row_key(&csv, 4)).await;
    let c = corrections::correct_entry(&f.finance, &clerk, lease_entry.id, "umowa rozwiązana")
        .await
        .unwrap();
    assert_eq!(c.obligation_id, Some(lease.id));
    let lf = csv.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let again = import(&f, &clerk, &lf).await;
    assert_eq!((again.imported, again.skipped), (0, 3));
    assert_eq!(obligation_count(&f).await, before + 3);
}

#[tokio::test]
async fn csv_import_keeps_each_decisions_number_and_refuses_a_malformed_one() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let a = named_person(&f, &clerk, "Anna", 1).await;
    let n = a.number;
    let header = format!("{HEADER};reference");
    let bad = format!(
        "{header}\n\
         {n};property_tax_person;2025;Decyzja;1000;;;FN.3120.10.2025\n\
         {n};other_fee;2025;Opłata;50,00;2025-06-30;50,00;FN 11/2025\n"
    );
    let before = obligation_count(&f).await;
    let out = import(&f, &clerk, &bad).await;
    assert_eq!(
        error_fields(&out),
        vec![(3, "reference")],
        "{:?}",
        out.errors
    );
    assert!(
        out.errors[0].message.contains("document number"),
        "{:?}",
        out.errors
    );
    assert_eq!(obligation_count(&f).await, before);

    let good = format!(
        "{header}\n\
         {n};property_tax_person;2025;Decyzja;1000;;;fn.3120.10.2025\n\
         {n};other_fee;2025;Opłata;50,00;2025-06-30;50,00;\n"
    );
    let out = import(&f, &clerk, &good).await;
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let mut references: Vec<(String, Option<String>)> = f
        .all(obligation::Entity::find().filter(obligation::Column::PartyId.eq(a.id)))
        .await
        .into_iter()
        .map(|o| (o.kind_code, o.reference))
        .collect();
    references.sort();
    assert_eq!(
        references,
        vec![
            ("other_fee".to_owned(), None),
            (
                "property_tax_person".to_owned(),
                Some("FN.3120.10.2025".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn csv_import_with_bad_rows_imports_nothing() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let a = named_person(&f, &clerk, "Anna", 1).await;
    let n = a.number;
    let csv = format!(
        "{HEADER}\n\
         {n};property_tax_person;2025;Dobra 1;1000;;\n\
         {n};property_tax_person;2025;Zła kwota;dużo;;\n\
         999;property_tax_person;2025;Nie ma strony;100;;\n\
         {n};other_fee;2025;Dobra 2;50,00;2025-06-30;50,00\n\
         {n};no_such_tax;2025;Zły rodzaj;100;;\n\
         {n};other_fee;2025;Dobra 3;80,00;2025-06-30|2025-07-31;40,00|40,00\n"
    );
    let obligations = obligation_count(&f).await;
    let rows = counts(&f).await;
    let out = import(&f, &clerk, &csv).await;
    assert_eq!((out.imported, out.skipped), (0, 0));
    assert_eq!(
        error_fields(&out),
        vec![(3, "amount"), (4, "party_number"), (6, "kind")],
        "{:?}",
        out.errors
    );
    assert!(out.errors[1].message.contains("999"));
    assert_eq!(obligation_count(&f).await, obligations);
    assert_eq!(counts(&f).await, rows);

    // More shapes of errors, all reported at once.
    let csv = format!(
        "{HEADER}\n\
         {n};lease;2025;Bez rat;100;;\n\
         {n};other_fee;2025;Suma;100;2025-06-30|2025-07-31;40|40\n\
         {n};other_fee;1999;;0;2025-06-30;\n\
         {n};other_fee;2025;Za dużo pól;1;2025-06-30;1;extra\n"
    );
    let out = import(&f, &clerk, &csv).await;
    assert_eq!(
        error_fields(&out),
        vec![
            (2, "due_dates"),
            (3, "installment_amounts"),
            (4, "year"),
            (4, "title"),
            (4, "amount"),
            (4, "installment_amounts"),
            (5, "row"),
        ],
        "{:?}",
        out.errors
    );
    assert_eq!(obligation_count(&f).await, obligations);

    // A header without a required column.
    let out = import(&f, &clerk, "party_number;kind;year;title\n1;x;2025;t\n").await;
    assert_eq!(error_fields(&out), vec![(1, "amount")]);

    let e = import::import_assessments(&f.finance, &f.resident(AccountId::new()), &csv)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

/// Sums of a CSV export's rows, and its trailer's figures.
fn csv_sums(content: &str) -> ((usize, Money, Money), (usize, Money, Money)) {
    let mut lines: Vec<&str> = content.lines().collect();
    assert_eq!(
        lines.remove(0),
        "entry_id;date;description;account;party_number;debit;credit"
    );
    let trailer: Vec<&str> = lines.pop().unwrap().split(';').collect();
    assert_eq!(trailer[0], "CONTROL");
    let (mut debit, mut credit) = (Money::ZERO, Money::ZERO);
    for l in &lines {
        // Descriptions here hold no `;`.
        let cols: Vec<&str> = l.split(';').collect();
        assert_eq!(cols.len(), 7, "{l}");
        debit += m(cols[5]);
        credit += m(cols[6]);
    }
    (
        (lines.len(), debit, credit),
        (trailer[2].parse().unwrap(), m(trailer[5]), m(trailer[6])),
    )
}

/// The text of every element named `name` (local name) in `xml`.
fn xml_values(xml: &str, name: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => inside = AsRef::<str>::as_ref(&e.local_name()) == name,
            Event::Text(t) if inside => {
                out.push(t.xml10_content().into_owned());
                inside = false;
            }
            Event::End(_) => inside = false,
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn sum(values: &[String]) -> Money {
    values.iter().map(|v| m(v)).sum()
}

#[tokio::test]
async fn journal_export_control_sums() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let clerk = f.clerk();
    let a = named_person(&f, &clerk, "Anna <&> \"Cudzysłów\"", 1).await;
    let b = named_person(&f, &clerk, "Bartosz", 2).await;
    assess_4000(&f, &clerk, &a).await;
    assess_explicit(&f, &clerk, &b, &[("2025-02-28", "300.00")]).await;
    f.set_today("2025-05-20");
    // Late: interest is charged and paid in the same entry.
    pay(&f, &clerk, a.id, "1500.00", "2025-05-19").await;
    pay(&f, &clerk, b.id, "400.00", "2025-05-20").await;
    // Outside the period.
    f.set_today("2025-07-01");
    pay(&f, &clerk, b.id, "10.00", "2025-07-01").await;

    let xml = export(&clerk, "2025-01-01", "2025-06-30", Format::Xml)
        .await
        .unwrap();
    let csv = export(&clerk, "2025-01-01", "2025-06-30", Format::Csv)
        .await
        .unwrap();
    assert_eq!(xml.entries, 4);
    assert_eq!(
        (xml.lines, xml.debit_total, xml.credit_total),
        (csv.lines, csv.debit_total, csv.credit_total)
    );
    assert_eq!(xml.debit_total, xml.credit_total);
    // 4,000 + 300 assessed, 1,500 + 400 paid, the interest charged (Wn 221 / Ma 720-90).
    let interest = xml.debit_total - m("6200.00");
    assert!(interest.is_positive() && interest < m("100"), "{interest}");

    // CSV: the rows add up to the trailer and to the result.
    let ((rows, debit, credit), (t_rows, t_debit, t_credit)) = csv_sums(&csv.content);
    assert_eq!((rows, debit, credit), (t_rows, t_debit, t_credit));
    assert_eq!(
        (rows, debit, credit),
        (csv.lines, csv.debit_total, csv.credit_total)
    );
    assert!(csv.content.contains(&format!(";{};", a.number)));

    // XML: well formed, in the JPK_KR namespace, controls equal to the rows.
    let content = &xml.content;
    assert!(content.contains("xmlns=\"http://jpk.mf.gov.pl/wzor/2016/03/09/03091/\""));
    assert_eq!(xml_values(content, "KodFormularza"), vec!["JPK_KR"]);
    assert_eq!(xml_values(content, "DataOd"), vec!["2025-01-01"]);
    assert_eq!(xml_values(content, "DataDo"), vec!["2025-06-30"]);
    assert_eq!(xml_values(content, "NIP"), vec!["9222697472"]);
    assert_eq!(xml_values(content, "PelnaNazwa"), vec!["Miasto Zamość"]);
    assert_eq!(xml_values(content, "DomyslnyKodWaluty"), vec!["PLN"]);
    let operations = xml_values(content, "DziennikKwotaOperacji");
    assert_eq!(operations.len(), 4);
    assert_eq!(xml_values(content, "LiczbaWierszyDziennika"), vec!["4"]);
    let suma_operacji = xml_values(content, "SumaKwotOperacji");
    assert_eq!(m(&suma_operacji[0]), sum(&operations));
    assert_eq!(sum(&operations), xml.debit_total);
    let wn = xml_values(content, "KwotaWinien");
    let ma = xml_values(content, "KwotaMa");
    assert_eq!(wn.len(), xml.lines);
    assert_eq!(ma.len(), xml.lines);
    assert_eq!(
        xml_values(content, "LiczbaWierszyKontoZapisj"),
        vec![xml.lines.to_string()]
    );
    assert_eq!(m(&xml_values(content, "SumaWinien")[0]), sum(&wn));
    assert_eq!(m(&xml_values(content, "SumaMa")[0]), sum(&ma));
    assert_eq!(sum(&wn), xml.debit_total);
    assert_eq!(sum(&ma), xml.credit_total);
    // Amounts: two decimals and a dot.
    assert!(wn.iter().chain(&ma).all(|v| {
        let (int, frac) = v.split_once('.').unwrap();
        !int.is_empty() && frac.len() == 2
    }));
    // Each line names its account on one side and `null` on the other.
    let codes_wn = xml_values(content, "KodKontaWinien");
    let codes_ma = xml_values(content, "KodKontaMa");
    assert!(
        codes_wn
            .iter()
            .zip(&codes_ma)
            .all(|(w, m)| (w == "null") != (m == "null"))
    );

    // An empty period still balances; the period must not end before it starts.
    let empty = export(&clerk, "2024-01-01", "2024-12-31", Format::Xml)
        .await
        .unwrap();
    assert_eq!((empty.entries, empty.lines), (0, 0));
    assert_eq!(xml_values(&empty.content, "SumaWinien"), vec!["0.00"]);
    let e = export(&clerk, "2025-02-01", "2025-01-01", Format::Csv)
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), (ErrorCode::Validation, Some("to")));
    let resident = f.resident(AccountId::new());
    let e = export(&resident, "2025-01-01", "2025-06-30", Format::Csv)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn correcting_an_assessment_cancels_it_and_keeps_what_was_paid() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let before = balance(&f, &clerk, p.id, "2025-02-01").await;
    assert_eq!(before.outstanding, Money::ZERO);
    let assessed = assess_explicit(
        &f,
        &clerk,
        &p,
        &[("2025-03-31", "600.00"), ("2025-06-30", "400.00")],
    )
    .await;
    f.set_today("2025-02-01");
    pay(&f, &clerk, p.id, "700.00", "2025-02-01").await;
    assert_eq!(
        balance(&f, &clerk, p.id, "2025-02-01").await.outstanding,
        m("300.00")
    );

    let entry = assessment_entry(&f, &assessed).await;
    let e = corrections::correct_entry(&f.finance, &clerk, entry.id, "  ")
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Validation, Some("reason"))
    );
    let c = corrections::correct_entry(&f.finance, &clerk, entry.id, "decyzja uchylona")
        .await
        .unwrap();
    assert_eq!(c.kind, CorrectedKind::Assessment);
    assert_eq!(c.obligation_id, Some(assessed.obligation.id));

    // Nothing owed any more; the 700 paid is the party's overpayment.
    let after = balance(&f, &clerk, p.id, "2025-02-01").await;
    assert_eq!(after.outstanding, Money::ZERO);
    assert_eq!(after.overdue, Money::ZERO);
    assert_eq!(after.overpayment, m("700.00"));
    assert_journal_balances(&f).await;
    let ob = f
        .one(obligation::Entity::find_by_id(assessed.obligation.id))
        .await;
    assert_eq!(ob.status, "cancelled");
    let reversal = f.one(ledger_entry::Entity::find_by_id(c.reversal_id)).await;
    assert_eq!(reversal.reverses, Some(entry.id));
    // The obligation's receivable (221-07) and revenue (720-07) are back to zero.
    assert_cleared(&f, ob.id, ["221-07", "720-07"]).await;

    // Once only; a reversal, a settlement or an unknown entry cannot be corrected.
    let e = corrections::correct_entry(&f.finance, &clerk, entry.id, "znowu")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    for id in [c.reversal_id, c.settlement_id.unwrap(), Uuid::now_v7()] {
        assert_not_correctable(&f, &clerk, id, "nie").await;
    }
    // The payment now went to a cancelled obligation: it cannot be undone.
    let payment_entry = f
        .all(ledger_entry::Entity::find())
        .await
        .into_iter()
        .find(|e| e.idempotency_key.starts_with("payment:"))
        .unwrap();
    assert_not_correctable(&f, &clerk, payment_entry.id, "pomyłka").await;

    let e = corrections::correct_entry(&f.finance, &f.resident(AccountId::new()), entry.id, "x")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn correcting_an_adjusted_assessment_takes_the_adjustment_off_too() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let assessed = assess_4000(&f, &clerk, &p).await;
    assess::adjust(
        &f.finance,
        &clerk,
        assessed.obligation.id,
        m("4400"),
        "korekta deklaracji",
    )
    .await
    .unwrap();
    pay(&f, &clerk, p.id, "1000.00", "2025-01-10").await;
    let entry = assessment_entry(&f, &assessed).await;
    corrections::correct_entry(&f.finance, &clerk, entry.id, "uchylona")
        .await
        .unwrap();
    let after = balance(&f, &clerk, p.id, "2025-01-10").await;
    assert_eq!(after.outstanding, Money::ZERO);
    assert_eq!(after.overpayment, m("1000.00"));
    assert_journal_balances(&f).await;
    assert_cleared(&f, assessed.obligation.id, ["221-01", "720-01"]).await;
}

#[tokio::test]
async fn correcting_a_payment_restores_the_installments() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess_4000(&f, &clerk, &p).await;
    f.set_today("2025-05-20");
    let before = balance(&f, &clerk, p.id, "2025-05-20").await;
    assert_eq!(before.outstanding, m("4000"));
    // Late for installment I: interest is paid too; 500 more than everything owed.
    let paid = pay(&f, &clerk, p.id, "4525.00", "2025-05-20").await;
    assert!(paid.payment.overpayment > 0);
    let mid = balance(&f, &clerk, p.id, "2025-05-20").await;
    assert_eq!(mid.outstanding, Money::ZERO);
    assert!(mid.overpayment.is_positive());

    let c = corrections::correct_entry(&f.finance, &clerk, paid.payment.entry_id, "zwrot czeku")
        .await
        .unwrap();
    assert_eq!(c.kind, CorrectedKind::Payment);
    assert_eq!(c.payment_id, Some(paid.payment.id));
    let after = balance(&f, &clerk, p.id, "2025-05-20").await;
    assert_eq!(after.outstanding, before.outstanding);
    assert_eq!(after.overdue, before.overdue);
    assert_eq!(after.interest, before.interest);
    assert_eq!(after.overpayment, Money::ZERO);
    assert_journal_balances(&f).await;
    let open: Vec<_> = f
        .all(installment::Entity::find().filter(installment::Column::PartyId.eq(p.id)))
        .await
        .into_iter()
        .map(|i| (i.outstanding, i.paid_on))
        .collect();
    assert_eq!(open, vec![(100_000, None); 4]);
    let e = corrections::correct_entry(&f.finance, &clerk, paid.payment.entry_id, "znowu")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn a_payment_whose_overpayment_was_used_cannot_be_corrected() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    assess_explicit(&f, &clerk, &p, &[("2025-03-31", "100.00")]).await;
    let paid = pay(&f, &clerk, p.id, "150.00", "2025-01-10").await;
    assert_eq!(paid.payment.overpayment, 5_000);
    // A new assessment takes the overpayment (art. 76 OP).
    assess_explicit(&f, &clerk, &p, &[("2025-04-30", "80.00")]).await;
    assert_eq!(
        balance(&f, &clerk, p.id, "2025-01-10").await.overpayment,
        Money::ZERO
    );
    assert_not_correctable(&f, &clerk, paid.payment.entry_id, "pomyłka").await;
    assert_journal_balances(&f).await;
}

/// Outstanding and day paid of each installment of `party`, in order.
async fn open_installments(f: &Fixture, party: Uuid) -> Vec<(i64, Option<chrono::NaiveDate>)> {
    let mut list = f
        .all(installment::Entity::find().filter(installment::Column::PartyId.eq(party)))
        .await;
    list.sort_by_key(|i| (i.due_date, i.number));
    list.into_iter()
        .map(|i| (i.outstanding, i.paid_on))
        .collect()
}

#[tokio::test]
async fn correcting_payments_in_a_batch_gives_back_what_each_took() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let q = person(&f, &clerk, 2).await;
    assess_4000(&f, &clerk, &p).await;
    assess_4000(&f, &clerk, &q).await;
    let open = vec![(100_000, None); 4];
    // Two payments share installment I of Osoba 1; Osoba 2 pays 100 too much.
    let first = pay(&f, &clerk, p.id, "600.00", "2025-01-10").await;
    let second = pay(&f, &clerk, p.id, "700.00", "2025-01-10").await;
    let third = pay(&f, &clerk, q.id, "4100.00", "2025-01-10").await;
    assert_eq!(third.payment.overpayment, 10_000);
    assert_ne!(open_installments(&f, p.id).await, open);
    let (payments, entries, lines) = counts(&f).await;

    let tx = TenantDb::begin(&clerk).await.unwrap();
    let ids = [third.payment.id, second.payment.id, first.payment.id];
    let done = corrections::correct_payments(&f.finance, &clerk, &tx, &ids, "zwrot")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        done.iter().map(|c| c.payment_id).collect::<Vec<_>>(),
        ids.map(Some).to_vec()
    );
    assert!(done.iter().all(|c| c.kind == CorrectedKind::Payment));
    // Each payment's entry is reversed by the correction that names it, line for line.
    for (c, paid) in done.iter().zip([&third, &second, &first]) {
        let reversal = f.one(ledger_entry::Entity::find_by_id(c.reversal_id)).await;
        assert_eq!(reversal.reverses, Some(paid.payment.entry_id));
        let original = entry_lines(&f, paid.payment.entry_id).await;
        let mirrored = entry_lines(&f, c.reversal_id).await;
        assert_eq!(
            mirrored
                .iter()
                .map(|l| (&l.account, l.debit, l.credit))
                .collect::<Vec<_>>(),
            original
                .iter()
                .map(|l| (&l.account, l.credit, l.debit))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(counts(&f).await.0, payments);
    assert_eq!(counts(&f).await.1, entries + 3);
    assert!(counts(&f).await.2 > lines);
    assert_eq!(open_installments(&f, p.id).await, open);
    assert_eq!(open_installments(&f, q.id).await, open);
    for party in [p.id, q.id] {
        let b = balance(&f, &clerk, party, "2025-01-10").await;
        assert_eq!((b.outstanding, b.overpayment), (m("4000"), Money::ZERO));
    }
    assert_journal_balances(&f).await;
    // Corrected once: neither one by one nor in a batch again.
    let e = corrections::correct_entry(&f.finance, &clerk, first.payment.entry_id, "znowu")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    let tx = TenantDb::begin(&clerk).await.unwrap();
    let e = corrections::correct_payments(&f.finance, &clerk, &tx, &[first.payment.id], "znowu")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn a_batch_with_one_payment_that_cannot_be_corrected_corrects_none() {
    let (f, clerk, p) = zamosc_with_person("2025-01-10").await;
    let q = person(&f, &clerk, 2).await;
    assess_explicit(&f, &clerk, &p, &[("2025-03-31", "100.00")]).await;
    assess_explicit(&f, &clerk, &q, &[("2025-03-31", "100.00")]).await;
    let fine = pay(&f, &clerk, q.id, "60.00", "2025-01-10").await;
    let used = pay(&f, &clerk, p.id, "150.00", "2025-01-10").await;
    // A new assessment takes Osoba 1's overpayment (art. 76 OP).
    assess_explicit(&f, &clerk, &p, &[("2025-04-30", "80.00")]).await;
    let before = (counts(&f).await, open_installments(&f, q.id).await);

    let tx = TenantDb::begin(&clerk).await.unwrap();
    let ids = [fine.payment.id, used.payment.id];
    let e = corrections::correct_payments(&f.finance, &clerk, &tx, &ids, "pomyłka")
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Validation, Some("entryId"))
    );
    assert!(
        e.to_string().contains(&format!("party {}", p.id)),
        "a batch's refusal names whose payments: {e}"
    );
    // Refused before anything was written, in the caller's transaction too.
    let written = (
        payment::Entity::find().count(&*tx).await.unwrap(),
        ledger_entry::Entity::find().count(&*tx).await.unwrap(),
    );
    assert_eq!(written, (before.0.0, before.0.1));
    let twice = [fine.payment.id, fine.payment.id];
    let e = corrections::correct_payments(&f.finance, &clerk, &tx, &twice, "pomyłka")
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Validation, Some("paymentIds"))
    );
    tx.commit().await.unwrap();
    assert_eq!(
        (counts(&f).await, open_installments(&f, q.id).await),
        before
    );
    assert_journal_balances(&f).await;
}
