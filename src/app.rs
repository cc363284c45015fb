//! The story of a run: from the resolved [`RunConfig`] to the clients, the decision source, the
//! sink and the observers, then the engine, then the summary. Each step is one call; the
//! pieces live in `app/`.

mod apply;
mod deciders;
mod filter;
mod plan;
mod pointers;
mod producers;
mod survey;
mod undo;
mod view;
mod watchers;

use std::cell::RefCell;
use std::io;

use anyhow::Context as _;

use crate::config::{ConfigError, Invocation, PrintTask, RunConfig, Settings, Task, WriteTask};
use crate::error::Error;
use crate::kafka::{
    self, AssignedSource, ClusterTopics, ConfigLookup, CopyRules, JobSource, KafkaSink, MemberTag,
    OffsetCommitter, OffsetsOnly, Presence, Reader, RecordProducer, Role, SharedSource,
};
use crate::redrive::{
    CopyTimestamp, Dedupe, PointedTo, Redrive, RetentionGuard, RetentionLookup, Router, Routing,
    SentBack, TombstoneIndex, dedupe, readers,
};
use crate::review::{Journal, Journaled};
use crate::triage::{
    ActionSink, Always, CommitPolicy, Decision, DecisionSource, Engine, EngineOptions, Gate,
    Interrupt, NoWrites, NullKeysBelow, Observer, Paced, RecordSource, RunError, Summary,
    rate_limited,
};
use crate::ui::output::{RecordPrinter, is_broken_pipe, message};
use crate::ui::render::{Renderer, TextOptions};
use crate::ui::terminal::Terminal;
use crate::ui::{docs, summary_file};

use self::filter::DisplayedFilter;
use self::watchers::Watchers;

/// Sets the interrupt flag on SIGINT and SIGTERM, noting which; a second signal ends the
/// process at once with exit code 128 + the signal (130, 143).
///
/// # Errors
/// When the handlers cannot be installed.
pub fn install_signal_handlers(interrupt: &Interrupt) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        let code = 128 + signal;
        signal_hook::flag::register_conditional_shutdown(signal, code, interrupt.flag())
            .context("cannot install the signal handler")?;
        signal_hook::flag::register_usize(
            signal,
            interrupt.signal_slot(),
            usize::try_from(signal).unwrap_or_default(),
        )
        .context("cannot install the signal handler")?;
        signal_hook::flag::register(signal, interrupt.flag())
            .context("cannot install the signal handler")?;
    }
    Ok(())
}

/// Does what the command line asked for.
///
/// # Errors
/// Configuration errors (exit 2), failures (exit 1) and interruption (exit 130); the last
/// two carry what was committed.
pub fn run(
    invocation: &Invocation,
    terminal: Terminal,
    interrupt: &Interrupt,
) -> Result<(), Error> {
    let config = match invocation {
        // No configuration, no cluster: these only print what clap knows.
        Invocation::Completions(shell) => {
            return to_stdout(|out| docs::write_completions(*shell, out));
        }
        Invocation::Man => return to_stdout(docs::write_man),
        Invocation::ShowPlan(path) => return plan::show_plan(path),
        Invocation::Run(config) => config,
    };
    let run = Run::new(config, terminal, interrupt)?;
    match &config.task {
        Task::Write(task) => {
            let result = run.write(task);
            let ran = Ran {
                command: task.command,
                topic: &task.source,
                destination: task.destination.as_deref(),
            };
            match &config.options.summary_json {
                Some(path) => report_to_file(path, config, &ran, result),
                None => result.map(drop),
            }
        }
        Task::Apply(task) => {
            let result = run.apply(task);
            let ran = Ran {
                command: "apply",
                topic: &task.source,
                destination: None,
            };
            match &config.options.summary_json {
                Some(path) => report_to_file(path, config, &ran, result),
                None => result.map(drop),
            }
        }
        Task::Print(task) => run.print(task),
        Task::Undo(task) => run.undo(task),
    }
}

/// What a writing run was, for its `--summary-json`.
struct Ran<'a> {
    command: &'static str,
    topic: &'a str,
    destination: Option<&'a str>,
}

/// `--summary-json`: the run's outcome and counts into `path`; a file that cannot be written
/// fails a run that did not fail otherwise.
fn report_to_file(
    path: &std::path::Path,
    config: &RunConfig,
    ran: &Ran<'_>,
    result: Result<Summary, Error>,
) -> Result<(), Error> {
    let none = Summary::default();
    let (outcome, committed, error) = match &result {
        Ok(summary) => ("completed", summary, None),
        Err(Error::Failed { source, summary }) => (
            "failed",
            summary.as_ref().unwrap_or(&none),
            Some(format!("{source:#}")),
        ),
        Err(Error::Interrupted { summary }) => {
            ("interrupted", summary.as_ref().unwrap_or(&none), None)
        }
        Err(Error::Config(config)) => ("failed", &none, Some(config.to_string())),
    };
    let report = summary_file::RunReport {
        outcome,
        command: ran.command,
        topic: ran.topic,
        destination: ran.destination,
        group: config.settings.group.as_deref(),
        dry_run: config.options.dry_run,
        committed,
        error,
    };
    let written = summary_file::write(path, &report);
    match (result, written) {
        (Ok(summary), Err(error)) => Err(Error::Failed {
            source: anyhow::Error::new(error)
                .context(format!("cannot write the summary to {}", path.display())),
            summary: Some(summary),
        }),
        (result, Err(error)) => {
            tracing::error!("cannot write the summary to {}: {error}", path.display());
            result.map(drop)
        }
        (result, Ok(())) => result.map(drop),
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

/// One run on a topic.
struct Run<'a> {
    config: &'a RunConfig,
    terminal: Terminal,
    /// One filter (and, for `--grep`, one decoder with its schema cache) for the whole run:
    /// the overview pass and the run itself share it.
    filter: RefCell<DisplayedFilter>,
    interrupt: &'a Interrupt,
    /// The member that holds the group for a run reading assigned partitions (`ask`, or a
    /// bulk run that reads every partition itself), and commits its offsets.
    presence: std::cell::OnceCell<Presence>,
}

impl<'a> Run<'a> {
    fn new(
        config: &'a RunConfig,
        terminal: Terminal,
        interrupt: &'a Interrupt,
    ) -> Result<Self, Error> {
        Ok(Self {
            config,
            terminal,
            filter: RefCell::new(DisplayedFilter::new(config)?),
            interrupt,
            presence: std::cell::OnceCell::new(),
        })
    }

    fn settings(&self) -> &'a Settings {
        &self.config.settings
    }

    /// `ask`, `merge-all` and `purge-all`.
    fn write(&self, task: &WriteTask) -> Result<Summary, Error> {
        // Who else uses the group decides first: a refused run writes nothing (and must not
        // fence, with its transactional id, the instance it is refused for).
        // Asked for while the source is opened; the warning comes before the first record.
        // With the destination's retention, for the retention check.
        let mut topics = vec![task.source.as_str()];
        topics.extend(task.destination.as_deref());
        let configs = ConfigLookup::start(self.settings(), &topics);
        let mut member = self.member_tag(task);
        let mut running = match &member {
            Some(me) => kafka::before_joining(self.settings(), me)?,
            None => false,
        };
        // Asked once the cluster answered (the look-up would wait out its timeout on a
        // refused login): a share group's DLQ is read by one instance alone.
        if let Some(alone) = self.alone_on_share_dlq(task, member.as_ref(), &configs) {
            running = kafka::before_joining(self.settings(), &alone)?;
            member = Some(alone);
        }
        // The producer comes next: with a transactional id, initializing it fences a crashed
        // run and aborts its open transaction at once, which would otherwise hold back the
        // group's committed offsets (and read_committed reads) until it timed out.
        let bulk = matches!(&member, Some(me) if me.role == Role::Bulk);
        let producer = if let (true, Some(me)) = (bulk, &member) {
            self.shared_producer(me)?
        } else {
            self.producer()?
        };
        // What a bulk instance's transactions wrote to: at the end it waits for the
        // transactions left open there (by instances killed unseen) to end.
        let written = producer
            .as_ref()
            .filter(|producer| bulk && producer.is_transactional())
            .map(RecordProducer::written_topics);
        let source: Box<dyn JobSource> = match member {
            Some(me) if me.role == Role::Bulk => {
                Box::new(self.join_write_source(task, me, running)?)
            }
            Some(me) => {
                let presence = Presence::join(self.settings(), &task.source, &me)?;
                let _first = self.presence.set(presence);
                Box::new(self.open_write_source(task)?)
            }
            None => Box::new(self.open_write_source(task)?),
        };
        // A share group's pointers come as the records they point to, for the runs that
        // merge and for a person deciding (`purge-all` writes a marker after the pointer,
        // whatever it names).
        let mut source: Box<dyn JobSource> = if task.merges() || task.ask {
            Box::new(pointers::Dereferencing::new(
                source,
                self.settings(),
                task.redrive.allow_origin.as_ref(),
            ))
        } else {
            source
        };
        let total = source.total();
        if total == 0 {
            return nothing_left(self.settings(), &task.source);
        }
        warn_unless_compacted(&task.source, &configs);
        if task.ask && task.tui && self.terminal.full_screen() {
            if self.config.options.again {
                tracing::warn!("--again: records the DLQ says were decided already are listed");
            }
            let mut pending = self.decided_index(&task.source)?;
            self.merged_sources_of_share_dlq(task, &*source, &configs, pending.as_mut())?;
            // Each write of the view makes its own producer; this one has fenced a crashed run.
            drop(producer);
            return view::triage(self, task, source, pending, &configs);
        }
        // A bulk run checks every record against the retention before it starts; `ask` checks
        // each record as it comes (a pass over a big DLQ would keep a person waiting).
        let limits = self.retention_limits(task, &configs)?;
        let (survey_limits, ask_limits) = if task.ask {
            (None, limits)
        } else {
            (limits, None)
        };
        let mut pending = self.survey(task, source.is_shared(), survey_limits)?;
        self.merged_sources_of_share_dlq(task, &*source, &configs, pending.as_mut())?;
        let keyless_markers = accepts_keyless(&task.source, &configs);
        let redrive = self.redrive(task, source.reader(), pending, ask_limits);
        // Below the group's offset, only that offset recorded decisions on null keys where
        // no marker can be written.
        let mut gate: Box<dyn Gate + '_> = if self.config.options.from_beginning && !keyless_markers
        {
            Box::new(NullKeysBelow {
                inner: redrive,
                floor: source.committed_at_start().clone(),
            })
        } else {
            Box::new(redrive)
        };
        let mut sink = self.sink(producer, source.reader(), task, keyless_markers)?;
        let mut watchers = Watchers::new(self.config, &self.terminal, task, total)?
            .with_plan(self.plan_writer(task, source.reader())?);
        let mut decisions = self.decisions(task, total)?;
        // A dry run sending records back says who would read them again.
        let who_reads = self.config.options.dry_run && task.redrive.to_origin;
        let mut sent_back = SentBack::default();
        let mut observers = watchers.observers();
        if who_reads {
            observers.0.push(&mut sent_back);
        }
        let result = self.drive(
            &mut *source,
            &mut *decisions,
            &mut *sink,
            &mut observers,
            &mut *gate,
            self.write_options(task, keyless_markers),
        );
        drop(observers);
        watchers.finish();
        if who_reads && result.is_ok() {
            self.tell_who_reads(&sent_back);
        }
        let plan = watchers.take_plan();
        let summary = match (result, plan) {
            (Ok(summary), Some(plan)) => {
                plan::finish_plan(plan, self.config)?;
                summary
            }
            (result, plan) => {
                if let Some(plan) = plan {
                    plan.discard();
                }
                result?
            }
        };
        // Out of the group first: another instance joining meanwhile need not wait for it.
        drop(sink);
        drop(source);
        if let Some(written) = written
            && !self.settle(&written)
        {
            // Everything is committed: the summary says so, and the exit status that the
            // wait for others' transactions was cut short.
            return Err(Error::Interrupted {
                summary: Some(summary),
            });
        }
        self.finished(task, &summary);
        Ok(summary)
    }

    /// On a share group's DLQ, adds to `index` what the markers below the run's start say
    /// pointers merged (see `read_merged_sources`).
    fn merged_sources_of_share_dlq(
        &self,
        task: &WriteTask,
        source: &dyn JobSource,
        configs: &ConfigLookup,
        index: Option<&mut TombstoneIndex>,
    ) -> Result<(), Error> {
        match index {
            Some(index)
                if task.merges()
                    && !source.is_shared()
                    && configs.takes_share_group_dead_letters(&task.source) =>
            {
                self.read_merged_sources(&task.source, source.reader().ranges(), index)
            }
            _ => Ok(()),
        }
    }

    /// Who reads the topics records are sent back to (DESIGN §9's issue 32, item 7).
    fn tell_who_reads(&self, sent: &SentBack) {
        if sent.topics.is_empty() {
            return;
        }
        let topics = sent.topics.keys().cloned().collect();
        match kafka::groups_reading(self.settings(), &topics, std::time::Duration::from_secs(60)) {
            Ok((reading, skipped)) => {
                for line in readers::report(sent, &reading, skipped) {
                    message(&line);
                }
            }
            Err(error) => {
                tracing::warn!("cannot list who reads the topics records go back to: {error:#}");
            }
        }
    }

    /// What a writing run says when it is over.
    fn finished(&self, task: &WriteTask, summary: &Summary) {
        tracing::info!("Finished processing topic '{}'", task.source);
        message(&summary.to_string());
        if self.config.options.plan.is_some() {
            message("Plan only: nothing was written to Kafka and no offset was committed");
        } else if self.config.options.dry_run {
            message("Dry run: nothing was written and no offset was committed");
        }
    }

    /// The redrive options of `task` as the gate of a run over `reader`: where merges go, the
    /// loop guard, `--pending`, `--dedupe`, and the retention of each record's destination
    /// when `limits` are given.
    fn redrive<'l>(
        &self,
        task: &WriteTask,
        reader: &Reader,
        pending: Option<TombstoneIndex>,
        limits: Option<RetentionLookup<'l>>,
    ) -> Redrive<'l, ClusterTopics>
    where
        'a: 'l,
    {
        let rescan = pending.is_some().then(|| self.rescan(&task.source));
        Redrive {
            router: task.merges().then(|| self.router(task, reader.catalog())),
            max_replays: task.redrive.max_replays,
            pending,
            rescan,
            dedupe: task
                .redrive
                .dedupe
                .then(|| Dedupe::new(dedupe::DEFAULT_CAPACITY)),
            retention: limits.map(RetentionGuard::new),
            pointed: PointedTo::default(),
        }
    }

    /// Where the merges of `task` go, asking `catalog` about origin topics.
    fn router(&self, task: &WriteTask, catalog: ClusterTopics) -> Router<ClusterTopics> {
        let fallback = task.destination.as_deref().map(std::sync::Arc::from);
        let routing = match (task.redrive.to_origin, fallback) {
            (false, Some(destination)) => Routing::Fixed(destination),
            (_, fallback) => Routing::ToOrigin {
                fallback,
                allow: task.redrive.allow_origin.clone(),
                in_house: task.redrive.origin_header.clone(),
            },
        };
        Router::new(
            routing,
            &task.source,
            self.config.options.keep_partition,
            catalog,
        )
    }

    /// Per destination, the oldest timestamp a copy may keep (with the retention behind it),
    /// for the retention check of `task`; `None` when no copy can be too old: nothing is
    /// merged, copies get the current time, `--ignore-retention`, or the one destination
    /// deletes nothing by age.
    fn retention_limits<'b>(
        &'b self,
        task: &'b WriteTask,
        configs: &'b ConfigLookup,
    ) -> Result<Option<RetentionLookup<'b>>, Error> {
        let redrive = &task.redrive;
        if !task.merges() || redrive.ignore_retention || redrive.timestamp == CopyTimestamp::Now {
            return Ok(None);
        }
        let settings = self.settings();
        let now = chrono::Utc::now().timestamp_millis();
        let destination = task.destination.as_deref();
        // A topic whose configuration cannot be read (no DescribeConfigs permission, say) is
        // not checked, with a warning: the check must not stop a run it cannot judge.
        let limit = move |topic: &str| -> anyhow::Result<Option<(i64, i64)>> {
            let retention = if destination == Some(topic) {
                configs.retention(topic)
            } else {
                kafka::describe_retention(settings, &[topic.to_owned()]).and_then(|mut all| {
                    all.remove(topic)
                        .with_context(|| format!("no configuration for topic {topic}"))
                })
            };
            match retention {
                Ok(retention) => Ok(retention
                    .deletes_before(now)
                    .map(|before| (before, retention.retention_ms.unwrap_or_default()))),
                Err(error) => {
                    tracing::warn!(
                        "cannot read the retention of {topic}, so copies are not checked against it: {error:#}"
                    );
                    Ok(None)
                }
            }
        };
        // The one destination's retention was asked for at the start, with the source's
        // cleanup policy.
        if let (false, Some(destination)) = (redrive.to_origin, &task.destination)
            && limit(destination)?.is_none()
        {
            return Ok(None);
        }
        Ok(Some(Box::new(limit)))
    }

    fn open_source(&self, topic: &str) -> Result<AssignedSource, Error> {
        Ok(AssignedSource::open(
            self.settings(),
            topic,
            self.filter.borrow().partitions(),
            self.config.options.from_beginning,
            self.interrupt.clone(),
        )?)
    }

    /// The source of a bulk instance sharing its group, once its destination is known to exist.
    fn join_write_source(
        &self,
        task: &WriteTask,
        me: MemberTag,
        running: bool,
    ) -> Result<SharedSource, Error> {
        tracing::info!("Reading topic '{}'...", task.source);
        let mut source = SharedSource::join(
            self.settings(),
            &task.source,
            me,
            running,
            self.interrupt.clone(),
        )?;
        if let Some(fence) = self.departed_fence() {
            source.fence_departed_with(fence);
        }

        if let Some(destination) = &task.destination {
            source
                .reader()
                .require_topic(destination)
                .context("cannot merge")?;
        }
        Ok(source)
    }

    /// Commits the offsets `reader` reads: through the member holding the group when there
    /// is one.
    fn committer(&self, reader: &Reader) -> OffsetCommitter {
        match self.presence.get() {
            Some(presence) => reader.committer_via(presence),
            None => reader.committer(),
        }
    }

    /// The source of a writing run, once its destination is known to exist.
    fn open_write_source(&self, task: &WriteTask) -> Result<AssignedSource, Error> {
        tracing::info!("Reading topic '{}'...", task.source);
        let source = self.open_source(&task.source)?;
        if let Some(destination) = &task.destination {
            source
                .reader()
                .require_topic(destination)
                .context("cannot merge")?;
        }
        Ok(source)
    }

    /// Where the actions of `task` go: Kafka, paced by `--max-rate`; nowhere on a dry run.
    fn sink(
        &self,
        producer: Option<RecordProducer>,
        reader: &Reader,
        task: &WriteTask,
        keyless_markers: bool,
    ) -> Result<Box<dyn ActionSink>, Error> {
        let rules = CopyRules {
            headers: task.redrive.headers.clone(),
            timestamp: task.redrive.timestamp,
            tombstone_headers: Vec::new(),
            decided_by: String::new(),
            keyless_markers,
        };
        self.sink_with(producer, reader, &task.source, rules, None)
    }

    /// Where actions on `topic` go: Kafka with `rules`, journaled first with `--journal`,
    /// paced by `--max-rate`; nowhere on a dry run.
    fn sink_with(
        &self,
        producer: Option<RecordProducer>,
        reader: &Reader,
        topic: &str,
        mut rules: CopyRules,
        plan: Option<&str>,
    ) -> Result<Box<dyn ActionSink>, Error> {
        let settings = self.settings();
        settings
            .group
            .as_deref()
            .unwrap_or("-")
            .clone_into(&mut rules.decided_by);
        let sink: Box<dyn ActionSink> = match producer {
            Some(producer) => {
                let kafka = KafkaSink::new(
                    producer,
                    settings.commit.then(|| self.committer(reader)),
                    topic,
                    rules,
                );
                match &self.config.options.journal {
                    Some(path) => {
                        let header = plan::journal_header(self.config, topic, plan);
                        let journal = Journal::open(path, &header).map_err(Error::from)?;
                        Box::new(Journaled::new(kafka, journal))
                    }
                    None => Box::new(kafka),
                }
            }
            None => Box::new(NoWrites),
        };
        Ok(match self.config.options.max_rate {
            Some(rate) => Box::new(Paced::new(sink, rate, self.interrupt.clone())),
            None => sink,
        })
    }

    fn write_options(&self, task: &WriteTask, keyless_markers: bool) -> EngineOptions {
        EngineOptions {
            unmarked_null_keys: !keyless_markers,
            merge_tombstones: task.merge_tombstones,
            policy: match (task.ask, self.config.options.max_rate) {
                (true, _) => CommitPolicy::EachRecord,
                (false, Some(rate)) => rate_limited(self.config.options.bulk_policy, rate),
                (false, None) => self.config.options.bulk_policy,
            },
            limit: self.config.options.limit,
            watch_keys: task.ask || !self.filter.borrow().is_empty(),
        }
    }

    /// Decodes and renders records for a stream, coloured when `color`.
    fn renderer(&self, color: bool) -> Result<Renderer, Error> {
        let options = TextOptions {
            full_values: self.config.display.full_values,
            color,
        };
        Renderer::for_settings(self.settings(), options)
            .map_err(|error| ConfigError::Other(error.to_string()).into())
    }

    fn print(&self, task: &PrintTask) -> Result<(), Error> {
        let settings = self.settings();
        let pending = self.pending_index(&task.topic)?;
        let mut source =
            pointers::Dereferencing::new(self.open_source(&task.topic)?, settings, None);
        let committer =
            (settings.commit && settings.group.is_some()).then(|| source.reader().committer());
        let mut sink = OffsetsOnly { committer };
        let renderer = self.renderer(self.terminal.color_stdout())?;
        let mut printer = RecordPrinter::new(task.output, renderer)
            .map_err(|error| anyhow::Error::new(error).context("cannot start the printing thread"))?
            .pending_only(self.config.options.pending);
        let result = self.drive(
            &mut source,
            &mut Always(Decision::Skip),
            &mut sink,
            &mut printer,
            &mut Redrive::<ClusterTopics> {
                router: None,
                max_replays: None,
                pending,
                rescan: None,
                dedupe: None,
                retention: None,
                pointed: PointedTo::default(),
            },
            EngineOptions {
                // Tombstones are shown like every other record.
                merge_tombstones: true,
                policy: self.config.options.bulk_policy,
                limit: self.config.options.limit,
                watch_keys: false,
                unmarked_null_keys: false,
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
        if self.terminal.stdout || printer.printed == 0 {
            message(&format!(
                "Printed {} record(s) of {}",
                printer.printed, task.topic
            ));
        }
        Ok(())
    }

    fn drive(
        &self,
        source: &mut dyn RecordSource,
        decisions: &mut dyn DecisionSource,
        sink: &mut dyn ActionSink,
        observer: &mut dyn Observer,
        gate: &mut dyn Gate,
        options: EngineOptions,
    ) -> Result<Summary, Error> {
        let mut filter = self.filter.borrow_mut();
        Engine {
            source,
            decisions,
            sink,
            observer,
            filter: &mut *filter,
            gate,
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

/// Whether `topic` takes the keyless markers of decided null-key records: only a topic known
/// not to be compacted (a compacted one refuses a record without a key, which would fail the
/// batch).
fn accepts_keyless(topic: &str, lookup: &ConfigLookup) -> bool {
    lookup
        .cleanup_policy(topic)
        .is_ok_and(|policy| !kafka::compacts(&policy))
}

/// Warns once when tombstones will not remove anything from `topic`.
fn warn_unless_compacted(topic: &str, lookup: &ConfigLookup) {
    match lookup.cleanup_policy(topic) {
        Ok(policy) if !kafka::compacts(&policy) => tracing::warn!(
            "topic {topic} has {}: tombstones will not remove records from it",
            kafka::why_tombstones_stay(&policy)
        ),
        Ok(_) => {}
        Err(error) => tracing::debug!("cannot read the cleanup policy of {topic}: {error:#}"),
    }
}

fn nothing_left(settings: &Settings, topic: &str) -> Result<Summary, Error> {
    let whose = settings
        .group
        .as_deref()
        .map_or_else(String::new, |group| format!(" for group {group}"));
    message(&format!("No records left in {topic}{whose}: nothing to do"));
    message(&Summary::default().to_string());
    Ok(Summary::default())
}
