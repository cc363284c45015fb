//! Transactions: one unit of work (records + consumer offsets) committed or aborted as a
//! whole, with librdkafka's transaction errors sorted into retriable, abortable and fatal.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;

use crate::triage::BatchAborted;

use super::producer::RecordProducer;
use super::source::refused_by_group;

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

/// Whether records of the transaction were not acknowledged within `message.timeout.ms`
/// (librdkafka then bumps the producer's epoch: abortable, the producer goes on).
fn timed_out(error: &KafkaError) -> bool {
    use rdkafka::error::RDKafkaErrorCode;
    error.rdkafka_error_code().is_some_and(|code| {
        matches!(
            code,
            RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::OperationTimedOut
        )
    })
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

/// Calls `call` with the time left until `deadline` until it succeeds, fails for good, or
/// the deadline has passed. Each call gets only what is left, so that a cluster that stopped
/// answering fails the run after the timeout, not after a multiple of it.
fn retrying(
    deadline: Instant,
    call: impl FnMut(Duration) -> Result<(), KafkaError>,
) -> Result<(), KafkaError> {
    retrying_while(deadline, call, |error| {
        classify(error) == TxnErrorClass::Retriable
    })
}

/// [`retrying`] with the question "try again?" as a parameter.
fn retrying_while<E: std::fmt::Display>(
    deadline: Instant,
    mut call: impl FnMut(Duration) -> Result<(), E>,
    retriable: impl Fn(&E) -> bool,
) -> Result<(), E> {
    loop {
        match call(deadline.saturating_duration_since(Instant::now())) {
            Err(error) if retriable(&error) && Instant::now() + RETRY_PAUSE < deadline => {
                tracing::debug!(%error, "retrying a transaction call");
                std::thread::sleep(RETRY_PAUSE);
            }
            other => return other,
        }
    }
}

/// The pause before a retriable transaction call is tried again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

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

    /// Waits for the transaction's records, adds the consumer offsets to it and commits it.
    ///
    /// # Errors
    /// When a record is not acknowledged in time or the commit fails; the transaction is then
    /// aborted if it can be.
    pub fn commit(
        &mut self,
        producer: &RecordProducer,
        offsets: Option<(&rdkafka::TopicPartitionList, &ConsumerGroupMetadata)>,
    ) -> anyhow::Result<()> {
        self.ensure_open(producer)?;
        // commit_transaction flushes first, through rdkafka's flush, which takes at least
        // 100 ms while records are outstanding (see `wait_for_deliveries`): wait for them
        // here, so that it finds nothing left to flush. Records still unacknowledged after
        // the timeout will not be by a commit either: abort at once. The offsets go after
        // the last delivery, not alongside (which measured no faster): in the one CI run that
        // sent them alongside, a broker restart mid-run (faults.rs) ended with the offsets
        // refused for an old producer epoch and the run fenced; never seen with this order.
        if !producer.wait_for_deliveries() {
            let failure = producer.unacknowledged();
            return Err(self.abort_after(producer, failure));
        }
        // The offsets and the commit share one timeout.
        let deadline = Instant::now() + producer.timeout();
        let result = offsets
            .map_or(Ok(()), |(list, group)| {
                retrying(deadline, |left| {
                    producer
                        .inner()
                        .send_offsets_to_transaction(list, group, left)
                })
                .map_err(|error| (error, "cannot add the consumer offsets to the transaction"))
            })
            .and_then(|()| {
                retrying(deadline, |left| producer.inner().commit_transaction(left))
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
                let failure = producer.failure(&error).context(what);
                if classify(&error) == TxnErrorClass::Fatal {
                    self.open = false;
                    return Err(failure.context("the producer cannot continue"));
                }
                if !refused_by_group(&error) && !timed_out(&error) {
                    return Err(self.abort_after(producer, failure));
                }
                // The partitions moved, or the records were not acknowledged in time: once
                // aborted, an engine that can read them again does it over.
                match self.abort(producer) {
                    Ok(()) => Err(anyhow::Error::new(BatchAborted(format!(
                        "{failure:#}; the transaction was aborted"
                    )))),
                    Err(abort) => Err(failure.context(format!("aborting failed too: {abort:#}"))),
                }
            }
        }
    }

    /// Aborts after `failure`, saying whether the abort worked too.
    fn abort_after(&mut self, producer: &RecordProducer, failure: anyhow::Error) -> anyhow::Error {
        match self.abort(producer) {
            Ok(()) => failure.context("the transaction was aborted"),
            Err(abort) => failure.context(format!("aborting failed too: {abort:#}")),
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
        let deadline = Instant::now() + producer.timeout();
        let result = retrying(deadline, |left| producer.inner().abort_transaction(left))
            .map_err(|error| producer.failure(&error))
            .context("cannot abort the transaction");
        // Failed deliveries belonged to the aborted transaction.
        if let Err(error) = producer.check_deliveries() {
            tracing::debug!("{error:#}");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every try gets only the time left, and the tries stop at the deadline: a call that
    /// uses all it is given cannot stretch the wait beyond it.
    #[test]
    fn retries_share_one_deadline() {
        let budget = Duration::from_millis(600);
        let started = Instant::now();
        let deadline = started + budget;
        let mut given = Vec::new();
        let result = retrying_while(
            deadline,
            |left| {
                given.push(left);
                // Uses half of what it is given, like a request that times out.
                std::thread::sleep(left / 2);
                Err("timed out")
            },
            |_| true,
        );
        assert_eq!(result, Err("timed out"));
        assert!(given.len() >= 2, "{given:?}");
        assert!(given.iter().all(|left| *left <= budget), "{given:?}");
        assert!(given.windows(2).all(|w| w[1] < w[0]), "{given:?}");
        // It went on until the deadline was near, and stopped there.
        let ended = Instant::now();
        assert!(ended + RETRY_PAUSE >= deadline, "{:?}", ended - started);
        assert!(ended < deadline + budget, "{:?}", ended - started);
    }

    #[test]
    fn an_error_not_worth_retrying_ends_at_once() {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut calls = 0;
        let result = retrying_while(
            deadline,
            |_| {
                calls += 1;
                Err("fenced")
            },
            |_| false,
        );
        assert_eq!(result, Err("fenced"));
        assert_eq!(calls, 1);
    }
}
