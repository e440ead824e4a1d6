//! Which party a credit belongs to, in the order the issue fixes:
//!
//! 1. the credited virtual account (the full NRB, or the bank's identifier of it such as
//!    mBank's `ID IPH`, matched on the account's trailing digits) → its party, and for an
//!    account dedicated to one obligation kind, that kind as the payer's indication;
//! 2. a gateway payout reference in the title → the payout;
//! 3. references in the title: the party number after a marker (`NALEŻNOŚĆ 123`, `NR 123`),
//!    a valid NIP, a valid PESEL (compared by its keyed hash) → the party, if exactly one;
//! 4. anything else → unmatched.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wspolnota_core::AppResult;
use wspolnota_core::value::{Nip, Nrb, Pesel};
use wspolnota_finance::Finance;
use wspolnota_finance::entity::{party, virtual_account};
use wspolnota_payments::entity::payout;

use super::account_digits;

/// What a credit was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Party {
        party_id: Uuid,
        /// The kind a dedicated virtual account stands for.
        kind: Option<String>,
        by: &'static str,
    },
    Payout(payout::Model),
    Unmatched,
}

/// Shortest identifier accepted as the tail of a virtual account (mBank's IPH ids are 14
/// characters, of which the digits are the account's client part).
const MIN_TAIL: usize = 8;

pub async fn match_credit<C: ConnectionTrait>(
    fin: &Finance,
    db: &C,
    settlement_number: Option<&str>,
    credited: Option<&str>,
    title: &str,
    payouts: &[payout::Model],
) -> AppResult<Match> {
    if let Some(found) = by_virtual_account(db, settlement_number, credited).await? {
        return Ok(found);
    }
    if let Some(p) = payouts.iter().find(|p| contains_token(title, &p.reference)) {
        return Ok(Match::Payout(p.clone()));
    }
    if let Some(found) = by_title(fin, db, title).await? {
        return Ok(found);
    }
    Ok(Match::Unmatched)
}

async fn by_virtual_account<C: ConnectionTrait>(
    db: &C,
    settlement_number: Option<&str>,
    credited: Option<&str>,
) -> AppResult<Option<Match>> {
    let Some(mut digits) = credited.map(account_digits).filter(|d| d.len() >= MIN_TAIL) else {
        return Ok(None);
    };
    // A bank's identifier that is the account's whole client part: the full NRB follows from
    // the tenant's settlement number, and the lookup is by key instead of a scan.
    if digits.len() == 16
        && let Some(nrb) = settlement_number.and_then(|s| Nrb::from_parts(s, &digits).ok())
    {
        digits = nrb.as_str().to_owned();
    }
    let found = if digits.len() == 26 {
        virtual_account::Entity::find_by_id(digits)
            .one(db)
            .await?
            .into_iter()
            .collect::<Vec<_>>()
    } else {
        virtual_account::Entity::find()
            .filter(virtual_account::Column::Nrb.ends_with(digits.as_str()))
            .all(db)
            .await?
    };
    Ok(match found.as_slice() {
        [one] => Some(Match::Party {
            party_id: one.party_id,
            kind: Some(one.kind_code.clone()).filter(|k| !k.is_empty() && k != "*"),
            by: "virtual_account",
        }),
        _ => None,
    })
}

/// Whether `needle` occurs in `haystack` as a whole word (case-insensitive).
fn contains_token(haystack: &str, needle: &str) -> bool {
    let hay = haystack.to_uppercase();
    let needle = needle.to_uppercase();
    hay.match_indices(&needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Words that introduce a party number in a transfer title.
const NUMBER_MARKERS: [&str; 6] = [
    "NALEŻNOŚĆ",
    "NALEZNOSC",
    "NR",
    "NUMER",
    "PŁATNIK",
    "PLATNIK",
];

async fn by_title<C: ConnectionTrait>(
    fin: &Finance,
    db: &C,
    title: &str,
) -> AppResult<Option<Match>> {
    let upper = title.to_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_alphanumeric() && c != 'Ł' && c != 'Ż')
        .filter(|w| !w.is_empty())
        .collect();
    let mut candidates: Vec<(Uuid, &'static str)> = Vec::new();
    for pair in words.windows(2) {
        let [marker, value] = pair else { continue };
        if NUMBER_MARKERS.contains(marker)
            && let Ok(number) = value.parse::<i64>()
            && let Some(p) = party::Entity::find()
                .filter(party::Column::Number.eq(number))
                .one(db)
                .await?
        {
            candidates.push((p.id, "party_number"));
        }
    }
    for word in words
        .iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        if word.len() == 10
            && let Ok(nip) = Nip::parse(word)
        {
            for p in party::Entity::find()
                .filter(party::Column::Nip.eq(nip.as_str()))
                .all(db)
                .await?
            {
                candidates.push((p.id, "nip"));
            }
        }
        if word.len() == 11
            && let Ok(pesel) = Pesel::parse(word)
        {
            let hmac = fin.pesel_hmac(&pesel)?;
            for p in party::Entity::find()
                .filter(party::Column::PeselHmac.eq(hmac))
                .all(db)
                .await?
            {
                candidates.push((p.id, "pesel"));
            }
        }
    }
    let first = candidates.first().copied();
    Ok(match first {
        Some((id, by)) if candidates.iter().all(|(other, _)| *other == id) => Some(Match::Party {
            party_id: id,
            kind: None,
            by,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_whole_words_only() {
        assert!(contains_token(
            "Wypłata SBX-PAYOUT-1A2B3C4D z dnia",
            "SBX-PAYOUT-1A2B3C4D"
        ));
        assert!(contains_token("sbx-payout-1a2b3c4d", "SBX-PAYOUT-1A2B3C4D"));
        assert!(!contains_token(
            "SBX-PAYOUT-1A2B3C4DE",
            "SBX-PAYOUT-1A2B3C4D"
        ));
        assert!(!contains_token(
            "XSBX-PAYOUT-1A2B3C4D",
            "SBX-PAYOUT-1A2B3C4D"
        ));
    }
}
