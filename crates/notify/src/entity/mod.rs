//! sea-orm entities of the notifications tables (see `migrations/src/tenant`).

pub mod action;
pub mod message;
pub mod outbox;
