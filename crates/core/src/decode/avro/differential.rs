//! The one-pass decoder against the oracle (apache-avro's decoder and the converter it
//! replaced) on random data: random values of rich schemas, encoded by apache-avro's own
//! encoder, must decode to exactly the JSON the oracle makes of them; and the same datums,
//! cut short or with a byte changed, must be refused by both or decode alike.

use std::collections::HashMap;

use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, NamespaceRef, Schema, UuidSchema};
use apache_avro::types::Value as Avro;
use apache_avro::{BigDecimal, Days, Decimal, Duration, Millis, Months};
use num_bigint::BigInt;
use std::str::FromStr as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng as _};

use super::tests::read_back;
use super::{AvroError, WriterSchema, oracle};

const EVERYTHING: &str = r#"{"type": "record", "name": "Everything", "namespace": "t.ns", "fields": [
  {"name": "n", "type": "null"},
  {"name": "b", "type": "boolean"},
  {"name": "i", "type": "int"},
  {"name": "l", "type": "long"},
  {"name": "f", "type": "float"},
  {"name": "d", "type": "double"},
  {"name": "raw", "type": "bytes"},
  {"name": "s", "type": "string"},
  {"name": "e", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS", "_9"]}},
  {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
  {"name": "a", "type": {"type": "array", "items": "long"}},
  {"name": "m", "type": {"type": "map", "values": "string"}},
  {"name": "u", "type": ["null", "string", "long", "Four",
    {"type": "record", "name": "Card", "namespace": "other", "fields": [{"name": "last4", "type": "string"}]}]},
  {"name": "date", "type": {"type": "int", "logicalType": "date"}},
  {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
  {"name": "tu", "type": {"type": "long", "logicalType": "time-micros"}},
  {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
  {"name": "tsn", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
  {"name": "lts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
  {"name": "ltsu", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
  {"name": "ltsn", "type": {"type": "long", "logicalType": "local-timestamp-nanos"}},
  {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2}},
  {"name": "decf", "type": {"type": "fixed", "name": "Dec20", "size": 20,
    "logicalType": "decimal", "precision": 40, "scale": 4}},
  {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
  {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}},
  {"name": "uuidf", "type": {"type": "fixed", "name": "U16", "size": 16, "logicalType": "uuid"}},
  {"name": "dur", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
  {"name": "card", "type": "other.Card"},
  {"name": "cards", "type": {"type": "map", "values": {"type": "array", "items": "other.Card"}}},
  {"name": "maybe", "type": ["null", "Four"]}
]}"#;

const TREE: &str = r#"{"type": "record", "name": "Node", "fields": [
  {"name": "value", "type": ["long", "double", "string"]},
  {"name": "children", "type": {"type": "array", "items": "Node"}},
  {"name": "attributes", "type": {"type": "map", "values": ["null", "Node", "boolean"]}},
  {"name": "next", "type": ["null", "Node"]}
]}"#;

const TOP_LEVEL: [&str; 5] = [
    r#""string""#,
    r#"["null", "double", "bytes", {"type": "array", "items": "float"}]"#,
    r#"{"type": "map", "values": {"type": "map", "values": "int"}}"#,
    r#"{"type": "long", "logicalType": "timestamp-micros"}"#,
    r#"{"type": "fixed", "name": "Id", "size": 16, "logicalType": "uuid"}"#,
];

struct Gen {
    rng: StdRng,
}

impl Gen {
    /// Mostly small numbers, sometimes the extremes.
    fn long(&mut self) -> i64 {
        match self.rng.random_range(0..6) {
            0 => *[i64::MIN, i64::MAX, 0, -1, 1]
                .get(self.rng.random_range(0..5))
                .unwrap(),
            1 => self.rng.random(),
            2 => self
                .rng
                .random_range(-5_000_000_000_000_000..5_000_000_000_000_000),
            _ => self.rng.random_range(-100_000..100_000),
        }
    }

    fn int(&mut self) -> i32 {
        i32::try_from(self.long() >> 32).unwrap_or_default() ^ self.rng.random_range(-100..100)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.rng.random_range(0..=max);
        (0..len).map(|_| self.rng.random()).collect()
    }

    fn text(&mut self) -> String {
        const PIECES: [&str; 14] = [
            "a", "Z", " ", "\"", "\\", "\n", "\t", "\u{1}", "\u{1f}", "\u{7f}", "é", "😀", "/",
            "\u{2028}",
        ];
        let len = self.rng.random_range(0..12);
        (0..len)
            .map(|_| *PIECES.get(self.rng.random_range(0..PIECES.len())).unwrap())
            .collect()
    }

    fn float_bits(&mut self) -> f64 {
        match self.rng.random_range(0..5) {
            0 => f64::from_bits(self.rng.random()),
            1 => *[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::MIN_POSITIVE,
            ]
            .get(self.rng.random_range(0..5))
            .unwrap(),
            _ => self.rng.random_range(-1e6..1e6),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn value(
        &mut self,
        writer: &WriterSchema,
        schema: &Schema,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Avro {
        match schema {
            Schema::Null => Avro::Null,
            Schema::Boolean => Avro::Boolean(self.rng.random()),
            Schema::Int => Avro::Int(self.int()),
            Schema::Long => Avro::Long(self.long()),
            #[allow(clippy::cast_possible_truncation)]
            Schema::Float => Avro::Float(self.float_bits() as f32),
            Schema::Double => Avro::Double(self.float_bits()),
            Schema::Bytes => Avro::Bytes(self.bytes(8)),
            Schema::String => Avro::String(self.text()),
            Schema::Fixed(fixed) => Avro::Fixed(
                fixed.size,
                (0..fixed.size).map(|_| self.rng.random()).collect(),
            ),
            Schema::Enum(schema) => {
                let index = self.rng.random_range(0..schema.symbols.len());
                Avro::Enum(
                    u32::try_from(index).unwrap(),
                    schema.symbols.get(index).unwrap().clone(),
                )
            }
            Schema::Union(union) => {
                let variants = union.variants();
                // Deep down, take the first branch (the base case in these schemas).
                let index = if depth > 4 {
                    0
                } else {
                    self.rng.random_range(0..variants.len())
                };
                let branch = variants.get(index).unwrap();
                Avro::Union(
                    u32::try_from(index).unwrap(),
                    Box::new(self.value(writer, branch, namespace, depth + 1)),
                )
            }
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(namespace);
                Avro::Record(
                    record
                        .fields
                        .iter()
                        .map(|field| {
                            let value =
                                self.value(writer, &field.schema, inner.namespace(), depth + 1);
                            (field.name.clone(), value)
                        })
                        .collect(),
                )
            }
            Schema::Array(array) => {
                let len = if depth > 4 {
                    0
                } else {
                    self.rng.random_range(0..4)
                };
                Avro::Array(
                    (0..len)
                        .map(|_| self.value(writer, &array.items, namespace, depth + 1))
                        .collect(),
                )
            }
            Schema::Map(map) => {
                let len = if depth > 4 {
                    0
                } else {
                    self.rng.random_range(0..4)
                };
                let entries: HashMap<String, Avro> = (0..len)
                    .map(|_| {
                        let key = self.text();
                        (key, self.value(writer, &map.types, namespace, depth + 1))
                    })
                    .collect();
                Avro::Map(entries)
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace);
                let named = writer.names.get(name.as_ref()).unwrap();
                self.value(writer, named, name.namespace(), depth)
            }
            Schema::Date => Avro::Date(self.int()),
            Schema::TimeMillis => Avro::TimeMillis(self.int()),
            Schema::TimeMicros => Avro::TimeMicros(self.long()),
            Schema::TimestampMillis => Avro::TimestampMillis(self.long()),
            Schema::TimestampMicros => Avro::TimestampMicros(self.long()),
            Schema::TimestampNanos => Avro::TimestampNanos(self.long()),
            Schema::LocalTimestampMillis => Avro::LocalTimestampMillis(self.long()),
            Schema::LocalTimestampMicros => Avro::LocalTimestampMicros(self.long()),
            Schema::LocalTimestampNanos => Avro::LocalTimestampNanos(self.long()),
            Schema::Decimal(DecimalSchema { inner, .. }) => {
                let max = match inner {
                    InnerDecimalSchema::Fixed(fixed) => fixed.size,
                    InnerDecimalSchema::Bytes => 24,
                };
                // apache-avro encodes no empty decimal (the one pass reads one as 0).
                let mut unscaled = self.bytes(max);
                if unscaled.is_empty() {
                    unscaled.push(self.rng.random());
                }
                Avro::Decimal(Decimal::from(unscaled))
            }
            Schema::BigDecimal => {
                let unscaled = BigInt::from_signed_bytes_be(&self.bytes(20));
                Avro::BigDecimal(BigDecimal::new(unscaled, self.rng.random_range(-40..40)))
            }
            Schema::Uuid(UuidSchema::String) => {
                let uuid = uuid::Uuid::from_bytes(self.rng.random());
                // Every form apache-avro accepts, shown hyphenated in lower case.
                Avro::String(match self.rng.random_range(0..4) {
                    0 => uuid.simple().to_string(),
                    1 => uuid.braced().to_string().to_uppercase(),
                    2 => uuid.urn().to_string(),
                    _ => uuid.hyphenated().to_string(),
                })
            }
            Schema::Uuid(_) => Avro::Uuid(uuid::Uuid::from_bytes(self.rng.random())),
            Schema::Duration(_) => Avro::Duration(Duration::new(
                Months::new(self.rng.random()),
                Days::new(self.rng.random()),
                Millis::new(self.rng.random()),
            )),
        }
    }
}

fn schemas() -> Vec<WriterSchema> {
    [EVERYTHING, TREE]
        .iter()
        .chain(TOP_LEVEL.iter())
        .map(|json| WriterSchema::parse(json).unwrap_or_else(|e| panic!("{json}: {e}")))
        .collect()
}

/// Random values of every type, encoded by apache-avro: the one pass reads each exactly as
/// the oracle does (`read_back` compares the two and checks the text is compact).
#[test]
fn random_values_decode_as_the_oracle_decodes_them() {
    let mut generator = Gen {
        rng: StdRng::seed_from_u64(20_261_125),
    };
    for writer in schemas() {
        for _ in 0..400 {
            let value = generator.value(&writer, &writer.schema, None, 0);
            let datum = to_datum(&writer.schema, value.clone())
                .unwrap_or_else(|e| panic!("{}: cannot encode {value:?}: {e}", writer.name()));
            read_back(&writer, &datum)
                .unwrap_or_else(|e| panic!("{}: {e} for {value:?}", writer.name()));
        }
    }
}

/// Random values shown as JSON and written back from that JSON: the datum shows exactly as
/// before (repairs start from what the decoder shows).
#[test]
fn shown_values_are_written_back_to_the_same_datum() {
    let mut generator = Gen {
        rng: StdRng::seed_from_u64(20_261_208),
    };
    for writer in schemas() {
        for _ in 0..400 {
            let value = generator.value(&writer, &writer.schema, None, 0);
            let datum = to_datum(&writer.schema, value).unwrap();
            let Ok(text) = writer.decode(&datum) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let back = writer
                .encode(&json)
                .unwrap_or_else(|e| panic!("{}: {e} writing back {text}", writer.name()));
            // jq's values (a transform's result) are written to the same bytes.
            let val = jaq_json::read::parse_single(text.as_bytes()).unwrap();
            assert_eq!(
                writer.encode(&val).as_ref(),
                Ok(&back),
                "{}: {text}",
                writer.name()
            );
            let again = writer.decode(&back).unwrap();
            if again != text {
                // A big-decimal keeps its value, not its spelling: zero with a negative
                // scale shows as zeros, and is written back as 0.
                let mut again: serde_json::Value = serde_json::from_str(&again).unwrap();
                let mut json = json;
                for value in [&mut again, &mut json] {
                    if let Some(big) = value.get_mut("big") {
                        let number =
                            apache_avro::BigDecimal::from_str(big.as_str().unwrap()).unwrap();
                        *big = serde_json::Value::String(number.normalized().to_string());
                    }
                }
                assert_eq!(again, json, "{}", writer.name());
            }
        }
    }
}

/// The same datums broken (cut short, a byte changed, a byte added): the one pass refuses
/// exactly what the oracle refuses, and decodes the rest alike (beyond its limits it refuses
/// what the oracle, which has none, would decode).
#[test]
fn broken_datums_are_refused_as_the_oracle_refuses_them() {
    let mut generator = Gen {
        rng: StdRng::seed_from_u64(4),
    };
    let mut refused = 0;
    let mut decoded = 0;
    for writer in schemas() {
        for _ in 0..300 {
            let value = generator.value(&writer, &writer.schema, None, 0);
            let datum = to_datum(&writer.schema, value).unwrap();
            for _ in 0..4 {
                let mut broken = datum.clone();
                let rng = &mut generator.rng;
                match rng.random_range(0..3) {
                    0 => broken.truncate(rng.random_range(0..=datum.len())),
                    1 if !broken.is_empty() => {
                        let at = rng.random_range(0..broken.len());
                        *broken.get_mut(at).unwrap() = rng.random();
                    }
                    _ => broken.insert(rng.random_range(0..=datum.len()), rng.random()),
                }
                let ours = writer.decode(&broken);
                let theirs = oracle::decode(&writer, &broken);
                match ours {
                    Ok(text) => {
                        decoded += 1;
                        let theirs = theirs.map(|value| serde_json::to_string(&value).unwrap());
                        assert_eq!(theirs, Ok(text), "{}: {broken:?}", writer.name());
                    }
                    Err(
                        AvroError::TooDeep { .. }
                        | AvroError::TooManyValues { .. }
                        | AvroError::DecimalTooLong { .. },
                    ) => {}
                    Err(error) => {
                        refused += 1;
                        assert!(
                            theirs.is_err(),
                            "{}: we refuse ({error}), the oracle decodes {theirs:?} from {broken:?}",
                            writer.name()
                        );
                    }
                }
            }
        }
    }
    // Both outcomes were exercised.
    assert!(
        refused > 1_000 && decoded > 1_000,
        "{refused} refused, {decoded} decoded"
    );
}

/// `value` encoded by apache-avro's writer, without a container.
fn to_datum(schema: &Schema, value: Avro) -> Result<Vec<u8>, apache_avro::Error> {
    let mut datum = Vec::new();
    apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()?
        .write_value(&mut datum, value)?;
    Ok(datum)
}
