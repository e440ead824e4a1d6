//! A finance clerk's decision on an unmatched credit (booked Wn bank / Ma 240 at import):
//! assign it to its payer (and obligation), recognise it as non-tax income, or return it to
//! the sender. Each decision is one balanced entry out of 240, audited; an assignment also
//! remembers the sender's account with the payer ([`super::payers`]).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};
use wspolnota_finance::entity::{installment, party};
use wspolnota_finance::ledger::{self, Entry, Line};
use wspolnota_finance::service::payments::{Channel, NewPayment, record_in};

use super::title::Title;
use super::{Statements, payers};
use crate::entity::line;

#[derive(Debug, Clone)]
pub enum Resolution {
    /// The payer is known: the money pays the party's obligations (this obligation first).
    Assign {
        party_id: Uuid,
        obligation_id: Option<Uuid>,
    },
    /// Not a tax or fee: income of another kind, on `account`.
    NonTaxIncome { account: String },
    /// Sent back to the payer by an outgoing transfer.
    Refund,
}

/// The ledger key of a resolution's entry.
pub fn resolution_key(line_id: Uuid) -> String {
    format!("statement-resolve:{line_id}")
}

pub async fn resolve(
    svc: &Statements,
    ctx: &Ctx,
    line_id: Uuid,
    resolution: Resolution,
    reason: &str,
) -> AppResult<line::Model> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let reason = super::reason(reason)?;
    let fees = svc.finance.fees(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let found = line::Entity::find_by_id(line_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such statement line"))?;
    if found.status != "unmatched" || found.entry_id.is_none() {
        return Err(AppError::validation(
            "lineId",
            "only an unmatched credit can be resolved",
        ));
    }
    let amount = Money::from_grosze(found.amount);
    let date = found.payer_date.unwrap_or(found.value_date);
    let mut row: line::ActiveModel = found.clone().into();
    let action = match resolution {
        Resolution::Assign {
            party_id,
            obligation_id,
        } => {
            party::Entity::find_by_id(party_id)
                .one(&*tx)
                .await?
                .ok_or_else(|| AppError::validation("partyId", "no such party"))?;
            let installment_ids = match obligation_id {
                Some(ob) => {
                    let open: Vec<Uuid> = installment::Entity::find()
                        .filter(installment::Column::ObligationId.eq(ob))
                        .filter(installment::Column::PartyId.eq(party_id))
                        .filter(installment::Column::Outstanding.gt(0))
                        .order_by_asc(installment::Column::DueDate)
                        .all(&*tx)
                        .await?
                        .into_iter()
                        .map(|i| i.id)
                        .collect();
                    if open.is_empty() {
                        return Err(AppError::validation(
                            "obligationId",
                            "not an obligation of this party with something left to pay",
                        ));
                    }
                    open
                }
                None => Vec::new(),
            };
            let recorded = record_in(
                &svc.finance,
                ctx,
                &*tx,
                NewPayment {
                    party_id,
                    amount,
                    paid_on: date,
                    title: found.title.chars().take(200).collect(),
                    installment_ids,
                    indicated_kind: None,
                    indicated_obligation: None,
                    // The payer's own words still count when a clerk found the party
                    // (an obligation the clerk chose comes first).
                    named_installments: Title::read(&found.title).named_installments(),
                    channel: Channel::Suspense,
                    idempotency_key: resolution_key(line_id),
                },
            )
            .await?;
            if let Some(account) = &found.counterparty_account {
                payers::remember(&*tx, account, party_id, ctx.clock().now()).await?;
            }
            row.status = Set("resolved".to_owned());
            row.matched_by = Set(Some("clerk".to_owned()));
            row.party_id = Set(Some(party_id));
            row.payment_id = Set(Some(recorded.payment.id));
            "assigned"
        }
        Resolution::NonTaxIncome { account } => {
            let account = account.trim();
            if account.is_empty() || account.len() > 20 {
                return Err(AppError::validation(
                    "account",
                    "give the income account (at most 20 characters)",
                ));
            }
            ledger::post(
                &*tx,
                ctx,
                Entry {
                    key: resolution_key(line_id),
                    date,
                    description: format!("Dochód niepodatkowy: {reason}"),
                    lines: vec![
                        Line::debit(&fees.posting.unidentified, None, None, amount),
                        Line::credit(account, None, None, amount),
                    ],
                    reverses: None,
                },
            )
            .await?;
            row.status = Set("resolved".to_owned());
            row.matched_by = Set(Some("clerk".to_owned()));
            "non_tax_income"
        }
        Resolution::Refund => {
            ledger::post(
                &*tx,
                ctx,
                Entry {
                    key: resolution_key(line_id),
                    date: ctx.today(),
                    description: format!("Zwrot wpłaty nierozpoznanej: {reason}"),
                    lines: vec![
                        Line::debit(&fees.posting.unidentified, None, None, amount),
                        Line::credit(&fees.posting.bank, None, None, amount),
                    ],
                    reverses: None,
                },
            )
            .await?;
            row.status = Set("refunded".to_owned());
            "refunded"
        }
    };
    row.note = Set(Some(reason.to_owned()));
    let updated = row.update(&*tx).await?;
    audit::record(
        &tx,
        ctx,
        "statements.line_resolved",
        serde_json::json!({ "line": line_id, "action": action, "amount": amount.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}
