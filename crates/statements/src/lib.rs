//! Bank statements: what the municipality's bank sends, read exactly ([`parse`]), every credit
//! matched to a party and posted on the finance ledger.

pub mod parse;
