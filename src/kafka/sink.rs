//! The [`ActionSink`] over Kafka: carries merges and purges out with the producer and
//! commits consumer offsets with them — in one transaction with `-t`, otherwise at least once.
//! The order of the writes is decided here, over the [`Writer`] trait, and unit-tested with a
//! recording writer.

use crate::record::{Coordinates, DECIDED_SOURCE, Header, Record};
use crate::redrive::{CopyTimestamp, DECIDED_BY, DECIDED_OFFSET, HeaderPolicy};
use crate::triage::{Action, ActionSink, BatchAborted, Offsets};

use super::producer::{OutgoingCopy, RecordProducer, Tombstone};
use super::source::OffsetCommitter;
use super::writer::{KafkaWriter, Writer};

/// Records whose markers wait for their copies' acknowledgement (without transactions): the
/// partition, key and offset of each.
type PendingMarkers = Vec<(i32, Option<Vec<u8>>, i64, Option<Coordinates>)>;

/// What a copy keeps of its record: which headers (`--strip-dlq-headers`, `--drop-header`,
/// plus ours) and which timestamp (`--timestamp`).
#[derive(Debug, Clone, Default)]
pub struct CopyRules {
    pub headers: HeaderPolicy,
    pub timestamp: CopyTimestamp,
    /// The headers of the tombstones written in the source besides the decision's own
    /// ([`DECIDED_OFFSET`], [`DECIDED_BY`]): `apply`'s `kmp-plan` (the plan's id, how a second
    /// apply knows what the first one did).
    pub tombstone_headers: Vec<Header>,
    /// Who decides, for the markers' [`DECIDED_BY`]: the group, or `-`.
    pub decided_by: String,
    /// A record with a null key gets a keyless marker: the source is not compacted (a
    /// compacted topic refuses records without a key).
    pub keyless_markers: bool,
}

/// Writes merges and purges to Kafka through a [`Writer`]; each merge goes where its action
/// says.
///
/// With transactions, records and offsets go into one transaction per commit. Without, copies
/// go first; the tombstones of merged records only once their copies are acknowledged; offsets
/// last: a failure in between may duplicate, never lose.
pub struct KafkaSink<W: Writer = KafkaWriter> {
    writer: W,
    source: String,
    rules: CopyRules,
    /// Markers of merged records waiting for their copies; unused with transactions.
    pending: PendingMarkers,
}

impl KafkaSink {
    /// A sink writing tombstones to `source` and copies where the actions say, committing
    /// offsets through `committer` (none with `-n`).
    #[must_use]
    pub fn new(
        producer: RecordProducer,
        committer: Option<OffsetCommitter>,
        source: &str,
        rules: CopyRules,
    ) -> Self {
        Self::with_writer(KafkaWriter::new(producer, committer), source, rules)
    }
}

impl<W: Writer> KafkaSink<W> {
    /// The same sink over any writer.
    pub fn with_writer(writer: W, source: &str, rules: CopyRules) -> Self {
        Self {
            writer,
            source: source.to_owned(),
            rules,
            pending: Vec::new(),
        }
    }
}

impl<W: Writer> KafkaSink<W> {
    /// Queues the marker of the decided record at `offset` of the source's `partition`: a
    /// tombstone of its `key` naming it, or a keyless marker for a null key where the source
    /// takes one (nothing otherwise).
    fn mark(
        &mut self,
        partition: i32,
        key: Option<&[u8]>,
        offset: i64,
        source: Option<&Coordinates>,
    ) -> anyhow::Result<()> {
        if key.is_none() && !self.rules.keyless_markers {
            return Ok(());
        }
        let mut headers = self.rules.tombstone_headers.clone();
        headers.push(Header {
            name: DECIDED_OFFSET.to_owned(),
            value: Some(offset.to_string().into_bytes()),
        });
        headers.push(Header {
            name: DECIDED_BY.to_owned(),
            value: Some(self.rules.decided_by.clone().into_bytes()),
        });
        // A merged share-group pointer: the record it sent back, for every later reader.
        if let Some(source) = source {
            headers.push(Header {
                name: DECIDED_SOURCE.to_owned(),
                value: Some(source.to_header().into_bytes()),
            });
        }
        self.writer.send_tombstone(&Tombstone {
            topic: &self.source,
            partition: Some(partition),
            key,
            headers: &headers,
        })
    }

    /// Whether deciding `record` leaves a marker: a tombstone of its key, or a keyless marker.
    fn marks(&self, record: &Record) -> bool {
        record.own_key().is_some() || self.rules.keyless_markers
    }
}

/// The time a copy stamped `now` gets.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

impl<W: Writer> ActionSink for KafkaSink<W> {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if !action.writes() {
            return Ok(());
        }
        let transactional = self.writer.is_transactional();
        if transactional {
            self.writer.begin()?;
        }
        let partition = record.at.partition;
        match action {
            Action::Merge { to, repair, .. } => {
                let mut headers: Vec<Header> = self
                    .rules
                    .headers
                    .copy_headers(record, self.rules.timestamp);
                if let Some(repair) = repair {
                    headers.extend(repair.headers());
                }
                let timestamp = match self.rules.timestamp {
                    CopyTimestamp::Kept => record.timestamp.map(|t| t.millis),
                    CopyTimestamp::Now => Some(now_millis()),
                };
                self.writer.send_copy(&OutgoingCopy {
                    record,
                    to,
                    headers: &headers,
                    timestamp,
                    repair: repair.as_deref(),
                })?;
                // A record that is a tombstone itself (`-T`) gets its marker too: the copy
                // is the decision, and a rerun must not copy it again.
                if self.marks(record) {
                    let source = record.read_from.as_ref();
                    if transactional {
                        self.mark(partition, record.own_key(), record.at.offset, source)?;
                    } else {
                        self.pending.push((
                            partition,
                            record.own_key().map(<[u8]>::to_vec),
                            record.at.offset,
                            source.cloned(),
                        ));
                    }
                }
            }
            // A share group's pointer purged as the duplicate of one merged in this batch:
            // without transactions, its marker waits, like the merge's, for the copies.
            Action::Purge if !transactional && record.read_from.is_some() => {
                self.pending.push((partition, None, record.at.offset, None));
            }
            Action::Purge => {
                self.mark(partition, record.own_key(), record.at.offset, None)?;
            }
            Action::Skip { .. } => {}
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        if self.writer.is_transactional() {
            return self.writer.commit_transaction(offsets);
        }
        self.writer.flush()?;
        for (partition, key, offset, source) in std::mem::take(&mut self.pending) {
            self.mark(partition, key.as_deref(), offset, source.as_ref())?;
        }
        self.writer.flush()?;
        match self.writer.commit_offsets(offsets) {
            // The copies and their markers are written: the batch is done whatever the
            // group's offsets say, and whoever reads its records again passes them over.
            Err(error)
                if error
                    .chain()
                    .any(|cause| cause.downcast_ref::<BatchAborted>().is_some()) =>
            {
                tracing::warn!(
                    "{error:#}: the batch's copies and markers are written, so its records are passed over when read again (but for null keys on a compacted DLQ, which only the offsets record)"
                );
                Ok(())
            }
            committed => committed,
        }
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        if self.writer.is_transactional() {
            return self.writer.abort_transaction();
        }
        // Never tombstone a record whose copy is not known to be written.
        self.pending.clear();
        self.writer.discard_queued();
        Ok(())
    }
}

/// The sink of `print`: writes nothing, commits offsets only when asked to.
pub struct OffsetsOnly {
    pub committer: Option<OffsetCommitter>,
}

impl ActionSink for OffsetsOnly {
    fn apply(&mut self, _record: &Record, _action: &Action) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redrive::{NamePattern, REPLAY_COUNT};
    use crate::triage::{SkipReason, Target};

    /// What the sink asked of the writer, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Call {
        Copy(i64, String),
        /// A copy's partition, header names and timestamp (`Recording::details`).
        Details(Option<i32>, Vec<String>, Option<i64>),
        Tombstone(i32, Vec<u8>),
        Flush,
        Discard,
        CommitOffsets(Vec<(i32, i64)>),
        Begin,
        CommitTransaction(Vec<(i32, i64)>),
        Abort,
    }

    /// Records every call; fails the `fail_flush`-th flush (1-based) when set.
    #[derive(Default)]
    struct Recording {
        transactional: bool,
        /// Note a copy's partition, headers and timestamp too.
        details: bool,
        calls: Vec<Call>,
        flushes: usize,
        fail_flush: Option<usize>,
        /// The group refuses the offsets (without transactions).
        refuse_offsets: bool,
    }

    impl Recording {
        fn note(&mut self, call: Call) -> anyhow::Result<()> {
            self.calls.push(call);
            Ok(())
        }
    }

    impl Writer for Recording {
        fn is_transactional(&self) -> bool {
            self.transactional
        }
        fn send_copy(&mut self, copy: &OutgoingCopy<'_>) -> anyhow::Result<()> {
            if self.details {
                let names = copy.headers.iter().map(|h| h.name.clone()).collect();
                self.calls
                    .push(Call::Details(copy.to.partition, names, copy.timestamp));
            }
            self.note(Call::Copy(copy.record.at.offset, copy.to.topic.to_string()))
        }
        fn send_tombstone(&mut self, tombstone: &Tombstone<'_>) -> anyhow::Result<()> {
            assert_eq!(tombstone.topic, "dlq", "tombstones go to the source");
            let partition = tombstone.partition.unwrap_or(-1);
            let key = tombstone.key.map(<[u8]>::to_vec).unwrap_or_default();
            self.note(Call::Tombstone(partition, key))
        }
        fn flush(&mut self) -> anyhow::Result<()> {
            self.flushes += 1;
            self.note(Call::Flush)?;
            if self.fail_flush == Some(self.flushes) {
                anyhow::bail!("not acknowledged");
            }
            Ok(())
        }
        fn discard_queued(&mut self) {
            self.calls.push(Call::Discard);
        }
        fn commit_offsets(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
            self.note(Call::CommitOffsets(offsets.iter().collect()))?;
            if self.refuse_offsets {
                return Err(anyhow::Error::new(BatchAborted("rebalance".into())));
            }
            Ok(())
        }
        fn begin(&mut self) -> anyhow::Result<()> {
            self.note(Call::Begin)
        }
        fn commit_transaction(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
            self.note(Call::CommitTransaction(offsets.iter().collect()))
        }
        fn abort_transaction(&mut self) -> anyhow::Result<()> {
            self.note(Call::Abort)
        }
    }

    impl Recording {
        fn new(transactional: bool, fail_flush: Option<usize>) -> Self {
            Self {
                transactional,
                fail_flush,
                ..Self::default()
            }
        }
    }

    fn sink(writer: Recording) -> KafkaSink<Recording> {
        KafkaSink::with_writer(writer, "dlq", CopyRules::default())
    }

    fn merge() -> Action {
        Action::Merge {
            tombstone: true,
            to: Target::topic("retry"),
            repair: None,
        }
    }

    fn offsets(next: &[(i32, i64)]) -> Offsets {
        let mut offsets = Offsets::default();
        for &(partition, next) in next {
            offsets.reached(partition, next);
        }
        offsets
    }

    #[test]
    fn without_transactions_tombstones_follow_acknowledged_copies_and_offsets_come_last() {
        let mut sink = sink(Recording::default());
        sink.apply(&Record::test(0, 7), &merge()).unwrap();
        sink.apply(&Record::test(1, 3).with_key(Some(b"p")), &Action::Purge)
            .unwrap();
        // Until the commit, only the copy and the purge's tombstone are queued.
        assert_eq!(
            sink.writer.calls,
            [
                Call::Copy(7, "retry".into()),
                Call::Tombstone(1, b"p".to_vec())
            ]
        );
        sink.commit(&offsets(&[(0, 8), (1, 4)])).unwrap();
        assert_eq!(
            sink.writer.calls[2..],
            [
                Call::Flush,
                Call::Tombstone(0, b"k".to_vec()),
                Call::Flush,
                Call::CommitOffsets(vec![(0, 8), (1, 4)]),
            ]
        );
    }

    /// A failed flush commits no offsets; a copy not known to be written is never tombstoned,
    /// not even by the next batch.
    #[test]
    fn without_transactions_a_failed_flush_commits_nothing() {
        for fail_flush in [1, 2] {
            let mut sink = sink(Recording::new(false, Some(fail_flush)));
            sink.apply(&Record::test(0, 7), &merge()).unwrap();
            assert!(sink.commit(&offsets(&[(0, 8)])).is_err());
            sink.abort().unwrap();
            let tombstone = Call::Tombstone(0, b"k".to_vec());
            let expected: &[Call] = if fail_flush == 1 {
                &[Call::Copy(7, "retry".into()), Call::Flush, Call::Discard]
            } else {
                &[
                    Call::Copy(7, "retry".into()),
                    Call::Flush,
                    tombstone.clone(),
                    Call::Flush,
                    Call::Discard,
                ]
            };
            assert_eq!(sink.writer.calls, expected, "flush {fail_flush} failed");
            sink.commit(&offsets(&[])).unwrap();
            let later = &sink.writer.calls[expected.len()..];
            assert!(!later.contains(&tombstone), "{later:?}");
        }
    }

    /// Without transactions, offsets the group refuses after the copies and markers are
    /// written do not undo the batch: it is done (its markers say so), and counted.
    #[test]
    fn without_transactions_refused_offsets_after_the_markers_leave_the_batch_done() {
        let mut sink = sink(Recording {
            refuse_offsets: true,
            ..Recording::default()
        });
        sink.apply(&Record::test(0, 3), &merge()).unwrap();
        sink.commit(&offsets(&[(0, 4)])).unwrap();
        assert_eq!(
            sink.writer.calls,
            [
                Call::Copy(3, "retry".into()),
                Call::Flush,
                Call::Tombstone(0, b"k".to_vec()),
                Call::Flush,
                Call::CommitOffsets(vec![(0, 4)]),
            ]
        );
    }

    #[test]
    fn with_transactions_everything_goes_into_the_open_transaction() {
        let mut sink = sink(Recording::new(true, None));
        sink.apply(&Record::test(0, 7), &merge()).unwrap();
        sink.commit(&offsets(&[(0, 8)])).unwrap();
        sink.apply(&Record::test(0, 8).with_key(None), &merge())
            .unwrap();
        sink.abort().unwrap();
        assert_eq!(
            sink.writer.calls,
            [
                Call::Begin,
                Call::Copy(7, "retry".into()),
                Call::Tombstone(0, b"k".to_vec()),
                Call::CommitTransaction(vec![(0, 8)]),
                // A null key: copied, never tombstoned.
                Call::Begin,
                Call::Copy(8, "retry".into()),
                Call::Abort,
            ]
        );
    }

    #[test]
    fn skips_write_nothing() {
        let mut sink = sink(Recording::default());
        let skip = Action::Skip {
            reason: SkipReason::Decided,
        };
        sink.apply(&Record::test(0, 1), &skip).unwrap();
        assert!(sink.writer.calls.is_empty());
    }

    #[test]
    fn each_copy_goes_where_its_action_says_with_the_headers_of_the_rules() {
        let rules = CopyRules {
            headers: HeaderPolicy {
                strip_dlq: true,
                drop: vec![NamePattern::parse("x-*")],
            },
            timestamp: CopyTimestamp::Kept,
            tombstone_headers: Vec::new(),
            decided_by: "g".into(),
            keyless_markers: false,
        };
        let writer = Recording {
            details: true,
            ..Recording::default()
        };
        let mut sink = KafkaSink::with_writer(writer, "dlq", rules);
        let record = Record::test(0, 4)
            .created_at(1_234)
            .with_header("kafka_dlt-original-topic", "orders")
            .with_header("x-debug", "1")
            .with_header("trace", "t");
        let to = Target {
            topic: "orders".into(),
            partition: Some(2),
        };
        sink.apply(
            &record,
            &Action::Merge {
                tombstone: false,
                to,
                repair: None,
            },
        )
        .unwrap();
        assert_eq!(
            sink.writer.calls,
            [
                Call::Details(
                    Some(2),
                    vec!["trace".into(), REPLAY_COUNT.into()],
                    Some(1_234)
                ),
                Call::Copy(4, "orders".into()),
            ]
        );
    }
}
