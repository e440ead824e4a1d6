//! Payments: allocated by the Ordynacja podatkowa's order (crate::domain::allocation) and
//! posted in one balanced entry: debit the money's account, credit the party's receivables,
//! with interest and dunning costs first charged (Wn 221 / Ma 720) and then paid.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};

use super::{Finance, bulk};
use crate::config::FeesConfig;
use crate::entity::{allocation, installment, ledger_line, payment};

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

    pub(crate) fn debit_account(self, fees: &FeesConfig) -> &str {
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
    /// The obligation the payer named (its decision's number in the transfer title): its
    /// open installments are paid first, as if chosen.
    pub indicated_obligation: Option<Uuid>,
    /// The installments the payer named by number in the transfer title ("II rata 2026"):
    /// among those the other indications leave, they are paid first (art. 62 § 3 OP).
    pub named_installments: Option<NamedInstallments>,
    pub channel: Channel,
    /// Same key, same payment: retries never post twice.
    pub idempotency_key: String,
}

/// Installments named by their number within an obligation ("I i II rata"), and the tax year
/// when the title gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedInstallments {
    pub numbers: Vec<i32>,
    pub year: Option<i32>,
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
/// cash desk all come through here): a batch of one (see [`super::bulk`]).
pub async fn record_in<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    input: NewPayment,
) -> AppResult<Recorded> {
    bulk::record_many(
        fin,
        ctx,
        db,
        vec![input],
        bulk::Rows::Returned,
        bulk::Checks::Lookup,
    )
    .await?
    .pop()
    .ok_or_else(|| AppError::internal(std::io::Error::other("a posting went missing")))
}

/// The party's credit balance: overpayments not yet credited or refunded.
pub async fn overpayment<C: ConnectionTrait>(
    db: &C,
    fees: &FeesConfig,
    party_id: Uuid,
) -> AppResult<Money> {
    Ok(overpayments(db, fees, &[party_id])
        .await?
        .remove(&party_id)
        .unwrap_or(Money::ZERO))
}

/// [`overpayment`] of each of `parties` (a party without a credit balance may be missing).
pub async fn overpayments<C: ConnectionTrait>(
    db: &C,
    fees: &FeesConfig,
    parties: &[Uuid],
) -> AppResult<HashMap<Uuid, Money>> {
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::Account.eq(fees.posting.overpayment.as_str()))
        .filter(ledger_line::Column::ObligationId.is_null());
    let mut out: HashMap<Uuid, Money> = HashMap::new();
    for l in bulk::rows_in(db, lines, ledger_line::Column::PartyId, parties).await? {
        if let Some(party) = l.party_id {
            *out.entry(party).or_insert(Money::ZERO) += Money::from_grosze(l.credit - l.debit);
        }
    }
    Ok(out)
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
            indicated_obligation: None,
            named_installments: None,
            channel: Channel::Offset,
            idempotency_key: format!("offset:{party_id}:{seq}"),
        },
    )
    .await?;
    Ok(Some(recorded))
}
