//! Helpers shared by the payments integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wspolnota_core::Money;
use wspolnota_payments::{GatewayError, HttpExecutor, PaymentRequest, ProviderStatus};

/// An HTTP executor, with the rustls ring provider installed first.
pub fn executor() -> HttpExecutor {
    let _ = rustls::crypto::ring::default_provider().install_default();
    HttpExecutor::new().expect("HTTP executor")
}

pub fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

pub fn money(s: &str) -> Money {
    Money::parse(s).expect("amount")
}

/// A Polish-language request with no payer details and no bank; tests fill in the rest.
pub fn request(
    payment_id: Uuid,
    amount: Money,
    description: &str,
    return_url: &str,
    notify_url: &str,
) -> PaymentRequest {
    PaymentRequest {
        payment_id,
        amount,
        description: description.to_owned(),
        payer_email: None,
        payer_name: None,
        payer_ip: None,
        bank: None,
        return_url: return_url.to_owned(),
        notify_url: notify_url.to_owned(),
        language: "pl".to_owned(),
    }
}

/// Answers `verb path` with `status` and a JSON body, with no other matchers.
pub async fn mount_json(server: &MockServer, verb: &str, at: &str, status: u16, body: Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

/// Asserts a `GatewayError::Provider` with exactly these fields.
pub fn assert_provider_error(err: GatewayError, status: u16, code: &str, message: &str) {
    match err {
        GatewayError::Provider {
            status: s,
            code: c,
            message: m,
        } => {
            assert_eq!(s, status);
            assert_eq!(c.as_deref(), Some(code));
            assert_eq!(m, message);
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// A status-mapping case: `Some` is the expected status, `None` an unexpected response.
pub fn assert_mapped(
    got: Result<ProviderStatus, GatewayError>,
    expected: Option<ProviderStatus>,
    label: &str,
) {
    match expected {
        Some(status) => assert_eq!(got.expect(label), status, "{label}"),
        None => assert!(
            matches!(got, Err(GatewayError::UnexpectedResponse(_))),
            "{label}: {got:?}"
        ),
    }
}
