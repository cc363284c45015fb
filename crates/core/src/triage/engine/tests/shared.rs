//! The engine with a source shared by several instances (issue 20): hand-overs after the
//! commit, and batches the group refused read again.

use std::rc::Rc;

use super::*;

/// Commits only when told to, or at the end.
const ONE_BATCH: EngineOptions = EngineOptions {
    policy: CommitPolicy::Batch {
        max_records: 100,
        max_age: Duration::from_secs(3600),
    },
    ..EACH
};

/// A source shared with other instances (issue 20): it pauses once after `pause_after`
/// records (a hand-over), may be told its batch was aborted, and then delivers again every
/// record after the last committed one. `events` notes what the engine did, in order.
struct Shared {
    records: Vec<Record>,
    next: usize,
    /// Index of the first record not committed yet.
    committed: usize,
    pause_after: Option<usize>,
    pausing: bool,
    events: Rc<std::cell::RefCell<Vec<String>>>,
}

impl Shared {
    /// A source of `records` from the first, pausing once after `pause_after` records.
    fn over(
        records: Vec<Record>,
        pause_after: Option<usize>,
        events: &Rc<std::cell::RefCell<Vec<String>>>,
    ) -> Self {
        Self {
            records,
            next: 0,
            committed: 0,
            pause_after,
            pausing: false,
            events: Rc::clone(events),
        }
    }
}

impl RecordSource for Shared {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        if self.pause_after == Some(self.next) {
            self.pause_after = None;
            self.pausing = true;
            return Ok(None);
        }
        let record = self.records.get(self.next).cloned();
        self.next += 1;
        Ok(record)
    }
    fn wants_commit(&self) -> bool {
        self.pausing
    }
    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        self.pausing = false;
        self.events.borrow_mut().push(format!("settle {committed}"));
        if committed {
            self.committed = self.next;
        } else {
            self.next = self.committed;
        }
        Ok(())
    }
}

/// [`Recorder`] that refuses its `refuse`-th commit (1-based) as a rebalance would, and notes
/// its commits in `events`.
struct Refusing {
    inner: Recorder,
    commits: usize,
    refuse: Option<usize>,
    /// Fails the `refuse_apply`-th write (1-based) as a transaction that failed would.
    applies: usize,
    refuse_apply: Option<usize>,
    /// Refuses every commit.
    refuse_all: bool,
    events: Rc<std::cell::RefCell<Vec<String>>>,
}

impl ActionSink for Refusing {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if self.refuse_all {
            self.events.borrow_mut().push(format!(
                "apply {}/{}",
                record.at.partition, record.at.offset
            ));
        }
        self.applies += 1;
        if self.refuse_apply == Some(self.applies) {
            self.events.borrow_mut().push(format!(
                "write {}/{} failed",
                record.at.partition, record.at.offset
            ));
            return Err(
                anyhow::Error::new(BatchAborted("records timed out".to_owned()))
                    .context("cannot merge record"),
            );
        }
        self.inner.apply(record, action)
    }
    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        self.commits += 1;
        if self.refuse == Some(self.commits) || self.refuse_all {
            self.events.borrow_mut().push("refused".to_owned());
            return Err(
                anyhow::Error::new(BatchAborted("generation moved".to_owned()))
                    .context("cannot add the consumer offsets to the transaction"),
            );
        }
        self.events
            .borrow_mut()
            .push(format!("commit {}", self.inner.uncommitted.len()));
        self.inner.commit(offsets)
    }
    fn abort(&mut self) -> anyhow::Result<()> {
        self.events.borrow_mut().push("abort".to_owned());
        self.inner.abort()
    }
}

impl Refusing {
    fn new(refuse: Option<usize>, events: &Rc<std::cell::RefCell<Vec<String>>>) -> Self {
        Self {
            inner: Recorder::default(),
            commits: 0,
            refuse,
            applies: 0,
            refuse_apply: None,
            refuse_all: false,
            events: Rc::clone(events),
        }
    }
}

/// Every record of `source` merged into `sink`, committed only when the source pauses or ends.
fn merge_in_one_batch(
    source: &mut dyn RecordSource,
    sink: &mut dyn ActionSink,
) -> Result<Summary, RunError> {
    Engine {
        source,
        decisions: &mut Always(Decision::Merge),
        sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut retry(),
        interrupt: Interrupt::new(),
        options: ONE_BATCH,
    }
    .run()
}

fn shared_run(
    pause_after: Option<usize>,
    refuse: Option<usize>,
) -> (Summary, Refusing, Vec<String>) {
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut source = Shared::over(five_records().0.into(), pause_after, &events);
    let mut sink = Refusing::new(refuse, &events);
    let summary = merge_in_one_batch(&mut source, &mut sink).unwrap();
    let events = events.borrow().clone();
    (summary, sink, events)
}

#[test]
fn a_hand_over_comes_after_the_commit_of_what_was_applied() {
    let (summary, sink, events) = shared_run(Some(3), None);
    // The pause commits the three records applied, then the source hands over; the rest is
    // committed at the end.
    assert_eq!(events, ["commit 3", "settle true", "commit 2"]);
    assert_eq!(summary.merged, 5);
    assert_eq!(sink.inner.applied.len(), 5);
}

#[test]
fn a_batch_the_group_refused_is_aborted_and_read_again() {
    let (summary, sink, events) = shared_run(Some(3), Some(1));
    // The first commit is refused: aborted, the source reads from the last commit again, and
    // every record ends up committed once (applied twice, counted once).
    assert_eq!(events, ["refused", "abort", "settle false", "commit 5"]);
    assert_eq!(summary.merged, 5);
    assert_eq!(sink.inner.applied.len(), 8);
    assert_eq!(sink.inner.commits.len(), 1);
    assert_eq!(sink.inner.commits[0].0, [0, 0, 1, 1, 2]);
}

#[test]
fn a_write_into_a_failed_transaction_aborts_the_batch_and_reads_it_again() {
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut source = Shared::over(five_records().0.into(), None, &events);
    let mut sink = Refusing::new(None, &events);
    sink.refuse_apply = Some(4);
    let summary = merge_in_one_batch(&mut source, &mut sink).unwrap();
    // The fourth write fails: the three before it are aborted with it, everything is read
    // again from the last commit, and each record is committed once.
    assert_eq!(
        *events.borrow(),
        ["write 1/1 failed", "abort", "settle false", "commit 5"]
    );
    assert_eq!(summary.merged, 5);
    assert_eq!(sink.inner.commits.len(), 1);
    assert_eq!(sink.inner.commits[0].0, [0, 0, 1, 1, 2]);
}

#[test]
fn a_refused_commit_fails_a_source_that_cannot_read_again() {
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut sink = Refusing::new(Some(1), &events);
    let error = merge_in_one_batch(&mut five_records(), &mut sink).unwrap_err();
    let RunError::Failed { source, committed } = error else {
        panic!("{error:?}");
    };
    assert!(
        format!("{source:#}").contains("cannot read its records again"),
        "{source:#}"
    );
    assert_eq!(committed.merged, 0);
}

#[test]
fn batches_that_keep_being_aborted_shrink_and_end_the_run_after_the_budget() {
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let records: Vec<Record> = (0..40).map(|offset| Record::test(0, offset)).collect();
    let mut source = Shared::over(records, None, &events);
    let mut sink = Refusing::new(None, &events);
    sink.refuse_all = true;
    let error = Engine {
        source: &mut source,
        decisions: &mut Always(Decision::Merge),
        sink: &mut sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut retry(),
        interrupt: Interrupt::new(),
        options: EngineOptions {
            policy: CommitPolicy::Batch {
                max_records: 8,
                max_age: Duration::from_secs(3600),
            },
            ..EACH
        },
    }
    .run()
    .unwrap_err();
    let RunError::Failed { source, committed } = error else {
        panic!("{error:?}");
    };
    assert!(
        format!("{source:#}").contains("5 batches in a row were aborted"),
        "{source:#}"
    );
    assert_eq!(committed.merged, 0);
    // Each aborted batch was half the one before: 8, 4, 2, 1, 1 records written.
    let mut sizes = Vec::new();
    let mut size = 0;
    for event in events.borrow().iter() {
        if event.starts_with("apply") {
            size += 1;
        } else if event == "refused" {
            sizes.push(size);
            size = 0;
        }
    }
    assert_eq!(sizes, [8, 4, 2, 1, 1]);
}
