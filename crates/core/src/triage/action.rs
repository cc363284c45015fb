//! What the engine asks the sink to do for one record: plain, serializable data
//! (record coordinates + action), so that plans can later be written, reviewed and applied.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::record::{Coordinates, Record};
use crate::repair::Repair;

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
    /// `--pending`: a later tombstone has its key, someone merged or purged it already.
    AlreadyDecided,
}

/// Where a merged copy goes: a topic, and a partition when one is fixed (`--keep-partition`),
/// else the key's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "destination")]
    pub topic: Arc<str>,
    #[serde(
        rename = "destination-partition",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub partition: Option<i32>,
}

impl Target {
    /// `topic`, partition by key.
    #[must_use]
    pub fn topic(topic: &str) -> Self {
        Self {
            topic: Arc::from(topic),
            partition: None,
        }
    }
}

/// The effect one record's decision has on the topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// Copy the record whole into `to`; `tombstone` says whether a tombstone is then written
    /// for it in the source (not for null keys, nor for a record that already is a tombstone).
    Merge {
        tombstone: bool,
        #[serde(flatten)]
        to: Target,
        /// What the copy holds instead of the record's bytes (an edit, a transform).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repair: Option<Arc<Repair>>,
    },
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
    /// The action that carries out `decision` on `record`, merging into `target`
    /// (`Ok(None)` for [`Decision::Quit`]).
    ///
    /// [`Decision::Quit`]: super::Decision::Quit
    ///
    /// # Errors
    /// A merge without a target (the decision source offered what it must not).
    pub fn for_decision(
        decision: super::Decision,
        record: &Record,
        target: Option<&Target>,
    ) -> anyhow::Result<Option<Self>> {
        use super::Decision;
        let has_key = record.own_key().is_some();
        Ok(Some(match decision {
            Decision::Merge => Self::Merge {
                tombstone: has_key && !record.is_tombstone(),
                to: target
                    .cloned()
                    .ok_or_else(|| anyhow::anyhow!("no destination topic to merge into"))?,
                repair: None,
            },
            // A tombstone is never purged again (a share group's pointer is none).
            Decision::Purge if record.is_tombstone() && !record.is_share_pointer() => Self::Skip {
                reason: SkipReason::ExistingTombstone,
            },
            Decision::Purge if has_key => Self::Purge,
            Decision::Purge => Self::Skip {
                reason: SkipReason::NullKey,
            },
            Decision::Skip => Self::Skip {
                reason: SkipReason::Decided,
            },
            Decision::Quit => return Ok(None),
        }))
    }

    /// Whether carrying this out writes a tombstone for `record` in the source.
    #[must_use]
    pub fn tombstones(&self, record: &Record) -> bool {
        match self {
            Self::Merge { tombstone, .. } => *tombstone,
            Self::Purge => record.own_key().is_some(),
            Self::Skip { .. } => false,
        }
    }

    /// Whether carrying this out writes anything.
    #[must_use]
    pub fn writes(&self) -> bool {
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
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()>;

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
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
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

    fn merge(tombstone: bool) -> Action {
        Action::Merge {
            tombstone,
            to: Target::topic("retry"),
            repair: None,
        }
    }

    fn skip(reason: SkipReason) -> Option<Action> {
        Some(Action::Skip { reason })
    }

    #[test]
    fn decisions_become_actions() {
        let normal = record(Some(b"k"), Some(b"v"));
        let null_key = record(None, Some(b"v"));
        let tombstone = record(Some(b"k"), None);
        let cases = [
            (Decision::Merge, &normal, Some(merge(true))),
            (Decision::Merge, &null_key, Some(merge(false))),
            (Decision::Merge, &tombstone, Some(merge(false))),
            (Decision::Purge, &normal, Some(Action::Purge)),
            (Decision::Purge, &null_key, skip(SkipReason::NullKey)),
            (
                Decision::Purge,
                &tombstone,
                skip(SkipReason::ExistingTombstone),
            ),
            (Decision::Skip, &normal, skip(SkipReason::Decided)),
            (Decision::Quit, &normal, None),
        ];
        let retry = Target::topic("retry");
        for (decision, record, expected) in cases {
            assert_eq!(
                Action::for_decision(decision, record, Some(&retry)).unwrap(),
                expected,
                "{decision:?}"
            );
        }
        let error = Action::for_decision(Decision::Merge, &normal, None).unwrap_err();
        assert_eq!(error.to_string(), "no destination topic to merge into");
    }

    #[test]
    fn planned_action_serializes_flat() {
        let planned = PlannedAction {
            at: Coordinates {
                topic: "dlq".into(),
                partition: 2,
                offset: 41,
            },
            action: Action::Merge {
                tombstone: true,
                to: Target {
                    topic: "orders".into(),
                    partition: Some(1),
                },
                repair: None,
            },
        };
        let json = serde_json::to_string(&planned).unwrap();
        assert_eq!(
            json,
            r#"{"topic":"dlq","partition":2,"offset":41,"action":"merge","tombstone":true,"destination":"orders","destination-partition":1}"#
        );
        let back: PlannedAction = serde_json::from_str(&json).unwrap();
        assert_eq!(back, planned);
    }
}
