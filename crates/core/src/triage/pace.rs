//! `--max-rate`: an [`ActionSink`] wrapper that spaces merges out in time. The only place in
//! the triage layer that sleeps, and never while a transaction is open: the merges of a batch
//! go out as they come, and the wait they owe is taken once the batch is committed (or
//! aborted). The engine keeps batches to about a second of merges at the rate
//! ([`rate_limited`]), so bursts stay short.

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

    /// Takes the next turn (no wait).
    fn take_turn(&mut self) {
        let now = Instant::now();
        let turn = self.next.map_or(now, |next| next.max(now));
        self.next = Some(turn + self.interval);
    }

    /// Waits until the merges taken so far are paid for: nothing is open now.
    fn wait_owed(&self) {
        let Some(until) = self.next.map(|next| next - self.interval) else {
            return;
        };
        while Instant::now() < until && !self.interrupt.is_raised() {
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
    }
}

impl<S: ActionSink> ActionSink for Paced<S> {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if matches!(action, Action::Merge { .. }) {
            self.take_turn();
        }
        self.inner.apply(record, action)
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        let committed = self.inner.commit(offsets);
        self.wait_owed();
        committed
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        let aborted = self.inner.abort();
        self.wait_owed();
        aborted
    }
}

/// `policy` for a run paced at `rate` merges per second: batches of about a second of merges.
#[must_use]
pub fn rate_limited(policy: super::CommitPolicy, rate: f64) -> super::CommitPolicy {
    match policy {
        super::CommitPolicy::Batch {
            max_records,
            max_age,
        } => super::CommitPolicy::Batch {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a positive rate, rounded up to whole records"
            )]
            max_records: max_records.min((rate.ceil() as usize).max(1)),
            max_age,
        },
        each => each,
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
    fn merges_are_paid_for_after_the_commit_and_other_actions_are_not() {
        let record = Record::test(0, 0);
        let merge = Action::Merge {
            tombstone: true,
            to: crate::triage::Target::topic("retry"),
            repair: None,
        };
        let mut paced = Paced::new(NoWrites, 50.0, Interrupt::new());
        let started = Instant::now();
        for _ in 0..6 {
            paced.apply(&record, &merge).unwrap();
        }
        // No wait while the batch (its transaction) is open.
        assert!(started.elapsed() < Duration::from_millis(100));
        paced.commit(&Offsets::default()).unwrap();
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

    #[test]
    fn a_paced_batch_holds_about_a_second_of_merges() {
        let policy = crate::triage::CommitPolicy::Batch {
            max_records: 250_000,
            max_age: Duration::from_secs(2),
        };
        let limited = |rate| match rate_limited(policy, rate) {
            crate::triage::CommitPolicy::Batch { max_records, .. } => max_records,
            crate::triage::CommitPolicy::EachRecord => 0,
        };
        assert_eq!(limited(0.5), 1);
        assert_eq!(limited(100.0), 100);
        assert_eq!(limited(1e9), 250_000);
    }
}
