//! What the DLQ says has been decided (DESIGN §9). A record is decided (merged or purged by
//! someone) when a later record of its partition says so:
//!
//! - a tombstone with its key, written by this tool or any other (compaction removes the record
//!   then anyway);
//! - a marker of ours naming its offset (header [`DECIDED_OFFSET`]): the tombstone this tool
//!   writes for every decision carries one, and a record with a null key gets a keyless marker
//!   where the DLQ is not compacted.
//!
//! Decisions this run committed are noted too, so that reading a partition again (after an
//! aborted batch, or when it comes back from another instance) never writes them again.

use std::collections::{BTreeMap, HashMap};

use crate::record::{Coordinates, DECIDED_SOURCE, Record, last_header};

use super::digest::{Digest128, key_digest};

pub use crate::record::{DECIDED_BY, DECIDED_OFFSET};

/// A set of offsets kept as disjoint half-open ranges: decided offsets come in runs, so a
/// million decisions of one batch-after-batch run cost one entry.
#[derive(Debug, Default, Clone)]
pub struct OffsetSet {
    /// start -> end (exclusive); no two ranges touch.
    ranges: BTreeMap<i64, i64>,
}

impl OffsetSet {
    pub fn insert(&mut self, offset: i64) {
        if self.contains(offset) {
            return;
        }
        let mut start = offset;
        let mut end = offset + 1;
        // Joins the range ending at `offset`, and the one starting right after it.
        if let Some((&before, &before_end)) = self.ranges.range(..offset).next_back()
            && before_end == offset
        {
            start = before;
            self.ranges.remove(&before);
        }
        if let Some(after_end) = self.ranges.remove(&end) {
            end = after_end;
        }
        self.ranges.insert(start, end);
    }

    #[must_use]
    pub fn contains(&self, offset: i64) -> bool {
        self.ranges
            .range(..=offset)
            .next_back()
            .is_some_and(|(_, &end)| offset < end)
    }

    /// How many disjoint ranges are kept.
    #[must_use]
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }
}

/// The decisions found in the DLQ (and committed by this run), per partition.
#[derive(Debug, Default)]
pub struct TombstoneIndex {
    /// The offset of the last tombstone of every key, per partition.
    last: HashMap<(i32, Digest128), i64>,
    /// Offsets named by markers, and decided by this run.
    marked: HashMap<i32, OffsetSet>,
    /// Per partition, the offsets `[from, to)` read into the index: reading the partition again
    /// from `from` or later needs only what came after `to` (a marker always follows the
    /// record it names).
    covered: HashMap<i32, (i64, i64)>,
    /// The records share-group pointers named that were merged (markers with
    /// [`DECIDED_SOURCE`]), with the pointer that merged each.
    sources: HashMap<Coordinates, Coordinates>,
    /// Records read to build the index.
    pub scanned: u64,
}

impl TombstoneIndex {
    /// Notes `record`, read from the DLQ: our markers decide the offset they name, and only
    /// that one (a record of the same key left alone before it stays pending); another
    /// tombstone with a key decides every earlier record of its key.
    pub fn add(&mut self, record: &Record) {
        self.scanned += 1;
        if !record.is_tombstone() {
            return;
        }
        if let Some(marked) = record.marked_offset() {
            if marked < record.at.offset {
                self.marked
                    .entry(record.at.partition)
                    .or_default()
                    .insert(marked);
                self.add_merged_source(record);
            }
            return;
        }
        if let Some(key) = &record.key {
            let entry = self
                .last
                .entry((record.at.partition, key_digest(key)))
                .or_insert(record.at.offset);
            *entry = (*entry).max(record.at.offset);
        }
    }

    /// `[from, to)` of `partition` was read into the index (joined with what was read before
    /// when the two meet).
    pub fn cover(&mut self, partition: i32, from: i64, to: i64) {
        let range = match self.covered.get(&partition) {
            Some(&(old_from, old_to)) if from <= old_to && old_from <= to => {
                (old_from.min(from), old_to.max(to))
            }
            _ => (from, to),
        };
        self.covered.insert(partition, range);
    }

    /// Where reading `partition` into the index must start so that it is complete for records
    /// from `from` on: after what was read already when that covers `from`, else `from`.
    #[must_use]
    pub fn resume_at(&self, partition: i32, from: i64) -> i64 {
        match self.covered.get(&partition) {
            Some(&(covered_from, covered_to)) if covered_from <= from => covered_to.max(from),
            _ => from,
        }
    }

    /// The record at `at` was decided, and the decision committed, by this run.
    pub fn decided(&mut self, at: &Coordinates) {
        self.marked
            .entry(at.partition)
            .or_default()
            .insert(at.offset);
    }

    /// Whether nothing in the DLQ says `record` was decided. One of our markers is never
    /// pending (it is what a decision left behind); another tombstone is, unless a later one
    /// has its key (`-T` merges it).
    #[must_use]
    pub fn is_pending(&self, record: &Record) -> bool {
        record.marked_offset().is_none()
            && self.is_pending_at(record.at.partition, record.at.offset, record.own_key())
    }

    /// [`TombstoneIndex::is_pending`] of the record with `key` at `offset` of `partition`,
    /// which is no marker.
    #[must_use]
    pub fn is_pending_at(&self, partition: i32, offset: i64, key: Option<&[u8]>) -> bool {
        if self
            .marked
            .get(&partition)
            .is_some_and(|set| set.contains(offset))
        {
            return false;
        }
        // No tombstone of another tool read: no key to digest (the common case, per record).
        let Some(key) = key.filter(|_| !self.last.is_empty()) else {
            return true;
        };
        self.last
            .get(&(partition, key_digest(key)))
            .is_none_or(|&tombstone| tombstone <= offset)
    }

    /// Notes what a marker says a pointer merged, and only that (alone, for markers read
    /// from below where the index's own pass began).
    pub fn add_merged_source(&mut self, record: &Record) {
        let Some(marked) = record.marked_offset() else {
            return;
        };
        let source = last_header(&record.headers, DECIDED_SOURCE)
            .and_then(|header| std::str::from_utf8(header.value.as_deref()?).ok())
            .and_then(Coordinates::from_header);
        if let Some(source) = source {
            let pointer = Coordinates {
                offset: marked,
                ..record.at.clone()
            };
            self.sources.entry(source).or_insert(pointer);
        }
    }

    /// The pointer that merged the record at `source`, when the DLQ says one did.
    #[must_use]
    pub fn merged_source(&self, source: &Coordinates) -> Option<&Coordinates> {
        self.sources.get(source)
    }

    /// Every record pointers named that the DLQ says was merged, with the pointer that did.
    pub fn merged_sources(&self) -> impl Iterator<Item = (&Coordinates, &Coordinates)> {
        self.sources.iter()
    }

    /// How many distinct (partition, key) tombstones are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.last.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.last.is_empty() && self.marked.is_empty() && self.sources.is_empty()
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
        // The tombstone at 2 is the last of its key: pending (for -T); the one at 4 too.
        assert_eq!(pending, [false, false, true, true, true, true, true]);
        assert_eq!((index.len(), index.scanned), (2, 7));
    }

    #[test]
    fn a_keyed_marker_decides_its_offset_not_the_records_of_its_key_left_alone() {
        let mut index = TombstoneIndex::default();
        let merged = at(0, 0, Some("order-7"), Some("v"));
        let left_alone = at(0, 1, Some("order-7"), Some("bounced"));
        let marker = at(0, 2, Some("order-7"), None).with_header(DECIDED_OFFSET, "0");
        for record in [&merged, &left_alone, &marker] {
            index.add(record);
        }
        assert!(!index.is_pending(&merged));
        assert!(index.is_pending(&left_alone));
        // A plain tombstone of the key (another tool's) decides both.
        index.add(&at(0, 3, Some("order-7"), None));
        assert!(!index.is_pending(&left_alone));
    }

    #[test]
    fn a_marker_decides_the_offset_it_names_and_is_never_pending() {
        let mut index = TombstoneIndex::default();
        let null_key = at(0, 3, None, Some("v"));
        let other_null_key = at(0, 4, None, Some("w"));
        let marker = at(0, 9, None, None).with_header(DECIDED_OFFSET, "3");
        // A marker naming a later offset is not believed (it cannot be one of ours).
        let forged = at(0, 10, None, None).with_header(DECIDED_OFFSET, "11");
        for record in [&null_key, &other_null_key, &marker, &forged] {
            index.add(record);
        }
        assert!(!index.is_pending(&null_key));
        assert!(index.is_pending(&other_null_key));
        assert!(!index.is_pending(&marker));
        assert!(index.is_pending(&at(0, 11, None, Some("x"))));
        // A value with the header is a record like any other.
        let not_a_marker = at(0, 12, None, Some("x")).with_header(DECIDED_OFFSET, "4");
        index.add(&not_a_marker);
        assert!(index.is_pending(&other_null_key));
    }

    #[test]
    fn decisions_of_the_run_are_kept_as_ranges() {
        let mut index = TombstoneIndex::default();
        for offset in (0..1_000).chain(2_000..2_500) {
            index.decided(&Coordinates {
                topic: "dlq".into(),
                partition: 2,
                offset,
            });
        }
        index.decided(&Coordinates {
            topic: "dlq".into(),
            partition: 2,
            offset: 1_000,
        });
        assert_eq!(index.marked[&2].ranges(), 2);
        assert!(!index.is_pending(&at(2, 1_000, Some("k"), Some("v"))));
        assert!(index.is_pending(&at(2, 1_001, Some("k"), Some("v"))));
        assert!(!index.is_pending(&at(2, 2_499, None, Some("v"))));
        assert!(index.is_pending(&at(1, 5, None, Some("v"))));
    }

    #[test]
    fn reading_again_starts_after_what_was_read() {
        let mut index = TombstoneIndex::default();
        assert_eq!(index.resume_at(0, 5), 5);
        index.cover(0, 5, 100);
        assert_eq!(index.resume_at(0, 5), 100);
        assert_eq!(index.resume_at(0, 40), 100);
        // From before what was read: all of it again.
        assert_eq!(index.resume_at(0, 2), 2);
        assert_eq!(index.resume_at(0, 200), 200);
        index.cover(0, 100, 130);
        assert_eq!(index.resume_at(0, 7), 130);
        // A range that does not meet the one read replaces it.
        index.cover(0, 200, 210);
        assert_eq!(index.resume_at(0, 7), 7);
        assert_eq!(index.resume_at(1, 0), 0);
    }

    #[test]
    fn the_offset_set_joins_neighbours_from_either_side() {
        let mut set = OffsetSet::default();
        for offset in [5, 3, 4, 7, 6, 1] {
            set.insert(offset);
        }
        assert_eq!(set.ranges(), 2);
        assert!((3..=7).all(|o| set.contains(o)) && set.contains(1));
        assert!(!set.contains(2) && !set.contains(0) && !set.contains(8));
    }

    /// A marker of a merged pointer names the record it sent back; read from below where the
    /// index's own pass began, only that is noted (the offset it decides is not read again).
    #[test]
    fn markers_of_merged_pointers_name_the_records_they_sent_back() {
        let source = Coordinates {
            topic: "orders".into(),
            partition: 2,
            offset: 41,
        };
        let marker = Record::test(1, 9)
            .with_key(None)
            .with_value(None)
            .with_header(DECIDED_OFFSET, "4")
            .with_header(DECIDED_SOURCE, &source.to_header());
        let mut below = TombstoneIndex::default();
        below.add_merged_source(&marker);
        below.add_merged_source(&Record::test(1, 10).with_value(None));
        assert_eq!(
            below
                .merged_source(&source)
                .map(|at| (at.partition, at.offset)),
            Some((1, 4))
        );
        assert!(below.is_pending_at(1, 4, None), "only the source is noted");
        let mut read = TombstoneIndex::default();
        read.add(&marker);
        assert!(read.merged_source(&source).is_some());
        assert!(!read.is_pending_at(1, 4, None));
    }
}
