//! Asks librdkafka itself whether a configuration property exists and whether a value is valid
//! for it, so the configuration layer can reject a bad property before any client is built,
//! naming the property and where it came from. The one place of this crate that calls
//! librdkafka: only with the feature `librdkafka-check`, which the tool turns on (the fuzz
//! targets and `cargo test -p kafka-merge-purge-core` leave it off, and build no librdkafka).

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaConfRes;

use super::PropertyProblem;

/// Checks one property against librdkafka (`rd_kafka_conf_set` on a scratch configuration).
///
/// # Errors
/// [`PropertyProblem::Unknown`] when librdkafka does not know the name,
/// [`PropertyProblem::Invalid`] when it refuses the value; both carry librdkafka's message.
pub fn classify_property(key: &str, value: &str) -> Result<(), PropertyProblem> {
    let Err(error) = ClientConfig::new().set(key, value).create_native_config() else {
        return Ok(());
    };
    Err(match error {
        KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, message, ..) => {
            PropertyProblem::Unknown(message_or(&message, "no such property"))
        }
        KafkaError::ClientConfig(_, message, ..) => {
            PropertyProblem::Invalid(message_or(&message, "invalid value"))
        }
        KafkaError::Nul(_) => {
            PropertyProblem::Invalid("names and values must not contain a NUL character".to_owned())
        }
        other => PropertyProblem::Invalid(other.to_string()),
    })
}

/// Checks one property against librdkafka; the error is librdkafka's message.
///
/// # Errors
/// librdkafka's message when it does not know the name or refuses the value. Use
/// [`classify_property`] to tell the two apart.
pub fn check_property(key: &str, value: &str) -> Result<(), String> {
    classify_property(key, value).map_err(|problem| problem.to_string())
}

/// librdkafka's message as a lowercase fragment, like our own error messages.
fn message_or(message: &str, fallback: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        return fallback.to_owned();
    }
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_with_valid_values_pass() {
        for (key, value) in [
            ("bootstrap.servers", "localhost:9092"),
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("isolation.level", "read_committed"),
            ("auto.offset.reset", "earliest"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("ssl.endpoint.identification.algorithm", "none"),
            ("session.timeout.ms", "45000"),
        ] {
            assert_eq!(check_property(key, value), Ok(()), "{key}={value}");
        }
    }

    #[test]
    fn unknown_name_is_told_apart_from_invalid_value() {
        match classify_property("bogus.name", "1") {
            Err(PropertyProblem::Unknown(message)) => {
                assert_eq!(message, "no such configuration property: \"bogus.name\"");
            }
            other => panic!("unexpected {other:?}"),
        }
        match classify_property("acks", "sometimes") {
            Err(PropertyProblem::Invalid(message)) => assert!(!message.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
        assert!(check_property("session.timeout.ms", "soon").is_err());
    }

    #[test]
    fn nul_character_is_an_invalid_value() {
        assert!(matches!(
            classify_property("client.id", "a\0b"),
            Err(PropertyProblem::Invalid(_))
        ));
    }
}
