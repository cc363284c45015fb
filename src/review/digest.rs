//! The SHA-256 digests a plan keeps of each record (key, value, headers), so that `apply` can
//! tell whether the record at a planned offset is still the record that was decided on.

use sha2::{Digest as _, Sha256};

use crate::record::{Header, Record};

/// Lowercase hex of the SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    crate::decode::text::hex(bytes)
}

/// The SHA-256 of the headers in order: for each, the name's length (8 bytes, big-endian) and
/// bytes, then `0` for a null value or `1`, the value's length and bytes. Lowercase hex.
#[must_use]
pub fn headers_digest(headers: &[Header]) -> String {
    let mut hasher = Sha256::new();
    hasher.update((headers.len() as u64).to_be_bytes());
    for header in headers {
        hasher.update((header.name.len() as u64).to_be_bytes());
        hasher.update(header.name.as_bytes());
        match &header.value {
            None => hasher.update([0]),
            Some(value) => {
                hasher.update([1]);
                hasher.update((value.len() as u64).to_be_bytes());
                hasher.update(value);
            }
        }
    }
    hex(&hasher.finalize())
}

/// The digests of one record, as a plan line carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDigests {
    /// `None` for a null key.
    pub key: Option<String>,
    /// `None` for a tombstone.
    pub value: Option<String>,
    pub headers: String,
}

impl RecordDigests {
    #[must_use]
    pub fn of(record: &Record) -> Self {
        Self {
            key: record.key.as_deref().map(sha256_hex),
            value: record.value.as_deref().map(sha256_hex),
            headers: headers_digest(&record.headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_and_see_header_order_and_nulls() {
        // SHA-256 of "abc" (FIPS 180-2 example).
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let a = Header {
            name: "a".into(),
            value: Some(b"1".to_vec()),
        };
        let b = Header {
            name: "b".into(),
            value: None,
        };
        let empty = Header {
            name: "b".into(),
            value: Some(Vec::new()),
        };
        let ab = headers_digest(&[a.clone(), b.clone()]);
        assert_ne!(ab, headers_digest(&[b.clone(), a.clone()]), "order");
        assert_ne!(ab, headers_digest(&[a.clone(), empty]), "null vs empty");
        assert_ne!(
            headers_digest(&[]),
            headers_digest(std::slice::from_ref(&a))
        );
        assert_eq!(ab, headers_digest(&[a, b]));
    }
}
