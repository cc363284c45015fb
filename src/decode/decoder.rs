//! The decoder of keys and values for display: picks how to read each payload (wire format
//! and registry, forced Avro, text, hex) and never fails — a payload it cannot decode comes
//! back raw, with the reason.
//!
//! - `Auto` with a registry configured: a payload in the wire format is decoded with the
//!   schema its id names (Avro to readable JSON, JSON Schema payloads as JSON, Protobuf as
//!   raw bytes). Schema id 0 is never handed out by a registry, so a payload framed with it
//!   (a big-endian number key, say) is taken as plain bytes instead.
//! - `Avro` (`-a`/`-A`): the same, but a payload not in the wire format is an error.
//! - Otherwise, and for `Auto` without a registry: JSON, UTF-8 text or binary (`text.rs`).

use std::sync::Arc;

use crate::config::{DecoderHint, Settings};
use crate::record::Record;

use super::json_text::JsonText;
use super::registry::{Registry, RegistrySchema, SetupError};
use super::text::{Plain, classify, compact};
use super::wire::{self, Framed};

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

/// The schema a payload names in its wire-format frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub id: u32,
    /// `None` when the registry did not say (it could not be reached, say).
    pub kind: Option<SchemaKind>,
    /// The full name of the Avro schema (`com.acme.Order`), or its type (`string`); shared
    /// with the schema, not copied for every record.
    pub name: Option<Arc<str>>,
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
    /// The schema named by the wire-format frame, when the payload was read as framed.
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
    key_hint: DecoderHint,
    value_hint: DecoderHint,
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
        Ok(Self::with(
            registry,
            settings.key_decoder,
            settings.value_decoder,
        ))
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
            key_hint,
            value_hint,
        }
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
                .map(|key| self.decode(key, self.key_hint)),
            value: record
                .value
                .as_deref()
                .map(|value| self.decode_value(value)),
        }
    }

    /// A record value made readable, as the settings say values are.
    pub fn decode_value(&mut self, value: &[u8]) -> Decoded {
        self.decode(value, self.value_hint)
    }

    /// `bytes` made readable as `hint` says.
    pub fn decode(&mut self, bytes: &[u8], hint: DecoderHint) -> Decoded {
        match hint {
            DecoderHint::Hex => Decoded {
                schema: None,
                body: Body::Binary(bytes.to_vec()),
                error: None,
            },
            DecoderHint::Text => match std::str::from_utf8(bytes) {
                Ok(text) => Decoded {
                    schema: None,
                    body: Body::Text(text.to_owned()),
                    error: None,
                },
                Err(error) => Decoded::failed(bytes, None, format!("not UTF-8 text: {error}")),
            },
            DecoderHint::Auto => match (&mut self.registry, wire::parse(bytes)) {
                (Some(registry), Ok(framed)) if framed.schema_id != 0 => {
                    decode_framed(registry, bytes, framed)
                }
                _ => Decoded::plain(bytes),
            },
            DecoderHint::Avro => match (&mut self.registry, wire::parse(bytes)) {
                (None, _) => Decoded::failed(bytes, None, "no schema registry configured".into()),
                (Some(_), Err(not_framed)) => Decoded::failed(bytes, None, not_framed.to_string()),
                (Some(registry), Ok(framed)) => decode_framed(registry, bytes, framed),
            },
        }
    }
}

fn decode_framed(registry: &mut Registry, bytes: &[u8], framed: Framed<'_>) -> Decoded {
    let id = framed.schema_id;
    let mut info = SchemaInfo {
        id,
        kind: None,
        name: None,
    };
    let schema = match registry.schema(id) {
        Ok(schema) => schema,
        Err(error) => return Decoded::failed(bytes, Some(info), error.to_string()),
    };
    let decoded = match &*schema {
        RegistrySchema::Avro(writer) => {
            info.kind = Some(SchemaKind::Avro);
            let body = writer
                .decode(framed.payload)
                .map(|text| Body::Json(JsonText::from_compact(text)))
                .map_err(|error| format!("schema {id} ({}): {error}", writer.name()));
            info.name = Some(writer.shared_name());
            body
        }
        RegistrySchema::Json => {
            info.kind = Some(SchemaKind::Json);
            std::str::from_utf8(framed.payload)
                .map_err(|error| error.to_string())
                .and_then(|text| compact(text).map_err(|error| error.to_string()))
                .map(Body::Json)
                .map_err(|error| format!("schema {id} (JSON): payload is not JSON: {error}"))
        }
        RegistrySchema::Protobuf => {
            info.kind = Some(SchemaKind::Protobuf);
            Ok(Body::Binary(framed.payload.to_vec()))
        }
        RegistrySchema::Other(other) => {
            info.kind = Some(SchemaKind::Other(other.clone()));
            Ok(Body::Binary(framed.payload.to_vec()))
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
                "cannot fetch schema 11: ",
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
