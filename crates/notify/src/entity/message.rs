use sea_orm::entity::prelude::*;

/// One message for one channel and recipient.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notify_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The outbox event that caused it.
    pub outbox_id: Option<i64>,
    pub kind: String,
    pub party_id: Option<Uuid>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub template_version: i32,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    /// created | sending | delivered | temporary-failure | permanent-failure | technical-failure
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While set and in the future, one worker holds the message.
    pub claimed_until: Option<DateTimeUtc>,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
