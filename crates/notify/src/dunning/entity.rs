//! The `dunning_notices` table.

use sea_orm::entity::prelude::*;

/// One upomnienie: a debtor's overdue items as of the issue date, in a batch a clerk reviews.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dunning_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `UP/<year>/<nnnnnn>`, sequential per tenant and year.
    pub number: String,
    pub party_id: Uuid,
    pub batch_id: Uuid,
    pub issue_date: Date,
    /// JSON array of [`super::StoredItem`].
    pub items: String,
    /// Grosze.
    pub principal: i64,
    pub interest: i64,
    pub cost: i64,
    pub total: i64,
    /// prepared | approved | sent | delivered | cancelled
    pub status: String,
    pub message_id: Option<Uuid>,
    pub delivered_on: Option<Date>,
    /// The `finance_costs` row charged on delivery.
    pub cost_id: Option<Uuid>,
    /// A ledger entry posted on delivery (none while finance charges costs when paid).
    pub entry_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
