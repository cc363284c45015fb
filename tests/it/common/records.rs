//! The records a test writes in its setup.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The headers of a merged copy of a record with `headers`, merged once: the record's own in
/// order and byte for byte, then the tool's replay counter `kmp-replay-count: 1`.
pub fn as_merged(headers: &[(String, Option<Vec<u8>>)]) -> Vec<(String, Option<Vec<u8>>)> {
    let mut copied = headers.to_vec();
    copied.push(("kmp-replay-count".to_owned(), Some(b"1".to_vec())));
    copied
}

/// A record to write in a test's setup. Build it with [`TestRecord::new`] and the
/// `header`/`timestamp` methods, or fill the fields directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    /// A negative partition lets the producer choose one from the key.
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// In order; names may repeat; `None` is a null header value.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Milliseconds since the epoch (`CreateTime`); `None` lets the client take the time.
    pub timestamp: Option<i64>,
}

impl TestRecord {
    pub fn new(partition: i32, key: Option<&[u8]>, value: Option<&[u8]>) -> Self {
        TestRecord {
            partition,
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Records with text keys and values: `(partition, key, value)` each.
    pub fn keyed(records: &[(i32, &str, &str)]) -> Vec<Self> {
        records
            .iter()
            .map(|(partition, key, value)| {
                Self::new(*partition, Some(key.as_bytes()), Some(value.as_bytes()))
            })
            .collect()
    }

    /// `count` records spread over `partitions` in turn: record `i` has key `k{i}` and
    /// value `v`, in partition `i % partitions`.
    pub fn numbered(count: i32, partitions: i32) -> Vec<Self> {
        (0..count)
            .map(|i| Self::new(i % partitions, Some(format!("k{i}").as_bytes()), Some(b"v")))
            .collect()
    }

    /// Eight records of partition 0 in three failure classes (Spring Kafka's
    /// `kafka_dlt-exception-fqcn` `com.acme.A`, `B`, `C`), interleaved: A0 B1 C2 A3 B4 C5 A6
    /// B7; record `i` has key `key-i` and value `value-i`.
    pub fn three_classes() -> Vec<Self> {
        let class = ["com.acme.A", "com.acme.B", "com.acme.C"];
        (0..8)
            .map(|i| {
                Self::new(
                    0,
                    Some(format!("key-{i}").as_bytes()),
                    Some(format!("value-{i}").as_bytes()),
                )
                .header("kafka_dlt-exception-fqcn", Some(class[i % 3].as_bytes()))
            })
            .collect()
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: Option<&[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.map(<[u8]>::to_vec)));
        self
    }

    #[must_use]
    pub fn timestamp(mut self, millis: i64) -> Self {
        self.timestamp = Some(millis);
        self
    }

    /// The JSON line `scripts/kafka-check.sh produce` reads.
    pub(super) fn to_json(&self) -> serde_json::Value {
        let b64 = |bytes: &Option<Vec<u8>>| bytes.as_ref().map(|b| BASE64.encode(b));
        serde_json::json!({
            "partition": (self.partition >= 0).then_some(self.partition),
            "timestamp": self.timestamp,
            "key": b64(&self.key),
            "value": b64(&self.value),
            "headers": self
                .headers
                .iter()
                .map(|(name, value)| serde_json::json!({"name": name, "value": b64(value)}))
                .collect::<Vec<_>>(),
        })
    }
}
