//! The DLQ at a glance: records grouped by failure cause (the value of an exception-class
//! header), with count, first and last position, and one sample each.

use std::collections::{BTreeMap, HashMap};

use crate::record::{Coordinates, Record};

/// Headers that common DLQ writers put the exception class in: Spring Kafka (the cause
/// first: its `DefaultErrorHandler` wraps every listener failure in the same
/// `ListenerExecutionFailedException`; a key's failure last), Kafka Connect, Kafka Streams,
/// SmallRye Reactive Messaging (Quarkus), and a share group's reason (KIP-1191).
pub const DEFAULT_CLASS_HEADERS: &[&str] = &[
    "kafka_dlt-exception-cause-fqcn",
    "kafka_dlt-exception-fqcn",
    "kafka_dlt-key-exception-fqcn",
    "__connect.errors.exception.class.name",
    "__streams.errors.exception",
    "dead-letter-exception-class-name",
    "__dlq.errors.message",
];

/// A DLQ writer: the headers it writes (by prefix, or by name), and those of them that name
/// the class of a failure.
struct Writer {
    prefixes: &'static [&'static str],
    names: &'static [&'static str],
    class: &'static [&'static str],
}

impl Writer {
    fn wrote(&self, name: &str) -> bool {
        self.prefixes.iter().any(|prefix| name.starts_with(prefix)) || self.names.contains(&name)
    }
}

/// The writers [`DEFAULT_CLASS_HEADERS`] come from, and Karafka, which names no class.
const WRITERS: &[Writer] = &[
    Writer {
        prefixes: &["kafka_dlt-"],
        names: &[],
        // Spring writes the cause after the exception it wraps.
        class: &[
            "kafka_dlt-exception-cause-fqcn",
            "kafka_dlt-exception-fqcn",
            "kafka_dlt-key-exception-fqcn",
        ],
    },
    Writer {
        prefixes: &["__connect.errors."],
        names: &[],
        class: &["__connect.errors.exception.class.name"],
    },
    Writer {
        prefixes: &["__streams.errors."],
        names: &[],
        class: &[STREAMS_EXCEPTION],
    },
    Writer {
        prefixes: &["dead-letter-"],
        names: &[],
        class: &["dead-letter-exception-class-name"],
    },
    Writer {
        prefixes: &["__dlq.errors."],
        names: &[],
        class: &["__dlq.errors.message"],
    },
    Writer {
        prefixes: &[],
        names: &[
            "source_topic",
            "source_partition",
            "source_offset",
            "original_topic",
            "original_partition",
            "original_offset",
        ],
        class: &[],
    },
];

/// Whether `names` are [`DEFAULT_CLASS_HEADERS`] (no `--group-by`).
fn by_default(names: &[String]) -> bool {
    names.len() == DEFAULT_CLASS_HEADERS.len()
        && names.iter().zip(DEFAULT_CLASS_HEADERS).all(|(a, b)| a == b)
}

/// The failure class of `record` by `names` (an absent value reads as empty; `None` when no
/// header is there). By the default names: the class the writer that dead-lettered the record
/// last wrote (a writer appends its headers after those the record had: the writer of the
/// last DLQ header), its newest class header (Spring's cause, which it writes after the
/// wrapper); none when that writer names no class. By other names (`--group-by`): the last
/// header with one of them.
#[must_use]
pub fn failure_class<'r>(names: &[String], record: &'r Record) -> Option<&'r [u8]> {
    let value = |header: &'r crate::record::Header| header.value.as_deref().unwrap_or_default();
    if !by_default(names) {
        return record
            .headers
            .iter()
            .rev()
            .find(|h| names.contains(&h.name))
            .map(value);
    }
    let writer = record
        .headers
        .iter()
        .rev()
        .find_map(|header| WRITERS.iter().find(|writer| writer.wrote(&header.name)))?;
    let header = record
        .headers
        .iter()
        .rev()
        .find(|h| writer.class.contains(&h.name.as_str()))?;
    Some(match header.name.as_str() {
        // Kafka Streams writes the exception's `toString()`: the class, then `: ` and the
        // message, which would make a class of every message.
        STREAMS_EXCEPTION => class_name(value(header)),
        _ => value(header),
    })
}

const STREAMS_EXCEPTION: &str = "__streams.errors.exception";

/// The class name at the start of a Java `Throwable.toString()`: up to `: ` (a class name
/// holds no blank).
fn class_name(text: &[u8]) -> &[u8] {
    text.windows(2)
        .position(|pair| pair == b": ")
        .map_or(text, |end| &text[..end])
}

/// One failure class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// The header value; `None` for records without the header.
    pub value: Option<Vec<u8>>,
    pub count: u64,
    pub first: Coordinates,
    pub last: Coordinates,
    /// The first record of the class.
    pub sample: Record,
    /// Of `count`, the records identical to an earlier one (`--dedupe`).
    pub duplicates: u64,
}

/// What the redrive options make of one record, for the overview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fate {
    /// Where a merge sends it, or why it is left alone.
    pub destination: Option<String>,
    /// Its `kmp-replay-count`.
    pub replays: u64,
    /// Whether it is identical to an earlier record.
    pub duplicate: bool,
}

/// Records grouped by their failure class ([`failure_class`] by `headers`).
#[derive(Debug, Clone)]
pub struct Overview {
    headers: Vec<String>,
    index: HashMap<Option<Vec<u8>>, usize>,
    classes: Vec<Class>,
    destinations: BTreeMap<String, u64>,
    replays: BTreeMap<u64, u64>,
    tombstones: u64,
}

impl Overview {
    #[must_use]
    pub fn new(headers: Vec<String>) -> Self {
        Self {
            headers,
            index: HashMap::new(),
            classes: Vec::new(),
            destinations: BTreeMap::new(),
            replays: BTreeMap::new(),
            tombstones: 0,
        }
    }

    /// What the records are grouped by, as people read it: "failure class", or the header
    /// names `--group-by` gave.
    #[must_use]
    pub fn grouped_by(&self) -> String {
        if by_default(&self.headers) {
            "failure class".to_owned()
        } else {
            self.headers.join(" / ")
        }
    }

    /// The value `record` is grouped by ([`failure_class`]).
    #[must_use]
    pub fn class_of(&self, record: &Record) -> Option<Vec<u8>> {
        failure_class(&self.headers, record).map(<[u8]>::to_vec)
    }

    /// Tombstones counted (decisions' markers among them): never a failure class.
    #[must_use]
    pub fn tombstones(&self) -> u64 {
        self.tombstones
    }

    pub fn add(&mut self, record: &Record) {
        self.add_with(record, &Fate::default());
    }

    /// Counts `record` in its class, and what the redrive options make of it.
    pub fn add_with(&mut self, record: &Record, fate: &Fate) {
        if record.is_tombstone() {
            // A tombstone (a decision's marker, say) records no failure.
            self.tombstones += 1;
            return;
        }
        if let Some(destination) = &fate.destination {
            *self.destinations.entry(destination.clone()).or_default() += 1;
        }
        *self.replays.entry(fate.replays).or_default() += 1;
        let duplicates = u64::from(fate.duplicate);
        let value = self.class_of(record);
        match self.index.get(&value) {
            Some(&i) => {
                let class = &mut self.classes[i];
                class.count += 1;
                class.duplicates += duplicates;
                class.last = record.at.clone();
            }
            None => {
                self.index.insert(value.clone(), self.classes.len());
                self.classes.push(Class {
                    value,
                    count: 1,
                    first: record.at.clone(),
                    last: record.at.clone(),
                    sample: record.clone(),
                    duplicates,
                });
            }
        }
    }

    /// Records per destination (or reason for being left alone), when routing was counted.
    #[must_use]
    pub fn destinations(&self) -> &BTreeMap<String, u64> {
        &self.destinations
    }

    /// Records per replay count.
    #[must_use]
    pub fn replays(&self) -> &BTreeMap<u64, u64> {
        &self.replays
    }

    /// The classes, largest first.
    #[must_use]
    pub fn classes(&self) -> Vec<&Class> {
        let mut classes: Vec<&Class> = self.classes.iter().collect();
        classes.sort_by_key(|class| std::cmp::Reverse(class.count));
        classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: i64, header: Option<(&str, &str)>) -> Record {
        let record = Record::test(0, offset).with_key(None);
        match header {
            Some((name, value)) => record.with_header(name, value),
            None => record,
        }
    }

    #[test]
    fn groups_by_the_known_headers() {
        let mut overview = Overview::new(defaults());
        overview.add(&record(0, Some(("kafka_dlt-exception-fqcn", "Timeout"))));
        overview.add(&record(
            1,
            Some(("__connect.errors.exception.class.name", "Parse")),
        ));
        overview.add(&record(2, Some(("kafka_dlt-exception-fqcn", "Timeout"))));
        overview.add(&record(3, None));
        let classes = overview.classes();
        assert_eq!(classes.len(), 3);
        assert_eq!(classes[0].value.as_deref(), Some(&b"Timeout"[..]));
        assert_eq!(
            (
                classes[0].count,
                classes[0].first.offset,
                classes[0].last.offset
            ),
            (2, 0, 2)
        );
        assert!(classes.iter().any(|c| c.value.is_none() && c.count == 1));
        assert_eq!(overview.replays().get(&0), Some(&4));
        assert!(overview.destinations().is_empty());
    }

    fn defaults() -> Vec<String> {
        DEFAULT_CLASS_HEADERS
            .iter()
            .map(|&h| h.to_owned())
            .collect()
    }

    fn class(names: &[String], record: &Record) -> Option<String> {
        failure_class(names, record).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Spring's `DefaultErrorHandler` wraps every listener failure: its cause is the class.
    #[test]
    fn spring_records_are_classed_by_their_cause() {
        let wrapped = Record::test(0, 0)
            .with_header("kafka_dlt-original-topic", "orders")
            .with_header(
                "kafka_dlt-exception-fqcn",
                "org.springframework.kafka.listener.ListenerExecutionFailedException",
            )
            .with_header(
                "kafka_dlt-exception-cause-fqcn",
                "org.springframework.core.convert.ConversionException",
            )
            .with_header("kafka_dlt-exception-message", "boom");
        assert_eq!(
            class(&defaults(), &wrapped).as_deref(),
            Some("org.springframework.core.convert.ConversionException")
        );
        // Without a cause, the exception itself.
        let plain = Record::test(0, 1).with_header("kafka_dlt-exception-fqcn", "x.Timeout");
        assert_eq!(class(&defaults(), &plain).as_deref(), Some("x.Timeout"));
        // `--group-by` names the header: the wrapper, if that is what is asked for.
        let asked = vec!["kafka_dlt-exception-fqcn".to_owned()];
        assert_eq!(
            class(&asked, &wrapped).as_deref(),
            Some("org.springframework.kafka.listener.ListenerExecutionFailedException")
        );
    }

    /// A record dead-lettered by Spring, redriven, and dead-lettered again by a Connect sink
    /// carries both families: the newest (appended last) is the failure that put it here.
    #[test]
    fn the_newest_writer_names_the_class() {
        let spring_then_connect = Record::test(0, 0)
            .with_header(
                "kafka_dlt-exception-fqcn",
                "x.ListenerExecutionFailedException",
            )
            .with_header("kafka_dlt-exception-cause-fqcn", "x.ConversionException")
            .with_header("__connect.errors.topic", "orders-admin")
            .with_header(
                "__connect.errors.exception.class.name",
                "org.apache.kafka.connect.errors.DataException",
            );
        assert_eq!(
            class(&defaults(), &spring_then_connect).as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        let connect_then_spring = Record::test(0, 1)
            .with_header("__connect.errors.exception.class.name", "x.DataException")
            .with_header(
                "kafka_dlt-exception-fqcn",
                "x.ListenerExecutionFailedException",
            )
            .with_header("kafka_dlt-exception-cause-fqcn", "x.ConversionException");
        assert_eq!(
            class(&defaults(), &connect_then_spring).as_deref(),
            Some("x.ConversionException")
        );
        // Kafka Streams (KIP-1034) writes `Throwable.toString()`: the class is its start.
        let streams = |text: &str| {
            Record::test(0, 2)
                .with_header("__streams.errors.exception", text)
                .with_header("__streams.errors.topic", "orders")
        };
        for text in [
            "java.lang.IllegalStateException: cannot convert order-7",
            "java.lang.IllegalStateException: cannot convert order-8: bad field",
            "java.lang.IllegalStateException",
        ] {
            assert_eq!(
                class(&defaults(), &streams(text)).as_deref(),
                Some("java.lang.IllegalStateException"),
                "{text}"
            );
        }
        let quarkus = Record::test(0, 2)
            .with_header(
                "dead-letter-exception-class-name",
                "java.lang.RuntimeException",
            )
            .with_header("dead-letter-topic", "movies");
        assert_eq!(
            class(&defaults(), &quarkus).as_deref(),
            Some("java.lang.RuntimeException")
        );
        // The newest writer names no class (Karafka): none, not an older writer's.
        let karafka_last = Record::test(0, 5)
            .with_header("kafka_dlt-exception-fqcn", "x.Old")
            .with_header("source_topic", "orders");
        assert_eq!(class(&defaults(), &karafka_last), None);
        // Spring twice without stripping its earlier headers; no cause the second time: the
        // newest exception, not the first failure's cause.
        let twice = Record::test(0, 6)
            .with_header(
                "kafka_dlt-exception-fqcn",
                "x.ListenerExecutionFailedException",
            )
            .with_header("kafka_dlt-exception-cause-fqcn", "x.First")
            .with_header("kafka_dlt-original-topic", "orders")
            .with_header("kafka_dlt-exception-fqcn", "x.Second");
        assert_eq!(class(&defaults(), &twice).as_deref(), Some("x.Second"));
        // A header asked for by name: its newest copy.
        let twice = Record::test(0, 3)
            .with_header("reason", "old")
            .with_header("reason", "new");
        assert_eq!(
            class(&["reason".to_owned()], &twice).as_deref(),
            Some("new")
        );
        assert_eq!(class(&defaults(), &Record::test(0, 4)), None);
    }

    /// Tombstones (decisions' markers among them) are counted apart, never a class.
    #[test]
    fn tombstones_are_never_a_class() {
        let mut overview = Overview::new(defaults());
        overview.add(&Record::test(0, 0).with_header("kafka_dlt-exception-fqcn", "x.A"));
        overview.add(&Record::test(0, 1).with_value(None));
        overview.add(
            &Record::test(0, 2)
                .with_value(None)
                .with_header("kmp-decided-offset", "0"),
        );
        assert_eq!(overview.classes().len(), 1);
        assert_eq!(overview.classes()[0].count, 1);
        assert_eq!(overview.tombstones(), 2);
        assert_eq!(overview.grouped_by(), "failure class");
        assert_eq!(Overview::new(vec!["reason".into()]).grouped_by(), "reason");
    }

    #[test]
    fn counts_destinations_replays_and_duplicates() {
        let mut overview = Overview::new(vec!["e".into()]);
        let fate = |destination: &str, replays, duplicate| Fate {
            destination: Some(destination.into()),
            replays,
            duplicate,
        };
        overview.add_with(&record(0, Some(("e", "A"))), &fate("orders", 0, false));
        overview.add_with(&record(1, Some(("e", "A"))), &fate("orders", 1, true));
        overview.add_with(&record(2, Some(("e", "B"))), &fate("payments", 1, false));
        assert_eq!(
            overview.destinations().iter().collect::<Vec<_>>(),
            [(&"orders".to_owned(), &2), (&"payments".to_owned(), &1)]
        );
        assert_eq!(
            overview.replays().iter().collect::<Vec<_>>(),
            [(&0, &1), (&1, &2)]
        );
        let classes = overview.classes();
        assert_eq!((classes[0].count, classes[0].duplicates), (2, 1));
    }
}
