//! Review before writing (issue 21): plans from `merge-all` and from the prompt, `plan show`,
//! `apply` (exactly, twice, after tampering, all or nothing, killed and run again), invalid
//! plans, the journal and `undo`. Real broker; what was written is read with the Java client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

/// Records of `partitions` partitions in turn: key `k{i}`, value `v{i}` with binary bytes,
/// headers (binary, repeated, null) and explicit timestamps.
fn dlq_records(count: i32, partitions: i32) -> Vec<TestRecord> {
    (0..count)
        .map(|i| {
            let mut value = format!("v{i}").into_bytes();
            value.extend([0x00, 0xff, 0x80]);
            TestRecord::new(
                i % partitions,
                Some(format!("k{i}").as_bytes()),
                Some(&value),
            )
            .header("kafka_dlt-exception-fqcn", Some(b"com.acme.Boom"))
            .header("bin", Some(&[0xfe, i as u8]))
            .header("bin", None)
            .timestamp(1_700_000_000_000 + i64::from(i))
        })
        .collect()
}

/// A DLQ of [`dlq_records`] with its retry topic (as many partitions), what the DLQ holds, a
/// new group, and a plan's path in a directory of its own.
struct Case {
    dlq: String,
    retry: String,
    source: Vec<ReadRecord>,
    group: String,
    dir: tempfile::TempDir,
    plan: PathBuf,
}

impl Case {
    fn new(count: i32, partitions: i32) -> Self {
        let (dlq, retry) = kafka().dlq_and_retry(partitions, partitions);
        kafka().produce(&dlq, &dlq_records(count, partitions));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
        Self {
            source: kafka().read_all(&dlq, Isolation::ReadCommitted),
            plan: dir.path().join("plan.jsonl"),
            group: unique("group"),
            dlq,
            retry,
            dir,
        }
    }
}

/// What a record holds, placeless: key, value, headers, timestamp.
type Content = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
    i64,
);

fn content(record: &ReadRecord) -> Content {
    (
        record.key.clone(),
        record.value.clone(),
        record.headers.clone(),
        record.timestamp,
    )
}

fn key(record: &ReadRecord) -> String {
    String::from_utf8_lossy(record.key.as_deref().unwrap_or_default()).into_owned()
}

/// The keys of the tombstones of `topic`, sorted.
fn tombstoned(topic: &str) -> Vec<String> {
    let mut keys = kafka().keys(topic, true);
    keys.sort();
    keys
}

fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys
}

/// The merged copies in `retry`, each as its original record should look when copied: the
/// replay counter removed; sorted by key.
fn copies(retry: &str) -> Vec<Content> {
    let mut all: Vec<Content> = kafka()
        .read_all(retry, Isolation::ReadCommitted)
        .iter()
        .map(|r| {
            let (key, value, mut headers, timestamp) = content(r);
            assert_eq!(
                headers.pop(),
                Some(("kmp-replay-count".to_owned(), Some(b"1".to_vec()))),
                "the copy's last header is the replay counter"
            );
            (key, value, headers, timestamp)
        })
        .collect();
    all.sort();
    all
}

/// The originals of `keys` in `records`, sorted like [`copies`].
fn originals(records: &[ReadRecord], keys: &[&str]) -> Vec<Content> {
    let mut all: Vec<Content> = records
        .iter()
        .filter(|r| r.value.is_some() && keys.contains(&key(r).as_str()))
        .map(content)
        .collect();
    all.sort();
    all
}

fn read_plan(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

/// Fails unless nothing was written to `dlq` and `retry` and `group` committed nothing.
#[track_caller]
fn assert_untouched(dlq: &str, retry: &str, group: &str, dlq_records: usize) {
    assert_eq!(
        kafka().read_all(dlq, Isolation::ReadUncommitted).len(),
        dlq_records,
        "nothing written to the DLQ"
    );
    kafka().assert_empty(retry);
    assert!(
        kafka().group_offsets(group, dlq).is_empty(),
        "no offset committed"
    );
}

#[test]
fn a_plan_from_merge_all_is_applied_exactly_and_once() {
    let Case {
        dlq,
        retry,
        source,
        group,
        dir,
        plan,
    } = Case::new(10, 2);

    // k7 and k9 (partition 1, offsets 3 and 4) do not match: partition 1 is planned to 2.
    Kmp::new()
        .group(&group)
        .args(["--key", "^k[0-68]$", "--plan"])
        .arg(&plan)
        .merge_all(&dlq, &retry)
        .ok()
        .assert_said("Plan written to")
        .assert_said("nothing was written to Kafka and no offset was committed");
    assert_untouched(&dlq, &retry, &group, 10);
    let lines = read_plan(&plan);
    assert_eq!(lines[0]["kmp-plan"], 2);
    assert_eq!(lines[0]["topic"], dlq.as_str());
    assert_eq!(lines[0]["group"], group.as_str());
    assert_eq!(lines[0]["options"]["destination"], retry.as_str());
    assert_eq!(lines.len(), 10, "header, 8 records, end");
    assert_eq!(lines[9]["kmp-plan-end"]["records"], 8);
    assert_eq!(lines[9]["kmp-plan-end"]["left_out"]["1"], 2);
    // Partitions are read side by side, so k0's line is looked up, not assumed first.
    let first = lines[1..9]
        .iter()
        .find(|line| line["key"] == "azA=")
        .expect("k0 is planned");
    assert_eq!(first["decision"], "merge");
    assert_eq!(first["destination"], retry.as_str());
    assert_eq!(first["class"], "com.acme.Boom");
    assert_eq!(first["header_changes"]["added"][0][0], "kmp-replay-count");

    let shown = Kmp::bare()
        .arg("plan")
        .arg("show")
        .arg(&plan)
        .ok()
        .stdout_text();
    for part in [
        "8 record(s) planned, 8 tombstone(s)",
        "merge               8",
        "com.acme.Boom",
        "1  read [0, 5): 3 record(s) planned at offsets 0..=2, 2 not matching the filters",
        "Left undecided: 2 record(s)",
    ] {
        assert_contains(&shown, part);
    }

    let report = dir.path().join("summary.json");
    let apply = || {
        Kmp::new()
            .group(&group)
            .arg("-t")
            .arg("--summary-json")
            .arg(&report)
            .arg("apply")
            .arg(&plan)
            .ok()
    };
    apply().assert_said("Successfully processed records: 8 merged, 0 purged, 0 skipped");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        (&summary["command"], &summary["outcome"], &summary["merged"]),
        (&"apply".into(), &"completed".into(), &8.into())
    );
    let planned = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k8"];
    let check = || {
        assert_eq!(copies(&retry), originals(&source, &planned));
        assert_eq!(
            tombstoned(&dlq),
            sorted(planned.map(str::to_owned).to_vec())
        );
        // The tombstones are in their records' partitions and carry the plan's id.
        let id = read_plan(&plan)[0]["id"].as_str().unwrap().to_owned();
        for tombstone in kafka()
            .read_all(&dlq, Isolation::ReadCommitted)
            .iter()
            .filter(|r| r.value.is_none())
        {
            let original = source.iter().find(|r| r.key == tombstone.key).unwrap();
            assert_eq!(tombstone.partition, original.partition);
            assert_eq!(
                tombstone.headers,
                [
                    ("kmp-plan".to_owned(), Some(id.clone().into_bytes())),
                    (
                        "kmp-decided-offset".to_owned(),
                        Some(original.offset.to_string().into_bytes())
                    ),
                    (
                        "kmp-decided-by".to_owned(),
                        Some(group.clone().into_bytes())
                    ),
                ]
            );
        }
        // Partition 0 wholly decided; partition 1 held at k7 (offset 3), never past it.
        assert_eq!(
            kafka().group_offsets(&group, &dlq),
            BTreeMap::from([(0, 5), (1, 3)])
        );
    };
    check();

    // The same plan again: every decision is found applied; nothing is written twice.
    apply()
        .assert_said("8 planned decision(s) already applied")
        .assert_said("Successfully processed records: 0 merged, 0 purged, 0 skipped");
    check();
}

#[test]
fn a_plan_from_the_prompt_keeps_each_answer() {
    let Case {
        dlq,
        retry,
        source,
        group,
        dir: _dir,
        plan,
    } = Case::new(5, 1);
    // m, p, s, m, then the input ends before k4: k4 stays undecided.
    Kmp::new()
        .group(&group)
        .arg("--plan")
        .arg(&plan)
        .ask(&dlq, &retry)
        .stdin(b"m\np\ns\nm\n")
        .ok()
        .assert_said("Planned, not written: Merged record with key k0")
        .assert_said("Planned, not written: Purged record with key k1");
    assert_untouched(&dlq, &retry, &group, 5);
    let decisions: Vec<String> = read_plan(&plan)[1..5]
        .iter()
        .map(|line| line["decision"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(decisions, ["merge", "purge", "skip", "merge"]);

    Kmp::new()
        .group(&group)
        .arg("apply")
        .arg(&plan)
        .ok()
        .assert_said("Successfully processed records: 2 merged, 1 purged, 1 skipped");
    assert_eq!(copies(&retry), originals(&source, &["k0", "k3"]));
    assert_eq!(tombstoned(&dlq), ["k0", "k1", "k3"]);
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 4)]),
        "held at k4, which nobody decided"
    );
}

/// A DLQ of one partition with `k0`..`k5` (compacted, and open to `DeleteRecords`) and a plan to
/// merge them all: `(dlq, retry, group, plan)`, the plan in `dir`.
fn planned_six(dir: &Path) -> (String, String, String, PathBuf) {
    let (dlq, retry) = (unique("dlq"), unique("retry"));
    kafka().create_topic_with(
        &dlq,
        1,
        &[("cleanup.policy", "compact,delete"), ("retention.ms", "-1")],
    );
    kafka().create_topic(&retry, 1, false);
    kafka().produce(&dlq, &dlq_records(6, 1));
    let group = unique("group");
    let plan = dir.join("plan.jsonl");
    Kmp::new()
        .group(&group)
        .arg("--plan")
        .arg(&plan)
        .merge_all(&dlq, &retry)
        .ok();
    (dlq, retry, group, plan)
}

#[test]
fn apply_refuses_what_changed_and_applies_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (dlq, retry, group, plan) = planned_six(dir.path());
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    // Between plan and apply: k0 is deleted (as compaction or retention would), a new k2
    // arrives (k2's tombstone would take it too), and the plan line of k4 is edited.
    kafka().delete_records(&dlq, 0, 1);
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"k2"), Some(b"k2 again"))]);
    let text = std::fs::read_to_string(&plan).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut k4: serde_json::Value = serde_json::from_str(&lines[5]).unwrap();
    assert_eq!(k4["key"], "azQ=");
    k4["value_sha256"] = serde_json::Value::from("0".repeat(64));
    lines[5] = k4.to_string();
    std::fs::write(&plan, lines.join("\n") + "\n").unwrap();

    let apply = |extra: &[&str]| {
        Kmp::new()
            .group(&group)
            .arg("-t")
            .arg("apply")
            .arg(&plan)
            .args(extra)
            .run()
    };
    // All or nothing: refused as a whole, nothing written.
    let all = apply(&["--all-or-nothing"]);
    all.assert_exit(1)
        .assert_said("3 planned decision(s) refused:")
        .assert_said("with --all-or-nothing nothing was written");
    assert_untouched(&dlq, &retry, &group, 6);

    let run = apply(&[]);
    run.assert_exit(1)
        .assert_said("partition 0 offset 0 (merge): the record is gone (deleted or compacted away)")
        .assert_said("partition 0 offset 2 (merge): a newer record with the same key, which the plan does not decide, is at offset 6")
        .assert_said("partition 0 offset 4 (merge): the record differs from the plan (value changed)")
        .assert_said("Successfully processed records: 3 merged, 0 purged, 0 skipped")
        .assert_said("3 planned decision(s) were refused");
    assert_eq!(copies(&retry), originals(&source, &["k1", "k3", "k5"]));
    assert_eq!(tombstoned(&dlq), ["k1", "k3", "k5"]);
    // Held at k2, the first record left alone.
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        BTreeMap::from([(0, 2)])
    );
    assert!(
        kafka()
            .read_all(&dlq, Isolation::ReadCommitted)
            .iter()
            .any(|r| r.value.as_deref() == Some(b"k2 again")),
        "the newcomer stays"
    );
}

#[test]
fn a_plan_that_is_not_valid_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (dlq, retry, group, plan) = planned_six(dir.path());
    let text = std::fs::read_to_string(&plan).unwrap();
    let truncated = dir.path().join("truncated.jsonl");
    let cut = text.lines().take(5).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(&truncated, cut).unwrap();
    let foreign = dir.path().join("foreign.jsonl");
    std::fs::write(
        &foreign,
        text.replacen(
            &format!("\"topic\":\"{dlq}\",\"partition\":0,\"offset\":3"),
            "\"topic\":\"other\",\"partition\":0,\"offset\":3",
            1,
        ),
    )
    .unwrap();
    for (file, expected) in [
        (
            &truncated,
            "line 6: the plan has no end line after line 5: the file is truncated",
        ),
        (&foreign, "line 5: a line for topic other"),
    ] {
        for command in [&["apply"][..], &["plan", "show"][..]] {
            let run = Kmp::new().group(&group).args(command).arg(file).run();
            run.assert_exit(2).assert_said(expected);
        }
    }
    assert_untouched(&dlq, &retry, &group, 6);
}

#[test]
fn apply_killed_mid_run_with_transactions_then_run_again_is_exact() {
    let (dlq, retry) = kafka().dlq_and_retry(3, 3);
    let count = 6000;
    let records: Vec<TestRecord> = (0..count)
        .map(|i| {
            TestRecord::new(
                i % 3,
                Some(format!("key-{i:05}").as_bytes()),
                Some(&[0xab; 100]),
            )
        })
        .collect();
    for chunk in records.chunks(3000) {
        kafka().produce(&dlq, chunk);
    }
    let group = unique("group");
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.jsonl");
    Kmp::new()
        .group(&group)
        .arg("--plan")
        .arg(&plan)
        .merge_all(&dlq, &retry)
        .ok();
    let args = |journal: &Path| -> Vec<String> {
        [
            "-b",
            kafka().bootstrap(),
            "-g",
            &group,
            "-t",
            "--batch-size",
            "200",
            "--max-rate",
            "2000",
            "--journal",
            journal.to_str().unwrap(),
            "apply",
            plan.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let journal = dir.path().join("journal.jsonl");
    let mut child = kmp()
        .args(args(&journal))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once some transactions are committed and more are under way.
    let started = Instant::now();
    loop {
        let committed: i64 = kafka().group_offsets(&group, &dlq).values().sum();
        if committed >= 600 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let partial = kafka().group_offsets(&group, &dlq).values().sum::<i64>();
    assert!(
        partial > 0 && partial < i64::from(count),
        "killed mid-run: {partial}"
    );
    // The killed run's member holds the group until its session times out; a new run is
    // refused until then, as the refusal says.
    let waiting = Instant::now();
    while kafka().group_members(&group) > 0 && waiting.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_millis(500));
    }

    Kmp::bare()
        .args(&args(&journal)[..])
        .ok()
        .assert_said("already applied by an earlier apply of this plan");
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    let mut keys: Vec<String> = merged.iter().map(key).collect();
    keys.sort();
    let expected: Vec<String> = (0..count).map(|i| format!("key-{i:05}")).collect();
    assert_eq!(keys, expected, "every record merged exactly once");
    assert_eq!(tombstoned(&dlq), expected, "and tombstoned exactly once");
    let ends = kafka().end_offsets_in(&dlq, Isolation::ReadCommitted);
    let committed = kafka().group_offsets(&group, &dlq);
    for partition in 0..3 {
        assert_eq!(
            committed[&partition],
            i64::from(count / 3),
            "partition {partition}"
        );
        assert!(ends[&partition] > committed[&partition]);
    }
}

#[test]
fn undo_after_merge_all_puts_the_originals_back_once() {
    let Case {
        dlq,
        retry,
        source,
        group,
        dir,
        ..
    } = Case::new(1000, 3);
    let journal = dir.path().join("journal.jsonl");
    Kmp::new()
        .group(&group)
        .arg("-t")
        .arg("--journal")
        .arg(&journal)
        .merge_all(&dlq, &retry)
        .ok()
        .assert_said("Successfully processed records: 1000 merged")
        .assert_said("1000 record(s)");
    let merged_end = kafka().end_offsets(&dlq);

    let undo = |extra: &[&str]| {
        Kmp::new()
            .args(["-t=undo-test", "undo"])
            .arg(&journal)
            .args(extra)
            .ok()
    };
    undo(&["--tombstone-copies"])
        .assert_said("Undo: 1000 record(s) written back")
        .assert_said("1000 merged cop(ies) tombstoned");
    // The DLQ holds every original again after its tombstone: same partition, key, value,
    // headers in order, timestamp.
    let after = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let mut back: Vec<(i32, Content)> = after
        .iter()
        .filter(|r| r.offset >= merged_end[&r.partition] && r.value.is_some())
        .map(|r| (r.partition, content(r)))
        .collect();
    back.sort();
    let mut expected: Vec<(i32, Content)> =
        source.iter().map(|r| (r.partition, content(r))).collect();
    expected.sort();
    assert_eq!(back, expected);
    // Each copy got a tombstone in the destination, in its own partition.
    let retry_records = kafka().read_all(&retry, Isolation::ReadCommitted);
    for copy in retry_records.iter().filter(|r| r.value.is_some()) {
        assert!(
            retry_records.iter().any(|t| t.value.is_none()
                && t.key == copy.key
                && t.partition == copy.partition
                && t.offset > copy.offset),
            "no tombstone for the copy of {}",
            key(copy)
        );
    }
    // A new group reading only what is pending sees exactly the originals again.
    let pending = Kmp::new()
        .group(&unique("group"))
        .arg("--pending")
        .print(&dlq)
        .args(["--output", "json"])
        .ok()
        .stdout_text();
    assert_eq!(pending.lines().count(), 1000);

    // Undone once: a second undo writes nothing.
    let before = kafka().end_offsets(&dlq);
    undo(&[]).assert_said("0 to write back, 1000 already written back");
    assert_eq!(kafka().end_offsets(&dlq), before);
}
