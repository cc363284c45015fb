//! Client construction in one place: librdkafka configuration from our settings, and the
//! client context that bridges librdkafka's logs and errors into `tracing`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::ClientConfig;
use rdkafka::client::{Client, ClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;

use crate::config::Settings;

use super::security::{SecurityFailure, describe_security};

/// The consumer's librdkafka configuration: the settings' properties, the group of
/// [`Settings::group`] (its one source), and what reading to an end snapshot needs.
pub(super) fn consumer_config(settings: &Settings) -> ClientConfig {
    let mut config = client_config(
        &settings.consumer,
        &[
            ("enable.partition.eof", "true"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
        ],
    );
    match &settings.group {
        Some(group) => config.set("group.id", group),
        // librdkafka assigns partitions only with a group id; this one never commits, so it
        // never appears on the broker.
        None => config.set(
            "group.id",
            format!("kafka-merge-purge-reader-{}", uuid::Uuid::new_v4().simple()),
        ),
    };
    config
}

/// Builds a librdkafka configuration from `properties`, then applies `forced` on top.
#[must_use]
pub fn client_config(
    properties: &BTreeMap<String, String>,
    forced: &[(&str, &str)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in properties {
        config.set(key, value);
    }
    for (key, value) in forced {
        if let Some(given) = properties.get(*key).filter(|given| given != value) {
            tracing::warn!("property {key}={given} is overridden with {value}: the tool needs it");
        }
        config.set(*key, *value);
    }
    config.set_log_level(if tracing::enabled!(tracing::Level::DEBUG) {
        RDKafkaLogLevel::Debug
    } else {
        RDKafkaLogLevel::Warning
    });
    config
}

/// Context shared by our consumer and producer: routes librdkafka's logs to `tracing` and
/// remembers the last client-level error (for example why a broker cannot be reached), so
/// that a timeout can say why it happened, and the first authentication or TLS failure, which
/// ends waiting at once.
#[derive(Debug, Default)]
pub struct Context {
    last_error: Mutex<Option<String>>,
    security_failure: Mutex<Option<SecurityFailure>>,
    /// How the client connects (`SASL_SSL, PLAIN, user alice`), for error messages.
    security: String,
    /// A group member that reads: rebalances are queued here for the reader to carry out
    /// (after its open batch is committed). A member that does not (`None`) takes what it is
    /// given and pauses it.
    deferred: Option<Mutex<Vec<GroupEvent>>>,
    /// Set when the member leaves: closing the consumer revokes its partitions, which must
    /// then be carried out at once.
    leaving: std::sync::atomic::AtomicBool,
}

/// A rebalance of the consumer group, as the reading member is told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// Partitions given to this member.
    Assigned(Vec<i32>),
    /// Partitions taken away; `lost` when the member was already out of the group (its
    /// session expired), so that nothing it commits for them is accepted.
    Revoked { partitions: Vec<i32>, lost: bool },
}

impl Context {
    /// A context for a client configured with `properties`.
    #[must_use]
    pub fn for_client(properties: &BTreeMap<String, String>) -> Self {
        Self {
            security: describe_security(properties),
            ..Self::default()
        }
    }

    /// A context for a group member that carries out rebalances itself
    /// ([`Context::take_group_events`]).
    #[must_use]
    pub fn deferring(properties: &BTreeMap<String, String>) -> Self {
        Self {
            deferred: Some(Mutex::default()),
            ..Self::for_client(properties)
        }
    }

    /// From now on rebalances are carried out at once (the member is leaving the group).
    pub fn leave(&self) {
        self.leaving
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The rebalances not yet carried out, oldest first.
    pub fn take_group_events(&self) -> Vec<GroupEvent> {
        self.deferred
            .as_ref()
            .and_then(|events| {
                events
                    .lock()
                    .ok()
                    .map(|mut events| std::mem::take(&mut *events))
            })
            .unwrap_or_default()
    }

    /// The first authentication or TLS failure, as a whole message: librdkafka retries them,
    /// but they do not go away by themselves.
    #[must_use]
    pub fn security_failure(&self) -> Option<String> {
        self.security_failure
            .lock()
            .ok()?
            .as_ref()
            .map(|failure| failure.message(&self.security))
    }

    /// Remembers the first security failure; whether `message` reports one.
    fn note_security_failure(&self, message: &str) -> bool {
        let Some(failure) = SecurityFailure::parse(message) else {
            return false;
        };
        if let Ok(mut first) = self.security_failure.lock() {
            first.get_or_insert(failure);
        }
        true
    }

    /// The last error librdkafka reported for this client, if any.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .map_or(None, |guard| guard.as_ref().cloned())
    }

    /// A suffix for error messages: `" (last error: ...)"` or nothing.
    #[must_use]
    pub fn reason(&self) -> String {
        self.last_error()
            .map(|error| format!(" (last error: {error})"))
            .unwrap_or_default()
    }
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // librdkafka retries what it logs as an error (a refused connection, say); the tool
        // reports the failures that matter itself, so these are warnings to the user.
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(target: "librdkafka", "{facility}: {message}");
            }
            RDKafkaLogLevel::Error | RDKafkaLogLevel::Warning => {
                // The tool reports a security failure itself, in one message.
                if self.note_security_failure(message) {
                    tracing::debug!(target: "librdkafka", "{facility}: {message}");
                } else {
                    tracing::warn!(target: "librdkafka", "{facility}: {message}");
                }
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{facility}: {message}");
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", "{facility}: {message}");
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        // Transient (the client retries); reported when it makes an operation time out.
        tracing::debug!(target: "librdkafka", "{error}: {reason}");
        let _security = self.note_security_failure(reason);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(reason.to_owned());
        }
    }
}

impl ConsumerContext for Context {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        error: rdkafka::types::RDKafkaRespErr,
        partitions: &mut rdkafka::TopicPartitionList,
    ) {
        use rdkafka::types::RDKafkaRespErr;
        let assigned = match error {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => true,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => false,
            other => {
                tracing::warn!("consumer group rebalance failed: {other:?}");
                return;
            }
        };
        let numbers: Vec<i32> = partitions
            .elements()
            .iter()
            .map(rdkafka::topic_partition_list::TopicPartitionListElem::partition)
            .collect();
        let leaving = self.leaving.load(std::sync::atomic::Ordering::Relaxed);
        if let (Some(events), false) = (&self.deferred, leaving) {
            let event = if assigned {
                GroupEvent::Assigned(numbers)
            } else {
                GroupEvent::Revoked {
                    partitions: numbers,
                    lost: consumer.assignment_lost(),
                }
            };
            tracing::debug!(?event, "consumer group rebalance");
            if let Ok(mut events) = events.lock() {
                events.push(event);
            }
            return;
        }
        // A member that only holds its place in the group: takes the partitions, never reads.
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let result = match (assigned, cooperative) {
            (true, true) => consumer.incremental_assign(partitions),
            (true, false) => consumer.assign(partitions),
            (false, true) => consumer.incremental_unassign(partitions),
            (false, false) => consumer.unassign(),
        };
        if let Err(error) = result {
            tracing::warn!("cannot carry out a consumer group rebalance: {error}");
        }
        if assigned
            && self.deferred.is_none()
            && let Err(error) = consumer.pause(partitions)
        {
            tracing::debug!("cannot pause the partitions of a member that does not read: {error}");
        }
    }
}

/// Why [`fetch_metadata`] gave up.
#[derive(Debug)]
pub enum MetadataError {
    /// Authentication or TLS failed; the whole message.
    Security(String),
    /// No answer within the timeout, or librdkafka's error.
    Kafka(KafkaError),
}

/// Fetches metadata (of `topic`, or of every topic) within `timeout`, but gives up as soon as
/// `context` saw an authentication or TLS failure. The first waits are short, so such a
/// failure ends it within a second; later ones grow, so a slow cluster still gets its answer.
///
/// librdkafka queues its logs and errors until the client is polled: `serve_events` does that
/// between waits (a consumer without assigned partitions polls; a producer's own thread
/// serves them already).
///
/// # Errors
/// [`MetadataError::Security`] at once on an authentication or TLS failure, else
/// librdkafka's error when the timeout has passed.
pub fn fetch_metadata<C: ClientContext>(
    client: &Client<C>,
    context: &Context,
    topic: Option<&str>,
    timeout: Duration,
    serve_events: &dyn Fn(),
) -> Result<Metadata, MetadataError> {
    let deadline = Instant::now() + timeout;
    let mut slice = Duration::from_millis(250);
    loop {
        let started = Instant::now();
        let wait = slice.min(deadline.saturating_duration_since(started));
        let error = match client.fetch_metadata(topic, wait) {
            Ok(metadata) => return Ok(metadata),
            Err(error) => error,
        };
        serve_events();
        if let Some(failure) = context.security_failure() {
            return Err(MetadataError::Security(failure));
        }
        if Instant::now() >= deadline || !is_transient(&error) {
            return Err(MetadataError::Kafka(error));
        }
        // Never spin on an error that came back at once.
        std::thread::sleep(
            wait.saturating_sub(started.elapsed())
                .min(Duration::from_millis(100))
                .min(deadline.saturating_duration_since(Instant::now())),
        );
        slice = slice.saturating_mul(2);
    }
}

/// The partitions of each of `topics`, as `consumer` (a client that reads no partition, so
/// polled while waiting) finds them in the cluster's metadata.
///
/// # Errors
/// When the metadata cannot be had within `timeout`.
pub fn topic_partitions(
    consumer: &BaseConsumer<Context>,
    topics: impl IntoIterator<Item = impl AsRef<str>>,
    timeout: Duration,
) -> anyhow::Result<Vec<(String, i32)>> {
    let mut partitions = Vec::new();
    for topic in topics {
        let topic = topic.as_ref();
        let metadata = fetch_metadata(
            consumer.client(),
            consumer.context(),
            Some(topic),
            timeout,
            &|| {
                let _event = consumer.poll(Duration::ZERO);
            },
        )
        .map_err(|error| match error {
            MetadataError::Security(message) => anyhow::anyhow!(message),
            MetadataError::Kafka(error) => anyhow::Error::new(error),
        })
        .with_context(|| format!("cannot read the metadata of {topic}"))?;
        for found in metadata.topics() {
            partitions.extend(
                found
                    .partitions()
                    .iter()
                    .map(|p| (topic.to_owned(), p.id())),
            );
        }
    }
    Ok(partitions)
}

/// Whether librdkafka gave up waiting for the cluster (as opposed to a definite answer).
fn is_transient(error: &KafkaError) -> bool {
    use rdkafka::error::RDKafkaErrorCode::{
        AllBrokersDown, BrokerTransportFailure, OperationTimedOut,
    };
    matches!(
        error.rdkafka_error_code(),
        Some(BrokerTransportFailure | OperationTimedOut | AllBrokersDown)
    )
}
