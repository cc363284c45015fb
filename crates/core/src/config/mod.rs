//! Configuration layer: turns the command line and Java `.properties` files into one
//! validated, typed [`RunConfig`] ([`resolve`]).
//!
//! `properties` reads `.properties` files, `layers` applies the precedence of the sources
//! (built-in defaults < `-O` < `-o` < `-C`/`-P` < `-c`/`-p` < `-b`) while remembering where
//! every property came from, `translate` turns Java client names into librdkafka, registry and
//! decoder settings, `settings` decides group, commit and transactions and has what is left
//! checked by the [`PropertyCheck`] it is handed (librdkafka's, from the Kafka layer), `filter`
//! builds the record filter and `run` puts it all together with the run and display options.

mod error;
pub mod filter;
mod layers;
#[cfg(feature = "librdkafka-check")]
pub mod librdkafka;
mod properties;
mod run;
mod settings;
mod translate;
mod types;

pub use error::{ConfigError, PropertyCheck, PropertyProblem};
pub use run::{
    ApplyTask, BATCH_MAX_AGE, DisplayOptions, Invocation, PrintTask, RedriveOptions, RunConfig,
    RunOptions, Task, UndoTask, WriteTask, resolve,
};
pub use settings::{Settings, TRANSACTIONAL_ID_PREFIX, derived_transactional_id};
pub use types::{DecoderHint, IdWidth, RegistrySettings};

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
