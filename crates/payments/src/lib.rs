//! Online payments. Gateways are adapters behind one contract ([`PaymentGateway`]): they build
//! requests and read answers; the shared [`HttpExecutor`] sends them (timeouts, retries of
//! idempotent calls, tracing and metrics without bodies). Each gateway module holds its wire
//! types and an exhaustive mapping of its statuses onto [`ProviderStatus`].
//!
//! On top of them, the `payments` e-service ([`service`], [`graphql`], [`routes`]): starting
//! a payment of selected installments, the notification inbox, settlement on the finance
//! ledger, the sweeper, refunds and receipts.

pub mod config;
pub mod entity;
pub mod gateway;
pub mod gateways;
pub mod graphql;
pub mod http_executor;
pub mod receipt;
pub mod routes;
pub mod sandbox_page;
pub mod service;
pub mod state;

use async_trait::async_trait;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{EService, Permission, Role};

pub use gateway::{
    GatewayError, GatewayKind, NextAction, Notification, PaymentGateway, PaymentRequest,
    ProviderStatus, RefundOutcome,
};
pub use graphql::{PaymentsMutationRoot, PaymentsQueryRoot, PaymentsSubscriptionRoot};
pub use http_executor::HttpExecutor;
pub use service::Payments;

/// The payments e-service as the server registers it.
pub struct PaymentsService(pub Payments);

const PERMISSIONS: &[Permission] = &[
    Permission {
        name: "payments.pay_own",
        description: "Pay one's own obligations online and see those payments",
        granted_to: &[Role::Resident],
    },
    Permission {
        name: "payments.manage",
        description: "See every online payment, refund payments, run the sweeper",
        granted_to: &[
            Role::Clerk(wspolnota_core::ClerkScope::Finance),
            Role::TenantAdmin,
        ],
    },
];

#[async_trait]
impl EService for PaymentsService {
    fn id(&self) -> &'static str {
        routes::ID_
    }

    fn title(&self) -> &'static str {
        "Płatności online"
    }

    fn tenant_migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        wspolnota_migrations::tenant::payments()
    }

    fn routes(&self) -> axum::Router {
        routes::router(self.0.clone())
    }

    fn permissions(&self) -> &'static [Permission] {
        PERMISSIONS
    }

    fn validate_config(&self, config: &TenantConfig) -> Result<(), (String, String)> {
        if !config.e_services.iter().any(|e| e == "finance") {
            return Err((
                "e_services".into(),
                "payments settle what the finance e-service assesses: enable `finance` too".into(),
            ));
        }
        config::PaymentsConfig::from_table(&config.payments)
            .map(|_| ())
            .map_err(|e| (e.field, e.message))
    }
}
