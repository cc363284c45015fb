//! The way back: JSON in the form the one-pass decoder shows ([`super::json`]) written as an
//! Avro datum of the same schema, for repairs (an edited record, a transform's result).
//!
//! It takes what the decoder writes — hex strings for `bytes` and `fixed`, ISO 8601 text for
//! dates, times and timestamps, exact strings for decimals, a bare value for a union of `null`
//! and one type and an object named after the branch for wider unions, enum symbols — and also
//! plain numbers for the logical types (as out-of-range values are shown). It is the schema
//! check too: a field the schema does not have, one it needs and has no default for, a value
//! of the wrong type or out of range is refused, naming where (`.lines[2].amount`).

use std::borrow::Cow;
use std::str::FromStr as _;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, NamespaceRef, RecordField, Schema, UuidSchema,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike as _};
use jaq_json::Num;
use num_bigint::BigInt;
use serde_json::Value;

use super::{MAX_DEPTH, type_name};
use crate::decode::text::parse_hex;

/// A JSON value the encoder reads: `serde_json`'s, or jq's (`jaq_json::Val`, a transform's
/// result, written without a conversion).
pub trait Datum {
    fn is_null(&self) -> bool;
    fn boolean(&self) -> Option<bool>;
    /// An integer that fits in 64 bits.
    fn integer(&self) -> Option<i64>;
    /// Any number.
    fn number(&self) -> Option<f64>;
    /// An integer's exact digits.
    fn integer_text(&self) -> Option<String>;
    /// Any number's text.
    fn number_text(&self) -> Option<String>;
    fn text(&self) -> Option<Cow<'_, str>>;
    fn items(&self) -> Option<&[Self]>
    where
        Self: Sized;
    /// An object's fields, in order (`None`: not an object, or a key that is not a string).
    fn entries(&self) -> Option<Vec<(Cow<'_, str>, &Self)>>;
    /// As JSON text, for errors.
    fn json(&self) -> String;
}

impl Datum for Value {
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn integer(&self) -> Option<i64> {
        self.as_i64()
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn integer_text(&self) -> Option<String> {
        self.as_number()
            .filter(|number| number.is_i64() || number.is_u64())
            .map(ToString::to_string)
    }
    fn number_text(&self) -> Option<String> {
        self.as_number().map(ToString::to_string)
    }
    fn text(&self) -> Option<Cow<'_, str>> {
        self.as_str().map(Cow::Borrowed)
    }
    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
    fn entries(&self) -> Option<Vec<(Cow<'_, str>, &Self)>> {
        self.as_object().map(|fields| {
            fields
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
                .collect()
        })
    }
    fn json(&self) -> String {
        self.to_string()
    }
}

impl Datum for jaq_json::Val {
    fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
    fn boolean(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn integer(&self) -> Option<i64> {
        match self {
            Self::Num(number) => number.as_isize().and_then(|n| i64::try_from(n).ok()),
            _ => None,
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)] // as jq itself takes it
            Self::Num(Num::Int(n)) => Some(*n as f64),
            Self::Num(Num::Float(x)) => Some(*x),
            Self::Num(number) => number.to_string().parse().ok(),
            _ => None,
        }
    }
    fn integer_text(&self) -> Option<String> {
        match self {
            Self::Num(number @ (Num::Int(_) | Num::BigInt(_))) => Some(number.to_string()),
            _ => None,
        }
    }
    fn number_text(&self) -> Option<String> {
        match self {
            Self::Num(number) => Some(number.to_string()),
            _ => None,
        }
    }
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::TStr(bytes) => Some(String::from_utf8_lossy(bytes)),
            _ => None,
        }
    }
    fn items(&self) -> Option<&[Self]> {
        match self {
            Self::Arr(items) => Some(items.as_slice()),
            _ => None,
        }
    }
    fn entries(&self) -> Option<Vec<(Cow<'_, str>, &Self)>> {
        match self {
            Self::Obj(fields) => fields
                .iter()
                .map(|(name, value)| match name {
                    Self::TStr(name) => Some((String::from_utf8_lossy(name), value)),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
    fn json(&self) -> String {
        self.to_string()
    }
}

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
pub fn to_datum<D: Datum>(
    schema: &Schema,
    names: &Names,
    value: &D,
) -> Result<Vec<u8>, EncodeError> {
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

/// A decimal given as a string, or as a number `number` reads.
fn decimal_text<D: Datum>(value: &D, number: fn(&D) -> Option<String>) -> Option<String> {
    value.text().map(Cow::into_owned).or_else(|| number(value))
}

fn shown<D: Datum>(value: &D) -> String {
    let text = value.json();
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

    fn expected<T, D: Datum>(&self, what: &str, value: &D) -> Result<T, EncodeError> {
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

    /// An integer, or a number with no fraction (jq's division gives `3.0`, `1e3` is 1000).
    fn integer<D: Datum>(&self, value: &D, what: &str) -> Result<i64, EncodeError> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let whole = |x: f64| {
            (x.fract() == 0.0 && x >= i64::MIN as f64 && x < i64::MAX as f64).then_some(x as i64)
        };
        value
            .integer()
            .or_else(|| value.number().and_then(whole))
            .map_or_else(|| self.expected(what, value), Ok)
    }

    fn int<D: Datum>(&self, value: &D) -> Result<i32, EncodeError> {
        let n = self.integer(value, "an int")?;
        i32::try_from(n).or_else(|_| self.fail(format!("{n} is out of the range of an int")))
    }

    fn float<D: Datum>(&self, value: &D) -> Result<f64, EncodeError> {
        if let Some(x) = value.number() {
            return Ok(x);
        }
        match value.text().as_deref() {
            Some("NaN") => Ok(f64::NAN),
            Some("Infinity") => Ok(f64::INFINITY),
            Some("-Infinity") => Ok(f64::NEG_INFINITY),
            _ => self.expected("a number", value),
        }
    }

    fn hex<D: Datum>(&self, value: &D) -> Result<Vec<u8>, EncodeError> {
        let Some(text) = value.text() else {
            return self.expected("bytes as a \"0x…\" hex string", value);
        };
        let Some(digits) = text.strip_prefix("0x") else {
            return self.expected("bytes as a \"0x…\" hex string", value);
        };
        if !digits.len().is_multiple_of(2) {
            return self.fail(format!("{} has an odd number of hex digits", shown(value)));
        }
        parse_hex(digits).map_or_else(|| self.fail(format!("{} is not hex", shown(value))), Ok)
    }

    fn text<'v, D: Datum>(&self, value: &'v D, what: &str) -> Result<Cow<'v, str>, EncodeError> {
        value.text().map_or_else(|| self.expected(what, value), Ok)
    }

    #[allow(clippy::too_many_lines)] // one arm per Avro type, as the decoder has them
    fn value<D: Datum>(
        &mut self,
        schema: &'n Schema,
        namespace: NamespaceRef<'_>,
        value: &D,
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
            Schema::Boolean => match value.boolean() {
                Some(b) => self.out.push(u8::from(b)),
                None => return self.expected("true or false", value),
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
                let days = match value.text() {
                    Some(text) => {
                        let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").or_else(|_| {
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
                let n = match value.text() {
                    Some(text) => {
                        let time =
                            NaiveTime::parse_from_str(&text, "%H:%M:%S%.f").or_else(|_| {
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
                let (per_unit, _, _) = super::json::timestamp_unit(schema);
                let n = match value.text() {
                    Some(text) => {
                        let at = DateTime::parse_from_rfc3339(&text)
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
                #[allow(clippy::cast_possible_truncation)]
                if x.is_finite() && !(x as f32).is_finite() {
                    return self.fail(format!("{} is out of the range of a float", shown(value)));
                }
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
                let uuid = uuid::Uuid::parse_str(&text)
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
                let Some(parts) = value.entries() else {
                    return self.expected("a duration {\"months\", \"days\", \"millis\"}", value);
                };
                for name in ["months", "days", "millis"] {
                    let part = parts.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                    let n = part
                        .and_then(D::integer)
                        .and_then(|n| u32::try_from(n).ok())
                        .map_or_else(
                            || self.fail(format!("{name} must be a count up to 4294967295")),
                            Ok,
                        )?;
                    self.out.extend_from_slice(&n.to_le_bytes());
                }
                if let Some((other, _)) = parts
                    .iter()
                    .find(|(k, _)| !["months", "days", "millis"].contains(&k.as_ref()))
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
                let Some(text) = decimal_text(value, D::number_text) else {
                    return self.expected("a decimal as a string", value);
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
                let Some(index) = schema.symbols.iter().position(|s| *s == symbol) else {
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
                let Some(fields) = value.entries() else {
                    return self
                        .expected(&format!("a {} record", record.name.fullname(None)), value);
                };
                if let Some((extra, _)) = fields
                    .iter()
                    .find(|(name, _)| !record.lookup.contains_key(name.as_ref()))
                {
                    let name = extra.clone().into_owned();
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
                        let value = fields
                            .iter()
                            .find(|(name, _)| *name == field.name)
                            .map(|(_, value)| *value);
                        w.field(field, value, inner.namespace(), depth)
                    })?;
                }
            }
            Schema::Array(array) => {
                let Some(items) = value.items() else {
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
                let Some(entries) = value.entries() else {
                    return self.expected("an object (a map)", value);
                };
                if !entries.is_empty() {
                    self.long(i64::try_from(entries.len()).unwrap_or(i64::MAX));
                    for (key, item) in entries {
                        self.blob(key.as_bytes());
                        let name = key.into_owned();
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

    fn field<D: Datum>(
        &mut self,
        field: &'n RecordField,
        value: Option<&D>,
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
        let mut schema = match &field.schema {
            Schema::Union(union) => union.variants().first().unwrap_or(&field.schema),
            schema => schema,
        };
        let mut namespace = namespace;
        let resolved;
        if let Schema::Ref { name } = schema {
            resolved = name.fully_qualified_name(namespace);
            if let Some(named) = self.names.get(resolved.as_ref()) {
                schema = named;
                namespace = resolved.namespace();
            }
        }
        // Avro's JSON encoding of bytes, fixed and decimal defaults: one character per byte.
        let raw = |text: &str| -> Vec<u8> {
            text.chars()
                .map(|c| u8::try_from(c).unwrap_or(b'?'))
                .collect()
        };
        match (schema, default) {
            (
                Schema::Bytes
                | Schema::Decimal(DecimalSchema {
                    inner: InnerDecimalSchema::Bytes,
                    ..
                }),
                Value::String(text),
            ) => {
                if let Schema::Union(_) = &field.schema {
                    self.long(0);
                }
                self.blob(&raw(text));
                Ok(())
            }
            (
                Schema::Fixed(fixed)
                | Schema::Decimal(DecimalSchema {
                    inner: InnerDecimalSchema::Fixed(fixed),
                    ..
                }),
                Value::String(text),
            ) => {
                let bytes = raw(text);
                if bytes.len() != fixed.size {
                    return self.fail(format!(
                        "its default holds {} bytes, its fixed {}",
                        bytes.len(),
                        fixed.size
                    ));
                }
                if let Schema::Union(_) = &field.schema {
                    self.long(0);
                }
                self.out.extend_from_slice(&bytes);
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

    fn union<D: Datum>(
        &mut self,
        variants: &'n [Schema],
        namespace: NamespaceRef<'_>,
        value: &D,
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
        if let Some(named) = value.entries()
            && let [(name, inner)] = named.as_slice()
            && let Some(branch) = variants.iter().position(|v| {
                let full = match v {
                    Schema::Ref { name } => name.fully_qualified_name(namespace).fullname(None),
                    other => type_name(other),
                };
                full == *name || full.rsplit('.').next() == Some(name.as_ref())
            })
        {
            self.long(index(branch));
            let (name, inner) = (name.clone().into_owned(), *inner);
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
    fn decimal<D: Datum>(&self, value: &D, scale: usize) -> Result<BigInt, EncodeError> {
        let Some(text) = decimal_text(value, D::integer_text) else {
            return self.expected("a decimal as a string (\"12.34\")", value);
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

#[cfg(test)]
mod tests;
