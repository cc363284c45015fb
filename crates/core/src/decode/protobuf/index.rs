//! The message-index array of Confluent's Protobuf framing: after the schema id, a zig-zag
//! varint count, then that many zig-zag varint indexes, the path to the message type among the
//! messages declared in the schema (the first index into the file's top-level messages, each
//! next one into the nested messages of the one before). A count of 0 (the single byte `0x00`)
//! means `[0]`, the first message of the file. The varints are Kafka's (`ByteUtils.readVarint`):
//! at most 5 bytes, 32 bits.
//!
//! Pure functions over untrusted bytes: they never panic (checked over every short input and
//! random ones, and by the `protobuf_index` fuzz target).

use std::fmt;

/// The path of a message type in its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPath {
    /// `[0]`: the first message of the file (the count 0, the common case, allocates nothing).
    First,
    /// Any other path, as written.
    Path(Vec<u32>),
}

impl IndexPath {
    /// The indexes, `[0]` for [`IndexPath::First`].
    #[must_use]
    pub fn as_slice(&self) -> &[u32] {
        match self {
            Self::First => &[0],
            Self::Path(path) => path,
        }
    }
}

impl fmt::Display for IndexPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_slice())
    }
}

/// Why the bytes after the schema id do not start with a message-index array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexError {
    /// The bytes end inside the array.
    Truncated,
    /// A varint runs over 5 bytes.
    LongVarint { at: usize },
    /// The count is negative.
    NegativeCount { count: i32 },
    /// The count is larger than the bytes left could hold (each index takes a byte at least).
    CountTooLarge { count: i32, left: usize },
    /// An index is negative.
    NegativeIndex { index: i32, position: usize },
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("the message-index array is truncated"),
            Self::LongVarint { at } => write!(
                f,
                "the message-index array has a varint longer than 5 bytes at byte {at}"
            ),
            Self::NegativeCount { count } => {
                write!(f, "the message-index array has a negative count ({count})")
            }
            Self::CountTooLarge { count, left } => write!(
                f,
                "the message-index array is truncated: it counts {count} indexes but only {left} byte(s) follow"
            ),
            Self::NegativeIndex { index, position } => write!(
                f,
                "the message-index array has a negative index ({index}) at position {position}"
            ),
        }
    }
}

impl std::error::Error for IndexError {}

/// The message-index array at the start of `bytes`, and the bytes after it.
///
/// # Errors
/// [`IndexError`] when the array is truncated, has an over-long varint, or a negative or
/// impossible count or index.
pub fn read(bytes: &[u8]) -> Result<(IndexPath, &[u8]), IndexError> {
    let mut at = 0;
    let count = varint(bytes, &mut at)?;
    match count {
        0 => return Ok((IndexPath::First, rest(bytes, at))),
        count if count < 0 => return Err(IndexError::NegativeCount { count }),
        _ => {}
    }
    let left = bytes.len().saturating_sub(at);
    let wanted = usize::try_from(count).unwrap_or(usize::MAX);
    if wanted > left {
        return Err(IndexError::CountTooLarge { count, left });
    }
    let mut path = Vec::with_capacity(wanted);
    for position in 0..wanted {
        let index = varint(bytes, &mut at)?;
        let index =
            u32::try_from(index).map_err(|_| IndexError::NegativeIndex { index, position })?;
        path.push(index);
    }
    if path == [0] {
        return Ok((IndexPath::First, rest(bytes, at)));
    }
    Ok((IndexPath::Path(path), rest(bytes, at)))
}

fn rest(bytes: &[u8], at: usize) -> &[u8] {
    bytes.get(at..).unwrap_or_default()
}

/// A zig-zag varint of at most 5 bytes (32 bits), as Kafka's `ByteUtils.readVarint` reads it.
fn varint(bytes: &[u8], at: &mut usize) -> Result<i32, IndexError> {
    let start = *at;
    let mut value: u32 = 0;
    for shift in (0..5).map(|i| i * 7) {
        let &byte = bytes.get(*at).ok_or(IndexError::Truncated)?;
        *at += 1;
        value |= u32::from(byte & 0x7f)
            .checked_shl(shift)
            .unwrap_or_default();
        if byte & 0x80 == 0 {
            return Ok(((value >> 1) as i32) ^ -((value & 1) as i32));
        }
    }
    Err(IndexError::LongVarint { at: start })
}

/// The array for `path` as a serializer writes it: the single byte 0 for `[0]`.
#[must_use]
pub fn write(path: &[u32]) -> Vec<u8> {
    if path == [0] {
        return vec![0];
    }
    let mut out = Vec::new();
    let mut push = |n: i64| {
        let mut z = ((n << 1) ^ (n >> 63)).cast_unsigned();
        loop {
            let byte = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    };
    push(i64::try_from(path.len()).unwrap_or(i64::MAX));
    for &index in path {
        push(i64::from(index));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng as _};

    #[test]
    fn reads_the_paths_serializers_write() {
        // Confluent's MessageIndexes: [0] as the single byte 0; others as count and indexes.
        assert_eq!(read(&[0, 0xaa]), Ok((IndexPath::First, &[0xaa][..])));
        assert_eq!(read(&[2, 0]), Ok((IndexPath::First, &[][..])));
        assert_eq!(
            read(&[4, 2, 0, 7]),
            Ok((IndexPath::Path(vec![1, 0]), &[7][..]))
        );
        // 300 is the zig-zag varint 0xd8 0x04.
        assert_eq!(
            read(&[2, 0xd8, 0x04]),
            Ok((IndexPath::Path(vec![300]), &[][..]))
        );
        for path in [vec![0], vec![1], vec![1, 0], vec![3, 2, 1, 0], vec![70_000]] {
            let mut bytes = write(&path);
            bytes.push(0x42);
            let (read_path, rest) = read(&bytes).unwrap();
            assert_eq!(read_path.as_slice(), path.as_slice());
            assert_eq!(rest, [0x42]);
        }
        assert_eq!(IndexPath::Path(vec![1, 0]).to_string(), "[1, 0]");
    }

    #[test]
    fn refuses_what_is_not_an_index_array() {
        assert_eq!(read(&[]), Err(IndexError::Truncated));
        assert_eq!(read(&[4, 2, 0x80]), Err(IndexError::Truncated));
        assert_eq!(read(&[0x80]), Err(IndexError::Truncated));
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(IndexError::LongVarint { at: 0 })
        );
        assert_eq!(read(&[1]), Err(IndexError::NegativeCount { count: -1 }));
        assert_eq!(
            read(&[20, 2, 2]),
            Err(IndexError::CountTooLarge { count: 10, left: 2 })
        );
        assert_eq!(
            read(&[2, 3]),
            Err(IndexError::NegativeIndex {
                index: -2,
                position: 0
            })
        );
        insta::assert_snapshot!(
            read(&[20, 2]).unwrap_err(),
            @"the message-index array is truncated: it counts 10 indexes but only 1 byte(s) follow"
        );
    }

    /// Every input of up to 2 bytes and random ones: never a panic, and what is read is
    /// written back the same way (up to the bytes after it).
    #[test]
    fn any_input_is_handled() {
        let check = |bytes: &[u8]| {
            if let Ok((path, rest)) = read(bytes) {
                assert!(rest.len() < bytes.len(), "{bytes:?}");
                assert!(bytes.ends_with(rest));
                let again = write(path.as_slice());
                assert_eq!(read(&again), Ok((path, &[][..])), "{bytes:?}");
            }
        };
        check(&[]);
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(18);
        for _ in 0..50_000 {
            let len = rng.random_range(0..12);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.random_bool(0.5) {
                        rng.random_range(0..8)
                    } else {
                        rng.random()
                    }
                })
                .collect();
            check(&bytes);
        }
    }
}
