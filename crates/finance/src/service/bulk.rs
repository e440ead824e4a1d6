//! Posting payments in batches: the one implementation of the posting rules, for one payment
//! (the cash desk, a gateway, a clerk's assignment: [`super::payments::record_in`]) or for
//! thousands (a bank statement's credits).
//!
//! A batch reads what it needs in a few queries (earlier payments and journal entries under
//! the same keys, the parties, their open installments with obligations and kinds, their open
//! costs), allocates every payment in memory in order with [`crate::domain::allocate`] — a
//! payment sees what the payments before it in the batch left open, exactly as if they had
//! been posted one by one — and writes the journal entries, their lines, the payments, the
//! allocations, the "payment posted" messages and the changed installments and costs with
//! multi-row statements. Same key, same payment: a key posted before (or earlier in the batch)
//! is a replay.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set, Value,
};
use uuid::Uuid;
use wspolnota_core::bulk::{Batch, is_in};
use wspolnota_core::{AppError, AppResult, Ctx, Money, outbox};

use super::payments::{NamedInstallments, NewPayment, Recorded};
use super::{Finance, catalogue, money_col};
use crate::config::{FeesConfig, KindConfig};
use crate::domain::{Indication, OpenCost, OpenInstallment, allocate};
use crate::entity::{
    allocation, cost, installment, ledger_entry, ledger_line, obligation, party, payment,
};
use crate::ledger::{Entry, Line};

/// Keys or ids per `IN (…)` list.
pub(crate) const IN_LIST: usize = 2_000;
/// Bind parameters per multi-row statement: under SQLite's limit (32,766) and PostgreSQL's
/// (65,535).
const MAX_PARAMS: usize = 30_000;

/// Whether the caller needs the rows as stored (ids, timestamps as the database keeps them):
/// one posting does, a statement's thousands do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Payments and allocations as the database returned them.
    Returned,
    /// Payments as built (the allocations left out): no `RETURNING`.
    Built,
}

/// What a batch looks up before posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// A key may have been posted before (a replay) and a party may not exist: both are looked
    /// up.
    Lookup,
    /// The caller has claimed every key in this transaction under a unique constraint (a
    /// bank statement's dedupe keys) and read every party from the database in it: there is
    /// nothing to find. Should a key have been posted all the same, the unique keys of
    /// payments and journal entries refuse the batch rather than post it twice.
    Claimed,
}

/// Records and posts `inputs` in order inside the caller's transaction, one [`Recorded`] per
/// input. The first invalid payment fails the whole batch.
pub async fn record_many<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    inputs: Vec<NewPayment>,
    rows: Rows,
    checks: Checks,
) -> AppResult<Vec<Recorded>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let earlier = match checks {
        Checks::Lookup => earlier_payments(db, &inputs, rows).await?,
        Checks::Claimed => Earlier::default(),
    };
    let today = ctx.today();
    let mut parties: Vec<Uuid> = Vec::new();
    for input in inputs
        .iter()
        .filter(|i| !earlier.payments.contains_key(&i.idempotency_key))
    {
        if !input.amount.is_positive() {
            return Err(AppError::validation("amount", "must be greater than zero"));
        }
        if input.paid_on > today {
            return Err(AppError::validation(
                "paidOn",
                "a payment cannot be dated in the future",
            ));
        }
        parties.push(input.party_id);
    }
    parties.sort();
    parties.dedup();
    if checks == Checks::Lookup {
        let known = existing_parties(db, &parties).await?;
        if inputs.iter().any(|i| {
            !earlier.payments.contains_key(&i.idempotency_key) && !known.contains(&i.party_id)
        }) {
            return Err(AppError::validation("partyId", "no such party"));
        }
    }
    let fees = fin.fees_shared(ctx)?;
    let mut book = Book::load(db, &parties).await?;
    let entry_keys: Vec<String> = inputs.iter().map(entry_key).collect();
    let posted_entries = match checks {
        Checks::Lookup => earlier_entries(db, &entry_keys).await?,
        Checks::Claimed => HashMap::new(),
    };

    let now = ctx.clock().now();
    let mut out = Writes::by(ctx);
    let mut slots = Vec::with_capacity(inputs.len());
    let mut in_batch: HashMap<String, usize> = HashMap::new();
    for (input, key) in inputs.into_iter().zip(entry_keys) {
        if let Some(existing) = earlier.payments.get(&input.idempotency_key) {
            slots.push(Slot::Earlier(existing.id));
            continue;
        }
        if let Some(&first) = in_batch.get(&input.idempotency_key) {
            slots.push(Slot::InBatch(first));
            continue;
        }
        let at = out.payments.len();
        in_batch.insert(input.idempotency_key.clone(), at);
        let entry_id = posted_entries.get(&key).copied();
        book.post(fin, &fees, input, key, entry_id, now, &mut out)?;
        slots.push(Slot::New(at));
    }
    let stored = out.write(db, ctx, &book, rows).await?;
    assemble(slots, earlier, stored)
}

/// Posts journal entries as [`crate::ledger::post`] does, with a few statements for all of
/// them: each is checked, and one whose key was posted before (or earlier in `entries`) is a
/// replay. The ids, in the order of `entries`. With [`Checks::Claimed`], keys posted before
/// are not looked up (the entries' unique key would refuse them).
pub async fn post_entries<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    entries: Vec<Entry>,
    checks: Checks,
) -> AppResult<Vec<Uuid>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut posted = match checks {
        Checks::Lookup => {
            let keys: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
            earlier_entries(db, &keys).await?
        }
        Checks::Claimed => HashMap::new(),
    };
    let now = ctx.clock().now();
    let mut out = Writes::by(ctx);
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let entry = entry.validated().map_err(|e| {
            AppError::internal(std::io::Error::other(format!("refusing to post: {e}")))
        })?;
        if let Some(id) = posted.get(&entry.key) {
            ids.push(*id);
            continue;
        }
        let key = entry.key.clone();
        let id = out.entry(entry, now)?;
        posted.insert(key, id);
        ids.push(id);
    }
    out.insert_journal(db).await?;
    Ok(ids)
}

/// Reverses journal entries with their mirror images (storno), dated `date`, as
/// [`crate::ledger::reverse`] reverses one, with a few statements for all of them: the ids of
/// the reversals, in the order of `entry_ids`. With [`Checks::Lookup`] an entry reversed before
/// gives the reversal it has (a replay); with [`Checks::Claimed`] the caller has made sure none
/// was.
pub async fn reverse_entries<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    entry_ids: &[Uuid],
    date: NaiveDate,
    reason: &str,
    checks: Checks,
) -> AppResult<Vec<Uuid>> {
    let entries = entries_by_id(db, entry_ids).await?;
    let mut lines: HashMap<Uuid, Vec<ledger_line::Model>> = HashMap::new();
    let select = ledger_line::Entity::find().order_by_asc(ledger_line::Column::Id);
    for l in rows_in(db, select, ledger_line::Column::EntryId, entry_ids).await? {
        lines.entry(l.entry_id).or_default().push(l);
    }
    let reversals = entry_ids
        .iter()
        .map(|id| {
            let original = entries
                .get(id)
                .ok_or_else(|| AppError::not_found("no such journal entry"))?;
            let lines = lines.get(id).cloned().unwrap_or_default();
            Ok(crate::ledger::reversal(original, lines, date, reason))
        })
        .collect::<AppResult<Vec<_>>>()?;
    post_entries(db, ctx, reversals, checks).await
}

/// The journal entries among `ids` that exist, by id.
pub async fn entries_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, ledger_entry::Model>> {
    let entries = rows_in(
        db,
        ledger_entry::Entity::find(),
        ledger_entry::Column::Id,
        ids,
    )
    .await?;
    Ok(entries.into_iter().map(|e| (e.id, e)).collect())
}

/// The rows `select` finds whose `column` is one of `keys`, in `IN` lists of [`IN_LIST`] keys
/// (each key once; rows in `select`'s order within a list).
pub(crate) async fn rows_in<E, C, K>(
    db: &C,
    select: Select<E>,
    column: E::Column,
    keys: &[K],
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
    K: Clone + Ord + Into<Value>,
{
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let mut rows = Vec::new();
    for part in keys.chunks(IN_LIST) {
        let list = is_in(db, column, part.iter().cloned())?;
        rows.extend(select.clone().filter(list).all(db).await?);
    }
    Ok(rows)
}

/// Whether any of the entries `ids` has been reversed.
pub async fn any_reversed<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<bool> {
    for part in ids.chunks(IN_LIST) {
        let found = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::Id)
            .filter(is_in(
                db,
                ledger_entry::Column::Reverses,
                part.iter().copied(),
            )?)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The journal entry key of a payment.
fn entry_key(input: &NewPayment) -> String {
    format!("payment:{}", input.idempotency_key)
}

enum Slot {
    /// Posted before the batch (a replay).
    Earlier(Uuid),
    /// The same key earlier in the batch: index into the batch's new payments.
    InBatch(usize),
    /// New: index into the batch's new payments.
    New(usize),
}

#[derive(Default)]
struct Earlier {
    payments: HashMap<String, payment::Model>,
    allocations: HashMap<Uuid, Vec<allocation::Model>>,
}

async fn earlier_payments<C: ConnectionTrait>(
    db: &C,
    inputs: &[NewPayment],
    rows: Rows,
) -> AppResult<Earlier> {
    let keys: Vec<&str> = inputs.iter().map(|i| i.idempotency_key.as_str()).collect();
    let mut earlier = Earlier::default();
    for p in rows_in(
        db,
        payment::Entity::find(),
        payment::Column::IdempotencyKey,
        &keys,
    )
    .await?
    {
        earlier.payments.insert(p.idempotency_key.clone(), p);
    }
    if rows == Rows::Returned && !earlier.payments.is_empty() {
        let ids: Vec<Uuid> = earlier.payments.values().map(|p| p.id).collect();
        earlier.allocations = allocations_of(db, &ids).await?;
    }
    Ok(earlier)
}

/// The allocations of the payments `ids`, per payment, in the order they were made.
pub(crate) async fn allocations_of<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<allocation::Model>>> {
    let select = allocation::Entity::find().order_by_asc(allocation::Column::Id);
    let mut out: HashMap<Uuid, Vec<allocation::Model>> = HashMap::new();
    for a in rows_in(db, select, allocation::Column::PaymentId, ids).await? {
        out.entry(a.payment_id).or_default().push(a);
    }
    Ok(out)
}

async fn existing_parties<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
    let mut found = HashSet::with_capacity(ids.len());
    for part in ids.chunks(IN_LIST) {
        let got: Vec<Uuid> = party::Entity::find()
            .select_only()
            .column(party::Column::Id)
            .filter(is_in(db, party::Column::Id, part.iter().copied())?)
            .into_tuple()
            .all(db)
            .await?;
        found.extend(got);
    }
    Ok(found)
}

/// Journal entries already posted under these keys (`ledger::post` replays them).
async fn earlier_entries<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
) -> AppResult<HashMap<String, Uuid>> {
    let mut found = HashMap::new();
    for part in keys.chunks(IN_LIST) {
        let got: Vec<(Uuid, String)> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::Id)
            .column(ledger_entry::Column::IdempotencyKey)
            .filter(is_in(
                db,
                ledger_entry::Column::IdempotencyKey,
                part.iter().map(String::as_str),
            )?)
            .into_tuple()
            .all(db)
            .await?;
        found.extend(got.into_iter().map(|(id, key)| (key, id)));
    }
    Ok(found)
}

/// What the batch's parties owe, kept current as the batch allocates.
struct Book {
    /// Installments with principal outstanding when the batch started, per party, by due
    /// date, number and id (the order allocation sees them in).
    installments: HashMap<Uuid, Vec<installment::Model>>,
    costs: HashMap<Uuid, Vec<cost::Model>>,
    obligations: HashMap<Uuid, obligation::Model>,
    kinds: Vec<KindConfig>,
    changed_installments: HashSet<Uuid>,
    changed_costs: HashSet<Uuid>,
}

impl Book {
    async fn load<C: ConnectionTrait>(db: &C, parties: &[Uuid]) -> AppResult<Self> {
        let mut installments: HashMap<Uuid, Vec<installment::Model>> = HashMap::new();
        let open = installment::Entity::find()
            .filter(installment::Column::Outstanding.gt(0))
            .order_by_asc(installment::Column::DueDate)
            .order_by_asc(installment::Column::Number)
            .order_by_asc(installment::Column::Id);
        for i in rows_in(db, open, installment::Column::PartyId, parties).await? {
            installments.entry(i.party_id).or_default().push(i);
        }
        let mut costs: HashMap<Uuid, Vec<cost::Model>> = HashMap::new();
        let open = cost::Entity::find()
            .filter(cost::Column::Outstanding.gt(0))
            .order_by_asc(cost::Column::DeliveredOn)
            .order_by_asc(cost::Column::Id);
        for c in rows_in(db, open, cost::Column::PartyId, parties).await? {
            costs.entry(c.party_id).or_default().push(c);
        }
        let ids: Vec<Uuid> = installments
            .values()
            .flatten()
            .map(|i| i.obligation_id)
            .collect();
        let obligations: HashMap<Uuid, obligation::Model> =
            rows_in(db, obligation::Entity::find(), obligation::Column::Id, &ids)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
        let kinds = if obligations.is_empty() {
            Vec::new()
        } else {
            catalogue::all(db).await?
        };
        Ok(Self {
            installments,
            costs,
            obligations,
            kinds,
            changed_installments: HashSet::new(),
            changed_costs: HashSet::new(),
        })
    }

    fn obligation(&self, inst: &installment::Model) -> AppResult<&obligation::Model> {
        self.obligations.get(&inst.obligation_id).ok_or_else(|| {
            AppError::internal(std::io::Error::other("installment without obligation"))
        })
    }

    /// The open installments a payer named by number: of the obligation it named when
    /// anything of that is open, else of the kind its account stands for, else of any
    /// obligation; of the year it gave, if it gave one. None found (a number or year nothing
    /// open has) and the rest of the indication applies.
    fn numbered(
        &self,
        open: &[&installment::Model],
        named: &[&installment::Model],
        kind: Option<&str>,
        numbers: &NamedInstallments,
    ) -> AppResult<Vec<Uuid>> {
        let pool: &[&installment::Model] = if named.is_empty() { open } else { named };
        let mut found = Vec::new();
        for inst in pool {
            if !numbers.numbers.contains(&inst.number) {
                continue;
            }
            let ob = self.obligation(inst)?;
            if named.is_empty() && kind.is_some_and(|k| k != ob.kind_code) {
                continue;
            }
            if numbers.year.is_some_and(|y| y != ob.year) {
                continue;
            }
            found.push(inst.id);
        }
        Ok(found)
    }

    /// Allocates and books one payment against the book, as `record_in` always has.
    #[allow(clippy::too_many_arguments)]
    fn post(
        &mut self,
        fin: &Finance,
        fees: &FeesConfig,
        input: NewPayment,
        key: String,
        entry_id: Option<Uuid>,
        now: DateTime<Utc>,
        out: &mut Writes,
    ) -> AppResult<()> {
        let party_id = input.party_id;
        let open: Vec<&installment::Model> = self
            .installments
            .get(&party_id)
            .map(|v| v.iter().filter(|i| i.outstanding > 0).collect())
            .unwrap_or_default();
        for (i, id) in input.installment_ids.iter().enumerate() {
            if !open.iter().any(|o| o.id == *id) {
                return Err(AppError::validation(
                    format!("installmentIds[{i}]"),
                    "not an open installment of this party",
                ));
            }
        }
        let mut items = Vec::with_capacity(open.len());
        for inst in &open {
            let ob = self.obligation(inst)?;
            let kind = kind_at(&self.kinds, &ob.kind_code, inst.due_date)?;
            items.push(OpenInstallment {
                key: inst.id,
                kind: ob.kind_code.clone(),
                due_date: inst.due_date,
                principal: Money::from_grosze(inst.outstanding),
                regime: kind.interest,
            });
        }
        let costs: Vec<OpenCost<Uuid>> = self
            .costs
            .get(&party_id)
            .map(|v| {
                v.iter()
                    .filter(|c| c.outstanding > 0 && c.delivered_on <= input.paid_on)
                    .map(|c| OpenCost {
                        key: c.id,
                        amount: Money::from_grosze(c.outstanding),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let named: Vec<&installment::Model> = input
            .indicated_obligation
            .map(|ob| {
                open.iter()
                    .copied()
                    .filter(|i| i.obligation_id == ob)
                    .collect()
            })
            .unwrap_or_default();
        let numbered = match &input.named_installments {
            Some(numbers) => {
                self.numbered(&open, &named, input.indicated_kind.as_deref(), numbers)?
            }
            None => Vec::new(),
        };
        // What the payer chose, else the installments it named by number among those the
        // rest of its indication leaves, else the obligation it named (if anything of it is
        // still open), else the kind its account stands for.
        let indication = if !input.installment_ids.is_empty() {
            Indication::Installments(input.installment_ids.clone())
        } else if !numbered.is_empty() {
            Indication::Installments(numbered)
        } else if !named.is_empty() {
            Indication::Installments(named.iter().map(|i| i.id).collect())
        } else if let Some(kind) = &input.indicated_kind {
            Indication::Kind(kind.clone())
        } else {
            Indication::None
        };
        let result = allocate(
            &fin.rules,
            input.amount,
            input.paid_on,
            &items,
            &costs,
            &indication,
            fees.interest_ratio,
        )
        .map_err(|e| AppError::validation("amount", e.to_string()))?;

        let party = Some(party_id);
        let mut lines = vec![Line::debit(
            input.channel.debit_account(fees),
            party,
            None,
            input.amount,
        )];
        let payment_id = Uuid::now_v7();
        for (cost_id, amount) in &result.costs {
            // The cost was charged (Wn receivable / Ma revenue) when its notice was delivered;
            // paying it settles the receivable.
            lines.push(Line::credit(
                &fees.posting.costs_receivable,
                party,
                None,
                *amount,
            ));
            if let Some(c) = self
                .costs
                .get_mut(&party_id)
                .and_then(|v| v.iter_mut().find(|c| c.id == *cost_id))
            {
                c.outstanding -= money_col(*amount)?;
                self.changed_costs.insert(c.id);
            }
            out.allocations.push(allocation::ActiveModel {
                payment_id: Set(payment_id),
                installment_id: Set(None),
                cost_id: Set(Some(*cost_id)),
                principal: Set(0),
                interest: Set(0),
                costs: Set(money_col(*amount)?),
                ..Default::default()
            });
        }
        for a in &result.installments {
            let inst = self
                .installments
                .get(&party_id)
                .and_then(|v| v.iter().find(|i| i.id == a.key))
                .ok_or_else(|| {
                    AppError::internal(std::io::Error::other(
                        "allocation to an unknown installment",
                    ))
                })?;
            let ob = self.obligation(inst)?;
            let kind = kind_at(&self.kinds, &ob.kind_code, inst.due_date)?;
            let obl = Some(ob.id);
            if a.interest.is_positive() {
                // Interest is charged when paid (przypis odsetek), then paid.
                lines.push(Line::debit(
                    &kind.receivable_account,
                    party,
                    obl,
                    a.interest,
                ));
                lines.push(Line::credit(
                    &fees.posting.interest_revenue,
                    party,
                    obl,
                    a.interest,
                ));
            }
            lines.push(Line::credit(
                &kind.receivable_account,
                party,
                obl,
                a.principal + a.interest,
            ));
            let principal = money_col(a.principal)?;
            if let Some(inst) = self
                .installments
                .get_mut(&party_id)
                .and_then(|v| v.iter_mut().find(|i| i.id == a.key))
            {
                inst.outstanding -= principal;
                if inst.outstanding == 0 {
                    inst.paid_on = Some(input.paid_on);
                }
                self.changed_installments.insert(inst.id);
            }
            out.allocations.push(allocation::ActiveModel {
                payment_id: Set(payment_id),
                installment_id: Set(Some(a.key)),
                cost_id: Set(None),
                principal: Set(principal),
                interest: Set(money_col(a.interest)?),
                costs: Set(0),
                ..Default::default()
            });
        }
        if result.overpayment.is_positive() {
            lines.push(Line::credit(
                &fees.posting.overpayment,
                party,
                None,
                result.overpayment,
            ));
        }
        let title = input.title.trim();
        let entry = Entry {
            key,
            date: input.paid_on,
            description: if title.is_empty() {
                "Wpłata".to_owned()
            } else {
                format!("Wpłata: {title}")
            },
            lines,
            reverses: None,
        }
        .validated()
        .map_err(|e| AppError::internal(std::io::Error::other(format!("refusing to post: {e}"))))?;
        let entry_id = match entry_id {
            Some(id) => id,
            None => out.entry(entry, now)?,
        };
        out.payments.push(payment::Model {
            id: payment_id,
            party_id,
            amount: money_col(input.amount)?,
            paid_on: input.paid_on,
            channel: input.channel.as_str().to_owned(),
            title: title.to_owned(),
            idempotency_key: input.idempotency_key.clone(),
            overpayment: money_col(result.overpayment)?,
            entry_id,
            created_at: now,
        });
        // The payer hears of it with the new balance (the notifications e-service sends it).
        out.outbox.push(outbox::Message {
            party: Some(party_id),
            dedupe_key: format!("payment_posted:{payment_id}"),
            payload: serde_json::json!({
                "paymentId": payment_id,
                "amount": input.amount.to_string(),
                "paidOn": input.paid_on,
                "channel": input.channel.as_str(),
            }),
        });
        Ok(())
    }
}

/// The version of `code` in force on `date`, as `catalogue::kind_at` picks it: the latest
/// version started by then, if it has not ended.
fn kind_at<'k>(kinds: &'k [KindConfig], code: &str, date: NaiveDate) -> AppResult<&'k KindConfig> {
    kinds
        .iter()
        .filter(|k| k.code == code && k.valid_from <= date)
        .max_by_key(|k| k.valid_from)
        .filter(|k| k.valid_to.is_none_or(|to| to >= date))
        .ok_or_else(|| {
            AppError::validation(
                "kind",
                format!("no obligation kind `{code}` in force on {date}"),
            )
        })
}

/// The rows a batch writes.
#[derive(Default)]
struct Writes {
    entries: Vec<ledger_entry::ActiveModel>,
    lines: Vec<ledger_line::ActiveModel>,
    payments: Vec<payment::Model>,
    allocations: Vec<allocation::ActiveModel>,
    outbox: Vec<outbox::Message>,
    /// The account posting (recorded on each journal entry).
    created_by: Option<Uuid>,
}

impl Writes {
    fn by(ctx: &Ctx) -> Self {
        Self {
            created_by: ctx.account_id().map(|a| a.0),
            ..Self::default()
        }
    }

    /// Adds a validated entry's rows; returns its id.
    fn entry(&mut self, entry: Entry, now: DateTime<Utc>) -> AppResult<Uuid> {
        let id = Uuid::now_v7();
        let (row, lines) = crate::ledger::rows(entry, id, now, self.created_by)?;
        self.entries.push(row);
        self.lines.extend(lines);
        Ok(id)
    }

    /// Inserts the journal entries and their lines (taking them out of `self`).
    async fn insert_journal<C: ConnectionTrait>(&mut self, db: &C) -> AppResult<()> {
        Batch::of::<ledger_entry::Entity>(std::mem::take(&mut self.entries))?
            .insert(db)
            .await?;
        Batch::of::<ledger_line::Entity>(std::mem::take(&mut self.lines))?
            .insert(db)
            .await
    }

    async fn write<C: ConnectionTrait>(
        mut self,
        db: &C,
        ctx: &Ctx,
        book: &Book,
        rows: Rows,
    ) -> AppResult<Stored> {
        self.insert_journal(db).await?;
        let active: Vec<payment::ActiveModel> = self
            .payments
            .iter()
            .map(|p| payment::ActiveModel::from(p.clone()).reset_all())
            .collect();
        let mut stored = Stored::default();
        match rows {
            Rows::Returned => {
                let mut returned = HashMap::with_capacity(active.len());
                for part in chunks(active, 10) {
                    for p in payment::Entity::insert_many(part)
                        .exec_with_returning(db)
                        .await?
                    {
                        returned.insert(p.id, p);
                    }
                }
                stored.payments = self
                    .payments
                    .into_iter()
                    .map(|p| returned.remove(&p.id).unwrap_or(p))
                    .collect();
                for part in chunks(self.allocations, 6) {
                    for a in allocation::Entity::insert_many(part)
                        .exec_with_returning(db)
                        .await?
                    {
                        stored.allocations.entry(a.payment_id).or_default().push(a);
                    }
                }
                for list in stored.allocations.values_mut() {
                    list.sort_by_key(|a| a.id);
                }
            }
            Rows::Built => {
                Batch::of::<payment::Entity>(active)?.insert(db).await?;
                Batch::of::<allocation::Entity>(self.allocations)?
                    .insert(db)
                    .await?;
                stored.payments = self.payments;
            }
        }
        outbox::enqueue_many(db, ctx, "payment_posted", self.outbox).await?;
        // Only what allocation changes: the rows exist.
        let installments: Vec<installment::ActiveModel> = book
            .installments
            .values()
            .flatten()
            .filter(|i| book.changed_installments.contains(&i.id))
            .map(|i| installment::ActiveModel {
                id: Set(i.id),
                outstanding: Set(i.outstanding),
                paid_on: Set(i.paid_on),
                ..Default::default()
            })
            .collect();
        Batch::of::<installment::Entity>(installments)?
            .update(db, "id")
            .await?;
        let costs: Vec<cost::ActiveModel> = book
            .costs
            .values()
            .flatten()
            .filter(|c| book.changed_costs.contains(&c.id))
            .map(|c| cost::ActiveModel {
                id: Set(c.id),
                outstanding: Set(c.outstanding),
                ..Default::default()
            })
            .collect();
        Batch::of::<cost::Entity>(costs)?.update(db, "id").await?;
        Ok(stored)
    }
}

/// Splits rows so that a multi-row statement of `columns` columns stays under [`MAX_PARAMS`].
fn chunks<T>(rows: Vec<T>, columns: usize) -> Vec<Vec<T>> {
    let per = (MAX_PARAMS / columns.max(1)).max(1);
    let mut out = Vec::with_capacity(rows.len().div_ceil(per));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(per).collect());
    }
    out
}

#[derive(Default)]
struct Stored {
    payments: Vec<payment::Model>,
    allocations: HashMap<Uuid, Vec<allocation::Model>>,
}

fn assemble(slots: Vec<Slot>, earlier: Earlier, stored: Stored) -> AppResult<Vec<Recorded>> {
    let Stored {
        payments,
        mut allocations,
    } = stored;
    let new: Vec<Recorded> = payments
        .into_iter()
        .map(|payment| Recorded {
            allocations: allocations.remove(&payment.id).unwrap_or_default(),
            payment,
            replayed: false,
        })
        .collect();
    let by_id: HashMap<Uuid, &payment::Model> =
        earlier.payments.values().map(|p| (p.id, p)).collect();
    slots
        .into_iter()
        .map(|slot| {
            let found = match slot {
                Slot::New(i) => new.get(i).cloned(),
                Slot::InBatch(i) => new.get(i).cloned().map(|r| Recorded {
                    replayed: true,
                    ..r
                }),
                Slot::Earlier(id) => by_id.get(&id).map(|payment| Recorded {
                    allocations: earlier.allocations.get(&id).cloned().unwrap_or_default(),
                    payment: (*payment).clone(),
                    replayed: true,
                }),
            };
            found.ok_or_else(|| {
                AppError::internal(std::io::Error::other("a batch posting went missing"))
            })
        })
        .collect()
}
