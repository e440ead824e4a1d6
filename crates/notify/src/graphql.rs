//! The notifications e-service's GraphQL: clerks and tenant admins see every message with its
//! status and resend a failed one; consents are recorded with their date and source.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;
use wspolnota_core::graphql::{EServiceGuard, ctx, eservice_visible};
use wspolnota_core::{AppError, ClerkScope, Ctx, Role, TenantDb, audit};
use wspolnota_finance::entity::{consent, party};

use crate::ID_;
use crate::channel::ChannelKind;
use crate::engine::deliver::status;
use crate::entity::message;

fn visible(gql: &Context<'_>) -> bool {
    eservice_visible(gql, ID_)
}

fn ext(e: impl Into<AppError>) -> async_graphql::Error {
    e.into().extend()
}

fn staff(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.roles().is_clerk_for(ClerkScope::Finance) || ctx.roles().has(Role::TenantAdmin) {
        Ok(())
    } else {
        ctx.require_clerk(ClerkScope::Finance)
    }
}

fn uuid(field: &str, id: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::validation(field, "is not a valid id").extend())
}

/// A message as staff see it. The recipient is shown in part only.
#[derive(SimpleObject)]
#[graphql(name = "NotificationMessage")]
pub struct Message {
    pub id: ID,
    pub kind: String,
    pub party_id: Option<ID>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub template_version: i32,
    pub subject: String,
    /// created | sending | delivered | temporary-failure | permanent-failure | technical-failure
    pub status: String,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn masked(recipient: &str) -> String {
    let chars: Vec<char> = recipient.chars().collect();
    let keep = 3.min(chars.len());
    let tail: String = chars[chars.len() - keep..].iter().collect();
    match recipient.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => format!("***{tail}"),
    }
}

impl From<message::Model> for Message {
    fn from(m: message::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            kind: m.kind,
            party_id: m.party_id.map(|p| ID(p.to_string())),
            channel: m.channel,
            recipient: masked(&m.recipient),
            template: m.template,
            template_version: m.template_version,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            error: m.error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "NotificationChannel")]
pub enum Channel {
    Email,
    Sms,
    Voice,
    Epuap,
}

impl From<Channel> for ChannelKind {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Email => Self::Email,
            Channel::Sms => Self::Sms,
            Channel::Voice => Self::Voice,
            Channel::Epuap => Self::Epuap,
        }
    }
}

#[derive(Default)]
pub struct NotifyQueryRoot;

#[Object]
impl NotifyQueryRoot {
    /// Messages to residents: e-mail, SMS, voice (staff).
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn notifications(&self) -> NotifyQuery {
        NotifyQuery
    }
}

pub struct NotifyQuery;

#[Object]
impl NotifyQuery {
    /// Messages, newest first; by party and status.
    async fn messages(
        &self,
        gql: &Context<'_>,
        party_id: Option<ID>,
        status: Option<String>,
        #[graphql(default = 100)] limit: i32,
    ) -> async_graphql::Result<Vec<Message>> {
        let ctx = ctx(gql)?;
        staff(ctx).map_err(ext)?;
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        let mut query = message::Entity::find();
        if let Some(p) = &party_id {
            query = query.filter(message::Column::PartyId.eq(uuid("partyId", p)?));
        }
        if let Some(s) = status {
            query = query.filter(message::Column::Status.eq(s));
        }
        let rows = query
            .order_by_desc(message::Column::CreatedAt)
            .limit(u64::try_from(limit.clamp(1, 1000)).unwrap_or(100))
            .all(&*tx)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct NotifyMutationRoot;

#[Object]
impl NotifyMutationRoot {
    /// Messages to residents: resend, consents (staff).
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn notifications(&self) -> NotifyMutation {
        NotifyMutation
    }
}

pub struct NotifyMutation;

#[Object]
impl NotifyMutation {
    /// Sends a failed message again (the next delivery round picks it up).
    async fn resend(&self, gql: &Context<'_>, id: ID) -> async_graphql::Result<Message> {
        let ctx = ctx(gql)?;
        staff(ctx).map_err(ext)?;
        let id = uuid("id", &id)?;
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        let done = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value(status::CREATED))
            .col_expr(message::Column::Attempts, Expr::value(0))
            .col_expr(
                message::Column::NextAttemptAt,
                Expr::value(ctx.clock().now()),
            )
            .col_expr(message::Column::Error, Expr::value(Option::<String>::None))
            .filter(message::Column::Id.eq(id))
            .filter(message::Column::Status.is_in([
                status::TEMPORARY_FAILURE,
                status::PERMANENT_FAILURE,
                status::TECHNICAL_FAILURE,
            ]))
            .exec(&*tx)
            .await
            .map_err(ext)?;
        if done.rows_affected != 1 {
            return Err(ext(AppError::validation(
                "id",
                "only a failed message can be resent",
            )));
        }
        audit::record(
            &tx,
            ctx,
            "notify.resent",
            serde_json::json!({ "message": id }),
        )
        .await
        .map_err(ext)?;
        let m = message::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .map_err(ext)?
            .ok_or_else(|| ext(AppError::not_found("no such message")))?;
        tx.commit().await.map_err(ext)?;
        Ok(m.into())
    }

    /// Records a party's consent (or its withdrawal) for a channel, with its source (e.g.
    /// "wniosek papierowy 2026-05-04", "portal").
    async fn set_consent(
        &self,
        gql: &Context<'_>,
        party_id: ID,
        channel: Channel,
        granted: bool,
        source: String,
    ) -> async_graphql::Result<bool> {
        let ctx = ctx(gql)?;
        staff(ctx).map_err(ext)?;
        let party_id = uuid("partyId", &party_id)?;
        let source = source.trim();
        if source.is_empty() || source.chars().count() > 200 {
            return Err(ext(AppError::validation(
                "source",
                "say where the consent comes from",
            )));
        }
        let kind: ChannelKind = channel.into();
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        party::Entity::find_by_id(party_id)
            .one(&*tx)
            .await
            .map_err(ext)?
            .ok_or_else(|| ext(AppError::validation("partyId", "no such party")))?;
        consent::Entity::delete_many()
            .filter(consent::Column::PartyId.eq(party_id))
            .filter(consent::Column::Channel.eq(kind.as_str()))
            .exec(&*tx)
            .await
            .map_err(ext)?;
        consent::ActiveModel {
            party_id: Set(party_id),
            channel: Set(kind.as_str().to_owned()),
            granted: Set(granted),
            at: Set(ctx.clock().now()),
            source: Set(source.to_owned()),
        }
        .insert(&*tx)
        .await
        .map_err(ext)?;
        audit::record(
            &tx,
            ctx,
            "notify.consent",
            serde_json::json!({ "party": party_id, "channel": kind.as_str(), "granted": granted, "source": source }),
        )
        .await
        .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(granted)
    }
}
