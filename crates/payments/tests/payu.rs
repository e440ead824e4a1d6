//! The PayU adapter against a wiremock server speaking PayU REST 2.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::Digest;
use support::{assert_mapped, assert_provider_error, executor, money, mount_json};
use uuid::Uuid;
use wiremock::matchers::{body_partial_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use wspolnota_core::Money;
use wspolnota_payments::gateways::payu::{PayU, PayUConfig};
use wspolnota_payments::{
    GatewayError, GatewayKind, NextAction, PaymentGateway, PaymentRequest, ProviderStatus,
    RefundOutcome,
};

const TOKEN: &str = "7524f96e-2d22-45da-bc64-778a61cbfef5";
const ORDER_ID: &str = "WZHF5FFDRJ140731GUEST000P01";
const SECOND_KEY: &str = "b6ca15b0d1020e8094d9b5f8d163db54";
const FIXED_BODY: &str = r#"{"order":{"orderId":"LDLW5N7MF4140324GUEST000P01","extOrderId":"00000000-0000-0000-0000-000000000001","totalAmount":"12345","status":"COMPLETED"}}"#;
/// MD5(FIXED_BODY || SECOND_KEY), computed once and fixed here.
const FIXED_MD5: &str = "aa33e1f52b4a29f3562a1fc7eff42cd5";
/// SHA-256(FIXED_BODY || SECOND_KEY), computed once and fixed here.
const FIXED_SHA256: &str = "1857fae1a2b37f1344e476ff0138fd298a15e5b1090bc9666d79cedd6ad86d03";

fn gateway(base_url: &str) -> PayU {
    PayU::new(PayUConfig {
        base_url: base_url.to_owned(),
        pos_id: "300746".into(),
        client_id: "300746".into(),
        client_secret: "2ee86a66e5d97e3fadc400c9f19b065d".into(),
        second_key: SECOND_KEY.into(),
    })
}

fn payment_id() -> Uuid {
    support::uuid("0190f5d2-7c1e-7a3b-9d4e-5f6a7b8c9d0e")
}

fn request(bank: Option<&str>) -> PaymentRequest {
    PaymentRequest {
        payer_email: Some("jan.kowalski@example.pl".into()),
        payer_name: Some("Jan Kowalski".into()),
        payer_ip: Some("203.0.113.7".into()),
        bank: bank.map(str::to_owned),
        ..support::request(
            payment_id(),
            money("123.45"),
            "Podatek od nieruchomości 2026, rata 1",
            "https://gmina.example.pl/platnosci/powrot",
            "https://gmina.example.pl/api/notify/payu/tenant-1",
        )
    }
}

async fn mount_oauth(server: &MockServer, expected_calls: u64) {
    Mock::given(method("POST"))
        .and(path("/pl/standard/user/oauth/authorize"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=300746"))
        .and(body_string_contains(
            "client_secret=2ee86a66e5d97e3fadc400c9f19b065d",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": TOKEN,
            "token_type": "bearer",
            "expires_in": 43199,
            "grant_type": "client_credentials"
        })))
        .expect(expected_calls)
        .mount(server)
        .await;
}

fn order_created(ext_order_id: &str) -> ResponseTemplate {
    let redirect = format!("https://merch-prod.snd.payu.com/pay/?orderId={ORDER_ID}&token=abc");
    ResponseTemplate::new(302)
        .insert_header("location", redirect.as_str())
        .set_body_json(json!({
            "status": {"statusCode": "SUCCESS"},
            "redirectUri": redirect,
            "orderId": ORDER_ID,
            "extOrderId": ext_order_id
        }))
}

fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

#[tokio::test]
async fn create_registers_the_order_and_redirects() {
    let server = MockServer::start().await;
    // Two creates, one token: the token is cached.
    mount_oauth(&server, 1).await;
    let pid = payment_id().to_string();
    Mock::given(method("POST"))
        .and(path("/api/v2_1/orders"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(json!({
            "notifyUrl": "https://gmina.example.pl/api/notify/payu/tenant-1",
            "continueUrl": "https://gmina.example.pl/platnosci/powrot",
            "customerIp": "203.0.113.7",
            "merchantPosId": "300746",
            "description": "Podatek od nieruchomości 2026, rata 1",
            "currencyCode": "PLN",
            "totalAmount": "12345",
            "extOrderId": pid,
            "buyer": {"email": "jan.kowalski@example.pl", "language": "pl"},
            "products": [{"name": "Podatek od nieruchomości 2026, rata 1", "unitPrice": "12345", "quantity": "1"}]
        })))
        .and(|r: &Request| body_json(r).get("payMethods").is_none())
        .respond_with(order_created(&pid))
        .expect(2)
        .mount(&server)
        .await;

    let http = executor();
    let payu = gateway(&server.uri());
    assert_eq!(payu.kind(), GatewayKind::PayU);
    for _ in 0..2 {
        let next = payu.create(&http, &request(None)).await.expect("create");
        assert_eq!(
            next,
            NextAction::Redirect {
                url: format!("https://merch-prod.snd.payu.com/pay/?orderId={ORDER_ID}&token=abc"),
                provider_reference: ORDER_ID.into(),
            }
        );
    }
}

#[tokio::test]
async fn create_with_a_bank_sends_pay_methods() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    let pid = payment_id().to_string();
    Mock::given(method("POST"))
        .and(path("/api/v2_1/orders"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(json!({
            "extOrderId": pid,
            "totalAmount": "12345",
            "payMethods": {"payMethod": {"type": "PBL", "value": "m"}}
        })))
        .respond_with(order_created(&pid))
        .expect(1)
        .mount(&server)
        .await;

    let next = gateway(&server.uri())
        .create(&executor(), &request(Some("m")))
        .await
        .expect("create");
    assert!(
        matches!(next, NextAction::Redirect { provider_reference, .. } if provider_reference == ORDER_ID)
    );
}

#[tokio::test]
async fn create_maps_a_refusal_to_a_provider_error() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/v2_1/orders"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": {
                "statusCode": "ERROR_VALUE_INVALID",
                "severity": "ERROR",
                "code": "8041",
                "codeLiteral": "INVALID_CUSTOMER_IP",
                "statusDesc": "Invalid value for customerIp"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = gateway(&server.uri())
        .create(&executor(), &request(None))
        .await
        .expect_err("refused");
    assert_provider_error(
        err,
        400,
        "ERROR_VALUE_INVALID",
        "Invalid value for customerIp",
    );
}

#[tokio::test]
async fn create_reports_bad_oauth_credentials() {
    let server = MockServer::start().await;
    mount_json(
        &server,
        "POST",
        "/pl/standard/user/oauth/authorize",
        401,
        json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
    )
    .await;
    let err = gateway(&server.uri())
        .create(&executor(), &request(None))
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, GatewayError::Provider { status: 401, code: Some(c), .. } if c == "invalid_client"),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_without_payer_ip_is_refused_locally() {
    let mut req = request(None);
    req.payer_ip = None;
    let err = gateway("http://127.0.0.1:9")
        .create(&executor(), &req)
        .await
        .expect_err("no IP");
    assert!(matches!(err, GatewayError::Config(_)), "{err:?}");
}

// ---- notifications ----

fn md5_hex(data: &[u8]) -> String {
    hex(&md5::Md5::digest(data))
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn signed(signature: &str, algorithm: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "OpenPayu-Signature",
        HeaderValue::from_str(&format!(
            "sender=checkout;signature={signature};algorithm={algorithm};content=DOCUMENT"
        ))
        .expect("header"),
    );
    headers
}

#[test]
fn fixed_vectors_match_independent_hashes() {
    let data = format!("{FIXED_BODY}{SECOND_KEY}");
    assert_eq!(md5_hex(data.as_bytes()), FIXED_MD5);
    assert_eq!(sha256_hex(data.as_bytes()), FIXED_SHA256);
}

#[test]
fn verifies_the_fixed_md5_and_sha256_vectors() {
    let payu = gateway("http://127.0.0.1:9");
    for (signature, algorithm) in [(FIXED_MD5, "MD5"), (FIXED_SHA256, "SHA-256")] {
        let n = payu
            .verify_notification(&signed(signature, algorithm), FIXED_BODY.as_bytes())
            .unwrap_or_else(|e| panic!("{algorithm}: {e:?}"));
        assert_eq!(n.provider_reference, "LDLW5N7MF4140324GUEST000P01");
        assert_eq!(
            n.payment_id,
            Some(Uuid::parse_str("00000000-0000-0000-0000-000000000001").expect("uuid"))
        );
        assert_eq!(n.status, ProviderStatus::Succeeded { paid_at: None });
        assert_eq!(n.amount, Some(Money::from_grosze(12345)));
        assert_eq!(n.dedupe_key, "LDLW5N7MF4140324GUEST000P01:COMPLETED");
    }
}

#[test]
fn verifies_computed_signatures_on_a_full_notification() {
    let body = json!({
        "order": {
            "orderId": ORDER_ID,
            "extOrderId": payment_id().to_string(),
            "orderCreateDate": "2026-11-27T10:15:00.000+01:00",
            "notifyUrl": "https://gmina.example.pl/api/notify/payu/tenant-1",
            "customerIp": "203.0.113.7",
            "merchantPosId": "300746",
            "description": "Podatek",
            "currencyCode": "PLN",
            "totalAmount": "12345",
            "status": "PENDING",
            "payMethod": {"type": "PBL"}
        },
        "properties": [{"name": "PAYMENT_ID", "value": "5000012345"}]
    })
    .to_string();
    let data = format!("{body}{SECOND_KEY}");
    let payu = gateway("http://127.0.0.1:9");

    let n = payu
        .verify_notification(&signed(&md5_hex(data.as_bytes()), "MD5"), body.as_bytes())
        .expect("md5");
    assert_eq!(n.status, ProviderStatus::Pending);
    assert_eq!(n.payment_id, Some(payment_id()));
    assert_eq!(n.dedupe_key, format!("{ORDER_ID}:PENDING"));

    // Upper-case hex, the X- header, and SHA-256.
    let mut headers = HeaderMap::new();
    headers.insert(
        "X-OpenPayU-Signature",
        HeaderValue::from_str(&format!(
            "sender=checkout;signature={};algorithm=SHA-256;content=DOCUMENT",
            sha256_hex(data.as_bytes()).to_uppercase()
        ))
        .expect("header"),
    );
    let n = payu
        .verify_notification(&headers, body.as_bytes())
        .expect("sha-256");
    assert_eq!(n.amount, Some(Money::from_grosze(12345)));
}

#[test]
fn completed_notification_carries_the_receipt_time() {
    let body = json!({
        "order": {"orderId": ORDER_ID, "extOrderId": "not-a-uuid", "status": "COMPLETED", "totalAmount": "100", "currencyCode": "PLN"},
        "localReceiptDateTime": "2026-11-27T12:58:14.828+01:00"
    })
    .to_string();
    let sig = sha256_hex(format!("{body}{SECOND_KEY}").as_bytes());
    let n = gateway("http://127.0.0.1:9")
        .verify_notification(&signed(&sig, "SHA-256"), body.as_bytes())
        .expect("verified");
    assert_eq!(n.payment_id, None);
    let expected = chrono::DateTime::parse_from_rfc3339("2026-11-27T11:58:14.828Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    assert_eq!(
        n.status,
        ProviderStatus::Succeeded {
            paid_at: Some(expected)
        }
    );
}

#[test]
fn rejects_forged_and_unsigned_notifications() {
    let payu = gateway("http://127.0.0.1:9");
    let body = FIXED_BODY.as_bytes();

    // Signed with another key.
    let forged = md5_hex(format!("{FIXED_BODY}not-the-second-key").as_bytes());
    assert!(matches!(
        payu.verify_notification(&signed(&forged, "MD5"), body),
        Err(GatewayError::InvalidSignature)
    ));
    // A valid MD5 signature presented as SHA-256.
    assert!(matches!(
        payu.verify_notification(&signed(FIXED_MD5, "SHA-256"), body),
        Err(GatewayError::InvalidSignature)
    ));
    // The body changed after signing.
    let tampered = FIXED_BODY.replace("12345", "99999");
    assert!(matches!(
        payu.verify_notification(&signed(FIXED_MD5, "MD5"), tampered.as_bytes()),
        Err(GatewayError::InvalidSignature)
    ));
    // No header, no signature field, unknown algorithm.
    assert!(matches!(
        payu.verify_notification(&HeaderMap::new(), body),
        Err(GatewayError::InvalidSignature)
    ));
    let mut headers = HeaderMap::new();
    headers.insert(
        "OpenPayu-Signature",
        HeaderValue::from_static("sender=checkout;algorithm=MD5"),
    );
    assert!(matches!(
        payu.verify_notification(&headers, body),
        Err(GatewayError::InvalidSignature)
    ));
    assert!(matches!(
        payu.verify_notification(&signed(FIXED_MD5, "CRC32"), body),
        Err(GatewayError::InvalidSignature)
    ));
}

#[test]
fn signed_but_malformed_notification_is_bad() {
    let body = r#"{"order":{"orderId":"X","status":"SOMETHING_NEW"}}"#;
    let sig = md5_hex(format!("{body}{SECOND_KEY}").as_bytes());
    let err = gateway("http://127.0.0.1:9")
        .verify_notification(&signed(&sig, "MD5"), body.as_bytes())
        .expect_err("unknown status");
    assert!(matches!(err, GatewayError::BadNotification(_)), "{err:?}");
}

// ---- query ----

#[tokio::test]
async fn query_maps_every_status() {
    let cases = [
        ("NEW", Some(ProviderStatus::Pending)),
        ("PENDING", Some(ProviderStatus::Pending)),
        (
            "WAITING_FOR_CONFIRMATION",
            Some(ProviderStatus::WaitingForConfirmation),
        ),
        (
            "COMPLETED",
            Some(ProviderStatus::Succeeded { paid_at: None }),
        ),
        ("CANCELED", Some(ProviderStatus::Cancelled)),
        ("REJECTED", Some(ProviderStatus::Failed)),
        ("SOMETHING_NEW", None),
    ];
    let http = executor();
    for (payu_status, expected) in cases {
        let server = MockServer::start().await;
        mount_oauth(&server, 1).await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v2_1/orders/{ORDER_ID}")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "orders": [{
                    "orderId": ORDER_ID,
                    "extOrderId": payment_id().to_string(),
                    "orderCreateDate": "2026-11-27T10:15:00.000+01:00",
                    "currencyCode": "PLN",
                    "totalAmount": "12345",
                    "status": payu_status
                }],
                "status": {"statusCode": "SUCCESS", "statusDesc": "Request processing successful"}
            })))
            .expect(1)
            .mount(&server)
            .await;
        let result = gateway(&server.uri())
            .query(&http, payment_id(), ORDER_ID)
            .await;
        assert_mapped(result, expected, payu_status);
    }
}

#[tokio::test]
async fn query_rejects_an_order_of_another_payment() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    mount_json(&server, "GET", &format!("/api/v2_1/orders/{ORDER_ID}"), 200, json!({
        "orders": [{"orderId": ORDER_ID, "extOrderId": Uuid::nil().to_string(), "status": "COMPLETED"}],
        "status": {"statusCode": "SUCCESS"}
    }))
    .await;
    let result = gateway(&server.uri())
        .query(&executor(), payment_id(), ORDER_ID)
        .await;
    assert!(
        matches!(result, Err(GatewayError::UnexpectedResponse(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn query_of_an_unknown_order_is_a_provider_error() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    mount_json(&server, "GET", &format!("/api/v2_1/orders/{ORDER_ID}"), 404, json!({
        "status": {"statusCode": "DATA_NOT_FOUND", "statusDesc": "Could not find data for given criteria."}
    }))
    .await;
    let result = gateway(&server.uri())
        .query(&executor(), payment_id(), ORDER_ID)
        .await;
    assert!(
        matches!(&result, Err(GatewayError::Provider { status: 404, code: Some(c), .. }) if c == "DATA_NOT_FOUND"),
        "{result:?}"
    );
}

// ---- refund ----

#[tokio::test]
async fn refund_is_accepted() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v2_1/orders/{ORDER_ID}/refunds")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(json!({
            "refund": {"description": "Nadpłata", "amount": "5000", "currencyCode": "PLN"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "orderId": ORDER_ID,
            "refund": {
                "refundId": "5000009987",
                "amount": "5000",
                "currencyCode": "PLN",
                "description": "Nadpłata",
                "creationDateTime": "2026-11-27T10:20:00.000+01:00",
                "status": "PENDING",
                "statusDateTime": "2026-11-27T10:20:00.000+01:00"
            },
            "status": {"statusCode": "SUCCESS", "statusDesc": "Refund queued for processing"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = gateway(&server.uri())
        .refund(
            &executor(),
            payment_id(),
            ORDER_ID,
            Money::from_grosze(5000),
            "Nadpłata",
        )
        .await
        .expect("refund");
    assert_eq!(
        outcome,
        RefundOutcome::Accepted {
            provider_reference: "5000009987".into()
        }
    );
}

#[tokio::test]
async fn refund_refusal_is_a_provider_error() {
    let server = MockServer::start().await;
    mount_oauth(&server, 1).await;
    mount_json(&server, "POST", &format!("/api/v2_1/orders/{ORDER_ID}/refunds"), 400, json!({
        "status": {"statusCode": "ERROR_VALUE_INVALID", "codeLiteral": "NO_BALANCE", "statusDesc": "Lack of funds in account"}
    }))
    .await;
    let result = gateway(&server.uri())
        .refund(
            &executor(),
            payment_id(),
            ORDER_ID,
            Money::from_grosze(5000),
            "Nadpłata",
        )
        .await;
    assert!(
        matches!(&result, Err(GatewayError::Provider { status: 400, code: Some(c), .. }) if c == "ERROR_VALUE_INVALID"),
        "{result:?}"
    );
}

#[tokio::test]
async fn unauthorised_answer_drops_the_cached_token() {
    let server = MockServer::start().await;
    // First query: token 1, 401; second query: a new token, 200.
    mount_oauth(&server, 2).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2_1/orders/{ORDER_ID}")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": {"statusCode": "UNAUTHORIZED", "statusDesc": "Invalid token"}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_json(&server, "GET", &format!("/api/v2_1/orders/{ORDER_ID}"), 200, json!({
        "orders": [{"orderId": ORDER_ID, "extOrderId": payment_id().to_string(), "status": "NEW"}],
        "status": {"statusCode": "SUCCESS"}
    }))
    .await;
    let http = executor();
    let payu = gateway(&server.uri());
    let first = payu.query(&http, payment_id(), ORDER_ID).await;
    assert!(
        matches!(first, Err(GatewayError::Provider { status: 401, .. })),
        "{first:?}"
    );
    let second = payu
        .query(&http, payment_id(), ORDER_ID)
        .await
        .expect("second");
    assert_eq!(second, ProviderStatus::Pending);
}
