use sea_orm::entity::prelude::*;

/// One imported file: all its statements and lines, posted together or not at all.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "st_imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub statements: i32,
    pub lines: i32,
    pub matched: i32,
    pub unmatched: i32,
    pub duplicates: i32,
    /// Sum of the credits posted.
    pub total: i64,
    pub imported_by: Option<Uuid>,
    pub imported_at: DateTimeUtc,
    pub reversed_at: Option<DateTimeUtc>,
    pub reversed_by: Option<Uuid>,
    pub reverse_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
