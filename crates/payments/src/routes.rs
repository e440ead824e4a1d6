//! The payments e-service's HTTP routes on tenant hosts:
//!
//! - `POST /payments/notify/{gateway}`: gateway notifications, verified on the raw body,
//!   stored, answered at once with 200 and processed in the background.
//! - `GET|POST /payments/sandbox/{id}`: the sandbox gateway's page; a POST with the form field
//!   `decision=approve|decline|abandon` does what its buttons do.
//! - `GET /payments/{id}/receipt`: the payer's printable receipt (bearer token).
//! - `GET /payments/{id}/return`: where gateways send the payer back by default; asks the
//!   provider at once and says how the payment stands (the id, a random UUID, is the key).

use axum::body::Bytes;
use axum::extract::{Form, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx};

use crate::config::parse_kind;
use crate::gateways::sandbox::Decision;
use crate::receipt::{escape_html, format_pln};
use crate::service::inbox::{self, Received};
use crate::service::{Payments, returned, sandbox, views};
use crate::state::PaymentStatus;
use crate::{receipt, sandbox_page};

pub const ID_: &str = "payments";

pub fn router(pay: Payments) -> Router {
    Router::new()
        .route("/payments/notify/{gateway}", post(notify))
        .route(
            "/payments/sandbox/{id}",
            get(sandbox_show).post(sandbox_decide),
        )
        .route("/payments/{id}/receipt", get(receipt_page))
        .route("/payments/{id}/return", get(return_page))
        .layer(Extension(pay))
}

/// The routes exist only where the tenant enabled payments.
fn enabled(ctx: &Ctx) -> AppResult<()> {
    if ctx.tenant()?.has_eservice(ID_) {
        Ok(())
    } else {
        Err(AppError::not_found("no such page"))
    }
}

/// A page, or the error in the catalogue's shape.
fn html(page: AppResult<String>) -> Response {
    match page {
        Ok(page) => Html(page).into_response(),
        Err(e) => e.into_response(),
    }
}

fn payment_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found("no such payment"))
}

async fn notify(
    Extension(pay): Extension<Payments>,
    Extension(ctx): Extension<Ctx>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        enabled(&ctx)?;
        let kind = parse_kind(&gateway).ok_or_else(|| AppError::not_found("no such gateway"))?;
        inbox::receive(&pay, &ctx, kind, &headers, &body).await
    }
    .await;
    match result {
        Ok(Received::New(id)) => {
            let task_ctx = ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = inbox::process(&pay, &task_ctx, id).await {
                    // The sweeper retries what is left in the inbox.
                    tracing::warn!(inbox = %id, error = %e, "notification processing deferred");
                }
            });
            (StatusCode::OK, "OK").into_response()
        }
        Ok(Received::Replay(_)) => (StatusCode::OK, "OK").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn sandbox_show(
    Extension(pay): Extension<Payments>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        enabled(&ctx)?;
        sandbox::page(&pay, &ctx, payment_id(&id)?).await
    }
    .await;
    html(result.map(|page| sandbox_page::render(&page)))
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn sandbox_decide(
    Extension(pay): Extension<Payments>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let result = async {
        enabled(&ctx)?;
        let id = payment_id(&id)?;
        let decision = Decision::parse(form.decision.trim()).ok_or_else(|| {
            AppError::validation("decision", "must be approve, decline or abandon")
        })?;
        sandbox::decide(&pay, &ctx, id, decision).await?;
        sandbox::page(&pay, &ctx, id).await
    }
    .await;
    html(result.map(|page| sandbox_page::render(&page)))
}

async fn receipt_page(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Response {
    let result = async {
        enabled(&ctx)?;
        views::receipt(&ctx, payment_id(&id)?).await
    }
    .await;
    html(result.map(|r| receipt::render_html(&r)))
}

async fn return_page(
    Extension(pay): Extension<Payments>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        enabled(&ctx)?;
        returned::returned(&pay, &ctx, payment_id(&id)?).await
    }
    .await;
    html(result.map(|p| return_html(&ctx, &p)))
}

/// A plain page for the payer; the resident portal shows the same with its own layout.
fn return_html(ctx: &Ctx, p: &crate::entity::payment::Model) -> String {
    let tenant = ctx
        .tenant()
        .map(|t| t.config().name.clone())
        .unwrap_or_default();
    let message = match PaymentStatus::parse(&p.status) {
        Some(PaymentStatus::Succeeded) => "Płatność została przyjęta. Dziękujemy.",
        Some(PaymentStatus::Failed) => "Płatność została odrzucona. Możesz spróbować ponownie.",
        Some(PaymentStatus::Cancelled) => "Płatność została anulowana.",
        Some(PaymentStatus::Expired) => "Czas na dokonanie płatności minął.",
        Some(PaymentStatus::Error) => "Wystąpił błąd bramki płatniczej. Spróbuj ponownie później.",
        _ => "Czekamy na potwierdzenie płatności od operatora. Odśwież stronę za chwilę.",
    };
    format!(
        "<!doctype html><html lang=\"pl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Status płatności — {tenant}</title></head><body><main>\
         <h1>Status płatności</h1><p role=\"status\">{message}</p>\
         <p>Kwota: {amount}</p></main></body></html>",
        tenant = escape_html(&tenant),
        amount = format_pln(wspolnota_core::Money::from_grosze(p.amount)),
    )
}
