//! What the headers of a merged copy are: the record's own, in order and byte for byte, minus
//! what a header option removes, plus the headers we own (`kmp-replay-count`, and
//! `kmp-original-timestamp` with `--timestamp now`).

use crate::record::{Header, Record, last_header};

use super::origin::is_dlq_metadata;

/// How many times a record has been merged out of a DLQ by this tool (decimal text).
pub const REPLAY_COUNT: &str = "kmp-replay-count";
/// The record's own timestamp when the copy gets the current time (epoch ms, decimal text).
pub const ORIGINAL_TIMESTAMP: &str = "kmp-original-timestamp";

/// A `--drop-header` name: exact, or a prefix when it ends in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    Exact(String),
    Prefix(String),
}

impl NamePattern {
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.strip_suffix('*') {
            Some(prefix) => Self::Prefix(prefix.to_owned()),
            None => Self::Exact(text.to_owned()),
        }
    }

    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => name == exact,
            Self::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }
}

/// Which headers a copy leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderPolicy {
    /// `--strip-dlq-headers`: leave out `kafka_dlt-*`, `__connect.errors.*`, `__streams.errors.*`.
    pub strip_dlq: bool,
    /// `--drop-header`.
    pub drop: Vec<NamePattern>,
}

/// The timestamp a copy gets (`--timestamp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyTimestamp {
    /// The record's own (default).
    #[default]
    Kept,
    /// The time of the write; the record's own goes into [`ORIGINAL_TIMESTAMP`].
    Now,
}

/// The replay count a record carries: its last [`REPLAY_COUNT`] header as decimal text, 0
/// without one. An unreadable value counts as 0 and is said so in `Err`.
///
/// # Errors
/// The text of a value that is not a decimal count.
pub fn replay_count(record: &Record) -> Result<u64, String> {
    let Some(header) = last_header(&record.headers, REPLAY_COUNT) else {
        return Ok(0);
    };
    let value = header.value.as_deref().unwrap_or_default();
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| String::from_utf8_lossy(value).into_owned())
}

impl HeaderPolicy {
    /// Whether the copy keeps the header `name` of the record. Our own headers are always
    /// replaced, never copied.
    #[must_use]
    pub fn keeps(&self, name: &str) -> bool {
        // Our own headers say what this copy is: a repair's are the repair's (see
        // `KafkaSink`), never an earlier copy's.
        name != REPLAY_COUNT
            && name != ORIGINAL_TIMESTAMP
            && name != crate::repair::REPAIRED
            && name != crate::repair::REPAIRED_FROM
            && !(self.strip_dlq && is_dlq_metadata(name))
            && !self.drop.iter().any(|pattern| pattern.matches(name))
    }

    /// The headers of the copy of `record`: the kept ones in order, then the replay count
    /// (and the original timestamp when the copy is stamped with `now`).
    #[must_use]
    pub fn copy_headers(&self, record: &Record, timestamp: CopyTimestamp) -> Vec<Header> {
        let mut headers: Vec<Header> = record
            .headers
            .iter()
            .filter(|h| self.keeps(&h.name))
            .cloned()
            .collect();
        let count = replay_count(record).unwrap_or(0).saturating_add(1);
        headers.push(Header {
            name: REPLAY_COUNT.to_owned(),
            value: Some(count.to_string().into_bytes()),
        });
        if let (CopyTimestamp::Now, Some(original)) = (timestamp, record.timestamp) {
            headers.push(Header {
                name: ORIGINAL_TIMESTAMP.to_owned(),
                value: Some(original.millis.to_string().into_bytes()),
            });
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(headers: &[Header]) -> Vec<&str> {
        headers.iter().map(|h| h.name.as_str()).collect()
    }

    fn dlq_record() -> Record {
        Record::test(0, 0)
            .created_at(1_000)
            .with_header("traceparent", "00-abc")
            .with_header("kafka_dlt-exception-fqcn", "E")
            .with_header("__connect.errors.topic", "t")
            .with_header("x-tenant", "a")
            .with_header("x-debug-1", "1")
            .with_header("traceparent", "00-def")
    }

    #[test]
    fn default_keeps_everything_and_counts_the_replay() {
        let copy = HeaderPolicy::default().copy_headers(&dlq_record(), CopyTimestamp::Kept);
        assert_eq!(
            names(&copy),
            [
                "traceparent",
                "kafka_dlt-exception-fqcn",
                "__connect.errors.topic",
                "x-tenant",
                "x-debug-1",
                "traceparent",
                REPLAY_COUNT
            ]
        );
        assert_eq!(copy[5].value.as_deref(), Some(&b"00-def"[..]));
        assert_eq!(copy[6].value.as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn strip_and_drop_keep_the_order_of_the_rest() {
        let policy = HeaderPolicy {
            strip_dlq: true,
            drop: vec![
                NamePattern::parse("x-debug-*"),
                NamePattern::parse("x-tenant"),
            ],
        };
        let copy = policy.copy_headers(&dlq_record(), CopyTimestamp::Now);
        assert_eq!(
            names(&copy),
            [
                "traceparent",
                "traceparent",
                REPLAY_COUNT,
                ORIGINAL_TIMESTAMP
            ]
        );
        assert_eq!(copy[3].value.as_deref(), Some(&b"1000"[..]));
    }

    #[test]
    fn the_replay_count_goes_up_by_one() {
        let again = dlq_record().with_header(REPLAY_COUNT, "2");
        assert_eq!(replay_count(&again), Ok(2));
        let copy = HeaderPolicy::default().copy_headers(&again, CopyTimestamp::Kept);
        let counts: Vec<_> = copy.iter().filter(|h| h.name == REPLAY_COUNT).collect();
        assert_eq!(counts.len(), 1, "ours is replaced, not repeated");
        assert_eq!(counts[0].value.as_deref(), Some(&b"3"[..]));
        let garbled = Record::test(0, 0).with_header(REPLAY_COUNT, "lots");
        assert_eq!(replay_count(&garbled), Err("lots".to_owned()));
        assert_eq!(replay_count(&Record::test(0, 0)), Ok(0));
    }
}
