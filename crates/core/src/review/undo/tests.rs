use super::*;
use crate::triage::Target;

fn record(partition: i32, offset: i64, key: &str, value: Option<&str>) -> Record {
    Record::test(partition, offset)
        .with_key(Some(key.as_bytes()))
        .with_value(value.map(str::as_bytes))
}

fn merged(record: &Record) -> JournalEntry {
    JournalEntry::new(
        JournalOp::Decision,
        record,
        &Action::Merge {
            tombstone: record.key.is_some(),
            to: Target::topic("retry"),
            repair: None,
        },
    )
}

#[test]
fn the_dlq_says_what_is_undone_already_and_what_must_not_be() {
    let a = record(0, 0, "a", Some("1"));
    let b = record(0, 1, "a", Some("2"));
    let c = record(0, 2, "c", Some("3"));
    let d = record(0, 3, "d", Some("4"));
    let e = record(0, 4, "e", Some("5"));
    let null_key = Record::test(1, 0).with_key(None);
    let entries = [
        merged(&a),
        merged(&b),
        merged(&c),
        merged(&d),
        merged(&e),
        merged(&null_key),
        // Undo entries are history; another topic is another run.
        JournalEntry::new(JournalOp::Undo, &d, &Action::Purge),
        JournalEntry {
            topic: "other".into(),
            ..merged(&e)
        },
    ];
    let mut watch = UndoWatch::default();
    for (line, entry) in entries.iter().enumerate() {
        if entry.topic == "dlq" {
            watch.add(line, entry).unwrap();
        }
    }
    assert_eq!(watch.starts(), BTreeMap::from([(0, 0), (1, 0)]));
    let dlq = [
        a.clone(),
        b.clone(),
        c.clone(),
        d.clone(),
        e.clone(),
        record(0, 5, "a", None),
        record(0, 6, "a", None),
        record(0, 7, "c", None),
        record(0, 8, "e", None),
        // a's first record was written back by an earlier undo (b's not yet).
        record(0, 9, "a", Some("1")),
        // e got a new failure after its tombstone.
        record(0, 10, "e", Some("new")),
        null_key,
    ];
    for record in &dlq {
        watch.see(record);
    }
    let verdicts: Vec<(i64, UndoVerdict)> = watch
        .steps()
        .into_iter()
        .map(|step| (step.offset, step.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            (0, UndoVerdict::AlreadyUndone { at: 9 }),
            // b: the record after the tombstone is a's, one of the journal's.
            (1, UndoVerdict::Undo),
            (2, UndoVerdict::Undo),
            (3, UndoVerdict::NotApplied),
            (4, UndoVerdict::Refused { newer: 10 }),
            (0, UndoVerdict::NothingRemoved),
        ]
    );
}
