#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use http::{HeaderMap, HeaderValue};
use serde_json::json;
use support::{assert_mapped, assert_provider_error, executor, money, mount_json};
use uuid::Uuid;
use wiremock::matchers::{basic_auth, bearer_token, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wspolnota_core::Money;
use wspolnota_payments::gateways::paypal::{PayPal, PayPalConfig};
use wspolnota_payments::{
    GatewayError, NextAction, PaymentGateway, PaymentRequest, ProviderStatus, RefundOutcome,
};

const PAYMENT: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const ORDER: &str = "5O190127TN364715T";

fn gateway(base: &str) -> PayPal {
    PayPal::new(PayPalConfig {
        base_url: base.to_owned(),
        client_id: "client-id".into(),
        client_secret: "very-secret".into(),
        webhook_id: "WH-ID-1".into(),
    })
}

fn payment_id() -> Uuid {
    support::uuid(PAYMENT)
}

fn request() -> PaymentRequest {
    PaymentRequest {
        payer_email: Some("jan@example.org".into()),
        payer_name: Some("Jan Kowalski".into()),
        ..support::request(
            payment_id(),
            money("123.45"),
            "Opłata za odpady 2026/01",
            "https://gmina.example.org/platnosci/powrot",
            "https://gmina.example.org/api/notify/paypal",
        )
    }
}

async fn mount_token(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .and(basic_auth("client-id", "very-secret"))
        .and(wiremock::matchers::body_string(
            "grant_type=client_credentials",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": "A21AAtoken",
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 32400,
            "nonce": "2026-11-27T10:00:00Zabc"
        })))
        .expect(times)
        .mount(server)
        .await;
}

fn order_json(status: &str, capture: Option<(&str, &str)>) -> serde_json::Value {
    let mut unit = json!({
        "reference_id": PAYMENT,
        "custom_id": PAYMENT,
        "amount": {"currency_code": "PLN", "value": "123.45"}
    });
    if let Some((cstatus, value)) = capture {
        unit["payments"] = json!({"captures": [{
            "id": "3C679366HH908993F",
            "status": cstatus,
            "amount": {"currency_code": "PLN", "value": value},
            "custom_id": PAYMENT,
            "create_time": "2026-11-27T10:15:30Z",
            "update_time": "2026-11-27T10:15:31Z"
        }]});
    }
    json!({ "id": ORDER, "status": status, "purchase_units": [unit], "links": [] })
}

#[tokio::test]
async fn create_gets_a_token_once_and_sends_the_order() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .and(bearer_token("A21AAtoken"))
        .and(header("PayPal-Request-Id", PAYMENT))
        .and(body_partial_json(json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "custom_id": PAYMENT,
                "description": "Opłata za odpady 2026/01",
                "amount": {"currency_code": "PLN", "value": "123.45"}
            }],
            "application_context": {
                "return_url": "https://gmina.example.org/platnosci/powrot",
                "cancel_url": "https://gmina.example.org/platnosci/powrot",
                "locale": "pl-PL"
            }
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": ORDER,
            "status": "CREATED",
            "links": [
                {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{ORDER}"), "rel": "self", "method": "GET"},
                {"href": format!("https://www.sandbox.paypal.com/checkoutnow?token={ORDER}"), "rel": "approve", "method": "GET"},
                {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{ORDER}/capture"), "rel": "capture", "method": "POST"}
            ]
        })))
        .expect(2)
        .mount(&server)
        .await;

    let gw = gateway(&server.uri());
    let http = executor();
    for _ in 0..2 {
        let next = gw.create(&http, &request()).await.unwrap();
        assert_eq!(
            next,
            NextAction::Redirect {
                url: format!("https://www.sandbox.paypal.com/checkoutnow?token={ORDER}"),
                provider_reference: ORDER.into(),
            }
        );
    }
}

#[tokio::test]
async fn create_follows_a_payer_action_link() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_json(&server, "POST", "/v2/checkout/orders", 200, json!({
            "id": ORDER,
            "status": "PAYER_ACTION_REQUIRED",
            "links": [{"href": "https://www.paypal.com/checkoutnow?token=X", "rel": "payer-action", "method": "GET"}]
        })).await;
    let next = gateway(&server.uri())
        .create(&executor(), &request())
        .await
        .unwrap();
    assert!(
        matches!(next, NextAction::Redirect { url, .. } if url == "https://www.paypal.com/checkoutnow?token=X")
    );
}

#[tokio::test]
async fn provider_errors_are_reported() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_json(&server, "POST", "/v2/checkout/orders", 422, json!({
            "name": "UNPROCESSABLE_ENTITY",
            "message": "The requested action could not be performed.",
            "debug_id": "b2aaac7fcd2d4",
            "details": [{"issue": "CURRENCY_NOT_SUPPORTED", "description": "Currency code is not supported."}]
        })).await;
    let err = gateway(&server.uri())
        .create(&executor(), &request())
        .await
        .unwrap_err();
    assert_provider_error(
        err,
        422,
        "CURRENCY_NOT_SUPPORTED",
        "Currency code is not supported.",
    );
}

#[tokio::test]
async fn bad_credentials_are_a_provider_error() {
    let server = MockServer::start().await;
    mount_json(
        &server,
        "POST",
        "/v1/oauth2/token",
        401,
        json!({
            "error": "invalid_client",
            "error_description": "Client Authentication failed"
        }),
    )
    .await;
    let err = gateway(&server.uri())
        .create(&executor(), &request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Provider { status: 401, code: Some(ref c), .. } if c == "invalid_client"),
        "{err:?}"
    );
}

#[tokio::test]
async fn confirm_captures_the_order() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/checkout/orders/{ORDER}/capture")))
        .and(bearer_token("A21AAtoken"))
        .and(header(
            "PayPal-Request-Id",
            format!("{PAYMENT}-capture").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(order_json("COMPLETED", Some(("COMPLETED", "123.45")))),
        )
        .expect(2)
        .mount(&server)
        .await;
    let gw = gateway(&server.uri());
    let http = executor();
    let status = gw
        .confirm(&http, payment_id(), ORDER, money("123.45"))
        .await
        .unwrap();
    let paid_at = "2026-11-27T10:15:30Z".parse().unwrap();
    assert_eq!(
        status,
        ProviderStatus::Succeeded {
            paid_at: Some(paid_at)
        }
    );
    // A capture of another amount than expected is not accepted silently.
    let err = gw
        .confirm(&http, payment_id(), ORDER, money("100.00"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::UnexpectedResponse(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn confirm_of_an_already_captured_order_reads_its_status() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_json(&server, "POST", &format!("/v2/checkout/orders/{ORDER}/capture"), 422, json!({
            "name": "UNPROCESSABLE_ENTITY",
            "details": [{"issue": "ORDER_ALREADY_CAPTURED", "description": "Order already captured."}]
        })).await;
    mount_json(
        &server,
        "GET",
        &format!("/v2/checkout/orders/{ORDER}"),
        200,
        order_json("COMPLETED", Some(("COMPLETED", "123.45"))),
    )
    .await;
    let status = gateway(&server.uri())
        .confirm(&executor(), payment_id(), ORDER, money("123.45"))
        .await
        .unwrap();
    assert!(matches!(status, ProviderStatus::Succeeded { .. }));
}

#[tokio::test]
async fn query_maps_every_order_status() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let paid_at = "2026-11-27T10:15:30Z".parse().unwrap();
    // (order status, its capture, expected); order `A{n}` is the n-th row.
    type Row<'a> = (&'a str, Option<(&'a str, &'a str)>, Option<ProviderStatus>);
    let rows: [Row; 10] = [
        ("CREATED", None, Some(ProviderStatus::Pending)),
        ("SAVED", None, Some(ProviderStatus::Pending)),
        ("PAYER_ACTION_REQUIRED", None, Some(ProviderStatus::Pending)),
        (
            "APPROVED",
            None,
            Some(ProviderStatus::WaitingForConfirmation),
        ),
        ("VOIDED", None, Some(ProviderStatus::Cancelled)),
        (
            "COMPLETED",
            Some(("COMPLETED", "123.45")),
            Some(ProviderStatus::Succeeded {
                paid_at: Some(paid_at),
            }),
        ),
        (
            "COMPLETED",
            Some(("PENDING", "123.45")),
            Some(ProviderStatus::Pending),
        ),
        (
            "COMPLETED",
            Some(("DECLINED", "123.45")),
            Some(ProviderStatus::Failed),
        ),
        ("COMPLETED", None, None),
        ("SOMETHING_NEW", None, None),
    ];
    let cases: Vec<(String, serde_json::Value, Option<ProviderStatus>)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (status, capture, expected))| {
            (format!("A{}", i + 1), order_json(status, capture), expected)
        })
        .collect();
    for (id, body, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/v2/checkout/orders/{id}")))
            .and(bearer_token("A21AAtoken"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
            .mount(&server)
            .await;
    }
    let gw = gateway(&server.uri());
    let http = executor();
    for (id, _, expected) in cases {
        let got = gw.query(&http, payment_id(), &id).await;
        assert_mapped(got, expected, &format!("order {id}"));
    }
    // An id that could escape the URL path is refused before any call.
    assert!(matches!(
        gw.query(&http, payment_id(), "../v1/x").await,
        Err(GatewayError::Config(_))
    ));
}

#[tokio::test]
async fn refund_refunds_the_completed_capture() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_json(
        &server,
        "GET",
        &format!("/v2/checkout/orders/{ORDER}"),
        200,
        order_json("COMPLETED", Some(("COMPLETED", "123.45"))),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v2/payments/captures/3C679366HH908993F/refund"))
        .and(header(
            "PayPal-Request-Id",
            format!("{PAYMENT}-refund-2000").as_str(),
        ))
        .and(body_partial_json(json!({
            "amount": {"currency_code": "PLN", "value": "20.00"},
            "note_to_payer": "Nadpłata"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "1JU08902781691411",
            "status": "COMPLETED"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = gateway(&server.uri())
        .refund(
            &executor(),
            payment_id(),
            ORDER,
            Money::from_zloty(20),
            "Nadpłata",
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RefundOutcome::Completed {
            provider_reference: "1JU08902781691411".into()
        }
    );
}

fn webhook_headers(transmission_id: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("PAYPAL-TRANSMISSION-ID", transmission_id),
        ("PAYPAL-TRANSMISSION-TIME", "2026-11-27T10:15:32Z"),
        ("PAYPAL-TRANSMISSION-SIG", "c2lnbmF0dXJl"),
        (
            "PAYPAL-CERT-URL",
            "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42",
        ),
        ("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
    ] {
        h.insert(k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn capture_event(event_type: &str) -> Vec<u8> {
    // Whitespace and key order as PayPal sent them: the body goes back verbatim.
    format!(
        r#"{{"id":"WH-58D329510W468432D-8HN650336L201105X","event_version":"1.0","create_time":"2026-11-27T10:15:32Z","resource_type":"capture","event_type":"{event_type}","summary":"Payment completed","resource":{{"id":"3C679366HH908993F","status":"COMPLETED","amount":{{"currency_code":"PLN","value":"123.45"}},"custom_id":"{PAYMENT}","create_time":"2026-11-27T10:15:30Z","supplementary_data":{{"related_ids":{{"order_id":"{ORDER}"}}}}}}}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn webhook_verification_success_and_failure() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let body = capture_event("PAYMENT.CAPTURE.COMPLETED");
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .and(bearer_token("A21AAtoken"))
        .and(body_partial_json(json!({
            "auth_algo": "SHA256withRSA",
            "cert_url": "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42",
            "transmission_id": "tx-good",
            "transmission_sig": "c2lnbmF0dXJl",
            "transmission_time": "2026-11-27T10:15:32Z",
            "webhook_id": "WH-ID-1",
            "webhook_event": event,
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"verification_status": "SUCCESS"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .and(body_partial_json(json!({"transmission_id": "tx-forged"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"verification_status": "FAILURE"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server.uri());
    let http = executor();
    assert!(
        gw.verify_webhook(&http, &webhook_headers("tx-good"), &body)
            .await
            .unwrap()
    );
    assert!(
        !gw.verify_webhook(&http, &webhook_headers("tx-forged"), &body)
            .await
            .unwrap()
    );
    // Without the transmission headers nothing is asked, and nothing is trusted.
    assert!(
        !gw.verify_webhook(&http, &HeaderMap::new(), &body)
            .await
            .unwrap()
    );
}

#[test]
fn notifications_are_read_and_mapped() {
    let gw = gateway("http://unused");
    let h = webhook_headers("tx");

    let n = gw
        .verify_notification(&h, &capture_event("PAYMENT.CAPTURE.COMPLETED"))
        .unwrap();
    assert_eq!(n.provider_reference, ORDER);
    assert_eq!(n.payment_id, Some(payment_id()));
    assert_eq!(n.amount, Some(money("123.45")));
    assert_eq!(n.dedupe_key, "WH-58D329510W468432D-8HN650336L201105X");
    assert_eq!(
        n.status,
        ProviderStatus::Succeeded {
            paid_at: Some("2026-11-27T10:15:30Z".parse().unwrap())
        }
    );

    let n = gw
        .verify_notification(&h, &capture_event("PAYMENT.CAPTURE.DENIED"))
        .unwrap();
    assert_eq!(n.status, ProviderStatus::Failed);

    let approved = json!({
        "id": "WH-APPROVED-1",
        "event_type": "CHECKOUT.ORDER.APPROVED",
        "resource": {
            "id": ORDER,
            "status": "APPROVED",
            "purchase_units": [{"custom_id": PAYMENT, "amount": {"currency_code": "PLN", "value": "123.45"}}]
        }
    });
    let n = gw
        .verify_notification(&h, &serde_json::to_vec(&approved).unwrap())
        .unwrap();
    assert_eq!(n.provider_reference, ORDER);
    assert_eq!(n.payment_id, Some(payment_id()));
    assert_eq!(n.status, ProviderStatus::WaitingForConfirmation);
    assert_eq!(n.dedupe_key, "WH-APPROVED-1");

    assert!(matches!(
        gw.verify_notification(&h, &capture_event("PAYMENT.CAPTURE.REFUNDED")),
        Err(GatewayError::UnexpectedResponse(_))
    ));
    assert!(matches!(
        gw.verify_notification(&h, b"not json"),
        Err(GatewayError::BadNotification(_))
    ));
    assert!(matches!(
        gw.verify_notification(
            &HeaderMap::new(),
            &capture_event("PAYMENT.CAPTURE.COMPLETED")
        ),
        Err(GatewayError::InvalidSignature)
    ));
}

#[tokio::test]
async fn a_rejected_token_is_renewed() {
    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/R1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_token",
            "error_description": "Token signature verification failed"
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_json(
        &server,
        "GET",
        "/v2/checkout/orders/R1",
        200,
        order_json("APPROVED", None),
    )
    .await;
    let gw = gateway(&server.uri());
    let http = executor();
    assert!(matches!(
        gw.query(&http, payment_id(), "R1").await,
        Err(GatewayError::Provider { status: 401, .. })
    ));
    assert_eq!(
        gw.query(&http, payment_id(), "R1").await.unwrap(),
        ProviderStatus::WaitingForConfirmation
    );
}

#[test]
fn debug_hides_the_secret() {
    let gw = gateway("https://api-m.sandbox.paypal.com");
    let shown = format!("{gw:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("client-id"));
}
