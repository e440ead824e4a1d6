//! One module per gateway.
