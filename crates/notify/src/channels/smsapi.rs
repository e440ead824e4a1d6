//! SMSAPI.pl: SMS and voice messages.
