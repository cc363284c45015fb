//! `--plan FILE`: the decisions of a run that writes nothing, as a plan file (see `format`).
//! Written to `FILE.partial` as the run goes and renamed to `FILE` once the end line is
//! synced, so `FILE` is either a whole plan or absent.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::format::PlanRepair;
use crate::record::Record;
use crate::redrive::{CopyTimestamp, HeaderPolicy};
use crate::triage::{Action, DEFAULT_CLASS_HEADERS, LeftAlone, Observer, Overview, SkipReason};

use super::digest::{RecordDigests, to_hex};
use super::format::{EndLine, HeaderChanges, PlanDecision, PlanEnd, PlanHeader, PlanLine};

/// Writes one plan line per action and left-alone record.
pub struct PlanWriter {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    topic: String,
    headers: HeaderPolicy,
    timestamp: CopyTimestamp,
    /// Where the failure class comes from (the overview's exception-class headers).
    classes: Overview,
    end: PlanEnd,
    /// Per decision, how many lines.
    pub counts: BTreeMap<&'static str, u64>,
}

impl PlanWriter {
    /// Starts the plan at `path` with its `header`; merges copy headers by `headers` and
    /// `timestamp` (what each line's header changes say).
    ///
    /// # Errors
    /// When the file cannot be created or written.
    pub fn create(
        path: &Path,
        header: &PlanHeader,
        headers: HeaderPolicy,
        timestamp: CopyTimestamp,
    ) -> anyhow::Result<Self> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = crate::private_file::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .with_context(|| format!("cannot create the plan {}", partial.display()))?;
        let mut writer = Self {
            path: path.to_owned(),
            partial,
            out: BufWriter::with_capacity(1 << 16, file),
            topic: header.topic.clone(),
            headers,
            timestamp,
            classes: Overview::new(
                DEFAULT_CLASS_HEADERS
                    .iter()
                    .map(|&name| name.to_owned())
                    .collect(),
            ),
            end: PlanEnd::default(),
            counts: BTreeMap::new(),
        };
        writer.write(header)?;
        Ok(writer)
    }

    fn write(&mut self, line: &impl serde::Serialize) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, line)
            .and_then(|()| self.out.write_all(b"\n").map_err(serde_json::Error::io))
            .with_context(|| format!("cannot write the plan {}", self.partial.display()))
    }

    fn line(&self, record: &Record, decision: PlanDecision) -> PlanLine {
        let digests = RecordDigests::of(record);
        let class = self
            .classes
            .class_of(record)
            .map(|class| String::from_utf8_lossy(&class).into_owned());
        PlanLine {
            topic: self.topic.clone(),
            partition: record.at.partition,
            offset: record.at.offset,
            timestamp: record.timestamp.map(|t| t.millis),
            timestamp_type: record.timestamp.map(|t| t.kind),
            key: record.key.as_deref().map(|key| BASE64.encode(key)),
            key_sha256: digests.key.as_ref().map(to_hex),
            value_sha256: digests.value.as_ref().map(to_hex),
            headers_sha256: to_hex(&digests.headers),
            decision,
            reason: None,
            destination: None,
            destination_partition: None,
            tombstone: false,
            class,
            header_changes: None,
            repair: None,
        }
    }

    /// How a merged copy's headers differ from `record`'s.
    fn changes(&self, record: &Record) -> HeaderChanges {
        let removed = record
            .headers
            .iter()
            .filter(|h| !self.headers.keeps(&h.name))
            .map(|h| h.name.clone())
            .collect();
        let copy = self.headers.copy_headers(record, self.timestamp);
        let kept = record
            .headers
            .iter()
            .filter(|h| self.headers.keeps(&h.name))
            .count();
        let added = copy
            .into_iter()
            .skip(kept)
            .map(|h| {
                let value = String::from_utf8_lossy(h.value.as_deref().unwrap_or_default());
                (h.name, value.into_owned())
            })
            .collect();
        HeaderChanges { removed, added }
    }

    fn push(&mut self, line: &PlanLine) -> anyhow::Result<()> {
        self.write(line)?;
        self.end.records += 1;
        *self.counts.entry(line.decision.as_str()).or_default() += 1;
        Ok(())
    }

    /// Writes the end line, syncs the file and gives it its name; returns the number of
    /// record lines.
    ///
    /// # Errors
    /// When the file cannot be written, synced or renamed.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        let end = EndLine {
            end: std::mem::take(&mut self.end),
        };
        self.write(&end)?;
        let file = self
            .out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
            .with_context(|| format!("cannot write the plan {}", self.partial.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync the plan {}", self.partial.display()))?;
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })?;
        Ok(end.end.records)
    }

    /// Removes the partial file of a run that did not finish.
    pub fn discard(self) {
        let partial = self.partial.clone();
        drop(self);
        if let Err(error) = std::fs::remove_file(&partial) {
            tracing::debug!("cannot remove {}: {error}", partial.display());
        }
    }
}

impl Observer for PlanWriter {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        let line = match action {
            Action::Merge {
                tombstone,
                to,
                repair,
            } => {
                let mut line = self.line(record, PlanDecision::Merge);
                line.repair = repair.as_deref().map(PlanRepair::of);
                line.destination = Some(to.topic.to_string());
                line.destination_partition = to.partition;
                line.tombstone = *tombstone;
                line.header_changes = Some(self.changes(record));
                line
            }
            Action::Purge => {
                let mut line = self.line(record, PlanDecision::Purge);
                line.tombstone = record.own_key().is_some();
                line
            }
            Action::Skip { reason } => {
                let mut line = self.line(record, PlanDecision::Skip);
                line.reason = match reason {
                    SkipReason::Decided => None,
                    SkipReason::ExistingTombstone => Some("existing-tombstone".to_owned()),
                    SkipReason::NullKey => Some("null-key".to_owned()),
                    SkipReason::AlreadyDecided => Some("already-decided".to_owned()),
                };
                line
            }
        };
        self.push(&line)
    }

    fn on_left_alone(&mut self, record: &Record, why: &LeftAlone) -> anyhow::Result<()> {
        let mut line = self.line(record, PlanDecision::LeftAlone);
        line.reason = Some(why.to_string());
        self.push(&line)
    }

    fn on_left_out(&mut self, record: &Record) {
        *self.end.left_out.entry(record.at.partition).or_default() += 1;
    }
}
