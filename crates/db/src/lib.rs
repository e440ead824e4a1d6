//! Storage backends behind the core's `TenantDb`: PostgreSQL with one schema per tenant on a
//! shared, bounded pool, or SQLite with one file per tenant; plus the migration runner and the
//! Redis-or-in-process key-value store.

mod kv;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use kv::{RedisKv, connect_kv};
pub use store::{DbSettings, Store};
