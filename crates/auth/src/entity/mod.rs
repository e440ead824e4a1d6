//! sea-orm entities of the platform's account tables (see `migrations/src/platform`).

pub mod account;
pub mod account_role;
pub mod account_token;
pub mod oidc_identity;
pub mod refresh_token;
