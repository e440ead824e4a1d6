//! The statements e-service: import a bank statement file whole or not at all, match every
//! credit, post it on the finance ledger, and let clerks resolve, undo and reconcile.
//!
//! - [`import`]: parse (streaming) → dedupe per account → match → post, in one transaction.
//! - [`matching`]: which party (or gateway payout) a credit belongs to.
//! - [`resolve`]: a clerk's decision on an unmatched line; [`payers`]: the payers clerks
//!   recognised before, suggested for the next credit from the same account.
//! - [`undo`]: an import reversed entry by entry.
//! - [`report`]: reconciliation of statements, the ledger and money in transit.

pub mod import;
pub mod matching;
pub mod payers;
pub mod report;
pub mod resolve;
pub mod title;
pub mod undo;

use wspolnota_core::{Actor, AppResult, ClerkScope, Ctx};
use wspolnota_finance::Finance;

/// The e-service's shared state; cheap to clone.
#[derive(Clone)]
pub struct Statements {
    pub finance: Finance,
    chunk_lines: usize,
}

/// Statement lines an import processes together (see [`import`]).
pub const CHUNK_LINES: usize = 2_000;

impl Statements {
    pub fn new(finance: Finance) -> Self {
        Self {
            finance,
            chunk_lines: CHUNK_LINES,
        }
    }

    /// The same, processing `lines` statement lines per chunk (at least one): tests use
    /// small chunks to put lines on both sides of a chunk boundary.
    pub fn with_chunk_lines(mut self, lines: usize) -> Self {
        self.chunk_lines = lines.max(1);
        self
    }

    pub fn chunk_lines(&self) -> usize {
        self.chunk_lines
    }
}

/// Statement work is a finance clerk's, or the platform's own (the CLI, a bank's SFTP drop).
pub(crate) fn require_clerk_or_system(ctx: &Ctx) -> AppResult<()> {
    if matches!(ctx.actor(), Actor::System) {
        ctx.tenant()?;
        return Ok(());
    }
    ctx.require_clerk(ClerkScope::Finance)
}

/// A clerk's reason for a correction: required, at most 500 characters.
pub(crate) fn reason(raw: &str) -> AppResult<&str> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(wspolnota_core::AppError::validation(
            "reason",
            "say why, in at most 500 characters",
        ));
    }
    Ok(reason)
}

/// Money as the database holds it (grosze).
pub(crate) fn grosze(m: wspolnota_core::Money) -> AppResult<i64> {
    m.to_grosze().map_err(wspolnota_core::AppError::internal)
}

/// The digits of an account number (NRB or a Polish IBAN), for comparing accounts written
/// with or without `PL`, spaces or a leading slash.
pub fn account_digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}
