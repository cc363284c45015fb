//! Commits what a source approved: the offsets and their metadata, exactly, for the group.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::triage::{BatchAborted, Offsets};

use super::super::client::Context;
use super::{coordinator_retry, refused_by_group};

/// Commits offsets of the source topic for the group (non-transactional sinks), and hands
/// out the group metadata for transactional offset commits. It keeps no state: what may be
/// committed is the source's to say ([`crate::triage::RecordSource::approve`]).
#[derive(Clone)]
pub struct OffsetCommitter {
    consumer: Arc<BaseConsumer<Context>>,
    topic: String,
    timeout: Duration,
}

impl OffsetCommitter {
    pub(super) fn new(
        consumer: Arc<BaseConsumer<Context>>,
        topic: &str,
        timeout: Duration,
    ) -> Self {
        Self {
            consumer,
            topic: topic.to_owned(),
            timeout,
        }
    }

    /// The offsets as a librdkafka list for the source topic, each with its metadata.
    pub(in crate::kafka) fn list(&self, offsets: &Offsets) -> anyhow::Result<TopicPartitionList> {
        let mut list = TopicPartitionList::new();
        for (partition, next) in offsets.iter() {
            list.add_partition_offset(&self.topic, partition, Offset::Offset(next))?;
            if let (Some(text), Some(mut element)) = (
                offsets.metadata(partition),
                list.find_partition(&self.topic, partition),
            ) {
                element.set_metadata(text);
            }
        }
        Ok(list)
    }

    /// Commits `offsets` synchronously.
    ///
    /// # Errors
    /// When the group coordinator refuses or cannot be reached.
    pub fn commit(&self, offsets: &Offsets) -> anyhow::Result<()> {
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

    pub(in crate::kafka) fn group_metadata(
        &self,
    ) -> Option<rdkafka::consumer::ConsumerGroupMetadata> {
        self.consumer.group_metadata()
    }
}
