//! Reading payments: one payment (the payer's own, or any for a finance clerk), the payer's
//! list, and the receipt of a succeeded payment.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb};
use wspolnota_finance::entity::{allocation, installment, obligation};
use wspolnota_finance::service::parties;

use crate::entity::{payment, payment_installment};
use crate::receipt::{Receipt, ReceiptLine};
use crate::state::PaymentStatus;

/// A payment with the installments it was started for.
#[derive(Debug, Clone)]
pub struct PaymentDetails {
    pub payment: payment::Model,
    pub installments: Vec<payment_installment::Model>,
}

/// Whether the request may see this party's payments.
async fn may_see<C: ConnectionTrait>(ctx: &Ctx, db: &C, party_id: Uuid) -> AppResult<()> {
    let account = ctx.require_account()?;
    if ctx.roles().is_clerk_for(ClerkScope::Finance) {
        return Ok(());
    }
    let linked = parties::linked_parties(db, account).await?;
    if linked.iter().any(|p| p.id == party_id) {
        Ok(())
    } else {
        // Not "forbidden": whether a payment exists is itself not for others to learn.
        Err(AppError::not_found("no such payment"))
    }
}

pub async fn get(ctx: &Ctx, id: Uuid) -> AppResult<PaymentDetails> {
    let tx = TenantDb::begin(ctx).await?;
    let payment = payment::Entity::find_by_id(id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such payment"))?;
    may_see(ctx, &*tx, payment.party_id).await?;
    let installments = payment_installment::Entity::find()
        .filter(payment_installment::Column::PaymentId.eq(id))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(PaymentDetails {
        payment,
        installments,
    })
}

/// The payments of the parties the account acts for (or of `party_id`), newest first.
pub async fn mine(ctx: &Ctx, party_id: Option<Uuid>, limit: u64) -> AppResult<Vec<PaymentDetails>> {
    let account = ctx.require_account()?;
    let tx = TenantDb::begin(ctx).await?;
    let parties: Vec<Uuid> = match party_id {
        Some(id) => {
            may_see(ctx, &*tx, id).await?;
            vec![id]
        }
        None => parties::linked_parties(&*tx, account)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    let payments = payment::Entity::find()
        .filter(payment::Column::PartyId.is_in(parties))
        .order_by_desc(payment::Column::CreatedAt)
        .limit(limit.clamp(1, 200))
        .all(&*tx)
        .await?;
    let ids: Vec<Uuid> = payments.iter().map(|p| p.id).collect();
    let mut installments = payment_installment::Entity::find()
        .filter(payment_installment::Column::PaymentId.is_in(ids))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(payments
        .into_iter()
        .map(|payment| {
            let (mine, rest) = installments
                .drain(..)
                .partition(|i| i.payment_id == payment.id);
            installments = rest;
            PaymentDetails {
                payment,
                installments: mine,
            }
        })
        .collect())
}

/// The receipt of a succeeded payment: what it paid, line by line, as the ledger allocated it.
pub async fn receipt(ctx: &Ctx, id: Uuid) -> AppResult<Receipt> {
    let details = get(ctx, id).await?;
    let p = &details.payment;
    if p.status != PaymentStatus::Succeeded.as_str() {
        return Err(AppError::validation(
            "id",
            "a receipt exists only for a succeeded payment",
        ));
    }
    let tenant = ctx.tenant()?.clone();
    let config = tenant.config();
    let tx = TenantDb::begin(ctx).await?;
    let party = wspolnota_finance::entity::party::Entity::find_by_id(p.party_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such party"))?;
    let allocations = match p.finance_payment_id {
        Some(fid) => {
            allocation::Entity::find()
                .filter(allocation::Column::PaymentId.eq(fid))
                .order_by_asc(allocation::Column::Id)
                .all(&*tx)
                .await?
        }
        None => Vec::new(),
    };
    let mut lines = Vec::new();
    for a in &allocations {
        let description = match a.installment_id {
            Some(iid) => match installment::Entity::find_by_id(iid).one(&*tx).await? {
                Some(inst) => {
                    let title = obligation::Entity::find_by_id(inst.obligation_id)
                        .one(&*tx)
                        .await?
                        .map_or_else(String::new, |o| o.title);
                    format!("{title}, rata {}", inst.number)
                }
                None => "Należność".to_owned(),
            },
            None if a.cost_id.is_some() => "Koszty upomnienia".to_owned(),
            None => "Nadpłata".to_owned(),
        };
        lines.push(ReceiptLine {
            description,
            principal: Money::from_grosze(a.principal),
            interest: Money::from_grosze(a.interest),
            costs: Money::from_grosze(a.costs),
        });
    }
    let outstanding: i64 = installment::Entity::find()
        .filter(installment::Column::PartyId.eq(p.party_id))
        .all(&*tx)
        .await?
        .iter()
        .map(|i| i.outstanding)
        .sum();
    tx.commit().await?;
    let overpaid = p.amount
        - allocations
            .iter()
            .map(|a| a.principal + a.interest + a.costs)
            .sum::<i64>();
    if overpaid > 0 {
        lines.push(ReceiptLine {
            description: "Nadpłata".to_owned(),
            principal: Money::from_grosze(overpaid),
            interest: Money::ZERO,
            costs: Money::ZERO,
        });
    }
    Ok(Receipt {
        tenant_name: config.name.clone(),
        tenant_address: vec![
            config.address.street.clone(),
            format!("{} {}", config.address.postal_code, config.address.city),
        ],
        tenant_nip: config.nip.clone(),
        payment_id: p.id,
        gateway: display_name(&p.gateway).to_owned(),
        provider_reference: p.provider_reference.clone(),
        paid_at: p.paid_at.unwrap_or(p.updated_at),
        payer_name: party.name,
        amount: Money::from_grosze(p.amount),
        lines,
        balance_after: Some(Money::from_grosze(outstanding)),
        refunded: (p.refunded > 0).then(|| Money::from_grosze(p.refunded)),
    })
}

pub fn display_name(gateway: &str) -> &str {
    match gateway {
        "sandbox" => "Bramka testowa",
        "payu" => "PayU",
        "przelewy24" => "Przelewy24",
        "paypal" => "PayPal",
        "paybynet" => "KIR Paybynet",
        "transfer" => "Przelew bankowy",
        other => other,
    }
}
