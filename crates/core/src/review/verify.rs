//! What `apply` finds at each planned offset before it writes: the record the plan was made
//! on (carry the decision out), a different or missing record (refused, reported, left
//! alone), or a record already taken out of the DLQ — by an earlier apply of the same plan
//! (its tombstone carries the plan's id in the `kmp-plan` header: passed over, reported as
//! already applied) or by someone else (refused). [`PlanTable`] holds the decisions compactly
//! (digests, not text); [`ApplyCheck`] gathers the verdicts in one pass over the DLQ;
//! [`ApplyGate`] holds the write pass to them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::record::Record;
use crate::repair::Repair;
use crate::triage::{Admission, Decision, Gate, LeftAlone, Target};

use super::digest::{RecordDigests, Sha, from_hex, sha256};
use super::file::FileError;
use super::format::{PlanDecision, PlanEnd, PlanHeader, PlanLine, PlanReader};

/// The header `apply` puts on the tombstones it writes: the plan's id.
pub const PLAN_HEADER: &str = "kmp-plan";

/// Why a planned decision is not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The record at the offset is not the one planned (or the plan line was edited).
    Changed(Vec<&'static str>),
    /// No record at the offset any more (deleted, or compacted away).
    Vanished,
    /// A tombstone of its key follows it, not written by this plan.
    Tombstoned { at: i64 },
    /// A record of the same key that the plan does not decide follows it: the planned
    /// tombstone would let compaction remove that record too.
    NewerRecord { at: i64 },
    /// An earlier apply of this plan journaled it, but Kafka shows nothing of it (no marker
    /// to look for, the group's offset before it): it may have been written, or not.
    Unconfirmed,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed(parts) => write!(
                f,
                "the record differs from the plan ({} changed)",
                parts.join(", ")
            ),
            Self::Vanished => f.write_str("the record is gone (deleted or compacted away)"),
            Self::Tombstoned { at } => write!(
                f,
                "already tombstoned at offset {at}, not by this plan: someone else decided it"
            ),
            Self::Unconfirmed => f.write_str(
                "an earlier apply journaled it, but Kafka shows no trace of it (no marker can be written for it, and the group's offset is before it): it may have been written; left alone rather than written twice",
            ),
            Self::NewerRecord { at } => write!(
                f,
                "a newer record with the same key, which the plan does not decide, is at offset {at}: the tombstone would let compaction remove it too"
            ),
        }
    }
}

/// What becomes of one planned decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Apply,
    /// An earlier apply of this plan journaled it, it leaves no marker to look for (a null key
    /// on a compacted DLQ, a merged tombstone), and the group's offset passed it: not written
    /// again, so that nothing is written twice.
    Journaled,
    /// A tombstone written by an earlier apply of this plan follows it, at `at`.
    AlreadyApplied {
        at: i64,
    },
    Refused(Refusal),
}

/// One planned decision, as `apply` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub partition: i32,
    pub offset: i64,
    pub decision: PlanDecision,
    timestamp: Option<i64>,
    digests: RecordDigests,
    /// The line's base64 key does not match its `key_sha256`: the line was edited.
    key_edited: bool,
    pub target: Option<Target>,
    /// A repaired merge's bytes; `Err` when they do not match their digest in the line.
    pub repair: Option<Result<Arc<Repair>, String>>,
}

impl Planned {
    /// `line`, checked by the reader (its digests are hex, its key base64); destinations are
    /// shared through `targets`.
    fn from_line(line: &PlanLine, targets: &mut HashMap<(String, Option<i32>), Target>) -> Self {
        let digest = |hex: &str| from_hex(hex).unwrap_or_default();
        let key_sha = line.key_sha256.as_deref().map(digest);
        let key_edited = match (&line.key, key_sha) {
            (Some(key), Some(sha)) => BASE64.decode(key).map(|key| sha256(&key)).ok() != Some(sha),
            _ => false,
        };
        let target = line.destination.as_ref().map(|topic| {
            targets
                .entry((topic.clone(), line.destination_partition))
                .or_insert_with(|| Target {
                    topic: Arc::from(topic.as_str()),
                    partition: line.destination_partition,
                })
                .clone()
        });
        Self {
            partition: line.partition,
            offset: line.offset,
            decision: line.decision,
            timestamp: line.timestamp,
            digests: RecordDigests {
                key: key_sha,
                value: line.value_sha256.as_deref().map(digest),
                headers: digest(&line.headers_sha256),
            },
            key_edited,
            target,
            repair: line
                .repair
                .as_ref()
                .map(|repair| repair.checked().map(Arc::new)),
        }
    }

    /// What differs between the plan and `record`.
    fn differences(&self, record: &Record) -> Vec<&'static str> {
        let digests = RecordDigests::of(record);
        let mut parts = Vec::new();
        if self.key_edited || self.digests.key != digests.key {
            parts.push("key");
        }
        if self.digests.value != digests.value {
            parts.push("value");
        }
        if self.digests.headers != digests.headers {
            parts.push("headers");
        }
        if self.timestamp != record.timestamp.map(|t| t.millis) {
            parts.push("timestamp");
        }
        if matches!(self.repair, Some(Err(_))) {
            parts.push("repaired bytes (they do not match their digest)");
        }
        parts
    }

    /// Whether carrying it out writes a tombstone of its key.
    fn tombstones(&self) -> bool {
        matches!(self.decision, PlanDecision::Merge | PlanDecision::Purge)
    }
}

/// A plan as `apply` works from it: the decisions (left-alone lines only counted), by place.
#[derive(Debug, Clone)]
pub struct PlanTable {
    pub header: PlanHeader,
    pub end: PlanEnd,
    pub records: Vec<Planned>,
    index: HashMap<(i32, i64), usize>,
    /// Lines that decide nothing (left alone when the plan was made).
    pub left_alone: u64,
}

impl PlanTable {
    /// Reads and checks the plan at `path`.
    ///
    /// # Errors
    /// The first problem found, with its line number.
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let mut reader = PlanReader::open(path)?;
        let (records, left_alone) = decisions(reader.by_ref())?;
        let (header, end) = reader.finish()?;
        Ok(Self::from_parts(header, end, records, left_alone))
    }

    fn from_parts(
        header: PlanHeader,
        end: PlanEnd,
        records: Vec<Planned>,
        left_alone: u64,
    ) -> Self {
        let index = records
            .iter()
            .enumerate()
            .map(|(at, planned)| ((planned.partition, planned.offset), at))
            .collect();
        Self {
            header,
            end,
            records,
            index,
            left_alone,
        }
    }

    /// A table of `lines` (checked by the caller), for tests.
    #[cfg(test)]
    pub(super) fn of(header: PlanHeader, lines: &[PlanLine]) -> Self {
        let (records, left_alone) = decisions(lines.iter().cloned().map(Ok))
            .unwrap_or_else(|error| unreachable!("{error}"));
        Self::from_parts(header, PlanEnd::default(), records, left_alone)
    }

    /// Per partition, where the planned decisions begin and end: the first planned offset,
    /// and one past the last.
    #[must_use]
    pub fn spans(&self) -> BTreeMap<i32, (i64, i64)> {
        let mut spans: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
        for planned in &self.records {
            let span = spans
                .entry(planned.partition)
                .or_insert((planned.offset, planned.offset + 1));
            span.0 = span.0.min(planned.offset);
            span.1 = span.1.max(planned.offset + 1);
        }
        spans
    }

    /// The planned decision at `partition` and `offset`, with its index.
    #[must_use]
    pub fn at(&self, partition: i32, offset: i64) -> Option<(usize, &Planned)> {
        let &index = self.index.get(&(partition, offset))?;
        Some((index, &self.records[index]))
    }
}

/// The decisions of `lines`, and how many lines decide nothing (left alone).
fn decisions(
    lines: impl Iterator<Item = Result<PlanLine, FileError>>,
) -> Result<(Vec<Planned>, u64), FileError> {
    let mut targets = HashMap::new();
    let mut records = Vec::new();
    let mut left_alone = 0;
    for line in lines {
        let line = line?;
        if line.decision == PlanDecision::LeftAlone {
            left_alone += 1;
        } else {
            records.push(Planned::from_line(&line, &mut targets));
        }
    }
    Ok((records, left_alone))
}

/// A key in a partition: its partition and the SHA-256 of the key.
type KeyAt = (i32, Sha);

/// A record seen with the key of a planned record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// A tombstone; `ours` when this plan's apply wrote it.
    Tombstone { ours: bool },
    /// Another record; `planned` when the plan decides it.
    Record { planned: bool },
}

/// The decisions of a plan, checked against the DLQ in one pass ([`ApplyCheck::see`] every
/// record from the first planned offset of each partition to its end).
pub struct ApplyCheck<'p> {
    plan: &'p PlanTable,
    /// What was found at each planned place (by index): `None` when nothing was.
    found: Vec<Option<Vec<&'static str>>>,
    /// Per key of a planned record that gets a tombstone: the records of that key seen.
    keys: HashMap<KeyAt, Vec<(i64, Seen)>>,
    /// Places an earlier apply of this plan journaled (`--journal`).
    journaled: HashSet<(i32, i64)>,
    /// The group's committed offsets: a journaled decision counts as applied only when the
    /// group's offset passed it (Kafka shows it, not only the journal).
    committed: BTreeMap<i32, i64>,
    /// Decision markers seen: the decided offset, and the marker's offset and whether this
    /// plan's apply wrote it, per partition.
    markers: HashMap<(i32, i64), (i64, bool)>,
}

impl<'p> ApplyCheck<'p> {
    #[must_use]
    pub fn new(plan: &'p PlanTable) -> Self {
        let keys = plan
            .records
            .iter()
            .filter(|planned| planned.tombstones())
            .filter_map(|planned| Some(((planned.partition, planned.digests.key?), Vec::new())))
            .collect();
        Self {
            plan,
            found: vec![None; plan.records.len()],
            keys,
            journaled: HashSet::new(),
            committed: BTreeMap::new(),
            markers: HashMap::new(),
        }
    }

    /// The group's committed offsets when the check ran.
    #[must_use]
    pub fn committed(mut self, offsets: BTreeMap<i32, i64>) -> Self {
        self.committed = offsets;
        self
    }

    /// The places an earlier apply of this plan journaled: a decision that leaves no
    /// tombstone to find is taken as applied when it is among them.
    #[must_use]
    pub fn journaled(mut self, places: HashSet<(i32, i64)>) -> Self {
        self.journaled = places;
        self
    }

    /// Where reading must start in each partition: its first planned offset.
    #[must_use]
    pub fn starts(&self) -> BTreeMap<i32, i64> {
        self.plan
            .spans()
            .into_iter()
            .map(|(partition, (start, _))| (partition, start))
            .collect()
    }

    /// Whether `record` carries this plan's header.
    fn ours(&self, record: &Record) -> bool {
        let id = self.plan.header.id.as_bytes();
        record
            .headers
            .iter()
            .any(|h| h.name == PLAN_HEADER && h.value.as_deref() == Some(id))
    }

    /// Notes one record of the DLQ.
    pub fn see(&mut self, record: &Record) {
        let planned = self.plan.at(record.at.partition, record.at.offset);
        if let Some((index, planned)) = planned {
            self.found[index] = Some(planned.differences(record));
        }
        // A marker decides the offset it names, no other record of its key.
        if let Some(decided) = record.marked_offset() {
            let ours = self.ours(record);
            self.markers
                .insert((record.at.partition, decided), (record.at.offset, ours));
            return;
        }
        let ours = record.is_tombstone() && self.ours(record);
        if let Some(key) = record.own_key()
            && let Some(seen) = self.keys.get_mut(&(record.at.partition, sha256(key)))
        {
            let what = if record.is_tombstone() {
                Seen::Tombstone { ours }
            } else {
                Seen::Record {
                    planned: planned.is_some(),
                }
            };
            seen.push((record.at.offset, what));
        }
    }

    /// The verdict on every planned decision, in the order of the plan's records.
    #[must_use]
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.plan
            .records
            .iter()
            .zip(&self.found)
            .map(|(planned, found)| match found {
                None => Verdict::Refused(Refusal::Vanished),
                Some(parts) if !parts.is_empty() => {
                    Verdict::Refused(Refusal::Changed(parts.clone()))
                }
                Some(_) => self.after(planned),
            })
            .collect()
    }

    /// What the records of its key after it say of a planned record found as planned.
    fn after(&self, planned: &Planned) -> Verdict {
        let writes = planned.decision != PlanDecision::Skip;
        // A marker naming it: decided, by this plan or by someone else.
        if writes && let Some(&(at, ours)) = self.markers.get(&(planned.partition, planned.offset))
        {
            return if ours {
                Verdict::AlreadyApplied { at }
            } else {
                Verdict::Refused(Refusal::Tombstoned { at })
            };
        }
        let tombstoned = planned.tombstones() && planned.digests.value.is_some();
        let Some(key) = planned.digests.key.filter(|_| tombstoned) else {
            // No marker to look for: applied when the journal says it was written and the
            // group's offset passed it, never on the journal's word alone (it is written
            // before the write it describes, which may have been aborted); journaled and
            // not shown, it is left alone (written again, it might be written twice).
            let journaled = writes
                && self
                    .journaled
                    .contains(&(planned.partition, planned.offset));
            let passed = self
                .committed
                .get(&planned.partition)
                .is_some_and(|&committed| committed > planned.offset);
            return match (journaled, passed) {
                (true, true) => Verdict::Journaled,
                (true, false) => Verdict::Refused(Refusal::Unconfirmed),
                (false, _) => Verdict::Apply,
            };
        };
        let later = self
            .keys
            .get(&(planned.partition, key))
            .into_iter()
            .flatten()
            .filter(|(offset, _)| *offset > planned.offset);
        let mut refusal = None;
        for &(offset, seen) in later {
            match seen {
                Seen::Tombstone { ours: true } => return Verdict::AlreadyApplied { at: offset },
                Seen::Tombstone { ours: false } => {
                    refusal.get_or_insert(Refusal::Tombstoned { at: offset });
                }
                Seen::Record { planned: false } => {
                    refusal.get_or_insert(Refusal::NewerRecord { at: offset });
                }
                Seen::Record { planned: true } => {}
            }
        }
        refusal.map_or(Verdict::Apply, Verdict::Refused)
    }
}

/// The gate of the write pass: lets through, to the plan's decision and destination, only the
/// records the check found as planned (and checks them again); leaves refused ones alone.
/// Use it inside [`crate::triage::PlanGate`], which passes over what was already applied and
/// holds everything the plan does not cover.
pub struct ApplyGate {
    plan: Arc<PlanTable>,
    /// Why each refused decision (by index) was refused.
    refused: HashMap<usize, String>,
}

impl ApplyGate {
    /// The gate for `verdicts` (from [`ApplyCheck::verdicts`] on `plan`).
    #[must_use]
    pub fn new(plan: Arc<PlanTable>, verdicts: &[Verdict]) -> Self {
        let refused = verdicts
            .iter()
            .enumerate()
            .filter_map(|(index, verdict)| match verdict {
                Verdict::Refused(refusal) => Some((index, refusal.to_string())),
                Verdict::Apply | Verdict::AlreadyApplied { .. } | Verdict::Journaled => None,
            })
            .collect();
        Self { plan, refused }
    }
}

impl Gate for ApplyGate {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        let Some((index, planned)) = self.plan.at(record.at.partition, record.at.offset) else {
            return Ok(Admission::Undecided);
        };
        if let Some(reason) = self.refused.get(&index) {
            return Ok(Admission::LeaveAlone(LeftAlone::PlanRefused {
                reason: reason.clone(),
            }));
        }
        let parts = planned.differences(record);
        if !parts.is_empty() {
            return Ok(Admission::LeaveAlone(LeftAlone::PlanRefused {
                reason: Refusal::Changed(parts).to_string(),
            }));
        }
        Ok(Admission::Decide {
            target: planned.target.clone(),
        })
    }
}

/// The engine's decision for a plan line's decision.
#[must_use]
pub fn decision(decision: PlanDecision) -> Option<Decision> {
    match decision {
        PlanDecision::Merge => Some(Decision::Merge),
        PlanDecision::Purge => Some(Decision::Purge),
        PlanDecision::Skip => Some(Decision::Skip),
        PlanDecision::LeftAlone => None,
    }
}

#[cfg(test)]
mod tests;
