//! A source whose share-group pointers (KIP-1191) come as the records they point to, read
//! from their topics: what `print`, `ask`, the view and the writing runs see of a share
//! group's DLQ ([`crate::redrive::pointer`]).

use std::collections::{BTreeMap, HashMap};

use crate::config::Settings;
use crate::kafka::{JobSource, Reader, RecordFetcher};
use crate::record::Record;
use crate::redrive::{dereferenced, share_pointer};
use crate::triage::{Offsets, RecordSource};

/// `inner`, its pointers dereferenced.
pub(super) struct Dereferencing<S> {
    inner: S,
    settings: Settings,
    /// One reader per topic pointed to.
    fetchers: HashMap<String, RecordFetcher>,
}

impl<S> Dereferencing<S> {
    pub(super) fn new(inner: S, settings: &Settings) -> Self {
        Self {
            inner,
            settings: settings.clone(),
            fetchers: HashMap::new(),
        }
    }

    pub(super) fn inner(&self) -> &S {
        &self.inner
    }

    /// The record `pointer` points to in its place, or the pointer as it is (with a warning)
    /// when that record is gone: a writing run passes it over then, as a tombstone.
    fn dereference(&mut self, pointer: Record) -> anyhow::Result<Record> {
        let Some(origin) = share_pointer(&pointer) else {
            return Ok(pointer);
        };
        let (Some(partition), Some(offset)) = (origin.partition, origin.offset) else {
            return Ok(pointer);
        };
        let fetcher = match self.fetchers.entry(origin.topic.clone()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(RecordFetcher::new(&self.settings, &origin.topic)?)
            }
        };
        match fetcher.fetch(partition, offset)? {
            Some(source) => Ok(dereferenced(pointer, source)),
            None => {
                tracing::warn!(
                    "the share group's pointer at {}/{} offset {} names {}/{partition} offset {offset}, which is no longer there (deleted or compacted): passed over",
                    pointer.at.topic,
                    pointer.at.partition,
                    pointer.at.offset,
                    origin.topic
                );
                Ok(pointer)
            }
        }
    }
}

impl<S: RecordSource> RecordSource for Dereferencing<S> {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        match self.inner.next_record()? {
            Some(record) => self.dereference(record).map(Some),
            None => Ok(None),
        }
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
