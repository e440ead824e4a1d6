//! The notifications e-service's GraphQL: clerks and tenant admins see every message with its
//! status and resend a failed one; consents are recorded with their date and source.

use async_graphql::{ComplexObject, Context, Enum, ErrorExtensions, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wspolnota_core::graphql::{EServiceGuard, ctx, eservice_visible};
use wspolnota_core::{AppError, ClerkScope, Ctx, Money, Role, TenantDb, audit};
use wspolnota_finance::Finance;

use crate::ID_;
use crate::channel::ChannelKind;
use crate::dunning;
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
    wspolnota_core::graphql::parse_id(field, id)
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

    /// Dunning notices (upomnienia) by batch and status, by number.
    async fn dunning_notices(
        &self,
        gql: &Context<'_>,
        batch_id: Option<ID>,
        status: Option<String>,
    ) -> async_graphql::Result<Vec<DunningNotice>> {
        let ctx = ctx(gql)?;
        let batch_id = batch_id.as_ref().map(|b| uuid("batchId", b)).transpose()?;
        let rows = dunning::notices(ctx, batch_id, status.as_deref())
            .await
            .map_err(ext)?;
        rows.into_iter().map(DunningNotice::try_from).collect()
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
        let tx = TenantDb::begin(ctx).await.map_err(ext)?;
        crate::consents::set(&tx, ctx, party_id, channel.into(), granted, &source)
            .await
            .map_err(ext)?;
        tx.commit().await.map_err(ext)?;
        Ok(granted)
    }

    /// Prepares the notices due on `asOf` for review (status prepared).
    async fn prepare_dunning(
        &self,
        gql: &Context<'_>,
        as_of: NaiveDate,
    ) -> async_graphql::Result<DunningBatch> {
        let ctx = ctx(gql)?;
        let b = dunning::prepare_batch(fin(gql)?, ctx, as_of)
            .await
            .map_err(ext)?;
        batch(b.id, b.notices)
    }

    /// The reviewed batch is approved for sending.
    async fn approve_dunning(
        &self,
        gql: &Context<'_>,
        batch_id: ID,
    ) -> async_graphql::Result<DunningBatch> {
        let ctx = ctx(gql)?;
        let id = uuid("batchId", &batch_id)?;
        let notices = dunning::approve_batch(ctx, id).await.map_err(ext)?;
        batch(id, notices)
    }

    /// Sends the approved notices (e-mail through the outbox; print the batch PDF for post).
    async fn send_dunning(
        &self,
        gql: &Context<'_>,
        batch_id: ID,
    ) -> async_graphql::Result<DunningBatch> {
        let ctx = ctx(gql)?;
        let id = uuid("batchId", &batch_id)?;
        let notices = dunning::send_batch(ctx, id).await.map_err(ext)?;
        batch(id, notices)
    }

    /// Withdraws a notice not yet sent.
    async fn cancel_dunning_notice(
        &self,
        gql: &Context<'_>,
        notice_id: ID,
    ) -> async_graphql::Result<DunningNotice> {
        let ctx = ctx(gql)?;
        let id = uuid("noticeId", &notice_id)?;
        dunning::cancel_notice(ctx, id)
            .await
            .map_err(ext)?
            .try_into()
    }

    /// Records the delivery date; the cost of the notice becomes owed.
    async fn mark_dunning_delivered(
        &self,
        gql: &Context<'_>,
        notice_id: ID,
        delivered_on: NaiveDate,
    ) -> async_graphql::Result<DunningNotice> {
        let ctx = ctx(gql)?;
        let id = uuid("noticeId", &notice_id)?;
        dunning::mark_delivered(fin(gql)?, ctx, id, delivered_on)
            .await
            .map_err(ext)?
            .try_into()
    }
}

fn fin<'a>(gql: &Context<'a>) -> async_graphql::Result<&'a Finance> {
    gql.data::<Finance>()
}

/// One overdue installment on a dunning notice.
#[derive(SimpleObject)]
pub struct DunningItem {
    pub installment_id: ID,
    pub kind: String,
    pub title: String,
    pub due_date: NaiveDate,
    pub principal: Money,
    pub interest: Money,
}

/// An upomnienie as the clerk reviews it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DunningNotice {
    pub id: ID,
    /// "UP/2026/000001"
    pub number: String,
    pub party_id: ID,
    pub batch_id: ID,
    pub issue_date: NaiveDate,
    pub items: Vec<DunningItem>,
    pub principal: Money,
    /// Interest as of the issue date.
    pub interest: Money,
    /// Koszty upomnienia.
    pub cost: Money,
    pub total: Money,
    /// prepared | approved | sent | delivered | cancelled
    pub status: String,
    pub delivered_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub model: dunning::Notice,
}

#[ComplexObject]
impl DunningNotice {
    /// The notice as a PDF, base64-encoded.
    async fn pdf_base64(&self, gql: &Context<'_>) -> async_graphql::Result<String> {
        let ctx = ctx(gql)?;
        staff(ctx).map_err(ext)?;
        let pdf = dunning::render(fin(gql)?, ctx, &self.model)
            .await
            .map_err(ext)?;
        Ok(dunning::base64(&pdf))
    }
}

impl TryFrom<dunning::Notice> for DunningNotice {
    type Error = async_graphql::Error;

    fn try_from(n: dunning::Notice) -> async_graphql::Result<Self> {
        let items = dunning::items(&n)
            .map_err(ext)?
            .into_iter()
            .map(|i| DunningItem {
                installment_id: ID(i.installment_id.to_string()),
                kind: i.kind,
                title: i.title,
                due_date: i.due_date,
                principal: Money::from_grosze(i.principal),
                interest: Money::from_grosze(i.interest),
            })
            .collect();
        Ok(Self {
            id: ID(n.id.to_string()),
            number: n.number.clone(),
            party_id: ID(n.party_id.to_string()),
            batch_id: ID(n.batch_id.to_string()),
            issue_date: n.issue_date,
            items,
            principal: Money::from_grosze(n.principal),
            interest: Money::from_grosze(n.interest),
            cost: Money::from_grosze(n.cost),
            total: Money::from_grosze(n.total),
            status: n.status.clone(),
            delivered_on: n.delivered_on,
            created_at: n.created_at,
            model: n,
        })
    }
}

/// A dunning run's notices.
#[derive(SimpleObject)]
pub struct DunningBatch {
    pub id: ID,
    pub notices: Vec<DunningNotice>,
}

fn batch(id: uuid::Uuid, notices: Vec<dunning::Notice>) -> async_graphql::Result<DunningBatch> {
    Ok(DunningBatch {
        id: ID(id.to_string()),
        notices: notices
            .into_iter()
            .map(DunningNotice::try_from)
            .collect::<async_graphql::Result<_>>()?,
    })
}
