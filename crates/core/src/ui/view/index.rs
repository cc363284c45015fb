//! The view's index, read in the background: one small [`Row`] per record (coordinates, age,
//! the key cut to one line, failure class, replay count), sent to the view in batches while the
//! first screen is already drawn. Values are not kept: the view fetches what it shows.

use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::record::Record;
use crate::redrive::origin::origin_of;
use crate::redrive::readers::{FailedGroup, failed_group};
use crate::redrive::replay_count;
use crate::triage::RecordSource;
use crate::ui::said::printable_key;

use super::pass::{self, Report};
use super::short::ShortText;
use super::state::Row;

/// The class of records without any of the class headers.
pub const NO_CLASS: &str = "(no class header)";

/// What the index thread sends: rows read since the last batch, and the classes they
/// introduced (numbered after the ones sent before).
#[derive(Debug, Default)]
pub struct Batch {
    pub rows: Vec<Row>,
    pub classes: Vec<String>,
    /// The origins the rows introduced (numbered after the ones sent before).
    pub origins: Vec<Origin>,
    /// Records read so far, shown or not.
    pub read: u64,
    /// The whole range was read (or `error` ended it).
    pub done: bool,
    pub error: Option<String>,
}

/// Which records the view lists: the run's filters, `-T`, `--pending`.
pub type Admit = Box<dyn FnMut(&Record) -> bool + Send>;

impl Report for Batch {
    fn set_read(&mut self, read: u64) {
        self.read = read;
    }

    fn finish(&mut self, error: Option<String>) {
        self.done = true;
        self.error = error;
    }
}

/// Reads `source` to its end on a thread of its own; a dropped receiver stops it.
pub fn spawn(
    source: impl RecordSource + Send + 'static,
    mut admit: Admit,
    class_headers: Vec<String>,
    with_origins: bool,
) -> Receiver<Batch> {
    let mut classes = Classes::new(class_headers);
    // Only `--to-origin` asks who reads where records go back.
    let mut origins = with_origins.then(Origins::default);
    pass::spawn(
        "view-index",
        source,
        Duration::from_millis(50),
        move |record, batch: &mut Batch| {
            if admit(record) {
                let mut row = classes.row(record, &mut batch.classes);
                if let Some(origins) = &mut origins {
                    row.origin_index = origins.index(record, &mut batch.origins);
                }
                batch.rows.push(row);
            }
            batch.rows.len() >= 4096
        },
    )
}

/// Where a record came from, as its DLQ headers say: the topic a merge `--to-origin` sends it
/// back to, and the group that failed on it when they name one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub topic: String,
    pub failed: Option<FailedGroup>,
}

/// Origins, numbered as they are met.
#[derive(Default)]
struct Origins {
    known: HashMap<Origin, u32>,
}

impl Origins {
    /// The number of `record`'s origin ([`Row::NO_ORIGIN`] for none); one met for the first
    /// time is added to `new`.
    fn index(&mut self, record: &Record, new: &mut Vec<Origin>) -> u32 {
        let Ok(Some(origin)) = origin_of(&record.headers) else {
            return Row::NO_ORIGIN;
        };
        let origin = Origin {
            topic: origin.topic,
            failed: failed_group(record),
        };
        if let Some(&index) = self.known.get(&origin) {
            return index;
        }
        let index = u32::try_from(self.known.len()).unwrap_or(Row::NO_ORIGIN);
        self.known.insert(origin.clone(), index);
        new.push(origin);
        index
    }
}

/// Failure classes by header value, numbered as they are met.
struct Classes {
    headers: Vec<String>,
    /// By the header's value (a null value as empty).
    known: HashMap<Vec<u8>, usize>,
    /// Records without any of the headers.
    unclassed: Option<usize>,
}

impl Classes {
    fn new(headers: Vec<String>) -> Self {
        Self {
            headers,
            known: HashMap::new(),
            unclassed: None,
        }
    }

    /// The class of `record`; one met for the first time is numbered and added to `new`
    /// (only then is its value copied).
    fn class(&mut self, record: &Record, new: &mut Vec<String>) -> usize {
        let value = crate::triage::failure_class(&self.headers, record);
        let next = self.known.len() + usize::from(self.unclassed.is_some());
        let known = match value {
            Some(value) => self.known.get(value).copied(),
            None => self.unclassed,
        };
        if let Some(class) = known {
            return class;
        }
        match value {
            Some(value) => {
                self.known.insert(value.to_vec(), next);
                new.push(String::from_utf8_lossy(value).into_owned());
            }
            None => {
                self.unclassed = Some(next);
                new.push(NO_CLASS.to_owned());
            }
        }
        next
    }

    /// The row of `record`; a class met for the first time is added to `new`.
    fn row(&mut self, record: &Record, new: &mut Vec<String>) -> Row {
        let class = self.class(record, new);
        Row {
            partition: record.at.partition,
            offset: record.at.offset,
            timestamp_ms: record.timestamp.map(|t| t.millis),
            key: key_line(record.key.as_deref()),
            class_index: u32::try_from(class).unwrap_or(u32::MAX),
            replays: replay_count(record)
                .ok()
                .filter(|&count| count > 0)
                .map(|count| u32::try_from(count).unwrap_or(u32::MAX)),
            origin_index: Row::NO_ORIGIN,
        }
    }
}

/// The key as one line, cut to what a row holds ([`ShortText`]); only the bytes that can
/// show are looked at.
fn key_line(key: Option<&[u8]>) -> ShortText {
    let Some(key) = key else {
        return ShortText::new("<null>");
    };
    ShortText::new(&printable_key(
        &key[..key.len().min(ShortText::CAPACITY + 1)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Listed(std::vec::IntoIter<Record>);

    impl RecordSource for Listed {
        fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
            Ok(self.0.next())
        }
    }

    #[test]
    fn rows_classes_and_what_is_left_out() {
        let records = vec![
            Record::test(0, 0)
                .with_key(Some(b"a"))
                .with_header("kafka_dlt-exception-fqcn", "x.A"),
            Record::test(0, 1)
                .with_key(Some(&[0xff, 0x00]))
                .with_value(None),
            Record::test(1, 0)
                .with_key(Some("k".repeat(60).as_bytes()))
                .with_header("kmp-replay-count", "2")
                .with_header("kafka_dlt-exception-fqcn", "x.A"),
            Record::test(1, 1).with_header("__connect.errors.exception.class.name", "x.B"),
        ];
        let batches = spawn(
            Listed(records.into_iter()),
            Box::new(|record: &Record| !record.is_tombstone()),
            crate::triage::DEFAULT_CLASS_HEADERS
                .iter()
                .map(|&h| h.to_owned())
                .collect(),
            true,
        );
        let mut rows = Vec::new();
        let mut classes = Vec::new();
        let mut done = false;
        for batch in batches {
            rows.extend(batch.rows);
            classes.extend(batch.classes);
            if batch.done {
                assert_eq!(batch.read, 4);
                assert!(batch.error.is_none());
                done = true;
            }
        }
        assert!(done);
        assert_eq!(classes, ["x.A", "x.B"]);
        assert_eq!(
            rows.iter()
                .map(|r| (r.partition, r.offset, r.class(), r.replays))
                .collect::<Vec<_>>(),
            [(0, 0, 0, None), (1, 0, 0, Some(2)), (1, 1, 1, None)],
            "the tombstone is left out"
        );
        assert_eq!(&*rows[0].key, "a");
        assert!(rows[1].key.len() <= ShortText::CAPACITY);
        assert!(rows[1].key.ends_with('…'));
    }

    #[test]
    fn classes_are_numbered_as_met_and_records_without_a_header_share_one() {
        let mut classes = Classes::new(vec!["kafka_dlt-exception-fqcn".to_owned()]);
        let mut new = Vec::new();
        let a = || Record::test(0, 0).with_header("kafka_dlt-exception-fqcn", "x.A");
        let none = || Record::test(0, 1);
        let met: Vec<usize> = [a(), none(), a(), none()]
            .iter()
            .map(|record| classes.class(record, &mut new))
            .collect();
        assert_eq!(met, [0, 1, 0, 1]);
        assert_eq!(new, ["x.A", NO_CLASS]);
    }
}
