//! Column shapes shared by the migrations: money is BIGINT grosze, times carry a zone.

use sea_orm_migration::prelude::*;

pub(crate) fn id_uuid<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

pub(crate) fn money<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

pub(crate) fn at<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub(crate) fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(col);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

/// A required string column of at most `len` characters.
pub(crate) fn text<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

/// Machine keys (idempotency and dedupe keys: ASCII prefixes, ids, bank references) need no
/// linguistic order, yet under the database's collation (`pl_PL.UTF-8`, ICU `pl-PL`, even
/// `C.UTF-8`) every comparison in their unique indexes goes through the locale: measured, a
/// sixth to a fifth of each index insert under `C.UTF-8`, two fifths under ICU `pl-PL`
/// (`ops/bench/README.md`). `COLLATE "C"` compares bytes; equality is unchanged, so is every
/// lookup. Each `(table, column, length)` is a `varchar(length)`. SQLite already
/// compares bytes (`BINARY`).
pub(crate) async fn collate_keys(
    m: &SchemaManager<'_>,
    keys: &[(&str, &str, u32)],
    bytewise: bool,
) -> Result<(), DbErr> {
    if m.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let collation = if bytewise { "\"C\"" } else { "\"default\"" };
    for (table, column, len) in keys {
        m.get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} \
                 TYPE varchar({len}) COLLATE {collation}"
            ))
            .await?;
    }
    Ok(())
}
