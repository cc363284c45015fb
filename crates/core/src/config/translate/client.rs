//! One client's translation: the names read together first, then every other name by the
//! single-name rules; what is left passes through for librdkafka to judge.

use super::jaas::jaas;
use super::registry::registry;
use super::rules;
use super::stores::{keystore, truststore};
use crate::config::ConfigError;
use crate::config::layers::{Properties, Property, Role};
use crate::config::types::RegistrySettings;

/// What one client's properties become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::config) struct Translated {
    /// librdkafka names only (librdkafka has not checked them yet).
    pub properties: Properties,
    /// `key.deserializer` as given (consumer only), for [`super::decoder`].
    pub key_deserializer: Option<Property>,
    /// `value.deserializer` as given (consumer only), for [`super::decoder`].
    pub value_deserializer: Option<Property>,
    /// Present when `schema.registry.url` is set.
    pub registry: Option<RegistrySettings>,
}

/// Translates one client's properties (precedence already applied by [`super::super::layers`]).
///
/// # Errors
/// Java settings that cannot be translated (unsupported login module, JKS stores, unsupported
/// registry settings), malformed values, and same-precedence conflicts between a Java name and
/// its librdkafka counterpart.
pub(in crate::config) fn translate(
    mut input: Properties,
    role: Role,
) -> Result<Translated, ConfigError> {
    let mut out = Properties::new();
    jaas(&mut input, &mut out)?;
    truststore(&mut input, &mut out)?;
    keystore(&mut input, &mut out)?;
    let registry = registry(&mut input, role)?;
    let mut key_deserializer = input.remove("key.deserializer");
    let mut value_deserializer = input.remove("value.deserializer");
    if role == Role::Producer {
        for (key, property) in [
            ("key.deserializer", key_deserializer.take()),
            ("value.deserializer", value_deserializer.take()),
        ] {
            if let Some(property) = property {
                tracing::debug!(key, origin = %property.origin, "ignored for the producer");
            }
        }
    }

    for (key, property) in input {
        rules::apply(&mut out, key, property)?;
    }
    Ok(Translated {
        properties: out,
        key_deserializer,
        value_deserializer,
        registry,
    })
}
