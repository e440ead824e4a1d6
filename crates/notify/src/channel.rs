//! The contract every delivery channel implements. A channel sends one message and says what
//! became of it; it never decides about retries (the delivery engine does, from the error's
//! kind), and it uses the message's own id as the provider's idempotency key where the
//! provider has one, so a retry after an unknown outcome does not send twice.

use async_trait::async_trait;
use uuid::Uuid;

/// How a message reaches the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Sms,
    Voice,
    Epuap,
}

impl ChannelKind {
    pub const ALL: [Self; 4] = [Self::Email, Self::Sms, Self::Voice, Self::Epuap];

    /// The kind its [`as_str`](Self::as_str) name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Epuap => "epuap",
        }
    }
}

/// A file sent with an e-mail (e.g. the dunning notice's PDF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One message, rendered and addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Our message id: SMSAPI's `idx`, the e-mail's Message-ID, the `.eml` file name.
    pub id: Uuid,
    /// An e-mail address, or a phone number in E.164 (`+48…`) for SMS and voice.
    pub to: String,
    /// The sender's display name (the municipality), e.g. "Urząd Miasta Zamość".
    pub sender_name: String,
    /// E-mail: the sender address; SMS: the registered sender name (e.g. "ZAMOSC").
    pub sender: String,
    /// E-mail subject (ignored by SMS and voice).
    pub subject: String,
    /// The plain text: the SMS, the words the voice reads, the e-mail's text part.
    pub text: String,
    /// The e-mail's HTML part.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// What the provider did with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Handed over for good (an SMTP relay accepted it, a file was written).
    Delivered { provider_id: Option<String> },
    /// Accepted; a delivery report will follow (SMSAPI's callback).
    Sending { provider_id: String },
}

/// Why a message was not sent, in GOV.UK Notify's terms: the engine retries temporary and
/// technical failures with backoff, and never retries a permanent one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The provider is busy, down or timed out: try again later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The recipient cannot receive it (no such number, mailbox refused): do not retry.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Our side is wrong (credentials, configuration): retry after it is fixed.
    #[error("technical failure: {0}")]
    Technical(String),
}

#[async_trait]
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;

    async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, ChannelError>;
}
