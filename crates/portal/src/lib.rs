//! The resident portal: server-rendered Polish pages on each tenant's host, for residents and
//! firms. It works without JavaScript (one small script follows a payment's status live) and
//! aims at WCAG 2.1 AA: landmarks, labels, visible focus, contrast ≥ 4.5:1, reflow at 200 %.
//!
//! - [`session`]: the signed-in session in HttpOnly cookies (the access and refresh tokens of
//!   `AuthService::login`); the server's middleware turns them into the request's `Ctx`.
//! - [`csrf`]: a token per browser, checked on every form post.
//! - [`pages`]: the handlers. They call the same services as the GraphQL API and hold no
//!   business rule; templates only format.

pub mod csrf;
pub mod form;
pub mod format;
pub mod layout;
pub mod pages;
pub mod session;
pub mod theme;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use wspolnota_auth::AuthService;
use wspolnota_finance::Finance;
use wspolnota_payments::Payments;

/// What the portal's handlers need; cheap to clone.
#[derive(Clone)]
pub struct Portal {
    pub auth: Arc<AuthService>,
    pub finance: Finance,
    pub payments: Payments,
    /// Served over https: session cookies get `Secure`.
    pub secure_cookies: bool,
    /// Every compiled-in e-service: (id, title residents see).
    pub eservices: Arc<Vec<(&'static str, &'static str)>>,
    /// To check that links mailed to residents point at their municipality's own host.
    pub registry: Arc<wspolnota_core::TenantRegistry>,
}

/// The paths of the portal's forms: the only POSTs the session cookie authorises (each one
/// CSRF-checked). Other routes accept the cookie for reading only.
pub const FORM_PATHS: [&str; 9] = [
    "/logowanie",
    "/wyloguj",
    "/rejestracja",
    "/reset-hasla",
    "/reset-hasla/nowe",
    "/powiaz",
    "/podmiot",
    "/platnosci",
    "/powiadomienia",
];

/// The client's address (for sign-in rate limits), put into the request by the server.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

/// The portal's routes. They expect the server's tenant middleware to have put the request's
/// `Ctx` (and [`ClientAddr`]) into the extensions.
pub fn router(portal: Portal) -> Router {
    Router::new()
        .route("/", get(pages::public::home))
        .route("/deklaracja-dostepnosci", get(pages::public::accessibility))
        .route("/herb.svg", get(pages::public::coat_of_arms))
        .route("/static/portal.css", get(pages::public::stylesheet))
        .route("/static/motyw.css", get(pages::public::theme_css))
        .route("/static/platnosc.js", get(pages::public::status_script))
        .route(
            "/logowanie",
            get(pages::auth::login_form).post(pages::auth::login),
        )
        .route("/wyloguj", post(pages::auth::logout))
        .route(
            "/rejestracja",
            get(pages::auth::register_form).post(pages::auth::register),
        )
        .route(
            "/powiaz",
            get(pages::party::link_form).post(pages::party::link),
        )
        .route(
            "/weryfikacja",
            get(pages::auth::verify_form).post(pages::auth::verify),
        )
        .route(
            "/reset-hasla",
            get(pages::auth::reset_form).post(pages::auth::reset_request),
        )
        .route(
            "/reset-hasla/nowe",
            get(pages::auth::new_password_form).post(pages::auth::new_password),
        )
        .route("/podmiot", post(pages::party::switch))
        .route("/naleznosci", get(pages::account::obligations))
        .route("/historia", get(pages::account::history))
        .route("/przelew", get(pages::account::transfer))
        .route("/platnosci", post(pages::pay::start))
        .route("/platnosci/{id}", get(pages::pay::result))
        .route("/platnosci/{id}/status", get(pages::pay::status))
        .route(
            "/powiadomienia",
            get(pages::consents::form).post(pages::consents::save),
        )
        .layer(middleware::from_fn_with_state(
            portal.clone(),
            csrf::protect,
        ))
        .layer(middleware::from_fn(pages::security_headers))
        .layer(axum::Extension(portal))
}
