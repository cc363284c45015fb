//! The full-screen triage view, driven in a pseudo-terminal against the real broker: what is on
//! the screen is read back through a terminal emulator (vt100), keys decide records and classes,
//! `w` writes, quitting with decisions pending asks first. What was written and committed is
//! checked with the independent Java client.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use crate::common::*;
use expectrl::Session;
use expectrl::process::unix::{Signal, WaitStatus};

const ROWS: u16 = 30;
const COLS: u16 = 200;

/// The tool in a pseudo-terminal, and the screen it draws.
struct Screen {
    session: expectrl::session::OsSession,
    parser: vt100::Parser,
    /// Everything it wrote, for what is printed after the view closes.
    written: Vec<u8>,
}

impl Screen {
    fn open(args: &[&str]) -> Self {
        Self::open_with(args, &[])
    }

    /// [`Screen::open`] with these environment variables too.
    fn open_with(args: &[&str], env: &[(&str, &std::path::Path)]) -> Self {
        let mut command = kmp();
        command.args(args).env("TERM", "xterm-256color");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut session =
            Session::spawn(command).unwrap_or_else(|e| panic!("cannot start in a terminal: {e}"));
        session
            .get_process_mut()
            .set_window_size(COLS, ROWS)
            .unwrap_or_else(|e| panic!("cannot size the terminal: {e}"));
        Self {
            session,
            parser: vt100::Parser::new(ROWS, COLS, 0),
            written: Vec::new(),
        }
    }

    /// Reads what arrived; `false` once the tool has closed the terminal.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match self.session.try_read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.parser.process(&buf[..n]);
                self.written.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
                true
            }
            Err(_) => false,
        }
    }

    fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until the screen shows every one of `parts`.
    fn wait_for(&mut self, parts: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let alive = self.pump();
            let text = self.text();
            if parts.iter().all(|part| text.contains(part)) {
                return text;
            }
            assert!(
                alive && started.elapsed() < Duration::from_secs(60),
                "the screen never showed {parts:?}; it shows:\n{text}"
            );
        }
    }

    fn press(&mut self, keys: &str) {
        self.session
            .write_all(keys.as_bytes())
            .unwrap_or_else(|e| panic!("cannot press {keys:?}: {e}"));
        self.session
            .flush()
            .unwrap_or_else(|e| panic!("cannot press {keys:?}: {e}"));
        // Each key is handled before the next is pressed (the view reads one event a turn).
        std::thread::sleep(Duration::from_millis(150));
        self.pump();
    }

    /// Waits for the tool to end with exit code 0; everything it wrote, as text.
    fn finish(self) -> String {
        let (code, output) = self.end();
        assert_eq!(code, Some(0), "exit status; it wrote:\n{output}");
        output
    }

    /// Waits for the tool to end: its exit code (`None`: killed by a signal) and everything
    /// it wrote, as text.
    fn end(mut self) -> (Option<i32>, String) {
        let started = Instant::now();
        while self.pump() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the tool did not end"
            );
        }
        let mut rest = Vec::new();
        let _ = self.session.read_to_end(&mut rest);
        self.written.extend(rest);
        let status = self
            .session
            .get_process()
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for the tool: {e}"));
        let code = match status {
            WaitStatus::Exited(_, code) => Some(code),
            _ => None,
        };
        (code, String::from_utf8_lossy(&self.written).into_owned())
    }
}

/// Fails unless the topics and the group hold what the first write left, and nothing more:
/// three copies, four tombstones, the group's offset at B4; `after` says what came since.
#[track_caller]
fn unchanged(dlq: &str, retry: &str, group: &str, after: &str) {
    assert_eq!(
        kafka().keys(retry, false).len(),
        3,
        "{after}: nothing more merged"
    );
    assert_eq!(
        kafka().keys(dlq, true).len(),
        4,
        "{after}: nothing more tombstoned"
    );
    assert_eq!(
        kafka().group_offsets(group, dlq).get(&0),
        Some(&4),
        "{after}: nothing more committed"
    );
}

#[test]
fn the_view_decides_by_record_and_class_and_writes_on_w() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &TestRecord::three_classes());
    let group = unique("group");
    let mut screen = Screen::open(&["-b", &bootstrap, "-g", &group, "ask", &dlq, &retry]);

    // The whole queue is listed with its classes; the first record is shown beside it.
    let text = screen.wait_for(&["8 record(s) · merge 0", "A 3", "B 3", "C 2", "value-0"]);
    assert_lacks(&text, "reading…");
    assert_contains(&text, "key-7");

    // M merges every record of A (the highlighted record's class).
    screen.press("M");
    screen.wait_for(&["3 undecided record(s) of A: merge", "merge 3 · purge 0"]);
    // B1 purged, C2 skipped (each key moves down), B4 decided then undone.
    screen.press("j");
    screen.press("p");
    screen.press("s");
    screen.press("j");
    screen.press("p");
    screen.press("k");
    screen.press("u");
    screen.wait_for(&["merge 3 · purge 1 · skip 1 · undecided 3"]);
    // Tab shows class A alone.
    screen.press("\t");
    let filtered = screen.wait_for(&["key-6"]);
    assert_lacks(&filtered, "key-1 ");
    screen.press("\t\t\t");
    screen.wait_for(&["key-1"]);

    // w asks, y writes: A0 A3 A6 merged, B1 purged, C2 skipped; B4 is the first undecided
    // record, so the committed offset stops there.
    screen.press("w");
    screen.wait_for(&["Write 5 decision(s): merge 3, purge 1, skip 1?"]);
    screen.press("y");
    screen.wait_for(&["written: 3 merged, 1 purged, 1 skipped", "written 5"]);
    // What is written stays written.
    screen.press("g");
    screen.press("u");
    screen.wait_for(&["cannot be undone"]);
    screen.press("q");
    let output = screen.finish();
    assert_contains(
        &output,
        "Successfully processed records: 3 merged, 1 purged, 1 skipped",
    );

    assert_eq!(kafka().keys(&retry, false), ["key-0", "key-3", "key-6"]);
    // Each copy is its original whole: headers in order (then the replay counter), the
    // original timestamp.
    let originals = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    for (copy, offset) in copies.iter().zip([0, 3, 6]) {
        let original = originals
            .iter()
            .find(|r| r.offset == offset)
            .unwrap_or_else(|| panic!("no record at offset {offset}"));
        assert_eq!(
            copy.headers,
            as_merged(&original.headers),
            "offset {offset}"
        );
        assert_eq!(copy.timestamp, original.timestamp, "offset {offset}");
    }
    assert_eq!(
        kafka().values(&retry, Isolation::ReadCommitted),
        [
            b"value-0".to_vec(),
            b"value-3".to_vec(),
            b"value-6".to_vec()
        ]
    );
    // A purge's tombstone is sent at once, a merge's once its copy is acknowledged.
    let mut tombstoned = kafka().keys(&dlq, true);
    tombstoned.sort();
    assert_eq!(tombstoned, ["key-0", "key-1", "key-3", "key-6"]);
    assert_eq!(
        kafka().group_offsets(&group, &dlq).get(&0),
        Some(&4),
        "committed up to the first undecided record"
    );

    // Quitting with decisions pending asks; d discards them: nothing more is written.
    let mut screen = Screen::open(&["-b", &bootstrap, "-g", &group, "ask", &dlq, &retry]);
    // From the committed offset: B4 C5 B7, and neither A6 (merged in the first session: its
    // marker follows it) nor the 4 tombstones.
    let listed = screen.wait_for(&["3 record(s) · merge 0", "key-4", "key-7"]);
    assert_lacks(&listed, "key-6");
    // A search over the decoded values highlights the first match; r shows its bytes.
    screen.press("/value-7\r");
    screen.wait_for(&["1 match(es) for “value-7”", "Key: key-7"]);
    screen.press("r");
    screen.wait_for(&["Record (raw)", "76 61 6c 75 65 2d 37"]);
    screen.press("r");
    screen.press("m");
    screen.press("q");
    screen.wait_for(&["1 decision(s) are not written", "d  discard them"]);
    screen.press("d");
    let output = screen.finish();
    assert_contains(&output, "1 decision(s) were discarded");
    unchanged(&dlq, &retry, &group, "discarded");

    // --dry-run: w says what it would do, and writes and commits nothing.
    let mut screen = Screen::open(&[
        "-b",
        &bootstrap,
        "-g",
        &group,
        "--dry-run",
        "ask",
        &dlq,
        &retry,
    ]);
    screen.wait_for(&["3 record(s) · merge 0", "DRY RUN"]);
    screen.press("M");
    screen.press("w");
    screen.wait_for(&["Dry run: nothing is written"]);
    screen.press("y");
    // M on B4 merges class B: B4 and B7.
    screen.wait_for(&["w would:", &format!("merge 2: 2 into {retry}")]);
    screen.press(" ");
    screen.press("q");
    screen.wait_for(&["2 decision(s) are not written"]);
    screen.press("d");
    let output = screen.finish();
    assert_contains(&output, "Dry run: nothing was written");
    unchanged(&dlq, &retry, &group, "a dry run");

    // --plan: w writes the pending decisions to the plan file, and nothing to Kafka.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = dir.path().join("plan.jsonl");
    let plan_arg = plan.display().to_string();
    let mut screen = Screen::open(&[
        "-b", &bootstrap, "-g", &group, "--plan", &plan_arg, "ask", &dlq, &retry,
    ]);
    screen.wait_for(&["3 record(s) · merge 0", "PLAN ONLY"]);
    screen.press("M");
    screen.press("w");
    screen.wait_for(&["Plan only: the decisions go to"]);
    screen.press("y");
    screen.wait_for(&["Plan written to", &format!("merge 2: 2 into {retry}")]);
    screen.press(" ");
    screen.press("q");
    screen.wait_for(&["2 decision(s) are not written"]);
    screen.press("d");
    screen.finish();
    let planned: Vec<(i64, String)> = std::fs::read_to_string(&plan)
        .unwrap_or_else(|e| panic!("no plan: {e}"))
        .lines()
        .filter_map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).ok()?;
            Some((
                line["offset"].as_i64()?,
                line["decision"].as_str()?.to_owned(),
            ))
        })
        .collect();
    // A6, merged in the first session, is passed over as already decided (a skip line).
    assert_eq!(
        planned,
        [
            (4, "merge".to_owned()),
            (6, "skip".to_owned()),
            (7, "merge".to_owned())
        ]
    );
    unchanged(&dlq, &retry, &group, "a plan");

    // SIGTERM while the view is open: the terminal is given back (raw mode off, alternate
    // screen left), exit 143 (128 + SIGTERM), nothing written.
    let mut screen = Screen::open(&["-b", &bootstrap, "-g", &group, "ask", &dlq, &retry]);
    screen.wait_for(&["3 record(s) · merge 0"]);
    screen.press("M");
    screen
        .session
        .get_process_mut()
        .signal(Signal::SIGTERM)
        .unwrap_or_else(|e| panic!("cannot signal the tool: {e}"));
    let (code, output) = screen.end();
    assert_eq!(code, Some(143), "terminated; it wrote:\n{output}");
    let left = output
        .rfind("\u{1b}[?1049l")
        .unwrap_or_else(|| panic!("the alternate screen was not left"));
    assert!(
        left > output.rfind("\u{1b}[?1049h").unwrap_or(0),
        "left after it was entered"
    );
    unchanged(&dlq, &retry, &group, "interrupted");
}

/// `e` in the view: the highlighted record's value opens in `$EDITOR` (a script here); the
/// edited record is decided *merge edited*; `M` with `--transform` merges the rest of its
/// class repaired by the expression; `w` writes the edit and the transforms, each once.
#[test]
fn the_view_edits_a_record_and_transforms_its_class() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let records: Vec<TestRecord> = (0..3)
        .map(|i| {
            TestRecord::new(
                0,
                Some(format!("key-{i}").as_bytes()),
                Some(format!(r#"{{"id":{i},"cancelReason":"late"}}"#).as_bytes()),
            )
            .header("kafka_dlt-exception-fqcn", Some(b"com.acme.Conversion"))
        })
        .collect();
    kafka().produce(&dlq, &records);
    let dir = tempfile::tempdir().unwrap();
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/cancelReason/reason/; s/late/by hand/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let group = unique("group");
    let mut screen = Screen::open_with(
        &[
            "-b",
            &bootstrap,
            "-g",
            &group,
            "ask",
            &dlq,
            &retry,
            "--transform",
            ".reason = .cancelReason | del(.cancelReason)",
        ],
        &[("EDITOR", &editor)],
    );
    screen.wait_for(&["3 record(s) · merge 0", "key-2"]);
    screen.press("e");
    screen.wait_for(&[
        "edited, to merge: .cancelReason: \"late\" → (absent)",
        "merge ✎",
    ]);
    screen.press("k");
    screen.press("M");
    screen.wait_for(&["2 undecided record(s) of Conversion: merge", "merge 3"]);
    screen.press("w");
    screen.wait_for(&["Write 3 decision(s): merge 3"]);
    screen.press("y");
    screen.wait_for(&["written: 3 merged", "merged ✎✓"]);
    screen.press("q");
    screen.finish();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    let values: Vec<String> = copies
        .iter()
        .map(|c| String::from_utf8_lossy(c.value.as_deref().unwrap()).into_owned())
        .collect();
    assert_eq!(
        values,
        [
            r#"{"id":0,"reason":"by hand"}"#,
            r#"{"id":1,"reason":"late"}"#,
            r#"{"id":2,"reason":"late"}"#,
        ]
    );
    assert_eq!(copies[0].header_text("kmp-repaired"), Some("edit"));
    assert!(
        copies[1]
            .header_text("kmp-repaired")
            .unwrap()
            .starts_with("jq:")
    );
}
