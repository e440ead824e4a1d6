//! The printable upomnienie: content extracted back from the PDF, totals,
//! batch page counts and robustness on empty and oversized input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use wspolnota_core::Money;
use wspolnota_notify::dunning_pdf::{
    DunningItem, DunningNotice, DunningPdfError, Party, render_batch_pdf, render_pdf, total,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn zl(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn notice() -> DunningNotice {
    DunningNotice {
        number: "UP/2026/000123".into(),
        issue_date: date(2026, 6, 10),
        place: "Zamość".into(),
        creditor: Party {
            name: "Prezydent Miasta Zamość".into(),
            address: vec!["ul. Rynek Wielki 13".into(), "22-400 Zamość".into()],
            identifier: Some("NIP 922-100-00-00".into()),
        },
        debtor: Party {
            name: "Zażółć Gęśląjaźń-Łękińska".into(),
            address: vec!["ul. Źródlana 5 m. 7".into(), "22-400 Zamość".into()],
            identifier: Some("PESEL 850101*****".into()),
        },
        items: vec![
            DunningItem {
                title: "Podatek od nieruchomości 2026, rata 2".into(),
                period: "2026".into(),
                due_date: date(2026, 5, 15),
                principal: zl("1000.00"),
                interest: zl("38.00"),
            },
            DunningItem {
                title: "Opłata za gospodarowanie odpadami komunalnymi".into(),
                period: "04.2026".into(),
                due_date: date(2026, 4, 15),
                principal: zl("250.50"),
                interest: zl("0.00"),
            },
        ],
        cost: zl("16.00"),
        deadline_days: 7,
        interest_rate_note: "14,5% w stosunku rocznym (stawka odsetek za zwłokę)".into(),
        bank_account: "12 1020 5356 0000 1234 5678 9012".into(),
        transfer_title: "UP/2026/000123 podatek od nieruchomości".into(),
        qr_payload: Some(
            "|PL|12102053560000123456789012|130450|Urząd Miasta Zamość|UP/2026/000123|||".into(),
        ),
        signatory: "Skarbnik Miasta".into(),
    }
}

/// Text per page, with runs of whitespace collapsed to one space.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"));
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("extractable")
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn text(pdf: &[u8]) -> String {
    pages_text(pdf).join(" ")
}

#[test]
fn total_is_principal_plus_interest_plus_cost() {
    let n = notice();
    assert_eq!(total(&n), zl("1304.50"));
    assert_eq!(total(&n).to_polish(), "1 304,50 zł");

    let mut none = notice();
    none.items.clear();
    assert_eq!(total(&none), zl("16.00"));

    let mut other = notice();
    other.cost = zl("11.60");
    other.items[1].interest = zl("9.99");
    // 1000 + 38 + 250.50 + 9.99 + 11.60
    assert_eq!(total(&other), zl("1310.09"));
}

#[test]
fn the_pdf_carries_the_required_content_as_text() {
    let n = notice();
    let pdf = render_pdf(&n).unwrap();
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 1, "a short notice is one page");
    let t = &pages[0];
    for expected in [
        "UPOMNIENIE",
        "UP/2026/000123",
        "Zamość, dnia 10.06.2026 r.",
        "Prezydent Miasta Zamość",
        "NIP 922-100-00-00",
        "Zażółć Gęśląjaźń-Łękińska",
        "ul. Źródlana 5 m. 7",
        "PESEL 850101*****",
        // the items
        "Podatek od nieruchomości 2026, rata 2",
        "15.05.2026",
        "1 000,00 zł",
        "38,00 zł",
        "04.2026",
        "15.04.2026",
        "250,50 zł",
        "0,00 zł",
        // totals
        "1 250,50 zł",
        "Koszty upomnienia",
        "16,00 zł",
        "Razem do zapłaty",
        "1 304,50 zł",
        "14,5% w stosunku rocznym (stawka odsetek za zwłokę)",
        // demand and warning
        "7 dni od dnia doręczenia",
        "POUCZENIE",
        "zostanie wszczęte postępowanie egzekucyjne w administracji",
        "kosztami egzekucyjnymi",
        "art. 15 § 1",
        // payment
        "12 1020 5356 0000 1234 5678 9012",
        "UP/2026/000123 podatek od nieruchomości",
        "Skarbnik Miasta",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
    // Polish letters, both cases, survive extraction.
    for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ".chars() {
        let mut m = notice();
        m.debtor.name = format!("Test {c}{c}");
        let t = text(&render_pdf(&m).unwrap());
        assert!(t.contains(&format!("Test {c}{c}")), "{c} lost");
    }
}

#[test]
fn the_qr_code_is_drawn_only_when_given() {
    let with = render_pdf(&notice()).unwrap();
    let mut n = notice();
    n.qr_payload = None;
    let without = render_pdf(&n).unwrap();
    assert!(
        with.len() > without.len(),
        "{} vs {}",
        with.len(),
        without.len()
    );
    assert!(!text(&without).contains("Kod QR"));
    assert!(text(&with).contains("Kod QR"));
}

#[test]
fn the_cost_and_deadline_come_from_the_notice() {
    let mut n = notice();
    n.cost = zl("11.60");
    n.deadline_days = 14;
    let t = text(&render_pdf(&n).unwrap());
    assert!(t.contains("11,60 zł"));
    assert!(t.contains("14 dni od dnia doręczenia"));
    assert!(t.contains("1 300,10 zł"), "{t}");
    assert!(!t.contains("16,00 zł"));
}

#[test]
fn a_batch_has_one_page_per_short_notice() {
    let notices: Vec<_> = (1..=5)
        .map(|i| {
            let mut n = notice();
            n.number = format!("UP/2026/{i:06}");
            n
        })
        .collect();
    let pdf = render_batch_pdf(&notices).unwrap();
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 5);
    for (i, p) in pages.iter().enumerate() {
        assert!(
            p.contains(&format!("UP/2026/{:06}", i + 1)),
            "page {i}: {p}"
        );
        assert!(p.contains("1 304,50 zł"));
    }
    assert!(matches!(
        render_batch_pdf(&[]),
        Err(DunningPdfError::EmptyBatch)
    ));
}

#[test]
fn many_items_continue_on_the_next_page() {
    let mut n = notice();
    let item = n.items[0].clone();
    n.items = (0..60).map(|_| item.clone()).collect();
    let pages = pages_text(&render_pdf(&n).unwrap());
    assert!(pages.len() >= 2, "{} pages", pages.len());
    let all = pages.join(" ");
    assert!(all.contains("60."));
    // 60 × 1 038,00 + 16,00
    assert!(all.contains("62 296,00 zł"), "{all}");
    assert!(pages.last().unwrap().contains("Skarbnik Miasta"));
    assert!(
        pages[1].contains("Tytuł (rodzaj) należności"),
        "header repeated"
    );

    // A batch keeps the notices apart.
    let pdf = render_batch_pdf(&[n.clone(), notice()]).unwrap();
    assert_eq!(pages_text(&pdf).len(), pages.len() + 1);
}

#[test]
fn empty_and_oversized_inputs_do_not_panic() {
    let empty = DunningNotice {
        number: String::new(),
        issue_date: date(2026, 1, 1),
        place: String::new(),
        creditor: Party {
            name: String::new(),
            address: vec![],
            identifier: None,
        },
        debtor: Party {
            name: String::new(),
            address: vec![],
            identifier: None,
        },
        items: vec![],
        cost: Money::ZERO,
        deadline_days: 0,
        interest_rate_note: String::new(),
        bank_account: String::new(),
        transfer_title: String::new(),
        qr_payload: None,
        signatory: String::new(),
    };
    let pdf = render_pdf(&empty).unwrap();
    assert_eq!(pages_text(&pdf).len(), 1);

    let long = "Bardzo długi tytuł należności zażółć gęślą jaźń ".repeat(200);
    let word = "Ż".repeat(3000);
    let mut n = notice();
    n.items[0].title = long.clone();
    n.items[1].title = word.clone();
    n.items[1].period = word.clone();
    n.debtor.name = long.clone();
    n.debtor.address = vec![word.clone(); 20];
    n.creditor.name = word.clone();
    n.number = word.clone();
    n.transfer_title = long.clone();
    n.bank_account = word.clone();
    n.signatory = long.clone();
    n.interest_rate_note = long.clone();
    n.place = "Zamość\n\t\u{0}🙂 漢字".into();
    let pdf = render_pdf(&n).unwrap();
    let pages = pages_text(&pdf);
    assert!(!pages.is_empty());
    let t = pages.join(" ");
    assert!(t.contains("1 304,50 zł"));
    assert!(t.contains('…'), "long texts are cut with an ellipsis");

    // A QR payload too long for any QR version is an error, not a panic.
    let mut q = notice();
    q.qr_payload = Some("x".repeat(10_000));
    assert!(matches!(render_pdf(&q), Err(DunningPdfError::QrCode(_))));
}
