//! What can be wrong with the configuration (every one a usage error, exit code 2), and the
//! answer of the librdkafka property check the configuration layer is handed.

use std::fmt;

/// Everything wrong with the configuration; all of it is a usage error (exit code 2).
///
/// `origin` fields name where a property came from: a file and line
/// (`client.properties, line 4`), an option (`-o`, `-c`, `-p`, `-b`, `-g`, `-t`) or
/// `built-in default`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read properties file {path}: {source}")]
    ReadFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "malformed properties file {}{}: {reason}",
        path.display(),
        line.map(|line| format!(", line {line}")).unwrap_or_default()
    )]
    ParseFile {
        path: std::path::PathBuf,
        line: Option<usize>,
        reason: String,
    },
    #[error("malformed property {given:?} given with {option}: expected KEY=VALUE")]
    MalformedOption { option: &'static str, given: String },
    #[error("unknown property {key:?} (from {origin}): {reason}")]
    UnknownProperty {
        key: String,
        origin: String,
        reason: String,
    },
    #[error("invalid value for property {key:?} (from {origin}): {reason}")]
    InvalidValue {
        key: String,
        origin: String,
        reason: String,
    },
    /// Two sources of the same precedence (or the consumer and the producer side) disagree.
    #[error("conflicting values for property {key:?} (from {first} and from {second}): {reason}")]
    Conflict {
        key: String,
        first: String,
        second: String,
        reason: String,
    },
    #[error("a consumer group is required for {command}: give it with -g/--group")]
    MissingGroup { command: &'static str },
    #[error(
        "no bootstrap servers: give them with -b/--bootstrap-servers or the bootstrap.servers property"
    )]
    MissingBootstrap,
    /// Avro decoding was asked for (by `what`) but no `schema.registry.url` is configured.
    #[error(
        "{what} needs a schema registry: set schema.registry.url (with -o, -c or a properties file)"
    )]
    MissingRegistry { what: String },
    #[error("{0}")]
    Other(String),
}

/// Why librdkafka refused a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyProblem {
    /// librdkafka has no property of that name; carries librdkafka's message.
    Unknown(String),
    /// The name exists but the value is not valid for it; carries librdkafka's message.
    Invalid(String),
}

impl fmt::Display for PropertyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(message) | Self::Invalid(message) => f.write_str(message),
        }
    }
}

/// Checks one `(key, value)` property for the Kafka client: the configuration layer is handed
/// one (librdkafka's own, `config::librdkafka::classify_property`) instead of reaching into Kafka.
pub type PropertyCheck = fn(&str, &str) -> Result<(), PropertyProblem>;
