//! Avro datum → readable JSON, with data encoded by hand here (zig-zag varints,
//! length-prefixed bytes) rather than by the library under test.

use num_bigint::BigInt;
use serde_json::{Value as Json, json};

use super::*;

/// Avro's zig-zag varint encoding of `int` and `long`.
pub(super) fn long(n: i64) -> Vec<u8> {
    let mut z = ((n << 1) ^ (n >> 63)).cast_unsigned();
    let mut out = Vec::new();
    loop {
        let byte = u8::try_from(z & 0x7f).unwrap();
        z >>= 7;
        if z == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Avro `bytes` and `string`: a length, then the bytes.
pub(super) fn bytes(data: &[u8]) -> Vec<u8> {
    let mut out = long(i64::try_from(data.len()).unwrap());
    out.extend_from_slice(data);
    out
}

/// `datum` decoded with `schema` and read back; the text must be exactly what `serde_json`
/// prints for the value, and what apache-avro (the oracle) makes of the datum.
fn decode(schema: &str, datum: &[u8]) -> Result<Json, AvroError> {
    let writer = WriterSchema::parse(schema).unwrap_or_else(|e| panic!("schema {schema}: {e}"));
    read_back(&writer, datum)
}

pub(super) fn read_back(writer: &WriterSchema, datum: &[u8]) -> Result<Json, AvroError> {
    let text = writer.decode(datum)?;
    let value: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(serde_json::to_string(&value).unwrap(), text, "not compact");
    // As text: `Value`'s maps compare equal whatever their order.
    let oracle = oracle::decode(writer, datum).map(|value| serde_json::to_string(&value).unwrap());
    assert_eq!(oracle, Ok(text), "the oracle differs");
    Ok(value)
}

#[test]
fn logical_types_are_readable() {
    let duration: Vec<u8> = [1_u32, 2, 3].iter().flat_map(|n| n.to_le_bytes()).collect();
    let cases: Vec<(&str, Vec<u8>, Json)> = vec![
        (
            r#"{"type": "long", "logicalType": "timestamp-millis"}"#,
            long(1_764_040_814_123),
            json!("2025-11-25T03:20:14.123Z"),
        ),
        (
            r#"{"type": "long", "logicalType": "timestamp-millis"}"#,
            long(-1),
            json!("1969-12-31T23:59:59.999Z"),
        ),
        (
            r#"{"type": "long", "logicalType": "timestamp-micros"}"#,
            long(1_764_040_814_123_456),
            json!("2025-11-25T03:20:14.123456Z"),
        ),
        (
            r#"{"type": "long", "logicalType": "timestamp-nanos"}"#,
            long(1_764_040_814_123_456_789),
            json!("2025-11-25T03:20:14.123456789Z"),
        ),
        (
            r#"{"type": "long", "logicalType": "local-timestamp-millis"}"#,
            long(1_764_040_814_123),
            json!("2025-11-25T03:20:14.123"),
        ),
        (
            r#"{"type": "long", "logicalType": "local-timestamp-micros"}"#,
            long(1_764_040_814_000_001),
            json!("2025-11-25T03:20:14.000001"),
        ),
        (
            r#"{"type": "long", "logicalType": "local-timestamp-nanos"}"#,
            long(5),
            json!("1970-01-01T00:00:00.000000005"),
        ),
        (
            r#"{"type": "int", "logicalType": "date"}"#,
            long(20_417),
            json!("2025-11-25"),
        ),
        (
            r#"{"type": "int", "logicalType": "date"}"#,
            long(-1),
            json!("1969-12-31"),
        ),
        (
            r#"{"type": "int", "logicalType": "time-millis"}"#,
            long(45_296_789),
            json!("12:34:56.789"),
        ),
        (
            r#"{"type": "long", "logicalType": "time-micros"}"#,
            long(45_296_789_012),
            json!("12:34:56.789012"),
        ),
        (
            r#"{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}"#,
            bytes(&(-1234_i16).to_be_bytes()),
            json!("-12.34"),
        ),
        (
            r#"{"type": "bytes", "logicalType": "decimal", "precision": 30, "scale": 0}"#,
            // 2^64 + 1: beyond every machine integer, still exact.
            bytes(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0x01]),
            json!("18446744073709551617"),
        ),
        (
            r#"{"type": {"type": "fixed", "name": "Amount", "size": 8},
                "logicalType": "decimal", "precision": 18, "scale": 4}"#,
            5_i64.to_be_bytes().to_vec(),
            json!("0.0005"),
        ),
        (
            r#"{"type": "string", "logicalType": "uuid"}"#,
            bytes(b"550e8400-e29b-41d4-a716-446655440000"),
            json!("550e8400-e29b-41d4-a716-446655440000"),
        ),
        (
            r#"{"type": {"type": "fixed", "name": "Id", "size": 16}, "logicalType": "uuid"}"#,
            vec![
                0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44,
                0x00, 0x00,
            ],
            json!("550e8400-e29b-41d4-a716-446655440000"),
        ),
        (
            r#"{"type": {"type": "fixed", "name": "Wait", "size": 12}, "logicalType": "duration"}"#,
            duration,
            json!({"months": 1, "days": 2, "millis": 3}),
        ),
    ];
    for (schema, datum, expected) in cases {
        assert_eq!(decode(schema, &datum), Ok(expected), "schema {schema}");
    }
}

#[test]
fn complex_types_are_readable() {
    let schema = r#"{
        "type": "record", "name": "Order", "namespace": "com.acme",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["NEW", "CANCELED"]}},
            {"name": "lines", "type": {"type": "array", "items": {
                "type": "record", "name": "Line",
                "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
            {"name": "tags", "type": {"type": "map", "values": "string"}},
            {"name": "note", "type": ["null", "string"]},
            {"name": "comment", "type": ["null", "string"]},
            {"name": "payment", "type": ["null", "string",
                {"type": "record", "name": "Card", "fields": [{"name": "last4", "type": "string"}]}]},
            {"name": "checksum", "type": {"type": "fixed", "name": "Md5", "size": 2}},
            {"name": "blob", "type": "bytes"},
            {"name": "ratio", "type": "double"},
            {"name": "next", "type": ["null", "Line"]}
        ]
    }"#;
    let mut datum = long(17);
    datum.extend(long(1)); // CANCELED
    datum.extend(long(1)); // one array block of one line
    datum.extend(bytes(b"A-1"));
    datum.extend(long(3));
    datum.extend(long(0)); // end of array
    datum.extend(long(2)); // one map block of two entries, in reverse order
    datum.extend(bytes(b"z"));
    datum.extend(bytes(b"last"));
    datum.extend(bytes(b"a"));
    datum.extend(bytes(b"first"));
    datum.extend(long(0)); // end of map
    datum.extend(long(1)); // note: string branch
    datum.extend(bytes(b"fragile"));
    datum.extend(long(0)); // comment: null branch
    datum.extend(long(2)); // payment: Card branch
    datum.extend(bytes(b"4242"));
    datum.extend([0xbe, 0xef]);
    datum.extend(bytes(&[0x00, 0xff]));
    datum.extend(f64::NAN.to_le_bytes());
    datum.extend(long(1)); // next: Line, named by reference
    datum.extend(bytes(b"B-2"));
    datum.extend(long(-1));

    let writer = WriterSchema::parse(schema).unwrap();
    assert_eq!(writer.name(), "com.acme.Order");
    let decoded = read_back(&writer, &datum).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&decoded).unwrap(), @r#"
    {
      "id": 17,
      "state": "CANCELED",
      "lines": [
        {
          "sku": "A-1",
          "qty": 3
        }
      ],
      "tags": {
        "a": "first",
        "z": "last"
      },
      "note": "fragile",
      "comment": null,
      "payment": {
        "com.acme.Card": {
          "last4": "4242"
        }
      },
      "checksum": "0xbeef",
      "blob": "0x00ff",
      "ratio": "NaN",
      "next": {
        "sku": "B-2",
        "qty": -1
      }
    }
    "#);
}

#[test]
fn primitive_schemas_are_named_by_type() {
    let writer = WriterSchema::parse(r#""string""#).unwrap();
    assert_eq!(writer.name(), "string");
    assert_eq!(
        read_back(&writer, &bytes(b"order-17")),
        Ok(json!("order-17"))
    );
    let union = WriterSchema::parse(r#"["string", "long"]"#).unwrap();
    assert_eq!(union.name(), "union");
    let mut datum = long(1);
    datum.extend(long(42));
    assert_eq!(read_back(&union, &datum), Ok(json!({"long": 42})));
}

#[test]
fn bad_data_is_an_error_not_a_panic() {
    let record = r#"{"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "string"}, {"name": "b", "type": "long"}]}"#;
    let mut good = bytes(b"abc");
    good.extend(long(5));
    assert_eq!(decode(record, &good), Ok(json!({"a": "abc", "b": 5})));

    // Cut short anywhere: an error every time, also where apache-avro alone would read a
    // `null` (a string, boolean or union index cut by the end of the input).
    for cut in 0..good.len() {
        assert_eq!(
            decode(record, &good[..cut]),
            Err(AvroError::Truncated),
            "cut at {cut}"
        );
    }
    let last = r#"{"type": "record", "name": "R", "fields": [
        {"name": "flag", "type": "boolean"}, {"name": "s", "type": "string"},
        {"name": "u", "type": ["null", "long"]}]}"#;
    let mut full = vec![1];
    full.extend(bytes(b"abc"));
    full.extend(long(1));
    full.extend(long(7));
    assert_eq!(
        decode(last, &full),
        Ok(json!({"flag": true, "s": "abc", "u": 7}))
    );
    for cut in 0..full.len() {
        assert_eq!(
            decode(last, &full[..cut]),
            Err(AvroError::Truncated),
            "cut at {cut}"
        );
    }
    let mut longer = good.clone();
    longer.extend([1, 2]);
    assert_eq!(
        decode(record, &longer),
        Err(AvroError::LeftOver { left: 2 })
    );
    // A negative string length.
    let error = decode(record, &long(-3)).unwrap_err();
    assert!(matches!(error, AvroError::Corrupt(_)), "{error:?}");
    assert!(!error.to_string().contains('\n'));
    // A union index out of range.
    let error = decode(r#"["null", "string"]"#, &long(7)).unwrap_err();
    assert!(matches!(error, AvroError::Corrupt(_)), "{error:?}");
}

#[test]
fn decimals_as_exact_strings() {
    let cases = [
        (0, 0, "0"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (12_345, 2, "123.45"),
        (-12_345, 5, "-0.12345"),
        (100, 1, "10.0"),
        (7, 0, "7"),
    ];
    for (unscaled, scale, expected) in cases {
        let schema = format!(
            r#"{{"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": {scale}}}"#
        );
        let datum = bytes(&BigInt::from(unscaled).to_signed_bytes_be());
        assert_eq!(
            decode(&schema, &datum),
            Ok(json!(expected)),
            "{unscaled} scale {scale}"
        );
    }
    // Beyond 16 bytes, a big integer.
    let schema = r#"{"type": "bytes", "logicalType": "decimal", "precision": 60, "scale": 3}"#;
    let unscaled: BigInt = -BigInt::from(10).pow(45_u32) - 1;
    assert_eq!(
        decode(schema, &bytes(&unscaled.to_signed_bytes_be())),
        Ok(json!(format!("-1{}.001", "0".repeat(42))))
    );
}

/// Found while fuzzing the `avro` target: a big-decimal carries its own scale, any `long`, and
/// bigdecimal's plain notation spells out every zero of it (a scale of -10^15 asked for a
/// petabyte and aborted the process). Such scales are shown in scientific notation.
#[test]
fn huge_big_decimal_scale_is_shown_in_scientific_notation() {
    let schema = r#"{"type": "bytes", "logicalType": "big-decimal"}"#;
    let big = |unscaled: &[u8], scale: i64| {
        let mut inner = bytes(unscaled);
        inner.extend(long(scale));
        bytes(&inner)
    };
    assert_eq!(decode(schema, &big(&[0x30, 0x39], 3)), Ok(json!("12.345")));
    assert_eq!(decode(schema, &big(&[0x01], -3)), Ok(json!("1000")));
    assert_eq!(
        decode(schema, &big(&[0x01], -1_000_000_000_000_000)),
        Ok(json!("1e1000000000000000"))
    );
    assert_eq!(
        decode(schema, &big(&[0x07], i64::MAX)),
        Ok(json!(format!("7e-{}", i64::MAX)))
    );
    assert_eq!(
        decode(schema, &big(&[0x01], -1000)),
        Ok(json!(format!("1{}", "0".repeat(1000))))
    );
}

/// A map may repeat a key (nothing in the encoding forbids it): the last entry wins, as in
/// apache-avro, and the keys are shown sorted.
#[test]
fn a_repeated_map_key_shows_its_last_value() {
    let schema = r#"{"type": "map", "values": "long"}"#;
    let mut datum = long(2);
    datum.extend(bytes(b"k"));
    datum.extend(long(1));
    datum.extend(bytes(b"b"));
    datum.extend(long(2));
    datum.extend(long(-2)); // a second block, with its size in bytes
    datum.extend(long(4));
    datum.extend(bytes(b"k"));
    datum.extend(long(3));
    datum.extend(bytes(b"a"));
    datum.extend(long(4));
    datum.extend(long(0));
    let writer = WriterSchema::parse(schema).unwrap();
    assert_eq!(writer.decode(&datum).unwrap(), r#"{"a":4,"b":2,"k":3}"#);
    assert_eq!(
        read_back(&writer, &datum),
        Ok(json!({"a": 4, "b": 2, "k": 3}))
    );
}

/// Found by the `avro` fuzz target: the reason a UUID is refused quoted the text, line breaks
/// and all, and a reason must fit one line.
#[test]
fn a_bad_uuid_is_refused_on_one_line() {
    let schema = r#"{"type": "string", "logicalType": "uuid"}"#;
    let error = decode(schema, &bytes(b"\n550e8400")).unwrap_err();
    assert_eq!(
        error,
        AvroError::Corrupt(r#"not a UUID: "\n550e8400" at byte 10"#.into())
    );
}
