//! The one owner of stdout (data: records, JSON Lines) and stderr (summary, messages).

use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use crate::cli::OutputFormat;
use crate::record::Record;
use crate::triage::{Action, Observer, SkipReason};

use super::render::Renderer;

/// Writes a line to stderr (the summary and messages meant for people).
pub fn message(text: &str) {
    let mut err = io::stderr().lock();
    if let Err(error) = writeln!(err, "{text}") {
        tracing::debug!("cannot write to stderr: {error}");
    }
}

/// Prints every record to stdout (`print`), rendered on a thread of its own: decoding and
/// rendering cost more than reading, and so they no longer wait for each other. Records go
/// to that thread in small batches, at most [`QUEUED_BATCHES`] of them queued, so memory
/// stays bounded whatever the topic holds.
pub struct RecordPrinter {
    /// Records not yet handed over.
    batch: Vec<Record>,
    batch_len: usize,
    /// `None` once finished.
    jobs: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<io::Result<u64>>>,
    /// Records printed, known once [`RecordPrinter::finish`] returned.
    pub printed: u64,
    /// `--pending` ([`RecordPrinter::pending_only`]).
    pending_only: bool,
}

/// Records per hand-over for JSON Lines: enough to make the hand-over cost nothing next to
/// rendering, few enough to keep output flowing. Text blocks are for people reading as it
/// comes, and go one by one.
const JSON_BATCH: usize = 64;

/// Batches queued for the printing thread before reading waits for it.
const QUEUED_BATCHES: usize = 16;

/// What the printing thread is asked to do.
enum Job {
    Print(Vec<Record>),
    /// Write out everything printed so far, then answer. A failed write ends the thread
    /// without an answer, and joining it returns the error.
    Flush(SyncSender<()>),
}

impl RecordPrinter {
    /// Starts the printing thread.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn new(format: OutputFormat, renderer: Renderer) -> io::Result<Self> {
        let (jobs, received) = mpsc::sync_channel(QUEUED_BATCHES);
        let worker = thread::Builder::new()
            .name("print".to_owned())
            .spawn(move || print_all(&received, format, renderer))?;
        let batch_len = match format {
            OutputFormat::Text => 1,
            OutputFormat::Json => JSON_BATCH,
        };
        Ok(Self {
            batch: Vec::with_capacity(batch_len),
            batch_len,
            jobs: Some(jobs),
            worker: Some(worker),
            printed: 0,
            pending_only: false,
        })
    }

    /// `--pending`: records already decided and tombstones (decision markers among them) are
    /// not shown.
    #[must_use]
    pub fn pending_only(mut self, pending: bool) -> Self {
        self.pending_only = pending;
        self
    }

    /// Hands `job` to the printing thread; when it has stopped, its error.
    fn send(&mut self, job: Job) -> io::Result<()> {
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.failure()),
        }
    }

    /// Why the printing thread stopped early: it only does after an error, which joining
    /// returns.
    fn failure(&mut self) -> io::Error {
        self.join().err().unwrap_or_else(stopped)
    }

    /// Hands over the records not yet handed over.
    fn send_batch(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_len));
        self.send(Job::Print(batch))
    }

    /// Waits for the printing thread to stop, and counts what it printed.
    fn join(&mut self) -> io::Result<()> {
        self.jobs = None;
        let Some(worker) = self.worker.take() else {
            return Ok(());
        };
        self.printed = worker.join().map_err(|_| stopped())??;
        Ok(())
    }

    /// Prints what is left and flushes stdout.
    ///
    /// # Errors
    /// When stdout is gone.
    pub fn finish(&mut self) -> io::Result<()> {
        let sent = self.send_batch();
        let joined = self.join();
        sent.and(joined)
    }
}

/// The printing thread: renders and writes every record it is given, until the channel
/// closes or writing fails; returns how many it printed.
fn print_all(
    jobs: &Receiver<Job>,
    format: OutputFormat,
    mut renderer: Renderer,
) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut printed = 0;
    for job in jobs {
        match job {
            Job::Print(records) => {
                for record in &records {
                    match format {
                        OutputFormat::Text => {
                            renderer.write_text(&mut out, record)?;
                            out.flush()?;
                        }
                        OutputFormat::Json => renderer.write_json_line(&mut out, record)?,
                    }
                    printed += 1;
                }
            }
            Job::Flush(done) => {
                out.flush()?;
                // The other side waits for the answer; it is gone only if it gave up.
                let _ = done.send(());
            }
        }
    }
    out.flush()?;
    Ok(printed)
}

fn stopped() -> io::Error {
    io::Error::other("the printing thread stopped")
}

impl Observer for RecordPrinter {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        self.take_action(record.clone(), action.clone())
    }

    fn take_action(&mut self, record: Record, action: Action) -> anyhow::Result<()> {
        // `--pending`: a record merged or purged already, or a tombstone, is not shown.
        if action
            == (Action::Skip {
                reason: SkipReason::AlreadyDecided,
            })
            || (self.pending_only && record.is_tombstone())
        {
            return Ok(());
        }
        self.batch.push(record);
        if self.batch.len() >= self.batch_len {
            self.send_batch()?;
        }
        Ok(())
    }

    /// Offsets (`print --commit`) are committed only for records written to stdout.
    fn before_commit(&mut self) -> anyhow::Result<()> {
        self.send_batch()?;
        let (done, flushed) = mpsc::sync_channel(1);
        self.send(Job::Flush(done))?;
        flushed.recv().map_err(|_| self.failure())?;
        Ok(())
    }
}

/// Whether `error` comes from writing into a closed pipe (`print | head`): not a failure.
#[must_use]
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
