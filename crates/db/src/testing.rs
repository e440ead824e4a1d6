//! A throw-away store for tests, on the backend the environment selects: a fresh PostgreSQL
//! database when `DATABASE_URL` is set, SQLite files in a temporary folder otherwise. Dropped,
//! it removes what it created. Enabled by the `testing` feature (dev-dependencies only).

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, Database};
use wspolnota_core::{AppError, AppResult};

use crate::{DbSettings, Store};

pub struct TestStore {
    pub store: Arc<Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

impl TestStore {
    /// `prefix` names the database or folder, for finding leftovers.
    pub async fn new(prefix: &str, max_connections: u32) -> AppResult<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("{prefix}_{id}");
                let admin = Database::connect(admin_url.clone()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let (base, _) = admin_url.rsplit_once('/').ok_or_else(|| {
                    AppError::internal(std::io::Error::other("DATABASE_URL has no database"))
                })?;
                let url = format!("{base}/{name}");
                let store = Store::connect(&DbSettings::Postgres {
                    url,
                    max_connections,
                })
                .await?;
                Ok(Self {
                    store,
                    cleanup: Cleanup::Database { admin_url, name },
                })
            }
            None => {
                let dir = std::env::temp_dir().join(format!("{prefix}-{id}"));
                let store = Store::connect(&DbSettings::Sqlite {
                    data_dir: dir.clone(),
                })
                .await?;
                Ok(Self {
                    store,
                    cleanup: Cleanup::Dir(dir),
                })
            }
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                let (url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async: a thread with its own runtime drops the database.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Runtime::new() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(url).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
