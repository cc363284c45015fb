//! Filters, dry run, rate limit and audit log against the real broker, checked with the
//! independent Java client.

use std::time::{Duration, Instant};

use crate::common::*;

fn spring_dlq(topic: &str) {
    let exception = |i: i32| {
        if i % 3 == 0 {
            "java.net.SocketTimeoutException"
        } else {
            "com.example.ValidationException"
        }
    };
    kafka().produce(
        topic,
        &(0..12)
            .map(|i| {
                TestRecord::new(
                    i % 2,
                    Some(format!("order-{i}").as_bytes()),
                    Some(format!("{{\"order\":{i}}}").as_bytes()),
                )
                .header("kafka_dlt-exception-fqcn", Some(exception(i).as_bytes()))
            })
            .collect::<Vec<_>>(),
    );
}

#[test]
fn a_filtered_run_merges_exactly_the_matches_and_holds_offsets_back() {
    let (dlq, retry) = kafka().dlq_and_retry(2, 1);
    spring_dlq(&dlq);
    let ends = kafka().end_offsets(&dlq);
    let group = unique("group");
    let run = Kmp::new()
        .group(&group)
        .merge_all(&dlq, &retry)
        .args(["--header", "kafka_dlt-exception-fqcn=SocketTimeout"])
        .run();
    let said = run.stderr_text();
    assert!(run.status.success(), "{said}");
    assert_contains(&said, "4 merged");
    assert_contains(&said, "8 record(s) did not match the filters");
    let mut merged = kafka().keys(&retry, false);
    merged.sort();
    assert_eq!(merged, ["order-0", "order-3", "order-6", "order-9"]);
    // Partition 0 holds orders 0,2,4,...: order-2 (offset 1) was left out first; partition
    // 1 holds 1,3,5,...: order-1 (offset 0) was left out first. Offsets stop there.
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 1)].into());

    // A later run without the filter, into the same retry topic, decides every record left
    // alone and passes over the three already merged after the offsets (their markers follow
    // them in the DLQ; order-0 is below partition 0's offset),
    // although the group's offsets stop before some of them.
    let rest = Kmp::new().group(&group).merge_all(&dlq, &retry).run();
    let said = rest.stderr_text();
    assert!(rest.status.success(), "{said}");
    assert_contains(&said, "8 merged");
    assert_contains(&said, "3 record(s) already merged or purged");
    let mut merged = kafka().keys(&retry, false);
    merged.sort();
    let mut every: Vec<_> = (0..12).map(|i| format!("order-{i}")).collect();
    every.sort();
    assert_eq!(merged, every, "each record copied once");
    assert_eq!(
        kafka().end_offsets(&dlq).values().sum::<i64>(),
        ends.values().sum::<i64>() + 4 + 8
    );
}

#[test]
fn dry_run_writes_and_commits_nothing() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(2, 1);
    spring_dlq(&dlq);
    let ends = kafka().end_offsets(&dlq);
    let group = unique("group");
    for command in [
        &["merge-all", dlq.as_str(), retry.as_str()][..],
        &["purge-all", dlq.as_str()],
    ] {
        let mut args = vec!["-b", bootstrap.as_str(), "-g", &group, "--dry-run", "-t"];
        args.extend_from_slice(command);
        let run = Kmp::bare().args(&args).run();
        let said = run.stderr_text();
        assert!(run.status.success(), "{said}");
        assert_contains(&said, "Dry run: nothing was written");
        assert_eq!(
            run.stdout_text().lines().count(),
            12,
            "{}",
            run.stdout_text()
        );
    }
    let ask = Kmp::new()
        .group(&group)
        .args(["--dry-run", "ask", &dlq, &retry])
        .stdin(b"m\np\ns\n")
        .ok();
    assert!(
        ask.stdout_text().contains("would merge into"),
        "{}",
        ask.stdout_text()
    );
    kafka().assert_empty(&retry);
    assert_eq!(kafka().end_offsets(&dlq), ends, "no tombstone written");
    assert!(
        kafka().group_offsets(&group, &dlq).is_empty(),
        "no offset committed"
    );
}

#[test]
fn max_rate_spaces_merges_out() {
    let (dlq, retry) = kafka().dlq_and_retry(3, 3);
    kafka().produce(&dlq, &TestRecord::numbered(1000, 3));
    let group = unique("group");
    let started = Instant::now();
    let run = Kmp::new()
        .group(&group)
        .args(["--max-rate", "200", "merge-all", &dlq, &retry])
        .run();
    let elapsed = started.elapsed();
    run.assert_ok();
    // 1,000 merges at 200/s: at least 999 intervals of 5 ms. A lower bound only.
    assert!(elapsed >= Duration::from_millis(4995), "took {elapsed:?}");
    assert_eq!(
        kafka().read_all(&retry, Isolation::ReadCommitted).len(),
        1000
    );
}

#[test]
fn the_audit_log_has_one_line_per_decision() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(
        1,
        &[
            TestRecord::new(0, Some(b"a"), Some(b"1")),
            TestRecord::new(0, Some(&[0xff, 0x00]), Some(b"2")),
            TestRecord::new(0, Some(b"c"), Some(b"3")),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let group = unique("group");
    Kmp::new()
        .group(&group)
        .args([
            "-t",
            "--audit-log",
            log.to_str().unwrap(),
            "ask",
            &dlq,
            &retry,
        ])
        .stdin(b"m\np\ns\n")
        .ok();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let actions: Vec<_> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["merge", "purge", "skip"]);
    let keys: Vec<_> = lines.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["a", "0xff00", "c"]);
    for (offset, line) in lines.iter().enumerate() {
        assert_eq!(line["topic"], dlq.as_str());
        assert_eq!(line["partition"], 0);
        assert_eq!(line["offset"], offset);
        assert_eq!(line["group"], group.as_str());
        assert_eq!(line["bootstrap_servers"], bootstrap.as_str());
        assert_eq!(line["destination"], retry.as_str());
        assert!(line["transactional_id"].as_str().unwrap().contains(&group));
        for field in ["time", "user", "host"] {
            assert!(
                line[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} in {line}"
            );
        }
    }
}

#[test]
fn the_audit_line_survives_a_kill_right_after_the_decision() {
    use std::io::{BufRead, BufReader, Write};
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(
        1,
        &TestRecord::keyed(&[(0, "first", "1"), (0, "second", "2")]),
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let group = unique("group");
    let mut child = kmp()
        .args([
            "-b",
            &bootstrap,
            "-g",
            &group,
            "--audit-log",
            log.to_str().unwrap(),
            "ask",
            &dlq,
            &retry,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    stdin.write_all(b"p\n").unwrap();
    stdin.flush().unwrap();
    // As soon as the second record is shown, kill the process without warning.
    let mut line = String::new();
    while !line.contains("record 2 of") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "ended before the second record"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["action"], "purge");
    assert_eq!(lines[0]["key"], "first");
}

#[test]
fn tombstones_into_a_dlq_that_is_not_compacted_are_warned_about() {
    let dlq = unique("dlq");
    kafka().create_topic(&dlq, 1, false);
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"k"), Some(b"v"))]);
    let group = unique("group");
    let run = Kmp::new().group(&group).purge_all(&dlq).run();
    let said = run.stderr_text();
    assert!(run.status.success(), "{said}");
    assert_eq!(
        said.matches("tombstones will not remove records").count(),
        1,
        "{said}"
    );
    assert_contains(&said, "cleanup.policy=delete");

    // An empty policy (Kafka 4.2+: nothing is ever deleted) is warned about too, as such.
    let kept = unique("dlq");
    kafka().create_topic_with(&kept, 1, &[("cleanup.policy", "")]);
    kafka().produce(&kept, &[TestRecord::new(0, Some(b"k"), Some(b"v"))]);
    let run = Kmp::new().group(&group).purge_all(&kept).run();
    let said = run.stderr_text();
    assert!(run.status.success(), "{said}");
    assert_contains(
        &said,
        "has an empty cleanup.policy (its records are kept for ever): tombstones will not remove records",
    );
}

#[test]
fn grep_looks_at_the_value_as_displayed() {
    let (dlq, retry) = kafka().dlq_and_retry(2, 1);
    spring_dlq(&dlq);
    let group = unique("group");
    let run = Kmp::new()
        .group(&group)
        .merge_all(&dlq, &retry)
        .args(["--grep", r#""order":1[01]\b"#])
        .run();
    let said = run.stderr_text();
    assert!(run.status.success(), "{said}");
    assert_contains(&said, "2 merged");
    let mut merged: Vec<_> = kafka()
        .read_all(&retry, Isolation::ReadCommitted)
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.key.unwrap_or_default()).into_owned())
        .collect();
    merged.sort();
    assert_eq!(merged, ["order-10", "order-11"]);
}

/// Log lines on stderr carry colour codes only on a terminal: a pipe (runbooks, CI) gets plain
/// text even without `NO_COLOR`, and `--color always` colours it anyway.
#[test]
fn logs_into_a_pipe_are_plain_unless_colour_is_forced() {
    let (dlq, _) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"k"), Some(b"v"))]);
    let group = unique("group");
    let plain = Kmp::new()
        .env_remove("NO_COLOR")
        .group(&group)
        .purge_all(&dlq)
        .arg("--dry-run")
        .ok();
    let said = plain.stderr_text();
    assert_contains(&said, "Reading topic");
    assert!(!said.contains('\x1b'), "{said:?}");
    let forced = Kmp::new()
        .group(&group)
        .purge_all(&dlq)
        .args(["--dry-run", "--color", "always"])
        .ok();
    assert!(
        forced.stderr_text().contains("\x1b["),
        "{:?}",
        forced.stderr_text()
    );
}
