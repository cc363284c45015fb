//! Text blocks and JSON lines, pinned by snapshots.

use serde_json::{Value, json};

use super::*;
use crate::decode::{SchemaInfo, SchemaKind};
use crate::record::{Coordinates, Header};

use crate::decode::JsonText;

/// A JSON line read back, as a script would.
fn to_json(record: &Record, decoded: &DecodedRecord) -> Value {
    let line = json_line(record, decoded);
    assert!(!line.contains('\n'), "{line}");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn sample() -> Record {
    Record {
        read_from: None,
        at: Coordinates {
            topic: "orders-dlq".into(),
            partition: 2,
            offset: 1043,
        },
        timestamp: Some(Timestamp {
            millis: 1_764_040_814_123,
            kind: TimestampKind::CreateTime,
        }),
        key: Some(b"order-17".to_vec()),
        value: Some(br#"{"id":17,"state":"canceled"}"#.to_vec()),
        headers: vec![
            Header {
                name: "kafka_dlt-exception-fqcn".into(),
                value: Some(b"java.lang.IllegalStateException".to_vec()),
            },
            Header {
                name: "trace".into(),
                value: Some(vec![0xff, 0xfe]),
            },
            Header {
                name: "empty".into(),
                value: None,
            },
        ],
    }
}

fn plain_text(record: &Record) -> String {
    let mut out = Vec::new();
    Renderer::default().write_text(&mut out, record).unwrap();
    String::from_utf8(out).unwrap()
}

fn text(record: &Record, decoded: &DecodedRecord, options: TextOptions) -> String {
    let mut out = Vec::new();
    write_text(&mut out, record, decoded, options).unwrap();
    String::from_utf8(out).unwrap()
}

/// A record whose value was decoded with Avro schema 7, and whose key failed to decode.
fn avro_record() -> (Record, DecodedRecord) {
    let mut record = sample();
    record.key = Some(vec![0, 0, 0, 0, 9, 0x06]);
    record.value = Some(vec![0, 0, 0, 0, 7, 0x22, 0x02]);
    record.headers.truncate(1);
    let decoded = DecodedRecord {
        key: Some(Decoded {
            schema: Some(SchemaInfo {
                id: SchemaRef::Id(9),
                header: None,
                kind: None,
                name: None,
            }),
            body: Body::Binary(vec![0, 0, 0, 0, 9, 0x06]),
            error: Some("cannot fetch schema 9: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 9 not found)".into()),
        }),
        value: Some(Decoded {
            schema: Some(SchemaInfo {
                id: SchemaRef::Id(7),
                header: None,
                kind: Some(SchemaKind::Avro),
                name: Some("com.acme.Order".into()),
            }),
            body: Body::Json(JsonText::from_value(&json!({"id": 17, "state": "CANCELED", "placed": "2025-11-25T03:20:14.123Z"}))),
            error: None,
        }),
    };
    (record, decoded)
}

#[test]
fn text_block() {
    insta::assert_snapshot!(plain_text(&sample()), @r#"
    Record at offset #1043 in topic 'orders-dlq' (Partition #2):
        Timestamp: 2025-11-25T03:20:14.123Z (create time)
        Key: order-17
        Headers:
            kafka_dlt-exception-fqcn: java.lang.IllegalStateException
            trace: 0xfffe
            empty: <null>
        Value:
            {
              "id": 17,
              "state": "canceled"
            }
    "#);
}

#[test]
fn text_block_with_schema_and_failure() {
    let (record, decoded) = avro_record();
    insta::assert_snapshot!(text(&record, &decoded, TextOptions::default()), @r#"
    Record at offset #1043 in topic 'orders-dlq' (Partition #2):
        Timestamp: 2025-11-25T03:20:14.123Z (create time)
        Key (not decoded: cannot fetch schema 9: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 9 not found)): 0x000000000906
        Headers:
            kafka_dlt-exception-fqcn: java.lang.IllegalStateException
        Value (Avro schema 7, com.acme.Order):
            {
              "id": 17,
              "state": "CANCELED",
              "placed": "2025-11-25T03:20:14.123Z"
            }
    "#);
}

#[test]
fn colour_only_when_asked() {
    let (record, decoded) = avro_record();
    let plain = text(&record, &decoded, TextOptions::default());
    assert!(!plain.contains('\x1b'), "{plain}");
    let coloured = text(
        &record,
        &decoded,
        TextOptions {
            color: true,
            full_values: false,
        },
    );
    assert!(
        coloured.contains("\x1b[1mRecord at offset #1043"),
        "{coloured:?}"
    );
    assert!(coloured.contains("\x1b[36mAvro schema 7"), "{coloured:?}");
    assert!(coloured.contains("\x1b[33mnot decoded"), "{coloured:?}");
}

#[test]
fn tombstone_and_null_key() {
    let mut record = sample();
    record.key = None;
    record.value = None;
    record.headers.clear();
    record.timestamp = None;
    insta::assert_snapshot!(plain_text(&record), @r"
    Record at offset #1043 in topic 'orders-dlq' (Partition #2):
        Timestamp: <none>
        Key: <null>
        Value: <tombstone>
    ");
}

#[test]
fn long_values_are_cut_unless_asked_for_whole() {
    let mut record = sample();
    record.headers.clear();
    record.value = Some(vec![0xab; HEX_LIMIT + 100]);
    let shown = plain_text(&record);
    assert_eq!(shown.lines().count(), 4 + HEX_LIMIT / 16 + 1, "{shown}");
    assert!(
        shown.ends_with("        … 100 more byte(s) not shown (--full-values shows them)\n"),
        "{shown}"
    );

    let decoded = DecodedRecord {
        key: Some(Decoded::plain(&[b'k'; INLINE_LIMIT + 1])),
        value: Some(Decoded::plain("line of text\n".repeat(1000).as_bytes())),
    };
    let cut = text(&record, &decoded, TextOptions::default());
    let last = cut.lines().last().unwrap();
    // Cut at a line end: 315 lines of 13 bytes fit in the limit, the last without its newline.
    assert_eq!(
        last,
        "        … 8906 more byte(s) not shown (--full-values shows them)"
    );
    assert!(cut.contains("kkk … 1 more byte(s) not shown"), "{cut}");
    let whole = text(
        &record,
        &decoded,
        TextOptions {
            full_values: true,
            color: false,
        },
    );
    assert_eq!(whole.matches("line of text").count(), 1000);
    assert!(!whole.contains("not shown"));
}

#[test]
fn json_line_fields() {
    let mut out = Vec::new();
    let mut record = sample();
    record.key = Some(vec![0xff, 0x00]);
    Renderer::default()
        .write_json_line(&mut out, &record)
        .unwrap();
    let line = String::from_utf8(out).unwrap();
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
    let value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["topic"], "orders-dlq");
    assert_eq!(value["partition"], 2);
    assert_eq!(value["offset"], 1043);
    assert_eq!(value["timestamp"], "2025-11-25T03:20:14.123Z");
    assert_eq!(value["timestamp_ms"], 1_764_040_814_123_i64);
    assert_eq!(value["timestamp_type"], "create");
    assert_eq!(value["key"], json!({"encoding": "base64", "data": "/wA="}));
    assert_eq!(
        value["value"],
        json!({"encoding": "json", "data": {"id": 17, "state": "canceled"}})
    );
    assert_eq!(value["key_schema_id"], Value::Null);
    assert_eq!(value["value_schema_id"], Value::Null);
    assert_eq!(
        value["headers"][0],
        json!({"name": "kafka_dlt-exception-fqcn", "value": {"encoding": "utf8", "data": "java.lang.IllegalStateException"}})
    );
    assert_eq!(value["headers"][1]["value"]["encoding"], "base64");
    assert_eq!(value["headers"][2], json!({"name": "empty", "value": null}));
}

/// A share group's pointer read as its record says where it was read, in text and JSON.
#[test]
fn a_record_read_through_a_pointer_says_where_it_was_read() {
    let mut record = sample();
    record.read_from = Some(Coordinates {
        topic: "orders".into(),
        partition: 0,
        offset: 41,
    });
    let mut out = Vec::new();
    Renderer::default().write_text(&mut out, &record).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "\n    Read from: orders/0 offset 41 (the record this share group's pointer names)\n"
        ),
        "{text}"
    );
    let mut out = Vec::new();
    Renderer::default()
        .write_json_line(&mut out, &record)
        .unwrap();
    let value: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        value["read_from"],
        json!({"topic": "orders", "partition": 0, "offset": 41})
    );
    // Any other record: no such field.
    let mut out = Vec::new();
    Renderer::default()
        .write_json_line(&mut out, &sample())
        .unwrap();
    let value: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value.get("read_from"), None);
}

#[test]
fn json_line_with_schema_and_failure() {
    let (record, decoded) = avro_record();
    let line = to_json(&record, &decoded);
    insta::assert_snapshot!(serde_json::to_string_pretty(&line).unwrap(), @r#"
    {
      "topic": "orders-dlq",
      "partition": 2,
      "offset": 1043,
      "timestamp": "2025-11-25T03:20:14.123Z",
      "timestamp_ms": 1764040814123,
      "timestamp_type": "create",
      "key": {
        "encoding": "base64",
        "data": "AAAAAAkG",
        "schema_id": 9,
        "error": "cannot fetch schema 9: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 9 not found)"
      },
      "value": {
        "encoding": "json",
        "data": {
          "id": 17,
          "state": "CANCELED",
          "placed": "2025-11-25T03:20:14.123Z"
        },
        "schema_id": 7,
        "schema_type": "avro",
        "schema_name": "com.acme.Order"
      },
      "key_schema_id": 9,
      "value_schema_id": 7,
      "headers": [
        {
          "name": "kafka_dlt-exception-fqcn",
          "value": {
            "encoding": "utf8",
            "data": "java.lang.IllegalStateException"
          }
        }
      ]
    }
    "#);
    let mut tombstone = record.clone();
    tombstone.value = None;
    let decoded = DecodedRecord {
        key: decoded.key,
        value: None,
    };
    let line = to_json(&tombstone, &decoded);
    assert_eq!(line["value"], Value::Null);
    assert_eq!(line["value_schema_id"], Value::Null);
}

/// A multi-line header value (a stack trace) prints indented under its name, never at
/// column 0, whole or cut.
#[test]
fn multi_line_header_values_are_indented() {
    let trace = "java.lang.IllegalStateException: boom\n\tat com.acme.Orders.handle(Orders.java:42)\r\n\tat java.base/java.lang.Thread.run(Thread.java:1583)";
    let record = Record::test(0, 3)
        .with_header("kafka_dlt-exception-stacktrace", trace)
        .with_header(
            "kafka_dlt-exception-fqcn",
            "java.lang.IllegalStateException",
        );
    for full in [false, true] {
        let options = TextOptions {
            full_values: full,
            color: false,
        };
        let out = text(&record, &Decoder::plain().record(&record), options);
        for line in out.lines().skip(1) {
            assert!(line.starts_with("    "), "{line:?} in\n{out}");
        }
        assert!(out.contains("        kafka_dlt-exception-stacktrace:\n            java.lang.IllegalStateException: boom\n            \tat com.acme.Orders.handle"), "{out}");
        assert!(
            out.contains("        kafka_dlt-exception-fqcn: java.lang.IllegalStateException\n"),
            "{out}"
        );
    }
}
