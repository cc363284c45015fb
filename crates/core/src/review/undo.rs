//! What `undo` does with each journaled decision, found from the DLQ itself in one pass
//! ([`UndoWatch::see`] every record from the first journaled offset of each partition to its
//! end): a decision whose tombstone is in the DLQ is undone by writing the original record back
//! (once: a copy already written back after that tombstone means it is undone); a decision
//! with no tombstone after it never reached Kafka; and a record of the same key that arrived
//! after the tombstone, which is none of the journal's, is never buried under the original
//! (compaction keeps the newest record of a key), so that decision is refused.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::record::Record;
use crate::triage::{Action, Target};

use super::digest::{feed, headers_digest};
use super::journal::{JournalEntry, JournalOp};

/// What becomes of one journaled decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoVerdict {
    /// Write the original back (and, asked to, a tombstone for its copy).
    Undo,
    /// The original was written back already, at `at`.
    AlreadyUndone { at: i64 },
    /// No tombstone of its key follows it: the decision never reached the DLQ.
    NotApplied,
    /// Nothing was taken out of the DLQ (a null key, or a tombstone merged with `-T`).
    NothingRemoved,
    /// A record of the same key, not one of the journal's, came after the tombstone.
    Refused { newer: i64 },
}

impl fmt::Display for UndoVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undo => f.write_str("written back"),
            Self::AlreadyUndone { at } => write!(f, "already written back (offset {at})"),
            Self::NotApplied => {
                f.write_str("not applied: no tombstone follows it, the record is still pending")
            }
            Self::NothingRemoved => {
                f.write_str("nothing was removed from the DLQ (null key or a merged tombstone)")
            }
            Self::Refused { newer } => write!(
                f,
                "refused: a newer record with the same key is at offset {newer}; writing the original back would let compaction remove it"
            ),
        }
    }
}

/// One journaled decision and what undo does with it. The record itself stays in the journal
/// (at `line`): undo reads it again to write it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoStep {
    pub line: usize,
    pub partition: i32,
    pub offset: i64,
    /// Where it was merged to (a purge: `None`).
    pub merged_into: Option<Target>,
    pub verdict: UndoVerdict,
}

fn key_digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

/// What makes a written-back record the same as its original: value and headers.
fn content(record: &Record) -> [u8; 32] {
    let mut hasher = Sha256::new();
    feed(&mut hasher, record.value.as_deref());
    hasher.update(headers_digest(&record.headers));
    hasher.finalize().into()
}

/// A key in a partition: its partition and the SHA-256 of the key.
type KeyAt = (i32, [u8; 32]);
/// What the DLQ holds of one key, read from the first journaled offset: its last tombstone,
/// and the records after that one (offset, content). Most keys have none after it: no
/// allocation per key.
#[derive(Debug, Default)]
struct KeyState {
    last_tombstone: Option<i64>,
    after: Vec<(i64, [u8; 32])>,
}

type Seen = HashMap<KeyAt, KeyState>;

/// One digest of a journaled record's partition, key and content: one set holds them all
/// (a set per key would cost more than the record's other digests together).
fn journaled((partition, key): KeyAt, content: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(partition.to_be_bytes());
    hasher.update(key);
    hasher.update(content);
    hasher.finalize().into()
}

/// What undo keeps of a journaled decision while it reads the DLQ: digests, not bytes.
#[derive(Debug, Clone)]
struct Decided {
    line: usize,
    /// `None`: nothing was tombstoned (a null key, a merged tombstone).
    key: Option<[u8; 32]>,
    content: [u8; 32],
    merged_into: Option<Target>,
}

/// The journaled decisions of one topic, and what the DLQ says of them.
#[derive(Default)]
pub struct UndoWatch {
    decisions: BTreeMap<(i32, i64), Decided>,
    seen: Seen,
    /// The journal's records, as [`journaled`] digests of partition, key and content.
    journaled: HashSet<[u8; 32]>,
}

impl UndoWatch {
    /// Notes the decision journaled at `line` (the last entry of a record wins; `undo`
    /// entries are history, not undone).
    ///
    /// # Errors
    /// An entry whose bytes are not base64.
    pub fn add(&mut self, line: usize, entry: &JournalEntry) -> Result<(), String> {
        if entry.op != JournalOp::Decision {
            return Ok(());
        }
        let record = entry.record()?;
        let (tombstoned, merged_into) = match &entry.action {
            Action::Merge { tombstone, to, .. } => (*tombstone, Some(to.clone())),
            Action::Purge => (true, None),
            Action::Skip { .. } => return Ok(()),
        };
        let key = record.key.as_deref().filter(|_| tombstoned).map(key_digest);
        let content = content(&record);
        if let Some(key) = key {
            let place = (record.at.partition, key);
            self.seen.entry(place).or_default();
            self.journaled.insert(journaled(place, &content));
        }
        self.decisions.insert(
            (record.at.partition, record.at.offset),
            Decided {
                line,
                key,
                content,
                merged_into,
            },
        );
        Ok(())
    }

    /// Where reading must start in each partition: its first journaled offset.
    #[must_use]
    pub fn starts(&self) -> BTreeMap<i32, i64> {
        let mut starts = BTreeMap::new();
        for &(partition, offset) in self.decisions.keys() {
            starts.entry(partition).or_insert(offset);
        }
        starts
    }

    /// Notes one record of the DLQ.
    pub fn see(&mut self, record: &Record) {
        let Some(key) = &record.key else { return };
        if let Some(state) = self.seen.get_mut(&(record.at.partition, key_digest(key))) {
            if record.is_tombstone() {
                state.last_tombstone = Some(record.at.offset);
                state.after = Vec::new();
            } else {
                state.after.push((record.at.offset, content(record)));
            }
        }
    }

    /// Every journaled decision with its verdict, in partition and offset order.
    #[must_use]
    pub fn steps(self) -> Vec<UndoStep> {
        let Self {
            decisions,
            seen,
            journaled,
        } = self;
        decisions
            .into_iter()
            .map(|((partition, offset), decided)| UndoStep {
                line: decided.line,
                partition,
                offset,
                verdict: verdict(partition, offset, &decided, &seen, &journaled),
                merged_into: decided.merged_into,
            })
            .collect()
    }
}

fn verdict(
    partition: i32,
    offset: i64,
    decided: &Decided,
    seen: &Seen,
    journal: &HashSet<[u8; 32]>,
) -> UndoVerdict {
    let Some(key) = decided.key else {
        return UndoVerdict::NothingRemoved;
    };
    let place = (partition, key);
    let Some(state) = seen.get(&place).filter(|state| {
        state
            .last_tombstone
            .is_some_and(|tombstone| tombstone > offset)
    }) else {
        return UndoVerdict::NotApplied;
    };
    let ours = |what: &[u8; 32]| journal.contains(&journaled(place, what));
    let mut newer = None;
    for (at, what) in &state.after {
        if *what == decided.content {
            return UndoVerdict::AlreadyUndone { at: *at };
        }
        if !ours(what) {
            newer.get_or_insert(*at);
        }
    }
    match newer {
        Some(newer) => UndoVerdict::Refused { newer },
        None => UndoVerdict::Undo,
    }
}

#[cfg(test)]
mod tests;
