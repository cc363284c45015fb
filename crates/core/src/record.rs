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

/// The last header named `name`: the one that counts where a name repeats, as Kafka's
/// deserializers and frameworks read headers.
#[must_use]
pub fn last_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a Header> {
    headers.iter().rev().find(|header| header.name == name)
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
    /// Where the key, value, timestamp and (first) headers were read from, when not at `at`:
    /// the record a share group's pointer at `at` names (DESIGN §9: the DLQ entry itself,
    /// at `at`, has no key).
    pub read_from: Option<Coordinates>,
}

/// The headers of a share group's dead-letter entry (KIP-1191) naming the record it
/// dead-lettered.
pub const SHARE_DLQ_TOPIC: &str = "__dlq.errors.topic";
/// See [`SHARE_DLQ_TOPIC`].
pub const SHARE_DLQ_PARTITION: &str = "__dlq.errors.partition";
/// See [`SHARE_DLQ_TOPIC`].
pub const SHARE_DLQ_OFFSET: &str = "__dlq.errors.offset";

/// The header of the markers (tombstones) this tool writes for its decisions: the offset of
/// the decided record, decimal text (DESIGN §9).
pub const DECIDED_OFFSET: &str = "kmp-decided-offset";
/// The header naming who decided: the consumer group of the run, or `-` without one.
pub const DECIDED_BY: &str = "kmp-decided-by";
/// The header of the marker of a merged share-group pointer: the record it sent back,
/// `topic/partition/offset`, so that no other pointer to it sends it back again.
pub const DECIDED_SOURCE: &str = "kmp-decided-source";

impl Coordinates {
    /// `topic/partition/offset`, as [`DECIDED_SOURCE`] holds it.
    #[must_use]
    pub fn to_header(&self) -> String {
        format!("{}/{}/{}", self.topic, self.partition, self.offset)
    }

    /// The coordinates [`Coordinates::to_header`] wrote.
    #[must_use]
    pub fn from_header(text: &str) -> Option<Self> {
        let mut parts = text.rsplitn(3, '/');
        let offset = parts.next()?.parse().ok()?;
        let partition = parts.next()?.parse().ok()?;
        let topic = parts.next().filter(|topic| !topic.is_empty())?;
        Some(Self {
            topic: topic.to_owned(),
            partition,
            offset,
        })
    }
}

impl Record {
    /// A record with a null value marks its key for deletion under log compaction.
    #[must_use]
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }

    /// The offset a marker of ours names, when this record is one (a tombstone with a
    /// [`DECIDED_OFFSET`] header holding a number).
    #[must_use]
    pub fn marked_offset(&self) -> Option<i64> {
        if !self.is_tombstone() {
            return None;
        }
        let header = self.headers.iter().find(|h| h.name == DECIDED_OFFSET)?;
        std::str::from_utf8(header.value.as_deref()?)
            .ok()?
            .parse()
            .ok()
    }

    /// The key of the DLQ's entry itself: `key`, but none for a share group's pointer read
    /// as the record it names (a pointer has no key). Markers and tombstones use this one.
    #[must_use]
    pub fn own_key(&self) -> Option<&[u8]> {
        match self.read_from {
            Some(_) => None,
            None => self.key.as_deref(),
        }
    }

    /// Whether this is a share group's pointer (KIP-1191) as it is in the DLQ, not read as
    /// the record it names: null key and value, the `__dlq.errors.*` headers naming a topic
    /// and an offset, and no marker of ours. A run meets one only when the record it names
    /// could not be read; it is no tombstone to pass over then, but a record left alone.
    #[must_use]
    pub fn is_share_pointer(&self) -> bool {
        self.read_from.is_none()
            && self.key.is_none()
            && self.value.is_none()
            && self.marked_offset().is_none()
            && last_header(&self.headers, SHARE_DLQ_TOPIC).is_some()
            && last_header(&self.headers, SHARE_DLQ_OFFSET).is_some()
    }
}

/// The record builder of the unit tests: `Record::test(partition, offset)` is a record of
/// topic `dlq` with key `k` and value `v`, no timestamp and no headers; the `with_*` methods
/// change one part each.
/// Records made up for tests: this crate's, and the tool's through the feature `test-support`.
#[cfg(any(test, feature = "test-support"))]
impl Record {
    #[must_use]
    pub fn test(partition: i32, offset: i64) -> Self {
        Self {
            at: Coordinates {
                topic: "dlq".into(),
                partition,
                offset,
            },
            timestamp: None,
            key: Some(b"k".to_vec()),
            value: Some(b"v".to_vec()),
            headers: Vec::new(),
            read_from: None,
        }
    }

    #[must_use]
    pub fn with_key(mut self, key: Option<&[u8]>) -> Self {
        self.key = key.map(<[u8]>::to_vec);
        self
    }

    #[must_use]
    pub fn with_value(mut self, value: Option<&[u8]>) -> Self {
        self.value = value.map(<[u8]>::to_vec);
        self
    }

    /// Adds a header with a text value.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value: Some(value.as_bytes().to_vec()),
        });
        self
    }

    /// A `CreateTime` timestamp.
    #[must_use]
    pub fn created_at(mut self, millis: i64) -> Self {
        self.timestamp = Some(Timestamp {
            millis,
            kind: TimestampKind::CreateTime,
        });
        self
    }
}
