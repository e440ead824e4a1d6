//! Payments: allocated by the Ordynacja podatkowa's order (crate::domain::allocation) and
//! posted in one balanced entry: debit the money's account, credit the party's receivables,
//! with interest and dunning costs first charged (Wn 221 / Ma 720) and then paid.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit, outbox};

use super::{Finance, catalogue, money_col};
use crate::config::FeesConfig;
use crate::domain::{Indication, OpenCost, OpenInstallment, allocate};
use crate::entity::{allocation, cost, installment, ledger_line, obligation, party, payment};
use crate::ledger::{self, Entry, Line};

/// How the money came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum Channel {
    /// Cash desk (wpłata w kasie) or an inkasent.
    Cash,
    /// A credit on the bank statement.
    Bank,
    /// An online payment, money in transit until the gateway's payout arrives.
    Gateway,
    /// An overpayment credited against what is owed (art. 76 OP).
    Offset,
    /// A bank credit first booked as unidentified (240), assigned to its payer by a clerk.
    Suspense,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::Bank => "bank",
            Self::Gateway => "gateway",
            Self::Offset => "offset",
            Self::Suspense => "suspense",
        }
    }

    fn debit_account(self, fees: &FeesConfig) -> &str {
        match self {
            Self::Cash => &fees.posting.cash,
            Self::Bank => &fees.posting.bank,
            Self::Gateway => &fees.posting.in_transit,
            Self::Offset => &fees.posting.overpayment,
            Self::Suspense => &fees.posting.unidentified,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPayment {
    pub party_id: Uuid,
    pub amount: Money,
    /// Art. 60 OP: the day paid at the desk, or the day the payer's account was debited.
    pub paid_on: NaiveDate,
    pub title: String,
    /// The installments the payer chose (art. 62 § 1).
    pub installment_ids: Vec<Uuid>,
    /// Paid into the virtual account dedicated to this kind: that is the indication.
    pub indicated_kind: Option<String>,
    pub channel: Channel,
    /// Same key, same payment: retries never post twice.
    pub idempotency_key: String,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub payment: payment::Model,
    pub allocations: Vec<allocation::Model>,
    pub replayed: bool,
}

/// Clerk: the cash-desk payment.
pub async fn record_payment(fin: &Finance, ctx: &Ctx, input: NewPayment) -> AppResult<Recorded> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let tx = TenantDb::begin(ctx).await?;
    let recorded = record_in(fin, ctx, &*tx, input).await?;
    if !recorded.replayed {
        audit::record(
            &tx,
            ctx,
            "finance.payment.recorded",
            serde_json::json!({ "payment": recorded.payment.id, "party": recorded.payment.party_id,
                "amount": Money::from_grosze(recorded.payment.amount).to_string(), "channel": recorded.payment.channel }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(recorded)
}

/// Records and posts a payment inside the caller's transaction (statements, gateways and the
/// cash desk all come through here).
pub async fn record_in<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    input: NewPayment,
) -> AppResult<Recorded> {
    if let Some(existing) = payment::Entity::find()
        .filter(payment::Column::IdempotencyKey.eq(input.idempotency_key.as_str()))
        .one(db)
        .await?
    {
        let allocations = allocation::Entity::find()
            .filter(allocation::Column::PaymentId.eq(existing.id))
            .all(db)
            .await?;
        return Ok(Recorded {
            payment: existing,
            allocations,
            replayed: true,
        });
    }
    if !input.amount.is_positive() {
        return Err(AppError::validation("amount", "must be greater than zero"));
    }
    if input.paid_on > ctx.clock().now().date_naive() {
        return Err(AppError::validation(
            "paidOn",
            "a payment cannot be dated in the future",
        ));
    }
    party::Entity::find_by_id(input.party_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("partyId", "no such party"))?;
    let fees = fin.fees(ctx)?;

    let open = installment::Entity::find()
        .filter(installment::Column::PartyId.eq(input.party_id))
        .filter(installment::Column::Outstanding.gt(0))
        .order_by_asc(installment::Column::DueDate)
        .order_by_asc(installment::Column::Number)
        .all(db)
        .await?;
    for (i, id) in input.installment_ids.iter().enumerate() {
        if !open.iter().any(|o| o.id == *id) {
            return Err(AppError::validation(
                format!("installmentIds[{i}]"),
                "not an open installment of this party",
            ));
        }
    }
    let obligations = obligation_map(db, &open).await?;
    let mut items = Vec::with_capacity(open.len());
    for inst in &open {
        let ob = obligations
            .iter()
            .find(|o| o.id == inst.obligation_id)
            .ok_or_else(|| {
                AppError::internal(std::io::Error::other("installment without obligation"))
            })?;
        let kind = catalogue::kind_at(db, &ob.kind_code, inst.due_date, "kind").await?;
        items.push(OpenInstallment {
            key: inst.id,
            kind: ob.kind_code.clone(),
            due_date: inst.due_date,
            principal: Money::from_grosze(inst.outstanding),
            regime: kind.interest,
        });
    }
    let open_costs = cost::Entity::find()
        .filter(cost::Column::PartyId.eq(input.party_id))
        .filter(cost::Column::Outstanding.gt(0))
        .filter(cost::Column::DeliveredOn.lte(input.paid_on))
        .order_by_asc(cost::Column::DeliveredOn)
        .all(db)
        .await?;
    let costs: Vec<OpenCost<Uuid>> = open_costs
        .iter()
        .map(|c| OpenCost {
            key: c.id,
            amount: Money::from_grosze(c.outstanding),
        })
        .collect();
    let indication = if !input.installment_ids.is_empty() {
        Indication::Installments(input.installment_ids.clone())
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

    let party = Some(input.party_id);
    let mut lines = vec![Line::debit(
        input.channel.debit_account(&fees),
        party,
        None,
        input.amount,
    )];
    let payment_id = Uuid::now_v7();
    let mut allocation_rows = Vec::new();
    for (cost_id, amount) in &result.costs {
        // The cost was charged (Wn receivable / Ma revenue) when its notice was delivered;
        // paying it settles the receivable.
        lines.push(Line::credit(
            &fees.posting.costs_receivable,
            party,
            None,
            *amount,
        ));
        if let Some(c) = open_costs.iter().find(|c| c.id == *cost_id) {
            let mut active: cost::ActiveModel = c.clone().into();
            active.outstanding = Set(c.outstanding - money_col(*amount)?);
            active.update(db).await?;
        }
        allocation_rows.push(allocation::ActiveModel {
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
        let inst = open.iter().find(|i| i.id == a.key).ok_or_else(|| {
            AppError::internal(std::io::Error::other(
                "allocation to an unknown installment",
            ))
        })?;
        let ob = obligations
            .iter()
            .find(|o| o.id == inst.obligation_id)
            .ok_or_else(|| {
                AppError::internal(std::io::Error::other("installment without obligation"))
            })?;
        let kind = catalogue::kind_at(db, &ob.kind_code, inst.due_date, "kind").await?;
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
        let outstanding = inst.outstanding - money_col(a.principal)?;
        let mut active: installment::ActiveModel = inst.clone().into();
        active.outstanding = Set(outstanding);
        if outstanding == 0 {
            active.paid_on = Set(Some(input.paid_on));
        }
        active.update(db).await?;
        allocation_rows.push(allocation::ActiveModel {
            payment_id: Set(payment_id),
            installment_id: Set(Some(inst.id)),
            cost_id: Set(None),
            principal: Set(money_col(a.principal)?),
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
    let posted = ledger::post(
        db,
        ctx,
        Entry {
            key: format!("payment:{}", input.idempotency_key),
            date: input.paid_on,
            description: if title.is_empty() {
                "Wpłata".to_owned()
            } else {
                format!("Wpłata: {title}")
            },
            lines,
            reverses: None,
        },
    )
    .await?;
    let payment = payment::ActiveModel {
        id: Set(payment_id),
        party_id: Set(input.party_id),
        amount: Set(money_col(input.amount)?),
        paid_on: Set(input.paid_on),
        channel: Set(input.channel.as_str().to_owned()),
        title: Set(title.to_owned()),
        idempotency_key: Set(input.idempotency_key.clone()),
        overpayment: Set(money_col(result.overpayment)?),
        entry_id: Set(posted.id()),
        created_at: Set(ctx.clock().now()),
    }
    .insert(db)
    .await?;
    let mut allocations = Vec::with_capacity(allocation_rows.len());
    for row in allocation_rows {
        allocations.push(row.insert(db).await?);
    }
    // The payer hears of it with the new balance (the notifications e-service sends it).
    outbox::enqueue(
        db,
        ctx,
        "payment_posted",
        Some(input.party_id),
        &format!("payment_posted:{payment_id}"),
        serde_json::json!({
            "paymentId": payment_id,
            "amount": input.amount.to_string(),
            "paidOn": input.paid_on,
            "channel": input.channel.as_str(),
        }),
    )
    .await?;
    Ok(Recorded {
        payment,
        allocations,
        replayed: false,
    })
}

async fn obligation_map<C: ConnectionTrait>(
    db: &C,
    open: &[installment::Model],
) -> AppResult<Vec<obligation::Model>> {
    let mut ids: Vec<Uuid> = open.iter().map(|i| i.obligation_id).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(obligation::Entity::find()
        .filter(obligation::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// The party's credit balance: overpayments not yet credited or refunded.
pub async fn overpayment<C: ConnectionTrait>(
    db: &C,
    fees: &FeesConfig,
    party_id: Uuid,
) -> AppResult<Money> {
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::PartyId.eq(party_id))
        .filter(ledger_line::Column::Account.eq(fees.posting.overpayment.as_str()))
        .filter(ledger_line::Column::ObligationId.is_null())
        .all(db)
        .await?;
    Ok(Money::from_grosze(
        lines.iter().map(|l| l.credit - l.debit).sum(),
    ))
}

/// Art. 76 OP: an overpayment is credited ex officio against arrears (with interest), then
/// current obligations. Runs after each assessment; does nothing without a credit balance or
/// without anything to credit it against.
pub async fn offset_overpayment<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    party_id: Uuid,
    on: NaiveDate,
) -> AppResult<Option<Recorded>> {
    let fees = fin.fees(ctx)?;
    let credit = overpayment(db, &fees, party_id).await?;
    if !credit.is_positive() {
        return Ok(None);
    }
    let open: Vec<installment::Model> = installment::Entity::find()
        .filter(installment::Column::PartyId.eq(party_id))
        .filter(installment::Column::Outstanding.gt(0))
        .all(db)
        .await?;
    if open.is_empty() {
        return Ok(None);
    }
    // What the allocation leaves over goes back to the credit balance in the same entry.
    let amount = credit;
    // Unique per offset: a clock reading is not (a fixed clock, two requests in one tick),
    // and a repeated key would replay the earlier offset instead of crediting this one.
    let seq = Uuid::now_v7();
    let recorded = record_in(
        fin,
        ctx,
        db,
        NewPayment {
            party_id,
            amount,
            paid_on: on,
            title: "Zaliczenie nadpłaty".into(),
            installment_ids: Vec::new(),
            indicated_kind: None,
            channel: Channel::Offset,
            idempotency_key: format!("offset:{party_id}:{seq}"),
        },
    )
    .await?;
    Ok(Some(recorded))
}
