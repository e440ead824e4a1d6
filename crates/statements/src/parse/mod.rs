//! Statement parsers: MT940/MT942 in the dialects Polish banks send, and camt.053.
