//! Which party a credit belongs to, in the order the issue fixes:
//!
//! 1. the credited virtual account (the full NRB, or the bank's identifier of it such as
//!    mBank's `ID IPH`, matched on the account's trailing digits) → its party, and for an
//!    account dedicated to one obligation kind, that kind as the payer's indication;
//! 2. a gateway payout reference in the title → the payout;
//! 3. references in the title: the party number after a marker (`NALEŻNOŚĆ 123`, `NR 123`),
//!    a decision's number (`FN.3120.1.15.2026`), a valid NIP, a valid PESEL (compared by its
//!    keyed hash) → the party, if exactly one;
//! 4. anything else → unmatched.
//!
//! A decision's number in the title also says what the payer pays (art. 62 § 2 OP): when it
//! names an obligation of the party the credit was matched to (by account or by title), that
//! obligation is the payment's indication — unless the credited account is dedicated to
//! another kind, which then prevails. So do installments named by number (`II rata 2026`,
//! art. 62 § 3): of that obligation, else of the account's kind, else of any (finance's
//! `NamedInstallments`).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wspolnota_core::AppResult;
use wspolnota_core::bulk::is_in;
use wspolnota_core::value::{DocumentNumber, Nip, Nrb, Pesel};
use wspolnota_finance::Finance;
use wspolnota_finance::entity::{obligation, party, virtual_account};
use wspolnota_finance::service::payments::NamedInstallments;
use wspolnota_payments::entity::payout;

use super::account_digits;
use super::title::Title;

/// What a credit was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Party {
        party_id: Uuid,
        /// The kind a dedicated virtual account stands for.
        kind: Option<String>,
        /// The obligation whose decision the title names.
        obligation: Option<Uuid>,
        /// The installments the title names by number (`II rata 2026`).
        installments: Option<NamedInstallments>,
        by: &'static str,
    },
    Payout(payout::Model),
    Unmatched,
}

/// Shortest identifier accepted as the tail of a virtual account (mBank's IPH ids are 14
/// characters, of which the digits are the account's client part).
const MIN_TAIL: usize = 8;

/// Keys per `IN (…)` list.
const IN_LIST: usize = 2_000;

/// A credit to match: the account the bank says it credited, and the transfer's title.
#[derive(Debug, Clone, Copy)]
pub struct Credit<'a> {
    pub credited: Option<&'a str>,
    pub title: &'a Title,
}

/// Matches one credit (see [`Lookups`] for many).
pub async fn match_credit<C: ConnectionTrait>(
    fin: &Finance,
    db: &C,
    settlement_number: Option<&str>,
    credited: Option<&str>,
    title: &str,
    payouts: &[payout::Model],
) -> AppResult<Match> {
    let title = Title::read(title);
    let credit = Credit {
        credited,
        title: &title,
    };
    let lookups = Lookups::load(fin, db, settlement_number, &[credit]).await?;
    Ok(lookups.match_credit(settlement_number, credit, payouts))
}

/// Everything the matching of a chunk of credits needs from the database, read with one
/// query per kind of reference (virtual accounts, party numbers, NIPs, PESELs) instead of
/// one per credit.
#[derive(Debug, Default)]
pub struct Lookups {
    /// By the digits looked up (a full NRB, or a tail).
    accounts: HashMap<String, Vec<virtual_account::Model>>,
    numbers: HashMap<i64, Uuid>,
    /// By the decision's number (upper-case).
    documents: HashMap<String, Vec<Decision>>,
    nips: HashMap<String, Vec<Uuid>>,
    /// By the PESEL as written in the title.
    pesels: HashMap<String, Vec<Uuid>>,
}

/// An obligation a decision's number stands for.
#[derive(Debug, Clone)]
struct Decision {
    obligation: Uuid,
    party: Uuid,
    kind: String,
}

impl Lookups {
    pub async fn load<C: ConnectionTrait>(
        fin: &Finance,
        db: &C,
        settlement_number: Option<&str>,
        credits: &[Credit<'_>],
    ) -> AppResult<Self> {
        let mut out = Self::default();
        let mut full: Vec<String> = Vec::new();
        let mut numbers: Vec<i64> = Vec::new();
        let mut documents: Vec<DocumentNumber> = Vec::new();
        let mut nips: Vec<String> = Vec::new();
        let mut pesels: Vec<(String, String)> = Vec::new();
        for credit in credits {
            if let Some(digits) = lookup_digits(settlement_number, credit.credited) {
                if digits.len() == 26 {
                    full.push(digits);
                } else if let std::collections::hash_map::Entry::Vacant(slot) =
                    out.accounts.entry(digits)
                {
                    let found = virtual_account::Entity::find()
                        .filter(virtual_account::Column::Nrb.ends_with(slot.key().as_str()))
                        .all(db)
                        .await?;
                    slot.insert(found);
                }
            }
            numbers.extend(credit.title.marked_numbers());
            documents.extend(credit.title.documents().iter().cloned());
            for word in credit.title.digit_words() {
                if word.len() == 10 && Nip::parse(word).is_ok() {
                    nips.push(word.to_owned());
                }
                if word.len() == 11
                    && let Ok(pesel) = Pesel::parse(word)
                {
                    pesels.push((word.to_owned(), fin.pesel_hmac(&pesel)?));
                }
            }
        }
        full.sort();
        full.dedup();
        for part in full.chunks(IN_LIST) {
            for va in virtual_account::Entity::find()
                .filter(is_in(
                    db,
                    virtual_account::Column::Nrb,
                    part.iter().map(String::as_str),
                )?)
                .all(db)
                .await?
            {
                out.accounts.entry(va.nrb.clone()).or_default().push(va);
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        for part in numbers.chunks(IN_LIST) {
            let found: Vec<(Uuid, i64)> = party::Entity::find()
                .select_only()
                .column(party::Column::Id)
                .column(party::Column::Number)
                .filter(is_in(db, party::Column::Number, part.iter().copied())?)
                .into_tuple()
                .all(db)
                .await?;
            for (id, number) in found {
                out.numbers.entry(number).or_insert(id);
            }
        }
        documents.sort();
        documents.dedup();
        for part in documents.chunks(IN_LIST) {
            let found: Vec<(Uuid, Uuid, String, Option<String>)> = obligation::Entity::find()
                .select_only()
                .column(obligation::Column::Id)
                .column(obligation::Column::PartyId)
                .column(obligation::Column::KindCode)
                .column(obligation::Column::Reference)
                .filter(is_in(
                    db,
                    obligation::Column::Reference,
                    part.iter().map(DocumentNumber::as_str),
                )?)
                .filter(obligation::Column::Status.ne("cancelled"))
                .into_tuple()
                .all(db)
                .await?;
            for (id, party, kind, reference) in found {
                if let Some(reference) = reference {
                    out.documents.entry(reference).or_default().push(Decision {
                        obligation: id,
                        party,
                        kind,
                    });
                }
            }
        }
        nips.sort();
        nips.dedup();
        for part in nips.chunks(IN_LIST) {
            let found: Vec<(Uuid, Option<String>)> = party::Entity::find()
                .select_only()
                .column(party::Column::Id)
                .column(party::Column::Nip)
                .filter(is_in(
                    db,
                    party::Column::Nip,
                    part.iter().map(String::as_str),
                )?)
                .into_tuple()
                .all(db)
                .await?;
            for (id, nip) in found {
                if let Some(nip) = nip {
                    out.nips.entry(nip).or_default().push(id);
                }
            }
        }
        pesels.sort();
        pesels.dedup();
        for part in pesels.chunks(IN_LIST) {
            let found: Vec<(Uuid, Option<String>)> = party::Entity::find()
                .select_only()
                .column(party::Column::Id)
                .column(party::Column::PeselHmac)
                .filter(is_in(
                    db,
                    party::Column::PeselHmac,
                    part.iter().map(|(_, h)| h.as_str()),
                )?)
                .into_tuple()
                .all(db)
                .await?;
            for (id, hmac) in found {
                for (word, _) in part.iter().filter(|(_, h)| Some(h) == hmac.as_ref()) {
                    out.pesels.entry(word.clone()).or_default().push(id);
                }
            }
        }
        Ok(out)
    }

    /// Matches a credit whose references were loaded, in the order the module docs give.
    pub fn match_credit(
        &self,
        settlement_number: Option<&str>,
        credit: Credit<'_>,
        payouts: &[payout::Model],
    ) -> Match {
        let decisions = self.decisions_in(credit.title);
        if let Some(found) = self.by_virtual_account(settlement_number, credit.credited) {
            return found.naming(&decisions, credit.title);
        }
        if let Some(p) = payouts
            .iter()
            .find(|p| credit.title.contains_token(&p.reference))
        {
            return Match::Payout(p.clone());
        }
        self.by_title(credit.title, &decisions)
            .map(|found| found.naming(&decisions, credit.title))
            .unwrap_or(Match::Unmatched)
    }

    /// The obligations the title's decision numbers stand for, in title order; a number
    /// shared by two obligations names neither.
    fn decisions_in(&self, title: &Title) -> Vec<&Decision> {
        title
            .documents()
            .iter()
            .filter_map(
                |number| match self.documents.get(number.as_str()).map(Vec::as_slice) {
                    Some([one]) => Some(one),
                    _ => None,
                },
            )
            .collect()
    }

    fn by_virtual_account(
        &self,
        settlement_number: Option<&str>,
        credited: Option<&str>,
    ) -> Option<Match> {
        let digits = lookup_digits(settlement_number, credited)?;
        match self.accounts.get(&digits).map(Vec::as_slice) {
            Some([one]) => Some(Match::Party {
                party_id: one.party_id,
                kind: Some(one.kind_code.clone()).filter(|k| !k.is_empty() && k != "*"),
                obligation: None,
                installments: None,
                by: "virtual_account",
            }),
            _ => None,
        }
    }

    fn by_title(&self, title: &Title, decisions: &[&Decision]) -> Option<Match> {
        let mut candidates: Vec<(Uuid, &'static str)> = Vec::new();
        for number in title.marked_numbers() {
            if let Some(id) = self.numbers.get(&number) {
                candidates.push((*id, "party_number"));
            }
        }
        for decision in decisions {
            candidates.push((decision.party, "decision_number"));
        }
        for word in title.digit_words() {
            if word.len() == 10 && Nip::parse(word).is_ok() {
                for id in self.nips.get(word).into_iter().flatten() {
                    candidates.push((*id, "nip"));
                }
            }
            if word.len() == 11 && Pesel::parse(word).is_ok() {
                for id in self.pesels.get(word).into_iter().flatten() {
                    candidates.push((*id, "pesel"));
                }
            }
        }
        let (id, by) = candidates.first().copied()?;
        candidates
            .iter()
            .all(|(other, _)| *other == id)
            .then_some(Match::Party {
                party_id: id,
                kind: None,
                obligation: None,
                installments: None,
                by,
            })
    }
}

impl Match {
    /// The party's match with what the title says it pays: the first of `decisions` that is
    /// the party's and of the kind its account stands for (if any) as the obligation, and the
    /// installments it names by number.
    fn naming(self, decisions: &[&Decision], title: &Title) -> Self {
        match self {
            Match::Party {
                party_id, kind, by, ..
            } => {
                let obligation = decisions
                    .iter()
                    .find(|d| d.party == party_id && kind.as_ref().is_none_or(|k| *k == d.kind))
                    .map(|d| d.obligation);
                Match::Party {
                    party_id,
                    kind,
                    obligation,
                    installments: title.named_installments(),
                    by,
                }
            }
            other => other,
        }
    }
}

/// The digits a credited account is looked up by: the full NRB, or a tail of at least
/// [`MIN_TAIL`] digits. A bank's identifier that is the account's whole client part (16
/// digits) becomes the full NRB through the tenant's settlement number, so that the lookup
/// is by key instead of a scan.
fn lookup_digits(settlement_number: Option<&str>, credited: Option<&str>) -> Option<String> {
    let digits = credited
        .map(account_digits)
        .filter(|d| d.len() >= MIN_TAIL)?;
    if digits.len() == 16
        && let Some(nrb) = settlement_number.and_then(|s| Nrb::from_parts(s, &digits).ok())
    {
        return Some(nrb.as_str().to_owned());
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lookups holding one general and one dedicated virtual account of `party`, and three
    /// decisions: a lease and a waste-fee decision of `party`, a lease of `other`.
    fn lookups(party: Uuid, other: Uuid) -> (Lookups, [Uuid; 3]) {
        let ids = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
        let mut out = Lookups::default();
        for (digits, kind) in [("11112222", "*"), ("33334444", "waste_fee")] {
            out.accounts.insert(
                digits.to_owned(),
                vec![virtual_account::Model {
                    nrb: format!("000000000000000000{digits}"),
                    party_id: party,
                    kind_code: kind.to_owned(),
                }],
            );
        }
        for (number, id, owner, kind) in [
            ("GKM.1.2026", ids[0], party, "lease"),
            ("GO.2.2026", ids[1], party, "waste_fee"),
            ("GKM.3.2026", ids[2], other, "lease"),
        ] {
            out.documents.insert(
                number.to_owned(),
                vec![Decision {
                    obligation: id,
                    party: owner,
                    kind: kind.to_owned(),
                }],
            );
        }
        (out, ids)
    }

    #[test]
    fn a_decision_named_in_the_title_is_paid_if_it_is_the_partys_and_of_the_accounts_kind() {
        let (party, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (lookups, [lease, waste, _]) = lookups(party, other);
        let matched = |credited: &str, title: &str| match lookups.match_credit(
            None,
            Credit {
                credited: Some(credited),
                title: &Title::read(title),
            },
            &[],
        ) {
            Match::Party {
                party_id,
                obligation,
                by,
                ..
            } => (party_id, obligation, by),
            other => panic!("{title}: {other:?}"),
        };
        // A general account: the party's decision named first is paid.
        assert_eq!(
            matched("11112222", "GKM.3.2026 GO.2.2026 gkm.1.2026"),
            (party, Some(waste), "virtual_account")
        );
        // The account dedicated to waste fees: the lease's number does not override it.
        assert_eq!(
            matched("33334444", "GKM.1.2026"),
            (party, None, "virtual_account")
        );
        assert_eq!(
            matched("33334444", "GKM.1.2026, GO.2.2026"),
            (party, Some(waste), "virtual_account")
        );
        // Another party's decision on this party's account names nothing.
        assert_eq!(
            matched("11112222", "GKM.3.2026"),
            (party, None, "virtual_account")
        );
        assert_eq!(
            matched("11112222", "umowa dzierżawy GKM.1.2026"),
            (party, Some(lease), "virtual_account")
        );
    }
}
