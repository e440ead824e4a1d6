//! The tenant on a store, and the bulk setup of its parties (the approach of
//! `ops/bench/statements`: one party and its assessment through the finance services, the
//! template, then copies of it written in bulk).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement};
use uuid::Uuid;
use wspolnota_core::clock::ManualClock;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{
    AccountId, Actor, ClerkScope, Ctx, EService, MemoryKv, RequestId, Role, Roles, Scope, Services,
    Tenant, TenantConnector, TenantStatus,
};
use wspolnota_db::{DbSettings, Store};
use wspolnota_finance::config::FeesConfig;
use wspolnota_finance::entity::{
    consent, installment, ledger_entry, ledger_line, obligation, party, virtual_account,
};
use wspolnota_finance::rules::NationalRules;
use wspolnota_finance::service::assess::{self, NewAssessment};
use wspolnota_finance::service::parties::{self, AddressInput, NewParty, PartyKind};
use wspolnota_finance::{Finance, FinanceService};

use crate::log;

pub const SLUG: &str = "zamosc";
const FEE_KIND: &str = "property_tax_person";
const ASSESSED: &str = "1200.00";
/// Reminders go out this many days before the due date.
pub const DAYS_BEFORE: i64 = 7;

/// A service error with its whole chain of causes.
pub fn app<E: std::error::Error + Send + Sync + 'static>(
    e: E,
    what: impl std::fmt::Display + Send + Sync + 'static,
) -> anyhow::Error {
    anyhow::Error::new(e).context(what)
}

/// `tenants/zamosc.toml` with `reminder_days_before = [7]` added to `[notifications]`.
pub fn load_config(tenants_dir: &Path) -> Result<TenantConfig> {
    let path = tenants_dir.join(format!("{SLUG}.toml"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if !text.contains("\n[notifications]\n") || text.contains("reminder_days_before") {
        anyhow::bail!(
            "{}: expected a [notifications] table without reminder_days_before",
            path.display()
        );
    }
    let text = text.replacen(
        "\n[notifications]\n",
        &format!("\n[notifications]\nreminder_days_before = [{DAYS_BEFORE}]\n"),
        1,
    );
    TenantConfig::from_toml(
        &format!("{SLUG}.toml"),
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .map_err(|e| app(e, "tenant file"))
}

#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

pub struct Env {
    pub store: Arc<Store>,
    pub tenant: Arc<Tenant>,
    pub services: Services,
    pub finance: Finance,
    pub now: DateTime<Utc>,
}

impl Env {
    pub async fn open(
        location: &Location,
        config: TenantConfig,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let settings = match location {
            Location::Sqlite(dir) => DbSettings::Sqlite {
                data_dir: dir.clone(),
            },
            Location::Postgres(url) => DbSettings::Postgres {
                url: url.clone(),
                max_connections: 4,
            },
        };
        let store = Store::connect(&settings)
            .await
            .map_err(|e| app(e, format!("{} store", location.backend())))?;
        store
            .migrate_tenant(&config.slug)
            .await
            .map_err(|e| app(e, "migrating the tenant"))?;
        let finance = Finance::new(
            NationalRules::embedded().map_err(|e| app(e, "national rules"))?,
            b"bench-pepper-bench-pepper-bench-pepper".to_vec(),
        );
        let connector: Arc<dyn TenantConnector> = store.clone();
        Ok(Self {
            store,
            tenant: Arc::new(Tenant::new(config, TenantStatus::Active)),
            services: Services::new(
                connector,
                Arc::new(MemoryKv::default()),
                Arc::new(ManualClock::new(now)),
            ),
            finance,
            now,
        })
    }

    pub fn ctx(&self, actor: Actor) -> Ctx {
        Ctx::new(
            Scope::Tenant(self.tenant.clone()),
            actor,
            RequestId::new(),
            self.services.clone(),
        )
    }

    pub fn system(&self) -> Ctx {
        Ctx::system(self.tenant.clone(), self.services.clone())
    }

    pub fn backend(&self) -> DbBackend {
        if self.store.backend_name() == "postgres" {
            DbBackend::Postgres
        } else {
            DbBackend::Sqlite
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }

    pub fn due(&self) -> NaiveDate {
        self.today() + chrono::Duration::days(DAYS_BEFORE)
    }

    pub async fn begin(&self) -> Result<sea_orm::DatabaseTransaction> {
        TenantConnector::begin(&*self.store, self.tenant.slug())
            .await
            .map_err(|e| app(e, "tenant transaction"))
    }

    /// `SELECT` of one integer.
    pub async fn scalar(&self, sql: &str) -> Result<i64> {
        let tx = self.begin().await?;
        let row = tx
            .query_one_raw(Statement::from_string(self.backend(), sql.to_owned()))
            .await?
            .ok_or_else(|| anyhow!("no row: {sql}"))?;
        let v = row.try_get_by_index::<i64>(0)?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn exec(&self, sql: &str) -> Result<u64> {
        let tx = self.begin().await?;
        let r = tx.execute_unprepared(sql).await?;
        tx.commit().await?;
        Ok(r.rows_affected())
    }
}

pub fn email_of(number: i64) -> String {
    format!("mieszkaniec{number}@zamosc.test")
}

/// Provisions the catalogue, creates party 1 (with an e-mail address) and its assessment
/// through the services, grants its e-mail consent, moves its first installment to
/// today + 7 days; then writes parties 2..=P as copies of it in bulk (500 parties per
/// transaction): the party, its virtual accounts, its e-mail consent, the obligation, its 4
/// installments (the first due today + 7 days), the journal entry and its lines.
pub async fn setup(env: &Env, parties: usize) -> Result<()> {
    FinanceService(env.finance.clone())
        .provision(&env.system())
        .await
        .map_err(|e| app(e, "provisioning finance"))?;
    let clerk = env.ctx(Actor::Account {
        id: AccountId::new(),
        roles: Roles::new(vec![Role::Clerk(ClerkScope::Finance)]),
        session: Uuid::now_v7().to_string(),
    });
    let template = parties::create_party(
        &env.finance,
        &clerk,
        NewParty {
            kind: PartyKind::Person,
            name: "Mieszkaniec 1".into(),
            pesel: Some("85010100012".into()),
            nip: None,
            regon: None,
            krs: None,
            address: AddressInput::default(),
            email: Some(email_of(1)),
            phone: None,
        },
    )
    .await
    .map_err(|e| app(e, "template party"))?;
    if template.number != 1 {
        anyhow::bail!(
            "the tenant is not fresh: the first party got number {}",
            template.number
        );
    }
    // Next year: no installment of the assessment itself falls on today + 7 days.
    let year = env.today().year() + 1;
    let assessed = assess::assess(
        &env.finance,
        &clerk,
        NewAssessment {
            party_id: template.id,
            kind: FEE_KIND.into(),
            year,
            title: format!("Podatek od nieruchomości {year}"),
            reference: None,
            amount: wspolnota_core::Money::parse(ASSESSED).map_err(|e| app(e, "amount"))?,
            installments: None,
            key: None,
        },
    )
    .await
    .map_err(|e| app(e, "template assessment"))?;
    let due = env.due();
    let first = assessed
        .installments
        .iter()
        .find(|i| i.number == 1)
        .ok_or_else(|| anyhow!("no first installment"))?;
    let consent_row = |party_id: Uuid| consent::ActiveModel {
        party_id: Set(party_id),
        channel: Set("email".into()),
        granted: Set(true),
        at: Set(env.now),
        source: Set("bench".into()),
    };
    let tx = env.begin().await?;
    installment::Entity::update_many()
        .col_expr(
            installment::Column::DueDate,
            sea_orm::sea_query::Expr::value(due),
        )
        .filter(installment::Column::Id.eq(first.id))
        .exec(&tx)
        .await?;
    consent::Entity::insert(consent_row(template.id))
        .exec(&tx)
        .await?;
    let vas = virtual_account::Entity::find()
        .filter(virtual_account::Column::PartyId.eq(template.id))
        .all(&tx)
        .await?;
    let entry = ledger_entry::Entity::find()
        .filter(
            ledger_entry::Column::IdempotencyKey
                .eq(format!("assessment:{}", assessed.obligation.id)),
        )
        .one(&tx)
        .await?
        .ok_or_else(|| anyhow!("no journal entry of the template's assessment"))?;
    let lines = ledger_line::Entity::find()
        .filter(ledger_line::Column::EntryId.eq(entry.id))
        .all(&tx)
        .await?;
    tx.commit().await?;

    let fees = FeesConfig::from_table(&env.tenant.config().fees)
        .map_err(|e| anyhow!("the tenant's [fees]: {e:?}"))?;
    let va = fees
        .virtual_accounts
        .clone()
        .ok_or_else(|| anyhow!("the tenant has no [fees.virtual_accounts]"))?;
    let (settlement, prefix) = (va.settlement_number, va.client_prefix);
    let kinds: Vec<(usize, String)> = vas
        .iter()
        .map(|v| {
            let at = 10 + prefix.len();
            let no = v
                .nrb
                .get(at..at + 2)
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or_else(|| anyhow!("virtual NRB {}", v.nrb))?;
            Ok((no, v.kind_code.clone()))
        })
        .collect::<Result<_>>()?;

    let numbers: Vec<i64> = (2..=i64::try_from(parties)?).collect();
    let started = std::time::Instant::now();
    for (c, chunk) in numbers.chunks(500).enumerate() {
        let mut ps = Vec::new();
        let mut cs = Vec::new();
        let mut va = Vec::new();
        let mut obs = Vec::new();
        let mut insts = Vec::new();
        let mut entries = Vec::new();
        let mut ls = Vec::new();
        for &number in chunk {
            let id = Uuid::now_v7();
            ps.push(party::ActiveModel {
                id: Set(id),
                number: Set(number),
                kind: Set(template.kind.clone()),
                name: Set(format!("Mieszkaniec {number}")),
                pesel: Set(None),
                pesel_hmac: Set(None),
                nip: Set(None),
                regon: Set(None),
                krs: Set(None),
                street: Set(Some(format!("ul. Lwowska {}", 1 + number % 120))),
                postal_code: Set(Some("22-400".into())),
                city: Set(Some("Zamość".into())),
                email: Set(Some(email_of(number))),
                phone: Set(None),
                created_at: Set(template.created_at),
            });
            cs.push(consent_row(id));
            for (no, code) in &kinds {
                let nrb = parties::virtual_nrb(&settlement, &prefix, *no, number)
                    .map_err(|e| app(e, "virtual NRB"))?;
                va.push(virtual_account::ActiveModel {
                    nrb: Set(nrb.as_str().to_owned()),
                    party_id: Set(id),
                    kind_code: Set(code.clone()),
                });
            }
            let ob_id = Uuid::now_v7();
            let o = &assessed.obligation;
            obs.push(obligation::ActiveModel {
                id: Set(ob_id),
                party_id: Set(id),
                kind_code: Set(o.kind_code.clone()),
                year: Set(o.year),
                title: Set(o.title.clone()),
                reference: Set(o.reference.clone()),
                amount: Set(o.amount),
                status: Set(o.status.clone()),
                created_at: Set(o.created_at),
            });
            for i in &assessed.installments {
                insts.push(installment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    obligation_id: Set(ob_id),
                    party_id: Set(id),
                    number: Set(i.number),
                    due_date: Set(if i.number == 1 { due } else { i.due_date }),
                    amount: Set(i.amount),
                    outstanding: Set(i.outstanding),
                    paid_on: Set(i.paid_on),
                });
            }
            let entry_id = Uuid::now_v7();
            entries.push(ledger_entry::ActiveModel {
                id: Set(entry_id),
                idempotency_key: Set(format!("assessment:{ob_id}")),
                entry_date: Set(entry.entry_date),
                description: Set(entry.description.clone()),
                reverses: Set(None),
                created_at: Set(entry.created_at),
                created_by: Set(entry.created_by),
            });
            for l in &lines {
                ls.push(ledger_line::ActiveModel {
                    entry_id: Set(entry_id),
                    account: Set(l.account.clone()),
                    party_id: Set(Some(id)),
                    obligation_id: Set(Some(ob_id)),
                    debit: Set(l.debit),
                    credit: Set(l.credit),
                    ..Default::default()
                });
            }
        }
        let tx = env.begin().await?;
        party::Entity::insert_many(ps).exec(&tx).await?;
        consent::Entity::insert_many(cs).exec(&tx).await?;
        virtual_account::Entity::insert_many(va).exec(&tx).await?;
        obligation::Entity::insert_many(obs).exec(&tx).await?;
        for part in insts.chunks(1000) {
            installment::Entity::insert_many(part.to_vec())
                .exec(&tx)
                .await?;
        }
        ledger_entry::Entity::insert_many(entries).exec(&tx).await?;
        ledger_line::Entity::insert_many(ls).exec(&tx).await?;
        tx.commit().await?;
        if (c + 1) % 40 == 0 {
            log(format!(
                "  {} parties written ({:.0} s)",
                (c + 1) * 500,
                started.elapsed().as_secs_f64()
            ));
        }
    }
    if env.backend() == DbBackend::Postgres {
        env.exec("ANALYZE").await?;
    }
    Ok(())
}
