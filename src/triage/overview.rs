//! The DLQ at a glance: records grouped by failure cause (the value of an exception-class
//! header), with count, first and last position, and one sample each.

use std::collections::HashMap;

use crate::record::{Coordinates, Record};

/// Headers that common DLQ writers put the exception class in.
pub const DEFAULT_CLASS_HEADERS: &[&str] = &[
    "kafka_dlt-exception-fqcn",
    "__connect.errors.exception.class.name",
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
}

/// Records grouped by the value of one of `headers` (the first present wins).
#[derive(Debug, Clone)]
pub struct Overview {
    headers: Vec<String>,
    index: HashMap<Option<Vec<u8>>, usize>,
    classes: Vec<Class>,
}

impl Overview {
    #[must_use]
    pub fn new(headers: Vec<String>) -> Self {
        Self {
            headers,
            index: HashMap::new(),
            classes: Vec::new(),
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
        let value = self.class_of(record);
        match self.index.get(&value) {
            Some(&i) => {
                let class = &mut self.classes[i];
                class.count += 1;
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
                });
            }
        }
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
    }
}
