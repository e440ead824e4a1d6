//! The tenant registry's persistence: the `platform.tenants` table, synchronised from
//! `tenants/*.toml` or created by the operator, and loaded into the in-memory
//! `TenantRegistry` that routes requests.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder};
use wspolnota_core::tenant::{ConfigError, TenantConfig};
use wspolnota_core::{AppError, AppResult, Ctx, Tenant, TenantSlug, TenantStatus};

use crate::eservices;
use crate::state::AppState;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        pub name: String,
        pub kind: String,
        pub teryt: String,
        pub status: String,
        pub config_toml: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A parsed tenant file and its text (stored, so every replica reads the same config).
pub struct TenantFile {
    pub config: TenantConfig,
    pub text: String,
}

pub fn parse(state: &AppState, file: &str, text: &str) -> Result<TenantFile, ConfigError> {
    let config = TenantConfig::from_toml(file, text, &eservices::ids())?;
    for eservice in state
        .eservices
        .iter()
        .filter(|e| config.e_services.iter().any(|id| id == e.id()))
    {
        eservice
            .validate_config(&config)
            .map_err(|(field, message)| ConfigError {
                file: file.to_owned(),
                field,
                message,
            })?;
    }
    Ok(TenantFile {
        config,
        text: text.to_owned(),
    })
}

/// Reads and validates every `*.toml` in `dir`; any error stops the whole sync.
pub fn read_dir(state: &AppState, dir: &Path) -> anyhow::Result<Vec<TenantFile>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading tenants directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file = parse(state, &path.display().to_string(), &text)?;
        let expected = format!("{}.toml", file.config.slug);
        anyhow::ensure!(
            path.file_name().is_some_and(|n| n == expected.as_str()),
            "{}: slug: `{}` does not match the file name (expected {expected})",
            path.display(),
            file.config.slug
        );
        files.push(file);
    }
    Ok(files)
}

fn kind_name(config: &TenantConfig) -> String {
    serde_json::to_value(config.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Inserts or updates a tenant's row (keeping the status of an existing one), then creates
/// and migrates its schema. Returns whether it was new.
pub async fn upsert(state: &AppState, file: &TenantFile) -> AppResult<bool> {
    let tx = state.store.platform_begin().await?;
    let now = Utc::now();
    let existing = entity::Entity::find_by_id(file.config.slug.as_str())
        .one(&tx)
        .await?;
    let is_new = existing.is_none();
    let mut row = entity::ActiveModel {
        slug: Set(file.config.slug.to_string()),
        name: Set(file.config.name.clone()),
        kind: Set(kind_name(&file.config)),
        teryt: Set(file.config.teryt.clone()),
        config_toml: Set(file.text.clone()),
        updated_at: Set(now),
        ..Default::default()
    };
    if is_new {
        row.status = Set(TenantStatus::Active.as_str().to_owned());
        row.created_at = Set(now);
        row.insert(&tx).await?;
    } else {
        row.update(&tx).await?;
    }
    tx.commit().await?;
    state.store.migrate_tenant(&file.config.slug).await?;
    provision(state, &file.config).await?;
    Ok(is_new)
}

/// Lets each enabled e-service prepare the tenant's data (catalogues from its file).
async fn provision(state: &AppState, config: &TenantConfig) -> AppResult<()> {
    let tenant = Arc::new(Tenant::new(config.clone(), TenantStatus::Active));
    let ctx = Ctx::system(tenant, state.services());
    for eservice in state
        .eservices
        .iter()
        .filter(|e| config.e_services.iter().any(|id| id == e.id()))
    {
        eservice.provision(&ctx).await?;
    }
    Ok(())
}

/// The operator's "create tenant": a new slug only.
pub async fn create(state: &AppState, ctx: &Ctx, toml: &str) -> AppResult<TenantSlug> {
    let file = parse(state, "toml", toml)
        .map_err(|e| AppError::validation(format!("toml.{}", e.field), e.message))?;
    if state.registry.get(&file.config.slug).is_some() || exists(state, &file.config.slug).await? {
        return Err(AppError::conflict(format!(
            "tenant `{}` already exists",
            file.config.slug
        )));
    }
    upsert(state, &file).await?;
    audit(state, ctx, "tenant.created", &file.config.slug).await?;
    reload(state).await?;
    Ok(file.config.slug)
}

async fn exists(state: &AppState, slug: &TenantSlug) -> AppResult<bool> {
    let tx = state.store.platform_begin().await?;
    let found = entity::Entity::find_by_id(slug.as_str())
        .one(&tx)
        .await?
        .is_some();
    tx.commit().await?;
    Ok(found)
}

pub async fn set_status(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    status: TenantStatus,
) -> AppResult<TenantStatus> {
    let slug = TenantSlug::parse(slug).map_err(|e| AppError::invalid("slug", e))?;
    let tx = state.store.platform_begin().await?;
    let row = entity::Entity::find_by_id(slug.as_str())
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no tenant `{slug}`")))?;
    let mut active: entity::ActiveModel = row.into();
    active.status = Set(status.as_str().to_owned());
    active.updated_at = Set(Utc::now());
    active.update(&tx).await?;
    tx.commit().await?;
    let action = match status {
        TenantStatus::Active => "tenant.resumed",
        TenantStatus::Suspended => "tenant.suspended",
    };
    audit(state, ctx, action, &slug).await?;
    reload(state).await?;
    Ok(status)
}

async fn audit(state: &AppState, ctx: &Ctx, action: &str, slug: &TenantSlug) -> AppResult<()> {
    let tx = state.store.platform_begin().await?;
    insert_audit(&tx, ctx, action, slug).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_audit(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    action: &str,
    slug: &TenantSlug,
) -> AppResult<()> {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("audit_log"))
        .columns(["at", "tenant", "actor_id", "action", "detail", "request_id"].map(Alias::new))
        .values([
            Utc::now().into(),
            slug.as_str().into(),
            ctx.account_id().map(|a| a.0).into(),
            action.into(),
            "{}".into(),
            ctx.request_id().as_str().into(),
        ])
        .map_err(AppError::internal)?;
    tx.execute(&insert).await?;
    Ok(())
}

/// Loads every tenant from the database into the in-memory registry. A row whose stored
/// config no longer validates (say, an e-service removed from this build) is skipped with an
/// error in the log rather than taking every other tenant down.
pub async fn reload(state: &AppState) -> AppResult<()> {
    let tx = state.store.platform_begin().await?;
    let rows = entity::Entity::find()
        .order_by_asc(entity::Column::Slug)
        .all(&tx)
        .await?;
    tx.commit().await?;
    let mut tenants = Vec::with_capacity(rows.len());
    for row in rows {
        let status = TenantStatus::parse(&row.status).unwrap_or(TenantStatus::Suspended);
        match parse(
            state,
            &format!("platform.tenants[{}]", row.slug),
            &row.config_toml,
        ) {
            Ok(file) => tenants.push(Tenant::new(file.config, status)),
            Err(e) => {
                tracing::error!(tenant = %row.slug, error = %e, "stored tenant configuration is invalid; tenant not served")
            }
        }
    }
    state.registry.replace_all(tenants);
    Ok(())
}

/// Migrates the platform schema and every registered tenant.
pub async fn migrate_all(state: &AppState) -> AppResult<()> {
    state.store.migrate_platform().await?;
    reload(state).await?;
    for tenant in state.registry.all() {
        state.store.migrate_tenant(tenant.slug()).await?;
    }
    Ok(())
}
