//! The generated statement: N credits of the mBank CompanyNet MT940 dialect, spread over P
//! parties, each paying a little of the party's property tax through its virtual account
//! (`ID IPH:`), with a unique `TNR:` per line; every 100th line credits an account no party
//! has (→ unmatched). Rows are a pure function of (plan, tag, index), so the baseline loads
//! exactly the rows the file carries without parsing it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use chrono::{Datelike, Duration, NaiveDate};
use wspolnota_core::tenant::TenantConfig;
use wspolnota_finance::config::FeesConfig;
use wspolnota_finance::service::parties::virtual_nrb;

/// The property-tax kind every generated party is assessed for.
pub const FEE_KIND: &str = "property_tax_person";
/// Lines per statement (one statement per day, several statements per file).
pub const STATEMENT_LINES: usize = 10_000;
/// Where mBank wraps `:86:` (mid-token; the parser joins the lines without a separator).
const WRAP: usize = 65;

/// How the credited virtual account is written after `ID IPH:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Iph {
    /// The whole 26-digit NRB: matched by primary key.
    Nrb,
    /// The 16-digit client part only (as mBank's IPH identifiers carry it): matched by the
    /// account's trailing digits (`LIKE '%…'`).
    Tail,
}

/// What the generator needs from the tenant.
#[derive(Debug, Clone)]
pub struct Plan {
    pub settlement: String,
    pub prefix: String,
    /// The 1-based position of [`FEE_KIND`] in the catalogue (the virtual NRB carries it).
    pub kind_no: usize,
    /// The municipality's account the statement is for (26 digits).
    pub bank_account: String,
    pub parties: usize,
    /// The generated parties are numbered 1..=parties (a fresh tenant).
    pub first_number: i64,
    pub today: NaiveDate,
    pub iph: Iph,
}

impl Plan {
    pub fn new(config: &TenantConfig, parties: usize, iph: Iph) -> Result<Self> {
        let fees = FeesConfig::from_table(&config.fees)
            .map_err(|e| anyhow!("the tenant's [fees]: {e:?}"))?;
        let va = fees
            .virtual_accounts
            .clone()
            .ok_or_else(|| anyhow!("the tenant has no [fees.virtual_accounts]"))?;
        let kind_no = fees
            .kind_codes()
            .iter()
            .position(|c| *c == FEE_KIND)
            .ok_or_else(|| anyhow!("the tenant has no fee kind {FEE_KIND}"))?
            + 1;
        let bank_account: String = config
            .bank_accounts
            .first()
            .ok_or_else(|| anyhow!("the tenant has no bank account"))?
            .nrb
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        Ok(Self {
            settlement: va.settlement_number,
            prefix: va.client_prefix,
            kind_no,
            bank_account,
            parties,
            first_number: 1,
            today: chrono::Utc::now().date_naive(),
            iph,
        })
    }

    pub fn nrb(&self, number: i64) -> Result<String> {
        Ok(
            virtual_nrb(&self.settlement, &self.prefix, self.kind_no, number)
                .map_err(|e| anyhow!("virtual NRB of {number}: {e}"))?
                .as_str()
                .to_owned(),
        )
    }

    /// The year the parties are assessed for: next year, so every installment is due after
    /// every payment (no interest, the allocation stays simple and deterministic).
    pub fn year(&self) -> i32 {
        self.today.year() + 1
    }
}

/// One statement line.
pub struct Row {
    /// 0-based index in the file.
    pub index: usize,
    /// The credited virtual NRB (26 digits).
    pub account: String,
    pub party_number: i64,
    pub grosze: i64,
    pub value_date: NaiveDate,
    pub title: String,
    pub tnr: String,
}

impl Row {
    pub fn dedupe_key(&self) -> String {
        format!("TNR:{}", self.tnr)
    }
}

/// Whether line `i` credits an account nobody has.
pub fn unknown(i: usize) -> bool {
    i % 100 == 99
}

pub fn unknown_count(n: usize) -> usize {
    (0..n).filter(|i| unknown(*i)).count()
}

/// The statement (0-based) of line `i` of a file of `n` lines, and its day.
fn statement_of(plan: &Plan, n: usize, i: usize) -> (usize, NaiveDate) {
    let statements = n.div_ceil(STATEMENT_LINES).max(1);
    let s = i / STATEMENT_LINES;
    let back = i64::try_from((statements - s) % 360).unwrap_or(1).max(1);
    (s, plan.today - Duration::days(back))
}

pub fn row(plan: &Plan, tag: u32, n: usize, i: usize) -> Result<Row> {
    let p = u64::try_from(plan.parties.max(1))?;
    let ii = u64::try_from(i)?;
    // A permutation-like spread: consecutive lines go to distant parties.
    let party = (ii.wrapping_mul(48_271) % p) as i64;
    let known = !unknown(i);
    let party_number = if known {
        plan.first_number + party
    } else {
        // Beyond any party (the width of the NRB's party field is 12 digits).
        900_000_000_000 + i64::try_from(i)?
    };
    let (_, value_date) = statement_of(plan, n, i);
    let grosze = 100 + i64::try_from(ii.wrapping_mul(7_919) % 900)?;
    let title = if known {
        format!(
            "Podatek od nieruchomości {} rata {}",
            plan.year(),
            1 + i % 4
        )
    } else {
        "Wpłata za fakturę".to_owned()
    };
    Ok(Row {
        index: i,
        account: plan.nrb(party_number)?,
        party_number,
        grosze,
        value_date,
        title,
        tnr: format!("{tag:03}{:012}.{:06}", i, 1 + i % 999_999),
    })
}

fn amount(grosze: i64) -> String {
    format!("{},{:02}", grosze / 100, grosze % 100)
}

/// Writes `n` lines to `path`, streamed; returns the number of bytes.
pub fn write_file(plan: &Plan, tag: u32, n: usize, path: &Path) -> Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut balance: i64 = 0;
    let mut i = 0;
    let mut statement = 0usize;
    let mut text = String::with_capacity(512);
    while i < n {
        let (_, day) = statement_of(plan, n, i);
        let end = (i + STATEMENT_LINES).min(n);
        statement += 1;
        write!(
            out,
            ":20:ST{}BEN/{tag}\r\n:25:/PL{}\r\n:28C:{}/1\r\n:60F:C{}PLN{}\r\n",
            day.format("%y%m%d"),
            plan.bank_account,
            statement,
            day.format("%y%m%d"),
            amount(balance)
        )?;
        for j in i..end {
            let r = row(plan, tag, n, j)?;
            balance += r.grosze;
            write!(
                out,
                ":61:{}{}CN{}NTRFNONREF//EL{tag:03}{j:09}\r\n911-TRANSAKCJA IPH\r\n",
                r.value_date.format("%y%m%d"),
                r.value_date.format("%m%d"),
                amount(r.grosze)
            )?;
            let iph = match plan.iph {
                Iph::Nrb => r.account.clone(),
                Iph::Tail => r.account.get(10..).unwrap_or("").to_owned(),
            };
            text.clear();
            use std::fmt::Write as _;
            write!(
                text,
                "911 TRANSAKCJA IPH; ID IPH: {iph}; Z RACH.: {:02}10201234{:016}; OD: \
                 MIESZKANIEC {} UL.LWOWSKA {} 22400 ZAMOŚĆ; TYT.: {}; DATA STEMPLA: {}; TNR: {}",
                10 + j % 89,
                r.party_number,
                r.party_number,
                1 + j % 120,
                r.title,
                r.value_date.format("%d.%m.%Y"),
                r.tnr
            )?;
            out.write_all(b":86:")?;
            let mut first = true;
            let mut line = String::new();
            let mut chars = 0;
            for c in text.chars() {
                line.push(c);
                chars += 1;
                let limit = if first { WRAP - 4 } else { WRAP };
                if chars >= limit {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\r\n")?;
                    line.clear();
                    chars = 0;
                    first = false;
                }
            }
            if !line.is_empty() {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\r\n")?;
            }
        }
        write!(
            out,
            ":62F:C{}PLN{}\r\n-\r\n",
            day.format("%y%m%d"),
            amount(balance)
        )?;
        i = end;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
