//! The decoder of keys and values for display: picks how to read each payload (registry
//! framing, forced registry, text, hex) and never fails — a payload it cannot decode comes
//! back raw, with the reason.
//!
//! - `Auto` with a registry configured: the schema is the one the record's
//!   `__key_schema_id` / `__value_schema_id` header names (Confluent's header form), or its
//!   `apicurio.{key,value}.contentId` / `…globalId` header (Apicurio's; a Protobuf message is
//!   named by the `Ref` before it, or by Apicurio's type headers), else the one the payload's
//!   frame names (magic byte 0 and a 4-byte id, or Apicurio's 8-byte id when configured). The registry's answer says how to read the payload: Avro, Protobuf (a
//!   message-index array, in the payload or after the id in the header, then the message) or
//!   JSON Schema (JSON text). Schema id 0 is never handed out by a registry, so a payload
//!   framed with it (a big-endian number key, say) is taken as plain bytes instead.
//! - `Avro` (`-a`/`-A`, or a Java registry deserializer): the same, but a payload that names
//!   no schema is an error.
//! - Otherwise, and for `Auto` without a registry: JSON, UTF-8 text or binary (`text.rs`).

use std::sync::Arc;

use crate::config::{DecoderHint, IdWidth, Settings};
use crate::record::{Header, Record, last_header};

use super::json_text::JsonText;
use super::protobuf::{self, IndexPath};
use super::registry::{Registry, RegistrySchema, SchemaRef, SetupError};
use super::text::{Plain, classify, compact};
use super::wire::{
    self, APICURIO_KEY_ID_HEADERS, APICURIO_KEY_MESSAGE_TYPE, APICURIO_VALUE_ID_HEADERS,
    APICURIO_VALUE_MESSAGE_TYPE, KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER,
};

/// The kind of schema a payload was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaKind {
    Avro,
    Json,
    Protobuf,
    /// A schema type this tool does not know, as the registry names it.
    Other(String),
}

impl SchemaKind {
    /// The kind as people read it: `Avro`, `JSON`, `Protobuf`.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            Self::Avro => "Avro",
            Self::Json => "JSON",
            Self::Protobuf => "Protobuf",
            Self::Other(other) => other,
        }
    }

    /// The kind as scripts read it: `avro`, `json`, `protobuf`, or the registry's name in
    /// lower case.
    #[must_use]
    pub fn key(&self) -> String {
        self.label().to_lowercase()
    }
}

/// The schema a payload names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub id: SchemaRef,
    /// `None` when the registry did not say (it could not be reached, say).
    pub kind: Option<SchemaKind>,
    /// The full name of the Avro schema (`com.acme.Order`) or its type (`string`), of the
    /// Protobuf message (`com.acme.Order.Line`), or the JSON Schema's title; shared with the
    /// schema, not copied for every record.
    pub name: Option<Arc<str>>,
    /// The header that named the schema, when a header did (else the payload's frame).
    pub header: Option<&'static str>,
}

/// What is shown of a payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Decoded data, or a JSON payload, in compact form; shown pretty in text blocks.
    Json(JsonText),
    /// UTF-8 text, shown as it is.
    Text(String),
    /// Bytes, shown as a hex dump.
    Binary(Vec<u8>),
}

impl Body {
    fn raw(bytes: &[u8]) -> Self {
        match classify(bytes) {
            Plain::Json(value) => Self::Json(value),
            Plain::Text(text) => Self::Text(text),
            Plain::Binary => Self::Binary(bytes.to_vec()),
        }
    }
}

/// A key or value made readable.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The schema the record names for it, when it names one.
    pub schema: Option<SchemaInfo>,
    pub body: Body,
    /// Why the payload is shown raw instead of decoded, on one line.
    pub error: Option<String>,
}

impl Decoded {
    /// `bytes` shown as JSON, text or hex, without a schema.
    #[must_use]
    pub fn plain(bytes: &[u8]) -> Self {
        Self {
            schema: None,
            body: Body::raw(bytes),
            error: None,
        }
    }

    fn failed(bytes: &[u8], schema: Option<SchemaInfo>, error: String) -> Self {
        Self {
            schema,
            body: Body::raw(bytes),
            error: Some(error),
        }
    }
}

/// The key and value of a record made readable; `None` where the record has none.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRecord {
    pub key: Option<Decoded>,
    pub value: Option<Decoded>,
}

/// Decodes keys and values as the settings say, with a schema registry client when one is
/// configured.
#[derive(Debug, Default)]
pub struct Decoder {
    registry: Option<Registry>,
    id_width: IdWidth,
    key_hint: DecoderHint,
    value_hint: DecoderHint,
}

/// Which part of a record a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Key,
    Value,
}

impl Part {
    fn header(self) -> &'static str {
        match self {
            Self::Key => KEY_SCHEMA_ID_HEADER,
            Self::Value => VALUE_SCHEMA_ID_HEADER,
        }
    }

    fn apicurio_headers(self) -> [&'static str; 2] {
        match self {
            Self::Key => APICURIO_KEY_ID_HEADERS,
            Self::Value => APICURIO_VALUE_ID_HEADERS,
        }
    }

    fn apicurio_message_type(self) -> [&'static str; 2] {
        match self {
            Self::Key => APICURIO_KEY_MESSAGE_TYPE,
            Self::Value => APICURIO_VALUE_MESSAGE_TYPE,
        }
    }
}

/// Where a payload's schema was named, and with it where a Protobuf message-index array is.
enum Named<'a> {
    /// In the payload's frame: the array starts the payload.
    Frame,
    /// In a header: the array (possibly empty, meaning `[0]`) is what follows the id there.
    Header(&'static str, &'a [u8]),
    /// In an Apicurio id header: a Protobuf message is the one the `Ref` before it names,
    /// else the one Apicurio's type headers name (simple or full name), else the first.
    Apicurio(&'static str, Option<&'a str>),
}

impl Decoder {
    /// The decoder the settings ask for.
    ///
    /// # Errors
    /// [`SetupError`] when the registry client cannot be set up (an unreadable CA file).
    pub fn new(settings: &Settings) -> Result<Self, SetupError> {
        let registry = settings
            .registry
            .as_ref()
            .map(|registry| Registry::new(registry, settings.timeout))
            .transpose()?;
        let mut decoder = Self::with(registry, settings.key_decoder, settings.value_decoder);
        decoder.id_width = settings
            .registry
            .as_ref()
            .map_or(IdWidth::Four, |registry| registry.id_width);
        Ok(decoder)
    }

    /// A decoder with no registry that detects JSON, text and binary.
    #[must_use]
    pub fn plain() -> Self {
        Self::default()
    }

    /// A decoder over `registry` with these hints.
    #[must_use]
    pub fn with(
        registry: Option<Registry>,
        key_hint: DecoderHint,
        value_hint: DecoderHint,
    ) -> Self {
        Self {
            registry,
            id_width: IdWidth::Four,
            key_hint,
            value_hint,
        }
    }

    /// The same decoder reading ids `width` wide from framed payloads.
    #[must_use]
    pub fn with_id_width(mut self, width: IdWidth) -> Self {
        self.id_width = width;
        self
    }

    /// The registry client, if any.
    #[must_use]
    pub fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// The key and value of `record`.
    pub fn record(&mut self, record: &Record) -> DecodedRecord {
        DecodedRecord {
            key: record
                .key
                .as_deref()
                .map(|key| self.part(key, Part::Key, &record.headers)),
            value: record
                .value
                .as_deref()
                .map(|value| self.part(value, Part::Value, &record.headers)),
        }
    }

    /// The value of `record` made readable, as the settings say values are; `None` for a
    /// tombstone.
    pub fn decode_value(&mut self, record: &Record) -> Option<Decoded> {
        record
            .value
            .as_deref()
            .map(|value| self.part(value, Part::Value, &record.headers))
    }

    /// `bytes` made readable as `hint` says, with no headers to name a schema.
    pub fn decode(&mut self, bytes: &[u8], hint: DecoderHint) -> Decoded {
        self.decode_with(bytes, hint, Part::Value, &[])
    }

    fn part(&mut self, bytes: &[u8], part: Part, headers: &[Header]) -> Decoded {
        let hint = match part {
            Part::Key => self.key_hint,
            Part::Value => self.value_hint,
        };
        self.decode_with(bytes, hint, part, headers)
    }

    fn decode_with(
        &mut self,
        bytes: &[u8],
        hint: DecoderHint,
        part: Part,
        headers: &[Header],
    ) -> Decoded {
        let forced = match hint {
            DecoderHint::Hex => {
                return Decoded {
                    schema: None,
                    body: Body::Binary(bytes.to_vec()),
                    error: None,
                };
            }
            DecoderHint::Text => {
                return match std::str::from_utf8(bytes) {
                    Ok(text) => Decoded {
                        schema: None,
                        body: Body::Text(text.to_owned()),
                        error: None,
                    },
                    Err(error) => Decoded::failed(bytes, None, format!("not UTF-8 text: {error}")),
                };
            }
            DecoderHint::Auto => false,
            DecoderHint::Avro => true,
        };
        let Some(registry) = &mut self.registry else {
            return if forced {
                Decoded::failed(bytes, None, "no schema registry configured".into())
            } else {
                Decoded::plain(bytes)
            };
        };
        let name = part.header();
        if let Some(header) = last_header(headers, name) {
            return match wire::header_id(header.value.as_deref()) {
                Ok((id, indexes)) => {
                    decode_named(registry, bytes, bytes, id, &Named::Header(name, indexes))
                }
                Err(error) => Decoded::failed(bytes, None, format!("header {name}: {error}")),
            };
        }
        let apicurio = part
            .apicurio_headers()
            .into_iter()
            .find_map(|name| Some((name, last_header(headers, name)?)));
        if let Some((name, header)) = apicurio {
            let message_type = match apicurio_message_type(headers, part) {
                Ok(message_type) => message_type,
                Err(error) => return Decoded::failed(bytes, None, error),
            };
            return match wire::apicurio_header_id(header.value.as_deref()) {
                Ok(id) => decode_named(
                    registry,
                    bytes,
                    bytes,
                    SchemaRef::Id(id),
                    &Named::Apicurio(name, message_type),
                ),
                Err(error) => Decoded::failed(bytes, None, format!("header {name}: {error}")),
            };
        }
        match wire::parse_with(bytes, self.id_width) {
            Ok(framed) if forced || framed.schema_id != 0 => decode_named(
                registry,
                bytes,
                framed.payload,
                SchemaRef::Id(framed.schema_id),
                &Named::Frame,
            ),
            Err(not_framed) if forced => Decoded::failed(bytes, None, not_framed.to_string()),
            _ => Decoded::plain(bytes),
        }
    }
}

/// The Protobuf message type Apicurio's headers name for `part`: the descriptor's name, else
/// the simple name of the Java class; `Err` when such a header is not UTF-8 text.
fn apicurio_message_type(headers: &[Header], part: Part) -> Result<Option<&str>, String> {
    for name in part.apicurio_message_type() {
        let Some(header) = last_header(headers, name) else {
            continue;
        };
        let text = std::str::from_utf8(header.value.as_deref().unwrap_or_default())
            .map_err(|error| format!("header {name} is not UTF-8 text: {error}"))?;
        // A Java class: its last part (`com.acme.OrderOuterClass$Order` is `Order`).
        let simple = text.rsplit(['$', '.']).next().unwrap_or(text);
        return Ok(Some(simple).filter(|simple| !simple.is_empty()));
    }
    Ok(None)
}

/// `payload` (the part of `bytes` after any frame) decoded with the schema `id` names.
fn decode_named(
    registry: &mut Registry,
    bytes: &[u8],
    payload: &[u8],
    id: SchemaRef,
    named: &Named<'_>,
) -> Decoded {
    let mut info = SchemaInfo {
        id,
        kind: None,
        name: None,
        header: match named {
            Named::Frame => None,
            Named::Header(name, _) | Named::Apicurio(name, _) => Some(name),
        },
    };
    let schema = match registry.schema(&info.id) {
        Ok(schema) => schema,
        Err(error) => return Decoded::failed(bytes, Some(info), error.to_string()),
    };
    let id = &info.id;
    let decoded = match &*schema {
        RegistrySchema::Avro(writer) => {
            let body = writer
                .decode(payload)
                .map(|text| Body::Json(JsonText::from_compact(text)))
                .map_err(|error| format!("schema {id} ({}): {error}", writer.name()));
            info.kind = Some(SchemaKind::Avro);
            info.name = Some(writer.shared_name());
            body
        }
        RegistrySchema::Json { name, .. } => {
            let body = std::str::from_utf8(payload)
                .map_err(|error| error.to_string())
                .and_then(|text| compact(text).map_err(|error| error.to_string()))
                .map(Body::Json)
                .map_err(|error| format!("schema {id} (JSON): payload is not JSON: {error}"));
            info.kind = Some(SchemaKind::Json);
            info.name.clone_from(name);
            body
        }
        RegistrySchema::Protobuf(schema) => {
            info.kind = Some(SchemaKind::Protobuf);
            decode_protobuf(schema, payload, named, &mut info)
        }
        RegistrySchema::Other(other) => {
            info.kind = Some(SchemaKind::Other(other.clone()));
            Ok(Body::Binary(payload.to_vec()))
        }
    };
    match decoded {
        Ok(body) => Decoded {
            schema: Some(info),
            body,
            error: None,
        },
        Err(error) => Decoded::failed(bytes, Some(info), error),
    }
}

/// A Protobuf payload: the message type its index array (or Apicurio's `Ref` or headers) names,
/// then the message.
fn decode_protobuf(
    schema: &protobuf::ProtoSchema,
    payload: &[u8],
    named: &Named<'_>,
    info: &mut SchemaInfo,
) -> Result<Body, String> {
    let id = &info.id;
    let (found, message) = match named {
        Named::Frame => {
            let (path, message) = protobuf::index::read(payload)
                .map_err(|error| format!("schema {id} (Protobuf): {error}"))?;
            (schema.message(&path), message)
        }
        Named::Header(_, []) => (schema.message(&IndexPath::First), payload),
        Named::Header(name, indexes) => match protobuf::index::read(indexes) {
            Ok((path, [])) => (schema.message(&path), payload),
            Ok((_, rest)) => {
                return Err(format!(
                    "schema {id} (Protobuf): header {name} has {} byte(s) after its message-index array",
                    rest.len()
                ));
            }
            Err(error) => return Err(format!("schema {id} (Protobuf): header {name}: {error}")),
        },
        Named::Apicurio(_, message_type) => {
            // The `Ref` Apicurio's serializer writes first names the message, when it is one
            // and the schema has that type; else the headers' name, else the first message.
            let referenced = protobuf::apicurio::split_ref(payload)
                .and_then(|(name, message)| Some((schema.message_named(name).ok()?, message)));
            match (referenced, message_type) {
                (Some((found, message)), _) => (Ok(found), message),
                (None, Some(name)) => (schema.message_named(name), payload),
                (None, None) => (schema.message(&IndexPath::First), payload),
            }
        }
    };
    let found = found.map_err(|error| format!("schema {id} (Protobuf): {error}"))?;
    let name = found.name();
    let body = found
        .to_json_text(message)
        .map(|text| Body::Json(JsonText::from_compact(text)))
        .map_err(|error| format!("schema {id} ({name}): {error}"));
    info.name = Some(name);
    body
}

mod editable;

pub use editable::{Editable, TargetSchema, val_to_json};

#[cfg(test)]
mod tests;
