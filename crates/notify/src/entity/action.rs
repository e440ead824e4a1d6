use sea_orm::entity::prelude::*;

/// An informational action (działanie informacyjne): a reminder sent, with its form, date and
/// who acted, as the dunning regulation requires them to be recorded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notify_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub party_id: Uuid,
    pub installment_id: Option<Uuid>,
    pub form: String,
    pub at: DateTimeUtc,
    pub actor: String,
    pub message_id: Option<Uuid>,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
