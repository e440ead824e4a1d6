//! Importing a statement file. The file is parsed as a stream of events (flat memory however
//! long it is) and everything it causes — the import's record, each statement and line, each
//! posting and its "payment posted" message — happens in ONE transaction: a parse error on
//! line 900,000, a refused account or a killed process leaves nothing behind, and the same
//! file imported again is then imported whole.
//!
//! Each line is first claimed by its bank dedupe key for the statement's account
//! (`st_seen`); a line claimed before — a repeated file, or a day's MT940 overlapping the
//! MT942 intraday reports — is counted as a duplicate and posts nothing. The dedupe key per
//! bank is documented in `crate::parse`.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, Money, TenantDb, TenantTx, audit};
use wspolnota_finance::ledger::{self, Entry, Line};
use wspolnota_finance::service::payments::{Channel, NewPayment, record_in};
use wspolnota_payments::entity::payout;
use wspolnota_payments::service::payouts;

use super::matching::{Match, match_credit};
use super::{Statements, account_digits, grosze, require_clerk_or_system};
use crate::entity::{import, line, statement};
use crate::parse::{self, Direction, Event, FormatHint, ParseOptions, StatementLine};

#[derive(Debug, Clone)]
pub struct ImportInput {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub format: FormatHint,
    /// The municipality's account the file is for; taken from the statement when omitted.
    pub bank_account: Option<String>,
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

pub async fn import(svc: &Statements, ctx: &Ctx, input: ImportInput) -> AppResult<ImportSummary> {
    require_clerk_or_system(ctx)?;
    let file_name = input.file_name.trim().to_owned();
    if input.bytes.is_empty() {
        return Err(AppError::validation(
            "file",
            format!("{file_name}: the file is empty"),
        ));
    }
    let options = ParseOptions {
        format: input.format,
        encoding: None,
    };
    let events = parse::events(&file_name, &input.bytes, &options).map_err(parse_error)?;
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
        today: ctx.clock().now().date_naive(),
        settlement_number: svc
            .finance
            .fees(ctx)?
            .virtual_accounts
            .map(|va| va.settlement_number),
    };
    // The import row first: lines refer to it.
    import::ActiveModel {
        id: Set(import_id),
        file_name: Set(file_name.chars().take(300).collect()),
        sha256: Set(hex(&Sha256::digest(&input.bytes))),
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
                run.statement = Some((id, account));
            }
            Event::Line(l) => run.line(&file_name, l).await?,
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
    if run.summary.statements == 0 {
        return Err(AppError::validation(
            "file",
            format!("{file_name}: no statement found in the file"),
        ));
    }
    let summary = run.summary.clone();
    import::ActiveModel {
        id: Set(import_id),
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

/// One import in progress.
struct Run<'a> {
    svc: &'a Statements,
    ctx: &'a Ctx,
    tx: &'a TenantTx,
    import_id: Uuid,
    summary: ImportSummary,
    payouts: Vec<payout::Model>,
    /// The current statement and its account.
    statement: Option<(Uuid, String)>,
    today: NaiveDate,
    /// The bank settlement number of the tenant's virtual accounts.
    settlement_number: Option<String>,
}

impl Run<'_> {
    async fn line(&mut self, file_name: &str, l: StatementLine) -> AppResult<()> {
        let Some((statement_id, account)) = self.statement.clone() else {
            return Err(AppError::validation(
                "file",
                format!(
                    "{file_name}:{}: a transaction outside any statement",
                    l.line_no
                ),
            ));
        };
        let id = Uuid::new_v4();
        if !self.claim(&account, &l.dedupe_key, id).await? {
            self.summary.duplicates += 1;
            return Ok(());
        }
        self.summary.lines += 1;
        let amount = l.amount;
        let mut row = line::ActiveModel {
            id: Set(id),
            import_id: Set(self.import_id),
            statement_id: Set(statement_id),
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
            amount: Set(grosze(amount)?),
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
        };
        // Debits (and a bank's reversal of a credit) are not payments to the municipality: they
        // are recorded for the reconciliation and left to the expenditure side of the books.
        if l.direction == Direction::Debit || l.reversal {
            if l.reversal {
                row.status = Set("unmatched".to_owned());
                row.note = Set(Some("reversal booked by the bank".to_owned()));
            }
            row.insert(&**self.tx).await?;
            self.summary.debits += 1;
            return Ok(());
        }
        self.summary.total += amount;
        // Tax is paid on the day the payer's account was debited (art. 60 OP), when known.
        let paid_on = l.payer_debit_date.unwrap_or(l.value_date).min(self.today);
        let found = match_credit(
            &self.svc.finance,
            &**self.tx,
            self.settlement_number.as_deref(),
            l.credited_account.as_deref(),
            &l.title,
            &self.payouts,
        )
        .await?;
        match found {
            Match::Party { party_id, kind, by } => {
                let recorded = record_in(
                    &self.svc.finance,
                    self.ctx,
                    &**self.tx,
                    NewPayment {
                        party_id,
                        amount,
                        paid_on,
                        title: l.title.chars().take(200).collect(),
                        installment_ids: Vec::new(),
                        indicated_kind: kind,
                        channel: Channel::Bank,
                        idempotency_key: format!("statement:{account}:{}", l.dedupe_key),
                    },
                )
                .await?;
                row.status = Set("posted".to_owned());
                row.matched_by = Set(Some(by.to_owned()));
                row.party_id = Set(Some(party_id));
                row.payment_id = Set(Some(recorded.payment.id));
                row.entry_id = Set(Some(recorded.payment.entry_id));
                self.summary.matched += 1;
            }
            Match::Payout(p) => {
                let (entry, note) = self.settle_payout(&p, &l, id, paid_on).await?;
                row.status = Set("payout".to_owned());
                row.matched_by = Set(Some("payout".to_owned()));
                row.entry_id = Set(Some(entry));
                row.note = Set(note);
                self.payouts.retain(|other| other.id != p.id);
                self.summary.matched += 1;
            }
            Match::Unmatched => {
                let fees = self.svc.finance.fees(self.ctx)?;
                let posted = ledger::post(
                    &**self.tx,
                    self.ctx,
                    Entry {
                        key: format!("statement-unmatched:{account}:{}", l.dedupe_key),
                        date: paid_on,
                        description: format!(
                            "Wpłata nierozpoznana: {}",
                            l.title.chars().take(150).collect::<String>()
                        ),
                        lines: vec![
                            Line::debit(&fees.posting.bank, None, None, amount),
                            Line::credit(&fees.posting.unidentified, None, None, amount),
                        ],
                        reverses: None,
                    },
                )
                .await?;
                row.status = Set("unmatched".to_owned());
                row.entry_id = Set(Some(posted.id()));
                self.summary.unmatched += 1;
            }
        }
        row.insert(&**self.tx).await?;
        Ok(())
    }

    /// Claims the line's dedupe key for the account; false when it was imported before.
    async fn claim(&self, account: &str, key: &str, line_id: Uuid) -> AppResult<bool> {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("st_seen"))
            .columns(["account", "dedupe_key", "line_id"].map(Alias::new))
            .values([
                account.into(),
                key.chars().take(200).collect::<String>().into(),
                line_id.into(),
            ])
            .map_err(AppError::internal)?
            .on_conflict(
                OnConflict::columns([Alias::new("account"), Alias::new("dedupe_key")])
                    .do_nothing()
                    .to_owned(),
            );
        let done = self.tx.execute(&insert).await?;
        Ok(done.rows_affected() == 1)
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
        let fees = self.svc.finance.fees(self.ctx)?;
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
                key: format!("payout:{}", p.id),
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
