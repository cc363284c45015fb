//! Redrive against the real broker: DLQs written by Apache Kafka's Java producer in each
//! framework's exact header format (Spring Kafka's binary numbers, Connect's and Streams' text,
//! Karafka's), routed back to their origin topics, with the header policy, the replay counter,
//! `--dedupe`, `--pending` and the retention check; everything checked with the Java client.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::*;

const REPLAY_COUNT: &str = "kmp-replay-count";

fn now_ms() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_else(|e| panic!("clock: {e}"));
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

/// A record as Spring Kafka's `DeadLetterPublishingRecoverer` writes it: the origin topic as
/// text, partition and offset as big-endian binary (`partition` given raw, to test bad ones).
fn spring(dlq_partition: i32, key: &str, topic: &[u8], partition: &[u8]) -> TestRecord {
    TestRecord::new(
        dlq_partition,
        Some(key.as_bytes()),
        Some(format!("value of {key}").as_bytes()),
    )
    .header(
        "kafka_dlt-exception-fqcn",
        Some(b"java.lang.IllegalStateException"),
    )
    .header("kafka_dlt-original-topic", Some(topic))
    .header("kafka_dlt-original-partition", Some(partition))
    .header("kafka_dlt-original-offset", Some(&77i64.to_be_bytes()))
}

/// A record as a Kafka Connect (or, with `family` `__streams.errors`, Kafka Streams) DLQ
/// writes it: origin as UTF-8 text.
fn text_origin(
    family: &str,
    dlq_partition: i32,
    key: &str,
    topic: &str,
    partition: &str,
) -> TestRecord {
    TestRecord::new(
        dlq_partition,
        Some(key.as_bytes()),
        Some(format!("value of {key}").as_bytes()),
    )
    .header(&format!("{family}.topic"), Some(topic.as_bytes()))
    .header(&format!("{family}.partition"), Some(partition.as_bytes()))
    .header(&format!("{family}.offset"), Some(b"12"))
}

/// Keys of the records of `topic` with their partition, as the Java client reads them
/// (committed only): the tombstones when `tombstones`, else the records with a value.
fn keys_where(topic: &str, tombstones: bool) -> Vec<(i32, String)> {
    let mut keys: Vec<(i32, String)> = kafka()
        .read_all(topic, Isolation::ReadCommitted)
        .iter()
        .filter(|r| r.value.is_none() == tombstones)
        .map(|r| {
            (
                r.partition,
                String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned(),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn keys_in(topic: &str) -> Vec<(i32, String)> {
    keys_where(topic, false)
}

fn tombstones_in(topic: &str) -> Vec<(i32, String)> {
    keys_where(topic, true)
}

fn owned(keys: &[(i32, &str)]) -> Vec<(i32, String)> {
    let mut keys: Vec<(i32, String)> = keys.iter().map(|&(p, k)| (p, k.to_owned())).collect();
    keys.sort();
    keys
}

#[test]
fn to_origin_routes_every_framework_and_leaves_refused_records_alone() {
    let dlq = unique("dlq");
    let orders = unique("orders");
    let payments = unique("payments");
    let retry = unique("retry");
    kafka().create_topic(&dlq, 2, true);
    kafka().create_topic(&orders, 3, false);
    kafka().create_topic(&payments, 1, false);
    kafka().create_topic(&retry, 1, false);
    let gone = unique("gone");
    let p2 = 2i32.to_be_bytes();
    let p1 = 1i32.to_be_bytes();
    let records = vec![
        spring(0, "spring-1", orders.as_bytes(), &p2),
        text_origin("__connect.errors", 0, "connect-1", &payments, "0"),
        TestRecord::new(0, Some(b"no-origin"), Some(b"plain")),
        spring(0, "missing", gone.as_bytes(), &p1),
        spring(0, "itself", dlq.as_bytes(), &p1),
        text_origin("__connect.errors", 0, "internal", "__consumer_offsets", "0"),
        spring(0, "short-partition", orders.as_bytes(), &[0, 1]),
        spring(0, "not-utf8", b"ord\xffers", &p1),
        spring(0, "empty", b"", &p1),
        text_origin("__connect.errors", 0, "illegal", "a/b", "0"),
        spring(0, "spring-2", orders.as_bytes(), &p1),
        text_origin("__streams.errors", 1, "streams-1", &orders, "0"),
        TestRecord::new(1, Some(b"karafka-1"), Some(b"k"))
            .header("source_topic", Some(payments.as_bytes()))
            .header("source_partition", Some(b"0")),
    ];
    kafka().produce_foreign(&dlq, &records, None);
    let written = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let group = unique("group");
    let audit = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("temp file: {e}"));

    // The dry run shows every record's destination, and the overview counts them.
    let dry = Kmp::new()
        .group(&group)
        .args([
            "merge-all",
            &dlq,
            "--to-origin",
            "--keep-partition",
            "--overview",
            "--dry-run",
        ])
        .ok();
    let report = dry.stdout_text();
    assert_contains(
        &report,
        &format!(
            "{dlq} partition 0 offset 0: would merge into '{orders}' (partition #2) and tombstone"
        ),
    );
    assert_contains(
        &report,
        &format!(
            "{dlq} partition 1 offset 1: would merge into '{payments}' (partition #0) and tombstone"
        ),
    );
    assert_contains(
        &report,
        &format!(
            "{dlq} partition 0 offset 3: would leave alone: origin {gone} refused: topic {gone} does not exist"
        ),
    );
    assert_contains(
        &dry.stderr_text(),
        &format!("by destination:\n      3  {orders}\n      2  {payments}"),
    );
    assert_eq!(
        kafka().read_all(&orders, Isolation::ReadUncommitted).len(),
        0
    );
    // --allow-origin restricts the origin topics further.
    let allowed = Kmp::new()
        .group(&group)
        .args([
            "merge-all",
            &dlq,
            "--to-origin",
            "--allow-origin",
            "payments-.*",
            "--dry-run",
        ])
        .ok()
        .stdout_text();
    assert_contains(
        &allowed,
        &format!(
            "{dlq} partition 0 offset 0: would leave alone: origin {orders} refused: {orders} does not match --allow-origin payments-.*"
        ),
    );
    assert_contains(
        &allowed,
        &format!("{dlq} partition 0 offset 1: would merge into '{payments}' and tombstone"),
    );

    let run = Kmp::new()
        .group(&group)
        .args([
            "-t",
            "merge-all",
            &dlq,
            "--to-origin",
            "--keep-partition",
            "--audit-log",
        ])
        .arg(audit.path())
        .ok();
    let said = run.stderr_text();
    for expected in [
        "Successfully processed records: 5 merged, 0 purged, 0 skipped".to_owned(),
        "1 record(s) left alone: no origin header, and no destination topic was given".to_owned(),
        format!("left alone: origin {gone} refused: topic {gone} does not exist"),
        format!("left alone: origin {dlq} refused: {dlq} is the DLQ itself"),
        "left alone: origin __consumer_offsets refused: __consumer_offsets is an internal topic".to_owned(),
        "left alone: unusable origin headers: header kafka_dlt-original-partition holds 2 byte(s), expected 4".to_owned(),
        "left alone: unusable origin headers: header kafka_dlt-original-topic is not valid UTF-8".to_owned(),
        "left alone: unusable origin headers: header kafka_dlt-original-topic is empty".to_owned(),
        "left alone: unusable origin headers: header __connect.errors.topic names \"a/b\", which is not a legal topic name".to_owned(),
    ] {
        assert_contains(&said, &expected);
    }

    // Each copy in its origin topic and partition, whole, with the replay count added.
    assert_eq!(
        keys_in(&orders),
        owned(&[(2, "spring-1"), (1, "spring-2"), (0, "streams-1")])
    );
    assert_eq!(
        keys_in(&payments),
        owned(&[(0, "connect-1"), (0, "karafka-1")])
    );
    let originals: BTreeMap<Vec<u8>, &ReadRecord> = written
        .iter()
        .map(|r| (r.key.clone().unwrap_or_default(), r))
        .collect();
    let copies = [
        kafka().read_all(&orders, Isolation::ReadCommitted),
        kafka().read_all(&payments, Isolation::ReadCommitted),
    ]
    .concat();
    for copy in &copies {
        let original = originals[copy.key.as_deref().unwrap_or_default()];
        let mut expected = original.headers.clone();
        expected.push((REPLAY_COUNT.to_owned(), Some(b"1".to_vec())));
        assert_eq!(copy.headers, expected);
        assert_eq!(
            (&copy.value, copy.timestamp),
            (&original.value, original.timestamp)
        );
    }
    // Tombstones for the merged records only; the offsets stop at the first record left alone.
    assert_eq!(
        tombstones_in(&dlq),
        owned(&[
            (0, "spring-1"),
            (0, "connect-1"),
            (0, "spring-2"),
            (1, "streams-1"),
            (1, "karafka-1")
        ])
    );
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 2), (1, 2)])
    );
    let audit_text = std::fs::read_to_string(audit.path()).unwrap_or_else(|e| panic!("audit: {e}"));
    assert_eq!(
        audit_text.matches(r#""action":"left-alone""#).count(),
        8,
        "{audit_text}"
    );
    assert_contains(
        &audit_text,
        r#""reason":"no origin header, and no destination topic was given""#,
    );

    // Again with a fallback destination and --pending: the record without an origin goes to
    // it; the one merged past the stop (spring-2) is passed over, not merged twice.
    Kmp::new()
        .group(&group)
        .args(["merge-all", &dlq, &retry, "--to-origin", "--pending"])
        .ok()
        .assert_said("Successfully processed records: 1 merged, 0 purged, 0 skipped")
        .assert_said("1 record(s) already merged or purged (the DLQ holds a later tombstone of their key, or a decision marker) were passed over");
    assert_eq!(keys_in(&retry), owned(&[(0, "no-origin")]));
    assert_eq!(keys_in(&orders).len(), 3);
}

#[test]
fn header_policy_and_timestamp_now_shape_the_copy_and_spring_numbers_are_shown() {
    let original_ts = 1_600_000_000_000i64;
    let record = TestRecord::new(0, Some(b"order-7"), Some(b"{\"id\":7}"))
        .header("traceparent", Some(b"00-abc"))
        .header("kafka_dlt-original-topic", Some(b"orders"))
        .header("kafka_dlt-original-partition", Some(&3i32.to_be_bytes()))
        .header("kafka_dlt-original-offset", Some(&77i64.to_be_bytes()))
        .header(
            "kafka_dlt-original-timestamp",
            Some(&1_700_000_000_000i64.to_be_bytes()),
        )
        .header("__connect.errors.stage", Some(b"VALUE_CONVERTER"))
        .header("x-debug-trace", Some(b"1"))
        .header("x-tenant", Some(b"acme"))
        .header("bin", Some(&[0xff, 0x00]))
        .header("nothing", None)
        .header("x-debug-span", Some(b"2"))
        .header(REPLAY_COUNT, Some(b"4"))
        .timestamp(original_ts);
    let (dlq, retry) = kafka().dlq_holding(1, &[record]);

    let text = Kmp::new().print(&dlq).ok().stdout_text();
    assert_contains(&text, "kafka_dlt-original-partition: 3\n");
    assert_contains(&text, "kafka_dlt-original-offset: 77\n");
    assert_contains(
        &text,
        "kafka_dlt-original-timestamp: 1700000000000 (2023-11-14T22:13:20.000Z)\n",
    );
    let json = Kmp::new()
        .print(&dlq)
        .args(["--output", "json"])
        .ok()
        .stdout_text();
    assert_contains(
        &json,
        r#"{"name":"kafka_dlt-original-partition","value":{"encoding":"base64","data":"AAAAAw==","number":3}}"#,
    );
    assert_contains(
        &json,
        r#""number":1700000000000,"timestamp":"2023-11-14T22:13:20.000Z"}"#,
    );

    let before = now_ms();
    Kmp::new()
        .group(&unique("group"))
        .merge_all(&dlq, &retry)
        .args([
            "--strip-dlq-headers",
            "--drop-header",
            "x-debug*",
            "--drop-header",
            "x-tenant",
            "--timestamp",
            "now",
        ])
        .ok();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 1);
    let copy = &copies[0];
    let expected: Vec<(String, Option<Vec<u8>>)> = vec![
        ("traceparent".into(), Some(b"00-abc".to_vec())),
        ("bin".into(), Some(vec![0xff, 0x00])),
        ("nothing".into(), None),
        (REPLAY_COUNT.into(), Some(b"5".to_vec())),
        (
            "kmp-original-timestamp".into(),
            Some(original_ts.to_string().into_bytes()),
        ),
    ];
    assert_eq!(copy.headers, expected);
    assert!(copy.timestamp >= before, "{} < {before}", copy.timestamp);
    assert_eq!(copy.value.as_deref(), Some(&b"{\"id\":7}"[..]));
}

#[test]
fn the_replay_counter_counts_cycles_and_max_replays_stops_the_loop() {
    let dlq = unique("dlq");
    let origin = unique("orders");
    kafka().create_topic(&dlq, 1, true);
    kafka().create_topic(&origin, 1, false);
    let group = unique("group");
    kafka().produce_foreign(
        &dlq,
        &[spring(0, "order-1", origin.as_bytes(), &0i32.to_be_bytes())],
        None,
    );
    let cycle = || {
        Kmp::new()
            .group(&group)
            .args(["merge-all", &dlq, "--to-origin", "--max-replays", "2"])
            .ok()
    };
    for round in 1..=2u8 {
        cycle().assert_said("Successfully processed records: 1 merged, 0 purged, 0 skipped");
        // The service fails again: its DLQ writer parks the copy, headers and all.
        let copies = kafka().read_all(&origin, Isolation::ReadCommitted);
        let copy = copies
            .last()
            .unwrap_or_else(|| panic!("no copy in round {round}"));
        let count = copy
            .headers
            .iter()
            .find(|(name, _)| name == REPLAY_COUNT)
            .and_then(|(_, value)| value.clone());
        assert_eq!(count, Some(vec![b'0' + round]), "round {round}");
        let mut again = TestRecord::new(0, copy.key.as_deref(), copy.value.as_deref());
        again.headers = copy.headers.clone();
        kafka().produce_foreign(&dlq, &[again], None);
    }
    let third = cycle();
    third
        .assert_said("Successfully processed records: 0 merged, 0 purged, 0 skipped")
        .assert_said("1 record(s) bounced too often")
        .assert_said("left alone: bounced too often (kmp-replay-count >= --max-replays 2)");
    assert_eq!(kafka().read_all(&origin, Isolation::ReadCommitted).len(), 2);
    // DLQ: original, tombstone, copy 1, tombstone, copy 2 (left alone at offset 4).
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 4)])
    );
}

#[test]
fn dedupe_purges_the_copies_a_retry_loop_multiplied() {
    let copy = |key: &str, value: &str, attempt: u8| {
        TestRecord::new(0, Some(key.as_bytes()), Some(value.as_bytes()))
            .header("trace", Some(b"t-1"))
            .header(
                "kafka_dlt-exception-message",
                Some(format!("attempt {attempt}").as_bytes()),
            )
    };
    // a once, b twice, c four times, and d: c's key with another value.
    let records = vec![
        copy("a", "1", 1),
        copy("b", "2", 1),
        copy("c", "3", 1),
        copy("b", "2", 2),
        copy("c", "3", 2),
        copy("c", "3", 3),
        copy("d", "3", 1),
        copy("c", "3", 4),
    ];
    let dlq = unique("dlq");
    let retry = unique("retry");
    kafka().create_topic(&dlq, 1, true);
    kafka().create_topic(&retry, 1, false);
    kafka().produce_foreign(&dlq, &records, None);
    let dry = Kmp::new()
        .group(&unique("group"))
        .merge_all(&dlq, &retry)
        .args(["--dedupe", "--overview", "--dry-run"])
        .ok();
    // One class (the records have no exception class header): 8 records, 4 duplicates.
    assert_contains(&dry.stderr_text(), "      8           4  p0 @0");
    Kmp::new()
        .group(&unique("group"))
        .merge_all(&dlq, &retry)
        .arg("--dedupe")
        .ok()
        .assert_said("Successfully processed records: 4 merged, 4 purged, 0 skipped")
        .assert_said("4 duplicates purged");
    assert_eq!(
        keys_in(&retry),
        owned(&[(0, "a"), (0, "b"), (0, "c"), (0, "d")])
    );
    assert_eq!(tombstones_in(&dlq).len(), records.len());
}

#[test]
fn pending_shows_exactly_the_records_skipped_before() {
    let records = TestRecord::keyed(&[
        (0, "k0", "v"),
        (0, "k1", "v"),
        (0, "k2", "v"),
        (0, "k3", "v"),
        (0, "k4", "v"),
        (0, "k5", "v"),
    ]);
    let (dlq, retry) = kafka().dlq_holding(1, &records);
    let group = unique("group");
    let first = Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .stdin(b"m\np\ns\nm\ns\ns\n")
        .ok();
    let said = first.stderr_text();
    assert_contains(
        &said,
        &format!(
            "Merged record with key k0 at offset #0 from '{dlq}' (partition #0) into '{retry}'"
        ),
    );
    assert_contains(
        &said,
        &format!("Purged record with key k1 at offset #1 from '{dlq}' (partition #0)"),
    );
    assert_contains(
        &said,
        &format!("Skipped record with key k2 at offset #2 from '{dlq}' (partition #0)"),
    );
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 6)])
    );

    // Stopping after the first record would commit 3: the committed offset never moves back.
    Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .args(["--from-beginning", "--pending"])
        .stdin(b"s\n")
        .ok();
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 6)])
    );

    let again = Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .args(["--from-beginning", "--pending"])
        .stdin(b"s\ns\ns\n")
        .ok();
    let asked: Vec<&str> = again
        .stderr_text()
        .lines()
        .filter(|line| line.starts_with("record ") && line.contains(" of at most "))
        .map(|line| line.rsplit_once(", ").map_or(line, |(_, at)| at))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|at| match at {
            "partition 0 offset 2" => "k2",
            "partition 0 offset 4" => "k4",
            "partition 0 offset 5" => "k5",
            other => panic!("asked about {other}"),
        })
        .collect();
    assert_eq!(asked, ["k2", "k4", "k5"]);
    // Read to the end, past the tombstones the first run wrote.
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        kafka().end_offsets(&dlq)
    );
    let printed = Kmp::new()
        .print(&dlq)
        .args(["--pending", "--output", "json"])
        .ok()
        .stdout_text();
    let offsets: Vec<&str> = printed
        .lines()
        .filter_map(|line| line.split(r#""offset":"#).nth(1))
        .filter_map(|rest| rest.split(',').next())
        .collect();
    assert_eq!(offsets, ["2", "4", "5"]);
}

#[test]
fn copies_older_than_the_retention_are_refused_unless_stamped_now() {
    let dlq = unique("dlq");
    let origin = unique("orders");
    kafka().create_topic(&dlq, 1, true);
    kafka().create_topic_with(&origin, 1, &[("retention.ms", "3600000")]);
    let old = now_ms() - 2 * 24 * 3600 * 1000;
    let records: Vec<TestRecord> = (0..3)
        .map(|i| {
            spring(
                0,
                &format!("old-{i}"),
                origin.as_bytes(),
                &0i32.to_be_bytes(),
            )
            .timestamp(old + i)
        })
        .collect();
    kafka().produce_foreign(&dlq, &records, None);
    let group = unique("group");
    let refused = Kmp::new()
        .group(&group)
        .args(["merge-all", &dlq, "--to-origin"])
        .run();
    refused.assert_exit(1);
    let said = refused.stderr_text();
    assert_contains(
        &said,
        "refusing to merge: 3 record(s) are older than the retention of their destination",
    );
    assert_contains(&said, &format!("{origin}: 3 record(s), the oldest from "));
    assert_contains(&said, "(2 days old; retention.ms=3600000 is 60 minutes)");
    assert_contains(&said, "--timestamp now");
    assert_contains(&said, "--ignore-retention");
    // Nothing written, nothing committed.
    assert_eq!(
        kafka().read_all(&origin, Isolation::ReadUncommitted).len(),
        0
    );
    assert_eq!(kafka().read_all(&dlq, Isolation::ReadUncommitted).len(), 3);
    assert!(kafka().group_offsets(&group, &dlq).is_empty());

    // ask checks each record as it comes, and leaves the old ones alone.
    let asked = Kmp::new()
        .group(&group)
        .args(["ask", &dlq, "--to-origin"])
        .stdin(b"m\nm\nm\n")
        .ok();
    assert_contains(
        &asked.stderr_text(),
        &format!(
            "3 record(s) left alone: older than the retention of {origin} (retention.ms=3600000)"
        ),
    );
    assert_eq!(
        kafka().read_all(&origin, Isolation::ReadUncommitted).len(),
        0
    );

    let before = now_ms();
    Kmp::new()
        .group(&group)
        .args(["merge-all", &dlq, "--to-origin", "--timestamp", "now"])
        .ok()
        .assert_said("Successfully processed records: 3 merged, 0 purged, 0 skipped");
    let copies = kafka().read_all(&origin, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 3);
    for (i, copy) in copies.iter().enumerate() {
        assert!(copy.timestamp >= before);
        let kept = copy
            .headers
            .iter()
            .find(|(name, _)| name == "kmp-original-timestamp")
            .and_then(|(_, value)| value.clone());
        assert_eq!(kept, Some((old + i as i64).to_string().into_bytes()));
    }
}

/// An in-house DLQ writer's headers, named with `--origin-header`: routed like a framework's,
/// the partition read in the format given; a record of no known family is left alone.
#[test]
fn origin_header_routes_an_in_house_writers_records() {
    let dlq = unique("dlq");
    let orders = unique("orders");
    kafka().create_topic(&dlq, 1, false);
    kafka().create_topic(&orders, 3, false);
    let records = vec![
        TestRecord::new(0, Some(b"in-house"), Some(b"v1"))
            .header("x-source-topic", Some(orders.as_bytes()))
            .header("x-source-partition", Some(&2i32.to_be_bytes())),
        TestRecord::new(0, Some(b"unknown"), Some(b"v2")).header("x-other", Some(b"orders")),
    ];
    kafka().produce_foreign(&dlq, &records, None);
    let group = unique("group");
    let run = Kmp::new()
        .group(&group)
        .args([
            "-t",
            "merge-all",
            &dlq,
            "--to-origin",
            "--keep-partition",
            "--origin-header",
            "topic=x-source-topic,partition=x-source-partition:int32",
        ])
        .ok();
    assert_contains(&run.stderr_text(), "1 merged");
    assert_contains(&run.stderr_text(), "no origin header");
    let copies = kafka().read_all(&orders, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(
        (copies[0].partition, copies[0].key.as_deref()),
        (2, Some(&b"in-house"[..]))
    );
    // A spec that cannot be read is refused before anything is read.
    Kmp::new()
        .group(&group)
        .args([
            "merge-all",
            &dlq,
            "--to-origin",
            "--origin-header",
            "partition=p",
        ])
        .run()
        .assert_exit(2)
        .assert_said("--origin-header");
}
