//! The triage loop: takes each record from a [`RecordSource`], asks a [`DecisionSource`],
//! hands the resulting [`Action`] to an [`ActionSink`] and commits at the points the
//! [`CommitPolicy`] sets. It only counts as done what the sink committed.

use std::time::{Duration, Instant};

use crate::record::Record;

use super::{Action, ActionSink, DecisionSource, Interrupt, Offsets, SkipReason, Summary};

/// Where records come from, in offset order within each partition.
pub trait RecordSource {
    /// The next record, or `None` when the source is exhausted (its end was reached).
    ///
    /// # Errors
    /// When records cannot be read (broker gone, topic deleted, ...).
    fn next_record(&mut self) -> anyhow::Result<Option<Record>>;

    /// Partitions read to their end since the last call, with the offset to commit for each
    /// (past transaction markers and aborted records, which are never delivered). Only
    /// partitions whose every delivered record was already returned may be listed.
    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        Vec::new()
    }
}

/// Watches the run (progress display, printing, audit).
pub trait Observer {
    /// `action` was applied to `record` (not yet committed).
    fn on_action(&mut self, _record: &Record, _action: Action) -> anyhow::Result<()> {
        Ok(())
    }
    /// Everything applied so far is committed; `total` counts it.
    fn on_commit(&mut self, _total: &Summary) {}
}

/// No observation at all.
impl Observer for () {}

/// When the engine commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitPolicy {
    /// After every record (`ask`: no transaction waits on a person).
    EachRecord,
    /// After `max_records` records or when the oldest uncommitted one is `max_age` old.
    Batch {
        max_records: usize,
        max_age: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// Offer tombstones found in the source to the decision source (`-T`); without it they
    /// are passed over.
    pub merge_tombstones: bool,
    pub policy: CommitPolicy,
}

/// How a run ended when it did not finish; both carry what was committed before.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{source:#}")]
    Failed {
        source: anyhow::Error,
        committed: Summary,
    },
    #[error("interrupted")]
    Interrupted { committed: Summary },
}

/// One run of the triage loop.
pub struct Engine<'a> {
    pub source: &'a mut dyn RecordSource,
    pub decisions: &'a mut dyn DecisionSource,
    pub sink: &'a mut dyn ActionSink,
    pub observer: &'a mut dyn Observer,
    pub interrupt: Interrupt,
    pub options: EngineOptions,
}

/// What has been applied but not committed yet.
#[derive(Default)]
struct Batch {
    counts: Summary,
    offsets: Offsets,
    records: usize,
    started: Option<Instant>,
}

impl Batch {
    fn add(&mut self, record: &Record, action: Action) {
        self.counts.count(record, action);
        self.offsets
            .processed(record.at.partition, record.at.offset);
        self.records += 1;
        self.started.get_or_insert_with(Instant::now);
    }

    fn is_due(&self, policy: CommitPolicy) -> bool {
        match policy {
            CommitPolicy::EachRecord => self.records > 0,
            CommitPolicy::Batch {
                max_records,
                max_age,
            } => {
                self.records >= max_records
                    || self.started.is_some_and(|at| at.elapsed() >= max_age)
            }
        }
    }
}

impl Engine<'_> {
    /// Runs until the source is exhausted, a decision says quit, an error, or an interrupt.
    ///
    /// # Errors
    /// [`RunError::Failed`] or [`RunError::Interrupted`], with the committed counts.
    pub fn run(self) -> Result<Summary, RunError> {
        let Self {
            source,
            decisions,
            sink,
            observer,
            interrupt,
            options,
        } = self;
        let mut committed = Summary::default();
        let mut batch = Batch::default();

        loop {
            if interrupt.is_raised() {
                return Err(abandon(sink, committed, None));
            }
            let next = source.next_record();
            for (partition, end) in source.take_finished() {
                batch.offsets.reached(partition, end);
            }
            let record = match next {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(error) => return Err(abandon(sink, committed, Some(error))),
            };
            let decision = if record.is_tombstone() && !options.merge_tombstones {
                None
            } else {
                match decisions.decide(&record) {
                    Ok(decision) => Some(decision),
                    Err(error) => return Err(abandon(sink, committed, Some(error))),
                }
            };
            let action = match decision {
                None => Action::Skip {
                    reason: SkipReason::ExistingTombstone,
                },
                Some(decision) => match Action::for_decision(decision, &record) {
                    Some(action) => action,
                    None => break,
                },
            };
            if let Err(error) = sink.apply(&record, action) {
                return Err(abandon(sink, committed, Some(error)));
            }
            batch.add(&record, action);
            if let Err(error) = observer.on_action(&record, action) {
                return Err(abandon(sink, committed, Some(error)));
            }
            if batch.is_due(options.policy) {
                commit(sink, &mut batch, &mut committed, observer)?;
            }
        }

        if interrupt.is_raised() {
            return Err(abandon(sink, committed, None));
        }
        commit(sink, &mut batch, &mut committed, observer)?;
        Ok(committed)
    }
}

fn commit(
    sink: &mut dyn ActionSink,
    batch: &mut Batch,
    committed: &mut Summary,
    observer: &mut dyn Observer,
) -> Result<(), RunError> {
    if batch.records == 0 && batch.offsets.is_empty() {
        return Ok(());
    }
    if let Err(error) = sink.commit(&batch.offsets) {
        return Err(abandon(sink, *committed, Some(error)));
    }
    committed.add(&batch.counts);
    *batch = Batch::default();
    observer.on_commit(committed);
    Ok(())
}

/// Abandons the uncommitted batch and says how the run ended.
fn abandon(
    sink: &mut dyn ActionSink,
    committed: Summary,
    error: Option<anyhow::Error>,
) -> RunError {
    let aborted = sink.abort();
    match (error, aborted) {
        (Some(source), Ok(())) => RunError::Failed { source, committed },
        (Some(source), Err(abort)) => RunError::Failed {
            source: source.context(format!("and aborting failed too: {abort:#}")),
            committed,
        },
        (None, Ok(())) => RunError::Interrupted { committed },
        (None, Err(abort)) => RunError::Failed {
            source: abort.context("interrupted, and aborting the open transaction failed"),
            committed,
        },
    }
}

#[cfg(test)]
mod tests;
