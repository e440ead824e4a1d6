//! Account e-mails: the link that confirms an address, the link that sets a new password.
//!
//! Accounts are not parties, so these messages skip the outbox and its planning (consents,
//! party addresses): a message for the account's own address is written straight into
//! `notify_messages`, where the delivery engine sends it like any other e-mail. They are
//! transactional — asked for by the resident, about the account — so no consent applies.
//!
//! The link carries a one-time token. It is written only into the message body (never into
//! the subject or a log line), and the body is replaced once the message is sent, so the
//! token does not stay in the tenant's database (see `engine::deliver::record`).

use std::collections::HashMap;

use sea_orm::{ActiveModelTrait, ConnectionTrait};
use wspolnota_core::value::Email;
use wspolnota_core::{AppError, AppResult, Ctx, TenantDb};

use crate::channel::ChannelKind;
use crate::engine::office;
use crate::engine::plan::{Draft, new_message};
use crate::templates;

/// Message kind of the address-confirmation e-mail.
pub const VERIFY_EMAIL_KIND: &str = "account.verify_email";
/// Message kind of the password-reset e-mail.
pub const RESET_PASSWORD_KIND: &str = "account.reset_password";

/// What a sent account e-mail's body becomes: the link is gone, the kind of message stays.
pub const REDACTED_BODY: &str =
    "(Treść usunięta po wysłaniu: zawierała jednorazowy link do konta.)";

/// An account e-mail and the link it carries (built by the caller on the tenant's own host,
/// token included).
#[derive(Clone, PartialEq, Eq)]
pub enum AccountMail {
    VerifyEmail { link: String },
    ResetPassword { link: String },
}

impl std::fmt::Debug for AccountMail {
    // The link holds a live token: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

impl AccountMail {
    /// The message kind (`notify_messages.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => VERIFY_EMAIL_KIND,
            Self::ResetPassword { .. } => RESET_PASSWORD_KIND,
        }
    }

    fn template_id(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => "account_verify_email",
            Self::ResetPassword { .. } => "account_reset_password",
        }
    }

    fn link(&self) -> &str {
        match self {
            Self::VerifyEmail { link } | Self::ResetPassword { link } => link,
        }
    }
}

/// Whether `kind` is an account e-mail, whose body is redacted once sent.
pub fn is_account_mail(kind: &str) -> bool {
    kind == VERIFY_EMAIL_KIND || kind == RESET_PASSWORD_KIND
}

/// Fails unless this tenant delivers e-mail (the notifications e-service is on). Callers that
/// must not reveal whether an account exists check this before looking the account up.
pub fn ensure_available(ctx: &Ctx) -> AppResult<()> {
    if ctx.tenant()?.has_eservice(crate::ID_) {
        Ok(())
    } else {
        Err(AppError::not_found(
            "this municipality does not send e-mail from the platform (notifications are off)",
        ))
    }
}

/// Writes the e-mail for `to` inside the caller's transaction (`&*tenant_tx`); the
/// notifications worker sends it within seconds.
pub async fn enqueue_account_mail<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    to: &str,
    mail: AccountMail,
) -> AppResult<()> {
    ensure_available(ctx)?;
    let to = Email::parse(to).map_err(|e| AppError::invalid("email", e))?;
    let overrides = &ctx.tenant()?.config().notifications.templates;
    let template = templates::resolve(overrides, mail.template_id(), ChannelKind::Email)
        .ok_or_else(|| {
            AppError::internal(std::io::Error::other(format!(
                "no e-mail template {}",
                mail.template_id()
            )))
        })?;
    let values: HashMap<&str, String> =
        [("urzad", office(ctx)?), ("link", mail.link().to_owned())].into();
    let render = |text: &str| {
        templates::render(&template, text, &values)
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))
    };
    let draft = Draft {
        channel: ChannelKind::Email,
        recipient: to.as_str().to_owned(),
        subject: render(&template.subject)?,
        body: render(&template.body)?,
        template,
    };
    let message = new_message(ctx, None, mail.kind(), None, draft)
        .insert(db)
        .await?;
    tracing::info!(message = %message.id, kind = mail.kind(), "account e-mail queued");
    Ok(())
}

/// [`enqueue_account_mail`] in a transaction of its own.
pub async fn send_account_mail(ctx: &Ctx, to: &str, mail: AccountMail) -> AppResult<()> {
    let tx = TenantDb::begin(ctx).await?;
    enqueue_account_mail(&*tx, ctx, to, mail).await?;
    tx.commit().await?;
    Ok(())
}
