//! The decoder of keys and values for display: picks how to read each payload (registry
//! framing, forced registry, text, hex) and never fails — a payload it cannot decode comes
//! back raw, with the reason.
//!
//! - `Auto` with a registry configured: the schema is the one the record's
//!   `__key_schema_id` / `__value_schema_id` header names (Confluent's header form), else the
//!   one the payload's frame names (magic byte 0 and a 4-byte id, or Apicurio's 8-byte id when
//!   configured). The registry's answer says how to read the payload: Avro, Protobuf (a
//!   message-index array, in the payload or after the id in the header, then the message) or
//!   JSON Schema (JSON text). Schema id 0 is never handed out by a registry, so a payload
//!   framed with it (a big-endian number key, say) is taken as plain bytes instead.
//! - `Avro` (`-a`/`-A`, or a Java registry deserializer): the same, but a payload that names
//!   no schema is an error.
//! - Otherwise, and for `Auto` without a registry: JSON, UTF-8 text or binary (`text.rs`).

use std::sync::Arc;

use crate::config::{DecoderHint, IdWidth, Settings};
use crate::record::{Header, Record};

use super::json_text::JsonText;
use super::protobuf::{self, IndexPath};
use super::registry::{Registry, RegistrySchema, SchemaRef, SetupError};
use super::text::{Plain, classify, compact};
use super::wire::{self, KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER};

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
}

/// Where a payload's schema was named, and with it where a Protobuf message-index array is.
enum Named<'a> {
    /// In the payload's frame: the array starts the payload.
    Frame,
    /// In a header: the array (possibly empty, meaning `[0]`) is what follows the id there.
    Header(&'static str, &'a [u8]),
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
        // The last header of the name counts, as for Confluent's deserializer.
        if let Some(header) = headers.iter().rev().find(|header| header.name == name) {
            return match wire::header_id(header.value.as_deref()) {
                Ok((id, indexes)) => {
                    decode_named(registry, bytes, bytes, id, &Named::Header(name, indexes))
                }
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
            Named::Header(name, _) => Some(name),
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
        RegistrySchema::Json { name } => {
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

/// A Protobuf payload: the message type its index array names, then the message.
fn decode_protobuf(
    schema: &protobuf::ProtoSchema,
    payload: &[u8],
    named: &Named<'_>,
    info: &mut SchemaInfo,
) -> Result<Body, String> {
    let id = &info.id;
    let (path, message) = match named {
        Named::Frame => protobuf::index::read(payload)
            .map_err(|error| format!("schema {id} (Protobuf): {error}"))?,
        Named::Header(_, []) => (IndexPath::First, payload),
        Named::Header(name, indexes) => match protobuf::index::read(indexes) {
            Ok((path, [])) => (path, payload),
            Ok((_, rest)) => {
                return Err(format!(
                    "schema {id} (Protobuf): header {name} has {} byte(s) after its message-index array",
                    rest.len()
                ));
            }
            Err(error) => return Err(format!("schema {id} (Protobuf): header {name}: {error}")),
        },
    };
    let found = schema
        .message(&path)
        .map_err(|error| format!("schema {id} (Protobuf): {error}"))?;
    let name = found.name();
    info.name = Some(Arc::clone(&name));
    found
        .to_json_text(message)
        .map(|text| Body::Json(JsonText::from_compact(text)))
        .map_err(|error| format!("schema {id} ({name}): {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_registry_payloads_are_plain() {
        let mut decoder = Decoder::plain();
        let framed = [0, 0, 0, 0, 7, 2, 4];
        assert_eq!(
            decoder.decode(&framed, DecoderHint::Auto),
            Decoded::plain(&framed)
        );
        assert_eq!(
            decoder.decode(br#"{"a":1}"#, DecoderHint::Auto).body,
            Body::Json(JsonText::from_value(&serde_json::json!({"a": 1})))
        );
        let forced = decoder.decode(&framed, DecoderHint::Avro);
        assert_eq!(
            forced.error.as_deref(),
            Some("no schema registry configured")
        );
        assert_eq!(forced.body, Body::Binary(framed.to_vec()));
    }

    /// Every way decoding can fail, against a registry served by httpmock: the payload comes
    /// back raw (as `Decoded::plain` would show it) with the reason on one line.
    #[test]
    fn failures_show_the_payload_raw_with_the_reason() {
        use httpmock::{Method::GET, MockServer};
        use std::time::Duration;

        let server = MockServer::start();
        let schema = |id: u32, status: u16, body: &str| {
            let body = body.to_owned();
            server.mock(move |when, then| {
                when.method(GET)
                    .path(format!("/schemas/ids/{id}"))
                    .header("authorization", "Basic dTpw");
                then.status(status)
                    .header("content-type", "application/vnd.schemaregistry.v1+json")
                    .body(body);
            })
        };
        let record = r#"{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"s","type":"string"}]}"#;
        let _avro = schema(7, 200, &serde_json::json!({ "schema": record }).to_string());
        let _json = schema(9, 200, r#"{"schemaType":"JSON","schema":"{}"}"#);
        let _bad = schema(11, 200, r#"{"schema":"{\"type\":\"nonsense\"}"}"#);
        let _garbage = schema(12, 200, "not json");
        let _missing = schema(
            404,
            404,
            r#"{"error_code":40403,"message":"Schema 404 not found"}"#,
        );
        let _unauthorized = server.mock(|when, then| {
            when.header_not("authorization", "Basic dTpw");
            then.status(401)
                .body(r#"{"error_code":401,"message":"Unauthorized"}"#);
        });
        let registry = |url: String, password: &str| {
            let settings = crate::config::RegistrySettings {
                url,
                basic_auth: Some(("u".into(), password.into())),
                ca_location: None,
                id_width: crate::config::IdWidth::Four,
            };
            Registry::new(&settings, Duration::from_secs(10)).unwrap()
        };
        let framed = |id: u32, payload: &[u8]| {
            let mut bytes = vec![0];
            bytes.extend(id.to_be_bytes());
            bytes.extend(payload);
            bytes
        };
        let mut good = Decoder::with(
            Some(registry(server.base_url(), "p")),
            DecoderHint::Auto,
            DecoderHint::Auto,
        );
        assert_eq!(
            good.decode(&framed(7, b"\x06abc"), DecoderHint::Auto).body,
            Body::Json(JsonText::from_value(&serde_json::json!({"s": "abc"})))
        );
        let wrong_password = Decoder::with(
            Some(registry(server.base_url(), "nope")),
            DecoderHint::Auto,
            DecoderHint::Auto,
        );
        let unreachable = Decoder::with(
            Some(registry("http://127.0.0.1:9".into(), "p")),
            DecoderHint::Auto,
            DecoderHint::Auto,
        );

        const GOOD: usize = 0;
        const WRONG_PASSWORD: usize = 1;
        const UNREACHABLE: usize = 2;
        let cases: Vec<(&str, usize, Vec<u8>, DecoderHint, &str)> = vec![
            (
                "unknown id",
                GOOD,
                framed(404, b"x"),
                DecoderHint::Auto,
                "cannot fetch schema 404: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 404 not found)",
            ),
            (
                "truncated",
                GOOD,
                framed(7, b"\x06ab"),
                DecoderHint::Auto,
                "schema 7 (com.acme.R): corrupt Avro data: the payload ends inside the datum (truncated?)",
            ),
            (
                "corrupt",
                GOOD,
                framed(7, b"\x01"),
                DecoderHint::Avro,
                "schema 7 (com.acme.R): corrupt Avro data: ",
            ),
            (
                "left over",
                GOOD,
                framed(7, b"\x06abcd"),
                DecoderHint::Auto,
                "schema 7 (com.acme.R): corrupt Avro data: 1 byte(s) left over after the datum",
            ),
            (
                "not framed under -a",
                GOOD,
                b"hello".to_vec(),
                DecoderHint::Avro,
                "not in the schema registry wire format: first byte is 0x68, not 0x00",
            ),
            (
                "too short under -a",
                GOOD,
                vec![0, 0, 7],
                DecoderHint::Avro,
                "not in the schema registry wire format: 3 byte(s), the frame alone takes 5",
            ),
            (
                "JSON Schema payload that is not JSON",
                GOOD,
                framed(9, b"{oops"),
                DecoderHint::Auto,
                "schema 9 (JSON): payload is not JSON: ",
            ),
            (
                "JSON Schema payload that is not UTF-8",
                GOOD,
                framed(9, b"\"\xff\""),
                DecoderHint::Auto,
                "schema 9 (JSON): payload is not JSON: invalid utf-8",
            ),
            (
                "schema that is not Avro",
                GOOD,
                framed(11, b""),
                DecoderHint::Auto,
                "schema 11 is not a usable Avro schema: Unknown primitive type: nonsense",
            ),
            (
                "registry answer that is not JSON",
                GOOD,
                framed(12, b""),
                DecoderHint::Auto,
                "cannot fetch schema 12: could not parse to RawRegisteredSchema",
            ),
            (
                "wrong credentials",
                WRONG_PASSWORD,
                framed(7, b"\x06abc"),
                DecoderHint::Auto,
                "cannot fetch schema 7: HTTP request to schema registry failed with status 401 Unauthorized (error 401: Unauthorized)",
            ),
            (
                "registry unreachable",
                UNREACHABLE,
                framed(7, b"\x06abc"),
                DecoderHint::Auto,
                "cannot fetch schema 7: http call to schema registry failed: ",
            ),
        ];
        let mut decoders = [good, wrong_password, unreachable];
        for (what, which, bytes, hint, reason) in cases {
            let decoded = decoders[which].decode(&bytes, hint);
            let error = decoded
                .error
                .unwrap_or_else(|| panic!("{what}: no error in {:?}", decoded.body));
            assert!(error.starts_with(reason), "{what}: {error}");
            assert!(!error.contains('\n'), "{what}: {error}");
            assert_eq!(decoded.body, Decoded::plain(&bytes).body, "{what}");
        }
    }

    /// A registry answering as Confluent's does, for every format: Protobuf with an import
    /// from a reference, JSON Schema, Avro referencing another subject, a schema by GUID.
    fn formats_registry(server: &httpmock::MockServer) {
        use httpmock::Method::GET;
        let answer = |path: String, body: serde_json::Value| {
            server.mock(move |when, then| {
                when.method(GET).path(path);
                then.status(200)
                    .header("content-type", "application/vnd.schemaregistry.v1+json")
                    .body(body.to_string());
            });
        };
        let proto = "syntax = \"proto3\";\npackage com.shop;\nimport \"acme/money.proto\";\n\
                     message Order { string id = 1; acme.Money total = 2; }\n\
                     message Bank { message Branch { string city = 1; } Branch branch = 1; }\n";
        let reference = serde_json::json!([
            {"name": "acme/money.proto", "subject": "money", "version": 3}
        ]);
        answer(
            "/schemas/ids/21".into(),
            serde_json::json!({"schemaType": "PROTOBUF", "schema": proto, "references": reference}),
        );
        answer(
            "/schemas/guids/3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c".into(),
            serde_json::json!({"schemaType": "PROTOBUF", "schema": proto, "references": reference,
                "guid": "3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c"}),
        );
        answer(
            "/subjects/money/versions/3".into(),
            serde_json::json!({"subject": "money", "version": 3, "id": 20, "schemaType": "PROTOBUF",
                "schema": "syntax = \"proto3\";\npackage acme;\nmessage Money { string currency = 1; int64 units = 2; }\n"}),
        );
        answer(
            "/schemas/ids/22".into(),
            serde_json::json!({"schemaType": "JSON",
                "schema": r#"{"title": "com.acme.Event", "$id": "https://acme.com/event.json", "type": "object"}"#}),
        );
        answer(
            "/schemas/ids/23".into(),
            serde_json::json!({"schema": r#"{"type":"record","name":"Invoice","namespace":"com.acme","fields":[{"name":"total","type":"com.acme.Amount"}]}"#,
                "references": [{"name": "com.acme.Amount", "subject": "amount", "version": 1}]}),
        );
        answer(
            "/subjects/amount/versions/1".into(),
            serde_json::json!({"subject": "amount", "version": 1, "id": 24,
                "schema": r#"{"type":"record","name":"Amount","namespace":"com.acme","fields":[{"name":"cents","type":"long"}]}"#}),
        );
        answer(
            "/schemas/ids/25".into(),
            serde_json::json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage {"}),
        );
        answer(
            "/schemas/ids/26".into(),
            serde_json::json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nimport \"gone.proto\";\nmessage A { B b = 1; }",
                "references": [{"name": "gone.proto", "subject": "gone", "version": 1}]}),
        );
        server.mock(|when, then| {
            when.method(GET).path("/subjects/gone/versions/1");
            then.status(404)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(r#"{"error_code":40402,"message":"Version 1 not found."}"#);
        });
        server.mock(|when, then| {
            when.method(GET).path("/schemas/ids/27");
            then.status(200)
                .delay(std::time::Duration::from_secs(5))
                .body(r#"{"schema":"\"string\""}"#);
        });
    }

    fn header(name: &str, value: &[u8]) -> Header {
        Header {
            name: name.into(),
            value: Some(value.to_vec()),
        }
    }

    #[test]
    fn every_registry_format_is_decoded() {
        let server = httpmock::MockServer::start();
        formats_registry(&server);
        let settings = crate::config::RegistrySettings {
            url: server.base_url(),
            basic_auth: None,
            ca_location: None,
            id_width: IdWidth::Four,
        };
        let registry = Registry::new(&settings, std::time::Duration::from_secs(1)).unwrap();
        let mut decoder = Decoder::with(Some(registry), DecoderHint::Auto, DecoderHint::Auto);
        let framed = |id: u32, payload: &[u8]| {
            let mut bytes = vec![0];
            bytes.extend(id.to_be_bytes());
            bytes.extend(payload);
            bytes
        };
        // Order { id "o", total { currency "EUR", units 5 } }, first message: index array [0].
        let order = [
            0x0a, 0x01, b'o', 0x12, 0x07, 0x0a, 0x03, b'E', b'U', b'R', 0x10, 0x05,
        ];
        let mut payload = vec![0];
        payload.extend(order);
        let decoded = decoder.decode(&framed(21, &payload), DecoderHint::Auto);
        assert_eq!(decoded.error, None);
        assert_eq!(
            decoded.body,
            Body::Json(JsonText::from_compact(
                r#"{"id":"o","total":{"currency":"EUR","units":5}}"#.into()
            ))
        );
        let schema = decoded.schema.unwrap();
        assert_eq!(schema.kind, Some(SchemaKind::Protobuf));
        assert_eq!(schema.name.as_deref(), Some("com.shop.Order"));
        // Bank.Branch { city "x" } at [1, 0]: count 2, then 1 and 0, zig-zag.
        let branch = framed(21, &[4, 2, 0, 0x0a, 0x01, b'x']);
        let decoded = decoder.decode(&branch, DecoderHint::Auto);
        assert_eq!(decoded.error, None);
        assert_eq!(
            decoded.schema.unwrap().name.as_deref(),
            Some("com.shop.Bank.Branch")
        );
        // The same schema named by GUID in the value's header; the payload is not framed.
        let guid = uuid::Uuid::parse_str("3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c").unwrap();
        let mut value_header = vec![1];
        value_header.extend(guid.as_bytes());
        value_header.extend([4, 2, 0]);
        let record = Record::test(0, 1)
            .with_value(Some(&[0x0a, 0x01, b'y']))
            .with_key(Some(b"k"));
        let mut record = record;
        record
            .headers
            .push(header(VALUE_SCHEMA_ID_HEADER, &value_header));
        let decoded = decoder.record(&record);
        let value = decoded.value.unwrap();
        assert_eq!(value.error, None);
        assert_eq!(
            value.body,
            Body::Json(JsonText::from_compact(r#"{"city":"y"}"#.into()))
        );
        let info = value.schema.unwrap();
        assert_eq!(info.id, SchemaRef::Guid(guid));
        assert_eq!(info.header, Some(VALUE_SCHEMA_ID_HEADER));
        assert_eq!(decoded.key.unwrap().schema, None, "the key names no schema");
        // JSON Schema: the title is the name.
        let decoded = decoder.decode(&framed(22, br#"{"a": [1, 2]}"#), DecoderHint::Auto);
        assert_eq!(decoded.error, None);
        assert_eq!(
            decoded.body,
            Body::Json(JsonText::from_compact(r#"{"a":[1,2]}"#.into()))
        );
        assert_eq!(
            decoded.schema.unwrap().name.as_deref(),
            Some("com.acme.Event")
        );
        // Avro with a named type from another subject: {"total": {"cents": 1234}}.
        let decoded = decoder.decode(&framed(23, &[0xa4, 0x13]), DecoderHint::Auto);
        assert_eq!(decoded.error, None);
        assert_eq!(
            decoded.body,
            Body::Json(JsonText::from_compact(r#"{"total":{"cents":1234}}"#.into()))
        );

        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "truncated index array",
                framed(21, &[4, 2]),
                "schema 21 (Protobuf): the message-index array is truncated",
            ),
            (
                "index out of range",
                framed(21, &[2, 4, 0x0a, 0x00]),
                "schema 21 (Protobuf): message index [2] is not in the schema (2 top-level message(s))",
            ),
            (
                "invalid Protobuf bytes",
                framed(21, &[0, 0x0a, 0x09, b'o']),
                "schema 21 (com.shop.Order): invalid Protobuf bytes: the message ends inside a field (truncated?)",
            ),
            (
                "a .proto that does not parse",
                framed(25, &[0]),
                "schema 25 is not a usable Protobuf schema: ",
            ),
            (
                "a reference the registry does not have",
                framed(26, &[0]),
                "cannot fetch \"gone.proto\", referenced by schema 26 (subject \"gone\" version 1): HTTP request to schema registry failed with status 404 Not Found (error 40402: Version 1 not found.)",
            ),
            (
                "a registry that times out",
                framed(27, b"x"),
                "cannot fetch schema 27: ",
            ),
        ];
        for (what, bytes, reason) in cases {
            let decoded = decoder.decode(&bytes, DecoderHint::Auto);
            let error = decoded
                .error
                .unwrap_or_else(|| panic!("{what}: no error in {:?}", decoded.body));
            assert!(error.starts_with(reason), "{what}: {error}");
            assert!(!error.contains('\n'), "{what}: {error}");
            assert_eq!(decoded.body, Decoded::plain(&bytes).body, "{what}");
        }
        // A header that cannot be read: the value shown raw, with the header's name.
        let mut record = Record::test(0, 2).with_value(Some(b"plain"));
        record.headers.push(header(VALUE_SCHEMA_ID_HEADER, &[7, 1]));
        let value = decoder.record(&record).value.unwrap();
        assert_eq!(
            value.error.as_deref(),
            Some(
                "header __value_schema_id: the first byte is 0x07, neither 0x00 (an id) nor 0x01 (a GUID)"
            )
        );
        assert_eq!(value.body, Body::Text("plain".into()));
    }

    #[test]
    fn apicurio_eight_byte_ids() {
        let server = httpmock::MockServer::start();
        formats_registry(&server);
        let settings = crate::config::RegistrySettings {
            url: server.base_url(),
            basic_auth: None,
            ca_location: None,
            id_width: IdWidth::Eight,
        };
        let registry = Registry::new(&settings, std::time::Duration::from_secs(5)).unwrap();
        let mut decoder = Decoder::with(Some(registry), DecoderHint::Auto, DecoderHint::Auto)
            .with_id_width(IdWidth::Eight);
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0, 22];
        bytes.extend(br#"{"ok":true}"#);
        let decoded = decoder.decode(&bytes, DecoderHint::Auto);
        assert_eq!(decoded.error, None);
        assert_eq!(decoded.schema.unwrap().id, SchemaRef::Id(22));
        let too_big = [0, 0, 0, 0, 1, 0, 0, 0, 22, b'1'];
        let decoded = decoder.decode(&too_big, DecoderHint::Auto);
        assert_eq!(
            decoded.error.as_deref(),
            Some("schema id 4294967318 is beyond the registry API's 32-bit ids")
        );
    }

    #[test]
    fn text_and_hex_hints() {
        let mut decoder = Decoder::plain();
        assert_eq!(
            decoder.decode(br#"{"a":1}"#, DecoderHint::Text).body,
            Body::Text(r#"{"a":1}"#.into())
        );
        assert_eq!(
            decoder.decode(b"abc", DecoderHint::Hex).body,
            Body::Binary(b"abc".to_vec())
        );
        let bad = decoder.decode(&[0xff, 0x41], DecoderHint::Text);
        assert_eq!(bad.body, Body::Binary(vec![0xff, 0x41]));
        insta::assert_snapshot!(
            bad.error.unwrap(),
            @"not UTF-8 text: invalid utf-8 sequence of 1 bytes from index 0"
        );
    }
}
