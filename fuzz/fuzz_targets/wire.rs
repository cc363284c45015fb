//! Fuzz target: wire-format detection over arbitrary bytes, with Confluent's 4-byte ids and
//! Apicurio's 8-byte ones, and the schema id headers of Confluent's and Apicurio's header forms. A frame gives
//! back exactly the bytes it was made of; anything else says why, on one line.
#![no_main]

use kafka_merge_purge_core::decode::wire::{self, HEADER_LEN, IdWidth, MAGIC, NotFramed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for (width, frame) in [(IdWidth::Four, HEADER_LEN), (IdWidth::Eight, HEADER_LEN + 4)] {
        match wire::parse_with(bytes, width) {
            Ok(framed) => {
                let mut again = vec![MAGIC];
                let id = framed.schema_id.to_be_bytes();
                again.extend(&id[8 - (frame - 1)..]);
                again.extend(framed.payload);
                assert_eq!(again, bytes);
            }
            Err(error) => {
                match error {
                    NotFramed::TooShort { len, frame: f } => {
                        assert!(len < frame && len == bytes.len() && f == frame);
                    }
                    NotFramed::BadMagic { first } => assert_eq!(Some(&first), bytes.first()),
                }
                assert!(!error.to_string().contains('\n'));
            }
        }
    }
    match wire::header_id(Some(bytes)) {
        Ok((_, rest)) => assert!(bytes.ends_with(rest) && rest.len() + 5 <= bytes.len()),
        Err(error) => assert!(!error.to_string().contains('\n')),
    }
    // Apicurio's id headers: exactly 8 bytes, which give back the id.
    match wire::apicurio_header_id(Some(bytes)) {
        Ok(id) => assert_eq!(id.to_be_bytes().as_slice(), bytes),
        Err(error) => {
            assert_ne!(bytes.len(), 8);
            assert!(!error.to_string().contains('\n'));
        }
    }
});
