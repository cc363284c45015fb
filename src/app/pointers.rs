//! A source whose share-group pointers (KIP-1191) come as the records they point to, read
//! from their topics: what `print`, `ask`, the view, the survey and the writing runs see of a
//! share group's DLQ ([`crate::redrive::pointer`]). A pointer whose record cannot be read comes
//! as it is, and the run's gate leaves it alone ([`LeftAlone::PointerUnresolved`]).
//!
//! [`LeftAlone::PointerUnresolved`]: crate::triage::LeftAlone::PointerUnresolved

use std::collections::{BTreeMap, HashMap};

use crate::config::Settings;
use crate::kafka::{JobSource, Reader, RecordFetcher};
use crate::record::{Coordinates, Record};
use crate::redrive::origin::{Framework, origin_of};
use crate::redrive::{dereferenced, share_pointer};
use crate::triage::{Offsets, RecordSource};
use crate::ui::view::fetch::Fetched;

/// Reads the records share-group pointers name, a reader per topic.
pub(super) struct Resolver {
    settings: Settings,
    /// The DLQ: never read through a pointer.
    dlq: String,
    /// One reader per topic pointed to; `Err` with why for a topic that cannot be read.
    fetchers: HashMap<String, Result<RecordFetcher, String>>,
    /// Says why a pointer's record cannot be read only in the debug log (a pass before the
    /// run, which says it again).
    quiet: bool,
}

impl Resolver {
    pub(super) fn new(settings: &Settings, dlq: &str) -> Self {
        Self {
            settings: settings.clone(),
            dlq: dlq.to_owned(),
            fetchers: HashMap::new(),
            quiet: false,
        }
    }

    /// `record`, or when it is a share group's pointer, the record it points to in its place;
    /// the pointer as it is (with a warning saying why) when that record cannot be read.
    pub(super) fn resolve(&mut self, record: Record) -> Record {
        let Some(target) = share_pointer(&record) else {
            return record;
        };
        match self.read(&target) {
            Ok(source) => dereferenced(record, source),
            Err(why) => {
                let said = unread(&record, &target, &why);
                if self.quiet {
                    tracing::debug!("{said}");
                } else {
                    tracing::warn!("{said}; it is left alone");
                }
                record
            }
        }
    }

    /// [`Self::resolve`] for the detail pane of the view, which says what it shows: the
    /// record a pointer names, a pointer whose record cannot be read and why, or a share
    /// group's copy that differs from the record still in its topic.
    pub(super) fn explain(&mut self, record: Record) -> Fetched {
        if let Some(target) = share_pointer(&record) {
            return match self.read(&target) {
                // Its "Read from" line says what it is.
                Ok(source) => dereferenced(record, source).into(),
                Err(why) => Fetched {
                    notes: vec![format!(
                        "A share group's pointer to {}/{} offset {}, which cannot be read: {why}. A merge leaves it alone.",
                        target.topic, target.partition, target.offset
                    )],
                    record,
                },
            };
        }
        let notes = match share_copy_of(&record) {
            Some(target) => match self.read(&target) {
                Ok(source) if (&source.key, &source.value) != (&record.key, &record.value) => {
                    vec![format!(
                        "A share group's copy, which differs from the record still at {}/{} offset {}: the copy is what a merge writes.",
                        target.topic, target.partition, target.offset
                    )]
                }
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        Fetched { record, notes }
    }

    /// The record at `target`, or why it cannot be had. Only topics the DLQ's records may
    /// come from are read: not the DLQ itself, not the cluster's internal topics.
    fn read(&mut self, target: &Coordinates) -> Result<Record, String> {
        if target.topic == self.dlq {
            return Err("the DLQ itself, which is never read through a pointer".into());
        }
        if target.topic.starts_with("__") {
            return Err("an internal topic, which is never read through a pointer".into());
        }
        let settings = &self.settings;
        let fetcher = self
            .fetchers
            .entry(target.topic.clone())
            .or_insert_with(|| {
                RecordFetcher::new(settings, &target.topic).map_err(|error| format!("{error:#}"))
            });
        let fetcher = match fetcher {
            Ok(fetcher) => fetcher,
            Err(why) => return Err(format!("its topic cannot be read ({why})")),
        };
        match fetcher.fetch(target.partition, target.offset) {
            Ok(Some(source)) if source.is_tombstone() => {
                Err("a tombstone (sent back, it would delete its key in a compacted topic)".into())
            }
            Ok(Some(source)) => Ok(source),
            Ok(None) => Err("no longer there (deleted by retention, or compacted away)".into()),
            Err(error) => {
                let why = format!("{error:#}");
                // Not asked again for every pointer into it: each would wait as long.
                self.fetchers.insert(target.topic.clone(), Err(why.clone()));
                Err(format!("it cannot be read ({why})"))
            }
        }
    }
}

/// Where a share group's copy (`errors.deadletterqueue.copy.record.enable`) was copied from.
fn share_copy_of(record: &Record) -> Option<Coordinates> {
    if record.value.is_none() || record.read_from.is_some() {
        return None;
    }
    let origin = origin_of(&record.headers).ok()??;
    match (origin.framework, origin.partition, origin.offset) {
        (Framework::ShareGroup, Some(partition), Some(offset)) => Some(Coordinates {
            topic: origin.topic,
            partition,
            offset,
        }),
        _ => None,
    }
}

/// What is said of a pointer whose record cannot be read.
fn unread(pointer: &Record, target: &Coordinates, why: &str) -> String {
    format!(
        "the share group's pointer at {}/{} offset {} names {}/{} offset {}: {why}",
        pointer.at.topic,
        pointer.at.partition,
        pointer.at.offset,
        target.topic,
        target.partition,
        target.offset
    )
}

/// `inner`, its pointers read as the records they name.
pub(super) struct Dereferencing<S> {
    inner: S,
    resolver: Resolver,
}

impl<S: JobSource> Dereferencing<S> {
    pub(super) fn new(inner: S, settings: &Settings) -> Self {
        let resolver = Resolver::new(settings, inner.reader().topic());
        Self { inner, resolver }
    }

    pub(super) fn inner(&self) -> &S {
        &self.inner
    }

    /// Says why a pointer's record cannot be read only in the debug log.
    pub(super) fn quiet(mut self) -> Self {
        self.resolver.quiet = true;
        self
    }
}

impl<S: JobSource> RecordSource for Dereferencing<S> {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        Ok(self
            .inner
            .next_record()?
            .map(|record| self.resolver.resolve(record)))
    }

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        self.inner.take_finished()
    }

    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        self.inner.take_rereads()
    }

    fn wants_commit(&self) -> bool {
        self.inner.wants_commit()
    }

    fn approve(&self, offsets: Offsets) -> Offsets {
        self.inner.approve(offsets)
    }

    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        self.inner.settle(committed)
    }
}

impl<S: JobSource> JobSource for Dereferencing<S> {
    fn reader(&self) -> &Reader {
        self.inner.reader()
    }

    fn total(&self) -> u64 {
        self.inner.total()
    }

    fn committed_at_start(&self) -> &BTreeMap<i32, i64> {
        self.inner.committed_at_start()
    }

    fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }
}
