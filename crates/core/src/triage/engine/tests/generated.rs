//! Generated cases (DESIGN §9): random DLQs (shared keys, null keys, tombstones already in
//! them, records over the replay limit), random filters, aborted batches and partitions read
//! again, several runs and groups in a row, all against an in-memory DLQ that the sink appends
//! its markers to. Invariants: no record is written twice; no group's committed offset passes
//! a record that is still undecided; the audit sees exactly the committed decisions; after a
//! last plain run nothing is left undecided.
//!
//! `KMP_ENGINE_SEED` replays one case; `KMP_ENGINE_CASES` sets how many (default 300).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::record::Header;
use crate::redrive::{
    DECIDED_OFFSET, Redrive, Router, Routing, TombstoneIndex, TopicCatalog, TopicState,
};
use crate::triage::{Always, Decision, SkipReason};

/// The DLQ, the destination and the groups' offsets.
#[derive(Debug, Default)]
struct World {
    dlq: Vec<Vec<Record>>,
    groups: HashMap<String, BTreeMap<i32, i64>>,
    /// The source records written to the destination, committed, with the group.
    copies: Vec<(i32, i64)>,
    /// The source records purged, committed.
    purges: Vec<(i32, i64)>,
    /// Per partition, how many records were there before the runs (the runs only append).
    originals: Vec<i64>,
    /// Records merged by the other instances ([`World::other_instance`]).
    others: usize,
    /// Null-key records a group skipped (purged where no marker can be written), committed.
    skipped: BTreeSet<(String, (i32, i64))>,
    /// Null-key records written without a marker (a compacted DLQ), with the group.
    unmarked: Vec<(String, (i32, i64))>,
}

impl World {
    fn generate(rng: &mut StdRng) -> Self {
        let partitions = rng.random_range(1..=3);
        let mut world = Self::default();
        for partition in 0..partitions {
            let count = rng.random_range(0..25);
            let mut log = Vec::new();
            for offset in 0..count {
                let key = match rng.random_range(0..10) {
                    0 => None,
                    k => Some(format!("k{}", k % 6)),
                };
                let value = (rng.random_range(0..10) != 0).then(|| format!("v{offset}"));
                let mut record = Record::test(partition, offset)
                    .with_key(key.as_deref().map(str::as_bytes))
                    .with_value(value.as_deref().map(str::as_bytes));
                if rng.random_range(0..6) == 0 {
                    record = record.with_header(crate::redrive::REPLAY_COUNT, "3");
                }
                log.push(record);
            }
            world.originals.push(count);
            world.dlq.push(log);
        }
        world
    }

    /// Another instance of `group` merges the undecided records of `partition` from the
    /// group's offset up to `upto`, leaving alone those with a null key or a replay count
    /// (its offset then stays before the first of them).
    fn other_instance(&mut self, group: &str, partition: i32, upto: i64) {
        let from = self.committed(group, partition);
        let mut index = TombstoneIndex::default();
        self.scan(partition, from, &mut index);
        let log = usize::try_from(partition).unwrap();
        let mut held = false;
        let mut next = from;
        for offset in from..upto {
            let record = self.dlq[log][usize::try_from(offset).unwrap()].clone();
            if record.is_tombstone() || !index.is_pending(&record) {
            } else if record.key.is_none() || crate::redrive::replay_count(&record) != Ok(0) {
                held = true;
            } else {
                let marker_offset = i64::try_from(self.dlq[log].len()).unwrap();
                let mut marker = Record::test(partition, marker_offset)
                    .with_key(record.key.as_deref())
                    .with_value(None);
                marker.headers = vec![Header {
                    name: DECIDED_OFFSET.into(),
                    value: Some(offset.to_string().into_bytes()),
                }];
                self.dlq[log].push(marker);
                self.copies.push((partition, offset));
                self.others += 1;
            }
            if !held {
                next = offset + 1;
            }
        }
        let at = self
            .groups
            .entry(group.to_owned())
            .or_default()
            .entry(partition)
            .or_default();
        *at = (*at).max(next);
    }

    fn committed(&self, group: &str, partition: i32) -> i64 {
        self.groups
            .get(group)
            .and_then(|offsets| offsets.get(&partition))
            .copied()
            .unwrap_or(0)
    }

    /// What the DLQ says was decided (what a run's first pass finds), from `starts`.
    fn index(&self, starts: &BTreeMap<i32, i64>) -> TombstoneIndex {
        let mut index = TombstoneIndex::default();
        for (&partition, &from) in starts {
            self.scan(partition, from, &mut index);
        }
        index
    }

    fn scan(&self, partition: i32, from: i64, index: &mut TombstoneIndex) {
        let log = &self.dlq[usize::try_from(partition).unwrap()];
        for record in &log[usize::try_from(from).unwrap().min(log.len())..] {
            index.add(record);
        }
    }
}

/// One run's source: every partition from the group's committed offset to its end when the
/// run began, partitions interleaved at random; after an abort, read again from the
/// committed offsets, some reported as read again (as partitions coming back would be).
struct Source<'w> {
    world: &'w RefCell<World>,
    group: String,
    ends: BTreeMap<i32, i64>,
    next: BTreeMap<i32, i64>,
    rereads: Vec<(i32, i64)>,
    finished: Vec<(i32, i64)>,
    reported: BTreeSet<i32>,
    /// Partitions may go to another instance and come back after an abort.
    moves: bool,
    rng: StdRng,
}

impl RecordSource for Source<'_> {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        // A partition read to its end is reported once (as a real source does when it reads
        // past the last record), so that its offset can be held at a record left alone.
        for (&partition, &next) in &self.next {
            if next >= self.ends[&partition] && self.reported.insert(partition) {
                self.finished.push((partition, self.ends[&partition]));
            }
        }
        let open: Vec<i32> = self
            .next
            .iter()
            .filter(|(p, next)| **next < self.ends[*p])
            .map(|(&p, _)| p)
            .collect();
        if open.is_empty() {
            return Ok(None);
        }
        let partition = open[self.rng.random_range(0..open.len())];
        let next = self.next.get_mut(&partition).unwrap();
        let record = self.world.borrow().dlq[usize::try_from(partition).unwrap()]
            [usize::try_from(*next).unwrap()]
        .clone();
        *next += 1;
        Ok(Some(record))
    }

    fn take_rereads(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.rereads)
    }

    fn take_finished(&mut self) -> Vec<(i32, i64)> {
        std::mem::take(&mut self.finished)
    }

    fn settle(&mut self, committed: bool) -> anyhow::Result<()> {
        if !committed {
            self.finished.clear();
            self.reported.clear();
            let partitions: Vec<i32> = self.next.keys().copied().collect();
            for partition in partitions {
                // Some partitions went to another instance of the group, which decided some
                // of their records, and came back (what the DLQ says of them must be looked
                // up again); the others stayed, and the engine knows what it committed.
                if self.moves && self.rng.random_bool(0.3) {
                    let upto = self.rng.random_range(0..=self.ends[&partition]);
                    self.world
                        .borrow_mut()
                        .other_instance(&self.group, partition, upto);
                    let next = self.world.borrow().committed(&self.group, partition);
                    self.rereads.push((partition, next));
                }
                let next = self.world.borrow().committed(&self.group, partition);
                self.next.insert(partition, next);
            }
        }
        Ok(())
    }
}

/// Carries the actions out on the world at each commit; refuses some commits and writes as a
/// rebalance or a failed transaction would.
struct Sink<'w> {
    world: &'w RefCell<World>,
    group: String,
    keyless_markers: bool,
    copies: Vec<(i32, i64)>,
    purges: Vec<(i32, i64)>,
    markers: Vec<(i32, Option<Vec<u8>>, i64)>,
    unmarked: Vec<(i32, i64)>,
    skips: Vec<(i32, i64)>,
    fail_one_in: u32,
    refuse_first_commit: bool,
    commits: usize,
    rng: StdRng,
}

impl Sink<'_> {
    fn refuse(&mut self) -> bool {
        self.fail_one_in > 0 && self.rng.random_range(0..self.fail_one_in) == 0
    }

    /// Whether this commit is refused: the first one when the run says so, else at random.
    fn refuse_commit(&mut self) -> bool {
        self.commits += 1;
        (self.refuse_first_commit && self.commits == 1) || self.refuse()
    }
}

impl ActionSink for Sink<'_> {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if action.writes() && self.refuse() {
            return Err(anyhow::Error::new(BatchAborted("records timed out".into())));
        }
        let at = (record.at.partition, record.at.offset);
        match action {
            Action::Merge { .. } => self.copies.push(at),
            Action::Purge => self.purges.push(at),
            Action::Skip {
                reason: SkipReason::NullKey,
            } => {
                self.skips.push(at);
                return Ok(());
            }
            Action::Skip { .. } => return Ok(()),
        }
        if record.key.is_some() || self.keyless_markers {
            self.markers.push((at.0, record.key.clone(), at.1));
        } else {
            self.unmarked.push(at);
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        if self.refuse_commit() {
            return Err(anyhow::Error::new(BatchAborted("generation moved".into())));
        }
        let mut world = self.world.borrow_mut();
        for (partition, key, offset) in self.markers.drain(..) {
            let log = &mut world.dlq[usize::try_from(partition).unwrap()];
            let mut marker = Record::test(partition, i64::try_from(log.len()).unwrap())
                .with_key(key.as_deref())
                .with_value(None);
            marker.headers = vec![Header {
                name: DECIDED_OFFSET.into(),
                value: Some(offset.to_string().into_bytes()),
            }];
            log.push(marker);
        }
        world.copies.append(&mut self.copies);
        world.purges.append(&mut self.purges);
        let group = self.group.clone();
        world
            .unmarked
            .extend(self.unmarked.drain(..).map(|at| (group.clone(), at)));
        world
            .skipped
            .extend(self.skips.drain(..).map(|at| (group.clone(), at)));
        // As the committer of a shared group does: a partition read to its end with a record
        // left alone gets the offset of that record (or past it, what was processed).
        let group = world.groups.entry(self.group.clone()).or_default();
        let held: BTreeMap<i32, i64> = offsets
            .held_back()
            .map(|(partition, held)| (partition, held.at))
            .collect();
        let mut commits: BTreeMap<i32, i64> = offsets.iter().collect();
        for (&partition, &at) in &held {
            let next = commits.get(&partition).copied().unwrap_or(at);
            commits.insert(partition, next.max(at));
        }
        for (partition, next) in commits {
            let at = group.entry(partition).or_default();
            *at = (*at).max(next);
        }
        Ok(())
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        self.copies.clear();
        self.purges.clear();
        self.markers.clear();
        self.unmarked.clear();
        self.skips.clear();
        Ok(())
    }
}

/// Counts audit lines as the audit log writes them: at the commit, none for aborted batches.
#[derive(Default)]
struct Audit {
    pending: u64,
    lines: u64,
}

impl Observer for Audit {
    fn on_action(&mut self, _record: &Record, action: &Action) -> anyhow::Result<()> {
        if action.writes() {
            self.pending += 1;
        }
        Ok(())
    }
    fn on_commit(&mut self, _total: &Summary) -> anyhow::Result<()> {
        self.lines += std::mem::take(&mut self.pending);
        Ok(())
    }
    fn on_abort(&mut self) {
        self.pending = 0;
    }
}

struct NoTopics;

impl TopicCatalog for NoTopics {
    fn partitions(&mut self, _topic: &str) -> anyhow::Result<TopicState> {
        Ok(TopicState::Missing)
    }
}

/// Keys in a set pass.
struct Keys(BTreeSet<String>);

impl RecordFilter for Keys {
    fn matches(&mut self, record: &Record) -> bool {
        record
            .key
            .as_deref()
            .is_some_and(|key| self.0.contains(std::str::from_utf8(key).unwrap()))
    }
}

/// How one run is made.
#[derive(Debug)]
struct RunSpec {
    group: String,
    merge: bool,
    keys: Option<BTreeSet<String>>,
    max_replays: Option<u64>,
    fail_one_in: u32,
    refuse_first_commit: bool,
    /// Partitions move to another instance (which decides some records) and back.
    moves: bool,
    batch: usize,
}

impl RunSpec {
    fn random(rng: &mut StdRng) -> Self {
        Self {
            group: format!("g{}", rng.random_range(0..2)),
            merge: rng.random_range(0..3) != 0,
            keys: (rng.random_range(0..3) == 0).then(|| {
                (0..6)
                    .filter(|_| rng.random_bool(0.5))
                    .map(|k| format!("k{k}"))
                    .collect()
            }),
            max_replays: (rng.random_range(0..3) == 0).then_some(3),
            fail_one_in: [0, 4, 10][rng.random_range(0..3)],
            refuse_first_commit: rng.random_bool(0.2),
            moves: rng.random_bool(0.5),
            batch: rng.random_range(1..6),
        }
    }

    fn plain(group: &str) -> Self {
        Self {
            group: group.into(),
            merge: true,
            keys: None,
            max_replays: None,
            fail_one_in: 0,
            refuse_first_commit: false,
            moves: false,
            batch: 4,
        }
    }
}

/// Runs `spec` on `world`; `Err` only for a run that gave up (the abort budget).
fn run_once(
    world: &RefCell<World>,
    spec: &RunSpec,
    keyless_markers: bool,
    rng: &mut StdRng,
) -> (Result<Summary, RunError>, Audit) {
    let partitions = i32::try_from(world.borrow().dlq.len()).unwrap();
    let starts: BTreeMap<i32, i64> = (0..partitions)
        .map(|p| (p, world.borrow().committed(&spec.group, p)))
        .collect();
    let ends: BTreeMap<i32, i64> = (0..partitions)
        .map(|p| {
            let len = world.borrow().dlq[usize::try_from(p).unwrap()].len();
            (p, i64::try_from(len).unwrap())
        })
        .collect();
    let index = world.borrow().index(&starts);
    let mut source = Source {
        world,
        group: spec.group.clone(),
        ends,
        next: starts,
        rereads: Vec::new(),
        finished: Vec::new(),
        reported: BTreeSet::new(),
        moves: spec.moves,
        rng: StdRng::seed_from_u64(rng.random()),
    };
    let mut sink = Sink {
        world,
        group: spec.group.clone(),
        keyless_markers,
        copies: Vec::new(),
        purges: Vec::new(),
        markers: Vec::new(),
        unmarked: Vec::new(),
        skips: Vec::new(),
        fail_one_in: spec.fail_one_in,
        refuse_first_commit: spec.refuse_first_commit,
        commits: 0,
        rng: StdRng::seed_from_u64(rng.random()),
    };
    let mut gate = Redrive {
        router: spec
            .merge
            .then(|| Router::new(Routing::Fixed(Arc::from("retry")), "dlq", false, NoTopics)),
        max_replays: spec.max_replays,
        pending: Some(index),
        rescan: Some(Box::new(
            |partitions: &[(i32, i64)], index: &mut TombstoneIndex| {
                for &(partition, from) in partitions {
                    world.borrow().scan(partition, from, index);
                }
                Ok(())
            },
        )),
        dedupe: None,
        retention: None,
        pointed: crate::redrive::PointedTo::default(),
    };
    let mut audit = Audit::default();
    let mut keys = spec.keys.clone().map(Keys);
    let mut no_filter = ();
    let filter: &mut dyn RecordFilter = match &mut keys {
        Some(keys) => keys,
        None => &mut no_filter,
    };
    let result = Engine {
        source: &mut source,
        decisions: &mut Always(if spec.merge {
            Decision::Merge
        } else {
            Decision::Purge
        }),
        sink: &mut sink,
        observer: &mut audit,
        filter,
        gate: &mut gate,
        interrupt: Interrupt::default(),
        options: EngineOptions {
            merge_tombstones: false,
            policy: CommitPolicy::Batch {
                max_records: spec.batch,
                max_age: Duration::from_secs(3600),
            },
            limit: None,
            watch_keys: false,
            unmarked_null_keys: !keyless_markers,
        },
    }
    .run();
    (result, audit)
}

/// Whether the record at `offset` of `partition` is decided, known without the index under
/// test: written (merged or purged) by some run, or followed by a tombstone of its key that
/// was in the DLQ before any run (another tool's; the markers the runs wrote decide only the
/// offset they name, and those are written records).
fn decided(world: &World, partition: i32, offset: i64) -> bool {
    let at = (partition, offset);
    if world.copies.contains(&at) || world.purges.contains(&at) {
        return true;
    }
    let p = usize::try_from(partition).unwrap();
    let log = &world.dlq[p];
    let record = &log[usize::try_from(offset).unwrap()];
    let originals = usize::try_from(world.originals[p]).unwrap();
    record.key.is_some()
        && log[usize::try_from(offset).unwrap() + 1..originals]
            .iter()
            .any(|later| later.is_tombstone() && later.key == record.key)
}

fn check_case(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let world = RefCell::new(World::generate(&mut rng));
    let keyless_markers = rng.random_bool(0.5);
    let runs = rng.random_range(1..6);
    let mut specs: Vec<RunSpec> = (0..runs).map(|_| RunSpec::random(&mut rng)).collect();
    specs.push(RunSpec::plain("last"));
    for spec in &specs {
        let written_before = {
            let world = world.borrow();
            world.copies.len() + world.purges.len() - world.others
        };
        let (result, audit) = run_once(&world, spec, keyless_markers, &mut rng);
        let world = world.borrow();
        let written = world.copies.len() + world.purges.len() - world.others - written_before;
        let context = format!("seed {seed}, run {spec:?}, result {result:?}");
        // The audit holds exactly the committed decisions.
        assert_eq!(audit.lines, written as u64, "{context}");
        if let Ok(summary) = &result {
            assert_eq!(summary.merged + summary.purged, written as u64, "{context}");
        }
        // No record written twice, by any run of any group; a null-key record that could
        // not be marked (a compacted DLQ) is known to its group only: never twice by one.
        let unmarked: BTreeSet<(i32, i64)> = world.unmarked.iter().map(|(_, at)| *at).collect();
        let mut seen = BTreeSet::new();
        for at in world.copies.iter().chain(&world.purges) {
            assert!(
                seen.insert(*at) || unmarked.contains(at),
                "{at:?} written twice; {context}"
            );
        }
        let mut per_group = BTreeSet::new();
        for entry in &world.unmarked {
            assert!(
                per_group.insert(entry.clone()),
                "{entry:?} written twice by its group; {context}"
            );
        }
        // No committed offset past an undecided record.
        for (partition, log) in world.dlq.iter().enumerate() {
            let partition = i32::try_from(partition).unwrap();
            let committed = world.committed(&spec.group, partition);
            for record in &log[..usize::try_from(committed).unwrap()] {
                if record.is_tombstone() || record.marked_offset().is_some() {
                    continue;
                }
                let at = (partition, record.at.offset);
                // A null key that cannot be marked cannot be purged either: a skip, which the
                // group's offset passes (skips are per group).
                let skipped = world.skipped.contains(&(spec.group.clone(), at));
                assert!(
                    skipped || decided(&world, partition, record.at.offset),
                    "group {} committed {partition}/{committed} past the undecided record at {at:?}; {context}",
                    spec.group
                );
            }
        }
    }
    // After the last plain run, every original record is decided.
    let world = world.borrow();
    for (partition, log) in world.dlq.iter().enumerate() {
        let partition = i32::try_from(partition).unwrap();
        let originals = world.originals[usize::try_from(partition).unwrap()];
        for record in log.iter().filter(|r| r.at.offset < originals) {
            if record.is_tombstone() {
                continue;
            }
            let at = (partition, record.at.offset);
            assert!(
                decided(&world, partition, at.1),
                "seed {seed}: {at:?} left undecided after a plain run"
            );
        }
    }
}

#[test]
fn generated_runs_never_write_a_record_twice_nor_pass_an_undecided_one() {
    if let Some(seed) = std::env::var("KMP_ENGINE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        check_case(seed);
        return;
    }
    let cases: u64 = std::env::var("KMP_ENGINE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    for seed in 0..cases {
        check_case(seed);
    }
}

/// The case the generated ones found rarely: a null-key record merged (no marker can be
/// written) and a record left alone after it in one batch, the batch aborted and read again.
/// The partition must not stay held at the record left alone from before the abort: the
/// null-key record is merged again (it never was), and the offset stops before the record
/// left alone, not past an undecided one.
#[test]
fn a_batch_read_again_is_held_where_it_is_left_alone_now() {
    let null_key = Record::test(0, 0).with_key(None);
    let bounced = Record::test(0, 1).with_header(crate::redrive::REPLAY_COUNT, "3");
    let keyed = Record::test(0, 2).with_key(Some(b"k2"));
    let world = RefCell::new(World {
        dlq: vec![vec![null_key, bounced, keyed]],
        originals: vec![3],
        ..World::default()
    });
    let spec = RunSpec {
        group: "g".into(),
        merge: true,
        keys: None,
        max_replays: Some(3),
        fail_one_in: 0,
        refuse_first_commit: true,
        moves: false,
        batch: 10,
    };
    let (result, audit) = run_once(&world, &spec, false, &mut StdRng::seed_from_u64(1));
    let summary = result.unwrap();
    assert_eq!((summary.merged, audit.lines), (2, 2));
    let world = world.borrow();
    assert_eq!(world.copies, [(0, 0), (0, 2)]);
    assert_eq!(
        world.committed("g", 0),
        1,
        "held before the record left alone"
    );
}
