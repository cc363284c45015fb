//! The state of the full-screen triage view (issue 19), without a terminal: the records as one
//! line each, their failure classes, the class filter, the selection, the pending decisions,
//! and the search. What the view draws and which keys it maps are built on this; everything a
//! key does is a method here, so it is tested without a screen.
//!
//! Rows arrive while the view is open (the index is read in the background) and are appended
//! in the order read: offset order within each partition. Decisions stay pending until they
//! are written: [`ViewState::pending`] gives them (the engine then commits each partition up
//! to its first undecided record: it is left alone, DESIGN §8), and
//! [`ViewState::mark_written`] locks what was written. The counts are kept as decisions
//! change, so drawing the header costs nothing, whatever the size of the queue.

use std::collections::{BTreeMap, HashSet};
use std::ops::AddAssign;

use crate::triage::Decision;

use super::short::ShortText;

/// One record of the queue, as its line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    /// The key as shown on one line, already cut.
    pub key: ShortText,
    /// Index into [`ViewState::classes`] (see [`Row::class`]); 32 bits, as a million rows
    /// are held.
    pub class_index: u32,
    pub replays: Option<u32>,
    /// Index into the view's origins (topic and failed group the DLQ's headers name),
    /// [`Row::NO_ORIGIN`] for none.
    pub origin_index: u32,
}

impl Row {
    /// [`Row::origin_index`] of a record whose headers name no origin.
    pub const NO_ORIGIN: u32 = u32::MAX;

    /// Index into [`ViewState::classes`].
    #[must_use]
    pub fn class(&self) -> usize {
        self.class_index as usize
    }
}

/// A failure class and how many records have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub name: Box<str>,
    pub count: usize,
}

/// How many records are decided each way, and how many are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub merge: usize,
    pub purge: usize,
    pub skip: usize,
    pub undecided: usize,
    /// Decided and written already (not in the other counts).
    pub written: usize,
}

impl Counts {
    /// The count `slot` is in.
    fn of(&mut self, slot: Slot) -> &mut usize {
        match slot {
            Slot::Written(_) => &mut self.written,
            Slot::Pending(Decision::Merge) => &mut self.merge,
            Slot::Pending(Decision::Purge) => &mut self.purge,
            Slot::Pending(Decision::Skip) => &mut self.skip,
            Slot::Open | Slot::Pending(Decision::Quit) => &mut self.undecided,
        }
    }

    /// Decisions waiting to be written.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.merge + self.purge + self.skip
    }
}

impl AddAssign<Slot> for Counts {
    fn add_assign(&mut self, slot: Slot) {
        *self.of(slot) += 1;
    }
}

/// Where a record's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Open,
    Pending(Decision),
    Written(Decision),
}

impl Slot {
    fn decision(self) -> Option<Decision> {
        match self {
            Self::Open => None,
            Self::Pending(decision) | Self::Written(decision) => Some(decision),
        }
    }
}

/// The view's state.
#[derive(Debug, Default)]
pub struct ViewState {
    rows: Vec<Row>,
    classes: Vec<Class>,
    /// Per row, its decision.
    slots: Vec<Slot>,
    counts: Counts,
    /// Per partition, its rows in offset order.
    by_partition: BTreeMap<i32, Vec<usize>>,
    /// The class shown, `None` for all.
    filter: Option<usize>,
    /// The rows the filter lets through, in row order.
    visible: Vec<usize>,
    /// Index into `visible`.
    selected: usize,
}

impl ViewState {
    /// The view over `rows` (in the order they are listed), whose classes are indexes into
    /// `class_names`. Classes are counted here.
    #[must_use]
    pub fn new(rows: Vec<Row>, class_names: Vec<String>) -> Self {
        let mut view = Self::default();
        view.add_classes(class_names);
        view.extend(rows);
        view
    }

    /// Room for `rows` rows, taken at once: growing a vector of a million rows by doubling
    /// would hold the old and the new one at the same time. (Untouched room costs address
    /// space, not memory.)
    pub fn reserve(&mut self, rows: usize) {
        self.rows.reserve_exact(rows);
        self.slots.reserve_exact(rows);
        self.visible.reserve_exact(rows);
    }

    /// New failure classes, numbered after the known ones.
    pub fn add_classes(&mut self, names: impl IntoIterator<Item = String>) {
        self.classes.extend(names.into_iter().map(|name| Class {
            name: name.into(),
            count: 0,
        }));
    }

    /// Rows read since, appended (each partition's in offset order).
    pub fn extend(&mut self, rows: impl IntoIterator<Item = Row>) {
        for row in rows {
            let index = self.rows.len();
            if let Some(class) = self.classes.get_mut(row.class()) {
                class.count += 1;
            }
            if self.filter.is_none_or(|class| class == row.class()) {
                self.visible.push(index);
            }
            self.by_partition
                .entry(row.partition)
                .or_default()
                .push(index);
            self.rows.push(row);
            self.slots.push(Slot::Open);
            self.counts += Slot::Open;
        }
    }

    /// The row of the record at `offset` of `partition`.
    #[must_use]
    pub fn row_at(&self, partition: i32, offset: i64) -> Option<usize> {
        let rows = self.by_partition.get(&partition)?;
        let at = rows
            .binary_search_by_key(&offset, |&row| self.rows[row].offset)
            .ok()?;
        rows.get(at).copied()
    }

    /// Whether `row`'s decision was written.
    #[must_use]
    pub fn is_written(&self, row: usize) -> bool {
        matches!(self.slots.get(row), Some(Slot::Written(_)))
    }

    #[must_use]
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    #[must_use]
    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    /// The rows shown (their indexes), in order.
    #[must_use]
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// The class shown, `None` for all.
    #[must_use]
    pub fn filter(&self) -> Option<usize> {
        self.filter
    }

    /// The highlighted row, `None` when nothing is shown.
    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// Where the highlight is among the lines shown.
    #[must_use]
    pub fn cursor(&self) -> usize {
        self.selected
    }

    /// The pending decision of `row`.
    #[must_use]
    pub fn decision(&self, row: usize) -> Option<Decision> {
        self.slots.get(row).and_then(|slot| slot.decision())
    }

    /// Puts `row` in `slot`, keeping the counts.
    fn set(&mut self, row: usize, slot: Slot) {
        if let Some(was) = self.slots.get_mut(row) {
            *self.counts.of(*was) -= 1;
            *was = slot;
            self.counts += slot;
        }
    }

    /// Moves the highlight by `delta` lines, staying within what is shown.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// To the first line shown.
    pub fn home(&mut self) {
        self.selected = 0;
    }

    /// To the last line shown.
    pub fn end(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }

    /// Sets the highlighted record's decision (`m`, `p`, `s`) and moves down; `false` when
    /// its decision was written already (it stays).
    pub fn decide(&mut self, decision: Decision) -> bool {
        let Some(row) = self.selected() else {
            return false;
        };
        if self.is_written(row) {
            return false;
        }
        self.set(row, Slot::Pending(decision));
        self.move_by(1);
        true
    }

    /// Sets `decision` for every undecided record of the highlighted record's class (`M`, `P`,
    /// `S`), shown or not; returns how many.
    pub fn decide_class(&mut self, decision: Decision) -> usize {
        let Some(class) = self
            .selected()
            .and_then(|row| self.rows.get(row))
            .map(Row::class)
        else {
            return 0;
        };
        let open: Vec<usize> = (0..self.rows.len())
            .filter(|&row| {
                self.rows[row].class() == class && self.slots.get(row) == Some(&Slot::Open)
            })
            .collect();
        for &row in &open {
            self.set(row, Slot::Pending(decision));
        }
        open.len()
    }

    /// Clears the highlighted record's decision (`u`); `false` when it was written already.
    pub fn undo(&mut self) -> bool {
        let Some(row) = self.selected() else {
            return false;
        };
        if self.is_written(row) {
            return false;
        }
        self.set(row, Slot::Open);
        true
    }

    /// Shows the next class, after the last one all of them again (`Tab`). The highlight stays
    /// on its record when the new filter shows it, else goes to the first line.
    pub fn cycle_filter(&mut self) {
        let next = match self.filter {
            None if !self.classes.is_empty() => Some(0),
            Some(class) if class + 1 < self.classes.len() => Some(class + 1),
            _ => None,
        };
        let was = self.selected();
        self.filter = next;
        self.visible = (0..self.rows.len())
            .filter(|&row| {
                next.is_none_or(|class| self.rows.get(row).is_some_and(|r| r.class() == class))
            })
            .collect();
        self.selected = was
            .and_then(|row| self.visible.iter().position(|&shown| shown == row))
            .unwrap_or(0);
    }

    /// Moves the highlight to the next line shown, after it and wrapping round to itself,
    /// that `is_match`; `false` when none does.
    pub fn find_next(&mut self, mut is_match: impl FnMut(&Row) -> bool) -> bool {
        let count = self.visible.len();
        for step in 1..=count {
            let at = (self.selected + step) % count;
            if let Some(&row) = self.visible.get(at)
                && self.rows.get(row).is_some_and(&mut is_match)
            {
                self.selected = at;
                return true;
            }
        }
        false
    }

    /// Highlights `row` when it is shown.
    pub fn select(&mut self, row: usize) {
        if let Some(at) = self.visible.iter().position(|&shown| shown == row) {
            self.selected = at;
        }
    }

    /// The decisions so far, over every record.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Whether any decision is waiting to be written (quitting asks first).
    #[must_use]
    pub fn has_pending(&self) -> bool {
        self.counts.pending() > 0
    }

    /// The rows whose decisions wait to be written, with them.
    pub fn pending_rows(&self) -> impl Iterator<Item = (&Row, Decision)> + '_ {
        self.slots
            .iter()
            .zip(&self.rows)
            .filter_map(|(slot, row)| match slot {
                Slot::Pending(decision) => Some((row, *decision)),
                Slot::Open | Slot::Written(_) => None,
            })
    }

    /// The decisions waiting to be written, by coordinates.
    #[must_use]
    pub fn pending(&self) -> Vec<((i32, i64), Decision)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(row, slot)| match slot {
                Slot::Pending(decision) => Some((self.coordinates(row), *decision)),
                Slot::Open | Slot::Written(_) => None,
            })
            .collect()
    }

    /// The records whose decisions were written.
    #[must_use]
    pub fn written(&self) -> Vec<(i32, i64)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| matches!(slot, Slot::Written(_)))
            .map(|(row, _)| self.coordinates(row))
            .collect()
    }

    /// Locks the pending decisions of these records: they were written.
    pub fn mark_written(&mut self, done: &[(i32, i64)]) {
        for &(partition, offset) in done {
            if let Some(row) = self.row_at(partition, offset)
                && let Some(&Slot::Pending(decision)) = self.slots.get(row)
            {
                self.set(row, Slot::Written(decision));
            }
        }
    }

    /// The partitions whose every row is decided (or written).
    #[must_use]
    pub fn fully_decided(&self) -> HashSet<i32> {
        self.by_partition
            .iter()
            .filter(|(_, rows)| rows.iter().all(|&row| self.decision(row).is_some()))
            .map(|(&partition, _)| partition)
            .collect()
    }

    fn coordinates(&self, row: usize) -> (i32, i64) {
        self.rows
            .get(row)
            .map_or((0, 0), |row| (row.partition, row.offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(partition: i32, offset: i64, class_index: u32) -> Row {
        Row {
            partition,
            offset,
            timestamp_ms: None,
            key: format!("k{partition}-{offset}").into(),
            class_index,
            replays: None,
            origin_index: Row::NO_ORIGIN,
        }
    }

    /// Six records in two partitions and two classes.
    fn state() -> ViewState {
        ViewState::new(
            vec![
                row(0, 0, 0),
                row(0, 1, 1),
                row(0, 2, 0),
                row(1, 0, 1),
                row(1, 1, 0),
                row(1, 2, 1),
            ],
            vec![
                "java.lang.IllegalStateException".into(),
                "<no such header>".into(),
            ],
        )
    }

    #[test]
    fn classes_are_counted_and_cycled() {
        let mut view = state();
        assert_eq!(
            view.classes().iter().map(|c| c.count).collect::<Vec<_>>(),
            [3, 3]
        );
        view.move_by(1);
        assert_eq!(view.selected(), Some(1));
        view.cycle_filter();
        assert_eq!(view.filter(), Some(0));
        assert_eq!(view.visible(), [0, 2, 4]);
        assert_eq!(
            view.selected(),
            Some(0),
            "row 1 is not shown: the first line"
        );
        view.move_by(1);
        view.cycle_filter();
        assert_eq!(view.visible(), [1, 3, 5]);
        view.cycle_filter();
        assert_eq!(view.filter(), None);
        assert_eq!(view.visible().len(), 6);
    }

    #[test]
    fn moving_stays_within_what_is_shown() {
        let mut view = state();
        view.move_by(-3);
        assert_eq!(view.selected(), Some(0));
        view.move_by(100);
        assert_eq!(view.selected(), Some(5));
        view.home();
        assert_eq!(view.selected(), Some(0));
        view.end();
        assert_eq!(view.selected(), Some(5));
        let mut empty = ViewState::new(Vec::new(), Vec::new());
        empty.move_by(1);
        empty.decide(Decision::Merge);
        empty.cycle_filter();
        assert_eq!(empty.selected(), None);
        assert_eq!(empty.decide_class(Decision::Purge), 0);
        assert!(!empty.find_next(|_| true));
    }

    #[test]
    fn decide_one_a_class_and_undo() {
        let mut view = state();
        view.decide(Decision::Purge);
        assert_eq!(view.decision(0), Some(Decision::Purge));
        assert_eq!(view.selected(), Some(1), "moved down");
        // Row 1's class: rows 1, 3 and 5, all undecided.
        assert_eq!(view.decide_class(Decision::Merge), 3);
        // Row 0 keeps its own decision when its class is decided.
        view.home();
        assert_eq!(view.decide_class(Decision::Skip), 2);
        assert_eq!(view.decision(0), Some(Decision::Purge));
        assert_eq!(
            view.counts(),
            Counts {
                merge: 3,
                purge: 1,
                skip: 2,
                undecided: 0,
                written: 0
            }
        );
        view.move_by(2);
        view.undo();
        assert_eq!(view.decision(2), None);
        assert_eq!(view.counts().undecided, 1);
        assert!(view.has_pending());
    }

    #[test]
    fn the_pending_decisions_and_the_partitions_fully_decided() {
        let mut view = state();
        assert!(!view.has_pending());
        assert!(
            view.pending().is_empty(),
            "nothing decided, nothing to write"
        );
        // Partition 0: merge, merge, (undecided). Partition 1: purge, skip, purge.
        view.decide(Decision::Merge);
        view.decide(Decision::Merge);
        view.move_by(1);
        view.decide(Decision::Purge);
        view.decide(Decision::Skip);
        view.decide(Decision::Purge);
        let mut pending = view.pending();
        pending.sort_by_key(|&(at, _)| at);
        assert_eq!(
            pending,
            [
                ((0, 0), Decision::Merge),
                ((0, 1), Decision::Merge),
                ((1, 0), Decision::Purge),
                ((1, 1), Decision::Skip),
                ((1, 2), Decision::Purge)
            ]
        );
        // Where the engine commits these (partition 0 before its undecided record, partition
        // 1 to its end: a skip is a decision) is tested on a run of the plan, in
        // triage::engine's a_plan_commits_each_partition_up_to_its_first_undecided_record.
        assert_eq!(view.fully_decided(), HashSet::from([1]));
        view.home();
        view.move_by(2);
        view.decide(Decision::Purge);
        assert_eq!(view.fully_decided(), HashSet::from([0, 1]));
        assert_eq!(view.counts().pending(), 6);
    }

    #[test]
    fn written_decisions_are_locked_and_not_pending() {
        let mut view = state();
        view.decide(Decision::Merge);
        view.decide(Decision::Purge);
        assert_eq!(view.row_at(1, 2), Some(5));
        assert_eq!(view.row_at(1, 7), None);
        view.mark_written(&[(0, 0)]);
        assert_eq!(view.pending(), [((0, 1), Decision::Purge)]);
        assert_eq!(view.written(), [(0, 0)]);
        assert_eq!(view.counts().written, 1);
        view.home();
        assert!(!view.decide(Decision::Skip), "written: locked");
        assert!(!view.undo());
        assert_eq!(view.decision(0), Some(Decision::Merge));
        // A class decision passes written records over.
        assert_eq!(view.decide_class(Decision::Skip), 2);
        view.mark_written(&[(0, 1)]);
        assert!(view.has_pending(), "rows 2 and 4 are skipped, not written");
    }

    #[test]
    fn rows_arrive_while_filtered() {
        let mut view = ViewState::new(vec![row(0, 0, 0)], vec!["A".into()]);
        view.cycle_filter();
        view.add_classes(["B".to_owned()]);
        view.extend([row(0, 1, 1), row(0, 2, 0)]);
        assert_eq!(view.visible(), [0, 2], "the filter holds for new rows");
        assert_eq!(
            view.classes().iter().map(|c| c.count).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(view.row_at(0, 1), Some(1));
    }

    #[test]
    fn search_wraps_round() {
        let mut view = state();
        let needle = |row: &Row| (row.partition, row.offset) == (1, 1);
        assert!(view.find_next(needle));
        assert_eq!(view.selected(), Some(4));
        assert!(view.find_next(needle), "wraps round to itself");
        assert_eq!(view.selected(), Some(4));
        assert!(!view.find_next(|_| false));
        assert_eq!(view.selected(), Some(4));
        view.cycle_filter();
        assert!(view.find_next(|row| (row.partition, row.offset) == (0, 2)));
        assert_eq!(view.selected(), Some(2));
        view.select(4);
        assert_eq!(view.selected(), Some(4));
    }
}
