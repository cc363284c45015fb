//! Consumer offsets to commit: per partition, the last processed offset + 1.

use std::collections::BTreeMap;

/// Next offset to read, per partition of the source topic; and the partitions read to their
/// end whose offset is held back at a record left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offsets {
    next: BTreeMap<i32, i64>,
    held: BTreeMap<i32, Held>,
    /// What is committed with a partition's offset (the source's record of its job).
    metadata: BTreeMap<i32, String>,
}

/// A partition read to `end` whose committed offset stays at `at`: the first record left
/// alone in it. Only a consumer group shared by several instances records it (so that they
/// know the partition is done); alone, the offset is simply not moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub at: i64,
    pub end: i64,
}

/// `partition 0 → 5, partition 2 → 9 (held at 4, read to 9)`: what a message names.
impl std::fmt::Display for Offsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .iter()
            .map(|(partition, next)| format!("partition {partition} → {next}"))
            .chain(self.held_back().map(|(partition, held)| {
                format!(
                    "partition {partition} held at {} (read to {})",
                    held.at, held.end
                )
            }))
            .collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl Offsets {
    /// Notes that `offset` of `partition` was processed.
    pub fn processed(&mut self, partition: i32, offset: i64) {
        let next = offset + 1;
        let entry = self.next.entry(partition).or_insert(next);
        *entry = (*entry).max(next);
    }

    /// Notes that `partition` was read up to `next` (exclusive), records or not.
    pub fn reached(&mut self, partition: i32, next: i64) {
        let entry = self.next.entry(partition).or_insert(next);
        *entry = (*entry).max(next);
    }

    /// Notes that `partition` was read to `end` (exclusive) while its offset is held at `at`.
    pub fn held(&mut self, partition: i32, at: i64, end: i64) {
        let entry = self.held.entry(partition).or_insert(Held { at, end });
        entry.end = entry.end.max(end);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.next.is_empty() && self.held.is_empty()
    }

    /// `(partition, next offset)` pairs in partition order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.next.iter().map(|(&p, &o)| (p, o))
    }

    /// The partitions read to their end with their offset held, in partition order.
    pub fn held_back(&self) -> impl Iterator<Item = (i32, Held)> + '_ {
        self.held.iter().map(|(&p, &h)| (p, h))
    }

    /// The next offset to read in `partition`, if any record of it was processed.
    #[must_use]
    pub fn get(&self, partition: i32) -> Option<i64> {
        self.next.get(&partition).copied()
    }

    /// Commits `text` with the offset of `partition` (the offset's metadata).
    pub fn annotate(&mut self, partition: i32, text: String) {
        self.metadata.insert(partition, text);
    }

    /// What is committed with the offset of `partition`, if anything.
    #[must_use]
    pub fn metadata(&self, partition: i32) -> Option<&str> {
        self.metadata.get(&partition).map(String::as_str)
    }

    /// Takes the offsets out, leaving this empty.
    pub fn take(&mut self) -> Self {
        std::mem::take(self)
    }

    /// Adds `other`'s offsets, keeping the higher one per partition.
    pub fn merge(&mut self, other: &Self) {
        for (p, o) in other.iter() {
            self.processed(p, o - 1);
        }
        for (p, held) in other.held_back() {
            self.held(p, held.at, held.end);
        }
    }
}

impl FromIterator<(i32, i64)> for Offsets {
    fn from_iter<I: IntoIterator<Item = (i32, i64)>>(iter: I) -> Self {
        Self {
            next: iter.into_iter().collect(),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_as_people_write_them() {
        let mut offsets = Offsets::default();
        assert_eq!(offsets.to_string(), "none");
        offsets.processed(0, 4);
        offsets.processed(2, 8);
        assert_eq!(offsets.to_string(), "partition 0 → 5, partition 2 → 9");
    }

    #[test]
    fn last_processed_plus_one() {
        let mut offsets = Offsets::default();
        offsets.processed(0, 4);
        offsets.processed(1, 9);
        offsets.processed(0, 5);
        assert_eq!(offsets.iter().collect::<Vec<_>>(), [(0, 6), (1, 10)]);
    }

    #[test]
    fn never_moves_back() {
        let mut offsets = Offsets::default();
        offsets.processed(0, 7);
        offsets.processed(0, 3);
        assert_eq!(offsets.get(0), Some(8));
        let mut all = Offsets::default();
        all.merge(&offsets);
        all.merge(&[(0, 2), (3, 1)].into_iter().collect());
        assert_eq!(all.iter().collect::<Vec<_>>(), [(0, 8), (3, 1)]);
    }

    #[test]
    fn metadata_goes_with_its_partition() {
        let mut offsets: Offsets = [(0, 2), (1, 5)].into_iter().collect();
        offsets.annotate(1, "end=9".to_owned());
        assert_eq!(offsets.metadata(0), None);
        assert_eq!(offsets.metadata(1), Some("end=9"));
        assert_eq!(offsets.take().metadata(1), Some("end=9"));
        assert_eq!(offsets.metadata(1), None);
    }
}
