use sea_orm::entity::prelude::*;

/// The tenant's outbox (written by `wspolnota_core::outbox::enqueue`); `sent_at` marks an
/// event the engine has planned into messages.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub party_id: Option<Uuid>,
    pub dedupe_key: String,
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
