//! Command-line definition (clap derive types only: no I/O, no defaults logic).
//!
//! The flags are those of the original kafka-merge-purge, so existing scripts keep working.
//! Every option is global: it is accepted before or after the subcommand. Besides the Kafka
//! subcommands ([`Command`]) there are `completions` and `man`, which need no cluster.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
pub use clap_complete::Shell;

/// Triage a Kafka dead letter queue: merge records into a retry topic, purge them with
/// tombstones, or skip them.
#[derive(Debug, Parser)]
#[command(
    name = "kafka-merge-purge",
    version,
    about = "Merges Kafka records from one topic into another, marking them as deleted in the old topic in the process",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub filters: FilterArgs,

    #[command(flatten)]
    pub safety: SafetyArgs,

    #[command(flatten)]
    pub revisit: RevisitArgs,

    #[command(subcommand)]
    pub command: CliCommand,
}

const AFTER_HELP: &str = "\
Examples:
  # Decide record by record: merge, purge or skip
  kafka-merge-purge -b localhost:9092 -g dlq-triage \\
    ask orders-dlq orders-retry

  # Merge everything in transactions, with the Java client properties
  # file you already use (SASL, SSL with a PEM truststore, ...)
  kafka-merge-purge -O client.properties -g dlq-triage -t \\
    merge-all orders-dlq orders-retry

  # Review before writing: a plan, its summary, then exactly that
  kafka-merge-purge -g dlq-triage --plan orders.plan \\
    merge-all orders-dlq orders-retry
  kafka-merge-purge plan show orders.plan
  kafka-merge-purge -g dlq-triage -t --journal orders.journal \\
    apply orders.plan

  # Show what is parked, without committing anything
  kafka-merge-purge -b localhost:9092 print orders-dlq --output json

  # Options from the environment; see what purging would do
  export KAFKA_MERGE_PURGE_PROPERTIES=/etc/kafka/client.properties
  export KAFKA_MERGE_PURGE_GROUP=dlq-triage
  kafka-merge-purge purge-all orders-dlq --dry-run

  # Shell completions, and this help as a manual page
  kafka-merge-purge completions bash \\
    > ~/.local/share/bash-completion/completions/kafka-merge-purge
  kafka-merge-purge man | man -l -

Exit status: 0 done, 1 failed (the summary says what was committed),
2 usage error, 130 interrupted.";

impl Cli {
    /// The Kafka subcommand, `None` for `completions` and `man`.
    #[must_use]
    pub fn kafka_command(&self) -> Option<&Command> {
        match &self.command {
            CliCommand::Kafka(command) => Some(command),
            CliCommand::Completions(_) | CliCommand::Man | CliCommand::Plan(_) => None,
        }
    }
}

/// Options shared by every subcommand.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line flags"
)]
pub struct GlobalArgs {
    /// Kafka bootstrap servers as a comma-separated list. Takes precedence over properties.
    #[arg(
        short = 'b',
        long,
        global = true,
        env = "KAFKA_MERGE_PURGE_BOOTSTRAP_SERVERS"
    )]
    pub bootstrap_servers: Option<String>,

    /// Consumer group for reading the source topic (required except for print).
    #[arg(short = 'g', long, global = true, env = "KAFKA_MERGE_PURGE_GROUP")]
    pub group: Option<String>,

    /// Java properties file with shared client configuration, as used with Java clients.
    #[arg(
        short = 'O',
        long = "properties",
        global = true,
        value_name = "FILE",
        env = "KAFKA_MERGE_PURGE_PROPERTIES"
    )]
    pub properties_file: Option<PathBuf>,

    /// Shared client configuration property (repeatable). Takes precedence over files.
    #[arg(
        short = 'o',
        long = "property",
        global = true,
        value_name = "KEY=VALUE"
    )]
    pub property: Vec<String>,

    /// Java properties file with consumer configuration.
    #[arg(
        short = 'C',
        long = "consumer-properties",
        global = true,
        value_name = "FILE"
    )]
    pub consumer_properties_file: Option<PathBuf>,

    /// Consumer configuration property (repeatable). Takes precedence over files.
    #[arg(
        short = 'c',
        long = "consumer-property",
        global = true,
        value_name = "KEY=VALUE"
    )]
    pub consumer_property: Vec<String>,

    /// Java properties file with producer configuration.
    #[arg(
        short = 'P',
        long = "producer-properties",
        global = true,
        value_name = "FILE"
    )]
    pub producer_properties_file: Option<PathBuf>,

    /// Producer configuration property (repeatable). Takes precedence over files.
    #[arg(
        short = 'p',
        long = "producer-property",
        global = true,
        value_name = "KEY=VALUE"
    )]
    pub producer_property: Vec<String>,

    /// Produce within transactions. Without an ID, a stable one is derived from the group and
    /// the source topic, so a new run fences a crashed one.
    #[arg(
        short = 't',
        long = "transaction",
        global = true,
        num_args = 0..=1,
        require_equals = true,
        value_name = "ID"
    )]
    pub transaction: Option<Option<String>>,

    /// Do not commit consumer offsets. `print` never commits unless given `--no-commit=false`.
    #[arg(
        short = 'n',
        long = "no-commit",
        global = true,
        num_args = 0..=1,
        require_equals = true,
        value_name = "BOOL"
    )]
    pub no_commit: Option<Option<bool>>,

    /// Force decoding of record keys through the schema registry: Avro, Protobuf or JSON
    /// Schema, as the registry says (needs schema.registry.url).
    #[arg(short = 'A', long = "avro-key", global = true)]
    pub avro_key: bool,

    /// Force decoding of record values through the schema registry: Avro, Protobuf or JSON
    /// Schema, as the registry says (needs schema.registry.url).
    #[arg(short = 'a', long = "avro", global = true)]
    pub avro: bool,

    /// Show long keys and values whole; by default they are cut after a few kilobytes, saying
    /// how many bytes were left out.
    #[arg(long, global = true)]
    pub full_values: bool,

    /// Write merged records to the same partition number as in the source topic, instead of
    /// letting the key choose the partition (murmur2, as Apache Kafka's Java producer does).
    #[arg(long, global = true)]
    pub keep_partition: bool,

    /// Records per transaction (or per flush and commit without `-t`) in merge-all and
    /// purge-all; a batch is also committed when it is two seconds old.
    #[arg(long, global = true, value_name = "N", default_value_t = 250_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,

    /// How long to wait for the cluster before giving up on a request, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,

    /// Verbose (debug) logging to stderr, each line with its time (UTC).
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    /// When to colour logs and records: `auto` colours a stream that is a terminal, unless
    /// `NO_COLOR` is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When output is coloured (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set to a non-empty value.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Which records a run touches. A record that does not match is left alone, and the group's
/// committed offset never moves past it in its partition.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Filters (a record must match all; the rest is left alone)")]
pub struct FilterArgs {
    /// Only this partition (repeatable).
    #[arg(long = "partition", global = true, value_name = "N")]
    pub partitions: Vec<i32>,
    /// Only records at or after this offset.
    #[arg(long, global = true, value_name = "OFFSET")]
    pub from_offset: Option<i64>,
    /// Only records before this offset.
    #[arg(long, global = true, value_name = "OFFSET")]
    pub until_offset: Option<i64>,
    /// Only records with a timestamp at or after TIME: RFC 3339 (2026-11-24T08:00:00Z) or
    /// an age such as 2h, 30m, 7d.
    #[arg(long, global = true, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records with a timestamp before TIME (RFC 3339 or an age, as --since).
    #[arg(long, global = true, value_name = "TIME")]
    pub until: Option<String>,
    /// Only records whose key matches this regular expression.
    #[arg(long, global = true, value_name = "REGEX")]
    pub key: Option<String>,
    /// Only records with this header, whose value matches REGEX when given (repeatable).
    #[arg(long = "header", global = true, value_name = "NAME[=REGEX]")]
    pub headers: Vec<String>,
    /// Only records whose value, as displayed, matches this regular expression.
    #[arg(long, global = true, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Stop after this many matching records.
    #[arg(long, global = true, value_name = "N")]
    pub limit: Option<u64>,
}

/// Safety rails and records of what was done.
#[derive(Debug, Default, Args)]
pub struct SafetyArgs {
    /// Show what would be done; write and commit nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Merge at most N records per second, so a service that just recovered is not flooded.
    #[arg(long, global = true, value_name = "N")]
    pub max_rate: Option<f64>,
    /// Append one JSON line per committed decision to FILE (who, what, where, when).
    #[arg(long, global = true, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// When ask, merge-all, purge-all or apply ends (also on failure or interruption), write
    /// what it committed to FILE as one JSON object, for runbooks that add up several runs.
    #[arg(long, global = true, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// ask, merge-all, purge-all: decide as usual, but write nothing to Kafka and commit
    /// nothing; write the decisions to FILE as a plan instead, to review (`plan show`) and
    /// carry out later (`apply`).
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "dry_run")]
    pub plan: Option<PathBuf>,
    /// Before a decision is written, append the record's original bytes and the decision to
    /// FILE, synced to disk (JSON Lines): what `undo` works from.
    #[arg(long, global = true, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

/// Where reading starts, and which records count as still waiting (every command).
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Revisiting")]
pub struct RevisitArgs {
    /// Read from each partition's earliest offset instead of the group's committed offset.
    /// The committed offset never moves back.
    #[arg(long, global = true)]
    pub from_beginning: bool,
    /// Only records still pending: no later tombstone with the same key in the same
    /// partition and no marker of this tool naming it (neither merged nor purged by anyone
    /// yet). Writing runs always pass decided records over; `ask --from-beginning --pending`
    /// shows the records skipped earlier.
    #[arg(long, global = true)]
    pub pending: bool,
    /// Writing runs: decide again records the DLQ says were decided already (a later
    /// tombstone of their key, or a marker of this tool): their copies are written again.
    #[arg(long, global = true, conflicts_with = "pending")]
    pub again: bool,
}

/// The timestamp of a merged copy (`--timestamp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TimestampChoice {
    /// The record's own timestamp.
    #[default]
    Kept,
    /// The time of the merge; the record's own goes into the header kmp-original-timestamp.
    Now,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    #[command(flatten)]
    Kafka(Command),
    /// Print a shell completion script to stdout, e.g. `completions bash >
    /// ~/.local/share/bash-completion/completions/kafka-merge-purge`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout, e.g. `man | man -l -`.
    Man,
    /// Work with plan files written by `--plan`.
    #[command(subcommand)]
    Plan(PlanCommand),
}

/// `plan ...`: plan files, no cluster needed.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Summarize a plan for review: decisions, destinations, failure classes, offsets per
    /// partition, what is left undecided.
    Show {
        /// The plan file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The subcommands that work on a Kafka topic.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask for every record of the source topic whether to merge it into the destination topic,
    /// purge it or skip it. On a terminal this opens the full-screen triage view.
    Ask(AskArgs),
    /// Merge every record of the source topic into the destination topic and mark it for
    /// deletion in the source topic.
    MergeAll(MergeArgs),
    /// Purge (write a tombstone for) every record of the topic.
    PurgeAll(TopicArgs),
    /// Print every record of the topic. Does not commit offsets unless `--no-commit=false`.
    Print(PrintArgs),
    /// Carry out exactly the decisions of a plan (from `--plan`): each record is read again
    /// and checked against the plan; a record that changed, vanished or was decided by
    /// someone else is refused and reported (exit 1).
    Apply(ApplyArgs),
    /// Put the records of a journal (from `--journal`) back into their DLQ, pending again.
    Undo(UndoArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub file: PathBuf,
    /// Check every planned record first, and write nothing if one is refused.
    #[arg(long)]
    pub all_or_nothing: bool,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The journal file.
    #[arg(value_name = "JOURNAL")]
    pub file: PathBuf,
    /// Also write a tombstone for each merged copy in its destination (the copy may already
    /// have been consumed there: undo cannot take that back).
    #[arg(long)]
    pub tombstone_copies: bool,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    #[command(flatten)]
    pub merge: MergeArgs,
    /// Ask one record at a time in the scrolling prompt instead of the full-screen view (the
    /// prompt is also used whenever stdin or stdout is not a terminal, or TERM=dumb).
    #[arg(long)]
    pub no_tui: bool,
}

#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line flags"
)]
pub struct MergeArgs {
    /// The topic to read (and purge) records from.
    pub source: String,
    /// The topic to merge records into. Optional with --to-origin, where it takes the records
    /// without an origin header.
    #[arg(required_unless_present = "to_origin")]
    pub destination: Option<String>,
    /// Merge each record into the topic its DLQ headers name (Spring Kafka, Kafka Connect,
    /// Kafka Streams, Karafka, SmallRye, a share group; the newest where several did), into
    /// the origin partition with --keep-partition. A record whose
    /// origin is missing (without a destination), unusable or refused is left alone.
    #[arg(long)]
    pub to_origin: bool,
    /// With --to-origin: only origin topics this regular expression matches whole (as Java's
    /// `Pattern.matches`: `orders` allows `orders`, not `orders-admin`; `orders.*` allows both).
    #[arg(long, value_name = "REGEX", requires = "to_origin")]
    pub allow_origin: Option<String>,
    /// With --to-origin: the headers an in-house DLQ writer names the origin in,
    /// `topic=HEADER[,partition=HEADER[:text|:int32|:int64]]` (text: decimal; int32, int64:
    /// big-endian binary). Where a record also carries a known framework's headers, the newest
    /// family (whose topic header comes last) names the origin.
    #[arg(long, value_name = "SPEC", requires = "to_origin")]
    pub origin_header: Option<String>,
    /// Leave the DLQ's own metadata headers (`kafka_dlt-*`, `__connect.errors.*`,
    /// `__streams.errors.*`, `dead-letter-*`, `__dlq.errors.*`) and Spring's retry state
    /// (`retry_topic-*`) out of the copy.
    #[arg(long)]
    pub strip_dlq_headers: bool,
    /// Leave this header out of the copy (repeatable; a trailing * matches a prefix).
    #[arg(long = "drop-header", value_name = "NAME")]
    pub drop_headers: Vec<String>,
    /// Leave alone every record already merged out of a DLQ N times (its kmp-replay-count).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_replays: Option<u64>,
    /// Purge, instead of merging again, a record identical (key, value, headers; DLQ metadata
    /// aside) to one merged or purged earlier in this run in its partition.
    #[arg(long)]
    pub dedupe: bool,
    /// The timestamp of the copies.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = TimestampChoice::Kept)]
    pub timestamp: TimestampChoice,
    /// Merge even records older than the destination's retention (the broker deletes them
    /// within minutes).
    #[arg(long)]
    pub ignore_retention: bool,
    /// Merge tombstone records into the destination topic as well.
    #[arg(short = 'T', long)]
    pub merge_tombstones: bool,
    /// Before the first record, show the records grouped by failure cause (the exception
    /// class header that Spring Kafka and Kafka Connect write).
    #[arg(long)]
    pub overview: bool,
    /// Group the overview (and offer `g` in the prompt) by this header instead; implies
    /// --overview.
    #[arg(long, value_name = "HEADER")]
    pub group_by: Option<String>,
    /// Repair each merged record's value with this jq expression over its decoded form (JSON;
    /// Avro, Protobuf and JSON Schema as their JSON), written back with the record's own
    /// schema: `'.reason = .cancelReason | del(.cancelReason)'`. A record whose transform
    /// fails, changes nothing, or whose result the schema refuses is left alone, never merged
    /// unrepaired. Combine with the filters to repair one failure class.
    #[arg(long, value_name = "EXPR")]
    pub transform: Option<String>,
    /// Write repairs (edits, --transform) with this registry schema instead of the record's
    /// own: `latest` (the latest version of the destination's subject, `<topic>-value`) or a
    /// schema id. For Avro and JSON Schema records framed with a schema id; the copy is framed
    /// with the new id.
    #[arg(long, value_name = "latest|ID")]
    pub repair_schema: Option<crate::repair::TargetSchema>,
}

#[derive(Debug, Args)]
pub struct TopicArgs {
    /// The topic to purge.
    pub topic: String,
}

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The topic to print.
    pub topic: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable blocks, one per record.
    Text,
    /// One JSON object per record and line (JSON Lines).
    Json,
}

impl Command {
    /// The subcommand as it is typed.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ask(_) => "ask",
            Self::MergeAll(_) => "merge-all",
            Self::PurgeAll(_) => "purge-all",
            Self::Print(_) => "print",
            Self::Apply(_) => "apply",
            Self::Undo(_) => "undo",
        }
    }

    /// The topic the records are read from, when the command line names it (`apply` and
    /// `undo` read it from their file).
    #[must_use]
    pub fn source_topic(&self) -> Option<&str> {
        match self {
            Self::Ask(AskArgs { merge: args, .. }) | Self::MergeAll(args) => Some(&args.source),
            Self::PurgeAll(args) => Some(&args.topic),
            Self::Print(args) => Some(&args.topic),
            Self::Apply(_) | Self::Undo(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kafka-merge-purge").chain(args.iter().copied()))
    }

    #[test]
    fn options_before_or_after_the_subcommand() {
        let before = parse(&["-b", "h:1", "-g", "grp", "ask", "dlq", "retry"]).unwrap();
        let after = parse(&["ask", "dlq", "retry", "-b", "h:1", "-g", "grp"]).unwrap();
        for cli in [before, after] {
            assert_eq!(cli.global.bootstrap_servers.as_deref(), Some("h:1"));
            assert_eq!(cli.global.group.as_deref(), Some("grp"));
            assert_eq!(cli.kafka_command().unwrap().source_topic(), Some("dlq"));
        }
    }

    #[test]
    fn transaction_with_and_without_id() {
        assert_eq!(parse(&["print", "t"]).unwrap().global.transaction, None);
        assert_eq!(
            parse(&["-t", "print", "t"]).unwrap().global.transaction,
            Some(None)
        );
        assert_eq!(
            parse(&["--transaction=abc", "print", "t"])
                .unwrap()
                .global
                .transaction,
            Some(Some("abc".to_owned()))
        );
        assert_eq!(
            parse(&["-t=abc", "print", "t"]).unwrap().global.transaction,
            Some(Some("abc".to_owned()))
        );
        // Without `=`, the next word is not taken as the id.
        let cli = parse(&["-t", "purge-all", "dlq"]).unwrap();
        assert_eq!(cli.global.transaction, Some(None));
        assert_eq!(cli.kafka_command().unwrap().source_topic(), Some("dlq"));
    }

    #[test]
    fn no_commit_with_optional_bool() {
        assert_eq!(parse(&["print", "t"]).unwrap().global.no_commit, None);
        assert_eq!(
            parse(&["print", "t", "-n"]).unwrap().global.no_commit,
            Some(None)
        );
        assert_eq!(
            parse(&["print", "t", "-n=false"]).unwrap().global.no_commit,
            Some(Some(false))
        );
        assert_eq!(
            parse(&["print", "t", "--no-commit=true"])
                .unwrap()
                .global
                .no_commit,
            Some(Some(true))
        );
        assert!(parse(&["print", "t", "-n=maybe"]).is_err());
    }

    #[test]
    fn repeatable_properties_and_merge_tombstones() {
        let cli = parse(&[
            "-o",
            "a=1",
            "-o",
            "b=2",
            "-c",
            "c=3",
            "-p",
            "d=4",
            "merge-all",
            "s",
            "d",
            "-T",
        ])
        .unwrap();
        assert_eq!(cli.global.property, ["a=1", "b=2"]);
        assert_eq!(cli.global.consumer_property, ["c=3"]);
        assert_eq!(cli.global.producer_property, ["d=4"]);
        match cli.kafka_command() {
            Some(Command::MergeAll(args)) => assert!(args.merge_tombstones),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn full_values_anywhere() {
        assert!(!parse(&["print", "t"]).unwrap().global.full_values);
        assert!(
            parse(&["--full-values", "print", "t"])
                .unwrap()
                .global
                .full_values
        );
        assert!(
            parse(&["print", "t", "--full-values"])
                .unwrap()
                .global
                .full_values
        );
    }

    #[test]
    fn color_choice() {
        assert_eq!(
            parse(&["print", "t"]).unwrap().global.color,
            ColorChoice::Auto
        );
        for (given, expected) in [
            ("auto", ColorChoice::Auto),
            ("always", ColorChoice::Always),
            ("never", ColorChoice::Never),
        ] {
            let cli = parse(&["print", "t", "--color", given]).unwrap();
            assert_eq!(cli.global.color, expected, "{given}");
        }
        assert!(parse(&["--color", "sometimes", "print", "t"]).is_err());
    }

    #[test]
    fn completions_and_man_need_no_kafka_options() {
        for (shell, expected) in [
            ("bash", Shell::Bash),
            ("zsh", Shell::Zsh),
            ("fish", Shell::Fish),
            ("powershell", Shell::PowerShell),
            ("elvish", Shell::Elvish),
        ] {
            match parse(&["completions", shell]).unwrap().command {
                CliCommand::Completions(args) => assert_eq!(args.shell, expected),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(matches!(parse(&["man"]).unwrap().command, CliCommand::Man));
        assert!(parse(&["man"]).unwrap().kafka_command().is_none());
        assert!(parse(&["completions"]).is_err());
        assert!(parse(&["completions", "tcsh"]).is_err());
    }

    #[test]
    fn help_shows_examples_and_environment_variables() {
        let help = Cli::command()
            .term_width(100)
            .render_long_help()
            .to_string();
        for expected in [
            "completions",
            "man",
            "[env: KAFKA_MERGE_PURGE_PROPERTIES=",
            "[env: KAFKA_MERGE_PURGE_BOOTSTRAP_SERVERS=",
            "[env: KAFKA_MERGE_PURGE_GROUP=",
            "Examples:",
            "-O client.properties -g dlq-triage -t",
        ] {
            assert!(help.contains(expected), "{expected:?} not in:\n{help}");
        }
    }

    #[test]
    fn missing_arguments_are_usage_errors() {
        assert!(parse(&["ask", "only-source"]).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&["unknown"]).is_err());
    }
}
