//! Planning: each outbox event becomes one rendered message per channel the party may be
//! reached on, in one transaction with marking the event planned. A party without any
//! reachable channel gets none (the event is still marked, with nothing to send).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;
use wspolnota_core::{AppResult, Ctx, Money, TenantDb};
use wspolnota_finance::entity::{consent, party};
use wspolnota_finance::service::account;

use super::{Notify, office};
use crate::channel::ChannelKind;
use crate::entity::{message, outbox};
use crate::templates::{self, Resolved};

/// Events planned in one call, at most.
const BATCH: u64 = 500;

/// A message to be written: channel, recipient, template and the rendered text.
pub(crate) struct Draft {
    pub channel: ChannelKind,
    pub recipient: String,
    pub template: Resolved,
    pub subject: String,
    pub body: String,
}

/// Plans pending outbox events; returns how many events were planned.
pub async fn plan(n: &Notify, ctx: &Ctx) -> AppResult<usize> {
    let tx = TenantDb::begin(ctx).await?;
    let events = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut planned = 0;
    for event in events {
        let drafts = match drafts_for(n, ctx, &event).await {
            Ok(d) => d,
            Err(e) => {
                // A broken template or missing data must not block the rest of the queue.
                tracing::warn!(outbox = event.id, kind = %event.kind, error = %e, "outbox event not planned");
                let tx = TenantDb::begin(ctx).await?;
                outbox::Entity::update_many()
                    .col_expr(
                        outbox::Column::Attempts,
                        Expr::col(outbox::Column::Attempts).add(1),
                    )
                    .filter(outbox::Column::Id.eq(event.id))
                    .exec(&*tx)
                    .await?;
                tx.commit().await?;
                continue;
            }
        };
        let tx = TenantDb::begin(ctx).await?;
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::SentAt, Expr::value(ctx.clock().now()))
            .filter(outbox::Column::Id.eq(event.id))
            .filter(outbox::Column::SentAt.is_null())
            .exec(&*tx)
            .await?;
        if claimed.rows_affected != 1 {
            // Another worker planned it meanwhile.
            continue;
        }
        for d in drafts {
            write(ctx, &*tx, Some(event.id), &event.kind, event.party_id, d).await?;
        }
        tx.commit().await?;
        planned += 1;
    }
    Ok(planned)
}

pub(crate) async fn write<C: sea_orm::ConnectionTrait>(
    ctx: &Ctx,
    db: &C,
    outbox_id: Option<i64>,
    kind: &str,
    party_id: Option<Uuid>,
    d: Draft,
) -> AppResult<message::Model> {
    let now = ctx.clock().now();
    Ok(message::ActiveModel {
        id: Set(Uuid::new_v4()),
        outbox_id: Set(outbox_id),
        kind: Set(kind.to_owned()),
        party_id: Set(party_id),
        channel: Set(d.channel.as_str().to_owned()),
        recipient: Set(d.recipient),
        template: Set(d.template.id.clone()),
        template_version: Set(d.template.version),
        subject: Set(d.subject.chars().take(300).collect()),
        body: Set(d.body),
        html: Set(None),
        status: Set("created".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        provider_id: Set(None),
        error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        delivered_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Where the party may be reached: a channel with a recorded, granted consent and an
/// address; e-mail also without one where the tenant allows it for the address the party gave.
pub(crate) async fn reachable(ctx: &Ctx, party_id: Uuid) -> AppResult<Vec<(ChannelKind, String)>> {
    let tx = TenantDb::begin(ctx).await?;
    let Some(p) = party::Entity::find_by_id(party_id).one(&*tx).await? else {
        return Ok(Vec::new());
    };
    let consents = consent::Entity::find()
        .filter(consent::Column::PartyId.eq(party_id))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let granted = |kind: ChannelKind| {
        consents
            .iter()
            .any(|c| c.channel == kind.as_str() && c.granted)
    };
    let email_anyway = ctx.tenant()?.config().notifications.email_without_consent;
    let mut out = Vec::new();
    if let Some(email) = p.email.clone().filter(|e| !e.trim().is_empty())
        && (granted(ChannelKind::Email) || email_anyway)
    {
        out.push((ChannelKind::Email, email));
    }
    if let Some(phone) = p.phone.clone().filter(|p| !p.trim().is_empty()) {
        for kind in [ChannelKind::Sms, ChannelKind::Voice] {
            if granted(kind) {
                out.push((kind, phone.clone()));
            }
        }
    }
    Ok(out)
}

async fn drafts_for(n: &Notify, ctx: &Ctx, event: &outbox::Model) -> AppResult<Vec<Draft>> {
    let Some(party_id) = event.party_id else {
        return Ok(Vec::new());
    };
    // Most parties gave no consent: find that out before loading their account.
    let targets = reachable(ctx, party_id).await?;
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let payload: serde_json::Value = serde_json::from_str(&event.payload)
        .map_err(|e| wspolnota_core::AppError::internal(std::io::Error::other(e.to_string())))?;
    let mut values: HashMap<&str, String> = HashMap::new();
    values.insert("urzad", office(ctx)?);
    let today = ctx.clock().now().date_naive();
    values.insert("dzis", polish_date(today));
    match event.kind.as_str() {
        "payment_posted" => {
            let amount = payload["amount"]
                .as_str()
                .and_then(|a| Money::parse(a).ok())
                .unwrap_or(Money::ZERO);
            values.insert("kwota", amount.to_polish());
            values.insert(
                "data",
                payload["paidOn"]
                    .as_str()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map_or_else(String::new, polish_date),
            );
            values.insert("rozliczenie", String::new());
            let data = account::load_for_system(&n.finance, ctx, party_id).await?;
            let b = data.balance(&n.finance, today);
            values.insert(
                "do_zaplaty",
                (b.outstanding + b.interest + b.costs).to_polish(),
            );
            values.insert("zalegle", b.overdue.to_polish());
            values.insert("odsetki", b.interest.to_polish());
            values.insert("nadplata", b.overpayment.to_polish());
        }
        "dunning" => {
            let id = payload["notice"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| {
                    wspolnota_core::AppError::internal(std::io::Error::other(
                        "dunning event without a notice id",
                    ))
                })?;
            let tx = TenantDb::begin(ctx).await?;
            let notice = crate::dunning::entity::Entity::find_by_id(id)
                .one(&*tx)
                .await?
                .ok_or_else(|| wspolnota_core::AppError::not_found("no such dunning notice"))?;
            tx.commit().await?;
            values.insert("numer", notice.number.clone());
            values.insert("kwota", Money::from_grosze(notice.total).to_polish());
            // The notice goes by e-mail only: an SMS must not carry tax details.
            let overrides = ctx.tenant()?.config().notifications.templates.clone();
            let mut drafts = Vec::new();
            for (channel, recipient) in targets {
                if channel != ChannelKind::Email {
                    continue;
                }
                if let Some(template) = templates::resolve(&overrides, "dunning", channel) {
                    drafts.push(Draft {
                        channel,
                        recipient,
                        subject: render_or_err(&template, &template.subject, &values)?,
                        body: render_or_err(&template, &template.body, &values)?,
                        template,
                    });
                }
            }
            return Ok(drafts);
        }
        "reminder" => {
            for key in ["termin", "tytul", "kwota", "rachunek"] {
                values.insert(key, payload[key].as_str().unwrap_or_default().to_owned());
            }
        }
        _ => return Ok(Vec::new()),
    }
    let mut drafts = Vec::new();
    let overrides = ctx.tenant()?.config().notifications.templates.clone();
    for (channel, recipient) in targets {
        let Some(template) = templates::resolve(&overrides, &event.kind, channel) else {
            continue;
        };
        let subject = templates::render(&template, &template.subject, &values).map_err(|e| {
            wspolnota_core::AppError::internal(std::io::Error::other(e.to_string()))
        })?;
        let body = templates::render(&template, &template.body, &values).map_err(|e| {
            wspolnota_core::AppError::internal(std::io::Error::other(e.to_string()))
        })?;
        drafts.push(Draft {
            channel,
            recipient,
            template,
            subject,
            body,
        });
    }
    Ok(drafts)
}

pub(crate) fn polish_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn render_or_err(
    template: &Resolved,
    text: &str,
    values: &HashMap<&str, String>,
) -> AppResult<String> {
    templates::render(template, text, values)
        .map_err(|e| wspolnota_core::AppError::internal(std::io::Error::other(e.to_string())))
}
