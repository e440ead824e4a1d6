//! Starting a payment: what the payer selected becomes an amount (outstanding principal,
//! interest up to today, and any dunning costs, which the law pays first), the installments are
//! locked, and the gateway says where the payer goes next.
//!
//! Idempotent on the `Idempotency-Key` (scoped to the signed-in account): the same key with
//! the same request answers with the same payment; with a different request it is a CONFLICT.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wspolnota_core::value::Nrb;
use wspolnota_core::{AppError, AppResult, Ctx, Money, TenantDb};
use wspolnota_finance::service::account::{self, InstallmentStatus};

use super::transition::{announce, apply_in};
use super::{Payments, gateway_failed, grosze, is_unique_violation, offered};
use crate::config::GatewaySettings;
use crate::entity::{event, lock, payment, payment_installment};
use crate::gateway::{GatewayKind, NextAction, PaymentRequest};
use crate::gateways::transfer::{Transfer, TransferConfig};
use crate::state::{PaymentEvent, PaymentStatus};

#[derive(Debug, Clone, Default)]
pub struct StartInput {
    pub installment_ids: Vec<Uuid>,
    /// Everything overdue or due today, instead of a list.
    pub pay_all_due: bool,
    pub party_id: Option<Uuid>,
    pub gateway: Option<GatewayKind>,
    /// A pay-by-link bank code (PayU `payMethods`, P24 method), to go straight to one's bank.
    pub bank: Option<String>,
    pub return_url: Option<String>,
    pub idempotency_key: Option<String>,
    pub payer_ip: Option<String>,
}

/// The payer's next step, as stored with the payment and shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Redirect {
        url: String,
    },
    Form {
        url: String,
        fields: Vec<(String, String)>,
    },
    Transfer {
        nrb: String,
        title: String,
        /// Grosze.
        amount: i64,
        qr_svg: Option<String>,
    },
}

impl Action {
    fn from_next(next: NextAction) -> AppResult<(Self, Option<String>)> {
        Ok(match next {
            NextAction::Redirect {
                url,
                provider_reference,
            } => (Self::Redirect { url }, Some(provider_reference)),
            NextAction::PostForm {
                url,
                fields,
                provider_reference,
            } => (Self::Form { url, fields }, provider_reference),
            NextAction::Transfer {
                nrb,
                title,
                amount,
                qr_svg,
            } => (
                Self::Transfer {
                    nrb: nrb.as_str().to_owned(),
                    title,
                    amount: grosze(amount)?,
                    qr_svg,
                },
                None,
            ),
        })
    }

    pub fn of(payment: &payment::Model) -> Option<Self> {
        payment
            .next_action
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw).ok())
    }
}

#[derive(Debug, Clone)]
pub struct Started {
    pub payment: payment::Model,
    /// The same idempotency key and request answered before.
    pub replayed: bool,
}

const MAX_KEY_LEN: usize = 100;

pub async fn start(pay: &Payments, ctx: &Ctx, input: StartInput) -> AppResult<Started> {
    let account = ctx.require_account()?;
    let config = pay.config(ctx)?;
    let kind = input
        .gateway
        .or(config.default)
        .ok_or_else(|| AppError::validation("gateway", "choose a payment method"))?;
    offered(ctx, &config, kind)?;
    let key = match input.idempotency_key.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) if k.len() > MAX_KEY_LEN => {
            return Err(AppError::validation(
                "Idempotency-Key",
                format!("must be at most {MAX_KEY_LEN} characters"),
            ));
        }
        Some(k) => Some(format!("{account}:{k}")),
    };
    let hash = request_hash(&input, kind);
    if let Some(key) = &key
        && let Some(existing) = by_key(ctx, key).await?
    {
        return replay(existing, &hash);
    }
    if !input.pay_all_due && input.installment_ids.is_empty() {
        return Err(AppError::validation(
            "installmentIds",
            "choose what to pay, or ask to pay everything due",
        ));
    }

    // What is owed, as the account page shows it today.
    let today = ctx.today();
    let data = account::load(&pay.finance, ctx, input.party_id).await?;
    let obligations = data.obligations(&pay.finance, today, Some(true));
    let open: Vec<_> = obligations
        .iter()
        .flat_map(|o| o.installments.iter().map(move |i| (o, i)))
        .filter(|(_, i)| i.outstanding.is_positive())
        .collect();
    let selected: Vec<_> = if input.pay_all_due {
        open.iter()
            .filter(|(_, i)| i.status == InstallmentStatus::Overdue || i.due_date <= today)
            .copied()
            .collect()
    } else {
        let mut chosen = Vec::new();
        for (n, id) in input.installment_ids.iter().enumerate() {
            let Some(found) = open.iter().find(|(_, i)| i.id == *id) else {
                return Err(AppError::validation(
                    format!("installmentIds[{n}]"),
                    "not an installment of this party with something left to pay",
                ));
            };
            if !chosen
                .iter()
                .any(|(_, i): &(_, &account::InstallmentView)| i.id == *id)
            {
                chosen.push(*found);
            }
        }
        chosen
    };
    if selected.is_empty() {
        return Err(AppError::validation(
            "payAllDue",
            "nothing is due yet; choose the installments to pay in advance",
        ));
    }
    let costs = data.balance(&pay.finance, today).costs;
    let amount: Money = selected
        .iter()
        .map(|(_, i)| i.outstanding + i.interest)
        .sum::<Money>()
        + costs;
    let description = describe(
        &selected
            .iter()
            .map(|(o, i)| (o.title.as_str(), i.number))
            .collect::<Vec<_>>(),
    );
    let return_url = return_url(pay, ctx, input.return_url.as_deref())?;

    let now = ctx.clock().now();
    let id = Uuid::new_v4();
    let expires_at = now
        + match kind {
            GatewayKind::Transfer => chrono::Duration::days(i64::from(config.transfer_days)),
            _ => chrono::Duration::minutes(i64::from(config.payment_minutes)),
        };
    let return_url = return_url.replace("{paymentId}", &id.to_string());
    let tx = TenantDb::begin(ctx).await?;
    let inserted = payment::ActiveModel {
        id: Set(id),
        party_id: Set(data.party.id),
        account_id: Set(Some(account.0)),
        gateway: Set(kind.as_str().to_owned()),
        credential: Set(config.credential_id(kind)),
        status: Set(PaymentStatus::Created.as_str().to_owned()),
        amount: Set(grosze(amount)?),
        description: Set(description.clone()),
        provider_reference: Set(None),
        next_action: Set(None),
        return_url: Set(return_url.clone()),
        idempotency_key: Set(key.clone()),
        request_hash: Set(Some(hash.clone())),
        review: Set(None),
        paid_at: Set(None),
        finance_payment_id: Set(None),
        refunded: Set(0),
        expires_at: Set(expires_at),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await;
    if let Err(e) = inserted {
        // The same key raced us: answer as the winner did.
        if is_unique_violation(&e)
            && let Some(key) = &key
        {
            drop(tx);
            if let Some(existing) = by_key(ctx, key).await? {
                return replay(existing, &hash);
            }
        }
        return Err(e.into());
    }
    event::ActiveModel {
        payment_id: Set(id),
        from_status: Set(None),
        to_status: Set(PaymentStatus::Created.as_str().to_owned()),
        event: Set("created".to_owned()),
        detail: Set(Some(
            serde_json::json!({ "gateway": kind.as_str(), "amount": amount.to_string() })
                .to_string(),
        )),
        at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    for (_, inst) in &selected {
        payment_installment::ActiveModel {
            payment_id: Set(id),
            installment_id: Set(inst.id),
            principal: Set(grosze(inst.outstanding)?),
            interest: Set(grosze(inst.interest)?),
        }
        .insert(&*tx)
        .await?;
    }
    // A transfer may never come, and may come after an online payment: it locks nothing; the
    // bank statement settles whatever arrives.
    if kind != GatewayKind::Transfer {
        lock_installments(
            &tx,
            id,
            &selected.iter().map(|(_, i)| i.id).collect::<Vec<_>>(),
            now,
        )
        .await?;
    }
    tx.commit().await?;

    let next = match kind {
        GatewayKind::Transfer => {
            transfer_instructions(pay, ctx, &data, &selected, amount, id).await
        }
        _ => {
            let gateway = pay.gateway(ctx, kind)?;
            let request = PaymentRequest {
                payment_id: id,
                amount,
                description: description.clone(),
                payer_email: data.party.email.clone(),
                payer_name: Some(data.party.name.clone()),
                payer_ip: input.payer_ip.clone(),
                bank: input.bank.clone(),
                return_url: return_url.clone(),
                notify_url: pay.notify_url(ctx, kind)?,
                language: "pl".to_owned(),
            };
            gateway
                .create(&pay.http, &request)
                .await
                .map_err(|e| gateway_failed(kind, &e))
        }
    };
    let tx = TenantDb::begin(ctx).await?;
    let applied = match next {
        Ok(next) => {
            let (action, reference) = Action::from_next(next)?;
            let mut active: payment::ActiveModel = payment::Entity::find_by_id(id)
                .one(&*tx)
                .await?
                .ok_or_else(|| AppError::not_found("no such payment"))?
                .into();
            active.provider_reference = Set(reference.clone());
            active.next_action = Set(Some(
                serde_json::to_string(&action).map_err(AppError::internal)?,
            ));
            active.update(&*tx).await?;
            apply_in(
                pay,
                ctx,
                &*tx,
                id,
                PaymentEvent::Start,
                serde_json::json!({ "reference": reference }),
            )
            .await?
        }
        Err(e) => {
            let applied = apply_in(
                pay,
                ctx,
                &*tx,
                id,
                PaymentEvent::GatewayError,
                serde_json::json!({ "error": e.message() }),
            )
            .await?;
            tx.commit().await?;
            announce(ctx, &applied.payment).await;
            return Err(e);
        }
    };
    tx.commit().await?;
    announce(ctx, &applied.payment).await;
    Ok(Started {
        payment: applied.payment,
        replayed: false,
    })
}

async fn by_key(ctx: &Ctx, key: &str) -> AppResult<Option<payment::Model>> {
    let tx = TenantDb::begin(ctx).await?;
    let found = payment::Entity::find()
        .filter(payment::Column::IdempotencyKey.eq(key))
        .one(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

fn replay(existing: payment::Model, hash: &str) -> AppResult<Started> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(AppError::conflict(
            "this Idempotency-Key was used for a different payment request",
        ));
    }
    Ok(Started {
        payment: existing,
        replayed: true,
    })
}

/// A digest of what the request asks for (order of installments does not matter).
fn request_hash(input: &StartInput, kind: GatewayKind) -> String {
    let mut ids: Vec<String> = input.installment_ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    let canonical = serde_json::json!({
        "installments": ids,
        "payAllDue": input.pay_all_due,
        "party": input.party_id,
        "gateway": kind.as_str(),
        "bank": input.bank,
        "returnUrl": input.return_url,
    });
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Takes the installments for this payment, or says which one another payment holds.
async fn lock_installments(
    tx: &wspolnota_core::TenantTx,
    payment_id: Uuid,
    installments: &[Uuid],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let held = lock::Entity::find()
        .filter(lock::Column::InstallmentId.is_in(installments.to_vec()))
        .all(&**tx)
        .await?;
    if let Some(h) = held.first() {
        return Err(held_by(h.payment_id));
    }
    for installment in installments {
        let inserted = lock::ActiveModel {
            installment_id: Set(*installment),
            payment_id: Set(payment_id),
            locked_at: Set(now),
        }
        .insert(&**tx)
        .await;
        match inserted {
            Ok(_) => {}
            // Another payment took it between our check and our insert.
            Err(e) if is_unique_violation(&e) => return Err(held_by(Uuid::nil())),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn held_by(other: Uuid) -> AppError {
    let which = if other.is_nil() {
        String::new()
    } else {
        format!(" (payment {other})")
    };
    AppError::conflict(format!(
        "an installment you chose is already being paid{which}; wait until that payment \
         finishes or expires"
    ))
}

/// "Podatek od nieruchomości 2026, rata 2; Opłata za odpady …", at most 200 characters.
fn describe(items: &[(&str, i32)]) -> String {
    let text = items
        .iter()
        .map(|(title, n)| format!("{title}, rata {n}"))
        .collect::<Vec<_>>()
        .join("; ");
    if text.chars().count() <= 200 {
        text
    } else {
        let cut: String = text.chars().take(197).collect();
        format!("{cut}...")
    }
}

/// The payer returns to a page of this municipality only: a path, or a URL on its host.
fn return_url(pay: &Payments, ctx: &Ctx, given: Option<&str>) -> AppResult<String> {
    let origin = pay.tenant_origin(ctx)?;
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Ok(format!("{origin}/payments/{{paymentId}}/return"));
    };
    if given.starts_with('/') && !given.starts_with("//") {
        return Ok(format!("{origin}{given}"));
    }
    let tenant = ctx.tenant()?;
    let own_hosts: Vec<String> =
        std::iter::once(format!("{}.{}", tenant.slug(), pay.links.base_domain))
            .chain(tenant.config().hosts.iter().cloned())
            .collect();
    let ok = url::Url::parse(given).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str()
                .is_some_and(|h| own_hosts.iter().any(|o| o.eq_ignore_ascii_case(h)))
    });
    if ok {
        Ok(given.to_owned())
    } else {
        Err(AppError::validation(
            "returnUrl",
            "must be a page of this municipality's site (a path, or a URL on its host)",
        ))
    }
}

/// The party's virtual account for the (first) obligation's kind, else any of its virtual
/// accounts, else the municipality's general account.
async fn transfer_instructions(
    pay: &Payments,
    ctx: &Ctx,
    data: &account::AccountData,
    selected: &[(&account::ObligationView, &account::InstallmentView)],
    amount: Money,
    payment_id: Uuid,
) -> AppResult<NextAction> {
    let config = pay.config(ctx)?;
    let Some((_, entry)) = config.entry(GatewayKind::Transfer) else {
        return Err(AppError::validation("gateway", "transfers are not offered"));
    };
    let GatewaySettings::Transfer(settings) = &entry.settings else {
        return Err(AppError::validation("gateway", "transfers are not offered"));
    };
    let kind = selected.first().map(|(o, _)| o.kind.as_str());
    let tenant = ctx.tenant()?;
    let raw = data
        .virtual_accounts
        .iter()
        .find(|v| Some(v.kind_code.as_str()) == kind)
        .or_else(|| data.virtual_accounts.first())
        .map(|v| v.nrb.clone())
        .or_else(|| {
            tenant
                .config()
                .bank_accounts
                .iter()
                .find(|b| b.purpose == "general")
                .or_else(|| tenant.config().bank_accounts.first())
                .map(|b| b.nrb.clone())
        })
        .ok_or_else(|| AppError::validation("gateway", "no account to pay into is configured"))?;
    let nrb = Nrb::parse(&raw).map_err(|e| AppError::invalid("nrb", e))?;
    let short: String = payment_id.simple().to_string().chars().take(8).collect();
    let title = format!("Należność {} płatność {short}", data.party.number);
    Transfer::new(TransferConfig {
        recipient_name: settings.recipient_name.clone(),
        recipient_nip: settings.recipient_nip.clone(),
    })
    .instructions(&nrb, amount, &title)
    .map_err(|e| gateway_failed(GatewayKind::Transfer, &e))
}
