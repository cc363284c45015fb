//! Shared helpers for the integration tests, compiled into every test crate as `mod common;`.
//!
//! - The broker: [`bootstrap`] is `KAFKA_BOOTSTRAP` when set, else the local Apache Kafka of
//!   `scripts/local-kafka.sh`, started once (and left running).
//! - Setup goes through rdkafka: [`create_topic`], [`create_topic_with`], [`produce`].
//! - Verification never trusts rdkafka (the tool's own client): [`read_all`],
//!   [`group_offsets`], [`end_offsets`], [`end_offsets_at`], [`topic_config`] and
//!   [`produce_foreign`] run `scripts/kafka-check.sh`, built on Apache Kafka's Java client.
//! - The tool itself: [`kmp`] (scrubbed environment) and [`run_kmp`] / [`run`] (stdin bytes,
//!   timeout, captured output).
//! - Another broker (the secured one of `tests/security.rs`): the `*_at` forms take its
//!   bootstrap servers.
#![expect(
    dead_code,
    reason = "every integration test crate compiles this module and uses only some helpers"
)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::executor::block_on;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Deserialize;

/// How long setup and verification steps may take before the test fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str) -> PathBuf {
    repo_root().join("scripts").join(name)
}

/// The broker's bootstrap servers: `KAFKA_BOOTSTRAP` if set; otherwise the local broker on
/// 127.0.0.1:`KAFKA_PORT` (default 9092), started by `scripts/local-kafka.sh start` once per
/// test process (the script does nothing when it already runs) and left running.
pub fn bootstrap() -> String {
    static BOOTSTRAP: OnceLock<String> = OnceLock::new();
    BOOTSTRAP
        .get_or_init(|| {
            if let Ok(servers) = std::env::var("KAFKA_BOOTSTRAP")
                && !servers.is_empty()
            {
                return servers;
            }
            let output = Command::new(script("local-kafka.sh"))
                .arg("start")
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run scripts/local-kafka.sh: {e}"));
            assert!(
                output.status.success(),
                "scripts/local-kafka.sh start failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            let port = std::env::var("KAFKA_PORT").unwrap_or_else(|_| "9092".to_owned());
            format!("127.0.0.1:{port}")
        })
        .clone()
}

/// A name no other test (or earlier run) uses, for topics, groups and transactional ids.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn client_config() -> ClientConfig {
    client_config_at(&bootstrap())
}

fn client_config_at(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

/// Creates `name` with `partitions` partitions (replication factor 1), compacted when
/// `compact`, and waits until every partition has a leader.
///
/// A topic that is not compacted keeps its records forever (`retention.ms=-1`): tests write
/// records with timestamps years old, and merged copies keep them, so under the default
/// 7-day retention the broker's retention check (every 5 minutes) deleted a destination's
/// records between two reads of a test now and then.
pub fn create_topic(name: &str, partitions: i32, compact: bool) {
    let configs: &[(&str, &str)] = if compact {
        &[("cleanup.policy", "compact")]
    } else {
        &[("retention.ms", "-1")]
    };
    create_topic_with(name, partitions, configs);
}

/// Like [`create_topic`], with any topic configs, e.g. `[("cleanup.policy", "compact")]`.
pub fn create_topic_with(name: &str, partitions: i32, configs: &[(&str, &str)]) {
    create_topic_at(&bootstrap(), name, partitions, configs);
}

/// [`create_topic_with`] on the broker at `bootstrap`.
pub fn create_topic_at(bootstrap: &str, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = client_config_at(bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("admin client: {e}"));
    let topic = configs.iter().fold(
        NewTopic::new(name, partitions, TopicReplication::Fixed(1)),
        |topic, (key, value)| topic.set(key, value),
    );
    let options = AdminOptions::new().operation_timeout(Some(STEP_TIMEOUT));
    let results = block_on(admin.create_topics([&topic], &options))
        .unwrap_or_else(|e| panic!("creating topic {name}: {e}"));
    for result in results {
        if let Err((topic, code)) = result {
            panic!("creating topic {topic}: {code}");
        }
    }
    wait_until_usable(bootstrap, name, partitions);
}

fn wait_until_usable(bootstrap: &str, name: &str, partitions: i32) {
    let consumer: BaseConsumer = client_config_at(bootstrap)
        .create()
        .unwrap_or_else(|e| panic!("metadata client: {e}"));
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let ready = consumer
            .fetch_metadata(Some(name), Duration::from_secs(5))
            .is_ok_and(|metadata| {
                metadata.topics().iter().any(|topic| {
                    topic.error().is_none()
                        && usize::try_from(partitions) == Ok(topic.partitions().len())
                        && topic
                            .partitions()
                            .iter()
                            .all(|p| p.error().is_none() && p.leader() >= 0)
                })
            });
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "topic {name} has no leader for all {partitions} partitions after {STEP_TIMEOUT:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
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
    fn to_json(&self) -> serde_json::Value {
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

/// Writes `records` with rdkafka (idempotent, `acks=all`), all in flight at once, and checks
/// every delivery. Returns the (partition, offset) of each record, in the order given.
pub fn produce(topic: &str, records: &[TestRecord]) -> Vec<(i32, i64)> {
    let producer: FutureProducer = client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.timeout.ms", "30000")
        .create()
        .unwrap_or_else(|e| panic!("producer: {e}"));
    let mut deliveries = Vec::with_capacity(records.len());
    for record in records {
        let headers = record
            .headers
            .iter()
            .fold(OwnedHeaders::new(), |headers, (name, value)| {
                headers.insert(Header {
                    key: name,
                    value: value.as_deref(),
                })
            });
        let mut message = FutureRecord::<[u8], [u8]>::to(topic)
            .partition(record.partition)
            .headers(headers);
        if let Some(key) = &record.key {
            message = message.key(key);
        }
        if let Some(value) = &record.value {
            message = message.payload(value);
        }
        if let Some(timestamp) = record.timestamp {
            message = message.timestamp(timestamp);
        }
        loop {
            match producer.send_result(message) {
                Ok(delivery) => {
                    deliveries.push(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    message = returned;
                    thread::sleep(Duration::from_millis(10));
                }
                Err((e, _)) => panic!("producing to {topic}: {e}"),
            }
        }
    }
    deliveries
        .into_iter()
        .map(|delivery| match block_on(delivery) {
            Ok(Ok(delivered)) => (delivered.partition, delivered.offset),
            Ok(Err((e, _))) => panic!("delivery to {topic} failed: {e}"),
            Err(_) => panic!("delivery to {topic}: producer dropped"),
        })
        .collect()
}

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

/// Runs `scripts/kafka-check.sh <args> --bootstrap <broker>` with `stdin`; returns stdout.
fn checker(args: &[&str], stdin: &[u8]) -> String {
    checker_at(&bootstrap(), args, stdin)
}

fn checker_at(bootstrap: &str, args: &[&str], stdin: &[u8]) -> String {
    let mut command = Command::new(script("kafka-check.sh"));
    command.args(args).arg("--bootstrap").arg(bootstrap);
    let output = run(&mut command, stdin, STEP_TIMEOUT + Duration::from_secs(30));
    assert!(
        output.status.success(),
        "kafka-check {args:?} failed ({}):\n{}",
        output.status,
        output.stderr_text()
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("checker output: {e}"))
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

/// Every record of `topic` up to its end offsets at the time of the call (last stable
/// offsets under `read_committed`), sorted by (partition, offset), read by Java's consumer.
pub fn read_all(topic: &str, isolation: Isolation) -> Vec<ReadRecord> {
    read_all_at(&bootstrap(), topic, isolation)
}

/// [`read_all`] on the broker at `bootstrap`.
pub fn read_all_at(bootstrap: &str, topic: &str, isolation: Isolation) -> Vec<ReadRecord> {
    checker_at(
        bootstrap,
        &["dump", "--topic", topic, "--isolation", isolation.as_arg()],
        b"",
    )
    .lines()
    .map(|line| ReadRecord::from(parse_json::<DumpLine>(line)))
    .collect()
}

/// The offsets `group` committed for `topic`, per partition; partitions without a commit
/// are absent.
pub fn group_offsets(group: &str, topic: &str) -> BTreeMap<i32, i64> {
    group_offsets_at(&bootstrap(), group, topic)
}

/// [`group_offsets`] on the broker at `bootstrap`.
pub fn group_offsets_at(bootstrap: &str, group: &str, topic: &str) -> BTreeMap<i32, i64> {
    partition_map(&checker_at(
        bootstrap,
        &["group-offsets", "--group", group, "--topic", topic],
        b"",
    ))
}

/// The end offsets (high watermarks) of `topic`, per partition. They count transaction
/// markers and aborted records too.
pub fn end_offsets(topic: &str) -> BTreeMap<i32, i64> {
    end_offsets_at(topic, Isolation::ReadUncommitted)
}

/// The end offsets of `topic` as seen with `isolation`: high watermarks, or last stable
/// offsets under `read_committed`.
pub fn end_offsets_at(topic: &str, isolation: Isolation) -> BTreeMap<i32, i64> {
    partition_map(&checker(
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
pub fn topic_config(topic: &str) -> BTreeMap<String, Option<String>> {
    parse_json(&checker(&["topic-config", "--topic", topic], b""))
}

/// Writes `records` with Apache Kafka's Java producer (idempotent, `acks=all`): a producer
/// that is not the tool's. With `txn = Some((transactional_id, abort))` they go into one
/// transaction, committed, or aborted when `abort`. Returns (partition, offset) per record.
pub fn produce_foreign(
    topic: &str,
    records: &[TestRecord],
    txn: Option<(&str, bool)>,
) -> Vec<(i32, i64)> {
    produce_foreign_at(&bootstrap(), topic, records, txn)
}

/// [`produce_foreign`] on the broker at `bootstrap`.
pub fn produce_foreign_at(
    bootstrap: &str,
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
    let mut stdin = Vec::new();
    for record in records {
        stdin.extend(record.to_json().to_string().into_bytes());
        stdin.push(b'\n');
    }
    #[derive(Deserialize)]
    struct Written {
        partition: i32,
        offset: i64,
    }
    checker_at(bootstrap, &args, &stdin)
        .lines()
        .map(|line| {
            let written: Written = parse_json(line);
            (written.partition, written.offset)
        })
        .collect()
}

/// The tool's binary with a scrubbed environment: only `PATH` and `HOME` kept, `NO_COLOR=1`.
pub fn kmp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-merge-purge"));
    command.env_clear();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// What a finished process left behind.
#[derive(Debug)]
pub struct RunOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl RunOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs the tool ([`kmp`]) with `args`, feeding `stdin` (then EOF); see [`run`].
pub fn run_kmp(args: &[&str], stdin: &[u8], timeout: Duration) -> RunOutput {
    run(kmp().args(args), stdin, timeout)
}

/// Runs `command` with `stdin` written to it (then closed) and stdout/stderr captured.
/// Kills it and fails the test, showing what it printed, when it runs longer than `timeout`.
pub fn run(command: &mut Command, stdin: &[u8], timeout: Duration) -> RunOutput {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut input = child.stdin.take().unwrap_or_else(|| unreachable!());
    let stdin = stdin.to_vec();
    // A process that exits without reading all its input closes the pipe: not an error here.
    let writer = thread::spawn(move || drop(input.write_all(&stdin)));
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _killed = child.kill();
                let _reaped = child.wait();
                let stdout = stdout.join().unwrap_or_default();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "{command:?} still ran after {timeout:?}; killed it.\n--- stdout:\n{}\n--- stderr:\n{}",
                    String::from_utf8_lossy(&stdout),
                    String::from_utf8_lossy(&stderr)
                );
            }
            Err(e) => panic!("waiting for {command:?}: {e}"),
        }
    };
    let _written = writer.join();
    RunOutput {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn capture<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the capture; the exit status still tells what happened.
            let _read = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
