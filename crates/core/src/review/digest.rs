//! The SHA-256 digests a plan keeps of each record (key, value, headers), so that `apply` can
//! tell whether the record at a planned offset is still the record that was decided on.

use sha2::{Digest as _, Sha256};

use crate::record::{Header, Record};
pub(super) use crate::redrive::digest::feed;

/// A SHA-256.
pub type Sha = [u8; 32];

/// The SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> Sha {
    Sha256::digest(bytes).into()
}

/// Lowercase hex of `sha`, as the files carry it.
#[must_use]
pub fn to_hex(sha: &Sha) -> String {
    crate::decode::text::hex(sha)
}

/// `text` as a SHA-256 in hex (64 hex digits, either case).
#[must_use]
pub fn from_hex(text: &str) -> Option<Sha> {
    if text.len() != 64 {
        return None;
    }
    let mut sha = [0; 32];
    for (byte, pair) in sha.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(sha)
}

/// The SHA-256 of the headers in order: the number of headers (8 bytes, big-endian), then for
/// each the name's length (8 bytes) and bytes, then `0` for a null value or `1`, the value's
/// length (8 bytes) and bytes.
#[must_use]
pub fn headers_digest(headers: &[Header]) -> Sha {
    let mut hasher = Sha256::new();
    hasher.update((headers.len() as u64).to_be_bytes());
    for header in headers {
        hasher.update((header.name.len() as u64).to_be_bytes());
        hasher.update(header.name.as_bytes());
        feed(&mut hasher, header.value.as_deref());
    }
    hasher.finalize().into()
}

/// The digests of one record that a plan line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordDigests {
    /// `None` for a null key.
    pub key: Option<Sha>,
    /// `None` for a tombstone.
    pub value: Option<Sha>,
    pub headers: Sha,
}

impl RecordDigests {
    #[must_use]
    pub fn of(record: &Record) -> Self {
        Self {
            key: record.key.as_deref().map(sha256),
            value: record.value.as_deref().map(sha256),
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
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(to_hex(&sha256(b"abc")), abc);
        assert_eq!(from_hex(abc), Some(sha256(b"abc")));
        assert_eq!(from_hex(&abc.to_uppercase()), Some(sha256(b"abc")));
        assert_eq!(from_hex(&abc[1..]), None);
        assert_eq!(from_hex(&abc.replace('b', "g")), None);
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
