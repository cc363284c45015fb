//! What the Kafka sink needs of the cluster, as a trait ([`Writer`]): queue copies and
//! tombstones, wait for their acknowledgement, commit offsets, run transactions. The producer
//! and the group's offset committer implement it ([`KafkaWriter`]); the sink's unit tests put
//! a recording fake in their place.

use anyhow::Context as _;

use crate::triage::{BatchAborted, Offsets};

use super::producer::{OutgoingCopy, RecordProducer, Tombstone};
use super::source::OffsetCommitter;
use super::txn::Transaction;

/// The writes and commits of one run.
pub trait Writer {
    /// Whether every write belongs to a transaction.
    fn is_transactional(&self) -> bool;
    /// Queues `copy`.
    ///
    /// # Errors
    /// When it cannot be queued.
    fn send_copy(&mut self, copy: &OutgoingCopy<'_>) -> anyhow::Result<()>;
    /// Queues `tombstone`.
    ///
    /// # Errors
    /// When it cannot be queued.
    fn send_tombstone(&mut self, tombstone: &Tombstone<'_>) -> anyhow::Result<()>;
    /// Waits until everything queued is acknowledged.
    ///
    /// # Errors
    /// A failed delivery, or records unacknowledged after the timeout.
    fn flush(&mut self) -> anyhow::Result<()>;
    /// Drops what is queued and not yet sent.
    fn discard_queued(&mut self);
    /// Commits `offsets` for the group (without transactions); nothing when offsets are not
    /// committed (`-n`).
    ///
    /// # Errors
    /// When the group coordinator refuses or cannot be reached.
    fn commit_offsets(&mut self, offsets: &Offsets) -> anyhow::Result<()>;
    /// Opens a transaction unless one is open.
    ///
    /// # Errors
    /// When none can be begun (for example the producer was fenced).
    fn begin(&mut self) -> anyhow::Result<()>;
    /// Commits the open transaction with `offsets` in it (none when offsets are not
    /// committed), aborting it when that fails.
    ///
    /// # Errors
    /// When a record is not acknowledged or the commit fails.
    fn commit_transaction(&mut self, offsets: &Offsets) -> anyhow::Result<()>;
    /// Aborts the open transaction, if any.
    ///
    /// # Errors
    /// When the abort fails.
    fn abort_transaction(&mut self) -> anyhow::Result<()>;
}

/// The real writer: our producer, and the group's offsets through the source's consumer.
pub struct KafkaWriter {
    producer: RecordProducer,
    /// `None` when offsets are not committed (`-n`).
    committer: Option<OffsetCommitter>,
    txn: Transaction,
    /// Producers renewed since the last committed transaction.
    renewals: u32,
    /// The topic last written to: the producer's set of written topics is told only of a
    /// change (most runs write to two topics, record after record).
    last_written: String,
}

/// How many times in a row a fenced producer is renewed before the run gives up: a
/// transaction aborted for its timeout again and again means the cluster cannot keep up.
const MAX_RENEWALS: u32 = 3;

impl KafkaWriter {
    #[must_use]
    pub fn new(producer: RecordProducer, committer: Option<OffsetCommitter>) -> Self {
        Self {
            producer,
            committer,
            txn: Transaction::default(),
            renewals: 0,
            last_written: String::new(),
        }
    }

    fn note_written(&mut self, topic: &str) {
        if self.last_written != topic {
            self.producer.note_written(topic);
            topic.clone_into(&mut self.last_written);
        }
    }

    /// `result` of a transactional call, after which a producer the cluster fenced is
    /// replaced when it may be ([`RecordProducer::create_renewable`]): the batch is then
    /// aborted ([`BatchAborted`]) and read again, instead of ending the run.
    fn renewing<T>(&mut self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        let Err(error) = result else {
            return result;
        };
        if self.renewals >= MAX_RENEWALS {
            return Err(error);
        }
        let Some((reason, renewed)) = self.producer.renewed_after_fencing() else {
            return Err(error);
        };
        match renewed {
            Ok(producer) => {
                tracing::debug!("fenced: {error:#}");
                self.renewals += 1;
                self.producer = producer;
                self.txn = Transaction::default();
                Err(anyhow::Error::new(BatchAborted(format!(
                    "the cluster fenced this instance's producer ({reason}): its transaction stayed open past transaction.timeout.ms, or the other instances saw this one leave the group, and it was aborted; a new producer with the same transactional id goes on"
                ))))
            }
            Err(renewal) => Err(error.context(format!(
                "the producer was fenced ({reason}), and a new one could not be made: {renewal:#}"
            ))),
        }
    }
}

impl Writer for KafkaWriter {
    fn is_transactional(&self) -> bool {
        self.producer.is_transactional()
    }

    fn send_copy(&mut self, copy: &OutgoingCopy<'_>) -> anyhow::Result<()> {
        self.note_written(&copy.to.topic);
        let sent = self.producer.send_copy(copy);
        self.renewing(sent)
    }

    fn send_tombstone(&mut self, tombstone: &Tombstone<'_>) -> anyhow::Result<()> {
        self.note_written(tombstone.topic);
        let sent = self.producer.send_tombstone(tombstone);
        self.renewing(sent)
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.producer.flush()
    }

    fn discard_queued(&mut self) {
        self.producer.discard_queued();
    }

    fn commit_offsets(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        match &self.committer {
            Some(committer) => committer.commit(offsets),
            None => Ok(()),
        }
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        let begun = self.txn.ensure_open(&self.producer);
        self.renewing(begun)
    }

    fn commit_transaction(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        let offsets = match &self.committer {
            Some(committer) if !offsets.is_empty() => {
                let group = committer
                    .group_metadata()
                    .context("no consumer group metadata for the transaction")?;
                Some((committer.list(offsets)?, group))
            }
            _ => None,
        }
        // Nothing to commit above the group's offsets at start (`--from-beginning`).
        .filter(|(list, _)| list.count() > 0);
        let committed = self.txn.commit(
            &self.producer,
            offsets.as_ref().map(|(list, group)| (list, group)),
        );
        if committed.is_ok() {
            self.renewals = 0;
        }
        self.renewing(committed)
    }

    fn abort_transaction(&mut self) -> anyhow::Result<()> {
        let aborted = self.txn.abort(&self.producer);
        match self.renewing(aborted) {
            // Fenced while aborting: the coordinator had aborted the transaction itself, and
            // the new producer has none open.
            Err(error) if error.downcast_ref::<BatchAborted>().is_some() => {
                tracing::warn!("{error:#}");
                Ok(())
            }
            other => other,
        }
    }
}
