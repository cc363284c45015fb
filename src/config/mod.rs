//! Configuration layer: turns the command line and Java `.properties` files into validated,
//! typed [`Settings`] (properties reader, precedence of sources, Java name translation).

mod layers;
mod properties;
mod settings;
mod translate;

pub use settings::{
    DecoderHint, RegistrySettings, Settings, TRANSACTIONAL_ID_PREFIX, resolve,
};

/// Everything wrong with the configuration; all of it is a usage error (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read properties file {path}: {source}")]
    ReadFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("malformed properties file {path}: {reason}")]
    ParseFile {
        path: std::path::PathBuf,
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
    #[error("a consumer group is required for {command}: give it with -g/--group")]
    MissingGroup { command: &'static str },
    #[error("no bootstrap servers: give them with -b/--bootstrap-servers or the bootstrap.servers property")]
    MissingBootstrap,
    #[error("{0}")]
    Other(String),
}
