//! The journal of a period for the unit's accounting (FK) system and for the tax
//! authorities: every journal entry whose `entry_date` falls in `[from, to]`, with its lines.
//!
//! **XML**: shaped after JPK_KR(1) (Jednolity Plik Kontrolny — księgi rachunkowe, schema
//! `Schemat_JPK_KR(1)_v1-0`, namespace `http://jpk.mf.gov.pl/wzor/2016/03/09/03091/`) as it is
//! publicly described: `Naglowek` (KodFormularza `JPK_KR`, WariantFormularza 1, CelZlozenia 1,
//! DataWytworzeniaJPK, DataOd, DataDo, DomyslnyKodWaluty PLN), `Podmiot1` (NIP and PelnaNazwa
//! from the tenant's configuration, REGON when configured), one `Dziennik` row per journal
//! entry (LpZapisuDziennika, NrZapisuDziennika = the entry's id, OpisDziennika,
//! NrDowoduKsiegowego = the entry's idempotency key, RodzajDowodu, DataOperacji, DataDowodu,
//! DataKsiegowania, KodOperatora, OpisOperacji, DziennikKwotaOperacji = the entry's debits),
//! `DziennikCtrl` (LiczbaWierszyDziennika, SumaKwotOperacji), one `KontoZapis` row per
//! journal line (LpZapisu, NrZapisu = the entry's id, KodKontaWinien/KwotaWinien,
//! KodKontaMa/KwotaMa; the side a line does not use reads `null` / `0.00`) and
//! `KontoZapisCtrl` (LiczbaWierszyKontoZapisj, SumaWinien, SumaMa). Amounts have two
//! decimals and a dot; text is XML-escaped.
//!
//! Not emitted: `KodUrzedu` (the tax office code is not in the tenant configuration),
//! `AdresPodmiotu` (the configuration lacks województwo, powiat and gmina) and `ZOiS` (the
//! trial balance needs the chart's account types and categories). **This follows the
//! JPK_KR(1) structure as described publicly and must be validated against the Ministry of
//! Finance's XSD before any official use.**
//!
//! **CSV**: `;`-separated, UTF-8, a header
//! `entry_id;date;description;account;party_number;debit;credit`, one row per journal line,
//! and a control trailer `CONTROL;;<number of lines>;;;<total debit>;<total credit>`.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, ClerkScope, Ctx, Money, TenantDb, audit};

use crate::entity::{ledger_entry, ledger_line, party};

/// JPK_KR(1)'s namespace.
pub const JPK_KR_NAMESPACE: &str = "http://jpk.mf.gov.pl/wzor/2016/03/09/03091/";
/// The type definitions' namespace used by the 2016 JPK schemas.
pub const ETD_NAMESPACE: &str =
    "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2016/01/25/eD/DefinicjeTypy/";
/// `IN (…)` lists are sent in chunks of this size.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "JournalFormat")]
pub enum Format {
    /// JPK_KR(1)-shaped XML.
    Xml,
    /// Semicolon-separated values with a control trailer.
    Csv,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Self::Xml => "xml",
            Self::Csv => "csv",
        }
    }
}

/// The exported file and its control figures.
#[derive(Debug, Clone)]
pub struct JournalExport {
    pub content: String,
    /// Journal entries (Dziennik rows).
    pub entries: usize,
    /// Journal lines (KontoZapis rows, CSV rows).
    pub lines: usize,
    pub debit_total: Money,
    pub credit_total: Money,
}

/// One journal line with what the export shows of it.
struct ExportLine {
    account: String,
    party_number: Option<i64>,
    debit: Money,
    credit: Money,
}

struct ExportEntry {
    entry: ledger_entry::Model,
    lines: Vec<ExportLine>,
}

/// Clerk: the journal of `[from, to]` as XML or CSV.
pub async fn journal_export(
    ctx: &Ctx,
    from: NaiveDate,
    to: NaiveDate,
    format: Format,
) -> AppResult<JournalExport> {
    ctx.require_clerk(ClerkScope::Finance)?;
    if to < from {
        return Err(AppError::validation(
            "to",
            "the period ends before it starts",
        ));
    }
    let tenant = ctx.tenant()?.config().clone();
    let nip: String = tenant
        .nip
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if format == Format::Xml && nip.len() != 10 {
        return Err(AppError::validation(
            "format",
            "JPK_KR needs the unit's NIP, and the tenant configuration has none",
        ));
    }
    let tx = TenantDb::begin(ctx).await?;
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::EntryDate.gte(from))
        .filter(ledger_entry::Column::EntryDate.lte(to))
        .order_by_asc(ledger_entry::Column::EntryDate)
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .order_by_asc(ledger_entry::Column::Id)
        .all(&*tx)
        .await?;
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut lines: Vec<ledger_line::Model> = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        lines.extend(
            ledger_line::Entity::find()
                .filter(ledger_line::Column::EntryId.is_in(chunk.to_vec()))
                .order_by_asc(ledger_line::Column::Id)
                .all(&*tx)
                .await?,
        );
    }
    let mut party_ids: Vec<Uuid> = lines.iter().filter_map(|l| l.party_id).collect();
    party_ids.sort();
    party_ids.dedup();
    let mut numbers: HashMap<Uuid, i64> = HashMap::new();
    for chunk in party_ids.chunks(CHUNK) {
        for p in party::Entity::find()
            .filter(party::Column::Id.is_in(chunk.to_vec()))
            .all(&*tx)
            .await?
        {
            numbers.insert(p.id, p.number);
        }
    }
    let mut by_entry: HashMap<Uuid, Vec<ExportLine>> = HashMap::new();
    for l in lines {
        by_entry.entry(l.entry_id).or_default().push(ExportLine {
            account: l.account,
            party_number: l.party_id.and_then(|p| numbers.get(&p).copied()),
            debit: Money::from_grosze(l.debit),
            credit: Money::from_grosze(l.credit),
        });
    }
    let journal: Vec<ExportEntry> = entries
        .into_iter()
        .map(|entry| ExportEntry {
            lines: by_entry.remove(&entry.id).unwrap_or_default(),
            entry,
        })
        .collect();
    let line_count = journal.iter().map(|e| e.lines.len()).sum();
    let debit_total: Money = journal.iter().flat_map(|e| &e.lines).map(|l| l.debit).sum();
    let credit_total: Money = journal
        .iter()
        .flat_map(|e| &e.lines)
        .map(|l| l.credit)
        .sum();
    let content = match format {
        Format::Xml => {
            let header = XmlHeader {
                created: ctx.clock().now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                from,
                to,
                nip,
                name: tenant.name.clone(),
                regon: tenant.regon.clone(),
            };
            to_xml(&header, &journal)
        }
        Format::Csv => to_csv(&journal, line_count, debit_total, credit_total),
    };
    audit::record(
        &tx,
        ctx,
        "finance.journal.exported",
        serde_json::json!({ "from": from, "to": to, "format": format.as_str(),
            "entries": journal.len(), "lines": line_count,
            "debit": debit_total.to_string(), "credit": credit_total.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(JournalExport {
        content,
        entries: journal.len(),
        lines: line_count,
        debit_total,
        credit_total,
    })
}

struct XmlHeader {
    created: String,
    from: NaiveDate,
    to: NaiveDate,
    nip: String,
    name: String,
    regon: Option<String>,
}

/// Escapes text for XML content and attributes; drops characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn element(out: &mut String, indent: usize, name: &str, value: &str) {
    out.push_str(&" ".repeat(indent));
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&xml_escape(value));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// The kind of source document, from the entry's key.
fn document_kind(key: &str) -> &'static str {
    match key.split(':').next().unwrap_or_default() {
        "assessment" | "import" => "PRZYPIS",
        "adjustment" => "ZMIANA PRZYPISU",
        "payment" => "WPLATA",
        "reversal" => "STORNO",
        _ => "PK",
    }
}

fn to_xml(h: &XmlHeader, journal: &[ExportEntry]) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<JPK xmlns=\"{JPK_KR_NAMESPACE}\" xmlns:etd=\"{ETD_NAMESPACE}\">\n"
    ));
    x.push_str("  <Naglowek>\n");
    x.push_str(
        "    <KodFormularza kodSystemowy=\"JPK_KR (1)\" wersjaSchemy=\"1-0\">JPK_KR</KodFormularza>\n",
    );
    element(&mut x, 4, "WariantFormularza", "1");
    element(&mut x, 4, "CelZlozenia", "1");
    element(&mut x, 4, "DataWytworzeniaJPK", &h.created);
    element(&mut x, 4, "DataOd", &h.from.to_string());
    element(&mut x, 4, "DataDo", &h.to.to_string());
    element(&mut x, 4, "DomyslnyKodWaluty", "PLN");
    x.push_str("  </Naglowek>\n");
    x.push_str("  <Podmiot1>\n    <IdentyfikatorPodmiotu>\n");
    element(&mut x, 6, "etd:NIP", &h.nip);
    element(&mut x, 6, "etd:PelnaNazwa", &h.name);
    if let Some(regon) = &h.regon {
        element(&mut x, 6, "etd:REGON", regon);
    }
    x.push_str("    </IdentyfikatorPodmiotu>\n  </Podmiot1>\n");

    let mut operations = Money::ZERO;
    for (i, e) in journal.iter().enumerate() {
        let amount: Money = e.lines.iter().map(|l| l.debit).sum();
        operations += amount;
        let id = e.entry.id.to_string();
        let date = e.entry.entry_date.to_string();
        x.push_str("  <Dziennik typ=\"G\">\n");
        element(&mut x, 4, "LpZapisuDziennika", &(i + 1).to_string());
        element(&mut x, 4, "NrZapisuDziennika", &id);
        element(&mut x, 4, "OpisDziennika", "Podatki i opłaty lokalne");
        element(&mut x, 4, "NrDowoduKsiegowego", &e.entry.idempotency_key);
        element(
            &mut x,
            4,
            "RodzajDowodu",
            document_kind(&e.entry.idempotency_key),
        );
        element(&mut x, 4, "DataOperacji", &date);
        element(&mut x, 4, "DataDowodu", &date);
        element(
            &mut x,
            4,
            "DataKsiegowania",
            &wspolnota_core::clock::warsaw_local(e.entry.created_at)
                .date()
                .to_string(),
        );
        element(
            &mut x,
            4,
            "KodOperatora",
            &e.entry
                .created_by
                .map_or_else(|| "system".to_owned(), |u| u.to_string()),
        );
        element(&mut x, 4, "OpisOperacji", &e.entry.description);
        element(&mut x, 4, "DziennikKwotaOperacji", &amount.to_string());
        x.push_str("  </Dziennik>\n");
    }
    x.push_str("  <DziennikCtrl>\n");
    element(
        &mut x,
        4,
        "LiczbaWierszyDziennika",
        &journal.len().to_string(),
    );
    element(&mut x, 4, "SumaKwotOperacji", &operations.to_string());
    x.push_str("  </DziennikCtrl>\n");

    let (mut lp, mut debit, mut credit) = (0usize, Money::ZERO, Money::ZERO);
    for e in journal {
        let id = e.entry.id.to_string();
        for l in &e.lines {
            lp += 1;
            debit += l.debit;
            credit += l.credit;
            let (wn, ma) = if l.debit.is_zero() {
                ("null", l.account.as_str())
            } else {
                (l.account.as_str(), "null")
            };
            x.push_str("  <KontoZapis typ=\"G\">\n");
            element(&mut x, 4, "LpZapisu", &lp.to_string());
            element(&mut x, 4, "NrZapisu", &id);
            element(&mut x, 4, "KodKontaWinien", wn);
            element(&mut x, 4, "KwotaWinien", &l.debit.to_string());
            element(&mut x, 4, "KodKontaMa", ma);
            element(&mut x, 4, "KwotaMa", &l.credit.to_string());
            x.push_str("  </KontoZapis>\n");
        }
    }
    x.push_str("  <KontoZapisCtrl>\n");
    element(&mut x, 4, "LiczbaWierszyKontoZapisj", &lp.to_string());
    element(&mut x, 4, "SumaWinien", &debit.to_string());
    element(&mut x, 4, "SumaMa", &credit.to_string());
    x.push_str("  </KontoZapisCtrl>\n");
    x.push_str("</JPK>\n");
    x
}

/// Quotes a CSV field when it holds a separator, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn to_csv(journal: &[ExportEntry], lines: usize, debit: Money, credit: Money) -> String {
    let mut out = String::from("entry_id;date;description;account;party_number;debit;credit\n");
    for e in journal {
        let id = e.entry.id.to_string();
        let date = e.entry.entry_date.to_string();
        let description = csv_field(&e.entry.description);
        for l in &e.lines {
            let row = [
                id.as_str(),
                date.as_str(),
                description.as_str(),
                &csv_field(&l.account),
                &l.party_number.map(|n| n.to_string()).unwrap_or_default(),
                &l.debit.to_string(),
                &l.credit.to_string(),
            ]
            .join(";");
            out.push_str(&row);
            out.push('\n');
        }
    }
    out.push_str(&format!("CONTROL;;{lines};;;{debit};{credit}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            xml_escape("A & B <c> \"d\" 'e'\u{1}"),
            "A &amp; B &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn document_kinds() {
        assert_eq!(document_kind("assessment:x"), "PRZYPIS");
        assert_eq!(document_kind("import:abc:2"), "PRZYPIS");
        assert_eq!(document_kind("payment:cash:1"), "WPLATA");
        assert_eq!(document_kind("reversal:x"), "STORNO");
        assert_eq!(document_kind("other"), "PK");
    }
}
