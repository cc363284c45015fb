//! Errors: a clear message, the documented exit code, and nothing written.

use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn unknown_source_topic() {
    let retry = unique("retry");
    kafka().create_topic(&retry, 1, false);
    let missing = unique("missing");
    let run = Kmp::new().group("g").merge_all(&missing, &retry).run();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        run.stderr_text()
            .contains(&format!("topic {missing} does not exist")),
        "{}",
        run.stderr_text()
    );
    kafka().assert_empty(&retry);
}

#[test]
fn unknown_destination_topic_writes_nothing() {
    let dlq = unique("dlq");
    kafka().create_topic(&dlq, 1, true);
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"k"), Some(b"v"))]);
    let missing = unique("missing");
    let report = std::env::temp_dir().join(format!("{missing}-summary.json"));
    let run = Kmp::new()
        .group("g")
        .merge_all(&dlq, &missing)
        .arg("--summary-json")
        .arg(&report)
        .run();
    run.assert_exit(1);
    assert!(
        run.stderr_text()
            .contains(&format!("topic {missing} does not exist")),
        "{}",
        run.stderr_text()
    );
    // --summary-json tells a runbook that the run failed, why, and that nothing was committed.
    let summary = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no summary: {e}"));
    let _ = std::fs::remove_file(&report);
    assert_contains(&summary, "\"outcome\": \"failed\"");
    assert_contains(&summary, &format!("topic {missing} does not exist"));
    assert_contains(&summary, "\"merged\": 0");
    assert_eq!(
        kafka().read_all(&dlq, Isolation::ReadUncommitted).len(),
        1,
        "no tombstone written"
    );
}

#[test]
fn unreachable_broker_fails_in_bounded_time() {
    let started = Instant::now();
    let run = Kmp::bare()
        .args([
            "-b",
            "127.0.0.1:1",
            "-g",
            "g",
            "--timeout",
            "5",
            "purge-all",
            "dlq",
        ])
        .run();
    assert_eq!(run.status.code(), Some(1));
    let said = run.stderr_text();
    assert_contains(&said, "127.0.0.1:1");
    assert_contains(&said, "cannot reach the Kafka cluster");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-b", "127.0.0.1:1", "merge-all", "a", "b"],
            "consumer group is required",
        ),
        (
            &[
                "-b",
                "127.0.0.1:1",
                "-g",
                "g",
                "-o",
                "no.such.property=1",
                "purge-all",
                "a",
            ],
            "no.such.property",
        ),
        (
            &[
                "-b",
                "127.0.0.1:1",
                "-g",
                "g",
                "-O",
                "/nonexistent/client.properties",
                "purge-all",
                "a",
            ],
            "/nonexistent/client.properties",
        ),
        (
            &["-b", "127.0.0.1:1", "-g", "g", "merge-all", "same", "same"],
            "must differ",
        ),
        (&["ask", "only-source"], "DEST"),
    ];
    for (args, expected) in cases {
        let run = Kmp::bare().args(*args).run();
        assert_eq!(
            run.status.code(),
            Some(2),
            "{args:?}: {}",
            run.stderr_text()
        );
        assert!(
            run.stderr_text().contains(expected),
            "{args:?}: {}",
            run.stderr_text()
        );
    }
}

/// `print | head -1` in both formats: JSON Lines are written by a thread of their own, text
/// blocks one by one; either way the closed pipe ends the run quietly, and no offset is
/// committed for a record that did not reach the pipe.
#[test]
fn print_into_a_closed_pipe_exits_0() {
    use std::io::{BufRead, BufReader};
    let bootstrap = kafka().bootstrap().to_owned();
    let dlq = unique("dlq");
    kafka().create_topic(&dlq, 1, false);
    kafka().produce(
        &dlq,
        &(0..2000)
            .map(|i| TestRecord::new(0, Some(format!("k{i}").as_bytes()), Some(&[b'x'; 300])))
            .collect::<Vec<_>>(),
    );
    for (format, first_line) in [("text", "Record at offset #0"), ("json", "{\"topic\":")] {
        let group = unique("g");
        let mut child = kmp()
            .args(["-b", &bootstrap, "-g", &group, "print", &dlq, "-n=false"])
            // A commit after every record, while later ones are still queued for the
            // printing thread or sit in its buffer.
            .args(["--batch-size", "1"])
            .args(["--output", format])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with(first_line), "{format}: {first}");
        // The reader is gone now (`print | head -1`).
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // `-n=false` commits only what reached stdout: at most the line read and what fits
        // the pipe's 64 KiB (records of 300 bytes and more), never what was still queued or
        // buffered in the tool (64 KiB of buffer and up to 1,024 queued records more). And at
        // least the record read: its commit followed its flush, whatever the reader did next.
        let committed = kafka().group_offsets(&group, &dlq);
        assert!(
            committed
                .get(&0)
                .is_some_and(|offset| (1..=1 + 65_536 / 300).contains(offset)),
            "{format}: {committed:?}"
        );
    }
}
