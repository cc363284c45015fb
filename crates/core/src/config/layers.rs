//! Precedence of the configuration sources, and the origin of every property.
//!
//! Lowest first: built-in defaults < `-O` file < `-o` < `-C`/`-P` file < `-c`/`-p` < `-b`. (`-g` is
//! not a property: [`super::settings`] takes it, or `group.id` when it is not given.)
//! Shared sources (`-O`, `-o`) feed both the consumer and the producer. Names are not
//! translated here: a Java name and its librdkafka counterpart are different keys until
//! [`super::translate`] compares their [`Rank`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::cli::GlobalArgs;

use super::ConfigError;
use super::properties;

/// Built-in consumer defaults (DESIGN §2), then throughput and memory settings measured with
/// `scripts/bench.sh` (BENCHMARKS.md). librdkafka's own defaults prefetch up to 64 MiB or
/// 100,000 records: more memory than a bulk run can use, and near the end of a partition the
/// prefetch fills with the run's own tombstones (100,000 of them cost ~50 MiB of bookkeeping).
/// 16 MiB or 20,000 records keep the pipeline full, and the 10 ms back-off (instead of 1 s)
/// resumes fetching as soon as the queue has room again. Both roles also take
/// `RECONNECT_BACKOFF`.
pub(super) const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("isolation.level", "read_committed"),
    ("auto.offset.reset", "earliest"),
    ("enable.auto.commit", "false"),
    ("queued.max.messages.kbytes", "16384"),
    ("queued.min.messages", "20000"),
    ("fetch.queue.backoff.ms", "10"),
    RECONNECT_BACKOFF,
];

/// librdkafka spaces its first connections by half of `reconnect.backoff.ms`: with the
/// default 100 ms, the connection to the broker named by the bootstrap server's metadata
/// waited ~50 ms at every start (measured: `ask` to its first prompt 215 -> 177 ms). Later
/// reconnections still back off exponentially, up to `reconnect.backoff.max.ms` (10 s).
const RECONNECT_BACKOFF: (&str, &str) = ("reconnect.backoff.ms", "20");

/// Built-in producer defaults (DESIGN §2), then a bound on the records queued for sending
/// (librdkafka allows 1 GiB): the source is read faster than the broker acknowledges, and
/// 32 MiB already keep every partition's batches full. Compression, linger and batch sizes
/// stay librdkafka's (measured: a longer linger.ms only delays each batch's last records).
pub(super) const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("queue.buffering.max.kbytes", "32768"),
    // Only failed deliveries are reported: a successful one needs nothing from us, and a
    // report per record cost the polling thread a tenth of a bulk run's CPU time.
    ("delivery.report.only.error", "true"),
    // A merged record goes to the partition its key hashes to (DESIGN §3.3). librdkafka's
    // own default hashes with CRC32; Java producers, which write the retry topics the
    // consuming services read, with murmur2: the same key would land elsewhere, and records
    // of one key would no longer keep their order next to theirs.
    ("partitioner", "murmur2_random"),
    RECONNECT_BACKOFF,
];

/// How strongly a source binds; a higher rank wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Rank {
    Default,
    SharedFile,
    SharedOption,
    RoleFile,
    RoleOption,
    /// The dedicated flag `-b`.
    Flag,
}

/// Where a property came from, for precedence and for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin {
    pub rank: Rank,
    label: String,
}

impl Origin {
    pub fn builtin() -> Self {
        Self {
            rank: Rank::Default,
            label: "built-in default".to_owned(),
        }
    }

    pub fn file(rank: Rank, path: &Path, line: usize) -> Self {
        Self {
            rank,
            label: format!("{}, line {line}", path.display()),
        }
    }

    pub fn option(rank: Rank, option: &str) -> Self {
        Self {
            rank,
            label: option.to_owned(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// A property value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Property {
    pub value: String,
    pub origin: Origin,
}

/// Properties by name.
pub(super) type Properties = BTreeMap<String, Property>;

/// Which client a set of properties is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Consumer,
    Producer,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Consumer => "consumer",
            Self::Producer => "producer",
        })
    }
}

/// Consumer and producer properties with precedence applied, Java names not yet translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layered {
    pub consumer: Properties,
    pub producer: Properties,
}

/// Reads every source named on the command line and applies the precedence.
///
/// # Errors
/// Unreadable or malformed files, `-o`/`-c`/`-p` values that are not `KEY=VALUE`.
pub(super) fn layer(args: &GlobalArgs) -> Result<Layered, ConfigError> {
    let shared = sources(
        args.properties_file.as_deref(),
        Rank::SharedFile,
        &args.property,
        Rank::SharedOption,
        "-o",
    )?;
    let consumer_only = sources(
        args.consumer_properties_file.as_deref(),
        Rank::RoleFile,
        &args.consumer_property,
        Rank::RoleOption,
        "-c",
    )?;
    let producer_only = sources(
        args.producer_properties_file.as_deref(),
        Rank::RoleFile,
        &args.producer_property,
        Rank::RoleOption,
        "-p",
    )?;

    let mut consumer = defaults(CONSUMER_DEFAULTS);
    let mut producer = defaults(PRODUCER_DEFAULTS);
    // `sources` returns lowest rank first and in given order, so plain insertion applies both
    // the precedence and "the later of two equal sources wins".
    for (key, property) in shared {
        consumer.insert(key.clone(), property.clone());
        producer.insert(key, property);
    }
    consumer.extend(consumer_only);
    producer.extend(producer_only);

    if let Some(servers) = given(args.bootstrap_servers.as_deref()) {
        let property = Property {
            value: servers.to_owned(),
            origin: Origin::option(Rank::Flag, "-b"),
        };
        consumer.insert("bootstrap.servers".to_owned(), property.clone());
        producer.insert("bootstrap.servers".to_owned(), property);
    }
    Ok(Layered { consumer, producer })
}

/// Splits a `-o`/`-c`/`-p` value on its first `=`; the key is trimmed, the value kept as given.
///
/// # Errors
/// [`ConfigError::MalformedOption`] without `=` or with an empty key.
pub(super) fn parse_option(
    option: &'static str,
    given: &str,
) -> Result<(String, String), ConfigError> {
    match given.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(ConfigError::MalformedOption {
            option,
            given: given.to_owned(),
        }),
    }
}

/// A file (lower rank) and repeated options (higher rank), lowest first, in given order.
fn sources(
    file: Option<&Path>,
    file_rank: Rank,
    options: &[String],
    option_rank: Rank,
    option: &'static str,
) -> Result<Vec<(String, Property)>, ConfigError> {
    let mut all = Vec::new();
    if let Some(path) = file {
        for entry in properties::read_file(path)? {
            all.push((
                entry.key,
                Property {
                    value: entry.value,
                    origin: Origin::file(file_rank, path, entry.line),
                },
            ));
        }
    }
    for given in options {
        let (key, value) = parse_option(option, given)?;
        all.push((
            key,
            Property {
                value,
                origin: Origin::option(option_rank, option),
            },
        ));
    }
    Ok(all)
}

fn defaults(table: &[(&str, &str)]) -> Properties {
    table
        .iter()
        .map(|(key, value)| {
            (
                (*key).to_owned(),
                Property {
                    value: (*value).to_owned(),
                    origin: Origin::builtin(),
                },
            )
        })
        .collect()
}

/// An option given with a non-blank value (an empty `-b ""` or environment variable counts as
/// not given, so it does not hide a file's value).
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// Parses a command line for tests, ignoring the `KAFKA_MERGE_PURGE_*` environment variables
/// of whoever runs them.
#[cfg(test)]
pub(super) fn parse_cli(argv: &[&str]) -> crate::cli::Cli {
    use clap::Parser;

    let mut cli = crate::cli::Cli::try_parse_from(
        std::iter::once("kafka-merge-purge").chain(argv.iter().copied()),
    )
    .unwrap();
    let has = |flags: &[&str]| {
        argv.iter()
            .any(|arg| flags.iter().any(|flag| arg.starts_with(flag)))
    };
    if !has(&["-b", "--bootstrap-servers"]) {
        cli.global.bootstrap_servers = None;
    }
    if !has(&["-g", "--group"]) {
        cli.global.group = None;
    }
    if !has(&["-O", "--properties"]) {
        cli.global.properties_file = None;
    }
    cli
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_mentions, properties_file};

    fn args(list: &[&str]) -> GlobalArgs {
        let mut argv = list.to_vec();
        argv.extend_from_slice(&["print", "dlq"]);
        parse_cli(&argv).global
    }

    /// `-C` and `-P` files setting `client.id` to `consumer-file` and `producer-file`, as
    /// arguments; the guards keep the files.
    fn role_files() -> ([tempfile::TempDir; 2], [String; 4]) {
        let (consumer_dir, consumer) =
            properties_file("consumer.properties", "client.id=consumer-file\n");
        let (producer_dir, producer) =
            properties_file("producer.properties", "client.id=producer-file\n");
        let arguments = [
            "-C".to_owned(),
            consumer.display().to_string(),
            "-P".to_owned(),
            producer.display().to_string(),
        ];
        ([consumer_dir, producer_dir], arguments)
    }

    fn value<'a>(properties: &'a Properties, key: &str) -> Option<(&'a str, Rank)> {
        properties
            .get(key)
            .map(|p| (p.value.as_str(), p.origin.rank))
    }

    #[test]
    fn option_splits_on_first_equals() {
        assert_eq!(
            parse_option("-o", "sasl.password=a=b").unwrap(),
            ("sasl.password".to_owned(), "a=b".to_owned())
        );
        assert_eq!(
            parse_option("-o", " acks =all").unwrap(),
            ("acks".to_owned(), "all".to_owned())
        );
        assert_eq!(
            parse_option("-c", "client.id=").unwrap(),
            ("client.id".to_owned(), String::new())
        );
        for bad in ["acks", "=all", " =x", ""] {
            let error = parse_option("-p", bad).unwrap_err();
            assert!(
                matches!(error, ConfigError::MalformedOption { option: "-p", .. }),
                "{bad:?}"
            );
            assert!(error.to_string().contains("-p"), "{error}");
        }
    }

    #[test]
    fn malformed_option_is_an_error_from_layer() {
        let error = layer(&args(&["-c", "no-equals-sign"])).unwrap_err();
        assert_mentions(&error, &["no-equals-sign", "-c"]);
    }

    #[test]
    fn defaults_are_per_role() {
        let layered = layer(&args(&[])).unwrap();
        assert_eq!(
            value(&layered.consumer, "isolation.level"),
            Some(("read_committed", Rank::Default))
        );
        assert_eq!(value(&layered.consumer, "acks"), None);
        assert_eq!(
            value(&layered.producer, "enable.idempotence"),
            Some(("true", Rank::Default))
        );
        assert_eq!(value(&layered.producer, "enable.auto.commit"), None);
    }

    #[test]
    fn throughput_defaults_yield_to_the_user() {
        let layered = layer(&args(&[
            "-c",
            "queued.max.messages.kbytes=65536",
            "-o",
            "queue.buffering.max.kbytes=1048576",
        ]))
        .unwrap();
        assert_eq!(
            value(&layered.consumer, "queued.max.messages.kbytes"),
            Some(("65536", Rank::RoleOption))
        );
        assert_eq!(
            value(&layered.consumer, "fetch.queue.backoff.ms"),
            Some(("10", Rank::Default))
        );
        assert_eq!(
            value(&layered.producer, "queue.buffering.max.kbytes"),
            Some(("1048576", Rank::SharedOption))
        );
    }

    #[test]
    fn shared_file_beats_defaults_and_feeds_both_roles() {
        let (_dir, path) = properties_file(
            "shared.properties",
            "acks=1\nisolation.level=read_uncommitted\n",
        );
        let layered = layer(&args(&["-O", path.to_str().unwrap()])).unwrap();
        assert_eq!(
            value(&layered.producer, "acks"),
            Some(("1", Rank::SharedFile))
        );
        assert_eq!(
            value(&layered.consumer, "isolation.level"),
            Some(("read_uncommitted", Rank::SharedFile))
        );
        assert_eq!(
            value(&layered.consumer, "acks"),
            Some(("1", Rank::SharedFile))
        );
        let origin = layered.producer["acks"].origin.to_string();
        assert!(origin.ends_with("shared.properties, line 1"), "{origin}");
    }

    #[test]
    fn shared_option_beats_shared_file() {
        let (_dir, path) = properties_file("shared.properties", "client.id=from-file\n");
        let layered = layer(&args(&[
            "-O",
            path.to_str().unwrap(),
            "-o",
            "client.id=from-option",
        ]))
        .unwrap();
        for properties in [&layered.consumer, &layered.producer] {
            assert_eq!(
                value(properties, "client.id"),
                Some(("from-option", Rank::SharedOption))
            );
            assert_eq!(properties["client.id"].origin.to_string(), "-o");
        }
    }

    #[test]
    fn role_file_beats_shared_option() {
        let (_files, role_files) = role_files();
        let mut argv = vec!["-o", "client.id=shared"];
        argv.extend(role_files.iter().map(String::as_str));
        let layered = layer(&args(&argv)).unwrap();
        assert_eq!(
            value(&layered.consumer, "client.id"),
            Some(("consumer-file", Rank::RoleFile))
        );
        assert_eq!(
            value(&layered.producer, "client.id"),
            Some(("producer-file", Rank::RoleFile))
        );
    }

    #[test]
    fn role_option_beats_role_file() {
        let (_files, role_files) = role_files();
        let mut argv: Vec<&str> = role_files.iter().map(String::as_str).collect();
        argv.extend(["-c", "client.id=c", "-p", "client.id=p"]);
        let layered = layer(&args(&argv)).unwrap();
        assert_eq!(
            value(&layered.consumer, "client.id"),
            Some(("c", Rank::RoleOption))
        );
        assert_eq!(
            value(&layered.producer, "client.id"),
            Some(("p", Rank::RoleOption))
        );
        assert_eq!(layered.consumer["client.id"].origin.to_string(), "-c");
    }

    #[test]
    fn later_repetition_of_an_option_wins() {
        let layered = layer(&args(&["-o", "client.id=a", "-o", "client.id=b"])).unwrap();
        assert_eq!(
            value(&layered.consumer, "client.id"),
            Some(("b", Rank::SharedOption))
        );
    }

    #[test]
    fn bootstrap_flag_beats_everything() {
        let (_dir, path) = properties_file("consumer.properties", "bootstrap.servers=file:9092\n");
        let layered = layer(&args(&[
            "-C",
            path.to_str().unwrap(),
            "-c",
            "bootstrap.servers=option:9092",
            "-p",
            "bootstrap.servers=option:9092",
            "-b",
            "flag:9092",
        ]))
        .unwrap();
        for properties in [&layered.consumer, &layered.producer] {
            assert_eq!(
                value(properties, "bootstrap.servers"),
                Some(("flag:9092", Rank::Flag))
            );
        }
    }

    #[test]
    fn empty_flags_do_not_hide_properties() {
        let layered = layer(&args(&[
            "-b",
            "",
            "-g",
            " ",
            "-c",
            "bootstrap.servers=h:1",
            "-c",
            "group.id=g",
        ]))
        .unwrap();
        assert_eq!(
            value(&layered.consumer, "bootstrap.servers"),
            Some(("h:1", Rank::RoleOption))
        );
        assert_eq!(
            value(&layered.consumer, "group.id"),
            Some(("g", Rank::RoleOption))
        );
    }

    /// `-g` is not layered: the settings take it, so the group travels once.
    #[test]
    fn group_flag_is_not_a_property() {
        let layered = layer(&args(&["-c", "group.id=prop", "-g", "flag"])).unwrap();
        assert_eq!(
            value(&layered.consumer, "group.id"),
            Some(("prop", Rank::RoleOption))
        );
        assert_eq!(value(&layered.producer, "group.id"), None);
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nowhere.properties");
        let error = layer(&args(&["-P", path.to_str().unwrap()])).unwrap_err();
        assert!(matches!(error, ConfigError::ReadFile { .. }));
        assert!(error.to_string().contains("nowhere.properties"), "{error}");
    }
}
