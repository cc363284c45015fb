//! Redrive: send records back where they came from, without loops, losses or strangers'
//! headers. Pure logic over [`Record`]s: origin headers ([`origin`]), the copy's headers
//! ([`headers`]), where a merge goes ([`route`]), which records are still pending
//! ([`pending`]) and which are duplicates ([`dedupe`]). [`Redrive`] puts them together as
//! the triage engine's [`Gate`].

pub mod dedupe;
pub mod digest;
pub mod headers;
pub mod origin;
pub mod pending;
pub mod pointer;
pub mod readers;
pub mod route;

use crate::record::{Coordinates, Record};
use crate::triage::{Action, Admission, Gate, LeftAlone};

pub use dedupe::Dedupe;
pub use headers::{CopyTimestamp, HeaderPolicy, NamePattern, REPLAY_COUNT, replay_count};
pub use pending::{DECIDED_BY, DECIDED_OFFSET, TombstoneIndex};
pub use pointer::{PointedTo, dereferenced, share_origin, share_pointer};
pub use readers::SentBack;
pub use route::{Router, Routing, TopicCatalog, TopicState};

/// The redrive options of a run, as the engine's gate. Checked in this order: pending (a record
/// already decided is passed over), the loop guard, duplicates, then the destination.
pub struct Redrive<'a, C> {
    /// `None` for `purge-all`: nothing is merged.
    pub router: Option<Router<C>>,
    /// `--max-replays`.
    pub max_replays: Option<u64>,
    /// What the DLQ says was decided (DESIGN §9); `None` with `--again`.
    pub pending: Option<TombstoneIndex>,
    /// Reads what the DLQ says of partitions read again into `pending`.
    pub rescan: Option<Rescan<'a>>,
    /// `--dedupe`.
    pub dedupe: Option<Dedupe>,
    /// `ask`'s retention check, record by record (a bulk run checks every record before it
    /// starts instead).
    pub retention: Option<RetentionGuard<'a>>,
    /// The records share-group pointers named that were merged: merged once.
    pub pointed: PointedTo,
}

/// Reads partitions of the DLQ, each from its offset to its end now, into the index.
pub type Rescan<'a> = Box<dyn FnMut(&[(i32, i64)], &mut TombstoneIndex) -> anyhow::Result<()> + 'a>;

/// Per destination topic, the oldest timestamp a copy may keep and the retention behind it;
/// `None` when age deletes nothing there.
pub type RetentionLookup<'a> = Box<dyn FnMut(&str) -> anyhow::Result<Option<(i64, i64)>> + 'a>;

/// Leaves alone a record whose copy would be older than its destination's retention.
pub struct RetentionGuard<'a> {
    lookup: RetentionLookup<'a>,
    known: std::collections::HashMap<String, Option<(i64, i64)>>,
}

impl<'a> RetentionGuard<'a> {
    #[must_use]
    pub fn new(lookup: RetentionLookup<'a>) -> Self {
        Self {
            lookup,
            known: std::collections::HashMap::new(),
        }
    }

    /// [`LeftAlone::TooOld`] when the copy of `record` in `topic` would be past its
    /// retention; each topic is looked up once.
    ///
    /// # Errors
    /// When the look-up fails.
    pub fn check(&mut self, record: &Record, topic: &str) -> anyhow::Result<Option<LeftAlone>> {
        let Some(timestamp) = record.timestamp.map(|t| t.millis) else {
            return Ok(None);
        };
        if !self.known.contains_key(topic) {
            let limit = (self.lookup)(topic)?;
            self.known.insert(topic.to_owned(), limit);
        }
        Ok(match self.known.get(topic) {
            Some(&Some((before, retention_ms))) if timestamp < before => Some(LeftAlone::TooOld {
                topic: topic.to_owned(),
                retention_ms,
            }),
            _ => None,
        })
    }
}

/// `--max-replays`: why `record` is left alone (bounced too often, or its count unreadable),
/// `None` when it may go on.
#[must_use]
pub fn loop_guard(max_replays: Option<u64>, record: &Record) -> Option<LeftAlone> {
    let max = max_replays?;
    match replay_count(record) {
        Ok(count) if count >= max => Some(LeftAlone::BouncedTooOften { count, max }),
        Ok(_) => None,
        Err(value) => Some(LeftAlone::UnreadableReplayCount { value }),
    }
}

impl<C: TopicCatalog> Gate for Redrive<'_, C> {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        if let Some(index) = &self.pending
            && !index.is_pending(record)
        {
            return Ok(Admission::AlreadyDecided);
        }
        // Nothing to merge: the record it names could not be read.
        if self.router.is_some() && record.is_share_pointer() {
            return Ok(Admission::LeaveAlone(LeftAlone::PointerUnresolved));
        }
        if let Some(why) = loop_guard(self.max_replays, record) {
            return Ok(Admission::LeaveAlone(why));
        }
        if let Some(of) = self.dedupe.as_ref().and_then(|d| d.duplicate_of(record)) {
            return Ok(Admission::Duplicate { of });
        }

        let target = match &mut self.router {
            Some(router) => match router.route(record)? {
                Ok(target) => Some(target),
                Err(why) => return Ok(Admission::LeaveAlone(why)),
            },
            None => None,
        };
        if let (Some(guard), Some(target)) = (&mut self.retention, &target)
            && let Some(why) = guard.check(record, &target.topic)?
        {
            return Ok(Admission::LeaveAlone(why));
        }
        Ok(Admission::Decide { target })
    }

    fn revise(&mut self, record: &Record, action: &Action) -> Option<Coordinates> {
        let source = record.read_from.as_ref()?;
        if !matches!(action, Action::Merge { .. }) {
            return None;
        }
        self.pointed.merged_by(record).or_else(|| {
            self.pending
                .as_ref()
                .and_then(|index| index.merged_source(source))
                .filter(|pointer| **pointer != record.at)
                .cloned()
        })
    }

    fn aborted(&mut self) {
        self.pointed.forget_open();
    }

    fn decided(&mut self, record: &Record, action: &Action) {
        if let Some(dedupe) = &mut self.dedupe
            && action.tombstones(record)
        {
            dedupe.remember(record);
        }
        if matches!(action, Action::Merge { .. }) {
            self.pointed.merged(record);
        }
    }

    fn committed(&mut self, at: &crate::record::Coordinates) {
        if let Some(index) = &mut self.pending {
            index.decided(at);
        }
        self.pointed.committed(at);
    }

    fn reread(&mut self, partitions: &[(i32, i64)]) -> anyhow::Result<()> {
        // What is read again was not committed: the open batch's merges never happened.
        self.pointed.forget_open();
        if let (Some(index), Some(rescan)) = (&mut self.pending, &mut self.rescan) {
            rescan(partitions, index)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::triage::Target;

    struct NoTopics;

    impl TopicCatalog for NoTopics {
        fn partitions(&mut self, _topic: &str) -> anyhow::Result<TopicState> {
            Ok(TopicState::Missing)
        }
    }

    fn gate(
        max_replays: Option<u64>,
        pending: Option<TombstoneIndex>,
    ) -> Redrive<'static, NoTopics> {
        Redrive {
            router: Some(Router::new(
                Routing::Fixed(Arc::from("retry")),
                "dlq",
                false,
                NoTopics,
            )),
            max_replays,
            pending,
            rescan: None,
            dedupe: Some(Dedupe::new(10)),
            retention: Some(RetentionGuard::new(Box::new(|_| {
                Ok(Some((1_000, 3_600_000)))
            }))),
            pointed: PointedTo::default(),
        }
    }

    #[test]
    fn order_of_the_checks() {
        let decide = Admission::Decide {
            target: Some(Target::topic("retry")),
        };
        let mut index = TombstoneIndex::default();
        index.add(&Record::test(0, 9).with_value(None));
        let mut redrive = gate(Some(2), Some(index));
        // A later tombstone with key `k`: already decided, whatever else holds.
        assert_eq!(
            redrive
                .admit(&Record::test(0, 1).with_header(REPLAY_COUNT, "5"))
                .unwrap(),
            Admission::AlreadyDecided
        );
        let fresh = Record::test(0, 10);
        assert_eq!(redrive.admit(&fresh).unwrap(), decide);
        assert_eq!(
            redrive
                .admit(&Record::test(0, 11).with_header(REPLAY_COUNT, "2"))
                .unwrap(),
            Admission::LeaveAlone(LeftAlone::BouncedTooOften { count: 2, max: 2 })
        );
        assert_eq!(
            redrive
                .admit(&Record::test(0, 12).with_header(REPLAY_COUNT, "x"))
                .unwrap(),
            Admission::LeaveAlone(LeftAlone::UnreadableReplayCount { value: "x".into() })
        );
        // Skipped: not remembered; merged: its twin is a duplicate.
        redrive.decided(
            &fresh,
            &Action::Skip {
                reason: crate::triage::SkipReason::Decided,
            },
        );
        assert_eq!(redrive.admit(&Record::test(0, 13)).unwrap(), decide);
        redrive.decided(
            &fresh,
            &Action::Merge {
                tombstone: true,
                to: Target::topic("retry"),
                repair: None,
            },
        );
        assert!(matches!(
            redrive.admit(&Record::test(0, 14)).unwrap(),
            Admission::Duplicate { of } if of.offset == 10
        ));
        // Older than the retention allows (before 1,000): left alone; newer: decided.
        assert_eq!(
            redrive
                .admit(&Record::test(0, 15).with_value(Some(b"old")).created_at(999))
                .unwrap(),
            Admission::LeaveAlone(LeftAlone::TooOld {
                topic: "retry".into(),
                retention_ms: 3_600_000
            })
        );
        assert_eq!(
            redrive
                .admit(
                    &Record::test(0, 16)
                        .with_value(Some(b"new"))
                        .created_at(1_000)
                )
                .unwrap(),
            decide
        );
    }

    /// A share group's pointer still a pointer when it reaches the gate (its record could
    /// not be read): a merging run leaves it alone; `print` and `purge-all` take it as it is.
    #[test]
    fn a_pointer_whose_record_was_not_read_is_left_alone_by_a_merging_run() {
        use crate::record::{SHARE_DLQ_OFFSET, SHARE_DLQ_TOPIC};
        let pointer = Record::test(0, 3)
            .with_key(None)
            .with_value(None)
            .with_header(SHARE_DLQ_TOPIC, "orders")
            .with_header(SHARE_DLQ_OFFSET, "41");
        assert_eq!(
            gate(None, None).admit(&pointer).unwrap(),
            Admission::LeaveAlone(LeftAlone::PointerUnresolved)
        );
        let mut printing = gate(None, None);
        printing.router = None;
        assert_eq!(
            printing.admit(&pointer).unwrap(),
            Admission::Decide { target: None }
        );
    }

    /// A merge of a record a share group's pointer names, which another pointer merged (in
    /// this run, or as the DLQ's markers say, in any run of any group), only purges it; an
    /// aborted batch's merge counts for nothing.
    #[test]
    fn a_record_two_pointers_name_is_merged_once_across_runs_and_aborts() {
        use crate::record::{Coordinates, DECIDED_SOURCE};
        let source = Coordinates {
            topic: "orders".into(),
            partition: 2,
            offset: 41,
        };
        let read = |partition, offset| {
            let mut record = Record::test(partition, offset).with_key(Some(b"order-41"));
            record.read_from = Some(source.clone());
            record
        };
        let merge = Action::Merge {
            tombstone: false,
            to: crate::triage::Target::topic("orders"),
            repair: None,
        };
        let mut redrive = gate(None, Some(TombstoneIndex::default()));
        let (first, twin) = (read(0, 7), read(1, 3));
        assert_eq!(redrive.revise(&first, &merge), None);
        redrive.decided(&first, &merge);
        assert_eq!(redrive.revise(&twin, &merge), Some(first.at.clone()));
        // A purge or a skip of the twin stays what it is.
        assert_eq!(redrive.revise(&twin, &Action::Purge), None);
        // The batch was aborted: the first merge never happened.
        redrive.aborted();
        assert_eq!(redrive.revise(&twin, &merge), None);
        // Another run: the DLQ's marker after the first pointer names the record it merged.
        let mut index = TombstoneIndex::default();
        index.add(
            &Record::test(0, 9)
                .with_key(None)
                .with_value(None)
                .with_header(DECIDED_OFFSET, "7")
                .with_header(DECIDED_SOURCE, &source.to_header()),
        );
        let mut later = gate(None, Some(index));
        assert_eq!(later.revise(&twin, &merge), Some(first.at.clone()));
        // The pointer the marker names is no duplicate of itself.
        assert_eq!(later.revise(&first, &merge), None);
    }

    #[test]
    fn coordinates_survive_the_marker_header() {
        use crate::record::Coordinates;
        let at = Coordinates {
            topic: "orders.v2".into(),
            partition: 3,
            offset: 1_234_567,
        };
        assert_eq!(Coordinates::from_header(&at.to_header()), Some(at));
        for bad in ["", "orders/3", "orders/x/1", "/3/1", "orders/3/"] {
            assert_eq!(Coordinates::from_header(bad), None, "{bad}");
        }
    }
}
