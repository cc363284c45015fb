//! A pass over a record source on a thread of its own, reporting as it goes: what the index
//! and the search share. Each report carries the records read so far; the last one says the
//! pass is over (and why, when it did not reach its end). A dropped receiver stops the pass at
//! its next report.

use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::record::Record;
use crate::triage::RecordSource;

/// What a pass sends.
pub trait Report: Default + Send + 'static {
    /// Records read so far, the ones taken or not.
    fn set_read(&mut self, read: u64);
    /// The last report: the source is exhausted, or `error` stopped it.
    fn finish(&mut self, error: Option<String>);
}

/// Reads `source` to its end on a thread named `name`: `take` notes each record in the report
/// being filled and says whether it is full; it is sent when full or `every` after the last.
pub fn spawn<R: Report>(
    name: &str,
    mut source: impl RecordSource + Send + 'static,
    every: Duration,
    mut take: impl FnMut(&Record, &mut R) -> bool + Send + 'static,
) -> Receiver<R> {
    let (sender, reports) = channel();
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut report = R::default();
            let mut sent = Instant::now();
            let mut read = 0;
            let error = loop {
                match source.next_record() {
                    Ok(Some(record)) => {
                        read += 1;
                        if take(&record, &mut report) || sent.elapsed() >= every {
                            report.set_read(read);
                            if sender.send(std::mem::take(&mut report)).is_err() {
                                return;
                            }
                            sent = Instant::now();
                        }
                    }
                    Ok(None) => break None,
                    Err(error) => break Some(format!("{error:#}")),
                }
            };
            report.set_read(read);
            report.finish(error);
            let _ = sender.send(report);
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the {name} thread: {error}");
    }
    reports
}
