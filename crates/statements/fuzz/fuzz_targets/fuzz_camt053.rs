//! `cargo +nightly fuzz run fuzz_camt053` (from crates/statements): the camt.053 parser must not
//! panic and must stop after its first error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wspolnota_statements::parse::{FormatHint, ParseOptions, events, parse_all};

fuzz_target!(|data: &[u8]| {
    for format in [FormatHint::Camt053, FormatHint::Auto] {
        let options = ParseOptions {
            format,
            encoding: None,
        };
        if let Ok(iter) = events("fuzz.xml", data, &options) {
            let mut failed = false;
            for event in iter {
                assert!(!failed, "event after an error");
                failed = event.is_err();
            }
        }
        let _ = parse_all("fuzz.xml", data, &options);
    }
});
