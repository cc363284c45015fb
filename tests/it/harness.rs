//! Proves the test harness itself against the real broker: what rdkafka writes in a test's
//! setup comes back byte for byte through the independent Java checker, and the checker's
//! own producer, end offsets and transactions behave as the other tests assume; and the broker
//! is the Kafka version the run asked for (`KAFKA_VERSION`: CI's pass against an older line
//! must not test the default one unawares).

use std::process::Command;

use crate::common::broker::script;
use crate::common::*;

/// Bytes that are not UTF-8 (and a NUL), so no text conversion can pass unnoticed.
const BINARY: &[u8] = &[0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a];

#[test]
fn records_round_trip_byte_exact() {
    let topic = unique("harness-round-trip");
    kafka().create_topic(&topic, 3, false);

    let records = vec![
        TestRecord::new(0, Some(BINARY), Some(b"{\"order\":1}"))
            .header("trace", Some(BINARY))
            .header("trace", Some(b"second"))
            .header("null-header", None)
            .header("empty-header", Some(b""))
            .timestamp(1_600_000_000_000),
        TestRecord::new(0, Some(b"tombstone-key"), None).timestamp(1_600_000_000_001),
        TestRecord::new(1, None, Some(BINARY)).timestamp(1),
        TestRecord::new(2, Some(b""), Some(b"")).timestamp(1_700_000_000_000),
        TestRecord::new(2, Some(b"k"), Some(&[0xde, 0xad, 0xbe, 0xef]))
            .header("\u{e9}t\u{e9}", Some(&[0x01]))
            .timestamp(1_700_000_000_001),
    ];
    let written = kafka().produce(&topic, &records);
    assert_eq!(written, [(0, 0), (0, 1), (1, 0), (2, 0), (2, 1)]);

    let read = kafka().read_all(&topic, Isolation::ReadCommitted);
    assert_eq!(read.len(), records.len(), "{read:#?}");
    for ((sent, (partition, offset)), got) in records.iter().zip(written).zip(&read) {
        assert_eq!(got.partition, sent.partition);
        assert_eq!((got.partition, got.offset), (partition, offset));
        assert_eq!(got.key, sent.key, "key at {partition}/{offset}");
        assert_eq!(got.value, sent.value, "value at {partition}/{offset}");
        assert_eq!(got.headers, sent.headers, "headers at {partition}/{offset}");
        assert_eq!(Some(got.timestamp), sent.timestamp);
        assert_eq!(got.timestamp_type, "CreateTime");
    }
    assert_eq!(read, kafka().read_all(&topic, Isolation::ReadUncommitted));
    assert_eq!(kafka().end_offsets(&topic), [(0, 2), (1, 1), (2, 2)].into());
}

#[test]
fn foreign_transactions_are_visible_only_when_committed() {
    let topic = unique("harness-foreign-txn");
    kafka().create_topic(&topic, 1, false);
    let aborted = [TestRecord::new(0, Some(b"a"), Some(BINARY)).header("h", None)];
    let committed = [TestRecord::new(0, Some(b"c"), Some(b"kept")).timestamp(42)];

    let txn = unique("harness-txn");
    assert_eq!(
        kafka().produce_foreign(&topic, &aborted, Some((&txn, true))),
        [(0, 0)]
    );
    // The abort marker takes offset 1.
    assert_eq!(
        kafka().produce_foreign(&topic, &committed, Some((&txn, false))),
        [(0, 2)]
    );

    let visible = kafka().read_all(&topic, Isolation::ReadCommitted);
    assert_eq!(visible.len(), 1, "{visible:#?}");
    assert_eq!(visible[0].offset, 2);
    assert_eq!(visible[0].key.as_deref(), Some(&b"c"[..]));
    assert_eq!(visible[0].timestamp, 42);

    let everything = kafka().read_all(&topic, Isolation::ReadUncommitted);
    assert_eq!(everything.len(), 2, "{everything:#?}");
    assert_eq!(everything[0].value.as_deref(), Some(BINARY));
    assert_eq!(everything[0].headers, [("h".to_owned(), None)]);

    // Both markers count in the end offset.
    assert_eq!(kafka().end_offsets(&topic), [(0, 4)].into());
    assert_eq!(
        kafka().end_offsets_in(&topic, Isolation::ReadCommitted),
        [(0, 4)].into()
    );
}

#[test]
fn compacted_topics_and_groups_without_commits() {
    let topic = unique("harness-compact");
    kafka().create_topic(&topic, 2, true);
    let config = kafka().topic_config(&topic);
    assert_eq!(config["cleanup.policy"].as_deref(), Some("compact"));
    assert!(
        kafka()
            .group_offsets(&unique("harness-no-group"), &topic)
            .is_empty()
    );
}

#[test]
fn the_broker_runs_the_kafka_version_asked_for() {
    if std::env::var_os("KAFKA_BOOTSTRAP").is_some_and(|servers| !servers.is_empty()) {
        // A broker given from outside: whatever it runs is what was asked for.
        return;
    }
    let asked = Command::new(script("local-kafka.sh"))
        .arg("version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/local-kafka.sh version: {e}"));
    let asked = String::from_utf8_lossy(&asked.stdout).trim().to_owned();
    let release = kafka().release();
    assert!(
        asked.starts_with(&format!("{release}.")),
        "the broker reports Kafka {release}, the run asked for {asked}"
    );
}
