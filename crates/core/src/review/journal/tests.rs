use std::cell::RefCell;
use std::rc::Rc;

use crate::review::file::FileError;

use super::*;
use crate::triage::{SkipReason, Target};

/// Every entry of `path`, with the reader (headers, cut line) after the last.
fn read(path: &Path) -> Result<(Vec<JournalEntry>, JournalReader), FileError> {
    let mut reader = JournalReader::open(path, None)?;
    let mut entries = Vec::new();
    for entry in reader.by_ref() {
        entries.push(entry?.1);
    }
    Ok((entries, reader.finish()?))
}

fn header() -> JournalHeader {
    JournalHeader {
        version: JOURNAL_VERSION,
        topic: "dlq".into(),
        group: Some("g".into()),
        command: "merge-all".into(),
        started_at: "now".into(),
        user: "u".into(),
        host: "h".into(),
        bootstrap_servers: "b".into(),
        transactional_id: None,
        plan: None,
    }
}

/// A sink that notes, at each apply, how many entries the journal file holds on disk.
struct Probe {
    path: PathBuf,
    seen: Rc<RefCell<Vec<(i64, usize)>>>,
}

impl ActionSink for Probe {
    fn apply(&mut self, record: &Record, _action: &Action) -> anyhow::Result<()> {
        let on_disk = read(&self.path).map_or(0, |(entries, _)| entries.len());
        self.seen.borrow_mut().push((record.at.offset, on_disk));
        Ok(())
    }
    fn commit(&mut self, _offsets: &Offsets) -> anyhow::Result<()> {
        Ok(())
    }
    fn abort(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

#[test]
fn every_write_is_journaled_on_disk_before_the_sink_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let seen = Rc::new(RefCell::new(Vec::new()));
    let probe = Probe {
        path: path.clone(),
        seen: Rc::clone(&seen),
    };
    let mut sink = Journaled::new(probe, Journal::open(&path, &header()).unwrap());
    #[cfg(unix)]
    assert_eq!(crate::private_file::tests::mode_of(&path), 0o600);
    let merge = Action::Merge {
        tombstone: true,
        to: Target::topic("retry"),
        repair: None,
    };
    let binary = Record::test(0, 0)
        .with_key(Some(&[0xff, 0]))
        .with_value(Some(&[0x80]))
        .created_at(42);
    let mut binary = binary;
    binary.headers.push(crate::record::Header {
        name: "h".into(),
        value: None,
    });
    sink.apply(&binary, &merge).unwrap();
    sink.apply(&Record::test(0, 1), &Action::Purge).unwrap();
    // A skip writes nothing: not journaled, passed on at once.
    let skip = Action::Skip {
        reason: SkipReason::Decided,
    };
    sink.apply(&Record::test(0, 2), &skip).unwrap();
    sink.commit(&Offsets::default()).unwrap();
    // Aborted before its sync: never journaled, never written.
    sink.apply(&Record::test(0, 3), &Action::Purge).unwrap();
    sink.abort().unwrap();
    assert_eq!(*seen.borrow(), [(2, 0), (0, 2), (1, 2)]);
    assert_eq!(sink.journal.entries, 2);
    drop(sink);

    let (entries, reader) = read(&path).unwrap();
    assert_eq!(reader.headers, [header()]);
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0].record().unwrap(),
        binary,
        "bytes, headers, timestamp"
    );
    assert_eq!(entries[0].action, merge);
    assert_eq!(entries[1].action, Action::Purge);

    // A crash mid-line: the cut line is known, and the next run's lines stand on their own.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"op\":\"deci")
        .unwrap();
    assert_eq!(read(&path).unwrap().1.cut_line, Some(4));
    let mut again = Journal::open(&path, &header()).unwrap();
    again
        .add(&JournalEntry::new(
            JournalOp::Undo,
            &Record::test(1, 1),
            &Action::Purge,
        ))
        .unwrap();
    again.sync().unwrap();
    let error = read(&path).err().unwrap().to_string();
    assert!(
        error.contains("line 4: not a valid journal entry"),
        "{error}"
    );
    // Read up to a line: what is appended after is not read.
    let mut upto = JournalReader::open(&path, Some(3)).unwrap();
    assert_eq!(upto.by_ref().filter_map(Result::ok).count(), 2);
    assert_eq!(upto.last_line, 3);
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    for (text, expected) in [
        ("", "empty file"),
        ("{\"op\":\"decision\"}\n", "line 1: not a journal"),
        (
            "{\"kmp-journal\":9}\n",
            "line 1: journal format version 9 is unknown",
        ),
        (
            "{\"kmp-journal\":1,\"topic\":\"t\"}\n",
            "line 1: not a valid journal header",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let error = JournalReader::check(&path).err().unwrap().to_string();
        assert!(error.contains(expected), "{expected:?} not in {error:?}");
    }
}
