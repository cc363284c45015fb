//! The descriptors of a compiled schema turned, once per schema, into what the renderer needs
//! per field without asking prost-reflect again for every record: a field's JSON key already
//! escaped, its kind and shape, its oneof, the text of its default value, and a table from
//! field number to field.

use std::collections::HashMap;
use std::sync::Arc;

use prost_reflect::{
    Cardinality, DescriptorPool, EnumDescriptor, FieldDescriptor, MessageDescriptor,
};

use crate::decode::json_text::push_escaped;

/// The kinds of field values, with message and enum types as indexes into [`Plans`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Bytes,
    Uint32,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
    Enum(usize),
    Message(usize),
    /// A proto2 group: a message between start-group and end-group tags.
    Group(usize),
}

impl Kind {
    /// Whether values of this kind can be packed into one length-delimited field.
    pub fn packable(self) -> bool {
        !matches!(
            self,
            Self::String | Self::Bytes | Self::Message(_) | Self::Group(_)
        )
    }
}

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value; `presence`: an absent field is left out (else it shows its default).
    Singular {
        presence: bool,
    },
    Repeated,
    /// A map field: its entries are messages of a key (field 1) and a value (field 2).
    Map {
        key: Kind,
        value: Kind,
    },
}

#[derive(Debug)]
pub struct FieldPlan {
    /// `"name":`, escaped.
    pub key: Box<str>,
    pub name: Box<str>,
    pub number: u32,
    pub kind: Kind,
    pub shape: Shape,
    pub oneof: Option<usize>,
    /// The JSON of the value an absent field shows (`0`, `""`, `[]`, `{}`, the first enum
    /// value), for fields without presence.
    pub default: Box<str>,
}

/// The well-known types shown the way Protobuf's JSON mapping shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    None,
    /// `google.protobuf.Timestamp`: an RFC 3339 string.
    Timestamp,
    /// `google.protobuf.Duration`: `"1.500s"`.
    Duration,
    /// The wrappers (`Int64Value`, ...), `Struct` and `ListValue`: the value of field 1 alone.
    FirstField,
    /// `google.protobuf.Value`: the value of whichever field of its oneof is set, else `null`.
    Value,
    /// `google.protobuf.FieldMask`: its paths joined by commas.
    FieldMask,
    /// `google.protobuf.Any`: `{"@type": ..., fields of the packed message}`.
    Any,
}

#[derive(Debug)]
pub struct MessagePlan {
    pub name: Arc<str>,
    pub special: Special,
    /// In declaration order.
    pub fields: Vec<FieldPlan>,
    /// Field number to index in `fields`, plus one (0: no such field); for numbers up to
    /// [`DENSE_LIMIT`].
    dense: Vec<u16>,
    /// The fields with larger numbers, sorted by number.
    sparse: Vec<(u32, usize)>,
    pub oneofs: usize,
}

/// Field numbers up to this are looked up in a table; larger ones by binary search.
const DENSE_LIMIT: u32 = 1024;

impl MessagePlan {
    /// The index in `fields` of field `number`.
    #[inline]
    pub fn field(&self, number: u32) -> Option<usize> {
        if let Some(&slot) = self.dense.get(number as usize) {
            return usize::from(slot).checked_sub(1);
        }
        self.sparse
            .binary_search_by_key(&number, |&(n, _)| n)
            .ok()
            .and_then(|at| self.sparse.get(at))
            .map(|&(_, index)| index)
    }
}

#[derive(Debug)]
pub struct EnumPlan {
    /// Value numbers and their names as JSON strings, sorted by number; of aliases, the first
    /// declared.
    values: Vec<(i32, Box<str>)>,
    /// The number of the first value declared: what an absent enum shows.
    pub default: i32,
    /// `google.protobuf.NullValue`, shown as `null`.
    pub null: bool,
}

impl EnumPlan {
    /// The JSON of value `number`: its name, or the number when the enum has no such value.
    pub fn push(&self, out: &mut String, number: i32) {
        if self.null {
            out.push_str("null");
            return;
        }
        match self.values.binary_search_by_key(&number, |&(n, _)| n) {
            Ok(at) => out.push_str(self.values.get(at).map_or("null", |(_, name)| name)),
            Err(_) => out.push_str(itoa::Buffer::new().format(number)),
        }
    }
}

/// Every message and enum of a schema's pool, planned.
#[derive(Debug, Default)]
pub struct Plans {
    pub messages: Vec<MessagePlan>,
    pub enums: Vec<EnumPlan>,
    /// Message index by full name (for `Any` and the roots).
    pub by_name: HashMap<String, usize>,
}

impl Plans {
    /// Plans every message and enum of `pool`.
    pub fn new(pool: &DescriptorPool) -> Self {
        let mut plans = Self::default();
        let messages: Vec<MessageDescriptor> = pool.all_messages().collect();
        let enums: Vec<EnumDescriptor> = pool.all_enums().collect();
        let message_index: HashMap<String, usize> = messages
            .iter()
            .enumerate()
            .map(|(i, message)| (message.full_name().to_owned(), i))
            .collect();
        let enum_index: HashMap<String, usize> = enums
            .iter()
            .enumerate()
            .map(|(i, e)| (e.full_name().to_owned(), i))
            .collect();
        let kind_of = |field: &FieldDescriptor| -> Kind {
            use prost_reflect::Kind as K;
            match field.kind() {
                K::Double => Kind::Double,
                K::Float => Kind::Float,
                K::Int64 => Kind::Int64,
                K::Uint64 => Kind::Uint64,
                K::Int32 => Kind::Int32,
                K::Fixed64 => Kind::Fixed64,
                K::Fixed32 => Kind::Fixed32,
                K::Bool => Kind::Bool,
                K::String => Kind::String,
                K::Bytes => Kind::Bytes,
                K::Uint32 => Kind::Uint32,
                K::Sfixed32 => Kind::Sfixed32,
                K::Sfixed64 => Kind::Sfixed64,
                K::Sint32 => Kind::Sint32,
                K::Sint64 => Kind::Sint64,
                K::Enum(e) => Kind::Enum(enum_index.get(e.full_name()).copied().unwrap_or(0)),
                K::Message(m) => {
                    let index = message_index.get(m.full_name()).copied().unwrap_or(0);
                    if field.is_group() {
                        Kind::Group(index)
                    } else {
                        Kind::Message(index)
                    }
                }
            }
        };
        plans.enums = enums.iter().map(plan_enum).collect();
        for message in &messages {
            let oneof_index: HashMap<String, usize> = message
                .oneofs()
                .enumerate()
                .map(|(i, oneof)| (oneof.full_name().to_owned(), i))
                .collect();
            let mut fields = Vec::new();
            for field in message.fields() {
                let kind = kind_of(&field);
                let shape = if let (true, prost_reflect::Kind::Message(entry)) =
                    (field.is_map(), field.kind())
                {
                    Shape::Map {
                        key: kind_of(&entry.map_entry_key_field()),
                        value: kind_of(&entry.map_entry_value_field()),
                    }
                } else if field.cardinality() == Cardinality::Repeated {
                    Shape::Repeated
                } else {
                    Shape::Singular {
                        presence: field.supports_presence(),
                    }
                };
                let mut key = String::new();
                push_escaped(&mut key, field.name());
                key.push(':');
                let default = match shape {
                    Shape::Repeated => "[]".to_owned(),
                    Shape::Map { .. } => "{}".to_owned(),
                    Shape::Singular { .. } => default_text(&field, kind, &plans.enums),
                };
                fields.push(FieldPlan {
                    key: key.into(),
                    name: field.name().into(),
                    number: field.number(),
                    kind,
                    shape,
                    oneof: field
                        .containing_oneof()
                        .and_then(|oneof| oneof_index.get(oneof.full_name()).copied()),
                    default: default.into(),
                });
            }
            let max_dense = fields
                .iter()
                .map(|field| field.number)
                .filter(|&n| n < DENSE_LIMIT)
                .max()
                .map_or(0, |n| n as usize + 1);
            let mut dense = vec![0_u16; max_dense];
            let mut sparse = Vec::new();
            for (i, field) in fields.iter().enumerate() {
                match (dense.get_mut(field.number as usize), u16::try_from(i + 1)) {
                    (Some(slot), Ok(index)) => *slot = index,
                    _ => sparse.push((field.number, i)),
                }
            }
            sparse.sort_unstable();
            plans.messages.push(MessagePlan {
                name: message.full_name().into(),
                special: special(message.full_name()),
                fields,
                dense,
                sparse,
                oneofs: message.oneofs().len(),
            });
        }
        plans.by_name = message_index;
        plans
    }
}

fn plan_enum(descriptor: &EnumDescriptor) -> EnumPlan {
    let mut values: Vec<(i32, Box<str>)> = Vec::new();
    for value in descriptor.values() {
        if values.iter().any(|&(n, _)| n == value.number()) {
            continue;
        }
        let mut name = String::new();
        push_escaped(&mut name, value.name());
        values.push((value.number(), name.into()));
    }
    values.sort_by_key(|&(n, _)| n);
    EnumPlan {
        values,
        default: descriptor.default_value().number(),
        null: descriptor.full_name() == "google.protobuf.NullValue",
    }
}

/// The JSON of the value a singular field without presence shows when absent.
fn default_text(field: &FieldDescriptor, kind: Kind, enums: &[EnumPlan]) -> String {
    use prost_reflect::Value;
    let mut out = String::new();
    match (field.default_value(), kind) {
        (Value::EnumNumber(n), Kind::Enum(e)) => match enums.get(e) {
            Some(plan) => plan.push(&mut out, n),
            None => out.push_str(itoa::Buffer::new().format(n)),
        },
        (Value::Bool(b), _) => out.push_str(if b { "true" } else { "false" }),
        (Value::I32(n), _) => out.push_str(itoa::Buffer::new().format(n)),
        (Value::I64(n), _) => out.push_str(itoa::Buffer::new().format(n)),
        (Value::U32(n), _) => out.push_str(itoa::Buffer::new().format(n)),
        (Value::U64(n), _) => out.push_str(itoa::Buffer::new().format(n)),
        (Value::F32(x), _) => crate::decode::avro::push_float(&mut out, f64::from(x)),
        (Value::F64(x), _) => crate::decode::avro::push_float(&mut out, x),
        (Value::String(s), _) => push_escaped(&mut out, &s),
        (Value::Bytes(b), _) => crate::decode::avro::push_hex(&mut out, &b),
        _ => out.push_str("null"),
    }
    out
}

/// How the message type `full_name` is shown: one of the well-known types, or as fields.
pub(crate) fn special(full_name: &str) -> Special {
    match full_name {
        "google.protobuf.Timestamp" => Special::Timestamp,
        "google.protobuf.Duration" => Special::Duration,
        "google.protobuf.DoubleValue"
        | "google.protobuf.FloatValue"
        | "google.protobuf.Int64Value"
        | "google.protobuf.UInt64Value"
        | "google.protobuf.Int32Value"
        | "google.protobuf.UInt32Value"
        | "google.protobuf.BoolValue"
        | "google.protobuf.StringValue"
        | "google.protobuf.BytesValue"
        | "google.protobuf.Struct"
        | "google.protobuf.ListValue" => Special::FirstField,
        "google.protobuf.Value" => Special::Value,
        "google.protobuf.FieldMask" => Special::FieldMask,
        "google.protobuf.Any" => Special::Any,
        _ => Special::None,
    }
}
