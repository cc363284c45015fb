//! `purge-all` against the real broker: tombstones only, nowhere else, never twice.

use crate::common::*;

#[test]
fn purge_all_writes_one_tombstone_per_record_and_nothing_else() {
    let dlq = unique("dlq");
    let bystander = unique("bystander");
    // Not compacted: a compacted topic refuses the null-key record below.
    kafka().create_topic(&dlq, 2, false);
    kafka().create_topic(&bystander, 1, false);
    kafka().produce(
        &dlq,
        &[
            TestRecord::new(0, Some(b"a"), Some(b"1")),
            TestRecord::new(1, Some(&[0xff, 0x01]), Some(&[0x00, 0xfe])),
            TestRecord::new(0, Some(b"old"), None),
            TestRecord::new(1, None, Some(b"keyless")),
            TestRecord::new(1, Some(b"c"), Some(b"3")),
        ],
    );
    let before = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let ends = kafka().end_offsets(&dlq);
    let group = unique("group");

    let run = Kmp::new().group(&group).purge_all(&dlq).ok();
    let said = run.stderr_text();
    // The null-key record too: a DLQ that is not compacted takes a keyless marker for it.
    assert_contains(
        &said,
        "Successfully processed records: 0 merged, 4 purged, 0 skipped",
    );
    assert_lacks(&said, "null key");
    assert_contains(
        &said,
        "1 tombstone(s) already in the source were passed over",
    );

    let after = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let new: Vec<_> = after
        .iter()
        .filter(|r| r.offset >= ends[&r.partition])
        .map(|r| (r.partition, r.key.clone(), r.value.clone()))
        .collect();
    assert_eq!(
        new,
        [
            (0, Some(b"a".to_vec()), None),
            (1, Some(vec![0xff, 0x01]), None),
            (1, None, None),
            (1, Some(b"c".to_vec()), None),
        ]
    );
    // What was there before is untouched.
    let kept: Vec<_> = after
        .iter()
        .filter(|r| r.offset < ends[&r.partition])
        .map(|r| (r.partition, r.offset, r.key.clone(), r.value.clone()))
        .collect();
    let was: Vec<_> = before
        .iter()
        .map(|r| (r.partition, r.offset, r.key.clone(), r.value.clone()))
        .collect();
    assert_eq!(kept, was);
    kafka().assert_empty(&bystander);
    assert_eq!(kafka().group_offsets(&group, &dlq), ends);

    // The same group again: only the tombstones this run wrote are new, and a tombstone is
    // never purged again.
    let run = Kmp::new().group(&group).purge_all(&dlq).ok();
    let said = run.stderr_text();
    assert_contains(&said, "0 merged, 0 purged, 0 skipped");
    assert_contains(
        &said,
        "4 tombstone(s) already in the source were passed over",
    );
    assert_eq!(
        kafka().read_all(&dlq, Isolation::ReadCommitted).len(),
        after.len()
    );
}
