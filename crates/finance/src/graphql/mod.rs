//! The finance e-service's GraphQL roots, under the `finance` namespace field on Query and
//! Mutation; invisible and refused where a tenant has not enabled the e-service. The namespace
//! types merge the residents' and cash desk's fields (here) with the back office's (`clerk`).

mod clerk;

use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, ID, InputObject, MergedObject, Object,
    ResultExt, SimpleObject,
};
use chrono::NaiveDate;
use sea_orm::EntityTrait;
use uuid::Uuid;
use wspolnota_core::graphql::{EServiceGuard, ctx, eservice_visible};
use wspolnota_core::value::DocumentNumber;
use wspolnota_core::{AccountId, AppError, Money, TenantDb};

use crate::domain::{InterestRegime, interest};
use crate::entity::party;
use crate::service::Finance;
use crate::service::account::{self, AccountData, InstallmentStatus};
use crate::service::assess::{self, NewAssessment};
use crate::service::parties::{self, AddressInput, NewParty, PartyKind};
use crate::service::payments::{self, Channel, NewPayment};

pub const ID_: &str = "finance";

fn visible(gql: &Context<'_>) -> bool {
    eservice_visible(gql, ID_)
}

pub(crate) fn fin<'a>(gql: &Context<'a>) -> async_graphql::Result<&'a Finance> {
    gql.data::<Finance>()
}

pub(crate) fn uuid(field: &str, id: &ID) -> async_graphql::Result<Uuid> {
    wspolnota_core::graphql::parse_id(field, id)
}

pub(crate) fn today(gql: &Context<'_>) -> async_graphql::Result<NaiveDate> {
    Ok(ctx(gql)?.today())
}

#[derive(Default)]
pub struct FinanceQueryRoot;

#[Object]
impl FinanceQueryRoot {
    /// Taxes and fees: what is owed to the municipality and how it was paid.
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn finance(&self) -> FinanceQuery {
        FinanceQuery::default()
    }
}

#[derive(Default)]
pub struct FinanceMutationRoot;

#[Object]
impl FinanceMutationRoot {
    /// Taxes and fees: parties, assessments, payments.
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn finance(&self) -> FinanceMutation {
        FinanceMutation::default()
    }
}

#[derive(MergedObject, Default)]
pub struct FinanceQuery(AccountQuery, clerk::ClerkQuery);

#[derive(Default)]
pub struct AccountQuery;

/// Which interest applies.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "InterestRegime")]
pub enum Regime {
    /// Odsetki za zwłokę (tax arrears, art. 56 OP).
    Tax,
    /// Odsetki ustawowe za opóźnienie (civil receivables, art. 481 kc).
    Civil,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ObligationStatus {
    /// Something is still to be paid.
    Open,
    Paid,
    All,
}

#[derive(SimpleObject)]
pub struct InterestPeriod {
    from: NaiveDate,
    to: NaiveDate,
    days: i64,
    /// Annual rate in percent.
    rate: String,
    /// Interest of this period, to the grosz (the total is rounded, not each period).
    interest: Money,
}

#[derive(SimpleObject)]
pub struct InterestCalculation {
    interest: Money,
    days: i64,
    periods: Vec<InterestPeriod>,
}

#[Object]
impl AccountQuery {
    /// The account of a party the signed-in user acts for (`partyId` may be omitted when
    /// there is only one); a finance clerk may open any party's account.
    async fn account(
        &self,
        gql: &Context<'_>,
        party_id: Option<ID>,
    ) -> async_graphql::Result<FinanceAccount> {
        let party_id = party_id.as_ref().map(|p| uuid("partyId", p)).transpose()?;
        let data = account::load(fin(gql)?, ctx(gql)?, party_id)
            .await
            .extend()?;
        Ok(FinanceAccount { data })
    }

    /// The parties the signed-in account may act for.
    async fn my_parties(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<Party>> {
        let ctx = ctx(gql)?;
        let account = ctx.require_account().extend()?;
        let tx = TenantDb::begin(ctx).await.extend()?;
        let list = parties::linked_parties(&*tx, account).await.extend()?;
        tx.commit().await.map_err(|e| AppError::from(e).extend())?;
        Ok(list.into_iter().map(Party::from).collect())
    }

    /// Interest on an amount paid late. Public: anyone may check it.
    async fn interest_calculator(
        &self,
        gql: &Context<'_>,
        amount: Money,
        due_date: NaiveDate,
        paid_on: NaiveDate,
        regime: Regime,
    ) -> async_graphql::Result<InterestCalculation> {
        if !amount.is_positive() {
            return Err(AppError::validation("amount", "must be greater than zero").extend());
        }
        let regime = match regime {
            Regime::Tax => InterestRegime::Tax,
            Regime::Civil => InterestRegime::Civil,
        };
        let result = interest(&fin(gql)?.rules, regime, amount, due_date, paid_on)
            .map_err(|e| AppError::validation("paidOn", e.to_string()).extend())?;
        Ok(InterestCalculation {
            interest: result.amount,
            days: result.days,
            periods: result
                .periods
                .into_iter()
                .map(|p| InterestPeriod {
                    from: p.from,
                    to: p.to,
                    days: p.days,
                    rate: p.rate.normalize().to_string(),
                    interest: Money::round_half_up(p.interest),
                })
                .collect(),
        })
    }

    /// Clerk: find parties by name, PESEL, NIP, party number or virtual account.
    async fn parties(
        &self,
        gql: &Context<'_>,
        query: String,
        #[graphql(default = 50)] limit: u64,
    ) -> async_graphql::Result<Vec<Party>> {
        let found = parties::search(ctx(gql)?, &query, limit).await.extend()?;
        Ok(found.into_iter().map(Party::from).collect())
    }
}

/// A party (podatnik / kontrahent).
#[derive(SimpleObject)]
pub struct Party {
    id: ID,
    /// The number printed on decisions.
    number: i64,
    name: String,
    kind: PartyKind,
    /// PESEL with all but the last four digits hidden.
    pesel_masked: Option<String>,
    nip: Option<String>,
}

impl From<party::Model> for Party {
    fn from(p: party::Model) -> Self {
        Self {
            id: ID(p.id.to_string()),
            number: p.number,
            name: p.name,
            kind: PartyKind::parse(&p.kind),
            pesel_masked: p.pesel.as_deref().map(|s| {
                let tail: String = s.chars().skip(7).collect();
                format!("*******{tail}")
            }),
            nip: p.nip,
        }
    }
}

#[derive(SimpleObject)]
pub struct VirtualAccount {
    /// The obligation kind this account is dedicated to.
    kind: String,
    /// 26 digits.
    nrb: String,
}

#[derive(SimpleObject)]
pub struct Balance {
    /// Principal still to pay, due or not.
    outstanding: Money,
    /// Principal past its due date.
    overdue: Money,
    /// Interest on overdue amounts as of the day asked.
    interest: Money,
    /// Dunning costs owed.
    costs: Money,
    /// Credit balance.
    overpayment: Money,
}

#[derive(SimpleObject)]
pub struct Installment {
    id: ID,
    number: i32,
    due_date: NaiveDate,
    amount: Money,
    outstanding: Money,
    interest: Money,
    status: InstallmentStatus,
}

#[derive(SimpleObject)]
pub struct Obligation {
    id: ID,
    /// Catalogue code, e.g. `property_tax_person`.
    kind: String,
    kind_name: String,
    title: String,
    /// The number of the decision (or agreement) the obligation comes from; quoting it in a
    /// transfer's title pays this obligation first.
    reference: Option<String>,
    year: i32,
    amount: Money,
    outstanding: Money,
    installments: Vec<Installment>,
}

#[derive(SimpleObject)]
pub struct HistoryItem {
    date: NaiveDate,
    description: String,
    amount: Money,
    balance_after: Money,
}

pub struct FinanceAccount {
    data: AccountData,
}

#[Object]
impl FinanceAccount {
    async fn party(&self) -> Party {
        Party::from(self.data.party.clone())
    }

    async fn virtual_accounts(&self) -> Vec<VirtualAccount> {
        self.data
            .virtual_accounts
            .iter()
            .map(|v| VirtualAccount {
                kind: v.kind_code.clone(),
                nrb: v.nrb.clone(),
            })
            .collect()
    }

    /// Balance as of `asOf` (today by default).
    async fn balance(
        &self,
        gql: &Context<'_>,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<Balance> {
        let as_of = match as_of {
            Some(d) => d,
            None => today(gql)?,
        };
        let b = self.data.balance(fin(gql)?, as_of);
        Ok(Balance {
            outstanding: b.outstanding,
            overdue: b.overdue,
            interest: b.interest,
            costs: b.costs,
            overpayment: b.overpayment,
        })
    }

    async fn obligations(
        &self,
        gql: &Context<'_>,
        #[graphql(default_with = "ObligationStatus::All")] status: ObligationStatus,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<Obligation>> {
        let as_of = match as_of {
            Some(d) => d,
            None => today(gql)?,
        };
        let open = match status {
            ObligationStatus::Open => Some(true),
            ObligationStatus::Paid => Some(false),
            ObligationStatus::All => None,
        };
        Ok(self
            .data
            .obligations(fin(gql)?, as_of, open)
            .into_iter()
            .map(|o| Obligation {
                id: ID(o.id.to_string()),
                kind: o.kind,
                kind_name: o.kind_name,
                title: o.title,
                reference: o.reference,
                year: o.year,
                amount: o.amount,
                outstanding: o.outstanding,
                installments: o
                    .installments
                    .into_iter()
                    .map(|i| Installment {
                        id: ID(i.id.to_string()),
                        number: i.number,
                        due_date: i.due_date,
                        amount: i.amount,
                        outstanding: i.outstanding,
                        interest: i.interest,
                        status: i.status,
                    })
                    .collect(),
            })
            .collect())
    }

    async fn history(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<HistoryItem>> {
        let items = account::history(fin(gql)?, ctx(gql)?, &self.data.party)
            .await
            .extend()?;
        Ok(items
            .into_iter()
            .map(|h| HistoryItem {
                date: h.date,
                description: h.description,
                amount: h.amount,
                balance_after: h.balance_after,
            })
            .collect())
    }
}

#[derive(MergedObject, Default)]
pub struct FinanceMutation(DeskMutation, clerk::ClerkMutation);

#[derive(Default)]
pub struct DeskMutation;

#[derive(InputObject)]
#[graphql(name = "AddressInput")]
pub struct AddressIn {
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePartyInput {
    kind: PartyKind,
    name: String,
    pesel: Option<String>,
    nip: Option<String>,
    regon: Option<String>,
    krs: Option<String>,
    address: Option<AddressIn>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(InputObject)]
pub struct InstallmentIn {
    due_date: NaiveDate,
    amount: Money,
}

#[derive(InputObject)]
pub struct AssessInput {
    party_id: ID,
    /// Catalogue code, e.g. `property_tax_person`.
    kind: String,
    year: i32,
    title: String,
    /// The decision's number, e.g. `FN.3120.1.15.2026`.
    reference: Option<String>,
    amount: Money,
    /// Omitted: the kind's schedule rule splits the amount.
    installments: Option<Vec<InstallmentIn>>,
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    party_id: ID,
    amount: Money,
    paid_on: NaiveDate,
    title: String,
    /// The installments the payer indicated; empty: the law's order (oldest first).
    #[graphql(default)]
    installment_ids: Vec<ID>,
    /// Repeat a request with the same key and it is recorded once.
    idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreatedParty {
    id: ID,
    number: i64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Assessment {
    id: ID,
    amount: Money,
    #[graphql(skip)]
    installments_: Vec<AssessedInstallment>,
}

#[ComplexObject]
impl Assessment {
    async fn installments(&self) -> &[AssessedInstallment] {
        &self.installments_
    }
}

#[derive(SimpleObject, Clone)]
pub struct AssessedInstallment {
    id: ID,
    number: i32,
    due_date: NaiveDate,
    amount: Money,
}

#[derive(SimpleObject)]
pub struct Allocation {
    installment_id: Option<ID>,
    principal: Money,
    interest: Money,
    costs: Money,
}

#[derive(SimpleObject)]
pub struct Payment {
    id: ID,
    amount: Money,
    paid_on: NaiveDate,
    allocations: Vec<Allocation>,
    overpayment: Money,
}

#[derive(SimpleObject)]
pub struct ObligationAmount {
    id: ID,
    amount: Money,
}

#[Object]
impl DeskMutation {
    /// Clerk: register a party and its virtual accounts.
    async fn create_party(
        &self,
        gql: &Context<'_>,
        input: CreatePartyInput,
    ) -> async_graphql::Result<CreatedParty> {
        let address = input
            .address
            .map_or_else(AddressInput::default, |a| AddressInput {
                street: a.street,
                postal_code: a.postal_code,
                city: a.city,
            });
        let p = parties::create_party(
            fin(gql)?,
            ctx(gql)?,
            NewParty {
                kind: input.kind,
                name: input.name,
                pesel: input.pesel,
                nip: input.nip,
                regon: input.regon,
                krs: input.krs,
                address,
                email: input.email,
                phone: input.phone,
            },
        )
        .await
        .extend()?;
        Ok(CreatedParty {
            id: ID(p.id.to_string()),
            number: p.number,
        })
    }

    /// Clerk: assess an obligation (decision or declaration).
    async fn assess(
        &self,
        gql: &Context<'_>,
        input: AssessInput,
    ) -> async_graphql::Result<Assessment> {
        let installments = input
            .installments
            .map(|list| list.into_iter().map(|i| (i.due_date, i.amount)).collect());
        let reference = input
            .reference
            .as_deref()
            .map(DocumentNumber::parse)
            .transpose()
            .map_err(|e| AppError::validation("reference", e.to_string()))
            .extend()?;
        let a = assess::assess(
            fin(gql)?,
            ctx(gql)?,
            NewAssessment {
                party_id: uuid("partyId", &input.party_id)?,
                kind: input.kind,
                year: input.year,
                title: input.title,
                reference,
                amount: input.amount,
                installments,
                key: None,
            },
        )
        .await
        .extend()?;
        Ok(Assessment {
            id: ID(a.obligation.id.to_string()),
            amount: Money::from_grosze(a.obligation.amount),
            installments_: a
                .installments
                .into_iter()
                .map(|i| AssessedInstallment {
                    id: ID(i.id.to_string()),
                    number: i.number,
                    due_date: i.due_date,
                    amount: Money::from_grosze(i.amount),
                })
                .collect(),
        })
    }

    /// Clerk: change an assessment's amount; the difference is posted.
    async fn adjust_assessment(
        &self,
        gql: &Context<'_>,
        obligation_id: ID,
        amount: Money,
        reason: String,
    ) -> async_graphql::Result<ObligationAmount> {
        let ob = assess::adjust(
            fin(gql)?,
            ctx(gql)?,
            uuid("obligationId", &obligation_id)?,
            amount,
            &reason,
        )
        .await
        .extend()?;
        Ok(ObligationAmount {
            id: ID(ob.id.to_string()),
            amount: Money::from_grosze(ob.amount),
        })
    }

    /// Clerk: a cash-desk payment (wpłata w kasie), allocated like a bank payment.
    async fn record_payment(
        &self,
        gql: &Context<'_>,
        input: RecordPaymentInput,
    ) -> async_graphql::Result<Payment> {
        let mut installment_ids = Vec::with_capacity(input.installment_ids.len());
        for (i, id) in input.installment_ids.iter().enumerate() {
            installment_ids.push(uuid(&format!("installmentIds[{i}]"), id)?);
        }
        let r = payments::record_payment(
            fin(gql)?,
            ctx(gql)?,
            NewPayment {
                party_id: uuid("partyId", &input.party_id)?,
                amount: input.amount,
                paid_on: input.paid_on,
                title: input.title,
                installment_ids,
                indicated_kind: None,
                indicated_obligation: None,
                named_installments: None,
                channel: Channel::Cash,
                idempotency_key: input
                    .idempotency_key
                    .unwrap_or_else(|| format!("cash:{}", Uuid::now_v7())),
            },
        )
        .await
        .extend()?;
        Ok(Payment {
            id: ID(r.payment.id.to_string()),
            amount: Money::from_grosze(r.payment.amount),
            paid_on: r.payment.paid_on,
            overpayment: Money::from_grosze(r.payment.overpayment),
            allocations: r
                .allocations
                .into_iter()
                .map(|a| Allocation {
                    installment_id: a.installment_id.map(|i| ID(i.to_string())),
                    principal: Money::from_grosze(a.principal),
                    interest: Money::from_grosze(a.interest),
                    costs: Money::from_grosze(a.costs),
                })
                .collect(),
        })
    }

    /// Resident: link your account to a party with the number and access code from its decision.
    async fn link_party(
        &self,
        gql: &Context<'_>,
        party_number: i64,
        access_code: String,
    ) -> async_graphql::Result<Party> {
        let p = parties::redeem_access_code(ctx(gql)?, party_number, &access_code)
            .await
            .extend()?;
        Ok(Party::from(p))
    }

    /// Clerk: let an account act for a party.
    async fn link_account(
        &self,
        gql: &Context<'_>,
        account_id: ID,
        party_id: ID,
    ) -> async_graphql::Result<bool> {
        parties::clerk_link(
            ctx(gql)?,
            AccountId(uuid("accountId", &account_id)?),
            uuid("partyId", &party_id)?,
        )
        .await
        .extend()?;
        Ok(true)
    }

    /// Clerk: a new one-time access code for a party's decision (valid 365 days).
    async fn issue_access_code(
        &self,
        gql: &Context<'_>,
        party_id: ID,
    ) -> async_graphql::Result<String> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(wspolnota_core::ClerkScope::Finance)
            .extend()?;
        let party_id = uuid("partyId", &party_id)?;
        let tx = TenantDb::begin(ctx).await.extend()?;
        party::Entity::find_by_id(party_id)
            .one(&*tx)
            .await
            .map_err(|e| AppError::from(e).extend())?
            .ok_or_else(|| AppError::validation("partyId", "no such party").extend())?;
        let code = parties::issue_access_code(&*tx, ctx, party_id, 365)
            .await
            .extend()?;
        wspolnota_core::audit::record(
            &tx,
            ctx,
            "finance.access_code.issued",
            serde_json::json!({ "party": party_id }),
        )
        .await
        .extend()?;
        tx.commit().await.map_err(|e| AppError::from(e).extend())?;
        Ok(code)
    }
}
