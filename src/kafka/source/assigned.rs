//! A source that assigns itself the partitions it reads, each from the group's committed
//! offset (or the beginning, or an offset a file names) to the end snapshot taken at start.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};
use rdkafka::consumer::BaseConsumer;

use crate::config::Settings;
use crate::record::Record;
use crate::triage::{Interrupt, Offsets, RecordSource};

use super::super::client::{Context, consumer_config};
use super::snapshot::Start;
use super::{JobSource, Range, Reader};

/// The source of a run alone on its partitions.
pub struct AssignedSource {
    reader: Reader,
    /// The group's committed offsets when the run started: commits never go below them
    /// (`--from-beginning` re-reads records the group has passed).
    floor: BTreeMap<i32, i64>,
}

impl AssignedSource {
    /// Connects, snapshots the end of every partition of `topic` and assigns the partitions
    /// that have records left for the group.
    ///
    /// # Errors
    /// Cluster unreachable within the timeout, unknown topic, offsets not readable.
    pub fn open(
        settings: &Settings,
        topic: &str,
        only: Option<&BTreeSet<i32>>,
        from_beginning: bool,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let start = if from_beginning {
            Start::Beginning
        } else {
            Start::Committed
        };
        Self::open_from(settings, topic, only, &start, interrupt)
    }

    /// [`AssignedSource::open`] for the partitions of `starts` only, each read from its
    /// offset there or the group's committed one, whichever is lower (`apply`, `undo`: the
    /// records a file names, and what the group has left after them). Commits never go below
    /// the group's offsets at start.
    ///
    /// # Errors
    /// As [`AssignedSource::open`]; a partition the topic does not have.
    pub fn open_at(
        settings: &Settings,
        topic: &str,
        starts: &BTreeMap<i32, i64>,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let only: BTreeSet<i32> = starts.keys().copied().collect();
        Self::open_from(
            settings,
            topic,
            Some(&only),
            &Start::AtMost(starts),
            interrupt,
        )
    }

    fn open_from(
        settings: &Settings,
        topic: &str,
        only: Option<&BTreeSet<i32>>,
        start: &Start<'_>,
        interrupt: Interrupt,
    ) -> anyhow::Result<Self> {
        let consumer: BaseConsumer<Context> = consumer_config(settings)
            .create_with_context(Context::for_client(&settings.consumer))
            .context("cannot create the Kafka consumer")?;
        let mut reader = Reader::new(consumer, settings, topic, interrupt);
        let mut partitions = reader.partitions()?;
        if let Some(only) = only {
            if let Some(missing) = only.iter().find(|p| !partitions.contains(p)) {
                bail!("topic {topic} has no partition {missing}");
            }
            partitions.retain(|p| only.contains(p));
        }
        let (ranges, floor) = reader.snapshot(&partitions, settings.group.is_some(), start)?;
        reader.ranges = ranges;
        reader.assign()?;
        Ok(Self { reader, floor })
    }

    /// Reads no further than `ends` (exclusive, per partition; a partition not named is not
    /// read at all): a pass over what an earlier pass saw, or less of it. Nothing past a
    /// lowered end is committed, since it is not read.
    pub fn bound(&mut self, ends: &BTreeMap<i32, i64>) {
        self.reader.bound(ends);
    }

    /// The ranges this run reads, per partition.
    #[must_use]
    pub fn ranges(&self) -> &BTreeMap<i32, Range> {
        self.reader.ranges()
    }
}

impl JobSource for AssignedSource {
    fn reader(&self) -> &Reader {
        &self.reader
    }

    fn total(&self) -> u64 {
        self.reader.ranges.values().map(Range::len).sum()
    }

    fn committed_at_start(&self) -> &BTreeMap<i32, i64> {
        &self.floor
    }

    fn is_shared(&self) -> bool {
        false
    }
}

impl RecordSource for AssignedSource {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        self.reader.next_open()
    }

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.reader.finished)
    }

    /// Only what moves a partition's offset forward: the committed offset never moves back.
    /// A partition held at a record left alone keeps its offset (nobody else needs to know it
    /// was read further).
    fn approve(&self, offsets: Offsets) -> Offsets {
        above(&self.floor, &offsets)
    }

    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        if committed {
            return Ok(());
        }
        bail!(
            "the batch was aborted, and a run that assigns itself its partitions does not read them again"
        )
    }
}

/// The offsets of `offsets` above `floor` (per partition), without anything held back.
fn above(floor: &BTreeMap<i32, i64>, offsets: &Offsets) -> Offsets {
    offsets
        .iter()
        .filter(|&(partition, next)| floor.get(&partition).is_none_or(|&at| next > at))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The approval of an assigned source keeps the committed offset from moving back, and
    /// drops what only a shared source records.
    #[test]
    fn an_assigned_source_approves_only_offsets_past_the_floor() {
        let floor = BTreeMap::from([(0, 10), (1, 3)]);
        let mut offsets: Offsets = [(0, 10), (1, 4), (2, 1)].into_iter().collect();
        offsets.held(3, 5, 9);
        let approved = above(&floor, &offsets);
        assert_eq!(approved.iter().collect::<Vec<_>>(), [(1, 4), (2, 1)]);
        assert_eq!(approved.held_back().count(), 0);
    }
}
