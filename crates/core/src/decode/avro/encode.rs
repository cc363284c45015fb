//! The way back: JSON in the form the one-pass decoder shows ([`super::json`]) written as an
//! Avro datum of the same schema, for repairs (an edited record, a transform's result).
//!
//! It takes what the decoder writes — hex strings for `bytes` and `fixed`, ISO 8601 text for
//! dates, times and timestamps, exact strings for decimals, a bare value for a union of `null`
//! and one type and an object named after the branch for wider unions, enum symbols — and also
//! plain numbers for the logical types (as out-of-range values are shown). It is the schema
//! check too: a field the schema does not have, one it needs and has no default for, a value
//! of the wrong type or out of range is refused, naming where (`.lines[2].amount`).

use std::str::FromStr as _;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, NamespaceRef, RecordField, Schema, UuidSchema,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike as _};
use num_bigint::BigInt;
use serde_json::Value;

use super::{MAX_DEPTH, type_name};

/// Why a value cannot be written with the schema: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", if path.is_empty() { "the value" } else { path })]
pub struct EncodeError {
    /// Where in the value (`.lines[2].amount`; empty for the value itself).
    pub path: String,
    pub problem: String,
}

/// `value` as a datum of `schema`.
///
/// # Errors
/// [`EncodeError`] when the schema refuses it.
pub fn to_datum(schema: &Schema, names: &Names, value: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut write = Write {
        names,
        out: Vec::with_capacity(256),
        path: String::new(),
    };
    write.value(schema, None, value, 0)?;
    Ok(write.out)
}

struct Write<'n> {
    names: &'n Names,
    out: Vec<u8>,
    path: String,
}

fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}…")
    } else {
        text
    }
}

impl<'n> Write<'n> {
    fn fail<T>(&self, problem: impl Into<String>) -> Result<T, EncodeError> {
        Err(EncodeError {
            path: self.path.clone(),
            problem: problem.into(),
        })
    }

    fn expected<T>(&self, what: &str, value: &Value) -> Result<T, EncodeError> {
        self.fail(format!("expected {what}, found {}", shown(value)))
    }

    fn long(&mut self, n: i64) {
        let mut zigzag = ((n << 1) ^ (n >> 63)).cast_unsigned();
        loop {
            let byte = u8::try_from(zigzag & 0x7f).unwrap_or_default();
            zigzag >>= 7;
            if zigzag == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    fn blob(&mut self, bytes: &[u8]) {
        self.long(i64::try_from(bytes.len()).unwrap_or(i64::MAX));
        self.out.extend_from_slice(bytes);
    }

    fn integer(&self, value: &Value, what: &str) -> Result<i64, EncodeError> {
        value
            .as_i64()
            .map_or_else(|| self.expected(what, value), Ok)
    }

    fn int(&self, value: &Value) -> Result<i32, EncodeError> {
        let n = self.integer(value, "an int")?;
        i32::try_from(n).or_else(|_| self.fail(format!("{n} is out of the range of an int")))
    }

    fn float(&self, value: &Value) -> Result<f64, EncodeError> {
        match value {
            Value::Number(number) => number
                .as_f64()
                .map_or_else(|| self.expected("a number", value), Ok),
            Value::String(text) if text == "NaN" => Ok(f64::NAN),
            Value::String(text) if text == "Infinity" => Ok(f64::INFINITY),
            Value::String(text) if text == "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => self.expected("a number", value),
        }
    }

    fn hex(&self, value: &Value) -> Result<Vec<u8>, EncodeError> {
        let Some(text) = value.as_str() else {
            return self.expected("bytes as a \"0x…\" hex string", value);
        };
        let Some(digits) = text.strip_prefix("0x") else {
            return self.expected("bytes as a \"0x…\" hex string", value);
        };
        if !digits.len().is_multiple_of(2) {
            return self.fail(format!("{} has an odd number of hex digits", shown(value)));
        }
        (0..digits.len())
            .step_by(2)
            .map(|at| {
                digits
                    .get(at..at + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .map_or_else(|| self.fail(format!("{} is not hex", shown(value))), Ok)
            })
            .collect()
    }

    fn text<'v>(&self, value: &'v Value, what: &str) -> Result<&'v str, EncodeError> {
        value
            .as_str()
            .map_or_else(|| self.expected(what, value), Ok)
    }

    #[allow(clippy::too_many_lines)] // one arm per Avro type, as the decoder has them
    fn value(
        &mut self,
        schema: &'n Schema,
        namespace: NamespaceRef<'_>,
        value: &Value,
        depth: usize,
    ) -> Result<(), EncodeError> {
        if depth > MAX_DEPTH {
            return self.fail(format!("more than {MAX_DEPTH} levels of nesting"));
        }
        match schema {
            Schema::Null => {
                if !value.is_null() {
                    return self.expected("null", value);
                }
            }
            Schema::Boolean => match value {
                Value::Bool(b) => self.out.push(u8::from(*b)),
                _ => return self.expected("true or false", value),
            },
            Schema::Int => {
                let n = self.int(value)?;
                self.long(i64::from(n));
            }
            Schema::Long => {
                let n = self.integer(value, "a long")?;
                self.long(n);
            }
            Schema::Date => {
                let days = match value {
                    Value::String(text) => {
                        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").or_else(|_| {
                            self.fail(format!("{} is not a date (YYYY-MM-DD)", shown(value)))
                        })?;
                        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                        i64::from(i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX))
                    }
                    _ => i64::from(self.int(value)?),
                };
                self.long(days);
            }
            Schema::TimeMillis | Schema::TimeMicros => {
                let micros = matches!(schema, Schema::TimeMicros);
                let n = match value {
                    Value::String(text) => {
                        let time =
                            NaiveTime::parse_from_str(text, "%H:%M:%S%.f").or_else(|_| {
                                self.fail(format!("{} is not a time (HH:MM:SS.fff)", shown(value)))
                            })?;
                        let nanos = i64::from(time.num_seconds_from_midnight()) * 1_000_000_000
                            + i64::from(time.nanosecond());
                        if micros {
                            nanos / 1_000
                        } else {
                            nanos / 1_000_000
                        }
                    }
                    _ if micros => self.integer(value, "a time")?,
                    _ => i64::from(self.int(value)?),
                };
                self.long(n);
            }
            Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                let per_unit: i64 = match schema {
                    Schema::TimestampMillis | Schema::LocalTimestampMillis => 1_000_000,
                    Schema::TimestampMicros | Schema::LocalTimestampMicros => 1_000,
                    _ => 1,
                };
                let n = match value {
                    Value::String(text) => {
                        let at = DateTime::parse_from_rfc3339(text)
                            .map(|at| at.naive_utc())
                            .or_else(|_| {
                                NaiveDateTime::parse_from_str(
                                    text.trim_end_matches('Z'),
                                    "%Y-%m-%dT%H:%M:%S%.f",
                                )
                            })
                            .or_else(|_| {
                                self.fail(format!(
                                    "{} is not a timestamp (YYYY-MM-DDTHH:MM:SS.fffZ)",
                                    shown(value)
                                ))
                            })?;
                        let utc = at.and_utc();
                        let nanos = i128::from(utc.timestamp()) * 1_000_000_000
                            + i128::from(utc.timestamp_subsec_nanos());
                        i64::try_from(nanos.div_euclid(i128::from(per_unit)))
                            .or_else(|_| self.fail(format!("{} is out of range", shown(value))))?
                    }
                    _ => self.integer(value, "a timestamp")?,
                };
                self.long(n);
            }
            Schema::Float => {
                let x = self.float(value)?;
                #[allow(clippy::cast_possible_truncation)] // a float field holds an f32
                self.out.extend_from_slice(&(x as f32).to_le_bytes());
            }
            Schema::Double => {
                let x = self.float(value)?;
                self.out.extend_from_slice(&x.to_le_bytes());
            }
            Schema::Bytes => {
                let bytes = self.hex(value)?;
                self.blob(&bytes);
            }
            Schema::Fixed(fixed) => {
                let bytes = self.hex(value)?;
                if bytes.len() != fixed.size {
                    return self.fail(format!(
                        "{} bytes where the fixed {} holds {}",
                        bytes.len(),
                        fixed.name.fullname(None),
                        fixed.size
                    ));
                }
                self.out.extend_from_slice(&bytes);
            }
            Schema::String => {
                let text = self.text(value, "a string")?;
                self.blob(text.as_bytes());
            }
            Schema::Uuid(inner) => {
                let text = self.text(value, "a UUID")?;
                let uuid = uuid::Uuid::parse_str(text)
                    .or_else(|_| self.fail(format!("{} is not a UUID", shown(value))))?;
                match inner {
                    UuidSchema::String => {
                        let text = uuid.hyphenated().to_string();
                        self.blob(text.as_bytes());
                    }
                    UuidSchema::Bytes => self.blob(uuid.as_bytes()),
                    UuidSchema::Fixed(fixed) if fixed.size == 16 => {
                        self.out.extend_from_slice(uuid.as_bytes());
                    }
                    UuidSchema::Fixed(fixed) => {
                        return self.fail(format!("a UUID in a fixed of {} bytes", fixed.size));
                    }
                }
            }
            Schema::Duration(_) => {
                let Value::Object(parts) = value else {
                    return self.expected("a duration {\"months\", \"days\", \"millis\"}", value);
                };
                for name in ["months", "days", "millis"] {
                    let part = parts.get(name).unwrap_or(&Value::Null);
                    let n = part
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .map_or_else(
                            || self.fail(format!("{name} must be a count up to 4294967295")),
                            Ok,
                        )?;
                    self.out.extend_from_slice(&n.to_le_bytes());
                }
                if let Some(other) = parts
                    .keys()
                    .find(|k| !["months", "days", "millis"].contains(&k.as_str()))
                {
                    return self.fail(format!("a duration has no {other:?}"));
                }
            }
            Schema::Decimal(DecimalSchema { inner, scale, .. }) => {
                let unscaled = self.decimal(value, *scale)?;
                let bytes = unscaled.to_signed_bytes_be();
                match inner {
                    InnerDecimalSchema::Bytes => self.blob(&bytes),
                    InnerDecimalSchema::Fixed(fixed) => {
                        if bytes.len() > fixed.size {
                            return self.fail(format!(
                                "{} does not fit in {} bytes",
                                shown(value),
                                fixed.size
                            ));
                        }
                        let fill = if unscaled.sign() == num_bigint::Sign::Minus {
                            0xff
                        } else {
                            0
                        };
                        self.out
                            .extend(std::iter::repeat_n(fill, fixed.size - bytes.len()));
                        self.out.extend_from_slice(&bytes);
                    }
                }
            }
            Schema::BigDecimal => {
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(number) => number.to_string(),
                    _ => return self.expected("a decimal as a string", value),
                };
                let decimal = apache_avro::BigDecimal::from_str(&text)
                    .or_else(|_| self.fail(format!("{} is not a decimal", shown(value))))?;
                let (unscaled, scale) = decimal.as_bigint_and_exponent();
                let mut inner = Write {
                    names: self.names,
                    out: Vec::new(),
                    path: String::new(),
                };
                inner.blob(&unscaled.to_signed_bytes_be());
                inner.long(scale);
                let blob = inner.out;
                self.blob(&blob);
            }
            Schema::Enum(schema) => {
                let symbol = self.text(value, "an enum symbol")?;
                let Some(index) = schema.symbols.iter().position(|s| s == symbol) else {
                    return self.fail(format!(
                        "{symbol:?} is not a symbol of {} ({})",
                        schema.name.fullname(None),
                        schema.symbols.join(", ")
                    ));
                };
                self.long(i64::try_from(index).unwrap_or_default());
            }
            Schema::Union(union) => self.union(union.variants(), namespace, value, depth)?,
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(namespace);
                let Value::Object(fields) = value else {
                    return self
                        .expected(&format!("a {} record", record.name.fullname(None)), value);
                };
                if let Some(extra) = fields
                    .keys()
                    .find(|name| !record.lookup.contains_key(name.as_str()))
                {
                    let name = extra.clone();
                    return self.at_field(&name, |w| {
                        w.fail(format!(
                            "{} has no field {name:?}",
                            record.name.fullname(None)
                        ))
                    });
                }
                for field in &record.fields {
                    let name = field.name.clone();
                    self.at_field(&name, |w| {
                        w.field(field, fields.get(&field.name), inner.namespace(), depth)
                    })?;
                }
            }
            Schema::Array(array) => {
                let Value::Array(items) = value else {
                    return self.expected("an array", value);
                };
                if !items.is_empty() {
                    self.long(i64::try_from(items.len()).unwrap_or(i64::MAX));
                    for (i, item) in items.iter().enumerate() {
                        let mark = self.path.len();
                        self.path.push_str(&format!("[{i}]"));
                        self.value(&array.items, namespace, item, depth + 1)?;
                        self.path.truncate(mark);
                    }
                }
                self.out.push(0);
            }
            Schema::Map(map) => {
                let Value::Object(entries) = value else {
                    return self.expected("an object (a map)", value);
                };
                if !entries.is_empty() {
                    self.long(i64::try_from(entries.len()).unwrap_or(i64::MAX));
                    for (key, item) in entries {
                        self.blob(key.as_bytes());
                        let name = key.clone();
                        self.at_field(&name, |w| w.value(&map.types, namespace, item, depth + 1))?;
                    }
                }
                self.out.push(0);
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace);
                let Some(named) = self.names.get(name.as_ref()) else {
                    return self.fail(format!(
                        "the schema refers to {}, which it does not define",
                        name.fullname(None)
                    ));
                };
                self.value(named, name.namespace(), value, depth)?;
            }
        }
        Ok(())
    }

    fn at_field<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self) -> Result<T, EncodeError>,
    ) -> Result<T, EncodeError> {
        let mark = self.path.len();
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            self.path.push('.');
            self.path.push_str(name);
        } else {
            self.path
                .push_str(&format!("[{}]", Value::String(name.to_owned())));
        }
        let result = f(self)?;
        self.path.truncate(mark);
        Ok(result)
    }

    fn field(
        &mut self,
        field: &'n RecordField,
        value: Option<&Value>,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        if let Some(value) = value {
            return self.value(&field.schema, namespace, value, depth + 1);
        }
        let Some(default) = &field.default else {
            return self.fail("missing, and the schema gives it no default");
        };
        // A union's default is a value of its first branch, given bare.
        let schema = match &field.schema {
            Schema::Union(union) => union.variants().first().unwrap_or(&field.schema),
            schema => schema,
        };
        match (schema, default) {
            // Avro's JSON encoding of bytes defaults: one character per byte.
            (Schema::Bytes, Value::String(text)) => {
                let bytes: Vec<u8> = text
                    .chars()
                    .map(|c| u8::try_from(c).unwrap_or(b'?'))
                    .collect();
                if let Schema::Union(_) = &field.schema {
                    self.long(0);
                }
                self.blob(&bytes);
                Ok(())
            }
            _ => {
                if let Schema::Union(_) = &field.schema {
                    self.long(0);
                }
                self.value(schema, namespace, default, depth + 1)
            }
        }
    }

    fn union(
        &mut self,
        variants: &'n [Schema],
        namespace: NamespaceRef<'_>,
        value: &Value,
        depth: usize,
    ) -> Result<(), EncodeError> {
        let index = |i: usize| i64::try_from(i).unwrap_or_default();
        if value.is_null()
            && let Some(null) = variants.iter().position(|v| matches!(v, Schema::Null))
        {
            self.long(index(null));
            return Ok(());
        }
        let non_null: Vec<usize> = (0..variants.len())
            .filter(|&i| !matches!(variants.get(i), Some(Schema::Null)))
            .collect();
        if let [only] = non_null.as_slice() {
            self.long(index(*only));
            return self.value(&variants[*only], namespace, value, depth + 1);
        }
        // Several kinds of value: an object naming its branch, as the decoder shows it.
        if let Value::Object(named) = value
            && named.len() == 1
            && let Some((name, inner)) = named.iter().next()
            && let Some(branch) = variants.iter().position(|v| {
                let full = match v {
                    Schema::Ref { name } => name.fully_qualified_name(namespace).fullname(None),
                    other => type_name(other),
                };
                &full == name || full.rsplit('.').next() == Some(name.as_str())
            })
        {
            self.long(index(branch));
            let name = name.clone();
            return self.at_field(&name, |w| {
                w.value(&variants[branch], namespace, inner, depth + 1)
            });
        }
        let names: Vec<String> = variants.iter().map(type_name).collect();
        self.fail(format!(
            "a union of {} takes {{\"<branch>\": value}}, found {}",
            names.join(", "),
            shown(value)
        ))
    }

    /// The unscaled value of a decimal given as text (its precision is not checked: the
    /// decoder does not check it either, and data written without the check must go back).
    fn decimal(&self, value: &Value, scale: usize) -> Result<BigInt, EncodeError> {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) if number.is_i64() || number.is_u64() => number.to_string(),
            _ => return self.expected("a decimal as a string (\"12.34\")", value),
        };
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return self.fail(format!("{} is not a decimal", shown(value)));
        }
        if fraction.len() > scale {
            return self.fail(format!(
                "{} has more than the {scale} fraction digit(s) of its decimal",
                shown(value)
            ));
        }
        let mut all = format!("{whole}{fraction}");
        all.extend(std::iter::repeat_n('0', scale - fraction.len()));
        let magnitude = BigInt::from_str(&all).unwrap_or_default();
        Ok(if negative { -magnitude } else { magnitude })
    }
}
