//! Counts of what a run committed, and the summary wording of the original tool.

/// What a run has committed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub merged: u64,
    pub purged: u64,
    pub skipped: u64,
}
