//! Fuzz target: the message-index array of Confluent's Protobuf framing over arbitrary bytes.
//! Never a panic; what is read is a prefix of the input, written back it reads the same, and
//! every refusal says why on one line.
#![no_main]

use kafka_merge_purge_core::decode::protobuf::index;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match index::read(bytes) {
        Ok((path, rest)) => {
            assert!(rest.len() < bytes.len(), "the array takes a byte at least");
            assert!(bytes.ends_with(rest));
            assert!(path.as_slice().len() <= bytes.len());
            let again = index::write(path.as_slice());
            assert_eq!(index::read(&again), Ok((path, &[][..])));
        }
        Err(error) => assert!(!error.to_string().contains('\n')),
    }
});
