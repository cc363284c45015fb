//! `undo FILE`: writes the records of a journal back into their DLQ, so they are pending
//! again. One pass over the DLQ tells, for each journaled decision, whether it was carried out
//! and whether it was undone already (`review::UndoWatch`); the records to write back are
//! journaled (as `undo` entries, in the same file) and synced before they are written, in
//! transactions with `-t`. With `--tombstone-copies`, each merged copy gets a tombstone in its
//! destination.

use std::collections::BTreeSet;

use crate::config::{ConfigError, UndoTask};
use crate::error::Error;
use crate::kafka::{KafkaWriter, OutgoingCopy, RecordProducer, SourceConsumer, Tombstone, Writer};
use crate::review::{
    Journal, JournalEntry, JournalFile, JournalOp, UndoStep, UndoVerdict, UndoWatch,
};
use crate::triage::{Action, Offsets, RecordSource, Target};
use crate::ui::output::message;

use super::Run;

/// Records written back per transaction (or per flush without `-t`).
const BATCH: usize = 10_000;
/// How many refused records are listed one by one.
const LISTED: usize = 20;

impl Run<'_> {
    pub(super) fn undo(&self, task: &UndoTask) -> Result<(), Error> {
        let journal = JournalFile::read(&task.journal)
            .map_err(|error| ConfigError::Other(format!("invalid journal: {error}")))?;
        if let Some(line) = journal.cut_line {
            tracing::warn!(
                "line {line} of {} was cut short by a crash: its write never happened, it is not undone",
                task.journal.display()
            );
        }
        let topics: BTreeSet<&str> = journal
            .entries
            .iter()
            .map(|(_, entry)| entry.topic.as_str())
            .collect();
        let mut refused = 0;
        for topic in topics {
            refused += self.undo_topic(task, topic, &journal)?;
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

    /// Undoes the decisions on `topic`; returns how many were refused.
    fn undo_topic(
        &self,
        task: &UndoTask,
        topic: &str,
        journal: &JournalFile,
    ) -> Result<usize, Error> {
        let mut watch = UndoWatch::new(topic, journal.entries.iter().map(|(_, entry)| entry))
            .map_err(|reason| ConfigError::Other(format!("invalid journal: {reason}")))?;
        let starts = watch.starts();
        if starts.is_empty() {
            return Ok(0);
        }
        let mut reader = self.settings().clone();
        reader.group = None;
        let mut pass = SourceConsumer::open_at(&reader, topic, &starts, self.interrupt.clone())?;
        while let Some(record) = pass.next_record()? {
            if self.interrupt.is_raised() {
                return Err(Error::Interrupted { summary: None });
            }
            watch.see(&record);
        }
        drop(pass);
        let steps = watch.steps();
        let refused = report(topic, &steps);
        let todo: Vec<&UndoStep> = steps
            .iter()
            .filter(|step| step.verdict == UndoVerdict::Undo)
            .collect();
        if todo.is_empty() || self.config.options.dry_run {
            if self.config.options.dry_run {
                message(&format!(
                    "Dry run: {} record(s) would be written back into {topic}",
                    todo.len()
                ));
            }
            return Ok(refused);
        }
        self.write_back(task, topic, &todo)?;
        let copies = todo
            .iter()
            .filter(|step| matches!(step.entry.action, Action::Merge { .. }))
            .count();
        message(&format!(
            "Undo: {} record(s) written back into {topic}, pending again",
            todo.len()
        ));
        if copies > 0 {
            if task.tombstone_copies {
                message(&format!(
                    "{copies} merged cop(ies) tombstoned in their destination; a consumer may have read them already: undo cannot take that back"
                ));
            } else {
                message(&format!(
                    "{copies} merged cop(ies) stay in their destination (they may have been consumed already); --tombstone-copies writes tombstones for them"
                ));
            }
        }
        Ok(refused)
    }

    fn write_back(&self, task: &UndoTask, topic: &str, todo: &[&UndoStep]) -> Result<(), Error> {
        let settings = self.settings();
        let header = super::plan::journal_header(self.config, topic, None);
        let mut journal = Journal::open(&task.journal, &header)?;
        let mut writer = KafkaWriter::new(RecordProducer::create(settings)?, None);
        let transactional = writer.is_transactional();
        for batch in todo.chunks(BATCH) {
            if self.interrupt.is_raised() {
                if transactional {
                    writer.abort_transaction()?;
                }
                return Err(Error::Interrupted { summary: None });
            }
            for step in batch {
                journal.add(&JournalEntry::new(
                    JournalOp::Undo,
                    &step.record,
                    &step.entry.action,
                ))?;
            }
            journal.sync()?;
            if transactional {
                writer.begin()?;
            }
            let written = send_batch(&mut writer, task, topic, batch).and_then(|()| {
                if transactional {
                    writer.commit_transaction(&Offsets::default())
                } else {
                    writer.flush()
                }
            });
            if let Err(error) = written {
                if transactional && let Err(abort) = writer.abort_transaction() {
                    tracing::warn!("aborting the transaction failed too: {abort:#}");
                }
                return Err(error.into());
            }
        }
        message(&journal.report());
        Ok(())
    }
}

fn send_batch(
    writer: &mut KafkaWriter,
    task: &UndoTask,
    topic: &str,
    batch: &[&UndoStep],
) -> anyhow::Result<()> {
    for step in batch {
        let record = &step.record;
        let home = Target {
            topic: topic.into(),
            partition: Some(record.at.partition),
        };
        // The original whole: key, value, headers in order, timestamp, partition.
        writer.send_copy(&OutgoingCopy {
            record,
            to: &home,
            headers: &record.headers,
            timestamp: record.timestamp.map(|t| t.millis),
        })?;
        if let (true, Action::Merge { to, .. }, Some(key)) =
            (task.tombstone_copies, &step.entry.action, &record.key)
        {
            writer.send_tombstone(&Tombstone {
                topic: &to.topic,
                partition: to.partition,
                key,
                headers: &[],
            })?;
        }
    }
    Ok(())
}

/// Says what the pass found; returns how many decisions were refused.
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
            step.record.at.partition, step.record.at.offset, step.verdict
        ));
    }
    if refused.len() > LISTED {
        message(&format!("  ... and {} more", refused.len() - LISTED));
    }
    refused.len()
}
