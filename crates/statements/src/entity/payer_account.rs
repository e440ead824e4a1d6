use sea_orm::entity::prelude::*;

/// A sender's account a clerk has assigned credits from to a party (see
/// [`crate::service::payers`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "st_payer_accounts")]
pub struct Model {
    /// The account's last 16 letters and digits.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub party_id: Uuid,
    /// How many credits from the account clerks have assigned to the party.
    pub assignments: i32,
    pub last_assigned_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
