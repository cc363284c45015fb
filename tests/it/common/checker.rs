//! What the tests verify with: Apache Kafka's own Java client (`scripts/kafka-check.sh`,
//! tests/support/KafkaCheck.java), never the tool's rdkafka. Records, group offsets, end
//! offsets and topic configs as that client sees them, and its producer as a foreign writer.
//! The checkers are kept running (`served.rs`), one per concurrent caller.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::broker::{Broker, STEP_TIMEOUT};
use super::records::TestRecord;
use super::served;

/// Isolation level of a read through the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Committed records only, up to the last stable offset.
    ReadCommitted,
    /// Everything written, aborted transactions included, up to the high watermark.
    ReadUncommitted,
}

impl Isolation {
    fn as_arg(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read_committed",
            Isolation::ReadUncommitted => "read_uncommitted",
        }
    }
}

/// A record as Apache Kafka's Java consumer read it, bytes exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    /// `CreateTime` or `LogAppendTime`.
    pub timestamp_type: String,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// In record order; `None` is a null header value.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl ReadRecord {
    /// The value of the last header called `name` (a framework appends; the newest is last);
    /// `None` when there is none or its value is null.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// [`ReadRecord::header`] as UTF-8 text (panics when it is not).
    pub fn header_text(&self, name: &str) -> Option<&str> {
        self.header(name)
            .map(|v| std::str::from_utf8(v).unwrap_or_else(|e| panic!("header {name}: {e}")))
    }
}

#[derive(Deserialize)]
struct DumpLine {
    partition: i32,
    offset: i64,
    timestamp: i64,
    timestamp_type: String,
    key: Option<String>,
    value: Option<String>,
    headers: Vec<DumpHeader>,
}

#[derive(Deserialize)]
struct DumpHeader {
    name: String,
    value: Option<String>,
}

fn unbase64(text: Option<&str>) -> Option<Vec<u8>> {
    text.map(|t| {
        BASE64
            .decode(t)
            .unwrap_or_else(|e| panic!("checker printed bad base64 {t:?}: {e}"))
    })
}

impl From<DumpLine> for ReadRecord {
    fn from(line: DumpLine) -> Self {
        ReadRecord {
            partition: line.partition,
            offset: line.offset,
            timestamp: line.timestamp,
            timestamp_type: line.timestamp_type,
            key: unbase64(line.key.as_deref()),
            value: unbase64(line.value.as_deref()),
            headers: line
                .headers
                .into_iter()
                .map(|h| (h.name, unbase64(h.value.as_deref())))
                .collect(),
        }
    }
}

/// Runs the checker's `<args> --bootstrap <broker>` with `stdin` (in a checker kept running,
/// `served.rs`); returns stdout.
fn checker(bootstrap: &str, args: &[&str], stdin: &[u8]) -> String {
    let mut request: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    request.extend(["--bootstrap".to_owned(), bootstrap.to_owned()]);
    let answer = served::ask(&request, stdin, STEP_TIMEOUT + Duration::from_secs(30))
        .unwrap_or_else(|error| panic!("kafka-check {args:?}: {error}"));
    assert!(
        answer.status == 0,
        "kafka-check {args:?} failed (exit status {}):\n{}\n--- the checker's log:\n{}",
        answer.status,
        String::from_utf8_lossy(&answer.stderr),
        answer.log
    );
    String::from_utf8(answer.stdout).unwrap_or_else(|e| panic!("checker output: {e}"))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("checker printed {text:?}: {e}"))
}

fn partition_map(text: &str) -> BTreeMap<i32, i64> {
    parse_json::<BTreeMap<String, i64>>(text)
        .into_iter()
        .map(|(partition, offset)| {
            let partition = partition
                .parse()
                .unwrap_or_else(|e| panic!("partition {partition:?}: {e}"));
            (partition, offset)
        })
        .collect()
}

impl Broker {
    /// Every record of `topic` up to its end offsets at the time of the call (last stable
    /// offsets under `read_committed`), sorted by (partition, offset), read by Java's consumer.
    pub fn read_all(&self, topic: &str, isolation: Isolation) -> Vec<ReadRecord> {
        checker(
            self.bootstrap(),
            &["dump", "--topic", topic, "--isolation", isolation.as_arg()],
            b"",
        )
        .lines()
        .map(|line| ReadRecord::from(parse_json::<DumpLine>(line)))
        .collect()
    }

    /// The values of [`Broker::read_all`], none of them null.
    pub fn values(&self, topic: &str, isolation: Isolation) -> Vec<Vec<u8>> {
        self.read_all(topic, isolation)
            .into_iter()
            .map(|r| r.value.unwrap_or_else(|| panic!("a tombstone in {topic}")))
            .collect()
    }

    /// The keys (as text) of the records of [`Broker::read_all`] under `read_committed`: of
    /// the tombstones when `tombstones`, else of the other records.
    pub fn keys(&self, topic: &str, tombstones: bool) -> Vec<String> {
        self.read_all(topic, Isolation::ReadCommitted)
            .into_iter()
            .filter(|r| r.value.is_none() == tombstones)
            .map(|r| String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned())
            .collect()
    }

    /// Fails the test unless `topic` holds no record at all (aborted ones included).
    #[track_caller]
    pub fn assert_empty(&self, topic: &str) {
        let records = self.read_all(topic, Isolation::ReadUncommitted);
        assert!(records.is_empty(), "{topic}: {records:?}");
    }

    /// The offsets `group` committed for `topic`, per partition; partitions without a commit
    /// are absent.
    pub fn group_offsets(&self, group: &str, topic: &str) -> BTreeMap<i32, i64> {
        partition_map(&checker(
            self.bootstrap(),
            &["group-offsets", "--group", group, "--topic", topic],
            b"",
        ))
    }

    /// The Kafka release the cluster runs ("3.9", "4.4"), from its finalized `metadata.version`
    /// as the broker reports it.
    pub fn release(&self) -> String {
        let text = checker(self.bootstrap(), &["broker-version"], b"");
        parse_json::<BTreeMap<String, String>>(text.trim())
            .remove("release")
            .unwrap_or_else(|| panic!("checker printed {text:?}"))
    }

    /// How many members `group` has now, from its description.
    pub fn group_members(&self, group: &str) -> usize {
        let text = checker(self.bootstrap(), &["group-members", "--group", group], b"");
        parse_json::<BTreeMap<String, usize>>(text.trim())
            .get("members")
            .copied()
            .unwrap_or_else(|| panic!("checker printed {text:?}"))
    }

    /// The end offsets (high watermarks) of `topic`, per partition. They count transaction
    /// markers and aborted records too.
    pub fn end_offsets(&self, topic: &str) -> BTreeMap<i32, i64> {
        self.end_offsets_in(topic, Isolation::ReadUncommitted)
    }

    /// The end offsets of `topic` as seen with `isolation`: high watermarks, or last stable
    /// offsets under `read_committed`.
    pub fn end_offsets_in(&self, topic: &str, isolation: Isolation) -> BTreeMap<i32, i64> {
        partition_map(&checker(
            self.bootstrap(),
            &[
                "end-offsets",
                "--topic",
                topic,
                "--isolation",
                isolation.as_arg(),
            ],
            b"",
        ))
    }

    /// Every config of `topic` (defaults included); `None` for sensitive values.
    pub fn topic_config(&self, topic: &str) -> BTreeMap<String, Option<String>> {
        parse_json(&checker(
            self.bootstrap(),
            &["topic-config", "--topic", topic],
            b"",
        ))
    }

    /// Deletes the records of `topic` partition `partition` below offset `before` with the
    /// Java admin client (`DeleteRecords`), as retention or compaction would remove them.
    pub fn delete_records(&self, topic: &str, partition: i32, before: i64) {
        let (partition, before) = (partition.to_string(), before.to_string());
        checker(
            self.bootstrap(),
            &[
                "delete-records",
                "--topic",
                topic,
                "--partition",
                &partition,
                "--before",
                &before,
            ],
            b"",
        );
    }

    /// Writes `records` with Apache Kafka's Java producer (idempotent, `acks=all`): a producer
    /// that is not the tool's. With `txn = Some((transactional_id, abort))` they go into one
    /// transaction, committed, or aborted when `abort`. Returns (partition, offset) per record.
    pub fn produce_foreign(
        &self,
        topic: &str,
        records: &[TestRecord],
        txn: Option<(&str, bool)>,
    ) -> Vec<(i32, i64)> {
        let mut args = vec!["produce", "--topic", topic];
        if let Some((id, abort)) = txn {
            args.extend(["--transactional-id", id]);
            if abort {
                args.push("--abort");
            }
        }
        self.produce_with(&args, records)
    }

    /// Writes `records` in a transaction left open, as a producer killed in the middle of it
    /// leaves it: the cluster aborts it once `timeout_ms` passed (and its sweep came by).
    pub fn leave_open(&self, topic: &str, records: &[TestRecord], id: &str, timeout_ms: u64) {
        let timeout = timeout_ms.to_string();
        let args = [
            "produce",
            "--topic",
            topic,
            "--transactional-id",
            id,
            "--leave-open",
            "--transaction-timeout-ms",
            &timeout,
        ];
        let stdin = json_lines(records);
        // A process of its own, which exits with the transaction open.
        let mut child = std::process::Command::new(super::broker::script("kafka-check.sh"))
            .args(args)
            .args(["--bootstrap", self.bootstrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start scripts/kafka-check.sh: {e}"));
        if let Some(mut pipe) = child.stdin.take() {
            std::io::Write::write_all(&mut pipe, &stdin)
                .unwrap_or_else(|e| panic!("kafka-check stdin: {e}"));
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("kafka-check: {e}"));
        assert!(
            output.status.success(),
            "kafka-check {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn produce_with(&self, args: &[&str], records: &[TestRecord]) -> Vec<(i32, i64)> {
        let stdin = json_lines(records);
        #[derive(Deserialize)]
        struct Written {
            partition: i32,
            offset: i64,
        }
        checker(self.bootstrap(), args, &stdin)
            .lines()
            .map(|line| {
                let written: Written = parse_json(line);
                (written.partition, written.offset)
            })
            .collect()
    }
}

/// `records` as the JSON lines `kafka-check.sh produce` reads.
fn json_lines(records: &[TestRecord]) -> Vec<u8> {
    let mut lines = Vec::new();
    for record in records {
        lines.extend(record.to_json().to_string().into_bytes());
        lines.push(b'\n');
    }
    lines
}
