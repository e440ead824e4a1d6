//! Allocating a payment to what is owed, as the Ordynacja podatkowa orders it.
//!
//! Order:
//! 1. the cost of a delivered upomnienie, first (art. 62 § 1a OP), in the order given
//!    (the caller passes them oldest first);
//! 2. what the payer indicated (art. 62 § 1 and § 3): listed instalments, oldest due first;
//!    or, for a payment into a kind's dedicated account (which indicates that kind), that
//!    kind's instalments: arrears oldest first, then current ones;
//! 3. everything else: arrears oldest first across kinds, then current instalments by due
//!    date;
//! 4. the rest is an overpayment (credit balance).
//!
//! When the indicated instalments do not absorb the payment, the remainder continues by
//! rule 3 instead of becoming an overpayment of the indicated obligation: art. 62 § 1
//! only gives the indicated items priority, and an overpayment would be offset against
//! arrears ex officio anyway (art. 76 § 1), so both routes end in the same place and this
//! one saves a second booking.
//!
//! An overdue instalment is paid together with its interest. A payment short of both is
//! split in the ratio of principal to interest on the payment day (art. 55 § 2 OP):
//! principal part = remaining × principal / (principal + interest), rounded half up to
//! the grosz, interest part = the rest (allocation is in grosze, art. 63 § 3). Which
//! interest figure enters the ratio, rounded to full złoty or exact, is not settled in
//! practice: [`RatioInterest`], a per-tenant switch, default rounded.
//!
//! Interest model: interest accrues on the outstanding principal from the instalment's
//! original due date. After a partial payment the caller passes the remaining principal
//! with the same due date, and the next payment's interest is computed on it from that
//! date. This is consistent with the proportional split: the interest paid with a
//! principal part equals the interest that part had accrued, so what remains owed is
//! exactly the interest on the remaining principal.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use wspolnota_core::Money;

use crate::domain::interest::{InterestError, InterestRegime, interest};
use crate::rules::NationalRules;

/// An instalment with principal still outstanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInstallment<K> {
    pub key: K,
    /// Catalogue code of the obligation's kind (e.g. `"property_tax"`).
    pub kind: String,
    /// The deadline (already moved off weekends and holidays).
    pub due_date: NaiveDate,
    /// Outstanding principal.
    pub principal: Money,
    pub regime: InterestRegime,
}

/// The cost of a delivered upomnienie still owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCost<K> {
    pub key: K,
    pub amount: Money,
}

/// What the payer said the payment is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Indication<K> {
    #[default]
    None,
    /// These instalments.
    Installments(Vec<K>),
    /// This kind (a payment into the kind's dedicated virtual account).
    Kind(String),
}

/// Which interest figure the art. 55 § 2 ratio uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioInterest {
    /// The interest as owed, rounded to full złoty (art. 63 § 1).
    #[default]
    Rounded,
    /// The unrounded interest.
    Exact,
}

/// What one instalment received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentAllocation<K> {
    pub key: K,
    pub principal: Money,
    pub interest: Money,
    /// The interest owed on the payment day for this instalment (for information).
    pub interest_due: Money,
}

/// How a payment was allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation<K> {
    /// Upomnienie costs paid, by cost key.
    pub costs: Vec<(K, Money)>,
    /// Instalments that received something, in allocation order.
    pub installments: Vec<InstallmentAllocation<K>>,
    /// What is left: a credit balance.
    pub overpayment: Money,
}

impl<K> Allocation<K> {
    /// Everything allocated, overpayment included: equals the payment.
    pub fn total(&self) -> Money {
        self.costs.iter().map(|(_, m)| *m).sum::<Money>()
            + self
                .installments
                .iter()
                .map(|a| a.principal + a.interest)
                .sum::<Money>()
            + self.overpayment
    }
}

/// Why a payment could not be allocated. Indices are positions in the input slices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("payment {payment} must be positive")]
    NotPositive { payment: Money },
    #[error("installment {index} has negative principal {principal}")]
    NegativePrincipal { index: usize, principal: Money },
    #[error("cost {index} has negative amount {amount}")]
    NegativeCost { index: usize, amount: Money },
    #[error("installments {index} and {other} have the same key")]
    DuplicateKey { index: usize, other: usize },
    #[error("indicated installment {position} is not among the open installments")]
    UnknownIndicated { position: usize },
    #[error("interest on installment {index}: {source}")]
    Interest {
        index: usize,
        #[source]
        source: InterestError,
    },
    #[error("amounts are out of range")]
    Overflow,
}

/// Allocates `payment` made on `paid_on` (see the module docs for the order and the split).
pub fn allocate<K: Clone + Eq>(
    rules: &NationalRules,
    payment: Money,
    paid_on: NaiveDate,
    installments: &[OpenInstallment<K>],
    costs: &[OpenCost<K>],
    indication: &Indication<K>,
    ratio: RatioInterest,
) -> Result<Allocation<K>, AllocationError> {
    validate(payment, installments, costs)?;
    let mut remaining = payment;

    let mut paid_costs = Vec::new();
    for cost in costs {
        if remaining.is_zero() {
            break;
        }
        let part = remaining.min(cost.amount);
        if part.is_positive() {
            paid_costs.push((cost.key.clone(), part));
            remaining = sub(remaining, part)?;
        }
    }

    let mut allocated = Vec::new();
    for index in order(installments, indication)? {
        if remaining.is_zero() {
            break;
        }
        let Some(inst) = installments.get(index) else {
            continue;
        };
        if inst.principal.is_zero() {
            continue;
        }
        let owed = interest(rules, inst.regime, inst.principal, inst.due_date, paid_on)
            .map_err(|source| AllocationError::Interest { index, source })?;
        let full = add(inst.principal, owed.amount)?;
        let (principal, interest_part) = if remaining >= full {
            (inst.principal, owed.amount)
        } else if owed.amount.is_zero() {
            (remaining, Money::ZERO)
        } else {
            let ratio_interest = match ratio {
                RatioInterest::Rounded => owed.amount.amount(),
                RatioInterest::Exact => owed.exact,
            };
            proportional(remaining, inst.principal, owed.amount, ratio_interest)?
        };
        remaining = sub(remaining, add(principal, interest_part)?)?;
        allocated.push(InstallmentAllocation {
            key: inst.key.clone(),
            principal,
            interest: interest_part,
            interest_due: owed.amount,
        });
    }

    Ok(Allocation {
        costs: paid_costs,
        installments: allocated,
        overpayment: remaining,
    })
}

fn validate<K: Eq>(
    payment: Money,
    installments: &[OpenInstallment<K>],
    costs: &[OpenCost<K>],
) -> Result<(), AllocationError> {
    if !payment.is_positive() {
        return Err(AllocationError::NotPositive { payment });
    }
    for (index, i) in installments.iter().enumerate() {
        if i.principal.is_negative() {
            return Err(AllocationError::NegativePrincipal {
                index,
                principal: i.principal,
            });
        }
        if let Some(other) = installments.iter().take(index).position(|o| o.key == i.key) {
            return Err(AllocationError::DuplicateKey { index, other });
        }
    }
    for (index, c) in costs.iter().enumerate() {
        if c.amount.is_negative() {
            return Err(AllocationError::NegativeCost {
                index,
                amount: c.amount,
            });
        }
    }
    Ok(())
}

/// Instalment indices in allocation order: the indicated ones (by due date), then the
/// rest by due date. Sorting by due date puts arrears (due before the payment day)
/// before current instalments, oldest first; ties keep the input order.
fn order<K: Eq>(
    installments: &[OpenInstallment<K>],
    indication: &Indication<K>,
) -> Result<Vec<usize>, AllocationError> {
    let by_due = |v: &mut Vec<usize>| {
        v.sort_by_key(|&i| (installments.get(i).map(|x| x.due_date), i));
    };
    let mut first: Vec<usize> = match indication {
        Indication::None => Vec::new(),
        Indication::Installments(keys) => {
            let mut v = Vec::with_capacity(keys.len());
            for (position, key) in keys.iter().enumerate() {
                let index = installments
                    .iter()
                    .position(|i| i.key == *key)
                    .ok_or(AllocationError::UnknownIndicated { position })?;
                if !v.contains(&index) {
                    v.push(index);
                }
            }
            v
        }
        Indication::Kind(kind) => (0..installments.len())
            .filter(|&i| installments.get(i).is_some_and(|x| x.kind == *kind))
            .collect(),
    };
    by_due(&mut first);
    let mut rest: Vec<usize> = (0..installments.len())
        .filter(|i| !first.contains(i))
        .collect();
    by_due(&mut rest);
    first.extend(rest);
    Ok(first)
}

/// Splits `remaining` (< principal + owed interest) between principal and interest in
/// the ratio principal : `ratio_interest` (art. 55 § 2), never giving either part more
/// than is owed.
fn proportional(
    remaining: Money,
    principal: Money,
    owed_interest: Money,
    ratio_interest: Decimal,
) -> Result<(Money, Money), AllocationError> {
    let p = principal.amount();
    let share = remaining
        .amount()
        .checked_mul(p)
        .and_then(|x| p.checked_add(ratio_interest).and_then(|d| x.checked_div(d)))
        .ok_or(AllocationError::Overflow)?;
    let mut principal_part =
        Money::checked_round_half_up(share).map_err(|_| AllocationError::Overflow)?;
    if principal_part > principal {
        principal_part = principal;
    }
    let mut interest_part = sub(remaining, principal_part)?;
    // With the exact ratio, the interest share can exceed the rounded interest owed.
    if interest_part > owed_interest {
        interest_part = owed_interest;
        principal_part = sub(remaining, interest_part)?;
    }
    Ok((principal_part, interest_part))
}

fn add(a: Money, b: Money) -> Result<Money, AllocationError> {
    a.checked_add(b).ok_or(AllocationError::Overflow)
}

fn sub(a: Money, b: Money) -> Result<Money, AllocationError> {
    a.checked_sub(b).ok_or(AllocationError::Overflow)
}
