//! Counts of what a run committed, and the summary wording of the original tool.

use std::fmt;

use crate::record::Record;

use super::{Action, SkipReason};

/// What a run has committed (or, for a batch not yet committed, what it would commit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub merged: u64,
    pub purged: u64,
    pub skipped: u64,
    /// Records merged or meant to be purged that could not be tombstoned: their key is null.
    pub null_keys: u64,
    /// Tombstones found in the source and passed over (not merged without `-T`).
    pub tombstones_passed: u64,
    /// Records that did not match the filters, left alone.
    pub left_out: u64,
}

impl Summary {
    /// Counts one action taken on `record`.
    pub fn count(&mut self, record: &Record, action: Action) {
        match action {
            Action::Merge { .. } => {
                self.merged += 1;
                if record.key.is_none() {
                    self.null_keys += 1;
                }
            }
            Action::Purge => self.purged += 1,
            Action::Skip {
                reason: SkipReason::Decided,
            } => self.skipped += 1,
            Action::Skip {
                reason: SkipReason::ExistingTombstone,
            } => self.tombstones_passed += 1,
            Action::Skip {
                reason: SkipReason::NullKey,
            } => self.null_keys += 1,
        }
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Self) {
        self.merged += other.merged;
        self.purged += other.purged;
        self.skipped += other.skipped;
        self.null_keys += other.null_keys;
        self.tombstones_passed += other.tombstones_passed;
        self.left_out += other.left_out;
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Successfully processed records: {} merged, {} purged, {} skipped",
            self.merged, self.purged, self.skipped
        )?;
        if self.null_keys > 0 {
            write!(
                f,
                "\n{} record(s) with a null key could not be tombstoned",
                self.null_keys
            )?;
        }
        if self.left_out > 0 {
            write!(
                f,
                "\n{} record(s) did not match the filters and were left alone",
                self.left_out
            )?;
        }
        if self.tombstones_passed > 0 {
            write!(
                f,
                "\n{} tombstone(s) already in the source were passed over",
                self.tombstones_passed
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: Option<&[u8]>) -> Record {
        Record::test(0, 0).with_key(key)
    }

    #[test]
    fn original_wording_and_extra_lines() {
        let mut summary = Summary::default();
        let keyed = record(Some(b"k"));
        let keyless = record(None);
        summary.count(&keyed, Action::Merge { tombstone: true });
        summary.count(&keyless, Action::Merge { tombstone: false });
        summary.count(&keyed, Action::Purge);
        summary.count(
            &keyless,
            Action::Skip {
                reason: SkipReason::NullKey,
            },
        );
        summary.count(
            &keyed,
            Action::Skip {
                reason: SkipReason::ExistingTombstone,
            },
        );
        assert_eq!(
            summary.to_string(),
            "Successfully processed records: 2 merged, 1 purged, 0 skipped\n\
             2 record(s) with a null key could not be tombstoned\n\
             1 tombstone(s) already in the source were passed over"
        );
        let mut plain = Summary::default();
        plain.count(
            &keyed,
            Action::Skip {
                reason: SkipReason::Decided,
            },
        );
        assert_eq!(
            plain.to_string(),
            "Successfully processed records: 0 merged, 0 purged, 1 skipped"
        );
    }
}
