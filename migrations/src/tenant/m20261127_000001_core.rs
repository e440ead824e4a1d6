use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What happened in this tenant, by whom: sign-ins, registrations, changes by clerks. Kept in
/// the tenant's own schema because it is personal data the operator must not see.
#[derive(DeriveIden)]
pub enum TenantAuditLog {
    #[sea_orm(iden = "audit_log")]
    Table,
    Id,
    At,
    ActorId,
    Action,
    Detail,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantAuditLog::Table)
                    .col(
                        ColumnDef::new(TenantAuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TenantAuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TenantAuditLog::ActorId).uuid())
                    .col(
                        ColumnDef::new(TenantAuditLog::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(TenantAuditLog::Detail).text().not_null())
                    .col(ColumnDef::new(TenantAuditLog::RequestId).string_len(64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantAuditLog::Table).to_owned())
            .await
    }
}
