//! Payers recognised by the account they send from. A resident who pays to the municipality's
//! general account with a title such as "podatek" lands in the clerk's queue every time; once
//! a clerk has assigned one such credit, the next one from the same account comes with that
//! payer suggested. Only a suggestion: a family member's or an accountant's account pays for
//! several parties, so the clerk still decides (and each decision is remembered too).
//!
//! Accounts are compared by their last 16 letters and digits — the client part of an NRB,
//! which every dialect gives (PKO's `~31` gives nothing more). Two banks may number clients
//! alike; the odd wrong suggestion that follows is the clerk's to dismiss.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, TenantDb};
use wspolnota_finance::entity::party;

use crate::entity::{line, payer_account};

/// Characters of an account that identify it here (see the module's notes).
const KEY_LEN: usize = 16;
/// Suggestions given for one credit at most.
const MAX_SUGGESTIONS: u64 = 5;

/// A party a clerk has assigned credits from the same account to.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub party: party::Model,
    /// Credits from the account assigned to the party.
    pub assignments: i32,
    pub last_assigned_at: DateTime<Utc>,
}

/// The key an account is remembered by: its last 16 letters and digits, upper-case; `None`
/// for anything shorter (no account number).
pub fn account_key(account: &str) -> Option<String> {
    let chars: Vec<char> = account
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let start = chars.len().checked_sub(KEY_LEN)?;
    Some(chars.get(start..)?.iter().collect())
}

/// Remembers, inside the clerk's transaction, that a credit from `account` was assigned to
/// `party_id`.
pub(crate) async fn remember<C: ConnectionTrait>(
    db: &C,
    account: &str,
    party_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let Some(key) = account_key(account) else {
        return Ok(());
    };
    payer_account::Entity::insert(payer_account::ActiveModel {
        account_key: Set(key),
        party_id: Set(party_id),
        assignments: Set(1),
        last_assigned_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([
            payer_account::Column::AccountKey,
            payer_account::Column::PartyId,
        ])
        .value(
            payer_account::Column::Assignments,
            Expr::col((payer_account::Entity, payer_account::Column::Assignments)).add(1),
        )
        .update_column(payer_account::Column::LastAssignedAt)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The parties clerks have assigned credits from this credit's account to, the latest first.
/// Nothing for a line without a sender's account or one that is not waiting for a clerk.
pub async fn suggestions(ctx: &Ctx, line_id: Uuid) -> AppResult<Vec<Suggestion>> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let tx = TenantDb::begin(ctx).await?;
    let found = line::Entity::find_by_id(line_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("no such statement line"))?;
    let key = match (&found.status[..], found.counterparty_account.as_deref()) {
        ("unmatched", Some(account)) => account_key(account),
        _ => None,
    };
    let Some(key) = key else {
        tx.commit().await?;
        return Ok(Vec::new());
    };
    let known = payer_account::Entity::find()
        .filter(payer_account::Column::AccountKey.eq(key))
        .order_by_desc(payer_account::Column::LastAssignedAt)
        .order_by_desc(payer_account::Column::Assignments)
        .limit(MAX_SUGGESTIONS)
        .all(&*tx)
        .await?;
    let ids: Vec<Uuid> = known.iter().map(|k| k.party_id).collect();
    let mut parties = party::Entity::find()
        .filter(party::Column::Id.is_in(ids))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(known
        .into_iter()
        .filter_map(|k| {
            let at = parties.iter().position(|p| p.id == k.party_id)?;
            Some(Suggestion {
                party: parties.swap_remove(at),
                assignments: k.assignments,
                last_assigned_at: k.last_assigned_at,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::account_key;

    #[test]
    fn an_account_is_known_by_its_last_sixteen_letters_and_digits() {
        let full = account_key("PL61 1090 1014 0000 0712 1981 2874");
        assert_eq!(full.as_deref(), Some("0000071219812874"));
        // The NRB without the country code, and PKO's `~31` (NRB characters 11–26).
        assert_eq!(account_key("61109010140000071219812874"), full);
        assert_eq!(account_key("0000071219812874"), full);
        assert_eq!(account_key("/0000-0712-1981-2874"), full);
        // A foreign IBAN keeps its letters, upper-cased.
        assert_eq!(
            account_key("gb29 nwbk 6016 1331 9268 19").as_deref(),
            Some("BK60161331926819")
        );
        assert_eq!(account_key("12345"), None);
        assert_eq!(account_key(""), None);
    }
}
