//! Notifications: what the tenant's outbox holds is delivered once, on time, in Polish, over
//! the channels the resident consented to.
//!
//! - [`channel`]: the contract every channel implements.
//! - [`channels`]: e-mail (SMTP, or `.eml` files when no relay is configured), SMSAPI.pl SMS
//!   and voice.
//! - [`consents`]: who may be reached on which channel, since when, on whose word.
//! - [`dunning_pdf`]: the printable dunning notice (upomnienie).
//! - [`engine`]: outbox events planned into messages, delivered with retries.
//! - [`templates`]: the Polish message templates, versioned.

pub mod account_mail;
pub mod channel;
pub mod channels;
pub mod consents;
pub mod dunning;
pub mod dunning_pdf;
pub mod engine;
pub mod entity;
pub mod templates;

pub use channel::{Attachment, Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};

pub mod graphql;
pub mod routes;

use async_trait::async_trait;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{EService, Permission, Role};

pub use engine::Notify;
pub use graphql::{NotifyMutationRoot, NotifyQueryRoot};

pub const ID_: &str = "notifications";

/// The notifications e-service as the server registers it.
pub struct NotifyService(pub Notify);

const PERMISSIONS: &[Permission] = &[Permission {
    name: "notifications.manage",
    description: "See messages to residents and their statuses, resend, record consents",
    granted_to: &[
        Role::Clerk(wspolnota_core::ClerkScope::Finance),
        Role::TenantAdmin,
    ],
}];

#[async_trait]
impl EService for NotifyService {
    fn id(&self) -> &'static str {
        ID_
    }

    fn title(&self) -> &'static str {
        "Powiadomienia"
    }

    fn tenant_migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        wspolnota_migrations::tenant::notify()
    }

    fn routes(&self) -> axum::Router {
        routes::router()
    }

    fn permissions(&self) -> &'static [Permission] {
        PERMISSIONS
    }

    fn validate_config(&self, config: &TenantConfig) -> Result<(), (String, String)> {
        let n = &config.notifications;
        if n.quiet_until_hour > 23
            || n.quiet_from_hour > 24
            || n.quiet_until_hour >= n.quiet_from_hour
        {
            return Err((
                "notifications.quiet_until_hour".into(),
                "quiet hours must leave a daytime window: 0 ≤ quiet_until_hour < quiet_from_hour ≤ 24".into(),
            ));
        }
        if let Some(d) = n.reminder_days_before.iter().find(|d| **d > 60) {
            return Err((
                "notifications.reminder_days_before".into(),
                format!("{d} days is too early for a reminder (at most 60)"),
            ));
        }
        for (field, var) in [
            ("notifications.smtp_url_env", &n.smtp_url_env),
            ("notifications.smsapi_token_env", &n.smsapi_token_env),
        ] {
            if let Some(var) = var
                && (var.is_empty()
                    || !var
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            {
                return Err((
                    field.into(),
                    "is not an environment-variable name (A-Z, 0-9 and _); secrets are configured by name only".into(),
                ));
            }
        }
        Ok(())
    }
}
