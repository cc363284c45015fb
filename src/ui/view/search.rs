//! `/` in the view: a pass over the same records as the index, each rendered as the detail
//! pane shows it, on a thread of its own; the coordinates of every record whose text contains
//! the query (ignoring case) are sent back as they are found.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::record::Record;
use crate::triage::RecordSource;
use crate::ui::render::Renderer;

/// Matches found since the last message.
#[derive(Debug, Default)]
pub struct Found {
    pub at: Vec<(i32, i64)>,
    pub read: u64,
    pub done: bool,
    pub error: Option<String>,
}

/// A search under way; dropping it (or a new search) stops the thread.
pub struct Search {
    pub query: String,
    pub found: Receiver<Found>,
    stop: Arc<AtomicBool>,
}

impl Drop for Search {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The text a search looks in: `record` as the detail pane shows it, lower-cased.
pub fn searchable(renderer: &mut Renderer, record: &Record, out: &mut Vec<u8>) -> String {
    out.clear();
    if renderer.write_text(out, record).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(out).to_lowercase()
}

/// Searches `source` for `query`.
pub fn spawn(
    mut source: impl RecordSource + Send + 'static,
    mut renderer: Renderer,
    query: String,
) -> Search {
    let (sender, found) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let needle = query.to_lowercase();
    let spawned = std::thread::Builder::new()
        .name("view-search".into())
        .spawn(move || {
            let mut message = Found::default();
            let mut sent = Instant::now();
            let mut text = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                match source.next_record() {
                    Ok(Some(record)) => {
                        message.read += 1;
                        if searchable(&mut renderer, &record, &mut text).contains(&needle) {
                            message.at.push((record.at.partition, record.at.offset));
                        }
                        if sent.elapsed() >= Duration::from_millis(100) {
                            let read = message.read;
                            if sender.send(std::mem::take(&mut message)).is_err() {
                                return;
                            }
                            message.read = read;
                            sent = Instant::now();
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        message.error = Some(format!("{error:#}"));
                        break;
                    }
                }
            }
            message.done = true;
            let _ = sender.send(message);
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the search thread: {error}");
    }
    Search { query, found, stop }
}
