//! Who decides a writing run's records: a person at the prompt (`ask`), else the bulk rule,
//! with `--transform`'s repairs.

use crate::config::{ConfigError, WriteTask};
use crate::decode::Decoder;
use crate::error::Error;
use crate::repair::{Repairer, Transform};
use crate::triage::{Always, Decision, DecisionSource, Transformed};
use crate::ui::prompt::{self, PromptOptions};
use crate::ui::repair_desk::RepairDesk;

use super::Run;

impl Run<'_> {
    /// Who decides: a person at the prompt (`ask`), else the bulk rule.
    pub(super) fn decisions(
        &self,
        task: &WriteTask,
        total: u64,
    ) -> Result<Box<dyn DecisionSource>, Error> {
        if !task.ask {
            let always = Always(if task.merges() {
                Decision::Merge
            } else {
                Decision::Purge
            });
            if task.transform.is_none() {
                return Ok(Box::new(always));
            }
            // A dry run shows the first repairs; a plan holds them all.
            let preview: Option<Box<dyn std::io::Write>> = (self.config.options.dry_run
                && self.config.options.plan.is_none())
            .then(|| Box::new(std::io::stdout()) as Box<dyn std::io::Write>);
            return Ok(Box::new(
                Transformed::new(always, self.repairer(task)?, preview)
                    .keeping_changes(self.config.options.plan.is_some()),
            ));
        }
        let group_by = task
            .overview
            .as_ref()
            .and_then(|headers| headers.first().cloned());
        Ok(prompt::for_terminal(
            &self.terminal,
            self.renderer(self.terminal.color_stderr())?,
            self.interrupt.clone(),
            PromptOptions {
                total,
                group_by,
                show_target: task.redrive.to_origin,
                not_written: match (&self.config.options.plan, self.config.options.dry_run) {
                    (Some(_), _) => Some("Planned, not written: "),
                    (None, true) => Some("Dry run, not written: "),
                    (None, false) => None,
                },
            },
            RepairDesk::new(self.repairer(task)?),
        ))
    }

    /// The repairer of edits and `--transform`, with a decoder (and registry client) of its
    /// own.
    pub(super) fn repairer(&self, task: &WriteTask) -> Result<Repairer, Error> {
        let transform = task
            .transform
            .as_deref()
            .map(Transform::compile)
            .transpose()
            .map_err(ConfigError::Other)?;
        let decoder =
            Decoder::new(self.settings()).map_err(|error| ConfigError::Other(error.to_string()))?;
        Ok(Repairer::new(decoder, transform).writing_with(task.repair_schema))
    }
}
