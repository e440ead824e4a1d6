//! Notifications: what the tenant's outbox holds is delivered once, on time, in Polish, over
//! the channels the resident consented to.
//!
//! - [`channel`]: the contract every channel implements.
//! - [`channels`]: e-mail (SMTP, or `.eml` files when no relay is configured), SMSAPI.pl SMS
//!   and voice.
//! - [`dunning_pdf`]: the printable dunning notice (upomnienie).

pub mod channel;
pub mod channels;
pub mod dunning_pdf;

pub use channel::{Attachment, Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};
