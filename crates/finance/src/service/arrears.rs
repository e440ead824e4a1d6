//! The arrears list (wykaz zaległości) as of a day: every party with overdue installments
//! (outstanding principal whose due date is before the day), the overdue principal, the
//! late-payment interest it would owe if it paid on that day, and its oldest due date.
//!
//! Built for tenants with 100,000 parties: one aggregate query (GROUP BY party over
//! `finance_installments`, served by the `(due_date, outstanding)` index) picks the page of
//! parties, ordered by overdue principal (largest first, then party number); only the
//! page's installments are then read to compute interest. Interest is the sum of each
//! overdue installment's interest (each rounded and thresholded on its own, as the
//! account view does, see [`crate::domain::interest`]), with the regime of the kind's
//! catalogue version in force on the installment's due date.
//!
//! "Outstanding" is the installment's current outstanding principal: the list answers
//! "who is late, and what would they owe on that day", not a historical snapshot.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};

use super::{Finance, catalogue};
use crate::config::KindConfig;
use crate::domain::{InterestRegime, interest};
use crate::entity::{installment, obligation, party};

/// The largest page a caller may ask for.
pub const MAX_LIMIT: u64 = 500;

/// One party on the list.
#[derive(Debug, Clone)]
pub struct ArrearsItem {
    pub party: party::Model,
    /// Principal past its due date.
    pub overdue: Money,
    /// Interest on it, as of the day.
    pub interest: Money,
    pub oldest_due_date: NaiveDate,
}

/// The whole list's totals (all pages).
#[derive(Debug, Clone, Default)]
pub struct ArrearsTotal {
    pub parties: u64,
    pub overdue: Money,
}

#[derive(Debug, Clone)]
pub struct ArrearsList {
    pub total: ArrearsTotal,
    pub items: Vec<ArrearsItem>,
}

/// Clerk: the arrears list as of `as_of`, `limit` parties from `offset`.
pub async fn arrears(
    fin: &Finance,
    ctx: &Ctx,
    as_of: NaiveDate,
    limit: u64,
    offset: u64,
) -> AppResult<ArrearsList> {
    ctx.require_clerk(ClerkScope::Finance)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let tx = TenantDb::begin(ctx).await?;
    let list = arrears_in(fin, &*tx, as_of, limit, offset).await?;
    audit::record(
        &tx,
        ctx,
        "finance.arrears.listed",
        serde_json::json!({ "asOf": as_of, "limit": limit, "offset": offset,
            "parties": list.total.parties, "overdue": list.total.overdue.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

fn overdue_filter(as_of: NaiveDate) -> (Expr, Expr) {
    (
        Expr::col((installment::Entity, installment::Column::Outstanding)).gt(0),
        Expr::col((installment::Entity, installment::Column::DueDate)).lt(as_of),
    )
}

/// The list inside the caller's transaction (no permission check).
pub async fn arrears_in<C: ConnectionTrait>(
    fin: &Finance,
    db: &C,
    as_of: NaiveDate,
    limit: u64,
    offset: u64,
) -> AppResult<ArrearsList> {
    let total = totals(db, as_of).await?;
    let (positive, late) = overdue_filter(as_of);
    let page_query = Query::select()
        .column((installment::Entity, installment::Column::PartyId))
        .expr_as(
            Expr::col((installment::Entity, installment::Column::Outstanding))
                .sum()
                .cast_as("BIGINT"),
            "overdue",
        )
        .expr_as(
            Expr::col((installment::Entity, installment::Column::DueDate)).min(),
            "oldest",
        )
        .from(installment::Entity)
        .inner_join(
            party::Entity,
            Expr::col((party::Entity, party::Column::Id))
                .equals((installment::Entity, installment::Column::PartyId)),
        )
        .and_where(positive)
        .and_where(late)
        .group_by_col((installment::Entity, installment::Column::PartyId))
        .group_by_col((party::Entity, party::Column::Number))
        .order_by_expr(
            Expr::col((installment::Entity, installment::Column::Outstanding)).sum(),
            Order::Desc,
        )
        .order_by((party::Entity, party::Column::Number), Order::Asc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let mut page: Vec<(Uuid, Money, NaiveDate)> = Vec::new();
    for row in db.query_all(&page_query).await? {
        let party_id: Uuid = row.try_get("", "party_id")?;
        let overdue: i64 = row.try_get("", "overdue")?;
        let oldest: NaiveDate = row.try_get("", "oldest")?;
        page.push((party_id, Money::from_grosze(overdue), oldest));
    }
    if page.is_empty() {
        return Ok(ArrearsList {
            total,
            items: Vec::new(),
        });
    }
    let ids: Vec<Uuid> = page.iter().map(|(id, _, _)| *id).collect();
    let parties: HashMap<Uuid, party::Model> = party::Entity::find()
        .filter(party::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let installments = installment::Entity::find()
        .filter(installment::Column::PartyId.is_in(ids))
        .filter(installment::Column::Outstanding.gt(0))
        .filter(installment::Column::DueDate.lt(as_of))
        .all(db)
        .await?;
    let mut obligation_ids: Vec<Uuid> = installments.iter().map(|i| i.obligation_id).collect();
    obligation_ids.sort();
    obligation_ids.dedup();
    let kind_of: HashMap<Uuid, String> = obligation::Entity::find()
        .filter(obligation::Column::Id.is_in(obligation_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.kind_code))
        .collect();
    let kinds = catalogue::all(db).await?;
    let mut interest_of: HashMap<Uuid, Money> = HashMap::new();
    for inst in &installments {
        let regime = kind_of
            .get(&inst.obligation_id)
            .and_then(|code| kind_version(&kinds, code, inst.due_date))
            .map_or(InterestRegime::None, |k| k.interest);
        // Same figure as the account view: an incomplete rate table yields no interest
        // rather than hiding the party from the list.
        let owed = interest(
            &fin.rules,
            regime,
            Money::from_grosze(inst.outstanding),
            inst.due_date,
            as_of,
        )
        .map_or(Money::ZERO, |i| i.amount);
        *interest_of.entry(inst.party_id).or_default() += owed;
    }
    let mut items = Vec::with_capacity(page.len());
    for (party_id, overdue, oldest_due_date) in page {
        let party = parties.get(&party_id).cloned().ok_or_else(|| {
            AppError::internal(std::io::Error::other("arrears of an unknown party"))
        })?;
        items.push(ArrearsItem {
            party,
            overdue,
            interest: interest_of.get(&party_id).copied().unwrap_or_default(),
            oldest_due_date,
        });
    }
    Ok(ArrearsList { total, items })
}

async fn totals<C: ConnectionTrait>(db: &C, as_of: NaiveDate) -> AppResult<ArrearsTotal> {
    let (positive, late) = overdue_filter(as_of);
    let query = Query::select()
        .expr_as(
            Expr::col((installment::Entity, installment::Column::PartyId)).count_distinct(),
            "parties",
        )
        .expr_as(
            Expr::col((installment::Entity, installment::Column::Outstanding))
                .sum()
                .cast_as("BIGINT"),
            "overdue",
        )
        .from(installment::Entity)
        .and_where(positive)
        .and_where(late)
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(ArrearsTotal::default());
    };
    let parties: i64 = row.try_get("", "parties")?;
    let overdue: Option<i64> = row.try_get("", "overdue")?;
    Ok(ArrearsTotal {
        parties: u64::try_from(parties).unwrap_or_default(),
        overdue: Money::from_grosze(overdue.unwrap_or_default()),
    })
}

/// The version of `code` in force on `on` (the earliest one for days before the catalogue).
fn kind_version<'a>(kinds: &'a [KindConfig], code: &str, on: NaiveDate) -> Option<&'a KindConfig> {
    kinds
        .iter()
        .filter(|k| k.code == code && k.valid_from <= on)
        .max_by_key(|k| k.valid_from)
        .or_else(|| kinds.iter().find(|k| k.code == code))
}
