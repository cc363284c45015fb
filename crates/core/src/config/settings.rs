//! The typed result of the configuration layer — what the Kafka layer, the decoders and the
//! engine need, with every source merged and every Java-only name translated — and the
//! decisions taken on the merged properties: bootstrap servers, group, commit, transactions,
//! decoders, and librdkafka's own check of every property left.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::cli::{Command, GlobalArgs};

use super::error::{ConfigError, PropertyCheck, PropertyProblem};
use super::layers::{self, Origin, Properties, Property, Role};
use super::translate::{self, Translated};
use super::types::{DecoderHint, REDACTED, Redacted, RegistrySettings, is_secret};

/// Prefix of the transactional id derived from group and source topic (DESIGN §3.8).
pub const TRANSACTIONAL_ID_PREFIX: &str = "kafka-merge-purge";

/// Fully resolved configuration of one run.
///
/// Its `Debug` output hides passwords, secrets and private keys.
#[derive(Clone)]
pub struct Settings {
    /// librdkafka consumer properties, precedence applied, Java names translated, without
    /// `group.id` (see [`Settings::group`]).
    pub consumer: BTreeMap<String, String>,
    /// librdkafka producer properties, precedence applied, Java names translated, without
    /// `transactional.id` (see [`Settings::transactional_id`]).
    pub producer: BTreeMap<String, String>,
    pub bootstrap_servers: String,
    /// The consumer group (`-g`, else `group.id`): its one source; the Kafka layer hands it
    /// to the consumer.
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
pub fn resolve(
    args: &GlobalArgs,
    command: &Command,
    topic: &str,
    check_property: PropertyCheck,
) -> Result<Settings, ConfigError> {
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
    let group = group(args, &mut consumer, &mut producer, command, commit)?;
    no_auto_commit(&mut consumer);
    let transactional_id = transactional_id(
        args,
        command,
        topic,
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

    check(&consumer, check_property)?;
    check(&producer, check_property)?;
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
        // Undo writes records back; it reads no records of its own to commit.
        Command::Undo(_) => false,
        _ => !matches!(args.no_commit, Some(None | Some(true))),
    }
}

/// The consumer group: `-g`, else `group.id` from shared or consumer properties. Required to
/// commit, so for every command but `print`, and for `print` with `-n=false`. It is taken out
/// of both maps: the Kafka layer gives it to the consumer, from [`Settings::group`] only.
fn group(
    args: &GlobalArgs,
    consumer: &mut Properties,
    producer: &mut Properties,
    command: &Command,
    commit: bool,
) -> Result<Option<String>, ConfigError> {
    const KEY: &str = "group.id";
    if let Some(property) = producer.remove(KEY) {
        tracing::debug!(origin = %property.origin, "group.id is a consumer property: not given to the producer");
    }
    let property = non_blank(consumer.remove(KEY));
    let flag = args
        .group
        .as_deref()
        .map(str::trim)
        .filter(|group| !group.is_empty());
    if let (Some(_), Some(property)) = (flag, &property) {
        tracing::debug!(origin = %property.origin, "{KEY} overridden by -g");
    }
    let group = flag
        .map(str::to_owned)
        .or_else(|| property.map(|property| property.value));
    if group.is_none() {
        match command {
            Command::Print(_) if commit => {
                return Err(ConfigError::MissingGroup {
                    command: "print --no-commit=false",
                });
            }
            Command::Print(_) | Command::Undo(_) => {}
            other => {
                return Err(ConfigError::MissingGroup {
                    command: other.name(),
                });
            }
        }
    }
    Ok(group)
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
    topic: &str,
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
                command: command.name(),
            })?;
            let id = derived_transactional_id(group, topic);
            tracing::info!(transactional_id = %id, "derived the transactional id from group and source topic");
            Ok(Some(id))
        }
        (None, None) => Ok(None),
    }
}

/// The transactional id plain `-t` gives a run on `topic` with `group`: the two are parted by
/// a `/`, which a topic name cannot hold, so no other group and topic give the same id (with
/// `-`, group `a-b` on topic `c` and group `a` on topic `b-c` fenced each other).
#[must_use]
pub fn derived_transactional_id(group: &str, topic: &str) -> String {
    format!("{TRANSACTIONAL_ID_PREFIX}-{group}/{topic}")
}

/// Asks librdkafka about every property left.
fn check(properties: &Properties, check_property: PropertyCheck) -> Result<(), ConfigError> {
    for (key, property) in properties {
        let Err(problem) = check_property(key, &property.value) else {
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

/// The settings of the command line `argv` (for tests), with librdkafka's property check.
#[cfg(all(test, feature = "librdkafka-check"))]
pub(super) fn resolve_argv(argv: &[&str]) -> Result<Settings, ConfigError> {
    let cli = super::layers::parse_cli(argv);
    let command = cli
        .kafka_command()
        .unwrap_or_else(|| panic!("{argv:?}: no Kafka command"));
    resolve(
        &cli.global,
        command,
        command.source_topic().unwrap_or_default(),
        crate::config::librdkafka::classify_property,
    )
}

#[cfg(test)]
mod tests;
