//! The encoder's defaults, integers and ranges.

use serde_json::json;

use super::super::WriterSchema;

/// Fields left out take their defaults, in Avro's JSON encoding of them (bytes, fixed
/// and decimals one character per byte; a union's for its first branch; a named type's).
#[test]
fn missing_fields_take_their_defaults() {
    let writer = WriterSchema::parse(
        r#"{"type": "record", "name": "R", "namespace": "t", "fields": [
            {"name": "n", "type": "long", "default": 7},
            {"name": "b", "type": "bytes", "default": "\u0001\u00ff"},
            {"name": "f", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "ab"},
            {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, "default": "\u0001"},
            {"name": "u", "type": ["null", "string"], "default": null},
            {"name": "g", "type": "F", "default": "cd"},
            {"name": "s", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}, "default": "B"}
        ]}"#,
    )
    .unwrap();
    let datum = writer.encode(&json!({})).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&writer.decode(&datum).unwrap()).unwrap();
    assert_eq!(
        shown,
        json!({"n": 7, "b": "0x01ff", "f": "0x6162", "d": "0.01", "u": null, "g": "0x6364", "s": "B"})
    );
}

/// A number with no fraction is an integer (jq's `/` gives floats); a float field refuses
/// what a float cannot hold.
#[test]
fn whole_numbers_are_integers_and_floats_stay_in_range() {
    let writer = WriterSchema::parse(
        r#"{"type": "record", "name": "R", "fields": [
            {"name": "i", "type": "int"}, {"name": "x", "type": "float"}]}"#,
    )
    .unwrap();
    let datum = writer.encode(&json!({"i": 3.0, "x": 1.5})).unwrap();
    assert_eq!(writer.decode(&datum).unwrap(), r#"{"i":3,"x":1.5}"#);
    let half = writer.encode(&json!({"i": 2.5, "x": 1})).unwrap_err();
    assert_eq!(half.to_string(), ".i: expected an int, found 2.5");
    let huge = writer.encode(&json!({"i": 1, "x": 1e300})).unwrap_err();
    assert_eq!(
        huge.to_string(),
        ".x: 1e+300 is out of the range of a float"
    );
}
