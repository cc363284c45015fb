//! `--dry-run`: one line per record on stdout saying what would be done, and where to.

use std::io::{self, Write};

use crate::record::Record;
use crate::triage::{Action, LeftAlone, Observer, SkipReason};

use super::said::target_text;

/// Prints what a real run would do with each record.
pub struct DryRunReport<W: Write> {
    out: W,
}

impl<W: Write> DryRunReport<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    fn line(&mut self, record: &Record, what: &str) -> io::Result<()> {
        writeln!(
            self.out,
            "{} partition {} offset {}: {what}",
            record.at.topic, record.at.partition, record.at.offset
        )
    }
}

impl DryRunReport<io::Stdout> {
    #[must_use]
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }
}

/// How a dry run says a merge is repaired: ` repaired (edit)`, ` repaired (jq:…)`.
fn repaired(repair: Option<&crate::repair::Repair>) -> String {
    repair.map_or_else(String::new, |repair| format!(" repaired ({})", repair.by))
}

impl<W: Write> Observer for DryRunReport<W> {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        let what = match action {
            Action::Merge {
                tombstone: true,
                to,
                repair,
            } => format!(
                "would merge{} into {} and tombstone",
                repaired(repair.as_deref()),
                target_text(to)
            ),
            Action::Merge {
                tombstone: false,
                to,
                repair,
            } => format!(
                "would merge{} into {} (no tombstone: {})",
                repaired(repair.as_deref()),
                target_text(to),
                if record.read_from.is_some() {
                    "a share group's pointer, which gets a marker without a key"
                } else if record.own_key().is_none() {
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
            Action::Skip {
                reason: SkipReason::AlreadyDecided,
            } => "would pass over (already merged or purged: a later tombstone has its key)"
                .to_owned(),
        };
        self.line(record, &what)?;
        Ok(())
    }

    fn on_left_alone(&mut self, record: &Record, why: &LeftAlone) -> anyhow::Result<()> {
        self.line(record, &format!("would leave alone: {why}"))?;
        Ok(())
    }
}
