//! The e-services compiled into this build. Each is a crate implementing
//! `wspolnota_core::EService`; its GraphQL roots are merged in `graphql/mod.rs`.

use std::sync::Arc;

use wspolnota_core::EService;
use wspolnota_finance::{Finance, FinanceService};
use wspolnota_payments::{Payments, PaymentsService};

/// Their ids: what a tenant may list under `e_services`.
pub fn ids() -> Vec<&'static str> {
    vec![
        wspolnota_finance::graphql::ID_,
        wspolnota_payments::routes::ID_,
    ]
}

/// Every compiled-in e-service, in a fixed order.
pub fn build(finance: &Finance, payments: &Payments) -> Vec<Arc<dyn EService>> {
    vec![
        Arc::new(FinanceService(finance.clone())),
        Arc::new(PaymentsService(payments.clone())),
    ]
}
