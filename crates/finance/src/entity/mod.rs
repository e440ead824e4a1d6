//! sea-orm entities of the finance tables (see `migrations/src/tenant`). Money columns hold grosze.

pub mod access_code;
pub mod allocation;
pub mod consent;
pub mod cost;
pub mod installment;
pub mod kind;
pub mod ledger_account;
pub mod ledger_entry;
pub mod ledger_line;
pub mod obligation;
pub mod party;
pub mod party_link;
pub mod payment;
pub mod virtual_account;
