//! Accounts and authentication: argon2id passwords, JWT access tokens (audience = tenant),
//! rotating refresh tokens stored hashed, and OIDC authorization-code + PKCE sign-in against
//! each tenant's identity provider.

pub mod email_tokens;
pub mod entity;
pub mod jwt;
pub mod oidc;
pub mod password;
pub mod purge;
pub mod refresh;
mod service;

pub use email_tokens::TokenPurpose;
pub use purge::Purged;
pub use service::{AccountView, AuthSecrets, AuthService, AuthSettings, OidcSignIn, TokenPair};
