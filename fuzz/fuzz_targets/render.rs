//! Fuzz target: records with arbitrary keys, values and headers (any bytes, any names) through
//! the plain decoder (no registry) and both renderers, under every decoder hint. Never a panic;
//! a JSON line is one line of valid JSON that gives back the exact key and value bytes.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kafka_merge_purge_core::config::DecoderHint;
use kafka_merge_purge_core::decode::Decoder;
use kafka_merge_purge_core::record::{Coordinates, Header, Record, Timestamp, TimestampKind};
use kafka_merge_purge_core::ui::render::{Renderer, TextOptions};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[derive(Debug, Arbitrary)]
struct Input {
    topic: String,
    partition: i32,
    offset: i64,
    timestamp: Option<(i64, bool)>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
    key_hint: u8,
    value_hint: u8,
    full_values: bool,
    color: bool,
}

fn hint(pick: u8) -> DecoderHint {
    match pick % 4 {
        0 => DecoderHint::Auto,
        1 => DecoderHint::Text,
        2 => DecoderHint::Hex,
        _ => DecoderHint::Avro,
    }
}

/// The bytes a JSON payload object stands for: `utf8` and `base64` data exactly; `json`
/// data only when the raw bytes were JSON text, checked by parsing them again.
fn check_payload(raw: Option<&[u8]>, payload: &Value) {
    let Some(raw) = raw else {
        assert!(payload.is_null(), "{payload}");
        return;
    };
    let data = &payload["data"];
    match payload["encoding"].as_str() {
        Some("utf8") => assert_eq!(data.as_str().map(str::as_bytes), Some(raw)),
        Some("base64") => {
            let decoded = BASE64.decode(data.as_str().unwrap()).unwrap();
            assert_eq!(decoded, raw);
        }
        Some("json") => {
            let again: Value = serde_json::from_slice(raw).unwrap();
            assert_eq!(&again, data);
        }
        other => panic!("encoding {other:?} in {payload}"),
    }
}

fuzz_target!(|input: Input| {
    let record = Record {
        read_from: None,
        at: Coordinates {
            topic: input.topic,
            partition: input.partition,
            offset: input.offset,
        },
        timestamp: input.timestamp.map(|(millis, log_append)| Timestamp {
            millis,
            kind: if log_append {
                TimestampKind::LogAppendTime
            } else {
                TimestampKind::CreateTime
            },
        }),
        key: input.key,
        value: input.value,
        headers: input
            .headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect(),
    };
    let decoder = Decoder::with(None, hint(input.key_hint), hint(input.value_hint));
    let options = TextOptions {
        full_values: input.full_values,
        color: input.color,
    };
    let mut renderer = Renderer::new(decoder, options);

    let mut text = Vec::new();
    renderer.write_text(&mut text, &record).unwrap();
    assert!(std::str::from_utf8(&text).is_ok());

    let mut line = Vec::new();
    renderer.write_json_line(&mut line, &record).unwrap();
    assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    assert_eq!(line.last(), Some(&b'\n'));
    let json: Value = serde_json::from_slice(&line).unwrap();
    check_payload(record.key.as_deref(), &json["key"]);
    check_payload(record.value.as_deref(), &json["value"]);
    let headers = json["headers"].as_array().unwrap();
    assert_eq!(headers.len(), record.headers.len());
    for (header, shown) in record.headers.iter().zip(headers) {
        assert_eq!(shown["name"].as_str(), Some(header.name.as_str()));
        check_payload(header.value.as_deref(), &shown["value"]);
    }
});
