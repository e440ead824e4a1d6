//! A tenant with the finance e-service on a real store, for service-level tests: PostgreSQL
//! when `DATABASE_URL` is set (a fresh database per fixture), SQLite files otherwise. Also the
//! builders (parties, assessments, payments) and store readers the tests share.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::value::Pesel;
use wspolnota_core::{
    AccountId, Actor, ClerkScope, Ctx, EService, ManualClock, MemoryKv, Money, RequestId, Role,
    Roles, Scope, Services, Tenant, TenantConnector, TenantStatus,
};
use wspolnota_db::Store;
use wspolnota_db::testing::TestStore;
use wspolnota_finance::entity::{installment, ledger_entry, ledger_line, party, payment};
use wspolnota_finance::rules::NationalRules;
use wspolnota_finance::service::account::{self, Balance};
use wspolnota_finance::service::assess::{self, Assessed, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_finance::service::payments::{self, Channel, NewPayment, Recorded};
use wspolnota_finance::{Finance, FinanceService};

pub struct Fixture {
    pub store: Arc<Store>,
    pub finance: Finance,
    pub clock: Arc<ManualClock>,
    pub tenant: Arc<Tenant>,
    _db: TestStore,
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn noon(s: &str) -> DateTime<Utc> {
    date(s).and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn repo_tenant_file(slug: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tenants/{slug}.toml"));
    std::fs::read_to_string(path).unwrap()
}

impl Fixture {
    /// Tenant `slug` from the repository's `tenants/` with its catalogue seeded; the clock
    /// stands at `today` (noon UTC).
    pub async fn new(slug: &str, today: &str) -> Self {
        let db = TestStore::new("wsp_fin", 4).await.unwrap();
        let store = db.store.clone();
        let config = TenantConfig::from_toml(
            &format!("{slug}.toml"),
            &repo_tenant_file(slug),
            &["finance", "payments", "statements", "notifications"],
        )
        .unwrap();
        store.migrate_tenant(&config.slug).await.unwrap();
        let finance = Finance::new(
            NationalRules::embedded().unwrap(),
            b"test-pepper-test-pepper-test-pepper".to_vec(),
        );
        let fixture = Self {
            store,
            finance: finance.clone(),
            clock: Arc::new(ManualClock::new(noon(today))),
            tenant: Arc::new(Tenant::new(config, TenantStatus::Active)),
            _db: db,
        };
        FinanceService(finance)
            .provision(&fixture.ctx(Actor::System))
            .await
            .unwrap();
        fixture
    }

    pub fn services(&self) -> Services {
        let connector: Arc<dyn TenantConnector> = self.store.clone();
        Services::new(connector, Arc::new(MemoryKv::default()), self.clock.clone())
    }

    pub fn ctx(&self, actor: Actor) -> Ctx {
        Ctx::new(
            Scope::Tenant(self.tenant.clone()),
            actor,
            RequestId::new(),
            self.services(),
        )
    }

    /// A signed-in account with `roles`.
    pub fn account(&self, id: AccountId, roles: Vec<Role>) -> Ctx {
        self.ctx(Actor::Account {
            id,
            roles: Roles::new(roles),
            session: Uuid::now_v7().to_string(),
        })
    }

    /// A finance clerk of this tenant.
    pub fn clerk(&self) -> Ctx {
        self.account(AccountId::new(), vec![Role::Clerk(ClerkScope::Finance)])
    }

    /// The tenant's administrator.
    pub fn admin(&self) -> Ctx {
        self.account(AccountId::new(), vec![Role::TenantAdmin])
    }

    /// A resident with the given account id.
    pub fn resident(&self, id: AccountId) -> Ctx {
        self.account(id, vec![Role::Resident])
    }

    pub fn set_today(&self, day: &str) {
        self.clock.set(noon(day));
    }

    /// A transaction on the tenant's data, straight from the store (no access checks).
    pub async fn tx(&self) -> DatabaseTransaction {
        TenantConnector::begin(&*self.store, self.tenant.slug())
            .await
            .unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Money.
// ---------------------------------------------------------------------------------------

pub fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

pub fn g(grosze: i64) -> Money {
    Money::from_grosze(grosze)
}

// ---------------------------------------------------------------------------------------
// Parties.
// ---------------------------------------------------------------------------------------

/// A valid PESEL of someone born on 1 January 1985 with the given serial number.
pub fn pesel(serial: u32) -> String {
    let first10 = format!("850101{serial:04}");
    format!("{first10}{}", Pesel::check_digit(&first10).unwrap())
}

/// A valid NIP: nine digits and the weighted mod-11 check digit (remainder 10 skipped).
pub fn nip(seed: u32) -> String {
    const W: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    (seed..)
        .map(|s| format!("{:09}", 526_000_000 + s))
        .find_map(|nine| {
            let sum: u32 = nine
                .bytes()
                .zip(W)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            (sum % 11 != 10).then(|| format!("{nine}{}", sum % 11))
        })
        .unwrap()
}

/// A party of `kind` with nothing but its name.
fn bare_party(kind: PartyKind, name: &str) -> NewParty {
    NewParty {
        kind,
        name: name.into(),
        pesel: None,
        nip: None,
        regon: None,
        krs: None,
        address: AddressInput::default(),
        email: None,
        phone: None,
    }
}

/// A natural person with `pesel(serial)` and no address or contact details.
pub fn person_input(name: &str, serial: u32) -> NewParty {
    NewParty {
        pesel: Some(pesel(serial)),
        ..bare_party(PartyKind::Person, name)
    }
}

/// An organisation with the given NIP and no address or contact details.
pub fn organisation_input(name: &str, nip: &str) -> NewParty {
    NewParty {
        nip: Some(nip.into()),
        ..bare_party(PartyKind::Organisation, name)
    }
}

pub async fn create_party(f: &Fixture, clerk: &Ctx, input: NewParty) -> party::Model {
    parties::create_party(&f.finance, clerk, input)
        .await
        .unwrap()
}

/// Zamość on `today` (the usual tenant of these tests), a finance clerk and "Osoba 1".
pub async fn zamosc_with_person(today: &str) -> (Fixture, Ctx, party::Model) {
    let f = Fixture::new("zamosc", today).await;
    let clerk = f.clerk();
    let p = person(&f, &clerk, 1).await;
    (f, clerk, p)
}

/// The person `name` with `pesel(serial)`.
pub async fn named_person(f: &Fixture, clerk: &Ctx, name: &str, serial: u32) -> party::Model {
    create_party(f, clerk, person_input(name, serial)).await
}

/// "Osoba {serial}" with `pesel(serial)`.
pub async fn person(f: &Fixture, clerk: &Ctx, serial: u32) -> party::Model {
    named_person(f, clerk, &format!("Osoba {serial}"), serial).await
}

// ---------------------------------------------------------------------------------------
// Assessments and payments.
// ---------------------------------------------------------------------------------------

/// An assessment titled "{kind} {year}", by the kind's rule or with explicit
/// `(due date, amount)` installments.
pub fn new_assessment(
    party: Uuid,
    kind: &str,
    year: i32,
    amount: &str,
    installments: Option<&[(&str, &str)]>,
) -> NewAssessment {
    NewAssessment {
        party_id: party,
        kind: kind.into(),
        year,
        title: format!("{kind} {year}"),
        reference: None,
        amount: m(amount),
        installments: installments.map(|v| v.iter().map(|(d, a)| (date(d), m(a))).collect()),
        key: None,
    }
}

/// Assesses [`new_assessment`]; it must succeed.
pub async fn assess(
    f: &Fixture,
    clerk: &Ctx,
    party: Uuid,
    kind: &str,
    year: i32,
    amount: &str,
    installments: Option<&[(&str, &str)]>,
) -> Assessed {
    assess::assess(
        &f.finance,
        clerk,
        new_assessment(party, kind, year, amount, installments),
    )
    .await
    .unwrap()
}

/// A cash payment titled "wpłata", without indications.
pub fn payment(party: Uuid, amount: &str, on: &str, key: &str) -> NewPayment {
    NewPayment {
        party_id: party,
        amount: m(amount),
        paid_on: date(on),
        title: "wpłata".into(),
        installment_ids: vec![],
        indicated_kind: None,
        indicated_obligation: None,
        named_installments: None,
        channel: Channel::Cash,
        idempotency_key: key.into(),
    }
}

/// Records `input`; it must succeed.
pub async fn record(f: &Fixture, clerk: &Ctx, input: NewPayment) -> Recorded {
    payments::record_payment(&f.finance, clerk, input)
        .await
        .unwrap()
}

/// Records a [`payment`] under a fresh idempotency key.
pub async fn pay(f: &Fixture, clerk: &Ctx, party: Uuid, amount: &str, on: &str) -> Recorded {
    let key = Uuid::now_v7().to_string();
    record(f, clerk, payment(party, amount, on, &key)).await
}

/// The party's account balance as of `on`, as the account page shows it.
pub async fn balance(f: &Fixture, clerk: &Ctx, party: Uuid, on: &str) -> Balance {
    account::load(&f.finance, clerk, Some(party))
        .await
        .unwrap()
        .balance(&f.finance, date(on))
}

// ---------------------------------------------------------------------------------------
// Reading the store.
// ---------------------------------------------------------------------------------------

impl Fixture {
    /// Runs `run` in a transaction of its own, then commits.
    pub async fn with_tx<T>(&self, run: impl AsyncFnOnce(&DatabaseTransaction) -> T) -> T {
        let tx = self.tx().await;
        let out = run(&tx).await;
        tx.commit().await.unwrap();
        out
    }

    /// Every row `select` finds.
    pub async fn all<E: EntityTrait>(&self, select: Select<E>) -> Vec<E::Model> {
        self.with_tx(async |tx| select.all(tx).await.unwrap()).await
    }

    /// The first row `select` finds; there must be one.
    pub async fn one<E: EntityTrait>(&self, select: Select<E>) -> E::Model {
        self.with_tx(async |tx| select.one(tx).await.unwrap().unwrap())
            .await
    }
}

pub async fn installment(f: &Fixture, id: Uuid) -> installment::Model {
    f.one(installment::Entity::find_by_id(id)).await
}

/// The obligation's installments by number.
pub async fn installments_of(f: &Fixture, obligation: Uuid) -> Vec<installment::Model> {
    f.all(
        installment::Entity::find()
            .filter(installment::Column::ObligationId.eq(obligation))
            .order_by_asc(installment::Column::Number),
    )
    .await
}

/// The payments that offset an overpayment against new installments (art. 76).
pub async fn offsets(f: &Fixture) -> Vec<payment::Model> {
    f.all(payment::Entity::find().filter(payment::Column::Channel.eq("offset")))
        .await
}

/// The lines of one journal entry.
pub async fn entry_lines(f: &Fixture, entry: Uuid) -> Vec<ledger_line::Model> {
    f.all(ledger_line::Entity::find().filter(ledger_line::Column::EntryId.eq(entry)))
        .await
}

/// The journal lines of one obligation, in posting order.
pub async fn obligation_lines(f: &Fixture, obligation: Uuid) -> Vec<ledger_line::Model> {
    f.all(
        ledger_line::Entity::find()
            .filter(ledger_line::Column::ObligationId.eq(obligation))
            .order_by_asc(ledger_line::Column::Id),
    )
    .await
}

/// The journal entry posted under `key`.
pub async fn entry_with_key(f: &Fixture, key: &str) -> ledger_entry::Model {
    f.one(ledger_entry::Entity::find().filter(ledger_entry::Column::IdempotencyKey.eq(key)))
        .await
}

/// (payments, ledger entries, ledger lines) in the tenant.
pub async fn counts(f: &Fixture) -> (u64, u64, u64) {
    f.with_tx(async |tx| {
        (
            payment::Entity::find().count(tx).await.unwrap(),
            ledger_entry::Entity::find().count(tx).await.unwrap(),
            ledger_line::Entity::find().count(tx).await.unwrap(),
        )
    })
    .await
}

/// Σ debits and Σ credits of the whole journal.
pub async fn journal_sums(f: &Fixture) -> (i64, i64) {
    let lines = f.all(ledger_line::Entity::find()).await;
    (
        lines.iter().map(|l| l.debit).sum(),
        lines.iter().map(|l| l.credit).sum(),
    )
}

/// Σ debit − Σ credit of `account` over `lines` (negative: a credit balance).
pub fn net(lines: &[ledger_line::Model], account: &str) -> i64 {
    lines
        .iter()
        .filter(|l| l.account == account)
        .map(|l| l.debit - l.credit)
        .sum()
}
