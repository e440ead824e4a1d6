use sea_orm::entity::prelude::*;

/// One transfer from a gateway to the municipality's bank account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_payouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub gateway: String,
    /// What the transfer's title carries, e.g. `SBX-PAYOUT-1A2B3C4D`.
    pub reference: String,
    /// The payments it carries.
    pub gross: i64,
    /// The gateway's commission, kept back.
    pub fee: i64,
    /// What reaches the bank: gross − fee.
    pub amount: i64,
    /// The statement line that settled it.
    pub settled_line_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
