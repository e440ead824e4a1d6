//! The delivery engine. Business changes write events into the tenant's outbox in their own
//! transaction (`wspolnota_core::outbox`); the engine then
//!
//! 1. [`plan`]s each event: renders a message per channel the party consented to (one per
//!    event and channel, guaranteed by a unique key) and marks the event planned — in one
//!    transaction;
//! 2. [`deliver`]s messages: claims due ones with a lease (`FOR UPDATE SKIP LOCKED` on
//!    PostgreSQL; SQLite's single writer does the same), sends each through its channel and
//!    records the outcome with GOV.UK Notify's statuses; temporary and technical failures are
//!    retried with backoff. A message is sent only while it is unsent: a claim that a crash
//!    abandoned expires and the message is claimed again, never sent twice by us; SMSAPI's
//!    `idx` guards the window between a provider's acceptance and our record of it.

pub mod deliver;
pub mod plan;
pub mod reminders;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wspolnota_core::{AppError, AppResult, Ctx};
use wspolnota_finance::Finance;

use crate::channel::{Channel, ChannelKind};
use crate::channels::email::{Email, EmailConfig};
use crate::channels::smsapi::{SmsApi, SmsApiConfig};

/// Reads an environment variable (secrets); tests pass their own.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The notifications e-service's shared state; cheap to clone.
#[derive(Clone)]
pub struct Notify {
    pub finance: Finance,
    env: EnvLookup,
    /// `.eml` files go under `<mail_dir>/<tenant>/` when no SMTP relay is configured.
    mail_dir: PathBuf,
}

impl Notify {
    pub fn new(finance: Finance, env: EnvLookup, mail_dir: PathBuf) -> Self {
        Self {
            finance,
            env,
            mail_dir,
        }
    }

    /// The tenant's channel of `kind`, or None where the tenant has none (no SMS provider).
    pub fn channel(&self, ctx: &Ctx, kind: ChannelKind) -> AppResult<Option<Box<dyn Channel>>> {
        let tenant = ctx.tenant()?;
        let cfg = &tenant.config().notifications;
        let technical = |e: crate::channel::ChannelError| {
            AppError::internal(std::io::Error::other(e.to_string()))
        };
        Ok(match kind {
            ChannelKind::Email => {
                let relay = cfg
                    .smtp_url_env
                    .as_deref()
                    .and_then(|var| (self.env)(var))
                    .or_else(|| (self.env)("SMTP_URL"))
                    .filter(|u| !u.trim().is_empty());
                let config = match relay {
                    Some(url) => EmailConfig::Smtp {
                        url,
                        timeout: Duration::from_secs(20),
                    },
                    None => EmailConfig::Files {
                        dir: self.mail_dir.join(tenant.slug().as_str()),
                    },
                };
                Some(Box::new(Email::new(config).map_err(technical)?))
            }
            ChannelKind::Sms | ChannelKind::Voice => {
                let Some(token) = cfg.smsapi_token_env.as_deref().and_then(|v| (self.env)(v))
                else {
                    return Ok(None);
                };
                let mut config =
                    SmsApiConfig::new(token, cfg.sms_sender.clone().unwrap_or_default());
                if let Some(url) = &cfg.smsapi_url {
                    config.base_url = url::Url::parse(url).map_err(|e| {
                        AppError::internal(std::io::Error::other(format!(
                            "notifications.smsapi_url: {e}"
                        )))
                    })?;
                }
                config.test_mode = cfg.sms_test_mode;
                config.normalize = cfg.sms_normalize;
                let channel = if kind == ChannelKind::Sms {
                    SmsApi::sms(config)
                } else {
                    SmsApi::voice(config)
                };
                Some(Box::new(channel.map_err(technical)?))
            }
            // The ePUAP adapter comes with its own issue; its slot exists.
            ChannelKind::Epuap => None,
        })
    }
}

/// The municipality's name as messages sign them.
pub(crate) fn office(ctx: &Ctx) -> AppResult<String> {
    let tenant = ctx.tenant()?;
    let cfg = tenant.config();
    Ok(cfg
        .notifications
        .sender_name
        .clone()
        .unwrap_or_else(|| cfg.name.clone()))
}
