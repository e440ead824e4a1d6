//! Reading what the platform e-mailed, from the real SMTP server the test started.

use std::time::{Duration, Instant};

use wspolnota_e2e::TestApp;

use crate::smtp::{SmtpServer, parse_eml};

/// Waits for the first e-mail to `to` whose subject contains `subject`, and returns its text.
pub async fn mail_to(app: &TestApp, smtp: &SmtpServer, to: &str, subject: &str) -> String {
    // The notifications worker sends every 2 s; the deadline only stops a broken run.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = smtp
            .received()
            .into_iter()
            .filter(|m| m.rcpt_tos.iter().any(|r| r == to))
            .map(|m| parse_eml(&m.path))
            .find(|p| p["subject"].as_str().is_some_and(|s| s.contains(subject)));
        if let Some(parsed) = found {
            return parsed["parts"]
                .as_array()
                .map(|parts| parts.iter().filter_map(|x| x["text"].as_str()).collect())
                .unwrap_or_default();
        }
        assert!(
            Instant::now() < deadline,
            "no e-mail \"{subject}\" to {to} arrived\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
