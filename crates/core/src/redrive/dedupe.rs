//! `--dedupe`: a record identical to one this run already merged or purged (same partition,
//! key, value and headers, DLQ metadata aside) is purged as a duplicate instead of being merged
//! again. Only tombstoned records are remembered: the duplicate's tombstone would also remove
//! an earlier record with its key, so one that was skipped or left alone must never be the
//! reason. Memory is bounded: past [`Dedupe::capacity`] the oldest digests are forgotten (a
//! duplicate of a forgotten record is then asked about or merged like any other record).

use std::collections::{HashMap, VecDeque};

use crate::record::{Coordinates, Record};

use super::digest::{Digest128, content_digest};

/// Digests remembered at most by default: 2,000,000 (about 100 MiB, see BENCHMARKS.md).
pub const DEFAULT_CAPACITY: usize = 2_000_000;

/// The digests of the records tombstoned so far, with where each was.
#[derive(Debug)]
pub struct Dedupe {
    seen: HashMap<Digest128, i64>,
    order: VecDeque<Digest128>,
    capacity: usize,
}

impl Dedupe {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The offset of the earlier tombstoned record `record` duplicates, if any. Records with a
    /// null key are never duplicates: they cannot be tombstoned. A record remembered at its own
    /// offset or later is no duplicate: its partition is read again (after an aborted batch),
    /// and the decision remembered was never committed.
    #[must_use]
    pub fn duplicate_of(&self, record: &Record) -> Option<Coordinates> {
        record.key.as_ref()?;
        self.seen
            .get(&content_digest(record))
            .filter(|&&offset| offset < record.at.offset)
            .map(|&offset| Coordinates {
                offset,
                ..record.at.clone()
            })
    }

    /// Remembers `record`, which was merged or purged (tombstoned).
    pub fn remember(&mut self, record: &Record) {
        if record.key.is_none() {
            return;
        }
        let digest = content_digest(record);
        if self.seen.insert(digest, record.at.offset).is_none() {
            self.order.push_back(digest);
            if self.order.len() > self.capacity
                && let Some(oldest) = self.order.pop_front()
            {
                self.seen.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_of_remembered_records_only() {
        let mut dedupe = Dedupe::new(2);
        let first = Record::test(0, 0);
        let copy = Record::test(0, 1);
        assert_eq!(dedupe.duplicate_of(&copy), None, "nothing remembered yet");
        dedupe.remember(&first);
        assert_eq!(dedupe.duplicate_of(&copy).map(|at| at.offset), Some(0));
        assert_eq!(
            dedupe.duplicate_of(&Record::test(1, 2)),
            None,
            "another partition"
        );
        let keyless = Record::test(0, 3).with_key(None);
        dedupe.remember(&keyless);
        assert_eq!(
            dedupe.duplicate_of(&Record::test(0, 4).with_key(None)),
            None
        );
        // Past the capacity the oldest is forgotten.
        dedupe.remember(&Record::test(0, 5).with_value(Some(b"w")));
        dedupe.remember(&Record::test(0, 6).with_value(Some(b"x")));
        assert_eq!(dedupe.duplicate_of(&copy), None);
        assert!(
            dedupe
                .duplicate_of(&Record::test(0, 7).with_value(Some(b"x")))
                .is_some()
        );
    }
}
