//! Configuration layer: turns the command line and Java `.properties` files into validated,
//! typed [`Settings`].
//!
//! `properties` reads `.properties` files, `layers` applies the precedence of the sources
//! (built-in defaults < `-O` < `-o` < `-C`/`-P` < `-c`/`-p` < `-b`/`-g`) while remembering where
//! every property came from, `translate` turns Java client names into librdkafka, registry and
//! decoder settings, and `settings` decides group, commit and transactions and asks librdkafka
//! (through `kafka::check`) to check what is left.

pub mod filter;
mod layers;
mod properties;
mod settings;
mod translate;

pub use settings::{DecoderHint, RegistrySettings, Settings, TRANSACTIONAL_ID_PREFIX, resolve};

/// Parses the bytes of a Java `.properties` file into `(key, value, line)` triples, in file
/// order, as `-O`/`-C`/`-P` files are read. An entry point for the fuzz targets in `fuzz/`.
///
/// # Errors
/// [`ConfigError::ParseFile`] when the bytes are not a valid properties file.
#[doc(hidden)]
pub fn parse_properties(bytes: &[u8]) -> Result<Vec<(String, String, usize)>, ConfigError> {
    let parsed = properties::parse(bytes, std::path::Path::new("<fuzz input>"))?;
    Ok(parsed
        .into_iter()
        .map(|property| (property.key, property.value, property.line))
        .collect())
}

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
