//! Signing in and out, registering, e-mail verification and password reset.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wspolnota_auth::email_tokens::{link_base, token_link};
use wspolnota_auth::password::PolicyViolation;
use wspolnota_core::{AccountId, AppResult, ErrorCode};
use wspolnota_notify::account_mail::{AccountMail, ensure_available, send_account_mail};

use super::see_other;
use crate::csrf::new_token;
use crate::form::Fields;
use crate::layout::{Layout, Page, is_local_path};
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
    /// Where to go after signing in (a path of this site), when not "Moje należności".
    pub next: Option<String>,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub idp: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn next_path(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|p| is_local_path(p))
        .map(str::to_owned)
}

pub async fn login_form(page: Page, Query(q): Query<NextQuery>) -> Response {
    let next = next_path(q.next.as_deref());
    if page.ctx.account_id().is_some() {
        return see_other(next.as_deref().unwrap_or("/naleznosci"));
    }
    Login {
        layout: page.basic("Logowanie", "logowanie"),
        next,
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
    let next = next_path(Some(form.get("next")));
    match result {
        Ok(pair) => {
            let mut response = see_other(next.as_deref().unwrap_or("/naleznosci"));
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
                _ => return page.error_page(e).await,
            };
            let view = Login {
                layout: page.basic("Logowanie", "logowanie"),
                next,
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
    // Checked before the account exists, so that a refused link leaves nothing behind.
    let verify_base = match mail_link(&page, "/weryfikacja") {
        Ok(base) => base,
        Err(e) => return page.error_page(e).await,
    };
    if state.errors.is_empty() {
        match page
            .portal
            .auth
            .register(&page.ctx, &email, form.get("password"), &name)
            .await
        {
            Ok(account) => return registered(&page, account, &email, verify_base).await,
            Err(e) => match e.code() {
                ErrorCode::Conflict => state.push(
                    "email",
                    "Konto z tym adresem e-mail już istnieje. Zaloguj się albo zresetuj hasło.",
                ),
                ErrorCode::Validation => state.push(
                    "email",
                    "Nie udało się założyć konta z tymi danymi. Sprawdź je i spróbuj ponownie.",
                ),
                _ => return page.error_page(e).await,
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

/// A page of this municipality's portal for a link in an e-mail (None when the tenant does
/// not send e-mail): the address the resident uses now, checked to be the tenant's own.
fn mail_link(page: &Page, path: &str) -> AppResult<Option<url::Url>> {
    if ensure_available(&page.ctx).is_err() {
        return Ok(None);
    }
    let host = page
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let scheme = if page.portal.secure_cookies {
        "https"
    } else {
        "http"
    };
    link_base(
        &page.portal.registry,
        &page.ctx,
        "link",
        &format!("{scheme}://{host}{path}"),
    )
    .map(Some)
}

/// After registration: the confirmation link is mailed, and the sign-in page says so.
async fn registered(
    page: &Page,
    account: AccountId,
    email: &str,
    verify_base: Option<url::Url>,
) -> Response {
    let mut notice = "Konto zostało założone. Możesz się zalogować.".to_owned();
    if let Some(base) = verify_base {
        let sent = async {
            let token = page
                .portal
                .auth
                .issue_email_verification(&page.ctx, account)
                .await?;
            let link = token_link(&base, &token);
            send_account_mail(&page.ctx, email, AccountMail::VerifyEmail { link }).await
        }
        .await;
        match sent {
            Ok(()) => {
                notice = format!(
                    "Konto zostało założone. Na adres {email} wysłaliśmy wiadomość z linkiem \
                     potwierdzającym adres e-mail. Możesz się już zalogować."
                );
            }
            Err(e) => tracing::warn!(error = %e, "verification e-mail not sent"),
        }
    }
    Login {
        layout: page.basic("Logowanie", "logowanie"),
        next: None,
        email: email.to_owned(),
        error: None,
        notice: Some(notice),
        idp: idp_label(page),
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn message(page: &Page, title: &str, text: String, link: Option<(&str, &str)>) -> Message {
    Message {
        layout: page.basic(title, ""),
        message: text,
        link: link.map(|(h, t)| (h.to_owned(), t.to_owned())),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub token: String,
}

/// The link from the registration e-mail opens a page that confirms the address when the
/// resident presses its button: mail filters and link previews open links too (a GET), and
/// they must not confirm anything.
pub async fn verify_form(page: Page, Query(q): Query<TokenQuery>) -> Response {
    let token = q.token.trim();
    if token.is_empty() {
        return incomplete_link(&page);
    }
    VerifyPage {
        layout: page.basic("Potwierdzenie adresu e-mail", ""),
        token: token.to_owned(),
    }
    .into_response()
}

fn after_verify(page: &Page) -> (&'static str, &'static str) {
    if page.ctx.account_id().is_some() {
        ("/naleznosci", "Przejdź do swoich należności")
    } else {
        ("/logowanie", "Zaloguj się")
    }
}

fn incomplete_link(page: &Page) -> Response {
    let view = message(
        page,
        "Potwierdzenie adresu e-mail",
        "Link jest niepełny. Skopiuj cały adres z wiadomości e-mail.".to_owned(),
        Some(after_verify(page)),
    );
    (StatusCode::UNPROCESSABLE_ENTITY, view).into_response()
}

/// The button of [`verify_form`]: confirms the address.
pub async fn verify(page: Page, Query(q): Query<TokenQuery>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    // The form carries the token; a post to the link itself (`?token=`) works as well.
    let token = match form.get("token").trim() {
        "" => q.token.trim(),
        t => t,
    };
    let next = after_verify(&page);
    if token.is_empty() {
        return incomplete_link(&page);
    }
    match page.portal.auth.verify_email(&page.ctx, token).await {
        Ok(_) => message(
            &page,
            "Adres e-mail potwierdzony",
            "Dziękujemy, Twój adres e-mail został potwierdzony.".to_owned(),
            Some(next),
        )
        .into_response(),
        Err(e) if e.code() == ErrorCode::Validation || e.code() == ErrorCode::NotFound => {
            let view = message(
                &page,
                "Potwierdzenie adresu e-mail",
                "Ten link jest nieprawidłowy, został już użyty albo wygasł. Jeśli adres nie jest \
                 jeszcze potwierdzony, załóż konto ponownie lub skontaktuj się z urzędem."
                    .to_owned(),
                Some(next),
            );
            (StatusCode::UNPROCESSABLE_ENTITY, view).into_response()
        }
        Err(e) => page.error_page(e).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset.html")]
pub struct ResetRequest {
    pub layout: Layout,
    pub form: FormState,
}

pub async fn reset_form(page: Page) -> Response {
    ResetRequest {
        layout: page.basic("Nie pamiętasz hasła?", "reset"),
        form: FormState::default(),
    }
    .into_response()
}

pub async fn reset_request(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let email = form.get("email").trim().to_owned();
    let mut state = FormState {
        errors: Vec::new(),
        values: vec![("email", email.clone())],
    };
    if wspolnota_core::value::Email::parse(&email).is_err() {
        state.push(
            "email",
            "Podaj poprawny adres e-mail, np. jan.kowalski@example.pl.",
        );
    } else {
        let result = async {
            let Some(base) = mail_link(&page, "/reset-hasla/nowe")? else {
                return Err(wspolnota_core::AppError::not_found(
                    "this municipality does not send e-mail",
                ));
            };
            let issued = page
                .portal
                .auth
                .request_password_reset_from(&page.ctx, &email, &page.client)
                .await?;
            if let Some((_, token)) = issued {
                let link = token_link(&base, &token);
                send_account_mail(&page.ctx, &email, AccountMail::ResetPassword { link }).await?;
            }
            Ok(())
        }
        .await;
        match result {
            // The same answer whether or not there is such an account.
            Ok(()) => {
                let hours = page.portal.auth.settings().reset_ttl.num_hours().max(1);
                return message(
                    &page,
                    "Sprawdź skrzynkę e-mail",
                    format!(
                        "Jeśli w serwisie jest konto z adresem {email}, wysłaliśmy na nie link do \
                         ustawienia nowego hasła. Link jest ważny przez {hours} godz. i działa \
                         jeden raz."
                    ),
                    Some(("/logowanie", "Wróć do logowania")),
                )
                .into_response();
            }
            Err(e) if e.code() == ErrorCode::RateLimited => state.push(
                "email",
                "Zbyt wiele próśb o zmianę hasła. Spróbuj ponownie później.",
            ),
            Err(e) => return page.error_page(e).await,
        }
    }
    let view = ResetRequest {
        layout: page.basic("Nie pamiętasz hasła?", "reset"),
        form: state,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, view).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "new_password.html")]
pub struct NewPassword {
    pub layout: Layout,
    pub token: String,
    pub form: FormState,
    pub min_length: usize,
}

pub async fn new_password_form(page: Page, Query(q): Query<TokenQuery>) -> Response {
    NewPassword {
        layout: page.basic("Ustaw nowe hasło", "reset"),
        token: q.token.trim().to_owned(),
        form: FormState::default(),
        min_length: page.portal.auth.settings().policy.min_length,
    }
    .into_response()
}

/// The policy's verdict behind an error message of `AuthService::reset_password`.
fn violation_of(page: &Page, message: &str) -> Option<PolicyViolation> {
    let policy = &page.portal.auth.settings().policy;
    [
        PolicyViolation::TooShort {
            min: policy.min_length,
        },
        PolicyViolation::TooLong {
            max: policy.max_length,
        },
        PolicyViolation::ContainsEmail,
        PolicyViolation::ContainsName,
        PolicyViolation::RepeatedCharacter,
        PolicyViolation::TooCommon,
    ]
    .into_iter()
    .find(|v| v.to_string() == message)
}

pub async fn new_password(page: Page, Query(q): Query<TokenQuery>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    // The form carries the token; a post to the link itself (`?token=`) works as well.
    let token = match form.get("token").trim() {
        "" => q.token.trim().to_owned(),
        t => t.to_owned(),
    };
    let password = form.get("password");
    let mut state = FormState::default();
    if password.is_empty() {
        state.push("password", "Podaj nowe hasło.");
    }
    if password != form.get("password_confirm") {
        state.push("password_confirm", "Hasła nie są takie same.");
    }
    if token.is_empty() {
        state.push(
            "password",
            "Link jest niepełny. Skopiuj cały adres z wiadomości e-mail.",
        );
    }
    if state.errors.is_empty() {
        match page
            .portal
            .auth
            .reset_password(&page.ctx, &token, password)
            .await
        {
            Ok(_) => {
                let mut response = message(
                    &page,
                    "Hasło zmienione",
                    "Twoje hasło zostało zmienione, a wszystkie dotychczasowe sesje zakończone. \
                     Zaloguj się nowym hasłem."
                        .to_owned(),
                    Some(("/logowanie", "Zaloguj się")),
                )
                .into_response();
                append_cookies(&mut response, cleared_session(page.portal.secure_cookies));
                return response;
            }
            Err(e) if e.code() == ErrorCode::Validation => match violation_of(&page, e.message()) {
                Some(v) if e.field() == Some("newPassword") => {
                    state.push("password", policy_message(&v));
                }
                _ => state.push(
                    "password",
                    "Link do zmiany hasła jest nieprawidłowy, został już użyty albo wygasł. \
                         Poproś o nowy na stronie „Nie pamiętasz hasła?”.",
                ),
            },
            Err(e) if e.code() == ErrorCode::NotFound => state.push(
                "password",
                "Link do zmiany hasła jest nieprawidłowy albo wygasł. Poproś o nowy.",
            ),
            Err(e) => return page.error_page(e).await,
        }
    }
    let view = NewPassword {
        layout: page.basic("Ustaw nowe hasło", "reset"),
        token,
        form: state,
        min_length: page.portal.auth.settings().policy.min_length,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, view).into_response()
}
