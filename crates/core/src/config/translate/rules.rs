//! Single-name translations (rename, value spelling, harmless Java-only names dropped) and the
//! Java deserializer classes with the display decoder matching each.

use crate::config::ConfigError;
use crate::config::layers::{Properties, Property};
use crate::config::types::DecoderHint;

use super::merge::{put, short_class, with_value};

/// What to do with a single Java name.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// The same setting under another librdkafka name.
    Rename(&'static str),
    /// The same librdkafka name, but some Java values are spelled differently; `None` drops the
    /// property (the Java value means librdkafka's default). Matched case-insensitively.
    Values(&'static [(&'static str, Option<&'static str>)]),
    /// A comma-separated list whose Java elements are spelled differently.
    ListValues(&'static [(&'static str, &'static str)]),
    /// Java-only and harmless for us; the reason goes to the debug log.
    Drop(&'static str),
}

/// Single-name translations. Names read together (`sasl.jaas.config`, `ssl.truststore.*`,
/// `ssl.keystore.location`/`type`/`password`, deserializers, registry names) are not here.
const RULES: &[(&str, Rule)] = &[
    // Same setting, other name.
    (
        "receive.buffer.bytes",
        Rule::Rename("socket.receive.buffer.bytes"),
    ),
    (
        "send.buffer.bytes",
        Rule::Rename("socket.send.buffer.bytes"),
    ),
    ("ssl.truststore.certificates", Rule::Rename("ssl.ca.pem")),
    (
        "ssl.keystore.certificate.chain",
        Rule::Rename("ssl.certificate.pem"),
    ),
    ("ssl.keystore.key", Rule::Rename("ssl.key.pem")),
    // Same name, Java spelling of some values.
    (
        "ssl.endpoint.identification.algorithm",
        Rule::Values(&[("", Some("none"))]),
    ),
    (
        "auto.offset.reset",
        Rule::Values(&[("none", Some("error"))]),
    ),
    ("client.dns.lookup", Rule::Values(&[("default", None)])),
    (
        "partition.assignment.strategy",
        Rule::ListValues(&[
            ("org.apache.kafka.clients.consumer.RangeAssignor", "range"),
            (
                "org.apache.kafka.clients.consumer.RoundRobinAssignor",
                "roundrobin",
            ),
            (
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                "cooperative-sticky",
            ),
        ]),
    ),
    // Java-only, harmless for us.
    (
        "key.serializer",
        Rule::Drop("records are always written as raw bytes"),
    ),
    (
        "value.serializer",
        Rule::Drop("records are always written as raw bytes"),
    ),
    ("buffer.memory", Rule::Drop("Java producer memory pool")),
    ("max.block.ms", Rule::Drop("Java producer blocking bound")),
    ("max.poll.records", Rule::Drop("Java consumer batch size")),
    (
        "default.api.timeout.ms",
        Rule::Drop("Java client API timeout; see --timeout"),
    ),
    ("ssl.keymanager.algorithm", Rule::Drop("Java key manager")),
    (
        "ssl.trustmanager.algorithm",
        Rule::Drop("Java trust manager"),
    ),
    (
        "ssl.truststore.type",
        Rule::Drop("no ssl.truststore.location to go with it"),
    ),
    (
        "ssl.truststore.password",
        Rule::Drop("no ssl.truststore.location to go with it"),
    ),
    (
        "ssl.keystore.type",
        Rule::Drop("no ssl.keystore.location to go with it"),
    ),
    ("specific.avro.reader", Rule::Drop("Avro serializer option")),
    (
        "auto.register.schemas",
        Rule::Drop("Avro serializer option"),
    ),
    ("use.latest.version", Rule::Drop("Avro serializer option")),
    (
        "latest.compatibility.strict",
        Rule::Drop("Avro serializer option"),
    ),
    ("normalize.schemas", Rule::Drop("Avro serializer option")),
    (
        "key.subject.name.strategy",
        Rule::Drop("Avro serializer option"),
    ),
    (
        "value.subject.name.strategy",
        Rule::Drop("Avro serializer option"),
    ),
    (
        "max.schemas.per.subject",
        Rule::Drop("registry client cache size"),
    ),
];

/// Java deserializer classes and the display decoder that matches them.
pub(super) const DESERIALIZERS: &[(&str, DecoderHint)] = &[
    (
        "org.apache.kafka.common.serialization.StringDeserializer",
        DecoderHint::Text,
    ),
    (
        "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        DecoderHint::Hex,
    ),
    (
        "org.apache.kafka.common.serialization.BytesDeserializer",
        DecoderHint::Hex,
    ),
    (
        "org.apache.kafka.common.serialization.ByteBufferDeserializer",
        DecoderHint::Hex,
    ),
    (
        "io.confluent.kafka.serializers.KafkaAvroDeserializer",
        DecoderHint::Avro,
    ),
    (
        "io.confluent.kafka.serializers.protobuf.KafkaProtobufDeserializer",
        DecoderHint::Avro,
    ),
    (
        "io.confluent.kafka.serializers.json.KafkaJsonSchemaDeserializer",
        DecoderHint::Avro,
    ),
    (
        "io.apicurio.registry.serde.avro.AvroKafkaDeserializer",
        DecoderHint::Avro,
    ),
    (
        "io.apicurio.registry.serde.protobuf.ProtobufKafkaDeserializer",
        DecoderHint::Avro,
    ),
    (
        "io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaDeserializer",
        DecoderHint::Avro,
    ),
];

/// The display decoder for the key or the value (`part`: `"key"` or `"value"`): forced Avro
/// wins, then the Java deserializer, else [`DecoderHint::Auto`].
///
/// # Errors
/// [`ConfigError::InvalidValue`] for a deserializer class without a matching decoder (unless
/// Avro is forced, which makes the deserializer irrelevant).
pub(in crate::config) fn decoder(
    part: &str,
    deserializer: Option<&Property>,
    force_avro: bool,
) -> Result<DecoderHint, ConfigError> {
    if force_avro {
        return Ok(DecoderHint::Avro);
    }
    let Some(property) = deserializer else {
        return Ok(DecoderHint::Auto);
    };
    let class = property.value.trim();
    DESERIALIZERS
        .iter()
        .find(|(name, _)| *name == class)
        .map(|(_, hint)| *hint)
        .ok_or_else(|| ConfigError::InvalidValue {
            key: format!("{part}.deserializer"),
            origin: property.origin.to_string(),
            reason: format!(
                "no display decoder matches the Java class {class:?}; supported: {} \
                 (or force Avro with {})",
                DESERIALIZERS
                    .iter()
                    .map(|(name, _)| short_class(name))
                    .collect::<Vec<_>>()
                    .join(", "),
                if part == "key" { "-A" } else { "-a" },
            ),
        })
}

fn rule(key: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, rule)| *rule)
}

fn is_registry_name(key: &str) -> bool {
    ["schema.registry.", "basic.auth.", "bearer.auth."]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

/// Translates one property by its rule into `out`; a name without a rule passes through,
/// unless it is a registry name nobody understands.
///
/// # Errors
/// An unsupported registry name; a same-precedence conflict with a librdkafka name.
pub(super) fn apply(
    out: &mut Properties,
    key: String,
    property: Property,
) -> Result<(), ConfigError> {
    match rule(&key) {
        Some(Rule::Rename(to)) => put(out, to, property)?,
        Some(Rule::Values(table)) => {
            let found = table
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(property.value.trim()));
            match found {
                Some((_, Some(to))) => put(out, &key, with_value(property, to))?,
                Some((_, None)) => {
                    tracing::debug!(
                        key,
                        origin = %property.origin,
                        "dropped: the Java value means librdkafka's default"
                    );
                }
                None => put(out, &key, property)?,
            }
        }
        Some(Rule::ListValues(table)) => {
            let value = property
                .value
                .split(',')
                .map(|element| {
                    let element = element.trim();
                    table
                        .iter()
                        .find(|(from, _)| *from == element)
                        .map_or(element, |(_, to)| to)
                })
                .collect::<Vec<_>>()
                .join(",");
            put(out, &key, with_value(property, &value))?;
        }
        Some(Rule::Drop(why)) => {
            tracing::debug!(key, origin = %property.origin, "dropped Java-only property: {why}");
        }
        None if is_registry_name(&key) => {
            return Err(ConfigError::UnknownProperty {
                reason: "not supported by kafka-merge-purge's schema registry client \
                         (supported: schema.registry.url, basic.auth.user.info with \
                         basic.auth.credentials.source=USER_INFO, \
                         schema.registry.ssl.truststore.location in PEM form)"
                    .to_owned(),
                key,
                origin: property.origin.to_string(),
            });
        }
        None => put(out, &key, property)?,
    }
    Ok(())
}
