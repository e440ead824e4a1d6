//! E-mail over SMTP (lettre), or `.eml` files when no relay is configured.
