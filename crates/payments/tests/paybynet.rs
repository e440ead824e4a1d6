//! KIR Paybynet (reconstructed protocol) against a wiremock SOAP status service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, TimeZone, Utc};
use http::HeaderMap;
use support::{assert_mapped, executor};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wspolnota_core::Money;
use wspolnota_payments::gateways::paybynet::{
    Paybynet, PaybynetConfig, PaybynetPayee, PaybynetTransaction, id_trans, parse_trigger,
};
use wspolnota_payments::{
    GatewayError, NextAction, PaymentGateway, PaymentRequest, ProviderStatus,
};

/// base64 of the fragments below plus `<hash>` = SHA-1 of fragments + `<password>tajne</password>`
/// (computed once, independently of this crate).
const HASHTRANS: &str = "PGlkX2NsaWVudD41MjYwMjUwMjc0PC9pZF9jbGllbnQ+PGlkX3RyYW5zPjAwMDAwMDAxMjM8L2lkX3RyYW5zPjxkYXRlX3ZhbGlkPjAxLTEyLTIwMjYgMTI6MDA6MDA8L2RhdGVfdmFsaWQ+PGFtb3VudD4xMjMsNDU8L2Ftb3VudD48Y3VycmVuY3k+UExOPC9jdXJyZW5jeT48ZW1haWw+amFuQGV4YW1wbGUucGw8L2VtYWlsPjxhY2NvdW50PjYxMTA5MDEwMTQwMDAwMDcxMjE5ODEyODc0PC9hY2NvdW50PjxhY2NuYW1lPkdtaW5hIFByenlrxYJhZG93YV5OTV4wMC0wMDFeWlBeV2Fyc3phd2FeQ0leUnluZWsgMV5TVF5Qb2xza2FeQ1RePC9hY2NuYW1lPjxiYWNrcGFnZT5odHRwczovL3dzcG9sbm90YS5leGFtcGxlL3JldHVybjwvYmFja3BhZ2U+PGJhY2twYWdlcmVqZWN0Pmh0dHBzOi8vd3Nwb2xub3RhLmV4YW1wbGUvcmV0dXJuPC9iYWNrcGFnZXJlamVjdD48aGFzaD4yNGZjNDE2OTY5MTk0OTZlYjQ1MmYyZmVjYjYyNGNlNTFkZjI4MzRlPC9oYXNoPg==";

fn gateway(status_url: &str) -> Paybynet {
    Paybynet::new(PaybynetConfig {
        form_url: "https://pbn.paybynet.com.pl/PayByNetT/trans.do".to_owned(),
        merchant_id: "5260250274".to_owned(),
        key: "tajne".to_owned(),
        status_url: status_url.to_owned(),
        account: "61109010140000071219812874".to_owned(),
        payee: PaybynetPayee {
            name: "Gmina Przykładowa".to_owned(),
            postcode: "00-001".to_owned(),
            city: "Warszawa".to_owned(),
            street: "Rynek 1".to_owned(),
            country: "Polska".to_owned(),
        },
        valid_for: Duration::hours(24),
    })
}

fn request() -> PaymentRequest {
    PaymentRequest {
        payer_email: Some("jan@example.pl".to_owned()),
        bank: Some("15".to_owned()),
        ..support::request(
            support::uuid("00000000-0000-0000-0000-000000000001"),
            Money::from_grosze(12345),
            "Opłata za odpady",
            "https://wspolnota.example/return",
            "https://wspolnota.example/notify/paybynet",
        )
    }
}

#[test]
fn hashtrans_vector() {
    let tx = PaybynetTransaction {
        id_trans: "0000000123",
        date_valid: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
        amount: Money::from_grosze(12345),
        email: "jan@example.pl",
        backpage: "https://wspolnota.example/return",
        backpagereject: "https://wspolnota.example/return",
    };
    assert_eq!(gateway("http://unused").hashtrans(&tx).unwrap(), HASHTRANS);
}

#[test]
fn debug_hides_the_key() {
    assert!(!format!("{:?}", gateway("http://unused")).contains("tajne"));
}

#[tokio::test]
async fn create_posts_the_form() {
    let next = gateway("http://unused")
        .create(&executor(), &request())
        .await
        .unwrap();
    let NextAction::PostForm {
        url,
        fields,
        provider_reference,
    } = next
    else {
        panic!("expected a form");
    };
    assert_eq!(url, "https://pbn.paybynet.com.pl/PayByNetT/trans.do");
    assert_eq!(provider_reference.as_deref(), Some("0000000001"));
    assert_eq!(id_trans(request().payment_id), "0000000001");
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].0, "hashtrans");
    assert_eq!(fields[1], ("idbank".to_owned(), "15".to_owned()));
    let plain = String::from_utf8(STANDARD.decode(&fields[0].1).unwrap()).unwrap();
    assert!(plain.starts_with("<id_client>5260250274</id_client><id_trans>0000000001</id_trans>"));
    assert!(plain.contains("<amount>123,45</amount><currency>PLN</currency>"));
    assert!(!plain.contains("tajne"), "the key is hashed, never sent");
    assert!(plain.ends_with("</hash>"));
}

#[test]
fn notifications_are_only_triggers() {
    let gw = gateway("http://unused");
    assert!(matches!(
        gw.verify_notification(&HeaderMap::new(), b"paymentId=0000000001&newStatus=2203"),
        Err(GatewayError::FlowNotSupported { .. })
    ));
    assert_eq!(
        parse_trigger(b"paymentId=0000000001&newStatus=2203").as_deref(),
        Some("0000000001")
    );
    assert_eq!(parse_trigger(b"paymentId=1%3Cx&newStatus=2203"), None);
}

fn soap_answer(code: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soapenv:Envelope \
         xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
         <ns1:getStatusByPaymentIDResponse xmlns:ns1=\"urn:pbn\">\
         <getStatusByPaymentIDReturn xsi:type=\"xsd:string\">{code}</getStatusByPaymentIDReturn>\
         </ns1:getStatusByPaymentIDResponse></soapenv:Body></soapenv:Envelope>"
    )
}

#[tokio::test]
async fn query_maps_statuses() {
    let cases = [
        (2203, Some(ProviderStatus::Succeeded { paid_at: None })),
        (2303, Some(ProviderStatus::Succeeded { paid_at: None })),
        (2202, Some(ProviderStatus::Failed)),
        (2301, Some(ProviderStatus::Expired)),
        (1005, Some(ProviderStatus::Failed)),
        (9999, None),
    ];
    for (code, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/axist/services/PBNTransactionsGetStatus"))
            .and(body_string_contains("<paymentId>0000000001</paymentId>"))
            .and(body_string_contains("<id_client>5260250274</id_client>"))
            .respond_with(ResponseTemplate::new(200).set_body_string(soap_answer(code)))
            .mount(&server)
            .await;
        let got = gateway(&format!(
            "{}/axist/services/PBNTransactionsGetStatus",
            server.uri()
        ))
        .query(&executor(), request().payment_id, "0000000001")
        .await;
        assert_mapped(got, expected, &format!("code {code}"));
    }
}

#[tokio::test]
async fn query_fault_and_refund() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("<fault/>"))
        .mount(&server)
        .await;
    let gw = gateway(&server.uri());
    assert!(matches!(
        gw.query(&executor(), request().payment_id, "0000000001")
            .await,
        Err(GatewayError::Provider { status: 400, .. })
    ));
    assert!(matches!(
        gw.refund(
            &executor(),
            request().payment_id,
            "0000000001",
            Money::from_grosze(1),
            "x"
        )
        .await,
        Err(GatewayError::FlowNotSupported { .. })
    ));
}
