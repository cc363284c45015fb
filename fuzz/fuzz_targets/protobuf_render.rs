//! Fuzz target: Protobuf messages of arbitrary bytes rendered as JSON with fixed schemas,
//! compared with the oracle (prost-reflect's `DynamicMessage`, feature `protobuf-oracle`),
//! then shown as a text block and a JSON line. The first byte picks the message: one with
//! every kind of field, maps, a oneof and the well-known types; a recursive tree; a proto2
//! message with groups and defaults of its own. Never a panic, never an allocation or a
//! recursion the input's size does not pay for; a message either renders or says why on one
//! line.
#![no_main]

use std::sync::{Arc, LazyLock};

use kafka_merge_purge_core::decode::protobuf::{
    Imports, IndexPath, ProtoError, ProtoSchema, json, oracle,
};
use kafka_merge_purge_core::decode::registry::SchemaRef;
use kafka_merge_purge_core::decode::{Body, Decoded, DecodedRecord, JsonText, SchemaInfo, SchemaKind};
use kafka_merge_purge_core::record::{Coordinates, Record};
use kafka_merge_purge_core::ui::render::{TextOptions, write_json_line, write_text};
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = r#"
syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/any.proto";
import "google/protobuf/field_mask.proto";

message Everything {
  enum Suit { SPADES = 0; HEARTS = 1; }
  message Inner { string s = 1; map<int64, Suit> suits = 2; }
  double d = 1; float f = 2; int32 i32 = 3; int64 i64 = 4; uint32 u32 = 5; uint64 u64 = 6;
  sint32 s32 = 7; sint64 s64 = 8; fixed32 x32 = 9; fixed64 x64 = 10; sfixed32 sx32 = 11;
  sfixed64 sx64 = 12; bool b = 13; string s = 14; bytes raw = 15; Suit suit = 16;
  Inner inner = 17; repeated Inner inners = 18; repeated sint64 packed = 19;
  map<string, Inner> by_name = 20; map<bool, bytes> flags = 21;
  oneof pick { string text = 22; Inner nested = 23; uint64 number = 24; }
  optional int32 maybe = 25;
  google.protobuf.Timestamp at = 26; google.protobuf.Duration took = 27;
  google.protobuf.StringValue wrapped = 28; google.protobuf.Struct extra = 29;
  google.protobuf.Any any = 30; google.protobuf.FieldMask mask = 31;
  google.protobuf.Value value = 32; google.protobuf.ListValue list = 33;
  repeated Suit suits = 34; repeated double ratios = 35;
}

message Tree { int64 value = 1; repeated Tree children = 2; Tree next = 3; }
"#;

const PROTO2: &str = r#"
syntax = "proto2";
package fuzz2;
message Old {
  optional int32 a = 1 [default = 5];
  required string b = 2;
  repeated group Item = 3 { optional string name = 4; optional Old again = 5; }
  optional sint64 c = 6 [default = -3];
  enum Kind { FIRST = 1; SECOND = 2; }
  optional Kind kind = 7;
  repeated int32 unpacked = 8;
}
"#;

static SCHEMAS: LazyLock<[ProtoSchema; 2]> = LazyLock::new(|| {
    [
        ProtoSchema::compile(SCHEMA, &Imports::new()).unwrap(),
        ProtoSchema::compile(PROTO2, &Imports::new()).unwrap(),
    ]
});

fuzz_target!(|input: &[u8]| {
    let Some((&pick, bytes)) = input.split_first() else {
        return;
    };
    let (schema, path) = match pick % 3 {
        0 => (&SCHEMAS[0], IndexPath::First),
        1 => (&SCHEMAS[0], IndexPath::Path(vec![1])),
        _ => (&SCHEMAS[1], IndexPath::First),
    };
    let message = schema.message(&path).unwrap();
    let name = message.name();
    let ours = message.to_json_text(bytes);
    if bytes.len() <= 4096 {
        let descriptor = schema
            .file()
            .parent_pool()
            .get_message_by_name(&name)
            .unwrap();
        let theirs = oracle::to_json_text(&descriptor, bytes);
        match (&ours, &theirs) {
            (Ok(text), Ok(expected)) => assert_eq!(text, expected, "the oracle differs"),
            (Err(ProtoError::TooDeep { .. } | ProtoError::TooManyValues { .. }), _) => {}
            // prost-reflect reads a map field of any wire type as length-delimited.
            (Err(ProtoError::Invalid(why)), Ok(_)) if why.ends_with(json::MAP_WIRE) => {}
            // prost counts its recursion limit a level differently.
            (Ok(_), Err(error)) if error.contains("recursion limit") => {}
            (Ok(text), Err(error)) => panic!("the oracle refuses ({error}), we show {text}"),
            (Err(error), Ok(text)) => panic!("we refuse ({error}), the oracle shows {text}"),
            (Err(_), Err(_)) => {}
        }
    }
    let info = SchemaInfo {
        id: SchemaRef::Id(30),
        kind: Some(SchemaKind::Protobuf),
        name: Some(Arc::clone(&name)),
        header: None,
    };
    let decoded = match ours {
        Ok(text) => {
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(!parsed.is_null() || text == "null");
            Decoded {
                schema: Some(info),
                body: Body::Json(JsonText::from_compact(text)),
                error: None,
            }
        }
        Err(error) => {
            let reason = error.to_string();
            assert!(!reason.contains('\n'), "{reason}");
            Decoded {
                schema: Some(info),
                error: Some(reason),
                ..Decoded::plain(bytes)
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
        value: Some(bytes.to_vec()),
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
