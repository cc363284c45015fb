//! What `apply` finds at each planned offset before it writes: the record the plan was made
//! on (carry the decision out), a different or missing record (refused, reported, left
//! alone), or a record already taken out of the DLQ — by an earlier apply of the same plan
//! (its tombstone carries the plan's id in the `kmp-plan` header: passed over, reported as
//! already applied) or by someone else (refused). [`ApplyCheck`] gathers this in one pass
//! over the DLQ; [`ApplyGate`] holds the write pass to it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

use crate::record::Record;
use crate::triage::{Admission, Decision, Gate, LeftAlone, Target};

use super::digest::RecordDigests;
use super::format::{PlanDecision, PlanFile, PlanLine};

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
    /// A tombstone written by an earlier apply of this plan follows it, at `at`.
    AlreadyApplied {
        at: i64,
    },
    Refused(Refusal),
}

/// The differences between what `line` planned and `record`.
fn differences(line: &PlanLine, record: &Record) -> Vec<&'static str> {
    let digests = RecordDigests::of(record);
    let mut parts = Vec::new();
    let planned_key = line.key.as_deref().map(|key| BASE64.decode(key));
    let key_same = match (&planned_key, &record.key) {
        (None, None) => true,
        (Some(Ok(planned)), Some(key)) => planned == key,
        _ => false,
    };
    if !key_same || line.key_sha256 != digests.key {
        parts.push("key");
    }
    if line.value_sha256 != digests.value {
        parts.push("value");
    }
    if line.headers_sha256 != digests.headers {
        parts.push("headers");
    }
    if line.timestamp != record.timestamp.map(|t| t.millis) {
        parts.push("timestamp");
    }
    parts
}

fn key_digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

/// A key in a partition: its partition and the SHA-256 of the key.
type KeyAt = (i32, [u8; 32]);

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
    plan: &'p PlanFile,
    /// Planned decisions (left-alone lines aside) by place: index into the plan's lines.
    at: HashMap<(i32, i64), usize>,
    /// What was found at each planned place.
    found: HashMap<(i32, i64), Vec<&'static str>>,
    /// Keys of planned records that get a tombstone, per partition: the records of that key
    /// seen, by offset.
    tombstones: HashMap<KeyAt, Vec<(i64, Seen)>>,
}

impl<'p> ApplyCheck<'p> {
    #[must_use]
    pub fn new(plan: &'p PlanFile) -> Self {
        let mut at = HashMap::new();
        let mut tombstones = HashMap::new();
        for (index, line) in plan.lines.iter().enumerate() {
            if line.decision == PlanDecision::LeftAlone {
                continue;
            }
            at.insert((line.partition, line.offset), index);
            if let Some(Ok(key)) = line.key.as_deref().map(|key| BASE64.decode(key))
                && line.decision != PlanDecision::Skip
            {
                tombstones.insert((line.partition, key_digest(&key)), Vec::new());
            }
        }
        Self {
            plan,
            at,
            found: HashMap::new(),
            tombstones,
        }
    }

    /// Where reading must start in each partition: its first planned offset.
    #[must_use]
    pub fn starts(&self) -> BTreeMap<i32, i64> {
        let mut starts = BTreeMap::new();
        for &(partition, offset) in self.at.keys() {
            let start = starts.entry(partition).or_insert(offset);
            *start = (*start).min(offset);
        }
        starts
    }

    /// Notes one record of the DLQ.
    pub fn see(&mut self, record: &Record) {
        let place = (record.at.partition, record.at.offset);
        if let Some(&index) = self.at.get(&place) {
            self.found
                .insert(place, differences(&self.plan.lines[index], record));
        }
        if let Some(key) = &record.key
            && let Some(seen) = self
                .tombstones
                .get_mut(&(record.at.partition, key_digest(key)))
        {
            let what = if record.is_tombstone() {
                Seen::Tombstone {
                    ours: record.headers.iter().rev().any(|h| {
                        h.name == PLAN_HEADER
                            && h.value.as_deref() == Some(self.plan.header.id.as_bytes())
                    }),
                }
            } else {
                Seen::Record {
                    planned: self.at.contains_key(&place),
                }
            };
            seen.push((record.at.offset, what));
        }
    }

    /// The verdict on every planned decision (by its index in the plan's lines), in plan order.
    #[must_use]
    pub fn verdicts(&self) -> Vec<(usize, Verdict)> {
        let mut all = Vec::with_capacity(self.at.len());
        for (index, line) in self.plan.lines.iter().enumerate() {
            if line.decision == PlanDecision::LeftAlone {
                continue;
            }
            let place = (line.partition, line.offset);
            let verdict = match self.found.get(&place) {
                None => Verdict::Refused(Refusal::Vanished),
                Some(parts) if !parts.is_empty() => {
                    Verdict::Refused(Refusal::Changed(parts.clone()))
                }
                Some(_) => self.tombstone_after(line),
            };
            all.push((index, verdict));
        }
        all
    }

    fn tombstone_after(&self, line: &PlanLine) -> Verdict {
        if line.decision == PlanDecision::Skip {
            return Verdict::Apply;
        }
        let Some(Ok(key)) = line.key.as_deref().map(|key| BASE64.decode(key)) else {
            return Verdict::Apply;
        };
        let later = self
            .tombstones
            .get(&(line.partition, key_digest(&key)))
            .into_iter()
            .flatten()
            .filter(|(offset, _)| *offset > line.offset);
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

/// What the write pass expects at a planned place.
struct Expected {
    line_index: usize,
    target: Option<Target>,
    refusal: Option<String>,
}

/// The gate of the write pass: lets through, to the plan's decision and destination, only the
/// records the check found as planned (and checks them again); leaves refused ones alone.
/// Use it inside [`crate::triage::PlanGate`], which passes over what was already applied and
/// holds everything the plan does not cover.
pub struct ApplyGate {
    plan: Arc<PlanFile>,
    expected: HashMap<(i32, i64), Expected>,
}

impl ApplyGate {
    /// The gate for `verdicts` (from [`ApplyCheck::verdicts`] on `plan`).
    #[must_use]
    pub fn new(plan: Arc<PlanFile>, verdicts: &[(usize, Verdict)]) -> Self {
        let mut targets: HashMap<(String, Option<i32>), Target> = HashMap::new();
        let mut expected = HashMap::with_capacity(verdicts.len());
        for (index, verdict) in verdicts {
            let line = &plan.lines[*index];
            let target = line.destination.as_ref().map(|topic| {
                targets
                    .entry((topic.clone(), line.destination_partition))
                    .or_insert_with(|| Target {
                        topic: Arc::from(topic.as_str()),
                        partition: line.destination_partition,
                    })
                    .clone()
            });
            let refusal = match verdict {
                Verdict::Refused(refusal) => Some(refusal.to_string()),
                Verdict::Apply | Verdict::AlreadyApplied { .. } => None,
            };
            expected.insert(
                (line.partition, line.offset),
                Expected {
                    line_index: *index,
                    target,
                    refusal,
                },
            );
        }
        Self { plan, expected }
    }
}

impl Gate for ApplyGate {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        let Some(expected) = self.expected.get(&(record.at.partition, record.at.offset)) else {
            return Ok(Admission::Undecided);
        };
        if let Some(reason) = &expected.refusal {
            return Ok(Admission::LeaveAlone(LeftAlone::PlanRefused {
                reason: reason.clone(),
            }));
        }
        let parts = differences(&self.plan.lines[expected.line_index], record);
        if !parts.is_empty() {
            return Ok(Admission::LeaveAlone(LeftAlone::PlanRefused {
                reason: Refusal::Changed(parts).to_string(),
            }));
        }
        Ok(Admission::Decide {
            target: expected.target.clone(),
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
