//! Bulk writes (`wspolnota_core::bulk`) on whichever backend the environment selects: what
//! goes in comes back exactly (NULLs, quotes, backslashes, braces, Polish letters), conflicts
//! are skipped and reported, updates touch only the rows and columns given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseTransaction, QuerySelect, Statement};
use wspolnota_core::bulk::{self, Batch, Column};
use wspolnota_core::{TenantConnector, TenantSlug};
use wspolnota_db::testing::TestStore;

mod probe {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bulk_probe")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub n: i64,
        pub note: Option<String>,
        pub day: Date,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

async fn tenant_tx(f: &TestStore) -> DatabaseTransaction {
    let slug = TenantSlug::parse("zamosc").unwrap();
    f.store.migrate_platform().await.unwrap();
    f.store.migrate_tenant(&slug).await.unwrap();
    let tx = f.store.begin(&slug).await.unwrap();
    let backend = tx.get_database_backend();
    let ddl = match backend {
        sea_orm::DbBackend::Postgres => {
            "CREATE TABLE bulk_probe (id uuid PRIMARY KEY, n bigint NOT NULL, note text, \
             day date NOT NULL, at timestamptz NOT NULL)"
        }
        _ => {
            "CREATE TABLE bulk_probe (id blob PRIMARY KEY, n integer NOT NULL, note text, \
             day text NOT NULL, at text NOT NULL)"
        }
    };
    tx.execute_raw(Statement::from_string(backend, ddl))
        .await
        .unwrap();
    tx
}

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T10:11:12.123456+01:00")
        .unwrap()
        .with_timezone(&Utc)
}

fn model(n: i64, note: Option<&str>) -> probe::Model {
    probe::Model {
        id: Uuid::new_v4(),
        n,
        note: note.map(str::to_owned),
        day: NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
        at: at(),
    }
}

fn active(m: &probe::Model) -> probe::ActiveModel {
    probe::ActiveModel::from(m.clone()).reset_all()
}

async fn all(tx: &DatabaseTransaction) -> Vec<probe::Model> {
    let mut rows = probe::Entity::find().all(tx).await.unwrap();
    rows.sort_by_key(|m| m.n);
    rows
}

const AWKWARD: &str = r#"Wpłata "za" śmieci\ {rata 1, 2} NULL ' żółć"#;

#[tokio::test]
async fn rows_come_back_exactly_as_written() {
    let f = TestStore::new("wsp_bulk", 2).await.unwrap();
    let tx = tenant_tx(&f).await;
    let rows: Vec<probe::Model> = (0..2_500)
        .map(|n| match n % 3 {
            0 => model(n, None),
            1 => model(n, Some(AWKWARD)),
            _ => model(-n, Some("NULL")),
        })
        .collect();
    let batch = Batch::of::<probe::Entity>(rows.iter().map(active).collect()).unwrap();
    assert_eq!(batch.len(), 2_500);
    batch.insert(&tx).await.unwrap();
    let mut expected = rows.clone();
    expected.sort_by_key(|m| m.n);
    assert_eq!(all(&tx).await, expected);
}

#[tokio::test]
async fn taken_keys_are_skipped_and_only_new_rows_are_returned() {
    let f = TestStore::new("wsp_bulk", 2).await.unwrap();
    let tx = tenant_tx(&f).await;
    let old = model(1, Some("stary"));
    Batch::of::<probe::Entity>(vec![active(&old)])
        .unwrap()
        .insert(&tx)
        .await
        .unwrap();
    let new = model(2, Some("nowy"));
    let mut again = old.clone();
    again.note = Some("zmieniony".to_owned());
    let mut batch = Batch::new(
        "bulk_probe",
        vec![
            Column::new("id", "uuid"),
            Column::new("n", "int8"),
            Column::new("note", "text"),
            Column::new("day", "date"),
            Column::new("at", "timestamptz"),
        ],
    );
    for m in [&again, &new] {
        batch
            .push(vec![
                m.id.into(),
                m.n.into(),
                m.note.clone().into(),
                m.day.into(),
                m.at.into(),
            ])
            .unwrap();
    }
    assert!(
        batch.push(vec![1i64.into()]).is_err(),
        "a short row is refused"
    );
    let returned: Vec<Uuid> = batch
        .insert_new(&tx, &["id"], "id")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get::<Uuid>("", "id").unwrap())
        .collect();
    assert_eq!(returned, vec![new.id]);
    assert_eq!(all(&tx).await, vec![old, new], "the taken row is unchanged");
}

#[tokio::test]
async fn updates_change_only_the_given_rows_and_columns() {
    let f = TestStore::new("wsp_bulk", 2).await.unwrap();
    let tx = tenant_tx(&f).await;
    let rows: Vec<probe::Model> = (1..=3).map(|n| model(n, Some("przed"))).collect();
    Batch::of::<probe::Entity>(rows.iter().map(active).collect())
        .unwrap()
        .insert(&tx)
        .await
        .unwrap();
    let change = |m: &probe::Model, note: Option<&str>| probe::ActiveModel {
        id: sea_orm::Set(m.id),
        note: sea_orm::Set(note.map(str::to_owned)),
        ..Default::default()
    };
    let ghost = model(9, None);
    Batch::of::<probe::Entity>(vec![
        change(&rows[0], None),
        change(&rows[2], Some(AWKWARD)),
        change(&ghost, Some("nikt")),
    ])
    .unwrap()
    .update(&tx, "id")
    .await
    .unwrap();
    let mut expected = rows.clone();
    expected[0].note = None;
    expected[2].note = Some(AWKWARD.to_owned());
    assert_eq!(
        all(&tx).await,
        expected,
        "no row for the unknown id, n and day kept"
    );
}

#[tokio::test]
async fn is_in_finds_exactly_the_listed_values() {
    let f = TestStore::new("wsp_bulk", 2).await.unwrap();
    let tx = tenant_tx(&f).await;
    let rows: Vec<probe::Model> = (1..=5)
        .map(|n| model(n, Some(if n % 2 == 0 { AWKWARD } else { "inna" })))
        .collect();
    Batch::of::<probe::Entity>(rows.iter().map(active).collect())
        .unwrap()
        .insert(&tx)
        .await
        .unwrap();
    let ids: Vec<Uuid> = probe::Entity::find()
        .select_only()
        .column(probe::Column::N)
        .filter(
            bulk::is_in(
                &tx,
                probe::Column::Id,
                [rows[1].id, rows[3].id, Uuid::nil()],
            )
            .unwrap(),
        )
        .into_tuple::<i64>()
        .all(&tx)
        .await
        .unwrap()
        .into_iter()
        .map(|n| rows[usize::try_from(n - 1).unwrap()].id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&rows[1].id) && ids.contains(&rows[3].id));
    let by_note = probe::Entity::find()
        .filter(bulk::is_in(&tx, probe::Column::Note, [AWKWARD]).unwrap())
        .count(&tx)
        .await
        .unwrap();
    assert_eq!(
        by_note, 2,
        "a text with quotes, braces and backslashes matches itself"
    );
    let none = probe::Entity::find()
        .filter(bulk::is_in(&tx, probe::Column::N, Vec::<i64>::new()).unwrap())
        .count(&tx)
        .await
        .unwrap();
    assert_eq!(none, 0, "an empty list matches nothing");
}

#[test]
fn rows_that_set_other_columns_than_the_first_are_refused() {
    let full = model(1, Some("pełny"));
    let partial = probe::ActiveModel {
        id: sea_orm::Set(Uuid::new_v4()),
        note: sea_orm::Set(None),
        ..Default::default()
    };
    for rows in [
        vec![active(&full), partial.clone()],
        vec![partial.clone(), active(&full)],
    ] {
        let err = Batch::of::<probe::Entity>(rows).unwrap_err();
        assert!(
            err.to_string().contains("unlike the first")
                || format!("{err:?}").contains("unlike the first"),
            "{err:?}"
        );
    }
    assert_eq!(
        Batch::of::<probe::Entity>(vec![partial.clone(), partial])
            .unwrap()
            .len(),
        2
    );
}
