//! Fuzz target: Avro decoding of arbitrary bytes with fixed writer schemas, compared with the
//! oracle (apache-avro's decoder, feature `avro-oracle`), then rendering as a text block and a
//! JSON line. The first byte picks the schema: a record with every type and
//! logical type, a recursive tree, an array of arrays of `null` (items that take no bytes), a
//! map of empty records, and a plain `string`. Never a panic, never an allocation or a
//! recursion the input's size does not pay for; a datum either decodes or says why on one
//! line.
#![no_main]

use std::sync::LazyLock;

use kafka_merge_purge_core::decode::avro::{AvroError, WriterSchema, oracle};
use kafka_merge_purge_core::decode::registry::SchemaRef;
use kafka_merge_purge_core::decode::{Body, Decoded, DecodedRecord, JsonText, SchemaInfo, SchemaKind};
use kafka_merge_purge_core::record::{Coordinates, Record};
use kafka_merge_purge_core::ui::render::{TextOptions, write_json_line, write_text};
use libfuzzer_sys::fuzz_target;

const EVERYTHING: &str = r#"{"type": "record", "name": "Everything", "namespace": "fuzz", "fields": [
  {"name": "n", "type": "null"},
  {"name": "b", "type": "boolean"},
  {"name": "i", "type": "int"},
  {"name": "l", "type": "long"},
  {"name": "f", "type": "float"},
  {"name": "d", "type": "double"},
  {"name": "raw", "type": "bytes"},
  {"name": "s", "type": "string"},
  {"name": "e", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS"]}},
  {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
  {"name": "a", "type": {"type": "array", "items": "long"}},
  {"name": "m", "type": {"type": "map", "values": "string"}},
  {"name": "u", "type": ["null", "string", "long",
    {"type": "record", "name": "Card", "fields": [{"name": "last4", "type": "string"}]}]},
  {"name": "date", "type": {"type": "int", "logicalType": "date"}},
  {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
  {"name": "tu", "type": {"type": "long", "logicalType": "time-micros"}},
  {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
  {"name": "tsn", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
  {"name": "lts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
  {"name": "ltsu", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
  {"name": "ltsn", "type": {"type": "long", "logicalType": "local-timestamp-nanos"}},
  {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
  {"name": "decf", "type": {"type": "fixed", "name": "Dec8", "size": 8,
    "logicalType": "decimal", "precision": 18, "scale": 4}},
  {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
  {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}},
  {"name": "uuidf", "type": {"type": "fixed", "name": "U16", "size": 16, "logicalType": "uuid"}},
  {"name": "dur", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
  {"name": "card", "type": "Card"},
  {"name": "cards", "type": {"type": "array", "items": "fuzz.Card"}}
]}"#;

const TREE: &str = r#"{"type": "record", "name": "Node", "fields": [
  {"name": "value", "type": "long"},
  {"name": "children", "type": {"type": "array", "items": "Node"}},
  {"name": "next", "type": ["null", "Node"]}
]}"#;

const NULLS: &str = r#"{"type": "array", "items": {"type": "array", "items": "null"}}"#;

const EMPTY_RECORDS: &str =
    r#"{"type": "map", "values": {"type": "record", "name": "Empty", "fields": []}}"#;

const STRING: &str = r#""string""#;

static SCHEMAS: LazyLock<Vec<WriterSchema>> = LazyLock::new(|| {
    [EVERYTHING, TREE, NULLS, EMPTY_RECORDS, STRING]
        .iter()
        .map(|json| WriterSchema::parse(json).unwrap_or_else(|e| panic!("{json}: {e}")))
        .collect()
});

fuzz_target!(|bytes: &[u8]| {
    let Some((&pick, datum)) = bytes.split_first() else {
        return;
    };
    let schemas = &*SCHEMAS;
    let writer = &schemas[usize::from(pick) % schemas.len()];
    let info = SchemaInfo {
        id: SchemaRef::Id(7),
        kind: Some(SchemaKind::Avro),
        name: Some(writer.shared_name()),
        header: None,
    };
    let ours = writer.decode(datum);
    // The oracle has no limits: only small data goes to it (see oracle.rs).
    if datum.len() <= 4096 {
        match &ours {
            Ok(text) => {
                let theirs = oracle::decode(writer, datum)
                    .map(|value| serde_json::to_string(&value).unwrap());
                assert_eq!(theirs.as_ref(), Ok(text), "the oracle differs");
            }
            Err(
                AvroError::TooDeep { .. }
                | AvroError::TooManyValues { .. }
                | AvroError::DecimalTooLong { .. },
            ) => {}
            Err(error) => {
                let theirs = oracle::decode(writer, datum);
                assert!(theirs.is_err(), "we refuse ({error}), the oracle decodes {theirs:?}");
            }
        }
    }
    let decoded = match ours {
        Ok(text) => Decoded {
            schema: Some(info),
            body: Body::Json(JsonText::from_compact(text)),
            error: None,
        },
        Err(error) => {
            let reason = error.to_string();
            assert!(!reason.contains('\n'), "{reason}");
            Decoded {
                schema: Some(info),
                error: Some(reason),
                ..Decoded::plain(datum)
            }
        }
    };
    let record = Record {
        read_from: None,
        at: Coordinates {
            topic: "dlq".into(),
            partition: 0,
            offset: 0,
        },
        timestamp: None,
        key: None,
        value: Some(datum.to_vec()),
        headers: Vec::new(),
    };
    let decoded = DecodedRecord {
        key: None,
        value: Some(decoded),
    };
    let mut text = Vec::new();
    write_text(&mut text, &record, &decoded, TextOptions::default()).unwrap();
    let mut line = Vec::new();
    write_json_line(&mut line, &record, &decoded).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&line).unwrap();
    assert!(parsed.is_object());
});
