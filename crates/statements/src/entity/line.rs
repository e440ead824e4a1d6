use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "st_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub import_id: Uuid,
    pub statement_id: Uuid,
    /// 0-based position within its statement.
    pub position: i32,
    /// 1-based line of the file where the entry starts.
    pub source_line: i32,
    pub value_date: Date,
    pub booking_date: Option<Date>,
    /// The day the payer's account was debited, when the bank says it (art. 60 OP).
    pub payer_date: Option<Date>,
    /// credit | debit
    pub direction: String,
    pub amount: i64,
    pub title: String,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub credited_account: Option<String>,
    pub transaction_id: Option<String>,
    pub dedupe_key: String,
    /// posted | payout | unmatched | resolved | debit | reversed
    pub status: String,
    /// virtual_account | payout | party_number | nip | pesel | clerk
    pub matched_by: Option<String>,
    pub party_id: Option<Uuid>,
    /// The finance payment it became.
    pub payment_id: Option<Uuid>,
    /// The journal entry that posted it (payouts, unmatched, resolutions other than payments).
    pub entry_id: Option<Uuid>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
