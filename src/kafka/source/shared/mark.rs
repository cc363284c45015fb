//! How the instances of a job agree through the group's committed offsets: each commit
//! carries, in the offset's metadata, the partition's end (and, for a partition whose offset
//! is held at a record left alone, how far it was read); and what one instance holds decides
//! what of a batch it may commit.

use std::collections::{BTreeMap, BTreeSet};

use crate::triage::Offsets;

/// A committed offset's metadata, as the instances write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) end: i64,
    /// How far a partition held at a record left alone was read.
    pub(super) read: Option<i64>,
    /// When it was committed (epoch ms; `None` in marks of versions before it was written).
    pub(super) at: Option<i64>,
}

const MARK_PREFIX: &str = "kafka-merge-purge";

impl Mark {
    pub(super) fn render(&self) -> String {
        let mut text = format!("{MARK_PREFIX} end={}", self.end);
        if let Some(read) = self.read {
            text.push_str(&format!(" read={read}"));
        }
        if let Some(at) = self.at {
            text.push_str(&format!(" at={at}"));
        }
        text
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        if words.next()? != MARK_PREFIX {
            return None;
        }
        let (mut end, mut read, mut at) = (None, None, None);
        for word in words {
            match word.split_once('=')? {
                ("end", value) => end = value.parse().ok(),
                ("read", value) => read = value.parse().ok(),
                ("at", value) => at = value.parse().ok(),
                _ => {}
            }
        }
        Some(Self {
            end: end?,
            read,
            at,
        })
    }

    /// Whether the partition committed at `offset` with this mark is done.
    pub(super) fn done(&self, offset: Option<i64>) -> bool {
        offset.is_some_and(|offset| offset >= self.end) || self.read >= Some(self.end)
    }
}

/// A partition is done when its committed offset, or how far it was read past a record left
/// alone, reached the end its mark set; a partition without a mark is not.
pub(super) fn done(offset: Option<i64>, metadata: &str) -> bool {
    Mark::parse(metadata).is_some_and(|mark| mark.done(offset))
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What a member holds: per partition its end, the committed offset when it was received
/// (commits never go below it), where reading began without one, and whether this member
/// holds it now.
#[derive(Debug, Default)]
pub(super) struct Holding {
    pub(super) ends: BTreeMap<i32, i64>,
    pub(super) floors: BTreeMap<i32, i64>,
    /// Where reading began, for partitions the group had no committed offset for.
    pub(super) starts: BTreeMap<i32, i64>,
    pub(super) owned: BTreeSet<i32>,
}

impl Holding {
    /// What of `offsets` this member may commit, each with the job's mark: only partitions it
    /// holds, never below what was committed when it received them; a partition held back at
    /// a record left alone at that record, marked with how far it was read.
    pub(super) fn approve(&self, offsets: &Offsets) -> Offsets {
        let mut approved = Offsets::default();
        let mut add = |partition: i32, offset: i64, read: Option<i64>| {
            let (Some(&end), true) = (self.ends.get(&partition), self.owned.contains(&partition))
            else {
                return;
            };
            match self.floors.get(&partition) {
                Some(&floor) if offset < floor => return,
                // Nothing was done in a partition the group had no offset for: it keeps
                // none (as a run alone leaves it). But one read to its end while held at a
                // record left alone gets its mark, at its start: without it, no other
                // instance knows it is done, and each waits for the others' partitions.
                None if read.is_none()
                    && self
                        .starts
                        .get(&partition)
                        .is_some_and(|&start| offset <= start) =>
                {
                    return;
                }
                _ => {}
            }
            let mark = Mark {
                end,
                read,
                at: Some(now_ms()),
            };
            approved.reached(partition, offset);
            approved.annotate(partition, mark.render());
        };
        for (partition, next) in offsets.iter() {
            if offsets.held_back().all(|(held, _)| held != partition) {
                add(partition, next, None);
            }
        }
        for (partition, held) in offsets.held_back() {
            let at = offsets
                .get(partition)
                .map_or(held.at, |next| next.max(held.at));
            add(partition, at, Some(held.end));
        }
        approved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_survives_the_offsets_metadata() {
        for mark in [
            Mark {
                end: 42,
                read: None,
                at: None,
            },
            Mark {
                end: 42,
                read: Some(40),
                at: Some(1_765_000_000_000),
            },
        ] {
            assert_eq!(Mark::parse(&mark.render()), Some(mark));
        }
        assert_eq!(Mark::parse(""), None);
        assert_eq!(Mark::parse("someone else's metadata"), None);
        assert_eq!(Mark::parse("kafka-merge-purge read=3"), None);
    }

    #[test]
    fn a_partition_is_done_at_its_marks_end() {
        let mark = |read| {
            Mark {
                end: 10,
                read,
                at: None,
            }
            .render()
        };
        assert!(done(Some(10), &mark(None)));
        assert!(done(Some(11), &mark(None)));
        assert!(!done(Some(9), &mark(None)));
        // Held at a record left alone, but read to the end.
        assert!(done(Some(3), &mark(Some(10))));
        assert!(!done(Some(3), &mark(Some(7))));
        // No mark (a run before this one, or another tool): not known to be done.
        assert!(!done(Some(10), ""));
        assert!(!done(None, &mark(None)));
    }

    #[test]
    fn commits_carry_the_marks_of_the_partitions_held() {
        let holding = Holding {
            ends: BTreeMap::from([(0, 10), (1, 20), (2, 30)]),
            floors: BTreeMap::from([(0, 4), (1, 0)]),
            starts: BTreeMap::from([(2, 0)]),
            owned: BTreeSet::from([0, 1]),
        };
        let mut offsets = Offsets::default();
        offsets.processed(0, 2); // below the floor: never moves back
        offsets.processed(1, 5);
        offsets.held(1, 8, 20);
        offsets.processed(2, 7); // handed over: not this member's to commit
        let before = now_ms();
        let approved = holding.approve(&offsets);
        assert_eq!(
            approved.iter().collect::<Vec<_>>(),
            [(1, 8)],
            "only partition 1, held at 8"
        );
        assert_eq!(approved.held_back().count(), 0);
        let mark = approved.metadata(1).and_then(Mark::parse).unwrap();
        assert_eq!((mark.end, mark.read), (20, Some(20)));
        // When it was committed: how an instance that receives it later tells this job's
        // marks from an earlier job's.
        assert!(mark.at.is_some_and(|at| at >= before && at <= now_ms()));
    }

    /// A partition the group had no offset for, read to its end but held at its first
    /// record (left alone): nothing moves, but the mark says it is done, or the instances
    /// each wait for the others' partitions for ever.
    #[test]
    fn a_partition_held_at_its_start_is_still_marked_done() {
        let holding = Holding {
            ends: BTreeMap::from([(0, 10), (1, 10)]),
            floors: BTreeMap::new(),
            starts: BTreeMap::from([(0, 0), (1, 0)]),
            owned: BTreeSet::from([0, 1]),
        };
        let mut offsets = Offsets::default();
        offsets.held(0, 0, 10);
        // Nothing done in partition 1 (not finished, nothing processed past its start).
        offsets.reached(1, 0);
        let approved = holding.approve(&offsets);
        assert_eq!(approved.iter().collect::<Vec<_>>(), [(0, 0)]);
        let mark = approved.metadata(0).and_then(Mark::parse).unwrap();
        assert!(mark.done(Some(0)), "{mark:?}");
    }
}
