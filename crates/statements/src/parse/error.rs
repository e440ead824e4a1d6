//! The one error type of the parsers: where (file, line, field) and what.

use std::fmt;

/// A parse error. Every error names the file, the 1-based source line and the field
/// (e.g. `:61: amount`, `Ntry/Amt`), so an operator can find the bad spot in the bank's file.
///
/// `Display`: `{file}:{line}: {field}: {message}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    /// The file name given by the caller.
    pub file: String,
    /// 1-based line in the source file (0 when the file is empty).
    pub line: u32,
    /// The field: an MT940 tag with a part (`:61: amount`) or a camt path (`Ntry/Amt`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(
        file: &str,
        line: u32,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

impl std::error::Error for ParseError {}
