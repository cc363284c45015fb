//! The compaction warnings of a run: a tombstone for the key of a record left in the source.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::record::Record;

/// Remembers (hashes of) the keys tombstoned and the keys of records left in the source, to
/// warn when both meet: compaction keeps only the newest record of a key.
#[derive(Default)]
pub(super) struct KeyWatch {
    tombstoned: HashSet<u64>,
    kept: HashSet<u64>,
}

fn key_hash(key: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

pub(super) fn describe(record: &Record) -> String {
    format!(
        "partition {} offset {}",
        record.at.partition, record.at.offset
    )
}

impl KeyWatch {
    pub(super) fn tombstoned(&mut self, record: &Record) -> Option<String> {
        let hash = key_hash(record.own_key()?);
        self.tombstoned.insert(hash);
        self.kept.contains(&hash).then(|| {
            format!(
                "the tombstone for {} has the key of a record left in the source earlier in this run: compaction will remove that record too",
                describe(record)
            )
        })
    }

    pub(super) fn kept(&mut self, record: &Record) -> Option<String> {
        let hash = key_hash(record.own_key()?);
        self.kept.insert(hash);
        self.tombstoned.contains(&hash).then(|| {
            format!(
                "the record at {} stays in the source, but a tombstone for its key was written in this run: compaction will remove it",
                describe(record)
            )
        })
    }
}
