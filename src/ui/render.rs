//! Records rendered for people (text blocks) and for scripts (JSON Lines).

use std::io::{self, Write};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::decode::text::{Plain, classify, hex, hex_dump};
use crate::record::{Record, Timestamp, TimestampKind};

/// ISO 8601 in UTC with milliseconds, or the raw number when out of range.
#[must_use]
pub fn iso_timestamp(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis).map_or_else(
        || millis.to_string(),
        |at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

fn kind_name(kind: TimestampKind) -> &'static str {
    match kind {
        TimestampKind::CreateTime => "create time",
        TimestampKind::LogAppendTime => "log append time",
    }
}

/// A one-line form of a key or header value.
fn inline(bytes: &[u8]) -> String {
    match classify(bytes) {
        Plain::Json(value) => value.to_string(),
        Plain::Text(text) => text,
        Plain::Binary => format!("0x{}", hex(bytes)),
    }
}

/// A multi-line form of a value, indented by `indent`.
fn block(bytes: &[u8], indent: &str) -> String {
    let body = match classify(bytes) {
        Plain::Json(value) => {
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
        }
        Plain::Text(text) => text,
        Plain::Binary => hex_dump(bytes),
    };
    body.lines()
        .map(|line| format!("{indent}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes `record` as a text block for people.
///
/// # Errors
/// When `out` fails.
pub fn write_text(out: &mut impl Write, record: &Record) -> io::Result<()> {
    let at = &record.at;
    writeln!(
        out,
        "Record at offset #{} in topic '{}' (Partition #{}):",
        at.offset, at.topic, at.partition
    )?;
    match record.timestamp {
        Some(Timestamp { millis, kind }) => {
            writeln!(
                out,
                "    Timestamp: {} ({})",
                iso_timestamp(millis),
                kind_name(kind)
            )?;
        }
        None => writeln!(out, "    Timestamp: <none>")?,
    }
    let key = record
        .key
        .as_deref()
        .map_or_else(|| "<null>".to_owned(), inline);
    writeln!(out, "    Key: {key}")?;
    if !record.headers.is_empty() {
        writeln!(out, "    Headers:")?;
        for header in &record.headers {
            let value = header
                .value
                .as_deref()
                .map_or_else(|| "<null>".to_owned(), inline);
            writeln!(out, "        {}: {value}", header.name)?;
        }
    }
    match &record.value {
        None => writeln!(out, "    Value: <tombstone>")?,
        Some(value) => writeln!(out, "    Value:\n{}", block(value, "        "))?,
    }
    Ok(())
}

/// A key or value in JSON: decoded JSON as is, text as a string, binary as base64, each with
/// its `encoding`.
fn json_payload(bytes: Option<&[u8]>) -> Value {
    let Some(bytes) = bytes else {
        return Value::Null;
    };
    match classify(bytes) {
        Plain::Json(value) => json!({"encoding": "json", "data": value}),
        Plain::Text(text) => json!({"encoding": "utf8", "data": text}),
        Plain::Binary => json!({
            "encoding": "base64",
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        }),
    }
}

/// The JSON object of one record (one line of `print --output json`).
#[must_use]
pub fn to_json(record: &Record) -> Value {
    let mut object = Map::new();
    object.insert("topic".into(), json!(record.at.topic));
    object.insert("partition".into(), json!(record.at.partition));
    object.insert("offset".into(), json!(record.at.offset));
    match record.timestamp {
        Some(Timestamp { millis, kind }) => {
            object.insert("timestamp".into(), json!(iso_timestamp(millis)));
            object.insert("timestamp_ms".into(), json!(millis));
            object.insert(
                "timestamp_type".into(),
                json!(match kind {
                    TimestampKind::CreateTime => "create",
                    TimestampKind::LogAppendTime => "log-append",
                }),
            );
        }
        None => {
            object.insert("timestamp".into(), Value::Null);
            object.insert("timestamp_ms".into(), Value::Null);
            object.insert("timestamp_type".into(), Value::Null);
        }
    }
    object.insert("key".into(), json_payload(record.key.as_deref()));
    object.insert("value".into(), json_payload(record.value.as_deref()));
    let headers: Vec<Value> = record
        .headers
        .iter()
        .map(|header| {
            let mut entry = Map::new();
            entry.insert("name".into(), json!(header.name));
            let value = json_payload(header.value.as_deref());
            entry.insert("value".into(), value);
            Value::Object(entry)
        })
        .collect();
    object.insert("headers".into(), Value::Array(headers));
    Value::Object(object)
}

/// Writes `record` as one JSON line.
///
/// # Errors
/// When `out` fails.
pub fn write_json_line(out: &mut impl Write, record: &Record) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &to_json(record))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Coordinates, Header};

    fn sample() -> Record {
        Record {
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

    #[test]
    fn text_block() {
        let mut out = Vec::new();
        write_text(&mut out, &sample()).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
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
    fn tombstone_and_null_key() {
        let mut record = sample();
        record.key = None;
        record.value = None;
        record.headers.clear();
        record.timestamp = None;
        let mut out = Vec::new();
        write_text(&mut out, &record).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Key: <null>"), "{text}");
        assert!(text.contains("Value: <tombstone>"), "{text}");
        assert!(text.contains("Timestamp: <none>"), "{text}");
    }

    #[test]
    fn json_line_fields() {
        let mut out = Vec::new();
        let mut record = sample();
        record.key = Some(vec![0xff, 0x00]);
        write_json_line(&mut out, &record).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["partition"], 2);
        assert_eq!(value["offset"], 1043);
        assert_eq!(value["timestamp"], "2025-11-25T03:20:14.123Z");
        assert_eq!(value["timestamp_type"], "create");
        assert_eq!(value["key"], json!({"encoding": "base64", "data": "/wA="}));
        assert_eq!(value["value"]["data"]["state"], "canceled");
        assert_eq!(value["headers"][0]["name"], "kafka_dlt-exception-fqcn");
        assert_eq!(value["headers"][1]["value"]["encoding"], "base64");
        assert_eq!(value["headers"][2]["value"], Value::Null);
    }
}
