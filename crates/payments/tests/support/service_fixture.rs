//! A tenant with the finance and payments e-services on a real store, for service-level tests
//! of online payments: PostgreSQL when `DATABASE_URL` is set (a fresh database per fixture),
//! SQLite files otherwise; Redis for the key-value store when `REDIS_URL` is set. Modelled on
//! `crates/finance/tests/support`: a tenant from the repository's `tenants/<slug>.toml`, a
//! manual clock, a party with an assessment (some installments overdue), a resident linked to
//! it, and a [`Payments`] built like the server builds it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use http::{HeaderMap, HeaderValue};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::value::Pesel;
use wspolnota_core::{
    AccountId, Actor, ClerkScope, Ctx, EService, KvStore, ManualClock, Money, RequestId, Role,
    Roles, Scope, Services, Tenant, TenantConnector, TenantStatus,
};
use wspolnota_db::Store;
use wspolnota_db::testing::TestStore;
use wspolnota_finance::entity::{installment, ledger_line, party, payment as finance_payment};
use wspolnota_finance::rules::NationalRules;
use wspolnota_finance::service::account::{self, Balance, InstallmentView};
use wspolnota_finance::service::assess::{self, Assessed, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_finance::{Finance, FinanceService};
use wspolnota_payments::entity::{event, inbox, lock, payment};
use wspolnota_payments::gateways::sandbox::{Decision, SIGNATURE_HEADER, SandboxNotice, sign};
use wspolnota_payments::service::Links;
use wspolnota_payments::service::sandbox;
use wspolnota_payments::{Payments, PaymentsService};

/// The platform key the sandbox's per-tenant notification keys derive from.
pub const SANDBOX_KEY: &[u8] = b"test-sandbox-key-test-sandbox-key";

pub struct Fixture {
    pub store: Arc<Store>,
    pub kv: Arc<dyn KvStore>,
    pub finance: Finance,
    pub pay: Payments,
    pub clock: Arc<ManualClock>,
    pub tenant: Arc<Tenant>,
    /// A finance clerk of the tenant.
    pub clerk: Ctx,
    /// The party "Osoba 1" and its property tax assessment.
    pub party: party::Model,
    pub assessed: Assessed,
    /// The resident account linked to the party.
    pub resident_id: AccountId,
    _db: TestStore,
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn noon(s: &str) -> DateTime<Utc> {
    date(s).and_hms_opt(12, 0, 0).unwrap().and_utc()
}

pub fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn repo_tenant_file(slug: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tenants/{slug}.toml"));
    std::fs::read_to_string(path).unwrap()
}

/// Tenant `slug` from the repository's `tenants/`, with finance and payments enabled.
pub fn tenant(slug: &str) -> Arc<Tenant> {
    let config = TenantConfig::from_toml(
        &format!("{slug}.toml"),
        &repo_tenant_file(slug),
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    Arc::new(Tenant::new(config, TenantStatus::Active))
}

/// A valid PESEL of someone born on 1 January 1985 with the given serial number.
pub fn pesel(serial: u32) -> String {
    let first10 = format!("850101{serial:04}");
    format!("{first10}{}", Pesel::check_digit(&first10).unwrap())
}

pub fn person_input(name: &str, serial: u32) -> NewParty {
    NewParty {
        kind: PartyKind::Person,
        name: name.into(),
        pesel: Some(pesel(serial)),
        nip: None,
        regon: None,
        krs: None,
        address: AddressInput::default(),
        email: None,
        phone: None,
    }
}

/// A [`Payments`] as the server builds it (no listener: the sandbox's deliveries go nowhere).
pub fn payments(finance: &Finance) -> Payments {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Payments::new(
        finance.clone(),
        Arc::new(|_: &str| None),
        SANDBOX_KEY.to_vec(),
        Links {
            scheme: "http".into(),
            base_domain: "wspolnota.invalid".into(),
            local_addr: OnceLock::new(),
        },
    )
    .unwrap()
}

impl Fixture {
    /// Zamość with the clock at noon (UTC) of `today`, and "Osoba 1" assessed the 2026 property
    /// tax of 4,000 zł by the statutory schedule (1,000 zł due 16.03, 15.05, 15.09, 16.11),
    /// linked to a resident account.
    pub async fn new(today: &str) -> Self {
        let db = TestStore::new("wsp_pay", 8).await.unwrap();
        let store = db.store.clone();
        let tenant = tenant("zamosc");
        store.migrate_tenant(tenant.slug()).await.unwrap();
        let redis = std::env::var("REDIS_URL").ok();
        let kv = wspolnota_db::connect_kv(
            redis.as_deref(),
            &format!("wsp_pay_{}", Uuid::new_v4().simple()),
        )
        .await
        .unwrap();
        let finance = Finance::new(
            NationalRules::embedded().unwrap(),
            b"test-pepper-test-pepper-test-pepper".to_vec(),
        );
        let clock = Arc::new(ManualClock::new(noon(today)));
        let services = Services::new(
            store.clone() as Arc<dyn TenantConnector>,
            kv.clone(),
            clock.clone(),
        );
        let system = ctx_of(&tenant, &services, Actor::System);
        FinanceService(finance.clone())
            .provision(&system)
            .await
            .unwrap();
        let pay = payments(&finance);
        PaymentsService(pay.clone())
            .provision(&system)
            .await
            .unwrap();
        let clerk = ctx_of(
            &tenant,
            &services,
            account_actor(AccountId::new(), vec![Role::Clerk(ClerkScope::Finance)]),
        );
        let party = parties::create_party(&finance, &clerk, person_input("Osoba 1", 1))
            .await
            .unwrap();
        let assessed = assess::assess(
            &finance,
            &clerk,
            NewAssessment {
                party_id: party.id,
                kind: "property_tax_person".into(),
                year: 2026,
                title: "Podatek od nieruchomości 2026".into(),
                reference: None,
                amount: m("4000"),
                installments: None,
                key: None,
            },
        )
        .await
        .unwrap();
        let resident_id = AccountId::new();
        parties::clerk_link(&clerk, resident_id, party.id)
            .await
            .unwrap();
        Self {
            store,
            kv,
            finance,
            pay,
            clock,
            tenant,
            clerk,
            party,
            assessed,
            resident_id,
            _db: db,
        }
    }

    pub fn services(&self) -> Services {
        Services::new(
            self.store.clone() as Arc<dyn TenantConnector>,
            self.kv.clone(),
            self.clock.clone(),
        )
    }

    pub fn ctx(&self, actor: Actor) -> Ctx {
        ctx_of(&self.tenant, &self.services(), actor)
    }

    /// A context of another tenant on the same services (its data is never touched).
    pub fn ctx_of_tenant(&self, slug: &str) -> Ctx {
        ctx_of(&tenant(slug), &self.services(), Actor::System)
    }

    pub fn system(&self) -> Ctx {
        self.ctx(Actor::System)
    }

    /// The resident linked to the party.
    pub fn resident(&self) -> Ctx {
        self.ctx(account_actor(self.resident_id, vec![Role::Resident]))
    }

    /// A resident linked to nothing.
    pub fn stranger(&self) -> Ctx {
        self.ctx(account_actor(AccountId::new(), vec![Role::Resident]))
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(chrono::Duration::minutes(minutes));
    }

    pub fn today(&self) -> NaiveDate {
        use wspolnota_core::Clock;
        self.clock.now().date_naive()
    }

    /// A transaction on the tenant's data, straight from the store (no access checks).
    pub async fn tx(&self) -> DatabaseTransaction {
        TenantConnector::begin(&*self.store, self.tenant.slug())
            .await
            .unwrap()
    }

    pub async fn with_tx<T>(&self, run: impl AsyncFnOnce(&DatabaseTransaction) -> T) -> T {
        let tx = self.tx().await;
        let out = run(&tx).await;
        tx.commit().await.unwrap();
        out
    }

    pub async fn all<E: EntityTrait>(&self, select: Select<E>) -> Vec<E::Model> {
        self.with_tx(async |tx| select.all(tx).await.unwrap()).await
    }

    pub async fn one<E: EntityTrait>(&self, select: Select<E>) -> E::Model {
        self.with_tx(async |tx| select.one(tx).await.unwrap().unwrap())
            .await
    }

    pub async fn count<E: EntityTrait>(&self, select: Select<E>) -> u64
    where
        E::Model: Sync,
    {
        self.with_tx(async |tx| select.count(tx).await.unwrap())
            .await
    }

    // -----------------------------------------------------------------------------------
    // Finance.
    // -----------------------------------------------------------------------------------

    /// The party's installments by number.
    pub async fn installments(&self) -> Vec<installment::Model> {
        self.all(
            installment::Entity::find()
                .filter(installment::Column::ObligationId.eq(self.assessed.obligation.id))
                .order_by_asc(installment::Column::Number),
        )
        .await
    }

    /// Installment `number` (1-based) of the assessment.
    pub async fn installment(&self, number: i32) -> installment::Model {
        self.installments()
            .await
            .into_iter()
            .find(|i| i.number == number)
            .unwrap()
    }

    /// The installment as the account page shows it today (outstanding, interest, status).
    pub async fn view(&self, id: Uuid) -> InstallmentView {
        let data = account::load(&self.finance, &self.clerk, Some(self.party.id))
            .await
            .unwrap();
        data.obligations(&self.finance, self.today(), None)
            .into_iter()
            .flat_map(|o| o.installments)
            .find(|i| i.id == id)
            .unwrap()
    }

    /// The party's balance today, as the account page shows it.
    pub async fn balance(&self) -> Balance {
        account::load(&self.finance, &self.clerk, Some(self.party.id))
            .await
            .unwrap()
            .balance(&self.finance, self.today())
    }

    /// Σ debits and Σ credits of the whole journal.
    pub async fn journal_sums(&self) -> (i64, i64) {
        let lines = self.all(ledger_line::Entity::find()).await;
        (
            lines.iter().map(|l| l.debit).sum(),
            lines.iter().map(|l| l.credit).sum(),
        )
    }

    /// Asserts the journal balances and returns its line count.
    pub async fn assert_balanced(&self) -> usize {
        let lines = self.all(ledger_line::Entity::find()).await;
        let debits: i64 = lines.iter().map(|l| l.debit).sum();
        let credits: i64 = lines.iter().map(|l| l.credit).sum();
        assert_eq!(debits, credits, "the journal must balance");
        lines.len()
    }

    pub async fn ledger_lines(&self) -> Vec<ledger_line::Model> {
        self.all(ledger_line::Entity::find().order_by_asc(ledger_line::Column::Id))
            .await
    }

    pub async fn entry_lines(&self, entry: Uuid) -> Vec<ledger_line::Model> {
        self.all(ledger_line::Entity::find().filter(ledger_line::Column::EntryId.eq(entry)))
            .await
    }

    pub async fn finance_payments(&self) -> Vec<finance_payment::Model> {
        self.all(finance_payment::Entity::find()).await
    }

    /// The finance payments posted for online payment `id`.
    pub async fn finance_payments_of(&self, id: Uuid) -> Vec<finance_payment::Model> {
        self.all(
            finance_payment::Entity::find()
                .filter(finance_payment::Column::IdempotencyKey.eq(format!("online:{id}"))),
        )
        .await
    }

    // -----------------------------------------------------------------------------------
    // Payments.
    // -----------------------------------------------------------------------------------

    pub async fn payment(&self, id: Uuid) -> payment::Model {
        self.one(payment::Entity::find_by_id(id)).await
    }

    /// The payment's events, in order.
    pub async fn events(&self, id: Uuid) -> Vec<event::Model> {
        self.all(
            event::Entity::find()
                .filter(event::Column::PaymentId.eq(id))
                .order_by_asc(event::Column::Id),
        )
        .await
    }

    pub async fn locks(&self) -> Vec<lock::Model> {
        self.all(lock::Entity::find()).await
    }

    pub async fn inbox(&self) -> Vec<inbox::Model> {
        self.all(inbox::Entity::find().order_by_asc(inbox::Column::ReceivedAt))
            .await
    }

    /// The notification the sandbox sends after `decision` on payment `id`, signed with this
    /// tenant's key: (headers, body).
    pub async fn notification(&self, id: Uuid, decision: Decision) -> (HeaderMap, Vec<u8>) {
        let order = self
            .all(wspolnota_payments::entity::sandbox_order::Entity::find_by_id(id))
            .await
            .pop()
            .unwrap();
        let notice = sandbox::notice(&order, decision).unwrap();
        self.signed(&notice)
    }

    /// `notice` as JSON, signed with this tenant's sandbox key.
    pub fn signed(&self, notice: &SandboxNotice) -> (HeaderMap, Vec<u8>) {
        let body = serde_json::to_vec(notice).unwrap();
        let key = self.pay.sandbox_key(&self.system()).unwrap();
        (signature_headers(&sign(&key, &body).unwrap()), body)
    }
}

pub fn signature_headers(signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers
}

fn account_actor(id: AccountId, roles: Vec<Role>) -> Actor {
    Actor::Account {
        id,
        roles: Roles::new(roles),
        session: Uuid::now_v7().to_string(),
    }
}

fn ctx_of(tenant: &Arc<Tenant>, services: &Services, actor: Actor) -> Ctx {
    Ctx::new(
        Scope::Tenant(tenant.clone()),
        actor,
        RequestId::new(),
        services.clone(),
    )
}

impl Fixture {
    /// Runs `a` and `b` concurrently, as two browser tabs would.
    pub async fn concurrently<A: Future, B: Future>(&self, a: A, b: B) -> (A::Output, B::Output) {
        tokio::join!(a, b)
    }
}
