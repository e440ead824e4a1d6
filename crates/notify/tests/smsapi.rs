//! The SMSAPI.pl channel against a wiremock server speaking SMSAPI's legacy API (`sms.do`,
//! `vms.do`, `format=json`), the part counter, and the delivery-report callback parser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;
use url::Url;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use wspolnota_notify::channels::smsapi::{
    CallbackError, DeliveryReport, Encoding, ReportStatus, SmsApi, SmsApiConfig, classify_error,
    normalize_polish, parse_callback, parts,
};
use wspolnota_notify::{Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};

const TOKEN: &str = "sekret-token-0123456789abcdef";

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn config(server: &MockServer) -> SmsApiConfig {
    let mut config = SmsApiConfig::new(TOKEN, "ZAMOSC");
    config.base_url = Url::parse(&format!("{}/", server.uri())).unwrap();
    config.timeout = Duration::from_millis(500);
    config
}

fn message(text: &str) -> OutgoingMessage {
    OutgoingMessage {
        id: Uuid::new_v4(),
        to: "+48600100200".to_owned(),
        sender_name: "Urząd Miasta Zamość".to_owned(),
        sender: String::new(),
        subject: String::new(),
        text: text.to_owned(),
        html: None,
        attachments: Vec::new(),
    }
}

fn accepted(id: &str, number: &str) -> serde_json::Value {
    json!({
        "count": 1,
        "list": [{
            "id": id,
            "points": 0.16,
            "number": number,
            "date_sent": 1_760_000_000,
            "submitted_number": number,
            "status": "QUEUE",
            "error": null,
            "idx": null
        }]
    })
}

fn form_of(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

async fn only_request(server: &MockServer) -> Request {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one call to SMSAPI");
    requests.into_iter().next().unwrap()
}

async fn answering(status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn assert_token_absent(error: &ChannelError) {
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

#[tokio::test]
async fn sms_request_has_smsapis_shape() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(accepted("6A1B2C", "48600100200")))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.test_mode = true;
    config.normalize = true;
    config.notify_url = Some(Url::parse("https://zamosc.example/smsapi/dlr").unwrap());
    let sms = SmsApi::sms(config).unwrap();
    assert_eq!(sms.kind(), ChannelKind::Sms);
    let msg = message("Przypominamy o opłacie za wywóz śmieci: 45,00 zł do 15 marca.");

    let outcome = sms.send(&msg).await.unwrap();

    assert_eq!(
        outcome,
        SendOutcome::Sending {
            provider_id: "6A1B2C".to_owned()
        }
    );
    let request = only_request(&server).await;
    let form = form_of(&request);
    assert_eq!(form["to"], "48600100200");
    assert_eq!(
        form["message"], msg.text,
        "the text goes as UTF-8, untouched"
    );
    assert_eq!(form["from"], "ZAMOSC");
    assert_eq!(form["format"], "json");
    assert_eq!(form["encoding"], "utf-8");
    assert_eq!(form["idx"], msg.id.to_string());
    assert_eq!(form["check_idx"], "1");
    assert_eq!(form["test"], "1");
    assert_eq!(form["normalize"], "1");
    assert_eq!(form["notify_url"], "https://zamosc.example/smsapi/dlr");
    assert!(!form.contains_key("tts"));
    let body = String::from_utf8_lossy(&request.body);
    assert!(
        !body.contains(TOKEN),
        "the token only travels in the header"
    );
    assert!(!request.url.as_str().contains(TOKEN));
}

#[tokio::test]
async fn live_mode_without_normalisation_sends_neither_test_nor_normalize() {
    install_crypto();
    let server = answering(200, accepted("1", "48600100200")).await;
    let sms = SmsApi::sms(config(&server)).unwrap();
    let mut msg = message("Zażółć gęślą jaźń");
    msg.to = "+48 600-100-200".to_owned();
    msg.sender = "GMINA".to_owned();

    sms.send(&msg).await.unwrap();

    let form = form_of(&only_request(&server).await);
    assert_eq!(form["to"], "48600100200");
    assert_eq!(
        form["from"], "GMINA",
        "the message's sender wins over the default"
    );
    assert!(!form.contains_key("test"));
    assert!(!form.contains_key("normalize"));
    assert!(!form.contains_key("notify_url"));
}

#[tokio::test]
async fn numeric_message_id_is_accepted() {
    install_crypto();
    let server = answering(
        200,
        json!({"count": 1, "list": [{"id": 17_000_000_001_u64, "points": 0.16, "number": "48600100200"}]}),
    )
    .await;
    let outcome = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        SendOutcome::Sending {
            provider_id: "17000000001".to_owned()
        }
    );
}

#[tokio::test]
async fn invalid_number_is_permanent() {
    install_crypto();
    // SMSAPI's own fixture (smsapi-go testdata/responses/sms/invalid_recipient.json).
    let server = answering(
        400,
        json!({
            "error": 13,
            "message": "No correct phone numbers",
            "invalid_numbers": [{"number": "48100200300", "submitted_number": "100200300", "message": "Invalid phone number"}]
        }),
    )
    .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");
    assert!(error.to_string().contains("13"), "{error}");
    assert!(
        !error.to_string().contains("48100200300"),
        "no phone numbers in errors"
    );
    assert_token_absent(&error);
}

#[tokio::test]
async fn error_code_in_a_200_answer_counts_too() {
    install_crypto();
    let server = answering(200, json!({"error": 13, "message": "Invalid phone number"})).await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");
}

#[tokio::test]
async fn error_in_the_list_entry_is_mapped() {
    install_crypto();
    let server = answering(
        200,
        json!({"count": 1, "list": [{"id": "X1", "number": "48600100200", "error": 13}]}),
    )
    .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");
}

#[tokio::test]
async fn authorisation_failure_is_technical_and_keeps_the_token_secret() {
    install_crypto();
    let server = answering(
        401,
        json!({"error": 101, "message": "Authorization failed"}),
    )
    .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
    assert!(error.to_string().contains("101"), "{error}");
    assert_token_absent(&error);
}

#[tokio::test]
async fn http_401_without_a_code_is_technical() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .mount(&server)
        .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
}

#[tokio::test]
async fn server_error_500_is_temporary() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
        )
        .mount(&server)
        .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
}

#[tokio::test]
async fn internal_error_code_is_temporary() {
    install_crypto();
    for code in [8, 200, 201, 202, 666, 999] {
        let server = answering(200, json!({"error": code, "message": "Internal error"})).await;
        let error = SmsApi::sms(config(&server))
            .unwrap()
            .send(&message("Test"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ChannelError::Temporary(_)),
            "{code}: {error:?}"
        );
    }
}

#[tokio::test]
async fn timeout_is_temporary() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(accepted("late", "48600100200"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
    assert_token_absent(&error);
}

#[tokio::test]
async fn connection_refused_is_temporary() {
    install_crypto();
    let server = MockServer::start().await;
    let mut config = config(&server);
    // A port nobody listens on (wiremock's pooled servers keep listening after a drop).
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    config.base_url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let error = SmsApi::sms(config)
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
    assert_token_absent(&error);
}

#[tokio::test]
async fn retry_after_a_timeout_is_refused_as_duplicate_and_counts_as_sent() {
    install_crypto();
    let server = MockServer::start().await;
    // First attempt: SMSAPI takes the message but the answer comes too late.
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(accepted("ORIG1", "48600100200"))
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // The retry: the same idx with check_idx=1 is refused (error 53).
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": 53,
            "message": "Not unique idx parameter"
        })))
        .mount(&server)
        .await;
    let sms = SmsApi::sms(config(&server)).unwrap();
    let msg = message("Przypomnienie");

    let first = sms.send(&msg).await.unwrap_err();
    assert!(matches!(first, ChannelError::Temporary(_)), "{first:?}");
    let retry = sms.send(&msg).await.unwrap();

    assert_eq!(
        retry,
        SendOutcome::Sending {
            provider_id: msg.id.to_string()
        },
        "no id in SMSAPI's answer: the idx (our id) stands in"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let form = form_of(request);
        assert_eq!(form["idx"], msg.id.to_string());
        assert_eq!(form["check_idx"], "1");
    }
}

#[tokio::test]
async fn duplicate_idx_with_the_original_id_uses_it() {
    install_crypto();
    let server = answering(
        200,
        json!({"count": 1, "list": [{"id": "ORIG1", "number": "48600100200", "error": 53}]}),
    )
    .await;
    let outcome = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        SendOutcome::Sending {
            provider_id: "ORIG1".to_owned()
        }
    );
}

#[tokio::test]
async fn legacy_text_answers_are_understood() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("OK:1234567:0.165"))
        .mount(&server)
        .await;
    let outcome = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        SendOutcome::Sending {
            provider_id: "1234567".to_owned()
        }
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ERROR:102"))
        .mount(&server)
        .await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
}

#[tokio::test]
async fn answer_without_an_id_is_technical() {
    install_crypto();
    let server = answering(200, json!({"count": 0, "list": []})).await;
    let error = SmsApi::sms(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
}

#[tokio::test]
async fn a_recipient_that_is_no_phone_number_is_refused_without_a_call() {
    install_crypto();
    let server = answering(200, accepted("1", "48600100200")).await;
    let sms = SmsApi::sms(config(&server)).unwrap();
    let mut msg = message("Test");
    msg.to = "mieszkaniec@example.pl".to_owned();
    let error = sms.send(&msg).await.unwrap_err();
    assert!(matches!(error, ChannelError::Permanent(_)), "{error:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn voice_posts_vms_do_with_tts_and_lector() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/vms.do"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(accepted("VMS77", "48846380000")))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.voice_tts_lector = "jan".to_owned();
    config.normalize = true;
    config.test_mode = true;
    let voice = SmsApi::voice(config).unwrap();
    assert_eq!(voice.kind(), ChannelKind::Voice);
    let mut msg =
        message("Dzień dobry, tu Urząd Miasta Zamość. Przypominamy o terminie płatności.");
    msg.to = "+48846380000".to_owned();

    let outcome = voice.send(&msg).await.unwrap();

    assert_eq!(
        outcome,
        SendOutcome::Sending {
            provider_id: "VMS77".to_owned()
        }
    );
    let form = form_of(&only_request(&server).await);
    assert_eq!(form["to"], "48846380000");
    assert_eq!(form["tts"], msg.text);
    assert_eq!(form["tts_lector"], "jan");
    assert_eq!(form["idx"], msg.id.to_string());
    assert_eq!(form["check_idx"], "1");
    assert_eq!(form["test"], "1");
    assert_eq!(form["format"], "json");
    assert!(!form.contains_key("message"));
    assert!(
        !form.contains_key("normalize"),
        "a voice is read, not encoded"
    );
    assert!(!form.contains_key("from"), "a sender name is no caller id");
}

#[tokio::test]
async fn voice_outside_calling_hours_is_temporary() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/vms.do"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error": 51, "message": "Wrong time"})),
        )
        .mount(&server)
        .await;
    let error = SmsApi::voice(config(&server))
        .unwrap()
        .send(&message("Test"))
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Temporary(_)), "{error:?}");
}

#[test]
fn voice_refuses_an_unknown_lector() {
    install_crypto();
    let mut config = SmsApiConfig::new(TOKEN, "ZAMOSC");
    config.voice_tts_lector = "zbigniew".to_owned();
    let error = SmsApi::voice(config).unwrap_err();
    assert!(matches!(error, ChannelError::Technical(_)), "{error:?}");
    assert_token_absent(&error);
}

#[test]
fn debug_output_redacts_the_token() {
    install_crypto();
    let config = SmsApiConfig::new(TOKEN, "ZAMOSC");
    let printed = format!("{config:?}");
    assert!(!printed.contains(TOKEN), "{printed}");
    assert!(printed.contains("redacted"), "{printed}");
    let channel = SmsApi::sms(config).unwrap();
    let printed = format!("{channel:?} {channel:#?}");
    assert!(!printed.contains(TOKEN), "{printed}");
}

#[test]
fn error_codes_are_classified() {
    let permanent = [11, 12, 13, 31, 32, 33];
    let technical = [
        14, 17, 18, 19, 20, 25, 35, 40, 50, 54, 70, 101, 102, 103, 104, 105, 110, 301, 1000, 4242,
    ];
    let temporary = [8, 51, 52, 200, 201, 202, 203, 666, 999];
    for code in permanent {
        assert!(
            matches!(classify_error(code, ""), ChannelError::Permanent(_)),
            "{code}"
        );
    }
    for code in technical {
        assert!(
            matches!(classify_error(code, ""), ChannelError::Technical(_)),
            "{code}"
        );
    }
    for code in temporary {
        assert!(
            matches!(classify_error(code, ""), ChannelError::Temporary(_)),
            "{code}"
        );
    }
}

#[test]
fn polish_text_parts_with_and_without_normalisation() {
    assert_eq!(normalize_polish("Zażółć gęślą jaźń"), "Zazolc gesla jazn");
    assert_eq!(normalize_polish("ZAŻÓŁĆ GĘŚLĄ JAŹŃ"), "ZAZOLC GESLA JAZN");

    assert_eq!(parts("Zażółć gęślą jaźń", false), (1, Encoding::Ucs2));
    assert_eq!(parts("Zażółć gęślą jaźń", true), (1, Encoding::Gsm7));
    assert_eq!(parts("", false), (1, Encoding::Gsm7));

    // UCS-2: 70 alone, 67 a part.
    let ucs = |n: usize| "ą".repeat(n);
    assert_eq!(parts(&ucs(70), false), (1, Encoding::Ucs2));
    assert_eq!(parts(&ucs(71), false), (2, Encoding::Ucs2));
    assert_eq!(parts(&ucs(134), false), (2, Encoding::Ucs2));
    assert_eq!(parts(&ucs(135), false), (3, Encoding::Ucs2));
    // The same text normalised is GSM-7: 160 alone, 153 a part.
    assert_eq!(parts(&ucs(70), true), (1, Encoding::Gsm7));
    assert_eq!(parts(&ucs(160), true), (1, Encoding::Gsm7));
    assert_eq!(parts(&ucs(161), true), (2, Encoding::Gsm7));
    assert_eq!(parts(&ucs(306), true), (2, Encoding::Gsm7));
    assert_eq!(parts(&ucs(307), true), (3, Encoding::Gsm7));

    // A realistic reminder: one Polish letter makes it UCS-2 (3 parts); normalised, 2.
    let reminder = "Urząd Miasta Zamość przypomina: rata podatku od nieruchomości \
        (125,00 zł) jest płatna do 15 maja. Numer konta i kod do zapłaty znajdziesz w \
        e-Urzędzie. Dziękujemy!";
    assert_eq!(reminder.chars().count(), 163);
    assert_eq!(parts(reminder, false), (3, Encoding::Ucs2));
    assert_eq!(parts(reminder, true), (2, Encoding::Gsm7));

    // "ó" is not in GSM-7 (only "ò" is): without normalisation it forces UCS-2.
    assert_eq!(parts("ok ó", false).1, Encoding::Ucs2);
    // GSM-7 extension characters take two septets: 80 euro signs fill one part exactly.
    assert_eq!(parts(&"€".repeat(80), false), (1, Encoding::Gsm7));
    assert_eq!(parts(&"€".repeat(81), false), (2, Encoding::Gsm7));
    // Text that normalisation cannot make GSM-7 stays UCS-2 („quotes”).
    assert_eq!(parts("„Zażółć”", true).1, Encoding::Ucs2);
}

#[test]
fn callback_single_report() {
    let reports = parse_callback(
        "?MsgId=613F1B14346335B944450980&status=404&status_name=DELIVERED&idx=0195a1b2-0000-7000-8000-000000000001&donedate=1760000000&username=gmina&points=0.16&to=48600100200&from=ZAMOSC&mcc=260&mnc=3",
    )
    .unwrap();
    assert_eq!(
        reports,
        vec![DeliveryReport {
            provider_id: "613F1B14346335B944450980".to_owned(),
            idx: Some("0195a1b2-0000-7000-8000-000000000001".to_owned()),
            status: ReportStatus::Delivered,
            code: 404,
            done_at: Some(Utc.timestamp_opt(1_760_000_000, 0).unwrap()),
        }]
    );
}

#[test]
fn callback_batch_report() {
    let reports = parse_callback(
        "MsgId=A1%2CA2%2CA3&status=404%2C405%2C409&idx=i1%2C%2Ci3&donedate=1760000000%2C1760000060%2C",
    )
    .unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0].provider_id, "A1");
    assert_eq!(reports[0].status, ReportStatus::Delivered);
    assert_eq!(reports[1].provider_id, "A2");
    assert_eq!(reports[1].idx, None);
    assert_eq!(reports[1].status, ReportStatus::PermanentFailure);
    assert_eq!(
        reports[1].done_at,
        Some(Utc.timestamp_opt(1_760_000_060, 0).unwrap())
    );
    assert_eq!(reports[2].idx.as_deref(), Some("i3"));
    assert_eq!(reports[2].status, ReportStatus::Unknown);
    assert_eq!(reports[2].done_at, None);

    // Unencoded commas work the same.
    let plain = parse_callback("MsgId=B1,B2&status=402,404").unwrap();
    assert_eq!(plain.len(), 2);
    assert_eq!(plain[0].status, ReportStatus::TemporaryFailure);
    assert_eq!(plain[0].idx, None);
}

#[test]
fn callback_statuses_are_mapped() {
    let expected = [
        (401, ReportStatus::Unknown),
        (402, ReportStatus::TemporaryFailure),
        (403, ReportStatus::Unknown),
        (404, ReportStatus::Delivered),
        (405, ReportStatus::PermanentFailure),
        (406, ReportStatus::TemporaryFailure),
        (407, ReportStatus::PermanentFailure),
        (408, ReportStatus::Unknown),
        (409, ReportStatus::Unknown),
        (410, ReportStatus::Unknown),
        (411, ReportStatus::Unknown),
        (412, ReportStatus::PermanentFailure),
        (499, ReportStatus::Unknown),
    ];
    for (code, status) in expected {
        let reports = parse_callback(&format!("MsgId=X&status={code}")).unwrap();
        assert_eq!(reports[0].status, status, "{code}");
        assert_eq!(reports[0].code, code);
        assert_eq!(ReportStatus::from_code(code), status);
    }
    assert!(ReportStatus::Delivered.is_final());
    assert!(ReportStatus::PermanentFailure.is_final());
    assert!(!ReportStatus::Unknown.is_final());
}

#[test]
fn malformed_callbacks_are_refused() {
    assert_eq!(
        parse_callback("status=404"),
        Err(CallbackError::Missing("MsgId"))
    );
    assert_eq!(
        parse_callback("MsgId=A"),
        Err(CallbackError::Missing("status"))
    );
    assert_eq!(
        parse_callback("MsgId=A,B&status=404"),
        Err(CallbackError::LengthMismatch("status", 1, 2))
    );
    assert_eq!(
        parse_callback("MsgId=A&status=404&idx=a,b"),
        Err(CallbackError::LengthMismatch("idx", 2, 1))
    );
    assert!(matches!(
        parse_callback("MsgId=A&status=DELIVERED"),
        Err(CallbackError::Invalid("status", _))
    ));
    assert!(matches!(
        parse_callback("MsgId=A&status=404&donedate=yesterday"),
        Err(CallbackError::Invalid("donedate", _))
    ));
}
