//! Notifications end to end: a statement pays the demo resident's installment, and the
//! resident's "payment posted" e-mail — with the amount and the balance after it — arrives at
//! a real SMTP server (aiosmtpd) that the platform reaches through `SMTP_URL`.

use std::time::{Duration, Instant};

use serde_json::json;
use wspolnota_e2e::{PASSWORD, TestApp, host, resident};

use crate::smtp::{SmtpServer, parse_eml};
use crate::statements::{
    ACCOUNT, Tx, clerk, due_later, mt940, owed, today_yymmdd, upload, virtual_account,
};

const SLUG: &str = "zamosc";

/// `1 234,50 zł` as `Money::to_polish` writes it.
fn polish(grosze: i64) -> String {
    let whole = (grosze.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    let sign = if grosze < 0 { "-" } else { "" };
    format!("{sign}{grouped},{:02} zł", grosze.abs() % 100)
}

#[tokio::test]
async fn a_statement_payment_sends_the_payment_posted_email_with_the_balance() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(|o| {
        o.env("SMTP_URL", smtp.url());
    })
    .await;
    let h = host(SLUG);
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let clerk_token = app.login(&h, &clerk(), PASSWORD).await.access;
    let before = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    let (kind, inst) = due_later(&before).into_iter().next().unwrap();
    let paid = wspolnota_e2e::grosze(&inst["outstanding"]);
    let file = mt940(
        11,
        &today_yymmdd(),
        &[Tx {
            credit: true,
            grosze: paid,
            iph: Some(virtual_account(&before, &kind)),
            title: "Wpłata raty".into(),
            tnr: "300000000000001.000001".into(),
        }],
    );
    let body = upload(&app, &clerk_token, "wyciag-powiadomienie.sta", &file).await;
    assert_eq!(body["data"]["statements"]["import"]["matched"], 1, "{body}");
    let after = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;

    // The worker plans and sends within a few seconds. (The demo's own earlier payments were
    // announced too: this one is the payment dated today.)
    let day = today_yymmdd();
    let today = format!("{}.{}.20{}", &day[4..6], &day[2..4], &day[0..2]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let (parsed, text) = loop {
        let found = smtp
            .received()
            .into_iter()
            .filter(|m| {
                m.rcpt_tos
                    .iter()
                    .any(|r| r.starts_with("jan.mieszkaniec@zamosc."))
            })
            .map(|m| parse_eml(&m.path))
            .map(|p| {
                let text: String = p["parts"]
                    .as_array()
                    .map(|parts| parts.iter().filter_map(|x| x["text"].as_str()).collect())
                    .unwrap_or_default();
                (p, text)
            })
            .find(|(_, text)| text.contains(&format!("z dnia {today}")));
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no e-mail arrived\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let subject = parsed["subject"].as_str().unwrap_or_default().to_owned();
    assert!(subject.contains("zaksięgowaliśmy Twoją wpłatę"), "{parsed}");
    assert!(text.contains(&format!("wpłatę {}", polish(paid))), "{text}");
    assert!(
        text.contains(&format!("do zapłaty: {}", polish(owed(&after)))),
        "expected {} owed after the payment in:\n{text}",
        polish(owed(&after))
    );
    assert_eq!(owed(&before) - owed(&after), paid);

    // Staff see it delivered; the recipient only in part.
    let messages = app
        .gql_ok(
            &h,
            r#"query { notifications { messages(status: "delivered") { kind channel recipient template templateVersion } } }"#,
            json!({}),
            Some(&clerk_token),
        )
        .await;
    let list = messages["notifications"]["messages"].as_array().unwrap();
    assert!(
        list.iter().any(|m| m["kind"] == "payment_posted"
            && m["channel"] == "email"
            && m["recipient"].as_str().unwrap().starts_with("j***@")
            && m["templateVersion"] == 1),
        "{messages}"
    );
}

#[tokio::test]
async fn smsapi_delivery_reports_are_taken_on_the_tenant_host() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    // A report for a message this tenant does not know: taken (SMSAPI expects OK).
    let (status, body) = app
        .get(
            &h,
            "/notify/smsapi/callback?MsgId=SMS-1&status=404&idx=5f0c6b2e-0000-4000-8000-000000000001&donedate=1780000000",
        )
        .await;
    assert_eq!(status, wspolnota_e2e::StatusCode::OK, "{body}");
    assert_eq!(body, "OK");
    // A malformed one is refused and names what is wrong.
    let (status, body) = app.get(&h, "/notify/smsapi/callback?status=404").await;
    assert_eq!(
        status,
        wspolnota_e2e::StatusCode::UNPROCESSABLE_ENTITY,
        "{body}"
    );
    // Not on the platform's host.
    let (status, _) = app
        .get(
            wspolnota_e2e::PLATFORM,
            "/notify/smsapi/callback?MsgId=1&status=404",
        )
        .await;
    assert_ne!(status, wspolnota_e2e::StatusCode::OK);
}
