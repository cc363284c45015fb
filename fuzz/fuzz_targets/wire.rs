//! Fuzz target: Confluent wire-format detection over arbitrary bytes. A frame gives back
//! exactly the bytes it was made of; anything else says why, on one line.
#![no_main]

use kafka_merge_purge::decode::wire::{self, HEADER_LEN, MAGIC, NotFramed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match wire::parse(bytes) {
        Ok(framed) => {
            let mut again = vec![MAGIC];
            again.extend(framed.schema_id.to_be_bytes());
            again.extend(framed.payload);
            assert_eq!(again, bytes);
        }
        Err(error) => {
            match error {
                NotFramed::TooShort { len } => assert!(len < HEADER_LEN && len == bytes.len()),
                NotFramed::BadMagic { first } => assert_eq!(Some(&first), bytes.first()),
            }
            assert!(!error.to_string().contains('\n'));
        }
    }
});
