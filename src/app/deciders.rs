//! Who decides a writing run's records: a person at the prompt (`ask`), else the bulk rule,
//! with `--transform`'s repairs.

use crate::config::{ConfigError, WriteTask};
use crate::decode::Decoder;
use crate::error::Error;
use crate::repair::{Repairer, Transform};
use crate::triage::{Always, Decision, DecisionSource, Transformed};
use crate::ui::prompt;

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
            return Ok(match self.repairer(task)? {
                Some(repairer) => {
                    let preview: Option<Box<dyn std::io::Write>> = (self.config.options.dry_run
                        && self.config.options.plan.is_none())
                    .then(|| Box::new(std::io::stdout()) as Box<dyn std::io::Write>);
                    Box::new(Transformed::new(always, repairer, preview))
                }
                None => Box::new(always),
            });
        }
        let group_by = task
            .overview
            .as_ref()
            .and_then(|headers| headers.first().cloned());
        Ok(prompt::for_terminal(
            &self.terminal,
            self.renderer(self.terminal.color_stderr())?,
            self.interrupt.clone(),
            total,
            group_by,
            task.redrive.to_origin,
            match (&self.config.options.plan, self.config.options.dry_run) {
                (Some(_), _) => Some("Planned, not written: "),
                (None, true) => Some("Dry run, not written: "),
                (None, false) => None,
            },
        ))
    }

    /// The repairer of `--transform`, with a decoder (and registry client) of its own.
    fn repairer(&self, task: &WriteTask) -> Result<Option<Repairer>, Error> {
        let Some(expression) = &task.transform else {
            return Ok(None);
        };
        let transform = Transform::compile(expression).map_err(ConfigError::Other)?;
        let decoder =
            Decoder::new(self.settings()).map_err(|error| ConfigError::Other(error.to_string()))?;
        Ok(Some(Repairer::new(decoder, Some(transform))))
    }
}
