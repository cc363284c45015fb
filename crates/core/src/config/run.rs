//! The resolved, typed configuration of one invocation: what the rest of the program works
//! from instead of the command line. [`resolve`] is the one place that reads [`Cli`]; every
//! fact has one home here (the group and the transactional id live in [`Settings`] only).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use regex::Regex;

use crate::cli::{
    AskArgs, Cli, CliCommand, ColorChoice, Command, MergeArgs, OutputFormat, PlanCommand, Shell,
    TimestampChoice,
};
use crate::redrive::{CopyTimestamp, HeaderPolicy, NamePattern};
use crate::triage::{CommitPolicy, DEFAULT_CLASS_HEADERS, Filter};

use super::error::{ConfigError, PropertyCheck};
use super::filter;
use super::settings::{self, Settings};

/// How long a bulk batch may stay open before it is committed, whatever its size.
pub const BATCH_MAX_AGE: Duration = Duration::from_secs(2);

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Print a shell completion script; needs no cluster.
    Completions(Shell),
    /// Print the manual page; needs no cluster.
    Man,
    /// `plan show FILE`: needs no cluster.
    ShowPlan(PathBuf),
    /// Work on a topic.
    Run(Box<RunConfig>),
}

/// Everything one run on a topic needs, validated.
#[derive(Debug)]
pub struct RunConfig {
    /// Kafka clients, schema registry and decoders.
    pub settings: Settings,
    pub display: DisplayOptions,
    pub options: RunOptions,
    /// Which records the run touches; the rest is left alone.
    pub filter: Filter,
    pub task: Task,
}

/// How records are shown.
#[derive(Debug, Clone, Copy)]
pub struct DisplayOptions {
    /// Show long keys and values whole (`--full-values`).
    pub full_values: bool,
    pub color: ColorChoice,
}

/// How a run writes, commits and stops.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The commit points of bulk runs (`--batch-size`, [`BATCH_MAX_AGE`]); `ask` commits
    /// every decision.
    pub bulk_policy: CommitPolicy,
    /// Records per second at most (`--max-rate`), a positive finite number.
    pub max_rate: Option<f64>,
    /// Write and commit nothing; show what would be done.
    pub dry_run: bool,
    /// Append one JSON line per committed decision (never with `dry_run`).
    pub audit_log: Option<PathBuf>,
    /// Where a writing run's counts go when it ends (`--summary-json`).
    pub summary_json: Option<PathBuf>,
    /// Stop after this many matching records.
    pub limit: Option<u64>,
    /// Merge into the source partition number instead of the key's partition (with
    /// `--to-origin`, into the origin partition).
    pub keep_partition: bool,
    /// Read from the earliest offsets, not the group's committed ones.
    pub from_beginning: bool,
    /// Only records without a later tombstone of their key.
    pub pending: bool,
    /// `--again`: a writing run decides again records the DLQ says were decided.
    pub again: bool,
    /// `--plan`: decisions go to this file, nothing to Kafka (`dry_run` is set too).
    pub plan: Option<PathBuf>,
    /// `--journal`: every writing decision, synced here before it is written (never with
    /// `dry_run`).
    pub journal: Option<PathBuf>,
}

/// Where merged copies go and what they carry (the redrive options of `ask` and `merge-all`).
#[derive(Debug, Clone, Default)]
pub struct RedriveOptions {
    /// Merge into the topic the DLQ headers name (`--to-origin`).
    pub to_origin: bool,
    /// Only origin topics matching this (`--allow-origin`).
    pub allow_origin: Option<Regex>,
    /// An in-house DLQ writer's origin headers (`--origin-header`).
    pub origin_header: Option<crate::redrive::origin::OriginHeaders>,
    pub headers: HeaderPolicy,
    pub timestamp: CopyTimestamp,
    /// Leave alone records merged out of a DLQ this many times already (`--max-replays`).
    pub max_replays: Option<u64>,
    /// Purge duplicates of records tombstoned earlier in the run (`--dedupe`).
    pub dedupe: bool,
    /// Merge records older than the destination's retention anyway (`--ignore-retention`).
    pub ignore_retention: bool,
}

/// The subcommand, with its topics.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per run, never moved in a loop"
)]
pub enum Task {
    /// `ask`, `merge-all` and `purge-all`.
    Write(WriteTask),
    Print(PrintTask),
    /// `apply FILE`.
    Apply(ApplyTask),
    /// `undo FILE`.
    Undo(UndoTask),
}

impl Task {
    /// The topic the run reads (and writes its tombstones to).
    #[must_use]
    pub fn source(&self) -> &str {
        match self {
            Self::Write(task) => &task.source,
            Self::Print(task) => &task.topic,
            Self::Apply(task) => &task.source,
            Self::Undo(task) => &task.source,
        }
    }

    /// The subcommand, as it is typed.
    #[must_use]
    pub fn command(&self) -> &'static str {
        match self {
            Self::Write(task) => task.command,
            Self::Print(_) => "print",
            Self::Apply(_) => "apply",
            Self::Undo(_) => "undo",
        }
    }
}

/// `apply`: the decisions of a plan file, on the plan's topic.
#[derive(Debug, Clone)]
pub struct ApplyTask {
    pub plan: PathBuf,
    /// The plan's topic (from its first line).
    pub source: String,
    pub all_or_nothing: bool,
}

/// `undo`: the records of a journal, back into their topic.
#[derive(Debug, Clone)]
pub struct UndoTask {
    pub journal: PathBuf,
    /// The journal's topic (from its first line).
    pub source: String,
    pub tombstone_copies: bool,
}

/// A run that writes tombstones into `source`, and copies into `destination` when merging.
#[derive(Debug, Clone)]
pub struct WriteTask {
    /// `ask`, `merge-all` or `purge-all`.
    pub command: &'static str,
    pub source: String,
    /// `None` for `purge-all`, and with `--to-origin` when not given (the fallback for records
    /// without an origin header).
    pub destination: Option<String>,
    /// Offer (and merge) tombstones found in the source (`-T`).
    pub merge_tombstones: bool,
    /// A person decides each record (`ask`); otherwise every record is merged or purged.
    pub ask: bool,
    /// `ask` may open the full-screen view (no `--no-tui`); it does when a person is at a
    /// terminal.
    pub tui: bool,
    /// Headers to group the failure-class overview by; `None`: no overview.
    pub overview: Option<Vec<String>>,
    pub redrive: RedriveOptions,
    /// `--transform`: the jq expression each merged record's value is repaired with
    /// (checked to compile when the command line is read).
    pub transform: Option<String>,
    /// `--repair-schema`: the schema repairs are written with.
    pub repair_schema: Option<crate::repair::TargetSchema>,
}

impl WriteTask {
    /// Whether this run merges (`ask`, `merge-all`) rather than only purging.
    #[must_use]
    pub fn merges(&self) -> bool {
        self.destination.is_some() || self.redrive.to_origin
    }
}

/// `print`.
#[derive(Debug, Clone)]
pub struct PrintTask {
    pub topic: String,
    pub output: OutputFormat,
}

/// Turns the command line into an [`Invocation`]; `check_property` judges every Kafka client
/// property left after translation.
///
/// # Errors
/// Any [`ConfigError`]: properties, group, registry, filters, `--max-rate`, a destination equal
/// to the source.
pub fn resolve(cli: &Cli, check_property: PropertyCheck) -> Result<Invocation, ConfigError> {
    let command = match &cli.command {
        CliCommand::Kafka(command) => command,
        CliCommand::Completions(args) => return Ok(Invocation::Completions(args.shell)),
        CliCommand::Man => return Ok(Invocation::Man),
        CliCommand::Plan(PlanCommand::Show { file }) => {
            return Ok(Invocation::ShowPlan(file.clone()));
        }
    };
    let topic = source_topic(command)?;
    let settings = settings::resolve(&cli.global, command, &topic, check_property)?;
    let filter = filter::build(&cli.filters, SystemTime::now())?;
    Ok(Invocation::Run(Box::new(RunConfig {
        settings,
        display: DisplayOptions {
            full_values: cli.global.full_values,
            color: cli.global.color,
        },
        options: run_options(cli)?,
        filter,
        task: task(command, topic)?,
    })))
}

/// The topic `command` reads: named on the command line, or in the first line of the file of
/// `apply` and `undo`.
fn source_topic(command: &Command) -> Result<String, ConfigError> {
    let invalid = |what: &'static str| {
        move |error: crate::review::FileError| {
            ConfigError::Other(format!("invalid {what}: {error}"))
        }
    };
    Ok(match command {
        Command::Apply(args) => crate::review::plan_topic(&args.file).map_err(invalid("plan"))?,
        Command::Undo(args) => {
            crate::review::journal_topic(&args.file).map_err(invalid("journal"))?
        }
        other => other.source_topic().unwrap_or_default().to_owned(),
    })
}

fn run_options(cli: &Cli) -> Result<RunOptions, ConfigError> {
    if let Some(rate) = cli.safety.max_rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(ConfigError::Other(format!(
            "--max-rate {rate}: expected a positive number of records per second"
        )));
    }
    let writes = matches!(
        cli.command,
        CliCommand::Kafka(
            Command::Ask(_) | Command::MergeAll(_) | Command::PurgeAll(_) | Command::Apply(_)
        )
    );
    let plans = matches!(
        cli.command,
        CliCommand::Kafka(Command::Ask(_) | Command::MergeAll(_) | Command::PurgeAll(_))
    );
    if cli.safety.plan.is_some() && !plans {
        return Err(ConfigError::Other(
            "--plan is for ask, merge-all and purge-all".to_owned(),
        ));
    }
    if cli.safety.summary_json.is_some() && !writes {
        return Err(ConfigError::Other(
            "--summary-json is for ask, merge-all, purge-all and apply".to_owned(),
        ));
    }
    if cli.safety.journal.is_some() && !writes {
        return Err(ConfigError::Other(
            "--journal is for ask, merge-all, purge-all and apply (undo writes into the journal it undoes)".to_owned(),
        ));
    }
    let dry_run = cli.safety.dry_run || cli.safety.plan.is_some();
    Ok(RunOptions {
        bulk_policy: CommitPolicy::Batch {
            max_records: usize::try_from(cli.global.batch_size).unwrap_or(usize::MAX),
            max_age: BATCH_MAX_AGE,
        },
        max_rate: cli.safety.max_rate,
        dry_run,
        audit_log: cli.safety.audit_log.clone().filter(|_| !dry_run),
        summary_json: cli.safety.summary_json.clone(),
        limit: cli.filters.limit,
        keep_partition: cli.global.keep_partition,
        from_beginning: cli.revisit.from_beginning,
        pending: cli.revisit.pending,
        again: cli.revisit.again,
        plan: cli.safety.plan.clone(),
        journal: cli.safety.journal.clone().filter(|_| !dry_run),
    })
}

fn redrive(args: &MergeArgs) -> Result<RedriveOptions, ConfigError> {
    let allow_origin =
        match &args.allow_origin {
            Some(pattern) => Some(Regex::new(pattern).map_err(|error| {
                ConfigError::Other(format!("--allow-origin {pattern:?}: {error}"))
            })?),
            None => None,
        };
    let mut drop = Vec::new();
    for name in &args.drop_headers {
        if name.is_empty() || name == "*" {
            return Err(ConfigError::Other(format!(
                "--drop-header {name:?}: give a header name, or a prefix followed by *"
            )));
        }
        drop.push(NamePattern::parse(name));
    }
    let origin_header = match &args.origin_header {
        Some(spec) => Some(spec.parse().map_err(|error: String| {
            ConfigError::Other(format!("--origin-header {spec:?}: {error}"))
        })?),
        None => None,
    };
    Ok(RedriveOptions {
        to_origin: args.to_origin,
        allow_origin,
        origin_header,
        headers: HeaderPolicy {
            strip_dlq: args.strip_dlq_headers,
            drop,
        },
        timestamp: match args.timestamp {
            TimestampChoice::Kept => CopyTimestamp::Kept,
            TimestampChoice::Now => CopyTimestamp::Now,
        },
        max_replays: args.max_replays,
        dedupe: args.dedupe,
        ignore_retention: args.ignore_retention,
    })
}

fn task(command: &Command, topic: String) -> Result<Task, ConfigError> {
    Ok(match command {
        Command::Ask(AskArgs { merge: args, .. }) | Command::MergeAll(args) => {
            if args.destination.as_ref() == Some(&args.source) {
                return Err(ConfigError::Other(format!(
                    "the destination must differ from the source topic {}: merging a record into the topic it is tombstoned in loses it",
                    args.source
                )));
            }
            Task::Write(WriteTask {
                source: args.source.clone(),
                destination: args.destination.clone(),
                merge_tombstones: args.merge_tombstones,
                ask: matches!(command, Command::Ask(_)),
                command: command.name(),
                tui: matches!(command, Command::Ask(ask) if !ask.no_tui),
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
                redrive: redrive(args)?,
                transform: match &args.transform {
                    Some(expression) => {
                        crate::repair::Transform::compile(expression)
                            .map_err(ConfigError::Other)?;
                        Some(expression.clone())
                    }
                    None => None,
                },
                repair_schema: args.repair_schema,
            })
        }
        Command::PurgeAll(args) => Task::Write(WriteTask {
            command: command.name(),
            source: args.topic.clone(),
            destination: None,
            merge_tombstones: false,
            ask: false,
            tui: false,
            overview: None,
            redrive: RedriveOptions::default(),
            transform: None,
            repair_schema: None,
        }),
        Command::Print(args) => Task::Print(PrintTask {
            topic: args.topic.clone(),
            output: args.output,
        }),
        Command::Apply(args) => Task::Apply(ApplyTask {
            plan: args.file.clone(),
            source: topic,
            all_or_nothing: args.all_or_nothing,
        }),
        Command::Undo(args) => Task::Undo(UndoTask {
            journal: args.file.clone(),
            source: topic,
            tombstone_copies: args.tombstone_copies,
        }),
    })
}
