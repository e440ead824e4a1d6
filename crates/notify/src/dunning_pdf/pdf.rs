//! A tiny PDF backend for the dunning notice: text in an embedded, subsetted
//! TrueType font (DejaVu Sans, written as a CID font with a ToUnicode map so
//! Polish letters are extractable), filled rectangles and lines.
//!
//! Layout code produces [`Page`]s of [`Op`]s measured with [`Fonts`]; [`write`]
//! turns them into one PDF document.

use std::collections::BTreeSet;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::DunningPdfError;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVu-LICENSE.txt`).
static REGULAR_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans-Bold.ttf");

/// A4 width in points.
pub const PAGE_WIDTH: f32 = 595.28;
/// A4 height in points.
pub const PAGE_HEIGHT: f32 = 841.89;

/// Which face of the embedded family a text run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// One drawing operation; coordinates in points, origin bottom-left.
#[derive(Debug, Clone)]
pub enum Op {
    /// A single line of text with its baseline starting at (`x`, `y`).
    Text {
        face: Face,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    /// Filled rectangles (one path, filled once), in the given gray.
    Rects { gray: f32, rects: Vec<[f32; 4]> },
    /// A stroked line.
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
}

/// The operations of one page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub ops: Vec<Op>,
}

/// The parsed embedded faces, for measuring text.
pub struct Fonts {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

impl Fonts {
    /// Parses the embedded fonts.
    pub fn load() -> Result<Self, DunningPdfError> {
        let parse = |data: &'static [u8]| {
            ttf_parser::Face::parse(data, 0).map_err(|e| DunningPdfError::Font(e.to_string()))
        };
        Ok(Self {
            regular: parse(REGULAR_TTF)?,
            bold: parse(BOLD_TTF)?,
        })
    }

    fn face(&self, face: Face) -> &ttf_parser::Face<'static> {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// Whether both faces have a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.regular.glyph_index(c).is_some() && self.bold.glyph_index(c).is_some()
    }

    /// The advance of `c` in 1/1000 em.
    fn advance_milli(&self, face: Face, c: char) -> f32 {
        let f = self.face(face);
        let gid = f.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        let adv = f32::from(f.glyph_hor_advance(gid).unwrap_or(0));
        adv * 1000.0 / f32::from(f.units_per_em())
    }

    /// The width of `text` set in `face` at `size` points.
    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        text.chars()
            .map(|c| self.advance_milli(face, c))
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// One embedded font's subset: the old→new glyph mapping and the characters used.
struct Embedded {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeSet<char>,
}

impl Embedded {
    fn new() -> Self {
        Self {
            remapper: subsetter::GlyphRemapper::new(),
            chars: BTreeSet::new(),
        }
    }
}

/// Writes the pages as one PDF document.
pub fn write(fonts: &Fonts, pages: &[Page], title: &str) -> Result<Vec<u8>, DunningPdfError> {
    // Pass 1: which glyphs each face needs.
    let mut regular = Embedded::new();
    let mut bold = Embedded::new();
    for op in pages.iter().flat_map(|p| &p.ops) {
        if let Op::Text { face, text, .. } = op {
            let (emb, f) = match face {
                Face::Regular => (&mut regular, &fonts.regular),
                Face::Bold => (&mut bold, &fonts.bold),
            };
            for c in text.chars() {
                let gid = f.glyph_index(c).map_or(0, |g| g.0);
                emb.remapper.remap(gid);
                emb.chars.insert(c);
            }
        }
    }

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let pages_id = alloc();
    let info_id = alloc();
    let regular_id = alloc();
    let bold_id = alloc();

    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(pages.len()).map_err(|_| DunningPdfError::TooLarge)?);
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("Wspólnota"));

    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(pages_id)
            .contents(*content_id);
        let mut res = p.resources();
        let mut f = res.fonts();
        f.pair(Name(b"F1"), regular_id);
        f.pair(Name(b"F2"), bold_id);
        f.finish();
        res.finish();
        p.finish();

        let content = page_content(fonts, page, &regular, &bold);
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
        pdf.stream(*content_id, &compressed)
            .filter(Filter::FlateDecode);
    }

    embed_font(
        &mut pdf,
        &mut alloc,
        regular_id,
        &fonts.regular,
        REGULAR_TTF,
        &regular,
        "WSPAAA+DejaVuSans",
    )?;
    embed_font(
        &mut pdf,
        &mut alloc,
        bold_id,
        &fonts.bold,
        BOLD_TTF,
        &bold,
        "WSPAAB+DejaVuSans-Bold",
    )?;

    Ok(pdf.finish())
}

/// The content stream of one page.
fn page_content(fonts: &Fonts, page: &Page, regular: &Embedded, bold: &Embedded) -> Vec<u8> {
    let mut c = Content::new();
    for op in &page.ops {
        match op {
            Op::Text {
                face,
                size,
                x,
                y,
                text,
            } => {
                let (emb, f, name) = match face {
                    Face::Regular => (regular, &fonts.regular, Name(b"F1")),
                    Face::Bold => (bold, &fonts.bold, Name(b"F2")),
                };
                let mut encoded = Vec::with_capacity(text.len() * 2);
                for ch in text.chars() {
                    let old = f.glyph_index(ch).map_or(0, |g| g.0);
                    let new = emb.remapper.get(old).unwrap_or(0);
                    encoded.extend_from_slice(&new.to_be_bytes());
                }
                c.set_fill_gray(0.0);
                c.begin_text();
                c.set_font(name, *size);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                c.show(Str(&encoded));
                c.end_text();
            }
            Op::Rects { gray, rects } => {
                c.set_fill_gray(*gray);
                for [x, y, w, h] in rects {
                    c.rect(*x, *y, *w, *h);
                }
                c.fill_nonzero();
                c.set_fill_gray(0.0);
            }
            Op::Line { from, to, width } => {
                c.set_line_width(*width);
                c.set_stroke_gray(0.0);
                c.move_to(from.0, from.1);
                c.line_to(to.0, to.1);
                c.stroke();
            }
        }
    }
    c.finish().into_vec()
}

/// Writes the Type0 font `font_id` with its CID font, descriptor, subsetted
/// TrueType program and ToUnicode map.
fn embed_font(
    pdf: &mut Pdf,
    alloc: &mut impl FnMut() -> Ref,
    font_id: Ref,
    face: &ttf_parser::Face<'static>,
    data: &[u8],
    emb: &Embedded,
    base_name: &str,
) -> Result<(), DunningPdfError> {
    let cid_id = alloc();
    let descriptor_id = alloc();
    let file_id = alloc();
    let cmap_id = alloc();

    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let base = Name(base_name.as_bytes());
    let upem = f32::from(face.units_per_em());
    let scale = |v: f32| v * 1000.0 / upem;

    pdf.type0_font(font_id)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let widths: Vec<f32> = emb
        .remapper
        .remapped_gids()
        .map(|old| {
            scale(f32::from(
                face.glyph_hor_advance(ttf_parser::GlyphId(old))
                    .unwrap_or(0),
            ))
        })
        .collect();
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, widths);
    cid.finish();

    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor_id)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            scale(f32::from(bbox.x_min)),
            scale(f32::from(bbox.y_min)),
            scale(f32::from(bbox.x_max)),
            scale(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(scale(f32::from(face.ascender())))
        .descent(scale(f32::from(face.descender())))
        .cap_height(scale(f32::from(
            face.capital_height().unwrap_or(face.ascender()),
        )))
        .stem_v(80.0)
        .font_file2(file_id);

    let subset = subsetter::subset(data, 0, &emb.remapper)
        .map_err(|e| DunningPdfError::Font(e.to_string()))?;
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
    pdf.stream(file_id, &compressed).filter(Filter::FlateDecode);

    let mut cmap = UnicodeCmap::<u16>::new(Name(b"Custom"), system_info);
    let mut seen = BTreeSet::new();
    for &c in &emb.chars {
        let old = face.glyph_index(c).map_or(0, |g| g.0);
        if old == 0 {
            continue;
        }
        if let Some(new) = emb.remapper.get(old)
            && seen.insert(new)
        {
            cmap.pair(new, c);
        }
    }
    let cmap_data = cmap.finish();
    pdf.cmap(cmap_id, cmap_data.as_slice());
    Ok(())
}
