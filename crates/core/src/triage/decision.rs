//! What a person (or a bulk command, or a test script) decides for one record.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::record::{Coordinates, Record};
use crate::repair::Repaired;

use super::{Action, LeftAlone, Target};

/// The answer for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Copy the record into the destination topic, then tombstone it in the source.
    Merge,
    /// Only tombstone it in the source.
    Purge,
    /// Leave it where it is.
    Skip,
    /// Stop here: commit what was decided so far and end the run.
    Quit,
}

/// What became of a record, told to the decision source (the prompt says it in one line).
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The decision was carried out and committed.
    Done(&'a Action),
    /// The record was not offered: it is left alone.
    LeftAlone(&'a LeftAlone),
    /// The record was not offered: it duplicates the record at `of`, and is purged.
    Duplicate { of: &'a Coordinates },
}

/// Where decisions come from: the interactive prompt, a bulk command, a test script.
pub trait DecisionSource {
    /// Decides what to do with `record`; a merge would go to `target` (`None`: no merge).
    ///
    /// # Errors
    /// When the source cannot answer (for example the terminal went away).
    fn decide(&mut self, record: &Record, target: Option<&Target>) -> anyhow::Result<Decision>;

    /// What a merge of `record` into `to`, just decided, writes: the record as it is, a repair
    /// of it (an edit, a transform), or nothing because its repair was refused.
    ///
    /// # Errors
    /// When the source cannot answer.
    fn repair(&mut self, _record: &Record, _to: &Target) -> anyhow::Result<Repaired> {
        Ok(Repaired::AsIs)
    }

    /// Whether this source wants to be [`told`](Self::told) outcomes.
    fn wants_outcomes(&self) -> bool {
        false
    }

    /// Tells what became of `record`.
    ///
    /// # Errors
    /// When it cannot be told (the terminal went away).
    fn told(&mut self, _record: &Record, _outcome: Outcome<'_>) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The same decision for every record (`merge-all`, `purge-all`, `print`).
#[derive(Debug, Clone, Copy)]
pub struct Always(pub Decision);

impl DecisionSource for Always {
    fn decide(&mut self, _record: &Record, _target: Option<&Target>) -> anyhow::Result<Decision> {
        Ok(self.0)
    }
}

/// A fixed list of decisions, then [`Decision::Quit`] (tests, and later plan files).
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    decisions: VecDeque<Decision>,
}

impl Scripted {
    #[must_use]
    pub fn new(decisions: impl IntoIterator<Item = Decision>) -> Self {
        Self {
            decisions: decisions.into_iter().collect(),
        }
    }
}

impl DecisionSource for Scripted {
    fn decide(&mut self, _record: &Record, _target: Option<&Target>) -> anyhow::Result<Decision> {
        Ok(self.decisions.pop_front().unwrap_or(Decision::Quit))
    }
}
