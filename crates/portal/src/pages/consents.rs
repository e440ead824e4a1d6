//! Notification preferences: the party's consent per channel (e-mail, SMS, voice call), each
//! with the date and source it was recorded with. The rows are the ones the notifications
//! e-service plans by (`finance_consents`), recorded by the same function as staff's
//! `setConsent`.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use wspolnota_core::{AppError, AppResult, TenantDb};
use wspolnota_finance::entity::consent;
use wspolnota_notify::{ChannelKind, consents};

use super::see_other;
use crate::form::Fields;
use crate::format;
use crate::layout::{Layout, Page};

/// The channels a resident decides on, with their Polish names.
const CHANNELS: [(&str, &str); 3] = [
    ("email", "E-mail"),
    ("sms", "SMS"),
    ("voice", "Połączenie głosowe (automatyczne)"),
];

/// Recorded as the source of consents given here.
const SOURCE: &str = "portal e-usług";

#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub value: &'static str,
    pub label: &'static str,
    pub granted: bool,
    /// "udzielona 27.11.2026, 14:05 UTC (źródło: …)".
    pub recorded: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "consents.html")]
pub struct Consents {
    pub layout: Layout,
    pub party: Option<String>,
    pub channels: Vec<ChannelRow>,
    pub saved: bool,
}

async fn render(page: &Page, saved: bool) -> AppResult<Response> {
    let (mut layout, acting) = page.layout("Powiadomienia", "powiadomienia").await?;
    layout.title = "Powiadomienia".to_owned();
    let Some(party) = acting.active else {
        return Ok(Consents {
            layout,
            party: None,
            channels: Vec::new(),
            saved,
        }
        .into_response());
    };
    let tx = TenantDb::begin(&page.ctx).await?;
    let rows = consent::Entity::find()
        .filter(consent::Column::PartyId.eq(party.id))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let channels = CHANNELS
        .iter()
        .map(|(value, label)| {
            let row = rows.iter().find(|r| r.channel == *value);
            ChannelRow {
                value,
                label,
                granted: row.is_some_and(|r| r.granted),
                recorded: row.map(|r| {
                    format!(
                        "{} {} (źródło: {})",
                        if r.granted {
                            "Zgoda udzielona"
                        } else {
                            "Zgoda wycofana"
                        },
                        format::datetime(r.at),
                        r.source
                    )
                }),
            }
        })
        .collect();
    Ok(Consents {
        layout,
        party: Some(format!("{} (nr {})", party.name, party.number)),
        channels,
        saved,
    }
    .into_response())
}

pub async fn form(page: Page, RawQuery(query): RawQuery) -> Response {
    let saved = query.is_some_and(|q| q.split('&').any(|p| p == "zapisano=1"));
    let result = render(&page, saved).await;
    page.finish(result).await
}

pub async fn save(page: Page, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let result = async {
        let acting = page.acting().await?;
        let party = acting
            .active
            .ok_or_else(|| AppError::not_found("no party linked"))?;
        let wanted: Vec<&str> = form.all("consent").collect();
        let tx = TenantDb::begin(&page.ctx).await?;
        let rows = consent::Entity::find()
            .filter(consent::Column::PartyId.eq(party.id))
            .all(&*tx)
            .await?;
        for (channel, _) in CHANNELS {
            let granted = wanted.contains(&channel);
            let current = rows.iter().find(|r| r.channel == channel);
            // Only a decision that changes something is recorded (an unticked box without a
            // recorded consent stays "no consent", with no row).
            let changed = match current {
                Some(r) => r.granted != granted,
                None => granted,
            };
            if !changed {
                continue;
            }
            let kind = ChannelKind::parse(channel)
                .ok_or_else(|| AppError::validation("consent", "unknown channel"))?;
            consents::set(&tx, &page.ctx, party.id, kind, granted, SOURCE).await?;
        }
        tx.commit().await?;
        Ok(see_other("/powiadomienia?zapisano=1"))
    }
    .await;
    page.finish(result).await
}
