//! The test oracle of the one-pass renderer: prost-reflect's `DynamicMessage` decodes the
//! message, and its values are turned into JSON by the same rules (`json.rs` states them) by
//! walking the decoded message, a different path to the same text. Used by the unit tests and
//! the `protobuf_render` fuzz target (feature `protobuf-oracle`).

use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage as _, Value};
use serde_json::{Map, Value as Json};

/// `bytes` decoded as `descriptor` by prost-reflect, as JSON text by the renderer's rules.
///
/// # Errors
/// prost-reflect's decode error, as text.
pub fn to_json_text(descriptor: &MessageDescriptor, bytes: &[u8]) -> Result<String, String> {
    let message =
        DynamicMessage::decode(descriptor.clone(), bytes).map_err(|error| error.to_string())?;
    Ok(message_json(&message).to_string())
}

fn message_json(message: &DynamicMessage) -> Json {
    let descriptor = message.descriptor();
    let field = |number: u32| -> Option<Value> {
        descriptor
            .get_field(number)
            .map(|field| message.get_field(&field).into_owned())
    };
    let int = |number: u32| -> i64 {
        match field(number) {
            Some(Value::I64(n)) => n,
            Some(Value::I32(n)) => i64::from(n),
            _ => 0,
        }
    };
    match descriptor.full_name() {
        "google.protobuf.Timestamp" | "google.protobuf.Duration" => {
            let (seconds, nanos) = (int(1), i32::try_from(int(2)).unwrap_or_default());
            let text = if descriptor.full_name() == "google.protobuf.Timestamp" {
                super::json::timestamp_text(seconds, nanos)
            } else {
                super::json::duration_text(seconds, nanos)
            };
            if let Some(text) = text {
                return Json::String(text);
            }
        }
        "google.protobuf.DoubleValue"
        | "google.protobuf.FloatValue"
        | "google.protobuf.Int64Value"
        | "google.protobuf.UInt64Value"
        | "google.protobuf.Int32Value"
        | "google.protobuf.UInt32Value"
        | "google.protobuf.BoolValue"
        | "google.protobuf.StringValue"
        | "google.protobuf.BytesValue"
        | "google.protobuf.Struct"
        | "google.protobuf.ListValue" => {
            if let Some(first) = descriptor.fields().next() {
                return value_json(&message.get_field(&first), &first.kind());
            }
        }
        "google.protobuf.Value" => {
            return descriptor
                .fields()
                .find(|field| message.has_field(field))
                .map_or(Json::Null, |field| {
                    value_json(&message.get_field(&field), &field.kind())
                });
        }
        "google.protobuf.FieldMask" => {
            if let Some(Value::List(paths)) = field(1) {
                let paths: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
                return Json::String(paths.join(","));
            }
        }
        "google.protobuf.Any" => return any_json(message),
        _ => {}
    }
    let mut object = Map::new();
    for field in descriptor.fields() {
        let has_presence = field.containing_oneof().is_some() || field.supports_presence();
        if has_presence && !message.has_field(&field) {
            continue;
        }
        object.insert(
            field.name().to_owned(),
            value_json(&message.get_field(&field), &field.kind()),
        );
    }
    Json::Object(object)
}

fn any_json(message: &DynamicMessage) -> Json {
    let url = message
        .get_field_by_number(1)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let value = message
        .get_field_by_number(2)
        .and_then(|v| v.as_bytes().cloned())
        .unwrap_or_default();
    if url.is_empty() && value.is_empty() {
        return Json::Object(Map::new());
    }
    let mut object = Map::new();
    object.insert("@type".into(), Json::String(url.clone()));
    let name = url.rsplit('/').next().unwrap_or(&url);
    match message.descriptor().parent_pool().get_message_by_name(name) {
        Some(packed) => {
            let inner = DynamicMessage::decode(packed, value.as_ref())
                .map_or(Json::Null, |inner| message_json(&inner));
            let special = super::plan::special(name) != super::plan::Special::None;
            match inner {
                Json::Object(fields) if !special => object.extend(fields),
                other => {
                    object.insert("value".into(), other);
                }
            }
        }
        None => {
            object.insert("value".into(), Json::String(hex(&value)));
        }
    }
    Json::Object(object)
}

fn value_json(value: &Value, kind: &Kind) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I32(n) => Json::from(*n),
        Value::I64(n) => Json::from(*n),
        Value::U32(n) => Json::from(*n),
        Value::U64(n) => Json::from(*n),
        Value::F32(x) => float(f64::from(*x)),
        Value::F64(x) => float(*x),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::String(hex(b)),
        Value::EnumNumber(n) => match kind {
            Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => Json::Null,
            Kind::Enum(e) => e
                .values()
                .find(|v| v.number() == *n)
                .map_or_else(|| Json::from(*n), |v| Json::String(v.name().to_owned())),
            _ => Json::from(*n),
        },
        Value::Message(m) => message_json(m),
        Value::List(items) => {
            Json::Array(items.iter().map(|item| value_json(item, kind)).collect())
        }
        Value::Map(entries) => {
            let value_kind = match kind {
                Kind::Message(entry) => entry.map_entry_value_field().kind(),
                other => other.clone(),
            };
            let mut keys: Vec<&MapKey> = entries.keys().collect();
            keys.sort();
            let mut object = Map::new();
            for key in keys {
                let text = match key {
                    MapKey::Bool(b) => b.to_string(),
                    MapKey::I32(n) => n.to_string(),
                    MapKey::I64(n) => n.to_string(),
                    MapKey::U32(n) => n.to_string(),
                    MapKey::U64(n) => n.to_string(),
                    MapKey::String(s) => s.clone(),
                };
                if let Some(value) = entries.get(key) {
                    object.insert(text, value_json(value, &value_kind));
                }
            }
            Json::Object(object)
        }
    }
}

fn float(x: f64) -> Json {
    match serde_json::Number::from_f64(x) {
        Some(number) => Json::Number(number),
        None if x.is_nan() => Json::String("NaN".into()),
        None if x > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::from("0x");
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}
