//! `/` in the view: a pass over the same records as the index, each rendered as the detail
//! pane shows it, on a thread of its own; the coordinates of every record whose text contains
//! the query (ignoring case) are sent back as they are found.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::record::Record;
use crate::triage::RecordSource;
use crate::ui::render::Renderer;

use super::pass::{self, Report};

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
}

impl Report for Found {
    fn set_read(&mut self, read: u64) {
        self.read = read;
    }

    fn finish(&mut self, error: Option<String>) {
        self.done = true;
        self.error = error;
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
    source: impl RecordSource + Send + 'static,
    mut renderer: Renderer,
    query: String,
) -> Search {
    let needle = query.to_lowercase();
    let mut text = Vec::new();
    let found = pass::spawn(
        "view-search",
        source,
        Duration::from_millis(100),
        move |record, found: &mut Found| {
            if searchable(&mut renderer, record, &mut text).contains(&needle) {
                found.at.push((record.at.partition, record.at.offset));
            }
            false
        },
    );
    Search { query, found }
}
