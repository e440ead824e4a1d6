use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "st_statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub import_id: Uuid,
    /// The municipality's account (NRB digits).
    pub account: String,
    pub reference: String,
    pub number: Option<String>,
    pub currency: String,
    pub intraday: bool,
    pub opening_date: Option<Date>,
    pub opening: Option<i64>,
    pub closing_date: Option<Date>,
    pub closing: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
