//! One pass from an Avro datum to readable JSON text: the writer schema is walked over the
//! bytes and the JSON is written as the walk goes, with no tree of values in between (neither
//! apache-avro's nor `serde_json`'s). The text is compact and exactly what `serde_json` would
//! print for the same JSON value, so scripts and the `--grep` filter see one form.
//!
//! The payload is untrusted, so the walk also refuses what would make showing it cost far more
//! than it is worth:
//! - nesting deeper than [`MAX_DEPTH`]: under a recursive schema each byte can open one more
//!   level;
//! - more than [`MAX_VALUES`] values: items that take no bytes (`null`, records without fields,
//!   `fixed` of size 0) let a one-byte count ask for millions of them;
//! - decimals longer than [`MAX_DECIMAL_BYTES`]: turning them into digits takes quadratic time.
//!
//! Every length, count, index and fixed size is checked against what is left of the payload
//! before it is used, so a corrupt length is an error, never an allocation.
//!
//! The rules for what each type looks like are in the parent module's documentation; the
//! decoder they replace, apache-avro's generic reader and a converter of its values, is kept
//! as the test oracle (`oracle.rs`), and the two are compared on random data.

use std::fmt::Write as _;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, NamespaceRef, Schema, UuidSchema,
};
use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _};
use num_bigint::BigInt;

use super::{AvroError, PLAIN_DECIMAL_DIGITS, type_name};
use crate::decode::json_text::push_escaped;

/// The deepest nesting of records, arrays, maps and unions decoded for display.
pub const MAX_DEPTH: usize = 128;
/// The most values (every item, field, map key and union branch counts) one datum may hold.
pub const MAX_VALUES: usize = 1_000_000;
/// The longest unscaled decimal, in bytes (2,466 digits).
pub const MAX_DECIMAL_BYTES: usize = 1024;

/// Days from 0001-01-01 (day 1) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// The datum `bytes` hold, of `schema` (its named types in `names`), as compact JSON text.
///
/// # Errors
/// [`AvroError::Truncated`] when the payload ends inside the datum, [`AvroError::LeftOver`]
/// when it goes on after it, [`AvroError::Corrupt`] when a length, count, index or text cannot
/// be right, and [`AvroError::TooDeep`], [`AvroError::TooManyValues`] or
/// [`AvroError::DecimalTooLong`] beyond the limits.
pub fn to_json_text(schema: &Schema, names: &Names, bytes: &[u8]) -> Result<String, AvroError> {
    let mut walk = Walk {
        bytes,
        at: 0,
        values: 0,
        names,
        out: String::with_capacity(bytes.len() + bytes.len() / 4 + 16),
    };
    walk.value(schema, None, 0)?;
    if walk.at < bytes.len() {
        return Err(AvroError::LeftOver {
            left: bytes.len() - walk.at,
        });
    }
    Ok(walk.out)
}

struct Walk<'a, 'n> {
    bytes: &'a [u8],
    /// How many bytes were read.
    at: usize,
    /// How many values the datum holds so far.
    values: usize,
    names: &'n Names,
    out: String,
}

impl<'a, 'n> Walk<'a, 'n> {
    #[allow(clippy::too_many_lines)] // one arm per Avro type reads best side by side
    fn value(
        &mut self,
        schema: &'n Schema,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Result<(), AvroError> {
        if depth > MAX_DEPTH {
            return Err(AvroError::TooDeep { limit: MAX_DEPTH });
        }
        self.count()?;
        match schema {
            Schema::Null => self.out.push_str("null"),
            Schema::Boolean => match self.take(1)? {
                [0] => self.out.push_str("false"),
                [1] => self.out.push_str("true"),
                other => {
                    let byte = other.first().copied().unwrap_or_default();
                    return Err(
                        self.corrupt(&format!("a boolean byte is 0x{byte:02x}, not 0 or 1"))
                    );
                }
            },
            Schema::Int => {
                let n = self.int()?;
                self.integer(n);
            }
            Schema::Long => {
                let n = self.long()?;
                self.integer(n);
            }
            Schema::Date => {
                let days = self.int()?;
                self.date(days);
            }
            Schema::TimeMillis => {
                let millis = self.int()?;
                self.time_of_day(i64::from(millis) * 1_000_000, 3);
            }
            Schema::TimeMicros => {
                let micros = self.long()?;
                self.time_of_day(micros.saturating_mul(1_000), 6);
            }
            Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                let n = self.long()?;
                let (nanos_per_unit, digits, utc) = timestamp_unit(schema);
                self.timestamp(i128::from(n) * i128::from(nanos_per_unit), digits, utc);
            }
            Schema::Float => {
                let raw = self.array::<4>()?;
                push_float(&mut self.out, f64::from(f32::from_le_bytes(raw)));
            }
            Schema::Double => {
                let raw = self.array::<8>()?;
                push_float(&mut self.out, f64::from_le_bytes(raw));
            }
            Schema::Bytes => {
                let len = self.len()?;
                let bytes = self.take(len)?;
                push_hex(&mut self.out, bytes);
            }
            Schema::Fixed(fixed) => {
                let bytes = self.take(fixed.size)?;
                push_hex(&mut self.out, bytes);
            }
            Schema::String => {
                let len = self.len()?;
                let text = self.text(len)?;
                push_escaped(&mut self.out, text);
            }
            Schema::Uuid(UuidSchema::String) => {
                let len = self.len()?;
                let text = self.text(len)?;
                let uuid = uuid::Uuid::parse_str(text).map_err(|_| {
                    // Debug-quoted (one line whatever the text holds), and not all of it.
                    let shown: String = text.chars().take(40).collect();
                    self.corrupt(&format!("not a UUID: {shown:?}"))
                })?;
                self.uuid(uuid);
            }
            Schema::Uuid(UuidSchema::Bytes) => {
                let len = self.len()?;
                let bytes = self.take(len)?;
                let uuid = uuid::Uuid::from_slice(bytes)
                    .map_err(|_| self.corrupt(&format!("a UUID of {len} bytes, not 16")))?;
                self.uuid(uuid);
            }
            Schema::Uuid(UuidSchema::Fixed(fixed)) => {
                let bytes = self.take(fixed.size)?;
                let uuid = uuid::Uuid::from_slice(bytes).map_err(|_| {
                    self.corrupt(&format!("a UUID of {} bytes, not 16", fixed.size))
                })?;
                self.uuid(uuid);
            }
            Schema::Duration(fixed) => {
                if fixed.size != 12 {
                    return Err(
                        self.corrupt(&format!("a duration of {} bytes, not 12", fixed.size))
                    );
                }
                let raw = self.array::<12>()?;
                let part = |at: usize| {
                    raw.get(at..at + 4)
                        .and_then(|part| <[u8; 4]>::try_from(part).ok())
                        .map_or(0, u32::from_le_bytes)
                };
                self.out.push_str("{\"months\":");
                self.integer(part(0));
                self.out.push_str(",\"days\":");
                self.integer(part(4));
                self.out.push_str(",\"millis\":");
                self.integer(part(8));
                self.out.push('}');
            }
            Schema::Decimal(DecimalSchema { inner, scale, .. }) => {
                let len = match inner {
                    InnerDecimalSchema::Bytes => self.len()?,
                    InnerDecimalSchema::Fixed(fixed) => fixed.size,
                };
                decimal_len(len)?;
                let unscaled = self.take(len)?;
                self.out.push('"');
                push_decimal(&mut self.out, unscaled, *scale);
                self.out.push('"');
            }
            Schema::BigDecimal => {
                let len = self.len()?;
                let blob = self.take(len)?;
                let text = big_decimal(blob)?;
                push_escaped(&mut self.out, &text);
            }
            Schema::Enum(schema) => {
                let index = self.long()?;
                let Some(symbol) = usize::try_from(index)
                    .ok()
                    .and_then(|index| schema.symbols.get(index))
                else {
                    return Err(self.corrupt(&format!(
                        "enum index {index} (the enum has {} symbols)",
                        schema.symbols.len()
                    )));
                };
                push_escaped(&mut self.out, symbol);
            }
            Schema::Union(union) => {
                let index = self.long()?;
                let variants = union.variants();
                let Some(branch) = usize::try_from(index)
                    .ok()
                    .and_then(|index| variants.get(index))
                else {
                    return Err(self.corrupt(&format!(
                        "union index {index} (the union has {} branches)",
                        variants.len()
                    )));
                };
                let non_null = variants
                    .iter()
                    .filter(|variant| !matches!(variant, Schema::Null))
                    .count();
                if matches!(branch, Schema::Null) || non_null <= 1 {
                    self.value(branch, namespace, depth + 1)?;
                } else {
                    // Several kinds of value: say which, as Avro's JSON encoding does.
                    self.out.push('{');
                    push_escaped(&mut self.out, &type_name(branch));
                    self.out.push(':');
                    self.value(branch, namespace, depth + 1)?;
                    self.out.push('}');
                }
            }
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(namespace);
                self.out.push('{');
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    push_escaped(&mut self.out, &field.name);
                    self.out.push(':');
                    self.value(&field.schema, inner.namespace(), depth + 1)?;
                }
                self.out.push('}');
            }
            Schema::Array(array) => {
                self.out.push('[');
                let mut first = true;
                while let Some(count) = self.block()? {
                    for _ in 0..count {
                        if !first {
                            self.out.push(',');
                        }
                        first = false;
                        self.value(&array.items, namespace, depth + 1)?;
                    }
                }
                self.out.push(']');
            }
            Schema::Map(map) => self.map(&map.types, namespace, depth)?,
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace);
                let Some(named) = self.names.get(name.as_ref()) else {
                    return Err(AvroError::Corrupt(format!(
                        "the schema refers to {}, which it does not define",
                        name.fullname(None)
                    )));
                };
                // The named schema itself counts the value.
                self.values -= 1;
                self.value(named, name.namespace(), depth)?;
            }
        }
        Ok(())
    }

    /// A map, shown sorted by key (the last entry wins where a key comes twice, as it does
    /// in apache-avro).
    fn map(
        &mut self,
        values: &'n Schema,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Result<(), AvroError> {
        let mut entries: Vec<(&'a str, String)> = Vec::new();
        let outer = std::mem::take(&mut self.out);
        let result = (|| {
            while let Some(count) = self.block()? {
                for _ in 0..count {
                    self.count()?;
                    let len = self.len()?;
                    let key = self.text(len)?;
                    self.value(values, namespace, depth + 1)?;
                    entries.push((key, std::mem::take(&mut self.out)));
                }
            }
            Ok(())
        })();
        self.out = outer;
        result?;
        // Stable: of equal keys, the last one read stays last.
        entries.sort_by(|a, b| a.0.cmp(b.0));
        self.out.push('{');
        let mut first = true;
        for (i, (key, value)) in entries.iter().enumerate() {
            if entries.get(i + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            push_escaped(&mut self.out, key);
            self.out.push(':');
            self.out.push_str(value);
        }
        self.out.push('}');
        Ok(())
    }

    /// One more value, within [`MAX_VALUES`].
    fn count(&mut self) -> Result<(), AvroError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(AvroError::TooManyValues { limit: MAX_VALUES });
        }
        Ok(())
    }

    fn corrupt(&self, what: &str) -> AvroError {
        AvroError::Corrupt(format!("{what} at byte {}", self.at))
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], AvroError> {
        let end = self.at.checked_add(n).ok_or(AvroError::Truncated)?;
        let taken = self.bytes.get(self.at..end).ok_or(AvroError::Truncated)?;
        self.at = end;
        Ok(taken)
    }

    /// The next `N` bytes, as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], AvroError> {
        let taken = self.take(N)?;
        <[u8; N]>::try_from(taken).map_err(|_| AvroError::Truncated)
    }

    /// The next `len` bytes, which must be UTF-8.
    fn text(&mut self, len: usize) -> Result<&'a str, AvroError> {
        let start = self.at;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|error| {
            AvroError::Corrupt(format!(
                "a string that is not UTF-8 at byte {start}: {error}"
            ))
        })
    }

    /// A zig-zag varint of at most 10 bytes, as apache-avro reads it.
    fn long(&mut self) -> Result<i64, AvroError> {
        let start = self.at;
        let mut z: u64 = 0;
        for shift in (0..10).map(|i| i * 7) {
            let byte = self.take(1)?.first().copied().unwrap_or_default();
            z |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .unwrap_or_default();
            if byte & 0x80 == 0 {
                let magnitude = (z >> 1).cast_signed();
                return Ok(if z & 1 == 0 { magnitude } else { !magnitude });
            }
        }
        Err(AvroError::Corrupt(format!(
            "an integer longer than 10 bytes at byte {start}"
        )))
    }

    /// An `int`: a varint that must fit 32 bits.
    fn int(&mut self) -> Result<i32, AvroError> {
        let n = self.long()?;
        i32::try_from(n).map_err(|_| self.corrupt(&format!("an int of {n} does not fit 32 bits")))
    }

    /// A length of bytes or a string.
    fn len(&mut self) -> Result<usize, AvroError> {
        let start = self.at;
        let len = self.long()?;
        usize::try_from(len)
            .map_err(|_| AvroError::Corrupt(format!("a negative length {len} at byte {start}")))
    }

    /// The item count of the next block of an array or map; `None` at the end.
    fn block(&mut self) -> Result<Option<usize>, AvroError> {
        let start = self.at;
        let count = self.long()?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            self.long()?;
        }
        count
            .checked_abs()
            .and_then(|count| usize::try_from(count).ok())
            .map(Some)
            .ok_or_else(|| AvroError::Corrupt(format!("a block count of {count} at byte {start}")))
    }

    fn integer(&mut self, n: impl itoa::Integer) {
        self.out.push_str(itoa::Buffer::new().format(n));
    }

    fn uuid(&mut self, uuid: uuid::Uuid) {
        self.out.push('"');
        self.out.push_str(
            uuid.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        );
        self.out.push('"');
    }

    /// Days since the epoch as `YYYY-MM-DD`; out of range as the plain number.
    fn date(&mut self, days: i32) {
        let date = days
            .checked_add(UNIX_EPOCH_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt);
        let Some(date) = date else {
            self.integer(days);
            return;
        };
        self.out.push('"');
        if (0..=9999).contains(&date.year()) {
            push_date(&mut self.out, date);
        } else {
            let _ = write!(self.out, "{date}");
        }
        self.out.push('"');
    }

    /// Nanoseconds since midnight as `HH:MM:SS` and `digits` fraction digits; out of range as
    /// the plain number.
    fn time_of_day(&mut self, nanos: i64, digits: u32) {
        const DAY: i64 = 86_400 * 1_000_000_000;
        if !(0..DAY).contains(&nanos) {
            self.integer(nanos / 10_i64.pow(9 - digits));
            return;
        }
        let seconds = nanos / 1_000_000_000;
        self.out.push('"');
        push_padded(&mut self.out, seconds / 3600, 2);
        self.out.push(':');
        push_padded(&mut self.out, seconds / 60 % 60, 2);
        self.out.push(':');
        push_padded(&mut self.out, seconds % 60, 2);
        push_fraction(&mut self.out, nanos % 1_000_000_000, digits);
        self.out.push('"');
    }

    /// Nanoseconds since the epoch in ISO 8601 with `digits` fraction digits, with `Z` when
    /// `utc`; out of range as the plain number.
    fn timestamp(&mut self, nanos: i128, digits: u32, utc: bool) {
        let unit = 10_i128.pow(9 - digits);
        let seconds = nanos.div_euclid(1_000_000_000);
        let sub = nanos.rem_euclid(1_000_000_000);
        let at = i64::try_from(seconds)
            .ok()
            .zip(u32::try_from(sub).ok())
            .and_then(|(seconds, sub)| DateTime::from_timestamp(seconds, sub));
        let Some(at) = at else {
            match i64::try_from(nanos / unit) {
                Ok(n) => self.integer(n),
                Err(_) => self.out.push_str("null"),
            }
            return;
        };
        let at = at.naive_utc();
        self.out.push('"');
        if (0..=9999).contains(&at.year()) {
            push_date(&mut self.out, at.date());
            self.out.push('T');
            push_padded(&mut self.out, i64::from(at.hour()), 2);
            self.out.push(':');
            push_padded(&mut self.out, i64::from(at.minute()), 2);
            self.out.push(':');
            push_padded(&mut self.out, i64::from(at.second()), 2);
            push_fraction(&mut self.out, i64::from(at.nanosecond()), digits);
        } else {
            let text = at.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
            let keep = text.len() - 9 + digits as usize;
            self.out.push_str(text.get(..keep).unwrap_or(&text));
        }
        if utc {
            self.out.push('Z');
        }
        self.out.push('"');
    }
}

/// A timestamp type's unit in nanoseconds, the fraction digits it is shown with, and whether
/// it is UTC (shown with `Z`) rather than local.
pub(super) fn timestamp_unit(schema: &Schema) -> (i64, u32, bool) {
    let (nanos_per_unit, digits) = match schema {
        Schema::TimestampMillis | Schema::LocalTimestampMillis => (1_000_000, 3),
        Schema::TimestampMicros | Schema::LocalTimestampMicros => (1_000, 6),
        _ => (1, 9),
    };
    let utc = matches!(
        schema,
        Schema::TimestampMillis | Schema::TimestampMicros | Schema::TimestampNanos
    );
    (nanos_per_unit, digits, utc)
}

fn decimal_len(len: usize) -> Result<(), AvroError> {
    if len > MAX_DECIMAL_BYTES {
        return Err(AvroError::DecimalTooLong {
            len,
            limit: MAX_DECIMAL_BYTES,
        });
    }
    Ok(())
}

/// A big-decimal's bytes (the unscaled value as length-prefixed bytes, then the scale; what
/// follows is ignored, as apache-avro does) as an exact string.
fn big_decimal(blob: &[u8]) -> Result<String, AvroError> {
    let mut inner = Walk {
        bytes: blob,
        at: 0,
        values: 0,
        names: &Names::new(),
        out: String::new(),
    };
    let len = inner.len()?;
    decimal_len(len)?;
    let unscaled = BigInt::from_signed_bytes_be(inner.take(len)?);
    let scale = inner.long()?;
    Ok(big_decimal_string(&apache_avro::BigDecimal::new(
        unscaled, scale,
    )))
}

/// A big-decimal as an exact string: plain (`"12.345"`), or in scientific notation when its
/// scale (which comes from the data: any `long`) would spell out more than
/// [`PLAIN_DECIMAL_DIGITS`] zeros; bigdecimal would try to write them all.
pub(super) fn big_decimal_string(decimal: &apache_avro::BigDecimal) -> String {
    if decimal.fractional_digit_count().unsigned_abs() > PLAIN_DECIMAL_DIGITS {
        decimal.to_scientific_notation()
    } else {
        decimal.to_plain_string()
    }
}

/// An unscaled two's complement big-endian integer and a scale as an exact decimal string:
/// `(-1234, 2)` is `-12.34`.
fn push_decimal(out: &mut String, unscaled: &[u8], scale: usize) {
    let negative = unscaled.first().is_some_and(|first| first & 0x80 != 0);
    let mut small = [if negative { 0xff } else { 0 }; 16];
    let digits = if unscaled.len() <= small.len() {
        // The common case, without a big integer: sign-extend into an i128.
        let start = small.len() - unscaled.len();
        if let Some(tail) = small.get_mut(start..) {
            tail.copy_from_slice(unscaled);
        }
        let n = i128::from_be_bytes(small);
        itoa::Buffer::new().format(n.unsigned_abs()).to_owned()
    } else {
        BigInt::from_signed_bytes_be(unscaled)
            .magnitude()
            .to_string()
    };
    if negative {
        out.push('-');
    }
    push_scaled(out, &digits, scale);
}

/// The digits of a magnitude with a decimal point `scale` digits from the right, padded with
/// zeros in front as needed: (`"5"`, 2) is `0.05`.
pub(super) fn push_scaled(out: &mut String, digits: &str, scale: usize) {
    if scale == 0 {
        out.push_str(digits);
        return;
    }
    if digits.len() <= scale {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(digits);
        return;
    }
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    out.push_str(whole);
    out.push('.');
    out.push_str(fraction);
}

/// A year from 0 to 9999, a month and a day as `YYYY-MM-DD`.
fn push_date(out: &mut String, date: NaiveDate) {
    push_padded(out, i64::from(date.year()), 4);
    out.push('-');
    push_padded(out, i64::from(date.month()), 2);
    out.push('-');
    push_padded(out, i64::from(date.day()), 2);
}

/// `n` (not negative) with zeros in front up to `width` digits.
fn push_padded(out: &mut String, n: i64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

/// A point and the first `digits` of nine fraction digits of a second.
fn push_fraction(out: &mut String, nanos: i64, digits: u32) {
    out.push('.');
    push_padded(out, nanos / 10_i64.pow(9 - digits), digits as usize);
}

/// A floating-point number as `serde_json` prints it; those JSON cannot hold (`NaN`,
/// infinities) as strings.
/// A floating-point number as JSON: `NaN` and the infinities as strings (Avro and Protobuf).
pub(crate) fn push_float(out: &mut String, x: f64) {
    match serde_json::Number::from_f64(x) {
        Some(number) => {
            let _ = write!(out, "{number}");
        }
        None if x.is_nan() => out.push_str("\"NaN\""),
        None if x > 0.0 => out.push_str("\"Infinity\""),
        None => out.push_str("\"-Infinity\""),
    }
}

/// Bytes as a JSON string `"0x…"` in lower-case hex (Avro and Protobuf).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2 + 4);
    out.push_str("\"0x");
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
