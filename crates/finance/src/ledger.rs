//! The tenant's double-entry ledger: append-only journal entries of two or more lines whose
//! debits equal their credits, each with an idempotency key; corrections are reversals.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, Money};

use crate::entity::{ledger_entry, ledger_line};

/// One line of a journal entry: exactly one side is positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub account: String,
    pub party: Option<Uuid>,
    pub obligation: Option<Uuid>,
    pub debit: Money,
    pub credit: Money,
}

impl Line {
    pub fn debit(
        account: &str,
        party: Option<Uuid>,
        obligation: Option<Uuid>,
        amount: Money,
    ) -> Self {
        Self {
            account: account.to_owned(),
            party,
            obligation,
            debit: amount,
            credit: Money::ZERO,
        }
    }

    pub fn credit(
        account: &str,
        party: Option<Uuid>,
        obligation: Option<Uuid>,
        amount: Money,
    ) -> Self {
        Self {
            account: account.to_owned(),
            party,
            obligation,
            debit: Money::ZERO,
            credit: amount,
        }
    }

    /// The same line on the other side (for reversals).
    fn mirrored(&self) -> Self {
        Self {
            debit: self.credit,
            credit: self.debit,
            ..self.clone()
        }
    }
}

/// A journal entry before it is posted.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Posting the same key twice posts once: retries are harmless.
    pub key: String,
    pub date: NaiveDate,
    pub description: String,
    pub lines: Vec<Line>,
    pub reverses: Option<Uuid>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("a journal entry needs at least two lines")]
    TooFewLines,
    #[error("line {0}: exactly one of debit and credit must be positive")]
    OneSided(usize),
    #[error("debits ({debit}) do not equal credits ({credit})")]
    Unbalanced { debit: Money, credit: Money },
}

impl Entry {
    /// Drops zero lines and checks the double-entry invariant.
    pub fn validated(mut self) -> Result<Self, EntryError> {
        self.lines
            .retain(|l| !(l.debit.is_zero() && l.credit.is_zero()));
        if self.lines.len() < 2 {
            return Err(EntryError::TooFewLines);
        }
        for (i, line) in self.lines.iter().enumerate() {
            let one_sided = (line.debit.is_positive() && line.credit.is_zero())
                || (line.credit.is_positive() && line.debit.is_zero());
            if !one_sided {
                return Err(EntryError::OneSided(i));
            }
        }
        let debit: Money = self.lines.iter().map(|l| l.debit).sum();
        let credit: Money = self.lines.iter().map(|l| l.credit).sum();
        if debit != credit {
            return Err(EntryError::Unbalanced { debit, credit });
        }
        Ok(self)
    }
}

fn grosze(m: Money) -> AppResult<i64> {
    m.to_grosze().map_err(AppError::internal)
}

/// What posting did: a new entry, or the one already posted under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    New(Uuid),
    Replayed(Uuid),
}

impl Posted {
    pub fn id(self) -> Uuid {
        match self {
            Self::New(id) | Self::Replayed(id) => id,
        }
    }
}

/// Posts `entry` inside the caller's transaction.
pub async fn post<C: ConnectionTrait>(db: &C, ctx: &Ctx, entry: Entry) -> AppResult<Posted> {
    let entry = entry
        .validated()
        .map_err(|e| AppError::internal(std::io::Error::other(format!("refusing to post: {e}"))))?;
    if let Some(existing) = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::IdempotencyKey.eq(entry.key.as_str()))
        .one(db)
        .await?
    {
        return Ok(Posted::Replayed(existing.id));
    }
    let id = Uuid::now_v7();
    let (row, lines) = rows(entry, id, ctx.clock().now(), ctx.account_id().map(|a| a.0))?;
    row.insert(db).await?;
    ledger_line::Entity::insert_many(lines).exec(db).await?;
    Ok(Posted::New(id))
}

/// The journal entry's row under `id` and its lines' rows, as [`post`] stores them (the batch
/// posting in `service::bulk` writes the same rows for many entries at once).
pub(crate) fn rows(
    entry: Entry,
    id: Uuid,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
) -> AppResult<(ledger_entry::ActiveModel, Vec<ledger_line::ActiveModel>)> {
    let lines = entry
        .lines
        .iter()
        .map(|line| {
            Ok(ledger_line::ActiveModel {
                entry_id: Set(id),
                account: Set(line.account.clone()),
                party_id: Set(line.party),
                obligation_id: Set(line.obligation),
                debit: Set(grosze(line.debit)?),
                credit: Set(grosze(line.credit)?),
                ..Default::default()
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let row = ledger_entry::ActiveModel {
        id: Set(id),
        idempotency_key: Set(entry.key),
        entry_date: Set(entry.date),
        description: Set(entry.description),
        reverses: Set(entry.reverses),
        created_at: Set(created_at),
        created_by: Set(created_by),
    };
    Ok((row, lines))
}

/// Reverses a posted entry with its mirror image (storno), dated `date`.
pub async fn reverse<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    entry_id: Uuid,
    date: NaiveDate,
    reason: &str,
) -> AppResult<Posted> {
    let original = ledger_entry::Entity::find_by_id(entry_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such journal entry"))?;
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::EntryId.eq(entry_id))
        .order_by_asc(ledger_line::Column::Id)
        .all(db)
        .await?;
    post(db, ctx, reversal(&original, lines, date, reason)).await
}

/// The storno of `original` (whose lines are `lines`): every line on the other side, under the
/// key `reversal:{id}`, so that an entry is reversed at most once.
pub(crate) fn reversal(
    original: &ledger_entry::Model,
    lines: Vec<ledger_line::Model>,
    date: NaiveDate,
    reason: &str,
) -> Entry {
    Entry {
        key: format!("reversal:{}", original.id),
        date,
        description: format!("Storno: {} — {reason}", original.description),
        lines: lines
            .into_iter()
            .map(|l| {
                Line {
                    account: l.account,
                    party: l.party_id,
                    obligation: l.obligation_id,
                    debit: Money::from_grosze(l.debit),
                    credit: Money::from_grosze(l.credit),
                }
                .mirrored()
            })
            .collect(),
        reverses: Some(original.id),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn entry(lines: Vec<Line>) -> Entry {
        Entry {
            key: "k".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            description: "test".into(),
            lines,
            reverses: None,
        }
    }

    #[test]
    fn balanced_entries_pass_and_zero_lines_are_dropped() {
        let e = entry(vec![
            Line::debit("221", None, None, m("100.00")),
            Line::credit("720", None, None, m("100.00")),
            Line::credit("720", None, None, Money::ZERO),
        ])
        .validated()
        .unwrap();
        assert_eq!(e.lines.len(), 2);
    }

    #[test]
    fn unbalanced_or_one_line_or_two_sided_entries_are_refused() {
        let unbalanced = entry(vec![
            Line::debit("221", None, None, m("100.00")),
            Line::credit("720", None, None, m("99.99")),
        ]);
        assert!(matches!(
            unbalanced.validated(),
            Err(EntryError::Unbalanced { .. })
        ));
        let single = entry(vec![Line::debit("221", None, None, m("1.00"))]);
        assert_eq!(single.validated().unwrap_err(), EntryError::TooFewLines);
        let mut both = Line::debit("221", None, None, m("1.00"));
        both.credit = m("1.00");
        let two_sided = entry(vec![both, Line::credit("720", None, None, m("1.00"))]);
        assert_eq!(two_sided.validated().unwrap_err(), EntryError::OneSided(0));
    }

    #[test]
    fn a_mirrored_line_swaps_sides() {
        let l = Line::debit("221", None, None, m("5.00")).mirrored();
        assert_eq!((l.debit, l.credit), (Money::ZERO, m("5.00")));
    }
}
