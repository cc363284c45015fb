use std::io::Write as _;

use super::*;
use crate::record::Record;
use crate::redrive::{CopyTimestamp, HeaderPolicy};
use crate::review::PlanWriter;
use crate::triage::{Action, LeftAlone, Observer, SkipReason, Target};

/// The header, record lines and end of the plan at `path`.
fn read(path: &std::path::Path) -> Result<(PlanHeader, Vec<PlanLine>, PlanEnd), FileError> {
    let mut reader = PlanReader::open(path)?;
    let lines = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    let (header, end) = reader.finish()?;
    Ok((header, lines, end))
}

fn header() -> PlanHeader {
    PlanHeader {
        version: PLAN_VERSION,
        id: "plan-1".into(),
        topic: "dlq".into(),
        group: Some("g".into()),
        command: "merge-all".into(),
        created_at: "2026-12-06T20:00:00.000Z".into(),
        user: "alice".into(),
        host: "box".into(),
        bootstrap_servers: "127.0.0.1:9092".into(),
        options: PlanOptions {
            destination: Some("retry".into()),
            timestamp: "kept".into(),
            ..PlanOptions::default()
        },
        ranges: BTreeMap::from([(0, [0, 5]), (1, [0, 2])]),
    }
}

/// A plan of three records written by [`PlanWriter`]; its text.
fn written(dir: &tempfile::TempDir) -> (std::path::PathBuf, String) {
    let path = dir.path().join("plan.jsonl");
    let mut writer = PlanWriter::create(
        &path,
        &header(),
        HeaderPolicy::default(),
        CopyTimestamp::Kept,
    )
    .unwrap();
    // The plan holds record contents: its owner's only, from the first byte.
    #[cfg(unix)]
    {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        assert_eq!(crate::private_file::tests::mode_of(partial.as_ref()), 0o600);
    }
    let merged = Record::test(0, 0)
        .created_at(7)
        .with_header("kafka_dlt-exception-fqcn", "com.acme.Boom");
    writer
        .on_action(
            &merged,
            &Action::Merge {
                tombstone: true,
                to: Target::topic("retry"),
                repair: None,
            },
        )
        .unwrap();
    writer
        .on_action(&Record::test(0, 1), &Action::Purge)
        .unwrap();
    writer
        .on_action(
            &Record::test(1, 0).with_value(None),
            &Action::Skip {
                reason: SkipReason::ExistingTombstone,
            },
        )
        .unwrap();
    writer
        .on_left_alone(&Record::test(1, 1), &LeftAlone::NoOrigin)
        .unwrap();
    writer.on_left_out(&Record::test(0, 2));
    assert!(dir.path().join("plan.jsonl.partial").exists());
    assert!(!path.exists(), "the plan gets its name once it is whole");
    assert_eq!(writer.finish().unwrap(), 4);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

#[test]
fn a_written_plan_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = written(&dir);
    assert!(!dir.path().join("plan.jsonl.partial").exists());
    let (read_header, lines, end) = read(&path).unwrap();
    assert_eq!(read_header, header());
    assert_eq!(lines.len(), 4);
    assert_eq!(end.left_out, BTreeMap::from([(0, 1)]));
    let merge = &lines[0];
    assert_eq!(merge.decision, PlanDecision::Merge);
    assert_eq!(merge.key.as_deref(), Some("aw=="), "base64 of k");
    assert_eq!(
        merge.key_sha256.as_deref(),
        Some("8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a")
    );
    assert_eq!(merge.destination.as_deref(), Some("retry"));
    assert!(merge.tombstone);
    assert_eq!(merge.timestamp, Some(7));
    assert_eq!(merge.class.as_deref(), Some("com.acme.Boom"));
    assert_eq!(
        merge.header_changes,
        Some(HeaderChanges {
            removed: Vec::new(),
            added: vec![("kmp-replay-count".into(), "1".into())],
        })
    );
    assert_eq!(lines[1].decision, PlanDecision::Purge);
    assert_eq!(lines[2].reason.as_deref(), Some("existing-tombstone"));
    assert_eq!(lines[2].value_sha256, None);
    assert_eq!(lines[3].decision, PlanDecision::LeftAlone);
    // The first line starts with the version, the last is the end line.
    assert!(text.starts_with("{\"kmp-plan\":2,"), "{text}");
    assert!(
        text.ends_with("{\"kmp-plan-end\":{\"records\":4,\"left_out\":{\"0\":1}}}\n"),
        "{text}"
    );
    // plan show sums it up.
    let shown = crate::review::show(&path).unwrap();
    for part in [
        "Plan plan-1 for topic dlq (group g)",
        "merge               1",
        "left-alone          1",
        "retry                                  1",
        "com.acme.Boom",
        "0  read [0, 5): 2 record(s) planned at offsets 0..=1, 1 not matching the filters",
        "Left undecided: 2 record(s)",
        "left alone: no origin header",
    ] {
        assert!(shown.contains(part), "{part:?} not in:\n{shown}");
    }
}

/// `text` with line `number` (from 1) replaced by `line` (or removed when `None`).
fn edited(text: &str, number: usize, line: Option<&str>) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    match line {
        Some(line) => lines[number - 1] = line,
        None => {
            lines.remove(number - 1);
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn a_plan_that_is_not_valid_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = written(&dir);
    let other_topic = text
        .lines()
        .nth(1)
        .unwrap()
        .replace("\"topic\":\"dlq\"", "\"topic\":\"orders\"");
    let bad_hash = text
        .lines()
        .nth(1)
        .unwrap()
        .replace("\"key_sha256\":\"8254", "\"key_sha256\":\"zz54");
    let future = text
        .lines()
        .next()
        .unwrap()
        .replace("{\"kmp-plan\":2,", "{\"kmp-plan\":3,");
    let twice = text.lines().nth(1).unwrap().to_owned();
    let cases: Vec<(String, &str)> = vec![
        (
            edited(&text, 2, Some("{\"topic\":")),
            "line 2: not a valid plan line",
        ),
        (
            edited(&text, 1, Some(&future)),
            "line 1: plan format version 3 is unknown",
        ),
        (
            edited(&text, 1, Some("{\"something\":1}")),
            "line 1: not a plan",
        ),
        (
            edited(&text, 2, Some(&other_topic)),
            "line 2: a line for topic orders, but the plan is for topic dlq",
        ),
        (
            edited(&text, 2, Some(&bad_hash)),
            "line 2: key_sha256 \"zz54",
        ),
        (
            edited(&text, 3, Some(&twice)),
            "line 3: partition 0 offset 0 is planned twice",
        ),
        (
            edited(&text, 6, None),
            "line 6: the plan has no end line after line 5: the file is truncated",
        ),
        (
            edited(&text, 3, None),
            "line 5: the end line counts 4 record line(s), the file has 3",
        ),
        (
            text[..text.len() - 10].to_owned(),
            "line 6: the line is cut short",
        ),
        (String::new(), "empty file"),
    ];
    for (content, expected) in cases {
        let path = dir.path().join("bad.jsonl");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        let error = read(&path).unwrap_err().to_string();
        assert!(error.contains(expected), "{expected:?} not in {error:?}");
        assert!(error.contains("bad.jsonl"), "{error}");
    }
}

/// A plan of version 1 (made before repairs) is still read.
#[test]
fn a_version_1_plan_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = written(&dir);
    let path = dir.path().join("v1.jsonl");
    std::fs::write(
        &path,
        text.replacen("{\"kmp-plan\":2,", "{\"kmp-plan\":1,", 1),
    )
    .unwrap();
    let (header, lines, _) = read(&path).unwrap();
    assert_eq!((header.version, lines.len()), (1, 4));
}
