//! Where the MT940 parser's physical lines come from: a decoded text held whole (the byte-slice
//! API, [`super::events`]), or a reader decoded one line at a time ([`super::stream`]), so that
//! a statement file of any length is parsed in constant memory.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use super::encoding::{self, TextEncoding};
use super::{Format, FormatHint, ParseError, ParseOptions};

/// A physical line may be at most this long (a statement line is a few hundred bytes; a file
/// without line breaks is not MT940).
const MAX_LINE: u64 = 1 << 20;

/// How much of a streamed file the encoding is detected on (the whole file when shorter).
pub(crate) const PREFIX: u64 = 4 << 20;

/// Physical lines, one at a time: `fill` loads the next one (if not loaded), `current` shows
/// it, `consume` moves past it.
pub(crate) enum Lines<'a> {
    Text {
        text: Cow<'a, str>,
        pos: usize,
    },
    Stream {
        file: String,
        reader: Box<dyn BufRead + Send>,
        /// `None` while everything read was ASCII and the prefix did not tell (see `decode`).
        encoding: Option<TextEncoding>,
        raw: Vec<u8>,
        line: String,
        /// The line in `line` is loaded (and not consumed).
        loaded: bool,
        at_end: bool,
    },
}

impl Lines<'_> {
    /// Loads the next line; `line_no` names it in a decoding or reading error.
    pub(crate) fn fill(&mut self, line_no: u32) -> Result<(), ParseError> {
        let Self::Stream {
            file,
            reader,
            encoding,
            raw,
            line,
            loaded,
            at_end,
        } = self
        else {
            return Ok(());
        };
        if *loaded || *at_end {
            return Ok(());
        }
        raw.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE + 1)
            .read_until(b'\n', raw)
            .map_err(|e| ParseError::new(file, line_no, "file", format!("cannot read: {e}")))?;
        if read == 0 {
            *at_end = true;
            return Ok(());
        }
        if raw.last() == Some(&b'\n') {
            raw.pop();
        } else if read as u64 > MAX_LINE {
            return Err(ParseError::new(
                file,
                line_no,
                "line",
                "a line longer than 1 MiB: not a statement file",
            ));
        }
        decode_line(file, line_no, raw, encoding, line)?;
        *loaded = true;
        Ok(())
    }

    /// The loaded line, `None` at the end of the file.
    pub(crate) fn current(&self) -> Option<&str> {
        match self {
            Self::Text { text, pos } => {
                let rest = text.get(*pos..)?;
                if rest.is_empty() {
                    return None;
                }
                Some(match rest.find('\n') {
                    Some(end) => rest.get(..end).unwrap_or(""),
                    None => rest,
                })
            }
            Self::Stream {
                line,
                loaded,
                at_end,
                ..
            } => (*loaded && !*at_end).then_some(line.as_str()),
        }
    }

    pub(crate) fn consume(&mut self) {
        match self {
            Self::Text { text, pos } => {
                let rest = text.get(*pos..).unwrap_or("");
                *pos += match rest.find('\n') {
                    Some(end) => end + 1,
                    None => rest.len(),
                };
            }
            Self::Stream { loaded, .. } => *loaded = false,
        }
    }
}

/// One line's bytes (without its `\n`) as text: PKO's `0xFF` filler dropped, then decoded.
/// An encoding still undetermined (an ASCII-only prefix) is detected on the first line that is
/// not ASCII: ASCII reads the same in every candidate encoding, so the lines before it are
/// unaffected.
fn decode_line(
    file: &str,
    line_no: u32,
    raw: &[u8],
    encoding: &mut Option<TextEncoding>,
    out: &mut String,
) -> Result<(), ParseError> {
    out.clear();
    if raw.is_ascii() {
        // ASCII has no filler byte (0xFF) and reads the same in every candidate encoding.
        if let Ok(text) = std::str::from_utf8(raw) {
            out.push_str(text);
        }
        return Ok(());
    }
    let enc = *encoding.get_or_insert_with(|| encoding::detect(raw));
    let text = decode_within(file, raw, enc)
        .map_err(|e| ParseError::new(file, line_no, "encoding", e.message))?;
    out.push_str(&text);
    Ok(())
}

/// [`encoding::decode`] of bytes from within a file, where a leading UTF-8 BOM is text (as it is
/// when the whole file is decoded), not a mark to drop.
pub(crate) fn decode_within<'b>(
    file: &str,
    bytes: &'b [u8],
    enc: TextEncoding,
) -> Result<Cow<'b, str>, ParseError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if bytes.starts_with(BOM) {
        // `decode` drops the BOM put before them.
        let marked = [BOM, bytes].concat();
        return encoding::decode(file, &marked, Some(enc)).map(|(t, _)| Cow::Owned(t.into_owned()));
    }
    encoding::decode(file, bytes, Some(enc)).map(|(t, _)| t)
}

/// A reader's start examined: its text encoding (`None`: ASCII so far, undetermined), its
/// format, and whether the prefix is the whole file.
pub(crate) struct Prefix {
    pub(crate) bytes: Vec<u8>,
    pub(crate) encoding: Option<TextEncoding>,
    pub(crate) format: Format,
    pub(crate) whole: bool,
}

/// Reads up to [`PREFIX`] bytes (to the end of a line), strips a UTF-8 BOM and detects the
/// encoding and the format as [`super::events`] does on a whole file.
pub(crate) fn prefix(
    file: &str,
    reader: &mut dyn BufRead,
    options: &ParseOptions,
) -> Result<Prefix, ParseError> {
    let io = |e: std::io::Error| ParseError::new(file, 1, "file", format!("cannot read: {e}"));
    let mut bytes = Vec::new();
    reader.take(PREFIX).read_to_end(&mut bytes).map_err(io)?;
    let whole = (bytes.len() as u64) < PREFIX || reader.fill_buf().map_err(io)?.is_empty();
    if !whole {
        reader
            .take(MAX_LINE)
            .read_until(b'\n', &mut bytes)
            .map_err(io)?;
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let encoding = match options.encoding {
        Some(e) => Some(e),
        None if whole || !bytes.is_ascii() => Some(encoding::detect(&bytes)),
        None => None,
    };
    let format = match options.format {
        FormatHint::Mt940 => Format::Mt940,
        FormatHint::Camt053 => Format::Camt053,
        FormatHint::Auto => {
            // As `events` skips whitespace, SOH and (in UTF-8) BOMs before the first character.
            let utf8 = matches!(encoding, None | Some(TextEncoding::Utf8));
            let mut rest = bytes.as_slice();
            loop {
                match rest {
                    [b, tail @ ..] if b.is_ascii_whitespace() || *b == 1 || *b == 0x0B => {
                        rest = tail;
                    }
                    [0xEF, 0xBB, 0xBF, tail @ ..] if utf8 => rest = tail,
                    _ => break,
                }
            }
            if rest.first() == Some(&b'<') {
                Format::Camt053
            } else {
                Format::Mt940
            }
        }
    };
    Ok(Prefix {
        bytes,
        encoding,
        format,
        whole,
    })
}
