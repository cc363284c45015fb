//! The triage loop: takes each record from a [`RecordSource`], asks a [`DecisionSource`],
//! hands the resulting [`Action`] to an [`ActionSink`] and commits at the points the
//! [`CommitPolicy`] sets. It only counts as done what the sink committed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::record::{Coordinates, Record};
use crate::repair::Repaired;

use self::key_watch::{KeyWatch, describe};
use super::filter::RecordFilter;

use super::{
    Action, ActionSink, Admission, DecisionSource, Gate, Interrupt, LeftAlone, Offsets, Outcome,
    SkipReason, Summary,
};

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

    /// Partitions this source started reading since the last call, each from its offset,
    /// that other instances may have decided records in since the run began (partitions
    /// received from the group): what the DLQ says of them must be read again before their
    /// records are decided.
    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        Vec::new()
    }

    /// After [`RecordSource::next_record`] returned `None`: whether that was a pause, not the
    /// end. A source sharing its partitions with other instances pauses to hand some over, or
    /// to wait until the others are done; the engine commits what it applied first, then calls
    /// [`RecordSource::settle`].
    fn wants_commit(&self) -> bool {
        false
    }

    /// What of `offsets` (a batch's, about to be committed) may be committed, as this source
    /// holds its partitions: never below where the group's offset was, only partitions it
    /// holds now, with what the source commits beside each offset. The sink commits exactly
    /// this. By default, all of it.
    fn approve(&self, offsets: Offsets) -> Offsets {
        offsets
    }

    /// Told that the applied records were committed (`committed`), or that their batch was
    /// aborted because the group refused it ([`BatchAborted`]): hands revoked partitions over,
    /// and after an abort reads again, from the committed offsets, what is still its own.
    ///
    /// # Errors
    /// A source that cannot read records again fails after an abort.
    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        if committed {
            Ok(())
        } else {
            anyhow::bail!("the batch was aborted, and this source cannot read its records again")
        }
    }
}

/// What a sink's commit (or write) fails with when the batch was aborted but may be done
/// again: the consumer group refused the offsets because its partitions moved (a rebalance,
/// or this instance was fenced as a zombie), or the cluster did not acknowledge the batch's
/// records in time (the open transaction then takes no more records). Nothing of the batch
/// counts as done; a source that can read its records again ([`RecordSource::settle`])
/// does, and the run goes on.
#[derive(Debug, thiserror::Error)]
#[error("the batch was aborted before it was committed ({0})")]
pub struct BatchAborted(pub String);

/// A boxed source (the view's passes) is a source.
impl<S: RecordSource + ?Sized> RecordSource for Box<S> {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        (**self).next_record()
    }

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        (**self).take_finished()
    }

    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        (**self).take_rereads()
    }

    fn wants_commit(&self) -> bool {
        (**self).wants_commit()
    }

    fn approve(&self, offsets: Offsets) -> Offsets {
        (**self).approve(offsets)
    }

    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        (**self).settle(committed)
    }
}

/// Watches the run (progress display, printing, audit).
pub trait Observer {
    /// `action` was applied to `record` (not yet committed).
    fn on_action(&mut self, _record: &Record, _action: &Action) -> anyhow::Result<()> {
        Ok(())
    }
    /// [`Observer::on_action`], handed the record to keep: the engine is done with it. An
    /// observer that works on records elsewhere (another thread) takes them without a copy.
    fn take_action(&mut self, record: Record, action: Action) -> anyhow::Result<()> {
        self.on_action(&record, &action)
    }
    /// What was applied so far is about to be committed: whatever the observer still holds
    /// of it must be done first (printed records written out), or the commit must not happen.
    fn before_commit(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
    /// Everything applied so far is committed; `total` counts it. An error ends the run (the
    /// commit stands: the error says what the observer could not record).
    fn on_commit(&mut self, _total: &Summary) -> anyhow::Result<()> {
        Ok(())
    }
    /// What was applied since the last commit was aborted: it never happened (its records
    /// are read again, or left to the instance that took their partition).
    fn on_abort(&mut self) {}
    /// `record` did not match the filters and is left alone.
    fn on_left_out(&mut self, _record: &Record) {}
    /// `record` matched the filters but is left alone, for `why`.
    fn on_left_alone(&mut self, _record: &Record, _why: &LeftAlone) -> anyhow::Result<()> {
        Ok(())
    }
    /// Something the person running the tool should know (shown once per occurrence).
    fn on_warning(&mut self, warning: &str) {
        tracing::warn!("{warning}");
    }
}

/// No observation at all.
impl Observer for () {}

/// Several observers, told in order.
#[derive(Default)]
pub struct Observers<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Observers<'_> {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|observer| observer.on_action(record, action))
    }
    fn before_commit(&mut self) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|observer| observer.before_commit())
    }
    fn on_commit(&mut self, total: &Summary) -> anyhow::Result<()> {
        // Every observer hears of the commit, even when one fails.
        let mut first_error = None;
        for observer in &mut self.0 {
            if let Err(error) = observer.on_commit(total) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
    fn on_abort(&mut self) {
        for observer in &mut self.0 {
            observer.on_abort();
        }
    }
    fn on_left_out(&mut self, record: &Record) {
        for observer in &mut self.0 {
            observer.on_left_out(record);
        }
    }
    fn on_left_alone(&mut self, record: &Record, why: &LeftAlone) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|observer| observer.on_left_alone(record, why))
    }
    fn on_warning(&mut self, warning: &str) {
        // Shown once, by the first observer that shows warnings.
        match self.0.first_mut() {
            Some(first) => first.on_warning(warning),
            None => tracing::warn!("{warning}"),
        }
    }
}

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
    /// Stop after this many matching records (`--limit`).
    pub limit: Option<u64>,
    /// Warn when a tombstone's key is also the key of a record left in the source: log
    /// compaction would remove that record too.
    pub watch_keys: bool,
    /// A decision on a null-key record leaves no marker (the DLQ is compacted): only the
    /// group's committed offset can record it, so such a record after one left alone in its
    /// partition is left alone too ([`LeftAlone::Unrecordable`]).
    pub unmarked_null_keys: bool,
}

impl EngineOptions {
    /// Options with no limit and no key watching, for a compacted DLQ.
    #[must_use]
    pub fn new(merge_tombstones: bool, policy: CommitPolicy) -> Self {
        Self {
            merge_tombstones,
            policy,
            limit: None,
            watch_keys: false,
            unmarked_null_keys: true,
        }
    }
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
    pub filter: &'a mut dyn RecordFilter,
    /// What is settled before the decision: pending, left alone, duplicates, destinations.
    pub gate: &'a mut dyn Gate,
    pub interrupt: Interrupt,
    pub options: EngineOptions,
}

/// How many batches in a row may be aborted before the run ends with the last cause.
pub const ABORT_BUDGET: u32 = 5;

/// What has been applied but not committed yet.
#[derive(Default)]
struct Batch {
    counts: Summary,
    offsets: Offsets,
    records: usize,
    started: Option<Instant>,
    /// The records this batch writes (merges, purges): decided once it is committed.
    writes: Vec<Coordinates>,
}

impl Batch {
    fn add(&mut self, record: &Record, action: &Action, frozen: &BTreeMap<i32, i64>) {
        self.counts.count(record, action);
        if !frozen.contains_key(&record.at.partition) {
            self.offsets
                .processed(record.at.partition, record.at.offset);
        }
        if action.writes() {
            self.writes.push(record.at.clone());
        }
        self.records += 1;
        self.started.get_or_insert_with(Instant::now);
    }
}

/// When the batch is committed: the policy, made smaller by each aborted batch (a batch that
/// keeps failing is not retried whole) and grown back by each commit, and how many batches
/// were aborted in a row.
struct Pace {
    policy: CommitPolicy,
    /// The policy of the run, which a commit grows the smaller one back to.
    full: CommitPolicy,
    aborts_in_a_row: u32,
}

impl Pace {
    fn is_due(&self, batch: &Batch) -> bool {
        match self.policy {
            CommitPolicy::EachRecord => batch.records > 0,
            CommitPolicy::Batch {
                max_records,
                max_age,
            } => {
                batch.records >= max_records
                    || batch.started.is_some_and(|at| at.elapsed() >= max_age)
            }
        }
    }

    /// A batch was aborted: the next ones are half as big (and old), down to one record.
    /// `Err` with the count when the budget is spent.
    fn aborted(&mut self) -> Result<(), u32> {
        self.aborts_in_a_row += 1;
        if let CommitPolicy::Batch {
            max_records,
            max_age,
        } = &mut self.policy
        {
            *max_records = (*max_records / 2).max(1);
            *max_age /= 2;
        }
        if self.aborts_in_a_row >= ABORT_BUDGET {
            Err(self.aborts_in_a_row)
        } else {
            Ok(())
        }
    }

    /// A batch was committed: the next may be twice as big again, up to the run's policy.
    fn committed(&mut self) {
        self.aborts_in_a_row = 0;
        if let (
            CommitPolicy::Batch {
                max_records,
                max_age,
            },
            CommitPolicy::Batch {
                max_records: full_records,
                max_age: full_age,
            },
        ) = (&mut self.policy, self.full)
        {
            *max_records = max_records.saturating_mul(2).min(full_records);
            *max_age = max_age.saturating_mul(2).min(full_age);
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
            filter,
            gate,
            interrupt,
            options,
        } = self;
        let mut committed = Summary::default();
        let mut batch = Batch::default();
        let mut pace = Pace {
            policy: options.policy,
            full: options.policy,
            aborts_in_a_row: 0,
        };
        // Partitions with a record left alone: their offsets stay before it.
        let mut frozen: BTreeMap<i32, i64> = BTreeMap::new();
        let mut keys = KeyWatch::default();
        let mut matched: u64 = 0;
        // The prompt says what became of each record once it is committed.
        let tell = decisions.wants_outcomes();

        macro_rules! fail {
            ($error:expr) => {
                return Err(abandon(sink, committed, Some($error)))
            };
        }
        macro_rules! attempt {
            ($result:expr) => {
                match $result {
                    Ok(value) => value,
                    Err(error) => fail!(error),
                }
            };
        }
        // Commits the batch: `true` when committed, `false` when the group refused it.
        macro_rules! commit_batch {
            () => {
                commit(
                    source,
                    sink,
                    &mut batch,
                    &mut committed,
                    observer,
                    gate,
                    &mut pace,
                )?
            };
        }
        // Commits the batch; when the group refused it, the source reads its records again.
        macro_rules! commit {
            () => {{
                let committed = commit_batch!();
                if !committed {
                    // Read again from the committed offsets: what holds them back is met
                    // again.
                    frozen.clear();
                    attempt!(source.settle(false));
                }
                committed
            }};
        }

        // Leaves the record alone: its partition's offset stays before it.
        macro_rules! leave_alone {
            ($record:ident, $why:expr) => {{
                let why = $why;
                let record = $record;
                // Below the group's offset, which never moves back, holding the partition
                // there would only keep the records after it from moving it.
                if why != LeftAlone::BelowTheGroupsOffset {
                    frozen
                        .entry(record.at.partition)
                        .or_insert(record.at.offset);
                }
                batch.counts.left(&why);
                if options.watch_keys
                    && let Some(warning) = keys.kept(&record)
                {
                    observer.on_warning(&warning);
                }
                attempt!(observer.on_left_alone(&record, &why));
                if tell {
                    attempt!(decisions.told(&record, Outcome::LeftAlone(&why)));
                }
                continue;
            }};
        }

        loop {
            if interrupt.is_raised() {
                return Err(abandon(sink, committed, None));
            }
            if options.limit.is_some_and(|limit| matched >= limit) {
                break;
            }
            let next = source.next_record();
            let rereads = source.take_rereads();
            if !rereads.is_empty() {
                for (partition, _) in &rereads {
                    frozen.remove(partition);
                }
                attempt!(gate.reread(&rereads));
            }
            for (partition, end) in source.take_finished() {
                match frozen.get(&partition) {
                    Some(&at) => batch.offsets.held(partition, at, end),
                    None => batch.offsets.reached(partition, end),
                }
            }
            let Some(record) = attempt!(next) else {
                if source.wants_commit() {
                    if commit!() {
                        attempt!(source.settle(true));
                    }
                    continue;
                }
                if interrupt.is_raised() {
                    return Err(abandon(sink, committed, None));
                }
                if commit!() {
                    break;
                }
                continue;
            };
            // A tombstone a writing run passes over (a decision's marker among them) is not
            // offered whatever the filters say: failing them must not hold the offset back.
            // A share group's pointer whose record could not be read is no tombstone: it is
            // left alone (by the gate), with the reason.
            let tombstone = record.is_tombstone() && !record.is_share_pointer();
            let passed_over = tombstone && !options.merge_tombstones;
            let matches = filter.matches(&record);
            if !passed_over && !matches {
                frozen
                    .entry(record.at.partition)
                    .or_insert(record.at.offset);
                batch.counts.left_out += 1;
                if options.watch_keys
                    && let Some(warning) = keys.kept(&record)
                {
                    observer.on_warning(&warning);
                }
                observer.on_left_out(&record);
                continue;
            }
            if matches {
                matched += 1;
            }
            // A marker of a decision is what a decision left behind: never offered, `-T` or not.
            let action =
                if tombstone && (!options.merge_tombstones || record.marked_offset().is_some()) {
                    Action::Skip {
                        reason: SkipReason::ExistingTombstone,
                    }
                } else {
                    match attempt!(gate.admit(&record)) {
                        Admission::AlreadyDecided => Action::Skip {
                            reason: SkipReason::AlreadyDecided,
                        },
                        Admission::Undecided => {
                            frozen
                                .entry(record.at.partition)
                                .or_insert(record.at.offset);
                            // It stays: a tombstone of its key would take it too.
                            if options.watch_keys
                                && let Some(warning) = keys.kept(&record)
                            {
                                observer.on_warning(&warning);
                            }
                            continue;
                        }
                        Admission::LeaveAlone(why) => leave_alone!(record, why),
                        Admission::Duplicate { of } => {
                            batch.counts.duplicates += 1;
                            if tell {
                                attempt!(decisions.told(&record, Outcome::Duplicate { of: &of }));
                            }
                            Action::Purge
                        }
                        Admission::Decide { target } => {
                            let decision = attempt!(decisions.decide(&record, target.as_ref()));
                            let action = match attempt!(Action::for_decision(
                                decision,
                                &record,
                                target.as_ref()
                            )) {
                                // Where a keyless marker can be written, a null key can be purged.
                                Some(Action::Skip {
                                    reason: SkipReason::NullKey,
                                }) if !options.unmarked_null_keys => Action::Purge,
                                Some(action) => action,
                                None => break,
                            };
                            // A merge of what was merged already (a share group's pointer to a
                            // record another pointer sent back) only purges it.
                            match gate.revise(&record, &action) {
                                Some(of) => {
                                    batch.counts.duplicates += 1;
                                    if tell {
                                        attempt!(
                                            decisions.told(&record, Outcome::Duplicate { of: &of })
                                        );
                                    }
                                    Action::Purge
                                }
                                None => action,
                            }
                        }
                    }
                };
            if options.unmarked_null_keys
                && action.writes()
                && record.own_key().is_none()
                && frozen.contains_key(&record.at.partition)
            {
                // Its partition is held already (that is why).
                let why = LeftAlone::Unrecordable;
                batch.counts.left(&why);
                attempt!(observer.on_left_alone(&record, &why));
                if tell {
                    attempt!(decisions.told(&record, Outcome::LeftAlone(&why)));
                }
                continue;
            }
            // What a merge writes: an edit, a transform, or nothing when its repair was
            // refused. Asked last, once nothing else leaves the record alone or purges it.
            let action = match action {
                Action::Merge { tombstone, to, .. } => {
                    let repair = match attempt!(decisions.repair(&record, &to)) {
                        Repaired::AsIs => None,
                        Repaired::Repaired(repair) => Some(repair),
                        Repaired::Refused(reason) => {
                            leave_alone!(record, LeftAlone::RepairRefused { reason })
                        }
                    };
                    Action::Merge {
                        tombstone,
                        to,
                        repair,
                    }
                }
                action => action,
            };
            let untombstonable = match &action {
                // A share group's pointer never has a key: nothing to warn of.
                Action::Merge { .. } => {
                    record.own_key().is_none()
                        && !record.is_tombstone()
                        && record.read_from.is_none()
                }
                Action::Skip { reason } => *reason == SkipReason::NullKey,
                Action::Purge => false,
            };
            if untombstonable {
                observer.on_warning(&format!(
                    "the record at {} has a null key: it cannot be tombstoned and stays in {}",
                    describe(&record),
                    record.at.topic
                ));
            }
            if options.watch_keys {
                let warning = if action.tombstones(&record) {
                    keys.tombstoned(&record)
                } else if matches!(
                    action,
                    Action::Skip {
                        reason: SkipReason::Decided
                    }
                ) {
                    keys.kept(&record)
                } else {
                    None
                };
                if let Some(warning) = warning {
                    observer.on_warning(&warning);
                }
            }
            if let Err(error) = sink.apply(&record, &action) {
                // A transaction that failed while the record was queued: like a refused
                // commit, the batch and this record are read again.
                drop_batch(sink, &mut batch, &committed, error, observer, &mut pace)?;
                gate.aborted();
                frozen.clear();
                attempt!(source.settle(false));
                continue;
            }
            gate.decided(&record, &action);
            batch.add(&record, &action, &frozen);
            if tell {
                attempt!(observer.on_action(&record, &action));
                if pace.is_due(&batch) {
                    commit!();
                }
                attempt!(decisions.told(&record, Outcome::Done(&action)));
            } else {
                attempt!(observer.take_action(record, action));
                if pace.is_due(&batch) {
                    commit!();
                }
            }
        }

        // Ended by `--limit` or a quit.
        if interrupt.is_raised() {
            return Err(abandon(sink, committed, None));
        }
        if !commit_batch!() {
            // The last batch was aborted: its records are not done, and this run cannot
            // read them again (a quit or --limit ended it).
            return Err(RunError::Failed {
                source: anyhow::anyhow!(
                    "the last batch was aborted before it was committed: run again to decide its records"
                ),
                committed,
            });
        }
        Ok(committed)
    }
}

/// Commits the batch: `Ok(true)` when it is committed, `Ok(false)` when the consumer group
/// refused it ([`BatchAborted`]) and it was aborted (its records must be read again).
fn commit(
    source: &dyn RecordSource,
    sink: &mut dyn ActionSink,
    batch: &mut Batch,
    committed: &mut Summary,
    observer: &mut dyn Observer,
    gate: &mut dyn Gate,
    pace: &mut Pace,
) -> Result<bool, RunError> {
    if batch.records == 0 && batch.offsets.is_empty() {
        // Nothing to write or commit; records left alone are still counted.
        committed.add(&batch.counts);
        batch.counts = Summary::default();
        return Ok(true);
    }
    if let Err(error) = observer.before_commit() {
        return Err(abandon(sink, committed.clone(), Some(error)));
    }
    let offsets = source.approve(batch.offsets.clone());
    if let Err(error) = sink.commit(&offsets) {
        drop_batch(sink, batch, committed, error, observer, pace)?;
        gate.aborted();
        return Ok(false);
    }
    pace.committed();
    for at in &batch.writes {
        gate.committed(at);
    }
    committed.add(&batch.counts);
    *batch = Batch::default();
    if let Err(error) = observer.on_commit(committed) {
        return Err(RunError::Failed {
            source: error,
            committed: committed.clone(),
        });
    }
    Ok(true)
}

/// After `error` from the sink: when it is [`BatchAborted`], aborts and forgets the batch
/// (its records are read again, or left to the instance that took their partition);
/// otherwise the run ends.
fn drop_batch(
    sink: &mut dyn ActionSink,
    batch: &mut Batch,
    committed: &Summary,
    error: anyhow::Error,
    observer: &mut dyn Observer,
    pace: &mut Pace,
) -> Result<(), RunError> {
    let Some(why) = error.chain().find_map(|e| e.downcast_ref::<BatchAborted>()) else {
        return Err(abandon(sink, committed.clone(), Some(error)));
    };
    if let Err(abort) = sink.abort() {
        return Err(RunError::Failed {
            source: error.context(format!("and aborting failed too: {abort:#}")),
            committed: committed.clone(),
        });
    }
    observer.on_abort();
    if let Err(count) = pace.aborted() {
        return Err(RunError::Failed {
            source: error.context(format!(
                "{count} batches in a row were aborted; giving up (the last one's records are not written)"
            )),
            committed: committed.clone(),
        });
    }
    tracing::warn!(
        "{why}: {} record(s) of this batch are read again or left to the instance that took their partition (abort {} of at most {ABORT_BUDGET} in a row; batches are now smaller)",
        batch.records,
        pace.aborts_in_a_row
    );
    *batch = Batch::default();
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

mod key_watch;

#[cfg(test)]
mod tests;
