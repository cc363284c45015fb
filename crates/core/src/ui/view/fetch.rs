//! The highlighted record in full, read by its coordinates on a thread of its own so that
//! moving through the list never waits on the cluster: the view asks, goes on drawing, and
//! shows the record when it comes. Only the newest question is answered.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use crate::record::Record;
use crate::ui::render::{Renderer, raw_text};

/// A record as the detail pane shows it.
#[derive(Debug, Clone)]
pub struct Detail {
    pub at: (i32, i64),
    /// Decoded, as the record view shows it; `Err` says why there is nothing to show.
    pub text: Result<Vec<String>, String>,
    /// Key, headers and value as hex.
    pub raw: Vec<String>,
}

/// Asks for records and receives them.
pub struct Fetch {
    ask: Sender<(i32, i64)>,
    pub answers: Receiver<Detail>,
}

impl Fetch {
    /// Asks for the record at `at`; earlier questions not yet answered are dropped.
    pub fn ask(&self, at: (i32, i64)) {
        let _ = self.ask.send(at);
    }
}

/// A fetcher nobody answers, for tests of the view without a broker.
#[cfg(test)]
#[must_use]
pub fn detached() -> (Fetch, Receiver<(i32, i64)>, Sender<Detail>) {
    let (ask, questions) = channel();
    let (answer, answers) = channel();
    (Fetch { ask, answers }, questions, answer)
}

/// A record read for the detail pane, with what is to be said of it above it (how it was
/// read, when that is not plain).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub record: Record,
    pub notes: Vec<String>,
}

impl From<Record> for Fetched {
    fn from(record: Record) -> Self {
        Self {
            record,
            notes: Vec::new(),
        }
    }
}

/// Starts the fetching thread over `fetch`, which reads the record at (partition, offset):
/// `Ok(None)` when it is no longer in the topic.
pub fn spawn<F>(fetch: F, mut renderer: Renderer) -> Fetch
where
    F: Fn(i32, i64) -> anyhow::Result<Option<Fetched>> + Send + 'static,
{
    let (ask, questions) = channel::<(i32, i64)>();
    let (answer, answers) = channel();
    let spawned = std::thread::Builder::new()
        .name("view-fetch".into())
        .spawn(move || {
            while let Some(at) = newest(&questions) {
                let detail = match fetch(at.0, at.1) {
                    Ok(Some(fetched)) => {
                        let mut detail = show(&mut renderer, at, &fetched.record);
                        if let (Ok(text), false) = (&mut detail.text, fetched.notes.is_empty()) {
                            text.splice(0..0, fetched.notes.into_iter().chain([String::new()]));
                        }
                        detail
                    }
                    Ok(None) => Detail {
                        at,
                        text: Err(
                            "this record is no longer in the topic (compacted or deleted)".into(),
                        ),
                        raw: Vec::new(),
                    },
                    Err(error) => Detail {
                        at,
                        text: Err(format!("{error:#}")),
                        raw: Vec::new(),
                    },
                };
                if answer.send(detail).is_err() {
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the fetching thread: {error}");
    }
    Fetch { ask, answers }
}

/// Waits for a question, then takes the newest of those waiting; `None` once the view is gone.
fn newest(questions: &Receiver<(i32, i64)>) -> Option<(i32, i64)> {
    let mut at = questions.recv().ok()?;
    loop {
        match questions.try_recv() {
            Ok(newer) => at = newer,
            Err(TryRecvError::Empty) => return Some(at),
            Err(TryRecvError::Disconnected) => return None,
        }
    }
}

/// `record` rendered for the detail pane.
pub fn show(renderer: &mut Renderer, at: (i32, i64), record: &Record) -> Detail {
    let mut text = Vec::new();
    let lines = match renderer.write_text(&mut text, record) {
        Ok(()) => Ok(String::from_utf8_lossy(&text)
            .lines()
            .map(str::to_owned)
            .collect()),
        Err(error) => Err(error.to_string()),
    };
    Detail {
        at,
        text: lines,
        raw: raw_text(record).lines().map(str::to_owned).collect(),
    }
}
