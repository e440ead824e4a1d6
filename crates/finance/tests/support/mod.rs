//! A tenant with the finance e-service on a real store, for service-level tests: PostgreSQL
//! when `DATABASE_URL` is set (a fresh database per fixture), SQLite files otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{
    AccountId, Actor, ClerkScope, Ctx, EService, ManualClock, MemoryKv, RequestId, Role, Roles,
    Scope, Services, Tenant, TenantConnector, TenantStatus,
};
use wspolnota_db::Store;
use wspolnota_db::testing::TestStore;
use wspolnota_finance::rules::NationalRules;
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
            &["finance"],
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

    /// A finance clerk of this tenant.
    pub fn clerk(&self) -> Ctx {
        self.ctx(Actor::Account {
            id: AccountId::new(),
            roles: Roles::new(vec![Role::Clerk(ClerkScope::Finance)]),
            session: uuid::Uuid::now_v7().to_string(),
        })
    }

    /// A resident with the given account id.
    pub fn resident(&self, id: AccountId) -> Ctx {
        self.ctx(Actor::Account {
            id,
            roles: Roles::new(vec![Role::Resident]),
            session: uuid::Uuid::now_v7().to_string(),
        })
    }

    pub fn set_today(&self, day: &str) {
        self.clock.set(noon(day));
    }
}
