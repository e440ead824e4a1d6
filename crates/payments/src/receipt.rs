//! The resident's receipt for a succeeded payment, as printable HTML.
