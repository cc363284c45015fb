//! The source side: a raw-bytes consumer that snapshots where the topic ends at start and
//! reads every partition exactly up to there (DESIGN §3.1, §3.2).
//!
//! Partitions are assigned, not subscribed: no group membership means no rebalance and no
//! `max.poll.interval.ms` eviction while a person thinks about a record (§3.6). The group id
//! is still used for committed offsets.

mod shared;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::record::{Coordinates, Header, Record, Timestamp, TimestampKind};
use crate::redrive::{TopicCatalog, TopicState};
use crate::triage::{BatchAborted, Interrupt, Offsets, RecordSource};

use self::shared::{Membership, Share};
use self::snapshot::{Start, Unsettled};

pub use self::shared::FenceDeparted;

use super::client::{Context, GroupEvent, MetadataError, consumer_config, fetch_metadata};

/// How often a blocked read looks at the interrupt flag.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// What a run reads of one partition: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Where reading starts: the group's committed offset, or the beginning.
    pub start: i64,
    /// The end snapshot taken at start (last stable offset under `read_committed`).
    pub end: i64,
}

impl Range {
    /// An upper bound of the records left: offsets also count transaction markers and
    /// aborted records.
    #[must_use]
    pub fn len(&self) -> u64 {
        u64::try_from(self.end - self.start).unwrap_or(0)
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// The consumer of the source topic.
pub struct SourceConsumer {
    consumer: Arc<BaseConsumer<Context>>,
    topic: String,
    ranges: BTreeMap<i32, Range>,
    open: BTreeSet<i32>,
    /// Partitions read to their end snapshot, not yet reported to the engine.
    finished: Vec<(i32, i64)>,
    /// Partitions received from the group (each from its start), not yet reported to the
    /// engine, whose decided records must be looked up again.
    rereads: Vec<(i32, i64)>,
    interrupt: Interrupt,
    timeout: Duration,
    bootstrap: String,
    /// The group's committed offsets when the run started: commits never go below them
    /// (`--from-beginning` re-reads records the group has passed).
    floor: Arc<BTreeMap<i32, i64>>,
    /// Shared with other instances in a consumer group ([`SourceConsumer::join`]).
    membership: Option<Membership>,
}

impl SourceConsumer {
    /// Connects, snapshots the end of every partition of `topic` and assigns the partitions
    /// that have records left for the group.
    ///
    /// # Errors
    /// Cluster unreachable within the timeout, unknown topic, offsets not readable.
    pub fn open(
        settings: &Settings,
        topic: &str,
        only: Option<&BTreeSet<i32>>,
        from_beginning: bool,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let start = if from_beginning {
            Start::Beginning
        } else {
            Start::Committed
        };
        Self::open_from(settings, topic, only, &start, interrupt)
    }

    /// [`SourceConsumer::open`] for the partitions of `starts` only, each read from its
    /// offset there or the group's committed one, whichever is lower (`apply`, `undo`: the
    /// records a file names, and what the group has left after them). Commits never go below
    /// the group's offsets at start.
    ///
    /// # Errors
    /// As [`SourceConsumer::open`]; a partition the topic does not have.
    pub fn open_at(
        settings: &Settings,
        topic: &str,
        starts: &BTreeMap<i32, i64>,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let only: BTreeSet<i32> = starts.keys().copied().collect();
        Self::open_from(
            settings,
            topic,
            Some(&only),
            &Start::AtMost(starts),
            interrupt,
        )
    }

    fn open_from(
        settings: &Settings,
        topic: &str,
        only: Option<&BTreeSet<i32>>,
        start: &Start<'_>,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let consumer: BaseConsumer<Context> = consumer_config(settings)
            .create_with_context(Context::for_client(&settings.consumer))
            .context("cannot create the Kafka consumer")?;
        let mut source = Self::with_consumer(consumer, settings, topic, interrupt);
        let mut partitions = source.partitions()?;
        if let Some(only) = only {
            if let Some(missing) = only.iter().find(|p| !partitions.contains(p)) {
                bail!("topic {topic} has no partition {missing}");
            }
            partitions.retain(|p| only.contains(p));
        }
        source.ranges = source.snapshot(&partitions, settings.group.is_some(), start)?;
        source.assign()?;
        Ok(source)
    }

    /// Whether the source shares its partitions with other instances in its group.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.membership.is_some()
    }

    /// The group's committed offsets when the run started, per partition.
    #[must_use]
    pub fn committed_at_start(&self) -> &BTreeMap<i32, i64> {
        &self.floor
    }

    fn with_consumer(
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
            rereads: Vec::new(),
            interrupt,
            timeout: settings.timeout,
            bootstrap: settings.bootstrap_servers.clone(),
            floor: Arc::default(),
            membership: None,
        }
    }

    /// How many offsets this run reads at most (transaction markers count too); shared with
    /// other instances, how many the group has left.
    #[must_use]
    pub fn total(&self) -> u64 {
        match &self.membership {
            Some(member) => member.estimate,
            None => self.ranges.values().map(Range::len).sum(),
        }
    }

    /// The ranges this run reads, per partition.
    #[must_use]
    pub fn ranges(&self) -> &BTreeMap<i32, Range> {
        &self.ranges
    }

    /// Reads no further than `ends` (exclusive, per partition; a partition not named is not
    /// read at all): a pass over what an earlier pass saw, or less of it. Nothing past a
    /// lowered end is committed, since it is not read.
    pub fn bound(&mut self, ends: &BTreeMap<i32, i64>) {
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

    /// A handle that commits offsets of the source topic for the group.
    #[must_use]
    pub fn committer(&self) -> OffsetCommitter {
        OffsetCommitter {
            consumer: Arc::clone(&self.consumer),
            topic: self.topic.clone(),
            timeout: self.timeout,
            floor: Arc::clone(&self.floor),
            share: self
                .membership
                .as_ref()
                .map(|member| Arc::clone(&member.share)),
        }
    }

    /// [`SourceConsumer::committer`], committing through `presence`: the group member that
    /// holds the group for this source's assigned partitions (`ask`).
    #[must_use]
    pub fn committer_via(&self, presence: &super::Presence) -> OffsetCommitter {
        OffsetCommitter {
            consumer: Arc::clone(presence.consumer()),
            ..self.committer()
        }
    }

    /// What the cluster says of other topics (the origin topics of `--to-origin`).
    #[must_use]
    pub fn catalog(&self) -> ClusterTopics {
        ClusterTopics {
            consumer: Arc::clone(&self.consumer),
            timeout: self.timeout,
            bootstrap: self.bootstrap.clone(),
        }
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

    fn partitions(&self) -> anyhow::Result<Vec<i32>> {
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

    fn unreachable(&self, error: &KafkaError) -> anyhow::Error {
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

    fn assign(&mut self) -> anyhow::Result<()> {
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
    fn fail_after_timeout(&self, since: Instant) -> anyhow::Result<()> {
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
    fn finish(&mut self, partition: i32, reached_end: bool) {
        if let Some(member) = self.membership.as_mut() {
            member.finished_here.insert(partition);
        }
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
}

impl SourceConsumer {
    /// What one poll brought: a record to return, or nothing (a partition finished, a
    /// connection lost and waited for).
    fn take_polled(
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
}

impl Drop for SourceConsumer {
    fn drop(&mut self) {
        // Closing a group member revokes its partitions: nothing is left to commit then.
        self.consumer.context().leave();
        // A rebalance this member was told of but did not carry out (it came after its last
        // read: the group took it back in after a broker pause, say; receiving the partitions
        // failed; partitions revoked wait for a commit that never came) is carried out now:
        // librdkafka's close waits for it, and waited forever.
        let mut events = Vec::new();
        if let Some(member) = self.membership.as_mut() {
            events.append(&mut member.untaken);
            let revoking = std::mem::take(&mut member.revoking);
            if !revoking.is_empty() {
                events.push(GroupEvent::Revoked {
                    partitions: revoking,
                    lost: false,
                });
            }
        }
        events.extend(self.consumer.context().take_group_events());
        for event in events {
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

impl RecordSource for SourceConsumer {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        if self.membership.is_some() {
            return self.next_shared();
        }
        let consumer = Arc::clone(&self.consumer);
        // When the wait for a record began; the clock is read only when a poll comes back
        // empty (it waited the whole slice then), not once per record.
        let mut waiting_since: Option<Instant> = None;
        while !self.open.is_empty() {
            if self.interrupt.is_raised() {
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

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.finished)
    }

    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.rereads)
    }

    fn wants_commit(&self) -> bool {
        self.pausing()
    }

    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        if self.membership.is_none() && !committed {
            bail!(
                "the batch was aborted, and a run that assigns itself its partitions does not read them again"
            );
        }
        self.settle_shared(committed)
    }
}

/// Errors librdkafka recovers from by itself (it reconnects): a broker restarting or a
/// connection dropped must not end a run that would go on a moment later. Everything else a
/// read returns (authentication, TLS, a deleted topic, ...) ends it.
fn is_transient(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown
    )
}

/// Copies a borrowed message into our own record type.
pub(super) fn to_record(message: &BorrowedMessage<'_>) -> Record {
    let timestamp = match message.timestamp() {
        rdkafka::Timestamp::CreateTime(millis) => Some(Timestamp {
            millis,
            kind: TimestampKind::CreateTime,
        }),
        rdkafka::Timestamp::LogAppendTime(millis) => Some(Timestamp {
            millis,
            kind: TimestampKind::LogAppendTime,
        }),
        rdkafka::Timestamp::NotAvailable => None,
    };
    let headers = message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|header| Header {
                    name: header.key.to_owned(),
                    value: header.value.map(<[u8]>::to_vec),
                })
                .collect()
        })
        .unwrap_or_default();
    Record {
        at: Coordinates {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
        },
        timestamp,
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}

/// Commits offsets of the source topic for the group (used by non-transactional sinks) and
/// hands out the group metadata for transactional offset commits.
#[derive(Clone)]
pub struct OffsetCommitter {
    consumer: Arc<BaseConsumer<Context>>,
    topic: String,
    timeout: Duration,
    /// Committed offsets at start: never committed below (see [`SourceConsumer`]).
    floor: Arc<BTreeMap<i32, i64>>,
    /// A source shared in a group: what this member holds, and the job's marks.
    share: Option<Arc<Mutex<Share>>>,
}

/// Topics of the cluster as the source's consumer sees them in its metadata (never created
/// by asking: consumers do not auto-create topics).
pub struct ClusterTopics {
    consumer: Arc<BaseConsumer<Context>>,
    timeout: Duration,
    bootstrap: String,
}

impl TopicCatalog for ClusterTopics {
    fn partitions(&mut self, topic: &str) -> anyhow::Result<TopicState> {
        let metadata = fetch_metadata(
            self.consumer.client(),
            self.consumer.context(),
            Some(topic),
            self.timeout,
            &|| {},
        )
        .map_err(|error| match error {
            MetadataError::Security(message) => anyhow::anyhow!(message),
            MetadataError::Kafka(error) => anyhow::anyhow!(
                "cannot reach the Kafka cluster at {} within {} s to look up topic {topic}: {error}",
                self.bootstrap,
                self.timeout.as_secs()
            ),
        })?;
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Ok(TopicState::Missing);
        };
        if let Some(error) = found.error() {
            let code = RDKafkaErrorCode::from(error);
            if code == RDKafkaErrorCode::UnknownTopicOrPartition {
                return Ok(TopicState::Missing);
            }
            // Not authorized, say: this record is left alone, the run goes on.
            return Ok(TopicState::Unreadable(code.to_string()));
        }
        Ok(match found.partitions().len() {
            0 => TopicState::Missing,
            n => TopicState::Exists {
                partitions: i32::try_from(n).unwrap_or(i32::MAX),
            },
        })
    }
}

/// Whether the consumer group refused a commit because this member's view of it is out of
/// date: the group rebalanced, or the member is no longer in it (a zombie).
pub(super) fn refused_by_group(error: &KafkaError) -> bool {
    error.rdkafka_error_code().is_some_and(|code| {
        matches!(
            code,
            RDKafkaErrorCode::IllegalGeneration
                | RDKafkaErrorCode::UnknownMemberId
                | RDKafkaErrorCode::RebalanceInProgress
                | RDKafkaErrorCode::FencedInstanceId
                | RDKafkaErrorCode::AssignmentLost
        )
    })
}

/// Retries `call` while the group coordinator is moving or loading (a new broker, a broker
/// restart, a coordinator that moved), up to `timeout`.
fn coordinator_retry<T>(
    timeout: Duration,
    mut call: impl FnMut() -> Result<T, KafkaError>,
) -> Result<T, KafkaError> {
    let started = Instant::now();
    loop {
        match call() {
            Err(error)
                if error.rdkafka_error_code().is_some_and(|code| {
                    matches!(
                        code,
                        RDKafkaErrorCode::NotCoordinator
                            | RDKafkaErrorCode::CoordinatorLoadInProgress
                            | RDKafkaErrorCode::CoordinatorNotAvailable
                            | RDKafkaErrorCode::UnstableOffsetCommit
                            | RDKafkaErrorCode::RebalanceInProgress
                    )
                }) && started.elapsed() < timeout =>
            {
                tracing::debug!(%error, "the group coordinator is not ready; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

impl OffsetCommitter {
    /// The offsets as a librdkafka list for the source topic.
    /// Offsets below the group's committed offset at start are left out: the committed
    /// offset never moves back.
    pub(super) fn list(&self, offsets: &Offsets) -> anyhow::Result<TopicPartitionList> {
        if let Some(share) = &self.share {
            return share
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .list(&self.topic, offsets);
        }
        let mut list = TopicPartitionList::new();
        for (partition, next) in offsets.iter() {
            if self
                .floor
                .get(&partition)
                .is_some_and(|&floor| next <= floor)
            {
                continue;
            }
            list.add_partition_offset(&self.topic, partition, Offset::Offset(next))?;
        }
        Ok(list)
    }

    /// Commits `offsets` synchronously.
    ///
    /// # Errors
    /// When the group coordinator refuses or cannot be reached.
    pub fn commit(&self, offsets: &Offsets) -> anyhow::Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let list = self.list(offsets)?;
        if list.count() == 0 {
            return Ok(());
        }
        coordinator_retry(self.timeout, || {
            self.consumer.commit(&list, CommitMode::Sync)
        })
        .map_err(|error| match refused_by_group(&error) {
            true => anyhow::Error::new(BatchAborted(error.to_string())),
            false => anyhow::Error::new(error),
        })
        .with_context(|| {
            format!(
                "cannot commit offsets ({offsets}) of {}{}",
                self.topic,
                self.consumer.context().reason()
            )
        })
    }

    pub(super) fn group_metadata(&self) -> Option<rdkafka::consumer::ConsumerGroupMetadata> {
        self.consumer.group_metadata()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_connection_is_waited_out() {
        assert!(is_transient(RDKafkaErrorCode::AllBrokersDown));
        assert!(is_transient(RDKafkaErrorCode::BrokerTransportFailure));
        for fails in [
            RDKafkaErrorCode::Authentication,
            RDKafkaErrorCode::SaslAuthenticationFailed,
            RDKafkaErrorCode::SSL,
            RDKafkaErrorCode::UnknownTopicOrPartition,
            RDKafkaErrorCode::TopicAuthorizationFailed,
            RDKafkaErrorCode::GroupAuthorizationFailed,
            RDKafkaErrorCode::Fatal,
        ] {
            assert!(!is_transient(fails), "{fails:?}");
        }
    }

    fn settings(group: Option<&str>) -> Settings {
        Settings {
            consumer: BTreeMap::from([("client.id".to_owned(), "c".to_owned())]),
            producer: BTreeMap::new(),
            bootstrap_servers: "h:1".to_owned(),
            group: group.map(str::to_owned),
            transactional_id: None,
            commit: group.is_some(),
            registry: None,
            key_decoder: crate::config::DecoderHint::Auto,
            value_decoder: crate::config::DecoderHint::Auto,
            timeout: Duration::from_secs(1),
        }
    }

    /// The group reaches the consumer from `Settings::group`, its one source.
    #[test]
    fn the_group_of_the_settings_is_the_consumers() {
        let config = consumer_config(&settings(Some("grp")));
        assert_eq!(config.get("group.id"), Some("grp"));
        assert_eq!(config.get("client.id"), Some("c"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        let reader = consumer_config(&settings(None));
        let id = reader.get("group.id").unwrap();
        assert!(id.starts_with("kafka-merge-purge-reader-"), "{id}");
        assert_ne!(consumer_config(&settings(None)).get("group.id"), Some(id));
    }
}
