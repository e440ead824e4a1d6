//! Linking a party with the access code from its tax decision, and choosing the party the
//! resident acts for.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use wspolnota_core::{AppError, ErrorCode};
use wspolnota_finance::service::parties;

use super::auth::FormState;
use super::see_other;
use crate::form::Fields;
use crate::layout::{Layout, Page};
use crate::session::{PARTY_COOKIE, append_cookies, set_cookie};

#[derive(Template, WebTemplate)]
#[template(path = "link.html")]
pub struct Link {
    pub layout: Layout,
    pub form: FormState,
    pub linked: Vec<String>,
}

pub async fn link_form(page: Page) -> Response {
    let result = async {
        let (layout, acting) = page.layout("Powiąż podmiot", "powiaz").await?;
        Ok(Link {
            layout,
            form: FormState::default(),
            linked: acting
                .parties
                .iter()
                .map(|p| format!("{} (nr {})", p.name, p.number))
                .collect(),
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}

pub async fn link(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let result = async {
        page.ctx.require_account()?;
        let number_raw = form.get("party_number").trim().to_owned();
        let code = form.get("access_code").trim().to_owned();
        let mut state = FormState {
            errors: Vec::new(),
            values: vec![("party_number", number_raw.clone())],
        };
        let number = number_raw.parse::<i64>().ok().filter(|n| *n > 0);
        if number.is_none() {
            state.push(
                "party_number",
                "Podaj numer podatnika z decyzji (same cyfry).",
            );
        }
        if code.is_empty() {
            state.push("access_code", "Podaj kod dostępu z decyzji.");
        }
        if let Some(number) = number.filter(|_| state.errors.is_empty()) {
            match parties::redeem_access_code(&page.ctx, number, &code).await {
                Ok(p) => {
                    let mut response = see_other("/naleznosci");
                    append_cookies(
                        &mut response,
                        set_cookie(PARTY_COOKIE, &p.id.to_string(), page.portal.secure_cookies)
                            .into_iter()
                            .collect(),
                    );
                    return Ok(response);
                }
                Err(e) if e.code() == ErrorCode::Validation => state.push(
                    "access_code",
                    "Numer podatnika lub kod dostępu jest błędny albo kod wygasł.",
                ),
                Err(e) if e.code() == ErrorCode::RateLimited => state.push(
                    "access_code",
                    "Zbyt wiele prób. Spróbuj ponownie za godzinę.",
                ),
                Err(e) => return Err(e),
            }
        }
        let (layout, acting) = page.layout("Powiąż podmiot", "powiaz").await?;
        let view = Link {
            layout,
            form: state,
            linked: acting
                .parties
                .iter()
                .map(|p| format!("{} (nr {})", p.name, p.number))
                .collect(),
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response())
    }
    .await;
    page.finish(result).await
}

/// Chooses the party to act for: only one of the account's own.
pub async fn switch(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let result = async {
        let acting = page.acting().await?;
        let chosen = Uuid::parse_str(form.get("party_id").trim())
            .ok()
            .and_then(|id| acting.parties.iter().find(|p| p.id == id))
            .ok_or_else(|| AppError::not_found("no such party among yours"))?;
        let mut response = see_other("/naleznosci");
        append_cookies(
            &mut response,
            set_cookie(
                PARTY_COOKIE,
                &chosen.id.to_string(),
                page.portal.secure_cookies,
            )
            .into_iter()
            .collect(),
        );
        Ok(response)
    }
    .await;
    page.finish(result).await
}
