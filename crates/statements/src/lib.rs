//! Bank statements: what the municipality's bank sends, read exactly ([`parse`]), every credit
//! matched to a party or a gateway payout and posted on the finance ledger ([`service`]), with
//! the clerk's GraphQL ([`graphql`]).

pub mod entity;
pub mod graphql;
pub mod parse;
pub mod service;

use async_trait::async_trait;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{EService, Permission, Role};

pub use graphql::{StatementsMutationRoot, StatementsQueryRoot};
pub use service::Statements;

pub const ID_: &str = "statements";

/// The statements e-service as the server registers it.
pub struct StatementsService(pub Statements);

const PERMISSIONS: &[Permission] = &[Permission {
    name: "statements.manage",
    description: "Import bank statements, resolve unidentified receipts, undo imports, reconcile",
    granted_to: &[
        Role::Clerk(wspolnota_core::ClerkScope::Finance),
        Role::TenantAdmin,
    ],
}];

#[async_trait]
impl EService for StatementsService {
    fn id(&self) -> &'static str {
        ID_
    }

    fn title(&self) -> &'static str {
        "Wyciągi bankowe"
    }

    fn tenant_migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        wspolnota_migrations::tenant::statements()
    }

    fn permissions(&self) -> &'static [Permission] {
        PERMISSIONS
    }

    fn validate_config(&self, config: &TenantConfig) -> Result<(), (String, String)> {
        for needed in ["finance", "payments"] {
            if !config.e_services.iter().any(|e| e == needed) {
                return Err((
                    "e_services".into(),
                    format!(
                        "statements post what finance assesses and settle payments' payouts: enable `{needed}` too"
                    ),
                ));
            }
        }
        if config.bank_accounts.is_empty() {
            return Err((
                "bank_accounts".into(),
                "statements are imported for the municipality's own bank accounts: list them"
                    .into(),
            ));
        }
        Ok(())
    }
}
