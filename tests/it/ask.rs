//! `ask` with answers on stdin (not a terminal): one answer per line, exact counts and topic
//! contents, records appended during the run left for the next one.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use crate::common::*;

#[test]
fn scripted_answers_are_carried_out_exactly() {
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let values: Vec<String> = (0..6).map(|i| format!("value-{i}")).collect();
    kafka().produce(
        &dlq,
        &values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                TestRecord::new(0, Some(format!("key-{i}").as_bytes()), Some(v.as_bytes()))
            })
            .collect::<Vec<_>>(),
    );
    let group = unique("group");
    // m, p, (invalid then) s, empty = merge, P (any case), then end of input before record 5.
    let answers = b"m\np\nwhat\ns\n\nP\n";
    let run = Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .stdin(answers)
        .ok();
    let said = run.stderr_text();
    assert_contains(
        &said,
        "Successfully processed records: 2 merged, 2 purged, 1 skipped",
    );
    assert_eq!(
        said.matches("Unknown option, try again.").count(),
        1,
        "{said}"
    );
    assert!(said.contains("Would you like to (M)erge, (p)urge or (s)kip the record?"));
    assert!(
        said.contains("value-0") && said.contains("value-5"),
        "records are shown: {said}"
    );

    let merged: Vec<_> = kafka().values(&retry, Isolation::ReadCommitted);
    assert_eq!(merged, [b"value-0".to_vec(), b"value-3".to_vec()]);
    let tombstoned: Vec<_> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|r| r.offset >= 6)
        .map(|r| (r.key.unwrap(), r.value))
        .collect();
    assert_eq!(
        tombstoned,
        [
            (b"key-0".to_vec(), None),
            (b"key-1".to_vec(), None),
            (b"key-3".to_vec(), None),
            (b"key-4".to_vec(), None),
        ]
    );
    // Five answered, the sixth record is left for the next run.
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 5)].into());
    let next = Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .stdin(b"s\n")
        .run();
    assert!(next.status.success());
    let said = next.stderr_text();
    assert!(
        said.contains("value-5") && !said.contains("value-4"),
        "{said}"
    );
    assert_contains(&said, "0 merged, 0 purged, 1 skipped");
}

#[test]
fn records_appended_during_a_run_are_left_for_the_next() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(
        1,
        &TestRecord::keyed(&[(0, "early-1", "1"), (0, "early-2", "2")]),
    );
    let group = unique("group");
    let mut prompt = Prompt::start(&bootstrap, &group, &dlq, &retry);
    prompt.read_until("record 1 of");
    prompt.answer(b"m\n");
    // The second record is shown once the first decision is committed, long after the run
    // took its end snapshot: a record appended now comes after that end.
    let mut said = prompt.read_until("record 2 of");
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"late"), Some(b"3"))]);
    prompt.answer(b"m\nm\nm\n");
    let (status, rest) = prompt.finish();
    said.push_str(&rest);
    assert!(status.success(), "{said}");
    assert_contains(&said, "2 merged, 0 purged, 0 skipped");
    assert!(
        !said.contains("late"),
        "the late record was not shown: {said}"
    );
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 2);

    // The next run sees only the late record (its own tombstones are passed over).
    let next = Kmp::new().group(&group).merge_all(&dlq, &retry).run();
    let said = next.stderr_text();
    assert!(next.status.success(), "{said}");
    assert_contains(&said, "1 merged, 0 purged, 0 skipped");
    let merged: Vec<_> = kafka()
        .read_all(&retry, Isolation::ReadCommitted)
        .into_iter()
        .map(|r| r.key.unwrap())
        .collect();
    assert_eq!(
        merged,
        [b"early-1".to_vec(), b"early-2".to_vec(), b"late".to_vec()]
    );

    // And a third run has nothing old left, and says so.
    let third = Kmp::new().group(&group).merge_all(&dlq, &retry).run();
    let said = third.stderr_text();
    assert!(third.status.success(), "{said}");
    assert_contains(&said, "0 merged, 0 purged, 0 skipped");
}

#[test]
fn ctrl_c_while_waiting_for_an_answer_exits_130_with_the_summary() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) =
        kafka().dlq_holding(1, &TestRecord::keyed(&[(0, "one", "1"), (0, "two", "2")]));
    let group = unique("group");
    let mut prompt = Prompt::start(&bootstrap, &group, &dlq, &retry);
    prompt.stdin.write_all(b"m\n").unwrap();
    prompt.stdin.flush().unwrap();
    let seen = prompt.read_until("record 2 of");
    // The second record waits for an answer: Ctrl-C (stdin stays open).
    let pid = prompt.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, rest) = prompt.finish();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert_contains(
        &rest,
        "Successfully processed records: 1 merged, 0 purged, 0 skipped",
    );
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 1);
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 1)].into());
}

/// User and system CPU time of process `pid` so far, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // state is field 3, utime field 14 and stime field 15.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waiting at a prompt costs next to no CPU: nothing spins while the user thinks. (The
/// producer's polling thread once did, in the last millisecond of every 10 ms wait: 9 % of a
/// core, 45 ticks in 5 s.)
#[test]
fn waiting_for_an_answer_uses_no_cpu() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_holding(1, &[TestRecord::new(0, Some(b"one"), Some(b"1"))]);
    let group = unique("group");
    let mut prompt = Prompt::start(&bootstrap, &group, &dlq, &retry);
    let seen = prompt.read_until("record 1 of");
    let pid = prompt.child.id();
    let before = cpu_ticks(pid).unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let used = cpu_ticks(pid).unwrap() - before;
    // Ticks are 10 ms: 4 s at 2 % of a core is 8; the spinning thread took ~36.
    assert!(used <= 8, "{used} ticks of CPU in 4 s at the prompt");
    // End of input: nothing decided, nothing written.
    let (status, rest) = prompt.finish();
    assert!(status.success(), "{seen}{rest}");
    assert_contains(&rest, "0 merged, 0 purged, 0 skipped");
    assert!(
        kafka()
            .read_all(&retry, Isolation::ReadCommitted)
            .is_empty()
    );
}

/// A transactional `ask` run answered through a pipe, read as it goes.
struct Prompt {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Prompt {
    fn start(bootstrap: &str, group: &str, dlq: &str, retry: &str) -> Self {
        let mut child = kmp()
            .args(["-b", bootstrap, "-g", group, "-t", "ask", dlq, retry])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start kafka-merge-purge: {e}"));
        let (Some(stdin), Some(stderr)) = (child.stdin.take(), child.stderr.take()) else {
            panic!("no pipes to the child");
        };
        Self {
            child,
            stdin,
            stderr: std::io::BufReader::new(stderr),
        }
    }

    /// Reads standard error up to the line holding `text`; what it read.
    fn read_until(&mut self, text: &str) -> String {
        use std::io::BufRead;
        let mut seen = String::new();
        while !seen.contains(text) {
            let mut line = String::new();
            let read = self
                .stderr
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("reading stderr: {e}"));
            assert!(read > 0, "ended before {text:?}: {seen}");
            seen.push_str(&line);
        }
        seen
    }

    /// Writes `answers` to standard input.
    fn answer(&mut self, answers: &[u8]) {
        self.stdin
            .write_all(answers)
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("answering: {e}"));
    }

    /// Closes standard input and waits for the end: the exit status and the rest of stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest)
            .unwrap_or_else(|e| panic!("reading stderr: {e}"));
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("waiting for kafka-merge-purge: {e}"));
        (status, rest)
    }
}
