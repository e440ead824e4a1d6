use sea_orm::entity::prelude::*;

/// One row per installment a payment in flight is paying: the primary key makes a second
/// payment of the same installment fail to insert.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_locks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub installment_id: Uuid,
    pub payment_id: Uuid,
    pub locked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
