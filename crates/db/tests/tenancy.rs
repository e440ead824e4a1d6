//! Tenancy at the storage level, on whichever backend the environment selects:
//! PostgreSQL when `DATABASE_URL` is set (a fresh database per test), SQLite files otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use wspolnota_core::{TenantConnector, TenantSlug};
use wspolnota_db::Store;
use wspolnota_db::testing::TestStore;

async fn fixture(max_connections: u32) -> TestStore {
    TestStore::new("wsp_db", max_connections).await.unwrap()
}

fn slug(s: &str) -> TenantSlug {
    TenantSlug::parse(s).unwrap()
}

async fn audit_rows(store: &Store, tenant: &str) -> i64 {
    let tx = store.begin(&slug(tenant)).await.unwrap();
    let row = tx
        .query_one_raw(Statement::from_string(
            tx.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log",
        ))
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn insert_audit(store: &Store, tenant: &str, action: &str) {
    let tx = store.begin(&slug(tenant)).await.unwrap();
    let backend = tx.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO audit_log (at, action, detail) VALUES (now(), $1, '{}')"
        }
        _ => "INSERT INTO audit_log (at, action, detail) VALUES (datetime('now'), $1, '{}')",
    };
    tx.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [action.into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn migrations_apply_to_a_fresh_and_then_an_existing_tenant() {
    let f = fixture(4).await;
    f.store.migrate_platform().await.unwrap();
    assert!(!f.store.tenant_exists(&slug("zamosc")).await.unwrap());
    f.store.migrate_tenant(&slug("zamosc")).await.unwrap();
    let first = f
        .store
        .tenant_schema_version(&slug("zamosc"))
        .await
        .unwrap();
    assert!(first.is_some());
    insert_audit(&f.store, "zamosc", "before.remigration").await;
    // Applying again to an existing tenant changes nothing and keeps its data.
    f.store.migrate_platform().await.unwrap();
    f.store.migrate_tenant(&slug("zamosc")).await.unwrap();
    assert_eq!(
        f.store
            .tenant_schema_version(&slug("zamosc"))
            .await
            .unwrap(),
        first
    );
    assert_eq!(audit_rows(&f.store, "zamosc").await, 1);
}

#[tokio::test]
async fn a_tenant_transaction_sees_only_its_own_tenant() {
    let f = fixture(2).await;
    for t in ["zamosc", "kurow"] {
        f.store.migrate_tenant(&slug(t)).await.unwrap();
    }
    // Alternate tenants on a pool of two connections: each transaction must see only its
    // tenant, whichever connection it gets and whoever used that connection before.
    for i in 0..10 {
        insert_audit(&f.store, "zamosc", &format!("zamosc.{i}")).await;
        assert_eq!(audit_rows(&f.store, "kurow").await, 0);
    }
    assert_eq!(audit_rows(&f.store, "zamosc").await, 10);
}

#[tokio::test]
async fn an_unknown_tenant_has_no_data_to_open() {
    let f = fixture(2).await;
    f.store.migrate_tenant(&slug("zamosc")).await.unwrap();
    let tx = f.store.begin(&slug("nieistniejaca")).await;
    match tx {
        // SQLite: no file is created for a tenant that was never migrated.
        Err(e) => assert_eq!(e.code(), wspolnota_core::ErrorCode::NotFound),
        // PostgreSQL: the search path names a schema that does not exist, so no table resolves.
        Ok(tx) => {
            let res = tx
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT COUNT(*) AS n FROM audit_log",
                ))
                .await;
            assert!(
                res.is_err(),
                "a missing schema must not fall back to another"
            );
        }
    }
}

#[tokio::test]
async fn many_tenants_share_one_small_pool() {
    // 40 tenants, 3 connections: no pool (or connection) per tenant is needed.
    let f = fixture(3).await;
    let tenants: Vec<String> = (0..40).map(|i| format!("gmina-{i}")).collect();
    for t in &tenants {
        f.store.migrate_tenant(&slug(t)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for (i, t) in tenants.iter().enumerate() {
        let store = f.store.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..=(i % 3) {
                insert_audit(&store, &t, "x").await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for (i, t) in tenants.iter().enumerate() {
        assert_eq!(audit_rows(&f.store, t).await, (i % 3 + 1) as i64, "{t}");
    }
}

#[tokio::test]
async fn the_search_path_does_not_outlive_its_transaction() {
    let f = fixture(1).await;
    for t in ["zamosc", "kurow"] {
        f.store.migrate_tenant(&slug(t)).await.unwrap();
    }
    if f.store.backend_name() != "postgres" {
        return; // SQLite tenants are separate files: there is no search path to leak.
    }
    insert_audit(&f.store, "zamosc", "zamosc.only").await;
    // The pool's only connection served zamosc; reused for kurow it must see kurow alone.
    let tx = f.store.begin(&slug("kurow")).await.unwrap();
    let row = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('search_path') AS p",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "p").unwrap().trim_matches('"'),
        "t_kurow"
    );
    tx.commit().await.unwrap();
    assert_eq!(audit_rows(&f.store, "kurow").await, 0);
}

/// Idempotency and dedupe keys compare bytes, not the locale's letters, in their unique
/// indexes (and still refuse a second row under the same key). SQLite compares bytes anyway.
#[tokio::test]
async fn machine_keys_compare_bytes() {
    let f = fixture(2).await;
    f.store.migrate_platform().await.unwrap();
    f.store.migrate_tenant(&slug("zamosc")).await.unwrap();
    let tx = f.store.begin(&slug("zamosc")).await.unwrap();
    let backend = tx.get_database_backend();
    if backend == DbBackend::Postgres {
        let rows = tx
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT table_name || '.' || column_name AS col, \
                 COALESCE(collation_name, '') AS coll FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND (column_name IN \
                 ('idempotency_key', 'dedupe_key', 'account_key') OR table_name = 'st_seen' \
                 AND column_name = 'account') ORDER BY 1",
            ))
            .await
            .unwrap();
        let got: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get("", "col").unwrap(),
                    r.try_get("", "coll").unwrap(),
                )
            })
            .collect();
        let expected = [
            "finance_payments.idempotency_key",
            "ledger_entries.idempotency_key",
            "outbox.dedupe_key",
            "pay_inbox.dedupe_key",
            "pay_payments.idempotency_key",
            "st_payer_accounts.account_key",
            "st_seen.account",
            "st_seen.dedupe_key",
        ];
        for col in expected {
            assert!(
                got.iter().any(|(c, coll)| c == col && coll == "C"),
                "{col} should collate as \"C\": {got:?}"
            );
        }
    }
    let insert = "INSERT INTO st_seen (account, dedupe_key, line_id) \
                  VALUES ('PL61109010140000071219812874', 'TNR:Ź.1', $1)";
    tx.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [uuid::Uuid::now_v7().into()],
    ))
    .await
    .unwrap();
    let again = tx
        .execute_raw(Statement::from_sql_and_values(
            backend,
            insert,
            [uuid::Uuid::now_v7().into()],
        ))
        .await;
    assert!(again.is_err(), "the same key twice was accepted");
}
