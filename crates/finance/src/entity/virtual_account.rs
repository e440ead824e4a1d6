use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_virtual_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub nrb: String,
    pub party_id: Uuid,
    pub kind_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
