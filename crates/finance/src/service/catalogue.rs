//! The fee catalogue in the tenant's database: seeded from `[fees].kinds`, edited by the
//! tenant's administrators, every change a new dated version.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use wspolnota_core::{AppError, AppResult, Ctx};

use crate::config::{Classification, KindConfig};
use crate::domain::{InterestRegime, ScheduleRule};
use crate::entity::{kind, ledger_account};

fn regime_name(r: InterestRegime) -> AppResult<String> {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or_else(|| AppError::internal(std::io::Error::other("interest regime without a name")))
}

fn from_row(row: kind::Model) -> AppResult<KindConfig> {
    let schedule: ScheduleRule = serde_json::from_str(&row.schedule).map_err(AppError::internal)?;
    let interest: InterestRegime =
        serde_json::from_value(serde_json::Value::String(row.interest_regime.clone()))
            .map_err(AppError::internal)?;
    Ok(KindConfig {
        code: row.code,
        name: row.name,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        classification: Classification {
            dzial: row.dzial,
            rozdzial: row.rozdzial,
            paragraf: row.paragraf,
        },
        receivable_account: row.receivable_account,
        revenue_account: row.revenue_account,
        interest,
        whole_zloty: row.whole_zloty,
        schedule,
        virtual_account: row.virtual_account,
    })
}

/// Every version of every kind.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<KindConfig>> {
    kind::Entity::find()
        .order_by_asc(kind::Column::Code)
        .order_by_asc(kind::Column::ValidFrom)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The version of `code` in force on `date`, or a validation error naming `field`.
pub async fn kind_at<C: ConnectionTrait>(
    db: &C,
    code: &str,
    date: NaiveDate,
    field: &str,
) -> AppResult<KindConfig> {
    let row = kind::Entity::find()
        .filter(kind::Column::Code.eq(code))
        .filter(kind::Column::ValidFrom.lte(date))
        .order_by_desc(kind::Column::ValidFrom)
        .one(db)
        .await?
        .filter(|k| k.valid_to.is_none_or(|to| to >= date))
        .ok_or_else(|| {
            AppError::validation(
                field,
                format!("no obligation kind `{code}` in force on {date}"),
            )
        })?;
    from_row(row)
}

/// Adds a version of a kind; a version with the same code and start replaces nothing (CONFLICT).
/// An open-ended earlier version is closed the day before the new one starts.
pub async fn add_version<C: ConnectionTrait>(db: &C, ctx: &Ctx, k: &KindConfig) -> AppResult<()> {
    let exists = kind::Entity::find()
        .filter(kind::Column::Code.eq(k.code.as_str()))
        .filter(kind::Column::ValidFrom.eq(k.valid_from))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(AppError::conflict(format!(
            "`{}` already has a version from {}",
            k.code, k.valid_from
        )));
    }
    if let Some(day_before) = k.valid_from.pred_opt() {
        let open = kind::Entity::find()
            .filter(kind::Column::Code.eq(k.code.as_str()))
            .filter(kind::Column::ValidFrom.lt(k.valid_from))
            .filter(kind::Column::ValidTo.is_null())
            .all(db)
            .await?;
        for row in open {
            let mut active: kind::ActiveModel = row.into();
            active.valid_to = Set(Some(day_before));
            active.update(db).await?;
        }
    }
    kind::ActiveModel {
        code: Set(k.code.clone()),
        valid_from: Set(k.valid_from),
        valid_to: Set(k.valid_to),
        name: Set(k.name.clone()),
        dzial: Set(k.classification.dzial.clone()),
        rozdzial: Set(k.classification.rozdzial.clone()),
        paragraf: Set(k.classification.paragraf.clone()),
        receivable_account: Set(k.receivable_account.clone()),
        revenue_account: Set(k.revenue_account.clone()),
        interest_regime: Set(regime_name(k.interest)?),
        whole_zloty: Set(k.whole_zloty),
        schedule: Set(serde_json::to_string(&k.schedule).map_err(AppError::internal)?),
        virtual_account: Set(k.virtual_account),
        created_at: Set(ctx.clock().now()),
        created_by: Set(ctx.account_id().map(|a| a.0)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Seeds the chart of accounts and the catalogue from the tenant file. Idempotent: versions
/// already present are left alone, so admins' edits survive a re-sync.
pub async fn seed<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    fees: &crate::config::FeesConfig,
) -> AppResult<()> {
    for account in &fees.accounts {
        if ledger_account::Entity::find_by_id(account.code.clone())
            .one(db)
            .await?
            .is_none()
        {
            ledger_account::ActiveModel {
                code: Set(account.code.clone()),
                name: Set(account.name.clone()),
            }
            .insert(db)
            .await?;
        }
    }
    for k in &fees.kinds {
        let present = kind::Entity::find()
            .filter(kind::Column::Code.eq(k.code.as_str()))
            .filter(kind::Column::ValidFrom.eq(k.valid_from))
            .one(db)
            .await?
            .is_some();
        if !present {
            add_version(db, ctx, k).await?;
        }
    }
    Ok(())
}
