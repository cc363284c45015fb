//! Our own owned record type: what the triage engine, the renderers and the sinks see.
//! No rdkafka types here.

use serde::{Deserialize, Serialize};

/// Where a record lives: topic, partition and offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Coordinates {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// What the timestamp of a record means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampKind {
    /// Set by the producer when it created the record.
    CreateTime,
    /// Set by the broker when it appended the record.
    LogAppendTime,
}

/// A record timestamp in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    pub millis: i64,
    pub kind: TimestampKind,
}

/// One record header. Kafka allows repeated names and null values; order matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// A record as read from the source topic, with its bytes untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: Coordinates,
    pub timestamp: Option<Timestamp>,
    pub key: Option<Vec<u8>>,
    /// `None` for a tombstone.
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

impl Record {
    /// A record with a null value marks its key for deletion under log compaction.
    #[must_use]
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}
