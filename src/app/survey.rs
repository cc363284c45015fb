//! The passes over the DLQ before a writing run touches it: the `--pending` index (one pass
//! over keys), and the survey that shows the overview and checks that no merged copy would be
//! older than its destination's retention. Both read the run's own ranges and commit nothing.

use std::collections::BTreeMap;

use crate::config::{Settings, WriteTask};
use crate::decode::Decoder;
use crate::error::Error;
use crate::kafka::{AssignedSource, JobSource};
use crate::record::Record;
use crate::redrive::{
    Dedupe, Rescan, RetentionGuard, RetentionLookup, Router, TombstoneIndex, TopicCatalog, dedupe,
    loop_guard, replay_count,
};
use crate::triage::{Fate, Interrupt, LeftAlone, Overview, RecordFilter, RecordSource};
use crate::ui::output::message;
use crate::ui::render::iso_timestamp;

use super::Run;
use super::filter::DisplayedFilter;

/// Reads `pass` to its end into `index`, which then covers the ranges read; how many records
/// were read.
///
/// # Errors
/// When the source cannot be read, or on interrupt.
fn read_decided(
    pass: &mut AssignedSource,
    index: &mut TombstoneIndex,
    interrupt: &Interrupt,
) -> Result<u64, Error> {
    let before = index.scanned;
    read_each(pass, interrupt, |record| index.add(record))?;
    for (&partition, range) in pass.ranges() {
        index.cover(partition, range.start, range.end);
    }
    Ok(index.scanned - before)
}

/// Reads `pass` to its end, each record into `note`; how many records were read.
///
/// # Errors
/// When the source cannot be read, or on interrupt.
fn read_each(
    pass: &mut AssignedSource,
    interrupt: &Interrupt,
    mut note: impl FnMut(&Record),
) -> Result<u64, Error> {
    let mut read = 0;
    while let Some(record) = pass.next_record()? {
        if interrupt.is_raised() {
            return Err(Error::Interrupted { summary: None });
        }
        note(&record);
        read += 1;
    }
    if interrupt.is_raised() {
        return Err(Error::Interrupted { summary: None });
    }
    Ok(read)
}

impl<'a> Run<'a> {
    /// Reads again what `topic` says was decided in partitions the source reads again, each
    /// from its offset (or after what the index read of it already) to its end now (a shared
    /// source's partitions, as it receives them).
    pub(super) fn rescan(&self, topic: &str) -> Rescan<'a> {
        let mut reader = self.settings().clone();
        // Exactly from where the index needs it: the group's offsets play no part.
        reader.group = None;
        let topic = topic.to_owned();
        let interrupt = self.interrupt.clone();
        Box::new(move |partitions, index| {
            let started = std::time::Instant::now();
            let starts: std::collections::BTreeMap<i32, i64> = partitions
                .iter()
                .map(|&(partition, from)| (partition, index.resume_at(partition, from)))
                .collect();
            let mut pass = AssignedSource::open_at(&reader, &topic, &starts, interrupt.clone())?;
            let read = read_decided(&mut pass, index, &interrupt)?;
            tracing::info!(
                "decided records in partitions {:?} of {topic}: {} record(s) read in {:.1} s",
                starts.keys().collect::<Vec<_>>(),
                read,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        })
    }

    /// What the DLQ says was decided, for a writing run (unless `--again`): one pass over
    /// the run's ranges (DESIGN §9).
    pub(super) fn decided_index(&self, topic: &str) -> Result<Option<TombstoneIndex>, Error> {
        if self.config.options.again {
            return Ok(None);
        }
        self.index_pass(topic)
    }

    /// A share group's DLQ: the records its pointers named that were merged, from the
    /// markers that say so below where the run starts (`ranges`), from the log start: a
    /// pointer to one of them, dead-lettered since by another share group, only purges
    /// (markers and pointers carry no payload: the pass is cheap).
    pub(super) fn read_merged_sources(
        &self,
        topic: &str,
        ranges: &BTreeMap<i32, crate::kafka::Range>,
        index: &mut TombstoneIndex,
    ) -> Result<(), Error> {
        let until: BTreeMap<i32, i64> = ranges
            .iter()
            .map(|(&partition, range)| (partition, range.start))
            .collect();
        if until.values().all(|&start| start <= 0) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut reader = self.settings().clone();
        // From the log start, whatever the group committed.
        reader.group = None;
        let starts: BTreeMap<i32, i64> = until.keys().map(|&partition| (partition, 0)).collect();
        let mut pass = AssignedSource::open_at(&reader, topic, &starts, self.interrupt.clone())?;
        pass.bound(&until);
        let read = read_each(&mut pass, self.interrupt, |record| {
            index.add_merged_source(record);
        })?;
        tracing::info!(
            "records pointers named that were merged before: {read} record(s) read below the group's offsets in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// `--pending`: the last tombstone of every key, from one pass over the run's ranges.
    pub(super) fn pending_index(&self, topic: &str) -> Result<Option<TombstoneIndex>, Error> {
        if !self.config.options.pending {
            return Ok(None);
        }
        self.index_pass(topic)
    }

    /// The decisions the DLQ holds, from one pass over the run's ranges.
    fn index_pass(&self, topic: &str) -> Result<Option<TombstoneIndex>, Error> {
        let started = std::time::Instant::now();
        let mut pass = self.open_source(topic)?;
        let mut index = TombstoneIndex::default();
        read_decided(&mut pass, &mut index, self.interrupt)?;
        tracing::info!(
            "decided records: {} record(s) read, {} tombstoned key(s) remembered, in {:.1} s",
            index.scanned,
            index.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(Some(index))
    }

    /// Before anything is written: reads what the DLQ says was decided (unless `--again`),
    /// shows the overview, and refuses to start when a copy of a record still pending would be
    /// older than its destination's retention. One pass over the DLQ, or two when the overview
    /// is shown (it leaves decided records out as it goes, so the index comes first). A shared
    /// source with neither reads what the DLQ says of each partition as it receives it.
    pub(super) fn survey(
        &self,
        task: &WriteTask,
        shared: bool,
        limits: Option<RetentionLookup<'_>>,
    ) -> Result<Option<TombstoneIndex>, Error> {
        let retention =
            limits.map(|lookup| RetentionCheck::new(lookup, chrono::Utc::now().timestamp_millis()));
        let wants_index = !self.config.options.again;
        if !wants_index {
            tracing::warn!(
                "--again: records the DLQ says were decided already are decided, and written, again"
            );
        }
        if task.overview.is_none() && retention.is_none() {
            return match (wants_index, shared) {
                (false, _) => Ok(None),
                (true, true) => Ok(Some(TombstoneIndex::default())),
                (true, false) => self.decided_index(&task.source),
            };
        }
        let index = match (wants_index, &task.overview) {
            (true, Some(_)) => self.decided_index(&task.source)?,
            _ => None,
        };
        let mut building = (wants_index && index.is_none()).then(TombstoneIndex::default);
        let started = std::time::Instant::now();
        // What the overview, the filters and the retention check see: a share group's
        // pointers as the records they point to.
        let mut pass = super::pointers::Dereferencing::new(
            self.open_source(&task.source)?,
            &self.config.settings,
            task.redrive.allow_origin.as_ref(),
        )
        .quiet();
        let mut filter = self.filter.borrow_mut();
        let checks_retention = retention.is_some();
        let surveyed = Survey {
            filter: &mut filter,
            router: task
                .merges()
                .then(|| self.router(task, pass.reader().catalog())),
            max_replays: task.redrive.max_replays,
            pending: index.as_ref(),
            index: building.as_mut(),
            merge_tombstones: task.merge_tombstones,
            destinations: task.redrive.to_origin || task.redrive.max_replays.is_some(),
            overview: task.overview.clone().map(Overview::new),
            dedupe: task.redrive.dedupe,
            retention,
            settings: &self.config.settings,
        }
        .run(&mut pass, self.interrupt)?;
        if let Some(building) = building.as_mut() {
            for (&partition, range) in pass.inner().ranges() {
                building.cover(partition, range.start, range.end);
            }
        }
        if checks_retention {
            tracing::info!(
                "checked the records against the destinations' retention{} in {:.1} s",
                if building.is_some() {
                    ", and read what the DLQ says was decided,"
                } else {
                    ""
                },
                started.elapsed().as_secs_f64()
            );
        }
        if let Some(overview) = surveyed.overview {
            message(&overview);
        }
        match surveyed.refusal {
            Some(refusal) => Err(Error::Failed {
                source: anyhow::anyhow!(refusal),
                summary: None,
            }),
            None => Ok(index.or(building)),
        }
    }
}

/// Copies that would be older than their destination's retention, per destination.
#[derive(Debug, Default)]
struct TooOld {
    count: u64,
    oldest: i64,
    retention_ms: i64,
}

/// A record whose copy would be too old, kept until the pass knows whether it was decided
/// already (a marker after it, read later in the same pass).
struct Candidate {
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    topic: String,
    timestamp: i64,
    retention_ms: i64,
}

/// The retention check: per destination, the oldest timestamp a copy may keep.
pub(super) struct RetentionCheck<'a> {
    /// The same per-record judgement `ask` makes, counted here instead of acted on.
    guard: RetentionGuard<'a>,
    now: i64,
    too_old: Vec<Candidate>,
}

impl<'a> RetentionCheck<'a> {
    pub(super) fn new(lookup: RetentionLookup<'a>, now: i64) -> Self {
        Self {
            guard: RetentionGuard::new(lookup),
            now,
            too_old: Vec::new(),
        }
    }

    fn note(&mut self, record: &Record, topic: &str) -> anyhow::Result<()> {
        let (Some(LeftAlone::TooOld { retention_ms, .. }), Some(timestamp)) = (
            self.guard.check(record, topic)?,
            record.timestamp.map(|t| t.millis),
        ) else {
            return Ok(());
        };
        self.too_old.push(Candidate {
            partition: record.at.partition,
            offset: record.at.offset,
            key: record.own_key().map(<[u8]>::to_vec),
            topic: topic.to_owned(),
            timestamp,
            retention_ms,
        });
        Ok(())
    }

    /// The refusal, when any copy of a record still pending (per `decided`, when given)
    /// would be too old.
    fn refusal(&self, decided: Option<&TombstoneIndex>) -> Option<String> {
        let mut by_topic: BTreeMap<&str, TooOld> = BTreeMap::new();
        for candidate in &self.too_old {
            if decided.is_some_and(|index| {
                !index.is_pending_at(
                    candidate.partition,
                    candidate.offset,
                    candidate.key.as_deref(),
                )
            }) {
                continue;
            }
            let entry = by_topic.entry(&candidate.topic).or_insert(TooOld {
                count: 0,
                oldest: candidate.timestamp,
                retention_ms: candidate.retention_ms,
            });
            entry.count += 1;
            entry.oldest = entry.oldest.min(candidate.timestamp);
        }
        if by_topic.is_empty() {
            return None;
        }
        let too_old = by_topic;
        let total: u64 = too_old.values().map(|t| t.count).sum();
        let mut text = format!(
            "refusing to merge: {total} record(s) are older than the retention of their destination, and the broker would delete their copies within minutes:"
        );
        for (topic, old) in &too_old {
            text.push_str(&format!(
                "\n  {topic}: {} record(s), the oldest from {} ({} old; retention.ms={} is {})",
                old.count,
                iso_timestamp(old.oldest),
                age(self.now - old.oldest),
                old.retention_ms,
                age(old.retention_ms)
            ));
        }
        text.push_str(
            "\nMerge them with --timestamp now (each copy gets the current time, its own goes into the header kmp-original-timestamp), or with --ignore-retention.",
        );
        Some(text)
    }
}

/// `ms` as days, hours or minutes.
fn age(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes >= 2 * 24 * 60 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes >= 120 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{minutes} minutes")
    }
}

/// One pass that shows what the run would meet: the overview, and the retention check.
pub(super) struct Survey<'a, C> {
    pub filter: &'a mut DisplayedFilter,
    /// Where merges go; `None` when nothing is merged.
    pub router: Option<Router<C>>,
    pub max_replays: Option<u64>,
    /// What the DLQ says was decided, read before (records decided are passed over).
    pub pending: Option<&'a TombstoneIndex>,
    /// What the DLQ says was decided, read in this same pass: the retention check leaves out
    /// the records it finds decided once the pass is done (the overview needs `pending`).
    pub index: Option<&'a mut TombstoneIndex>,
    pub merge_tombstones: bool,
    /// Count by destination (the redrive options are in use).
    pub destinations: bool,
    pub overview: Option<Overview>,
    /// Count duplicates per class (`--dedupe`).
    pub dedupe: bool,
    pub retention: Option<RetentionCheck<'a>>,
    /// How sample keys are decoded for the overview.
    pub settings: &'a Settings,
}

/// What the survey found.
pub(super) struct Surveyed {
    /// The overview as text, when asked for.
    pub overview: Option<String>,
    /// Why the run must not start (the retention check).
    pub refusal: Option<String>,
}

impl<C: TopicCatalog> Survey<'_, C> {
    /// Reads `source` to its end.
    ///
    /// # Errors
    /// When the source cannot be read, a topic cannot be looked up, or on interrupt.
    pub(super) fn run(
        mut self,
        source: &mut dyn RecordSource,
        interrupt: &Interrupt,
    ) -> Result<Surveyed, Error> {
        let mut seen = 0;
        let mut twins = self.dedupe.then(|| Dedupe::new(dedupe::DEFAULT_CAPACITY));
        while let Some(record) = source.next_record()? {
            if interrupt.is_raised() {
                return Err(Error::Interrupted { summary: None });
            }
            if let Some(index) = self.index.as_deref_mut() {
                index.add(&record);
            }
            if !self.filter.matches(&record) {
                continue;
            }
            if self.pending.is_some_and(|index| !index.is_pending(&record))
                || record.marked_offset().is_some()
            {
                continue;
            }
            seen += 1;
            let offered = !record.is_tombstone() || self.merge_tombstones;
            let fate = if offered {
                self.fate(&record, twins.as_mut())?
            } else {
                Fate::default()
            };
            if let Some(overview) = &mut self.overview {
                overview.add_with(&record, &fate);
            }
        }
        let overview = match &self.overview {
            Some(overview) => {
                let mut out = Vec::new();
                let mut decoder = Decoder::new(self.settings)
                    .map_err(|error| Error::from(anyhow::Error::new(error)))?;
                crate::ui::overview::write_overview(&mut out, overview, seen, &mut decoder)
                    .map_err(|error| Error::from(anyhow::Error::new(error)))?;
                Some(String::from_utf8_lossy(&out).trim_end().to_owned())
            }
            None => None,
        };
        let decided = self.pending.or(self.index.as_deref());
        Ok(Surveyed {
            overview,
            refusal: self
                .retention
                .as_ref()
                .and_then(|check| check.refusal(decided)),
        })
    }

    /// Where `record` would go, its replay count and whether it repeats an earlier record;
    /// notes it for the retention check.
    fn fate(&mut self, record: &Record, twins: Option<&mut Dedupe>) -> Result<Fate, Error> {
        let replays = replay_count(record).unwrap_or(0);
        let duplicate = twins.is_some_and(|twins| {
            let twin = twins.duplicate_of(record).is_some();
            if !twin {
                twins.remember(record);
            }
            twin
        });
        let route = match (&mut self.router, loop_guard(self.max_replays, record)) {
            (_, Some(why)) => Some(Err(why)),
            (Some(router), None) => Some(router.route(record)?),
            (None, None) => None,
        };
        if let (Some(Ok(target)), Some(check)) = (&route, &mut self.retention) {
            check.note(record, &target.topic)?;
        }
        let destination = match route {
            Some(Ok(target)) => Some(target.topic.to_string()),
            Some(Err(why)) => Some(format!("left alone: {why}")),
            None => None,
        };
        Ok(Fate {
            destination: destination.filter(|_| self.destinations),
            replays,
            duplicate,
        })
    }
}
