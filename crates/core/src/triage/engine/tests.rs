//! Engine tests with an in-memory source, a scripted decision source and a recording sink.

use std::collections::VecDeque;
use std::rc::Rc;

use super::*;
use crate::triage::{
    Admission, Always, Decision, LeftAlone, OpenGate, Outcome, Plan, PlanDecisions, PlanGate,
    RecordFilter, Scripted, Target,
};

struct Memory(VecDeque<Record>);

impl RecordSource for Memory {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        Ok(self.0.pop_front())
    }
}

/// Records what was applied, committed and aborted; can be told to fail.
#[derive(Default)]
struct Recorder {
    applied: Vec<(i64, Action)>,
    commits: Vec<(Vec<i64>, Offsets)>,
    aborts: usize,
    uncommitted: Vec<i64>,
    fail_apply_at: Option<i64>,
    fail_commit: bool,
}

impl ActionSink for Recorder {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if self.fail_apply_at == Some(record.at.offset) {
            anyhow::bail!("cannot write offset {}", record.at.offset);
        }
        self.applied.push((record.at.offset, action.clone()));
        self.uncommitted.push(record.at.offset);
        Ok(())
    }
    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        if self.fail_commit {
            anyhow::bail!("commit refused");
        }
        self.commits
            .push((std::mem::take(&mut self.uncommitted), offsets.clone()));
        Ok(())
    }
    fn abort(&mut self) -> anyhow::Result<()> {
        self.aborts += 1;
        self.uncommitted.clear();
        Ok(())
    }
}

fn record(partition: i32, offset: i64, key: Option<&str>, value: Option<&str>) -> Record {
    Record::test(partition, offset)
        .with_key(key.map(str::as_bytes))
        .with_value(value.map(str::as_bytes))
}

/// Every record goes to the decision; merges into `retry`.
fn retry() -> OpenGate {
    OpenGate(Some(Target::topic("retry")))
}

fn merge(tombstone: bool) -> Action {
    Action::Merge {
        tombstone,
        to: Target::topic("retry"),
        repair: None,
    }
}

fn five_records() -> Memory {
    Memory(
        [
            record(0, 0, Some("a"), Some("1")),
            record(1, 0, Some("b"), Some("2")),
            record(0, 1, Some("c"), Some("3")),
            record(1, 1, Some("d"), Some("4")),
            record(0, 2, Some("e"), Some("5")),
        ]
        .into(),
    )
}

const EACH: EngineOptions = EngineOptions {
    merge_tombstones: false,
    policy: CommitPolicy::EachRecord,
    limit: None,
    watch_keys: false,
    // A compacted DLQ: a null key gets no marker.
    unmarked_null_keys: true,
};

const BATCH_OF_TWO: EngineOptions = EngineOptions {
    policy: CommitPolicy::Batch {
        max_records: 2,
        max_age: Duration::from_secs(3600),
    },
    ..EACH
};

fn run(
    source: &mut dyn RecordSource,
    decisions: &mut dyn DecisionSource,
    sink: &mut Recorder,
    options: EngineOptions,
) -> Result<Summary, RunError> {
    run_filtered(source, decisions, sink, &mut (), &mut (), options)
}

/// [`five_records`], every one decided `decision`, into `sink`.
fn run_all(
    decision: Decision,
    sink: &mut Recorder,
    options: EngineOptions,
) -> Result<Summary, RunError> {
    run(&mut five_records(), &mut Always(decision), sink, options)
}

/// [`run_all`], which must fail.
fn failing_run(decision: Decision, sink: &mut Recorder, options: EngineOptions) -> RunError {
    run_all(decision, sink, options).unwrap_err()
}

#[test]
fn scripted_decisions_are_applied_and_committed_one_by_one() {
    use Decision::{Merge, Purge, Skip};
    let mut sink = Recorder::default();
    let summary = run(
        &mut five_records(),
        &mut Scripted::new([Merge, Purge, Skip, Merge, Purge]),
        &mut sink,
        EACH,
    )
    .unwrap();
    assert_eq!((summary.merged, summary.purged, summary.skipped), (2, 2, 1));
    assert_eq!(sink.commits.len(), 5, "one commit per decision");
    let last = &sink.commits.last().unwrap().1;
    assert_eq!(last.iter().collect::<Vec<_>>(), [(0, 3)]);
    let all: Vec<_> = sink.commits.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(all, [vec![0], vec![0], vec![1], vec![1], vec![2]]);
}

#[test]
fn quit_commits_what_was_decided_and_stops() {
    use Decision::{Merge, Quit};
    let mut sink = Recorder::default();
    let summary = run(
        &mut five_records(),
        &mut Scripted::new([Merge, Merge, Quit, Merge]),
        &mut sink,
        EACH,
    )
    .unwrap();
    assert_eq!(summary.merged, 2);
    assert_eq!(sink.applied.len(), 2);
    assert_eq!(sink.aborts, 0);
}

#[test]
fn batches_commit_every_n_records_and_at_the_end() {
    let mut sink = Recorder::default();
    let summary = run_all(Decision::Merge, &mut sink, BATCH_OF_TWO).unwrap();
    assert_eq!(summary.merged, 5);
    let sizes: Vec<_> = sink.commits.iter().map(|(r, _)| r.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(
        sink.commits[1].1.iter().collect::<Vec<_>>(),
        [(0, 2), (1, 2)],
        "offsets of the second batch: last processed + 1 per partition"
    );
}

#[test]
fn existing_tombstones_are_passed_over_unless_merged() {
    let source = || {
        Memory(
            [
                record(0, 0, Some("a"), None),
                record(0, 1, None, Some("no key")),
                record(0, 2, Some("b"), Some("x")),
            ]
            .into(),
        )
    };
    let mut sink = Recorder::default();
    let summary = run(&mut source(), &mut Always(Decision::Purge), &mut sink, EACH).unwrap();
    assert_eq!(summary.purged, 1);
    assert_eq!(summary.tombstones_passed, 1);
    assert_eq!(summary.null_keys, 1);
    assert_eq!(
        sink.applied,
        [
            (
                0,
                Action::Skip {
                    reason: SkipReason::ExistingTombstone
                }
            ),
            (
                1,
                Action::Skip {
                    reason: SkipReason::NullKey
                }
            ),
            (2, Action::Purge),
        ]
    );

    let mut sink = Recorder::default();
    let summary = run(
        &mut source(),
        &mut Always(Decision::Merge),
        &mut sink,
        EngineOptions {
            merge_tombstones: true,
            ..EACH
        },
    )
    .unwrap();
    assert_eq!(summary.merged, 3);
    assert_eq!(summary.null_keys, 1);
    assert_eq!(
        sink.applied
            .iter()
            .map(|(_, a)| a.clone())
            .collect::<Vec<_>>(),
        [merge(false), merge(false), merge(true)]
    );
}

#[test]
fn a_failed_write_aborts_the_batch_and_reports_what_was_committed() {
    let mut sink = Recorder {
        fail_apply_at: Some(2),
        ..Recorder::default()
    };
    let error = failing_run(Decision::Merge, &mut sink, BATCH_OF_TWO);
    match error {
        RunError::Failed { source, committed } => {
            assert_eq!(committed.merged, 4, "the first two batches were committed");
            assert!(source.to_string().contains("offset 2"), "{source:#}");
        }
        RunError::Interrupted { .. } => panic!("not interrupted"),
    }
    assert_eq!(sink.aborts, 1);
    assert_eq!(sink.commits.len(), 2);
}

#[test]
fn a_refused_commit_fails_with_nothing_counted() {
    let mut sink = Recorder {
        fail_commit: true,
        ..Recorder::default()
    };
    let error = failing_run(Decision::Purge, &mut sink, EACH);
    assert!(matches!(error, RunError::Failed { committed, .. } if committed == Summary::default()));
    assert_eq!(sink.aborts, 1);
}

/// Raises the interrupt when asked about the record at `at`.
struct InterruptAt {
    at: i64,
    interrupt: Interrupt,
}

impl DecisionSource for InterruptAt {
    fn decide(&mut self, record: &Record, _: Option<&Target>) -> anyhow::Result<Decision> {
        if record.at.offset == self.at && record.at.partition == 0 {
            self.interrupt.raise();
        }
        Ok(Decision::Merge)
    }
}

#[test]
fn an_interrupt_aborts_the_open_batch() {
    let interrupt = Interrupt::new();
    let mut decisions = InterruptAt {
        at: 1,
        interrupt: interrupt.clone(),
    };
    let mut sink = Recorder::default();
    let error = Engine {
        source: &mut five_records(),
        decisions: &mut decisions,
        sink: &mut sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut retry(),
        interrupt,
        options: BATCH_OF_TWO,
    }
    .run()
    .unwrap_err();
    // Records 0/0 and 1/0 were committed; 0/1 was applied, then the interrupt came.
    assert!(
        matches!(&error, RunError::Interrupted { committed } if committed.merged == 2),
        "{error:?}"
    );
    assert_eq!(sink.aborts, 1);
    assert_eq!(sink.commits.len(), 1);
    assert!(sink.uncommitted.is_empty());
}

/// A source whose partition 0 ends (after its last record) at offset 9: markers follow.
struct EndsPastMarkers(Memory, bool);

impl RecordSource for EndsPastMarkers {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        let next = self.0.next_record()?;
        self.1 = next.is_none();
        Ok(next)
    }
    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        if self.1 { vec![(0, 9)] } else { Vec::new() }
    }
}

#[test]
fn a_partition_read_to_its_end_commits_the_end() {
    let mut sink = Recorder::default();
    let mut source = EndsPastMarkers(Memory([record(0, 4, Some("a"), Some("1"))].into()), false);
    run(&mut source, &mut Always(Decision::Merge), &mut sink, EACH).unwrap();
    let offsets: Vec<_> = sink
        .commits
        .iter()
        .map(|(_, o)| o.iter().collect::<Vec<_>>())
        .collect();
    assert_eq!(offsets, [vec![(0, 5)], vec![(0, 9)]]);
}

fn run_filtered(
    source: &mut dyn RecordSource,
    decisions: &mut dyn DecisionSource,
    sink: &mut Recorder,
    filter: &mut dyn RecordFilter,
    observer: &mut dyn Observer,
    options: EngineOptions,
) -> Result<Summary, RunError> {
    Engine {
        source,
        decisions,
        sink,
        observer,
        filter,
        gate: &mut retry(),
        interrupt: Interrupt::new(),
        options,
    }
    .run()
}

#[test]
fn a_left_out_record_holds_back_its_partition_offset() {
    // Records "c" (partition 0, offset 1) is left out: partition 0 must stay at offset 1,
    // even though "e" (0/2) after it is merged; partition 1 moves on.
    let mut filter = crate::triage::Filter {
        key: Some(regex::bytes::Regex::new("^[abde]$").unwrap()),
        ..crate::triage::Filter::default()
    };
    let mut sink = Recorder::default();
    let summary = run_filtered(
        &mut EndsPastMarkers(five_records(), false),
        &mut Always(Decision::Merge),
        &mut sink,
        &mut filter,
        &mut (),
        BATCH_OF_TWO,
    )
    .unwrap();
    assert_eq!(summary.merged, 4);
    assert_eq!(summary.left_out, 1);
    let applied: Vec<_> = sink.applied.iter().map(|(o, _)| *o).collect();
    assert_eq!(applied, [0, 0, 1, 2]);
    let highest = |partition: i32| {
        sink.commits
            .iter()
            .flat_map(|(_, o)| o.iter())
            .filter(|(p, _)| *p == partition)
            .map(|(_, o)| o)
            .max()
    };
    // Not past the left-out record, and not to the end reported for partition 0 either.
    assert_eq!(highest(0), Some(1));
    assert_eq!(highest(1), Some(2));
}

#[test]
fn limit_stops_after_n_matching_records() {
    let mut sink = Recorder::default();
    let summary = run_all(
        Decision::Purge,
        &mut sink,
        EngineOptions {
            limit: Some(3),
            ..EACH
        },
    )
    .unwrap();
    assert_eq!(summary.purged, 3);
    assert_eq!(sink.applied.len(), 3);
}

#[derive(Default)]
struct Warnings(Vec<String>);

impl Observer for Warnings {
    fn on_warning(&mut self, warning: &str) {
        self.0.push(warning.to_owned());
    }
}

#[test]
fn tombstoning_a_key_that_a_kept_record_shares_is_warned() {
    use Decision::{Purge, Skip};
    let source = || {
        Memory(
            [
                record(0, 0, Some("same"), Some("old")),
                record(0, 1, Some("same"), Some("new")),
                record(0, 2, Some("other"), Some("x")),
                record(0, 3, Some("other"), Some("y")),
            ]
            .into(),
        )
    };
    let mut warnings = Warnings::default();
    run_filtered(
        &mut source(),
        &mut Scripted::new([Skip, Purge, Purge, Skip]),
        &mut Recorder::default(),
        &mut (),
        &mut warnings,
        EngineOptions {
            watch_keys: true,
            ..EACH
        },
    )
    .unwrap();
    assert_eq!(warnings.0.len(), 2, "{:?}", warnings.0);
    assert!(
        warnings.0[0].contains("partition 0 offset 1"),
        "{:?}",
        warnings.0
    );
    assert!(
        warnings.0[1].contains("partition 0 offset 3"),
        "{:?}",
        warnings.0
    );
}

/// Admits each record of partition 0 as its offset says: 1 left alone, 2 already decided,
/// 3 a duplicate of 0, 5 undecided (outside a plan), the rest to the decision.
struct ByOffset;

impl Gate for ByOffset {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        Ok(match record.at.offset {
            1 => Admission::LeaveAlone(LeftAlone::NoOrigin),
            2 => Admission::AlreadyDecided,
            3 => Admission::Duplicate {
                of: Record::test(0, 0).at,
            },
            5 => Admission::Undecided,
            _ => Admission::Decide {
                target: Some(Target::topic("retry")),
            },
        })
    }
}

/// A run of `source` through [`ByOffset`], each record committed on its own.
fn run_gated(
    source: &mut dyn RecordSource,
    decisions: &mut dyn DecisionSource,
    sink: &mut Recorder,
) -> Summary {
    Engine {
        source,
        decisions,
        sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut ByOffset,
        interrupt: Interrupt::new(),
        options: EACH,
    }
    .run()
    .unwrap_or_else(|error| panic!("{error}"))
}

/// Merges everything and keeps what it was told, as `(offset, what)`.
#[derive(Default)]
struct Listener {
    told: Vec<(i64, String)>,
}

impl DecisionSource for Listener {
    fn decide(&mut self, _: &Record, target: Option<&Target>) -> anyhow::Result<Decision> {
        assert_eq!(target, Some(&Target::topic("retry")));
        Ok(Decision::Merge)
    }
    fn wants_outcomes(&self) -> bool {
        true
    }
    fn told(&mut self, record: &Record, outcome: Outcome<'_>) -> anyhow::Result<()> {
        let what = match outcome {
            Outcome::Done(action) => format!("{action:?}"),
            Outcome::LeftAlone(why) => format!("left alone: {why}"),
            Outcome::Duplicate { of } => format!("duplicate of {}", of.offset),
        };
        self.told.push((record.at.offset, what));
        Ok(())
    }
}

#[test]
fn the_gate_leaves_alone_passes_over_and_purges_duplicates() {
    let mut source = Memory((0..5).map(|o| record(0, o, Some("k"), Some("v"))).collect());
    let mut decisions = Listener::default();
    let mut sink = Recorder::default();
    let summary = run_gated(&mut source, &mut decisions, &mut sink);
    let applied: Vec<i64> = sink.applied.iter().map(|(offset, _)| *offset).collect();
    assert_eq!(
        applied,
        [0, 2, 3, 4],
        "offset 1 is left alone: nothing applied"
    );
    assert_eq!(sink.applied[2].1, Action::Purge);
    // The committed offset never passes the record left alone at 1.
    assert_eq!(highest_commits(&sink).get(&0), Some(&1));
    assert_eq!(
        (
            summary.merged,
            summary.purged,
            summary.duplicates,
            summary.already_decided
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(summary.left_alone_total(), 1);
    let told: Vec<String> = decisions
        .told
        .iter()
        .map(|(offset, what)| format!("{offset} {what}"))
        .collect();
    assert_eq!(
        told,
        [
            "0 Merge { tombstone: true, to: Target { topic: \"retry\", partition: None }, repair: None }",
            "1 left alone: no origin header, and no destination topic was given",
            "2 Skip { reason: AlreadyDecided }",
            "3 duplicate of 0",
            "3 Purge",
            "4 Merge { tombstone: true, to: Target { topic: \"retry\", partition: None }, repair: None }",
        ]
    );
}

#[test]
fn an_undecided_record_holds_its_partition_back_and_is_not_reported() {
    let mut source = Memory((4..7).map(|o| record(0, o, Some("k"), Some("v"))).collect());
    let mut decisions = Listener::default();
    let mut sink = Recorder::default();
    let summary = run_gated(&mut source, &mut decisions, &mut sink);
    let applied: Vec<i64> = sink.applied.iter().map(|(offset, _)| *offset).collect();
    assert_eq!(applied, [4, 6], "the records around it are carried out");
    assert_eq!(
        highest_commits(&sink).get(&0),
        Some(&5),
        "the offset stops before it"
    );
    assert_eq!(summary.left_alone_total(), 0, "nobody was asked about it");
    assert_eq!(summary.merged, 2);
    let told: Vec<i64> = decisions.told.iter().map(|(offset, _)| *offset).collect();
    assert_eq!(told, [4, 6]);
}

/// A share group's pointer (null key and value) whose record could not be read is no
/// tombstone to pass over: the gate is asked, and a record it leaves alone holds the offset.
#[test]
fn an_unread_pointer_is_not_passed_over_as_a_tombstone() {
    let pointer = Record::test(0, 1)
        .with_key(None)
        .with_value(None)
        .with_header(crate::record::SHARE_DLQ_TOPIC, "orders")
        .with_header(crate::record::SHARE_DLQ_OFFSET, "41");
    let plain_tombstone = Record::test(0, 1).with_value(None);
    for (second, held) in [(pointer, true), (plain_tombstone, false)] {
        let mut source = Memory(
            [
                record(0, 0, Some("k"), Some("v")),
                second,
                record(0, 4, Some("k"), Some("v")),
            ]
            .into(),
        );
        let mut sink = Recorder::default();
        let summary = run_gated(&mut source, &mut Always(Decision::Merge), &mut sink);
        assert_eq!(summary.left_alone_total(), u64::from(held));
        let committed = highest_commits(&sink).get(&0).copied();
        assert_eq!(committed, Some(if held { 1 } else { 5 }));
    }
}

/// A gate that says the merge of offset 2 would write again what offset 0 wrote.
struct Twins;

impl Gate for Twins {
    fn admit(&mut self, _record: &Record) -> anyhow::Result<Admission> {
        Ok(Admission::Decide {
            target: Some(Target::topic("retry")),
        })
    }

    fn revise(&mut self, record: &Record, action: &Action) -> Option<Coordinates> {
        (record.at.offset == 2 && matches!(action, Action::Merge { .. }))
            .then(|| Record::test(0, 0).at)
    }
}

/// A merge the gate revises (a record another pointer sent back already) only purges, and
/// counts as a duplicate; what was asked is told so.
#[test]
fn a_merge_the_gate_revises_only_purges() {
    let mut source = Memory((0..4).map(|o| record(0, o, Some("k"), Some("v"))).collect());
    let mut decisions = Listener::default();
    let mut sink = Recorder::default();
    let summary = Engine {
        source: &mut source,
        decisions: &mut decisions,
        sink: &mut sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut Twins,
        interrupt: Interrupt::new(),
        options: EACH,
    }
    .run()
    .unwrap_or_else(|error| panic!("{error}"));
    let actions: Vec<(i64, bool)> = sink
        .applied
        .iter()
        .map(|(offset, action)| (*offset, *action == Action::Purge))
        .collect();
    assert_eq!(actions, [(0, false), (1, false), (2, true), (3, false)]);
    assert_eq!(
        (summary.merged, summary.purged, summary.duplicates),
        (3, 1, 1)
    );
    assert!(
        decisions
            .told
            .iter()
            .any(|(offset, what)| *offset == 2 && what == "duplicate of 0"),
        "{:?}",
        decisions.told
    );
}

#[test]
fn records_left_alone_at_the_end_are_counted() {
    let mut source = Memory([record(0, 1, Some("k"), Some("v"))].into());
    let mut sink = Recorder::default();
    let summary = run_gated(&mut source, &mut Always(Decision::Merge), &mut sink);
    assert_eq!(summary.left_alone_total(), 1);
    assert!(sink.commits.is_empty(), "nothing to commit");
}

/// Per partition, the highest offset `sink` committed.
fn highest_commits(sink: &Recorder) -> BTreeMap<i32, i64> {
    let mut highest = BTreeMap::new();
    for (partition, offset) in sink.commits.iter().flat_map(|(_, offsets)| offsets.iter()) {
        let at = highest.entry(partition).or_insert(offset);
        *at = (*at).max(offset);
    }
    highest
}

#[test]
fn a_plan_commits_each_partition_up_to_its_first_undecided_record() {
    use Decision::{Merge, Purge, Skip};
    // Two partitions of three records, as the view lists them.
    let commits = |decisions: &[((i32, i64), Decision)]| {
        let mut source = Memory(
            [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
                .map(|(p, o)| record(p, o, Some(&format!("k{p}-{o}")), Some("v")))
                .into(),
        );
        let plan = Rc::new(Plan::new(decisions.iter().copied(), []));
        let mut sink = Recorder::default();
        Engine {
            source: &mut source,
            decisions: &mut PlanDecisions(Rc::clone(&plan)),
            sink: &mut sink,
            observer: &mut (),
            filter: &mut (),
            gate: &mut PlanGate::new(plan, retry()),
            interrupt: Interrupt::new(),
            options: EACH,
        }
        .run()
        .unwrap_or_else(|error| panic!("{error}"));
        highest_commits(&sink)
    };
    assert!(
        commits(&[]).is_empty(),
        "nothing decided, nothing to commit"
    );
    // Partition 0 stops before its undecided record; a skip is a decision, as at the
    // prompt: partition 1 is committed to its end.
    let decided = [
        ((0, 0), Merge),
        ((0, 1), Merge),
        ((1, 0), Purge),
        ((1, 1), Skip),
        ((1, 2), Purge),
    ];
    assert_eq!(commits(&decided), BTreeMap::from([(0, 2), (1, 3)]));
    let all = [decided.as_slice(), &[((0, 2), Purge)]].concat();
    assert_eq!(commits(&all), BTreeMap::from([(0, 3), (1, 3)]));
}

#[test]
fn a_null_key_below_the_groups_offset_is_left_alone_without_holding_its_partition() {
    let mut sink = Recorder::default();
    let summary = Engine {
        source: &mut Memory(
            [
                record(0, 0, None, Some("merged before, perhaps")),
                record(0, 1, Some("a"), Some("1")),
            ]
            .into(),
        ),
        decisions: &mut Always(Decision::Merge),
        sink: &mut sink,
        observer: &mut (),
        filter: &mut (),
        gate: &mut crate::triage::NullKeysBelow {
            inner: retry(),
            floor: [(0, 1)].into(),
        },
        interrupt: Interrupt::new(),
        options: EACH,
    }
    .run()
    .unwrap();
    assert_eq!(summary.merged, 1);
    assert_eq!(summary.left_alone_total(), 1);
    assert_eq!(sink.applied, [(1, merge(true))]);
    // The merge moves the offset on: the record left alone is below the group's offset.
    assert_eq!(sink.commits[0].1.iter().collect::<Vec<_>>(), [(0, 2)]);
}

mod generated;
mod repairs;
mod shared;

/// A source that approves only partition 0 of what it is asked to commit, with a note.
struct Approving(Memory);

impl RecordSource for Approving {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        self.0.next_record()
    }
    fn approve(&self, offsets: Offsets) -> Offsets {
        let mut approved: Offsets = offsets.iter().filter(|&(p, _)| p == 0).collect();
        approved.annotate(0, "mine".to_owned());
        approved
    }
}

/// The sink commits what the source approved, never the batch's offsets as they were.
#[test]
fn the_sink_commits_what_the_source_approved() {
    let mut sink = Recorder::default();
    let summary = run(
        &mut Approving(five_records()),
        &mut Always(Decision::Purge),
        &mut sink,
        BATCH_OF_TWO,
    )
    .unwrap();
    assert_eq!(summary.purged, 5);
    assert!(!sink.commits.is_empty());
    for (_, offsets) in &sink.commits {
        assert!(
            offsets.iter().all(|(partition, _)| partition == 0),
            "{offsets}"
        );
        assert_eq!(offsets.metadata(0), Some("mine"));
    }
    let last = sink.commits.iter().filter_map(|(_, o)| o.get(0)).max();
    assert_eq!(last, Some(3), "partition 0 committed to its end");
}
