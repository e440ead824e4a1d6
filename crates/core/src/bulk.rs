//! Writing many rows of one table in one statement, on either backend.
//!
//! SQLite (in process: no round trips) takes multi-row `INSERT … VALUES` with bind parameters,
//! as many rows per statement as its parameter limit allows. PostgreSQL takes each column as
//! ONE array parameter and unnests them: `INSERT INTO t (a, b) SELECT * FROM unnest($1::uuid[],
//! $2::int8[])` — one prepared statement per table however many rows, instead of statements
//! with a bind parameter per value that PostgreSQL parses and plans anew for each row count.
//! Arrays are sent in PostgreSQL's text form, so NULLs and every column type take one path.
//!
//! Updates work the same way: `UPDATE t SET c = v.c FROM unnest(…) AS v(k, c) WHERE t.k = v.k`
//! (SQLite: `FROM (VALUES …)`), which rewrites only the changed columns of rows that exist.
//! Updates and [`is_in`] lookups carry their arrays as constants in the statement, so that the
//! planner knows how many rows it joins (see [`is_in`]).

use std::fmt::Write as _;

use sea_orm_migration::sea_orm::sea_query::{
    Alias, ColumnType, Expr, OnConflict, Query, SimpleExpr, Value,
};
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable,
    QueryResult, Statement,
};

use crate::{AppError, AppResult};

/// Bind parameters per SQLite statement: under its limit of 32,766.
const SQLITE_PARAMS: usize = 30_000;
/// Rows per PostgreSQL statement: bounds the size of one message, not the parameter count.
const PG_ROWS: usize = 20_000;

/// A column of a [`Batch`]: its name and its PostgreSQL type.
#[derive(Debug, Clone)]
pub struct Column {
    name: String,
    pg_type: &'static str,
}

impl Column {
    pub fn new(name: impl Into<String>, pg_type: &'static str) -> Self {
        Self {
            name: name.into(),
            pg_type,
        }
    }
}

/// Rows of one table, to insert or update together.
#[derive(Debug, Clone)]
pub struct Batch {
    table: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

impl Batch {
    pub fn new(table: impl Into<String>, columns: Vec<Column>) -> Self {
        Self {
            table: table.into(),
            columns,
            rows: Vec::new(),
        }
    }

    /// The rows of an entity's active models: the columns set in the first row (every row
    /// must set the same ones, as `insert_many` requires).
    pub fn of<E: EntityTrait>(models: Vec<E::ActiveModel>) -> AppResult<Self> {
        let table = E::default().table_name().to_owned();
        let Some(first) = models.first() else {
            return Ok(Self::new(table, Vec::new()));
        };
        // Per column, in the entity's order: whether the rows set it.
        let wanted: Vec<bool> = E::Column::iter()
            .map(|c| first.get(c).into_value().is_some())
            .collect();
        let set: Vec<E::Column> = E::Column::iter()
            .zip(&wanted)
            .filter_map(|(c, w)| w.then_some(c))
            .collect();
        let mut columns = Vec::with_capacity(set.len());
        for c in &set {
            columns.push(Column::new(
                c.as_str(),
                pg_type(c.def().get_column_type()).ok_or_else(|| {
                    internal(format!(
                        "bulk write: column {table}.{} has a type it cannot send",
                        c.as_str()
                    ))
                })?,
            ));
        }
        let mut rows = Self::new(table, columns);
        for mut model in models {
            let mut row = Vec::with_capacity(set.len());
            for (c, wanted) in E::Column::iter().zip(&wanted) {
                match (model.take(c).into_value(), *wanted) {
                    (Some(v), true) => row.push(v),
                    (None, false) => {}
                    (_, wanted) => {
                        return Err(internal(format!(
                            "bulk write: a row of {} {} {}, unlike the first",
                            rows.table,
                            if wanted { "leaves unset" } else { "sets" },
                            c.as_str()
                        )));
                    }
                }
            }
            rows.rows.push(row);
        }
        Ok(rows)
    }

    pub fn push(&mut self, row: Vec<Value>) -> AppResult<()> {
        if row.len() != self.columns.len() {
            return Err(internal(format!(
                "bulk write: a row of {} has {} values for {} columns",
                self.table,
                row.len(),
                self.columns.len()
            )));
        }
        self.rows.push(row);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Inserts every row.
    pub async fn insert<C: ConnectionTrait>(self, db: &C) -> AppResult<()> {
        self.insert_with(db, &[], None).await.map(|_| ())
    }

    /// Inserts the rows whose `conflict` columns are not taken yet (`ON CONFLICT DO NOTHING`).
    pub async fn insert_or_skip<C: ConnectionTrait>(
        self,
        db: &C,
        conflict: &[&str],
    ) -> AppResult<()> {
        self.insert_with(db, conflict, None).await.map(|_| ())
    }

    /// Inserts the rows whose `conflict` columns are not taken yet and returns `returning` of
    /// the rows inserted.
    pub async fn insert_new<C: ConnectionTrait>(
        self,
        db: &C,
        conflict: &[&str],
        returning: &str,
    ) -> AppResult<Vec<QueryResult>> {
        self.insert_with(db, conflict, Some(returning)).await
    }

    async fn insert_with<C: ConnectionTrait>(
        self,
        db: &C,
        conflict: &[&str],
        returning: Option<&str>,
    ) -> AppResult<Vec<QueryResult>> {
        let mut out = Vec::new();
        if self.rows.is_empty() {
            return Ok(out);
        }
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut sql = format!(
                    "INSERT INTO {} ({}) SELECT * FROM {}",
                    quote(&self.table),
                    self.names(),
                    self.unnest(1)
                );
                if !conflict.is_empty() {
                    let cols: Vec<String> = conflict.iter().map(|c| quote(c)).collect();
                    let _ = write!(sql, " ON CONFLICT ({}) DO NOTHING", cols.join(", "));
                }
                if let Some(r) = returning {
                    let _ = write!(sql, " RETURNING {}", quote(r));
                }
                for part in self.rows.chunks(PG_ROWS) {
                    let arrays = self
                        .arrays(part)?
                        .into_iter()
                        .map(|a| Value::String(Some(a)));
                    let stmt =
                        Statement::from_sql_and_values(DbBackend::Postgres, sql.clone(), arrays);
                    out.extend(run(db, stmt, returning.is_some()).await?);
                }
            }
            backend => {
                let per = (SQLITE_PARAMS / self.columns.len().max(1)).max(1);
                for part in self.rows.chunks(per) {
                    let mut insert = Query::insert();
                    insert
                        .into_table(Alias::new(&self.table))
                        .columns(self.columns.iter().map(|c| Alias::new(&c.name)));
                    for row in part {
                        insert
                            .values(row.iter().cloned().map(SimpleExpr::from))
                            .map_err(AppError::internal)?;
                    }
                    if !conflict.is_empty() {
                        insert.on_conflict(
                            OnConflict::columns(conflict.iter().map(|c| Alias::new(*c)))
                                .do_nothing()
                                .to_owned(),
                        );
                    }
                    if let Some(r) = returning {
                        insert.returning_col(Alias::new(r));
                    }
                    out.extend(run(db, backend.build(&insert), returning.is_some()).await?);
                }
            }
        }
        Ok(out)
    }

    /// Sets every other column of the rows whose `key` column matches; rows with no match
    /// change nothing.
    pub async fn update<C: ConnectionTrait>(self, db: &C, key: &str) -> AppResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let key_at = self
            .columns
            .iter()
            .position(|c| c.name == key)
            .ok_or_else(|| internal(format!("bulk update of {}: no key column", self.table)))?;
        let table = quote(&self.table);
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let sets: Vec<String> = self
                    .columns
                    .iter()
                    .filter(|c| c.name != key)
                    .map(|c| format!("{0} = v.{0}", quote(&c.name)))
                    .collect();
                for part in self.rows.chunks(PG_ROWS) {
                    // Constants, not parameters: the planner sees how many rows there are and
                    // probes the key's index instead of hashing a scan of the whole table.
                    let arrays: Vec<String> = self
                        .arrays(part)?
                        .iter()
                        .zip(&self.columns)
                        .map(|(a, c)| format!("{}::{}[]", constant(a), c.pg_type))
                        .collect();
                    let sql = format!(
                        "UPDATE {table} SET {} FROM unnest({}) AS v({}) WHERE {table}.{k} = v.{k}",
                        sets.join(", "),
                        arrays.join(", "),
                        self.names(),
                        k = quote(key),
                    );
                    db.execute_unprepared(&sql).await?;
                }
            }
            backend => {
                // SQLite names the columns of a VALUES list column1, column2, …
                let sets: Vec<String> = self
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.name != key)
                    .map(|(i, c)| format!("{} = v.column{}", quote(&c.name), i + 1))
                    .collect();
                let row = format!("({})", vec!["?"; self.columns.len()].join(", "));
                let per = (SQLITE_PARAMS / self.columns.len().max(1)).max(1);
                for part in self.rows.chunks(per) {
                    let sql = format!(
                        "UPDATE {table} SET {} FROM (VALUES {}) AS v WHERE {table}.{} = v.column{}",
                        sets.join(", "),
                        vec![row.as_str(); part.len()].join(", "),
                        quote(key),
                        key_at + 1
                    );
                    let values: Vec<Value> = part.iter().flatten().cloned().collect();
                    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                        .await?;
                }
            }
        }
        Ok(())
    }

    fn names(&self) -> String {
        let names: Vec<String> = self.columns.iter().map(|c| quote(&c.name)).collect();
        names.join(", ")
    }

    /// `unnest($first::type[], …)`, one parameter per column.
    fn unnest(&self, first: usize) -> String {
        let args: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}[]", first + i, c.pg_type))
            .collect();
        format!("unnest({})", args.join(", "))
    }

    /// Each column of `rows` as one PostgreSQL array literal.
    fn arrays(&self, rows: &[Vec<Value>]) -> AppResult<Vec<String>> {
        let mut arrays: Vec<String> = self
            .columns
            .iter()
            .map(|_| String::with_capacity(rows.len() * 16 + 2))
            .collect();
        for a in &mut arrays {
            a.push('{');
        }
        for (r, row) in rows.iter().enumerate() {
            for ((value, array), column) in row.iter().zip(&mut arrays).zip(&self.columns) {
                if r > 0 {
                    array.push(',');
                }
                push_element(array, value).map_err(|what| {
                    internal(format!(
                        "bulk write: {}.{} holds {what}",
                        self.table, column.name
                    ))
                })?;
            }
        }
        for a in &mut arrays {
            a.push('}');
        }
        Ok(arrays)
    }
}

/// `column IN (values)`. On PostgreSQL the values are ONE array constant
/// (`column = ANY('{…}'::uuid[])`) instead of a parameter each. A constant, not a parameter:
/// cast from a parameter, the array's length is unknown to the planner, which then guesses
/// ten values and may scan the whole table once per value.
pub fn is_in<D, C, V>(
    db: &D,
    column: C,
    values: impl IntoIterator<Item = V>,
) -> AppResult<SimpleExpr>
where
    D: ConnectionTrait,
    C: ColumnTrait,
    V: Into<Value>,
{
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(column.is_in(values.into_iter().map(Into::into)));
    }
    let pg = pg_type(column.def().get_column_type()).ok_or_else(|| {
        internal(format!(
            "is_in: column {} has a type it cannot send",
            column.as_str()
        ))
    })?;
    let mut array = String::from("{");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            array.push(',');
        }
        push_element(&mut array, &v.into())
            .map_err(|what| internal(format!("is_in: {} holds {what}", column.as_str())))?;
    }
    array.push('}');
    // The whole comparison is one custom expression: sea-query would parenthesise a
    // right-hand side, and `x = (ANY(…))` is not SQL.
    let column_ref = format!(
        "{}.{}",
        quote(&column.entity_name().to_string()),
        quote(column.as_str())
    );
    Ok(Expr::cust(format!(
        "{column_ref} = ANY({}::{pg}[])",
        constant(&array)
    )))
}

async fn run<C: ConnectionTrait>(
    db: &C,
    stmt: Statement,
    returning: bool,
) -> AppResult<Vec<QueryResult>> {
    if returning {
        Ok(db.query_all_raw(stmt).await?)
    } else {
        db.execute_raw(stmt).await?;
        Ok(Vec::new())
    }
}

/// The PostgreSQL type a column of this type is sent as.
fn pg_type(t: &ColumnType) -> Option<&'static str> {
    Some(match t {
        ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text => "text",
        ColumnType::SmallInteger => "int2",
        ColumnType::Integer => "int4",
        ColumnType::BigInteger => "int8",
        ColumnType::Decimal(_) => "numeric",
        ColumnType::Boolean => "bool",
        ColumnType::Date => "date",
        ColumnType::DateTime | ColumnType::Timestamp => "timestamp",
        ColumnType::TimestampWithTimeZone => "timestamptz",
        ColumnType::Json => "json",
        ColumnType::JsonBinary => "jsonb",
        ColumnType::Uuid => "uuid",
        _ => return None,
    })
}

/// Appends one array element in PostgreSQL's text form: `NULL`, a number, uuid or date bare
/// (their text holds no quote, backslash, comma, brace or space), anything else double-quoted
/// with `"` and `\` escaped. Written straight into `out`: an import sends millions of
/// elements.
fn push_element(out: &mut String, value: &Value) -> Result<(), &'static str> {
    // Writing to a String cannot fail.
    let _ = match value {
        Value::Bool(Some(b)) => {
            out.push(if *b { 't' } else { 'f' });
            Ok(())
        }
        Value::SmallInt(Some(n)) => write!(out, "{n}"),
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::String(Some(t)) => {
            quoted(out, t, '"');
            Ok(())
        }
        Value::Char(Some(c)) => {
            quoted(out, c.encode_utf8(&mut [0; 4]), '"');
            Ok(())
        }
        Value::Uuid(Some(u)) => {
            out.push_str(
                u.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer()),
            );
            Ok(())
        }
        Value::ChronoDate(Some(d)) => push_date(out, d),
        Value::ChronoDateTime(Some(t)) => push_timestamp(out, t, ""),
        Value::ChronoDateTimeUtc(Some(t)) => push_timestamp(out, &t.naive_utc(), "+00"),
        Value::Json(Some(j)) => {
            quoted(out, &j.to_string(), '"');
            Ok(())
        }
        Value::Decimal(Some(d)) => write!(out, "{d}"),
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Char(None)
        | Value::Uuid(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTime(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::Json(None)
        | Value::Decimal(None) => {
            out.push_str("NULL");
            Ok(())
        }
        _ => return Err("a value of a type bulk writes do not send"),
    };
    Ok(())
}

/// `YYYY-MM-DD` (years 0–9999: what dates here are).
fn push_date(out: &mut String, d: &chrono::NaiveDate) -> std::fmt::Result {
    use chrono::Datelike as _;
    write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `"YYYY-MM-DD HH:MM:SS.ffffff{zone}"`: microseconds, as PostgreSQL keeps them (and as sqlx
/// sends them); quoted for the space.
fn push_timestamp(out: &mut String, t: &chrono::NaiveDateTime, zone: &str) -> std::fmt::Result {
    use chrono::Timelike as _;
    out.push('"');
    push_date(out, &t.date())?;
    write!(
        out,
        " {:02}:{:02}:{:02}.{:06}{zone}\"",
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() % 1_000_000_000 / 1_000
    )
}

/// Appends `text` between `quote`s, with `quote` and `\` escaped by a backslash (the rule of
/// array elements and of `E'…'` constants alike).
fn quoted(out: &mut String, text: &str, quote: char) {
    out.reserve(text.len() + 2);
    out.push(quote);
    let mut rest = text;
    // Both specials are ASCII, so a byte search never splits a character.
    while let Some(at) = rest.find([quote, '\\']) {
        let (plain, tail) = rest.split_at(at);
        out.push_str(plain);
        out.push('\\');
        let mut chars = tail.chars();
        if let Some(special) = chars.next() {
            out.push(special);
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push(quote);
}

/// `text` as an escape string constant (`E'…'`): backslashes and quotes escaped, so its
/// meaning does not depend on `standard_conforming_strings`.
fn constant(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    out.push('E');
    quoted(&mut out, text, '\'');
    out
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn internal(message: String) -> AppError {
    AppError::internal(std::io::Error::other(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(values: &[Value]) -> String {
        let mut out = String::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_element(&mut out, v).unwrap_or_else(|e| panic!("{e}"));
        }
        out
    }

    #[test]
    fn elements_are_quoted_escaped_and_null_is_bare() {
        assert_eq!(
            literal(&[
                Value::String(Some(r#"Wpłata "a\b", {x}"#.to_owned())),
                Value::String(None),
                Value::BigInt(Some(-12)),
                Value::Bool(Some(true)),
            ]),
            r#""Wpłata \"a\\b\", {x}",NULL,-12,t"#
        );
    }

    #[test]
    fn dates_uuids_decimals_and_chars_take_their_text_form() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 5);
        let id = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00ff);
        assert_eq!(
            literal(&[
                Value::ChronoDate(date),
                Value::Uuid(Some(id)),
                Value::Decimal(Some(rust_decimal::Decimal::new(1230, 2))),
                Value::Char(Some('"')),
                Value::ChronoDateTime(date.and_then(|d| d.and_hms_micro_opt(7, 8, 9, 10))),
            ]),
            r#"2026-01-05,01900000-0000-7000-8000-0000000000ff,12.30,"\"","2026-01-05 07:08:09.000010""#
        );
    }

    #[test]
    fn timestamps_keep_microseconds_in_utc() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:11:12.123456789+01:00")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            literal(&[Value::ChronoDateTimeUtc(Some(t))]),
            r#""2026-11-27 09:11:12.123456+00""#
        );
    }

    #[test]
    fn constants_escape_quotes_and_backslashes() {
        assert_eq!(constant(r#"{"a\\b",'x'}"#), r#"E'{"a\\\\b",\'x\'}'"#);
    }

    #[test]
    fn floats_are_refused() {
        assert!(push_element(&mut String::new(), &Value::Double(Some(1.5))).is_err());
    }
}
