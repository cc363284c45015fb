//! Plan files and journals in a run: the plan writer of `--plan` (its first line from the run's
//! options), its end, `plan show`, and the header of each run's part of a `--journal`.

use std::path::Path;

use crate::config::{ConfigError, RunConfig, WriteTask};
use crate::error::Error;
use crate::kafka::Reader;
use crate::redrive::NamePattern;
use crate::review::{
    JOURNAL_VERSION, JournalHeader, PLAN_VERSION, PlanHeader, PlanOptions, PlanWriter,
};
use crate::ui::audit::AuditContext;
use crate::ui::output::message;

use super::{Run, to_stdout};

/// `plan show FILE`: the summary on stdout.
pub(super) fn show_plan(path: &Path) -> Result<(), Error> {
    let text = crate::review::show(path).map_err(|error| invalid_plan(&error))?;
    to_stdout(|out| out.write_all(text.as_bytes()))
}

/// A plan that is not valid is a usage error naming the line.
pub(super) fn invalid_plan(error: &crate::review::FileError) -> Error {
    ConfigError::Other(format!("invalid plan: {error}")).into()
}

/// Ends the plan and says where it is.
pub(super) fn finish_plan(plan: PlanWriter, config: &RunConfig) -> Result<(), Error> {
    let counts: Vec<String> = plan
        .counts
        .iter()
        .map(|(decision, count)| format!("{count} {decision}"))
        .collect();
    let lines = plan.finish()?;
    if let Some(path) = &config.options.plan {
        message(&format!(
            "Plan written to {}: {lines} record(s){}. Review it with `kafka-merge-purge plan show {0}`, carry it out with `kafka-merge-purge apply {0}`",
            path.display(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            }
        ));
    }
    Ok(())
}

/// The header of this run's part of the journal (the plan's id when applying one).
pub(super) fn journal_header(config: &RunConfig, topic: &str, plan: Option<&str>) -> JournalHeader {
    let settings = &config.settings;
    let who = AuditContext::current(&settings.bootstrap_servers, None, None, None);
    JournalHeader {
        version: JOURNAL_VERSION,
        topic: topic.to_owned(),
        group: settings.group.clone(),
        command: config.task.command().to_owned(),
        started_at: now(),
        user: who.user,
        host: who.host,
        bootstrap_servers: settings.bootstrap_servers.clone(),
        transactional_id: settings.transactional_id.clone(),
        plan: plan.map(str::to_owned),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Run<'_> {
    /// `--plan FILE`: the writer, its first line written.
    pub(super) fn plan_writer(
        &self,
        task: &WriteTask,
        reader: &Reader,
    ) -> Result<Option<PlanWriter>, Error> {
        let Some(path) = &self.config.options.plan else {
            return Ok(None);
        };
        let settings = self.settings();
        let options = &self.config.options;
        let redrive = &task.redrive;
        let who = AuditContext::current(&settings.bootstrap_servers, None, None, None);
        let header = PlanHeader {
            version: PLAN_VERSION,
            id: uuid::Uuid::new_v4().to_string(),
            topic: task.source.clone(),
            group: settings.group.clone(),
            command: task.command.to_owned(),
            created_at: now(),
            user: who.user,
            host: who.host,
            bootstrap_servers: settings.bootstrap_servers.clone(),
            options: PlanOptions {
                destination: task.destination.clone(),
                to_origin: redrive.to_origin,
                allow_origin: redrive.allow_origin.as_ref().map(|r| r.as_str().to_owned()),
                keep_partition: options.keep_partition,
                strip_dlq_headers: redrive.headers.strip_dlq,
                drop_headers: redrive
                    .headers
                    .drop
                    .iter()
                    .map(|pattern| match pattern {
                        NamePattern::Exact(name) => name.clone(),
                        NamePattern::Prefix(prefix) => format!("{prefix}*"),
                    })
                    .collect(),
                timestamp: match redrive.timestamp {
                    crate::redrive::CopyTimestamp::Kept => "kept".to_owned(),
                    crate::redrive::CopyTimestamp::Now => "now".to_owned(),
                },
                max_replays: redrive.max_replays,
                merge_tombstones: task.merge_tombstones,
                pending: options.pending,
                dedupe: redrive.dedupe,
                from_beginning: options.from_beginning,
                limit: options.limit,
            },
            ranges: reader
                .ranges()
                .iter()
                .map(|(&partition, range)| (partition, [range.start, range.end]))
                .collect(),
        };
        Ok(Some(PlanWriter::create(
            path,
            &header,
            redrive.headers.clone(),
            redrive.timestamp,
        )?))
    }
}
