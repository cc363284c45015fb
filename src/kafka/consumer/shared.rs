//! A source shared by several bulk instances in one consumer group (issue 20): subscribed
//! instead of assigned, it reads the partitions the group gives it, each to the end this job
//! set for it, hands partitions over only after the engine committed what it applied, and
//! ends once every partition of the topic is done by some instance of the job.
//!
//! The instances agree through the group's committed offsets: each commit carries, in the
//! offset's metadata, the partition's end (and, for a partition whose offset is held at a
//! record left alone, how far it was read). The instance that receives a partition with
//! nothing in progress sets its end (and commits it at once, so that the others know there is
//! work); whoever gets it next keeps that end. A partition is done when its committed offset,
//! or how far it was read, reached its end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::record::Record;
use crate::triage::{Interrupt, Offsets};

use super::super::client::{Context, GroupEvent};
use super::super::group::{self, MemberTag};
use super::{POLL_SLICE, Range, SourceConsumer, Unsettled, coordinator_retry};

/// How often an instance whose partitions are done looks whether the others are.
const DONE_CHECK: Duration = Duration::from_secs(1);

/// Fences the producer of an instance of the job, named by its instance id, that left the
/// group: initializing its transactional id aborts the transaction it may have left open.
pub type FenceDeparted = Box<dyn Fn(&str) + Send>;

/// What the source and its committers share: per partition its end, the committed offset
/// when it was received (commits never go below it) and whether this member holds it now.
#[derive(Debug, Default)]
pub(in crate::kafka) struct Share {
    ends: BTreeMap<i32, i64>,
    floors: BTreeMap<i32, i64>,
    /// Where reading began, for partitions the group had no committed offset for.
    starts: BTreeMap<i32, i64>,
    owned: BTreeSet<i32>,
}

/// A committed offset's metadata, as the instances write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    end: i64,
    /// How far a partition held at a record left alone was read.
    read: Option<i64>,
    /// When it was committed (epoch ms; `None` in marks of versions before it was written).
    at: Option<i64>,
}

const MARK_PREFIX: &str = "kafka-merge-purge";

impl Mark {
    fn render(&self) -> String {
        let mut text = format!("{MARK_PREFIX} end={}", self.end);
        if let Some(read) = self.read {
            text.push_str(&format!(" read={read}"));
        }
        if let Some(at) = self.at {
            text.push_str(&format!(" at={at}"));
        }
        text
    }

    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        if words.next()? != MARK_PREFIX {
            return None;
        }
        let (mut end, mut read, mut at) = (None, None, None);
        for word in words {
            match word.split_once('=')? {
                ("end", value) => end = value.parse().ok(),
                ("read", value) => read = value.parse().ok(),
                ("at", value) => at = value.parse().ok(),
                _ => {}
            }
        }
        Some(Self {
            end: end?,
            read,
            at,
        })
    }

    /// Whether the partition committed at `offset` with this mark is done.
    fn done(&self, offset: Option<i64>) -> bool {
        offset.is_some_and(|offset| offset >= self.end) || self.read >= Some(self.end)
    }
}

/// A partition is done when its committed offset, or how far it was read past a record left
/// alone, reached the end its mark set; a partition without a mark is not.
fn done(offset: Option<i64>, metadata: &str) -> bool {
    Mark::parse(metadata).is_some_and(|mark| mark.done(offset))
}

impl Share {
    /// The offsets to commit as a librdkafka list with the job's marks: only partitions this
    /// member holds, never below what was committed when it received them.
    pub(in crate::kafka) fn list(
        &self,
        topic: &str,
        offsets: &Offsets,
    ) -> anyhow::Result<TopicPartitionList> {
        let mut list = TopicPartitionList::new();
        let mut add = |partition: i32, offset: i64, read: Option<i64>| -> anyhow::Result<()> {
            let (Some(&end), true) = (self.ends.get(&partition), self.owned.contains(&partition))
            else {
                return Ok(());
            };
            match self.floors.get(&partition) {
                Some(&floor) if offset < floor => return Ok(()),
                // Nothing was done in a partition the group had no offset for: it keeps
                // none (as a run alone leaves it).
                None if self
                    .starts
                    .get(&partition)
                    .is_some_and(|&start| offset <= start) =>
                {
                    return Ok(());
                }
                _ => {}
            }
            let mark = Mark {
                end,
                read,
                at: Some(now_ms()),
            };
            list.add_partition_offset(topic, partition, Offset::Offset(offset))?;
            if let Some(mut element) = list.find_partition(topic, partition) {
                element.set_metadata(mark.render());
            }
            Ok(())
        };
        for (partition, next) in offsets.iter() {
            if offsets.held_back().all(|(held, _)| held != partition) {
                add(partition, next, None)?;
            }
        }
        for (partition, held) in offsets.held_back() {
            let at = offsets
                .get(partition)
                .map_or(held.at, |next| next.max(held.at));
            add(partition, at, Some(held.end))?;
        }
        Ok(list)
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn lock(share: &Mutex<Share>) -> std::sync::MutexGuard<'_, Share> {
    share.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The group side of a shared source.
pub(super) struct Membership {
    pub(super) share: Arc<Mutex<Share>>,
    me: MemberTag,
    group: String,
    /// Every partition of the topic.
    all: Vec<i32>,
    /// Partitions revoked, handed over once the engine committed.
    pub(super) revoking: Vec<i32>,
    /// Rebalances taken from librdkafka but not carried out (receiving the partitions
    /// failed): carried out when the member leaves.
    pub(super) untaken: Vec<GroupEvent>,
    /// Waiting for the engine to commit (a hand-over, or this member's partitions are done).
    pausing: bool,
    /// This member's partitions are done and committed: it waits for the others.
    idle: bool,
    /// Every partition is done by some instance.
    done: bool,
    checked: Option<Instant>,
    /// Since when asking whether every partition is done has failed, in a row.
    unanswered: Option<Instant>,
    /// The group's members were checked once this member was in.
    joined: bool,
    /// Records left before this instance read anything, for the progress display.
    pub(super) estimate: u64,
    /// When it joined.
    since: Instant,
    /// Partitions this member read to their end (or found nothing to read in) in this run:
    /// done, whatever the group's offsets say.
    pub(super) finished_here: BTreeSet<i32>,
    /// Ends set by other instances are kept: this member joined a running job, or has
    /// received partitions before (from this job).
    adopt_ends: bool,
    /// The job's other instances in the group at the last rebalance.
    job: BTreeSet<String>,
    /// How an instance that left the group is fenced (`None`: its transactional id is not
    /// known here).
    fence: Option<FenceDeparted>,
}

impl SourceConsumer {
    /// Joins the group of `settings` on `topic` as `me`, to share the partitions with the
    /// other instances; `running` when bulk instances were at work in it already (their job
    /// is joined: the ends they set are kept), else a new job begins (each partition's end is
    /// where it is now, whatever an earlier run that did not finish set).
    ///
    /// # Errors
    /// Cluster unreachable, unknown topic, offsets not readable.
    pub fn join(
        settings: &Settings,
        topic: &str,
        me: MemberTag,
        running: bool,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let group = settings
            .group
            .clone()
            .context("sharing a topic needs a consumer group")?;
        let consumer: BaseConsumer<Context> = group::member_config(settings, &me)
            .create_with_context(Context::deferring(&settings.consumer))
            .context("cannot create the Kafka consumer")?;
        let mut source = Self::with_consumer(consumer, settings, topic, interrupt);
        let partitions = source.partitions()?;
        // What is left for the group now, for the progress display only.
        let estimate = source.snapshot(&partitions, true, &super::Start::Committed)?;
        source.floor = Arc::default();
        source
            .consumer
            .subscribe(&[topic])
            .with_context(|| format!("cannot join consumer group {group}"))?;
        tracing::info!("sharing {topic} with the other instances in consumer group {group}");
        source.membership = Some(Membership {
            share: Arc::new(Mutex::default()),
            me,
            group,
            all: partitions,
            revoking: Vec::new(),
            untaken: Vec::new(),
            pausing: false,
            idle: false,
            done: false,
            checked: None,
            unanswered: None,
            joined: false,
            estimate: estimate.values().map(Range::len).sum(),
            since: Instant::now(),
            finished_here: BTreeSet::new(),
            adopt_ends: running,
            job: BTreeSet::new(),
            fence: None,
        });
        Ok(source)
    }

    /// Fences, with `fence`, each instance of the job that leaves the group while this one is
    /// in it (see [`Self::look_at_members`]).
    pub fn fence_departed_with(&mut self, fence: FenceDeparted) {
        if let Some(member) = self.membership.as_mut() {
            member.fence = Some(fence);
        }
    }

    /// [`RecordSource::next_record`] of a shared source.
    pub(super) fn next_shared(&mut self) -> anyhow::Result<Option<Record>> {
        let consumer = Arc::clone(&self.consumer);
        let mut waiting_since: Option<Instant> = None;
        loop {
            if self.interrupt.is_raised() {
                return Ok(None);
            }
            self.carry_out_rebalances()?;
            let Some(member) = self.membership.as_mut() else {
                return Ok(None);
            };
            if member.done {
                return Ok(None);
            }
            if !member.revoking.is_empty()
                || (self.open.is_empty() && !member.idle && member.joined)
            {
                member.pausing = true;
                return Ok(None);
            }
            if !member.joined && member.since.elapsed() >= self.timeout {
                bail!(
                    "consumer group {} gave this instance no partitions of {} within {} s{}",
                    member.group,
                    self.topic,
                    self.timeout.as_secs(),
                    self.consumer.context().reason()
                );
            }
            if self.open.is_empty() {
                // Done here, or not yet given anything: stay in the group (it may hand this
                // member more) and look whether the others are done.
                if let Some(Err(error)) = consumer.poll(POLL_SLICE) {
                    tracing::debug!(%error, "while waiting for the other instances");
                }
                if member.idle && member.checked.is_none_or(|at| at.elapsed() >= DONE_CHECK) {
                    member.checked = Some(Instant::now());
                    match self.all_done() {
                        Ok(true) => {
                            if let Some(member) = self.membership.as_mut() {
                                member.done = true;
                            }
                            return Ok(None);
                        }
                        Ok(false) => {
                            if let Some(member) = self.membership.as_mut() {
                                member.unanswered = None;
                            }
                        }
                        // Nothing of this member's is open: a cluster that does not answer
                        // for a while (a broker paused, a coordinator moving) is waited for,
                        // for a few timeouts, before the run fails.
                        Err(error) => {
                            let timeout = self.timeout;
                            let Some(member) = self.membership.as_mut() else {
                                return Err(error);
                            };
                            let since = *member.unanswered.get_or_insert_with(Instant::now);
                            if since.elapsed() >= 3 * timeout {
                                return Err(error);
                            }
                            tracing::warn!(
                                "waiting for the other instances: {error:#}; asking again"
                            );
                        }
                    }
                }
                continue;
            }
            let Some(polled) = consumer.poll(POLL_SLICE) else {
                let since = *waiting_since.get_or_insert_with(Instant::now);
                self.fail_after_timeout(since)?;
                continue;
            };
            if let Some(record) = self.take_polled(polled, &mut waiting_since)? {
                return Ok(Some(record));
            }
        }
    }

    /// Whether the engine must commit before asking again.
    pub(super) fn pausing(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|member| member.pausing)
    }

    /// After the engine committed (`committed`) or aborted: hands revoked partitions over; after
    /// an abort, reads what is still this member's again from the committed offsets.
    pub(super) fn settle_shared(&mut self, committed: bool) -> anyhow::Result<()> {
        let Some(member) = self.membership.as_mut() else {
            return Ok(());
        };
        member.pausing = false;
        let revoked = std::mem::take(&mut member.revoking);
        if !revoked.is_empty() {
            let share = Arc::clone(&member.share);
            self.hand_over(&revoked, &share)?;
        }
        if !committed {
            self.read_again()?;
        }
        if let Some(member) = self.membership.as_mut()
            && self.open.is_empty()
        {
            member.idle = true;
            member.checked = None;
        }
        Ok(())
    }

    fn hand_over(&mut self, revoked: &[i32], share: &Mutex<Share>) -> anyhow::Result<()> {
        let mut list = TopicPartitionList::new();
        for &partition in revoked {
            list.add_partition(&self.topic, partition);
            self.open.remove(&partition);
            self.ranges.remove(&partition);
        }
        {
            let mut share = lock(share);
            for partition in revoked {
                share.owned.remove(partition);
            }
        }
        self.finished
            .retain(|(partition, _)| !revoked.contains(partition));
        self.consumer.incremental_unassign(&list).with_context(|| {
            format!("cannot hand partitions {revoked:?} of {} over", self.topic)
        })?;
        tracing::info!(
            "handed partitions {revoked:?} of {} over to another instance",
            self.topic
        );
        Ok(())
    }

    /// Takes the rebalances librdkafka queued: partitions received are read at once;
    /// partitions revoked wait for the engine's commit.
    fn carry_out_rebalances(&mut self) -> anyhow::Result<()> {
        let mut events = self.consumer.context().take_group_events().into_iter();
        while let Some(event) = events.next() {
            match event {
                GroupEvent::Assigned(partitions) => {
                    if let Err(error) = self.receive(&partitions) {
                        // librdkafka waits for the assignment to be carried out, and a
                        // member's close waits for librdkafka: leaving, it is carried out
                        // then, with the events after it.
                        if let Some(member) = self.membership.as_mut() {
                            member.untaken.push(GroupEvent::Assigned(partitions));
                            member.untaken.extend(events);
                        }
                        return Err(error);
                    }
                }
                GroupEvent::Revoked { partitions, lost } => {
                    if lost {
                        tracing::warn!(
                            "this instance lost partitions {partitions:?} of {} (it was out of the group, paused or cut off, for longer than the session timeout): what it did not commit is dropped",
                            self.topic
                        );
                    }
                    if let Some(member) = self.membership.as_mut() {
                        member.revoking.extend(partitions);
                    }
                }
            }
        }
        Ok(())
    }

    /// Partitions given to this member: each is read from the group's committed offset to
    /// the end in its mark when one is in progress; else to its end now, which is committed
    /// at once as the partition's mark.
    fn receive(&mut self, partitions: &[i32]) -> anyhow::Result<()> {
        self.look_at_members()?;
        let Some(member) = self.membership.as_ref() else {
            return Ok(());
        };
        if partitions.is_empty() {
            // A rebalance that gives this member nothing new (cooperative assignment): it is
            // still answered, or the group's rebalance would wait for it.
            self.consumer
                .incremental_assign(&TopicPartitionList::new())
                .context("cannot take part in the consumer group's rebalance")?;
            if let Some(member) = self.membership.as_mut() {
                member.joined = true;
            }
            return Ok(());
        }
        let share = Arc::clone(&member.share);
        let adopt = member.adopt_ends;
        let started_ms = member.me.started_ms;
        let committed = self.committed_marks(partitions, Unsettled::Wait)?;
        let beginnings = self.list_offsets(partitions, Offset::Beginning)?;
        let in_progress = |partition: &i32| {
            committed
                .get(partition)
                .and_then(|(offset, metadata)| Mark::parse(metadata).filter(|m| !m.done(*offset)))
                .filter(|_| adopt)
        };
        // Finished by an instance of this job (its mark was committed since this one started):
        // done, whatever was written after its end (the job's own tombstones among it).
        let done_in_job = |partition: &i32| {
            adopt
                && committed.get(partition).is_some_and(|(offset, metadata)| {
                    Mark::parse(metadata).is_some_and(|mark| {
                        mark.done(*offset) && mark.at.is_some_and(|at| at >= started_ms)
                    })
                })
        };
        let unmarked: Vec<i32> = partitions
            .iter()
            .copied()
            .filter(|p| in_progress(p).is_none())
            .collect();
        let fresh_ends = if unmarked.is_empty() {
            BTreeMap::new()
        } else {
            self.list_offsets(&unmarked, Offset::End)?
        };
        let mut assignment = TopicPartitionList::new();
        let mut marks = TopicPartitionList::new();
        let mut reading = Vec::new();
        // Given to librdkafka apart from the assignment: to resume, and to pause.
        let (mut to_read, mut nothing_to_read) =
            (TopicPartitionList::new(), TopicPartitionList::new());
        {
            let mut share = lock(&share);
            for &partition in partitions {
                let (offset, metadata) = committed
                    .get(&partition)
                    .map_or((None, ""), |(offset, metadata)| {
                        (*offset, metadata.as_str())
                    });
                let beginning = beginnings.get(&partition).copied().unwrap_or(0);
                let start = offset.unwrap_or(beginning).max(beginning);
                let end = match in_progress(&partition) {
                    Some(mark) => mark.end,
                    None if done_in_job(&partition) => start,
                    None => fresh_ends.get(&partition).copied().unwrap_or(beginning),
                };
                share.ends.insert(partition, end);
                share.owned.insert(partition);
                match offset {
                    Some(offset) => {
                        share.floors.insert(partition, offset);
                        share.starts.remove(&partition);
                    }
                    None => {
                        share.floors.remove(&partition);
                        share.starts.insert(partition, start);
                    }
                }
                self.ranges.insert(partition, Range { start, end });
                assignment.add_partition_offset(&self.topic, partition, Offset::Offset(start))?;
                let marked = Mark::parse(metadata);
                tracing::debug!(partition, start, end, "received a partition");
                if start < end {
                    reading.push(partition);
                    self.rereads.push((partition, start));
                    to_read.add_partition(&self.topic, partition);
                } else {
                    // Nothing to read (or its records are gone): done where it starts.
                    self.finished.push((partition, start));
                    nothing_to_read.add_partition(&self.topic, partition);
                }
                if offset.is_some() && marked.is_some_and(|mark| mark.done(offset)) && start < end {
                    // Done by an earlier run, with records since: the others learn now that
                    // it is not done (the same offset, a new mark).
                    let mark = Mark {
                        end: end.max(start),
                        read: None,
                        at: Some(now_ms()),
                    };
                    marks.add_partition_offset(&self.topic, partition, Offset::Offset(start))?;
                    if let Some(mut element) = marks.find_partition(&self.topic, partition) {
                        element.set_metadata(mark.render());
                    }
                }
            }
        }
        // A partition this member paused (read to its end) stays paused in librdkafka when it
        // is handed over and given back: resumed before it is assigned (after, the resume
        // could outdate the assignment's start offset).
        if to_read.count() > 0
            && let Err(error) = self.consumer.resume(&to_read)
        {
            tracing::debug!(%error, "cannot resume partitions given back");
        }
        self.consumer
            .incremental_assign(&assignment)
            .with_context(|| format!("cannot take partitions {partitions:?} of {}", self.topic))?;
        if marks.count() > 0 {
            coordinator_retry(self.timeout, || {
                self.consumer
                    .commit(&marks, rdkafka::consumer::CommitMode::Sync)
            })
            .map_err(|error| self.unreachable(&error))
            .with_context(|| format!("cannot commit the ends of partitions of {}", self.topic))?;
        }
        self.open.extend(reading.iter().copied());
        if let Some(member) = self.membership.as_mut() {
            for &partition in partitions {
                if reading.contains(&partition) {
                    member.finished_here.remove(&partition);
                } else {
                    member.finished_here.insert(partition);
                }
            }
        }
        if nothing_to_read.count() > 0
            && let Err(error) = self.consumer.pause(&nothing_to_read)
        {
            tracing::debug!(%error, "cannot pause partitions with nothing to read");
        }
        tracing::info!(
            "received partitions {partitions:?} of {} ({} to read)",
            self.topic,
            reading.len()
        );
        if let Some(member) = self.membership.as_mut() {
            member.joined = true;
            member.adopt_ends = true;
            if !reading.is_empty() {
                member.idle = false;
            }
        }
        Ok(())
    }

    /// The group's members, at each assignment. At the first (before anything is read):
    /// refuses when an instance that may not share the group joined at the same moment (it
    /// was not seen before joining); other bulk instances in the group now are this job's,
    /// and the ends they set are kept. At every one, with a way to fence: an instance of the
    /// job that left the group since the last (killed, or paused past its session timeout)
    /// is fenced, which aborts the transaction it may have left open. Left to the
    /// transaction coordinator, that transaction is aborted only once it timed out, up to the
    /// transaction timeout plus the coordinator's sweep interval
    /// (`transaction.abort.timed.out.transaction.cleanup.interval.ms`, 10 s by default) after
    /// it began; until then the offsets committed in it are unsettled, and whoever received
    /// its partitions waits for them.
    fn look_at_members(&mut self) -> anyhow::Result<()> {
        let Some(member) = self.membership.as_mut() else {
            return Ok(());
        };
        if member.joined && member.fence.is_none() {
            return Ok(());
        }
        let members = match group::members(&self.consumer, &member.group, self.timeout) {
            Ok(members) => members,
            // Only the fencing needed it: the coordinator aborts the transaction in time.
            Err(error) if member.joined => {
                tracing::debug!("cannot look for instances that left the group: {error:#}");
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if !member.joined
            && let Some(refusal) = group::refusal(&member.group, &member.me, &members)
        {
            bail!(refusal);
        }
        let job = group::job_instances(&member.me, &members);
        member.adopt_ends |= !job.is_empty();
        if let Some(fence) = &member.fence {
            for gone in member.job.difference(&job) {
                tracing::info!(
                    "instance {gone} of this job left consumer group {}: its producer is fenced, which aborts the transaction it may have left open",
                    member.group
                );
                fence(gone);
            }
        }
        member.job = job;
        Ok(())
    }

    /// After an aborted batch: every partition this member holds is read again from the
    /// group's committed offset.
    fn read_again(&mut self) -> anyhow::Result<()> {
        let Some(member) = self.membership.as_ref() else {
            return Ok(());
        };
        let share = Arc::clone(&member.share);
        let owned: Vec<i32> = lock(&share).owned.iter().copied().collect();
        if owned.is_empty() {
            return Ok(());
        }
        let committed = self.committed_marks(&owned, Unsettled::Wait)?;
        let beginnings = self.list_offsets(&owned, Offset::Beginning)?;
        self.finished.clear();
        let mut resumed = TopicPartitionList::new();
        for &partition in &owned {
            let (offset, metadata) = committed
                .get(&partition)
                .map_or((None, ""), |(offset, metadata)| {
                    (*offset, metadata.as_str())
                });
            let beginning = beginnings.get(&partition).copied().unwrap_or(0);
            let start = offset.unwrap_or(beginning).max(beginning);
            let Some(range) = self.ranges.get_mut(&partition) else {
                continue;
            };
            range.start = start;
            if done(offset, metadata) || start >= range.end {
                continue;
            }
            resumed.add_partition(&self.topic, partition);
            self.open.insert(partition);
            if let Some(member) = self.membership.as_mut() {
                member.finished_here.remove(&partition);
            }
            self.consumer
                .seek(&self.topic, partition, Offset::Offset(start), self.timeout)
                .with_context(|| format!("cannot read {}/{partition} again", self.topic))?;
        }
        if resumed.count() > 0 {
            self.consumer
                .resume(&resumed)
                .with_context(|| format!("cannot resume {}", self.topic))?;
            if let Some(member) = self.membership.as_mut() {
                member.idle = false;
            }
        }
        tracing::info!(
            "reading partitions {owned:?} of {} again from the committed offsets",
            self.topic
        );
        Ok(())
    }

    /// Whether every partition of the topic is done by some instance.
    fn all_done(&self) -> anyhow::Result<bool> {
        let Some(member) = self.membership.as_ref() else {
            return Ok(true);
        };
        let committed = self.committed_marks(&member.all, Unsettled::LeaveOut)?;
        let left: Vec<i32> = member
            .all
            .iter()
            .copied()
            .filter(|partition| {
                !member.finished_here.contains(partition)
                    && committed
                        .get(partition)
                        .is_none_or(|(offset, metadata)| !done(*offset, metadata))
            })
            .collect();
        tracing::debug!(?left, "partitions not done yet");
        Ok(left.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_survives_the_offsets_metadata() {
        for mark in [
            Mark {
                end: 42,
                read: None,
                at: None,
            },
            Mark {
                end: 42,
                read: Some(40),
                at: Some(1_765_000_000_000),
            },
        ] {
            assert_eq!(Mark::parse(&mark.render()), Some(mark));
        }
        assert_eq!(Mark::parse(""), None);
        assert_eq!(Mark::parse("someone else's metadata"), None);
        assert_eq!(Mark::parse("kafka-merge-purge read=3"), None);
    }

    #[test]
    fn a_partition_is_done_at_its_marks_end() {
        let mark = |read| {
            Mark {
                end: 10,
                read,
                at: None,
            }
            .render()
        };
        assert!(done(Some(10), &mark(None)));
        assert!(done(Some(11), &mark(None)));
        assert!(!done(Some(9), &mark(None)));
        // Held at a record left alone, but read to the end.
        assert!(done(Some(3), &mark(Some(10))));
        assert!(!done(Some(3), &mark(Some(7))));
        // No mark (a run before this one, or another tool): not known to be done.
        assert!(!done(Some(10), ""));
        assert!(!done(None, &mark(None)));
    }

    #[test]
    fn commits_carry_the_marks_of_the_partitions_held() {
        let share = Share {
            ends: BTreeMap::from([(0, 10), (1, 20), (2, 30)]),
            floors: BTreeMap::from([(0, 4), (1, 0)]),
            starts: BTreeMap::from([(2, 0)]),
            owned: BTreeSet::from([0, 1]),
        };
        let mut offsets = Offsets::default();
        offsets.processed(0, 2); // below the floor: never moves back
        offsets.processed(1, 5);
        offsets.held(1, 8, 20);
        offsets.processed(2, 7); // handed over: not this member's to commit
        let before = now_ms();
        let list = share.list("t", &offsets).unwrap();
        let got: Vec<(i32, Offset, Option<Mark>)> = list
            .elements()
            .iter()
            .map(|e| (e.partition(), e.offset(), Mark::parse(e.metadata())))
            .collect();
        let [(1, Offset::Offset(8), Some(mark))] = got[..] else {
            panic!("only partition 1, held at 8: {got:?}");
        };
        assert_eq!((mark.end, mark.read), (20, Some(20)));
        // When it was committed: how an instance that receives it later tells this job's
        // marks from an earlier job's.
        assert!(mark.at.is_some_and(|at| at >= before && at <= now_ms()));
    }
}
