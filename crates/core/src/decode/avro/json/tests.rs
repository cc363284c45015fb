//! The one-pass Avro to JSON conversion, type by type.

use super::*;
use crate::decode::avro::tests::{bytes, long};
use crate::decode::avro::{AvroError, WriterSchema};

fn decode(schema: &str, datum: &[u8]) -> Result<serde_json::Value, AvroError> {
    WriterSchema::parse(schema)
        .unwrap_or_else(|e| panic!("schema {schema}: {e}"))
        .decode(datum)
        .map(|text| serde_json::from_str(&text).unwrap())
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
