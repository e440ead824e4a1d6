//! Importing a statement file. The file is read and parsed as a stream of events, and its
//! lines are processed in chunks (`Statements::chunk_lines`, 2,000 by default): memory stays
//! flat however long the file is, and each chunk costs a few multi-row statements instead of
//! a few dozen per line. Everything the file causes — the import's record, each statement and
//! line, each posting and its "payment posted" message — happens in ONE transaction: a parse
//! error on line 900,000, a refused account or a killed process leaves nothing behind, and
//! the same file imported again is then imported whole.
//!
//! Each line is first claimed by its bank dedupe key for the statement's account
//! (`st_seen`); a line claimed before — a repeated file, a line repeated within the file, or a
//! day's MT940 overlapping the MT942 intraday reports — is counted as a duplicate and posts
//! nothing. The dedupe key per bank is documented in `crate::parse`.
//!
//! A chunk is processed as its lines were one by one: claims in file order (the first of two
//! equal keys wins), matching in file order (a payout matched once is not matched again),
//! and the credits posted by `wspolnota_finance::service::bulk::record_many`, which allocates
//! each against what the credits before it left open.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wspolnota_core::bulk::{Batch, Column};
use wspolnota_core::{AppError, AppResult, Ctx, Money, TenantDb, TenantTx, audit};
use wspolnota_finance::config::FeesConfig;
use wspolnota_finance::ledger::{self, Entry, Line};
use wspolnota_finance::service::bulk::{self, Checks, Rows};
use wspolnota_finance::service::payments::{Channel, NewPayment};
use wspolnota_payments::entity::payout;
use wspolnota_payments::service::payouts;

use super::matching::{Credit, Lookups, Match};
use super::title::Title;
use super::{Statements, account_digits, grosze, require_clerk_or_system};
use crate::entity::{import, line, statement};
use crate::parse::{self, Direction, Event, FormatHint, ParseOptions, StatementLine};

/// What to import: a file's name and its bytes, read as the import goes.
pub struct ImportInput {
    pub file_name: String,
    pub reader: Box<dyn Read + Send>,
    pub format: FormatHint,
    /// The municipality's account the file is for; taken from the statement when omitted.
    pub bank_account: Option<String>,
}

impl ImportInput {
    /// A file already in memory (tests, small uploads).
    pub fn from_bytes(
        file_name: impl Into<String>,
        bytes: Vec<u8>,
        format: FormatHint,
        bank_account: Option<String>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            reader: Box::new(std::io::Cursor::new(bytes)),
            format,
            bank_account,
        }
    }
}

impl std::fmt::Debug for ImportInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportInput")
            .field("file_name", &self.file_name)
            .field("format", &self.format)
            .field("bank_account", &self.bank_account)
            .finish_non_exhaustive()
    }
}

/// What an import did, as the GraphQL mutation and the CLI report it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub id: Uuid,
    pub statements: u32,
    /// Lines newly imported (duplicates not counted).
    pub lines: u32,
    /// Credits matched to a party or a gateway payout and posted.
    pub matched: u32,
    /// Credits left for a clerk (posted to unidentified receipts).
    pub unmatched: u32,
    /// Debits (recorded, not posted here).
    pub debits: u32,
    /// Lines imported before (same bank dedupe key on the same account).
    pub duplicates: u32,
    /// The sum of the credits imported.
    pub total: Money,
}

/// Bytes read from the file at a time.
const READ_BUFFER: usize = 256 << 10;

/// Hashes the bytes as they are read (the import's `sha256`).
struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: Arc<Mutex<Sha256>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(read) = buf.get(..n) {
            self.hasher
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .update(read);
        }
        Ok(n)
    }
}

pub async fn import(svc: &Statements, ctx: &Ctx, input: ImportInput) -> AppResult<ImportSummary> {
    require_clerk_or_system(ctx)?;
    let file_name = input.file_name.trim().to_owned();
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let mut reader = BufReader::with_capacity(
        READ_BUFFER,
        Hashing {
            inner: input.reader,
            hasher: hasher.clone(),
        },
    );
    let empty = reader
        .fill_buf()
        .map_err(|e| {
            AppError::validation("file", format!("{file_name}: cannot read the file: {e}"))
        })?
        .is_empty();
    if empty {
        return Err(AppError::validation(
            "file",
            format!("{file_name}: the file is empty"),
        ));
    }
    let options = ParseOptions {
        format: input.format,
        encoding: None,
    };
    let events = parse::stream(&file_name, Box::new(reader), &options).map_err(parse_error)?;
    let own_accounts: Vec<String> = ctx
        .tenant()?
        .config()
        .bank_accounts
        .iter()
        .map(|a| account_digits(&a.nrb))
        .collect();
    let forced = input.bank_account.as_deref().map(account_digits);
    if let Some(forced) = &forced
        && !own_accounts.contains(forced)
    {
        return Err(AppError::validation(
            "bankAccount",
            "is not one of this municipality's bank accounts",
        ));
    }

    let fees = svc.finance.fees_shared(ctx)?;
    let tx = TenantDb::begin(ctx).await?;
    let import_id = Uuid::new_v4();
    let mut run = Run {
        svc,
        ctx,
        tx: &tx,
        import_id,
        summary: ImportSummary {
            id: import_id,
            ..ImportSummary::default()
        },
        payouts: payouts::unsettled(&*tx).await?,
        statement: None,
        today: ctx.today(),
        settlement_number: fees
            .virtual_accounts
            .as_ref()
            .map(|va| va.settlement_number.clone()),
        fees,
        file_name: file_name.clone(),
        pending: Vec::new(),
        chunk: svc.chunk_lines(),
    };
    // The import row first: lines refer to it.
    import::ActiveModel {
        id: Set(import_id),
        file_name: Set(file_name.chars().take(300).collect()),
        sha256: Set(String::new()),
        format: Set(String::new()),
        statements: Set(0),
        lines: Set(0),
        matched: Set(0),
        unmatched: Set(0),
        duplicates: Set(0),
        total: Set(0),
        imported_by: Set(ctx.account_id().map(|a| a.0)),
        imported_at: Set(ctx.clock().now()),
        reversed_at: Set(None),
        reversed_by: Set(None),
        reverse_reason: Set(None),
    }
    .insert(&*tx)
    .await?;
    let mut format = None;
    for event in events {
        match event.map_err(parse_error)? {
            Event::Statement(header) => {
                let account = forced
                    .clone()
                    .unwrap_or_else(|| account_digits(&header.account));
                if !own_accounts.contains(&account) {
                    return Err(AppError::validation(
                        "file",
                        format!(
                            "{file_name}:{}: the statement is for account {}, which is not one \
                             of {}'s bank accounts",
                            header.line_no,
                            header.account,
                            ctx.tenant()?.config().name
                        ),
                    ));
                }
                if header.currency != "PLN" {
                    return Err(AppError::validation(
                        "file",
                        format!(
                            "{file_name}:{}: statements in {} are not supported; taxes and fees \
                             are paid in PLN",
                            header.line_no, header.currency
                        ),
                    ));
                }
                format.get_or_insert(header.format);
                let id = Uuid::new_v4();
                statement::ActiveModel {
                    id: Set(id),
                    import_id: Set(import_id),
                    account: Set(account.clone()),
                    reference: Set(header.reference.chars().take(100).collect()),
                    number: Set(header.number.clone()),
                    currency: Set(header.currency.clone()),
                    intraday: Set(header.intraday),
                    opening_date: Set(header.opening.map(|b| b.date)),
                    opening: Set(header.opening.map(|b| grosze(b.amount)).transpose()?),
                    closing_date: Set(None),
                    closing: Set(None),
                }
                .insert(&*tx)
                .await?;
                run.summary.statements += 1;
                run.statement = Some((id, Arc::from(account.as_str())));
            }
            Event::Line(l) => run.push(l).await?,
            Event::End(end) => {
                if let (Some((id, _)), Some(closing)) = (&run.statement, end.closing) {
                    statement::ActiveModel {
                        id: Set(*id),
                        closing_date: Set(Some(closing.date)),
                        closing: Set(Some(grosze(closing.amount)?)),
                        ..Default::default()
                    }
                    .update(&*tx)
                    .await?;
                }
            }
        }
    }
    run.flush().await?;
    if run.summary.statements == 0 {
        return Err(AppError::validation(
            "file",
            format!("{file_name}: no statement found in the file"),
        ));
    }
    let summary = run.summary.clone();
    let sha256 = hex(&hasher
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .finalize());
    import::ActiveModel {
        id: Set(import_id),
        sha256: Set(sha256),
        format: Set(match format {
            Some(parse::Format::Camt053) => "camt053".to_owned(),
            _ => "mt940".to_owned(),
        }),
        statements: Set(count(summary.statements)),
        lines: Set(count(summary.lines)),
        matched: Set(count(summary.matched)),
        unmatched: Set(count(summary.unmatched)),
        duplicates: Set(count(summary.duplicates)),
        total: Set(grosze(summary.total)?),
        ..Default::default()
    }
    .update(&*tx)
    .await?;
    audit::record(
        &tx,
        ctx,
        "statements.imported",
        serde_json::json!({ "import": import_id, "file": file_name, "lines": summary.lines,
            "matched": summary.matched, "unmatched": summary.unmatched, "total": summary.total.to_string() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("statement_lines_imported_total").increment(u64::from(summary.lines));
    Ok(summary)
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A parse error as the clerk sees it: file, line and field.
fn parse_error(e: parse::ParseError) -> AppError {
    AppError::validation("file", e.to_string())
}

/// A line read and not yet processed, with its statement.
struct Pending {
    line: StatementLine,
    statement_id: Uuid,
    account: Arc<str>,
}

/// One import in progress.
struct Run<'a> {
    svc: &'a Statements,
    ctx: &'a Ctx,
    tx: &'a TenantTx,
    import_id: Uuid,
    summary: ImportSummary,
    payouts: Vec<payout::Model>,
    /// The current statement and its account.
    statement: Option<(Uuid, Arc<str>)>,
    today: NaiveDate,
    /// The bank settlement number of the tenant's virtual accounts.
    settlement_number: Option<String>,
    fees: Arc<FeesConfig>,
    file_name: String,
    pending: Vec<Pending>,
    chunk: usize,
}

/// What became of a claimed credit, before its posting is known.
enum Outcome {
    Party(usize),
    Unmatched(usize),
    Done,
}

impl Run<'_> {
    async fn push(&mut self, line: StatementLine) -> AppResult<()> {
        let Some((statement_id, account)) = self.statement.clone() else {
            return Err(AppError::validation(
                "file",
                format!(
                    "{}:{}: a transaction outside any statement",
                    self.file_name, line.line_no
                ),
            ));
        };
        self.pending.push(Pending {
            line,
            statement_id,
            account,
        });
        if self.pending.len() >= self.chunk {
            self.flush().await?;
        }
        Ok(())
    }

    /// Claims, matches, posts and records the pending lines.
    async fn flush(&mut self) -> AppResult<()> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        // Time-ordered ids: each chunk's rows land at the right edge of the primary key's
        // index instead of on random pages all over it.
        let ids: Vec<Uuid> = pending.iter().map(|_| Uuid::now_v7()).collect();
        let claimed = self.claim(&pending, &ids).await?;
        let mut rows = Vec::with_capacity(pending.len());
        let mut credits: Vec<(usize, &Pending, Uuid)> = Vec::new();
        for ((p, id), new) in pending.iter().zip(&ids).zip(claimed) {
            if !new {
                self.summary.duplicates += 1;
                continue;
            }
            self.summary.lines += 1;
            let l = &p.line;
            let mut row = line_row(self.import_id, p, *id)?;
            // Debits (and a bank's reversal of a credit) are not payments to the municipality:
            // they are recorded for the reconciliation and left to the expenditure side of the
            // books.
            if l.direction == Direction::Debit || l.reversal {
                if l.reversal {
                    row.status = Set("unmatched".to_owned());
                    row.note = Set(Some("reversal booked by the bank".to_owned()));
                }
                self.summary.debits += 1;
            } else {
                self.summary.total += l.amount;
                credits.push((rows.len(), p, *id));
            }
            rows.push(row);
        }
        // Each title is read once, for the lookups and for the matching.
        let titles: Vec<Title> = credits
            .iter()
            .map(|(_, p, _)| Title::read(&p.line.title))
            .collect();
        let matched: Vec<Credit<'_>> = credits
            .iter()
            .zip(&titles)
            .map(|((_, p, _), title)| Credit {
                credited: p.line.credited_account.as_deref(),
                title,
            })
            .collect();
        let lookups = Lookups::load(
            &self.svc.finance,
            &**self.tx,
            self.settlement_number.as_deref(),
            &matched,
        )
        .await?;
        let mut payments = Vec::new();
        let mut entries = Vec::new();
        let mut outcomes = Vec::with_capacity(credits.len());
        for ((at, p, id), credit) in credits.iter().zip(&matched) {
            let l = &p.line;
            // Tax is paid on the day the payer's account was debited (art. 60 OP), when known.
            let paid_on = l.payer_debit_date.unwrap_or(l.value_date).min(self.today);
            let row = rows.get_mut(*at).ok_or_else(lost)?;
            match lookups.match_credit(self.settlement_number.as_deref(), *credit, &self.payouts) {
                Match::Party {
                    party_id,
                    kind,
                    obligation,
                    installments,
                    by,
                } => {
                    row.status = Set("posted".to_owned());
                    row.matched_by = Set(Some(by.to_owned()));
                    row.party_id = Set(Some(party_id));
                    payments.push(NewPayment {
                        party_id,
                        amount: l.amount,
                        paid_on,
                        title: l.title.chars().take(200).collect(),
                        installment_ids: Vec::new(),
                        indicated_kind: kind,
                        indicated_obligation: obligation,
                        named_installments: installments,
                        channel: Channel::Bank,
                        idempotency_key: payment_key(*id),
                    });
                    outcomes.push(Outcome::Party(*at));
                    self.summary.matched += 1;
                }
                Match::Payout(payout) => {
                    let (entry, note) = self.settle_payout(&payout, l, *id, paid_on).await?;
                    row.status = Set("payout".to_owned());
                    row.matched_by = Set(Some("payout".to_owned()));
                    row.entry_id = Set(Some(entry));
                    row.note = Set(note);
                    self.payouts.retain(|other| other.id != payout.id);
                    outcomes.push(Outcome::Done);
                    self.summary.matched += 1;
                }
                Match::Unmatched => {
                    row.status = Set("unmatched".to_owned());
                    entries.push(Entry {
                        key: unmatched_key(*id),
                        date: paid_on,
                        description: format!(
                            "Wpłata nierozpoznana: {}",
                            l.title.chars().take(150).collect::<String>()
                        ),
                        lines: vec![
                            Line::debit(&self.fees.posting.bank, None, None, l.amount),
                            Line::credit(&self.fees.posting.unidentified, None, None, l.amount),
                        ],
                        reverses: None,
                    });
                    outcomes.push(Outcome::Unmatched(*at));
                    self.summary.unmatched += 1;
                }
            }
        }
        // Every key names a line claimed above, so there is no earlier posting to look up.
        let mut recorded = bulk::record_many(
            &self.svc.finance,
            self.ctx,
            &**self.tx,
            payments,
            Rows::Built,
            Checks::Claimed,
        )
        .await?
        .into_iter();
        let mut posted = bulk::post_entries(&**self.tx, self.ctx, entries, Checks::Claimed)
            .await?
            .into_iter();
        for outcome in outcomes {
            match outcome {
                Outcome::Party(at) => {
                    let r = recorded.next().ok_or_else(lost)?;
                    let row = rows.get_mut(at).ok_or_else(lost)?;
                    row.payment_id = Set(Some(r.payment.id));
                    row.entry_id = Set(Some(r.payment.entry_id));
                }
                Outcome::Unmatched(at) => {
                    let entry = posted.next().ok_or_else(lost)?;
                    rows.get_mut(at).ok_or_else(lost)?.entry_id = Set(Some(entry));
                }
                Outcome::Done => {}
            }
        }
        Batch::of::<line::Entity>(rows)?.insert(&**self.tx).await
    }

    /// Claims the lines' dedupe keys for their accounts, in order: `true` for a line claimed
    /// now, `false` for one imported before or repeated earlier in the chunk.
    async fn claim(&self, pending: &[Pending], ids: &[Uuid]) -> AppResult<Vec<bool>> {
        let keys: Vec<String> = pending
            .iter()
            .map(|p| p.line.dedupe_key.chars().take(200).collect())
            .collect();
        let mut first = HashSet::with_capacity(pending.len());
        let fresh: Vec<bool> = pending
            .iter()
            .zip(&keys)
            .map(|(p, key)| first.insert((p.account.clone(), key.as_str())))
            .collect();
        let mut claimed: HashSet<Uuid> = HashSet::with_capacity(pending.len());
        let rows: Vec<(&Pending, &String, &Uuid)> = pending
            .iter()
            .zip(&keys)
            .zip(ids)
            .zip(&fresh)
            .filter(|(_, fresh)| **fresh)
            .map(|(((p, k), id), _)| (p, k, id))
            .collect();
        let mut claims = Batch::new(
            "st_seen",
            vec![
                Column::new("account", "text"),
                Column::new("dedupe_key", "text"),
                Column::new("line_id", "uuid"),
            ],
        );
        for (p, key, id) in rows {
            claims.push(vec![(*p.account).into(), key.as_str().into(), (*id).into()])?;
        }
        for row in claims
            .insert_new(&**self.tx, &["account", "dedupe_key"], "line_id")
            .await?
        {
            claimed.insert(row.try_get::<Uuid>("", "line_id")?);
        }
        Ok(ids.iter().map(|id| claimed.contains(id)).collect())
    }

    /// A gateway's payout: the bank receives the net amount, the commission is a cost, and the
    /// money in transit of each payment it carried is settled. A net amount other than the
    /// gateway reported is booked to unidentified receipts and flagged.
    async fn settle_payout(
        &self,
        p: &payout::Model,
        l: &StatementLine,
        line_id: Uuid,
        date: NaiveDate,
    ) -> AppResult<(Uuid, Option<String>)> {
        let fees = &self.fees;
        let amount = l.amount;
        let mut lines = vec![Line::debit(&fees.posting.bank, None, None, amount)];
        let fee = Money::from_grosze(p.fee);
        if fee.is_positive() {
            lines.push(Line::debit(&fees.posting.gateway_fees, None, None, fee));
        }
        for (item, payment) in payouts::items(&**self.tx, p.id).await? {
            lines.push(Line::credit(
                &fees.posting.in_transit,
                Some(payment.party_id),
                None,
                Money::from_grosze(item.amount),
            ));
        }
        let difference = amount - Money::from_grosze(p.amount);
        let note = if difference.is_zero() {
            None
        } else {
            if difference.is_positive() {
                lines.push(Line::credit(
                    &fees.posting.unidentified,
                    None,
                    None,
                    difference,
                ));
            } else {
                lines.push(Line::debit(
                    &fees.posting.unidentified,
                    None,
                    None,
                    -difference,
                ));
            }
            Some(format!(
                "the bank received {amount} but the gateway reported {}; the difference is on \
                 unidentified receipts",
                Money::from_grosze(p.amount)
            ))
        };
        let posted = ledger::post(
            &**self.tx,
            self.ctx,
            Entry {
                key: payout_key(line_id),
                date,
                description: format!("Wypłata bramki płatniczej {}", p.reference),
                lines,
                reverses: None,
            },
        )
        .await?;
        payouts::set_settled(&**self.tx, p.id, Some(line_id)).await?;
        Ok((posted.id(), note))
    }
}

// The keys of what a line posts name the line, not its dedupe key: the line's claim is what
// keeps a statement from being posted twice, and once an import is undone (its claims released)
// the same credits imported again are new postings, not replays of the reversed ones.

/// The key of the payment a matched credit posts.
fn payment_key(line_id: Uuid) -> String {
    format!("statement:{line_id}")
}

/// The key of the journal entry that books an unmatched credit as unidentified receipts.
fn unmatched_key(line_id: Uuid) -> String {
    format!("statement-unmatched:{line_id}")
}

/// The key of the journal entry that settles a gateway's payout.
fn payout_key(line_id: Uuid) -> String {
    format!("statement-payout:{line_id}")
}

fn lost() -> AppError {
    AppError::internal(std::io::Error::other(
        "a statement line went missing in its chunk",
    ))
}

/// The line's row as recorded (status `debit` until its credit is matched).
fn line_row(import_id: Uuid, p: &Pending, id: Uuid) -> AppResult<line::ActiveModel> {
    let l = &p.line;
    Ok(line::ActiveModel {
        id: Set(id),
        import_id: Set(import_id),
        statement_id: Set(p.statement_id),
        position: Set(i32::try_from(l.index).unwrap_or(i32::MAX)),
        source_line: Set(i32::try_from(l.line_no).unwrap_or(i32::MAX)),
        value_date: Set(l.value_date),
        booking_date: Set(l.booking_date),
        payer_date: Set(l.payer_debit_date),
        direction: Set(match l.direction {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
        .to_owned()),
        amount: Set(grosze(l.amount)?),
        title: Set(l.title.chars().take(1000).collect()),
        counterparty_name: Set(l
            .counterparty_name
            .as_ref()
            .map(|n| n.chars().take(300).collect())),
        counterparty_account: Set(l
            .counterparty_account
            .as_ref()
            .map(|a| a.chars().take(40).collect())),
        credited_account: Set(l
            .credited_account
            .as_ref()
            .map(|a| a.chars().take(40).collect())),
        transaction_id: Set(l
            .transaction_id
            .as_ref()
            .map(|t| t.chars().take(100).collect())),
        dedupe_key: Set(l.dedupe_key.chars().take(200).collect()),
        status: Set("debit".to_owned()),
        matched_by: Set(None),
        party_id: Set(None),
        payment_id: Set(None),
        entry_id: Set(None),
        note: Set(None),
    })
}
