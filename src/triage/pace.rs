//! `--max-rate`: an [`ActionSink`] wrapper that spaces merges out in time. The only place in
//! the triage layer that sleeps.

use std::time::{Duration, Instant};

use crate::record::Record;

use super::{Action, ActionSink, Interrupt, Offsets};

/// Lets at most `rate` merges per second through to the inner sink.
pub struct Paced<S> {
    inner: S,
    interval: Duration,
    next: Option<Instant>,
    interrupt: Interrupt,
}

impl<S: ActionSink> Paced<S> {
    /// `rate` must be positive; merges beyond it wait (an interrupt ends the wait).
    pub fn new(inner: S, rate: f64, interrupt: Interrupt) -> Self {
        Self {
            inner,
            interval: Duration::from_secs_f64(1.0 / rate),
            next: None,
            interrupt,
        }
    }

    fn wait_turn(&mut self) {
        let now = Instant::now();
        let turn = self.next.map_or(now, |next| next.max(now));
        while Instant::now() < turn && !self.interrupt.is_raised() {
            std::thread::sleep((turn - Instant::now()).min(Duration::from_millis(50)));
        }
        self.next = Some(turn + self.interval);
    }
}

impl<S: ActionSink> ActionSink for Paced<S> {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if matches!(action, Action::Merge { .. }) {
            self.wait_turn();
        }
        self.inner.apply(record, action)
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        self.inner.commit(offsets)
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        self.inner.abort()
    }
}

/// A sink that writes and commits nothing (`--dry-run`).
#[derive(Debug, Default)]
pub struct NoWrites;

impl ActionSink for NoWrites {
    fn apply(&mut self, _record: &Record, _action: &Action) -> anyhow::Result<()> {
        Ok(())
    }

    fn commit(&mut self, _offsets: &Offsets) -> anyhow::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_are_spaced_and_other_actions_are_not() {
        let record = Record::test(0, 0);
        let mut paced = Paced::new(NoWrites, 50.0, Interrupt::new());
        let started = Instant::now();
        for _ in 0..6 {
            paced
                .apply(
                    &record,
                    &Action::Merge {
                        tombstone: true,
                        to: crate::triage::Target::topic("retry"),
                    },
                )
                .unwrap();
        }
        // Five intervals of 20 ms at least between the first and the sixth merge.
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{:?}",
            started.elapsed()
        );
        let next = paced.next;
        for _ in 0..100 {
            paced.apply(&record, &Action::Purge).unwrap();
        }
        assert_eq!(paced.next, next, "purges do not take a turn");
    }
}
