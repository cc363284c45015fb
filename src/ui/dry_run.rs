//! `--dry-run`: one line per record on stdout saying what would be done.

use std::io::{self, Write};

use crate::record::Record;
use crate::triage::{Action, Observer, SkipReason};

/// Prints what a real run would do with each record.
pub struct DryRunReport<W: Write> {
    out: W,
    destination: Option<String>,
}

impl<W: Write> DryRunReport<W> {
    pub fn new(out: W, destination: Option<&str>) -> Self {
        Self {
            out,
            destination: destination.map(str::to_owned),
        }
    }
}

impl DryRunReport<io::Stdout> {
    #[must_use]
    pub fn stdout(destination: Option<&str>) -> Self {
        Self::new(io::stdout(), destination)
    }
}

impl<W: Write> Observer for DryRunReport<W> {
    fn on_action(&mut self, record: &Record, action: Action) -> anyhow::Result<()> {
        let what = match action {
            Action::Merge { tombstone: true } => format!(
                "would merge into {} and tombstone",
                self.destination.as_deref().unwrap_or("?")
            ),
            Action::Merge { tombstone: false } => format!(
                "would merge into {} (no tombstone: {})",
                self.destination.as_deref().unwrap_or("?"),
                if record.key.is_none() {
                    "null key"
                } else {
                    "already a tombstone"
                }
            ),
            Action::Purge => "would purge (tombstone)".to_owned(),
            Action::Skip {
                reason: SkipReason::Decided,
            } => "would skip".to_owned(),
            Action::Skip {
                reason: SkipReason::ExistingTombstone,
            } => "would pass over (already a tombstone)".to_owned(),
            Action::Skip {
                reason: SkipReason::NullKey,
            } => "cannot purge (null key)".to_owned(),
        };
        writeln!(
            self.out,
            "{} partition {} offset {}: {what}",
            record.at.topic, record.at.partition, record.at.offset
        )?;
        Ok(())
    }
}
