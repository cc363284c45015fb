//! The brokers the tests run against, started (or found) once per test process, with the
//! choice of their ports: the plain one ([`kafka`]) and the one with SASL and TLS listeners
//! ([`secured`]). Setup helpers that write through rdkafka live here too; everything that
//! verifies goes through the Java checker (`checker.rs`).
//!
//! Where a broker comes from, first match wins:
//! - `KAFKA_BOOTSTRAP` (plain) / `KAFKA_SECURE_PORT` (secured): given; started when it does not
//!   run yet (`KAFKA_SECURE_PORT`) or used as it is (`KAFKA_BOOTSTRAP`);
//! - `KMP_TEST_BROKERS=FILE` (set by `scripts/test.sh`): a fresh broker on the first candidate
//!   port whose ports are all free; its port is appended to FILE, and the script stops it;
//! - otherwise (plain `cargo test`): the first candidate port where one of our brokers
//!   already runs with the same security, or whose ports are free; it is left running.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use futures::executor::block_on;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::records::TestRecord;

/// How long setup and verification steps may take before the test fails.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(60);

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn script(name: &str) -> PathBuf {
    repo_root().join("scripts").join(name)
}

/// A broker, by the bootstrap servers of its PLAINTEXT listener.
#[derive(Debug, Clone)]
pub struct Broker {
    bootstrap: String,
}

/// The plain broker of the tests.
pub fn kafka() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(|| {
        if let Ok(servers) = std::env::var("KAFKA_BOOTSTRAP")
            && !servers.is_empty()
        {
            return Broker { bootstrap: servers };
        }
        let port = start(
            &[9092, 19092, 19192, 19292, 19392, 19492],
            2,
            false,
            std::env::var("KAFKA_PORT").ok(),
        );
        Broker {
            bootstrap: format!("127.0.0.1:{port}"),
        }
    })
}

/// The secured broker: its listeners, users and certificate files as `local-kafka.sh info`
/// tells them (`bootstrap.SASL_SSL`, `plain.username`, `ssl.ca.pem`, ...), and the plain
/// [`Broker`] of its PLAINTEXT listener for setup and checks.
pub struct Secured {
    pub kafka: Broker,
    pub info: BTreeMap<String, String>,
}

impl Secured {
    /// One `info` value; a broker without it was started without security.
    pub fn get(&self, key: &str) -> String {
        self.info.get(key).cloned().unwrap_or_else(|| {
            panic!(
                "the secured broker {} has no {key}: it was started without KAFKA_SECURITY=1; \
                 stop it or set KAFKA_SECURE_PORT\n{:?}",
                self.kafka.bootstrap, self.info
            )
        })
    }
}

/// The broker with SASL and TLS listeners (on its port + 2 .. + 4), started once.
pub fn secured() -> &'static Secured {
    static BROKER: OnceLock<Secured> = OnceLock::new();
    BROKER.get_or_init(|| {
        let port = start(
            &[29092, 29192, 29292, 29392, 29492],
            5,
            true,
            std::env::var("KAFKA_SECURE_PORT").ok(),
        );
        let info = local_kafka("info", &port, true)
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        Secured {
            kafka: Broker {
                bootstrap: format!("127.0.0.1:{port}"),
            },
            info,
        }
    })
}

pub fn port_free(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

/// Starts a broker (or finds one) and returns its port: `given`, else the first fitting
/// candidate, each using `span` consecutive ports.
fn start(candidates: &[u16], span: u16, security: bool, given: Option<String>) -> String {
    if let Some(port) = given.filter(|port| !port.is_empty()) {
        local_kafka("start", &port, security);
        return port;
    }
    let fresh = std::env::var_os("KMP_TEST_BROKERS");
    for &candidate in candidates {
        let port = candidate.to_string();
        let free = (candidate..candidate + span).all(port_free);
        if fresh.is_none() && !free && running(&port) {
            return port;
        }
        if !free {
            continue;
        }
        let started = run_local_kafka("start", &port, security, fresh.is_some());
        match started.status.code() {
            Some(0) => {
                if let Some(file) = &fresh {
                    let mut file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(file)
                        .unwrap_or_else(|e| panic!("KMP_TEST_BROKERS: {e}"));
                    writeln!(file, "{port}").unwrap_or_else(|e| panic!("KMP_TEST_BROKERS: {e}"));
                }
                return port;
            }
            // Another run started a broker on these ports meanwhile: try the next ones.
            Some(3) => {}
            _ => panic!(
                "KAFKA_PORT={port} scripts/local-kafka.sh start failed ({}):\n{}",
                started.status,
                String::from_utf8_lossy(&started.stderr)
            ),
        }
    }
    panic!(
        "no free ports for a test broker among {candidates:?}; set KAFKA_BOOTSTRAP or KAFKA_PORT"
    )
}

fn running(port: &str) -> bool {
    Command::new(script("local-kafka.sh"))
        .arg("status")
        .env("KAFKA_PORT", port)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn run_local_kafka(command: &str, port: &str, security: bool, new: bool) -> std::process::Output {
    let mut script = Command::new(script("local-kafka.sh"));
    script.arg(command);
    if new {
        script.arg("--new");
    }
    if security {
        script.env("KAFKA_SECURITY", "1");
    }
    script
        .env("KAFKA_PORT", port)
        .env_remove("KAFKA_DATA_DIR")
        .env_remove("KAFKA_CONTROLLER_PORT")
        .env_remove("KAFKA_EXTRA_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/local-kafka.sh: {e}"))
}

/// Runs `local-kafka.sh COMMAND` for the broker on `port`; its stdout.
fn local_kafka(command: &str, port: &str, security: bool) -> String {
    let output = run_local_kafka(command, port, security, false);
    assert!(
        output.status.success(),
        "KAFKA_PORT={port} scripts/local-kafka.sh {command} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Broker {
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap);
        config
    }

    /// Commits `offset` for `group` on `topic`/`partition` (any offset, past the end too, as
    /// a group that read a topic deleted and created again since holds).
    pub fn commit_offset(&self, group: &str, topic: &str, partition: i32, offset: i64) {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", group)
            .create()
            .unwrap_or_else(|e| panic!("consumer: {e}"));
        let mut list = rdkafka::TopicPartitionList::new();
        list.add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))
            .unwrap_or_else(|e| panic!("offset list: {e}"));
        consumer
            .commit(&list, rdkafka::consumer::CommitMode::Sync)
            .unwrap_or_else(|e| panic!("committing {topic}/{partition} {offset}: {e}"));
    }

    /// Creates `name` with `partitions` partitions (replication factor 1), compacted when
    /// `compact`, and waits until every partition has a leader.
    ///
    /// A topic that is not compacted keeps its records forever (`retention.ms=-1`): tests
    /// write records with timestamps years old, and merged copies keep them, so under the
    /// default 7-day retention the broker's retention check (every 5 minutes) deleted a
    /// destination's records between two reads of a test now and then.
    pub fn create_topic(&self, name: &str, partitions: i32, compact: bool) {
        let configs: &[(&str, &str)] = if compact {
            &[("cleanup.policy", "compact")]
        } else {
            &[("retention.ms", "-1")]
        };
        self.create_topic_with(name, partitions, configs);
    }

    /// A new compacted DLQ of `dlq_partitions` and a new retry topic of `retry_partitions`,
    /// both with unique names: `(dlq, retry)`.
    pub fn dlq_and_retry(&self, dlq_partitions: i32, retry_partitions: i32) -> (String, String) {
        let dlq = super::unique("dlq");
        let retry = super::unique("retry");
        self.create_topic(&dlq, dlq_partitions, true);
        self.create_topic(&retry, retry_partitions, false);
        (dlq, retry)
    }

    /// [`Broker::dlq_and_retry`] of `dlq_partitions` and one, the DLQ holding `records`.
    pub fn dlq_holding(&self, dlq_partitions: i32, records: &[TestRecord]) -> (String, String) {
        let (dlq, retry) = self.dlq_and_retry(dlq_partitions, 1);
        self.produce(&dlq, records);
        (dlq, retry)
    }

    /// Like [`Broker::create_topic`], with any topic configs.
    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let admin: AdminClient<DefaultClientContext> = self
            .client_config()
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
        self.wait_until_usable(name, partitions);
    }

    fn wait_until_usable(&self, name: &str, partitions: i32) {
        let consumer: BaseConsumer = self
            .client_config()
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

    /// Writes `records` with rdkafka (idempotent, `acks=all`), all in flight at once, and
    /// checks every delivery. Returns the (partition, offset) of each record, in order.
    /// Batched as the Java producer, which writes most DLQs, batches (16 KiB): with
    /// librdkafka's 1 MiB a partition of a test DLQ is one batch, which a consumer can only
    /// fetch whole.
    pub fn produce(&self, topic: &str, records: &[TestRecord]) -> Vec<(i32, i64)> {
        let producer: FutureProducer = self
            .client_config()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("batch.size", "16384")
            .set("message.timeout.ms", "30000")
            .create()
            .unwrap_or_else(|e| panic!("producer: {e}"));
        let mut deliveries = Vec::with_capacity(records.len());
        for record in records {
            let headers =
                record
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
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        message = back;
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
}
