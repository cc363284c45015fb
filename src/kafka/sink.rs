//! The [`ActionSink`] over Kafka: carries merges and purges out with the producer and
//! commits consumer offsets with them — in one transaction with `-t`, otherwise at least once.

use anyhow::Context as _;

use crate::record::Record;
use crate::triage::{Action, ActionSink, Offsets};

use super::consumer::OffsetCommitter;
use super::producer::RecordProducer;
use super::txn::Transaction;

/// How writes and offsets are made durable.
enum Mode {
    /// Records and offsets in one transaction per commit.
    Transactional(Transaction),
    /// Copies first; the tombstones of merged records only once their copies are
    /// acknowledged; offsets last. A failure in between may duplicate, never lose.
    AtLeastOnce {
        merge_tombstones: Vec<(i32, Vec<u8>)>,
    },
}

/// Writes merges and purges to Kafka.
pub struct KafkaSink {
    producer: RecordProducer,
    source: String,
    destination: Option<String>,
    keep_partition: bool,
    /// `None` when offsets are not committed (`-n`).
    committer: Option<OffsetCommitter>,
    mode: Mode,
}

impl KafkaSink {
    /// A sink writing tombstones to `source` and copies to `destination` (none for purges).
    #[must_use]
    pub fn new(
        producer: RecordProducer,
        source: &str,
        destination: Option<&str>,
        keep_partition: bool,
        committer: Option<OffsetCommitter>,
        transactional: bool,
    ) -> Self {
        Self {
            producer,
            source: source.to_owned(),
            destination: destination.map(str::to_owned),
            keep_partition,
            committer,
            mode: if transactional {
                Mode::Transactional(Transaction::default())
            } else {
                Mode::AtLeastOnce {
                    merge_tombstones: Vec::new(),
                }
            },
        }
    }
}

impl ActionSink for KafkaSink {
    fn apply(&mut self, record: &Record, action: Action) -> anyhow::Result<()> {
        if !action.writes() {
            return Ok(());
        }
        if let Mode::Transactional(txn) = &mut self.mode {
            txn.ensure_open(&self.producer)?;
        }
        let partition = record.at.partition;
        match action {
            Action::Merge { tombstone } => {
                let destination = self
                    .destination
                    .as_deref()
                    .context("no destination topic to merge into")?;
                self.producer
                    .send_copy(record, destination, self.keep_partition)?;
                if let (true, Some(key)) = (tombstone, &record.key) {
                    match &mut self.mode {
                        Mode::Transactional(_) => {
                            self.producer.send_tombstone(&self.source, partition, key)?;
                        }
                        Mode::AtLeastOnce { merge_tombstones } => {
                            merge_tombstones.push((partition, key.clone()));
                        }
                    }
                }
            }
            Action::Purge => {
                if let Some(key) = &record.key {
                    self.producer.send_tombstone(&self.source, partition, key)?;
                }
            }
            Action::Skip { .. } => {}
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        match &mut self.mode {
            Mode::Transactional(txn) => {
                let offsets = match &self.committer {
                    Some(committer) if !offsets.is_empty() => {
                        let group = committer
                            .group_metadata()
                            .context("no consumer group metadata for the transaction")?;
                        Some((committer.list(offsets)?, group))
                    }
                    _ => None,
                };
                txn.commit(
                    &self.producer,
                    offsets.as_ref().map(|(list, group)| (list, group)),
                )
            }
            Mode::AtLeastOnce { merge_tombstones } => {
                self.producer.flush()?;
                for (partition, key) in merge_tombstones.drain(..) {
                    self.producer
                        .send_tombstone(&self.source, partition, &key)?;
                }
                self.producer.flush()?;
                match &self.committer {
                    Some(committer) => committer.commit(offsets),
                    None => Ok(()),
                }
            }
        }
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        match &mut self.mode {
            Mode::Transactional(txn) => txn.abort(&self.producer),
            Mode::AtLeastOnce { merge_tombstones } => {
                // Never tombstone a record whose copy is not known to be written.
                merge_tombstones.clear();
                self.producer.discard_queued();
                Ok(())
            }
        }
    }
}

/// The sink of `print`: writes nothing, commits offsets only when asked to.
pub struct OffsetsOnly {
    pub committer: Option<OffsetCommitter>,
}

impl ActionSink for OffsetsOnly {
    fn apply(&mut self, _record: &Record, _action: Action) -> anyhow::Result<()> {
        Ok(())
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        match &self.committer {
            Some(committer) => committer.commit(offsets),
            None => Ok(()),
        }
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
