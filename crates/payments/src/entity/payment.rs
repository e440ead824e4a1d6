use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub party_id: Uuid,
    /// The signed-in account that started it.
    pub account_id: Option<Uuid>,
    pub gateway: String,
    /// Which configured credential (gateway, mode, merchant) the payment used.
    pub credential: String,
    pub status: String,
    pub amount: i64,
    pub description: String,
    pub provider_reference: Option<String>,
    /// The payer's next step (JSON), so an idempotent retry answers the same.
    pub next_action: Option<String>,
    pub return_url: String,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    /// Set when something needs a clerk's eye (e.g. the provider reported another amount).
    pub review: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    pub finance_payment_id: Option<Uuid>,
    pub refunded: i64,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
