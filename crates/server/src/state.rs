use std::sync::Arc;

use wspolnota_auth::{AuthSecrets, AuthService, AuthSettings};
use wspolnota_core::{
    Clock, EService, KvStore, Services, SystemClock, TenantConnector, TenantRegistry,
};
use wspolnota_db::{DbSettings, Store, connect_kv};
use wspolnota_finance::Finance;
use wspolnota_finance::rules::NationalRules;
use wspolnota_notify::Notify;
use wspolnota_payments::Payments;
use wspolnota_payments::service::Links;
use wspolnota_statements::Statements;

use crate::settings::Settings;
use crate::{eservices, secrets};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub registry: Arc<TenantRegistry>,
    pub store: Arc<Store>,
    pub kv: Arc<dyn KvStore>,
    pub clock: Arc<dyn Clock>,
    pub auth: Arc<AuthService>,
    pub finance: Finance,
    pub payments: Payments,
    pub statements: Statements,
    pub notify: Notify,
    pub eservices: Arc<Vec<Arc<dyn EService>>>,
}

impl AppState {
    /// Connects the database and the key-value store described by `settings`.
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        let db = DbSettings::from_env_or(&settings.data_dir, settings.database_url.clone());
        let db = match db {
            DbSettings::Postgres { url, .. } => DbSettings::Postgres {
                url,
                max_connections: settings.db_max_connections,
            },
            other => other,
        };
        let store = Store::connect(&db).await?;
        let kv = connect_kv(settings.redis_url.as_deref(), &settings.redis_namespace).await?;
        let secrets = secrets::load(&settings)?;
        let rules = NationalRules::embedded()
            .map_err(|e| anyhow::anyhow!("national finance rules: {e}"))?;
        let finance = Finance::new(rules, secrets.pesel_pepper.clone());
        let payments = Payments::new(
            finance.clone(),
            std::sync::Arc::new(|name: &str| std::env::var(name).ok()),
            secrets.jwt.clone(),
            Links {
                scheme: settings.public_scheme.clone(),
                base_domain: settings.base_domain.clone(),
                local_addr: std::sync::OnceLock::new(),
            },
        )?;
        let auth = AuthService::new(
            store.clone(),
            AuthSecrets {
                jwt: secrets.jwt,
                pesel_pepper: secrets.pesel_pepper,
            },
            AuthSettings::default(),
        )?;
        let notify = Notify::new(
            finance.clone(),
            Arc::new(|name: &str| std::env::var(name).ok()),
            settings.data_dir.join("mail"),
        );
        let statements = Statements::new(finance.clone());
        let eservices = Arc::new(eservices::build(&finance, &payments, &statements, &notify));
        Ok(Self {
            registry: Arc::new(TenantRegistry::new(&settings.base_domain)),
            settings: Arc::new(settings),
            store,
            kv,
            clock: Arc::new(SystemClock),
            auth: Arc::new(auth),
            notify,
            eservices,
            statements,
            finance,
            payments,
        })
    }

    pub fn services(&self) -> Services {
        let connector: Arc<dyn TenantConnector> = self.store.clone();
        Services::new(connector, self.kv.clone(), self.clock.clone())
    }
}
