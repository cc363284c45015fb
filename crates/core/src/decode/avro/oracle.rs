//! The test oracle of the one-pass decoder (`json.rs`): apache-avro's generic reader builds
//! its tree of values, which a converter turns into a `serde_json` value by the same rules. This
//! was the production decoder until the one pass replaced it for speed; tests and the `avro`
//! fuzz target (feature `avro-oracle`) check that both agree on every datum.
//!
//! It has no limits of its own: call it only on data the one pass accepted, or on small inputs
//! (apache-avro allocates from lengths in the data, up to its allocation limit, and recurses
//! without bound).

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{DecimalSchema, Names, NamespaceRef, Schema};
use apache_avro::types::Value as Avro;
use chrono::{DateTime, NaiveDate, NaiveTime};
use num_bigint::BigInt;
use serde_json::{Map, Value as Json, json};

use super::json::big_decimal_string;
use super::{AvroError, WriterSchema, one_line, type_name};
use crate::decode::text::hex;

/// The most apache-avro may allocate at once for the oracle: enough for the largest datum the
/// one pass accepts ([`super::MAX_VALUES`] values of a few dozen bytes each in apache-avro).
const ORACLE_ALLOCATION_BYTES: usize = 128 * 1024 * 1024;

/// `bytes` decoded by apache-avro and converted to readable JSON.
///
/// # Errors
/// [`AvroError::Truncated`], [`AvroError::LeftOver`] or [`AvroError::Corrupt`] (with
/// apache-avro's reason) when `bytes` do not hold exactly one datum of the schema.
pub fn decode(writer: &WriterSchema, bytes: &[u8]) -> Result<Json, AvroError> {
    // apache-avro allocates what a length in the data asks for, up to this (process-wide).
    apache_avro::util::max_allocation_bytes(ORACLE_ALLOCATION_BYTES);
    let schema = &writer.schema;
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
    Ok(to_json(&value, schema, &writer.names))
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

/// `value` as readable JSON, guided by `schema` (its named types in `names`).
#[must_use]
fn to_json(value: &Avro, schema: &Schema, names: &Names) -> Json {
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
