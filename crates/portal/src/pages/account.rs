//! "Moje należności", the account history and the transfer details of the party the resident
//! acts for. Everything is read through the finance e-service's account view, as the GraphQL
//! `finance.account` resolver reads it.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use uuid::Uuid;
use wspolnota_core::value::Nrb;
use wspolnota_core::{AppError, AppResult, Money};
use wspolnota_finance::service::account::{self, AccountData, InstallmentStatus};
use wspolnota_payments::NextAction;
use wspolnota_payments::config::GatewaySettings;
use wspolnota_payments::gateways::transfer::{TransferConfig, transfer_details};
use wspolnota_payments::service::views::display_name;

use crate::format;
use crate::layout::{Layout, Page};

/// What the party owes today in one figure: principal, interest to today and dunning costs,
/// less any overpayment.
pub fn saldo(page: &Page, data: &AccountData, today: NaiveDate) -> Money {
    let b = data.balance(&page.portal.finance, today);
    b.outstanding + b.interest + b.costs - b.overpayment
}

/// The balance as the pages show it (id="saldo"), with its value in grosze for machines.
#[derive(Debug, Clone)]
pub struct SaldoView {
    pub text: String,
    pub grosze: i64,
    pub costs: Option<String>,
    pub overpayment: Option<String>,
}

pub fn saldo_view(page: &Page, data: &AccountData, today: NaiveDate) -> AppResult<SaldoView> {
    let b = data.balance(&page.portal.finance, today);
    let total = saldo(page, data, today);
    Ok(SaldoView {
        text: format::pln(total),
        grosze: total.to_grosze().map_err(AppError::internal)?,
        costs: b.costs.is_positive().then(|| format::pln(b.costs)),
        overpayment: b
            .overpayment
            .is_positive()
            .then(|| format::pln(b.overpayment)),
    })
}

/// One installment row of "Moje należności".
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub obligation: String,
    /// The decision's number, to quote in a transfer's title.
    pub reference: Option<String>,
    pub number: i32,
    pub due_date: String,
    pub outstanding: String,
    pub interest: String,
    pub total: String,
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct GatewayChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "obligations.html")]
pub struct Obligations {
    pub layout: Layout,
    pub party: Option<String>,
    pub rows: Vec<Row>,
    pub saldo: Option<SaldoView>,
    pub gateways: Vec<GatewayChoice>,
    pub today: String,
    pub error: Option<String>,
    pub idempotency: String,
}

/// The account of the party the resident acts for, or None when no party is linked yet.
pub async fn active_account(page: &Page) -> AppResult<(Layout, Option<AccountData>)> {
    page.ctx.require_account()?;
    let (layout, acting) = page.layout("", "").await?;
    let data = match &acting.active {
        Some(p) => Some(account::load(&page.portal.finance, &page.ctx, Some(p.id)).await?),
        None => None,
    };
    Ok((layout, data))
}

fn gateways(page: &Page) -> AppResult<Vec<GatewayChoice>> {
    let config = page.portal.payments.config(&page.ctx)?;
    let default = config.default;
    Ok(config
        .gateways
        .iter()
        .map(|g| {
            let kind = g.kind();
            GatewayChoice {
                value: kind.as_str(),
                label: display_name(kind.as_str()),
                checked: Some(kind) == default,
            }
        })
        .collect())
}

/// Renders "Moje należności", with `error` above the form after a refused payment request.
pub async fn render_obligations(page: &Page, error: Option<String>) -> AppResult<Response> {
    let (mut layout, data) = active_account(page).await?;
    layout.title = "Moje należności".to_owned();
    layout.current = "naleznosci";
    let today = page.ctx.today();
    let (party, rows, saldo) = match &data {
        Some(data) => {
            let rows = data
                .obligations(&page.portal.finance, today, Some(true))
                .into_iter()
                .flat_map(|o| {
                    let name = o.title.clone();
                    let reference = o.reference.clone();
                    o.installments
                        .into_iter()
                        .filter(|i| i.outstanding.is_positive())
                        .map(move |i| Row {
                            id: i.id.to_string(),
                            obligation: name.clone(),
                            reference: reference.clone(),
                            number: i.number,
                            due_date: format::date(i.due_date),
                            outstanding: format::pln(i.outstanding),
                            interest: format::pln(i.interest),
                            total: format::pln(i.outstanding + i.interest),
                            overdue: i.status == InstallmentStatus::Overdue,
                        })
                })
                .collect();
            (
                Some(format!("{} (nr {})", data.party.name, data.party.number)),
                rows,
                Some(saldo_view(page, data, today)?),
            )
        }
        None => (None, Vec::new(), None),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = Obligations {
        layout,
        party,
        rows,
        saldo,
        gateways: gateways(page)?,
        today: format::date(today),
        error,
        idempotency: Uuid::new_v4().to_string(),
    };
    Ok((status, view).into_response())
}

pub async fn obligations(page: Page) -> Response {
    let result = render_obligations(&page, None).await;
    page.finish(result).await
}

#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub date: String,
    pub description: String,
    pub amount: String,
    pub balance_after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
pub struct History {
    pub layout: Layout,
    pub party: Option<String>,
    pub rows: Vec<HistoryRow>,
    pub saldo: Option<SaldoView>,
}

pub async fn history(page: Page) -> Response {
    let result = async {
        let (mut layout, data) = active_account(&page).await?;
        layout.title = "Historia konta".to_owned();
        layout.current = "historia";
        let today = page.ctx.today();
        let (party, rows, saldo) = match &data {
            Some(data) => {
                let items = account::history(&page.portal.finance, &page.ctx, &data.party).await?;
                // Newest first: what residents look for.
                let rows = items
                    .into_iter()
                    .rev()
                    .map(|h| HistoryRow {
                        date: format::date(h.date),
                        description: h.description,
                        amount: format::pln(h.amount),
                        balance_after: format::pln(h.balance_after),
                    })
                    .collect();
                (
                    Some(format!("{} (nr {})", data.party.name, data.party.number)),
                    rows,
                    Some(saldo_view(&page, data, today)?),
                )
            }
            None => (None, Vec::new(), None),
        };
        Ok(History {
            layout,
            party,
            rows,
            saldo,
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}

/// Transfer details as the page shows them.
#[derive(Debug, Clone)]
pub struct TransferItem {
    pub heading: String,
    pub recipient: String,
    pub nrb: String,
    pub title: String,
    pub amount: String,
    /// The ZBP transfer code as an `<img>` source.
    pub qr: Option<String>,
}

impl TransferItem {
    /// From the payments e-service's transfer instructions.
    pub fn from_action(heading: String, recipient: &str, next: &NextAction) -> Option<Self> {
        let NextAction::Transfer {
            nrb,
            title,
            amount,
            qr_svg,
        } = next
        else {
            return None;
        };
        Some(Self {
            heading,
            recipient: recipient.to_owned(),
            nrb: format::nrb(nrb.as_str()),
            title: title.clone(),
            amount: format::pln(*amount),
            qr: qr_svg.as_deref().map(svg_data_uri),
        })
    }
}

pub fn svg_data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg.as_bytes())
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "transfer.html")]
pub struct TransferPage {
    pub layout: Layout,
    pub party: Option<String>,
    pub items: Vec<TransferItem>,
    pub payment_id: Option<String>,
}

/// Who receives transfers: the transfer gateway's settings, else the office itself.
pub fn transfer_config(page: &Page) -> AppResult<TransferConfig> {
    let tenant = page.ctx.tenant()?;
    let config = page.portal.payments.config(&page.ctx)?;
    let from_gateway = config.gateways.iter().find_map(|g| match &g.settings {
        GatewaySettings::Transfer(t) => Some(TransferConfig {
            recipient_name: t.recipient_name.clone(),
            recipient_nip: t.recipient_nip.clone(),
        }),
        _ => None,
    });
    Ok(from_gateway.unwrap_or_else(|| TransferConfig {
        recipient_name: tenant.config().name.clone(),
        recipient_nip: tenant.config().nip.clone(),
    }))
}

pub async fn transfer(page: Page) -> Response {
    let result = async {
        let (mut layout, data) = active_account(&page).await?;
        layout.title = "Dane do przelewu".to_owned();
        layout.current = "przelew";
        let today = page.ctx.today();
        let cfg = transfer_config(&page)?;
        let mut items = Vec::new();
        let mut party = None;
        if let Some(data) = &data {
            party = Some(format!("{} (nr {})", data.party.name, data.party.number));
            let obligations = data.obligations(&page.portal.finance, today, Some(true));
            for va in &data.virtual_accounts {
                let mine: Vec<_> = obligations
                    .iter()
                    .filter(|o| o.kind == va.kind_code)
                    .collect();
                let installments = mine.iter().flat_map(|o| o.installments.iter());
                let due: Money = installments
                    .clone()
                    .filter(|i| i.outstanding.is_positive() && i.due_date <= today)
                    .map(|i| i.outstanding + i.interest)
                    .sum();
                // Nothing due yet: the next installment.
                let amount = if due.is_positive() {
                    due
                } else {
                    installments
                        .filter(|i| i.outstanding.is_positive())
                        .min_by_key(|i| i.due_date)
                        .map_or(Money::ZERO, |i| i.outstanding)
                };
                if !amount.is_positive() {
                    continue;
                }
                let kind_name = mine
                    .first()
                    .map_or_else(|| va.kind_code.clone(), |o| o.kind_name.clone());
                let nrb = Nrb::parse(&va.nrb).map_err(|e| AppError::invalid("nrb", e))?;
                // One obligation of the kind open: its decision's number says what is paid
                // (before the kind's name, which the transfer code's 32 characters may cut).
                let decision = match mine.as_slice() {
                    [one] => one.reference.as_deref().map(|r| format!("{r} ")),
                    _ => None,
                };
                let title = format!(
                    "Należność {} {}{kind_name}",
                    data.party.number,
                    decision.unwrap_or_default()
                );
                let next = transfer_details(&nrb, amount, &title, &cfg);
                items.extend(TransferItem::from_action(
                    kind_name,
                    &cfg.recipient_name,
                    &next,
                ));
            }
            if items.is_empty() {
                let total = saldo(&page, data, today);
                let tenant = page.ctx.tenant()?;
                let general = tenant
                    .config()
                    .bank_accounts
                    .iter()
                    .find(|b| b.purpose == "general")
                    .or_else(|| tenant.config().bank_accounts.first());
                if let Some(account) = general
                    && total.is_positive()
                {
                    let nrb = Nrb::parse(&account.nrb).map_err(|e| AppError::invalid("nrb", e))?;
                    let title = format!("Należność {}", data.party.number);
                    let next = transfer_details(&nrb, total, &title, &cfg);
                    items.extend(TransferItem::from_action(
                        account.name.clone(),
                        &cfg.recipient_name,
                        &next,
                    ));
                }
            }
        }
        Ok(TransferPage {
            layout,
            party,
            items,
            payment_id: None,
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}
