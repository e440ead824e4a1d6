//! Text encodings of Polish bank files: UTF-8, Windows-1250, ISO-8859-2 and CP852.
//!
//! Detection ([`detect`]): bytes that are valid UTF-8 (ignoring `0xFF` filler bytes) are UTF-8;
//! an XML declaration naming an encoding is honoured; otherwise every single-byte candidate is
//! decoded and scored by Polish letters (+2 each) against other non-ASCII characters (−2) and C1
//! control characters (−5). The best score wins; ties go to ISO-8859-2, then Windows-1250, then
//! CP852. The letters that tell 1250 from 8859-2 are Ą ą Ś ś Ź ź (1250: A5 B9 8C 9C 8F 9F;
//! 8859-2: A1 B1 A6 B6 AC BC); CP852 puts Polish letters at other positions altogether.
//!
//! The byte `0xFF` is PKO BP's "empty subfield" filler: in the single-byte encodings it is
//! dropped (decodes to nothing), never rendered as `˙` or `ÿ`.

use std::borrow::Cow;

use super::ParseError;

/// A text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TextEncoding {
    /// UTF-8.
    Utf8,
    /// Windows-1250 (Central European).
    Windows1250,
    /// ISO-8859-2 (Latin-2).
    Iso8859_2,
    /// IBM/DOS code page 852.
    Cp852,
}

/// The upper half (0x80..=0xFF) of code page 852.
const CP852_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{016F}', '\u{0107}', '\u{00E7}',
    '\u{0142}', '\u{00EB}', '\u{0150}', '\u{0151}', '\u{00EE}', '\u{0179}', '\u{00C4}', '\u{0106}',
    '\u{00C9}', '\u{0139}', '\u{013A}', '\u{00F4}', '\u{00F6}', '\u{013D}', '\u{013E}', '\u{015A}',
    '\u{015B}', '\u{00D6}', '\u{00DC}', '\u{0164}', '\u{0165}', '\u{0141}', '\u{00D7}', '\u{010D}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{0104}', '\u{0105}', '\u{017D}', '\u{017E}',
    '\u{0118}', '\u{0119}', '\u{00AC}', '\u{017A}', '\u{010C}', '\u{015F}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{011A}',
    '\u{015E}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{017B}', '\u{017C}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{0102}', '\u{0103}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    '\u{0111}', '\u{0110}', '\u{010E}', '\u{00CB}', '\u{010F}', '\u{0147}', '\u{00CD}', '\u{00CE}',
    '\u{011B}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{0162}', '\u{016E}', '\u{2580}',
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{0143}', '\u{0144}', '\u{0148}', '\u{0160}', '\u{0161}',
    '\u{0154}', '\u{00DA}', '\u{0155}', '\u{0170}', '\u{00FD}', '\u{00DD}', '\u{0163}', '\u{00B4}',
    '\u{00AD}', '\u{02DD}', '\u{02DB}', '\u{02C7}', '\u{02D8}', '\u{00A7}', '\u{00F7}', '\u{00B8}',
    '\u{00B0}', '\u{00A8}', '\u{02D9}', '\u{0171}', '\u{0158}', '\u{0159}', '\u{25A0}', '\u{00A0}',
];

const POLISH: &str = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ";

const FILLER: u8 = 0xFF;

/// Detects the encoding of `bytes` (see the module docs).
pub fn detect(bytes: &[u8]) -> TextEncoding {
    if utf8_without_filler(bytes).is_ok() {
        return TextEncoding::Utf8;
    }
    if let Some(declared) = xml_declared(bytes) {
        return declared;
    }
    let mut best = TextEncoding::Iso8859_2;
    let mut best_score = i64::MIN;
    for candidate in [
        TextEncoding::Iso8859_2,
        TextEncoding::Windows1250,
        TextEncoding::Cp852,
    ] {
        let score = score(&decode_single_byte(bytes, candidate));
        if score > best_score {
            best = candidate;
            best_score = score;
        }
    }
    best
}

/// Decodes `bytes` (UTF-8 BOM removed) in `encoding`, or in the detected encoding when `None`.
/// Fails only for invalid UTF-8, naming the line of the first bad byte.
pub fn decode<'a>(
    file: &str,
    bytes: &'a [u8],
    encoding: Option<TextEncoding>,
) -> Result<(Cow<'a, str>, TextEncoding), ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let encoding = encoding.unwrap_or_else(|| detect(bytes));
    match encoding {
        TextEncoding::Utf8 => match utf8_without_filler(bytes) {
            Ok(text) => Ok((text, encoding)),
            Err(at) => {
                let line = bytes
                    .get(..at)
                    .map(|b| b.iter().filter(|&&c| c == b'\n').count())
                    .unwrap_or(0);
                Err(ParseError::new(
                    file,
                    u32::try_from(line + 1).unwrap_or(u32::MAX),
                    "encoding",
                    "invalid UTF-8",
                ))
            }
        },
        other => Ok((Cow::Owned(decode_single_byte(bytes, other)), encoding)),
    }
}

/// Encodes `text`; characters the encoding lacks become `?` (1250/8859-2: HTML numeric
/// references, as `encoding_rs` does).
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Windows1250 => encoding_rs::WINDOWS_1250.encode(text).0.into_owned(),
        TextEncoding::Iso8859_2 => encoding_rs::ISO_8859_2.encode(text).0.into_owned(),
        TextEncoding::Cp852 => text
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c as u8
                } else {
                    CP852_HIGH
                        .iter()
                        .position(|&h| h == c)
                        .and_then(|p| u8::try_from(p + 0x80).ok())
                        .unwrap_or(b'?')
                }
            })
            .collect(),
    }
}

/// Encodes the PKO "empty subfield" filler: byte 0xFF in the single-byte encodings, nothing in
/// UTF-8.
pub(crate) fn filler(encoding: TextEncoding) -> &'static [u8] {
    match encoding {
        TextEncoding::Utf8 => b"",
        _ => &[FILLER],
    }
}

fn utf8_without_filler(bytes: &[u8]) -> Result<Cow<'_, str>, usize> {
    if !bytes.contains(&FILLER) {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|e| e.valid_up_to());
    }
    let mut kept = Vec::with_capacity(bytes.len());
    let mut original_pos = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != FILLER {
            kept.push(b);
            original_pos.push(i);
        }
    }
    String::from_utf8(kept).map(Cow::Owned).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        original_pos.get(at).copied().unwrap_or(bytes.len())
    })
}

fn decode_single_byte(bytes: &[u8], encoding: TextEncoding) -> String {
    let kept: Cow<'_, [u8]> = if bytes.contains(&FILLER) {
        Cow::Owned(bytes.iter().copied().filter(|&b| b != FILLER).collect())
    } else {
        Cow::Borrowed(bytes)
    };
    match encoding {
        TextEncoding::Windows1250 => encoding_rs::WINDOWS_1250
            .decode_without_bom_handling(&kept)
            .0
            .into_owned(),
        TextEncoding::Iso8859_2 => encoding_rs::ISO_8859_2
            .decode_without_bom_handling(&kept)
            .0
            .into_owned(),
        TextEncoding::Cp852 => kept
            .iter()
            .map(|&b| {
                if b < 0x80 {
                    char::from(b)
                } else {
                    CP852_HIGH
                        .get(usize::from(b - 0x80))
                        .copied()
                        .unwrap_or('\u{FFFD}')
                }
            })
            .collect(),
        TextEncoding::Utf8 => String::from_utf8_lossy(&kept).into_owned(),
    }
}

fn score(text: &str) -> i64 {
    let mut score = 0i64;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        score += if POLISH.contains(c) {
            2
        } else if ('\u{80}'..='\u{9F}').contains(&c) {
            -5
        } else {
            -2
        };
    }
    score
}

fn xml_declared(bytes: &[u8]) -> Option<TextEncoding> {
    let head = bytes.get(..bytes.len().min(200))?;
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if !head.trim_start().starts_with("<?xml") {
        return None;
    }
    let decl = head.split("?>").next()?;
    let value = decl.split("encoding=").nth(1)?;
    let value = value.trim_start_matches(['"', '\'']);
    let name: String = value
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    match name.as_str() {
        "utf-8" | "utf8" => Some(TextEncoding::Utf8),
        "windows-1250" | "cp1250" | "x-cp1250" => Some(TextEncoding::Windows1250),
        "iso-8859-2" | "iso8859-2" | "latin2" => Some(TextEncoding::Iso8859_2),
        "ibm852" | "cp852" | "852" => Some(TextEncoding::Cp852),
        _ => None,
    }
}
