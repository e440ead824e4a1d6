use sea_orm::entity::prelude::*;

/// The sandbox gateway's side of a payment: what a provider would hold.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_sandbox_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_id: Uuid,
    pub amount: i64,
    pub description: String,
    pub return_url: String,
    pub notify_url: String,
    /// approve | decline | abandon, once the payer decided.
    pub decision: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub refunded: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
