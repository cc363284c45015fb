//! `--audit-log FILE`: one JSON line per committed decision, appended and synced to disk once
//! its batch is committed and before the next record is shown, so ops teams know who merged
//! what. A batch that was aborted leaves no line; a log that cannot be written stops the run.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::record::{Coordinates, Record};
use crate::triage::{Action, LeftAlone, Observer, PlannedAction, Summary};
use crate::ui::said::printable_key;

/// Who runs the tool, where, against what: the same on every line of a run.
#[derive(Debug, Clone, Serialize)]
pub struct AuditContext {
    pub user: String,
    pub host: String,
    pub bootstrap_servers: String,
    pub group: Option<String>,
    pub transactional_id: Option<String>,
    pub destination: Option<String>,
}

impl AuditContext {
    /// The user and host this process runs as and on.
    #[must_use]
    pub fn current(
        bootstrap_servers: &str,
        group: Option<&str>,
        transactional_id: Option<&str>,
        destination: Option<&str>,
    ) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        Self {
            user,
            host,
            bootstrap_servers: bootstrap_servers.to_owned(),
            group: group.map(str::to_owned),
            transactional_id: transactional_id.map(str::to_owned),
            destination: destination.map(str::to_owned),
        }
    }
}

/// What a line says of its record: the action taken, or why it was left alone.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry {
    Action(PlannedAction),
    LeftAlone {
        #[serde(flatten)]
        at: Coordinates,
        action: &'static str,
        reason: String,
    },
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    #[serde(flatten)]
    context: &'a AuditContext,
    #[serde(flatten)]
    entry: &'a Entry,
    key: Option<String>,
}

/// `action` as the audit log says it: a repair by what made it and the original's digest, not
/// its bytes or values (an audit log is shared more widely than a journal).
fn without_payloads(action: &Action) -> Action {
    match action {
        Action::Merge {
            tombstone,
            to,
            repair: Some(repair),
        } => Action::Merge {
            tombstone: *tombstone,
            to: to.clone(),
            repair: Some(std::sync::Arc::new(repair.summary())),
        },
        action => action.clone(),
    }
}

/// Appends committed decisions to the audit file.
pub struct AuditLog {
    file: File,
    context: AuditContext,
    pending: Vec<(Entry, Option<String>)>,
}

impl AuditLog {
    /// Opens (creating if needed) `path` for appending.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path, context: AuditContext) -> anyhow::Result<Self> {
        let file = crate::private_file::options()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open audit log {}", path.display()))?;
        Ok(Self {
            file,
            context,
            pending: Vec::new(),
        })
    }

    fn write_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut lines = Vec::new();
        for (entry, key) in self.pending.drain(..) {
            let line = Line {
                time: time.clone(),
                context: &self.context,
                entry: &entry,
                key,
            };
            serde_json::to_writer(&mut lines, &line)?;
            lines.push(b'\n');
        }
        self.file.write_all(&lines)?;
        self.file.sync_data()
    }
}

impl Observer for AuditLog {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        self.pending.push((
            Entry::Action(PlannedAction {
                at: record.at.clone(),
                action: without_payloads(action),
            }),
            record.key.as_deref().map(printable_key),
        ));
        Ok(())
    }

    fn on_left_alone(&mut self, record: &Record, why: &LeftAlone) -> anyhow::Result<()> {
        self.pending.push((
            Entry::LeftAlone {
                at: record.at.clone(),
                action: "left-alone",
                reason: why.to_string(),
            },
            record.key.as_deref().map(printable_key),
        ));
        Ok(())
    }

    fn on_commit(&mut self, _total: &Summary) -> anyhow::Result<()> {
        // The decisions are committed; a log that cannot record them stops the run.
        self.write_pending().map_err(|error| {
            anyhow::Error::new(error).context(
                "cannot write the audit log: the last batch is committed in Kafka but not in the log",
            )
        })
    }

    fn on_abort(&mut self) {
        // Aborted: these decisions never happened; their records come again.
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::Target;

    fn context() -> AuditContext {
        AuditContext::current("h:1", Some("g"), None, Some("retry"))
    }

    fn merge() -> Action {
        Action::Merge {
            tombstone: true,
            to: Target::topic("retry"),
            repair: None,
        }
    }

    #[test]
    fn only_committed_decisions_are_written_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path, context()).unwrap();
        // A batch that is aborted leaves nothing; its records come again and are committed.
        log.on_action(&Record::test(0, 0), &merge()).unwrap();
        log.on_action(&Record::test(0, 1), &merge()).unwrap();
        log.on_abort();
        log.on_action(&Record::test(0, 0), &merge()).unwrap();
        log.on_action(&Record::test(0, 1), &Action::Purge).unwrap();
        log.on_commit(&Summary::default()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let offsets: Vec<(i64, String)> = text
            .lines()
            .map(|line| {
                let line: serde_json::Value = serde_json::from_str(line).unwrap();
                (
                    line["offset"].as_i64().unwrap(),
                    line["action"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(offsets, [(0, "merge".into()), (1, "purge".into())]);
        #[cfg(unix)]
        assert_eq!(crate::private_file::tests::mode_of(&path), 0o600);
    }

    /// A log that cannot be written fails the commit's report, which ends the run.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_log_that_cannot_be_written_is_an_error() {
        let mut log = AuditLog::open(Path::new("/dev/full"), context()).unwrap();
        log.on_action(&Record::test(0, 0), &merge()).unwrap();
        let error = log.on_commit(&Summary::default()).unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot write the audit log"),
            "{error:#}"
        );
    }
}
