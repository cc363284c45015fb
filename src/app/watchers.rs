//! What watches a writing run: the progress bar of bulk runs, the audit log and the dry-run
//! report, each present only when the run asks for it.

use std::io::Stdout;

use crate::config::{RunConfig, WriteTask};
use crate::error::Error;
use crate::triage::{Observer, Observers};
use crate::ui::audit::{AuditContext, AuditLog};
use crate::ui::dry_run::DryRunReport;
use crate::ui::progress::Progress;
use crate::ui::terminal::Terminal;

pub(super) struct Watchers {
    progress: Option<Progress>,
    audit: Option<AuditLog>,
    report: Option<DryRunReport<Stdout>>,
}

impl Watchers {
    /// The observers `task` needs over `total` records.
    ///
    /// # Errors
    /// When the audit log cannot be opened.
    pub(super) fn new(
        config: &RunConfig,
        terminal: &Terminal,
        task: &WriteTask,
        total: u64,
    ) -> Result<Self, Error> {
        let settings = &config.settings;
        let audit = match &config.options.audit_log {
            Some(path) => Some(AuditLog::open(
                path,
                AuditContext::current(
                    &settings.bootstrap_servers,
                    settings.group.as_deref(),
                    settings.transactional_id.as_deref(),
                    task.destination.as_deref(),
                ),
            )?),
            None => None,
        };
        Ok(Self {
            progress: (!task.ask).then(|| Progress::new(total, terminal.stderr)),
            audit,
            report: config.options.dry_run.then(DryRunReport::stdout),
        })
    }

    /// All of them, told in order: progress, audit, report.
    pub(super) fn observers(&mut self) -> Observers<'_> {
        let mut all: Vec<&mut dyn Observer> = Vec::new();
        if let Some(progress) = &mut self.progress {
            all.push(progress);
        }
        if let Some(audit) = &mut self.audit {
            all.push(audit);
        }
        if let Some(report) = &mut self.report {
            all.push(report);
        }
        Observers(all)
    }

    /// Removes the progress bar once the run is over.
    pub(super) fn finish(&self) {
        if let Some(progress) = &self.progress {
            progress.finish();
        }
    }
}
