//! Layered configuration: built-in defaults, then an optional TOML file (`--config`), then
//! environment variables, then command-line flags. Unknown keys in the file are errors.

use std::path::PathBuf;

use config::{Config, File, FileFormat};
use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// SQLite files, generated secrets and outgoing mail live here.
    pub data_dir: PathBuf,
    /// Tenants answer on `{slug}.{base_domain}`, the operator on `platform.{base_domain}`.
    pub base_domain: String,
    /// Where `tenants sync` reads `*.toml`.
    pub tenants_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; empty selects SQLite under `data_dir`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// `redis://…` enables Redis; empty keeps rate limits and login state in process.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// Separates deployments (or test runs) that share one Redis.
    pub redis_namespace: String,
    /// Maximum connections of the shared PostgreSQL pool (all tenants together).
    pub db_max_connections: u32,
    /// "text" or "json".
    pub log_format: String,
    /// "http" or "https": used to build callback URLs (identity provider, gateways).
    pub public_scheme: String,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted load balancer).
    pub trust_proxy_headers: bool,
    /// Access-token signing key (≥ 32 bytes); generated into `data_dir` when absent.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// Key of the PESEL hash; generated into `data_dir` when absent.
    #[serde(default)]
    pub pesel_pepper: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("base_domain", &self.base_domain)
            .field("tenants_dir", &self.tenants_dir)
            .field(
                "database",
                &if self.database_url.is_some() {
                    "postgres"
                } else {
                    "sqlite"
                },
            )
            .field("redis", &self.redis_url.is_some())
            .finish_non_exhaustive()
    }
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub base_domain: Option<String>,
    pub tenants_dir: Option<PathBuf>,
}

/// Environment variables read, and the setting each one sets.
const ENV: &[(&str, &str)] = &[
    ("WSPOLNOTA_BIND", "bind"),
    ("WSPOLNOTA_DATA_DIR", "data_dir"),
    ("WSPOLNOTA_BASE_DOMAIN", "base_domain"),
    ("WSPOLNOTA_TENANTS_DIR", "tenants_dir"),
    ("DATABASE_URL", "database_url"),
    ("REDIS_URL", "redis_url"),
    ("WSPOLNOTA_REDIS_NAMESPACE", "redis_namespace"),
    ("WSPOLNOTA_DB_MAX_CONNECTIONS", "db_max_connections"),
    ("WSPOLNOTA_LOG_FORMAT", "log_format"),
    ("WSPOLNOTA_PUBLIC_SCHEME", "public_scheme"),
    ("WSPOLNOTA_TRUST_PROXY_HEADERS", "trust_proxy_headers"),
    ("WSPOLNOTA_JWT_SECRET", "jwt_secret"),
    ("WSPOLNOTA_PESEL_PEPPER", "pesel_pepper"),
];

impl Settings {
    pub fn load(overrides: &Overrides) -> Result<Self, config::ConfigError> {
        let mut builder = Config::builder()
            .set_default("bind", "127.0.0.1:8080")?
            .set_default("data_dir", "./data")?
            .set_default("base_domain", "localhost")?
            .set_default("tenants_dir", "./tenants")?
            .set_default("redis_namespace", "wsp")?
            .set_default("db_max_connections", 32)?
            .set_default("log_format", "text")?
            .set_default("public_scheme", "http")?
            .set_default("trust_proxy_headers", false)?;
        let file = overrides
            .config_file
            .clone()
            .or_else(|| std::env::var_os("WSPOLNOTA_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
        }
        for (var, key) in ENV {
            if let Ok(value) = std::env::var(var)
                && !value.trim().is_empty()
            {
                builder = builder.set_override(*key, value)?;
            }
        }
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        builder = builder
            .set_override_option("bind", overrides.bind.clone())?
            .set_override_option("data_dir", path(&overrides.data_dir))?
            .set_override_option("base_domain", overrides.base_domain.clone())?
            .set_override_option("tenants_dir", path(&overrides.tenants_dir))?;
        let settings: Settings = builder.build()?.try_deserialize()?;
        if !matches!(settings.log_format.as_str(), "text" | "json") {
            return Err(config::ConfigError::Message(format!(
                "log_format: expected \"text\" or \"json\", got \"{}\"",
                settings.log_format
            )));
        }
        Ok(settings)
    }
}
