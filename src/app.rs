//! Wires settings, clients, decision source, sink and observers together for each
//! subcommand, and reports what was done.

use std::cell::RefCell;
use std::io::{self, IsTerminal};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;

use crate::cli::{Cli, CliCommand, Command, MergeArgs, PrintArgs, TopicArgs};
use crate::config::{self, ConfigError, Settings};
use crate::decode::decoder::Decoder;
use crate::error::Error;
use crate::kafka::{
    self, KafkaSink, OffsetsOnly, PolicyLookup, Range, RecordProducer, SourceConsumer,
};
use crate::record::Record;
use crate::triage::{
    ActionSink, Always, CommitPolicy, DEFAULT_CLASS_HEADERS, Decision, DecisionSource, Engine,
    EngineOptions, Filter, Interrupt, NoWrites, Observer, Observers, Overview, Paced, RecordFilter,
    RecordSource, RunError, Summary,
};
use crate::ui::audit::{AuditContext, AuditLog};
use crate::ui::docs;
use crate::ui::dry_run::DryRunReport;
use crate::ui::output::{RecordPrinter, color_on, is_broken_pipe, message};
use crate::ui::overview::write_overview;
use crate::ui::progress::Progress;
use crate::ui::prompt::LinePrompt;
use crate::ui::render::{Renderer, TextOptions};
use crate::ui::tty_prompt::TtyPrompt;

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
    let command = match &cli.command {
        CliCommand::Kafka(command) => command,
        // No configuration, no cluster: these only print what clap knows.
        CliCommand::Completions(args) => {
            return to_stdout(|out| docs::write_completions(args.shell, out));
        }
        CliCommand::Man => return to_stdout(docs::write_man),
    };
    let settings = config::resolve(&cli.global, command)?;
    let filter = config::filter::build(&cli.filters, SystemTime::now())?;
    if let Some(rate) = cli.safety.max_rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(ConfigError::Other(format!(
            "--max-rate {rate}: expected a positive number of records per second"
        ))
        .into());
    }
    let grep_decoder = if filter.grep.is_some() {
        Some(Decoder::new(&settings).map_err(|e| ConfigError::Other(e.to_string()))?)
    } else {
        None
    };
    let run = Run {
        cli,
        settings: &settings,
        filter: RefCell::new(DisplayedFilter {
            filter,
            decoder: grep_decoder,
        }),
        interrupt,
    };
    match command {
        Command::Ask(args) => run.merge(args, true),
        Command::MergeAll(args) => run.merge(args, false),
        Command::PurgeAll(args) => run.purge(args),
        Command::Print(args) => run.print(args),
    }
}

/// Writes generated text to stdout; a closed pipe (`man | head`) is not a failure.
fn to_stdout(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> Result<(), Error> {
    match write(&mut io::stdout().lock()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(error)
            .context("cannot write to stdout")
            .into()),
        _ => Ok(()),
    }
}

/// What a run writes: tombstones into `source`, copies into `destination` when merging.
struct Job<'a> {
    source: &'a str,
    destination: Option<&'a str>,
    merge_tombstones: bool,
    ask: bool,
    /// Headers to group the failure-class overview by; `None`: no overview.
    overview: Option<Vec<String>>,
}

/// One run of a subcommand.
struct Run<'a> {
    cli: &'a Cli,
    settings: &'a Settings,
    /// One filter (and, for `--grep`, one decoder with its schema cache) for the whole run:
    /// the overview pass and the run itself share it.
    filter: RefCell<DisplayedFilter>,
    interrupt: &'a Interrupt,
}

impl Run<'_> {
    /// Decodes and renders records for a stream; `terminal` when it is one (colour only there).
    fn renderer(&self, terminal: bool) -> Result<Renderer, Error> {
        let options = TextOptions {
            full_values: self.cli.global.full_values,
            color: color_on(terminal),
        };
        Renderer::for_settings(self.settings, options)
            .map_err(|error| ConfigError::Other(error.to_string()).into())
    }

    fn merge(&self, args: &MergeArgs, ask: bool) -> Result<(), Error> {
        if args.source == args.destination {
            return Err(ConfigError::Other(format!(
                "the destination must differ from the source topic {}: merging a record into the topic it is tombstoned in loses it",
                args.source
            ))
            .into());
        }
        self.write(&Job {
            source: &args.source,
            destination: Some(&args.destination),
            merge_tombstones: args.merge_tombstones,
            ask,
            overview: match (&args.group_by, args.overview) {
                (Some(header), _) => Some(vec![header.clone()]),
                (None, true) => Some(
                    DEFAULT_CLASS_HEADERS
                        .iter()
                        .map(|&h| h.to_owned())
                        .collect(),
                ),
                (None, false) => None,
            },
        })
    }

    fn purge(&self, args: &TopicArgs) -> Result<(), Error> {
        self.write(&Job {
            source: &args.topic,
            destination: None,
            merge_tombstones: false,
            ask: false,
            overview: None,
        })
    }

    /// The bulk commit points: many records per transaction, never long open.
    fn bulk_policy(&self) -> CommitPolicy {
        CommitPolicy::Batch {
            max_records: usize::try_from(self.cli.global.batch_size).unwrap_or(usize::MAX),
            max_age: Duration::from_secs(2),
        }
    }

    fn open_source(&self, topic: &str) -> Result<SourceConsumer, Error> {
        Ok(SourceConsumer::open(
            self.settings,
            topic,
            self.filter.borrow().filter.partitions.as_ref(),
            self.interrupt.clone(),
        )?)
    }

    /// `ask`, `merge-all` and `purge-all`.
    fn write(&self, job: &Job<'_>) -> Result<(), Error> {
        let settings = self.settings;
        let dry_run = self.cli.safety.dry_run;
        // The producer comes first: with a transactional id, initializing it fences a crashed
        // run and aborts its open transaction at once, which would otherwise hold back the
        // group's committed offsets (and read_committed reads) until it timed out.
        let producer = if dry_run {
            None
        } else {
            Some(RecordProducer::create(settings)?)
        };
        // Asked for while the source is opened; the warning comes before the first record.
        let policy = PolicyLookup::start(settings, job.source);
        tracing::info!("Reading topic '{}'...", job.source);
        let mut source = self.open_source(job.source)?;
        if let Some(destination) = job.destination {
            source.require_topic(destination).context("cannot merge")?;
        }
        let total: u64 = source.ranges().values().map(Range::len).sum();
        if total == 0 {
            return nothing_left(settings, job.source);
        }
        Self::warn_unless_compacted(job.source, &policy);
        if let Some(headers) = &job.overview {
            self.show_overview(job.source, headers.clone())?;
        }

        let mut kafka_sink;
        let mut no_writes = NoWrites;
        let sink: &mut dyn ActionSink = if let Some(producer) = producer {
            kafka_sink = KafkaSink::new(
                producer,
                job.source,
                job.destination,
                self.cli.global.keep_partition,
                settings.commit.then(|| source.committer()),
                settings.transactional_id.is_some(),
            );
            &mut kafka_sink
        } else {
            &mut no_writes
        };
        let mut paced;
        let sink: &mut dyn ActionSink = match self.cli.safety.max_rate {
            Some(rate) => {
                paced = Paced::new(sink, rate, self.interrupt.clone());
                &mut paced
            }
            None => sink,
        };

        let mut progress = (!job.ask).then(|| Progress::new(total));
        let mut audit = match &self.cli.safety.audit_log {
            Some(path) if !dry_run => Some(
                AuditLog::open(
                    path,
                    AuditContext::current(
                        &settings.bootstrap_servers,
                        settings.group.as_deref(),
                        settings.transactional_id.as_deref(),
                        job.destination,
                    ),
                )
                .map_err(Error::from)?,
            ),
            _ => None,
        };
        let mut report = dry_run.then(|| DryRunReport::stdout(job.destination));
        let mut observers = Observers::default();
        if let Some(progress) = &mut progress {
            observers.0.push(progress);
        }
        if let Some(audit) = &mut audit {
            observers.0.push(audit);
        }
        if let Some(report) = &mut report {
            observers.0.push(report);
        }

        let options = EngineOptions {
            merge_tombstones: job.merge_tombstones,
            policy: if job.ask {
                CommitPolicy::EachRecord
            } else {
                self.bulk_policy()
            },
            limit: self.cli.filters.limit,
            watch_keys: job.ask || !self.filter.borrow().filter.is_empty(),
        };
        let mut prompt;
        let mut always;
        let mut tty_prompt;
        let decisions: &mut dyn DecisionSource =
            if job.ask && io::stdin().is_terminal() && io::stderr().is_terminal() {
                tty_prompt = TtyPrompt::new(
                    self.renderer(true)?,
                    self.interrupt.clone(),
                    total,
                    job.overview
                        .as_ref()
                        .and_then(|headers| headers.first().cloned()),
                );
                &mut tty_prompt
            } else if job.ask {
                prompt = LinePrompt::new(
                    io::BufReader::new(io::stdin()),
                    io::stderr(),
                    self.interrupt.clone(),
                    total,
                    self.renderer(io::stderr().is_terminal())?,
                );
                &mut prompt
            } else {
                always = Always(if job.destination.is_some() {
                    Decision::Merge
                } else {
                    Decision::Purge
                });
                &mut always
            };
        let result = self.drive(&mut source, decisions, sink, &mut observers, options);
        if let Some(progress) = &progress {
            progress.finish();
        }
        let summary = result?;
        tracing::info!("Finished processing topic '{}'", job.source);
        message(&summary.to_string());
        if dry_run {
            message("Dry run: nothing was written and no offset was committed");
        }
        Ok(())
    }

    /// Warns once when tombstones will not remove anything from `topic`.
    fn warn_unless_compacted(topic: &str, lookup: &PolicyLookup) {
        match lookup.wait() {
            Ok(policy) if !kafka::compacts(&policy) => tracing::warn!(
                "topic {topic} has cleanup.policy={policy}: tombstones will not remove records from it"
            ),
            Ok(_) => {}
            Err(error) => tracing::debug!("cannot read the cleanup policy of {topic}: {error:#}"),
        }
    }

    fn print(&self, args: &PrintArgs) -> Result<(), Error> {
        let settings = self.settings;
        let mut source = self.open_source(&args.topic)?;
        let committer = (settings.commit && settings.group.is_some()).then(|| source.committer());
        let mut sink = OffsetsOnly { committer };
        let mut printer =
            RecordPrinter::new(args.output, self.renderer(io::stdout().is_terminal())?).map_err(
                |error| anyhow::Error::new(error).context("cannot start the printing thread"),
            )?;
        let result = self.drive(
            &mut source,
            &mut Always(Decision::Skip),
            &mut sink,
            &mut printer,
            EngineOptions {
                // Tombstones are shown like every other record.
                merge_tombstones: true,
                policy: self.bulk_policy(),
                limit: self.cli.filters.limit,
                watch_keys: false,
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

    /// Reads the topic once to its end snapshot (without committing) and shows the records
    /// that match the filters grouped by failure class.
    fn show_overview(&self, topic: &str, headers: Vec<String>) -> Result<(), Error> {
        let mut pass = self.open_source(topic)?;
        let mut overview = Overview::new(headers);
        let mut filter = self.filter.borrow_mut();
        let mut seen = 0;
        while let Some(record) = pass.next_record()? {
            if self.interrupt.is_raised() {
                return Err(Error::Interrupted { summary: None });
            }
            if filter.matches(&record) {
                overview.add(&record);
                seen += 1;
            }
        }
        let mut out = Vec::new();
        write_overview(&mut out, &overview, seen)
            .map_err(|error| Error::from(anyhow::Error::new(error)))?;
        message(String::from_utf8_lossy(&out).trim_end());
        Ok(())
    }

    fn drive(
        &self,
        source: &mut SourceConsumer,
        decisions: &mut dyn DecisionSource,
        sink: &mut dyn ActionSink,
        observer: &mut dyn Observer,
        options: EngineOptions,
    ) -> Result<Summary, Error> {
        let mut filter = self.filter.borrow_mut();
        Engine {
            source,
            decisions,
            sink,
            observer,
            filter: &mut *filter,
            interrupt: self.interrupt.clone(),
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
}

/// The run's filter, with `--grep` applied to the value as the decoder shows it.
struct DisplayedFilter {
    filter: Filter,
    /// Present with `--grep` only; decodes values, never keys.
    decoder: Option<Decoder>,
}

impl RecordFilter for DisplayedFilter {
    fn matches(&mut self, record: &Record) -> bool {
        let decoder = &mut self.decoder;
        self.filter.matches(record, &mut |record: &Record| {
            let Some(value) = record.value.as_deref() else {
                return String::new();
            };
            match decoder {
                Some(decoder) => displayed_text(&decoder.decode_value(value)),
                None => String::from_utf8_lossy(value).into_owned(),
            }
        })
    }
}

/// The text a person sees of a decoded value.
fn displayed_text(decoded: &crate::decode::decoder::Decoded) -> String {
    use crate::decode::decoder::Body;
    match &decoded.body {
        Body::Json(json) => json.as_str().to_owned(),
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
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
