//! The camt.053 parser's input: decoded text as a UTF-8 [`BufRead`], either held whole (the
//! byte-slice API, [`super::events`]) or decoded from a reader a chunk at a time
//! ([`super::stream`]). It records the text the XML reader consumed since the parser last let
//! go of it, so that the parser can count lines and cut an entry's raw text without the whole
//! document in memory.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use super::ParseError;
use super::encoding::{self, TextEncoding};
use super::source::{Prefix, decode_within};

/// Raw bytes decoded at a time (and, while the encoding is undetermined, detected on).
const CHUNK: usize = 64 << 10;

/// How far into a document [`encoding::detect`] looks for an XML declaration.
const DECLARATION_HEAD: usize = 200;

/// PKO BP's "empty subfield" filler, dropped in every encoding (see [`super::encoding`]).
const FILLER: u8 = 0xFF;

/// UTF-8 text, with what was consumed of it from absolute offset `base` on kept in `window`.
pub(crate) struct Source<'a> {
    input: Input<'a>,
    window: Vec<u8>,
    base: usize,
}

enum Input<'a> {
    Text { text: Cow<'a, str>, pos: usize },
    Stream(Box<Decoder>),
}

/// A reader's bytes decoded to UTF-8 a chunk at a time.
struct Decoder {
    file: String,
    reader: Box<dyn BufRead + Send>,
    /// `None` while everything read was ASCII and the prefix did not tell.
    encoding: Option<TextEncoding>,
    /// The document's first bytes, put before the chunk that decides an undetermined encoding so
    /// that its XML declaration counts as it does when detecting on the whole file.
    head: Vec<u8>,
    /// Bytes read and not yet decoded: an incomplete UTF-8 sequence at a chunk's end.
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// Newlines in the bytes decoded so far, for the line of an error.
    lines: usize,
    /// An error to report once `out` is used up (the text before it is still parsed).
    failed: Option<ParseError>,
    at_end: bool,
}

impl<'a> Source<'a> {
    pub(crate) fn text(text: Cow<'a, str>) -> Self {
        Self {
            input: Input::Text { text, pos: 0 },
            window: Vec::new(),
            base: 0,
        }
    }

    /// The prefix, then the rest of `reader`, in the prefix's encoding;
    /// when that is undetermined (an ASCII prefix), in the one detected on the first chunk that
    /// is not ASCII. Invalid UTF-8 in the prefix fails up front, as [`super::events`] fails.
    pub(crate) fn stream(
        file: &str,
        prefix: Prefix,
        reader: Box<dyn BufRead + Send>,
    ) -> Result<Source<'static>, ParseError> {
        let Prefix {
            bytes,
            encoding,
            whole,
            ..
        } = prefix;
        if encoding == Some(TextEncoding::Utf8) {
            check_utf8(file, &bytes, whole)?;
        }
        let head = match encoding {
            Some(_) => Vec::new(),
            None => bytes.get(..DECLARATION_HEAD).unwrap_or(&bytes).to_vec(),
        };
        Ok(Source {
            input: Input::Stream(Box::new(Decoder {
                file: file.to_owned(),
                reader: Box::new(io::Cursor::new(bytes).chain(reader)),
                encoding,
                head,
                raw: Vec::new(),
                out: Vec::new(),
                pos: 0,
                lines: 0,
                failed: None,
                at_end: false,
            })),
            window: Vec::new(),
            base: 0,
        })
    }

    /// The absolute offset of the text not yet consumed.
    pub(crate) fn consumed(&self) -> usize {
        self.base + self.window.len()
    }

    /// The consumed text from absolute offset `base` on (what was not forgotten).
    pub(crate) fn window(&self) -> (&[u8], usize) {
        (&self.window, self.base)
    }

    /// Lets go of the text before absolute offset `offset`.
    pub(crate) fn forget_before(&mut self, offset: usize) {
        let n = offset.saturating_sub(self.base).min(self.window.len());
        self.window.drain(..n);
        self.base += n;
    }

    /// The decoding or reading error behind an I/O error the XML reader reported.
    pub(crate) fn failure(&self) -> Option<&ParseError> {
        match &self.input {
            Input::Stream(d) => d.failed.as_ref(),
            Input::Text { .. } => None,
        }
    }
}

impl Input<'_> {
    fn available(&self) -> &[u8] {
        match self {
            Self::Text { text, pos } => text.as_bytes().get(*pos..).unwrap_or(&[]),
            Self::Stream(d) => d.out.get(d.pos..).unwrap_or(&[]),
        }
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Source<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Input::Stream(d) = &mut self.input {
            d.fill()?;
        }
        Ok(self.input.available())
    }

    fn consume(&mut self, amount: usize) {
        let available = self.input.available();
        let n = amount.min(available.len());
        self.window
            .extend_from_slice(available.get(..n).unwrap_or(&[]));
        match &mut self.input {
            Input::Text { pos, .. } => *pos += n,
            Input::Stream(d) => d.pos += n,
        }
    }
}

impl Decoder {
    /// Decodes until there is text to read, the end, or an error.
    fn fill(&mut self) -> io::Result<()> {
        while self.pos >= self.out.len() {
            if let Some(e) = &self.failed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
            }
            if self.at_end {
                return Ok(());
            }
            self.out.clear();
            self.pos = 0;
            self.decode_chunk();
        }
        Ok(())
    }

    fn decode_chunk(&mut self) {
        let mut eof = false;
        while self.raw.len() < CHUNK {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let read = newlines(&self.raw);
                    self.failed = Some(self.error(read, "file", format!("cannot read: {e}")));
                    break;
                }
            };
            if available.is_empty() {
                eof = true;
                break;
            }
            let n = available.len().min(CHUNK - self.raw.len());
            self.raw
                .extend_from_slice(available.get(..n).unwrap_or(&[]));
            self.reader.consume(n);
        }
        self.at_end = eof;
        let mut bytes = std::mem::take(&mut self.raw);
        bytes.retain(|&b| b != FILLER);
        // An incomplete UTF-8 sequence at the end waits for the next chunk (at the end of the
        // file it is invalid UTF-8).
        let tail = match std::str::from_utf8(&bytes) {
            Err(e) if !eof && e.error_len().is_none() => bytes.len() - e.valid_up_to(),
            _ => 0,
        };
        let whole = bytes.len() - tail;
        let Some(ready) = bytes.get(..whole) else {
            return;
        };
        let encoding = match self.encoding {
            Some(e) => e,
            // ASCII reads the same in every candidate encoding.
            None if ready.is_ascii() => TextEncoding::Utf8,
            None => {
                let detected = encoding::detect(&[self.head.as_slice(), ready].concat());
                self.encoding = Some(detected);
                detected
            }
        };
        if encoding == TextEncoding::Utf8 {
            match std::str::from_utf8(ready) {
                Ok(_) => self.out.extend_from_slice(ready),
                Err(e) => {
                    let valid = ready.get(..e.valid_up_to()).unwrap_or(&[]);
                    self.out.extend_from_slice(valid);
                    self.failed = Some(self.error(newlines(valid), "encoding", "invalid UTF-8"));
                }
            }
        } else {
            match decode_within(&self.file, ready, encoding) {
                Ok(text) => self.out.extend_from_slice(text.as_bytes()),
                // Single-byte encodings do not fail; should one, the text stops with its error.
                Err(e) => self.failed = Some(self.error(0, "encoding", e.message)),
            }
        }
        self.lines += newlines(ready);
        self.raw = bytes.get(whole..).unwrap_or(&[]).to_vec();
    }

    /// An error on the line after `more` newlines past the decoded text.
    fn error(&self, more: usize, field: &str, message: impl Into<String>) -> ParseError {
        let line = u32::try_from(self.lines + more + 1).unwrap_or(u32::MAX);
        ParseError::new(&self.file, line, field, message)
    }
}

/// Fails as [`encoding::decode`] does on invalid UTF-8, but for a character cut at the end of
/// a prefix that is not the whole file.
fn check_utf8(file: &str, bytes: &[u8], whole: bool) -> Result<(), ParseError> {
    let kept: Cow<'_, [u8]> = if bytes.contains(&FILLER) {
        Cow::Owned(bytes.iter().copied().filter(|&b| b != FILLER).collect())
    } else {
        Cow::Borrowed(bytes)
    };
    match std::str::from_utf8(&kept) {
        Ok(_) => Ok(()),
        Err(e) if !whole && e.error_len().is_none() => Ok(()),
        Err(_) => encoding::decode(file, bytes, Some(TextEncoding::Utf8)).map(|_| ()),
    }
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
