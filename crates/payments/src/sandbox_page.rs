//! The sandbox gateway's payment page.
//!
//! The built-in test gateway ("Bramka testowa") shows this page instead of a real bank: a tester
//! approves, declines or abandons the payment. No money moves. Every interpolated value is
//! HTML-escaped.

use std::fmt::Write as _;

use wspolnota_core::Money;

use crate::receipt::{escape_html, format_pln};

/// What the sandbox page shows.
#[derive(Debug, Clone)]
pub struct SandboxPage {
    pub tenant_name: String,
    pub payment_id: uuid::Uuid,
    pub amount: Money,
    pub description: String,
    /// None while the payer has not decided; Some("approve"|"decline"|"abandon") afterwards.
    pub decision: Option<String>,
    /// The form posts here.
    pub action_url: String,
    /// Link back to the municipality's site after a decision.
    pub return_url: Option<String>,
}

/// The decisions a tester can make: form value and button label.
const DECISIONS: [(&str, &str); 3] = [
    ("approve", "Zapłać"),
    ("decline", "Odrzuć płatność"),
    ("abandon", "Anuluj"),
];

/// The message shown after a decision.
fn decision_message(decision: &str) -> String {
    match decision {
        "approve" => "Płatność została zatwierdzona (symulacja).".to_owned(),
        "decline" => "Płatność została odrzucona.".to_owned(),
        "abandon" => "Płatność została anulowana.".to_owned(),
        other => format!("Zapisano decyzję: {other}."),
    }
}

/// Whether `url` is safe as a link target: relative, or absolute with the http(s) scheme
/// (escaping alone does not stop `javascript:` URLs).
fn is_safe_link(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if cleaned.is_empty() {
        return false;
    }
    let end_of_scheme = cleaned.find([':', '/', '?', '#']);
    match end_of_scheme {
        Some(i) if cleaned[i..].starts_with(':') => {
            let scheme = cleaned[..i].to_ascii_lowercase();
            scheme == "http" || scheme == "https"
        }
        _ => true,
    }
}

const STYLE: &str = r#"
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
         color: #111; background: #f4f4f4; margin: 0; line-height: 1.5; }
  main { max-width: 36rem; margin: 2rem auto; padding: 1.5rem; background: #fff;
         border: 1px solid #ccc; border-radius: .5rem; }
  .test-banner { background: #fff3cd; border: 3px dashed #8a6d00; color: #4d3d00;
                 padding: .75rem 1rem; font-weight: 700; margin: 0 0 1.25rem; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0 0 1.5rem; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
  .amount { font-size: 1.3rem; font-weight: 700; white-space: nowrap; }
  form .buttons { display: flex; flex-wrap: wrap; gap: .75rem; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: .35rem; cursor: pointer;
           border: 2px solid #333; background: #fff; color: #111; }
  button.approve { background: #1b5e20; border-color: #1b5e20; color: #fff; }
  button.decline { background: #b71c1c; border-color: #b71c1c; color: #fff; }
  button:focus-visible, a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
  .decision { font-size: 1.15rem; font-weight: 600; }
  a { color: #0b57d0; }
"#;

/// The sandbox page as a complete HTML5 document.
pub fn render(page: &SandboxPage) -> String {
    let e = escape_html;
    let mut h = String::with_capacity(4 * 1024);

    h.push_str("<!DOCTYPE html>\n<html lang=\"pl\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"robots\" content=\"noindex, nofollow\">\n");
    let _ = writeln!(
        h,
        "<title>Bramka testowa — {}</title>",
        e(&page.tenant_name)
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");

    h.push_str(
        "<p class=\"test-banner\" role=\"note\"><strong>TEST:</strong> To jest bramka testowa \
         — żadne pieniądze nie zostaną pobrane.</p>\n",
    );
    h.push_str("<h1>Bramka testowa</h1>\n");

    h.push_str("<dl>\n");
    let _ = writeln!(h, "<dt>Odbiorca</dt><dd>{}</dd>", e(&page.tenant_name));
    let _ = writeln!(h, "<dt>Tytuł</dt><dd>{}</dd>", e(&page.description));
    let _ = writeln!(
        h,
        "<dt>Kwota</dt><dd class=\"amount\">{}</dd>",
        e(&format_pln(page.amount))
    );
    let _ = writeln!(
        h,
        "<dt>Numer płatności</dt><dd>{}</dd>",
        e(&page.payment_id.to_string())
    );
    h.push_str("</dl>\n");

    match &page.decision {
        None => {
            let _ = writeln!(
                h,
                "<form method=\"post\" action=\"{}\">",
                e(&page.action_url)
            );
            h.push_str(
                "<fieldset style=\"border:0;padding:0;margin:0\">\n\
                 <legend>Wybierz wynik płatności testowej:</legend>\n\
                 <div class=\"buttons\">\n",
            );
            for (value, label) in DECISIONS {
                let _ = writeln!(
                    h,
                    "<button type=\"submit\" name=\"decision\" value=\"{}\" class=\"{}\">{}</button>",
                    e(value),
                    e(value),
                    e(label)
                );
            }
            h.push_str("</div>\n</fieldset>\n</form>\n");
        }
        Some(decision) => {
            let _ = writeln!(
                h,
                "<p class=\"decision\" role=\"status\">{}</p>",
                e(&decision_message(decision))
            );
            if let Some(url) = page.return_url.as_deref().filter(|u| is_safe_link(u)) {
                let _ = writeln!(
                    h,
                    "<p><a href=\"{}\">Wróć do serwisu: {}</a></p>",
                    e(url),
                    e(&page.tenant_name)
                );
            }
        }
    }

    h.push_str("</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn page() -> SandboxPage {
        SandboxPage {
            tenant_name: "Miasto Zamość".into(),
            payment_id: uuid::Uuid::nil(),
            amount: Money::parse("1234.50").unwrap(),
            description: "Podatek od nieruchomości 2025, rata I".into(),
            decision: None,
            action_url: "/sandbox/pay/00000000-0000-0000-0000-000000000000".into(),
            return_url: Some("https://zamosc.example.pl/platnosci?id=1&ok=1".into()),
        }
    }

    #[test]
    fn undecided_page_has_one_form_with_three_buttons() {
        let html = render(&page());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"pl\">"));
        assert!(html.contains("To jest bramka testowa — żadne pieniądze nie zostaną pobrane"));
        assert_eq!(html.matches("<form").count(), 1);
        assert!(html.contains(
            "<form method=\"post\" action=\"/sandbox/pay/00000000-0000-0000-0000-000000000000\">"
        ));
        assert_eq!(html.matches("<button").count(), 3);
        assert_eq!(html.matches("name=\"decision\"").count(), 3);
        for (value, label) in [
            ("approve", "Zapłać"),
            ("decline", "Odrzuć płatność"),
            ("abandon", "Anuluj"),
        ] {
            let button = format!(
                "<button type=\"submit\" name=\"decision\" value=\"{value}\" class=\"{value}\">{label}</button>"
            );
            assert_eq!(html.matches(&button).count(), 1, "{button}");
        }
        assert!(html.contains("1\u{a0}234,50\u{a0}zł"));
        assert!(html.contains("Podatek od nieruchomości 2025, rata I"));
        // No return link before a decision.
        assert!(!html.contains("<a href"));
    }

    #[test]
    fn decided_page_has_no_form() {
        for (decision, message) in [
            ("approve", "Płatność została zatwierdzona (symulacja)."),
            ("decline", "Płatność została odrzucona."),
            ("abandon", "Płatność została anulowana."),
        ] {
            let mut p = page();
            p.decision = Some(decision.into());
            let html = render(&p);
            assert!(!html.contains("<form"), "{decision}");
            assert!(!html.contains("<button"), "{decision}");
            assert!(html.contains(message), "{decision}");
            assert!(html.contains("To jest bramka testowa"));
            assert!(html.contains(
                "<a href=\"https://zamosc.example.pl/platnosci?id=1&amp;ok=1\">Wróć do serwisu: Miasto Zamość</a>"
            ));
        }
        let mut p = page();
        p.decision = Some("approve".into());
        p.return_url = None;
        let html = render(&p);
        assert!(!html.contains("<a href"));
        assert!(!html.contains("<form"));
    }

    #[test]
    fn escapes_everything() {
        let mut p = page();
        p.tenant_name = "<b>Gmina</b>".into();
        p.description = r#"<script>alert("x")</script> & 'y'"#.into();
        p.action_url = r#"/pay?a=1&b="><script>"#.into();
        let html = render(&p);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        );
        assert!(
            html.contains(
                "<form method=\"post\" action=\"/pay?a=1&amp;b=&quot;&gt;&lt;script&gt;\">"
            )
        );

        p.decision = Some("<img src=x onerror=alert(1)>".into());
        p.return_url = Some(r#"https://x.pl/?q="><img>"#.into());
        let html = render(&p);
        assert!(!html.contains("<img"));
        assert!(html.contains("Zapisano decyzję: &lt;img src=x onerror=alert(1)&gt;."));
        assert!(html.contains("<a href=\"https://x.pl/?q=&quot;&gt;&lt;img&gt;\">"));
    }

    #[test]
    fn unsafe_return_links_are_dropped() {
        assert!(is_safe_link("https://a.pl/x"));
        assert!(is_safe_link("http://a.pl"));
        assert!(is_safe_link("/platnosci?x=1"));
        assert!(is_safe_link("platnosci/ok"));
        assert!(!is_safe_link("javascript:alert(1)"));
        assert!(!is_safe_link(" JavaScript:alert(1)"));
        assert!(!is_safe_link("java\tscript:alert(1)"));
        assert!(!is_safe_link("data:text/html,x"));
        assert!(!is_safe_link(""));
        let mut p = page();
        p.decision = Some("approve".into());
        p.return_url = Some("javascript:alert(1)".into());
        let html = render(&p);
        assert!(!html.contains("<a href"));
        assert!(!html.contains("javascript:"));
    }
}
