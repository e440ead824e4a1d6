//! Signing in and out, registering, e-mail verification and password reset.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wspolnota_auth::password::PolicyViolation;
use wspolnota_core::ErrorCode;

use super::see_other;
use crate::csrf::new_token;
use crate::form::Fields;
use crate::layout::{Layout, Page};
use crate::session::{
    CSRF_COOKIE, PARTY_COOKIE, append_cookies, clear_cookie, cleared_session, session_cookies,
    set_cookie,
};

/// A form field's error, shown next to it and in the summary at the top.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Errors and the values to show again (never a password).
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub errors: Vec<FieldError>,
    pub values: Vec<(&'static str, String)>,
}

impl FormState {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| *k == field)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }
}

/// The identity provider's button label, when the tenant has one.
fn idp_label(page: &Page) -> Option<String> {
    page.ctx
        .tenant()
        .ok()
        .and_then(|t| t.config().identity_provider.as_ref())
        .map(|idp| idp.label.clone())
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct Login {
    pub layout: Layout,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub idp: Option<String>,
}

pub async fn login_form(page: Page) -> Response {
    if page.ctx.account_id().is_some() {
        return see_other("/naleznosci");
    }
    Login {
        layout: page.basic("Logowanie", "logowanie"),
        email: String::new(),
        error: None,
        notice: None,
        idp: idp_label(&page),
    }
    .into_response()
}

pub async fn login(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let email = form.get("email").trim().to_owned();
    let result = page
        .portal
        .auth
        .login(&page.ctx, &email, form.get("password"), &page.client)
        .await;
    match result {
        Ok(pair) => {
            let mut response = see_other("/naleznosci");
            let secure = page.portal.secure_cookies;
            let mut cookies = session_cookies(&pair, secure);
            // A new session gets a new form token, and starts with its default party.
            cookies.extend(set_cookie(CSRF_COOKIE, &new_token(), secure));
            cookies.extend(clear_cookie(PARTY_COOKIE, secure));
            append_cookies(&mut response, cookies);
            response
        }
        Err(e) => {
            let (status, message) = match e.code() {
                ErrorCode::RateLimited => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za kilka minut.",
                ),
                ErrorCode::Unauthenticated | ErrorCode::Validation => (
                    StatusCode::UNAUTHORIZED,
                    "Nieprawidłowy adres e-mail lub hasło.",
                ),
                _ => return page.error_page(e),
            };
            let view = Login {
                layout: page.basic("Logowanie", "logowanie"),
                email,
                error: Some(message.to_owned()),
                notice: None,
                idp: idp_label(&page),
            };
            (status, view).into_response()
        }
    }
}

pub async fn logout(page: Page) -> Response {
    if page.ctx.account_id().is_some()
        && let Err(e) = page.portal.auth.logout(&page.ctx).await
    {
        tracing::warn!(error = %e, "portal sign-out could not revoke the session");
    }
    let mut response = see_other("/");
    append_cookies(&mut response, cleared_session(page.portal.secure_cookies));
    response
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
pub struct Register {
    pub layout: Layout,
    pub form: FormState,
    pub min_length: usize,
}

pub async fn register_form(page: Page) -> Response {
    Register {
        layout: page.basic("Załóż konto", "rejestracja"),
        form: FormState::default(),
        min_length: page.portal.auth.settings().policy.min_length,
    }
    .into_response()
}

/// The password policy's verdict in Polish.
pub fn policy_message(v: &PolicyViolation) -> String {
    match v {
        PolicyViolation::TooShort { min } => format!("Hasło musi mieć co najmniej {min} znaków."),
        PolicyViolation::TooLong { max } => format!("Hasło może mieć najwyżej {max} znaków."),
        PolicyViolation::ContainsEmail => "Hasło nie może zawierać adresu e-mail.".to_owned(),
        PolicyViolation::ContainsName => {
            "Hasło nie może zawierać Twojego imienia ani nazwiska.".to_owned()
        }
        PolicyViolation::RepeatedCharacter => {
            "Hasło nie może składać się z jednego powtórzonego znaku.".to_owned()
        }
        PolicyViolation::TooCommon => {
            "To hasło jest zbyt popularne — wybierz trudniejsze do odgadnięcia.".to_owned()
        }
    }
}

/// Checks a new password and its confirmation, as registration and reset both need.
pub fn check_new_password(
    page: &Page,
    form: &Fields,
    email: &str,
    name: &str,
    state: &mut FormState,
) {
    let password = form.get("password");
    if password.is_empty() {
        state.push("password", "Podaj hasło.");
    } else if let Err(v) = page
        .portal
        .auth
        .settings()
        .policy
        .check(password, email, name)
    {
        state.push("password", policy_message(&v));
    }
    if password != form.get("password_confirm") {
        state.push("password_confirm", "Hasła nie są takie same.");
    }
}

pub async fn register(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let name = form.get("display_name").trim().to_owned();
    let email = form.get("email").trim().to_owned();
    let mut state = FormState {
        errors: Vec::new(),
        values: vec![("display_name", name.clone()), ("email", email.clone())],
    };
    if name.is_empty() || name.chars().count() > 200 {
        state.push("display_name", "Podaj imię i nazwisko (do 200 znaków).");
    }
    if wspolnota_core::value::Email::parse(&email).is_err() {
        state.push(
            "email",
            "Podaj poprawny adres e-mail, np. jan.kowalski@example.pl.",
        );
    }
    check_new_password(&page, &form, &email, &name, &mut state);
    if state.errors.is_empty() {
        match page
            .portal
            .auth
            .register(&page.ctx, &email, form.get("password"), &name)
            .await
        {
            Ok(account) => return registered(&page, account, &email).await,
            Err(e) => match e.code() {
                ErrorCode::Conflict => state.push(
                    "email",
                    "Konto z tym adresem e-mail już istnieje. Zaloguj się albo zresetuj hasło.",
                ),
                ErrorCode::Validation => state.push(
                    "email",
                    "Nie udało się założyć konta z tymi danymi. Sprawdź je i spróbuj ponownie.",
                ),
                _ => return page.error_page(e),
            },
        }
    }
    let view = Register {
        layout: page.basic("Załóż konto", "rejestracja"),
        form: state,
        min_length: page.portal.auth.settings().policy.min_length,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, view).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
pub struct Message {
    pub layout: Layout,
    pub message: String,
    pub link: Option<(String, String)>,
}

/// After registration: the sign-in page with a confirmation.
async fn registered(page: &Page, _account: wspolnota_core::AccountId, email: &str) -> Response {
    Login {
        layout: page.basic("Logowanie", "logowanie"),
        email: email.to_owned(),
        error: None,
        notice: Some("Konto zostało założone. Zaloguj się.".to_owned()),
        idp: idp_label(page),
    }
    .into_response()
}
