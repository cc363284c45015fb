//! The typed result of the configuration layer — what the Kafka layer, the decoders and the
//! engine need, with every source merged and every Java-only name translated — and the
//! decisions taken on the merged properties: bootstrap servers, group, commit, transactions,
//! decoders, and librdkafka's own check of every property left.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::cli::{Command, GlobalArgs};
use crate::kafka::check::{PropertyProblem, classify_property};

use super::ConfigError;
use super::layers::{self, Origin, Properties, Property, Role};
use super::translate::{self, Translated};

/// Prefix of the transactional id derived from group and source topic (DESIGN §3.8).
pub const TRANSACTIONAL_ID_PREFIX: &str = "kafka-merge-purge";

/// How to show a key or a value (display only; what is written is always the raw bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecoderHint {
    /// Detect: Confluent wire format when a registry is configured, else UTF-8/JSON, else hex.
    #[default]
    Auto,
    /// Force Avro through the schema registry (`-a`/`-A`, or a Java Avro deserializer).
    Avro,
    /// Show as UTF-8 text (Java `StringDeserializer`).
    Text,
    /// Show as a hex dump (Java `ByteArrayDeserializer` and friends).
    Hex,
}

/// Schema registry client settings (never passed to librdkafka).
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    pub url: String,
    /// `user:password` from `basic.auth.user.info`.
    pub basic_auth: Option<(String, String)>,
    /// PEM CA file for HTTPS (`schema.registry.ssl.truststore.location` in PEM form).
    pub ca_location: Option<std::path::PathBuf>,
}

impl fmt::Debug for RegistrySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySettings")
            .field("url", &self.url)
            .field(
                "basic_auth",
                &self.basic_auth.as_ref().map(|(user, _)| (user, REDACTED)),
            )
            .field("ca_location", &self.ca_location)
            .finish()
    }
}

/// Fully resolved configuration of one run.
///
/// Its `Debug` output hides passwords, secrets and private keys.
#[derive(Clone)]
pub struct Settings {
    /// librdkafka consumer properties, precedence applied, Java names translated.
    pub consumer: BTreeMap<String, String>,
    /// librdkafka producer properties, precedence applied, Java names translated, without
    /// `transactional.id` (see [`Settings::transactional_id`]).
    pub producer: BTreeMap<String, String>,
    pub bootstrap_servers: String,
    pub group: Option<String>,
    /// `Some` when records are produced in transactions.
    pub transactional_id: Option<String>,
    /// Whether consumer offsets are committed.
    pub commit: bool,
    pub registry: Option<RegistrySettings>,
    pub key_decoder: DecoderHint,
    pub value_decoder: DecoderHint,
    pub timeout: Duration,
}

const REDACTED: &str = "<redacted>";

/// Whether a property holds a secret that must not be shown (debug output, error messages).
fn is_secret(key: &str) -> bool {
    [
        "password",
        "secret",
        "sasl.jaas.config",
        "ssl.key.pem",
        "oauthbearer.config",
    ]
    .iter()
    .any(|part| key.contains(part))
}

struct Redacted<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(key, value)| {
                (
                    key,
                    if is_secret(key) {
                        REDACTED
                    } else {
                        value.as_str()
                    },
                )
            }))
            .finish()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("consumer", &Redacted(&self.consumer))
            .field("producer", &Redacted(&self.producer))
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("group", &self.group)
            .field("transactional_id", &self.transactional_id)
            .field("commit", &self.commit)
            .field("registry", &self.registry)
            .field("key_decoder", &self.key_decoder)
            .field("value_decoder", &self.value_decoder)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Resolves the command line into [`Settings`].
///
/// # Errors
/// Any [`ConfigError`]: unreadable or malformed files, untranslatable Java settings, properties
/// librdkafka does not know or refuses, missing bootstrap servers, group or schema registry.
pub fn resolve(args: &GlobalArgs, command: &Command) -> Result<Settings, ConfigError> {
    let layered = layers::layer(args)?;
    let Translated {
        properties: mut consumer,
        key_deserializer,
        value_deserializer,
        registry,
    } = translate::translate(layered.consumer, Role::Consumer)?;
    let mut producer = translate::translate(layered.producer, Role::Producer)?.properties;

    let bootstrap_servers = bootstrap(&mut consumer, &mut producer)?;
    let commit = commit(args, command);
    let group = group(&mut consumer, &mut producer, command, commit)?;
    no_auto_commit(&mut consumer);
    let transactional_id = transactional_id(
        args,
        command,
        group.as_deref(),
        &mut consumer,
        &mut producer,
    )?;

    let key_decoder = translate::decoder("key", key_deserializer.as_ref(), args.avro_key)?;
    let value_decoder = translate::decoder("value", value_deserializer.as_ref(), args.avro)?;
    if registry.is_none() {
        for (hint, forced, flag, deserializer) in [
            (
                key_decoder,
                args.avro_key,
                "-A/--avro-key",
                &key_deserializer,
            ),
            (value_decoder, args.avro, "-a/--avro", &value_deserializer),
        ] {
            if hint != DecoderHint::Avro {
                continue;
            }
            let what = match deserializer {
                Some(property) if !forced => {
                    format!("{} (from {})", property.value.trim(), property.origin)
                }
                _ => flag.to_owned(),
            };
            return Err(ConfigError::MissingRegistry { what });
        }
    }

    check(&consumer)?;
    check(&producer)?;
    Ok(Settings {
        consumer: values(consumer),
        producer: values(producer),
        bootstrap_servers,
        group,
        transactional_id,
        commit,
        registry,
        key_decoder,
        value_decoder,
        timeout: Duration::from_secs(args.timeout),
    })
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Ask(_) => "ask",
        Command::MergeAll(_) => "merge-all",
        Command::PurgeAll(_) => "purge-all",
        Command::Print(_) => "print",
    }
}

fn values(properties: Properties) -> BTreeMap<String, String> {
    properties
        .into_iter()
        .map(|(key, property)| (key, property.value))
        .collect()
}

/// A property with a non-blank value, trimmed.
fn non_blank(property: Option<Property>) -> Option<Property> {
    property
        .filter(|property| !property.value.trim().is_empty())
        .map(|property| Property {
            value: property.value.trim().to_owned(),
            origin: property.origin,
        })
}

/// `bootstrap.servers`, the same in both maps: one cluster is read and written (tombstones and
/// transactional offsets go to the source cluster).
fn bootstrap(consumer: &mut Properties, producer: &mut Properties) -> Result<String, ConfigError> {
    const KEY: &str = "bootstrap.servers";
    let from_consumer = non_blank(consumer.remove(KEY));
    let from_producer = non_blank(producer.remove(KEY));
    let chosen = match (from_consumer, from_producer) {
        (Some(c), Some(p)) if c.value != p.value => {
            return Err(ConfigError::Conflict {
                key: KEY.to_owned(),
                first: c.origin.to_string(),
                second: p.origin.to_string(),
                reason: "the consumer and the producer must use the same cluster; give it once, \
                         e.g. with -b"
                    .to_owned(),
            });
        }
        (Some(chosen), _) | (None, Some(chosen)) => chosen,
        (None, None) => return Err(ConfigError::MissingBootstrap),
    };
    let servers = chosen.value.clone();
    consumer.insert(KEY.to_owned(), chosen.clone());
    producer.insert(KEY.to_owned(), chosen);
    Ok(servers)
}

/// Whether offsets are committed: `print` only with `-n=false`, the others unless `-n`/`-n=true`.
fn commit(args: &GlobalArgs, command: &Command) -> bool {
    match command {
        Command::Print(_) => args.no_commit == Some(Some(false)),
        _ => !matches!(args.no_commit, Some(None | Some(true))),
    }
}

/// The consumer group (`-g` beats `group.id` in shared or consumer properties): required to
/// commit, so for every command but `print`, and for `print` with `-n=false`.
fn group(
    consumer: &mut Properties,
    producer: &mut Properties,
    command: &Command,
    commit: bool,
) -> Result<Option<String>, ConfigError> {
    const KEY: &str = "group.id";
    if let Some(property) = producer.remove(KEY) {
        tracing::debug!(origin = %property.origin, "group.id is a consumer property: not given to the producer");
    }
    let group = non_blank(consumer.remove(KEY));
    match (&group, command) {
        (None, Command::Print(_)) if commit => {
            return Err(ConfigError::MissingGroup {
                command: "print --no-commit=false",
            });
        }
        (None, Command::Print(_)) => {}
        (None, other) => {
            return Err(ConfigError::MissingGroup {
                command: command_name(other),
            });
        }
        (Some(property), _) => {
            consumer.insert(KEY.to_owned(), property.clone());
        }
    }
    Ok(group.map(|property| property.value))
}

/// Offsets are committed by the engine (last processed + 1), never automatically: a user's
/// `enable.auto.commit=true` would commit records nobody decided on, so it is overridden.
fn no_auto_commit(consumer: &mut Properties) {
    const KEY: &str = "enable.auto.commit";
    if let Some(property) = consumer.get(KEY)
        && property.value.trim() != "false"
    {
        tracing::warn!(
            origin = %property.origin,
            "ignoring {KEY}={}: offsets are committed by kafka-merge-purge (see -n/--no-commit)",
            property.value.trim()
        );
    }
    consumer.insert(
        KEY.to_owned(),
        Property {
            value: "false".to_owned(),
            origin: Origin::builtin(),
        },
    );
}

/// The transactional id, `Some` when producing in transactions: `-t=ID`, else a
/// `transactional.id` property, else (plain `-t`) derived from group and source topic so that
/// the next run fences a crashed one. `transactional.id` is removed from both maps: the Kafka
/// layer sets it. `print` never produces, so it ignores transactions.
fn transactional_id(
    args: &GlobalArgs,
    command: &Command,
    group: Option<&str>,
    consumer: &mut Properties,
    producer: &mut Properties,
) -> Result<Option<String>, ConfigError> {
    const KEY: &str = "transactional.id";
    if let Some(property) = consumer.remove(KEY) {
        tracing::debug!(origin = %property.origin, "{KEY} is a producer property: not given to the consumer");
    }
    let property = producer.remove(KEY);
    if property.as_ref().is_some_and(|p| p.value.trim().is_empty()) {
        tracing::debug!("empty {KEY} ignored");
    }
    let property = non_blank(property);

    if let Command::Print(_) = command {
        if args.transaction.is_some() || property.is_some() {
            tracing::debug!("print never produces: transactions ignored");
        }
        return Ok(None);
    }
    match (&args.transaction, property) {
        (Some(Some(id)), _) if id.trim().is_empty() => Err(ConfigError::InvalidValue {
            key: KEY.to_owned(),
            origin: "-t".to_owned(),
            reason: "empty transactional id; give -t alone to derive one".to_owned(),
        }),
        (Some(Some(id)), property) => {
            if let Some(property) = property {
                tracing::debug!(origin = %property.origin, "{KEY} overridden by -t");
            }
            Ok(Some(id.trim().to_owned()))
        }
        (_, Some(property)) => Ok(Some(property.value)),
        (Some(None), None) => {
            let group = group.ok_or(ConfigError::MissingGroup {
                command: command_name(command),
            })?;
            let id = format!(
                "{TRANSACTIONAL_ID_PREFIX}-{group}-{}",
                command.source_topic()
            );
            tracing::info!(transactional_id = %id, "derived the transactional id from group and source topic");
            Ok(Some(id))
        }
        (None, None) => Ok(None),
    }
}

/// Asks librdkafka about every property left.
fn check(properties: &Properties) -> Result<(), ConfigError> {
    for (key, property) in properties {
        let Err(problem) = classify_property(key, &property.value) else {
            continue;
        };
        let origin = property.origin.to_string();
        let hide = |reason: String| {
            if is_secret(key) && !property.value.is_empty() {
                reason.replace(&property.value, REDACTED)
            } else {
                reason
            }
        };
        return Err(match problem {
            PropertyProblem::Unknown(reason) => ConfigError::UnknownProperty {
                key: key.clone(),
                origin,
                reason: hide(reason),
            },
            PropertyProblem::Invalid(reason) => ConfigError::InvalidValue {
                key: key.clone(),
                origin,
                reason: hide(reason),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::layers::parse_cli;

    fn resolve_args(argv: &[&str]) -> Result<Settings, ConfigError> {
        let cli = parse_cli(argv);
        resolve(&cli.global, cli.kafka_command().unwrap())
    }

    fn ok(argv: &[&str]) -> Settings {
        resolve_args(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
    }

    fn get<'a>(map: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
        map.get(key).map(String::as_str)
    }

    #[test]
    fn minimal_run_has_defaults_everywhere() {
        let settings = ok(&["-b", "h:9092", "-g", "grp", "ask", "dlq", "retry"]);
        assert_eq!(settings.bootstrap_servers, "h:9092");
        assert_eq!(settings.group.as_deref(), Some("grp"));
        assert_eq!(
            settings.consumer,
            BTreeMap::from(
                [
                    ("bootstrap.servers", "h:9092"),
                    ("group.id", "grp"),
                    ("isolation.level", "read_committed"),
                    ("auto.offset.reset", "earliest"),
                    ("enable.auto.commit", "false"),
                    ("queued.max.messages.kbytes", "16384"),
                    ("queued.min.messages", "20000"),
                    ("fetch.queue.backoff.ms", "10"),
                    ("reconnect.backoff.ms", "20"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
            )
        );
        assert_eq!(
            settings.producer,
            BTreeMap::from(
                [
                    ("bootstrap.servers", "h:9092"),
                    ("enable.idempotence", "true"),
                    ("acks", "all"),
                    ("queue.buffering.max.kbytes", "32768"),
                    ("delivery.report.only.error", "true"),
                    ("partitioner", "murmur2_random"),
                    ("reconnect.backoff.ms", "20"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
            )
        );
        assert!(settings.commit);
        assert_eq!(settings.transactional_id, None);
        assert_eq!(settings.registry, None);
        assert_eq!(settings.key_decoder, DecoderHint::Auto);
        assert_eq!(settings.value_decoder, DecoderHint::Auto);
        assert_eq!(settings.timeout, Duration::from_secs(30));
    }

    #[test]
    fn timeout_comes_from_the_option() {
        let settings = ok(&["-b", "h:1", "--timeout", "5", "print", "t"]);
        assert_eq!(settings.timeout, Duration::from_secs(5));
    }

    /// Each source beats the one below it, through the whole pipeline.
    #[test]
    fn precedence_of_every_layer() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared.properties");
        let consumer = dir.path().join("consumer.properties");
        let producer = dir.path().join("producer.properties");
        std::fs::write(
            &shared,
            "bootstrap.servers=shared-file:1\nacks=1\nclient.id=shared-file\n\
             fetch.min.bytes=10\nlinger.ms=10\nsession.timeout.ms=10000\n",
        )
        .unwrap();
        std::fs::write(
            &consumer,
            "bootstrap.servers=role-file:1\nfetch.min.bytes=20\nsession.timeout.ms=20000\n",
        )
        .unwrap();
        std::fs::write(&producer, "bootstrap.servers=role-file:1\nlinger.ms=20\n").unwrap();
        let base = [
            "-O",
            shared.to_str().unwrap(),
            "-o",
            "client.id=shared-option",
            "-o",
            "fetch.min.bytes=15",
            "-C",
            consumer.to_str().unwrap(),
            "-P",
            producer.to_str().unwrap(),
            "-c",
            "session.timeout.ms=30000",
            "-g",
            "g",
        ];
        let mut argv = base.to_vec();
        argv.extend_from_slice(&["ask", "s", "d"]);
        let settings = ok(&argv);
        // -O beats the built-in default.
        assert_eq!(get(&settings.producer, "acks"), Some("1"));
        // -o beats -O, for both roles.
        assert_eq!(get(&settings.consumer, "client.id"), Some("shared-option"));
        assert_eq!(get(&settings.producer, "client.id"), Some("shared-option"));
        // -C beats -o; -P beats -O.
        assert_eq!(get(&settings.consumer, "fetch.min.bytes"), Some("20"));
        assert_eq!(get(&settings.producer, "linger.ms"), Some("20"));
        // -c beats -C.
        assert_eq!(get(&settings.consumer, "session.timeout.ms"), Some("30000"));
        // Role files beat the shared file for bootstrap.servers.
        assert_eq!(settings.bootstrap_servers, "role-file:1");

        // -b beats everything.
        let mut argv = base.to_vec();
        argv.extend_from_slice(&[
            "-c",
            "bootstrap.servers=role-option:1",
            "-p",
            "bootstrap.servers=role-option:1",
            "-b",
            "flag:1",
            "ask",
            "s",
            "d",
        ]);
        let settings = ok(&argv);
        assert_eq!(settings.bootstrap_servers, "flag:1");
        assert_eq!(get(&settings.consumer, "bootstrap.servers"), Some("flag:1"));
        assert_eq!(get(&settings.producer, "bootstrap.servers"), Some("flag:1"));
    }

    #[test]
    fn bootstrap_is_required_and_shared_by_both_clients() {
        assert!(matches!(
            resolve_args(&["-g", "g", "ask", "s", "d"]),
            Err(ConfigError::MissingBootstrap)
        ));
        assert!(matches!(
            resolve_args(&["-o", "bootstrap.servers=", "print", "t"]),
            Err(ConfigError::MissingBootstrap)
        ));
        let settings = ok(&["-c", "bootstrap.servers=c:1", "print", "t"]);
        assert_eq!(settings.bootstrap_servers, "c:1");
        assert_eq!(get(&settings.producer, "bootstrap.servers"), Some("c:1"));
        let error = resolve_args(&[
            "-c",
            "bootstrap.servers=c:1",
            "-p",
            "bootstrap.servers=p:1",
            "print",
            "t",
        ])
        .unwrap_err();
        assert!(matches!(error, ConfigError::Conflict { .. }), "{error:?}");
        assert!(error.to_string().contains("-c") && error.to_string().contains("-p"));
    }

    #[test]
    fn group_flag_beats_group_property() {
        let settings = ok(&[
            "-b",
            "h:1",
            "-o",
            "group.id=prop",
            "-g",
            "flag",
            "ask",
            "s",
            "d",
        ]);
        assert_eq!(settings.group.as_deref(), Some("flag"));
        assert_eq!(get(&settings.consumer, "group.id"), Some("flag"));
        assert_eq!(get(&settings.producer, "group.id"), None);
    }

    #[test]
    fn group_property_is_enough() {
        for source in ["-o", "-c"] {
            let settings = ok(&["-b", "h:1", source, "group.id=prop", "merge-all", "s", "d"]);
            assert_eq!(settings.group.as_deref(), Some("prop"), "{source}");
            assert_eq!(get(&settings.consumer, "group.id"), Some("prop"));
            assert_eq!(get(&settings.producer, "group.id"), None);
        }
    }

    #[test]
    fn group_in_producer_properties_is_not_a_group() {
        let error =
            resolve_args(&["-b", "h:1", "-p", "group.id=prop", "ask", "s", "d"]).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::MissingGroup { command: "ask" }
        ));
    }

    #[test]
    fn group_is_required_except_for_print() {
        for (argv, command) in [
            (&["ask", "s", "d"][..], "ask"),
            (&["merge-all", "s", "d"][..], "merge-all"),
            (&["purge-all", "t"][..], "purge-all"),
            (&["-g", "", "purge-all", "t"][..], "purge-all"),
            (&["-n=false", "print", "t"][..], "print --no-commit=false"),
        ] {
            let mut full = vec!["-b", "h:1"];
            full.extend_from_slice(argv);
            match resolve_args(&full) {
                Err(ConfigError::MissingGroup { command: got }) => assert_eq!(got, command),
                other => panic!("{argv:?}: {other:?}"),
            }
        }
        let settings = ok(&["-b", "h:1", "print", "t"]);
        assert_eq!(settings.group, None);
        assert_eq!(get(&settings.consumer, "group.id"), None);
    }

    #[test]
    fn commit_rules() {
        for (no_commit, command, expected) in [
            (None, "print", false),
            (Some("-n"), "print", false),
            (Some("-n=true"), "print", false),
            (Some("--no-commit=true"), "print", false),
            (Some("-n=false"), "print", true),
            (Some("--no-commit=false"), "print", true),
            (None, "ask", true),
            (Some("-n"), "ask", false),
            (Some("-n=true"), "ask", false),
            (Some("-n=false"), "ask", true),
            (None, "merge-all", true),
            (Some("-n"), "merge-all", false),
            (None, "purge-all", true),
            (Some("--no-commit"), "purge-all", false),
        ] {
            let mut argv = vec!["-b", "h:1", "-g", "g"];
            argv.extend(no_commit);
            argv.push(command);
            argv.extend_from_slice(if command == "print" || command == "purge-all" {
                &["t"][..]
            } else {
                &["s", "d"][..]
            });
            assert_eq!(ok(&argv).commit, expected, "{argv:?}");
        }
    }

    #[test]
    fn user_auto_commit_is_overridden() {
        let settings = ok(&["-b", "h:1", "-c", "enable.auto.commit=true", "print", "t"]);
        assert_eq!(get(&settings.consumer, "enable.auto.commit"), Some("false"));
    }

    fn transactional_id(argv: &[&str]) -> Option<String> {
        let mut full = vec!["-b", "h:1", "-g", "grp"];
        full.extend_from_slice(argv);
        let settings = ok(&full);
        assert_eq!(
            get(&settings.producer, "transactional.id"),
            None,
            "{argv:?}"
        );
        assert_eq!(
            get(&settings.consumer, "transactional.id"),
            None,
            "{argv:?}"
        );
        settings.transactional_id
    }

    #[test]
    fn transactions_are_off_by_default() {
        assert_eq!(transactional_id(&["merge-all", "dlq", "retry"]), None);
    }

    #[test]
    fn plain_t_derives_a_stable_id_from_group_and_source_topic() {
        let derived = Some(format!("{TRANSACTIONAL_ID_PREFIX}-grp-dlq"));
        assert_eq!(
            transactional_id(&["-t", "merge-all", "dlq", "retry"]),
            derived
        );
        assert_eq!(transactional_id(&["ask", "dlq", "retry", "-t"]), derived);
        assert_eq!(transactional_id(&["-t", "purge-all", "dlq"]), derived);
    }

    #[test]
    fn t_with_id_beats_the_property() {
        assert_eq!(
            transactional_id(&["-t=mine", "merge-all", "dlq", "retry"]).as_deref(),
            Some("mine")
        );
        assert_eq!(
            transactional_id(&[
                "-p",
                "transactional.id=prop",
                "--transaction=mine",
                "merge-all",
                "dlq",
                "retry"
            ])
            .as_deref(),
            Some("mine")
        );
    }

    #[test]
    fn transactional_id_property_enables_transactions_and_beats_derivation() {
        for argv in [
            &["-p", "transactional.id=prop", "merge-all", "dlq", "retry"][..],
            &["-o", "transactional.id=prop", "merge-all", "dlq", "retry"][..],
            &[
                "-t",
                "-p",
                "transactional.id=prop",
                "merge-all",
                "dlq",
                "retry",
            ][..],
        ] {
            assert_eq!(transactional_id(argv).as_deref(), Some("prop"), "{argv:?}");
        }
        assert_eq!(
            transactional_id(&["-p", "transactional.id=", "merge-all", "dlq", "retry"]),
            None
        );
        // A transactional.id meant for a consumer does not turn transactions on.
        assert_eq!(
            transactional_id(&["-c", "transactional.id=c", "merge-all", "dlq", "retry"]),
            None
        );
    }

    #[test]
    fn print_ignores_transactions() {
        assert_eq!(transactional_id(&["-t", "print", "dlq"]), None);
        assert_eq!(transactional_id(&["-t=x", "print", "dlq"]), None);
        assert_eq!(
            transactional_id(&["-p", "transactional.id=p", "print", "dlq"]),
            None
        );
    }

    #[test]
    fn empty_t_id_is_an_error() {
        let error =
            resolve_args(&["-b", "h:1", "-g", "g", "-t=", "merge-all", "s", "d"]).unwrap_err();
        assert!(error.to_string().contains("-t"), "{error}");
    }

    #[test]
    fn unknown_property_names_key_and_origin() {
        let error = resolve_args(&["-b", "h:1", "-o", "bogus.name=1", "print", "t"]).unwrap_err();
        assert!(
            matches!(error, ConfigError::UnknownProperty { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("bogus.name"), "{message}");
        assert!(message.contains("-o"), "{message}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("consumer.properties");
        std::fs::write(
            &path,
            "# comment\nmax.poll.interval.ms=300000\nno.such.thing=x\n",
        )
        .unwrap();
        let error =
            resolve_args(&["-b", "h:1", "-C", path.to_str().unwrap(), "print", "t"]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("no.such.thing"), "{message}");
        assert!(message.contains("consumer.properties, line 3"), "{message}");
    }

    #[test]
    fn invalid_value_names_key_and_origin() {
        let error = resolve_args(&["-b", "h:1", "-p", "acks=sometimes", "print", "t"]).unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidValue { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("acks"), "{message}");
        assert!(message.contains("-p"), "{message}");

        let error =
            resolve_args(&["-b", "h:1", "-c", "isolation.level=dirty", "print", "t"]).unwrap_err();
        assert!(error.to_string().contains("isolation.level"), "{error}");
        assert!(error.to_string().contains("-c"), "{error}");
    }

    #[test]
    fn malformed_option_is_an_error() {
        let error = resolve_args(&["-b", "h:1", "-o", "acks", "print", "t"]).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::MalformedOption { option: "-o", .. }
        ));
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.properties");
        let error =
            resolve_args(&["-b", "h:1", "-O", path.to_str().unwrap(), "print", "t"]).unwrap_err();
        assert!(matches!(error, ConfigError::ReadFile { .. }));
        assert!(error.to_string().contains("absent.properties"), "{error}");
    }

    #[test]
    fn forced_avro_needs_a_registry() {
        for (flag, what) in [("-a", "-a/--avro"), ("-A", "-A/--avro-key")] {
            match resolve_args(&["-b", "h:1", flag, "print", "t"]) {
                Err(ConfigError::MissingRegistry { what: got }) => assert_eq!(got, what),
                other => panic!("{flag}: {other:?}"),
            }
        }
        let settings = ok(&[
            "-b",
            "h:1",
            "-a",
            "-o",
            "schema.registry.url=http://registry:8081",
            "print",
            "t",
        ]);
        assert_eq!(settings.value_decoder, DecoderHint::Avro);
        assert_eq!(settings.key_decoder, DecoderHint::Auto);
        assert_eq!(
            settings.registry.map(|registry| registry.url).as_deref(),
            Some("http://registry:8081")
        );
        assert_eq!(get(&settings.consumer, "schema.registry.url"), None);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = ok(&[
            "-b",
            "h:1",
            "-o",
            "sasl.password=hunter2",
            "-o",
            "ssl.key.password=swordfish",
            "-o",
            "schema.registry.url=http://r",
            "-o",
            "basic.auth.user.info=user:opensesame",
            "print",
            "t",
        ]);
        let debug = format!("{settings:?}");
        for secret in ["hunter2", "swordfish", "opensesame"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("sasl.password"), "{debug}");
    }
}
