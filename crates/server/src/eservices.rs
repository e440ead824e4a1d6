//! The e-services compiled into this build. Each is a crate implementing
//! `wspolnota_core::EService`; its GraphQL roots are merged in `graphql/mod.rs`.

use std::sync::Arc;

use wspolnota_core::EService;
use wspolnota_finance::{Finance, FinanceService};
use wspolnota_notify::{Notify, NotifyService};
use wspolnota_payments::{Payments, PaymentsService};
use wspolnota_statements::{Statements, StatementsService};

/// Their ids: what a tenant may list under `e_services`.
pub fn ids() -> Vec<&'static str> {
    vec![
        wspolnota_finance::graphql::ID_,
        wspolnota_payments::routes::ID_,
        wspolnota_statements::ID_,
        wspolnota_notify::ID_,
    ]
}

/// Every compiled-in e-service, in a fixed order.
pub fn build(
    finance: &Finance,
    payments: &Payments,
    statements: &Statements,
    notify: &Notify,
) -> Vec<Arc<dyn EService>> {
    vec![
        Arc::new(FinanceService(finance.clone())),
        Arc::new(PaymentsService(payments.clone())),
        Arc::new(StatementsService(statements.clone())),
        Arc::new(NotifyService(notify.clone())),
    ]
}
