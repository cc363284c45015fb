//! A first pass over an Avro datum that builds nothing: it walks the writer schema over the
//! bytes the way apache-avro's decoder will, and refuses what would make decoding (or showing
//! the result) cost far more than the payload is worth, before apache-avro allocates anything:
//!
//! - nesting deeper than [`MAX_DEPTH`]: under a recursive schema each byte can open one more
//!   level, and apache-avro's decoder, our JSON converter, `serde_json` and the drop of the value
//!   all recurse, so a long enough payload overflows the stack and aborts the process;
//! - more than [`MAX_VALUES`] values: items that take no bytes (`null`, records without fields,
//!   `fixed` of size 0) let a one-byte count ask for millions of them;
//! - decimals longer than [`MAX_DECIMAL_BYTES`]: turning them into digits takes quadratic time.
//!
//! Every length, count, index and fixed size is checked against what is left of the payload
//! on the way, so a corrupt length is an error here instead of an allocation in apache-avro.

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, NamespaceRef, Schema, UuidSchema,
};

use super::AvroError;

/// The deepest nesting of records, arrays, maps and unions decoded for display.
pub const MAX_DEPTH: usize = 128;
/// The most values (every item, field, map key and union branch counts) one datum may hold.
pub const MAX_VALUES: usize = 1_000_000;
/// The longest unscaled decimal, in bytes (2,466 digits).
pub const MAX_DECIMAL_BYTES: usize = 1024;

/// Checks that `bytes` hold one datum of `schema` that is within the limits, and says how deep
/// it nests (0 for a value of a primitive type); what comes after the datum is left to the
/// caller.
///
/// # Errors
/// [`AvroError::Truncated`] when the payload ends inside the datum, [`AvroError::Corrupt`] when
/// a length, count or index cannot be right, and [`AvroError::TooDeep`],
/// [`AvroError::TooManyValues`] or [`AvroError::DecimalTooLong`] beyond the limits.
pub fn check(schema: &Schema, names: &Names, bytes: &[u8]) -> Result<usize, AvroError> {
    let mut scan = Scan {
        bytes,
        at: 0,
        values: 0,
        deepest: 0,
        names,
    };
    scan.walk(schema, None, 0)?;
    Ok(scan.deepest)
}

struct Scan<'a, 'n> {
    bytes: &'a [u8],
    /// How many bytes were read.
    at: usize,
    /// How many values the datum holds so far.
    values: usize,
    /// The deepest level reached so far.
    deepest: usize,
    names: &'n Names,
}

impl<'a, 'n> Scan<'a, 'n> {
    fn walk(
        &mut self,
        schema: &'n Schema,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Result<(), AvroError> {
        if depth > MAX_DEPTH {
            return Err(AvroError::TooDeep { limit: MAX_DEPTH });
        }
        self.deepest = self.deepest.max(depth);
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(AvroError::TooManyValues { limit: MAX_VALUES });
        }
        match schema {
            Schema::Null => Ok(()),
            Schema::Boolean => match self.take(1)? {
                [0 | 1] => Ok(()),
                other => Err(self.corrupt(&format!(
                    "a boolean byte is 0x{:02x}, not 0 or 1",
                    other.first().copied().unwrap_or_default()
                ))),
            },
            Schema::Int | Schema::Date | Schema::TimeMillis => {
                let n = self.long()?;
                if i32::try_from(n).is_err() {
                    return Err(self.corrupt(&format!("an int of {n} does not fit 32 bits")));
                }
                Ok(())
            }
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => self.long().map(drop),
            Schema::Float => self.take(4).map(drop),
            Schema::Double => self.take(8).map(drop),
            Schema::Bytes
            | Schema::String
            | Schema::Uuid(UuidSchema::String | UuidSchema::Bytes) => {
                let len = self.len()?;
                self.take(len).map(drop)
            }
            Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Bytes,
                ..
            }) => {
                let len = self.len()?;
                decimal_len(len)?;
                self.take(len).map(drop)
            }
            Schema::BigDecimal => {
                let len = self.len()?;
                let blob = self.take(len)?;
                self.big_decimal(blob)
            }
            Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(fixed),
                ..
            }) => {
                decimal_len(fixed.size)?;
                self.take(fixed.size).map(drop)
            }
            Schema::Fixed(fixed)
            | Schema::Uuid(UuidSchema::Fixed(fixed))
            | Schema::Duration(fixed) => self.take(fixed.size).map(drop),
            Schema::Enum(schema) => {
                let index = self.long()?;
                if usize::try_from(index).is_ok_and(|index| index < schema.symbols.len()) {
                    Ok(())
                } else {
                    Err(self.corrupt(&format!(
                        "enum index {index} (the enum has {} symbols)",
                        schema.symbols.len()
                    )))
                }
            }
            Schema::Union(union) => {
                let index = self.long()?;
                let variants = union.variants();
                let Some(branch) = usize::try_from(index)
                    .ok()
                    .and_then(|index| variants.get(index))
                else {
                    return Err(self.corrupt(&format!(
                        "union index {index} (the union has {} branches)",
                        variants.len()
                    )));
                };
                self.walk(branch, namespace, depth + 1)
            }
            Schema::Record(record) => {
                let name = record.name.fully_qualified_name(namespace);
                for field in &record.fields {
                    self.walk(&field.schema, name.namespace(), depth + 1)?;
                }
                Ok(())
            }
            Schema::Array(array) => {
                while let Some(count) = self.block()? {
                    for _ in 0..count {
                        self.walk(&array.items, namespace, depth + 1)?;
                    }
                }
                Ok(())
            }
            Schema::Map(map) => {
                while let Some(count) = self.block()? {
                    for _ in 0..count {
                        self.key()?;
                        self.walk(&map.types, namespace, depth + 1)?;
                    }
                }
                Ok(())
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace);
                let Some(named) = self.names.get(name.as_ref()) else {
                    return Err(AvroError::Corrupt(format!(
                        "the schema refers to {}, which it does not define",
                        name.fullname(None)
                    )));
                };
                // The named schema itself counts the value.
                self.values -= 1;
                self.walk(named, name.namespace(), depth)
            }
        }
    }

    /// A map key: a string, one more value.
    fn key(&mut self) -> Result<(), AvroError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(AvroError::TooManyValues { limit: MAX_VALUES });
        }
        let len = self.len()?;
        self.take(len).map(drop)
    }

    /// A big-decimal's bytes: the unscaled value as length-prefixed bytes, then the scale.
    fn big_decimal(&self, blob: &[u8]) -> Result<(), AvroError> {
        let mut inner = Scan {
            bytes: blob,
            at: 0,
            values: 0,
            deepest: 0,
            names: self.names,
        };
        let len = inner.len()?;
        decimal_len(len)?;
        inner.take(len)?;
        inner.long().map(drop)
    }

    fn corrupt(&self, what: &str) -> AvroError {
        AvroError::Corrupt(format!("{what} at byte {}", self.at))
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], AvroError> {
        let end = self.at.checked_add(n).ok_or(AvroError::Truncated)?;
        let taken = self.bytes.get(self.at..end).ok_or(AvroError::Truncated)?;
        self.at = end;
        Ok(taken)
    }

    /// A zig-zag varint of at most 10 bytes, as apache-avro reads it.
    fn long(&mut self) -> Result<i64, AvroError> {
        let start = self.at;
        let mut z: u64 = 0;
        for shift in (0..10).map(|i| i * 7) {
            let byte = self.take(1)?.first().copied().unwrap_or_default();
            z |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .unwrap_or_default();
            if byte & 0x80 == 0 {
                let magnitude = (z >> 1).cast_signed();
                return Ok(if z & 1 == 0 { magnitude } else { !magnitude });
            }
        }
        Err(AvroError::Corrupt(format!(
            "an integer longer than 10 bytes at byte {start}"
        )))
    }

    /// A length of bytes or a string.
    fn len(&mut self) -> Result<usize, AvroError> {
        let start = self.at;
        let len = self.long()?;
        usize::try_from(len)
            .map_err(|_| AvroError::Corrupt(format!("a negative length {len} at byte {start}")))
    }

    /// The item count of the next block of an array or map; `None` at the end.
    fn block(&mut self) -> Result<Option<usize>, AvroError> {
        let start = self.at;
        let count = self.long()?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            self.long()?;
        }
        count
            .checked_abs()
            .and_then(|count| usize::try_from(count).ok())
            .map(Some)
            .ok_or_else(|| AvroError::Corrupt(format!("a block count of {count} at byte {start}")))
    }
}

fn decimal_len(len: usize) -> Result<(), AvroError> {
    if len > MAX_DECIMAL_BYTES {
        return Err(AvroError::DecimalTooLong {
            len,
            limit: MAX_DECIMAL_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bytes, long};
    use super::super::{AvroError, WriterSchema};
    use super::*;

    fn decode(schema: &str, datum: &[u8]) -> Result<serde_json::Value, AvroError> {
        WriterSchema::parse(schema)
            .unwrap_or_else(|e| panic!("schema {schema}: {e}"))
            .decode(datum)
    }

    const LIST: &str = r#"{"type": "record", "name": "Node", "fields": [
        {"name": "next", "type": ["null", "Node"]}]}"#;

    /// `levels` list nodes: each a union index 1, then the last node's null branch.
    fn list(levels: usize) -> Vec<u8> {
        let mut datum = vec![2; levels];
        datum.push(0);
        datum
    }

    /// Found by the `avro` fuzz target: a recursive schema lets every byte open one more level,
    /// and 200,000 of them overflowed the stack (the process aborts). Now refused as too deep,
    /// while data just inside the limit still decodes (on a test thread's small stack).
    #[test]
    fn deep_recursion_is_refused_not_a_stack_overflow() {
        assert_eq!(
            decode(LIST, &list(200_000)),
            Err(AvroError::TooDeep { limit: MAX_DEPTH })
        );
        // Each list node is two levels: the record and the union in it; the last node's
        // `null` is one more.
        let deepest = MAX_DEPTH / 2 - 1;
        let json = decode(LIST, &list(deepest)).unwrap();
        let mut levels = 0;
        let mut node = &json;
        while !node["next"].is_null() {
            node = &node["next"];
            levels += 1;
        }
        assert_eq!(levels, deepest);
        assert_eq!(
            decode(LIST, &list(deepest + 1)),
            Err(AvroError::TooDeep { limit: MAX_DEPTH })
        );
        insta::assert_snapshot!(
            AvroError::TooDeep { limit: MAX_DEPTH },
            @"too deep to decode for display: more than 128 levels of nesting"
        );
    }

    /// Found by the `avro` fuzz target (out of memory): items that take no bytes let an
    /// 18-byte payload ask apache-avro for more than a gigabyte of `null`s.
    #[test]
    fn items_without_bytes_cannot_multiply_memory() {
        let schema = r#"{"type": "array", "items": {"type": "array", "items": "null"}}"#;
        // 20 inner arrays of a million nulls each, in 82 bytes.
        let mut datum = long(20);
        for _ in 0..20 {
            datum.extend(long(1_000_000));
            datum.extend(long(0));
        }
        datum.extend(long(0));
        assert_eq!(
            decode(schema, &datum),
            Err(AvroError::TooManyValues { limit: MAX_VALUES })
        );
        let empty = r#"{"type": "map", "values": {"type": "record", "name": "E", "fields": []}}"#;
        let mut datum = long(-2_000_000);
        datum.extend(long(1));
        datum.extend(bytes(b"k"));
        assert!(matches!(
            decode(empty, &datum),
            Err(AvroError::TooManyValues { .. } | AvroError::Truncated)
        ));
        // A modest count still decodes.
        let mut datum = long(1);
        datum.extend(long(3));
        datum.extend(long(0));
        datum.extend(long(0));
        assert_eq!(
            decode(schema, &datum),
            Ok(serde_json::json!([[null, null, null]]))
        );
        insta::assert_snapshot!(
            AvroError::TooManyValues { limit: MAX_VALUES },
            @"too large to decode for display: more than 1000000 values"
        );
    }

    /// A length, count or fixed size beyond the payload is an error before anything is
    /// allocated for it (apache-avro allocates first, up to its global limit, then reads).
    #[test]
    fn lengths_beyond_the_payload_are_errors() {
        assert_eq!(
            decode(r#""string""#, &long(400_000_000)),
            Err(AvroError::Truncated)
        );
        assert_eq!(
            decode(r#""bytes""#, &long(i64::MAX)),
            Err(AvroError::Truncated)
        );
        let huge_fixed = r#"{"type": "fixed", "name": "F", "size": 1000000000}"#;
        assert_eq!(decode(huge_fixed, b"abc"), Err(AvroError::Truncated));
        // A negative count is followed by the block's size; this one cannot be negated.
        let mut datum = long(i64::MIN);
        datum.extend(long(8));
        let error = decode(r#"{"type": "array", "items": "long"}"#, &datum).unwrap_err();
        assert!(matches!(error, AvroError::Corrupt(_)), "{error:?}");
        let error = decode(r#""long""#, &[0xff; 11]).unwrap_err();
        assert_eq!(
            error,
            AvroError::Corrupt("an integer longer than 10 bytes at byte 0".into())
        );
    }

    /// Unscaled decimals are bounded; a big-decimal's scale is its own business (see
    /// `huge_big_decimal_scale_is_shown_in_scientific_notation`).
    #[test]
    fn long_decimals_are_refused() {
        let schema = r#"{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}"#;
        let datum = bytes(&vec![1; MAX_DECIMAL_BYTES + 1]);
        assert_eq!(
            decode(schema, &datum),
            Err(AvroError::DecimalTooLong {
                len: MAX_DECIMAL_BYTES + 1,
                limit: MAX_DECIMAL_BYTES
            })
        );
        let big = r#"{"type": "bytes", "logicalType": "big-decimal"}"#;
        let mut inner = bytes(&vec![1; MAX_DECIMAL_BYTES + 1]);
        inner.extend(long(2));
        assert!(matches!(
            decode(big, &bytes(&inner)),
            Err(AvroError::DecimalTooLong { .. })
        ));
        insta::assert_snapshot!(
            AvroError::DecimalTooLong { len: 5000, limit: MAX_DECIMAL_BYTES },
            @"too large to decode for display: a decimal of 5000 bytes (at most 1024)"
        );
    }
}
