//! The resident's receipt for a succeeded payment, as printable HTML.
//!
//! [`render_html`] produces a complete, self-contained HTML5 document ("Potwierdzenie zapłaty")
//! with inline print-friendly CSS. Every interpolated value is HTML-escaped. Times are shown in
//! Europe/Warsaw local time, computed here from the EU summer-time rules (no time-zone database).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use wspolnota_core::Money;

/// A receipt for one succeeded online payment.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The municipality, e.g. "Miasto Zamość".
    pub tenant_name: String,
    /// The municipality's address, one line per entry.
    pub tenant_address: Vec<String>,
    pub tenant_nip: Option<String>,
    pub payment_id: uuid::Uuid,
    /// The gateway's display name, e.g. "PayU", "Przelewy24", "Bramka testowa".
    pub gateway: String,
    /// The gateway's own identifier of the transaction, if known.
    pub provider_reference: Option<String>,
    /// When the payment succeeded; shown in Europe/Warsaw local time.
    pub paid_at: DateTime<Utc>,
    pub payer_name: String,
    /// The amount paid.
    pub amount: Money,
    /// What the payment was booked against.
    pub lines: Vec<ReceiptLine>,
    /// The amount still owed after this payment, if known.
    pub balance_after: Option<Money>,
    /// The amount refunded, if the payment was refunded; shown prominently.
    pub refunded: Option<Money>,
}

/// One receivable the payment was booked against.
#[derive(Debug, Clone)]
pub struct ReceiptLine {
    pub description: String,
    /// Należność główna.
    pub principal: Money,
    /// Odsetki.
    pub interest: Money,
    /// Koszty (e.g. upomnienia).
    pub costs: Money,
}

impl ReceiptLine {
    /// Principal + interest + costs.
    fn total(&self) -> Money {
        self.principal + self.interest + self.costs
    }
}

/// Escapes text for HTML element content and (double- or single-quoted) attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Non-breaking space, used between groups of thousands and before "zł" so amounts never wrap.
const NBSP: char = '\u{a0}';

/// An amount the Polish way: `1 234,50 zł`, `-0,01 zł`, with non-breaking spaces between the
/// groups of thousands and before the currency.
pub(crate) fn format_pln(amount: Money) -> String {
    // Display is always `[-]digits.dd`.
    let plain = amount.to_string();
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    let (whole, grosze) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3 + 8);
    if negative {
        out.push('-');
    }
    let len = whole.len();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(NBSP);
        }
        out.push(c);
    }
    out.push(',');
    out.push_str(grosze);
    out.push(NBSP);
    out.push_str("zł");
    out
}

pub(crate) use wspolnota_core::clock::{warsaw_local, warsaw_offset_hours};

/// `at` shown for a resident: `30.03.2025, 03:00:00 (czas polski, UTC+2)`.
pub(crate) fn format_warsaw(at: DateTime<Utc>) -> String {
    let local = warsaw_local(at);
    format!(
        "{} (czas polski, UTC+{})",
        local.format("%d.%m.%Y, %H:%M:%S"),
        warsaw_offset_hours(at)
    )
}

const STYLE: &str = r#"
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
         color: #111; background: #fff; margin: 0; line-height: 1.4; }
  main { max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
  header.issuer { border-bottom: 2px solid #111; padding-bottom: .75rem; margin-bottom: 1rem; }
  header.issuer .name { font-size: 1.25rem; font-weight: 700; }
  header.issuer p { margin: .1rem 0; }
  h1 { font-size: 1.5rem; margin: 1rem 0; }
  dl.details { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0 0 1.25rem; }
  dl.details dt { font-weight: 600; }
  dl.details dd { margin: 0; overflow-wrap: anywhere; }
  table.lines caption { text-align: left; font-weight: 600; margin-bottom: .35rem; }
  table.lines { width: 100%; border-collapse: collapse; margin: 0 0 1rem; }
  table.lines th, table.lines td { border: 1px solid #999; padding: .35rem .5rem; vertical-align: top; }
  table.lines thead th { background: #eee; text-align: left; }
  table.lines .num { text-align: right; white-space: nowrap; }
  table.lines tfoot th, table.lines tfoot td { font-weight: 700; background: #f5f5f5; }
  .refund-banner { border: 3px solid #a00; color: #a00; background: #fff0f0; padding: .75rem 1rem;
                   font-size: 1.15rem; font-weight: 700; margin: 0 0 1rem; }
  .balance { font-weight: 600; }
  .footnote { color: #444; font-size: .85rem; margin-top: 1.5rem; }
  .actions { margin: 1.5rem 0; }
  .actions button { font: inherit; padding: .5rem 1.25rem; cursor: pointer; }
  @page { size: A4; margin: 15mm; }
  @media print {
    .no-print { display: none !important; }
    main { margin: 0; max-width: none; padding: 0; }
    body { font-size: 11pt; }
    table.lines thead th, table.lines tfoot th, table.lines tfoot td { background: none; }
    .refund-banner { background: none; }
    table.lines tr { break-inside: avoid; }
  }
"#;

/// The receipt as a complete HTML5 document.
pub fn render_html(receipt: &Receipt) -> String {
    let e = escape_html;
    let money = |m: Money| e(&format_pln(m));
    let mut h = String::with_capacity(8 * 1024);

    h.push_str("<!DOCTYPE html>\n<html lang=\"pl\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        h,
        "<title>Potwierdzenie zapłaty — {}</title>",
        e(&receipt.tenant_name)
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");

    // Issuer.
    h.push_str("<header class=\"issuer\">\n");
    let _ = writeln!(h, "<p class=\"name\">{}</p>", e(&receipt.tenant_name));
    for line in &receipt.tenant_address {
        let _ = writeln!(h, "<p>{}</p>", e(line));
    }
    if let Some(nip) = &receipt.tenant_nip {
        let _ = writeln!(h, "<p>NIP: {}</p>", e(nip));
    }
    h.push_str("</header>\n");

    h.push_str("<h1>Potwierdzenie zapłaty</h1>\n");

    if let Some(refunded) = receipt.refunded {
        let _ = writeln!(
            h,
            "<div class=\"refund-banner\" role=\"alert\">Płatność została zwrócona. \
             Kwota zwrotu: {}</div>",
            money(refunded)
        );
    }

    // Payment details.
    h.push_str("<dl class=\"details\">\n");
    let mut item = |label: &str, value: &str| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", e(label), value);
    };
    item("Kwota zapłaty", &money(receipt.amount));
    item(
        "Data i godzina zapłaty",
        &e(&format_warsaw(receipt.paid_at)),
    );
    item("Wpłacający", &e(&receipt.payer_name));
    item("Odbiorca", &e(&receipt.tenant_name));
    item("Bramka płatnicza", &e(&receipt.gateway));
    if let Some(reference) = &receipt.provider_reference {
        item("Identyfikator transakcji u operatora", &e(reference));
    }
    item("Numer płatności", &e(&receipt.payment_id.to_string()));
    h.push_str("</dl>\n");

    // Lines.
    h.push_str(
        "<table class=\"lines\">\n<caption>Tytuły zapłaty</caption>\n\
         <thead><tr><th scope=\"col\">Tytuł</th>\
         <th scope=\"col\" class=\"num\">Należność główna</th>\
         <th scope=\"col\" class=\"num\">Odsetki</th>\
         <th scope=\"col\" class=\"num\">Koszty</th>\
         <th scope=\"col\" class=\"num\">Razem</th></tr></thead>\n<tbody>\n",
    );
    if receipt.lines.is_empty() {
        h.push_str("<tr><td colspan=\"5\">Brak szczegółowych pozycji.</td></tr>\n");
    }
    for line in &receipt.lines {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            e(&line.description),
            money(line.principal),
            money(line.interest),
            money(line.costs),
            money(line.total()),
        );
    }
    let principal: Money = receipt.lines.iter().map(|l| l.principal).sum();
    let interest: Money = receipt.lines.iter().map(|l| l.interest).sum();
    let costs: Money = receipt.lines.iter().map(|l| l.costs).sum();
    let total: Money = receipt.lines.iter().map(ReceiptLine::total).sum();
    let _ = writeln!(
        h,
        "</tbody>\n<tfoot><tr class=\"total\"><th scope=\"row\">Razem</th>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td></tr></tfoot>\n</table>",
        money(principal),
        money(interest),
        money(costs),
        money(total),
    );

    if let Some(balance) = receipt.balance_after {
        if balance.is_positive() {
            let _ = writeln!(
                h,
                "<p class=\"balance\">Pozostało do zapłaty: {}</p>",
                money(balance)
            );
        } else if balance.is_zero() {
            h.push_str(
                "<p class=\"balance\">Należność została uregulowana w całości \
                 (pozostało do zapłaty: 0,00\u{a0}zł).</p>\n",
            );
        } else {
            let _ = writeln!(
                h,
                "<p class=\"balance\">Nadpłata: {}</p>",
                money(balance.abs())
            );
        }
    }

    h.push_str(
        "<p class=\"footnote\">Dokument wygenerowany elektronicznie, nie wymaga podpisu ani \
         pieczęci. Godziny podano według czasu polskiego.</p>\n",
    );
    h.push_str(
        "<div class=\"actions no-print\"><button type=\"button\" \
         onclick=\"window.print()\">Drukuj</button></div>\n",
    );
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;
    use chrono::{NaiveDate, NaiveDateTime};
    use wspolnota_core::clock::last_sunday_of;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn sample() -> Receipt {
        Receipt {
            tenant_name: "Miasto Zamość".into(),
            tenant_address: vec!["ul. Rynek Wielki 13".into(), "22-400 Zamość".into()],
            tenant_nip: Some("922-000-00-00".into()),
            payment_id: uuid::Uuid::nil(),
            gateway: "PayU".into(),
            provider_reference: Some("ORD-123".into()),
            paid_at: utc(2025, 1, 15, 12, 30, 0),
            payer_name: "Jan Kowalski".into(),
            amount: m("1534.50"),
            lines: vec![
                ReceiptLine {
                    description: "Podatek od nieruchomości 2025, rata I".into(),
                    principal: m("1200"),
                    interest: m("34.50"),
                    costs: m("16.60"),
                },
                ReceiptLine {
                    description: "Opłata za gospodarowanie odpadami — styczeń".into(),
                    principal: m("283.40"),
                    interest: m("0"),
                    costs: m("0"),
                },
            ],
            balance_after: Some(m("0")),
            refunded: None,
        }
    }

    #[test]
    fn polish_money_formatting() {
        let nb = '\u{a0}';
        let cases = [
            ("0.01", format!("0,01{nb}zł")),
            ("0", format!("0,00{nb}zł")),
            ("999.99", format!("999,99{nb}zł")),
            ("1234.50", format!("1{nb}234,50{nb}zł")),
            ("123456", format!("123{nb}456,00{nb}zł")),
            ("1234567", format!("1{nb}234{nb}567,00{nb}zł")),
            ("-1234.50", format!("-1{nb}234,50{nb}zł")),
            ("-0.01", format!("-0,01{nb}zł")),
        ];
        for (input, expected) in cases {
            assert_eq!(format_pln(m(input)), expected, "{input}");
        }
        // No ordinary spaces: amounts must not wrap.
        assert!(!format_pln(m("1234567.89")).contains(' '));
    }

    #[test]
    fn escapes_everything() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        let mut r = sample();
        r.payer_name = r#"<script>alert("x")</script> O'Brien & syn"#.into();
        r.tenant_name = "Gmina <b>".into();
        r.gateway = "\"><img src=x onerror=alert(1)>".into();
        r.tenant_address = vec!["<i>ul.</i>".into()];
        r.lines[0].description = "<iframe>".into();
        let html = render_html(&r);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<iframe"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<i>"));
        assert!(
            html.contains(
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; syn"
            )
        );
        assert!(html.contains("Gmina &lt;b&gt;"));
    }

    #[test]
    fn document_structure() {
        let html = render_html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"pl\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("@media print"));
        assert!(html.contains("onclick=\"window.print()\">Drukuj</button>"));
        assert!(html.contains("class=\"actions no-print\""));
        assert!(html.contains("Potwierdzenie zapłaty"));
        assert!(html.contains("NIP: 922-000-00-00"));
        assert!(html.contains("ORD-123"));
        assert!(html.contains("00000000-0000-0000-0000-000000000000"));
        assert!(html.contains("15.01.2025, 13:30:00 (czas polski, UTC+1)"));
        assert!(html.contains("Należność została uregulowana w całości"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn warsaw_time_winter_and_summer() {
        assert_eq!(
            warsaw_local(utc(2025, 1, 15, 12, 0, 0)),
            local("2025-01-15 13:00:00")
        );
        assert_eq!(
            warsaw_local(utc(2025, 7, 1, 12, 0, 0)),
            local("2025-07-01 14:00:00")
        );
        // Crossing midnight and the year.
        assert_eq!(
            warsaw_local(utc(2024, 12, 31, 23, 30, 0)),
            local("2025-01-01 00:30:00")
        );
        assert_eq!(
            format_warsaw(utc(2025, 7, 1, 12, 0, 0)),
            "01.07.2025, 14:00:00 (czas polski, UTC+2)"
        );
    }

    #[test]
    fn warsaw_time_on_switch_days() {
        // 2025: summer time from Sunday 30 March 01:00 UTC to Sunday 26 October 01:00 UTC.
        assert_eq!(
            last_sunday_of(2025, 3),
            NaiveDate::from_ymd_opt(2025, 3, 30)
        );
        assert_eq!(
            last_sunday_of(2025, 10),
            NaiveDate::from_ymd_opt(2025, 10, 26)
        );
        // A month whose 31st is a Sunday.
        assert_eq!(
            last_sunday_of(2024, 3),
            NaiveDate::from_ymd_opt(2024, 3, 31)
        );

        // Spring forward: 02:00 CET jumps to 03:00 CEST.
        assert_eq!(
            warsaw_local(utc(2025, 3, 30, 0, 59, 59)),
            local("2025-03-30 01:59:59")
        );
        assert_eq!(
            warsaw_local(utc(2025, 3, 30, 1, 0, 0)),
            local("2025-03-30 03:00:00")
        );
        // Earlier that day / the day before is still winter time.
        assert_eq!(warsaw_offset_hours(utc(2025, 3, 29, 12, 0, 0)), 1);

        // Fall back: 03:00 CEST goes back to 02:00 CET.
        assert_eq!(
            warsaw_local(utc(2025, 10, 26, 0, 59, 59)),
            local("2025-10-26 02:59:59")
        );
        assert_eq!(
            warsaw_local(utc(2025, 10, 26, 1, 0, 0)),
            local("2025-10-26 02:00:00")
        );
        assert_eq!(warsaw_offset_hours(utc(2025, 10, 26, 0, 59, 59)), 2);
        assert_eq!(warsaw_offset_hours(utc(2025, 10, 26, 1, 0, 0)), 1);

        // 2024: 31 March and 27 October.
        assert_eq!(
            warsaw_local(utc(2024, 3, 31, 1, 0, 0)),
            local("2024-03-31 03:00:00")
        );
        assert_eq!(
            warsaw_local(utc(2024, 10, 27, 1, 0, 0)),
            local("2024-10-27 02:00:00")
        );
    }

    #[test]
    fn totals_row_is_the_sum_of_lines() {
        let r = sample();
        let html = render_html(&r);
        let expected_total: Money = r
            .lines
            .iter()
            .map(|l| l.principal + l.interest + l.costs)
            .sum();
        assert_eq!(expected_total, m("1534.50"));
        let tfoot_start = html.find("<tfoot>").unwrap();
        let tfoot = &html[tfoot_start..html.find("</tfoot>").unwrap()];
        let cells: Vec<&str> = tfoot
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split("</td>").next().unwrap())
            .collect();
        assert_eq!(
            cells,
            vec![
                format_pln(m("1483.40")),
                format_pln(m("34.50")),
                format_pln(m("16.60")),
                format_pln(expected_total),
            ]
        );
        // Each line's own total.
        assert!(html.contains(&format!(
            "<td class=\"num\">{}</td></tr>",
            format_pln(m("1251.10"))
        )));
    }

    #[test]
    fn empty_lines_still_have_a_zero_total() {
        let mut r = sample();
        r.lines.clear();
        let html = render_html(&r);
        assert!(html.contains("Brak szczegółowych pozycji."));
        assert!(html.contains("<th scope=\"row\">Razem</th>"));
    }

    #[test]
    fn refunded_banner_only_when_refunded() {
        let r = sample();
        let html = render_html(&r);
        assert!(!html.contains("refund-banner\""));
        assert!(!html.contains("Płatność została zwrócona"));

        let mut r = sample();
        r.refunded = Some(m("1534.50"));
        let html = render_html(&r);
        assert!(html.contains("<div class=\"refund-banner\" role=\"alert\">"));
        assert!(html.contains(&format!(
            "Płatność została zwrócona. Kwota zwrotu: {}",
            format_pln(m("1534.50"))
        )));
    }

    #[test]
    fn balance_after() {
        let mut r = sample();
        r.balance_after = Some(m("100"));
        assert!(
            render_html(&r).contains(&format!("Pozostało do zapłaty: {}", format_pln(m("100"))))
        );
        r.balance_after = Some(m("-5"));
        assert!(render_html(&r).contains(&format!("Nadpłata: {}", format_pln(m("5")))));
        r.balance_after = None;
        let html = render_html(&r);
        assert!(!html.contains("Pozostało do zapłaty"));
        assert!(!html.contains("Nadpłata"));
    }
}
