//! `--transform` in bulk and in the view's writes: every merge is repaired by the expression
//! (unless a person edited the record), or its record is left alone with the reason (never
//! merged unrepaired). A dry run shows the first diffs.

use std::io::Write;

use crate::record::Record;
use crate::repair::{Repaired, Repairer, write_changes};

use super::{Decision, DecisionSource, Outcome, Target};

/// How many repairs a dry run shows field by field.
pub const PREVIEWS: usize = 5;
/// How many refused repairs a run names one by one in its log.
const NAMED_REFUSALS: u64 = 20;

/// Decisions of `inner`, with every merge repaired by the repairer's transform.
pub struct Transformed<D> {
    inner: D,
    repairer: Repairer,
    /// Where a dry run shows the first [`PREVIEWS`] repairs.
    preview: Option<Box<dyn Write>>,
    previewed: usize,
    refused: u64,
    /// Every repair keeps its changes (a plan shows them); else only the previewed ones.
    keep_changes: bool,
}

impl<D: DecisionSource> Transformed<D> {
    #[must_use]
    pub fn new(inner: D, repairer: Repairer, preview: Option<Box<dyn Write>>) -> Self {
        Self {
            inner,
            repairer,
            preview,
            previewed: 0,
            refused: 0,
            keep_changes: false,
        }
    }

    /// The same, every repair with its changes field by field (a plan's reviewer sees them).
    #[must_use]
    pub fn keeping_changes(mut self, keep: bool) -> Self {
        self.keep_changes = keep;
        self
    }
}

impl<D: DecisionSource> DecisionSource for Transformed<D> {
    fn decide(&mut self, record: &Record, target: Option<&Target>) -> anyhow::Result<Decision> {
        self.inner.decide(record, target)
    }

    fn repair(&mut self, record: &Record, to: &Target) -> anyhow::Result<Repaired> {
        // A record whose value a person edited keeps the edit; one whose key alone was
        // edited gets the transform's value too; a tombstone (`-T`) has no value to transform.
        let edited = match self.inner.repair(record, to)? {
            decided if record.value.is_none() => return Ok(decided),
            Repaired::AsIs => None,
            Repaired::Repaired(edit) if edit.value.is_none() => Some(edit),
            decided => return Ok(decided),
        };
        let at = &record.at;
        let previewing = self.preview.is_some() && self.previewed < PREVIEWS;
        self.repairer.keep_changes(self.keep_changes || previewing);
        match self.repairer.transformed(record, &to.topic) {
            Ok(made) => {
                if let Some(out) = &mut self.preview
                    && self.previewed < PREVIEWS
                {
                    self.previewed += 1;
                    writeln!(
                        out,
                        "{}/{} offset {}: repaired by {}",
                        at.topic, at.partition, at.offset, made.repair.by
                    )?;
                    write_changes(out, &made.changes)?;
                }
                Ok(Repaired::Repaired(match edited {
                    Some(edit) => std::sync::Arc::new(made.repair.then(&edit)),
                    None => made.repair,
                }))
            }
            Err(reason) => {
                self.refused += 1;
                if self.preview.is_none() {
                    if self.refused <= NAMED_REFUSALS {
                        tracing::warn!(
                            "{}/{} offset {} is left alone, not repaired: {reason}",
                            at.topic,
                            at.partition,
                            at.offset
                        );
                    } else if self.refused == NAMED_REFUSALS + 1 {
                        tracing::warn!(
                            "more records are left alone, not repaired: --dry-run or --plan names each one's reason"
                        );
                    }
                }
                Ok(Repaired::Refused(reason))
            }
        }
    }

    fn wants_outcomes(&self) -> bool {
        self.inner.wants_outcomes()
    }

    fn told(&mut self, record: &Record, outcome: Outcome<'_>) -> anyhow::Result<()> {
        self.inner.told(record, outcome)
    }
}
