//! Przelewy24 against a wiremock server speaking its REST v1 protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use http::HeaderMap;
use serde_json::json;
use support::{assert_mapped, assert_provider_error, executor, mount_json};
use uuid::Uuid;
use wiremock::matchers::{basic_auth, body_json, body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wspolnota_core::Money;
use wspolnota_payments::gateways::przelewy24::{P24Config, Przelewy24, register_sign, verify_sign};
use wspolnota_payments::{
    GatewayError, NextAction, PaymentGateway, PaymentRequest, ProviderStatus, RefundOutcome,
};

const SESSION: &str = "00000000-0000-0000-0000-000000000001";
const CRC: &str = "0123456789abcdef";
/// SHA-384 of `{"sessionId":"00000000-0000-0000-0000-000000000001","merchantId":11111,
/// "amount":12345,"currency":"PLN","crc":"0123456789abcdef"}` (computed once, independently).
const REGISTER_SIGN: &str = "858ba0e4ef82e640d1649ca5a3bbbb7d8fcff11fe0728594569e20d878ead655e344525c6bcf3ec96738d13b60a3df21";
/// Verify sign over the same session, orderId 987654321.
const VERIFY_SIGN: &str = "51088cc755ccf1dbf3bf8558dd7da791512baeab928a516a4a09dbe8ba6fadeecc16303ebba0c9fdc7918fa97cfd1cfa";
/// Notification sign (see `notification_body`).
const NOTIFICATION_SIGN: &str = "49b2288d3693b424269094b758531396226307b736d3e1f4b062da2a345fb8ef8123b297d1cfe1d31106f0778d81fb8c";

fn gateway(base_url: &str) -> Przelewy24 {
    Przelewy24::new(P24Config {
        base_url: base_url.to_owned(),
        merchant_id: 11111,
        pos_id: 11111,
        api_key: "api-key-secret".to_owned(),
        crc: CRC.to_owned(),
    })
}

fn payment_id() -> Uuid {
    support::uuid(SESSION)
}

fn request() -> PaymentRequest {
    PaymentRequest {
        payer_email: Some("jan@example.pl".to_owned()),
        payer_name: Some("Jan Kowalski".to_owned()),
        ..support::request(
            payment_id(),
            Money::from_grosze(12345),
            "Opłata za odpady 11/2026",
            "https://wspolnota.example/return",
            "https://wspolnota.example/notify/p24",
        )
    }
}

fn notification_body(sign: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "merchantId": 11111,
        "posId": 11111,
        "sessionId": SESSION,
        "amount": 12345,
        "originAmount": 12345,
        "currency": "PLN",
        "orderId": 987654321,
        "methodId": 25,
        "statement": "p24-A1-B2-C3",
        "sign": sign,
    }))
    .unwrap()
}

fn lookup_body(status: i64) -> serde_json::Value {
    json!({
        "data": {
            "statement": "p24-A1-B2-C3",
            "orderId": 987654321,
            "sessionId": SESSION,
            "status": status,
            "amount": 12345,
            "currency": "PLN",
            "date": "2026-11-27T10:00:00+01:00",
            "dateOfTransaction": "2026-11-27T10:05:00+01:00",
            "clientEmail": "jan@example.pl",
            "accountMD5": "",
            "paymentMethod": 25,
            "description": "x"
        },
        "responseCode": 0
    })
}

async fn mount_lookup(server: &MockServer, status: i64) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/transaction/by/sessionId/{SESSION}")))
        .and(basic_auth("11111", "api-key-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(lookup_body(status)))
        .mount(server)
        .await;
}

#[test]
fn sign_vectors() {
    assert_eq!(
        register_sign(SESSION, 11111, 12345, "PLN", CRC).unwrap(),
        REGISTER_SIGN
    );
    assert_eq!(
        verify_sign(SESSION, 987654321, 12345, "PLN", CRC).unwrap(),
        VERIFY_SIGN
    );
}

#[test]
fn debug_hides_secrets() {
    let shown = format!("{:?}", gateway("https://sandbox.przelewy24.pl"));
    assert!(!shown.contains("api-key-secret"));
    assert!(!shown.contains(CRC));
}

#[tokio::test]
async fn create_registers_and_redirects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/transaction/register"))
        .and(basic_auth("11111", "api-key-secret"))
        .and(body_partial_json(json!({
            "merchantId": 11111,
            "posId": 11111,
            "sessionId": SESSION,
            "amount": 12345,
            "currency": "PLN",
            "description": "Opłata za odpady 11/2026",
            "email": "jan@example.pl",
            "country": "PL",
            "language": "pl",
            "urlReturn": "https://wspolnota.example/return",
            "urlStatus": "https://wspolnota.example/notify/p24",
            "sign": REGISTER_SIGN,
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"token": "TOKEN-123abc"}, "responseCode": 0})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let next = gateway(&server.uri())
        .create(&executor(), &request())
        .await
        .unwrap();
    assert_eq!(
        next,
        NextAction::Redirect {
            url: format!("{}/trnRequest/TOKEN-123abc", server.uri()),
            provider_reference: SESSION.to_owned(),
        }
    );
}

#[tokio::test]
async fn register_refusal_is_a_provider_error() {
    let server = MockServer::start().await;
    mount_json(
        &server,
        "POST",
        "/api/v1/transaction/register",
        400,
        json!({"error": "Invalid sign", "code": 400}),
    )
    .await;
    let err = gateway(&server.uri())
        .create(&executor(), &request())
        .await
        .unwrap_err();
    assert_provider_error(err, 400, "400", "Invalid sign");
}

#[test]
fn signed_notification_is_accepted() {
    let n = gateway("http://unused")
        .verify_notification(&HeaderMap::new(), &notification_body(NOTIFICATION_SIGN))
        .unwrap();
    assert_eq!(n.provider_reference, SESSION);
    assert_eq!(n.payment_id, Some(payment_id()));
    assert_eq!(n.status, ProviderStatus::WaitingForConfirmation);
    assert_eq!(n.amount, Some(Money::from_grosze(12345)));
    assert_eq!(n.dedupe_key, "987654321");
}

#[test]
fn forged_notifications_are_rejected() {
    let gw = gateway("http://unused");
    // Wrong sign.
    let mut forged = NOTIFICATION_SIGN.to_owned();
    forged.replace_range(0..1, "0");
    assert!(matches!(
        gw.verify_notification(&HeaderMap::new(), &notification_body(&forged)),
        Err(GatewayError::InvalidSignature)
    ));
    // Right sign, tampered amount.
    let mut body: serde_json::Value =
        serde_json::from_slice(&notification_body(NOTIFICATION_SIGN)).unwrap();
    body["amount"] = json!(1);
    assert!(matches!(
        gw.verify_notification(&HeaderMap::new(), &serde_json::to_vec(&body).unwrap()),
        Err(GatewayError::InvalidSignature)
    ));
    // Not a notification at all.
    assert!(matches!(
        gw.verify_notification(&HeaderMap::new(), b"{}"),
        Err(GatewayError::BadNotification(_))
    ));
}

#[tokio::test]
async fn confirm_calls_verify_with_its_sign() {
    let server = MockServer::start().await;
    mount_lookup(&server, 1).await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/transaction/verify"))
        .and(basic_auth("11111", "api-key-secret"))
        .and(body_json(json!({
            "merchantId": 11111,
            "posId": 11111,
            "sessionId": SESSION,
            "amount": 12345,
            "currency": "PLN",
            "orderId": 987654321,
            "sign": VERIFY_SIGN,
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"status": "success"}, "responseCode": 0})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let status = gateway(&server.uri())
        .confirm(
            &executor(),
            payment_id(),
            SESSION,
            Money::from_grosze(12345),
        )
        .await
        .unwrap();
    assert_eq!(status, ProviderStatus::Succeeded { paid_at: None });
}

#[tokio::test]
async fn confirm_refuses_a_different_amount() {
    let server = MockServer::start().await;
    mount_lookup(&server, 1).await;
    let err = gateway(&server.uri())
        .confirm(&executor(), payment_id(), SESSION, Money::from_grosze(100))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::UnexpectedResponse(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn query_maps_statuses() {
    let cases = [
        (0, Some(ProviderStatus::Pending)),
        (1, Some(ProviderStatus::WaitingForConfirmation)),
        (3, Some(ProviderStatus::Cancelled)),
        (7, None),
    ];
    for (code, expected) in cases {
        let server = MockServer::start().await;
        mount_lookup(&server, code).await;
        let got = gateway(&server.uri())
            .query(&executor(), payment_id(), SESSION)
            .await;
        assert_mapped(got, expected, &format!("status {code}"));
    }
    let server = MockServer::start().await;
    mount_lookup(&server, 2).await;
    match gateway(&server.uri())
        .query(&executor(), payment_id(), SESSION)
        .await
        .unwrap()
    {
        ProviderStatus::Succeeded { paid_at: Some(at) } => {
            assert_eq!(at.to_rfc3339(), "2026-11-27T09:05:00+00:00")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn query_provider_error() {
    let server = MockServer::start().await;
    mount_json(
        &server,
        "GET",
        &format!("/api/v1/transaction/by/sessionId/{SESSION}"),
        404,
        json!({"error": "Transaction not found", "code": 404}),
    )
    .await;
    let err = gateway(&server.uri())
        .query(&executor(), payment_id(), SESSION)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Provider { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn refund_posts_the_order() {
    let server = MockServer::start().await;
    mount_lookup(&server, 2).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/transaction/refund"))
        .and(basic_auth("11111", "api-key-secret"))
        .and(body_partial_json(json!({
            "refunds": [{"orderId": 987654321, "sessionId": SESSION, "amount": 5000}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": [{"orderId": 987654321, "sessionId": SESSION, "amount": 5000,
                      "description": "zwrot", "status": true, "message": "success"}],
            "responseCode": 0
        })))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = gateway(&server.uri())
        .refund(
            &executor(),
            payment_id(),
            SESSION,
            Money::from_grosze(5000),
            "zwrot",
        )
        .await
        .unwrap();
    assert!(matches!(outcome, RefundOutcome::Accepted { .. }));
}
