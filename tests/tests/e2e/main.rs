//! End-to-end tests: each test starts the real `wspolnota` binary (see `wspolnota_e2e`) and
//! talks to it over HTTP with `Host` headers, on SQLite or, with `DATABASE_URL` (and
//! `REDIS_URL`) set, on PostgreSQL and Redis.

// Tests: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod browser;
mod cli;
mod http;
mod isolation;
mod mail;
mod notifications;
mod oidc;
mod payments;
mod platform;
mod portal;
mod statements;
mod tenants;

#[path = "../../../crates/notify/tests/support/smtp.rs"]
mod smtp;
