//! A decided record is never written again (DESIGN §9), against the real broker: the seams
//! where copies were written twice (a filtered run then a plain one, a record left alone by
//! `--max-replays`, a second group on a delete-policy DLQ), each run into the same retry topic
//! and counted by the independent Java client under `read_committed`; the markers decisions
//! leave in the DLQ; `--again`; a committed offset past a partition's end.

use std::collections::BTreeMap;

use crate::common::*;

/// A record's key and value.
type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// How often each (key, value) was copied into `retry`, read by the Java client.
fn copies(retry: &str) -> BTreeMap<KeyValue, usize> {
    let mut counted = BTreeMap::new();
    for record in kafka().read_all(retry, Isolation::ReadCommitted) {
        *counted.entry((record.key, record.value)).or_default() += 1;
    }
    counted
}

/// Asserts every record of `retry` is there once, and that there are `expected` of them.
fn each_once(retry: &str, expected: usize) {
    let counted = copies(retry);
    let twice: Vec<_> = counted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "copied more than once: {twice:?}");
    assert_eq!(counted.len(), expected, "{counted:?}");
}

/// The group's committed offset of `partition`, 0 when it has none (read by the Java client).
fn committed(group: &str, topic: &str, partition: i32) -> i64 {
    kafka()
        .group_offsets(group, topic)
        .get(&partition)
        .copied()
        .unwrap_or(0)
}

#[test]
fn a_filtered_run_then_a_plain_one_writes_each_record_once() {
    for transactional in [true, false] {
        let records: Vec<TestRecord> = (0..50)
            .map(|i| {
                TestRecord::new(
                    0,
                    Some(format!("k{i:05}").as_bytes()),
                    Some(format!("v{i}").as_bytes()),
                )
            })
            .collect();
        let (dlq, retry) = kafka().dlq_holding(1, &records);
        let group = unique("group");
        let run = |extra: &[&str]| {
            Kmp::new()
                .group(&group)
                .args(transactional.then_some("-t"))
                .merge_all(&dlq, &retry)
                .args(extra)
                .ok()
        };
        // k00000 is left out: the group's offset stays at 0.
        run(&["--key", "^k000(0[1-9]|[1-4][0-9])$"]).assert_said("49 merged");
        assert_eq!(committed(&group, &dlq, 0), 0);
        let plain = run(&[]);
        plain.assert_said("1 merged");
        plain.assert_said("49 record(s) already merged or purged");
        each_once(&retry, 50);
        // Each decision left its marker after the record: a tombstone of its key naming it.
        let markers: Vec<_> = kafka()
            .read_all(&dlq, Isolation::ReadCommitted)
            .into_iter()
            .filter(|r| r.value.is_none())
            .collect();
        assert_eq!(markers.len(), 50);
        for marker in &markers {
            let offset: i64 = marker
                .header_text("kmp-decided-offset")
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                marker.key.as_deref(),
                Some(format!("k{offset:05}").as_bytes()),
                "the marker names the record of its key"
            );
            assert_eq!(marker.header_text("kmp-decided-by"), Some(group.as_str()));
        }
        // The plain run's offset passes every record, and the first run's markers.
        assert!(kafka().group_offsets(&group, &dlq)[&0] > 50);
    }
}

#[test]
fn a_record_left_alone_by_max_replays_does_not_make_the_next_run_write_again() {
    let records: Vec<TestRecord> = (0..20)
        .map(|i| {
            let record = TestRecord::new(
                0,
                Some(format!("k{i}").as_bytes()),
                Some(format!("v{i}").as_bytes()),
            );
            if i == 0 {
                record.header("kmp-replay-count", Some(b"3"))
            } else {
                record
            }
        })
        .collect();
    let (dlq, retry) = kafka().dlq_holding(1, &records);
    let group = unique("group");
    let run = || {
        Kmp::new()
            .group(&group)
            .args(["-t", "merge-all", &dlq, &retry, "--max-replays", "3"])
            .ok()
    };
    run().assert_said("19 merged");
    let again = run();
    again.assert_said("0 merged");
    again.assert_said("19 record(s) already merged or purged");
    again.assert_said("1 record(s) left alone: bounced too often");
    each_once(&retry, 19);
    // The record left alone holds the group's offset back: the next run still meets it.
    assert_eq!(committed(&group, &dlq, 0), 0);
}

#[test]
fn a_second_group_on_a_delete_policy_dlq_passes_over_what_the_first_decided() {
    // Spring Kafka, Kafka Connect and Kafka Streams create DLQs that delete, not compact: the
    // records stay after their tombstones. Two of them have a null key.
    let dlq = unique("dlq");
    let retry = unique("retry");
    kafka().create_topic(&dlq, 2, false);
    kafka().create_topic(&retry, 1, false);
    let mut records: Vec<TestRecord> = (0..20)
        .map(|i| {
            TestRecord::new(
                i % 2,
                Some(format!("k{i}").as_bytes()),
                Some(format!("v{i}").as_bytes()),
            )
        })
        .collect();
    records.push(TestRecord::new(0, None, Some(b"null key 0")));
    records.push(TestRecord::new(1, None, Some(b"null key 1")));
    kafka().produce(&dlq, &records);
    let first = unique("group");
    let second = unique("group");
    Kmp::new()
        .group(&first)
        .args(["-t", "merge-all", &dlq, &retry])
        .ok()
        .assert_said("22 merged");
    // The null-key records got keyless markers naming them.
    let keyless: Vec<(i32, String)> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .iter()
        .filter(|r| r.key.is_none() && r.value.is_none())
        .map(|r| {
            (
                r.partition,
                r.header_text("kmp-decided-offset").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(keyless, [(0, "10".to_owned()), (1, "10".to_owned())]);
    let other = Kmp::new()
        .group(&second)
        .args(["-t", "merge-all", &dlq, &retry])
        .ok();
    other.assert_said("0 merged");
    other.assert_said("22 record(s) already merged or purged");
    each_once(&retry, 22);
    // Its offsets pass every record (and the markers): nothing is left for it.
    assert_eq!(
        kafka().group_offsets(&second, &dlq),
        kafka().end_offsets(&dlq)
    );

    // --again names the risk: a third group writes every record once more.
    let third = unique("group");
    Kmp::new()
        .group(&third)
        .args(["-t", "merge-all", &dlq, &retry, "--again"])
        .ok()
        .assert_said("22 merged");
    assert!(copies(&retry).values().all(|&n| n == 2));
}

#[test]
fn purge_all_marks_null_keys_where_the_dlq_takes_keyless_records() {
    let dlq = unique("dlq");
    kafka().create_topic(&dlq, 1, false);
    kafka().produce(
        &dlq,
        &[
            TestRecord::new(0, None, Some(b"a")),
            TestRecord::new(0, Some(b"k"), Some(b"b")),
        ],
    );
    let group = unique("group");
    Kmp::new()
        .group(&group)
        .purge_all(&dlq)
        .ok()
        .assert_said("0 merged, 2 purged");
    // What the Java client reads after them: a keyless marker naming offset 0, and the
    // tombstone of k naming offset 1.
    let markers: Vec<(Option<Vec<u8>>, Option<String>)> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .iter()
        .filter(|r| r.offset >= 2)
        .map(|r| {
            assert_eq!(r.value, None);
            (
                r.key.clone(),
                r.header_text("kmp-decided-offset").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        markers,
        [
            (None, Some("0".to_owned())),
            (Some(b"k".to_vec()), Some("1".to_owned()))
        ]
    );
    Kmp::new()
        .group(&unique("group"))
        .purge_all(&dlq)
        .ok()
        .assert_said("2 record(s) already merged or purged");
    // A compacted topic refuses records without a key (that DLQ cannot hold them unless it was
    // made compacted after they were written): the engine's tests cover that case.
}

#[test]
fn a_committed_offset_past_the_end_is_an_error_with_the_way_out() {
    let (dlq, retry) = kafka().dlq_holding(1, &TestRecord::numbered(4, 1));
    let group = unique("group");
    // As a group holds after its DLQ was deleted and created again.
    kafka().commit_offset(&group, &dlq, 0, 500);
    let refused = Kmp::new().group(&group).merge_all(&dlq, &retry).run();
    refused.assert_exit(1);
    refused.assert_said(&format!(
        "the committed offset 500 of the group on {dlq}/0 is past the partition's end 4"
    ));
    refused.assert_said("--from-beginning");
    kafka().assert_empty(&retry);
    Kmp::new()
        .group(&group)
        .merge_all(&dlq, &retry)
        .arg("--from-beginning")
        .ok()
        .assert_said("4 merged");
    each_once(&retry, 4);
    // The offset moved back to where the records are: the next plain run goes on from it.
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 4)].into());
    Kmp::new()
        .group(&group)
        .merge_all(&dlq, &retry)
        .ok()
        .assert_said("0 merged");
    each_once(&retry, 4);
}
