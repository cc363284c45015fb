//! `undo FILE`: writes the records of a journal back into their DLQ, so they are pending
//! again. A first reading of the journal keeps digests of each decision (never the bytes); one
//! pass over the DLQ tells, for each, whether it was carried out and whether it was undone
//! already (`review::UndoWatch`); a second reading picks the records to write back, which are
//! journaled (as `undo` entries, appended to the same file) and synced before they are
//! written, in transactions with `-t`, in their original order within each partition. With
//! `--tombstone-copies`, each merged copy gets a tombstone in its destination.

use std::collections::{BTreeMap, HashMap};

use crate::config::{ConfigError, UndoTask};
use crate::error::Error;
use crate::kafka::{AssignedSource, KafkaWriter, OutgoingCopy, RecordProducer, Tombstone, Writer};
use crate::record::Record;
use crate::review::{
    FileError, Journal, JournalEntry, JournalOp, JournalReader, UndoStep, UndoVerdict, UndoWatch,
};
use crate::triage::{Action, Offsets, RecordSource, Target};
use crate::ui::output::message;

use super::Run;

/// Records written back per transaction (or per flush without `-t`).
const BATCH: usize = 10_000;
/// How many refused records are listed one by one.
const LISTED: usize = 20;

fn invalid(error: &FileError) -> Error {
    ConfigError::Other(format!("invalid journal: {error}")).into()
}

impl Run<'_> {
    pub(super) fn undo(&self, task: &UndoTask) -> Result<(), Error> {
        let mut watches: BTreeMap<String, UndoWatch> = BTreeMap::new();
        let mut reader = JournalReader::open(&task.journal, None).map_err(|e| invalid(&e))?;
        for entry in reader.by_ref() {
            let (line, entry) = entry.map_err(|e| invalid(&e))?;
            watches
                .entry(entry.topic.clone())
                .or_default()
                .add(line, &entry)
                .map_err(|reason| {
                    ConfigError::Other(format!(
                        "invalid journal: {}, line {line}: {reason}",
                        task.journal.display()
                    ))
                })?;
        }
        let reader = reader.finish().map_err(|e| invalid(&e))?;
        if let Some(line) = reader.cut_line {
            tracing::warn!(
                "line {line} of {} was cut short by a crash: its write never happened, it is not undone",
                task.journal.display()
            );
        }
        let mut refused = 0;
        // The journal's line of each record to write back, and where it was merged to.
        let mut todo: HashMap<usize, Option<Target>> = HashMap::new();
        for (topic, watch) in watches {
            let steps = self.judge(&topic, watch)?;
            refused += report(&topic, &steps);
            todo.extend(
                steps
                    .into_iter()
                    .filter(|step| step.verdict == UndoVerdict::Undo)
                    .map(|step| (step.line, step.merged_into)),
            );
        }
        if self.config.options.dry_run {
            message(&format!(
                "Dry run: {} record(s) would be written back",
                todo.len()
            ));
        } else if !todo.is_empty() {
            self.write_back(task, &todo, reader.last_line)?;
        }
        if refused > 0 {
            return Err(Error::Failed {
                source: anyhow::anyhow!(
                    "{refused} journaled decision(s) were not undone (listed above)"
                ),
                summary: None,
            });
        }
        Ok(())
    }

    /// What becomes of the decisions on `topic`, from one pass over it.
    fn judge(&self, topic: &str, mut watch: UndoWatch) -> Result<Vec<UndoStep>, Error> {
        let starts = watch.starts();
        if starts.is_empty() {
            return Ok(Vec::new());
        }
        let mut reader = self.settings().clone();
        reader.group = None;
        let mut pass = AssignedSource::open_at(&reader, topic, &starts, self.interrupt.clone())?;
        while let Some(record) = pass.next_record()? {
            if self.interrupt.is_raised() {
                return Err(Error::Interrupted { summary: None });
            }
            watch.see(&record);
        }
        Ok(watch.steps())
    }

    /// Writes back the records of the journal's lines in `todo` (read again, up to
    /// `last_line`: what this run appends is not read).
    fn write_back(
        &self,
        task: &UndoTask,
        todo: &HashMap<usize, Option<Target>>,
        last_line: usize,
    ) -> Result<(), Error> {
        let header = super::plan::journal_header(self.config, &task.source, None);
        let mut journal = Journal::open(&task.journal, &header)?;
        let mut writer = KafkaWriter::new(RecordProducer::create(self.settings())?, None);
        let mut batch: Vec<(Record, Option<Target>, JournalEntry)> = Vec::with_capacity(BATCH);
        let mut written: BTreeMap<String, u64> = BTreeMap::new();
        let mut copies = 0;
        let mut reader =
            JournalReader::open(&task.journal, Some(last_line)).map_err(|e| invalid(&e))?;
        loop {
            let next = reader.next().transpose().map_err(|e| invalid(&e))?;
            let done = next.is_none();
            if let Some((line, entry)) = next
                && let Some(merged_into) = todo.get(&line)
            {
                let record = entry.record().map_err(|reason| {
                    ConfigError::Other(format!("invalid journal: line {line}: {reason}"))
                })?;
                copies += usize::from(merged_into.is_some());
                *written.entry(record.at.topic.clone()).or_default() += 1;
                batch.push((record, merged_into.clone(), entry));
            }
            if batch.len() >= BATCH || (done && !batch.is_empty()) {
                if self.interrupt.is_raised() {
                    return Err(Error::Interrupted { summary: None });
                }
                for (record, _, entry) in &batch {
                    journal.add(&JournalEntry::new(JournalOp::Undo, record, &entry.action))?;
                }
                journal.sync()?;
                put_back(&mut writer, &batch, task.tombstone_copies)?;
                batch.clear();
            }
            if done {
                break;
            }
        }
        message(&journal.report());
        for (topic, count) in written {
            message(&format!(
                "Undo: {count} record(s) written back into {topic}, pending again"
            ));
        }
        if copies > 0 {
            message(&if task.tombstone_copies {
                format!(
                    "{copies} merged cop(ies) tombstoned in their destination; a consumer may have read them already: undo cannot take that back"
                )
            } else {
                format!(
                    "{copies} merged cop(ies) stay in their destination (they may have been consumed already); --tombstone-copies writes tombstones for them"
                )
            });
        }
        Ok(())
    }
}

/// Writes one batch back, in one transaction with `-t`: each original whole (key, value,
/// headers in order, timestamp, partition), and a tombstone for its copy when asked.
fn put_back(
    writer: &mut KafkaWriter,
    batch: &[(Record, Option<Target>, JournalEntry)],
    tombstone_copies: bool,
) -> Result<(), Error> {
    let transactional = writer.is_transactional();
    let sent = (|| {
        if transactional {
            writer.begin()?;
        }
        for (record, merged_into, entry) in batch {
            writer.send_copy(&OutgoingCopy {
                record,
                to: &Target {
                    topic: record.at.topic.as_str().into(),
                    partition: Some(record.at.partition),
                },
                headers: &record.headers,
                timestamp: record.timestamp.map(|t| t.millis),
                repair: None,
            })?;
            // A repaired copy may have a key of its own.
            let copy_key = match &entry.action {
                Action::Merge {
                    repair: Some(repair),
                    ..
                } => repair.key.as_ref().or(record.key.as_ref()),
                _ => record.key.as_ref(),
            };
            if let (true, Some(to), Some(key)) = (tombstone_copies, merged_into, copy_key) {
                writer.send_tombstone(&Tombstone {
                    topic: &to.topic,
                    partition: to.partition,
                    key: Some(key),
                    headers: &[],
                })?;
            }
        }
        if transactional {
            writer.commit_transaction(&Offsets::default())
        } else {
            writer.flush()
        }
    })();
    if let Err(error) = sent {
        if transactional && let Err(abort) = writer.abort_transaction() {
            tracing::warn!("aborting the transaction failed too: {abort:#}");
        }
        return Err(error.into());
    }
    Ok(())
}

/// Says what the pass found on `topic`; returns how many decisions were refused.
fn report(topic: &str, steps: &[UndoStep]) -> usize {
    let count = |f: fn(&UndoVerdict) -> bool| steps.iter().filter(|s| f(&s.verdict)).count();
    let done = count(|v| matches!(v, UndoVerdict::AlreadyUndone { .. }));
    let not_applied = count(|v| *v == UndoVerdict::NotApplied);
    let nothing = count(|v| *v == UndoVerdict::NothingRemoved);
    message(&format!(
        "{} journaled decision(s) on {topic}: {} to write back, {done} already written back, {not_applied} never applied, {nothing} removed nothing from the DLQ",
        steps.len(),
        count(|v| *v == UndoVerdict::Undo)
    ));
    let refused: Vec<&UndoStep> = steps
        .iter()
        .filter(|s| matches!(s.verdict, UndoVerdict::Refused { .. }))
        .collect();
    for step in refused.iter().take(LISTED) {
        message(&format!(
            "  {topic} partition {} offset {}: {}",
            step.partition, step.offset, step.verdict
        ));
    }
    if refused.len() > LISTED {
        message(&format!("  ... and {} more", refused.len() - LISTED));
    }
    refused.len()
}
