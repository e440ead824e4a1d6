//! Planning: each outbox event becomes one rendered message per channel the party may be
//! reached on, in one transaction with marking the event planned. A party without any
//! reachable channel gets none (the event is still marked, with nothing to send).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::sea_query::LockType;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
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
/// Message rows per multi-row INSERT (20 columns: well under SQLite's bound-parameter limit).
const INSERT_ROWS: usize = 200;

/// A message to be written: channel, recipient, template and the rendered text.
pub(crate) struct Draft {
    pub channel: ChannelKind,
    pub recipient: String,
    pub template: Resolved,
    pub subject: String,
    pub body: String,
}

/// Plans pending outbox events, up to [`BATCH`] per call; returns how many were planned.
///
/// The batch is read and rendered outside any write transaction (rendering may load an
/// account), then written in one: events another worker planned meanwhile are skipped, the
/// others marked planned and their messages inserted together. An event that cannot be
/// rendered (a broken template, missing data) is counted as an attempt and left for later,
/// without blocking the rest of the queue.
pub async fn plan(n: &Notify, ctx: &Ctx) -> AppResult<usize> {
    let tx = TenantDb::begin(ctx).await?;
    let events = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    if events.is_empty() {
        return Ok(0);
    }
    let parties: Vec<Uuid> = events.iter().filter_map(|e| e.party_id).collect();
    let reach = reachable_many(ctx, &parties).await?;

    let mut ready = Vec::with_capacity(events.len());
    let mut failed = Vec::new();
    for event in events {
        let targets = event
            .party_id
            .and_then(|p| reach.get(&p))
            .cloned()
            .unwrap_or_default();
        match drafts_for(n, ctx, &event, targets).await {
            Ok(drafts) => ready.push((event, drafts)),
            Err(e) => {
                tracing::warn!(outbox = event.id, kind = %event.kind, error = %e, "outbox event not planned");
                failed.push(event.id);
            }
        }
    }

    let tx = TenantDb::begin(ctx).await?;
    if !failed.is_empty() {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.is_in(failed))
            .exec(&*tx)
            .await?;
    }
    // Lock what is still unplanned: a concurrent planner waits here and then sees these
    // events planned (SQLite's tenant transaction is exclusive from its start anyway).
    let ids: Vec<i64> = ready.iter().map(|(e, _)| e.id).collect();
    let unplanned: HashSet<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Id.is_in(ids))
        .filter(outbox::Column::SentAt.is_null())
        .lock(LockType::Update)
        .into_tuple::<i64>()
        .all(&*tx)
        .await?
        .into_iter()
        .collect();
    if !unplanned.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::SentAt, Expr::value(ctx.clock().now()))
            .filter(outbox::Column::Id.is_in(unplanned.iter().copied()))
            .exec(&*tx)
            .await?;
    }
    let rows: Vec<message::ActiveModel> = ready
        .into_iter()
        .filter(|(event, _)| unplanned.contains(&event.id))
        .flat_map(|(event, drafts)| {
            drafts
                .into_iter()
                .map(move |d| new_message(ctx, Some(event.id), &event.kind, event.party_id, d))
        })
        .collect();
    for chunk in rows.chunks(INSERT_ROWS) {
        message::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&*tx)
            .await?;
    }
    tx.commit().await?;
    Ok(unplanned.len())
}

/// A new message row, due now.
pub(crate) fn new_message(
    ctx: &Ctx,
    outbox_id: Option<i64>,
    kind: &str,
    party_id: Option<Uuid>,
    d: Draft,
) -> message::ActiveModel {
    let now = ctx.clock().now();
    message::ActiveModel {
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
        status: Set(super::deliver::status::CREATED.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        provider_id: Set(None),
        error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        delivered_at: Set(None),
    }
}

/// Where each party may be reached: a channel with a recorded, granted consent and an
/// address; e-mail also without one where the tenant allows it for the address the party
/// gave. Two queries for all of them; parties with no channel are absent.
async fn reachable_many(
    ctx: &Ctx,
    party_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<(ChannelKind, String)>>> {
    let mut out = HashMap::new();
    if party_ids.is_empty() {
        return Ok(out);
    }
    let tx = TenantDb::begin(ctx).await?;
    let parties = party::Entity::find()
        .filter(party::Column::Id.is_in(party_ids.iter().copied()))
        .all(&*tx)
        .await?;
    let mut granted: HashSet<(Uuid, String)> = HashSet::new();
    for c in consent::Entity::find()
        .filter(consent::Column::PartyId.is_in(party_ids.iter().copied()))
        .filter(consent::Column::Granted.eq(true))
        .all(&*tx)
        .await?
    {
        granted.insert((c.party_id, c.channel));
    }
    tx.commit().await?;
    let email_anyway = ctx.tenant()?.config().notifications.email_without_consent;
    for p in parties {
        let has = |kind: ChannelKind| granted.contains(&(p.id, kind.as_str().to_owned()));
        let mut targets = Vec::new();
        if let Some(email) = p.email.clone().filter(|e| !e.trim().is_empty())
            && (has(ChannelKind::Email) || email_anyway)
        {
            targets.push((ChannelKind::Email, email));
        }
        if let Some(phone) = p.phone.clone().filter(|p| !p.trim().is_empty()) {
            for kind in [ChannelKind::Sms, ChannelKind::Voice] {
                if has(kind) {
                    targets.push((kind, phone.clone()));
                }
            }
        }
        if !targets.is_empty() {
            out.insert(p.id, targets);
        }
    }
    Ok(out)
}

/// The event's messages, one per channel in `targets` (where its party may be reached).
async fn drafts_for(
    n: &Notify,
    ctx: &Ctx,
    event: &outbox::Model,
    targets: Vec<(ChannelKind, String)>,
) -> AppResult<Vec<Draft>> {
    let Some(party_id) = event.party_id else {
        return Ok(Vec::new());
    };
    // Most parties gave no consent: nothing to render, no account to load.
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let payload: serde_json::Value = serde_json::from_str(&event.payload)
        .map_err(|e| wspolnota_core::AppError::internal(std::io::Error::other(e.to_string())))?;
    let mut values: HashMap<&str, String> = HashMap::new();
    values.insert("urzad", office(ctx)?);
    let today = ctx.today();
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
