//! Avro data made readable: one datum decoded with its writer schema, then turned into JSON a
//! person can read, guided by the schema.
//!
//! `serde_json::Value::try_from(apache_avro::types::Value)` loses what people need (bytes and
//! decimals become arrays of numbers, timestamps plain numbers, union branches unnamed), so the
//! conversion is ours:
//! - records keep their field order, maps are sorted by key, enums show their symbol;
//! - `bytes` and `fixed` show as hex strings (`"0x0aff"`);
//! - a union of `null` and one other type shows the value alone; a union of several non-null
//!   types wraps the value in an object named after its branch (`{"com.acme.Card": {...}}`,
//!   `{"string": "x"}`), as Avro's JSON encoding does;
//! - logical types: timestamps in ISO 8601 (UTC with `Z`, local ones without), dates
//!   `YYYY-MM-DD`, times `HH:MM:SS.fff`, decimals as exact strings (`"-12.34"`), UUIDs as
//!   strings, durations as `{"months", "days", "millis"}`;
//! - floating-point values JSON cannot hold (`NaN`, infinities) show as strings;
//! - big-decimals whose scale would spell out more than [`PLAIN_DECIMAL_DIGITS`] zeros show in
//!   scientific notation (`"1e+1000000"`).
//!
//! Payloads are untrusted and can be large: [`json`] reads the datum and writes the JSON text in
//! one pass, with limits on nesting, value counts and decimal lengths, and builds no tree of
//! values. apache-avro parses the schemas; its decoder is the test oracle the one pass is
//! compared with.

use std::sync::Arc;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, ResolvedSchema, Schema, UuidSchema,
};

mod encode;
mod json;
#[cfg(any(test, feature = "avro-oracle"))]
pub mod oracle;

pub use encode::{Datum, EncodeError};
pub use json::{MAX_DECIMAL_BYTES, MAX_DEPTH, MAX_VALUES};
pub(crate) use json::{push_float, push_hex};

/// The most zeros a big-decimal's scale may add to its digits in plain notation.
pub const PLAIN_DECIMAL_DIGITS: u64 = 1000;

/// Why a datum could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvroError {
    /// The bytes do not follow the schema (truncated, corrupt, or another schema's data).
    #[error("corrupt Avro data: {0}")]
    Corrupt(String),
    /// The schema took fewer bytes than the payload has.
    #[error("corrupt Avro data: {left} byte(s) left over after the datum")]
    LeftOver { left: usize },
    /// The payload ends inside the datum.
    #[error("corrupt Avro data: the payload ends inside the datum (truncated?)")]
    Truncated,
    /// Records, arrays, maps and unions nested deeper than `limit` (see [`MAX_DEPTH`]).
    #[error("too deep to decode for display: more than {limit} levels of nesting")]
    TooDeep { limit: usize },
    /// More than `limit` values in one datum (see [`MAX_VALUES`]).
    #[error("too large to decode for display: more than {limit} values")]
    TooManyValues { limit: usize },
    /// An unscaled decimal longer than `limit` bytes (see [`MAX_DECIMAL_BYTES`]).
    #[error("too large to decode for display: a decimal of {len} bytes (at most {limit})")]
    DecimalTooLong { len: usize, limit: usize },
}

/// A writer schema with its named types resolved, ready to decode data.
pub struct WriterSchema {
    schema: Schema,
    /// Every named type defined in `schema`, by full name.
    names: Names,
    /// What [`Self::name`] says, worked out once: it is shown with every record, which
    /// shares it ([`Self::shared_name`]) instead of copying it.
    name: Arc<str>,
}

impl std::fmt::Debug for WriterSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterSchema")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl WriterSchema {
    /// Resolves the named types of `schema`.
    ///
    /// # Errors
    /// When `schema` refers to a named type it does not define.
    pub fn new(schema: Schema) -> Result<Self, apache_avro::Error> {
        Self::with_references(schema, &[])
    }

    /// Resolves the named types of `schema`, which may use those `references` define (the
    /// schemas a registry lists as its references, parsed with it).
    ///
    /// # Errors
    /// When a named type is defined by none of them.
    pub fn with_references(
        schema: Schema,
        references: &[Schema],
    ) -> Result<Self, apache_avro::Error> {
        // Resolved in order, and a reference only to what came before: the references first.
        let all: Vec<&Schema> = references.iter().chain(std::iter::once(&schema)).collect();
        let names = ResolvedSchema::try_from(all)?
            .get_names()
            .iter()
            .map(|(name, &named)| (name.clone(), named.clone()))
            .collect();
        let name = type_name(&schema).into();
        Ok(Self {
            schema,
            names,
            name,
        })
    }

    /// Parses a schema given as JSON text.
    ///
    /// # Errors
    /// When `json` is not a valid Avro schema.
    pub fn parse(json: &str) -> Result<Self, apache_avro::Error> {
        Self::new(Schema::parse_str(json)?)
    }

    /// Parses a schema that uses the named types `references` define (JSON texts, in any
    /// order).
    ///
    /// # Errors
    /// When a text is not a valid Avro schema, or a name is defined twice or nowhere.
    pub fn parse_with_references(
        json: &str,
        references: &[&str],
    ) -> Result<Self, apache_avro::Error> {
        if references.is_empty() {
            return Self::parse(json);
        }
        let (schema, references) = Schema::parse_str_with_list(json, references)?;
        Self::with_references(schema, &references)
    }

    /// The full name of a named schema (`com.acme.Order`), else its type (`string`, `array`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// [`Self::name`], shared: for the schema information of every decoded record.
    #[must_use]
    pub fn shared_name(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }

    /// Decodes one datum that fills `bytes` exactly, as readable JSON text (compact, as
    /// `serde_json` prints it).
    ///
    /// # Errors
    /// [`AvroError`] when `bytes` do not hold exactly one datum of this schema, or one beyond
    /// the limits ([`MAX_DEPTH`], [`MAX_VALUES`], [`MAX_DECIMAL_BYTES`]).
    pub fn decode(&self, bytes: &[u8]) -> Result<String, AvroError> {
        json::to_json_text(&self.schema, &self.names, bytes)
    }

    /// `value`, in the JSON form [`Self::decode`] shows, as one datum of this schema: the
    /// way back for repairs, and their schema check.
    ///
    /// # Errors
    /// [`EncodeError`] when the schema refuses the value (where, and why).
    pub fn encode<D: Datum>(&self, value: &D) -> Result<Vec<u8>, EncodeError> {
        encode::to_datum(&self.schema, &self.names, value)
    }
}

/// An error and its causes on one line.
pub(crate) fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = cause_of(source);
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cause_of<'a>(
    error: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    error.and_then(std::error::Error::source)
}

/// The name a schema is known by: the full name of named types, else the Avro type name
/// (the underlying one for logical types, as in Avro's JSON encoding of union branches).
#[must_use]
pub fn type_name(schema: &Schema) -> String {
    match schema {
        Schema::Record(record) => record.name.fullname(None),
        Schema::Enum(schema) => schema.name.fullname(None),
        Schema::Fixed(fixed)
        | Schema::Duration(fixed)
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Fixed(fixed),
            ..
        })
        | Schema::Uuid(UuidSchema::Fixed(fixed)) => fixed.name.fullname(None),
        Schema::Ref { name } => name.fullname(None),
        Schema::Null => "null".into(),
        Schema::Boolean => "boolean".into(),
        Schema::Int | Schema::Date | Schema::TimeMillis => "int".into(),
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => "long".into(),
        Schema::Float => "float".into(),
        Schema::Double => "double".into(),
        Schema::Bytes
        | Schema::BigDecimal
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Bytes,
            ..
        })
        | Schema::Uuid(UuidSchema::Bytes) => "bytes".into(),
        Schema::String | Schema::Uuid(UuidSchema::String) => "string".into(),
        Schema::Array(_) => "array".into(),
        Schema::Map(_) => "map".into(),
        Schema::Union(_) => "union".into(),
    }
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;
