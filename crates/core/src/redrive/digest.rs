//! 128-bit digests (the first half of SHA-256) of keys and records, for the `--pending` index
//! and `--dedupe`: small enough to keep millions in memory, long enough that two different
//! records never share one in practice (a collision needs about 2^64 records).

use sha2::{Digest as _, Sha256};

use crate::record::Record;

use super::origin::is_dlq_metadata;

/// The first 16 bytes of a SHA-256.
pub type Digest128 = [u8; 16];

fn first_half(hasher: Sha256) -> Digest128 {
    let full = hasher.finalize();
    let mut half = [0; 16];
    half.copy_from_slice(&full[..16]);
    half
}

#[must_use]
pub fn key_digest(key: &[u8]) -> Digest128 {
    let mut hasher = Sha256::new();
    hasher.update(key);
    first_half(hasher)
}

/// Feeds an optional byte string unambiguously: presence (`0` or `1`), length (8 bytes,
/// big-endian), bytes. Plans' header digests are defined by it too (`review::digest`).
pub(crate) fn feed(hasher: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => hasher.update([0]),
        Some(bytes) => {
            hasher.update([1]);
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    }
}

/// What makes two records of a partition the same for `--dedupe`: key, value and headers in
/// order, DLQ metadata headers (which differ between retries) left out.
#[must_use]
pub fn content_digest(record: &Record) -> Digest128 {
    let mut hasher = Sha256::new();
    hasher.update(record.at.partition.to_be_bytes());
    feed(&mut hasher, record.key.as_deref());
    feed(&mut hasher, record.value.as_deref());
    for header in record.headers.iter().filter(|h| !is_dlq_metadata(&h.name)) {
        feed(&mut hasher, Some(header.name.as_bytes()));
        feed(&mut hasher, header.value.as_deref());
    }
    first_half(hasher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_same_digest_metadata_aside() {
        let base = Record::test(0, 1).with_header("trace", "t1");
        let retried = Record::test(0, 9)
            .with_header("kafka_dlt-exception-message", "attempt 2")
            .with_header("trace", "t1");
        assert_eq!(content_digest(&base), content_digest(&retried));
        let differing = [
            Record::test(1, 1).with_header("trace", "t1"),
            Record::test(0, 1).with_header("trace", "t2"),
            Record::test(0, 1)
                .with_value(None)
                .with_header("trace", "t1"),
            Record::test(0, 1)
                .with_value(Some(b""))
                .with_header("trace", "t1"),
            Record::test(0, 1),
        ];
        for other in differing {
            assert_ne!(content_digest(&base), content_digest(&other), "{other:?}");
        }
        // Boundaries between parts count: "ab"+"c" is not "a"+"bc".
        let one = Record::test(0, 0)
            .with_key(Some(b"ab"))
            .with_value(Some(b"c"));
        let two = Record::test(0, 0)
            .with_key(Some(b"a"))
            .with_value(Some(b"bc"));
        assert_ne!(content_digest(&one), content_digest(&two));
    }
}
