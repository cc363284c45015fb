//! Decisions made ahead, by record coordinates (the triage view's pending decisions), carried
//! out by the engine like any other: [`PlanGate`] leaves every record the plan does not cover
//! alone (so the committed offset of its partition stops before it, DESIGN §8) and passes
//! records already written over; [`PlanDecisions`] answers for the rest from the plan.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use crate::record::Record;
use crate::repair::{Repair, Repaired};

use super::{Action, Admission, Decision, DecisionSource, Gate, Target};

/// What to do with which record, and what was done already.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    decisions: HashMap<(i32, i64), Decision>,
    /// Written by an earlier run of the same plan: passed over, their offsets may be committed.
    written: HashSet<(i32, i64)>,
    /// What the merges of edited records write.
    repairs: HashMap<(i32, i64), Arc<Repair>>,
}

impl Plan {
    /// `decisions` to carry out, by partition and offset; `written` were carried out before.
    #[must_use]
    pub fn new(
        decisions: impl IntoIterator<Item = ((i32, i64), Decision)>,
        written: impl IntoIterator<Item = (i32, i64)>,
    ) -> Self {
        Self {
            decisions: decisions.into_iter().collect(),
            written: written.into_iter().collect(),
            repairs: HashMap::new(),
        }
    }

    /// The same plan, whose merges of these records write their repairs.
    #[must_use]
    pub fn with_repairs(mut self, repairs: HashMap<(i32, i64), Arc<Repair>>) -> Self {
        self.repairs = repairs;
        self
    }

    /// How many decisions are to be carried out.
    #[must_use]
    pub fn len(&self) -> usize {
        self.decisions.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }

    #[must_use]
    pub fn decision(&self, partition: i32, offset: i64) -> Option<Decision> {
        self.decisions.get(&(partition, offset)).copied()
    }

    /// Per partition, where a run of this plan may stop reading: one past its last planned or
    /// written record. `view_ends` (what the decisions were made on) bounds it: a partition
    /// whose every record up to there is covered reads to that end, so the offsets past its
    /// last record (transaction markers) are committed too.
    #[must_use]
    pub fn read_until(
        &self,
        view_ends: &BTreeMap<i32, i64>,
        fully_covered: &HashSet<i32>,
    ) -> BTreeMap<i32, i64> {
        let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
        for &(partition, offset) in self.decisions.keys().chain(&self.written) {
            let end = ends.entry(partition).or_insert(offset + 1);
            *end = (*end).max(offset + 1);
        }
        for (partition, end) in &mut ends {
            if let Some(&view_end) = view_ends.get(partition) {
                *end = if fully_covered.contains(partition) {
                    view_end
                } else {
                    (*end).min(view_end)
                };
            }
        }
        ends
    }
}

/// Lets the records of the plan through to the decision (and `inner`, the redrive options),
/// passes records written before over, and leaves everything else alone.
pub struct PlanGate<G> {
    plan: Rc<Plan>,
    inner: G,
    settled: Option<Settled>,
}

/// Whether a record is decided already, by something outside the plan (`--pending`: a later
/// tombstone has its key).
pub type Settled = Box<dyn FnMut(&Record) -> bool>;

impl<G: Gate> PlanGate<G> {
    pub fn new(plan: Rc<Plan>, inner: G) -> Self {
        Self {
            plan,
            inner,
            settled: None,
        }
    }

    /// Passes the records outside the plan that `settled` says are decided, as the view
    /// did not list them.
    #[must_use]
    pub fn settled_by(mut self, settled: Settled) -> Self {
        self.settled = Some(settled);
        self
    }
}

impl<G: Gate> Gate for PlanGate<G> {
    fn admit(&mut self, record: &Record) -> anyhow::Result<Admission> {
        let at = (record.at.partition, record.at.offset);
        if self.plan.decisions.contains_key(&at) {
            self.inner.admit(record)
        } else if self.plan.written.contains(&at)
            || self.settled.as_mut().is_some_and(|settled| settled(record))
        {
            Ok(Admission::AlreadyDecided)
        } else {
            Ok(Admission::Undecided)
        }
    }

    fn revise(&mut self, record: &Record, action: &Action) -> Option<crate::record::Coordinates> {
        self.inner.revise(record, action)
    }

    fn decided(&mut self, record: &Record, action: &Action) {
        self.inner.decided(record, action);
    }

    fn aborted(&mut self) {
        self.inner.aborted();
    }

    fn committed(&mut self, at: &crate::record::Coordinates) {
        self.inner.committed(at);
    }

    fn reread(&mut self, partitions: &[(i32, i64)]) -> anyhow::Result<()> {
        self.inner.reread(partitions)
    }
}

/// Answers from the plan; a record the plan does not cover (the gate lets none through) ends
/// the run.
pub struct PlanDecisions(pub Rc<Plan>);

impl DecisionSource for PlanDecisions {
    fn decide(&mut self, record: &Record, target: Option<&Target>) -> anyhow::Result<Decision> {
        let decision = self
            .0
            .decision(record.at.partition, record.at.offset)
            .unwrap_or(Decision::Quit);
        // A merge with nowhere to go cannot be planned; purge-only runs have no view.
        if decision == Decision::Merge && target.is_none() {
            anyhow::bail!(
                "the record at partition {} offset {} cannot be merged: no destination",
                record.at.partition,
                record.at.offset
            );
        }
        Ok(decision)
    }

    fn repair(&mut self, record: &Record, _to: &Target) -> anyhow::Result<Repaired> {
        Ok(self
            .0
            .repairs
            .get(&(record.at.partition, record.at.offset))
            .map_or(Repaired::AsIs, |repair| {
                Repaired::Repaired(Arc::clone(repair))
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::OpenGate;

    fn target() -> Target {
        Target {
            topic: "retry".into(),
            partition: None,
        }
    }

    #[test]
    fn the_gate_covers_the_plan_and_nothing_else() {
        let plan = Rc::new(Plan::new(
            [((0, 1), Decision::Merge), ((1, 0), Decision::Skip)],
            [(0, 0)],
        ));
        let mut gate = PlanGate::new(Rc::clone(&plan), OpenGate(Some(target())));
        assert_eq!(
            gate.admit(&Record::test(0, 0)).ok(),
            Some(Admission::AlreadyDecided)
        );
        assert_eq!(
            gate.admit(&Record::test(0, 1)).ok(),
            Some(Admission::Decide {
                target: Some(target())
            })
        );
        assert_eq!(
            gate.admit(&Record::test(0, 2)).ok(),
            Some(Admission::Undecided)
        );
        // --pending: a record the view did not list because it is decided already passes.
        let mut gate = PlanGate::new(Rc::clone(&plan), OpenGate(Some(target())))
            .settled_by(Box::new(|record: &Record| record.at.offset == 7));
        assert_eq!(
            gate.admit(&Record::test(0, 7)).ok(),
            Some(Admission::AlreadyDecided)
        );
        assert_eq!(
            gate.admit(&Record::test(0, 8)).ok(),
            Some(Admission::Undecided)
        );
        let mut decisions = PlanDecisions(plan);
        let decide =
            |d: &mut PlanDecisions, p, o| d.decide(&Record::test(p, o), Some(&target())).ok();
        assert_eq!(decide(&mut decisions, 0, 1), Some(Decision::Merge));
        assert_eq!(decide(&mut decisions, 1, 0), Some(Decision::Skip));
        assert_eq!(decide(&mut decisions, 1, 5), Some(Decision::Quit));
        assert!(
            decisions.decide(&Record::test(0, 1), None).is_err(),
            "a merge needs a destination"
        );
    }

    #[test]
    fn reading_stops_after_the_last_covered_record() {
        let plan = Plan::new(
            [((0, 3), Decision::Purge), ((1, 9), Decision::Merge)],
            [(0, 5)],
        );
        let view_ends = BTreeMap::from([(0, 10), (1, 10), (2, 10)]);
        assert_eq!(
            plan.read_until(&view_ends, &HashSet::new()),
            BTreeMap::from([(0, 6), (1, 10)]),
            "partition 2 has nothing planned: not read"
        );
        // Partition 1 is covered to its end, which lies past a transaction marker.
        let view_ends = BTreeMap::from([(0, 10), (1, 12)]);
        assert_eq!(
            plan.read_until(&view_ends, &HashSet::from([1])),
            BTreeMap::from([(0, 6), (1, 12)])
        );
    }
}
