//! The state of the full-screen triage view (issue 19), without a terminal: the records as one
//! line each, their failure classes, the class filter, the selection, the pending decisions,
//! and the search. What the view draws and which keys it maps are built on this; everything a
//! key does is a method here, so it is tested without a screen.
//!
//! Decisions stay pending until they are written: [`ViewState::plan`] gives them in offset order
//! per partition, and [`ViewState::commit_points`] where each partition's committed offset may
//! go (before the first record that is undecided or skipped: those stay pending, DESIGN §8).

use std::collections::BTreeMap;

use crate::triage::Decision;

/// One record of the queue, as its line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    /// The key as shown on one line, already cut.
    pub key: Box<str>,
    /// Index into [`ViewState::classes`].
    pub class: usize,
    pub replays: Option<u64>,
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
}

/// The view's state.
#[derive(Debug)]
pub struct ViewState {
    rows: Vec<Row>,
    classes: Vec<Class>,
    decisions: Vec<Option<Decision>>,
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
        let mut classes: Vec<Class> = class_names
            .into_iter()
            .map(|name| Class {
                name: name.into(),
                count: 0,
            })
            .collect();
        for row in &rows {
            if let Some(class) = classes.get_mut(row.class) {
                class.count += 1;
            }
        }
        let visible = (0..rows.len()).collect();
        let decisions = vec![None; rows.len()];
        Self {
            rows,
            classes,
            decisions,
            filter: None,
            visible,
            selected: 0,
        }
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

    /// The pending decision of `row`.
    #[must_use]
    pub fn decision(&self, row: usize) -> Option<Decision> {
        self.decisions.get(row).copied().flatten()
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

    /// Sets the highlighted record's decision (`m`, `p`, `s`) and moves down.
    pub fn decide(&mut self, decision: Decision) {
        if let Some(row) = self.selected()
            && let Some(slot) = self.decisions.get_mut(row)
        {
            *slot = Some(decision);
            self.move_by(1);
        }
    }

    /// Sets `decision` for every undecided record of the highlighted record's class (`M`, `P`,
    /// `S`), shown or not; returns how many.
    pub fn decide_class(&mut self, decision: Decision) -> usize {
        let Some(class) = self
            .selected()
            .and_then(|row| self.rows.get(row))
            .map(|r| r.class)
        else {
            return 0;
        };
        let mut decided = 0;
        for (row, slot) in self.rows.iter().zip(self.decisions.iter_mut()) {
            if row.class == class && slot.is_none() {
                *slot = Some(decision);
                decided += 1;
            }
        }
        decided
    }

    /// Clears the highlighted record's decision (`u`).
    pub fn undo(&mut self) {
        if let Some(row) = self.selected()
            && let Some(slot) = self.decisions.get_mut(row)
        {
            *slot = None;
        }
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
                next.is_none_or(|class| self.rows.get(row).is_some_and(|r| r.class == class))
            })
            .collect();
        self.selected = was
            .and_then(|row| self.visible.iter().position(|&shown| shown == row))
            .unwrap_or(0);
    }

    /// Moves the highlight to the next line shown, after it and wrapping, whose text (as
    /// `text_of` gives it for a row) contains `query`, ignoring case; `false` when none does.
    pub fn find_next(&mut self, query: &str, mut text_of: impl FnMut(usize) -> String) -> bool {
        let query = query.to_lowercase();
        let count = self.visible.len();
        for step in 1..=count {
            let at = (self.selected + step) % count;
            let Some(&row) = self.visible.get(at) else {
                continue;
            };
            if text_of(row).to_lowercase().contains(&query) {
                self.selected = at;
                return true;
            }
        }
        false
    }

    /// The decisions so far, over every record.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for decision in &self.decisions {
            match decision {
                Some(Decision::Merge) => counts.merge += 1,
                Some(Decision::Purge) => counts.purge += 1,
                Some(Decision::Skip) => counts.skip += 1,
                Some(Decision::Quit) | None => counts.undecided += 1,
            }
        }
        counts
    }

    /// Whether any decision is pending (quitting asks first).
    #[must_use]
    pub fn has_pending(&self) -> bool {
        self.decisions.iter().any(Option::is_some)
    }

    /// The pending decisions to write, by partition in offset order.
    #[must_use]
    pub fn plan(&self) -> BTreeMap<i32, Vec<(i64, Decision)>> {
        let mut plan: BTreeMap<i32, Vec<(i64, Decision)>> = BTreeMap::new();
        for (row, decision) in self.rows.iter().zip(&self.decisions) {
            if let Some(decision) = decision {
                plan.entry(row.partition)
                    .or_default()
                    .push((row.offset, *decision));
            }
        }
        for decisions in plan.values_mut() {
            decisions.sort_by_key(|&(offset, _)| offset);
        }
        plan
    }

    /// Per partition, the offset to commit once the plan is written: the first record that is
    /// undecided or skipped (they stay pending), else one past the last record.
    #[must_use]
    pub fn commit_points(&self) -> BTreeMap<i32, i64> {
        let mut order: Vec<(i32, i64, Option<Decision>)> = self
            .rows
            .iter()
            .zip(&self.decisions)
            .map(|(row, decision)| (row.partition, row.offset, *decision))
            .collect();
        order.sort_by_key(|&(partition, offset, _)| (partition, offset));
        let mut points = BTreeMap::new();
        let mut stopped = BTreeMap::new();
        for (partition, offset, decision) in order {
            if stopped.contains_key(&partition) {
                continue;
            }
            match decision {
                Some(Decision::Merge | Decision::Purge) => {
                    points.insert(partition, offset + 1);
                }
                _ => {
                    points.insert(partition, offset);
                    stopped.insert(partition, ());
                }
            }
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(partition: i32, offset: i64, class: usize) -> Row {
        Row {
            partition,
            offset,
            timestamp_ms: None,
            key: format!("k{partition}-{offset}").into(),
            class,
            replays: None,
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
        assert!(!empty.find_next("x", |_| String::new()));
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
                undecided: 0
            }
        );
        view.move_by(2);
        view.undo();
        assert_eq!(view.decision(2), None);
        assert_eq!(view.counts().undecided, 1);
        assert!(view.has_pending());
    }

    #[test]
    fn the_plan_and_where_offsets_may_be_committed() {
        let mut view = state();
        assert!(!view.has_pending());
        assert_eq!(view.commit_points(), BTreeMap::from([(0, 0), (1, 0)]));
        // Partition 0: merge, merge, (undecided). Partition 1: purge, skip, purge.
        view.decide(Decision::Merge);
        view.decide(Decision::Merge);
        view.move_by(1);
        view.decide(Decision::Purge);
        view.decide(Decision::Skip);
        view.decide(Decision::Purge);
        assert_eq!(
            view.plan(),
            BTreeMap::from([
                (0, vec![(0, Decision::Merge), (1, Decision::Merge)]),
                (
                    1,
                    vec![
                        (0, Decision::Purge),
                        (1, Decision::Skip),
                        (2, Decision::Purge)
                    ]
                ),
            ])
        );
        // Partition 0 stops before its undecided record, partition 1 before its skipped one.
        assert_eq!(view.commit_points(), BTreeMap::from([(0, 2), (1, 1)]));
        view.home();
        view.move_by(2);
        view.decide(Decision::Purge);
        assert_eq!(view.commit_points(), BTreeMap::from([(0, 3), (1, 1)]));
    }

    #[test]
    fn search_wraps_and_ignores_case() {
        let mut view = state();
        let text = |row: usize| {
            format!(
                "value of row {row} {}",
                if row == 4 { "NEEDLE" } else { "" }
            )
        };
        assert!(view.find_next("needle", text));
        assert_eq!(view.selected(), Some(4));
        assert!(view.find_next("needle", text), "wraps round to itself");
        assert_eq!(view.selected(), Some(4));
        assert!(!view.find_next("absent", text));
        assert_eq!(view.selected(), Some(4));
        view.cycle_filter();
        assert!(view.find_next("row 2", text));
        assert_eq!(view.selected(), Some(2));
    }
}
