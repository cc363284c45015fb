use super::*;
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind as K, MapKey, Value};
use rand::{Rng, SeedableRng as _, rngs::StdRng};

/// Every kind of field, nested messages, a oneof, maps, enums and well-known types.
pub(super) const SCHEMA: &str = r#"
syntax = "proto3";
package com.acme;

import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/any.proto";
import "google/protobuf/field_mask.proto";

message Order {
  enum State { CREATED = 0; PAID = 1; SHIPPED = 2; }
  message Line { string sku = 1; int32 quantity = 2; map<string, int64> tags = 3; }
  string id = 1;
  int64 customer = 2;
  State state = 3;
  repeated Line lines = 4;
  map<string, Line> by_sku = 5;
  oneof payment { string card = 6; Bank bank = 7; int64 voucher = 8; }
  google.protobuf.Timestamp created_at = 9;
  bytes blob = 10;
  double ratio = 11;
  float weight = 12;
  uint64 big = 13;
  sint32 delta = 14;
  sint64 delta64 = 15;
  fixed32 f32 = 16;
  fixed64 f64 = 17;
  sfixed32 sf32 = 18;
  sfixed64 sf64 = 19;
  bool paid = 20;
  uint32 small = 21;
  optional string note = 22;
  repeated int32 numbers = 23;
  repeated State history = 24;
  map<int32, string> names = 25;
  map<bool, State> flags = 26;
  google.protobuf.Int64Value wrapped = 27;
  google.protobuf.Struct extra = 28;
  google.protobuf.Duration took = 29;
  google.protobuf.Any detail = 30;
  google.protobuf.FieldMask mask = 31;
  google.protobuf.Value anything = 32;
  repeated string words = 33;
  repeated double ratios = 34;
  map<uint64, bytes> blobs = 35;
}

message Bank {
  string iban = 1;
  message Branch { string city = 1; Order.State state = 2; }
  Branch branch = 2;
}
"#;

pub(super) fn compile(text: &str) -> ProtoSchema {
    ProtoSchema::compile(text, &Imports::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn descriptor(schema: &ProtoSchema, name: &str) -> MessageDescriptor {
    schema
        .file()
        .parent_pool()
        .get_message_by_name(name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn render(schema: &ProtoSchema, path: &[u32], bytes: &[u8]) -> Result<String, ProtoError> {
    let path = if path == [0] {
        IndexPath::First
    } else {
        IndexPath::Path(path.to_vec())
    };
    schema.message(&path).unwrap().to_json_text(bytes)
}

#[test]
fn paths_name_the_declared_messages() {
    let schema = compile(SCHEMA);
    let name = |path: &[u32]| {
        let path = IndexPath::Path(path.to_vec());
        schema.message(&path).map(|m| m.name().to_string())
    };
    assert_eq!(
        schema.message(&IndexPath::First).unwrap().name().as_ref(),
        "com.acme.Order"
    );
    // Order's map entries (TagsEntry, BySkuEntry, ...) do not count: Line is [0, 0].
    assert_eq!(name(&[0, 0]).unwrap(), "com.acme.Order.Line");
    assert_eq!(name(&[1]).unwrap(), "com.acme.Bank");
    assert_eq!(name(&[1, 0]).unwrap(), "com.acme.Bank.Branch");
    insta::assert_snapshot!(
        name(&[2]).unwrap_err(),
        @"message index [2] is not in the schema (2 top-level message(s))"
    );
    assert!(name(&[0, 1]).is_err(), "Line declares nothing");
}

#[test]
fn message_types_are_found_by_full_or_unique_name() {
    let schema = compile(SCHEMA);
    let named = |name: &str| schema.message_named(name).map(|m| m.name().to_string());
    assert_eq!(
        named("com.acme.Bank.Branch").unwrap(),
        "com.acme.Bank.Branch"
    );
    assert_eq!(named("Bank").unwrap(), "com.acme.Bank");
    assert_eq!(named("Branch").unwrap(), "com.acme.Bank.Branch");
    assert_eq!(named("Order.Line").unwrap(), "com.acme.Order.Line");
    assert_eq!(
        named("Shipment").unwrap_err(),
        "the schema declares no message type named \"Shipment\""
    );
    // A map entry is not a message type of the schema.
    assert!(named("TagsEntry").is_err());
    // A name two types end with names neither.
    let twice =
        compile("syntax = \"proto3\";\nmessage A { message X { } }\nmessage B { message X { } }\n");
    assert_eq!(
        twice
            .message_named("X")
            .map(|m| m.name().to_string())
            .unwrap_err(),
        "2 message types of the schema are named \"X\""
    );
    assert_eq!(twice.message_named("B.X").unwrap().name().as_ref(), "B.X");
}

#[test]
fn a_schema_that_does_not_compile_says_why_on_one_line() {
    let error =
        ProtoSchema::compile("syntax = \"proto3\";\nmessage { }", &Imports::new()).unwrap_err();
    assert!(!error.contains('\n'), "{error}");
    assert!(error.contains("expected"), "{error}");
    let error = ProtoSchema::compile(
        "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A { Other o = 1; }",
        &Imports::new(),
    )
    .unwrap_err();
    assert!(error.contains("other.proto"), "{error}");
}

#[test]
fn imports_come_from_the_references() {
    let imports = Imports::from([(
        "acme/money.proto".to_owned(),
        "syntax = \"proto3\";\npackage acme;\nmessage Money { string currency = 1; int64 units = 2; }"
            .to_owned(),
    )]);
    let schema = ProtoSchema::compile(
        "syntax = \"proto3\";\nimport \"acme/money.proto\";\nmessage Price { acme.Money money = 1; }",
        &imports,
    )
    .unwrap();
    // money { currency: "EUR", units: 12 }
    let bytes = [0x0a, 0x07, 0x0a, 0x03, b'E', b'U', b'R', 0x10, 0x0c];
    assert_eq!(
        render(&schema, &[0], &bytes).unwrap(),
        r#"{"money":{"currency":"EUR","units":12}}"#
    );
}

/// Bytes written by hand from the encoding rules, and the JSON expected of them.
#[test]
fn shows_each_kind_as_documented() {
    let schema = compile(SCHEMA);
    let mut bytes = Vec::new();
    let mut put = |b: &[u8]| bytes.extend_from_slice(b);
    put(&[0x0a, 0x02, b'o', b'1']); // id = "o1"
    put(&[0x10, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]); // customer = 2^53 + 1
    put(&[0x18, 0x02]); // state = SHIPPED
    put(&[0x22, 0x07, 0x0a, 0x01, b'a', 0x10, 0x03, 0x1a, 0x00]); // lines [{sku a, quantity 3, tags {"":0}}]
    put(&[0x32, 0x01, b'c']); // card = "c"
    put(&[0x3a, 0x02, 0x0a, 0x00]); // bank = {iban ""} replaces card
    put(&[0x4a, 0x05, 0x08, 0x01, 0x10, 0xe8, 0x07]); // created_at 1 s + 1000 ns
    put(&[0x52, 0x02, 0x0a, 0xff]); // blob
    put(&[0x70, 0x03]); // delta = -2
    put(&[0xb2, 0x01, 0x00]); // note = "" (explicit presence)
    put(&[0xba, 0x01, 0x03, 0x01, 0x7f, 0x02]); // numbers packed [1, 127, 2]
    put(&[0xb8, 0x01, 0x05]); // numbers unpacked 5
    put(&[0xc0, 0x01, 0x09]); // history [9]: a number State does not name
    put(&[0xca, 0x01, 0x05, 0x08, 0x02, 0x12, 0x01, b'b']); // names {2: "b"}
    put(&[0xca, 0x01, 0x05, 0x08, 0x01, 0x12, 0x01, b'a']); // names {1: "a"}
    put(&[0xda, 0x01, 0x02, 0x08, 0x07]); // wrapped = 7
    put(&[0xea, 0x01, 0x03, 0x08, 0x96, 0x01]); // took = 150 s
    put(&[
        0xfa, 0x01, 0x09, 0x0a, 0x01, b'a', 0x0a, 0x04, b'b', b'.', b'c', b'd',
    ]); // mask a,b.cd
    put(&[0x82, 0x02, 0x02, 0x20, 0x01]); // anything = true
    let text = render(&schema, &[0], &bytes).unwrap();
    insta::assert_snapshot!(text, @r#"{"id":"o1","customer":9007199254740993,"state":"SHIPPED","lines":[{"sku":"a","quantity":3,"tags":{"":0}}],"by_sku":{},"bank":{"iban":""},"created_at":"1970-01-01T00:00:01.000001Z","blob":"0x0aff","ratio":0.0,"weight":0.0,"big":0,"delta":-2,"delta64":0,"f32":0,"f64":0,"sf32":0,"sf64":0,"paid":false,"small":0,"note":"","numbers":[1,127,2,5],"history":[9],"names":{"1":"a","2":"b"},"flags":{},"wrapped":7,"took":"150s","mask":"a,b.cd","anything":true,"words":[],"ratios":[],"blobs":{}}"#);
    assert_eq!(
        oracle::to_json_text(&descriptor(&schema, "com.acme.Order"), &bytes).unwrap(),
        text
    );
}

#[test]
fn any_struct_and_proto2() {
    let schema = compile(SCHEMA);
    let order = descriptor(&schema, "com.acme.Order");
    let bank = descriptor(&schema, "com.acme.Bank");
    let mut packed = DynamicMessage::new(bank.clone());
    packed.set_field_by_name("iban", Value::String("DE1".into()));
    let mut any = DynamicMessage::new(descriptor(&schema, "google.protobuf.Any"));
    any.set_field_by_name(
        "type_url",
        Value::String("type.googleapis.com/com.acme.Bank".into()),
    );
    any.set_field_by_name("value", Value::Bytes(packed.encode_to_vec().into()));
    let mut message = DynamicMessage::new(order.clone());
    message.set_field_by_name("detail", Value::Message(any));
    let extra: DynamicMessage = {
        let text = r#"{"a": [1, "x", null, {"b": false}]}"#;
        struct_of(&schema, &serde_json::from_str(text).unwrap())
    };
    message.set_field_by_name("extra", Value::Message(extra));
    let bytes = message.encode_to_vec();
    let text = render(&schema, &[0], &bytes).unwrap();
    assert!(
        text.contains(r#""extra":{"a":[1.0,"x",null,{"b":false}]}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""detail":{"@type":"type.googleapis.com/com.acme.Bank","iban":"DE1"}"#),
        "{text}"
    );
    assert_eq!(oracle::to_json_text(&order, &bytes).unwrap(), text);

    // proto2: defaults of their own, presence everywhere, a group.
    let proto2 = compile(
        r#"syntax = "proto2";
        message Old {
          optional int32 a = 1 [default = 5];
          required string b = 2;
          repeated group Item = 3 { optional string name = 4; }
          optional sint64 c = 5;
        }"#,
    );
    // b = "x", Item { name "n" }, Item {}
    let bytes = [0x12, 0x01, b'x', 0x1b, 0x22, 0x01, b'n', 0x1c, 0x1b, 0x1c];
    let text = render(&proto2, &[0], &bytes).unwrap();
    assert_eq!(text, r#"{"b":"x","item":[{"name":"n"},{}]}"#);
    assert_eq!(
        oracle::to_json_text(&descriptor(&proto2, "Old"), &bytes).unwrap(),
        text
    );
    let error = render(&proto2, &[0], &[0x1b, 0x22, 0x00, 0x24]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid Protobuf bytes: the group of field 3 ends with the end-group tag of field 4"
    );
}

fn struct_of(schema: &ProtoSchema, json: &serde_json::Value) -> DynamicMessage {
    let value_desc = descriptor(schema, "google.protobuf.Value");
    let struct_desc = descriptor(schema, "google.protobuf.Struct");
    let list_desc = descriptor(schema, "google.protobuf.ListValue");
    fn value(
        json: &serde_json::Value,
        v: &MessageDescriptor,
        s: &MessageDescriptor,
        l: &MessageDescriptor,
    ) -> DynamicMessage {
        let mut out = DynamicMessage::new(v.clone());
        match json {
            serde_json::Value::Null => out.set_field_by_name("null_value", Value::EnumNumber(0)),
            serde_json::Value::Bool(b) => out.set_field_by_name("bool_value", Value::Bool(*b)),
            serde_json::Value::Number(n) => {
                out.set_field_by_name("number_value", Value::F64(n.as_f64().unwrap()));
            }
            serde_json::Value::String(t) => {
                out.set_field_by_name("string_value", Value::String(t.clone()));
            }
            serde_json::Value::Array(items) => {
                let mut list = DynamicMessage::new(l.clone());
                list.set_field_by_name(
                    "values",
                    Value::List(
                        items
                            .iter()
                            .map(|i| Value::Message(value(i, v, s, l)))
                            .collect(),
                    ),
                );
                out.set_field_by_name("list_value", Value::Message(list));
            }
            serde_json::Value::Object(_) => {
                out.set_field_by_name("struct_value", Value::Message(object(json, v, s, l)));
            }
        }
        out
    }
    fn object(
        json: &serde_json::Value,
        v: &MessageDescriptor,
        s: &MessageDescriptor,
        l: &MessageDescriptor,
    ) -> DynamicMessage {
        let mut out = DynamicMessage::new(s.clone());
        let fields = json
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, j)| (MapKey::String(k.clone()), Value::Message(value(j, v, s, l))))
            .collect();
        out.set_field_by_name("fields", Value::Map(fields));
        out
    }
    object(json, &value_desc, &struct_desc, &list_desc)
}

#[test]
fn bad_bytes_are_refused_with_the_reason() {
    let schema = compile(SCHEMA);
    let cases: &[(&[u8], &str)] = &[
        (
            &[0x0a, 0x05, b'a'],
            "invalid Protobuf bytes: the message ends inside a field (truncated?)",
        ),
        (
            &[0x08, 0x01],
            "invalid Protobuf bytes: field 1 (id) has wire type varint, but the schema makes it length-delimited",
        ),
        (
            &[0x0a, 0x01, 0xff],
            "invalid Protobuf bytes: a string that is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0",
        ),
        (
            &[0x00],
            "invalid Protobuf bytes: no field tag at byte 0 (field 0, wire type 0)",
        ),
        (
            &[0x0f],
            "invalid Protobuf bytes: no field tag at byte 0 (field 1, wire type 7)",
        ),
        (
            &[0x0c],
            "invalid Protobuf bytes: field 1 (id) has wire type end-group, but the schema makes it length-delimited",
        ),
        (
            &[0xfc, 0x0f],
            "invalid Protobuf bytes: an end-group tag of field 255 with no group open at byte 2",
        ),
        (
            &[
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ],
            "invalid Protobuf bytes: a varint longer than 10 bytes at byte 1",
        ),
        (
            &[0xba, 0x01, 0x02, 0x01, 0x80],
            "invalid Protobuf bytes: the message ends inside a field (truncated?)",
        ),
        // What is not shown is read too: a string a later one replaces, a oneof member a later
        // member clears.
        (
            &[0x0a, 0x01, 0xff, 0x0a, 0x01, b'a'],
            "invalid Protobuf bytes: a string that is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0",
        ),
        (
            &[0x32, 0x01, 0xff, 0x40, 0x01],
            "invalid Protobuf bytes: a string that is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0",
        ),
        // Occurrences of a message are merged, but each is read on its own first.
        (
            &[
                0x3a, 0x02, 0x0a, 0x05, 0x3a, 0x05, b'a', b'b', b'c', b'd', b'e',
            ],
            "invalid Protobuf bytes: the message ends inside a field (truncated?)",
        ),
        (
            &[0x3a, 0x02, 0x08, 0x01, 0x40, 0x01],
            "invalid Protobuf bytes: field 1 (iban) has wire type varint, but the schema makes it length-delimited",
        ),
    ];
    let order = descriptor(&schema, "com.acme.Order");
    for (bytes, reason) in cases {
        let error = render(&schema, &[0], bytes).unwrap_err();
        assert_eq!(error.to_string(), *reason, "{bytes:02x?}");
        assert!(
            oracle::to_json_text(&order, bytes).is_err(),
            "prost-reflect takes {bytes:02x?}"
        );
    }
    // Unknown fields are skipped, whatever their wire type.
    assert_eq!(
        render(
            &schema,
            &[1, 0],
            &[
                0xf8, 0x01, 0x05, 0x0a, 0x01, b'x', 0xfb, 0x01, 0x08, 0x01, 0xfc, 0x01
            ]
        )
        .unwrap(),
        r#"{"city":"x","state":"CREATED"}"#
    );
}

#[test]
fn limits_refuse_what_would_cost_too_much() {
    let recursive = compile("syntax = \"proto3\";\nmessage R { R r = 1; }");
    let mut bytes = Vec::new();
    for _ in 0..200 {
        let mut outer = vec![0x0a];
        let mut len = bytes.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                outer.push(byte);
                break;
            }
            outer.push(byte | 0x80);
        }
        outer.extend(bytes);
        bytes = outer;
    }
    assert_eq!(
        render(&recursive, &[0], &bytes).unwrap_err(),
        ProtoError::TooDeep { limit: MAX_DEPTH }
    );
}

// --- the renderer against prost-reflect, on random messages ---------------------------------

fn random_value(rng: &mut StdRng, kind: &K, depth: usize) -> Value {
    match kind {
        K::Double => Value::F64(match rng.random_range(0..6) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => -0.0,
            _ => rng.random::<f64>() * 1e6 - 5e5,
        }),
        K::Float => Value::F32(rng.random::<f32>() * 100.0),
        K::Int32 | K::Sint32 | K::Sfixed32 => Value::I32(rng.random()),
        K::Int64 | K::Sint64 | K::Sfixed64 => Value::I64(if rng.random_bool(0.3) {
            (1_i64 << 53) + rng.random_range(1..1000)
        } else {
            rng.random()
        }),
        K::Uint32 | K::Fixed32 => Value::U32(rng.random()),
        K::Uint64 | K::Fixed64 => Value::U64(rng.random()),
        K::Bool => Value::Bool(rng.random()),
        K::String => Value::String(
            (0..rng.random_range(0..6))
                .map(|_| ['a', 'é', '"', '\\', '\n', '€', '\u{1}'][rng.random_range(0..7)])
                .collect(),
        ),
        K::Bytes => Value::Bytes(
            (0..rng.random_range(0..5))
                .map(|_| rng.random::<u8>())
                .collect::<Vec<u8>>()
                .into(),
        ),
        K::Enum(e) => Value::EnumNumber(if rng.random_bool(0.2) {
            rng.random_range(-3..10)
        } else {
            e.values()
                .nth(rng.random_range(0..e.values().len()))
                .map_or(0, |v| v.number())
        }),
        K::Message(m) => Value::Message(random_message(rng, m, depth + 1)),
    }
}

fn random_message(
    rng: &mut StdRng,
    descriptor: &MessageDescriptor,
    depth: usize,
) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    if depth > 3 {
        return message;
    }
    if descriptor.full_name() == "google.protobuf.Timestamp" {
        message.set_field_by_name(
            "seconds",
            Value::I64(rng.random_range(-70_000_000_000..260_000_000_000)),
        );
        message.set_field_by_name("nanos", Value::I32(rng.random_range(-10..1_000_000_010)));
        return message;
    }
    if descriptor.full_name() == "google.protobuf.Duration" {
        message.set_field_by_name("seconds", Value::I64(rng.random_range(-1000..1000)));
        message.set_field_by_name(
            "nanos",
            Value::I32(rng.random_range(-999_999_999..1_000_000_000)),
        );
        return message;
    }
    if descriptor.full_name() == "google.protobuf.Any" {
        return message;
    }
    for field in descriptor.fields() {
        if !rng.random_bool(0.6) {
            continue;
        }
        let value = if field.is_map() {
            let K::Message(entry) = field.kind() else {
                continue;
            };
            let (key_field, value_field) =
                (entry.map_entry_key_field(), entry.map_entry_value_field());
            let entries = (0..rng.random_range(0..4))
                .map(|_| {
                    let key = match random_value(rng, &key_field.kind(), depth) {
                        Value::String(s) => MapKey::String(s),
                        Value::Bool(b) => MapKey::Bool(b),
                        Value::I32(n) => MapKey::I32(n),
                        Value::I64(n) => MapKey::I64(n),
                        Value::U32(n) => MapKey::U32(n),
                        Value::U64(n) => MapKey::U64(n),
                        _ => MapKey::I32(0),
                    };
                    (key, random_value(rng, &value_field.kind(), depth))
                })
                .collect();
            Value::Map(entries)
        } else if field.is_list() {
            Value::List(
                (0..rng.random_range(0..4))
                    .map(|_| random_value(rng, &field.kind(), depth))
                    .collect(),
            )
        } else {
            random_value(rng, &field.kind(), depth)
        };
        message.set_field(&field, value);
    }
    message
}

#[test]
fn agrees_with_prost_reflect_on_random_messages() {
    let schema = compile(SCHEMA);
    let mut rng = StdRng::seed_from_u64(18);
    for name in ["com.acme.Order", "com.acme.Bank"] {
        let desc = descriptor(&schema, name);
        let path: &[u32] = if name == "com.acme.Order" { &[0] } else { &[1] };
        for round in 0..3000 {
            let message = random_message(&mut rng, &desc, 0);
            let bytes = message.encode_to_vec();
            let ours = render(&schema, path, &bytes);
            let theirs = oracle::to_json_text(&desc, &bytes);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{name} round {round}: {bytes:02x?}"),
                _ => panic!("{name} round {round}: {ours:?} vs {theirs:?} for {bytes:02x?}"),
            }
            // The same bytes damaged: the same verdict, and the same text when both read them.
            let mut damaged = bytes.clone();
            if !damaged.is_empty() {
                for _ in 0..rng.random_range(1..3) {
                    let at = rng.random_range(0..damaged.len());
                    match rng.random_range(0..3) {
                        0 => damaged[at] = rng.random(),
                        1 => damaged.truncate(at),
                        _ => damaged.insert(at, rng.random()),
                    }
                    if damaged.is_empty() {
                        break;
                    }
                }
            }
            let ours = render(&schema, path, &damaged);
            let theirs = oracle::to_json_text(&desc, &damaged);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{name} damaged {round}: {damaged:02x?}"),
                (Err(_), Err(_)) => {}
                (Err(ProtoError::Invalid(why)), Ok(_)) if why.ends_with(json::MAP_WIRE) => {}
                _ => panic!("{name} damaged {round}: {ours:?} vs {theirs:?} for {damaged:02x?}"),
            }
        }
    }
}
