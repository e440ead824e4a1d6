//! E-mail over SMTP (lettre), or `.eml` files when no relay is configured.
//!
//! Every message carries `Message-ID: <message id>@wspolnota`, so a message resent after an
//! unknown outcome is recognisable as the same one (by the relay's duplicate filter, by the
//! resident's mail client, and in the `.eml` directory, where it overwrites its own file).
//!
//! Neither bodies nor credentials are ever logged: the relay URL may hold a password, so it
//! is shown only redacted (`smtp://user:***@host:587`) in `Debug` and in errors.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, Message};

use super::smtp_relay::{RelayAddress, SendError, SmtpRelay};
use crate::channel::{Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};

/// The environment variable naming the platform-wide default relay, e.g. `smtp://127.0.0.1:2525`.
pub const SMTP_URL_ENV: &str = "SMTP_URL";

/// The domain part of every Message-ID we generate.
pub const MESSAGE_ID_DOMAIN: &str = "wspolnota";

/// The platform-wide default relay from `SMTP_URL`; `None` when unset or blank (then e-mail is
/// written as `.eml` files).
pub fn smtp_url_from_env() -> Option<String> {
    std::env::var(SMTP_URL_ENV)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// Where e-mail goes.
#[derive(Clone, PartialEq, Eq)]
pub enum EmailConfig {
    /// An SMTP relay, in the URL form lettre's `AsyncSmtpTransport::from_url` understands:
    /// `smtp://host:25`, `smtps://host:465`, `smtp://user:pass@host:587?tls=required`.
    /// `timeout` bounds each SMTP step (connecting included).
    Smtp { url: String, timeout: Duration },
    /// No relay: each message is written as `<dir>/<message id>.eml`.
    Files { dir: PathBuf },
}

impl EmailConfig {
    /// SMTP with a 30-second command timeout.
    pub fn smtp(url: impl Into<String>) -> Self {
        Self::Smtp {
            url: url.into(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smtp { url, timeout } => f
                .debug_struct("Smtp")
                .field("url", &redact_url(url))
                .field("timeout", timeout)
                .finish(),
            Self::Files { dir } => f.debug_struct("Files").field("dir", dir).finish(),
        }
    }
}

/// The URL with its password (if any) replaced by `***`; an unparseable URL is not shown at
/// all, since we cannot tell where its password is.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
                return "<SMTP URL hidden>".to_owned();
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable SMTP URL hidden>".to_owned(),
    }
}

/// Every form in which a URL's password could surface in an error message.
fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password()
        && !password.is_empty()
    {
        secrets.push(password.to_owned());
        let decoded = percent_decode(password);
        if decoded != password {
            secrets.push(decoded);
        }
    }
    secrets
}

/// `%XX` sequences decoded (lossily, as UTF-8): how lettre hands the password to the server.
pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

enum Transport {
    Smtp {
        relay: Box<SmtpRelay>,
        /// For `Debug` and errors.
        redacted_url: String,
        /// Scrubbed from every error message, should a library ever echo it.
        secrets: Vec<String>,
    },
    Files {
        dir: PathBuf,
    },
}

/// The e-mail channel.
pub struct Email {
    transport: Transport,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.transport {
            Transport::Smtp { redacted_url, .. } => f
                .debug_struct("Email")
                .field("smtp", redacted_url)
                .finish_non_exhaustive(),
            Transport::Files { dir } => f.debug_struct("Email").field("files", dir).finish(),
        }
    }
}

impl Email {
    /// Sets the channel up without connecting: a relay that is down shows as a temporary
    /// failure of the first send, not as a start-up error. A URL we do not understand is a
    /// `Technical` error (our configuration is wrong). The SMTP session opened by the first
    /// send is kept for the next ones.
    pub fn new(config: EmailConfig) -> Result<Self, ChannelError> {
        let transport = match config {
            EmailConfig::Smtp { url, timeout } => {
                let redacted_url = redact_url(&url);
                let secrets = secrets_of(&url);
                let address = RelayAddress::parse(&url).map_err(|e| {
                    ChannelError::Technical(scrub(
                        &format!("invalid SMTP URL {redacted_url}: {e}"),
                        &secrets,
                    ))
                })?;
                Transport::Smtp {
                    relay: Box::new(SmtpRelay::new(address, timeout)),
                    redacted_url,
                    secrets,
                }
            }
            EmailConfig::Files { dir } => Transport::Files { dir },
        };
        Ok(Self { transport })
    }

    /// `SMTP_URL` when set, else `.eml` files in `files_dir`.
    pub fn from_env(files_dir: impl Into<PathBuf>) -> Result<Self, ChannelError> {
        match smtp_url_from_env() {
            Some(url) => Self::new(EmailConfig::smtp(url)),
            None => Self::new(EmailConfig::Files {
                dir: files_dir.into(),
            }),
        }
    }
}

#[async_trait]
impl Channel for Email {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, ChannelError> {
        let email = build_message(message)?;
        match &self.transport {
            Transport::Smtp {
                relay,
                redacted_url,
                secrets,
            } => match relay.send(email.envelope(), &email.formatted()).await {
                Ok(reply) => {
                    tracing::debug!(message_id = %message.id, "e-mail accepted by the relay");
                    Ok(SendOutcome::Delivered {
                        provider_id: (!reply.is_empty()).then_some(reply),
                    })
                }
                Err(error) => {
                    let mapped = map_send_error(&error, redacted_url, secrets);
                    tracing::warn!(message_id = %message.id, error = %mapped, "e-mail not sent");
                    Err(mapped)
                }
            },
            Transport::Files { dir } => {
                let path = write_eml(dir, message, &email.formatted()).await?;
                tracing::debug!(message_id = %message.id, path = %path.display(), "e-mail written as a file");
                Ok(SendOutcome::Delivered {
                    provider_id: path.file_name().map(|n| n.to_string_lossy().into_owned()),
                })
            }
        }
    }
}

/// The Message-ID header's value for our message id.
pub fn message_id_header(id: uuid::Uuid) -> String {
    format!("<{id}@{MESSAGE_ID_DOMAIN}>")
}

/// Builds the MIME message: text (or text + HTML as multipart/alternative), wrapped in
/// multipart/mixed with the attachments when there are any.
///
/// A malformed recipient address is a `Permanent` failure: it is the resident's address
/// as stored, no retry can make it deliverable, and it is exactly GOV.UK Notify's
/// "permanent-failure" case (the address must be corrected, then a new message sent).
/// A malformed sender address or attachment type is ours to fix: `Technical`.
fn build_message(message: &OutgoingMessage) -> Result<Message, ChannelError> {
    let to: Address = message
        .to
        .trim()
        .parse()
        .map_err(|e| ChannelError::Permanent(format!("invalid recipient address: {e}")))?;
    let from: Address = message
        .sender
        .trim()
        .parse()
        .map_err(|e| ChannelError::Technical(format!("invalid sender address: {e}")))?;
    let sender_name = message.sender_name.trim();
    let from = Mailbox::new(
        (!sender_name.is_empty()).then(|| sender_name.to_owned()),
        from,
    );

    let text_part = SinglePart::plain(message.text.clone());
    let mut attachments = Vec::with_capacity(message.attachments.len());
    for attachment in &message.attachments {
        let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
            ChannelError::Technical(format!(
                "invalid content type of attachment {:?}: {e}",
                attachment.filename
            ))
        })?;
        attachments.push(
            lettre::message::Attachment::new(attachment.filename.clone())
                .body(attachment.bytes.clone(), content_type),
        );
    }

    let builder = Message::builder()
        .from(from)
        .to(Mailbox::new(None, to))
        .subject(message.subject.clone())
        .message_id(Some(message_id_header(message.id)))
        .date_now();

    let built = match (&message.html, attachments.is_empty()) {
        (None, true) => builder.singlepart(text_part),
        (Some(html), true) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text_part)
                .singlepart(SinglePart::html(html.clone())),
        ),
        (html, false) => {
            let mut mixed = match html {
                None => MultiPart::mixed().singlepart(text_part),
                Some(html) => MultiPart::mixed().multipart(
                    MultiPart::alternative()
                        .singlepart(text_part)
                        .singlepart(SinglePart::html(html.clone())),
                ),
            };
            for attachment in attachments {
                mixed = mixed.singlepart(attachment);
            }
            builder.multipart(mixed)
        }
    };
    built.map_err(|e| ChannelError::Technical(format!("cannot build the e-mail: {e}")))
}

/// Maps a failed send onto the engine's three kinds: lettre's SMTP errors as below, a step
/// that timed out or a connection that could not be opened as `Temporary`, TLS parameters we
/// cannot build as `Technical`.
fn map_send_error(error: &SendError, redacted_url: &str, secrets: &[String]) -> ChannelError {
    match error {
        SendError::Smtp(e) => map_smtp_error(e, redacted_url, secrets),
        SendError::TimedOut(step) => ChannelError::Temporary(format!(
            "SMTP relay {redacted_url}: no answer to {step} in time"
        )),
        SendError::Network(e) => ChannelError::Temporary(scrub(
            &format!("SMTP relay {redacted_url}: cannot connect: {e}"),
            secrets,
        )),
        SendError::Tls(e) => ChannelError::Technical(scrub(
            &format!("SMTP relay {redacted_url}: TLS: {e}"),
            secrets,
        )),
    }
}

/// Maps lettre's SMTP error onto the engine's three kinds.
///
/// - 4xx replies, refused/reset connections, network errors and timeouts: `Temporary`.
/// - 5xx replies about the recipient or the message (550 mailbox unavailable, 551, 552,
///   553 mailbox name not allowed, 554 transaction failed…): `Permanent`.
/// - 5xx replies that mean our side is wrong: 500–504 (syntax, command not implemented,
///   bad sequence) and 530/534/535/538 (authentication required or failed): `Technical`.
/// - TLS failures, internal client errors, a shut-down transport: `Technical`.
fn map_smtp_error(error: &SmtpError, redacted_url: &str, secrets: &[String]) -> ChannelError {
    let text = scrub(&format!("SMTP relay {redacted_url}: {error}"), secrets);
    if let Some(code) = error.status() {
        let code = u16::from(code);
        return match code {
            400..=499 => ChannelError::Temporary(text),
            500..=504 | 530 | 534 | 535 | 538 => ChannelError::Technical(text),
            _ => ChannelError::Permanent(text),
        };
    }
    if error.is_timeout() || error.is_response() {
        return ChannelError::Temporary(text);
    }
    if error.is_tls() || error.is_client() || error.is_transport_shutdown() {
        return ChannelError::Technical(text);
    }
    // Connection and network errors: the relay is down, unreachable or reset the connection.
    ChannelError::Temporary(text)
}

/// Removes every secret from a message meant for logs and the outbox.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, secret| {
            acc.replace(secret.as_str(), "***")
        })
}

/// Writes `<dir>/<id>.eml` atomically: the bytes go to a temporary file in the same directory,
/// are synced, and the file is renamed over the final name. A crash leaves either no file or
/// a whole one (plus at worst a stray temporary file); sending the same id again replaces it.
async fn write_eml(
    dir: &Path,
    message: &OutgoingMessage,
    bytes: &[u8],
) -> Result<PathBuf, ChannelError> {
    use tokio::io::AsyncWriteExt;

    let technical = |what: &str, e: std::io::Error| {
        ChannelError::Technical(format!("cannot {what} in {}: {e}", dir.display()))
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| technical("create the e-mail directory", e))?;
    let path = dir.join(format!("{}.eml", message.id));
    let tmp = dir.join(format!(".{}.eml.{}.tmp", message.id, uuid::Uuid::new_v4()));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(technical("write the e-mail file", e));
    }
    Ok(path)
}
