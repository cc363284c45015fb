//! Consumer offsets to commit: per partition, the last processed offset + 1.

use std::collections::BTreeMap;

/// Next offset to read, per partition of the source topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offsets(BTreeMap<i32, i64>);

impl Offsets {
    /// Notes that `offset` of `partition` was processed.
    pub fn processed(&mut self, partition: i32, offset: i64) {
        let next = offset + 1;
        let entry = self.0.entry(partition).or_insert(next);
        *entry = (*entry).max(next);
    }

    /// Notes that `partition` was read up to `next` (exclusive), records or not.
    pub fn reached(&mut self, partition: i32, next: i64) {
        let entry = self.0.entry(partition).or_insert(next);
        *entry = (*entry).max(next);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(partition, next offset)` pairs in partition order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.0.iter().map(|(&p, &o)| (p, o))
    }

    /// The next offset to read in `partition`, if any record of it was processed.
    #[must_use]
    pub fn get(&self, partition: i32) -> Option<i64> {
        self.0.get(&partition).copied()
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
    }
}

impl FromIterator<(i32, i64)> for Offsets {
    fn from_iter<I: IntoIterator<Item = (i32, i64)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
