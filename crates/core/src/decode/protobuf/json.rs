//! One pass from a Protobuf message to readable JSON text, guided by the plans of its schema
//! ([`super::plan`]). Each message is scanned once (its fields noted, in the order they come),
//! then written in the order the schema declares them; sub-messages are written as they are
//! reached, so no tree of values is built.
//!
//! What it shows:
//! - fields by the name the `.proto` declares, in declaration order; a field that is absent shows
//!   its default (`0`, `""`, `false`, the first enum value, `[]`, `{}`) unless it has presence
//!   (a message, a member of a `oneof`, a proto2 or proto3 `optional` field): then it is left
//!   out; of a `oneof`, the member set last;
//! - enums by name (a number the enum does not name as the number); 64-bit integers as exact
//!   JSON numbers; `bytes` as `"0x…"` hex, as for Avro; floats as JSON numbers, `NaN` and the
//!   infinities as strings; maps as objects sorted by key;
//! - the well-known types as Protobuf's JSON mapping shows them: `Timestamp` as RFC 3339 text,
//!   `Duration` as `"1.5s"`, the wrappers as their value, `Struct`, `Value` and `ListValue` as
//!   the JSON they hold, `FieldMask` as its paths joined by commas, `Any` with `"@type"` and the
//!   packed message when the schema knows its type;
//! - unknown fields are skipped; repeated occurrences of a singular field: the last one wins
//!   (messages are merged), as a Protobuf parser does.
//!
//! The bytes are untrusted: a wire type other than the one the schema gives the field, a length
//! past the end, a varint over 10 bytes, a string that is not UTF-8 or a misplaced end-group is
//! an error; nesting deeper than [`MAX_DEPTH`] or more than [`MAX_VALUES`] values is refused.
//! prost-reflect's `DynamicMessage` is the test oracle the pass is compared with (`oracle.rs`).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::plan::{Kind, MessagePlan, Plans, Shape, Special};
use super::wire::{I64, LEN, MAX_DEPTH, ProtoError, Raw, Reader, VARINT, expected_wire, wire_name};
use crate::decode::avro::{push_float, push_hex};
use crate::decode::json_text::push_escaped;

/// The most values (fields, items, map entries) one message may hold.
pub const MAX_VALUES: usize = 1_000_000;

/// The message of plan `message` that `bytes` hold, as compact JSON text.
///
/// # Errors
/// [`ProtoError`] when the bytes are not such a message, or one beyond the limits.
pub fn to_json_text(plans: &Plans, message: usize, bytes: &[u8]) -> Result<String, ProtoError> {
    let mut render = Render {
        plans,
        values: 0,
        out: String::with_capacity(bytes.len() * 2 + 16),
    };
    render.message(message, bytes, 0)?;
    Ok(render.out)
}

/// How a map field is on the wire, as errors name it. prost-reflect (the test oracle) reads a
/// map field of any wire type as length-delimited; a Protobuf parser does not, and neither do we.
pub const MAP_WIRE: &str = "a map (length-delimited entries)";

/// A field of the message being written, where it came on the wire.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    field: usize,
    position: usize,
    raw: Raw<'a>,
}

struct Render<'p> {
    plans: &'p Plans,
    values: usize,
    out: String,
}

impl<'p> Render<'p> {
    fn count(&mut self) -> Result<(), ProtoError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(ProtoError::TooManyValues { limit: MAX_VALUES });
        }
        Ok(())
    }

    fn plan(&self, message: usize) -> Result<&'p MessagePlan, ProtoError> {
        self.plans
            .messages
            .get(message)
            .ok_or_else(|| ProtoError::Invalid(format!("no message type {message} in the schema")))
    }

    /// The fields of a message as they come, checked against the schema: every field the
    /// schema knows, with the wire type it gives it; unknown fields read and dropped.
    fn scan<'a>(
        &self,
        plan: &MessagePlan,
        bytes: &'a [u8],
        depth: usize,
    ) -> Result<Vec<Entry<'a>>, ProtoError> {
        let mut reader = Reader::new(bytes);
        let mut entries = Vec::new();
        while !reader.done() {
            let (number, wire) = reader.tag()?;
            let Some((field, spec)) = plan
                .field(number)
                .and_then(|field| plan.fields.get(field).map(|spec| (field, spec)))
            else {
                reader.value(number, wire, depth)?;
                continue;
            };
            let expected = match spec.shape {
                Shape::Map { .. } => LEN,
                _ => expected_wire(spec.kind),
            };
            let packed = spec.shape == Shape::Repeated && spec.kind.packable() && wire == LEN;
            if wire != expected && !packed {
                let map = matches!(spec.shape, Shape::Map { .. });
                return Err(ProtoError::Invalid(format!(
                    "field {number} ({}) has wire type {}, but the schema makes it {}",
                    spec.name,
                    wire_name(wire),
                    if map { MAP_WIRE } else { wire_name(expected) }
                )));
            }
            let raw = reader.value(number, wire, depth)?;
            entries.push(Entry {
                field,
                position: entries.len(),
                raw,
            });
        }
        Ok(entries)
    }

    fn message(&mut self, message: usize, bytes: &[u8], depth: usize) -> Result<(), ProtoError> {
        if depth >= MAX_DEPTH {
            return Err(ProtoError::TooDeep { limit: MAX_DEPTH });
        }
        self.count()?;
        let plan = self.plan(message)?;
        let mut entries = self.scan(plan, bytes, depth)?;
        // The last member of each oneof on the wire, and where its last run began: a member
        // clears the others, so what came before it does not count.
        let mut oneofs: Vec<Option<(usize, usize)>> = vec![None; plan.oneofs];
        for entry in &entries {
            if let Some(slot) = plan
                .fields
                .get(entry.field)
                .and_then(|field| field.oneof)
                .and_then(|oneof| oneofs.get_mut(oneof))
            {
                match slot {
                    Some((field, _)) if *field == entry.field => {}
                    _ => *slot = Some((entry.field, entry.position)),
                }
            }
        }
        entries.sort_by_key(|entry| entry.field);
        let fields = Fields {
            entries: &entries,
            oneofs: &oneofs,
            plan,
        };
        self.check_unshown(&fields, depth)?;
        match plan.special {
            Special::None => self.object(&fields, depth),
            Special::Timestamp | Special::Duration => {
                let seconds = fields.last(0).map_or(0, |raw| varint_of(raw) as i64);
                let nanos = fields.last(1).map_or(0, |raw| varint_of(raw) as i32);
                let text = if plan.special == Special::Timestamp {
                    timestamp_text(seconds, nanos)
                } else {
                    duration_text(seconds, nanos)
                };
                match text {
                    Some(text) => {
                        self.out.push('"');
                        self.out.push_str(&text);
                        self.out.push('"');
                        Ok(())
                    }
                    None => self.object(&fields, depth),
                }
            }
            Special::FirstField => self.field_value(&fields, 0, depth),
            Special::Value => match oneofs.first().copied().flatten() {
                Some((field, _)) => self.field_value(&fields, field, depth),
                None => {
                    self.out.push_str("null");
                    Ok(())
                }
            },
            Special::FieldMask => {
                let mut paths = String::new();
                for (i, entry) in fields.of(0).iter().enumerate() {
                    if i > 0 {
                        paths.push(',');
                    }
                    if let Raw::Len(bytes) = entry.raw {
                        paths.push_str(utf8(bytes)?);
                    }
                }
                push_escaped(&mut self.out, &paths);
                Ok(())
            }
            Special::Any => self.any(&fields, depth),
        }
    }

    /// The occurrences of singular fields a later one replaces (or a later member of their
    /// oneof clears) are not shown, but a parser reads them too: a string in them must be
    /// UTF-8 and a message in them well formed, as prost-reflect checks.
    fn check_unshown(&mut self, fields: &Fields<'_, '_>, depth: usize) -> Result<(), ProtoError> {
        for (index, field) in fields.plan.fields.iter().enumerate() {
            if !matches!(field.shape, Shape::Singular { .. }) {
                continue;
            }
            let all = fields.all(index);
            let shown = fields.of(index);
            let unshown = match field.kind {
                // Every occurrence counted is merged and shown.
                Kind::Message(_) | Kind::Group(_) => all.len() - shown.len(),
                // Only the last one counted is shown.
                _ if shown.is_empty() => all.len(),
                _ => all.len() - 1,
            };
            for entry in all.get(..unshown).unwrap_or_default() {
                self.check(field.kind, entry.raw, depth)?;
            }
        }
        Ok(())
    }

    /// Reads a value that is not shown, for its errors.
    fn check(&mut self, kind: Kind, raw: Raw<'_>, depth: usize) -> Result<(), ProtoError> {
        match (kind, raw) {
            (Kind::String, Raw::Len(bytes)) => utf8(bytes).map(drop),
            (Kind::Message(message), Raw::Len(bytes))
            | (Kind::Group(message), Raw::Group(bytes)) => {
                let mark = self.out.len();
                let read = self.message(message, bytes, depth + 1);
                self.out.truncate(mark);
                read
            }
            _ => Ok(()),
        }
    }

    /// A message as a JSON object of its fields.
    fn object(&mut self, fields: &Fields<'_, '_>, depth: usize) -> Result<(), ProtoError> {
        self.out.push('{');
        let mut first = true;
        for (index, field) in fields.plan.fields.iter().enumerate() {
            let entries = fields.of(index);
            let absent = entries.is_empty();
            if absent {
                if field.oneof.is_some() {
                    continue;
                }
                if let Shape::Singular { presence: true } = field.shape {
                    continue;
                }
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            self.out.push_str(&field.key);
            self.field_value(fields, index, depth)?;
        }
        self.out.push('}');
        Ok(())
    }

    /// The value of field `index` without its key: its default when absent.
    fn field_value(
        &mut self,
        fields: &Fields<'_, '_>,
        index: usize,
        depth: usize,
    ) -> Result<(), ProtoError> {
        let Some(field) = fields.plan.fields.get(index) else {
            self.out.push_str("null");
            return Ok(());
        };
        let entries = fields.of(index);
        match field.shape {
            Shape::Singular { .. } => {
                if entries.is_empty() {
                    return self.default(field.kind, &field.default, depth);
                }
                match field.kind {
                    Kind::Message(message) | Kind::Group(message) => {
                        let parts: Vec<&[u8]> = entries.iter().map(|e| raw_bytes(e.raw)).collect();
                        self.merged_message(message, &parts, depth)
                    }
                    kind => match entries.last() {
                        Some(entry) => self.scalar(kind, entry.raw, depth),
                        None => Ok(()),
                    },
                }
            }
            Shape::Repeated => {
                self.out.push('[');
                let mut first = true;
                for entry in entries {
                    match entry.raw {
                        Raw::Len(bytes) if field.kind.packable() => {
                            self.packed(field.kind, bytes, &mut first)?;
                        }
                        raw => {
                            if !first {
                                self.out.push(',');
                            }
                            first = false;
                            self.count()?;
                            self.scalar(field.kind, raw, depth)?;
                        }
                    }
                }
                self.out.push(']');
                Ok(())
            }
            Shape::Map { key, value } => self.map(entries, key, value, depth),
        }
    }

    /// The occurrences of one message field, merged as a parser merges them: their fields one
    /// after the other. A parser reads each occurrence on its own first, so each must be a
    /// message by itself (one cut short is an error, even where the next would complete it).
    fn merged_message(
        &mut self,
        message: usize,
        parts: &[&[u8]],
        depth: usize,
    ) -> Result<(), ProtoError> {
        if let [_, _, ..] = parts {
            for part in parts {
                self.check(Kind::Message(message), Raw::Len(part), depth)?;
            }
        }
        self.message(message, &merged(parts), depth + 1)
    }

    /// The value an absent field shows.
    fn default(&mut self, kind: Kind, text: &str, depth: usize) -> Result<(), ProtoError> {
        match kind {
            Kind::Message(message) | Kind::Group(message) => self.message(message, &[], depth + 1),
            _ => {
                self.out.push_str(text);
                Ok(())
            }
        }
    }

    /// Values packed into one length-delimited field.
    fn packed(&mut self, kind: Kind, bytes: &[u8], first: &mut bool) -> Result<(), ProtoError> {
        let mut reader = Reader::new(bytes);
        let wire = expected_wire(kind);
        while !reader.done() {
            let raw = match wire {
                VARINT => Raw::Varint(reader.varint()?),
                I64 => Raw::I64(u64::from_le_bytes(reader.array::<8>()?)),
                _ => Raw::I32(u32::from_le_bytes(reader.array::<4>()?)),
            };
            if !*first {
                self.out.push(',');
            }
            *first = false;
            self.count()?;
            self.scalar(kind, raw, 0)?;
        }
        Ok(())
    }

    /// One value of `kind` (its wire type checked by [`Self::scan`]).
    fn scalar(&mut self, kind: Kind, raw: Raw<'_>, depth: usize) -> Result<(), ProtoError> {
        let mut numbers = itoa::Buffer::new();
        match (kind, raw) {
            (Kind::Int32, Raw::Varint(v)) => self.out.push_str(numbers.format(v as i32)),
            (Kind::Int64, Raw::Varint(v)) | (Kind::Sfixed64, Raw::I64(v)) => {
                self.out.push_str(numbers.format(v as i64));
            }
            (Kind::Uint32, Raw::Varint(v)) => self.out.push_str(numbers.format(v as u32)),
            (Kind::Uint64, Raw::Varint(v)) | (Kind::Fixed64, Raw::I64(v)) => {
                self.out.push_str(numbers.format(v));
            }
            (Kind::Sint32, Raw::Varint(v)) => {
                let v = v as u32;
                self.out
                    .push_str(numbers.format(((v >> 1) as i32) ^ -((v & 1) as i32)));
            }
            (Kind::Sint64, Raw::Varint(v)) => {
                self.out
                    .push_str(numbers.format(((v >> 1) as i64) ^ -((v & 1) as i64)));
            }
            (Kind::Bool, Raw::Varint(v)) => {
                self.out.push_str(if v == 0 { "false" } else { "true" });
            }
            (Kind::Enum(e), Raw::Varint(v)) => match self.plans.enums.get(e) {
                Some(plan) => plan.push(&mut self.out, v as i32),
                None => self.out.push_str(numbers.format(v as i32)),
            },
            (Kind::Double, Raw::I64(v)) => push_float(&mut self.out, f64::from_bits(v)),
            (Kind::Float, Raw::I32(v)) => push_float(&mut self.out, f64::from(f32::from_bits(v))),
            (Kind::Fixed32, Raw::I32(v)) => self.out.push_str(numbers.format(v)),
            (Kind::Sfixed32, Raw::I32(v)) => self.out.push_str(numbers.format(v as i32)),
            (Kind::String, Raw::Len(bytes)) => push_escaped(&mut self.out, utf8(bytes)?),
            (Kind::Bytes, Raw::Len(bytes)) => push_hex(&mut self.out, bytes),
            (Kind::Message(message), Raw::Len(bytes))
            | (Kind::Group(message), Raw::Group(bytes)) => {
                self.message(message, bytes, depth + 1)?;
            }
            (kind, raw) => {
                return Err(ProtoError::Invalid(format!(
                    "a {} value for a field of kind {kind:?}",
                    wire_name(raw.wire_type())
                )));
            }
        }
        Ok(())
    }

    /// A map field: an object sorted by key, the last entry winning for a key given twice.
    fn map(
        &mut self,
        entries: &[Entry<'_>],
        key_kind: Kind,
        value_kind: Kind,
        depth: usize,
    ) -> Result<(), ProtoError> {
        let mut pairs: Vec<(MapKey<'_>, String)> = Vec::with_capacity(entries.len());
        let outer = std::mem::take(&mut self.out);
        let result = (|| {
            for entry in entries {
                self.count()?;
                let bytes = raw_bytes(entry.raw);
                let (key, values) = map_entry(bytes, key_kind, value_kind, depth)?;
                let key = map_key(key_kind, key)?;
                match (value_kind, values.as_slice()) {
                    (Kind::Message(message), parts) => {
                        let parts: Vec<&[u8]> = parts.iter().map(|raw| raw_bytes(*raw)).collect();
                        self.merged_message(message, &parts, depth)?;
                    }
                    (kind, [.., last]) => self.scalar(kind, *last, depth)?,
                    (kind, []) => {
                        let text = default_scalar(kind, self.plans);
                        self.out.push_str(&text);
                    }
                }
                pairs.push((key, std::mem::take(&mut self.out)));
            }
            Ok(())
        })();
        self.out = outer;
        result?;
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        self.out.push('{');
        let mut first = true;
        for (i, (key, value)) in pairs.iter().enumerate() {
            if pairs.get(i + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            key.push(&mut self.out);
            self.out.push(':');
            self.out.push_str(value);
        }
        self.out.push('}');
        Ok(())
    }

    /// `google.protobuf.Any`: the type URL, then the packed message's fields when the schema
    /// knows its type, else its bytes.
    fn any(&mut self, fields: &Fields<'_, '_>, depth: usize) -> Result<(), ProtoError> {
        let url = match fields.last(0) {
            Some(Raw::Len(bytes)) => utf8(bytes)?,
            _ => "",
        };
        let value = match fields.last(1) {
            Some(Raw::Len(bytes)) => bytes,
            _ => &[],
        };
        if url.is_empty() && value.is_empty() {
            self.out.push_str("{}");
            return Ok(());
        }
        self.out.push_str("{\"@type\":");
        push_escaped(&mut self.out, url);
        let name = url.rsplit('/').next().unwrap_or(url);
        match self.plans.by_name.get(name).copied() {
            Some(message) => {
                let start = self.out.len();
                self.message(message, value, depth + 1)?;
                let special = self.plan(message)?.special;
                let inner = self.out.split_off(start);
                match (special, inner.strip_prefix('{')) {
                    (Special::None, Some("}")) => {}
                    (Special::None, Some(rest)) => {
                        self.out.push(',');
                        self.out.push_str(rest);
                        return Ok(());
                    }
                    _ => {
                        self.out.push_str(",\"value\":");
                        self.out.push_str(&inner);
                    }
                }
            }
            None => {
                self.out.push_str(",\"value\":");
                push_hex(&mut self.out, value);
            }
        }
        self.out.push('}');
        Ok(())
    }
}

/// The entries of one message, sorted by field, with its oneofs.
struct Fields<'e, 'a> {
    entries: &'e [Entry<'a>],
    oneofs: &'e [Option<(usize, usize)>],
    plan: &'e MessagePlan,
}

impl<'a> Fields<'_, 'a> {
    /// Every entry of field `index`.
    fn all(&self, index: usize) -> &[Entry<'a>] {
        let start = self.entries.partition_point(|entry| entry.field < index);
        let end = self.entries.partition_point(|entry| entry.field <= index);
        self.entries.get(start..end).unwrap_or_default()
    }

    /// The entries of field `index` that count: for a oneof member, the last run of it, and
    /// nothing when another member came last.
    fn of(&self, index: usize) -> &[Entry<'a>] {
        let all = self.all(index);
        let oneof = self
            .plan
            .fields
            .get(index)
            .and_then(|field| field.oneof)
            .and_then(|oneof| self.oneofs.get(oneof).copied().flatten());
        match oneof {
            None => all,
            Some((field, _)) if field != index => &[],
            Some((_, from)) => {
                let skip = all.partition_point(|entry| entry.position < from);
                all.get(skip..).unwrap_or_default()
            }
        }
    }

    fn last(&self, index: usize) -> Option<Raw<'a>> {
        self.of(index).last().map(|entry| entry.raw)
    }
}

/// The key and the values (all of them, to merge messages) of a map entry.
fn map_entry<'a>(
    bytes: &'a [u8],
    key_kind: Kind,
    value_kind: Kind,
    depth: usize,
) -> Result<(Option<Raw<'a>>, Vec<Raw<'a>>), ProtoError> {
    let mut reader = Reader::new(bytes);
    let mut key = None;
    let mut values = Vec::with_capacity(1);
    while !reader.done() {
        let (number, wire) = reader.tag()?;
        let raw = reader.value(number, wire, depth)?;
        let kind = match number {
            1 => key_kind,
            2 => value_kind,
            _ => continue,
        };
        if wire != expected_wire(kind) {
            return Err(ProtoError::Invalid(format!(
                "the {} of a map entry has wire type {}, but the schema makes it {}",
                if number == 1 { "key" } else { "value" },
                wire_name(wire),
                wire_name(expected_wire(kind))
            )));
        }
        if let (Kind::String, Raw::Len(bytes)) = (kind, raw) {
            // Every occurrence is read by a parser, the ones a later one replaces too.
            utf8(bytes)?;
        }
        if number == 1 {
            key = Some(raw);
        } else {
            values.push(raw);
        }
    }
    Ok((key, values))
}

/// A map key, to sort by and to write as a JSON string.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MapKey<'a> {
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Text(&'a str),
}

impl MapKey<'_> {
    fn push(&self, out: &mut String) {
        match self {
            Self::Bool(b) => out.push_str(if *b { "\"true\"" } else { "\"false\"" }),
            Self::Signed(n) => {
                let _ = write!(out, "\"{n}\"");
            }
            Self::Unsigned(n) => {
                let _ = write!(out, "\"{n}\"");
            }
            Self::Text(text) => push_escaped(out, text),
        }
    }
}

fn map_key(kind: Kind, raw: Option<Raw<'_>>) -> Result<MapKey<'_>, ProtoError> {
    Ok(match (kind, raw) {
        (Kind::String, None) => MapKey::Text(""),
        (Kind::String, Some(Raw::Len(bytes))) => MapKey::Text(utf8(bytes)?),
        (Kind::Bool, raw) => MapKey::Bool(raw.is_some_and(|raw| varint_of(raw) != 0)),
        (Kind::Int32, raw) => MapKey::Signed(i64::from(raw.map_or(0, varint_of) as i32)),
        (Kind::Int64, raw) => MapKey::Signed(raw.map_or(0, varint_of) as i64),
        (Kind::Sint32, raw) => {
            let v = raw.map_or(0, varint_of) as u32;
            MapKey::Signed(i64::from(((v >> 1) as i32) ^ -((v & 1) as i32)))
        }
        (Kind::Sint64, raw) => {
            let v = raw.map_or(0, varint_of);
            MapKey::Signed(((v >> 1) as i64) ^ -((v & 1) as i64))
        }
        (Kind::Sfixed32, raw) => MapKey::Signed(i64::from(raw.map_or(0, fixed_of) as u32 as i32)),
        (Kind::Sfixed64, raw) => MapKey::Signed(raw.map_or(0, fixed_of) as i64),
        (Kind::Uint32, raw) => MapKey::Unsigned(u64::from(raw.map_or(0, varint_of) as u32)),
        (Kind::Uint64, raw) => MapKey::Unsigned(raw.map_or(0, varint_of)),
        (Kind::Fixed32 | Kind::Fixed64, raw) => MapKey::Unsigned(raw.map_or(0, fixed_of)),
        (kind, _) => {
            return Err(ProtoError::Invalid(format!(
                "a map key of kind {kind:?}, which Protobuf does not allow"
            )));
        }
    })
}

fn varint_of(raw: Raw<'_>) -> u64 {
    match raw {
        Raw::Varint(v) | Raw::I64(v) => v,
        Raw::I32(v) => u64::from(v),
        Raw::Len(_) | Raw::Group(_) => 0,
    }
}

fn fixed_of(raw: Raw<'_>) -> u64 {
    varint_of(raw)
}

fn raw_bytes(raw: Raw<'_>) -> &[u8] {
    match raw {
        Raw::Len(bytes) | Raw::Group(bytes) => bytes,
        _ => &[],
    }
}

/// Occurrences of one message field, merged as a parser merges them: their fields one after
/// the other.
fn merged<'a>(parts: &[&'a [u8]]) -> Cow<'a, [u8]> {
    match parts {
        [] => Cow::Borrowed(&[]),
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.concat()),
    }
}

/// The JSON of the default value of a map value of `kind` (messages are written apart).
fn default_scalar(kind: Kind, plans: &Plans) -> String {
    let mut out = String::new();
    match kind {
        Kind::Bool => out.push_str("false"),
        Kind::String => out.push_str("\"\""),
        Kind::Bytes => out.push_str("\"0x\""),
        Kind::Double | Kind::Float => push_float(&mut out, 0.0),
        Kind::Enum(e) => match plans.enums.get(e) {
            Some(plan) => plan.push(&mut out, plan.default),
            None => out.push('0'),
        },
        _ => out.push('0'),
    }
    out
}

fn utf8(bytes: &[u8]) -> Result<&str, ProtoError> {
    std::str::from_utf8(bytes)
        .map_err(|error| ProtoError::Invalid(format!("a string that is not UTF-8: {error}")))
}

/// Seconds and nanoseconds since the epoch as RFC 3339 in UTC, with 0, 3, 6 or 9 digits of
/// fraction; `None` outside 0001–9999 or with nanoseconds outside 0–999,999,999.
pub(super) fn timestamp_text(seconds: i64, nanos: i32) -> Option<String> {
    let nanos = u32::try_from(nanos).ok().filter(|&n| n < 1_000_000_000)?;
    if !(-62_135_596_800..=253_402_300_799).contains(&seconds) {
        return None;
    }
    let at = chrono::DateTime::from_timestamp(seconds, nanos)?;
    let mut text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    push_fraction(&mut text, nanos);
    text.push('Z');
    Some(text)
}

/// A duration as Protobuf's JSON mapping writes it (`"-1.500s"`); `None` out of its range or
/// with seconds and nanoseconds of opposite signs.
pub(super) fn duration_text(seconds: i64, nanos: i32) -> Option<String> {
    if !(-315_576_000_000..=315_576_000_000).contains(&seconds)
        || !(-999_999_999..=999_999_999).contains(&nanos)
        || (seconds > 0 && nanos < 0)
        || (seconds < 0 && nanos > 0)
    {
        return None;
    }
    let mut text = String::new();
    if seconds < 0 || nanos < 0 {
        text.push('-');
    }
    text.push_str(itoa::Buffer::new().format(seconds.unsigned_abs()));
    push_fraction(&mut text, nanos.unsigned_abs());
    text.push('s');
    Some(text)
}

/// `.fff`, `.ffffff` or `.fffffffff`, as few groups as the nanoseconds need.
fn push_fraction(out: &mut String, nanos: u32) {
    if nanos == 0 {
        return;
    }
    if nanos.is_multiple_of(1_000_000) {
        let _ = write!(out, ".{:03}", nanos / 1_000_000);
    } else if nanos.is_multiple_of(1_000) {
        let _ = write!(out, ".{:06}", nanos / 1_000);
    } else {
        let _ = write!(out, ".{nanos:09}");
    }
}
