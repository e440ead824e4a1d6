//! `cargo +nightly fuzz run fuzz_mt940` (from crates/statements): the MT940 parser must not
//! panic, must stop after its first error, and must accept what the PKO writer produces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wspolnota_statements::parse::{
    FormatHint, ParseOptions, TextEncoding, events, parse_all, write_mt940_pko,
};

fuzz_target!(|data: &[u8]| {
    for encoding in [
        None,
        Some(TextEncoding::Utf8),
        Some(TextEncoding::Windows1250),
        Some(TextEncoding::Iso8859_2),
        Some(TextEncoding::Cp852),
    ] {
        let options = ParseOptions {
            format: FormatHint::Mt940,
            encoding,
        };
        if let Ok(iter) = events("fuzz.sta", data, &options) {
            let mut failed = false;
            for event in iter {
                assert!(!failed, "event after an error");
                failed = event.is_err();
            }
        }
        if let Ok(statements) = parse_all("fuzz.sta", data, &options) {
            for statement in &statements {
                let _ = write_mt940_pko(statement, TextEncoding::Iso8859_2);
            }
        }
    }
});
