//! A key or value in the form a person edits (the JSON or text the decoder shows), and the way
//! back to bytes in the payload's own framing and schema: the same registry frame or headers,
//! the same schema id, the message-index array of a Protobuf payload. Writing back is the
//! schema check: Avro and Protobuf through their encoders, JSON Schema with a validator.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use jaq_json::{Num, Val};
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor};
use serde_json::Value;

use crate::config::IdWidth;
use crate::record::Record;

use super::super::protobuf;
use super::super::registry::{RegistrySchema, SchemaRef};
use super::super::text::parse_hex;
use super::super::wire;
use super::{Body, Decoder, Part, SchemaInfo, SchemaKind};

/// `--repair-schema`: the schema repairs are written with instead of the record's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSchema {
    /// The latest version of the copy's destination subject (`<topic>-value`, `<topic>-key`).
    Latest,
    /// This registry id.
    Id(u32),
}

impl std::str::FromStr for TargetSchema {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text == "latest" {
            return Ok(Self::Latest);
        }
        text.parse()
            .map(Self::Id)
            .map_err(|_| format!("{text:?} is neither `latest` nor a schema id"))
    }
}

/// How a payload is written back.
enum Writer {
    /// Plain JSON, written compact.
    Json,
    /// UTF-8 text.
    Text,
    /// A registry schema; `prefix` is what comes before the datum (the frame, a message-index
    /// array), kept as it was.
    Schema {
        prefix: Vec<u8>,
        schema: Arc<RegistrySchema>,
        /// The Protobuf message's full name.
        message: Option<Arc<str>>,
        /// The payload's frame names the schema (not a header).
        framed: bool,
    },
}

/// What the decoder showed of a payload: its JSON text (a plain JSON or JSON Schema payload's
/// own, with every digit), or text.
enum Source {
    Json(String),
    Text(String),
}

/// A payload that can be edited and written back. Values are jq's (`jaq_json::Val`), for edits
/// and transforms alike: numbers keep the digits `serde_json` would round.
pub struct Editable {
    source: Source,
    /// `Avro`, `Protobuf`, `JSON Schema`, `JSON` or `text`: for what is said to people.
    pub format: &'static str,
    writer: Writer,
}

impl std::fmt::Debug for Editable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editable")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Editable {
    fn new(source: Source, format: &'static str, writer: Writer) -> Self {
        Self {
            source,
            format,
            writer,
        }
    }

    /// Whether it is text (a person edits it as it is), not JSON.
    #[must_use]
    pub fn is_text(&self) -> bool {
        matches!(self.source, Source::Text(_))
    }

    /// The file a person edits: JSON pretty-printed with its numbers' digits as they are in
    /// the payload, text as it is.
    #[must_use]
    pub fn to_file(&self) -> String {
        let text = match &self.source {
            Source::Text(text) => return text.clone(),
            Source::Json(text) => text,
        };
        let pretty = jaq_json::write::Pp {
            indent: Some("  ".to_owned()),
            sep_space: true,
            ..jaq_json::write::Pp::default()
        };
        let mut out = Vec::new();
        match jaq_json::read::parse_single(text.as_bytes()) {
            Ok(value) if jaq_json::write::write(&mut out, &pretty, 0, &value).is_ok() => {
                out.push(b'\n');
                String::from_utf8_lossy(&out).into_owned()
            }
            _ => text.clone(),
        }
    }

    /// The value as jq's (text as a string): a transform's input, an edit's starting point.
    ///
    /// # Errors
    /// When the JSON cannot be read (it always can: the decoder read it).
    pub fn input(&self) -> Result<Val, String> {
        match &self.source {
            Source::Json(text) => jaq_json::read::parse_single(text.as_bytes())
                .map_err(|error| format!("cannot read the decoded value: {error}")),
            Source::Text(text) => Ok(Val::from(text.clone())),
        }
    }

    /// Reads what a person saved as jq's value (text as a string), numbers as they were
    /// written.
    ///
    /// # Errors
    /// When it is not JSON, on one line.
    pub fn parse(&self, text: &str) -> Result<Val, String> {
        match self.source {
            Source::Text(_) => Ok(Val::from(text.to_owned())),
            Source::Json(_) => jaq_json::read::parse_single(text.trim().as_bytes())
                .map_err(|error| format!("not JSON: {error}")),
        }
    }

    /// `value` as a payload of this one's framing and schema: the schema's check. Avro is
    /// encoded from jq's value straight; JSON is written as jq prints it (numbers keep their
    /// digits), after the JSON Schema's check; Protobuf goes through its JSON mapping.
    ///
    /// # Errors
    /// What the schema refuses, where, on one line.
    pub fn write(&self, value: &Val) -> Result<Vec<u8>, String> {
        let (prefix, schema, message) = match &self.writer {
            Writer::Text => {
                return match value {
                    Val::TStr(text) => Ok(text.to_vec()),
                    other => Err(format!("a text payload takes a string, not {other}")),
                };
            }
            Writer::Json => {
                val_to_json(value)?;
                return Ok(value.to_string().into_bytes());
            }
            Writer::Schema {
                prefix,
                schema,
                message,
                ..
            } => (prefix, schema, message),
        };
        let datum = match &**schema {
            RegistrySchema::Avro(writer) => writer
                .encode(value)
                .map_err(|error| format!("the Avro schema {} refuses {error}", writer.name()))?,
            RegistrySchema::Json {
                text, validator, ..
            } => {
                check_json_schema(text, validator, &val_to_json(value)?)?;
                value.to_string().into_bytes()
            }
            RegistrySchema::Protobuf(proto) => {
                let name = message.as_deref().unwrap_or_default();
                let descriptor = proto
                    .file()
                    .parent_pool()
                    .get_message_by_name(name)
                    .ok_or_else(|| format!("the schema has no message {name}"))?;
                protobuf_message(&descriptor, &val_to_json(value)?)?
            }
            RegistrySchema::Other(other) => {
                return Err(format!("a {other} schema cannot be written"));
            }
        };
        let mut bytes = Vec::with_capacity(prefix.len() + datum.len());
        bytes.extend_from_slice(prefix);
        bytes.extend_from_slice(&datum);
        Ok(bytes)
    }
}

/// Checks `value` against a JSON Schema (`text`), compiled once per schema into `validator`.
fn check_json_schema(
    text: &str,
    validator: &OnceLock<Result<jsonschema::Validator, String>>,
    value: &Value,
) -> Result<(), String> {
    let validator = validator
        .get_or_init(|| {
            serde_json::from_str::<Value>(text)
                .map_err(|error| error.to_string())
                .and_then(|document| {
                    jsonschema::validator_for(&document).map_err(|error| error.to_string())
                })
        })
        .as_ref()
        .map_err(|error| format!("the JSON Schema cannot be used to check: {error}"))?;
    let problems: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|error| {
            let at = error.instance_path().to_string();
            format!("{}: {error}", if at.is_empty() { "the value" } else { &at })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("the JSON Schema refuses {}", problems.join("; ")))
    }
}

/// `value` (the JSON the decoder shows: bytes as `"0x…"` hex) as a Protobuf message.
fn protobuf_message(descriptor: &MessageDescriptor, value: &Value) -> Result<Vec<u8>, String> {
    let mut value = value.clone();
    to_protobuf_json(descriptor, &mut value)?;
    let message = DynamicMessage::deserialize(descriptor.clone(), value).map_err(|error| {
        format!(
            "the Protobuf schema ({}) refuses it: {error}",
            descriptor.full_name()
        )
    })?;
    Ok(prost_reflect::prost::Message::encode_to_vec(&message))
}

/// The decoder's JSON of a Protobuf message made Protobuf's JSON mapping where they differ:
/// `bytes` (and `BytesValue`) the decoder shows as `"0x…"` hex go back as base64, a
/// `FieldMask`'s `snake_case` paths as `lowerCamelCase`. A message holding an `Any` is refused: its
/// packed message's bytes would have to be found and rewritten too.
fn to_protobuf_json(descriptor: &MessageDescriptor, value: &mut Value) -> Result<(), String> {
    let Value::Object(fields) = value else {
        return Ok(());
    };
    for (name, field_value) in fields.iter_mut() {
        let field = descriptor
            .get_field_by_name(name)
            .or_else(|| descriptor.get_field_by_json_name(name));
        let Some(field) = field else {
            continue;
        };
        let kind = if field.is_map() {
            match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field().kind(),
                other => other,
            }
        } else {
            field.kind()
        };
        let items: Vec<&mut Value> = match field_value {
            Value::Array(items) if field.is_list() => items.iter_mut().collect(),
            Value::Object(entries) if field.is_map() => entries.values_mut().collect(),
            single => vec![single],
        };
        for item in items {
            match &kind {
                Kind::Bytes => hex_as_base64(item),
                Kind::Message(inner) => match inner.full_name() {
                    "google.protobuf.BytesValue" => hex_as_base64(item),
                    "google.protobuf.FieldMask" => {
                        if let Some(paths) = item.as_str() {
                            *item = Value::String(camel_paths(paths));
                        }
                    }
                    "google.protobuf.Any" if !item.is_null() => {
                        return Err(format!(
                            "field {name} is a google.protobuf.Any, which repairs cannot write yet"
                        ));
                    }
                    _ => to_protobuf_json(inner, item)?,
                },
                _ => {}
            }
        }
    }
    Ok(())
}

/// `"0x…"` hex as base64 (anything else is left for the parser to refuse).
fn hex_as_base64(item: &mut Value) {
    if let Some(bytes) = item
        .as_str()
        .and_then(|text| text.strip_prefix("0x"))
        .and_then(parse_hex)
    {
        *item = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
}

/// A `FieldMask` as the decoder shows it (`a_b.c_d,e`) in Protobuf's JSON form (`aB.cD,e`).
fn camel_paths(paths: &str) -> String {
    let mut out = String::with_capacity(paths.len());
    let mut upper = false;
    for c in paths.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

impl Decoder {
    /// The value (or, with `key`, the key) of `record` as a person edits it, with the way back.
    ///
    /// # Errors
    /// Why it cannot be edited: none (a tombstone, a null key), not decodable (the reason),
    /// binary, or of a schema type this tool cannot write.
    pub fn editable(&mut self, record: &Record, key: bool) -> Result<Editable, String> {
        let (part, bytes, what) = if key {
            (Part::Key, record.key.as_deref(), "key")
        } else {
            (Part::Value, record.value.as_deref(), "value")
        };
        let bytes = bytes.ok_or_else(|| format!("the record has no {what} to repair"))?;
        let decoded = self.part(bytes, part, &record.headers);
        if let Some(error) = decoded.error {
            return Err(format!("its {what} cannot be decoded: {error}"));
        }
        let source = match decoded.body {
            // Plain JSON and JSON Schema payloads as they are (the decoder's compact text has
            // gone through `serde_json`'s numbers, which round); Avro and Protobuf as decoded.
            Body::Json(text) => Source::Json(match decoded.schema.as_ref().map(|s| &s.kind) {
                None | Some(Some(SchemaKind::Json)) => {
                    raw_json(bytes, &decoded.schema, self.id_width)
                        .unwrap_or_else(|| text.as_str().to_owned())
                }
                _ => text.as_str().to_owned(),
            }),
            Body::Text(text) => Source::Text(text),
            Body::Binary(_) => {
                return Err(format!(
                    "its {what} is binary: only JSON, text and registry schemas can be repaired"
                ));
            }
        };
        let Some(info) = decoded.schema else {
            let (format, writer) = match source {
                Source::Json(_) => ("JSON", Writer::Json),
                Source::Text(_) => ("text", Writer::Text),
            };
            return Ok(Editable::new(source, format, writer));
        };
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| "no schema registry".to_owned())?;
        let schema = registry
            .schema(&info.id)
            .map_err(|error| error.to_string())?;
        // The datum: all of the payload when a header names the schema, else what follows
        // the frame (and a Protobuf payload's message-index array, or Apicurio's `Ref`).
        let framed = if info.header.is_some() {
            bytes
        } else {
            wire::parse_with(bytes, self.id_width)
                .map_err(|error| error.to_string())?
                .payload
        };
        let (format, datum) = match info.kind {
            Some(SchemaKind::Avro) => ("Avro", framed),
            Some(SchemaKind::Json) => ("JSON Schema", framed),
            Some(SchemaKind::Protobuf) => {
                let message = if info.header.is_none() {
                    protobuf::index::read(framed)
                        .map(|(_, message)| message)
                        .map_err(|error| error.to_string())?
                } else if let Some((_, message)) = info
                    .header
                    .filter(|name| {
                        wire::APICURIO_KEY_ID_HEADERS.contains(name)
                            || wire::APICURIO_VALUE_ID_HEADERS.contains(name)
                    })
                    .and_then(|_| protobuf::apicurio::split_ref(framed))
                    .filter(|(name, _)| match &*schema {
                        RegistrySchema::Protobuf(proto) => proto.message_named(name).is_ok(),
                        _ => false,
                    })
                {
                    // Apicurio's serializer writes the message's `Ref` first (taken as one
                    // only when it names a message of the schema, as the decoder takes it).
                    message
                } else {
                    framed
                };
                ("Protobuf", message)
            }
            _ => return Err(format!("its {what}'s schema type cannot be written")),
        };
        let prefix = bytes
            .get(..bytes.len() - datum.len())
            .unwrap_or_default()
            .to_vec();
        Ok(Editable::new(
            source,
            format,
            Writer::Schema {
                prefix,
                schema,
                message: info.name.filter(|_| format == "Protobuf"),
                framed: info.header.is_none(),
            },
        ))
    }

    /// `editable`, written back with another schema of the same kind (`--repair-schema`): the
    /// one with id `N`, or the latest version of the subject of `topic` (`<topic>-value`, or
    /// `-key`), framed with its id.
    ///
    /// # Errors
    /// When the registry does not give it, it is of another kind, or the payload names its
    /// schema in a header or is Protobuf (which the frame alone cannot retarget).
    pub fn retarget(
        &mut self,
        editable: Editable,
        target: TargetSchema,
        topic: &str,
        key: bool,
    ) -> Result<Editable, String> {
        let Writer::Schema {
            schema: old,
            framed: true,
            ..
        } = &editable.writer
        else {
            return Err(format!(
                "--repair-schema takes records framed with a registry schema id; this {} names its schema in a header, or none",
                editable.format
            ));
        };
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| "no schema registry".to_owned())?;
        let id = match target {
            TargetSchema::Id(id) => id,
            TargetSchema::Latest => {
                let subject = format!("{topic}-{}", if key { "key" } else { "value" });
                registry
                    .latest_id(&subject)
                    .map_err(|error| error.to_string())?
            }
        };
        let schema = registry
            .schema(&SchemaRef::Id(u64::from(id)))
            .map_err(|error| error.to_string())?;
        let same_kind = matches!(
            (&**old, &*schema),
            (RegistrySchema::Avro(_), RegistrySchema::Avro(_))
                | (RegistrySchema::Json { .. }, RegistrySchema::Json { .. })
        );
        if !same_kind {
            return Err(format!(
                "--repair-schema: schema {id} is not of the record's kind ({}; Avro and JSON Schema records can be written with another schema)",
                editable.format
            ));
        }
        let mut prefix = vec![0];
        match self.id_width {
            IdWidth::Four => prefix.extend(id.to_be_bytes()),
            IdWidth::Eight => prefix.extend(u64::from(id).to_be_bytes()),
        }
        Ok(Editable {
            writer: Writer::Schema {
                prefix,
                schema,
                message: None,
                framed: true,
            },
            ..editable
        })
    }
}

/// The JSON text of a plain JSON payload, or of a JSON Schema one after its frame.
fn raw_json(bytes: &[u8], schema: &Option<SchemaInfo>, width: IdWidth) -> Option<String> {
    let text = match schema {
        Some(info) if info.header.is_none() => wire::parse_with(bytes, width).ok()?.payload,
        _ => bytes,
    };
    std::str::from_utf8(text).ok().map(str::to_owned)
}

/// A jq value as JSON, without printing and parsing it.
///
/// # Errors
/// A byte string, or an object key that is not a string: JSON has neither.
pub fn val_to_json(value: &Val) -> Result<Value, String> {
    Ok(match value {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(Num::Int(n)) => i64::try_from(*n).map_or(Value::Null, Value::from),
        Val::Num(Num::Float(x)) => match serde_json::Number::from_f64(*x) {
            Some(number) => Value::Number(number),
            None => return Err(format!("the number {x}, which JSON cannot hold")),
        },
        // Big integers and decimals as jq prints them (exact digits where JSON can hold them).
        Val::Num(number) => serde_json::from_str(&number.to_string())
            .map_err(|error| format!("the number {number}: {error}"))?,
        Val::TStr(text) => Value::String(String::from_utf8_lossy(text).into_owned()),
        Val::BStr(_) => return Err("a byte string, which JSON cannot hold".to_owned()),
        Val::Arr(items) => Value::Array(items.iter().map(val_to_json).collect::<Result<_, _>>()?),
        Val::Obj(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| match name {
                    Val::TStr(name) => Ok((
                        String::from_utf8_lossy(name).into_owned(),
                        val_to_json(field)?,
                    )),
                    other => Err(format!("an object key that is not a string: {other}")),
                })
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::protobuf::{Imports, ProtoSchema};
    use super::*;

    /// What the decoder shows of a message is written back to a message it shows alike:
    /// `bytes` and `BytesValue` as hex, a `FieldMask`'s `snake_case` paths.
    #[test]
    fn protobuf_bytes_wrappers_and_field_masks_round_trip() {
        let schema = ProtoSchema::compile(
            r#"syntax = "proto3";
               import "google/protobuf/wrappers.proto";
               import "google/protobuf/field_mask.proto";
               import "google/protobuf/any.proto";
               message M {
                 bytes raw = 1;
                 google.protobuf.BytesValue wrapped = 2;
                 google.protobuf.FieldMask mask = 3;
                 repeated bytes many = 4;
                 map<string, bytes> named = 5;
                 google.protobuf.Any packed = 6;
               }"#,
            &Imports::new(),
        )
        .unwrap();
        let descriptor = schema
            .file()
            .parent_pool()
            .get_message_by_name("M")
            .unwrap();
        let value = serde_json::json!({
            "raw": "0x00ff", "wrapped": "0xdead", "mask": "order_id,lines.unit_price",
            "many": ["0x01", "0x"], "named": {"a": "0x0a"}
        });
        let bytes = protobuf_message(&descriptor, &value).unwrap();
        let shown = schema
            .message_named("M")
            .unwrap()
            .to_json_text(&bytes)
            .unwrap();
        let mut back: Value = serde_json::from_str(&shown).unwrap();
        back.as_object_mut().unwrap().remove("packed");
        assert_eq!(back, value);
        let any = serde_json::json!({"packed": {"@type": "type.googleapis.com/M", "raw": "0x01"}});
        let refused = protobuf_message(&descriptor, &any).unwrap_err();
        assert!(refused.contains("google.protobuf.Any"), "{refused}");
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    /// Plain JSON is written as jq prints it: compact, numbers with their digits.
    #[test]
    fn json_keeps_the_digits_of_its_numbers() {
        let editable = Editable::new(Source::Json(String::new()), "JSON", Writer::Json);
        let value = editable
            .parse(r#"{ "big": 123456789012345678901234567890, "price": 1.10, "n": [1, 2] }"#)
            .unwrap();
        assert_eq!(
            String::from_utf8(editable.write(&value).unwrap()).unwrap(),
            r#"{"big":123456789012345678901234567890,"price":1.10,"n":[1,2]}"#
        );
    }
}
