//! The portal's pages. Handlers read the request as a [`crate::layout::Page`], call the
//! e-services' own functions and render a template; errors become Polish pages.

pub mod account;
pub mod auth;
pub mod consents;
pub mod party;
pub mod pay;
pub mod public;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Headers every portal response carries: no framing, no sniffing, no caching of pages that
/// show personal data.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'; object-src 'none'; base-uri 'self'"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// 303 See Other: after a form post, the browser GETs the next page.
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}
