//! One record at a time, by its coordinates: what the triage view shows in full for the
//! highlighted line (its index keeps only a summary of each record).

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::record::Record;

use super::client::Context;
use super::client::consumer_config;
use super::source::to_record;

/// Reads single records of one topic (`read_committed`, never committing).
pub struct RecordFetcher {
    consumer: BaseConsumer<Context>,
    topic: String,
    timeout: Duration,
    /// Per partition, its log start when first asked: an offset below it is gone, and is not
    /// fetched (librdkafka would warn of an offset out of range, and reset).
    log_starts: std::cell::RefCell<std::collections::HashMap<i32, i64>>,
    /// Where the consumer reads now: (partition, next offset). Records asked for in offset
    /// order (a share group's pointers, mostly) are read on from there, not sought one by one
    /// (each seek costs a fetch round trip, about half a second).
    position: std::cell::Cell<Option<(i32, i64)>>,
}

/// How far ahead of where the consumer reads an offset may be and still be read on to (not
/// sought).
const READ_ON: i64 = 2_000;

/// How long reading on may take before the record asked for is sought instead.
const READ_ON_TIME: Duration = Duration::from_secs(2);

impl RecordFetcher {
    /// A reader of `topic`.
    ///
    /// # Errors
    /// When the consumer cannot be created.
    pub fn new(settings: &Settings, topic: &str) -> anyhow::Result<Self> {
        let mut config = consumer_config(settings);
        // A group of its own (librdkafka wants one to assign partitions): never a member,
        // never a commit, so the run's group is not touched.
        config.set(
            "group.id",
            format!("kafka-merge-purge-fetch-{}", uuid::Uuid::new_v4().simple()),
        );
        let consumer = config
            .create_with_context(Context::for_client(&settings.consumer))
            .context("cannot create the Kafka consumer")?;
        Ok(Self {
            consumer,
            topic: topic.to_owned(),
            timeout: settings.timeout,
            log_starts: std::cell::RefCell::default(),
            position: std::cell::Cell::new(None),
        })
    }

    /// The record at `offset` of `partition`; `None` when it is no longer there (compacted
    /// or deleted: the first record read is past it).
    ///
    /// # Errors
    /// When the record cannot be read within the timeout.
    pub fn fetch(&self, partition: i32, offset: i64) -> anyhow::Result<Option<Record>> {
        if offset < self.log_start(partition)? {
            return Ok(None);
        }
        let mut reading_on = self
            .position
            .get()
            .is_some_and(|(at, next)| at == partition && (next..next + READ_ON).contains(&offset));
        if !reading_on {
            self.seek(partition, offset)?;
        }
        let mut started = Instant::now();
        while started.elapsed() < self.timeout {
            // Reading on that does not get there soon (large records on the way, or the log
            // start moved past where it read): sought instead, once.
            if reading_on && started.elapsed() > READ_ON_TIME {
                reading_on = false;
                self.seek(partition, offset)?;
                started = Instant::now();
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) if message.partition() == partition => {
                    self.position.set(Some((partition, message.offset() + 1)));
                    if message.offset() == offset {
                        return Ok(Some(to_record(&message)));
                    }
                    if message.offset() > offset {
                        return Ok(None);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(eof))) if eof == partition && reading_on => {
                    reading_on = false;
                    self.seek(partition, offset)?;
                    started = Instant::now();
                }
                Some(Err(KafkaError::PartitionEOF(eof))) if eof == partition => {
                    // At the end: the next question seeks again.
                    self.position.set(None);
                    return Ok(None);
                }
                Some(Err(error)) if is_definitive(&error) => {
                    return Err(Unreadable(format!("{}/{partition}: {error}", self.topic)).into());
                }
                Some(Err(error)) => tracing::debug!(%error, "while fetching one record"),
                Some(Ok(_)) | None => {}
            }
        }
        bail!(
            "cannot read offset {offset} of {}/{partition} within {} s",
            self.topic,
            self.timeout.as_secs()
        )
    }
}

impl RecordFetcher {
    /// Reads `partition` from `offset` on.
    fn seek(&self, partition: i32, offset: i64) -> anyhow::Result<()> {
        self.position.set(None);
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&self.topic, partition, Offset::Offset(offset))?;
        self.consumer
            .assign(&assignment)
            .with_context(|| format!("cannot read {}/{partition}", self.topic))
    }

    /// The log start of `partition`, as it was when first asked.
    fn log_start(&self, partition: i32) -> anyhow::Result<i64> {
        if let Some(&start) = self.log_starts.borrow().get(&partition) {
            return Ok(start);
        }
        let (start, _end) = self
            .consumer
            .fetch_watermarks(&self.topic, partition, self.timeout)
            .map_err(|error| -> anyhow::Error {
                if is_definitive(&error) {
                    Unreadable(format!("{}/{partition}: {error}", self.topic)).into()
                } else {
                    anyhow::anyhow!(
                        "cannot ask for the log start of {}/{partition}: {error}",
                        self.topic
                    )
                }
            })?;
        self.log_starts.borrow_mut().insert(partition, start);
        Ok(start)
    }
}

/// A topic or partition that does not exist or may not be read: waiting does not mend it.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}", self.0)
    }
}

impl std::error::Error for Unreadable {}

/// Errors that waiting does not mend: the topic or partition does not exist, or may not be
/// read.
fn is_definitive(error: &KafkaError) -> bool {
    use rdkafka::error::RDKafkaErrorCode::{
        TopicAuthorizationFailed, UnknownPartition, UnknownTopic, UnknownTopicOrPartition,
    };
    matches!(
        error.rdkafka_error_code(),
        Some(UnknownTopicOrPartition | UnknownTopic | UnknownPartition | TopicAuthorizationFailed)
    )
}
