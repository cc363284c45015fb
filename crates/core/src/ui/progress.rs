//! Progress of bulk runs on a terminal: records, rate and ETA on stderr; nothing when stderr
//! is not a terminal.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::record::Record;
use crate::triage::{Action, Observer, Summary};

/// A progress bar over the records of the run (an upper bound: offsets also count
/// transaction markers).
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    /// Records applied since the last commit: counted once committed, dropped when aborted.
    applied: u64,
}

impl Progress {
    /// A bar over `total` records, drawn on stderr when `visible` (stderr is a terminal).
    #[must_use]
    pub fn new(total: u64, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} records, {per_sec}, ETA {eta}",
        ) {
            bar.set_style(style);
        }
        Self {
            bar,
            started: Instant::now(),
            applied: 0,
        }
    }

    /// Removes the bar and says how long the run took.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        tracing::info!("took {:.1} s", self.started.elapsed().as_secs_f64());
    }
}

impl Observer for Progress {
    fn on_action(&mut self, _record: &Record, _action: &Action) -> anyhow::Result<()> {
        self.applied += 1;
        Ok(())
    }

    fn on_commit(&mut self, total: &Summary) -> anyhow::Result<()> {
        self.bar.inc(std::mem::take(&mut self.applied));
        self.bar
            .set_message(format!("{} merged, {} purged", total.merged, total.purged));
        Ok(())
    }

    fn on_abort(&mut self) {
        self.applied = 0;
    }

    fn on_left_out(&mut self, _record: &Record) {
        self.applied += 1;
    }

    fn on_warning(&mut self, warning: &str) {
        self.bar.suspend(|| tracing::warn!("{warning}"));
    }
}
