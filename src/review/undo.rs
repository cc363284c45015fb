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
use crate::triage::Action;

use super::digest::headers_digest;
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

/// One journaled decision and what undo does with it.
#[derive(Debug, Clone)]
pub struct UndoStep {
    pub entry: JournalEntry,
    pub record: Record,
    pub verdict: UndoVerdict,
}

fn key_digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

/// What makes a written-back record the same as its original: value and headers.
fn content(record: &Record) -> [u8; 32] {
    let mut hasher = Sha256::new();
    match &record.value {
        None => hasher.update([0]),
        Some(value) => {
            hasher.update([1]);
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value);
        }
    }
    hasher.update(headers_digest(&record.headers).as_bytes());
    hasher.finalize().into()
}

/// A key in a partition: its partition and the SHA-256 of the key.
type KeyAt = (i32, [u8; 32]);
/// Records of one key after the first journaled offset: offset, and content (`None`: a
/// tombstone).
type Seen = HashMap<KeyAt, Vec<(i64, Option<[u8; 32]>)>>;

/// The journaled decisions of one topic, and what the DLQ says of them.
pub struct UndoWatch {
    decisions: Vec<(JournalEntry, Record)>,
    /// Per partition and key of a journaled decision: the records seen after the first
    /// journaled offset, `None` for a tombstone, else their content.
    seen: Seen,
    /// Per partition and key: the contents of the journal's records.
    journaled: HashMap<KeyAt, HashSet<[u8; 32]>>,
}

impl UndoWatch {
    /// The decisions of `entries` on `topic` (the last entry of a record wins; `undo` entries
    /// are history and not undone), in partition and offset order.
    ///
    /// # Errors
    /// An entry whose bytes are not base64.
    pub fn new<'e>(
        topic: &str,
        entries: impl IntoIterator<Item = &'e JournalEntry>,
    ) -> Result<Self, String> {
        let mut last: BTreeMap<(i32, i64), &JournalEntry> = BTreeMap::new();
        for entry in entries {
            if entry.op == JournalOp::Decision && entry.topic == topic {
                last.insert((entry.partition, entry.offset), entry);
            }
        }
        let mut watch = Self {
            decisions: Vec::with_capacity(last.len()),
            seen: HashMap::new(),
            journaled: HashMap::new(),
        };
        for entry in last.into_values() {
            let record = entry.record()?;
            if let Some(key) = &record.key {
                let place = (record.at.partition, key_digest(key));
                watch.seen.entry(place).or_default();
                watch
                    .journaled
                    .entry(place)
                    .or_default()
                    .insert(content(&record));
            }
            watch.decisions.push((entry.clone(), record));
        }
        Ok(watch)
    }

    /// Where reading must start in each partition: its first journaled offset.
    #[must_use]
    pub fn starts(&self) -> BTreeMap<i32, i64> {
        let mut starts = BTreeMap::new();
        for (entry, _) in &self.decisions {
            let start = starts.entry(entry.partition).or_insert(entry.offset);
            *start = (*start).min(entry.offset);
        }
        starts
    }

    /// Notes one record of the DLQ.
    pub fn see(&mut self, record: &Record) {
        let Some(key) = &record.key else { return };
        if let Some(seen) = self.seen.get_mut(&(record.at.partition, key_digest(key))) {
            let what = (!record.is_tombstone()).then(|| content(record));
            seen.push((record.at.offset, what));
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
            .map(|(entry, record)| {
                let verdict = verdict(&entry, &record, &seen, &journaled);
                UndoStep {
                    entry,
                    record,
                    verdict,
                }
            })
            .collect()
    }
}

fn verdict(
    entry: &JournalEntry,
    record: &Record,
    seen: &Seen,
    journaled: &HashMap<KeyAt, HashSet<[u8; 32]>>,
) -> UndoVerdict {
    let tombstoned = match &entry.action {
        Action::Merge { tombstone, .. } => *tombstone,
        Action::Purge => true,
        Action::Skip { .. } => false,
    };
    let (true, Some(key)) = (tombstoned, &record.key) else {
        return UndoVerdict::NothingRemoved;
    };
    let place = (record.at.partition, key_digest(key));
    let after: Vec<&(i64, Option<[u8; 32]>)> = seen
        .get(&place)
        .into_iter()
        .flatten()
        .filter(|(offset, _)| *offset > record.at.offset)
        .collect();
    let Some(tombstone) = after
        .iter()
        .filter(|(_, what)| what.is_none())
        .map(|(offset, _)| *offset)
        .max()
    else {
        return UndoVerdict::NotApplied;
    };
    let mine = content(record);
    let ours = journaled.get(&place);
    let mut newer = None;
    for (offset, what) in after.iter().filter(|(offset, _)| *offset > tombstone) {
        match what {
            Some(what) if *what == mine => return UndoVerdict::AlreadyUndone { at: *offset },
            Some(what) if !ours.is_some_and(|ours| ours.contains(what)) => {
                newer.get_or_insert(*offset);
            }
            _ => {}
        }
    }
    match newer {
        Some(newer) => UndoVerdict::Refused { newer },
        None => UndoVerdict::Undo,
    }
}

#[cfg(test)]
mod tests;
