//! What the engine asks the sink to do for one record: plain, serializable data
//! (record coordinates + action), so that plans can later be written, reviewed and applied.

use serde::{Deserialize, Serialize};

use crate::record::{Coordinates, Record};

use super::Offsets;

/// Why a record is left where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Someone (or the bulk command) decided to skip it.
    Decided,
    /// It is a tombstone already in the source, and tombstones are not merged (no `-T`).
    ExistingTombstone,
    /// Purge was asked, but a record with a null key cannot be tombstoned.
    NullKey,
}

/// The effect one record's decision has on the topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// Copy the record whole into the destination; `tombstone` says whether a tombstone is
    /// then written for it in the source (not for null keys, nor for a record that already is
    /// a tombstone).
    Merge { tombstone: bool },
    /// Write a tombstone for it in the source.
    Purge,
    /// Write nothing.
    Skip { reason: SkipReason },
}

/// An action bound to the record it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAction {
    #[serde(flatten)]
    pub at: Coordinates,
    #[serde(flatten)]
    pub action: Action,
}

impl Action {
    /// The action that carries out `decision` on `record` (`None` for [`Decision::Quit`]).
    ///
    /// [`Decision::Quit`]: super::Decision::Quit
    #[must_use]
    pub fn for_decision(decision: super::Decision, record: &Record) -> Option<Self> {
        use super::Decision;
        let has_key = record.key.is_some();
        Some(match decision {
            Decision::Merge => Self::Merge {
                tombstone: has_key && !record.is_tombstone(),
            },
            // A tombstone is never purged again.
            Decision::Purge if record.is_tombstone() => Self::Skip {
                reason: SkipReason::ExistingTombstone,
            },
            Decision::Purge if has_key => Self::Purge,
            Decision::Purge => Self::Skip {
                reason: SkipReason::NullKey,
            },
            Decision::Skip => Self::Skip {
                reason: SkipReason::Decided,
            },
            Decision::Quit => return None,
        })
    }

    /// Whether carrying this out writes a tombstone for `record` in the source.
    #[must_use]
    pub fn tombstones(self, record: &Record) -> bool {
        match self {
            Self::Merge { tombstone } => tombstone,
            Self::Purge => record.key.is_some(),
            Self::Skip { .. } => false,
        }
    }

    /// Whether carrying this out writes anything.
    #[must_use]
    pub fn writes(self) -> bool {
        !matches!(self, Self::Skip { .. })
    }
}

/// Carries out actions. Applying may be asynchronous; only [`ActionSink::commit`] makes them
/// durable, together with the consumer offsets.
pub trait ActionSink {
    /// Starts carrying out `action` for `record`.
    ///
    /// # Errors
    /// When the action cannot be started; the engine then aborts.
    fn apply(&mut self, record: &Record, action: Action) -> anyhow::Result<()>;

    /// Makes every action applied since the last commit durable and commits `offsets` (the
    /// next offset to read, per partition) — atomically when the sink is transactional.
    ///
    /// # Errors
    /// When anything since the last commit could not be made durable.
    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()>;

    /// Abandons every action applied since the last commit, as far as the sink can
    /// (a transactional sink aborts its transaction).
    ///
    /// # Errors
    /// When the abort itself fails.
    fn abort(&mut self) -> anyhow::Result<()>;
}

/// A boxed sink (the sink a run picks at start) is a sink.
impl<S: ActionSink + ?Sized> ActionSink for Box<S> {
    fn apply(&mut self, record: &Record, action: Action) -> anyhow::Result<()> {
        (**self).apply(record, action)
    }
    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        (**self).commit(offsets)
    }
    fn abort(&mut self) -> anyhow::Result<()> {
        (**self).abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::Decision;

    fn record(key: Option<&[u8]>, value: Option<&[u8]>) -> Record {
        Record::test(0, 0).with_key(key).with_value(value)
    }

    #[test]
    fn decisions_become_actions() {
        let normal = record(Some(b"k"), Some(b"v"));
        let null_key = record(None, Some(b"v"));
        let tombstone = record(Some(b"k"), None);
        let cases = [
            (
                Decision::Merge,
                &normal,
                Some(Action::Merge { tombstone: true }),
            ),
            (
                Decision::Merge,
                &null_key,
                Some(Action::Merge { tombstone: false }),
            ),
            (
                Decision::Merge,
                &tombstone,
                Some(Action::Merge { tombstone: false }),
            ),
            (Decision::Purge, &normal, Some(Action::Purge)),
            (
                Decision::Purge,
                &null_key,
                Some(Action::Skip {
                    reason: SkipReason::NullKey,
                }),
            ),
            (
                Decision::Purge,
                &tombstone,
                Some(Action::Skip {
                    reason: SkipReason::ExistingTombstone,
                }),
            ),
            (
                Decision::Skip,
                &normal,
                Some(Action::Skip {
                    reason: SkipReason::Decided,
                }),
            ),
            (Decision::Quit, &normal, None),
        ];
        for (decision, record, expected) in cases {
            assert_eq!(
                Action::for_decision(decision, record),
                expected,
                "{decision:?}"
            );
        }
    }

    #[test]
    fn planned_action_serializes_flat() {
        let planned = PlannedAction {
            at: Coordinates {
                topic: "dlq".into(),
                partition: 2,
                offset: 41,
            },
            action: Action::Merge { tombstone: true },
        };
        let json = serde_json::to_string(&planned).unwrap();
        assert_eq!(
            json,
            r#"{"topic":"dlq","partition":2,"offset":41,"action":"merge","tombstone":true}"#
        );
        let back: PlannedAction = serde_json::from_str(&json).unwrap();
        assert_eq!(back, planned);
    }
}
