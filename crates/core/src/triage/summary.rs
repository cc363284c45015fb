//! Counts of what a run committed, and the summary wording of the original tool.

use std::collections::BTreeMap;
use std::fmt;

use crate::record::Record;

use super::{Action, LeftAlone, SkipReason};

/// What a run has committed (or, for a batch not yet committed, what it would commit).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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
    /// Records passed over because the DLQ says they were decided (DESIGN §9).
    pub already_decided: u64,
    /// `--dedupe`: of the purged records, those purged as duplicates.
    pub duplicates: u64,
    /// `--max-replays`: records left alone because they bounced too often.
    pub bounced: u64,
    /// Records that matched the filters but were left alone, by reason (bounced ones too).
    pub left_alone: BTreeMap<String, u64>,
}

impl Summary {
    /// Counts one action taken on `record`.
    pub fn count(&mut self, record: &Record, action: &Action) {
        match action {
            Action::Merge { .. } => {
                self.merged += 1;
                // A share group's pointer never has a key, and is marked without one.
                if record.own_key().is_none() && record.read_from.is_none() {
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
            Action::Skip {
                reason: SkipReason::AlreadyDecided,
            } => self.already_decided += 1,
        }
    }

    /// Counts one record left alone for `why`.
    pub fn left(&mut self, why: &LeftAlone) {
        if matches!(why, LeftAlone::BouncedTooOften { .. }) {
            self.bounced += 1;
        }
        // A refused repair's reason names the record's own values: counted under one line.
        let key = match why {
            LeftAlone::RepairRefused { .. } => {
                "not repaired, so not merged (the transform failed, or the schema refused its result)".to_owned()
            }
            why => why.to_string(),
        };
        *self.left_alone.entry(key).or_default() += 1;
    }

    /// Records that matched the filters and were left alone.
    #[must_use]
    pub fn left_alone_total(&self) -> u64 {
        self.left_alone.values().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Self) {
        self.merged += other.merged;
        self.purged += other.purged;
        self.skipped += other.skipped;
        self.null_keys += other.null_keys;
        self.tombstones_passed += other.tombstones_passed;
        self.left_out += other.left_out;
        self.already_decided += other.already_decided;
        self.duplicates += other.duplicates;
        self.bounced += other.bounced;
        for (why, count) in &other.left_alone {
            *self.left_alone.entry(why.clone()).or_default() += count;
        }
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
        if self.duplicates > 0 {
            write!(
                f,
                "\n{} duplicates purged (identical to a record merged or purged earlier in this run)",
                self.duplicates
            )?;
        }
        if self.already_decided > 0 {
            write!(
                f,
                "\n{} record(s) already merged or purged (the DLQ holds a later tombstone of their key, or a decision marker) were passed over",
                self.already_decided
            )?;
        }
        if self.bounced > 0 {
            write!(f, "\n{} record(s) bounced too often", self.bounced)?;
        }
        for (why, count) in &self.left_alone {
            write!(f, "\n{count} record(s) left alone: {why}")?;
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
        let to = super::super::Target::topic("retry");
        summary.count(
            &keyed,
            &Action::Merge {
                tombstone: true,
                to: to.clone(),
                repair: None,
            },
        );
        summary.count(
            &keyless,
            &Action::Merge {
                tombstone: false,
                to,
                repair: None,
            },
        );
        summary.count(&keyed, &Action::Purge);
        summary.count(
            &keyless,
            &Action::Skip {
                reason: SkipReason::NullKey,
            },
        );
        summary.count(
            &keyed,
            &Action::Skip {
                reason: SkipReason::ExistingTombstone,
            },
        );
        summary.left(&LeftAlone::NoOrigin);
        summary.left(&LeftAlone::BouncedTooOften { count: 3, max: 3 });
        summary.left(&LeftAlone::NoOrigin);
        assert_eq!(
            summary.to_string(),
            "Successfully processed records: 2 merged, 1 purged, 0 skipped\n\
             2 record(s) with a null key could not be tombstoned\n\
             1 record(s) bounced too often\n\
             1 record(s) left alone: bounced too often (kmp-replay-count >= --max-replays 3)\n\
             2 record(s) left alone: no origin header, and no destination topic was given\n\
             1 tombstone(s) already in the source were passed over"
        );
        let mut plain = Summary::default();
        plain.count(
            &keyed,
            &Action::Skip {
                reason: SkipReason::Decided,
            },
        );
        assert_eq!(
            plain.to_string(),
            "Successfully processed records: 0 merged, 0 purged, 1 skipped"
        );
    }
}
