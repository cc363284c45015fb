//! The Protobuf wire format read from untrusted bytes: tags, varints of at most 10 bytes,
//! fixed-width values, length-delimited values and groups, each checked against what is left
//! before it is taken. The renderer ([`super::json`]) reads messages with it.

use super::plan::Kind;

/// The deepest nesting of messages decoded for display (Protobuf's own parsers stop at 100).
pub const MAX_DEPTH: usize = 100;

/// Why a message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// The bytes are not a message of the schema.
    #[error("invalid Protobuf bytes: {0}")]
    Invalid(String),
    /// The bytes end inside a field.
    #[error("invalid Protobuf bytes: the message ends inside a field (truncated?)")]
    Truncated,
    #[error("too deep to decode for display: more than {limit} levels of nesting")]
    TooDeep { limit: usize },
    #[error("too large to decode for display: more than {limit} values")]
    TooManyValues { limit: usize },
}

pub(super) const VARINT: u8 = 0;
pub(super) const I64: u8 = 1;
pub(super) const LEN: u8 = 2;
pub(super) const START_GROUP: u8 = 3;
pub(super) const END_GROUP: u8 = 4;
pub(super) const I32: u8 = 5;

/// One field as it is on the wire.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raw<'a> {
    Varint(u64),
    I64(u64),
    I32(u32),
    Len(&'a [u8]),
    /// The fields between a start-group tag and its end-group tag.
    Group(&'a [u8]),
}

impl Raw<'_> {
    pub(super) fn wire_type(self) -> u8 {
        match self {
            Self::Varint(_) => VARINT,
            Self::I64(_) => I64,
            Self::I32(_) => I32,
            Self::Len(_) => LEN,
            Self::Group(_) => START_GROUP,
        }
    }
}

pub(super) fn wire_name(wire: u8) -> &'static str {
    match wire {
        VARINT => "varint",
        I64 => "64-bit",
        LEN => "length-delimited",
        START_GROUP => "group",
        END_GROUP => "end-group",
        I32 => "32-bit",
        _ => "unknown",
    }
}

pub(super) fn expected_wire(kind: Kind) -> u8 {
    match kind {
        Kind::Int32
        | Kind::Int64
        | Kind::Uint32
        | Kind::Uint64
        | Kind::Sint32
        | Kind::Sint64
        | Kind::Bool
        | Kind::Enum(_) => VARINT,
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => I64,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => I32,
        Kind::String | Kind::Bytes | Kind::Message(_) => LEN,
        Kind::Group(_) => START_GROUP,
    }
}

/// Reads the wire format.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    pub(super) fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// What is not read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.at..).unwrap_or_default()
    }

    /// A varint of at most 10 bytes, as prost reads it.
    pub(super) fn varint(&mut self) -> Result<u64, ProtoError> {
        let start = self.at;
        let mut value: u64 = 0;
        for i in 0..10 {
            let &byte = self.bytes.get(self.at).ok_or(ProtoError::Truncated)?;
            self.at += 1;
            if i == 9 && byte > 1 {
                break;
            }
            value |= u64::from(byte & 0x7f) << (i * 7);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtoError::Invalid(format!(
            "a varint longer than 10 bytes at byte {start}"
        )))
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        let end = self.at.checked_add(n).ok_or(ProtoError::Truncated)?;
        let taken = self.bytes.get(self.at..end).ok_or(ProtoError::Truncated)?;
        self.at = end;
        Ok(taken)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtoError> {
        self.take(N)
            .and_then(|bytes| <[u8; N]>::try_from(bytes).map_err(|_| ProtoError::Truncated))
    }

    /// The next tag: field number and wire type; `None` at an end-group tag of `group`.
    pub(super) fn tag(&mut self) -> Result<(u32, u8), ProtoError> {
        let start = self.at;
        let key = self.varint()?;
        let wire = (key & 7) as u8;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) || wire > I32 {
            return Err(ProtoError::Invalid(format!(
                "no field tag at byte {start} (field {number}, wire type {wire})"
            )));
        }
        Ok((number as u32, wire))
    }

    /// The value after a tag of `wire` for field `number`.
    pub(super) fn value(
        &mut self,
        number: u32,
        wire: u8,
        depth: usize,
    ) -> Result<Raw<'a>, ProtoError> {
        Ok(match wire {
            VARINT => Raw::Varint(self.varint()?),
            I64 => Raw::I64(u64::from_le_bytes(self.array::<8>()?)),
            I32 => Raw::I32(u32::from_le_bytes(self.array::<4>()?)),
            LEN => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| ProtoError::Truncated)?;
                Raw::Len(self.take(len)?)
            }
            START_GROUP => Raw::Group(self.group(number, depth)?),
            _ => {
                return Err(ProtoError::Invalid(format!(
                    "an end-group tag of field {number} with no group open at byte {}",
                    self.at
                )));
            }
        })
    }

    /// The fields of a group of field `number`, up to its end-group tag (read too).
    pub(super) fn group(&mut self, number: u32, depth: usize) -> Result<&'a [u8], ProtoError> {
        if depth >= MAX_DEPTH {
            return Err(ProtoError::TooDeep { limit: MAX_DEPTH });
        }
        let start = self.at;
        loop {
            if self.done() {
                return Err(ProtoError::Truncated);
            }
            let before = self.at;
            let (inner, wire) = self.tag()?;
            if wire == END_GROUP {
                if inner != number {
                    return Err(ProtoError::Invalid(format!(
                        "the group of field {number} ends with the end-group tag of field {inner}"
                    )));
                }
                return Ok(self.bytes.get(start..before).unwrap_or_default());
            }
            self.value(inner, wire, depth + 1)?;
        }
    }
}
