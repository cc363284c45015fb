//! Types the configuration layer shares between its parts and hands to the decoders: how a
//! key or a value is shown, the schema registry client's settings, and the redaction of
//! secrets in debug output and error messages.

use std::collections::BTreeMap;
use std::fmt;

/// How to show a key or a value (display only; what is written is always the raw bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecoderHint {
    /// Detect: Confluent wire format when a registry is configured, else UTF-8/JSON, else hex.
    #[default]
    Auto,
    /// Force the schema registry path (`-a`/`-A`, or a Java registry deserializer: Avro,
    /// Protobuf or JSON Schema, Confluent's or Apicurio's): a payload not framed is an error.
    Avro,
    /// Show as UTF-8 text (Java `StringDeserializer`).
    Text,
    /// Show as a hex dump (Java `ByteArrayDeserializer` and friends).
    Hex,
}

/// Schema registry client settings (never passed to librdkafka).
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    pub url: String,
    /// `user:password` from `basic.auth.user.info`.
    pub basic_auth: Option<(String, String)>,
    /// PEM CA file for HTTPS (`schema.registry.ssl.truststore.location` in PEM form).
    pub ca_location: Option<std::path::PathBuf>,
    /// How wide the schema id after the magic byte is.
    pub id_width: IdWidth,
}

/// The width of the schema id in a framed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdWidth {
    /// Confluent's 4 bytes (and Apicurio 3's `Default4ByteIdHandler`).
    #[default]
    Four,
    /// Apicurio's 8 bytes (`apicurio.registry.id-handler=...Legacy8ByteIdHandler`, Apicurio
    /// 2's default).
    Eight,
}

impl fmt::Debug for RegistrySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySettings")
            .field("url", &self.url)
            .field(
                "basic_auth",
                &self.basic_auth.as_ref().map(|(user, _)| (user, REDACTED)),
            )
            .field("ca_location", &self.ca_location)
            .field("id_width", &self.id_width)
            .finish()
    }
}

pub(super) const REDACTED: &str = "<redacted>";

/// Whether a property holds a secret that must not be shown (debug output, error messages).
pub(super) fn is_secret(key: &str) -> bool {
    [
        "password",
        "secret",
        "sasl.jaas.config",
        "ssl.key.pem",
        "oauthbearer.config",
    ]
    .iter()
    .any(|part| key.contains(part))
}

pub(super) struct Redacted<'a>(pub &'a BTreeMap<String, String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(key, value)| {
                (
                    key,
                    if is_secret(key) {
                        REDACTED
                    } else {
                        value.as_str()
                    },
                )
            }))
            .finish()
    }
}
