//! Transactions and offsets against the real broker: aborted foreign transactions are never
//! merged, `-n` and `print` leave the group alone, and an interrupted transactional
//! `merge-all` leaves every record either fully done or untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::*;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::Producer as _;

const RUN: Duration = Duration::from_secs(180);

#[test]
fn aborted_foreign_transactions_are_never_shown_or_merged() {
    let (dlq, retry) = kafka().dlq_holding(
        1,
        &[TestRecord::new(0, Some(b"before"), Some(b"committed-1"))],
    );
    kafka().produce_foreign(
        &dlq,
        &[TestRecord::new(0, Some(b"ghost"), Some(b"aborted-value"))],
        Some((&unique("foreign-txn"), true)),
    );
    kafka().produce_foreign(
        &dlq,
        &[TestRecord::new(0, Some(b"after"), Some(b"committed-2"))],
        Some((&unique("foreign-txn"), false)),
    );
    let group = unique("group");
    let printed = Kmp::new().group(&group).print(&dlq).ok();
    let shown = printed.stdout_text();
    assert!(
        shown.contains("committed-1") && shown.contains("committed-2"),
        "{shown}"
    );
    assert_lacks(&shown, "aborted-value");
    assert!(
        kafka().group_offsets(&group, &dlq).is_empty(),
        "print commits nothing by default"
    );

    Kmp::new()
        .group(&group)
        .args(["-t", "merge-all", &dlq, &retry])
        .ok();
    let merged: Vec<_> = kafka().values(&retry, Isolation::ReadUncommitted);
    assert_eq!(merged, [b"committed-1".to_vec(), b"committed-2".to_vec()]);
    // The offsets run past the aborted record and the transaction markers it skipped.
    let committed = kafka().group_offsets(&group, &dlq)[&0];
    assert!(committed >= 4, "committed offset {committed}");
}

#[test]
fn an_open_foreign_transaction_does_not_make_the_run_wait() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(1, &[TestRecord::new(0, Some(b"stable"), Some(b"1"))]);
    // A transaction left open by another producer (rdkafka, never committed while we run).
    let open: rdkafka::producer::BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("transactional.id", unique("open-txn"))
        .create()
        .unwrap();
    open.init_transactions(Duration::from_secs(30)).unwrap();
    open.begin_transaction().unwrap();
    open.send(
        rdkafka::producer::BaseRecord::<[u8], [u8]>::to(&dlq)
            .key(b"pending")
            .payload(b"2")
            .partition(0),
    )
    .map_err(|(e, _)| e)
    .unwrap();
    open.flush(Duration::from_secs(30)).unwrap();

    let group = unique("group");
    let started = Instant::now();
    let run = Kmp::new().group(&group).merge_all(&dlq, &retry).ok();
    run.assert_said("1 merged");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    open.abort_transaction(Duration::from_secs(30)).unwrap();
}

#[test]
fn no_commit_leaves_offsets_and_print_commits_only_when_asked() {
    let (dlq, retry) = kafka().dlq_holding(2, &TestRecord::keyed(&[(0, "a", "1"), (1, "b", "2")]));
    for transactional in [false, true] {
        let group = unique("group");
        let run = Kmp::new()
            .group(&group)
            .arg("-n")
            .merge_all(&dlq, &retry)
            .args(transactional.then_some("-t"))
            .ok();
        assert!(
            kafka().group_offsets(&group, &dlq).is_empty(),
            "-n committed offsets"
        );
        // The second group (-t) finds both decided by the first: the DLQ holds their markers.
        if transactional {
            run.assert_said("0 merged");
            run.assert_said("2 record(s) already merged or purged");
        }
    }
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 2);

    // The merges above wrote tombstones: the end is further now.
    let ends = kafka().end_offsets(&dlq);
    let group = unique("group");
    Kmp::new().group(&group).print(&dlq).args(["-n=false"]).ok();
    assert_eq!(kafka().group_offsets(&group, &dlq), ends);
    // print without a group works too.
    let run = Kmp::new().print(&dlq).args(["--output", "json"]).ok();
    // The two records and the first run's two markers.
    assert_eq!(
        run.stdout_text().lines().count(),
        4,
        "{}",
        run.stdout_text()
    );
}

/// The destination's high watermark (`read_uncommitted`), through a plain consumer: progress
/// detection only, verification goes through the Java checker.
fn high_watermark(consumer: &BaseConsumer, topic: &str) -> i64 {
    (0..3)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .map_or(0, |(_, high)| high)
        })
        .sum()
}

#[test]
fn sigint_during_transactional_merge_all_leaves_nothing_half_done() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(3, 3);
    let count = 10_000;
    let records: Vec<_> = (0..count)
        .map(|i| {
            TestRecord::new(
                i % 3,
                Some(format!("id-{i}").as_bytes()),
                Some(&[0xab; 512]),
            )
            .header("id", Some(format!("{i}").as_bytes()))
        })
        .collect();
    kafka().produce(&dlq, &records);
    let ends = kafka().end_offsets(&dlq);
    let group = unique("group");
    let args = merge_args(&group, &["-t", "--batch-size", "100"], &dlq, &retry);

    let watcher: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    let mut child = kmp()
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + RUN;
    while high_watermark(&watcher, &retry) < 1000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be interrupted"
        );
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = i32::try_from(child.id()).unwrap();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{said}");
    assert_contains(&said, "Successfully processed records:");

    // Every record is either merged, tombstoned and committed, or untouched.
    let committed = kafka().group_offsets(&group, &dlq);
    let done = |partition: i32, offset: i64| committed.get(&partition).is_some_and(|&c| offset < c);
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let merged: BTreeSet<Vec<u8>> = kafka()
        .read_all(&retry, Isolation::ReadCommitted)
        .into_iter()
        .map(|r| r.key.unwrap())
        .collect();
    let tombstoned: BTreeSet<Vec<u8>> = source
        .iter()
        .filter(|r| r.value.is_none())
        .map(|r| r.key.clone().unwrap())
        .collect();
    let mut done_count = 0;
    for record in source.iter().filter(|r| r.offset < ends[&r.partition]) {
        let key = record.key.clone().unwrap();
        let is_done = done(record.partition, record.offset);
        done_count += usize::from(is_done);
        assert_eq!(merged.contains(&key), is_done, "merged {key:?}");
        assert_eq!(tombstoned.contains(&key), is_done, "tombstoned {key:?}");
    }
    assert!(
        done_count > 0 && done_count < 10_000,
        "interrupted midway: {done_count} done"
    );
    assert!(said.contains(&format!("{done_count} merged")), "{said}");

    // A second run finishes the rest, with no duplicate in the destination; its end
    // snapshot includes the first run's tombstones.
    let ends = kafka().end_offsets(&dlq);
    run(kmp().args(&args), b"", RUN).assert_ok();
    let all = kafka().read_all(&retry, Isolation::ReadCommitted);
    let mut per_key: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for record in &all {
        *per_key.entry(record.key.clone().unwrap()).or_default() += 1;
    }
    assert_eq!(per_key.len(), 10_000);
    assert!(
        per_key.values().all(|&n| n == 1),
        "duplicates in the destination"
    );
    assert_eq!(kafka().group_offsets(&group, &dlq), ends);
}

#[test]
fn a_crashed_transactional_run_is_fenced_at_once() {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, ThreadedProducer};
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(
        1,
        &(0..10)
            .map(|i| TestRecord::new(0, Some(format!("id-{i}").as_bytes()), Some(b"v")))
            .collect::<Vec<_>>(),
    );
    let group = unique("group");
    // A run that crashed inside a transaction, with the id the tool derives from group and
    // topic: a tombstone written and the group's offset added, never committed, with a
    // transaction timeout of 15 minutes. Its pending offset commit holds back the group's
    // committed offsets, and its tombstone the DLQ's last stable offset.
    let crashed: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set(
            "transactional.id",
            format!("kafka-merge-purge-{group}/{dlq}"),
        )
        .set("transaction.timeout.ms", "900000")
        .create()
        .unwrap();
    crashed.init_transactions(Duration::from_secs(30)).unwrap();
    crashed.begin_transaction().unwrap();
    crashed
        .send(BaseRecord::<[u8], [u8]>::to(&dlq).key(b"id-0").partition(0))
        .map_err(|(e, _)| e)
        .unwrap();
    crashed.flush(Duration::from_secs(30)).unwrap();
    let metadata: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", &group)
        .create()
        .unwrap();
    let mut offsets = rdkafka::TopicPartitionList::new();
    offsets
        .add_partition_offset(&dlq, 0, rdkafka::Offset::Offset(1))
        .unwrap();
    crashed
        .send_offsets_to_transaction(
            &offsets,
            &metadata.group_metadata().unwrap(),
            Duration::from_secs(30),
        )
        .unwrap();
    std::mem::forget(crashed); // no abort, no goodbye: as after kill -9

    let started = Instant::now();
    let run = Kmp::new()
        .group(&group)
        .args(["-t", "--timeout", "20", "merge-all", &dlq, &retry])
        .ok();
    run.assert_said("10 merged");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 10);
    // The crashed run's tombstone was aborted: only this run's ten are visible.
    let tombstones = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|r| r.value.is_none())
        .count();
    assert_eq!(tombstones, 10);
}
