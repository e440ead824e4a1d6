//! Paying from "Moje należności": the payments e-service starts the payment (amount with
//! interest to today, locks, the gateway's next step) and the portal sends the payer on; the
//! result page follows the payment's status.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ErrorCode, Money};
use wspolnota_finance::service::account;
use wspolnota_payments::GatewayKind;
use wspolnota_payments::config::parse_kind;
use wspolnota_payments::entity::payment;
use wspolnota_payments::service::start::{Action, StartInput, start as start_payment};
use wspolnota_payments::service::views::display_name;
use wspolnota_payments::service::{returned, views};
use wspolnota_payments::state::PaymentStatus;

use super::account::{
    SaldoView, TransferItem, TransferPage, render_obligations, saldo_view, svg_data_uri,
    transfer_config,
};
use super::see_other;
use crate::form::Fields;
use crate::format;
use crate::layout::{Layout, Page};

/// Where gateways send the payer back; the payments service fills in the id.
const RETURN_PATH: &str = "/platnosci/{paymentId}";

pub async fn start(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let result = async {
        page.ctx.require_account()?;
        let acting = page.acting().await?;
        let Some(party) = acting.active else {
            return Err(AppError::not_found("no party linked"));
        };
        let pay_all_due = form.get("action") == "pay_all_due";
        let mut installment_ids = Vec::new();
        if !pay_all_due {
            for raw in form.all("installment") {
                match Uuid::parse_str(raw.trim()) {
                    Ok(id) => installment_ids.push(id),
                    Err(_) => return refused(&page, "Wybrana rata nie istnieje. Odśwież stronę i wybierz ponownie.").await,
                }
            }
            if installment_ids.is_empty() {
                return refused(&page, "Zaznacz raty, które chcesz zapłacić, albo wybierz „Zapłać wszystko, co jest już wymagalne”.").await;
            }
        }
        let gateway = match form.get("gateway").trim() {
            "" => None,
            raw => match parse_kind(raw) {
                Some(kind) => Some(kind),
                None => return refused(&page, "Wybierz sposób płatności z listy.").await,
            },
        };
        let input = StartInput {
            installment_ids,
            pay_all_due,
            party_id: Some(party.id),
            gateway,
            bank: None,
            return_url: Some(RETURN_PATH.to_owned()),
            idempotency_key: Some(form.get("idempotency").trim().to_owned())
                .filter(|k| !k.is_empty()),
            payer_ip: Some(page.client.clone()),
        };
        let started = match start_payment(&page.portal.payments, &page.ctx, input).await {
            Ok(s) => s,
            Err(e) if e.code() == ErrorCode::Validation => {
                let message = match e.field() {
                    Some("payAllDue") => "Nic nie jest jeszcze wymagalne. Zaznacz raty, które chcesz zapłacić przed terminem.",
                    Some("gateway") => "Ten sposób płatności nie jest dostępny. Wybierz inny.",
                    _ => "Nie można zapłacić wybranych rat. Odśwież stronę i wybierz ponownie.",
                };
                return refused(&page, message).await;
            }
            Err(e) if e.code() == ErrorCode::Conflict => {
                return refused(&page, "Wybrana rata jest już opłacana w innej, niezakończonej płatności. Poczekaj, aż tamta się zakończy lub wygaśnie (do 30 minut).").await;
            }
            Err(e) => return Err(e),
        };
        let p = started.payment;
        next_step(&page, &p).await
    }
    .await;
    page.finish(result).await
}

async fn refused(page: &Page, message: &str) -> AppResult<Response> {
    render_obligations(page, Some(message.to_owned())).await
}

#[derive(Template, WebTemplate)]
#[template(path = "autopost.html")]
pub struct AutoPost {
    pub layout: Layout,
    pub url: String,
    pub fields: Vec<(String, String)>,
}

/// Sends the payer on: to the gateway, through a form the gateway expects, or to the transfer
/// details.
async fn next_step(page: &Page, p: &payment::Model) -> AppResult<Response> {
    match Action::of(p) {
        Some(Action::Redirect { url }) => {
            // The platform's own pages (the sandbox gateway) keep the browser on the address
            // it uses now (a custom host, a port).
            let origin = page.portal.payments.tenant_origin(&page.ctx)?;
            match url
                .strip_prefix(&origin)
                .filter(|rest| rest.starts_with('/'))
            {
                Some(path) => Ok(see_other(path)),
                None => Ok(see_other(&url)),
            }
        }
        Some(Action::Form { url, fields }) => {
            let (layout, _) = page.layout("Przejście do płatności", "naleznosci").await?;
            Ok(AutoPost {
                layout,
                url,
                fields,
            }
            .into_response())
        }
        Some(Action::Transfer {
            nrb,
            title,
            amount,
            qr_svg,
        }) => {
            let (layout, acting) = page.layout("Dane do przelewu", "przelew").await?;
            let cfg = transfer_config(page)?;
            let amount = Money::from_grosze(amount);
            let item = TransferItem {
                heading: "Przelew na rachunek urzędu".to_owned(),
                recipient: cfg.recipient_name,
                nrb: format::nrb(&nrb),
                title,
                amount: format::pln(amount),
                qr: qr_svg.as_deref().map(svg_data_uri),
            };
            Ok(TransferPage {
                layout,
                party: acting
                    .active
                    .map(|p| format!("{} (nr {})", p.name, p.number)),
                items: vec![item],
                payment_id: Some(p.id.to_string()),
            }
            .into_response())
        }
        None => Ok(see_other(&format!("/platnosci/{}", p.id))),
    }
}

/// The payer-facing words for a status.
pub fn status_label(status: &str) -> &'static str {
    match PaymentStatus::parse(status) {
        Some(PaymentStatus::Created | PaymentStatus::Started) => {
            "Płatność rozpoczęta — czekamy na jej wykonanie u operatora."
        }
        Some(PaymentStatus::Submitted) => "Czekamy na potwierdzenie płatności od operatora.",
        Some(PaymentStatus::Succeeded) => "Płatność przyjęta. Dziękujemy!",
        Some(PaymentStatus::Failed) => "Płatność została odrzucona.",
        Some(PaymentStatus::Cancelled) => "Płatność została anulowana.",
        Some(PaymentStatus::Expired) => "Czas na dokonanie płatności minął.",
        Some(PaymentStatus::Error) => "Wystąpił błąd bramki płatniczej.",
        None => "Nieznany status płatności.",
    }
}

fn is_final(status: &str) -> bool {
    PaymentStatus::parse(status).is_some_and(PaymentStatus::is_final)
}

#[derive(Template, WebTemplate)]
#[template(path = "payment.html")]
pub struct PaymentResult {
    pub layout: Layout,
    pub id: String,
    pub label: &'static str,
    pub is_final: bool,
    pub succeeded: bool,
    pub retry: bool,
    pub amount: String,
    pub description: String,
    pub gateway: String,
    pub transfer: bool,
    pub saldo: Option<SaldoView>,
}

fn payment_id(raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found("no such payment"))
}

pub async fn result(page: Page, Path(raw): Path<String>) -> Response {
    let result = async {
        page.ctx.require_account()?;
        let id = payment_id(&raw)?;
        // Only the payer's own payments (or a clerk's view): checked before anything else.
        let details = views::get(&page.ctx, id).await?;
        let mut p = details.payment;
        if !is_final(&p.status) && p.gateway != GatewayKind::Transfer.as_str() {
            // Back from the gateway: record the return and ask the provider at once.
            p = returned::returned(&page.portal.payments, &page.ctx, id).await?;
        }
        let (layout, _) = page.layout("Status płatności", "naleznosci").await?;
        let today = page.ctx.today();
        let data = account::load(&page.portal.finance, &page.ctx, Some(p.party_id)).await?;
        let status = PaymentStatus::parse(&p.status);
        let transfer = p.gateway == GatewayKind::Transfer.as_str();
        let label = if transfer && !is_final(&p.status) {
            "Czekamy na wpływ przelewu na rachunek urzędu."
        } else {
            status_label(&p.status)
        };
        Ok(PaymentResult {
            layout,
            id: p.id.to_string(),
            label,
            is_final: is_final(&p.status),
            succeeded: status == Some(PaymentStatus::Succeeded),
            retry: matches!(
                status,
                Some(
                    PaymentStatus::Failed
                        | PaymentStatus::Cancelled
                        | PaymentStatus::Expired
                        | PaymentStatus::Error
                )
            ),
            amount: format::pln(Money::from_grosze(p.amount)),
            description: p.description.clone(),
            gateway: display_name(&p.gateway).to_owned(),
            transfer,
            saldo: Some(saldo_view(&page, &data, today)?),
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}

/// `{"status": "succeeded", "label": "…", "final": true}` for the result page's script.
pub async fn status(page: Page, Path(raw): Path<String>) -> Response {
    let result = async {
        page.ctx.require_account()?;
        let id = payment_id(&raw)?;
        let p = views::get(&page.ctx, id).await?.payment;
        Ok::<_, AppError>(Json(serde_json::json!({
            "status": p.status,
            "label": status_label(&p.status),
            "final": is_final(&p.status),
        })))
    }
    .await;
    match result {
        Ok(json) => json.into_response(),
        Err(e) => e.into_response(),
    }
}
