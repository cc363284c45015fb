//! `--journal FILE`: before a decision is written to Kafka, the record's original bytes (key,
//! value, headers, timestamp, partition, offset) and the decision are appended to FILE and
//! synced to disk — the audit log's big brother, and what `undo` works from.
//!
//! Format version 2 (version 1, read too, has no repairs), JSON Lines, appended to: each run starts with a [`JournalHeader`] line
//! (`{"kmp-journal":2,…}`), then one [`JournalEntry`] per decision (`"op":"decision"`) or per
//! record put back by `undo` (`"op":"undo"`). Bytes are base64, null stays null.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::record::{Coordinates, Header, Record, Timestamp, TimestampKind};
use crate::triage::{Action, ActionSink, Offsets};

use super::file::{FileError, lines, parse};

/// The journal format this build writes and reads.
pub const JOURNAL_VERSION: u32 = 2;
/// The oldest journal format this build reads (version 1 has no repairs; version 2 was made so
/// that an older `undo` refuses a journal of repaired copies rather than tombstone them under
/// the wrong key).
pub const OLDEST_JOURNAL_VERSION: u32 = 1;

/// The first line of each run's part of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    #[serde(rename = "kmp-journal")]
    pub version: u32,
    pub topic: String,
    pub group: Option<String>,
    /// The command that wrote what follows: `merge-all`, `apply`, `undo`, ...
    pub command: String,
    pub started_at: String,
    pub user: String,
    pub host: String,
    pub bootstrap_servers: String,
    pub transactional_id: Option<String>,
    /// The id of the plan being applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JournalOp {
    /// A decision about to be written.
    Decision,
    /// `undo`: the record about to be written back into its DLQ.
    Undo,
}

/// A header as journaled: its value in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournaledHeader {
    pub name: String,
    pub value: Option<String>,
}

/// One journaled record and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub op: JournalOp,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub timestamp_type: Option<TimestampKind>,
    pub key: Option<String>,
    pub value: Option<String>,
    pub headers: Vec<JournaledHeader>,
    #[serde(flatten)]
    pub action: Action,
}

impl JournalEntry {
    #[must_use]
    pub fn new(op: JournalOp, record: &Record, action: &Action) -> Self {
        Self {
            op,
            topic: record.at.topic.clone(),
            partition: record.at.partition,
            offset: record.at.offset,
            timestamp: record.timestamp.map(|t| t.millis),
            timestamp_type: record.timestamp.map(|t| t.kind),
            key: record.key.as_deref().map(|key| BASE64.encode(key)),
            value: record.value.as_deref().map(|value| BASE64.encode(value)),
            headers: record
                .headers
                .iter()
                .map(|h| JournaledHeader {
                    name: h.name.clone(),
                    value: h.value.as_deref().map(|value| BASE64.encode(value)),
                })
                .collect(),
            action: action.clone(),
        }
    }

    /// The original record, bytes decoded.
    ///
    /// # Errors
    /// A field that is not base64.
    pub fn record(&self) -> Result<Record, String> {
        let decode = |what: &str, text: &str| {
            BASE64
                .decode(text)
                .map_err(|error| format!("{what} is not base64: {error}"))
        };
        Ok(Record {
            read_from: None,
            at: Coordinates {
                topic: self.topic.clone(),
                partition: self.partition,
                offset: self.offset,
            },
            timestamp: self.timestamp.map(|millis| Timestamp {
                millis,
                kind: self.timestamp_type.unwrap_or(TimestampKind::CreateTime),
            }),
            key: self.key.as_deref().map(|k| decode("key", k)).transpose()?,
            value: self
                .value
                .as_deref()
                .map(|v| decode("value", v))
                .transpose()?,
            headers: self
                .headers
                .iter()
                .map(|h| {
                    Ok(Header {
                        name: h.name.clone(),
                        value: h
                            .value
                            .as_deref()
                            .map(|v| decode(&format!("header {}", h.name), v))
                            .transpose()?,
                    })
                })
                .collect::<Result<_, String>>()?,
        })
    }
}

/// An open journal: entries are buffered by [`Journal::add`] and made durable by
/// [`Journal::sync`].
pub struct Journal {
    path: PathBuf,
    file: File,
    buffer: Vec<u8>,
    /// Entries and bytes made durable by this run.
    pub entries: u64,
    pub bytes: u64,
    buffered: u64,
}

impl Journal {
    /// Opens `path` for appending (creating it) and writes and syncs `header`. A last line
    /// cut short by a crash is ended first, so the new lines stand on their own.
    ///
    /// # Errors
    /// When the file cannot be opened, read or written.
    pub fn open(path: &Path, header: &JournalHeader) -> anyhow::Result<Self> {
        let mut file = crate::private_file::options()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        let mut buffer = Vec::new();
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        if length > 0 {
            let mut last = [0];
            file.seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .with_context(|| format!("cannot read the journal {}", path.display()))?;
            if last[0] != b'\n' {
                buffer.push(b'\n');
            }
        }
        serde_json::to_writer(&mut buffer, header)?;
        buffer.push(b'\n');
        let mut journal = Self {
            path: path.to_owned(),
            file,
            buffer,
            entries: 0,
            bytes: 0,
            buffered: 0,
        };
        journal.sync()?;
        journal.entries = 0;
        journal.bytes = 0;
        Ok(journal)
    }

    /// Buffers one entry.
    ///
    /// # Errors
    /// When it cannot be serialized.
    pub fn add(&mut self, entry: &JournalEntry) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.buffer, entry)?;
        self.buffer.push(b'\n');
        self.buffered += 1;
        Ok(())
    }

    /// Writes what is buffered and syncs it to disk.
    ///
    /// # Errors
    /// When the file cannot be written or synced.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.buffer)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))?;
        self.bytes += self.buffer.len() as u64;
        self.entries += self.buffered;
        self.buffer.clear();
        self.buffered = 0;
        Ok(())
    }

    /// Forgets what is buffered and not yet synced (its writes never happen).
    pub fn drop_buffered(&mut self) {
        self.buffer.clear();
        self.buffered = 0;
    }

    /// "N entries, B bytes (b per record)" for the end of a run.
    #[must_use]
    pub fn report(&self) -> String {
        let per = self.bytes.checked_div(self.entries).unwrap_or(0);
        format!(
            "Journal {}: {} record(s), {} bytes ({per} bytes per record)",
            self.path.display(),
            self.entries,
            self.bytes
        )
    }
}

/// How long a journaled decision may wait for its sync before it is written.
const HOLD_AT_MOST: Duration = Duration::from_millis(50);
/// How many journaled decisions may wait for their sync.
const HOLD_RECORDS: usize = 4096;

/// A sink that journals every writing action, synced, before its inner sink sees it. Actions
/// are held until their entries are synced: in groups (at most [`HOLD_RECORDS`] or
/// [`HOLD_AT_MOST`]), and always before a commit.
pub struct Journaled<S> {
    inner: S,
    pub journal: Journal,
    held: Vec<(Record, Action)>,
    since: Option<Instant>,
}

impl<S: ActionSink> Journaled<S> {
    pub fn new(inner: S, journal: Journal) -> Self {
        Self {
            inner,
            journal,
            held: Vec::new(),
            since: None,
        }
    }

    fn release(&mut self) -> anyhow::Result<()> {
        self.journal.sync()?;
        self.since = None;
        for (record, action) in std::mem::take(&mut self.held) {
            self.inner.apply(&record, &action)?;
        }
        Ok(())
    }
}

impl<S: ActionSink> ActionSink for Journaled<S> {
    fn apply(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        if !action.writes() {
            return self.inner.apply(record, action);
        }
        self.journal
            .add(&JournalEntry::new(JournalOp::Decision, record, action))?;
        self.held.push((record.clone(), action.clone()));
        let since = *self.since.get_or_insert_with(Instant::now);
        if self.held.len() >= HOLD_RECORDS || since.elapsed() >= HOLD_AT_MOST {
            self.release()?;
        }
        Ok(())
    }

    fn commit(&mut self, offsets: &Offsets) -> anyhow::Result<()> {
        self.release()?;
        self.inner.commit(offsets)
    }

    fn abort(&mut self) -> anyhow::Result<()> {
        self.held.clear();
        self.since = None;
        self.journal.drop_buffered();
        self.inner.abort()
    }
}

impl<S> Drop for Journaled<S> {
    fn drop(&mut self) {
        if self.journal.entries > 0 {
            tracing::info!("{}", self.journal.report());
        }
    }
}

/// The topic of the journal at `path`, from its first header (checked, version included).
///
/// # Errors
/// An unreadable file, or one that does not start as a journal.
pub fn journal_topic(path: &Path) -> Result<String, FileError> {
    let mut reader = JournalReader::open(path, None)?;
    if let Some(Err(error)) = reader.next() {
        return Err(error);
    }
    let path = reader.path.clone();
    reader
        .finish()?
        .headers
        .into_iter()
        .next()
        .map(|header| header.topic)
        .ok_or_else(|| FileError::whole(&path, "not a journal"))
}

/// A journal read back, entry by entry with its line number (an iterator: a journal holds every
/// record's bytes, and is never held in memory whole). Every run's header is checked and kept;
/// a last line cut short by a crash ends the reading and is noted in `cut_line` (its write
/// never happened).
pub struct JournalReader {
    path: PathBuf,
    lines: Box<dyn Iterator<Item = Result<(usize, String), FileError>>>,
    pub headers: Vec<JournalHeader>,
    pub cut_line: Option<usize>,
    /// Stop after this line (what an earlier reading saw: the run appends to the file).
    until: Option<usize>,
    /// The number of the last line read.
    pub last_line: usize,
}

impl JournalReader {
    /// Starts reading `path`, up to line `until` when given.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path, until: Option<usize>) -> Result<Self, FileError> {
        Ok(Self {
            path: path.to_owned(),
            lines: Box::new(lines(path)?),
            headers: Vec::new(),
            cut_line: None,
            until,
            last_line: 0,
        })
    }

    fn header(&mut self, number: usize, text: &str) -> Result<(), FileError> {
        let path = &self.path;
        let value: serde_json::Value = parse(path, number, text, "journal header")?;
        let version = value.get("kmp-journal").and_then(serde_json::Value::as_u64);
        if !version.is_some_and(|version| {
            (u64::from(OLDEST_JOURNAL_VERSION)..=u64::from(JOURNAL_VERSION)).contains(&version)
        }) {
            return Err(FileError::line(
                path,
                number,
                format!(
                    "journal format version {} is unknown to this kafka-merge-purge (it reads versions {OLDEST_JOURNAL_VERSION} to {JOURNAL_VERSION})",
                    version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
                ),
            ));
        }
        self.headers
            .push(parse(path, number, text, "journal header")?);
        Ok(())
    }

    fn entry(&self, number: usize, text: &str) -> Result<JournalEntry, FileError> {
        if self.headers.is_empty() {
            return Err(FileError::line(
                &self.path,
                number,
                "not a journal: it does not start with a \"kmp-journal\" header line",
            ));
        }
        let entry: JournalEntry = parse(&self.path, number, text, "journal entry")?;
        entry
            .record()
            .map_err(|reason| FileError::line(&self.path, number, reason))?;
        Ok(entry)
    }

    /// Reads the whole file, checking it; the entries are dropped as they are read.
    ///
    /// # Errors
    /// The first problem found, with its line number.
    pub fn check(path: &Path) -> Result<Self, FileError> {
        let mut reader = Self::open(path, None)?;
        for entry in reader.by_ref() {
            entry?;
        }
        reader.finish()
    }

    /// After the last entry: fails when the file held no header at all.
    ///
    /// # Errors
    /// An empty file, or one without a journal header.
    pub fn finish(self) -> Result<Self, FileError> {
        if self.headers.is_empty() {
            return Err(FileError::whole(&self.path, "empty file: not a journal"));
        }
        Ok(self)
    }
}

impl Iterator for JournalReader {
    type Item = Result<(usize, JournalEntry), FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.until.is_some_and(|until| self.last_line >= until) {
                return None;
            }
            let (number, text) = match self.lines.next()? {
                Ok(line) => line,
                Err(FileError::Line { line, reason, .. }) if reason.contains("cut short") => {
                    self.cut_line = Some(line);
                    return None;
                }
                Err(error) => return Some(Err(error)),
            };
            self.last_line = number;
            if text.trim().is_empty() {
                continue;
            }
            if text.starts_with("{\"kmp-journal\"") {
                if let Err(error) = self.header(number, &text) {
                    return Some(Err(error));
                }
                continue;
            }
            return Some(self.entry(number, &text).map(|entry| (number, entry)));
        }
    }
}

#[cfg(test)]
mod tests;
