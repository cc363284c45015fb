//! The source side: what a job reads of its DLQ. One [`Reader`] (a raw-bytes consumer with
//! the end snapshot taken at start, DESIGN §3.1, §3.2) under one of two sources:
//!
//! - [`AssignedSource`]: the partitions are assigned, not subscribed: no group membership means
//!   no rebalance and no `max.poll.interval.ms` eviction while a person thinks about a record
//!   (§3.6). The group id is still used for committed offsets.
//! - [`SharedSource`]: a bulk instance sharing the DLQ with the other instances of its job in
//!   the consumer group (§3.7).
//!
//! Each source says what of a batch's offsets may be committed
//! ([`RecordSource::approve`]); the [`OffsetCommitter`] commits exactly that and keeps no state.

mod assigned;
mod catalog;
mod committer;
mod reader;
mod shared;
mod snapshot;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers, Message};

use crate::record::{Coordinates, Header, Record, Timestamp, TimestampKind};
use crate::triage::RecordSource;

pub use self::assigned::AssignedSource;
pub use self::catalog::ClusterTopics;
pub use self::committer::OffsetCommitter;
pub use self::reader::Reader;
pub use self::shared::{FenceDeparted, SharedSource};

/// How often a blocked read looks at the interrupt flag.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// What a job's source is, whichever of the two: what the run asks of it beside its records.
pub trait JobSource: RecordSource + Send {
    /// The reader under the source (the topic, the ranges, the cluster's topics, commits).
    fn reader(&self) -> &Reader;

    /// How many offsets this run reads at most (transaction markers count too); shared with
    /// other instances, how many the group had left when this one joined.
    fn total(&self) -> u64;

    /// The group's committed offsets when the run started, per partition (none for a shared
    /// source: each partition's is read as it is received).
    fn committed_at_start(&self) -> &BTreeMap<i32, i64>;

    /// Whether the source shares its partitions with other instances in its group.
    fn is_shared(&self) -> bool;
}

/// A boxed job source (the one a run picks at start) is a job source.
impl<S: JobSource + ?Sized> JobSource for Box<S> {
    fn reader(&self) -> &Reader {
        (**self).reader()
    }

    fn total(&self) -> u64 {
        (**self).total()
    }

    fn committed_at_start(&self) -> &BTreeMap<i32, i64> {
        (**self).committed_at_start()
    }

    fn is_shared(&self) -> bool {
        (**self).is_shared()
    }
}

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
        read_from: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::kafka::client::consumer_config;

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
