//! The DLQ at a glance: records grouped by failure cause (the value of an exception-class
//! header), with count, first and last position, and one sample each.

use std::collections::{BTreeMap, HashMap};

use crate::record::{Coordinates, Record};

/// Headers that common DLQ writers put the exception class in.
pub const DEFAULT_CLASS_HEADERS: &[&str] = &[
    "kafka_dlt-exception-fqcn",
    "__connect.errors.exception.class.name",
    "__streams.errors.exception",
];

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

/// Records grouped by the value of one of `headers` (the first present wins).
#[derive(Debug, Clone)]
pub struct Overview {
    headers: Vec<String>,
    index: HashMap<Option<Vec<u8>>, usize>,
    classes: Vec<Class>,
    destinations: BTreeMap<String, u64>,
    replays: BTreeMap<u64, u64>,
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
        }
    }

    /// The header names looked at, in order.
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The value `record` is grouped by.
    #[must_use]
    pub fn class_of(&self, record: &Record) -> Option<Vec<u8>> {
        self.headers.iter().find_map(|name| {
            record
                .headers
                .iter()
                .find(|h| &h.name == name)
                .map(|h| h.value.clone().unwrap_or_default())
        })
    }

    pub fn add(&mut self, record: &Record) {
        self.add_with(record, &Fate::default());
    }

    /// Counts `record` in its class, and what the redrive options make of it.
    pub fn add_with(&mut self, record: &Record, fate: &Fate) {
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
    fn groups_by_the_first_known_header() {
        let mut overview = Overview::new(
            DEFAULT_CLASS_HEADERS
                .iter()
                .map(|&h| h.to_owned())
                .collect(),
        );
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
