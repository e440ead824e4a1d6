//! One module per gateway.
pub mod paybynet;
pub mod paypal;
pub mod payu;
pub mod przelewy24;
pub mod sandbox;
pub mod transfer;
