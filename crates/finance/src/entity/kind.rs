use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_kinds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub name: String,
    pub dzial: String,
    pub rozdzial: String,
    pub paragraf: String,
    pub receivable_account: String,
    pub revenue_account: String,
    pub interest_regime: String,
    pub whole_zloty: bool,
    pub schedule: String,
    pub virtual_account: bool,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
