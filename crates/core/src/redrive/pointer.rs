//! A share group's dead-letter queue (KIP-1191) holds, by default, only a *pointer* to each
//! record it dead-lettered: a null key and value, with `__dlq.errors.topic`, `.partition` and
//! `.offset` naming the record. The tool shows and redrives the record pointed to, read from
//! its topic ([`dereferenced`]), in the pointer's place; several pointers to one record merge
//! it once ([`PointedTo`]).

use std::collections::{HashMap, VecDeque};

use crate::record::{Coordinates, Record};
use crate::triage::{Action, Observer};

use super::dedupe::DEFAULT_CAPACITY;
use super::origin::{Framework, origin_of};

/// Where `record` points, when it is a share group's pointer as it is in the DLQ (see
/// [`Record::is_share_pointer`]) with usable headers naming a partition and an offset.
#[must_use]
pub fn share_pointer(record: &Record) -> Option<Coordinates> {
    if !record.is_share_pointer() {
        return None;
    }
    share_origin(record)
}

/// The record a share group dead-lettered, as the newest of `record`'s DLQ families names
/// it when that is the share group's (a pointer, or a copy with
/// `errors.deadletterqueue.copy.record.enable`).
#[must_use]
pub fn share_origin(record: &Record) -> Option<Coordinates> {
    let origin = origin_of(&record.headers).ok()??;
    match (origin.framework, origin.partition, origin.offset) {
        (Framework::ShareGroup, Some(partition), Some(offset)) if offset >= 0 => {
            Some(Coordinates {
                topic: origin.topic,
                partition,
                offset,
            })
        }
        _ => None,
    }
}

/// The record `pointer` points to, in the pointer's place in the DLQ: `source`'s key, value,
/// timestamp and headers, then the pointer's own headers (the share group's and its reason:
/// they route and class it, and `--strip-dlq-headers` leaves them out of a copy).
#[must_use]
pub fn dereferenced(pointer: Record, source: Record) -> Record {
    let mut headers = source.headers;
    headers.extend(pointer.headers);
    Record {
        at: pointer.at,
        timestamp: source.timestamp,
        key: source.key,
        value: source.value,
        headers,
        read_from: Some(source.at),
    }
}

/// The records pointed to that a run merged: a later pointer to one of them is purged as a
/// duplicate (only its marker is written). A merge counts once its batch is committed; until
/// then only pointers of the same batch are its duplicates (they commit or abort with it).
/// Memory is bounded like `--dedupe`'s: past the capacity the oldest are forgotten.
#[derive(Debug, Default)]
pub struct PointedTo {
    /// Merged in the open batch: the record pointed to, and the pointer that merged it.
    open: HashMap<Coordinates, Coordinates>,
    /// The same, by pointer.
    open_pointers: HashMap<Coordinates, Coordinates>,
    committed: HashMap<Coordinates, Coordinates>,
    order: VecDeque<Coordinates>,
}

impl PointedTo {
    /// The pointer that merged the record `record` was read from, when one did.
    #[must_use]
    pub fn merged_by(&self, record: &Record) -> Option<Coordinates> {
        let source = record.read_from.as_ref()?;
        self.open
            .get(source)
            .or_else(|| self.committed.get(source))
            .filter(|pointer| **pointer != record.at)
            .cloned()
    }

    /// `record` (read through a pointer) was merged in the open batch.
    pub fn merged(&mut self, record: &Record) {
        if let Some(source) = &record.read_from
            && !self.open.contains_key(source)
        {
            self.open.insert(source.clone(), record.at.clone());
            self.open_pointers.insert(record.at.clone(), source.clone());
        }
    }

    /// The decision on the pointer at `at` is committed.
    pub fn committed(&mut self, at: &Coordinates) {
        // Called for every decision committed: most runs merge no pointer.
        if self.open_pointers.is_empty() {
            return;
        }
        let Some(source) = self.open_pointers.remove(at) else {
            return;
        };
        self.open.remove(&source);
        if self.committed.insert(source.clone(), at.clone()).is_none() {
            self.order.push_back(source);
            if self.order.len() > DEFAULT_CAPACITY
                && let Some(oldest) = self.order.pop_front()
            {
                self.committed.remove(&oldest);
            }
        }
    }

    /// The open batch was given up (its records are read again): its merges never happened.
    pub fn forget_open(&mut self) {
        self.open.clear();
        self.open_pointers.clear();
    }

    /// What `merged` says was merged and committed: (record pointed to, pointer).
    #[must_use]
    pub fn from_merged<'m>(
        merged: impl IntoIterator<Item = (&'m Coordinates, &'m Coordinates)>,
    ) -> Self {
        let mut pointed = Self::default();
        for (source, pointer) in merged {
            if pointed
                .committed
                .insert(source.clone(), pointer.clone())
                .is_none()
            {
                pointed.order.push_back(source.clone());
            }
        }
        pointed
    }

    /// Only what was committed, for a later run in the same process (the view's next write).
    #[must_use]
    pub fn committed_only(&self) -> Self {
        Self {
            committed: self.committed.clone(),
            order: self.order.clone(),
            ..Self::default()
        }
    }
}

/// Kept up to date as a run goes (the view keeps one across its writes): merges are open
/// until the batch is committed, and forgotten when it is aborted.
impl Observer for PointedTo {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if matches!(action, Action::Merge { .. }) {
            self.merged(record);
        }
        Ok(())
    }

    fn on_commit(&mut self, _total: &crate::triage::Summary) -> anyhow::Result<()> {
        let pointers: Vec<Coordinates> = self.open_pointers.keys().cloned().collect();
        for pointer in pointers {
            self.committed(&pointer);
        }
        Ok(())
    }

    fn on_abort(&mut self) {
        self.forget_open();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{SHARE_DLQ_OFFSET, SHARE_DLQ_PARTITION, SHARE_DLQ_TOPIC};

    fn pointer(offset: i64, to: &str) -> Record {
        Record::test(0, offset)
            .with_key(None)
            .with_value(None)
            .with_header(SHARE_DLQ_TOPIC, "orders")
            .with_header(SHARE_DLQ_PARTITION, "2")
            .with_header(SHARE_DLQ_OFFSET, to)
            .with_header("__dlq.errors.group", "billing")
            .with_header("__dlq.errors.delivery.count", "5")
            .with_header("__dlq.errors.message", "Offset rejected by client.")
    }

    fn source(offset: i64) -> Record {
        let mut record = Record::test(2, offset)
            .with_key(Some(b"order-41"))
            .with_value(Some(b"{}"))
            .created_at(1_000)
            .with_header("traceparent", "00-abc");
        record.at.topic = "orders".into();
        record
    }

    #[test]
    fn a_pointer_names_its_record_and_nothing_else_is_one() {
        let at = share_pointer(&pointer(7, "41")).unwrap();
        assert_eq!(
            (at.topic.as_str(), at.partition, at.offset),
            ("orders", 2, 41)
        );
        // A copy (copy.record.enable): its own record, not a pointer.
        assert_eq!(
            share_pointer(&pointer(7, "41").with_value(Some(b"v"))),
            None
        );
        assert_eq!(share_pointer(&pointer(7, "41").with_key(Some(b"k"))), None);
        // A decision's marker is not one, nor a tombstone of another family.
        assert_eq!(
            share_pointer(&pointer(7, "41").with_header("kmp-decided-offset", "6")),
            None
        );
        let spring = Record::test(0, 1)
            .with_key(None)
            .with_value(None)
            .with_header("kafka_dlt-original-topic", "orders");
        assert!(!spring.is_share_pointer());
        assert_eq!(share_pointer(&spring), None);
        // Without a usable offset it points nowhere.
        assert_eq!(share_pointer(&pointer(7, "x")), None);
        assert_eq!(share_pointer(&pointer(7, "-1")), None);
        // Read as its record, it is a pointer no more.
        assert!(!dereferenced(pointer(7, "41"), source(41)).is_share_pointer());
    }

    #[test]
    fn the_record_pointed_to_takes_the_pointers_place() {
        let record = dereferenced(pointer(7, "41"), source(41));
        assert_eq!((record.at.partition, record.at.offset), (0, 7));
        assert_eq!(record.key.as_deref(), Some(&b"order-41"[..]));
        // The DLQ's entry has no key: its marker has none either.
        assert_eq!(record.own_key(), None);
        assert_eq!(record.value.as_deref(), Some(&b"{}"[..]));
        assert_eq!(record.timestamp.map(|t| t.millis), Some(1_000));
        assert_eq!(record.read_from.as_ref().map(|at| at.offset), Some(41));
        let names: Vec<&str> = record.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names[..2], ["traceparent", SHARE_DLQ_TOPIC]);
        assert_eq!(origin_of(&record.headers).unwrap().unwrap().topic, "orders");
    }

    #[test]
    fn a_record_pointed_to_twice_is_merged_once_and_only_once_committed_across_batches() {
        let first = dereferenced(pointer(7, "41"), source(41));
        let second = dereferenced(pointer(9, "41"), source(41));
        let other = dereferenced(pointer(8, "42"), source(42));
        let mut pointed = PointedTo::default();
        assert_eq!(pointed.merged_by(&first), None);
        pointed.merged(&first);
        // The same batch: the second is a duplicate of the first (they commit together).
        assert_eq!(pointed.merged_by(&second).map(|at| at.offset), Some(7));
        assert_eq!(pointed.merged_by(&other), None);
        // Read again after an abort: the first is no duplicate of itself, and the merge
        // that was given up counts for nothing.
        assert_eq!(pointed.merged_by(&first), None);
        pointed.forget_open();
        assert_eq!(pointed.merged_by(&second), None);
        // Merged again and committed: from then on, for good.
        pointed.merged(&first);
        pointed.committed(&first.at);
        pointed.forget_open();
        assert_eq!(pointed.merged_by(&second).map(|at| at.offset), Some(7));
        // A record that is no pointer is never a duplicate here.
        assert_eq!(pointed.merged_by(&source(41)), None);
    }
}
