//! The writing side: an idempotent (optionally transactional) producer that copies records
//! whole and writes tombstones, keeping many records in flight and tracking failed deliveries.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, PurgeConfig};

use crate::config::Settings;
use crate::record::{Header, Record};
use crate::repair::Repair;
use crate::triage::{BatchAborted, Target};

use super::client::{Context, MetadataError, client_config, fetch_metadata};

/// One copy to write: `record`'s key and value, with `headers` and `timestamp` (epoch ms;
/// `None`: the producer's time), to `to`.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingCopy<'a> {
    pub record: &'a Record,
    pub to: &'a Target,
    pub headers: &'a [Header],
    pub timestamp: Option<i64>,
    /// The key and value bytes a repaired copy holds instead of the record's.
    pub repair: Option<&'a Repair>,
}

/// One tombstone to write: `key` with a null value, to `topic`, in `partition` (`None`: the
/// key's), with `headers` (none, except the `kmp-plan` header of `apply`).
#[derive(Debug, Clone, Copy)]
pub struct Tombstone<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    /// `None`: a keyless marker (only a topic that is not compacted takes one).
    pub key: Option<&'a [u8]>,
    pub headers: &'a [Header],
}

/// `headers` as librdkafka's, in order, null values kept.
fn owned_headers(headers: &[Header]) -> OwnedHeaders {
    headers.iter().fold(
        OwnedHeaders::new_with_capacity(headers.len()),
        |owned, header| {
            owned.insert(KafkaHeader {
                key: &header.name,
                value: header.value.as_deref(),
            })
        },
    )
}

/// Producer context: the shared client context plus a record of failed deliveries.
#[derive(Debug, Default)]
pub struct DeliveryContext {
    client: Context,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
    /// Events served so far (delivery reports, logs, errors): tells the polling thread
    /// whether a poll found one.
    served: AtomicU64,
}

impl DeliveryContext {
    fn served_one(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.served_one();
        self.client.log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.served_one();
        self.client.error(error, reason);
    }
}

impl rdkafka::producer::ProducerContext for DeliveryContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _opaque: ()) {
        self.served_one();
        if let Err((error, message)) = result {
            self.failed.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut first) = self.first_failure.lock() {
                first.get_or_insert_with(|| {
                    format!(
                        "cannot write to {} partition {}: {error}{}",
                        message.topic(),
                        message.partition(),
                        too_large_hint(error, Side::Broker)
                            .map(|hint| format!("; {hint}"))
                            .unwrap_or_default()
                    )
                });
            }
        }
    }
}

/// Which limit refused a record that is too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The producer's own `message.max.bytes`, before sending.
    Producer,
    /// The destination topic's `max.message.bytes` (or the broker's `message.max.bytes`).
    Broker,
}

/// What to raise when `error` says a record is too large; `None` for any other error.
fn too_large_hint(error: &KafkaError, side: Side) -> Option<&'static str> {
    if error.rdkafka_error_code() != Some(RDKafkaErrorCode::MessageSizeTooLarge) {
        return None;
    }
    Some(match side {
        Side::Producer => {
            "the record is larger than the producer allows: raise message.max.bytes with -p \
             (librdkafka's default is 1000000 bytes), e.g. -p message.max.bytes=10485760"
        }
        Side::Broker => {
            "the destination topic refuses records this large: raise its max.message.bytes \
             (kafka-configs --alter --entity-type topics --add-config max.message.bytes=...)"
        }
    })
}

/// How long the polling thread sleeps between two looks at the producer's events: also the
/// longest the end of a run waits for it to stop. (rdkafka's `ThreadedProducer` waits 100 ms,
/// so every run ended 100 ms late.)
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Serves the producer's delivery reports and errors on a thread of its own until dropped.
struct Poller {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    fn start(producer: &Arc<BaseProducer<DeliveryContext>>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("producer-poll".into())
            .spawn({
                let producer = Arc::clone(producer);
                let stop = Arc::clone(&stop);
                move || {
                    while !stop.load(Ordering::Relaxed) {
                        serve_queued(&producer);
                        std::thread::sleep(POLL_INTERVAL);
                    }
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

/// Serves every event queued now, without waiting for more. Not rdkafka's `poll` with a
/// timeout: it spins through the last millisecond of every wait (the time left rounds down
/// to 0 ms, which does not block), which kept a tenth of a core busy even at an idle prompt.
/// `poll` with no timeout serves one event at most, so it is called until one finds none.
fn serve_queued(producer: &BaseProducer<DeliveryContext>) {
    loop {
        let served = producer.context().served.load(Ordering::Relaxed);
        producer.poll(Duration::ZERO);
        if producer.context().served.load(Ordering::Relaxed) == served {
            return;
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::debug!("the producer's polling thread panicked");
        }
    }
}

/// Our producer.
pub struct RecordProducer {
    // Held for its drop, declared first so dropped first: the polling thread stops before
    // the producer goes.
    _poller: Poller,
    inner: Arc<BaseProducer<DeliveryContext>>,
    timeout: Duration,
    bootstrap: String,
    /// Created with a transactional id: every write belongs to a transaction.
    transactional: bool,
    /// What a fresh producer with the same transactional id is made from after the cluster
    /// fenced this one ([`Self::create_renewable`]).
    renewal: Option<Settings>,
    /// The topics written to, by this producer and the ones it was renewed from.
    written: WrittenTopics,
}

/// The topics a producer wrote to (shared with whoever asked for them).
pub type WrittenTopics = Arc<Mutex<BTreeSet<String>>>;

impl RecordProducer {
    /// Creates the producer; with `transactional_id`, also initializes transactions, which
    /// fences any earlier producer with the same id and aborts its open transaction.
    ///
    /// # Errors
    /// Invalid configuration, or the cluster refusing or not answering in time.
    pub fn create(settings: &Settings) -> anyhow::Result<Self> {
        let mut config = client_config(&settings.producer, &[]);
        if let Some(id) = &settings.transactional_id {
            config.set("transactional.id", id);
        }
        let inner: BaseProducer<DeliveryContext> = config
            .create_with_context(DeliveryContext {
                client: Context::for_client(&settings.producer),
                ..DeliveryContext::default()
            })
            .context("cannot create the Kafka producer")?;
        let inner = Arc::new(inner);
        let producer = Self {
            _poller: Poller::start(&inner).context("cannot start the producer's polling thread")?,
            inner,
            timeout: settings.timeout,
            bootstrap: settings.bootstrap_servers.clone(),
            transactional: settings.transactional_id.is_some(),
            renewal: None,
            written: WrittenTopics::default(),
        };
        if let Some(id) = &settings.transactional_id {
            tracing::info!("using transactional id {id}");
            producer.connect()?;
            producer
                .inner
                .init_transactions(producer.timeout)
                .map_err(|error| producer.failure(&error))
                .with_context(|| format!("cannot initialize transactions with id {id}"))?;
        }
        Ok(producer)
    }

    /// [`Self::create`] for a transactional id no other process uses (a bulk instance's own):
    /// when the cluster fences it, that can only be the transaction coordinator aborting a
    /// transaction that stayed open past `transaction.timeout.ms` (the process was paused, or
    /// the cluster did not answer), or another instance of the job fencing this one after it
    /// left the group (it was paused or cut off past its session); either way its
    /// transaction is aborted, and a fresh producer with the same id may go on.
    ///
    /// # Errors
    /// As [`Self::create`].
    pub fn create_renewable(settings: &Settings) -> anyhow::Result<Self> {
        let mut producer = Self::create(settings)?;
        producer.renewal = Some(settings.clone());
        Ok(producer)
    }

    /// After a failed call: when the producer is fenced (a fatal error) and may be renewed,
    /// the fenced one's fatal error and its replacement.
    pub(super) fn renewed_after_fencing(&self) -> Option<(String, anyhow::Result<Self>)> {
        let settings = self.renewal.as_ref()?;
        let (code, reason) = self.inner.client().fatal_error()?;
        if !matches!(
            code,
            RDKafkaErrorCode::Fenced
                | RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
                // Ending a transaction the coordinator had aborted already.
                | RDKafkaErrorCode::InvalidTransactionalState
        ) {
            return None;
        }
        let renewed = Self::create_renewable(settings).map(|mut producer| {
            producer.written = Arc::clone(&self.written);
            producer
        });
        Some((reason, renewed))
    }

    /// The topics it writes to, as the [`super::KafkaWriter`] sending through it notes them
    /// (and those of the producers renewed from it).
    #[must_use]
    pub fn written_topics(&self) -> WrittenTopics {
        Arc::clone(&self.written)
    }

    /// Adds `topic` to [`Self::written_topics`].
    pub(super) fn note_written(&self, topic: &str) {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !written.contains(topic) {
            written.insert(topic.to_owned());
        }
    }

    /// Whether it writes in transactions (it was created with a transactional id).
    #[must_use]
    pub fn is_transactional(&self) -> bool {
        self.transactional
    }

    pub(super) fn inner(&self) -> &BaseProducer<DeliveryContext> {
        &self.inner
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits until the cluster answers, failing at once when authentication or TLS fails
    /// (`init_transactions` would wait for its whole timeout instead).
    fn connect(&self) -> anyhow::Result<()> {
        let context = &self.inner.context().client;
        match fetch_metadata(self.inner.client(), context, None, self.timeout, &|| {}) {
            Ok(_) => Ok(()),
            Err(MetadataError::Security(message)) => Err(anyhow::anyhow!(message)),
            Err(MetadataError::Kafka(error)) => Err(anyhow::anyhow!(
                "cannot reach the Kafka cluster at {} within {} s: {error}{}",
                self.bootstrap,
                self.timeout.as_secs(),
                context.reason()
            )),
        }
    }

    /// An error that says where and, if librdkafka knows, why.
    pub(super) fn failure(&self, error: &KafkaError) -> anyhow::Error {
        if let Some(failure) = self.inner.context().client.security_failure() {
            return anyhow::anyhow!("{error}: {failure}");
        }
        anyhow::anyhow!(
            "{error} (cluster {}){}",
            self.bootstrap,
            self.inner.context().client.reason()
        )
    }

    /// Queues `copy`: the record's key and value bytes untouched, the copy's headers in
    /// order, its timestamp, and the target's partition when fixed (else the key's).
    ///
    /// # Errors
    /// When the record cannot be queued (too large, unknown topic, fenced producer).
    pub fn send_copy(&self, copy: &OutgoingCopy<'_>) -> anyhow::Result<()> {
        let record = copy.record;
        let headers = (!copy.headers.is_empty()).then(|| owned_headers(copy.headers));
        let destination: &str = &copy.to.topic;
        let mut outgoing = BaseRecord::<[u8], [u8]>::to(destination);
        let repair = copy.repair;
        let key = repair
            .and_then(|r| r.key.as_deref())
            .or(record.key.as_deref());
        let value = repair
            .and_then(|r| r.value.as_deref())
            .or(record.value.as_deref());
        if let Some(key) = key {
            outgoing = outgoing.key(key);
        }
        if let Some(value) = value {
            outgoing = outgoing.payload(value);
        }
        if let Some(headers) = headers {
            outgoing = outgoing.headers(headers);
        }
        if let Some(timestamp) = copy.timestamp {
            outgoing = outgoing.timestamp(timestamp);
        }
        if let Some(partition) = copy.to.partition {
            outgoing = outgoing.partition(partition);
        }
        self.enqueue(outgoing).with_context(|| {
            format!(
                "cannot merge record {}/{} offset {} into {destination}",
                record.at.topic, record.at.partition, record.at.offset
            )
        })
    }

    /// Queues `tombstone`.
    ///
    /// # Errors
    /// When it cannot be queued.
    pub fn send_tombstone(&self, tombstone: &Tombstone<'_>) -> anyhow::Result<()> {
        let topic = tombstone.topic;
        let mut outgoing = BaseRecord::<[u8], [u8]>::to(topic);
        if let Some(key) = tombstone.key {
            outgoing = outgoing.key(key);
        }
        if let Some(partition) = tombstone.partition {
            outgoing = outgoing.partition(partition);
        }
        if !tombstone.headers.is_empty() {
            outgoing = outgoing.headers(owned_headers(tombstone.headers));
        }
        self.enqueue(outgoing)
            .with_context(|| match tombstone.partition {
                Some(partition) => format!("cannot write a tombstone to {topic}/{partition}"),
                None => format!("cannot write a tombstone to {topic}"),
            })
    }

    fn enqueue(&self, mut record: BaseRecord<'_, [u8], [u8]>) -> anyhow::Result<()> {
        // The clock is read only once the queue is full: most records never wait.
        let mut full_since: Option<Instant> = None;
        loop {
            match self.inner.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    if full_since.get_or_insert_with(Instant::now).elapsed() >= self.timeout {
                        bail!(
                            "the producer queue stayed full for {} s{}",
                            self.timeout.as_secs(),
                            self.inner.context().client.reason()
                        );
                    }
                    record = returned;
                    // The queue is bounded (queue.buffering.max.kbytes) and drains at the
                    // broker's pace: a short nap keeps it near full without spinning.
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::State), _))
                    if self.is_transactional() =>
                {
                    // The open transaction failed (its records timed out while the process
                    // was paused or cut off, or the group fenced it): it can only be aborted.
                    // librdkafka says why in its TXNERR log line.
                    return Err(anyhow::Error::new(BatchAborted(format!(
                        "the transaction failed and takes no more records{}",
                        self.inner.context().client.reason()
                    ))));
                }
                Err((error, _)) => {
                    let failure = self.failure(&error);
                    return Err(match too_large_hint(&error, Side::Producer) {
                        Some(hint) => anyhow::anyhow!("{failure:#}; {hint}"),
                        None => failure,
                    });
                }
            }
        }
    }

    /// Waits until every queued record is delivered, then fails if any delivery failed
    /// since the last call.
    ///
    /// # Errors
    /// A failed delivery, or records still undelivered after the timeout.
    pub fn flush(&self) -> anyhow::Result<()> {
        if !self.wait_for_deliveries() {
            return Err(self.unacknowledged());
        }
        self.check_deliveries()
    }

    /// The error when [`Self::wait_for_deliveries`] ran out of time.
    pub(super) fn unacknowledged(&self) -> anyhow::Error {
        self.failure(&KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut))
            .context(format!(
                "records were not acknowledged within {} s",
                self.timeout.as_secs()
            ))
    }

    /// Waits until librdkafka holds no record of ours any more (each one delivered or failed,
    /// and its delivery report served by the polling thread); `false` after the timeout.
    ///
    /// Not rdkafka's `flush`: with the polling thread serving the reports, its `flush` still
    /// polls in slices of 100 ms that always run to their end, so every flush cost at least
    /// 100 ms (and `commit_transaction`, which flushes first, too): with two flushes per batch
    /// that was most of a bulk run's time. Sleeping a millisecond at a time costs at most that
    /// per flush.
    pub fn wait_for_deliveries(&self) -> bool {
        let started = Instant::now();
        while self.inner.in_flight_count() > 0 {
            if started.elapsed() >= self.timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Fails if any delivery failed since the last call.
    ///
    /// # Errors
    /// The first failed delivery, with the number of failures.
    pub fn check_deliveries(&self) -> anyhow::Result<()> {
        let context = self.inner.context();
        let failed = context.failed.swap(0, Ordering::SeqCst);
        if failed > 0 {
            let first = context
                .first_failure
                .lock()
                .ok()
                .and_then(|mut first| first.take())
                .unwrap_or_default();
            bail!("{failed} record(s) could not be written; the first: {first}");
        }
        Ok(())
    }

    /// Drops records still queued (not yet sent) and waits briefly for those in flight.
    pub fn discard_queued(&self) {
        self.inner.purge(PurgeConfig::default().queue());
        if let Err(error) = self.inner.flush(Duration::from_secs(5)) {
            tracing::debug!(%error, "records in flight when discarding");
        }
        let _ = self.check_deliveries();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_too_large_says_what_to_raise() {
        let too_large = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        let producer = too_large_hint(&too_large, Side::Producer).unwrap();
        assert!(producer.contains("-p message.max.bytes="), "{producer}");
        let broker = too_large_hint(&too_large, Side::Broker).unwrap();
        assert!(broker.contains("max.message.bytes"), "{broker}");
        let other = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition);
        assert_eq!(too_large_hint(&other, Side::Producer), None);
    }
}
