//! What is settled about a record before anyone is asked: whether it is still pending, whether
//! it is left alone (no usable origin, bounced too often), whether it duplicates one already
//! handled, and where a merge would send it. The redrive options implement [`Gate`]; a run
//! without them lets every record through to the decision.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::{Coordinates, Record};

use super::{Action, Target};

/// Why a record that matched the filters is left alone: not written, not tombstoned, and the
/// group's committed offset of its partition stops before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "left-alone")]
pub enum LeftAlone {
    /// `--to-origin` without a destination, and the record has no origin header.
    NoOrigin,
    /// Its origin headers are unusable, or the topic they name may not be written to.
    OriginRefused {
        topic: Option<String>,
        reason: String,
    },
    /// `--max-replays`: it was merged out of a DLQ `count` times already.
    BouncedTooOften { count: u64, max: u64 },
    /// `--max-replays`, and its `kmp-replay-count` header is not a number.
    UnreadableReplayCount { value: String },
    /// `ask`: its copy would be older than the destination's retention and soon deleted.
    TooOld { topic: String, retention_ms: i64 },
    /// `apply`: the record is not what the plan was made on, or was decided by someone else.
    PlanRefused { reason: String },
    /// A null key on a compacted DLQ (no marker can be written for it) after a record left
    /// alone: its decision could be recorded nowhere, and a later run would take it again.
    Unrecordable,
    /// A null key on a compacted DLQ below the group's committed offset (`--from-beginning`):
    /// only that offset could record a decision on it, so whether it was merged is unknown.
    BelowTheGroupsOffset,
    /// A share group's pointer whose record could not be read: gone (deleted or compacted
    /// away), a tombstone, in the DLQ itself or an internal topic, or its topic unreadable.
    PointerUnresolved,
    /// Its merge was to be repaired (`--transform`), and the repair could not be made.
    RepairRefused { reason: String },
}

impl fmt::Display for LeftAlone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoOrigin => f.write_str("no origin header, and no destination topic was given"),
            Self::OriginRefused {
                topic: Some(topic),
                reason,
            } => write!(f, "origin {topic} refused: {reason}"),
            Self::OriginRefused {
                topic: None,
                reason,
            } => write!(f, "unusable origin headers: {reason}"),
            Self::BouncedTooOften { max, .. } => {
                write!(
                    f,
                    "bounced too often (kmp-replay-count >= --max-replays {max})"
                )
            }
            Self::UnreadableReplayCount { value } => {
                write!(
                    f,
                    "its kmp-replay-count header holds {value:?}, not a count"
                )
            }
            Self::PlanRefused { reason } => write!(f, "refused by apply: {reason}"),
            Self::BelowTheGroupsOffset => f.write_str(
                "null key on a compacted DLQ below the group's offset: whether it was merged before is recorded nowhere",
            ),
            Self::RepairRefused { reason } => {
                write!(f, "not repaired, so not merged: {reason}")
            }
            Self::PointerUnresolved => f.write_str(
                "a share group's pointer to a record that cannot be read (gone, a tombstone, or in a topic that is not read): nothing to redrive",
            ),
            Self::Unrecordable => f.write_str(
                "null key on a compacted DLQ after a record left alone: its decision could not be recorded (no marker, and the group's offset stays before it)",
            ),
            Self::TooOld {
                topic,
                retention_ms,
            } => write!(
                f,
                "older than the retention of {topic} (retention.ms={retention_ms}): the broker would delete its copy within minutes; merge it with --timestamp now or --ignore-retention"
            ),
        }
    }
}

/// What the gate says of a record that matched the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Ask for a decision; a merge goes to `target` (`None`: nothing can be merged, `purge-all`).
    Decide { target: Option<Target> },
    /// `--pending`: a later tombstone has its key; it was merged or purged already.
    AlreadyDecided,
    /// Leave it where it is.
    LeaveAlone(LeftAlone),
    /// `--dedupe`: it is identical to the record at `of`, tombstoned in this run: purge it.
    Duplicate { of: Coordinates },
    /// Not this run's to decide (the triage view has no decision for it): left where it is
    /// like [`Admission::LeaveAlone`], so its partition's offset stops before it, but neither
    /// counted nor reported: nobody was asked about it.
    Undecided,
}

/// Settles what it can about each record before the decision.
pub trait Gate {
    /// # Errors
    /// When something the gate must ask cannot be asked (the cluster, for a topic's existence).
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission>;

    /// `action`, decided for `record`, would write again what was written already: the
    /// record it duplicates, and only a purge is carried out.
    fn revise(&mut self, _record: &Record, _action: &Action) -> Option<Coordinates> {
        None
    }

    /// `action` was taken on `record`.
    fn decided(&mut self, _record: &Record, _action: &Action) {}

    /// The open batch was aborted: what was decided since the last commit never happened.
    fn aborted(&mut self) {}

    /// The decision that wrote (merged or purged) the record at `at` is committed: reading
    /// its partition again must pass it over.
    fn committed(&mut self, _at: &Coordinates) {}

    /// The source reads `partitions` (each from its offset) again, and others may have
    /// decided records in them meanwhile: what the DLQ says of them is read again.
    ///
    /// # Errors
    /// When the DLQ cannot be read.
    fn reread(&mut self, _partitions: &[(i32, i64)]) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A boxed gate (one chosen at run time) is a gate.
impl<G: Gate + ?Sized> Gate for Box<G> {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        (**self).admit(record)
    }

    fn revise(&mut self, record: &Record, action: &Action) -> Option<Coordinates> {
        (**self).revise(record, action)
    }

    fn decided(&mut self, record: &Record, action: &Action) {
        (**self).decided(record, action);
    }

    fn aborted(&mut self) {
        (**self).aborted();
    }

    fn committed(&mut self, at: &Coordinates) {
        (**self).committed(at);
    }

    fn reread(&mut self, partitions: &[(i32, i64)]) -> anyhow::Result<()> {
        (**self).reread(partitions)
    }
}

/// Everything goes to the decision; merges go to one fixed destination (or nowhere).
#[derive(Debug, Clone, Default)]
pub struct OpenGate(pub Option<Target>);

impl Gate for OpenGate {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        let _ = record;
        Ok(Admission::Decide {
            target: self.0.clone(),
        })
    }
}

/// `--from-beginning` on a DLQ that takes no keyless markers: a null-key record below the
/// group's committed offset may have been merged by the group (its offset is the only record
/// of that), so it is left alone; everything else goes to `inner`.
pub struct NullKeysBelow<G> {
    pub inner: G,
    /// The group's committed offset of each partition when the run started.
    pub floor: std::collections::BTreeMap<i32, i64>,
}

impl<G: Gate> Gate for NullKeysBelow<G> {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        let below = self
            .floor
            .get(&record.at.partition)
            .is_some_and(|&floor| record.at.offset < floor);
        if below && record.own_key().is_none() && !record.is_tombstone() {
            return Ok(Admission::LeaveAlone(LeftAlone::BelowTheGroupsOffset));
        }
        self.inner.admit(record)
    }

    fn revise(&mut self, record: &Record, action: &Action) -> Option<Coordinates> {
        self.inner.revise(record, action)
    }

    fn decided(&mut self, record: &Record, action: &Action) {
        self.inner.decided(record, action);
    }

    fn aborted(&mut self) {
        self.inner.aborted();
    }

    fn committed(&mut self, at: &Coordinates) {
        self.inner.committed(at);
    }

    fn reread(&mut self, partitions: &[(i32, i64)]) -> anyhow::Result<()> {
        self.inner.reread(partitions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_keys_below_the_groups_offset_are_left_alone() {
        let mut gate = NullKeysBelow {
            inner: OpenGate(None),
            floor: [(0, 5)].into(),
        };
        let decide = Admission::Decide { target: None };
        let below = Admission::LeaveAlone(LeftAlone::BelowTheGroupsOffset);
        let null_key = |p, o| Record::test(p, o).with_key(None);
        assert_eq!(gate.admit(&null_key(0, 4)).unwrap(), below);
        assert_eq!(gate.admit(&null_key(0, 5)).unwrap(), decide);
        assert_eq!(gate.admit(&null_key(1, 0)).unwrap(), decide);
        assert_eq!(gate.admit(&Record::test(0, 1)).unwrap(), decide);
    }
}
