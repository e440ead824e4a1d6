//! Dunning runs: upomnienia (art. 15 § 1 upea) prepared in a batch, reviewed by a clerk, sent
//! and printed, and their cost charged to the debtor once delivered.
//!
//! 1. [`prepare_batch`]: every party whose overdue principal in tax-interest kinds (installments
//!    past due by more than the grace period) exceeds the threshold (the multiplier × the
//!    cost of an upomnienie valid on the day, by default 10 × 16,00 zł = 160,00 zł) gets one
//!    notice with all those items and the interest as of the day, as finance's account view
//!    computes it. Civil-law receivables (usufruct, leases) never get an upomnienie: they are
//!    pursued by a demand for payment and the courts. A party that already has a notice (not
//!    cancelled) for the same installments issued within [`DunningSettings::repeat_days`] is
//!    skipped.
//! 2. [`approve_batch`] (the clerk's review; the batch PDF, [`batch_pdf`], shows what will be
//!    printed) and [`cancel_notice`].
//! 3. [`send_batch`]: approved notices become sent; each gets an outbox event `dunning` (payload
//!    `{"notice": id, "number": …}`) for the delivery engine; the PDF the e-mail carries is
//!    [`render`]. The same notices are printed for registered post with [`batch_pdf`].
//! 4. [`mark_delivered`]: the delivery date (return receipt, e-Doręczenia) is recorded and the
//!    cost becomes owed (art. 15 § 3 upea: owed on delivery): a `finance_costs` row and its
//!    charge, Wn costs receivable (221-98) / Ma costs revenue (720-91). The next payment pays
//!    the cost first (art. 62 § 1a OP) and settles that receivable.

pub mod entity;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, Role, TenantDb, audit, outbox};
use wspolnota_finance::Finance;
use wspolnota_finance::config::KindConfig;
use wspolnota_finance::domain::InterestRegime;
use wspolnota_finance::entity::{cost, installment, party, virtual_account};
use wspolnota_finance::service::account::{self, InstallmentStatus};
use wspolnota_finance::service::catalogue;

use crate::dunning_pdf::{self, DunningItem, DunningNotice, Party};

pub use entity::Model as Notice;

/// The outbox event kind of a sent notice.
pub const OUTBOX_KIND: &str = "dunning";

/// Notice statuses.
pub mod status {
    pub const PREPARED: &str = "prepared";
    pub const APPROVED: &str = "approved";
    pub const SENT: &str = "sent";
    pub const DELIVERED: &str = "delivered";
    pub const CANCELLED: &str = "cancelled";
}

/// When a debtor gets an upomnienie. The defaults are the regulation's: promptly once the
/// arrears exceed 10 × the cost of an upomnienie (Dz.U. 2020 poz. 1294, kept by Dz.U. 2024
/// poz. 316 in practice), payment within 7 days of delivery (art. 15 § 1 upea).
///
/// The threshold multiplier and the grace period are the tenant's (`[notifications]
/// dunning_threshold_multiplier`, `dunning_grace_days`), see [`DunningSettings::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DunningSettings {
    /// Threshold = this × the dunning cost valid on the day.
    pub threshold_multiplier: i64,
    /// Days after the due date before an installment is dunned.
    pub grace_days: i64,
    /// A notice for the same installments is not repeated within this many days.
    pub repeat_days: u64,
    /// Days from delivery to pay before enforcement.
    pub deadline_days: u32,
}

impl DunningSettings {
    /// The tenant's settings (the rest are the regulation's).
    pub fn of(ctx: &Ctx) -> AppResult<Self> {
        let n = &ctx.tenant()?.config().notifications;
        Ok(Self {
            threshold_multiplier: i64::from(n.dunning_threshold_multiplier),
            grace_days: i64::from(n.dunning_grace_days),
            ..Self::default()
        })
    }
}

impl Default for DunningSettings {
    fn default() -> Self {
        Self {
            threshold_multiplier: 10,
            grace_days: 7,
            repeat_days: 30,
            deadline_days: 7,
        }
    }
}

/// One overdue installment on a stored notice (the `items` column, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    pub installment_id: Uuid,
    pub obligation_id: Uuid,
    pub kind: String,
    pub title: String,
    pub period: String,
    pub due_date: NaiveDate,
    /// Grosze.
    pub principal: i64,
    pub interest: i64,
}

/// The notices of one run.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: Uuid,
    pub notices: Vec<Notice>,
}

fn staff(ctx: &Ctx) -> AppResult<()> {
    if ctx.roles().is_clerk_for(ClerkScope::Finance) || ctx.roles().has(Role::TenantAdmin) {
        Ok(())
    } else {
        ctx.require_clerk(ClerkScope::Finance)
    }
}

fn grosze(m: Money) -> AppResult<i64> {
    m.to_grosze().map_err(AppError::internal)
}

/// The items stored on a notice.
pub fn items(n: &Notice) -> AppResult<Vec<StoredItem>> {
    serde_json::from_str(&n.items).map_err(AppError::internal)
}

/// The kind version in force for an installment due on `on`, as finance's account view picks it.
fn kind_at<'a>(kinds: &'a [KindConfig], code: &str, on: NaiveDate) -> Option<&'a KindConfig> {
    kinds
        .iter()
        .filter(|k| k.code == code && k.valid_from <= on)
        .max_by_key(|k| k.valid_from)
        .or_else(|| kinds.iter().find(|k| k.code == code))
}

/// Finance clerk: prepares the notices due on `as_of` (see the module docs), status prepared.
pub async fn prepare_batch(fin: &Finance, ctx: &Ctx, as_of: NaiveDate) -> AppResult<Batch> {
    prepare_batch_with(fin, ctx, as_of, DunningSettings::of(ctx)?).await
}

/// [`prepare_batch`] with explicit settings.
pub async fn prepare_batch_with(
    fin: &Finance,
    ctx: &Ctx,
    as_of: NaiveDate,
    settings: DunningSettings,
) -> AppResult<Batch> {
    staff(ctx)?;
    let cost = *fin.rules.dunning_cost.at(as_of).ok_or_else(|| {
        AppError::validation("asOf", format!("no dunning cost is configured for {as_of}"))
    })?;
    let cost_g = grosze(cost)?;
    let threshold = cost_g.saturating_mul(settings.threshold_multiplier);
    let last_due = as_of
        .checked_sub_days(Days::new(u64::try_from(settings.grace_days).unwrap_or(0)))
        .ok_or_else(|| AppError::validation("asOf", "out of range"))?;
    let since = as_of
        .checked_sub_days(Days::new(settings.repeat_days))
        .ok_or_else(|| AppError::validation("asOf", "out of range"))?;

    // Who may owe enough, and what recent notices already cover.
    let tx = TenantDb::begin(ctx).await?;
    let candidates = installment::Entity::find()
        .filter(installment::Column::Outstanding.gt(0))
        .filter(installment::Column::DueDate.lt(last_due))
        .order_by_asc(installment::Column::PartyId)
        .all(&*tx)
        .await?;
    let kinds = catalogue::all(&*tx).await?;
    let recent = entity::Entity::find()
        .filter(entity::Column::IssueDate.gt(since))
        .filter(entity::Column::IssueDate.lte(as_of))
        .filter(entity::Column::Status.ne(status::CANCELLED))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut covered: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for n in &recent {
        let set = covered.entry(n.party_id).or_default();
        set.extend(items(n)?.into_iter().map(|i| i.installment_id));
    }
    let mut parties: Vec<Uuid> = candidates.iter().map(|i| i.party_id).collect();
    parties.dedup();

    let mut drafts = Vec::new();
    for party_id in parties {
        let data = account::load_for_system(fin, ctx, party_id).await?;
        let mut found = Vec::new();
        for ob in data.obligations(fin, as_of, Some(true)) {
            for inst in &ob.installments {
                if inst.status != InstallmentStatus::Overdue
                    || (as_of - inst.due_date).num_days() <= settings.grace_days
                {
                    continue;
                }
                let regime = kind_at(&kinds, &ob.kind, inst.due_date).map(|k| k.interest);
                if !matches!(
                    regime,
                    Some(InterestRegime::Tax | InterestRegime::TaxReduced)
                ) {
                    continue;
                }
                found.push(StoredItem {
                    installment_id: inst.id,
                    obligation_id: ob.id,
                    kind: ob.kind.clone(),
                    title: format!("{}, rata {}", ob.title, inst.number),
                    period: ob.year.to_string(),
                    due_date: inst.due_date,
                    principal: grosze(inst.outstanding)?,
                    interest: grosze(inst.interest)?,
                });
            }
        }
        found.sort_by_key(|i| (i.due_date, i.title.clone()));
        let principal: i64 = found.iter().map(|i| i.principal).sum();
        if principal <= threshold {
            continue;
        }
        if let Some(done) = covered.get(&party_id)
            && found.iter().all(|i| done.contains(&i.installment_id))
        {
            continue;
        }
        drafts.push((party_id, found, principal));
    }

    let batch_id = Uuid::now_v7();
    let tx = TenantDb::begin(ctx).await?;
    let year = as_of.year();
    let prefix = format!("UP/{year}/");
    let mut seq = entity::Entity::find()
        .filter(entity::Column::Number.starts_with(prefix.as_str()))
        .all(&*tx)
        .await?
        .iter()
        .filter_map(|n| n.number[prefix.len()..].parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let now = ctx.clock().now();
    let mut notices = Vec::with_capacity(drafts.len());
    for (party_id, found, principal) in drafts {
        seq += 1;
        let interest: i64 = found.iter().map(|i| i.interest).sum();
        let notice = entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            number: Set(format!("{prefix}{seq:06}")),
            party_id: Set(party_id),
            batch_id: Set(batch_id),
            issue_date: Set(as_of),
            items: Set(serde_json::to_string(&found).map_err(AppError::internal)?),
            principal: Set(principal),
            interest: Set(interest),
            cost: Set(cost_g),
            total: Set(principal + interest + cost_g),
            status: Set(status::PREPARED.to_owned()),
            message_id: Set(None),
            delivered_on: Set(None),
            cost_id: Set(None),
            entry_id: Set(None),
            created_at: Set(now),
            created_by: Set(ctx.account_id().map(|a| a.0)),
        }
        .insert(&*tx)
        .await?;
        notices.push(notice);
    }
    audit::record(
        &tx,
        ctx,
        "dunning.prepared",
        serde_json::json!({ "batch": batch_id, "as_of": as_of, "notices": notices.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Batch {
        id: batch_id,
        notices,
    })
}

/// The notices of a batch, by number; optionally one status only.
pub async fn notices(
    ctx: &Ctx,
    batch_id: Option<Uuid>,
    status: Option<&str>,
) -> AppResult<Vec<Notice>> {
    staff(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let mut q = entity::Entity::find();
    if let Some(b) = batch_id {
        q = q.filter(entity::Column::BatchId.eq(b));
    }
    if let Some(s) = status {
        q = q.filter(entity::Column::Status.eq(s));
    }
    let rows = q.order_by_asc(entity::Column::Number).all(&*tx).await?;
    tx.commit().await?;
    Ok(rows)
}

/// One notice.
pub async fn notice(ctx: &Ctx, id: Uuid) -> AppResult<Notice> {
    staff(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let n = find(&*tx, id).await?;
    tx.commit().await?;
    Ok(n)
}

async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Notice> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such dunning notice"))
}

/// Moves the batch's notices in `from` to `to`; returns the batch's notices afterwards.
async fn transition(
    ctx: &Ctx,
    batch_id: Uuid,
    from: &str,
    to: &str,
    action: &str,
) -> AppResult<Vec<Notice>> {
    staff(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let moving = entity::Entity::find()
        .filter(entity::Column::BatchId.eq(batch_id))
        .filter(entity::Column::Status.eq(from))
        .order_by_asc(entity::Column::Number)
        .all(&*tx)
        .await?;
    if moving.is_empty() {
        return Err(AppError::conflict(format!(
            "the batch has no {from} notices"
        )));
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(to))
        .filter(entity::Column::BatchId.eq(batch_id))
        .filter(entity::Column::Status.eq(from))
        .exec(&*tx)
        .await?;
    if to == status::SENT {
        for n in &moving {
            outbox::enqueue(
                &*tx,
                ctx,
                OUTBOX_KIND,
                Some(n.party_id),
                &format!("dunning:{}", n.id),
                serde_json::json!({ "notice": n.id, "number": n.number }),
            )
            .await?;
        }
    }
    audit::record(
        &tx,
        ctx,
        action,
        serde_json::json!({ "batch": batch_id, "notices": moving.iter().map(|n| n.id).collect::<Vec<_>>() }),
    )
    .await?;
    let all = entity::Entity::find()
        .filter(entity::Column::BatchId.eq(batch_id))
        .order_by_asc(entity::Column::Number)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(all)
}

/// The clerk approves the reviewed batch: prepared → approved.
pub async fn approve_batch(ctx: &Ctx, batch_id: Uuid) -> AppResult<Vec<Notice>> {
    transition(
        ctx,
        batch_id,
        status::PREPARED,
        status::APPROVED,
        "dunning.approved",
    )
    .await
}

/// Approved notices are sent: status sent and one outbox event `dunning` per notice.
pub async fn send_batch(ctx: &Ctx, batch_id: Uuid) -> AppResult<Vec<Notice>> {
    transition(
        ctx,
        batch_id,
        status::APPROVED,
        status::SENT,
        "dunning.sent",
    )
    .await
}

/// Withdraws a notice not yet sent.
pub async fn cancel_notice(ctx: &Ctx, id: Uuid) -> AppResult<Notice> {
    staff(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let n = find(&*tx, id).await?;
    if n.status != status::PREPARED && n.status != status::APPROVED {
        return Err(AppError::conflict(format!(
            "a {} notice cannot be cancelled",
            n.status
        )));
    }
    let mut active: entity::ActiveModel = n.into();
    active.status = Set(status::CANCELLED.to_owned());
    let n = active.update(&*tx).await?;
    audit::record(
        &tx,
        ctx,
        "dunning.cancelled",
        serde_json::json!({ "notice": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Records delivery on `delivered_on` and charges the cost of the notice to the debtor (a
/// `finance_costs` row the next payment pays first). A second call is a CONFLICT.
pub async fn mark_delivered(
    fin: &Finance,
    ctx: &Ctx,
    id: Uuid,
    delivered_on: NaiveDate,
) -> AppResult<Notice> {
    staff(ctx)?;
    let fees = fin.fees(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let n = find(&*tx, id).await?;
    if n.status == status::DELIVERED {
        return Err(AppError::conflict(format!(
            "notice {} was delivered on {}",
            n.number,
            n.delivered_on.map_or_else(String::new, |d| d.to_string())
        )));
    }
    if n.status != status::SENT && n.status != status::APPROVED {
        return Err(AppError::conflict(format!(
            "a {} notice cannot be delivered",
            n.status
        )));
    }
    if delivered_on < n.issue_date {
        return Err(AppError::validation(
            "deliveredOn",
            "is before the notice was issued",
        ));
    }
    if delivered_on > ctx.today() {
        return Err(AppError::validation("deliveredOn", "is in the future"));
    }
    // Guarded update: a concurrent second call changes nothing and gets a CONFLICT.
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(status::DELIVERED))
        .col_expr(entity::Column::DeliveredOn, Expr::value(Some(delivered_on)))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::Status.eq(n.status.as_str()))
        .exec(&*tx)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict("the notice changed meanwhile"));
    }
    let cost_id = Uuid::now_v7();
    if n.cost > 0 {
        cost::ActiveModel {
            id: Set(cost_id),
            party_id: Set(n.party_id),
            description: Set(format!("Koszty upomnienia {}", n.number)),
            amount: Set(n.cost),
            outstanding: Set(n.cost),
            delivered_on: Set(delivered_on),
            created_at: Set(ctx.clock().now()),
        }
        .insert(&*tx)
        .await?;
    }
    // Owed from delivery (art. 15 upea): charged now as a receivable of the party.
    let entry_id = if n.cost > 0 {
        let cost = Money::from_grosze(n.cost);
        let posted = wspolnota_finance::ledger::post(
            &*tx,
            ctx,
            wspolnota_finance::ledger::Entry {
                key: format!("dunning-cost:{}", n.id),
                date: delivered_on,
                description: format!("Koszty upomnienia {}", n.number),
                lines: vec![
                    wspolnota_finance::ledger::Line::debit(
                        &fees.posting.costs_receivable,
                        Some(n.party_id),
                        None,
                        cost,
                    ),
                    wspolnota_finance::ledger::Line::credit(
                        &fees.posting.costs_revenue,
                        Some(n.party_id),
                        None,
                        cost,
                    ),
                ],
                reverses: None,
            },
        )
        .await?;
        Some(posted.id())
    } else {
        None
    };
    let mut active: entity::ActiveModel = find(&*tx, id).await?.into();
    active.cost_id = Set((n.cost > 0).then_some(cost_id));
    active.entry_id = Set(entry_id);
    let n = active.update(&*tx).await?;
    audit::record(
        &tx,
        ctx,
        "dunning.delivered",
        serde_json::json!({ "notice": id, "delivered_on": delivered_on, "cost": n.cost }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The printable notice for a stored one: creditor from the tenant file, debtor from finance,
/// the party's virtual account for the first item's kind (else the tenant's tax account) and
/// its ZBP transfer code.
pub async fn document(fin: &Finance, ctx: &Ctx, n: &Notice) -> AppResult<DunningNotice> {
    let tenant = ctx.tenant()?.clone();
    let config = tenant.config();
    let stored = items(n)?;
    let tx = TenantDb::begin(ctx).await?;
    let debtor = party::Entity::find_by_id(n.party_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such party"))?;
    let accounts = virtual_account::Entity::find()
        .filter(virtual_account::Column::PartyId.eq(n.party_id))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let nrb: String = stored
        .iter()
        .find_map(|i| accounts.iter().find(|a| a.kind_code == i.kind))
        .map(|a| a.nrb.clone())
        .or_else(|| {
            config
                .bank_accounts
                .iter()
                .find(|a| a.purpose == "taxes")
                .or_else(|| config.bank_accounts.first())
                .map(|a| a.nrb.clone())
        })
        .ok_or_else(|| AppError::validation("bankAccount", "the tenant has no bank account"))?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let rate = fin
        .rules
        .tax_interest
        .at(n.issue_date)
        .map(|r| r.normalize().to_string().replace('.', ","))
        .unwrap_or_else(|| "?".into());
    let mut address = Vec::new();
    if let Some(s) = &debtor.street {
        address.push(s.clone());
    }
    let city = [debtor.postal_code.as_deref(), debtor.city.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !city.is_empty() {
        address.push(city);
    }
    let identifier = debtor
        .nip
        .as_ref()
        .map(|nip| format!("NIP {nip}"))
        .or_else(|| {
            debtor
                .pesel
                .as_ref()
                .map(|p| format!("PESEL {}*****", p.chars().take(6).collect::<String>()))
        })
        .or_else(|| Some(format!("nr podatnika {}", debtor.number)));
    let nip_digits: String = config
        .nip
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let qr_payload = (n.total > 0 && n.total <= 999_999 && nrb.len() == 26).then(|| {
        format!(
            "{nip_digits}|PL|{nrb}|{:06}|{}|{}|||",
            n.total,
            zbp_field(&config.name, 20),
            zbp_field(&n.number, 32)
        )
    });
    Ok(DunningNotice {
        number: n.number.clone(),
        issue_date: n.issue_date,
        place: config.address.city.clone(),
        creditor: Party {
            name: config.name.clone(),
            address: vec![
                config.address.street.clone(),
                format!("{} {}", config.address.postal_code, config.address.city),
            ],
            identifier: config.nip.as_ref().map(|nip| format!("NIP {nip}")),
        },
        debtor: Party {
            name: debtor.name.clone(),
            address,
            identifier,
        },
        items: stored
            .iter()
            .map(|i| DunningItem {
                title: i.title.clone(),
                period: i.period.clone(),
                due_date: i.due_date,
                principal: Money::from_grosze(i.principal),
                interest: Money::from_grosze(i.interest),
            })
            .collect(),
        cost: Money::from_grosze(n.cost),
        deadline_days: DunningSettings::default().deadline_days,
        interest_rate_note: format!("{rate}% w stosunku rocznym (stawka odsetek za zwłokę)"),
        bank_account: nrb_spaced(&nrb),
        transfer_title: format!("{} upomnienie", n.number),
        qr_payload,
        signatory: "Z upoważnienia organu podatkowego".into(),
    })
}

fn zbp_field(s: &str, max: usize) -> String {
    let cleaned: String = s.chars().filter(|&c| c != '|' && !c.is_control()).collect();
    let cut: String = cleaned.trim().chars().take(max).collect();
    cut.trim_end().to_owned()
}

/// `NN NNNN NNNN …`
fn nrb_spaced(nrb: &str) -> String {
    let mut out = String::with_capacity(nrb.len() + 7);
    for (i, c) in nrb.chars().enumerate() {
        if i == 2 || (i > 2 && (i - 2) % 4 == 0) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The PDF of one notice (the e-mail's attachment).
pub async fn render(fin: &Finance, ctx: &Ctx, n: &Notice) -> AppResult<Vec<u8>> {
    let doc = document(fin, ctx, n).await?;
    dunning_pdf::render_pdf(&doc).map_err(AppError::internal)
}

/// The batch's notices (cancelled ones left out) in one PDF for postal print.
pub async fn batch_pdf(fin: &Finance, ctx: &Ctx, batch_id: Uuid) -> AppResult<Vec<u8>> {
    let list: Vec<Notice> = notices(ctx, Some(batch_id), None)
        .await?
        .into_iter()
        .filter(|n| n.status != status::CANCELLED)
        .collect();
    if list.is_empty() {
        return Err(AppError::not_found("the batch has no notices to print"));
    }
    let mut docs = Vec::with_capacity(list.len());
    for n in &list {
        docs.push(document(fin, ctx, n).await?);
    }
    dunning_pdf::render_batch_pdf(&docs).map_err(AppError::internal)
}

/// Standard base64 (RFC 4648, padded), for the PDF in GraphQL.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
