use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Tenants {
    Table,
    Slug,
    Name,
    Kind,
    Teryt,
    Status,
    ConfigToml,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Accounts {
    Table,
    Id,
    /// Tenant slug, or "platform" for operators.
    Tenant,
    Email,
    DisplayName,
    PasswordHash,
    Verified,
    /// Keyed hash of the PESEL verified by the identity provider; the PESEL itself is not kept here.
    PeselHmac,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
pub enum AccountRoles {
    Table,
    AccountId,
    Role,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden)]
pub enum RefreshTokens {
    Table,
    TokenHash,
    AccountId,
    FamilyId,
    Tenant,
    IssuedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
pub enum OidcIdentities {
    Table,
    Tenant,
    Subject,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    At,
    Tenant,
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
                    .table(Tenants::Table)
                    .col(
                        ColumnDef::new(Tenants::Slug)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Tenants::Name).string().not_null())
                    .col(ColumnDef::new(Tenants::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Tenants::Teryt).string_len(7).not_null())
                    .col(ColumnDef::new(Tenants::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Tenants::ConfigToml).text().not_null())
                    .col(
                        ColumnDef::new(Tenants::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tenants::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(ColumnDef::new(Accounts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Accounts::Tenant).string_len(40).not_null())
                    .col(ColumnDef::new(Accounts::Email).string_len(254).not_null())
                    .col(
                        ColumnDef::new(Accounts::DisplayName)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Accounts::PasswordHash).string())
                    .col(
                        ColumnDef::new(Accounts::Verified)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Accounts::PeselHmac).string_len(64))
                    .col(
                        ColumnDef::new(Accounts::FailedLogins)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Accounts::LockedUntil).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(Accounts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Accounts::LastLoginAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_accounts_tenant_email")
                    .table(Accounts::Table)
                    .col(Accounts::Tenant)
                    .col(Accounts::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountRoles::Table)
                    .col(ColumnDef::new(AccountRoles::AccountId).uuid().not_null())
                    .col(ColumnDef::new(AccountRoles::Role).string_len(40).not_null())
                    .col(ColumnDef::new(AccountRoles::GrantedBy).uuid())
                    .col(
                        ColumnDef::new(AccountRoles::GrantedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AccountRoles::AccountId)
                            .col(AccountRoles::Role),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountRoles::Table, AccountRoles::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RefreshTokens::AccountId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::Tenant)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::IssuedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::UsedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(RefreshTokens::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OidcIdentities::Table)
                    .col(
                        ColumnDef::new(OidcIdentities::Tenant)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OidcIdentities::Subject)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OidcIdentities::AccountId).uuid().not_null())
                    .col(
                        ColumnDef::new(OidcIdentities::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(OidcIdentities::Tenant)
                            .col(OidcIdentities::Subject),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OidcIdentities::Table, OidcIdentities::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Tenant).string_len(40))
                    .col(ColumnDef::new(AuditLog::ActorId).uuid())
                    .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Detail).text().not_null())
                    .col(ColumnDef::new(AuditLog::RequestId).string_len(64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            OidcIdentities::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            AccountRoles::Table.into_iden(),
            Accounts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
