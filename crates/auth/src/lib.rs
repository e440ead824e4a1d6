pub mod jwt;
pub mod oidc;
pub mod password;
pub mod refresh;
