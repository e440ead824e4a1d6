//! The composition root: configuration, the HTTP server, the merged GraphQL schema and the
//! `wspolnota` command line.

pub mod cli;
mod demo;
mod eservices;
mod graphql;
mod http;
mod registry;
mod secrets;
pub mod settings;
mod state;
mod telemetry;

pub use graphql::{AppSchema, build_schema};
pub use state::AppState;
