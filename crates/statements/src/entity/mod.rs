//! sea-orm entities of the statements tables (see `migrations/src/tenant`). Money in grosze.

pub mod import;
pub mod line;
pub mod payer_account;
pub mod seen;
pub mod statement;
