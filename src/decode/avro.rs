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
//! Payloads are untrusted: before apache-avro builds anything, `scan` walks the datum and
//! refuses nesting, value counts and decimals beyond its limits (apache-avro has no depth limit
//! and allocates from lengths in the data), and [`limit_allocations`] caps what apache-avro may
//! allocate at once.

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, NamespaceRef, ResolvedSchema, Schema, UuidSchema,
};
use apache_avro::types::Value as Avro;
use chrono::{DateTime, NaiveDate, NaiveTime};
use num_bigint::BigInt;
use serde_json::{Map, Value as Json, json};

use super::text::hex;

mod scan;

pub use scan::{MAX_DECIMAL_BYTES, MAX_DEPTH, MAX_VALUES};

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
    /// The thread that decodes deeply nested data could not run.
    #[error("cannot decode nested Avro data: {0}")]
    Thread(String),
}

/// Data nested up to this many levels is decoded on the caller's stack; deeper data (up to
/// [`MAX_DEPTH`]) on a thread with a stack of [`DEEP_STACK_BYTES`].
const SHALLOW: usize = 16;

/// The stack of the thread that decodes deeply nested data: enough for [`MAX_DEPTH`] levels in
/// a debug build (only the pages used are ever touched).
const DEEP_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The most apache-avro may allocate for one string, byte array or collection while decoding:
/// 128 MiB. `scan` already bounds lengths by the payload and collections by
/// [`MAX_VALUES`], which stays well below this; the cap is the second line.
pub const MAX_ALLOCATION_BYTES: usize = 128 * 1024 * 1024;

/// Sets apache-avro's process-wide allocation cap to [`MAX_ALLOCATION_BYTES`] (its default is
/// 512 MiB); done when a [`WriterSchema`] is made, before anything is decoded. Only the first
/// call of the process counts, in apache-avro as here.
pub fn limit_allocations() {
    let limit = apache_avro::util::max_allocation_bytes(MAX_ALLOCATION_BYTES);
    if limit != MAX_ALLOCATION_BYTES {
        tracing::debug!("apache-avro allocation limit already set to {limit} bytes");
    }
}

/// Reads a byte slice and remembers whether anyone asked for more than it had: apache-avro
/// reads a string, a boolean or a union index cut short by the end of the input as `null`
/// instead of failing, so the end of the input is watched here.
struct Watched<'a> {
    bytes: &'a [u8],
    read: usize,
    ran_out: bool,
}

impl std::io::Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.bytes.get(self.read..).unwrap_or_default();
        let n = left.len().min(buf.len());
        if n < buf.len() {
            self.ran_out = true;
        }
        if let (Some(to), Some(from)) = (buf.get_mut(..n), left.get(..n)) {
            to.copy_from_slice(from);
        }
        self.read += n;
        Ok(n)
    }
}

/// A writer schema with its named types resolved, ready to decode data.
pub struct WriterSchema {
    schema: Schema,
    /// Every named type defined in `schema`, by full name.
    names: Names,
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
        limit_allocations();
        let names = ResolvedSchema::try_from(&schema)?
            .get_names()
            .iter()
            .map(|(name, &named)| (name.clone(), named.clone()))
            .collect();
        Ok(Self { schema, names })
    }

    /// Parses a schema given as JSON text.
    ///
    /// # Errors
    /// When `json` is not a valid Avro schema.
    pub fn parse(json: &str) -> Result<Self, apache_avro::Error> {
        Self::new(Schema::parse_str(json)?)
    }

    /// The full name of a named schema (`com.acme.Order`), else its type (`string`, `array`).
    #[must_use]
    pub fn name(&self) -> String {
        type_name(&self.schema)
    }

    /// Decodes one datum that fills `bytes` exactly, as readable JSON.
    ///
    /// # Errors
    /// [`AvroError`] when `bytes` do not hold exactly one datum of this schema.
    pub fn decode(&self, bytes: &[u8]) -> Result<Json, AvroError> {
        let deepest = scan::check(&self.schema, &self.names, bytes)?;
        if deepest <= SHALLOW {
            return self.decode_checked(bytes);
        }
        // apache-avro's decoder takes kilobytes of stack per level (tens of kilobytes in a
        // debug build): nested data is decoded, converted and dropped on a stack of its own.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("avro-decode".into())
                .stack_size(DEEP_STACK_BYTES)
                .spawn_scoped(scope, || self.decode_checked(bytes))
                .map_err(|error| AvroError::Thread(error.to_string()))?
                .join()
                .map_err(|_| AvroError::Thread("the decoding thread failed".into()))?
        })
    }

    /// [`Self::decode`] after `scan` accepted `bytes`.
    fn decode_checked(&self, bytes: &[u8]) -> Result<Json, AvroError> {
        let schema = &self.schema;
        let mut input = Watched {
            bytes,
            read: 0,
            ran_out: false,
        };
        let value = GenericDatumReader::builder(schema)
            .build()
            .and_then(|reader| reader.read_value(&mut input));
        if input.ran_out {
            return Err(AvroError::Truncated);
        }
        let value = value.map_err(|error| AvroError::Corrupt(one_line(&error)))?;
        if input.read < bytes.len() {
            return Err(AvroError::LeftOver {
                left: bytes.len() - input.read,
            });
        }
        Ok(to_json(&value, schema, &self.names))
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

/// `value` as readable JSON, guided by `schema` (its named types in `names`).
#[must_use]
pub fn to_json(value: &Avro, schema: &Schema, names: &Names) -> Json {
    Converter { names }.convert(value, schema, None)
}

struct Converter<'n> {
    names: &'n Names,
}

impl<'n> Converter<'n> {
    fn convert(&self, value: &Avro, schema: &'n Schema, namespace: NamespaceRef<'_>) -> Json {
        // Named types referred to by name: look the definition up.
        let schema = match schema {
            Schema::Ref { name } => {
                let full = name.fully_qualified_name(namespace);
                match self
                    .names
                    .get(full.as_ref())
                    .or_else(|| self.names.get(name))
                {
                    Some(found) => found,
                    None => return plain(value),
                }
            }
            other => other,
        };
        match (value, schema) {
            (Avro::Record(fields), Schema::Record(record)) => {
                let inner = record.name.namespace().or(namespace);
                let mut object = Map::with_capacity(fields.len());
                for (name, field_value) in fields {
                    let converted = record
                        .lookup
                        .get(name)
                        .and_then(|&index| record.fields.get(index))
                        .map_or_else(
                            || plain(field_value),
                            |field| self.convert(field_value, &field.schema, inner),
                        );
                    object.insert(name.clone(), converted);
                }
                Json::Object(object)
            }
            (Avro::Array(items), Schema::Array(array)) => Json::Array(
                items
                    .iter()
                    .map(|item| self.convert(item, &array.items, namespace))
                    .collect(),
            ),
            (Avro::Map(entries), Schema::Map(map)) => {
                let mut sorted: Vec<_> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                Json::Object(
                    sorted
                        .into_iter()
                        .map(|(key, item)| (key.clone(), self.convert(item, &map.types, namespace)))
                        .collect(),
                )
            }
            (Avro::Union(index, inner), Schema::Union(union)) => {
                let variants = union.variants();
                let Some(branch) = usize::try_from(*index)
                    .ok()
                    .and_then(|index| variants.get(index))
                else {
                    return plain(inner);
                };
                let converted = self.convert(inner, branch, namespace);
                let non_null = variants
                    .iter()
                    .filter(|variant| !matches!(variant, Schema::Null))
                    .count();
                if matches!(branch, Schema::Null) || non_null <= 1 {
                    converted
                } else {
                    json!({ type_name(branch): converted })
                }
            }
            (Avro::Decimal(decimal), Schema::Decimal(DecimalSchema { scale, .. })) => {
                Json::String(decimal_string(&BigInt::from(decimal.clone()), *scale))
            }
            _ => plain(value),
        }
    }
}

/// A value converted on its own, where the schema adds nothing (or does not match).
fn plain(value: &Avro) -> Json {
    match value {
        Avro::Null => Json::Null,
        Avro::Boolean(b) => Json::Bool(*b),
        Avro::Int(n) => json!(n),
        Avro::Long(n) => json!(n),
        Avro::Float(x) => float(f64::from(*x)),
        Avro::Double(x) => float(*x),
        Avro::Bytes(bytes) | Avro::Fixed(_, bytes) => Json::String(format!("0x{}", hex(bytes))),
        Avro::String(text) | Avro::Enum(_, text) => Json::String(text.clone()),
        Avro::Union(_, inner) => plain(inner),
        Avro::Array(items) => Json::Array(items.iter().map(plain).collect()),
        Avro::Map(entries) => {
            let mut sorted: Vec<_> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                sorted
                    .into_iter()
                    .map(|(key, item)| (key.clone(), plain(item)))
                    .collect(),
            )
        }
        Avro::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(name, item)| (name.clone(), plain(item)))
                .collect(),
        ),
        Avro::Date(days) => days
            .checked_add(UNIX_EPOCH_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map_or_else(|| json!(days), |date| json!(date.to_string())),
        // Without its schema the scale is unknown: the unscaled number is what is left.
        Avro::Decimal(decimal) => Json::String(BigInt::from(decimal.clone()).to_string()),
        Avro::BigDecimal(decimal) => Json::String(big_decimal_string(decimal)),
        Avro::TimeMillis(millis) => time_of_day(i64::from(*millis) * 1_000_000, 3),
        Avro::TimeMicros(micros) => time_of_day(micros.saturating_mul(1_000), 6),
        Avro::TimestampMillis(millis) => timestamp(i128::from(*millis) * 1_000_000, 3, true),
        Avro::TimestampMicros(micros) => timestamp(i128::from(*micros) * 1_000, 6, true),
        Avro::TimestampNanos(nanos) => timestamp(i128::from(*nanos), 9, true),
        Avro::LocalTimestampMillis(millis) => timestamp(i128::from(*millis) * 1_000_000, 3, false),
        Avro::LocalTimestampMicros(micros) => timestamp(i128::from(*micros) * 1_000, 6, false),
        Avro::LocalTimestampNanos(nanos) => timestamp(i128::from(*nanos), 9, false),
        Avro::Duration(duration) => json!({
            "months": u32::from(duration.months()),
            "days": u32::from(duration.days()),
            "millis": u32::from(duration.millis()),
        }),
        Avro::Uuid(uuid) => Json::String(uuid.to_string()),
    }
}

/// Days from 0001-01-01 (day 1) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

fn float(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or_else(
        || {
            Json::String(if x.is_nan() {
                "NaN".into()
            } else if x > 0.0 {
                "Infinity".into()
            } else {
                "-Infinity".into()
            })
        },
        Json::Number,
    )
}

/// An unscaled integer and a scale as an exact decimal string: `(-1234, 2)` is `"-12.34"`.
fn decimal_string(unscaled: &BigInt, scale: usize) -> String {
    let digits = unscaled.magnitude().to_string();
    let sign = if unscaled.sign() == num_bigint::Sign::Minus {
        "-"
    } else {
        ""
    };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// The most zeros a big-decimal's scale may add to its digits in plain notation.
pub const PLAIN_DECIMAL_DIGITS: u64 = 1000;

/// A big-decimal as an exact string: plain (`"12.345"`), or in scientific notation when its
/// scale (which comes from the data: any `long`) would spell out more than
/// [`PLAIN_DECIMAL_DIGITS`] zeros; bigdecimal would try to write them all.
fn big_decimal_string(decimal: &apache_avro::BigDecimal) -> String {
    if decimal.fractional_digit_count().unsigned_abs() > PLAIN_DECIMAL_DIGITS {
        decimal.to_scientific_notation()
    } else {
        decimal.to_plain_string()
    }
}

/// Nanoseconds since midnight as `HH:MM:SS` and `digits` fraction digits; out of range as the
/// plain number.
fn time_of_day(nanos: i64, digits: u32) -> Json {
    let time = u32::try_from(nanos / 1_000_000_000)
        .ok()
        .zip(u32::try_from(nanos % 1_000_000_000).ok())
        .and_then(|(seconds, nanos)| NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos));
    let Some(time) = time else {
        return json!(nanos / 10_i64.pow(9 - digits));
    };
    let text = time.format("%H:%M:%S%.9f").to_string();
    Json::String(text[..text.len() - 9 + digits as usize].to_owned())
}

/// Nanoseconds since the epoch in ISO 8601 with `digits` fraction digits, with `Z` when `utc`;
/// out of range as the plain number.
fn timestamp(nanos: i128, digits: u32, utc: bool) -> Json {
    let unit = 10_i128.pow(9 - digits);
    let seconds = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    let at = i64::try_from(seconds)
        .ok()
        .zip(u32::try_from(sub).ok())
        .and_then(|(seconds, sub)| DateTime::from_timestamp(seconds, sub));
    let Some(at) = at else {
        return i64::try_from(nanos / unit).map_or_else(|_| Json::Null, |n| json!(n));
    };
    let text = at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    let mut text = text[..text.len() - 9 + digits as usize].to_owned();
    if utc {
        text.push('Z');
    }
    Json::String(text)
}

#[cfg(test)]
mod tests;
