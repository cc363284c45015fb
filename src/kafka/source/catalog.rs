//! Topics of the cluster as the source's consumer sees them in its metadata.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;

use crate::redrive::{TopicCatalog, TopicState};

use super::super::client::{Context, MetadataError, fetch_metadata};

/// Topics of the cluster as the source's consumer sees them in its metadata (never created
/// by asking: consumers do not auto-create topics).
pub struct ClusterTopics {
    consumer: Arc<BaseConsumer<Context>>,
    timeout: Duration,
    bootstrap: String,
}

impl ClusterTopics {
    pub(super) fn new(
        consumer: Arc<BaseConsumer<Context>>,
        timeout: Duration,
        bootstrap: &str,
    ) -> Self {
        Self {
            consumer,
            timeout,
            bootstrap: bootstrap.to_owned(),
        }
    }
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
