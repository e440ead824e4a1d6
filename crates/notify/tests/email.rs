//! The e-mail channel against a real SMTP server process (aiosmtpd, see support/smtp.rs) and in
//! `.eml` files mode. Messages are read back and parsed with an independent MIME parser
//! (Python's e-mail package).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use base64::Engine as _;
use smtp::{Mode, SmtpServer, TempDir, free_port, parse_eml};
use uuid::Uuid;
use wspolnota_notify::channels::email::{Email, EmailConfig, message_id_header};
use wspolnota_notify::{
    Attachment, Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome,
};

const SUBJECT: &str = "Upomnienie: zaległość za wywóz śmieci — Zażółć gęślą jaźń";
const SENDER_NAME: &str = "Urząd Miasta Zamość";
const TEXT: &str = "Szanowna Pani,\n\nuprzejmie przypominamy o zaległej opłacie za gospodarowanie \
odpadami komunalnymi: 123,45 zł. Prosimy o wpłatę w ciągu 7 dni.\n\nŁączymy wyrazy szacunku\n\
Urząd Miasta Zamość";
const HTML: &str = "<p>Szanowna Pani,</p><p>uprzejmie przypominamy o zaległej opłacie: \
<strong>123,45 zł</strong>.</p><p>Łączymy wyrazy szacunku<br>Urząd Miasta Zamość</p>";

fn pdf_bytes() -> Vec<u8> {
    // A PDF-looking file with every byte value in it, so any mangling shows.
    let mut bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(5000));
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

fn message(to: &str) -> OutgoingMessage {
    OutgoingMessage {
        id: Uuid::new_v4(),
        to: to.to_owned(),
        sender_name: SENDER_NAME.to_owned(),
        sender: "powiadomienia@zamosc.example.pl".to_owned(),
        subject: SUBJECT.to_owned(),
        text: TEXT.to_owned(),
        html: Some(HTML.to_owned()),
        attachments: vec![Attachment {
            filename: "upomnienie-2026-11.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            bytes: pdf_bytes(),
        }],
    }
}

fn smtp_channel(url: String) -> Email {
    Email::new(EmailConfig::Smtp {
        url,
        timeout: Duration::from_secs(10),
    })
    .expect("channel")
}

/// The raw header section: everything before the first empty line.
fn raw_headers(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

/// Asserts the whole shape of a sent message: headers decoded, both alternative parts with
/// the Polish text intact, the PDF byte for byte.
fn assert_message_shape(path: &std::path::Path, raw: &[u8], sent: &OutgoingMessage) {
    let headers = raw_headers(raw);
    assert!(
        headers.is_ascii(),
        "the header section must be 7-bit (encoded words): {headers}"
    );
    assert!(
        headers.contains(&format!("Message-ID: {}", message_id_header(sent.id))),
        "Message-ID <id@wspolnota> expected in {headers}"
    );
    assert!(
        headers.contains("Date: "),
        "a Date header expected in {headers}"
    );
    let subject_line = headers
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .expect("a Subject header");
    assert!(
        subject_line.to_ascii_lowercase().contains("=?utf-8?"),
        "the subject's Polish words must be encoded words: {subject_line}"
    );

    let parsed = parse_eml(path);
    assert_eq!(
        parsed["defects"],
        serde_json::json!([]),
        "MIME defects: {parsed}"
    );
    assert_eq!(parsed["subject"], SUBJECT);
    assert_eq!(parsed["from_display_name"], SENDER_NAME);
    assert_eq!(parsed["from_address"], sent.sender);
    assert_eq!(parsed["to"], sent.to);
    assert_eq!(parsed["message_id"], format!("<{}@wspolnota>", sent.id));
    assert!(parsed["date"].is_string(), "Date missing: {parsed}");
    assert_eq!(parsed["content_type"], "multipart/mixed");

    let parts = parsed["parts"].as_array().expect("parts");
    let types: Vec<&str> = parts
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "application/pdf"
        ],
        "MIME structure"
    );
    let text = parts[2]["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), TEXT);
    let html = parts[3]["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(html.trim_end(), HTML);

    let pdf = &parts[4];
    assert_eq!(pdf["filename"], "upomnienie-2026-11.pdf");
    assert_eq!(pdf["disposition"], "attachment");
    assert_eq!(pdf["transfer_encoding"], "base64");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf["data_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        bytes,
        pdf_bytes(),
        "the attachment's bytes must survive unchanged"
    );
}

#[tokio::test]
async fn polish_message_with_pdf_goes_through_a_real_smtp_server() {
    let server = SmtpServer::start();
    let email = smtp_channel(server.url());
    assert_eq!(email.kind(), ChannelKind::Email);
    let sent = message("mieszkanka@example.pl");

    let outcome = email.send(&sent).await.expect("sent");
    let SendOutcome::Delivered { provider_id } = outcome else {
        panic!("expected Delivered, got {outcome:?}");
    };
    assert!(
        provider_id
            .as_deref()
            .is_some_and(|id| id.contains("queued as")),
        "the relay's reply is the provider id: {provider_id:?}"
    );

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].mail_from, sent.sender);
    assert_eq!(received[0].rcpt_tos, std::slice::from_ref(&sent.to));
    assert_message_shape(&received[0].path, &received[0].raw, &sent);
}

#[tokio::test]
async fn plain_text_only_message_is_a_single_part() {
    let server = SmtpServer::start();
    let email = smtp_channel(server.url());
    let mut sent = message("mieszkaniec@example.pl");
    sent.html = None;
    sent.attachments.clear();
    email.send(&sent).await.expect("sent");

    let received = server.received();
    assert_eq!(received.len(), 1);
    let parsed = parse_eml(&received[0].path);
    assert_eq!(parsed["content_type"], "text/plain");
    assert_eq!(parsed["subject"], SUBJECT);
    let text = parsed["parts"][0]["text"]
        .as_str()
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(text.trim_end(), TEXT);
}

#[tokio::test]
async fn mailbox_unavailable_550_is_permanent() {
    let server = SmtpServer::start_with(Mode::Reject);
    let email = smtp_channel(server.url());
    let error = email
        .send(&message("mieszkanka@example.pl"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");
    assert!(error.to_string().contains("550"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn magic_recipients_map_553_to_permanent_and_451_to_temporary() {
    let server = SmtpServer::start();
    let email = smtp_channel(server.url());

    let error = email.send(&message("reject@example.pl")).await.unwrap_err();
    assert!(
        matches!(error, ChannelError::Permanent(_)),
        "550: {error:?}"
    );

    let error = email
        .send(&message("badmailbox@example.pl"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChannelError::Permanent(_)),
        "553: {error:?}"
    );
    assert!(error.to_string().contains("553"), "{error}");

    let error = email
        .send(&message("tempfail@example.pl"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChannelError::Temporary(_)),
        "451: {error:?}"
    );

    // The same pooled channel still delivers afterwards.
    email
        .send(&message("mieszkanka@example.pl"))
        .await
        .expect("sent after failures");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn one_session_carries_many_messages_and_a_lost_one_is_replaced() {
    let server = SmtpServer::start();
    let email = smtp_channel(server.url());
    for to in ["a@example.pl", "b@example.pl", "c@example.pl"] {
        email.send(&message(to)).await.expect("sent");
    }
    let received = server.received();
    let peers: Vec<&str> = received.iter().map(|r| r.peer.as_str()).collect();
    assert_eq!(peers.len(), 3);
    assert!(!peers[0].is_empty(), "the server records the client's port");
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one SMTP session for all three: {peers:?}"
    );

    // A failed transaction drops the session; the next message opens a new one.
    email
        .send(&message("tempfail@example.pl"))
        .await
        .unwrap_err();
    email.send(&message("d@example.pl")).await.expect("sent");
    let received = server.received();
    assert_eq!(received.len(), 4);
    assert_ne!(
        received[3].peer, received[0].peer,
        "a new session after the failure"
    );
}

#[tokio::test]
async fn temporary_local_problem_451_is_temporary() {
    let server = SmtpServer::start_with(Mode::TempFail);
    let email = smtp_channel(server.url());
    let error = email
        .send(&message("mieszkanka@example.pl"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
    assert!(error.to_string().contains("451"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn refused_connection_is_temporary() {
    let email = smtp_channel(format!("smtp://127.0.0.1:{}", free_port()));
    let error = email
        .send(&message("mieszkanka@example.pl"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
}

#[tokio::test]
async fn malformed_recipient_is_permanent_and_malformed_sender_technical() {
    let dir = TempDir::new("eml");
    let email = Email::new(EmailConfig::Files { dir: dir.0.clone() }).unwrap();

    let error = email.send(&message("to nie jest adres")).await.unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");

    let mut bad_sender = message("mieszkanka@example.pl");
    bad_sender.sender = "urząd bez adresu".to_owned();
    let error = email.send(&bad_sender).await.unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");

    let mut bad_type = message("mieszkanka@example.pl");
    bad_type.attachments[0].content_type = "nie/typ/mime".to_owned();
    let error = email.send(&bad_type).await.unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");

    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn files_mode_writes_one_eml_per_message_id() {
    let dir = TempDir::new("eml");
    let outbox = dir.path().join("outbox"); // created on first send
    let email = Email::new(EmailConfig::Files {
        dir: outbox.clone(),
    })
    .unwrap();
    let sent = message("mieszkanka@example.pl");

    let outcome = email.send(&sent).await.expect("written");
    assert_eq!(
        outcome,
        SendOutcome::Delivered {
            provider_id: Some(format!("{}.eml", sent.id))
        }
    );
    // A resend of the same message replaces its file: still one.
    email.send(&sent).await.expect("written again");

    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        files(),
        [format!("{}.eml", sent.id)],
        "exactly one file, no temporaries"
    );

    let path = outbox.join(format!("{}.eml", sent.id));
    let raw = std::fs::read(&path).unwrap();
    assert_message_shape(&path, &raw, &sent);

    let other = message("sasiad@example.pl");
    email.send(&other).await.expect("written");
    let mut expected = vec![format!("{}.eml", sent.id), format!("{}.eml", other.id)];
    expected.sort();
    assert_eq!(files(), expected);
}

#[tokio::test]
async fn smtp_password_never_shows_in_debug_or_errors() {
    const PASSWORD: &str = "Tajne-Hasl0";
    // The password percent-encoded in the URL: neither form may leak.
    let url =
        |port: u16, query: &str| format!("smtp://urzad:{PASSWORD}%21@127.0.0.1:{port}{query}");
    let leaks = |text: &str| text.contains(PASSWORD) || text.contains("Hasl0");

    let config = EmailConfig::Smtp {
        url: url(2525, ""),
        timeout: Duration::from_secs(5),
    };
    let debug = format!("{config:?}");
    assert!(!leaks(&debug), "{debug}");
    assert!(debug.contains("urzad:***@127.0.0.1:2525"), "{debug}");

    let email = Email::new(config).unwrap();
    let debug = format!("{email:?}");
    assert!(!leaks(&debug), "{debug}");

    // A refused connection.
    let email = smtp_channel(url(free_port(), ""));
    let error = email
        .send(&message("mieszkanka@example.pl"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
    assert!(
        !leaks(&error.to_string()) && !leaks(&format!("{error:?}")),
        "{error:?}"
    );

    // A server that offers no AUTH: the credentials cannot be used, our configuration is wrong.
    let server = SmtpServer::start();
    let email = smtp_channel(url(server.port, ""));
    let error = email
        .send(&message("mieszkanka@example.pl"))
        .await
        .unwrap_err();
    assert!(
        !leaks(&error.to_string()) && !leaks(&format!("{error:?}")),
        "{error:?}"
    );
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
    assert!(server.received().is_empty());

    // A URL lettre rejects.
    let error = Email::new(EmailConfig::Smtp {
        url: url(2525, "?tls=bogus"),
        timeout: Duration::from_secs(5),
    })
    .unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
    assert!(
        !leaks(&error.to_string()) && !leaks(&format!("{error:?}")),
        "{error:?}"
    );
}
