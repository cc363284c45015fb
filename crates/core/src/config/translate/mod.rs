//! Translation of Java client configuration into what we use: librdkafka properties, schema
//! registry settings and display decoders, so existing Java `.properties` files work as they are.
//!
//! Single names are translated by the [`RULES`] table (rename, value spelling, harmless Java-only
//! names dropped with a debug message). Names that only mean something together are read by
//! dedicated translators: `sasl.jaas.config`, the Java truststore and keystore, the schema
//! registry client and the deserializers. Everything else passes through unchanged for librdkafka
//! to judge.
//!
//! A translated property keeps the origin (and so the precedence) of the Java property it came
//! from: a librdkafka name given in a higher-ranked source wins over the translation, one given
//! in a lower-ranked source loses, and the two given with the same precedence and different
//! values are a [`ConfigError::Conflict`]. A Java setting we cannot translate is not an error
//! when a higher-ranked source sets its librdkafka replacement.
//!
//! Schema registry names never reach librdkafka. Of those, `schema.registry.url`, the
//! `USER_INFO` basic authentication and a PEM truststore are understood; a few serializer-only
//! names are dropped as harmless; every other `schema.registry.*`, `basic.auth.*` and
//! `bearer.auth.*` name is an error, because ignoring it could mean talking to the registry
//! without the credentials or TLS settings the user asked for.
//!
//! [`client`] drives one client's translation; [`rules`] holds the single-name table and the
//! deserializers, [`jaas`], [`stores`] and [`registry`] the names read together, and [`merge`]
//! how a translated property meets the others (precedence, conflicts).

mod client;
mod jaas;
mod merge;
mod registry;
mod rules;
mod stores;
#[cfg(test)]
mod tests;

pub(super) use client::{Translated, translate};
pub(super) use rules::decoder;
