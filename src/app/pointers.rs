//! A source whose share-group pointers (KIP-1191) come as the records they point to, read
//! from their topics: what `print`, `ask`, the view, the survey and the writing runs see of a
//! share group's DLQ ([`crate::redrive::pointer`]). A pointer whose record cannot be read comes
//! as it is, and the run's gate leaves it alone ([`LeftAlone::PointerUnresolved`]).
//!
//! [`LeftAlone::PointerUnresolved`]: crate::triage::LeftAlone::PointerUnresolved

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use regex::Regex;

use crate::config::Settings;
use crate::kafka::{JobSource, Reader, RecordFetcher, Unreadable};
use crate::record::{Coordinates, Record};
use crate::redrive::route::matches_whole;
use crate::redrive::{dereferenced, share_origin, share_pointer};
use crate::triage::{Offsets, RecordSource};
use crate::ui::view::fetch::Fetched;

/// Reads the records share-group pointers name, a reader per topic.
pub(super) struct Resolver {
    settings: Settings,
    /// The DLQ: never read through a pointer.
    dlq: String,
    /// One reader per partition pointed to (each reads on in offset order), the most recently
    /// used [`MAX_READERS`]; `Err` with why for one that cannot be read.
    fetchers: HashMap<(String, i32), Result<RecordFetcher, String>>,
    /// The partitions of `fetchers`, the least recently used first.
    used: std::collections::VecDeque<(String, i32)>,
    /// `--allow-origin`: the only topics read through a pointer.
    allow: Option<Regex>,
    /// Says why a pointer's record cannot be read only in the debug log (a pass before the
    /// run, which says it again).
    quiet: bool,
}

/// How many partitions pointed to are read at once, each by a client of its own.
const MAX_READERS: usize = 8;

/// How long reading one record a pointer names may take: less than a bulk run's transaction
/// timeout (20 s), as it is read while a batch is open.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

impl Resolver {
    pub(super) fn new(settings: &Settings, dlq: &str, allow: Option<&Regex>) -> Self {
        let mut settings = settings.clone();
        settings.timeout = settings.timeout.min(FETCH_TIMEOUT);
        Self {
            settings,
            dlq: dlq.to_owned(),
            fetchers: HashMap::new(),
            used: std::collections::VecDeque::new(),
            allow: allow.cloned(),
            quiet: false,
        }
    }

    /// `record`, or when it is a share group's pointer, the record it points to in its place;
    /// the pointer as it is (with a warning saying why) when that record cannot be read.
    ///
    /// # Errors
    /// When the cluster does not answer in time.
    pub(super) fn resolve(&mut self, record: Record) -> anyhow::Result<Record> {
        let Some(target) = share_pointer(&record) else {
            return Ok(record);
        };
        match self.read(&target) {
            Ok(source) => Ok(dereferenced(record, source)),
            Err(Unread::Refused(why)) => {
                let said = unread(&record, &target, &why);
                if self.quiet {
                    tracing::debug!("{said}");
                } else {
                    tracing::warn!("{said}");
                }
                Ok(record)
            }
            Err(Unread::Failed(error)) => Err(error),
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
                Err(unread) => Fetched {
                    notes: vec![format!(
                        "A share group's pointer to {}/{} offset {}, which cannot be read: {}. A merge leaves it alone.",
                        target.topic,
                        target.partition,
                        target.offset,
                        match unread {
                            Unread::Refused(why) => why,
                            Unread::Failed(error) => format!("{error:#}"),
                        }
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

    /// The record at `target`, or why it cannot be had. Only topics a record may be sent
    /// back to are read: not the DLQ itself, not an internal topic, and one `--allow-origin`
    /// lets through when given (a pointer is a header anyone writing to the DLQ can forge).
    fn read(&mut self, target: &Coordinates) -> Result<Record, Unread> {
        let topic = target.topic.as_str();
        if topic == self.dlq {
            return Err(Unread::Refused(
                "the DLQ itself, which is never read through a pointer".into(),
            ));
        }
        if topic.starts_with("__") || topic == "_schemas" {
            return Err(Unread::Refused(
                "an internal topic, which is never read through a pointer".into(),
            ));
        }
        if let Some(allow) = &self.allow
            && !matches_whole(allow, topic)
        {
            return Err(Unread::Refused(format!(
                "a topic --allow-origin {allow} does not let through"
            )));
        }
        let key = (topic.to_owned(), target.partition);
        self.used.retain(|used| *used != key);
        self.used.push_back(key.clone());
        if self.used.len() > MAX_READERS
            && let Some(oldest) = self.used.pop_front()
        {
            self.fetchers.remove(&oldest);
        }
        let settings = &self.settings;
        let fetcher = self.fetchers.entry(key.clone()).or_insert_with(|| {
            RecordFetcher::new(settings, topic).map_err(|error| format!("{error:#}"))
        });
        let fetcher = match fetcher {
            Ok(fetcher) => fetcher,
            Err(why) => return Err(Unread::Refused(format!("its topic cannot be read ({why})"))),
        };
        match fetcher.fetch(target.partition, target.offset) {
            Ok(Some(source)) if source.is_tombstone() => Err(Unread::Refused(
                "a tombstone (sent back, it would delete its key in a compacted topic)".into(),
            )),
            Ok(Some(source)) => Ok(source),
            Ok(None) => Err(Unread::Refused(
                "not there (deleted by retention, compacted away, or past the partition's end)"
                    .into(),
            )),
            Err(error) if error.is::<Unreadable>() => {
                let why = format!("{error:#}");
                // Not asked again for every pointer into it.
                self.fetchers.insert(key, Err(why.clone()));
                Err(Unread::Refused(why))
            }
            // The cluster did not answer in time: the run ends with the cause (nothing is
            // decided on a guess), and a later run reads it again.
            Err(error) => Err(Unread::Failed(error.context(format!(
                "cannot read the record the share group's pointer names, {}/{} offset {}",
                target.topic, target.partition, target.offset
            )))),
        }
    }
}

/// Why the record a pointer names was not read.
enum Unread {
    /// It is not to be read, or not there: the pointer is left alone, with this reason.
    Refused(String),
    /// The cluster failed: the run ends.
    Failed(anyhow::Error),
}

/// Where a share group's copy (`errors.deadletterqueue.copy.record.enable`) was copied from.
fn share_copy_of(record: &Record) -> Option<Coordinates> {
    if record.value.is_none() || record.read_from.is_some() {
        return None;
    }
    share_origin(record)
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
    pub(super) fn new(inner: S, settings: &Settings, allow: Option<&Regex>) -> Self {
        let resolver = Resolver::new(settings, inner.reader().topic(), allow);
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
        self.inner
            .next_record()?
            .map(|record| self.resolver.resolve(record))
            .transpose()
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
