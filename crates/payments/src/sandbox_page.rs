//! The sandbox gateway's payment page.
