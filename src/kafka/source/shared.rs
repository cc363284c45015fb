//! A source shared by several bulk instances in one consumer group (issue 20): subscribed
//! instead of assigned, it reads the partitions the group gives it, each to the end this job
//! set for it, hands partitions over only after the engine committed what it applied, and
//! ends once every partition of the topic is done by some instance of the job.
//!
//! The instances agree through the group's committed offsets ([`mark`]): each commit
//! carries, in the offset's metadata, the partition's end (and, for a partition whose offset
//! is held at a record left alone, how far it was read). The instance that receives a
//! partition with nothing in progress sets its end (and commits it at once, so that the
//! others know there is work); whoever gets it next keeps that end. A partition is done when
//! its committed offset, or how far it was read, reached its end.

mod mark;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::record::Record;
use crate::triage::{Interrupt, Offsets, RecordSource};

use self::mark::{Holding, Mark, done, now_ms};
use super::super::client::{Context, GroupEvent};
use super::super::group::{self, MemberTag};
use super::snapshot::{Start, Unsettled};
use super::{JobSource, POLL_SLICE, Range, Reader, coordinator_retry};

/// How often an instance whose partitions are done looks whether the others are.
const DONE_CHECK: Duration = Duration::from_secs(1);

/// Fences the producer of an instance of the job, named by its instance id, that left the
/// group: initializing its transactional id aborts the transaction it may have left open.
pub type FenceDeparted = Box<dyn Fn(&str) + Send>;

/// The source of a bulk instance sharing its DLQ with the other instances of its job.
pub struct SharedSource {
    reader: Reader,
    /// What this member holds: only the source says what it may commit.
    holding: Holding,
    /// Partitions received from the group (each from its start), not yet reported to the
    /// engine, whose decided records must be looked up again.
    rereads: Vec<(i32, i64)>,
    me: MemberTag,
    group: String,
    /// Every partition of the topic.
    all: Vec<i32>,
    /// Partitions revoked, handed over once the engine committed.
    revoking: Vec<i32>,
    /// Rebalances taken from librdkafka but not carried out (receiving the partitions
    /// failed): carried out when the member leaves.
    untaken: Vec<GroupEvent>,
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
    estimate: u64,
    /// When it joined.
    since: Instant,
    /// Ends set by other instances are kept: this member joined a running job, or has
    /// received partitions before (from this job).
    adopt_ends: bool,
    /// The job's other instances in the group at the last rebalance.
    job: BTreeSet<String>,
    /// How an instance that left the group is fenced (`None`: its transactional id is not
    /// known here).
    fence: Option<FenceDeparted>,
}

/// No floor: a shared source reads each partition's committed offset as it receives it.
static NO_FLOOR: BTreeMap<i32, i64> = BTreeMap::new();

impl SharedSource {
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
        let reader = Reader::new(consumer, settings, topic, interrupt);
        let partitions = reader.partitions()?;
        // What is left for the group now, for the progress display only.
        let (estimate, _) = reader.snapshot(&partitions, true, &Start::Committed)?;
        reader
            .consumer
            .subscribe(&[topic])
            .with_context(|| format!("cannot join consumer group {group}"))?;
        tracing::info!("sharing {topic} with the other instances in consumer group {group}");
        Ok(Self {
            reader,
            holding: Holding::default(),
            rereads: Vec::new(),
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
            adopt_ends: running,
            job: BTreeSet::new(),
            fence: None,
        })
    }

    /// Fences, with `fence`, each instance of the job that leaves the group while this one is
    /// in it (see [`Self::look_at_members`]).
    pub fn fence_departed_with(&mut self, fence: FenceDeparted) {
        self.fence = Some(fence);
    }

    /// Waits, with nothing of this member's open, for more partitions or for the others to
    /// be done; `Ok(true)` once every partition is done.
    fn wait_for_the_others(&mut self) -> anyhow::Result<bool> {
        if let Some(Err(error)) = self.reader.consumer.poll(POLL_SLICE) {
            tracing::debug!(%error, "while waiting for the other instances");
        }
        if !self.idle || self.checked.is_some_and(|at| at.elapsed() < DONE_CHECK) {
            return Ok(false);
        }
        self.checked = Some(Instant::now());
        match self.all_done() {
            Ok(true) => {
                self.done = true;
                Ok(true)
            }
            Ok(false) => {
                self.unanswered = None;
                Ok(false)
            }
            // Nothing of this member's is open: a cluster that does not answer for a while (a
            // broker paused, a coordinator moving) is waited for, for a few timeouts, before
            // the run fails.
            Err(error) => {
                let since = *self.unanswered.get_or_insert_with(Instant::now);
                if since.elapsed() >= 3 * self.reader.timeout {
                    return Err(error);
                }
                tracing::warn!("waiting for the other instances: {error:#}; asking again");
                Ok(false)
            }
        }
    }

    fn hand_over(&mut self, revoked: &[i32]) -> anyhow::Result<()> {
        let reader = &mut self.reader;
        let mut list = TopicPartitionList::new();
        for &partition in revoked {
            list.add_partition(&reader.topic, partition);
            reader.open.remove(&partition);
            reader.ranges.remove(&partition);
            self.holding.owned.remove(&partition);
        }
        reader
            .finished
            .retain(|(partition, _)| !revoked.contains(partition));
        reader
            .consumer
            .incremental_unassign(&list)
            .with_context(|| {
                format!(
                    "cannot hand partitions {revoked:?} of {} over",
                    reader.topic
                )
            })?;
        tracing::info!(
            "handed partitions {revoked:?} of {} over to another instance",
            reader.topic
        );
        Ok(())
    }

    /// Takes the rebalances librdkafka queued: partitions received are read at once;
    /// partitions revoked wait for the engine's commit.
    fn carry_out_rebalances(&mut self) -> anyhow::Result<()> {
        let mut events = self
            .reader
            .consumer
            .context()
            .take_group_events()
            .into_iter();
        while let Some(event) = events.next() {
            match event {
                GroupEvent::Assigned(partitions) => {
                    if let Err(error) = self.receive(&partitions) {
                        // librdkafka waits for the assignment to be carried out, and a
                        // member's close waits for librdkafka: leaving, it is carried out
                        // then, with the events after it.
                        self.untaken.push(GroupEvent::Assigned(partitions));
                        self.untaken.extend(events);
                        return Err(error);
                    }
                }
                GroupEvent::Revoked { partitions, lost } => {
                    if lost {
                        tracing::warn!(
                            "this instance lost partitions {partitions:?} of {} (it was out of the group, paused or cut off, for longer than the session timeout): what it did not commit is dropped",
                            self.reader.topic
                        );
                    }
                    self.revoking.extend(partitions);
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
        if partitions.is_empty() {
            // A rebalance that gives this member nothing new (cooperative assignment): it is
            // still answered, or the group's rebalance would wait for it.
            self.reader
                .consumer
                .incremental_assign(&TopicPartitionList::new())
                .context("cannot take part in the consumer group's rebalance")?;
            self.joined = true;
            return Ok(());
        }
        let adopt = self.adopt_ends;
        let started_ms = self.me.started_ms;
        let committed = self.reader.committed_marks(partitions, Unsettled::Wait)?;
        let beginnings = self.reader.list_offsets(partitions, Offset::Beginning)?;
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
            self.reader.list_offsets(&unmarked, Offset::End)?
        };
        let topic = self.reader.topic.clone();
        let mut assignment = TopicPartitionList::new();
        let mut marks = TopicPartitionList::new();
        let mut reading = Vec::new();
        // Given to librdkafka apart from the assignment: to resume, and to pause.
        let (mut to_read, mut nothing_to_read) =
            (TopicPartitionList::new(), TopicPartitionList::new());
        for &partition in partitions {
            let (offset, metadata, start) = starting_point(&committed, &beginnings, partition);
            let beginning = beginnings.get(&partition).copied().unwrap_or(0);
            let end = match in_progress(&partition) {
                Some(mark) => mark.end,
                None if done_in_job(&partition) => start,
                None => fresh_ends.get(&partition).copied().unwrap_or(beginning),
            };
            let holding = &mut self.holding;
            holding.ends.insert(partition, end);
            holding.owned.insert(partition);
            match offset {
                Some(offset) => {
                    holding.floors.insert(partition, offset);
                    holding.starts.remove(&partition);
                }
                None => {
                    holding.floors.remove(&partition);
                    holding.starts.insert(partition, start);
                }
            }
            self.reader.ranges.insert(partition, Range { start, end });
            assignment.add_partition_offset(&topic, partition, Offset::Offset(start))?;
            let marked = Mark::parse(metadata);
            tracing::debug!(partition, start, end, "received a partition");
            if start < end {
                reading.push(partition);
                self.rereads.push((partition, start));
                to_read.add_partition(&topic, partition);
                self.reader.read_through.remove(&partition);
            } else {
                // Nothing to read (or its records are gone): done where it starts.
                self.reader.finished.push((partition, start));
                nothing_to_read.add_partition(&topic, partition);
                self.reader.read_through.insert(partition);
            }
            if offset.is_some() && marked.is_some_and(|mark| mark.done(offset)) && start < end {
                // Done by an earlier run, with records since: the others learn now that it is
                // not done (the same offset, a new mark).
                let mark = Mark {
                    end: end.max(start),
                    read: None,
                    at: Some(now_ms()),
                };
                marks.add_partition_offset(&topic, partition, Offset::Offset(start))?;
                if let Some(mut element) = marks.find_partition(&topic, partition) {
                    element.set_metadata(mark.render());
                }
            }
        }
        let consumer = &self.reader.consumer;
        // A partition this member paused (read to its end) stays paused in librdkafka when it
        // is handed over and given back: resumed before it is assigned (after, the resume
        // could outdate the assignment's start offset).
        if to_read.count() > 0
            && let Err(error) = consumer.resume(&to_read)
        {
            tracing::debug!(%error, "cannot resume partitions given back");
        }
        consumer
            .incremental_assign(&assignment)
            .with_context(|| format!("cannot take partitions {partitions:?} of {topic}"))?;
        if marks.count() > 0 {
            coordinator_retry(self.reader.timeout, || {
                consumer.commit(&marks, CommitMode::Sync)
            })
            .map_err(|error| self.reader.unreachable(&error))
            .with_context(|| format!("cannot commit the ends of partitions of {topic}"))?;
        }
        if nothing_to_read.count() > 0
            && let Err(error) = consumer.pause(&nothing_to_read)
        {
            tracing::debug!(%error, "cannot pause partitions with nothing to read");
        }
        self.reader.open.extend(reading.iter().copied());
        tracing::info!(
            "received partitions {partitions:?} of {topic} ({} to read)",
            reading.len()
        );
        self.joined = true;
        self.adopt_ends = true;
        if !reading.is_empty() {
            self.idle = false;
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
        if self.joined && self.fence.is_none() {
            return Ok(());
        }
        let members = match group::members(&self.reader.consumer, &self.group, self.reader.timeout)
        {
            Ok(members) => members,
            // Only the fencing needed it: the coordinator aborts the transaction in time.
            Err(error) if self.joined => {
                tracing::debug!("cannot look for instances that left the group: {error:#}");
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if !self.joined
            && let Some(refusal) = group::refusal(&self.group, &self.me, &members)
        {
            bail!(refusal);
        }
        let job = group::job_instances(&self.me, &members);
        self.adopt_ends |= !job.is_empty();
        if let Some(fence) = &self.fence {
            for gone in self.job.difference(&job) {
                tracing::info!(
                    "instance {gone} of this job left consumer group {}: its producer is fenced, which aborts the transaction it may have left open",
                    self.group
                );
                fence(gone);
            }
        }
        self.job = job;
        Ok(())
    }

    /// After an aborted batch: every partition this member holds is read again from the
    /// group's committed offset.
    fn read_again(&mut self) -> anyhow::Result<()> {
        let owned: Vec<i32> = self.holding.owned.iter().copied().collect();
        if owned.is_empty() {
            return Ok(());
        }
        let reader = &mut self.reader;
        let committed = reader.committed_marks(&owned, Unsettled::Wait)?;
        let beginnings = reader.list_offsets(&owned, Offset::Beginning)?;
        reader.finished.clear();
        let mut resumed = TopicPartitionList::new();
        for &partition in &owned {
            let (offset, metadata, start) = starting_point(&committed, &beginnings, partition);
            let Some(range) = reader.ranges.get_mut(&partition) else {
                continue;
            };
            range.start = start;
            if done(offset, metadata) || start >= range.end {
                continue;
            }
            resumed.add_partition(&reader.topic, partition);
            reader.open.insert(partition);
            reader.read_through.remove(&partition);
            reader
                .consumer
                .seek(
                    &reader.topic,
                    partition,
                    Offset::Offset(start),
                    reader.timeout,
                )
                .with_context(|| format!("cannot read {}/{partition} again", reader.topic))?;
        }
        if resumed.count() > 0 {
            reader
                .consumer
                .resume(&resumed)
                .with_context(|| format!("cannot resume {}", reader.topic))?;
            self.idle = false;
        }
        tracing::info!(
            "reading partitions {owned:?} of {} again from the committed offsets",
            reader.topic
        );
        Ok(())
    }

    /// Whether every partition of the topic is done by some instance.
    fn all_done(&self) -> anyhow::Result<bool> {
        let committed = self
            .reader
            .committed_marks(&self.all, Unsettled::LeaveOut)?;
        let left: Vec<i32> = self
            .all
            .iter()
            .copied()
            .filter(|partition| {
                !self.reader.read_through.contains(partition)
                    && committed
                        .get(partition)
                        .is_none_or(|(offset, metadata)| !done(*offset, metadata))
            })
            .collect();
        tracing::debug!(?left, "partitions not done yet");
        Ok(left.is_empty())
    }
}

/// Where `partition` is read from, received or read again: the group's committed offset
/// (with its metadata), at the log start (`beginnings`) at the earliest.
fn starting_point<'c>(
    committed: &'c BTreeMap<i32, (Option<i64>, String)>,
    beginnings: &BTreeMap<i32, i64>,
    partition: i32,
) -> (Option<i64>, &'c str, i64) {
    let (offset, metadata) = committed
        .get(&partition)
        .map_or((None, ""), |(offset, metadata)| {
            (*offset, metadata.as_str())
        });
    let beginning = beginnings.get(&partition).copied().unwrap_or(0);
    (offset, metadata, offset.unwrap_or(beginning).max(beginning))
}

impl JobSource for SharedSource {
    fn reader(&self) -> &Reader {
        &self.reader
    }

    fn total(&self) -> u64 {
        self.estimate
    }

    fn committed_at_start(&self) -> &BTreeMap<i32, i64> {
        &NO_FLOOR
    }

    fn is_shared(&self) -> bool {
        true
    }
}

impl RecordSource for SharedSource {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        let consumer = std::sync::Arc::clone(&self.reader.consumer);
        let mut waiting_since: Option<Instant> = None;
        loop {
            if self.reader.interrupted() {
                return Ok(None);
            }
            self.carry_out_rebalances()?;
            if self.done {
                return Ok(None);
            }
            if !self.revoking.is_empty()
                || (self.reader.open.is_empty() && !self.idle && self.joined)
            {
                self.pausing = true;
                return Ok(None);
            }
            if !self.joined && self.since.elapsed() >= self.reader.timeout {
                bail!(
                    "consumer group {} gave this instance no partitions of {} within {} s{}",
                    self.group,
                    self.reader.topic,
                    self.reader.timeout.as_secs(),
                    consumer.context().reason()
                );
            }
            if self.reader.open.is_empty() {
                // Done here, or not yet given anything: stay in the group (it may hand this
                // member more) and look whether the others are done.
                if self.wait_for_the_others()? {
                    return Ok(None);
                }
                continue;
            }
            let Some(polled) = consumer.poll(POLL_SLICE) else {
                let since = *waiting_since.get_or_insert_with(Instant::now);
                self.reader.fail_after_timeout(since)?;
                continue;
            };
            if let Some(record) = self.reader.take_polled(polled, &mut waiting_since)? {
                return Ok(Some(record));
            }
        }
    }

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.reader.finished)
    }

    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.rereads)
    }

    fn wants_commit(&self) -> bool {
        self.pausing
    }

    fn approve(&self, offsets: Offsets) -> Offsets {
        self.holding.approve(&offsets)
    }

    /// After the engine committed (`committed`) or aborted: hands revoked partitions over;
    /// after an abort, reads what is still this member's again from the committed offsets.
    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        self.pausing = false;
        let revoked = std::mem::take(&mut self.revoking);
        if !revoked.is_empty() {
            self.hand_over(&revoked)?;
        }
        if !committed {
            self.read_again()?;
        }
        if self.reader.open.is_empty() {
            self.idle = true;
            self.checked = None;
        }
        Ok(())
    }
}

impl Drop for SharedSource {
    fn drop(&mut self) {
        // A rebalance this member was told of but did not carry out (it came after its last
        // read: the group took it back in after a broker pause, say; receiving the partitions
        // failed; partitions revoked wait for a commit that never came) is carried out as it
        // leaves: librdkafka's close waits for it, and waited forever.
        let mut events = std::mem::take(&mut self.untaken);
        let revoking = std::mem::take(&mut self.revoking);
        if !revoking.is_empty() {
            events.push(GroupEvent::Revoked {
                partitions: revoking,
                lost: false,
            });
        }
        self.reader.carry_out_while_leaving(events);
    }
}
