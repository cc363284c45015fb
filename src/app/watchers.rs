//! What watches a writing run: the progress bar of bulk runs, the audit log, the dry-run
//! report and the plan writer, each present only when the run asks for it.

use std::io::Stdout;

use crate::config::{RunConfig, WriteTask};
use crate::error::Error;
use crate::review::PlanWriter;
use crate::triage::{Observer, Observers};
use crate::ui::audit::{AuditContext, AuditLog};
use crate::ui::dry_run::DryRunReport;
use crate::ui::progress::Progress;
use crate::ui::terminal::Terminal;

pub(super) struct Watchers {
    progress: Option<Progress>,
    audit: Option<AuditLog>,
    report: Option<DryRunReport<Stdout>>,
    plan: Option<PlanWriter>,
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
        Ok(Self {
            progress: (!task.ask).then(|| Progress::new(total, terminal.stderr)),
            audit: audit_log(config, task.destination.as_deref())?,
            // A plan says it all in its file.
            report: (config.options.dry_run && config.options.plan.is_none())
                .then(DryRunReport::stdout),
            plan: None,
        })
    }

    /// `apply`: the progress bar over `total` records and the audit log.
    ///
    /// # Errors
    /// When the audit log cannot be opened.
    pub(super) fn for_apply(
        config: &RunConfig,
        terminal: &Terminal,
        total: u64,
    ) -> Result<Self, Error> {
        Ok(Self {
            progress: Some(Progress::new(total, terminal.stderr)),
            audit: audit_log(config, None)?,
            report: None,
            plan: None,
        })
    }

    /// Also writes the plan (`--plan`).
    #[must_use]
    pub(super) fn with_plan(mut self, plan: Option<PlanWriter>) -> Self {
        self.plan = plan;
        self
    }

    /// The plan writer, to finish or discard once the run is over.
    pub(super) fn take_plan(&mut self) -> Option<PlanWriter> {
        self.plan.take()
    }

    /// The audit log alone, when asked for: the full-screen view shows the rest itself.
    ///
    /// # Errors
    /// When the audit log cannot be opened.
    pub(super) fn audit_only(config: &RunConfig, task: &WriteTask) -> Result<Self, Error> {
        Ok(Self {
            progress: None,
            audit: audit_log(config, task.destination.as_deref())?,
            report: None,
            plan: None,
        })
    }

    /// All of them, told in order: progress, audit, report.
    pub(super) fn observers(&mut self) -> Observers<'_> {
        self.collect(Vec::new())
    }

    /// `first`, then all of them.
    pub(super) fn observers_with<'a>(&'a mut self, first: &'a mut dyn Observer) -> Observers<'a> {
        self.collect(vec![first])
    }

    fn collect<'a>(&'a mut self, mut all: Vec<&'a mut dyn Observer>) -> Observers<'a> {
        if let Some(progress) = &mut self.progress {
            all.push(progress);
        }
        if let Some(audit) = &mut self.audit {
            all.push(audit);
        }
        if let Some(report) = &mut self.report {
            all.push(report);
        }
        if let Some(plan) = &mut self.plan {
            all.push(plan);
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

fn audit_log(config: &RunConfig, destination: Option<&str>) -> Result<Option<AuditLog>, Error> {
    let settings = &config.settings;
    let Some(path) = &config.options.audit_log else {
        return Ok(None);
    };
    Ok(Some(AuditLog::open(
        path,
        AuditContext::current(
            &settings.bootstrap_servers,
            settings.group.as_deref(),
            settings.transactional_id.as_deref(),
            destination,
        ),
    )?))
}
