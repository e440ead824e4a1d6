//! Online payments. Gateways are adapters behind one contract ([`PaymentGateway`]): they build
//! requests and read answers; the shared [`HttpExecutor`] sends them (timeouts, retries of
//! idempotent calls, tracing and metrics without bodies). Each gateway module holds its wire
//! types and an exhaustive mapping of its statuses onto [`ProviderStatus`].

pub mod config;
pub mod gateway;
pub mod gateways;
pub mod http_executor;
pub mod receipt;
pub mod sandbox_page;
pub mod state;

pub use gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
pub use http_executor::HttpExecutor;
