//! One consumer of the source topic and what it reads of each partition: the ranges, the
//! partitions still open, those read to their end. Both sources read through it; it knows
//! nothing of the group's offsets beyond reading them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::record::Record;
use crate::triage::Interrupt;

use super::super::client::{Context, GroupEvent, MetadataError, fetch_metadata};
use super::super::group::Presence;
use super::{ClusterTopics, OffsetCommitter, POLL_SLICE, Range, is_transient, to_record};

/// The consumer of the source topic.
pub struct Reader {
    pub(super) consumer: Arc<BaseConsumer<Context>>,
    pub(super) topic: String,
    pub(super) ranges: BTreeMap<i32, Range>,
    pub(super) open: BTreeSet<i32>,
    /// Partitions read to their end snapshot, not yet reported to the engine.
    pub(super) finished: Vec<(i32, i64)>,
    /// Partitions read to their end (or found with nothing to read) in this run.
    pub(super) read_through: BTreeSet<i32>,
    interrupt: Interrupt,
    pub(super) timeout: Duration,
    bootstrap: String,
}

impl Reader {
    pub(super) fn new(
        consumer: BaseConsumer<Context>,
        settings: &Settings,
        topic: &str,
        interrupt: Interrupt,
    ) -> Self {
        Self {
            consumer: Arc::new(consumer),
            topic: topic.to_owned(),
            ranges: BTreeMap::new(),
            open: BTreeSet::new(),
            finished: Vec::new(),
            read_through: BTreeSet::new(),
            interrupt,
            timeout: settings.timeout,
            bootstrap: settings.bootstrap_servers.clone(),
        }
    }

    /// The topic it reads.
    #[must_use]
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The ranges this run reads, per partition.
    #[must_use]
    pub fn ranges(&self) -> &BTreeMap<i32, Range> {
        &self.ranges
    }

    /// Commits offsets of the source topic for the group with this reader's consumer.
    #[must_use]
    pub fn committer(&self) -> OffsetCommitter {
        OffsetCommitter::new(Arc::clone(&self.consumer), &self.topic, self.timeout)
    }

    /// Commits through `presence`: the group member that holds the group for this reader's
    /// assigned partitions (`ask`).
    #[must_use]
    pub fn committer_via(&self, presence: &Presence) -> OffsetCommitter {
        OffsetCommitter::new(Arc::clone(presence.consumer()), &self.topic, self.timeout)
    }

    /// What the cluster says of other topics (the origin topics of `--to-origin`).
    #[must_use]
    pub fn catalog(&self) -> ClusterTopics {
        ClusterTopics::new(Arc::clone(&self.consumer), self.timeout, &self.bootstrap)
    }

    /// Fails unless `topic` exists on the cluster (checked before writing to it, so that a
    /// mistyped destination is an error rather than a new topic).
    ///
    /// # Errors
    /// Unknown topic, or cluster unreachable.
    pub fn require_topic(&self, topic: &str) -> anyhow::Result<()> {
        let metadata = self.metadata(topic, false)?;
        let exists = metadata
            .topics()
            .iter()
            .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
        if exists {
            Ok(())
        } else {
            bail!("topic {topic} does not exist")
        }
    }

    /// Every partition of the topic, in order.
    pub(super) fn partitions(&self) -> anyhow::Result<Vec<i32>> {
        let metadata = self.metadata(&self.topic, true)?;
        let Some(topic) = metadata.topics().iter().find(|t| t.name() == self.topic) else {
            bail!("topic {} does not exist", self.topic);
        };
        if let Some(error) = topic.error() {
            let code = RDKafkaErrorCode::from(error);
            if code == RDKafkaErrorCode::UnknownTopicOrPartition {
                bail!("topic {} does not exist", self.topic);
            }
            bail!("cannot read metadata of topic {}: {code}", self.topic);
        }
        let mut partitions: Vec<i32> = topic
            .partitions()
            .iter()
            .map(rdkafka::metadata::MetadataPartition::id)
            .collect();
        if partitions.is_empty() {
            bail!("topic {} does not exist", self.topic);
        }
        partitions.sort_unstable();
        Ok(partitions)
    }

    /// Metadata of `topic`; fails at once when authentication or TLS fails. `serve_events`
    /// only before partitions are assigned: polling then returns no record.
    fn metadata(
        &self,
        topic: &str,
        serve_events: bool,
    ) -> anyhow::Result<rdkafka::metadata::Metadata> {
        let serve = || {
            if serve_events && let Some(Err(error)) = self.consumer.poll(Duration::ZERO) {
                tracing::debug!(%error, "while waiting for metadata");
            }
        };
        fetch_metadata(
            self.consumer.client(),
            self.consumer.context(),
            Some(topic),
            self.timeout,
            &serve,
        )
        .map_err(|error| match error {
            MetadataError::Security(message) => anyhow::anyhow!(message),
            MetadataError::Kafka(error) => self.unreachable(&error),
        })
    }

    pub(super) fn unreachable(&self, error: &KafkaError) -> anyhow::Error {
        if let Some(failure) = self.consumer.context().security_failure() {
            return anyhow::anyhow!(failure);
        }
        anyhow::anyhow!(
            "cannot reach the Kafka cluster at {} within {} s: {error}{}",
            self.bootstrap,
            self.timeout.as_secs(),
            self.consumer.context().reason()
        )
    }

    /// Assigns every partition with records in its range, from its start.
    pub(super) fn assign(&mut self) -> anyhow::Result<()> {
        let mut assignment = TopicPartitionList::new();
        for (&partition, range) in &self.ranges {
            if !range.is_empty() {
                assignment.add_partition_offset(
                    &self.topic,
                    partition,
                    Offset::Offset(range.start),
                )?;
                self.open.insert(partition);
            }
        }
        self.consumer
            .assign(&assignment)
            .with_context(|| format!("cannot assign the partitions of {}", self.topic))?;
        Ok(())
    }

    /// Fails when no record has come since `since` for the whole timeout.
    pub(super) fn fail_after_timeout(&self, since: Instant) -> anyhow::Result<()> {
        if since.elapsed() >= self.timeout {
            bail!(
                "no records from the Kafka cluster at {} for {} s while partitions {:?} of {} are not read to their end{}",
                self.bootstrap,
                self.timeout.as_secs(),
                self.open,
                self.topic,
                self.consumer.context().reason()
            );
        }
        Ok(())
    }

    /// Marks `partition` as read to its end and stops fetching it; `reached_end` when every
    /// record below the end snapshot was returned (so the end itself may be committed).
    pub(super) fn finish(&mut self, partition: i32, reached_end: bool) {
        self.read_through.insert(partition);
        if self.open.remove(&partition) {
            if let (true, Some(range)) = (reached_end, self.ranges.get(&partition)) {
                self.finished.push((partition, range.end));
            }
            let mut paused = TopicPartitionList::new();
            paused.add_partition(&self.topic, partition);
            if let Err(error) = self.consumer.pause(&paused) {
                tracing::debug!(partition, %error, "cannot pause a finished partition");
            }
        }
    }

    /// Reads no further than `ends` (exclusive, per partition; a partition not named is not
    /// read at all).
    pub(super) fn bound(&mut self, ends: &BTreeMap<i32, i64>) {
        for (partition, range) in &mut self.ranges {
            range.end = ends
                .get(partition)
                .map_or(range.start, |&end| end.min(range.end));
        }
        let done: Vec<i32> = self
            .ranges
            .iter()
            .filter(|(_, range)| range.is_empty())
            .map(|(&partition, _)| partition)
            .collect();
        for partition in done {
            self.finish(partition, false);
        }
    }

    pub(super) fn interrupted(&self) -> bool {
        self.interrupt.is_raised()
    }

    /// The next record of the open partitions; `None` once every one is read to its end (or
    /// on interrupt).
    pub(super) fn next_open(&mut self) -> anyhow::Result<Option<Record>> {
        let consumer = Arc::clone(&self.consumer);
        // When the wait for a record began; the clock is read only when a poll comes back
        // empty (it waited the whole slice then), not once per record.
        let mut waiting_since: Option<Instant> = None;
        while !self.open.is_empty() {
            if self.interrupted() {
                return Ok(None);
            }
            let Some(polled) = consumer.poll(POLL_SLICE) else {
                let since = *waiting_since.get_or_insert_with(|| {
                    let now = Instant::now();
                    now.checked_sub(POLL_SLICE).unwrap_or(now)
                });
                self.fail_after_timeout(since)?;
                continue;
            };
            if let Some(record) = self.take_polled(polled, &mut waiting_since)? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// What one poll brought: a record to return, or nothing (a partition finished, a
    /// connection lost and waited for).
    pub(super) fn take_polled(
        &mut self,
        polled: Result<BorrowedMessage<'_>, KafkaError>,
        waiting_since: &mut Option<Instant>,
    ) -> anyhow::Result<Option<Record>> {
        match polled {
            Ok(message) => {
                let partition = message.partition();
                if !self.open.contains(&partition) {
                    // Fetched before its partition was finished or handed over.
                    return Ok(None);
                }
                let end = self.ranges.get(&partition).map_or(0, |r| r.end);
                *waiting_since = None;
                if message.offset() >= end {
                    // Written after the snapshot (our own tombstones among them).
                    self.finish(partition, true);
                    return Ok(None);
                }
                if message.offset() + 1 >= end {
                    // The record itself is not decided yet: its own offset covers it.
                    self.finish(partition, false);
                }
                Ok(Some(to_record(&message)))
            }
            Err(KafkaError::PartitionEOF(partition)) => {
                // Every record below the current last stable offset, which is at least
                // our snapshot, has been delivered.
                self.finish(partition, true);
                *waiting_since = None;
                Ok(None)
            }
            Err(KafkaError::MessageConsumption(code)) if is_transient(code) => {
                // librdkafka reconnects by itself; the run fails only if no record comes
                // for the whole timeout.
                tracing::warn!(
                    "lost the connection to the Kafka cluster at {} ({code}); reconnecting",
                    self.bootstrap
                );
                self.fail_after_timeout(*waiting_since.get_or_insert_with(Instant::now))?;
                Ok(None)
            }
            Err(error) => Err(anyhow::Error::new(error)).with_context(|| {
                format!(
                    "cannot read topic {}{}",
                    self.topic,
                    self.consumer.context().reason()
                )
            }),
        }
    }

    /// Carries out rebalances this member was told of but did not carry out, as it leaves
    /// the group: librdkafka's close waits for them, and waited forever.
    pub(super) fn carry_out_while_leaving(&self, events: Vec<GroupEvent>) {
        self.consumer.context().leave();
        for event in events
            .into_iter()
            .chain(self.consumer.context().take_group_events())
        {
            let (partitions, assigned) = match event {
                GroupEvent::Assigned(partitions) => (partitions, true),
                GroupEvent::Revoked { partitions, .. } => (partitions, false),
            };
            let mut list = TopicPartitionList::new();
            for partition in partitions {
                list.add_partition(&self.topic, partition);
            }
            let answered = if assigned {
                self.consumer.incremental_assign(&list)
            } else {
                self.consumer.incremental_unassign(&list)
            };
            if let Err(error) = answered {
                tracing::debug!(%error, "carrying out a rebalance while leaving the group");
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // Closing a group member revokes its partitions: nothing is left to commit then.
        self.carry_out_while_leaving(Vec::new());
    }
}
