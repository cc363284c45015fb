//! Where a run starts and ends in each partition: the end snapshot taken at start (the last
//! stable offset under `read_committed`), and the start from the group's committed offset, the
//! log start, or an offset a file names (`apply`, `undo`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rdkafka::consumer::Consumer;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::{Range, Reader, coordinator_retry};

/// Errors of a partition whose leadership is moving or catching up: asked again, they go away.
fn leader_is_moving(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::UnknownLeaderEpoch
            | RDKafkaErrorCode::FencedLeaderEpoch
            | RDKafkaErrorCode::NotLeaderForPartition
            | RDKafkaErrorCode::LeaderNotAvailable
            | RDKafkaErrorCode::OffsetNotAvailable
            | RDKafkaErrorCode::RequestTimedOut
    )
}

/// Where reading starts in each partition (at the log start at the earliest).
pub(super) enum Start<'a> {
    /// The group's committed offset, the log start without one.
    Committed,
    /// The log start (`--from-beginning`).
    Beginning,
    /// The lower of the offset given and the group's committed one.
    AtMost(&'a BTreeMap<i32, i64>),
}

impl Reader {
    /// Lists offsets at `position` (beginning or end) of every partition in one request.
    pub(super) fn list_offsets(
        &self,
        partitions: &[i32],
        position: Offset,
    ) -> anyhow::Result<BTreeMap<i32, i64>> {
        let mut request = TopicPartitionList::with_capacity(partitions.len());
        for &partition in partitions {
            request.add_partition_offset(&self.topic, partition, position)?;
        }
        // A partition whose leader is moving or catching up (after a broker restart or pause:
        // "leader epoch is newer than broker epoch") answers again within moments.
        let deadline = Instant::now() + self.timeout;
        let answer = loop {
            let answer = self
                .consumer
                .offsets_for_times(request.clone(), self.timeout)
                .map_err(|error| self.unreachable(&error))?;
            let moving = answer.elements().iter().any(|element| {
                element
                    .error()
                    .err()
                    .and_then(|error| error.rdkafka_error_code())
                    .is_some_and(leader_is_moving)
            });
            if !moving || Instant::now() >= deadline {
                break answer;
            }
            tracing::debug!("a partition's leader is moving; listing offsets again");
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut offsets = BTreeMap::new();
        for element in answer.elements() {
            element.error().with_context(|| {
                format!(
                    "cannot list offsets of {}/{}",
                    self.topic,
                    element.partition()
                )
            })?;
            let Offset::Offset(offset) = element.offset() else {
                bail!(
                    "no offset for {}/{}: {:?}",
                    self.topic,
                    element.partition(),
                    element.offset()
                );
            };
            offsets.insert(element.partition(), offset);
        }
        Ok(offsets)
    }

    /// Where the run reads each of `partitions`, from `from` to its end now; and the group's
    /// committed offsets (none without `with_group`), below which a commit never goes.
    pub(super) fn snapshot(
        &self,
        partitions: &[i32],
        with_group: bool,
        from: &Start<'_>,
    ) -> anyhow::Result<(BTreeMap<i32, Range>, BTreeMap<i32, i64>)> {
        let beginnings = self.list_offsets(partitions, Offset::Beginning)?;
        let ends = self.list_offsets(partitions, Offset::End)?;
        let mut committed = if with_group {
            self.committed(partitions)?
        } else {
            BTreeMap::new()
        };
        if matches!(from, Start::Beginning) {
            // `--from-beginning`, the way out of an offset past the end: that offset is no
            // floor (the committed offset never moves back, except from where nothing is).
            committed.retain(|partition, offset| {
                let end = ends.get(partition).copied().unwrap_or_default();
                let past = *offset > end;
                if past {
                    tracing::warn!(
                        "the committed offset {offset} of the group on {}/{partition} is past the partition's end {end}: this run commits its offsets from the beginning",
                        self.topic
                    );
                }
                !past
            });
        }
        let mut ranges = BTreeMap::new();
        for &partition in partitions {
            let beginning = beginnings.get(&partition).copied().unwrap_or(0);
            let end = ends.get(&partition).copied().unwrap_or(beginning);
            // A committed offset below the log start was removed by retention or
            // compaction: continue from the start (auto.offset.reset=earliest).
            if let (Start::Committed, Some(&committed)) = (from, committed.get(&partition))
                && committed > end
            {
                // The group's offset points past every record: the topic was recreated (or
                // truncated) since. Reading from its end would pass its records untriaged.
                bail!(
                    "the committed offset {committed} of the group on {}/{partition} is past the partition's end {end}: the topic was probably recreated since the group last ran; read it with --from-beginning (or reset the group's offsets) to triage its records",
                    self.topic
                );
            }
            let start = match (from, committed.get(&partition)) {
                (Start::Beginning, _) | (Start::Committed, None) => beginning,
                (Start::Committed, Some(&committed)) => committed.max(beginning),
                (Start::AtMost(starts), committed) => {
                    let at = starts.get(&partition).copied().unwrap_or(beginning);
                    committed
                        .map_or(at, |&committed| committed.min(at))
                        .max(beginning)
                }
            };
            tracing::debug!(topic = %self.topic, partition, start, end, "end snapshot");
            ranges.insert(partition, Range { start, end });
        }
        Ok((ranges, committed))
    }

    /// The group's committed offsets of `partitions`.
    pub(super) fn committed(&self, partitions: &[i32]) -> anyhow::Result<BTreeMap<i32, i64>> {
        Ok(self
            .committed_marks(partitions, Unsettled::Wait)?
            .into_iter()
            .filter_map(|(partition, (offset, _))| Some((partition, offset?)))
            .collect())
    }

    /// The group's committed offsets of `partitions`, with their metadata (`None`: no offset).
    /// A partition whose offset is in a transaction not completed yet (`UNSTABLE_OFFSET_COMMIT`,
    /// once librdkafka's own retries are spent) is never taken for "no offset" (that would
    /// read it from the beginning, or set it a new end past the job's own tombstones): it is
    /// asked for again, or left out of the answer, as `unsettled` says.
    pub(super) fn committed_marks(
        &self,
        partitions: &[i32],
        unsettled: Unsettled,
    ) -> anyhow::Result<BTreeMap<i32, (Option<i64>, String)>> {
        let mut request = TopicPartitionList::with_capacity(partitions.len());
        for &partition in partitions {
            request.add_partition(&self.topic, partition);
        }
        let answer = coordinator_retry(self.timeout, || {
            let answer = self
                .consumer
                .committed_offsets(request.clone(), self.timeout)?;
            for element in answer.elements() {
                match element.error() {
                    Err(error)
                        if unsettled == Unsettled::LeaveOut
                            && error.rdkafka_error_code()
                                == Some(RDKafkaErrorCode::UnstableOffsetCommit) => {}
                    other => other?,
                }
            }
            Ok(answer)
        })
        .map_err(|error| self.unreachable(&error))
        .context("cannot read the group's committed offsets")?;
        Ok(answer
            .elements()
            .iter()
            .filter(|element| element.error().is_ok())
            .map(|element| {
                let offset = match element.offset() {
                    Offset::Offset(offset) => Some(offset),
                    _ => None,
                };
                (element.partition(), (offset, element.metadata().to_owned()))
            })
            .collect())
    }
}

/// What [`Reader::committed_marks`] does with a partition whose committed offset is
/// not settled yet (its transaction is not completed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unsettled {
    /// Asks again until it is (up to the timeout): the offset is needed.
    Wait,
    /// Leaves it out of the answer: it is looked at again later.
    LeaveOut,
}
