//! The dunning notice (upomnienie) as a PDF.
//!
//! An upomnienie (art. 15 § 1 ustawy z dnia 17 czerwca 1966 r. o postępowaniu
//! egzekucyjnym w administracji) demands payment and warns that administrative
//! enforcement follows if the debtor does not pay within 7 days of delivery.
//! Its content follows the Rozporządzenie MFFiPR z 4.12.2020 (Dz.U. 2020
//! poz. 2194): creditor and issue date; debtor and identification; amount,
//! type and period of each receivable; interest as at the issue date and the
//! rate for further interest; how to pay; the upomnienie cost; the
//! enforcement warning.
//!
//! The PDF is A4, set in DejaVu Sans embedded as a subset with a ToUnicode map
//! (Polish letters print and can be extracted as text). A notice that does not
//! fit one page continues on the next; [`render_batch_pdf`] puts many notices
//! into one document for postal print, each starting on a new page.

mod layout;
mod pdf;

use chrono::NaiveDate;
use wspolnota_core::Money;

/// A party of the notice: the creditor (the municipality) or the debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Full name.
    pub name: String,
    /// Address lines, in print order.
    pub address: Vec<String>,
    /// Identification as printed, e.g. `"NIP 922-100-00-00"` or a masked
    /// `"PESEL 850101*****"`; `None` when unknown.
    pub identifier: Option<String>,
}

/// One overdue receivable on the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningItem {
    /// Type of the receivable, e.g. `"Podatek od nieruchomości 2026, rata 2"`.
    pub title: String,
    /// The period it concerns, e.g. `"2026"` or `"04.2026"`.
    pub period: String,
    /// The payment deadline that passed.
    pub due_date: NaiveDate,
    /// The unpaid principal (zaległość).
    pub principal: Money,
    /// Interest for late payment as at the issue date.
    pub interest: Money,
}

/// A printable upomnienie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningNotice {
    /// The notice's number, e.g. `"UP/2026/000123"`.
    pub number: String,
    /// Issue date; the interest is stated as at this day.
    pub issue_date: NaiveDate,
    /// Place of issue, e.g. `"Zamość"`.
    pub place: String,
    /// The creditor (the municipality): name, address lines, NIP.
    pub creditor: Party,
    /// The debtor (zobowiązany).
    pub debtor: Party,
    /// One per overdue receivable.
    pub items: Vec<DunningItem>,
    /// Koszty upomnienia, from the effective-dated configuration.
    pub cost: Money,
    /// Days from delivery to pay before enforcement (7 by art. 15 § 1 upea).
    pub deadline_days: u32,
    /// The rate for further interest, e.g.
    /// `"14,5% w stosunku rocznym (stawka odsetek za zwłokę)"`.
    pub interest_rate_note: String,
    /// The NRB the debtor pays to, formatted `"NN NNNN …"`.
    pub bank_account: String,
    /// The transfer title to quote.
    pub transfer_title: String,
    /// The ZBP 2D transfer code payload, drawn as a QR code when present.
    pub qr_payload: Option<String>,
    /// Who signs, e.g. `"Skarbnik Miasta"`.
    pub signatory: String,
}

/// Why a notice could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DunningPdfError {
    /// The embedded font could not be read or subsetted.
    #[error("font error: {0}")]
    Font(String),
    /// The QR payload cannot be encoded (e.g. too long).
    #[error("QR code error: {0}")]
    QrCode(String),
    /// The amounts overflow when summed.
    #[error("amounts overflow")]
    AmountOverflow,
    /// A batch without notices.
    #[error("no notices to render")]
    EmptyBatch,
    /// The document has too many pages.
    #[error("document too large")]
    TooLarge,
}

/// The sum of the principals.
pub fn total_principal(n: &DunningNotice) -> Money {
    n.items.iter().map(|i| i.principal).sum()
}

/// The sum of the interest as at the issue date.
pub fn total_interest(n: &DunningNotice) -> Money {
    n.items.iter().map(|i| i.interest).sum()
}

/// What the debtor has to pay: principal + interest + cost of the upomnienie.
///
/// # Panics
/// Only if the sum exceeds 10^26 zł; [`render_pdf`] reports that as
/// [`DunningPdfError::AmountOverflow`] instead.
pub fn total(n: &DunningNotice) -> Money {
    total_principal(n) + total_interest(n) + n.cost
}

/// [`total`] that reports overflow: (principal, interest, total).
fn checked_totals(n: &DunningNotice) -> Result<(Money, Money, Money), DunningPdfError> {
    let sum = |f: fn(&DunningItem) -> Money| {
        n.items
            .iter()
            .try_fold(Money::ZERO, |acc, i| acc.checked_add(f(i)))
            .ok_or(DunningPdfError::AmountOverflow)
    };
    let principal = sum(|i| i.principal)?;
    let interest = sum(|i| i.interest)?;
    let total = principal
        .checked_add(interest)
        .and_then(|s| s.checked_add(n.cost))
        .ok_or(DunningPdfError::AmountOverflow)?;
    Ok((principal, interest, total))
}

/// Renders one notice as a PDF document.
pub fn render_pdf(n: &DunningNotice) -> Result<Vec<u8>, DunningPdfError> {
    render_batch_pdf(std::slice::from_ref(n))
}

/// Renders many notices into one document for postal print; every notice
/// starts on a new page (one page each for short notices).
pub fn render_batch_pdf(notices: &[DunningNotice]) -> Result<Vec<u8>, DunningPdfError> {
    if notices.is_empty() {
        return Err(DunningPdfError::EmptyBatch);
    }
    let fonts = pdf::Fonts::load()?;
    let mut pages = Vec::new();
    for n in notices {
        let totals = checked_totals(n)?;
        pages.extend(layout::notice_pages(&fonts, n, totals)?);
    }
    let title = match notices {
        [one] => format!("Upomnienie nr {}", one.number),
        many => format!("Upomnienia ({})", many.len()),
    };
    pdf::write(&fonts, &pages, &title)
}

/// A date as printed on the notice: `10.06.2026`.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// An amount as printed on the notice: `1 234,50 zł`.
pub fn format_amount(m: Money) -> String {
    m.to_polish()
}

/// `"7 dni"`, `"1 dnia"`: the deadline as it reads after "w terminie".
pub fn deadline_phrase(days: u32) -> String {
    if days == 1 {
        "1 dnia".to_owned()
    } else {
        format!("{days} dni")
    }
}
