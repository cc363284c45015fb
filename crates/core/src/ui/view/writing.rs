//! `w`: the pending decisions become a [`Plan`] carried out by the engine (through
//! [`Backend::write`]), with the progress on the status line. Decisions whose records were
//! committed are locked as written; the rest stay pending, with the reason on the status line.

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyModifiers};

use crate::error::Error;
use crate::record::Record;
use crate::triage::{Action, Interrupt, LeftAlone, Observer, Plan, Summary};

use super::{App, Backend, Mode, draw};

/// Writes the pending decisions; `Ok(true)` when every one of them was written.
///
/// # Errors
/// [`Error::Interrupted`] when Ctrl-C (or a signal) stopped the write; a failure of the
/// terminal. A failed write is shown on the status line and leaves the view open.
pub(super) fn write(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    backend: &mut dyn Backend,
    interrupt: &Interrupt,
) -> Result<bool, Error> {
    let pending = app.state.pending();
    let planned = pending.len();
    let plan = Rc::new(Plan::new(pending, app.state.written()).with_repairs(app.repairs.clone()));
    // A partition whose listed records are all decided reads to the index's end (past
    // transaction markers); only once the index has read it all, or unlisted records beyond
    // what was read would be passed.
    let covered = if app.index_done {
        app.state.fully_decided()
    } else {
        HashSet::new()
    };
    let until = plan.read_until(&app.ends, &covered);
    let mut watch = Watch {
        terminal,
        app,
        plan: Rc::clone(&plan),
        planned,
        interrupt,
        applied: Vec::new(),
        committed: Vec::new(),
        merged_into: BTreeMap::new(),
        warning: None,
        drawn: Instant::now(),
        failure: None,
    };
    watch.draw();
    let result = backend.write(Rc::clone(&plan), &until, &mut watch);
    let Watch {
        committed,
        merged_into,
        warning,
        failure,
        ..
    } = watch;
    if let Some(error) = failure {
        return Err(error);
    }
    let (summary, failed) = match result {
        Ok(summary) => (summary, None),
        Err(Error::Failed { source, summary }) => (summary.unwrap_or_default(), Some(source)),
        Err(Error::Interrupted { summary }) => {
            lock(app, &committed);
            app.written.add(&summary.unwrap_or_default());
            return Err(Error::Interrupted {
                summary: Some(app.written.clone()),
            });
        }
        Err(error) => return Err(error),
    };
    lock(app, &committed);
    app.written.add(&summary);
    let done = committed.len();
    app.status = status(app.dry_run, &summary, planned, done, warning.as_deref());
    if app.dry_run && failed.is_none() {
        app.mode = Mode::Report(report(&summary, &merged_into, app.plan.as_deref()));
    }
    if let Some(error) = failed {
        app.status = format!("the write failed: {error:#} · {}", app.status);
        return Ok(false);
    }
    Ok(done == planned)
}

/// Locks the committed decisions, except on a dry run, which committed nothing.
fn lock(app: &mut App, committed: &[(i32, i64)]) {
    if !app.dry_run {
        app.state.mark_written(committed);
    }
}

fn status(
    dry_run: bool,
    summary: &Summary,
    planned: usize,
    done: usize,
    warning: Option<&str>,
) -> String {
    let mut line = format!(
        "{} {} merged, {} purged, {} skipped",
        if dry_run {
            "dry run, nothing written:"
        } else {
            "written:"
        },
        summary.merged,
        summary.purged,
        summary.skipped
    );
    if done < planned {
        line.push_str(&format!(
            " · {} decision(s) not carried out",
            planned - done
        ));
        // Records outside the plan are not counted: these are planned ones.
        if let Some(why) = summary.left_alone.keys().next() {
            line.push_str(&format!(" ({why})"));
        } else {
            line.push_str(" (their records were committed past by another run, or are gone)");
        }
    }
    if let Some(warning) = warning {
        line.push_str(&format!(" · {warning}"));
    }
    line
}

/// What a dry run's `w` would have done (or, with `--plan`, planned), for its dialog.
fn report(
    summary: &Summary,
    merged_into: &BTreeMap<String, usize>,
    plan: Option<&str>,
) -> Vec<String> {
    let mut lines = vec![
        match plan {
            Some(plan) => format!("Plan written to {plan}, nothing to Kafka; it holds:"),
            None => "Nothing was written and no offset committed; w would:".to_owned(),
        },
        String::new(),
    ];
    if summary.merged > 0 {
        let into: Vec<String> = merged_into
            .iter()
            .map(|(topic, count)| format!("{count} into {topic}"))
            .collect();
        lines.push(format!("merge {}: {}", summary.merged, into.join(", ")));
    }
    lines.push(format!("purge {}", summary.purged));
    lines.push(format!("skip {}", summary.skipped));
    for (why, count) in &summary.left_alone {
        lines.push(format!("leave {count} alone: {why}"));
    }
    lines.push(String::new());
    lines.push("Any key closes this.".to_owned());
    lines
}

/// Watches the write: counts, the status line every 100 ms, Ctrl-C.
struct Watch<'a> {
    terminal: &'a mut DefaultTerminal,
    app: &'a App,
    plan: Rc<Plan>,
    planned: usize,
    interrupt: &'a Interrupt,
    /// Planned records applied since the last commit.
    applied: Vec<(i32, i64)>,
    committed: Vec<(i32, i64)>,
    /// Where planned merges went, with how many each.
    merged_into: BTreeMap<String, usize>,
    warning: Option<String>,
    drawn: Instant,
    failure: Option<Error>,
}

impl Watch<'_> {
    fn draw(&mut self) {
        self.drawn = Instant::now();
        let progress = format!(
            "writing… {} of {} decision(s) applied, {} committed · Ctrl-C stops",
            self.applied.len() + self.committed.len(),
            self.planned,
            self.committed.len()
        );
        let app = self.app;
        if let Err(error) = self
            .terminal
            .draw(|frame| draw::draw(frame, app, Some(&progress)))
        {
            self.failure = Some(
                anyhow::Error::new(error)
                    .context("the terminal failed")
                    .into(),
            );
            self.interrupt.raise();
        }
        // Ctrl-C is a key in raw mode, not a signal.
        while let Ok(true) = event::poll(Duration::ZERO) {
            if let Ok(Event::Key(key)) = event::read()
                && key.modifiers.contains(KeyModifiers::CONTROL)
                && key.code == KeyCode::Char('c')
            {
                self.interrupt.raise();
            }
        }
    }

    fn tick(&mut self) {
        if self.drawn.elapsed() >= Duration::from_millis(100) {
            self.draw();
        }
    }

    fn planned(&self, record: &Record) -> bool {
        self.plan
            .decision(record.at.partition, record.at.offset)
            .is_some()
    }
}

impl Observer for Watch<'_> {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if self.planned(record) {
            self.applied.push((record.at.partition, record.at.offset));
            if let Action::Merge { to, .. } = action {
                *self.merged_into.entry(to.topic.to_string()).or_default() += 1;
            }
        }
        self.tick();
        Ok(())
    }

    fn on_commit(&mut self, _total: &Summary) -> anyhow::Result<()> {
        self.committed.append(&mut self.applied);
        self.tick();
        Ok(())
    }

    fn on_abort(&mut self) {
        self.applied.clear();
        self.tick();
    }

    fn on_left_alone(&mut self, _record: &Record, _why: &LeftAlone) -> anyhow::Result<()> {
        self.tick();
        Ok(())
    }

    fn on_left_out(&mut self, _record: &Record) {
        self.tick();
    }

    fn on_warning(&mut self, warning: &str) {
        tracing::warn!("{warning}");
        self.warning = Some(warning.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_and_the_dry_run_report_say_what_was_done_and_what_was_not() {
        let summary = Summary {
            merged: 3,
            purged: 1,
            left_alone: BTreeMap::from([("no origin header".to_owned(), 1)]),
            ..Summary::default()
        };
        let into = BTreeMap::from([("orders".to_owned(), 2), ("payments".to_owned(), 1)]);
        assert_eq!(
            report(&summary, &into, None)[2..6],
            [
                "merge 3: 2 into orders, 1 into payments",
                "purge 1",
                "skip 0",
                "leave 1 alone: no origin header"
            ]
        );
        assert_eq!(
            report(&summary, &into, Some("plan.jsonl"))[0],
            "Plan written to plan.jsonl, nothing to Kafka; it holds:"
        );
        assert_eq!(
            status(false, &summary, 5, 4, None),
            "written: 3 merged, 1 purged, 0 skipped · 1 decision(s) not carried out (no origin header)"
        );
        assert_eq!(
            status(true, &summary, 4, 4, Some("a null key")),
            "dry run, nothing written: 3 merged, 1 purged, 0 skipped · a null key"
        );
    }
}
