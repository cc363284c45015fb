//! Wires settings, clients, decision source and sink together for each subcommand, and
//! reports what was done.

use std::io::{self, IsTerminal};
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::{Cli, Command, MergeArgs, PrintArgs, TopicArgs};
use crate::config::{self, ConfigError, Settings};
use crate::error::Error;
use crate::kafka::{KafkaSink, OffsetsOnly, RecordProducer, SourceConsumer};
use crate::triage::{
    ActionSink, Always, CommitPolicy, Decision, DecisionSource, Engine, EngineOptions, Interrupt,
    Observer, RunError, Summary,
};
use crate::ui::output::{RecordPrinter, is_broken_pipe, message};
use crate::ui::prompt::LinePrompt;

/// Commit points of the bulk commands: many records per transaction, never long open.
fn bulk_policy(batch_size: u32) -> CommitPolicy {
    CommitPolicy::Batch {
        max_records: usize::try_from(batch_size).unwrap_or(usize::MAX),
        max_age: Duration::from_secs(2),
    }
}

/// Sets the interrupt flag on SIGINT and SIGTERM; a second signal ends the process at once
/// with exit code 130.
///
/// # Errors
/// When the handlers cannot be installed.
pub fn install_signal_handlers(interrupt: &Interrupt) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, interrupt.flag())
            .context("cannot install the signal handler")?;
        signal_hook::flag::register(signal, interrupt.flag())
            .context("cannot install the signal handler")?;
    }
    Ok(())
}

/// Runs the subcommand of `cli`.
///
/// # Errors
/// Configuration errors (exit 2), failures (exit 1) and interruption (exit 130); the last
/// two carry what was committed.
pub fn run(cli: &Cli, interrupt: &Interrupt) -> Result<(), Error> {
    let settings = config::resolve(&cli.global, &cli.command)?;
    let run = Run {
        settings: &settings,
        keep_partition: cli.global.keep_partition,
        bulk: bulk_policy(cli.global.batch_size),
        interrupt,
    };
    match &cli.command {
        Command::Ask(args) => run.merge(args, true),
        Command::MergeAll(args) => run.merge(args, false),
        Command::PurgeAll(args) => run.purge(args),
        Command::Print(args) => run.print(args),
    }
}

/// One run of a subcommand.
struct Run<'a> {
    settings: &'a Settings,
    keep_partition: bool,
    bulk: CommitPolicy,
    interrupt: &'a Interrupt,
}

impl Run<'_> {
    fn merge(&self, args: &MergeArgs, ask: bool) -> Result<(), Error> {
        let Self {
            settings,
            keep_partition,
            interrupt,
            ..
        } = *self;
        if args.source == args.destination {
            return Err(ConfigError::Other(format!(
            "the destination must differ from the source topic {}: merging a record into the topic it is tombstoned in loses it",
            args.source
        ))
        .into());
        }
        tracing::info!("Reading topic '{}'...", args.source);
        let mut source = SourceConsumer::open(settings, &args.source, interrupt.clone())?;
        source
            .require_topic(&args.destination)
            .context("cannot merge")?;
        let total: u64 = source.ranges().values().map(crate::kafka::Range::len).sum();
        if total == 0 {
            return nothing_left(settings, &args.source);
        }
        let mut sink = KafkaSink::new(
            RecordProducer::create(settings)?,
            &args.source,
            Some(&args.destination),
            keep_partition,
            settings.commit.then(|| source.committer()),
            settings.transactional_id.is_some(),
        );
        let options = EngineOptions {
            merge_tombstones: args.merge_tombstones,
            policy: if ask {
                CommitPolicy::EachRecord
            } else {
                self.bulk
            },
        };
        let summary = if ask {
            let mut prompt = LinePrompt::new(
                io::BufReader::new(io::stdin()),
                io::stderr(),
                interrupt.clone(),
                total,
            );
            drive(
                &mut source,
                &mut prompt,
                &mut sink,
                &mut (),
                interrupt,
                options,
            )?
        } else {
            drive(
                &mut source,
                &mut Always(Decision::Merge),
                &mut sink,
                &mut (),
                interrupt,
                options,
            )?
        };
        tracing::info!("Finished processing topic '{}'", args.source);
        message(&summary.to_string());
        Ok(())
    }

    fn purge(&self, args: &TopicArgs) -> Result<(), Error> {
        let Self {
            settings,
            interrupt,
            ..
        } = *self;
        tracing::info!("Reading topic '{}'...", args.topic);
        let mut source = SourceConsumer::open(settings, &args.topic, interrupt.clone())?;
        if source.ranges().values().all(crate::kafka::Range::is_empty) {
            return nothing_left(settings, &args.topic);
        }
        let mut sink = KafkaSink::new(
            RecordProducer::create(settings)?,
            &args.topic,
            None,
            false,
            settings.commit.then(|| source.committer()),
            settings.transactional_id.is_some(),
        );
        let options = EngineOptions {
            merge_tombstones: false,
            policy: self.bulk,
        };
        let summary = drive(
            &mut source,
            &mut Always(Decision::Purge),
            &mut sink,
            &mut (),
            interrupt,
            options,
        )?;
        tracing::info!("Finished processing topic '{}'", args.topic);
        message(&summary.to_string());
        Ok(())
    }

    fn print(&self, args: &PrintArgs) -> Result<(), Error> {
        let Self {
            settings,
            interrupt,
            ..
        } = *self;
        let mut source = SourceConsumer::open(settings, &args.topic, interrupt.clone())?;
        let committer = (settings.commit && settings.group.is_some()).then(|| source.committer());
        let mut sink = OffsetsOnly { committer };
        let mut printer = RecordPrinter::new(args.output);
        let result = drive(
            &mut source,
            &mut Always(Decision::Skip),
            &mut sink,
            &mut printer,
            interrupt,
            EngineOptions {
                // Tombstones are shown like every other record.
                merge_tombstones: true,
                policy: self.bulk,
            },
        );
        let finished = printer.finish();
        match result {
            Err(Error::Failed { source, .. }) if is_broken_pipe(&source) => return Ok(()),
            Err(error) => return Err(error),
            Ok(_) => {}
        }
        if let Err(error) = finished {
            if error.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(anyhow::Error::new(error)
                .context("cannot write to stdout")
                .into());
        }
        if io::stdout().is_terminal() || printer.printed == 0 {
            message(&format!(
                "Printed {} record(s) of {}",
                printer.printed, args.topic
            ));
        }
        Ok(())
    }
}

fn nothing_left(settings: &Settings, topic: &str) -> Result<(), Error> {
    let whose = settings
        .group
        .as_deref()
        .map_or_else(String::new, |group| format!(" for group {group}"));
    message(&format!("No records left in {topic}{whose}: nothing to do"));
    message(&Summary::default().to_string());
    Ok(())
}

fn drive(
    source: &mut SourceConsumer,
    decisions: &mut dyn DecisionSource,
    sink: &mut dyn ActionSink,
    observer: &mut dyn Observer,
    interrupt: &Interrupt,
    options: EngineOptions,
) -> Result<Summary, Error> {
    Engine {
        source,
        decisions,
        sink,
        observer,
        interrupt: interrupt.clone(),
        options,
    }
    .run()
    .map_err(|error| match error {
        RunError::Failed { source, committed } => Error::Failed {
            source,
            summary: Some(committed),
        },
        RunError::Interrupted { committed } => Error::Interrupted {
            summary: Some(committed),
        },
    })
}
