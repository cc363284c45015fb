//! `merge-all` against the real broker, checked with the independent Java client: records
//! copied whole, one tombstone per record in its own partition, offsets at the end snapshot,
//! tombstones and null keys, transactions.

use std::collections::BTreeMap;

use crate::common::*;

/// A DLQ of `count` records over 3 partitions with binary keys/values, several headers
/// (binary values, a repeated name, a null value) and explicit timestamps.
fn binary_dlq(count: u32) -> Vec<TestRecord> {
    (0..count)
        .map(|n| {
            let i = n as usize;
            let mut key = vec![0xff, 0x00];
            key.extend(n.to_be_bytes());
            let mut value = vec![0x80, 0xfe, 0x00];
            value.extend(n.to_le_bytes());
            value.extend(std::iter::repeat_n(0xc3, i % 50));
            TestRecord::new((n % 3) as i32, Some(&key), Some(&value))
                .header("id", Some(&n.to_be_bytes()))
                .header("retry", Some(b"1"))
                .header("retry", Some(&[0xff, 0xfe]))
                .header("nothing", None)
                .timestamp(1_600_000_000_000 + i64::from(n))
        })
        .collect()
}

/// Key, value, headers and timestamp of a record.
type Content = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
    i64,
);

/// [`content`] of the copies merging `records` once makes (the replay counter added).
fn copied(records: &[ReadRecord]) -> Vec<Content> {
    let mut all: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                r.value.clone(),
                as_merged(&r.headers),
                r.timestamp,
            )
        })
        .collect();
    all.sort();
    all
}

/// What records hold, without partition and offset, sorted to compare as multisets.
fn content(records: &[ReadRecord]) -> Vec<Content> {
    let mut all: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                r.value.clone(),
                r.headers.clone(),
                r.timestamp,
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn merge_all_copies_every_record_whole_and_tombstones_it() {
    for transactional in [false, true] {
        let (dlq, retry) = kafka().dlq_and_retry(3, 3);
        let group = unique("group");
        let records = binary_dlq(1200);
        kafka().produce(&dlq, &records);
        let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
        let ends = kafka().end_offsets(&dlq);

        let report = std::env::temp_dir().join(format!("{group}-summary.json"));
        let merge = || {
            Kmp::new()
                .group(&group)
                .merge_all(&dlq, &retry)
                .args(transactional.then_some("-t"))
                .arg("--summary-json")
                .arg(&report)
                .ok()
        };
        merge().assert_said("Successfully processed records: 1200 merged, 0 purged, 0 skipped");
        // --summary-json: the counts for a runbook, as committed.
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no summary: {e}")),
        )
        .unwrap_or_else(|e| panic!("the summary is not JSON: {e}"));
        assert_eq!(summary["outcome"], "completed");
        assert_eq!(summary["command"], "merge-all");
        assert_eq!(summary["merged"], 1200);
        assert_eq!(summary["purged"], 0);
        assert_eq!(summary["group"], group.as_str());

        // The destination holds exactly the source records: bytes, headers in order,
        // timestamps; and each key kept its order.
        let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
        assert_eq!(content(&merged), copied(&source));
        assert!(merged.iter().all(|r| r.timestamp_type == "CreateTime"));

        // The DLQ gained exactly one tombstone per record, in that record's partition, in
        // the same order.
        let after = kafka().read_all(&dlq, Isolation::ReadCommitted);
        for partition in 0..3 {
            let originals: Vec<_> = source
                .iter()
                .filter(|r| r.partition == partition)
                .map(|r| r.key.clone())
                .collect();
            let tombstones: Vec<_> = after
                .iter()
                .filter(|r| r.partition == partition && r.offset >= ends[&partition])
                .map(|r| {
                    assert_eq!(r.value, None, "only tombstones after the snapshot");
                    r.key.clone()
                })
                .collect();
            assert_eq!(tombstones, originals, "tombstones of partition {partition}");
        }
        assert_eq!(
            kafka().group_offsets(&group, &dlq),
            ends,
            "committed = end snapshot"
        );

        // A second run finds nothing old, and does not process its own tombstones again.
        let said = merge().stderr_text();
        assert_contains(
            &said,
            "1200 tombstone(s) already in the source were passed over",
        );
        let summary = std::fs::read_to_string(&report).unwrap_or_default();
        assert_contains(&summary, "\"tombstones_passed\": 1200");
        assert_contains(&summary, "\"merged\": 0");
        let _ = std::fs::remove_file(&report);
        let merged = kafka().read_all(&retry, Isolation::ReadCommitted).len();
        assert_eq!(
            merged,
            1200,
            "after the second run (-t: {transactional}): committed ends {:?}, all ends {:?}; \
             the second run said: {said}",
            kafka().end_offsets_in(&retry, Isolation::ReadCommitted),
            kafka().end_offsets(&retry),
        );
    }
}

/// A record, a tombstone and a record with a null key, in partition 0.
fn keyed_tombstone_and_keyless() -> [TestRecord; 3] {
    [
        TestRecord::new(0, Some(b"a"), Some(b"1")),
        TestRecord::new(0, Some(b"gone"), None),
        TestRecord::new(0, None, Some(b"keyless")),
    ]
}

#[test]
fn tombstones_are_merged_only_with_capital_t_and_null_keys_are_reported() {
    let dlq = unique("dlq");
    let retry = unique("retry");
    // A compacted topic refuses records without a key: null keys only occur in DLQs with
    // the delete cleanup policy.
    kafka().create_topic(&dlq, 1, false);
    kafka().create_topic(&retry, 1, false);
    kafka().produce(&dlq, &keyed_tombstone_and_keyless());

    let group = unique("group");
    let run = Kmp::new().group(&group).merge_all(&dlq, &retry).ok();
    let said = run.stderr_text();
    assert_contains(&said, "2 merged, 0 purged, 0 skipped");
    assert_contains(&said, "1 record(s) with a null key could not be tombstoned");
    assert!(
        said.contains("partition 0 offset 2 has a null key: it cannot be tombstoned"),
        "the record is named: {said}"
    );
    assert_contains(
        &said,
        "1 tombstone(s) already in the source were passed over",
    );
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    let values: Vec<_> = merged.iter().map(|r| r.value.clone()).collect();
    assert_eq!(values, [Some(b"1".to_vec()), Some(b"keyless".to_vec())]);
    // The keyed record got a tombstone; the null-key one (the DLQ is not compacted) a keyless
    // marker naming its offset; the tombstone already there nothing.
    let dlq_after = kafka().read_all(&dlq, Isolation::ReadCommitted);
    assert_eq!(dlq_after.len(), 5);
    assert_eq!(dlq_after[3].key.as_deref(), Some(&b"a"[..]));
    assert_eq!(dlq_after[3].value, None);
    assert_eq!((&dlq_after[4].key, &dlq_after[4].value), (&None, &None));
    assert!(
        dlq_after[4]
            .headers
            .contains(&("kmp-decided-offset".to_owned(), Some(b"2".to_vec())))
    );
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 3)])
    );

    // With -T the tombstone is merged too (and gets its marker).
    let dlq_t = unique("dlq");
    kafka().create_topic(&dlq_t, 1, false);
    kafka().produce(&dlq_t, &keyed_tombstone_and_keyless());
    let retry_t = unique("retry");
    kafka().create_topic(&retry_t, 1, false);
    let group_t = unique("group");
    Kmp::new()
        .group(&group_t)
        .merge_all(&dlq_t, &retry_t)
        .args(["-T"])
        .ok()
        .assert_said("3 merged");
    let merged = kafka().read_all(&retry_t, Isolation::ReadCommitted);
    assert_eq!(
        merged.len(),
        3,
        "every record of the snapshot, tombstones included"
    );
    assert_eq!(merged.iter().filter(|r| r.value.is_none()).count(), 1);
    assert_eq!(kafka().read_all(&dlq_t, Isolation::ReadCommitted).len(), 6);
}

#[test]
fn keep_partition_writes_to_the_source_partition_number() {
    let (dlq, retry) = kafka().dlq_and_retry(3, 3);
    kafka().produce(&dlq, &TestRecord::numbered(30, 3));
    let group = unique("group");
    Kmp::new()
        .group(&group)
        .args(["--keep-partition", "merge-all", &dlq, &retry])
        .ok();
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(merged.len(), 30, "every record merged");
    for record in merged {
        let original = source.iter().find(|s| s.key == record.key).unwrap();
        assert_eq!(record.partition, original.partition);
    }
}

/// Without `--keep-partition`, a merged record goes where Apache Kafka's Java producer puts
/// its key (murmur2), as the consuming service's own producers do, not where librdkafka's
/// default partitioner (CRC32) would.
#[test]
fn a_merged_record_goes_to_the_partition_a_java_producer_picks_for_its_key() {
    let dlq = unique("dlq");
    let retry = unique("retry");
    let reference = unique("java-placed");
    kafka().create_topic(&dlq, 1, true);
    kafka().create_topic(&retry, 6, false);
    kafka().create_topic(&reference, 6, false);
    let records: Vec<TestRecord> = (0..60)
        .map(|i| TestRecord::new(0, Some(format!("order-{i}").as_bytes()), Some(b"v")))
        .collect();
    kafka().produce(&dlq, &records);
    // Where the Java producer puts each key, when it chooses.
    let chosen_by_java: Vec<TestRecord> = records
        .iter()
        .map(|record| TestRecord {
            partition: -1,
            ..record.clone()
        })
        .collect();
    let key = |bytes: Option<Vec<u8>>| String::from_utf8(bytes.unwrap()).unwrap();
    let expected: BTreeMap<String, i32> = records
        .iter()
        .zip(kafka().produce_foreign(&reference, &chosen_by_java, None))
        .map(|(record, (partition, _))| (key(record.key.clone()), partition))
        .collect();
    let used: std::collections::BTreeSet<i32> = expected.values().copied().collect();
    assert!(
        used.len() > 1,
        "the keys spread over partitions: {expected:?}"
    );

    Kmp::new()
        .group(&unique("group"))
        .merge_all(&dlq, &retry)
        .ok();
    let placed: BTreeMap<String, i32> = kafka()
        .read_all(&retry, Isolation::ReadCommitted)
        .into_iter()
        .map(|record| (key(record.key), record.partition))
        .collect();
    assert_eq!(placed, expected);
}
