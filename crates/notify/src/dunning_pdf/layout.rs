//! Lays a [`DunningNotice`] out on A4 pages.

use qrcode::{Color, QrCode};
use wspolnota_core::Money;

use super::pdf::{Face, Fonts, Op, PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::{DunningNotice, DunningPdfError, deadline_phrase, format_amount, format_date};

const MARGIN_X: f32 = 50.0;
const TOP: f32 = PAGE_HEIGHT - 45.0;
/// Nothing but the footer goes below this.
const BOTTOM: f32 = 55.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
const CONTENT_WIDTH: f32 = RIGHT - MARGIN_X;
const ELLIPSIS: char = '…';

/// Table columns: (header, width, right-aligned).
const COLUMNS: [(&str, f32, bool); 6] = [
    ("Lp.", 22.0, true),
    ("Tytuł (rodzaj) należności", 178.0, false),
    ("Okres", 68.0, false),
    ("Termin płatności", 62.0, false),
    ("Należność główna", 82.0, true),
    ("Odsetki za zwłokę na dzień wystawienia", 83.0, true),
];
const CELL_PAD: f32 = 3.0;

/// Turns text into something the embedded font can draw on one line: control
/// characters become spaces, characters without a glyph become `?`.
fn clean(fonts: &Fonts, s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                ' '
            } else if fonts.has_glyph(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Breaks `text` into lines no wider than `width`; words longer than a line
/// are broken; beyond `max_lines` the last line ends with an ellipsis.
fn wrap(
    fonts: &Fonts,
    face: Face,
    size: f32,
    text: &str,
    width: f32,
    max_lines: usize,
) -> Vec<String> {
    let text = clean(fonts, text);
    let fits = |s: &str| fonts.width(face, size, s) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut truncated = false;
    'words: for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            if lines.len() >= max_lines {
                truncated = true;
                break 'words;
            }
        }
        if fits(word) {
            line = word.to_owned();
            continue;
        }
        // A word wider than the line: break it by characters.
        for c in word.chars() {
            line.push(c);
            if !fits(&line) {
                let last = line.pop().unwrap_or(' ');
                if line.is_empty() {
                    // Not even one character fits; keep it anyway.
                    line.push(last);
                    continue;
                }
                lines.push(std::mem::take(&mut line));
                if lines.len() >= max_lines {
                    truncated = true;
                    break 'words;
                }
                line.push(last);
            }
        }
    }
    if !truncated && !line.is_empty() {
        lines.push(line);
    }
    if truncated && let Some(last) = lines.last_mut() {
        loop {
            let with = format!("{last}{ELLIPSIS}");
            if fits(&with) || last.is_empty() {
                *last = with;
                break;
            }
            last.pop();
        }
    }
    lines
}

/// The page being filled and the ones already full.
struct Doc<'a> {
    fonts: &'a Fonts,
    pages: Vec<Page>,
    page: Page,
    /// The top of the free space on the current page.
    y: f32,
}

impl<'a> Doc<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            pages: Vec::new(),
            page: Page::default(),
            y: TOP,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.y = TOP;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn text(&mut self, face: Face, size: f32, x: f32, baseline: f32, text: String) {
        if !text.is_empty() {
            self.page.ops.push(Op::Text {
                face,
                size,
                x,
                y: baseline,
                text,
            });
        }
    }

    fn text_right(&mut self, face: Face, size: f32, right: f32, baseline: f32, text: String) {
        let w = self.fonts.width(face, size, &text);
        self.text(face, size, right - w, baseline, text);
    }

    fn text_center(&mut self, face: Face, size: f32, center: f32, baseline: f32, text: String) {
        let w = self.fonts.width(face, size, &text);
        self.text(face, size, center - w / 2.0, baseline, text);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.page.ops.push(Op::Line {
            from: (x1, y1),
            to: (x2, y2),
            width,
        });
    }

    /// A wrapped paragraph at `x`, flowing onto new pages as needed.
    fn paragraph(
        &mut self,
        face: Face,
        size: f32,
        x: f32,
        width: f32,
        text: &str,
        max_lines: usize,
    ) {
        let lh = line_height(size);
        for l in wrap(self.fonts, face, size, text, width, max_lines) {
            self.ensure(lh);
            self.text(face, size, x, self.y - size, l);
            self.y -= lh;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }
}

fn line_height(size: f32) -> f32 {
    size * 1.3
}

/// A block of lines at a fixed position (for side-by-side blocks).
fn block(doc: &mut Doc<'_>, x: f32, top: f32, width: f32, lines: &[(Face, f32, String)]) -> f32 {
    let mut y = top;
    for (face, size, text) in lines {
        for l in wrap(doc.fonts, *face, *size, text, width, 3) {
            doc.text(*face, *size, x, y - size, l);
            y -= line_height(*size);
        }
    }
    y
}

fn party_lines(label: &str, party: &super::Party, id_label: &str) -> Vec<(Face, f32, String)> {
    let mut lines = vec![(Face::Regular, 7.5, label.to_owned())];
    lines.push((Face::Bold, 10.0, party.name.clone()));
    for a in party.address.iter().take(6) {
        lines.push((Face::Regular, 9.0, a.clone()));
    }
    if let Some(id) = party.identifier.as_deref().filter(|s| !s.trim().is_empty()) {
        let starts_with_letter = id.trim().chars().next().is_some_and(char::is_alphabetic);
        let id = if starts_with_letter {
            id.trim().to_owned()
        } else {
            format!("{id_label}: {}", id.trim())
        };
        lines.push((Face::Regular, 9.0, id));
    }
    lines
}

/// Lays out one notice; returns its pages (with footers).
pub fn notice_pages(
    fonts: &Fonts,
    n: &DunningNotice,
    (principal, interest, total): (Money, Money, Money),
) -> Result<Vec<Page>, DunningPdfError> {
    let mut doc = Doc::new(fonts);
    let deadline = deadline_phrase(n.deadline_days);
    let number = clean(fonts, &n.number);

    // Header: place and date (right), creditor (left), debtor (right).
    let place_date = format!(
        "{}, dnia {} r.",
        clean(fonts, n.place.trim()),
        format_date(n.issue_date)
    );
    let pd = wrap(fonts, Face::Regular, 9.0, &place_date, 220.0, 2);
    let mut y = TOP;
    for l in pd {
        doc.text_right(Face::Regular, 9.0, RIGHT, y - 9.0, l);
        y -= line_height(9.0);
    }
    let creditor = party_lines("Wierzyciel:", &n.creditor, "NIP");
    let after_creditor = block(&mut doc, MARGIN_X, TOP, 250.0, &creditor);
    let debtor_x = 320.0;
    let debtor_top = y.min(TOP - 60.0);
    let debtor = party_lines("Zobowiązany:", &n.debtor, "Identyfikator");
    let after_debtor = block(&mut doc, debtor_x, debtor_top, RIGHT - debtor_x, &debtor);
    doc.y = after_creditor.min(after_debtor) - 18.0;

    // Title.
    doc.text_center(
        Face::Bold,
        18.0,
        PAGE_WIDTH / 2.0,
        doc.y - 18.0,
        "UPOMNIENIE".to_owned(),
    );
    doc.gap(line_height(18.0));
    for l in wrap(
        fonts,
        Face::Bold,
        11.0,
        &format!("nr {number}"),
        CONTENT_WIDTH,
        2,
    ) {
        doc.text_center(Face::Bold, 11.0, PAGE_WIDTH / 2.0, doc.y - 11.0, l);
        doc.gap(line_height(11.0));
    }
    for l in wrap(
        fonts,
        Face::Regular,
        7.5,
        "wystawione na podstawie art. 15 § 1 ustawy z dnia 17 czerwca 1966 r. o postępowaniu \
         egzekucyjnym w administracji",
        CONTENT_WIDTH,
        3,
    ) {
        doc.text_center(Face::Regular, 7.5, PAGE_WIDTH / 2.0, doc.y - 7.5, l);
        doc.gap(line_height(7.5));
    }
    doc.gap(8.0);

    doc.paragraph(
        Face::Regular,
        9.0,
        MARGIN_X,
        CONTENT_WIDTH,
        "Wierzyciel informuje, że nie zostały zapłacone w terminie niżej wymienione należności \
         pieniężne. Wzywa się do ich zapłaty wraz z odsetkami za zwłokę oraz kosztami upomnienia.",
        10,
    );
    doc.gap(6.0);

    items_table(&mut doc, n);
    doc.gap(8.0);

    // Totals.
    let rows: [(Face, &str, Money); 4] = [
        (Face::Regular, "Należność główna razem:", principal),
        (
            Face::Regular,
            &format!(
                "Odsetki za zwłokę na dzień wystawienia upomnienia ({}):",
                format_date(n.issue_date)
            ),
            interest,
        ),
        (Face::Regular, "Koszty upomnienia:", n.cost),
        (Face::Bold, "Razem do zapłaty:", total),
    ];
    let label_x = MARGIN_X + 130.0;
    let value_w = 110.0;
    let label_w = RIGHT - value_w - label_x - 8.0;
    let size = 9.0;
    let lh = line_height(size);
    let wrapped: Vec<Vec<String>> = rows
        .iter()
        .map(|(face, label, _)| wrap(fonts, *face, size, label, label_w, 3))
        .collect();
    let block_h: f32 = wrapped
        .iter()
        .map(|l| l.len().max(1) as f32 * lh)
        .sum::<f32>()
        + 6.0;
    doc.ensure(block_h);
    for (i, ((face, _, amount), labels)) in rows.iter().zip(&wrapped).enumerate() {
        if i == rows.len() - 1 {
            doc.gap(2.0);
            let y = doc.y;
            doc.line(label_x, y, RIGHT, y, 0.6);
            doc.gap(3.0);
        }
        let top = doc.y;
        for l in labels {
            doc.text(*face, size, label_x, doc.y - size, l.clone());
            doc.gap(lh);
        }
        let amount = clean(fonts, &format_amount(*amount));
        for (k, l) in wrap(fonts, *face, size, &amount, value_w, 2)
            .into_iter()
            .enumerate()
        {
            doc.text_right(*face, size, RIGHT, top - size - k as f32 * lh, l);
        }
        if labels.is_empty() {
            doc.gap(lh);
        }
    }
    doc.gap(6.0);
    doc.paragraph(
        Face::Regular,
        8.5,
        MARGIN_X,
        CONTENT_WIDTH,
        &format!(
            "Od dnia następującego po dniu wystawienia upomnienia do dnia zapłaty należy doliczyć \
             dalsze odsetki za zwłokę według stawki: {}.",
            n.interest_rate_note.trim().trim_end_matches('.')
        ),
        4,
    );
    doc.gap(6.0);

    // The demand.
    doc.paragraph(
        Face::Bold,
        10.0,
        MARGIN_X,
        CONTENT_WIDTH,
        &format!(
            "Wzywa się do zapłaty kwoty {} w terminie {deadline} od dnia doręczenia \
             niniejszego upomnienia.",
            format_amount(total)
        ),
        4,
    );
    doc.gap(8.0);

    payment_block(&mut doc, n, total)?;
    doc.gap(8.0);

    // The warning.
    doc.ensure(3.0 * line_height(10.0));
    doc.paragraph(Face::Bold, 10.0, MARGIN_X, CONTENT_WIDTH, "POUCZENIE", 1);
    let warnings = [
        format!(
            "1. Zgodnie z art. 15 § 1 ustawy z dnia 17 czerwca 1966 r. o postępowaniu \
             egzekucyjnym w administracji, w przypadku niezapłacenia należności wraz z odsetkami \
             za zwłokę i kosztami upomnienia w terminie {deadline} od dnia doręczenia \
             niniejszego upomnienia zostanie wszczęte postępowanie egzekucyjne w administracji."
        ),
        "2. Wszczęcie postępowania egzekucyjnego spowoduje obciążenie zobowiązanego kosztami \
         egzekucyjnymi (opłatami i wydatkami egzekucyjnymi)."
            .to_owned(),
        format!(
            "3. Koszty upomnienia w kwocie {} stają się należne z chwilą doręczenia upomnienia.",
            format_amount(n.cost)
        ),
        "4. Odsetki za zwłokę wskazane w upomnieniu obliczono na dzień jego wystawienia; w dniu \
         zapłaty należy uiścić także odsetki naliczone od dnia następującego po dniu wystawienia \
         upomnienia."
            .to_owned(),
    ];
    for w in &warnings {
        doc.paragraph(Face::Regular, 8.5, MARGIN_X, CONTENT_WIDTH, w, 8);
    }
    doc.gap(14.0);

    // The signatory.
    let sig_x = 330.0;
    let sig_w = RIGHT - sig_x;
    let sig_lines = wrap(fonts, Face::Regular, 9.0, &n.signatory, sig_w, 3);
    doc.ensure(30.0 + sig_lines.len() as f32 * line_height(9.0) + line_height(7.0));
    doc.gap(22.0);
    let y = doc.y;
    doc.line(sig_x, y, RIGHT, y, 0.5);
    doc.gap(3.0);
    let center = sig_x + sig_w / 2.0;
    for l in sig_lines {
        doc.text_center(Face::Regular, 9.0, center, doc.y - 9.0, l);
        doc.gap(line_height(9.0));
    }
    doc.text_center(
        Face::Regular,
        7.0,
        center,
        doc.y - 7.0,
        "(podpis osoby upoważnionej)".to_owned(),
    );

    doc.new_page();
    let mut pages = doc.pages;
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let footer = format!("Upomnienie nr {number} – strona {} z {count}", i + 1);
        let footer = wrap(fonts, Face::Regular, 7.0, &footer, CONTENT_WIDTH, 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let w = fonts.width(Face::Regular, 7.0, &footer);
        page.ops.push(Op::Text {
            face: Face::Regular,
            size: 7.0,
            x: (PAGE_WIDTH - w) / 2.0,
            y: 30.0,
            text: footer,
        });
    }
    Ok(pages)
}

/// The table header; returns its height.
fn table_header(doc: &mut Doc<'_>) {
    let size = 7.5;
    let lh = line_height(size);
    let cells: Vec<Vec<String>> = COLUMNS
        .iter()
        .map(|(h, w, _)| wrap(doc.fonts, Face::Bold, size, h, w - 2.0 * CELL_PAD, 3))
        .collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
    let height = lines as f32 * lh + 2.0 * CELL_PAD;
    doc.ensure(height + 20.0);
    let top = doc.y;
    doc.page.ops.push(Op::Rects {
        gray: 0.88,
        rects: vec![[MARGIN_X, top - height, CONTENT_WIDTH, height]],
    });
    let mut x = MARGIN_X;
    for ((_, w, right), lines) in COLUMNS.iter().zip(cells) {
        let mut y = top - CELL_PAD - size;
        for l in lines {
            if *right {
                doc.text_right(Face::Bold, size, x + w - CELL_PAD, y, l);
            } else {
                doc.text(Face::Bold, size, x + CELL_PAD, y, l);
            }
            y -= lh;
        }
        x += w;
    }
    doc.y = top - height;
    doc.line(MARGIN_X, doc.y, RIGHT, doc.y, 0.6);
}

/// The table of receivables, continued on new pages with a repeated header.
fn items_table(doc: &mut Doc<'_>, n: &DunningNotice) {
    let size = 8.5;
    let lh = line_height(size);
    table_header(doc);
    if n.items.is_empty() {
        doc.paragraph(
            Face::Regular,
            size,
            MARGIN_X + CELL_PAD,
            CONTENT_WIDTH,
            "(brak pozycji)",
            1,
        );
        return;
    }
    for (i, item) in n.items.iter().enumerate() {
        let texts = [
            (format!("{}.", i + 1), 1),
            (item.title.clone(), 8),
            (item.period.clone(), 3),
            (format_date(item.due_date), 1),
            (format_amount(item.principal), 2),
            (format_amount(item.interest), 2),
        ];
        let cells: Vec<Vec<String>> = COLUMNS
            .iter()
            .zip(&texts)
            .map(|((_, w, _), (t, max))| {
                wrap(doc.fonts, Face::Regular, size, t, w - 2.0 * CELL_PAD, *max)
            })
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = lines as f32 * lh + 2.0 * CELL_PAD;
        if doc.ensure(height) {
            table_header(doc);
        }
        let top = doc.y;
        let mut x = MARGIN_X;
        for ((_, w, right), lines) in COLUMNS.iter().zip(cells) {
            let mut y = top - CELL_PAD - size;
            for l in lines {
                if *right {
                    doc.text_right(Face::Regular, size, x + w - CELL_PAD, y, l);
                } else {
                    doc.text(Face::Regular, size, x + CELL_PAD, y, l);
                }
                y -= lh;
            }
            x += w;
        }
        doc.y = top - height;
        doc.line(MARGIN_X, doc.y, RIGHT, doc.y, 0.3);
    }
}

/// How to pay: account, title, amount and the QR transfer code.
fn payment_block(
    doc: &mut Doc<'_>,
    n: &DunningNotice,
    total: Money,
) -> Result<(), DunningPdfError> {
    let qr = match n.qr_payload.as_deref() {
        Some(payload) => Some(
            QrCode::new(payload.as_bytes()).map_err(|e| DunningPdfError::QrCode(e.to_string()))?,
        ),
        None => None,
    };
    let qr_size = 92.0;
    let text_w = if qr.is_some() {
        CONTENT_WIDTH - qr_size - 16.0
    } else {
        CONTENT_WIDTH
    };
    let fonts = doc.fonts;
    let mut lines: Vec<(Face, f32, String)> = Vec::new();
    lines.push((Face::Bold, 10.0, "Sposób zapłaty".to_owned()));
    for l in wrap(
        fonts,
        Face::Regular,
        9.0,
        "Należność wraz z odsetkami i kosztami upomnienia należy wpłacić na rachunek bankowy \
         wierzyciela:",
        text_w,
        3,
    ) {
        lines.push((Face::Regular, 9.0, l));
    }
    for l in wrap(fonts, Face::Bold, 10.5, &n.bank_account, text_w, 2) {
        lines.push((Face::Bold, 10.5, l));
    }
    for l in wrap(
        fonts,
        Face::Regular,
        9.0,
        &format!("Tytuł przelewu: {}", n.transfer_title),
        text_w,
        3,
    ) {
        lines.push((Face::Regular, 9.0, l));
    }
    for l in wrap(
        fonts,
        Face::Regular,
        9.0,
        &format!(
            "Kwota na dzień wystawienia upomnienia: {}",
            format_amount(total)
        ),
        text_w,
        2,
    ) {
        lines.push((Face::Regular, 9.0, l));
    }
    let text_h: f32 = lines.iter().map(|(_, s, _)| line_height(*s)).sum();
    let qr_h = if qr.is_some() { qr_size + 12.0 } else { 0.0 };
    doc.ensure(text_h.max(qr_h));
    let top = doc.y;
    let mut y = top;
    for (face, size, l) in lines {
        doc.text(face, size, MARGIN_X, y - size, l);
        y -= line_height(size);
    }
    if let Some(code) = qr {
        let modules = code.width();
        let colors = code.to_colors();
        let module = qr_size / modules.max(1) as f32;
        let x0 = RIGHT - qr_size;
        let y0 = top;
        let mut rects = Vec::new();
        for row in 0..modules {
            let mut col = 0;
            while col < modules {
                if colors[row * modules + col] == Color::Dark {
                    let start = col;
                    while col < modules && colors[row * modules + col] == Color::Dark {
                        col += 1;
                    }
                    rects.push([
                        x0 + start as f32 * module,
                        y0 - (row + 1) as f32 * module,
                        (col - start) as f32 * module,
                        module,
                    ]);
                } else {
                    col += 1;
                }
            }
        }
        doc.page.ops.push(Op::Rects { gray: 0.0, rects });
        doc.text_center(
            Face::Regular,
            6.5,
            x0 + qr_size / 2.0,
            top - qr_size - 9.0,
            "Kod QR do przelewu".to_owned(),
        );
    }
    doc.y = y.min(top - qr_h);
    Ok(())
}
