//! One module per channel.

pub mod email;
pub mod smsapi;
mod smtp_relay;
