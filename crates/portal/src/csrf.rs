//! CSRF protection for the portal's forms: each browser gets a random token in an HttpOnly,
//! SameSite=Lax cookie; every form carries it in the hidden field `csrf`, and a POST whose
//! field does not match the cookie (or whose `Origin` is another site) is refused with 403
//! before any handler runs. Sign-in issues a new token.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::Portal;
use crate::form::Fields;
use crate::session::{CSRF_COOKIE, cookie, set_cookie};

/// The request's CSRF token, for the forms its page renders.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Form posts are small; anything larger is not one of ours.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A cross-site `Origin` (when the browser sends one) never posts to the portal.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    url::Url::parse(origin).is_ok_and(|u| {
        let origin_host = match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => return false,
        };
        origin_host.eq_ignore_ascii_case(host)
    })
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::response::Html(
            "<!doctype html><html lang=\"pl\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Formularz wygasł</title></head><body><main>\
             <h1>Formularz wygasł lub pochodzi z innej strony</h1>\
             <p role=\"alert\">Ze względów bezpieczeństwa nie przyjęliśmy tego formularza. \
             Wróć do poprzedniej strony, odśwież ją i wyślij formularz ponownie.</p>\
             <p><a href=\"/\">Strona główna</a></p></main></body></html>",
        ),
    )
        .into_response()
}

/// The middleware: sets the token cookie on first visit, checks it on every POST.
pub async fn protect(State(portal): State<Portal>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| well_formed(t))
        .map(str::to_owned);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (new_token(), true),
    };
    let mut req = req;
    if req.method() == Method::POST {
        if fresh || !same_origin(req.headers()) {
            return refused();
        }
        let (parts, body) = req.into_parts();
        let bytes: Bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        let sent = Fields::parse(&bytes).get("csrf").to_owned();
        if !bool::from(sent.as_bytes().ct_eq(token.as_bytes())) {
            return refused();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if fresh
        && !response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|c| {
                c.to_str()
                    .is_ok_and(|c| c.starts_with(&format!("{CSRF_COOKIE}=")))
            })
        && let Some(c) = set_cookie(CSRF_COOKIE, &token, portal.secure_cookies)
    {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{new_token, same_origin, well_formed};

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_str(host).unwrap_or(HeaderValue::from_static("")),
        );
        if let Some(o) = origin {
            h.insert(
                header::ORIGIN,
                HeaderValue::from_str(o).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn tokens_are_random_and_well_formed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b));
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}!", &a[..42])));
    }

    #[test]
    fn only_a_foreign_origin_is_refused() {
        assert!(same_origin(&headers("zamosc.localhost:8080", None)));
        assert!(same_origin(&headers(
            "zamosc.localhost:8080",
            Some("http://zamosc.localhost:8080")
        )));
        assert!(!same_origin(&headers(
            "zamosc.localhost:8080",
            Some("http://kurow.localhost:8080")
        )));
        assert!(!same_origin(&headers(
            "zamosc.localhost",
            Some("https://evil.example")
        )));
        assert!(!same_origin(&headers("zamosc.localhost", Some("null"))));
    }
}
