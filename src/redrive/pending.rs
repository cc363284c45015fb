//! `--pending`: which records are still waiting for a decision. A record is decided (merged or
//! purged by someone) when a tombstone with its key follows it in its partition; a record with
//! a null key can never be tombstoned and is always pending.

use std::collections::HashMap;

use crate::record::Record;

use super::digest::{Digest128, key_digest};

/// The offset of the last tombstone of every key, per partition, found in one pass over keys.
#[derive(Debug, Default)]
pub struct TombstoneIndex {
    last: HashMap<(i32, Digest128), i64>,
    /// Records read to build the index.
    pub scanned: u64,
}

impl TombstoneIndex {
    /// Notes `record`; only tombstones with a key are remembered.
    pub fn add(&mut self, record: &Record) {
        self.scanned += 1;
        if let (true, Some(key)) = (record.is_tombstone(), &record.key) {
            let entry = self
                .last
                .entry((record.at.partition, key_digest(key)))
                .or_insert(record.at.offset);
            *entry = (*entry).max(record.at.offset);
        }
    }

    /// Whether no later tombstone of the same partition has `record`'s key. A tombstone is
    /// never pending: it is what a decision left behind.
    #[must_use]
    pub fn is_pending(&self, record: &Record) -> bool {
        if record.is_tombstone() {
            return false;
        }
        let Some(key) = &record.key else {
            return true;
        };
        self.last
            .get(&(record.at.partition, key_digest(key)))
            .is_none_or(|&tombstone| tombstone < record.at.offset)
    }

    /// How many distinct (partition, key) tombstones are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.last.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(partition: i32, offset: i64, key: Option<&str>, value: Option<&str>) -> Record {
        Record::test(partition, offset)
            .with_key(key.map(str::as_bytes))
            .with_value(value.map(str::as_bytes))
    }

    #[test]
    fn only_a_later_tombstone_of_the_same_key_and_partition_decides() {
        let mut index = TombstoneIndex::default();
        let records = [
            at(0, 0, Some("a"), Some("1")),
            at(0, 1, Some("b"), Some("2")),
            at(0, 2, Some("a"), None),
            at(0, 3, Some("a"), Some("again")),
            at(1, 0, Some("b"), Some("other partition")),
            at(0, 4, Some("b"), None),
            at(0, 5, None, Some("null key")),
        ];
        for record in &records {
            index.add(record);
        }
        let pending: Vec<bool> = records.iter().map(|r| index.is_pending(r)).collect();
        assert_eq!(pending, [false, false, false, true, true, false, true]);
        assert_eq!((index.len(), index.scanned), (2, 7));
    }
}
