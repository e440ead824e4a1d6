//! The one GraphQL schema. Core roots and each e-service's namespaced roots are merged here
//! at compile time; per-tenant enablement is a guard plus a visibility condition on each
//! e-service's namespace field (`wspolnota_core::graphql`).

pub(crate) mod auth;
mod platform;
mod tenant;

use async_graphql::{MergedObject, Schema};
use wspolnota_finance::{FinanceMutationRoot, FinanceQueryRoot};
use wspolnota_notify::{NotifyMutationRoot, NotifyQueryRoot};
use wspolnota_payments::{PaymentsMutationRoot, PaymentsQueryRoot, PaymentsSubscriptionRoot};
use wspolnota_statements::{StatementsMutationRoot, StatementsQueryRoot};

use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(
    tenant::TenantQuery,
    auth::MeQuery,
    platform::PlatformQueryRoot,
    FinanceQueryRoot,
    PaymentsQueryRoot,
    StatementsQueryRoot,
    NotifyQueryRoot,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutationRoot,
    platform::PlatformMutationRoot,
    FinanceMutationRoot,
    PaymentsMutationRoot,
    StatementsMutationRoot,
    NotifyMutationRoot,
);

pub type Subscription = PaymentsSubscriptionRoot;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Query depth and complexity limits keep one request from costing the server much.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 500;

pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY);
    match state {
        Some(state) => builder
            .data(state.finance.clone())
            .data(state.payments.clone())
            .data(state.statements.clone())
            .data(state)
            .finish(),
        None => builder.finish(),
    }
}

/// The SDL committed as `graphql/schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

fn state<'a>(gql: &async_graphql::Context<'a>) -> async_graphql::Result<&'a AppState> {
    gql.data::<AppState>()
}

pub use auth::ClientAddr;
