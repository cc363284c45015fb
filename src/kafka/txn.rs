//! Transactions: one unit of work (records + consumer offsets) committed or aborted as a
//! whole, with librdkafka's transaction errors sorted into retriable, abortable and fatal.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;

use super::producer::RecordProducer;

/// What to do after a transaction call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnErrorClass {
    /// Try the same call again.
    Retriable,
    /// Abort the transaction; the producer stays usable.
    RequiresAbort,
    /// The producer is unusable (for example fenced by a newer run with the same id).
    Fatal,
}

/// Sorts a transaction error.
#[must_use]
pub fn classify(error: &KafkaError) -> TxnErrorClass {
    match error {
        KafkaError::Transaction(rd) if rd.is_fatal() => TxnErrorClass::Fatal,
        KafkaError::Transaction(rd) if rd.txn_requires_abort() => TxnErrorClass::RequiresAbort,
        KafkaError::Transaction(rd) if rd.is_retriable() => TxnErrorClass::Retriable,
        KafkaError::Transaction(_) => TxnErrorClass::RequiresAbort,
        _ => TxnErrorClass::Fatal,
    }
}

/// Calls `call` until it succeeds, fails for good, or `timeout` has passed.
fn retrying(
    timeout: Duration,
    mut call: impl FnMut() -> Result<(), KafkaError>,
) -> Result<(), KafkaError> {
    let started = Instant::now();
    loop {
        match call() {
            Err(error)
                if classify(&error) == TxnErrorClass::Retriable && started.elapsed() < timeout =>
            {
                tracing::debug!(%error, "retrying a transaction call");
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// The transaction state of a transactional sink.
#[derive(Debug, Default)]
pub struct Transaction {
    open: bool,
}

impl Transaction {
    /// Opens a transaction unless one is open.
    ///
    /// # Errors
    /// When the producer cannot begin one (for example it was fenced).
    pub fn ensure_open(&mut self, producer: &RecordProducer) -> anyhow::Result<()> {
        if !self.open {
            producer
                .inner()
                .begin_transaction()
                .map_err(|error| producer.failure(&error))
                .context("cannot begin a transaction")?;
            self.open = true;
        }
        Ok(())
    }

    /// Adds the consumer offsets to the open transaction and commits it.
    ///
    /// # Errors
    /// When the commit fails; the transaction is then aborted if it can be.
    pub fn commit(
        &mut self,
        producer: &RecordProducer,
        offsets: Option<(&rdkafka::TopicPartitionList, &ConsumerGroupMetadata)>,
    ) -> anyhow::Result<()> {
        let timeout = producer.timeout();
        self.ensure_open(producer)?;
        let result = offsets
            .map_or(Ok(()), |(list, group)| {
                retrying(timeout, || {
                    producer
                        .inner()
                        .send_offsets_to_transaction(list, group, timeout)
                })
                .map_err(|error| (error, "cannot add the consumer offsets to the transaction"))
            })
            .and_then(|()| {
                retrying(timeout, || producer.inner().commit_transaction(timeout))
                    .map_err(|error| (error, "cannot commit the transaction"))
            });
        match result {
            Ok(()) => {
                self.open = false;
                // Deliveries that failed inside a committed transaction cannot exist, but
                // the counters must start clean for the next one.
                producer.check_deliveries()
            }
            Err((error, what)) => {
                let class = classify(&error);
                let failure = producer.failure(&error).context(what);
                if class == TxnErrorClass::Fatal {
                    self.open = false;
                    return Err(failure.context("the producer cannot continue"));
                }
                Err(match self.abort(producer) {
                    Ok(()) => failure.context("the transaction was aborted"),
                    Err(abort) => failure.context(format!("aborting failed too: {abort:#}")),
                })
            }
        }
    }

    /// Aborts the open transaction, if any.
    ///
    /// # Errors
    /// When the abort fails (the broker will abort it when `transaction.timeout.ms` passes,
    /// or the next run with the same transactional id fences it at once).
    pub fn abort(&mut self, producer: &RecordProducer) -> anyhow::Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        let timeout = producer.timeout();
        let result = retrying(timeout, || producer.inner().abort_transaction(timeout))
            .map_err(|error| producer.failure(&error))
            .context("cannot abort the transaction");
        // Failed deliveries belonged to the aborted transaction.
        if let Err(error) = producer.check_deliveries() {
            tracing::debug!("{error:#}");
        }
        result
    }
}
