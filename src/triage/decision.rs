//! What a person (or a bulk command, or a test script) decides for one record.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::record::Record;

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

/// Where decisions come from: the interactive prompt, a bulk command, a test script.
pub trait DecisionSource {
    /// Decides what to do with `record`.
    ///
    /// # Errors
    /// When the source cannot answer (for example the terminal went away).
    fn decide(&mut self, record: &Record) -> anyhow::Result<Decision>;
}

/// The same decision for every record (`merge-all`, `purge-all`, `print`).
#[derive(Debug, Clone, Copy)]
pub struct Always(pub Decision);

impl DecisionSource for Always {
    fn decide(&mut self, _record: &Record) -> anyhow::Result<Decision> {
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
    fn decide(&mut self, _record: &Record) -> anyhow::Result<Decision> {
        Ok(self.decisions.pop_front().unwrap_or(Decision::Quit))
    }
}
