//! Fuzz target: the Java `.properties` reader over arbitrary file bytes (UTF-8 or not).
//! Never a panic; what it reads comes with 1-based, non-decreasing line numbers, and a
//! malformed file is an error that names the file on one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match kafka_merge_purge_core::config::parse_properties(bytes) {
        Ok(properties) => {
            let mut last = 1;
            for (_key, _value, line) in &properties {
                assert!(*line >= last, "line numbers go back: {properties:?}");
                last = *line;
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("<fuzz input>"), "{message}");
        }
    }
});
