//! The prompt on a terminal, driven in a pseudo-terminal against the real broker: the record
//! is shown, each key does what it says, `g` decides a failure class, `M` merges the rest,
//! `q` commits what was decided. Results are checked with the independent Java client.

use std::time::Duration;

use crate::common::*;
use expectrl::{Expect, Session};

fn session(args: &[&str]) -> expectrl::session::OsSession {
    let mut command = kmp();
    command.args(args).env("TERM", "xterm");
    let mut session =
        Session::spawn(command).unwrap_or_else(|e| panic!("cannot start in a terminal: {e}"));
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    session
}

/// Waits for the question, then presses `key`.
fn answer(p: &mut expectrl::session::OsSession, key: &str) {
    p.expect(PROMPT)
        .unwrap_or_else(|e| panic!("no question before {key:?}: {e}"));
    p.send(key)
        .unwrap_or_else(|e| panic!("cannot press {key:?}: {e}"));
}

const PROMPT: &str = "? help [Enter = merge]: ";

#[test]
fn keys_rules_and_classes() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &TestRecord::three_classes());
    let group = unique("group");
    let mut p = session(&[
        "-b",
        &bootstrap,
        "-g",
        &group,
        "ask",
        "--no-tui",
        &dlq,
        &retry,
        "--overview",
    ]);

    // The overview, by failure class.
    p.expect("8 record(s) by failure class").unwrap();
    p.expect("com.acme.B").unwrap();
    // A0: merge.
    p.expect("record 1 of at most 8, partition 0 offset 0")
        .unwrap();
    p.expect("value-0").unwrap();
    answer(&mut p, "m");
    // B1: raw view, help, then purge every B record with `g`.
    p.expect("record 2 of at most 8").unwrap();
    answer(&mut p, "r");
    p.expect("76 61 6c 75 65 2d 31").unwrap(); // "value-1" in hex
    answer(&mut p, "?");
    p.expect("every remaining record").unwrap();
    answer(&mut p, "g");
    p.expect("with this header value").unwrap();
    p.send("\r").unwrap(); // the failure-class header comes first
    p.expect("Decision").unwrap();
    p.send("\x1b[B").unwrap(); // down: purge
    p.send("\r").unwrap();
    // C2: skip.
    p.expect("record 3 of at most 8, partition 0 offset 2")
        .unwrap();
    answer(&mut p, "s");
    // A3: merge this and every remaining record (the B rule still comes first).
    p.expect("record 4 of at most 8, partition 0 offset 3")
        .unwrap();
    answer(&mut p, "M");
    p.expect("Successfully processed records: 4 merged, 3 purged, 1 skipped")
        .unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );

    assert_eq!(
        kafka().keys(&retry, false),
        ["key-0", "key-3", "key-5", "key-6"]
    );
    assert_eq!(
        kafka().keys(&dlq, true),
        [
            "key-0", "key-1", "key-3", "key-4", "key-5", "key-6", "key-7"
        ]
    );
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 8)].into());
}

#[test]
fn quit_commits_what_was_decided() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &TestRecord::three_classes());
    let group = unique("group");
    let mut p = session(&[
        "-b", &bootstrap, "-g", &group, "-t", "ask", "--no-tui", &dlq, &retry,
    ]);
    answer(&mut p, "\r"); // Enter merges
    p.expect("record 2 of").unwrap();
    answer(&mut p, "p");
    p.expect("record 3 of").unwrap();
    answer(&mut p, "x");
    p.expect("Unknown option, try again.").unwrap();
    p.send("q").unwrap();
    p.expect("Successfully processed records: 1 merged, 1 purged, 0 skipped")
        .unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert_eq!(kafka().keys(&retry, false), ["key-0"]);
    assert_eq!(kafka().keys(&dlq, true), ["key-0", "key-1"]);
    assert_eq!(kafka().group_offsets(&group, &dlq), [(0, 2)].into());
}
