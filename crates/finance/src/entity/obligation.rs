use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_obligations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub party_id: Uuid,
    pub kind_code: String,
    pub year: i32,
    pub title: String,
    /// The decision's (or agreement's) number, upper-case: `FN.3120.1.15.2026`.
    pub reference: Option<String>,
    pub amount: i64,
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
