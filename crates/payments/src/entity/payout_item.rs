use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_payout_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub payout_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_id: Uuid,
    pub amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
