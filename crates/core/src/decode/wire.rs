//! The framings that name a payload's schema:
//! - Confluent's wire format: a magic byte 0, a 4-byte big-endian schema id, then the payload
//!   encoded with that schema ([`parse`]); Apicurio's is the same with an 8-byte id when its
//!   serializer is configured so ([`parse_with`], [`IdWidth::Eight`]);
//! - Confluent's header form ([`header_id`]): the headers `__key_schema_id` and
//!   `__value_schema_id` hold magic byte 1 and a 16-byte schema GUID (or magic byte 0 and a
//!   4-byte id), then for Protobuf the message-index array, and the payload is not framed;
//! - Apicurio's header form ([`apicurio_header_id`]; its 2.x serializers' default, an option of
//!   3.x): the id in `apicurio.{key,value}.contentId` or `…globalId` as an 8-byte big-endian
//!   number, the payload unframed (for Protobuf a `Ref` naming the message type before it, and
//!   the type in `apicurio.protobuf.type` or the Java class in `apicurio.value.msgType`).
//!
//! Pure functions over untrusted bytes: they never panic, whatever the input (checked over
//! every short input and many random ones in the tests).

use std::fmt;

pub use crate::config::IdWidth;
use crate::decode::registry::SchemaRef;

/// The header naming the schema of the record's key, in Confluent's header form.
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// The header naming the schema of the record's value.
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";

/// The headers naming the schema of the key in Apicurio's header form, in the order they are
/// looked for (a content id is what the Confluent-compatible API's ids are, by default).
pub const APICURIO_KEY_ID_HEADERS: [&str; 2] = ["apicurio.key.contentId", "apicurio.key.globalId"];
/// The headers naming the schema of the value in Apicurio's header form.
pub const APICURIO_VALUE_ID_HEADERS: [&str; 2] =
    ["apicurio.value.contentId", "apicurio.value.globalId"];
/// The headers naming a Protobuf key's message type in Apicurio's header form, in the order
/// they are looked for: the descriptor's name, then the Java class (`...OrderOuterClass$Order`).
pub const APICURIO_KEY_MESSAGE_TYPE: [&str; 2] =
    ["apicurio.protobuf.type.key", "apicurio.key.msgType"];
/// The headers naming a Protobuf value's message type in Apicurio's header form.
pub const APICURIO_VALUE_MESSAGE_TYPE: [&str; 2] =
    ["apicurio.protobuf.type", "apicurio.value.msgType"];

/// The id in an Apicurio id header: exactly 8 bytes, big-endian.
///
/// # Errors
/// [`BadHeader::Null`] for a null value, [`BadHeader::NotEightBytes`] otherwise.
pub fn apicurio_header_id(value: Option<&[u8]>) -> Result<u64, BadHeader> {
    let value = value.ok_or(BadHeader::Null)?;
    let bytes: [u8; 8] = value
        .try_into()
        .map_err(|_| BadHeader::NotEightBytes { len: value.len() })?;
    Ok(u64::from_be_bytes(bytes))
}

/// The magic byte of a schema GUID in a header.
pub const MAGIC_GUID: u8 = 1;

/// The first byte of a payload in the Confluent wire format.
pub const MAGIC: u8 = 0;

/// Length of the frame before the payload: magic byte and schema id.
pub const HEADER_LEN: usize = 5;

/// A payload in the wire format, split into its schema id and the encoded datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub schema_id: u64,
    /// The bytes after the frame header.
    pub payload: &'a [u8],
}

/// Why bytes are not in the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFramed {
    /// Fewer bytes than the frame takes ([`HEADER_LEN`], or 9 with 8-byte ids).
    TooShort { len: usize, frame: usize },
    /// The first byte is not [`MAGIC`].
    BadMagic { first: u8 },
}

impl fmt::Display for NotFramed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len, frame } => write!(
                f,
                "not in the schema registry wire format: {len} byte(s), the frame alone takes {frame}"
            ),
            Self::BadMagic { first } => write!(
                f,
                "not in the schema registry wire format: first byte is 0x{first:02x}, not 0x00"
            ),
        }
    }
}

impl std::error::Error for NotFramed {}

/// Splits `bytes` into schema id and payload when they start with Confluent's frame.
///
/// # Errors
/// [`NotFramed`] when `bytes` are too short for the frame or do not start with the magic byte.
pub fn parse(bytes: &[u8]) -> Result<Framed<'_>, NotFramed> {
    parse_with(bytes, IdWidth::Four)
}

/// Splits `bytes` into schema id and payload when they start with a frame of ids `width` wide.
///
/// # Errors
/// [`NotFramed`] when `bytes` are too short for the frame or do not start with the magic byte.
pub fn parse_with(bytes: &[u8], width: IdWidth) -> Result<Framed<'_>, NotFramed> {
    let frame = match width {
        IdWidth::Four => HEADER_LEN,
        IdWidth::Eight => HEADER_LEN + 4,
    };
    let (Some(&magic), Some(id), Some(payload)) =
        (bytes.first(), bytes.get(1..frame), bytes.get(frame..))
    else {
        return Err(NotFramed::TooShort {
            len: bytes.len(),
            frame,
        });
    };
    if magic != MAGIC {
        return Err(NotFramed::BadMagic { first: magic });
    }
    let schema_id = id
        .iter()
        .fold(0_u64, |id, &byte| (id << 8) | u64::from(byte));
    Ok(Framed { schema_id, payload })
}

/// Why a schema id header cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadHeader {
    /// The header has no value.
    Null,
    /// Fewer bytes than the magic byte says the id takes.
    TooShort { len: usize, magic: u8 },
    /// A magic byte other than 0 (an id) or 1 (a GUID).
    BadMagic { first: u8 },
    /// An Apicurio id header that is not an 8-byte number.
    NotEightBytes { len: usize },
}

impl fmt::Display for BadHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("the header has no value"),
            Self::TooShort { len, magic } => write!(
                f,
                "{len} byte(s), but magic byte {magic} takes {}",
                if *magic == MAGIC { HEADER_LEN } else { 17 }
            ),
            Self::BadMagic { first } => write!(
                f,
                "the first byte is 0x{first:02x}, neither 0x00 (an id) nor 0x01 (a GUID)"
            ),
            Self::NotEightBytes { len } => {
                write!(f, "{len} byte(s), but an id takes 8 (a big-endian number)")
            }
        }
    }
}

impl std::error::Error for BadHeader {}

/// The schema a `__key_schema_id` / `__value_schema_id` header names, and the bytes after it
/// (the message-index array, for Protobuf).
///
/// # Errors
/// [`BadHeader`] when the value is missing, too short, or has an unknown magic byte.
pub fn header_id(value: Option<&[u8]>) -> Result<(SchemaRef, &[u8]), BadHeader> {
    let value = value.ok_or(BadHeader::Null)?;
    let Some((&magic, rest)) = value.split_first() else {
        return Err(BadHeader::TooShort { len: 0, magic: 0 });
    };
    let too_short = BadHeader::TooShort {
        len: value.len(),
        magic,
    };
    match magic {
        MAGIC => {
            let (id, rest) = rest.split_first_chunk::<4>().ok_or(too_short)?;
            Ok((SchemaRef::Id(u64::from(u32::from_be_bytes(*id))), rest))
        }
        MAGIC_GUID => {
            let (guid, rest) = rest.split_first_chunk::<16>().ok_or(too_short)?;
            Ok((SchemaRef::Guid(uuid::Uuid::from_bytes(*guid)), rest))
        }
        first => Err(BadHeader::BadMagic { first }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng as _};

    #[test]
    fn apicurio_ids_are_eight_big_endian_bytes() {
        assert_eq!(apicurio_header_id(Some(&[0, 0, 0, 0, 0, 0, 1, 2])), Ok(258));
        assert_eq!(apicurio_header_id(Some(&[0xff; 8])), Ok(u64::MAX));
        assert_eq!(apicurio_header_id(None), Err(BadHeader::Null));
        for len in [0, 4, 7, 9] {
            assert_eq!(
                apicurio_header_id(Some(&vec![0; len])),
                Err(BadHeader::NotEightBytes { len })
            );
        }
        assert_eq!(
            BadHeader::NotEightBytes { len: 4 }.to_string(),
            "4 byte(s), but an id takes 8 (a big-endian number)"
        );
    }

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
                schema_id: u64::from(u32::MAX),
                payload: &[]
            })
        );
    }

    #[test]
    fn refuses_what_is_not_framed() {
        assert_eq!(parse(&[]), Err(NotFramed::TooShort { len: 0, frame: 5 }));
        assert_eq!(
            parse(&[0, 0, 0, 1]),
            Err(NotFramed::TooShort { len: 4, frame: 5 })
        );
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

    #[test]
    fn eight_byte_ids() {
        let bytes = [0, 0, 0, 0, 1, 0, 0, 0, 2, 0xaa];
        assert_eq!(
            parse_with(&bytes, IdWidth::Eight),
            Ok(Framed {
                schema_id: (1 << 32) + 2,
                payload: &[0xaa]
            })
        );
        assert_eq!(
            parse_with(&bytes[..8], IdWidth::Eight),
            Err(NotFramed::TooShort { len: 8, frame: 9 })
        );
    }

    #[test]
    fn header_ids() {
        let guid = uuid::Uuid::parse_str("3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c").unwrap();
        let mut value = vec![MAGIC_GUID];
        value.extend(guid.as_bytes());
        value.push(0);
        assert_eq!(
            header_id(Some(&value)),
            Ok((SchemaRef::Guid(guid), &[0][..]))
        );
        assert_eq!(
            header_id(Some(&[0, 0, 0, 1, 7])),
            Ok((SchemaRef::Id(263), &[][..]))
        );
        assert_eq!(header_id(None), Err(BadHeader::Null));
        assert_eq!(
            header_id(Some(&value[..10])),
            Err(BadHeader::TooShort { len: 10, magic: 1 })
        );
        insta::assert_snapshot!(
            header_id(Some(&[2, 0])).unwrap_err(),
            @"the first byte is 0x02, neither 0x00 (an id) nor 0x01 (a GUID)"
        );
        insta::assert_snapshot!(
            header_id(Some(&[1, 0, 0])).unwrap_err(),
            @"3 byte(s), but magic byte 1 takes 17"
        );
        for len in 0..40_u8 {
            for first in [0, 1, 2] {
                let value: Vec<u8> = std::iter::once(first).chain(0..len).collect();
                match header_id(Some(&value)) {
                    Ok((_, rest)) => assert!(rest.len() < value.len()),
                    Err(error) => assert!(!error.to_string().contains('\n')),
                }
            }
        }
    }

    /// Every input of up to 3 bytes, then random ones of up to 64 bytes: never a panic, and
    /// a frame always gives back the bytes it was made of.
    #[test]
    fn any_input_is_handled() {
        let check = |bytes: &[u8]| match parse(bytes) {
            Ok(framed) => {
                let mut again = vec![MAGIC];
                again.extend(u32::try_from(framed.schema_id).unwrap().to_be_bytes());
                again.extend(framed.payload);
                assert_eq!(again, bytes);
            }
            Err(NotFramed::TooShort { len, frame }) => {
                assert!(len < HEADER_LEN && len == bytes.len() && frame == HEADER_LEN);
            }
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
