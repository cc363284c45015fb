//! Scale-out (issue 20): several `merge-all` instances in one consumer group split its
//! partitions, exactly once with `-t` through kills, joins and a paused zombie; and two
//! operators on one group are refused. Every result is read back with the Java client in
//! `read_committed`.
//!
//! They run many instances at once and time how fast a killed one is replaced, so they are
//! `#[ignore]`d in the normal test run (where other tests share the two cores) and run one at
//! a time by `scripts/faults.sh`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const PARTITIONS: i32 = 12;
const RUN: Duration = Duration::from_secs(300);

/// A DLQ of [`PARTITIONS`] partitions holding `count` records with unique keys and values
/// (the value starts with the record's id), a retry topic and a group: `(dlq, retry, group,
/// ids)`.
pub fn shared_dlq(prefix: &str, count: usize) -> (String, String, String, Vec<String>) {
    let dlq = unique(&format!("{prefix}-dlq"));
    let retry = unique(&format!("{prefix}-retry"));
    kafka().create_topic(&dlq, PARTITIONS, true);
    kafka().create_topic(&retry, 4, false);
    let ids: Vec<String> = (0..count).map(|i| format!("id-{i:07}")).collect();
    let records: Vec<TestRecord> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let partition = i32::try_from(i).unwrap_or(0) % PARTITIONS;
            TestRecord::new(
                partition,
                Some(id.as_bytes()),
                Some(&[id.as_bytes(), &[b'.'; 40]].concat()),
            )
        })
        .collect();
    for chunk in records.chunks(50_000) {
        kafka().produce(&dlq, chunk);
    }
    (dlq, retry, unique(&format!("{prefix}-group")), ids)
}

/// A running instance whose stderr is read as it comes (a full pipe would stop it).
pub struct Instance {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

pub fn spawn(args: &[String]) -> Instance {
    let mut child = kmp()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the tool: {e}"));
    let mut pipe = child.stderr.take();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = pipe.as_mut() {
            let _read = pipe.read_to_string(&mut text);
        }
        text
    });
    Instance {
        child,
        stderr: Some(stderr),
    }
}

impl Instance {
    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill {signal}");
    }

    pub fn exited(&mut self) -> bool {
        self.child
            .try_wait()
            .unwrap_or_else(|e| panic!("wait: {e}"))
            .is_some()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// Waits for `instance` (at most [`RUN`]) and returns its exit code and stderr.
pub fn finish(instance: Instance) -> (Option<i32>, String) {
    finish_by(instance, Instant::now() + RUN)
}

/// Waits for `instance` until `deadline` and returns its exit code and stderr; past it, kills
/// the instance and fails with the end of what it said.
fn finish_by(mut instance: Instance, deadline: Instant) -> (Option<i32>, String) {
    let status = loop {
        if let Some(status) = instance
            .child
            .try_wait()
            .unwrap_or_else(|e| panic!("wait: {e}"))
        {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _killed = instance.child.kill();
            let _reaped = instance.child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = instance
        .stderr
        .take()
        .map(|reader| reader.join().unwrap_or_default())
        .unwrap_or_default();
    // KMP_INSTANCE_LOGS=DIR keeps what every instance said, for reading the timeline of a
    // run that passed too.
    if let Ok(dir) = std::env::var("KMP_INSTANCE_LOGS") {
        let path = Path::new(&dir).join(format!("instance-{}.log", instance.child.id()));
        std::fs::write(&path, &stderr)
            .unwrap_or_else(|e| panic!("cannot keep an instance's log in {}: {e}", path.display()));
    }
    let Some(status) = status else {
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(60)..].join("\n");
        panic!("an instance did not finish in time; the end of what it said:\n{tail}");
    };
    (status.code(), stderr)
}

fn watcher(group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", kafka().bootstrap().to_owned())
        .set("group.id", group)
        .create()
        .unwrap_or_else(|e| panic!("watcher: {e}"))
}

/// The committed offsets of `group` on `topic` (progress watching only; results are checked
/// with the Java client).
fn committed(watcher: &BaseConsumer, topic: &str) -> BTreeMap<i32, i64> {
    let mut list = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        list.add_partition(topic, partition);
    }
    watcher
        .committed_offsets(list, Duration::from_secs(10))
        .map(|list| {
            list.elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some((e.partition(), o)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every id merged exactly once, every record tombstoned exactly once, and the committed
/// offsets at the ends (past them only by transaction markers and aborted writes).
pub fn assert_exactly_once(
    dlq: &str,
    retry: &str,
    group: &str,
    ids: &[String],
    ends: &BTreeMap<i32, i64>,
) {
    // Per id, where its copies are in the retry topic (partition, offset).
    let mut copies: BTreeMap<String, Vec<(i32, i64)>> = BTreeMap::new();
    for record in kafka().read_all(retry, Isolation::ReadCommitted) {
        let value = record.value.unwrap_or_default();
        let id = String::from_utf8_lossy(&value[..10.min(value.len())]).into_owned();
        copies
            .entry(id)
            .or_default()
            .push((record.partition, record.offset));
    }
    let lost: Vec<&String> = ids.iter().filter(|id| !copies.contains_key(*id)).collect();
    let duplicated: Vec<(&String, &Vec<(i32, i64)>)> =
        copies.iter().filter(|(_, at)| at.len() > 1).collect();
    assert_eq!(
        (lost.len(), duplicated.len()),
        (0, 0),
        "lost, duplicated copies; the first lost {:?}; the first duplicated, with where their copies are {:?}",
        &lost[..lost.len().min(10)],
        &duplicated[..duplicated.len().min(10)]
    );
    assert_eq!(copies.len(), ids.len());
    let mut tombstones: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for record in kafka().read_all(dlq, Isolation::ReadCommitted) {
        if record.value.is_none() {
            *tombstones
                .entry(record.key.unwrap_or_default())
                .or_default() += 1;
        }
    }
    assert_eq!(tombstones.len(), ids.len(), "every record tombstoned");
    assert!(
        tombstones.values().all(|&n| n == 1),
        "one tombstone per record"
    );
    let offsets = kafka().group_offsets(group, dlq);
    for (partition, end) in ends {
        let at = offsets.get(partition).copied().unwrap_or(-1);
        assert!(
            at >= *end,
            "partition {partition}: committed {at} before the end {end}"
        );
    }
}

#[test]
#[ignore = "many instances at once, with kills and pauses: run one at a time by scripts/faults.sh"]
fn three_instances_split_a_dlq_exactly_once() {
    let (dlq, retry, group, ids) = shared_dlq("three", 300_000);
    let ends = kafka().end_offsets(&dlq);
    let args = merge_args(&group, &["-t"], &dlq, &retry);
    let started = Instant::now();
    let children: Vec<Instance> = (0..3).map(|_| spawn(&args)).collect();
    let results: Vec<(Option<i32>, String)> = children.into_iter().map(finish).collect();
    let wall = started.elapsed();
    let mut merged = 0_u64;
    for (code, stderr) in &results {
        assert_eq!(*code, Some(0), "{stderr}");
        merged += merged_count(stderr);
    }
    println!(
        "3 instances, {} records over {PARTITIONS} partitions: {:.1} s, merged per instance {:?}",
        ids.len(),
        wall.as_secs_f64(),
        results
            .iter()
            .map(|(_, e)| merged_count(e))
            .collect::<Vec<_>>()
    );
    // What Kafka holds first (the stronger check), then what each instance said it did:
    // together, every record once.
    assert_exactly_once(&dlq, &retry, &group, &ids, &ends);
    assert_eq!(
        merged,
        ids.len() as u64,
        "the instances' merged counts; what they said (but debug lines):\n{}",
        results
            .iter()
            .map(|(_, stderr)| stderr
                .lines()
                .filter(|line| !line.contains("DEBUG"))
                .collect::<Vec<_>>()
                .join("\n"))
            .collect::<Vec<_>>()
            .join("\n----\n")
    );
    assert_eq!(
        kafka().group_offsets(&group, &dlq),
        ends,
        "committed == end offsets"
    );
}

/// An instance killed before any other saw it in the group (in the seconds the group takes
/// to notice) is fenced by no one: the transaction it left open holds back `read_committed`
/// readers of the retry topic until the cluster aborts it. The instance that does the job
/// waits for that before it exits, so that once the job is over every copy is seen.
#[test]
fn a_job_ends_once_no_transaction_is_left_open_where_it_wrote() {
    let (dlq, retry, group, ids) = shared_dlq("unseen", 600);
    let ends = kafka().end_offsets(&dlq);
    let left_open = TestRecord::new(0, Some(b"killed"), Some(b"uncommitted copy"));
    kafka().leave_open(&retry, &[left_open], &unique("killed-instance"), 5_000);
    let args = merge_args(&group, &["-t"], &dlq, &retry);
    let (code, said) = finish(spawn(&args));
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("waiting, 35 s at most, for a transaction left open in"),
        "{said}"
    );
    // Read at once: the open transaction ended (aborted), every copy is in sight, the
    // uncommitted one is not.
    assert_eq!(
        kafka().end_offsets_in(&retry, Isolation::ReadCommitted),
        kafka().end_offsets_in(&retry, Isolation::ReadUncommitted),
        "the last stable offsets have reached the ends"
    );
    assert_exactly_once(&dlq, &retry, &group, &ids, &ends);
    assert!(
        kafka()
            .read_all(&retry, Isolation::ReadCommitted)
            .iter()
            .all(|record| record.key.as_deref() != Some(b"killed")),
        "the transaction left open was aborted"
    );
}

/// The "N merged" of an instance's summary.
fn merged_count(stderr: &str) -> u64 {
    stderr
        .lines()
        .rev()
        .find_map(|line| {
            let (count, _) = line.split_once(" merged")?;
            count
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no summary in {stderr}"))
}

/// Until `until` holds of the committed offsets (or [`RUN`] passes), watching them every
/// 100 ms; for each partition not at its end when the watch began, when its committed offset
/// first moved (seconds after the start).
fn watch_progress(
    group: &str,
    dlq: &str,
    ends: &BTreeMap<i32, i64>,
    mut until: impl FnMut(Duration) -> bool,
) -> BTreeMap<i32, f64> {
    let watcher = watcher(group);
    let started = Instant::now();
    let before = committed(&watcher, dlq);
    let mut moved = BTreeMap::new();
    // Past [`RUN`] the watch ends; the caller's `finish_by` tells which instance hung.
    while !until(started.elapsed()) && started.elapsed() < RUN {
        let now = committed(&watcher, dlq);
        for (partition, end) in ends {
            let was = before.get(partition).copied().unwrap_or(-1);
            if was < *end && now.get(partition).copied().unwrap_or(-1) != was {
                moved
                    .entry(*partition)
                    .or_insert_with(|| started.elapsed().as_secs_f64());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    moved
}

#[test]
#[ignore = "many instances at once, with kills and pauses: run one at a time by scripts/faults.sh"]
fn a_killed_instance_is_replaced_and_a_joining_one_takes_a_share() {
    let (dlq, retry, group, ids) = shared_dlq("kill", 60_000);
    let ends = kafka().end_offsets(&dlq);
    // Paced so that the run lasts through the kill and the join; fetched in small pieces
    // (about 200 records a partition), so that each instance reads its partitions side by
    // side and each moves as soon as it is taken over (with librdkafka's 1 MiB, a paced
    // instance reads one partition for seconds before the next).
    let args = merge_args(
        &group,
        &[
            "-t",
            "--max-rate",
            "1500",
            "--batch-size",
            "500",
            "-c",
            "max.partition.fetch.bytes=16384",
            "-v",
        ],
        &dlq,
        &retry,
    );
    let mut instances: Vec<Instance> = (0..3).map(|_| spawn(&args)).collect();
    std::thread::sleep(Duration::from_secs(4));
    let killed = instances.remove(0);
    killed.signal("-KILL");
    drop(killed);
    instances.push(spawn(&args));
    // Progress after the kill: every partition that was not done moves again.
    let mut joined = false;
    let moved = watch_progress(&group, &dlq, &ends, |elapsed| {
        if !joined && elapsed >= Duration::from_secs(2) {
            instances.push(spawn(&args));
            joined = true;
        }
        instances.iter_mut().all(Instance::exited)
    });
    let resumed = moved.values().copied().fold(0.0, f64::max);
    let deadline = Instant::now() + Duration::from_secs(5);
    let results: Vec<(Option<i32>, String)> = instances
        .into_iter()
        .map(|instance| finish_by(instance, deadline))
        .collect();
    for (code, stderr) in &results {
        assert_eq!(*code, Some(0), "{stderr}");
    }
    println!(
        "kill, replacement and a fourth instance joining: every unfinished partition moved again within {resumed:.1} s of the kill ({} partitions watched)",
        moved.len()
    );
    // The time is a figure to read (the issue wants 15 s), not asserted: on a shared 2-core
    // machine a starved broker stretches it. That progress resumed is asserted by the
    // instances' ends and the exact data below.
    println!("  first move per partition after the kill (s): {moved:.1?}");
    assert_exactly_once(&dlq, &retry, &group, &ids, &ends);
}

#[test]
#[ignore = "many instances at once, with kills and pauses: run one at a time by scripts/faults.sh"]
fn a_paused_instance_is_fenced_and_cannot_commit() {
    let (dlq, retry, group, ids) = shared_dlq("zombie", 60_000);
    let ends = kafka().end_offsets(&dlq);
    let args = merge_args(
        &group,
        &["-t", "--max-rate", "1500", "--batch-size", "500", "-v"],
        &dlq,
        &retry,
    );
    let zombie = spawn(&args);
    let other = spawn(&args);
    // Both in the group and at work on their partitions.
    let deadline = Instant::now() + Duration::from_secs(60);
    while kafka().group_members(&group) < 2 {
        assert!(
            Instant::now() < deadline,
            "the instances never joined {group}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    zombie.signal("-STOP");
    // Past the session timeout (8 s): its partitions move to the other instance.
    std::thread::sleep(Duration::from_secs(14));
    zombie.signal("-CONT");
    let (zombie_code, zombie_said) = finish(zombie);
    let (code, said) = finish(other);
    assert_eq!(code, Some(0), "{said}");
    // It learnt it was out of the group, and nothing it did after that counts.
    let refused = ["lost partitions", "the batch was aborted", "fenced"];
    let told = refused.iter().find(|what| zombie_said.contains(*what));
    println!("the paused instance exited with {zombie_code:?}, told {told:?}:");
    for line in zombie_said
        .lines()
        .filter(|line| refused.iter().any(|what| line.contains(what)))
    {
        println!("  {line}");
    }
    assert!(
        told.is_some(),
        "the paused instance was not told it was out of the group: {zombie_said}"
    );
    // Then it goes on, and ends like any instance: with nothing left, exit 0.
    assert_eq!(zombie_code, Some(0), "{zombie_said}");
    assert_exactly_once(&dlq, &retry, &group, &ids, &ends);
}

/// An instance holding `group` until dropped: `ask` waiting for an answer, or a slow bulk run.
fn holder(args: &[String]) -> Child {
    let child = kmp()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the tool: {e}"));
    // In the group once the group's description shows it.
    let group = &args[args.iter().position(|a| a == "-g").unwrap_or_default() + 1];
    let deadline = Instant::now() + Duration::from_secs(30);
    while kafka().group_members(group) == 0 {
        assert!(
            Instant::now() < deadline,
            "the first instance never joined {group}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

/// Runs `args` against a group in use: refused within 10 s, naming the group, the member's
/// host and when it joined, after writing nothing.
fn assert_refused(args: &[String], group: &str, who: &str) {
    let started = Instant::now();
    let output = run(kmp().args(args), b"", RUN);
    let took = started.elapsed();
    let said = output.stderr_text();
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(took < Duration::from_secs(10), "refused after {took:?}");
    assert_contains(&said, &format!("group {group} is in use by {who} on host "));
    assert_contains(&said, "joined at ");
}

#[test]
#[ignore = "many instances at once, with kills and pauses: run one at a time by scripts/faults.sh"]
fn two_operators_on_one_group_are_refused_each_way() {
    let (dlq, retry) = kafka().dlq_holding(
        3,
        &TestRecord::keyed(&[(0, "a", "1"), (1, "b", "2"), (2, "c", "3")]),
    );
    let bootstrap = kafka().bootstrap().to_owned();
    let group = unique("operators");
    let ask = |topic: &str| -> Vec<String> {
        [
            "-b", &bootstrap, "-g", &group, "ask", "--no-tui", topic, &retry,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    // An ask holds the group: a second ask and a bulk run are refused.
    let mut first = holder(&ask(&dlq));
    assert_refused(&ask(&dlq), &group, "kafka-merge-purge ask");
    assert_refused(
        &merge_args(&group, &["-t"], &dlq, &retry),
        &group,
        "kafka-merge-purge ask",
    );
    if let Some(stdin) = first.stdin.as_mut() {
        use std::io::Write as _;
        stdin.write_all(b"q\n").unwrap_or_default();
    }
    let _ended = first.wait();
    kafka().assert_empty(&retry);
    assert!(kafka().keys(&dlq, true).is_empty(), "no tombstone written");

    // Bulk instances hold it: an ask is refused, and so is a second -t=ID with the same id.
    let slow = merge_args(&group, &["-t=one-id", "--max-rate", "0.2"], &dlq, &retry);
    let mut bulk = holder(&slow);
    assert_refused(&ask(&dlq), &group, "kafka-merge-purge merge-all/purge-all");
    let started = Instant::now();
    let same_id = run(kmp().args(&slow), b"", RUN);
    assert_eq!(same_id.status.code(), Some(1), "{}", same_id.stderr_text());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_contains(
        &same_id.stderr_text(),
        "uses the same transactional id (-t=ID)",
    );
    // The first bulk instance was not fenced by the refused one: it finishes its work.
    let _terminated = std::process::Command::new("kill")
        .args(["-TERM", &bulk.id().to_string()])
        .status();
    let _ended = bulk.wait();
    let rest = Kmp::new()
        .group(&group)
        .args(["-t", "merge-all", &dlq, &retry])
        .run();
    assert!(rest.status.success(), "{}", rest.stderr_text());
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 3);
}
