//! DLQs that the frameworks themselves write, not headers a test wrote: real Kafka Streams
//! (KIP-1034's dead letter queue), Spring Kafka (`DefaultErrorHandler` with a
//! `DeadLetterPublishingRecoverer`) and Kafka Connect (a sink's errant record reporter)
//! services in tests/support/apps dead-letter records; the tool classes them, routes them
//! back where they failed last, and writes each once; everything checked with the Java client.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::broker::{port_free, script};
use crate::common::*;

/// A framework application of scripts/framework-apps.sh, running until dropped.
struct App {
    child: Child,
    stdin: Option<ChildStdin>,
    /// What it prints after it said it runs.
    heard: mpsc::Receiver<String>,
}

/// A record as a fixed app printed it: key and value.
type Processed = (Option<Vec<u8>>, Option<Vec<u8>>);

impl App {
    /// Starts `class` with `args` and waits until it says it is running.
    fn start(class: &str, args: &[&str]) -> Self {
        Self::start_as(class, args, false)
    }

    /// [`App::start`], fixed when `fixed`: it fails on no record, and prints each one it
    /// processes (tests/support/apps/Processed.java).
    fn start_as(class: &str, args: &[&str], fixed: bool) -> Self {
        let mut command = Command::new(script("framework-apps.sh"));
        if fixed {
            command.env("KMP_APP_FIXED", "1");
        } else {
            command.env_remove("KMP_APP_FIXED");
        }
        let mut child = command
            .arg("run")
            .arg(class)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {class}: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (said, heard) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = said.send(line);
            }
        });
        let stdin = child.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match heard.recv_timeout(left) {
                Ok(line) if line == "RUNNING" => {
                    return Self {
                        child,
                        stdin,
                        heard,
                    };
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{class} did not start within 90 s: {error}")
                }
            }
        }
    }

    /// The records a fixed app processed: once `count` came (at most 60 s), what else it
    /// processes in the next 3 s too (a record processed twice must show).
    fn processed(&self, count: usize) -> Vec<Processed> {
        let mut processed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut settle: Option<Instant> = None;
        loop {
            let until = settle.unwrap_or(deadline);
            let Ok(line) = self
                .heard
                .recv_timeout(until.saturating_duration_since(Instant::now()))
            else {
                return processed;
            };
            if let Some(fields) = line.strip_prefix("PROCESSED ") {
                let decode = |field: &str| {
                    (field != "-").then(|| {
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, field)
                            .unwrap_or_else(|e| panic!("{line}: {e}"))
                    })
                };
                let (key, value) = fields
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("not a processed record: {line}"));
                processed.push((decode(key), decode(value)));
                if processed.len() >= count && settle.is_none() {
                    settle = Some(Instant::now() + Duration::from_secs(3));
                }
            }
        }
    }
}

/// Starts `class` fixed with `args` (the group, or the connector, of the app that failed):
/// it processes each of `dead`'s records exactly once, with their key and value, and
/// nothing else (what it had processed before stays behind its committed offsets).
fn fixed_app_processes_once(class: &str, args: &[&str], dead: &[ReadRecord]) {
    let all: Vec<&str> = std::iter::once(kafka().bootstrap())
        .chain(args.iter().copied())
        .collect();
    let app = App::start_as(class, &all, true);
    let mut processed = app.processed(dead.len());
    let mut expected: Vec<Processed> = dead
        .iter()
        .map(|record| (record.key.clone(), record.value.clone()))
        .collect();
    processed.sort();
    expected.sort();
    assert_eq!(processed, expected, "what the fixed {class} processed");
}

impl Drop for App {
    fn drop(&mut self) {
        // Its input ends: it closes (and leaves its group) by itself.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `topic` holds `count` records (`read_committed`), at most 60 s.
fn wait_for_records(topic: &str, count: usize) -> Vec<ReadRecord> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let records = kafka().read_all(topic, Isolation::ReadCommitted);
        if records.len() >= count || Instant::now() >= deadline {
            return records;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Kafka Streams dead-letters the records its processing fails on: the tool classes them by
/// the exception, routes them back to the source topic with their bytes, once.
#[test]
fn a_kafka_streams_dlq_is_classed_and_sent_back_to_its_source_once() {
    let orders = unique("orders");
    let out = unique("orders-out");
    let dlq = unique("orders-dlq");
    for topic in [&orders, &out] {
        kafka().create_topic(topic, 1, false);
    }
    // Streams does not create its DLQ; a delete-policy topic, as people create it.
    kafka().create_topic(&dlq, 1, false);
    let input = TestRecord::keyed(&[
        (0, "k1", "good-1"),
        (0, "k2", "bad-2"),
        (0, "k3", "good-3"),
        (0, "k4", "bad-4"),
        (0, "k5", "good-5"),
    ]);
    kafka().produce(&orders, &input);
    let application = unique("streams-app");
    let dead = dead_letters(
        "StreamsDlqApp",
        &[&application, &orders, &out, &dlq],
        &dlq,
        2,
    );
    // What Kafka Streams wrote: the source record's bytes, and where it came from, as text.
    for (record, (key, offset)) in dead.iter().zip([("k2", "1"), ("k4", "3")]) {
        assert_eq!(record.key.as_deref(), Some(key.as_bytes()));
        assert_eq!(
            record.header("__streams.errors.topic"),
            Some(orders.as_bytes())
        );
        assert_eq!(record.header("__streams.errors.partition"), Some(&b"0"[..]));
        assert_eq!(
            record.header("__streams.errors.offset"),
            Some(offset.as_bytes())
        );
    }

    // The overview classes them by the exception and sends both to the source topic.
    let group = unique("group");
    let overview = overview_of(&group, &dlq);
    assert_contains(&overview, "2 record(s) by failure class:");
    // The class, not the exception's message with it.
    assert_contains(
        &overview,
        "      2  p0 @0         p0 @1         java.lang.IllegalStateException\n",
    );
    assert_contains(&overview, &format!("by destination:\n      2  {orders}"));

    // Merged back, without the DLQ's headers, exactly once however often it runs; the
    // service, fixed, processes each once.
    redrive_once(&group, &dlq, &orders, &dead, input.len(), "1");
    fixed_app_processes_once("StreamsDlqApp", &[&application, &orders, &out, &dlq], &dead);
}

/// Dead-letters the records of `topic` holding "bad" with a real Spring Kafka service, into
/// `dlt`; what it wrote.
fn spring_dead_letters(topic: &str, dlt: &str, count: usize) -> Vec<ReadRecord> {
    dead_letters(
        "SpringDlqApp",
        &[&unique("spring-group"), topic, dlt],
        dlt,
        count,
    )
}

/// Runs the framework app `class` (its arguments: the broker, then `args`) until `dlq` holds
/// `count` records (at most 60 s), and stops it; those records, exactly `count` of them.
fn dead_letters(class: &str, args: &[&str], dlq: &str, count: usize) -> Vec<ReadRecord> {
    let records = {
        let all: Vec<&str> = std::iter::once(kafka().bootstrap())
            .chain(args.iter().copied())
            .collect();
        let _app = App::start(class, &all);
        wait_for_records(dlq, count)
    };
    assert_eq!(records.len(), count, "{records:?}");
    records
}

/// Sends `dead`, the records of `dlq`, back where they came from (`-t merge-all --to-origin
/// --strip-dlq-headers`) as `group`, then again, then as another group: `origin` ends with its
/// `before` records and one copy of each, in order, with its original's key, value and
/// timestamp, no DLQ family's header, and `replays` as its replay count (DESIGN §9).
fn redrive_once(
    group: &str,
    dlq: &str,
    origin: &str,
    dead: &[ReadRecord],
    before: usize,
    replays: &str,
) {
    for group in [group, group, &unique("group")] {
        Kmp::new()
            .group(group)
            .args(["-t", "merge-all", dlq, "--to-origin", "--strip-dlq-headers"])
            .ok();
    }
    let back = kafka().read_all(origin, Isolation::ReadCommitted);
    assert_eq!(back.len(), before + dead.len(), "{back:?}");
    for (copy, original) in back[before..].iter().zip(dead) {
        assert_eq!((&copy.key, &copy.value), (&original.key, &original.value));
        assert_eq!(copy.timestamp, original.timestamp);
        assert!(
            copy.headers.iter().all(|(name, _)| {
                ![
                    "kafka_dlt-",
                    "__streams.errors.",
                    "__connect.errors.",
                    "__dlq.errors.",
                ]
                .iter()
                .any(|prefix| name.starts_with(prefix))
            }),
            "{:?}",
            copy.headers
        );
        assert_eq!(copy.header("kmp-replay-count"), Some(replays.as_bytes()));
    }
}

/// The classes and destinations of `dlq` a dry run's overview shows.
fn overview_of(group: &str, dlq: &str) -> String {
    Kmp::new()
        .group(group)
        .args(["merge-all", dlq, "--to-origin", "--overview", "--dry-run"])
        .ok()
        .stderr_text()
}

/// A real Spring Kafka service dead-letters records (its `DefaultErrorHandler` wraps the
/// listener's exception: the cause is the class); sent on to a Kafka Streams service that fails
/// on them too, they carry both families, and the newest names their class and their origin.
#[test]
fn a_spring_dlt_redriven_then_dead_lettered_by_streams_goes_back_where_it_failed_last() {
    let orders = unique("orders");
    let dlt = unique("orders-dlt");
    let (stream_in, stream_out, stream_dlq) = (
        unique("stream-in"),
        unique("stream-out"),
        unique("stream-dlq"),
    );
    for topic in [&orders, &dlt, &stream_in, &stream_out, &stream_dlq] {
        kafka().create_topic(topic, 1, false);
    }
    let input = TestRecord::keyed(&[
        (0, "k1", "good-1"),
        (0, "k2", "bad-2"),
        (0, "k3", "good-3"),
        (0, "k4", "bad-4"),
    ]);
    kafka().produce(&orders, &input);
    let spring_dead = spring_dead_letters(&orders, &dlt, 2);
    assert_eq!(spring_dead.len(), 2, "{spring_dead:?}");
    for record in &spring_dead {
        assert_eq!(
            record.header("kafka_dlt-exception-fqcn"),
            Some(&b"org.springframework.kafka.listener.ListenerExecutionFailedException"[..])
        );
        assert_eq!(
            record.header("kafka_dlt-exception-cause-fqcn"),
            Some(&b"java.lang.IllegalArgumentException"[..])
        );
        assert_eq!(
            record.header("kafka_dlt-original-topic"),
            Some(orders.as_bytes())
        );
    }
    let group = unique("group");
    let spring_overview = overview_of(&group, &dlt);
    assert_contains(
        &spring_overview,
        "2 record(s) by failure class:\n  count  first         last          class\n      2  p0 @0         p0 @1         java.lang.IllegalArgumentException",
    );
    assert_contains(
        &spring_overview,
        &format!("by destination:\n      2  {orders}"),
    );

    // Redriven, headers and all, into the Streams service's input, which fails on them too.
    Kmp::new()
        .group(&group)
        .args(["-t", "merge-all", &dlt, &stream_in])
        .ok();
    let streams_app = unique("streams-app");
    let twice_dead = dead_letters(
        "StreamsDlqApp",
        &[&streams_app, &stream_in, &stream_out, &stream_dlq],
        &stream_dlq,
        2,
    );
    for record in &twice_dead {
        // Both families: Spring's from the first failure, Streams' appended after them.
        assert_eq!(
            record.header("kafka_dlt-original-topic"),
            Some(orders.as_bytes())
        );
        assert_eq!(
            record.header("__streams.errors.topic"),
            Some(stream_in.as_bytes())
        );
    }
    let streams_group = unique("group");
    let streams_overview = overview_of(&streams_group, &stream_dlq);
    assert_contains(
        &streams_overview,
        "      2  p0 @0         p0 @1         java.lang.IllegalStateException",
    );
    assert_contains(
        &streams_overview,
        &format!("by destination:\n      2  {stream_in}"),
    );

    // Sent back where they failed last, without any DLQ's headers, once.
    redrive_once(&streams_group, &stream_dlq, &stream_in, &twice_dead, 2, "2");
    fixed_app_processes_once(
        "StreamsDlqApp",
        &[&streams_app, &stream_in, &stream_out, &stream_dlq],
        &twice_dead,
    );
    assert_eq!(
        kafka().read_all(&orders, Isolation::ReadCommitted).len(),
        input.len()
    );
}

/// The case the issue found: records redriven from a Spring DLT and dead-lettered again by a
/// real Kafka Connect sink (its errant record reporter) go back to the topic the sink failed
/// on, classed by the sink's exception, not Spring's older ones.
#[test]
fn a_connect_sink_dlq_of_records_from_a_spring_dlt_goes_back_to_the_sinks_topic() {
    let orders = unique("orders");
    let dlt = unique("orders-dlt");
    let sink_in = unique("sink-in");
    let sink_dlq = unique("sink-dlq");
    for topic in [&orders, &dlt, &sink_in, &sink_dlq] {
        kafka().create_topic(topic, 1, false);
    }
    kafka().produce(
        &orders,
        &TestRecord::keyed(&[(0, "k1", "bad-1"), (0, "k2", "good-2"), (0, "k3", "bad-3")]),
    );
    assert_eq!(spring_dead_letters(&orders, &dlt, 2).len(), 2);
    let group = unique("group");
    Kmp::new()
        .group(&group)
        .args(["-t", "merge-all", &dlt, &sink_in])
        .ok();
    let connector = unique("sink");
    let dead = dead_letters(
        "ConnectDlqApp",
        &[&connector, &sink_in, &sink_dlq, &rest_port().to_string()],
        &sink_dlq,
        2,
    );
    for record in &dead {
        assert_eq!(
            record.header("kafka_dlt-original-topic"),
            Some(orders.as_bytes())
        );
        assert_eq!(
            record.header("__connect.errors.topic"),
            Some(sink_in.as_bytes())
        );
        assert_eq!(
            record.header("__connect.errors.stage"),
            Some(&b"TASK_PUT"[..])
        );
    }
    let sink_group = unique("group");
    let overview = overview_of(&sink_group, &sink_dlq);
    assert_contains(
        &overview,
        "      2  p0 @0         p0 @1         java.lang.IllegalStateException",
    );
    assert_contains(&overview, &format!("by destination:\n      2  {sink_in}"));
    redrive_once(&sink_group, &sink_dlq, &sink_in, &dead, 2, "2");
    assert_eq!(kafka().read_all(&orders, Isolation::ReadCommitted).len(), 3);
    // The same connector, fixed, writes each once.
    fixed_app_processes_once(
        "ConnectDlqApp",
        &[&connector, &sink_in, &sink_dlq, &rest_port().to_string()],
        &dead,
    );
}

/// A free port for Connect's REST server, never the same twice in this process (tests run
/// at once, and a port stays free until the worker binds it, seconds later).
fn rest_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + u16::try_from(std::process::id() % 1000).unwrap_or(0) * 10;
    loop {
        let port = base + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(port < 40_000, "no free port for Connect's REST server");
        if port_free(port) {
            return port;
        }
    }
}

/// A Spring Kafka service's DLT sent back to the service's topic (`--to-origin`): once, and
/// the service, fixed, processes each record once, byte for byte.
#[test]
fn a_spring_dlt_goes_back_to_its_topic_and_the_fixed_service_processes_each_once() {
    let orders = unique("orders");
    let dlt = unique("orders-dlt");
    for topic in [&orders, &dlt] {
        kafka().create_topic(topic, 1, false);
    }
    let input = TestRecord::keyed(&[(0, "k1", "bad-1"), (0, "k2", "good-2"), (0, "k3", "bad-3")]);
    kafka().produce(&orders, &input);
    let service = unique("spring-group");
    let dead = dead_letters("SpringDlqApp", &[&service, &orders, &dlt], &dlt, 2);
    // A dry run says the service's group reads the topic, and failed on them.
    Kmp::new()
        .group(&unique("group"))
        .args(["merge-all", &dlt, "--to-origin", "--dry-run"])
        .ok()
        .assert_said(&format!("  {orders}: {service} *\n"));
    redrive_once(&unique("group"), &dlt, &orders, &dead, input.len(), "1");
    fixed_app_processes_once("SpringDlqApp", &[&service, &orders, &dlt], &dead);
}

/// A share group (KIP-932) whose dead-letter queue copies the records it rejects (KIP-1191,
/// `errors.deadletterqueue.copy.record.enable`): the broker writes them; the tool classes them
/// by the group's reason and sends them back to their topic, once.
#[test]
fn a_share_groups_dlq_copies_go_back_to_their_topic_once() {
    let queue = unique("queue");
    // The broker takes only topics with its prefix ("dlq." by default), enabled as DLQs.
    let dlq = format!("dlq.{}", unique("share"));
    kafka().create_topic(&queue, 1, false);
    kafka().create_topic_with(&dlq, 1, &[("errors.deadletterqueue.group.enable", "true")]);
    let input = TestRecord::keyed(&[(0, "k1", "good-1"), (0, "k2", "bad-2"), (0, "k3", "bad-3")]);
    kafka().produce(&queue, &input);
    let share_group = unique("share-group");
    let dead = dead_letters(
        "ShareDlqApp",
        &[&share_group, &queue, &dlq, "copy"],
        &dlq,
        2,
    );
    for (record, offset) in dead.iter().zip(["1", "2"]) {
        assert_eq!(record.header("__dlq.errors.topic"), Some(queue.as_bytes()));
        assert_eq!(
            record.header("__dlq.errors.offset"),
            Some(offset.as_bytes())
        );
        assert_eq!(
            record.header("__dlq.errors.group"),
            Some(share_group.as_bytes())
        );
    }
    let group = unique("group");
    let overview = overview_of(&group, &dlq);
    assert_contains(
        &overview,
        "      2  p0 @0         p0 @1         Offset rejected by client.",
    );
    assert_contains(&overview, &format!("by destination:\n      2  {queue}"));
    redrive_once(&group, &dlq, &queue, &dead, input.len(), "1");
}

/// A share group's DLQ of pointers (KIP-1191's default: null key and value, headers naming the
/// record), written by two share groups that both reject the same records: the tool shows,
/// classes and redrives the record each points to, whole (headers and timestamp too), once
/// however many pointers name it, whichever group runs it, however often; a pointer whose
/// record is gone is left alone with the reason, and stays.
#[test]
fn a_share_groups_pointers_redrive_the_records_they_point_to_once() {
    let queue = unique("queue");
    let dlq = format!("dlq.{}", unique("share"));
    kafka().create_topic(&queue, 1, false);
    kafka().create_topic_with(&dlq, 1, &[("errors.deadletterqueue.group.enable", "true")]);
    let input: Vec<TestRecord> = TestRecord::keyed(&[
        (0, "k1", "bad-1"),
        (0, "k2", "good-2"),
        (0, "k3", "bad-3"),
        (0, "k4", "bad-4"),
    ])
    .into_iter()
    .map(|record| record.header("traceparent", Some(b"00-trace")))
    .collect();
    kafka().produce(&queue, &input);
    let sources = kafka().read_all(&queue, Isolation::ReadCommitted);
    // Two share groups reject the same three records: six pointers.
    let (share_a, share_b) = (unique("share-a"), unique("share-b"));
    dead_letters("ShareDlqApp", &[&share_a, &queue, &dlq], &dlq, 3);
    let pointers = dead_letters("ShareDlqApp", &[&share_b, &queue, &dlq], &dlq, 6);
    assert!(
        pointers
            .iter()
            .all(|p| p.key.is_none() && p.value.is_none()),
        "{pointers:?}"
    );
    // The first record is gone (deleted below the log start) before anyone redrives it.
    kafka().delete_records(&queue, 0, 1);

    // Shown as the record pointed to, with the pointer's headers after its own; the one
    // whose record is gone, as it is, with why.
    let printed = Kmp::new().print(&dlq).ok();
    let shown = printed.stdout_text();
    assert_contains(&shown, "Key: k3");
    assert_contains(&shown, "traceparent: 00-trace");
    assert_contains(&shown, &format!("__dlq.errors.topic: {queue}"));
    assert_contains(&shown, "bad-4");
    assert_contains(&printed.stderr_text(), "not there (deleted by retention");

    // Who would read them again: a consumer group with offsets on the queue, and the share
    // groups that failed on them (which librdkafka cannot list).
    let audit = unique("audit");
    commit_offset(&audit, &queue, 0, 1);
    let group = unique("group");
    Kmp::new()
        .group(&group)
        .args(["merge-all", &dlq, "--to-origin", "--dry-run"])
        .ok()
        .assert_said(&format!(
            "  {queue}: {audit}, {share_a} * (share group), {share_b} * (share group)\n"
        ));

    // Redriven whole, once, whichever group runs it, however often.
    // The first run stops after share-a's three pointers (the first one's record is gone):
    // it merges two records; the next run finds share-b's pointers to them, and only
    // purges them, as the markers after share-a's say what they sent back.
    let redrive = |group: &str, more: &[&str]| {
        let mut args = vec![
            "-t",
            "merge-all",
            &dlq,
            "--to-origin",
            "--strip-dlq-headers",
        ];
        args.extend_from_slice(more);
        Kmp::new().group(group).args(args).ok()
    };
    let first = redrive(&group, &["--limit", "3"]);
    first.assert_said("2 merged, 0 purged");
    assert_contains(
        &first.stderr_text(),
        "a share group's pointer to a record that cannot be read",
    );
    redrive(&group, &[]).assert_said("0 merged, 2 purged");
    for group in [&group, &unique("group")] {
        redrive(group, &[]).assert_said(" 0 merged");
    }
    let back = kafka().read_all(&queue, Isolation::ReadCommitted);
    assert_eq!(back.len(), 3 + 2, "{back:?}");
    // A share group that failed on them, fixed, processes each once: the copies only (what
    // it rejected stays archived).
    let copies: Vec<ReadRecord> = back[3..].to_vec();
    fixed_app_processes_once("ShareDlqApp", &[&share_a, &queue, &dlq], &copies);
    for (copy, source) in back[3..].iter().zip(&sources[2..]) {
        assert_eq!((&copy.key, &copy.value), (&source.key, &source.value));
        assert_eq!(copy.timestamp, source.timestamp);
        assert_eq!(copy.header("traceparent"), Some(&b"00-trace"[..]));
        assert_eq!(copy.header("__dlq.errors.topic"), None);
        assert_eq!(copy.header("kmp-replay-count"), Some(&b"1"[..]));
    }
    // Four pointers decided (two merged, their twins purged), each by a marker without a
    // key after it (a pointer has none); the two whose record is gone stay undecided.
    let markers: Vec<ReadRecord> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|record| record.header("kmp-decided-offset").is_some())
        .collect();
    assert_eq!(markers.len(), 4, "{markers:?}");
    assert!(markers.iter().all(|marker| marker.key.is_none()));
    let gone: Vec<i64> = pointers
        .iter()
        .filter(|p| p.header("__dlq.errors.offset") == Some(&b"0"[..]))
        .map(|p| p.offset)
        .collect();
    assert_eq!(gone.len(), 2);
    assert!(
        markers.iter().all(|m| !gone
            .iter()
            .any(|g| m.header("kmp-decided-offset") == Some(g.to_string().as_bytes()))),
        "{markers:?}"
    );
    // The two a merge leaves alone can be purged: each gets a marker, and nothing is left.
    Kmp::new()
        .group(&group)
        .args(["-t", "purge-all", &dlq])
        .ok()
        .assert_said("0 merged, 2 purged");
    let decided = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .iter()
        .filter(|record| record.header("kmp-decided-offset").is_some())
        .count();
    assert_eq!(decided, 6);
    Kmp::new()
        .group(&unique("group"))
        .args(["merge-all", &dlq, "--to-origin"])
        .ok()
        .assert_said(" 0 merged, 0 purged");
    // A third share group fails later on the two records sent back, and on their copies:
    // the group's offset is past every marker now, yet the markers below it (read from the
    // log start) say the records were sent back; only the copies go back.
    dead_letters(
        "ShareDlqApp",
        &[&unique("share-c"), &queue, &dlq],
        &dlq,
        6 + 6 + 4,
    );
    redrive(&group, &[]).assert_said(" 2 merged, 2 purged");
    let back = kafka().read_all(&queue, Isolation::ReadCommitted);
    assert_eq!(back.len(), 3 + 2 + 2, "{back:?}");
    for copy in &back[5..] {
        assert_eq!(copy.header("kmp-replay-count"), Some(&b"2"[..]));
    }
}

/// Commits `offset` for `group` on `topic`'s `partition` (a group that reads the topic, as a
/// service's would), with librdkafka: what is checked is the tool's listing, not this.
fn commit_offset(group: &str, topic: &str, partition: i32, offset: i64) {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", kafka().bootstrap())
        .set("group.id", group)
        .create()
        .unwrap_or_else(|e| panic!("consumer: {e}"));
    let mut offsets = rdkafka::TopicPartitionList::new();
    offsets
        .add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))
        .unwrap_or_else(|e| panic!("{e}"));
    consumer
        .commit(&offsets, CommitMode::Sync)
        .unwrap_or_else(|e| panic!("commit: {e}"));
}

/// Kafka Connect's `JsonConverter` refuses a value that is not JSON, and Connect dead-letters it
/// itself (stage `VALUE_CONVERTER`), before the task sees it; the task fails on another: two
/// classes, both sent back to the sink's topic, once.
#[test]
fn a_connect_sink_dlq_of_records_its_converter_refused_goes_back_once() {
    let sink_in = unique("sink-in");
    let sink_dlq = unique("sink-dlq");
    for topic in [&sink_in, &sink_dlq] {
        kafka().create_topic(topic, 1, false);
    }
    let input = TestRecord::keyed(&[
        (0, "k1", r#"{"id":1}"#),
        (0, "k2", "not json at all"),
        (0, "k3", r#"{"id":3,"state":"bad"}"#),
    ]);
    kafka().produce(&sink_in, &input);
    let dead = dead_letters(
        "ConnectDlqApp",
        &[
            &unique("sink"),
            &sink_in,
            &sink_dlq,
            &rest_port().to_string(),
            "json",
        ],
        &sink_dlq,
        2,
    );
    let text =
        |value: Option<&[u8]>| String::from_utf8_lossy(value.unwrap_or_default()).into_owned();
    let stages: Vec<String> = dead
        .iter()
        .map(|record| {
            format!(
                "{} {}",
                text(record.header("__connect.errors.stage")),
                text(record.header("__connect.errors.exception.class.name"))
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            "VALUE_CONVERTER org.apache.kafka.connect.errors.DataException",
            "TASK_PUT java.lang.IllegalStateException",
        ]
    );
    let group = unique("group");
    let overview = overview_of(&group, &sink_dlq);
    assert_contains(
        &overview,
        "      1  p0 @0         p0 @0         org.apache.kafka.connect.errors.DataException",
    );
    assert_contains(
        &overview,
        "      1  p0 @1         p0 @1         java.lang.IllegalStateException",
    );
    redrive_once(&group, &sink_dlq, &sink_in, &dead, input.len(), "1");
}
