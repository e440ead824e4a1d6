//! Importing assessments from the municipality's tax system: one CSV row per assessment.
//!
//! ```text
//! party_number;kind;year;title;amount;due_dates;installment_amounts;reference
//! 17;property_tax_person;2025;Decyzja 1/2025;1234,50;;;FN.3120.1.2025
//! 18;lease;2025;Umowa 5/2024;600,00;2025-03-31|2025-09-30;300,00|300,00;GKM/5/2024
//! ```
//!
//! - UTF-8 (a byte-order mark is ignored), `;`-separated, a header row naming the columns
//!   (any order; `due_dates`, `installment_amounts` and `reference` — the decision's or
//!   agreement's number, which payers quote in transfer titles — may be left out). Fields may be quoted
//!   with `"` (a quote inside is doubled), so a title may hold a `;` or a line break.
//! - Amounts take a decimal comma or dot and spaces between thousands (`1 234,50`).
//! - `due_dates` and `installment_amounts` (`|`-separated, dates `YYYY-MM-DD` or
//!   `DD.MM.YYYY`) give an explicit schedule; left empty, the kind's rule splits the amount.
//!
//! All or nothing: every row is validated first and every problem is reported as
//! `{ line, field, message }` (lines as in the file, the header is line 1; `field` is the
//! column name, or `row` for the row's shape). With any error nothing is written. Otherwise
//! every row is assessed ([`super::assess::assess_in`]) in one transaction.
//!
//! Idempotent: each row's journal entry carries the key `import:<file hash>:<line>` (the
//! hash of the file without a byte-order mark, with LF line ends); a row
//! whose key is already in the journal is skipped (counted, not validated again), so
//! importing the same file twice creates nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wspolnota_core::value::DocumentNumber;
use wspolnota_core::{AppResult, ClerkScope, Ctx, ErrorCode, Money, TenantDb, audit};

use super::assess::{self, NewAssessment};
use super::{Finance, catalogue, payments};
use crate::config::KindConfig;
use crate::domain::{ScheduleRule, round_tax};
use crate::entity::{ledger_entry, party};

/// One problem with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// The column (`party_number`, `kind`, …), `row` or `header`.
    pub field: String,
    pub message: String,
}

/// What an import did: with any error, nothing.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    pub imported: usize,
    /// Rows imported before (same file, same line).
    pub skipped: usize,
    pub errors: Vec<RowError>,
    /// The obligations created.
    pub obligations: Vec<Uuid>,
}

const REQUIRED: [&str; 5] = ["party_number", "kind", "year", "title", "amount"];
const OPTIONAL: [&str; 3] = ["due_dates", "installment_amounts", "reference"];
/// `IN (…)` lists are sent in chunks of this size.
const CHUNK: usize = 500;

/// One CSV record and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    line: usize,
    fields: Vec<String>,
}

fn err(line: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Splits `text` into records (`;`-separated, `"`-quoted, LF or CRLF line ends), skipping
/// blank lines.
fn records(text: &str) -> Result<Vec<Record>, RowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let finish = |fields: &mut Vec<String>, field: &mut String, out: &mut Vec<Record>, start| {
        fields.push(std::mem::take(field));
        let blank = fields.len() == 1 && fields[0].trim().is_empty();
        if !blank {
            out.push(Record {
                line: start,
                fields: std::mem::take(fields),
            });
        }
        fields.clear();
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ';' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                finish(&mut fields, &mut field, &mut out, start);
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(err(start, "row", "a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        finish(&mut fields, &mut field, &mut out, start);
    }
    Ok(out)
}

/// A row that passed the per-row checks.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    party_number: i64,
    kind: String,
    year: i32,
    title: String,
    reference: Option<DocumentNumber>,
    amount: Money,
    installments: Option<Vec<(NaiveDate, Money)>>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

/// The per-row checks that need nothing but the row.
fn parse_row(line: usize, get: &dyn Fn(&str) -> String, errors: &mut Vec<RowError>) -> Option<Row> {
    let before = errors.len();
    let number = get("party_number");
    let party_number = match number.parse::<i64>() {
        Ok(n) if n > 0 => n,
        _ => {
            errors.push(err(
                line,
                "party_number",
                format!("`{number}` is not a party number"),
            ));
            0
        }
    };
    let kind = get("kind");
    if kind.is_empty() {
        errors.push(err(line, "kind", "give the obligation kind's code"));
    }
    let year_raw = get("year");
    let year = match year_raw.parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => y,
        _ => {
            errors.push(err(line, "year", "must be a year between 2000 and 2100"));
            0
        }
    };
    let title = get("title");
    if title.is_empty() {
        errors.push(err(line, "title", "must not be empty"));
    } else if title.chars().count() > 255 {
        errors.push(err(line, "title", "must be at most 255 characters"));
    }
    let reference = match get("reference") {
        raw if raw.is_empty() => None,
        raw => DocumentNumber::parse(&raw)
            .map_err(|e| errors.push(err(line, "reference", e.to_string())))
            .ok(),
    };
    let amount = match Money::parse(&get("amount")) {
        Ok(a) if a.is_positive() => a,
        Ok(_) => {
            errors.push(err(line, "amount", "must be greater than zero"));
            Money::ZERO
        }
        Err(e) => {
            errors.push(err(line, "amount", e.to_string()));
            Money::ZERO
        }
    };
    let (dates_raw, amounts_raw) = (get("due_dates"), get("installment_amounts"));
    let installments = match (dates_raw.is_empty(), amounts_raw.is_empty()) {
        (true, true) => None,
        (false, true) => {
            errors.push(err(
                line,
                "installment_amounts",
                "give the installments' amounts with their due dates",
            ));
            None
        }
        (true, false) => {
            errors.push(err(
                line,
                "due_dates",
                "give the installments' due dates with their amounts",
            ));
            None
        }
        (false, false) => {
            let mut dates = Vec::new();
            for d in dates_raw.split('|').map(str::trim) {
                match parse_date(d) {
                    Some(date) => dates.push(date),
                    None => {
                        errors.push(err(
                            line,
                            "due_dates",
                            format!("`{d}` is not a date (YYYY-MM-DD or DD.MM.YYYY)"),
                        ));
                        break;
                    }
                }
            }
            let mut amounts = Vec::new();
            for a in amounts_raw.split('|').map(str::trim) {
                match Money::parse(a) {
                    Ok(m) if m.is_positive() => amounts.push(m),
                    Ok(_) => {
                        errors.push(err(
                            line,
                            "installment_amounts",
                            "every installment must be greater than zero",
                        ));
                        break;
                    }
                    Err(e) => {
                        errors.push(err(line, "installment_amounts", e.to_string()));
                        break;
                    }
                }
            }
            let counts = (dates_raw.split('|').count(), amounts_raw.split('|').count());
            if errors.len() == before && counts.0 != counts.1 {
                errors.push(err(
                    line,
                    "installment_amounts",
                    format!("{} due dates but {} amounts", counts.0, counts.1),
                ));
            }
            Some(dates.into_iter().zip(amounts).collect())
        }
    };
    (errors.len() == before).then_some(Row {
        line,
        party_number,
        kind,
        year,
        title,
        reference,
        amount,
        installments,
    })
}

/// The version of `code` `assess_in` will use for this row.
fn kind_for<'a>(kinds: &'a [KindConfig], row: &Row) -> Option<&'a KindConfig> {
    let jan1 = NaiveDate::from_ymd_opt(row.year, 1, 1).unwrap_or_default();
    let first_due = row
        .installments
        .as_ref()
        .and_then(|i| i.iter().map(|(d, _)| *d).min())
        .unwrap_or_default();
    let on = jan1.max(first_due);
    kinds
        .iter()
        .filter(|k| k.code == row.kind && k.valid_from <= on)
        .max_by_key(|k| k.valid_from)
        .filter(|k| k.valid_to.is_none_or(|to| to >= on))
}

/// Checks against the catalogue and the schedule rules, as `assess_in` will.
fn check_against_kind(
    fin: &Finance,
    remainder: crate::domain::Remainder,
    kinds: &[KindConfig],
    row: &Row,
    errors: &mut Vec<RowError>,
) {
    let Some(kind) = kind_for(kinds, row) else {
        errors.push(err(
            row.line,
            "kind",
            format!("no obligation kind `{}` in force in {}", row.kind, row.year),
        ));
        return;
    };
    let amount = if kind.whole_zloty {
        round_tax(row.amount.amount())
    } else {
        row.amount
    };
    if !amount.is_positive() {
        errors.push(err(
            row.line,
            "amount",
            "is zero in full złoty (art. 63 § 1 OP)",
        ));
        return;
    }
    match &row.installments {
        Some(given) => {
            let sum: Money = given.iter().map(|(_, a)| *a).sum();
            if sum != amount {
                errors.push(err(
                    row.line,
                    "installment_amounts",
                    format!("installments add up to {sum}, the assessment is {amount}"),
                ));
            }
        }
        None if matches!(kind.schedule, ScheduleRule::Explicit) => errors.push(err(
            row.line,
            "due_dates",
            format!(
                "`{}` has no schedule rule: give due_dates and installment_amounts",
                kind.code
            ),
        )),
        None => {
            if let Err(e) = assess::plan(fin, kind, remainder, row.year, amount) {
                errors.push(err(row.line, "amount", e.message()));
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file as imported and hashed: without a byte-order mark, with LF line ends and
/// without trailing blank space, so the same file sent twice (or re-saved with CRLF) has the
/// same hash and the same line numbers.
fn normalized(csv: &str) -> String {
    let text = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    text.replace("\r\n", "\n").trim_end().to_owned()
}

fn file_hash(normalized: &str) -> String {
    hex(&Sha256::digest(normalized.as_bytes()))
}

/// The journal key of the row on `line` of `csv`: the normalized file's SHA-256 (first 128
/// bits) and the line.
pub fn row_key(csv: &str, line: usize) -> String {
    key_of(&file_hash(&normalized(csv)), line)
}

fn key_of(hash: &str, line: usize) -> String {
    format!("import:{}:{line}", hash.get(..32).unwrap_or(hash))
}

/// The column of this importer that an `assess_in` validation field stands for.
fn column_of(field: Option<&str>) -> &'static str {
    match field {
        Some("partyId") => "party_number",
        Some("kind") => "kind",
        Some("year") => "year",
        Some("title") => "title",
        Some("amount") => "amount",
        Some(f) if f.starts_with("installments") => "installment_amounts",
        _ => "row",
    }
}

/// Clerk: imports the assessments of `csv` (see the module docs).
pub async fn import_assessments(fin: &Finance, ctx: &Ctx, csv: &str) -> AppResult<ImportOutcome> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let fees = fin.fees(ctx)?;
    let text = normalized(csv);
    let hash = file_hash(&text);
    let rejected = |errors: Vec<RowError>| ImportOutcome {
        errors,
        ..ImportOutcome::default()
    };
    let all = match records(&text) {
        Ok(r) => r,
        Err(e) => return Ok(rejected(vec![e])),
    };
    let mut iter = all.into_iter();
    let Some(header) = iter.next() else {
        return Ok(rejected(vec![err(
            1,
            "header",
            format!(
                "the file is empty; the first line names the columns: {}",
                [REQUIRED.as_slice(), OPTIONAL.as_slice()]
                    .concat()
                    .join(";")
            ),
        )]));
    };
    let mut errors = Vec::new();
    let mut columns: HashMap<String, usize> = HashMap::new();
    for (i, name) in header.fields.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            errors.push(err(
                header.line,
                "header",
                format!("unknown column `{name}`"),
            ));
        } else if columns.insert(name.clone(), i).is_some() {
            errors.push(err(
                header.line,
                "header",
                format!("column `{name}` appears twice"),
            ));
        }
    }
    for name in REQUIRED {
        if !columns.contains_key(name) {
            errors.push(err(header.line, name, "missing column"));
        }
    }
    if !errors.is_empty() {
        return Ok(rejected(errors));
    }
    let width = header.fields.len();
    let optional_at: Vec<usize> = OPTIONAL
        .iter()
        .filter_map(|name| columns.get(*name).copied())
        .collect();

    let tx = TenantDb::begin(ctx).await?;
    let data: Vec<Record> = iter.collect();
    // Rows already imported from this very file are skipped before anything else.
    let keys: Vec<String> = data.iter().map(|r| key_of(&hash, r.line)).collect();
    let done = existing_keys(&*tx, &keys).await?;
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (record, key) in data.iter().zip(&keys) {
        if done.contains(key) {
            skipped += 1;
            continue;
        }
        // Trailing optional columns may be left out of a row.
        let short_ok = record.fields.len() < width
            && (record.fields.len()..width).all(|i| optional_at.contains(&i));
        if record.fields.len() != width && !short_ok {
            errors.push(err(
                record.line,
                "row",
                format!(
                    "expected {width} fields separated by `;`, found {}",
                    record.fields.len()
                ),
            ));
            continue;
        }
        let get = |name: &str| -> String {
            columns
                .get(name)
                .and_then(|i| record.fields.get(*i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        if let Some(row) = parse_row(record.line, &get, &mut errors) {
            rows.push((row, key.clone()));
        }
    }

    // Parties by number, in chunks.
    let mut numbers: Vec<i64> = rows.iter().map(|(r, _)| r.party_number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut party_of: HashMap<i64, Uuid> = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        for p in party::Entity::find()
            .filter(party::Column::Number.is_in(chunk.to_vec()))
            .all(&*tx)
            .await?
        {
            party_of.insert(p.number, p.id);
        }
    }
    let kinds = catalogue::all(&*tx).await?;
    for (row, _) in &rows {
        if !party_of.contains_key(&row.party_number) {
            errors.push(err(
                row.line,
                "party_number",
                format!("no party number {}", row.party_number),
            ));
        }
        check_against_kind(fin, fees.installment_remainder, &kinds, row, &mut errors);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(rejected(errors));
    }

    let mut outcome = ImportOutcome {
        skipped,
        ..ImportOutcome::default()
    };
    let mut touched: Vec<Uuid> = Vec::new();
    for (row, key) in rows {
        let Some(party_id) = party_of.get(&row.party_number).copied() else {
            continue;
        };
        let result = assess::assess_in(
            fin,
            ctx,
            &*tx,
            NewAssessment {
                party_id,
                kind: row.kind.clone(),
                year: row.year,
                title: row.title.clone(),
                reference: row.reference.clone(),
                amount: row.amount,
                installments: row.installments.clone(),
                key: Some(key),
            },
        )
        .await;
        match result {
            Ok(assessed) => {
                outcome.imported += 1;
                outcome.obligations.push(assessed.obligation.id);
                touched.push(party_id);
            }
            // A check this importer missed: report it like the others, write nothing.
            Err(e) if e.code() == ErrorCode::Validation => {
                errors.push(err(row.line, column_of(e.field()), e.message()));
            }
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        return Ok(rejected(errors));
    }
    // Art. 76 OP: a credit balance is set against the new obligations, as after `assess`.
    touched.sort();
    touched.dedup();
    let today = ctx.today();
    for party_id in &touched {
        payments::offset_overpayment(fin, ctx, &*tx, *party_id, today).await?;
    }
    audit::record(
        &tx,
        ctx,
        "finance.assessments.imported",
        serde_json::json!({
            "file_sha256": hash,
            "rows": data.len(),
            "imported": outcome.imported,
            "skipped": outcome.skipped,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn existing_keys<C: ConnectionTrait>(db: &C, keys: &[String]) -> AppResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        for e in ledger_entry::Entity::find()
            .filter(ledger_entry::Column::IdempotencyKey.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(e.idempotency_key);
        }
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fields(r: &Record) -> Vec<&str> {
        r.fields.iter().map(String::as_str).collect()
    }

    #[test]
    fn records_keep_their_first_line() {
        let text = "\u{feff}a;b\r\n1;\"x;\"\"y\"\"\nz\"\n\n2;3\n";
        let r = records(text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].line, fields(&r[0])), (1, vec!["a", "b"]));
        assert_eq!((r[1].line, fields(&r[1])), (2, vec!["1", "x;\"y\"\nz"]));
        assert_eq!((r[2].line, fields(&r[2])), (5, vec!["2", "3"]));
    }

    #[test]
    fn an_open_quote_is_an_error() {
        let e = records("a;b\n1;\"oops\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "row"));
    }

    #[test]
    fn no_trailing_newline() {
        let r = records("a;b\n1;2").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(fields(&r[1]), vec!["1", "2"]);
    }

    #[test]
    fn row_key_depends_on_content_and_line() {
        assert_eq!(row_key("x", 2), row_key("x", 2));
        assert_ne!(row_key("x", 2), row_key("x", 3));
        assert_ne!(row_key("x", 2), row_key("y", 2));
        assert!(row_key("x", 2).len() < 200);
        assert_eq!(row_key("\u{feff}a;b\r\n1;2\r\n", 2), row_key("a;b\n1;2", 2));
    }
}
